/* Tests of lib/geo: great-circle distance, bearing, destination, turns. */
#include "geo.h"
#include "t.h"

#define DEG_M (GEO_EARTH_RADIUS_M * M_PI / 180.0)	/* one degree of arc: 111195.08 m */

static const struct {
	const char *name;
	double lat1, lon1, lat2, lon2;
	double want, tol;	/* metres */
} distance_cases[] = {
	{ "the same point", 51.47, -0.4543, 51.47, -0.4543, 0, 1e-6 },
	{ "one degree of latitude", 10, 20, 11, 20, 111195.08, 0.01 },
	{ "one degree of latitude, southern", -45, -70, -46, -70, 111195.08, 0.01 },
	{ "one degree of longitude on the equator", 0, 0, 0, 1, 111195.08, 0.01 },
	{ "one degree of longitude at 60N is half", 60, 0, 60, 1, 55597.46, 1.0 },
	{ "one degree across the antimeridian", 0, 179.5, 0, -179.5, 111195.08, 0.01 },
	{ "across the antimeridian, the other way", 0, -179.5, 0, 179.5, 111195.08, 0.01 },
	{ "pole to pole", 90, 0, -90, 0, 20015114.44, 0.01 },
	{ "antipodes on the equator", 0, 0, 0, 180, 20015114.44, 0.01 },
	{ "the north pole, any longitude", 90, 0, 90, 123, 0, 1e-6 },
	{ "one metre", 0, 0, 0, 1 / DEG_M, 1, 1e-6 },
	/* Great-circle distances on the IUGG mean sphere; real ones within 0.5%. */
	{ "LHR to JFK about 5,555 km", 51.4700, -0.4543, 40.6413, -73.7781, 5555000, 5555000 * 0.005 },
	{ "JFK to LHR the same", 40.6413, -73.7781, 51.4700, -0.4543, 5540018.97, 0.01 },
	{ "SYD to LAX about 12,060 km", -33.9461, 151.1772, 33.9425, -118.4081, 12061120.26, 0.01 },
};

static void
test_distance(void)
{
	size_t i;

	for (i = 0; i < N(distance_cases); i++)
		t_near(distance_cases[i].want,
		    geo_distance(distance_cases[i].lat1, distance_cases[i].lon1,
		    distance_cases[i].lat2, distance_cases[i].lon2),
		    distance_cases[i].tol, "geo_distance: %s", distance_cases[i].name);
	t_near(111195.08023353292, DEG_M, 1e-6, "one degree of arc is 111.195 km");
}

static const struct {
	const char *name;
	double lat1, lon1, lat2, lon2;
	double want;
} bearing_cases[] = {
	{ "due north", 0, 0, 1, 0, 0 },
	{ "due east", 0, 0, 0, 1, 90 },
	{ "due south", 0, 0, -1, 0, 180 },
	{ "due west", 0, 0, 0, -1, 270 },
	{ "north-east on the equator", 0, 0, 1, 1, 44.99563645 },
	{ "east across the antimeridian", 0, 179.5, 0, -179.5, 90 },
	{ "west across the antimeridian", 0, -179.5, 0, 179.5, 270 },
	{ "LHR to JFK", 51.4700, -0.4543, 40.6413, -73.7781, 287.94318760808665 },
	{ "SYD to LAX", -33.9461, 151.1772, 33.9425, -118.4081, 60.999965189127636 },
	{ "to the north pole", 45, 10, 90, 0, 0 },
	{ "to the south pole", 45, 10, -90, 0, 180 },
};

static void
test_bearing(void)
{
	size_t i;
	double b, lo = 360, hi = -1;
	int lat, lon;

	for (i = 0; i < N(bearing_cases); i++)
		t_near(bearing_cases[i].want,
		    geo_bearing(bearing_cases[i].lat1, bearing_cases[i].lon1,
		    bearing_cases[i].lat2, bearing_cases[i].lon2),
		    1e-6, "geo_bearing: %s", bearing_cases[i].name);
	/* A hair west of north is just under 360, never 360. */
	b = geo_bearing(0, 0, 1, -1e-13);
	t_ok(b >= 0 && b < 360, "geo_bearing a hair west of north is in [0, 360) (%.17g)", b);
	for (lat = -80; lat <= 80; lat += 20)
		for (lon = -180; lon < 180; lon += 15) {
			b = geo_bearing(lat, lon, lat + 0.5, lon - 1e-9);
			if (b < lo)
				lo = b;
			if (b > hi)
				hi = b;
			b = geo_bearing(lat, lon, lat - 3, lon + 7);
			if (b < lo)
				lo = b;
			if (b > hi)
				hi = b;
		}
	t_ok(lo >= 0 && hi < 360, "geo_bearing stays in [0, 360) over a grid (%g..%g)", lo, hi);
}

static const struct {
	const char *name;
	double lat, lon, bearing, dist;
	double want_lat, want_lon;
} destination_cases[] = {
	{ "one degree north", 0, 0, 0, DEG_M, 1, 0 },
	{ "one degree east", 0, 0, 90, DEG_M, 0, 1 },
	{ "one degree south", 0, 0, 180, DEG_M, -1, 0 },
	{ "one degree west", 0, 0, 270, DEG_M, 0, -1 },
	{ "nowhere", 51.47, -0.4543, 123, 0, 51.47, -0.4543 },
	{ "east across the antimeridian", 0, 179.5, 90, DEG_M, 0, -179.5 },
	{ "west across the antimeridian", 0, -179.5, 270, DEG_M, 0, 179.5 },
	{ "onto the antimeridian is -180", 0, 179, 90, DEG_M, 0, -180 },
	{ "over the north pole", 89, 0, 0, 2 * DEG_M, 89, -180 },
	{ "over the south pole", -89, 90, 180, 2 * DEG_M, -89, -90 },
	{ "a bearing of 450 is 90", 0, 0, 450, DEG_M, 0, 1 },
	{ "a negative bearing", 0, 0, -90, DEG_M, 0, -1 },
	{ "half way round", 0, 10, 90, 180 * DEG_M, 0, -170 },
};

static void
test_destination(void)
{
	size_t i;
	double lat, lon;

	for (i = 0; i < N(destination_cases); i++) {
		geo_destination(destination_cases[i].lat, destination_cases[i].lon,
		    destination_cases[i].bearing, destination_cases[i].dist, &lat, &lon);
		t_near(destination_cases[i].want_lat, lat, 1e-9,
		    "geo_destination latitude: %s", destination_cases[i].name);
		t_near(destination_cases[i].want_lon, lon, 1e-9,
		    "geo_destination longitude: %s", destination_cases[i].name);
	}
}

/* Go somewhere, then measure: the distance and bearing come back. */
static void
test_round_trip(void)
{
	static const double lats[] = { -75, -33.9, 0, 12.5, 51.47, 80 };
	static const double lons[] = { -179.9, -73.7, 0, 0.5, 151.2, 179.9 };
	static const double bearings[] = { 0, 1, 45, 89.9, 135, 180, 225, 270, 300, 359.5 };
	static const double dists[] = { 1, 250, 10000, 300000, 5000000 };
	size_t a, b, c;
	double lat, lon, d, br, worst_d = 0, worst_b = 0, lon_lo = 0, lon_hi = 0;
	int n = 0;

	for (a = 0; a < N(lats); a++)
		for (b = 0; b < N(bearings); b++)
			for (c = 0; c < N(dists); c++) {
				geo_destination(lats[a], lons[a], bearings[b], dists[c], &lat, &lon);
				d = geo_distance(lats[a], lons[a], lat, lon);
				br = geo_bearing(lats[a], lons[a], lat, lon);
				if (fabs(d - dists[c]) / dists[c] > worst_d)
					worst_d = fabs(d - dists[c]) / dists[c];
				if (fabs(geo_angle_diff(bearings[b], br)) > worst_b)
					worst_b = fabs(geo_angle_diff(bearings[b], br));
				if (lon < lon_lo)
					lon_lo = lon;
				if (lon > lon_hi)
					lon_hi = lon;
				n++;
			}
	t_range(0, 1e-6, worst_d, "geo_distance after geo_destination: worst relative error of %d", n);
	t_range(0, 1e-4, worst_b, "geo_bearing after geo_destination: worst error in degrees of %d", n);
	t_ok(lon_lo >= -180 && lon_hi < 180, "geo_destination longitudes in [-180, 180) (%g..%g)",
	    lon_lo, lon_hi);
}

static const struct {
	double a, b, want;
} angle_cases[] = {
	{ 10, 20, 10 },
	{ 20, 10, -10 },
	{ 350, 10, 20 },
	{ 10, 350, -20 },
	{ 359.5, 0.5, 1 },
	{ 0.5, 359.5, -1 },
	{ 0, 190, -170 },
	{ 190, 0, 170 },
	{ 0, 180, 180 },
	{ 180, 0, 180 },	/* (-180, 180]: a half turn is +180 */
	{ 90, 270, 180 },
	{ 270, 90, 180 },
	{ 0, -180, 180 },
	{ 0, 0, 0 },
	{ 0, 360, 0 },
	{ 370, 10, 0 },
	{ 0, 540, 180 },
	{ -720, 45, 45 },
	{ 45, -45, -90 },
	{ 1e-9, 0, -1e-9 },
};

static void
test_angle_diff(void)
{
	size_t i;

	for (i = 0; i < N(angle_cases); i++)
		t_near(angle_cases[i].want, geo_angle_diff(angle_cases[i].a, angle_cases[i].b), 1e-9,
		    "geo_angle_diff(%g, %g)", angle_cases[i].a, angle_cases[i].b);
}

int
main(void)
{
	test_distance();
	test_bearing();
	test_destination();
	test_round_trip();
	test_angle_diff();
	return t_done();
}
