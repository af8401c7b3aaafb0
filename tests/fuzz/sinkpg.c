/* fuzz/sinkpg: records through fs-sink-pg's table choice, row encoder and batch. */
#include "sinkpg.h"
#include "fuzz.h"

struct ctx {
	struct rowmaker rm;
	struct batch b;
	struct event ev;
	struct buf row;
	int want;
};

static void
one(const char *p, size_t n, void *arg)
{
	struct ctx *c = arg;
	struct rowkey key;
	const char *code;
	char msg[256];
	int t;

	if (event_parse(&c->ev, p, n, &code, msg, sizeof msg) != 0)
		return;
	if ((t = row_table(&c->ev, c->want, &code, msg, sizeof msg)) < 0)
		return;
	buf_reset(&c->row);
	if (row_encode(&c->rm, &c->ev, t, &c->row, &key, &code, msg, sizeof msg) != 0)
		return;
	if (batch_has_key(&c->b, t, &key))
		return;
	{
		struct line l = { .p = p, .len = n, .full_len = n, .file = "fuzz", .lineno = 1 };

		batch_add(&c->b, t, &c->row, &key, &l);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct ctx c;

	if (!init) {
		schema_prepare();
		init = 1;
	}
	memset(&c, 0, sizeof c);
	/* The last byte picks --table, or none (by shape), as the corpus varies. */
	c.want = size > 0 && data[size - 1] % 3 != 0 ? data[size - 1] % 3 - 1 : -1;
	if (c.want >= TAB_COUNT)
		c.want = -1;
	row_init(&c.rm);
	batch_init(&c.b);
	event_init(&c.ev);
	fuzz_lines(data, size, one, &c);
	batch_sort(&c.b);
	batch_clear(&c.b);
	batch_free(&c.b);
	event_free(&c.ev);
	row_free(&c.rm);
	buf_free(&c.row);
	return 0;
}
