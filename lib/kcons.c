/*
 * kcons: the consumer. See kcons.h for the delivery rules.
 *
 * Each assigned partition has a slot: its name, whether it is at its
 * end, where reading starts, the offset last stored. The ledger keeps,
 * under the same slot number, which of its messages are finished.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "buf.h"
#include "err.h"
#include "kcons.h"
#include "ledger.h"
#include "sig.h"
#include "ts.h"

#define STORE_EVERY 1024	/* messages between offset stores */
#define WATCH_EVERY 64		/* messages between looks at the queue's length */
#define DEAD_MAX 2048		/* messages read, handed to the reaper together */

struct slot {
	int used;
	char *topic;
	int32_t partition;
	rd_kafka_topic_t *rkt;	/* as last seen in a message, for a fast match */
	int64_t stored;		/* last offset given to offsets_store */
	int eof;
	int revoking;
	int seen;		/* was assigned before in this process */
	int64_t start;		/* --offset at this assignment, else RD_KAFKA_OFFSET_INVALID */
};

struct kafka_in {
	const struct kafka_opts *o;
	rd_kafka_t *rk;
	char *topics;
	size_t max_line;
	int check;
	rd_kafka_message_t *msg;	/* handed out, destroyed on the next read */
	ledger_tok cur;
	struct slot *last;
	unsigned since_store;
	unsigned quiet;		/* 100 ms polls with nothing */
	int assigned;		/* partitions assigned */
	int errors;
	char longname[256];
	const rd_kafka_topic_t *longname_rkt;	/* whose name longname holds */
	void (*on_revoke)(void *);
	void *on_revoke_arg;
	rd_kafka_queue_t *q;	/* the consumer queue, to watch its length */
	size_t qmin;		/* queued.min.messages */
	size_t qbytes;		/* queued.max.messages.kbytes, in bytes */
	size_t lensum;		/* bytes of the last WATCH_EVERY messages read */
	int throttled;		/* the queue reached a limit: librdkafka stopped fetching */
	struct waker *waker;	/* see watch_queue; made at the first need */
	struct reaper *reaper;	/* see bury */
	rd_kafka_message_t *dead[DEAD_MAX];	/* read and done with, for the reaper */
	size_t ndead;
	unsigned nread;
	rd_kafka_topic_t **known;	/* see known_topics */
	int nknown;
	int64_t unassigned_ms;	/* monotonic: when the member last had no partitions, 0 none */
	int64_t session_ms;	/* session.timeout.ms */
	int said_unassigned;	/* the "no partitions" message was given */
	char *group;
};

static int64_t lag(struct kafka_in *k, int *partial);
static void watch_queue(struct kafka_in *k, int empty);
static void waker_stop(struct kafka_in *k);

static struct slot slots[LEDGER_MAX_SLOTS];
static int nslots;
static struct kafka_in *consumer;	/* one per process: the ledger's slots are global */

static int
slot_find(const char *topic, int32_t partition)
{
	int i;

	for (i = 0; i < nslots; i++)
		if (slots[i].used && slots[i].partition == partition &&
		    strcmp(slots[i].topic, topic) == 0)
			return i;
	return -1;
}

/* slot_add makes (or finds) the slot of a newly assigned partition. */
static int
slot_add(const char *topic, int32_t partition)
{
	int i = slot_find(topic, partition);

	if (i >= 0)
		return i;
	for (i = 0; i < nslots; i++)
		if (!slots[i].used && slots[i].partition == partition && slots[i].topic != NULL &&
		    strcmp(slots[i].topic, topic) == 0)
			break;		/* reuse: keeps "seen" */
	if (i == nslots) {
		for (i = 0; i < nslots; i++)
			if (!slots[i].used && slots[i].topic == NULL)
				break;
	}
	if (i == nslots) {
		if (nslots == LEDGER_MAX_SLOTS)
			fs_errx(EXIT_FAIL, "too many partitions assigned (at most %d)", LEDGER_MAX_SLOTS);
		nslots++;
	}
	if (slots[i].topic == NULL) {
		slots[i].topic = xstrdup(topic);
		slots[i].partition = partition;
	}
	slots[i].used = 1;
	ledger_slot_open(i);
	slots[i].rkt = NULL;
	slots[i].stored = -1;
	slots[i].eof = 0;
	slots[i].revoking = 0;
	slots[i].start = RD_KAFKA_OFFSET_INVALID;
	return i;
}

static void
slot_drop(struct slot *s)
{
	s->used = 0;
	ledger_slot_close((int)(s - slots));
	s->rkt = NULL;
	s->revoking = 0;
}

/* store hands the finished offsets of the partitions in use (or revoking only) to librdkafka. */
static void
store(struct kafka_in *k, int revoking_only)
{
	rd_kafka_topic_partition_list_t *l = NULL;
	rd_kafka_resp_err_t err;
	int i;

	for (i = 0; i < nslots; i++) {
		struct slot *s = &slots[i];
		int64_t done = ledger_done(i);

		if (!s->used || done < 0 || done == s->stored ||
		    (revoking_only && !s->revoking))
			continue;
		if (l == NULL)
			l = rd_kafka_topic_partition_list_new(8);
		rd_kafka_topic_partition_list_add(l, s->topic, s->partition)->offset = done;
		s->stored = done;
	}
	k->since_store = 0;
	if (l == NULL)
		return;
	err = rd_kafka_offsets_store(k->rk, l);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__STATE)
		fs_warnx("cannot store offsets: %s", rd_kafka_err2str(err));
	rd_kafka_topic_partition_list_destroy(l);
}

/* --- consumer ------------------------------------------------------------ */

/*
 * A helper thread beside the reader (the reaper, the waker): told what
 * to do under mu, woken by cv, stopped by quit. helper_start starts it
 * with every signal blocked, so that signals reach the main thread,
 * whose loops look at sig_stop; -1 when there is no thread.
 */
struct helper {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int quit;
};

static int
helper_start(struct helper *h, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&h->thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
		return -1;
	}
	return 0;
}

/* helper_stop tells the thread to quit and waits for it. */
static void
helper_stop(struct helper *h)
{
	pthread_mutex_lock(&h->mu);
	h->quit = 1;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->thread, NULL);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
}

/*
 * The messages read are destroyed by a thread beside the reader, the
 * reaper, DEAD_MAX at a time: their memory comes from the broker
 * thread's malloc arena, whose lock that thread takes for every message
 * it makes, so a reader freeing them itself waits for it. Large batches
 * keep the reaper's wake-ups rare. If it is still busy with the last
 * batch, the reader destroys the next one itself: memory stays bounded.
 */
struct reaper {
	struct helper h;
	rd_kafka_message_t *inbox[DEAD_MAX];
	size_t n;
};

static void *
reaper_main(void *arg)
{
	struct reaper *r = arg;
	rd_kafka_message_t *batch[DEAD_MAX];
	size_t i, n;

	pthread_mutex_lock(&r->h.mu);
	for (;;) {
		while (r->n == 0 && !r->h.quit)
			pthread_cond_wait(&r->h.cv, &r->h.mu);
		if (r->n == 0)
			break;		/* quit, and all destroyed */
		n = r->n;
		memcpy(batch, r->inbox, n * sizeof batch[0]);
		r->n = 0;
		pthread_mutex_unlock(&r->h.mu);
		for (i = 0; i < n; i++)
			rd_kafka_message_destroy(batch[i]);
		pthread_mutex_lock(&r->h.mu);
	}
	pthread_mutex_unlock(&r->h.mu);
	return NULL;
}

/* destroy_dead destroys, here, the messages done with that are left. */
static void
destroy_dead(struct kafka_in *k)
{
	size_t i;

	for (i = 0; i < k->ndead; i++)
		rd_kafka_message_destroy(k->dead[i]);
	k->ndead = 0;
}

/* bury hands the messages done with to the reaper, or destroys them. */
static void
bury(struct kafka_in *k)
{
	struct reaper *r = k->reaper;

	if (k->ndead == 0)
		return;
	if (r == NULL) {
		r = xcalloc(1, sizeof *r);
		if (helper_start(&r->h, reaper_main, r) != 0) {
			free(r);
			r = NULL;
		}
		k->reaper = r;
	}
	if (r != NULL) {
		pthread_mutex_lock(&r->h.mu);
		if (r->n == 0) {
			memcpy(r->inbox, k->dead, k->ndead * sizeof k->dead[0]);
			r->n = k->ndead;
			k->ndead = 0;
			pthread_cond_signal(&r->h.cv);
		}
		pthread_mutex_unlock(&r->h.mu);
	}
	destroy_dead(k);	/* no reaper, or it is still busy */
}

/* reaper_stop destroys what is left and waits for the reaper to finish. */
static void
reaper_stop(struct kafka_in *k)
{
	struct reaper *r = k->reaper;

	destroy_dead(k);
	if (r == NULL)
		return;
	helper_stop(&r->h);
	free(r);
	k->reaper = NULL;
}

static void
release_current(struct kafka_in *k)
{
	if (k->msg != NULL) {
		k->dead[k->ndead++] = k->msg;
		if (k->ndead == DEAD_MAX)
			bury(k);
		k->msg = NULL;
	}
	if (k->cur != 0) {
		ledger_release(k->cur);
		k->cur = 0;
	}
}

/* debug_parts shows a partition list on stderr when FS_KAFKA_DEBUG is set. */
static void
debug_parts(const char *what, const rd_kafka_topic_partition_list_t *parts)
{
	char line[1024];
	size_t len = 0;
	int i;

	if (!kconf_debug())
		return;
	line[0] = '\0';
	for (i = 0; i < parts->cnt && len < sizeof line - 64; i++)
		len += (size_t)snprintf(line + len, sizeof line - len, " %s[%d]@%lld",
		    parts->elems[i].topic, (int)parts->elems[i].partition,
		    (long long)parts->elems[i].offset);
	fs_warnx("%s:%s", what, line);
}

static void
revoke_parts(struct kafka_in *k, rd_kafka_topic_partition_list_t *parts)
{
	rd_kafka_resp_err_t err;
	int i, si;

	for (i = 0; i < parts->cnt; i++)
		if ((si = slot_find(parts->elems[i].topic, parts->elems[i].partition)) >= 0)
			slots[si].revoking = 1;
	/*
	 * Finish what was read from these partitions: the program's hook
	 * (a sink commits), then every writer delivers what it holds.
	 */
	if (k->on_revoke != NULL)
		k->on_revoke(k->on_revoke_arg);
	ledger_deliver();
	store(k, 1);
	if (kconf_debug()) {
		rd_kafka_topic_partition_list_t *c = rd_kafka_topic_partition_list_copy(parts);

		rd_kafka_position(k->rk, c);
		debug_parts("revoking, positions", c);
		rd_kafka_topic_partition_list_destroy(c);
	}
	err = rd_kafka_commit(k->rk, NULL, 0);
	if (kconf_debug()) {
		rd_kafka_topic_partition_list_t *c = rd_kafka_topic_partition_list_copy(parts);

		rd_kafka_committed(k->rk, c, 2000);
		debug_parts("revoking, committed", c);
		rd_kafka_topic_partition_list_destroy(c);
	}
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
		fs_warnx("cannot commit offsets of revoked partitions: %s", rd_kafka_err2str(err));
	for (i = 0; i < nslots; i++)
		if (slots[i].used && slots[i].revoking) {
			slots[i].eof = 0;
			slot_drop(&slots[i]);
			k->assigned--;
		}
	k->last = NULL;
	k->longname_rkt = NULL;
}

static void
rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct kafka_in *k = opaque;
	int cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
	rd_kafka_error_t *e = NULL;
	const char *o = k->o->offset;
	int i, si;

	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		for (i = 0; i < parts->cnt; i++) {
			si = slot_add(parts->elems[i].topic, parts->elems[i].partition);
			/* --offset beginning/end: where this process first reads a partition. */
			slots[si].start = RD_KAFKA_OFFSET_INVALID;
			if (o != NULL && !slots[si].seen) {
				if (strcmp(o, "beginning") == 0)
					parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
				else if (strcmp(o, "end") == 0)
					parts->elems[i].offset = RD_KAFKA_OFFSET_END;
				slots[si].start = parts->elems[i].offset;
			}
			slots[si].seen = 1;
			k->assigned++;
		}
		debug_parts("assigned", parts);
		if (cooperative)
			e = rd_kafka_incremental_assign(rk, parts);
		else
			rd_kafka_assign(rk, parts);
	} else {
		revoke_parts(k, parts);
		if (cooperative)
			e = rd_kafka_incremental_unassign(rk, parts);
		else
			rd_kafka_assign(rk, NULL);
	}
	if (e != NULL) {
		fs_warnx("cannot change assignment: %s", rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	}
}

/*
 * known_topics makes a handle for each topic subscribed to and asks the
 * brokers about them, until each is known or $FS_KAFKA_TIMEOUT is over:
 * a mistyped topic is an error that names it, not a member waiting for
 * ever. Patterns (^...) are left to librdkafka. It also learns the
 * partitions' leaders before the group assigns any, which librdkafka
 * 2.0.2 would otherwise look up half a second late for the first
 * assignment. -1 (said) when a topic is not known.
 */
static int
known_topics(struct kafka_in *k, const rd_kafka_topic_partition_list_t *sub)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
	rd_kafka_topic_t *rkt;
	char *bad = NULL;
	int64_t until = ts_mono_ms() + kconf_timeout_ms();
	int i, j;

	k->known = xcalloc((size_t)sub->cnt, sizeof *k->known);
	for (i = 0; i < sub->cnt; i++)
		if (sub->elems[i].topic[0] != '^' &&
		    (rkt = rd_kafka_topic_new(k->rk, sub->elems[i].topic, NULL)) != NULL)
			k->known[k->nknown++] = rkt;
	while (k->nknown > 0) {
		bad = NULL;
		/* One request for every topic this handle knows: the ones just made. */
		if ((err = rd_kafka_metadata(k->rk, 0, NULL, &md, 2000)) == RD_KAFKA_RESP_ERR_NO_ERROR) {
			for (j = 0; j < md->topic_cnt && bad == NULL; j++)
				if ((err = md->topics[j].err) == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
				    err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
				    err == RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION)
					bad = xstrdup(md->topics[j].topic);
			rd_kafka_metadata_destroy(md);
			if (bad == NULL)
				return 0;
		}
		if (ts_mono_ms() + 500 > until || sig_stop)
			break;
		free(bad);
		usleep(500 * 1000);
	}
	if (k->nknown == 0)
		return 0;
	fs_warnx("cannot read topic '%s' from brokers '%s': %s (waited %llds; FS_KAFKA_TIMEOUT=SECONDS"
	    " waits longer for a topic to appear)", bad != NULL ? bad : "?", kconf_brokers(k->o),
	    rd_kafka_err2str(err), (long long)(kconf_timeout_ms() / 1000));
	free(bad);
	return -1;
}

struct kafka_in *
kafka_in_open(const struct kafka_opts *o, const char *topics, size_t max_line, int check)
{
	rd_kafka_topic_partition_list_t *sub;
	rd_kafka_conf_t *conf;
	rd_kafka_resp_err_t err;
	struct kafka_in *k;
	const char *group = o->group;
	char errstr[512], num[32], *list, *t, *save;
	size_t msgmax;
	int i;

	if (consumer != NULL)
		fs_errx(EXIT_FAIL, "only one kafka input per program");
	if (group == NULL || *group == '\0')
		group = getenv("FS_KAFKA_GROUP");
	if (group == NULL || *group == '\0')
		group = progname;
	if ((conf = kconf_new(o)) == NULL)
		return NULL;
	if (kconf_set(conf, "group.id", group) != 0 ||
	    kconf_set(conf, "enable.auto.offset.store", "false") != 0 ||
	    kconf_set(conf, "enable.partition.eof", "true") != 0 ||
	    kconf_set(conf, "auto.offset.reset", "earliest") != 0 ||
	    /*
	     * Commit what is stored every second, not every 5: a crash, or
	     * a rebalance whose commit the broker refuses (a group already
	     * rejoining answers REBALANCE_IN_PROGRESS), replays at most
	     * about a second of messages.
	     */
	    kconf_set(conf, "auto.commit.interval.ms", "1000") != 0 ||
	    /*
	     * Past queued.min.messages a partition waits before its next
	     * fetch: fetch.queue.backoff.ms since librdkafka 2.1 (1 s), long
	     * after a backlog's queue ran empty. Before 2.1: watch_queue.
	     */
	    (rd_kafka_version() >= 0x020100ff &&
	    kconf_set(conf, "fetch.queue.backoff.ms", "20") != 0) ||
	    /*
	     * Fetch a little at a time and keep little (1 MiB a fetch,
	     * 10,000 messages waiting), so that messages are still in the
	     * CPU's cache when the program reads them; memory stays small.
	     * Over a slow network, raise both with -X.
	     */
	    kconf_set(conf, "fetch.max.bytes", "1048576") != 0 ||
	    kconf_set(conf, "queued.min.messages", "10000") != 0 ||
	    kconf_apply(o, conf) != 0 ||
	    kconf_set(conf, "enable.auto.offset.store", "false") != 0) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	/* A fetch must hold the largest message: follow -X message.max.bytes. */
	msgmax = kconf_size(conf, "message.max.bytes", 0);
	if (msgmax > 1048576 && !kconf_given(o, "fetch.max.bytes")) {
		snprintf(num, sizeof num, "%zu", msgmax);
		if (kconf_set(conf, "fetch.max.bytes", num) != 0) {
			rd_kafka_conf_destroy(conf);
			return NULL;
		}
	}
	k = xcalloc(1, sizeof *k);
	k->o = o;
	k->session_ms = (int64_t)kconf_size(conf, "session.timeout.ms", 45000);
	k->group = xstrdup(group);
	k->qmin = kconf_size(conf, "queued.min.messages", 100000);
	k->qbytes = kconf_size(conf, "queued.max.messages.kbytes", 65536) * 1024;
	k->max_line = max_line ? max_line : LINE_MAX_DEFAULT;
	k->check = check;
	rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
	rd_kafka_conf_set_opaque(conf, k);
	if ((k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr)) == NULL) {
		fs_warnx("cannot make kafka consumer: %s", errstr);
		rd_kafka_conf_destroy(conf);
		free(k);
		return NULL;
	}
	rd_kafka_poll_set_consumer(k->rk);
	if (kconf_reachable(k->rk, o) != 0) {
		rd_kafka_destroy(k->rk);
		free(k);
		return NULL;
	}
	k->topics = xstrdup(topics);
	sub = rd_kafka_topic_partition_list_new(4);
	list = xstrdup(topics);
	for (t = strtok_r(list, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save))
		rd_kafka_topic_partition_list_add(sub, t, RD_KAFKA_PARTITION_UA);
	free(list);
	if (sub->cnt == 0) {
		fs_warnx("invalid topic list '%s': empty", topics);
		err = RD_KAFKA_RESP_ERR__INVALID_ARG;
	} else if (known_topics(k, sub) != 0)
		err = RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
	else if ((err = rd_kafka_subscribe(k->rk, sub)) != RD_KAFKA_RESP_ERR_NO_ERROR)
		fs_warnx("cannot subscribe to '%s': %s", topics, rd_kafka_err2str(err));
	rd_kafka_topic_partition_list_destroy(sub);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		for (i = 0; i < k->nknown; i++)
			rd_kafka_topic_destroy(k->known[i]);
		free(k->known);
		rd_kafka_destroy(k->rk);
		free(k->topics);
		free(k);
		return NULL;
	}
	k->q = rd_kafka_queue_get_consumer(k->rk);
	consumer = k;
	return k;
}

/*
 * assignment lists the partitions assigned, as the slots know them.
 * rd_kafka_assignment() would ask librdkafka's own thread and wait for
 * its turn on a busy CPU: a stall in the middle of the stream each
 * time the queue runs empty or --stats prints the lag.
 */
static rd_kafka_topic_partition_list_t *
assignment(void)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(nslots > 0 ? nslots : 1);
	int i;

	for (i = 0; i < nslots; i++)
		if (slots[i].used)
			rd_kafka_topic_partition_list_add(l, slots[i].topic, slots[i].partition);
	return l;
}

static int
all_at_end(const struct kafka_in *k)
{
	int i;

	if (k->assigned == 0)
		return 0;
	for (i = 0; i < nslots; i++)
		if (slots[i].used && !slots[i].eof)
			return 0;
	return 1;
}

/*
 * reading_at is where reading a partition goes on, with its position in
 * p: the position, else the slot's start (--offset, or the committed
 * offset once check_end asked for it); RD_KAFKA_OFFSET_INVALID when
 * neither is known. at_watermarks takes END and BEGINNING at the
 * watermarks.
 */
static int64_t
reading_at(const rd_kafka_topic_partition_t *p, int si)
{
	return p->offset >= 0 || si < 0 ? p->offset : slots[si].start;
}

static int64_t
at_watermarks(int64_t off, int64_t lo, int64_t hi)
{
	if (off == RD_KAFKA_OFFSET_END)
		return hi;
	return off == RD_KAFKA_OFFSET_BEGINNING ? lo : off;
}

/*
 * check_end marks the partitions whose next offset is their high
 * watermark. librdkafka says PARTITION_EOF when a fetch reaches the
 * end, but not for a partition that starts there (a group that already
 * read everything), which is how kcat -G -e can wait for ever. So when
 * input is quiet, look: the position, or the committed offset when
 * nothing was read yet, against the high watermark. The watermarks are
 * those the last fetch responses brought (cached, no request). full
 * (after half a second of quiet): also ask the broker, for partitions
 * never fetched or nothing was read from, which needs the committed
 * offsets (a request to the coordinator) and their watermarks.
 */
static void
check_end(struct kafka_in *k, int full)
{
	rd_kafka_topic_partition_list_t *l, *c = NULL;
	rd_kafka_topic_partition_t *p;
	int64_t lo, hi, next;
	int i, si;

	if (k->assigned == 0 || all_at_end(k))
		return;
	l = assignment();
	rd_kafka_position(k->rk, l);
	/* Where nothing was read yet, the start: --offset, else the committed offset. */
	for (i = 0; i < l->cnt; i++) {
		si = slot_find(l->elems[i].topic, l->elems[i].partition);
		if (si < 0 || slots[si].eof)
			continue;
		l->elems[i].offset = reading_at(&l->elems[i], si);
		if (l->elems[i].offset != RD_KAFKA_OFFSET_INVALID || !full)
			continue;	/* known, or left unknown: not at its end */
		if (c == NULL)
			c = rd_kafka_topic_partition_list_new(l->cnt);
		rd_kafka_topic_partition_list_add(c, l->elems[i].topic, l->elems[i].partition);
	}
	if (c != NULL && rd_kafka_committed(k->rk, c, 2000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		rd_kafka_topic_partition_list_destroy(c);
		rd_kafka_topic_partition_list_destroy(l);
		return;
	}
	for (i = 0; i < l->cnt; i++) {
		si = slot_find(l->elems[i].topic, l->elems[i].partition);
		if (si < 0 || slots[si].eof)
			continue;
		next = l->elems[i].offset;
		if (next == RD_KAFKA_OFFSET_INVALID && !full)
			continue;
		if (next == RD_KAFKA_OFFSET_INVALID && c != NULL &&
		    (p = rd_kafka_topic_partition_list_find(c, l->elems[i].topic,
		    l->elems[i].partition)) != NULL) {
			next = p->offset;
			if (next >= 0)
				slots[si].start = next;	/* for the lag, too */
		}
		/*
		 * The watermarks the fetches brought, cached: asking the broker
		 * waits behind the fetch long-polls, so only the full look, after
		 * half a second of quiet, asks.
		 */
		if (rd_kafka_get_watermark_offsets(k->rk, l->elems[i].topic,
		    l->elems[i].partition, &lo, &hi) != RD_KAFKA_RESP_ERR_NO_ERROR ||
		    hi < 0 || (lo < 0 && next < 0)) {
			if (!full)
				continue;
			if (rd_kafka_query_watermark_offsets(k->rk, l->elems[i].topic,
			    l->elems[i].partition, &lo, &hi, 2000) != RD_KAFKA_RESP_ERR_NO_ERROR)
				continue;
		}
		if (next == RD_KAFKA_OFFSET_INVALID)	/* nothing committed */
			next = k->o->offset != NULL && strcmp(k->o->offset, "end") == 0 ? hi : lo;
		next = at_watermarks(next, lo, hi);
		if (next >= hi)
			slots[si].eof = 1;
	}
	if (c != NULL)
		rd_kafka_topic_partition_list_destroy(c);
	rd_kafka_topic_partition_list_destroy(l);
}

/* message_slot finds the slot of a message's partition, the last one first. */
static int
message_slot(struct kafka_in *k, const rd_kafka_message_t *m)
{
	const char *topic;
	int si;

	if (k->last != NULL && k->last->rkt == m->rkt && k->last->partition == m->partition &&
	    k->last->used)
		return (int)(k->last - slots);
	topic = rd_kafka_topic_name(m->rkt);
	if ((si = slot_find(topic, m->partition)) < 0)
		si = slot_add(topic, m->partition);	/* not announced: track it anyway */
	slots[si].rkt = m->rkt;
	k->last = &slots[si];
	return si;
}

static void
fill_line(struct kafka_in *k, const rd_kafka_message_t *m, struct line *l)
{
	const char *p = m->payload ? m->payload : "";
	size_t n = m->payload ? m->len : 0;
	const char *topic;

	memset(l, 0, sizeof *l);
	if (n > 0 && p[n - 1] == '\n') {
		n--;
		if (n > 0 && p[n - 1] == '\r') {
			n--;
			l->flags |= LINE_CRLF;
		}
	} else
		l->flags |= LINE_NO_NL;
	l->full_len = n;
	if (n > k->max_line) {
		n = k->max_line;
		l->flags |= LINE_TOO_LONG;
	}
	l->p = p;
	l->len = n;
	l->bad_offset = -1;
	if (k->check)
		line_check(l);
	/* The name changes with the topic only: no formatting per message. */
	if (m->rkt != k->longname_rkt) {
		topic = rd_kafka_topic_name(m->rkt);
		snprintf(k->longname, sizeof k->longname, "kafka:%s", topic);
		k->longname_rkt = m->rkt;
	}
	l->file = k->longname;
	l->lineno = (uint64_t)m->offset + 1;
	l->tok = k->cur;
}

/*
 * unassigned looks, while input is quiet, at a member that has no
 * partitions: with -v, --stats or -e it says so after 10 s, since a member that
 * was killed without leaving holds its partitions until its session
 * ends; with -e it gives up (1) once that session and $FS_KAFKA_TIMEOUT
 * are over, counted as an input error.
 */
#define UNASSIGNED_SAY_MS 10000

static int
unassigned(struct kafka_in *k)
{
	int64_t now = ts_mono_ms(), waited;

	if (k->assigned > 0) {
		k->unassigned_ms = 0;
		k->said_unassigned = 0;
		return 0;
	}
	if (k->unassigned_ms == 0)
		k->unassigned_ms = now;
	waited = now - k->unassigned_ms;
	if (!k->said_unassigned && waited >= UNASSIGNED_SAY_MS &&
	    (k->o->say_waits || k->o->exit_at_end)) {
		fs_warnx("no partitions of group '%s' after %llds (a member killed without leaving"
		    " holds them until its session ends: session.timeout.ms %lld)", k->group,
		    (long long)(waited / 1000), (long long)k->session_ms);
		k->said_unassigned = 1;
	}
	if (!k->o->exit_at_end || waited < k->session_ms + kconf_timeout_ms())
		return 0;
	fs_warnx("-e: no partitions of group '%s' after %llds: nothing to read", k->group,
	    (long long)(waited / 1000));
	k->errors++;
	return 1;
}

int
kafka_in_read(struct kafka_in *k, struct line *l, void (*idle)(void *), void *idle_arg)
{
	rd_kafka_message_t *m;
	struct slot *s;
	int wait = 0, si;

	release_current(k);
	for (;;) {
		if (sig_stop) {
			store(k, 0);
			return -1;
		}
		if (++k->since_store >= STORE_EVERY)
			store(k, 0);
		m = rd_kafka_consumer_poll(k->rk, wait ? 100 : 0);
		if (m == NULL) {
			/*
			 * Quiet: at once and then every 100 ms against the
			 * watermarks the fetches brought (EOF comes only after a
			 * fetch long-poll, half a second); every 500 ms also the
			 * partitions not read yet.
			 */
			if (k->o->exit_at_end)
				check_end(k, wait && ++k->quiet % 5 == 0);
			if (k->o->exit_at_end && all_at_end(k))
				return 0;
			if (unassigned(k))
				return 0;
			if (k->throttled)
				watch_queue(k, 1);
			bury(k);	/* quiet: no fetch buffer kept for a few messages */
			/* Quiet: deliver what is held and store what is finished. */
			if (idle != NULL)
				idle(idle_arg);
			store(k, 0);
			wait = 1;
			continue;
		}
		wait = 0;
		k->quiet = 0;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			si = message_slot(k, m);
			slots[si].eof = 1;
			rd_kafka_message_destroy(m);
			if (k->o->exit_at_end && all_at_end(k)) {
				if (idle != NULL)
					idle(idle_arg);
				return 0;
			}
			continue;
		}
		if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			fs_warnx("kafka: %s", rd_kafka_message_errstr(m));
			if (m->err == RD_KAFKA_RESP_ERR__FATAL ||
			    m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
			    m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
			    m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
			    m->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED ||
			    m->err == RD_KAFKA_RESP_ERR_INVALID_SESSION_TIMEOUT ||
			    m->err == RD_KAFKA_RESP_ERR_INVALID_GROUP_ID ||
			    m->err == RD_KAFKA_RESP_ERR_INCONSISTENT_GROUP_PROTOCOL ||
			    m->err == RD_KAFKA_RESP_ERR_GROUP_MAX_SIZE_REACHED) {
				k->errors++;
				rd_kafka_message_destroy(m);
				return 0;
			}
			rd_kafka_message_destroy(m);
			continue;
		}
		k->lensum += m->len;
		if (++k->nread % WATCH_EVERY == 0)
			watch_queue(k, 0);
		si = message_slot(k, m);
		s = &slots[si];
		s->eof = 0;
		k->cur = ledger_push(si, m->offset);
		k->msg = m;
		fill_line(k, m, l);
		return 1;
	}
}

/*
 * lag sums, over the assigned partitions, the messages between the
 * position and the high watermark the last fetch response brought.
 * Where nothing was read yet, the position is the start (reading_at),
 * else the low watermark: at most the messages left. A partition whose
 * watermark is not known yet (not fetched from), or none of those, counts
 * for nothing and sets *partial: the sum is then a lower bound. Returns
 * -1 when nothing is assigned (before the first assignment, in a
 * rebalance).
 */
static int64_t
lag(struct kafka_in *k, int *partial)
{
	rd_kafka_topic_partition_list_t *l;
	int64_t n = 0, lo, hi, pos;
	int i;

	*partial = 0;
	if (k == NULL)
		return -1;
	l = assignment();
	if (l->cnt == 0) {
		rd_kafka_topic_partition_list_destroy(l);
		return -1;
	}
	rd_kafka_position(k->rk, l);
	for (i = 0; i < l->cnt; i++) {
		if (rd_kafka_get_watermark_offsets(k->rk, l->elems[i].topic, l->elems[i].partition,
		    &lo, &hi) != RD_KAFKA_RESP_ERR_NO_ERROR || hi < 0) {
			*partial = 1;
			continue;
		}
		pos = at_watermarks(reading_at(&l->elems[i],
		    slot_find(l->elems[i].topic, l->elems[i].partition)), lo, hi);
		if (pos == RD_KAFKA_OFFSET_INVALID)
			pos = lo;	/* the committed offset not asked yet: at most */
		if (pos < 0) {
			*partial = 1;	/* no position, no start, no low watermark */
			continue;
		}
		if (hi > pos)
			n += hi - pos;
	}
	rd_kafka_topic_partition_list_destroy(l);
	return n;
}

/*
 * kafka_in_lag is the lag --stats says: -1, not said, when it is not
 * known, including a lower bound of 0. So a lag of 0 says that every
 * assigned partition was read to its end, never that nothing is known.
 */
int64_t
kafka_in_lag(struct kafka_in *k)
{
	int64_t n;
	int partial;

	n = lag(k, &partial);
	return partial && n == 0 ? -1 : n;
}

int
kafka_in_errors(const struct kafka_in *k)
{
	return k ? k->errors : 0;
}

void
kafka_in_on_revoke(struct kafka_in *k, void (*fn)(void *), void *arg)
{
	k->on_revoke = fn;
	k->on_revoke_arg = arg;
}

void
kafka_in_close(struct kafka_in *k, int64_t *lag_at_close)
{
	rd_kafka_resp_err_t err;
	int i;

	if (k == NULL)
		return;
	release_current(k);
	ledger_deliver();
	*lag_at_close = kafka_in_lag(k);
	store(k, 0);
	err = rd_kafka_commit(k->rk, NULL, 0);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
		fs_warnx("cannot commit offsets: %s", rd_kafka_err2str(err));
		k->errors++;
	}
	waker_stop(k);
	reaper_stop(k);
	/* Leaving the group revokes: nothing more to do for those partitions. */
	k->on_revoke = NULL;
	rd_kafka_consumer_close(k->rk);
	for (i = 0; i < k->nknown; i++)
		rd_kafka_topic_destroy(k->known[i]);
	free(k->known);
	rd_kafka_queue_destroy(k->q);
	rd_kafka_destroy(k->rk);
	for (i = 0; i < nslots; i++) {
		free(slots[i].topic);
		memset(&slots[i], 0, sizeof slots[i]);
	}
	nslots = 0;
	ledger_reset();
	consumer = NULL;
	free(k->topics);
	free(k->group);
	free(k);
}

/*
 * --- Workarounds for librdkafka 2.0.2 (Debian 12's) ---------------------
 * Each says what it works around; both can go once 2.1 or later is the
 * oldest librdkafka the suite runs on.
 */

/*
 * watch_queue (librdkafka 2.0.2; 2.1 has fetch.queue.backoff.ms): when
 * more than queued.min.messages or queued.max.messages.kbytes wait in
 * the consumer queue, a broker thread stops fetching and looks again
 * only when something wakes it (a response, a timer: up to a second),
 * long after a program working through a backlog emptied the queue. So
 * when the queue was full and is almost empty, wake the broker that
 * leads the first assigned partition with a cheap request (its
 * watermarks, asked by the waker thread). The queue is looked at every
 * WATCH_EVERY messages and whenever it is found empty; its bytes are
 * its length times the mean size of the last WATCH_EVERY messages.
 */
struct waker {
	struct helper h;
	rd_kafka_t *rk;
	int pending;
	char topic[256];	/* Kafka topic names are at most 249 bytes */
	int32_t partition;
};

/*
 * waker_main asks for the watermarks whenever told to. It runs beside
 * the reader because the answer can take long: the broker answers the
 * requests of one connection in order, so behind a fetch that waits
 * for data (fetch.wait.max.ms, at the end of a backlog) comes this one.
 * The reader goes on with what is queued meanwhile.
 */
static void *
waker_main(void *arg)
{
	struct waker *w = arg;
	char topic[sizeof w->topic];
	int32_t partition;
	int64_t lo, hi;

	pthread_mutex_lock(&w->h.mu);
	for (;;) {
		while (!w->pending && !w->h.quit)
			pthread_cond_wait(&w->h.cv, &w->h.mu);
		if (w->h.quit)
			break;
		memcpy(topic, w->topic, sizeof topic);
		partition = w->partition;
		w->pending = 0;
		pthread_mutex_unlock(&w->h.mu);
		rd_kafka_query_watermark_offsets(w->rk, topic, partition, &lo, &hi, 1000);
		pthread_mutex_lock(&w->h.mu);
	}
	pthread_mutex_unlock(&w->h.mu);
	return NULL;
}

static void
wake_broker(struct kafka_in *k, const char *topic, int32_t partition)
{
	struct waker *w = k->waker;
	int64_t lo, hi;

	if (w == NULL) {
		w = xcalloc(1, sizeof *w);
		w->rk = k->rk;
		if (helper_start(&w->h, waker_main, w) != 0) {
			/* No thread: ask here, and wait for the answer. */
			free(w);
			rd_kafka_query_watermark_offsets(k->rk, topic, partition, &lo, &hi, 1000);
			return;
		}
		k->waker = w;
	}
	pthread_mutex_lock(&w->h.mu);
	snprintf(w->topic, sizeof w->topic, "%s", topic);
	w->partition = partition;
	w->pending = 1;
	pthread_cond_signal(&w->h.cv);
	pthread_mutex_unlock(&w->h.mu);
}

static void
waker_stop(struct kafka_in *k)
{
	struct waker *w = k->waker;

	if (w == NULL)
		return;
	helper_stop(&w->h);
	free(w);
	k->waker = NULL;
}

static void
watch_queue(struct kafka_in *k, int empty)
{
	size_t len = empty ? 0 : rd_kafka_queue_length(k->q);
	size_t bytes = len * (k->lensum / WATCH_EVERY);
	int64_t n;
	int i, partial;

	if (!empty)
		k->lensum = 0;
	if (len >= k->qmin / 2 || bytes >= k->qbytes / 2) {
		k->throttled = 1;
		return;
	}
	if (!k->throttled || len > k->qmin / 8 || bytes > k->qbytes / 8)
		return;
	k->throttled = 0;
	/*
	 * All fetched, as the last fetch responses tell (a backlog's end):
	 * no need to wake, and the request would only wait behind the fetch
	 * that waits for new data.
	 */
	if ((n = lag(k, &partial)) >= 0 && !partial && (uint64_t)n <= len)
		return;
	for (i = 0; i < nslots; i++)
		if (slots[i].used && !slots[i].revoking) {
			wake_broker(k, slots[i].topic, slots[i].partition);
			break;
		}
}
