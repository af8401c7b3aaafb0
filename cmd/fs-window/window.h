/*
 * fs-window: event-time windows with watermarks over position records.
 *
 * The program is split by job: fields.c reads what a record brings to
 * its windows (time, measurements, keys), agg.c adds records up and
 * writes window records, state.c keeps the open windows per key, moves
 * the watermark and closes windows in order, and main.c reads, rejects,
 * counts and writes. See fs-window(1).
 */
#ifndef FS_WINDOW_H
#define FS_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cli.h"
#include "event.h"
#include "hmap.h"

/* The SYNOPSIS of fs-window(1); --help prints it, and so does a usage error. */
#define WINDOW_USAGE \
	"fs-window [--size D [--hop D] | --session-gap D] [--by FIELD[,FIELD...]]...\n" \
	"                 [--lateness D] [--idle D] [--late FILE] [--max-keys N]\n" \
	"                 [common options] [file ...]\n" \
	CLI_USAGE_COMMON

#define MAX_GROUPINGS 16
#define MAX_KEY_FIELDS 8

/* One --by: a grouping of records by the values of some fields, or all together. */
struct grouping {
	const char *spec;		/* as given: "*", "icao24", "grid_x,grid_y" */
	int star;			/* "*": one key for every record */
	int plain;			/* "icao24" alone: the key is the value, without a name */
	int nfields;
	struct {
		char *name;
		size_t len;
		int evf;		/* enum evf, or -1 */
		int want;		/* its slot in the field map, when evf < 0 */
	} f[MAX_KEY_FIELDS];
};

/* The settings, from the command line; read-only once the loop starts. */
struct window_opts {
	int64_t size_ms;		/* tumbling or hopping window length */
	int64_t hop_ms;			/* == size_ms for tumbling windows */
	int64_t gap_ms;			/* > 0: session windows instead */
	int64_t lateness_ms;
	int64_t idle_ms;		/* 0: off */
	size_t max_keys;
	const char *late_path;		/* NULL: late records go with the rejects */
	int ngroups;
	struct grouping g[MAX_GROUPINGS];
};

/* fields.c --------------------------------------------------------------- */

/*
 * The fields a record is looked up for that the event parser does not
 * decode itself: anomaly_score, is_anomaly and the --by fields. They
 * are found in one pass over the record's fields.
 */
#define MAX_WANT (2 + MAX_GROUPINGS * MAX_KEY_FIELDS)
struct fieldmap {
	int n;
	const char *name[MAX_WANT];
	size_t len[MAX_WANT];
	int idx[MAX_WANT];		/* per record: index in ev->fields, or -1 */
};

enum { WANT_SCORE, WANT_ANOMALY };

/* What one record adds to its windows. NaN and -1 mean absent. */
struct recvals {
	int64_t t;
	double velocity, altitude, score;
	int anomaly;			/* is_anomaly: 1, 0, or -1 absent */
	uint64_t aircraft;		/* an id of icao24, 0 when absent */
};

/* fieldmap_init sets up the map for the options' groupings (filling in their slots). */
void fieldmap_init(struct fieldmap *fm, struct window_opts *o);

/*
 * record_time reads the timestamp. Returns 0, or -1 with a reject code
 * (missing.timestamp, type.timestamp, format.timestamp) and a message.
 */
int record_time(const struct event *ev, int64_t *t, const char **code, char *msg, size_t msgsz);

/* record_values finds the map's fields in ev and reads the measurements into rv. */
void record_values(const struct event *ev, struct fieldmap *fm, struct recvals *rv);

/*
 * record_key writes the key of grouping g for ev into b (reset first).
 * Returns 0, or -1 when a field of the grouping is absent or null.
 */
int record_key(const struct event *ev, const struct fieldmap *fm,
    const struct grouping *g, struct buf *b);

/* aircraft_id turns an icao24 into a number: exact for 6 hex digits (any case), else a 64-bit hash. */
uint64_t aircraft_id(const char *s, size_t n);

/* agg.c ------------------------------------------------------------------ */

/* A set of aircraft ids: one inline, more in v[0..n) found through map. */
struct idset {
	uint64_t one;
	uint64_t *v;
	uint32_t n, cap;
	struct hmap map;
};

/* The running aggregate of one window. */
struct agg {
	uint64_t n;			/* event_count */
	uint64_t anomalies, anomaly_n;	/* is_anomaly true; records with is_anomaly */
	uint64_t vel_n, alt_n, score_n;
	double vel_sum, vel_min, vel_max;
	double alt_sum, alt_min, alt_max;
	double score_sum;
	struct idset ids;
};

void agg_init(struct agg *a);
void agg_free(struct agg *a);
void agg_add(struct agg *a, const struct recvals *rv);
/* agg_merge adds src into dst (sessions that grow together); src is left as it was. */
void agg_merge(struct agg *dst, const struct agg *src);

/*
 * agg_format appends the window record, with "\n": the fields of the
 * Window record of flightstream(7) in their order.
 */
void agg_format(struct buf *b, int64_t start, int64_t end, const char *key, size_t keylen,
    const struct agg *a, uint64_t late);

/* state.c ---------------------------------------------------------------- */

struct wstate;

/* Called for each window closed, in order; returns -1 when the output failed. */
typedef int (*emit_fn)(void *arg, const char *rec, size_t len);

struct wcounts {
	uint64_t windows;		/* window records emitted */
	uint64_t early;			/* of them, emitted early because their key was evicted */
	uint64_t evicted;		/* keys evicted at --max-keys */
	uint64_t keys;			/* keys held now */
	uint64_t keys_max;		/* the most held at once */
};

struct wstate *state_new(const struct window_opts *o, emit_fn emit, void *arg);
void state_free(struct wstate *st);

/* The watermark: INT64_MIN until the first record. */
int64_t state_watermark(const struct wstate *st);

/*
 * state_add adds a record to its windows of grouping g under key[0..n).
 * Returns 0 when it went into every window of the key it belongs to,
 * 1 when only into some of them (hopping windows some of which have
 * closed), 2 when into none (late: every window it belongs to has
 * closed; it is counted on the key's next window), -1 when the output
 * failed (a key evicted at --max-keys has its windows written at once).
 * With 2, [*late_start, *late_end) is the last window it missed.
 */
int state_add(struct wstate *st, int g, const char *key, size_t n, const struct recvals *rv,
    int64_t *late_start, int64_t *late_end);

/* state_advance moves the watermark to wm (never back) and emits what closed; -1 on output failure. */
int state_advance(struct wstate *st, int64_t wm);

/* state_flush emits every open window (end of input); -1 on output failure. */
int state_flush(struct wstate *st);

void state_counts(const struct wstate *st, struct wcounts *c);

/*
 * With Kafka input (see fs-window(1), KAFKA). state_where says where
 * the records added next come from: a partition slot, an offset and the
 * message's token (slot -1: not Kafka, the default). Each window keeps,
 * per slot, the lowest and highest offset of its records (its spans),
 * written windows too, as long as a cut could split them.
 *
 * state_cut finds the offsets to commit: x[slot] comes in as the next
 * offset to read in each slot the spans name, and goes out lowered so
 * that no window is split: every open window has all its records at or
 * after the cut, and every written window has them all before it, or
 * all at or after it. tok[slot] is set to the token of the message at
 * x[slot] where the cut moved down, and left alone where it did not.
 * Written windows wholly before the cut are forgotten.
 *
 * state_reset drops every window unwritten, every span and the
 * watermark (partitions revoked: they will be read again from the cut).
 */
void state_where(struct wstate *st, int slot, int64_t offset, uint64_t tok);
void state_cut(struct wstate *st, int64_t *x, uint64_t *tok);
void state_reset(struct wstate *st);

#endif
