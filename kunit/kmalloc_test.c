// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite vbuddy_kmalloc: the kmalloc family over size classes.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "../module/classes.h"
#include "../module/pcp.h"
#include "../module/pool.h"
#include "vbuddy_kunit.h"

MODULE_IMPORT_NS(VBUDDY_INTERNAL);

#define KM_POOL_PAGES	2048
#define LARGEST		(PAGE_SIZE << VBUDDY_MAX_ORDER)

static int kmalloc_test_init(struct kunit *test)
{
	vbuddy_kunit_pool(test, "kunit-kmalloc", KM_POOL_PAGES);
	return 0;
}

static void kmalloc_test_exit(struct kunit *test)
{
	struct vbuddy_pool *pool = test->priv;
	struct vbuddy_class c;
	unsigned int i;

	if (IS_ERR_OR_NULL(pool))	/* init failed */
		return;
	for (i = 0; i < VBUDDY_NR_CLASSES; i++) {
		vbuddy_pool_get_class(pool, i, &c);
		KUNIT_EXPECT_EQ_MSG(test, c.objects, 0UL, "class %u", i);
	}
	/* Free objects on per-CPU lists and kept empty pages go back. */
	vbuddy_pool_drain(pool);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_cached_pages(pool), 0UL);
	for (i = 0; i < VBUDDY_NR_CLASSES; i++) {
		vbuddy_pool_get_class(pool, i, &c);
		KUNIT_EXPECT_EQ_MSG(test, c.pages, 0UL, "class %u", i);
	}
	vbuddy_kunit_pool_exit(test, KM_POOL_PAGES);
}

struct edge_case {
	size_t size;
	size_t ksize;
};

static const struct edge_case edges[] = {
	{ 1, 8 }, { 8, 8 }, { 9, 16 }, { 96, 96 }, { 97, 128 }, { 192, 192 },
	{ 193, 256 }, { 2048, 2048 }, { 2049, PAGE_SIZE }, { PAGE_SIZE - 1, PAGE_SIZE },
	{ PAGE_SIZE, PAGE_SIZE }, { PAGE_SIZE + 1, 2 * PAGE_SIZE },
	{ LARGEST, LARGEST },
};

static void edge_desc(const struct edge_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "size %zu", c->size);
}

KUNIT_ARRAY_PARAM(kmalloc_edges, edges, edge_desc);

/* Every class edge: size, alignment, every byte usable, all of it back. */
static void kmalloc_test_class_edges(struct kunit *test)
{
	const struct edge_case *c = test->param_value;
	struct vbuddy_pool *pool = test->priv;
	unsigned long align = ARCH_KMALLOC_MINALIGN;
	unsigned long fresh[VBUDDY_NR_ORDERS];
	u8 *p[3];
	int i;

	/*
	 * The pool holds as many of the largest as the kernel gave it pieces
	 * of that order: two when it got whole ones, as it nearly always does.
	 */
	vbuddy_pool_nr_free(pool, fresh);
	if (is_power_of_2(c->ksize))
		align = c->ksize;
	if (c->ksize >= PAGE_SIZE)
		align = PAGE_SIZE;
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = vbuddy_pool_kmalloc(pool, c->size, GFP_KERNEL | __GFP_NOWARN);
		if (c->size == LARGEST && i >= fresh[VBUDDY_MAX_ORDER]) {
			KUNIT_EXPECT_NULL(test, p[i]);
			continue;
		}
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		KUNIT_EXPECT_EQ(test, vbuddy_ksize(p[i]), c->ksize);
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)p[i], align));
		memset(p[i], 0x40 + i, c->size);
	}
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		if (!p[i])
			continue;
		KUNIT_EXPECT_NULL(test, memchr_inv(p[i], 0x40 + i, c->size));
		vbuddy_kfree(p[i]);
	}
}

static void kmalloc_test_zero_and_limits(struct kunit *test)
{
	struct vbuddy_pool *pool = test->priv;
	void *p;
	unsigned long r = vbuddy_pool_event(pool, VBUDDY_EV_BAD_INPUT);

	KUNIT_EXPECT_PTR_EQ(test, vbuddy_pool_kmalloc(pool, 0, GFP_KERNEL), ZERO_SIZE_PTR);
	KUNIT_EXPECT_EQ(test, vbuddy_ksize(ZERO_SIZE_PTR), (size_t)0);
	KUNIT_EXPECT_EQ(test, vbuddy_ksize(NULL), (size_t)0);
	vbuddy_kfree(ZERO_SIZE_PTR);
	vbuddy_kfree(NULL);
	KUNIT_EXPECT_NULL(test, vbuddy_pool_kmalloc(pool, LARGEST + 1, GFP_KERNEL | __GFP_NOWARN));
	KUNIT_EXPECT_NULL(test, vbuddy_pool_kmalloc(pool, SIZE_MAX, GFP_KERNEL | __GFP_NOWARN));
	KUNIT_EXPECT_NULL(test, vbuddy_kmalloc_array(SIZE_MAX / 2, 3, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, vbuddy_kcalloc(3, SIZE_MAX / 2, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_BAD_INPUT), r);

	/* __GFP_NOFAIL: served where the caller can wait; vbuddy_gfp has the rest. */
	p = vbuddy_pool_kmalloc(pool, 64, GFP_KERNEL | __GFP_NOFAIL);
	KUNIT_EXPECT_NOT_NULL(test, p);
	vbuddy_kfree(p);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_BAD_INPUT), r);
}

static void kmalloc_test_zeroing(struct kunit *test)
{
	struct vbuddy_pool *pool = test->priv;
	static const size_t sizes[] = { 64, 3000, 3 * PAGE_SIZE };
	u8 *p;
	int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p = vbuddy_pool_kmalloc(pool, sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		memset(p, 0xff, vbuddy_ksize(p));
		vbuddy_kfree(p);
		p = vbuddy_pool_kmalloc(pool, sizes[i], GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, vbuddy_ksize(p)));
		vbuddy_kfree(p);
	}
	/* the default-pool wrappers */
	p = vbuddy_kzalloc(100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, 100));
	vbuddy_kfree(p);
	p = vbuddy_kcalloc(10, 30, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, vbuddy_ksize(p), (size_t)512);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, 300));
	vbuddy_kfree(p);
	p = vbuddy_kmalloc_array(10, 30, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	vbuddy_kfree(p);
}

/* krealloc across classes and into pages and back, contents kept. */
static void kmalloc_test_krealloc(struct kunit *test)
{
	static const size_t steps[] = { 8, 100, 3000, 10000, 5 * PAGE_SIZE, 50, 7 };
	struct vbuddy_pool *pool = test->priv;
	size_t kept = 8;
	u8 *p, *q;
	int i;

	p = vbuddy_pool_kmalloc(pool, 8, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0x5a, 8);
	for (i = 1; i < ARRAY_SIZE(steps); i++) {
		q = vbuddy_krealloc(p, steps[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, q);
		kept = min(kept, steps[i]);
		KUNIT_EXPECT_NULL(test, memchr_inv(q, 0x5a, kept));
		KUNIT_EXPECT_GE(test, vbuddy_ksize(q), steps[i]);
		memset(q, 0x5a, steps[i]);
		kept = steps[i];
		p = q;
	}
	/* within its class the object stays where it is */
	q = vbuddy_krealloc(p, 8, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, q, (u8 *)p);
	/* the pool that owns the object serves the move */
	q = vbuddy_krealloc(p, 1000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_EQ(test, (void *)vbuddy_page_pool(virt_to_page(q)),
			    (void *)pool);
	/* 0 frees */
	KUNIT_EXPECT_PTR_EQ(test, vbuddy_krealloc(q, 0, GFP_KERNEL), ZERO_SIZE_PTR);
	/* NULL allocates from the default pool */
	p = vbuddy_krealloc(NULL, 40, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_PTR_EQ(test, (void *)vbuddy_page_pool(virt_to_page(p)),
			    (void *)vbuddy_default_pool());
	vbuddy_kfree(p);
}

/* A class gives its page back as soon as its last object goes. */
static void kmalloc_test_class_pages_return(struct kunit *test)
{
	const unsigned int per_page = PAGE_SIZE / 8;
	struct vbuddy_pool *pool = test->priv;
	struct vbuddy_class c;
	void **objs;
	unsigned int i;

	objs = kunit_kcalloc(test, per_page + 1, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0; i < per_page; i++) {
		objs[i] = vbuddy_pool_kmalloc(pool, 8, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	/* The page carries the pool's stamp while it is a class page. */
	KUNIT_EXPECT_EQ(test, page_private(virt_to_page(objs[0])) >> 32, pool->stamp >> 32);
	vbuddy_pool_get_class(pool, 0, &c);
	KUNIT_EXPECT_EQ(test, c.pages, 1UL);
	KUNIT_EXPECT_EQ(test, c.objects, (unsigned long)per_page);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(pool), KM_POOL_PAGES - 1UL);
	objs[per_page] = vbuddy_pool_kmalloc(pool, 8, GFP_KERNEL);
	vbuddy_pool_get_class(pool, 0, &c);
	KUNIT_EXPECT_EQ(test, c.pages, 2UL);
	for (i = 0; i <= per_page; i++)
		vbuddy_kfree(objs[i]);
	vbuddy_pool_get_class(pool, 0, &c);
	KUNIT_EXPECT_EQ(test, c.objects, 0UL);
	/* Free objects stay on this CPU's list, in their pages, until drained. */
	KUNIT_EXPECT_GE(test, c.pages, 1UL);
	vbuddy_pool_drain(pool);
	vbuddy_pool_get_class(pool, 0, &c);
	KUNIT_EXPECT_EQ(test, c.pages, 0UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(pool), (unsigned long)KM_POOL_PAGES);
	/* ... and not once it is free: pages come out of the pool with a clear private. */
	KUNIT_EXPECT_EQ(test, page_private(virt_to_page(objs[0])), 0UL);
	KUNIT_EXPECT_EQ(test, page_private(virt_to_page(objs[per_page])), 0UL);
}

struct km_atomic_ctx {
	struct hrtimer timer;
	struct completion done;
	struct vbuddy_pool *pool;
	bool ok;
};

static enum hrtimer_restart km_atomic_fn(struct hrtimer *timer)
{
	struct km_atomic_ctx *ctx = container_of(timer, struct km_atomic_ctx, timer);
	void *a = vbuddy_pool_kmalloc(ctx->pool, 64, GFP_ATOMIC);
	void *b = vbuddy_pool_kmalloc(ctx->pool, 3 * PAGE_SIZE, GFP_ATOMIC | __GFP_ZERO);

	ctx->ok = a && b && in_hardirq();
	ctx->ok = ctx->ok && vbuddy_krealloc(a, 64, GFP_ATOMIC) == a;
	vbuddy_kfree(a);
	vbuddy_kfree(b);
	complete(&ctx->done);
	return HRTIMER_NORESTART;
}

static void kmalloc_test_atomic(struct kunit *test)
{
	struct km_atomic_ctx ctx = { .pool = test->priv };

	KUNIT_ASSERT_TRUE(test, vbuddy_kunit_in_hardirq(&ctx.timer, &ctx.done, km_atomic_fn));
	KUNIT_EXPECT_TRUE(test, ctx.ok);
}

enum km_bad {
	KM_DOUBLE_SMALL,
	KM_DOUBLE_LARGE,
	KM_INTERIOR_SMALL,
	KM_INTERIOR_LARGE,
	KM_TAIL_WASTE,
	KM_FOREIGN,
	KM_PAGES_API,
	KM_KSIZE_BAD,
	KM_KREALLOC_BAD,
	KM_DOUBLE_HUGE,
	KM_OBJECT_AS_PAGES,
	KM_FORGED_STAMP,
};

#define KM_MIDDLE	"refused: pointer into the middle of an object"

/* @why: what the report must say */
struct km_bad_case {
	const char *desc;
	enum km_bad kind;
	const char *why;
};

static const struct km_bad_case km_bad_cases[] = {
	{ "double free of a small object, its page freed", KM_DOUBLE_SMALL,
	  "refused: double free, or never allocated" },
	{ "double free of a large object", KM_DOUBLE_LARGE,
	  "refused: double free, or never allocated" },
	{ "pointer into a small object", KM_INTERIOR_SMALL, KM_MIDDLE },
	{ "pointer into a large object", KM_INTERIOR_LARGE, KM_MIDDLE },
	{ "pointer past the last object of a page", KM_TAIL_WASTE, KM_MIDDLE },
	{ "pointer from kmalloc", KM_FOREIGN, "refused: not from a vbuddy pool" },
	{ "pages from vbuddy_alloc_pages", KM_PAGES_API,
	  "pages from vbuddy_alloc_pages(): use vbuddy_free_pages()" },
	{ "ksize of an interior pointer", KM_KSIZE_BAD, KM_MIDDLE },
	{ "krealloc of a freed object", KM_KREALLOC_BAD,
	  "refused: double free, or never allocated" },
	{ "double free of an object above the cached orders", KM_DOUBLE_HUGE,
	  "refused: double free, or never allocated" },
	{ "kernel page carrying a live pool's stamp", KM_FORGED_STAMP,
	  "refused: not from a vbuddy pool" },
	{ "vbuddy_free_pages of a kmalloc object", KM_OBJECT_AS_PAGES,
	  "block belongs to another interface" },
};

KUNIT_ARRAY_PARAM_DESC(kmalloc_bad, km_bad_cases, desc);

/* Each misuse: one report, a refusal, and the pool as it was. */
static void kmalloc_test_bad_input(struct kunit *test)
{
	const struct km_bad_case *c = test->param_value;
	struct vbuddy_pool *pool = test->priv, *victim = pool;
	unsigned long before[VBUDDY_NR_ORDERS], after[VBUDDY_NR_ORDERS];
	struct vbuddy_class cb, ca;
	u8 *small, *large, *huge = NULL, *other = NULL;
	struct page *page = NULL, *forged = NULL;
	unsigned long r;

	small = vbuddy_pool_kmalloc(pool, 96, GFP_KERNEL);
	/* order 1: from this CPU's cache (VBUDDY_OWN_LARGE) */
	large = vbuddy_pool_kmalloc(pool, 2 * PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, small);
	KUNIT_ASSERT_NOT_NULL(test, large);
	switch (c->kind) {
	case KM_DOUBLE_SMALL:
	case KM_KREALLOC_BAD:
		vbuddy_kfree(small);		/* the class page goes back too */
		break;
	case KM_DOUBLE_LARGE:
		vbuddy_kfree(large);
		break;
	case KM_DOUBLE_HUGE:	/* order 5: a block tagged VBUDDY_TAG_LARGE */
		huge = vbuddy_pool_kmalloc(pool, 32 * PAGE_SIZE, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, huge);
		vbuddy_kfree(huge);
		break;
	case KM_FOREIGN:
		other = kmalloc(64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, other);
		victim = vbuddy_default_pool();
		break;
	case KM_PAGES_API:
		page = vbuddy_alloc_pages(pool, GFP_KERNEL, 0);
		KUNIT_ASSERT_NOT_NULL(test, page);
		break;
	case KM_FORGED_STAMP:
		/* The stamp of small's page, on a page of the kernel's. */
		KUNIT_ASSERT_EQ(test, page_private(virt_to_page(small)) >> 32,
				pool->stamp >> 32);
		forged = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, forged);
		set_page_private(forged, page_private(virt_to_page(small)));
		victim = vbuddy_default_pool();
		break;
	default:
		break;
	}
	vbuddy_pool_nr_free(pool, before);
	vbuddy_pool_get_class(pool, 4, &cb);
	r = vbuddy_pool_event(victim, VBUDDY_EV_BAD_INPUT);

	vbuddy_pool_expect_reports(victim, true);
	switch (c->kind) {
	case KM_DOUBLE_SMALL:
		vbuddy_kfree(small);
		break;
	case KM_DOUBLE_LARGE:
		vbuddy_kfree(large);
		break;
	case KM_DOUBLE_HUGE:
		vbuddy_kfree(huge);
		break;
	case KM_OBJECT_AS_PAGES:
		vbuddy_free_pages(pool, virt_to_page(large), 1);
		KUNIT_EXPECT_EQ(test, vbuddy_ksize(large), 2 * PAGE_SIZE);
		break;
	case KM_INTERIOR_SMALL:
		vbuddy_kfree(small + 8);
		break;
	case KM_INTERIOR_LARGE:
		vbuddy_kfree(large + PAGE_SIZE);
		break;
	case KM_TAIL_WASTE:
		/* 42 objects of 96 bytes end 64 bytes before the page does */
		vbuddy_kfree(PTR_ALIGN_DOWN(small, PAGE_SIZE) + 42 * 96);
		break;
	case KM_FOREIGN:
		vbuddy_kfree(other);
		break;
	case KM_PAGES_API:
		vbuddy_kfree(page_address(page));
		break;
	case KM_FORGED_STAMP:
		vbuddy_kfree(page_address(forged));
		break;
	case KM_KSIZE_BAD:
		KUNIT_EXPECT_EQ(test, vbuddy_ksize(small + 1), (size_t)0);
		break;
	case KM_KREALLOC_BAD:
		KUNIT_EXPECT_NULL(test, vbuddy_krealloc(small, 500, GFP_KERNEL));
		break;
	}
	vbuddy_pool_expect_reports(victim, false);

	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(victim, VBUDDY_EV_BAD_INPUT), r + 1);
	KUNIT_EXPECT_REPORT(test, victim, c->why);
	vbuddy_pool_nr_free(pool, after);
	vbuddy_pool_get_class(pool, 4, &ca);
	KUNIT_EXPECT_EQ(test, memcmp(before, after, sizeof(before)), 0);
	KUNIT_EXPECT_EQ(test, cb.objects, ca.objects);
	KUNIT_EXPECT_EQ(test, cb.pages, ca.pages);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);

	kfree(other);
	if (forged) {
		set_page_private(forged, 0);
		__free_page(forged);
	}
	if (page)
		vbuddy_free_pages(pool, page, 0);
	if (c->kind != KM_DOUBLE_SMALL && c->kind != KM_KREALLOC_BAD)
		vbuddy_kfree(small);
	if (c->kind != KM_DOUBLE_LARGE)
		vbuddy_kfree(large);
}

static DEFINE_SPINLOCK(km_irq_lock);	/* taken in hardirq context too */

static enum hrtimer_restart km_irq_lock_fn(struct hrtimer *timer)
{
	struct km_atomic_ctx *ctx = container_of(timer, struct km_atomic_ctx, timer);

	spin_lock(&km_irq_lock);
	spin_unlock(&km_irq_lock);
	complete(&ctx->done);
	return HRTIMER_NORESTART;
}

/*
 * A GFP_ATOMIC request that fails, and so reclaims every CPU's lists, under
 * a lock its caller also takes in hardirq context. The walk must not spin
 * on another CPU's lists: their holder runs with interrupts on, and its
 * interrupt may wait for this very lock. Lockdep reports "HARDIRQ-safe ->
 * HARDIRQ-unsafe" if it does.
 */
static void kmalloc_test_atomic_reclaim(struct kunit *test)
{
	struct km_atomic_ctx ctx = { .pool = test->priv };
	struct vbuddy_pool *pool = test->priv;
	struct page **pages, *extra;
	unsigned long flags, n = 0;

	KUNIT_ASSERT_TRUE(test, vbuddy_kunit_in_hardirq(&ctx.timer, &ctx.done, km_irq_lock_fn));
	pages = kunit_kcalloc(test, KM_POOL_PAGES, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	while (n < KM_POOL_PAGES &&
	       (pages[n] = vbuddy_alloc_pages(pool, GFP_KERNEL | __GFP_NOWARN, 0)))
		n++;
	/* Some back to this CPU's list, then more than is free, atomically. */
	vbuddy_free_pages(pool, pages[--n], 0);
	spin_lock_irqsave(&km_irq_lock, flags);
	extra = vbuddy_alloc_pages(pool, GFP_ATOMIC | __GFP_NOWARN, 1);
	spin_unlock_irqrestore(&km_irq_lock, flags);
	KUNIT_EXPECT_NULL(test, extra);
	while (n)
		vbuddy_free_pages(pool, pages[--n], 0);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
}

/*
 * An interrupt that lands while this CPU is in the middle of its lists:
 * everything it allocates or frees goes around them, under the pool lock,
 * and a drain leaves them alone. The middle is made by hand: the lists'
 * busy flags set, the task kept on this CPU.
 */
static void kmalloc_test_busy_cpu(struct kunit *test)
{
	struct vbuddy_pool *pool = test->priv;
	struct vbuddy_pcp_objects *objs;
	struct page *held, *page;
	struct vbuddy_pcp *pcp;
	void *obj, *large, *small, *kept;
	unsigned int n, c64 = 3;	/* the class of 64 bytes */

	/* Held from before: freed while busy, each claimed from its caller. */
	held = vbuddy_alloc_pages(pool, GFP_KERNEL, 0);
	kept = vbuddy_pool_kmalloc(pool, 2 * PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, held);
	KUNIT_ASSERT_NOT_NULL(test, kept);
	vbuddy_kfree(vbuddy_pool_kmalloc(pool, 64, GFP_KERNEL));	/* one listed */

	migrate_disable();
	objs = this_cpu_ptr(pool->classes->cpu);
	pcp = this_cpu_ptr(pool->pcp->cpu);
	n = objs->n[c64];
	KUNIT_EXPECT_GT(test, n, 0U);
	WRITE_ONCE(objs->lock.busy, true);
	WRITE_ONCE(pcp->lock.busy, true);

	obj = vbuddy_pool_kmalloc(pool, 64, GFP_ATOMIC);
	small = vbuddy_pool_kmalloc(pool, 100, GFP_ATOMIC);
	large = vbuddy_pool_kmalloc(pool, 2 * PAGE_SIZE, GFP_ATOMIC);
	page = vbuddy_alloc_pages(pool, GFP_ATOMIC, 0);
	KUNIT_EXPECT_NOT_NULL(test, obj);
	KUNIT_EXPECT_NOT_NULL(test, small);
	KUNIT_EXPECT_NOT_NULL(test, large);
	KUNIT_EXPECT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, vbuddy_ksize(large), 2 * PAGE_SIZE);
	vbuddy_kfree(obj);
	vbuddy_kfree(small);
	vbuddy_kfree(large);
	vbuddy_kfree(kept);
	vbuddy_free_pages(pool, page, 0);
	vbuddy_free_pages(pool, held, 0);
	/* Nothing went through this CPU's lists. */
	KUNIT_EXPECT_EQ(test, objs->n[c64], n);
	vbuddy_pool_drain(pool);	/* skips this CPU's busy lists */
	KUNIT_EXPECT_EQ(test, objs->n[c64], n);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);

	WRITE_ONCE(pcp->lock.busy, false);
	WRITE_ONCE(objs->lock.busy, false);
	migrate_enable();
	vbuddy_pool_drain(pool);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_cached_pages(pool), 0UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
}

static struct kunit_case kmalloc_test_cases[] = {
	KUNIT_CASE_PARAM(kmalloc_test_class_edges, kmalloc_edges_gen_params),
	KUNIT_CASE(kmalloc_test_zero_and_limits),
	KUNIT_CASE(kmalloc_test_zeroing),
	KUNIT_CASE(kmalloc_test_krealloc),
	KUNIT_CASE(kmalloc_test_class_pages_return),
	KUNIT_CASE(kmalloc_test_atomic),
	KUNIT_CASE_PARAM(kmalloc_test_bad_input, kmalloc_bad_gen_params),
	KUNIT_CASE(kmalloc_test_busy_cpu),
	KUNIT_CASE(kmalloc_test_atomic_reclaim),
	{}
};

static struct kunit_suite kmalloc_test_suite = {
	.name = "vbuddy_kmalloc",
	.init = kmalloc_test_init,
	.exit = kmalloc_test_exit,
	.test_cases = kmalloc_test_cases,
};

kunit_test_suite(kmalloc_test_suite);
