#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "cli.h"
#include "http.h"
#include "ts.h"

#define NAP_MS		100	/* sleeps are cut in naps this long, to see signals */
#define CONNECT_MAX_MS	10000	/* connecting takes at most this, within the timeout */

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct http_resp *r = arg;

	n *= size;
	if (r->body.len + n > (size_t)HTTP_MAX_BODY) {
		r->too_big = 1;
		return 0;	/* libcurl stops with CURLE_WRITE_ERROR */
	}
	buf_add(&r->body, p, n);
	return n;
}

/* header_value returns the value of header name in line p[0..n), or NULL. */
static const char *
header_value(const char *p, size_t n, const char *name, size_t *vlen)
{
	size_t k = strlen(name);

	if (n <= k || p[k] != ':' || strncasecmp(p, name, k) != 0)
		return NULL;
	p += k + 1;
	n -= k + 1;
	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	*vlen = n;
	return p;
}

/* seconds reads a header value of whole seconds; -1 if it is not one. */
static int64_t
seconds(const char *p, size_t n)
{
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > 12)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct http_resp *r = arg;
	const char *v;
	size_t vlen;
	int64_t s;

	n *= size;
	/* A status line starts a response: after a redirect, only the last one counts. */
	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		r->retry_after_s = -1;
		r->remaining = -1;
	} else if ((v = header_value(p, n, "X-Rate-Limit-Retry-After-Seconds", &vlen)) != NULL) {
		if ((s = seconds(v, vlen)) >= 0)
			r->retry_after_s = s;
	} else if ((v = header_value(p, n, "Retry-After", &vlen)) != NULL) {
		/* The standard header, in seconds; OpenSky's own one wins. */
		if ((s = seconds(v, vlen)) >= 0 && r->retry_after_s < 0)
			r->retry_after_s = s;
	} else if ((v = header_value(p, n, "X-Rate-Limit-Remaining", &vlen)) != NULL) {
		if ((s = seconds(v, vlen)) >= 0)
			r->remaining = s;
	}
	return n;
}

/* on_progress ends a transfer when the program is asked to stop. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	return sig_stop ? 1 : 0;
}

void
http_init(struct http *h, int64_t timeout_ms, int retries)
{
	CURL *c;

	memset(h, 0, sizeof *h);
	h->timeout_ms = timeout_ms;
	h->retries = retries;
	rng_seed(&h->rng, (uint64_t)ts_now_ms() ^ ((uint64_t)getpid() << 40));
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || (c = curl_easy_init()) == NULL)
		fs_errx(EXIT_FAIL, "cannot start libcurl");
	h->curl = c;
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(timeout_ms < CONNECT_MAX_MS ? timeout_ms : CONNECT_MAX_MS));
	/* "" offers every encoding this libcurl decodes (gzip, deflate, br, zstd). */
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTP_MAX_BODY);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "fs-produce/" FS_VERSION " (flightstream)");
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

void
http_free(struct http *h)
{
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	h->curl = NULL;
	curl_global_cleanup();
}

void
http_resp_free(struct http_resp *r)
{
	buf_free(&r->body);
}

/* header adds a header line to list; running out of memory is fatal, as everywhere. */
static struct curl_slist *
header(struct curl_slist *list, const char *line)
{
	struct curl_slist *l;

	if ((l = curl_slist_append(list, line)) == NULL)
		fs_errx(EXIT_FAIL, "out of memory");
	return l;
}

/* transient says whether a transfer that failed with cc may pass on another try. */
static int
transient(CURLcode cc)
{
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

int
http_request(struct http *h, const char *url, const char *bearer,
    const char *form, size_t n, struct http_resp *r)
{
	CURL *c = h->curl;
	struct curl_slist *hdrs, *t;
	struct buf auth = BUF_INIT;
	CURLcode cc;
	long status = 0;

	buf_reset(&r->body);
	r->status = 0;
	r->err[0] = '\0';
	r->retry_after_s = -1;
	r->remaining = -1;
	r->too_big = 0;
	r->stopped = 0;
	r->transient = 0;
	h->errbuf[0] = '\0';

	hdrs = header(NULL, "Accept: application/json");
	if (bearer != NULL) {
		buf_adds(&auth, "Authorization: Bearer ");
		buf_adds(&auth, bearer);
		hdrs = header(hdrs, buf_cstr(&auth));
		explicit_bzero(auth.p, auth.len);
		buf_free(&auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (form != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}

	cc = curl_easy_perform(c);

	/* Forget the body and headers: the caller may wipe and free them now. */
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	if (form != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	for (t = hdrs; t != NULL; t = t->next)	/* one holds the token */
		explicit_bzero(t->data, strlen(t->data));
	curl_slist_free_all(hdrs);

	if (cc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		r->status = status;
		return 0;
	}
	if (cc == CURLE_ABORTED_BY_CALLBACK || sig_stop) {
		r->stopped = 1;
		snprintf(r->err, sizeof r->err, "interrupted");
	} else if (r->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		r->too_big = 1;
		snprintf(r->err, sizeof r->err, "the response is larger than %ld MiB",
		    HTTP_MAX_BODY / (1024 * 1024));
	} else {
		snprintf(r->err, sizeof r->err, "%s", h->errbuf[0] != '\0' ?
		    h->errbuf : curl_easy_strerror(cc));
	}
	r->transient = transient(cc) && !r->too_big && !r->stopped;
	return -1;
}

/*
 * backoff is the wait before retry k (0, 1, ...): d = HTTP_BACKOFF_MS
 * doubled k times (at most HTTP_BACKOFF_MAX_MS), of which half is
 * waited for sure and the other half at random, so that clients that
 * failed together do not retry together.
 */
static int64_t
backoff(struct http *h, int k)
{
	int64_t d = HTTP_BACKOFF_MS;

	while (k-- > 0 && d < HTTP_BACKOFF_MAX_MS)
		d *= 2;
	if (d > HTTP_BACKOFF_MAX_MS)
		d = HTTP_BACKOFF_MAX_MS;
	return d / 2 + (int64_t)rng_below(&h->rng, (uint64_t)(d / 2) + 1);
}

int
http_fetch(struct http *h, const char *url, const char *bearer,
    const char *form, size_t n, struct http_resp *r)
{
	char why[300];
	int64_t wait;
	int rc, k;

	for (k = 0;; k++) {
		rc = http_request(h, url, bearer, form, n, r);
		r->attempts = k + 1;
		if (r->stopped || k >= h->retries)
			return rc;
		if (rc == 0 && r->status < 500 && r->status != 408)
			return rc;
		if (rc != 0 && !r->transient)
			return rc;
		wait = backoff(h, k);
		if (rc != 0)
			snprintf(why, sizeof why, "%s", r->err);
		else
			snprintf(why, sizeof why, "HTTP %ld", r->status);
		if (!h->quiet)
			fs_warnx("'%s': %s; retry %d of %d in %.1fs", url, why, k + 1,
			    h->retries, (double)wait / 1000);
		if (h->retried != NULL)
			(*h->retried)++;
		if (http_sleep(h, wait) != 0) {
			r->stopped = 1;
			return rc;
		}
	}
}

int
http_sleep(struct http *h, int64_t ms)
{
	int64_t due = ts_mono_ms() + ms, now, nap;
	struct timespec ts;

	while (!sig_stop && (now = ts_mono_ms()) < due) {
		if (h->idle != NULL) {
			h->idle(h->idle_arg);
			if ((now = ts_mono_ms()) >= due)
				break;
		}
		nap = due - now < NAP_MS ? due - now : NAP_MS;
		ts.tv_sec = nap / 1000;
		ts.tv_nsec = (long)(nap % 1000) * 1000000L;
		nanosleep(&ts, NULL);	/* EINTR: the loop looks at sig_stop */
	}
	return sig_stop ? -1 : 0;
}

void
http_urlencode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		/* By hand: isalnum(3) depends on the locale. */
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			buf_addc(b, (char)c);
		} else {
			buf_addc(b, '%');
			buf_addc(b, hex[c >> 4]);
			buf_addc(b, hex[c & 15]);
		}
	}
}

int
http_url_ok(const char *url)
{
	CURLU *u;
	char *scheme = NULL;
	int ok = 0;

	if ((u = curl_url()) == NULL)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK)
		ok = strcasecmp(scheme, "http") == 0 || strcasecmp(scheme, "https") == 0;
	curl_free(scheme);
	curl_url_cleanup(u);
	return ok;
}

int
http_host_is(const char *url, const char *domain)
{
	CURLU *u;
	char *host = NULL;
	size_t hl, dl = strlen(domain);
	int yes = 0;

	if ((u = curl_url()) == NULL)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		hl = strlen(host);
		if (hl > 0 && host[hl - 1] == '.')	/* a fully qualified name */
			hl--;
		yes = (hl == dl && strncasecmp(host, domain, dl) == 0) ||
		    (hl > dl && host[hl - dl - 1] == '.' &&
		    strncasecmp(host + hl - dl, domain, dl) == 0);
	}
	curl_free(host);
	curl_url_cleanup(u);
	return yes;
}
