/*
 * fs-sink-pg: load position and window records into PostgreSQL; see
 * fs-sink-pg(1).
 *
 * Records are read, checked and turned into rows of binary COPY as they
 * come, and gathered into batches. A batch is loaded when it holds
 * --batch records, when its first record has waited --batch-wait, at the
 * end of the input, on SIGINT or SIGTERM, and before a record whose key
 * it already holds. The program exits 0 only when every record read has
 * been committed or rejected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "event.h"
#include "json.h"
#include "io.h"
#include "loop.h"
#include "reject.h"
#include "sinkpg.h"
#include "stats.h"
#include "ts.h"

enum {
	OPT_DSN = OPT_PROGRAM,
	OPT_INIT,
	OPT_TABLE,
	OPT_BATCH,
	OPT_BATCH_MS,
	OPT_BATCH_WAIT,
	OPT_RETRIES,
	OPT_RETRY_MAX,
};

static const struct option longopts[] = {
	{ "dsn", required_argument, NULL, OPT_DSN },
	{ "init", no_argument, NULL, OPT_INIT },
	{ "table", required_argument, NULL, OPT_TABLE },
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
	struct batch batch[LANES + 1];	/* one read while the others load */
	struct batch *b;	/* the one being read */
	struct rowmaker rm;
	struct event ev;
	struct buf row;
	struct loop lp;
	int batch_max;
	int64_t batch_ms;
	unsigned ticks;		/* calls of wait_input */
};

/* finish closes everything, reports, and exits with status (1 if reporting failed). */
static void __attribute__((noreturn))
finish(struct run *x, int status)
{
	uint64_t lost = x->st.in - x->st.out - x->st.rejected;
	int64_t lag;
	int i;

	if (status != EXIT_OK && lost > 0)
		fs_warnx("%llu record%s read and not known to be committed: loading the same"
		    " input again completes the tables", (unsigned long long)lost,
		    lost == 1 ? "" : "s");
	if (reject_close(&x->rj) != 0)
		status = EXIT_FAIL;
	if (stats_final(&x->st) != 0)
		status = EXIT_FAIL;
	load_close(&x->s);
	if (x->lp.in != NULL)
		io_in_close(x->lp.in, &lag);
	for (i = 0; i <= LANES; i++)
		batch_free(&x->batch[i]);
	row_free(&x->rm);
	event_free(&x->ev);
	buf_free(&x->row);
	exit(status);
}

/* flush sends the batch being read, and reads into a free one while it loads. */
static void
flush(struct run *x)
{
	int i;

	if (load_begin(&x->s, x->b) != 0)
		finish(x, EXIT_FAIL);
	for (i = 0; load_busy(&x->s, x->b); i++)
		x->b = &x->batch[i];
}

/* settle waits until every batch sent is committed. */
static void
settle(struct run *x)
{
	if (load_end(&x->s, NULL) != 0)
		finish(x, EXIT_FAIL);
}

/*
 * revoked: partitions are about to be taken away in a rebalance. Load
 * the batch at hand and wait for every batch in flight, so that their
 * offsets are stored and committed before the partitions go.
 */
static void
revoked(void *arg)
{
	struct run *x = arg;

	if (x->b->n > 0)
		flush(x);
	settle(x);
}

static void
reject(struct run *x, const struct line *l, const char *code, const char *msg)
{
	if (reject_line(&x->rj, l, code, msg) != 0)
		finish(x, EXIT_FAIL);
}

/*
 * idle: the input has nothing for now (the reader is about to wait for
 * it). A batch that has waited long enough goes, and batches the server
 * has finished are seen committed; nothing here waits for the server,
 * so a producer that writes in bursts is not held up.
 */
static void
idle(void *arg)
{
	struct run *x = arg;

	if (x->b->n > 0 && x->batch_ms > 0 && ts_mono_ms() - x->b->opened_ms >= x->batch_ms)
		flush(x);
	if (load_poll(&x->s) != 0)
		finish(x, EXIT_FAIL);
	if (reject_flush(&x->rj) != 0)
		finish(x, EXIT_FAIL);
	stats_poll(&x->st);
}

/*
 * wait_input waits until there is input to read, loading the batch
 * being read when its time is up (with --batch-wait 0: when the input
 * pauses), and waiting for the batches in flight when the input has
 * been quiet for 100 ms. It waits in naps of at most 100 ms, so that a
 * signal is seen at once.
 */
static void
wait_input(void *arg)
{
	struct run *x = arg;
	int64_t left = 100;

	while (!sig_stop) {
		/*
		 * The batches in flight are looked at every 256 records while
		 * there is input (each look is a system call per connection),
		 * and whenever the input pauses.
		 */
		if ((++x->ticks & 255) == 0 && load_poll(&x->s) != 0)
			finish(x, EXIT_FAIL);
		if (x->b->n > 0) {
			left = x->b->opened_ms + x->batch_ms - ts_mono_ms();
			if (x->batch_ms > 0 && left <= 0)
				break;
		}
		if (io_wait(x->lp.in, 0))
			return;		/* more to read now */
		if (load_poll(&x->s) != 0)
			finish(x, EXIT_FAIL);
		if (x->b->n > 0 && x->batch_ms == 0)
			break;
		if (x->b->n == 0 && !load_busy(&x->s, NULL))
			return;		/* nothing to do but read */
		if (io_wait(x->lp.in, x->b->n == 0 || left > 100 ? 100 : (int)left))
			return;
		if (x->b->n == 0)
			settle(x);
		stats_poll(&x->st);
	}
	if (x->b->n > 0 && !sig_stop) {
		flush(x);
		settle(x);
	}
}

static int
line(void *arg, const struct line *l, struct event *ev)
{
	struct run *x = arg;
	struct rowkey key;
	struct batch *held;
	const char *code;
	char msg[512];
	int t;

	if ((t = row_table(ev, x->s.table, &code, msg, sizeof msg)) < 0) {
		reject(x, l, code, msg);
		return 0;
	}
	buf_reset(&x->row);
	if (row_encode(&x->rm, ev, t, &x->row, &key, &code, msg, sizeof msg) != 0) {
		reject(x, l, code, msg);
		return 0;
	}
	/*
	 * One statement cannot write a key twice: the batch goes before the
	 * second. And a key in a batch in flight waits for that batch, so
	 * that the later record is written later.
	 */
	if (batch_has_key(x->b, t, &key))
		flush(x);
	if ((held = load_holding(&x->s, t, &key)) != NULL && load_end(&x->s, held) != 0)
		finish(x, EXIT_FAIL);
	if (x->b->n == 0)
		x->b->opened_ms = ts_mono_ms();
	batch_add(x->b, t, &x->row, &key, l);
	if (x->b->n >= x->batch_max)
		flush(x);
	return 0;
}

/* end: the input is over (or a signal came): the batch at hand goes, and every batch commits. */
static int
end(void *arg)
{
	struct run *x = arg;

	flush(x);
	settle(x);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct run run;
	struct run *x = &run;
	const char *dsn = NULL;
	int ch, init = 0;

	cli_init(&x->c, "fs-sink-pg", SINKPG_USAGE, CLI_IN | CLI_REJECT);
	x->s.table = -1;
	x->s.retries = 10;
	x->s.retry_max_ms = 30000;
	x->batch_max = 20000;
	x->batch_ms = 1000;
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_DSN:
			dsn = optarg;
			break;
		case OPT_INIT:
			init = 1;
			break;
		case OPT_TABLE:
			if (strcmp(optarg, "positions") == 0)
				x->s.table = TAB_POSITIONS;
			else if (strcmp(optarg, "windows") == 0)
				x->s.table = TAB_WINDOWS;
			else if (strcmp(optarg, "auto") == 0)
				x->s.table = -1;
			else
				fs_errx(EXIT_USAGE, "invalid table '%s': not positions, windows or auto",
				    optarg);
			break;
		case OPT_BATCH:
			x->batch_max = (int)cli_num(optarg, 1, 1000000, "batch");
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


	if (dsn != NULL)
		conn_refuse_argv(dsn);
	if (dsn == NULL)
		dsn = getenv("FS_PG_DSN");
	x->s.dsn = dsn != NULL ? dsn : "";
	x->s.verbose = x->c.verbose;
	conn_secrets(x->s.dsn);
	schema_prepare();

	stats_init(&x->st, "fs-sink-pg", &x->c);
	if (reject_open(&x->rj, &x->st, &x->c, x->c.reject) != 0)
		return EXIT_FAIL;
	x->s.st = &x->st;
	x->s.rj = &x->rj;
	x->s.batches = stats_counter(&x->st, "batches");
	x->s.retries_n = stats_counter(&x->st, "retries");
	x->s.bisects = stats_counter(&x->st, "bisects");
	x->s.rows_tab[TAB_POSITIONS] = stats_counter(&x->st, "positions");
	x->s.rows_tab[TAB_WINDOWS] = stats_counter(&x->st, "windows");
	x->s.changed = stats_counter(&x->st, "changed");
	for (ch = 0; ch <= LANES; ch++)
		batch_init(&x->batch[ch]);
	x->b = &x->batch[0];
	row_init(&x->rm);
	event_init(&x->ev);

	if (conn_open(&x->s, !init) != 0)
		finish(x, EXIT_FAIL);
	if (init) {
		if (schema_init(x->s.conn) != 0)
			finish(x, EXIT_FAIL);
		if (argc == 0)
			finish(x, EXIT_OK);
	}
	/* The connection is the first lane's; the second connects when it is first needed. */
	x->s.lane[0].conn = x->s.conn;
	x->s.conn = NULL;

	x->c.io.keep_freed = 1;
	x->lp = (struct loop){ .c = &x->c, .st = &x->st, .rj = &x->rj, .ev = &x->ev, .arg = x,
	    .record = line, .end = end, .idle = idle, .wait = wait_input, .revoke = revoked };
	loop_run(&x->lp, argv, argc);
	finish(x, x->lp.errors > 0 ? EXIT_FAIL : EXIT_OK);
}
