/*
 * row: a parsed record to one row of PostgreSQL's binary COPY format.
 *
 * Each field of the record is looked up by name among the columns of
 * its table (schema.c); its JSON text is turned into the column's
 * binary form here, so the server parses no text at all. Fields with
 * no column go, verbatim, into the jsonb column "extra".
 *
 * What the JSON itself says is checked here: a string where a number
 * belongs, a fraction where an integer belongs, a timestamp that is not
 * one. Those records are rejects with a type.FIELD, format.FIELD or
 * range.FIELD code. What the table says (its CHECK constraints, text
 * that PostgreSQL cannot store, such as a NUL character) is the
 * server's to say: those rows fail in the database, and load.c finds
 * them and rejects them with the server's message.
 *
 * The format: a row is a 16-bit count of fields, then each field as a
 * 32-bit length (-1 for NULL) and its bytes, all in network byte order
 * (PostgreSQL documentation, COPY, "Binary Format"; the field formats
 * are those of each type's send function).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "sinkpg.h"
#include "ts.h"

#define OID_INT4 23
#define OID_TEXT 25
/* Microseconds between 1970-01-01 and 2000-01-01, PostgreSQL's epoch. */
#define PG_EPOCH_MS 946684800000LL

static inline void
put16(struct buf *b, unsigned v)
{
	char c[2] = { (char)(v >> 8), (char)v };

	buf_add(b, c, 2);
}

static inline void
put32(struct buf *b, uint32_t v)
{
	char c[4] = { (char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v };

	buf_add(b, c, 4);
}

static inline void
set32(struct buf *b, size_t at, uint32_t v)
{
	b->p[at] = (char)(v >> 24);
	b->p[at + 1] = (char)(v >> 16);
	b->p[at + 2] = (char)(v >> 8);
	b->p[at + 3] = (char)v;
}

static inline void
put64(struct buf *b, uint64_t v)
{
	put32(b, (uint32_t)(v >> 32));
	put32(b, (uint32_t)v);
}

void
row_init(struct rowmaker *rm)
{
	int t, n = 0;

	memset(rm, 0, sizeof *rm);
	for (t = 0; t < TAB_COUNT; t++)
		if (tables[t].ncols > n)
			n = tables[t].ncols;
	rm->slot = xcalloc((size_t)n, sizeof *rm->slot);
	rm->nslot = n;
}

void
row_free(struct rowmaker *rm)
{
	buf_free(&rm->scratch);
	buf_free(&rm->extra);
	buf_free(&rm->key);
	free(rm->slot);
}

int
row_table(const struct event *ev, int want, const char **code, char *msg, size_t msgsz)
{
	int i, pos = 0;

	if (want >= 0)
		return want;
	for (i = 0; i < ev->nfields; i++) {
		const struct ev_field *f = &ev->fields[i];

		if (f->name_len == 12 && memcmp(f->name, "window_start", 12) == 0)
			return TAB_WINDOWS;
		if ((f->name_len == 6 && memcmp(f->name, "icao24", 6) == 0) ||
		    (f->name_len == 9 && memcmp(f->name, "timestamp", 9) == 0))
			pos = 1;
	}
	if (pos)
		return TAB_POSITIONS;
	*code = "shape";
	snprintf(msg, msgsz, "neither a position (no icao24 or timestamp) nor a window"
	    " (no window_start)");
	return -1;
}

/* --- JSON values --------------------------------------------------------- */

static const char *
type_name(char c)
{
	switch (c) {
	case '"': return "a string";
	case '{': return "an object";
	case '[': return "an array";
	case 't': case 'f': return "a boolean";
	case 'n': return "null";
	default: return "a number";
	}
}

static size_t
jws(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* --- Fields ------------------------------------------------------------ */

struct fielderr {
	const char *kind;	/* "type", "format", "range", "encoding" */
	char msg[200];
};

/* integer reads JSON number text that must be a whole number in [lo, hi]. */
static int
integer(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *v, const char *name,
    struct fielderr *fe)
{
	size_t i = s[0] == '-';
	int plain = n - i > 0 && n - i <= 18;
	double d;

	for (; plain && i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			plain = 0;
	if (plain) {
		int64_t m = 0;

		for (i = s[0] == '-'; i < n; i++)
			m = m * 10 + (s[i] - '0');
		*v = s[0] == '-' ? -m : m;
	} else {
		/* 5.0 and 1e3 are whole numbers too. */
		d = json_number(s, n);
		if (d != floor(d) || !isfinite(d)) {
			fe->kind = "type";
			snprintf(fe->msg, sizeof fe->msg, "%s %.*s is not a whole number", name,
			    (int)(n > 40 ? 40 : n), s);
			return -1;
		}
		if (d < -9.2e18 || d > 9.2e18)
			goto range;
		*v = (int64_t)d;
	}
	if (*v >= lo && *v <= hi)
		return 0;
range:
	fe->kind = "range";
	snprintf(fe->msg, sizeof fe->msg, "%s %.*s is outside [%lld, %lld]", name,
	    (int)(n > 40 ? 40 : n), s, (long long)lo, (long long)hi);
	return -1;
}

/* array appends an array field (text[] or integer[]) from the JSON array s[0..n). */
static int
array(struct buf *out, const char *s, size_t n, int ints, const char *name,
    struct fielderr *fe)
{
	size_t at = out->len, i, e;
	uint32_t count = 0;
	int nulls = 0;
	int64_t v;

	put32(out, 0);		/* the field's length, set below */
	put32(out, 1);		/* dimensions */
	put32(out, 0);		/* has nulls, set below */
	put32(out, ints ? OID_INT4 : OID_TEXT);
	put32(out, 0);		/* elements, set below */
	put32(out, 1);		/* lower bound */
	for (i = jws(s, 1, n); i < n && s[i] != ']'; i = jws(s, i, n)) {
		e = json_skip(s, i, n);
		if (s[i] == 'n') {
			put32(out, UINT32_MAX);
			nulls = 1;
		} else if (ints && s[i] != '"' && s[i] != '[' && s[i] != '{' && s[i] != 't' &&
		    s[i] != 'f') {
			if (integer(s + i, e - i, INT32_MIN, INT32_MAX, &v, name, fe) != 0)
				return -1;
			put32(out, 4);
			put32(out, (uint32_t)v);
		} else if (!ints && s[i] == '"') {
			size_t len_at = out->len;

			put32(out, 0);
			if (json_unescape(out, s + i, e - i) != 0) {
				fe->kind = "encoding";
				snprintf(fe->msg, sizeof fe->msg, "%s holds an escaped half of a"
				    " UTF-16 surrogate pair, which is no character", name);
				return -1;
			}
			set32(out, len_at, (uint32_t)(out->len - len_at - 4));
		} else {
			fe->kind = "type";
			snprintf(fe->msg, sizeof fe->msg, "%s holds %s, not only %s and nulls", name,
			    type_name(s[i]), ints ? "integers" : "strings");
			return -1;
		}
		count++;
		i = jws(s, e, n);
		if (i < n && s[i] == ',')
			i++;
	}
	if (count == 0) {
		/* An empty array has no dimensions. */
		out->len = at + 4;
		put32(out, 0);
		put32(out, 0);
		put32(out, ints ? OID_INT4 : OID_TEXT);
	} else {
		set32(out, at + 8, (uint32_t)nulls);
		set32(out, at + 16, count);
	}
	set32(out, at, (uint32_t)(out->len - at - 4));
	return 0;
}

/*
 * field appends column c's field from the JSON value s[0..n) (NULL: the
 * record lacks the field). A timestamp's milliseconds are left in *ms.
 * Returns 0, or -1 with the reason in fe (out may then hold part of the
 * field: the caller drops the row).
 */
static int
field(struct rowmaker *rm, struct buf *out, const struct column *c, const char *s, size_t n,
    int64_t *ms, struct fielderr *fe)
{
	size_t at;
	int64_t v;
	double d;
	union { double d; uint64_t u; } bits;

	if (s == NULL || s[0] == 'n') {
		put32(out, UINT32_MAX);
		return 0;
	}
	switch (c->kind) {
	case CK_TEXT:
		if (s[0] == '"') {
			at = out->len;
			put32(out, 0);
			if (json_unescape(out, s, n) != 0) {
				fe->kind = "encoding";
				snprintf(fe->msg, sizeof fe->msg, "%s holds an escaped half of a"
				    " UTF-16 surrogate pair, which is no character", c->name);
				return -1;
			}
			set32(out, at, (uint32_t)(out->len - at - 4));
			return 0;
		}
		if (s[0] != '{' && s[0] != '[' && s[0] != 't' && s[0] != 'f') {
			put32(out, (uint32_t)n);	/* a number, as it is written */
			buf_add(out, s, n);
			return 0;
		}
		break;
	case CK_TS:
		if (s[0] == '"') {
			buf_reset(&rm->scratch);
			if (json_unescape(&rm->scratch, s, n) != 0 ||
			    ts_parse_any(rm->scratch.p, rm->scratch.len, ms) != 0) {
				fe->kind = "format";
				snprintf(fe->msg, sizeof fe->msg, "%s %.*s is not an RFC 3339 time",
				    c->name, (int)(n > 60 ? 60 : n), s);
				return -1;
			}
		} else if (s[0] != '{' && s[0] != '[' && s[0] != 't' && s[0] != 'f') {
			if (ts_from_number(json_number(s, n), ms) != 0) {
				fe->kind = "range";
				snprintf(fe->msg, sizeof fe->msg, "%s %.*s is not an epoch time in"
				    " years 1 to 9999", c->name, (int)(n > 40 ? 40 : n), s);
				return -1;
			}
		} else
			break;
		put32(out, 8);
		put64(out, (uint64_t)((*ms - PG_EPOCH_MS) * 1000));
		return 0;
	case CK_F8:
		if (s[0] == '"' || s[0] == '{' || s[0] == '[' || s[0] == 't' || s[0] == 'f')
			break;
		d = json_number(s, n);
		if (!isfinite(d)) {
			fe->kind = "range";
			snprintf(fe->msg, sizeof fe->msg, "%s %.*s is too large for a double",
			    c->name, (int)(n > 40 ? 40 : n), s);
			return -1;
		}
		bits.d = d;
		put32(out, 8);
		put64(out, bits.u);
		return 0;
	case CK_I2:
	case CK_I4:
	case CK_I8:
		if (s[0] == '"' || s[0] == '{' || s[0] == '[' || s[0] == 't' || s[0] == 'f')
			break;
		if (c->kind == CK_I2) {
			if (integer(s, n, INT16_MIN, INT16_MAX, &v, c->name, fe) != 0)
				return -1;
			put32(out, 2);
			put16(out, (unsigned)(uint16_t)v);
		} else if (c->kind == CK_I4) {
			if (integer(s, n, INT32_MIN, INT32_MAX, &v, c->name, fe) != 0)
				return -1;
			put32(out, 4);
			put32(out, (uint32_t)v);
		} else {
			if (integer(s, n, INT64_MIN, INT64_MAX, &v, c->name, fe) != 0)
				return -1;
			put32(out, 8);
			put64(out, (uint64_t)v);
		}
		return 0;
	case CK_BOOL:
		if (s[0] != 't' && s[0] != 'f')
			break;
		put32(out, 1);
		buf_addc(out, s[0] == 't');
		return 0;
	case CK_TEXTS:
	case CK_INTS:
		if (s[0] != '[')
			break;
		return array(out, s, n, c->kind == CK_INTS, c->name, fe);
	case CK_EXTRA:
		break;
	}
	fe->kind = "type";
	snprintf(fe->msg, sizeof fe->msg, "%s is %s, not %s", c->name, type_name(s[0]),
	    c->kind == CK_TEXT ? "a string" : c->kind == CK_TS ? "a time" :
	    c->kind == CK_BOOL ? "a boolean" : c->kind == CK_TEXTS ? "an array of strings" :
	    c->kind == CK_INTS ? "an array of integers" :
	    c->kind == CK_F8 ? "a number" : "a whole number");
	return -1;
}

int
row_encode(struct rowmaker *rm, const struct event *ev, int t, struct buf *out,
    struct rowkey *key, const char **code, char *msg, size_t msgsz)
{
	static char codebuf[96];
	const struct table *tab = &tables[t];
	const struct ev_field *f;
	const struct colref *ref;
	struct fielderr fe;
	size_t start = out->len, keyat;
	int64_t ms = 0;
	int i, c, k, nextra = 0;
	const char *v;
	size_t vlen;

	for (c = 0; c < tab->ncols; c++)
		rm->slot[c] = -1;
	buf_reset(&rm->extra);
	for (i = 0; i < ev->nfields; i++) {
		f = &ev->fields[i];
		ref = schema_lookup(f->name, f->name_len);
		c = ref != NULL ? ref->col[t] : -1;
		if (c < 0) {
			/* No column: into "extra", key and value as they were written. */
			buf_addc(&rm->extra, nextra++ ? ',' : '{');
			buf_add(&rm->extra, ev->line + f->key_off, f->val_off + f->val_len - f->key_off);
			continue;
		}
		if (rm->slot[c] >= 0) {
			*code = "duplicate_key";
			snprintf(msg, msgsz, "the key '%s' appears more than once", tab->cols[c].name);
			return -1;
		}
		rm->slot[c] = i;
	}
	for (c = 0; c < tab->nkey; c++)
		if (rm->slot[c] < 0 || ev->line[ev->fields[rm->slot[c]].val_off] == 'n') {
			snprintf(codebuf, sizeof codebuf, "missing.%s", tab->cols[c].name);
			*code = codebuf;
			snprintf(msg, msgsz, "%s is %s", tab->cols[c].name,
			    rm->slot[c] < 0 ? "absent" : "null");
			return -1;
		}

	buf_reset(&rm->key);
	put16(out, (unsigned)tab->ncols);
	for (c = 0; c < tab->ncols; c++) {
		if (tab->cols[c].kind == CK_EXTRA) {
			if (nextra == 0) {
				put32(out, UINT32_MAX);
				continue;
			}
			buf_addc(&rm->extra, '}');
			put32(out, (uint32_t)rm->extra.len + 1);
			buf_addc(out, 1);	/* jsonb's format version */
			buf_add(out, rm->extra.p, rm->extra.len);
			continue;
		}
		v = NULL;
		vlen = 0;
		if (rm->slot[c] >= 0)
			v = event_value(ev, rm->slot[c], &vlen);
		keyat = out->len;
		if (field(rm, out, &tab->cols[c], v, vlen, &ms, &fe) != 0) {
			out->len = start;
			snprintf(codebuf, sizeof codebuf, "%s.%s", fe.kind, tab->cols[c].name);
			*code = fe.kind[0] == 'e' ? "encoding" : codebuf;
			snprintf(msg, msgsz, "%s", fe.msg);
			return -1;
		}
		if (c < tab->nkey) {
			/* The key: the key columns' fields as they are in the row, lengths included. */
			if (tab->cols[c].kind == CK_TS)
				key->info.ms = ms;
			buf_add(&rm->key, out->p + keyat, out->len - keyat);
		}
		if (t == TAB_POSITIONS)
			for (k = 0; k < AC_COUNT; k++)
				if (schema_ac_col[k] == c)
					key->info.ac[k] = (uint32_t)(keyat - start);
	}
	key->p = rm->key.p;
	key->len = rm->key.len;
	key->hash = hmap_hash(key->p, key->len);
	/* The first field's data, after its length: an icao24, or a window's start. */
	key->prefix = 0;
	for (k = 0; k < 8; k++)
		key->prefix = key->prefix << 8 |
		    (4 + (size_t)k < key->len ? (unsigned char)key->p[4 + k] : 0);
	return 0;
}
