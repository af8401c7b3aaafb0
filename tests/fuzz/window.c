/* fuzz/window: records through fs-window's field readers, keys and window state. */
#include "window.h"
#include "fuzz.h"

struct ctx {
	struct window_opts o;
	struct fieldmap fm;
	struct wstate *ws;
	struct event ev;
	struct buf key;
};

/* emit takes a window record and checks it is one line, as the writer would need. */
static int
emit(void *arg, const char *rec, size_t len)
{
	if (len == 0 || rec[len - 1] != '\n' || memchr(rec, '\n', len - 1) != NULL)
		__builtin_trap();
	return 0;
}

static void
one(const char *p, size_t n, void *arg)
{
	struct ctx *c = arg;
	struct recvals rv;
	const char *code;
	char msg[256];
	int64_t t, ls, le;
	int g;

	if (event_parse(&c->ev, p, n, &code, msg, sizeof msg) != 0)
		return;
	if (record_time(&c->ev, &t, &code, msg, sizeof msg) != 0)
		return;
	record_values(&c->ev, &c->fm, &rv);
	rv.t = t;
	for (g = 0; g < c->o.ngroups; g++) {
		if (record_key(&c->ev, &c->fm, &c->o.g[g], &c->key) != 0)
			continue;
		state_add(c->ws, g, c->key.p, c->key.len, &rv, &ls, &le);
	}
	if (t - c->o.lateness_ms > state_watermark(c->ws))
		state_advance(c->ws, t - c->o.lateness_ms);
}

static void
by(struct window_opts *o, const char *spec, const char *const *names, int n)
{
	struct grouping *g = &o->g[o->ngroups++];
	int i;

	g->spec = spec;
	g->star = n == 0;
	for (i = 0; i < n; i++) {
		g->f[i].name = (char *)names[i];
		g->f[i].len = strlen(names[i]);
	}
	g->nfields = n;
	g->plain = n == 1 && strcmp(names[0], "icao24") == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const icao[] = { "icao24" };
	static const char *const grid[] = { "grid_x", "grid_y" };
	static const char *const user[] = { "callsign", "flight_phase" };
	struct ctx c;

	memset(&c, 0, sizeof c);
	/* The last byte picks the kind of window, so the corpus covers each. */
	switch (size > 0 ? data[size - 1] % 3 : 0) {
	case 0:
		c.o.size_ms = c.o.hop_ms = 60 * 1000;
		break;
	case 1:
		c.o.size_ms = 60 * 1000;
		c.o.hop_ms = 20 * 1000;
		break;
	default:
		c.o.gap_ms = 30 * 1000;
	}
	c.o.lateness_ms = 5 * 1000;
	c.o.max_keys = 4;
	by(&c.o, "*", NULL, 0);
	by(&c.o, "icao24", icao, 1);
	by(&c.o, "grid_x,grid_y", grid, 2);
	by(&c.o, "callsign,flight_phase", user, 2);
	fieldmap_init(&c.fm, &c.o);
	c.ws = state_new(&c.o, emit, &c);
	event_init(&c.ev);
	fuzz_lines(data, size, one, &c);
	state_flush(c.ws);
	state_free(c.ws);
	event_free(&c.ev);
	buf_free(&c.key);
	return 0;
}
