// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite vbuddy_pcp: the per-CPU caches in front of the pool lock.
 *
 * The tests that count what one CPU's lists hold run with migration
 * disabled (pinned to their CPU), so that every call uses the same CPU's
 * lists. The pool is sized for the CPUs this kernel may have, so that every
 * cached order has a list of its full size (pcp_high) on each: no case
 * checks less on a host with many CPUs.
 */

#include <kunit/test.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "../module/classes.h"
#include "../module/pcp.h"
#include "../module/pool.h"
#include "../module/window.h"
#include "vbuddy_kunit.h"

MODULE_IMPORT_NS(VBUDDY_INTERNAL);

/*
 * A pool's caches hold at most an eighth of it, shared by every CPU and
 * cached order: 64 pages per list (pcp_high's default) need 8 * 64 pages
 * per cached order and possible CPU; for order 0's mark to rise to
 * VBUDDY_PCP_HIGH_MAX, 8 * 256 more: 4096 per possible CPU, for up to 4.
 */
#define PCP_POOL_PAGES	max(8UL * 64 * VBUDDY_PCP_ORDERS * num_possible_cpus(), \
			    4096UL * min(num_possible_cpus(), 4U))

static int pcp_test_init(struct kunit *test)
{
	struct vbuddy_pool *pool = vbuddy_kunit_pool(test, "kunit-pcp", PCP_POOL_PAGES);
	unsigned int order;

	if (!vbuddy_pcp_serves(pool, 0))
		kunit_skip(test, "the pcp_high module parameter is 0: the caches are off");
	for (order = 0; order < VBUDDY_PCP_ORDERS; order++)
		KUNIT_ASSERT_TRUE_MSG(test, vbuddy_pcp_serves(pool, order),
				      "order %u has no per-CPU list (pcp_high below %u?)",
				      order, 1U << order);
	return 0;
}

static void pcp_test_exit(struct kunit *test)
{
	vbuddy_kunit_pool_exit(test, PCP_POOL_PAGES);
}

/* Blocks on this CPU's list of @order; call with migration disabled. */
static unsigned int here(struct vbuddy_pool *pool, unsigned int order)
{
	/* Written under the list's lock, also by a remote drain: a snapshot. */
	return data_race(raw_cpu_ptr(pool->pcp->cpu)->count[order]);
}

/* This CPU's mark for its list of order 0; call with migration disabled. */
static unsigned int mark_here(struct vbuddy_pool *pool)
{
	/* Written under the list's lock, also by a remote drain: a snapshot. */
	return data_race(raw_cpu_ptr(pool->pcp->cpu)->high[0]);
}

/* Objects on this CPU's list of @class; call with migration disabled. */
static unsigned int objects_here(struct vbuddy_pool *pool, unsigned int class)
{
	/* Written under the lists' lock, also by a remote drain: a snapshot. */
	return data_race(raw_cpu_ptr(pool->classes->cpu)->n[class]);
}

/* A freed block stays on the CPU's list, free but not on the pool's lists. */
static void pcp_test_free_is_cached(struct kunit *test)
{
	unsigned long fresh[VBUDDY_NR_ORDERS], now[VBUDDY_NR_ORDERS];
	struct vbuddy_pool *pool = test->priv;
	unsigned int order;
	struct page *page;

	vbuddy_pool_nr_free(pool, fresh);
	migrate_disable();
	for (order = 0; order < VBUDDY_PCP_ORDERS; order++) {
		page = vbuddy_alloc_pages(pool, GFP_KERNEL, order);
		KUNIT_ASSERT_NOT_NULL(test, page);
		/* An empty list is refilled with a batch; one block went out. */
		KUNIT_EXPECT_EQ(test, here(pool, order), pool->pcp->batch[order] - 1U);
		vbuddy_free_pages(pool, page, order);
		KUNIT_EXPECT_EQ(test, here(pool, order), (unsigned int)pool->pcp->batch[order]);
		/* The most recently freed block is the next one handed out. */
		KUNIT_EXPECT_PTR_EQ(test, vbuddy_alloc_pages(pool, GFP_KERNEL, order), page);
		vbuddy_free_pages(pool, page, order);
	}
	migrate_enable();

	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(pool), PCP_POOL_PAGES);
	KUNIT_EXPECT_GT(test, vbuddy_pool_cached_pages(pool), 0UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
	vbuddy_pool_nr_free(pool, now);
	KUNIT_EXPECT_NE(test, memcmp(fresh, now, sizeof(now)), 0);

	vbuddy_pool_drain(pool);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_cached_pages(pool), 0UL);
	vbuddy_pool_nr_free(pool, now);
	KUNIT_EXPECT_EQ(test, memcmp(fresh, now, sizeof(now)), 0);
}

/*
 * kmalloc of whole pages, up to the cached orders, is served by the same
 * lists; the block is marked as a kmalloc object while out.
 */
static void pcp_test_large_objects(struct kunit *test)
{
	struct vbuddy_pool *pool = test->priv;
	unsigned int order;
	struct page *page;
	u32 idx;
	void *p;

	migrate_disable();
	for (order = 0; order < VBUDDY_PCP_ORDERS; order++) {
		p = vbuddy_pool_kmalloc(pool, PAGE_SIZE << order, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		page = virt_to_page(p);
		KUNIT_EXPECT_EQ(test, here(pool, order), pool->pcp->batch[order] - 1U);
		KUNIT_ASSERT_EQ(test, buddy_index(&pool->buddy, page_to_pfn(page), &idx), 0);
		KUNIT_EXPECT_EQ(test, pool->pcp->owner[idx],
				(u8)(VBUDDY_OWN_HELD | VBUDDY_OWN_LARGE | order));
		KUNIT_EXPECT_EQ(test, vbuddy_ksize(p), PAGE_SIZE << order);
		vbuddy_kfree(p);
		KUNIT_EXPECT_EQ(test, here(pool, order), (unsigned int)pool->pcp->batch[order]);
		/* The same block again, now for vbuddy_alloc_pages(). */
		KUNIT_EXPECT_PTR_EQ(test, vbuddy_alloc_pages(pool, GFP_KERNEL, order), page);
		vbuddy_free_pages(pool, page, order);
	}
	migrate_enable();
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
}

/* A list never holds more than its high mark; beyond it, it keeps low. */
static void pcp_test_marks(struct kunit *test)
{
	struct vbuddy_pool *pool = test->priv;
	unsigned long drains;
	unsigned int order, i, n;
	struct page **held;

	migrate_disable();
	for (order = 0; order < VBUDDY_PCP_ORDERS; order++) {
		n = pool->pcp->high[order] + pool->pcp->batch[order] + 1;
		held = kcalloc(n, sizeof(*held), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, held);
		for (i = 0; i < n; i++) {
			held[i] = vbuddy_alloc_pages(pool, GFP_KERNEL, order);
			KUNIT_ASSERT_NOT_NULL(test, held[i]);
		}
		vbuddy_pool_drain(pool);	/* order 0's mark, raised by the refills, back */
		KUNIT_EXPECT_EQ(test, mark_here(pool), (unsigned int)pool->pcp->high[0]);
		drains = vbuddy_pool_event(pool, VBUDDY_EV_PCP_DRAIN);
		for (i = 0; i < n; i++) {
			vbuddy_free_pages(pool, held[i], order);
			KUNIT_EXPECT_LE(test, here(pool, order),
					(unsigned int)pool->pcp->high[order]);
		}
		KUNIT_EXPECT_GE(test, here(pool, order), (unsigned int)pool->pcp->low[order]);
		KUNIT_EXPECT_GT(test, vbuddy_pool_event(pool, VBUDDY_EV_PCP_DRAIN), drains);
		kfree(held);
	}
	migrate_enable();
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
}

/*
 * Order 0's list raises its mark each time it runs dry, by the batch a
 * refill brings or by what a bulk allocation lacked, up to high_max, so
 * that as many pages as were taken fit when they come back; a drain puts
 * the mark back; a pool with less than a quarter free raises no mark.
 */
static void pcp_test_mark_rises(struct kunit *test)
{
	struct vbuddy_pool *pool = test->priv;
	unsigned int base = pool->pcp->high[0], max = pool->pcp->high_max, i, n;
	unsigned int batch = pool->pcp->batch[0];
	unsigned long drains, nr = PCP_POOL_PAGES, held;
	struct page **pages;

	if (max != VBUDDY_PCP_HIGH_MAX)	/* PCP_POOL_PAGES leaves room, up to 4 CPUs */
		kunit_skip(test, "order 0's mark may rise to %u only (pcp_high, CPUs)", max);
	pages = kunit_kcalloc(test, nr, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	migrate_disable();
	vbuddy_pool_drain(pool);
	KUNIT_EXPECT_EQ(test, mark_here(pool), base);
	/* max pages one at a time: a refill of a batch each time the list is dry */
	for (i = 0; i < max; i++) {
		pages[i] = vbuddy_alloc_pages(pool, GFP_KERNEL, 0);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
		KUNIT_EXPECT_EQ(test, mark_here(pool), min(base + (i / batch + 1) * batch, max));
	}
	drains = vbuddy_pool_event(pool, VBUDDY_EV_PCP_DRAIN);
	for (i = 0; i < max; i++)
		vbuddy_free_pages(pool, pages[i], 0);
	KUNIT_EXPECT_EQ(test, here(pool, 0), max);	/* all of them, none given back */
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_PCP_DRAIN), drains);
	/* one past the mark: as many given back as a list at the pool's mark gives */
	for (i = 0; i <= max; i++) {
		pages[i] = vbuddy_alloc_pages(pool, GFP_KERNEL, 0);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
	}
	for (i = 0; i <= max; i++)
		vbuddy_free_pages(pool, pages[i], 0);
	KUNIT_EXPECT_GT(test, vbuddy_pool_event(pool, VBUDDY_EV_PCP_DRAIN), drains);
	KUNIT_EXPECT_LE(test, here(pool, 0), max);
	KUNIT_EXPECT_GE(test, here(pool, 0), max - base + pool->pcp->low[0]);
	vbuddy_pool_drain(pool);
	KUNIT_EXPECT_EQ(test, mark_here(pool), base);
	KUNIT_EXPECT_EQ(test, here(pool, 0), 0U);

	/* a bulk allocation raises the mark by what the list lacked */
	memset(pages, 0, nr * sizeof(*pages));
	n = vbuddy_alloc_pages_bulk(pool, GFP_KERNEL, 100, pages);
	KUNIT_EXPECT_EQ(test, n, 100U);
	KUNIT_EXPECT_EQ(test, mark_here(pool), min(base + 100, max));
	for (i = 0; i < n; i++)
		vbuddy_free_pages(pool, pages[i], 0);
	KUNIT_EXPECT_EQ(test, here(pool, 0), min(100U, max));
	vbuddy_pool_drain(pool);
	memset(pages, 0, nr * sizeof(*pages));

	/* under a quarter of the pool free, nothing rises */
	held = vbuddy_alloc_pages_bulk(pool, GFP_KERNEL, nr - nr / 4 + 1, pages);
	KUNIT_EXPECT_EQ(test, held, nr - nr / 4 + 1);
	vbuddy_pool_drain(pool);
	for (i = 0; i < 4 * batch; i++) {
		pages[held + i] = vbuddy_alloc_pages(pool, GFP_KERNEL, 0);
		KUNIT_ASSERT_NOT_NULL(test, pages[held + i]);
	}
	KUNIT_EXPECT_EQ(test, mark_here(pool), base);
	for (i = 0; i < held + 4 * batch; i++)
		vbuddy_free_pages(pool, pages[i], 0);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
}

/*
 * A refill of a CPU's object list passes by a page another CPU's refills
 * claimed, while another page will do: CPUs do not share a page's held
 * bits. The claim is faked on the page, so that one CPU shows it.
 */
static void pcp_test_objects_own_page(struct kunit *test)
{
	struct vbuddy_pool *pool = test->priv;
	struct vbuddy_class_page *cp;
	unsigned long flags;
	void *a, *b;
	u32 idx;

	vbuddy_pool_drain(pool);
	migrate_disable();
	a = vbuddy_pool_kmalloc(pool, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_EQ(test, buddy_index(&pool->buddy, page_to_pfn(virt_to_page(a)), &idx), 0);
	cp = &pool->classes->pages[idx];
	spin_lock_irqsave(&pool->lock, flags);
	KUNIT_EXPECT_EQ(test, cp->cpu, smp_processor_id());	/* claimed by its refill */
	cp->cpu = smp_processor_id() + 1;			/* as if another CPU's */
	spin_unlock_irqrestore(&pool->lock, flags);
	vbuddy_pool_drain(pool);	/* this CPU's list empty: the next one refills */
	b = vbuddy_pool_kmalloc(pool, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_PTR_NE(test, virt_to_page(b), virt_to_page(a));
	spin_lock_irqsave(&pool->lock, flags);
	KUNIT_EXPECT_EQ(test, cp->cpu, smp_processor_id() + 1);	/* left alone */
	spin_unlock_irqrestore(&pool->lock, flags);
	migrate_enable();
	vbuddy_kfree(a);
	vbuddy_kfree(b);
	vbuddy_pool_drain(pool);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(pool), PCP_POOL_PAGES);
}

enum pcp_bad { PCP_DOUBLE, PCP_WRONG_ORDER, PCP_NOT_HEAD, PCP_AFTER_DRAIN };

/* @why: what the report must say */
struct pcp_bad_case {
	const char *name;
	enum pcp_bad kind;
	const char *why;
};

static const struct pcp_bad_case pcp_bad_cases[] = {
	{ "double free, the block on a list", PCP_DOUBLE, "refused: double free" },
	{ "wrong order", PCP_WRONG_ORDER, "wrong order for this block" },
	{ "a page inside the block", PCP_NOT_HEAD, "not the first page of a block" },
	{ "double free, the block drained back", PCP_AFTER_DRAIN, "refused: double free" },
};

KUNIT_ARRAY_PARAM_DESC(pcp_bad, pcp_bad_cases, name);

/*
 * Bad frees of blocks the caches serve are refused and reported, without
 * the pool lock, and nothing changes: neither the lists nor the pool.
 */
static void pcp_test_bad_free(struct kunit *test)
{
	const struct pcp_bad_case *c = test->param_value;
	struct vbuddy_pool *pool = test->priv;
	unsigned int order = VBUDDY_PCP_ORDERS - 1, count;
	unsigned long r, free_pages;
	struct page *page;

	page = vbuddy_alloc_pages(pool, GFP_KERNEL, order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	if (c->kind == PCP_DOUBLE || c->kind == PCP_AFTER_DRAIN)
		vbuddy_free_pages(pool, page, order);
	if (c->kind == PCP_AFTER_DRAIN)
		vbuddy_pool_drain(pool);

	migrate_disable();
	count = here(pool, order);
	free_pages = vbuddy_pool_free_pages(pool);
	r = vbuddy_pool_event(pool, VBUDDY_EV_BAD_INPUT);
	vbuddy_pool_expect_reports(pool, true);
	switch (c->kind) {
	case PCP_DOUBLE:
	case PCP_AFTER_DRAIN:
		vbuddy_free_pages(pool, page, order);
		break;
	case PCP_WRONG_ORDER:
		vbuddy_free_pages(pool, page, order - 1);
		break;
	case PCP_NOT_HEAD:
		vbuddy_free_pages(pool, nth_page(page, 1), order);
		break;
	}
	vbuddy_pool_expect_reports(pool, false);
	KUNIT_EXPECT_EQ(test, here(pool, order), count);
	migrate_enable();

	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_BAD_INPUT), r + 1);
	KUNIT_EXPECT_REPORT(test, pool, c->why);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(pool), free_pages);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
	if (c->kind == PCP_WRONG_ORDER || c->kind == PCP_NOT_HEAD)
		vbuddy_free_pages(pool, page, order);
}

/* A contiguous request the pool's lists cannot serve drains every cache. */
static void pcp_test_reclaim_contig(struct kunit *test)
{
	struct vbuddy_pool *pool = test->priv;
	unsigned long fresh[VBUDDY_NR_ORDERS], n = 0, i, reclaims;
	struct page **held;
	unsigned int order;

	held = kunit_kcalloc(test, PCP_POOL_PAGES, sizeof(*held), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, held);
	vbuddy_pool_nr_free(pool, fresh);
	while (n < PCP_POOL_PAGES &&
	       (held[n] = vbuddy_alloc_pages(pool, GFP_KERNEL | __GFP_NOWARN, 0)))
		n++;
	KUNIT_EXPECT_EQ(test, n, (unsigned long)PCP_POOL_PAGES);
	for (i = 0; i < n; i++)
		vbuddy_free_pages(pool, held[i], 0);
	KUNIT_EXPECT_GT(test, vbuddy_pool_cached_pages(pool), 0UL);

	/*
	 * Every block the pool was made of (4 of order 10 when the kernel gave
	 * whole pieces), largest first: the last needs pages the lists hold.
	 */
	reclaims = vbuddy_pool_event(pool, VBUDDY_EV_RECLAIM);
	n = 0;
	for (order = VBUDDY_NR_ORDERS; order-- > 0;)
		for (i = 0; i < fresh[order]; i++) {
			held[n] = vbuddy_alloc_pages(pool, GFP_KERNEL, order);
			KUNIT_EXPECT_NOT_NULL_MSG(test, held[n], "order %u", order);
			n++;
		}
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_RECLAIM), reclaims + 1);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(pool), 0UL);
	n = 0;
	for (order = VBUDDY_NR_ORDERS; order-- > 0;)
		for (i = 0; i < fresh[order]; i++)
			vbuddy_free_pages(pool, held[n++], order);
}

/* A GFP_VIRTOK request counts the cached pages as free, and gets them. */
static void pcp_test_reclaim_virtok(struct kunit *test)
{
	struct vbuddy_pool *pool = test->priv;
	unsigned long n, extra = 0, i, buddy_free, reclaims;
	struct page **held;
	size_t size;
	void *p;

	held = kunit_kcalloc(test, PCP_POOL_PAGES, sizeof(*held), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, held);
	n = vbuddy_pool_checkerboard(pool, held);
	KUNIT_ASSERT_GT(test, vbuddy_pool_free_pages(pool), (unsigned long)VBUDDY_SLOT_PAGES);

	/* Keep all but a slot's worth, then free a few of them into a list. */
	while (vbuddy_pool_free_pages(pool) > VBUDDY_SLOT_PAGES - 64)
		held[n + extra++] = vbuddy_alloc_pages(pool, GFP_KERNEL, 0);
	for (i = 0; i < 32; i++)
		vbuddy_free_pages(pool, held[n + --extra], 0);
	buddy_free = vbuddy_pool_free_pages(pool) - vbuddy_pool_cached_pages(pool);
	KUNIT_ASSERT_GT(test, vbuddy_pool_cached_pages(pool), 0UL);

	reclaims = vbuddy_pool_event(pool, VBUDDY_EV_RECLAIM);
	size = (buddy_free + 1) * PAGE_SIZE;
	p = vbuddy_pool_kmalloc(pool, size, GFP_KERNEL | GFP_VIRTOK);
	KUNIT_EXPECT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, vbuddy_is_virtual(p));
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_RECLAIM), reclaims + 1);
	vbuddy_kfree(p);

	vbuddy_pool_drain(pool);
	for (i = 0; i < n + extra; i++)
		vbuddy_free_pages(pool, held[i], 0);
}

/* Destroying a pool whose lists hold blocks drains them: no report, no leak. */
static void pcp_test_destroy(struct kunit *test)
{
	struct vbuddy_pool *pool;
	struct page *page;
	unsigned int order;

	pool = vbuddy_pool_create("kunit-pcp-destroy", PCP_POOL_PAGES);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	for (order = 0; order < VBUDDY_PCP_ORDERS; order++) {
		page = vbuddy_alloc_pages(pool, GFP_KERNEL, order);
		vbuddy_free_pages(pool, page, order);
	}
	KUNIT_EXPECT_GT(test, vbuddy_pool_cached_pages(pool), 0UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_BAD_INPUT), 0UL);
	vbuddy_pool_destroy(pool);
	/* The name is free again: the pool is gone. */
	pool = vbuddy_pool_create("kunit-pcp-destroy", 16);
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, pool);
	vbuddy_pool_destroy(pool);
}

/* Freed objects go on this CPU's list of their class, and come back first. */
static void pcp_test_objects(struct kunit *test)
{
	struct vbuddy_pool *pool = test->priv;
	unsigned int class = 3, n;	/* kmalloc-64 */
	struct vbuddy_class c;
	void *p, *q;

	if (!pool->classes->objects_max)
		kunit_skip(test, "pcp_objects=0: no per-CPU object lists");
	migrate_disable();
	p = vbuddy_pool_kmalloc(pool, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	n = objects_here(pool, class);
	KUNIT_EXPECT_EQ(test, n, pool->classes->objects_batch - 1U);	/* refilled, one out */
	vbuddy_kfree(p);
	KUNIT_EXPECT_EQ(test, objects_here(pool, class), n + 1);
	q = vbuddy_pool_kmalloc(pool, 64, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	vbuddy_pool_get_class(pool, class, &c);
	KUNIT_EXPECT_EQ(test, c.objects, 1UL);
	KUNIT_EXPECT_EQ(test, c.pages, 1UL);

	/* A double free is refused on the lock-free path too. */
	vbuddy_kfree(q);
	vbuddy_pool_expect_reports(pool, true);
	vbuddy_kfree(q);
	vbuddy_pool_expect_reports(pool, false);
	KUNIT_EXPECT_EQ(test, objects_here(pool, class), n + 1);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_BAD_INPUT), 1UL);
	KUNIT_EXPECT_REPORT(test, pool, "refused: double free, or never allocated");
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);

	vbuddy_pool_drain(pool);
	vbuddy_pool_get_class(pool, class, &c);
	KUNIT_EXPECT_EQ(test, c.objects, 0UL);
	KUNIT_EXPECT_EQ(test, c.pages, 0UL);
}

/* Two tasks that free the same thing at the same moment, as far as can be. */
struct race_ctx {
	struct vbuddy_pool *pool;
	struct page *page;	/* a block of order 0, or ... */
	void *obj;		/* ... a kmalloc object */
	atomic_t ready;
	struct completion done;
};

static int race_fn(void *arg)
{
	struct race_ctx *ctx = arg;

	atomic_inc(&ctx->ready);
	/* On two CPUs, spin for the closest start; on one, let the other come. */
	while (atomic_read(&ctx->ready) < 2) {
		if (num_online_cpus() > 1)
			cpu_relax();
		else
			schedule_timeout_uninterruptible(1);
	}
	if (ctx->page)
		vbuddy_free_pages(ctx->pool, ctx->page, 0);
	else
		vbuddy_kfree(ctx->obj);
	complete(&ctx->done);
	return 0;
}

/* Start two racing frees of @ctx's block or object, on two CPUs if there are. */
static void race_frees(struct kunit *test, struct race_ctx *ctx)
{
	struct task_struct *t[2];
	unsigned int i;

	atomic_set(&ctx->ready, 0);
	init_completion(&ctx->done);
	for (i = 0; i < 2; i++) {
		t[i] = kthread_create(race_fn, ctx, "vbuddy-race/%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t[i]));
		kthread_bind(t[i], cpumask_nth(i % num_online_cpus(), cpu_online_mask));
	}
	for (i = 0; i < 2; i++)
		wake_up_process(t[i]);
	for (i = 0; i < 2; i++)
		wait_for_completion(&ctx->done);
}

/*
 * The losing side of each lockless free: two CPUs free one cached block
 * (the owner byte's cmpxchg()) or one small object (its held bit) at once.
 * Exactly one free wins, every round; the other is refused as a double
 * free, and the pool stays intact.
 */
static void pcp_test_racing_frees(struct kunit *test)
{
	struct vbuddy_pool *pool = test->priv;
	struct race_ctx ctx = { .pool = pool };
	unsigned int round;
	unsigned long r;

	vbuddy_pool_expect_reports(pool, true);
	for (round = 0; round < 64; round++) {
		ctx.obj = NULL;
		ctx.page = vbuddy_alloc_pages(pool, GFP_KERNEL, 0);
		KUNIT_ASSERT_NOT_NULL(test, ctx.page);
		r = vbuddy_pool_event(pool, VBUDDY_EV_BAD_INPUT);
		race_frees(test, &ctx);
		KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_BAD_INPUT), r + 1);

		ctx.page = NULL;
		ctx.obj = vbuddy_pool_kmalloc(pool, 64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, ctx.obj);
		race_frees(test, &ctx);
		KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_BAD_INPUT), r + 2);
	}
	vbuddy_pool_expect_reports(pool, false);
	KUNIT_EXPECT_REPORT(test, pool, "double free");
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
	vbuddy_pool_drain(pool);	/* the objects freed onto per-CPU lists */
}

struct remote_ctx {
	struct vbuddy_pool *pool;
	struct page *page;
	void *obj;
	unsigned int count;	/* this CPU's blocks of order 0 after the free */
	struct completion done;
};

static int remote_free_fn(void *arg)
{
	struct remote_ctx *ctx = arg;

	vbuddy_free_pages(ctx->pool, ctx->page, 0);
	vbuddy_kfree(ctx->obj);
	ctx->count = raw_cpu_ptr(ctx->pool->pcp->cpu)->count[0];
	complete(&ctx->done);
	return 0;
}

/*
 * A block and an object allocated on one CPU and freed on another land on
 * the freeing CPU's lists, and come back from there.
 */
static void pcp_test_remote_free(struct kunit *test)
{
	struct vbuddy_pool *pool = test->priv;
	struct remote_ctx ctx = { .pool = pool };
	unsigned int here_cpu, there_cpu, before;
	struct vbuddy_pcp *there;
	struct task_struct *t;

	if (num_online_cpus() < 2)
		kunit_skip(test, "one CPU: nothing is remote (the qemu -smp 4 KCSAN run has four)");
	migrate_disable();
	here_cpu = smp_processor_id();
	there_cpu = cpumask_any_but(cpu_online_mask, here_cpu);
	ctx.page = vbuddy_alloc_pages(pool, GFP_KERNEL, 0);
	ctx.obj = vbuddy_pool_kmalloc(pool, 32, GFP_KERNEL);
	before = here(pool, 0);
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL(test, ctx.page);
	KUNIT_ASSERT_NOT_NULL(test, ctx.obj);

	init_completion(&ctx.done);
	t = kthread_create(remote_free_fn, &ctx, "vbuddy-remote");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	kthread_bind(t, there_cpu);
	wake_up_process(t);
	wait_for_completion(&ctx.done);

	/* On the other CPU's list, at its head; this CPU's list is as it was. */
	there = per_cpu_ptr(pool->pcp->cpu, there_cpu);
	/* Snapshots of lists that another CPU may drain: the pool is ours alone. */
	KUNIT_EXPECT_EQ(test, data_race(per_cpu_ptr(pool->pcp->cpu, here_cpu)->count[0]),
			before);
	/* As above. */
	KUNIT_EXPECT_PTR_EQ(test, data_race(list_first_entry(&there->lists[0], struct page, lru)),
			    ctx.page);
	KUNIT_EXPECT_GE(test, ctx.count, 1U);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
	vbuddy_pool_drain(pool);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(pool), PCP_POOL_PAGES);
}

/* ---- the caches under each placement ------------------------------------------ */

/* A pool of @placement beside the suite's, its caches at full size. */
static struct vbuddy_pool *placement_pool(struct kunit *test, const char *placement)
{
	struct vbuddy_pool *pool;

	pool = vbuddy_pool_create_placement("kunit-placement", PCP_POOL_PAGES, placement);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	if (!vbuddy_pcp_serves(pool, 0)) {
		vbuddy_pool_destroy(pool);
		kunit_skip(test, "the caches are off");
	}
	return pool;
}

static void placement_pool_done(struct kunit *test, struct vbuddy_pool *pool)
{
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
	vbuddy_pool_drain(pool);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(pool), PCP_POOL_PAGES);
	vbuddy_pool_teardown(pool);
}

static const char *const placements[] = { "lifo", "address", "grouped" };

static void placement_desc(const char *const *p, char *desc)
{
	strscpy(desc, *p, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pcp_placements, placements, placement_desc);

static int cmp_pfn(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/*
 * A full list gives blocks back: under LIFO the coldest (freed first),
 * under an address placement the highest-addressed, so that the list keeps
 * what that placement hands out first. Frees go in ascending pfn order,
 * which tells the two apart: LIFO keeps the highest, address the lowest.
 */
static void pcp_test_give_back_by_placement(struct kunit *test)
{
	const char *placement = *(const char *const *)test->param_value;
	struct vbuddy_pool *pool = placement_pool(test, placement);
	bool lifo = !strcmp(placement, "lifo");
	unsigned int high = pool->pcp->high[0], low = pool->pcp->low[0], n = high + 1, i;
	unsigned long *pfns = kunit_kcalloc(test, n, sizeof(*pfns), GFP_KERNEL);
	struct page **pages = kunit_kcalloc(test, n, sizeof(*pages), GFP_KERNEL);
	struct vbuddy_pcp *pcp;
	unsigned long flags;
	struct page *page;

	KUNIT_ASSERT_NOT_NULL(test, pfns);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	migrate_disable();
	for (i = 0; i < n; i++) {
		pages[i] = vbuddy_alloc_pages(pool, GFP_KERNEL, 0);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
		pfns[i] = page_to_pfn(pages[i]);
	}
	vbuddy_pool_drain(pool);	/* this CPU's list starts empty */
	KUNIT_EXPECT_EQ(test, here(pool, 0), 0U);
	sort(pfns, n, sizeof(*pfns), cmp_pfn, NULL);
	for (i = 0; i < n; i++)
		vbuddy_free_pages(pool, pfn_to_page(pfns[i]), 0);

	/* The (high + 1)th free gave back all but @low blocks. */
	KUNIT_EXPECT_EQ(test, here(pool, 0), low);
	pcp = raw_cpu_ptr(pool->pcp->cpu);
	spin_lock_irqsave(&pcp->lock.lock, flags);
	i = 0;
	list_for_each_entry(page, &pcp->lists[0], lru) {
		unsigned long want = lifo ? pfns[n - 1 - i] : pfns[i];

		if (i < low)
			KUNIT_EXPECT_EQ_MSG(test, page_to_pfn(page), want, "entry %u", i);
		i++;
	}
	spin_unlock_irqrestore(&pcp->lock.lock, flags);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, i, low);
	placement_pool_done(test, pool);
}

/*
 * __GFP_MOVABLE under the grouped placement: from the top end of a piece of
 * the pool, around the caches (owner NONE), above every fixed block; freed,
 * and a second free refused, as any block. Other placements ignore it.
 */
static void pcp_test_movable_by_placement(struct kunit *test)
{
	const char *placement = *(const char *const *)test->param_value;
	struct vbuddy_pool *pool = placement_pool(test, placement);
	bool grouped = !strcmp(placement, "grouped");
	struct page *fixed, *movable;
	unsigned long pfn, last;
	unsigned int order, i;
	bool at_top;
	u32 idx;

	for (order = 0; order < VBUDDY_PCP_ORDERS; order++) {
		fixed = vbuddy_alloc_pages(pool, GFP_KERNEL, order);
		movable = vbuddy_alloc_pages(pool, GFP_KERNEL | __GFP_MOVABLE, order);
		KUNIT_ASSERT_NOT_NULL(test, fixed);
		KUNIT_ASSERT_NOT_NULL(test, movable);
		pfn = page_to_pfn(movable);
		KUNIT_ASSERT_EQ(test, buddy_index(&pool->buddy, pfn, &idx), 0);
		at_top = false;
		for (i = 0; i < pool->nr_chunks; i++) {
			last = page_to_pfn(pool->chunks[i].page) + (1UL << pool->chunks[i].order);
			at_top |= pfn + (1UL << order) == last;
		}
		KUNIT_EXPECT_EQ_MSG(test, pool->pcp->owner[idx],
				    (u8)(grouped ? VBUDDY_OWN_NONE : VBUDDY_OWN_HELD | order),
				    "order %u", order);
		if (grouped) {
			KUNIT_EXPECT_TRUE_MSG(test, at_top, "order %u: pfn %#lx", order, pfn);
			KUNIT_EXPECT_GT(test, pfn, page_to_pfn(fixed));
		}
		vbuddy_free_pages(pool, movable, order);
		KUNIT_EXPECT_REFUSED(test, pool, "double free",
				     vbuddy_free_pages(pool, movable, order));
		vbuddy_free_pages(pool, fixed, order);
	}
	placement_pool_done(test, pool);
}

/*
 * vbuddy_alloc_pages_bulk(): the NULL entries get distinct pages of the
 * pool, this CPU's cached ones first, the others are left alone; when the
 * pool runs short it says how many it filled; every page frees as an
 * order-0 block of the page API.
 */
static void pcp_test_bulk(struct kunit *test)
{
	struct vbuddy_pool *pool = test->priv;
	unsigned long nr = PCP_POOL_PAGES + 8, n, i, cached;
	struct page **pages, *mine;

	pages = kunit_kcalloc(test, nr, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	mine = vbuddy_alloc_pages(pool, GFP_KERNEL, 0);	/* now a cached page */
	KUNIT_ASSERT_NOT_NULL(test, mine);
	vbuddy_free_pages(pool, mine, 0);
	migrate_disable();
	cached = here(pool, 0);
	KUNIT_EXPECT_GT(test, cached, 0U);
	pages[1] = ERR_PTR(-1);		/* not empty: left alone */
	KUNIT_EXPECT_EQ(test, vbuddy_alloc_pages_bulk(pool, GFP_KERNEL, 5, pages), 5UL);
	KUNIT_EXPECT_PTR_EQ(test, pages[1], ERR_PTR(-1));
	KUNIT_EXPECT_PTR_EQ(test, pages[0], mine);	/* the list's first */
	KUNIT_EXPECT_EQ(test, here(pool, 0), cached - min(cached, 4U));
	migrate_enable();
	pages[1] = NULL;
	/* the rest of the pool, and more: short by the pages it lacks */
	n = vbuddy_alloc_pages_bulk(pool, GFP_KERNEL | __GFP_NOWARN, nr, pages);
	KUNIT_EXPECT_EQ(test, n, (unsigned long)PCP_POOL_PAGES);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(pool) + vbuddy_pool_cached_pages(pool), 0UL);
	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
		KUNIT_EXPECT_PTR_EQ(test, vbuddy_page_pool(pages[i]), pool);
	}
	sort(pages, n, sizeof(*pages), cmp_pfn, NULL);	/* pointers, as words */
	for (i = 1; i < n; i++)
		KUNIT_EXPECT_PTR_NE(test, pages[i - 1], pages[i]);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
	for (i = 0; i < n; i++)
		vbuddy_free_pages(pool, pages[i], 0);
	KUNIT_EXPECT_REFUSED(test, pool, "GFP_VIRTOK refused",
			     n = vbuddy_alloc_pages_bulk(pool, GFP_KERNEL | GFP_VIRTOK, 1, pages));
	KUNIT_EXPECT_EQ(test, n, 0UL);
}

static struct kunit_case pcp_test_cases[] = {
	KUNIT_CASE(pcp_test_free_is_cached),
	KUNIT_CASE(pcp_test_large_objects),
	KUNIT_CASE(pcp_test_marks),
	KUNIT_CASE(pcp_test_mark_rises),
	KUNIT_CASE_PARAM(pcp_test_bad_free, pcp_bad_gen_params),
	KUNIT_CASE(pcp_test_reclaim_contig),
	KUNIT_CASE(pcp_test_bulk),
	KUNIT_CASE(pcp_test_reclaim_virtok),
	KUNIT_CASE(pcp_test_destroy),
	KUNIT_CASE(pcp_test_objects),
	KUNIT_CASE(pcp_test_objects_own_page),
	KUNIT_CASE(pcp_test_racing_frees),
	KUNIT_CASE(pcp_test_remote_free),
	KUNIT_CASE_PARAM(pcp_test_give_back_by_placement, pcp_placements_gen_params),
	KUNIT_CASE_PARAM(pcp_test_movable_by_placement, pcp_placements_gen_params),
	{}
};

static struct kunit_suite pcp_test_suite = {
	.name = "vbuddy_pcp",
	.init = pcp_test_init,
	.exit = pcp_test_exit,
	.test_cases = pcp_test_cases,
};

kunit_test_suite(pcp_test_suite);
