/* fuzz/opensky: an OpenSky /states/all response through fs-produce opensky's converter. */
#include "../../cmd/fs-produce/opensky.c"
#include "fuzz_live.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct opensky o;
	struct buf body = { 0 };

	memset(&o, 0, sizeof o);
	fuzz_live_start(&o.lv);
	buf_add(&body, (const char *)data, size);
	convert(&o, &body, "fuzz");
	live_finish(&o.lv, 0);
	buf_free(&body);
	return 0;
}
