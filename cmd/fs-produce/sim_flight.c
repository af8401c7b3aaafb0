/*
 * sim_flight: how a simulated airliner moves.
 *
 * An aircraft cycles through parked, taxi out, take-off roll, climb,
 * cruise, descent, final approach, landing roll and taxi in, and then
 * plans a new flight from where it landed. In the air it steers along
 * the great circle to the approach fix of its destination runway,
 * turning at no more than a standard-rate turn (less at speed, where
 * airliners hold 25 degrees of bank), with speed and vertical rate
 * changing at bounded accelerations. The model integrates in sub-steps:
 * short ones where things change quickly (ground roll, turns, final),
 * long ones in a straight cruise, so a record costs little.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airports.h"
#include "buf.h"
#include "geo.h"
#include "sim.h"

enum phase {
	PH_PARKED,
	PH_TAXI_OUT,
	PH_TAKEOFF,
	PH_CLIMB,
	PH_CRUISE,
	PH_DESCENT,
	PH_FINAL,
	PH_ROLLOUT,
	PH_TAXI_IN,
};

#define FT		0.3048
#define ALT_STEP	(25 * FT)		/* ADS-B altitude resolution */
#define VR_STEP		(64 * FT / 60)		/* ADS-B vertical rate resolution */
#define TAN_GLIDE	0.05240777928304121	/* tan(3 degrees) */
#define AF_DIST		20000.0	/* approach fix: this far out on the centreline */
#define AF_HEIGHT	900.0	/* and this high above the runway */
#define LINEUP_DIST	1500.0	/* take-off roll starts this far before the reference point */
#define M_PER_DEG	111194.9	/* metres per degree of latitude on the sphere */
#define MAX_BANK_TAN	0.46630765815	/* tan(25 degrees) */
#define G		9.80665

static uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
addrset_init(struct addrset *s, size_t n)
{
	size_t size = 64;

	while (size < 2 * n)
		size *= 2;
	s->slot = xcalloc(size, sizeof s->slot[0]);
	s->mask = size - 1;
}

void
addrset_free(struct addrset *s)
{
	free(s->slot);
	s->slot = NULL;
}

/* addrset_add adds a (never 0) and returns 1, or 0 when it is taken. */
static int
addrset_add(struct addrset *s, uint32_t a)
{
	size_t i = (size_t)mix64(a) & s->mask;

	while (s->slot[i] != 0) {
		if (s->slot[i] == a)
			return 0;
		i = (i + 1) & s->mask;
	}
	s->slot[i] = a;
	return 1;
}

static double
wrap360(double d)
{
	d = fmod(d, 360.0);
	if (d < 0)
		d += 360.0;
	return d >= 360.0 ? 0.0 : d;
}

static double
clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* approach moves v towards target by at most step. */
static double
approach(double v, double target, double step)
{
	if (v < target)
		return v + step < target ? v + step : target;
	return v - step > target ? v - step : target;
}

static const struct airport *
here(const struct aircraft *ac)
{
	return &airports[ac->apt];
}

static const struct airport *
there(const struct aircraft *ac)
{
	return &airports[ac->dest];
}

const char *
flight_country(const struct aircraft *ac)
{
	return countries[airlines[ac->airline].country].name;
}

/*
 * pick_dest chooses a destination from the current airport that the
 * aircraft's type can reach: short and medium haul mostly within the
 * region, widebodies mostly long haul, and aircraft away from their
 * airline's hub often fly home.
 */
static int
pick_dest(struct aircraft *ac)
{
	const struct airport *a = here(ac), *b;
	double lo = 300e3, hi, d;
	int hub, i, tries, same_region;

	switch (ac->category) {
	case 3:
		hi = 2500e3;
		break;
	case 6:
		hi = 13000e3;
		if (rng_chance(&ac->rng, 0.6))
			lo = 3000e3;
		break;
	case 5:
		hi = 6500e3;
		break;
	default:
		hi = 5500e3;
	}
	hub = airport_find(airlines[ac->airline].hub);
	if (hub >= 0 && hub != ac->apt && rng_chance(&ac->rng, 0.6)) {
		d = geo_distance(a->lat, a->lon, airports[hub].lat, airports[hub].lon);
		if (d >= 300e3 && d <= hi)
			return hub;
	}
	same_region = ac->category != 6 && rng_chance(&ac->rng, 0.85);
	for (tries = 0; tries < 200; tries++) {
		i = (int)rng_below(&ac->rng, nairports);
		b = &airports[i];
		if (i == ac->apt || (same_region && tries < 100 && b->region != a->region))
			continue;
		d = geo_distance(a->lat, a->lon, b->lat, b->lon);
		if (d >= lo && d <= hi)
			return i;
	}
	/* Nothing fitted (a remote airport): any airport far enough will do. */
	for (;;) {
		i = (int)rng_below(&ac->rng, nairports);
		b = &airports[i];
		if (i != ac->apt && geo_distance(a->lat, a->lon, b->lat, b->lon) >= 300e3)
			return i;
	}
}

static void
make_callsign(struct aircraft *ac)
{
	const char *prefix = airlines[ac->airline].icao;
	int europe = here(ac)->region == REGION_EUROPE;
	unsigned n;
	char c1, c2;

	if (ac->nocs) {
		ac->callsign[0] = '\0';
		return;
	}
	/* European operators often use alphanumeric callsigns (DLH4AB, EZY83Q). */
	if (rng_chance(&ac->rng, europe ? 0.45 : 0.1)) {
		n = 1 + (unsigned)rng_below(&ac->rng, rng_chance(&ac->rng, 0.5) ? 9 : 99);
		c1 = (char)('A' + rng_below(&ac->rng, 26));
		c2 = rng_chance(&ac->rng, 0.6) ? (char)('A' + rng_below(&ac->rng, 26)) : '\0';
		snprintf(ac->callsign, sizeof ac->callsign, "%.3s%u%c%c", prefix, n, c1, c2);
	} else {
		n = 1 + (unsigned)rng_below(&ac->rng, rng_chance(&ac->rng, 0.4) ? 999 : 4999);
		snprintf(ac->callsign, sizeof ac->callsign, "%.3s%u", prefix, n);
	}
}

/* digits writes the n low digits of v in base (lowercase) and a NUL. */
static void
digits(char *out, uint32_t v, unsigned base, int n)
{
	out[n] = '\0';
	while (n-- > 0) {
		out[n] = "0123456789abcdef"[v % base];
		v /= base;
	}
}

/* make_squawk assigns a discrete code: no emergency, VFR or special codes. */
static void
make_squawk(struct aircraft *ac)
{
	unsigned c;

	if (rng_chance(&ac->rng, 0.02)) {
		ac->squawk[0] = '\0';
		return;
	}
	do
		c = (unsigned)rng_below(&ac->rng, 010000);
	while (c == 07500 || c == 07600 || c == 07700 || c == 07000 ||
	    c == 01200 || c == 02000 || c == 07777 || c < 0100);
	digits(ac->squawk, c, 8, 4);
}

/*
 * plan_flight picks the next flight from the current airport: where to,
 * the runways at both ends, the wind aloft, and the callsign and code
 * the crew will set.
 */
static void
plan_flight(struct aircraft *ac)
{
	const struct airport *b;

	ac->dest = (int16_t)pick_dest(ac);
	b = there(ac);
	ac->dep_hdg = wrap360(here(ac)->runway + (rng_chance(&ac->rng, 0.5) ? 180 : 0));
	ac->land_hdg = wrap360(b->runway + (rng_chance(&ac->rng, 0.5) ? 180 : 0));
	geo_destination(b->lat, b->lon, wrap360(ac->land_hdg + 180), AF_DIST,
	    &ac->af_lat, &ac->af_lon);
	ac->wind_spd = rng_range(&ac->rng, 3, 35);
	ac->wind_dir = rng_range(&ac->rng, 0, 360);
	ac->geo_k = clamp(0.008 + 0.004 * rng_normal(&ac->rng), 0, 0.02);
	ac->geo_c = rng_range(&ac->rng, -30, 30);
	ac->prev_d = 1e9;
	make_callsign(ac);
	make_squawk(ac);
}

/* taxi_target picks a point on the airport to taxi to. */
static void
taxi_target(struct aircraft *ac)
{
	geo_destination(here(ac)->lat, here(ac)->lon, rng_range(&ac->rng, 0, 360),
	    rng_range(&ac->rng, 200, 1500), &ac->tgt_lat, &ac->tgt_lon);
}

static void
move(struct aircraft *ac, double dist)
{
	if (dist > 0)
		geo_destination(ac->lat, ac->lon, ac->track, dist, &ac->lat, &ac->lon);
}

static void
turn(struct aircraft *ac, double want, double max)
{
	ac->track = wrap360(ac->track + clamp(geo_angle_diff(ac->track, want), -max, max));
}

/* wind_along is the tailwind component at the current altitude and track. */
static double
wind_along(const struct aircraft *ac)
{
	double f = clamp(ac->alt / 9000.0, 0.2, 1);

	return ac->wind_spd * f * cos((ac->track - ac->wind_dir) * (M_PI / 180));
}

static double
ground_speed(const struct aircraft *ac)
{
	if (ac->phase <= PH_TAKEOFF || ac->phase >= PH_ROLLOUT)
		return ac->spd;
	return ac->spd + wind_along(ac);
}

/* turn_rate is degrees per second: standard rate, or 25 degrees of bank at speed. */
static double
turn_rate(double tas)
{
	double r = G * MAX_BANK_TAN / (tas > 50 ? tas : 50) * (180 / M_PI);

	return r < 3 ? r : 3;
}

/* climb_speed is the airspeed wanted at alt, below 250 kt low down. */
static double
climb_speed(const struct aircraft *ac, double elev)
{
	double lo = elev + 1500 > 3000 ? elev + 1500 : 3000;

	if (ac->alt < elev + AF_HEIGHT)
		return ac->vrot + 8;
	if (ac->alt < lo || ac->cruise_alt <= lo)
		return 135;
	return 135 + (ac->cruise_spd - 135) * clamp((ac->alt - lo) / (ac->cruise_alt - lo), 0, 1);
}

/*
 * descent_due says whether the aircraft, d metres from the approach
 * fix, must start down to be at the fix's height in time, descending at
 * about 8 m/s and slowing down on the way.
 */
static int
descent_due(const struct aircraft *ac, double d)
{
	double dh = ac->alt - (there(ac)->elev + AF_HEIGHT);

	if (dh <= 0)
		return d < 30000;
	return d <= dh / 8.0 * (ground_speed(ac) + 110) / 2 + 10000;
}

/*
 * fly advances an airborne aircraft h seconds: it turns towards want,
 * changes speed and vertical rate towards their targets, and moves.
 */
static void
fly(struct aircraft *ac, double h, double want, double v_target, double vr_target)
{
	turn(ac, want, turn_rate(ac->spd) * h);
	ac->spd = approach(ac->spd, v_target, (v_target > ac->spd ? 1.0 : 0.7) * h);
	ac->vr = approach(ac->vr, vr_target, 1.0 * h);
	ac->alt += ac->vr * h;
	move(ac, ground_speed(ac) * h);
}

static void
begin_takeoff(struct aircraft *ac)
{
	ac->phase = PH_TAKEOFF;
	ac->lineup = 0;
}

/* taxi moves an aircraft on the ground between targets; h at most 5 s. */
static void
taxi(struct aircraft *ac, double h)
{
	double d, want, diff, coslat, dx, dy;

	ac->timer -= h;
	if (ac->phase == PH_TAXI_OUT && ac->timer <= 0 && !ac->lineup) {
		ac->lineup = 1;
		geo_destination(here(ac)->lat, here(ac)->lon, wrap360(ac->dep_hdg + 180),
		    LINEUP_DIST, &ac->tgt_lat, &ac->tgt_lon);
	}
	if (ac->phase == PH_TAXI_IN && ac->timer <= 0) {
		ac->phase = PH_PARKED;
		ac->spd = 0;
		ac->timer = rng_range(&ac->rng, 30 * 60, 90 * 60);
		return;
	}
	/* Within an airport the Earth is flat enough, and that is cheaper. */
	coslat = cos(ac->lat * (M_PI / 180));
	dy = (ac->tgt_lat - ac->lat) * M_PER_DEG;
	dx = (ac->tgt_lon - ac->lon) * M_PER_DEG * coslat;
	if (dx * dx + dy * dy < 40 * 40) {
		if (ac->lineup) {
			begin_takeoff(ac);
			return;
		}
		taxi_target(ac);
		dy = (ac->tgt_lat - ac->lat) * M_PER_DEG;
		dx = (ac->tgt_lon - ac->lon) * M_PER_DEG * coslat;
	}
	want = wrap360(atan2(dx, dy) * (180 / M_PI));
	diff = fabs(geo_angle_diff(ac->track, want));
	turn(ac, want, 15 * h);
	/* Slow down for sharp turns, so the aircraft does not circle its target. */
	ac->spd = approach(ac->spd, diff > 30 ? 3 : ac->taxi_spd, 1.0 * h);
	d = ac->spd * h;
	ac->lat += d * cos(ac->track * (M_PI / 180)) / M_PER_DEG;
	ac->lon += d * sin(ac->track * (M_PI / 180)) / (M_PER_DEG * coslat);
}

/*
 * step advances the aircraft by at most maxh seconds and returns the
 * time it did advance. It may return 0 when a phase ends; the next call
 * goes on in the next phase.
 */
static double
step(struct aircraft *ac, double maxh)
{
	const struct airport *b = there(ac);
	double h, d, want, vt, vrt, dh;

	switch (ac->phase) {
	case PH_PARKED:
		h = maxh < ac->timer ? maxh : ac->timer;
		if (h < 0)
			h = 0;
		ac->timer -= h;
		if (ac->timer <= 0) {
			if (!ac->fresh)
				plan_flight(ac);
			ac->fresh = 0;
			ac->phase = PH_TAXI_OUT;
			ac->timer = rng_range(&ac->rng, 180, 600);
			ac->lineup = 0;
			taxi_target(ac);
		}
		return h;
	case PH_TAXI_OUT:
	case PH_TAXI_IN:
		h = maxh < 5 ? maxh : 5;
		taxi(ac, h);
		return h;
	case PH_TAKEOFF:
		h = maxh < 1 ? maxh : 1;
		turn(ac, ac->dep_hdg, 10 * h);
		ac->spd += ac->accel * h;
		move(ac, ac->spd * h);
		if (ac->spd >= ac->vrot) {
			ac->phase = PH_CLIMB;
			ac->alt = here(ac)->elev;
			ac->vr = 2;
		}
		return h;
	case PH_ROLLOUT:
		h = maxh < 1 ? maxh : 1;
		ac->spd -= 2.0 * h;
		move(ac, ac->spd * h);
		if (ac->spd <= ac->taxi_spd) {
			ac->spd = ac->taxi_spd;
			ac->phase = PH_TAXI_IN;
			ac->timer = rng_range(&ac->rng, 120, 480);
			taxi_target(ac);
		}
		return h;
	default:
		break;
	}

	if (ac->phase == PH_FINAL) {
		d = geo_distance(ac->lat, ac->lon, b->lat, b->lon);
		want = geo_bearing(ac->lat, ac->lon, b->lat, b->lon);
		h = fabs(geo_angle_diff(ac->track, want)) > 2 || d < 5000 ? 1 : 5;
		h = maxh < h ? maxh : h;
		vrt = clamp((b->elev + 15 + d * TAN_GLIDE - ac->alt) / 8 -
		    ground_speed(ac) * TAN_GLIDE, -10, 0);
		fly(ac, h, want, ac->vapp, vrt);
		if (ac->alt < b->elev)
			ac->alt = b->elev;
		if (ac->alt <= b->elev + 1 || d < 150 || (d > ac->prev_d && d < 3000)) {
			/* Touchdown: the aircraft is now at its destination. */
			ac->phase = PH_ROLLOUT;
			ac->apt = ac->dest;
			ac->alt = b->elev;
			ac->vr = 0;
		}
		ac->prev_d = d;
		return h;
	}

	/* Climb, cruise or descent: towards the approach fix. */
	d = geo_distance(ac->lat, ac->lon, ac->af_lat, ac->af_lon);
	want = ac->alt < here(ac)->elev + 300 && ac->phase == PH_CLIMB ? ac->dep_hdg :
	    geo_bearing(ac->lat, ac->lon, ac->af_lat, ac->af_lon);
	/*
	 * Turns and the end of the descent need short steps. A straight
	 * cruise far from the top of descent takes long ones: the great
	 * circle hardly bends over a few minutes' flight.
	 */
	if (fabs(geo_angle_diff(ac->track, want)) > 2)
		h = 1;
	else if (ac->phase == PH_CRUISE && d > 300e3)
		h = fmin(300, 30 + (d - 300e3) / 500);
	else if (d > 30e3)
		h = 10;
	else
		h = 5;
	h = maxh < h ? maxh : h;

	if (ac->phase != PH_DESCENT && descent_due(ac, d))
		ac->phase = PH_DESCENT;
	switch (ac->phase) {
	case PH_CLIMB:
		vt = climb_speed(ac, here(ac)->elev);
		vrt = ac->vr_climb * (1 - 0.45 * ac->alt / ac->cruise_alt);
		dh = ac->cruise_alt - ac->alt;
		if (vrt > dh / 20 + 0.3)
			vrt = dh / 20 + 0.3;	/* level off smoothly */
		fly(ac, h, want, vt, vrt);
		if (ac->cruise_alt - ac->alt < 5) {
			ac->alt = ac->cruise_alt;
			ac->vr = 0;
			ac->phase = PH_CRUISE;
		}
		break;
	case PH_CRUISE:
		ac->wobble += h * 0.01;
		fly(ac, h, want, ac->cruise_spd + 1.5 * sin(ac->wobble), 0);
		ac->alt = ac->cruise_alt;
		break;
	default:	/* PH_DESCENT */
		dh = ac->alt - (b->elev + AF_HEIGHT);
		if (dh > 10)
			vrt = -clamp(dh * ground_speed(ac) / fmax(d - 3000, 1000), 5, 12);
		else
			vrt = clamp(-dh / 10, -12, 12);
		vt = d < 25000 ? ac->vapp + 15 : climb_speed(ac, b->elev);
		if (vt < ac->vapp + 15)
			vt = ac->vapp + 15;
		fly(ac, h, want, vt, vrt);
		if (d < 1500 || (d > ac->prev_d && d < 8000)) {
			ac->phase = PH_FINAL;
			ac->prev_d = 1e9;
			return h;
		}
		break;
	}
	ac->prev_d = d;
	return h;
}

void
flight_advance(struct aircraft *ac, double secs)
{
	while (secs > 1e-9)
		secs -= step(ac, secs);
}

/* pick_airline draws an operator and a free address in its country's block. */
static void
pick_airline(struct aircraft *ac, struct addrset *used)
{
	const struct country *c;
	uint32_t a;
	int tries;

	for (;;) {
		ac->airline = (uint8_t)rng_below(&ac->rng, nairlines);
		c = &countries[airlines[ac->airline].country];
		for (tries = 0; tries < 16; tries++) {
			a = c->lo + (uint32_t)rng_below(&ac->rng, (uint64_t)(c->hi - c->lo) + 1);
			if (a != 0 && addrset_add(used, a)) {
				ac->addr = a;
				return;
			}
		}
		/* That block is crowded: another airline. */
	}
}

void
flight_init(struct aircraft *ac, uint64_t seed, uint32_t index,
    int64_t interval_ms, struct addrset *used)
{
	const struct airline *al;
	double ff, est;
	int hub, i;

	memset(ac, 0, sizeof *ac);
	rng_seed(&ac->rng, mix64(mix64(seed) ^ (0xd1b54a32d192ed03ULL * (index + 1ULL))));
	ac->offset = (int64_t)rng_below(&ac->rng, (uint64_t)interval_ms);
	pick_airline(ac, used);
	al = &airlines[ac->airline];
	digits(ac->icao24, ac->addr, 16, 6);

	if (rng_chance(&ac->rng, al->longhaul / 100.0))
		ac->category = 6;
	else if (rng_chance(&ac->rng, 0.1))
		ac->category = 3;
	else if (rng_chance(&ac->rng, 0.05))
		ac->category = 5;
	else
		ac->category = 4;
	ac->cruise_alt = (300 + 10 * (double)rng_below(&ac->rng, 11)) * 100 * FT;
	ac->cruise_spd = rng_range(&ac->rng, 220, 250);
	ac->vr_climb = rng_range(&ac->rng, 12, 15);
	ac->accel = rng_range(&ac->rng, 1.8, 2.3);
	ac->vrot = rng_range(&ac->rng, 75, 85);
	ac->vapp = rng_range(&ac->rng, 70, 80);
	ac->taxi_spd = rng_range(&ac->rng, 5, 10);
	ac->wobble = rng_range(&ac->rng, 0, 2 * M_PI);
	/* About one aircraft in a hundred sends no callsign, as in real feeds. */
	ac->nocs = rng_chance(&ac->rng, 0.01);

	/* Start at the hub or another airport of its region, at a gate. */
	hub = airport_find(al->hub);
	if (hub < 0 || rng_chance(&ac->rng, 0.5)) {
		do
			i = (int)rng_below(&ac->rng, nairports);
		while (hub >= 0 && airports[i].region != airports[hub].region);
		hub = i;
	}
	ac->apt = (int16_t)hub;
	geo_destination(here(ac)->lat, here(ac)->lon, rng_range(&ac->rng, 0, 360),
	    rng_range(&ac->rng, 100, 800), &ac->lat, &ac->lon);
	ac->track = rng_range(&ac->rng, 0, 360);
	ac->alt = here(ac)->elev;
	ac->phase = PH_PARKED;
	ac->timer = rng_range(&ac->rng, 0, 3600);
	plan_flight(ac);
	ac->fresh = 1;

	/* Fly a random time into the first flight, or beyond it. */
	est = geo_distance(here(ac)->lat, here(ac)->lon, there(ac)->lat, there(ac)->lon) /
	    ac->cruise_spd + 2400;
	ff = rng_range(&ac->rng, 0, ac->timer + 400 + est + 1200);
	flight_advance(ac, ff);
}

/* quant rounds v to a multiple of q, as a transponder encodes it. */
static double
quant(double v, double q)
{
	return round(v / q) * q;
}

/* round_to rounds v to 1/scale, so that json_fixed's text is exact. */
static double
round_to(double v, double scale)
{
	return round(v * scale) / scale;
}

void
flight_report(struct aircraft *ac, struct report *r)
{
	double coslat, gs;

	r->on_ground = ac->phase <= PH_TAKEOFF || ac->phase >= PH_ROLLOUT;

	/* A few metres of position noise, independent from report to report. */
	coslat = cos(ac->lat * (M_PI / 180));
	if (coslat < 0.01)
		coslat = 0.01;
	r->lat = clamp(round_to(ac->lat + 3 * rng_normal(&ac->rng) / M_PER_DEG, 1e5), -90, 90);
	r->lon = round_to(ac->lon + 3 * rng_normal(&ac->rng) / (M_PER_DEG * coslat), 1e5);
	if (r->lon >= 180)
		r->lon -= 360;
	if (r->lon < -180)
		r->lon += 360;

	gs = ground_speed(ac);
	if (ac->phase == PH_PARKED)
		r->vel = 0;
	else
		r->vel = round_to(fmax(0, gs + 0.3 * rng_normal(&ac->rng)), 100);
	r->hdg = round_to(wrap360(ac->track + (ac->phase == PH_PARKED ? 0 :
	    0.3 * rng_normal(&ac->rng))), 100);
	if (r->hdg >= 360)
		r->hdg = 0;

	if (r->on_ground) {
		r->baro = r->geo = r->vr = 0;
		return;
	}
	r->baro = round_to(quant(ac->alt + 1.5 * rng_normal(&ac->rng), ALT_STEP), 100);
	r->geo = round_to(quant(ac->alt + ac->geo_c + ac->geo_k * ac->alt, ALT_STEP), 100);
	r->vr = round_to(clamp(quant(ac->vr + 0.15 * rng_normal(&ac->rng), VR_STEP),
	    -150, 150), 100);
}
