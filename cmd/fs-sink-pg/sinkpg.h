/*
 * fs-sink-pg: load position and window records into PostgreSQL.
 *
 * schema.c	the tables: their columns, the SQL made from them, --init
 * row.c	a record to a row of binary COPY
 * batch.c	the rows of a batch, kept until they are committed
 * conn.c	connecting, errors by SQLSTATE class, retries, secrets
 * load.c	a batch into the tables: COPY, INSERT ... ON CONFLICT, COMMIT
 * main.c	options and the read loop
 */
#ifndef FS_SINKPG_H
#define FS_SINKPG_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "buf.h"
#include "cli.h"
#include "event.h"
#include "hmap.h"
#include "ledger.h"
#include "line.h"
#include "reject.h"
#include "stats.h"

#define SINKPG_USAGE \
	"fs-sink-pg [--dsn CONNINFO] [--init] [--table positions|windows|auto]\n" \
	"                  [--batch N] [--batch-wait D] [--retries N] [--retry-max D]\n" \
	"                  [common options] [file ...]\n" \
	CLI_USAGE_COMMON


/* The kinds of column: how a JSON value becomes a binary COPY field. */
enum colkind {
	CK_TEXT,	/* string (or a number, as its text) */
	CK_TS,		/* timestamptz: RFC 3339 text or epoch seconds/milliseconds */
	CK_F8,		/* double precision */
	CK_I2,		/* smallint */
	CK_I4,		/* integer */
	CK_I8,		/* bigint */
	CK_BOOL,
	CK_TEXTS,	/* text[]: an array of strings */
	CK_INTS,	/* integer[]: an array of integers */
	CK_EXTRA,	/* jsonb: the record's fields that have no column */
};

struct column {
	const char *name;
	enum colkind kind;
	const char *check;	/* a CHECK constraint's expression, or NULL */
};

enum { TAB_POSITIONS, TAB_WINDOWS, TAB_COUNT };

/* A table the sink loads, and the SQL it uses for it, made once from its columns. */
struct table {
	const char *name;
	const char *stage;	/* the session's temporary staging table */
	const struct column *cols;
	int ncols;
	int nkey;		/* the first nkey columns are the primary key */
	char *stage_ddl;	/* CREATE TEMP TABLE ... */
	char *copy_sql;		/* COPY stage (...) FROM STDIN (FORMAT binary) */
	char *insert_sql;	/* INSERT ... SELECT ... ON CONFLICT ... */
};

extern struct table tables[TAB_COUNT];

/* The column of each known field name, per table, or -1. */
struct colref {
	short col[TAB_COUNT];
};

/* schema.c */
void schema_prepare(void);
const struct colref *schema_lookup(const char *name, size_t len);
extern const char *const schema_partition_sql;
extern const char *const schema_upsert_sql;
int schema_init(PGconn *conn);		/* --init: 0, or -1 after a message */
int schema_version(void);

/*
 * The aircraft dimension is made from the positions of each batch:
 * these are its columns in the positions rows, and its staging table.
 */
enum { AC_ICAO24, AC_CALLSIGN, AC_COUNTRY, AC_CATEGORY, AC_COUNT };
extern int schema_ac_col[AC_COUNT];
extern const char *const schema_aircraft_stage;
extern const char *const schema_aircraft_copy;
extern char *schema_aircraft_sql;

/* row.c: a record, parsed, to one row of binary COPY. */
struct rowinfo {
	int64_t ms;		/* positions: the timestamp */
	uint32_t ac[AC_COUNT];	/* positions: where the aircraft's fields are in the row */
};

struct rowkey {
	const char *p;		/* the key's fields as in the row, in the row maker's key */
	size_t len;
	uint32_t hash;		/* hmap_hash of the key */
	uint64_t prefix;	/* its first 8 bytes of data, big-endian: the order, mostly */
	struct rowinfo info;
};

struct rowmaker {
	struct buf scratch;	/* a decoded timestamp */
	struct buf extra;	/* the fields without a column, as a JSON object */
	struct buf key;		/* the row's key */
	int *slot;		/* per column: the record's field index, or -1 */
	int nslot;
};

void row_init(struct rowmaker *rm);
void row_free(struct rowmaker *rm);

/*
 * row_table picks the table for a record: with want >= 0 that one,
 * else by shape (window_start makes a window). Returns the table, or -1
 * with a reject code and message.
 */
int row_table(const struct event *ev, int want, const char **code, char *msg, size_t msgsz);

/*
 * row_encode appends the record as a row of binary COPY for table t to
 * out and fills key. Returns 0, or -1 with a reject code and message
 * (out is then as it was).
 */
int row_encode(struct rowmaker *rm, const struct event *ev, int t, struct buf *out,
    struct rowkey *key, const char **code, char *msg, size_t msgsz);

/* batch.c: the records of a batch, until they are committed. */
struct tabrows {
	struct buf copy;	/* rows of binary COPY, one after another */
	size_t *off;		/* row i is copy[off[i], off[i + 1]) */
	int *rec;		/* row i is record rec[i] of the batch */
	struct rowinfo *info;
	int n, cap;
	struct buf keys;	/* each row's key, for duplicates */
	size_t *koff;
	uint32_t *hash;		/* each row's key's */
	uint64_t *prefix;
	struct buf copy2, keys2;	/* batch_sort's */
	int *perm;
	struct hmap set;	/* key to row */
};

struct batch {
	struct tabrows t[TAB_COUNT];
	struct buf lines;	/* the original lines, for rejects */
	size_t *loff;
	const char **file;	/* where each line came from */
	uint64_t *lineno;
	ledger_tok *tok;	/* Kafka input: the hold on each record's message (ledger.h) */
	int n, cap;		/* records */
	int64_t opened_ms;	/* monotonic time of the first record */
};

void batch_init(struct batch *b);
void batch_free(struct batch *b);
/* batch_clear empties a committed batch, and so finishes its records' Kafka messages. */
void batch_clear(struct batch *b);

/* batch_has_key: 1 if table t's rows already hold this key. */
int batch_has_key(const struct batch *b, int t, const struct rowkey *k);

/* batch_add adds the row that row_encode appended to tmp, and its line, holding its token. */
void batch_add(struct batch *b, int t, const struct buf *row, const struct rowkey *k,
    const struct line *l);

/* batch_sort puts each table's rows in key order. */
void batch_sort(struct batch *b);


/* conn.c */
enum pgerr {
	PGE_OK,
	PGE_TRANSIENT,	/* the connection, the server's state: try again */
	PGE_RECORD,	/* the data: a row the database refuses */
	PGE_FATAL,	/* anything else: give up */
};

/*
 * Two connections load batches side by side, so that the server works
 * on two cores. Batches in flight at the same time never share a key
 * (main.c waits for the one that holds a key before it reads the key
 * again), so the order in which they commit does not matter.
 */
#define LANES 2

struct lane {
	PGconn *conn;
	struct batch *inflight;	/* sent, not yet committed */
	uint64_t seq;		/* when it was sent, to finish the oldest first */
};

struct sink {
	const char *dsn;	/* conninfo or URI; "" for the PG* variables */
	PGconn *conn;		/* the connection of the lane at work */
	struct lane lane[LANES];
	uint64_t sent;
	int retries;		/* consecutive retries allowed */
	int64_t retry_max_ms;
	int retry;		/* consecutive failures so far */
	int table;		/* --table: TAB_* or -1 for auto */
	int verbose;
	struct stats *st;
	struct rejects *rj;
	uint64_t *batches, *retries_n, *bisects, *changed, *rows_tab[TAB_COUNT];
	char err[1024];		/* the last error, secrets removed */
	char sqlstate[6];
};

/* conn_secrets notes the passwords in dsn and PGPASSWORD; conn_redact blanks them in s. */
void conn_secrets(const char *dsn);
void conn_refuse_argv(const char *dsn);	/* exits 2 when dsn holds a password */
void conn_redact(char *s, size_t size);

/* conn_open connects, retrying as configured. 0, or -1 after a message. */
int conn_open(struct sink *s, int check);
void conn_close(struct sink *s);

/*
 * conn_result looks at a result (NULL: the connection's error) and
 * classifies it; keeps the message in s->err and clears the result.
 */
enum pgerr conn_result(struct sink *s, PGresult *res, ExecStatusType want);
enum pgerr conn_exec(struct sink *s, const char *sql);

/*
 * conn_backoff sleeps before retry number s->retry + 1 and counts it.
 * Returns 0, or -1 when the retries are used up or a signal stopped it.
 */
int conn_backoff(struct sink *s, const char *what);

/* schema_check: PGE_OK if the tables are there and current; PGE_FATAL after a message. */
enum pgerr schema_check(struct sink *s);

/*
 * load.c: load_begin sends a batch on a free connection (waiting for
 * the oldest batch in flight when none is free), and returns while the
 * server works on it; load_end waits for batch b (NULL: every batch in
 * flight) and sees that each of its rows is committed or rejected,
 * retrying as configured. Both return 0, or -1 after a message.
 * load_poll is load_end for the batches the server has finished, and
 * waits for none. load_holding returns the batch in flight that holds
 * a key, or NULL; load_busy says if b (NULL: any batch) is in flight.
 */
int load_begin(struct sink *s, struct batch *b);
int load_end(struct sink *s, struct batch *b);
int load_poll(struct sink *s);
struct batch *load_holding(struct sink *s, int t, const struct rowkey *k);
int load_busy(const struct sink *s, const struct batch *b);
void load_close(struct sink *s);

#endif
