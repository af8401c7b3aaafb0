/*
 * emit: writing a clean record. The input's fields come first, as
 * event_write writes them; the new fields follow, in the order of
 * CLEAN_FIELDS. Numbers are written with fixed decimals by fixed(),
 * which writes straight into the buffer (the output is most of the
 * work per record after parsing).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "clean.h"
#include "ts.h"

#define MS_TO_KT (3600.0 / 1852.0)
#define M_TO_FT (1 / 0.3048)
#define MS_TO_FPM (60 / 0.3048)
#define ROOM 2048		/* more than the new fields can take */

/* The calendar fields of each hour and day of the week, written out. */
static char calendar[24][7][192];
static size_t calendar_len[24][7];
static int64_t stamp_ms = INT64_MIN;
static char stamp[TS_BUFSZ + 2];	/* processing_timestamp of stamp_ms, quoted */
static size_t stamp_len;

static inline size_t fixed(char *p, double v, int dec) __attribute__((always_inline));

void
emit_init(void)
{
	char *q;
	int h, d;

	for (h = 0; h < 24; h++)
		for (d = 0; d < 7; d++) {
			q = calendar[h][d];
			q += sprintf(q, ",\"hour\":%d,\"day_of_week\":%d,\"hour_sin\":", h, d);
			q += fixed(q, sin(2 * M_PI * h / 24), 6);
			q += sprintf(q, ",\"hour_cos\":");
			q += fixed(q, cos(2 * M_PI * h / 24), 6);
			q += sprintf(q, ",\"day_of_week_sin\":");
			q += fixed(q, sin(2 * M_PI * d / 7), 6);
			q += sprintf(q, ",\"day_of_week_cos\":");
			q += fixed(q, cos(2 * M_PI * d / 7), 6);
			calendar_len[h][d] = (size_t)(q - calendar[h][d]);
		}
}

static const char pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* digits writes v in decimal, exactly w digits (w > 0: zero-padded) or as many as it needs (w 0). */
static size_t
digits(char *p, uint64_t v, int w)
{
	char tmp[24], *e = tmp + sizeof tmp, *q = e;
	unsigned d;

	while (v >= 100) {
		d = (unsigned)(v % 100);
		v /= 100;
		q -= 2;
		memcpy(q, pairs + 2 * d, 2);
	}
	if (v >= 10) {
		q -= 2;
		memcpy(q, pairs + 2 * v, 2);
	} else
		*--q = (char)('0' + v);
	while (e - q < w)
		*--q = '0';
	memcpy(p, q, (size_t)(e - q));
	return (size_t)(e - q);
}

/*
 * fixed writes v rounded to dec (0..6) decimals, trailing zeros
 * trimmed, as json_fixed does, to p; it returns the length. NaN and
 * infinities are null. At most 32 bytes. It is inlined so that dec is
 * a constant and the divisions by its power of ten are multiplications.
 */
static inline size_t
fixed(char *p, double v, int dec)
{
	static const double p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6 };
	static const uint64_t p10i[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };
	uint64_t s, fp;
	size_t n = 0, f;
	int neg = v < 0;

	if (!isfinite(v)) {
		memcpy(p, "null", 4);
		return 4;
	}
	if (neg)
		v = -v;
	if (v * p10[dec] >= 9e15)	/* past exact integers: rare, so slow */
		return (size_t)snprintf(p, 32, "%.17g", neg ? -v : v);
	s = (uint64_t)(v * p10[dec] + 0.5);
	if (neg && s != 0)
		p[n++] = '-';
	n += digits(p + n, s / p10i[dec], 0);
	if (dec > 0 && (fp = s % p10i[dec]) != 0) {
		p[n++] = '.';
		f = digits(p + n, fp, dec);
		while (p[n + f - 1] == '0')
			f--;
		n += f;
	}
	return n;
}

static size_t
integer(char *p, long v)
{
	return fixed(p, (double)v, 0);
}

/* cell is the grid cell of v; the top edge (90 or 180) belongs to the cell below. */
static long
cell(double v, double g, double top)
{
	long c = (long)floor(v / g + 1e-9), last = (long)ceil(top / g - 1e-9) - 1;

	return c > last ? last : c;
}

#define KEY(k) do { memcpy(q, ",\"" k "\":", sizeof(k) + 3); q += sizeof(k) + 3; } while (0)
#define LIT(s) do { memcpy(q, s, sizeof(s) - 1); q += sizeof(s) - 1; } while (0)

void
emit_record(struct buf *b, const struct event *ev, const char *obj, size_t objlen,
    const struct rec *r, const struct kin *k, double grid, int64_t now)
{
	int64_t day = r->t / 86400000;
	int hour = (int)(r->t % 86400000 / 3600000), dow = (int)((day + 3) % 7), i, n;
	const char *ph;
	char *q;

	if (obj != NULL)
		buf_add(b, obj, objlen);
	else {
		event_write(ev, b);
		b->len -= 2;	/* "}\n" */
	}
	if (b->cap - b->len < ROOM)
		buf_grow(b, ROOM);
	q = b->p + b->len;
	KEY("velocity_kt");
	q += fixed(q, r->vel * MS_TO_KT, 2);
	KEY("altitude_ft");
	q += fixed(q, r->baro * M_TO_FT, 1);
	KEY("geo_altitude_ft");
	q += fixed(q, r->geo * M_TO_FT, 1);
	KEY("vertical_rate_fpm");
	q += fixed(q, r->vr * MS_TO_FPM, 1);
	/* hour, day_of_week (1970-01-01 was a Thursday; Monday is 0) and their encodings. */
	memcpy(q, calendar[hour][dow], calendar_len[hour][dow]);
	q += calendar_len[hour][dow];
	KEY("grid_x");
	if (isnan(r->lon))
		LIT("null");
	else
		q += integer(q, cell(r->lon >= 180 ? -180 : r->lon, grid, 180));
	KEY("grid_y");
	if (isnan(r->lat))
		LIT("null");
	else
		q += integer(q, cell(r->lat, grid, 90));
	KEY("dt_s");
	q += fixed(q, k->dt_s, 3);
	KEY("dist_m");
	q += fixed(q, k->dist_m, 1);
	KEY("implied_speed");
	q += fixed(q, k->implied_speed, 2);
	KEY("turn_rate");
	q += fixed(q, k->turn_rate, 3);
	KEY("accel");
	q += fixed(q, k->accel, 3);
	KEY("alt_change_m");
	q += fixed(q, k->alt_change_m, 1);
	KEY("vertical_rate_error");
	q += fixed(q, k->vrate_error, 2);
	KEY("flight_phase");
	if ((ph = phase_names[k->phase]) != NULL) {
		*q++ = '"';
		n = (int)strlen(ph);
		memcpy(q, ph, (size_t)n);
		q += n;
		*q++ = '"';
	} else
		LIT("null");
	KEY("quality_flags");
	*q++ = '[';
	for (i = n = 0; i < QF_COUNT; i++)
		if (k->flags & (1u << i)) {
			if (n++ > 0)
				*q++ = ',';
			*q++ = '"';
			memcpy(q, qflag_names[i], strlen(qflag_names[i]));
			q += strlen(qflag_names[i]);
			*q++ = '"';
		}
	*q++ = ']';
	KEY("processing_timestamp");
	if (now != stamp_ms) {
		stamp_ms = now;
		stamp[0] = '"';
		stamp_len = ts_format(now, stamp + 1) + 2;
		stamp[stamp_len - 1] = '"';
	}
	memcpy(q, stamp, stamp_len);
	q += stamp_len;
	LIT("}\n");
	b->len = (size_t)(q - b->p);
}
