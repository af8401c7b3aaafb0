/* fuzz/readsb: a receiver's aircraft.json through fs-produce readsb's converter. */
#include "../../cmd/fs-produce/readsb.c"
#include "fuzz_live.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct readsb s;
	struct buf body = { 0 };

	memset(&s, 0, sizeof s);
	fuzz_live_start(&s.lv);
	buf_add(&body, (const char *)data, size);
	convert(&s, &body, "fuzz");
	live_finish(&s.lv, 0);
	buf_free(&body);
	return 0;
}
