/* Tests of lib/reject: dead-letter records, to a file or counted on stderr. */
#include <yajl/yajl_tree.h>

#include "buf.h"
#include "reject.h"
#include "t.h"

static const struct {
	const char *name;
	const char *code, *msg;
	const char *line;
	size_t len, full_len;
	const char *want;
} cases[] = {
	{ "a valid line is kept as text", "range.latitude", "latitude 123.4 outside [-90, 90]",
	    S("{\"latitude\":123.4}"), 18,
	    "{\"reject\":{\"tool\":\"fs-clean\",\"code\":\"range.latitude\","
	    "\"message\":\"latitude 123.4 outside [-90, 90]\"},\"line\":\"{\\\"latitude\\\":123.4}\"}\n" },
	{ "an empty line", "parse", "not a JSON object", S(""), 0,
	    "{\"reject\":{\"tool\":\"fs-clean\",\"code\":\"parse\",\"message\":\"not a JSON object\"},\"line\":\"\"}\n" },
	{ "control characters and UTF-8 in a line", "parse", "bad",
	    S("tab\there \xc3\xa9 \x01"), 13,
	    "{\"reject\":{\"tool\":\"fs-clean\",\"code\":\"parse\",\"message\":\"bad\"},"
	    "\"line\":\"tab\\there \xc3\xa9 \\u0001\"}\n" },
	{ "a message with quotes and a newline", "parse", "invalid \"x\"\nhere", S("x"), 1,
	    "{\"reject\":{\"tool\":\"fs-clean\",\"code\":\"parse\",\"message\":\"invalid \\\"x\\\"\\nhere\"},"
	    "\"line\":\"x\"}\n" },
	{ "invalid UTF-8 is kept as base64", "utf8", "invalid UTF-8 at byte 3", S("ab\xff"), 3,
	    "{\"reject\":{\"tool\":\"fs-clean\",\"code\":\"utf8\",\"message\":\"invalid UTF-8 at byte 3\"},"
	    "\"line_base64\":\"YWL/\"}\n" },
	{ "a NUL is kept as base64", "nul", "NUL byte", S("a\0b"), 3,
	    "{\"reject\":{\"tool\":\"fs-clean\",\"code\":\"nul\",\"message\":\"NUL byte\"},"
	    "\"line_base64\":\"YQBi\"}\n" },
	{ "base64 of one byte is padded twice", "utf8", "m", S("\xff"), 1,
	    "{\"reject\":{\"tool\":\"fs-clean\",\"code\":\"utf8\",\"message\":\"m\"},\"line_base64\":\"/w==\"}\n" },
	{ "base64 of two bytes is padded once", "utf8", "m", S("\xff\xfe"), 2,
	    "{\"reject\":{\"tool\":\"fs-clean\",\"code\":\"utf8\",\"message\":\"m\"},\"line_base64\":\"//4=\"}\n" },
	{ "base64 of four bytes", "utf8", "m", S("\0\x10\x83\xfb"), 4,
	    "{\"reject\":{\"tool\":\"fs-clean\",\"code\":\"utf8\",\"message\":\"m\"},\"line_base64\":\"ABCD+w==\"}\n" },
	{ "base64 of a longer line", "utf8", "m", S("Man is distinguished\xff"), 21,
	    "{\"reject\":{\"tool\":\"fs-clean\",\"code\":\"utf8\",\"message\":\"m\"},"
	    "\"line_base64\":\"TWFuIGlzIGRpc3Rpbmd1aXNoZWT/\"}\n" },
	{ "a too-long line keeps its head and says how long it was", "too_long", "line of 100 bytes",
	    S("{\"a\":\"xxxx"), 100,
	    "{\"reject\":{\"tool\":\"fs-clean\",\"code\":\"too_long\",\"message\":\"line of 100 bytes\"},"
	    "\"line\":\"{\\\"a\\\":\\\"xxxx\",\"line_length\":100}\n" },
	{ "a too-long line cut inside a UTF-8 character is base64", "too_long", "long",
	    S("ab\xc3"), 9,
	    "{\"reject\":{\"tool\":\"fs-clean\",\"code\":\"too_long\",\"message\":\"long\"},"
	    "\"line_base64\":\"YWLD\",\"line_length\":9}\n" },
};

/* parses_back checks that a reject is one JSON object whose line (or line_base64) is the original. */
static void
parses_back(const char *rec, size_t n, const char *line, size_t len, const char *name)
{
	static const char *lpath[] = { "line", NULL }, *bpath[] = { "line_base64", NULL },
	    *cpath[] = { "reject", "code", NULL };
	char err[256], *text = strndup(rec, n);
	const char *s;
	yajl_val v, f;

	v = yajl_tree_parse(text, err, sizeof err);
	if (!t_ok(v != NULL && YAJL_IS_OBJECT(v), "%s: the reject is a JSON object", name)) {
		t_diag("%s", err);
		free(text);
		return;
	}
	t_ok(yajl_tree_get(v, cpath, yajl_t_string) != NULL, "%s: it has reject.code", name);
	if ((f = yajl_tree_get(v, lpath, yajl_t_string)) != NULL && (s = YAJL_GET_STRING(f)) != NULL)
		t_mem(line, len, s, strlen(s), "%s: its line decodes to the original", name);
	else
		t_ok(yajl_tree_get(v, bpath, yajl_t_string) != NULL, "%s: it has line or line_base64", name);
	yajl_tree_free(v);
	free(text);
}

static void
test_format(void)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < N(cases); i++) {
		buf_reset(&b);
		reject_format(&b, "fs-clean", cases[i].code, cases[i].msg, cases[i].line, cases[i].len,
		    cases[i].full_len);
		t_mem(cases[i].want, strlen(cases[i].want), b.p, b.len, "reject_format: %s", cases[i].name);
		parses_back(b.p, b.len ? b.len - 1 : 0, cases[i].line, cases[i].len, cases[i].name);
	}
	/* Appends to what the buffer holds. */
	buf_reset(&b);
	buf_adds(&b, "before\n");
	reject_format(&b, "t", "c", "m", "x", 1, 1);
	t_str("before\n{\"reject\":{\"tool\":\"t\",\"code\":\"c\",\"message\":\"m\"},\"line\":\"x\"}\n",
	    buf_cstr(&b), "reject_format appends");
	buf_free(&b);
}

static struct cli cl;
static struct stats st;

/* open_rj opens rejects to path the way a program does: its stats first. */
static int
open_rj(struct rejects *rj, const char *path, int quiet)
{
	cli_init(&cl, "fs-test", "fs-test", CLI_IN | CLI_REJECT);
	cl.verbose = quiet ? -1 : 0;
	stats_init(&st, "fs-test", &cl);
	return reject_open(rj, &st, &cl, path);
}

static uint64_t
counter(const char *name)
{
	int i;

	for (i = 0; i < st.nextra; i++)
		if (strcmp(st.extra[i].name, name) == 0)
			return st.extra[i].value;
	return 0;
}

static void
test_to_file(void)
{
	struct rejects rj;
	struct line l;
	const char *path = t_path("rejects.ndjson");
	char *got;
	size_t n;

	memset(&l, 0, sizeof l);
	l.p = "{\"bad\":1}";
	l.len = l.full_len = 9;
	l.file = "in.ndjson";
	l.lineno = 7;
	t_int(0, open_rj(&rj, path, 0), "reject_open a file");
	t_int(0, reject_line(&rj, &l, "range.x", "x out of range"), "reject_line");
	l.p = "\xff\xfe";
	l.len = 2;
	l.full_len = 500;
	t_int(0, reject_line(&rj, &l, "too_long", "long"), "reject_line of a too-long binary line");
	t_int(0, reject_raw(&rj, "raw", 3, "raw", "from no reader"), "reject_raw");
	t_int(0, reject_flush(&rj), "reject_flush");
	t_uint(3, rj.count, "three rejects counted");
	t_uint(3, st.rejected, "and counted in the stats as rejected");
	t_uint(1, counter("rejected_range_x"), "each under its code, '.' as '_'");
	t_uint(1, counter("rejected_too_long"), "rejected_too_long");
	l.p = "{}";
	l.len = l.full_len = 2;
	t_int(0, reject_aside(&rj, &l, "duplicate", "seen"), "reject_aside");
	t_uint(3, st.rejected, "a line set aside is not counted as rejected");
	t_uint(1, counter("rejected_duplicate"), "but under its code");
	t_stderr_begin();
	t_int(0, reject_close(&rj), "reject_close");
	free(t_stderr_end());
	got = t_read_file(path, &n);
	t_mem(S("{\"reject\":{\"tool\":\"fs-test\",\"code\":\"range.x\",\"message\":\"x out of range\"},"
	    "\"line\":\"{\\\"bad\\\":1}\"}\n"
	    "{\"reject\":{\"tool\":\"fs-test\",\"code\":\"too_long\",\"message\":\"long\"},"
	    "\"line_base64\":\"//4=\",\"line_length\":500}\n"
	    "{\"reject\":{\"tool\":\"fs-test\",\"code\":\"raw\",\"message\":\"from no reader\"},\"line\":\"raw\"}\n"
	    "{\"reject\":{\"tool\":\"fs-test\",\"code\":\"duplicate\",\"message\":\"seen\"},\"line\":\"{}\"}\n"),
	    got, n, "the reject file holds the four records");
	free(got);

	t_stderr_begin();
	t_int(-1, open_rj(&rj, "/nonexistent/rejects.ndjson", 0),
	    "reject_open of a file that cannot be made fails");
	got = t_stderr_end();
	t_contains(got, "cannot open '/nonexistent/rejects.ndjson'", "and says so");
	free(got);
}

static void
test_to_stderr(void)
{
	struct rejects rj;
	struct line l;
	char *err;
	int i, lines = 0;

	memset(&l, 0, sizeof l);
	l.p = "x";
	l.len = l.full_len = 1;
	l.file = "in.ndjson";
	open_rj(&rj, NULL, 0);
	t_stderr_begin();
	for (i = 0; i < 25; i++) {
		l.lineno = (uint64_t)i + 1;
		reject_line(&rj, &l, "parse", "not JSON");
	}
	reject_close(&rj);
	err = t_stderr_end();
	for (i = 0; err[i] != '\0'; i++)
		lines += err[i] == '\n';
	t_uint(25, rj.count, "without a file, rejects are counted");
	t_int(REJECT_WARN_MAX + 1, lines, "without a file, the first %d are reported, then the count",
	    REJECT_WARN_MAX);
	t_contains(err, "rejected 'in.ndjson' line 1: parse: not JSON", "a report names the file, line, code, message");
	t_contains(err, "'in.ndjson' line 10:", "the tenth is reported");
	t_ok(strstr(err, "'in.ndjson' line 11:") == NULL, "the eleventh is not");
	t_contains(err, "25 records rejected", "the count is given at the end");
	free(err);

	open_rj(&rj, NULL, 1);
	t_stderr_begin();
	reject_line(&rj, &l, "parse", "not JSON");
	reject_close(&rj);
	err = t_stderr_end();
	t_str("", err, "quiet: nothing on stderr");
	t_uint(1, rj.count, "quiet: still counted");
	free(err);
}

int
main(void)
{
	test_format();
	test_to_file();
	test_to_stderr();
	return t_done();
}
