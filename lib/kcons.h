/*
 * kcons: a Kafka topic as a program's input, read as a member of a
 * consumer group ("--from kafka:TOPIC[,TOPIC...]").
 *
 * One message is one line (line.h), with its delivery token (ledger.h),
 * which the reader holds until the next read. enable.auto.offset.store
 * is off: a partition's offset is stored (and so committed, every
 * second, on a rebalance and at close) only over the run of finished
 * messages the ledger gives, so a crash replays from the first
 * unfinished one: at-least-once, never a loss.
 *
 * When partitions are about to be taken away the program's revoke hook
 * runs first (a sink commits its batch, fs-window decides about open
 * windows), then ledger_deliver (every writer delivers what it holds),
 * then the offsets are stored and committed. One consumer per process.
 */
#ifndef FS_KCONS_H
#define FS_KCONS_H

#include <stddef.h>
#include <stdint.h>

#include "kconf.h"
#include "line.h"

struct kafka_in;

/*
 * kafka_in_open joins the group and subscribes to the comma-separated
 * topics; a broker must answer within $FS_KAFKA_TIMEOUT. NULL (message
 * printed) on failure. o must outlive the consumer.
 */
struct kafka_in *kafka_in_open(const struct kafka_opts *o, const char *topics,
    size_t max_line, int check);

/*
 * kafka_in_read hands out the next message as a line: 1 a line, 0 the
 * end (-e and every assigned partition at its end, or a fatal consumer
 * error), -1 on a stop signal. idle runs when no message is ready, then
 * every 100 ms.
 */
int kafka_in_read(struct kafka_in *k, struct line *l, void (*idle)(void *), void *arg);

/*
 * kafka_in_lag sums, over the assigned partitions, the messages from
 * where reading is to the high watermark: -1 when that is not known
 * (nothing assigned, or a lower bound of 0).
 */
int64_t kafka_in_lag(struct kafka_in *k);
int kafka_in_errors(const struct kafka_in *k);

/* kafka_in_on_revoke sets the hook run when partitions are about to be taken away. */
void kafka_in_on_revoke(struct kafka_in *k, void (*fn)(void *), void *arg);

/*
 * kafka_in_close delivers what the writers hold (ledger_deliver),
 * stores the offsets of finished messages, commits them and leaves the
 * group; *lag_at_close is the lag before the commit. Messages still
 * held (a sink that did not commit) are not stored: read again next time.
 */
void kafka_in_close(struct kafka_in *k, int64_t *lag_at_close);

#endif
