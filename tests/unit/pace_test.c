/*
 * Tests of lib/pace: playing event time at a speed. Timings are checked
 * only from below (a wait is at least as long as it must be), never
 * from above, so a slow machine cannot fail them.
 */
#include <signal.h>
#include <sys/time.h>

#include "cli.h"
#include "pace.h"
#include "t.h"
#include "ts.h"

static int flushes;

static void
count_flush(void *arg)
{
	flushes++;
}

static void
speed_child(void *arg)
{
	pace_parse_speed(arg);
}

static void
test_parse_speed(void)
{
	static const struct {
		const char *in;
		double want;
		const char *err;
	} cases[] = {
		{ "max", 0, NULL },
		{ "1", 1, NULL },
		{ "60", 60, NULL },
		{ "0.5", 0.5, NULL },
		{ "1e6", 1e6, NULL },
		{ "0", 0, "invalid speed '0': below 1e-06" },
		{ "-1", 0, "invalid speed '-1': below 1e-06" },
		{ "1e7", 0, "invalid speed '1e7': above 1e+06" },
		{ "fast", 0, "invalid speed 'fast': not a number" },
		{ "MAX", 0, "invalid speed 'MAX': not a number" },
		{ "", 0, "invalid speed '': not a number" },
	};
	size_t i;
	char *err, want[256];

	for (i = 0; i < N(cases); i++) {
		if (cases[i].err == NULL) {
			t_near(cases[i].want, pace_parse_speed(cases[i].in), 0, "--speed %s", cases[i].in);
			continue;
		}
		t_int(2, t_child(speed_child, (void *)cases[i].in, NULL, &err), "--speed '%s' exits 2",
		    cases[i].in);
		snprintf(want, sizeof want, "fs-test: %s\n", cases[i].err);
		t_str(want, err, "--speed '%s': the message", cases[i].in);
		free(err);
	}
}

static void
test_wait(void)
{
	struct pace p;
	int64_t m0, el;
	int i, rc = 0;

	pace_init(&p, 0);
	m0 = ts_mono_ms();
	flushes = 0;
	for (i = 0; i < 1000; i++)
		rc |= pace_wait(&p, (int64_t)i * 3600000, count_flush, NULL);
	t_int(0, rc, "speed max: pace_wait returns 0");
	t_int(0, flushes, "speed max: never waits, so never flushes");

	/* Two records 2 s apart at speed 10: at least 0.2 s. */
	pace_init(&p, 10);
	flushes = 0;
	m0 = ts_mono_ms();
	t_int(0, pace_wait(&p, 1795176005000, count_flush, NULL), "speed 10: the first record goes at once");
	t_int(0, pace_wait(&p, 1795176007000, count_flush, NULL), "speed 10: the second record");
	el = ts_mono_ms() - m0;
	t_range(195, 1e9, (double)el, "speed 10: records 2 s apart take at least 0.2 s (took %lld ms)",
	    (long long)el);
	/* The hook runs before each nap of at most 100 ms: 2 to 3 times in 0.2 s. */
	t_range(2, 3, (double)flushes, "speed 10: the hook runs before each nap of the wait (%d)", flushes);
	flushes = 0;
	t_int(0, pace_wait(&p, 1795176006000, count_flush, NULL), "speed 10: an earlier record");
	t_int(0, flushes, "speed 10: an earlier record goes at once, without a flush");
	t_int(0, pace_wait(&p, 1795176007000, count_flush, NULL), "speed 10: a record at the same time");
	t_int(0, flushes, "speed 10: a record already due goes at once");

	/* A NULL hook is allowed. */
	pace_init(&p, 100);
	pace_wait(&p, 0, NULL, NULL);
	t_int(0, pace_wait(&p, 1000, NULL, NULL), "a NULL before_sleep hook");
}

static void
on_alarm(int sig)
{
	sig_stop = 1;
}

static void
test_stop(void)
{
	struct pace p;
	struct sigaction sa;
	struct itimerval it;

	pace_init(&p, 1);
	sig_stop = 1;
	t_int(-1, pace_wait(&p, 0, NULL, NULL), "pace_wait after a stop signal returns -1");
	sig_stop = 0;

	/* A stop signal during a one-minute wait ends it. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	memset(&it, 0, sizeof it);
	it.it_value.tv_usec = 100000;
	pace_init(&p, 1);
	pace_wait(&p, 0, NULL, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	t_int(-1, pace_wait(&p, 60000, count_flush, NULL), "a signal that stops the program ends a wait");
	t_int(1, sig_stop, "the stop flag is set");
	sig_stop = 0;
}

int
main(void)
{
	progname = "fs-test";
	test_parse_speed();
	test_wait();
	test_stop();
	return t_done();
}
