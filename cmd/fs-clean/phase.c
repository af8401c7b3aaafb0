/*
 * Flight phase by fuzzy logic, after OpenAP (Sun, Ellerbroek and
 * Hoekstra, "Flight extraction and phase identification for large
 * automatic dependent surveillance-broadcast datasets", 2017, and
 * openap/phase.py): membership functions on altitude, rate of climb
 * and speed, five rules, and the strongest rule wins.
 *
 * OpenAP defuzzifies by the largest of maxima over output sets centred
 * on 1 (ground) to 5 (level). Each rule's set is clipped at the rule's
 * strength, so the maximum belongs to the strongest rule, and a tie
 * goes to the later phase in that order; choosing the strongest rule
 * directly gives the same label without sampling the output axis.
 */
#include <math.h>

#include "clean.h"

static double
gauss(double x, double mean, double sigma)
{
	double d = (x - mean) / sigma;

	return exp(-0.5 * d * d);
}

/* smf: the S-shaped spline from 0 at a to 1 at b (scikit-fuzzy's smf). */
static double
smf(double x, double a, double b)
{
	double m = (a + b) / 2, d;

	if (x <= a)
		return 0;
	if (x >= b)
		return 1;
	if (x <= m) {
		d = (x - a) / (b - a);
		return 2 * d * d;
	}
	d = (x - b) / (b - a);
	return 1 - 2 * d * d;
}

static double
zmf(double x, double a, double b)
{
	return 1 - smf(x, a, b);
}

static double
clamp(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

static double
min3(double a, double b, double c)
{
	double m = a < b ? a : b;

	return m < c ? m : c;
}

int
phase_fuzzy(double alt_ft, double roc_fpm, double spd_kt)
{
	double alt_gnd, alt_lo, alt_hi, roc_zero, roc_plus, roc_minus;
	double spd_hi, spd_md, spd_lo, rule[PHASE_LEVEL + 1], best;
	int p, win;

	/* OpenAP's universes: altitude 0..40000 ft, rate ±4000 ft/min, speed 0..600 kt. */
	alt_ft = clamp(alt_ft, 0, 39999);
	roc_fpm = clamp(roc_fpm, -4000, 3999.9);
	spd_kt = clamp(spd_kt, 0, 599);

	alt_gnd = zmf(alt_ft, 0, 200);
	alt_lo = gauss(alt_ft, 10000, 10000);
	alt_hi = gauss(alt_ft, 35000, 20000);
	roc_zero = gauss(roc_fpm, 0, 100);
	roc_plus = smf(roc_fpm, 10, 1000);
	roc_minus = zmf(roc_fpm, -1000, -10);
	spd_hi = gauss(spd_kt, 600, 100);
	spd_md = gauss(spd_kt, 300, 100);
	spd_lo = gauss(spd_kt, 0, 50);

	rule[PHASE_GROUND] = min3(alt_gnd, roc_zero, spd_lo);
	rule[PHASE_CLIMB] = min3(alt_lo, roc_plus, spd_md);
	rule[PHASE_DESCENT] = min3(alt_lo, roc_minus, spd_md);
	rule[PHASE_CRUISE] = min3(alt_hi, roc_zero, spd_hi);
	rule[PHASE_LEVEL] = min3(alt_lo, roc_zero, spd_md);

	win = PHASE_LEVEL;
	best = -1;
	for (p = PHASE_GROUND; p <= PHASE_LEVEL; p++)
		if (rule[p] >= best) {
			best = rule[p];
			win = p;
		}
	return win;
}
