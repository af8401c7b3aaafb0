/*
 * fields: what a record brings to its windows: its time, its
 * measurements, its aircraft, and its key in each grouping.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "window.h"

/* want adds a field name to the map (once) and returns its slot. */
static int
want(struct fieldmap *fm, const char *name)
{
	int i;

	for (i = 0; i < fm->n; i++)
		if (strcmp(fm->name[i], name) == 0)
			return i;
	fm->name[fm->n] = name;
	fm->len[fm->n] = strlen(name);
	return fm->n++;
}

void
fieldmap_init(struct fieldmap *fm, struct window_opts *o)
{
	int g, i, k;

	memset(fm, 0, sizeof *fm);
	want(fm, "anomaly_score");
	want(fm, "is_anomaly");
	for (g = 0; g < o->ngroups; g++)
		for (i = 0; i < o->g[g].nfields; i++) {
			o->g[g].f[i].evf = -1;
			for (k = 0; k < EVF_COUNT; k++)
				if (strcmp(event_name(k), o->g[g].f[i].name) == 0)
					o->g[g].f[i].evf = k;
			o->g[g].f[i].want = o->g[g].f[i].evf < 0 ? want(fm, o->g[g].f[i].name) : -1;
		}
}

int
record_time(const struct event *ev, int64_t *t, const char **code, char *msg, size_t msgsz)
{
	const struct ev_val *v = &ev->f[EVF_TIMESTAMP];

	switch (v->type) {
	case EVT_ABSENT:
	case EVT_NULL:
		*code = "missing.timestamp";
		snprintf(msg, msgsz, "no timestamp");
		return -1;
	case EVT_STRING:
	case EVT_NUMBER:
		if (event_time(ev, t) == 0)
			return 0;
		*code = "format.timestamp";
		snprintf(msg, msgsz, "timestamp %s%.*s%s is not RFC 3339 or epoch time",
		    v->type == EVT_STRING ? "'" : "", v->len > 64 ? 64 : (int)v->len, v->s,
		    v->type == EVT_STRING ? "'" : "");
		return -1;
	default:
		*code = "type.timestamp";
		snprintf(msg, msgsz, "timestamp is neither a string nor a number");
		return -1;
	}
}

/* number reads field i as a finite number, or NaN (absent, null, not a number). */
static double
number(const struct event *ev, int i)
{
	const char *p;
	size_t n;
	double v;

	if (i < 0)
		return NAN;
	p = event_value(ev, i, &n);
	if (n == 0 || !(*p == '-' || (*p >= '0' && *p <= '9')))
		return NAN;
	v = json_number(p, n);
	return isfinite(v) ? v : NAN;
}

static double
evf_number(const struct event *ev, enum evf f)
{
	const struct ev_val *v = &ev->f[f];

	return v->type == EVT_NUMBER && isfinite(v->num) ? v->num : NAN;
}

void
record_values(const struct event *ev, struct fieldmap *fm, struct recvals *rv)
{
	const struct ev_field *fl;
	const char *p;
	size_t n;
	int i, j, left = fm->n;

	for (j = 0; j < fm->n; j++)
		fm->idx[j] = -1;
	/*
	 * One pass over the fields; the first of a repeated key counts, as
	 * in event_find. The map holds no name the parser decodes itself.
	 */
	for (i = 0; i < ev->nfields && left > 0; i++) {
		fl = &ev->fields[i];
		if (fl->evf >= 0)
			continue;
		for (j = 0; j < fm->n; j++)
			if (fm->len[j] == fl->name_len && fm->idx[j] < 0 &&
			    memcmp(fm->name[j], fl->name, fl->name_len) == 0) {
				fm->idx[j] = i;
				left--;
				break;
			}
	}
	rv->velocity = evf_number(ev, EVF_VELOCITY);
	rv->altitude = evf_number(ev, EVF_BARO_ALTITUDE);
	rv->score = number(ev, fm->idx[WANT_SCORE]);
	rv->anomaly = -1;
	if (fm->idx[WANT_ANOMALY] >= 0) {
		p = event_value(ev, fm->idx[WANT_ANOMALY], &n);
		if (n == 4 && memcmp(p, "true", 4) == 0)
			rv->anomaly = 1;
		else if (n == 5 && memcmp(p, "false", 5) == 0)
			rv->anomaly = 0;
	}
	rv->aircraft = 0;
	if (ev->f[EVF_ICAO24].type == EVT_STRING)
		rv->aircraft = aircraft_id(ev->f[EVF_ICAO24].s, ev->f[EVF_ICAO24].len);
}

uint64_t
aircraft_id(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;
	int d;

	if (n == 6) {
		for (i = 0, h = 0; i < 6 && (d = json_hexdigit((unsigned char)s[i])) >= 0; i++)
			h = h << 4 | (uint64_t)d;
		if (i == 6)
			return h | 1ULL << 24;
		h = 0xcbf29ce484222325ULL;
	}
	/* Anything else: FNV-1a, with the top bit set so that it never meets an address. */
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return h | 1ULL << 63;
}

/* value appends the key text of field i: a string's text, any other value as written. -1 if null. */
static int
value(struct buf *b, const struct event *ev, int i)
{
	const char *p;
	size_t n;

	if (i < 0)
		return -1;
	p = event_value(ev, i, &n);
	if (n == 4 && memcmp(p, "null", 4) == 0)
		return -1;
	if (n >= 2 && p[0] == '"') {
		size_t at = b->len;

		/* A lone surrogate escape is no character: the key keeps it as written. */
		if (memchr(p, '\\', n) == NULL || json_unescape(b, p, n) != 0) {
			b->len = at;
			buf_add(b, p + 1, n - 2);
		}
	} else
		buf_add(b, p, n);
	return 0;
}

int
record_key(const struct event *ev, const struct fieldmap *fm, const struct grouping *g,
    struct buf *b)
{
	int i, idx;

	buf_reset(b);
	if (g->star) {
		buf_addc(b, '*');
		return 0;
	}
	for (i = 0; i < g->nfields; i++) {
		idx = g->f[i].evf >= 0 ? ev->f[g->f[i].evf].field : fm->idx[g->f[i].want];
		if (!g->plain) {
			if (i > 0)
				buf_addc(b, ',');
			buf_add(b, g->f[i].name, g->f[i].len);
			buf_addc(b, '=');
		}
		if (value(b, ev, idx) != 0)
			return -1;
	}
	return 0;
}
