#include <string.h>

#include "phase.h"

const char *const phase_names[PHASE_COUNT] = {
	[PHASE_NONE] = NULL,
	[PHASE_GROUND] = "GROUND",
	[PHASE_CLIMB] = "CLIMB",
	[PHASE_DESCENT] = "DESCENT",
	[PHASE_CRUISE] = "CRUISE",
	[PHASE_LEVEL] = "LEVEL",
};

int
phase_code(const char *s, size_t n)
{
	int p;

	for (p = PHASE_NONE + 1; p < PHASE_COUNT; p++)
		if (strlen(phase_names[p]) == n && memcmp(phase_names[p], s, n) == 0)
			return p;
	return PHASE_NONE;
}
