/*
 * state: the open windows of every key, the watermark, and closing
 * windows in order.
 *
 * Keys live in one hash table (grouping and key text) and on a list in
 * order of use, for eviction at --max-keys. Each key has a short list of
 * its open windows. Tumbling and hopping windows are also filed in
 * buckets by start time, oldest first: when the watermark passes a
 * bucket's end, its windows are written sorted by grouping and key, and
 * freed. Session windows are filed in a min-heap by end; a session that
 * grew since it was filed is filed again when it comes up, so a record
 * costs no heap operation. A window emitted early (its key evicted) or
 * merged into another session stays filed, marked dead, and is freed
 * when it comes up, or sooner: once dead windows are more than half of
 * those filed, the buckets and the heap are swept of them (compact), so
 * that memory follows --max-keys and not the rate of eviction.
 *
 * With Kafka input each window also keeps its spans: per partition slot
 * it has records from, the lowest and highest offset of them. state_cut
 * uses them to find, per partition, an offset that splits no window, and
 * the spans of windows already written are kept as long as a later cut
 * could split them.
 */
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "window.h"

struct key;

/* The offsets of a window's records in one partition slot; lotok is the token of lo. */
struct span {
	int slot;
	int64_t lo, hi;
	uint64_t lotok;
};

/* The spans of a window written already, kept for state_cut. */
struct espans {
	struct span *v;
	uint32_t n;
};

struct win {
	struct win *next;	/* the key's open windows */
	struct key *k;		/* NULL once dead */
	int64_t start, last;	/* last: the newest event time in it (sessions) */
	int64_t due;		/* sessions: the end it is filed under in the heap */
	int dead;
	struct span *sp;	/* with Kafka input: its spans */
	uint32_t nsp, capsp;
	struct agg a;
};

struct key {
	struct key *lprev, *lnext;	/* most recently used first */
	uint32_t hash, id;		/* id: its index in kv */
	struct win *wins;
	uint64_t late;		/* late records, for the key's next window */
	int grp;
	size_t len;
	char text[];
};

struct bucket {
	int64_t start;
	struct win **v;
	size_t n, cap;
};

struct wstate {
	const struct window_opts *o;
	emit_fn emit;
	void *arg;
	int failed;
	int64_t wm;
	struct key **kv;	/* every key, in no order (c.keys of them) */
	size_t kvcap;
	struct hmap map;	/* a key's text to its index in kv */
	struct key *lru;	/* the list's head and tail (a key without text) */
	struct bucket *bk;	/* by start, oldest first */
	size_t nbk, bkcap;
	struct win **heap;
	size_t nheap, heapcap;
	struct win **out;	/* windows closing together, to be sorted */
	size_t nout, outcap;
	struct buf rec;
	struct wcounts c;
	size_t filed, dead;	/* windows in the buckets or the heap; of them dead */
	int slot;		/* where the records being added come from; -1: not Kafka */
	int64_t offset;
	uint64_t tok;
	struct espans *em;	/* spans of windows written, that a cut may still split */
	size_t nem, capem;
};

struct wstate *
state_new(const struct window_opts *o, emit_fn emit, void *arg)
{
	struct wstate *st = xcalloc(1, sizeof *st);

	st->o = o;
	st->emit = emit;
	st->arg = arg;
	st->wm = INT64_MIN;
	/* A pointer: a struct with a flexible array member cannot sit inside another (C11). */
	st->lru = xcalloc(1, sizeof *st->lru);
	st->lru->lnext = st->lru->lprev = st->lru;
	st->slot = -1;
	return st;
}

int64_t
state_watermark(const struct wstate *st)
{
	return st->wm;
}

void
state_counts(const struct wstate *st, struct wcounts *c)
{
	*c = st->c;
}

static inline int
sessions(const struct wstate *st)
{
	return st->o->gap_ms > 0;
}

static inline int64_t
win_end(const struct wstate *st, const struct win *w)
{
	return sessions(st) ? w->last + st->o->gap_ms : w->start + st->o->size_ms;
}

/* floor_div rounds toward minus infinity, so that windows before 1970 align too. */
static inline int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return q - (a % b != 0 && (a < 0) != (b < 0));
}

/* ---- keys ---- */

static void
lru_unlink(struct key *k)
{
	k->lprev->lnext = k->lnext;
	k->lnext->lprev = k->lprev;
}

static void
lru_front(struct wstate *st, struct key *k)
{
	k->lnext = st->lru->lnext;
	k->lprev = st->lru;
	st->lru->lnext->lprev = k;
	st->lru->lnext = k;
}

static void
key_free(struct wstate *st, struct key *k)
{
	struct key *last = st->kv[st->c.keys - 1];

	/* The last key takes k's place in kv, so that kv stays dense. */
	hmap_del(&st->map, k->hash, k->id);
	if (last != k) {
		hmap_move(&st->map, last->hash, last->id, k->id);
		last->id = k->id;
		st->kv[k->id] = last;
	}
	lru_unlink(k);
	st->c.keys--;
	free(k);
}

/* key_done frees a key that has nothing left: no open window, no late record to report. */
static void
key_done(struct wstate *st, struct key *k)
{
	if (k->wins == NULL && k->late == 0)
		key_free(st, k);
}

/* ---- emitting ---- */

static void
win_free(struct win *w)
{
	agg_free(&w->a);
	free(w->sp);
	free(w);
}

/* keep_spans files the spans of a window being written, for state_cut; w keeps none. */
static void
keep_spans(struct wstate *st, struct win *w)
{
	if (w->nsp == 0)
		return;
	if (st->nem == st->capem) {
		st->capem = st->capem ? st->capem * 2 : 256;
		st->em = xrealloc(st->em, st->capem * sizeof *st->em);
	}
	st->em[st->nem].v = w->sp;
	st->em[st->nem].n = w->nsp;
	st->nem++;
	w->sp = NULL;
	w->nsp = w->capsp = 0;
}

/* span_put widens w's span of slot to take in [lo, hi] (lo's token lotok). */
static void
span_put(struct win *w, int slot, int64_t lo, int64_t hi, uint64_t lotok)
{
	struct span *s;
	uint32_t i;

	for (i = 0; i < w->nsp; i++) {
		s = &w->sp[i];
		if (s->slot == slot) {
			if (lo < s->lo) {
				s->lo = lo;
				s->lotok = lotok;
			}
			if (hi > s->hi)
				s->hi = hi;
			return;
		}
	}
	if (w->nsp == w->capsp) {
		w->capsp = w->capsp ? w->capsp * 2 : 1;
		w->sp = xrealloc(w->sp, w->capsp * sizeof *w->sp);
	}
	w->sp[w->nsp++] = (struct span){ slot, lo, hi, lotok };
}

/* span_add notes the record being added (state_where) in w's spans. */
static inline void
span_add(struct wstate *st, struct win *w)
{
	if (st->slot < 0)
		return;
	if (w->nsp == 1 && w->sp[0].slot == st->slot) {	/* the common case */
		if (st->offset > w->sp[0].hi)
			w->sp[0].hi = st->offset;
		return;
	}
	span_put(w, st->slot, st->offset, st->offset, st->tok);
}

/* emit writes one window record; the key's late records so far go with it. */
static void
emit(struct wstate *st, struct win *w)
{
	buf_reset(&st->rec);
	agg_format(&st->rec, w->start, win_end(st, w), w->k->text, w->k->len, &w->a, w->k->late);
	w->k->late = 0;
	st->c.windows++;
	if (!st->failed && st->emit(st->arg, st->rec.p, st->rec.len) != 0)
		st->failed = 1;
}

/* unlink takes w off its key's list. */
static void
unlink_win(struct win *w)
{
	struct win **pp = &w->k->wins;

	while (*pp != w)
		pp = &(*pp)->next;
	*pp = w->next;
}

static int
cmp_win(const void *a, const void *b)
{
	const struct win *x = *(struct win *const *)a, *y = *(struct win *const *)b;
	size_t n;
	int c;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->k->grp != y->k->grp)
		return x->k->grp < y->k->grp ? -1 : 1;
	n = x->k->len < y->k->len ? x->k->len : y->k->len;
	if ((c = memcmp(x->k->text, y->k->text, n)) != 0)
		return c;
	return (x->k->len > y->k->len) - (x->k->len < y->k->len);
}

static void
out_add(struct wstate *st, struct win *w)
{
	if (st->nout == st->outcap) {
		st->outcap = st->outcap ? st->outcap * 2 : 256;
		st->out = xrealloc(st->out, st->outcap * sizeof *st->out);
	}
	st->out[st->nout++] = w;
}

/* emit_out writes the windows gathered in st->out in order, and frees them. */
static void
emit_out(struct wstate *st)
{
	struct key *k;
	size_t i;

	if (st->nout == 0)
		return;
	qsort(st->out, st->nout, sizeof *st->out, cmp_win);
	for (i = 0; i < st->nout; i++) {
		emit(st, st->out[i]);
		keep_spans(st, st->out[i]);
		k = st->out[i]->k;
		unlink_win(st->out[i]);
		win_free(st->out[i]);
		st->filed--;
		key_done(st, k);
	}
	st->nout = 0;
}

/* dead_free frees a filed window that was written early or merged away. */
static void
dead_free(struct wstate *st, struct win *w)
{
	win_free(w);
	st->dead--;
	st->filed--;
}

/* ---- sessions: the heap ---- */

static void
heap_push(struct wstate *st, struct win *w)
{
	size_t i, p;

	if (st->nheap == st->heapcap) {
		st->heapcap = st->heapcap ? st->heapcap * 2 : 1024;
		st->heap = xrealloc(st->heap, st->heapcap * sizeof *st->heap);
	}
	for (i = st->nheap++; i > 0; i = p) {
		p = (i - 1) / 2;
		if (st->heap[p]->due <= w->due)
			break;
		st->heap[i] = st->heap[p];
	}
	st->heap[i] = w;
}

static struct win *
heap_pop(struct wstate *st)
{
	struct win *top = st->heap[0], *last = st->heap[--st->nheap];
	size_t i = 0, c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= st->nheap)
			break;
		if (c + 1 < st->nheap && st->heap[c + 1]->due < st->heap[c]->due)
			c++;
		if (last->due <= st->heap[c]->due)
			break;
		st->heap[i] = st->heap[c];
		i = c;
	}
	if (st->nheap > 0)
		st->heap[i] = last;
	return top;
}

/* ---- tumbling and hopping: the buckets ---- */

/* bucket_add files w under its start. */
static void
bucket_add(struct wstate *st, struct win *w)
{
	size_t lo = 0, hi = st->nbk, mid;
	struct bucket *b;

	/* New windows are mostly the newest: look at the end first. */
	if (st->nbk > 0 && st->bk[st->nbk - 1].start < w->start)
		lo = st->nbk;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (st->bk[mid].start < w->start)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == st->nbk || st->bk[lo].start != w->start) {
		if (st->nbk == st->bkcap) {
			st->bkcap = st->bkcap ? st->bkcap * 2 : 16;
			st->bk = xrealloc(st->bk, st->bkcap * sizeof *st->bk);
		}
		memmove(st->bk + lo + 1, st->bk + lo, (st->nbk - lo) * sizeof *st->bk);
		st->nbk++;
		memset(&st->bk[lo], 0, sizeof st->bk[lo]);
		st->bk[lo].start = w->start;
	}
	b = &st->bk[lo];
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->v = xrealloc(b->v, b->cap * sizeof *b->v);
	}
	b->v[b->n++] = w;
}

/* close_windows emits every window that ends at or before wm, in order. */
static void
close_windows(struct wstate *st, int64_t wm)
{
	struct bucket *b;
	struct win *w;
	size_t i;

	if (sessions(st)) {
		while (st->nheap > 0 && st->heap[0]->due <= wm) {
			w = heap_pop(st);
			if (w->dead)
				dead_free(st, w);
			else if (win_end(st, w) > w->due) {
				/* It grew since it was filed: file it again at its end. */
				w->due = win_end(st, w);
				heap_push(st, w);
			} else
				out_add(st, w);
		}
		emit_out(st);
		return;
	}
	while (st->nbk > 0 && st->bk[0].start + st->o->size_ms <= wm) {
		b = &st->bk[0];
		for (i = 0; i < b->n; i++)
			if (b->v[i]->dead)
				dead_free(st, b->v[i]);
			else
				out_add(st, b->v[i]);
		emit_out(st);
		free(b->v);
		st->nbk--;
		memmove(st->bk, st->bk + 1, st->nbk * sizeof *st->bk);
	}
}

/*
 * compact frees every dead window now and takes it out of the buckets
 * (dropping those left empty) or the heap (made again). It costs one
 * pass over what is filed, and runs when more than half of it is dead,
 * so each eviction pays for it a constant share.
 */
static void
compact(struct wstate *st)
{
	struct bucket *b;
	size_t i, j, n, nbk = 0;

	for (i = 0; i < st->nbk; i++) {
		b = &st->bk[i];
		for (j = n = 0; j < b->n; j++)
			if (b->v[j]->dead)
				dead_free(st, b->v[j]);
			else
				b->v[n++] = b->v[j];
		b->n = n;
		if (n == 0)
			free(b->v);
		else
			st->bk[nbk++] = *b;
	}
	st->nbk = nbk;
	for (i = n = 0; i < st->nheap; i++)
		if (st->heap[i]->dead)
			dead_free(st, st->heap[i]);
		else
			st->heap[n++] = st->heap[i];
	st->nheap = 0;
	for (i = 0; i < n; i++)
		heap_push(st, st->heap[i]);
}

/* ---- eviction ---- */

static int
cmp_start(const void *a, const void *b)
{
	const struct win *x = *(struct win *const *)a, *y = *(struct win *const *)b;

	return (x->start > y->start) - (x->start < y->start);
}

/*
 * evict drops the key used least recently: its open windows are written
 * now, before the watermark has passed them, and stay filed as dead.
 */
static void
evict(struct wstate *st)
{
	struct key *k = st->lru->lprev;
	struct win *w;
	size_t i;

	for (w = k->wins; w != NULL; w = w->next)
		out_add(st, w);
	if (st->nout > 0)
		qsort(st->out, st->nout, sizeof *st->out, cmp_start);
	for (i = 0; i < st->nout; i++) {
		w = st->out[i];
		emit(st, w);
		keep_spans(st, w);
		st->c.early++;
		agg_free(&w->a);
		w->dead = 1;
		w->k = NULL;
		st->dead++;
	}
	st->nout = 0;
	k->wins = NULL;
	st->c.evicted++;
	key_free(st, k);
	if (st->dead > 64 && st->dead > st->filed / 2)
		compact(st);
}

/* key_get finds or makes the key, and marks it used. */
static struct key *
key_get(struct wstate *st, int g, const char *s, size_t n)
{
	uint32_t h = hmap_hash(s, n) ^ (uint32_t)g, i;
	size_t pos = 0;
	struct key *k;

	while ((i = hmap_find(&st->map, h, &pos)) != HMAP_NONE) {
		k = st->kv[i];
		if (k->grp == g && k->len == n && memcmp(k->text, s, n) == 0) {
			if (st->lru->lnext != k) {
				lru_unlink(k);
				lru_front(st, k);
			}
			return k;
		}
	}
	if (st->c.keys >= st->o->max_keys)
		evict(st);
	if (st->c.keys == st->kvcap) {
		st->kvcap = st->kvcap ? st->kvcap * 2 : 1024;
		st->kv = xrealloc(st->kv, st->kvcap * sizeof *st->kv);
	}
	k = xmalloc(sizeof *k + n + 1);
	memset(k, 0, sizeof *k);
	k->hash = h;
	k->grp = g;
	k->len = n;
	memcpy(k->text, s, n);
	k->text[n] = '\0';
	k->id = (uint32_t)st->c.keys;
	st->kv[k->id] = k;
	hmap_put(&st->map, h, k->id);
	lru_front(st, k);
	if (++st->c.keys > st->c.keys_max)
		st->c.keys_max = st->c.keys;
	return k;
}

static struct win *
win_new(struct key *k, int64_t start)
{
	struct win *w = xmalloc(sizeof *w);

	memset(w, 0, sizeof *w);
	agg_init(&w->a);
	w->k = k;
	w->start = w->last = start;
	w->next = k->wins;
	k->wins = w;
	return w;
}

/* ---- adding records ---- */

static int
add_session(struct wstate *st, struct key *k, const struct recvals *rv,
    int64_t *late_start, int64_t *late_end)
{
	int64_t gap = st->o->gap_ms, t = rv->t;
	struct win **pp, *w, *into = NULL;
	uint32_t i;

	/* The record's own session [t, t + gap) joins every session it overlaps. */
	for (pp = &k->wins; (w = *pp) != NULL;) {
		if (!(t < w->last + gap && w->start < t + gap)) {
			pp = &w->next;
			continue;
		}
		if (into == NULL) {
			into = w;
			pp = &w->next;
			continue;
		}
		agg_merge(&into->a, &w->a);
		for (i = 0; i < w->nsp; i++)
			span_put(into, w->sp[i].slot, w->sp[i].lo, w->sp[i].hi, w->sp[i].lotok);
		free(w->sp);
		w->sp = NULL;
		w->nsp = w->capsp = 0;
		if (w->start < into->start)
			into->start = w->start;
		if (w->last > into->last)
			into->last = w->last;
		*pp = w->next;
		agg_free(&w->a);
		w->dead = 1;
		w->k = NULL;
		st->dead++;
	}
	if (into == NULL) {
		if (t + gap <= st->wm) {
			k->late++;
			*late_start = t;
			*late_end = t + gap;
			return 2;
		}
		into = win_new(k, t);
		into->due = t + gap;
		heap_push(st, into);
		st->filed++;
	}
	if (t < into->start)
		into->start = t;
	if (t > into->last)
		into->last = t;
	agg_add(&into->a, rv);
	span_add(st, into);
	return 0;
}

int
state_add(struct wstate *st, int g, const char *key, size_t n, const struct recvals *rv,
    int64_t *late_start, int64_t *late_end)
{
	int64_t size = st->o->size_ms, hop = st->o->hop_ms, t = rv->t, s, s_last;
	struct key *k;
	struct win *w;
	int rc = 0;

	k = key_get(st, g, key, n);
	if (sessions(st))
		rc = add_session(st, k, rv, late_start, late_end);
	else {
		s_last = floor_div(t, hop) * hop;
		if (s_last + size <= st->wm) {
			k->late++;
			*late_start = s_last;
			*late_end = s_last + size;
			rc = 2;
		}
		/* Its windows, newest first: [s, s + size) for s on the hop grid with s <= t < s + size. */
		for (s = s_last; rc != 2 && s + size > t; s -= hop) {
			if (s + size <= st->wm) {
				rc = 1;	/* this and older ones have closed */
				break;
			}
			for (w = k->wins; w != NULL && w->start != s; w = w->next)
				;
			if (w == NULL) {
				w = win_new(k, s);
				bucket_add(st, w);
				st->filed++;
			}
			agg_add(&w->a, rv);
			span_add(st, w);
		}
	}
	return st->failed ? -1 : rc;
}

int
state_advance(struct wstate *st, int64_t wm)
{
	if (wm > st->wm) {
		st->wm = wm;
		close_windows(st, wm);
	}
	return st->failed ? -1 : 0;
}

int
state_flush(struct wstate *st)
{
	st->wm = INT64_MAX;
	close_windows(st, INT64_MAX);
	return st->failed ? -1 : 0;
}

/* clear frees every window, key and span: nothing is written. */
static void
clear(struct wstate *st)
{
	size_t i, j;

	for (i = 0; i < st->nbk; i++) {
		for (j = 0; j < st->bk[i].n; j++)
			win_free(st->bk[i].v[j]);
		free(st->bk[i].v);
	}
	st->nbk = 0;
	for (i = 0; i < st->nheap; i++)
		win_free(st->heap[i]);
	st->nheap = 0;
	st->filed = st->dead = 0;
	for (i = 0; i < st->c.keys; i++)
		free(st->kv[i]);	/* its windows are all filed, and freed above */
	hmap_clear(&st->map);
	st->lru->lnext = st->lru->lprev = st->lru;
	st->c.keys = 0;
	for (i = 0; i < st->nem; i++)
		free(st->em[i].v);
	st->nem = 0;
}

void
state_reset(struct wstate *st)
{
	clear(st);
	st->wm = INT64_MIN;
	st->slot = -1;
}

void
state_where(struct wstate *st, int slot, int64_t offset, uint64_t tok)
{
	st->slot = slot;
	st->offset = offset;
	st->tok = tok;
}

/* lower moves the cut of sp's slot down to sp->lo; 1 if it moved. */
static inline int
lower(const struct span *sp, int64_t *x, uint64_t *tok)
{
	if (sp->lo >= x[sp->slot])
		return 0;
	x[sp->slot] = sp->lo;
	tok[sp->slot] = sp->lotok;
	return 1;
}

void
state_cut(struct wstate *st, int64_t *x, uint64_t *tok)
{
	struct win *w;
	size_t i, n;
	uint32_t j;
	int changed, after;

	/* Every open window will be read again whole: the cut is at or below its records. */
	for (i = 0; i < st->c.keys; i++)
		for (w = st->kv[i]->wins; w != NULL; w = w->next)
			for (j = 0; j < w->nsp; j++)
				lower(&w->sp[j], x, tok);
	/*
	 * A written window with a record at or after the cut in any slot
	 * would be read again: then all of it, in every slot. Lowering one
	 * slot's cut can catch more windows, so until nothing moves.
	 */
	do {
		changed = 0;
		/* Newest first: a cut moving down reaches older windows next, in the same pass. */
		for (i = st->nem; i-- > 0;) {
			after = 0;
			for (j = 0; j < st->em[i].n && !after; j++)
				after = st->em[i].v[j].hi >= x[st->em[i].v[j].slot];
			if (!after)
				continue;
			for (j = 0; j < st->em[i].n; j++)
				changed |= lower(&st->em[i].v[j], x, tok);
		}
	} while (changed);
	/* Written windows wholly before the cut are never read again: forget them. */
	for (i = n = 0; i < st->nem; i++) {
		after = 0;
		for (j = 0; j < st->em[i].n && !after; j++)
			after = st->em[i].v[j].hi >= x[st->em[i].v[j].slot];
		if (after)
			st->em[n++] = st->em[i];
		else
			free(st->em[i].v);
	}
	st->nem = n;
}

void
state_free(struct wstate *st)
{
	clear(st);
	free(st->bk);
	free(st->heap);
	free(st->out);
	free(st->kv);
	hmap_free(&st->map);
	free(st->em);
	free(st->lru);
	buf_free(&st->rec);
	free(st);
}
