// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite vbuddy_virtok: the GFP_VIRTOK fallback on checkerboard pools.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "../module/pool.h"
#include "../module/window.h"
#include "vbuddy_kunit.h"

MODULE_IMPORT_NS(VBUDDY_INTERNAL);

#define VT_POOL_PAGES	512

struct vt_fixture {
	struct vbuddy_pool *pool;
	struct page **held;		/* the odd pages of the checkerboard */
	unsigned long nr_held;
	unsigned long fresh[VBUDDY_NR_ORDERS];
};

static int virtok_test_init(struct kunit *test)
{
	struct vt_fixture *fx = kunit_kzalloc(test, sizeof(*fx), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, fx);
	fx->held = kunit_kcalloc(test, VT_POOL_PAGES, sizeof(*fx->held), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fx->held);
	fx->pool = vbuddy_pool_create("kunit-virtok", VT_POOL_PAGES);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, fx->pool);
	/* Ranges unmapped at their free, whatever virtok_keep; the keep case sets it. */
	vbuddy_pool_set_window_keep(fx->pool, 0);
	vbuddy_pool_nr_free(fx->pool, fx->fresh);
	test->priv = fx;
	return 0;
}

static void release_held(struct vt_fixture *fx)
{
	while (fx->nr_held)
		vbuddy_free_pages(fx->pool, fx->held[--fx->nr_held], 0);
}

/* Everything back: the pool merges into exactly the blocks it started with. */
static void virtok_test_exit(struct kunit *test)
{
	struct vt_fixture *fx = test->priv;
	unsigned long now[VBUDDY_NR_ORDERS];

	if (!fx)		/* init failed */
		return;
	release_held(fx);
	vbuddy_pool_drain(fx->pool);
	vbuddy_pool_nr_free(fx->pool, now);
	KUNIT_EXPECT_EQ(test, memcmp(fx->fresh, now, sizeof(now)), 0);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(fx->pool), 0);
	/* even when a failed case left blocks out, not to fail the next */
	vbuddy_pool_teardown(fx->pool);
}

/*
 * Every free page out, those of even pfn back: half the pool free, and no
 * two free pages are buddies, so no block of order 1 or more exists.
 */
static void checkerboard(struct kunit *test, struct vt_fixture *fx)
{
	fx->nr_held += vbuddy_pool_checkerboard(fx->pool, fx->held + fx->nr_held);
	KUNIT_ASSERT_GE(test, vbuddy_pool_free_pages(fx->pool), VT_POOL_PAGES / 2UL - 1);
	KUNIT_ASSERT_NULL(test, vbuddy_alloc_pages(fx->pool, GFP_KERNEL | __GFP_NOWARN, 1));
}

/* An order, and whether the range is mapped with vm_map_ram() or vmap(). */
struct cb_param {
	unsigned int order;
	bool ram;
};

static const struct cb_param cb_params[] = {
	{ 1, false }, { 2, false }, { 3, false }, { 4, false },
	{ 1, true }, { 4, true }, { 6, true },	/* 64 pages: vm_map_ram()'s most */
};

static void cb_desc(const struct cb_param *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "order %u, %s", p->order,
		 p->ram ? "vm_map_ram" : "vmap");
}

KUNIT_ARRAY_PARAM(virtok_orders, cb_params, cb_desc);

/* Refused without GFP_VIRTOK, served with it, every byte good, all back. */
static void virtok_test_checkerboard(struct kunit *test)
{
	const struct cb_param *param = test->param_value;
	const unsigned int order = param->order;
	struct vt_fixture *fx = test->priv;
	size_t size = PAGE_SIZE << order, i;
	struct vbuddy_stats st;
	unsigned long fails, flags;
	unsigned int s, ram = 0;
	u8 *p;

	vbuddy_pool_set_map_ram(fx->pool, param->ram ? VBUDDY_MAP_RAM_MAX : 0);
	checkerboard(test, fx);
	vbuddy_pool_get_stats(fx->pool, &st);
	fails = st.alloc_fail[order];
	KUNIT_EXPECT_NULL(test, vbuddy_pool_kmalloc(fx->pool, size, GFP_KERNEL | __GFP_NOWARN));

	p = vbuddy_pool_kmalloc(fx->pool, size, GFP_KERNEL | GFP_VIRTOK);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, vbuddy_is_virtual(p));
	KUNIT_EXPECT_EQ(test, vbuddy_ksize(p), size);
	vbuddy_pool_get_stats(fx->pool, &st);
	KUNIT_EXPECT_EQ(test, st.events[VBUDDY_EV_VIRT_SERVED], 1UL);
	KUNIT_EXPECT_EQ(test, st.events[VBUDDY_EV_VIRT_PAGES], 1UL << order);
	KUNIT_EXPECT_EQ(test, st.slots_in_use, 1UL);
	KUNIT_EXPECT_EQ(test, st.alloc_fail[order], fails + 2);	/* tried first */
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(fx->pool),
			VT_POOL_PAGES / 2 - (1UL << order));

	for (i = 0; i < size; i++)
		p[i] = (u8)(i * 7 + (i >> PAGE_SHIFT));
	for (i = 0; i < size; i++)
		if (p[i] != (u8)(i * 7 + (i >> PAGE_SHIFT)))
			break;
	KUNIT_EXPECT_EQ(test, i, size);
	/* mapped the way asked */
	spin_lock_irqsave(&fx->pool->lock, flags);
	for (s = 0; s < fx->pool->window->nr_slots; s++)
		if (fx->pool->window->slots[s].state == VBUDDY_SLOT_IN_USE)
			ram += 1 + fx->pool->window->slots[s].ram;
	spin_unlock_irqrestore(&fx->pool->lock, flags);
	KUNIT_EXPECT_EQ(test, ram, param->ram ? 2U : 1U);
	/* the pages behind it are scattered, as promised */
	KUNIT_EXPECT_NE(test, page_to_pfn(vmalloc_to_page(p + PAGE_SIZE)),
			page_to_pfn(vmalloc_to_page(p)) + 1);

	vbuddy_kfree(p);
	vbuddy_pool_drain(fx->pool);
	vbuddy_pool_get_stats(fx->pool, &st);
	KUNIT_EXPECT_EQ(test, st.events[VBUDDY_EV_VIRT_FREED], 1UL);
	KUNIT_EXPECT_EQ(test, st.slots_in_use, 0UL);
	KUNIT_EXPECT_EQ(test, st.slots_peak, 1UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(fx->pool), VT_POOL_PAGES / 2UL);
}

#define DL_THREADS	4
#define DL_HOLD		16
#define DL_TRIES	20

struct dl_ctx {
	struct vbuddy_pool *pool;
	struct page *hold[DL_HOLD];
	gfp_t gfp;
	unsigned int tries;
	bool finished;
	struct completion done;
};

/*
 * A caller that holds pages and needs a 4-page buffer before it can let
 * them go. Without GFP_VIRTOK it gives up after DL_TRIES tries.
 */
static int dl_fn(void *arg)
{
	struct dl_ctx *ctx = arg;
	void *buf = NULL;
	int i;

	while (!buf && ctx->tries < DL_TRIES) {
		ctx->tries++;
		buf = vbuddy_pool_kmalloc(ctx->pool, 4 * PAGE_SIZE, ctx->gfp | __GFP_NOWARN);
		if (!buf)
			usleep_range(1000, 2000);
	}
	if (buf) {
		memset(buf, 0x3c, 4 * PAGE_SIZE);
		for (i = 0; i < DL_HOLD; i++)
			vbuddy_free_pages(ctx->pool, ctx->hold[i], 0);
		vbuddy_kfree(buf);
		ctx->finished = true;
	}
	complete(&ctx->done);
	return 0;
}

static void run_deadlock(struct kunit *test, gfp_t gfp, unsigned int *finished,
			 unsigned int *tries)
{
	struct vt_fixture *fx = test->priv;
	struct dl_ctx *ctx;
	struct task_struct *t;
	int i, j;

	ctx = kunit_kcalloc(test, DL_THREADS, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	checkerboard(test, fx);
	for (i = 0; i < DL_THREADS; i++) {
		ctx[i].pool = fx->pool;
		ctx[i].gfp = gfp;
		init_completion(&ctx[i].done);
		for (j = 0; j < DL_HOLD; j++)
			ctx[i].hold[j] = fx->held[--fx->nr_held];
	}
	for (i = 0; i < DL_THREADS; i++) {
		t = kthread_run(dl_fn, &ctx[i], "vbuddy-dl/%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	}
	*finished = 0;
	*tries = 0;
	for (i = 0; i < DL_THREADS; i++) {
		KUNIT_EXPECT_NE(test, wait_for_completion_timeout(&ctx[i].done, 30 * HZ), 0UL);
		*finished += ctx[i].finished;
		*tries += ctx[i].tries;
	}
	/* only now: pages given back earlier would let a late caller through */
	for (i = 0; i < DL_THREADS; i++)
		if (!ctx[i].finished)
			for (j = 0; j < DL_HOLD; j++)
				vbuddy_free_pages(fx->pool, ctx[i].hold[j], 0);
}

/* The 1996 deadlock: every caller needs 4 pages, the pool is a checkerboard. */
static void virtok_test_deadlock_resolved(struct kunit *test)
{
	unsigned int finished, tries;

	run_deadlock(test, GFP_KERNEL | GFP_VIRTOK, &finished, &tries);
	KUNIT_EXPECT_EQ(test, finished, (unsigned int)DL_THREADS);
	kunit_info(test, "with GFP_VIRTOK: %u of %u callers finished, %u tries\n",
		   finished, DL_THREADS, tries);
}

static void virtok_test_deadlock_without(struct kunit *test)
{
	unsigned int finished, tries;

	run_deadlock(test, GFP_KERNEL, &finished, &tries);
	KUNIT_EXPECT_EQ(test, finished, 0U);
	KUNIT_EXPECT_EQ(test, tries, (unsigned int)(DL_THREADS * DL_TRIES));
	kunit_info(test, "without GFP_VIRTOK: %u of %u callers finished, %u tries\n",
		   finished, DL_THREADS, tries);
}

/* Sub-page holes cannot be remapped: a pool full of small objects refuses. */
static void virtok_test_honest_limit(struct kunit *test)
{
	const unsigned long cap = VT_POOL_PAGES * (PAGE_SIZE / 64);
	struct vt_fixture *fx = test->priv;
	unsigned long n = 0, before, i;
	void **objs;
	ktime_t t0;
	s64 ns;

	objs = kunit_kcalloc(test, cap + 1, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	while (n <= cap &&
	       (objs[n] = vbuddy_pool_kmalloc(fx->pool, 64, GFP_KERNEL | __GFP_NOWARN)))
		n++;
	KUNIT_EXPECT_EQ(test, n, cap);
	/* free every other object: half the memory free, every page in use */
	for (i = 0; i < n; i += 2)
		vbuddy_kfree(objs[i]);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(fx->pool), 0UL);

	before = vbuddy_pool_event(fx->pool, VBUDDY_EV_VIRT_NO_PAGES);
	t0 = ktime_get();
	KUNIT_EXPECT_NULL(test, vbuddy_pool_kmalloc(fx->pool, 2 * PAGE_SIZE,
						    GFP_KERNEL | GFP_VIRTOK | __GFP_NOWARN));
	ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(fx->pool, VBUDDY_EV_VIRT_NO_PAGES), before + 1);
	kunit_info(test, "%lu bytes free in 64-byte holes; refused in %lld ns\n",
		   n / 2 * 64, ns);
	for (i = 1; i < n; i += 2)
		vbuddy_kfree(objs[i]);
}

/* Every slot used: the next fallback is refused, and the pool untouched. */
static void virtok_test_slots_exhausted(struct kunit *test)
{
	struct vt_fixture *fx = test->priv;
	struct vbuddy_stats st;
	unsigned long free, n = 0;
	void **ranges;

	checkerboard(test, fx);
	ranges = kunit_kcalloc(test, VT_POOL_PAGES, sizeof(*ranges), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ranges);
	while (n < VT_POOL_PAGES &&
	       (ranges[n] = vbuddy_pool_kmalloc(fx->pool, 2 * PAGE_SIZE,
						GFP_KERNEL | GFP_VIRTOK | __GFP_NOWARN)))
		n++;
	vbuddy_pool_get_stats(fx->pool, &st);
	KUNIT_EXPECT_EQ(test, st.slots_in_use, n);
	KUNIT_EXPECT_EQ(test, st.slots_peak, n);
	KUNIT_EXPECT_EQ(test, st.events[VBUDDY_EV_VIRT_NO_SLOT], 1UL);
	KUNIT_EXPECT_LT(test, n, VT_POOL_PAGES / 4UL);	/* slots ran out, not pages */
	free = vbuddy_pool_free_pages(fx->pool);
	KUNIT_EXPECT_EQ(test, free, VT_POOL_PAGES / 2 - 2 * n);
	while (n)
		vbuddy_kfree(ranges[--n]);
}

/* More pages than are free, and requests that may not sleep: refused. */
static void virtok_test_refusals(struct kunit *test)
{
	struct vt_fixture *fx = test->priv;
	unsigned long before[VBUDDY_NR_ORDERS], after[VBUDDY_NR_ORDERS];

	checkerboard(test, fx);
	vbuddy_pool_nr_free(fx->pool, before);
	KUNIT_EXPECT_NULL(test, vbuddy_pool_kmalloc(fx->pool, (VT_POOL_PAGES / 2 + 1) * PAGE_SIZE,
						    GFP_KERNEL | GFP_VIRTOK | __GFP_NOWARN));
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(fx->pool, VBUDDY_EV_VIRT_NO_PAGES), 1UL);
	KUNIT_EXPECT_NULL(test, vbuddy_pool_kmalloc(fx->pool, 4 * PAGE_SIZE,
						    GFP_ATOMIC | GFP_VIRTOK | __GFP_NOWARN));
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(fx->pool, VBUDDY_EV_VIRT_ATOMIC), 1UL);
	vbuddy_pool_nr_free(fx->pool, after);
	KUNIT_EXPECT_EQ(test, memcmp(before, after, sizeof(before)), 0);
}

/* A request that a contiguous block can serve never takes the fallback. */
static void virtok_test_contiguous_first(struct kunit *test)
{
	struct vt_fixture *fx = test->priv;
	void *p;

	p = vbuddy_pool_kmalloc(fx->pool, 3 * PAGE_SIZE, GFP_KERNEL | GFP_VIRTOK);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_FALSE(test, vbuddy_is_virtual(p));
	KUNIT_EXPECT_EQ(test, vbuddy_ksize(p), 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(fx->pool, VBUDDY_EV_VIRT_SERVED), 0UL);
	vbuddy_kfree(p);
}

/* krealloc from contiguous to a virtual range and back, contents kept. */
static void virtok_test_krealloc(struct kunit *test)
{
	struct vt_fixture *fx = test->priv;
	u8 *p, *v, *c;

	/* as with krealloc(), __GFP_ZERO from the first allocation on */
	p = vbuddy_pool_kmalloc(fx->pool, 100, GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0x6b, 100);
	checkerboard(test, fx);
	v = vbuddy_krealloc(p, 3 * PAGE_SIZE, GFP_KERNEL | GFP_VIRTOK | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_EXPECT_TRUE(test, vbuddy_is_virtual(v));
	KUNIT_EXPECT_NULL(test, memchr_inv(v, 0x6b, 100));
	KUNIT_EXPECT_NULL(test, memchr_inv(v + 100, 0, 3 * PAGE_SIZE - 100));
	KUNIT_EXPECT_PTR_EQ(test, vbuddy_krealloc(v, 3 * PAGE_SIZE - 5, GFP_KERNEL), (void *)v);
	c = vbuddy_krealloc(v, 50, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_FALSE(test, vbuddy_is_virtual(c));
	KUNIT_EXPECT_NULL(test, memchr_inv(c, 0x6b, 50));
	vbuddy_kfree(c);
}

/*
 * A fallback in the caller's reclaim context: GFP_KERNEL first, then
 * GFP_NOFS and GFP_NOIO as a filesystem or block driver in reclaim would
 * ask. No lock that another request path takes is held across vmap(), and
 * vmap() allocates in the caller's NOFS/NOIO scope, so lockdep stays silent
 * (a splat fails the stage).
 */
static void virtok_test_reclaim_context(struct kunit *test)
{
	static const gfp_t nested[] = { GFP_NOFS, GFP_NOIO };
	struct vt_fixture *fx = test->priv;
	unsigned int i;
	void *p;

	checkerboard(test, fx);
	p = vbuddy_pool_kmalloc(fx->pool, 2 * PAGE_SIZE, GFP_KERNEL | GFP_VIRTOK);
	KUNIT_ASSERT_TRUE(test, vbuddy_is_virtual(p));
	vbuddy_kfree(p);
	for (i = 0; i < ARRAY_SIZE(nested); i++) {
		fs_reclaim_acquire(GFP_KERNEL);
		p = vbuddy_pool_kmalloc(fx->pool, 2 * PAGE_SIZE, nested[i] | GFP_VIRTOK);
		KUNIT_EXPECT_TRUE(test, vbuddy_is_virtual(p));
		vbuddy_kfree(p);
		fs_reclaim_release(GFP_KERNEL);
	}
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(fx->pool, VBUDDY_EV_VIRT_SERVED), 3UL);
}

/*
 * A free that may sleep unmaps before it returns: right after it, with
 * every other page freed, the pool holds every block it started with, and
 * nobody drained anything.
 */
static void virtok_test_unmap_prompt(struct kunit *test)
{
	struct vt_fixture *fx = test->priv;
	unsigned int order, n = 0, i, *orders;
	struct page **blocks;
	void *p;

	blocks = kunit_kcalloc(test, VT_POOL_PAGES, sizeof(*blocks), GFP_KERNEL);
	orders = kunit_kcalloc(test, VT_POOL_PAGES, sizeof(*orders), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blocks);
	KUNIT_ASSERT_NOT_NULL(test, orders);
	checkerboard(test, fx);
	p = vbuddy_pool_kmalloc(fx->pool, 4 * PAGE_SIZE, GFP_KERNEL | GFP_VIRTOK);
	KUNIT_ASSERT_TRUE(test, vbuddy_is_virtual(p));
	vbuddy_kfree(p);
	release_held(fx);
	/*
	 * Largest first. GFP_ATOMIC: a request that may not sleep drains the
	 * per-CPU caches but waits for no unmap, so only a free that unmapped
	 * at once lets this succeed.
	 */
	for (order = VBUDDY_NR_ORDERS; order-- > 0;) {
		for (i = 0; i < fx->fresh[order]; i++) {
			blocks[n] = vbuddy_alloc_pages(fx->pool, GFP_ATOMIC, order);
			orders[n] = order;
			KUNIT_EXPECT_NOT_NULL_MSG(test, blocks[n], "block %u, order %u", i,
						  order);
			if (blocks[n])
				n++;
		}
	}
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(fx->pool), 0UL);
	while (n--)
		vbuddy_free_pages(fx->pool, blocks[n], orders[n]);
}

enum vt_bad {
	VT_DOUBLE_FREE,
	VT_INTERIOR,
	VT_PAGE_AS_BLOCK,
	VT_OTHER_POOL,
	VT_ALLOC_PAGES,
	VT_DIRECT_MAP,
};

/* @why: what the report must say */
struct vt_bad_case {
	const char *desc;
	enum vt_bad kind;
	const char *why;
};

static const struct vt_bad_case vt_bad_cases[] = {
	{ "kfree of a range twice, after its unmap", VT_DOUBLE_FREE,
	  "refused: not from a vbuddy pool" },
	{ "kfree inside a range", VT_INTERIOR, "pointer into the middle of a GFP_VIRTOK range" },
	{ "vbuddy_free_pages of a range's page", VT_PAGE_AS_BLOCK,
	  "block belongs to another interface" },
	{ "vbuddy_free_pages to another pool", VT_OTHER_POOL, "page not in this pool" },
	{ "GFP_VIRTOK to vbuddy_alloc_pages", VT_ALLOC_PAGES,
	  "GFP_VIRTOK refused: vbuddy_alloc_pages() promises contiguous pages" },
	{ "kfree of a range's page by its direct map", VT_DIRECT_MAP,
	  "page of a GFP_VIRTOK range, not its address" },
};

KUNIT_ARRAY_PARAM_DESC(virtok_bad, vt_bad_cases, desc);

/* Each misuse of a range: one report, a refusal, the range still good. */
static void virtok_test_bad_input(struct kunit *test)
{
	const struct vt_bad_case *c = test->param_value;
	struct vt_fixture *fx = test->priv;
	struct vbuddy_pool *victim = fx->pool, *other = NULL;
	struct page *page;
	unsigned long r;
	u8 *v;

	checkerboard(test, fx);
	v = vbuddy_pool_kmalloc(fx->pool, 2 * PAGE_SIZE, GFP_KERNEL | GFP_VIRTOK);
	KUNIT_ASSERT_TRUE(test, vbuddy_is_virtual(v));
	memset(v, 0x11, 2 * PAGE_SIZE);
	page = vmalloc_to_page(v + PAGE_SIZE);
	if (c->kind == VT_DOUBLE_FREE) {
		/* once unmapped, the address is nobody's: the default pool reports */
		vbuddy_kfree(v);
		vbuddy_pool_drain(fx->pool);
		victim = vbuddy_default_pool();
	}
	if (c->kind == VT_OTHER_POOL) {
		other = vbuddy_pool_create("kunit-virtok-other", 8);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, other);
		victim = other;
	}
	r = vbuddy_pool_event(victim, VBUDDY_EV_BAD_INPUT);
	vbuddy_pool_expect_reports(victim, true);
	switch (c->kind) {
	case VT_DOUBLE_FREE:
		vbuddy_kfree(v);
		break;
	case VT_INTERIOR:
		vbuddy_kfree(v + PAGE_SIZE);
		break;
	case VT_PAGE_AS_BLOCK:
		vbuddy_free_pages(fx->pool, page, 0);
		break;
	case VT_OTHER_POOL:
		vbuddy_free_pages(other, page, 0);
		break;
	case VT_ALLOC_PAGES:
		KUNIT_EXPECT_NULL(test, vbuddy_alloc_pages(fx->pool, GFP_KERNEL | GFP_VIRTOK, 2));
		break;
	case VT_DIRECT_MAP:
		vbuddy_kfree(page_address(page));
		break;
	}
	vbuddy_pool_expect_reports(victim, false);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(victim, VBUDDY_EV_BAD_INPUT), r + 1);
	KUNIT_EXPECT_REPORT(test, victim, c->why);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(fx->pool), 0);
	if (c->kind != VT_DOUBLE_FREE) {
		KUNIT_EXPECT_NULL(test, memchr_inv(v, 0x11, 2 * PAGE_SIZE));
		vbuddy_kfree(v);
	}
	vbuddy_pool_destroy(other);
}

/*
 * virtok_keep: a freed range stays mapped, its pages free to the pool's
 * counts but held; the next request of its size takes it back, maps
 * nothing and splits no block; a second free is refused; a range of
 * another size, or one past the limit, is unmapped as before; a request
 * that may not sleep is still refused; a reclaim unmaps what is kept (one
 * that may not sleep through the work item).
 */
static void virtok_test_keep(struct kunit *test)
{
	const gfp_t gfp = GFP_KERNEL | GFP_VIRTOK;
	struct vt_fixture *fx = test->priv;
	struct vbuddy_pool *pool = fx->pool;
	const size_t size = 4 * PAGE_SIZE;
	void *p, *q, *r, *t;
	size_t i;

	vbuddy_pool_set_window_keep(pool, 2);
	checkerboard(test, fx);
	p = vbuddy_pool_kmalloc(pool, size, gfp);
	KUNIT_ASSERT_TRUE(test, vbuddy_is_virtual(p));
	memset(p, 0x5a, size);
	vbuddy_kfree(p);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_VIRT_FREED), 0UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_cached_pages(pool), 4UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(pool), VT_POOL_PAGES / 2UL);
	KUNIT_EXPECT_EQ(test, READ_ONCE(pool->window->nr_kept), 1U);
	KUNIT_EXPECT_REFUSED(test, pool, "double free of a GFP_VIRTOK range", vbuddy_kfree(p));

	/* the same size again: the same range, zeroed as asked, nothing mapped */
	q = vbuddy_pool_kmalloc(pool, size, gfp | __GFP_ZERO);
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	for (i = 0; q && i < size && !((u8 *)q)[i]; i++)
		;
	KUNIT_EXPECT_EQ(test, i, size);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_VIRT_REUSED), 1UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_VIRT_SERVED), 2UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_VIRT_PAGES), 4UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_cached_pages(pool), 0UL);

	/* another size maps anew; three freed, two kept, one unmapped */
	r = vbuddy_pool_kmalloc(pool, 2 * size, gfp);
	t = vbuddy_pool_kmalloc(pool, size, gfp);
	KUNIT_ASSERT_TRUE(test, vbuddy_is_virtual(r) && vbuddy_is_virtual(t));
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_VIRT_REUSED), 1UL);
	vbuddy_kfree(q);
	vbuddy_kfree(r);
	vbuddy_kfree(t);
	KUNIT_EXPECT_EQ(test, READ_ONCE(pool->window->nr_kept), 2U);
	if (IS_ENABLED(CONFIG_PREEMPT_COUNT))	/* else the work item unmaps it, later */
		KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_VIRT_FREED), 1UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_cached_pages(pool), 12UL);

	/*
	 * May not sleep: refused as before; its reclaim hands the kept ranges
	 * to the work item, and a contiguous request that may sleep and fails
	 * waits for their pages.
	 */
	KUNIT_EXPECT_NULL(test, vbuddy_pool_kmalloc(pool, size, GFP_ATOMIC | GFP_VIRTOK |
						    __GFP_NOWARN));
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_VIRT_ATOMIC), 1UL);
	KUNIT_EXPECT_EQ(test, READ_ONCE(pool->window->nr_kept), 0U);
	KUNIT_EXPECT_NULL(test, vbuddy_alloc_pages(pool, GFP_KERNEL | __GFP_NOWARN, 1));
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_VIRT_FREED), 3UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_cached_pages(pool), 0UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(pool), VT_POOL_PAGES / 2UL);

	/* kept at the end: the drain of virtok_test_exit() gives its pages back */
	p = vbuddy_pool_kmalloc(pool, size, gfp);
	KUNIT_ASSERT_TRUE(test, vbuddy_is_virtual(p));
	vbuddy_kfree(p);
	KUNIT_EXPECT_EQ(test, READ_ONCE(pool->window->nr_kept), 1U);
}

static struct kunit_case virtok_test_cases[] = {
	KUNIT_CASE_PARAM(virtok_test_checkerboard, virtok_orders_gen_params),
	KUNIT_CASE(virtok_test_deadlock_resolved),
	KUNIT_CASE(virtok_test_deadlock_without),
	KUNIT_CASE(virtok_test_honest_limit),
	KUNIT_CASE(virtok_test_slots_exhausted),
	KUNIT_CASE(virtok_test_refusals),
	KUNIT_CASE(virtok_test_contiguous_first),
	KUNIT_CASE(virtok_test_krealloc),
	KUNIT_CASE(virtok_test_reclaim_context),
	KUNIT_CASE(virtok_test_unmap_prompt),
	KUNIT_CASE(virtok_test_keep),
	KUNIT_CASE_PARAM(virtok_test_bad_input, virtok_bad_gen_params),
	{}
};

static struct kunit_suite virtok_test_suite = {
	.name = "vbuddy_virtok",
	.init = virtok_test_init,
	.exit = virtok_test_exit,
	.test_cases = virtok_test_cases,
};

kunit_test_suite(virtok_test_suite);
