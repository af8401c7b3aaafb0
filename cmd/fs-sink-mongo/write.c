/*
 * write: batches into the collection, and --init.
 *
 * A batch is one unordered bulk insert (the server tries every
 * document, whatever happens to the others) with the write concern of
 * -w. The server's answer sorts the documents: inserted; already there
 * (a duplicate-key error, code 11000: the same _id, so the same
 * aircraft and time, was stored before); or refused for another reason
 * (a validator, a limit of the server), which is a reject with the
 * server's message. Such an answer is final: the batch is done.
 *
 * No answer, or an answer that the write concern was not met, means
 * the batch may be stored in full, in part or not at all: the whole
 * batch is sent again after a pause, on a new connection, and what the
 * first try stored comes back as duplicates. So a batch is counted
 * once, from the answer of the try that settled it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ledger.h"
#include "mongo.h"
#include "retry.h"
#include "sinkmongo.h"
#include "ts.h"

/* --- Batches -------------------------------------------------------------- */

void
batch_init(struct batch *b)
{
	memset(b, 0, sizeof *b);
}

void
batch_free(struct batch *b)
{
	buf_free(&b->docs);
	buf_free(&b->lines);
	free(b->doff);
	free(b->loff);
	free(b->file);
	free(b->lineno);
	free(b->tok);
	memset(b, 0, sizeof *b);
}

void
batch_clear(struct batch *b)
{
	buf_reset(&b->docs);
	buf_reset(&b->lines);
	b->n = 0;
}

void
batch_add(struct batch *b, const bson_t *doc, const struct line *l)
{
	if (b->n + 1 >= b->cap) {
		b->cap = b->cap ? b->cap * 2 : 1024;
		b->doff = xrealloc(b->doff, (size_t)b->cap * sizeof *b->doff);
		b->loff = xrealloc(b->loff, (size_t)b->cap * sizeof *b->loff);
		b->file = xrealloc(b->file, (size_t)b->cap * sizeof *b->file);
		b->lineno = xrealloc(b->lineno, (size_t)b->cap * sizeof *b->lineno);
		b->tok = xrealloc(b->tok, (size_t)b->cap * sizeof *b->tok);
	}
	if (b->n == 0)
		b->doff[0] = b->loff[0] = 0;
	buf_add(&b->docs, bson_get_data(doc), doc->len);
	b->doff[b->n + 1] = b->docs.len;
	buf_add(&b->lines, l->p, l->len);
	b->loff[b->n + 1] = b->lines.len;
	b->file[b->n] = l->file;
	b->lineno[b->n] = l->lineno;
	/* With Kafka input the message stays unfinished until the batch is acknowledged. */
	b->tok[b->n] = ledger_hold(l->tok);
	b->n++;
}

/* --- The connection ------------------------------------------------------- */

void
sink_close(struct sink *s)
{
	if (s->c != NULL)
		mongoc_collection_destroy(s->c);
	if (s->client != NULL)
		mongoc_client_destroy(s->client);
	s->c = NULL;
	s->client = NULL;
}

/* connect makes the client and collection handles; the server is first reached by a command. */
static int
attach(struct sink *s)
{
	mongoc_write_concern_t *wc;
	char *end;
	long w;

	if (s->client != NULL)
		return 0;
	s->client = mongo_connect(s->uri, "fs-sink-mongo", &s->db, s->where, sizeof s->where,
	    s->err, sizeof s->err);
	if (s->client == NULL) {
		fs_warnx("invalid URI: %s", s->err);
		return -1;
	}
	s->c = mongoc_client_get_collection(s->client, s->db, s->coll);
	wc = mongoc_write_concern_new();
	if (strcmp(s->w, "majority") == 0)
		mongoc_write_concern_set_wmajority(wc, 0);
	else {
		w = strtol(s->w, &end, 10);
		mongoc_write_concern_set_w(wc, (int32_t)w);
	}
	mongoc_collection_set_write_concern(s->c, wc);
	mongoc_write_concern_destroy(wc);
	return 0;
}

/*
 * backoff sleeps before retry number s->retry + 1 and counts it; the
 * connection is made anew after it. Returns 0, or -1 when the retries
 * are used up or a second signal stopped it.
 */
static int
backoff(struct sink *s, const char *what)
{
	sink_close(s);
	if (retry_backoff(&s->retry, s->retries, s->retry_max_ms, s->verbose, what, s->err) != 0)
		return -1;
	(*s->retries_n)++;
	return 0;
}

/* command runs cmd on the database, retrying transient errors. 1 ok, 0 refused (e, reply kept), -1 gave up. */
static int
command(struct sink *s, const bson_t *cmd, bson_t *reply, bson_error_t *e, const char *what)
{
	for (;;) {
		if (attach(s) != 0)
			return -1;
		if (mongoc_client_command_simple(s->client, s->db, cmd, NULL, reply, e)) {
			s->retry = 0;
			return 1;
		}
		mongo_error(e, s->err, sizeof s->err);
		if (!mongo_transient(e))
			return 0;
		snprintf(s->err + strlen(s->err), sizeof s->err - strlen(s->err), " (%s)", s->where);
		bson_destroy(reply);
		if (backoff(s, what) != 0)
			return -1;
	}
}

int
sink_open(struct sink *s)
{
	bson_t *ping = BCON_NEW("ping", BCON_INT32(1)), reply;
	bson_error_t e;
	int rc;

	rc = command(s, ping, &reply, &e, "cannot connect");
	bson_destroy(ping);
	if (rc == 0)
		fs_warnx("cannot connect to %s: %s", s->where, s->err);
	if (rc >= 0)
		bson_destroy(&reply);
	return rc == 1 ? 0 : -1;
}

static int create_index(struct sink *s, const char *name, int compound, int64_t ttl_ms,
    int same_keys_ok);

int
sink_init(struct sink *s, int timeseries, int64_t ttl_ms)
{
	bson_t cmd, sub, reply;
	bson_error_t e;
	int rc;

	if (timeseries) {
		bson_init(&cmd);
		BSON_APPEND_UTF8(&cmd, "create", s->coll);
		BSON_APPEND_DOCUMENT_BEGIN(&cmd, "timeseries", &sub);
		BSON_APPEND_UTF8(&sub, "timeField", "timestamp");
		BSON_APPEND_UTF8(&sub, "metaField", "icao24");
		BSON_APPEND_UTF8(&sub, "granularity", "seconds");
		bson_append_document_end(&cmd, &sub);
		if (ttl_ms > 0)
			BSON_APPEND_INT64(&cmd, "expireAfterSeconds", ttl_ms / 1000);
		rc = command(s, &cmd, &reply, &e, "cannot create the collection");
		bson_destroy(&cmd);
		if (rc == 0 && e.code == 48 && s->verbose >= 0)
			fs_warnx("collection '%s.%s' exists already: kept as it is", s->db, s->coll);
		else if (rc == 0) {
			fs_warnx("cannot create the time-series collection '%s.%s': %s", s->db,
			    s->coll, s->err);
			bson_destroy(&reply);
			return -1;
		}
		if (rc < 0)
			return -1;
		bson_destroy(&reply);
	}
	/*
	 * One index at a time: MongoDB 6.3 and later make an index on
	 * (icao24, timestamp) of a new time-series collection themselves,
	 * under another name, and refuse a second one on the same keys
	 * (code 85); that one serves.
	 */
	if (create_index(s, "icao24_timestamp", 1, 0, timeseries) != 0 ||
	    create_index(s, "timestamp", 0, timeseries ? 0 : ttl_ms, 0) != 0)
		return -1;
	return 0;
}

/*
 * create_index makes the index name, on (icao24, timestamp) or on
 * timestamp alone, with a TTL when ttl_ms > 0. With same_keys_ok, an
 * index on the same keys under another name is as good. 0, or -1
 * after a message.
 */
static int
create_index(struct sink *s, const char *name, int compound, int64_t ttl_ms, int same_keys_ok)
{
	bson_t cmd, sub, ix, reply;
	bson_error_t e;
	int rc;

	bson_init(&cmd);
	BSON_APPEND_UTF8(&cmd, "createIndexes", s->coll);
	BSON_APPEND_ARRAY_BEGIN(&cmd, "indexes", &sub);
	BSON_APPEND_DOCUMENT_BEGIN(&sub, "0", &ix);
	if (compound)
		BCON_APPEND(&ix, "key", "{", "icao24", BCON_INT32(1), "timestamp", BCON_INT32(1), "}");
	else
		BCON_APPEND(&ix, "key", "{", "timestamp", BCON_INT32(1), "}");
	BSON_APPEND_UTF8(&ix, "name", name);
	if (ttl_ms > 0)
		BSON_APPEND_INT64(&ix, "expireAfterSeconds", ttl_ms / 1000);
	bson_append_document_end(&sub, &ix);
	bson_append_array_end(&cmd, &sub);
	rc = command(s, &cmd, &reply, &e, "cannot create the indexes");
	bson_destroy(&cmd);
	if (rc >= 0)
		bson_destroy(&reply);
	if (rc == 0 && same_keys_ok && e.code == 85)
		return 0;
	if (rc == 0)
		fs_warnx("cannot create the index '%s' of '%s.%s': %s%s", name, s->db, s->coll,
		    s->err, e.code == 85 || e.code == 86 ? " (drop the index to change it)" : "");
	return rc == 1 ? 0 : -1;
}

/* --- A batch -------------------------------------------------------------- */

/* reject_doc rejects record i of b with the server's code and message. */
static int
reject_doc(struct sink *s, struct batch *b, int i, int32_t code, const char *msg)
{
	struct line l;
	char c[32], m[1024];

	memset(&l, 0, sizeof l);
	l.p = b->lines.p + b->loff[i];
	l.len = l.full_len = b->loff[i + 1] - b->loff[i];
	l.file = b->file[i];
	l.lineno = b->lineno[i];
	l.tok = b->tok[i];
	snprintf(c, sizeof c, "db.%d", (int)code);
	snprintf(m, sizeof m, "%s", msg != NULL && *msg != '\0' ? msg : "refused by the server");
	mongo_redact(m, sizeof m);
	return reject_line(s->rj, &l, c, m);
}

/* has_array: 1 if reply holds a non-empty array called key. */
static int
has_array(const bson_t *reply, const char *key)
{
	bson_iter_t it;
	uint32_t len;
	const uint8_t *data;

	if (!bson_iter_init_find(&it, reply, key) || !BSON_ITER_HOLDS_ARRAY(&it))
		return 0;
	bson_iter_array(&it, &len, &data);
	return len > 5;
}

/*
 * settle counts a batch from the server's final answer: the write
 * errors (duplicates, rejects) by index, the rest inserted.
 */
static int
settle(struct sink *s, struct batch *b, const bson_t *reply)
{
	bson_iter_t it, we, f;
	int dups = 0, rejects = 0, idx;
	int32_t code;
	const char *msg;

	if (bson_iter_init_find(&it, reply, "writeErrors") && BSON_ITER_HOLDS_ARRAY(&it) &&
	    bson_iter_recurse(&it, &we)) {
		while (bson_iter_next(&we)) {
			if (!BSON_ITER_HOLDS_DOCUMENT(&we))
				continue;
			idx = -1;
			code = 0;
			msg = NULL;
			if (bson_iter_recurse(&we, &f))
				while (bson_iter_next(&f)) {
					if (strcmp(bson_iter_key(&f), "index") == 0)
						idx = (int)bson_iter_as_int64(&f);
					else if (strcmp(bson_iter_key(&f), "code") == 0)
						code = (int32_t)bson_iter_as_int64(&f);
					else if (strcmp(bson_iter_key(&f), "errmsg") == 0 &&
					    BSON_ITER_HOLDS_UTF8(&f))
						msg = bson_iter_utf8(&f, NULL);
				}
			if (idx < 0 || idx >= b->n)
				continue;
			if (code == 11000) {
				dups++;
				continue;
			}
			rejects++;
			if (reject_doc(s, b, idx, code, msg) != 0)
				return -1;
		}
	}
	s->st->duplicates += (uint64_t)dups;
	s->st->out += (uint64_t)(b->n - dups - rejects);
	s->retry = 0;
	return reject_flush(s->rj);
}

int
sink_write(struct sink *s, struct batch *b)
{
	mongoc_bulk_operation_t *bulk;
	bson_t *opts = BCON_NEW("ordered", BCON_BOOL(false)), *iopts = BCON_NEW("validate",
	    BCON_BOOL(false));
	bson_t reply, d;
	bson_error_t e;
	int i, rc = -1, werr, wcerr;

	if (b->n == 0) {
		rc = 0;
		goto out;
	}
	(*s->batches)++;
	for (;;) {
		if (attach(s) != 0)
			goto out;
		bulk = mongoc_collection_create_bulk_operation_with_opts(s->c, opts);
		for (i = 0; i < b->n; i++) {
			bson_init_static(&d, (const uint8_t *)b->docs.p + b->doff[i],
			    b->doff[i + 1] - b->doff[i]);
			if (!mongoc_bulk_operation_insert_with_opts(bulk, &d, iopts, &e))
				break;
		}
		if (i < b->n) {
			/* The documents were checked as they were made: this is a bug. */
			mongo_error(&e, s->err, sizeof s->err);
			fs_warnx("cannot add a document to the batch: %s", s->err);
			mongoc_bulk_operation_destroy(bulk);
			goto out;
		}
		if (mongoc_bulk_operation_execute(bulk, &reply, &e) != 0) {
			mongoc_bulk_operation_destroy(bulk);
			rc = settle(s, b, &reply);
			bson_destroy(&reply);
			goto out;
		}
		mongoc_bulk_operation_destroy(bulk);
		mongo_error(&e, s->err, sizeof s->err);
		werr = has_array(&reply, "writeErrors");
		wcerr = has_array(&reply, "writeConcernErrors") || e.domain == MONGOC_ERROR_WRITE_CONCERN;
		if (!wcerr && werr && !mongo_transient(&e)) {
			/* Only documents were refused: the answer is final. */
			rc = settle(s, b, &reply);
			bson_destroy(&reply);
			goto out;
		}
		bson_destroy(&reply);
		if (!mongo_transient(&e) && !(wcerr && e.domain == MONGOC_ERROR_WRITE_CONCERN &&
		    e.code == 64)) {
			fs_warnx("cannot store a batch in '%s.%s': %s", s->db, s->coll, s->err);
			goto out;
		}
		snprintf(s->err + strlen(s->err), sizeof s->err - strlen(s->err), " (%s)", s->where);
		if (backoff(s, "cannot store a batch") != 0)
			goto out;
	}
out:
	bson_destroy(opts);
	bson_destroy(iopts);
	return rc;
}
