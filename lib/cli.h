/*
 * cli: what every flightstream program does the same way: messages,
 * exit codes, signals, the common options and number parsing.
 *
 * Messages go to stderr as "fs-clean: cannot open 'x.ndjson': No such
 * file or directory": the program's name, the failure first, the
 * subject quoted, lowercase, no full stop.
 */
#ifndef FS_CLI_H
#define FS_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

extern const char *progname;

/* Set by SIGINT and SIGTERM: stop reading, flush, exit 0. */
extern volatile sig_atomic_t cli_stop;
/* How many SIGINT and SIGTERM came: a second one gives up waiting (retry.h). */
extern volatile sig_atomic_t cli_signal_count;

void fs_err(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void fs_errx(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void fs_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fs_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The options every program takes, filled in by cli_option. */
struct cli {
	const char *usage;	/* the SYNOPSIS, as in the man page */
	int verbose;		/* -q: -1, default 0, -v: 1 or more */
	int stats;		/* --stats given */
	int64_t stats_ms;	/* its interval; 0: summary only */
	const char *metrics_file;
	const char *reject;
	size_t max_line;
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

/* -b BROKERS, -G GROUP, -X prop=value and -e are Kafka's, as in kcat (kafka.h). */
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
	"common options: [-hqvV] [--stats[=SECONDS]] [--metrics-file PATH] [--reject FILE]\n" \
	"                [--max-line BYTES] [--from kafka:TOPIC[,TOPIC...]] [--to kafka:TOPIC]\n" \
	"                [-b BROKERS] [-G GROUP] [-X prop=value] [--offset beginning|end|stored]\n" \
	"                [-e]"

/* cli_init sets progname and the defaults, and sets up signals. */
void cli_init(struct cli *c, const char *name, const char *usage);

/*
 * cli_option handles one common option from getopt_long: returns 1 if
 * it was one (-h and -V print and exit 0; a bad value exits 2), 0 if
 * not. Programs call it from the default case of their switch.
 */
int cli_option(struct cli *c, int ch, const char *arg);

/* cli_no_input exits 2 when --from was given to a program (or source) that reads no records. */
void cli_no_input(const char *what);

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

/* cli_signals: SIGINT/SIGTERM set cli_stop (interrupting reads); SIGPIPE default (quiet end). */
void cli_signals(void);

#endif
