/*
 * pace: playing records at the pace of their event time.
 *
 * The first record sets the origin: event time t is due at
 * mono0 + (t - t0) / speed on the monotonic clock. A record that is
 * already due (speed 0 means "max", or it is earlier than the records
 * before it) goes at once. Sources call pace_wait before each record.
 */
#ifndef FS_PACE_H
#define FS_PACE_H

#include <stdint.h>

struct pace {
	double speed;		/* 0: as fast as possible */
	int started;
	int64_t t0, mono0;
};

/* pace_init: speed > 0 is a factor of real time, 0 is max. */
void pace_init(struct pace *p, double speed);

/*
 * pace_wait returns when event time t is due. It sleeps in naps of at
 * most 100 ms and calls before_sleep(arg) (if not NULL) before each, so
 * output goes out and progress is reported while the program waits. Returns 0, or -1 when SIGINT or SIGTERM stopped it.
 */
int pace_wait(struct pace *p, int64_t t, void (*before_sleep)(void *), void *arg);

/*
 * pace_parse_speed reads --speed: "max" or a factor > 0 (at most 1e6);
 * exits 2 on anything else.
 */
double pace_parse_speed(const char *s);

#endif
