/*
 * input: the one place fs-serve reads records, from files, stdin or
 * --from kafka:TOPIC, and rejects them. Everything else takes a line as
 * bytes, so that the reader can change under it.
 *
 * From Kafka fs-serve is a consumer that needs no replay: the picture
 * is rebuilt from the live stream in --expire, so a message's offset is
 * stored as soon as it is read (the reader's default when nothing holds
 * the message), and --offset end is the default (see main.c).
 */
#include <string.h>

#include "kafka.h"
#include "ndjson.h"
#include "reject.h"
#include "serve.h"

static struct rejects rj;
static const struct ndjson_line *cur;
static struct ndjson_reader *reader;
static const struct input_hooks *hooks;

/* idle notes the lag while the input is quiet, then runs the program's hook. */
static void
idle(void *arg)
{
	if (hooks->lag != NULL)
		*hooks->lag = ndjson_lag(reader);
	hooks->idle(arg);
}

int
input_reject_open(const char *path, int quiet)
{
	return reject_open(&rj, "fs-serve", path, quiet);
}

int
input_reject(const char *code, const char *msg)
{
	if (cur == NULL)
		return reject_raw(&rj, "", 0, code, msg);
	return reject_line(&rj, cur, code, msg);
}

void
input_reject_flush(void)
{
	reject_flush(&rj);
}

int
input_reject_close(void)
{
	return reject_close(&rj);
}

int
input_run(char **files, int nfiles, size_t max_line, const struct input_hooks *h)
{
	struct ndjson_reader *r;
	struct ndjson_line l;
	int rc, failed = 0, errors;
	unsigned n = 0;

	/* No UTF-8 scan in the reader: yajl checks strings, reject_encoding the rest. */
	r = reader = ndjson_open(files, nfiles, max_line, 0);
	hooks = h;
	ndjson_set_idle(r, idle, h->arg);
	while (!cli_stop && (rc = ndjson_read(r, &l)) != 0) {
		if (rc < 0)
			continue;	/* interrupted: the loop looks at cli_stop */
		/* The lag is a sum over partitions: now and then is enough. */
		if (h->lag != NULL && (n++ & 1023) == 0)
			*h->lag = ndjson_lag(r);
		if (ndjson_blank(&l))
			continue;
		cur = &l;
		rc = h->line(h->arg, l.p, l.len, l.flags & NDJSON_TOO_LONG ? l.full_len : l.len);
		cur = NULL;
		if (rc != 0) {
			failed = 1;
			break;
		}
	}
	errors = ndjson_errors(r);
	ndjson_close(r);
	return failed ? -1 : errors;
}
