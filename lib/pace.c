#include <errno.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "sig.h"
#include "pace.h"
#include "ts.h"

#define PACE_NAP_MS 100

void
pace_init(struct pace *p, double speed)
{
	memset(p, 0, sizeof *p);
	p->speed = speed;
}

int
pace_wait(struct pace *p, int64_t t, void (*before_sleep)(void *), void *arg)
{
	int64_t due, now, nap;
	struct timespec ts;

	if (sig_stop)
		return -1;
	if (p->speed <= 0)
		return 0;
	if (!p->started) {
		p->started = 1;
		p->t0 = t;
		p->mono0 = ts_mono_ms();
		return 0;
	}
	due = p->mono0 + (int64_t)((double)(t - p->t0) / p->speed);
	while ((now = ts_mono_ms()) < due) {
		if (before_sleep != NULL) {
			before_sleep(arg);
			if ((now = ts_mono_ms()) >= due)
				break;
		}
		/* Short naps: the hook runs often (stats) and a signal is seen soon. */
		nap = due - now < PACE_NAP_MS ? due - now : PACE_NAP_MS;
		ts.tv_sec = nap / 1000;
		ts.tv_nsec = (long)(nap % 1000) * 1000000L;
		if (nanosleep(&ts, NULL) != 0 && errno == EINTR && sig_stop)
			return -1;
		if (sig_stop)
			return -1;
	}
	return sig_stop ? -1 : 0;
}

double
pace_parse_speed(const char *s)
{
	if (strcmp(s, "max") == 0)
		return 0;
	return cli_double(s, 1e-6, 1e6, "speed");
}
