#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hmap.h"

#define MIN_BITS 4

/* home is hash's first slot: Fibonacci hashing, whose top bits mix every bit of the hash. */
static size_t
home(const struct hmap *m, uint32_t hash)
{
	return (size_t)((hash * 2654435761u) >> (32 - m->bits));
}

uint32_t
hmap_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ s[i]) * 16777619u;
	return h;
}

uint32_t
hmap_find(const struct hmap *m, uint32_t hash, size_t *pos)
{
	size_t i;
	uint64_t s;

	if (m->n == 0)
		return HMAP_NONE;
	/* *pos is one past the slot last handed out, so that 0 can mean "start". */
	for (i = *pos == 0 ? home(m, hash) : *pos & m->mask; (s = m->slot[i]) != 0;
	    i = (i + 1) & m->mask)
		if ((uint32_t)(s >> 32) == hash) {
			*pos = i + 1;
			return (uint32_t)s - 1;
		}
	return HMAP_NONE;
}

/* insert files slot value s in the first empty slot of its run; there is one. */
static void
insert(struct hmap *m, uint64_t s)
{
	size_t i = home(m, (uint32_t)(s >> 32));

	while (m->slot[i] != 0)
		i = (i + 1) & m->mask;
	m->slot[i] = s;
}

/* resize refiles every entry in a table of 2^bits slots. */
static void
resize(struct hmap *m, unsigned bits)
{
	uint64_t *old = m->slot;
	size_t i, n = old != NULL ? m->mask + 1 : 0;

	m->bits = bits;
	m->mask = ((size_t)1 << bits) - 1;
	m->slot = xcalloc(m->mask + 1, sizeof *m->slot);
	for (i = 0; i < n; i++)
		if (old[i] != 0)
			insert(m, old[i]);
	free(old);
}

void
hmap_put(struct hmap *m, uint32_t hash, uint32_t idx)
{
	if (m->slot == NULL)
		resize(m, MIN_BITS);
	else if ((m->n + 1) * 2 > m->mask + 1)
		resize(m, m->bits + 1);
	insert(m, (uint64_t)hash << 32 | ((uint64_t)idx + 1));
	m->n++;
}

/* locate returns the slot holding idx under hash, or -1. */
static long
locate(const struct hmap *m, uint32_t hash, uint32_t idx)
{
	uint64_t want = (uint64_t)hash << 32 | ((uint64_t)idx + 1);
	size_t i;

	if (m->n == 0)
		return -1;
	for (i = home(m, hash); m->slot[i] != 0; i = (i + 1) & m->mask)
		if (m->slot[i] == want)
			return (long)i;
	return -1;
}

void
hmap_del(struct hmap *m, uint32_t hash, uint32_t idx)
{
	long at = locate(m, hash, idx);
	size_t i, j, k;

	if (at < 0)
		return;
	i = j = (size_t)at;
	m->slot[i] = 0;
	m->n--;
	/* Shift back the rest of the run, so that no probe meets a hole before its entry. */
	for (;;) {
		j = (j + 1) & m->mask;
		if (m->slot[j] == 0)
			return;
		k = home(m, (uint32_t)(m->slot[j] >> 32));
		/* The entry at j stays unless the hole i lies cyclically in [k, j). */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		m->slot[i] = m->slot[j];
		m->slot[j] = 0;
		i = j;
	}
}

void
hmap_move(struct hmap *m, uint32_t hash, uint32_t from, uint32_t to)
{
	long at = locate(m, hash, from);

	if (at >= 0)
		m->slot[at] = (uint64_t)hash << 32 | ((uint64_t)to + 1);
}

void
hmap_clear(struct hmap *m)
{
	if (m->slot != NULL)
		memset(m->slot, 0, (m->mask + 1) * sizeof *m->slot);
	m->n = 0;
}

void
hmap_free(struct hmap *m)
{
	free(m->slot);
	memset(m, 0, sizeof *m);
}
