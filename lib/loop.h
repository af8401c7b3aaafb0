/*
 * loop: the read loop every program that reads records runs, as
 * mblaze's blaze822_loop is for mail: open the source the options name,
 * then for each line skip blank ones, count it in, reject one too long
 * (too_long) or, when the program wants events, one that does not parse
 * (parse, or encoding for NUL and bad UTF-8), hand the rest to the
 * program's callback, and tick the stats. At the end of input or on a
 * stop signal it calls the end hook, then closes the source.
 *
 * The line handed to the callback carries its delivery token (line.h),
 * held by the reader until the next read: a callback that keeps the
 * record, or state derived from it, takes a hold (ledger_hold) and
 * releases it once what it derived is delivered. Writing a record
 * derived from it (io_write with l->tok) takes that hold itself.
 */
#ifndef FS_LOOP_H
#define FS_LOOP_H

#include "cli.h"
#include "event.h"
#include "io.h"
#include "line.h"
#include "reject.h"
#include "stats.h"

struct loop {
	const struct cli *c;
	struct stats *st;
	struct rejects *rj;
	struct event *ev;	/* parse each line into it; NULL: the callback gets bare lines */
	int check;		/* scan bare lines for NUL and bad UTF-8 (LINE_HAS_NUL...) */
	void *arg;		/* for the hooks */
	/* The line, parsed into ev when ev is set. -1 stops the loop: output failed. */
	int (*record)(void *arg, const struct line *l, struct event *ev);
	int (*end)(void *arg);		/* end of input or stop; -1 failed. May be NULL */
	void (*idle)(void *arg);	/* input quiet; NULL: stats_idle (flush st's output) */
	void (*wait)(void *arg);	/* before each read (a sink's batch timer); may be NULL */
	void (*revoke)(void *arg);	/* Kafka partitions about to go (kcons.h); may be NULL */
	struct io_in *in;	/* open while the loop runs */
	int errors;		/* after the run: inputs that could not be read */
};

/*
 * loop_run reads files[0..nfiles) (stdin when none) or the topics of
 * --from until the end or a stop signal. 0, or -1 when a callback or
 * the end hook failed; lp->errors counts unreadable inputs, which must
 * make the program exit 1 too.
 */
int loop_run(struct loop *lp, char **files, int nfiles);

#endif
