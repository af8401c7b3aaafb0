/*
 * fs-sink-mongo: store raw records in MongoDB; see fs-sink-mongo(1).
 *
 * Records are read, checked and turned into BSON documents as they
 * come, and gathered into a batch. A batch is written when it holds
 * --batch records, when its first record has waited --batch-wait, at the
 * end of the input, and on SIGINT or SIGTERM. Input is read in one
 * place (next) and a batch is done in one place (acked, after the
 * server acknowledged it with the write concern of -w): a Kafka input
 * stores its offsets there. The program exits 0 only when every record
 * read has been stored, found stored already, or rejected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "event.h"
#include "json.h"
#include "io.h"
#include "ledger.h"
#include "loop.h"
#include "mongo.h"
#include "reject.h"
#include "sinkmongo.h"
#include "stats.h"
#include "ts.h"

enum {
	OPT_URI = OPT_PROGRAM,
	OPT_DB,
	OPT_COLLECTION,
	OPT_INIT,
	OPT_TIMESERIES,
	OPT_TTL,
	OPT_BATCH,
	OPT_BATCH_MS,
	OPT_BATCH_WAIT,
	OPT_RETRIES,
	OPT_RETRY_MAX,
};

static const struct option longopts[] = {
	{ "uri", required_argument, NULL, OPT_URI },
	{ "db", required_argument, NULL, OPT_DB },
	{ "collection", required_argument, NULL, OPT_COLLECTION },
	{ "init", no_argument, NULL, OPT_INIT },
	{ "timeseries", no_argument, NULL, OPT_TIMESERIES },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "batch-wait", required_argument, NULL, OPT_BATCH_WAIT },
	{ "batch-ms", required_argument, NULL, OPT_BATCH_MS },	/* before --batch-wait */
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "retry-max", required_argument, NULL, OPT_RETRY_MAX },
	CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};


/* Everything the read loop and its idle hook share. */
struct run {
	struct cli c;
	struct stats st;
	struct rejects rj;
	struct sink s;
	struct batch b;
	struct docmaker dm;
	struct event ev;
	struct loop lp;
	int batch_max;
	int64_t batch_ms;
};

/* finish closes everything, reports, and exits with status (1 if reporting failed). */
static void __attribute__((noreturn))
finish(struct run *x, int status)
{
	uint64_t lost = x->st.in - x->st.out - x->st.duplicates - x->st.rejected;
	int64_t lag;

	if (status != EXIT_OK && lost > 0)
		fs_warnx("%llu record%s read and not known to be stored: storing the same input"
		    " again completes the collection", (unsigned long long)lost,
		    lost == 1 ? "" : "s");
	if (reject_close(&x->rj) != 0)
		status = EXIT_FAIL;
	if (stats_final(&x->st) != 0)
		status = EXIT_FAIL;
	sink_close(&x->s);
	if (x->lp.in != NULL)
		io_in_close(x->lp.in, &lag);
	batch_free(&x->b);
	doc_free(&x->dm);
	event_free(&x->ev);
	mongo_teardown();
	exit(status);
}

/*
 * acked: the server has acknowledged batch b, every record of it
 * stored, there already, or rejected. This is the one place where
 * records are done with: a Kafka input stores its offsets here.
 */
static void
acked(struct run *x, struct batch *b)
{
	int i;

	/* Its rejects are written out before its Kafka offsets may be stored. */
	if (reject_flush(&x->rj) != 0)
		finish(x, EXIT_FAIL);
	for (i = 0; i < b->n; i++)
		ledger_release(b->tok[i]);
	batch_clear(b);
}

/* flush writes the batch, waiting for the server's acknowledgement. */
static void
flush(struct run *x)
{
	if (x->b.n == 0)
		return;
	if (sink_write(&x->s, &x->b) != 0)
		finish(x, EXIT_FAIL);
	acked(x, &x->b);
}

static void
revoked(void *arg)
{
	flush(arg);
}

static void
reject(struct run *x, const struct line *l, const char *code, const char *msg)
{
	if (reject_line(&x->rj, l, code, msg) != 0)
		finish(x, EXIT_FAIL);
}

/* idle: the input has nothing for now. A batch that has waited long enough goes. */
static void
idle(void *arg)
{
	struct run *x = arg;

	if (x->b.n > 0 && ts_mono_ms() - x->b.opened_ms >= x->batch_ms)
		flush(x);
	if (reject_flush(&x->rj) != 0)
		finish(x, EXIT_FAIL);
	stats_poll(&x->st);
}

/*
 * wait_input returns when there is input to read, or nothing is
 * waiting to be written; meanwhile it writes the batch when its time
 * is up (with --batch-wait 0: as soon as the input pauses). It waits in
 * naps of at most 100 ms, so that a signal is seen at once.
 */
static void
wait_input(void *arg)
{
	struct run *x = arg;
	int64_t left;

	while (!sig_stop) {
		if (io_wait(x->lp.in, 0) || x->b.n == 0)
			return;
		left = x->b.opened_ms + x->batch_ms - ts_mono_ms();
		if (x->batch_ms == 0 || left <= 0)
			break;
		if (io_wait(x->lp.in, left > 100 ? 100 : (int)left))
			return;
		stats_poll(&x->st);
	}
	if (!sig_stop)
		flush(x);
}

static int
line(void *arg, const struct line *l, struct event *ev)
{
	struct run *x = arg;
	const char *code;
	char msg[512];

	if (doc_make(&x->dm, ev, &code, msg, sizeof msg) != 0) {
		reject(x, l, code, msg);
		return 0;
	}
	if (x->b.n == 0)
		x->b.opened_ms = ts_mono_ms();
	batch_add(&x->b, &x->dm.doc, l);
	if (x->b.n >= x->batch_max)
		flush(x);
	return 0;
}

/* end: the input is over (or a signal came): the batch at hand goes. */
static int
end(void *arg)
{
	flush(arg);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct run run;
	struct run *x = &run;
	const char *uri = NULL;
	int ch, init = 0, timeseries = 0;
	int64_t ttl_ms = 0;

	cli_init(&x->c, "fs-sink-mongo", SINKMONGO_USAGE, CLI_IN | CLI_REJECT);
	x->s.coll = MONGO_COLL_DEFAULT;
	x->s.w = "majority";
	x->s.retries = 10;
	x->s.retry_max_ms = 30000;
	x->batch_max = 10000;
	x->batch_ms = 1000;
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS "w:", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_URI:
			uri = optarg;
			break;
		case OPT_DB:
			if (*optarg == '\0' || strpbrk(optarg, "/\\. \"$") != NULL || strlen(optarg) > 63)
				fs_errx(EXIT_USAGE, "invalid db '%s': empty, too long, or holds one"
				    " of / \\ . \" $ or a space", optarg);
			x->s.db = optarg;
			break;
		case OPT_COLLECTION:
			if (*optarg == '\0' || *optarg == '$' || strncmp(optarg, "system.", 7) == 0 ||
			    strlen(optarg) > 200)
				fs_errx(EXIT_USAGE, "invalid collection '%s': empty, too long, or"
				    " starts with '$' or 'system.'", optarg);
			x->s.coll = optarg;
			break;
		case OPT_INIT:
			init = 1;
			break;
		case OPT_TIMESERIES:
			timeseries = 1;
			break;
		case OPT_TTL:
			ttl_ms = cli_duration(optarg, "ttl");
			if (ttl_ms < 1000)
				fs_errx(EXIT_USAGE, "invalid ttl '%s': under 1s", optarg);
			break;
		case 'w':
			if (strcmp(optarg, "majority") != 0)
				cli_num(optarg, 1, 50, "w");
			x->s.w = optarg;
			break;
		case OPT_BATCH:
			x->batch_max = (int)cli_num(optarg, 1, 100000, "batch");
			break;
		case OPT_BATCH_WAIT:
			x->batch_ms = cli_duration(optarg, "batch-wait");
			if (x->batch_ms > 86400000)
				fs_errx(EXIT_USAGE, "invalid batch-wait '%s': above 1d", optarg);
			break;
		case OPT_BATCH_MS:
			if (x->c.verbose >= 0)
				fs_warnx("--batch-ms MS is now --batch-wait D (%sms)", optarg);
			x->batch_ms = cli_num(optarg, 0, 86400000, "batch-ms");
			break;
		case OPT_RETRIES:
			x->s.retries = (int)cli_num(optarg, 0, 1000, "retries");
			break;
		case OPT_RETRY_MAX:
			x->s.retry_max_ms = cli_duration(optarg, "retry-max");
			if (x->s.retry_max_ms > 3600000)
				fs_errx(EXIT_USAGE, "invalid retry-max '%s': above 1h", optarg);
			break;
		default:
			if (!cli_option(&x->c, ch, optarg))
				cli_usage(&x->c);
		}
	}
	argc -= optind;
	argv += optind;
	if ((timeseries || ttl_ms > 0) && !init)
		fs_errx(EXIT_USAGE, "--timeseries and --ttl go with --init");


	/* /proc/PID/cmdline shows the command line to every user of the machine. */
	if (uri != NULL && mongo_has_password(uri))
		fs_errx(EXIT_USAGE, "password refused in --uri: other users of this machine can "
		    "read the command line; use FS_MONGO_URI");
	if (uri == NULL)
		uri = getenv("FS_MONGO_URI");
	x->s.uri = uri != NULL && *uri != '\0' ? uri : MONGO_URI_DEFAULT;
	x->s.verbose = x->c.verbose;
	mongo_setup(x->s.uri, x->c.verbose);

	stats_init(&x->st, "fs-sink-mongo", &x->c);
	if (reject_open(&x->rj, &x->st, &x->c, x->c.reject) != 0) {
		mongo_teardown();
		return EXIT_FAIL;
	}
	x->s.st = &x->st;
	x->s.rj = &x->rj;
	x->s.batches = stats_counter(&x->st, "batches");
	x->s.retries_n = stats_counter(&x->st, "retries");
	batch_init(&x->b);
	doc_init(&x->dm);
	event_init(&x->ev);

	if (sink_open(&x->s) != 0)
		finish(x, EXIT_FAIL);
	if (init) {
		if (sink_init(&x->s, timeseries, ttl_ms) != 0)
			finish(x, EXIT_FAIL);
		if (argc == 0)
			finish(x, EXIT_OK);
	}

	x->c.io.keep_freed = 1;
	/* revoked: the batch is stored before partitions go, so their offsets can be committed. */
	x->lp = (struct loop){ .c = &x->c, .st = &x->st, .rj = &x->rj, .ev = &x->ev, .arg = x,
	    .record = line, .end = end, .idle = idle, .wait = wait_input, .revoke = revoked };
	loop_run(&x->lp, argv, argc);
	finish(x, x->lp.errors > 0 ? EXIT_FAIL : EXIT_OK);
}
