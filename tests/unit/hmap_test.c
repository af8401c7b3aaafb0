/* Tests of lib/hmap: the hash index over the caller's array. */
#include "hmap.h"
#include "rng.h"
#include "t.h"

#define MAXE 512

/* A model of what the map should hold: hash[i] for each index i present. */
struct model {
	uint32_t hash[MAXE];
	int in[MAXE];
	size_t n;
};

/* hash_at returns the nth hash whose home is slot in a table of 2^bits slots. */
static uint32_t
hash_at(unsigned bits, size_t slot, int nth)
{
	uint32_t h;

	for (h = 1;; h++)
		if ((h * 2654435761u) >> (32 - bits) == slot && nth-- == 0)
			return h;
}

/*
 * check says whether m holds what the model does: every index is found
 * under its hash, nothing else is, and every entry can be reached from
 * its home without crossing an empty slot (what backward shift keeps).
 */
static int
check(const struct hmap *m, const struct model *md)
{
	size_t i, j, pos, found;
	uint32_t idx, h;

	if (m->n != md->n || (m->slot != NULL && 2 * m->n > m->mask + 1))
		return 0;
	for (i = 0; i < MAXE; i++) {
		if (!md->in[i])
			continue;
		found = 0;
		pos = 0;
		while ((idx = hmap_find(m, md->hash[i], &pos)) != HMAP_NONE) {
			if (idx >= MAXE || !md->in[idx] || md->hash[idx] != md->hash[i])
				return 0;
			found += idx == i;
		}
		if (found != 1)
			return 0;
	}
	for (j = 0; m->slot != NULL && j <= m->mask; j++) {
		if (m->slot[j] == 0)
			continue;
		h = (uint32_t)(m->slot[j] >> 32);
		for (i = ((h * 2654435761u) >> (32 - m->bits)); i != j; i = (i + 1) & m->mask)
			if (m->slot[i] == 0)
				return 0;
	}
	return 1;
}

static void
put(struct hmap *m, struct model *md, uint32_t h, uint32_t idx)
{
	hmap_put(m, h, idx);
	md->hash[idx] = h;
	md->in[idx] = 1;
	md->n++;
}

static void
del(struct hmap *m, struct model *md, uint32_t idx)
{
	hmap_del(m, md->hash[idx], idx);
	md->in[idx] = 0;
	md->n--;
}

/*
 * The scripted cases work in a table of 16 slots (at most 7 entries):
 * an op puts index idx under the nth hash whose home is slot home, or
 * deletes index idx. Each is checked after every step.
 */
struct op {
	char op;		/* 'p' put, 'd' delete */
	int idx, home, nth;
};

static const struct {
	const char *name;
	struct op ops[8];
	int nops;
} cases[] = {
	{ "a run wrapping past the end: its head deleted",
	    { { 'p', 0, 15, 0 }, { 'p', 1, 15, 1 }, { 'p', 2, 0, 0 }, { 'd', 0, 0, 0 } }, 4 },
	{ "a run wrapping past the end: its middle deleted",
	    { { 'p', 0, 14, 0 }, { 'p', 1, 14, 1 }, { 'p', 2, 15, 0 }, { 'p', 3, 14, 2 },
	      { 'd', 2, 0, 0 } }, 5 },
	{ "an entry at its home stays when the hole is before it",
	    { { 'p', 0, 3, 0 }, { 'p', 1, 3, 1 }, { 'p', 2, 5, 0 }, { 'd', 0, 0, 0 } }, 4 },
	{ "an entry moves back over a hole past its home",
	    { { 'p', 0, 3, 0 }, { 'p', 1, 4, 0 }, { 'p', 2, 3, 1 }, { 'p', 3, 4, 1 },
	      { 'd', 1, 0, 0 }, { 'd', 0, 0, 0 } }, 6 },
	{ "entries with one hash: both found, then the one left",
	    { { 'p', 0, 7, 0 }, { 'p', 1, 7, 0 }, { 'p', 2, 8, 0 }, { 'd', 0, 0, 0 }, { 'd', 1, 0, 0 } }, 5 },
	{ "deleting what is not there changes nothing",
	    { { 'p', 0, 9, 0 }, { 'p', 1, 9, 1 }, { 'd', 1, 0, 0 }, { 'd', 1, 0, 0 } }, 4 },
	{ "the last entry deleted, the map is empty and can be filled again",
	    { { 'p', 0, 2, 0 }, { 'd', 0, 0, 0 }, { 'p', 1, 2, 0 } }, 3 },
};

static void
test_cases(void)
{
	struct hmap m;
	struct model md;
	const struct op *o;
	size_t c;
	int i, ok;

	for (c = 0; c < N(cases); c++) {
		memset(&md, 0, sizeof md);
		m = (struct hmap)HMAP_INIT;
		ok = 1;
		for (i = 0; i < cases[c].nops && ok; i++) {
			o = &cases[c].ops[i];
			if (o->op == 'p')
				put(&m, &md, hash_at(4, (size_t)o->home, o->nth), (uint32_t)o->idx);
			else if (md.in[o->idx])
				del(&m, &md, (uint32_t)o->idx);
			else
				hmap_del(&m, hash_at(4, 9, 1), (uint32_t)o->idx);
			ok = check(&m, &md);
		}
		t_ok(ok && m.mask == 15, "%s (step %d)", cases[c].name, i);
		hmap_free(&m);
	}
}

static void
test_empty(void)
{
	struct hmap m = HMAP_INIT;
	size_t pos = 0;

	t_int(HMAP_NONE, hmap_find(&m, 42, &pos), "an empty map finds nothing");
	hmap_del(&m, 42, 0);
	hmap_clear(&m);
	t_ok(m.n == 0 && m.slot == NULL, "deleting from and clearing an empty map allocate nothing");
}

/* Growth: each doubling keeps every entry, and the table stays at most half full. */
static void
test_growth(void)
{
	struct hmap m = HMAP_INIT;
	struct model md;
	uint32_t i;
	int ok = 1;

	memset(&md, 0, sizeof md);
	for (i = 0; i < MAXE; i++) {
		put(&m, &md, i * 7919u, i);
		if ((i & (i + 1)) == 0 || i == MAXE - 1)
			ok &= check(&m, &md);
	}
	t_ok(ok, "%d entries put one by one are all found at every doubling", MAXE);
	t_int(2 * MAXE, (int64_t)m.mask + 1, "%d entries take %d slots", MAXE, 2 * MAXE);
	hmap_clear(&m);
	memset(&md, 0, sizeof md);
	t_ok(check(&m, &md) && m.slot != NULL, "a cleared map holds nothing and keeps its slots");
	hmap_free(&m);
}

static void
test_move(void)
{
	struct hmap m = HMAP_INIT;
	struct model md;

	memset(&md, 0, sizeof md);
	put(&m, &md, 5, 0);
	put(&m, &md, 5, 1);
	put(&m, &md, 6, 2);
	/* The caller moves its last entry into the hole left by 0. */
	del(&m, &md, 0);
	hmap_move(&m, 6, 2, 0);
	md.in[2] = 0;
	md.in[0] = 1;
	md.hash[0] = 6;
	t_ok(check(&m, &md), "an entry moved in the caller's array is found at its new index");
	hmap_free(&m);
}

/* Random puts and deletes, with many hashes shared and long runs, against the model. */
static void
test_random(void)
{
	struct hmap m = HMAP_INIT;
	struct model md;
	struct rng r;
	uint32_t idx;
	int i, ok = 1, bad = -1;

	memset(&md, 0, sizeof md);
	rng_seed(&r, 17);
	for (i = 0; i < 20000 && ok; i++) {
		idx = (uint32_t)rng_below(&r, 200);
		if (md.in[idx])
			del(&m, &md, idx);
		else
			put(&m, &md, (uint32_t)rng_below(&r, 40), idx);
		if (!(ok = check(&m, &md)))
			bad = i;
	}
	t_ok(ok, "20000 random puts and deletes of 200 indexes under 40 hashes (failed at %d)", bad);
	hmap_free(&m);
}

int
main(void)
{
	test_empty();
	test_cases();
	test_growth();
	test_move();
	test_random();
	return t_done();
}
