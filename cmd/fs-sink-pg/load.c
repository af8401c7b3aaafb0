/*
 * load: a batch into the tables.
 *
 * One transaction per batch: the partitions its days need are made
 * first (outside it, so the lock that takes is short), then
 *
 *	BEGIN; COPY one row per aircraft, made here from the positions;
 *	COPY the rows of each table into its staging table;
 *	INSERT ... SELECT ... ON CONFLICT into each table (positions
 *	through fs_positions_upsert, see schema.c: each day's straight
 *	into its partition, and by a plain INSERT unless a key is already
 *	there); COMMIT
 *
 * and the staging tables empty themselves at the end of it (ON COMMIT
 * DELETE ROWS). The INSERTs and the COMMIT go in one round trip, and
 * the program reads the next batch while the server works on them
 * (load_begin, load_end), on one of two connections (lanes): the server
 * works on two batches at once while the program reads a third.
 *
 * A transient error (see conn.c) sends the whole batch again after a
 * pause, on a new connection if the old one is gone: the rows are
 * idempotent, so a batch that did commit before the error was seen is
 * only written again with the same values.
 *
 * A row the database refuses fails the whole statement, and the
 * statement does not say which row it was. So the batch is rolled back
 * and cut in halves, each half loaded in its own transaction, and a
 * half that fails is cut again, down to single rows: those are the
 * rejects, each with the server's message, and everything else is
 * loaded. With k bad rows among n that costs about 2k log2(n) small
 * transactions more, and nothing when there are none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sinkpg.h"
#include "ts.h"

/* Rows [lo[t], hi[t]) of each table t: one transaction. */
struct unit {
	int lo[TAB_COUNT], hi[TAB_COUNT];
};

static const char copy_header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";

#define COPY_CHUNK (256 * 1024)

/*
 * partitions makes the day partitions of positions rows [lo, hi), and
 * tells fs_positions_upsert their days (none when there are more than
 * four: then it inserts through the parent) and how many rows there are.
 */
static enum pgerr
partitions(struct sink *s, const struct tabrows *r, int lo, int hi)
{
	int64_t days[64], d;
	int nd = 0, i, k;
	char text[64 * 12 + 3], *p = text, rows[24];
	const char *param[3];
	enum pgerr e;

	for (i = lo; i < hi; i++) {
		d = r->info[i].ms >= 0 ? r->info[i].ms / 86400000 :
		    -((-r->info[i].ms + 86399999) / 86400000);
		for (k = 0; k < nd && days[k] != d; k++)
			;
		if (k < nd)
			continue;
		if (nd == 64)
			break;	/* the rest are made by the next call */
		days[nd++] = d;
	}
	*p++ = '{';
	for (k = 0; k < nd; k++) {
		char t[TS_BUFSZ];

		ts_format(days[k] * 86400000, t);
		p += snprintf(p, (size_t)(text + sizeof text - p), "%s%.10s", k ? "," : "", t);
	}
	*p++ = '}';
	*p = '\0';
	snprintf(rows, sizeof rows, "%d", hi - lo);
	param[0] = text;
	param[1] = nd <= 4 && i == hi ? text : "";
	param[2] = rows;
	e = conn_result(s, PQexecParams(s->conn, schema_partition_sql, 3, NULL, param, NULL,
	    NULL, 0), PGRES_TUPLES_OK);
	if (e == PGE_OK && i < hi && (e = partitions(s, r, i, hi)) == PGE_OK) {
		/* More days than one call makes: the rows go through the parent. */
		param[1] = "";
		e = conn_result(s, PQexecParams(s->conn, schema_partition_sql, 3, NULL, param,
		    NULL, NULL, 0), PGRES_TUPLES_OK);
	}
	return e;
}

/* --- The aircraft of a range of positions ----------------------------- */

/* The fields of an aircraft's row are those of one of its positions rows, or times. */
struct acent {
	const char *f[AC_COUNT];	/* a field (its length word) in a positions row */
	int64_t seen[AC_COUNT];		/* when that field was reported */
	int64_t first, last;
};

static struct {
	struct acent *e;
	int n, cap;
	struct hmap set;	/* icao24 to entry */
	struct buf copy;
} ac;

static inline uint32_t
get32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static void
put_field(struct buf *b, const char *f)
{
	uint32_t n = get32(f);

	buf_add(b, f, 4 + (n == UINT32_MAX ? 0 : n));
}

static void
put_time(struct buf *b, int64_t ms, int null)
{
	uint64_t us = (uint64_t)((ms - 946684800000LL) * 1000);
	char c[12] = { 0, 0, 0, 8 };
	int i;

	if (null) {
		buf_add(b, "\377\377\377\377", 4);
		return;
	}
	for (i = 0; i < 8; i++)
		c[4 + i] = (char)(us >> (56 - 8 * i));
	buf_add(b, c, 12);
}

static int
by_icao24(const void *a, const void *b)
{
	const char *x = ((const struct acent *)a)->f[AC_ICAO24];
	const char *y = ((const struct acent *)b)->f[AC_ICAO24];
	uint32_t nx = get32(x), ny = get32(y);
	int c = memcmp(x + 4, y + 4, nx < ny ? nx : ny);

	return c != 0 ? c : nx < ny ? -1 : nx > ny;
}

/*
 * aircraft makes the COPY rows of fs_stage_aircraft from positions rows
 * [lo, hi): per icao24, the latest call sign, country and category that
 * are not null, and the first and last times.
 */
static void
aircraft(const struct tabrows *r, int lo, int hi)
{
	const char *row, *f, *icao;
	struct acent *e;
	size_t len, pos;
	uint32_t h, j;
	int i, k;

	hmap_clear(&ac.set);
	ac.n = 0;
	for (i = lo; i < hi; i++) {
		row = r->copy.p + r->off[i];
		icao = row + r->info[i].ac[AC_ICAO24];
		len = 4 + get32(icao);
		h = hmap_hash(icao, len);
		pos = 0;
		while ((j = hmap_find(&ac.set, h, &pos)) != HMAP_NONE &&
		    memcmp(ac.e[j].f[AC_ICAO24], icao, len) != 0)
			;
		if (j == HMAP_NONE) {
			if (ac.n == ac.cap) {
				ac.cap = ac.cap ? ac.cap * 2 : 1024;
				ac.e = xrealloc(ac.e, (size_t)ac.cap * sizeof *ac.e);
			}
			j = (uint32_t)ac.n++;
			e = &ac.e[j];
			memset(e, 0, sizeof *e);
			e->f[AC_ICAO24] = icao;
			e->first = e->last = r->info[i].ms;
			hmap_put(&ac.set, h, j);
		}
		e = &ac.e[j];
		if (r->info[i].ms < e->first)
			e->first = r->info[i].ms;
		if (r->info[i].ms > e->last)
			e->last = r->info[i].ms;
		for (k = AC_CALLSIGN; k < AC_COUNT; k++) {
			f = row + r->info[i].ac[k];
			if (get32(f) != UINT32_MAX && (e->f[k] == NULL || r->info[i].ms > e->seen[k])) {
				e->f[k] = f;
				e->seen[k] = r->info[i].ms;
			}
		}
	}
	/* In icao24 order: two lanes then lock the rows they share in the same order, never in a cycle. */
	qsort(ac.e, (size_t)ac.n, sizeof *ac.e, by_icao24);
	buf_reset(&ac.copy);
	for (i = 0; i < ac.n; i++) {
		e = &ac.e[i];
		buf_add(&ac.copy, "\0\7", 2);
		put_field(&ac.copy, e->f[AC_ICAO24]);
		for (k = AC_CALLSIGN; k < AC_COUNT; k++) {
			if (e->f[k] != NULL)
				put_field(&ac.copy, e->f[k]);
			else
				buf_add(&ac.copy, "\377\377\377\377", 4);
			if (k == AC_CALLSIGN)
				put_time(&ac.copy, e->seen[k], e->f[k] == NULL);
		}
		put_time(&ac.copy, e->first, 0);
		put_time(&ac.copy, e->last, 0);
	}
}

/* --- One transaction ----------------------------------------------------- */

/* copy sends p[0..n) as the rows of the COPY that is open, and ends it. */
static enum pgerr
copy_rows(struct sink *s, const char *p, size_t n)
{
	static const char trailer[2] = { '\377', '\377' };
	const char *e = p + n;
	size_t k;

	if (PQputCopyData(s->conn, copy_header, sizeof copy_header) != 1)
		return conn_result(s, NULL, PGRES_COMMAND_OK);
	for (; p < e; p += k) {
		k = (size_t)(e - p) < COPY_CHUNK ? (size_t)(e - p) : COPY_CHUNK;
		if (PQputCopyData(s->conn, p, (int)k) != 1)
			return conn_result(s, NULL, PGRES_COMMAND_OK);
	}
	if (PQputCopyData(s->conn, trailer, 2) != 1 || PQputCopyEnd(s->conn, NULL) != 1)
		return conn_result(s, NULL, PGRES_COMMAND_OK);
	return PGE_OK;
}

/* drain reads what is left of the results; the first error is the one kept. */
static enum pgerr
drain(struct sink *s, enum pgerr e)
{
	PGresult *res;

	while ((res = PQgetResult(s->conn)) != NULL) {
		if (e == PGE_OK && PQresultStatus(res) != PGRES_COMMAND_OK &&
		    PQresultStatus(res) != PGRES_TUPLES_OK)
			e = conn_result(s, res, PGRES_COMMAND_OK);
		else
			PQclear(res);
		if (PQstatus(s->conn) == CONNECTION_BAD)
			break;
	}
	return e;
}

/* rollback ends a failed transaction, keeping the first error's message. */
static enum pgerr
rollback(struct sink *s, enum pgerr e)
{
	char err[sizeof s->err], st[sizeof s->sqlstate];

	if (e == PGE_OK || PQstatus(s->conn) != CONNECTION_OK ||
	    PQtransactionStatus(s->conn) == PQTRANS_IDLE)
		return e;
	memcpy(err, s->err, sizeof err);
	memcpy(st, s->sqlstate, sizeof st);
	if (conn_exec(s, "ROLLBACK") != PGE_OK)
		e = PGE_TRANSIENT;
	memcpy(s->err, err, sizeof err);
	memcpy(s->sqlstate, st, sizeof st);
	return e;
}

/*
 * send_unit makes the partitions u needs, then sends the transaction as
 * one query: BEGIN, a COPY into the staging table of each kind of row,
 * the INSERTs and COMMIT. The server runs the statements of the query
 * one after the other, and asks for the rows of each COPY in turn; the
 * rows of the last COPY are sent and the function returns without
 * waiting for the server, which goes on with them and the rest while
 * the program reads the next batch (end_unit takes the results).
 */
static enum pgerr
send_unit(struct sink *s, struct batch *b, const struct unit *u)
{
	struct buf sql = BUF_INIT;
	const struct tabrows *r;
	const char *data[TAB_COUNT + 1];
	size_t len[TAB_COUNT + 1];
	enum pgerr e = PGE_OK;
	PGresult *res;
	int t, ncopy = 0, k = 0;

	r = &b->t[TAB_POSITIONS];
	if (u->hi[TAB_POSITIONS] > u->lo[TAB_POSITIONS] &&
	    (e = partitions(s, r, u->lo[TAB_POSITIONS], u->hi[TAB_POSITIONS])) != PGE_OK)
		return e;
	/* The aircraft first (small), then the windows, the positions last (the most rows). */
	buf_adds(&sql, "BEGIN; ");
	if (u->hi[TAB_POSITIONS] > u->lo[TAB_POSITIONS]) {
		aircraft(r, u->lo[TAB_POSITIONS], u->hi[TAB_POSITIONS]);
		buf_addf(&sql, "%s; ", schema_aircraft_copy);
		data[ncopy] = ac.copy.p;
		len[ncopy++] = ac.copy.len;
	}
	for (t = TAB_COUNT - 1; t >= 0; t--) {
		if (u->hi[t] <= u->lo[t])
			continue;
		r = &b->t[t];
		buf_addf(&sql, "%s; ", tables[t].copy_sql);
		data[ncopy] = r->copy.p + r->off[u->lo[t]];
		len[ncopy++] = r->off[u->hi[t]] - r->off[u->lo[t]];
	}
	for (t = 0; t < TAB_COUNT; t++)
		if (u->hi[t] > u->lo[t])
			buf_addf(&sql, "%s; ", t == TAB_POSITIONS ? schema_upsert_sql :
			    tables[t].insert_sql);
	if (u->hi[TAB_POSITIONS] > u->lo[TAB_POSITIONS])
		buf_addf(&sql, "%s; ", schema_aircraft_sql);
	buf_adds(&sql, "COMMIT");
	if (!PQsendQuery(s->conn, buf_cstr(&sql)))
		e = conn_result(s, NULL, PGRES_COMMAND_OK);
	buf_free(&sql);
	while (e == PGE_OK && k < ncopy && (res = PQgetResult(s->conn)) != NULL) {
		if (PQresultStatus(res) == PGRES_COMMAND_OK) {
			PQclear(res);	/* BEGIN, or a COPY done */
			continue;
		}
		if ((e = conn_result(s, res, PGRES_COPY_IN)) != PGE_OK)
			break;
		e = copy_rows(s, data[k], len[k]);
		k++;
	}
	if (e == PGE_OK && k < ncopy)
		e = conn_result(s, NULL, PGRES_COMMAND_OK);	/* the query ended early */
	if (e != PGE_OK)
		return rollback(s, drain(s, e));
	return PGE_OK;
}

/* end_unit waits for what send_unit sent; changed[t] counts the rows written. */
static enum pgerr
end_unit(struct sink *s, const struct unit *u, uint64_t *changed)
{
	PGresult *res;
	enum pgerr e = PGE_OK;
	int t = 0;

	while (e == PGE_OK && (res = PQgetResult(s->conn)) != NULL) {
		/*
		 * The results come in the order of the statements: the last
		 * COPY, each table's INSERT, the aircraft's, COMMIT.
		 */
		if ((PQresultStatus(res) == PGRES_COMMAND_OK &&
		    strncmp(PQcmdStatus(res), "INSERT", 6) == 0) ||
		    PQresultStatus(res) == PGRES_TUPLES_OK) {
			/* An INSERT says how many rows it wrote; fs_positions_upsert returns it. */
			while (t < TAB_COUNT && u->hi[t] <= u->lo[t])
				t++;
			if (t < TAB_COUNT)
				changed[t] += strtoull(PQresultStatus(res) == PGRES_TUPLES_OK ?
				    PQgetvalue(res, 0, 0) : PQcmdTuples(res), NULL, 10);
			t++;
		}
		e = conn_result(s, res, PQresultStatus(res) == PGRES_TUPLES_OK ?
		    PGRES_TUPLES_OK : PGRES_COMMAND_OK);
	}
	return rollback(s, drain(s, e));
}

static void
count(struct sink *s, const struct unit *u, const uint64_t *changed)
{
	int t;

	s->retry = 0;
	for (t = 0; t < TAB_COUNT; t++) {
		*s->rows_tab[t] += (uint64_t)(u->hi[t] - u->lo[t]);
		s->st->out += (uint64_t)(u->hi[t] - u->lo[t]);
		*s->changed += changed[t];
	}
}

static void
fatal(struct sink *s)
{
	fs_warnx("cannot load a batch: %s%s%s%s", s->err, s->sqlstate[0] ? " (SQLSTATE " : "",
	    s->sqlstate, s->sqlstate[0] ? ")" : "");
}

/*
 * run_unit loads u, retrying transient errors with backoff on a new
 * connection when the old one is gone. Returns PGE_OK, PGE_RECORD, or
 * PGE_FATAL after a message.
 */
static enum pgerr
run_unit(struct sink *s, struct batch *b, const struct unit *u)
{
	uint64_t changed[TAB_COUNT];
	enum pgerr e;

	for (;;) {
		if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK) {
			if (conn_open(s, 1) != 0)
				return PGE_FATAL;
		}
		memset(changed, 0, sizeof changed);
		e = send_unit(s, b, u);
		if (e == PGE_OK)
			e = end_unit(s, u, changed);
		if (e == PGE_OK)
			count(s, u, changed);
		if (e == PGE_FATAL)
			fatal(s);
		if (e != PGE_TRANSIENT)
			return e;
		if (PQstatus(s->conn) != CONNECTION_OK)
			conn_close(s);
		if (conn_backoff(s, "cannot load a batch") != 0)
			return PGE_FATAL;
	}
}

/* reject_row rejects row i of table t with the server's message. */
static int
reject_row(struct sink *s, struct batch *b, int t, int i)
{
	struct line l;
	char code[16];
	int rec = b->t[t].rec[i];

	memset(&l, 0, sizeof l);
	l.p = b->lines.p + b->loff[rec];
	l.len = l.full_len = b->loff[rec + 1] - b->loff[rec];
	l.file = b->file[rec];
	l.lineno = b->lineno[rec];
	l.tok = b->tok[rec];
	snprintf(code, sizeof code, "db.%s", s->sqlstate[0] ? s->sqlstate : "unknown");
	return reject_line(s->rj, &l, code, s->err);
}

/* bisect loads rows [lo, hi) of table t, finding and rejecting the rows the database refuses. */
static int
bisect(struct sink *s, struct batch *b, int t, int lo, int hi)
{
	struct unit u;
	enum pgerr e;
	int mid;

	memset(&u, 0, sizeof u);
	u.lo[t] = lo;
	u.hi[t] = hi;
	e = run_unit(s, b, &u);
	if (e == PGE_OK)
		return 0;
	if (e == PGE_FATAL)
		return -1;
	if (hi - lo == 1)
		return reject_row(s, b, t, lo) == 0 ? 0 : -1;
	(*s->bisects)++;
	mid = lo + (hi - lo) / 2;
	return bisect(s, b, t, lo, mid) == 0 && bisect(s, b, t, mid, hi) == 0 ? 0 : -1;
}

/* settle finishes a batch whose first try ended in e: retry, find the bad rows, or give up. */
static int
settle(struct sink *s, struct batch *b, enum pgerr e)
{
	struct unit u;
	int t, n, ntab = 0, rc;

	memset(&u, 0, sizeof u);
	for (t = 0; t < TAB_COUNT; t++) {
		u.hi[t] = b->t[t].n;
		ntab += b->t[t].n > 0;
	}
	if (e == PGE_TRANSIENT) {
		if (PQstatus(s->conn) != CONNECTION_OK)
			conn_close(s);
		if (conn_backoff(s, "cannot load a batch") != 0)
			return -1;
		e = run_unit(s, b, &u);
	} else if (e == PGE_FATAL)
		fatal(s);
	if (e == PGE_RECORD) {
		if (s->verbose > 0)
			fs_warnx("a batch of %d records has a row the database refuses (%s):"
			    " finding it", b->n, s->err);
		for (t = 0; t < TAB_COUNT; t++) {
			n = b->t[t].n;
			if (n == 0)
				continue;
			/* With one table, the whole of it has just failed: go on from the halves. */
			if (ntab > 1)
				rc = bisect(s, b, t, 0, n);
			else if (n == 1)
				rc = reject_row(s, b, t, 0);
			else {
				(*s->bisects)++;
				rc = bisect(s, b, t, 0, n / 2) == 0 && bisect(s, b, t, n / 2, n) == 0 ?
				    0 : -1;
			}
			if (rc != 0)
				return -1;
		}
		e = PGE_OK;
	}
	if (e != PGE_OK)
		return -1;
	if (reject_flush(s->rj) != 0)
		return -1;
	batch_clear(b);
	return 0;
}

/* enter makes l the lane at work: s->conn is its connection until leave. */
static void
enter(struct sink *s, struct lane *l)
{
	s->conn = l->conn;
}

static void
leave(struct sink *s, struct lane *l)
{
	l->conn = s->conn;
	s->conn = NULL;
}

int
load_begin(struct sink *s, struct batch *b)
{
	struct lane *l = NULL;
	struct unit u;
	enum pgerr e;
	int i, t, rc = 0;

	if (b->n == 0)
		return 0;
	/* The first free lane (at a low rate, only the first is ever used), else the oldest. */
	for (i = 0; i < LANES && l == NULL; i++)
		if (s->lane[i].inflight == NULL)
			l = &s->lane[i];
	if (l == NULL) {
		for (l = &s->lane[0], i = 1; i < LANES; i++)
			if (s->lane[i].seq < l->seq)
				l = &s->lane[i];
		if (load_end(s, l->inflight) != 0)
			return -1;
	}
	(*s->batches)++;
	batch_sort(b);
	enter(s, l);
	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK)
		rc = conn_open(s, 1);
	if (rc == 0) {
		memset(&u, 0, sizeof u);
		for (t = 0; t < TAB_COUNT; t++)
			u.hi[t] = b->t[t].n;
		e = send_unit(s, b, &u);
		if (e != PGE_OK)
			rc = settle(s, b, e);
		else {
			l->inflight = b;
			l->seq = ++s->sent;
		}
	}
	leave(s, l);
	return rc;
}

/* end_lane waits for the batch in flight on lane l. */
static int
end_lane(struct sink *s, struct lane *l)
{
	struct batch *b = l->inflight;
	uint64_t changed[TAB_COUNT];
	struct unit u;
	enum pgerr e;
	int t, rc = 0;

	l->inflight = NULL;
	memset(&u, 0, sizeof u);
	for (t = 0; t < TAB_COUNT; t++)
		u.hi[t] = b->t[t].n;
	memset(changed, 0, sizeof changed);
	enter(s, l);
	e = end_unit(s, &u, changed);
	if (e != PGE_OK)
		rc = settle(s, b, e);
	else {
		count(s, &u, changed);
		if (reject_flush(s->rj) != 0)
			rc = -1;
		batch_clear(b);
	}
	leave(s, l);
	return rc;
}

int
load_end(struct sink *s, struct batch *b)
{
	struct lane *l;
	int i;

	for (;;) {
		/* b's lane; or, for every batch, the oldest in flight. */
		for (l = NULL, i = 0; i < LANES; i++)
			if (s->lane[i].inflight != NULL && (b != NULL ? s->lane[i].inflight == b :
			    l == NULL || s->lane[i].seq < l->seq))
				l = &s->lane[i];
		if (l == NULL)
			return 0;
		if (end_lane(s, l) != 0)
			return -1;
		if (b != NULL)
			return 0;
	}
}

int
load_poll(struct sink *s)
{
	struct lane *l;
	int i;

	for (i = 0; i < LANES; i++) {
		l = &s->lane[i];
		if (l->inflight == NULL)
			continue;
		/* Ready, or the connection is gone: either way end_lane does not wait long. */
		if (PQconsumeInput(l->conn) && PQisBusy(l->conn))
			continue;
		if (end_lane(s, l) != 0)
			return -1;
	}
	return 0;
}

struct batch *
load_holding(struct sink *s, int t, const struct rowkey *k)
{
	int i;

	for (i = 0; i < LANES; i++)
		if (s->lane[i].inflight != NULL && batch_has_key(s->lane[i].inflight, t, k))
			return s->lane[i].inflight;
	return NULL;
}

int
load_busy(const struct sink *s, const struct batch *b)
{
	int i;

	for (i = 0; i < LANES; i++)
		if (s->lane[i].inflight != NULL && (b == NULL || s->lane[i].inflight == b))
			return 1;
	return 0;
}

void
load_close(struct sink *s)
{
	int i;

	conn_close(s);
	for (i = 0; i < LANES; i++) {
		enter(s, &s->lane[i]);
		conn_close(s);
		leave(s, &s->lane[i]);
	}
}
