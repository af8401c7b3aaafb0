/*
 * Tests of lib/ledger: holds, the offset that may be stored, stale and
 * misused tokens, the "deliver now" hooks, and a simulated crash: a
 * program that keeps records for a while, offsets stored at random
 * moments, a crash, a restart from the stored offsets, and no record
 * lost.
 */
#include <signal.h>

#include "ledger.h"
#include "rng.h"
#include "t.h"

static void
test_holds(void)
{
	ledger_tok t[5];
	int64_t off;
	int i, slot;

	ledger_slot_open(0);
	t_int(-1, ledger_done(0), "nothing read: no offset to store");
	for (i = 0; i < 5; i++)
		t[i] = ledger_push(0, 100 + i);
	t_uint(5, ledger_unfinished(0), "five read, none finished");
	t_ok(ledger_where(t[3], &slot, &off) == 0 && slot == 0 && off == 103,
	    "ledger_where gives the slot and offset");
	t_uint(t[1], ledger_hold(t[1]), "a hold on a live token returns it");
	ledger_release(t[0]);
	t_int(101, ledger_done(0), "the first finished: store 101");
	ledger_release(t[1]);
	t_int(101, ledger_done(0), "the second still held by the program: still 101");
	ledger_release(t[3]);
	ledger_release(t[4]);
	t_int(101, ledger_done(0), "later ones finished: nothing passes the held one");
	ledger_release(t[1]);
	t_int(102, ledger_done(0), "the held one released: 102");
	ledger_release(t[2]);
	t_int(105, ledger_done(0), "all finished: 105, past the last");
	t_uint(0, ledger_unfinished(0), "none unfinished");
	ledger_release(t[2]);
	t_int(105, ledger_done(0), "a release of a finished token does nothing");
	t_uint(0, ledger_hold(0), "a hold on 0 (a file's record) is 0");
	ledger_release(0);
}

static void
test_stale(void)
{
	ledger_tok a, b;
	int64_t off;
	int slot;

	ledger_slot_open(1);
	a = ledger_push(1, 7);
	ledger_slot_close(1);
	t_uint(0, ledger_hold(a), "a token of a partition taken away is stale: hold gives 0");
	t_int(-1, ledger_where(a, &slot, &off), "and ledger_where knows nothing of it");
	ledger_release(a);
	ledger_slot_open(1);
	b = ledger_push(1, 7);
	t_ok(a != b, "the same offset read again after a new assignment has a new token");
	ledger_release(a);
	t_uint(1, ledger_unfinished(1), "releasing the stale one does not finish the new one");
	ledger_release(b);
	t_int(8, ledger_done(1), "the new one finished");
}

static ledger_tok kept;

static void
hold_finished(void *arg)
{
	ledger_hold(kept);
}

static void
test_misuse(void)
{
	char *err;
	int st;

	ledger_slot_open(2);
	kept = ledger_push(2, 0);
	ledger_release(kept);	/* the reader's hold: the record was kept without one */
	st = t_child(hold_finished, NULL, NULL, &err);
	t_int(128 + SIGABRT, st, "holding a finished token aborts");
	t_contains(err, "kept without a hold", "and says why");
	free(err);
}

static int calls[3], order[3], ncall;

static int
hook(void *arg)
{
	int i = (int)(intptr_t)arg;

	calls[i]++;
	order[ncall++ % 3] = i;
	return i == 1 ? -1 : 0;
}

static void
test_hooks(void)
{
	ledger_on_deliver(hook, (void *)0);
	ledger_on_deliver(hook, (void *)1);
	ledger_on_deliver(hook, (void *)2);
	t_int(-1, ledger_deliver(), "ledger_deliver fails when one hook fails");
	t_ok(calls[0] == 1 && calls[1] == 1 && calls[2] == 1, "every hook ran once");
	t_ok(order[0] == 0 && order[1] == 1 && order[2] == 2, "in the order registered");
	ledger_off_deliver(hook, (void *)1);
	ncall = 0;
	t_int(0, ledger_deliver(), "without the failing one: 0");
	t_ok(calls[1] == 1 && calls[0] == 2 && calls[2] == 2, "a hook removed is not called");
	ledger_off_deliver(hook, (void *)0);
	ledger_off_deliver(hook, (void *)2);
}

/*
 * The crash: NSLOT partitions of N messages each, read in turns. The
 * program keeps some records (a batch, a warm-up, a window) and
 * delivers them later, in any order; others it delivers at once. The
 * offsets are stored at random moments, as a consumer does. At a random
 * moment the program dies: what it had not delivered is gone. A restart
 * reads each partition from its stored offset. Every message must then
 * be delivered at least once, and those delivered twice must lie at or
 * past the stored offset.
 */
#define NSLOT 3
#define NMSG 2000
#define KEEP_MAX 300

static int64_t
crash_once(uint64_t seed, int forget)
{
	static ledger_tok tok[NSLOT][NMSG];
	static unsigned char delivered[NSLOT][NMSG];
	static int kept_s[KEEP_MAX], kept_o[KEEP_MAX];
	int64_t stored[NSLOT], lost = 0, twice = 0, again = 0;
	int next[NSLOT], nkept = 0, s, i, j, crash_at, step;
	struct rng r;

	rng_seed(&r, seed);
	memset(delivered, 0, sizeof delivered);
	for (s = 0; s < NSLOT; s++) {
		ledger_slot_open(10 + s);
		next[s] = 0;
		stored[s] = 0;
	}
	crash_at = (int)rng_below(&r, NSLOT * NMSG);
	for (step = 0; step < crash_at; step++) {
		s = (int)rng_below(&r, NSLOT);
		if (next[s] == NMSG)
			continue;
		i = next[s]++;
		tok[s][i] = ledger_push(10 + s, i);
		if (rng_below(&r, 3) == 0 && nkept < KEEP_MAX) {
			/* Kept, with a hold, for later. */
			kept_s[nkept] = s;
			kept_o[nkept++] = i;
			if (!forget)
				ledger_hold(tok[s][i]);
		} else
			delivered[s][i] = 1;
		ledger_release(tok[s][i]);	/* the reader's hold, at the next read */
		if (nkept > 0 && rng_below(&r, 4) == 0) {
			/* Deliver one of the kept ones, any of them. */
			j = (int)rng_below(&r, (uint64_t)nkept);
			delivered[kept_s[j]][kept_o[j]] = 1;
			if (!forget)
				ledger_release(tok[kept_s[j]][kept_o[j]]);
			kept_s[j] = kept_s[nkept - 1];
			kept_o[j] = kept_o[--nkept];
		}
		if (rng_below(&r, 50) == 0)
			for (j = 0; j < NSLOT; j++)
				if (ledger_done(10 + j) >= 0)
					stored[j] = ledger_done(10 + j);
	}
	/* The crash: the kept ones are gone undelivered. The restart reads from stored. */
	for (s = 0; s < NSLOT; s++) {
		for (i = 0; i < NMSG; i++) {
			if (i < stored[s] && !delivered[s][i])
				lost++;
			if (i >= stored[s] && delivered[s][i])
				twice++;
			if (i >= stored[s])
				again++;	/* the restart delivers it */
		}
		ledger_slot_close(10 + s);
	}
	if (forget)
		return lost;
	t_int(0, lost, "seed %llu, crash after %d reads: every message below a stored offset"
	    " was delivered", (unsigned long long)seed, crash_at);
	/* What the restart reads again: delivered twice are in it, and only those. */
	printf("# seed %llu: the restart reads %lld again, %lld of them delivered twice\n",
	    (unsigned long long)seed, (long long)again, (long long)twice);
	return lost;
}

int
main(void)
{
	const char *env = getenv("FS_TEST_SEED");
	uint64_t seed = env != NULL ? strtoull(env, NULL, 10) : 20261208;
	int64_t lost;
	int i;

	test_holds();
	test_stale();
	test_misuse();
	test_hooks();
	printf("# crash seeds from %llu (FS_TEST_SEED)\n", (unsigned long long)seed);
	for (i = 0; i < 40; i++)
		crash_once(seed + (uint64_t)i, 0);
	/* The control: a program that keeps records without holds (fs-score's old warm-up). */
	for (i = 0, lost = 0; i < 40; i++)
		lost += crash_once(seed + (uint64_t)i, 1);
	t_ok(lost > 0, "a program that keeps records without a hold loses %lld of them", (long long)lost);
	ledger_reset();
	return t_done();
}
