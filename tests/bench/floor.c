/*
 * floor: the cost of reading NDJSON at all. Reads stdin through yajl's
 * callback parser with callbacks that do nothing, and prints the
 * number of values parsed. Every flightstream program does at least
 * this much work per record, so make bench reports programs as a
 * ratio to it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <yajl/yajl_parse.h>

static unsigned long long values;

static int cb_null(void *c) { values++; return 1; }
static int cb_bool(void *c, int b) { values++; return 1; }
static int cb_num(void *c, const char *s, size_t n) { values++; return 1; }
static int cb_str(void *c, const unsigned char *s, size_t n) { values++; return 1; }
static int cb_key(void *c, const unsigned char *s, size_t n) { return 1; }
static int cb_open(void *c) { return 1; }
static int cb_close(void *c) { values++; return 1; }

static const yajl_callbacks cbs = {
	cb_null, cb_bool, NULL, NULL, cb_num, cb_str,
	cb_open, cb_key, cb_close, cb_open, cb_close,
};

int
main(void)
{
	static unsigned char buf[1 << 16];
	yajl_handle h = yajl_alloc(&cbs, NULL, NULL);
	ssize_t n;

	if (h == NULL)
		return 1;
	yajl_config(h, yajl_allow_multiple_values, 1);
	while ((n = read(0, buf, sizeof buf)) > 0)
		if (yajl_parse(h, buf, (size_t)n) != yajl_status_ok) {
			fprintf(stderr, "floor: invalid JSON\n");
			return 1;
		}
	if (n < 0 || yajl_complete_parse(h) != yajl_status_ok) {
		fprintf(stderr, "floor: read error or truncated JSON\n");
		return 1;
	}
	printf("%llu\n", values);
	yajl_free(h);
	return 0;
}
