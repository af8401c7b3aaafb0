/*
 * conn: the connection to PostgreSQL, what its errors mean, retrying,
 * and keeping the password out of every message.
 *
 * Errors are told apart by the class of their SQLSTATE (PostgreSQL
 * documentation, Appendix A): a lost connection (no SQLSTATE, or class
 * 08), a server shutting down or starting (57P01-57P03), a deadlock or
 * serialization failure (class 40), a lack of resources (53), a
 * lock not available (55P03), a statement cancelled (57014) or a
 * system error (58) are transient: the batch is sent again after a
 * pause. Data exceptions (22), integrity constraint violations (23) and
 * program limits such as a row too big (54) belong to rows: the rows
 * are found and rejected. Anything else (a missing table, no privilege,
 * a syntax error) is fatal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "retry.h"
#include "secret.h"
#include "sinkpg.h"
#include "ts.h"

/* --- Secrets -------------------------------------------------------------- */

/*
 * conn_secrets notes every password that the connection string or the
 * environment holds, so that conn_redact can blank them: the one libpq
 * parses, and, in case it cannot parse the string (its error may quote
 * a piece of it), the ones found by looking at the text: the password
 * of a URI's user info, and password= in a URI's query or in key=value
 * form.
 */
static void
dsn_secrets(const char *dsn)
{
	PQconninfoOption *opts, *o;
	const char *p, *e;
	char *err = NULL;

	if (dsn == NULL || *dsn == '\0')
		return;
	if ((opts = PQconninfoParse(dsn, &err)) != NULL) {
		for (o = opts; o->keyword != NULL; o++)
			if (strcmp(o->keyword, "password") == 0 && o->val != NULL)
				secret_add(o->val, strlen(o->val));
		PQconninfoFree(opts);
	}
	PQfreemem(err);
	secret_uri_userinfo(dsn);
	for (p = dsn; (p = strstr(p, "password")) != NULL; ) {
		p += 8;
		p += strspn(p, " \t");
		if (*p != '=')
			continue;
		p++;
		p += strspn(p, " \t");
		if (*p == '\'') {
			/* A quoted value: take it up to the closing quote, escapes and all. */
			for (e = p + 1; *e != '\0' && *e != '\''; e++)
				if (*e == '\\' && e[1] != '\0')
					e++;
			secret_add(p + 1, (size_t)(e - p - 1));
		} else {
			e = p + strcspn(p, " \t&#");
			secret_add_pct(p, (size_t)(e - p));
		}
	}
}

void
conn_secrets(const char *dsn)
{
	const char *env;

	if ((env = getenv("PGPASSWORD")) != NULL)
		secret_add(env, strlen(env));
	dsn_secrets(dsn);
}

/*
 * conn_refuse_argv exits 2 when a connection string given on the command
 * line holds a password: /proc/PID/cmdline shows it to every user of the
 * machine for as long as the sink runs. The message names no part of it.
 */
void
conn_refuse_argv(const char *dsn)
{
	int had = secret_count();

	dsn_secrets(dsn);
	if (secret_count() > had || secret_in(dsn))
		fs_errx(EXIT_USAGE, "password refused in --dsn: other users of this machine can "
		    "read the command line; use PGPASSWORD, ~/.pgpass or FS_PG_DSN");
}

/* conn_redact replaces every known secret in s (NUL-terminated, size bytes) by "***". */
void
conn_redact(char *s, size_t size)
{
	secret_redact(s, size);
}

/* --- Errors --------------------------------------------------------------- */

/* keep copies the first line of a message into s->err, without secrets. */
static void
keep(struct sink *s, const char *msg)
{
	size_t n;

	if (msg == NULL || *msg == '\0')
		msg = "unknown error";
	n = strcspn(msg, "\n");
	snprintf(s->err, sizeof s->err, "%.*s", (int)n, msg);
	conn_redact(s->err, sizeof s->err);
}

static enum pgerr
classify(const char *st)
{
	if (strncmp(st, "08", 2) == 0 || strncmp(st, "40", 2) == 0 ||
	    strncmp(st, "53", 2) == 0 || strncmp(st, "58", 2) == 0 ||
	    strcmp(st, "57P01") == 0 || strcmp(st, "57P02") == 0 ||
	    strcmp(st, "57P03") == 0 || strcmp(st, "57014") == 0 || strcmp(st, "55P03") == 0)
		return PGE_TRANSIENT;
	if (strncmp(st, "22", 2) == 0 || strncmp(st, "23", 2) == 0 || strncmp(st, "54", 2) == 0)
		return PGE_RECORD;
	return PGE_FATAL;
}

enum pgerr
conn_result(struct sink *s, PGresult *res, ExecStatusType want)
{
	const char *st, *msg, *ctx, *col;
	enum pgerr e;
	size_t n;

	if (res != NULL && PQresultStatus(res) == want) {
		PQclear(res);
		return PGE_OK;
	}
	st = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (msg == NULL && res != NULL && PQresultStatus(res) != PGRES_FATAL_ERROR &&
	    PQresultStatus(res) != PGRES_NONFATAL_ERROR)
		msg = PQresStatus(PQresultStatus(res));
	keep(s, msg != NULL ? msg : (res != NULL && *PQresultErrorMessage(res) ?
	    PQresultErrorMessage(res) : PQerrorMessage(s->conn)));
	/* COPY's errors say which column in their context: "COPY t, line 1, column c: ...". */
	if (res != NULL && (ctx = PQresultErrorField(res, PG_DIAG_CONTEXT)) != NULL &&
	    strncmp(ctx, "COPY ", 5) == 0 && (col = strstr(ctx, ", column ")) != NULL) {
		col += 9;
		n = strcspn(col, ":\n");
		snprintf(s->err + strlen(s->err), sizeof s->err - strlen(s->err), " (column %.*s)",
		    (int)n, col);
	}
	snprintf(s->sqlstate, sizeof s->sqlstate, "%s", st != NULL ? st : "");
	if (PQstatus(s->conn) == CONNECTION_BAD)
		e = PGE_TRANSIENT;
	else if (st == NULL)
		e = PGE_FATAL;
	else
		e = classify(st);
	PQclear(res);
	return e;
}

enum pgerr
conn_exec(struct sink *s, const char *sql)
{
	PGresult *res = PQexec(s->conn, sql);
	ExecStatusType want = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK ?
	    PGRES_TUPLES_OK : PGRES_COMMAND_OK;

	return conn_result(s, res, want);
}

/* --- Connecting --------------------------------------------------------- */

/* Server notices and warnings go to stderr like ours, without secrets. */
static void
notice(void *arg, const char *msg)
{
	char m[1024];

	(void)arg;
	snprintf(m, sizeof m, "%s", msg);
	m[strcspn(m, "\n")] = '\0';
	conn_redact(m, sizeof m);
	fs_warnx("server: %s", m);
}

/*
 * connect_params: the user's connection string (expanded by libpq),
 * after defaults of our own that it and the PG* variables override: a
 * connect timeout, TCP keepalives that notice a dead peer in about a
 * minute rather than hours, and the application name.
 */
static PGconn *
connect_once(const char *dsn, int ping, PGPing *pr)
{
	const char *keys[8], *vals[8];
	int n = 0;

	if (getenv("PGCONNECT_TIMEOUT") == NULL) {
		keys[n] = "connect_timeout";
		vals[n++] = "10";
	}
	keys[n] = "keepalives_idle";
	vals[n++] = "30";
	keys[n] = "keepalives_interval";
	vals[n++] = "10";
	keys[n] = "keepalives_count";
	vals[n++] = "3";
	keys[n] = "fallback_application_name";
	vals[n++] = "fs-sink-pg";
	keys[n] = "dbname";
	vals[n++] = dsn != NULL && *dsn != '\0' ? dsn : NULL;
	keys[n] = NULL;
	vals[n] = NULL;
	if (ping) {
		*pr = PQpingParams(keys, vals, 1);
		return NULL;
	}
	return PQconnectdbParams(keys, vals, 1);
}

/* target describes the server and database in messages: never the password. */
static void
target(PGconn *c, char *out, size_t size)
{
	const char *host = PQhost(c), *port = PQport(c);

	snprintf(out, size, "database '%s' as '%s' on '%s%s%s'", PQdb(c) ? PQdb(c) : "?",
	    PQuser(c) ? PQuser(c) : "?", host ? host : "?", port && *port ? ":" : "",
	    port ? port : "");
	conn_redact(out, size);
}

/* setup prepares a new session: quiet notices, room for the staging tables, the tables. */
static enum pgerr
setup(struct sink *s, int check)
{
	struct buf sql = BUF_INIT;
	enum pgerr e;
	int t;

	PQsetNoticeProcessor(s->conn, notice, NULL);
	/*
	 * A COMMIT acknowledged must be durable, or a crash of the server
	 * could lose rows the program has counted as loaded (and, with
	 * Kafka, offsets stored past them): asynchronous commit is turned
	 * back on for this session. Stricter settings are kept.
	 */
	buf_adds(&sql, "SET client_min_messages = warning; SET temp_buffers = '64MB';"
	    " SELECT set_config('synchronous_commit', 'on', false)"
	    " WHERE current_setting('synchronous_commit') = 'off'");
	for (t = 0; t < TAB_COUNT; t++)
		buf_addf(&sql, "; %s", tables[t].stage_ddl);
	buf_addf(&sql, "; %s", schema_aircraft_stage);
	if (check) {
		e = schema_check(s);
		if (e != PGE_OK) {
			buf_free(&sql);
			return e;
		}
	}
	e = conn_exec(s, buf_cstr(&sql));
	buf_free(&sql);
	return e;
}

void
conn_close(struct sink *s)
{
	if (s->conn != NULL)
		PQfinish(s->conn);
	s->conn = NULL;
}

int
conn_open(struct sink *s, int check)
{
	char where[512];
	enum pgerr e;
	PGPing ping;
	int refused = 0;

	for (;;) {
		conn_close(s);
		s->conn = connect_once(s->dsn, 0, NULL);
		if (s->conn == NULL)
			fs_errx(EXIT_FAIL, "out of memory");
		if (PQstatus(s->conn) == CONNECTION_OK) {
			e = setup(s, check);
			if (e == PGE_OK) {
				s->retry = 0;
				return 0;
			}
			if (e == PGE_FATAL) {
				if (s->err[0] != '\0')
					fs_warnx("cannot prepare the session: %s", s->err);
				return -1;
			}
		} else {
			keep(s, PQerrorMessage(s->conn));
			target(s->conn, where, sizeof where);
			if (PQconnectionNeedsPassword(s->conn)) {
				fs_warnx("cannot connect to %s: the server wants a password: set"
				    " PGPASSWORD or use a password file (PGPASSFILE)", where);
				return -1;
			}
			/*
			 * A refusal (a wrong password, no such role or database)
			 * is believed only when an attempt made at once is refused
			 * too: a server starting up may be ready by then.
			 */
			connect_once(s->dsn, 1, &ping);
			if (ping == PQPING_NO_ATTEMPT || (ping == PQPING_OK &&
			    strstr(s->err, "too many") == NULL)) {
				if (ping == PQPING_OK && !refused) {
					refused = 1;
					continue;
				}
				fs_warnx("cannot connect to %s: %s", where, s->err);
				return -1;
			}
			refused = 0;
			snprintf(s->err + strlen(s->err), sizeof s->err - strlen(s->err),
			    " (%s)", where);
		}
		if (conn_backoff(s, "cannot connect") != 0)
			return -1;
	}
}

/* --- Retries -------------------------------------------------------------- */

int
conn_backoff(struct sink *s, const char *what)
{
	if (retry_backoff(&s->retry, s->retries, s->retry_max_ms, s->verbose, what, s->err) != 0)
		return -1;
	(*s->retries_n)++;
	return 0;
}
