#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "fdio.h"
#include "io.h"
#include "kcons.h"
#include "kprod.h"
#include "ledger.h"

struct io_in {
	struct fd_in *f;
	struct kafka_in *k;
	void (*idle)(void *);
	void *idle_arg;
	unsigned nread;
};

const char *
io_topic(const char *name)
{
	if (name != NULL && strncmp(name, "kafka:", 6) == 0)
		return name + 6;
	return NULL;
}

/* check_kafka: a bad -X is a usage error, found before anything is opened. */
static void
check_kafka(const struct io_opts *o)
{
	if (kconf_check(&o->kafka) != 0)
		exit(EXIT_USAGE);
	if (o->keep_freed)
		kconf_tune_malloc();
}

struct io_in *
io_in_open(const struct io_opts *o, char **files, int nfiles, size_t max_line, int check)
{
	struct io_in *in = xcalloc(1, sizeof *in);
	const char *topics = io_topic(o->from);

	if (topics == NULL) {
		in->f = fdin_open(files, nfiles, max_line, check);
		return in;
	}
	if (nfiles > 0)
		fs_errx(EXIT_USAGE, "cannot read files and --from together");
	check_kafka(o);
	if ((in->k = kafka_in_open(&o->kafka, topics, max_line, check)) == NULL)
		exit(EXIT_FAIL);
	return in;
}

/* on_idle: the program's hook, then what the producer gathered goes and its reports are served. */
static void
on_idle(void *arg)
{
	struct io_in *in = arg;

	if (in->idle != NULL)
		in->idle(in->idle_arg);
	kafka_out_poll();
}

int
io_read(struct io_in *in, struct line *l)
{
	if (in->f != NULL)
		return fdin_read(in->f, l, on_idle, in);
	/* Delivery reports every 64 messages (a lock each), and when quiet. */
	if ((++in->nread & 63) == 0)
		kafka_out_serve();
	return kafka_in_read(in->k, l, on_idle, in);
}

void
io_in_idle(struct io_in *in, void (*fn)(void *), void *arg)
{
	in->idle = fn;
	in->idle_arg = arg;
}

void
io_in_on_revoke(struct io_in *in, void (*fn)(void *), void *arg)
{
	if (in->k != NULL)
		kafka_in_on_revoke(in->k, fn, arg);
}

int
io_wait(struct io_in *in, int ms)
{
	return in->f != NULL ? fdin_wait(in->f, ms) : 1;
}

int
io_errors(const struct io_in *in)
{
	return in->f != NULL ? fdin_errors(in->f) : kafka_in_errors(in->k);
}

int64_t
io_lag(struct io_in *in)
{
	return in->k != NULL ? kafka_in_lag(in->k) : -1;
}

void
io_progress(struct io_in *in, uint64_t *done, uint64_t *total)
{
	*done = *total = 0;
	if (in->f != NULL)
		fdin_progress(in->f, done, total);
}

void
io_in_close(struct io_in *in, int64_t *lag)
{
	*lag = -1;
	if (in == NULL)
		return;
	if (in->k != NULL)
		kafka_in_close(in->k, lag);
	fdin_close(in->f);
	free(in);
}

/* deliver is a sink's "deliver now" hook (ledger.h). */
static int
deliver(void *arg)
{
	struct io_out *w = arg;

	if (w->k != NULL)
		return kafka_out_flush(w->k) != 0 || w->failed ? -1 : 0;
	return fdout_flush(&w->f);
}

static int
kafka_sink(struct io_out *w, const struct io_opts *o, const char *name, const char *keyfield)
{
	memset(w, 0, sizeof *w);
	w->f.fd = -1;
	w->name = name;
	check_kafka(o);
	if ((w->k = kafka_out_open(&o->kafka, io_topic(name), keyfield)) == NULL)
		return -1;
	ledger_on_deliver(deliver, w);
	return 0;
}

static void
fd_sink(struct io_out *w, int fd, const char *name)
{
	memset(w, 0, sizeof *w);
	w->name = name;
	fdout_init(&w->f, fd, name);
	ledger_on_deliver(deliver, w);
}

int
io_out_stdout(struct io_out *w, const struct io_opts *o, const char *keyfield)
{
	if (io_topic(o->to) != NULL)
		return kafka_sink(w, o, o->to, keyfield);
	fd_sink(w, 1, "stdout");
	return 0;
}

int
io_out_open(struct io_out *w, const struct io_opts *o, const char *path, int append)
{
	if (strcmp(path, "-") == 0) {
		fd_sink(w, 1, "stdout");
		return 0;
	}
	if (io_topic(path) != NULL)
		return kafka_sink(w, o, path, NULL);
	memset(w, 0, sizeof *w);
	w->name = path;
	if (fdout_open(&w->f, path, append) != 0)
		return -1;
	ledger_on_deliver(deliver, w);
	return 0;
}

int
io_write_held(struct io_out *w, const char *p, size_t n, const ledger_tok *toks, size_t ntoks)
{
	int rc;

	if (w->failed)
		return -1;
	if (w->k != NULL)
		rc = kafka_out_write(w->k, p, n, toks, ntoks);
	else
		rc = fdout_write(&w->f, p, n, toks, ntoks);
	if (rc != 0) {
		w->failed = 1;
		return -1;
	}
	w->records++;
	return 0;
}

int
io_write(struct io_out *w, const char *p, size_t n, ledger_tok tok)
{
	return io_write_held(w, p, n, &tok, tok != 0);
}

int
io_flush(struct io_out *w)
{
	if (w->k != NULL) {
		/* What is gathered goes; waiting for its reports is the deliver hook's. */
		kafka_out_poll();
		return w->failed ? -1 : 0;
	}
	if (fdout_flush(&w->f) != 0)
		w->failed = 1;
	return w->failed ? -1 : 0;
}

int
io_out_close(struct io_out *w)
{
	int rc;

	ledger_off_deliver(deliver, w);
	if (w->k != NULL) {
		rc = kafka_out_close(w->k);
		w->k = NULL;
		return rc != 0 || w->failed ? -1 : 0;
	}
	rc = fdout_close(&w->f);
	return rc != 0 || w->failed ? -1 : 0;
}
