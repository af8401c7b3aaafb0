/*
 * fuzz/score: records through fs-score's feature reader and scorer,
 * with the model in tests/fuzz/score.model (FUZZ_DIR), and the rewrite
 * of a record that was scored before.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "score.h"
#include "fuzz.h"

static struct model m;
static struct featmap fm;

struct ctx {
	struct event ev;
	struct buf out;
};

static void
one(const char *p, size_t n, void *arg)
{
	static const char *const own[] = { "anomaly_score", "is_anomaly", "velocity_anomaly",
		"altitude_anomaly", "anomaly_reasons" };
	struct ctx *c = arg;
	struct evidence e;
	double raw[MAX_FEATURES], x[MAX_FEATURES], v, s;
	const char *code;
	char msg[256];
	size_t i;
	int f;

	if (event_parse(&c->ev, p, n, &code, msg, sizeof msg) != 0)
		return;
	features(&c->ev, &fm, m.nfeat, raw, &e);
	/* As scale_row in cmd/fs-score/main.c. */
	for (f = 0; f < m.nfeat; f++) {
		v = isnan(raw[f]) ? 0 : (raw[f] - m.center[f]) / m.scale[f];
		x[f] = v > DBL_MAX ? DBL_MAX : v < -DBL_MAX ? -DBL_MAX : v;
	}
	s = iforest_score(&m, x);
	if (!(s >= 0 && s <= 1))
		__builtin_trap();
	if (e.phase < 0 || e.phase >= PHASE_COUNT)
		__builtin_trap();
	if (e.own) {
		for (i = 0; i < sizeof own / sizeof own[0]; i++)
			event_del(&c->ev, own[i]);
		buf_reset(&c->out);
		event_write(&c->ev, &c->out);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct ctx c;
	char err[512];

	if (!init) {
		if (model_load(&m, FUZZ_DIR "/score.model", err, sizeof err) != 0) {
			fprintf(stderr, "fuzz/score: %s\n", err);
			abort();
		}
		featmap_init(&fm, m.feat, m.nfeat);
		init = 1;
	}
	memset(&c, 0, sizeof c);
	event_init(&c.ev);
	fuzz_lines(data, size, one, &c);
	event_free(&c.ev);
	buf_free(&c.out);
	return 0;
}
