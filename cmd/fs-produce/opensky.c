/*
 * fs-produce opensky: live state vectors from the OpenSky Network.
 *
 * A poll is one GET /states/all, with extended=1 so that state vectors
 * carry the aircraft category as an 18th field. Each state vector
 * becomes one Position record; numbers are written as OpenSky wrote
 * them and nulls stay null. A state whose position time is the one
 * already sent for its aircraft is counted as a duplicate, not sent
 * again: OpenSky repeats a state until the aircraft reports anew.
 *
 * With credentials (OAuth2 client credentials, the only login the API
 * takes since March 2026) every request carries a bearer token. The
 * token is fetched before the first poll, renewed shortly before it
 * expires, and once more when the API answers 401. The client secret
 * goes to the token endpoint in a POST body, and nowhere else: never
 * to argv, a message, the statistics or a record.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "http.h"
#include "live.h"
#include "produce.h"
#include "ts.h"

#define DEFAULT_URL		"https://opensky-network.org/api"
#define DEFAULT_TOKEN_URL	"https://auth.opensky-network.org/auth/realms/" \
				"opensky-network/protocol/openid-connect/token"
#define OPENSKY_DOMAIN		"opensky-network.org"
#define DEFAULT_INTERVAL_MS	15000
#define DEFAULT_TIMEOUT_MS	30000
#define FLOOR_ANONYMOUS_MS	10000	/* the data resolution of anonymous users */
#define FLOOR_USER_MS		5000	/* and of OpenSky users */
#define TOKEN_LIFE_S		1800	/* when the token response does not say */
#define TOKEN_MARGIN_MS		60000	/* renew this long before it expires, at most */
#define RATE_LIMIT_WAIT_S	60	/* a 429 without a Retry-After header waits this long */
#define CREDENTIALS_MAX		65536

enum {
	OPT_BBOX = OPT_PROGRAM,
	OPT_ICAO24,
	OPT_URL,
	OPT_TOKEN_URL,
	OPT_FILE,
	OPT_CREDENTIALS,
};

static const struct option longopts[] = {
	{ "bbox", required_argument, NULL, OPT_BBOX },
	{ "icao24", required_argument, NULL, OPT_ICAO24 },
	{ "url", required_argument, NULL, OPT_URL },
	{ "token-url", required_argument, NULL, OPT_TOKEN_URL },
	{ "file", required_argument, NULL, OPT_FILE },
	{ "credentials", required_argument, NULL, OPT_CREDENTIALS },
	LIVE_LONGOPTS,
	CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* The fields of a state vector, by index; category is the 18th, with extended=1. */
enum kind { K_STRING, K_NUMBER, K_BOOL, K_SENSORS };

static const struct {
	int pf;			/* enum pf, or -1 for the times */
	enum kind kind;
	const char *name;
} layout[] = {
	{ PF_ICAO24, K_STRING, "icao24" },
	{ PF_CALLSIGN, K_STRING, "callsign" },
	{ PF_ORIGIN_COUNTRY, K_STRING, "origin_country" },
	{ -1, K_NUMBER, "time_position" },
	{ -1, K_NUMBER, "last_contact" },
	{ PF_LONGITUDE, K_NUMBER, "longitude" },
	{ PF_LATITUDE, K_NUMBER, "latitude" },
	{ PF_BARO_ALTITUDE, K_NUMBER, "baro_altitude" },
	{ PF_ON_GROUND, K_BOOL, "on_ground" },
	{ PF_VELOCITY, K_NUMBER, "velocity" },
	{ PF_HEADING, K_NUMBER, "true_track" },
	{ PF_VERTICAL_RATE, K_NUMBER, "vertical_rate" },
	{ PF_SENSORS, K_SENSORS, "sensors" },
	{ PF_GEO_ALTITUDE, K_NUMBER, "geo_altitude" },
	{ PF_SQUAWK, K_STRING, "squawk" },
	{ PF_SPI, K_BOOL, "spi" },
	{ PF_POSITION_SOURCE, K_NUMBER, "position_source" },
	{ PF_CATEGORY, K_NUMBER, "category" },
};

#define NFIELDS_MIN	17
#define NFIELDS		(sizeof layout / sizeof layout[0])

struct opensky {
	struct live lv;
	const char *base, *token_url, *file, *credentials, *bbox;
	const char *polling_opt;	/* the first option given that --file cannot take */
	struct buf query;		/* &lamin=...&icao24=... */
	struct buf url;			/* of /states/all */
	char *client_id, *client_secret;
	char *token;
	int64_t token_renew;		/* monotonic ms */
	int credits;			/* what one request costs */
	uint64_t *credits_used, *tokens, *rate_limited, *remaining;
	struct http_resp resp;
};

/*
 * parse_bbox reads LAMIN,LOMIN,LAMAX,LOMAX into the query and returns
 * what a request for that area costs, in OpenSky API credits.
 */
static int
parse_bbox(struct opensky *o, const char *arg)
{
	static const char *const names[4] = { "lamin", "lomin", "lamax", "lomax" };
	static const double lim[4] = { 90, 180, 90, 180 };
	char num[256], label[32];
	const char *s = arg, *p;
	double v[4], area;
	size_t n;
	int i;

	if (strlen(arg) >= sizeof num)
		fs_errx(EXIT_USAGE, "invalid bbox '%s': too long", arg);
	for (i = 0; i < 4 && cli_list(&s, &p, &n); i++) {
		if ((s == NULL) != (i == 3))
			fs_errx(EXIT_USAGE, "invalid bbox '%s': not four numbers "
			    "LAMIN,LOMIN,LAMAX,LOMAX", arg);
		snprintf(num, sizeof num, "%.*s", (int)n, p);
		snprintf(label, sizeof label, "bbox %s", names[i]);
		v[i] = cli_double(num, -lim[i], lim[i], label);
		buf_addf(&o->query, "&%s=", names[i]);
		http_urlencode(&o->query, num);
	}
	if (v[0] >= v[2])
		fs_errx(EXIT_USAGE, "invalid bbox '%s': LAMIN is not below LAMAX", arg);
	if (v[1] >= v[3])
		fs_errx(EXIT_USAGE, "invalid bbox '%s': LOMIN is not below LOMAX", arg);
	/* OpenSky's table: up to 25 square degrees 1 credit, 100 2, 400 3, more 4. */
	area = (v[2] - v[0]) * (v[3] - v[1]);
	return area <= 25 ? 1 : area <= 100 ? 2 : area <= 400 ? 3 : 4;
}

/* parse_icao24 reads a comma-separated list of 24-bit addresses into the query. */
static void
parse_icao24(struct opensky *o, const char *arg)
{
	const char *s = arg, *p;
	size_t n, i;

	while (cli_list(&s, &p, &n)) {
		for (i = 0; i < n && isxdigit((unsigned char)p[i]); i++)
			;
		if (n != 6 || i != 6)
			fs_errx(EXIT_USAGE, "invalid icao24 '%.*s': not 6 hexadecimal digits",
			    (int)n, p);
		buf_adds(&o->query, "&icao24=");
		for (i = 0; i < 6; i++)
			buf_addc(&o->query, (char)tolower((unsigned char)p[i]));
	}
}

/* string_at returns the non-empty string value of key in v, or NULL. */
static const char *
string_at(yajl_val v, const char *key)
{
	yajl_val s = live_get(v, key);

	return YAJL_IS_STRING(s) && s->u.string[0] != '\0' ? s->u.string : NULL;
}

/*
 * read_credentials takes the client id and secret from path, a JSON
 * object as the OpenSky account page hands it out ("clientId",
 * "clientSecret"; "client_id", "client_secret" do too). A file that
 * anyone but its owner may read or write is refused. Exits 1 on any
 * fault.
 */
static void
read_credentials(struct opensky *o, const char *path)
{
	struct buf b = BUF_INIT;
	struct stat st;
	yajl_val root;
	const char *id, *secret;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		fs_err(EXIT_FAIL, "cannot open credentials file '%s'", path);
	if (fstat(fd, &st) != 0)
		fs_err(EXIT_FAIL, "cannot read credentials file '%s'", path);
	if (!S_ISREG(st.st_mode))
		fs_errx(EXIT_FAIL, "cannot use credentials file '%s': not a regular file", path);
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		fs_errx(EXIT_FAIL, "cannot use credentials file '%s': others may read it "
		    "(mode %04o); make it private with chmod 600", path,
		    (unsigned)(st.st_mode & 07777));
	if (st.st_size > CREDENTIALS_MAX)
		fs_errx(EXIT_FAIL, "cannot use credentials file '%s': larger than %d bytes",
		    path, CREDENTIALS_MAX);
	if (live_read_fd(fd, path, &b) != 0)
		exit(EXIT_FAIL);
	close(fd);
	root = memchr(b.p, '\0', b.len) == NULL ? yajl_tree_parse(buf_cstr(&b), NULL, 0) : NULL;
	explicit_bzero(b.p, b.len);
	buf_free(&b);
	if (!YAJL_IS_OBJECT(root))
		fs_errx(EXIT_FAIL, "cannot use credentials file '%s': not a JSON object", path);
	if ((id = string_at(root, "clientId")) == NULL)
		id = string_at(root, "client_id");
	if ((secret = string_at(root, "clientSecret")) == NULL)
		secret = string_at(root, "client_secret");
	if (id == NULL || secret == NULL)
		fs_errx(EXIT_FAIL, "cannot use credentials file '%s': it lacks %s", path,
		    id == NULL ? "\"clientId\"" : "\"clientSecret\"");
	o->client_id = xstrdup(id);
	o->client_secret = xstrdup(secret);
	explicit_bzero((char *)secret, strlen(secret));
	yajl_tree_free(root);
}

/* hide_secret keeps the client secret, as given and as the token request's form has it, out of messages. */
static void
hide_secret(struct opensky *o)
{
	struct buf form = BUF_INIT;

	live_hide(LIVE_HIDE_SECRET, o->client_secret);
	if (o->client_secret != NULL) {
		http_urlencode(&form, o->client_secret);
		live_hide(LIVE_HIDE_SECRET_FORM, buf_cstr(&form));
		explicit_bzero(form.p, form.len);
		buf_free(&form);
	}
}

/* load_credentials reads --credentials, or else the environment. */
static void
load_credentials(struct opensky *o)
{
	const char *id = getenv("FS_OPENSKY_CLIENT_ID");
	const char *secret = getenv("FS_OPENSKY_CLIENT_SECRET");

	if (o->credentials != NULL) {
		read_credentials(o, o->credentials);
		hide_secret(o);
		return;
	}
	if (id != NULL && *id == '\0')
		id = NULL;
	if (secret != NULL && *secret == '\0')
		secret = NULL;
	if (id != NULL && secret != NULL) {
		o->client_id = xstrdup(id);
		o->client_secret = xstrdup(secret);
		hide_secret(o);
	} else if (id != NULL || secret != NULL) {
		fs_errx(EXIT_FAIL, "%s is set but %s is not: set both, or neither to poll "
		    "anonymously", id != NULL ? "FS_OPENSKY_CLIENT_ID" : "FS_OPENSKY_CLIENT_SECRET",
		    id != NULL ? "FS_OPENSKY_CLIENT_SECRET" : "FS_OPENSKY_CLIENT_ID");
	}
}

/* forget wipes and frees a string that holds a credential. */
static void
forget(char **s)
{
	if (*s != NULL) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

/*
 * token_refused says that the token endpoint refused the credentials,
 * with the OAuth2 error it gave, unless that text holds the secret.
 */
static void
token_refused(struct opensky *o, struct http_resp *r)
{
	struct buf msg = BUF_INIT;
	yajl_val root = NULL;
	const char *e, *d;

	buf_addf(&msg, "the OpenSky Network refused the credentials: HTTP %ld", r->status);
	if (memchr(r->body.p, '\0', r->body.len) == NULL && r->body.len > 0) {
		root = yajl_tree_parse(buf_cstr(&r->body), NULL, 0);
		if ((e = string_at(root, "error")) != NULL)
			buf_addf(&msg, ": %s", e);
		if ((d = string_at(root, "error_description")) != NULL)
			buf_addf(&msg, " (%s)", d);
	}
	if (strstr(buf_cstr(&msg), o->client_secret) != NULL) {
		buf_reset(&msg);
		buf_addf(&msg, "the OpenSky Network refused the credentials: HTTP %ld", r->status);
	}
	fs_warnx("%s", buf_cstr(&msg));
	yajl_tree_free(root);
	buf_free(&msg);
}

/*
 * get_token asks the token endpoint for a bearer token (OAuth2 client
 * credentials grant). Returns 0, or -1 having said why; credentials
 * that are refused set lv->fatal, as asking again will not help.
 */
static int
get_token(struct opensky *o)
{
	struct live *lv = &o->lv;
	struct http_resp *r = &o->resp;
	struct buf form = BUF_INIT;
	yajl_val root, tok, exp;
	int64_t life_ms, margin;
	int rc;

	buf_adds(&form, "grant_type=client_credentials&client_id=");
	http_urlencode(&form, o->client_id);
	buf_adds(&form, "&client_secret=");
	http_urlencode(&form, o->client_secret);
	rc = http_fetch(&lv->http, o->token_url, NULL, form.p, form.len, r);
	explicit_bzero(form.p, form.len);
	buf_free(&form);
	if (rc != 0 || (r->status != 200 && r->status != 400 && r->status != 401 &&
	    r->status != 403)) {
		/* The body is not shown: it might echo the request. */
		return live_failed("an OpenSky token from ", o->token_url, r, 0);
	}
	if (r->status != 200) {
		token_refused(o, r);
		lv->fatal = 1;
		return -1;
	}
	/* The body holds the token: it is never shown, even when malformed. */
	root = memchr(r->body.p, '\0', r->body.len) == NULL && r->body.len > 0 ?
	    yajl_tree_parse(buf_cstr(&r->body), NULL, 0) : NULL;
	explicit_bzero(r->body.p, r->body.len);
	tok = live_get(root, "access_token");
	if (!YAJL_IS_STRING(tok) || tok->u.string[0] == '\0') {
		fs_warnx("malformed response from '%s': no \"access_token\" in %zu bytes",
		    o->token_url, r->body.len);
		(*stats_counter(&lv->st, "malformed"))++;
		yajl_tree_free(root);
		return -1;
	}
	life_ms = TOKEN_LIFE_S * 1000;
	exp = live_get(root, "expires_in");
	if (YAJL_IS_NUMBER(exp) && (exp->u.number.flags & YAJL_NUMBER_DOUBLE_VALID) &&
	    exp->u.number.d > 0 && exp->u.number.d < 86400 * 365)
		life_ms = (int64_t)(exp->u.number.d * 1000);
	forget(&o->token);
	o->token = xstrdup(tok->u.string);
	live_hide(LIVE_HIDE_TOKEN, o->token);
	yajl_tree_free(root);
	margin = life_ms / 10 < TOKEN_MARGIN_MS ? life_ms / 10 : TOKEN_MARGIN_MS;
	o->token_renew = ts_mono_ms() + life_ms - margin;
	(*o->tokens)++;
	if (lv->cli.verbose > 0)
		fs_warnx("got an OpenSky token, valid for %.0fs", (double)life_ms / 1000);
	return 0;
}

/* note_limits keeps X-Rate-Limit-Remaining for --stats. */
static void
note_limits(struct opensky *o, const struct http_resp *r)
{
	if (r->remaining < 0)
		return;
	if (o->remaining == NULL)
		o->remaining = stats_counter(&o->lv.st, "rate_limit_remaining");
	*o->remaining = (uint64_t)r->remaining;
}

/* reject_state turns down state vector v. */
#define reject_state(o, v, ...) live_reject(&(o)->lv, (v), "bad_state", __VA_ARGS__)

/* fits says whether x has the JSON type that kind k wants; null always does. */
static int
fits(yajl_val x, enum kind k)
{
	size_t i;

	if (YAJL_IS_NULL(x))
		return 1;
	switch (k) {
	case K_STRING:
		return YAJL_IS_STRING(x);
	case K_NUMBER:
		return YAJL_IS_NUMBER(x);
	case K_BOOL:
		return YAJL_IS_TRUE(x) || YAJL_IS_FALSE(x);
	case K_SENSORS:
		if (!YAJL_IS_ARRAY(x))
			return 0;
		for (i = 0; i < x->u.array.len; i++)
			if (!YAJL_IS_NUMBER(x->u.array.values[i]))
				return 0;
		return 1;
	}
	return 0;
}

/*
 * state_time finds the time of state vector a: its position's, else its
 * last contact's, else the response's. Returns 0, or the index of the
 * time that is not one.
 */
static int
state_time(yajl_val *a, int64_t resp_ms, int64_t *ms)
{
	int i;

	for (i = 3; i <= 4; i++) {
		if (YAJL_IS_NULL(a[i]))
			continue;
		if (!(a[i]->u.number.flags & YAJL_NUMBER_DOUBLE_VALID) ||
		    ts_from_number(a[i]->u.number.d, ms) != 0)
			return i;
		return 0;
	}
	*ms = resp_ms;
	return 0;
}

/* state writes the record of state vector v, number i; -1 when the output failed. */
static int
state(struct opensky *o, yajl_val v, size_t i, int64_t resp_ms)
{
	struct live *lv = &o->lv;
	struct rec *r = &lv->rec;
	char icao[16];
	yajl_val *a;
	size_t n, f, k;
	int64_t ts;
	int bad;

	lv->st.in++;
	if (!YAJL_IS_ARRAY(v))
		return reject_state(o, v, "state %zu is %s, not an array", i, live_type(v));
	a = v->u.array.values;
	n = v->u.array.len;
	if (n < NFIELDS_MIN)
		return reject_state(o, v, "state %zu has %zu fields, not 17 or 18", i, n);
	for (f = 0; f < n && f < NFIELDS; f++)
		if (!fits(a[f], layout[f].kind))
			return reject_state(o, v, "state %zu: %s (field %zu) is %s", i,
			    layout[f].name, f, live_type(a[f]));
	if (!YAJL_IS_STRING(a[0]) || a[0]->u.string[0] == '\0' ||
	    strlen(a[0]->u.string) >= sizeof icao)
		return reject_state(o, v, "state %zu: icao24 is not an address", i);
	if ((bad = state_time(a, resp_ms, &ts)) != 0)
		return reject_state(o, v, "state %zu: %s %s is not a time", i,
		    layout[bad].name, a[bad]->u.number.r);

	/* OpenSky writes addresses in lowercase; make sure, as the record wants. */
	for (k = 0; a[0]->u.string[k] != '\0'; k++)
		icao[k] = (char)tolower((unsigned char)a[0]->u.string[k]);
	icao[k] = '\0';
	rec_begin(r, ts, icao, k);
	rec_str(r, PF_ICAO24, icao, k);
	if (YAJL_IS_STRING(a[1]))
		rec_callsign(r, a[1]->u.string);
	for (f = 2; f < n && f < NFIELDS; f++)
		if (layout[f].pf >= 0 && !YAJL_IS_NULL(a[f]))
			rec_json(r, (enum pf)layout[f].pf, a[f]);
	rec_str(r, PF_SOURCE, "opensky", 7);
	return live_emit(lv, 0);
}

/* convert writes the records of a /states/all response; -1 if it is malformed or the output failed. */
static int
convert(struct opensky *o, struct buf *body, const char *what)
{
	struct live *lv = &o->lv;
	yajl_val root, states, t;
	int64_t resp_ms;
	size_t i, n;
	int rc = 0;

	/* "states" is null when no aircraft is in view. */
	if (live_list(lv, what, body, "states", 1, &root, &states) != 0)
		return -1;
	t = live_get(root, "time");
	if (!YAJL_IS_NUMBER(t) || !(t->u.number.flags & YAJL_NUMBER_DOUBLE_VALID) ||
	    ts_from_number(t->u.number.d, &resp_ms) != 0)
		resp_ms = ts_now_ms();
	n = states != NULL ? states->u.array.len : 0;
	for (i = 0; i < n && rc == 0; i++)
		rc = state(o, states->u.array.values[i], i, resp_ms);
	if (lv->cli.verbose > 0)
		fs_warnx("'%s': %zu states", what, n);
	yajl_tree_free(root);
	return rc;
}

/* rate_limited holds polls back as long as a 429 asks. */
static int
rate_limited(struct opensky *o, const char *url, const struct http_resp *r)
{
	int64_t wait = r->retry_after_s >= 0 ? r->retry_after_s : RATE_LIMIT_WAIT_S;

	o->lv.hold_until = ts_mono_ms() + wait * 1000;
	(*o->rate_limited)++;
	fs_warnx("rate limited by '%s' (HTTP 429): out of API credits for %llds%s",
	    url, (long long)wait, r->retry_after_s >= 0 ? "" : " (no Retry-After header)");
	return -1;
}

/* poll_api is one poll of /states/all. */
static int
poll_api(struct live *lv, void *arg)
{
	struct opensky *o = arg;
	struct http_resp *r = &o->resp;
	const char *url = buf_cstr(&o->url);
	int renewed = 0;

	if (o->client_id != NULL && (o->token == NULL || ts_mono_ms() >= o->token_renew) &&
	    get_token(o) != 0)
		return -1;
	for (;;) {
		if (http_fetch(&lv->http, url, o->token, NULL, 0, r) != 0)
			return live_failed("", url, r, 1);
		note_limits(o, r);
		if (r->status != 401 || o->client_id == NULL || renewed)
			break;
		/* A token can be revoked or expire early: get a new one, once. */
		renewed = 1;
		if (lv->cli.verbose > 0)
			fs_warnx("'%s' answered HTTP 401: getting a new token", url);
		if (get_token(o) != 0)
			return -1;
	}
	if (r->status == 429)
		return rate_limited(o, url, r);
	if (r->status != 200)
		return live_failed("", url, r, 1);
	*o->credits_used += (uint64_t)o->credits;
	return convert(o, &r->body, url);
}

/* poll_file converts the saved response named by --file. */
static int
poll_file(struct live *lv, void *arg)
{
	struct opensky *o = arg;

	if (live_read_file(o->file, &o->resp.body) != 0)
		return -1;
	return convert(o, &o->resp.body, o->file);
}

/* setup_api builds the URL, reads the credentials and settles the interval. */
static void
setup_api(struct opensky *o)
{
	struct live *lv = &o->lv;
	size_t n = strlen(o->base);
	int64_t floor_ms;

	while (n > 0 && o->base[n - 1] == '/')
		n--;
	buf_add(&o->url, o->base, n);
	buf_adds(&o->url, "/states/all?extended=1");
	buf_add(&o->url, o->query.p, o->query.len);
	load_credentials(o);

	/* The API has new data every 5 s (10 s anonymously): polling faster only spends credits. */
	if (http_host_is(buf_cstr(&o->url), OPENSKY_DOMAIN)) {
		floor_ms = o->client_id != NULL ? FLOOR_USER_MS : FLOOR_ANONYMOUS_MS;
		if (lv->interval < floor_ms && !lv->once) {
			if (lv->cli.verbose >= 0)
				fs_warnx("interval of %.3gs is shorter than the data resolution "
				    "of %s (%llds): polling every %llds",
				    (double)lv->interval / 1000, o->client_id != NULL ?
				    "OpenSky users" : "anonymous users",
				    (long long)floor_ms / 1000, (long long)floor_ms / 1000);
			lv->interval = floor_ms;
		}
	}
	if (o->client_id == NULL && lv->cli.verbose >= 0)
		fs_warnx("no OpenSky credentials (FS_OPENSKY_CLIENT_ID and "
		    "FS_OPENSKY_CLIENT_SECRET, or --credentials): polling anonymously, "
		    "with the smaller daily allowance of API credits");
	if (lv->cli.verbose > 0)
		fs_warnx("polling '%s'%s every %.3gs, %d API credit%s a request",
		    buf_cstr(&o->url), o->client_id != NULL ? " with a token" : "",
		    (double)lv->interval / 1000, o->credits, o->credits == 1 ? "" : "s");
}

int
produce_opensky(int argc, char **argv)
{
	struct opensky o;
	struct live *lv = &o.lv;
	int ch, rc, li = 0;

	memset(&o, 0, sizeof o);
	live_init(lv, DEFAULT_INTERVAL_MS, DEFAULT_TIMEOUT_MS);
	o.base = DEFAULT_URL;
	o.token_url = DEFAULT_TOKEN_URL;
	o.credits = 4;		/* the whole world */
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, &li)) != -1) {
		switch (ch) {
		case OPT_BBOX:
			if (o.bbox != NULL)
				fs_errx(EXIT_USAGE, "--bbox given twice");
			o.bbox = optarg;
			o.credits = parse_bbox(&o, optarg);
			break;
		case OPT_CREDENTIALS:
			o.credentials = optarg;
			break;
		case OPT_FILE:
			o.file = optarg;
			break;
		case OPT_ICAO24:
			parse_icao24(&o, optarg);
			break;
		case OPT_TOKEN_URL:
			o.token_url = optarg;
			break;
		case OPT_URL:
			o.base = optarg;
			break;
		default:
			if (!live_option(lv, ch, optarg))
				cli_usage(&lv->cli);
		}
		/* The options of opensky, except --file, are all about polling. */
		if (ch >= OPT_PROGRAM && ch != OPT_FILE && o.polling_opt == NULL)
			o.polling_opt = longopts[li].name;
	}
	argc -= optind;
	argv += optind;
	if (argc > 0) {
		fs_warnx("unexpected argument '%s'", argv[0]);
		cli_usage(&lv->cli);
	}
	if (o.file != NULL && o.polling_opt != NULL)
		fs_errx(EXIT_USAGE, "--file converts a saved response: it cannot be used with --%s",
		    o.polling_opt);

	if (o.file == NULL && !http_url_ok(o.base))
		fs_errx(EXIT_USAGE, "invalid url '%s': not an http:// or https:// URL", o.base);
	if (o.file == NULL && !http_url_ok(o.token_url))
		fs_errx(EXIT_USAGE, "invalid token-url '%s': not an http:// or https:// URL",
		    o.token_url);

	if (o.file != NULL)
		lv->once = 1;
	else
		setup_api(&o);
	if (live_start(lv) != 0) {
		rc = EXIT_FAIL;
	} else {
		o.credits_used = stats_counter(&lv->st, "credits");
		o.tokens = stats_counter(&lv->st, "tokens");
		o.rate_limited = stats_counter(&lv->st, "rate_limited");
		rc = live_run(lv, o.file != NULL ? poll_file : poll_api, &o);
		rc = live_finish(lv, rc);
	}
	forget(&o.client_id);
	forget(&o.client_secret);
	forget(&o.token);
	http_resp_free(&o.resp);
	buf_free(&o.query);
	buf_free(&o.url);
	return rc;
}
