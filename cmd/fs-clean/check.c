/*
 * Validation: whether a record can be used at all. Each failure has a
 * stable code (fs-clean(1) lists them); the first failure found, in
 * the order of the checks below, is the one reported.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clean.h"
#include "json.h"
#include "ts.h"

#define CODES_FOR(f) \
	{ "type." #f, "rejected_type_" #f }, { "range." #f, "rejected_range_" #f }

const struct reject_code reject_codes[] = {
	{ "too_long", "rejected_too_long" },
	{ "encoding", "rejected_encoding" },
	{ "parse", "rejected_parse" },
	{ "not_object", "rejected_not_object" },
	{ "duplicate_key", "rejected_duplicate_key" },
	{ "missing.icao24", "rejected_missing_icao24" },
	{ "type.icao24", "rejected_type_icao24" },
	{ "format.icao24", "rejected_format_icao24" },
	{ "missing.timestamp", "rejected_missing_timestamp" },
	{ "type.timestamp", "rejected_type_timestamp" },
	{ "format.timestamp", "rejected_format_timestamp" },
	{ "range.timestamp", "rejected_range_timestamp" },
	CODES_FOR(latitude),
	CODES_FOR(longitude),
	CODES_FOR(baro_altitude),
	CODES_FOR(geo_altitude),
	CODES_FOR(velocity),
	CODES_FOR(heading),
	CODES_FOR(vertical_rate),
	{ "missing.latitude", "rejected_missing_latitude" },
	{ "missing.longitude", "rejected_missing_longitude" },
	{ "type.on_ground", "rejected_type_on_ground" },
	{ "type.spi", "rejected_type_spi" },
	{ "type.squawk", "rejected_type_squawk" },
	{ "format.squawk", "rejected_format_squawk" },
	{ "type.callsign", "rejected_type_callsign" },
	{ "missing.position", "rejected_missing_position" },
	{ "missing.altitude", "rejected_missing_altitude" },
	{ "missing.velocity", "rejected_missing_velocity" },
	{ "duplicate", "rejected_duplicate" },
	{ NULL, NULL }
};

/* The measurements with a range; the upper bound of heading is open. */
static const struct {
	enum evf evf;
	double lo, hi;
	int hi_open;
	const char *type_code, *range_code;
} measures[] = {
	{ EVF_LATITUDE, -90, 90, 0, "type.latitude", "range.latitude" },
	{ EVF_LONGITUDE, -180, 180, 0, "type.longitude", "range.longitude" },
	{ EVF_BARO_ALTITUDE, -1500, 25000, 0, "type.baro_altitude", "range.baro_altitude" },
	{ EVF_GEO_ALTITUDE, -1500, 25000, 0, "type.geo_altitude", "range.geo_altitude" },
	{ EVF_VELOCITY, 0, 1000, 0, "type.velocity", "range.velocity" },
	{ EVF_HEADING, 0, 360, 1, "type.heading", "range.heading" },
	{ EVF_VERTICAL_RATE, -150, 150, 0, "type.vertical_rate", "range.vertical_rate" },
};

#define STR(n) #n,
static const char *const added[] = { CLEAN_FIELDS(STR) };
#undef STR
#define NADDED (sizeof added / sizeof added[0])

/* 2000-01-01T00:00:00Z: no flight telemetry worth cleaning is older. */
#define T_MIN_MS 946684800000LL

static const char *
type_name(enum evt t)
{
	switch (t) {
	case EVT_ABSENT: return "absent";
	case EVT_NULL: return "null";
	case EVT_BOOL: return "a boolean";
	case EVT_NUMBER: return "a number";
	case EVT_STRING: return "a string";
	case EVT_OBJECT: return "an object";
	case EVT_ARRAY: return "an array";
	}
	return "?";
}

/* The value's text for a message, verbatim and cut short. */
static int
shown(const struct event *ev, const struct ev_val *v, const char **p)
{
	size_t n;

	*p = event_value(ev, v->field, &n);
	return n > 40 ? 40 : (int)n;
}

static int
fail(const char **code, const char *c, char *msg, size_t msgsz, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
fail(const char **code, const char *c, char *msg, size_t msgsz, const char *fmt, ...)
{
	va_list ap;

	*code = c;
	va_start(ap, fmt);
	vsnprintf(msg, msgsz, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Duplicate keys make a record ambiguous (readers disagree on which
 * value counts), so a key fs-clean reads or writes may appear only
 * once. Input fields named like a field fs-clean adds are removed.
 */
static int
check_keys(struct event *ev, const char **code, char *msg, size_t msgsz)
{
	const struct ev_field *fl;
	uint32_t seen = 0;
	int i;
	size_t j;

	for (i = 0; i < ev->nfields; i++) {
		fl = &ev->fields[i];
		if (fl->evf >= 0) {
			if (ev->f[fl->evf].field != i)
				return fail(code, "duplicate_key", msg, msgsz,
				    "key '%s' appears more than once", event_name(fl->evf));
			continue;
		}
		for (j = 0; j < NADDED; j++)
			if (strlen(added[j]) == fl->name_len &&
			    memcmp(added[j], fl->name, fl->name_len) == 0)
				break;
		if (j == NADDED)
			continue;
		if (seen & (1u << j))
			return fail(code, "duplicate_key", msg, msgsz,
			    "key '%s' appears more than once", added[j]);
		seen |= 1u << j;
	}
	for (j = 0; j < NADDED; j++)
		if (seen & (1u << j))
			event_del(ev, added[j]);
	return 0;
}

static int
check_icao(struct event *ev, struct rec *r, const char **code, char *msg, size_t msgsz)
{
	const struct ev_val *v = &ev->f[EVF_ICAO24];
	char low[6];
	uint32_t a = 0;
	int i, h, upper = 0;

	if (v->type == EVT_ABSENT || v->type == EVT_NULL)
		return fail(code, "missing.icao24", msg, msgsz, "icao24 is %s",
		    type_name(v->type));
	if (v->type != EVT_STRING)
		return fail(code, "type.icao24", msg, msgsz,
		    "icao24 must be a string, not %s", type_name(v->type));
	for (i = 0; i < 6 && (size_t)i < v->len; i++) {
		if ((h = json_hexdigit((unsigned char)v->s[i])) < 0)
			break;
		a = a << 4 | (uint32_t)h;
		upper |= v->s[i] >= 'A' && v->s[i] <= 'F';
		low[i] = (char)(h < 10 ? '0' + h : 'a' + h - 10);
	}
	if (i != 6 || v->len != 6) {
		const char *p;
		int n = shown(ev, v, &p);

		return fail(code, "format.icao24", msg, msgsz,
		    "icao24 %.*s is not 6 hexadecimal digits", n, p);
	}
	if (upper)
		event_set_str(ev, "icao24", low, 6);
	r->icao = a;
	return 0;
}

/*
 * canonical tells whether a timestamp that parsed is already written
 * as fs-clean writes it (2026-01-01T00:00:00.000Z), to spare the edit.
 */
static int
canonical(const struct ev_val *v)
{
	const char *s = v->s;

	return v->type == EVT_STRING && v->len == 24 && s[4] == '-' && s[7] == '-' &&
	    s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == '.' &&
	    s[23] == 'Z' && !(s[17] == '6' && s[18] == '0');
}

static int
check_time(struct event *ev, const struct clean_opts *o, int64_t now,
    struct rec *r, const char **code, char *msg, size_t msgsz)
{
	const struct ev_val *v = &ev->f[EVF_TIMESTAMP];
	char t[TS_BUFSZ];
	const char *p;
	int k;

	if (v->type == EVT_ABSENT || v->type == EVT_NULL)
		return fail(code, "missing.timestamp", msg, msgsz, "timestamp is %s",
		    type_name(v->type));
	if (v->type != EVT_STRING && v->type != EVT_NUMBER)
		return fail(code, "type.timestamp", msg, msgsz,
		    "timestamp must be a string or a number, not %s", type_name(v->type));
	if (event_time(ev, &r->t) != 0) {
		k = shown(ev, v, &p);
		return fail(code, "format.timestamp", msg, msgsz,
		    "timestamp %.*s is not RFC 3339 or epoch seconds or milliseconds", k, p);
	}
	if (r->t < T_MIN_MS || (o->clock_check && r->t - now > o->max_future_ms)) {
		ts_format(r->t, t);
		if (r->t < T_MIN_MS)
			return fail(code, "range.timestamp", msg, msgsz,
			    "timestamp %s is before 2000-01-01", t);
		return fail(code, "range.timestamp", msg, msgsz,
		    "timestamp %s is %.0f s ahead of the clock, more than --max-future",
		    t, (double)(r->t - now) / 1000);
	}
	if (!canonical(v))
		event_set_time(ev, "timestamp", r->t);
	return 0;
}

static int
check_measures(struct event *ev, struct rec *r, const char **code, char *msg, size_t msgsz)
{
	double *out[] = { &r->lat, &r->lon, &r->baro, &r->geo, &r->vel, &r->hdg, &r->vr };
	const struct ev_val *v;
	const char *p;
	size_t i;
	int n;

	for (i = 0; i < sizeof measures / sizeof measures[0]; i++) {
		v = &ev->f[measures[i].evf];
		*out[i] = NAN;
		if (v->type == EVT_ABSENT || v->type == EVT_NULL)
			continue;
		if (v->type != EVT_NUMBER)
			return fail(code, measures[i].type_code, msg, msgsz,
			    "%s must be a number or null, not %s",
			    event_name(measures[i].evf), type_name(v->type));
		if (!(v->num >= measures[i].lo && (measures[i].hi_open ?
		    v->num < measures[i].hi : v->num <= measures[i].hi))) {
			n = shown(ev, v, &p);
			return fail(code, measures[i].range_code, msg, msgsz,
			    "%s %.*s outside [%g, %g%c", event_name(measures[i].evf),
			    n, p, measures[i].lo, measures[i].hi,
			    measures[i].hi_open ? ')' : ']');
		}
		*out[i] = v->num;
	}
	if (isnan(r->lat) != isnan(r->lon))
		return fail(code, isnan(r->lat) ? "missing.latitude" : "missing.longitude",
		    msg, msgsz, "%s without %s", isnan(r->lat) ? "longitude" : "latitude",
		    isnan(r->lat) ? "latitude" : "longitude");
	return 0;
}

static int
check_bool(const struct event *ev, enum evf f, int *out, const char *c,
    const char **code, char *msg, size_t msgsz)
{
	const struct ev_val *v = &ev->f[f];

	*out = -1;
	if (v->type == EVT_BOOL)
		*out = v->b;
	else if (v->type != EVT_ABSENT && v->type != EVT_NULL)
		return fail(code, c, msg, msgsz, "%s must be a boolean or null, not %s",
		    event_name(f), type_name(v->type));
	return 0;
}

/* A squawk is four octal digits; a number such as 7700 is written back as "7700". */
static int
check_squawk(struct event *ev, const char **code, char *msg, size_t msgsz)
{
	const struct ev_val *v = &ev->f[EVF_SQUAWK];
	const char *p;
	char s[8];
	int i, n, ok;

	if (v->type == EVT_ABSENT || v->type == EVT_NULL)
		return 0;
	if (v->type == EVT_STRING) {
		ok = v->len == 4;
		for (i = 0; ok && i < 4; i++)
			ok = v->s[i] >= '0' && v->s[i] <= '7';
	} else if (v->type == EVT_NUMBER) {
		ok = v->num >= 0 && v->num <= 7777 && v->num == floor(v->num);
		if (ok) {
			snprintf(s, sizeof s, "%04d", (int)v->num);
			for (i = 0; ok && i < 4; i++)
				ok = s[i] <= '7';
			if (ok)
				event_set_str(ev, "squawk", s, 4);
		}
	} else
		return fail(code, "type.squawk", msg, msgsz,
		    "squawk must be a string or null, not %s", type_name(v->type));
	if (!ok) {
		n = shown(ev, v, &p);
		return fail(code, "format.squawk", msg, msgsz,
		    "squawk %.*s is not 4 octal digits", n, p);
	}
	return 0;
}

/* Call signs come space-padded from some sources; an empty one is null. */
static int
check_callsign(struct event *ev, const char **code, char *msg, size_t msgsz)
{
	const struct ev_val *v = &ev->f[EVF_CALLSIGN];
	size_t a = 0, b;

	if (v->type == EVT_ABSENT || v->type == EVT_NULL)
		return 0;
	if (v->type != EVT_STRING)
		return fail(code, "type.callsign", msg, msgsz,
		    "callsign must be a string or null, not %s", type_name(v->type));
	b = v->len;
	while (a < b && v->s[a] == ' ')
		a++;
	while (b > a && v->s[b - 1] == ' ')
		b--;
	if (a == b)
		event_set_null(ev, "callsign");
	else if (b - a != v->len)
		event_set_str(ev, "callsign", v->s + a, b - a);
	return 0;
}

static int
check_require(const struct clean_opts *o, const struct rec *r, const char **code,
    char *msg, size_t msgsz)
{
	if ((o->require & REQ_POSITION) && isnan(r->lat))
		return fail(code, "missing.position", msg, msgsz,
		    "no latitude and longitude (--require position)");
	if ((o->require & REQ_ALTITUDE) && isnan(r->baro) && isnan(r->geo))
		return fail(code, "missing.altitude", msg, msgsz,
		    "no baro_altitude or geo_altitude (--require altitude)");
	if ((o->require & REQ_VELOCITY) && isnan(r->vel))
		return fail(code, "missing.velocity", msg, msgsz,
		    "no velocity (--require velocity)");
	return 0;
}

int
check_record(struct event *ev, const struct clean_opts *o, int64_t now,
    struct rec *r, const char **code, char *msg, size_t msgsz)
{
	int spi;

	if (check_keys(ev, code, msg, msgsz) != 0 ||
	    check_icao(ev, r, code, msg, msgsz) != 0 ||
	    check_time(ev, o, now, r, code, msg, msgsz) != 0 ||
	    check_measures(ev, r, code, msg, msgsz) != 0 ||
	    check_bool(ev, EVF_ON_GROUND, &r->on_ground, "type.on_ground", code, msg, msgsz) != 0 ||
	    check_bool(ev, EVF_SPI, &spi, "type.spi", code, msg, msgsz) != 0 ||
	    check_squawk(ev, code, msg, msgsz) != 0 ||
	    check_callsign(ev, code, msg, msgsz) != 0 ||
	    check_require(o, r, code, msg, msgsz) != 0)
		return -1;
	return 0;
}
