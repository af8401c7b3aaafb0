/*
 * fs-score: Isolation Forest anomaly scores, with the reasons.
 *
 * The program is split by job: forest.c grows and walks the trees (Liu,
 * Ting and Zhou 2008), feature.c takes a record's features out of a
 * parsed event, model.c writes and reads the model file, and main.c
 * reads, trains, scores, reloads and counts. See fs-score(1).
 */
#ifndef FS_SCORE_H
#define FS_SCORE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cli.h"
#include "event.h"
#include "phase.h"
#include "qflag.h"

/* The SYNOPSIS of fs-score(1); --help prints it, and so does a usage error. */
#define SCORE_USAGE \
	"fs-score train [--trees N] [--sample N] [--seed N] [--features LIST]\n" \
	"                [--contamination X] [common options] [file ...]\n" \
	"       fs-score [--model FILE | --warmup N] [--trees N] [--sample N] [--seed N]\n" \
	"                [--features LIST] [--contamination X] [common options] [file ...]\n" \
	CLI_USAGE_COMMON

#define MODEL_FORMAT "fs-score-model"
#define MODEL_VERSION 1
#define MAX_FEATURES 32
#define DEFAULT_FEATURES "velocity_kt,altitude_ft,vertical_rate_fpm,implied_speed," \
	"turn_rate,accel,alt_change_m,vertical_rate_error,flight_phase"

/*
 * One node of a tree. Trees are flat arrays in preorder: an inner
 * node's left child is the next node, its right child is node right.
 * A leaf has feat -1 and v the path length it adds: its depth plus
 * c(size) for the training points it still holds.
 */
struct node {
	double v;		/* split value (scaled units), or a leaf's path length */
	int32_t feat;		/* feature index, -1 for a leaf */
	int32_t right;
};

/* A robust centre and spread: the median and 1.4826 times the MAD. */
struct robust {
	double median, scale;
};

struct model {
	int nfeat;
	char *feat[MAX_FEATURES];	/* names, owned */
	double center[MAX_FEATURES];	/* median of the training data: imputes nulls */
	double scale[MAX_FEATURES];	/* interquartile range (1 when it is 0) */
	int ntrees, sample, seed_set;
	uint64_t seed;
	double contamination, threshold;
	uint64_t records;		/* training records seen */
	int pool;			/* of which sampled */
	struct robust vel[PHASE_COUNT], alt[PHASE_COUNT];	/* per flight phase; [0]: all */
	struct node *nodes;		/* all trees, one after another */
	int *root;			/* ntrees + 1 offsets into nodes */
	int nnodes;
	/*
	 * The same trees as complete binary trees of depth ddepth, for
	 * scoring (iforest_dense): node i's children are 2i+1 and 2i+2,
	 * a leaf above the bottom is passed through to its left-most
	 * descendant, and all trees are walked a level at a time.
	 * ddepth is -1 when the trees are too deep for that.
	 */
	int ddepth;
	int32_t *dfeat;			/* ntrees * (2^ddepth - 1) */
	double *dsplit;			/* the same */
	double *dleaf;			/* ntrees * 2^ddepth */
};

#define DENSE_MAX_DEPTH 12

/* forest.c */

/* c(n): the average path length of an unsuccessful search in a BST of n points. */
double iforest_c(double n);

/*
 * iforest_train grows m->ntrees trees on x[0..n*nfeat) (scaled
 * features, row by row), each on m->sample rows drawn without
 * replacement, with the random numbers of seed. It fills nodes, root
 * and nnodes; the rest of m must be set.
 */
void iforest_train(struct model *m, const double *x, int n, uint64_t seed);

/* iforest_dense builds the complete trees of m for scoring, when they are shallow enough. */
void iforest_dense(struct model *m);

/* iforest_score returns s(x, sample) in [0, 1] for one scaled row. */
double iforest_score(const struct model *m, const double *x);

/* robust_fit sets r from v[0..n) (reordered); scale has a floor of minscale. */
void robust_fit(struct robust *r, double *v, int n, double minscale);

/* quantile of v[0..n) (sorted in place), linear between order statistics. */
double quantile(double *v, int n, double q);

void model_free(struct model *m);

/* model.c */

/* model_write appends the model as JSON text to b. */
void model_write(const struct model *m, struct buf *b);

/*
 * model_load reads a model file into m. Returns 0, or -1 with a message
 * in err (errsz bytes) when the file cannot be read, is not JSON, is
 * not a model, or is of another version.
 */
int model_load(struct model *m, const char *path, char *err, size_t errsz);

/* feature.c */

/*
 * The features of a record, in model order: x[i] is the value scaled
 * by the model (nulls imputed with the median), and the evidence the
 * rules need.
 */
struct evidence {
	int phase;		/* PHASE_* */
	int squawk;		/* 7500, 7600, 7700 or 0 */
	unsigned flags;		/* 1 << QF_* from quality_flags (qflag.h) */
	double vel, alt;	/* velocity (m/s), altitude (m); NaN when null */
	int own;		/* the record already has fields fs-score adds */
};


/* Which top-level keys fs-score reads, built once per model by featmap_init. */
struct featmap {
	int n;
	struct {
		const char *name;
		size_t len;
		int slot;	/* feature index, or one of the FM_* below */
		int feat;	/* flight_phase: also this feature index, or -1 */
	} e[MAX_FEATURES + 8];
};
enum { FM_PHASE = -1, FM_FLAGS = -2, FM_OWN = -3 };

void featmap_init(struct featmap *fm, char *const *names, int nfeat);

/*
 * features reads the raw features of the map from ev into raw[0..nfeat)
 * (NaN when absent, null or not a number) and the evidence into e.
 */
void features(const struct event *ev, const struct featmap *fm, int nfeat,
    double *raw, struct evidence *e);

#endif
