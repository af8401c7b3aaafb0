/*
 * batch: the rows of a batch and the lines they came from, kept until
 * the batch is committed, so that it can be sent again after a lost
 * connection, or in parts to find the rows the database refuses.
 *
 * Each table's rows are one run of binary COPY rows, so any range of
 * them is one contiguous piece to send. The keys of the rows are in a
 * hash set: a second row with a key already in the batch would make
 * INSERT ... ON CONFLICT touch a row twice, which PostgreSQL refuses,
 * so main.c closes the batch before such a row.
 *
 * Before a batch is sent, its rows are sorted by key (batch_sort): the
 * server then inserts them in the order of the primary key's index,
 * which is faster than in the order they came (and than sorting them
 * on the server).
 */
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "sinkpg.h"

void
batch_init(struct batch *b)
{
	memset(b, 0, sizeof *b);
}

static void
tabrows_free(struct tabrows *r)
{
	buf_free(&r->copy);
	buf_free(&r->copy2);
	buf_free(&r->keys2);
	free(r->perm);
	buf_free(&r->keys);
	free(r->off);
	free(r->rec);
	free(r->info);
	free(r->koff);
	free(r->hash);
	free(r->prefix);
	hmap_free(&r->set);
}

void
batch_free(struct batch *b)
{
	int t;

	for (t = 0; t < TAB_COUNT; t++)
		tabrows_free(&b->t[t]);
	buf_free(&b->lines);
	free(b->loff);
	free(b->file);
	free(b->lineno);
	free(b->tok);
	memset(b, 0, sizeof *b);
}

void
batch_clear(struct batch *b)
{
	struct tabrows *r;
	int i, t;

	/* Committed: the Kafka offsets of these records may be stored now. */
	for (i = 0; i < b->n; i++)
		ledger_release(b->tok[i]);
	for (t = 0; t < TAB_COUNT; t++) {
		r = &b->t[t];
		if (r->n > 0)
			hmap_clear(&r->set);
		r->n = 0;
		buf_reset(&r->copy);
		buf_reset(&r->keys);
	}
	buf_reset(&b->lines);
	b->n = 0;
}

/* find returns the row of r with key k, or HMAP_NONE. */
static uint32_t
find(const struct tabrows *r, const struct rowkey *k)
{
	size_t pos = 0;
	uint32_t i;

	while ((i = hmap_find(&r->set, k->hash, &pos)) != HMAP_NONE)
		if (r->koff[i + 1] - r->koff[i] == k->len &&
		    memcmp(r->keys.p + r->koff[i], k->p, k->len) == 0)
			break;
	return i;
}

int
batch_has_key(const struct batch *b, int t, const struct rowkey *k)
{
	const struct tabrows *r = &b->t[t];

	return find(r, k) != HMAP_NONE;
}

void
batch_add(struct batch *b, int t, const struct buf *row, const struct rowkey *k,
    const struct line *l)
{
	struct tabrows *r = &b->t[t];

	if (b->n + 1 >= b->cap) {
		b->cap = b->cap ? b->cap * 2 : 1024;
		b->loff = xrealloc(b->loff, (size_t)b->cap * sizeof *b->loff);
		b->file = xrealloc(b->file, (size_t)b->cap * sizeof *b->file);
		b->lineno = xrealloc(b->lineno, (size_t)b->cap * sizeof *b->lineno);
		b->tok = xrealloc(b->tok, (size_t)b->cap * sizeof *b->tok);
	}
	if (b->n == 0)
		b->loff[0] = 0;
	/* With Kafka input the record's message stays unfinished until the batch commits. */
	b->tok[b->n] = ledger_hold(l->tok);
	buf_add(&b->lines, l->p, l->len);
	b->file[b->n] = l->file;
	b->lineno[b->n] = l->lineno;
	b->loff[b->n + 1] = b->lines.len;

	if (r->n + 1 >= r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->off = xrealloc(r->off, (size_t)r->cap * sizeof *r->off);
		r->koff = xrealloc(r->koff, (size_t)r->cap * sizeof *r->koff);
		r->rec = xrealloc(r->rec, (size_t)r->cap * sizeof *r->rec);
		r->info = xrealloc(r->info, (size_t)r->cap * sizeof *r->info);
		r->hash = xrealloc(r->hash, (size_t)r->cap * sizeof *r->hash);
		r->prefix = xrealloc(r->prefix, (size_t)r->cap * sizeof *r->prefix);
	}
	if (r->n == 0)
		r->off[0] = r->koff[0] = 0;
	buf_add(&r->copy, row->p, row->len);
	r->off[r->n + 1] = r->copy.len;
	buf_add(&r->keys, k->p, k->len);
	r->koff[r->n + 1] = r->keys.len;
	r->rec[r->n] = b->n;
	r->info[r->n] = k->info;
	r->hash[r->n] = k->hash;
	r->prefix[r->n] = k->prefix;
	hmap_put(&r->set, k->hash, (uint32_t)r->n);
	r->n++;
	b->n++;
}

/* The rows being sorted, for the comparison (qsort has no argument for it). */
static const struct tabrows *sorting;

static int
by_key(const void *a, const void *b)
{
	const struct tabrows *r = sorting;
	int i = *(const int *)a, j = *(const int *)b, c;
	size_t li, lj;

	if (r->prefix[i] != r->prefix[j])
		return r->prefix[i] < r->prefix[j] ? -1 : 1;
	li = r->koff[i + 1] - r->koff[i];
	lj = r->koff[j + 1] - r->koff[j];
	c = memcmp(r->keys.p + r->koff[i], r->keys.p + r->koff[j], li < lj ? li : lj);
	if (c != 0)
		return c;
	return li < lj ? -1 : li > lj;
}

/* permute puts a[] (n elements of size sz) in the order of perm, through tmp. */
static void
permute(void *a, const int *perm, int n, size_t sz, struct buf *tmp)
{
	int i;

	buf_reset(tmp);
	for (i = 0; i < n; i++)
		buf_add(tmp, (char *)a + (size_t)perm[i] * sz, sz);
	memcpy(a, tmp->p, (size_t)n * sz);
}

void
batch_sort(struct batch *b)
{
	struct tabrows *r;
	struct buf tmp = BUF_INIT, swap;
	size_t *len;
	int t, i, k;

	for (t = 0; t < TAB_COUNT; t++) {
		r = &b->t[t];
		if (r->n < 2)
			continue;
		r->perm = xrealloc(r->perm, (size_t)r->n * sizeof *r->perm);
		for (i = 0; i < r->n; i++)
			r->perm[i] = i;
		sorting = r;
		qsort(r->perm, (size_t)r->n, sizeof *r->perm, by_key);
		for (i = 0; i < r->n && r->perm[i] == i; i++)
			;
		if (i == r->n)
			continue;	/* in order already */
		/* The rows and keys, copied in the new order, and their offsets. */
		buf_reset(&r->copy2);
		buf_reset(&r->keys2);
		len = xmalloc((size_t)r->n * 2 * sizeof *len);
		for (i = 0; i < r->n; i++) {
			k = r->perm[i];
			len[2 * i] = r->off[k + 1] - r->off[k];
			len[2 * i + 1] = r->koff[k + 1] - r->koff[k];
			buf_add(&r->copy2, r->copy.p + r->off[k], len[2 * i]);
			buf_add(&r->keys2, r->keys.p + r->koff[k], len[2 * i + 1]);
		}
		for (i = 0; i < r->n; i++) {
			r->off[i + 1] = r->off[i] + len[2 * i];
			r->koff[i + 1] = r->koff[i] + len[2 * i + 1];
		}
		free(len);
		permute(r->rec, r->perm, r->n, sizeof *r->rec, &tmp);
		permute(r->info, r->perm, r->n, sizeof *r->info, &tmp);
		permute(r->hash, r->perm, r->n, sizeof *r->hash, &tmp);
		permute(r->prefix, r->perm, r->n, sizeof *r->prefix, &tmp);
		swap = r->copy;
		r->copy = r->copy2;
		r->copy2 = swap;
		swap = r->keys;
		r->keys = r->keys2;
		r->keys2 = swap;
		/* The key set, for the new places of the rows. */
		hmap_clear(&r->set);
		for (i = 0; i < r->n; i++)
			hmap_put(&r->set, r->hash[i], (uint32_t)i);
	}
	buf_free(&tmp);
}
