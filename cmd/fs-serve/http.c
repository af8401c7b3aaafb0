/*
 * http: fs-serve's HTTP server, on libmicrohttpd.
 *
 * One libmicrohttpd thread serves every connection with epoll
 * (MHD_USE_EPOLL_INTERNAL_THREAD): what a push client costs is a copy
 * of a shared frame when its socket can take it, so a thousand clients
 * fit on one core, and no thread per connection (a stack each, and
 * context switches) is needed. Reading records runs on another thread
 * and meets this one only at the state lock, held to copy the picture
 * out, never while writing to a socket.
 *
 * Requests: GET and HEAD (and OPTIONS with --cors); no request bodies;
 * headers limited by the connection's memory pool. Static files come
 * from --www only: a path is resolved with realpath(3) and must stay
 * under the folder, so neither ".." nor a symbolic link leads out.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#include "json.h"
#include "serve.h"
#include "ts.h"

#define HEADER_MEMORY (16 * 1024)	/* per connection: the request line and headers */
#define BODY_MAX 1024			/* requests carry no body; a small one is ignored */
#define GZIP_MIN 512			/* smaller JSON is sent as it is */
#define IDLE_TIMEOUT_S 60		/* a connection with nothing moving is closed */

static struct {
	struct http_opts o;
	struct sstate *st;
	pthread_mutex_t *lock;
	struct serve_status *status;
	struct MHD_Daemon *d;
	char *root;		/* realpath of --www */
	int64_t started;
	/* /data/aircraft.json, made at most once per frame and --push-interval */
	struct MHD_Response *ac[2];	/* plain, gzip */
	uint64_t ac_seq;
	int64_t ac_made;
} H;

/* ---- responses ---- */

static void
common_headers(struct MHD_Response *r, const char *type)
{
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (H.o.cors != NULL) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, H.o.cors);
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Origin");
	}
}

static enum MHD_Result
queue(struct MHD_Connection *conn, unsigned status, struct MHD_Response *r)
{
	enum MHD_Result rc;

	if (r == NULL)
		return MHD_NO;
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* take makes a response that owns b's bytes; b is left empty. */
static struct MHD_Response *
take(struct buf *b, const char *type)
{
	struct MHD_Response *r;

	buf_addc(b, '\n');
	r = MHD_create_response_from_buffer(b->len, b->p, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		buf_free(b);
		return NULL;
	}
	b->p = NULL;
	b->len = b->cap = 0;
	common_headers(r, type);
	return r;
}

static enum MHD_Result
error(struct MHD_Connection *conn, unsigned status, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	struct MHD_Response *r;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	buf_adds(&b, "{\"error\":");
	json_strz(&b, msg);
	buf_addc(&b, '}');
	r = take(&b, "application/json");
	if (r != NULL && status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW,
		    H.o.cors != NULL ? "GET, HEAD, OPTIONS" : "GET, HEAD");
	if (r != NULL && status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Bearer realm=\"fs-serve\"");
	return queue(conn, status, r);
}

/* accepts_gzip: the client's Accept-Encoding names gzip (or *), and not with q=0. */
static int
accepts_gzip(struct MHD_Connection *conn)
{
	const char *p = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_ACCEPT_ENCODING);
	const char *q;
	size_t n;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " ,");
		n = strcspn(p, ";, ");
		q = p + n + strspn(p + n, " ");
		if ((n == 4 && strncasecmp(p, "gzip", 4) == 0) || (n == 1 && *p == '*')) {
			/* "gzip;q=0" and "gzip; q=0.000" refuse it. */
			if (*q == ';') {
				q++;
				q += strspn(q, " ");
				if (strncasecmp(q, "q=0", 3) == 0 && q[3 + strspn(q + 3, ".0")] != '.' &&
				    strchr(", ", q[3 + strspn(q + 3, ".0")]) != NULL)
					return 0;
			}
			return 1;
		}
		p += strcspn(p, ",");
	}
	return 0;
}

/* gzip compresses b[0..n) into out (replaced); -1 if zlib failed. */
static int
gzip(const char *p, size_t n, struct buf *out)
{
	z_stream z;
	int rc;

	memset(&z, 0, sizeof z);
	/* Level 1: most of the saving on JSON this repetitive, at a fraction of the time. */
	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	buf_reset(out);
	buf_grow(out, deflateBound(&z, n));
	z.next_in = (unsigned char *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	z.next_out = (unsigned char *)out->p;
	z.avail_out = (uInt)out->cap;
	rc = deflate(&z, Z_FINISH);
	out->len = z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -1;
}

/* json_response sends b as JSON, compressed when the client takes gzip. */
static struct MHD_Response *
json_response(struct MHD_Connection *conn, struct buf *b, const char *type, int gz)
{
	struct buf z = BUF_INIT;
	struct MHD_Response *r;

	if (gz && b->len >= GZIP_MIN) {
		buf_addc(b, '\n');
		if (gzip(b->p, b->len, &z) == 0) {
			r = MHD_create_response_from_buffer(z.len, z.p, MHD_RESPMEM_MUST_FREE);
			if (r == NULL) {
				buf_free(&z);
				return NULL;
			}
			common_headers(r, type);
			MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
			MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
			MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
			buf_free(b);
			return r;
		}
		buf_free(&z);
		b->len--;
	}
	r = take(b, type);
	if (r != NULL) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	}
	return r;
}

/* ---- the routes ---- */

/*
 * aircraft_json serves /data/aircraft.json from a response made once
 * per frame (and at least every --push-interval, for the ages): like
 * readsb's own file, it is as fresh as the last update, and a thousand
 * readers cost one.
 */
static enum MHD_Result
aircraft_json(struct MHD_Connection *conn)
{
	struct buf b = BUF_INIT;
	struct scounts c;
	int64_t now = ts_mono_ms();
	int gz = accepts_gzip(conn), i;

	pthread_mutex_lock(H.lock);
	state_counts(H.st, &c);
	if (c.seq != H.ac_seq || now - H.ac_made >= H.o.push_ms || H.ac[0] == NULL) {
		for (i = 0; i < 2; i++)
			if (H.ac[i] != NULL) {
				MHD_destroy_response(H.ac[i]);
				H.ac[i] = NULL;
			}
		H.ac_seq = c.seq;
		H.ac_made = now;
	}
	if (H.ac[gz] == NULL) {
		state_readsb(H.st, &b);
		pthread_mutex_unlock(H.lock);
		H.ac[gz] = json_response(conn, &b, "application/json", gz);
	} else
		pthread_mutex_unlock(H.lock);
	if (H.ac[gz] == NULL)
		return MHD_NO;
	return MHD_queue_response(conn, MHD_HTTP_OK, H.ac[gz]);
}

struct args {
	struct MHD_Connection *conn;
	const char *const *allowed;
	const char *bad;
};

static enum MHD_Result
check_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct args *a = cls;
	int i;

	(void)kind;
	(void)value;
	for (i = 0; a->allowed[i] != NULL; i++)
		if (strcmp(a->allowed[i], key) == 0)
			return MHD_YES;
	a->bad = key;
	return MHD_NO;
}

/* unknown_arg returns the first query parameter not in allowed, or NULL. */
static const char *
unknown_arg(struct MHD_Connection *conn, const char *const *allowed)
{
	struct args a = { conn, allowed, NULL };

	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, check_arg, &a);
	return a.bad;
}

static const char *
arg(struct MHD_Connection *conn, const char *key)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
}

/* parse_limit reads ?limit=N; -1 when it is not a number from 1 to 100000. */
static long
parse_limit(const char *s)
{
	char *end;
	long v;

	if (s == NULL)
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 100000)
		return -1;
	return v;
}

static enum MHD_Result
api_aircraft(struct MHD_Connection *conn, int gz)
{
	static const char *const allowed[] = { "bbox", "anomalous", "callsign", "icao24",
		"limit", NULL };
	struct filter f;
	struct buf b = BUF_INIT;
	const char *s, *bad;
	long limit;
	int n = 0;

	memset(&f, 0, sizeof f);
	if ((bad = unknown_arg(conn, allowed)) != NULL)
		return error(conn, MHD_HTTP_BAD_REQUEST, "unknown parameter '%s'", bad);
	if ((s = arg(conn, "bbox")) != NULL) {
		if (sscanf(s, "%lf,%lf,%lf,%lf%n", &f.lon0, &f.lat0, &f.lon1, &f.lat1, &n) != 4 ||
		    s[n] != '\0' || !(f.lon0 <= f.lon1 && f.lat0 <= f.lat1) ||
		    fabs(f.lat0) > 90 || fabs(f.lat1) > 90 || fabs(f.lon0) > 180 || fabs(f.lon1) > 180)
			return error(conn, MHD_HTTP_BAD_REQUEST, "invalid bbox '%s': not "
			    "west,south,east,north in degrees", s);
		f.bbox = 1;
	}
	if ((s = arg(conn, "anomalous")) != NULL) {
		if (strcmp(s, "1") == 0 || strcmp(s, "true") == 0 || *s == '\0')
			f.anomalous = 1;
		else if (strcmp(s, "0") != 0 && strcmp(s, "false") != 0)
			return error(conn, MHD_HTTP_BAD_REQUEST, "invalid anomalous '%s': not "
			    "true or false", s);
	}
	f.callsign = arg(conn, "callsign");
	f.icao24 = arg(conn, "icao24");
	if ((limit = parse_limit(arg(conn, "limit"))) < 0)
		return error(conn, MHD_HTTP_BAD_REQUEST, "invalid limit '%s': not 1 to 100000",
		    arg(conn, "limit"));
	f.limit = (size_t)limit;
	pthread_mutex_lock(H.lock);
	state_list(H.st, &f, &b);
	pthread_mutex_unlock(H.lock);
	return queue(conn, MHD_HTTP_OK, json_response(conn, &b, "application/json", gz));
}

/* api_one serves /api/aircraft/ICAO and /api/aircraft/ICAO/trail.geojson. */
static enum MHD_Result
api_one(struct MHD_Connection *conn, const char *rest, int gz)
{
	static const char *const none[] = { NULL };
	struct buf b = BUF_INIT;
	char icao[16];
	const char *slash = strchr(rest, '/'), *bad;
	size_t n = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	int geo = 0, rc;

	if (n == 0 || n >= sizeof icao)
		return error(conn, MHD_HTTP_NOT_FOUND, "no such aircraft");
	if (slash != NULL) {
		if (strcmp(slash, "/trail.geojson") != 0)
			return error(conn, MHD_HTTP_NOT_FOUND, "no such resource");
		geo = 1;
	}
	if ((bad = unknown_arg(conn, none)) != NULL)
		return error(conn, MHD_HTTP_BAD_REQUEST, "unknown parameter '%s'", bad);
	memcpy(icao, rest, n);
	icao[n] = '\0';
	pthread_mutex_lock(H.lock);
	rc = geo ? state_geojson(H.st, icao, &b) : state_one(H.st, icao, &b);
	pthread_mutex_unlock(H.lock);
	if (rc != 0) {
		buf_free(&b);
		return error(conn, MHD_HTTP_NOT_FOUND, "no aircraft '%s'", icao);
	}
	return queue(conn, MHD_HTTP_OK, json_response(conn, &b,
	    geo ? "application/geo+json" : "application/json", gz));
}

static enum MHD_Result
api_anomalies(struct MHD_Connection *conn, int gz)
{
	static const char *const allowed[] = { "limit", NULL };
	struct buf b = BUF_INIT;
	const char *bad;
	long limit;

	if ((bad = unknown_arg(conn, allowed)) != NULL)
		return error(conn, MHD_HTTP_BAD_REQUEST, "unknown parameter '%s'", bad);
	if ((limit = parse_limit(arg(conn, "limit"))) < 0)
		return error(conn, MHD_HTTP_BAD_REQUEST, "invalid limit '%s': not 1 to 100000",
		    arg(conn, "limit"));
	pthread_mutex_lock(H.lock);
	state_anomalies(H.st, (size_t)limit, &b);
	pthread_mutex_unlock(H.lock);
	return queue(conn, MHD_HTTP_OK, json_response(conn, &b, "application/json", gz));
}

static enum MHD_Result
api_windows(struct MHD_Connection *conn, int gz)
{
	static const char *const allowed[] = { "key", NULL };
	struct buf b = BUF_INIT;
	const char *bad;

	if ((bad = unknown_arg(conn, allowed)) != NULL)
		return error(conn, MHD_HTTP_BAD_REQUEST, "unknown parameter '%s'", bad);
	pthread_mutex_lock(H.lock);
	state_windows(H.st, arg(conn, "key"), &b);
	pthread_mutex_unlock(H.lock);
	return queue(conn, MHD_HTTP_OK, json_response(conn, &b, "application/json", gz));
}

static void
metric(struct buf *b, const char *name, const char *type, const char *help, double v)
{
	buf_addf(b, "# HELP fs_serve_%s %s\n# TYPE fs_serve_%s %s\nfs_serve_%s %.17g\n",
	    name, help, name, type, name, v);
}

static enum MHD_Result
metrics(struct MHD_Connection *conn)
{
	struct buf b = BUF_INIT;
	struct scounts c;
	struct push_counts p;
	uint64_t in, rejected;
	int64_t wall = ts_now_ms();

	pthread_mutex_lock(H.lock);
	state_counts(H.st, &c);
	in = H.status->in;
	rejected = H.status->rejected;
	pthread_mutex_unlock(H.lock);
	push_counts(&p);
	metric(&b, "records_in_total", "counter", "Lines read.", (double)in);
	metric(&b, "records_used_total", "counter", "Records taken into the picture.", (double)c.records);
	metric(&b, "records_rejected_total", "counter", "Lines rejected.", (double)rejected);
	metric(&b, "records_stale_total", "counter", "Records older than their aircraft's latest.",
	    (double)c.stale);
	metric(&b, "records_too_old_total", "counter", "Records older than --expire when read.",
	    (double)c.too_old);
	metric(&b, "windows_total", "counter", "Window records read.", (double)c.windows);
	metric(&b, "anomalies_total", "counter", "Anomalous records read.", (double)c.anomalies);
	metric(&b, "aircraft", "gauge", "Aircraft held.", (double)c.aircraft);
	metric(&b, "aircraft_expired_total", "counter", "Aircraft not heard from for --expire.",
	    (double)c.expired);
	metric(&b, "aircraft_evicted_total", "counter", "Aircraft dropped at --max-aircraft.",
	    (double)c.evicted);
	metric(&b, "window_keys", "gauge", "Window keys held.", (double)c.keys);
	metric(&b, "records_per_second", "gauge", "Records used per second, last interval.", c.rate);
	metric(&b, "clients", "gauge", "Push clients connected.", (double)p.clients);
	metric(&b, "clients_connected_total", "counter", "Push clients that connected.",
	    (double)p.connected);
	metric(&b, "clients_resumed_total", "counter", "Push clients that resumed from Last-Event-ID.",
	    (double)p.resumed);
	metric(&b, "clients_coalesced_total", "counter",
	    "Times a slow push client was sent the latest state instead of its queue.", (double)p.coalesced);
	metric(&b, "clients_dropped_total", "counter", "Push clients too far behind, closed.",
	    (double)p.dropped);
	metric(&b, "frames_total", "counter", "Frames published.", (double)p.frames);
	metric(&b, "events_pushed_total", "counter", "Frames sent whole to push clients.",
	    (double)p.events);
	metric(&b, "push_bytes_total", "counter", "Bytes sent to push clients.", (double)p.bytes);
	metric(&b, "input_lag_seconds", "gauge", "Wall clock less the newest event time read.",
	    c.newest == INT64_MIN ? NAN : (double)(wall - c.newest) / 1000);
	if (H.status->lag >= 0)
		metric(&b, "kafka_lag", "gauge", "Kafka consumer lag, messages.",
		    (double)H.status->lag);
	metric(&b, "input_done", "gauge", "1 once the input ended.", H.status->input_done);
	b.len--;	/* take adds the newline back */
	return queue(conn, MHD_HTTP_OK, take(&b, "text/plain; version=0.0.4; charset=utf-8"));
}

static enum MHD_Result
health(struct MHD_Connection *conn)
{
	struct buf b = BUF_INIT;
	struct scounts c;
	struct push_counts p;

	pthread_mutex_lock(H.lock);
	state_counts(H.st, &c);
	pthread_mutex_unlock(H.lock);
	push_counts(&p);
	buf_addf(&b, "{\"status\":\"ok\",\"input\":\"%s\",\"aircraft\":%llu,\"clients\":%llu,"
	    "\"uptime_s\":%lld}", H.status->input_done ? "ended" : "reading",
	    (unsigned long long)c.aircraft, (unsigned long long)p.clients,
	    (long long)((ts_mono_ms() - H.started) / 1000));
	return queue(conn, MHD_HTTP_OK, json_response(conn, &b, "application/json", 0));
}

static enum MHD_Result
events(struct MHD_Connection *conn)
{
	struct MHD_Response *r;
	const char *last = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID");
	const union MHD_ConnectionInfo *ci;
	int size = PUSH_SNDBUF;

	/*
	 * The kernel would grow a stuck client's send buffer to megabytes:
	 * bounded, the memory per client is known and a client that does
	 * not read falls behind the frames soon enough to be dropped.
	 */
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci != NULL)
		setsockopt(ci->connect_fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);

	if ((r = push_response(conn, last)) == NULL)
		return error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "the server is stopping");
	common_headers(r, "text/event-stream");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	return queue(conn, MHD_HTTP_OK, r);
}

/* ---- static files ---- */

static const struct {
	const char *ext, *type;
} types[] = {
	{ "html", "text/html; charset=utf-8" }, { "htm", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" }, { "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" }, { "json", "application/json" },
	{ "geojson", "application/geo+json" }, { "map", "application/json" },
	{ "txt", "text/plain; charset=utf-8" }, { "svg", "image/svg+xml" },
	{ "png", "image/png" }, { "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
	{ "gif", "image/gif" }, { "webp", "image/webp" }, { "ico", "image/x-icon" },
	{ "woff2", "font/woff2" }, { "woff", "font/woff" }, { "wasm", "application/wasm" },
};

static const char *
content_type(const char *path)
{
	const char *dot = strrchr(path, '.');
	size_t i;

	if (dot != NULL && strchr(dot, '/') == NULL)
		for (i = 0; i < sizeof types / sizeof types[0]; i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

/* dotdot says whether the path has a "." or ".." segment. */
static int
dotdot(const char *url)
{
	const char *p;

	for (p = url; (p = strstr(p, "/.")) != NULL; p++)
		if (p[2] == '/' || p[2] == '\0' || (p[2] == '.' && (p[3] == '/' || p[3] == '\0')))
			return 1;
	return 0;
}

static enum MHD_Result
static_file(struct MHD_Connection *conn, const char *url)
{
	char path[PATH_MAX], real[PATH_MAX], etag[64], date[64];
	struct MHD_Response *r;
	const char *inm, *ims;
	struct stat sb;
	struct tm tm;
	size_t rl;
	int fd, n;

	if (H.root == NULL)
		return error(conn, MHD_HTTP_NOT_FOUND, "no such resource");
	rl = strlen(H.root);
	if (url[0] != '/' || dotdot(url) || strchr(url, '\\') != NULL)
		return error(conn, MHD_HTTP_NOT_FOUND, "no such resource");
	n = snprintf(path, sizeof path, "%s%s%s", H.root, url,
	    url[strlen(url) - 1] == '/' ? "index.html" : "");
	if (n < 0 || (size_t)n >= sizeof path || realpath(path, real) == NULL ||
	    strncmp(real, H.root, rl) != 0 || (real[rl] != '/' && real[rl] != '\0'))
		return error(conn, MHD_HTTP_NOT_FOUND, "no such resource");
	if (stat(real, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		/* A folder without its slash: where its index is, so relative links work. */
		r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		snprintf(path, sizeof path, "%s/", url);
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, path);
		return queue(conn, MHD_HTTP_MOVED_PERMANENTLY, r);
	}
	if ((fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return error(conn, MHD_HTTP_NOT_FOUND, "no such resource");
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return error(conn, MHD_HTTP_NOT_FOUND, "no such resource");
	}
	snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)sb.st_size,
	    (unsigned long long)sb.st_mtim.tv_sec * 1000000000ull + (unsigned long long)sb.st_mtim.tv_nsec);
	gmtime_r(&sb.st_mtime, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	ims = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	if ((inm != NULL && strstr(inm, etag) != NULL) || (inm == NULL && ims != NULL &&
	    strcmp(ims, date) == 0)) {
		close(fd);
		r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
		return queue(conn, MHD_HTTP_NOT_MODIFIED, r);
	}
	if ((r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd)) == NULL) {
		close(fd);
		return MHD_NO;
	}
	common_headers(r, content_type(real));
	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, date);
	/* The pages change with a release: always revalidated, and a 304 is cheap. */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	return queue(conn, MHD_HTTP_OK, r);
}

/* ---- the request handler ---- */

/* authorized compares the bearer token in constant time. */
static int
authorized(struct MHD_Connection *conn)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	size_t i, n = strlen(H.o.token), m;
	unsigned char diff = 0;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return 0;
	h += 7;
	m = strlen(h);
	for (i = 0; i < n; i++)
		diff |= (unsigned char)(H.o.token[i] ^ (i < m ? h[i] : 0));
	return diff == 0 && m == n;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	static int seen;	/* any address: marks a request whose headers were seen */
	const char *cl;
	int gz;

	(void)cls;
	(void)version;
	(void)upload;
	/*
	 * The first call brings the headers only: a response queued then
	 * makes libmicrohttpd close the connection after it, so the answer
	 * waits for the next call, with any (small, ignored) body read.
	 */
	if (*con_cls == NULL) {
		*con_cls = &seen;
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if ((cl == NULL || strtoull(cl, NULL, 10) <= BODY_MAX) &&
		    MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_TRANSFER_ENCODING) == NULL)
			return MHD_YES;
	}
	if (*upload_size > 0) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "OPTIONS") == 0 && H.o.cors != NULL) {
		struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL,
		    MHD_RESPMEM_PERSISTENT);

		common_headers(r, "text/plain");
		MHD_add_response_header(r, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD");
		MHD_add_response_header(r, "Access-Control-Allow-Headers",
		    "Authorization, Last-Event-ID");
		MHD_add_response_header(r, "Access-Control-Max-Age", "600");
		return queue(conn, MHD_HTTP_NO_CONTENT, r);
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method %s not allowed", method);
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if ((cl != NULL && strtoull(cl, NULL, 10) > BODY_MAX) ||
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL)
		return error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large: "
		    "at most %d bytes", BODY_MAX);
	if (H.o.token != NULL && strcmp(url, "/health") != 0 && !authorized(conn))
		return error(conn, MHD_HTTP_UNAUTHORIZED, "a bearer token is needed");
	gz = accepts_gzip(conn);
	if (strcmp(url, "/data/aircraft.json") == 0)
		return aircraft_json(conn);
	if (strcmp(url, "/data/receiver.json") == 0) {
		struct buf b = BUF_INIT;

		state_receiver(H.st, &b);	/* reads only the options */
		return queue(conn, MHD_HTTP_OK, json_response(conn, &b, "application/json", 0));
	}
	if (strcmp(url, "/api/aircraft") == 0)
		return api_aircraft(conn, gz);
	if (strncmp(url, "/api/aircraft/", 14) == 0)
		return api_one(conn, url + 14, gz);
	if (strcmp(url, "/api/anomalies") == 0)
		return api_anomalies(conn, gz);
	if (strcmp(url, "/api/windows") == 0)
		return api_windows(conn, gz);
	if (strcmp(url, "/events") == 0)
		return events(conn);
	if (strcmp(url, "/metrics") == 0)
		return metrics(conn);
	if (strcmp(url, "/health") == 0)
		return health(conn);
	if (strncmp(url, "/api/", 5) == 0 || strncmp(url, "/data/", 6) == 0)
		return error(conn, MHD_HTTP_NOT_FOUND, "no such resource");
	return static_file(conn, url);
}

static void
logger(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof msg, fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '.'))
		msg[--n] = '\0';
	if (n > 0 && isupper((unsigned char)msg[0]))
		msg[0] = (char)tolower((unsigned char)msg[0]);
	fs_warnx("http: %s", msg);
}

/* listen_on makes the listening socket of ADDR:PORT ("[::1]:80" for IPv6). */
static int
listen_on(const char *spec, char *shown, size_t shownsz)
{
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char host[256], port[16], hs[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(spec, ':');
	size_t hl;
	int fd = -1, one = 1, rc;

	if (colon == NULL || colon == spec || colon[1] == '\0' ||
	    (size_t)(colon - spec) >= sizeof host || strlen(colon + 1) >= sizeof port) {
		fs_warnx("invalid listen '%s': not ADDR:PORT", spec);
		return -1;
	}
	hl = (size_t)(colon - spec);
	if (spec[0] == '[' && spec[hl - 1] == ']') {
		memcpy(host, spec + 1, hl - 2);
		host[hl - 2] = '\0';
	} else {
		memcpy(host, spec, hl);
		host[hl] = '\0';
	}
	strcpy(port, colon + 1);
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		fs_warnx("invalid listen '%s': %s", spec, gai_strerror(rc));
		return -1;
	}
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		fs_warn("cannot listen on '%s'", spec);
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	getnameinfo((struct sockaddr *)&ss, sl, hs, sizeof hs, port, sizeof port,
	    NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(shown, shownsz, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", hs, port);
	return fd;
}

/* write_port writes the bound port to --port-file, atomically, for scripts. */
static int
write_port(const char *path, const char *shown)
{
	char tmp[PATH_MAX];
	FILE *f;

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL || fprintf(f, "%s\n", strrchr(shown, ':') + 1) < 0 ||
	    fclose(f) != 0 || rename(tmp, path) != 0) {
		fs_warn("cannot write '%s'", path);
		return -1;
	}
	return 0;
}

int
http_start(const struct http_opts *o, struct sstate *st, pthread_mutex_t *lock,
    struct serve_status *status)
{
	char shown[300];
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
	int fd;

	H.o = *o;
	H.st = st;
	H.lock = lock;
	H.status = status;
	H.started = ts_mono_ms();
	if (o->www != NULL && (H.root = realpath(o->www, NULL)) == NULL) {
		fs_warn("cannot open '%s'", o->www);
		return -1;
	}
	if ((fd = listen_on(o->listen, shown, sizeof shown)) < 0)
		return -1;
	if (o->verbose > 0)
		flags |= MHD_USE_ERROR_LOG;
	H.d = MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, o->max_clients,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_MEMORY,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
	    MHD_OPTION_EXTERNAL_LOGGER, logger, NULL,
	    MHD_OPTION_END);
	if (H.d == NULL) {
		fs_warnx("cannot start the http server on '%s'", shown);
		close(fd);
		return -1;
	}
	if (o->port_file != NULL && write_port(o->port_file, shown) != 0)
		return -1;
	if (o->verbose >= 0)
		fs_warnx("listening on http://%s/", shown);
	return 0;
}

void
http_stop(void)
{
	int i;

	if (H.d != NULL) {
		MHD_stop_daemon(H.d);
		H.d = NULL;
	}
	for (i = 0; i < 2; i++)
		if (H.ac[i] != NULL) {
			MHD_destroy_response(H.ac[i]);
			H.ac[i] = NULL;
		}
	free(H.root);
	H.root = NULL;
}
