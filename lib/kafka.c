/*
 * kafka: topics as input and output. See kafka.h for the delivery rules.
 *
 * The consumer keeps, per assigned partition, a ring of the messages
 * read and not yet finished, each with a count of holds. A token names
 * one entry: the partition's slot, the slot's generation (so a token of
 * a revoked partition is recognised as stale) and a sequence number.
 * When the oldest entries reach zero holds the ring moves on and the
 * partition's offset to store becomes the next one.
 */
#include <errno.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "buf.h"
#include "cli.h"
#include "json.h"
#include "kafka.h"
#include "ndjson.h"

struct kafka_conf kafka_conf;

#define SLOT_BITS 12
#define GEN_BITS 8
#define SEQ_BITS (64 - SLOT_BITS - GEN_BITS)
#define MAX_SLOTS KAFKA_MAX_SLOTS	/* 1 << SLOT_BITS */
#define SEQ_MASK ((UINT64_C(1) << SEQ_BITS) - 1)
#define GEN_MASK ((1u << GEN_BITS) - 1)
#define STORE_EVERY 1024	/* messages between offset stores */
#define WATCH_EVERY 64		/* messages between looks at the queue's length */
#define DR_REPORT_MAX 5		/* delivery errors reported one by one */
#define PEND_MAX 1024		/* records a writer gathers before producing them as a batch */
#define PEND_BYTES (256 * 1024)	/* their bytes */
#define DEAD_MAX 2048		/* messages read, handed to the reaper together */

static void serve_reports(void);

struct entry {
	int64_t offset;
	uint32_t holds;
};

struct slot {
	int used;
	unsigned gen;
	char *topic;
	int32_t partition;
	rd_kafka_topic_t *rkt;	/* as last seen in a message, for a fast match */
	struct entry *ring;
	size_t cap, head, n;	/* circular: ring[head] is the oldest unfinished */
	uint64_t base;		/* sequence number of ring[head] */
	int64_t done;		/* offset to store (next to read after the finished run), -1 none */
	int64_t stored;		/* last offset given to offsets_store */
	int eof;
	int revoking;
	int seen;		/* was assigned before in this process */
	int64_t start;		/* --offset at this assignment, else RD_KAFKA_OFFSET_INVALID */
};

struct kafka_in {
	rd_kafka_t *rk;
	char *topics;
	size_t max_line;
	int check;
	rd_kafka_message_t *msg;	/* handed out, destroyed on the next read */
	kafka_tok cur;
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
	rd_kafka_topic_t **warm;	/* see warm_topics */
	int nwarm;
};

static int64_t lag(struct kafka_in *k, int *partial);

static struct slot slots[MAX_SLOTS];
static int nslots;
static struct kafka_in *consumer;	/* one per process */
static int64_t lag_at_close = -1;

const char *
kafka_uri(const char *name)
{
	if (name != NULL && strncmp(name, "kafka:", 6) == 0)
		return name + 6;
	return NULL;
}

static int
check_prop(const char *prop, const char *eq)
{
	rd_kafka_conf_t *conf;
	char name[256], err[512];
	int rc = 0;

	if ((size_t)(eq - prop) >= sizeof name) {
		fs_warnx("invalid property '%s': name too long", prop);
		return -1;
	}
	memcpy(name, prop, (size_t)(eq - prop));
	name[eq - prop] = '\0';
	conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, name, eq + 1, err, sizeof err) != RD_KAFKA_CONF_OK) {
		fs_warnx("invalid property '%s': %s", prop, err);
		rc = -1;
	}
	rd_kafka_conf_destroy(conf);
	return rc;
}

int
kafka_option(const char *prop)
{
	const char *eq = strchr(prop, '=');

	if (eq == NULL || eq == prop) {
		fs_warnx("invalid property '%s': not name=value", prop);
		return -1;
	}
	/*
	 * Check the name and the value now, on a scratch configuration, so
	 * that a misspelt property is a usage error, as in kcat, and not a
	 * failure once the program runs.
	 */
	if (check_prop(prop, eq) != 0)
		return -1;
	if (kafka_conf.nprops >= KAFKA_MAX_PROPS) {
		fs_warnx("too many -X properties (at most %d)", KAFKA_MAX_PROPS);
		return -1;
	}
	kafka_conf.props[kafka_conf.nprops++] = prop;
	return 0;
}

static const char *
brokers(void)
{
	const char *b = kafka_conf.brokers;

	if (b == NULL || *b == '\0')
		b = getenv("FS_KAFKA_BROKERS");
	if (b == NULL || *b == '\0')
		b = "localhost:9092";
	return b;
}

static int64_t
timeout_ms(void)
{
	const char *s = getenv("FS_KAFKA_TIMEOUT");
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return 10000;
	v = strtod(s, &end);
	if (*end != '\0' || !(v > 0) || v > 86400) {
		fs_warnx("invalid FS_KAFKA_TIMEOUT '%s': not seconds; using 10", s);
		return 10000;
	}
	return (int64_t)(v * 1000);
}

static int
set(rd_kafka_conf_t *conf, const char *name, const char *value)
{
	char err[512];

	if (rd_kafka_conf_set(conf, name, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
		fs_warnx("invalid kafka property '%s=%s': %s", name, value, err);
		return -1;
	}
	return 0;
}

/* user_prop tells whether the user gave -X name=... */
static int
user_prop(const char *name)
{
	size_t n = strlen(name);
	int i;

	for (i = 0; i < kafka_conf.nprops; i++)
		if (strncmp(kafka_conf.props[i], name, n) == 0 && kafka_conf.props[i][n] == '=')
			return 1;
	return 0;
}

/* apply_props sets the user's -X properties, which win over the defaults set before. */
static int
apply_props(rd_kafka_conf_t *conf)
{
	char name[256];
	const char *eq;
	int i;

	for (i = 0; i < kafka_conf.nprops; i++) {
		eq = strchr(kafka_conf.props[i], '=');
		if ((size_t)(eq - kafka_conf.props[i]) >= sizeof name) {
			fs_warnx("invalid property '%s': name too long", kafka_conf.props[i]);
			return -1;
		}
		memcpy(name, kafka_conf.props[i], (size_t)(eq - kafka_conf.props[i]));
		name[eq - kafka_conf.props[i]] = '\0';
		if (set(conf, name, eq + 1) != 0)
			return -1;
	}
	return 0;
}

static void
log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	/* librdkafka's own log only with -v: what matters comes back as errors. */
	if (kafka_conf.verbose > 0 || getenv("FS_KAFKA_DEBUG") != NULL)
		fprintf(stderr, "%s: kafka: %s: %s\n", progname, fac, buf);
}

/*
 * tune_malloc keeps glibc from giving memory back to the system as
 * soon as it is free. With Kafka, messages are allocated by one thread
 * and freed by another in bursts (a fetch response, a batch of
 * delivery reports), so the top of the heap is freed and trimmed, then
 * grown and faulted in again, thousands of times a second: a tenth of
 * the Kafka-to-Kafka rate (runs on the bench's set-up). Freed memory
 * now stays until 64 MiB of it sits at the top, and the heap grows
 * 16 MiB at a time (address space: pages count only once touched).
 * GLIBC_TUNABLES with malloc settings wins.
 */
static void
tune_malloc(void)
{
#if defined(__GLIBC__)
	static int done;
	const char *t = getenv("GLIBC_TUNABLES");

	if (done++ || (t != NULL && strstr(t, "glibc.malloc.") != NULL))
		return;
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_TOP_PAD, 16 << 20);
#endif
}

static rd_kafka_conf_t *
new_conf(void)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	tune_malloc();

	if (set(conf, "bootstrap.servers", brokers()) != 0 ||
	    set(conf, "client.id", progname) != 0 ||
	    set(conf, "log.connection.close", "false") != 0) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_log_cb(conf, log_cb);
	return conf;
}

/* reachable waits up to FS_KAFKA_TIMEOUT for a broker to answer a metadata request. */
static int
reachable(rd_kafka_t *rk)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_resp_err_t err;
	int64_t left = timeout_ms(), step;

	for (;;) {
		step = left < 1000 ? left : 1000;
		err = rd_kafka_metadata(rk, 0, NULL, &md, (int)step);
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			rd_kafka_metadata_destroy(md);
			return 0;
		}
		left -= step;
		if (left <= 0 || cli_stop) {
			fs_warnx("cannot reach kafka brokers '%s': %s", brokers(), rd_kafka_err2str(err));
			return -1;
		}
	}
}

/* --- tokens -------------------------------------------------------------- */

static kafka_tok
tok_make(int si, uint64_t seq)
{
	return ((uint64_t)si << (GEN_BITS + SEQ_BITS)) |
	    ((uint64_t)(slots[si].gen & GEN_MASK) << SEQ_BITS) | (seq & SEQ_MASK);
}

/* tok_entry finds a live token's slot and entry; NULL when stale. */
static struct entry *
tok_entry(kafka_tok t, struct slot **sp)
{
	unsigned si = (unsigned)(t >> (GEN_BITS + SEQ_BITS));
	unsigned gen = (unsigned)(t >> SEQ_BITS) & GEN_MASK;
	uint64_t seq = t & SEQ_MASK, i;
	struct slot *s;

	if (t == 0 || si >= (unsigned)nslots)
		return NULL;
	s = &slots[si];
	if (!s->used || (s->gen & GEN_MASK) != gen || seq < s->base)
		return NULL;
	i = seq - s->base;
	if (i >= s->n)
		return NULL;
	*sp = s;
	return &s->ring[(s->head + i) % s->cap];
}

kafka_tok
kafka_current(void)
{
	return consumer ? consumer->cur : 0;
}

kafka_tok
kafka_hold(kafka_tok t)
{
	struct slot *s;
	struct entry *e = tok_entry(t, &s);

	if (e == NULL)
		return 0;
	e->holds++;
	return t;
}

void
kafka_release(kafka_tok t)
{
	struct slot *s;
	struct entry *e = tok_entry(t, &s);

	if (e == NULL || e->holds == 0)
		return;
	if (--e->holds != 0 || e != &s->ring[s->head])
		return;
	while (s->n > 0 && s->ring[s->head].holds == 0) {
		s->done = s->ring[s->head].offset + 1;
		s->head = (s->head + 1) % s->cap;
		s->base++;
		s->n--;
	}
}

int
kafka_tok_where(kafka_tok t, int *slot, int64_t *offset)
{
	struct slot *s;
	struct entry *e = tok_entry(t, &s);

	if (e == NULL)
		return -1;
	*slot = (int)(s - slots);
	*offset = e->offset;
	return 0;
}

static kafka_tok
push(int si, int64_t offset)
{
	struct slot *s = &slots[si];
	struct entry *ring;
	size_t i;

	if (s->n == s->cap) {
		ring = xmalloc((s->cap ? s->cap * 2 : 1024) * sizeof *ring);
		for (i = 0; i < s->n; i++)
			ring[i] = s->ring[(s->head + i) % s->cap];
		free(s->ring);
		s->ring = ring;
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->head = 0;
	}
	s->ring[(s->head + s->n) % s->cap] = (struct entry){ offset, 1 };
	s->n++;
	return tok_make(si, s->base + s->n - 1);
}

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
		if (nslots == MAX_SLOTS)
			fs_errx(EXIT_FAIL, "too many partitions assigned (at most %d)", MAX_SLOTS);
		nslots++;
	}
	if (slots[i].topic == NULL) {
		slots[i].topic = xstrdup(topic);
		slots[i].partition = partition;
	}
	slots[i].used = 1;
	slots[i].gen++;
	slots[i].rkt = NULL;
	slots[i].head = slots[i].n = 0;
	slots[i].done = slots[i].stored = -1;
	slots[i].eof = 0;
	slots[i].revoking = 0;
	slots[i].start = RD_KAFKA_OFFSET_INVALID;
	return i;
}

static void
slot_drop(struct slot *s)
{
	s->used = 0;
	s->gen++;
	s->n = s->head = 0;
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

		if (!s->used || s->done < 0 || s->done == s->stored ||
		    (revoking_only && !s->revoking))
			continue;
		if (l == NULL)
			l = rd_kafka_topic_partition_list_new(8);
		rd_kafka_topic_partition_list_add(l, s->topic, s->partition)->offset = s->done;
		s->stored = s->done;
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
 * whose loops look at cli_stop; -1 when there is no thread.
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
 * reaper, DEAD_MAX at a time. Their memory comes from the broker
 * thread's malloc arena, and glibc frees a chunk under its arena's
 * lock, which that thread takes for every message it makes: a reader
 * that freed them itself found the lock taken some hundreds of times
 * a million messages and slept each time for its turn on a busy CPU,
 * and the frees were a twentieth of its time. The reaper sleeps there
 * instead; large batches keep its wake-ups (each can put it in the
 * reader's place on the CPU) rare. If it is still busy with the last
 * batch, the reader destroys the next one itself: memory stays
 * bounded.
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
		kafka_release(k->cur);
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

	if (getenv("FS_KAFKA_DEBUG") == NULL)
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
	ndjson_flush_all();
	store(k, 1);
	if (getenv("FS_KAFKA_DEBUG") != NULL) {
		rd_kafka_topic_partition_list_t *c = rd_kafka_topic_partition_list_copy(parts);

		rd_kafka_position(k->rk, c);
		debug_parts("revoking, positions", c);
		rd_kafka_topic_partition_list_destroy(c);
	}
	err = rd_kafka_commit(k->rk, NULL, 0);
	if (getenv("FS_KAFKA_DEBUG") != NULL) {
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
	const char *o = kafka_conf.offset;
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

/* conf_size reads a numeric property; def when unset or not a positive number. */
static size_t
conf_size(rd_kafka_conf_t *conf, const char *name, size_t def)
{
	char v[64];
	size_t vlen = sizeof v;
	unsigned long long n;

	if (rd_kafka_conf_get(conf, name, v, &vlen) != RD_KAFKA_CONF_OK ||
	    (n = strtoull(v, NULL, 10)) == 0)
		return def;
	return (size_t)n;
}

/*
 * warm_topics makes a handle for each subscribed topic and learns its
 * partitions' leaders before the group assigns any. Without it, the
 * partitions of the first assignment have no broker yet when their
 * start offsets are looked up, and librdkafka 2.0 retries each such
 * lookup half a second later ("migrating to new broker"): a consumer
 * started on a backlog read some partitions that much late.
 */
static void
warm_topics(struct kafka_in *k, const rd_kafka_topic_partition_list_t *sub)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_t *rkt;
	int i;

	k->warm = xcalloc((size_t)sub->cnt, sizeof *k->warm);
	for (i = 0; i < sub->cnt; i++) {
		if (sub->elems[i].topic[0] == '^')
			continue;	/* a pattern (librdkafka takes them), not a topic */
		if ((rkt = rd_kafka_topic_new(k->rk, sub->elems[i].topic, NULL)) != NULL)
			k->warm[k->nwarm++] = rkt;
	}
	/* One request for every topic this handle knows: the ones just made. */
	if (k->nwarm > 0 && rd_kafka_metadata(k->rk, 0, NULL, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR)
		rd_kafka_metadata_destroy(md);
}

struct kafka_in *
kafka_in_open(const char *topics, size_t max_line, int check)
{
	rd_kafka_topic_partition_list_t *sub;
	rd_kafka_conf_t *conf;
	rd_kafka_resp_err_t err;
	struct kafka_in *k;
	const char *group = kafka_conf.group;
	char errstr[512], num[32], *list, *t, *save;
	size_t msgmax;

	if (consumer != NULL)
		fs_errx(EXIT_FAIL, "only one kafka input per program");
	if (group == NULL || *group == '\0')
		group = getenv("FS_KAFKA_GROUP");
	if (group == NULL || *group == '\0')
		group = progname;
	if ((conf = new_conf()) == NULL)
		return NULL;
	if (set(conf, "group.id", group) != 0 ||
	    set(conf, "enable.auto.offset.store", "false") != 0 ||
	    set(conf, "enable.partition.eof", "true") != 0 ||
	    set(conf, "auto.offset.reset", "earliest") != 0 ||
	    /*
	     * Commit what is stored every second, not every 5: a crash, or
	     * a rebalance whose commit the broker refuses (a group already
	     * rejoining answers REBALANCE_IN_PROGRESS), replays at most
	     * about a second of messages.
	     */
	    set(conf, "auto.commit.interval.ms", "1000") != 0 ||
	    /*
	     * When more is fetched than queued.min.messages (100,000) a
	     * partition waits before its next fetch: fetch.queue.backoff.ms
	     * since librdkafka 2.1 (1 s). A program working through a backlog
	     * empties the queue in a fraction of that, then sits idle; 20 ms
	     * keeps it fed. Before 2.1 the wait is not configurable: see
	     * watch_queue.
	     */
	    (rd_kafka_version() >= 0x020100ff &&
	    set(conf, "fetch.queue.backoff.ms", "20") != 0) ||
	    /*
	     * Fetch a little at a time and keep little: 1 MiB per fetch
	     * response (50 MiB by default) and 10,000 messages waiting (not
	     * 100,000). The messages are then still in the CPU's cache
	     * when the program reads them, and a backlog goes through half
	     * as fast again (runs on the bench's set-up); memory stays
	     * small. Over a slow network, raise both with -X.
	     */
	    set(conf, "fetch.max.bytes", "1048576") != 0 ||
	    set(conf, "queued.min.messages", "10000") != 0 ||
	    apply_props(conf) != 0 ||
	    set(conf, "enable.auto.offset.store", "false") != 0) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	/* A fetch must hold the largest message: follow -X message.max.bytes. */
	msgmax = conf_size(conf, "message.max.bytes", 0);
	if (msgmax > 1048576 && !user_prop("fetch.max.bytes")) {
		snprintf(num, sizeof num, "%zu", msgmax);
		if (set(conf, "fetch.max.bytes", num) != 0) {
			rd_kafka_conf_destroy(conf);
			return NULL;
		}
	}
	k = xcalloc(1, sizeof *k);
	k->qmin = conf_size(conf, "queued.min.messages", 100000);
	k->qbytes = conf_size(conf, "queued.max.messages.kbytes", 65536) * 1024;
	k->max_line = max_line ? max_line : NDJSON_MAX_LINE_DEFAULT;
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
	if (reachable(k->rk) != 0) {
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
	} else if ((err = rd_kafka_subscribe(k->rk, sub)) != RD_KAFKA_RESP_ERR_NO_ERROR)
		fs_warnx("cannot subscribe to '%s': %s", topics, rd_kafka_err2str(err));
	else
		warm_topics(k, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
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
		 * The watermarks each fetch response brings, cached. Asking the
		 * broker (ListOffsets) waits behind the fetch long-polls, half a
		 * second, and a consumer that found its queue empty for 100 ms
		 * in the middle of a backlog (a partition not fetched yet) sat
		 * that long with records coming: only the full look, after
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
			next = kafka_conf.offset != NULL && strcmp(kafka_conf.offset, "end") == 0 ? hi : lo;
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
fill_line(struct kafka_in *k, const rd_kafka_message_t *m, struct ndjson_line *l)
{
	const char *p = m->payload ? m->payload : "";
	size_t n = m->payload ? m->len : 0;
	const char *topic;

	memset(l, 0, sizeof *l);
	if (n > 0 && p[n - 1] == '\n') {
		n--;
		if (n > 0 && p[n - 1] == '\r') {
			n--;
			l->flags |= NDJSON_CRLF;
		}
	} else
		l->flags |= NDJSON_NO_NL;
	l->full_len = n;
	if (n > k->max_line) {
		n = k->max_line;
		l->flags |= NDJSON_TOO_LONG;
	}
	l->p = p;
	l->len = n;
	l->bad_offset = -1;
	if (k->check)
		ndjson_check_line(l);
	/* The name changes with the topic only: no formatting per message. */
	if (m->rkt != k->longname_rkt) {
		topic = rd_kafka_topic_name(m->rkt);
		snprintf(k->longname, sizeof k->longname, "kafka:%s", topic);
		k->longname_rkt = m->rkt;
	}
	l->file = k->longname;
	l->lineno = (uint64_t)m->offset + 1;
}

/*
 * watch_queue works around a stall of librdkafka 2.0: when more than
 * queued.min.messages or queued.max.messages.kbytes are fetched and
 * waiting (in the consumer queue, all partitions together), a broker
 * thread stops fetching and only looks again when something wakes it
 * (a response, a timer: up to a second). A program working through a
 * backlog empties the queue long before, then waits with nothing to
 * do, and reads at half its speed (at a fiftieth with a small
 * queued.min.messages). So when the queue was full and is almost
 * empty, or empty, wake the broker that leads the first assigned
 * partition with a cheap request (its watermarks, asked by a thread
 * beside the reader: see waker_main). With one broker (or
 * the partitions' leaders on one) that is all of them; other brokers'
 * threads still wake on their own. librdkafka 2.1 has
 * fetch.queue.backoff.ms instead. The queue is looked at every
 * WATCH_EVERY messages (a lock each) and whenever it is found empty;
 * its size in bytes is its length times the mean size of the last
 * WATCH_EVERY messages read.
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
	 * All fetched, as far as the last fetch responses tell (the end of
	 * a backlog): no need to wake, and the request would only wait
	 * behind the fetch that waits for new data (and the close behind
	 * it). Messages written since then wait at most for the broker
	 * thread's own second.
	 */
	if ((n = lag(k, &partial)) >= 0 && !partial && (uint64_t)n <= len)
		return;
	for (i = 0; i < nslots; i++)
		if (slots[i].used && !slots[i].revoking) {
			wake_broker(k, slots[i].topic, slots[i].partition);
			break;
		}
}

int
kafka_in_read(struct kafka_in *k, struct ndjson_line *l, void (*idle)(void *), void *idle_arg)
{
	rd_kafka_message_t *m;
	struct slot *s;
	int wait = 0, si;

	release_current(k);
	for (;;) {
		if (cli_stop) {
			store(k, 0);
			return -1;
		}
		/* Delivery reports: every 64 messages (a lock each), and when quiet. */
		if ((k->nread & 63) == 0)
			serve_reports();
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
			if (kafka_conf.exit_at_end)
				check_end(k, wait && ++k->quiet % 5 == 0);
			if (kafka_conf.exit_at_end && all_at_end(k))
				return 0;
			if (k->throttled)
				watch_queue(k, 1);
			bury(k);	/* quiet: no fetch buffer kept for a few messages */
			/* Quiet: deliver what is held and store what is finished. */
			if (idle != NULL)
				idle(idle_arg);
			kafka_poll();
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
			if (kafka_conf.exit_at_end && all_at_end(k)) {
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
			    m->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED) {
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
		k->cur = push(si, m->offset);
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

int64_t
kafka_lag_at_close(void)
{
	return lag_at_close;
}

int
kafka_in_errors(const struct kafka_in *k)
{
	return k ? k->errors : 0;
}

void
kafka_on_revoke(void (*fn)(void *), void *arg)
{
	if (consumer != NULL) {
		consumer->on_revoke = fn;
		consumer->on_revoke_arg = arg;
	}
}

void
kafka_in_close(struct kafka_in *k)
{
	rd_kafka_resp_err_t err;
	int i;

	if (k == NULL)
		return;
	release_current(k);
	ndjson_flush_all();
	lag_at_close = kafka_in_lag(k);
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
	for (i = 0; i < k->nwarm; i++)
		rd_kafka_topic_destroy(k->warm[i]);
	free(k->warm);
	rd_kafka_queue_destroy(k->q);
	rd_kafka_destroy(k->rk);
	for (i = 0; i < nslots; i++) {
		free(slots[i].ring);
		free(slots[i].topic);
		memset(&slots[i], 0, sizeof slots[i]);
	}
	nslots = 0;
	consumer = NULL;
	free(k->topics);
	free(k);
}

/* --- producer ------------------------------------------------------------ */

static rd_kafka_t *producer;
static int nproducer_users;

/*
 * A writer gathers records (copies, with what they hold) and produces
 * them with one rd_kafka_produce_batch: one topic lock and one clock
 * read for the batch instead of one each per record, and delivery
 * reports served once a batch. They go when the batch is full and at every flush
 * point (ndjson_flush, the reader's quiet moments, kafka_out_flush),
 * as stdout's buffer does; until they are produced they hold their
 * input, so no offset moves past them.
 */
struct kafka_out {
	char *topic;
	rd_kafka_topic_t *rkt;
	char *keypat;		/* "\"icao24\"" */
	size_t keypatlen;
	uint64_t produced, delivered, failed;	/* failed: refused by produce() or by the broker */
	int reported;
	int refused;			/* a record refused by produce(): writes fail from now on */
	rd_kafka_message_t *pend;	/* records gathered: payload and key point into pbuf */
	size_t npend;
	char *pbuf;
	size_t plen;
	struct kafka_out *next;		/* the open writers */
};

static struct kafka_out *outs;

/*
 * A message's opaque carries what it holds: one token inline (odd
 * pointer value: the token shifted left by one, plus one), or a
 * pointer to an array for several, as windows have.
 */
struct held {
	size_t n;
	kafka_tok t[];
};

static void
release_opaque(void *opaque)
{
	uintptr_t v = (uintptr_t)opaque;
	struct held *h;
	size_t i;

	if (v == 0)
		return;
	if (v & 1) {
		kafka_release((kafka_tok)(v >> 1));
		return;
	}
	h = opaque;
	for (i = 0; i < h->n; i++)
		kafka_release(h->t[i]);
	free(h);
}

static void
free_opaque(void *opaque)
{
	if (opaque != NULL && !((uintptr_t)opaque & 1))
		free(opaque);
}

static void
dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kafka_out *o = rd_kafka_topic_opaque(m->rkt);

	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (o != NULL)
			o->delivered++;
		release_opaque(m->_private);
		return;
	}
	/* Not delivered: its holds stay, so no offset moves past it. */
	free_opaque(m->_private);
	if (o == NULL)
		return;
	o->failed++;
	if (o->reported++ < DR_REPORT_MAX)
		fs_warnx("cannot deliver to kafka:%s: %s", o->topic, rd_kafka_err2str(m->err));
}

static int
producer_open(void)
{
	rd_kafka_conf_t *conf;
	char errstr[512];

	if (producer != NULL) {
		nproducer_users++;
		return 0;
	}
	if ((conf = new_conf()) == NULL)
		return -1;
	/*
	 * murmur2 like the Java client, so other clients put an aircraft
	 * in the same partition as we do. lz4: records are JSON and shrink
	 * to a third; every copy after this one (socket, broker, fetch,
	 * consumer) moves a third of the bytes, for less CPU than the
	 * copies saved. Any Kafka client reads it. At most 20,000
	 * messages waiting for the broker (librdkafka: 100,000): the
	 * broker thread and the delivery reports touch each message again,
	 * and 20,000 records (about 7 MB) are still in the cache, 100,000
	 * are not. At a million records/s that is 20 ms of data, more than
	 * linger.ms and a round trip; below about 8,000 the queue runs dry
	 * before the batches go.
	 */
	if (set(conf, "enable.idempotence", "true") != 0 ||
	    set(conf, "partitioner", "murmur2_random") != 0 ||
	    set(conf, "linger.ms", "5") != 0 ||
	    set(conf, "compression.codec", "lz4") != 0 ||
	    set(conf, "queue.buffering.max.messages", "20000") != 0 ||
	    apply_props(conf) != 0) {
		rd_kafka_conf_destroy(conf);
		return -1;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	if ((producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr)) == NULL) {
		fs_warnx("cannot make kafka producer: %s", errstr);
		rd_kafka_conf_destroy(conf);
		return -1;
	}
	if (reachable(producer) != 0) {
		rd_kafka_destroy(producer);
		producer = NULL;
		return -1;
	}
	nproducer_users = 1;
	return 0;
}

struct kafka_out *
kafka_out_open(const char *topic, const char *keyfield)
{
	rd_kafka_topic_conf_t *tconf;
	struct kafka_out *o;

	if (*topic == '\0' || strchr(topic, ',') != NULL) {
		fs_warnx("invalid topic '%s': give one topic", topic);
		return NULL;
	}
	if (producer_open() != 0)
		return NULL;
	o = xcalloc(1, sizeof *o);
	o->topic = xstrdup(topic);
	if (keyfield != NULL) {
		o->keypatlen = strlen(keyfield) + 2;
		o->keypat = xmalloc(o->keypatlen + 1);
		snprintf(o->keypat, o->keypatlen + 1, "\"%s\"", keyfield);
	}
	/*
	 * The producer's default topic configuration: the partitioner and
	 * the topic-level -X properties (message.timeout.ms, acks,
	 * compression...) set on the global configuration live there. A
	 * fresh rd_kafka_topic_conf_new() would drop them all.
	 */
	tconf = rd_kafka_default_topic_conf_dup(producer);
	rd_kafka_topic_conf_set_opaque(tconf, o);
	if ((o->rkt = rd_kafka_topic_new(producer, topic, tconf)) == NULL) {
		fs_warnx("cannot open kafka:%s: %s", topic, rd_kafka_err2str(rd_kafka_last_error()));
		free(o->keypat);
		free(o->topic);
		free(o);
		return NULL;
	}
	o->pend = xmalloc(PEND_MAX * sizeof o->pend[0]);
	o->pbuf = xmalloc(PEND_BYTES);
	o->next = outs;
	outs = o;
	return o;
}

/*
 * find_key finds the value of the key field, a plain JSON string, at
 * the top level as far as a cheap scan can tell: the first occurrence
 * of "field" followed by a colon. Inside another string the quotes
 * would be escaped, so a JSON line cannot fool it that way.
 */
static const char *
find_key(const struct kafka_out *o, const char *p, size_t n, size_t *klen)
{
	const char *q = p, *end = p + n, *v, *e;

	while ((q = memmem(q, (size_t)(end - q), o->keypat, o->keypatlen)) != NULL) {
		v = q + o->keypatlen;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		if (v < end && *v == ':') {
			v++;
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			if (v >= end || *v != '"')
				return NULL;
			v++;
			for (e = v; e < end && *e != '"' && *e != '\\'; e++)
				;
			if (e >= end || *e != '"')
				return NULL;
			*klen = (size_t)(e - v);
			return v;
		}
		q = v;
	}
	return NULL;
}

/*
 * produce_batch produces m[0..n) and counts each. A full queue means
 * wait for deliveries and go on from the first refused (librdkafka
 * refuses all after it), never drop. One refused for good is counted
 * failed and marks o refused: its holds stay, no offset moves past it.
 */
static void
produce_batch(struct kafka_out *o, rd_kafka_message_t *m, size_t n)
{
	size_t i = 0;

	while (i < n) {
		rd_kafka_produce_batch(o->rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
		    m + i, (int)(n - i));
		for (; i < n && m[i].err != RD_KAFKA_RESP_ERR__QUEUE_FULL; i++) {
			if (m[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
				o->produced++;
				continue;
			}
			fs_warnx("cannot produce to kafka:%s: %s", o->topic, rd_kafka_err2str(m[i].err));
			free_opaque(m[i]._private);
			o->failed++;
			o->refused = 1;
		}
		if (i < n)
			rd_kafka_poll(producer, 100);
	}
}

/* out_send produces what o gathered. */
static void
out_send(struct kafka_out *o)
{
	if (o->npend == 0)
		return;
	produce_batch(o, o->pend, o->npend);
	o->npend = 0;
	o->plen = 0;
	serve_reports();	/* once a batch: what was delivered meanwhile */
}

/* out_send_all produces what every writer gathered. */
static void
out_send_all(void)
{
	struct kafka_out *o;

	for (o = outs; o != NULL; o = o->next)
		out_send(o);
}

int
kafka_out_write(struct kafka_out *o, const char *p, size_t n,
    const kafka_tok *toks, size_t ntoks)
{
	const char *key = NULL;
	size_t klen = 0, i, live = 0;
	rd_kafka_message_t *m, one;
	struct held *h = NULL;
	void *opaque = NULL;

	if (n > 0 && p[n - 1] == '\n')
		n--;
	if (o->npend == PEND_MAX || PEND_BYTES - o->plen < n)
		out_send(o);
	/* Refused (a record too large, a fatal error): the program stops, exit 1. */
	if (o->refused)
		return -1;
	if (o->keypat != NULL)
		key = find_key(o, p, n, &klen);
	for (i = 0; i < ntoks; i++)
		if (toks[i] != 0)
			live++;
	if (live == 1) {
		for (i = 0; toks[i] == 0; i++)
			;
		opaque = (void *)(uintptr_t)((kafka_hold(toks[i]) << 1) | 1);
	} else if (live > 1) {
		h = xmalloc(sizeof *h + live * sizeof h->t[0]);
		h->n = 0;
		for (i = 0; i < ntoks; i++)
			if (toks[i] != 0)
				h->t[h->n++] = kafka_hold(toks[i]);
		opaque = h;
	}
	if (n > PEND_BYTES) {
		/* Bigger than the batch's buffer: on its own, from where it is. */
		memset(&one, 0, sizeof one);
		one.payload = (void *)p;
		one.len = n;
		one.key = (void *)key;
		one.key_len = klen;
		one._private = opaque;
		produce_batch(o, &one, 1);
	} else {
		m = &o->pend[o->npend++];
		memset(m, 0, sizeof *m);
		m->payload = o->pbuf + o->plen;
		memcpy(m->payload, p, n);
		m->len = n;
		if (key != NULL)
			m->key = (char *)m->payload + (key - p);
		m->key_len = klen;
		m->_private = opaque;
		o->plen += n;
	}
	return o->refused ? -1 : 0;
}

/* serve_reports serves delivery reports, nothing more: a lock, the callbacks. */
static void
serve_reports(void)
{
	if (producer != NULL)
		rd_kafka_poll(producer, 0);
}

void
kafka_poll(void)
{
	out_send_all();
	serve_reports();
}

int
kafka_out_flush(struct kafka_out *o)
{
	if (producer == NULL)
		return 0;
	out_send_all();
	while (rd_kafka_outq_len(producer) > 0)
		rd_kafka_flush(producer, 100);
	rd_kafka_poll(producer, 0);
	return o->failed ? -1 : 0;
}

int
kafka_out_close(struct kafka_out *o)
{
	struct kafka_out **op;
	int rc;

	if (o == NULL)
		return 0;
	rc = kafka_out_flush(o);
	if (o->failed > 0)
		fs_warnx("%llu records not delivered to kafka:%s (%llu delivered)",
		    (unsigned long long)o->failed, o->topic,
		    (unsigned long long)o->delivered);
	for (op = &outs; *op != o; op = &(*op)->next)
		;
	*op = o->next;
	rd_kafka_topic_destroy(o->rkt);
	free(o->pend);
	free(o->pbuf);
	free(o->keypat);
	free(o->topic);
	free(o);
	if (--nproducer_users == 0) {
		rd_kafka_flush(producer, 1000);
		rd_kafka_destroy(producer);
		producer = NULL;
	}
	return rc;
}
