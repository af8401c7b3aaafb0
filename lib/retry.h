/*
 * retry: waiting before trying a service again.
 *
 * The sinks and the HTTP sources retry what failed for a reason that
 * may pass (a lost connection, a server restarting): after 100 ms, then
 * twice as long each time up to a ceiling, with jitter (up to a quarter
 * less) so that many clients do not come back at once, for a bounded
 * number of times: retry k waits 3/4 to all of min(100 ms << k, max).
 */
#ifndef FS_RETRY_H
#define FS_RETRY_H

#include <stdint.h>

/*
 * retry_backoff sleeps before retry number *n + 1 of at most retries,
 * and counts it in *n. what and err say what failed, for the messages
 * (one per retry unless verbose < 0). It sleeps in naps of 100 ms: the
 * first SIGINT or SIGTERM lets it go on (the work at hand is still
 * finished), a second gives up. Returns 0, or -1 with a message when
 * the retries are used up or a second signal came.
 */
int retry_backoff(int *n, int retries, int64_t max_ms, int verbose,
    const char *what, const char *err);

#endif
