/*
 * stats: counting what a program did, and saying so.
 *
 * Every program counts records in, out, rejected, dropped and
 * deduplicated, plus counters of its own. With --stats[=SECONDS] it
 * prints one line of JSON on stderr every SECONDS (default 10) and a
 * summary line at the end; --metrics-file writes the same counters in
 * Prometheus text format, atomically (write a temporary file, rename).
 * On a terminal, a long run over regular files shows its progress on
 * stderr.
 *
 * The summary line (and the periodic lines) look like
 *   {"tool":"fs-produce","final":true,"elapsed_s":1.204,"in":0,"out":180000,
 *    "rejected":0,"dropped":0,"duplicates":0,"rate":149501.2,...}
 */
#ifndef FS_STATS_H
#define FS_STATS_H

#include <stdint.h>
#include "cli.h"

#define STATS_MAX_EXTRA 64

struct io_in;
struct io_out;

struct stats {
	const char *tool;
	const struct cli *cli;
	uint64_t in, out, rejected, dropped, duplicates;
	struct {
		const char *name;
		uint64_t value;
	} extra[STATS_MAX_EXTRA];
	int nextra;
	int64_t start_ms, last_ms;
	unsigned tick;
	int progress;		/* a progress line is on the terminal */
	struct io_in *reader;
	struct io_out *writer;
	int64_t lag;		/* Kafka consumer lag as last read, -1: none */
};

void stats_init(struct stats *s, const char *tool, const struct cli *c);

/* stats_counter returns a program counter by name, made on first use. */
uint64_t *stats_counter(struct stats *s, const char *name);

/* stats_reader lets stats show file progress on a terminal and the consumer lag. */
void stats_reader(struct stats *s, struct io_in *r);

/* stats_closed: the reader is closed; lag (if >= 0) is its last consumer lag. */
void stats_closed(struct stats *s, int64_t lag);

/* stats_output names the writer that stats_idle flushes. */
void stats_output(struct stats *s, struct io_out *w);

/*
 * stats_idle is the hook for quiet moments (io_in_idle, pace_wait;
 * arg is the struct stats): it flushes the output so a slow stream has
 * no latency, and prints progress that is due.
 */
void stats_idle(void *arg);

/* stats_tick is cheap; call it once per record and when idle. */
void stats_tick(struct stats *s);
void stats_poll(struct stats *s);	/* the slow part of stats_tick */

static inline void
stats_tick_inline(struct stats *s)
{
	if ((++s->tick & 1023) == 0)
		stats_poll(s);
}

/*
 * stats_final prints the summary (with --stats; without it, unless -q,
 * one line on stderr when duplicates or dropped records were left out)
 * and writes the metrics file. -1 if that failed.
 */
int stats_final(struct stats *s);

#endif
