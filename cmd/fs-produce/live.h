/*
 * live: what the live sources (opensky, readsb) share besides HTTP:
 * the polling options, the loop that paces polls, the Position record
 * written in the simulator's key order, remembering which positions
 * were already sent, and reading JSON responses with yajl_tree.
 */
#ifndef FS_LIVE_H
#define FS_LIVE_H

#include <stdint.h>
#include <yajl/yajl_tree.h>

#include "buf.h"
#include "cli.h"
#include "hmap.h"
#include "http.h"
#include "io.h"
#include "reject.h"
#include "stats.h"

/* The polling options; put LIVE_LONGOPTS in a source's table. */
enum {
	LIVE_OPT_INTERVAL = OPT_PROGRAM + 0x80,
	LIVE_OPT_ONCE,
	LIVE_OPT_TIMEOUT,
	LIVE_OPT_RETRIES,
};

#define LIVE_LONGOPTS \
	{ "interval", required_argument, NULL, LIVE_OPT_INTERVAL }, \
	{ "once", no_argument, NULL, LIVE_OPT_ONCE }, \
	{ "timeout", required_argument, NULL, LIVE_OPT_TIMEOUT }, \
	{ "retries", required_argument, NULL, LIVE_OPT_RETRIES }

#define LIVE_RETRIES_DEFAULT	3
#define LIVE_FORGET_MS		(10 * 60 * 1000)	/* forget an aircraft unseen this long */

/* The fields of a Position record after "timestamp", in their order. */
enum pf {
	PF_ICAO24,
	PF_CALLSIGN,
	PF_ORIGIN_COUNTRY,
	PF_LATITUDE,
	PF_LONGITUDE,
	PF_BARO_ALTITUDE,
	PF_GEO_ALTITUDE,
	PF_VELOCITY,
	PF_HEADING,
	PF_VERTICAL_RATE,
	PF_ON_GROUND,
	PF_SQUAWK,
	PF_SPI,
	PF_POSITION_SOURCE,
	PF_CATEGORY,
	PF_SENSORS,
	PF_SOURCE,
	PF_COUNT
};

/*
 * rec is one Position record being built: the time, and the JSON text
 * of each field (a field never set is null). key is the aircraft, for
 * remembering what was sent.
 */
struct rec {
	int64_t ts;
	char key[16];
	struct buf text;
	size_t off[PF_COUNT], len[PF_COUNT];
};

struct seen_ent {
	char key[16];		/* as struct rec's */
	uint32_t hash;
	int64_t ts;		/* the position time last sent */
	int64_t mono;		/* when the aircraft was last in a response */
};

/* seen maps an aircraft to the time of the position last sent for it. */
struct seen {
	struct seen_ent *v;
	size_t n, cap;
	struct hmap map;	/* key to index in v */
};

struct live {
	struct cli cli;
	struct stats st;
	struct rejects rj;
	struct io_out out;
	struct http http;
	struct seen seen;
	struct rec rec;
	struct buf line, scratch;
	int64_t interval;	/* ms from the start of one poll to the next */
	int64_t timeout;	/* ms a request may take */
	int retries;
	int interval_set;	/* --interval was given */
	int once;
	int64_t hold_until;	/* monotonic ms: no poll before this (after a 429) */
	int fatal;		/* a poll found a fault that waiting will not mend */
	uint64_t *polls, *failed;
};

/* live_init sets the defaults and the common options up (cli_init). */
void live_init(struct live *lv, int64_t interval, int64_t timeout);

/*
 * live_option handles a polling option or a common one (cli_option);
 * returns 1 if ch was one, 0 if not. A bad value exits 2.
 */
int live_option(struct live *lv, int ch, const char *arg);

/* live_start opens the output, the rejects and the HTTP client. -1 on failure. */
int live_start(struct live *lv);

/*
 * live_run calls poll(lv, arg) every lv->interval (once with lv->once),
 * flushing the output after each poll, until SIGINT or SIGTERM. poll
 * returns 0, or -1 when it failed, having said why. Returns 0, or -1
 * when the output failed, a poll set lv->fatal, or the only poll of
 * --once failed.
 */
int live_run(struct live *lv, int (*poll)(struct live *, void *), void *arg);

/* live_finish closes everything and returns the exit status, given rc from live_run. */
int live_finish(struct live *lv, int rc);

/* rec_begin starts a record at time ts (ms) for aircraft key (n bytes). */
void rec_begin(struct rec *r, int64_t ts, const char *key, size_t n);
void rec_str(struct rec *r, enum pf f, const char *s, size_t n);
void rec_fixed(struct rec *r, enum pf f, double v, int decimals);
void rec_bool(struct rec *r, enum pf f, int v);
void rec_int(struct rec *r, enum pf f, int64_t v);
/* rec_json sets f to v as JSON text, numbers as they were written. */
void rec_json(struct rec *r, enum pf f, yajl_val v);
/* rec_callsign sets the callsign with its spaces trimmed; only spaces make null. */
void rec_callsign(struct rec *r, const char *s);

/*
 * live_emit writes lv->rec, unless the aircraft's last record had a
 * position time within tolerance_ms of it: then it counts a duplicate.
 * -1 when the output failed.
 */
int live_emit(struct live *lv, int64_t tolerance_ms);

/*
 * live_parse parses a response body into a tree. On failure it says
 * that the response from what is malformed, with the first bytes of
 * the body, counts it, and returns NULL. The caller frees the tree with
 * yajl_tree_free.
 */
yajl_val live_parse(struct live *lv, const char *what, struct buf *body);

/*
 * live_list parses body, a JSON object, and finds the array under key
 * in it: *list is the array, or NULL when the value is null and
 * nullable says that null means an empty list. *root is the tree, for
 * the caller to free with yajl_tree_free. Returns 0, or -1 when the body
 * is malformed, having said so (nothing to free then).
 */
int live_list(struct live *lv, const char *what, struct buf *body, const char *key,
    int nullable, yajl_val *root, yajl_val *list);

/*
 * live_reject turns down v, an item of a response, with code and a
 * message: the reject's line is v as JSON text. -1 if it could not be
 * written.
 */
int live_reject(struct live *lv, yajl_val v, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* live_malformed reports a response from what that is not what was expected. */
void live_malformed(struct live *lv, const char *what, const char *why,
    const char *body, size_t n);

/* live_get returns the value of key in object v, or NULL. */
yajl_val live_get(yajl_val v, const char *key);

/* live_json appends v as JSON text, numbers as they were written. */
void live_json(struct buf *b, yajl_val v);

/* live_type names the JSON type of v, for messages ("a string"). */
const char *live_type(yajl_val v);

/*
 * live_failed reports that the request for what (words that end with
 * "from", or "") url got no usable answer: r->status 0, none at all,
 * else the HTTP status, with the first bytes of the body if show_body.
 * It is silent when SIGINT or SIGTERM stopped the request. Returns -1.
 */
int live_failed(const char *what, const char *url, const struct http_resp *r, int show_body);

/*
 * live_hide keeps s (a copy; NULL or "" for none) out of the response
 * bodies that messages quote, as "***", in place of what slot held.
 */
enum { LIVE_HIDE_TOKEN, LIVE_HIDE_SECRET, LIVE_HIDE_SECRET_FORM, LIVE_HIDDEN_SLOTS };
void live_hide(int slot, const char *s);

/* live_read_file reads path ("-" is stdin) into b. -1 and a message on failure. */
int live_read_file(const char *path, struct buf *b);

/* live_read_fd reads fd to its end into b; name is for messages. -1 and a message on failure. */
int live_read_fd(int fd, const char *name, struct buf *b);

#endif
