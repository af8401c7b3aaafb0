/*
 * fs-produce replay: play recorded NDJSON with its original pacing.
 *
 * Lines are written verbatim. Only --rebase changes a record (its
 * timestamp), so with --speed max and no --rebase the bytes out are the
 * bytes in; a CRLF ending becomes LF and a missing last newline is
 * added. Lines without a usable timestamp go out at once.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "event.h"
#include "io.h"
#include "loop.h"
#include "pace.h"
#include "produce.h"
#include "reject.h"
#include "stats.h"
#include "ts.h"

enum {
	OPT_SPEED = OPT_PROGRAM,
	OPT_LOOP,
	OPT_REBASE,
};

static const struct option longopts[] = {
	{ "speed", required_argument, NULL, OPT_SPEED },
	{ "loop", no_argument, NULL, OPT_LOOP },
	{ "rebase", no_argument, NULL, OPT_REBASE },
	CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* The state of a replay, for the loop's callback. */
struct replay {
	struct cli c;
	struct stats st;
	struct rejects rj;
	struct io_out out;
	struct event ev;
	struct pace pace;
	struct buf rec;
	int rebase, have_first, pass;
	double speed;
	int64_t first, last, shift, offset;
};

/* play writes one line at its time; -1 when it could not be written, or the wait was stopped. */
static int
play(void *arg, const struct line *l, struct event *unused)
{
	struct replay *x = arg;
	const char *code;
	char msg[256];
	int64_t t;

	/* Pacing and rebasing need the time; --speed max alone does not. */
	if ((x->speed > 0 || x->rebase) &&
	    event_parse(&x->ev, l->p, l->len, &code, msg, sizeof msg) == 0 &&
	    event_time(&x->ev, &t) == 0) {
		if (!x->have_first) {
			x->have_first = 1;
			x->first = x->last = t;
			x->offset = ts_now_ms() - x->first;
		}
		if (x->pass == 0 && t > x->last)
			x->last = t;
		if (pace_wait(&x->pace, t + x->shift, stats_idle, &x->st) != 0)
			return sig_stop ? 0 : -1;
		if (x->rebase) {
			event_set_time(&x->ev, "timestamp", t + x->shift + x->offset);
			buf_reset(&x->rec);
			event_write(&x->ev, &x->rec);
			if (io_write(&x->out, x->rec.p, x->rec.len, l->tok) != 0)
				return -1;
			x->st.out++;
			return 0;
		}
	}
	if (io_write(&x->out, l->p, l->len, l->tok) != 0)
		return -1;
	x->st.out++;
	return 0;
}

int
produce_replay(int argc, char **argv)
{
	static struct replay x;
	struct loop lp = { 0 };
	int ch, loop = 0, rc = EXIT_OK, errors = 0;

	x.speed = 1;
	cli_init(&x.c, "fs-produce", PRODUCE_USAGE, CLI_IN | CLI_OUT | CLI_REJECT);
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_SPEED:
			x.speed = pace_parse_speed(optarg);
			break;
		case OPT_LOOP:
			loop = 1;
			break;
		case OPT_REBASE:
			x.rebase = 1;
			break;
		default:
			if (!cli_option(&x.c, ch, optarg))
				cli_usage(&x.c);
		}
	}
	argc -= optind;
	argv += optind;
	if (loop) {
		for (ch = 0; ch < argc; ch++)
			if (strcmp(argv[ch], "-") == 0)
				argc = 0;
		if (argc == 0)
			fs_errx(EXIT_USAGE, "--loop needs files: standard input cannot be read twice");
	}

	stats_init(&x.st, "fs-produce", &x.c);
	if (reject_open(&x.rj, &x.st, &x.c, x.c.reject) != 0)
		return EXIT_FAIL;
	if (io_out_stdout(&x.out, &x.c.io, "icao24") != 0)
		return EXIT_FAIL;
	stats_output(&x.st, &x.out);
	event_init(&x.ev);
	pace_init(&x.pace, x.speed);

	lp = (struct loop){ .c = &x.c, .st = &x.st, .rj = &x.rj, .arg = &x, .record = play };
	do {
		if (loop_run(&lp, argv, argc) != 0)
			rc = EXIT_FAIL;
		errors += lp.errors;
		if (loop && x.st.in == 0) {
			fs_warnx("nothing to loop over: the input is empty");
			break;
		}
		/* The next pass follows this one: its first record a second after the last. */
		x.shift += x.last - x.first + 1000;
		x.pass++;
	} while (loop && !sig_stop && rc == EXIT_OK && errors == 0);

	if (io_out_close(&x.out) != 0 || reject_close(&x.rj) != 0)
		rc = EXIT_FAIL;
	if (stats_final(&x.st) != 0 || errors > 0)
		rc = EXIT_FAIL;
	event_free(&x.ev);
	buf_free(&x.rec);
	return rc;
}
