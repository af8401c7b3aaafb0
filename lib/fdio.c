#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fdio.h"
#include "sig.h"

#define CHUNK (64 * 1024)
#define POLL_MS 100	/* how soon a stop signal is seen while input is quiet */

struct fd_in {
	char **files;
	int nfiles, next;
	int fd;			/* -1 between files */
	int is_reg;		/* regular files never block: no idle check */
	const char *name;
	uint64_t lineno;
	char *buf;
	size_t cap, start, end;
	size_t max_line;
	int check;
	int errors;
	int done;
	struct buf longbuf;	/* the kept head of a too-long line */
	size_t skipped;		/* > 0 while skipping the rest of a too-long line */
	int skipped_cr;		/* the last byte skipped was '\r' */
	uint64_t bytes, total;
	int total_known;
};

static char *stdin_name[] = { "-" };

struct fd_in *
fdin_open(char **files, int nfiles, size_t max_line, int check)
{
	struct fd_in *r = xcalloc(1, sizeof *r);

	if (nfiles == 0) {
		files = stdin_name;
		nfiles = 1;
	}
	r->files = files;
	r->nfiles = nfiles;
	r->fd = -1;
	r->max_line = max_line ? max_line : LINE_MAX_DEFAULT;
	r->check = check;
	r->cap = CHUNK;
	r->buf = xmalloc(r->cap);
	return r;
}

int
fdin_errors(const struct fd_in *r)
{
	return r->errors;
}

void
fdin_progress(struct fd_in *r, uint64_t *done, uint64_t *total)
{
	struct fd_in *w = r;
	struct stat st;
	int i;

	if (!w->total_known) {
		w->total_known = 1;
		for (i = 0; i < r->nfiles; i++) {
			if (strcmp(r->files[i], "-") == 0 ? fstat(0, &st) : stat(r->files[i], &st))
				continue;
			if (S_ISREG(st.st_mode))
				w->total += (uint64_t)st.st_size;
			else {
				w->total = 0;
				break;
			}
		}
	}
	*done = r->bytes;
	*total = r->total;
}

static void
close_file(struct fd_in *r)
{
	if (r->fd > 0)
		close(r->fd);
	r->fd = -1;
	r->start = r->end = 0;
	r->skipped = 0;
}

/* open_next opens the next file that can be opened; 0 when none is left. */
static int
open_next(struct fd_in *r)
{
	struct stat st;

	while (r->next < r->nfiles) {
		r->name = r->files[r->next++];
		r->lineno = 0;
		if (strcmp(r->name, "-") == 0)
			r->fd = 0;
		else if ((r->fd = open(r->name, O_RDONLY | O_CLOEXEC)) < 0) {
			fs_warn("cannot open '%s'", r->name);
			r->errors++;
			continue;
		}
		r->is_reg = fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode);
		if (fstat(r->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			fs_warnx("cannot read '%s': Is a directory", r->name);
			r->errors++;
			close_file(r);
			continue;
		}
		return 1;
	}
	r->done = 1;
	return 0;
}

static void
make_line(struct fd_in *r, struct line *l, const char *p,
    size_t len, size_t full_len, unsigned flags)
{
	l->p = p;
	l->len = len;
	l->full_len = full_len;
	l->flags = flags;
	l->bad_offset = -1;
	l->file = r->name;
	l->lineno = ++r->lineno;
	l->tok = 0;
	if (len > 0 && p[len - 1] == '\r' && !(flags & LINE_TOO_LONG)) {
		l->len--;
		l->full_len--;
		l->flags |= LINE_CRLF;
	}
	if (r->check)
		line_check(l);
}

int
fdin_read(struct fd_in *r, struct line *l, void (*idle)(void *), void *arg)
{
	char *nl;
	ssize_t n;

	for (;;) {
		if (r->fd < 0 && (r->done || !open_next(r)))
			return 0;
		nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		if (nl != NULL) {
			size_t len = (size_t)(nl - (r->buf + r->start));
			char *p = r->buf + r->start;

			r->start += len + 1;
			/* The limit and the lengths reported leave out a CRLF's '\r'. */
			if (r->skipped > 0) {
				size_t full = r->skipped + len;

				if (len > 0 ? p[len - 1] == '\r' : r->skipped_cr)
					full--;
				make_line(r, l, r->longbuf.p, r->longbuf.len, full,
				    LINE_TOO_LONG);
				r->skipped = 0;
				return 1;
			}
			if (len - (len > 0 && p[len - 1] == '\r') > r->max_line) {
				buf_reset(&r->longbuf);
				buf_add(&r->longbuf, p, r->max_line);
				make_line(r, l, r->longbuf.p, r->max_line,
				    len - (p[len - 1] == '\r'), LINE_TOO_LONG);
				return 1;
			}
			make_line(r, l, p, len, len, 0);
			return 1;
		}
		if (r->skipped > 0) {
			if (r->end > r->start)
				r->skipped_cr = r->buf[r->end - 1] == '\r';
			r->skipped += r->end - r->start;
			r->start = r->end = 0;
		} else if (r->end - r->start > r->max_line + 1) {	/* + 1: a '\r' may end it */
			/* Keep the head for the reject record; drop the rest as it comes. */
			buf_reset(&r->longbuf);
			buf_add(&r->longbuf, r->buf + r->start, r->max_line);
			r->skipped = r->end - r->start;
			r->skipped_cr = r->buf[r->end - 1] == '\r';
			r->start = r->end = 0;
		}
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		if (r->cap - r->end < CHUNK / 2) {
			r->cap *= 2;
			r->buf = xrealloc(r->buf, r->cap);
		}
		if (!r->is_reg) {
			struct pollfd pfd = { r->fd, POLLIN, 0 };
			int ready;

			/*
			 * Wait for input in short polls rather than in read(2):
			 * a stop signal that lands just before a blocking read
			 * would otherwise go unseen until more input came. The
			 * idle hook runs before each poll (flush, progress).
			 */
			while ((ready = poll(&pfd, 1, 0)) == 0) {
				if (sig_stop)
					return -1;
				if (idle != NULL)
					idle(arg);
				if (sig_stop)
					return -1;
				if ((ready = poll(&pfd, 1, POLL_MS)) != 0)
					break;
			}
			/* Any signal (SIGHUP too) returns to the caller, as read(2) would. */
			if (ready < 0 && errno == EINTR)
				return -1;
		}
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n < 0) {
			if (errno == EINTR)
				return -1;
			fs_warn("cannot read '%s'", r->name);
			r->errors++;
			close_file(r);
			continue;
		}
		r->bytes += (uint64_t)n;
		if (n > 0) {
			r->end += (size_t)n;
			continue;
		}
		/* End of file: a last line without "\n" is still a line. */
		if (r->skipped > 0) {
			make_line(r, l, r->longbuf.p, r->longbuf.len, r->skipped,
			    LINE_TOO_LONG | LINE_NO_NL);
			r->skipped = 0;
			close_file(r);
			return 1;
		}
		if (r->end > r->start) {
			size_t len = r->end - r->start;
			char *p = r->buf + r->start;

			r->start = r->end;
			if (len > r->max_line) {
				buf_reset(&r->longbuf);
				buf_add(&r->longbuf, p, r->max_line);
				make_line(r, l, r->longbuf.p, r->max_line, len,
				    LINE_TOO_LONG | LINE_NO_NL);
			} else
				make_line(r, l, p, len, len, LINE_NO_NL);
			/* The next call reads end of file again and closes it. */
			return 1;
		}
		close_file(r);
	}
}

int
fdin_wait(struct fd_in *r, int ms)
{
	struct pollfd pfd;

	if (r->start < r->end || r->is_reg || r->fd < 0)
		return 1;
	pfd.fd = r->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, ms) != 0;
}

void
fdin_close(struct fd_in *r)
{
	if (r == NULL)
		return;
	close_file(r);
	buf_free(&r->longbuf);
	free(r->buf);
	free(r);
}

void
fdout_init(struct fd_out *w, int fd, const char *name)
{
	memset(w, 0, sizeof *w);
	w->fd = fd;
	w->name = name;
	w->cap = CHUNK;
	w->buf = xmalloc(w->cap);
}

int
fdout_open(struct fd_out *w, const char *path, int append)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0666);
	if (fd < 0) {
		fs_warn("cannot open '%s'", path);
		return -1;
	}
	fdout_init(w, fd, path);
	w->owned = 1;
	return 0;
}

static int
write_all(struct fd_out *w, const char *p, size_t n)
{
	ssize_t k;

	if (w->failed)
		return -1;
	while (n > 0) {
		k = write(w->fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EPIPE)	/* a closed pipe ends quietly */
				fs_warn("cannot write '%s'", w->name);
			w->failed = 1;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* release_held: what was written is delivered; give back the input's holds on it. */
static void
release_held(struct fd_out *w)
{
	size_t i;

	for (i = 0; i < w->nheld; i++)
		ledger_release(w->held[i]);
	w->nheld = 0;
}

int
fdout_flush(struct fd_out *w)
{
	int rc;

	if (w->len == 0)
		return w->failed ? -1 : 0;
	rc = write_all(w, w->buf, w->len);
	w->len = 0;
	if (rc == 0)
		release_held(w);
	return rc;
}

static void
hold(struct fd_out *w, ledger_tok t)
{
	if ((t = ledger_hold(t)) == 0)
		return;
	if (w->nheld == w->capheld) {
		w->capheld = w->capheld ? w->capheld * 2 : 256;
		w->held = xrealloc(w->held, w->capheld * sizeof w->held[0]);
	}
	w->held[w->nheld++] = t;
}

int
fdout_write(struct fd_out *w, const char *p, size_t n, const ledger_tok *toks, size_t ntoks)
{
	int nl = n == 0 || p[n - 1] != '\n';
	size_t i;

	if (w->failed)
		return -1;
	if (w->cap - w->len < n + 1 && fdout_flush(w) != 0)
		return -1;
	if (n + 1 > w->cap) {	/* bigger than the buffer: straight through */
		if (write_all(w, p, n) != 0 || (nl && write_all(w, "\n", 1) != 0))
			return -1;
	} else {
		memcpy(w->buf + w->len, p, n);
		w->len += n;
		if (nl)
			w->buf[w->len++] = '\n';
		for (i = 0; i < ntoks; i++)
			hold(w, toks[i]);
	}
	return 0;
}

int
fdout_close(struct fd_out *w)
{
	int rc = fdout_flush(w);

	if (w->owned && close(w->fd) != 0 && rc == 0) {
		fs_warn("cannot close '%s'", w->name);
		rc = -1;
	}
	/* Holds left after a failed flush stay taken: those records were not delivered. */
	free(w->held);
	w->held = NULL;
	free(w->buf);
	w->buf = NULL;
	w->cap = w->len = 0;
	return rc;
}
