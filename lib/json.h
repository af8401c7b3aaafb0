/*
 * json: writing JSON text into a buf, and checking UTF-8.
 *
 * The writers append one JSON value each; the caller adds the
 * punctuation between them. Numbers are written without exponent where
 * that is exact enough, and never as NaN or Infinity: a non-finite
 * number is written as null.
 */
#ifndef FS_JSON_H
#define FS_JSON_H

#include <stdint.h>
#include "buf.h"

/* json_str appends s (n bytes, UTF-8) as a quoted, escaped JSON string. */
void json_str(struct buf *b, const char *s, size_t n);
static inline void json_strz(struct buf *b, const char *s) { json_str(b, s, strlen(s)); }

/* json_key appends "key": */
void json_key(struct buf *b, const char *key);

void json_int(struct buf *b, int64_t v);
void json_uint(struct buf *b, uint64_t v);

/*
 * json_fixed appends v rounded to decimals (0..9) places, with trailing
 * zeros trimmed (12.50 -> 12.5, 3.000 -> 3). Fast: no printf.
 */
void json_fixed(struct buf *b, double v, int decimals);

/* json_double appends v with up to 17 significant digits (round trip). */
void json_double(struct buf *b, double v);

static inline void json_null(struct buf *b) { buf_add(b, "null", 4); }
static inline void json_bool(struct buf *b, int v) { if (v) buf_add(b, "true", 4); else buf_add(b, "false", 5); }

/*
 * json_number converts the text of a JSON number, s[0..n), to the
 * double strtod(3) gives, faster for plain decimals (see json.c).
 */
double json_number(const char *s, size_t n);

/* json_hexdigit is the value of a hexadecimal digit, or -1. */
static inline int
json_hexdigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* json_hex4 is the value of the 4 hexadecimal digits at p (a \u escape), or -1. */
static inline int
json_hex4(const char *p)
{
	int a = json_hexdigit((unsigned char)p[0]), b = json_hexdigit((unsigned char)p[1]);
	int c = json_hexdigit((unsigned char)p[2]), d = json_hexdigit((unsigned char)p[3]);

	return (a | b | c | d) < 0 ? -1 : a << 12 | b << 8 | c << 4 | d;
}

/*
 * utf8_check returns the offset of the first byte in p[0..n) that is not
 * part of valid UTF-8 (overlong forms, surrogates and code points past
 * U+10FFFF are invalid), or -1 when all of it is valid. A NUL byte is
 * valid UTF-8; callers that refuse it check separately.
 */
long utf8_check(const char *p, size_t n);

/* json_utf8 appends the code point cp as UTF-8. */
void json_utf8(struct buf *b, unsigned cp);

/*
 * json_unescape appends the text of the JSON string s[0..n) (with its
 * quotes, valid JSON: a parser saw it) to b, escapes decoded. Returns
 * -1 for an escaped half of a surrogate pair, which is no character.
 * A \u0000 becomes a NUL byte: the caller decides about it.
 */
int json_unescape(struct buf *b, const char *s, size_t n);

/*
 * json_skip returns the end of the JSON value that starts at s[i], in
 * valid JSON s[0..n): after a string's closing quote, after the
 * bracket that closes an object or array, or at the delimiter after a
 * number, true, false or null.
 */
size_t json_skip(const char *s, size_t i, size_t n);

#endif
