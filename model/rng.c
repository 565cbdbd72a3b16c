/*
 * rng.c - the engine's randomness: xoshiro256** seeded through splitmix64,
 * so that weights and shuffles depend on the seed alone, never on libc.
 */
#include "model/model.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* Seed all four words from splitmix64, as xoshiro's authors advise. */
void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

/* Next 64 random bits. */
uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

/* Uniform in [lo, hi) from the top 24 bits: exact in float. */
float rng_uniform(struct rng *r, float lo, float hi)
{
	float u = (float)(rng_next(r) >> 40) * (1.0f / 16777216.0f);
	return lo + (hi - lo) * u;
}

/* Unbiased bounded integer in [0, n) by rejection (Lemire's threshold). */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
	uint64_t limit = -n % n; /* 2^64 mod n */
	uint64_t x;
	do
		x = rng_next(r);
	while (x < limit);
	return x % n;
}

/* Fisher-Yates over idx [n]. */
void rng_shuffle(struct rng *r, uint32_t *idx, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)rng_below(r, i);
		uint32_t t = idx[i - 1];
		idx[i - 1] = idx[j];
		idx[j] = t;
	}
}
