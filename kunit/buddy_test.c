// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite vbuddy_buddy: the buddy core, on made-up frame numbers.
 *
 * The core is compiled into this test module as it is into vbuddy.ko (the
 * file is included whole), so every case can lay out spans and holes at
 * will and compare the allocator's state byte for byte.
 */

#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "../module/buddy.c"

#define MAX_FRAMES	8192
#define MAX_SPANS	8

struct buddy_fixture {
	struct buddy b;
	struct buddy_frame *frames;
	struct buddy_span spans[MAX_SPANS];
};

static struct buddy *fixture_buddy(struct kunit *test)
{
	struct buddy_fixture *fx = test->priv;

	return &fx->b;
}

static int buddy_test_init(struct kunit *test)
{
	struct buddy_fixture *fx;

	fx = kunit_kzalloc(test, sizeof(*fx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fx);
	fx->frames = kunit_kcalloc(test, MAX_FRAMES, sizeof(*fx->frames), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fx->frames);
	buddy_init(&fx->b, fx->frames, MAX_FRAMES, fx->spans, MAX_SPANS);
	test->priv = fx;
	return 0;
}

static void expect_clean(struct kunit *test, struct buddy *b)
{
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
}

/* Every order: aligned, counted, and merged back to the one top block. */
static void buddy_test_every_order(struct kunit *test)
{
	const unsigned int order = *(const unsigned int *)test->param_value;
	struct buddy *b = fixture_buddy(test);
	unsigned long pfn;

	KUNIT_ASSERT_EQ(test, buddy_add_span(b, 1UL << 20, 1024), 0);
	KUNIT_ASSERT_EQ(test, buddy_alloc(b, order, &pfn), 0);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(pfn, 1UL << order));
	KUNIT_EXPECT_GE(test, pfn, 1UL << 20);
	KUNIT_EXPECT_LE(test, pfn + (1UL << order), (1UL << 20) + 1024);
	KUNIT_EXPECT_EQ(test, b->free_frames, 1024UL - (1UL << order));
	/* the split left exactly one free block of each order in between */
	for (unsigned int o = 0; o < VBUDDY_MAX_ORDER; o++)
		KUNIT_EXPECT_EQ(test, b->nr_free[o], o >= order ? 1UL : 0UL);
	expect_clean(test, b);
	KUNIT_EXPECT_EQ(test, buddy_free(b, pfn, order), 0);
	KUNIT_EXPECT_EQ(test, b->nr_free[VBUDDY_MAX_ORDER], 1UL);
	KUNIT_EXPECT_EQ(test, b->free_frames, 1024UL);
	expect_clean(test, b);
}

static const unsigned int all_orders[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

static void order_desc(const unsigned int *order, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "order %u", *order);
}

KUNIT_ARRAY_PARAM(buddy_orders, all_orders, order_desc);

/* Splitting and merging, step by step, against known block counts. */
static void buddy_test_split_merge(struct kunit *test)
{
	struct buddy *b = fixture_buddy(test);
	unsigned long a, c;

	KUNIT_ASSERT_EQ(test, buddy_add_span(b, 0, 4), 0);
	KUNIT_EXPECT_EQ(test, b->nr_free[2], 1UL);
	KUNIT_ASSERT_EQ(test, buddy_alloc(b, 0, &a), 0);
	KUNIT_ASSERT_EQ(test, buddy_alloc(b, 0, &c), 0);
	KUNIT_EXPECT_EQ(test, a ^ c, 1UL);		/* buddies */
	KUNIT_EXPECT_EQ(test, b->nr_free[1], 1UL);
	KUNIT_EXPECT_EQ(test, buddy_free(b, a, 0), 0);
	KUNIT_EXPECT_EQ(test, b->nr_free[0], 1UL);	/* buddy c still used */
	KUNIT_EXPECT_EQ(test, buddy_free(b, c, 0), 0);
	KUNIT_EXPECT_EQ(test, b->nr_free[0], 0UL);
	KUNIT_EXPECT_EQ(test, b->nr_free[1], 0UL);
	KUNIT_EXPECT_EQ(test, b->nr_free[2], 1UL);	/* merged twice */
	expect_clean(test, b);
}

/* Odd spans with holes between them are carved into the largest blocks. */
static void buddy_test_spans_with_holes(struct kunit *test)
{
	static const unsigned long want[VBUDDY_NR_ORDERS] = {
		/* [3, 1000): 3 4-7 8-15 ... 512-999; [1024, 2048); [4100, 4105) */
		[0] = 2, [2] = 2, [3] = 2, [4] = 1, [5] = 2, [6] = 2, [7] = 2,
		[8] = 2, [9] = 0, [10] = 1,
	};
	struct buddy *b = fixture_buddy(test);
	unsigned long pfn, n = 0;

	KUNIT_ASSERT_EQ(test, buddy_add_span(b, 3, 997), 0);
	KUNIT_ASSERT_EQ(test, buddy_add_span(b, 1024, 1024), 0);
	KUNIT_ASSERT_EQ(test, buddy_add_span(b, 4100, 5), 0);
	expect_clean(test, b);
	KUNIT_EXPECT_EQ(test, b->free_frames, 997UL + 1024 + 5);
	for (unsigned int o = 0; o <= VBUDDY_MAX_ORDER; o++)
		KUNIT_EXPECT_EQ_MSG(test, b->nr_free[o], want[o], "order %u", o);

	/* nothing is ever handed out from a hole */
	while (!buddy_alloc(b, 0, &pfn)) {
		KUNIT_EXPECT_TRUE(test, (pfn >= 3 && pfn < 1000) ||
				  (pfn >= 1024 && pfn < 2048) ||
				  (pfn >= 4100 && pfn < 4105));
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, 997UL + 1024 + 5);
	KUNIT_EXPECT_EQ(test, buddy_free(b, 1010, 0), -ENOENT);
	KUNIT_EXPECT_EQ(test, buddy_free(b, 4105, 0), -ENOENT);
	expect_clean(test, b);
}

/* Spans that touch are still separate: no merge across the edge. */
static void buddy_test_adjacent_spans(struct kunit *test)
{
	struct buddy *b = fixture_buddy(test);
	unsigned long pfn[4];

	KUNIT_ASSERT_EQ(test, buddy_add_span(b, 0, 512), 0);
	KUNIT_ASSERT_EQ(test, buddy_add_span(b, 512, 512), 0);
	KUNIT_EXPECT_EQ(test, b->nr_free[9], 2UL);
	KUNIT_EXPECT_EQ(test, b->nr_free[10], 0UL);
	KUNIT_EXPECT_EQ(test, buddy_alloc(b, 10, &pfn[0]), -ENOMEM);
	for (int i = 0; i < 4; i++)
		KUNIT_ASSERT_EQ(test, buddy_alloc(b, 8, &pfn[i]), 0);
	for (int i = 0; i < 4; i++)
		KUNIT_ASSERT_EQ(test, buddy_free(b, pfn[i], 8), 0);
	KUNIT_EXPECT_EQ(test, b->nr_free[9], 2UL);
	KUNIT_EXPECT_EQ(test, b->nr_free[10], 0UL);
	expect_clean(test, b);
}

/* Take every frame, give every frame back in a scattered order. */
static void buddy_test_exhaust_recover(struct kunit *test)
{
	struct buddy *b = fixture_buddy(test);
	unsigned long *pfns, pfn, n = 0, i;

	pfns = kunit_kcalloc(test, 4096, sizeof(*pfns), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pfns);
	KUNIT_ASSERT_EQ(test, buddy_add_span(b, 0, 4096), 0);
	while (!buddy_alloc(b, 0, &pfn))
		pfns[n++] = pfn;
	KUNIT_EXPECT_EQ(test, n, 4096UL);
	KUNIT_EXPECT_EQ(test, b->free_frames, 0UL);
	KUNIT_EXPECT_EQ(test, buddy_largest_free_order(b), -1);
	KUNIT_EXPECT_EQ(test, buddy_alloc(b, 0, &pfn), -ENOMEM);
	expect_clean(test, b);
	for (i = 0; i < n; i += 2)			/* a checkerboard */
		KUNIT_ASSERT_EQ(test, buddy_free(b, pfns[i], 0), 0);
	KUNIT_EXPECT_EQ(test, buddy_largest_free_order(b), 0);
	KUNIT_EXPECT_EQ(test, buddy_alloc(b, 1, &pfn), -ENOMEM);
	for (i = 1; i < n; i += 2)
		KUNIT_ASSERT_EQ(test, buddy_free(b, pfns[i], 0), 0);
	KUNIT_EXPECT_EQ(test, b->nr_free[VBUDDY_MAX_ORDER], 4UL);
	KUNIT_EXPECT_EQ(test, b->free_frames, 4096UL);
	expect_clean(test, b);
}

struct bad_free_case {
	const char *name;
	long offset;		/* from the head of an order-2 block */
	unsigned int order;
	bool free_first;	/* free the block first: a double free */
	int err;
};

static const struct bad_free_case bad_frees[] = {
	{ "order above the maximum", 0, VBUDDY_MAX_ORDER + 1, false, -ERANGE },
	{ "frame in no span", 100000, 0, false, -ENOENT },
	{ "interior frame", 1, 2, false, -EFAULT },
	{ "wrong order", 0, 1, false, -EINVAL },
	{ "double free", 0, 2, true, -EALREADY },
	{ "frame inside a free block", 2, 0, true, -EALREADY },
};

static void bad_free_desc(const struct bad_free_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(buddy_bad_frees, bad_frees, bad_free_desc);

/* A refused free changes nothing, down to the last byte. */
static void buddy_test_bad_free(struct kunit *test)
{
	const struct bad_free_case *c = test->param_value;
	struct buddy_fixture *fx = test->priv;
	struct buddy *b = &fx->b, saved;
	struct buddy_frame *frames;
	unsigned long pfn, other;

	frames = kunit_kcalloc(test, 1024, sizeof(*frames), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, frames);
	KUNIT_ASSERT_EQ(test, buddy_add_span(b, 1024, 1024), 0);
	KUNIT_ASSERT_EQ(test, buddy_alloc(b, 2, &pfn), 0);
	KUNIT_ASSERT_EQ(test, buddy_alloc(b, 2, &other), 0);	/* keeps a block live */
	if (c->free_first)
		KUNIT_ASSERT_EQ(test, buddy_free(b, pfn, 2), 0);

	memcpy(&saved, b, sizeof(saved));
	memcpy(frames, fx->frames, 1024 * sizeof(*frames));
	KUNIT_EXPECT_EQ(test, buddy_free(b, pfn + c->offset, c->order), c->err);
	KUNIT_EXPECT_EQ(test, memcmp(&saved, b, sizeof(saved)), 0);
	KUNIT_EXPECT_EQ(test, memcmp(frames, fx->frames, 1024 * sizeof(*frames)), 0);
	expect_clean(test, b);
}

/* The fallback's gather takes the smallest free blocks first. */
static void buddy_test_gather_smallest_first(struct kunit *test)
{
	struct buddy *b = fixture_buddy(test);
	unsigned long pfns[4], keep, n;

	/* free blocks: order 0 at 1, order 1 at 2, order 3 at 8, order 10 */
	KUNIT_ASSERT_EQ(test, buddy_add_span(b, 1, 15), 0);
	KUNIT_ASSERT_EQ(test, buddy_add_span(b, 1024, 1024), 0);
	KUNIT_ASSERT_EQ(test, buddy_alloc(b, 2, &keep), 0);	/* takes 4-7 */
	KUNIT_EXPECT_EQ(test, keep, 4UL);

	KUNIT_ASSERT_EQ(test, buddy_gather(b, 3, pfns), 0);
	KUNIT_EXPECT_EQ(test, pfns[0], 1UL);
	KUNIT_EXPECT_TRUE(test, (pfns[1] == 2 && pfns[2] == 3));
	KUNIT_EXPECT_EQ(test, b->nr_free[3], 1UL);
	KUNIT_EXPECT_EQ(test, b->nr_free[10], 1UL);
	expect_clean(test, b);

	/* not enough: nothing is taken */
	n = b->free_frames;
	KUNIT_EXPECT_EQ(test, buddy_gather(b, n + 1, pfns), -ENOMEM);
	KUNIT_EXPECT_EQ(test, b->free_frames, n);

	/* gathered frames are order-0 blocks of their own, and merge back */
	for (int i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, buddy_free(b, pfns[i], 0), 0);
	KUNIT_EXPECT_EQ(test, buddy_free(b, keep, 2), 0);
	KUNIT_EXPECT_EQ(test, b->nr_free[3], 1UL);	/* 8-15 */
	KUNIT_EXPECT_EQ(test, b->nr_free[2], 1UL);	/* 4-7 */
	KUNIT_EXPECT_EQ(test, b->nr_free[1], 1UL);	/* 2-3 */
	KUNIT_EXPECT_EQ(test, b->nr_free[0], 1UL);	/* 1 */
	expect_clean(test, b);
}

/* The checker is only worth something if it catches corruption. */
static void buddy_test_check_detects(struct kunit *test)
{
	struct buddy *b = fixture_buddy(test);
	struct buddy_fixture *fx = test->priv;
	unsigned long a, c;

	KUNIT_ASSERT_EQ(test, buddy_add_span(b, 0, 64), 0);
	KUNIT_ASSERT_EQ(test, buddy_alloc(b, 0, &a), 0);
	KUNIT_ASSERT_EQ(test, buddy_alloc(b, 0, &c), 0);
	expect_clean(test, b);

	b->nr_free[1]++;				/* a counter off */
	KUNIT_EXPECT_EQ(test, buddy_check(b), -EUCLEAN);
	b->nr_free[1]--;

	fx->frames[c].state = BUDDY_TAIL;		/* a block lost */
	KUNIT_EXPECT_EQ(test, buddy_check(b), -EUCLEAN);
	fx->frames[c].state = BUDDY_USED;

	fx->frames[33].state = BUDDY_USED;		/* overlapping blocks */
	KUNIT_EXPECT_EQ(test, buddy_check(b), -EUCLEAN);
	fx->frames[33].state = BUDDY_TAIL;
	expect_clean(test, b);
}

static void buddy_test_add_span_errors(struct kunit *test)
{
	struct buddy *b = fixture_buddy(test);
	int i;

	KUNIT_EXPECT_EQ(test, buddy_add_span(b, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, buddy_add_span(b, ULONG_MAX, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, buddy_add_span(b, 100, 10), 0);
	KUNIT_EXPECT_EQ(test, buddy_add_span(b, 105, 10), -EINVAL);	/* overlap */
	KUNIT_EXPECT_EQ(test, buddy_add_span(b, 50, 10), -EINVAL);	/* descending */
	KUNIT_EXPECT_EQ(test, buddy_add_span(b, 200, MAX_FRAMES), -ENOSPC);
	for (i = 1; i < MAX_SPANS; i++)
		KUNIT_EXPECT_EQ(test, buddy_add_span(b, 1000 * i, 1), 0);
	KUNIT_EXPECT_EQ(test, buddy_add_span(b, 100000, 1), -ENOSPC);
	expect_clean(test, b);
}

static void buddy_test_lookup_tag(struct kunit *test)
{
	struct buddy *b = fixture_buddy(test);
	struct buddy_block blk;
	unsigned long pfn;

	KUNIT_ASSERT_EQ(test, buddy_add_span(b, 0, 64), 0);
	KUNIT_ASSERT_EQ(test, buddy_alloc(b, 3, &pfn), 0);
	KUNIT_EXPECT_EQ(test, buddy_set_tag(b, pfn, 7), 0);
	KUNIT_EXPECT_EQ(test, buddy_set_tag(b, pfn + 1, 7), -EINVAL);
	KUNIT_ASSERT_EQ(test, buddy_lookup(b, pfn + 5, &blk), 0);
	KUNIT_EXPECT_EQ(test, blk.pfn, pfn);
	KUNIT_EXPECT_EQ(test, blk.order, 3U);
	KUNIT_EXPECT_EQ(test, blk.state, BUDDY_USED);
	KUNIT_EXPECT_EQ(test, blk.tag, 7);
	KUNIT_EXPECT_EQ(test, buddy_lookup(b, 64, &blk), -ENOENT);
	KUNIT_ASSERT_EQ(test, buddy_free(b, pfn, 3), 0);
	KUNIT_ASSERT_EQ(test, buddy_lookup(b, pfn + 5, &blk), 0);
	KUNIT_EXPECT_EQ(test, blk.state, BUDDY_FREE);
	KUNIT_EXPECT_EQ(test, blk.order, 6U);
}

static struct kunit_case buddy_test_cases[] = {
	KUNIT_CASE_PARAM(buddy_test_every_order, buddy_orders_gen_params),
	KUNIT_CASE(buddy_test_split_merge),
	KUNIT_CASE(buddy_test_spans_with_holes),
	KUNIT_CASE(buddy_test_adjacent_spans),
	KUNIT_CASE(buddy_test_exhaust_recover),
	KUNIT_CASE_PARAM(buddy_test_bad_free, buddy_bad_frees_gen_params),
	KUNIT_CASE(buddy_test_gather_smallest_first),
	KUNIT_CASE(buddy_test_check_detects),
	KUNIT_CASE(buddy_test_add_span_errors),
	KUNIT_CASE(buddy_test_lookup_tag),
	{}
};

static struct kunit_suite buddy_test_suite = {
	.name = "vbuddy_buddy",
	.init = buddy_test_init,
	.test_cases = buddy_test_cases,
};

kunit_test_suite(buddy_test_suite);
