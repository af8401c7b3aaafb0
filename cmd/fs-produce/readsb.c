/*
 * fs-produce readsb: positions from a local ADS-B receiver, from the
 * aircraft.json that readsb, dump1090-fa and their kin serve over HTTP
 * or write to a directory.
 *
 * Each aircraft of the file becomes one Position record, its values
 * turned into the record's SI units: feet to metres, knots to metres
 * per second, feet per minute to metres per second. Numbers without a
 * unit to change (latitude, longitude, track) are written as the
 * receiver wrote them. What the receiver does not know is null. The
 * time of a record is the file's "now" less the age of the position
 * ("seen_pos"); as both are rounded to a tenth of a second, a position
 * whose time is within DUP_TOLERANCE_MS of the one last sent for the
 * aircraft is the same position, and is not sent again.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cli.h"
#include "http.h"
#include "live.h"
#include "produce.h"
#include "ts.h"

#define DEFAULT_INTERVAL_MS	1000
#define DEFAULT_TIMEOUT_MS	5000
#define DUP_TOLERANCE_MS	250

#define FT_M	0.3048		/* metres in a foot */
#define KT_MS	0.514444	/* metres per second in a knot */
#define FPM_MS	0.00508		/* metres per second in a foot per minute */

static const struct option longopts[] = {
	LIVE_LONGOPTS,
	CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/*
 * The measurements, by their readsb names and then the older dump1090
 * ones; the first present counts. Integer feet times 0.3048 have at
 * most 4 decimals, so altitudes are exact.
 */
static const struct {
	const char *keys[3];
	int pf;
	double factor;		/* 0: the number as written */
	int decimals;
} measures[] = {
	{ { "lat" }, PF_LATITUDE, 0, 0 },
	{ { "lon" }, PF_LONGITUDE, 0, 0 },
	{ { "alt_geom" }, PF_GEO_ALTITUDE, FT_M, 4 },
	{ { "gs", "speed" }, PF_VELOCITY, KT_MS, 2 },
	{ { "track" }, PF_HEADING, 0, 0 },
	{ { "baro_rate", "geom_rate", "vert_rate" }, PF_VERTICAL_RATE, FPM_MS, 2 },
};

struct readsb {
	struct live lv;
	const char *src;
	int is_url;
	struct http_resp resp;
};

/* value returns the value of key in ac, NULL when it is missing or null. */
static yajl_val
value(yajl_val ac, const char *key)
{
	yajl_val v = live_get(ac, key);

	return v == NULL || YAJL_IS_NULL(v) ? NULL : v;
}

/* first returns the first of keys that ac has, and its name. */
static yajl_val
first(yajl_val ac, const char *const keys[3], const char **name)
{
	yajl_val v;
	int i;

	for (i = 0; i < 3 && keys[i] != NULL; i++)
		if ((v = value(ac, keys[i])) != NULL) {
			*name = keys[i];
			return v;
		}
	return NULL;
}

/* number returns v as a double, or NAN when it is not a number. */
static double
number(yajl_val v)
{
	if (!YAJL_IS_NUMBER(v) || !(v->u.number.flags & YAJL_NUMBER_DOUBLE_VALID))
		return NAN;
	return v->u.number.d;
}

/* has says whether the array field list of ac (such as "mlat") names item. */
static int
has(yajl_val ac, const char *list, const char *item)
{
	yajl_val v = live_get(ac, list);
	size_t i;

	for (i = 0; YAJL_IS_ARRAY(v) && i < v->u.array.len; i++)
		if (YAJL_IS_STRING(v->u.array.values[i]) &&
		    strcmp(v->u.array.values[i]->u.string, item) == 0)
			return 1;
	return 0;
}

/*
 * position_source maps where the position came from to OpenSky's
 * codes: 0 ADS-B (and ADS-R, its rebroadcast), 2 multilateration;
 * -1 (null) for TIS-B and other sources OpenSky has no code for. A
 * receiver that does not say (dump1090) decodes ADS-B.
 */
static int
position_source(yajl_val ac)
{
	yajl_val type = live_get(ac, "type");
	const char *t;

	if (has(ac, "mlat", "lat"))
		return 2;
	if (has(ac, "tisb", "lat"))
		return -1;
	if (!YAJL_IS_STRING(type))
		return 0;
	t = type->u.string;
	if (strcmp(t, "mlat") == 0)
		return 2;
	if (strncmp(t, "adsb_", 5) == 0 || strncmp(t, "adsr_", 5) == 0)
		return 0;
	return -1;
}

/*
 * category maps an ADS-B emitter category ("A3") to OpenSky's number:
 * A0, B0, C0 (no category information) 1, A1-A7 2-8, B1-B7 9-15,
 * C1-C5 16-20; -1 (null) for anything else.
 */
static int
category(const char *s)
{
	int n;

	if (strlen(s) != 2 || s[1] < '0' || s[1] > '7')
		return -1;
	n = s[1] - '0';
	if (n == 0 && (s[0] == 'A' || s[0] == 'B' || s[0] == 'C'))
		return 1;
	switch (s[0]) {
	case 'A':
		return 1 + n;
	case 'B':
		return 8 + n;
	case 'C':
		return n <= 5 ? 15 + n : -1;
	}
	return -1;
}

/* reject_aircraft turns down aircraft ac. */
#define reject_aircraft(s, ac, ...) live_reject(&(s)->lv, (ac), "bad_aircraft", __VA_ARGS__)

/*
 * aircraft writes the record of aircraft ac, number i, in a file
 * written at now_ms; -1 when the output failed.
 */
static int
aircraft(struct readsb *s, yajl_val ac, size_t i, int64_t now_ms)
{
	struct live *lv = &s->lv;
	struct rec *r = &lv->rec;
	static const char *const alt_keys[3] = { "alt_baro", "altitude" };
	const char *hex, *name = NULL;
	char icao[16], sq[8];
	yajl_val v;
	double d;
	size_t k, m;
	int64_t ts;
	int n;

	lv->st.in++;
	if (!YAJL_IS_OBJECT(ac))
		return reject_aircraft(s, ac, "aircraft %zu is %s, not an object", i, live_type(ac));
	v = value(ac, "hex");
	if (!YAJL_IS_STRING(v) || v->u.string[0] == '\0' || strlen(v->u.string) >= sizeof icao)
		return reject_aircraft(s, ac, "aircraft %zu: \"hex\" is %s, not an address", i,
		    live_type(v));
	hex = v->u.string;

	/* Type checks first, so that a record is written whole or not at all. */
	for (m = 0; m < sizeof measures / sizeof measures[0]; m++)
		if ((v = first(ac, measures[m].keys, &name)) != NULL && isnan(number(v)))
			return reject_aircraft(s, ac, "aircraft %zu (%s): \"%s\" is %s, not a number",
			    i, hex, name, live_type(v));
	v = first(ac, alt_keys, &name);
	if (v != NULL && isnan(number(v)) && !(YAJL_IS_STRING(v) && strcmp(v->u.string, "ground") == 0))
		return reject_aircraft(s, ac, "aircraft %zu (%s): \"%s\" is %s, not a number or "
		    "\"ground\"", i, hex, name, live_type(v));

	/* The position's time: now less its age; with no position, the last message's. */
	ts = now_ms;
	if ((v = value(ac, "seen_pos")) != NULL || (v = value(ac, "seen")) != NULL) {
		if (isnan(d = number(v)) || fabs(d) > 1e9)
			return reject_aircraft(s, ac, "aircraft %zu (%s): its age is %s, not a number",
			    i, hex, live_type(v));
		ts = now_ms - llround(d * 1000);
	}

	/* "~" marks an address that is not an ICAO one (TIS-B, for one): it is kept. */
	for (k = 0; hex[k] != '\0'; k++)
		icao[k] = (char)tolower((unsigned char)hex[k]);
	icao[k] = '\0';
	rec_begin(r, ts, icao, k);
	rec_str(r, PF_ICAO24, icao, k);
	if (YAJL_IS_STRING(v = value(ac, "flight")))
		rec_callsign(r, v->u.string);
	for (m = 0; m < sizeof measures / sizeof measures[0]; m++) {
		if ((v = first(ac, measures[m].keys, &name)) == NULL)
			continue;
		if (measures[m].factor == 0)
			rec_json(r, (enum pf)measures[m].pf, v);
		else
			rec_fixed(r, (enum pf)measures[m].pf, number(v) * measures[m].factor,
			    measures[m].decimals);
	}
	if ((v = first(ac, alt_keys, &name)) != NULL) {
		if (YAJL_IS_STRING(v)) {
			rec_bool(r, PF_ON_GROUND, 1);
		} else {
			rec_fixed(r, PF_BARO_ALTITUDE, number(v) * FT_M, 4);
			rec_bool(r, PF_ON_GROUND, 0);
		}
	}
	v = value(ac, "squawk");
	if (YAJL_IS_STRING(v)) {
		rec_str(r, PF_SQUAWK, v->u.string, strlen(v->u.string));
	} else if (YAJL_IS_NUMBER(v) && (v->u.number.flags & YAJL_NUMBER_INT_VALID) &&
	    v->u.number.i >= 0 && v->u.number.i <= 7777) {
		n = snprintf(sq, sizeof sq, "%04lld", v->u.number.i);
		rec_str(r, PF_SQUAWK, sq, (size_t)n);
	}
	v = value(ac, "spi");
	if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
		rec_bool(r, PF_SPI, YAJL_IS_TRUE(v));
	else if (!isnan(number(v)))
		rec_bool(r, PF_SPI, number(v) != 0);
	if (value(ac, "lat") != NULL && value(ac, "lon") != NULL &&
	    (n = position_source(ac)) >= 0)
		rec_int(r, PF_POSITION_SOURCE, n);
	if (YAJL_IS_STRING(v = value(ac, "category")) && (n = category(v->u.string)) >= 0)
		rec_int(r, PF_CATEGORY, n);
	rec_str(r, PF_SOURCE, "readsb", 6);
	return live_emit(lv, DUP_TOLERANCE_MS);
}

/* convert writes the records of an aircraft.json; -1 if it is malformed or the output failed. */
static int
convert(struct readsb *s, struct buf *body, const char *what)
{
	struct live *lv = &s->lv;
	yajl_val root, list;
	int64_t now_ms, check;
	size_t i;
	double d;
	int rc = 0;

	if (live_list(lv, what, body, "aircraft", 0, &root, &list) != 0)
		return -1;
	/* "now" is seconds with a tenth; some feeds write milliseconds. */
	d = number(live_get(root, "now"));
	if (!isnan(d) && ts_from_number(d, &check) == 0)
		now_ms = fabs(d) < 1e11 ? llround(d * 1000) : llround(d);
	else
		now_ms = ts_now_ms();
	for (i = 0; i < list->u.array.len && rc == 0; i++)
		rc = aircraft(s, list->u.array.values[i], i, now_ms);
	if (lv->cli.verbose > 0)
		fs_warnx("'%s': %zu aircraft", what, list->u.array.len);
	yajl_tree_free(root);
	return rc;
}

/* poll reads the receiver's aircraft.json once. */
static int
poll(struct live *lv, void *arg)
{
	struct readsb *s = arg;
	struct http_resp *r = &s->resp;

	if (!s->is_url) {
		if (live_read_file(s->src, &r->body) != 0)
			return -1;
	} else if (http_fetch(&lv->http, s->src, NULL, NULL, 0, r) != 0 || r->status != 200) {
		return live_failed("", s->src, r, 1);
	}
	return convert(s, &r->body, s->src);
}

int
produce_readsb(int argc, char **argv)
{
	struct readsb s;
	struct live *lv = &s.lv;
	int ch, rc;

	memset(&s, 0, sizeof s);
	live_init(lv, DEFAULT_INTERVAL_MS, DEFAULT_TIMEOUT_MS);
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
		if (!live_option(lv, ch, optarg))
			cli_usage(&lv->cli);
	}
	argc -= optind;
	argv += optind;
	if (argc != 1) {
		if (argc == 0)
			fs_warnx("no receiver: give the URL of its aircraft.json, or a file");
		else
			fs_warnx("unexpected argument '%s'", argv[1]);
		cli_usage(&lv->cli);
	}
	s.src = argv[0];
	s.is_url = strncasecmp(s.src, "http://", 7) == 0 || strncasecmp(s.src, "https://", 8) == 0;
	/* A file is read once, unless --interval asks to read it again and again. */
	if (!s.is_url && !lv->interval_set)
		lv->once = 1;
	if (!s.is_url && lv->interval_set && !lv->once && strcmp(s.src, "-") == 0)
		fs_errx(EXIT_USAGE, "--interval needs a file or a URL: standard input cannot be "
		    "read twice");
	if (lv->cli.verbose > 0 && !lv->once)
		fs_warnx("polling '%s' every %.3gs", s.src, (double)lv->interval / 1000);

	if (live_start(lv) != 0) {
		rc = EXIT_FAIL;
	} else {
		rc = live_run(lv, poll, &s);
		rc = live_finish(lv, rc);
	}
	http_resp_free(&s.resp);
	return rc;
}
