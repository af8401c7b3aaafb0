/*
 * fs-serve: the live picture of the sky over HTTP.
 *
 * The program is split by job: state.c keeps the picture (aircraft,
 * trails, anomalies, windows, counters) and writes it as JSON, knowing
 * nothing of threads or HTTP; push.c keeps the Server-Sent Events
 * clients and the frames they are sent; http.c is the libmicrohttpd
 * server (routes, static files, gzip, the token); input.c is the one
 * place that reads records; main.c reads the options and runs the
 * threads. See fs-serve(1).
 *
 * Threads: main reads and adds records, the publisher (main.c) moves
 * the clock and makes a frame every --push-interval, and
 * libmicrohttpd's one epoll thread serves every connection. The
 * picture is guarded by serve.lock, the clients by push.c's own lock.
 */
#ifndef FS_SERVE_H
#define FS_SERVE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cli.h"
#include "event.h"

/* The SYNOPSIS of fs-serve(1); --help prints it, and so does a usage error. */
#define SERVE_USAGE \
	"fs-serve [--listen ADDR:PORT] [--expire D] [--trail D] [--push-interval D]\n" \
	"                [--www DIR] [--token-file FILE] [--cors ORIGIN] [--port-file FILE]\n" \
	"                [--max-aircraft N] [--max-clients N] [common options] [file ...]\n" \
	CLI_USAGE_COMMON

#define TRAIL_MAX 128		/* points kept per aircraft, spread over --trail */
#define RECORD_MAX 8192		/* bytes of the latest record kept per aircraft */
#define ANOMALIES_MAX 1000	/* recent anomalies kept */
#define WINDOWS_PER_KEY 8	/* recent windows kept per key */
#define KEY_MAX 128		/* bytes of a window key */

/* The settings, from the command line; read-only once the threads start. */
struct serve_opts {
	int64_t expire_ms;	/* 0: aircraft never expire */
	int64_t trail_ms;
	int64_t push_ms;
	size_t max_aircraft;
	size_t max_keys;	/* window keys */
};

/* state.c ---------------------------------------------------------------- */

struct sstate;

/* The picture's own counters, for /metrics and the frames. */
struct scounts {
	uint64_t records;	/* used */
	uint64_t positions, windows, anomalies;
	uint64_t stale;		/* older than the aircraft's latest: trail only */
	uint64_t too_old;	/* older than --expire when read: not kept */
	uint64_t expired, evicted;
	uint64_t aircraft;	/* held now */
	uint64_t keys;		/* window keys held */
	uint64_t seq;		/* last frame published */
	double rate;		/* records per second over the last interval */
	int64_t now;		/* the picture's clock, ms */
	int64_t newest;		/* newest event time read, INT64_MIN none */
};

/* What /api/aircraft asks for. */
struct filter {
	int bbox;		/* lon0 <= lon <= lon1, lat0 <= lat <= lat1 */
	double lon0, lat0, lon1, lat1;
	int anomalous;		/* only aircraft whose latest record is an anomaly */
	const char *callsign;	/* a prefix, case-insensitive; NULL none */
	const char *icao24;	/* a prefix, case-insensitive; NULL none */
	size_t limit;		/* 0: all */
};

/* state_new makes an empty picture; it never fails (memory is fatal, buf.h). */
struct sstate *state_new(const struct serve_opts *o);
void state_free(struct sstate *s);

/*
 * state_add takes one parsed record (line[0..len) is ev's text) read at
 * wall clock wall_ms: a position (with icao24), or a window (with
 * window_start, window_end and key). Returns 0, or -1 with a reject
 * code and message when the record cannot be used.
 */
int state_add(struct sstate *s, const struct event *ev, int64_t wall_ms,
    const char **code, char *msg, size_t msgsz);

/*
 * state_tick moves the clock to wall_ms, expires aircraft and trail
 * points, and publishes what changed since the last tick as frame
 * number seq. Returns seq, or 0 when nothing changed.
 */
uint64_t state_tick(struct sstate *s, int64_t wall_ms);

/*
 * state_frame appends the JSON of a push frame: what changed after
 * frame since (a delta), or everything (a snapshot) when since is 0 or
 * too old to tell removals from. *snapshot says which it wrote.
 */
void state_frame(struct sstate *s, uint64_t since, struct buf *out, int *snapshot);

/* state_delta_ok says whether state_frame(since) would be a delta. */
int state_delta_ok(const struct sstate *s, uint64_t since);

/* The JSON documents of the HTTP API, appended to out; -1: no such aircraft. */
void state_readsb(struct sstate *s, struct buf *out);
void state_receiver(struct sstate *s, struct buf *out);
void state_list(struct sstate *s, const struct filter *f, struct buf *out);
int state_one(struct sstate *s, const char *icao, struct buf *out);
int state_geojson(struct sstate *s, const char *icao, struct buf *out);
void state_anomalies(struct sstate *s, size_t limit, struct buf *out);
void state_windows(struct sstate *s, const char *key, struct buf *out);

void state_counts(const struct sstate *s, struct scounts *c);

/* push.c ----------------------------------------------------------------- */

struct MHD_Connection;
struct MHD_Response;

#define PUSH_QUEUE 8		/* frames queued per client before it is coalesced */
#define PUSH_SNDBUF (128 * 1024)	/* a push client's socket send buffer (the kernel doubles it) */

struct push_counts {
	uint64_t clients;	/* connected now */
	uint64_t connected;	/* ever */
	uint64_t frames;	/* frames published */
	uint64_t events;	/* frames sent to clients, whole */
	uint64_t bytes;
	uint64_t coalesced;	/* queues replaced by one frame of the latest state */
	uint64_t dropped;	/* clients too far behind, closed */
	uint64_t resumed;	/* reconnections that resumed from Last-Event-ID */
};

/*
 * push_init prepares the client list; frames come from state_frame
 * under *lock. boot tells this run's event ids from another's.
 */
void push_init(struct sstate *st, pthread_mutex_t *lock, uint64_t boot);

/*
 * push_response makes the event stream for a new client that sent
 * Last-Event-ID last (NULL: none). NULL when the server is stopping.
 */
struct MHD_Response *push_response(struct MHD_Connection *conn, const char *last);

/*
 * push_listening says whether any client is connected: frames are made
 * only for clients (one that connects gets the picture as it is then).
 */
int push_listening(void);

/* push_publish hands frame seq (state_tick's, its JSON from state_frame) to every client. */
void push_publish(uint64_t seq, int snapshot, const char *json, size_t n);

/* push_stop ends every stream (clients see the end, not a reset). */
void push_stop(void);

void push_counts(struct push_counts *c);
void push_free(void);	/* after the server stopped */

/* http.c ----------------------------------------------------------------- */

struct http_opts {
	const char *listen;	/* ADDR:PORT */
	const char *www;	/* NULL: no static files */
	const char *token;	/* NULL: no token needed */
	const char *cors;	/* NULL: no CORS headers */
	const char *port_file;
	unsigned max_clients;
	int64_t push_ms;	/* how long a cached aircraft.json lives */
	int verbose;
};

/* Read by /metrics and /health; set by main.c and input.c. */
struct serve_status {
	volatile int input_done;	/* the input ended */
	volatile int64_t lag;		/* Kafka consumer lag, -1 none */
	uint64_t in, rejected;		/* guarded by the state lock */
};

/*
 * http_start listens and serves in libmicrohttpd's thread. Returns 0,
 * or -1 with a message when the address cannot be used.
 */
int http_start(const struct http_opts *o, struct sstate *st, pthread_mutex_t *lock,
    struct serve_status *status);
void http_stop(void);

/* input.c ---------------------------------------------------------------- */


#endif
