/*
 * ledger: which records read from Kafka are finished, so that an
 * offset is stored only over records whose results were delivered.
 *
 * A consumer puts each message it reads into its partition's slot
 * (ledger_push) and gets a token with one hold on it, the reader's.
 * Whoever keeps the record, or anything derived from it, takes a hold
 * (ledger_hold) and gives it back (ledger_release) once that is
 * delivered: a writer when its write succeeded or the broker
 * acknowledged it, a sink when its transaction committed, a stateful
 * program when the state derived from the record was written. A
 * message with no holds left is finished; ledger_done is the offset
 * after the longest finished run from the start of the slot, the only
 * offset that may be stored. A crash at any moment therefore replays
 * from the first unfinished message: nothing is lost.
 *
 * A token names its slot, the slot's generation and a sequence number.
 * When a partition is taken away (ledger_slot_close) its tokens go
 * stale: holding one gives 0 and releasing one does nothing, since the
 * new owner reads those messages again. Holding a token of the current
 * generation that is already finished is a bug in the program (a
 * record kept without a hold, whose offset may have been stored): it
 * aborts, so that a test finds it.
 *
 * The ledger also keeps the "deliver now" hooks: each writer registers
 * one, and a consumer about to lose partitions or to close calls
 * ledger_deliver so that everything written so far is delivered and
 * its holds are released before offsets are stored.
 *
 * One ledger per process; it allocates its rings itself and frees them
 * in ledger_reset. Not thread-safe: the reader's thread owns it.
 */
#ifndef FS_LEDGER_H
#define FS_LEDGER_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t ledger_tok;	/* 0: not from a Kafka input; holds and releases ignore it */

#define LEDGER_MAX_SLOTS 4096

/* ledger_slot_open starts slot si afresh (a new generation, nothing read). */
void ledger_slot_open(int si);

/* ledger_slot_close forgets slot si: its tokens go stale. */
void ledger_slot_close(int si);

/* ledger_push notes a message read at offset in slot si; its token has one hold. */
ledger_tok ledger_push(int si, int64_t offset);

/* ledger_hold takes one more hold and returns t; 0 for 0 or a stale token. */
ledger_tok ledger_hold(ledger_tok t);

/* ledger_release gives a hold back; 0 and stale tokens are ignored. */
void ledger_release(ledger_tok t);

/* ledger_where gives the slot and offset of a live token; -1 for 0 or stale. */
int ledger_where(ledger_tok t, int *slot, int64_t *offset);

/* ledger_done is the offset to store for slot si (after its finished run); -1 when none. */
int64_t ledger_done(int si);

/* ledger_unfinished counts the messages of slot si read and not finished. */
size_t ledger_unfinished(int si);

/* ledger_reset closes every slot and frees the rings. */
void ledger_reset(void);

/*
 * ledger_on_deliver registers fn(arg), which delivers what one writer
 * holds and returns -1 if it could not; ledger_off_deliver removes it.
 * ledger_deliver calls every hook, in the order registered: -1 if any
 * failed.
 */
void ledger_on_deliver(int (*fn)(void *), void *arg);
void ledger_off_deliver(int (*fn)(void *), void *arg);
int ledger_deliver(void);

#endif
