/*
 * state: the picture fs-serve holds, and its JSON.
 *
 * Aircraft live in one hash table by icao24 and on a list in order of
 * arrival, for eviction at --max-aircraft. Each keeps the fields of its
 * records as they last came (a field missing from a record keeps its
 * value, as readsb does), its latest record verbatim, and a ring of up
 * to TRAIL_MAX trail points at least --trail / TRAIL_MAX apart.
 *
 * The clock is the newest event time read, moved on by the wall clock
 * while no newer record comes: a live stream expires aircraft in wall
 * time, a replay in its own time, and a replay that ended in wall time.
 *
 * Every change is stamped with the number of the frame it will be
 * published in; removals leave a tombstone. A frame "since N" is every
 * aircraft, anomaly and window stamped after N, and the tombstones
 * after N: one function serves the ticks, a reconnecting client's
 * Last-Event-ID and a client whose queue was coalesced. When the
 * tombstones of frames after N are no longer all kept, a snapshot is
 * sent instead. Nothing here locks: the caller does.
 */
#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "serve.h"
#include "ts.h"

#define FT_M 0.3048
#define KT_MS 0.514444
#define FPM_MS 0.00508

/* The chained hash table of aircraft and of window keys: nodes sit inside their owners. */
struct mnode {
	struct mnode *next;
	uint32_t h;
	uint32_t klen;
	const char *key;
};

struct map {
	struct mnode **b;
	size_t nb, n;
};

struct tpoint {
	int64_t t;
	float lat, lon, alt;
};

struct ac {
	struct mnode node;	/* first: a node is its aircraft */
	char icao[16];
	struct ac *prev, *next;	/* arrival order, oldest first */
	uint64_t seq;		/* stamp of the last change */
	uint64_t records;
	int64_t t, t_pos;	/* the latest record's time; the latest position's, or INT64_MIN */
	double lat, lon, baro, geo, vel, track, vrate, score;	/* NaN: unknown */
	signed char ground, anomaly;	/* -1: unknown */
	short category, source;		/* -1: unknown */
	char callsign[9], squawk[8];
	char *rec;		/* the latest record, verbatim */
	size_t reclen, reccap;
	char *reasons;		/* anomaly_reasons, as JSON text */
	size_t reasons_len;
	struct tpoint *trail;	/* ring */
	uint16_t ntrail, trail0, trailcap;
};

struct anom {
	uint64_t seq;
	char *json;		/* the aircraft as that record left it */
	size_t len;
};

struct wkey {
	struct mnode node;
	char *key;
	uint64_t seq;
	int64_t end;		/* the newest window_end */
	char *w[WINDOWS_PER_KEY];	/* ring, newest at (w0 + n - 1) */
	size_t wlen[WINDOWS_PER_KEY];
	int w0, n;
};

struct tomb {
	uint64_t seq;
	char icao[16];
};

struct sstate {
	struct serve_opts o;
	struct map acs, keys;
	struct ac *oldest, *newest;
	uint64_t seq;		/* the frame being gathered */
	int dirty;		/* anything stamped seq */
	int64_t ev_max, ev_wall, now;
	struct tomb *tombs;	/* ring of max_aircraft */
	size_t ntombs, tomb0;
	uint64_t horizon;	/* frames after it have all their tombstones */
	struct anom anoms[ANOMALIES_MAX];
	size_t nanoms, anom0;
	struct scounts c;
	uint64_t rate_records;
	int64_t rate_wall;
	struct buf tmp;
};

/* ---- the hash table ---- */

static uint32_t
hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (n-- > 0)
		h = (h ^ (unsigned char)*p++) * 16777619u;
	return h;
}

static struct mnode *
map_get(const struct map *m, const char *key, size_t n)
{
	uint32_t h = hash(key, n);
	struct mnode *e;

	if (m->nb == 0)
		return NULL;
	for (e = m->b[h & (m->nb - 1)]; e != NULL; e = e->next)
		if (e->h == h && e->klen == n && memcmp(e->key, key, n) == 0)
			return e;
	return NULL;
}

static void
map_put(struct map *m, struct mnode *e)
{
	struct mnode **nb, *x, *next;
	size_t i, size;

	if (m->n >= m->nb) {
		size = m->nb ? m->nb * 2 : 1024;
		nb = xcalloc(size, sizeof *nb);
		for (i = 0; i < m->nb; i++)
			for (x = m->b[i]; x != NULL; x = next) {
				next = x->next;
				x->next = nb[x->h & (size - 1)];
				nb[x->h & (size - 1)] = x;
			}
		free(m->b);
		m->b = nb;
		m->nb = size;
	}
	e->h = hash(e->key, e->klen);
	e->next = m->b[e->h & (m->nb - 1)];
	m->b[e->h & (m->nb - 1)] = e;
	m->n++;
}

static void
map_del(struct map *m, struct mnode *e)
{
	struct mnode **pp = &m->b[e->h & (m->nb - 1)];

	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	m->n--;
}

/* ---- aircraft ---- */

struct sstate *
state_new(const struct serve_opts *o)
{
	struct sstate *s = xcalloc(1, sizeof *s);

	s->o = *o;
	s->seq = 1;
	s->ev_max = s->now = INT64_MIN;
	s->tombs = xcalloc(o->max_aircraft, sizeof *s->tombs);
	s->c.newest = INT64_MIN;
	return s;
}

static void
ac_free(struct ac *a)
{
	free(a->rec);
	free(a->reasons);
	free(a->trail);
	free(a);
}

void
state_free(struct sstate *s)
{
	struct ac *a, *next;
	struct mnode *e, *en;
	struct wkey *k;
	size_t i;
	int j;

	if (s == NULL)
		return;
	for (a = s->oldest; a != NULL; a = next) {
		next = a->next;
		ac_free(a);
	}
	for (i = 0; i < s->keys.nb; i++)
		for (e = s->keys.b[i]; e != NULL; e = en) {
			en = e->next;
			k = (struct wkey *)e;
			for (j = 0; j < WINDOWS_PER_KEY; j++)
				free(k->w[j]);
			free(k->key);
			free(k);
		}
	for (i = 0; i < ANOMALIES_MAX; i++)
		free(s->anoms[i].json);
	free(s->acs.b);
	free(s->keys.b);
	free(s->tombs);
	buf_free(&s->tmp);
	free(s);
}

static void
unlink_ac(struct sstate *s, struct ac *a)
{
	if (a->prev != NULL)
		a->prev->next = a->next;
	else
		s->oldest = a->next;
	if (a->next != NULL)
		a->next->prev = a->prev;
	else
		s->newest = a->prev;
	a->prev = a->next = NULL;
}

static void
append_ac(struct sstate *s, struct ac *a)
{
	a->prev = s->newest;
	a->next = NULL;
	if (s->newest != NULL)
		s->newest->next = a;
	else
		s->oldest = a;
	s->newest = a;
}

/* remove_ac drops an aircraft and leaves a tombstone for the frames. */
static void
remove_ac(struct sstate *s, struct ac *a)
{
	struct tomb *t;

	if (s->ntombs == s->o.max_aircraft) {
		/* The oldest tombstone goes: frames up to its stamp can no longer be told apart. */
		s->horizon = s->tombs[s->tomb0].seq;
		s->tomb0 = (s->tomb0 + 1) % s->o.max_aircraft;
		s->ntombs--;
	}
	t = &s->tombs[(s->tomb0 + s->ntombs++) % s->o.max_aircraft];
	t->seq = s->seq;
	memcpy(t->icao, a->icao, sizeof t->icao);
	s->dirty = 1;
	map_del(&s->acs, &a->node);
	unlink_ac(s, a);
	ac_free(a);
	s->c.aircraft--;
}

static struct ac *
get_ac(struct sstate *s, const char *icao, size_t n)
{
	struct ac *a = (struct ac *)map_get(&s->acs, icao, n);

	if (a != NULL) {
		unlink_ac(s, a);
		append_ac(s, a);
		return a;
	}
	if (s->c.aircraft >= s->o.max_aircraft) {
		remove_ac(s, s->oldest);
		s->c.evicted++;
	}
	a = xcalloc(1, sizeof *a);
	memcpy(a->icao, icao, n);
	a->node.key = a->icao;
	a->node.klen = (uint32_t)n;
	a->lat = a->lon = a->baro = a->geo = a->vel = a->track = a->vrate = a->score = NAN;
	a->ground = a->anomaly = -1;
	a->category = a->source = -1;
	a->t = a->t_pos = INT64_MIN;
	map_put(&s->acs, &a->node);
	append_ac(s, a);
	s->c.aircraft++;
	return a;
}

/* clock_at is the picture's clock at wall clock wall (see the top of this file). */
static int64_t
clock_at(struct sstate *s, int64_t wall)
{
	int64_t t;

	if (s->ev_max == INT64_MIN)
		return s->now == INT64_MIN ? wall : s->now;
	t = s->ev_max + (wall > s->ev_wall ? wall - s->ev_wall : 0);
	if (t > s->now)
		s->now = t;
	return s->now;
}

static void
trail_trim(struct sstate *s, struct ac *a, int64_t now)
{
	while (a->ntrail > 0 && a->trail[a->trail0].t < now - s->o.trail_ms) {
		a->trail0 = (uint16_t)((a->trail0 + 1) % a->trailcap);
		a->ntrail--;
	}
}

/* trail_add keeps a position in time order, at least --trail / TRAIL_MAX after the last. */
static void
trail_add(struct sstate *s, struct ac *a, int64_t t)
{
	struct tpoint *p, *nt;
	int64_t gap = s->o.trail_ms / TRAIL_MAX;
	uint16_t i, cap;

	if (s->o.trail_ms <= 0)
		return;
	if (a->ntrail > 0) {
		p = &a->trail[(a->trail0 + a->ntrail - 1) % a->trailcap];
		if (t < p->t + (gap > 0 ? gap : 1))
			return;
	}
	if (a->ntrail == a->trailcap) {
		if (a->trailcap == TRAIL_MAX) {
			a->trail0 = (uint16_t)((a->trail0 + 1) % a->trailcap);
			a->ntrail--;
		} else {
			/* Grown by doubling: most aircraft are seen for a short while. */
			cap = a->trailcap ? (uint16_t)(a->trailcap * 2) : 8;
			nt = xmalloc(cap * sizeof *nt);
			for (i = 0; i < a->ntrail; i++)
				nt[i] = a->trail[(a->trail0 + i) % a->trailcap];
			free(a->trail);
			a->trail = nt;
			a->trail0 = 0;
			a->trailcap = cap;
		}
	}
	p = &a->trail[(a->trail0 + a->ntrail++) % a->trailcap];
	p->t = t;
	p->lat = (float)a->lat;
	p->lon = (float)a->lon;
	p->alt = (float)a->baro;
}

static int
field_num(const struct event *ev, int f, double *v)
{
	if (ev->f[f].type == EVT_NUMBER && isfinite(ev->f[f].num)) {
		*v = ev->f[f].num;
		return 1;
	}
	return 0;
}

/* The fields fs-serve reads that the event parser does not decode, found in one pass. */
struct more {
	const struct ev_field *key, *wstart, *wend, *score, *anomaly, *reasons;
};

static void
find_more(const struct event *ev, struct more *m)
{
	static const struct {
		const char *name;
		size_t len, off;
	} names[] = {
		{ "key", 3, offsetof(struct more, key) },
		{ "window_start", 12, offsetof(struct more, wstart) },
		{ "window_end", 10, offsetof(struct more, wend) },
		{ "anomaly_score", 13, offsetof(struct more, score) },
		{ "is_anomaly", 10, offsetof(struct more, anomaly) },
		{ "anomaly_reasons", 15, offsetof(struct more, reasons) },
	};
	const struct ev_field *f;
	size_t j;
	int i;

	memset(m, 0, sizeof *m);
	for (i = 0; i < ev->nfields; i++) {
		f = &ev->fields[i];
		if (f->evf >= 0)
			continue;
		for (j = 0; j < sizeof names / sizeof names[0]; j++)
			if (f->name_len == names[j].len && memcmp(f->name, names[j].name, f->name_len) == 0) {
				*(const struct ev_field **)((char *)m + names[j].off) = f;
				break;
			}
	}
}

static int
field_number(const struct event *ev, const struct ev_field *f, double *v)
{
	char c;

	if (f == NULL || f->val_len == 0)
		return 0;
	c = ev->line[f->val_off];
	if (!isdigit((unsigned char)c) && c != '-')
		return 0;
	*v = json_number(ev->line + f->val_off, f->val_len);
	return isfinite(*v);
}

/* field_bool: 1 true, 0 false, -1 absent or not a boolean. */
static int
field_bool(const struct event *ev, const struct ev_field *f)
{
	if (f == NULL)
		return -1;
	if (f->val_len == 4 && memcmp(ev->line + f->val_off, "true", 4) == 0)
		return 1;
	if (f->val_len == 5 && memcmp(ev->line + f->val_off, "false", 5) == 0)
		return 0;
	return -1;
}

static void
copy_str(char *dst, size_t size, const struct ev_val *v)
{
	size_t n = v->len < size - 1 ? v->len : size - 1;

	memcpy(dst, v->s, n);
	dst[n] = '\0';
}

static void ac_json(struct buf *b, const struct ac *a, int64_t now);

/* add_anomaly keeps the aircraft as an anomalous record left it. */
static void
add_anomaly(struct sstate *s, const struct ac *a)
{
	struct anom *an;

	if (s->nanoms == ANOMALIES_MAX) {
		s->anom0 = (s->anom0 + 1) % ANOMALIES_MAX;
		s->nanoms--;
	}
	an = &s->anoms[(s->anom0 + s->nanoms++) % ANOMALIES_MAX];
	buf_reset(&s->tmp);
	ac_json(&s->tmp, a, INT64_MIN);
	free(an->json);
	an->json = xmalloc(s->tmp.len);
	memcpy(an->json, s->tmp.p, s->tmp.len);
	an->len = s->tmp.len;
	an->seq = s->seq;
	s->c.anomalies++;
}

static int
add_position(struct sstate *s, const struct event *ev, const struct more *m, int64_t wall,
    const char **code, char *msg, size_t msgsz)
{
	const struct ev_val *icao = &ev->f[EVF_ICAO24];
	const struct ev_field *rf = m->reasons;
	struct ac *a;
	int64_t t, now;
	double lat = NAN, lon = NAN, v;
	int b = -1, pos;

	if (icao->type != EVT_STRING || icao->len == 0 || icao->len >= sizeof a->icao) {
		*code = icao->type == EVT_ABSENT ? "missing.icao24" : "type.icao24";
		snprintf(msg, msgsz, "icao24 is %s, not an address",
		    icao->type == EVT_ABSENT ? "missing" : "not a short string");
		return -1;
	}
	if (event_time(ev, &t) != 0) {
		*code = ev->f[EVF_TIMESTAMP].type == EVT_ABSENT ? "missing.timestamp" :
		    "format.timestamp";
		snprintf(msg, msgsz, "timestamp is %s", ev->f[EVF_TIMESTAMP].type == EVT_ABSENT ?
		    "missing" : "not RFC 3339 text or epoch seconds or milliseconds");
		return -1;
	}
	pos = field_num(ev, EVF_LATITUDE, &lat) && field_num(ev, EVF_LONGITUDE, &lon);
	if (pos && (fabs(lat) > 90 || fabs(lon) > 180)) {
		*code = "range.position";
		snprintf(msg, msgsz, "position %g, %g is not on the earth", lat, lon);
		return -1;
	}
	if (ev->len > RECORD_MAX) {
		*code = "too_long";
		snprintf(msg, msgsz, "record of %zu bytes is longer than the %d fs-serve keeps",
		    ev->len, RECORD_MAX);
		return -1;
	}
	if (t > s->ev_max) {
		s->ev_max = t;
		s->ev_wall = wall;
	}
	if (t > s->c.newest)
		s->c.newest = t;
	now = clock_at(s, wall);
	if (s->o.expire_ms > 0 && t < now - s->o.expire_ms) {
		/* Valid, but the aircraft would leave at once: counted, not kept. */
		s->c.too_old++;
		return 1;
	}
	a = get_ac(s, icao->s, icao->len);
	a->records++;
	s->c.positions++;
	if (t < a->t) {
		/* Out of order: not the latest, and not in the trail, which keeps time order. */
		s->c.stale++;
		return 0;
	}
	a->t = t;
	a->seq = s->seq;
	s->dirty = 1;
	if (ev->f[EVF_CALLSIGN].type == EVT_STRING)
		copy_str(a->callsign, sizeof a->callsign, &ev->f[EVF_CALLSIGN]);
	if (ev->f[EVF_SQUAWK].type == EVT_STRING)
		copy_str(a->squawk, sizeof a->squawk, &ev->f[EVF_SQUAWK]);
	if (field_num(ev, EVF_BARO_ALTITUDE, &v))
		a->baro = v;
	if (field_num(ev, EVF_GEO_ALTITUDE, &v))
		a->geo = v;
	if (field_num(ev, EVF_VELOCITY, &v))
		a->vel = v;
	if (field_num(ev, EVF_HEADING, &v))
		a->track = v;
	if (field_num(ev, EVF_VERTICAL_RATE, &v))
		a->vrate = v;
	if (field_num(ev, EVF_CATEGORY, &v) && v >= 0 && v < 32)
		a->category = (short)v;
	if (field_num(ev, EVF_POSITION_SOURCE, &v) && v >= 0 && v < 16)
		a->source = (short)v;
	if (ev->f[EVF_ON_GROUND].type == EVT_BOOL)
		a->ground = (signed char)ev->f[EVF_ON_GROUND].b;
	if (field_number(ev, m->score, &v))
		a->score = v;
	if ((b = field_bool(ev, m->anomaly)) >= 0)
		a->anomaly = (signed char)b;
	if (rf != NULL && ev->line[rf->val_off] == '[') {
		a->reasons = xrealloc(a->reasons, rf->val_len);
		memcpy(a->reasons, ev->line + rf->val_off, rf->val_len);
		a->reasons_len = rf->val_len;
	}
	a->reclen = ev->obj_end - ev->obj_start;
	if (a->reclen > a->reccap) {
		a->reccap = a->reclen + 64;
		a->rec = xrealloc(a->rec, a->reccap);
	}
	memcpy(a->rec, ev->line + ev->obj_start, a->reclen);
	if (pos) {
		a->lat = lat;
		a->lon = lon;
		a->t_pos = t;
		trail_add(s, a, t);	/* old points leave at the tick, in one sweep */
	}
	if (b == 1)
		add_anomaly(s, a);
	return 0;
}

static int
add_window(struct sstate *s, const struct event *ev, const struct more *m,
    const char **code, char *msg, size_t msgsz)
{
	struct buf *key = &s->tmp;
	const struct ev_field *kf = m->key, *ef = m->wend;
	struct wkey *k, *old;
	struct mnode *e;
	int64_t end;
	size_t i, len = ev->obj_end - ev->obj_start;
	int j;

	buf_reset(key);
	if (ev->line[kf->val_off] != '"' ||
	    json_unescape(key, ev->line + kf->val_off, kf->val_len) != 0 || key->len > KEY_MAX) {
		*code = "type.key";
		snprintf(msg, msgsz, "window key is not a string of at most %d bytes", KEY_MAX);
		return -1;
	}
	if (ef == NULL || ts_parse_any(ev->line + ef->val_off + 1, ef->val_len >= 2 ?
	    ef->val_len - 2 : 0, &end) != 0) {
		*code = "format.window_end";
		snprintf(msg, msgsz, "window_end is missing or not RFC 3339 text");
		return -1;
	}
	if (len > RECORD_MAX) {
		*code = "too_long";
		snprintf(msg, msgsz, "record of %zu bytes is longer than the %d fs-serve keeps",
		    len, RECORD_MAX);
		return -1;
	}
	if ((k = (struct wkey *)map_get(&s->keys, key->p, key->len)) == NULL) {
		if (s->keys.n >= s->o.max_keys) {
			/* The key whose newest window is oldest goes. */
			old = NULL;
			for (i = 0; i < s->keys.nb; i++)
				for (e = s->keys.b[i]; e != NULL; e = e->next)
					if (old == NULL || ((struct wkey *)e)->end < old->end)
						old = (struct wkey *)e;
			map_del(&s->keys, &old->node);
			for (j = 0; j < WINDOWS_PER_KEY; j++)
				free(old->w[j]);
			free(old->key);
			free(old);
		}
		k = xcalloc(1, sizeof *k);
		k->key = xmalloc(key->len + 1);
		memcpy(k->key, key->p, key->len);
		k->key[key->len] = '\0';
		k->node.key = k->key;
		k->node.klen = (uint32_t)key->len;
		map_put(&s->keys, &k->node);
	}
	if (k->n == WINDOWS_PER_KEY) {
		k->w0 = (k->w0 + 1) % WINDOWS_PER_KEY;
		k->n--;
	}
	j = (k->w0 + k->n++) % WINDOWS_PER_KEY;
	k->w[j] = xrealloc(k->w[j], len);
	memcpy(k->w[j], ev->line + ev->obj_start, len);
	k->wlen[j] = len;
	if (end > k->end)
		k->end = end;
	k->seq = s->seq;
	s->dirty = 1;
	s->c.windows++;
	return 0;
}

int
state_add(struct sstate *s, const struct event *ev, int64_t wall, const char **code,
    char *msg, size_t msgsz)
{
	struct more m;
	int rc;

	find_more(ev, &m);
	if (m.key != NULL && m.wstart != NULL)
		rc = add_window(s, ev, &m, code, msg, msgsz);
	else
		rc = add_position(s, ev, &m, wall, code, msg, msgsz);
	if (rc == 0)
		s->c.records++;
	return rc < 0 ? -1 : 0;
}

uint64_t
state_tick(struct sstate *s, int64_t wall)
{
	struct ac *a, *next;
	int64_t now = clock_at(s, wall);
	uint64_t seq;

	for (a = s->oldest; a != NULL; a = next) {
		next = a->next;
		if (s->o.expire_ms > 0 && a->t < now - s->o.expire_ms) {
			remove_ac(s, a);
			s->c.expired++;
			continue;
		}
		if (a->ntrail > 0 && a->trail[a->trail0].t < now - s->o.trail_ms) {
			trail_trim(s, a, now);
			a->seq = s->seq;
			s->dirty = 1;
		}
	}
	if (s->rate_wall != 0 && wall > s->rate_wall)
		s->c.rate = (double)(s->c.records - s->rate_records) * 1000 / (double)(wall - s->rate_wall);
	s->rate_records = s->c.records;
	s->rate_wall = wall;
	if (!s->dirty)
		return 0;
	seq = s->seq++;
	s->c.seq = seq;
	s->dirty = 0;
	return seq;
}

/* ---- JSON ---- */

static void
num(struct buf *b, const char *key, double v, int decimals)
{
	if (isnan(v))
		return;
	buf_addc(b, ',');
	json_key(b, key);
	json_fixed(b, v, decimals);
}

static void
time_val(struct buf *b, int64_t t)
{
	char ts[TS_BUFSZ];

	json_str(b, ts, ts_format(t, ts));
}

static void
time_field(struct buf *b, const char *key, int64_t t)
{
	buf_addc(b, ',');
	json_key(b, key);
	time_val(b, t);
}

/*
 * ac_json writes an aircraft as the API and the frames give it: the
 * fields of its records under their names (SI units), the keys of
 * unknown ones left out; with now (not INT64_MIN) also "seen", seconds.
 */
static void
ac_json(struct buf *b, const struct ac *a, int64_t now)
{
	buf_addc(b, '{');
	json_key(b, "icao24");
	json_strz(b, a->icao);
	if (a->callsign[0] != '\0') {
		buf_addc(b, ',');
		json_key(b, "callsign");
		json_strz(b, a->callsign);
	}
	time_field(b, "timestamp", a->t);
	if (a->t_pos != INT64_MIN) {
		num(b, "latitude", a->lat, 6);
		num(b, "longitude", a->lon, 6);
		time_field(b, "position_timestamp", a->t_pos);
	}
	num(b, "baro_altitude", a->baro, 2);
	num(b, "geo_altitude", a->geo, 2);
	num(b, "velocity", a->vel, 2);
	num(b, "heading", a->track, 2);
	num(b, "vertical_rate", a->vrate, 2);
	if (a->ground >= 0) {
		buf_adds(b, ",\"on_ground\":");
		json_bool(b, a->ground);
	}
	if (a->squawk[0] != '\0') {
		buf_addc(b, ',');
		json_key(b, "squawk");
		json_strz(b, a->squawk);
	}
	num(b, "category", a->category < 0 ? NAN : a->category, 0);
	num(b, "anomaly_score", a->score, 4);
	if (a->anomaly >= 0) {
		buf_adds(b, ",\"is_anomaly\":");
		json_bool(b, a->anomaly);
	}
	if (a->reasons != NULL) {
		buf_adds(b, ",\"anomaly_reasons\":");
		buf_add(b, a->reasons, a->reasons_len);
	}
	buf_adds(b, ",\"records\":");
	json_uint(b, a->records);
	if (now != INT64_MIN)
		num(b, "seen", (double)(now - a->t) / 1000, 1);
	buf_addc(b, '}');
}

static void
latest_window(struct buf *b, const struct wkey *k)
{
	int j = (k->w0 + k->n - 1) % WINDOWS_PER_KEY;

	buf_add(b, k->w[j], k->wlen[j]);
}

static void
counts_json(struct sstate *s, struct buf *b)
{
	buf_adds(b, "\"stats\":{\"records\":");
	json_uint(b, s->c.records);
	buf_adds(b, ",\"records_per_second\":");
	json_fixed(b, s->c.rate, 1);
	buf_adds(b, ",\"aircraft\":");
	json_uint(b, s->c.aircraft);
	buf_adds(b, ",\"anomalies\":");
	json_uint(b, s->c.anomalies);
	buf_adds(b, ",\"windows\":");
	json_uint(b, s->c.windows);
	buf_addc(b, '}');
}

int
state_delta_ok(const struct sstate *s, uint64_t since)
{
	return since != 0 && since >= s->horizon;
}

void
state_frame(struct sstate *s, uint64_t since, struct buf *b, int *snapshot)
{
	const struct ac *a;
	const struct mnode *e;
	const struct wkey *k;
	size_t i;
	int first = 1;

	*snapshot = !state_delta_ok(s, since);
	if (*snapshot)
		since = 0;
	buf_adds(b, "{\"seq\":");
	json_uint(b, s->c.seq);
	time_field(b, "now", s->now == INT64_MIN ? 0 : s->now);
	buf_adds(b, ",\"snapshot\":");
	json_bool(b, *snapshot);
	buf_adds(b, ",\"aircraft\":[");
	for (a = s->oldest; a != NULL; a = a->next)
		if (a->seq > since) {
			if (!first)
				buf_addc(b, ',');
			first = 0;
			ac_json(b, a, INT64_MIN);
		}
	buf_adds(b, "],\"removed\":[");
	first = 1;
	for (i = 0; i < s->ntombs && !*snapshot; i++) {
		const struct tomb *t = &s->tombs[(s->tomb0 + i) % s->o.max_aircraft];

		if (t->seq <= since)
			continue;
		if (!first)
			buf_addc(b, ',');
		first = 0;
		json_strz(b, t->icao);
	}
	buf_adds(b, "],\"anomalies\":[");
	first = 1;
	for (i = 0; i < s->nanoms; i++) {
		const struct anom *an = &s->anoms[(s->anom0 + i) % ANOMALIES_MAX];

		if (an->seq <= since)
			continue;
		if (!first)
			buf_addc(b, ',');
		first = 0;
		buf_add(b, an->json, an->len);
	}
	buf_adds(b, "],\"windows\":[");
	first = 1;
	for (i = 0; i < s->keys.nb; i++)
		for (e = s->keys.b[i]; e != NULL; e = e->next) {
			k = (const struct wkey *)e;
			if (k->seq <= since)
				continue;
			if (!first)
				buf_addc(b, ',');
			first = 0;
			latest_window(b, k);
		}
	buf_adds(b, "],");
	counts_json(s, b);
	buf_addc(b, '}');
}

/* readsb_category is the inverse of fs-produce readsb's mapping of emitter categories. */
static const char *
readsb_category(int c, char out[3])
{
	if (c == 1)
		return "A0";
	if (c < 2 || c > 20)
		return NULL;
	out[0] = c <= 8 ? 'A' : c <= 15 ? 'B' : 'C';
	out[1] = (char)('0' + (c <= 8 ? c - 1 : c <= 15 ? c - 8 : c - 15));
	out[2] = '\0';
	return out;
}

/*
 * readsb_ac writes an aircraft as readsb's README-json documents it:
 * feet, knots, feet per minute, seconds of age, "flight" padded to 8.
 */
static void
readsb_ac(struct buf *b, const struct ac *a, int64_t now)
{
	char cat[3];
	const char *c;

	buf_adds(b, "{\"hex\":");
	json_strz(b, a->icao);
	if (a->source == 0)
		buf_adds(b, ",\"type\":\"adsb_icao\"");
	else if (a->source == 2)
		buf_adds(b, ",\"type\":\"mlat\"");
	if (a->callsign[0] != '\0')
		buf_addf(b, ",\"flight\":\"%-8s\"", a->callsign);
	if (a->ground == 1)
		buf_adds(b, ",\"alt_baro\":\"ground\"");
	else
		num(b, "alt_baro", a->baro / FT_M, 0);
	num(b, "alt_geom", a->geo / FT_M, 0);
	num(b, "gs", a->vel / KT_MS, 1);
	num(b, "track", a->track, 1);
	num(b, "baro_rate", a->vrate / FPM_MS, 0);
	if (a->squawk[0] != '\0') {
		buf_adds(b, ",\"squawk\":");
		json_strz(b, a->squawk);
	}
	if ((c = readsb_category(a->category, cat)) != NULL)
		buf_addf(b, ",\"category\":\"%s\"", c);
	if (a->t_pos != INT64_MIN) {
		num(b, "lat", a->lat, 6);
		num(b, "lon", a->lon, 6);
		num(b, "seen_pos", (double)(now - a->t_pos) / 1000, 1);
	}
	buf_adds(b, a->source == 2 ? ",\"mlat\":[\"lat\",\"lon\"],\"tisb\":[]" :
	    ",\"mlat\":[],\"tisb\":[]");
	buf_adds(b, ",\"messages\":");
	json_uint(b, a->records);
	num(b, "seen", (double)(now - a->t) / 1000, 1);
	buf_addc(b, '}');
}

void
state_readsb(struct sstate *s, struct buf *b)
{
	const struct ac *a;
	int64_t now = s->now == INT64_MIN ? ts_now_ms() : s->now;

	buf_adds(b, "{\"now\":");
	json_fixed(b, (double)now / 1000, 1);
	buf_adds(b, ",\"messages\":");
	json_uint(b, s->c.positions);
	buf_adds(b, ",\"aircraft\":[");
	for (a = s->newest; a != NULL; a = a->prev) {
		readsb_ac(b, a, now);
		if (a->prev != NULL)
			buf_addc(b, ',');
	}
	buf_adds(b, "]}");
}

void
state_receiver(struct sstate *s, struct buf *b)
{
	buf_adds(b, "{\"version\":\"fs-serve " FS_VERSION "\",\"refresh\":");
	json_int(b, s->o.push_ms);
	buf_adds(b, ",\"history\":0}");
}

static int
prefix(const char *want, const char *have)
{
	return want == NULL || strncasecmp(have, want, strlen(want)) == 0;
}

void
state_list(struct sstate *s, const struct filter *f, struct buf *b)
{
	const struct ac *a;
	size_t n = 0;

	buf_adds(b, "{\"now\":");
	time_val(b, s->now == INT64_MIN ? 0 : s->now);
	buf_adds(b, ",\"aircraft\":[");
	for (a = s->newest; a != NULL; a = a->prev) {
		if (f->bbox && (a->t_pos == INT64_MIN || a->lon < f->lon0 || a->lon > f->lon1 ||
		    a->lat < f->lat0 || a->lat > f->lat1))
			continue;
		if ((f->anomalous && a->anomaly != 1) || !prefix(f->callsign, a->callsign) ||
		    !prefix(f->icao24, a->icao))
			continue;
		if (f->limit > 0 && n == f->limit)
			break;
		if (n++ > 0)
			buf_addc(b, ',');
		ac_json(b, a, s->now);
	}
	buf_adds(b, "],\"count\":");
	json_uint(b, n);
	buf_addc(b, '}');
}

static struct ac *
find(struct sstate *s, const char *icao)
{
	return (struct ac *)map_get(&s->acs, icao, strlen(icao));
}

/*
 * trail_points writes the trail, oldest first: for the API as
 * [ms, latitude, longitude, altitude], for GeoJSON as [longitude,
 * latitude(, altitude)].
 */
static void
trail_points(struct buf *b, const struct ac *a, int geo)
{
	const struct tpoint *p;
	uint16_t i;

	buf_addc(b, '[');
	for (i = 0; i < a->ntrail; i++) {
		p = &a->trail[(a->trail0 + i) % a->trailcap];
		if (i > 0)
			buf_addc(b, ',');
		buf_addc(b, '[');
		if (!geo) {
			json_int(b, p->t);
			buf_addc(b, ',');
		}
		json_fixed(b, geo ? p->lon : p->lat, 5);
		buf_addc(b, ',');
		json_fixed(b, geo ? p->lat : p->lon, 5);
		if (!geo || isfinite(p->alt)) {
			buf_addc(b, ',');
			json_fixed(b, p->alt, 1);
		}
		buf_addc(b, ']');
	}
	buf_addc(b, ']');
}

int
state_one(struct sstate *s, const char *icao, struct buf *b)
{
	const struct ac *a = find(s, icao);

	if (a == NULL)
		return -1;
	buf_adds(b, "{\"aircraft\":");
	ac_json(b, a, s->now);
	buf_adds(b, ",\"record\":");
	buf_add(b, a->rec, a->reclen);
	buf_adds(b, ",\"trail\":");
	trail_points(b, a, 0);
	buf_addc(b, '}');
	return 0;
}

int
state_geojson(struct sstate *s, const char *icao, struct buf *b)
{
	const struct ac *a = find(s, icao);
	uint16_t i;

	if (a == NULL)
		return -1;
	buf_adds(b, "{\"type\":\"Feature\",\"geometry\":{\"type\":\"LineString\",\"coordinates\":");
	trail_points(b, a, 1);
	buf_adds(b, "},\"properties\":{\"icao24\":");
	json_strz(b, a->icao);
	if (a->callsign[0] != '\0') {
		buf_adds(b, ",\"callsign\":");
		json_strz(b, a->callsign);
	}
	buf_adds(b, ",\"times\":[");
	for (i = 0; i < a->ntrail; i++) {
		if (i > 0)
			buf_addc(b, ',');
		time_val(b, a->trail[(a->trail0 + i) % a->trailcap].t);
	}
	buf_adds(b, "]}}");
	return 0;
}

void
state_anomalies(struct sstate *s, size_t limit, struct buf *b)
{
	size_t i, n = s->nanoms < limit || limit == 0 ? s->nanoms : limit;

	buf_adds(b, "{\"anomalies\":[");
	for (i = 0; i < n; i++) {
		const struct anom *an = &s->anoms[(s->anom0 + s->nanoms - 1 - i) % ANOMALIES_MAX];

		if (i > 0)
			buf_addc(b, ',');
		buf_add(b, an->json, an->len);
	}
	buf_adds(b, "],\"total\":");
	json_uint(b, s->c.anomalies);
	buf_addc(b, '}');
}

void
state_windows(struct sstate *s, const char *key, struct buf *b)
{
	const struct wkey *k;
	const struct mnode *e;
	size_t i;
	int j, first = 1;

	buf_adds(b, "{\"windows\":[");
	if (key != NULL) {
		if ((k = (const struct wkey *)map_get(&s->keys, key, strlen(key))) != NULL)
			for (j = k->n - 1; j >= 0; j--) {
				if (j < k->n - 1)
					buf_addc(b, ',');
				buf_add(b, k->w[(k->w0 + j) % WINDOWS_PER_KEY],
				    k->wlen[(k->w0 + j) % WINDOWS_PER_KEY]);
			}
	} else {
		for (i = 0; i < s->keys.nb; i++)
			for (e = s->keys.b[i]; e != NULL; e = e->next) {
				if (!first)
					buf_addc(b, ',');
				first = 0;
				latest_window(b, (const struct wkey *)e);
			}
	}
	buf_adds(b, "]}");
}

void
state_counts(const struct sstate *s, struct scounts *c)
{
	*c = s->c;
	c->keys = s->keys.n;
	c->now = s->now;
}
