/*
 * phase: the flight phases, named once for the program that labels a
 * record with one (fs-clean, in flight_phase) and those that read it
 * (fs-score).
 */
#ifndef FS_PHASE_H
#define FS_PHASE_H

#include <stddef.h>

/* PHASE_NONE is no phase: written as null, and what an unknown name reads as. */
enum { PHASE_NONE, PHASE_GROUND, PHASE_CLIMB, PHASE_DESCENT, PHASE_CRUISE,
	PHASE_LEVEL, PHASE_COUNT };

/* phase_names[PHASE_*] is "GROUND" etc.; NULL for PHASE_NONE. */
extern const char *const phase_names[PHASE_COUNT];

/* phase_code returns the PHASE_* named s[0..n), PHASE_NONE when none is. */
int phase_code(const char *s, size_t n);

#endif
