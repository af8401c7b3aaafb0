#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ts.h"

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
int64_t
ts_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int
digits(const char *s, size_t n, size_t *i, int count, int *out)
{
	int v = 0;

	while (count-- > 0) {
		if (*i >= n || !isdigit((unsigned char)s[*i]))
			return -1;
		v = v * 10 + (s[(*i)++] - '0');
	}
	*out = v;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

int
ts_parse(const char *s, size_t n, int64_t *ms)
{
	size_t i = 0;
	int y, mo, d, h, mi, sec, frac = 0, scale = 100, oh, om, sign;
	int64_t t;

	if (digits(s, n, &i, 4, &y) || i >= n || s[i++] != '-' ||
	    digits(s, n, &i, 2, &mo) || i >= n || s[i++] != '-' ||
	    digits(s, n, &i, 2, &d) || i >= n ||
	    (s[i] != 'T' && s[i] != 't' && s[i] != ' ') || (i++, 0) ||
	    digits(s, n, &i, 2, &h) || i >= n || s[i++] != ':' ||
	    digits(s, n, &i, 2, &mi) || i >= n || s[i++] != ':' ||
	    digits(s, n, &i, 2, &sec))
		return -1;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 60)
		return -1;
	if (i < n && s[i] == '.') {
		if (++i >= n || !isdigit((unsigned char)s[i]))
			return -1;
		/* Milliseconds: further digits are truncated. */
		for (; i < n && isdigit((unsigned char)s[i]); i++) {
			frac += (s[i] - '0') * scale;
			scale /= 10;
		}
	}
	if (i >= n)
		return -1;
	if (s[i] == 'Z' || s[i] == 'z') {
		i++;
		oh = om = 0;
		sign = 1;
	} else if (s[i] == '+' || s[i] == '-') {
		sign = s[i++] == '-' ? -1 : 1;
		if (digits(s, n, &i, 2, &oh) || i >= n || s[i++] != ':' ||
		    digits(s, n, &i, 2, &om) || oh > 23 || om > 59)
			return -1;
	} else
		return -1;
	if (i != n)
		return -1;
	if (sec == 60)		/* a leap second reads as the next second */
		sec = 59, frac += 1000;
	t = ts_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
	*ms = t * 1000 + frac;
	return 0;
}

#define TS_MIN_MS (-62135596800000LL)	/* 0001-01-01T00:00:00Z */
#define TS_MAX_MS (253402300799999LL)	/* 9999-12-31T23:59:59.999Z */

int
ts_from_number(double v, int64_t *ms)
{
	double m;

	if (!isfinite(v))
		return -1;
	/* Fractions of a millisecond are truncated; the 1e-6 absorbs binary error (1.001 s). */
	m = fabs(v) < 1e11 ? floor(v * 1000.0 + 1e-6) : floor(v);
	if (m < (double)TS_MIN_MS || m > (double)TS_MAX_MS)
		return -1;
	*ms = (int64_t)m;
	return 0;
}

int
ts_parse_any(const char *s, size_t n, int64_t *ms)
{
	char tmp[64], *end;
	double v;

	if (ts_parse(s, n, ms) == 0)
		return 0;
	if (n == 0 || n >= sizeof tmp)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	v = strtod(tmp, &end);
	if (end == tmp || *end != '\0')
		return -1;
	return ts_from_number(v, ms);
}

static void
put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

size_t
ts_format(int64_t ms, char *out)
{
	int64_t days, secs, rem;
	unsigned m, d, msec;
	int y;

	if (ms < TS_MIN_MS)
		ms = TS_MIN_MS;
	if (ms > TS_MAX_MS)
		ms = TS_MAX_MS;
	secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	msec = (unsigned)(ms - secs * 1000);
	days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	rem = secs - days * 86400;
	civil_from_days(days, &y, &m, &d);
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	put2(out + 5, m);
	out[7] = '-';
	put2(out + 8, d);
	out[10] = 'T';
	put2(out + 11, (unsigned)(rem / 3600));
	out[13] = ':';
	put2(out + 14, (unsigned)(rem / 60 % 60));
	out[16] = ':';
	put2(out + 17, (unsigned)(rem % 60));
	out[19] = '.';
	out[20] = (char)('0' + msec / 100);
	out[21] = (char)('0' + msec / 10 % 10);
	out[22] = (char)('0' + msec % 10);
	out[23] = 'Z';
	out[24] = '\0';
	return 24;
}

int
ts_parse_duration(const char *s, int64_t *ms)
{
	char *end;
	double v, unit = 1000;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	v = strtod(s, &end);
	if (end == s || !isfinite(v) || v < 0)
		return -1;
	if (strcmp(end, "ms") == 0)
		unit = 1;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		unit = 1000;
	else if (strcmp(end, "m") == 0)
		unit = 60000;
	else if (strcmp(end, "h") == 0)
		unit = 3600000;
	else if (strcmp(end, "d") == 0)
		unit = 86400000;
	else
		return -1;
	if (v * unit > 9e15)
		return -1;
	*ms = (int64_t)(v * unit + 0.5);
	return 0;
}

int64_t
ts_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int64_t
ts_mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}
