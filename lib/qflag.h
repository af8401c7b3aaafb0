/*
 * qflag: the quality flags of a clean record, defined once for the
 * program that writes them (fs-clean, in quality_flags) and those that
 * read them (fs-score). A record's flags are a bit set, 1 << QF_*.
 */
#ifndef FS_QFLAG_H
#define FS_QFLAG_H

#include <stddef.h>

/* In the order fs-clean writes them. */
enum {
	QF_OUT_OF_ORDER,
	QF_POSITION_JUMP,
	QF_STUCK_POSITION,
	QF_ALTITUDE_SPIKE,
	QF_IMPOSSIBLE_SPEED,
	QF_COUNT
};

/* qflag_names[QF_*] is the flag's name in quality_flags. */
extern const char *const qflag_names[QF_COUNT];

/* qflag_parse returns the flags named in p[0..n), the JSON text of a quality_flags array. */
unsigned qflag_parse(const char *p, size_t n);

#endif
