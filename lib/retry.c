#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "sig.h"
#include "retry.h"
#include "ts.h"

int
retry_backoff(int *n, int retries, int64_t max_ms, int verbose, const char *what,
    const char *err)
{
	static int seeded;
	int64_t delay, until, nap;
	struct timespec ts;

	if (!seeded) {
		srandom((unsigned)(getpid() ^ ts_now_ms()));
		seeded = 1;
	}
	if (*n >= retries) {
		fs_warnx("%s: %s; giving up after %d %s", what, err, retries,
		    retries == 1 ? "retry" : "retries");
		return -1;
	}
	/*
	 * Exponential, from 100 ms up to max_ms, with jitter so that clients
	 * spread out. The jitter takes at most a quarter off, so that a budget
	 * lasts a known time: the sinks' default (10 retries up to 30 s) waits
	 * 61 to 81 s in all, past a server restart with crash recovery.
	 */
	delay = *n >= 20 ? max_ms : 100LL << *n;
	if (delay > max_ms)
		delay = max_ms;
	delay = delay - delay / 4 + (delay > 3 ? random() % (delay / 4 + 1) : 0);
	(*n)++;
	if (verbose >= 0)
		fs_warnx("%s: %s; retry %d of %d in %.1fs", what, err, *n, retries,
		    (double)delay / 1000);
	until = ts_mono_ms() + delay;
	while (sig_count < 2 && (nap = until - ts_mono_ms()) > 0) {
		if (nap > 100)
			nap = 100;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)nap * 1000000;
		nanosleep(&ts, NULL);
	}
	if (sig_count >= 2) {
		fs_warnx("%s: stopped by a second signal while waiting to retry", what);
		return -1;
	}
	return 0;
}
