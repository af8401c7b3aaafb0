#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "json.h"
#include "kafka.h"
#include "ndjson.h"

#define CHUNK (64 * 1024)
#define NDJSON_POLL_MS 100	/* how soon a stop signal is seen while input is quiet */

struct ndjson_reader {
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
	void (*idle)(void *);
	void *idle_arg;
	uint64_t bytes, total;
	int total_known;
	struct kafka_in *k;	/* --from kafka:...: everything else is unused */
};

static char *stdin_name[] = { "-" };

struct ndjson_reader *
ndjson_open(char **files, int nfiles, size_t max_line, int check)
{
	struct ndjson_reader *r = xcalloc(1, sizeof *r);
	const char *topics = kafka_uri(kafka_conf.from);

	if (topics != NULL) {
		if (nfiles > 0)
			fs_errx(EXIT_USAGE, "cannot read files and --from together");
		if ((r->k = kafka_in_open(topics, max_line, check)) == NULL)
			exit(EXIT_FAIL);
		r->fd = -1;
		return r;
	}
	if (nfiles == 0) {
		files = stdin_name;
		nfiles = 1;
	}
	r->files = files;
	r->nfiles = nfiles;
	r->fd = -1;
	r->max_line = max_line ? max_line : NDJSON_MAX_LINE_DEFAULT;
	r->check = check;
	r->cap = CHUNK;
	r->buf = xmalloc(r->cap);
	return r;
}

void
ndjson_set_idle(struct ndjson_reader *r, void (*fn)(void *), void *arg)
{
	r->idle = fn;
	r->idle_arg = arg;
}

int
ndjson_errors(const struct ndjson_reader *r)
{
	return r->errors + kafka_in_errors(r->k);
}

int64_t
ndjson_lag(const struct ndjson_reader *r)
{
	return r->k != NULL ? kafka_in_lag(r->k) : -1;
}

void
ndjson_progress(const struct ndjson_reader *r, uint64_t *done, uint64_t *total)
{
	struct ndjson_reader *w = (struct ndjson_reader *)r;
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
close_file(struct ndjson_reader *r)
{
	if (r->fd > 0)
		close(r->fd);
	r->fd = -1;
	r->start = r->end = 0;
	r->skipped = 0;
}

/* open_next opens the next file that can be opened; 0 when none is left. */
static int
open_next(struct ndjson_reader *r)
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

void
ndjson_check_line(struct ndjson_line *l)
{
	const unsigned char *p = (const unsigned char *)l->p;
	size_t i;
	void *nul;
	long bad;

	for (i = 0; i < l->len; i++)
		if (p[i] == 0 || p[i] >= 0x80)
			break;
	if (i == l->len)
		return;
	if ((nul = memchr(p + i, 0, l->len - i)) != NULL) {
		l->flags |= NDJSON_HAS_NUL;
		l->bad_offset = (long)((const unsigned char *)nul - p);
	}
	if ((bad = utf8_check(l->p + i, l->len - i)) >= 0) {
		l->flags |= NDJSON_BAD_UTF8;
		if (!(l->flags & NDJSON_HAS_NUL) || (long)i + bad < l->bad_offset)
			l->bad_offset = (long)i + bad;
	}
}

static void
make_line(struct ndjson_reader *r, struct ndjson_line *l, const char *p,
    size_t len, size_t full_len, unsigned flags)
{
	l->p = p;
	l->len = len;
	l->full_len = full_len;
	l->flags = flags;
	l->bad_offset = -1;
	l->file = r->name;
	l->lineno = ++r->lineno;
	if (len > 0 && p[len - 1] == '\r' && !(flags & NDJSON_TOO_LONG)) {
		l->len--;
		l->full_len--;
		l->flags |= NDJSON_CRLF;
	}
	if (r->check)
		ndjson_check_line(l);
}

static int
read_file_line(struct ndjson_reader *r, struct ndjson_line *l)
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
				    NDJSON_TOO_LONG);
				r->skipped = 0;
				return 1;
			}
			if (len - (len > 0 && p[len - 1] == '\r') > r->max_line) {
				buf_reset(&r->longbuf);
				buf_add(&r->longbuf, p, r->max_line);
				make_line(r, l, r->longbuf.p, r->max_line,
				    len - (p[len - 1] == '\r'), NDJSON_TOO_LONG);
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
				if (cli_stop)
					return -1;
				if (r->idle != NULL)
					r->idle(r->idle_arg);
				if (cli_stop)
					return -1;
				if ((ready = poll(&pfd, 1, NDJSON_POLL_MS)) != 0)
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
			    NDJSON_TOO_LONG | NDJSON_NO_NL);
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
				    NDJSON_TOO_LONG | NDJSON_NO_NL);
			} else
				make_line(r, l, p, len, len, NDJSON_NO_NL);
			/* The next call reads end of file again and closes it. */
			return 1;
		}
		close_file(r);
	}
}

int
ndjson_read(struct ndjson_reader *r, struct ndjson_line *l)
{
	if (r->k != NULL)
		return kafka_in_read(r->k, l, r->idle, r->idle_arg);
	return read_file_line(r, l);
}

int
ndjson_wait_input(struct ndjson_reader *r, int ms)
{
	struct pollfd pfd;

	if (r->k != NULL)
		return 1;
	if (r->start < r->end || r->is_reg || r->fd < 0)
		return 1;
	pfd.fd = r->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, ms) != 0;
}

void
ndjson_close(struct ndjson_reader *r)
{
	if (r == NULL)
		return;
	kafka_in_close(r->k);
	close_file(r);
	buf_free(&r->longbuf);
	free(r->buf);
	free(r);
}

/* The open writers, so that a Kafka input can have them all deliver (ndjson_flush_all). */
#define MAX_WRITERS 32
static struct ndjson_writer *writers[MAX_WRITERS];

static void
enlist(struct ndjson_writer *w)
{
	int i;

	for (i = 0; i < MAX_WRITERS; i++)
		if (writers[i] == NULL || writers[i] == w) {
			writers[i] = w;
			return;
		}
	fs_errx(EXIT_FAIL, "too many open outputs");
}

static void
delist(struct ndjson_writer *w)
{
	int i;

	for (i = 0; i < MAX_WRITERS; i++)
		if (writers[i] == w)
			writers[i] = NULL;
}

int
ndjson_flush_all(void)
{
	int i, rc = 0;

	for (i = 0; i < MAX_WRITERS; i++)
		if (writers[i] != NULL) {
			if (writers[i]->k != NULL && kafka_out_flush(writers[i]->k) != 0)
				rc = -1;
			if (ndjson_flush(writers[i]) != 0)
				rc = -1;
		}
	return rc;
}

void
ndjson_writer_init(struct ndjson_writer *w, int fd, const char *name)
{
	memset(w, 0, sizeof *w);
	w->fd = fd;
	w->name = name;
	w->cap = CHUNK;
	w->buf = xmalloc(w->cap);
	enlist(w);
}

/* kafka_writer makes w write to a topic; -1 (message printed) on failure. */
static int
kafka_writer(struct ndjson_writer *w, const char *name, const char *topic, const char *keyfield)
{
	memset(w, 0, sizeof *w);
	w->fd = -1;
	w->name = name;
	if ((w->k = kafka_out_open(topic, keyfield)) == NULL)
		return -1;
	enlist(w);
	return 0;
}

int
ndjson_writer_stdout(struct ndjson_writer *w, const char *keyfield)
{
	const char *topic = kafka_uri(kafka_conf.to);

	if (topic != NULL)
		return kafka_writer(w, kafka_conf.to, topic, keyfield);
	ndjson_writer_init(w, 1, "stdout");
	return 0;
}

int
ndjson_writer_open(struct ndjson_writer *w, const char *path, int append)
{
	int fd;

	if (strcmp(path, "-") == 0) {
		ndjson_writer_init(w, 1, "stdout");
		return 0;
	}
	if (kafka_uri(path) != NULL)
		return kafka_writer(w, path, kafka_uri(path), NULL);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0666);
	if (fd < 0) {
		fs_warn("cannot open '%s'", path);
		return -1;
	}
	ndjson_writer_init(w, fd, path);
	w->owned = 1;
	return 0;
}

static int
write_all(struct ndjson_writer *w, const char *p, size_t n)
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
release_held(struct ndjson_writer *w)
{
	size_t i;

	for (i = 0; i < w->nheld; i++)
		kafka_release(w->held[i]);
	w->nheld = 0;
}

int
ndjson_flush(struct ndjson_writer *w)
{
	int rc;

	if (w->k != NULL) {
		/* Serve delivery reports; waiting for them all is ndjson_flush_all's. */
		kafka_poll();
		return w->failed ? -1 : 0;
	}
	if (w->len == 0)
		return w->failed ? -1 : 0;
	rc = write_all(w, w->buf, w->len);
	w->len = 0;
	if (rc == 0)
		release_held(w);
	return rc;
}

static void
hold(struct ndjson_writer *w, kafka_tok t)
{
	if ((t = kafka_hold(t)) == 0)
		return;
	if (w->nheld == w->capheld) {
		w->capheld = w->capheld ? w->capheld * 2 : 256;
		w->held = realloc(w->held, w->capheld * sizeof w->held[0]);
		if (w->held == NULL)
			fs_err(EXIT_FAIL, "out of memory");
	}
	w->held[w->nheld++] = t;
}

int
ndjson_write(struct ndjson_writer *w, const char *p, size_t n)
{
	kafka_tok t = kafka_current();

	return ndjson_write_held(w, p, n, &t, t != 0);
}

int
ndjson_write_held(struct ndjson_writer *w, const char *p, size_t n,
    const uint64_t *toks, size_t ntoks)
{
	int nl = n == 0 || p[n - 1] != '\n';
	size_t i;

	if (w->failed)
		return -1;
	if (w->k != NULL) {
		if (kafka_out_write(w->k, p, n, toks, ntoks) != 0) {
			w->failed = 1;
			return -1;
		}
		w->records++;
		return 0;
	}
	if (w->cap - w->len < n + 1 && ndjson_flush(w) != 0)
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
	w->records++;
	return 0;
}

int
ndjson_writer_close(struct ndjson_writer *w)
{
	int rc = ndjson_flush(w);

	delist(w);
	if (w->k != NULL) {
		if (kafka_out_close(w->k) != 0)
			rc = -1;
		w->k = NULL;
		return rc;
	}
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
