/*
 * fs-window: aggregate position records into event-time windows per
 * key, closed by a watermark, with late records kept and counted.
 * With Kafka input the watermark follows the slowest partition, and a
 * cut now and then stores offsets that split no window, so that a
 * replay after a crash writes every window again whole (KAFKA in
 * fs-window(1)). See fs-window(1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cli.h"
#include "json.h"
#include "io.h"
#include "ledger.h"
#include "loop.h"
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


/*
 * With Kafka input, per partition slot (kafka.h): where reading is, the
 * one message held so that the stored offset stays at the last clean
 * cut, and the partition's own event time for the watermark.
 */
struct kslot {
	int seen;			/* a record came since the partitions were assigned */
	int pending;			/* hold the next record read: the cut is there */
	int idle;			/* quiet for --idle: not holding the watermark back */
	ledger_tok held;			/* the message at the cut */
	int64_t heldoff;		/* its offset */
	int64_t next;			/* the offset after the last one read */
	int64_t tmax;			/* the newest event time read, INT64_MIN: none */
	int64_t last_ms;		/* monotonic clock at its last record */
};

#define CUT_EVERY_MS 1000		/* a cut at least this often ... */
#define CUT_EVERY_RECORDS 65536		/* ... or after this many records */
#define SETTLE_MS 2000			/* after an assignment, the watermark waits this long */
#define KAFKA_IDLE_DEFAULT_MS 30000	/* --idle for Kafka input */

static struct kslot kslots[LEDGER_MAX_SLOTS];
static int64_t cut_x[LEDGER_MAX_SLOTS];
static ledger_tok cut_tok[LEDGER_MAX_SLOTS];

/* Everything the loop needs, in one place for the idle hook and the helpers. */
struct run {
	struct window_opts o;
	struct cli c;
	struct stats st;
	struct rejects rj;
	struct rejects late_rj;		/* with --late */
	struct rejects *late_to;	/* &late_rj, or &rj without --late */
	struct io_out out;
	struct wstate *ws;
	struct fieldmap fm;
	struct buf key;
	int failed;			/* output could not be written */
	int64_t last_input;		/* monotonic clock at the last line (with --idle) */
	int64_t wm_input;		/* the watermark after the last record */
	int idle_given;			/* --idle was given */
	/* Kafka input: see kslot, and KAFKA in fs-window(1). */
	int kafka;			/* the input is Kafka (a record had a token) */
	int nslots;			/* kslots[0, nslots) have been used */
	int cur;			/* the slot of the record being processed */
	int64_t tmin;			/* min of tmax over the slots counted, INT64_MIN none */
	int64_t settle_until;		/* monotonic: the watermark waits until then */
	int64_t cut_ms;			/* monotonic clock at the last cut */
	uint64_t since_cut;		/* records read since */
	uint64_t windows_cut;		/* windows emitted at the last cut */
	int cut_stuck;			/* a cut could not deliver: offsets stay */
	uint64_t *windowed, *late, *late_partial, *key_missing;
	uint64_t *windows, *early, *evicted;
};

/* parse_by reads one --by: "*", or field names joined by commas. */
static void
parse_by(struct window_opts *o, const char *spec)
{
	struct grouping *g;
	const char *s = spec, *item;
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
	while (cli_list(&s, &item, &n)) {
		if (n == 0)
			fs_errx(EXIT_USAGE, "invalid by '%s': empty field name", spec);
		if (memchr(item, '*', n) != NULL && n == 1)
			fs_errx(EXIT_USAGE, "invalid by '%s': '*' goes alone", spec);
		if (g->nfields == MAX_KEY_FIELDS)
			fs_errx(EXIT_USAGE, "invalid by '%s': more than %d fields", spec,
			    MAX_KEY_FIELDS);
		g->f[g->nfields].name = xmalloc(n + 1);
		memcpy(g->f[g->nfields].name, item, n);
		g->f[g->nfields].name[n] = '\0';
		g->f[g->nfields].len = n;
		for (i = 0; i < g->nfields; i++)
			if (strcmp(g->f[i].name, g->f[g->nfields].name) == 0)
				fs_errx(EXIT_USAGE, "invalid by '%s': '%s' twice", spec,
				    g->f[i].name);
		g->nfields++;
	}
	g->plain = g->nfields == 1 && strcmp(g->f[0].name, "icao24") == 0;
}

/*
 * check_kafka refuses the cooperative rebalance protocol, under which
 * partitions move one by one while the others go on: open windows then
 * hold records of partitions this process no longer has, and would be
 * written in part. With the eager protocol every partition is revoked
 * at once and the open windows are read again from the stored offsets.
 * Kafka input has --idle on by default.
 */
static void
check_kafka(struct run *R)
{
	const char *p, *v;
	int i;

	for (i = 0; i < R->c.io.kafka.nprops; i++) {
		p = R->c.io.kafka.props[i];
		if (strncmp(p, "partition.assignment.strategy=", 30) != 0)
			continue;
		for (v = p + 30; *v != '\0'; v++)
			if (strncasecmp(v, "cooperative", 11) == 0)
				fs_errx(EXIT_USAGE, "invalid property '%s': fs-window needs the eager "
				    "rebalance protocol (every partition revoked at once, so that open "
				    "windows are read again whole), not a cooperative one", p);
	}
	if (io_topic(R->c.io.from) != NULL && !R->idle_given)
		R->o.idle_ms = KAFKA_IDLE_DEFAULT_MS;
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

	cli_init(&R->c, "fs-window", WINDOW_USAGE, CLI_IN | CLI_OUT | CLI_REJECT);
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
			R->idle_given = 1;
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
	check_kafka(R);
	*argcp = argc - optind;
	*argvp = argv + optind;
}

/* ---- Kafka input: see KAFKA in fs-window(1) ---- */

/* slots_min sets tmin: the oldest of the newest event times of the slots that count. */
static void
slots_min(struct run *R)
{
	int64_t m = INT64_MIN;
	int i;

	for (i = 0; i < R->nslots; i++)
		if (kslots[i].seen && !kslots[i].idle && kslots[i].tmax != INT64_MIN &&
		    (m == INT64_MIN || kslots[i].tmax < m))
			m = kslots[i].tmax;
	R->tmin = m;
}

/*
 * kafka_record notes a record read from Kafka: its slot and offset for
 * the windows' spans, and the hold at the cut of a slot that had none.
 */
static void
kafka_record(struct run *R, ledger_tok t)
{
	struct kslot *ks;
	int64_t off, now = ts_mono_ms();
	int slot;

	if (ledger_where(t, &slot, &off) != 0) {
		/* Cannot happen for the record just read; if it did, store nothing more. */
		R->cut_stuck = 1;
		R->cur = -1;
		state_where(R->ws, -1, 0, 0);
		return;
	}
	R->kafka = 1;
	ks = &kslots[slot];
	if (slot >= R->nslots)
		R->nslots = slot + 1;
	if (!ks->seen) {
		/* First record since the assignment: the cut starts here. */
		memset(ks, 0, sizeof *ks);
		ks->seen = ks->pending = 1;
		ks->tmax = INT64_MIN;
		if (R->settle_until == 0)
			R->settle_until = now + SETTLE_MS;
	}
	if (ks->pending) {
		ks->held = ledger_hold(t);
		ks->heldoff = off;
		ks->pending = 0;
	}
	ks->next = off + 1;
	ks->last_ms = now;
	if (ks->idle) {
		/*
		 * The input comes back after a quiet spell: if every slot
		 * was quiet, wait again for the others before their time
		 * counts, or the first one back would make them late.
		 */
		if (R->tmin == INT64_MIN && R->settle_until <= 0)
			R->settle_until = now + SETTLE_MS;
		ks->idle = 0;
		slots_min(R);
	}
	R->cur = slot;
	R->since_cut++;
	state_where(R->ws, slot, off, t);
}

/*
 * kafka_time takes the event time t of a record of slot R->cur and
 * returns the time the watermark follows: the oldest of the partitions'
 * newest times, so that a partition read ahead of another does not make
 * the other's records late. INT64_MIN: not yet (settling).
 */
static int64_t
kafka_time(struct run *R, int64_t t)
{
	struct kslot *ks = &kslots[R->cur];
	int64_t old = ks->tmax;

	if (t > old) {
		ks->tmax = t;
		if (old == INT64_MIN || old == R->tmin || R->tmin == INT64_MIN)
			slots_min(R);
	}
	if (R->settle_until > 0) {
		if (ts_mono_ms() < R->settle_until)
			return INT64_MIN;
		R->settle_until = -1;	/* settled, until the next assignment */
	}
	return R->tmin;
}

/* advance moves the watermark to what the slots' times allow; -1 on output failure. */
static int
advance_slots(struct run *R)
{
	int64_t L = R->o.lateness_ms;

	if (R->tmin == INT64_MIN || R->settle_until > 0)
		return 0;
	if (R->tmin - L > state_watermark(R->ws) && state_advance(R->ws, R->tmin - L) != 0)
		return -1;
	R->wm_input = state_watermark(R->ws);
	return 0;
}

/*
 * cut stores what can be stored: every window written is delivered
 * first, then in each slot the hold moves up to the cut of state_cut,
 * below which every window is written and delivered, and above which
 * every window will be read again whole after a crash.
 */
static void
cut(struct run *R)
{
	struct kslot *ks;
	struct wcounts c;
	int64_t now = ts_mono_ms();
	ledger_tok t;
	int i, quiet = 0;

	R->cut_ms = now;
	R->since_cut = 0;
	if (!R->kafka || R->cut_stuck)
		return;
	/* Partitions quiet for --idle stop holding the watermark back. */
	if (R->o.idle_ms > 0) {
		for (i = 0; i < R->nslots; i++)
			if (kslots[i].seen && !kslots[i].idle &&
			    now - kslots[i].last_ms >= R->o.idle_ms)
				kslots[i].idle = quiet = 1;
		if (quiet) {
			slots_min(R);
			if (R->settle_until > 0 && now >= R->settle_until)
				R->settle_until = -1;
			if (advance_slots(R) != 0)
				R->failed = 1;
		}
	}
	if (R->settle_until > 0 && now >= R->settle_until) {
		/* Settled while the input was quiet. */
		R->settle_until = -1;
		if (advance_slots(R) != 0)
			R->failed = 1;
	}
	state_counts(R->ws, &c);
	R->windows_cut = c.windows;
	if (R->failed || ledger_deliver() != 0) {
		/* Not delivered: no offset moves any more, and the run ends with exit 1. */
		R->cut_stuck = R->failed = 1;
		return;
	}
	for (i = 0; i < R->nslots; i++) {
		cut_x[i] = kslots[i].next;
		cut_tok[i] = 0;
	}
	state_cut(R->ws, cut_x, cut_tok);
	for (i = 0; i < R->nslots; i++) {
		ks = &kslots[i];
		if (!ks->seen || ks->pending || cut_x[i] <= ks->heldoff)
			continue;
		if (cut_tok[i] == 0) {
			/* Nothing open in it: the cut is the next record to come. */
			ledger_release(ks->held);
			ks->held = 0;
			ks->heldoff = -1;
			ks->pending = 1;
		} else if ((t = ledger_hold(cut_tok[i])) != 0) {
			ledger_release(ks->held);
			ks->held = t;
			ks->heldoff = cut_x[i];
		}
	}
}

/*
 * on_revoke runs when partitions are taken away: with the eager protocol
 * all of them. What is written is delivered and the cut stored (the hold
 * stays, so the library stores no further); then every window not yet
 * written is dropped: it is read again, whole, from the stored offsets,
 * by whichever consumer gets its partitions.
 */
static void
on_revoke(void *arg)
{
	struct run *R = arg;

	cut(R);
	state_reset(R->ws);
	memset(kslots, 0, (size_t)R->nslots * sizeof kslots[0]);
	R->nslots = 0;
	R->tmin = INT64_MIN;
	R->settle_until = 0;
	R->wm_input = INT64_MIN;
	state_where(R->ws, -1, 0, 0);
}

/* Window records hold no message: a cut stores offsets only once they are delivered. */
static int
write_output(void *arg, const char *rec, size_t len)
{
	struct run *R = arg;

	if (io_write_held(&R->out, rec, len, NULL, 0) != 0)
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
	if (R->kafka && (R->since_cut > 0 || *R->windows != R->windows_cut ||
	    ts_mono_ms() - R->cut_ms >= CUT_EVERY_MS))
		cut(R);
	io_flush(&R->out);
	reject_flush(&R->rj);
	reject_flush(&R->late_rj);
	sync_counts(R);	/* the windows cut() closed, too: the watermark settled */
	stats_poll(&R->st);
}

/* late_record keeps a record that came after its windows closed, with the reason. */
static int
late_record(struct run *R, const struct line *l, int64_t start, int64_t end)
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
	return reject_aside(R->late_to, l, "late", msg);
}

static int window(struct run *R, const struct line *l, struct event *ev);

/* process handles one record; -1 when output, rejects or late records could not be written. */
static int
process(void *arg, const struct line *l, struct event *ev)
{
	struct run *R = arg;

	if (R->o.idle_ms > 0)
		R->last_input = ts_mono_ms();
	if (l->tok != 0)
		kafka_record(R, l->tok);
	if (window(R, l, ev) != 0) {
		R->failed = 1;
		return -1;
	}
	sync_counts(R);
	if (R->kafka && (R->since_cut >= CUT_EVERY_RECORDS || ((R->since_cut & 1023) == 0 &&
	    ts_mono_ms() - R->cut_ms >= CUT_EVERY_MS)))
		cut(R);
	return R->failed ? -1 : 0;
}

/*
 * at_end: with Kafka input the offsets stored at the end are a cut
 * taken while the open windows are still open: written after the input
 * closes, as they stand, they will be read again whole, with what comes
 * after them, by the next run.
 */
static int
at_end(void *arg)
{
	struct run *R = arg;

	if (R->kafka && R->settle_until > 0 && !R->failed) {
		/* At the end every partition has brought what it had: the wait is over. */
		R->settle_until = -1;
		if (advance_slots(R) != 0)
			R->failed = 1;
	}
	if (!R->failed)
		cut(R);
	return R->failed ? -1 : 0;
}

/* window puts one record in its windows. */
static int
window(struct run *R, const struct line *l, struct event *ev)
{
	const struct window_opts *o = &R->o;
	struct recvals rv;
	const char *code;
	char msg[256];
	int64_t ls = 0, le = 0, t;
	int g, rc, grouped = 0, late = 0, partial = 0;

	if (record_time(ev, &t, &code, msg, sizeof msg) != 0)
		return reject_line(&R->rj, l, code, msg);
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
	if (R->cur >= 0) {
		kafka_time(R, t);
		return advance_slots(R);
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
	struct loop lp = { 0 };
	struct event ev;
	size_t i;
	int rc, g;

	parse_options(&R, &argc, &argv);

	R.c.io.keep_freed = 1;
	stats_init(&R.st, "fs-window", &R.c);
	if (reject_open(&R.rj, &R.st, &R.c, R.c.reject) != 0)
		return EXIT_FAIL;
	R.late_to = &R.rj;
	if (R.o.late_path != NULL) {
		if (reject_open(&R.late_rj, &R.st, &R.c, R.o.late_path) != 0)
			return EXIT_FAIL;
		R.late_to = &R.late_rj;
	}
	/* --to kafka:TOPIC: keyed by the window's key. */
	if (io_out_stdout(&R.out, &R.c.io, "key") != 0)
		return EXIT_FAIL;
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
	R.cur = -1;
	R.tmin = INT64_MIN;
	event_init(&ev);

	/* on_revoke: nothing without Kafka input. */
	lp = (struct loop){ .c = &R.c, .st = &R.st, .rj = &R.rj, .ev = &ev, .arg = &R,
	    .record = process, .end = at_end, .idle = on_idle, .revoke = on_revoke };
	if (loop_run(&lp, argv, argc) != 0)
		R.failed = 1;

	/* End of input, or a stop signal: every open window is written, as it stands. */
	if (!R.failed && state_flush(R.ws) != 0)
		R.failed = 1;
	sync_counts(&R);

	rc = R.failed ? EXIT_FAIL : EXIT_OK;
	if (io_out_close(&R.out) != 0 || reject_close(&R.rj) != 0)
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
	if (stats_final(&R.st) != 0 || lp.errors > 0)
		rc = EXIT_FAIL;
	state_free(R.ws);
	event_free(&ev);
	buf_free(&R.key);
	for (g = 0; g < R.o.ngroups; g++)
		for (i = 0; i < (size_t)R.o.g[g].nfields; i++)
			free(R.o.g[g].f[i].name);
	return rc;
}
