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
#include "ndjson.h"
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

int
produce_replay(int argc, char **argv)
{
	struct cli c;
	struct stats st;
	struct rejects rj;
	struct ndjson_writer out;
	struct ndjson_reader *r;
	struct ndjson_line l;
	struct event ev;
	struct pace pace;
	struct buf rec = BUF_INIT;
	double speed = 1;
	int ch, loop = 0, rebase = 0, rc, errors = 0, have_first = 0, pass = 0;
	int64_t t, first = 0, last = 0, shift = 0, offset = 0;
	const char *code;
	char msg[256];

	cli_init(&c, "fs-produce", PRODUCE_USAGE);
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_SPEED:
			speed = pace_parse_speed(optarg);
			break;
		case OPT_LOOP:
			loop = 1;
			break;
		case OPT_REBASE:
			rebase = 1;
			break;
		default:
			if (!cli_option(&c, ch, optarg))
				cli_usage(&c);
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

	if (reject_open(&rj, "fs-produce", c.reject, c.verbose < 0) != 0)
		return EXIT_FAIL;
	if (ndjson_writer_stdout(&out, "icao24") != 0)
		return EXIT_FAIL;
	stats_init(&st, "fs-produce", &c);
	stats_output(&st, &out);
	event_init(&ev);
	pace_init(&pace, speed);

	do {
		r = ndjson_open(argv, argc, c.max_line, 0);
		ndjson_set_idle(r, stats_idle, &st);
		stats_reader(&st, r);
		while (!cli_stop && (rc = ndjson_read(r, &l)) != 0) {
			if (rc < 0)
				continue;	/* interrupted: the loop looks at cli_stop */
			st.in++;
			if (l.flags & NDJSON_TOO_LONG) {
				snprintf(msg, sizeof msg, "line of %zu bytes is longer than %zu",
				    l.full_len, c.max_line);
				st.rejected++;
				if (reject_line(&rj, &l, "too_long", msg) != 0)
					break;
				continue;
			}
			/* Pacing and rebasing need the time; --speed max alone does not. */
			if ((speed > 0 || rebase) &&
			    event_parse(&ev, l.p, l.len, &code, msg, sizeof msg) == 0 &&
			    event_time(&ev, &t) == 0) {
				if (!have_first) {
					have_first = 1;
					first = last = t;
					offset = ts_now_ms() - first;
				}
				if (pass == 0 && t > last)
					last = t;
				if (pace_wait(&pace, t + shift, stats_idle, &st) != 0)
					break;
				if (rebase) {
					event_set_time(&ev, "timestamp", t + shift + offset);
					buf_reset(&rec);
					event_write(&ev, &rec);
					if (ndjson_write(&out, rec.p, rec.len) != 0)
						break;
					st.out++;
					stats_tick(&st);
					continue;
				}
			}
			if (ndjson_write(&out, l.p, l.len) != 0)
				break;
			st.out++;
			stats_tick(&st);
		}
		errors += ndjson_errors(r);
		ndjson_close(r);
		if (loop && st.in == 0) {
			fs_warnx("nothing to loop over: the input is empty");
			break;
		}
		/* The next pass follows this one: its first record a second after the last. */
		shift += last - first + 1000;
		pass++;
	} while (loop && !cli_stop && !out.failed && errors == 0);

	rc = EXIT_OK;
	if (ndjson_writer_close(&out) != 0 || reject_close(&rj) != 0)
		rc = EXIT_FAIL;
	st.rejected = rj.count;
	if (stats_final(&st) != 0 || errors > 0)
		rc = EXIT_FAIL;
	event_free(&ev);
	buf_free(&rec);
	return rc;
}
