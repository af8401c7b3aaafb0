/*
 * fs-produce: write position records from a source to stdout.
 * The source is the first argument; see fs-produce(1).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "produce.h"

static const struct {
	const char *name;
	int (*run)(int, char **);
} sources[] = {
	{ "sim", produce_sim },
	{ "replay", produce_replay },
	{ "opensky", produce_opensky },
	{ "readsb", produce_readsb },
	{ "mongo", produce_mongo },
};

int
main(int argc, char **argv)
{
	struct cli c;
	size_t i;

	cli_init(&c, "fs-produce", PRODUCE_USAGE, 0);
	if (argc < 2)
		cli_usage(&c);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		cli_option(&c, 'h', NULL);
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)
		cli_option(&c, 'V', NULL);
	for (i = 0; i < sizeof sources / sizeof sources[0]; i++)
		if (strcmp(argv[1], sources[i].name) == 0) {
			/* getopt names argv[0] in its messages: make it ours. */
			argv[1] = (char *)progname;
			return sources[i].run(argc - 1, argv + 1);
		}
	fs_warnx("unknown source '%s'", argv[1]);
	cli_usage(&c);
}
