/* Tests of lib/rng: xoshiro256** seeded through splitmix64. */
#include "rng.h"
#include "t.h"

/*
 * The first outputs for three seeds, computed independently from the
 * published algorithms (splitmix64 for the state, xoshiro256** for the
 * output). Every machine must give exactly these, or the simulator's
 * output would differ between machines.
 */
static const struct {
	uint64_t seed;
	uint64_t want[4];
} golden[] = {
	{ 0, { 0x99ec5f36cb75f2b4ULL, 0xbf6e1f784956452aULL, 0x1a5f849d4933e6e0ULL, 0x6aa594f1262d2d2cULL } },
	{ 1, { 0xb3f2af6d0fc710c5ULL, 0x853b559647364ceaULL, 0x92f89756082a4514ULL, 0x642e1c7bc266a3a7ULL } },
	{ 42, { 0x15780b2e0c2ec716ULL, 0x6104d9866d113a7eULL, 0xae17533239e499a1ULL, 0xecb8ad4703b360a1ULL } },
};

static void
test_golden(void)
{
	struct rng r;
	size_t i, k;

	for (i = 0; i < N(golden); i++) {
		rng_seed(&r, golden[i].seed);
		for (k = 0; k < 4; k++)
			t_uint(golden[i].want[k], rng_next(&r), "seed %llu output %zu is the reference value",
			    (unsigned long long)golden[i].seed, k + 1);
	}
}

static void
test_determinism(void)
{
	struct rng a, b, c;
	int i, same = 1, differ = 0;

	rng_seed(&a, 42);
	rng_seed(&b, 42);
	rng_seed(&c, 43);
	for (i = 0; i < 10000; i++) {
		uint64_t x = rng_next(&a), y = rng_next(&b), z = rng_next(&c);

		if (x != y)
			same = 0;
		if (x != z)
			differ++;
	}
	t_ok(same, "the same seed gives the same 10000 numbers");
	t_range(9990, 10000, differ, "seeds 42 and 43 give different numbers");
	rng_seed(&a, 42);
	rng_seed(&b, 42);
	t_ok(rng_unit(&a) == rng_unit(&b) && rng_normal(&a) == rng_normal(&b) &&
	    rng_below(&a, 1000) == rng_below(&b, 1000), "the same seed gives the same derived values");
	rng_seed(&a, 0);
	rng_seed(&b, UINT64_MAX);
	t_ok(rng_next(&a) != rng_next(&b), "seeds 0 and UINT64_MAX differ");
}

static void
test_below(void)
{
	static const uint64_t ns[] = { 1, 2, 3, 7, 10, 1000, 1ULL << 32, (1ULL << 63) + 1, UINT64_MAX };
	struct rng r;
	size_t i;
	int k, out;
	uint64_t v;
	long counts[10] = { 0 };
	double chi2 = 0;

	rng_seed(&r, 7);
	for (i = 0; i < N(ns); i++) {
		out = 0;
		for (k = 0; k < 20000; k++)
			if (rng_below(&r, ns[i]) >= ns[i])
				out++;
		t_int(0, out, "rng_below(%llu) stays below", (unsigned long long)ns[i]);
	}
	for (k = 0; k < 1000; k++)
		if ((v = rng_below(&r, 1)) != 0)
			break;
	t_int(1000, k, "rng_below(1) is always 0");
	/* Uniformity: a chi-square test over 10 buckets (9 degrees of freedom; 27.9 is p = 0.001). */
	for (k = 0; k < 100000; k++)
		counts[rng_below(&r, 10)]++;
	for (k = 0; k < 10; k++)
		chi2 += (counts[k] - 10000.0) * (counts[k] - 10000.0) / 10000.0;
	t_range(0, 27.9, chi2, "rng_below(10) is uniform (chi-square over 100000 draws)");
	/* Both halves of a range just above 2^63 are reached. */
	{
		int low = 0, high = 0;

		for (k = 0; k < 1000; k++) {
			v = rng_below(&r, (1ULL << 63) + 1);
			if (v < (1ULL << 62))
				low++;
			else if (v >= (1ULL << 62) + (1ULL << 61))
				high++;
		}
		t_ok(low > 150 && high > 150, "rng_below(2^63 + 1) covers its range (%d low, %d high)", low, high);
	}
}

static void
test_unit(void)
{
	struct rng r;
	double x, lo = 1, hi = 0, sum = 0, rlo = 1e9, rhi = -1e9;
	int k, n = 1000000;

	rng_seed(&r, 123);
	for (k = 0; k < n; k++) {
		x = rng_unit(&r);
		if (x < lo)
			lo = x;
		if (x > hi)
			hi = x;
		sum += x;
	}
	t_ok(lo >= 0 && hi < 1, "rng_unit is in [0, 1) over a million draws (%g..%.17g)", lo, hi);
	t_range(0, 1e-5, lo, "rng_unit comes close to 0");
	t_range(1 - 1e-5, 1, hi, "rng_unit comes close to 1");
	t_near(0.5, sum / n, 0.002, "rng_unit has mean 1/2");
	for (k = 0; k < 100000; k++) {
		x = rng_range(&r, -5, 3);
		if (x < rlo)
			rlo = x;
		if (x > rhi)
			rhi = x;
	}
	t_ok(rlo >= -5 && rhi < 3 && rlo < -4.99 && rhi > 2.99, "rng_range(-5, 3) covers [-5, 3) (%g..%g)",
	    rlo, rhi);
}

static void
test_normal(void)
{
	struct rng r;
	double x, sum = 0, sq = 0, mean, sd;
	int k, n = 200000, finite = 1, within1 = 0;

	rng_seed(&r, 99);
	for (k = 0; k < n; k++) {
		x = rng_normal(&r);
		if (!isfinite(x))
			finite = 0;
		if (fabs(x) < 1)
			within1++;
		sum += x;
		sq += x * x;
	}
	mean = sum / n;
	sd = sqrt(sq / n - mean * mean);
	t_ok(finite, "rng_normal is always finite");
	t_near(0, mean, 0.01, "rng_normal has mean 0");
	t_near(1, sd, 0.01, "rng_normal has standard deviation 1");
	t_near(0.6827, (double)within1 / n, 0.005, "68%% of rng_normal is within one deviation");
}

static void
test_chance(void)
{
	struct rng r;
	int k, yes0 = 0, yes1 = 0, yes = 0, neg = 0;

	rng_seed(&r, 5);
	for (k = 0; k < 100000; k++) {
		yes0 += rng_chance(&r, 0);
		yes1 += rng_chance(&r, 1);
		yes += rng_chance(&r, 0.25);
		neg += rng_chance(&r, -1);
	}
	t_int(0, yes0, "rng_chance(0) never");
	t_int(100000, yes1, "rng_chance(1) always");
	t_int(0, neg, "rng_chance(-1) never");
	t_near(0.25, yes / 100000.0, 0.005, "rng_chance(0.25) a quarter of the time");
}

int
main(void)
{
	test_golden();
	test_determinism();
	test_below();
	test_unit();
	test_normal();
	test_chance();
	return t_done();
}
