/*
 * ndjson: reading and writing newline-delimited records.
 *
 * The reader goes through a list of files in order ("-" is stdin) and
 * hands out one line at a time, without its "\n" (or "\r\n"). A last
 * line without a newline is a line. A line longer than the limit is
 * not truncated silently: the reader skips the rest of it and hands out
 * its first max_line bytes with NDJSON_TOO_LONG set. Lines holding a
 * NUL byte or invalid UTF-8 are flagged too; the caller decides.
 *
 * Before a read that would block (a pipe or terminal with no data
 * ready) the reader calls the idle hook, which programs use to flush
 * their output: a quiet pipe then sees each record at once, and a busy
 * one is fully buffered. While input stays quiet the hook runs again
 * every 100 ms, and a SIGINT or SIGTERM (cli_stop) makes ndjson_read
 * return -1 within that time.
 */
#ifndef FS_NDJSON_H
#define FS_NDJSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NDJSON_MAX_LINE_DEFAULT (1024 * 1024)

enum {
	NDJSON_TOO_LONG = 1 << 0,	/* longer than max_line; p holds the first max_line bytes */
	NDJSON_HAS_NUL = 1 << 1,
	NDJSON_BAD_UTF8 = 1 << 2,
	NDJSON_CRLF = 1 << 3,		/* ended in \r\n; the \r is not in p */
	NDJSON_NO_NL = 1 << 4,		/* last line of its file, without \n */
};

struct ndjson_line {
	const char *p;		/* valid until the next ndjson_read */
	size_t len;
	size_t full_len;	/* the line's real length (> len when TOO_LONG) */
	unsigned flags;
	long bad_offset;	/* first bad byte when HAS_NUL or BAD_UTF8 */
	const char *file;	/* name as given ("-" for stdin) */
	uint64_t lineno;	/* 1-based, within file */
};

struct ndjson_reader;

/* ndjson_blank: a line of nothing but white space carries no record; programs skip it. */
static inline int
ndjson_blank(const struct ndjson_line *l)
{
	size_t i;

	for (i = 0; i < l->len; i++)
		if (l->p[i] != ' ' && l->p[i] != '\t' && l->p[i] != '\r')
			return 0;
	return !(l->flags & NDJSON_TOO_LONG);
}

/*
 * ndjson_open prepares to read files[0..nfiles) in order; nfiles 0
 * means stdin. With --from kafka:TOPIC (kafka_conf.from) it reads the
 * topic instead: files must be none (else exit 2), and a broker that
 * cannot be reached exits 1. Nothing is opened until the first read. max_line 0 means
 * the default. check 0 skips the NUL and UTF-8 scan (for programs that
 * pass bytes through untouched).
 */
struct ndjson_reader *ndjson_open(char **files, int nfiles, size_t max_line, int check);

/*
 * ndjson_read fills line with the next line. Returns 1 for a line, 0 at
 * the end of the last file, -1 when interrupted by a signal (EINTR; the
 * caller checks its stop flag and may call again). A file that cannot
 * be opened or read is reported on stderr, naming it, and skipped; the
 * error is remembered for ndjson_errors().
 */
int ndjson_read(struct ndjson_reader *r, struct ndjson_line *line);

void ndjson_set_idle(struct ndjson_reader *r, void (*fn)(void *), void *arg);

/* ndjson_errors counts files that could not be opened or read (and Kafka input failures). */
int ndjson_errors(const struct ndjson_reader *r);

/* ndjson_lag is the consumer lag of a Kafka input, -1 for files. */
int64_t ndjson_lag(const struct ndjson_reader *r);

/* ndjson_check_line sets HAS_NUL and BAD_UTF8 (and bad_offset) for a line. */
void ndjson_check_line(struct ndjson_line *l);

/*
 * ndjson_progress reports bytes read so far and the total size of the
 * regular files among the inputs (0 when unknown, e.g. stdin is a pipe).
 */
void ndjson_progress(const struct ndjson_reader *r, uint64_t *done, uint64_t *total);

/* ndjson_wait_input waits up to ms for input to be ready; 1 if it is (or may be), 0 if not. */
int ndjson_wait_input(struct ndjson_reader *r, int ms);

void ndjson_close(struct ndjson_reader *r);

/*
 * The writer buffers output for a file descriptor and writes it out
 * when 64 KiB have gathered, on ndjson_flush, and on close. Every
 * write is checked: after a failure the writer keeps failing and
 * ndjson_writer_failed() is true, and the program must exit 1.
 */
struct kafka_out;

struct ndjson_writer {
	int fd;			/* -1 for a Kafka topic */
	int owned;		/* close fd on ndjson_writer_close */
	int failed;
	const char *name;
	char *buf;
	size_t len, cap;
	uint64_t records;
	struct kafka_out *k;	/* writing to a topic (kafka.h) */
	uint64_t *held;		/* Kafka input tokens of what is buffered */
	size_t nheld, capheld;
};

/* ndjson_writer_init writes to fd; name is used in messages. */
void ndjson_writer_init(struct ndjson_writer *w, int fd, const char *name);

/*
 * ndjson_writer_stdout writes to stdout, or to the topic of --to
 * kafka:TOPIC, keyed by the string field keyfield ("icao24"; NULL for
 * no key). -1 (message printed) on failure.
 */
int ndjson_writer_stdout(struct ndjson_writer *w, const char *keyfield);

/*
 * ndjson_writer_open opens path for writing (truncating; "-" is stdout;
 * "kafka:TOPIC" a topic, unkeyed). -1 and a message on failure.
 */
int ndjson_writer_open(struct ndjson_writer *w, const char *path, int append);

/*
 * ndjson_write adds one record; "\n" is added when p lacks it. -1 after
 * a write error. With Kafka input the record holds the message being
 * processed (kafka_current) until it is delivered; ndjson_write_held
 * names the tokens the record holds instead (a window holds all of its
 * events).
 */
int ndjson_write(struct ndjson_writer *w, const char *p, size_t n);
int ndjson_write_held(struct ndjson_writer *w, const char *p, size_t n,
    const uint64_t *toks, size_t ntoks);

/* ndjson_flush_all flushes every open writer and waits for Kafka deliveries. -1 if any failed. */
int ndjson_flush_all(void);

/* ndjson_flush writes out what is buffered. -1 (message printed once) on error. */
int ndjson_flush(struct ndjson_writer *w);

/* ndjson_writer_close flushes and closes. -1 if anything written was lost. */
int ndjson_writer_close(struct ndjson_writer *w);

#endif
