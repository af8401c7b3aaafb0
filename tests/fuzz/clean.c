/* fuzz/clean: a record through fs-clean's parser, checks, track and emitter. */
#include <math.h>

#include "clean.h"
#include "fuzz.h"

struct ctx {
	struct clean_opts o;
	struct track *tk;
	struct event ev;
	struct buf out;
};

static void
one(const char *p, size_t n, void *arg)
{
	struct ctx *c = arg;
	struct rec r;
	struct kin k;
	const char *code;
	char msg[256];
	size_t start, end;
	/* A fixed clock: the same input takes the same path every run. */
	int64_t now = 1795000000000;

	if (event_parse(&c->ev, p, n, &code, msg, sizeof msg) != 0)
		return;
	if (check_record(&c->ev, &c->o, now, &r, &code, msg, sizeof msg) != 0)
		return;
	if (track_record(c->tk, &r, &k) == 1)
		return;
	buf_reset(&c->out);
	if (c->ev.nedits == 0) {
		event_object(&c->ev, &start, &end);
		emit_record(&c->out, &c->ev, p + start, end - start, &r, &k, c->o.grid, now);
	} else
		emit_record(&c->out, &c->ev, NULL, 0, &r, &k, c->o.grid, now);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct ctx c;

	if (!init) {
		emit_init();
		init = 1;
	}
	memset(&c, 0, sizeof c);
	/* fs-clean's defaults (cmd/fs-clean/main.c), with small caps so eviction is reached. */
	c.o.dedup_window_ms = 10 * 60 * 1000;
	c.o.expire_ms = 30 * 60 * 1000;
	c.o.max_future_ms = 24 * 3600 * 1000;
	c.o.clock_check = size % 2;
	c.o.grid = 1.0;
	c.o.max_speed = 350;
	c.o.jump_factor = 4.0 / 3;
	c.o.jump_floor = 103;
	c.o.jump_slack = 500;
	c.o.spike_rate = 25;
	c.o.spike_slack = 90;
	c.o.stuck_distance = 200;
	c.o.reanchor_ms = 60 * 1000;
	c.o.phase_window_ms = 60 * 1000;
	c.o.phase_dwell_ms = 15 * 1000;
	c.o.max_aircraft = 4;
	c.o.dedup_max = 16;
	c.tk = track_new(&c.o);
	event_init(&c.ev);
	fuzz_lines(data, size, one, &c);
	event_free(&c.ev);
	buf_free(&c.out);
	track_free(c.tk);
	return 0;
}
