/*
 * io: a program's sources and sinks, opened from a name.
 *
 * The one module that understands "kafka:TOPIC": a source is the files
 * named (stdin when none) or, with --from kafka:TOPIC[,TOPIC...], a
 * consumer group; a sink is stdout or a path, or a topic for --to
 * kafka:TOPIC and any "kafka:TOPIC" path (--reject, --late). Above it
 * a program's loop is the same for files, pipes and topics.
 *
 * Delivery: every line read carries its token (line.h). A record
 * written names the tokens it derives from, and holds them until it is
 * delivered: its bytes written to the descriptor, or the broker's
 * acknowledgement. Each sink registers a "deliver now" hook with the
 * ledger, which a consumer calls before it stores offsets.
 *
 * Usage errors (files and --from together, a bad -X) exit 2; a broker
 * that cannot be reached exits 1.
 */
#ifndef FS_IO_H
#define FS_IO_H

#include <stddef.h>
#include <stdint.h>

#include "fdio.h"
#include "kconf.h"
#include "ledger.h"
#include "line.h"

/* Plain data, filled by the option parser (cli.h). */
struct io_opts {
	const char *from;	/* --from kafka:TOPIC[,TOPIC...], or NULL */
	const char *to;		/* --to kafka:TOPIC, or NULL */
	struct kafka_opts kafka;
	int keep_freed;		/* the program moves many Kafka messages: kconf_tune_malloc */
};

/* io_topic returns the TOPIC of "kafka:TOPIC", NULL for any other name. */
const char *io_topic(const char *name);

struct io_in;

/* io_in_open opens files[0..nfiles), or the topics of o->from. check: scan lines for NUL and bad UTF-8. */
struct io_in *io_in_open(const struct io_opts *o, char **files, int nfiles, size_t max_line, int check);

/* io_read: 1 a line, 0 at the end of input, -1 interrupted by a signal (look at sig_stop, call again). */
int io_read(struct io_in *in, struct line *l);

/* io_in_idle sets what runs when input is quiet (flush the output, progress). */
void io_in_idle(struct io_in *in, void (*fn)(void *), void *arg);

/* io_in_on_revoke sets what runs before Kafka partitions are taken away (kcons.h); nothing for files. */
void io_in_on_revoke(struct io_in *in, void (*fn)(void *), void *arg);

/* io_wait waits up to ms for input: 1 when there is some (or may be), 0 if not. */
int io_wait(struct io_in *in, int ms);

int io_errors(const struct io_in *in);	/* files not read, Kafka input failures */
int64_t io_lag(struct io_in *in);	/* consumer lag; -1 for files or not known */
void io_progress(struct io_in *in, uint64_t *done, uint64_t *total);

/* io_in_close closes the source; the last consumer lag stays for io_lag's caller in *lag (-1 for files). */
void io_in_close(struct io_in *in, int64_t *lag);

struct kafka_out;

struct io_out {
	const char *name;
	int failed;
	uint64_t records;
	struct fd_out f;		/* a file or pipe; f.fd is -1 for a topic */
	struct kafka_out *k;		/* a topic */
};

/* io_out_stdout writes to stdout, or to the topic of o->to keyed by keyfield. -1 (said) on failure. */
int io_out_stdout(struct io_out *w, const struct io_opts *o, const char *keyfield);

/* io_out_open writes to path ("-" stdout, "kafka:TOPIC" unkeyed), truncating or appending. -1 (said) on failure. */
int io_out_open(struct io_out *w, const struct io_opts *o, const char *path, int append);

/*
 * io_write adds one record derived from the record of tok (0: none);
 * io_write_held from several (a window from all its events). "\n" is
 * added when missing. -1 once a write failed: the program must exit 1.
 */
int io_write(struct io_out *w, const char *p, size_t n, ledger_tok tok);
int io_write_held(struct io_out *w, const char *p, size_t n, const ledger_tok *toks, size_t ntoks);

/* io_flush writes out what is buffered (a topic: what is gathered is produced). -1 (said once) on error. */
int io_flush(struct io_out *w);

/* io_out_close flushes, waits for deliveries and closes. -1 if anything written was lost. */
int io_out_close(struct io_out *w);

#endif
