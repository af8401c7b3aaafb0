/* Tests of lib/stats: counters, the summary line and the Prometheus metrics file. */
#include <yajl/yajl_tree.h>

#include "stats.h"
#include "t.h"

/* number returns the numeric field key of the JSON object text, or -1 when it is not there. */
static double
number(yajl_val v, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val f = yajl_tree_get(v, path, yajl_t_number);

	return f != NULL ? YAJL_GET_DOUBLE(f) : -1;
}

static void
test_summary(void)
{
	struct cli c;
	struct stats s;
	uint64_t *jump, *again;
	char *err, e[256], *nl;
	const char *fpath[] = { "final", NULL }, *tpath[] = { "tool", NULL };
	yajl_val v;

	cli_init(&c, "fs-test", "fs-test", CLI_IN | CLI_OUT | CLI_REJECT);
	c.stats = 1;
	stats_init(&s, "fs-test", &c);
	s.in = 10;
	s.out = 7;
	s.rejected = 2;
	s.dropped = 1;
	s.duplicates = 3;
	jump = stats_counter(&s, "fault_jump");
	again = stats_counter(&s, "fault_jump");
	t_ok(jump == again, "stats_counter returns the same counter for the same name");
	*jump = 18;
	(*stats_counter(&s, "fault_dup"))++;
	t_stderr_begin();
	t_int(0, stats_final(&s), "stats_final with --stats");
	err = t_stderr_end();
	nl = strchr(err, '\n');
	t_ok(nl != NULL && nl[1] == '\0', "--stats: the summary is one line");
	if (nl != NULL)
		*nl = '\0';
	v = yajl_tree_parse(err, e, sizeof e);
	if (t_ok(v != NULL && YAJL_IS_OBJECT(v), "--stats: the summary is a JSON object")) {
		yajl_val tool = yajl_tree_get(v, tpath, yajl_t_string);

		t_str("fs-test", tool ? YAJL_GET_STRING(tool) : NULL, "summary: tool");
		t_ok(YAJL_IS_TRUE(yajl_tree_get(v, fpath, yajl_t_any)), "summary: final is true");
		t_near(10, number(v, "in"), 0, "summary: in");
		t_near(7, number(v, "out"), 0, "summary: out");
		t_near(2, number(v, "rejected"), 0, "summary: rejected");
		t_near(1, number(v, "dropped"), 0, "summary: dropped");
		t_near(3, number(v, "duplicates"), 0, "summary: duplicates");
		t_near(18, number(v, "fault_jump"), 0, "summary: a program's counter");
		t_near(1, number(v, "fault_dup"), 0, "summary: another program counter");
		t_ok(number(v, "elapsed_s") >= 0, "summary: elapsed_s");
		t_ok(number(v, "rate") >= 0, "summary: rate");
	} else
		t_diag("%s: %s", e, err);
	yajl_tree_free(v);
	free(err);

	/* Without --stats, one line says what was left out of the output. */
	c.stats = 0;
	t_stderr_begin();
	t_int(0, stats_final(&s), "stats_final without --stats");
	err = t_stderr_end();
	t_str("fs-test: 4 of 10 records left out: 3 duplicates, 1 dropped\n", err,
	    "without --stats, records left out are still counted aloud");
	free(err);

	/* With -q, or when nothing was left out, nothing is printed. */
	c.verbose = -1;
	t_stderr_begin();
	stats_final(&s);
	err = t_stderr_end();
	t_str("", err, "-q keeps stats_final quiet");
	free(err);
	c.verbose = 0;
	s.duplicates = s.dropped = 0;
	t_stderr_begin();
	stats_final(&s);
	err = t_stderr_end();
	t_str("", err, "nothing left out: nothing printed");
	free(err);
}

static void
test_metrics(void)
{
	struct cli c;
	struct stats s;
	const char *path = t_path("metrics.prom");
	char *got, *err, tmp[512];

	cli_init(&c, "fs-test", "fs-test", CLI_IN | CLI_OUT | CLI_REJECT);
	c.metrics_file = path;
	stats_init(&s, "fs-test", &c);
	s.in = 5;
	s.out = 4;
	s.rejected = 1;
	*stats_counter(&s, "fault_jump") = 2;
	t_int(0, stats_final(&s), "stats_final writes the metrics file");
	got = t_read_file(path, NULL);
	t_str("# TYPE flightstream_records_in_total counter\n"
	    "flightstream_records_in_total{tool=\"fs-test\"} 5\n"
	    "# TYPE flightstream_records_out_total counter\n"
	    "flightstream_records_out_total{tool=\"fs-test\"} 4\n"
	    "# TYPE flightstream_records_rejected_total counter\n"
	    "flightstream_records_rejected_total{tool=\"fs-test\"} 1\n"
	    "# TYPE flightstream_records_dropped_total counter\n"
	    "flightstream_records_dropped_total{tool=\"fs-test\"} 0\n"
	    "# TYPE flightstream_records_duplicate_total counter\n"
	    "flightstream_records_duplicate_total{tool=\"fs-test\"} 0\n"
	    "# TYPE flightstream_fault_jump_total counter\n"
	    "flightstream_fault_jump_total{tool=\"fs-test\"} 2\n",
	    got, "the metrics file in Prometheus text format");
	free(got);
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	t_ok(access(tmp, F_OK) != 0, "no temporary file is left beside the metrics file");

	c.metrics_file = "/nonexistent/metrics.prom";
	t_stderr_begin();
	t_int(-1, stats_final(&s), "stats_final fails when the metrics file cannot be written");
	err = t_stderr_end();
	t_contains(err, "cannot write metrics to '/nonexistent/metrics.prom", "and says where");
	free(err);
}

static void
too_many(void *arg)
{
	struct cli c;
	struct stats s;
	static char names[STATS_MAX_EXTRA + 1][16];
	int i;

	cli_init(&c, "fs-test", "fs-test", CLI_IN | CLI_OUT | CLI_REJECT);
	stats_init(&s, "fs-test", &c);
	for (i = 0; i <= STATS_MAX_EXTRA; i++) {
		snprintf(names[i], sizeof names[i], "c%d", i);
		stats_counter(&s, names[i]);
	}
}

static void
test_limits(void)
{
	char *err;
	int st = t_child(too_many, NULL, NULL, &err);

	t_int(1, st, "more than %d counters is a failure", STATS_MAX_EXTRA);
	t_contains(err, "too many counters", "and says so");
	free(err);
}

int
main(void)
{
	test_summary();
	test_metrics();
	test_limits();
	return t_done();
}
