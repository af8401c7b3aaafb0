/*
 * forest: Isolation Forest (Liu, Ting and Zhou, "Isolation Forest",
 * ICDM 2008). Each tree is grown on a subsample of psi rows drawn
 * without replacement, by random axis-parallel splits: a feature chosen
 * uniformly among those not constant in the node, a split value uniform
 * between its least and greatest value there, until a node holds one
 * row or the depth reaches ceil(log2 psi). A point's path length h(x)
 * is the depth of the leaf it reaches plus c(size) for the rows the
 * leaf still holds; its score is s(x, psi) = 2^(-E(h(x)) / c(psi)).
 *
 * A feature that is constant in a node is not drawn there, as in
 * scikit-learn, so that no split is wasted; a node where all features
 * are constant is a leaf.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rng.h"
#include "score.h"

#define EULER_GAMMA 0.5772156649015329

double
iforest_c(double n)
{
	if (n <= 1)
		return 0;
	if (n <= 2)
		return 1;
	return 2 * (log(n - 1) + EULER_GAMMA) - 2 * (n - 1) / n;
}

struct grow {
	struct model *m;
	const double *x;
	int *idx;
	int maxdepth;
	int base;		/* the tree's first node: right children are relative to it */
	struct rng rng;
};

/* grow builds the subtree of rows idx[0..cnt) at depth; returns its root index. */
static int
grow(struct grow *g, int *idx, int cnt, int depth)
{
	struct model *m = g->m;
	int me = m->nnodes++, f, i, j, live[MAX_FEATURES], nlive = 0, left;
	double lo[MAX_FEATURES], hi[MAX_FEATURES], v, split;

	if (depth >= g->maxdepth || cnt <= 1) {
		m->nodes[me].feat = -1;
		m->nodes[me].v = depth + iforest_c(cnt);
		m->nodes[me].right = 0;
		return me;
	}
	for (f = 0; f < m->nfeat; f++) {
		lo[f] = hi[f] = g->x[(size_t)idx[0] * m->nfeat + f];
		for (i = 1; i < cnt; i++) {
			v = g->x[(size_t)idx[i] * m->nfeat + f];
			if (v < lo[f])
				lo[f] = v;
			if (v > hi[f])
				hi[f] = v;
		}
		if (hi[f] > lo[f])
			live[nlive++] = f;
	}
	if (nlive == 0) {
		m->nodes[me].feat = -1;
		m->nodes[me].v = depth + iforest_c(cnt);
		m->nodes[me].right = 0;
		return me;
	}
	f = live[rng_below(&g->rng, (uint64_t)nlive)];
	split = rng_range(&g->rng, lo[f], hi[f]);
	if (split <= lo[f])	/* rounding: keep both sides non-empty */
		split = nextafter(lo[f], hi[f]);
	/* Partition: rows below the split go left. */
	for (i = 0, j = cnt - 1; i <= j;) {
		if (g->x[(size_t)idx[i] * m->nfeat + f] < split)
			i++;
		else {
			int t = idx[i];
			idx[i] = idx[j];
			idx[j--] = t;
		}
	}
	left = i;
	m->nodes[me].feat = f;
	m->nodes[me].v = split;
	grow(g, idx, left, depth + 1);
	m->nodes[me].right = grow(g, idx + left, cnt - left, depth + 1) - g->base;
	return me;
}

void
iforest_train(struct model *m, const double *x, int n, uint64_t seed)
{
	struct grow g;
	int *all, t, i, psi = m->sample < n ? m->sample : n;
	uint64_t j;

	if (psi < 1)
		psi = 1;
	m->sample = psi;
	g.m = m;
	g.x = x;
	g.maxdepth = (int)ceil(log2((double)psi));
	rng_seed(&g.rng, seed);
	m->nodes = xcalloc((size_t)m->ntrees * (2 * (size_t)psi), sizeof *m->nodes);
	m->root = xcalloc((size_t)m->ntrees + 1, sizeof *m->root);
	m->nnodes = 0;
	all = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *all);
	for (i = 0; i < n; i++)
		all[i] = i;
	for (t = 0; t < m->ntrees; t++) {
		/* The first psi of a partial Fisher-Yates shuffle: a sample without replacement. */
		for (i = 0; i < psi && i < n; i++) {
			j = (uint64_t)i + rng_below(&g.rng, (uint64_t)(n - i));
			int tmp = all[i];
			all[i] = all[j];
			all[j] = tmp;
		}
		m->root[t] = g.base = m->nnodes;
		if (n == 0) {
			m->nodes[m->nnodes].feat = -1;
			m->nodes[m->nnodes++].v = 0;
			continue;
		}
		grow(&g, all, psi, 0);
		/* grow reorders all[0..psi); that is still a permutation, so later samples stay uniform. */
	}
	m->root[m->ntrees] = m->nnodes;
	free(all);
	iforest_dense(m);
}

/* depth_of returns the depth of the subtree at node i of tree t, or more than lim if it is deeper. */
static int
depth_of(const struct model *m, int t, int i, int lim)
{
	const struct node *nd = &m->nodes[m->root[t] + i];
	int l, r;

	if (nd->feat < 0)
		return 0;
	if (lim <= 0)
		return 1;
	l = depth_of(m, t, i + 1, lim - 1);
	r = depth_of(m, t, nd->right, lim - 1);
	return 1 + (l > r ? l : r);
}

/* fill copies node i of tree t to slot k of its complete tree, of which level levels remain. */
static void
fill(struct model *m, int t, int i, size_t k, int level)
{
	const struct node *nd = &m->nodes[m->root[t] + i];
	size_t inner = ((size_t)1 << m->ddepth) - 1;

	if (level == 0) {
		m->dleaf[(size_t)t * (inner + 1) + (k - inner)] = nd->v;
		return;
	}
	if (nd->feat < 0) {
		/* A leaf above the bottom: every record goes left, down to the bottom. */
		m->dfeat[(size_t)t * inner + k] = 0;
		m->dsplit[(size_t)t * inner + k] = INFINITY;
		fill(m, t, i, 2 * k + 1, level - 1);
		fill(m, t, i, 2 * k + 2, level - 1);	/* unreachable; filled all the same */
		return;
	}
	m->dfeat[(size_t)t * inner + k] = nd->feat;
	m->dsplit[(size_t)t * inner + k] = nd->v;
	fill(m, t, i + 1, 2 * k + 1, level - 1);
	fill(m, t, nd->right, 2 * k + 2, level - 1);
}

void
iforest_dense(struct model *m)
{
	size_t inner;
	int t, d = 0, dt;

	free(m->dfeat);
	free(m->dsplit);
	free(m->dleaf);
	m->dfeat = NULL;
	m->dsplit = NULL;
	m->dleaf = NULL;
	for (t = 0; t < m->ntrees; t++) {
		dt = depth_of(m, t, 0, DENSE_MAX_DEPTH + 1);
		if (dt > d)
			d = dt;
		if (d > DENSE_MAX_DEPTH) {
			m->ddepth = -1;
			return;
		}
	}
	m->ddepth = d;
	inner = ((size_t)1 << d) - 1;
	m->dfeat = xcalloc((size_t)m->ntrees * (inner ? inner : 1), sizeof *m->dfeat);
	m->dsplit = xcalloc((size_t)m->ntrees * (inner ? inner : 1), sizeof *m->dsplit);
	m->dleaf = xcalloc((size_t)m->ntrees * (inner + 1), sizeof *m->dleaf);
	for (t = 0; t < m->ntrees; t++)
		fill(m, t, 0, 0, d);
}

double
iforest_score(const struct model *m, const double *x)
{
	const struct node *nd;
	double h = 0, c = iforest_c(m->sample);
	int t;

	if (m->ddepth >= 0 && m->dleaf != NULL) {
		size_t inner = ((size_t)1 << m->ddepth) - 1, k[64];
		const int32_t *df;
		const double *ds;
		int level, t0, nt;

		/* 64 trees at a time, a level at a time: the walks are independent. */
		for (t0 = 0; t0 < m->ntrees; t0 += 64) {
			nt = m->ntrees - t0 < 64 ? m->ntrees - t0 : 64;
			for (t = 0; t < nt; t++)
				k[t] = 0;
			for (level = 0; level < m->ddepth; level++)
				for (t = 0; t < nt; t++) {
					df = m->dfeat + (size_t)(t0 + t) * inner;
					ds = m->dsplit + (size_t)(t0 + t) * inner;
					k[t] = 2 * k[t] + 1 + (x[df[k[t]]] >= ds[k[t]]);
				}
			for (t = 0; t < nt; t++)
				h += m->dleaf[(size_t)(t0 + t) * (inner + 1) + (k[t] - inner)];
		}
		goto done;
	}
	for (t = 0; t < m->ntrees; t++) {
		nd = m->nodes + m->root[t];
		while (nd->feat >= 0)
			nd = x[nd->feat] < nd->v ? nd + 1 : m->nodes + m->root[t] + nd->right;
		h += nd->v;
	}
done:
	if (c <= 0 || m->ntrees == 0)
		return 0.5;
	return exp2(-(h / m->ntrees) / c);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
quantile(double *v, int n, double q)
{
	double pos, frac;
	int i;

	if (n <= 0)
		return NAN;
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	pos = q * (n - 1);
	i = (int)floor(pos);
	if (i >= n - 1)
		return v[n - 1];
	frac = pos - i;
	return v[i] + frac * (v[i + 1] - v[i]);
}

void
robust_fit(struct robust *r, double *v, int n, double minscale)
{
	int i;

	if (n <= 0) {
		r->median = NAN;
		r->scale = NAN;
		return;
	}
	r->median = quantile(v, n, 0.5);
	for (i = 0; i < n; i++)
		v[i] = fabs(v[i] - r->median);
	r->scale = 1.4826 * quantile(v, n, 0.5);
	if (!(r->scale >= minscale))
		r->scale = minscale;
}

void
model_free(struct model *m)
{
	int i;

	for (i = 0; i < m->nfeat; i++)
		free(m->feat[i]);
	free(m->nodes);
	free(m->root);
	free(m->dfeat);
	free(m->dsplit);
	free(m->dleaf);
	memset(m, 0, sizeof *m);
}
