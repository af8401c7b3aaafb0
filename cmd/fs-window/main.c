/*
 * fs-window: aggregate position records into event-time windows per
 * key, closed by a watermark, with late records kept and counted.
 * See fs-window(1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "json.h"
#include "ndjson.h"
#include "reject.h"
#include "stats.h"
#include "ts.h"
#include "window.h"

enum {
	OPT_BY = OPT_PROGRAM,
	OPT_HOP,
	OPT_IDLE,
	OPT_LATE,
	OPT_LATENESS,
	OPT_MAX_KEYS,
	OPT_SESSION_GAP,
	OPT_SIZE,
};

static const struct option longopts[] = {
	{ "by", required_argument, NULL, OPT_BY },
	{ "hop", required_argument, NULL, OPT_HOP },
	{ "idle", required_argument, NULL, OPT_IDLE },
	{ "late", required_argument, NULL, OPT_LATE },
	{ "lateness", required_argument, NULL, OPT_LATENESS },
	{ "max-keys", required_argument, NULL, OPT_MAX_KEYS },
	{ "session-gap", required_argument, NULL, OPT_SESSION_GAP },
	{ "size", required_argument, NULL, OPT_SIZE },
	CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* The reject codes of fs-window and their counters (stats keeps the name pointers). */
static const struct {
	const char *code, *counter;
} reject_codes[] = {
	{ "too_long", "rejected_too_long" },
	{ "encoding", "rejected_encoding" },
	{ "parse", "rejected_parse" },
	{ "not_object", "rejected_not_object" },
	{ "missing.timestamp", "rejected_missing_timestamp" },
	{ "type.timestamp", "rejected_type_timestamp" },
	{ "format.timestamp", "rejected_format_timestamp" },
};

#define NCODES (sizeof reject_codes / sizeof reject_codes[0])

/* Everything the loop needs, in one place for the idle hook and the helpers. */
struct run {
	struct window_opts o;
	struct cli c;
	struct stats st;
	struct rejects rj;
	struct rejects late_rj;		/* with --late */
	struct rejects *late_to;	/* &late_rj, or &rj without --late */
	struct ndjson_writer out;
	struct wstate *ws;
	struct fieldmap fm;
	struct buf key;
	int failed;			/* output could not be written */
	int64_t last_input;		/* monotonic clock at the last line (with --idle) */
	int64_t wm_input;		/* the watermark after the last record */
	uint64_t *code_count[NCODES];
	uint64_t *windowed, *late, *late_partial, *key_missing;
	uint64_t *windows, *early, *evicted;
};

/* parse_by reads one --by: "*", or field names joined by commas. */
static void
parse_by(struct window_opts *o, const char *spec)
{
	struct grouping *g;
	const char *s = spec;
	size_t n;
	int i;

	if (o->ngroups == MAX_GROUPINGS)
		fs_errx(EXIT_USAGE, "invalid by '%s': more than %d groupings", spec, MAX_GROUPINGS);
	for (i = 0; i < o->ngroups; i++)
		if (strcmp(o->g[i].spec, spec) == 0)
			fs_errx(EXIT_USAGE, "invalid by '%s': given twice", spec);
	g = &o->g[o->ngroups++];
	g->spec = spec;
	if (strcmp(spec, "*") == 0) {
		g->star = 1;
		return;
	}
	for (;;) {
		n = strcspn(s, ",");
		if (n == 0)
			fs_errx(EXIT_USAGE, "invalid by '%s': empty field name", spec);
		if (memchr(s, '*', n) != NULL && n == 1)
			fs_errx(EXIT_USAGE, "invalid by '%s': '*' goes alone", spec);
		if (g->nfields == MAX_KEY_FIELDS)
			fs_errx(EXIT_USAGE, "invalid by '%s': more than %d fields", spec,
			    MAX_KEY_FIELDS);
		g->f[g->nfields].name = xmalloc(n + 1);
		memcpy(g->f[g->nfields].name, s, n);
		g->f[g->nfields].name[n] = '\0';
		g->f[g->nfields].len = n;
		for (i = 0; i < g->nfields; i++)
			if (strcmp(g->f[i].name, g->f[g->nfields].name) == 0)
				fs_errx(EXIT_USAGE, "invalid by '%s': '%s' twice", spec,
				    g->f[i].name);
		g->nfields++;
		if (s[n] == '\0')
			break;
		s += n + 1;
	}
	g->plain = g->nfields == 1 && strcmp(g->f[0].name, "icao24") == 0;
}

static void
parse_options(struct run *R, int *argcp, char ***argvp)
{
	struct window_opts *o = &R->o;
	int ch, argc = *argcp, size = 0;
	char **argv = *argvp;

	o->size_ms = 10 * 60 * 1000;
	o->lateness_ms = 5 * 60 * 1000;
	o->max_keys = 100000;

	cli_init(&R->c, "fs-window", WINDOW_USAGE);
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_BY:
			parse_by(o, optarg);
			break;
		case OPT_HOP:
			o->hop_ms = cli_duration(optarg, "hop");
			if (o->hop_ms <= 0)
				fs_errx(EXIT_USAGE, "invalid hop '%s': not above 0", optarg);
			break;
		case OPT_IDLE:
			o->idle_ms = cli_duration(optarg, "idle");
			if (o->idle_ms > 0 && o->idle_ms < 100)
				fs_errx(EXIT_USAGE, "invalid idle '%s': below 100ms", optarg);
			break;
		case OPT_LATE:
			if (strcmp(optarg, "-") == 0)
				fs_errx(EXIT_USAGE, "invalid late '-': late records cannot share "
				    "standard output with the windows");
			o->late_path = optarg;
			break;
		case OPT_LATENESS:
			o->lateness_ms = cli_duration(optarg, "lateness");
			break;
		case OPT_MAX_KEYS:
			o->max_keys = (size_t)cli_num(optarg, 1, 100000000, "max-keys");
			break;
		case OPT_SESSION_GAP:
			o->gap_ms = cli_duration(optarg, "session-gap");
			if (o->gap_ms <= 0)
				fs_errx(EXIT_USAGE, "invalid session-gap '%s': not above 0", optarg);
			break;
		case OPT_SIZE:
			o->size_ms = cli_duration(optarg, "size");
			if (o->size_ms <= 0)
				fs_errx(EXIT_USAGE, "invalid size '%s': not above 0", optarg);
			size = 1;
			break;
		default:
			if (!cli_option(&R->c, ch, optarg))
				cli_usage(&R->c);
		}
	}
	if (o->gap_ms > 0 && (size || o->hop_ms > 0))
		fs_errx(EXIT_USAGE, "--session-gap goes with neither --size nor --hop");
	if (o->hop_ms == 0)
		o->hop_ms = o->size_ms;
	if (o->hop_ms > o->size_ms)
		fs_errx(EXIT_USAGE, "invalid hop: longer than the size, it would leave records "
		    "out of every window");
	if (o->size_ms / o->hop_ms > 1000)
		fs_errx(EXIT_USAGE, "invalid hop: more than 1000 windows per record");
	if (o->ngroups == 0)
		parse_by(o, "*");
	*argcp = argc - optind;
	*argvp = argv + optind;
}

static int
reject(struct run *R, const struct ndjson_line *l, const char *code, const char *msg)
{
	size_t i;

	R->st.rejected++;
	for (i = 0; i < NCODES; i++)
		if (strcmp(reject_codes[i].code, code) == 0) {
			/* Made on first use, so that the summary lists the codes that occurred. */
			if (R->code_count[i] == NULL)
				R->code_count[i] = stats_counter(&R->st, reject_codes[i].counter);
			(*R->code_count[i])++;
		}
	return reject_line(&R->rj, l, code, msg);
}

/* encoding replaces a parse error by "encoding" when the line is not UTF-8 text. */
static void
encoding(const char *p, size_t n, const char **code, char *msg, size_t msgsz)
{
	const char *nul = memchr(p, '\0', n);
	long bad = utf8_check(p, n);

	if (nul != NULL && (bad < 0 || nul - p <= bad)) {
		*code = "encoding";
		snprintf(msg, msgsz, "NUL byte at byte %ld", (long)(nul - p) + 1);
	} else if (bad >= 0) {
		*code = "encoding";
		snprintf(msg, msgsz, "invalid UTF-8 at byte %ld", bad + 1);
	}
}

/*
 * The input and the output, each in one place, so that a Kafka consumer
 * and producer can take the place of the files and stdout.
 */
static int
read_input(struct run *R, struct ndjson_reader *r, struct ndjson_line *l)
{
	int rc = ndjson_read(r, l);

	if (rc > 0 && R->o.idle_ms > 0)
		R->last_input = ts_mono_ms();
	return rc;
}

static int
write_output(void *arg, const char *rec, size_t len)
{
	struct run *R = arg;

	if (ndjson_write(&R->out, rec, len) != 0)
		return -1;
	R->st.out++;
	return 0;
}

static void
sync_counts(struct run *R)
{
	struct wcounts c;

	state_counts(R->ws, &c);
	*R->windows = c.windows;
	*R->early = c.early;
	*R->evicted = c.evicted;
}

/*
 * on_idle runs while input is quiet (a pipe, never a regular file):
 * with --idle, once no input has come for that long, the watermark
 * moves on by the time that passed since the last record, so windows
 * close on a quiet stream. Then everything is flushed.
 */
static void
on_idle(void *arg)
{
	struct run *R = arg;
	int64_t quiet;

	if (R->o.idle_ms > 0 && R->wm_input != INT64_MIN && !R->failed) {
		quiet = ts_mono_ms() - R->last_input;
		if (quiet >= R->o.idle_ms && state_advance(R->ws, R->wm_input + quiet) != 0)
			R->failed = 1;
		sync_counts(R);
	}
	ndjson_flush(&R->out);
	reject_flush(&R->rj);
	reject_flush(&R->late_rj);
	stats_poll(&R->st);
}

/* late_record keeps a record that came after its windows closed, with the reason. */
static int
late_record(struct run *R, const struct ndjson_line *l, int64_t start, int64_t end)
{
	char a[TS_BUFSZ], b[TS_BUFSZ], w[TS_BUFSZ], msg[160];

	ts_format(start, a);
	ts_format(end, b);
	ts_format(state_watermark(R->ws), w);
	snprintf(msg, sizeof msg, "%s %s to %s closed before it came: watermark %s",
	    R->o.gap_ms > 0 ? "session" : "window", a, b, w);
	(*R->late)++;
	/*
	 * Without --late they go with the rejects, reported as rejects are
	 * (the first few on stderr when there is no --reject FILE), but
	 * counted as late, not rejected.
	 */
	if (R->late_to == &R->rj && !R->rj.to_file) {
		if (R->c.verbose >= 0 && *R->late <= REJECT_WARN_MAX)
			fs_warnx("late record '%s' line %llu: %s", l->file,
			    (unsigned long long)l->lineno, msg);
		return 0;
	}
	return reject_line(R->late_to, l, "late", msg);
}

/* process handles one line; -1 when output, rejects or late records could not be written. */
static int
process(struct run *R, struct event *ev, const struct ndjson_line *l)
{
	const struct window_opts *o = &R->o;
	struct recvals rv;
	const char *code;
	char msg[256];
	int64_t ls = 0, le = 0, t;
	int g, rc, grouped = 0, late = 0, partial = 0;

	if (l->flags & NDJSON_TOO_LONG) {
		snprintf(msg, sizeof msg, "line of %zu bytes is longer than %zu",
		    l->full_len, R->c.max_line);
		return reject(R, l, "too_long", msg);
	}
	if (event_parse(ev, l->p, l->len, &code, msg, sizeof msg) != 0) {
		encoding(l->p, l->len, &code, msg, sizeof msg);
		return reject(R, l, code, msg);
	}
	if (record_time(ev, &t, &code, msg, sizeof msg) != 0)
		return reject(R, l, code, msg);
	record_values(ev, &R->fm, &rv);
	rv.t = t;
	for (g = 0; g < o->ngroups; g++) {
		if (record_key(ev, &R->fm, &o->g[g], &R->key) != 0) {
			(*R->key_missing)++;
			continue;
		}
		grouped++;
		rc = state_add(R->ws, g, R->key.p, R->key.len, &rv, &ls, &le);
		if (rc < 0)
			return -1;
		late += rc == 2;
		partial |= rc == 1;
	}
	if (grouped == 0)
		R->st.dropped++;	/* in no grouping: it lacks every --by field */
	else if (late == grouped) {
		if (late_record(R, l, ls, le) != 0)
			return -1;
	} else {
		(*R->windowed)++;
		if (late > 0 || partial)
			(*R->late_partial)++;
	}
	if (t - o->lateness_ms > state_watermark(R->ws) && state_advance(R->ws, t - o->lateness_ms) != 0)
		return -1;
	R->wm_input = state_watermark(R->ws);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct run R;
	struct ndjson_reader *r;
	struct ndjson_line l;
	struct event ev;
	size_t i;
	int rc, errors, g;

	parse_options(&R, &argc, &argv);

	if (reject_open(&R.rj, "fs-window", R.c.reject, R.c.verbose < 0) != 0)
		return EXIT_FAIL;
	R.late_to = &R.rj;
	if (R.o.late_path != NULL) {
		if (reject_open(&R.late_rj, "fs-window", R.o.late_path, R.c.verbose < 0) != 0)
			return EXIT_FAIL;
		R.late_to = &R.late_rj;
	}
	ndjson_writer_init(&R.out, 1, "stdout");
	stats_init(&R.st, "fs-window", &R.c);
	stats_output(&R.st, &R.out);
	R.windowed = stats_counter(&R.st, "windowed");
	R.late = stats_counter(&R.st, "late");
	R.late_partial = stats_counter(&R.st, "late_partial");
	R.key_missing = stats_counter(&R.st, "key_missing");
	R.windows = stats_counter(&R.st, "windows_emitted");
	R.early = stats_counter(&R.st, "windows_early");
	R.evicted = stats_counter(&R.st, "keys_evicted");
	fieldmap_init(&R.fm, &R.o);
	R.ws = state_new(&R.o, write_output, &R);
	R.wm_input = INT64_MIN;
	event_init(&ev);

	/* No UTF-8 scan in the reader: see encoding(). */
	r = ndjson_open(argv, argc, R.c.max_line, 0);
	ndjson_set_idle(r, on_idle, &R);
	stats_reader(&R.st, r);
	while (!cli_stop && !R.failed && (rc = read_input(&R, r, &l)) != 0) {
		if (rc < 0)
			continue;	/* interrupted: the loop looks at cli_stop */
		if (ndjson_blank(&l))
			continue;
		R.st.in++;
		if (process(&R, &ev, &l) != 0) {
			R.failed = 1;
			break;
		}
		sync_counts(&R);
		stats_tick_inline(&R.st);
	}
	errors = ndjson_errors(r);
	ndjson_close(r);

	/* End of input, or a stop signal: every open window is written, as it stands. */
	if (!R.failed && state_flush(R.ws) != 0)
		R.failed = 1;
	sync_counts(&R);

	rc = R.failed ? EXIT_FAIL : EXIT_OK;
	if (ndjson_writer_close(&R.out) != 0 || reject_close(&R.rj) != 0)
		rc = EXIT_FAIL;
	if (R.o.late_path != NULL && reject_close(&R.late_rj) != 0)
		rc = EXIT_FAIL;
	if (!R.c.stats && R.c.verbose >= 0 && *R.late > 0) {
		/* Late records are never left out silently. */
		if (R.o.late_path != NULL)
			fs_warnx("%llu late record%s kept in '%s'", (unsigned long long)*R.late,
			    *R.late == 1 ? "" : "s", R.o.late_path);
		else if (R.c.reject != NULL)
			fs_warnx("%llu late record%s kept with the rejects in '%s'",
			    (unsigned long long)*R.late, *R.late == 1 ? "" : "s", R.c.reject);
		else
			fs_warnx("%llu late record%s (keep them with --late FILE)",
			    (unsigned long long)*R.late, *R.late == 1 ? "" : "s");
	}
	if (stats_final(&R.st) != 0 || errors > 0)
		rc = EXIT_FAIL;
	state_free(R.ws);
	event_free(&ev);
	buf_free(&R.key);
	for (g = 0; g < R.o.ngroups; g++)
		for (i = 0; i < (size_t)R.o.g[g].nfields; i++)
			free(R.o.g[g].f[i].name);
	return rc;
}
