// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite vbuddy_pool: pools of real pages, through vbuddy.ko's API.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "../module/pool.h"
#include "vbuddy_kunit.h"

MODULE_IMPORT_NS(VBUDDY_INTERNAL);

#define TEST_POOL_PAGES	2048

static int pool_test_init(struct kunit *test)
{
	vbuddy_kunit_pool(test, "kunit", TEST_POOL_PAGES);
	return 0;
}

static void pool_test_exit(struct kunit *test)
{
	vbuddy_kunit_pool_exit(test, TEST_POOL_PAGES);
}

struct create_case {
	const char *desc;
	const char *name;
	unsigned long nr_pages;
	int err;
};

static const struct create_case create_cases[] = {
	{ "no name", NULL, 16, -EINVAL },
	{ "empty name", "", 16, -EINVAL },
	{ "name too long", "a-name-of-thirty-two-characters!", 16, -EINVAL },
	{ "zero pages", "zero", 0, -EINVAL },
	{ "more pages than a pool holds", "huge", 1UL << 31, -EINVAL },
	{ "name taken", "kunit", 16, -EEXIST },
	{ "name with a slash", "a/b", 16, -EINVAL },
	{ "name '.'", ".", 16, -EINVAL },
	{ "name '..'", "..", 16, -EINVAL },
	{ "name with a control character", "a\tb", 16, -EINVAL },
	{ "one page", "one", 1, 0 },
	{ "not a power of two", "odd", 1000, 0 },
};

KUNIT_ARRAY_PARAM_DESC(pool_create, create_cases, desc);

static void pool_test_create(struct kunit *test)
{
	const struct create_case *c = test->param_value;
	struct vbuddy_pool *pool = vbuddy_pool_create(c->name, c->nr_pages);

	if (c->err) {
		KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(pool), (long)c->err);
		return;
	}
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_nr_pages(pool), c->nr_pages);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(pool), c->nr_pages);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
	vbuddy_pool_destroy(pool);
}

static const unsigned int all_orders[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

static void order_desc(const unsigned int *order, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "order %u", *order);
}

KUNIT_ARRAY_PARAM(pool_orders, all_orders, order_desc);

/*
 * Free blocks of @order or more. Pieces of the largest order are what the
 * kernel nearly always gives a pool, but cannot be promised: a case that
 * needs one skips, saying so, when the kernel gave none.
 */
static unsigned long fresh_blocks(struct vbuddy_pool *pool, unsigned int order)
{
	unsigned long nr_free[VBUDDY_NR_ORDERS], n = 0;

	vbuddy_pool_nr_free(pool, nr_free);
	for (; order < VBUDDY_NR_ORDERS; order++)
		n += nr_free[order];
	return n;
}

/*
 * A pool's frame numbers are looked up by the buddy core's region table:
 * every frame is found at its index, and the pfns on either side of every
 * piece are found where a search of all the spans finds them.
 */
static void pool_test_index(struct kunit *test)
{
	struct vbuddy_pool *pool = test->priv;
	const struct buddy *b = &pool->buddy;
	unsigned long pfn, around[2];
	unsigned int i, k, s;
	u32 idx;
	int ret, want;

	KUNIT_EXPECT_NOT_NULL(test, b->regions);	/* a pool of a few pieces */
	for (idx = 0; idx < pool->nr_pages; idx++) {
		ret = buddy_index(b, vbuddy_pool_pfn(pool, idx), &i);
		KUNIT_ASSERT_EQ_MSG(test, ret, 0, "frame %u", idx);
		KUNIT_ASSERT_EQ(test, i, idx);
	}
	for (i = 0; i < pool->nr_chunks; i++) {
		around[0] = page_to_pfn(pool->chunks[i].page) - 1;
		around[1] = page_to_pfn(pool->chunks[i].page) + (1UL << pool->chunks[i].order);
		for (k = 0; k < ARRAY_SIZE(around); k++) {
			pfn = around[k];
			want = -ENOENT;
			for (s = 0; s < b->nr_spans; s++) {
				const struct buddy_span *sp = &b->spans[s];

				if (pfn >= sp->pfn && pfn - sp->pfn < sp->nr)
					want = sp->first + (pfn - sp->pfn);
			}
			ret = buddy_index(b, pfn, &idx);
			KUNIT_EXPECT_EQ_MSG(test, ret ? ret : (int)idx, want, "pfn %#lx", pfn);
		}
	}
}

static void pool_test_every_order(struct kunit *test)
{
	const unsigned int order = *(const unsigned int *)test->param_value;
	struct vbuddy_pool *pool = test->priv;
	struct vbuddy_stats st;
	struct page *page;
	unsigned long i;

	if (!fresh_blocks(pool, order))
		kunit_skip(test, "the kernel gave the pool no piece of order %u or more", order);
	page = vbuddy_alloc_pages(pool, GFP_KERNEL, order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(page_to_pfn(page), 1UL << order));
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(pool),
			TEST_POOL_PAGES - (1UL << order));
	for (i = 0; i < 1UL << order; i++) {
		struct page *p = nth_page(page, i);

		/* every page stands alone, as after split_page() */
		KUNIT_EXPECT_EQ(test, page_ref_count(p), 1);
		memset(page_address(p), (u8)i, PAGE_SIZE);
	}
	for (i = 0; i < 1UL << order; i++)
		KUNIT_EXPECT_NULL(test, memchr_inv(page_address(nth_page(page, i)),
						   (u8)i, PAGE_SIZE));
	vbuddy_free_pages(pool, page, order);
	vbuddy_pool_get_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.alloc[order], 1UL);
	KUNIT_EXPECT_EQ(test, st.events[VBUDDY_EV_FREE], 1UL);
}

static void pool_test_gfp_zero(struct kunit *test)
{
	struct vbuddy_pool *pool = test->priv;
	struct page *page;
	unsigned long i;

	page = vbuddy_alloc_pages(pool, GFP_KERNEL, 2);
	KUNIT_ASSERT_NOT_NULL(test, page);
	for (i = 0; i < 4; i++)
		memset(page_address(nth_page(page, i)), 0xa5, PAGE_SIZE);
	vbuddy_free_pages(pool, page, 2);

	page = vbuddy_alloc_pages(pool, GFP_KERNEL | __GFP_ZERO, 2);
	KUNIT_ASSERT_NOT_NULL(test, page);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_NULL(test, memchr_inv(page_address(nth_page(page, i)),
						   0, PAGE_SIZE));
	vbuddy_free_pages(pool, page, 2);
}

/* Every page out, then back in a checkerboard order: all merges again. */
static void pool_test_exhaust_recover(struct kunit *test)
{
	unsigned long before[VBUDDY_NR_ORDERS], after[VBUDDY_NR_ORDERS];
	struct vbuddy_pool *pool = test->priv;
	struct vbuddy_stats st;
	struct page **pages;
	unsigned long n = 0, i;

	pages = kunit_kcalloc(test, TEST_POOL_PAGES + 1, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	vbuddy_pool_nr_free(pool, before);
	while (n <= TEST_POOL_PAGES &&
	       (pages[n] = vbuddy_alloc_pages(pool, GFP_KERNEL | __GFP_NOWARN, 0)))
		n++;
	KUNIT_EXPECT_EQ(test, n, (unsigned long)TEST_POOL_PAGES);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(pool), 0UL);
	KUNIT_EXPECT_NULL(test, vbuddy_alloc_pages(pool, GFP_KERNEL | __GFP_NOWARN, 0));
	vbuddy_pool_get_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.alloc_fail[0], 2UL);

	for (i = 0; i < n; i += 2)
		vbuddy_free_pages(pool, pages[i], 0);
	KUNIT_EXPECT_NULL(test, vbuddy_alloc_pages(pool, GFP_KERNEL | __GFP_NOWARN, 1));
	for (i = 1; i < n; i += 2)
		vbuddy_free_pages(pool, pages[i], 0);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(pool), (unsigned long)TEST_POOL_PAGES);
	vbuddy_pool_drain(pool);			/* the per-CPU caches too */
	vbuddy_pool_nr_free(pool, after);
	KUNIT_EXPECT_EQ(test, memcmp(before, after, sizeof(before)), 0);
}

enum bad_kind {
	BAD_NOT_HEAD,
	BAD_WRONG_ORDER,
	BAD_DOUBLE_FREE,
	BAD_ORDER_ALLOC,
	BAD_ORDER_FREE,
	BAD_FOREIGN,
	BAD_OTHER_POOL,
	BAD_DESTROY_BUSY,
	BAD_DESTROY_DEFAULT,
};

/* @why: what the report must say */
struct bad_case {
	const char *desc;
	enum bad_kind kind;
	const char *why;
};

static const struct bad_case bad_cases[] = {
	{ "free of a page inside a block", BAD_NOT_HEAD, "not the first page of a block" },
	{ "free with the wrong order", BAD_WRONG_ORDER, "wrong order for this block" },
	{ "double free", BAD_DOUBLE_FREE, "refused: double free" },
	{ "alloc above the maximum order", BAD_ORDER_ALLOC, "allocation of order 11 refused" },
	{ "free above the maximum order", BAD_ORDER_FREE, "order above the maximum" },
	{ "free of a page from alloc_pages", BAD_FOREIGN, "page not in this pool" },
	{ "free to the wrong pool", BAD_OTHER_POOL, "page not in this pool" },
	{ "destroy with allocations", BAD_DESTROY_BUSY, "destroy refused: 4 of" },
	{ "destroy the default pool", BAD_DESTROY_DEFAULT,
	  "the default pool belongs to the module" },
};

KUNIT_ARRAY_PARAM_DESC(pool_bad, bad_cases, desc);

/* Each misuse: exactly one report, a refusal, and a pool left as it was. */
static void pool_test_bad_input(struct kunit *test)
{
	const struct bad_case *c = test->param_value;
	unsigned long before[VBUDDY_NR_ORDERS], after[VBUDDY_NR_ORDERS];
	struct vbuddy_pool *pool = test->priv, *victim = pool, *other = NULL;
	struct page *page, *foreign = NULL;
	unsigned long r;

	page = vbuddy_alloc_pages(pool, GFP_KERNEL, 2);
	KUNIT_ASSERT_NOT_NULL(test, page);
	if (c->kind == BAD_DOUBLE_FREE)
		vbuddy_free_pages(pool, page, 2);
	if (c->kind == BAD_DESTROY_DEFAULT)
		victim = vbuddy_default_pool();
	if (c->kind == BAD_OTHER_POOL) {
		other = vbuddy_pool_create("kunit-other", 16);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, other);
		victim = other;
	}
	vbuddy_pool_drain(victim);
	vbuddy_pool_nr_free(victim, before);
	r = vbuddy_pool_event(victim, VBUDDY_EV_BAD_INPUT);

	vbuddy_pool_expect_reports(victim, true);
	switch (c->kind) {
	case BAD_NOT_HEAD:
		vbuddy_free_pages(pool, nth_page(page, 1), 2);
		break;
	case BAD_WRONG_ORDER:
		vbuddy_free_pages(pool, page, 1);
		break;
	case BAD_DOUBLE_FREE:
		vbuddy_free_pages(pool, page, 2);
		break;
	case BAD_ORDER_ALLOC:
		KUNIT_EXPECT_NULL(test, vbuddy_alloc_pages(pool, GFP_KERNEL,
							   VBUDDY_MAX_ORDER + 1));
		break;
	case BAD_ORDER_FREE:
		vbuddy_free_pages(pool, page, VBUDDY_MAX_ORDER + 1);
		break;
	case BAD_FOREIGN:
		foreign = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, foreign);
		vbuddy_free_pages(pool, foreign, 0);
		__free_page(foreign);
		break;
	case BAD_OTHER_POOL:
		vbuddy_free_pages(other, page, 2);
		break;
	case BAD_DESTROY_BUSY:
	case BAD_DESTROY_DEFAULT:
		vbuddy_pool_destroy(victim);
		break;
	}
	vbuddy_pool_expect_reports(victim, false);

	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(victim, VBUDDY_EV_BAD_INPUT), r + 1);
	KUNIT_EXPECT_REPORT(test, victim, c->why);
	vbuddy_pool_nr_free(victim, after);
	KUNIT_EXPECT_EQ(test, memcmp(before, after, sizeof(before)), 0);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(victim), 0);
	if (c->kind != BAD_DOUBLE_FREE)
		vbuddy_free_pages(pool, page, 2);
	vbuddy_pool_destroy(other);
}

struct atomic_ctx {
	struct hrtimer timer;
	struct completion done;
	struct vbuddy_pool *pool;
	bool in_hardirq;
	unsigned int served;
};

static enum hrtimer_restart atomic_timer_fn(struct hrtimer *timer)
{
	struct atomic_ctx *ctx = container_of(timer, struct atomic_ctx, timer);
	struct page *pages[VBUDDY_NR_ORDERS];
	unsigned int order;

	ctx->in_hardirq = in_hardirq();
	/*
	 * 2047 of the pool's 2048 pages: largest first, they fit whatever the
	 * per-CPU lists take in batches, as a failing request drains them.
	 */
	for (order = VBUDDY_MAX_ORDER + 1; order-- > 0;) {
		pages[order] = vbuddy_alloc_pages(ctx->pool, GFP_ATOMIC, order);
		ctx->served += !!pages[order];
	}
	for (order = 0; order <= VBUDDY_MAX_ORDER; order++)
		vbuddy_free_pages(ctx->pool, pages[order], order);
	complete(&ctx->done);
	return HRTIMER_NORESTART;
}

/* From a hard interrupt, and with interrupts off: GFP_ATOMIC is served. */
static void pool_test_atomic(struct kunit *test)
{
	struct atomic_ctx ctx = { .pool = test->priv };
	unsigned long flags;
	struct page *page;

	if (!fresh_blocks(ctx.pool, VBUDDY_MAX_ORDER))
		kunit_skip(test, "the kernel gave the pool no piece of order %u",
			   VBUDDY_MAX_ORDER);
	KUNIT_ASSERT_TRUE(test, vbuddy_kunit_in_hardirq(&ctx.timer, &ctx.done, atomic_timer_fn));
	KUNIT_EXPECT_TRUE(test, ctx.in_hardirq);
	KUNIT_EXPECT_EQ(test, ctx.served, (unsigned int)VBUDDY_NR_ORDERS);

	local_irq_save(flags);
	page = vbuddy_alloc_pages(ctx.pool, GFP_ATOMIC, 3);
	vbuddy_free_pages(ctx.pool, page, 3);
	local_irq_restore(flags);
	KUNIT_EXPECT_NOT_NULL(test, page);
}

#define STRESS_THREADS	4
#define STRESS_OPS	20000
#define STRESS_LIVE	64

struct stress_ctx {
	struct vbuddy_pool *pool;
	struct completion done;
	unsigned long bad;
};

/* Random allocs and frees; each block carries its own pfn as a pattern. */
static int stress_fn(void *arg)
{
	struct stress_ctx *ctx = arg;
	struct page *live[STRESS_LIVE] = {};
	unsigned int orders[STRESS_LIVE] = {};
	unsigned int i, slot;

	for (i = 0; i < STRESS_OPS; i++) {
		slot = get_random_u32_below(STRESS_LIVE);
		if (live[slot]) {
			unsigned long *p = page_address(live[slot]);

			if (*p != page_to_pfn(live[slot]))
				ctx->bad++;
			vbuddy_free_pages(ctx->pool, live[slot], orders[slot]);
			live[slot] = NULL;
		} else {
			orders[slot] = get_random_u32_below(5);
			live[slot] = vbuddy_alloc_pages(ctx->pool, GFP_KERNEL | __GFP_NOWARN,
							orders[slot]);
			if (live[slot])
				*(unsigned long *)page_address(live[slot]) =
					page_to_pfn(live[slot]);
		}
		if (!(i % 256))
			cond_resched();
	}
	for (slot = 0; slot < STRESS_LIVE; slot++)
		vbuddy_free_pages(ctx->pool, live[slot], orders[slot]);
	complete(&ctx->done);
	return 0;
}

static void pool_test_threads(struct kunit *test)
{
	struct stress_ctx ctx[STRESS_THREADS];
	struct task_struct *t;
	int i;

	for (i = 0; i < STRESS_THREADS; i++) {
		ctx[i] = (struct stress_ctx){ .pool = test->priv };
		init_completion(&ctx[i].done);
		t = kthread_run(stress_fn, &ctx[i], "vbuddy-stress/%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	}
	for (i = 0; i < STRESS_THREADS; i++) {
		wait_for_completion(&ctx[i].done);
		KUNIT_EXPECT_EQ(test, ctx[i].bad, 0UL);
	}
}

/*
 * A pool larger than the machine fails cleanly, without waking the OOM
 * killer (its report would fail the stage), and so does one of exactly the
 * machine's size, which gets past the size check and fails while taking
 * pages; a normal pool can be created right after.
 */
static void pool_test_larger_than_ram(struct kunit *test)
{
	struct vbuddy_pool *pool;

	pool = vbuddy_pool_create("kunit-huge", totalram_pages() + 1);
	KUNIT_EXPECT_EQ(test, PTR_ERR(pool), -ENOMEM);
	pool = vbuddy_pool_create("kunit-huge", totalram_pages());
	KUNIT_EXPECT_EQ(test, PTR_ERR(pool), -ENOMEM);
	pool = vbuddy_pool_create("kunit-huge", TEST_POOL_PAGES);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	vbuddy_pool_destroy(pool);
}

struct lookup_ctx {
	struct vbuddy_pool *pool;
	unsigned long ops;
	bool stop;
	struct completion done;
};

/* kmalloc, ksize, is_virtual, kfree into one pool until told to stop. */
static int lookup_fn(void *arg)
{
	struct lookup_ctx *ctx = arg;
	void *p;

	while (!READ_ONCE(ctx->stop)) {
		p = vbuddy_pool_kmalloc(ctx->pool, 64 << (ctx->ops % 8), GFP_KERNEL);
		if (p && vbuddy_ksize(p) && !vbuddy_is_virtual(p))
			ctx->ops++;
		vbuddy_kfree(p);
		cond_resched();
	}
	complete(&ctx->done);
	return 0;
}

/*
 * Frees (and ksize, is_virtual) into one pool look their pool up in the
 * pfn tree while another thread creates and destroys pools, which writes
 * it: the lookups must never read a freed tree node or pool (KASAN, in the
 * kasan flavour) and always find their own pool.
 */
static void pool_test_lookup_vs_destroy(struct kunit *test)
{
	struct lookup_ctx ctx[2];
	struct vbuddy_pool *other;
	unsigned long end = jiffies + HZ;
	struct task_struct *t;
	unsigned int i, rounds;

	for (i = 0; i < ARRAY_SIZE(ctx); i++) {
		ctx[i] = (struct lookup_ctx){ .pool = test->priv };
		init_completion(&ctx[i].done);
		t = kthread_run(lookup_fn, &ctx[i], "vbuddy-lookup/%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	}
	/* 200 rounds, or a second's worth on a slow (KASAN) kernel. */
	for (rounds = 0; rounds < 200 && (rounds < 20 || time_before(jiffies, end)); rounds++) {
		/* Several pieces each: every create and destroy rewrites the tree. */
		other = vbuddy_pool_create("kunit-churn", 64 + rounds % 64);
		KUNIT_EXPECT_FALSE(test, IS_ERR(other));
		vbuddy_pool_destroy(other);
	}
	for (i = 0; i < ARRAY_SIZE(ctx); i++) {
		WRITE_ONCE(ctx[i].stop, true);
		wait_for_completion(&ctx[i].done);
		KUNIT_EXPECT_GT(test, ctx[i].ops, 0UL);
	}
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(test->priv, VBUDDY_EV_BAD_INPUT), 0UL);
	vbuddy_pool_drain(test->priv);	/* the objects freed onto per-CPU lists */
}

static struct kunit_case pool_test_cases[] = {
	KUNIT_CASE_PARAM(pool_test_create, pool_create_gen_params),
	KUNIT_CASE_PARAM(pool_test_every_order, pool_orders_gen_params),
	KUNIT_CASE(pool_test_index),
	KUNIT_CASE(pool_test_gfp_zero),
	KUNIT_CASE(pool_test_exhaust_recover),
	KUNIT_CASE_PARAM(pool_test_bad_input, pool_bad_gen_params),
	KUNIT_CASE(pool_test_atomic),
	KUNIT_CASE(pool_test_threads),
	KUNIT_CASE(pool_test_larger_than_ram),
	KUNIT_CASE(pool_test_lookup_vs_destroy),
	{}
};

static struct kunit_suite pool_test_suite = {
	.name = "vbuddy_pool",
	.init = pool_test_init,
	.exit = pool_test_exit,
	.test_cases = pool_test_cases,
};

kunit_test_suite(pool_test_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for vbuddy");
