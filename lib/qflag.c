#include <string.h>

#include "qflag.h"

const char *const qflag_names[QF_COUNT] = {
	[QF_OUT_OF_ORDER] = "out_of_order",
	[QF_POSITION_JUMP] = "position_jump",
	[QF_STUCK_POSITION] = "stuck_position",
	[QF_ALTITUDE_SPIKE] = "altitude_spike",
	[QF_IMPOSSIBLE_SPEED] = "impossible_speed",
};

unsigned
qflag_parse(const char *p, size_t n)
{
	unsigned f = 0;
	int i;

	/* No name is part of another, so finding it anywhere in the text is enough. */
	for (i = 0; i < QF_COUNT && n > 2; i++)
		if (memmem(p, n, qflag_names[i], strlen(qflag_names[i])) != NULL)
			f |= 1u << i;
	return f;
}
