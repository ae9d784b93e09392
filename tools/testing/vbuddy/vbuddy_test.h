/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace test harness for the vbuddy core (module/buddy.c), which is
 * built here with the host compiler under ASan and UBSan, the way
 * tools/testing/radix-tree builds lib/maple_tree.c.
 */
#ifndef _VBUDDY_TEST_H
#define _VBUDDY_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>

#include "buddy.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- test cases -------------------------------------------------------- */

struct test_case {
	const char *name;
	void (*fn)(void);
};

extern const struct test_case unit_cases[];
extern const unsigned int nr_unit_cases;

/* tools.c: cases that run fuzz_buddy_replay and vbuddy-replay-asan. */
extern const struct test_case tool_cases[];
extern const unsigned int nr_tool_cases;

/* Run parameters of the randomized test. */
struct rand_params {
	u64 seed;
	unsigned long ops;
	unsigned int check_every;	/* buddy_check() period, in operations */
};

#define NR_RANDOM_LAYOUTS	3

/* Returns true on success; prints its own "# " diagnostics. */
bool random_run(const struct rand_params *rp, unsigned int layout);
const char *random_layout_name(unsigned int layout);

/*
 * The current case fails when any expectation fails. The first few messages
 * are printed as TAP diagnostics ("# ..."), the rest only counted.
 */
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool test_case_failed(void);
/* "-EINVAL" and the like, for messages. */
const char *test_errname(int err);

#define EXPECT(cond)							\
	({								\
		bool __ok = !!(cond);					\
		if (!__ok)						\
			test_fail(__FILE__, __LINE__, "%s", #cond);	\
		__ok;							\
	})

#define EXPECT_EQ(a, b)							\
	({								\
		long long __a = (long long)(a), __b = (long long)(b);	\
		bool __ok = __a == __b;					\
		if (!__ok)						\
			test_fail(__FILE__, __LINE__,			\
				  "%s == %s: got %lld, want %lld",	\
				  #a, #b, __a, __b);			\
		__ok;							\
	})

/* @expr returns 0 or a negative errno, @err is what it must return. */
#define EXPECT_ERR(expr, err)						\
	({								\
		int __r = (expr), __e = (err);				\
		bool __ok = __r == __e;					\
		if (!__ok)						\
			test_fail(__FILE__, __LINE__,			\
				  "%s: got %s, want %s", #expr,		\
				  test_errname(__r), test_errname(__e));	\
		__ok;							\
	})

#define EXPECT_OK(expr)		EXPECT_ERR(expr, 0)

/* Stop the current case (from its own function) when @cond fails. */
#define ASSERT(cond)							\
	do {								\
		if (!EXPECT(cond))					\
			return;						\
	} while (0)

/* ---- a pool: an allocator together with its storage -------------------- */

struct tpool {
	struct buddy b;
	struct buddy_frame *frames;
	struct buddy_span *spans;
};

/* Exactly @max_frames frames, so ASan sees any access past the storage. */
struct tpool *tpool_new(u32 max_frames, u32 max_spans);
void tpool_free(struct tpool *p);

/* A byte-for-byte copy of an allocator and its storage. */
struct snap {
	struct buddy b;
	struct buddy_frame *frames;
	struct buddy_span *spans;
};

void snap_take(struct snap *s, const struct buddy *b);
bool snap_same(const struct snap *s, const struct buddy *b);
void snap_drop(struct snap *s);

/*
 * A deep copy that can be corrupted on purpose: @copy.b points to the
 * copied storage, never to the original's.
 */
void snap_clone(struct snap *copy, const struct buddy *b);

/* ---- block helpers ------------------------------------------------------ */

struct blk_desc {
	unsigned long pfn;
	unsigned int order;
	enum buddy_state state;
};

/*
 * The maximal naturally aligned blocks (at most VBUDDY_MAX_ORDER) that tile
 * [pfn, pfn + nr): how a span must look when all of it is free. Returns
 * the number of blocks, which fit in @max.
 */
int carve(unsigned long pfn, unsigned long nr, struct blk_desc *out, int max);

/*
 * The blocks of [pfn, pfn + nr) as buddy_lookup() reports them. Returns the
 * number of blocks, or -1 (after a test failure) if lookup fails or a block
 * does not start where the previous one ended.
 */
int walk_blocks(const struct buddy *b, unsigned long pfn, unsigned long nr,
		struct blk_desc *out, int max);

/* Every span of @b is free and cut into its maximal blocks; check clean. */
bool expect_recovered(const struct buddy *b);

/* ---- stderr capture (buddy_check() reports corruption on stderr) -------- */

struct quiet {
	int saved_fd;
	FILE *tmp;
};

void quiet_begin(struct quiet *q);
/* Restores stderr and echoes what was captured as "# " lines on stdout. */
void quiet_end(struct quiet *q, const char *prefix);

/* ---- pseudo-random numbers: splitmix64, identical on every host --------- */

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

static inline void rng_shuffle_ul(struct rng *r, unsigned long *a, size_t n)
{
	size_t i;

	for (i = n; i > 1; i--) {
		size_t j = rng_below(r, i);
		unsigned long t = a[i - 1];

		a[i - 1] = a[j];
		a[j] = t;
	}
}

void *xcalloc(size_t n, size_t size);

#endif /* _VBUDDY_TEST_H */
