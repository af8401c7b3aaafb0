/*
 * feature: a record's features and evidence, taken from the spans of a
 * parsed event in one pass over its fields.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "score.h"

static const char *const own_names[] = {
	"anomaly_score", "is_anomaly", "velocity_anomaly", "altitude_anomaly",
	"anomaly_reasons",
};

static void
add(struct featmap *fm, const char *name, int slot, int feat)
{
	int i;

	for (i = 0; i < fm->n; i++)
		if (strcmp(fm->e[i].name, name) == 0) {
			/* flight_phase as a feature is also the phase evidence. */
			if (slot == FM_PHASE)
				fm->e[i].feat = fm->e[i].slot, fm->e[i].slot = FM_PHASE;
			return;
		}
	fm->e[fm->n].name = name;
	fm->e[fm->n].len = strlen(name);
	fm->e[fm->n].slot = slot;
	fm->e[fm->n].feat = feat;
	fm->n++;
}

void
featmap_init(struct featmap *fm, char *const *names, int nfeat)
{
	size_t i;
	int f;

	fm->n = 0;
	for (f = 0; f < nfeat; f++)
		add(fm, names[f], f, -1);
	add(fm, "flight_phase", FM_PHASE, -1);
	add(fm, "quality_flags", FM_FLAGS, -1);
	for (i = 0; i < sizeof own_names / sizeof own_names[0]; i++)
		add(fm, own_names[i], FM_OWN, -1);
}

/*
 * number decodes JSON number text p[0..n): plain decimals with at most
 * 15 significant digits are exact this way (one correctly rounded
 * division by an exact power of ten); anything else goes to strtod.
 */
static double
number(const char *p, size_t n)
{
	static const double p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8,
		1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };
	char tmp[64];
	uint64_t m = 0;
	size_t i = 0;
	int neg = 0, digits = 0, frac = 0, dot = 0;

	if (n > 0 && p[0] == '-')
		neg = 1, i = 1;
	for (; i < n; i++) {
		if (p[i] >= '0' && p[i] <= '9') {
			m = m * 10 + (uint64_t)(p[i] - '0');
			if (m != 0 || digits)
				digits++;
			frac += dot;
		} else if (p[i] == '.' && !dot)
			dot = 1;
		else
			goto slow;
		if (digits > 15)
			goto slow;
	}
	return (neg ? -1.0 : 1.0) * ((double)m / p10[frac]);
slow:
	if (n >= sizeof tmp)
		return NAN;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	return strtod(tmp, NULL);
}

/* value decodes a field's JSON text as a feature: a number, a boolean, or NaN. */
static double
value(const char *p, size_t n)
{
	if (n == 0)
		return NAN;
	if ((p[0] >= '0' && p[0] <= '9') || p[0] == '-')
		return number(p, n);
	if (n == 4 && memcmp(p, "true", 4) == 0)
		return 1;
	if (n == 5 && memcmp(p, "false", 5) == 0)
		return 0;
	return NAN;
}

static int
squawk(const struct ev_val *v)
{
	if ((v->type == EVT_STRING || v->type == EVT_NUMBER) && v->len == 4 &&
	    memcmp(v->s, "7", 1) == 0 && v->s[2] == '0' && v->s[3] == '0' &&
	    (v->s[1] == '5' || v->s[1] == '6' || v->s[1] == '7'))
		return 7000 + (v->s[1] - '0') * 100;
	return 0;
}

static double
measure(const struct ev_val *v)
{
	return v->type == EVT_NUMBER ? v->num : NAN;
}

void
features(const struct event *ev, const struct featmap *fm, int nfeat,
    double *raw, struct evidence *e)
{
	const struct ev_field *fd;
	const char *p;
	size_t n;
	int i, j, slot;

	for (i = 0; i < nfeat; i++)
		raw[i] = NAN;
	e->phase = PHASE_NONE;
	e->flags = 0;
	e->own = 0;
	e->squawk = squawk(&ev->f[EVF_SQUAWK]);
	e->vel = measure(&ev->f[EVF_VELOCITY]);
	e->alt = measure(&ev->f[EVF_BARO_ALTITUDE]);
	if (isnan(e->alt))
		e->alt = measure(&ev->f[EVF_GEO_ALTITUDE]);
	for (i = 0; i < ev->nfields; i++) {
		fd = &ev->fields[i];
		for (j = 0; j < fm->n; j++)
			if (fm->e[j].len == fd->name_len && fm->e[j].name[0] == fd->name[0] &&
			    memcmp(fm->e[j].name, fd->name, fd->name_len) == 0)
				break;
		if (j == fm->n)
			continue;
		p = ev->line + fd->val_off;
		n = fd->val_len;
		slot = fm->e[j].slot;
		if (slot >= 0)
			raw[slot] = value(p, n);
		else if (slot == FM_PHASE) {
			e->phase = n >= 2 && p[0] == '"' ? phase_code(p + 1, n - 2) : PHASE_NONE;
			if (fm->e[j].feat >= 0)
				raw[fm->e[j].feat] = e->phase != PHASE_NONE ? e->phase : NAN;
		} else if (slot == FM_FLAGS)
			e->flags = qflag_parse(p, n);
		else
			e->own = 1;
	}
}
