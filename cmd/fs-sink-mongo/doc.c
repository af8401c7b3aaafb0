/*
 * doc: a parsed record to a BSON document.
 *
 * The document's fields are the record's, in the same order, after an
 * _id made from the aircraft and the time, "ICAO24/TIMESTAMP" with the
 * timestamp as RFC 3339 in UTC with milliseconds
 * ("4b1814/2026-11-20T12:00:05.000Z"): the same record always gets the
 * same _id, so storing it again is a duplicate-key error that the
 * server refuses, and a replay is a no-op.
 *
 * JSON values become BSON values as they are written: a number without
 * a fraction or an exponent that fits is an int64, any other number a
 * double (so 10.0 stays a double, and -0 is the double -0.0); strings,
 * booleans and null as they are; objects and arrays, with their
 * members in order. The top-level time fields (mongo_time_field) are
 * BSON dates, from RFC 3339 text or epoch seconds or milliseconds.
 *
 * The line was parsed by event_parse, so it is valid JSON: the values
 * are walked here without checking their syntax again.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mongo.h"
#include "sinkmongo.h"
#include "ts.h"

struct fielderr {
	const char *kind;	/* "type", "format", "range", "encoding", "field_name", "too_deep" */
	char msg[256];
};

void
doc_init(struct docmaker *dm)
{
	memset(dm, 0, sizeof *dm);
	bson_init(&dm->doc);
}

void
doc_free(struct docmaker *dm)
{
	bson_destroy(&dm->doc);
	buf_free(&dm->str);
	buf_free(&dm->key);
}

static size_t
ws(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* unescape sets b to the text of the JSON string s[0..n), NUL-terminated; -1 as json_unescape. */
static int
unescape(struct buf *b, const char *s, size_t n)
{
	buf_reset(b);
	if (json_unescape(b, s, n) != 0)
		return -1;
	buf_cstr(b);
	return 0;
}

static int
bad(struct fielderr *fe, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
bad(struct fielderr *fe, const char *kind, const char *fmt, ...)
{
	va_list ap;

	fe->kind = kind;
	va_start(ap, fmt);
	vsnprintf(fe->msg, sizeof fe->msg, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * name checks a key (decoded in b) for what BSON and MongoDB refuse: a
 * NUL byte, which a BSON key cannot hold, and a leading '$', which
 * MongoDB keeps for its operators.
 */
static int
name(const struct buf *b, const char *field, struct fielderr *fe)
{
	if (memchr(b->p, '\0', b->len) != NULL)
		return bad(fe, "encoding", "%s: a field name holds a NUL character, which BSON"
		    " cannot store", field);
	if (b->len > 0 && b->p[0] == '$')
		return bad(fe, "field_name", "%s: the field name '%.*s' starts with '$', which"
		    " MongoDB does not store", field, (int)(b->len > 60 ? 60 : b->len), b->p);
	return 0;
}

/* number appends the JSON number s[0..n): an int64 when it is a whole number that fits, else a double. */
static int
number(bson_t *p, const char *k, int kl, const char *s, size_t n, const char *field,
    struct fielderr *fe)
{
	char tmp[32], *end;
	long long v;
	double d;
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
			break;
	if (i == n && !(n == 2 && s[0] == '-' && s[1] == '0') && n < sizeof tmp) {
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		errno = 0;
		v = strtoll(tmp, &end, 10);
		if (errno == 0 && *end == '\0') {
			bson_append_int64(p, k, kl, v);
			return 0;
		}
	}
	d = json_number(s, n);
	if (!isfinite(d))
		return bad(fe, "range", "%s %.*s is too large for a double", field,
		    (int)(n > 40 ? 40 : n), s);
	bson_append_double(p, k, kl, d);
	return 0;
}

/* value appends the JSON value s[0..n) to p under key k (kl bytes). */
static int
value(struct docmaker *dm, bson_t *p, const char *k, int kl, const char *s, size_t n,
    const char *field, struct fielderr *fe)
{
	bson_t child;
	size_t i, e;
	uint32_t idx;
	char ikey[16];
	const char *ik;
	int rc = 0;

	switch (s[0]) {
	case 'n':
		bson_append_null(p, k, kl);
		return 0;
	case 't':
	case 'f':
		bson_append_bool(p, k, kl, s[0] == 't');
		return 0;
	case '"':
		if (unescape(&dm->str, s, n) != 0)
			return bad(fe, "encoding", "%s holds an escaped half of a UTF-16 surrogate"
			    " pair, which is no character", field);
		bson_append_utf8(p, k, kl, dm->str.len ? dm->str.p : "", (int)dm->str.len);
		return 0;
	case '{':
	case '[':
		break;
	default:
		return number(p, k, kl, s, n, field, fe);
	}
	if (++dm->depth > DOC_MAX_DEPTH) {
		dm->depth--;
		return bad(fe, "too_deep", "%s nests objects and arrays more than %d deep", field,
		    DOC_MAX_DEPTH);
	}
	if (s[0] == '{') {
		bson_append_document_begin(p, k, kl, &child);
		for (i = ws(s, 1, n); rc == 0 && i < n && s[i] == '"'; ) {
			e = json_skip(s, i, n);
			if (unescape(&dm->str, s + i, e - i) != 0)
				rc = bad(fe, "encoding", "%s holds an escaped half of a UTF-16"
				    " surrogate pair, which is no character", field);
			else
				rc = name(&dm->str, field, fe);
			if (rc != 0)
				break;
			/* The key is copied by the append, before the value uses dm->str. */
			buf_reset(&dm->key);
			buf_add(&dm->key, dm->str.p, dm->str.len);
			buf_cstr(&dm->key);
			i = ws(s, ws(s, e, n) + 1, n);	/* past the ':' */
			e = json_skip(s, i, n);
			rc = value(dm, &child, dm->key.p, (int)dm->key.len, s + i, e - i, field, fe);
			i = ws(s, e, n);
			if (i < n && s[i] == ',')
				i = ws(s, i + 1, n);
		}
		bson_append_document_end(p, &child);
	} else {
		bson_append_array_begin(p, k, kl, &child);
		for (idx = 0, i = ws(s, 1, n); rc == 0 && i < n && s[i] != ']'; idx++) {
			e = json_skip(s, i, n);
			kl = (int)bson_uint32_to_string(idx, &ik, ikey, sizeof ikey);
			rc = value(dm, &child, ik, kl, s + i, e - i, field, fe);
			i = ws(s, e, n);
			if (i < n && s[i] == ',')
				i = ws(s, i + 1, n);
		}
		bson_append_array_end(p, &child);
	}
	dm->depth--;
	return rc;
}

/* parse_time reads a time: RFC 3339 text or an epoch number. */
static int
parse_time(struct docmaker *dm, const char *k, const char *s, size_t n, struct fielderr *fe,
    int64_t *ms)
{
	if (s[0] == '"') {
		if (unescape(&dm->str, s, n) != 0 || ts_parse_any(dm->str.p, dm->str.len, ms) != 0)
			return bad(fe, "format", "%s %.*s is not an RFC 3339 time", k,
			    (int)(n > 60 ? 60 : n), s);
		return 0;
	}
	if (s[0] != '{' && s[0] != '[' && s[0] != 't' && s[0] != 'f' && s[0] != 'n') {
		if (ts_from_number(json_number(s, n), ms) != 0)
			return bad(fe, "range", "%s %.*s is not an epoch time in years 1 to 9999",
			    k, (int)(n > 40 ? 40 : n), s);
		return 0;
	}
	return bad(fe, "type", "%s is %s, not a time", k, s[0] == '{' ? "an object" :
	    s[0] == '[' ? "an array" : s[0] == 'n' ? "null" : "a boolean");
}

/* fail sets the reject code and message of a field's fault. */
static int
fail(const struct fielderr *fe, const char *field, const char **code, char *msg, size_t msgsz)
{
	static char codebuf[96];

	if (strcmp(fe->kind, "encoding") == 0 || strcmp(fe->kind, "too_deep") == 0 ||
	    strcmp(fe->kind, "field_name") == 0)
		*code = fe->kind;
	else {
		snprintf(codebuf, sizeof codebuf, "%s.%.60s", fe->kind, field);
		*code = codebuf;
	}
	snprintf(msg, msgsz, "%s", fe->msg);
	return -1;
}

int
doc_make(struct docmaker *dm, const struct event *ev, const char **code, char *msg,
    size_t msgsz)
{
	const struct ev_field *f;
	const struct ev_val *icao = &ev->f[EVF_ICAO24], *ts = &ev->f[EVF_TIMESTAMP];
	struct fielderr fe;
	char t[TS_BUFSZ], fname[128];
	const char *v;
	size_t vlen;
	int64_t ms = 0;
	int i, j, rc;

	/* The _id's parts first: without them the record has no place. */
	if (icao->type == EVT_ABSENT || icao->type == EVT_NULL || ts->type == EVT_ABSENT ||
	    ts->type == EVT_NULL) {
		int which = icao->type == EVT_ABSENT || icao->type == EVT_NULL;

		*code = which ? "missing.icao24" : "missing.timestamp";
		snprintf(msg, msgsz, "%s is %s", which ? "icao24" : "timestamp",
		    (which ? icao : ts)->type == EVT_NULL ? "null" : "absent");
		return -1;
	}
	if (icao->type != EVT_STRING || icao->len == 0) {
		*code = "type.icao24";
		snprintf(msg, msgsz, "icao24 is %s, not a string of characters",
		    icao->type == EVT_STRING ? "empty" : "not a string");
		return -1;
	}
	v = event_value(ev, ts->field, &vlen);
	if (parse_time(dm, "timestamp", v, vlen, &fe, &ms) != 0)
		return fail(&fe, "timestamp", code, msg, msgsz);
	for (i = 0; i < ev->nfields; i++) {
		f = &ev->fields[i];
		for (j = 0; j < i; j++)
			if (ev->fields[j].name_len == f->name_len &&
			    memcmp(ev->fields[j].name, f->name, f->name_len) == 0) {
				*code = "duplicate_key";
				snprintf(msg, msgsz, "the key '%.*s' appears more than once",
				    (int)(f->name_len > 60 ? 60 : f->name_len), f->name);
				return -1;
			}
		if (f->name_len == 3 && memcmp(f->name, "_id", 3) == 0) {
			*code = "reserved._id";
			snprintf(msg, msgsz, "_id is made by fs-sink-mongo from icao24 and timestamp");
			return -1;
		}
	}

	bson_reinit(&dm->doc);
	dm->depth = 0;
	buf_reset(&dm->key);
	buf_add(&dm->key, icao->s, icao->len);
	buf_addc(&dm->key, '/');
	buf_add(&dm->key, t, ts_format(ms, t));
	bson_append_utf8(&dm->doc, "_id", 3, dm->key.p, (int)dm->key.len);
	for (i = 0; i < ev->nfields; i++) {
		struct buf nb;

		f = &ev->fields[i];
		v = event_value(ev, i, &vlen);
		snprintf(fname, sizeof fname, "%.*s", (int)(f->name_len > 100 ? 100 : f->name_len),
		    f->name);
		nb.p = (char *)f->name;
		nb.len = nb.cap = f->name_len;
		if ((rc = name(&nb, fname, &fe)) != 0)
			return fail(&fe, fname, code, msg, msgsz);
		if (mongo_time_field(f->name, f->name_len) && v[0] != 'n') {
			if ((rc = parse_time(dm, fname, v, vlen, &fe, &ms)) == 0)
				bson_append_date_time(&dm->doc, f->name, (int)f->name_len, ms);
		} else
			rc = value(dm, &dm->doc, f->name, (int)f->name_len, v, vlen, fname, &fe);
		if (rc != 0)
			return fail(&fe, fname, code, msg, msgsz);
	}
	if (dm->doc.len > DOC_MAX_SIZE) {
		*code = "too_large";
		snprintf(msg, msgsz, "the document is %u bytes, more than MongoDB's %d",
		    dm->doc.len, DOC_MAX_SIZE);
		return -1;
	}
	return 0;
}
