/*
 * fuzz/fuzz_live.h: what the opensky and readsb harnesses share. Each
 * includes its source's .c file, for its static convert(), and runs one
 * response body through it with the program's own writer, on a
 * standard output sent to /dev/null.
 */
#ifndef FS_FUZZ_LIVE_H
#define FS_FUZZ_LIVE_H

#include <fcntl.h>
#include <unistd.h>

#include "fuzz.h"

static void
fuzz_live_init(void)
{
	static int done;
	int fd;

	if (done)
		return;
	done = 1;
	if ((fd = open("/dev/null", O_WRONLY)) < 0 || dup2(fd, STDOUT_FILENO) < 0)
		abort();
	close(fd);
}

/* fuzz_live_start sets lv up as a quiet `--once` run would be. */
static void
fuzz_live_start(struct live *lv)
{
	fuzz_live_init();
	live_init(lv, 1000, 1000);
	lv->cli.verbose = -1;
	lv->once = 1;
	if (live_start(lv) != 0)
		abort();
}

#endif
