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
 */
#ifndef FS_REJECT_H
#define FS_REJECT_H

#include <stdint.h>
#include "buf.h"
#include "ndjson.h"

#define REJECT_WARN_MAX 10

struct rejects {
	const char *tool;
	struct ndjson_writer w;
	int to_file;
	int quiet;
	uint64_t count;
	struct buf rec;
};

/* reject_open sends rejects to path (NULL: stderr reports only). -1 on failure. */
int reject_open(struct rejects *rj, const char *tool, const char *path, int quiet);

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
int reject_line(struct rejects *rj, const struct ndjson_line *l,
    const char *code, const char *msg);

/* reject_raw is reject_line for bytes that did not come from a reader. */
int reject_raw(struct rejects *rj, const char *line, size_t len,
    const char *code, const char *msg);

int reject_flush(struct rejects *rj);

/* reject_close flushes, reports the count on stderr when rejects were not kept, closes. */
int reject_close(struct rejects *rj);

#endif
