/*
 * kprod: the producer. See kprod.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "buf.h"
#include "err.h"
#include "kprod.h"
#include "ledger.h"

#define DR_REPORT_MAX 5		/* delivery errors reported one by one */
#define PEND_MAX 1024		/* records a writer gathers before producing them as a batch */
#define PEND_BYTES (256 * 1024)	/* their bytes */


static rd_kafka_t *producer;
static int nproducer_users;

/*
 * A writer gathers records (copies, with what they hold) and produces
 * them with one rd_kafka_produce_batch: one topic lock and one clock
 * read for the batch instead of one each per record, and delivery
 * reports served once a batch. They go when the batch is full and at every flush
 * point (io_flush, the reader's quiet moments, kafka_out_flush),
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
	ledger_tok t[];
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
		ledger_release((ledger_tok)(v >> 1));
		return;
	}
	h = opaque;
	for (i = 0; i < h->n; i++)
		ledger_release(h->t[i]);
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
producer_open(const struct kafka_opts *opts)
{
	rd_kafka_conf_t *conf;
	char errstr[512];

	if (producer != NULL) {
		nproducer_users++;
		return 0;
	}
	if ((conf = kconf_new(opts)) == NULL)
		return -1;
	/*
	 * murmur2 like the Java client, so other clients put an aircraft
	 * in the same partition as we do. lz4: JSON shrinks to a third for
	 * every copy after this one, and any client reads it. A queue of
	 * 20,000 (librdkafka: 100,000) keeps the messages that the broker
	 * thread and the delivery reports touch again in the cache.
	 */
	if (kconf_set(conf, "enable.idempotence", "true") != 0 ||
	    kconf_set(conf, "partitioner", "murmur2_random") != 0 ||
	    kconf_set(conf, "linger.ms", "5") != 0 ||
	    kconf_set(conf, "compression.codec", "lz4") != 0 ||
	    kconf_set(conf, "queue.buffering.max.messages", "20000") != 0 ||
	    kconf_apply(opts, conf) != 0) {
		rd_kafka_conf_destroy(conf);
		return -1;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	if ((producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr)) == NULL) {
		fs_warnx("cannot make kafka producer: %s", errstr);
		rd_kafka_conf_destroy(conf);
		return -1;
	}
	if (kconf_reachable(producer, opts) != 0) {
		rd_kafka_destroy(producer);
		producer = NULL;
		return -1;
	}
	nproducer_users = 1;
	return 0;
}

struct kafka_out *
kafka_out_open(const struct kafka_opts *opts, const char *topic, const char *keyfield)
{
	rd_kafka_topic_conf_t *tconf;
	struct kafka_out *o;

	if (*topic == '\0' || strchr(topic, ',') != NULL) {
		fs_warnx("invalid topic '%s': give one topic", topic);
		return NULL;
	}
	if (producer_open(opts) != 0)
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
	kafka_out_serve();	/* once a batch: what was delivered meanwhile */
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
    const ledger_tok *toks, size_t ntoks)
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
		opaque = (void *)(uintptr_t)((ledger_hold(toks[i]) << 1) | 1);
	} else if (live > 1) {
		h = xmalloc(sizeof *h + live * sizeof h->t[0]);
		h->n = 0;
		for (i = 0; i < ntoks; i++)
			if (toks[i] != 0)
				h->t[h->n++] = ledger_hold(toks[i]);
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

void
kafka_out_serve(void)
{
	if (producer != NULL)
		rd_kafka_poll(producer, 0);
}

void
kafka_out_poll(void)
{
	out_send_all();
	kafka_out_serve();
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
