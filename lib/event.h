/*
 * event: one record, parsed with yajl's callback parser.
 *
 * event_parse() records every top-level field of the object in order,
 * as byte spans of the original line, and decodes the fields that
 * flightstream programs use (the EVF_* table) into ev->f[]. Output goes
 * through event_write(): fields are written back verbatim and in order,
 * except those a program replaced or removed, and new fields follow at
 * the end. Numbers are never re-printed unless a program sets them, so
 * they round-trip exactly.
 *
 * A struct event is reused from record to record; after the first few
 * records parsing allocates nothing.
 */
#ifndef FS_EVENT_H
#define FS_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"

/* The fields programs read. Add new ones at the end of the list and in event.c. */
enum evf {
	EVF_TIMESTAMP,
	EVF_ICAO24,
	EVF_CALLSIGN,
	EVF_ORIGIN_COUNTRY,
	EVF_LATITUDE,
	EVF_LONGITUDE,
	EVF_BARO_ALTITUDE,
	EVF_GEO_ALTITUDE,
	EVF_VELOCITY,
	EVF_HEADING,
	EVF_VERTICAL_RATE,
	EVF_ON_GROUND,
	EVF_SQUAWK,
	EVF_SPI,
	EVF_POSITION_SOURCE,
	EVF_CATEGORY,
	EVF_SENSORS,
	EVF_SOURCE,
	EVF_TRUTH,
	EVF_COUNT
};

enum evt {
	EVT_ABSENT = 0,
	EVT_NULL,
	EVT_BOOL,
	EVT_NUMBER,
	EVT_STRING,
	EVT_OBJECT,
	EVT_ARRAY,
};

struct ev_val {
	enum evt type;
	int field;		/* index in ev->fields, -1 when absent */
	int b;			/* EVT_BOOL */
	double num;		/* EVT_NUMBER */
	const char *s;		/* EVT_STRING: decoded text; EVT_NUMBER: raw text */
	size_t len;
};

struct ev_field {
	size_t key_off, key_len;	/* the key's span with its quotes */
	const char *name;		/* the key decoded */
	size_t name_len;
	size_t val_off, val_len;	/* the value's span, verbatim */
	int evf;			/* enum evf, or -1 */
	int edit;			/* index in ev->edits + 1, 0 if untouched */
};

struct ev_edit {
	size_t key_off, key_len;	/* in ev->edbuf, without quotes */
	size_t val_off, val_len;	/* in ev->edbuf; val_len 0 removes */
	int field;			/* replaced field, -1 when appended */
};

struct event {
	const char *line;
	size_t len;
	size_t obj_start, obj_end;	/* the object's '{' and just past its '}' */
	struct ev_val f[EVF_COUNT];
	struct ev_field *fields;
	int nfields, fields_cap;
	struct ev_edit *edits;
	int nedits, edits_cap;
	struct buf strbuf;	/* decoded strings that held escapes */
	struct buf edbuf;	/* keys and values of edits */
	void *parser;		/* yajl handle, reused */
	void *pstate;
};

void event_init(struct event *ev);
void event_free(struct event *ev);

/*
 * event_parse parses line[0..len), which must stay valid while ev is
 * used. Returns 0, or -1 with a reject code ("parse", "not_object") and
 * a message (into msg, msgsz bytes) when the line is not one JSON object.
 */
int event_parse(struct event *ev, const char *line, size_t len,
    const char **code, char *msg, size_t msgsz);

/*
 * event_object gives the span of the parsed object without its closing
 * brace: from its '{' up to the '}' and the white space before it. A
 * program that only adds fields copies this span and appends to it.
 */
void event_object(const struct event *ev, size_t *start, size_t *end);

/* event_name returns the key of an EVF_* field. */
const char *event_name(enum evf f);

/*
 * event_find looks up any top-level field by key; returns its index in
 * ev->fields or -1. Keys decoded from escapes are compared decoded.
 */
int event_find(const struct event *ev, const char *key);

/* event_value returns the verbatim JSON text of field i. */
static inline const char *
event_value(const struct event *ev, int i, size_t *len)
{
	*len = ev->fields[i].val_len;
	return ev->line + ev->fields[i].val_off;
}

/*
 * event_set replaces key's value with json (raw JSON text, n bytes), or
 * appends key when the record lacks it. event_del removes key.
 * The event_set_* helpers format the value.
 */
void event_set(struct event *ev, const char *key, const char *json, size_t n);
void event_del(struct event *ev, const char *key);
void event_set_str(struct event *ev, const char *key, const char *s, size_t n);
void event_set_fixed(struct event *ev, const char *key, double v, int decimals);
void event_set_double(struct event *ev, const char *key, double v);
void event_set_int(struct event *ev, const char *key, int64_t v);
void event_set_bool(struct event *ev, const char *key, int v);
void event_set_null(struct event *ev, const char *key);
void event_set_time(struct event *ev, const char *key, int64_t ms);

/* event_write appends the (edited) record and "\n" to out. */
void event_write(const struct event *ev, struct buf *out);

/*
 * event_time decodes the timestamp field: RFC 3339 text or epoch
 * seconds/milliseconds. Returns 0, or -1 if it is absent, null or bad.
 */
int event_time(const struct event *ev, int64_t *ms);

#endif
