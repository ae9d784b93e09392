// SPDX-License-Identifier: GPL-2.0
/*
 * Deterministic unit cases for the vbuddy core. Each function is one TAP
 * test case; see unit_cases[] at the bottom.
 */

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "vbuddy_test.h"

#define MAXO		VBUDDY_MAX_ORDER

/* The exact blocks expected below are written for order-10 top blocks. */
_Static_assert(VBUDDY_MAX_ORDER == 10, "unit.c assumes VBUDDY_MAX_ORDER 10");
#define BLK(p, o)	{ .pfn = (p), .order = (o), .state = BUDDY_FREE }

struct span_def {
	unsigned long pfn;
	u32 nr;
};

/* A pool with exactly the frames and span slots that @defs need. */
static struct tpool *pool_of(const struct span_def *defs, unsigned int n)
{
	unsigned long total = 0;
	struct tpool *p;
	unsigned int i;

	for (i = 0; i < n; i++)
		total += defs[i].nr;
	p = tpool_new(total, n);
	for (i = 0; i < n; i++)
		if (!EXPECT_OK(buddy_add_span(&p->b, defs[i].pfn, defs[i].nr)))
			printf("#   span %u: pfn %lu nr %u\n", i, defs[i].pfn,
			       defs[i].nr);
	EXPECT_OK(buddy_check(&p->b));
	return p;
}

#define POOL(...)							\
	({								\
		static const struct span_def __d[] = { __VA_ARGS__ };	\
		pool_of(__d, ARRAY_SIZE(__d));				\
	})

/* The blocks of [pfn, pfn + nr) are exactly @want (given in pfn order). */
static bool expect_blocks(const struct buddy *b, unsigned long pfn,
			  unsigned long nr, const struct blk_desc *want, int nw)
{
	struct blk_desc *got = xcalloc(nr, sizeof(*got));
	int ng = walk_blocks(b, pfn, nr, got, nr), i;
	bool ok = EXPECT_EQ(ng, nw);

	for (i = 0; ok && i < nw; i++) {
		if (got[i].pfn != want[i].pfn || got[i].order != want[i].order ||
		    got[i].state != want[i].state) {
			test_fail(__FILE__, __LINE__,
				  "[%lu, +%lu) block %d: got pfn %lu order %u state %d, want pfn %lu order %u state %d",
				  pfn, nr, i, got[i].pfn, got[i].order,
				  got[i].state, want[i].pfn, want[i].order,
				  want[i].state);
			ok = false;
		}
	}
	free(got);
	return ok;
}

static bool expect_lookup(const struct buddy *b, unsigned long pfn,
			  unsigned long head, unsigned int order,
			  enum buddy_state state)
{
	struct buddy_block blk;

	if (!EXPECT_OK(buddy_lookup(b, pfn, &blk)))
		return false;
	if (blk.pfn != head || blk.order != order || blk.state != state) {
		test_fail(__FILE__, __LINE__,
			  "lookup(%lu): got pfn %lu order %u state %d, want pfn %lu order %u state %d",
			  pfn, blk.pfn, blk.order, blk.state, head, order, state);
		return false;
	}
	return true;
}

/* buddy_free() must fail with @err and leave every byte as it was. */
static bool expect_bad_free(struct tpool *p, unsigned long pfn,
			    unsigned int order, int err)
{
	struct snap s;
	bool ok;

	snap_take(&s, &p->b);
	ok = EXPECT_ERR(buddy_free(&p->b, pfn, order), err);
	if (!ok)
		printf("#   buddy_free(pfn %lu, order %u)\n", pfn, order);
	ok &= EXPECT(snap_same(&s, &p->b));
	ok &= EXPECT_OK(buddy_check(&p->b));
	snap_drop(&s);
	return ok;
}

static bool expect_bad_add(struct tpool *p, unsigned long pfn, u32 nr, int err)
{
	struct snap s;
	bool ok;

	snap_take(&s, &p->b);
	ok = EXPECT_ERR(buddy_add_span(&p->b, pfn, nr), err);
	if (!ok)
		printf("#   buddy_add_span(pfn %lu, nr %u)\n", pfn, nr);
	ok &= EXPECT(snap_same(&s, &p->b));
	ok &= EXPECT_OK(buddy_check(&p->b));
	snap_drop(&s);
	return ok;
}

static void expect_nr_free(const struct buddy *b, const unsigned long *want)
{
	unsigned int o;

	for (o = 0; o <= MAXO; o++)
		if (!EXPECT_EQ(b->nr_free[o], want[o]))
			printf("#   (order %u)\n", o);
}

static unsigned long alloc_ok(struct tpool *p, unsigned int order)
{
	unsigned long pfn = ULONG_MAX;

	EXPECT_OK(buddy_alloc(&p->b, order, &pfn));
	EXPECT_EQ(pfn & ((1UL << order) - 1), 0);
	return pfn;
}

/* ---- empty allocator ---------------------------------------------------- */

static void test_init_empty(void)
{
	struct tpool *p = tpool_new(16, 2);
	unsigned long pfn, pfns[1];
	struct buddy_block blk;
	unsigned int o;

	EXPECT_OK(buddy_check(&p->b));
	EXPECT_EQ(p->b.free_frames, 0);
	EXPECT_EQ(p->b.nr_frames, 0);
	EXPECT_EQ(buddy_largest_free_order(&p->b), -1);
	for (o = 0; o <= MAXO; o++) {
		EXPECT_EQ(p->b.free_head[o], BUDDY_NIL);
		EXPECT_ERR(buddy_alloc(&p->b, o, &pfn), -ENOMEM);
	}
	EXPECT_ERR(buddy_gather(&p->b, 1, pfns), -ENOMEM);
	EXPECT_ERR(buddy_lookup(&p->b, 0, &blk), -ENOENT);
	EXPECT_ERR(buddy_free(&p->b, 0, 0), -ENOENT);
	EXPECT_ERR(buddy_set_tag(&p->b, 0, 1), -EINVAL);
	EXPECT_OK(buddy_check(&p->b));
	tpool_free(p);
}

/* ---- carving spans into blocks ------------------------------------------ */

static void test_carve_pfn3_1000(void)
{
	static const struct blk_desc want[] = {
		BLK(3, 0), BLK(4, 2), BLK(8, 3), BLK(16, 4), BLK(32, 5),
		BLK(64, 6), BLK(128, 7), BLK(256, 8), BLK(512, 8),
		BLK(768, 7), BLK(896, 6), BLK(960, 5), BLK(992, 3),
		BLK(1000, 1), BLK(1002, 0),
	};
	static const unsigned long nr_free[VBUDDY_NR_ORDERS] = {
		2, 1, 1, 2, 1, 2, 2, 2, 2, 0, 0,
	};
	struct tpool *p = POOL({ 3, 1000 });
	struct buddy_block blk;

	expect_blocks(&p->b, 3, 1000, want, ARRAY_SIZE(want));
	expect_nr_free(&p->b, nr_free);
	EXPECT_EQ(p->b.free_frames, 1000);
	EXPECT_EQ(buddy_largest_free_order(&p->b), 8);
	EXPECT_ERR(buddy_lookup(&p->b, 2, &blk), -ENOENT);
	EXPECT_ERR(buddy_lookup(&p->b, 1003, &blk), -ENOENT);
	/* Interior frames find their block. */
	expect_lookup(&p->b, 7, 4, 2, BUDDY_FREE);
	expect_lookup(&p->b, 767, 512, 8, BUDDY_FREE);
	expect_lookup(&p->b, 1001, 1000, 1, BUDDY_FREE);
	tpool_free(p);
}

static void test_carve_odd_spans(void)
{
	static const struct {
		struct span_def span;
		struct blk_desc want[8];
		int n;
	} cases[] = {
		{ { 0, 1 }, { BLK(0, 0) }, 1 },
		{ { 1, 1 }, { BLK(1, 0) }, 1 },
		{ { 1023, 2 }, { BLK(1023, 0), BLK(1024, 0) }, 2 },
		{ { 1023, 1026 }, { BLK(1023, 0), BLK(1024, 10), BLK(2048, 0) }, 3 },
		{ { 0, 3 * 1024 + 5 },
		  { BLK(0, 10), BLK(1024, 10), BLK(2048, 10), BLK(3072, 2),
		    BLK(3076, 0) }, 5 },
		{ { 5, 11 }, { BLK(5, 0), BLK(6, 1), BLK(8, 3) }, 3 },
		{ { 7 * 1024 + 512, 3 * 1024 },
		  { BLK(7680, 9), BLK(8192, 10), BLK(9216, 10), BLK(10240, 9) }, 4 },
		{ { 6, 2 }, { BLK(6, 1) }, 1 },
		{ { 6, 3 }, { BLK(6, 1), BLK(8, 0) }, 2 },
		{ { (1UL << 33) - 1, 3 }, { BLK((1UL << 33) - 1, 0), BLK(1UL << 33, 1) }, 2 },
		{ { 1UL << 40, 2048 }, { BLK(1UL << 40, 10), BLK((1UL << 40) + 1024, 10) }, 2 },
		{ { ULONG_MAX - 1030, 1031 },	/* ends at the last pfn there is */
		  { BLK(ULONG_MAX - 1030, 0), BLK(ULONG_MAX - 1029, 1),
		    BLK(ULONG_MAX - 1027, 2), BLK(ULONG_MAX - 1023, 10) }, 4 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct tpool *p = pool_of(&cases[i].span, 1);

		if (!expect_blocks(&p->b, cases[i].span.pfn, cases[i].span.nr,
				   cases[i].want, cases[i].n))
			printf("#   case %u: span pfn %lu nr %u\n", i,
			       cases[i].span.pfn, cases[i].span.nr);
		expect_recovered(&p->b);
		tpool_free(p);
	}
}

/* Many odd spans in one pool, checked against the greedy carving. */
static void test_carve_many_spans(void)
{
	struct tpool *p = POOL({ 1, 1 }, { 2, 2 }, { 5, 3 }, { 9, 1000 },
			       { 1009, 15 }, { 2047, 1 }, { 2048, 1 },
			       { 3000, 4096 + 17 }, { 8192, 8192 },
			       { (1UL << 40) + 7, 1000 }, { (1UL << 41) - 3, 5 });

	EXPECT_EQ(p->b.nr_spans, 11);
	expect_recovered(&p->b);
	/* The 8192-frame span is aligned: eight order-10 blocks. */
	expect_lookup(&p->b, 8192 + 5000, 8192 + 4096, 10, BUDDY_FREE);
	tpool_free(p);
}

/* ---- alloc / free -------------------------------------------------------- */

static void test_alloc_free_every_order(void)
{
	struct tpool *p = POOL({ 0, 2048 }, { 2048 + 3, 4000 });
	unsigned int o;

	for (o = 0; o <= MAXO; o++) {
		unsigned long pfn = alloc_ok(p, o), last = pfn + (1UL << o) - 1;
		struct buddy_block blk;

		expect_lookup(&p->b, pfn, pfn, o, BUDDY_USED);
		expect_lookup(&p->b, last, pfn, o, BUDDY_USED);
		EXPECT_OK(buddy_lookup(&p->b, pfn, &blk));
		EXPECT_EQ(blk.tag, 0);
		EXPECT_EQ(p->b.free_frames, 6048 - (1UL << o));
		EXPECT_OK(buddy_check(&p->b));
		EXPECT_OK(buddy_free(&p->b, pfn, o));
		expect_recovered(&p->b);
	}
	/* All orders at once, freed in reverse. */
	{
		unsigned long pfn[VBUDDY_NR_ORDERS], used = 0;

		for (o = 0; o <= MAXO; o++) {
			pfn[o] = alloc_ok(p, o);
			used += 1UL << o;
		}
		EXPECT_EQ(p->b.free_frames, 6048 - used);
		EXPECT_OK(buddy_check(&p->b));
		for (o = MAXO + 1; o-- > 0; )
			EXPECT_OK(buddy_free(&p->b, pfn[o], o));
		expect_recovered(&p->b);
	}
	tpool_free(p);
}

static void test_alloc_bad_order(void)
{
	struct tpool *p = POOL({ 0, 1024 });
	static const unsigned int bad[] = { MAXO + 1, MAXO + 2, 63, 64, 255, UINT_MAX };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		unsigned long pfn = 77;
		struct snap s;

		snap_take(&s, &p->b);
		EXPECT_ERR(buddy_alloc(&p->b, bad[i], &pfn), -ERANGE);
		EXPECT(snap_same(&s, &p->b));
		snap_drop(&s);
	}
	tpool_free(p);
}

/* Allocate one order until -ENOMEM: exactly the aligned slots, all distinct. */
static void test_fill_each_order(void)
{
	static const struct span_def defs[] = {
		{ 3, 1000 }, { 1024, 2048 }, { 3072 + 100, 1 }, { 4096 + 512, 1536 + 7 },
	};
	unsigned long total = 1000 + 2048 + 1 + 1536 + 7;
	struct tpool *p = pool_of(defs, ARRAY_SIZE(defs));
	struct blk_desc *carved = xcalloc(total, sizeof(*carved));
	unsigned long *pfns = xcalloc(total + 1, sizeof(*pfns));
	unsigned char *seen = xcalloc(8192, 1);
	struct rng r = { 1 };
	unsigned int o, i;

	for (o = 0; o <= MAXO; o++) {
		unsigned long want = 0, n = 0, pfn;
		int k, nc;

		for (i = 0; i < ARRAY_SIZE(defs); i++) {
			nc = carve(defs[i].pfn, defs[i].nr, carved, total);
			for (k = 0; k < nc; k++)
				if (carved[k].order >= o)
					want += 1UL << (carved[k].order - o);
		}
		memset(seen, 0, 8192);
		while (n <= want && !buddy_alloc(&p->b, o, &pfn)) {
			unsigned long j;

			pfns[n++] = pfn;
			if (!EXPECT_EQ(pfn & ((1UL << o) - 1), 0) ||
			    !EXPECT(pfn + (1UL << o) <= 8192))
				break;
			for (j = 0; j < (1UL << o); j++) {
				if (!EXPECT(!seen[pfn + j]))
					break;
				seen[pfn + j] = 1;
			}
		}
		if (!EXPECT_EQ(n, want))
			printf("#   order %u\n", o);
		EXPECT(buddy_largest_free_order(&p->b) < (int)o);
		EXPECT_OK(buddy_check(&p->b));
		rng_shuffle_ul(&r, pfns, n);
		while (n)
			EXPECT_OK(buddy_free(&p->b, pfns[--n], o));
		expect_recovered(&p->b);
	}
	free(carved);
	free(pfns);
	free(seen);
	tpool_free(p);
}

/* The exact blocks of a split and of the merges that undo it. */
static void test_split_merge(void)
{
	struct tpool *p = POOL({ 0, 1024 });
	unsigned long want[VBUDDY_NR_ORDERS] = { 0 };
	unsigned long pfn[8];
	unsigned int o, i;

	pfn[0] = alloc_ok(p, 0);
	EXPECT_EQ(pfn[0], 0);
	/* The upper halves: one free block of each order 0..9 at 1 << o. */
	for (o = 0; o < MAXO; o++) {
		want[o] = 1;
		expect_lookup(&p->b, 1UL << o, 1UL << o, o, BUDDY_FREE);
	}
	expect_nr_free(&p->b, want);
	EXPECT_EQ(p->b.free_frames, 1023);
	EXPECT_OK(buddy_check(&p->b));

	/* The smallest fitting block goes first: the order-0 one at 1. */
	pfn[1] = alloc_ok(p, 0);
	EXPECT_EQ(pfn[1], 1);
	EXPECT_EQ(p->b.nr_free[0], 0);
	/* Its buddy is used: no merge. */
	EXPECT_OK(buddy_free(&p->b, pfn[0], 0));
	EXPECT_EQ(p->b.nr_free[0], 1);
	expect_lookup(&p->b, 0, 0, 0, BUDDY_FREE);
	EXPECT_OK(buddy_check(&p->b));
	/* Now it merges all the way up. */
	EXPECT_OK(buddy_free(&p->b, pfn[1], 0));
	expect_recovered(&p->b);
	EXPECT_EQ(p->b.nr_free[MAXO], 1);

	/* Eight order-0 allocations fill [0, 8) in order. */
	for (i = 0; i < 8; i++) {
		pfn[i] = alloc_ok(p, 0);
		EXPECT_EQ(pfn[i], i);
	}
	for (i = 0; i < 4; i++)	/* 7, 5, 3, 1: no buddy free */
		EXPECT_OK(buddy_free(&p->b, pfn[7 - 2 * i], 0));
	EXPECT_EQ(p->b.nr_free[0], 4);
	EXPECT_EQ(p->b.nr_free[1], 0);
	EXPECT_OK(buddy_check(&p->b));
	EXPECT_OK(buddy_free(&p->b, pfn[0], 0));	/* [0, 2) */
	expect_lookup(&p->b, 1, 0, 1, BUDDY_FREE);
	EXPECT_OK(buddy_free(&p->b, pfn[2], 0));	/* [0, 4) */
	expect_lookup(&p->b, 3, 0, 2, BUDDY_FREE);
	EXPECT_OK(buddy_free(&p->b, pfn[6], 0));	/* [6, 8) only */
	expect_lookup(&p->b, 6, 6, 1, BUDDY_FREE);
	EXPECT_OK(buddy_check(&p->b));
	EXPECT_OK(buddy_free(&p->b, pfn[4], 0));	/* everything */
	expect_recovered(&p->b);

	/* A big block splits from the top block only as far as needed. */
	pfn[0] = alloc_ok(p, 8);
	EXPECT_EQ(pfn[0], 0);
	expect_lookup(&p->b, 256, 256, 8, BUDDY_FREE);
	expect_lookup(&p->b, 512, 512, 9, BUDDY_FREE);
	EXPECT_OK(buddy_free(&p->b, pfn[0], 8));
	expect_recovered(&p->b);
	tpool_free(p);
}

/* Whatever the order of the frees, everything merges back. */
static void test_merge_any_order(void)
{
	struct tpool *p = POOL({ 0, 64 });
	unsigned long pfn[64];
	struct rng r = { 7 };
	unsigned int round, i;

	for (round = 0; round < 50; round++) {
		for (i = 0; i < 64; i++)
			pfn[i] = alloc_ok(p, 0);
		EXPECT_EQ(p->b.free_frames, 0);
		rng_shuffle_ul(&r, pfn, 64);
		for (i = 0; i < 64; i++) {
			EXPECT_OK(buddy_free(&p->b, pfn[i], 0));
			if (!(i % 7))
				EXPECT_OK(buddy_check(&p->b));
		}
		if (!expect_recovered(&p->b))
			break;
	}
	tpool_free(p);
}

/* ---- span edges and holes ------------------------------------------------ */

static void test_no_merge_across_span_edge(void)
{
	struct tpool *p;
	unsigned long a, b, pfn[8];
	unsigned int i;

	/* [0, 512) and [512, 1024): order-9 buddies by pfn, different spans. */
	p = POOL({ 0, 512 }, { 512, 512 });
	EXPECT_EQ(p->b.nr_free[9], 2);
	EXPECT_EQ(p->b.nr_free[10], 0);
	EXPECT_EQ(buddy_largest_free_order(&p->b), 9);
	a = alloc_ok(p, 9);
	b = alloc_ok(p, 9);
	EXPECT(a != b);
	EXPECT_ERR(buddy_alloc(&p->b, 10, &pfn[0]), -ENOMEM);
	EXPECT_OK(buddy_free(&p->b, a, 9));
	EXPECT_OK(buddy_free(&p->b, b, 9));
	EXPECT_EQ(p->b.nr_free[9], 2);
	EXPECT_EQ(p->b.nr_free[10], 0);
	expect_lookup(&p->b, 511, 0, 9, BUDDY_FREE);
	expect_lookup(&p->b, 512, 512, 9, BUDDY_FREE);
	expect_recovered(&p->b);
	/* Same through small blocks: fill both spans, free all. */
	for (i = 0; i < 8; i++)
		pfn[i] = alloc_ok(p, 7);
	for (i = 0; i < 8; i++)
		EXPECT_OK(buddy_free(&p->b, pfn[i], 7));
	EXPECT_EQ(p->b.nr_free[10], 0);
	expect_recovered(&p->b);
	tpool_free(p);

	/* [0, 3) [3, 4) [4, 8): 2 and 3 are order-0 buddies across an edge. */
	p = POOL({ 0, 3 }, { 3, 1 }, { 4, 4 });
	{
		static const struct blk_desc want[] = {
			BLK(0, 1), BLK(2, 0), BLK(3, 0), BLK(4, 2),
		};

		expect_blocks(&p->b, 0, 8, want, ARRAY_SIZE(want));
		for (i = 0; i < 8; i++)
			pfn[i] = alloc_ok(p, 0);
		EXPECT_EQ(p->b.free_frames, 0);
		/* Free 3 then 2: 2's buddy is free and of order 0, yet apart. */
		EXPECT_OK(buddy_free(&p->b, 3, 0));
		EXPECT_OK(buddy_free(&p->b, 2, 0));
		expect_lookup(&p->b, 2, 2, 0, BUDDY_FREE);
		expect_lookup(&p->b, 3, 3, 0, BUDDY_FREE);
		EXPECT_OK(buddy_check(&p->b));
		for (i = 0; i < 8; i++)
			if (pfn[i] != 2 && pfn[i] != 3)
				EXPECT_OK(buddy_free(&p->b, pfn[i], 0));
		expect_blocks(&p->b, 0, 8, want, ARRAY_SIZE(want));
		expect_recovered(&p->b);
	}
	tpool_free(p);

	/* [0, 1536) [1536, 2048): order-9 blocks 1024 and 1536 are buddies. */
	p = POOL({ 0, 1536 }, { 1536, 512 });
	EXPECT_EQ(p->b.nr_free[9], 2);
	EXPECT_EQ(p->b.nr_free[10], 1);
	a = alloc_ok(p, 9);
	b = alloc_ok(p, 9);
	EXPECT((a == 1024 && b == 1536) || (a == 1536 && b == 1024));
	EXPECT_OK(buddy_free(&p->b, b, 9));
	EXPECT_OK(buddy_free(&p->b, a, 9));
	EXPECT_EQ(p->b.nr_free[10], 1);
	EXPECT_EQ(p->b.nr_free[9], 2);
	expect_lookup(&p->b, 1535, 1024, 9, BUDDY_FREE);
	expect_recovered(&p->b);
	tpool_free(p);
}

static void test_holes_between_spans(void)
{
	static const unsigned long holes[] = {
		0, 100, 150, 199, 300, 999, 1500, 1UL << 40, ULONG_MAX,
	};
	struct tpool *p = POOL({ 0 + 1, 99 }, { 200, 100 }, { 1000, 500 });
	unsigned long pfn, pfns[700], n = 0;
	struct buddy_block blk;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(holes); i++) {
		EXPECT_ERR(buddy_lookup(&p->b, holes[i], &blk), -ENOENT);
		expect_bad_free(p, holes[i], 0, -ENOENT);
		EXPECT_ERR(buddy_set_tag(&p->b, holes[i], 1), -EINVAL);
	}
	while (n < 700 && !buddy_alloc(&p->b, 0, &pfn)) {
		pfns[n++] = pfn;
		EXPECT((pfn >= 1 && pfn < 100) || (pfn >= 200 && pfn < 300) ||
		       (pfn >= 1000 && pfn < 1500));
	}
	EXPECT_EQ(n, 99 + 100 + 500);
	EXPECT_ERR(buddy_alloc(&p->b, 0, &pfn), -ENOMEM);
	for (i = 0; i < ARRAY_SIZE(holes); i++)
		expect_bad_free(p, holes[i], 0, -ENOENT);
	while (n)
		EXPECT_OK(buddy_free(&p->b, pfns[--n], 0));
	expect_recovered(&p->b);
	tpool_free(p);
}

/* ---- exhaustion and recovery ---------------------------------------------- */

static void test_exhaustion_and_recovery(void)
{
	static const struct span_def defs[] = {
		{ 3, 1000 }, { 1024, 4096 }, { 6000, 1 }, { 6001, 2 },
		{ 8192, 3007 }, { 16384 + 1, 1023 },
	};
	struct tpool *p = pool_of(defs, ARRAY_SIZE(defs));
	u32 total = p->b.nr_frames, n = 0, i;
	unsigned long *pfn = xcalloc(total, sizeof(*pfn)), pfns[1], used = 0, x;
	unsigned int *ord = xcalloc(total, sizeof(*ord));
	struct rng r = { 3 };
	unsigned int o;

	/* Random orders, falling back to smaller ones, until nothing is left. */
	for (;;) {
		o = rng_below(&r, MAXO + 1);
		while (buddy_alloc(&p->b, o, &x)) {
			if (!o--)
				break;
		}
		if (o > MAXO)
			break;
		pfn[n] = x;
		ord[n++] = o;
		used += 1UL << o;
		if (!EXPECT(n <= total))
			break;
	}
	EXPECT_EQ(used, total);
	EXPECT_EQ(p->b.free_frames, 0);
	EXPECT_EQ(buddy_largest_free_order(&p->b), -1);
	{
		struct snap s;

		snap_take(&s, &p->b);
		for (o = 0; o <= MAXO; o++)
			EXPECT_ERR(buddy_alloc(&p->b, o, &x), -ENOMEM);
		EXPECT_ERR(buddy_gather(&p->b, 1, pfns), -ENOMEM);
		EXPECT(snap_same(&s, &p->b));	/* refusals change nothing */
		snap_drop(&s);
	}
	EXPECT_OK(buddy_check(&p->b));

	for (i = n; i > 1; i--) {	/* shuffle pfn[] and ord[] together */
		u32 j = rng_below(&r, i);
		unsigned long tp = pfn[i - 1];
		unsigned int to = ord[i - 1];

		pfn[i - 1] = pfn[j];
		ord[i - 1] = ord[j];
		pfn[j] = tp;
		ord[j] = to;
	}
	for (i = 0; i < n; i++)
		EXPECT_OK(buddy_free(&p->b, pfn[i], ord[i]));
	expect_recovered(&p->b);
	free(pfn);
	free(ord);
	tpool_free(p);

	/* Spans aligned on 1 << MAXO come back as span size >> MAXO top blocks. */
	p = POOL({ 3 * 1024, 5000 });
	n = 0;
	while (!buddy_alloc(&p->b, 0, &x))
		n++;
	EXPECT_EQ(n, 5000);
	for (x = 3 * 1024; x < 3 * 1024 + 5000; x++)
		EXPECT_OK(buddy_free(&p->b, x, 0));
	EXPECT_EQ(p->b.nr_free[MAXO], 5000 >> MAXO);
	expect_recovered(&p->b);
	tpool_free(p);

	p = POOL({ 7 * 1024, 8 * 1024 });
	for (i = 0; i < 8 * 1024; i += 2)
		EXPECT_OK(buddy_alloc(&p->b, 1, &x));
	EXPECT_EQ(p->b.free_frames, 0);
	for (x = 15 * 1024; x-- > 7 * 1024; )
		if (!(x & 1))
			EXPECT_OK(buddy_free(&p->b, x, 1));
	EXPECT_EQ(p->b.nr_free[MAXO], (8 * 1024) >> MAXO);
	expect_recovered(&p->b);
	tpool_free(p);
}

/* ---- bad frees ------------------------------------------------------------- */

static void test_bad_free_erange(void)
{
	struct tpool *p = POOL({ 0, 1024 });
	unsigned long x = alloc_ok(p, 2);

	expect_bad_free(p, x, MAXO + 1, -ERANGE);
	expect_bad_free(p, x, 64, -ERANGE);
	expect_bad_free(p, x, UINT_MAX, -ERANGE);
	EXPECT_OK(buddy_free(&p->b, x, 2));
	expect_recovered(&p->b);
	tpool_free(p);
}

static void test_bad_free_enoent(void)
{
	struct tpool *p = POOL({ 100, 100 }, { 300, 100 });
	struct tpool *q = POOL({ 5000, 100 });
	unsigned long x = alloc_ok(p, 0), y = alloc_ok(q, 3);

	expect_bad_free(p, 0, 0, -ENOENT);
	expect_bad_free(p, 99, 0, -ENOENT);
	expect_bad_free(p, 200, 0, -ENOENT);
	expect_bad_free(p, 256, 8, -ENOENT);
	expect_bad_free(p, 400, 0, -ENOENT);
	expect_bad_free(p, ULONG_MAX, 0, -ENOENT);
	/* A block of another pool. */
	expect_bad_free(p, y, 3, -ENOENT);
	EXPECT_OK(buddy_free(&q->b, y, 3));
	EXPECT_OK(buddy_free(&p->b, x, 0));
	expect_recovered(&p->b);
	expect_recovered(&q->b);
	tpool_free(p);
	tpool_free(q);
}

static void test_bad_free_double(void)
{
	struct tpool *p = POOL({ 0, 1024 }, { 1024 + 5, 20 });
	unsigned long x, y;

	/* Simple double free, and a free of a never allocated frame. */
	x = alloc_ok(p, 3);
	y = alloc_ok(p, 3);
	EXPECT_OK(buddy_free(&p->b, y, 3));
	expect_bad_free(p, y, 3, -EALREADY);
	expect_bad_free(p, y, 0, -EALREADY);
	expect_bad_free(p, 1024 + 5, 0, -EALREADY);
	expect_bad_free(p, 1000, 3, -EALREADY);
	EXPECT_OK(buddy_free(&p->b, x, 3));
	expect_bad_free(p, x, 3, -EALREADY);
	expect_recovered(&p->b);
	tpool_free(p);
}

/* Double frees of blocks that have merged into a larger free block since. */
static void test_bad_free_double_merged(void)
{
	struct tpool *p = POOL({ 0, 1024 });
	unsigned long a = alloc_ok(p, 0), b = alloc_ok(p, 0), c, d;

	EXPECT_EQ(a, 0);
	EXPECT_EQ(b, 1);
	EXPECT_OK(buddy_free(&p->b, a, 0));
	EXPECT_OK(buddy_free(&p->b, b, 0));	/* all of [0, 1024) merged */
	EXPECT_EQ(p->b.nr_free[MAXO], 1);
	expect_bad_free(p, a, 0, -EALREADY);	/* the head of the merged block */
	expect_bad_free(p, b, 0, -EALREADY);	/* inside it */

	/* A block of order 3 that merges with its buddy and further. */
	c = alloc_ok(p, 3);
	d = alloc_ok(p, 3);
	EXPECT_EQ(c ^ d, 8);
	EXPECT_OK(buddy_free(&p->b, d, 3));
	EXPECT_OK(buddy_free(&p->b, c, 3));
	expect_bad_free(p, d, 3, -EALREADY);
	expect_bad_free(p, c, 3, -EALREADY);
	expect_bad_free(p, d + 1, 0, -EALREADY);
	expect_recovered(&p->b);

	/* The merged block is partly reallocated: the old pfn is now inside. */
	c = alloc_ok(p, 0);
	EXPECT_OK(buddy_free(&p->b, c, 0));
	d = alloc_ok(p, 1);
	EXPECT_EQ(d, c);
	expect_bad_free(p, c, 0, -EINVAL);
	expect_bad_free(p, c + 1, 0, -EFAULT);
	EXPECT_OK(buddy_free(&p->b, d, 1));
	expect_recovered(&p->b);
	tpool_free(p);
}

static void test_bad_free_interior(void)
{
	struct tpool *p = POOL({ 8, 1016 });
	unsigned long x = alloc_ok(p, 3), y = alloc_ok(p, MAXO - 1);
	unsigned int o;

	expect_bad_free(p, x + 1, 3, -EFAULT);
	expect_bad_free(p, x + 1, 0, -EFAULT);
	expect_bad_free(p, x + 7, 0, -EFAULT);
	expect_bad_free(p, x + 4, 2, -EFAULT);	/* aligned like a head */
	for (o = 0; o < MAXO - 1; o++)
		expect_bad_free(p, y + (1UL << o), o, -EFAULT);
	expect_bad_free(p, y + 511, 0, -EFAULT);
	EXPECT_OK(buddy_free(&p->b, x, 3));
	EXPECT_OK(buddy_free(&p->b, y, MAXO - 1));
	expect_recovered(&p->b);
	tpool_free(p);
}

static void test_bad_free_wrong_order(void)
{
	struct tpool *p = POOL({ 0, 2048 });
	unsigned long x = alloc_ok(p, 3), z = alloc_ok(p, 0);
	unsigned int o;

	for (o = 0; o <= MAXO; o++)
		if (o != 3)
			expect_bad_free(p, x, o, -EINVAL);
	for (o = 1; o <= MAXO; o++)
		expect_bad_free(p, z, o, -EINVAL);
	EXPECT_OK(buddy_free(&p->b, x, 3));
	EXPECT_OK(buddy_free(&p->b, z, 0));
	expect_recovered(&p->b);
	tpool_free(p);
}

/* buddy_free_tagged(): buddy_free() that also checks the block's tag. */
static void test_free_tagged(void)
{
	struct tpool *p = POOL({ 0, 1024 });
	unsigned long x = alloc_ok(p, 3), y = alloc_ok(p, 0), z = alloc_ok(p, 0);
	struct snap s;

	EXPECT_OK(buddy_set_tag(&p->b, x, 7));
	/* The wrong tag, also the default 0: -EPERM and nothing changes. */
	snap_take(&s, &p->b);
	EXPECT_ERR(buddy_free_tagged(&p->b, x, 3, 0), -EPERM);
	EXPECT_ERR(buddy_free_tagged(&p->b, x, 3, 8), -EPERM);
	EXPECT_ERR(buddy_free_tagged(&p->b, x, 3, 255), -EPERM);
	EXPECT(snap_same(&s, &p->b));
	snap_drop(&s);
	EXPECT_OK(buddy_check(&p->b));
	/* The errors of buddy_free() come first. */
	snap_take(&s, &p->b);
	EXPECT_ERR(buddy_free_tagged(&p->b, x, MAXO + 1, 7), -ERANGE);
	EXPECT_ERR(buddy_free_tagged(&p->b, 5000, 0, 7), -ENOENT);
	EXPECT_ERR(buddy_free_tagged(&p->b, x + 1, 3, 7), -EFAULT);
	EXPECT_ERR(buddy_free_tagged(&p->b, x, 2, 7), -EINVAL);
	EXPECT_ERR(buddy_free_tagged(&p->b, 1000, 0, 0), -EALREADY);
	EXPECT(snap_same(&s, &p->b));
	snap_drop(&s);
	/* The right tag frees, and merges as usual. */
	EXPECT_OK(buddy_free_tagged(&p->b, x, 3, 7));
	EXPECT_ERR(buddy_free_tagged(&p->b, x, 3, 7), -EALREADY);
	EXPECT_OK(buddy_free_tagged(&p->b, y, 0, 0));	/* never tagged */
	EXPECT_OK(buddy_set_tag(&p->b, z, 255));
	EXPECT_ERR(buddy_free_tagged(&p->b, z, 0, 0), -EPERM);
	EXPECT_OK(buddy_free(&p->b, z, 0));	/* untagged free ignores tags */
	expect_recovered(&p->b);
	tpool_free(p);
}

/* ---- buddy_add_span() errors ------------------------------------------------- */

static void test_add_span_einval(void)
{
	struct tpool *p = tpool_new(1000, 8);

	expect_bad_add(p, 0, 0, -EINVAL);
	expect_bad_add(p, 100, 0, -EINVAL);
	expect_bad_add(p, ULONG_MAX, 2, -EINVAL);	/* wraps */
	expect_bad_add(p, ULONG_MAX - 5, 10, -EINVAL);
	EXPECT_OK(buddy_add_span(&p->b, 100, 100));
	expect_bad_add(p, 100, 100, -EINVAL);		/* same */
	expect_bad_add(p, 150, 10, -EINVAL);		/* inside */
	expect_bad_add(p, 99, 2, -EINVAL);		/* overlaps the start */
	expect_bad_add(p, 199, 5, -EINVAL);		/* overlaps the end */
	expect_bad_add(p, 50, 10, -EINVAL);		/* descending */
	expect_bad_add(p, 0, 1, -EINVAL);
	expect_bad_add(p, 200, 0, -EINVAL);
	EXPECT_OK(buddy_add_span(&p->b, 200, 10));	/* touching is fine */
	expect_bad_add(p, 150, 100, -EINVAL);
	expect_bad_add(p, 205, 10, -EINVAL);
	EXPECT_OK(buddy_add_span(&p->b, 1000, 10));
	expect_bad_add(p, 300, 10, -EINVAL);		/* in a hole, descending */
	EXPECT_EQ(p->b.nr_spans, 3);
	expect_recovered(&p->b);
	tpool_free(p);
}

static void test_add_span_enospc(void)
{
	struct tpool *p = tpool_new(100, 2);
	unsigned long x;

	EXPECT_OK(buddy_add_span(&p->b, 0, 60));
	expect_bad_add(p, 100, 41, -ENOSPC);		/* frames */
	expect_bad_add(p, 100, UINT_MAX, -ENOSPC);
	EXPECT_OK(buddy_add_span(&p->b, 100, 40));
	expect_bad_add(p, 200, 1, -ENOSPC);		/* both */
	EXPECT_EQ(p->b.nr_frames, 100);
	expect_recovered(&p->b);
	tpool_free(p);

	p = tpool_new(100, 2);
	EXPECT_OK(buddy_add_span(&p->b, 0, 1));
	EXPECT_OK(buddy_add_span(&p->b, 10, 1));
	expect_bad_add(p, 20, 1, -ENOSPC);		/* spans */
	EXPECT_OK(buddy_alloc(&p->b, 0, &x));
	EXPECT_OK(buddy_alloc(&p->b, 0, &x));
	EXPECT_ERR(buddy_alloc(&p->b, 0, &x), -ENOMEM);
	expect_bad_add(p, 20, 1, -ENOSPC);
	EXPECT_OK(buddy_free(&p->b, 0, 0));
	EXPECT_OK(buddy_free(&p->b, 10, 0));
	expect_recovered(&p->b);
	tpool_free(p);
}

/*
 * Spans at the very top of the pfn range, where the end of a span is not
 * representable as pfn + nr.
 */
static void test_add_span_top_of_range(void)
{
	struct tpool *p = tpool_new(64, 4);
	unsigned long x, pfns[10];
	struct buddy_block blk;
	unsigned int i;

	EXPECT_OK(buddy_add_span(&p->b, ULONG_MAX - 9, 10));	/* ends at ULONG_MAX */
	EXPECT_OK(buddy_check(&p->b));
	expect_bad_add(p, ULONG_MAX, 1, -EINVAL);		/* overlaps */
	expect_bad_add(p, ULONG_MAX - 9, 1, -EINVAL);
	expect_bad_add(p, 0, 10, -EINVAL);			/* descending */
	expect_bad_add(p, 1024, 10, -EINVAL);
	EXPECT_EQ(p->b.nr_spans, 1);
	EXPECT_ERR(buddy_lookup(&p->b, 0, &blk), -ENOENT);
	/* [ULONG_MAX - 9, ULONG_MAX]: an order-1 block, then an order-3 one. */
	expect_lookup(&p->b, ULONG_MAX - 8, ULONG_MAX - 9, 1, BUDDY_FREE);
	expect_lookup(&p->b, ULONG_MAX, ULONG_MAX - 7, 3, BUDDY_FREE);
	EXPECT_OK(buddy_gather(&p->b, 10, pfns));
	for (i = 0; i < 10; i++)
		EXPECT(pfns[i] >= ULONG_MAX - 9);
	EXPECT_ERR(buddy_alloc(&p->b, 0, &x), -ENOMEM);
	for (i = 0; i < 10; i++)
		EXPECT_OK(buddy_free(&p->b, pfns[i], 0));
	expect_recovered(&p->b);
	tpool_free(p);
}

/* ---- buddy_gather() ------------------------------------------------------------ */

/* Free blocks of orders 0, 1, 3 and 10, one each, in four spans. */
static struct tpool *gather_pool(void)
{
	struct tpool *p = POOL({ 1, 1 }, { 2, 2 }, { 8, 8 }, { 1024, 1024 });
	static const unsigned long want[VBUDDY_NR_ORDERS] = {
		1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1,
	};

	expect_nr_free(&p->b, want);
	return p;
}

static void test_gather_smallest_first(void)
{
	struct tpool *p = gather_pool();
	unsigned long pfns[3];
	unsigned int i;

	EXPECT_OK(buddy_gather(&p->b, 3, pfns));
	/* The order-0 block, then the order-1 block. */
	EXPECT_EQ(pfns[0], 1);
	EXPECT_EQ(pfns[1], 2);
	EXPECT_EQ(pfns[2], 3);
	EXPECT_EQ(p->b.nr_free[0], 0);
	EXPECT_EQ(p->b.nr_free[1], 0);
	EXPECT_EQ(p->b.nr_free[3], 1);
	EXPECT_EQ(p->b.nr_free[MAXO], 1);
	expect_lookup(&p->b, 15, 8, 3, BUDDY_FREE);
	expect_lookup(&p->b, 2047, 1024, 10, BUDDY_FREE);
	for (i = 0; i < 3; i++)
		expect_lookup(&p->b, pfns[i], pfns[i], 0, BUDDY_USED);
	EXPECT_EQ(p->b.free_frames, 1024 + 8);
	EXPECT_OK(buddy_check(&p->b));
	/* Frame by frame, 2 and 3 merge back into their order-1 block. */
	EXPECT_OK(buddy_free(&p->b, pfns[2], 0));
	EXPECT_EQ(p->b.nr_free[0], 1);
	EXPECT_OK(buddy_free(&p->b, pfns[1], 0));
	EXPECT_EQ(p->b.nr_free[0], 0);
	EXPECT_EQ(p->b.nr_free[1], 1);
	EXPECT_OK(buddy_free(&p->b, pfns[0], 0));
	expect_recovered(&p->b);
	tpool_free(p);
}

static void test_gather_splits_smallest(void)
{
	struct tpool *p = gather_pool();
	unsigned long pfns[5];
	unsigned int i;

	EXPECT_OK(buddy_gather(&p->b, 5, pfns));
	EXPECT_EQ(pfns[0], 1);
	EXPECT_EQ(pfns[1], 2);
	EXPECT_EQ(pfns[2], 3);
	/* The other two come out of the order-3 block, not the order-10 one. */
	EXPECT(pfns[3] >= 8 && pfns[3] < 16);
	EXPECT(pfns[4] >= 8 && pfns[4] < 16);
	EXPECT(pfns[3] != pfns[4]);
	EXPECT_EQ(p->b.nr_free[MAXO], 1);
	EXPECT_EQ(p->b.free_frames, 1024 + 6);
	EXPECT_OK(buddy_check(&p->b));
	/* Gathered frames are order-0 blocks each. */
	for (i = 0; i < 5; i++) {
		expect_lookup(&p->b, pfns[i], pfns[i], 0, BUDDY_USED);
		expect_bad_free(p, pfns[i], 1, -EINVAL);
	}
	for (i = 5; i-- > 0; )
		EXPECT_OK(buddy_free(&p->b, pfns[i], 0));
	expect_bad_free(p, pfns[0], 0, -EALREADY);
	expect_recovered(&p->b);

	/* 1024 + 9 frames: everything; 1024 + 12: -ENOMEM. */
	{
		unsigned long *all = xcalloc(1024 + 12, sizeof(*all));
		struct snap s;

		snap_take(&s, &p->b);
		EXPECT_ERR(buddy_gather(&p->b, 1024 + 12, all), -ENOMEM);
		EXPECT(snap_same(&s, &p->b));
		snap_drop(&s);
		EXPECT_OK(buddy_gather(&p->b, 1024 + 11, all));
		EXPECT_EQ(p->b.free_frames, 0);
		EXPECT_EQ(all[1024 + 10], 2047);	/* the order-10 block is last */
		for (i = 0; i < 1024 + 11; i++)
			EXPECT_OK(buddy_free(&p->b, all[i], 0));
		expect_recovered(&p->b);
		free(all);
	}
	tpool_free(p);
}

static void test_gather_errors(void)
{
	struct tpool *p = POOL({ 3, 1000 }, { 2048, 100 });
	unsigned long pfns[4], x;
	struct snap s;

	x = alloc_ok(p, 5);
	snap_take(&s, &p->b);
	EXPECT_ERR(buddy_gather(&p->b, 0, pfns), -EINVAL);
	EXPECT(snap_same(&s, &p->b));
	EXPECT_ERR(buddy_gather(&p->b, p->b.free_frames + 1, pfns), -ENOMEM);
	EXPECT(snap_same(&s, &p->b));
	EXPECT_ERR(buddy_gather(&p->b, ULONG_MAX, pfns), -ENOMEM);
	EXPECT(snap_same(&s, &p->b));
	EXPECT_OK(buddy_check(&p->b));
	snap_drop(&s);
	EXPECT_OK(buddy_free(&p->b, x, 5));
	expect_recovered(&p->b);
	tpool_free(p);
}

/* Gather everything, free it frame by frame in random order: all merges. */
static void test_gather_all_coalesce(void)
{
	struct tpool *p = POOL({ 3, 1000 }, { 1024, 2048 }, { 3072, 5 }, { 4096 + 1, 700 });
	u32 total = p->b.nr_frames, i;
	unsigned long *pfns = xcalloc(total, sizeof(*pfns));
	unsigned char *seen = xcalloc(8192, 1);
	struct rng r = { 11 };
	unsigned long x, part;

	EXPECT_OK(buddy_gather(&p->b, total, pfns));
	EXPECT_EQ(p->b.free_frames, 0);
	EXPECT_ERR(buddy_alloc(&p->b, 0, &x), -ENOMEM);
	for (i = 0; i < total; i++) {
		x = pfns[i];
		if (!EXPECT(x < 8192 && !seen[x]))
			break;
		seen[x] = 1;
	}
	EXPECT_OK(buddy_check(&p->b));
	rng_shuffle_ul(&r, pfns, total);
	for (i = 0; i < total; i++)
		EXPECT_OK(buddy_free(&p->b, pfns[i], 0));
	expect_recovered(&p->b);

	/* Interleaved with ordinary blocks. */
	for (part = 1; part < total; part = part * 3 + 1) {
		unsigned long y = alloc_ok(p, 4);

		EXPECT_OK(buddy_gather(&p->b, part, pfns));
		EXPECT_EQ(p->b.free_frames, total - 16 - part);
		EXPECT_OK(buddy_check(&p->b));
		rng_shuffle_ul(&r, pfns, part);
		for (i = 0; i < part; i++)
			EXPECT_OK(buddy_free(&p->b, pfns[i], 0));
		EXPECT_OK(buddy_free(&p->b, y, 4));
		expect_recovered(&p->b);
	}
	free(pfns);
	free(seen);
	tpool_free(p);
}

/* ---- lookup, tags, largest free order ------------------------------------------- */

static void test_lookup_and_tag(void)
{
	struct tpool *p = POOL({ 0, 64 }, { 100, 3 });
	struct buddy_block blk;
	unsigned long x, y, pfns[2];

	x = alloc_ok(p, 2);
	EXPECT_EQ(x, 0);
	EXPECT_OK(buddy_lookup(&p->b, 0, &blk));
	EXPECT_EQ(blk.tag, 0);
	EXPECT_OK(buddy_set_tag(&p->b, x, 42));
	EXPECT_OK(buddy_lookup(&p->b, x + 3, &blk));
	EXPECT_EQ(blk.pfn, x);
	EXPECT_EQ(blk.order, 2);
	EXPECT_EQ(blk.state, BUDDY_USED);
	EXPECT_EQ(blk.tag, 42);
	EXPECT_OK(buddy_set_tag(&p->b, x, 255));
	EXPECT_OK(buddy_lookup(&p->b, x + 1, &blk));
	EXPECT_EQ(blk.tag, 255);

	EXPECT_ERR(buddy_set_tag(&p->b, x + 1, 1), -EINVAL);	/* interior */
	EXPECT_ERR(buddy_set_tag(&p->b, 4, 1), -EINVAL);	/* free head */
	EXPECT_ERR(buddy_set_tag(&p->b, 5, 1), -EINVAL);	/* free interior */
	EXPECT_ERR(buddy_set_tag(&p->b, 64, 1), -EINVAL);	/* hole */
	EXPECT_ERR(buddy_set_tag(&p->b, ULONG_MAX, 1), -EINVAL);

	expect_lookup(&p->b, 5, 4, 2, BUDDY_FREE);
	expect_lookup(&p->b, 63, 32, 5, BUDDY_FREE);
	expect_lookup(&p->b, 101, 100, 1, BUDDY_FREE);	/* [100, 103): 100 o1, 102 o0 */
	expect_lookup(&p->b, 102, 102, 0, BUDDY_FREE);
	EXPECT_ERR(buddy_lookup(&p->b, 64, &blk), -ENOENT);
	EXPECT_ERR(buddy_lookup(&p->b, 103, &blk), -ENOENT);

	/* A new allocation starts with tag 0 again. */
	EXPECT_OK(buddy_free(&p->b, x, 2));
	y = alloc_ok(p, 2);
	EXPECT_EQ(y, x);
	EXPECT_OK(buddy_lookup(&p->b, y, &blk));
	EXPECT_EQ(blk.tag, 0);
	EXPECT_OK(buddy_free(&p->b, y, 2));

	/* Gathered frames are taggable one by one. */
	EXPECT_OK(buddy_gather(&p->b, 2, pfns));
	EXPECT_OK(buddy_set_tag(&p->b, pfns[1], 9));
	EXPECT_OK(buddy_lookup(&p->b, pfns[0], &blk));
	EXPECT_EQ(blk.tag, 0);
	EXPECT_OK(buddy_lookup(&p->b, pfns[1], &blk));
	EXPECT_EQ(blk.tag, 9);
	EXPECT_OK(buddy_free(&p->b, pfns[0], 0));
	EXPECT_OK(buddy_free(&p->b, pfns[1], 0));
	EXPECT_ERR(buddy_set_tag(&p->b, pfns[1], 1), -EINVAL);	/* freed */
	expect_recovered(&p->b);
	tpool_free(p);
}

/* buddy_free_check() says what buddy_free_tagged() would, and changes nothing. */
static void test_free_check_and_index(void)
{
	struct tpool *p = POOL({ 0, 64 }, { 100, 3 });
	struct buddy saved;
	unsigned long x;
	u32 idx;

	x = alloc_ok(p, 2);
	EXPECT_OK(buddy_set_tag(&p->b, x, 7));
	saved = p->b;
	EXPECT_OK(buddy_free_check(&p->b, x, 2, 7));
	EXPECT_OK(buddy_free_check(&p->b, x, 2, -1));
	EXPECT_ERR(buddy_free_check(&p->b, x, 2, 6), -EPERM);
	EXPECT_ERR(buddy_free_check(&p->b, x, 1, 7), -EINVAL);
	EXPECT_ERR(buddy_free_check(&p->b, x + 1, 2, 7), -EFAULT);
	EXPECT_ERR(buddy_free_check(&p->b, 4, 2, -1), -EALREADY);
	EXPECT_ERR(buddy_free_check(&p->b, 64, 0, -1), -ENOENT);
	EXPECT_ERR(buddy_free_check(&p->b, x, VBUDDY_MAX_ORDER + 1, -1), -ERANGE);
	EXPECT_EQ(memcmp(&saved, &p->b, sizeof(saved)), 0);
	EXPECT_OK(buddy_free_tagged(&p->b, x, 2, 7));

	/* Frame indices run through the spans in order. */
	EXPECT_OK(buddy_index(&p->b, 0, &idx));
	EXPECT_EQ(idx, 0);
	EXPECT_OK(buddy_index(&p->b, 63, &idx));
	EXPECT_EQ(idx, 63);
	EXPECT_OK(buddy_index(&p->b, 102, &idx));
	EXPECT_EQ(idx, 66);
	EXPECT_ERR(buddy_index(&p->b, 64, &idx), -ENOENT);
	EXPECT_ERR(buddy_index(&p->b, 103, &idx), -ENOENT);
	expect_recovered(&p->b);
	tpool_free(p);
}

static void test_largest_free_order(void)
{
	struct tpool *p = tpool_new(1024 + 7, 2);
	unsigned long x, y, z;

	EXPECT_EQ(buddy_largest_free_order(&p->b), -1);
	EXPECT_OK(buddy_add_span(&p->b, 3, 7));	/* 3 o0, 4 o2, 8 o1 */
	EXPECT_EQ(buddy_largest_free_order(&p->b), 2);
	EXPECT_OK(buddy_add_span(&p->b, 1024, 1024));
	EXPECT_EQ(buddy_largest_free_order(&p->b), MAXO);
	EXPECT_OK(buddy_alloc(&p->b, 0, &x));		/* takes the order-0 block */
	EXPECT_EQ(buddy_largest_free_order(&p->b), MAXO);
	EXPECT_OK(buddy_alloc(&p->b, 9, &y));
	EXPECT_EQ(buddy_largest_free_order(&p->b), 9);
	EXPECT_OK(buddy_alloc(&p->b, 9, &z));
	EXPECT_EQ(buddy_largest_free_order(&p->b), 2);
	EXPECT_OK(buddy_free(&p->b, y, 9));
	EXPECT_EQ(buddy_largest_free_order(&p->b), 9);
	EXPECT_OK(buddy_free(&p->b, z, 9));
	EXPECT_EQ(buddy_largest_free_order(&p->b), MAXO);
	EXPECT_OK(buddy_free(&p->b, x, 0));
	while (!buddy_alloc(&p->b, 0, &x))
		;
	EXPECT_EQ(buddy_largest_free_order(&p->b), -1);
	tpool_free(p);
}

/* ---- buddy_check() must see corruption -------------------------------------------- */

/* The test's own free list editing, to build consistent corruptions. */
static void lst_del(struct buddy *b, u32 idx)
{
	struct buddy_frame *f = &b->frames[idx];

	if (f->prev != BUDDY_NIL)
		b->frames[f->prev].next = f->next;
	else
		b->free_head[f->order] = f->next;
	if (f->next != BUDDY_NIL)
		b->frames[f->next].prev = f->prev;
	f->next = BUDDY_NIL;
	f->prev = BUDDY_NIL;
	f->state = BUDDY_TAIL;
	b->nr_free[f->order]--;
	b->free_frames -= 1UL << f->order;
}

static void lst_add(struct buddy *b, u32 idx, unsigned int order)
{
	struct buddy_frame *f = &b->frames[idx];

	f->next = b->free_head[order];
	f->prev = BUDDY_NIL;
	if (f->next != BUDDY_NIL)
		b->frames[f->next].prev = idx;
	b->free_head[order] = idx;
	f->order = order;
	f->state = BUDDY_FREE;
	b->nr_free[order]++;
	b->free_frames += 1UL << order;
}

static u32 idx_of(const struct buddy *b, unsigned long pfn)
{
	u32 i;

	for (i = 0; i < b->nr_spans; i++)
		if (pfn >= b->spans[i].pfn && pfn - b->spans[i].pfn < b->spans[i].nr)
			return b->spans[i].first + (u32)(pfn - b->spans[i].pfn);
	test_fail(__FILE__, __LINE__, "pfn %lu in no span", pfn);
	return 0;
}

/*
 * [0, 64) with an order-2 block used at 0 (free: 4 o2, 8 o3, 16 o4, 32 o5),
 * [67, 70) (free: 67 o0, 68 o1) and [71, 72) (free: 71 o0), so that the
 * order-0 list holds two blocks.
 */
static struct tpool *corrupt_pool(void)
{
	struct tpool *p = POOL({ 0, 64 }, { 67, 3 }, { 71, 1 });
	unsigned long x;

	x = alloc_ok(p, 2);
	EXPECT_EQ(x, 0);
	EXPECT_EQ(p->b.nr_free[0], 2);
	EXPECT_OK(buddy_check(&p->b));
	return p;
}

enum corruption {
	C_CONTROL,		/* consistent edit: must stay clean */
	C_UNMERGED,
	C_NR_FREE_UP,
	C_NR_FREE_DOWN,
	C_FREE_FRAMES,
	C_PREV_LINK,
	C_NEXT_CUT,
	C_NEXT_CYCLE,
	C_NEXT_RANGE,
	C_HEAD_USED,
	C_HEAD_STALE,
	C_OVERLAP_USED,
	C_OVERLAP_FREE,
	C_MISALIGNED,
	C_ORDER_TOO_BIG,
	C_CROSSES_SPAN,
	C_HEAD_LOST,
	C_BAD_STATE,
	C_SPAN_FIRST,
	C_SPAN_OVERLAP,
	C_NR_FRAMES,
	C_FREE_LISTED_WRONG_ORDER,
};

static const char *const corruption_names[] = {
	[C_CONTROL] = "consistent edit (control)",
	[C_UNMERGED] = "free buddies left unmerged",
	[C_NR_FREE_UP] = "nr_free one too high",
	[C_NR_FREE_DOWN] = "nr_free one too low",
	[C_FREE_FRAMES] = "free_frames wrong",
	[C_PREV_LINK] = "prev link wrong",
	[C_NEXT_CUT] = "next link cut short",
	[C_NEXT_CYCLE] = "next link makes a cycle",
	[C_NEXT_RANGE] = "next link out of range",
	[C_HEAD_USED] = "free_head points at a used block",
	[C_HEAD_STALE] = "free_head of an empty order set",
	[C_OVERLAP_USED] = "used head inside a used block",
	[C_OVERLAP_FREE] = "free head inside a free block",
	[C_MISALIGNED] = "block order too large for its alignment",
	[C_ORDER_TOO_BIG] = "order above VBUDDY_MAX_ORDER",
	[C_CROSSES_SPAN] = "block runs past its span",
	[C_HEAD_LOST] = "block head turned into a tail",
	[C_BAD_STATE] = "unknown frame state",
	[C_SPAN_FIRST] = "span first index wrong",
	[C_SPAN_OVERLAP] = "spans overlap",
	[C_NR_FRAMES] = "nr_frames wrong",
	[C_FREE_LISTED_WRONG_ORDER] = "free block on another order's list",
};

static void corrupt(struct buddy *b, enum corruption c)
{
	struct buddy_frame *fr = b->frames;
	u32 i;

	switch (c) {
	case C_CONTROL:
		lst_del(b, idx_of(b, 32));
		lst_add(b, idx_of(b, 32), 5);
		lst_del(b, idx_of(b, 67));	/* reorders the order-0 list */
		lst_add(b, idx_of(b, 67), 0);
		break;
	case C_UNMERGED:	/* 32 o5 becomes 32 o4 + 48 o4, lists consistent */
		lst_del(b, idx_of(b, 32));
		lst_add(b, idx_of(b, 32), 4);
		lst_add(b, idx_of(b, 48), 4);
		break;
	case C_NR_FREE_UP:
		b->nr_free[3]++;
		break;
	case C_NR_FREE_DOWN:
		b->nr_free[0]--;
		break;
	case C_FREE_FRAMES:
		b->free_frames++;
		break;
	case C_PREV_LINK:
		i = fr[b->free_head[0]].next;
		fr[i].prev = i;
		break;
	case C_NEXT_CUT:
		fr[b->free_head[0]].next = BUDDY_NIL;
		break;
	case C_NEXT_CYCLE:
		i = fr[b->free_head[0]].next;
		fr[i].next = b->free_head[0];
		break;
	case C_NEXT_RANGE:
		i = fr[b->free_head[0]].next;
		fr[i].next = b->nr_frames + 5;
		break;
	case C_HEAD_USED:
		b->free_head[2] = idx_of(b, 0);
		break;
	case C_HEAD_STALE:
		b->free_head[MAXO] = idx_of(b, 16);
		break;
	case C_OVERLAP_USED:
		fr[idx_of(b, 1)].state = BUDDY_USED;
		fr[idx_of(b, 1)].order = 0;
		break;
	case C_OVERLAP_FREE:
		fr[idx_of(b, 40)].state = BUDDY_FREE;
		fr[idx_of(b, 40)].order = 0;
		break;
	case C_MISALIGNED:	/* 4 o2 claims order 3: would be [4, 12) */
		lst_del(b, idx_of(b, 4));
		lst_add(b, idx_of(b, 4), 3);
		lst_del(b, idx_of(b, 8));	/* keeps the tiling consistent */
		break;
	case C_ORDER_TOO_BIG:
		fr[idx_of(b, 0)].order = MAXO + 1;
		break;
	case C_CROSSES_SPAN:	/* 68 o1 at the end of [67, 70) claims order 2 */
		lst_del(b, idx_of(b, 68));
		lst_add(b, idx_of(b, 68), 2);
		break;
	case C_HEAD_LOST:
		fr[idx_of(b, 0)].state = BUDDY_TAIL;
		break;
	case C_BAD_STATE:
		fr[idx_of(b, 0)].state = 7;
		break;
	case C_SPAN_FIRST:
		b->spans[1].first++;
		break;
	case C_SPAN_OVERLAP:
		b->spans[1].pfn = 60;
		break;
	case C_NR_FRAMES:
		b->nr_frames--;
		break;
	case C_FREE_LISTED_WRONG_ORDER:	/* 71 o0 moved to the order-1 list */
		lst_del(b, idx_of(b, 71));
		lst_add(b, idx_of(b, 71), 1);
		fr[idx_of(b, 71)].order = 0;
		b->nr_free[1]--;	/* counters as if it were still order 0 */
		b->nr_free[0]++;
		b->free_frames--;
		break;
	}
}

static void check_corruptions(const enum corruption *list, unsigned int n)
{
	struct tpool *p = corrupt_pool();
	unsigned int i;

	for (i = 0; i < n; i++) {
		int want = list[i] == C_CONTROL ? 0 : -EUCLEAN;
		struct quiet q;
		struct snap c;
		int ret;

		snap_clone(&c, &p->b);
		corrupt(&c.b, list[i]);
		quiet_begin(&q);
		ret = buddy_check(&c.b);
		quiet_end(&q, "expected: ");
		if (!EXPECT_ERR(ret, want))
			printf("#   corruption: %s\n", corruption_names[list[i]]);
		snap_drop(&c);
	}
	/* The original was never touched. */
	EXPECT_OK(buddy_check(&p->b));
	tpool_free(p);
}

static void test_check_unmerged(void)
{
	static const enum corruption list[] = { C_CONTROL, C_UNMERGED };

	check_corruptions(list, ARRAY_SIZE(list));
}

static void test_check_counters(void)
{
	static const enum corruption list[] = {
		C_NR_FREE_UP, C_NR_FREE_DOWN, C_FREE_FRAMES, C_NR_FRAMES,
	};

	check_corruptions(list, ARRAY_SIZE(list));
}

static void test_check_links(void)
{
	static const enum corruption list[] = {
		C_PREV_LINK, C_NEXT_CUT, C_NEXT_CYCLE, C_NEXT_RANGE,
		C_HEAD_USED, C_HEAD_STALE, C_FREE_LISTED_WRONG_ORDER,
	};

	check_corruptions(list, ARRAY_SIZE(list));
}

static void test_check_overlap(void)
{
	static const enum corruption list[] = {
		C_OVERLAP_USED, C_OVERLAP_FREE, C_HEAD_LOST, C_BAD_STATE,
	};

	check_corruptions(list, ARRAY_SIZE(list));
}

static void test_check_placement(void)
{
	static const enum corruption list[] = {
		C_MISALIGNED, C_ORDER_TOO_BIG, C_CROSSES_SPAN, C_SPAN_FIRST,
		C_SPAN_OVERLAP,
	};

	check_corruptions(list, ARRAY_SIZE(list));
}

static void test_strerror(void)
{
	static const int errs[] = {
		0, -ERANGE, -ENOENT, -EALREADY, -EFAULT, -EINVAL, -ENOMEM,
		-ENOSPC, -EUCLEAN, -EPERM,
	};
	const char *unknown = buddy_strerror(-12345);
	unsigned int i, j;

	EXPECT(unknown != NULL);
	for (i = 0; i < ARRAY_SIZE(errs); i++) {
		const char *s = buddy_strerror(errs[i]);

		if (!EXPECT(s && *s && strcmp(s, unknown)))
			continue;
		for (j = 0; j < i; j++)
			EXPECT(strcmp(s, buddy_strerror(errs[j])));
	}
}

#define CASE(fn)	{ #fn + 5, fn }	/* name without "test_" */

const struct test_case unit_cases[] = {
	CASE(test_init_empty),
	CASE(test_carve_pfn3_1000),
	CASE(test_carve_odd_spans),
	CASE(test_carve_many_spans),
	CASE(test_alloc_free_every_order),
	CASE(test_alloc_bad_order),
	CASE(test_fill_each_order),
	CASE(test_split_merge),
	CASE(test_merge_any_order),
	CASE(test_no_merge_across_span_edge),
	CASE(test_holes_between_spans),
	CASE(test_exhaustion_and_recovery),
	CASE(test_bad_free_erange),
	CASE(test_bad_free_enoent),
	CASE(test_bad_free_double),
	CASE(test_bad_free_double_merged),
	CASE(test_bad_free_interior),
	CASE(test_bad_free_wrong_order),
	CASE(test_free_tagged),
	CASE(test_add_span_einval),
	CASE(test_add_span_enospc),
	CASE(test_add_span_top_of_range),
	CASE(test_gather_smallest_first),
	CASE(test_gather_splits_smallest),
	CASE(test_gather_errors),
	CASE(test_gather_all_coalesce),
	CASE(test_lookup_and_tag),
	CASE(test_free_check_and_index),
	CASE(test_largest_free_order),
	CASE(test_check_unmerged),
	CASE(test_check_counters),
	CASE(test_check_links),
	CASE(test_check_overlap),
	CASE(test_check_placement),
	CASE(test_strerror),
};

const unsigned int nr_unit_cases = ARRAY_SIZE(unit_cases);
