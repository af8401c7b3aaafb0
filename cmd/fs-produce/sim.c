/*
 * fs-produce sim: a deterministic simulator of air traffic, with
 * optional faults of the kinds real feeds have.
 *
 * Aircraft i reports at start + offset_i + k * interval. The aircraft
 * are sorted by offset once, and each round k walks them in that order,
 * so the output is in timestamp order except where a fault holds a
 * record back. Faults draw from a random stream of their own, never
 * from an aircraft's, so a run with faults flies the same flights as
 * the same run without them; with every rate 0 the output is the same
 * bytes.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "geo.h"
#include "json.h"
#include "io.h"
#include "pace.h"
#include "produce.h"
#include "rng.h"
#include "sim.h"
#include "stats.h"
#include "ts.h"

#define DEFAULT_START_MS	1767225600000LL	/* 2026-01-01T00:00:00Z */
#define FAULT_SEED_XOR		0x6a09e667f3bcc909ULL

enum {
	OPT_SEED = OPT_PROGRAM,
	OPT_AIRCRAFT,
	OPT_START,
	OPT_DURATION,
	OPT_INTERVAL,
	OPT_SPEED,
	OPT_FAULTS,
	OPT_TRUTH,
};

static const struct option longopts[] = {
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "aircraft", required_argument, NULL, OPT_AIRCRAFT },
	{ "start", required_argument, NULL, OPT_START },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "speed", required_argument, NULL, OPT_SPEED },
	{ "faults", required_argument, NULL, OPT_FAULTS },
	{ "truth", no_argument, NULL, OPT_TRUTH },
	CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* The faults, in the order of their labels in "truth". */
enum fault {
	F_DUP,
	F_NULL,
	F_OOO,
	F_LATE,
	F_JUMP,
	F_SPIKE,
	F_SPEED,
	F_SQUAWK,
	F_FROZEN,
	F_MALFORMED,
	NFAULTS
};

static const char *const fault_names[NFAULTS] = {
	"dup", "null", "ooo", "late", "jump", "spike", "speed", "squawk",
	"frozen", "malformed",
};

static const char *const fault_counters[NFAULTS] = {
	"fault_dup", "fault_null", "fault_ooo", "fault_late", "fault_jump",
	"fault_spike", "fault_speed", "fault_squawk", "fault_frozen",
	"fault_malformed",
};

/* Fields of a report that can be null or missing. */
enum {
	NF_POS = 1 << 0,	/* latitude and longitude together */
	NF_BARO = 1 << 1,
	NF_GEO = 1 << 2,
	NF_VEL = 1 << 3,
	NF_HDG = 1 << 4,
	NF_VR = 1 << 5,
	NF_ALL = (1 << 6) - 1,
	NF_GROUND = NF_BARO | NF_GEO | NF_VR,	/* null on the ground, as OpenSky */
};

/* Per-aircraft fault state, kept only when faults are on. */
struct acfault {
	struct report last;	/* the last report as measured, before faults */
	struct report frozen;	/* what a frozen episode repeats */
	uint8_t have_last;
	uint8_t squawk_left, frozen_left;
	char code[5];
};

/* A record held back, due at a time (ms) or after a number of records. */
struct held {
	int64_t due;
	uint64_t seq;
	struct buf b;
};

/* heldq is a binary min-heap on (due, seq); it reuses popped buffers. */
struct heldq {
	struct held *v;
	size_t n, cap;
	struct buf *spare;
	size_t nspare, sparecap;
};

struct sim {
	struct cli cli;
	struct stats st;
	struct io_out out;
	struct pace pace;
	struct aircraft *ac;
	struct acfault *af;
	uint32_t *order;
	uint32_t n;
	uint64_t seed;
	int64_t start, duration, interval;	/* duration < 0: until stopped */
	double speed;
	int faults, truth;
	double rate[NFAULTS];
	uint64_t *count[NFAULTS];
	struct rng frng;	/* the faults' own stream */
	uint64_t spike_debt;	/* spikes drawn for reports on the ground */
	uint64_t seen;		/* records through the injector, not malformed */
	uint64_t ep_left[NFAULTS];	/* records left in running episodes */
	uint64_t fresh;		/* records simulated so far */
	uint64_t seq;
	struct heldq by_time;	/* ooo and late records, and their copies */
	struct heldq by_count;	/* copies that follow a few records later */
	struct buf body, line, copy;
};

static int
held_less(const struct held *a, const struct held *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void
heldq_push(struct heldq *q, int64_t due, uint64_t seq, const char *p, size_t len)
{
	struct held h, tmp;
	size_t i, parent;

	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 64;
		q->v = xrealloc(q->v, q->cap * sizeof q->v[0]);
	}
	h.due = due;
	h.seq = seq;
	if (q->nspare > 0)
		h.b = q->spare[--q->nspare];
	else
		h.b = (struct buf)BUF_INIT;
	buf_reset(&h.b);
	buf_add(&h.b, p, len);
	i = q->n++;
	q->v[i] = h;
	while (i > 0) {
		parent = (i - 1) / 2;
		if (held_less(&q->v[parent], &q->v[i]))
			break;
		tmp = q->v[parent];
		q->v[parent] = q->v[i];
		q->v[i] = tmp;
		i = parent;
	}
}

/* heldq_top returns the earliest record, or NULL when the queue is empty. */
static struct held *
heldq_top(struct heldq *q)
{
	return q->n > 0 ? &q->v[0] : NULL;
}

/* heldq_pop removes the earliest record; its buffer is kept for reuse. */
static void
heldq_pop(struct heldq *q)
{
	struct held tmp;
	size_t i = 0, l, r, m;

	if (q->nspare == q->sparecap) {
		q->sparecap = q->sparecap ? 2 * q->sparecap : 64;
		q->spare = xrealloc(q->spare, q->sparecap * sizeof q->spare[0]);
	}
	q->spare[q->nspare++] = q->v[0].b;
	q->v[0] = q->v[--q->n];
	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < q->n && held_less(&q->v[l], &q->v[m]))
			m = l;
		if (r < q->n && held_less(&q->v[r], &q->v[m]))
			m = r;
		if (m == i)
			break;
		tmp = q->v[m];
		q->v[m] = q->v[i];
		q->v[i] = tmp;
		i = m;
	}
}

static void
heldq_free(struct heldq *q)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		buf_free(&q->v[i].b);
	for (i = 0; i < q->nspare; i++)
		buf_free(&q->spare[i]);
	free(q->v);
	free(q->spare);
}

/* emit writes one line; -1 after a write error (the writer said so). */
static int
emit(struct sim *s, const char *p, size_t len)
{
	if (io_write(&s->out, p, len, 0) != 0)
		return -1;
	s->st.out++;
	stats_tick(&s->st);
	return 0;
}

/* release writes the held records of q that are due by due. */
static int
release(struct sim *s, struct heldq *q, int64_t due)
{
	struct held *h;

	while ((h = heldq_top(q)) != NULL && h->due <= due) {
		if (emit(s, h->b.p, h->b.len) != 0)
			return -1;
		heldq_pop(q);
	}
	return 0;
}

/* bad_faults reports a bad --faults item and exits 2. */
static void
bad_faults(const char *spec, const char *item, size_t n, const char *why)
{
	fs_errx(EXIT_USAGE, "invalid faults '%s': '%.*s' %s (faults: dup, null, ooo, "
	    "late, jump, spike, speed, squawk, frozen, malformed, all)", spec,
	    (int)n, item, why);
}

/*
 * parse_faults reads name=rate[,name=rate...] into rate[]; "all" sets
 * every fault, and later items override earlier ones. Exits 2 on an
 * unknown name or a rate outside [0, 1].
 */
static void
parse_faults(const char *spec, double *rate)
{
	const char *s = spec, *p, *end, *eq;
	char name[64], val[64], label[80];
	size_t n, nlen, vlen;
	double r;
	int i, f;

	while (cli_list(&s, &p, &n)) {
		end = p + n;
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL || eq == p)
			bad_faults(spec, p, (size_t)(end - p), "is not name=rate");
		nlen = (size_t)(eq - p);
		vlen = (size_t)(end - eq - 1);
		if (nlen >= sizeof name || vlen >= sizeof val)
			bad_faults(spec, p, (size_t)(end - p), "is too long");
		memcpy(name, p, nlen);
		name[nlen] = '\0';
		memcpy(val, eq + 1, vlen);
		val[vlen] = '\0';
		f = -1;
		for (i = 0; i < NFAULTS; i++)
			if (strcmp(name, fault_names[i]) == 0)
				f = i;
		if (f < 0 && strcmp(name, "all") != 0)
			bad_faults(spec, name, nlen, "is not a fault");
		/* cli_double names the fault in its message: "invalid jump rate '2': above 1". */
		snprintf(label, sizeof label, "%s rate", f < 0 ? "all" : fault_names[f]);
		r = cli_double(val, 0, 1, label);
		for (i = 0; i < NFAULTS; i++)
			if (f < 0 || f == i)
				rate[i] = r;
	}
}

struct by_offset {
	int64_t offset;
	uint32_t i;
};

static int
cmp_offset(const void *a, const void *b)
{
	const struct by_offset *x = a, *y = b;

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

#define LIT(b, s) buf_add((b), (s), sizeof(s) - 1)

/* measure writes ,"key":value for a measurement, null or missing as the masks say. */
static void
measure(struct buf *b, const char *key, size_t keylen, double v, int decimals,
    unsigned bit, unsigned nullm, unsigned missm)
{
	if (missm & bit)
		return;
	buf_add(b, key, keylen);
	if (nullm & bit)
		json_null(b);
	else
		json_fixed(b, v, decimals);
}

#define MEASURE(b, key, v, dec, bit, nullm, missm) \
	measure((b), (key), sizeof(key) - 1, (v), (dec), (bit), (nullm), (missm))

/*
 * format writes the record of aircraft ac at time t into b, without its
 * closing brace (a label may follow). Fields in nullm are null, those
 * in missm are left out.
 */
static void
format(struct buf *b, const struct aircraft *ac, int64_t t, const struct report *r,
    unsigned nullm, unsigned missm, const char *squawk)
{
	char ts[TS_BUFSZ];
	size_t n;

	buf_reset(b);
	n = ts_format(t, ts);
	LIT(b, "{\"timestamp\":\"");
	buf_add(b, ts, n);
	LIT(b, "\",\"icao24\":\"");
	buf_add(b, ac->icao24, 6);
	LIT(b, "\",\"callsign\":");
	if (ac->callsign[0] != '\0')
		json_strz(b, ac->callsign);
	else
		json_null(b);
	LIT(b, ",\"origin_country\":");
	json_strz(b, flight_country(ac));
	MEASURE(b, ",\"latitude\":", r->lat, 5, NF_POS, nullm, missm);
	MEASURE(b, ",\"longitude\":", r->lon, 5, NF_POS, nullm, missm);
	MEASURE(b, ",\"baro_altitude\":", r->baro, 2, NF_BARO, nullm, missm);
	MEASURE(b, ",\"geo_altitude\":", r->geo, 2, NF_GEO, nullm, missm);
	MEASURE(b, ",\"velocity\":", r->vel, 2, NF_VEL, nullm, missm);
	MEASURE(b, ",\"heading\":", r->hdg, 2, NF_HDG, nullm, missm);
	MEASURE(b, ",\"vertical_rate\":", r->vr, 2, NF_VR, nullm, missm);
	LIT(b, ",\"on_ground\":");
	json_bool(b, r->on_ground);
	LIT(b, ",\"squawk\":");
	if (squawk[0] != '\0')
		json_strz(b, squawk);
	else
		json_null(b);
	LIT(b, ",\"spi\":false,\"position_source\":0,\"category\":");
	json_int(b, ac->category);
	LIT(b, ",\"sensors\":null,\"source\":\"sim\"");
}

/* finish copies body into line with the labels in mask (if wanted) and "}". */
static void
finish(struct sim *s, struct buf *line, unsigned mask)
{
	int i, first = 1;

	buf_reset(line);
	buf_add(line, s->body.p, s->body.len);
	if (s->truth && mask != 0) {
		LIT(line, ",\"truth\":[");
		for (i = 0; i < NFAULTS; i++) {
			if (!(mask & (1u << i)))
				continue;
			if (!first)
				buf_addc(line, ',');
			first = 0;
			json_strz(line, fault_names[i]);
		}
		buf_addc(line, ']');
	}
	buf_addc(line, '}');
}

/*
 * malform turns line into what a broken feed sends: mostly the record
 * cut off at a random byte (never at its end, so never valid JSON),
 * otherwise garbage with bytes that are not UTF-8. Never a newline.
 */
static void
malform(struct sim *s, struct buf *line)
{
	static const char bad[] = { (char)0xff, (char)0xfe, (char)0xc0, (char)0x80 };
	size_t i, n;
	int c;

	if (line->len > 3 && rng_chance(&s->frng, 0.7)) {
		line->len = 1 + (size_t)rng_below(&s->frng, line->len - 2);
		return;
	}
	buf_reset(line);
	n = 8 + (size_t)rng_below(&s->frng, 120);
	for (i = 0; i < n; i++) {
		do
			c = 1 + (int)rng_below(&s->frng, 255);
		while (c == '\n' || c == '\r');
		buf_addc(line, (char)c);
	}
	line->p[rng_below(&s->frng, n)] = bad[rng_below(&s->frng, sizeof bad)];
}

/*
 * episode_start says whether an episode of fault f, of mean length len,
 * begins now. The chance makes the share of records in episodes come
 * out at the rate; as episodes come in clumps, that share would wander
 * far from the rate in a short run, so a run two episodes ahead of the
 * rate starts none, and one two episodes behind, counting the rest of
 * the episodes under way, starts one now.
 */
static int
episode_start(struct sim *s, int f, double len)
{
	double rate = s->rate[f], want = rate * (double)s->seen;

	if (rate <= 0 || (double)*s->count[f] > want + 2 * len)
		return 0;
	if ((double)(*s->count[f] + s->ep_left[f]) < want - 2 * len)
		return 1;
	return rng_chance(&s->frng, rate / (len * (1 - rate) + rate));
}

/* pick_nulls chooses one to three fields (that have a value) to blank. */
static unsigned
pick_nulls(struct sim *s, unsigned nullm)
{
	unsigned avail = NF_ALL & ~nullm, m = 0, bit;
	int want = 1 + (int)rng_below(&s->frng, 3), navail = 0, k;

	for (bit = 1; bit & NF_ALL; bit <<= 1)
		navail += (avail & bit) != 0;
	while (want-- > 0 && navail > 0) {
		k = (int)rng_below(&s->frng, (uint64_t)navail);
		for (bit = 1; bit & NF_ALL; bit <<= 1)
			if ((avail & bit) && k-- == 0)
				break;
		m |= bit;
		avail &= ~bit;
		navail--;
	}
	return m;
}

/*
 * simulate_faulted writes the report of aircraft i at time t through
 * the fault injector. The clean report is measured first, so that the
 * aircraft's own random stream is used exactly as without faults.
 */
static int
simulate_faulted(struct sim *s, uint32_t i, int64_t t, struct report *r)
{
	static const char *const codes[] = { "7700", "7700", "7700", "7600", "7600", "7500" };
	struct aircraft *ac = &s->ac[i];
	struct acfault *f = &s->af[i];
	struct rng *fr = &s->frng;
	const char *squawk = ac->squawk;
	unsigned mask = 0, nullm, missm = 0, nm;
	int hold, dup, spike, k;
	int64_t due = 0;
	double b;

	nullm = r->on_ground ? NF_GROUND : 0;
	if (rng_chance(fr, s->rate[F_MALFORMED])) {
		format(&s->body, ac, t, r, nullm, 0, squawk);
		finish(s, &s->line, 0);
		malform(s, &s->line);
		(*s->count[F_MALFORMED])++;
		f->last = *r;
		f->have_last = 1;
		return emit(s, s->line.p, s->line.len);
	}

	s->seen++;
	if (f->squawk_left == 0 && episode_start(s, F_SQUAWK, 6.5)) {
		f->squawk_left = (uint8_t)(3 + rng_below(fr, 8));
		s->ep_left[F_SQUAWK] += f->squawk_left;
		memcpy(f->code, codes[rng_below(fr, 6)], 5);
	}
	if (f->squawk_left > 0) {
		f->squawk_left--;
		s->ep_left[F_SQUAWK]--;
		squawk = f->code;
		mask |= 1u << F_SQUAWK;
	}
	if (f->frozen_left == 0 && f->have_last && episode_start(s, F_FROZEN, 5.5)) {
		f->frozen_left = (uint8_t)(3 + rng_below(fr, 6));
		s->ep_left[F_FROZEN] += f->frozen_left;
		f->frozen = f->last;
	}
	f->last = *r;
	f->have_last = 1;
	if (f->frozen_left > 0) {
		f->frozen_left--;
		s->ep_left[F_FROZEN]--;
		r->lat = f->frozen.lat;
		r->lon = f->frozen.lon;
		r->baro = f->frozen.baro;
		r->geo = f->frozen.geo;
		nullm &= ~(unsigned)(NF_BARO | NF_GEO);
		if (f->frozen.on_ground)
			nullm |= NF_BARO | NF_GEO;
		mask |= 1u << F_FROZEN;
	}
	if (rng_chance(fr, s->rate[F_JUMP])) {
		geo_destination(r->lat, r->lon, rng_range(fr, 0, 360),
		    rng_range(fr, 20e3, 300e3), &r->lat, &r->lon);
		r->lat = round(r->lat * 1e5) / 1e5;
		r->lon = round(r->lon * 1e5) / 1e5;
		if (r->lon >= 180)
			r->lon -= 360;
		mask |= 1u << F_JUMP;
	}
	/* A spike drawn for a report on the ground goes to the next one airborne. */
	spike = rng_chance(fr, s->rate[F_SPIKE]);
	if (nullm & NF_BARO) {
		s->spike_debt += spike;
	} else if (spike || s->spike_debt > 0) {
		if (!spike)
			s->spike_debt--;
		b = rng_range(fr, 600, 4000);
		if (rng_chance(fr, 0.5) || r->baro - b < -1000)
			b = -b;
		b = round(b / 7.62) * 7.62;
		r->baro = round((r->baro - b) * 100) / 100;
		r->geo = round((r->geo - b) * 100) / 100;
		mask |= 1u << F_SPIKE;
	}
	if (rng_chance(fr, s->rate[F_SPEED])) {
		r->vel = round(rng_range(fr, 350, 1000) * 100) / 100;
		mask |= 1u << F_SPEED;
	}
	if (rng_chance(fr, s->rate[F_NULL])) {
		nm = pick_nulls(s, nullm);
		if (rng_chance(fr, 0.3))
			missm |= nm;
		else
			nullm |= nm;
		mask |= 1u << F_NULL;
	}
	hold = 0;
	if (rng_chance(fr, s->rate[F_OOO])) {
		hold = 1;
		due = t + (int64_t)(1 + rng_below(fr, 6)) * s->interval + 1;
		mask |= 1u << F_OOO;
	}
	if (rng_chance(fr, s->rate[F_LATE])) {
		hold = 1;
		due = t + (int64_t)rng_range(fr, 120e3, 600e3);
		mask |= 1u << F_LATE;
	}
	dup = rng_chance(fr, s->rate[F_DUP]);
	for (k = 0; k < NFAULTS; k++)
		if (mask & (1u << k))
			(*s->count[k])++;

	format(&s->body, ac, t, r, nullm, missm, squawk);
	finish(s, &s->line, mask);
	if (dup) {
		(*s->count[F_DUP])++;
		finish(s, &s->copy, mask | 1u << F_DUP);
	}
	if (hold) {
		heldq_push(&s->by_time, due, s->seq++, s->line.p, s->line.len);
		if (dup)
			heldq_push(&s->by_time, due, s->seq++, s->copy.p, s->copy.len);
		return 0;
	}
	if (emit(s, s->line.p, s->line.len) != 0)
		return -1;
	if (!dup)
		return 0;
	/* The copy follows at once, or after one to five more records. */
	if (rng_chance(fr, 0.5))
		return emit(s, s->copy.p, s->copy.len);
	heldq_push(&s->by_count, (int64_t)(s->fresh + 1 + rng_below(fr, 5)), s->seq++,
	    s->copy.p, s->copy.len);
	return 0;
}

/* simulate writes the report of aircraft i at time t. */
static int
simulate(struct sim *s, uint32_t i, int64_t t)
{
	struct aircraft *ac = &s->ac[i];
	struct report r;
	int rc;

	flight_report(ac, &r);
	if (s->faults) {
		rc = simulate_faulted(s, i, t, &r);
	} else {
		format(&s->body, ac, t, &r, r.on_ground ? NF_GROUND : 0, 0, ac->squawk);
		buf_addc(&s->body, '}');
		rc = emit(s, s->body.p, s->body.len);
	}
	s->fresh++;
	if (rc == 0 && s->faults)
		rc = release(s, &s->by_count, (int64_t)s->fresh);
	return rc;
}

/* summary prints one line with the faults injected, when there were any. */
static void
summary(struct sim *s)
{
	struct buf b = BUF_INIT;
	int i;

	for (i = 0; i < NFAULTS; i++) {
		if (*s->count[i] == 0)
			continue;
		buf_addf(&b, "%s%s %llu", b.len ? ", " : "", fault_names[i],
		    (unsigned long long)*s->count[i]);
	}
	if (b.len > 0)
		fs_warnx("injected faults: %s", buf_cstr(&b));
	buf_free(&b);
}

static int
run(struct sim *s)
{
	struct addrset used;
	struct by_offset *bo;
	int64_t k, rounds, t;
	uint32_t i, j;

	s->ac = xcalloc(s->n, sizeof s->ac[0]);
	if (s->faults)
		s->af = xcalloc(s->n, sizeof s->af[0]);
	bo = xcalloc(s->n, sizeof bo[0]);
	addrset_init(&used, s->n);
	for (i = 0; i < s->n && !sig_stop; i++) {
		flight_init(&s->ac[i], s->seed, i, s->interval, &used);
		bo[i].offset = s->ac[i].offset;
		bo[i].i = i;
	}
	addrset_free(&used);
	qsort(bo, s->n, sizeof bo[0], cmp_offset);
	s->order = xcalloc(s->n, sizeof s->order[0]);
	for (i = 0; i < s->n; i++)
		s->order[i] = bo[i].i;
	free(bo);

	rounds = s->duration < 0 ? INT64_MAX : s->duration / s->interval;
	for (k = 0; k < rounds && !sig_stop; k++) {
		for (j = 0; j < s->n; j++) {
			i = s->order[j];
			t = s->start + s->ac[i].offset + k * s->interval;
			if (pace_wait(&s->pace, t, stats_idle, &s->st) != 0)
				goto stopped;
			if (s->faults && release(s, &s->by_time, t) != 0)
				return -1;
			if (k > 0)
				flight_advance(&s->ac[i], s->interval / 1000.0);
			if (simulate(s, i, t) != 0)
				return -1;
		}
	}
stopped:
	/* Whatever is still held back goes out before the end. */
	if (s->faults && (release(s, &s->by_time, INT64_MAX) != 0 ||
	    release(s, &s->by_count, INT64_MAX) != 0))
		return -1;
	return 0;
}

int
produce_sim(int argc, char **argv)
{
	struct sim s;
	int ch, i, rc;

	memset(&s, 0, sizeof s);
	s.seed = 1;
	s.n = 100;
	s.start = DEFAULT_START_MS;
	s.duration = -1;
	s.interval = 10000;
	s.speed = 1;
	cli_init(&s.cli, "fs-produce", PRODUCE_USAGE, CLI_OUT);
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_AIRCRAFT:
			s.n = (uint32_t)cli_num(optarg, 1, 1000000, "aircraft");
			break;
		case OPT_DURATION:
			s.duration = cli_duration(optarg, "duration");
			break;
		case OPT_FAULTS:
			parse_faults(optarg, s.rate);
			break;
		case OPT_INTERVAL:
			s.interval = cli_duration(optarg, "interval");
			if (s.interval < 1)
				fs_errx(EXIT_USAGE, "invalid interval '%s': below 1ms", optarg);
			break;
		case OPT_SEED:
			s.seed = (uint64_t)cli_num(optarg, 0, LLONG_MAX, "seed");
			break;
		case OPT_SPEED:
			s.speed = pace_parse_speed(optarg);
			break;
		case OPT_START:
			if (strcmp(optarg, "now") == 0)
				s.start = ts_now_ms();
			else if (ts_parse_any(optarg, strlen(optarg), &s.start) != 0)
				fs_errx(EXIT_USAGE, "invalid start '%s': not a time like "
				    "2026-01-01T00:00:00Z, epoch seconds or now", optarg);
			break;
		case OPT_TRUTH:
			s.truth = 1;
			break;
		default:
			if (!cli_option(&s.cli, ch, optarg))
				cli_usage(&s.cli);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0) {
		fs_warnx("unexpected argument '%s'", argv[0]);
		cli_usage(&s.cli);
	}
	for (i = 0; i < NFAULTS; i++)
		if (s.rate[i] > 0)
			s.faults = 1;

	if (io_out_stdout(&s.out, &s.cli.io, "icao24") != 0)
		return EXIT_FAIL;
	stats_init(&s.st, "fs-produce", &s.cli);
	stats_output(&s.st, &s.out);
	for (i = 0; i < NFAULTS; i++)
		s.count[i] = stats_counter(&s.st, fault_counters[i]);
	rng_seed(&s.frng, s.seed ^ FAULT_SEED_XOR);
	pace_init(&s.pace, s.speed);

	rc = run(&s) == 0 ? EXIT_OK : EXIT_FAIL;
	if (io_out_close(&s.out) != 0)
		rc = EXIT_FAIL;
	if (s.cli.verbose >= 0)
		summary(&s);
	if (stats_final(&s.st) != 0)
		rc = EXIT_FAIL;

	heldq_free(&s.by_time);
	heldq_free(&s.by_count);
	buf_free(&s.body);
	buf_free(&s.line);
	buf_free(&s.copy);
	free(s.ac);
	free(s.af);
	free(s.order);
	return rc;
}
