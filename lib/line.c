#include <string.h>

#include "json.h"
#include "line.h"

void
line_check(struct line *l)
{
	const unsigned char *p = (const unsigned char *)l->p;
	size_t i;
	void *nul;
	long bad;

	for (i = 0; i < l->len; i++)
		if (p[i] == 0 || p[i] >= 0x80)
			break;
	if (i == l->len)
		return;
	if ((nul = memchr(p + i, 0, l->len - i)) != NULL) {
		l->flags |= LINE_HAS_NUL;
		l->bad_offset = (long)((const unsigned char *)nul - p);
	}
	if ((bad = utf8_check(l->p + i, l->len - i)) >= 0) {
		l->flags |= LINE_BAD_UTF8;
		if (!(l->flags & LINE_HAS_NUL) || (long)i + bad < l->bad_offset)
			l->bad_offset = (long)i + bad;
	}
}
