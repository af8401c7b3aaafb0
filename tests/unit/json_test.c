/* Tests of lib/json: writing strings and numbers, and checking UTF-8. */
#include <float.h>

#include "json.h"
#include "t.h"

static const struct {
	const char *in;
	size_t n;
	const char *want;
} str_cases[] = {
	{ S(""), "\"\"" },
	{ S("abc"), "\"abc\"" },
	{ S("say \"hi\""), "\"say \\\"hi\\\"\"" },
	{ S("back\\slash"), "\"back\\\\slash\"" },
	{ S("a/b"), "\"a/b\"" },
	{ S("line\nbreak"), "\"line\\nbreak\"" },
	{ S("\r\t\b\f"), "\"\\r\\t\\b\\f\"" },
	{ S("\x01\x1f"), "\"\\u0001\\u001f\"" },
	{ S("nul\0here"), "\"nul\\u0000here\"" },
	{ S("\x7f"), "\"\x7f\"" },
	{ S(" "), "\" \"" },
	/* UTF-8 is kept as it is, not escaped. */
	{ S("caf\xc3\xa9"), "\"caf\xc3\xa9\"" },
	{ S("\xe2\x82\xac 5"), "\"\xe2\x82\xac 5\"" },
	{ S("\xf0\x9f\x9b\xab"), "\"\xf0\x9f\x9b\xab\"" },
	{ S("Z\xc3\xbcrich \"Kloten\"\n"), "\"Z\xc3\xbcrich \\\"Kloten\\\"\\n\"" },
};

static void
test_str(void)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < N(str_cases); i++) {
		buf_reset(&b);
		json_str(&b, str_cases[i].in, str_cases[i].n);
		t_mem(str_cases[i].want, strlen(str_cases[i].want), b.p, b.len, "json_str case %zu", i);
	}
	/* Appends to what is there; json_strz and json_key. */
	buf_reset(&b);
	buf_adds(&b, "{");
	json_key(&b, "k\"ey");
	json_strz(&b, "v");
	buf_adds(&b, ",");
	json_key(&b, "n");
	json_null(&b);
	buf_adds(&b, ",");
	json_key(&b, "t");
	json_bool(&b, 7);
	buf_adds(&b, ",");
	json_key(&b, "f");
	json_bool(&b, 0);
	buf_adds(&b, "}");
	t_mem(S("{\"k\\\"ey\":\"v\",\"n\":null,\"t\":true,\"f\":false}"), b.p, b.len,
	    "json_key, json_strz, json_null and json_bool append");
	/* A long string with an escape near the end. */
	buf_reset(&b);
	{
		char big[100000];

		memset(big, 'x', sizeof big);
		big[sizeof big - 2] = '"';
		json_str(&b, big, sizeof big);
		t_int(sizeof big + 3, b.len, "json_str of 100000 bytes with one quote");
		t_mem(S("x\\\"x\""), b.p + b.len - 5, 5, "json_str of 100000 bytes ends right");
	}
	buf_free(&b);
}

static const struct {
	int64_t in;
	const char *want;
} int_cases[] = {
	{ 0, "0" },
	{ 1, "1" },
	{ -1, "-1" },
	{ 10, "10" },
	{ 1234567890123, "1234567890123" },
	{ INT64_MAX, "9223372036854775807" },
	{ INT64_MIN, "-9223372036854775808" },
	{ INT64_MIN + 1, "-9223372036854775807" },
};

static void
test_int(void)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < N(int_cases); i++) {
		buf_reset(&b);
		json_int(&b, int_cases[i].in);
		t_str(int_cases[i].want, buf_cstr(&b), "json_int %s", int_cases[i].want);
	}
	buf_reset(&b);
	json_uint(&b, UINT64_MAX);
	t_str("18446744073709551615", buf_cstr(&b), "json_uint UINT64_MAX");
	buf_reset(&b);
	json_uint(&b, 0);
	t_str("0", buf_cstr(&b), "json_uint 0");
	buf_free(&b);
}

static const struct {
	double v;
	int decimals;
	const char *want;
} fixed_cases[] = {
	{ 0, 3, "0" },
	{ 12.5, 2, "12.5" },
	{ 12.50, 3, "12.5" },
	{ 3.0, 3, "3" },
	{ 3.14159, 2, "3.14" },
	{ 3.14159, 4, "3.1416" },
	{ 123.456789, 4, "123.4568" },
	{ 2.675, 1, "2.7" },
	{ 9.9999, 2, "10" },
	{ 0.05, 1, "0.1" },
	{ 0.1, 9, "0.1" },
	{ 1e-9, 9, "0.000000001" },
	{ 0.000000004, 9, "0.000000004" },
	{ 0.0004, 3, "0" },
	{ 0.0005, 3, "0.001" },
	{ 2.5, 0, "3" },
	{ 1234.5678, 0, "1235" },
	{ 51.47, 6, "51.47" },
	{ 10000.25, 1, "10000.3" },
	{ 1.5, 12, "1.5" },		/* decimals above 9 act as 9 */
	{ 1.25, -1, "1" },		/* and below 0 as 0 */
	/* Negative numbers; a negative that rounds to zero is "0", not "-0". */
	{ -1.26, 1, "-1.3" },
	{ -12.5, 2, "-12.5" },
	{ -2.5, 0, "-3" },
	{ -0.5, 3, "-0.5" },
	{ -0.0001, 3, "0" },
	{ -0.0004, 3, "0" },
	{ -0.0, 2, "0" },
	{ -73.7781, 4, "-73.7781" },
	/* Not numbers: null, never NaN or Infinity. */
	{ NAN, 2, "null" },
	{ INFINITY, 2, "null" },
	{ -INFINITY, 2, "null" },
	/* Too big for the fast path: still right. */
	{ 1e20, 2, "1e+20" },
	{ -1e20, 2, "-1e+20" },
};

static void
test_fixed(void)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < N(fixed_cases); i++) {
		buf_reset(&b);
		json_fixed(&b, fixed_cases[i].v, fixed_cases[i].decimals);
		t_str(fixed_cases[i].want, buf_cstr(&b), "json_fixed(%.17g, %d)",
		    fixed_cases[i].v, fixed_cases[i].decimals);
	}
	buf_free(&b);
}

static const struct {
	double v;
	const char *want;	/* NULL: only check it reads back */
} double_cases[] = {
	{ 0, "0" },
	{ -0.0, "-0" },
	{ 1, "1" },
	{ -2.5, "-2.5" },
	{ 0.1, "0.1" },
	{ 100, "100" },
	{ 51.4700, "51.47" },
	{ 1e21, "1e+21" },
	{ 1.0 / 3, "0.33333333333333331" },
	{ 0.1 + 0.2, "0.30000000000000004" },
	{ 5e-324, NULL },
	{ DBL_MIN, NULL },
	{ DBL_MAX, NULL },
	{ -DBL_MAX, NULL },
	{ 123456789012345680.0, NULL },
	{ 2.2250738585072014e-308, NULL },
	{ 9007199254740993.0, NULL },
	{ NAN, "null" },
	{ INFINITY, "null" },
	{ -INFINITY, "null" },
};

static void
test_double(void)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < N(double_cases); i++) {
		buf_reset(&b);
		json_double(&b, double_cases[i].v);
		if (double_cases[i].want != NULL)
			t_str(double_cases[i].want, buf_cstr(&b), "json_double(%.17g)", double_cases[i].v);
		if (isfinite(double_cases[i].v)) {
			double back = strtod(buf_cstr(&b), NULL);

			t_ok(back == double_cases[i].v && signbit(back) == signbit(double_cases[i].v),
			    "json_double(%.17g) = %s reads back", double_cases[i].v, b.p);
		}
	}
	buf_free(&b);
}

static const struct {
	const char *name;
	const char *in;
	size_t n;
	long want;	/* -1: valid */
} utf8_cases[] = {
	{ "empty", S(""), -1 },
	{ "ASCII", S("abc"), -1 },
	{ "NUL is valid UTF-8", S("a\0b"), -1 },
	{ "2 bytes: e acute", S("\xc3\xa9"), -1 },
	{ "2 bytes: U+0080, the least", S("\xc2\x80"), -1 },
	{ "3 bytes: euro sign", S("\xe2\x82\xac"), -1 },
	{ "3 bytes: U+0800, the least", S("\xe0\xa0\x80"), -1 },
	{ "3 bytes: U+E000, after the surrogates", S("\xee\x80\x80"), -1 },
	{ "3 bytes: U+FFFF", S("\xef\xbf\xbf"), -1 },
	{ "4 bytes: airplane emoji", S("\xf0\x9f\x9b\xab"), -1 },
	{ "4 bytes: U+10000, the least", S("\xf0\x90\x80\x80"), -1 },
	{ "4 bytes: U+10FFFF, the last", S("\xf4\x8f\xbf\xbf"), -1 },
	{ "mixed text", S("Z\xc3\xbcrich \xe2\x82\xac \xf0\x9f\x9b\xab ok"), -1 },
	{ "overlong NUL C0 80", S("\xc0\x80"), 0 },
	{ "overlong C1 BF", S("\xc1\xbf"), 0 },
	{ "overlong 3 bytes for U+0000", S("\xe0\x80\x80"), 0 },
	{ "overlong 3 bytes for U+07FF", S("\xe0\x9f\xbf"), 0 },
	{ "overlong 4 bytes for U+FFFF", S("\xf0\x8f\xbf\xbf"), 0 },
	{ "surrogate U+D800", S("\xed\xa0\x80"), 0 },
	{ "surrogate U+DBFF", S("\xed\xaf\xbf"), 0 },
	{ "surrogate U+DC00", S("\xed\xb0\x80"), 0 },
	{ "surrogate U+DFFF", S("\xed\xbf\xbf"), 0 },
	{ "U+110000, past the end", S("\xf4\x90\x80\x80"), 0 },
	{ "F5 lead byte", S("\xf5\x80\x80\x80"), 0 },
	{ "FF byte", S("\xff"), 0 },
	{ "FE byte", S("\xfe"), 0 },
	{ "lone continuation byte", S("\x80"), 0 },
	{ "continuation after ASCII", S("ab\x80"), 2 },
	{ "two-byte lead then ASCII", S("\xc3\x28"), 0 },
	{ "three-byte lead, bad second byte", S("\xe2\x28\xa1"), 0 },
	{ "three-byte lead, bad third byte", S("\xe2\x82\x28"), 0 },
	{ "truncated 2-byte sequence", S("\xc3"), 0 },
	{ "truncated 3-byte sequence", S("ab\xe2\x82"), 2 },
	{ "truncated 4-byte sequence", S("\xf0\x9f\x98"), 0 },
	{ "truncated after valid text", S("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98"), 5 },
	{ "bad byte after multibyte text", S("\xe2\x82\xacx\xff"), 4 },
	{ "Latin-1 text", S("caf\xe9"), 3 },
};

static void
test_utf8(void)
{
	size_t i;

	for (i = 0; i < N(utf8_cases); i++)
		t_int(utf8_cases[i].want, utf8_check(utf8_cases[i].in, utf8_cases[i].n),
		    "utf8_check: %s", utf8_cases[i].name);
}

/* Every code point encodes to bytes that utf8_check accepts; every 2-byte garbage is judged right. */
static void
test_utf8_exhaustive(void)
{
	unsigned cp, a, b;
	char s[4];
	size_t n;
	int bad = 0;

	for (cp = 0; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		if (cp < 0x80) {
			s[0] = (char)cp;
			n = 1;
		} else if (cp < 0x800) {
			s[0] = (char)(0xc0 | cp >> 6);
			s[1] = (char)(0x80 | (cp & 0x3f));
			n = 2;
		} else if (cp < 0x10000) {
			s[0] = (char)(0xe0 | cp >> 12);
			s[1] = (char)(0x80 | (cp >> 6 & 0x3f));
			s[2] = (char)(0x80 | (cp & 0x3f));
			n = 3;
		} else {
			s[0] = (char)(0xf0 | cp >> 18);
			s[1] = (char)(0x80 | (cp >> 12 & 0x3f));
			s[2] = (char)(0x80 | (cp >> 6 & 0x3f));
			s[3] = (char)(0x80 | (cp & 0x3f));
			n = 4;
		}
		if (utf8_check(s, n) != -1 && bad++ == 0)
			t_diag("U+%04X refused", cp);
	}
	t_int(0, bad, "utf8_check accepts every scalar value U+0000..U+10FFFF");
	bad = 0;
	for (a = 0; a < 256; a++)
		for (b = 0; b < 256; b++) {
			int valid = a < 0x80 ? b < 0x80 :
			    a >= 0xc2 && a <= 0xdf && b >= 0x80 && b <= 0xbf;
			long got;

			s[0] = (char)a;
			s[1] = (char)b;
			got = utf8_check(s, 2);
			if ((got == -1) != valid && bad++ == 0)
				t_diag("bytes %02x %02x: got %ld", a, b, got);
		}
	t_int(0, bad, "utf8_check judges every pair of bytes right");
}

/* json_unescape is json_str backwards: every code point written and read back is itself. */
static void
test_unescape(void)
{
	static const struct {
		const char *in, *want;
		size_t wantn;
		int rc;
	} c[] = {
		{ "\"\"", "", 0, 0 },
		{ "\"plain\"", "plain", 5, 0 },
		{ "\"a\\\"b\\\\c\\/d\"", "a\"b\\c/d", 7, 0 },
		{ "\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t", 5, 0 },
		{ "\"\\u00e9\\u20AC\"", "\xc3\xa9\xe2\x82\xac", 5, 0 },
		{ "\"\\ud83d\\ude00!\"", "\xf0\x9f\x98\x80!", 5, 0 },
		{ "\"x\\u0000y\"", "x\0y", 3, 0 },
		{ "\"\\ude00\"", NULL, 0, -1 },		/* a low half alone */
		{ "\"\\ud83d\"", NULL, 0, -1 },		/* a high half alone */
		{ "\"\\ud83d\\u0041\"", NULL, 0, -1 },	/* a high half, then no low half */
	};
	struct buf b = BUF_INIT, w = BUF_INIT, e = BUF_INIT;
	size_t i;
	unsigned cp;
	int bad = 0, rc;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		buf_reset(&b);
		rc = json_unescape(&b, c[i].in, strlen(c[i].in));
		t_int(c[i].rc, rc, "json_unescape %s: status", c[i].in);
		if (rc == 0)
			t_mem(c[i].want, c[i].wantn, buf_cstr(&b), b.len, "json_unescape %s", c[i].in);
	}
	for (cp = 1; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		buf_reset(&w);
		json_utf8(&w, cp);
		buf_reset(&e);
		json_str(&e, w.p, w.len);
		buf_reset(&b);
		rc = json_unescape(&b, e.p, e.len);
		if (rc != 0 || b.len != w.len || memcmp(b.p, w.p, w.len) != 0) {
			if (bad++ == 0)
				t_diag("code point U+%04X does not come back", cp);
		}
	}
	t_int(0, bad, "json_unescape gives back every code point json_str wrote");
	buf_free(&b);
	buf_free(&w);
	buf_free(&e);
}

static void
test_skip(void)
{
	static const struct {
		const char *s;
		size_t at, want;
	} c[] = {
		{ "\"a\\\"]b\",1", 0, 7 },
		{ "[1,[2,\"]\"],{\"k\":[]}] x", 0, 20 },
		{ "{\"a\":{\"b\":[1,2]}},", 0, 17 },
		{ "[12.5e3, true]", 1, 7 },
		{ "[12.5e3, true]", 9, 13 },
		{ "null", 0, 4 },
		{ "[[], {}]", 1, 3 },
	};
	size_t i;

	for (i = 0; i < sizeof c / sizeof c[0]; i++)
		t_int((long long)c[i].want, (long long)json_skip(c[i].s, c[i].at, strlen(c[i].s)),
		    "json_skip %s from %zu", c[i].s, c[i].at);
}

int
main(void)
{
	test_skip();
	test_unescape();
	test_str();
	test_int();
	test_fixed();
	test_double();
	test_utf8();
	test_utf8_exhaustive();
	return t_done();
}
