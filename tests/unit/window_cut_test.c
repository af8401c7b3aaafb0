/*
 * window_cut_test: fs-window's cuts (state_cut) against a crash.
 *
 * Random streams of events of many keys, out of order by less than the
 * lateness, spread over partition slots (by key, as the producers key
 * them, or at random), go through the window state, with a cut now and
 * then as fs-window takes them. At a random point the run "crashes":
 * what it wrote stays written, and a fresh state reads again, in the
 * same order, every event at or after the last cut of its slot, to the
 * end. The last copy of each window must be the window of a run without
 * a crash, and every copy must equal the last: no window partial. The
 * cuts must never go back, and name the token of the event they are at.
 * In order and by key, the cuts must move on; out of order they may not
 * (the windows chain together), which the test shows but allows.
 */
#include "t.h"

#include "../../cmd/fs-window/agg.c"
#include "../../cmd/fs-window/fields.c"
#include "../../cmd/fs-window/state.c"
#include "rng.h"

#define MAXSLOTS 8

/* The window records written, as text. */
struct recs {
	char **v;
	size_t n, cap;
};

static int
collect(void *arg, const char *rec, size_t len)
{
	struct recs *r = arg;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->v = xrealloc(r->v, r->cap * sizeof *r->v);
	}
	r->v[r->n] = xmalloc(len + 1);
	memcpy(r->v[r->n], rec, len);
	r->v[r->n][len] = '\0';
	r->n++;
	return 0;
}

static void
recs_free(struct recs *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i]);
	free(r->v);
	memset(r, 0, sizeof *r);
}

struct ev {
	int64_t t, arrive;
	int key, slot;
	int64_t offset;
};

static int
by_arrival(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	return (x->arrive > y->arrive) - (x->arrive < y->arrive);
}

static uint64_t
tok_of(int slot, int64_t offset)
{
	return ((uint64_t)slot << 40 | (uint64_t)offset) + 1;
}

/* stream makes n events of nkeys keys over nslots slots (by key, or at random), out of order by < disorder. */
static struct ev *
stream(struct rng *r, int n, int nkeys, int nslots, int bykey, int64_t step, int64_t disorder)
{
	struct ev *e = xcalloc((size_t)n, sizeof *e);
	int64_t *next = xcalloc((size_t)nkeys, sizeof *next), offs[MAXSLOTS] = { 0 };
	int i, k;

	for (k = 0; k < nkeys; k++)
		next[k] = 1767225600000LL + (int64_t)rng_below(r, (uint64_t)step);
	for (i = 0; i < n; i++) {
		k = (int)rng_below(r, (uint64_t)nkeys);
		e[i].key = k;
		e[i].t = next[k];
		next[k] += step + (rng_chance(r, 0.03) ? (int64_t)rng_below(r, 30 * step) : 0);
		e[i].arrive = e[i].t + (disorder > 0 ? (int64_t)rng_below(r, (uint64_t)disorder) : 0);
		e[i].slot = bykey ? k % nslots : (int)rng_below(r, (uint64_t)nslots);
	}
	qsort(e, (size_t)n, sizeof *e, by_arrival);
	for (i = 0; i < n; i++)
		e[i].offset = offs[e[i].slot]++;
	free(next);
	return e;
}

static void
add(struct wstate *st, const struct window_opts *o, const struct ev *e, int64_t *maxt, int star)
{
	struct recvals rv = { 0, NAN, NAN, NAN, -1, 0 };
	char key[16];
	int64_t ls, le;

	rv.t = e->t;
	rv.aircraft = (uint64_t)e->key + 1;
	snprintf(key, sizeof key, "k%03d", e->key);
	state_where(st, e->slot, e->offset, tok_of(e->slot, e->offset));
	state_add(st, 0, key, strlen(key), &rv, &ls, &le);
	if (star)
		state_add(st, 1, "*", 1, &rv, &ls, &le);
	if (e->t > *maxt)
		*maxt = e->t;
	state_advance(st, *maxt - o->lateness_ms);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ident is the window and key of a record: its text up to "event_count". */
static size_t
ident(const char *rec)
{
	const char *p = strstr(rec, ",\"event_count\"");

	return p ? (size_t)(p - rec) : strlen(rec);
}

/*
 * crash runs the stream to event crash_at with cuts, then again from the
 * cuts to the end, and checks the records written against ref.
 */
static void
crash(const char *name, const struct window_opts *o, const struct ev *e, int n, int nslots,
    int star, struct rng *r, const struct recs *ref, int64_t *progress)
{
	struct recs out = { 0 };
	struct wstate *st = state_new(o, collect, &out);
	int64_t x[MAXSLOTS], committed[MAXSLOTS], next[MAXSLOTS], maxt = INT64_MIN;
	uint64_t tok[MAXSLOTS];
	int crash_at = (int)rng_below(r, (uint64_t)n), i, s, back = 0, badtok = 0, seen[MAXSLOTS] = { 0 };
	size_t j, k, bad = 0, partial = 0;
	char **last;

	for (s = 0; s < MAXSLOTS; s++)
		committed[s] = next[s] = 0;
	for (i = 0; i < crash_at; i++) {
		add(st, o, &e[i], &maxt, star);
		next[e[i].slot] = e[i].offset + 1;
		seen[e[i].slot] = 1;
		if (rng_chance(r, 0.01)) {
			for (s = 0; s < nslots; s++) {
				x[s] = next[s];
				tok[s] = 0;
			}
			state_cut(st, x, tok);
			for (s = 0; s < nslots; s++) {
				if (!seen[s])
					continue;
				if (x[s] < committed[s])
					back++;
				if (x[s] < next[s] && tok[s] != tok_of(s, x[s]))
					badtok++;
				if (x[s] > committed[s])
					committed[s] = x[s];
			}
		}
	}
	state_free(st);
	for (s = 0; s < nslots; s++)
		*progress += committed[s];
	/* The replay: from the cut of each slot, in the same order, to the end. */
	st = state_new(o, collect, &out);
	maxt = INT64_MIN;
	for (i = 0; i < n; i++)
		if (e[i].offset >= committed[e[i].slot])
			add(st, o, &e[i], &maxt, star);
	state_flush(st);
	state_free(st);

	t_int(0, back, "%s: the cuts never go back", name);
	t_int(0, badtok, "%s: a cut names the token of its event", name);
	/* The last copy of each window, and whether any copy differs from it. */
	last = xcalloc(out.n, sizeof *last);
	for (j = out.n, k = 0; j-- > 0;) {
		size_t m, id = ident(out.v[j]);
		int dup = 0;

		for (m = 0; m < k; m++)
			if (ident(last[m]) == id && strncmp(last[m], out.v[j], id) == 0) {
				dup = 1;
				if (strcmp(last[m], out.v[j]) != 0 && partial++ == 0)
					t_diag("copy %s, last %s", out.v[j], last[m]);
				break;
			}
		if (!dup)
			last[k++] = out.v[j];
	}
	qsort(last, k, sizeof *last, cmp_str);
	t_uint(ref->n, k, "%s: as many windows as without a crash", name);
	for (j = 0; j < k && j < ref->n; j++)
		if (strcmp(last[j], ref->v[j]) != 0 && bad++ == 0)
			t_diag("window %zu: want %s got %s", j, ref->v[j], last[j]);
	t_uint(0, bad, "%s: the last copies are the windows without a crash", name);
	t_uint(0, partial, "%s: no copy of a window differs from its last", name);
	free(last);
	recs_free(&out);
}

static void
test(int seed, int64_t size, int64_t hop, int64_t gap, int nslots, int bykey, int star, int64_t disorder)
{
	struct window_opts o = { 0 };
	struct recs ref = { 0 };
	struct wstate *st;
	struct ev *e;
	struct rng r;
	char name[160];
	int64_t maxt = INT64_MIN, progress = 0;
	int i, n = 6000, round;

	o.size_ms = size;
	o.hop_ms = hop ? hop : size;
	o.gap_ms = gap;
	o.lateness_ms = 60000;
	o.max_keys = 1000000;
	rng_seed(&r, (uint64_t)seed);
	e = stream(&r, n, 40, nslots, bykey, 5000, disorder);
	st = state_new(&o, collect, &ref);
	for (i = 0; i < n; i++)
		add(st, &o, &e[i], &maxt, star);
	state_flush(st);
	state_free(st);
	qsort(ref.v, ref.n, sizeof *ref.v, cmp_str);
	for (round = 0; round < 4; round++) {
		snprintf(name, sizeof name, "seed %d %s %lld/%lld, %d slots %s%s, disorder %lld, crash %d",
		    seed, gap ? "sessions" : "windows", (long long)(gap ? gap : size),
		    (long long)o.hop_ms, nslots, bykey ? "by key" : "at random",
		    star ? ", with *" : "", (long long)disorder, round);
		crash(name, &o, e, n, nslots, star, &r, &ref, &progress);
	}
	/*
	 * Records of different keys out of order chain windows together
	 * across every boundary, and then no cut splits none: the cuts
	 * stay (fs-window(1), KAFKA). In order, by key, they move on.
	 */
	if (bykey && !star && disorder == 0)
		t_ok(progress > 0, "seed %d: in order, by key, the cuts move on (%lld)", seed,
		    (long long)progress);
	else
		t_diag("%s: the cuts got to %lld in all", name, (long long)progress);
	recs_free(&ref);
	free(e);
}

int
main(void)
{
	int seed;

	for (seed = 1; seed <= 3; seed++) {
		test(seed, 60000, 0, 0, 3, 1, 0, 0);		/* tumbling, by key, in order */
		test(seed, 60000, 0, 0, 3, 1, 0, 20000);	/* out of order */
		test(seed, 60000, 0, 0, 3, 1, 0, 1000);	/* a little out of order */
		test(seed, 60000, 0, 0, 4, 1, 1, 20000);	/* with "*" over every slot */
		test(seed, 60000, 0, 0, 4, 0, 1, 20000);	/* keys over every slot */
		test(seed, 60000, 20000, 0, 3, 1, 1, 10000);	/* hopping */
		test(seed, 0, 0, 30000, 3, 1, 0, 20000);	/* sessions */
		test(seed, 0, 0, 30000, 4, 0, 1, 20000);	/* sessions over every slot, with "*" */
	}
	return t_done();
}
