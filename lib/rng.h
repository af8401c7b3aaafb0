/*
 * rng: a small, fast, seedable pseudo-random generator (xoshiro256**
 * seeded through splitmix64). The same seed gives the same sequence on
 * every machine, which the simulator's byte-identical output relies on.
 * Not for cryptography.
 */
#ifndef FS_RNG_H
#define FS_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* rng_below returns an integer uniform in [0, n); n > 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* rng_unit returns a double uniform in [0, 1). */
double rng_unit(struct rng *r);
/* rng_range returns a double uniform in [lo, hi). */
double rng_range(struct rng *r, double lo, double hi);
/* rng_normal returns a standard normal deviate. */
double rng_normal(struct rng *r);
/* rng_chance returns 1 with probability p. */
int rng_chance(struct rng *r, double p);

#endif
