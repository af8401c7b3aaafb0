#include <math.h>

#include "geo.h"

#define RAD(d) ((d) * (M_PI / 180.0))
#define DEG(r) ((r) * (180.0 / M_PI))

double
geo_distance(double lat1, double lon1, double lat2, double lon2)
{
	double dlat = RAD(lat2 - lat1), dlon = RAD(lon2 - lon1);
	double a = sin(dlat / 2) * sin(dlat / 2) +
	    cos(RAD(lat1)) * cos(RAD(lat2)) * sin(dlon / 2) * sin(dlon / 2);

	if (a > 1)
		a = 1;
	return 2 * GEO_EARTH_RADIUS_M * asin(sqrt(a));
}

double
geo_bearing(double lat1, double lon1, double lat2, double lon2)
{
	double p1 = RAD(lat1), p2 = RAD(lat2), dl = RAD(lon2 - lon1);
	double y = sin(dl) * cos(p2);
	double x = cos(p1) * sin(p2) - sin(p1) * cos(p2) * cos(dl);
	double b = fmod(DEG(atan2(y, x)) + 360.0, 360.0);

	return b >= 360.0 ? 0.0 : b;
}

void
geo_destination(double lat, double lon, double bearing, double dist,
    double *lat2, double *lon2)
{
	double d = dist / GEO_EARTH_RADIUS_M, t = RAD(bearing);
	double p1 = RAD(lat), l1 = RAD(lon);
	double sp2 = sin(p1) * cos(d) + cos(p1) * sin(d) * cos(t);
	double p2, l2;

	if (sp2 > 1)
		sp2 = 1;
	if (sp2 < -1)
		sp2 = -1;
	p2 = asin(sp2);
	l2 = l1 + atan2(sin(t) * sin(d) * cos(p1), cos(d) - sin(p1) * sp2);
	*lat2 = DEG(p2);
	*lon2 = fmod(DEG(l2) + 540.0, 360.0) - 180.0;
}

double
geo_angle_diff(double a, double b)
{
	double d = fmod(b - a, 360.0);

	if (d <= -180.0)
		d += 360.0;
	else if (d > 180.0)
		d -= 360.0;
	return d;
}
