/*
 * geo: great-circle geometry on a spherical Earth (mean radius
 * 6371008.8 m, IUGG). Angles in degrees, distances in metres.
 */
#ifndef FS_GEO_H
#define FS_GEO_H

#define GEO_EARTH_RADIUS_M 6371008.8

/* geo_distance is the haversine great-circle distance. */
double geo_distance(double lat1, double lon1, double lat2, double lon2);

/* geo_bearing is the initial true bearing from point 1 to point 2, in [0, 360). */
double geo_bearing(double lat1, double lon1, double lat2, double lon2);

/* geo_destination moves dist metres from (lat, lon) along bearing; longitude in [-180, 180). */
void geo_destination(double lat, double lon, double bearing, double dist,
    double *lat2, double *lon2);

/* geo_angle_diff is the signed smallest turn from heading a to b, in (-180, 180]. */
double geo_angle_diff(double a, double b);

#endif
