/*
 * kprod: a Kafka topic as a program's output ("--to kafka:TOPIC", also
 * --reject and --late), through one idempotent producer per process.
 *
 * Records are keyed by a JSON string field (icao24 for positions, key
 * for windows), partitioned with murmur2 like the Java client, and hold
 * the tokens they were given (ledger.h) until the broker acknowledged
 * them: an offset never moves past a record not delivered. A full queue
 * means wait and retry, never drop.
 */
#ifndef FS_KPROD_H
#define FS_KPROD_H

#include <stddef.h>

#include "kconf.h"
#include "ledger.h"

struct kafka_out;

/* kafka_out_open prepares writing to topic, keyed by keyfield (NULL: no key). NULL (message printed) on failure. */
struct kafka_out *kafka_out_open(const struct kafka_opts *o, const char *topic, const char *keyfield);

/* kafka_out_write produces one record holding toks[0..ntoks). -1 if it could not be queued. */
int kafka_out_write(struct kafka_out *o, const char *p, size_t n, const ledger_tok *toks, size_t ntoks);

/* kafka_out_flush waits until every record produced was acknowledged or failed; -1 if any of o's failed. */
int kafka_out_flush(struct kafka_out *o);

/* kafka_out_close flushes and reports undelivered records; -1 if any. */
int kafka_out_close(struct kafka_out *o);

/* kafka_out_poll produces what the writers gathered and serves delivery reports; kafka_out_serve only serves them. Cheap. */
void kafka_out_poll(void);
void kafka_out_serve(void);

#endif
