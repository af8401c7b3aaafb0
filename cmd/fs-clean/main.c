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
#include "ndjson.h"
#include "reject.h"
#include "stats.h"
#include "ts.h"

enum {
	OPT_DEDUP_WINDOW = OPT_PROGRAM,
	OPT_DEDUP_MAX,
	OPT_GRID,
	OPT_IDLE,
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
	{ "idle", required_argument, NULL, OPT_IDLE },
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

const char *const qf_names[QF_COUNT] = {
	[QF_OUT_OF_ORDER] = "out_of_order",
	[QF_POSITION_JUMP] = "position_jump",
	[QF_STUCK_POSITION] = "stuck_position",
	[QF_ALTITUDE_SPIKE] = "altitude_spike",
	[QF_IMPOSSIBLE_SPEED] = "impossible_speed",
};

const char *const qf_counters[QF_COUNT] = {
	[QF_OUT_OF_ORDER] = "flag_out_of_order",
	[QF_POSITION_JUMP] = "flag_position_jump",
	[QF_STUCK_POSITION] = "flag_stuck_position",
	[QF_ALTITUDE_SPIKE] = "flag_altitude_spike",
	[QF_IMPOSSIBLE_SPEED] = "flag_impossible_speed",
};

/* Everything the loop needs, in one place for the idle hook and the helpers. */
struct run {
	struct clean_opts o;
	struct cli c;
	struct stats st;
	struct rejects rj;
	struct ndjson_writer out;
	struct track *tk;
	struct buf rec;
	uint64_t *flag_count[QF_COUNT];
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
	size_t i, n;

	for (;;) {
		n = strcspn(s, ",");
		for (i = 0; i < sizeof what / sizeof what[0]; i++)
			if (strlen(what[i].name) == n && strncmp(what[i].name, s, n) == 0)
				break;
		if (i == sizeof what / sizeof what[0])
			fs_errx(EXIT_USAGE, "invalid require '%.*s': not position, altitude "
			    "or velocity", (int)n, s);
		bits |= what[i].bit;
		if (s[n] == '\0')
			return bits;
		s += n + 1;
	}
}

static void
parse_options(struct run *R, int *argcp, char ***argvp)
{
	struct clean_opts *o = &R->o;
	int ch, argc = *argcp;
	char **argv = *argvp;

	o->dedup_window_ms = 10 * 60 * 1000;
	o->idle_ms = 30 * 60 * 1000;
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

	cli_init(&R->c, "fs-clean", CLEAN_USAGE);
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
		case OPT_IDLE:
			o->idle_ms = cli_duration(optarg, "idle");
			if (o->idle_ms < 1000)
				fs_errx(EXIT_USAGE, "invalid idle '%s': below 1s", optarg);
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

/* The counter of a reject code; codes past the room in struct stats share one. */
static uint64_t *
code_counter(struct stats *st, const char *code)
{
	const char *name = "rejected_other";
	size_t i;
	int j;

	for (i = 0; reject_codes[i].code != NULL; i++)
		if (strcmp(reject_codes[i].code, code) == 0) {
			name = reject_codes[i].counter;
			break;
		}
	for (j = 0; j < st->nextra; j++)
		if (strcmp(st->extra[j].name, name) == 0)
			return &st->extra[j].value;
	if (st->nextra >= STATS_MAX_EXTRA - 1)
		name = "rejected_other";
	return stats_counter(st, name);
}

/* reject sends a line that cannot be used to the reject stream, and counts it. */
static int
reject(struct run *R, const struct ndjson_line *l, const char *code, const char *msg)
{
	R->st.rejected++;
	(*code_counter(&R->st, code))++;
	return reject_line(&R->rj, l, code, msg);
}

static void
flush_all(void *arg)
{
	struct run *R = arg;

	ndjson_flush(&R->out);
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

/* process handles one line; -1 when output or rejects could not be written. */
static int
process(struct run *R, struct event *ev, const struct ndjson_line *l)
{
	struct rec r;
	struct kin k;
	struct track_counts tc;
	const char *code;
	char msg[256];
	int64_t now;
	size_t start, end;
	int i, rc;

	if (l->flags & NDJSON_TOO_LONG) {
		snprintf(msg, sizeof msg, "line of %zu bytes is longer than %zu",
		    l->full_len, R->c.max_line);
		return reject(R, l, "too_long", msg);
	}
	now = clock_ms(R);
	if (event_parse(ev, l->p, l->len, &code, msg, sizeof msg) != 0) {
		/*
		 * yajl checks UTF-8 in strings, and a NUL byte is never
		 * valid JSON, so a line that parsed is valid text: only a
		 * line that did not is worth looking at byte by byte.
		 */
		reject_encoding(l->p, l->len, &code, msg, sizeof msg);
		return reject(R, l, code, msg);
	}
	if (not_strict(l->p, l->len, &code, msg, sizeof msg) != 0 ||
	    check_record(ev, &R->o, now, &r, &code, msg, sizeof msg) != 0) {
		return reject(R, l, code, msg);
	}
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
		(*code_counter(&R->st, "duplicate"))++;
		return reject_line(&R->rj, l, "duplicate", msg);
	}
	buf_reset(&R->rec);
	if (ev->nedits == 0) {
		/* Nothing to change in the input's fields: keep their bytes. */
		event_object(ev, &start, &end);
		emit_record(&R->rec, ev, l->p + start, end - start, &r, &k, R->o.grid, now);
	} else
		emit_record(&R->rec, ev, NULL, 0, &r, &k, R->o.grid, now);
	if (ndjson_write(&R->out, R->rec.p, R->rec.len) != 0)
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
	struct ndjson_reader *r;
	struct ndjson_line l;
	struct event ev;
	int i, rc, errors;

	parse_options(&R, &argc, &argv);
	emit_init();

	if (reject_open(&R.rj, "fs-clean", R.c.reject, R.c.verbose < 0) != 0)
		return EXIT_FAIL;
	if (ndjson_writer_stdout(&R.out, "icao24") != 0)
		return EXIT_FAIL;
	stats_init(&R.st, "fs-clean", &R.c);
	for (i = 0; i < QF_COUNT; i++)
		R.flag_count[i] = stats_counter(&R.st, qf_counters[i]);
	R.expired = stats_counter(&R.st, "aircraft_expired");
	R.evicted = stats_counter(&R.st, "aircraft_evicted");
	R.dedup_evicted = stats_counter(&R.st, "dedup_evicted");
	R.clock_age = CLOCK_EVERY;
	R.tk = track_new(&R.o);
	event_init(&ev);

	/* No UTF-8 scan in the reader: see reject_encoding() in process(). */
	r = ndjson_open(argv, argc, R.c.max_line, 0);
	ndjson_set_idle(r, flush_all, &R);
	stats_reader(&R.st, r);
	while (!cli_stop && (rc = ndjson_read(r, &l)) != 0) {
		if (rc < 0)
			continue;	/* interrupted: the loop looks at cli_stop */
		if (ndjson_blank(&l))
			continue;
		R.st.in++;
		if (process(&R, &ev, &l) != 0)
			break;
		stats_tick_inline(&R.st);
	}
	errors = ndjson_errors(r);
	ndjson_close(r);

	rc = EXIT_OK;
	if (ndjson_writer_close(&R.out) != 0 || reject_close(&R.rj) != 0)
		rc = EXIT_FAIL;
	if (stats_final(&R.st) != 0 || errors > 0)
		rc = EXIT_FAIL;
	track_free(R.tk);
	event_free(&ev);
	buf_free(&R.rec);
	return rc;
}
