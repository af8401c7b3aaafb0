/* Tests of lib/event: parsing records, decoding known fields, editing and writing them back. */
#include <float.h>

#include "buf.h"
#include "event.h"
#include "t.h"

static struct event ev;
static struct buf out;
static const char *code;
static char msg[256];

static int
parse(const char *line)
{
	code = NULL;
	msg[0] = '\0';
	return event_parse(&ev, line, strlen(line), &code, msg, sizeof msg);
}

/* written returns the record as event_write writes it, NUL-terminated. */
static const char *
written(void)
{
	buf_reset(&out);
	event_write(&ev, &out);
	return buf_cstr(&out);
}

/* t_written passes when the record, as written, is want and a newline. */
static int __attribute__((format(printf, 2, 3)))
t_written(const char *want, const char *fmt, ...)
{
	char name[512];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(name, sizeof name, fmt, ap);
	va_end(ap);
	written();
	n = out.len > 0 && out.p[out.len - 1] == '\n' ? out.len - 1 : out.len;
	return t_mem(want, strlen(want), out.p, n, "%s", name);
}

static const char typical[] =
    "{\"timestamp\":\"2026-11-20T12:00:05.000Z\",\"icao24\":\"4ca7b5\",\"callsign\":\"EIN12B\","
    "\"origin_country\":\"Ireland\",\"latitude\":51.4700,\"longitude\":-0.4543,"
    "\"baro_altitude\":null,\"geo_altitude\":11582.4,\"velocity\":231.5,\"heading\":287.9,"
    "\"vertical_rate\":-0.33,\"on_ground\":false,\"squawk\":\"7700\",\"spi\":true,"
    "\"position_source\":0,\"category\":\"A3\",\"sensors\":[1,2,3],\"source\":\"sim\","
    "\"truth\":{\"faults\":[\"jump\"],\"n\":1},\"mine\":{\"x\":[1,{\"y\":null}]}}";

static void
test_typical(void)
{
	const struct ev_val *v;
	size_t n;
	const char *p;
	int i;

	if (!t_int(0, parse(typical), "a typical record parses"))
		t_diag("%s: %s", code, msg);
	t_int(20, ev.nfields, "all 20 fields are recorded");
	v = &ev.f[EVF_ICAO24];
	t_int(EVT_STRING, v->type, "icao24 is a string");
	t_mem(S("4ca7b5"), v->s, v->len, "icao24 is decoded");
	t_int(1, v->field, "icao24 is field 1");
	v = &ev.f[EVF_LATITUDE];
	t_int(EVT_NUMBER, v->type, "latitude is a number");
	t_near(51.47, v->num, 0, "latitude's value");
	t_mem(S("51.4700"), v->s, v->len, "latitude's text is kept as written");
	t_near(-0.4543, ev.f[EVF_LONGITUDE].num, 0, "longitude's value");
	t_int(EVT_NULL, ev.f[EVF_BARO_ALTITUDE].type, "baro_altitude is null");
	t_int(EVT_BOOL, ev.f[EVF_ON_GROUND].type, "on_ground is a bool");
	t_int(0, ev.f[EVF_ON_GROUND].b, "on_ground is false");
	t_int(1, ev.f[EVF_SPI].b, "spi is true");
	t_int(EVT_NUMBER, ev.f[EVF_POSITION_SOURCE].type, "position_source is a number");
	t_near(0, ev.f[EVF_POSITION_SOURCE].num, 0, "position_source is 0");
	t_int(EVT_ARRAY, ev.f[EVF_SENSORS].type, "sensors is an array");
	t_int(EVT_OBJECT, ev.f[EVF_TRUTH].type, "truth is an object");
	t_mem(S("7700"), ev.f[EVF_SQUAWK].s, ev.f[EVF_SQUAWK].len, "squawk is the string 7700");
	t_mem(S("sim"), ev.f[EVF_SOURCE].s, ev.f[EVF_SOURCE].len, "source");
	t_near(-0.33, ev.f[EVF_VERTICAL_RATE].num, 0, "a negative number");
	i = ev.f[EVF_SENSORS].field;
	p = event_value(&ev, i, &n);
	t_mem(S("[1,2,3]"), p, n, "event_value of an array is its text");
	p = event_value(&ev, ev.f[EVF_TRUTH].field, &n);
	t_mem(S("{\"faults\":[\"jump\"],\"n\":1}"), p, n, "event_value of a nested object");
	i = event_find(&ev, "mine");
	t_int(19, i, "event_find finds an unknown field");
	if (i >= 0) {
		p = event_value(&ev, i, &n);
		t_mem(S("{\"x\":[1,{\"y\":null}]}"), p, n, "an unknown field's value is verbatim");
		t_int(-1, ev.fields[i].evf, "an unknown field has no EVF");
	}
	t_int(-1, event_find(&ev, "x"), "event_find does not look into nested objects");
	t_int(-1, event_find(&ev, "nope"), "event_find of a missing key is -1");
	t_written(typical, "a typical record is written back byte for byte");
	t_ok(out.len > 0 && out.p[out.len - 1] == '\n', "event_write ends the record with a newline");
	for (i = 0; i < EVF_COUNT; i++)
		t_int(i, ev.fields[i].evf, "field %d is %s", i, event_name((enum evf)i));
}

static void
test_absent(void)
{
	int i, absent = 0;

	t_int(0, parse("{\"icao24\":\"abc123\"}"), "a record with one field parses");
	for (i = 0; i < EVF_COUNT; i++)
		if (i != EVF_ICAO24 && ev.f[i].type == EVT_ABSENT && ev.f[i].field == -1)
			absent++;
	t_int(EVF_COUNT - 1, absent, "fields of the last record are absent in this one");
	t_int(0, parse("{}"), "an empty object parses");
	t_int(0, ev.nfields, "an empty object has no fields");
	t_str("{}\n", written(), "an empty object is written as {}");
}

static const struct {
	const char *line;
	const char *want;	/* callsign decoded */
	size_t n;
} strings[] = {
	{ "{\"callsign\":\"plain\"}", S("plain") },
	{ "{\"callsign\":\"\"}", S("") },
	{ "{\"callsign\":\"\\u00e9t\\u00e9\"}", S("\xc3\xa9t\xc3\xa9") },
	{ "{\"callsign\":\"a\\\"b\\\\c\\/d\"}", S("a\"b\\c/d") },
	{ "{\"callsign\":\"tab\\there\\nnl\"}", S("tab\there\nnl") },
	{ "{\"callsign\":\"\\u0000nul\"}", S("\0nul") },
	{ "{\"callsign\":\"\\ud83d\\ude00\"}", S("\xf0\x9f\x98\x80") },
	{ "{\"callsign\":\"Z\xc3\xbcrich\"}", S("Z\xc3\xbcrich") },
	{ "{\"callsign\":\"\\u00e9\",\"origin_country\":\"\\u00fc\",\"squawk\":\"\\u0037700\"}", S("\xc3\xa9") },
};

static void
test_strings(void)
{
	size_t i;

	for (i = 0; i < N(strings); i++) {
		if (!t_int(0, parse(strings[i].line), "parses: %s", strings[i].line)) {
			t_diag("%s: %s", code, msg);
			continue;
		}
		t_int(EVT_STRING, ev.f[EVF_CALLSIGN].type, "a string: %s", strings[i].line);
		t_mem(strings[i].want, strings[i].n, ev.f[EVF_CALLSIGN].s, ev.f[EVF_CALLSIGN].len,
		    "decoded: %s", strings[i].line);
		t_written(strings[i].line, "written back verbatim: %s",
		    strings[i].line);
	}
	/* Several decoded strings on one line stay apart and valid. */
	t_mem(S("\xc3\xbc"), ev.f[EVF_ORIGIN_COUNTRY].s, ev.f[EVF_ORIGIN_COUNTRY].len,
	    "a second escaped string on the line");
	t_mem(S("7700"), ev.f[EVF_SQUAWK].s, ev.f[EVF_SQUAWK].len, "a third escaped string on the line");
	t_mem(S("\xc3\xa9"), ev.f[EVF_CALLSIGN].s, ev.f[EVF_CALLSIGN].len,
	    "the first escaped string is still right");
}

/* Numbers are never re-printed: their text comes back exactly. */
static const struct {
	const char *text;
	double num;
} numbers[] = {
	{ "0", 0 },
	{ "-0", -0.0 },
	{ "1.50000000000000001", 1.5 },
	{ "12345678901234567890", 12345678901234567890.0 },
	{ "-12345678901234567890123", -1.2345678901234568e22 },
	{ "1e2", 100 },
	{ "1E+2", 100 },
	{ "2.5e-3", 0.0025 },
	{ "51.470000", 51.47 },
	{ "0.1", 0.1 },
	/* The fast path (15 significant digits or fewer) must round exactly like strtod. */
	{ "-104.9429", -104.9429 },
	{ "4038.6", 4038.6 },
	{ "0.32512", 0.32512 },
	{ "999999999999999", 999999999999999.0 },
	{ "0.000000000000000000000123", 1.23e-22 },
	{ "1615141830000", 1615141830000.0 },
	{ "7.62", 7.62 },
	{ "123456789.123456789123456789", 123456789.12345679 },
	{ "1e400", HUGE_VAL },
	{ "4.9e-324", 4.9406564584124654e-324 },
	{ "0.00000000000000000000000000000000000000000000000000000000000000000000000000000001", 1e-80 },
};

static void
test_numbers(void)
{
	char line[256];
	size_t i;

	for (i = 0; i < N(numbers); i++) {
		snprintf(line, sizeof line, "{\"velocity\":%s,\"other\":%s}", numbers[i].text, numbers[i].text);
		if (!t_int(0, parse(line), "parses: %s", line)) {
			t_diag("%s: %s", code, msg);
			continue;
		}
		t_mem(numbers[i].text, strlen(numbers[i].text), ev.f[EVF_VELOCITY].s, ev.f[EVF_VELOCITY].len,
		    "a number's text is kept: %s", numbers[i].text);
		t_ok(ev.f[EVF_VELOCITY].num == numbers[i].num, "a number's value: %s (got %.17g)",
		    numbers[i].text, ev.f[EVF_VELOCITY].num);
		t_written(line, "a number is written back verbatim: %s",
		    numbers[i].text);
	}
}

/* Compact records come back byte for byte: known and unknown fields, in order. */
static const char *const round_trips[] = {
	"{\"a\":1}",
	"{\"zzz\":1,\"timestamp\":\"2026-11-20T12:00:05.000Z\",\"aaa\":[]}",
	"{\"x\":{\"y\":{\"z\":[[],[{}],\"\\u0041\"]}},\"latitude\":1}",
	"{\"\":\"empty key\",\"k\":\"\"}",
	"{\"a\":true,\"b\":false,\"c\":null,\"d\":[true,false,null]}",
	"{\"esc\\\"aped\":1,\"\\u00e9\":2}",
	"{\"dup\":1,\"dup\":2}",
	"{\"caf\xc3\xa9\":\"\xe2\x82\xac\"}",
	"{\"latitude\":\"not a number\",\"on_ground\":0,\"timestamp\":1795176005}",
	"{\"a\":[1,2,[3,[4,[5]]]],\"b\":{\"c\":{\"d\":{\"e\":{}}}}}",
};

static void
test_round_trip(void)
{
	size_t i;

	for (i = 0; i < N(round_trips); i++) {
		if (!t_int(0, parse(round_trips[i]), "parses: %s", round_trips[i])) {
			t_diag("%s: %s", code, msg);
			continue;
		}
		t_written(round_trips[i], "round trip: %s", round_trips[i]);
	}
}

/* White space anywhere: the fields are found, and what is written is the same record. */
static const struct {
	const char *line;
	const char *a, *b;	/* the values of a and b */
} spaced[] = {
	{ "{ \"a\" : 1 , \"b\":2 }", "1", "2" },
	{ "  {\"a\":1,\"b\":2}  ", "1", "2" },
	{ "{\t\"a\"\t:\t\"x y\"\t,\t\"b\"\t:\t[ 1 , 2 ]\t}", "\"x y\"", "[ 1 , 2 ]" },
	{ "{\r\"a\":{ \"n\" : null }\r,\"b\":true}", "{ \"n\" : null }", "true" },
	{ "{\"a\" :1,\"b\": 2}", "1", "2" },
};

static void
test_spaces(void)
{
	size_t i, n;
	const char *p, *w;
	int a, b;

	for (i = 0; i < N(spaced); i++) {
		if (!t_int(0, parse(spaced[i].line), "parses with white space: %s", spaced[i].line)) {
			t_diag("%s: %s", code, msg);
			continue;
		}
		a = event_find(&ev, "a");
		b = event_find(&ev, "b");
		if (!t_ok(a == 0 && b == 1, "fields a and b found: %s", spaced[i].line))
			continue;
		p = event_value(&ev, a, &n);
		t_mem(spaced[i].a, strlen(spaced[i].a), p, n, "the value of a: %s", spaced[i].line);
		p = event_value(&ev, b, &n);
		t_mem(spaced[i].b, strlen(spaced[i].b), p, n, "the value of b: %s", spaced[i].line);
		/* What is written parses again to the same fields. */
		w = xstrdup(written());
		*strchr(w, '\n') = '\0';
		if (t_int(0, parse(w), "what is written parses again: %s", w)) {
			p = event_value(&ev, event_find(&ev, "a"), &n);
			t_mem(spaced[i].a, strlen(spaced[i].a), p, n, "written, the value of a: %s", w);
			p = event_value(&ev, event_find(&ev, "b"), &n);
			t_mem(spaced[i].b, strlen(spaced[i].b), p, n, "written, the value of b: %s", w);
			t_int(2, ev.nfields, "written, two fields: %s", w);
		}
		free((void *)w);
	}
}

static void
test_find_escaped(void)
{
	t_int(0, parse("{\"\\u0061bc\":1,\"q\\\"t\":2,\"caf\\u00e9\":3,\"latit\\u0075de\":45.5}"),
	    "keys with escapes parse");
	t_int(0, event_find(&ev, "abc"), "event_find of a key written with \\u0061");
	t_int(1, event_find(&ev, "q\"t"), "event_find of a key with an escaped quote");
	t_int(2, event_find(&ev, "caf\xc3\xa9"), "event_find of a key with \\u00e9");
	t_int(EVT_NUMBER, ev.f[EVF_LATITUDE].type, "a known field written with an escape is decoded");
	t_near(45.5, ev.f[EVF_LATITUDE].num, 0, "its value");
	t_int(3, ev.f[EVF_LATITUDE].field, "its field index");
}

static const struct {
	const char *line;
	const char *set_key, *set_val;	/* event_set, or NULL */
	const char *del_key;		/* then event_del, or NULL */
	const char *want;
} edits[] = {
	{ "{\"a\":1,\"b\":2,\"c\":3}", "b", "42", NULL, "{\"a\":1,\"b\":42,\"c\":3}" },
	{ "{\"a\":1,\"b\":2,\"c\":3}", "a", "\"x\"", NULL, "{\"a\":\"x\",\"b\":2,\"c\":3}" },
	{ "{\"a\":1,\"b\":2,\"c\":3}", "c", "[1,2]", NULL, "{\"a\":1,\"b\":2,\"c\":[1,2]}" },
	{ "{\"a\":1,\"b\":2,\"c\":3}", "z", "true", NULL, "{\"a\":1,\"b\":2,\"c\":3,\"z\":true}" },
	{ "{\"a\":1,\"b\":2,\"c\":3}", NULL, NULL, "b", "{\"a\":1,\"c\":3}" },
	{ "{\"a\":1,\"b\":2,\"c\":3}", NULL, NULL, "a", "{\"b\":2,\"c\":3}" },
	{ "{\"a\":1,\"b\":2,\"c\":3}", NULL, NULL, "c", "{\"a\":1,\"b\":2}" },
	{ "{\"a\":1,\"b\":2,\"c\":3}", NULL, NULL, "nope", "{\"a\":1,\"b\":2,\"c\":3}" },
	{ "{\"a\":1}", NULL, NULL, "a", "{}" },
	{ "{}", "a", "1", NULL, "{\"a\":1}" },
	{ "{\"a\":1,\"b\":2}", "z", "1", "z", "{\"a\":1,\"b\":2}" },
	{ "{\"a\":1,\"b\":2}", "a", "5", "a", "{\"b\":2}" },
	{ "{ \"a\" : 1 , \"b\" : 2 }", "a", "9", NULL, "{\"a\":9,\"b\" : 2}" },
	{ "{\"\\u0061\":1}", "a", "2", NULL, "{\"\\u0061\":2}" },
	{ "{\"a\":1}", "new\"key", "null", NULL, "{\"a\":1,\"new\\\"key\":null}" },
	{ "{\"a\":{\"b\":1}}", "b", "2", NULL, "{\"a\":{\"b\":1},\"b\":2}" },
};

static void
test_edits(void)
{
	size_t i;

	for (i = 0; i < N(edits); i++) {
		if (!t_int(0, parse(edits[i].line), "parses: %s", edits[i].line))
			continue;
		if (edits[i].set_key != NULL)
			event_set(&ev, edits[i].set_key, edits[i].set_val, strlen(edits[i].set_val));
		if (edits[i].del_key != NULL)
			event_del(&ev, edits[i].del_key);
		t_written(edits[i].want, "edit %s: set %s=%s, del %s", edits[i].line,
		    edits[i].set_key ? edits[i].set_key : "-", edits[i].set_val ? edits[i].set_val : "-",
		    edits[i].del_key ? edits[i].del_key : "-");
	}
}

static void
test_edit_sequences(void)
{
	int i;

	parse("{\"a\":1,\"b\":2}");
	event_set(&ev, "a", "10", 2);
	event_set(&ev, "a", "100", 3);
	event_set(&ev, "a", "1000", 4);
	t_str("{\"a\":1000,\"b\":2}\n", written(), "repeated event_set of an existing key: the last value, once");
	event_set(&ev, "n", "1", 1);
	event_set(&ev, "m", "2", 1);
	event_set(&ev, "n", "3", 1);
	t_str("{\"a\":1000,\"b\":2,\"n\":3,\"m\":2}\n", written(),
	    "repeated event_set of a new key: the last value, in its first place");
	event_del(&ev, "a");
	event_del(&ev, "n");
	t_str("{\"b\":2,\"m\":2}\n", written(), "event_del of a replaced and of an added key");
	event_set(&ev, "a", "7", 1);
	t_str("{\"a\":7,\"b\":2,\"m\":2}\n", written(), "event_set after event_del puts the key back in place");
	event_del(&ev, "b");
	event_del(&ev, "a");
	event_del(&ev, "m");
	t_str("{}\n", written(), "every field deleted");

	/* The edits of one record do not carry over to the next. */
	parse("{\"a\":1,\"b\":2}");
	t_str("{\"a\":1,\"b\":2}\n", written(), "a new parse forgets the edits of the last record");

	/* The helpers format the value. */
	parse("{\"timestamp\":0,\"velocity\":1}");
	event_set_time(&ev, "timestamp", 1795176005123);
	event_set_fixed(&ev, "velocity", 231.456, 1);
	event_set_double(&ev, "ratio", 0.1);
	event_set_int(&ev, "count", INT64_MIN);
	event_set_bool(&ev, "ok", 1);
	event_set_bool(&ev, "bad", 0);
	event_set_null(&ev, "gone");
	event_set_str(&ev, "note", "say \"hi\"\n", 9);
	event_set_fixed(&ev, "nan", NAN, 2);
	t_str("{\"timestamp\":\"2026-11-20T12:00:05.123Z\",\"velocity\":231.5,\"ratio\":0.1,"
	    "\"count\":-9223372036854775808,\"ok\":true,\"bad\":false,\"gone\":null,"
	    "\"note\":\"say \\\"hi\\\"\\n\",\"nan\":null}\n", written(), "the event_set_* helpers");

	/* Many edits: more than the initial room for them. */
	parse("{\"a\":0}");
	for (i = 0; i < 100; i++) {
		char k[16];

		snprintf(k, sizeof k, "k%d", i);
		event_set_int(&ev, k, i);
	}
	event_set_int(&ev, "a", -1);
	written();
	t_ok(strncmp(out.p, "{\"a\":-1,\"k0\":0,\"k1\":1,", 22) == 0 &&
	    strstr(out.p, ",\"k99\":99}\n") != NULL, "a hundred added fields");
}

static const struct {
	const char *line;
	int rc;
	int64_t ms;
} times[] = {
	{ "{\"timestamp\":\"2026-11-20T12:00:05.000Z\"}", 0, 1795176005000 },
	{ "{\"timestamp\":\"2026-11-20T13:00:05.250+01:00\"}", 0, 1795176005250 },
	{ "{\"timestamp\":\"2026-11-20 12:00:05Z\"}", 0, 1795176005000 },
	{ "{\"timestamp\":1795176005}", 0, 1795176005000 },
	{ "{\"timestamp\":1795176005.5}", 0, 1795176005500 },
	{ "{\"timestamp\":1795176005123}", 0, 1795176005123 },
	{ "{\"timestamp\":\"1795176005\"}", 0, 1795176005000 },
	{ "{\"timestamp\":\"\\u0032026-11-20T12:00:05Z\"}", 0, 1795176005000 },
	{ "{\"timestamp\":0}", 0, 0 },
	{ "{\"timestamp\":\"yesterday\"}", -1, 0 },
	{ "{\"timestamp\":\"2026-02-30T00:00:00Z\"}", -1, 0 },
	{ "{\"timestamp\":\"\"}", -1, 0 },
	{ "{\"timestamp\":null}", -1, 0 },
	{ "{\"timestamp\":true}", -1, 0 },
	{ "{\"timestamp\":[1795176005]}", -1, 0 },
	{ "{\"timestamp\":{}}", -1, 0 },
	{ "{\"timestamp\":1e300}", -1, 0 },
	{ "{\"time\":1795176005}", -1, 0 },
};

static void
test_time(void)
{
	size_t i;
	int64_t ms;

	for (i = 0; i < N(times); i++) {
		if (!t_int(0, parse(times[i].line), "parses: %s", times[i].line))
			continue;
		ms = 42;
		if (t_int(times[i].rc, event_time(&ev, &ms), "event_time %s: %s",
		    times[i].rc ? "refuses" : "accepts", times[i].line) && times[i].rc == 0)
			t_int(times[i].ms, ms, "event_time value: %s", times[i].line);
	}
}

/* Lines that are not one JSON object; after each, a good line must parse right. */
static const struct {
	const char *line;
	const char *code;	/* NULL: "parse" or "not_object" */
} bad[] = {
	{ "", "parse" },
	{ "   ", "parse" },
	{ "not json", "parse" },
	{ "{", "parse" },
	{ "{\"a\"", "parse" },
	{ "{\"a\":", "parse" },
	{ "{\"a\":1", "parse" },
	{ "{\"a\":1,", "parse" },
	{ "{\"a\":[1,2", "parse" },
	{ "{\"a\":{\"b\":1}", "parse" },
	{ "{\"a\":\"unterminated}", "parse" },
	{ "{\"a\":}", "parse" },
	{ "{a:1}", "parse" },
	{ "{'a':1}", "parse" },
	{ "{\"a\":1,}", "parse" },
	{ "{\"a\" 1}", "parse" },
	{ "{\"a\":tru}", "parse" },
	{ "{\"a\":01}", "parse" },
	{ "{\"a\":1.}", "parse" },
	{ "{\"a\":NaN}", "parse" },
	{ "{\"a\":\"bad \\x escape\"}", "parse" },
	{ "{\"a\":\"bad utf-8 \xff\"}", "parse" },
	{ "{\"a\":[1,2}", "parse" },
	{ "}", "parse" },
	{ "[1,2]", "not_object" },
	{ "[]", "not_object" },
	{ "[{\"a\":1}]", "not_object" },
	{ "\"a string\"", "not_object" },
	{ "null", "not_object" },
	{ "true", "not_object" },
	{ "42", NULL },
	{ "-1.5", NULL },
	{ "{\"a\":1}{\"b\":2}", NULL },
	{ "{\"a\":1} {\"b\":2}", NULL },
	{ "{\"a\":1}[]", NULL },
	{ "{\"a\":1}x", "parse" },
	{ "{\"a\":1} garbage", "parse" },
	{ "{\"a\":1}}", "parse" },
	{ "{\"a\":1} 5", NULL },
	{ "{\"a\":1} \"s\"", NULL },
	{ "{\"a\":1} null", NULL },
};

static const char good[] = "{\"timestamp\":\"2026-11-20T12:00:05.000Z\",\"icao24\":\"abc123\","
    "\"latitude\":1.25,\"mine\":[1,{\"x\":2}],\"on_ground\":true}";

static void
check_good(const char *after)
{
	int64_t ms = 0;

	if (!t_int(0, parse(good), "after %s, a good line parses", after)) {
		t_diag("%s: %s", code, msg);
		return;
	}
	t_ok(ev.nfields == 5 && ev.f[EVF_ICAO24].type == EVT_STRING && ev.f[EVF_ICAO24].len == 6 &&
	    memcmp(ev.f[EVF_ICAO24].s, "abc123", 6) == 0 && ev.f[EVF_LATITUDE].num == 1.25 &&
	    ev.f[EVF_ON_GROUND].b == 1 && event_time(&ev, &ms) == 0 && ms == 1795176005000,
	    "after %s, the good line's fields are right", after);
	t_written(good, "after %s, the good line is written back", after);
}

static void
test_errors(void)
{
	size_t i;
	int rc;

	check_good("nothing");
	check_good("a good line");
	for (i = 0; i < N(bad); i++) {
		rc = parse(bad[i].line);
		if (!t_int(-1, rc, "refused: %s", bad[i].line))
			t_diag("written as %s", written());
		if (rc == 0)
			continue;
		if (bad[i].code != NULL)
			t_str(bad[i].code, code, "reject code for: %s (%s)", bad[i].line, msg);
		else
			t_ok(code != NULL && (strcmp(code, "parse") == 0 || strcmp(code, "not_object") == 0),
			    "reject code for: %s is parse or not_object (%s: %s)", bad[i].line,
			    code ? code : "NULL", msg);
		t_ok(msg[0] != '\0', "a message for: %s (%s)", bad[i].line, msg);
		check_good(bad[i].line);
	}
	/* Bad lines one after another, then good ones one after another. */
	for (i = 0; i < N(bad); i++)
		parse(bad[i].line);
	check_good("every bad line in a row");
	check_good("a good line after every bad line");
}

/* A line longer than anything before it, with many escaped strings: decoded strings stay put. */
static void
test_big(void)
{
	struct buf line = BUF_INIT;
	int i, ok = 1;

	buf_adds(&line, "{\"callsign\":\"\\u0041BC\"");
	for (i = 0; i < 5000; i++)
		buf_addf(&line, ",\"k%d\":\"v\\u00e9%d\"", i, i);
	buf_adds(&line, ",\"origin_country\":\"\\u00c9ire\"}");
	if (t_int(0, event_parse(&ev, line.p, line.len, &code, msg, sizeof msg), "a record of 5002 fields parses")) {
		t_int(5002, ev.nfields, "a record of 5002 fields: all recorded");
		t_mem(S("ABC"), ev.f[EVF_CALLSIGN].s, ev.f[EVF_CALLSIGN].len, "the first decoded string is intact");
		t_mem(S("\xc3\x89ire"), ev.f[EVF_ORIGIN_COUNTRY].s, ev.f[EVF_ORIGIN_COUNTRY].len,
		    "the last decoded string is intact");
		for (i = 0; i < 5000 && ok; i++) {
			char k[16];

			snprintf(k, sizeof k, "k%d", i);
			ok = event_find(&ev, k) == i + 1;
		}
		t_ok(ok, "every key of 5002 is found");
		written();
		t_mem(line.p, line.len, out.p, out.len - 1, "a record of 5002 fields is written back");
	}
	buf_free(&line);
}

int
main(void)
{
	int rc;

	event_init(&ev);
	test_typical();
	test_absent();
	test_strings();
	test_numbers();
	test_round_trip();
	test_spaces();
	test_find_escaped();
	test_edits();
	test_edit_sequences();
	test_time();
	test_errors();
	test_big();
	t_str("timestamp", event_name(EVF_TIMESTAMP), "event_name(EVF_TIMESTAMP)");
	t_str("truth", event_name(EVF_TRUTH), "event_name(EVF_TRUTH)");
	event_free(&ev);
	buf_free(&out);
	rc = t_done();
	return rc;
}
