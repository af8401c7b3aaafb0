/*
 * kafka: topics as the input and output of any program.
 *
 * A program reads "--from kafka:TOPIC[,TOPIC...]" as a member of a
 * consumer group and writes "--to kafka:TOPIC" (or "--reject
 * kafka:TOPIC", "--late kafka:TOPIC") through one idempotent producer.
 * The NDJSON reader and writer (ndjson.h) call into this module, so a
 * program's loop is the same for files, pipes and topics: one message
 * is one record.
 *
 * Delivery. Every message read gets a token. The message's offset is
 * stored (and so committed, by auto-commit, on rebalance and at close)
 * only when everything derived from it has been delivered: records
 * written to a file or pipe are delivered when the write succeeded,
 * records produced to a topic when the broker acknowledged them (the
 * delivery report), a sink's rows when its transaction committed. A
 * partition's stored offset moves only over a run of finished
 * messages, so a crash at any point replays from the first unfinished
 * one: at-least-once, never a loss. The reader holds the record it
 * handed out until the next read; writers hold what they were given
 * until it is delivered; sinks and windowing programs hold tokens
 * themselves with kafka_hold and kafka_release.
 */
#ifndef FS_KAFKA_H
#define FS_KAFKA_H

#include <stddef.h>
#include <stdint.h>

struct ndjson_line;

#define KAFKA_MAX_PROPS 64

/* Set by the common options (cli.c); read when a topic is opened. */
struct kafka_conf {
	const char *from;	/* --from kafka:..., or NULL */
	const char *to;		/* --to kafka:..., or NULL */
	const char *brokers;	/* -b; else $FS_KAFKA_BROKERS */
	const char *group;	/* -G; else $FS_KAFKA_GROUP; else the program's name */
	const char *offset;	/* --offset beginning|end|stored */
	int exit_at_end;	/* -e */
	int verbose;		/* -v: show librdkafka's log */
	const char *props[KAFKA_MAX_PROPS];	/* -X name=value, in order */
	int nprops;
};

extern struct kafka_conf kafka_conf;

typedef uint64_t kafka_tok;	/* 0: not a Kafka record */

/* kafka_uri returns the topic part of "kafka:TOPIC", or NULL for any other name. */
const char *kafka_uri(const char *name);

/* kafka_option checks and records -X name=value; -1 (message printed) if malformed. */
int kafka_option(const char *prop);

/* --- consumer ---------------------------------------------------------- */

struct kafka_in;

/*
 * kafka_in_open joins the group and subscribes to the comma-separated
 * topics. The first broker must answer within $FS_KAFKA_TIMEOUT seconds
 * (default 10), else the open fails with a message: NULL.
 */
struct kafka_in *kafka_in_open(const char *topics, size_t max_line, int check);

/*
 * kafka_in_read hands out the next message as a line, with the same
 * meaning as ndjson_read: 1 a line, 0 the end (-e and every assigned
 * partition at its end, or a fatal consumer error), -1 on a stop
 * signal. idle runs when no message is ready, then every 100 ms.
 */
int kafka_in_read(struct kafka_in *k, struct ndjson_line *l,
    void (*idle)(void *), void *idle_arg);

/*
 * kafka_in_lag is the sum over assigned partitions of high watermark
 * minus position; kafka_lag_at_close is what it was when the consumer
 * closed (-1 before).
 */
int64_t kafka_in_lag(struct kafka_in *k);
int64_t kafka_lag_at_close(void);
int kafka_in_errors(const struct kafka_in *k);

/*
 * kafka_in_close delivers what every writer holds (ndjson_flush_all),
 * stores the offsets of finished messages, commits them and leaves the
 * group. Messages still held (a sink that did not commit) are not
 * stored: they are read again next time.
 */
void kafka_in_close(struct kafka_in *k);

/*
 * kafka_on_revoke sets a hook run when partitions are about to be
 * taken away, before the writers are flushed and the offsets stored
 * and committed: a sink commits its batch there, fs-window decides
 * about open windows (kafka_tok_where tells which partition a token
 * came from).
 */
void kafka_on_revoke(void (*fn)(void *), void *arg);

/* --- tokens -------------------------------------------------------------- */

/* kafka_current is the token of the record last read (0 when input is not Kafka). */
kafka_tok kafka_current(void);

/* kafka_hold takes one more hold on a token and returns it; 0 is ignored. */
kafka_tok kafka_hold(kafka_tok t);

/* kafka_release gives a hold back; when none is left the message is finished. */
void kafka_release(kafka_tok t);

/*
 * kafka_tok_where tells which partition (a small number, stable while
 * the partition stays assigned, below KAFKA_MAX_SLOTS) and offset a
 * live token belongs to. -1 for a stale or zero token.
 */
#define KAFKA_MAX_SLOTS 4096
int kafka_tok_where(kafka_tok t, int *slot, int64_t *offset);

/* --- producer ------------------------------------------------------------ */

struct kafka_out;

/*
 * kafka_out_open prepares writing to topic. keyfield names the JSON
 * string field whose value is the message key ("icao24"; "key" for
 * windows; NULL for none). NULL (message printed) on failure.
 */
struct kafka_out *kafka_out_open(const char *topic, const char *keyfield);

/*
 * kafka_out_write produces one record. It holds toks[0..ntoks) until
 * the broker acknowledged it. A full queue means wait and retry,
 * never drop. -1 if the record could not be queued.
 */
int kafka_out_write(struct kafka_out *o, const char *p, size_t n,
    const kafka_tok *toks, size_t ntoks);

/* kafka_out_flush waits until every record produced was acknowledged or failed. */
int kafka_out_flush(struct kafka_out *o);

/* kafka_out_close flushes, reports undelivered records; -1 if any. */
int kafka_out_close(struct kafka_out *o);

/* kafka_poll serves delivery reports; cheap, called by the reader and the writers. */
void kafka_poll(void);

#endif
