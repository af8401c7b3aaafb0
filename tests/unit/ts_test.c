/* Tests of lib/ts: RFC 3339 parsing and formatting, epoch numbers, durations. */
#include <math.h>

#include "t.h"
#include "ts.h"

#define BAD INT64_MIN	/* the expected result of input that must be refused */

static const struct {
	const char *in;
	int64_t want;
} parse_cases[] = {
	/* The form flightstream writes, and its variants. */
	{ "2026-11-20T12:00:05.000Z", 1795176005000 },
	{ "2026-11-20T12:00:05Z", 1795176005000 },
	{ "2026-11-20t12:00:05z", 1795176005000 },
	{ "2026-11-20 12:00:05Z", 1795176005000 },
	{ "1970-01-01T00:00:00Z", 0 },
	{ "1970-01-01T00:00:00.001Z", 1 },
	/* Fractions: any number of digits, kept to the millisecond (truncated). */
	{ "2026-11-20T12:00:05.1Z", 1795176005100 },
	{ "2026-11-20T12:00:05.12Z", 1795176005120 },
	{ "2026-11-20T12:00:05.123Z", 1795176005123 },
	{ "2026-11-20T12:00:05.1234Z", 1795176005123 },
	{ "2026-11-20T12:00:05.123456Z", 1795176005123 },
	{ "2026-11-20T12:00:05.999999999Z", 1795176005999 },
	{ "2026-11-20T12:00:05.000000001Z", 1795176005000 },
	/* Offsets. */
	{ "2026-11-20T14:00:05+02:00", 1795176005000 },
	{ "2026-11-20T07:00:05-05:00", 1795176005000 },
	{ "2026-11-20T17:30:05.250+05:30", 1795176005250 },
	{ "2026-11-20T12:00:05+00:00", 1795176005000 },
	{ "2026-11-20T12:00:05-00:00", 1795176005000 },
	{ "1970-01-01T00:00:00-00:01", 60000 },
	{ "2026-11-21T00:30:00+23:59", 1795134660000 },
	/* A leap second reads as the first instant of the next second. */
	{ "2016-12-31T23:59:60Z", 1483228800000 },
	{ "2016-12-31T23:59:60.500Z", 1483228800500 },
	/* Calendar: leap years, before 1970, the ends of the range. */
	{ "2000-02-29T00:00:00Z", 951782400000 },
	{ "2024-02-29T12:00:00Z", 1709208000000 },
	{ "1900-03-01T00:00:00Z", -2203891200000 },
	{ "1600-02-29T00:00:00Z", -11670998400000 },
	{ "1969-07-20T20:17:40Z", -14182940000 },
	{ "1969-12-31T23:59:59.999Z", -1 },
	{ "0001-01-01T00:00:00Z", -62135596800000 },
	{ "9999-12-31T23:59:59.999Z", 253402300799999 },
	/* Invalid dates and times. */
	{ "2026-02-30T00:00:00Z", BAD },
	{ "2023-02-29T00:00:00Z", BAD },
	{ "1900-02-29T00:00:00Z", BAD },
	{ "2026-04-31T00:00:00Z", BAD },
	{ "2026-13-01T00:00:00Z", BAD },
	{ "2026-00-01T00:00:00Z", BAD },
	{ "2026-01-00T00:00:00Z", BAD },
	{ "2026-01-32T00:00:00Z", BAD },
	{ "0000-01-01T00:00:00Z", BAD },
	{ "2026-01-01T24:00:00Z", BAD },
	{ "2026-01-01T23:60:00Z", BAD },
	{ "2026-01-01T23:59:61Z", BAD },
	{ "2026-01-01T00:00:00+24:00", BAD },
	{ "2026-01-01T00:00:00+01:60", BAD },
	/* Not RFC 3339. */
	{ "", BAD },
	{ "garbage", BAD },
	{ "2026", BAD },
	{ "2026-11-20", BAD },
	{ "2026-11-20T12:00", BAD },
	{ "2026-11-20T12:00:05", BAD },
	{ "2026-11-20T12:00:05.", BAD },
	{ "2026-11-20T12:00:05.Z", BAD },
	{ "2026-11-20T12:00:05+0200", BAD },
	{ "2026-11-20T12:00:05+02", BAD },
	{ "2026-11-20T12:00:05ZZ", BAD },
	{ "2026-11-20T12:00:05Z ", BAD },
	{ " 2026-11-20T12:00:05Z", BAD },
	{ "2026-11-20X12:00:05Z", BAD },
	{ "2026-1-20T12:00:05Z", BAD },
	{ "26-11-20T12:00:05Z", BAD },
	{ "2026/11/20T12:00:05Z", BAD },
	{ "+2026-11-20T12:00:05Z", BAD },
	{ "2026-11-20T12:00:05,123Z", BAD },
	{ "1795176005", BAD },
};

static void
test_parse(void)
{
	size_t i;
	int64_t ms;
	int rc;

	for (i = 0; i < N(parse_cases); i++) {
		ms = 42;
		rc = ts_parse(parse_cases[i].in, strlen(parse_cases[i].in), &ms);
		if (parse_cases[i].want == BAD)
			t_int(-1, rc, "ts_parse refuses \"%s\"", parse_cases[i].in);
		else if (t_int(0, rc, "ts_parse accepts \"%s\"", parse_cases[i].in))
			t_int(parse_cases[i].want, ms, "ts_parse \"%s\" value", parse_cases[i].in);
	}
}

/* The length is the contract, not the NUL: bytes past n are not read. */
static void
test_parse_length(void)
{
	const char *s = "2026-11-20T12:00:05Z trailing";
	char exact[] = { '2', '0', '2', '6', '-', '1', '1', '-', '2', '0' };
	int64_t ms = 0;

	t_int(0, ts_parse(s, 20, &ms), "ts_parse stops at n (text follows)");
	t_int(1795176005000, ms, "ts_parse stops at n: value");
	t_int(-1, ts_parse(s, 19, &ms), "ts_parse of a prefix without its zone is refused");
	t_int(-1, ts_parse(exact, sizeof exact, &ms), "ts_parse of an unterminated date only");
	t_int(-1, ts_parse(s, 0, &ms), "ts_parse of zero bytes");
}

static const struct {
	double in;
	int64_t want;
} number_cases[] = {
	{ 0, 0 },
	{ 1, 1000 },
	{ -1, -1000 },
	{ 1.5, 1500 },
	{ 1.001, 1001 },
	{ 1700000000, 1700000000000 },
	{ 1700000000.123, 1700000000123 },
	{ 1700000000.999, 1700000000999 },
	{ 99999999999.0, 99999999999000 },	/* the largest magnitude read as seconds */
	{ 1e11, 100000000000 },			/* from here on, milliseconds */
	{ 1700000000000, 1700000000000 },
	{ 1700000000123, 1700000000123 },
	{ 1795176005000.0, 1795176005000 },
	{ -1700000000000, -1700000000000 },
	{ -62135596800, -62135596800000 },	/* 0001-01-01 in seconds */
	{ 253402300799999.0, 253402300799999 },	/* 9999-12-31T23:59:59.999 in ms */
	{ NAN, BAD },
	{ INFINITY, BAD },
	{ -INFINITY, BAD },
	{ -62135596801, BAD },			/* before year 1 */
	{ 253402300800000.0, BAD },		/* after year 9999 */
	{ 1e20, BAD },
	{ -1e20, BAD },
};

static void
test_from_number(void)
{
	size_t i;
	int64_t ms;
	int rc;

	for (i = 0; i < N(number_cases); i++) {
		ms = 42;
		rc = ts_from_number(number_cases[i].in, &ms);
		if (number_cases[i].want == BAD)
			t_int(-1, rc, "ts_from_number refuses %.17g", number_cases[i].in);
		else if (t_int(0, rc, "ts_from_number accepts %.17g", number_cases[i].in))
			t_int(number_cases[i].want, ms, "ts_from_number %.17g value", number_cases[i].in);
	}
}

static const struct {
	const char *in;
	int64_t want;
} any_cases[] = {
	{ "2026-11-20T12:00:05.000Z", 1795176005000 },
	{ "1795176005", 1795176005000 },
	{ "1795176005.5", 1795176005500 },
	{ "1795176005000", 1795176005000 },
	{ "-1", -1000 },
	{ "", BAD },
	{ "abc", BAD },
	{ "12abc", BAD },
	{ "nan", BAD },
	{ "inf", BAD },
	{ "1e30", BAD },
};

static void
test_parse_any(void)
{
	size_t i;
	int64_t ms;
	int rc;

	for (i = 0; i < N(any_cases); i++) {
		ms = 42;
		rc = ts_parse_any(any_cases[i].in, strlen(any_cases[i].in), &ms);
		if (any_cases[i].want == BAD)
			t_int(-1, rc, "ts_parse_any refuses \"%s\"", any_cases[i].in);
		else if (t_int(0, rc, "ts_parse_any accepts \"%s\"", any_cases[i].in))
			t_int(any_cases[i].want, ms, "ts_parse_any \"%s\" value", any_cases[i].in);
	}
}

static const struct {
	int64_t in;
	const char *want;
} format_cases[] = {
	{ 0, "1970-01-01T00:00:00.000Z" },
	{ 1, "1970-01-01T00:00:00.001Z" },
	{ 1795176005000, "2026-11-20T12:00:05.000Z" },
	{ 1795176005123, "2026-11-20T12:00:05.123Z" },
	{ 951782400000, "2000-02-29T00:00:00.000Z" },
	{ 1483228799999, "2016-12-31T23:59:59.999Z" },
	{ -1, "1969-12-31T23:59:59.999Z" },
	{ -999, "1969-12-31T23:59:59.001Z" },
	{ -1000, "1969-12-31T23:59:59.000Z" },
	{ -1001, "1969-12-31T23:59:58.999Z" },
	{ -86400000, "1969-12-31T00:00:00.000Z" },
	{ -86400001, "1969-12-30T23:59:59.999Z" },
	{ -14182940000, "1969-07-20T20:17:40.000Z" },
	{ -2203891200000, "1900-03-01T00:00:00.000Z" },
	{ -11670998400000, "1600-02-29T00:00:00.000Z" },
	{ -62135596800000, "0001-01-01T00:00:00.000Z" },
	{ 253402300799999, "9999-12-31T23:59:59.999Z" },
	/* Out of range: clamped to the ends, never a malformed year. */
	{ -62135596800001, "0001-01-01T00:00:00.000Z" },
	{ INT64_MIN, "0001-01-01T00:00:00.000Z" },
	{ 253402300800000, "9999-12-31T23:59:59.999Z" },
	{ INT64_MAX, "9999-12-31T23:59:59.999Z" },
};

static void
test_format(void)
{
	char out[TS_BUFSZ];
	size_t i, n;

	for (i = 0; i < N(format_cases); i++) {
		memset(out, 'x', sizeof out);
		n = ts_format(format_cases[i].in, out);
		t_str(format_cases[i].want, out, "ts_format %lld", (long long)format_cases[i].in);
		t_int(24, (int64_t)n, "ts_format %lld returns the length", (long long)format_cases[i].in);
	}
}

/* Everything ts_format writes, ts_parse reads back to the same instant. */
static void
test_round_trip(void)
{
	static const int64_t cases[] = {
		0, 1, -1, 999, -999, 1795176005123, -14182940000, 951782400000,
		951868799999, -2203891200001, -62135596800000, -62135596799999,
		253402300799999, 253402214400000, 4102444800000, -30610224000000,
	};
	char out[TS_BUFSZ];
	size_t i;
	int64_t ms, t;
	int bad = 0;

	for (i = 0; i < N(cases); i++) {
		ts_format(cases[i], out);
		ms = 42;
		if (t_int(0, ts_parse(out, strlen(out), &ms), "ts_parse reads ts_format(%lld) = %s",
		    (long long)cases[i], out))
			t_int(cases[i], ms, "round trip of %lld through %s", (long long)cases[i], out);
	}
	/* A sweep: one instant every 7 days, 13 hours and 1 ms, years 1 to 9999. */
	for (t = -62135596800000; t < 253402300799999; t += 7LL * 86400000 + 13 * 3600000 + 1) {
		ts_format(t, out);
		if (ts_parse(out, strlen(out), &ms) != 0 || ms != t) {
			if (bad++ == 0)
				t_diag("first failure: %lld formats as %s", (long long)t, out);
		}
	}
	t_int(0, bad, "round trip of every instant of a sweep over years 1 to 9999");
}

static const struct {
	const char *in;
	int64_t want;
} duration_cases[] = {
	{ "500ms", 500 },
	{ "90s", 90000 },
	{ "10m", 600000 },
	{ "2h", 7200000 },
	{ "1d", 86400000 },
	{ "1.5", 1500 },
	{ "1.5h", 5400000 },
	{ "0.5s", 500 },
	{ "0", 0 },
	{ "0s", 0 },
	{ "1", 1000 },
	{ "30", 30000 },
	{ "1.5ms", 2 },
	{ "100d", 8640000000 },
	{ "", BAD },
	{ "s", BAD },
	{ "ms", BAD },
	{ "bad", BAD },
	{ "10x", BAD },
	{ "10sec", BAD },
	{ "10 s", BAD },
	{ " 10s", BAD },
	{ "10s ", BAD },
	{ "10S", BAD },
	{ "-1", BAD },
	{ "-1s", BAD },
	{ "nan", BAD },
	{ "inf", BAD },
	{ "infs", BAD },
	{ "1e300d", BAD },
	{ "1h30m", BAD },
};

static void
test_duration(void)
{
	size_t i;
	int64_t ms;
	int rc;

	for (i = 0; i < N(duration_cases); i++) {
		ms = 42;
		rc = ts_parse_duration(duration_cases[i].in, &ms);
		if (duration_cases[i].want == BAD)
			t_int(-1, rc, "ts_parse_duration refuses \"%s\"", duration_cases[i].in);
		else if (t_int(0, rc, "ts_parse_duration accepts \"%s\"", duration_cases[i].in))
			t_int(duration_cases[i].want, ms, "ts_parse_duration \"%s\" value",
			    duration_cases[i].in);
	}
	t_int(-1, ts_parse_duration(NULL, &ms), "ts_parse_duration refuses NULL");
}

static const struct {
	int64_t y;
	unsigned m, d;
	int64_t want;
} civil_cases[] = {
	{ 1970, 1, 1, 0 },
	{ 1970, 1, 2, 1 },
	{ 1969, 12, 31, -1 },
	{ 2000, 2, 29, 11016 },
	{ 2000, 3, 1, 11017 },
	{ 2026, 1, 1, 20454 },
	{ 1900, 2, 28, -25509 },
	{ 1600, 3, 1, -135080 },
	{ 1, 1, 1, -719162 },
	{ 9999, 12, 31, 2932896 },
};

static void
test_days_from_civil(void)
{
	size_t i;
	int64_t d, prev;
	int y, m, bad = 0;
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	for (i = 0; i < N(civil_cases); i++)
		t_int(civil_cases[i].want,
		    ts_days_from_civil(civil_cases[i].y, civil_cases[i].m, civil_cases[i].d),
		    "ts_days_from_civil(%lld, %u, %u)", (long long)civil_cases[i].y,
		    civil_cases[i].m, civil_cases[i].d);
	/* Consecutive days are consecutive numbers, across every month end from 1600 to 2400. */
	prev = ts_days_from_civil(1599, 12, 31);
	for (y = 1600; y <= 2400; y++)
		for (m = 1; m <= 12; m++) {
			int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
			int last = mdays[m - 1] + (m == 2 && leap);

			d = ts_days_from_civil(y, (unsigned)m, 1);
			if (d != prev + 1 && bad++ == 0)
				t_diag("%d-%02d-01 is %lld, the day before is %lld", y, m,
				    (long long)d, (long long)prev);
			prev = ts_days_from_civil(y, (unsigned)m, (unsigned)last);
			if (prev != d + last - 1 && bad++ == 0)
				t_diag("%d-%02d-%02d is %lld", y, m, last, (long long)prev);
		}
	t_int(0, bad, "ts_days_from_civil counts every day from 1600 to 2400");
}

static void
test_clocks(void)
{
	int64_t now = ts_now_ms(), m1 = ts_mono_ms(), m2 = ts_mono_ms();

	/* Loose: the wall clock is after 2020 and before 2200. */
	t_range(1577836800000.0, 7258118400000.0, (double)now, "ts_now_ms is a plausible time");
	t_ok(m2 >= m1, "ts_mono_ms does not go back");
}

int
main(void)
{
	test_parse();
	test_parse_length();
	test_from_number();
	test_parse_any();
	test_format();
	test_round_trip();
	test_duration();
	test_days_from_civil();
	test_clocks();
	return t_done();
}
