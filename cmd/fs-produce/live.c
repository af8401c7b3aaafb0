#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "json.h"
#include "live.h"
#include "produce.h"
#include "ts.h"

#define SNIPPET_MAX	64	/* bytes of a bad body shown in a message */

void
live_init(struct live *lv, int64_t interval, int64_t timeout)
{
	memset(lv, 0, sizeof *lv);
	cli_init(&lv->cli, "fs-produce", PRODUCE_USAGE, CLI_OUT | CLI_REJECT);
	lv->interval = interval;
	lv->timeout = timeout;
	lv->retries = LIVE_RETRIES_DEFAULT;
}

int
live_option(struct live *lv, int ch, const char *arg)
{
	switch (ch) {
	case LIVE_OPT_INTERVAL:
		lv->interval = cli_duration(arg, "interval");
		if (lv->interval < 1)
			fs_errx(EXIT_USAGE, "invalid interval '%s': below 1ms", arg);
		lv->interval_set = 1;
		return 1;
	case LIVE_OPT_ONCE:
		lv->once = 1;
		return 1;
	case LIVE_OPT_TIMEOUT:
		lv->timeout = cli_duration(arg, "timeout");
		if (lv->timeout < 1)
			fs_errx(EXIT_USAGE, "invalid timeout '%s': below 1ms", arg);
		return 1;
	case LIVE_OPT_RETRIES:
		lv->retries = (int)cli_num(arg, 0, 100, "retries");
		return 1;
	}
	return cli_option(&lv->cli, ch, arg);
}

int
live_start(struct live *lv)
{
	stats_init(&lv->st, "fs-produce", &lv->cli);
	if (reject_open(&lv->rj, &lv->st, &lv->cli, lv->cli.reject) != 0)
		return -1;
	if (io_out_stdout(&lv->out, &lv->cli.io, "icao24") != 0)
		return -1;
	stats_output(&lv->st, &lv->out);
	lv->polls = stats_counter(&lv->st, "polls");
	lv->failed = stats_counter(&lv->st, "polls_failed");
	http_init(&lv->http, lv->timeout, lv->retries);
	lv->http.quiet = lv->cli.verbose < 0;
	lv->http.retried = stats_counter(&lv->st, "retries");
	lv->http.idle = stats_idle;
	lv->http.idle_arg = &lv->st;
	return 0;
}

static void seen_expire(struct seen *s, int64_t before);

int
live_run(struct live *lv, int (*poll)(struct live *, void *), void *arg)
{
	int64_t next, start, now;
	int rc;

	next = ts_mono_ms();
	while (!sig_stop) {
		if (lv->hold_until > next)
			next = lv->hold_until;
		now = ts_mono_ms();
		if (next > now && http_sleep(&lv->http, next - now) != 0)
			break;
		start = ts_mono_ms();
		(*lv->polls)++;
		rc = poll(lv, arg);
		if (rc != 0 && !sig_stop)
			(*lv->failed)++;
		seen_expire(&lv->seen, ts_mono_ms() - LIVE_FORGET_MS);
		/* A poll's records go out together, at once, however quiet the stream. */
		if (io_flush(&lv->out) != 0 || reject_flush(&lv->rj) != 0)
			return -1;
		stats_poll(&lv->st);
		if (lv->fatal)
			return -1;
		if (lv->once)
			return rc != 0 && !sig_stop ? -1 : 0;
		next = start + lv->interval;
	}
	return 0;
}

static void seen_free(struct seen *s);

int
live_finish(struct live *lv, int rc)
{
	int status = rc == 0 ? EXIT_OK : EXIT_FAIL;

	if (io_out_close(&lv->out) != 0 || reject_close(&lv->rj) != 0)
		status = EXIT_FAIL;
	if (stats_final(&lv->st) != 0)
		status = EXIT_FAIL;
	http_free(&lv->http);
	seen_free(&lv->seen);
	buf_free(&lv->rec.text);
	buf_free(&lv->line);
	buf_free(&lv->scratch);
	return status;
}

/* --- The record -------------------------------------------------------------- */

void
rec_begin(struct rec *r, int64_t ts, const char *key, size_t n)
{
	r->ts = ts;
	if (n >= sizeof r->key)
		n = sizeof r->key - 1;
	memcpy(r->key, key, n);
	r->key[n] = '\0';
	buf_reset(&r->text);
	memset(r->len, 0, sizeof r->len);
}

/* field starts the text of f; field_end closes it. */
static void
field(struct rec *r, enum pf f)
{
	r->off[f] = r->text.len;
}

static void
field_end(struct rec *r, enum pf f)
{
	r->len[f] = r->text.len - r->off[f];
}

void
rec_str(struct rec *r, enum pf f, const char *s, size_t n)
{
	field(r, f);
	json_str(&r->text, s, n);
	field_end(r, f);
}

void
rec_fixed(struct rec *r, enum pf f, double v, int decimals)
{
	field(r, f);
	json_fixed(&r->text, v, decimals);
	field_end(r, f);
}

void
rec_bool(struct rec *r, enum pf f, int v)
{
	field(r, f);
	json_bool(&r->text, v);
	field_end(r, f);
}

void
rec_int(struct rec *r, enum pf f, int64_t v)
{
	field(r, f);
	json_int(&r->text, v);
	field_end(r, f);
}

void
rec_json(struct rec *r, enum pf f, yajl_val v)
{
	field(r, f);
	live_json(&r->text, v);
	field_end(r, f);
}

void
rec_callsign(struct rec *r, const char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n > 0)
		rec_str(r, PF_CALLSIGN, s, n);
}

static const char *const pf_keys[PF_COUNT] = {
	",\"icao24\":", ",\"callsign\":", ",\"origin_country\":", ",\"latitude\":",
	",\"longitude\":", ",\"baro_altitude\":", ",\"geo_altitude\":", ",\"velocity\":",
	",\"heading\":", ",\"vertical_rate\":", ",\"on_ground\":", ",\"squawk\":",
	",\"spi\":", ",\"position_source\":", ",\"category\":", ",\"sensors\":",
	",\"source\":",
};

/* rec_write appends the record and its newline to b. */
static void
rec_write(const struct rec *r, struct buf *b)
{
	char ts[TS_BUFSZ];
	int f;

	buf_add(b, "{\"timestamp\":\"", 14);
	buf_add(b, ts, ts_format(r->ts, ts));
	buf_addc(b, '"');
	for (f = 0; f < PF_COUNT; f++) {
		buf_adds(b, pf_keys[f]);
		if (r->len[f] > 0)
			buf_add(b, r->text.p + r->off[f], r->len[f]);
		else
			json_null(b);
	}
	buf_add(b, "}\n", 2);
}

/* --- Positions already sent ------------------------------------------------------ */

/* seen_expire forgets the aircraft unseen since before, and refiles the others. */
static void
seen_expire(struct seen *s, int64_t before)
{
	size_t i, n = 0;

	for (i = 0; i < s->n; i++)
		if (s->v[i].mono >= before)
			s->v[n++] = s->v[i];
	if (n == s->n)
		return;
	s->n = n;
	hmap_clear(&s->map);
	for (i = 0; i < n; i++)
		hmap_put(&s->map, s->v[i].hash, (uint32_t)i);
}

static void
seen_free(struct seen *s)
{
	free(s->v);
	hmap_free(&s->map);
	memset(s, 0, sizeof *s);
}

/*
 * seen_unchanged says whether key's last position was sent for a time
 * within tolerance of ts; if not, it remembers ts as the last one.
 */
static int
seen_unchanged(struct seen *s, const char *key, int64_t ts, int64_t tolerance, int64_t now)
{
	struct seen_ent *e;
	uint32_t h = hmap_hash(key, strlen(key)), i;
	size_t pos = 0;

	while ((i = hmap_find(&s->map, h, &pos)) != HMAP_NONE && strcmp(s->v[i].key, key) != 0)
		;
	if (i == HMAP_NONE) {
		if (s->n == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 256;
			s->v = xrealloc(s->v, s->cap * sizeof *s->v);
		}
		i = (uint32_t)s->n++;
		e = &s->v[i];
		snprintf(e->key, sizeof e->key, "%s", key);
		e->hash = h;
		hmap_put(&s->map, h, i);
	} else if (llabs(ts - s->v[i].ts) <= tolerance) {
		s->v[i].mono = now;
		return 1;
	}
	e = &s->v[i];
	e->ts = ts;
	e->mono = now;
	return 0;
}

int
live_emit(struct live *lv, int64_t tolerance_ms)
{
	if (seen_unchanged(&lv->seen, lv->rec.key, lv->rec.ts, tolerance_ms, ts_mono_ms())) {
		lv->st.duplicates++;
		return 0;
	}
	buf_reset(&lv->line);
	rec_write(&lv->rec, &lv->line);
	if (io_write(&lv->out, lv->line.p, lv->line.len, 0) != 0)
		return -1;
	lv->st.out++;
	stats_tick(&lv->st);
	return 0;
}

/* --- JSON responses ----------------------------------------------------------------- */

/*
 * The credentials no message may show: a server that echoes a request
 * (its Authorization header, its form) into an error page would put
 * them on stderr with the start of the body. Slots, so that a renewed
 * token takes the place of the old one.
 */
static char *hidden[LIVE_HIDDEN_SLOTS];

void
live_hide(int slot, const char *s)
{
	if (hidden[slot] != NULL) {
		explicit_bzero(hidden[slot], strlen(hidden[slot]));
		free(hidden[slot]);
	}
	hidden[slot] = s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

/* unhide copies p[0..n) to out, with every hidden credential in it as "***". */
static void
unhide(struct buf *out, const char *p, size_t n)
{
	const char *best, *q;
	size_t i, blen = 0;

	while (n > 0) {
		best = NULL;
		for (i = 0; i < LIVE_HIDDEN_SLOTS; i++) {
			if (hidden[i] == NULL)
				continue;
			q = memmem(p, n, hidden[i], strlen(hidden[i]));
			if (q != NULL && (best == NULL || q < best)) {
				best = q;
				blen = strlen(hidden[i]);
			}
		}
		if (best == NULL)
			break;
		buf_add(out, p, (size_t)(best - p));
		buf_adds(out, "***");
		n -= (size_t)(best - p) + blen;
		p = best + blen;
	}
	buf_add(out, p, n);
}

/* live_snippet appends the first bytes of p[0..n), credentials hidden and made printable, to b. */
static void
live_snippet(struct buf *b, const char *body, size_t len)
{
	struct buf clear = BUF_INIT;
	const char *p;
	size_t i, n;
	unsigned char c;

	unhide(&clear, body, len);
	p = clear.p;
	n = clear.len;
	for (i = 0; i < n && i < SNIPPET_MAX; i++) {
		c = (unsigned char)p[i];
		if (c == '\n')
			buf_adds(b, "\\n");
		else if (c == '\r')
			buf_adds(b, "\\r");
		else if (c == '\t')
			buf_adds(b, "\\t");
		else if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'')
			buf_addf(b, "\\x%02x", c);
		else
			buf_addc(b, (char)c);
	}
	if (n > SNIPPET_MAX)
		buf_adds(b, "...");
	buf_free(&clear);
}

void
live_malformed(struct live *lv, const char *what, const char *why, const char *body, size_t n)
{
	struct buf b = BUF_INIT;

	live_snippet(&b, body, n);
	fs_warnx("malformed response from '%s': %s; %zu bytes, beginning '%s'", what, why, n,
	    buf_cstr(&b));
	(*stats_counter(&lv->st, "malformed"))++;
	buf_free(&b);
}

yajl_val
live_parse(struct live *lv, const char *what, struct buf *body)
{
	char err[256], *nl;
	yajl_val v;
	size_t n;

	if (body->len == 0) {
		live_malformed(lv, what, "the body is empty", "", 0);
		return NULL;
	}
	if (memchr(body->p, '\0', body->len) != NULL) {
		live_malformed(lv, what, "the body holds a NUL byte", body->p, body->len);
		return NULL;
	}
	err[0] = '\0';
	if ((v = yajl_tree_parse(buf_cstr(body), err, sizeof err)) == NULL) {
		/* yajl's message runs over several lines, pointing at the error: keep the first. */
		if ((nl = strchr(err, '\n')) != NULL)
			*nl = '\0';
		n = strlen(err);
		while (n > 0 && (err[n - 1] == '.' || err[n - 1] == ' '))
			err[--n] = '\0';
		live_malformed(lv, what, err[0] != '\0' ? err : "not JSON", body->p, body->len);
	}
	return v;
}

int
live_list(struct live *lv, const char *what, struct buf *body, const char *key,
    int nullable, yajl_val *root, yajl_val *list)
{
	const char *why = NULL;
	char msg[96];

	if ((*root = live_parse(lv, what, body)) == NULL)
		return -1;
	*list = live_get(*root, key);
	if (!YAJL_IS_OBJECT(*root)) {
		why = "not a JSON object";
	} else if (*list == NULL) {
		snprintf(msg, sizeof msg, "no \"%s\"", key);
		why = msg;
	} else if (YAJL_IS_NULL(*list) && nullable) {
		*list = NULL;
	} else if (!YAJL_IS_ARRAY(*list)) {
		snprintf(msg, sizeof msg, "\"%s\" is not an array", key);
		why = msg;
	}
	if (why == NULL)
		return 0;
	live_malformed(lv, what, why, body->p, body->len);
	yajl_tree_free(*root);
	*root = NULL;
	return -1;
}

int
live_reject(struct live *lv, yajl_val v, const char *code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	buf_reset(&lv->scratch);
	live_json(&lv->scratch, v);
	return reject_raw(&lv->rj, lv->scratch.p, lv->scratch.len, code, msg);
}

yajl_val
live_get(yajl_val v, const char *key)
{
	size_t i;

	if (!YAJL_IS_OBJECT(v))
		return NULL;
	for (i = 0; i < v->u.object.len; i++)
		if (strcmp(v->u.object.keys[i], key) == 0)
			return v->u.object.values[i];
	return NULL;
}

void
live_json(struct buf *b, yajl_val v)
{
	size_t i;

	if (v == NULL || YAJL_IS_NULL(v)) {
		json_null(b);
	} else if (YAJL_IS_TRUE(v)) {
		json_bool(b, 1);
	} else if (YAJL_IS_FALSE(v)) {
		json_bool(b, 0);
	} else if (YAJL_IS_NUMBER(v)) {
		buf_adds(b, v->u.number.r);
	} else if (YAJL_IS_STRING(v)) {
		json_strz(b, v->u.string);
	} else if (YAJL_IS_ARRAY(v)) {
		buf_addc(b, '[');
		for (i = 0; i < v->u.array.len; i++) {
			if (i > 0)
				buf_addc(b, ',');
			live_json(b, v->u.array.values[i]);
		}
		buf_addc(b, ']');
	} else if (YAJL_IS_OBJECT(v)) {
		buf_addc(b, '{');
		for (i = 0; i < v->u.object.len; i++) {
			if (i > 0)
				buf_addc(b, ',');
			json_strz(b, v->u.object.keys[i]);
			buf_addc(b, ':');
			live_json(b, v->u.object.values[i]);
		}
		buf_addc(b, '}');
	}
}

const char *
live_type(yajl_val v)
{
	if (v == NULL)
		return "missing";
	switch (v->type) {
	case yajl_t_string:
		return "a string";
	case yajl_t_number:
		return "a number";
	case yajl_t_object:
		return "an object";
	case yajl_t_array:
		return "an array";
	case yajl_t_true:
	case yajl_t_false:
		return "a boolean";
	default:
		return "null";
	}
}

int
live_failed(const char *what, const char *url, const struct http_resp *r, int show_body)
{
	struct buf b = BUF_INIT;
	char after[64] = "";

	if (r->stopped)
		return -1;
	if (r->attempts > 1)
		snprintf(after, sizeof after, " (after %d attempts)", r->attempts);
	if (r->status == 0)
		buf_addf(&b, "%s", r->err);
	else
		buf_addf(&b, "HTTP %ld", r->status);
	buf_adds(&b, after);
	if (r->status != 0 && show_body) {
		buf_addf(&b, "; %zu bytes, beginning '", r->body.len);
		live_snippet(&b, r->body.p, r->body.len);
		buf_addc(&b, '\'');
	}
	fs_warnx("cannot get %s'%s': %s", what, url, buf_cstr(&b));
	buf_free(&b);
	return -1;
}

int
live_read_file(const char *path, struct buf *b)
{
	int fd, rc;

	if (strcmp(path, "-") == 0)
		return live_read_fd(0, path, b);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		fs_warn("cannot open '%s'", path);
		return -1;
	}
	rc = live_read_fd(fd, path, b);
	close(fd);
	return rc;
}

int
live_read_fd(int fd, const char *name, struct buf *b)
{
	char tmp[65536];
	ssize_t n;

	buf_reset(b);
	for (;;) {
		n = read(fd, tmp, sizeof tmp);
		if (n < 0 && errno == EINTR && !sig_stop)
			continue;
		if (n < 0) {
			fs_warn("cannot read '%s'", name);
			return -1;
		}
		if (n == 0)
			return 0;
		if (b->len + (size_t)n > (size_t)HTTP_MAX_BODY) {
			fs_warnx("cannot read '%s': larger than %ld MiB", name,
			    HTTP_MAX_BODY / (1024 * 1024));
			return -1;
		}
		buf_add(b, tmp, (size_t)n);
	}
}
