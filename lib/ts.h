/*
 * ts: timestamps and durations.
 *
 * Time is carried as int64 milliseconds since the Unix epoch, UTC.
 * Output is RFC 3339 with milliseconds and a Z; input may be RFC 3339
 * (any offset, any number of fraction digits, 'T' or space), or epoch
 * seconds or milliseconds as a number.
 */
#ifndef FS_TS_H
#define FS_TS_H

#include <stddef.h>
#include <stdint.h>

#define TS_BUFSZ 32		/* room for any ts_format output and NUL */

/* ts_parse parses RFC 3339 text s[0..n). Returns 0, or -1 if it is not one. */
int ts_parse(const char *s, size_t n, int64_t *ms);

/*
 * ts_from_number turns an epoch number into milliseconds: magnitudes
 * below 1e11 are seconds (fractions kept to the millisecond), larger
 * ones are milliseconds. Returns -1 for NaN, infinities and values
 * outside years 0001..9999.
 */
int ts_from_number(double v, int64_t *ms);

/* ts_parse_any accepts RFC 3339, or an epoch number written as text. */
int ts_parse_any(const char *s, size_t n, int64_t *ms);

/* ts_format writes ms as 2026-11-20T12:00:05.000Z, NUL-terminated; returns the length (24). */
size_t ts_format(int64_t ms, char *out);

/*
 * ts_parse_duration parses "500ms", "90s", "10m", "2h", "1d" or a bare
 * number of seconds ("1.5"). Returns 0, or -1 on bad text or a negative
 * value.
 */
int ts_parse_duration(const char *s, int64_t *ms);

/* ts_now_ms is the wall clock; ts_mono_ms a monotonic clock for intervals. */
int64_t ts_now_ms(void);
int64_t ts_mono_ms(void);

/* ts_days_from_civil: days since 1970-01-01 of a proleptic Gregorian date. */
int64_t ts_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
