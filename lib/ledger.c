/*
 * ledger: per slot, a ring of the messages read and not yet finished,
 * each with its count of holds. When the oldest reach zero holds the
 * ring moves on and the slot's offset to store becomes the next one.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "ledger.h"

#define SLOT_BITS 12
#define GEN_BITS 8
#define SEQ_BITS (64 - SLOT_BITS - GEN_BITS)
#define SEQ_MASK ((UINT64_C(1) << SEQ_BITS) - 1)
#define GEN_MASK ((1u << GEN_BITS) - 1)
#define MAX_HOOKS 32

struct entry {
	int64_t offset;
	uint32_t holds;
};

struct slot {
	int used;
	unsigned gen;
	struct entry *ring;
	size_t cap, head, n;	/* circular: ring[head] is the oldest unfinished */
	uint64_t base;		/* sequence number of ring[head] */
	int64_t done;		/* offset after the finished run, -1 none */
};

static struct slot slots[LEDGER_MAX_SLOTS];
static int nslots;		/* slots[0, nslots) were ever used */

static struct {
	int (*fn)(void *);
	void *arg;
} hooks[MAX_HOOKS];
static int nhooks;

void
ledger_slot_open(int si)
{
	struct slot *s;

	if (si < 0 || si >= LEDGER_MAX_SLOTS)
		fs_bug("ledger slot %d out of range", si);
	s = &slots[si];
	if (si >= nslots)
		nslots = si + 1;
	s->used = 1;
	s->gen++;
	s->head = s->n = 0;
	s->done = -1;
}

void
ledger_slot_close(int si)
{
	struct slot *s = &slots[si];

	s->used = 0;
	s->gen++;
	s->head = s->n = 0;
	s->done = -1;
}

ledger_tok
ledger_push(int si, int64_t offset)
{
	struct slot *s = &slots[si];
	struct entry *ring;
	size_t i, cap;

	if (!s->used)
		fs_bug("ledger slot %d not open", si);
	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 1024;
		ring = xmalloc(cap * sizeof *ring);
		for (i = 0; i < s->n; i++)
			ring[i] = s->ring[(s->head + i) % s->cap];
		free(s->ring);
		s->ring = ring;
		s->cap = cap;
		s->head = 0;
	}
	s->ring[(s->head + s->n) % s->cap] = (struct entry){ offset, 1 };
	s->n++;
	return ((uint64_t)si << (GEN_BITS + SEQ_BITS)) |
	    ((uint64_t)(s->gen & GEN_MASK) << SEQ_BITS) | ((s->base + s->n - 1) & SEQ_MASK);
}

/*
 * find gives a token's entry, NULL when it is 0 or stale. A token of
 * the slot's generation below the ring is finished: *finished is set.
 */
static struct entry *
find(ledger_tok t, struct slot **sp, int *finished)
{
	unsigned si = (unsigned)(t >> (GEN_BITS + SEQ_BITS));
	unsigned gen = (unsigned)(t >> SEQ_BITS) & GEN_MASK;
	uint64_t seq = t & SEQ_MASK;
	struct slot *s;

	*finished = 0;
	if (t == 0 || si >= (unsigned)nslots)
		return NULL;
	s = &slots[si];
	if (!s->used || (s->gen & GEN_MASK) != gen)
		return NULL;
	if (seq < s->base || seq - s->base >= s->n) {
		*finished = seq < s->base;
		return NULL;
	}
	*sp = s;
	return &s->ring[(s->head + (seq - s->base)) % s->cap];
}

ledger_tok
ledger_hold(ledger_tok t)
{
	struct slot *s;
	struct entry *e;
	int finished;

	if ((e = find(t, &s, &finished)) == NULL) {
		if (finished)
			fs_bug("a record was kept without a hold on its delivery token,"
			    " and its offset may have been stored");
		return 0;
	}
	e->holds++;
	return t;
}

void
ledger_release(ledger_tok t)
{
	struct slot *s;
	struct entry *e;
	int finished;

	if ((e = find(t, &s, &finished)) == NULL || e->holds == 0)
		return;
	if (--e->holds != 0 || e != &s->ring[s->head])
		return;
	while (s->n > 0 && s->ring[s->head].holds == 0) {
		s->done = s->ring[s->head].offset + 1;
		s->head = (s->head + 1) % s->cap;
		s->base++;
		s->n--;
	}
}

int
ledger_where(ledger_tok t, int *slot, int64_t *offset)
{
	struct slot *s;
	struct entry *e;
	int finished;

	if ((e = find(t, &s, &finished)) == NULL)
		return -1;
	*slot = (int)(s - slots);
	*offset = e->offset;
	return 0;
}

int64_t
ledger_done(int si)
{
	return slots[si].used ? slots[si].done : -1;
}

size_t
ledger_unfinished(int si)
{
	return slots[si].used ? slots[si].n : 0;
}

void
ledger_reset(void)
{
	int i;

	for (i = 0; i < nslots; i++) {
		free(slots[i].ring);
		memset(&slots[i], 0, sizeof slots[i]);
	}
	nslots = 0;
}

void
ledger_on_deliver(int (*fn)(void *), void *arg)
{
	if (nhooks == MAX_HOOKS)
		fs_errx(EXIT_FAIL, "too many open outputs (at most %d)", MAX_HOOKS);
	hooks[nhooks].fn = fn;
	hooks[nhooks].arg = arg;
	nhooks++;
}

void
ledger_off_deliver(int (*fn)(void *), void *arg)
{
	int i;

	for (i = 0; i < nhooks; i++)
		if (hooks[i].fn == fn && hooks[i].arg == arg) {
			memmove(&hooks[i], &hooks[i + 1], (size_t)(nhooks - i - 1) * sizeof hooks[0]);
			nhooks--;
			return;
		}
}

int
ledger_deliver(void)
{
	int i, rc = 0;

	for (i = 0; i < nhooks; i++)
		if (hooks[i].fn(hooks[i].arg) != 0)
			rc = -1;
	return rc;
}
