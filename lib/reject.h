/*
 * reject: dead letters.
 *
 * A reject record keeps the original line byte for byte and says which
 * program refused it, a stable code and a message:
 *
 *   {"reject":{"tool":"fs-clean","code":"range.latitude","message":"..."},"line":"..."}
 *
 * A line that is not valid UTF-8 (or holds NUL) cannot be a JSON string
 * byte for byte, so it is kept as "line_base64" instead. A TOO_LONG line
 * keeps the bytes that were read and says how long it was.
 *
 * With no --reject destination, each reject is reported on stderr (the
 * first REJECT_WARN_MAX of them) and the count is given at the end, so
 * nothing is dropped silently.
 *
 * Every reject is counted in the program's stats: "rejected" and a
 * counter per code, "rejected_" and the code with '.' as '_'
 * (rejected_range_latitude), so no program keeps a table of its own.
 * A reject derived from a Kafka record holds its token until written.
 */
#ifndef FS_REJECT_H
#define FS_REJECT_H

#include <stdint.h>
#include "buf.h"
#include "cli.h"
#include "io.h"
#include "line.h"
#include "stats.h"

#define REJECT_WARN_MAX 10
#define REJECT_MAX_CODES 48

struct rejects {
	const char *tool;
	struct io_out w;
	int to_file;
	int quiet;
	uint64_t count;
	struct buf rec;
	struct stats *st;
	struct {
		char name[64];	/* rejected_CODE: stats keeps the pointer */
		uint64_t *n;
	} codes[REJECT_MAX_CODES];
	int ncodes;
};

/*
 * reject_open sends rejects to path (--reject, or --late; NULL: stderr
 * reports only), counted in st (opened before). -1 on failure.
 */
int reject_open(struct rejects *rj, struct stats *st, const struct cli *c, const char *path);

/* reject_format builds the reject record for line into out (appending, with "\n"). */
void reject_format(struct buf *out, const char *tool, const char *code,
    const char *msg, const char *line, size_t len, size_t full_len);

/*
 * reject_encoding looks at a line that did not parse as JSON: when it
 * holds a NUL byte or invalid UTF-8 (whichever comes first) it sets
 * *code to "encoding" and msg to where, since that is the better
 * reason; otherwise it leaves both as they were.
 */
void reject_encoding(const char *p, size_t n, const char **code, char *msg, size_t msgsz);

/* reject_line records one reject. -1 if it could not be written. */
int reject_line(struct rejects *rj, const struct line *l,
    const char *code, const char *msg);

/* reject_aside writes a line set aside, not refused (a duplicate): counted by code, not as rejected. */
int reject_aside(struct rejects *rj, const struct line *l, const char *code, const char *msg);

/* reject_raw is reject_line for bytes that did not come from a reader. */
int reject_raw(struct rejects *rj, const char *line, size_t len,
    const char *code, const char *msg);

int reject_flush(struct rejects *rj);

/* reject_close flushes, reports the count on stderr when rejects were not kept, closes. */
int reject_close(struct rejects *rj);

#endif
