/*
 * fs-clean: validate, deduplicate, check plausibility, derive features.
 *
 * The program is split by job: fastev.c parses (event_parse, faster),
 * check.c decides whether a record can be used at all (reject codes),
 * track.c keeps per-aircraft state (deduplication, kinematics, quality
 * flags), phase.c labels the flight phase, emit.c writes the clean
 * record, and main.c reads, counts and rejects. See fs-clean(1).
 */
#ifndef FS_CLEAN_H
#define FS_CLEAN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cli.h"
#include "event.h"
#include "phase.h"
#include "qflag.h"

/* The SYNOPSIS of fs-clean(1); --help prints it, and so does a usage error. */
#define CLEAN_USAGE \
	"fs-clean [--dedup-window D] [--reject-duplicates] [--expire D]\n" \
	"                [--max-future D | --no-clock-check] [--require WHAT[,WHAT...]]\n" \
	"                [--grid DEG] [--max-speed M/S] [--jump-factor X] [--jump-floor M/S]\n" \
	"                [--jump-slack M] [--spike-rate M/S] [--spike-slack M]\n" \
	"                [--stuck-distance M] [--reanchor D] [--phase-window D]\n" \
	"                [--phase-dwell D] [--max-aircraft N] [--dedup-max N]\n" \
	"                [common options] [file ...]\n" \
	CLI_USAGE_COMMON

/*
 * The fields fs-clean adds, in the order it writes them after the
 * fields of the input. An input field with one of these names is
 * replaced: it is removed, and the new value is written at the end.
 */
#define CLEAN_FIELDS(X) \
	X(velocity_kt) X(altitude_ft) X(geo_altitude_ft) X(vertical_rate_fpm) \
	X(hour) X(day_of_week) X(hour_sin) X(hour_cos) \
	X(day_of_week_sin) X(day_of_week_cos) X(grid_x) X(grid_y) \
	X(dt_s) X(dist_m) X(implied_speed) X(turn_rate) X(accel) \
	X(alt_change_m) X(vertical_rate_error) X(flight_phase) \
	X(quality_flags) X(processing_timestamp)

/* What --require can ask for. */
enum {
	REQ_POSITION = 1 << 0,
	REQ_ALTITUDE = 1 << 1,
	REQ_VELOCITY = 1 << 2,
};

/* The settings, from the command line; read-only once the loop starts. */
struct clean_opts {
	int64_t dedup_window_ms;	/* 0: no deduplication */
	int reject_dups;
	int64_t expire_ms;
	int64_t max_future_ms;
	int clock_check;
	unsigned require;		/* REQ_* bits */
	double grid;			/* degrees */
	double max_speed;		/* m/s: impossible_speed, and the guess when no speed is known */
	double jump_factor;		/* allowance over the reported speed */
	double jump_floor;		/* m/s: the least allowance in the air */
	double jump_slack;		/* m: distance always allowed in the air */
	double spike_rate;		/* m/s: allowed error of the reported vertical rate */
	double spike_slack;		/* m: altitude change always allowed */
	double stuck_distance;		/* m */
	int64_t reanchor_ms;
	int64_t phase_window_ms;
	int64_t phase_dwell_ms;
	size_t max_aircraft;
	size_t dedup_max;
};

/*
 * A record's values, decoded by check_record. Measurements that are
 * null or absent are NaN; on_ground is -1 when unknown.
 */
struct rec {
	uint32_t icao;
	int64_t t;
	double lat, lon, baro, geo, vel, hdg, vr;
	int on_ground;
};

/*
 * check_record validates a parsed record and decodes it into r. It
 * normalises icao24, timestamp, callsign and squawk in ev (edits), and
 * removes input fields that have the name of a field fs-clean adds.
 * Returns 0, or -1 with a stable reject code and a message.
 */
int check_record(struct event *ev, const struct clean_opts *o, int64_t now,
    struct rec *r, const char **code, char *msg, size_t msgsz);

/*
 * The reject codes check_record can return, with the name of their
 * counter (a Prometheus-safe form of the code). Used by main.c to
 * count per code and by the tests through the man page.
 */
struct reject_code {
	const char *code;
	const char *counter;
};
extern const struct reject_code reject_codes[];

/*
 * phase_fuzzy labels one state of flight with OpenAP's fuzzy rules:
 * altitude in feet, rate of climb in feet per minute, speed in knots.
 */
int phase_fuzzy(double alt_ft, double roc_fpm, double spd_kt);

/* What track_record derives for one record; NaN where it cannot. */
struct kin {
	double dt_s, dist_m, implied_speed, turn_rate, accel;
	double alt_change_m, vrate_error;
	unsigned flags;			/* 1 << QF_* */
	int phase;
};

/*
 * emit.c: emit_init once, then emit_record appends the clean record and
 * "\n" to b. The input's fields are obj[0..objlen), the object's bytes
 * without its closing brace, when the record has no edits; with obj
 * NULL they are written by event_write.
 */
void emit_init(void);
void emit_record(struct buf *b, const struct event *ev, const char *obj, size_t objlen,
    const struct rec *r, const struct kin *k, double grid, int64_t now);

/* Per-aircraft state, deduplication and eviction: track.c. */
struct track;

struct track_counts {
	uint64_t expired;		/* state dropped after --expire */
	uint64_t evicted;		/* state dropped early: --max-aircraft */
	uint64_t dedup_evicted;		/* timestamps forgotten early: --dedup-max */
};

struct track *track_new(const struct clean_opts *o);
void track_free(struct track *tk);

/*
 * track_record looks r up in its aircraft's state. Returns 1 when it
 * is a duplicate (nothing else is done), else 0 after filling k and
 * updating the state.
 */
int track_record(struct track *tk, const struct rec *r, struct kin *k);

void track_counts(const struct track *tk, struct track_counts *c);

#endif
