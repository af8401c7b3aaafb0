#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "json.h"

static const char hex[] = "0123456789abcdef";

void
json_str(struct buf *b, const char *s, size_t n)
{
	size_t i, run = 0;

	if (b->cap - b->len < n + 2)
		buf_grow(b, n + 2);
	buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(b, s + run, i - run);
		run = i + 1;
		buf_addc(b, '\\');
		switch (c) {
		case '"': buf_addc(b, '"'); break;
		case '\\': buf_addc(b, '\\'); break;
		case '\n': buf_addc(b, 'n'); break;
		case '\r': buf_addc(b, 'r'); break;
		case '\t': buf_addc(b, 't'); break;
		case '\b': buf_addc(b, 'b'); break;
		case '\f': buf_addc(b, 'f'); break;
		default:
			buf_add(b, "u00", 3);
			buf_addc(b, hex[c >> 4]);
			buf_addc(b, hex[c & 15]);
		}
	}
	buf_add(b, s + run, n - run);
	buf_addc(b, '"');
}

void
json_key(struct buf *b, const char *key)
{
	json_strz(b, key);
	buf_addc(b, ':');
}

void
json_uint(struct buf *b, uint64_t v)
{
	char tmp[24];
	int i = sizeof tmp;

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	buf_add(b, tmp + i, sizeof tmp - (size_t)i);
}

void
json_int(struct buf *b, int64_t v)
{
	if (v < 0) {
		buf_addc(b, '-');
		json_uint(b, (uint64_t)0 - (uint64_t)v);
	} else
		json_uint(b, (uint64_t)v);
}

void
json_fixed(struct buf *b, double v, int decimals)
{
	static const double pow10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9 };
	uint64_t scaled, ip, fp, div;
	char frac[10];
	int n, neg = 0;

	if (!isfinite(v)) {
		json_null(b);
		return;
	}
	if (decimals < 0)
		decimals = 0;
	if (decimals > 9)
		decimals = 9;
	if (v < 0) {
		neg = 1;
		v = -v;
	}
	if (v * pow10[decimals] >= 9e18) {	/* too big for the fast path */
		json_double(b, neg ? -v : v);
		return;
	}
	scaled = (uint64_t)(v * pow10[decimals] + 0.5);
	div = (uint64_t)pow10[decimals];
	ip = scaled / div;
	fp = scaled % div;
	if (neg && scaled != 0)
		buf_addc(b, '-');
	json_uint(b, ip);
	if (fp == 0)
		return;
	for (n = decimals; n > 0; n--) {
		frac[n - 1] = (char)('0' + fp % 10);
		fp /= 10;
	}
	n = decimals;
	while (n > 0 && frac[n - 1] == '0')
		n--;
	buf_addc(b, '.');
	buf_add(b, frac, (size_t)n);
}

void
json_double(struct buf *b, double v)
{
	char tmp[32];
	int n;

	if (!isfinite(v)) {
		json_null(b);
		return;
	}
	/* The shortest of %.15g and %.17g that reads back as v. */
	n = snprintf(tmp, sizeof tmp, "%.15g", v);
	if (strtod(tmp, NULL) != v)
		n = snprintf(tmp, sizeof tmp, "%.17g", v);
	buf_add(b, tmp, (size_t)n);
}

long
utf8_check(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i];
		size_t k, need;
		unsigned cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1; cp = c & 0x1f; min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2; cp = c & 0x0f; min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3; cp = c & 0x07; min = 0x10000;
		} else
			return (long)i;
		if (n - i <= need)
			return (long)i;
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return (long)i;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return (long)i;
		i += need + 1;
	}
	return -1;
}

/*
 * json_number converts JSON number text. Plain decimals of up to 15
 * significant digits take Clinger's fast path (an exact integer divided
 * or multiplied by an exact power of ten is correctly rounded); the
 * rest go to strtod.
 */
double
json_number(const char *s, size_t len)
{
	static const double p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8,
	    1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
	    1e20, 1e21, 1e22 };
	uint64_t m = 0;
	size_t i = 0;
	int neg = 0, digits = 0, frac = 0, dot = 0;
	char tmp[64];

	if (i < len && s[i] == '-')
		neg = 1, i++;
	for (; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (m != 0 || s[i] != '0')
				digits++;
			m = m * 10 + (uint64_t)(s[i] - '0');
			frac += dot;
			if (digits > 15)
				break;
		} else if (s[i] == '.' && !dot)
			dot = 1;
		else
			break;
	}
	if (i == len && frac <= 22) {
		double v = (double)m / p10[frac];

		return neg ? -v : v;
	}
	if (len < sizeof tmp) {
		memcpy(tmp, s, len);
		tmp[len] = '\0';
		return strtod(tmp, NULL);
	} else {
		struct buf b = BUF_INIT;
		double v;

		buf_add(&b, s, len);
		v = strtod(buf_cstr(&b), NULL);
		buf_free(&b);
		return v;
	}
}

/* json_utf8 appends the code point cp as UTF-8. */
void
json_utf8(struct buf *b, unsigned cp)
{
	char c[4];

	if (cp < 0x80) {
		buf_addc(b, (char)cp);
		return;
	}
	if (cp < 0x800) {
		c[0] = (char)(0xc0 | cp >> 6);
		c[1] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, c, 2);
	} else if (cp < 0x10000) {
		c[0] = (char)(0xe0 | cp >> 12);
		c[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		c[2] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, c, 3);
	} else {
		c[0] = (char)(0xf0 | cp >> 18);
		c[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		c[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		c[3] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, c, 4);
	}
}

/* json_unescape: see json.h. */
int
json_unescape(struct buf *b, const char *s, size_t n)
{
	const char *p = s + 1, *e = s + n - 1, *bs;
	unsigned cp, lo;

	while (p < e) {
		if ((bs = memchr(p, '\\', (size_t)(e - p))) == NULL) {
			buf_add(b, p, (size_t)(e - p));
			break;
		}
		buf_add(b, p, (size_t)(bs - p));
		p = bs + 1;
		switch (*p++) {
		case 'b': buf_addc(b, '\b'); break;
		case 'f': buf_addc(b, '\f'); break;
		case 'n': buf_addc(b, '\n'); break;
		case 'r': buf_addc(b, '\r'); break;
		case 't': buf_addc(b, '\t'); break;
		case 'u':
			cp = (unsigned)json_hex4(p);
			p += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -1;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (e - p < 6 || p[0] != '\\' || p[1] != 'u')
					return -1;
				lo = (unsigned)json_hex4(p + 2);
				if (lo < 0xdc00 || lo > 0xdfff)
					return -1;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			}
			json_utf8(b, cp);
			break;
		default:	/* " \ / */
			buf_addc(b, p[-1]);
		}
	}
	return 0;
}

/* json_skip: see json.h. */
size_t
json_skip(const char *s, size_t i, size_t n)
{
	int depth = 0;

	if (s[i] == '"') {
		for (i++; i < n && s[i] != '"'; i++)
			if (s[i] == '\\')
				i++;
		return i + 1;
	}
	for (; i < n; i++) {
		if (s[i] == '"') {
			i = json_skip(s, i, n) - 1;
			continue;
		}
		if (s[i] == '[' || s[i] == '{')
			depth++;
		else if (s[i] == ']' || s[i] == '}') {
			if (depth == 0)
				return i;
			if (--depth == 0)
				return i + 1;
		} else if (depth == 0 && (s[i] == ',' || s[i] == ' ' || s[i] == '\t' ||
		    s[i] == '\n' || s[i] == '\r'))
			return i;
	}
	return i;
}
