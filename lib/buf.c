#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "err.h"

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		fs_errx(EXIT_FAIL, "out of memory (%zu bytes)", n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		fs_errx(EXIT_FAIL, "out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		fs_errx(EXIT_FAIL, "out of memory (%zu bytes)", n);
	return q;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

/* buf_grow makes room for extra more bytes plus a NUL, at least doubling. */
void
buf_grow(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1, cap = b->cap ? b->cap : 64;

	if (need < b->len)
		fs_errx(EXIT_FAIL, "buffer size overflow");
	while (cap < need)
		cap *= 2;
	if (cap != b->cap) {
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fs_errx(EXIT_FAIL, "bad format string");
	if (b->p == NULL || (size_t)n >= b->cap - b->len) {
		buf_grow(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

const char *
buf_cstr(struct buf *b)
{
	if (b->cap == b->len)
		buf_grow(b, 1);
	b->p[b->len] = '\0';
	return b->p;
}
