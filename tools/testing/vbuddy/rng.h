/* SPDX-License-Identifier: GPL-2.0 */
/*
 * splitmix64: the pseudo-random numbers of the userspace tests, the same
 * on every host, so that a seed replays a run exactly (splitmix.py is the
 * same generator for the Python scripts).
 */
#ifndef _VBUDDY_RNG_H
#define _VBUDDY_RNG_H

#include "buddy_shim.h"

struct rng {
	u64 s;
};

static inline u64 rng_next(struct rng *r)
{
	u64 z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (the bias of the modulo is irrelevant here). */
static inline u64 rng_below(struct rng *r, u64 n)
{
	return rng_next(r) % n;
}

/* Uniform in [lo, hi]. */
static inline u64 rng_range(struct rng *r, u64 lo, u64 hi)
{
	return lo + rng_below(r, hi - lo + 1);
}

#endif /* _VBUDDY_RNG_H */
