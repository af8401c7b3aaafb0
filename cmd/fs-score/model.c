/*
 * model: the model file, a JSON object described in fs-score(1). It is
 * written with every number exact (17 significant digits), one key or
 * one tree per line, and read with yajl's tree parser. Reading checks
 * everything a scorer relies on (feature indices, child indices that
 * stay inside their tree and only go forward), so a corrupt file is an
 * error, never a crash or an endless walk.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "json.h"
#include "score.h"

static void
robust_write(struct buf *b, const char *key, const struct robust *r)
{
	json_key(b, key);
	buf_adds(b, "{\"median\":");
	json_double(b, r->median);
	buf_adds(b, ",\"scale\":");
	json_double(b, r->scale);
	buf_addc(b, '}');
}

/* line_num appends ,\n"key":v; integers are exact in a double up to 2^53. */
static void
line_num(struct buf *b, const char *key, double v)
{
	buf_adds(b, ",\n");
	json_key(b, key);
	json_double(b, v);
}

void
model_write(const struct model *m, struct buf *b)
{
	const struct node *nd;
	int f, p, t, i;

	buf_adds(b, "{\"format\":\"" MODEL_FORMAT "\"");
	line_num(b, "version", MODEL_VERSION);
	buf_adds(b, ",\n\"created_by\":\"fs-score " FS_VERSION "\"");
	line_num(b, "trees", m->ntrees);
	line_num(b, "sample", m->sample);
	line_num(b, "max_depth", m->sample > 1 ? ceil(log2((double)m->sample)) : 0);
	line_num(b, "c_sample", iforest_c(m->sample));
	buf_adds(b, ",\n\"seed\":");
	json_uint(b, m->seed);
	line_num(b, "contamination", m->contamination);
	line_num(b, "threshold", m->threshold);
	buf_adds(b, ",\n\"training\":{\"records\":");
	json_uint(b, m->records);
	buf_adds(b, ",\"sampled\":");
	json_int(b, m->pool);
	buf_adds(b, "},\n\"features\":[");
	for (f = 0; f < m->nfeat; f++) {
		buf_adds(b, f ? ",\n  {\"name\":" : "\n  {\"name\":");
		json_strz(b, m->feat[f]);
		buf_adds(b, ",\"median\":");
		json_double(b, m->center[f]);
		buf_adds(b, ",\"scale\":");
		json_double(b, m->scale[f]);
		buf_addc(b, '}');
	}
	buf_adds(b, "],\n\"phases\":{");
	for (p = 0; p < PHASE_COUNT; p++) {
		buf_adds(b, p ? ",\n  " : "\n  ");
		json_strz(b, p ? phase_names[p] : "ALL");
		buf_adds(b, ":{");
		robust_write(b, "velocity", &m->vel[p]);
		buf_addc(b, ',');
		robust_write(b, "altitude", &m->alt[p]);
		buf_addc(b, '}');
	}
	buf_adds(b, "},\n\"forest\":[");
	for (t = 0; t < m->ntrees; t++) {
		buf_adds(b, t ? ",\n  [" : "\n  [");
		for (i = m->root[t]; i < m->root[t + 1]; i++) {
			nd = &m->nodes[i];
			if (i > m->root[t])
				buf_addc(b, ',');
			if (nd->feat < 0)
				json_double(b, nd->v);
			else {
				buf_addc(b, '[');
				json_int(b, nd->feat);
				buf_addc(b, ',');
				json_double(b, nd->v);
				buf_addc(b, ',');
				json_int(b, nd->right);
				buf_addc(b, ']');
			}
		}
		buf_addc(b, ']');
	}
	buf_adds(b, "]}\n");
}

static yajl_val
get(yajl_val obj, const char *key)
{
	const char *path[] = { key, NULL };

	return yajl_tree_get(obj, path, yajl_t_any);
}

/* num reads obj[key] as a finite number into *v; -1 when it is not one. */
static int
num(yajl_val obj, const char *key, double *v)
{
	yajl_val x = get(obj, key);

	if (x == NULL || !YAJL_IS_NUMBER(x))
		return -1;
	*v = YAJL_GET_DOUBLE(x);
	return isfinite(*v) ? 0 : -1;
}

static int
robust_read(yajl_val obj, const char *key, struct robust *r)
{
	yajl_val x = get(obj, key);
	yajl_val med, sc;

	if (x == NULL || !YAJL_IS_OBJECT(x))
		return -1;
	/* A phase without training data has null statistics. */
	med = get(x, "median");
	sc = get(x, "scale");
	if (med == NULL || sc == NULL)
		return -1;
	r->median = YAJL_IS_NUMBER(med) ? YAJL_GET_DOUBLE(med) : NAN;
	r->scale = YAJL_IS_NUMBER(sc) ? YAJL_GET_DOUBLE(sc) : NAN;
	if ((!YAJL_IS_NUMBER(med) && !YAJL_IS_NULL(med)) ||
	    (!YAJL_IS_NUMBER(sc) && !YAJL_IS_NULL(sc)))
		return -1;
	return 0;
}

#define BAD(...) do { snprintf(err, errsz, __VA_ARGS__); goto fail; } while (0)

int
model_load(struct model *m, const char *path, char *err, size_t errsz)
{
	struct buf text = BUF_INIT;
	char ybuf[256];
	const char *name;
	yajl_val root = NULL, x, feats, phases, forest, tree, nd;
	FILE *fp;
	size_t n, i, j, total = 0;
	double v;
	int f, p;

	memset(m, 0, sizeof *m);
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errsz, "cannot open model '%s': %s", path, strerror(errno));
		return -1;
	}
	do {
		buf_grow(&text, 65536);
		n = fread(text.p + text.len, 1, text.cap - text.len, fp);
		text.len += n;
	} while (n > 0);
	if (ferror(fp)) {
		snprintf(err, errsz, "cannot read model '%s': %s", path, strerror(errno));
		fclose(fp);
		buf_free(&text);
		return -1;
	}
	fclose(fp);
	if ((root = yajl_tree_parse(buf_cstr(&text), ybuf, sizeof ybuf)) == NULL) {
		ybuf[strcspn(ybuf, "\n")] = '\0';
		BAD("bad model '%s': not JSON: %s", path, ybuf[0] ? ybuf : "empty");
	}
	x = get(root, "format");
	if (!YAJL_IS_OBJECT(root) || x == NULL || !YAJL_IS_STRING(x) ||
	    (name = YAJL_GET_STRING(x)) == NULL || strcmp(name, MODEL_FORMAT) != 0)
		BAD("bad model '%s': not an fs-score model (no \"format\":\"" MODEL_FORMAT "\")", path);
	if (num(root, "version", &v) != 0)
		BAD("bad model '%s': no version", path);
	if (v != MODEL_VERSION)
		BAD("bad model '%s': version %g, this fs-score reads version %d", path, v,
		    MODEL_VERSION);
	if (num(root, "trees", &v) != 0 || v < 1 || v > 100000 || v != floor(v))
		BAD("bad model '%s': bad \"trees\"", path);
	m->ntrees = (int)v;
	if (num(root, "sample", &v) != 0 || v < 1 || v > 1e9 || v != floor(v))
		BAD("bad model '%s': bad \"sample\"", path);
	m->sample = (int)v;
	if (num(root, "threshold", &m->threshold) != 0)
		BAD("bad model '%s': bad \"threshold\"", path);
	if (num(root, "contamination", &m->contamination) != 0)
		m->contamination = NAN;
	if (num(root, "seed", &v) == 0)
		m->seed = (uint64_t)v;
	x = get(root, "training");
	if (x != NULL && num(x, "records", &v) == 0)
		m->records = (uint64_t)v;
	if (x != NULL && num(x, "sampled", &v) == 0)
		m->pool = (int)v;
	feats = get(root, "features");
	if (feats == NULL || !YAJL_IS_ARRAY(feats) || feats->u.array.len < 1 ||
	    feats->u.array.len > MAX_FEATURES)
		BAD("bad model '%s': \"features\" is not an array of 1 to %d features", path,
		    MAX_FEATURES);
	for (i = 0; i < feats->u.array.len; i++) {
		x = feats->u.array.values[i];
		nd = get(x, "name");
		if (nd == NULL || !YAJL_IS_STRING(nd) || num(x, "median", &m->center[i]) != 0 ||
		    num(x, "scale", &m->scale[i]) != 0 || !(m->scale[i] > 0))
			BAD("bad model '%s': feature %zu needs a name, a median and a scale > 0",
			    path, i + 1);
		m->feat[m->nfeat++] = xstrdup(YAJL_GET_STRING(nd));
	}
	phases = get(root, "phases");
	if (phases == NULL || !YAJL_IS_OBJECT(phases))
		BAD("bad model '%s': no \"phases\"", path);
	for (p = 0; p < PHASE_COUNT; p++) {
		x = get(phases, p ? phase_names[p] : "ALL");
		if (x == NULL || robust_read(x, "velocity", &m->vel[p]) != 0 ||
		    robust_read(x, "altitude", &m->alt[p]) != 0)
			BAD("bad model '%s': bad statistics for phase %s", path,
			    p ? phase_names[p] : "ALL");
	}
	forest = get(root, "forest");
	if (forest == NULL || !YAJL_IS_ARRAY(forest) || forest->u.array.len != (size_t)m->ntrees)
		BAD("bad model '%s': \"forest\" is not an array of %d trees", path, m->ntrees);
	for (i = 0; i < forest->u.array.len; i++) {
		tree = forest->u.array.values[i];
		if (!YAJL_IS_ARRAY(tree) || tree->u.array.len < 1)
			BAD("bad model '%s': tree %zu is not a non-empty array", path, i + 1);
		total += tree->u.array.len;
	}
	if (total > (size_t)1 << 30)
		BAD("bad model '%s': too many nodes", path);
	m->nodes = xcalloc(total, sizeof *m->nodes);
	m->root = xcalloc((size_t)m->ntrees + 1, sizeof *m->root);
	for (i = 0; i < forest->u.array.len; i++) {
		tree = forest->u.array.values[i];
		n = tree->u.array.len;
		m->root[i] = m->nnodes;
		for (j = 0; j < n; j++) {
			struct node *o = &m->nodes[m->nnodes++];

			nd = tree->u.array.values[j];
			if (YAJL_IS_NUMBER(nd)) {
				o->feat = -1;
				o->v = YAJL_GET_DOUBLE(nd);
				if (!isfinite(o->v) || o->v < 0)
					BAD("bad model '%s': tree %zu node %zu: bad path length",
					    path, i + 1, j);
				continue;
			}
			if (!YAJL_IS_ARRAY(nd) || nd->u.array.len != 3 ||
			    !YAJL_IS_INTEGER(nd->u.array.values[0]) ||
			    !YAJL_IS_NUMBER(nd->u.array.values[1]) ||
			    !YAJL_IS_INTEGER(nd->u.array.values[2]))
				BAD("bad model '%s': tree %zu node %zu is neither a leaf nor "
				    "[feature, split, right]", path, i + 1, j);
			f = (int)YAJL_GET_INTEGER(nd->u.array.values[0]);
			o->feat = f;
			o->v = YAJL_GET_DOUBLE(nd->u.array.values[1]);
			v = (double)YAJL_GET_INTEGER(nd->u.array.values[2]);
			/* Children go forward and stay in the tree, so every walk ends at a leaf. */
			if (f < 0 || f >= m->nfeat || !isfinite(o->v) || v <= (double)j + 1 ||
			    v >= (double)n || j + 1 >= n)
				BAD("bad model '%s': tree %zu node %zu: feature or child out of range",
				    path, i + 1, j);
			o->right = (int32_t)v;
		}
	}
	m->root[m->ntrees] = m->nnodes;
	iforest_dense(m);
	yajl_tree_free(root);
	buf_free(&text);
	return 0;
fail:
	if (root != NULL)
		yajl_tree_free(root);
	buf_free(&text);
	model_free(m);
	return -1;
}
