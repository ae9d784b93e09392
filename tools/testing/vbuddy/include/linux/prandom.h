/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's seeded generator, prandom_u32_state(), on the userspace
 * tests' splitmix64: another sequence than the kernel's, equally fixed by
 * the seed, which is all a test may rely on.
 */
#ifndef _VBUDDY_SHIM_LINUX_PRANDOM_H
#define _VBUDDY_SHIM_LINUX_PRANDOM_H

#include <linux/types.h>

#include "../../rng.h"

struct rnd_state {
	struct rng r;
};

static inline void prandom_seed_state(struct rnd_state *state, u64 seed)
{
	state->r.s = seed;
}

static inline u32 prandom_u32_state(struct rnd_state *state)
{
	return rng_next(&state->r) >> 32;
}

#endif /* _VBUDDY_SHIM_LINUX_PRANDOM_H */
