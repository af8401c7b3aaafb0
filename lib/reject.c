#include <stdio.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "reject.h"

static void
base64(struct buf *b, const unsigned char *p, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	buf_addc(b, '"');
	for (i = 0; i + 2 < n; i += 3) {
		buf_addc(b, tab[p[i] >> 2]);
		buf_addc(b, tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)]);
		buf_addc(b, tab[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)]);
		buf_addc(b, tab[p[i + 2] & 63]);
	}
	if (n - i == 1) {
		buf_addc(b, tab[p[i] >> 2]);
		buf_addc(b, tab[(p[i] & 3) << 4]);
		buf_add(b, "==", 2);
	} else if (n - i == 2) {
		buf_addc(b, tab[p[i] >> 2]);
		buf_addc(b, tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)]);
		buf_addc(b, tab[(p[i + 1] & 15) << 2]);
		buf_addc(b, '=');
	}
	buf_addc(b, '"');
}

void
reject_format(struct buf *out, const char *tool, const char *code,
    const char *msg, const char *line, size_t len, size_t full_len)
{
	int text = memchr(line, 0, len) == NULL && utf8_check(line, len) < 0;

	buf_add(out, "{\"reject\":{\"tool\":", 18);
	json_strz(out, tool);
	buf_add(out, ",\"code\":", 8);
	json_strz(out, code);
	buf_add(out, ",\"message\":", 11);
	json_strz(out, msg);
	buf_add(out, "},", 2);
	if (text) {
		buf_add(out, "\"line\":", 7);
		json_str(out, line, len);
	} else {
		buf_add(out, "\"line_base64\":", 14);
		base64(out, (const unsigned char *)line, len);
	}
	if (full_len > len) {
		buf_add(out, ",\"line_length\":", 15);
		json_uint(out, full_len);
	}
	buf_add(out, "}\n", 2);
}

void
reject_encoding(const char *p, size_t n, const char **code, char *msg, size_t msgsz)
{
	const char *nul = memchr(p, '\0', n);
	long bad = utf8_check(p, n);

	if (nul != NULL && (bad < 0 || nul - p <= bad)) {
		*code = "encoding";
		snprintf(msg, msgsz, "NUL byte at byte %ld", (long)(nul - p) + 1);
	} else if (bad >= 0) {
		*code = "encoding";
		snprintf(msg, msgsz, "invalid UTF-8 at byte %ld", bad + 1);
	}
}

int
reject_open(struct rejects *rj, struct stats *st, const struct cli *c, const char *path)
{
	memset(rj, 0, sizeof *rj);
	rj->tool = st->tool;
	rj->st = st;
	rj->quiet = c->verbose < 0;
	if (path == NULL)
		return 0;
	if (io_out_open(&rj->w, &c->io, path, 0) != 0)
		return -1;
	rj->to_file = 1;
	return 0;
}

/* count counts a reject in stats, under its code's counter (made on first use). */
static void
count(struct rejects *rj, const char *code, int rejected)
{
	struct stats *st = rj->st;
	char name[64], *p;
	int i;

	rj->count++;
	st->rejected += rejected;
	snprintf(name, sizeof name, "rejected_%s", code);
	for (p = name; *p != '\0'; p++)
		if (*p == '.')
			*p = '_';
	for (i = 0; i < rj->ncodes; i++)
		if (strcmp(rj->codes[i].name, name) == 0) {
			(*rj->codes[i].n)++;
			return;
		}
	if (rj->ncodes == REJECT_MAX_CODES) {
		(*stats_counter(st, "rejected_other"))++;
		return;
	}
	/* A code is kept under its own name; past the room in struct stats its counter is the shared one. */
	memcpy(rj->codes[rj->ncodes].name, name, sizeof name);
	rj->codes[rj->ncodes].n = stats_counter(st, st->nextra >= STATS_MAX_EXTRA - 1 ?
	    "rejected_other" : rj->codes[rj->ncodes].name);
	(*rj->codes[rj->ncodes++].n)++;
}

static int
record(struct rejects *rj, const char *where, const struct line *l, const char *code,
    const char *msg, int rejected)
{
	count(rj, code, rejected);
	if (!rj->to_file) {
		if (!rj->quiet && rj->count <= REJECT_WARN_MAX)
			fs_warnx("rejected %s: %s: %s", where, code, msg);
		return 0;
	}
	buf_reset(&rj->rec);
	reject_format(&rj->rec, rj->tool, code, msg, l->p, l->len, l->full_len);
	return io_write(&rj->w, rj->rec.p, rj->rec.len, l->tok);
}

/* where names a line for a message on stderr: its file and number. */
static const char *
where(char *buf, size_t size, const struct line *l)
{
	snprintf(buf, size, "'%s' line %llu", l->file, (unsigned long long)l->lineno);
	return buf;
}

int
reject_line(struct rejects *rj, const struct line *l, const char *code, const char *msg)
{
	char w[512];

	return record(rj, where(w, sizeof w, l), l, code, msg, 1);
}

int
reject_aside(struct rejects *rj, const struct line *l, const char *code, const char *msg)
{
	char w[512];

	return record(rj, where(w, sizeof w, l), l, code, msg, 0);
}

int
reject_raw(struct rejects *rj, const char *p, size_t len, const char *code, const char *msg)
{
	struct line l = { .p = p, .len = len, .full_len = len };

	return record(rj, "record", &l, code, msg, 1);
}

int
reject_flush(struct rejects *rj)
{
	return rj->to_file ? io_flush(&rj->w) : 0;
}

int
reject_close(struct rejects *rj)
{
	int rc = 0;

	if (rj->to_file)
		rc = io_out_close(&rj->w);
	else if (rj->count > 0 && !rj->quiet)
		fs_warnx("%llu record%s rejected (keep them with --reject FILE)",
		    (unsigned long long)rj->count, rj->count == 1 ? "" : "s");
	buf_free(&rj->rec);
	return rc;
}
