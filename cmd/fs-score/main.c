/*
 * fs-score: train an Isolation Forest on clean records, and score
 * records with it, saying why each anomaly was flagged.
 * See fs-score(1).
 */
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "event.h"
#include "json.h"
#include "io.h"
#include "loop.h"
#include "reject.h"
#include "rng.h"
#include "score.h"
#include "stats.h"

enum {
	OPT_CONTAMINATION = OPT_PROGRAM,
	OPT_FEATURES,
	OPT_MODEL,
	OPT_SAMPLE,
	OPT_SEED,
	OPT_TREES,
	OPT_WARMUP,
};

static const struct option longopts[] = {
	{ "contamination", required_argument, NULL, OPT_CONTAMINATION },
	{ "features", required_argument, NULL, OPT_FEATURES },
	{ "model", required_argument, NULL, OPT_MODEL },
	{ "sample", required_argument, NULL, OPT_SAMPLE },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "trees", required_argument, NULL, OPT_TREES },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/*
 * The quality flags that make a record an anomaly (out_of_order does
 * not), in the order anomaly_reasons names them.
 */
static const int anomaly_flags[] = {
	QF_POSITION_JUMP, QF_ALTITUDE_SPIKE, QF_IMPOSSIBLE_SPEED, QF_STUCK_POSITION
};

/* What training needs, from the options. */
struct train_opts {
	int trees, sample;
	uint64_t seed;
	double contamination;
	int nfeat;
	char *feat[MAX_FEATURES];
	int given;		/* a training option was given */
};

/*
 * The training pool: features and evidence of the records sampled, row
 * by row. In warm-up mode it holds every warm-up record.
 */
struct pool {
	int n, cap, nfeat;
	double *raw;		/* n * nfeat */
	int *phase;
	double *vel, *alt;
};

struct warm;

struct run {
	struct cli c;
	struct stats st;
	struct rejects rj;
	struct io_out out;
	struct train_opts t;
	const char *model_path;
	long warmup;
	struct model m;
	int have_model;
	struct featmap fm;
	struct buf rec;
	struct warm *warm;		/* warming up: no model yet */
	uint64_t *anomalies, *by_iforest, *by_squawk, *by_flags, *reloads, *reload_failures;
};

static volatile sig_atomic_t reload;

static void
on_hup(int sig)
{
	(void)sig;
	reload = 1;
}

static void
parse_features(struct train_opts *t, const char *list)
{
	const char *s = list, *item;
	size_t n;
	int i;

	for (i = 0; i < t->nfeat; i++)
		free(t->feat[i]);
	t->nfeat = 0;
	while (cli_list(&s, &item, &n)) {
		if (n == 0)
			fs_errx(EXIT_USAGE, "invalid features '%s': empty name", list);
		if (t->nfeat == MAX_FEATURES)
			fs_errx(EXIT_USAGE, "invalid features '%s': more than %d", list,
			    MAX_FEATURES);
		t->feat[t->nfeat] = xmalloc(n + 1);
		memcpy(t->feat[t->nfeat], item, n);
		t->feat[t->nfeat][n] = '\0';
		for (i = 0; i < t->nfeat; i++)
			if (strcmp(t->feat[i], t->feat[t->nfeat]) == 0)
				fs_errx(EXIT_USAGE, "invalid features '%s': '%s' twice", list,
				    t->feat[i]);
		t->nfeat++;
	}
}

static int
parse_options(struct run *R, int *argcp, char ***argvp)
{
	struct train_opts *t = &R->t;
	int ch, argc = *argcp, train = 0, warm = 0;
	char **argv = *argvp;

	t->trees = 100;
	t->sample = 256;
	t->seed = 1;
	t->contamination = 0.001;
	R->warmup = 10000;
	cli_init(&R->c, "fs-score", SCORE_USAGE, CLI_IN | CLI_OUT | CLI_REJECT);
	if (argc > 1 && strcmp(argv[1], "train") == 0) {
		train = 1;
		argc--;
		argv++;
	}
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_CONTAMINATION:
			t->contamination = cli_double(optarg, 0, 0.5, "contamination");
			t->given = 1;
			break;
		case OPT_FEATURES:
			parse_features(t, optarg);
			t->given = 1;
			break;
		case OPT_MODEL:
			R->model_path = optarg;
			break;
		case OPT_SAMPLE:
			t->sample = (int)cli_num(optarg, 2, 1 << 20, "sample");
			t->given = 1;
			break;
		case OPT_SEED:
			t->seed = (uint64_t)cli_num(optarg, 0, INT64_MAX, "seed");
			t->given = 1;
			break;
		case OPT_TREES:
			t->trees = (int)cli_num(optarg, 1, 10000, "trees");
			t->given = 1;
			break;
		case OPT_WARMUP:
			R->warmup = (long)cli_num(optarg, 1, 1000000, "warmup");
			warm = 1;
			break;
		default:
			if (!cli_option(&R->c, ch, optarg))
				cli_usage(&R->c);
		}
	}
	if (train && (R->model_path != NULL || warm))
		fs_errx(EXIT_USAGE, "train takes neither --model nor --warmup");
	if (R->model_path != NULL && warm)
		fs_errx(EXIT_USAGE, "--model and --warmup exclude each other");
	if (R->model_path != NULL && t->given)
		fs_errx(EXIT_USAGE, "training options do not go with --model: the model has them");
	if (t->nfeat == 0)
		parse_features(t, DEFAULT_FEATURES);
	*argcp = argc - optind;
	*argvp = argv + optind;
	return train;
}

static void
pool_init(struct pool *p, int cap, int nfeat)
{
	p->n = 0;
	p->cap = cap;
	p->nfeat = nfeat;
	p->raw = xmalloc((size_t)cap * nfeat * sizeof *p->raw);
	p->phase = xmalloc((size_t)cap * sizeof *p->phase);
	p->vel = xmalloc((size_t)cap * sizeof *p->vel);
	p->alt = xmalloc((size_t)cap * sizeof *p->alt);
}

static void
pool_free(struct pool *p)
{
	free(p->raw);
	free(p->phase);
	free(p->vel);
	free(p->alt);
}

/* pool_put stores one record's features and evidence in slot i. */
static void
pool_put(struct pool *p, int i, const double *raw, const struct evidence *e)
{
	memcpy(p->raw + (size_t)i * p->nfeat, raw, (size_t)p->nfeat * sizeof *raw);
	p->phase[i] = e->phase;
	p->vel[i] = e->vel;
	p->alt[i] = e->alt;
}

/* scale_row turns raw features into the model's units, nulls imputed by the median. */
static inline void
scale_row(const struct model *m, const double *raw, double *x)
{
	int f;

	double v;

	/* Clamped, so that an infinite value does not pass a leaf's infinite split. */
	for (f = 0; f < m->nfeat; f++) {
		v = isnan(raw[f]) ? 0 : (raw[f] - m->center[f]) / m->scale[f];
		x[f] = v > DBL_MAX ? DBL_MAX : v < -DBL_MAX ? -DBL_MAX : v;
	}
}

/* phase_stats fits the robust speed and altitude of each phase, [0] over all. */
static void
phase_stats(struct model *m, const struct pool *p)
{
	double *v = xmalloc((size_t)(p->n > 0 ? p->n : 1) * sizeof *v);
	double *a = xmalloc((size_t)(p->n > 0 ? p->n : 1) * sizeof *a);
	int ph, i, nv, na;

	for (ph = 0; ph < PHASE_COUNT; ph++) {
		nv = na = 0;
		for (i = 0; i < p->n; i++) {
			if (ph != 0 && p->phase[i] != ph)
				continue;
			if (!isnan(p->vel[i]))
				v[nv++] = p->vel[i];
			if (!isnan(p->alt[i]))
				a[na++] = p->alt[i];
		}
		/* Floors: 1 m/s and 30 m, so a phase with one value is no false precision. */
		robust_fit(&m->vel[ph], v, nv, 1);
		robust_fit(&m->alt[ph], a, na, 30);
	}
	free(v);
	free(a);
}

/* fit trains the model of the options on the pool. */
static void
fit(struct model *m, const struct train_opts *t, const struct pool *p, uint64_t records)
{
	double *col, *x, *s;
	struct robust r;
	int f, i, k;

	memset(m, 0, sizeof *m);
	m->nfeat = t->nfeat;
	for (f = 0; f < t->nfeat; f++)
		m->feat[f] = xstrdup(t->feat[f]);
	m->ntrees = t->trees;
	m->sample = t->sample;
	m->seed = t->seed;
	m->contamination = t->contamination;
	m->records = records;
	m->pool = p->n;
	col = xmalloc((size_t)(p->n > 0 ? p->n : 1) * sizeof *col);
	for (f = 0; f < m->nfeat; f++) {
		for (i = k = 0; i < p->n; i++)
			if (!isnan(p->raw[(size_t)i * p->nfeat + f]))
				col[k++] = p->raw[(size_t)i * p->nfeat + f];
		robust_fit(&r, col, k, 0);
		m->center[f] = k > 0 ? r.median : 0;
		m->scale[f] = k > 0 && r.scale > 0 ? r.scale : 1;
	}
	x = xmalloc((size_t)(p->n > 0 ? p->n : 1) * m->nfeat * sizeof *x);
	for (i = 0; i < p->n; i++)
		scale_row(m, p->raw + (size_t)i * p->nfeat, x + (size_t)i * m->nfeat);
	iforest_train(m, x, p->n, t->seed);
	/* The threshold: the (1 - contamination) quantile of the pool's own scores. */
	s = col;
	for (i = 0; i < p->n; i++)
		s[i] = iforest_score(m, x + (size_t)i * m->nfeat);
	m->threshold = p->n > 0 ? quantile(s, p->n, 1 - m->contamination) : 1;
	if (m->contamination == 0)
		m->threshold = 1;
	phase_stats(m, p);
	free(x);
	free(col);
}

/*
 * parse parses a line that the loop handed over bare (training decides
 * before parsing); 1 when it is a record, 0 when it was rejected, -1
 * when the reject could not be written.
 */
static int
parse(struct run *R, struct event *ev, const struct line *l)
{
	const char *code;
	char msg[256];

	if (event_parse(ev, l->p, l->len, &code, msg, sizeof msg) == 0)
		return 1;
	reject_encoding(l->p, l->len, &code, msg, sizeof msg);
	return reject_line(&R->rj, l, code, msg) != 0 ? -1 : 0;
}

static void do_reload(struct run *R);

static void
flush_all(void *arg)
{
	struct run *R = arg;

	if (reload && R->warm == NULL)
		do_reload(R);
	io_flush(&R->out);
	reject_flush(&R->rj);
	stats_poll(&R->st);
}

static double
deviation(const struct robust *byphase, int phase, double v)
{
	const struct robust *r = &byphase[phase];

	if (isnan(r->median) || isnan(r->scale))
		r = &byphase[0];
	if (isnan(v) || isnan(r->median) || !(r->scale > 0))
		return NAN;
	return (v - r->median) / r->scale;
}

#define LIT(b, s) buf_add((b), (s), sizeof(s) - 1)

/* score writes ev, scored, to the output, derived from tok; -1 when it could not be written. */
static int
score(struct run *R, struct event *ev, ledger_tok tok)
{
	static const char *const own[] = { "anomaly_score", "is_anomaly", "velocity_anomaly",
		"altitude_anomaly", "anomaly_reasons" };
	const struct model *m = &R->m;
	struct buf *b = &R->rec;
	struct evidence e;
	double raw[MAX_FEATURES], x[MAX_FEATURES], s;
	size_t start, end, i;
	unsigned fl;
	int n = 0, bad;

	features(ev, &R->fm, m->nfeat, raw, &e);
	scale_row(m, raw, x);
	s = iforest_score(m, x);
	for (fl = 0, i = 0; i < sizeof anomaly_flags / sizeof *anomaly_flags; i++)
		fl |= e.flags & 1u << anomaly_flags[i];
	bad = s > m->threshold || e.squawk != 0 || fl != 0;
	buf_reset(b);
	if (!e.own) {
		event_object(ev, &start, &end);
		buf_add(b, ev->line + start, end - start);
	} else {
		/* Scored before: the old fields go, the new ones are written at the end. */
		for (i = 0; i < sizeof own / sizeof own[0]; i++)
			event_del(ev, own[i]);
		event_write(ev, b);
		b->len -= 2;
	}
	LIT(b, ",\"anomaly_score\":");
	json_fixed(b, s, 6);
	if (bad)
		LIT(b, ",\"is_anomaly\":true,\"velocity_anomaly\":");
	else
		LIT(b, ",\"is_anomaly\":false,\"velocity_anomaly\":");
	json_fixed(b, deviation(m->vel, e.phase, e.vel), 2);
	LIT(b, ",\"altitude_anomaly\":");
	json_fixed(b, deviation(m->alt, e.phase, e.alt), 2);
	LIT(b, ",\"anomaly_reasons\":[");
	if (s > m->threshold) {
		LIT(b, "\"iforest\"");
		n++;
		(*R->by_iforest)++;
	}
	if (e.squawk != 0) {
		if (n++)
			buf_addc(b, ',');
		buf_addf(b, "\"squawk_%d\"", e.squawk);
		(*R->by_squawk)++;
	}
	if (fl != 0)
		(*R->by_flags)++;
	for (i = 0; i < sizeof anomaly_flags / sizeof *anomaly_flags; i++)
		if (fl & (1u << anomaly_flags[i])) {
			if (n++)
				buf_addc(b, ',');
			buf_addc(b, '"');
			buf_adds(b, qflag_names[anomaly_flags[i]]);
			buf_addc(b, '"');
		}
	LIT(b, "]}\n");
	if (bad)
		(*R->anomalies)++;
	if (io_write(&R->out, b->p, b->len, tok) != 0)
		return -1;
	R->st.out++;
	return 0;
}

static void
use_model(struct run *R, struct model *m)
{
	if (R->have_model)
		model_free(&R->m);
	R->m = *m;
	R->have_model = 1;
	featmap_init(&R->fm, R->m.feat, R->m.nfeat);
}

/* do_reload loads the model file again; a bad one leaves the old model in use. */
static void
do_reload(struct run *R)
{
	struct model m;
	char err[512];

	reload = 0;
	if (R->model_path == NULL) {
		if (R->c.verbose >= 0)
			fs_warnx("SIGHUP: no model file to reload (warm-up mode)");
		return;
	}
	flush_all(R);
	if (model_load(&m, R->model_path, err, sizeof err) != 0) {
		(*R->reload_failures)++;
		fs_warnx("%s; keeping the old model", err);
		return;
	}
	use_model(R, &m);
	(*R->reloads)++;
	if (R->c.verbose >= 0)
		fs_warnx("reloaded model '%s'", R->model_path);
}

/*
 * train: reservoir sampling (Vitter's algorithm R) of trees * sample
 * records, deciding before parsing whether a line is kept, so that only
 * the lines sampled are parsed. Each tree then draws its subsample from
 * the reservoir, which is itself a uniform sample of the input.
 */
struct trainer {
	struct run *R;
	struct featmap fm;
	struct pool p;
	struct event ev;
	struct rng rng;
	uint64_t seen, cap;
};

static int
sample(void *arg, const struct line *l, struct event *unused)
{
	struct trainer *tr = arg;
	struct evidence e;
	double raw[MAX_FEATURES];
	uint64_t j;
	int slot, rc;

	if (tr->seen < tr->cap)
		slot = (int)tr->seen;
	else if ((j = rng_below(&tr->rng, tr->seen + 1)) < tr->cap)
		slot = (int)j;
	else {
		tr->seen++;
		return 0;
	}
	if ((rc = parse(tr->R, &tr->ev, l)) <= 0)
		return rc;	/* not a record: not counted in the sample */
	tr->seen++;
	features(&tr->ev, &tr->fm, tr->R->t.nfeat, raw, &e);
	pool_put(&tr->p, slot, raw, &e);
	if (slot >= tr->p.n)
		tr->p.n = slot + 1;
	return 0;
}

static void
sample_idle(void *arg)
{
	flush_all(((struct trainer *)arg)->R);
}

static int
train(struct run *R, struct loop *lp, char **files, int nfiles)
{
	static struct trainer tr;
	struct model m;
	long cap = (long)R->t.trees * R->t.sample;

	tr.R = R;
	tr.cap = (uint64_t)(cap > 4000000 ? 4000000 : cap);
	pool_init(&tr.p, (int)tr.cap, R->t.nfeat);
	featmap_init(&tr.fm, R->t.feat, R->t.nfeat);
	event_init(&tr.ev);
	rng_seed(&tr.rng, R->t.seed ^ 0x5265736572766f69ULL);
	lp->arg = &tr;
	lp->record = sample;
	lp->idle = sample_idle;
	if (loop_run(lp, files, nfiles) != 0) {
		event_free(&tr.ev);
		pool_free(&tr.p);
		return -1;
	}
	event_free(&tr.ev);
	if (tr.p.n == 0) {
		pool_free(&tr.p);
		fs_warnx("no records to train on");
		return -1;
	}
	fit(&m, &R->t, &tr.p, tr.seen);
	pool_free(&tr.p);
	buf_reset(&R->rec);
	model_write(&m, &R->rec);
	model_free(&m);
	if (io_write(&R->out, R->rec.p, R->rec.len, 0) != 0)
		return -1;
	R->st.out++;
	return 0;
}

/*
 * Warm-up: without a model the first R->warmup records are kept (their
 * lines, features and delivery tokens, held), the model is trained on
 * them, they are scored in order, and then the rest is scored as it
 * comes. The holds keep their offsets from being stored while they wait.
 */
struct warm {
	struct pool p;
	struct featmap fm;
	struct buf lines;
	size_t *ends;
	ledger_tok *toks;
};

/* warm_end trains on what was kept and scores it; -1 when output failed. */
static int
warm_end(struct run *R)
{
	struct warm *w = R->warm;
	struct event ev;
	struct model m;
	const char *code;
	char msg[256];
	size_t off;
	int i, rc = 0;

	if (w == NULL)
		return 0;
	R->warm = NULL;
	if (w->p.n > 0) {
		fit(&m, &R->t, &w->p, (uint64_t)w->p.n);
		use_model(R, &m);
		if (R->c.verbose > 0)
			fs_warnx("trained on %d warm-up records; threshold %.6f", w->p.n,
			    R->m.threshold);
	}
	event_init(&ev);
	for (i = 0, off = 0; i < w->p.n; off = w->ends[i++]) {
		if (rc == 0 && (event_parse(&ev, w->lines.p + off, w->ends[i] - off, &code, msg,
		    sizeof msg) != 0 || score(R, &ev, w->toks[i]) != 0))
			rc = -1;
		ledger_release(w->toks[i]);
	}
	event_free(&ev);
	pool_free(&w->p);
	buf_free(&w->lines);
	free(w->ends);
	free(w->toks);
	free(w);
	return rc;
}

static int
scored(void *arg, const struct line *l, struct event *ev)
{
	struct run *R = arg;
	struct warm *w = R->warm;
	struct evidence e;
	double raw[MAX_FEATURES];

	if (w == NULL) {
		if (reload)
			do_reload(R);
		return score(R, ev, l->tok);
	}
	features(ev, &w->fm, R->t.nfeat, raw, &e);
	pool_put(&w->p, w->p.n, raw, &e);
	buf_add(&w->lines, l->p, l->len);
	w->ends[w->p.n] = w->lines.len;
	w->toks[w->p.n++] = ledger_hold(l->tok);
	return w->p.n == R->warmup ? warm_end(R) : 0;
}

static int
scored_end(void *arg)
{
	return warm_end(arg);
}

static int
run_score(struct run *R, struct loop *lp, char **files, int nfiles)
{
	struct event ev;
	struct warm *w;
	int rc;

	if (!R->have_model) {
		R->warm = w = xcalloc(1, sizeof *w);
		pool_init(&w->p, (int)R->warmup, R->t.nfeat);
		w->ends = xmalloc((size_t)R->warmup * sizeof *w->ends);
		w->toks = xmalloc((size_t)R->warmup * sizeof *w->toks);
		featmap_init(&w->fm, R->t.feat, R->t.nfeat);
	}
	event_init(&ev);
	lp->ev = &ev;
	lp->arg = R;
	lp->record = scored;
	lp->end = scored_end;
	rc = loop_run(lp, files, nfiles);
	event_free(&ev);
	return rc;
}

int
main(int argc, char **argv)
{
	static struct run R;
	struct loop lp = { 0 };
	struct sigaction sa;
	struct model m;
	char err[512];
	int rc, training, i;

	training = parse_options(&R, &argc, &argv);
	if (training && R.c.io.to != NULL)
		fs_errx(EXIT_USAGE, "train writes a model file to standard output: --to does not apply");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_hup;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: a blocked read returns to the loop */
	sigaction(SIGHUP, &sa, NULL);

	if (R.model_path != NULL) {
		if (model_load(&m, R.model_path, err, sizeof err) != 0)
			fs_errx(EXIT_FAIL, "%s", err);
		use_model(&R, &m);
	}
	R.c.io.keep_freed = 1;
	stats_init(&R.st, "fs-score", &R.c);
	if (reject_open(&R.rj, &R.st, &R.c, R.c.reject) != 0)
		return EXIT_FAIL;
	if (io_out_stdout(&R.out, &R.c.io, "icao24") != 0)
		return EXIT_FAIL;
	stats_output(&R.st, &R.out);
	R.anomalies = stats_counter(&R.st, "anomalies");
	R.by_iforest = stats_counter(&R.st, "reason_iforest");
	R.by_squawk = stats_counter(&R.st, "reason_squawk");
	R.by_flags = stats_counter(&R.st, "reason_quality_flags");
	R.reloads = stats_counter(&R.st, "model_reloads");
	R.reload_failures = stats_counter(&R.st, "model_reload_failures");

	lp = (struct loop){ .c = &R.c, .st = &R.st, .rj = &R.rj, .idle = flush_all };
	rc = training ? train(&R, &lp, argv, argc) : run_score(&R, &lp, argv, argc);
	rc = rc != 0 || lp.errors > 0 ? EXIT_FAIL : EXIT_OK;
	if (io_out_close(&R.out) != 0 || reject_close(&R.rj) != 0)
		rc = EXIT_FAIL;
	if (stats_final(&R.st) != 0)
		rc = EXIT_FAIL;
	if (R.have_model)
		model_free(&R.m);
	for (i = 0; i < R.t.nfeat; i++)
		free(R.t.feat[i]);
	buf_free(&R.rec);
	return rc;
}
