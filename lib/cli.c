#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kafka.h"
#include "ndjson.h"
#include "ts.h"

const char *progname = "flightstream";
volatile sig_atomic_t cli_stop;
volatile sig_atomic_t cli_signal_count;

static void
vwarn(int with_errno, const char *fmt, va_list ap)
{
	int e = errno;

	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	if (with_errno)
		fprintf(stderr, ": %s", strerror(e));
	fputc('\n', stderr);
}

void
fs_err(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(1, fmt, ap);
	va_end(ap);
	exit(status);
}

void
fs_errx(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(0, fmt, ap);
	va_end(ap);
	exit(status);
}

void
fs_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(1, fmt, ap);
	va_end(ap);
}

void
fs_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(0, fmt, ap);
	va_end(ap);
}

static void
on_stop(int sig)
{
	(void)sig;
	cli_stop = 1;
	cli_signal_count++;
}

void
cli_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: a blocked read returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_DFL);
}

void
cli_init(struct cli *c, const char *name, const char *usage)
{
	memset(c, 0, sizeof *c);
	progname = name;
	c->usage = usage;
	c->max_line = NDJSON_MAX_LINE_DEFAULT;
	cli_signals();
}

void
cli_usage(const struct cli *c)
{
	fprintf(stderr, "usage: %s\n", c->usage);
	exit(EXIT_USAGE);
}

int
cli_option(struct cli *c, int ch, const char *arg)
{
	switch (ch) {
	case 'h':
		printf("usage: %s\n", c->usage);
		exit(fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL);
	case 'V':
		printf("%s %s\n", progname, FS_VERSION);
		exit(fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL);
	case 'q':
		c->verbose = -1;
		return 1;
	case 'v':
		c->verbose = c->verbose < 0 ? 1 : c->verbose + 1;
		kafka_conf.verbose = c->verbose;
		return 1;
	case OPT_STATS:
		c->stats = 1;
		c->stats_ms = arg ? (int64_t)(cli_double(arg, 0.001, 86400, "stats interval") * 1000) : 10000;
		return 1;
	case OPT_METRICS_FILE:
		c->metrics_file = arg;
		return 1;
	case OPT_REJECT:
		c->reject = arg;
		return 1;
	case OPT_FROM:
		if (kafka_uri(arg) == NULL || *kafka_uri(arg) == '\0')
			fs_errx(EXIT_USAGE, "invalid from '%s': not kafka:TOPIC (name files as arguments)", arg);
		kafka_conf.from = arg;
		return 1;
	case OPT_TO:
		if (kafka_uri(arg) == NULL || *kafka_uri(arg) == '\0')
			fs_errx(EXIT_USAGE, "invalid to '%s': not kafka:TOPIC (stdout is the default)", arg);
		kafka_conf.to = arg;
		return 1;
	case OPT_OFFSET:
		if (strcmp(arg, "beginning") != 0 && strcmp(arg, "end") != 0 &&
		    strcmp(arg, "stored") != 0)
			fs_errx(EXIT_USAGE, "invalid offset '%s': not beginning, end or stored", arg);
		kafka_conf.offset = arg;
		return 1;
	case 'b':
		kafka_conf.brokers = arg;
		return 1;
	case 'G':
		kafka_conf.group = arg;
		return 1;
	case 'X':
		if (kafka_option(arg) != 0)
			exit(EXIT_USAGE);
		return 1;
	case 'e':
		kafka_conf.exit_at_end = 1;
		return 1;
	case OPT_MAX_LINE:
		c->max_line = cli_size(arg, "max-line");
		if (c->max_line < 16)
			fs_errx(EXIT_USAGE, "invalid max-line '%s': below 16 bytes", arg);
		return 1;
	case '?':
	case ':':
		cli_usage(c);
	}
	return 0;
}

void
cli_no_input(const char *what)
{
	if (kafka_conf.from != NULL)
		fs_errx(EXIT_USAGE, "%s reads no records: --from does not apply", what);
}

long long
cli_num(const char *s, long long min, long long max, const char *name)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || strspn(s, "+-0123456789") != strlen(s))
		fs_errx(EXIT_USAGE, "invalid %s '%s': not an integer", name, s);
	if (errno == ERANGE && v == LLONG_MAX)
		v = max < LLONG_MAX ? max + 1 : max;
	if ((errno == ERANGE && v == LLONG_MIN) || v < min)
		fs_errx(EXIT_USAGE, "invalid %s '%s': below %lld", name, s, min);
	if (v > max)
		fs_errx(EXIT_USAGE, "invalid %s '%s': above %lld", name, s, max);
	return v;
}

double
cli_double(const char *s, double min, double max, const char *name)
{
	char *end;
	double v;

	v = strtod(s, &end);
	/* strtod also takes hex, "inf" and leading blanks: a user means none of them. */
	if (end == s || *end != '\0' || isnan(v) || strspn(s, "+-.0123456789eE") != strlen(s))
		fs_errx(EXIT_USAGE, "invalid %s '%s': not a number", name, s);
	if (v < min)
		fs_errx(EXIT_USAGE, "invalid %s '%s': below %g", name, s, min);
	if (v > max)
		fs_errx(EXIT_USAGE, "invalid %s '%s': above %g", name, s, max);
	return v;
}

int64_t
cli_duration(const char *s, const char *name)
{
	int64_t ms;

	if (ts_parse_duration(s, &ms) != 0)
		fs_errx(EXIT_USAGE, "invalid %s '%s': not a duration like 500ms, 90s, 10m, 2h or 1d", name, s);
	return ms;
}

size_t
cli_size(const char *s, const char *name)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || *s == '-' || errno == ERANGE)
		fs_errx(EXIT_USAGE, "invalid %s '%s': not a size", name, s);
	if (*end == 'K' || *end == 'k')
		shift = 10, end++;
	else if (*end == 'M' || *end == 'm')
		shift = 20, end++;
	else if (*end == 'G' || *end == 'g')
		shift = 30, end++;
	if (*end != '\0')
		fs_errx(EXIT_USAGE, "invalid %s '%s': not a size like 1024, 64K or 1M", name, s);
	if (v > (1ULL << 34) >> shift)
		fs_errx(EXIT_USAGE, "invalid %s '%s': above 16G", name, s);
	return (size_t)(v << shift);
}
