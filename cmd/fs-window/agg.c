/*
 * agg: adding records up into a window, and writing the window record.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "ts.h"
#include "window.h"

/* idset_put puts id as the set's entry i, which is new. */
static void
idset_put(struct idset *s, uint64_t id, uint32_t i)
{
	if (i == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = xrealloc(s->v, s->cap * sizeof *s->v);
	}
	s->v[i] = id;
	hmap_put(&s->map, (uint32_t)(id ^ id >> 32), i);
}

/* idset_add adds id. A set of one aircraft, as in per-aircraft windows, allocates nothing. */
static void
idset_add(struct idset *s, uint64_t id)
{
	size_t pos = 0;
	uint32_t i;

	if (s->n == 0 || (s->n == 1 && s->one == id)) {
		s->one = id;
		s->n = 1;
		return;
	}
	if (s->n == 1)
		idset_put(s, s->one, 0);
	while ((i = hmap_find(&s->map, (uint32_t)(id ^ id >> 32), &pos)) != HMAP_NONE)
		if (s->v[i] == id)
			return;
	idset_put(s, id, s->n++);
}

void
agg_init(struct agg *a)
{
	memset(a, 0, sizeof *a);
}

void
agg_free(struct agg *a)
{
	free(a->ids.v);
	hmap_free(&a->ids.map);
	memset(&a->ids, 0, sizeof a->ids);
}

static inline void
minmax(uint64_t n, double v, double *min, double *max)
{
	if (n == 0 || v < *min)
		*min = v;
	if (n == 0 || v > *max)
		*max = v;
}

void
agg_add(struct agg *a, const struct recvals *rv)
{
	a->n++;
	if (rv->anomaly >= 0) {
		a->anomaly_n++;
		a->anomalies += (uint64_t)rv->anomaly;
	}
	if (!isnan(rv->velocity)) {
		minmax(a->vel_n++, rv->velocity, &a->vel_min, &a->vel_max);
		a->vel_sum += rv->velocity;
	}
	if (!isnan(rv->altitude)) {
		minmax(a->alt_n++, rv->altitude, &a->alt_min, &a->alt_max);
		a->alt_sum += rv->altitude;
	}
	if (!isnan(rv->score)) {
		a->score_n++;
		a->score_sum += rv->score;
	}
	if (rv->aircraft != 0)
		idset_add(&a->ids, rv->aircraft);
}

void
agg_merge(struct agg *dst, const struct agg *src)
{
	uint32_t i;

	dst->n += src->n;
	dst->anomalies += src->anomalies;
	dst->anomaly_n += src->anomaly_n;
	if (src->vel_n > 0) {
		minmax(dst->vel_n, src->vel_min, &dst->vel_min, &dst->vel_max);
		minmax(1, src->vel_max, &dst->vel_min, &dst->vel_max);
		dst->vel_n += src->vel_n;
		dst->vel_sum += src->vel_sum;
	}
	if (src->alt_n > 0) {
		minmax(dst->alt_n, src->alt_min, &dst->alt_min, &dst->alt_max);
		minmax(1, src->alt_max, &dst->alt_min, &dst->alt_max);
		dst->alt_n += src->alt_n;
		dst->alt_sum += src->alt_sum;
	}
	dst->score_n += src->score_n;
	dst->score_sum += src->score_sum;
	for (i = 0; i < src->ids.n; i++)
		idset_add(&dst->ids, src->ids.n == 1 ? src->ids.one : src->ids.v[i]);
}

#define LIT(b, s) buf_add((b), (s), sizeof(s) - 1)

/* count writes n, or null when no record had the field. */
static void
count(struct buf *b, uint64_t n, uint64_t have)
{
	if (have == 0)
		json_null(b);
	else
		json_uint(b, n);
}

static void
stat3(struct buf *b, const char *name, uint64_t n, double sum, double min, double max)
{
	LIT(b, ",\"avg_");
	buf_adds(b, name);
	LIT(b, "\":");
	if (n == 0) {
		LIT(b, "null,\"min_");
		buf_adds(b, name);
		LIT(b, "\":null,\"max_");
		buf_adds(b, name);
		LIT(b, "\":null");
		return;
	}
	json_fixed(b, sum / (double)n, 3);
	LIT(b, ",\"min_");
	buf_adds(b, name);
	LIT(b, "\":");
	json_double(b, min);
	LIT(b, ",\"max_");
	buf_adds(b, name);
	LIT(b, "\":");
	json_double(b, max);
}

void
agg_format(struct buf *b, int64_t start, int64_t end, const char *key, size_t keylen,
    const struct agg *a, uint64_t late)
{
	char ts[TS_BUFSZ];

	LIT(b, "{\"window_start\":\"");
	buf_add(b, ts, ts_format(start, ts));
	LIT(b, "\",\"window_end\":\"");
	buf_add(b, ts, ts_format(end, ts));
	LIT(b, "\",\"key\":");
	json_str(b, key, keylen);
	LIT(b, ",\"event_count\":");
	json_uint(b, a->n);
	LIT(b, ",\"anomaly_count\":");
	count(b, a->anomalies, a->anomaly_n);
	stat3(b, "velocity", a->vel_n, a->vel_sum, a->vel_min, a->vel_max);
	stat3(b, "altitude", a->alt_n, a->alt_sum, a->alt_min, a->alt_max);
	LIT(b, ",\"unique_aircraft\":");
	count(b, a->ids.n, a->ids.n);
	LIT(b, ",\"avg_anomaly_score\":");
	if (a->score_n == 0)
		json_null(b);
	else
		json_fixed(b, a->score_sum / (double)a->score_n, 6);
	LIT(b, ",\"late_count\":");
	json_uint(b, late);
	LIT(b, "}\n");
}
