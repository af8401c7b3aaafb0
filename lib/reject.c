#include <stdio.h>
#include <string.h>

#include "cli.h"
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
reject_open(struct rejects *rj, const char *tool, const char *path, int quiet)
{
	memset(rj, 0, sizeof *rj);
	rj->tool = tool;
	rj->quiet = quiet;
	if (path == NULL)
		return 0;
	if (ndjson_writer_open(&rj->w, path, 0) != 0)
		return -1;
	rj->to_file = 1;
	return 0;
}

static int
record(struct rejects *rj, const char *where, const char *line, size_t len,
    size_t full_len, const char *code, const char *msg)
{
	rj->count++;
	if (!rj->to_file) {
		if (!rj->quiet && rj->count <= REJECT_WARN_MAX)
			fs_warnx("rejected %s: %s: %s", where, code, msg);
		return 0;
	}
	buf_reset(&rj->rec);
	reject_format(&rj->rec, rj->tool, code, msg, line, len, full_len);
	return ndjson_write(&rj->w, rj->rec.p, rj->rec.len);
}

int
reject_line(struct rejects *rj, const struct ndjson_line *l, const char *code,
    const char *msg)
{
	char where[512];

	snprintf(where, sizeof where, "'%s' line %llu", l->file,
	    (unsigned long long)l->lineno);
	return record(rj, where, l->p, l->len, l->full_len, code, msg);
}

int
reject_raw(struct rejects *rj, const char *line, size_t len, const char *code,
    const char *msg)
{
	return record(rj, "record", line, len, len, code, msg);
}

int
reject_flush(struct rejects *rj)
{
	return rj->to_file ? ndjson_flush(&rj->w) : 0;
}

int
reject_close(struct rejects *rj)
{
	int rc = 0;

	if (rj->to_file)
		rc = ndjson_writer_close(&rj->w);
	else if (rj->count > 0 && !rj->quiet)
		fs_warnx("%llu record%s rejected (keep them with --reject FILE)",
		    (unsigned long long)rj->count, rj->count == 1 ? "" : "s");
	buf_free(&rj->rec);
	return rc;
}
