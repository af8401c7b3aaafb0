/* fuzz/sinkmongo: records through fs-sink-mongo's document builder. */
#include "sinkmongo.h"
#include "fuzz.h"

struct ctx {
	struct docmaker dm;
	struct event ev;
};

static void
one(const char *p, size_t n, void *arg)
{
	struct ctx *c = arg;
	const char *code;
	char msg[256];

	if (event_parse(&c->ev, p, n, &code, msg, sizeof msg) != 0)
		return;
	if (doc_make(&c->dm, &c->ev, &code, msg, sizeof msg) != 0)
		return;
	/* What the server is sent must be a valid document. */
	if (!bson_validate(&c->dm.doc, BSON_VALIDATE_UTF8, NULL))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c;

	memset(&c, 0, sizeof c);
	doc_init(&c.dm);
	event_init(&c.ev);
	fuzz_lines(data, size, one, &c);
	event_free(&c.ev);
	doc_free(&c.dm);
	return 0;
}
