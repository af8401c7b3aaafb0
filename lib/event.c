#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "err.h"
#include "event.h"
#include "json.h"
#include "ts.h"

static const char *const evf_names[EVF_COUNT] = {
	[EVF_TIMESTAMP] = "timestamp",
	[EVF_ICAO24] = "icao24",
	[EVF_CALLSIGN] = "callsign",
	[EVF_ORIGIN_COUNTRY] = "origin_country",
	[EVF_LATITUDE] = "latitude",
	[EVF_LONGITUDE] = "longitude",
	[EVF_BARO_ALTITUDE] = "baro_altitude",
	[EVF_GEO_ALTITUDE] = "geo_altitude",
	[EVF_VELOCITY] = "velocity",
	[EVF_HEADING] = "heading",
	[EVF_VERTICAL_RATE] = "vertical_rate",
	[EVF_ON_GROUND] = "on_ground",
	[EVF_SQUAWK] = "squawk",
	[EVF_SPI] = "spi",
	[EVF_POSITION_SOURCE] = "position_source",
	[EVF_CATEGORY] = "category",
	[EVF_SENSORS] = "sensors",
	[EVF_SOURCE] = "source",
	[EVF_TRUTH] = "truth",
};

/* by_len[n] lists the EVF_* names of length n (-1 ends it): one memcmp per key, mostly. */
#define EVF_MAXLEN 32
static signed char by_len[EVF_MAXLEN][8];

/* Parser state for one line. */
struct pstate {
	struct event *ev;
	int depth;		/* 0 outside the object, 1 at its fields */
	int objects;		/* top-level objects seen */
	int not_object;		/* a top-level value that is not an object */
	size_t after;		/* offset just past '{' or the last field's value */
	size_t obj_end;		/* offset just past the closing '}' */
};

const char *
event_name(enum evf f)
{
	return evf_names[f];
}

static void
evf_index(void)
{
	size_t n;
	int i, j;

	memset(by_len, -1, sizeof by_len);
	for (i = 0; i < EVF_COUNT; i++) {
		n = strlen(evf_names[i]);
		if (n >= EVF_MAXLEN)
			fs_errx(EXIT_FAIL, "event: field name '%s' too long", evf_names[i]);
		for (j = 0; by_len[n][j] >= 0; j++)
			;
		if (j >= 7)
			fs_errx(EXIT_FAIL, "event: field table needs a bigger index");
		by_len[n][j] = (signed char)i;
	}
}

static int
evf_lookup(const char *k, size_t n)
{
	const signed char *c;

	if (n >= EVF_MAXLEN)
		return -1;
	for (c = by_len[n]; *c >= 0; c++)
		if (memcmp(evf_names[*c], k, n) == 0)
			return *c;
	return -1;
}

static size_t
consumed(struct pstate *ps)
{
	return yajl_get_bytes_consumed((yajl_handle)ps->ev->parser);
}

static int
skip_ws(const char *p, size_t i, size_t n)
{
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	return (int)i;
}

/* A value starts at depth 1: check the top level and find the current field. */
static struct ev_field *
field_value(struct pstate *ps)
{
	if (ps->depth == 0) {
		ps->not_object = 1;
		return NULL;
	}
	if (ps->depth != 1 || ps->ev->nfields == 0)
		return NULL;
	return &ps->ev->fields[ps->ev->nfields - 1];
}

/* A scalar field value ends at the current offset. */
static struct ev_val *
scalar_end(struct pstate *ps, enum evt type)
{
	struct ev_field *fl = field_value(ps);
	struct ev_val *v;

	if (fl == NULL)
		return NULL;
	ps->after = consumed(ps);
	fl->val_len = ps->after - fl->val_off;
	if (fl->evf < 0)
		return NULL;
	v = &ps->ev->f[fl->evf];
	v->type = type;
	v->field = ps->ev->nfields - 1;
	return v;
}

static int
cb_null(void *ctx)
{
	struct pstate *ps = ctx;

	scalar_end(ps, EVT_NULL);
	return !ps->not_object;
}

static int
cb_boolean(void *ctx, int b)
{
	struct pstate *ps = ctx;
	struct ev_val *v = scalar_end(ps, EVT_BOOL);

	if (v != NULL)
		v->b = b;
	return !ps->not_object;
}

static int
cb_number(void *ctx, const char *s, size_t len)
{
	struct pstate *ps = ctx;
	struct ev_val *v = scalar_end(ps, EVT_NUMBER);

	if (v == NULL)
		return !ps->not_object;
	v->s = ps->ev->line + ps->ev->fields[v->field].val_off;
	v->len = ps->ev->fields[v->field].val_len;
	v->num = json_number(s, len);
	return 1;
}

/*
 * stash returns s as a pointer that stays valid while the event does:
 * into the line when yajl passed it from there, else a copy in strbuf
 * (which event_parse sized so that it never moves during a parse).
 */
static const char *
stash(struct event *ev, const char *s, size_t len)
{
	char *p;

	if (s >= ev->line && s + len <= ev->line + ev->len)
		return s;
	p = ev->strbuf.p + ev->strbuf.len;
	memcpy(p, s, len);
	ev->strbuf.len += len;
	return p;
}

static int
cb_string(void *ctx, const unsigned char *s, size_t len)
{
	struct pstate *ps = ctx;
	struct ev_val *v = scalar_end(ps, EVT_STRING);

	if (v != NULL) {
		v->s = stash(ps->ev, (const char *)s, len);
		v->len = len;
	}
	return !ps->not_object;
}

static int
cb_map_key(void *ctx, const unsigned char *key, size_t len)
{
	struct pstate *ps = ctx;
	struct event *ev = ps->ev;
	struct ev_field *fl;
	size_t end, i;

	if (ps->depth != 1)
		return 1;
	if (ev->nfields == ev->fields_cap) {
		ev->fields_cap = ev->fields_cap ? ev->fields_cap * 2 : 32;
		ev->fields = xrealloc(ev->fields, ev->fields_cap * sizeof *ev->fields);
	}
	fl = &ev->fields[ev->nfields++];
	end = consumed(ps);
	/* Between the last value and the key there is only white space and a comma. */
	i = ps->after;
	while (i < end && ev->line[i] != '"')
		i++;
	fl->key_off = i;
	fl->key_len = end - i;
	fl->name = stash(ev, (const char *)key, len);
	fl->name_len = len;
	i = (size_t)skip_ws(ev->line, end, ev->len);
	if (i < ev->len && ev->line[i] == ':')
		i = (size_t)skip_ws(ev->line, i + 1, ev->len);
	fl->val_off = i;
	fl->val_len = 0;
	fl->edit = 0;
	fl->evf = evf_lookup(fl->name, len);
	return 1;
}

static int
open_container(struct pstate *ps, enum evt type)
{
	struct ev_field *fl;

	if (ps->depth == 0) {
		if (type != EVT_OBJECT || ps->objects > 0) {
			ps->not_object = 1;
			return 0;
		}
		ps->depth = 1;
		ps->after = consumed(ps);
		ps->ev->obj_start = ps->after - 1;
		return 1;
	}
	if (ps->depth == 1 && (fl = field_value(ps)) != NULL && fl->evf >= 0) {
		struct ev_val *v = &ps->ev->f[fl->evf];

		v->type = type;
		v->field = ps->ev->nfields - 1;
	}
	ps->depth++;
	return 1;
}

static int
close_container(struct pstate *ps)
{
	struct ev_field *fl;

	if (--ps->depth == 0) {
		ps->objects++;
		ps->obj_end = consumed(ps);
	} else if (ps->depth == 1 && (fl = field_value(ps)) != NULL) {
		ps->after = consumed(ps);
		fl->val_len = ps->after - fl->val_off;
	}
	return 1;
}

static int cb_start_map(void *ctx) { return open_container(ctx, EVT_OBJECT); }
static int cb_end_map(void *ctx) { return close_container(ctx); }
static int cb_start_array(void *ctx) { return open_container(ctx, EVT_ARRAY); }
static int cb_end_array(void *ctx) { return close_container(ctx); }

static const yajl_callbacks callbacks = {
	cb_null, cb_boolean, NULL, NULL, cb_number, cb_string,
	cb_start_map, cb_map_key, cb_end_map, cb_start_array, cb_end_array,
};

static void
new_parser(struct event *ev)
{
	yajl_handle h;

	if (ev->parser != NULL)
		yajl_free(ev->parser);
	/*
	 * One handle serves line after line (multiple values), so parsing
	 * allocates nothing; it is replaced only after a line that failed.
	 */
	h = yajl_alloc(&callbacks, NULL, ev->pstate);
	if (h == NULL)
		fs_errx(EXIT_FAIL, "out of memory");
	yajl_config(h, yajl_allow_multiple_values, 1);
	ev->parser = h;
}

void
event_init(struct event *ev)
{
	if (by_len[0][0] == 0)
		evf_index();
	memset(ev, 0, sizeof *ev);
	ev->pstate = xcalloc(1, sizeof(struct pstate));
	new_parser(ev);
}

void
event_free(struct event *ev)
{
	if (ev->parser != NULL)
		yajl_free(ev->parser);
	free(ev->pstate);
	free(ev->fields);
	free(ev->edits);
	buf_free(&ev->strbuf);
	buf_free(&ev->edbuf);
	memset(ev, 0, sizeof *ev);
}

static void
reset(struct event *ev, const char *line, size_t len)
{
	struct pstate *ps = ev->pstate;
	int i;

	ev->line = line;
	ev->len = len;
	ev->nfields = 0;
	ev->nedits = 0;
	buf_reset(&ev->strbuf);
	buf_reset(&ev->edbuf);
	/* Decoded strings are never longer than the line: strbuf never moves while parsing. */
	if (ev->strbuf.cap < len + 1)
		buf_grow(&ev->strbuf, len + 1);
	for (i = 0; i < EVF_COUNT; i++) {
		ev->f[i].type = EVT_ABSENT;
		ev->f[i].field = -1;
	}
	memset(ps, 0, sizeof *ps);
	ps->ev = ev;
}

int
event_parse(struct event *ev, const char *line, size_t len,
    const char **code, char *msg, size_t msgsz)
{
	struct pstate *ps = ev->pstate;
	yajl_status st;
	size_t i;

	reset(ev, line, len);
	st = yajl_parse(ev->parser, (const unsigned char *)line, len);
	if (st == yajl_status_ok && !ps->not_object && ps->depth == 0 && ps->objects == 1) {
		i = (size_t)skip_ws(line, ps->obj_end, len);
		if (i == len) {
			ev->obj_end = ps->obj_end;
			return 0;
		}
		*code = "parse";
		snprintf(msg, msgsz, "unexpected text after the object at byte %zu", i + 1);
	} else if (ps->not_object) {
		*code = "not_object";
		snprintf(msg, msgsz, ps->objects ? "more than one JSON value on the line" :
		    "not a JSON object");
	} else if (st == yajl_status_ok) {
		*code = "parse";
		snprintf(msg, msgsz, ps->depth > 0 ? "truncated JSON: the line ends inside the object" :
		    "not a JSON object");
	} else {
		unsigned char *e = yajl_get_error(ev->parser, 0, (const unsigned char *)line, len);
		size_t n = e ? strcspn((char *)e, "\n") : 0;

		*code = "parse";
		snprintf(msg, msgsz, "invalid JSON at byte %zu: %.*s",
		    yajl_get_bytes_consumed(ev->parser) + 1, (int)n, e ? (char *)e : "");
		if (e != NULL)
			yajl_free_error(ev->parser, e);
	}
	new_parser(ev);
	return -1;
}

void
event_object(const struct event *ev, size_t *start, size_t *end)
{
	const char *s = ev->line;
	size_t e = ev->obj_end - 1;

	while (e > ev->obj_start + 1 && (s[e - 1] == ' ' || s[e - 1] == '\t' ||
	    s[e - 1] == '\n' || s[e - 1] == '\r'))
		e--;
	*start = ev->obj_start;
	*end = e;
}

int
event_find(const struct event *ev, const char *key)
{
	size_t n = strlen(key);
	int i;

	for (i = 0; i < ev->nfields; i++)
		if (ev->fields[i].name_len == n && memcmp(ev->fields[i].name, key, n) == 0)
			return i;
	return -1;
}

void
event_set(struct event *ev, const char *key, const char *json, size_t n)
{
	struct ev_edit *e = NULL;
	int i, field = event_find(ev, key);

	if (field >= 0 && ev->fields[field].edit > 0)
		e = &ev->edits[ev->fields[field].edit - 1];
	else if (field < 0) {
		for (i = 0; i < ev->nedits; i++)
			if (ev->edits[i].field < 0 && ev->edits[i].key_len == strlen(key) &&
			    memcmp(ev->edbuf.p + ev->edits[i].key_off, key, ev->edits[i].key_len) == 0)
				e = &ev->edits[i];
	}
	if (e == NULL) {
		if (ev->nedits == ev->edits_cap) {
			ev->edits_cap = ev->edits_cap ? ev->edits_cap * 2 : 16;
			ev->edits = xrealloc(ev->edits, ev->edits_cap * sizeof *ev->edits);
		}
		e = &ev->edits[ev->nedits++];
		e->field = field;
		e->key_off = ev->edbuf.len;
		e->key_len = strlen(key);
		buf_add(&ev->edbuf, key, e->key_len);
		if (field >= 0)
			ev->fields[field].edit = ev->nedits;
	}
	e->val_off = ev->edbuf.len;
	e->val_len = n;
	buf_add(&ev->edbuf, json, n);
}

void
event_del(struct event *ev, const char *key)
{
	int field = event_find(ev, key), i;

	if (field >= 0) {
		event_set(ev, key, "", 0);
		return;
	}
	for (i = 0; i < ev->nedits; i++)
		if (ev->edits[i].field < 0 && ev->edits[i].key_len == strlen(key) &&
		    memcmp(ev->edbuf.p + ev->edits[i].key_off, key, ev->edits[i].key_len) == 0)
			ev->edits[i].val_len = 0;
}

/* The event_set_* helpers format into a scratch buf, then call event_set. */
static struct buf scratch;

void
event_set_str(struct event *ev, const char *key, const char *s, size_t n)
{
	buf_reset(&scratch);
	json_str(&scratch, s, n);
	event_set(ev, key, scratch.p, scratch.len);
}

void
event_set_fixed(struct event *ev, const char *key, double v, int decimals)
{
	buf_reset(&scratch);
	json_fixed(&scratch, v, decimals);
	event_set(ev, key, scratch.p, scratch.len);
}

void
event_set_double(struct event *ev, const char *key, double v)
{
	buf_reset(&scratch);
	json_double(&scratch, v);
	event_set(ev, key, scratch.p, scratch.len);
}

void
event_set_int(struct event *ev, const char *key, int64_t v)
{
	buf_reset(&scratch);
	json_int(&scratch, v);
	event_set(ev, key, scratch.p, scratch.len);
}

void
event_set_bool(struct event *ev, const char *key, int v)
{
	event_set(ev, key, v ? "true" : "false", v ? 4 : 5);
}

void
event_set_null(struct event *ev, const char *key)
{
	event_set(ev, key, "null", 4);
}

void
event_set_time(struct event *ev, const char *key, int64_t ms)
{
	char t[TS_BUFSZ + 2];
	size_t n;

	t[0] = '"';
	n = ts_format(ms, t + 1);
	t[n + 1] = '"';
	event_set(ev, key, t, n + 2);
}

void
event_write(const struct event *ev, struct buf *out)
{
	const struct ev_field *fl;
	const struct ev_edit *e;
	int i, first = 1;

	buf_addc(out, '{');
	for (i = 0; i < ev->nfields; i++) {
		fl = &ev->fields[i];
		if (fl->edit == 0) {
			if (!first)
				buf_addc(out, ',');
			buf_add(out, ev->line + fl->key_off, fl->val_off + fl->val_len - fl->key_off);
		} else {
			e = &ev->edits[fl->edit - 1];
			if (e->val_len == 0)
				continue;
			if (!first)
				buf_addc(out, ',');
			buf_add(out, ev->line + fl->key_off, fl->key_len);
			buf_addc(out, ':');
			buf_add(out, ev->edbuf.p + e->val_off, e->val_len);
		}
		first = 0;
	}
	for (i = 0; i < ev->nedits; i++) {
		e = &ev->edits[i];
		if (e->field >= 0 || e->val_len == 0)
			continue;
		if (!first)
			buf_addc(out, ',');
		json_str(out, ev->edbuf.p + e->key_off, e->key_len);
		buf_addc(out, ':');
		buf_add(out, ev->edbuf.p + e->val_off, e->val_len);
		first = 0;
	}
	buf_add(out, "}\n", 2);
}

int
event_time(const struct event *ev, int64_t *ms)
{
	const struct ev_val *v = &ev->f[EVF_TIMESTAMP];

	if (v->type == EVT_STRING)
		return ts_parse_any(v->s, v->len, ms);
	if (v->type == EVT_NUMBER)
		return ts_from_number(v->num, ms);
	return -1;
}
