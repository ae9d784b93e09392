// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite vbuddy_fault: every failure branch, walked with the task's
 * fail-nth counter (CONFIG_FAULT_INJECTION). Each leaves the pool (or no
 * pool) consistent; the kmemleak flavour checks that nothing leaks.
 */

#include <kunit/test.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "../module/fault.h"
#include "../module/pool.h"

MODULE_IMPORT_NS(VBUDDY_INTERNAL);

#define FT_PAGES	512

/* Fail the @nth injection point reached by this task from now on. */
static void fail_nth(unsigned int nth)
{
	WRITE_ONCE(current->fail_nth, nth);
}

/* Whether the armed fault fired; disarms it. */
static bool fired(void)
{
	bool ret = !READ_ONCE(current->fail_nth);

	WRITE_ONCE(current->fail_nth, 0);
	return ret;
}

static void fault_test_exit(struct kunit *test)
{
	fired();
	vbuddy_fault_select(true, false);
}

/* Creating a pool: each request to the kernel fails in turn. */
static void fault_test_create_walk(struct kunit *test)
{
	unsigned int nth, failed = 0;
	struct vbuddy_pool *pool;

	vbuddy_fault_select(true, false);
	for (nth = 1; nth < 100; nth++) {
		fail_nth(nth);
		pool = vbuddy_pool_create("kunit-fault", 2048);
		if (!fired()) {		/* fewer than nth points: all walked */
			KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
			vbuddy_pool_destroy(pool);
			break;
		}
		if (IS_ERR(pool)) {
			KUNIT_EXPECT_EQ(test, PTR_ERR(pool), -ENOMEM);
			failed++;
			continue;
		}
		/* a high order piece failed: smaller pieces serve instead */
		KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
		KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(pool), 2048UL);
		vbuddy_pool_destroy(pool);
	}
	KUNIT_EXPECT_LT(test, nth, 100U);
	KUNIT_EXPECT_GE(test, failed, 8U);
	kunit_info(test, "%u injection points, %u failed the create\n", nth - 1, failed);
}

/*
 * A pool of FT_PAGES on a checkerboard: the pages it holds in *@held (*@n
 * of them), its free blocks per order in @before.
 */
static struct vbuddy_pool *checkerboard_pool(struct kunit *test, struct page ***held,
					     unsigned long *n, unsigned long *before)
{
	struct vbuddy_pool *pool;

	*held = kunit_kcalloc(test, FT_PAGES, sizeof(**held), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, *held);
	pool = vbuddy_pool_create("kunit-fault", FT_PAGES);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	*n = vbuddy_pool_checkerboard(pool, *held);
	vbuddy_pool_nr_free(pool, before);
	return pool;
}

static void release(struct vbuddy_pool *pool, struct page **held, unsigned long n)
{
	while (n)
		vbuddy_free_pages(pool, held[--n], 0);
	vbuddy_pool_drain(pool);
}

/* The fallback: vmap() fails; every gathered page goes back. */
static void fault_test_virt_map(struct kunit *test)
{
	unsigned long before[VBUDDY_NR_ORDERS], after[VBUDDY_NR_ORDERS], n;
	struct page **held;
	struct vbuddy_pool *pool;
	void *p;

	pool = checkerboard_pool(test, &held, &n, before);

	vbuddy_fault_select(true, false);
	fail_nth(1);
	p = vbuddy_pool_kmalloc(pool, 4 * PAGE_SIZE, GFP_KERNEL | GFP_VIRTOK | __GFP_NOWARN);
	KUNIT_EXPECT_TRUE(test, fired());
	KUNIT_EXPECT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_VIRT_MAP_FAILED), 1UL);
	vbuddy_pool_nr_free(pool, after);
	KUNIT_EXPECT_EQ(test, memcmp(before, after, sizeof(before)), 0);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);

	/* and with no fault armed, the same request is served */
	p = vbuddy_pool_kmalloc(pool, 4 * PAGE_SIZE, GFP_KERNEL | GFP_VIRTOK);
	KUNIT_EXPECT_TRUE(test, vbuddy_is_virtual(p));
	vbuddy_kfree(p);
	release(pool, held, n);
	vbuddy_pool_destroy(pool);
}

/* vbuddy's own allocations, each failing in turn. */
static void fault_test_pool_walk(struct kunit *test)
{
	unsigned long before[VBUDDY_NR_ORDERS], after[VBUDDY_NR_ORDERS], n;
	struct vbuddy_pool *pool;
	struct page **held;
	unsigned int nth;
	void *p;

	pool = checkerboard_pool(test, &held, &n, before);
	vbuddy_fault_select(false, true);

	fail_nth(1);
	KUNIT_EXPECT_NULL(test, vbuddy_alloc_pages(pool, GFP_KERNEL | __GFP_NOWARN, 0));
	KUNIT_EXPECT_TRUE(test, fired());
	fail_nth(1);
	KUNIT_EXPECT_NULL(test, vbuddy_pool_kmalloc(pool, 64, GFP_KERNEL | __GFP_NOWARN));
	KUNIT_EXPECT_TRUE(test, fired());

	/* a fallback: the contiguous try, then the gather */
	for (nth = 1; nth <= 3; nth++) {
		fail_nth(nth);
		p = vbuddy_pool_kmalloc(pool, 4 * PAGE_SIZE,
					GFP_KERNEL | GFP_VIRTOK | __GFP_NOWARN);
		if (!fired()) {
			KUNIT_EXPECT_EQ(test, nth, 3U);
			KUNIT_EXPECT_TRUE(test, vbuddy_is_virtual(p));
		} else {
			KUNIT_EXPECT_EQ(test, !p, nth == 2);
		}
		vbuddy_kfree(p);
		vbuddy_pool_drain(pool);
		vbuddy_pool_nr_free(pool, after);
		KUNIT_EXPECT_EQ(test, memcmp(before, after, sizeof(before)), 0);
		KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
	}
	release(pool, held, n);
	vbuddy_pool_destroy(pool);
}

/*
 * Compaction whose destination allocation fails: nothing moves, the data
 * and the pool stay intact, and the same run without the fault succeeds.
 */
static void fault_test_compact_dest(struct kunit *test)
{
	unsigned long *h = kunit_kcalloc(test, FT_PAGES, sizeof(*h), GFP_KERNEL);
	struct vbuddy_pool *pool;
	unsigned int n = 0, i, bad = 0;
	u32 *p;

	KUNIT_ASSERT_NOT_NULL(test, h);
	pool = vbuddy_pool_create("kunit-fault", FT_PAGES);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	vbuddy_compact_set_proactiveness(pool, 0);
	while (n < FT_PAGES && (h[n] = vbuddy_alloc_movable(pool, GFP_KERNEL | __GFP_NOWARN, 0)))
		n++;
	for (i = 0; i < n; i++) {
		if (i % 4) {
			vbuddy_free_movable(h[i]);
			h[i] = 0;
			continue;
		}
		p = vbuddy_map_movable(h[i]);
		memset32(p, i, PAGE_SIZE / sizeof(u32));
		vbuddy_unmap_movable(h[i]);
	}
	vbuddy_fault_select(false, true);
	fail_nth(1);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_compact(pool, 4), -ENOSPC);
	KUNIT_EXPECT_TRUE(test, fired());
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_MOVED), 0UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_compact(pool, 4), 0);
	for (i = 0; i < n; i += 4) {
		p = vbuddy_map_movable(h[i]);
		bad += !p || p[0] != i || p[PAGE_SIZE / sizeof(u32) - 1] != i;
		vbuddy_unmap_movable(h[i]);
		vbuddy_free_movable(h[i]);
	}
	KUNIT_EXPECT_EQ(test, bad, 0U);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
	vbuddy_pool_destroy(pool);
}

static struct kunit_case fault_test_cases[] = {
	KUNIT_CASE(fault_test_create_walk),
	KUNIT_CASE(fault_test_virt_map),
	KUNIT_CASE(fault_test_pool_walk),
	KUNIT_CASE(fault_test_compact_dest),
	{}
};

static struct kunit_suite fault_test_suite = {
	.name = "vbuddy_fault",
	.exit = fault_test_exit,
	.test_cases = fault_test_cases,
};

kunit_test_suite(fault_test_suite);
