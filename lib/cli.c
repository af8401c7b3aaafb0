#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ts.h"

void
cli_init(struct cli *c, const char *name, const char *usage, unsigned takes)
{
	memset(c, 0, sizeof *c);
	progname = name;
	c->usage = usage;
	c->takes = takes;
	c->max_line = LINE_MAX_DEFAULT;
	sig_init();
}

/* applies refuses an option of a group the program does not take. */
static void
applies(const struct cli *c, unsigned group, const char *opt)
{
	static const char *why[] = { "reads no records", "writes no records", "rejects nothing" };
	int i;

	if (c->takes & group)
		return;
	for (i = 0; (group >> i) != 1; i++)
		;
	fs_errx(EXIT_USAGE, "%s does not apply: %s %s", opt, progname, why[i]);
}

/*
 * stats_interval takes a duration (10s, 500ms) or, as before, a plain
 * number of seconds.
 */
static int64_t
stats_interval(const char *arg)
{
	int64_t ms;

	if (strspn(arg, "0123456789.") == strlen(arg))
		ms = (int64_t)(cli_double(arg, 0.001, 86400, "stats interval") * 1000);
	else
		ms = cli_duration(arg, "stats interval");
	if (ms < 1 || ms > 86400000)
		fs_errx(EXIT_USAGE, "invalid stats interval '%s': not between 1ms and 1d", arg);
	return ms;
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
		c->io.kafka.verbose = c->verbose;
		c->io.kafka.say_waits = c->verbose > 0 || c->stats;
		return 1;
	case OPT_STATS:
		c->stats = 1;
		c->stats_ms = arg ? stats_interval(arg) : 10000;
		c->io.kafka.say_waits = 1;
		return 1;
	case OPT_METRICS_FILE:
		c->metrics_file = arg;
		return 1;
	case OPT_REJECT:
		applies(c, CLI_REJECT, "--reject");
		c->reject = arg;
		return 1;
	case OPT_FROM:
		applies(c, CLI_IN, "--from");
		if (io_topic(arg) == NULL || *io_topic(arg) == '\0')
			fs_errx(EXIT_USAGE, "invalid from '%s': not kafka:TOPIC (name files as arguments)", arg);
		c->io.from = arg;
		return 1;
	case OPT_TO:
		applies(c, CLI_OUT, "--to");
		if (io_topic(arg) == NULL || *io_topic(arg) == '\0')
			fs_errx(EXIT_USAGE, "invalid to '%s': not kafka:TOPIC (stdout is the default)", arg);
		c->io.to = arg;
		return 1;
	case OPT_OFFSET:
		applies(c, CLI_IN, "--offset");
		if (strcmp(arg, "beginning") != 0 && strcmp(arg, "end") != 0 &&
		    strcmp(arg, "stored") != 0)
			fs_errx(EXIT_USAGE, "invalid offset '%s': not beginning, end or stored", arg);
		c->io.kafka.offset = arg;
		return 1;
	case 'b':
		c->io.kafka.brokers = arg;
		return 1;
	case 'G':
		applies(c, CLI_IN, "-G");
		c->io.kafka.group = arg;
		return 1;
	case 'X':
		/* Checked against librdkafka's names when a topic is opened (io.h): exit 2 there. */
		if (strchr(arg, '=') == NULL || *arg == '=')
			fs_errx(EXIT_USAGE, "invalid property '%s': not name=value", arg);
		if (c->io.kafka.nprops >= KAFKA_MAX_PROPS)
			fs_errx(EXIT_USAGE, "too many -X properties (at most %d)", KAFKA_MAX_PROPS);
		c->io.kafka.props[c->io.kafka.nprops++] = arg;
		return 1;
	case 'e':
		applies(c, CLI_IN, "-e");
		c->io.kafka.exit_at_end = 1;
		return 1;
	case OPT_MAX_LINE:
		applies(c, CLI_IN, "--max-line");
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

int
cli_list(const char **s, const char **item, size_t *n)
{
	if (*s == NULL)
		return 0;
	*item = *s;
	*n = strcspn(*s, ",");
	*s = (*s)[*n] == ',' ? *s + *n + 1 : NULL;
	return 1;
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
