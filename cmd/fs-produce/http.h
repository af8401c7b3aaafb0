/*
 * http: the HTTP client of the live sources (opensky, readsb), over
 * libcurl.
 *
 * One curl handle serves every request of a run, so connections are
 * kept alive between polls. Requests have a total time limit, verify
 * TLS certificates, ask for compressed bodies, follow at most a few
 * redirects and speak only http and https. A request stops early when
 * SIGINT or SIGTERM arrives.
 *
 * http_fetch retries what is likely to pass on a second try, timeouts,
 * refused or dropped connections and 5xx answers, with exponential
 * back-off and jitter, a bounded number of times. Everything else (a
 * 4xx, a body too big) is handed back at once for the caller to judge.
 *
 * Nothing here prints a request body, a header it sent, or a response
 * body: request bodies may hold client secrets and headers bearer
 * tokens.
 */
#ifndef FS_HTTP_H
#define FS_HTTP_H

#include <stdint.h>

#include "buf.h"
#include "rng.h"

#define HTTP_MAX_BODY		(256L * 1024 * 1024)	/* a bigger body is an error */
#define HTTP_BACKOFF_MS		1000	/* the first retry waits about this long */
#define HTTP_BACKOFF_MAX_MS	60000	/* and no retry longer than this */

struct http_resp {
	long status;		/* HTTP status, or 0 when no response arrived */
	struct buf body;
	char err[256];		/* why, when status is 0 */
	int64_t retry_after_s;	/* X-Rate-Limit-Retry-After-Seconds or Retry-After; -1 if absent */
	int64_t remaining;	/* X-Rate-Limit-Remaining; -1 if absent */
	int attempts;		/* requests made by http_fetch */
	int too_big;		/* the body was longer than HTTP_MAX_BODY */
	int stopped;		/* SIGINT or SIGTERM ended the request */
	int transient;		/* no response, for a reason that may pass */
};

struct http {
	void *curl;
	int64_t timeout_ms;	/* a request, connecting included, takes at most this */
	int retries;		/* http_fetch retries at most this many times */
	int quiet;		/* no warnings about retries */
	struct rng rng;		/* jitter */
	uint64_t *retried;	/* counts retries, if not NULL */
	void (*idle)(void *);	/* called while waiting (flush output, stats) */
	void *idle_arg;
	char errbuf[256];
};

/* http_init sets up h; exits 1 with a message if libcurl cannot start. */
void http_init(struct http *h, int64_t timeout_ms, int retries);
void http_free(struct http *h);

/*
 * http_request makes one request: a GET, or a POST of form (n bytes of
 * application/x-www-form-urlencoded) when form is not NULL. With bearer,
 * it sends "Authorization: Bearer <bearer>". The response is in r.
 * Returns 0 when a response arrived (of any status), -1 when none did
 * (r->err says why).
 */
int http_request(struct http *h, const char *url, const char *bearer,
    const char *form, size_t n, struct http_resp *r);

/*
 * http_fetch is http_request with retries, as described above; what
 * it returns is what the last attempt returned, and r->attempts says
 * how many there were. Unless h->quiet, each retry is announced on
 * stderr with its reason and its wait.
 */
int http_fetch(struct http *h, const char *url, const char *bearer,
    const char *form, size_t n, struct http_resp *r);

/*
 * http_sleep waits ms milliseconds in short naps, calling h->idle before
 * each. Returns 0, or -1 when SIGINT or SIGTERM ended the wait.
 */
int http_sleep(struct http *h, int64_t ms);

/* http_resp_free frees the body of r. */
void http_resp_free(struct http_resp *r);

/*
 * http_urlencode appends s, percent-encoded for a form or a query
 * (everything but A-Z a-z 0-9 - . _ ~), to b.
 */
void http_urlencode(struct buf *b, const char *s);

/* http_url_ok says whether url is a whole http:// or https:// URL. */
int http_url_ok(const char *url);

/*
 * http_host_is says whether url's host is domain or one of its
 * subdomains (http_host_is("https://a.opensky-network.org/x",
 * "opensky-network.org") is 1).
 */
int http_host_is(const char *url, const char *domain);

#endif
