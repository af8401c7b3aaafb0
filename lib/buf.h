/*
 * buf: a growable byte buffer, the one string type of flightstream.
 *
 * A buf owns its memory. Running out of memory is fatal: the program
 * prints a message and exits 1, so callers never check for it.
 * buf_reset() keeps the allocation, so a buffer reused per event costs
 * no allocation once it has grown to the largest event.
 */
#ifndef FS_BUF_H
#define FS_BUF_H

#include <stddef.h>
#include <string.h>

struct buf {
	char *p;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_grow(struct buf *b, size_t extra);
void buf_free(struct buf *b);

static inline void buf_reset(struct buf *b) { b->len = 0; }

static inline void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->cap - b->len < n)
		buf_grow(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static inline void
buf_addc(struct buf *b, char c)
{
	if (b->cap == b->len)
		buf_grow(b, 1);
	b->p[b->len++] = c;
}

static inline void buf_adds(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

/* buf_addf appends printf-style formatted text. */
void buf_addf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* buf_cstr NUL-terminates the contents (not counted in len) and returns them. */
const char *buf_cstr(struct buf *b);

/* xmalloc and friends exit 1 with a message when memory runs out. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
