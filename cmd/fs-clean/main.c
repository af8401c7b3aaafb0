/*
 * fs-clean: turn raw position records into clean, enriched ones, and
 * send what cannot be used to the reject stream with a reason.
 * See fs-clean(1).
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "clean.h"
#include "cli.h"
#include "json.h"
#include "io.h"
#include "loop.h"
#include "reject.h"
#include "stats.h"
#include "ts.h"

enum {
	OPT_DEDUP_WINDOW = OPT_PROGRAM,
	OPT_DEDUP_MAX,
	OPT_GRID,
	OPT_EXPIRE,
	OPT_JUMP_FACTOR,
	OPT_JUMP_FLOOR,
	OPT_JUMP_SLACK,
	OPT_MAX_AIRCRAFT,
	OPT_MAX_FUTURE,
	OPT_MAX_SPEED,
	OPT_NO_CLOCK_CHECK,
	OPT_PHASE_DWELL,
	OPT_PHASE_WINDOW,
	OPT_REANCHOR,
	OPT_REJECT_DUPLICATES,
	OPT_REQUIRE,
	OPT_SPIKE_RATE,
	OPT_SPIKE_SLACK,
	OPT_STUCK_DISTANCE,
};

static const struct option longopts[] = {
	{ "dedup-window", required_argument, NULL, OPT_DEDUP_WINDOW },
	{ "dedup-max", required_argument, NULL, OPT_DEDUP_MAX },
	{ "grid", required_argument, NULL, OPT_GRID },
	{ "expire", required_argument, NULL, OPT_EXPIRE },
	{ "jump-factor", required_argument, NULL, OPT_JUMP_FACTOR },
	{ "jump-floor", required_argument, NULL, OPT_JUMP_FLOOR },
	{ "jump-slack", required_argument, NULL, OPT_JUMP_SLACK },
	{ "max-aircraft", required_argument, NULL, OPT_MAX_AIRCRAFT },
	{ "max-future", required_argument, NULL, OPT_MAX_FUTURE },
	{ "max-speed", required_argument, NULL, OPT_MAX_SPEED },
	{ "no-clock-check", no_argument, NULL, OPT_NO_CLOCK_CHECK },
	{ "phase-dwell", required_argument, NULL, OPT_PHASE_DWELL },
	{ "phase-window", required_argument, NULL, OPT_PHASE_WINDOW },
	{ "reanchor", required_argument, NULL, OPT_REANCHOR },
	{ "reject-duplicates", no_argument, NULL, OPT_REJECT_DUPLICATES },
	{ "require", required_argument, NULL, OPT_REQUIRE },
	{ "spike-rate", required_argument, NULL, OPT_SPIKE_RATE },
	{ "spike-slack", required_argument, NULL, OPT_SPIKE_SLACK },
	{ "stuck-distance", required_argument, NULL, OPT_STUCK_DISTANCE },
	CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* Everything the loop needs, in one place for the idle hook and the helpers. */
struct run {
	struct clean_opts o;
	struct cli c;
	struct stats st;
	struct rejects rj;
	struct io_out out;
	struct track *tk;
	struct buf rec;
	uint64_t *flag_count[QF_COUNT];
	char flag_name[QF_COUNT][32];	/* their counters' names */
	uint64_t *expired, *evicted, *dedup_evicted;
	int64_t now;			/* the clock, as clock_ms last read it */
	unsigned clock_age;		/* records since */
};

#define CLOCK_EVERY 64

static unsigned
parse_require(const char *s)
{
	static const struct {
		const char *name;
		unsigned bit;
	} what[] = {
		{ "position", REQ_POSITION },
		{ "altitude", REQ_ALTITUDE },
		{ "velocity", REQ_VELOCITY },
	};
	unsigned bits = 0;
	const char *item;
	size_t i, n;

	while (cli_list(&s, &item, &n)) {
		for (i = 0; i < sizeof what / sizeof what[0]; i++)
			if (strlen(what[i].name) == n && strncmp(what[i].name, item, n) == 0)
				break;
		if (i == sizeof what / sizeof what[0])
			fs_errx(EXIT_USAGE, "invalid require '%.*s': not position, altitude "
			    "or velocity", (int)n, item);
		bits |= what[i].bit;
	}
	return bits;
}

static void
parse_options(struct run *R, int *argcp, char ***argvp)
{
	struct clean_opts *o = &R->o;
	int ch, argc = *argcp;
	char **argv = *argvp;

	o->dedup_window_ms = 10 * 60 * 1000;
	o->expire_ms = 30 * 60 * 1000;
	o->max_future_ms = 24 * 3600 * 1000;
	o->clock_check = 1;
	o->grid = 1.0;
	o->max_speed = 350;
	o->jump_factor = 4.0 / 3;
	o->jump_floor = 103;
	o->jump_slack = 500;
	o->spike_rate = 25;
	o->spike_slack = 90;
	o->stuck_distance = 200;
	o->reanchor_ms = 60 * 1000;
	o->phase_window_ms = 60 * 1000;
	o->phase_dwell_ms = 15 * 1000;
	o->max_aircraft = 100000;
	o->dedup_max = 2000000;

	cli_init(&R->c, "fs-clean", CLEAN_USAGE, CLI_IN | CLI_OUT | CLI_REJECT);
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_DEDUP_MAX:
			o->dedup_max = (size_t)cli_num(optarg, 1, 1000000000, "dedup-max");
			break;
		case OPT_DEDUP_WINDOW:
			o->dedup_window_ms = cli_duration(optarg, "dedup-window");
			break;
		case OPT_GRID:
			o->grid = cli_double(optarg, 1e-6, 180, "grid");
			break;
		case OPT_EXPIRE:
			o->expire_ms = cli_duration(optarg, "expire");
			if (o->expire_ms < 1000)
				fs_errx(EXIT_USAGE, "invalid expire '%s': below 1s", optarg);
			break;
		case OPT_JUMP_FACTOR:
			o->jump_factor = cli_double(optarg, 1, 100, "jump-factor");
			break;
		case OPT_JUMP_FLOOR:
			o->jump_floor = cli_double(optarg, 0, 1000, "jump-floor");
			break;
		case OPT_JUMP_SLACK:
			o->jump_slack = cli_double(optarg, 0, 1e7, "jump-slack");
			break;
		case OPT_MAX_AIRCRAFT:
			o->max_aircraft = (size_t)cli_num(optarg, 1, 1 << 24, "max-aircraft");
			break;
		case OPT_MAX_FUTURE:
			o->max_future_ms = cli_duration(optarg, "max-future");
			break;
		case OPT_MAX_SPEED:
			o->max_speed = cli_double(optarg, 1, 1000, "max-speed");
			break;
		case OPT_NO_CLOCK_CHECK:
			o->clock_check = 0;
			break;
		case OPT_PHASE_DWELL:
			o->phase_dwell_ms = cli_duration(optarg, "phase-dwell");
			break;
		case OPT_PHASE_WINDOW:
			o->phase_window_ms = cli_duration(optarg, "phase-window");
			break;
		case OPT_REANCHOR:
			o->reanchor_ms = cli_duration(optarg, "reanchor");
			break;
		case OPT_REJECT_DUPLICATES:
			o->reject_dups = 1;
			break;
		case OPT_REQUIRE:
			o->require |= parse_require(optarg);
			break;
		case OPT_SPIKE_RATE:
			o->spike_rate = cli_double(optarg, 0, 1000, "spike-rate");
			break;
		case OPT_SPIKE_SLACK:
			o->spike_slack = cli_double(optarg, 0, 1e6, "spike-slack");
			break;
		case OPT_STUCK_DISTANCE:
			o->stuck_distance = cli_double(optarg, 0, 1e7, "stuck-distance");
			break;
		default:
			if (!cli_option(&R->c, ch, optarg))
				cli_usage(&R->c);
		}
	}
	*argcp = argc - optind;
	*argvp = argv + optind;
}

static void
flush_all(void *arg)
{
	struct run *R = arg;

	io_flush(&R->out);
	reject_flush(&R->rj);
	stats_poll(&R->st);
	R->clock_age = CLOCK_EVERY;	/* about to wait: read the clock again after */
}

/*
 * clock returns the wall clock, read afresh every CLOCK_EVERY records
 * and after every wait for input, so that a busy stream does not pay
 * for a clock read per record and a quiet one is stamped on time.
 */
static int64_t
clock_ms(struct run *R)
{
	if (R->clock_age++ >= CLOCK_EVERY) {
		R->clock_age = 0;
		R->now = ts_now_ms();
	}
	return R->now;
}

/*
 * lone_surrogate returns the offset of a \uD800-\uDFFF escape that is
 * not half of a surrogate pair, or -1. JSON's grammar lets one through
 * and yajl reads it, but it is no character, and strict readers such
 * as jq refuse the whole record. p[0..n) parsed as JSON, so every
 * backslash starts an escape inside a string.
 */
static long
lone_surrogate(const char *p, size_t n)
{
	const char *q = memchr(p, '\\', n);
	size_t i;
	int c;

	for (i = q ? (size_t)(q - p) : n; i + 1 < n; i++) {
		if (p[i] != '\\')
			continue;
		if (p[i + 1] != 'u' || i + 6 > n) {
			i++;
			continue;
		}
		c = json_hex4(p + i + 2);
		if (c >= 0xd800 && c <= 0xdbff && i + 12 <= n && p[i + 6] == '\\' &&
		    p[i + 7] == 'u' && json_hex4(p + i + 8) >= 0xdc00 && json_hex4(p + i + 8) <= 0xdfff)
			i += 11;
		else if (c >= 0xd800 && c <= 0xdfff)
			return (long)i;
		else
			i += 5;
	}
	return -1;
}

/*
 * not_strict finds what yajl lets through but RFC 8259 does not, in a
 * line that parsed: a form feed or vertical tab as white space (yajl
 * refuses control characters in strings, so any is outside one), and a
 * lone surrogate escape. Strict readers, such as jq, refuse the whole
 * record, so fs-clean rejects it. Returns 0 or -1 with code and msg.
 */
static int
not_strict(const char *p, size_t n, const char **code, char *msg, size_t msgsz)
{
	const char *ff = memchr(p, '\f', n), *vt = memchr(p, '\v', n);
	long bad;

	if (ff != NULL || vt != NULL) {
		if (ff == NULL || (vt != NULL && vt < ff))
			ff = vt;
		*code = "parse";
		snprintf(msg, msgsz, "%s at byte %ld is not JSON white space",
		    *ff == '\f' ? "form feed" : "vertical tab", (long)(ff - p) + 1);
		return -1;
	}
	if ((bad = lone_surrogate(p, n)) >= 0) {
		*code = "encoding";
		snprintf(msg, msgsz, "lone surrogate %.6s at byte %ld", p + bad, bad + 1);
		return -1;
	}
	return 0;
}

/* process handles one record; -1 when output or rejects could not be written. */
static int
process(void *arg, const struct line *l, struct event *ev)
{
	struct run *R = arg;
	struct rec r;
	struct kin k;
	struct track_counts tc;
	const char *code;
	char msg[256];
	int64_t now;
	size_t start, end;
	int i, rc;

	now = clock_ms(R);
	if (not_strict(l->p, l->len, &code, msg, sizeof msg) != 0 ||
	    check_record(ev, &R->o, now, &r, &code, msg, sizeof msg) != 0)
		return reject_line(&R->rj, l, code, msg);
	rc = track_record(R->tk, &r, &k);
	track_counts(R->tk, &tc);
	*R->expired = tc.expired;
	*R->evicted = tc.evicted;
	*R->dedup_evicted = tc.dedup_evicted;
	if (rc == 1) {
		/* Counted as a duplicate, not a reject, even when it goes to the reject stream. */
		R->st.duplicates++;
		if (!R->o.reject_dups)
			return 0;
		snprintf(msg, sizeof msg, "icao24 %06x already reported this timestamp", r.icao);
		return reject_aside(&R->rj, l, "duplicate", msg);
	}
	buf_reset(&R->rec);
	if (ev->nedits == 0) {
		/* Nothing to change in the input's fields: keep their bytes. */
		event_object(ev, &start, &end);
		emit_record(&R->rec, ev, l->p + start, end - start, &r, &k, R->o.grid, now);
	} else
		emit_record(&R->rec, ev, NULL, 0, &r, &k, R->o.grid, now);
	if (io_write(&R->out, R->rec.p, R->rec.len, l->tok) != 0)
		return -1;
	R->st.out++;
	for (i = 0; i < QF_COUNT; i++)
		if (k.flags & (1u << i))
			(*R->flag_count[i])++;
	return 0;
}

int
main(int argc, char **argv)
{
	static struct run R;
	struct event ev;
	struct loop lp = { 0 };
	int i, rc;

	parse_options(&R, &argc, &argv);
	emit_init();
	R.c.io.keep_freed = 1;

	stats_init(&R.st, "fs-clean", &R.c);
	if (reject_open(&R.rj, &R.st, &R.c, R.c.reject) != 0)
		return EXIT_FAIL;
	if (io_out_stdout(&R.out, &R.c.io, "icao24") != 0)
		return EXIT_FAIL;
	for (i = 0; i < QF_COUNT; i++) {
		snprintf(R.flag_name[i], sizeof R.flag_name[i], "flag_%s", qflag_names[i]);
		R.flag_count[i] = stats_counter(&R.st, R.flag_name[i]);
	}
	R.expired = stats_counter(&R.st, "aircraft_expired");
	R.evicted = stats_counter(&R.st, "aircraft_evicted");
	R.dedup_evicted = stats_counter(&R.st, "dedup_evicted");
	R.clock_age = CLOCK_EVERY;
	R.tk = track_new(&R.o);
	event_init(&ev);

	lp = (struct loop){ .c = &R.c, .st = &R.st, .rj = &R.rj, .ev = &ev, .arg = &R,
	    .record = process, .idle = flush_all };
	rc = loop_run(&lp, argv, argc) != 0 || lp.errors > 0 ? EXIT_FAIL : EXIT_OK;
	if (io_out_close(&R.out) != 0 || reject_close(&R.rj) != 0)
		rc = EXIT_FAIL;
	if (stats_final(&R.st) != 0)
		rc = EXIT_FAIL;
	track_free(R.tk);
	event_free(&ev);
	buf_free(&R.rec);
	return rc;
}
