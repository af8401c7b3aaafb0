/*
 * fuzz/model: a model file through fs-score's loader, then one score
 * with what it loaded: a model that loads must be one that scores.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "score.h"
#include "fuzz.h"

static char path[64];

static void
remove_file(void)
{
	unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model m;
	double x[MAX_FEATURES] = { 0 }, s;
	char err[512];
	FILE *f;
	int fd;

	/* model_load reads a path: one file per process, written again for each input. */
	if (path[0] == '\0') {
		snprintf(path, sizeof path, "/tmp/fs-fuzz-model.XXXXXX");
		if ((fd = mkstemp(path)) < 0)
			abort();
		close(fd);
		atexit(remove_file);
	}
	if ((f = fopen(path, "w")) == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	memset(&m, 0, sizeof m);
	if (model_load(&m, path, err, sizeof err) != 0)
		return 0;
	s = iforest_score(&m, x);
	if (!(s >= 0 && s <= 1))
		__builtin_trap();
	model_free(&m);
	return 0;
}
