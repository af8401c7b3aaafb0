/*
 * Per-aircraft state: deduplication, kinematics from the previous
 * report, quality flags and the streaming flight phase.
 *
 * The state lives in a dense array of struct ac, found through a hash
 * index (hmap) keyed by the 24-bit address. Nothing is allocated per
 * record: the arrays grow by doubling, and an aircraft's
 * list of recent timestamps is allocated when it first needs one.
 *
 * State expires after --idle of event time without a report. Event
 * time for expiry is the newest timestamp reported by at least two
 * different aircraft, so that one aircraft with a clock far ahead
 * cannot make everyone else's state expire.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clean.h"
#include "geo.h"
#include "hmap.h"

#define KT (1852.0 / 3600.0)		/* metres per second in a knot */
#define FT 0.3048			/* metres in a foot */
#define MAX_CLIMB (12500 * FT / 60)	/* m/s: the bound when no vertical rate is known */
#define STREAK_MIN 3			/* flagged values in a row before re-anchoring */
#define NONE INT64_MIN			/* a time not set */
#define FREE UINT32_MAX			/* icao of an unused entry */

enum { E_ALT, E_VR, E_DVR, E_SPD, E_ISPD, E_COUNT };	/* smoothed phase inputs */

/*
 * An anchor is the last trusted value of a position (x, y = latitude,
 * longitude) or an altitude (x = altitude, y = vertical rate), which
 * the next reports are judged against. A flagged report does not move
 * it; it becomes the candidate instead. conf counts the reports that
 * agreed with the anchor (itself included); cand_n the flagged reports
 * in a row that agreed with the candidate; bad_n all flagged reports
 * in a row, since the time "since".
 */
struct anchor {
	int64_t t, cand_t, since;	/* t NONE: no anchor */
	double x, y, cand_x, cand_y;
	uint8_t kind;			/* altitude: 1 baro, 2 geo */
	uint8_t conf, cand_n, bad_n;
};

struct ac {
	uint32_t icao;
	uint8_t phase, pending;
	int64_t t_new;			/* the newest report */
	int64_t t_vel, t_hdg, t_ph, pend_since;
	struct anchor pos, alt;
	double vel, hdg;		/* the last speed and track: NaN when none */
	double e[E_COUNT];		/* smoothed inputs: NaN when none */
	int64_t t_e[E_COUNT];
	int64_t *ts;			/* recent timestamps, sorted: ts[off .. off+len) */
	uint32_t ts_off, ts_len, ts_cap;
};

struct track {
	const struct clean_opts *o;
	struct hmap map;		/* icao24 (the hash is the key) to index in ac */
	struct ac *ac;
	size_t nac, cap;		/* entries used (live or free), allocated */
	uint32_t *freelist;
	size_t nfree;
	size_t live;
	size_t dedup_total;
	int64_t t1, t2;			/* newest times of the two leading aircraft */
	uint32_t a1;
	int witnesses;
	int64_t next_sweep;
	int64_t *scratch;
	uint64_t expired, evicted, dedup_evicted;
};

struct track *
track_new(const struct clean_opts *o)
{
	struct track *tk = xcalloc(1, sizeof *tk);

	tk->o = o;
	tk->next_sweep = NONE;
	return tk;
}

void
track_free(struct track *tk)
{
	size_t i;

	if (tk == NULL)
		return;
	for (i = 0; i < tk->nac; i++)
		free(tk->ac[i].ts);
	free(tk->ac);
	hmap_free(&tk->map);
	free(tk->freelist);
	free(tk->scratch);
	free(tk);
}

void
track_counts(const struct track *tk, struct track_counts *c)
{
	c->expired = tk->expired;
	c->evicted = tk->evicted;
	c->dedup_evicted = tk->dedup_evicted;
}

/* reset forgets what is known of an aircraft, keeping its timestamp buffer. */
static void
reset(struct track *tk, struct ac *a, uint32_t icao)
{
	int64_t *ts = a->ts;
	uint32_t cap = a->ts_cap;
	int i;

	tk->dedup_total -= a->ts_len;
	memset(a, 0, sizeof *a);
	a->icao = icao;
	a->ts = ts;
	a->ts_cap = cap;
	a->t_new = a->t_vel = a->t_hdg = a->t_ph = NONE;
	a->pos.t = a->alt.t = NONE;
	a->vel = a->hdg = NAN;
	for (i = 0; i < E_COUNT; i++) {
		a->e[i] = NAN;
		a->t_e[i] = NONE;
	}
}

static void
evict(struct track *tk, size_t idx)
{
	struct ac *a = &tk->ac[idx];

	hmap_del(&tk->map, a->icao, (uint32_t)idx);
	tk->dedup_total -= a->ts_len;
	free(a->ts);
	memset(a, 0, sizeof *a);
	a->icao = FREE;
	tk->freelist[tk->nfree++] = (uint32_t)idx;
	tk->live--;
}

/* sweep_idle drops the state of aircraft silent for more than --idle before now. */
static void
sweep_idle(struct track *tk, int64_t now)
{
	size_t i;

	for (i = 0; i < tk->nac; i++)
		if (tk->ac[i].icao != FREE && now - tk->ac[i].t_new > tk->o->expire_ms) {
			evict(tk, i);
			tk->expired++;
		}
}

static void
swap64(int64_t *a, int64_t *b)
{
	int64_t t = *a;

	*a = *b;
	*b = t;
}

/* kth returns the k-th smallest of v[0..n) (0-based), reordering v. */
static int64_t
kth(int64_t *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1, i, j;
	int64_t pivot;

	while (lo < hi) {
		swap64(&v[(lo + hi) / 2], &v[hi]);
		pivot = v[hi];
		for (i = j = lo; j < hi; j++)
			if (v[j] < pivot)
				swap64(&v[i++], &v[j]);
		swap64(&v[i], &v[hi]);
		if (k == i)
			return v[k];
		if (k < i)
			hi = i - 1;
		else
			lo = i + 1;
	}
	return v[k];
}

/*
 * sweep_cap makes room when --max-aircraft are tracked: it drops the
 * eighth of them heard from least recently (by event time), at least
 * one, so that the O(n) pass is paid once per n/8 new aircraft.
 */
static void
sweep_cap(struct track *tk)
{
	size_t i, n = 0;
	int64_t cut;

	if (tk->scratch == NULL)
		tk->scratch = xmalloc(tk->o->max_aircraft * sizeof *tk->scratch);
	for (i = 0; i < tk->nac; i++)
		if (tk->ac[i].icao != FREE)
			tk->scratch[n++] = tk->ac[i].t_new;
	if (n == 0)
		return;
	cut = kth(tk->scratch, n, n / 8);
	for (i = 0; i < tk->nac; i++)
		if (tk->ac[i].icao != FREE && tk->ac[i].t_new <= cut) {
			evict(tk, i);
			tk->evicted++;
		}
}

/* lookup finds the aircraft's state, making it when there is none (*fresh = 1). */
static struct ac *
lookup(struct track *tk, uint32_t icao, int *fresh)
{
	size_t pos = 0;
	uint32_t idx = hmap_find(&tk->map, icao, &pos);

	if (idx != HMAP_NONE) {
		*fresh = 0;
		return &tk->ac[idx];
	}
	*fresh = 1;
	if (tk->live >= tk->o->max_aircraft)
		sweep_cap(tk);
	if (tk->nfree > 0)
		idx = tk->freelist[--tk->nfree];
	else {
		if (tk->nac == tk->cap) {
			tk->cap = tk->cap ? tk->cap * 2 : 256;
			tk->ac = xrealloc(tk->ac, tk->cap * sizeof *tk->ac);
			tk->freelist = xrealloc(tk->freelist, tk->cap * sizeof *tk->freelist);
		}
		idx = (uint32_t)tk->nac++;
		tk->ac[idx].ts = NULL;
		tk->ac[idx].ts_len = tk->ac[idx].ts_cap = 0;
	}
	reset(tk, &tk->ac[idx], icao);
	hmap_put(&tk->map, icao, idx);
	tk->live++;
	return &tk->ac[idx];
}

/*
 * dedup returns 1 if the aircraft already reported time t within the
 * window; otherwise it remembers t and returns 0. A time older than
 * the window (behind the aircraft's newest report) is not looked at.
 */
static int
dedup(struct track *tk, struct ac *a, int64_t t)
{
	int64_t cut, *v;
	uint32_t lo, hi, mid, pos;

	if (tk->o->dedup_window_ms <= 0)
		return 0;
	cut = (a->t_new > t ? a->t_new : t) - tk->o->dedup_window_ms;
	if (t < cut)
		return 0;
	while (a->ts_len > 0 && a->ts[a->ts_off] < cut) {
		a->ts_off++;
		a->ts_len--;
		tk->dedup_total--;
	}
	if (a->ts_len == 0)
		a->ts_off = 0;
	/*
	 * An aircraft seen once has no list yet (a->ts is NULL), and even a
	 * zero offset applied to a null pointer is undefined (clang's UBSan).
	 */
	v = a->ts_len > 0 ? a->ts + a->ts_off : NULL;
	if (a->ts_len == 0 || t > v[a->ts_len - 1])
		pos = a->ts_len;
	else {
		lo = 0;
		hi = a->ts_len;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (v[mid] < t)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < a->ts_len && v[lo] == t)
			return 1;
		pos = lo;
	}
	if (tk->dedup_total >= tk->o->dedup_max) {
		/* Over the budget: forget this aircraft's oldest time, or t itself. */
		tk->dedup_evicted++;
		if (a->ts_len == 0 || pos == 0)
			return 0;
		a->ts_off++;
		a->ts_len--;
		tk->dedup_total--;
		pos--;
	}
	if (a->ts_off + a->ts_len == a->ts_cap) {
		if (a->ts_off > 0 && a->ts_len < a->ts_cap / 2) {
			memmove(a->ts, a->ts + a->ts_off, a->ts_len * sizeof *a->ts);
			a->ts_off = 0;
		} else {
			a->ts_cap = a->ts_cap ? a->ts_cap * 2 : 8;
			a->ts = xrealloc(a->ts, a->ts_cap * sizeof *a->ts);
		}
	} else if (a->ts_cap > 64 && a->ts_len < a->ts_cap / 8) {
		/* Mostly empty after a burst: give half back. */
		memmove(a->ts, a->ts + a->ts_off, a->ts_len * sizeof *a->ts);
		a->ts_off = 0;
		a->ts_cap /= 2;
		a->ts = xrealloc(a->ts, a->ts_cap * sizeof *a->ts);
	}
	v = a->ts + a->ts_off;
	memmove(v + pos + 1, v + pos, (a->ts_len - pos) * sizeof *v);
	v[pos] = t;
	a->ts_len++;
	tk->dedup_total++;
	return 0;
}

/* witness keeps the newest times of the two leading aircraft. */
static void
witness(struct track *tk, uint32_t icao, int64_t t)
{
	if (tk->witnesses == 0) {
		tk->t1 = t;
		tk->a1 = icao;
		tk->witnesses = 1;
	} else if (icao == tk->a1) {
		if (t > tk->t1)
			tk->t1 = t;
	} else if (t > tk->t1) {
		tk->t2 = tk->t1;
		tk->t1 = t;
		tk->a1 = icao;
		tk->witnesses = 2;
	} else if (tk->witnesses == 1 || t > tk->t2) {
		tk->t2 = t;
		tk->witnesses = 2;
	}
}

static double
clampd(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/*
 * smooth adds x, seen at t, to the exponentially weighted mean e[i].
 * alpha is the weight for the time since the aircraft's last report,
 * good for the inputs that report had.
 */
static void
smooth(struct ac *a, int i, double x, int64_t t, double tau, double alpha)
{
	if (isnan(x))
		return;
	if (isnan(a->e[i]) || tau <= 0)
		a->e[i] = x;
	else {
		if (a->t_e[i] != a->t_ph)
			alpha = 1 - exp(-(double)(t - a->t_e[i]) / 1000 / tau);
		a->e[i] += alpha * (x - a->e[i]);
	}
	a->t_e[i] = t;
}

/*
 * The phase inputs are smoothed with exponential weights whose time
 * constant is half the window, which gives the same mean age as
 * OpenAP's plain mean over the window. Speed is the lesser of the
 * reported speed and the speed implied by the positions, and the rate
 * of climb the lesser in size of the reported vertical rate and the
 * rate at which the altitude changes (0 when they disagree in sign):
 * a receiver that keeps repeating the last speed or rate it heard
 * cannot keep a landed aircraft in the air. A change of phase counts
 * only once the new phase has held for --phase-dwell.
 */
static void
phase_update(struct track *tk, struct ac *a, const struct rec *r,
    const double in[E_COUNT], struct kin *k)
{
	const struct clean_opts *o = tk->o;
	double tau = (double)o->phase_window_ms / 2000, alpha, spd, roc, vr, dvr;
	int i, cand;

	alpha = tau > 0 && a->t_ph != NONE ? 1 - exp(-(double)(r->t - a->t_ph) / 1000 / tau) : 1;
	for (i = 0; i < E_COUNT; i++)
		smooth(a, i, in[i], r->t, tau, alpha);
	a->t_ph = r->t;
	if (r->on_ground == 1)
		cand = PHASE_GROUND;
	else {
		spd = a->e[E_SPD];
		if (isnan(spd) || a->e[E_ISPD] < spd)
			spd = a->e[E_ISPD];
		vr = a->e[E_VR];
		dvr = a->e[E_DVR];
		if (isnan(vr))
			roc = isnan(dvr) ? 0 : dvr;
		else if (isnan(dvr))
			roc = vr;
		else if ((vr < 0) != (dvr < 0))
			roc = 0;
		else
			roc = fabs(vr) < fabs(dvr) ? vr : dvr;
		cand = isnan(a->e[E_ALT]) || isnan(spd) ? PHASE_NONE :
		    phase_fuzzy(a->e[E_ALT], roc, spd);
	}
	if (cand == PHASE_NONE || cand == a->phase)
		a->pending = PHASE_NONE;
	else if (a->phase == PHASE_NONE) {
		a->phase = (uint8_t)cand;
		a->pending = PHASE_NONE;
	} else if (cand != a->pending) {
		a->pending = (uint8_t)cand;
		a->pend_since = r->t;
	}
	if (a->pending != PHASE_NONE && r->t - a->pend_since >= o->phase_dwell_ms) {
		a->phase = a->pending;
		a->pending = PHASE_NONE;
	}
	k->phase = a->phase;
}

/* sat adds one to a count that stops at 255. */
static uint8_t
sat(uint8_t n)
{
	return n < UINT8_MAX ? n + 1 : n;
}

/*
 * disagree notes a report that the anchor's test flagged; agrees says
 * whether it agrees with the candidate. It returns 1 when the report
 * should become the anchor: at once when no later report has confirmed
 * the anchor yet and two flagged reports in a row agree with each
 * other (the anchor itself was the odd one), or when the flagged
 * reports have gone on for STREAK_MIN reports and --reanchor.
 */
static int
disagree(struct anchor *an, int agrees, int64_t t, double x, double y,
    int64_t reanchor)
{
	an->cand_n = an->cand_n > 0 && agrees ? sat(an->cand_n) : 1;
	an->cand_t = t;
	an->cand_x = x;
	an->cand_y = y;
	if (an->bad_n == 0)
		an->since = t;
	an->bad_n = sat(an->bad_n);
	return (an->conf < 2 && an->cand_n >= 2) ||
	    (an->bad_n >= STREAK_MIN && t - an->since >= reanchor);
}

/* anchor_set makes a report the anchor; conf is how many reports back it. */
static void
anchor_set(struct anchor *an, int64_t t, double x, double y, uint8_t conf)
{
	an->t = t;
	an->x = x;
	an->y = y;
	an->conf = conf;
	an->cand_n = an->bad_n = 0;
}

/*
 * far tells whether a move of d metres in dt seconds is more than an
 * aircraft reporting speed vref (NaN: unknown) can have made. As
 * readsb: the speed with an allowance (--jump-factor, at least
 * --jump-floor), over the time plus a second, plus a distance that
 * covers position errors (--jump-slack). On the surface: 20 to 150 kt,
 * and a fifth of the distance.
 */
static int
far(const struct clean_opts *o, double d, double dt, double vref, int surface)
{
	double allowed, slack;

	if (surface) {
		allowed = clampd((isnan(vref) ? 100 * KT : vref) * o->jump_factor,
		    20 * KT, 150 * KT);
		slack = o->jump_slack / 5;
	} else {
		allowed = (isnan(vref) ? o->max_speed : vref) * o->jump_factor;
		if (allowed < o->jump_floor)
			allowed = o->jump_floor;
		slack = o->jump_slack;
	}
	return d > slack + (dt + 1) * allowed;
}

/* position compares the report's position with the anchor. */
static void
position(struct track *tk, struct ac *a, const struct rec *r, int vel_ok,
    struct kin *k, double in[E_COUNT])
{
	const struct clean_opts *o = tk->o;
	struct anchor *an = &a->pos;
	double dt, d, vref;
	int surface = r->on_ground == 1, agrees;

	if (isnan(r->lat))
		return;
	if (an->t == NONE) {
		anchor_set(an, r->t, r->lat, r->lon, 1);
		return;
	}
	dt = (double)(r->t - an->t) / 1000;
	d = geo_distance(an->x, an->y, r->lat, r->lon);
	k->dist_m = d;
	if (dt > 0)
		k->implied_speed = d / dt;
	if (r->lat == an->x && r->lon == an->y) {
		/* A repeated position is no new fix: the anchor keeps its time. */
		if (vel_ok && r->vel * dt > o->stuck_distance)
			k->flags |= 1u << QF_STUCK_POSITION;
		return;
	}
	/* The faster of the two reported speeds. */
	vref = vel_ok ? r->vel : NAN;
	if (!isnan(a->vel) && (isnan(vref) || a->vel > vref))
		vref = a->vel;
	if (!far(o, d, dt, vref, surface)) {
		if (dt > 0)
			in[E_ISPD] = d / dt / KT;
		anchor_set(an, r->t, r->lat, r->lon, sat(an->conf));
		return;
	}
	k->flags |= 1u << QF_POSITION_JUMP;
	agrees = an->cand_n > 0 && !far(o, geo_distance(an->cand_x, an->cand_y,
	    r->lat, r->lon), (double)(r->t - an->cand_t) / 1000, vref, surface);
	if (disagree(an, agrees, r->t, r->lat, r->lon, o->reanchor_ms))
		anchor_set(an, r->t, r->lat, r->lon, an->cand_n);
}

/*
 * spiky tells whether an altitude change dalt over dt seconds is more
 * than the reported vertical rates (their mean vrm, NaN: unknown)
 * explain: off by more than --spike-slack plus --spike-rate per
 * second, or without a rate, a climb or descent faster than 12500
 * ft/min (readsb's bound).
 */
static int
spiky(const struct clean_opts *o, double dalt, double dt, double vrm)
{
	if (isnan(vrm))
		return fabs(dalt) > o->spike_slack + MAX_CLIMB * dt;
	return fabs(dalt - vrm * dt) > o->spike_slack + o->spike_rate * dt;
}

static double
mean_known(double a, double b)
{
	return isnan(a) ? b : isnan(b) ? a : (a + b) / 2;
}

/* altitude compares the altitude change with the reported vertical rates. */
static void
altitude(struct track *tk, struct ac *a, const struct rec *r, struct kin *k,
    double in[E_COUNT])
{
	const struct clean_opts *o = tk->o;
	struct anchor *an = &a->alt;
	double alt, dt, dalt, vrm;
	int kind = !isnan(r->baro) ? 1 : !isnan(r->geo) ? 2 : 0, agrees;

	if (kind == 0)
		return;
	alt = kind == 1 ? r->baro : r->geo;
	if (an->t == NONE || an->kind != kind) {
		anchor_set(an, r->t, alt, r->vr, 1);
		an->kind = (uint8_t)kind;
		in[E_ALT] = alt / FT;
		return;
	}
	dt = (double)(r->t - an->t) / 1000;
	dalt = alt - an->x;
	vrm = mean_known(r->vr, an->y);
	k->alt_change_m = dalt;
	if (dt > 0 && !isnan(vrm))
		k->vrate_error = dalt / dt - vrm;
	if (dt <= 0 || !spiky(o, dalt, dt, vrm)) {
		if (dt > 0)
			in[E_DVR] = dalt / dt / FT * 60;
		anchor_set(an, r->t, alt, r->vr, sat(an->conf));
		in[E_ALT] = alt / FT;
		return;
	}
	k->flags |= 1u << QF_ALTITUDE_SPIKE;
	dt = (double)(r->t - an->cand_t) / 1000;
	agrees = an->cand_n > 0 && dt > 0 &&
	    !spiky(o, alt - an->cand_x, dt, mean_known(r->vr, an->cand_y));
	if (disagree(an, agrees, r->t, alt, r->vr, o->reanchor_ms)) {
		anchor_set(an, r->t, alt, r->vr, an->cand_n);
		in[E_ALT] = alt / FT;
	}
}

static void
kinematics(struct track *tk, struct ac *a, const struct rec *r, int fresh, struct kin *k)
{
	double in[E_COUNT], dt;
	int i, vel_ok;

	k->dt_s = k->dist_m = k->implied_speed = k->turn_rate = k->accel = NAN;
	k->alt_change_m = k->vrate_error = NAN;
	k->flags = 0;
	k->phase = PHASE_NONE;
	for (i = 0; i < E_COUNT; i++)
		in[i] = NAN;

	if (!isnan(r->vel) && r->vel > tk->o->max_speed)
		k->flags |= 1u << QF_IMPOSSIBLE_SPEED;
	vel_ok = !isnan(r->vel) && !(k->flags & (1u << QF_IMPOSSIBLE_SPEED));
	if (!fresh && r->t < a->t_new) {
		/* Behind the aircraft's state: described, but not used. */
		k->flags |= 1u << QF_OUT_OF_ORDER;
		k->dt_s = (double)(r->t - a->t_new) / 1000;
		return;
	}
	if (!fresh)
		k->dt_s = (double)(r->t - a->t_new) / 1000;
	a->t_new = r->t;

	position(tk, a, r, vel_ok, k, in);
	altitude(tk, a, r, k, in);
	if (vel_ok) {
		if (!isnan(a->vel) && (dt = (double)(r->t - a->t_vel) / 1000) > 0)
			k->accel = (r->vel - a->vel) / dt;
		a->vel = r->vel;
		a->t_vel = r->t;
		in[E_SPD] = r->vel / KT;
	}
	if (!isnan(r->hdg)) {
		if (!isnan(a->hdg) && (dt = (double)(r->t - a->t_hdg) / 1000) > 0)
			k->turn_rate = geo_angle_diff(a->hdg, r->hdg) / dt;
		a->hdg = r->hdg;
		a->t_hdg = r->t;
	}
	if (!isnan(r->vr))
		in[E_VR] = r->vr / FT * 60;
	phase_update(tk, a, r, in, k);
}

int
track_record(struct track *tk, const struct rec *r, struct kin *k)
{
	const struct clean_opts *o = tk->o;
	struct ac *a;
	int fresh;
	int64_t now;

	a = lookup(tk, r->icao, &fresh);
	if (!fresh && r->t - a->t_new > o->expire_ms) {
		reset(tk, a, r->icao);
		tk->expired++;
		fresh = 1;
	}
	if (fresh)
		a->t_new = r->t;
	if (dedup(tk, a, r->t))
		return 1;
	kinematics(tk, a, r, fresh, k);

	/* Expire idle state every quarter of --idle of event time. */
	witness(tk, r->icao, r->t);
	if (tk->witnesses == 2) {
		now = tk->t2;
		if (tk->next_sweep == NONE)
			tk->next_sweep = now + o->expire_ms / 4;
		else if (now >= tk->next_sweep) {
			sweep_idle(tk, now);
			tk->next_sweep = now + (o->expire_ms / 4 > 1000 ? o->expire_ms / 4 : 1000);
		}
	}
	return 0;
}
