// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite vbuddy_gfp: what vbuddy promises a caller beyond a block:
 * every GFP flag honoured or refused loudly, the alignment kmalloc()
 * promises, and pages still referenced when they are freed never recycled.
 * (That kmemleak sees vbuddy objects is tested in the kasan flavour's
 * guest, with lib/vbuddy_leak.c: kmemleak's scan is not there for modules.)
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/page_ref.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "../module/pool.h"
#include "vbuddy_kunit.h"

MODULE_IMPORT_NS(VBUDDY_INTERNAL);

#define GFP_POOL_PAGES	2048

static int gfp_test_init(struct kunit *test)
{
	vbuddy_kunit_pool(test, "kunit-gfp", GFP_POOL_PAGES);
	return 0;
}

static void gfp_test_exit(struct kunit *test)
{
	vbuddy_kunit_pool_exit(test, GFP_POOL_PAGES);
}

/*
 * One request and what must come of it. @order: of vbuddy_alloc_pages(),
 * or -1 for a vbuddy_pool_kmalloc() of @size. @why: NULL if it must be
 * served, else what the report of its refusal must say.
 */
struct gfp_case {
	const char *desc;
	gfp_t gfp;
	int order;
	size_t size;
	const char *why;
};

static const struct gfp_case gfp_cases[] = {
	{ "__GFP_ZERO", GFP_KERNEL | __GFP_ZERO, 2, 0, NULL },
	{ "__GFP_COMP at order 0", GFP_KERNEL | __GFP_COMP, 0, 0, NULL },
	{ "__GFP_COMP at order 2", GFP_KERNEL | __GFP_COMP, 2, 0,
	  "__GFP_COMP refused: blocks are no compound pages" },
	{ "__GFP_ACCOUNT", GFP_KERNEL_ACCOUNT, 0, 0,
	  "__GFP_ACCOUNT refused: charged at creation" },
	{ "kmalloc __GFP_ACCOUNT", GFP_KERNEL_ACCOUNT, -1, 64,
	  "__GFP_ACCOUNT refused" },
	{ "__GFP_DMA with __GFP_DMA32", GFP_KERNEL | __GFP_DMA | __GFP_DMA32, 0, 0,
	  "invalid zone modifiers" },
	{ "__GFP_HIGHMEM", GFP_HIGHUSER, 0, 0, NULL },
	{ "__GFP_MOVABLE", GFP_HIGHUSER_MOVABLE, 1, 0, NULL },
	{ "__GFP_NOFAIL, may not sleep", GFP_ATOMIC | __GFP_NOFAIL, 0, 0,
	  "__GFP_NOFAIL refused: the caller may not sleep" },
	{ "kmalloc __GFP_NOFAIL, may not sleep", GFP_ATOMIC | __GFP_NOFAIL, -1, 64,
	  "__GFP_NOFAIL refused: the caller may not sleep" },
	{ "__GFP_NOFAIL, may sleep", GFP_KERNEL | __GFP_NOFAIL, 3, 0, NULL },
	{ "kmalloc __GFP_NOFAIL, may sleep", GFP_KERNEL | __GFP_NOFAIL, -1, 3000, NULL },
	{ "__GFP_NORETRY", GFP_KERNEL | __GFP_NORETRY, 1, 0, NULL },
	{ "__GFP_RETRY_MAYFAIL", GFP_KERNEL | __GFP_RETRY_MAYFAIL, 1, 0, NULL },
	{ "order above the maximum, __GFP_NOWARN", GFP_KERNEL | __GFP_NOWARN,
	  VBUDDY_MAX_ORDER + 1, 0, "allocation of order 11 refused" },
	{ "GFP_VIRTOK to the page API", GFP_KERNEL | GFP_VIRTOK, 0, 0,
	  "GFP_VIRTOK refused" },
};

KUNIT_ARRAY_PARAM_DESC(gfp_flags, gfp_cases, desc);

/* Each flag: served, or refused with the report that names it. */
static void gfp_test_flags(struct kunit *test)
{
	const struct gfp_case *c = test->param_value;
	struct vbuddy_pool *pool = test->priv;
	unsigned long r = vbuddy_pool_event(pool, VBUDDY_EV_BAD_INPUT);
	struct page *page = NULL;
	void *p = NULL;

	vbuddy_pool_expect_reports(pool, true);
	if (c->order >= 0)
		page = vbuddy_alloc_pages(pool, c->gfp, c->order);
	else
		p = vbuddy_pool_kmalloc(pool, c->size, c->gfp);
	vbuddy_pool_expect_reports(pool, false);

	if (c->why) {
		KUNIT_EXPECT_NULL(test, page);
		KUNIT_EXPECT_NULL(test, p);
		KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_BAD_INPUT), r + 1);
		KUNIT_EXPECT_REPORT(test, pool, c->why);
		return;
	}
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_BAD_INPUT), r);
	if (c->order >= 0) {
		KUNIT_ASSERT_NOT_NULL(test, page);
		if (c->gfp & __GFP_ZERO)
			KUNIT_EXPECT_NULL(test, memchr_inv(page_address(page), 0,
							   PAGE_SIZE << c->order));
		vbuddy_free_pages(pool, page, c->order);
	} else {
		KUNIT_ASSERT_NOT_NULL(test, p);
		vbuddy_kfree(p);
	}
}

struct nofail_ctx {
	struct vbuddy_pool *pool;
	struct page *page;
	struct completion done;
};

static int nofail_fn(void *arg)
{
	struct nofail_ctx *ctx = arg;

	ctx->page = vbuddy_alloc_pages(ctx->pool, GFP_KERNEL | __GFP_NOFAIL, 0);
	complete(&ctx->done);
	return 0;
}

/*
 * __GFP_NOFAIL on a full pool waits for a free, and is then served: the
 * page another task frees is the one it gets.
 */
static void gfp_test_nofail_waits(struct kunit *test)
{
	struct vbuddy_pool *pool = test->priv;
	struct nofail_ctx ctx = { .pool = pool };
	unsigned long n = 0, i;
	struct page **held;

	held = kunit_kcalloc(test, GFP_POOL_PAGES, sizeof(*held), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, held);
	while (n < GFP_POOL_PAGES &&
	       (held[n] = vbuddy_alloc_pages(pool, GFP_KERNEL | __GFP_NOWARN, 0)))
		n++;
	KUNIT_ASSERT_EQ(test, n, (unsigned long)GFP_POOL_PAGES);

	init_completion(&ctx.done);
	KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(nofail_fn, &ctx, "vbuddy-nofail")));
	/* It waits: nothing can be served until a page is freed. */
	KUNIT_EXPECT_EQ(test, wait_for_completion_timeout(&ctx.done, msecs_to_jiffies(100)),
			0UL);
	vbuddy_free_pages(pool, held[--n], 0);
	KUNIT_ASSERT_NE(test, wait_for_completion_timeout(&ctx.done, 10 * HZ), 0UL);
	KUNIT_EXPECT_PTR_EQ(test, ctx.page, held[n]);
	vbuddy_free_pages(pool, ctx.page, 0);
	for (i = 0; i < n; i++)
		vbuddy_free_pages(pool, held[i], 0);
}

/*
 * __GFP_NOFAIL for what the pool can never hold is refused, not waited for
 * forever: a block larger than any piece of a small pool, or a GFP_VIRTOK
 * range larger than the whole pool.
 */
static void gfp_test_nofail_impossible(struct kunit *test)
{
	struct vbuddy_pool *tiny = vbuddy_pool_create("kunit-tiny", 64);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, tiny);
	vbuddy_pool_expect_reports(tiny, true);
	KUNIT_EXPECT_NULL(test, vbuddy_alloc_pages(tiny, GFP_KERNEL | __GFP_NOFAIL, 7));
	KUNIT_EXPECT_REPORT(test, tiny, "__GFP_NOFAIL refused: no block of order 7, ever");
	KUNIT_EXPECT_NULL(test, vbuddy_pool_kmalloc(tiny, 65 * PAGE_SIZE,
						    GFP_KERNEL | GFP_VIRTOK | __GFP_NOFAIL));
	KUNIT_EXPECT_REPORT(test, tiny, "__GFP_NOFAIL kmalloc(266240) refused: it never fits");
	vbuddy_pool_expect_reports(tiny, false);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(tiny, VBUDDY_EV_BAD_INPUT), 2UL);
	vbuddy_pool_destroy(tiny);
}

/*
 * Zones: a pool made for ZONE_DMA32 has all its pages below 4 GiB and
 * serves GFP_DMA32; a pool of any pages refuses GFP_DMA32, as it cannot
 * promise it. Only where the kernel has that zone (x86-64 under qemu).
 */
static void gfp_test_zones(struct kunit *test)
{
	struct vbuddy_pool *dma32, *pool = test->priv;
	struct page *page;
	unsigned long r;

	if (!IS_ENABLED(CONFIG_ZONE_DMA32))
		kunit_skip(test, "this kernel has no ZONE_DMA32");
	dma32 = vbuddy_pool_create_gfp("kunit-dma32", 256, GFP_KERNEL | __GFP_DMA32);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dma32);
	page = vbuddy_alloc_pages(dma32, GFP_DMA32, 3);
	KUNIT_EXPECT_NOT_NULL(test, page);
	if (page) {
		KUNIT_EXPECT_LT(test, PFN_PHYS(page_to_pfn(page) + 8), 1ULL << 32);
		vbuddy_free_pages(dma32, page, 3);
	}
	page = vbuddy_alloc_pages(dma32, GFP_KERNEL, 0);	/* lower zones serve higher */
	KUNIT_EXPECT_NOT_NULL(test, page);
	vbuddy_free_pages(dma32, page, 0);
	vbuddy_pool_destroy(dma32);

	r = vbuddy_pool_event(pool, VBUDDY_EV_BAD_INPUT);
	vbuddy_pool_expect_reports(pool, true);
	KUNIT_EXPECT_NULL(test, vbuddy_alloc_pages(pool, GFP_DMA32, 0));
	KUNIT_EXPECT_NULL(test, vbuddy_pool_kmalloc(pool, 64, GFP_KERNEL | __GFP_DMA32));
	vbuddy_pool_expect_reports(pool, false);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_BAD_INPUT), r + 2);
	KUNIT_EXPECT_REPORT(test, pool, "refused: pages of zone");
	KUNIT_EXPECT_EQ(test, PTR_ERR(vbuddy_pool_create_gfp("kunit-bad", 16, GFP_ATOMIC)),
			-EINVAL);
}

/*
 * init_on_alloc and init_on_free, the kernel's boot options: a dirty
 * object comes back zeroed without __GFP_ZERO. Each runs where the UML
 * flavour boots with the option (see scripts/).
 */
static void gfp_test_init_on(struct kunit *test)
{
	struct vbuddy_pool *pool = test->priv;
	struct page *page, *again;
	u8 *p, *q;

	if (!want_init_on_alloc(GFP_KERNEL) && !want_init_on_free())
		kunit_skip(test, "booted without init_on_alloc=1 or init_on_free=1");
	migrate_disable();	/* the caches hand back what was just freed */
	p = vbuddy_pool_kmalloc(pool, 200, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0xa5, 200);
	vbuddy_kfree(p);
	if (want_init_on_free())	/* zeroed at the free already */
		KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, 200));
	q = vbuddy_pool_kmalloc(pool, 200, GFP_KERNEL);
	page = vbuddy_alloc_pages(pool, GFP_KERNEL, 0);
	memset(page_address(page), 0x5a, PAGE_SIZE);
	vbuddy_free_pages(pool, page, 0);
	again = vbuddy_alloc_pages(pool, GFP_KERNEL, 0);
	migrate_enable();
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	KUNIT_EXPECT_NULL(test, memchr_inv(q, 0, 200));
	KUNIT_EXPECT_PTR_EQ(test, again, page);
	KUNIT_EXPECT_NULL(test, memchr_inv(page_address(again), 0, PAGE_SIZE));
	vbuddy_kfree(q);
	vbuddy_free_pages(pool, again, 0);
	vbuddy_pool_drain(pool);	/* the object went onto a per-CPU list */
}

/*
 * kmalloc()'s promise since 5.4: a power-of-two size is aligned to itself,
 * here up to the largest block; GFP_VIRTOK ranges are page aligned, as
 * kvmalloc() promises.
 */
static void gfp_test_alignment(struct kunit *test)
{
	struct vbuddy_pool *pool = test->priv;
	struct page **held;
	unsigned long n;
	size_t size;
	void *p;

	for (size = 8; size <= PAGE_SIZE << VBUDDY_MAX_ORDER; size <<= 1) {
		if (get_order(size) > pool->max_order)	/* no such block in this pool */
			continue;
		p = vbuddy_pool_kmalloc(pool, size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL_MSG(test, p, "size %zu", size);
		KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)p, size),
				      "%zu bytes %lu bytes off", size,
				      (unsigned long)p & (size - 1));
		vbuddy_kfree(p);
	}
	KUNIT_EXPECT_GE(test, pool->max_order, 9U);

	held = kunit_kcalloc(test, GFP_POOL_PAGES, sizeof(*held), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, held);
	n = vbuddy_pool_checkerboard(pool, held);
	for (size = 2 * PAGE_SIZE; size <= 64 * PAGE_SIZE; size <<= 1) {
		p = vbuddy_pool_kmalloc(pool, size, GFP_KERNEL | GFP_VIRTOK);
		KUNIT_EXPECT_TRUE(test, vbuddy_is_virtual(p));
		KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(p));
		vbuddy_kfree(p);
	}
	while (n)
		vbuddy_free_pages(pool, held[--n], 0);
}

static unsigned long held_back_pages(struct vbuddy_pool *pool)
{
	/* Written under the pool lock, also by the recheck work: a snapshot. */
	return data_race(pool->held_back_pages);
}

/*
 * A block freed while someone still references a page of it (get_page(),
 * as for I/O) is held back, counted, and not handed out; a second free is
 * a double free; once the reference is dropped it comes back, without
 * anyone asking.
 */
static void gfp_test_held_back(struct kunit *test)
{
	struct vbuddy_pool *pool = test->priv;
	struct page *page;
	unsigned long i;

	page = vbuddy_alloc_pages(pool, GFP_KERNEL, 1);
	KUNIT_ASSERT_NOT_NULL(test, page);
	get_page(nth_page(page, 1));
	vbuddy_free_pages(pool, page, 1);
	KUNIT_EXPECT_EQ(test, held_back_pages(pool), 2UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_HELD_BACK), 1UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(pool), GFP_POOL_PAGES - 2UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);

	KUNIT_EXPECT_REFUSED(test, pool, "refused: double free",
			     vbuddy_free_pages(pool, page, 1));

	put_page(nth_page(page, 1));
	for (i = 0; i < 50 && held_back_pages(pool); i++)
		msleep(20);
	KUNIT_EXPECT_EQ(test, held_back_pages(pool), 0UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(pool), (unsigned long)GFP_POOL_PAGES);
}

/*
 * A page whose refcount fell to zero was freed to the kernel by someone
 * else: its block is reported and never handed out again, and the pool
 * never touches that page. (The test stands in for the culprit with
 * page_ref_freeze(), and frees the page to the kernel itself at the end.)
 */
static void gfp_test_lost_page(struct kunit *test)
{
	struct vbuddy_pool *pool = test->priv;
	struct page *page, *gone, **held;
	unsigned long n = 0, i;

	page = vbuddy_alloc_pages(pool, GFP_KERNEL, 1);
	KUNIT_ASSERT_NOT_NULL(test, page);
	gone = nth_page(page, 1);
	KUNIT_ASSERT_TRUE(test, page_ref_freeze(gone, 1));
	KUNIT_EXPECT_REFUSED(test, pool, "page freed to the kernel, lost",
			     vbuddy_free_pages(pool, page, 1));
	/* Written under the pool lock; the pool is idle here. */
	KUNIT_EXPECT_EQ(test, data_race(pool->lost_pages), 2UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);

	/* Every other page can be had, but not those two. */
	held = kunit_kcalloc(test, GFP_POOL_PAGES, sizeof(*held), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, held);
	while ((held[n] = vbuddy_alloc_pages(pool, GFP_KERNEL | __GFP_NOWARN, 0))) {
		KUNIT_EXPECT_TRUE(test, held[n] != page && held[n] != gone);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, GFP_POOL_PAGES - 2UL);
	for (i = 0; i < n; i++)
		vbuddy_free_pages(pool, held[i], 0);

	/* The culprit's part: the page really goes to the kernel. */
	page_ref_unfreeze(gone, 1);
	__free_page(gone);
	/* The pool can go: its teardown leaves that page alone. */
	vbuddy_pool_teardown(pool);
	test->priv = NULL;
}

static struct kunit_case gfp_test_cases[] = {
	KUNIT_CASE_PARAM(gfp_test_flags, gfp_flags_gen_params),
	KUNIT_CASE(gfp_test_nofail_waits),
	KUNIT_CASE(gfp_test_nofail_impossible),
	KUNIT_CASE(gfp_test_zones),
	KUNIT_CASE(gfp_test_init_on),
	KUNIT_CASE(gfp_test_alignment),
	KUNIT_CASE(gfp_test_held_back),
	KUNIT_CASE(gfp_test_lost_page),
	{}
};

static struct kunit_suite gfp_test_suite = {
	.name = "vbuddy_gfp",
	.init = gfp_test_init,
	.exit = gfp_test_exit,
	.test_cases = gfp_test_cases,
};

kunit_test_suite(gfp_test_suite);
