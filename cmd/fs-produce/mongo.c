/*
 * fs-produce mongo: the records that fs-sink-mongo stored, back as
 * NDJSON, in timestamp order.
 *
 * One find over [--since, --until), sorted by timestamp and then _id
 * (so by icao24 within a time), with allowDiskUse for big ranges. Each
 * document is written as the record it was: its fields in order, but
 * not the _id that the sink made; BSON dates as RFC 3339 in UTC with
 * milliseconds; int32 and int64 as integers; doubles in the shortest
 * form that reads back as the same double, always with a fraction or
 * an exponent (10.0, 0.5, 1e-7), so that the sink stores them as
 * doubles again. A record stored twice (a time-series collection does
 * not refuse a second _id) is written once and counted as a duplicate.
 *
 * When the server goes away in the middle, the query is made again
 * from the last time written, after a pause, and what was written
 * already is skipped.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "json.h"
#include "io.h"
#include "produce.h"
#include "stats.h"
#include "ts.h"

/* The connection, shared with fs-sink-mongo. */
#include "mongo.h"

enum {
	OPT_URI = OPT_PROGRAM,
	OPT_DB,
	OPT_COLLECTION,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_ICAO24,
	OPT_RETRIES,
};

static const struct option longopts[] = {
	{ "uri", required_argument, NULL, OPT_URI },
	{ "db", required_argument, NULL, OPT_DB },
	{ "collection", required_argument, NULL, OPT_COLLECTION },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "icao24", required_argument, NULL, OPT_ICAO24 },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* --- BSON to JSON ---------------------------------------------------------- */

/*
 * put_double writes v in the shortest digits that read back as v, laid
 * out as JavaScript does (positional from 1e-6 up to 1e21, else with an
 * exponent), with ".0" after a whole number so it stays a double.
 */
static void
put_double(struct buf *b, double v)
{
	char e[40], dig[24];
	int prec, nd = 0, exp, i;
	const char *p;

	if (!isfinite(v)) {
		json_null(b);
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(e, sizeof e, "%.*e", prec - 1, v);
		if (strtod(e, NULL) == v)
			break;
	}
	p = e;
	if (*p == '-') {
		buf_addc(b, '-');
		p++;
	}
	for (; *p != 'e'; p++)
		if (isdigit((unsigned char)*p))
			dig[nd++] = *p;
	exp = atoi(p + 1);
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	if (exp < -6 || exp >= 21) {
		buf_addc(b, dig[0]);
		if (nd > 1) {
			buf_addc(b, '.');
			buf_add(b, dig + 1, (size_t)nd - 1);
		}
		buf_addf(b, "e%c%d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	} else if (exp >= nd - 1) {
		buf_add(b, dig, (size_t)nd);
		for (i = nd - 1; i < exp; i++)
			buf_addc(b, '0');
		buf_add(b, ".0", 2);
	} else if (exp >= 0) {
		buf_add(b, dig, (size_t)exp + 1);
		buf_addc(b, '.');
		buf_add(b, dig + exp + 1, (size_t)(nd - exp - 1));
	} else {
		buf_add(b, "0.", 2);
		for (i = -1; i > exp; i--)
			buf_addc(b, '0');
		buf_add(b, dig, (size_t)nd);
	}
}

static void put_doc(struct buf *b, const bson_iter_t *parent, int array, int top);

/* put_value writes the value at it as JSON. */
static void
put_value(struct buf *b, const bson_iter_t *it)
{
	char t[TS_BUFSZ], oid[25], dec[BSON_DECIMAL128_STRING];
	bson_decimal128_t d128;
	const char *s;
	uint32_t len;
	int64_t ms;

	switch (bson_iter_type(it)) {
	case BSON_TYPE_UTF8:
		s = bson_iter_utf8(it, &len);
		json_str(b, s, len);
		break;
	case BSON_TYPE_INT32:
		json_int(b, bson_iter_int32(it));
		break;
	case BSON_TYPE_INT64:
		json_int(b, bson_iter_int64(it));
		break;
	case BSON_TYPE_DOUBLE:
		put_double(b, bson_iter_double(it));
		break;
	case BSON_TYPE_BOOL:
		json_bool(b, bson_iter_bool(it));
		break;
	case BSON_TYPE_NULL:
	case BSON_TYPE_UNDEFINED:
		json_null(b);
		break;
	case BSON_TYPE_DATE_TIME:
		ms = bson_iter_date_time(it);
		/* Years 1 to 9999 as RFC 3339; anything else as epoch milliseconds. */
		if (ms >= -62135596800000LL && ms <= 253402300799999LL) {
			buf_addc(b, '"');
			buf_add(b, t, ts_format(ms, t));
			buf_addc(b, '"');
		} else
			json_int(b, ms);
		break;
	case BSON_TYPE_DOCUMENT:
		put_doc(b, it, 0, 0);
		break;
	case BSON_TYPE_ARRAY:
		put_doc(b, it, 1, 0);
		break;
	case BSON_TYPE_OID:
		bson_oid_to_string(bson_iter_oid(it), oid);
		json_strz(b, oid);
		break;
	case BSON_TYPE_DECIMAL128:
		bson_iter_decimal128(it, &d128);
		bson_decimal128_to_string(&d128, dec);
		json_strz(b, dec);
		break;
	default: {
		/* Anything else as its relaxed extended JSON, e.g. {"$binary": ...}. */
		bson_t one = BSON_INITIALIZER;
		char *j, *v;
		size_t n;

		bson_append_iter(&one, "v", 1, it);
		j = bson_as_relaxed_extended_json(&one, NULL);
		v = j != NULL ? strchr(j, ':') : NULL;
		if (v != NULL && (n = strlen(v)) > 3)
			buf_add(b, v + 2, n - 4);	/* between "{ "v" : " and " }" */
		else
			json_null(b);
		bson_free(j);
		bson_destroy(&one);
	}
	}
}

/* put_doc writes the document or array at parent (top: the record, without its _id). */
static void
put_doc(struct buf *b, const bson_iter_t *parent, int array, int top)
{
	bson_iter_t it;
	int first = 1;

	buf_addc(b, array ? '[' : '{');
	if (bson_iter_recurse(parent, &it))
		while (bson_iter_next(&it)) {
			if (top && strcmp(bson_iter_key(&it), "_id") == 0)
				continue;
			if (!first)
				buf_addc(b, ',');
			first = 0;
			if (!array) {
				json_str(b, bson_iter_key(&it), bson_iter_key_len(&it));
				buf_addc(b, ':');
			}
			put_value(b, &it);
		}
	buf_addc(b, array ? ']' : '}');
}

/* --- The query ---------------------------------------------------------- */

struct query {
	const char *uri, *db, *coll;
	int64_t since, until;
	char **icao24;
	int nicao24;
	int retries;
	char where[256];
	char err[1024];
};

/* find starts the query from time from (inclusive). NULL after a message in q->err. */
static mongoc_cursor_t *
find(struct query *q, mongoc_client_t *client, mongoc_collection_t *c, int64_t from)
{
	bson_t filter, ts, in, *opts;
	mongoc_cursor_t *cur;
	char key[16];
	const char *k;
	int i;

	(void)client;
	bson_init(&filter);
	BSON_APPEND_DOCUMENT_BEGIN(&filter, "timestamp", &ts);
	BSON_APPEND_DATE_TIME(&ts, "$gte", from);
	BSON_APPEND_DATE_TIME(&ts, "$lt", q->until);
	bson_append_document_end(&filter, &ts);
	if (q->nicao24 > 0) {
		bson_t sub;

		BSON_APPEND_DOCUMENT_BEGIN(&filter, "icao24", &sub);
		BSON_APPEND_ARRAY_BEGIN(&sub, "$in", &in);
		for (i = 0; i < q->nicao24; i++) {
			bson_uint32_to_string((uint32_t)i, &k, key, sizeof key);
			BSON_APPEND_UTF8(&in, k, q->icao24[i]);
		}
		bson_append_array_end(&sub, &in);
		bson_append_document_end(&filter, &sub);
	}
	opts = BCON_NEW("sort", "{", "timestamp", BCON_INT32(1), "_id", BCON_INT32(1), "}",
	    "batchSize", BCON_INT32(1000), "allowDiskUse", BCON_BOOL(true));
	cur = mongoc_collection_find_with_opts(c, &filter, opts, NULL);
	bson_destroy(opts);
	bson_destroy(&filter);
	return cur;
}

/* pause_retry sleeps before retry n (from 0): 100 ms doubling, up to 10 s. -1 on a signal. */
static int
pause_retry(int n)
{
	int64_t delay = n >= 7 ? 10000 : 100LL << n, until = ts_mono_ms() + delay;
	struct timespec t;

	while (!sig_stop && ts_mono_ms() < until) {
		t.tv_sec = 0;
		t.tv_nsec = 100 * 1000000L;
		nanosleep(&t, NULL);
	}
	return sig_stop ? -1 : 0;
}

static void
parse_icao24(struct query *q, char *arg)
{
	char *p, *save = NULL;
	size_t i;

	for (p = strtok_r(arg, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save)) {
		for (i = 0; p[i] != '\0'; i++)
			p[i] = (char)tolower((unsigned char)p[i]);
		if (i != 6 || strspn(p, "0123456789abcdef") != 6)
			fs_errx(EXIT_USAGE, "invalid icao24 '%s': not 6 hexadecimal digits", p);
		q->icao24 = xrealloc(q->icao24, (size_t)(q->nicao24 + 1) * sizeof *q->icao24);
		q->icao24[q->nicao24++] = p;
	}
	if (q->nicao24 == 0)
		fs_errx(EXIT_USAGE, "invalid icao24 '': no address");
}

int
produce_mongo(int argc, char **argv)
{
	struct cli c;
	struct stats st;
	struct io_out out;
	struct query q;
	struct buf rec = BUF_INIT, last_id = BUF_INIT;
	mongoc_client_t *client = NULL;
	mongoc_collection_t *coll = NULL;
	mongoc_cursor_t *cur = NULL;
	const bson_t *doc;
	bson_error_t e;
	bson_iter_t it, top;
	const char *uri = NULL, *id;
	uint32_t idlen;
	int64_t last_ts = 0, ts;
	int ch, have_since = 0, have_until = 0, failures = 0, rc = EXIT_OK, resumed = 0;

	memset(&q, 0, sizeof q);
	q.coll = MONGO_COLL_DEFAULT;
	q.retries = 10;
	cli_init(&c, "fs-produce", PRODUCE_USAGE, CLI_OUT);
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_URI:
			uri = optarg;
			break;
		case OPT_DB:
			if (*optarg == '\0')
				fs_errx(EXIT_USAGE, "invalid db '': empty");
			q.db = optarg;
			break;
		case OPT_COLLECTION:
			if (*optarg == '\0')
				fs_errx(EXIT_USAGE, "invalid collection '': empty");
			q.coll = optarg;
			break;
		case OPT_SINCE:
		case OPT_UNTIL:
			if (ts_parse_any(optarg, strlen(optarg), ch == OPT_SINCE ? &q.since : &q.until) != 0)
				fs_errx(EXIT_USAGE, "invalid %s '%s': not an RFC 3339 time or epoch"
				    " number", ch == OPT_SINCE ? "since" : "until", optarg);
			*(ch == OPT_SINCE ? &have_since : &have_until) = 1;
			break;
		case OPT_ICAO24:
			parse_icao24(&q, optarg);
			break;
		case OPT_RETRIES:
			q.retries = (int)cli_num(optarg, 0, 1000, "retries");
			break;
		default:
			if (!cli_option(&c, ch, optarg))
				cli_usage(&c);
		}
	}
	argc -= optind;
	if (argc > 0)
		fs_errx(EXIT_USAGE, "mongo reads no files: '%s'", argv[optind]);
	if (!have_since || !have_until)
		fs_errx(EXIT_USAGE, "mongo needs --since and --until");
	if (q.since >= q.until)
		fs_errx(EXIT_USAGE, "invalid range: --since is not before --until");
	if (uri == NULL)
		uri = getenv("FS_MONGO_URI");
	q.uri = uri != NULL && *uri != '\0' ? uri : MONGO_URI_DEFAULT;

	mongo_setup(q.uri, c.verbose);
	if (io_out_stdout(&out, &c.io, "icao24") != 0) {
		mongo_teardown();
		return EXIT_FAIL;
	}
	stats_init(&st, "fs-produce", &c);
	stats_output(&st, &out);
	last_ts = q.since;
	for (;;) {
		if (client == NULL) {
			client = mongo_connect(q.uri, "fs-produce", &q.db, q.where, sizeof q.where,
			    q.err, sizeof q.err);
			if (client == NULL) {
				fs_warnx("invalid URI: %s", q.err);
				rc = EXIT_FAIL;
				break;
			}
			coll = mongoc_client_get_collection(client, q.db, q.coll);
		}
		cur = find(&q, client, coll, last_ts);
		while (!sig_stop && !out.failed && mongoc_cursor_next(cur, &doc)) {
			failures = 0;
			if (!bson_iter_init(&top, doc))
				continue;
			/* After a resume, what was written already comes again: skip it. */
			id = NULL;
			idlen = 0;
			if (bson_iter_init_find(&it, doc, "_id") && BSON_ITER_HOLDS_UTF8(&it))
				id = bson_iter_utf8(&it, &idlen);
			ts = bson_iter_init_find(&it, doc, "timestamp") && BSON_ITER_HOLDS_DATE_TIME(&it) ?
			    bson_iter_date_time(&it) : last_ts;
			if (resumed && ts == last_ts && id != NULL && last_id.len > 0) {
				size_t n = idlen < last_id.len ? idlen : last_id.len;
				int cmp = memcmp(id, last_id.p, n);

				if (cmp < 0 || (cmp == 0 && idlen < last_id.len))
					continue;
			}
			if (id != NULL && last_id.len == idlen && memcmp(id, last_id.p, idlen) == 0 &&
			    ts == last_ts) {
				st.duplicates++;
				continue;
			}
			buf_reset(&last_id);
			if (id != NULL)
				buf_add(&last_id, id, idlen);
			last_ts = ts;
			buf_reset(&rec);
			{
				bson_iter_t whole;

				/* put_doc recurses into an iterator that holds the document. */
				bson_t wrap = BSON_INITIALIZER;

				bson_append_document(&wrap, "d", 1, doc);
				bson_iter_init_find(&whole, &wrap, "d");
				put_doc(&rec, &whole, 0, 1);
				bson_destroy(&wrap);
			}
			st.in++;
			if (io_write(&out, rec.p, rec.len, 0) != 0)
				break;
			st.out++;
			stats_tick(&st);
		}
		if (sig_stop || out.failed || !mongoc_cursor_error(cur, &e)) {
			mongoc_cursor_destroy(cur);
			break;
		}
		mongoc_cursor_destroy(cur);
		mongo_error(&e, q.err, sizeof q.err);
		if (!mongo_transient(&e) || failures >= q.retries) {
			fs_warnx("cannot read '%s.%s' on %s: %s%s", q.db, q.coll, q.where, q.err,
			    failures > 0 ? "; giving up after the retries" : "");
			rc = EXIT_FAIL;
			break;
		}
		if (c.verbose >= 0)
			fs_warnx("cannot read '%s.%s' on %s: %s; retry %d of %d", q.db, q.coll,
			    q.where, q.err, failures + 1, q.retries);
		mongoc_collection_destroy(coll);
		mongoc_client_destroy(client);
		coll = NULL;
		client = NULL;
		resumed = 1;
		if (pause_retry(failures++) != 0)
			break;
	}
	if (coll != NULL)
		mongoc_collection_destroy(coll);
	if (client != NULL)
		mongoc_client_destroy(client);
	if (io_out_close(&out) != 0)
		rc = EXIT_FAIL;
	if (stats_final(&st) != 0)
		rc = EXIT_FAIL;
	buf_free(&rec);
	buf_free(&last_id);
	free(q.icao24);
	mongo_teardown();
	return rc;
}
