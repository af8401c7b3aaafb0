/*
 * event_parse decodes numbers on a fast path (Clinger's) where that is
 * exact and with strtod elsewhere: the double must always be strtod's.
 * Checked on a table of hard cases and on many generated numbers; and
 * event_object's span of the object.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "rng.h"
#include "t.h"

static struct event ev;

static int
same_double(double a, double b)
{
	return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b));
}

/* decoded parses {"velocity":s} and returns the velocity's double. */
static double
decoded(const char *s)
{
	char line[128], msg[256];
	const char *code;

	snprintf(line, sizeof line, "{\"velocity\":%s}", s);
	if (event_parse(&ev, line, strlen(line), &code, msg, sizeof msg) != 0)
		return NAN;
	return ev.f[EVF_VELOCITY].num;
}

static int
strtod_agrees(const char *s)
{
	return same_double(strtod(s, NULL), decoded(s));
}

static void
test_numbers(void)
{
	static const char *const cases[] = {
		"0", "-0", "1", "-1", "0.1", "0.2", "0.3", "51.4700", "-0.4543", "11582.4",
		"231.5", "-0.33", "1e22", "1e23", "1e-22", "1e-23", "9007199254740992",
		"9007199254740993", "9007199254740993.0", "18446744073709551615",
		"18446744073709551616", "123456789012345678901234567890", "4.9e-324",
		"2.2250738585072014e-308", "1.7976931348623157e308", "1e999", "-1e999",
		"1e-999", "0.000000000000000000000000000001", "1767225600123",
		"1767225600.25", "89.99999999999999", "0e0", "0E+5", "1E-0", "3.14159265358979323846",
		"100000000000000000000000", "0.0000001", "1234567.891e-3",
	};
	struct rng r;
	char buf[64];
	size_t i;
	int j, n, bad = 0, k;

	for (i = 0; i < N(cases); i++)
		t_ok(strtod_agrees(cases[i]), "event_parse decodes %s as strtod does", cases[i]);

	/* Numbers as feeds write them: up to 20 digits, a point anywhere, an exponent. */
	rng_seed(&r, 42);
	for (j = 0; j < 200000; j++) {
		n = 0;
		if (rng_chance(&r, 0.3))
			buf[n++] = '-';
		k = 1 + (int)rng_below(&r, 20);
		buf[n++] = (char)('1' + rng_below(&r, 9));
		while (--k > 0)
			buf[n++] = (char)('0' + rng_below(&r, 10));
		if (rng_chance(&r, 0.7)) {
			k = 1 + (int)rng_below(&r, 12);
			buf[n++] = '.';
			while (k-- > 0)
				buf[n++] = (char)('0' + rng_below(&r, 10));
		}
		if (rng_chance(&r, 0.2))
			n += snprintf(buf + n, sizeof buf - (size_t)n, "e%d", (int)rng_below(&r, 61) - 30);
		buf[n] = '\0';
		if (!strtod_agrees(buf) && bad++ < 5)
			t_diag("differs: %s: %.17g %.17g", buf, strtod(buf, NULL), decoded(buf));
	}
	t_int(0, bad, "200000 generated numbers decode as strtod decodes them");
}

static void
test_object(void)
{
	static const struct {
		const char *line, *want;
	} cases[] = {
		{ "{\"a\":1}", "{\"a\":1" },
		{ "  { \"a\" : 1 }  ", "{ \"a\" : 1" },
		{ "{\"a\":{\"b\":2}\t}\r", "{\"a\":{\"b\":2}" },
	};
	const char *code;
	char msg[256];
	size_t i, start, end;

	for (i = 0; i < N(cases); i++) {
		if (!t_int(0, event_parse(&ev, cases[i].line, strlen(cases[i].line), &code,
		    msg, sizeof msg), "%s parses", cases[i].line))
			continue;
		event_object(&ev, &start, &end);
		t_mem(cases[i].want, strlen(cases[i].want), cases[i].line + start, end - start,
		    "event_object of %s: the object up to its closing brace", cases[i].line);
	}
}

int
main(void)
{
	event_init(&ev);
	test_numbers();
	test_object();
	event_free(&ev);
	return t_done();
}
