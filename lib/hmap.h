/*
 * hmap: a hash index over an array the caller owns.
 *
 * The map holds 32-bit indexes into the caller's array, each with a
 * 32-bit hash of its entry's key; it never sees a key. Open addressing
 * with linear probing and deletion by backward shift (no tombstones), so
 * a probe stops at the first empty slot; the table doubles before it is
 * half full. The caller hashes (any 32-bit hash: the map mixes it) and
 * tells equal keys apart: hmap_find hands out only the indexes whose
 * stored hash matches, so keys are compared only on a hash match, and
 * not at all where the hash is the key itself.
 *
 * A zeroed struct hmap (HMAP_INIT) is an empty map that owns nothing.
 * The map owns its slots, and only them. Running out of memory is fatal
 * (xmalloc, buf.h).
 */
#ifndef FS_HMAP_H
#define FS_HMAP_H

#include <stddef.h>
#include <stdint.h>

#define HMAP_NONE UINT32_MAX	/* no index: never a valid one */

struct hmap {
	uint64_t *slot;		/* hash << 32 | (index + 1); 0 is empty */
	size_t mask;		/* slots - 1; 0 with no slots */
	size_t n;		/* entries */
	unsigned bits;		/* log2 of the slots */
};

#define HMAP_INIT { NULL, 0, 0, 0 }

/* hmap_hash is FNV-1a (32-bit) of p[0..n): a cheap hash for short keys. */
uint32_t hmap_hash(const void *p, size_t n);

/*
 * hmap_find returns the next index filed under hash, or HMAP_NONE when
 * there are no more. *pos is the place in the probe run: 0 to start,
 * then as the last call left it; a put, del or move in between makes
 * it meaningless. A caller whose keys can share a hash loops until the
 * entry at the index holds its key.
 */
uint32_t hmap_find(const struct hmap *m, uint32_t hash, size_t *pos);

/* hmap_put files index idx (not HMAP_NONE) under hash. The caller has made sure it is not there. */
void hmap_put(struct hmap *m, uint32_t hash, uint32_t idx);

/* hmap_del removes index idx filed under hash; nothing if it is not there. */
void hmap_del(struct hmap *m, uint32_t hash, uint32_t idx);

/* hmap_move refiles the entry of index from, under hash, as index to (the caller moved it). */
void hmap_move(struct hmap *m, uint32_t hash, uint32_t from, uint32_t to);

/* hmap_clear empties the map, keeping its slots for reuse. */
void hmap_clear(struct hmap *m);

/* hmap_free frees the slots; the map is empty again (HMAP_INIT). */
void hmap_free(struct hmap *m);

#endif
