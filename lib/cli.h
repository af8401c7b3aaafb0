/*
 * cli: the option parser every flightstream program shares: the common
 * options (flightstream(7), COMMON OPTIONS) into plain data, and
 * number, size and duration arguments with range checks. It opens
 * nothing: struct io_opts is read by io.h when a source or sink opens.
 *
 * A program says which groups of common options mean something for it
 * (CLI_IN, CLI_OUT, CLI_REJECT); any other is refused with exit 2, as
 * "fs-sink-pg --to kafka:x" is: a sink writes no records.
 */
#ifndef FS_CLI_H
#define FS_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "io.h"
#include "sig.h"

/* The groups of common options a program takes (cli_init). */
enum {
	CLI_IN = 1 << 0,	/* reads records: --from, -G, --offset, -e, --max-line */
	CLI_OUT = 1 << 1,	/* writes records: --to */
	CLI_REJECT = 1 << 2,	/* rejects input: --reject */
};

/* The options every program takes, filled in by cli_option. */
struct cli {
	const char *usage;	/* the SYNOPSIS, as in the man page */
	unsigned takes;		/* CLI_IN | CLI_OUT | CLI_REJECT */
	int verbose;		/* -q: -1, default 0, -v: 1 or more */
	int stats;		/* --stats given */
	int64_t stats_ms;	/* its interval; 0: summary only */
	const char *metrics_file;
	const char *reject;
	size_t max_line;
	struct io_opts io;	/* --from, --to, -b, -G, -X, --offset, -e */
};

/* Long options shared by all programs; put CLI_LONGOPTS in each table. */
enum {
	OPT_STATS = 0x100,
	OPT_METRICS_FILE,
	OPT_REJECT,
	OPT_MAX_LINE,
	OPT_HELP,
	OPT_FROM,
	OPT_TO,
	OPT_OFFSET,
	OPT_PROGRAM = 0x200,	/* programs number their own from here */
};

/* -b BROKERS, -G GROUP, -X prop=value and -e are Kafka's, as in kcat (kconf.h). */
#define CLI_SHORTOPTS "hqvVb:G:X:e"
#define CLI_LONGOPTS \
	{ "stats", optional_argument, NULL, OPT_STATS }, \
	{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE }, \
	{ "reject", required_argument, NULL, OPT_REJECT }, \
	{ "max-line", required_argument, NULL, OPT_MAX_LINE }, \
	{ "from", required_argument, NULL, OPT_FROM }, \
	{ "to", required_argument, NULL, OPT_TO }, \
	{ "offset", required_argument, NULL, OPT_OFFSET }, \
	{ "exit-at-end", no_argument, NULL, 'e' }, \
	{ "help", no_argument, NULL, 'h' }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "version", no_argument, NULL, 'V' }

/* The common options' part of every program's usage, as in the man pages' SYNOPSIS. */
#define CLI_USAGE_COMMON \
	"common options: [-hqvV] [--stats[=D]] [--metrics-file PATH] [--reject FILE]\n" \
	"                [--max-line BYTES] [--from kafka:TOPIC[,TOPIC...]] [--to kafka:TOPIC]\n" \
	"                [-b BROKERS] [-G GROUP] [-X prop=value] [--offset beginning|end|stored]\n" \
	"                [-e]"

/* cli_init sets progname, the defaults and the groups of options taken (CLI_IN...), and sets up signals. */
void cli_init(struct cli *c, const char *name, const char *usage, unsigned takes);

/*
 * cli_option handles one common option from getopt_long: returns 1 if
 * it was one (-h and -V print and exit 0; a bad value exits 2), 0 if
 * not. Programs call it from the default case of their switch.
 */
int cli_option(struct cli *c, int ch, const char *arg);

/* cli_usage prints "usage: SYNOPSIS" to stderr and exits 2. */
void cli_usage(const struct cli *c) __attribute__((noreturn));

/*
 * Number parsing with range checks, like strtonum(3): on bad text or a
 * value out of range they print "invalid NAME 'TEXT': REASON" and exit 2.
 */
long long cli_num(const char *s, long long min, long long max, const char *name);
double cli_double(const char *s, double min, double max, const char *name);
int64_t cli_duration(const char *s, const char *name);	/* milliseconds */
size_t cli_size(const char *s, const char *name);	/* bytes, K/M/G suffixes */

/*
 * cli_list steps through the items of a comma-separated list: *s starts
 * at the list; each call points *item at the next item, *n bytes long
 * (it may be empty, and is not NUL-terminated), and returns 1; after
 * the last item *s is NULL, and the next call returns 0. "" is one
 * empty item, "a," two items.
 */
int cli_list(const char **s, const char **item, size_t *n);

#endif
