/*
 * model: the model file, a JSON object described in fs-score(1). It is
 * written with every number exact (17 significant digits), one key or
 * one tree per line, and read with yajl's tree parser. Reading checks
 * everything a scorer relies on (feature indices, child indices that
 * stay inside their tree and only go forward), so a corrupt file is an
 * error, never a crash or an endless walk.
 *
 * A model file holds what model_write writes and nothing else: the keys
 * below, nested at most MODEL_MAX_DEPTH deep, numbers in the ranges that
 * fs-score train can give them (trees and sample as its options allow, a
 * threshold in [0, 1], since scores are, a contamination in [0, 0.5]),
 * feature names that are distinct, and leaves no longer than their tree
 * can make them. Anything else is refused: the file may come from
 * elsewhere, and a value no training gives is a file that was altered.
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

/* only_keys: the key of obj that is not in keys (NULL-terminated), or NULL. */
static const char *
only_keys(yajl_val obj, const char *const *keys)
{
	size_t i, k;

	for (i = 0; i < obj->u.object.len; i++) {
		for (k = 0; keys[k] != NULL; k++)
			if (strcmp(obj->u.object.keys[i], keys[k]) == 0)
				break;
		if (keys[k] == NULL)
			return obj->u.object.keys[i];
	}
	return NULL;
}

/* whole reads obj[key], when there, as an integer in [lo, hi]; -1 when it is not one. */
static int
whole(yajl_val obj, const char *key, double lo, double hi, double *v)
{
	if (get(obj, key) == NULL)
		return 0;
	return num(obj, key, v) == 0 && *v >= lo && *v <= hi && *v == floor(*v) ? 0 : -1;
}

static const char *const top_keys[] = { "format", "version", "created_by", "trees", "sample",
	"max_depth", "c_sample", "seed", "contamination", "threshold", "training", "features",
	"phases", "forest", NULL };
static const char *const training_keys[] = { "records", "sampled", NULL };
static const char *const feature_keys[] = { "name", "median", "scale", NULL };
static const char *const phase_keys[] = { "velocity", "altitude", NULL };
static const char *const robust_keys[] = { "median", "scale", NULL };

static int
robust_read(yajl_val obj, const char *key, struct robust *r)
{
	yajl_val x = get(obj, key);
	yajl_val med, sc;

	if (x == NULL || !YAJL_IS_OBJECT(x) || only_keys(x, robust_keys) != NULL)
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
	/* Statistics are finite, and a spread is above 0, or they are both unknown. */
	if ((!isnan(r->median) && !isfinite(r->median)) || (!isnan(r->scale) &&
	    !(isfinite(r->scale) && r->scale > 0)) || isnan(r->median) != isnan(r->scale))
		return -1;
	return 0;
}

#define BAD(...) do { snprintf(err, errsz, __VA_ARGS__); goto fail; } while (0)

/* The deepest nesting in a model: the file, the forest, a tree, a node. */
#define MODEL_MAX_DEPTH 4
#define MODEL_MAX_NAME 256

/*
 * too_deep says whether text nests objects and arrays deeper than max.
 * It runs before the tree parser, which would otherwise build (and free,
 * recursively) whatever depth a file holds.
 */
static int
too_deep(const char *p, size_t n, int max)
{
	size_t i;
	int depth = 0, in_str = 0;

	for (i = 0; i < n; i++) {
		if (in_str) {
			if (p[i] == '\\')
				i++;
			else if (p[i] == '"')
				in_str = 0;
		} else if (p[i] == '"')
			in_str = 1;
		else if (p[i] == '{' || p[i] == '[') {
			if (++depth > max)
				return 1;
		} else if (p[i] == '}' || p[i] == ']')
			depth--;
	}
	return 0;
}


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
	if (too_deep(text.p, text.len, MODEL_MAX_DEPTH))
		BAD("bad model '%s': nested deeper than a model (%d levels)", path, MODEL_MAX_DEPTH);
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
	if ((name = only_keys(root, top_keys)) != NULL)
		BAD("bad model '%s': unknown key '%.64s'", path, name);
	if ((x = get(root, "created_by")) != NULL && !YAJL_IS_STRING(x))
		BAD("bad model '%s': \"created_by\" is not a string", path);
	if (((x = get(root, "max_depth")) != NULL && !YAJL_IS_NUMBER(x)) ||
	    ((x = get(root, "c_sample")) != NULL && !YAJL_IS_NUMBER(x)))
		BAD("bad model '%s': \"max_depth\" or \"c_sample\" is not a number", path);
	if (num(root, "trees", &v) != 0 || v < 1 || v > 10000 || v != floor(v))
		BAD("bad model '%s': \"trees\" is not a whole number from 1 to 10000", path);
	m->ntrees = (int)v;
	if (num(root, "sample", &v) != 0 || v < 1 || v > 1 << 20 || v != floor(v))
		BAD("bad model '%s': \"sample\" is not a whole number from 1 to %d", path, 1 << 20);
	m->sample = (int)v;
	/* Scores are in [0, 1]: a threshold outside makes every record an anomaly, or none. */
	if (num(root, "threshold", &m->threshold) != 0 || m->threshold < 0 || m->threshold > 1)
		BAD("bad model '%s': \"threshold\" is not a number in [0, 1]", path);
	x = get(root, "contamination");
	if (x == NULL || YAJL_IS_NULL(x))
		m->contamination = NAN;
	else if (num(root, "contamination", &m->contamination) != 0 || m->contamination < 0 ||
	    m->contamination > 0.5)
		BAD("bad model '%s': \"contamination\" is not a number in [0, 0.5]", path);
	if (whole(root, "seed", 0, 18446744073709551615.0, &v) != 0)
		BAD("bad model '%s': \"seed\" is not a whole number from 0", path);
	if (get(root, "seed") != NULL)
		m->seed = v >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)v;
	x = get(root, "training");
	if (x != NULL && (!YAJL_IS_OBJECT(x) || only_keys(x, training_keys) != NULL ||
	    whole(x, "records", 0, 1e18, &v) != 0 || whole(x, "sampled", 0, INT32_MAX, &v) != 0))
		BAD("bad model '%s': \"training\" is not {\"records\": N, \"sampled\": N}", path);
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
		if (!YAJL_IS_OBJECT(x) || only_keys(x, feature_keys) != NULL || nd == NULL ||
		    !YAJL_IS_STRING(nd) || num(x, "median", &m->center[i]) != 0 ||
		    num(x, "scale", &m->scale[i]) != 0 || !(m->scale[i] > 0))
			BAD("bad model '%s': feature %zu needs a name, a median and a scale > 0, "
			    "and nothing else", path, i + 1);
		name = YAJL_GET_STRING(nd);
		if (name[0] == '\0' || strlen(name) > MODEL_MAX_NAME)
			BAD("bad model '%s': feature %zu: a name of 1 to %d bytes", path, i + 1,
			    MODEL_MAX_NAME);
		for (f = 0; f < m->nfeat; f++)
			if (strcmp(m->feat[f], name) == 0)
				BAD("bad model '%s': feature %zu: '%s' twice", path, i + 1, name);
		m->feat[m->nfeat++] = xstrdup(name);
	}
	phases = get(root, "phases");
	if (phases == NULL || !YAJL_IS_OBJECT(phases))
		BAD("bad model '%s': no \"phases\"", path);
	if (phases->u.object.len != PHASE_COUNT)
		BAD("bad model '%s': \"phases\" is not ALL and the %d flight phases", path,
		    PHASE_COUNT - 1);
	for (p = 0; p < PHASE_COUNT; p++) {
		x = get(phases, p ? phase_names[p] : "ALL");
		if (x == NULL || !YAJL_IS_OBJECT(x) || only_keys(x, phase_keys) != NULL ||
		    robust_read(x, "velocity", &m->vel[p]) != 0 ||
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
				/* A leaf adds its depth (less than n) and c() of what it holds. */
				if (!isfinite(o->v) || o->v < 0 ||
				    o->v > (double)n + iforest_c(m->sample) + 1)
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
