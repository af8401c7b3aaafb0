/*
 * airports: the simulator's world. Real airports, real airlines and the
 * ICAO 24-bit address blocks of their countries, so that simulated
 * traffic has the shape of an OpenSky feed: an icao24 lies in its
 * operator's national block, and origin_country is that block's country
 * as OpenSky spells it.
 *
 * The tables are constant and sorted by nothing in particular; callers
 * refer to entries by index.
 */
#ifndef FS_AIRPORTS_H
#define FS_AIRPORTS_H

#include <stddef.h>
#include <stdint.h>

/* Regions group airports for short-haul routes. */
enum region {
	REGION_EUROPE,
	REGION_NORTH_AMERICA,
	REGION_SOUTH_AMERICA,
	REGION_MIDDLE_EAST,
	REGION_AFRICA,
	REGION_ASIA,
	REGION_OCEANIA,
};

struct country {
	const char *name;	/* as OpenSky's origin_country */
	uint32_t lo, hi;	/* the ICAO 24-bit address block, inclusive */
};

struct airport {
	const char *icao;
	const char *city;
	double lat, lon;	/* aerodrome reference point, degrees */
	double elev;		/* metres above mean sea level */
	double runway;		/* true heading of the main runway, one direction */
	enum region region;
};

struct airline {
	const char *icao;	/* the callsign prefix */
	int country;		/* index in countries[] */
	const char *hub;	/* ICAO code of its main base */
	int longhaul;		/* share of widebodies in its fleet, percent */
};

extern const struct country countries[];
extern const size_t ncountries;
extern const struct airport airports[];
extern const size_t nairports;
extern const struct airline airlines[];
extern const size_t nairlines;

/* airport_find returns the index of the airport with ICAO code icao, or -1. */
int airport_find(const char *icao);

/* country_of returns the country whose block holds addr, or NULL. */
const struct country *country_of(uint32_t addr);

#endif
