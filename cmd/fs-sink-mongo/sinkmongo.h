/*
 * fs-sink-mongo: store raw records in MongoDB.
 *
 * doc.c	a record to a BSON document with its _id
 * write.c	a batch to the server: unordered bulk inserts, errors,
 *		retries; --init
 * mongo.c	the connection, errors and secrets (shared with
 *		fs-produce mongo; belongs in lib/)
 * main.c	options and the read loop
 */
#ifndef FS_SINKMONGO_H
#define FS_SINKMONGO_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <mongoc/mongoc.h>

#include "buf.h"
#include "cli.h"
#include "event.h"
#include "ledger.h"
#include "line.h"
#include "reject.h"
#include "stats.h"

#define SINKMONGO_USAGE \
	"fs-sink-mongo [--uri URI] [--db NAME] [--collection NAME] [--init] [--timeseries]\n" \
	"                  [--ttl D] [-w W] [--batch N] [--batch-wait D] [--retries N]\n" \
	"                  [--retry-max D] [common options] [file ...]\n" \
	CLI_USAGE_COMMON

/* The deepest nesting of objects and arrays in a record: MongoDB stores 100 levels, the document's own included. */
#define DOC_MAX_DEPTH 99
/* The largest document MongoDB stores. */
#define DOC_MAX_SIZE (16 * 1024 * 1024)

/* doc.c: a record, parsed, to BSON. */
struct docmaker {
	bson_t doc;
	struct buf str;		/* a decoded string or key */
	struct buf key;		/* the _id, then each nested key in turn */
	int depth;		/* of the object or array being made */
};

void doc_init(struct docmaker *dm);
void doc_free(struct docmaker *dm);

/*
 * doc_make turns the record into dm->doc: _id first, then its fields
 * in order. Returns 0, or -1 with a reject code and message.
 */
int doc_make(struct docmaker *dm, const struct event *ev, const char **code, char *msg,
    size_t msgsz);

/* batch: the documents of a batch and the lines they came from, until the server has them. */
struct batch {
	struct buf docs;	/* BSON documents, one after another */
	size_t *doff;		/* document i is docs[doff[i], doff[i + 1]) */
	struct buf lines;
	size_t *loff;
	const char **file;
	uint64_t *lineno;
	ledger_tok *tok;	/* Kafka input: the hold on each record's message (ledger.h) */
	int n, cap;
	int64_t opened_ms;	/* monotonic time of the first record */
};

void batch_init(struct batch *b);
void batch_free(struct batch *b);
void batch_clear(struct batch *b);
/* batch_add adds a document and its line, holding the line's token until the batch is acknowledged. */
void batch_add(struct batch *b, const bson_t *doc, const struct line *l);


/* write.c */
struct sink {
	const char *uri;
	const char *db, *coll;
	const char *w;		/* -w: "majority", or a number */
	mongoc_client_t *client;
	mongoc_collection_t *c;
	char where[256];	/* the hosts, for messages */
	int retries;
	int64_t retry_max_ms;
	int retry;		/* consecutive failures so far */
	int verbose;
	struct stats *st;
	struct rejects *rj;
	uint64_t *batches, *retries_n;
	char err[1024];		/* the last error, secrets removed */
};

/* sink_open connects (lazily: the first command finds the server). 0, or -1 after a message. */
int sink_open(struct sink *s);
void sink_close(struct sink *s);

/* sink_init: --init. 0, or -1 after a message. */
int sink_init(struct sink *s, int timeseries, int64_t ttl_ms);

/*
 * sink_write stores batch b: each document is inserted, found to be
 * there already (a duplicate), or rejected with the server's message,
 * and the counters say which; retrying as configured. Returns 0 when
 * the server has acknowledged all of it, -1 after a message when it
 * gave up (nothing of b is then counted).
 */
int sink_write(struct sink *s, struct batch *b);

#endif
