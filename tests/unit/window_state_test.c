/*
 * window_state_test: fs-window's windows against a model.
 *
 * Random streams of events for many keys, out of order by less than the
 * lateness, go through the window state; what it emits must be what a
 * brute-force grouping of all the events gives: the same windows, the
 * same counts, in order (tumbling and hopping), and nothing late. Also
 * the aircraft ids, the sets of aircraft and the null aggregates.
 */
#include "t.h"

#include "../../cmd/fs-window/agg.c"
#include "../../cmd/fs-window/fields.c"
#include "../../cmd/fs-window/state.c"
#include "rng.h"

/* One window as emitted, or as the model has it. */
struct got {
	int64_t start, end;
	char key[32];
	uint64_t n, late;
};

static struct got *got;
static size_t ngot, capgot;
static int flushing;
static size_t before_flush;

static int
collect(void *arg, const char *rec, size_t len)
{
	char s[32], e[32], key[32];
	unsigned long long n, late;
	const char *p;

	(void)arg;
	if (ngot == capgot) {
		capgot = capgot ? capgot * 2 : 1024;
		got = xrealloc(got, capgot * sizeof *got);
	}
	if (sscanf(rec, "{\"window_start\":\"%31[^\"]\",\"window_end\":\"%31[^\"]\",\"key\":\"%31[^\"]\","
	    "\"event_count\":%llu", s, e, key, &n) != 4 ||
	    (p = strstr(rec, "\"late_count\":")) == NULL || sscanf(p, "\"late_count\":%llu", &late) != 1) {
		t_ok(0, "a window record: %.*s", (int)len, rec);
		return 0;
	}
	ts_parse(s, strlen(s), &got[ngot].start);
	ts_parse(e, strlen(e), &got[ngot].end);
	snprintf(got[ngot].key, sizeof got[ngot].key, "%s", key);
	got[ngot].n = n;
	got[ngot].late = late;
	ngot++;
	if (!flushing)
		before_flush = ngot;
	return 0;
}

struct ev {
	int64_t t, arrive;
	int key;
};

static int
by_arrival(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	return (x->arrive > y->arrive) - (x->arrive < y->arrive);
}

static int
by_key_time(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	if (x->key != y->key)
		return x->key - y->key;
	return (x->t > y->t) - (x->t < y->t);
}

/* The model's order: start, then grouping (keys before "*"), then key. */
static int
by_window(const void *a, const void *b)
{
	const struct got *x = a, *y = b;
	int gx = strcmp(x->key, "*") == 0, gy = strcmp(y->key, "*") == 0;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (gx != gy)
		return gx - gy;
	return strcmp(x->key, y->key);
}

/*
 * stream makes n events of nkeys keys, each key reporting every step
 * ms with a random phase and, with holes, random gaps; they arrive out
 * of order by less than disorder ms.
 */
static struct ev *
stream(struct rng *r, int n, int nkeys, int64_t step, int64_t disorder, int holes)
{
	struct ev *e = xcalloc((size_t)n, sizeof *e);
	int64_t *next = xcalloc((size_t)nkeys, sizeof *next);
	int i, k;

	for (k = 0; k < nkeys; k++)
		next[k] = 1767225600000LL + (int64_t)rng_below(r, (uint64_t)step);
	for (i = 0; i < n; i++) {
		k = (int)rng_below(r, (uint64_t)nkeys);
		e[i].key = k;
		e[i].t = next[k];
		next[k] += step + (holes && rng_chance(r, 0.05) ? (int64_t)rng_below(r, 20 * step) : 0);
		e[i].arrive = e[i].t + (disorder > 0 ? (int64_t)rng_below(r, (uint64_t)disorder) : 0);
	}
	free(next);
	qsort(e, (size_t)n, sizeof *e, by_arrival);
	return e;
}

/* run feeds the events to a window state with groupings by key and "*"; the windows land in got. */
static void
run(const struct window_opts *o, const struct ev *e, int n, int *late)
{
	struct wstate *st = state_new(o, collect, NULL);
	struct recvals rv = { 0, NAN, NAN, NAN, -1, 0 };
	char key[16];
	int64_t ls, le, maxt = INT64_MIN;
	int i, rc;

	ngot = before_flush = 0;
	flushing = 0;
	*late = 0;
	for (i = 0; i < n; i++) {
		rv.t = e[i].t;
		rv.aircraft = (uint64_t)e[i].key + 1;
		snprintf(key, sizeof key, "k%03d", e[i].key);
		rc = state_add(st, 0, key, strlen(key), &rv, &ls, &le);
		*late += rc == 2;
		rc = state_add(st, 1, "*", 1, &rv, &ls, &le);
		*late += rc == 2;
		if (e[i].t > maxt)
			maxt = e[i].t;
		state_advance(st, maxt - o->lateness_ms);
	}
	flushing = 1;
	state_flush(st);
	state_free(st);
}

static void
add_model(struct got **m, size_t *nm, size_t *cap, int64_t start, int64_t end, const char *key)
{
	size_t i;

	for (i = 0; i < *nm; i++)
		if ((*m)[i].start == start && strcmp((*m)[i].key, key) == 0) {
			(*m)[i].n++;
			return;
		}
	if (*nm == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		*m = xrealloc(*m, *cap * sizeof **m);
	}
	memset(&(*m)[*nm], 0, sizeof **m);
	(*m)[*nm].start = start;
	(*m)[*nm].end = end;
	snprintf((*m)[*nm].key, sizeof (*m)[*nm].key, "%s", key);
	(*m)[(*nm)++].n = 1;
}

/* compare checks the windows emitted against the model, in order or as sets. */
static void
compare(const char *name, struct got *m, size_t nm, int ordered)
{
	size_t i, bad = 0;

	if (!ordered)
		qsort(got, ngot, sizeof *got, by_window);
	qsort(m, nm, sizeof *m, by_window);
	t_uint(nm, ngot, "%s: the number of windows", name);
	for (i = 0; i < nm && i < ngot; i++)
		if (m[i].start != got[i].start || m[i].end != got[i].end ||
		    strcmp(m[i].key, got[i].key) != 0 || m[i].n != got[i].n || got[i].late != 0) {
			if (bad++ == 0)
				t_diag("window %zu: want %lld..%lld %s n=%llu, got %lld..%lld %s n=%llu late=%llu",
				    i, (long long)m[i].start, (long long)m[i].end, m[i].key,
				    (unsigned long long)m[i].n, (long long)got[i].start,
				    (long long)got[i].end, got[i].key, (unsigned long long)got[i].n,
				    (unsigned long long)got[i].late);
		}
	t_uint(0, bad, "%s: every window as the model has it%s", name, ordered ? ", in order" : "");
}

static void
test_fixed(int seed, int64_t size, int64_t hop, int64_t lateness, int64_t disorder)
{
	struct window_opts o = { 0 };
	struct rng r;
	struct got *m = NULL;
	size_t nm = 0, cap = 0;
	struct ev *e;
	char name[128], key[16];
	int64_t s;
	int i, late, n = 20000;

	o.size_ms = size;
	o.hop_ms = hop;
	o.lateness_ms = lateness;
	o.max_keys = 100000;
	rng_seed(&r, (uint64_t)seed);
	e = stream(&r, n, 40, 10000, disorder, 1);
	run(&o, e, n, &late);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof key, "k%03d", e[i].key);
		for (s = floor_div(e[i].t, hop) * hop; s + size > e[i].t; s -= hop) {
			add_model(&m, &nm, &cap, s, s + size, key);
			add_model(&m, &nm, &cap, s, s + size, "*");
		}
	}
	snprintf(name, sizeof name, "size %llds hop %llds lateness %llds disorder %llds",
	    (long long)size / 1000, (long long)hop / 1000, (long long)lateness / 1000,
	    (long long)disorder / 1000);
	t_int(0, late, "%s: nothing late", name);
	t_ok(before_flush > ngot / 2, "%s: windows come out as the watermark passes them (%zu of %zu before the end)",
	    name, before_flush, ngot);
	compare(name, m, nm, 1);
	free(m);
	free(e);
}

static void
session(struct got **m, size_t *nm, size_t *cap, int64_t start, const char *key)
{
	if (*nm == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		*m = xrealloc(*m, *cap * sizeof **m);
	}
	memset(&(*m)[*nm], 0, sizeof **m);
	(*m)[*nm].start = start;
	snprintf((*m)[*nm].key, sizeof (*m)[*nm].key, "%s", key);
	(*nm)++;
}

static int
by_time(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void
test_sessions(int seed, int64_t gap, int64_t lateness, int64_t disorder)
{
	struct window_opts o = { 0 };
	struct rng r;
	struct got *m = NULL;
	size_t nm = 0, cap = 0;
	struct ev *e;
	char name[128], key[16];
	int64_t last = 0, *ts;
	int i, late, n = 20000;

	o.gap_ms = gap;
	o.lateness_ms = lateness;
	o.max_keys = 100000;
	rng_seed(&r, (uint64_t)seed);
	e = stream(&r, n, 40, 10000, disorder, 1);
	run(&o, e, n, &late);
	/* The model: per key, and for all keys, sorted times split where two are the gap or more apart. */
	ts = xmalloc((size_t)n * sizeof *ts);
	for (i = 0; i < n; i++)
		ts[i] = e[i].t;
	qsort(e, (size_t)n, sizeof *e, by_key_time);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof key, "k%03d", e[i].key);
		if (i == 0 || e[i].key != e[i - 1].key || e[i].t - last >= gap)
			session(&m, &nm, &cap, e[i].t, key);
		last = e[i].t;
		m[nm - 1].end = last + gap;
		m[nm - 1].n++;
	}
	qsort(ts, (size_t)n, sizeof *ts, by_time);
	for (i = 0; i < n; i++) {
		if (i == 0 || ts[i] - last >= gap)
			session(&m, &nm, &cap, ts[i], "*");
		last = ts[i];
		m[nm - 1].end = last + gap;
		m[nm - 1].n++;
	}
	snprintf(name, sizeof name, "sessions gap %llds lateness %llds disorder %llds",
	    (long long)gap / 1000, (long long)lateness / 1000, (long long)disorder / 1000);
	t_int(0, late, "%s: nothing late", name);
	compare(name, m, nm, 0);
	free(ts);
	free(m);
	free(e);
}

static void
test_ids(void)
{
	struct agg a, b;
	struct recvals rv = { 0, NAN, NAN, NAN, -1, 0 };
	struct buf out = BUF_INIT;
	uint64_t i;

	t_ok(aircraft_id("abc123", 6) == aircraft_id("ABC123", 6), "an address counts once whatever its case");
	t_ok(aircraft_id("abc123", 6) != aircraft_id("abc124", 6), "two addresses are two aircraft");
	t_uint(0xabc123 | 1ULL << 24, aircraft_id("abc123", 6), "a hex address is its value, exactly");
	t_ok(aircraft_id("~abc12", 6) >> 63 == 1 && aircraft_id("", 0) != 0,
	    "anything else is a hash that never meets an address, and never 0");

	agg_init(&a);
	agg_init(&b);
	for (i = 0; i < 30000; i++) {
		rv.aircraft = i % 10000 + 1;
		agg_add(&a, &rv);
		rv.aircraft = i % 10000 + 5001;
		agg_add(&b, &rv);
	}
	t_uint(10000, a.ids.n, "unique aircraft: 10000 of 30000 records");
	agg_merge(&a, &b);
	t_uint(15000, a.ids.n, "merged: 15000");
	t_uint(60000, a.n, "merged: the counts add up");
	agg_free(&a);
	agg_free(&b);

	agg_init(&a);
	rv.aircraft = 0;
	agg_add(&a, &rv);
	agg_format(&out, 0, 600000, "*", 1, &a, 2);
	t_str("{\"window_start\":\"1970-01-01T00:00:00.000Z\",\"window_end\":\"1970-01-01T00:10:00.000Z\","
	    "\"key\":\"*\",\"event_count\":1,\"anomaly_count\":null,\"avg_velocity\":null,"
	    "\"min_velocity\":null,\"max_velocity\":null,\"avg_altitude\":null,\"min_altitude\":null,"
	    "\"max_altitude\":null,\"unique_aircraft\":null,\"avg_anomaly_score\":null,\"late_count\":2}\n",
	    buf_cstr(&out), "a record without measurements: null aggregates");
	agg_free(&a);
	buf_free(&out);
}

int
main(void)
{
	test_ids();
	test_fixed(1, 600000, 600000, 300000, 300000);
	test_fixed(2, 60000, 60000, 0, 0);
	test_fixed(3, 60000, 60000, 30000, 29000);
	test_fixed(4, 600000, 60000, 120000, 120000);
	test_fixed(5, 100000, 30000, 45000, 45000);
	test_sessions(6, 60000, 0, 0);
	test_sessions(7, 60000, 30000, 30000);
	test_sessions(8, 300000, 120000, 100000);
	free(got);
	return t_done();
}
