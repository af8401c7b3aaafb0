/*
 * fs-serve: hold the current picture of the sky (aircraft, trails,
 * anomalies, windows) from a stream of records and serve it over HTTP:
 * readsb's aircraft.json, a JSON API, Server-Sent Events, metrics and
 * static pages. See fs-serve(1).
 */
#include <sys/resource.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "io.h"
#include "loop.h"
#include "reject.h"
#include "secret.h"
#include "serve.h"
#include "stats.h"
#include "ts.h"

#ifndef FS_WWW_DIR
#define FS_WWW_DIR "/usr/local/share/flightstream/www"
#endif

enum {
	OPT_LISTEN = OPT_PROGRAM,
	OPT_EXPIRE,
	OPT_TRAIL,
	OPT_PUSH_INTERVAL,
	OPT_WWW,
	OPT_TOKEN_FILE,
	OPT_CORS,
	OPT_PORT_FILE,
	OPT_MAX_AIRCRAFT,
	OPT_MAX_CLIENTS,
};

static const struct option longopts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "expire", required_argument, NULL, OPT_EXPIRE },
	{ "trail", required_argument, NULL, OPT_TRAIL },
	{ "push-interval", required_argument, NULL, OPT_PUSH_INTERVAL },
	{ "www", required_argument, NULL, OPT_WWW },
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "cors", required_argument, NULL, OPT_CORS },
	{ "port-file", required_argument, NULL, OPT_PORT_FILE },
	{ "max-aircraft", required_argument, NULL, OPT_MAX_AIRCRAFT },
	{ "max-clients", required_argument, NULL, OPT_MAX_CLIENTS },
	CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};


/* Everything the threads share, in one place. */
struct run {
	struct serve_opts o;
	struct http_opts h;
	struct cli c;
	struct stats st;
	struct sstate *ss;
	pthread_mutex_t lock;		/* the picture, and status.in/rejected */
	struct serve_status status;
	struct event ev;
	struct rejects rj;
	struct loop lp;
	const char *www;
	pthread_t pub;
	pthread_mutex_t pub_lock;
	pthread_cond_t pub_cond;
	int pub_stop;
	int failed;			/* rejects could not be written */
	int64_t now;			/* the wall clock, read every 64 records */
	unsigned clock_age;
};

/* read_token reads the bearer token: the file's first line, without its newline. */
static char *
read_token(const char *path)
{
	char line[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		fs_err(EXIT_FAIL, "cannot open '%s'", path);
	if (fgets(line, sizeof line, f) == NULL)
		line[0] = '\0';
	fclose(f);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (n == 0)
		fs_errx(EXIT_USAGE, "invalid token-file '%s': its first line is empty", path);
	secret_add(line, n);
	return xstrdup(line);
}

static void
parse_options(struct run *R, int *argcp, char ***argvp)
{
	int ch, argc = *argcp;
	char **argv = *argvp;

	R->o.expire_ms = 60 * 1000;
	R->o.trail_ms = 10 * 60 * 1000;
	R->o.push_ms = 1000;
	R->o.max_aircraft = 20000;
	R->h.listen = "127.0.0.1:8080";
	R->h.max_clients = 2000;
	cli_init(&R->c, "fs-serve", SERVE_USAGE, CLI_IN | CLI_REJECT);
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_CORS:
			if (strchr(optarg, '\r') != NULL || strchr(optarg, '\n') != NULL || *optarg == '\0')
				fs_errx(EXIT_USAGE, "invalid cors '%s': not an origin", optarg);
			R->h.cors = optarg;
			break;
		case OPT_EXPIRE:
			R->o.expire_ms = cli_duration(optarg, "expire");
			break;
		case OPT_LISTEN:
			R->h.listen = optarg;
			break;
		case OPT_MAX_AIRCRAFT:
			R->o.max_aircraft = (size_t)cli_num(optarg, 1, 10000000, "max-aircraft");
			break;
		case OPT_MAX_CLIENTS:
			R->h.max_clients = (unsigned)cli_num(optarg, 1, 1000000, "max-clients");
			break;
		case OPT_PORT_FILE:
			R->h.port_file = optarg;
			break;
		case OPT_PUSH_INTERVAL:
			R->o.push_ms = cli_duration(optarg, "push-interval");
			if (R->o.push_ms < 10)
				fs_errx(EXIT_USAGE, "invalid push-interval '%s': below 10ms", optarg);
			break;
		case OPT_TOKEN_FILE:
			R->h.token = read_token(optarg);
			break;
		case OPT_TRAIL:
			R->o.trail_ms = cli_duration(optarg, "trail");
			break;
		case OPT_WWW:
			R->www = optarg;
			break;
		default:
			if (!cli_option(&R->c, ch, optarg))
				cli_usage(&R->c);
		}
	}
	R->o.max_keys = R->o.max_aircraft + 16;
	R->h.push_ms = R->o.push_ms;
	R->h.verbose = R->c.verbose;
	/* A live picture needs no history: from Kafka, start at the end unless told. */
	if (R->c.io.from != NULL && R->c.io.kafka.offset == NULL)
		R->c.io.kafka.offset = "end";
	*argcp = argc - optind;
	*argvp = argv + optind;
}

/*
 * counts passes what the loop and the rejects counted to the HTTP
 * side, and every 1024 records (and when quiet) the consumer lag:
 * reading it walks the partitions.
 */
static void
counts(struct run *R, int lag)
{
	pthread_mutex_lock(&R->lock);
	R->status.in = R->st.in;
	R->status.rejected = R->st.rejected;
	pthread_mutex_unlock(&R->lock);
	if (lag && R->lp.in != NULL)
		R->status.lag = io_lag(R->lp.in);
}

/* on_line takes one record, parsed by the loop, and adds it under the lock. -1 when rejects fail. */
static int
on_line(void *arg, const struct line *l, struct event *ev)
{
	struct run *R = arg;
	const char *code;
	char msg[256];
	int rc;

	if (R->clock_age++ % 64 == 0)
		R->now = ts_now_ms();	/* a busy stream need not read the clock per record */
	pthread_mutex_lock(&R->lock);
	rc = state_add(R->ss, ev, R->now, &code, msg, sizeof msg);
	pthread_mutex_unlock(&R->lock);
	if (rc != 0 && reject_line(&R->rj, l, code, msg) != 0)
		return -1;
	R->st.out += rc == 0;
	counts(R, (R->st.in & 1023) == 0);
	return 0;
}

static void
on_idle(void *arg)
{
	struct run *R = arg;

	R->clock_age = 0;	/* about to wait: the next record reads the clock */
	reject_flush(&R->rj);
	counts(R, 1);
	stats_poll(&R->st);
}

/*
 * publisher is the thread that moves the picture's clock and publishes
 * a frame every --push-interval, on the monotonic clock, whatever the
 * input and the clients do.
 */
static void *
publisher(void *arg)
{
	struct run *R = arg;
	struct buf b = BUF_INIT;
	struct timespec due;
	uint64_t seq;
	int snap, listening = 0;

	clock_gettime(CLOCK_MONOTONIC, &due);
	pthread_mutex_lock(&R->pub_lock);
	while (!R->pub_stop) {
		due.tv_nsec += (long)(R->o.push_ms % 1000) * 1000000;
		due.tv_sec += R->o.push_ms / 1000 + due.tv_nsec / 1000000000;
		due.tv_nsec %= 1000000000;
		while (!R->pub_stop && pthread_cond_timedwait(&R->pub_cond, &R->pub_lock, &due) == 0)
			;
		if (R->pub_stop)
			break;
		pthread_mutex_unlock(&R->pub_lock);
		buf_reset(&b);
		pthread_mutex_lock(&R->lock);
		if ((seq = state_tick(R->ss, ts_now_ms())) != 0 && (listening = push_listening()))
			state_frame(R->ss, seq - 1, &b, &snap);
		pthread_mutex_unlock(&R->lock);
		if (seq != 0 && listening)
			push_publish(seq, snap, b.p, b.len);
		pthread_mutex_lock(&R->pub_lock);
	}
	pthread_mutex_unlock(&R->pub_lock);
	buf_free(&b);
	return NULL;
}

/* start_threads starts the publisher; the threads take no stop signal and no SIGPIPE. */
static void
start_threads(struct run *R, sigset_t *old)
{
	pthread_condattr_t ca;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, old);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&R->pub_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&R->pub_lock, NULL);
	if (pthread_create(&R->pub, NULL, publisher, R) != 0)
		fs_errx(EXIT_FAIL, "cannot start the publisher thread");
}

static void
stop_publisher(struct run *R)
{
	pthread_mutex_lock(&R->pub_lock);
	R->pub_stop = 1;
	pthread_cond_signal(&R->pub_cond);
	pthread_mutex_unlock(&R->pub_lock);
	pthread_join(R->pub, NULL);
}

/* more_files lets a thousand clients connect: the soft limit on descriptors goes up to the hard one. */
static void
more_files(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char **argv)
{
	static struct run R;
	struct push_counts pc;
	sigset_t old;
	int rc = EXIT_OK, i;

	parse_options(&R, &argc, &argv);
	if (R.c.io.from != NULL && argc > 0)
		fs_errx(EXIT_USAGE, "--from kafka:TOPIC goes without files");
	more_files();
	stats_init(&R.st, "fs-serve", &R.c);
	if (reject_open(&R.rj, &R.st, &R.c, R.c.reject) != 0)
		return EXIT_FAIL;
	pthread_mutex_init(&R.lock, NULL);
	R.status.lag = -1;
	R.ss = state_new(&R.o);
	event_init(&R.ev);
	/* The default folder is used when it is there; one given must be. */
	R.h.www = R.www != NULL ? R.www : access(FS_WWW_DIR, R_OK | X_OK) == 0 ? FS_WWW_DIR : NULL;
	push_init(R.ss, &R.lock, (uint64_t)ts_now_ms());

	start_threads(&R, &old);
	if (http_start(&R.h, R.ss, &R.lock, &R.status) != 0) {
		stop_publisher(&R);
		return EXIT_FAIL;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	/*
	 * From Kafka fs-serve is a consumer that needs no replay: the picture
	 * is rebuilt from the live stream within --expire, so nothing holds a
	 * record past its read and its offset is stored at once.
	 */
	R.lp = (struct loop){ .c = &R.c, .st = &R.st, .rj = &R.rj, .ev = &R.ev, .arg = &R,
	    .record = on_line, .idle = on_idle };
	if (loop_run(&R.lp, argv, argc) != 0)
		R.failed = 1;
	counts(&R, 0);
	R.status.input_done = 1;
	reject_flush(&R.rj);
	if (!R.failed && R.c.verbose > 0 && !sig_stop)
		fs_warnx("input ended; serving until SIGINT or SIGTERM");
	/* The picture stays served after the input ends (-e: exit then). */
	while (!R.failed && !sig_stop && !R.c.io.kafka.exit_at_end) {
		stats_poll(&R.st);
		usleep(100 * 1000);
	}

	/* Stop: the frames, then the streams end cleanly, then the server. */
	stop_publisher(&R);
	push_stop();
	for (i = 0; i < 20; i++) {
		push_counts(&pc);
		if (pc.clients == 0)
			break;
		usleep(50 * 1000);
	}
	http_stop();
	push_free();

	if (R.failed || R.lp.errors > 0)
		rc = EXIT_FAIL;
	if (reject_close(&R.rj) != 0)
		rc = EXIT_FAIL;
	if (stats_final(&R.st) != 0)
		rc = EXIT_FAIL;
	state_free(R.ss);
	event_free(&R.ev);
	free((char *)R.h.token);
	return rc;
}
