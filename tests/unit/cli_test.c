/*
 * Tests of lib/cli: number parsing, the common options, messages and
 * signals. What exits (usage errors, -h, -V) runs in a child process so
 * that its status and messages can be checked.
 */
#include <signal.h>

#include "cli.h"
#include "t.h"

enum kind { NUM, DOUBLE, DURATION, SIZE };

struct call {
	enum kind kind;
	const char *s;
	double min, max;
	const char *name;
	double want;		/* the value when it is good */
	const char *err;	/* NULL: good; else the message, after "fs-test: " */
};

static const struct call calls[] = {
	{ NUM, "42", 0, 100, "aircraft", 42, NULL },
	{ NUM, "0", 0, 0, "n", 0, NULL },
	{ NUM, "-5", -10, 10, "n", -5, NULL },
	{ NUM, "100", 0, 100, "n", 100, NULL },
	{ NUM, "abc", 0, 100, "aircraft", 0, "invalid aircraft 'abc': not an integer" },
	{ NUM, "", 0, 100, "aircraft", 0, "invalid aircraft '': not an integer" },
	{ NUM, "12x", 0, 100, "aircraft", 0, "invalid aircraft '12x': not an integer" },
	{ NUM, "1.5", 0, 100, "aircraft", 0, "invalid aircraft '1.5': not an integer" },
	{ NUM, "101", 0, 100, "aircraft", 0, "invalid aircraft '101': above 100" },
	{ NUM, "-1", 0, 100, "aircraft", 0, "invalid aircraft '-1': below 0" },
	{ NUM, "99999999999999999999", 0, 100, "aircraft", 0,
	    "invalid aircraft '99999999999999999999': above 100" },
	{ NUM, "-99999999999999999999", 0, 100, "aircraft", 0,
	    "invalid aircraft '-99999999999999999999': below 0" },
	{ DOUBLE, "1.5", 0, 10, "speed", 1.5, NULL },
	{ DOUBLE, "1e-6", 1e-6, 1e6, "speed", 1e-6, NULL },
	{ DOUBLE, "abc", 0, 10, "speed", 0, "invalid speed 'abc': not a number" },
	{ DOUBLE, "", 0, 10, "speed", 0, "invalid speed '': not a number" },
	{ DOUBLE, "nan", 0, 10, "speed", 0, "invalid speed 'nan': not a number" },
	{ DOUBLE, "2x", 0, 10, "speed", 0, "invalid speed '2x': not a number" },
	{ DOUBLE, "11", 0, 10, "speed", 0, "invalid speed '11': above 10" },
	{ DOUBLE, "-0.5", 0, 10, "speed", 0, "invalid speed '-0.5': below 0" },
	{ DOUBLE, "inf", 0, 1e6, "speed", 0, "invalid speed 'inf': not a number" },
	{ DOUBLE, "1e999", 0, 1e6, "speed", 0, "invalid speed '1e999': above 1e+06" },
	{ DURATION, "10m", 0, 0, "duration", 600000, NULL },
	{ DURATION, "500ms", 0, 0, "duration", 500, NULL },
	{ DURATION, "1.5", 0, 0, "duration", 1500, NULL },
	{ DURATION, "bad", 0, 0, "duration", 0,
	    "invalid duration 'bad': not a duration like 500ms, 90s, 10m, 2h or 1d" },
	{ DURATION, "-1s", 0, 0, "interval", 0,
	    "invalid interval '-1s': not a duration like 500ms, 90s, 10m, 2h or 1d" },
	{ DURATION, "", 0, 0, "duration", 0,
	    "invalid duration '': not a duration like 500ms, 90s, 10m, 2h or 1d" },
	{ SIZE, "1024", 0, 0, "max-line", 1024, NULL },
	{ SIZE, "64K", 0, 0, "max-line", 65536, NULL },
	{ SIZE, "64k", 0, 0, "max-line", 65536, NULL },
	{ SIZE, "1M", 0, 0, "max-line", 1048576, NULL },
	{ SIZE, "2g", 0, 0, "max-line", 2147483648.0, NULL },
	{ SIZE, "16G", 0, 0, "max-line", 17179869184.0, NULL },
	{ SIZE, "0", 0, 0, "max-line", 0, NULL },
	{ SIZE, "17G", 0, 0, "max-line", 0, "invalid max-line '17G': above 16G" },
	{ SIZE, "99999999999", 0, 0, "max-line", 0, "invalid max-line '99999999999': above 16G" },
	{ SIZE, "-1", 0, 0, "max-line", 0, "invalid max-line '-1': not a size" },
	{ SIZE, "", 0, 0, "max-line", 0, "invalid max-line '': not a size" },
	{ SIZE, "K", 0, 0, "max-line", 0, "invalid max-line 'K': not a size" },
	{ SIZE, "1T", 0, 0, "max-line", 0, "invalid max-line '1T': not a size like 1024, 64K or 1M" },
	{ SIZE, "1.5M", 0, 0, "max-line", 0, "invalid max-line '1.5M': not a size like 1024, 64K or 1M" },
	{ SIZE, "1KB", 0, 0, "max-line", 0, "invalid max-line '1KB': not a size like 1024, 64K or 1M" },
};

static double
call(const struct call *c)
{
	switch (c->kind) {
	case NUM:
		return (double)cli_num(c->s, (long long)c->min, (long long)c->max, c->name);
	case DOUBLE:
		return cli_double(c->s, c->min, c->max, c->name);
	case DURATION:
		return (double)cli_duration(c->s, c->name);
	case SIZE:
		return (double)cli_size(c->s, c->name);
	}
	return 0;
}

static void
call_child(void *arg)
{
	call(arg);
}

static const char *const kinds[] = { "cli_num", "cli_double", "cli_duration", "cli_size" };

static void
test_numbers(void)
{
	size_t i;
	char *err, want[256];
	int st;

	for (i = 0; i < N(calls); i++) {
		const struct call *c = &calls[i];

		if (c->err == NULL) {
			t_near(c->want, call(c), 0, "%s(\"%s\") is %g", kinds[c->kind], c->s, c->want);
			continue;
		}
		st = t_child(call_child, (void *)c, NULL, &err);
		t_int(EXIT_USAGE, st, "%s(\"%s\") exits 2", kinds[c->kind], c->s);
		snprintf(want, sizeof want, "fs-test: %s\n", c->err);
		t_str(want, err, "%s(\"%s\") says why", kinds[c->kind], c->s);
		free(err);
	}
}

static struct cli cl;

struct opt {
	int ch;
	const char *arg;
};

static void
option_child(void *arg)
{
	const struct opt *o = arg;

	cli_option(&cl, o->ch, o->arg);
}

static void
usage_child(void *arg)
{
	cli_usage(&cl);
}

static void
test_options(void)
{
	static const struct {
		struct opt o;
		int status;
		const char *out, *err;
	} exits[] = {
		{ { 'h', NULL }, 0, "usage: fs-test [-qv] [file ...]\n", "" },
		{ { 'V', NULL }, 0, "fs-test " FS_VERSION "\n", "" },
		{ { '?', NULL }, 2, "", "usage: fs-test [-qv] [file ...]\n" },
		{ { ':', NULL }, 2, "", "usage: fs-test [-qv] [file ...]\n" },
		{ { OPT_STATS, "0" }, 2, "", "fs-test: invalid stats interval '0': below 0.001\n" },
		{ { OPT_STATS, "x" }, 2, "", "fs-test: invalid stats interval 'x': not a duration like 500ms, 90s, 10m, 2h or 1d\n" },
		{ { OPT_STATS, "2d" }, 2, "", "fs-test: invalid stats interval '2d': not between 1ms and 1d\n" },
		{ { 'X', "nothing" }, 2, "", "fs-test: invalid property 'nothing': not name=value\n" },
		{ { OPT_MAX_LINE, "8" }, 2, "", "fs-test: invalid max-line '8': below 16 bytes\n" },
		{ { OPT_MAX_LINE, "lots" }, 2, "", "fs-test: invalid max-line 'lots': not a size\n" },
	};
	size_t i;
	char *out, *err;
	int st;

	cli_init(&cl, "fs-test", "fs-test [-qv] [file ...]", CLI_IN | CLI_OUT | CLI_REJECT);
	t_str("fs-test", progname, "cli_init sets progname");
	t_int(1024 * 1024, (int64_t)cl.max_line, "cli_init: max_line defaults to 1 MiB");
	t_int(0, cl.verbose, "cli_init: verbose 0");
	t_int(0, cl.stats, "cli_init: no stats");
	t_ok(cl.reject == NULL && cl.metrics_file == NULL, "cli_init: no reject or metrics file");

	t_int(1, cli_option(&cl, 'q', NULL), "-q is a common option");
	t_int(-1, cl.verbose, "-q: verbose -1");
	t_int(1, cli_option(&cl, 'v', NULL), "-v is a common option");
	t_int(1, cl.verbose, "-v after -q: verbose 1");
	t_int(1, cl.io.kafka.say_waits, "-v: a consumer says why no records come");
	cli_option(&cl, 'v', NULL);
	t_int(2, cl.verbose, "-v twice: verbose 2");
	t_int(1, cli_option(&cl, OPT_STATS, NULL), "--stats is a common option");
	t_ok(cl.stats == 1 && cl.stats_ms == 10000, "--stats: every 10 s");
	cli_option(&cl, OPT_STATS, "2.5");
	t_int(2500, cl.stats_ms, "--stats=2.5: every 2500 ms");
	cli_option(&cl, OPT_STATS, "500ms");
	t_int(500, cl.stats_ms, "--stats=500ms: a duration");
	cli_option(&cl, OPT_FROM, "kafka:a,b");
	t_str("kafka:a,b", cl.io.from, "--from fills the plain options");
	cli_option(&cl, 'X', "acks=all");
	t_ok(cl.io.kafka.nprops == 1 && strcmp(cl.io.kafka.props[0], "acks=all") == 0,
	    "-X is kept as given, checked when a topic opens");
	cli_option(&cl, 'G', "g");
	t_str("g", cl.io.kafka.group, "-G");
	cli_option(&cl, OPT_METRICS_FILE, "m.prom");
	t_str("m.prom", cl.metrics_file, "--metrics-file");
	cli_option(&cl, OPT_REJECT, "r.ndjson");
	t_str("r.ndjson", cl.reject, "--reject");
	cli_option(&cl, OPT_MAX_LINE, "64K");
	t_int(65536, (int64_t)cl.max_line, "--max-line 64K");
	cli_option(&cl, OPT_MAX_LINE, "16");
	t_int(16, (int64_t)cl.max_line, "--max-line 16, the least");
	t_int(0, cli_option(&cl, 'x', NULL), "a program's own option is not a common one");
	t_int(0, cli_option(&cl, OPT_PROGRAM, "a"), "OPT_PROGRAM is not a common option");

	for (i = 0; i < N(exits); i++) {
		st = t_child(option_child, (void *)&exits[i].o, &out, &err);
		t_int(exits[i].status, st, "option %#x %s: exit status", exits[i].o.ch,
		    exits[i].o.arg ? exits[i].o.arg : "");
		t_str(exits[i].out, out, "option %#x %s: stdout", exits[i].o.ch,
		    exits[i].o.arg ? exits[i].o.arg : "");
		t_str(exits[i].err, err, "option %#x %s: stderr", exits[i].o.ch,
		    exits[i].o.arg ? exits[i].o.arg : "");
		free(out);
		free(err);
	}
	/* A sink: neither --to nor anything else it would not do. */
	cli_init(&cl, "fs-test", "fs-test [-qv] [file ...]", CLI_IN | CLI_REJECT);
	{
		static const struct opt to = { OPT_TO, "kafka:x" };

		st = t_child(option_child, (void *)&to, &out, &err);
		t_int(2, st, "--to for a program that writes no records: exit 2");
		t_str("fs-test: --to does not apply: fs-test writes no records\n", err, "and says why");
		free(out);
		free(err);
	}
	cli_init(&cl, "fs-test", "fs-test [-qv] [file ...]", CLI_OUT);
	{
		static const struct opt from = { OPT_FROM, "kafka:x" }, rej = { OPT_REJECT, "r" };

		st = t_child(option_child, (void *)&from, &out, &err);
		t_str("fs-test: --from does not apply: fs-test reads no records\n", err,
		    "--from for a program that reads no records: says why");
		t_int(2, st, "and exits 2");
		free(out);
		free(err);
		st = t_child(option_child, (void *)&rej, &out, &err);
		t_str("fs-test: --reject does not apply: fs-test rejects nothing\n", err,
		    "--reject for a program that rejects nothing: says why");
		free(out);
		free(err);
	}
	st = t_child(usage_child, NULL, &out, &err);
	t_int(2, st, "cli_usage exits 2");
	t_str("usage: fs-test [-qv] [file ...]\n", err, "cli_usage prints the usage on stderr");
	t_str("", out, "cli_usage prints nothing on stdout");
	free(out);
	free(err);
}

static void
errx_child(void *arg)
{
	fs_errx(3, "cannot do %s", "this");
}

static void
err_child(void *arg)
{
	errno = ENOENT;
	fs_err(1, "cannot open '%s'", "x.ndjson");
}

static void
warn_child(void *arg)
{
	errno = EACCES;
	fs_warn("cannot read '%s'", "y");
	fs_warnx("%d records rejected", 5);
}

static void
test_messages(void)
{
	char *err;
	int st;

	st = t_child(errx_child, NULL, NULL, &err);
	t_int(3, st, "fs_errx exits with its status");
	t_str("fs-test: cannot do this\n", err, "fs_errx: program name and message");
	free(err);
	st = t_child(err_child, NULL, NULL, &err);
	t_int(1, st, "fs_err exits with its status");
	t_str("fs-test: cannot open 'x.ndjson': No such file or directory\n", err,
	    "fs_err: program name, message and the errno text");
	free(err);
	st = t_child(warn_child, NULL, NULL, &err);
	t_int(0, st, "fs_warn and fs_warnx return");
	t_str("fs-test: cannot read 'y': Permission denied\nfs-test: 5 records rejected\n", err,
	    "fs_warn and fs_warnx messages");
	free(err);
}

/* cli_list: the items of a list joined by "|", each in brackets, so that empty ones show. */
static void
test_list(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "a", "[a]" },
		{ "a,bc,d", "[a]|[bc]|[d]" },
		{ "", "[]" },
		{ "a,", "[a]|[]" },
		{ ",a", "[]|[a]" },
		{ "a,,b", "[a]|[]|[b]" },
		{ ",", "[]|[]" },
	};
	char got[64];
	const char *s, *item;
	size_t i, n, len;

	for (i = 0; i < N(cases); i++) {
		s = cases[i].in;
		len = 0;
		got[0] = '\0';
		while (cli_list(&s, &item, &n))
			len += (size_t)snprintf(got + len, sizeof got - len, "%s[%.*s]",
			    len > 0 ? "|" : "", (int)n, item);
		t_str(cases[i].want, got, "cli_list(\"%s\")", cases[i].in);
		t_ok(!cli_list(&s, &item, &n), "cli_list(\"%s\") stays at the end", cases[i].in);
	}
}

static void
test_signals(void)
{
	struct sigaction sa;

	sig_stop = 0;
	raise(SIGTERM);
	t_int(1, sig_stop, "SIGTERM sets sig_stop and the program goes on");
	sig_stop = 0;
	raise(SIGINT);
	t_int(1, sig_stop, "SIGINT sets sig_stop");
	sig_stop = 0;
	sigaction(SIGPIPE, NULL, &sa);
	t_ok(sa.sa_handler == SIG_DFL, "SIGPIPE is left to end the program quietly");
	sigaction(SIGTERM, NULL, &sa);
	t_ok(!(sa.sa_flags & SA_RESTART), "SIGTERM interrupts reads (no SA_RESTART)");
}

int
main(void)
{
	progname = "fs-test";
	test_numbers();
	test_options();
	test_messages();
	test_list();
	test_signals();
	return t_done();
}
