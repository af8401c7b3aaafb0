/*
 * sim: the flight model behind "fs-produce sim".
 *
 * Each aircraft carries its own random stream, seeded from the run's
 * seed and its index, and draws from it for everything about its
 * flights and for the noise of its reports. Nothing else touches that
 * stream, so an aircraft flies the same whatever else happens in the
 * run: more aircraft, faults, pacing.
 */
#ifndef FS_SIM_H
#define FS_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

/* One report as it goes out: values already rounded and quantised. */
struct report {
	double lat, lon;
	double baro, geo;	/* metres; meaningful when airborne */
	double vel, hdg, vr;
	int on_ground;
};

struct aircraft {
	struct rng rng;
	int64_t offset;		/* ms after --start of its first report */
	double lat, lon;	/* true position, degrees */
	double alt;		/* pressure altitude, m; the airport's when on the ground */
	double spd;		/* airspeed, m/s (ground speed on the ground) */
	double track;		/* true track, degrees [0, 360) */
	double vr;		/* vertical rate, m/s */
	double timer;		/* seconds left parked or taxiing */
	double tgt_lat, tgt_lon;	/* taxi target */
	double af_lat, af_lon;	/* approach fix of the current flight */
	double dep_hdg, land_hdg;	/* runway directions of the current flight */
	double prev_d;		/* last distance to the fix or threshold */
	double cruise_alt, cruise_spd, vr_climb, accel, vrot, vapp, taxi_spd;
	double wind_spd, wind_dir;	/* wind at altitude: speed and direction blown to */
	double geo_k, geo_c;	/* geometric minus baro altitude: geo_c + geo_k * alt */
	double wobble;		/* phase of small cruise speed variations */
	uint32_t addr;
	int16_t apt;		/* origin, or the airport the aircraft is at */
	int16_t dest;
	uint8_t phase, category, airline, lineup, fresh;
	uint8_t nocs;		/* sends no callsign */
	char icao24[7];
	char callsign[9];	/* empty: the aircraft sends none (null) */
	char squawk[5];		/* empty: null */
};

/* A set of ICAO addresses in use, so that every aircraft gets its own. */
struct addrset {
	uint32_t *slot;
	size_t mask;
};

void addrset_init(struct addrset *s, size_t n);
void addrset_free(struct addrset *s);

/*
 * flight_init creates aircraft number index of a run with the given
 * seed: its operator, address, type and a first flight, and then flies
 * it a random time into that flight so that the run does not begin with
 * every aircraft at the gate. interval_ms spreads first reports.
 */
void flight_init(struct aircraft *ac, uint64_t seed, uint32_t index,
    int64_t interval_ms, struct addrset *used);

/* flight_advance moves the aircraft secs seconds on. */
void flight_advance(struct aircraft *ac, double secs);

/* flight_report fills r with the aircraft's report now, with sensor noise. */
void flight_report(struct aircraft *ac, struct report *r);

/* The airline's country, as OpenSky's origin_country. */
const char *flight_country(const struct aircraft *ac);

#endif
