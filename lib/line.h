/*
 * line: one record as a reader hands it out, with its delivery token.
 *
 * p holds the line without its "\n" (or "\r\n") and is valid until the
 * next read. A line longer than the reader's limit is not truncated
 * silently: p holds its first bytes and LINE_TOO_LONG is set. tok is
 * the Kafka delivery token (ledger.h), 0 for files and pipes; the
 * reader holds it until the next read, so a program that keeps the
 * record, or state derived from it, past that must take a hold itself.
 */
#ifndef FS_LINE_H
#define FS_LINE_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"

#define LINE_MAX_DEFAULT (1024 * 1024)

enum {
	LINE_TOO_LONG = 1 << 0,	/* longer than the limit; p holds the first bytes */
	LINE_HAS_NUL = 1 << 1,
	LINE_BAD_UTF8 = 1 << 2,
	LINE_CRLF = 1 << 3,	/* ended in \r\n; the \r is not in p */
	LINE_NO_NL = 1 << 4,	/* last line of its file, without \n */
};

struct line {
	const char *p;
	size_t len;
	size_t full_len;	/* the line's real length (> len when TOO_LONG) */
	unsigned flags;
	long bad_offset;	/* first bad byte when HAS_NUL or BAD_UTF8 */
	const char *file;	/* name as given ("-" for stdin, "kafka:TOPIC") */
	uint64_t lineno;	/* 1-based within the file; offset + 1 in a partition */
	ledger_tok tok;
};

/* line_blank: a line of nothing but white space carries no record; programs skip it. */
static inline int
line_blank(const struct line *l)
{
	size_t i;

	for (i = 0; i < l->len; i++)
		if (l->p[i] != ' ' && l->p[i] != '\t' && l->p[i] != '\r')
			return 0;
	return !(l->flags & LINE_TOO_LONG);
}

/* line_check sets HAS_NUL and BAD_UTF8 (and bad_offset) for a line. */
void line_check(struct line *l);

#endif
