// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite vbuddy_compact: movable blocks and compaction. Each case
 * fragments a pool with movable order-0 blocks the way the kernel's own
 * proactive-compaction test does (fill it, free three of every four), so
 * that no block of order 2 or more is free, and checks what compaction
 * makes of it: the blocks' data, pins, races, holes between spans, the
 * background worker.
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/prandom.h>
#include <linux/slab.h>

#include "../module/pool.h"
#include "vbuddy_kunit.h"

MODULE_IMPORT_NS(VBUDDY_INTERNAL);

#define CT_PAGES	1024

struct ct_fixture {
	struct vbuddy_pool *pool;
	unsigned long pages;		/* the pool's */
	unsigned long *h;		/* handles kept, 0 where freed: pages + 1 */
	u32 *tag;			/* what each kept block holds: pages + 1 */
	unsigned int n;			/* entries of h */
};

static void ct_fill(struct ct_fixture *fx, unsigned int i)
{
	u32 *p = vbuddy_map_movable(fx->h[i]);

	memset32(p, fx->tag[i], PAGE_SIZE / sizeof(u32));
	vbuddy_unmap_movable(fx->h[i]);
}

/* Does kept block @i hold its tag, in every word? */
static bool ct_intact(struct ct_fixture *fx, unsigned int i)
{
	u32 *p = vbuddy_map_movable(fx->h[i]);
	bool ok = p;
	unsigned int w;

	for (w = 0; ok && w < PAGE_SIZE / sizeof(u32); w++)
		ok = p[w] == fx->tag[i];
	if (p)
		vbuddy_unmap_movable(fx->h[i]);
	return ok;
}

static unsigned int ct_broken(struct ct_fixture *fx)
{
	unsigned int i, broken = 0;

	for (i = 0; i < fx->n; i++)
		broken += fx->h[i] && !ct_intact(fx, i);
	return broken;
}

/*
 * Every free page as a movable order-0 block, then three of every four
 * freed: the pool is left with a quarter of its pages in scattered blocks,
 * each holding a pattern of its own.
 */
static void ct_fragment(struct kunit *test, struct ct_fixture *fx)
{
	unsigned long h;
	unsigned int i;

	while (fx->n < fx->pages &&
	       (h = vbuddy_alloc_movable(fx->pool, GFP_KERNEL | __GFP_NOWARN, 0)))
		fx->h[fx->n++] = h;
	KUNIT_ASSERT_EQ(test, vbuddy_pool_free_pages(fx->pool), 0UL);
	for (i = 0; i < fx->n; i++) {
		if (i % 4) {
			vbuddy_free_movable(fx->h[i]);
			fx->h[i] = 0;
		} else {
			fx->tag[i] = 0x5eed0000 ^ (i * 2654435761U);
			ct_fill(fx, i);
		}
	}
	/* no block of order 2 (at most a page and a pair of each four) */
	KUNIT_ASSERT_NULL(test, vbuddy_alloc_pages(fx->pool, GFP_NOWAIT | __GFP_NOWARN, 2));
}

static int ct_init_pages(struct kunit *test, const char *name, unsigned long pages)
{
	struct ct_fixture *fx = kunit_kzalloc(test, sizeof(*fx), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, fx);
	fx->pages = pages;
	/* a page each, and one more block */
	fx->h = kunit_kcalloc(test, pages + 1, sizeof(*fx->h), GFP_KERNEL);
	fx->tag = kunit_kcalloc(test, pages + 1, sizeof(*fx->tag), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fx->h);
	KUNIT_ASSERT_NOT_NULL(test, fx->tag);
	fx->pool = vbuddy_pool_create(name, pages);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, fx->pool);
	/* The worker only where a case asks for it. */
	vbuddy_compact_set_proactiveness(fx->pool, 0);
	test->priv = fx;
	return 0;
}

static int compact_test_init(struct kunit *test)
{
	return ct_init_pages(test, "kunit-compact", CT_PAGES);
}

static void ct_release(struct ct_fixture *fx)
{
	while (fx->n--)
		if (fx->h[fx->n])
			vbuddy_free_movable(fx->h[fx->n]);
	fx->n = 0;
}

static void compact_test_exit(struct kunit *test)
{
	struct ct_fixture *fx = test->priv;

	if (!fx || !fx->pool)
		return;
	ct_release(fx);
	vbuddy_pool_drain(fx->pool);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(fx->pool), 0);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(fx->pool), fx->pages);
	vbuddy_pool_teardown(fx->pool);
}

/* Order-4 blocks allocated one after another until none is left; freed. */
static unsigned int ct_count_order4(struct ct_fixture *fx, gfp_t gfp)
{
	struct page **got = kcalloc(fx->pages / 16, sizeof(*got), GFP_KERNEL);
	unsigned int n = 0, i;

	if (!got)
		return 0;
	while (n < fx->pages / 16 &&
	       (got[n] = vbuddy_alloc_pages(fx->pool, gfp | __GFP_NOWARN, 4)))
		n++;
	for (i = 0; i < n; i++)
		vbuddy_free_pages(fx->pool, got[i], 4);
	kfree(got);
	return n;
}

/*
 * The target: after vbuddy_pool_compact(pool, 4), at least 90% of
 * the ideal number of order-4 blocks (free pages / 16) can be held at
 * once, and every surviving block holds its data.
 */
static void compact_test_target(struct kunit *test)
{
	struct ct_fixture *fx = test->priv;
	struct vbuddy_pool *pool = fx->pool;
	unsigned long ideal, moved, direct, nowait = 0, total = 0;
	struct page **got;

	ct_fragment(test, fx);
	ideal = vbuddy_pool_free_pages(pool) / 16;
	KUNIT_EXPECT_EQ(test, vbuddy_pool_compact(pool, 4), 0);
	moved = vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_MOVED);
	KUNIT_EXPECT_GT(test, moved, 0UL);
	KUNIT_EXPECT_EQ(test, ct_broken(fx), 0U);

	got = kunit_kcalloc(test, ideal + 1, sizeof(*got), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, got);
	/* what the first run left, then what direct compaction adds */
	while (total <= ideal &&
	       (got[total] = vbuddy_alloc_pages(pool, GFP_NOWAIT | __GFP_NOWARN, 4)))
		total++;
	nowait = total;
	/*
	 * init_on_free (the debug flavour boots with it): the block the run
	 * emptied held moved blocks' data, which must be gone.
	 */
	if (want_init_on_free() && nowait)
		KUNIT_EXPECT_NULL(test, memchr_inv(page_address(got[0]), 0, 16 * PAGE_SIZE));
	direct = vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_DIRECT);
	while (total <= ideal &&
	       (got[total] = vbuddy_alloc_pages(pool, GFP_KERNEL | __GFP_NOWARN, 4)))
		total++;
	kunit_info(test, "ideal %lu order-4 blocks; held at once %lu (%lu without direct compaction, %lu direct runs); %lu blocks moved in all\n",
		   ideal, total, nowait, vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_DIRECT) - direct,
		   vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_MOVED));
	KUNIT_EXPECT_GE(test, total * 10, ideal * 9);
	KUNIT_EXPECT_EQ(test, ct_broken(fx), 0U);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
	while (total--)
		vbuddy_free_pages(pool, got[total], 4);
}

/* Mapped blocks never move; the others still do. */
static void compact_test_pinned(struct kunit *test)
{
	struct ct_fixture *fx = test->priv;
	struct vbuddy_pool *pool = fx->pool;
	unsigned int i, pinned = 0, stayed = 0;
	void **addr;

	ct_fragment(test, fx);
	addr = kunit_kcalloc(test, fx->n, sizeof(*addr), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, addr);
	for (i = 0; i < fx->n; i += 32) {	/* every eighth kept block */
		addr[i] = vbuddy_map_movable(fx->h[i]);
		KUNIT_ASSERT_NOT_NULL(test, addr[i]);
		KUNIT_EXPECT_PTR_EQ(test, vbuddy_map_movable(fx->h[i]), addr[i]);	/* nests */
		pinned++;
	}
	KUNIT_EXPECT_EQ(test, vbuddy_pool_compact(pool, 4), 0);
	ct_count_order4(fx, GFP_KERNEL);	/* more runs, each through the pins */
	for (i = 0; i < fx->n; i += 32) {
		vbuddy_unmap_movable(fx->h[i]);
		stayed += vbuddy_map_movable(fx->h[i]) == addr[i];
		vbuddy_unmap_movable(fx->h[i]);
		vbuddy_unmap_movable(fx->h[i]);
	}
	KUNIT_EXPECT_EQ(test, stayed, pinned);
	KUNIT_EXPECT_GT(test, vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_PINNED), 0UL);
	KUNIT_EXPECT_GT(test, vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_MOVED), 0UL);
	KUNIT_EXPECT_EQ(test, ct_broken(fx), 0U);
}

struct ct_race {
	struct ct_fixture *fx;
	struct hrtimer timer;
	unsigned long irq_maps;
	unsigned long irq_bad;
	unsigned long ops;
	unsigned long bad;
	bool stop;
};

/* From a hard interrupt: map a kept block, check a word, unmap. */
static enum hrtimer_restart ct_race_irq(struct hrtimer *t)
{
	struct ct_race *r = container_of(t, struct ct_race, timer);
	struct ct_fixture *fx = r->fx;
	unsigned int i = (r->irq_maps++ % (fx->n / 8)) * 8;	/* the thread's are not */
	u32 *p = vbuddy_map_movable(fx->h[i]);

	if (!p || p[PAGE_SIZE / sizeof(u32) - 1] != fx->tag[i])
		r->irq_bad++;
	if (p)
		vbuddy_unmap_movable(fx->h[i]);
	if (READ_ONCE(r->stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(20 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

/*
 * A thread that frees and reallocates the blocks of odd quarters, rewriting
 * their pattern through a map, while the test compacts: blocks freed,
 * mapped and written during their copy.
 */
static int ct_race_thread(void *arg)
{
	struct ct_race *r = arg;
	struct ct_fixture *fx = r->fx;
	unsigned int i;

	while (!READ_ONCE(r->stop)) {
		i = (get_random_u32_below(fx->n / 8) * 2 + 1) * 4;	/* odd fourths */
		if (i >= fx->n)
			continue;
		if (fx->h[i] && !ct_intact(fx, i))
			r->bad++;
		vbuddy_free_movable(fx->h[i]);
		fx->h[i] = vbuddy_alloc_movable(fx->pool, GFP_KERNEL | __GFP_NOWARN, 0);
		if (fx->h[i]) {
			fx->tag[i] = get_random_u32();
			ct_fill(fx, i);
		}
		r->ops++;
		cond_resched();
	}
	return 0;
}

static void compact_test_race(struct kunit *test)
{
	struct ct_fixture *fx = test->priv;
	struct vbuddy_pool *pool = fx->pool;
	unsigned long end = jiffies + HZ, runs = 0;
	struct task_struct *t;
	struct ct_race r = { .fx = fx };

	ct_fragment(test, fx);
	hrtimer_init(&r.timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	r.timer.function = ct_race_irq;
	t = kthread_run(ct_race_thread, &r, "vbuddy-ct-race");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	get_task_struct(t);
	hrtimer_start(&r.timer, ns_to_ktime(20 * NSEC_PER_USEC), HRTIMER_MODE_REL_HARD);
	while (time_before(jiffies, end)) {
		vbuddy_pool_compact(pool, 1 + runs % VBUDDY_MAX_ORDER);
		ct_count_order4(fx, GFP_KERNEL);
		runs++;
		cond_resched();
	}
	WRITE_ONCE(r.stop, true);
	hrtimer_cancel(&r.timer);
	kthread_stop(t);
	put_task_struct(t);
	kunit_info(test, "%lu compactions, %lu blocks moved, %lu pinned skips; %lu frees and allocations beside them, %lu maps from interrupts\n",
		   runs, vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_MOVED),
		   vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_PINNED), r.ops, r.irq_maps);
	KUNIT_EXPECT_GT(test, r.irq_maps, 0UL);
	KUNIT_EXPECT_EQ(test, r.irq_bad, 0UL);
	KUNIT_EXPECT_EQ(test, r.bad, 0UL);
	KUNIT_EXPECT_EQ(test, ct_broken(fx), 0U);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
}

/*
 * What happens to a handle during the copy, at that very moment (the move
 * hook): a map that writes and unmaps, a map that stays, a free. Each must
 * make the move fail: the write is kept, the pinned block stays, the freed
 * one is freed once (KASAN, kmemleak). The first CT_HOOK_TIMES moves only;
 * the run goes on past them.
 */
enum ct_hook_kind { CT_HOOK_WRITE, CT_HOOK_HOLD, CT_HOOK_FREE, CT_HOOK_NR };

static const char *const ct_hook_names[CT_HOOK_NR] = {
	[CT_HOOK_WRITE] = "map, write, unmap", [CT_HOOK_HOLD] = "map and hold",
	[CT_HOOK_FREE] = "free",
};

#define CT_HOOK_TIMES	3

static struct {
	struct ct_fixture *fx;
	enum ct_hook_kind kind;
	unsigned int calls;
	unsigned int acted[CT_HOOK_TIMES];	/* the blocks acted on */
	void *held[CT_HOOK_TIMES];		/* where those held were */
} ct_hook;

static void ct_move_hook(unsigned long handle)
{
	struct ct_fixture *fx = ct_hook.fx;
	unsigned int i;

	if (ct_hook.calls >= CT_HOOK_TIMES)
		return;
	for (i = 0; i < fx->n && fx->h[i] != handle; i++)
		;
	if (i == fx->n)
		return;
	ct_hook.acted[ct_hook.calls] = i;
	switch (ct_hook.kind) {
	case CT_HOOK_WRITE:
		fx->tag[i] = ~fx->tag[i];
		ct_fill(fx, i);
		break;
	case CT_HOOK_HOLD:
		ct_hook.held[ct_hook.calls] = vbuddy_map_movable(handle);
		break;
	default:
		vbuddy_free_movable(handle);
		fx->h[i] = 0;
		break;
	}
	ct_hook.calls++;
}

static void hook_desc(const enum ct_hook_kind *kind, char *desc)
{
	strscpy(desc, ct_hook_names[*kind], KUNIT_PARAM_DESC_SIZE);
}

static const enum ct_hook_kind ct_hook_kinds[] = { CT_HOOK_WRITE, CT_HOOK_HOLD, CT_HOOK_FREE };
KUNIT_ARRAY_PARAM(ct_hook_kind, ct_hook_kinds, hook_desc);

static void compact_test_during_copy(struct kunit *test)
{
	struct ct_fixture *fx = test->priv;
	struct vbuddy_pool *pool = fx->pool;
	unsigned int k, i;

	ct_fragment(test, fx);
	ct_hook.fx = fx;
	ct_hook.kind = *(const enum ct_hook_kind *)test->param_value;
	ct_hook.calls = 0;
	vbuddy_compact_set_move_hook(ct_move_hook);
	/* three regions given up, the fourth emptied */
	KUNIT_EXPECT_EQ(test, vbuddy_pool_compact(pool, 4), 0);
	vbuddy_compact_set_move_hook(NULL);
	KUNIT_ASSERT_EQ(test, ct_hook.calls, CT_HOOK_TIMES);
	/* each failed its commit: a pinned skip, or (free) a free */
	KUNIT_EXPECT_GE(test, vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_PINNED),
			ct_hook.kind == CT_HOOK_FREE ? 0UL : (unsigned long)CT_HOOK_TIMES);
	KUNIT_EXPECT_EQ(test, ct_broken(fx), 0U);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
	for (k = 0; k < CT_HOOK_TIMES; k++) {
		i = ct_hook.acted[k];
		if (ct_hook.kind == CT_HOOK_FREE) {
			KUNIT_EXPECT_EQ(test, fx->h[i], 0UL);
		} else if (ct_hook.kind == CT_HOOK_HOLD) {
			KUNIT_EXPECT_PTR_EQ(test, vbuddy_map_movable(fx->h[i]), ct_hook.held[k]);
			vbuddy_unmap_movable(fx->h[i]);
			vbuddy_unmap_movable(fx->h[i]);		/* the hook's pin */
		}
	}
	/* and without the hook the same regions empty */
	KUNIT_EXPECT_GE(test, ct_count_order4(fx, GFP_KERNEL) * 10, fx->pages / 16 * 3 / 4 * 9);
	KUNIT_EXPECT_EQ(test, ct_broken(fx), 0U);
}

/*
 * A pool of pieces with holes between them: blocks move across them (into
 * higher pieces) and the target holds as well.
 */
static void compact_test_holes(struct kunit *test)
{
	struct ct_fixture *fx = test->priv;
	unsigned long fresh[VBUDDY_NR_ORDERS], pieces = 0, ideal, held;
	unsigned int o;

	vbuddy_pool_teardown(fx->pool);
	fx->pool = NULL;
	ct_init_pages(test, "kunit-compact-holes", 1536);	/* 1024 + 512 at most */
	fx = test->priv;
	vbuddy_pool_nr_free(fx->pool, fresh);
	for (o = 0; o < VBUDDY_NR_ORDERS; o++)
		pieces += fresh[o];
	KUNIT_ASSERT_GE(test, pieces, 2UL);
	ct_fragment(test, fx);
	ideal = vbuddy_pool_free_pages(fx->pool) / 16;
	KUNIT_EXPECT_EQ(test, vbuddy_pool_compact(fx->pool, 4), 0);
	held = ct_count_order4(fx, GFP_KERNEL);
	kunit_info(test, "%lu pieces; %lu of %lu order-4 blocks\n", pieces, held, ideal);
	KUNIT_EXPECT_GE(test, held * 10, ideal * 9);
	KUNIT_EXPECT_EQ(test, ct_broken(fx), 0U);
}

/*
 * Movable blocks at the top (the grouped placement's end) and the free
 * pages below them, among fixed ones: the pass up finds no region it could
 * empty, the pass down empties the top region into the holes below.
 */
static void compact_test_down(struct kunit *test)
{
	struct ct_fixture *fx = test->priv;
	struct vbuddy_pool *pool = fx->pool;
	unsigned long n = 0, i, movable = CT_PAGES / 4;
	struct page **fixed;

	fixed = kunit_kcalloc(test, CT_PAGES, sizeof(*fixed), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fixed);
	for (fx->n = 0; fx->n < movable; fx->n++) {
		fx->h[fx->n] = vbuddy_alloc_movable(pool, GFP_KERNEL, 0);
		KUNIT_ASSERT_NE(test, fx->h[fx->n], 0UL);
		fx->tag[fx->n] = 0xd0e00000 + fx->n;
		ct_fill(fx, fx->n);
	}
	while ((fixed[n] = vbuddy_alloc_pages(pool, GFP_KERNEL | __GFP_NOWARN, 0)))
		n++;
	vbuddy_pool_drain(pool);
	for (i = 0; i < n; i++) {		/* every other fixed page back */
		if (page_to_pfn(fixed[i]) % 2)
			continue;
		vbuddy_free_pages(pool, fixed[i], 0);
		fixed[i] = NULL;
	}
	vbuddy_pool_drain(pool);
	KUNIT_ASSERT_NULL(test, vbuddy_alloc_pages(pool, GFP_NOWAIT | __GFP_NOWARN, 1));

	KUNIT_EXPECT_EQ(test, vbuddy_pool_compact(pool, 4), 0);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_DOWN), 1UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_MOVED), 16UL);
	KUNIT_EXPECT_EQ(test, ct_broken(fx), 0U);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
	for (i = 0; i < n; i++)
		if (fixed[i])
			vbuddy_free_pages(pool, fixed[i], 0);
}

/* A request that may sleep compacts before GFP_VIRTOK maps scattered pages. */
static void compact_test_before_virtok(struct kunit *test)
{
	struct ct_fixture *fx = test->priv;
	struct vbuddy_pool *pool = fx->pool;
	unsigned long served = vbuddy_pool_event(pool, VBUDDY_EV_VIRT_SERVED);
	void *p;

	ct_fragment(test, fx);
	/* may not sleep: no compaction, the window refuses too */
	KUNIT_EXPECT_NULL(test, vbuddy_pool_kmalloc(pool, 16 * PAGE_SIZE,
						    GFP_NOWAIT | GFP_VIRTOK | __GFP_NOWARN));
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_RUN), 0UL);
	p = vbuddy_pool_kmalloc(pool, 16 * PAGE_SIZE, GFP_KERNEL | GFP_VIRTOK);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_FALSE(test, vbuddy_is_virtual(p));
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_VIRT_SERVED), served);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_DIRECT), 1UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_SUCCESS), 1UL);
	vbuddy_kfree(p);
	KUNIT_EXPECT_EQ(test, ct_broken(fx), 0U);
	/* a movable request of order 4 compacts as well */
	p = vbuddy_pool_kmalloc(pool, 16 * PAGE_SIZE, GFP_KERNEL);	/* the block made */
	KUNIT_ASSERT_NOT_NULL(test, p);
	fx->h[fx->n] = vbuddy_alloc_movable(pool, GFP_KERNEL, 4);
	KUNIT_EXPECT_NE(test, fx->h[fx->n], 0UL);
	fx->n++;
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_DIRECT), 2UL);
	vbuddy_kfree(p);
	KUNIT_EXPECT_EQ(test, ct_broken(fx), 0U);
}

/*
 * Direct compaction that cannot help (every movable block mapped) backs
 * off as the page allocator's does: after each failure at order 4 it runs
 * once per 2, 4, 8... requests. 20 requests: runs at the 1st, 3rd, 7th and
 * 15th, the other 16 deferred.
 */
static void compact_test_deferred(struct kunit *test)
{
	struct ct_fixture *fx = test->priv;
	struct vbuddy_pool *pool = fx->pool;
	unsigned int i;

	ct_fragment(test, fx);
	for (i = 0; i < fx->n; i += 4)
		KUNIT_ASSERT_NOT_NULL(test, vbuddy_map_movable(fx->h[i]));
	for (i = 0; i < 20; i++)
		KUNIT_EXPECT_NULL(test, vbuddy_alloc_pages(pool, GFP_KERNEL | __GFP_NOWARN, 4));
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_DIRECT), 4UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_DEFERRED), 16UL);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_SUCCESS), 0UL);
	/* order 3 failed nowhere yet: not deferred */
	KUNIT_EXPECT_NULL(test, vbuddy_alloc_pages(pool, GFP_KERNEL | __GFP_NOWARN, 3));
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_DIRECT), 5UL);
	for (i = 0; i < fx->n; i += 4)
		vbuddy_unmap_movable(fx->h[i]);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_compact(pool, 4), 0);
	KUNIT_EXPECT_EQ(test, ct_broken(fx), 0U);
}

/* The worker compacts a fragmented pool on its own, and stops when told. */
static void compact_test_worker(struct kunit *test)
{
	struct ct_fixture *fx = test->priv;
	struct vbuddy_pool *pool = fx->pool;
	unsigned long runs;
	int i;

	ct_fragment(test, fx);
	KUNIT_EXPECT_GT(test, vbuddy_compact_score(pool), 90U);
	/* proactiveness 100: compact above a score of 15, down to 5 */
	KUNIT_ASSERT_EQ(test, vbuddy_compact_set_proactiveness(pool, 100), 0);
	for (i = 0; i < 50 && vbuddy_compact_score(pool) > 5; i++)
		msleep(100);
	kunit_info(test, "score %u after %d ms; %lu proactive runs\n",
		   vbuddy_compact_score(pool), i * 100,
		   vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_PROACTIVE));
	KUNIT_EXPECT_LE(test, vbuddy_compact_score(pool), 5U);
	KUNIT_EXPECT_GE(test, vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_PROACTIVE), 1UL);
	KUNIT_EXPECT_EQ(test, ct_broken(fx), 0U);

	/* off: fragment again, and nothing runs */
	KUNIT_ASSERT_EQ(test, vbuddy_compact_set_proactiveness(pool, 0), 0);
	ct_release(fx);
	ct_fragment(test, fx);
	runs = vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_RUN);
	msleep(1200);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_RUN), runs);
	KUNIT_EXPECT_EQ(test, vbuddy_compact_set_proactiveness(pool, 101), -EINVAL);
}

/*
 * A pool torn down while its worker is armed or running (as at unload):
 * the worker is stopped first, the handles left are freed (KASAN and
 * kmemleak watch).
 */
static void compact_test_teardown_during_run(struct kunit *test)
{
	struct ct_fixture *fx = test->priv;
	unsigned int round;

	for (round = 0; round < 4; round++) {
		ct_fragment(test, fx);
		vbuddy_compact_set_proactiveness(fx->pool, 100);
		msleep(round * 170);	/* before, around and after the first run */
		vbuddy_pool_teardown(fx->pool);
		fx->pool = NULL;
		fx->n = 0;
		ct_init_pages(test, "kunit-compact", CT_PAGES);
		fx = test->priv;
	}
}

static void compact_test_bad_input(struct kunit *test)
{
	struct ct_fixture *fx = test->priv;
	struct vbuddy_pool *pool = fx->pool;
	unsigned long h;

	KUNIT_EXPECT_REFUSED(test, pool, "maximum", h = vbuddy_alloc_movable(pool, GFP_KERNEL, 11));
	KUNIT_EXPECT_EQ(test, h, 0UL);
	KUNIT_EXPECT_REFUSED(test, pool, "GFP_VIRTOK refused",
			     h = vbuddy_alloc_movable(pool, GFP_KERNEL | GFP_VIRTOK, 1));
	KUNIT_EXPECT_EQ(test, h, 0UL);
	KUNIT_EXPECT_REFUSED(test, pool, "compaction to order 11 refused",
			     KUNIT_EXPECT_EQ(test, vbuddy_pool_compact(pool, 11), -EINVAL));
	h = vbuddy_alloc_movable(pool, GFP_KERNEL, 0);
	KUNIT_ASSERT_NE(test, h, 0UL);
	KUNIT_EXPECT_REFUSED(test, pool, "not mapped", vbuddy_unmap_movable(h));
	KUNIT_ASSERT_NOT_NULL(test, vbuddy_map_movable(h));
	KUNIT_EXPECT_REFUSED(test, pool, "still mapped", vbuddy_free_movable(h));
	vbuddy_unmap_movable(h);
	vbuddy_free_movable(h);
	vbuddy_free_movable(0);		/* nothing, as kfree(NULL) */
	KUNIT_EXPECT_EQ(test, vbuddy_pool_compact(pool, 0), 0);
}

static struct kunit_case compact_test_cases[] = {
	KUNIT_CASE(compact_test_target),
	KUNIT_CASE(compact_test_pinned),
	KUNIT_CASE_SLOW(compact_test_race),
	KUNIT_CASE_PARAM(compact_test_during_copy, ct_hook_kind_gen_params),
	KUNIT_CASE(compact_test_holes),
	KUNIT_CASE(compact_test_down),
	KUNIT_CASE(compact_test_before_virtok),
	KUNIT_CASE(compact_test_deferred),
	KUNIT_CASE_SLOW(compact_test_worker),
	KUNIT_CASE(compact_test_teardown_during_run),
	KUNIT_CASE(compact_test_bad_input),
	{}
};

static struct kunit_suite compact_test_suite = {
	.name = "vbuddy_compact",
	.init = compact_test_init,
	.exit = compact_test_exit,
	.test_cases = compact_test_cases,
};

kunit_test_suite(compact_test_suite);
