#include <stdio.h>

#include "err.h"
#include "event.h"
#include "io.h"
#include "loop.h"
#include "reject.h"
#include "sig.h"
#include "stats.h"

/* refuse rejects a line the program cannot take; 0, or -1 if the reject was not written. */
static int
refuse(struct loop *lp, const struct line *l)
{
	const char *code;
	char msg[512];

	if (l->flags & LINE_TOO_LONG) {
		snprintf(msg, sizeof msg, "line of %zu bytes is longer than %zu", l->full_len,
		    lp->c->max_line);
		return reject_line(lp->rj, l, "too_long", msg);
	}
	/* yajl refuses NUL bytes and bad UTF-8: only a line it refused is looked at, for the code. */
	if (event_parse(lp->ev, l->p, l->len, &code, msg, sizeof msg) != 0) {
		reject_encoding(l->p, l->len, &code, msg, sizeof msg);
		return reject_line(lp->rj, l, code, msg);
	}
	return 1;
}

int
loop_run(struct loop *lp, char **files, int nfiles)
{
	struct line l;
	int64_t lag;
	int rc, failed = 0;

	lp->in = io_in_open(&lp->c->io, files, nfiles, lp->c->max_line, lp->check);
	if (lp->idle != NULL)
		io_in_idle(lp->in, lp->idle, lp->arg);
	else
		io_in_idle(lp->in, stats_idle, lp->st);
	if (lp->revoke != NULL)
		io_in_on_revoke(lp->in, lp->revoke, lp->arg);
	stats_reader(lp->st, lp->in);
	while (!sig_stop) {
		if (lp->wait != NULL) {
			lp->wait(lp->arg);
			if (sig_stop)
				break;
		}
		if ((rc = io_read(lp->in, &l)) == 0)
			break;
		if (rc < 0 || line_blank(&l))
			continue;	/* interrupted: the loop looks at sig_stop */
		lp->st->in++;
		if ((l.flags & LINE_TOO_LONG) || lp->ev != NULL) {
			if ((rc = refuse(lp, &l)) < 0) {
				failed = 1;
				break;
			}
			if (rc == 0) {
				stats_tick_inline(lp->st);
				continue;
			}
		}
		if (lp->record(lp->arg, &l, lp->ev) != 0) {
			failed = 1;
			break;
		}
		stats_tick_inline(lp->st);
	}
	if (!failed && lp->end != NULL && lp->end(lp->arg) != 0)
		failed = 1;
	lp->errors = io_errors(lp->in);
	io_in_close(lp->in, &lag);
	lp->in = NULL;
	stats_closed(lp->st, lag);
	return failed ? -1 : 0;
}
