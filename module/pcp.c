// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU caches of small blocks, in front of the pool lock. The page API
 * (module/pages.c) and kmalloc's whole-page objects are served through them.
 *
 * The owner-byte protocol
 * =======================
 *
 * To the buddy allocator, a block of a cached order (0..VBUDDY_PCP_ORDERS-1)
 * taken by the caches is allocated, whether it sits on a per-CPU list or a
 * caller holds it. Who has it is kept in one byte per frame of the pool,
 * pcp->owner[], the byte of the block's first frame:
 *
 *   NONE              the buddy allocator's word holds: the block is free on
 *                     the pool's lists, or allocated without the caches (an
 *                     order above them, a size class page, a GFP_VIRTOK page,
 *                     a movable block under the grouped placement; its buddy
 *                     tag says by whom)
 *   CACHED            on one CPU's list
 *   HELD | order      a caller of vbuddy_alloc_pages() holds it
 *   HELD | LARGE | order   a caller of vbuddy_kmalloc() holds it (whole pages)
 *
 * Every transition, and what makes it safe:
 *
 *   NONE -> CACHED    pcp_refill(): under that CPU's pcp lock and the pool
 *                     lock, in the same section as buddy_alloc() takes the
 *                     block off the free lists.
 *   CACHED -> HELD    vbuddy_pcp_get_block(): under the pcp lock of the list
 *                     the block is on; a CACHED block is reachable only
 *                     through that list, so nobody else can move it.
 *   HELD -> CACHED    vbuddy_pcp_free_index(): cmpxchg() from the exact HELD
 *                     value the free expects, under the freeing CPU's pcp
 *                     lock (which guards the list it goes on). Of two frees
 *                     of one block racing on two CPUs exactly one wins; the
 *                     other, like a free of the wrong order or of a kmalloc
 *                     object as pages, finds another value and is refused.
 *   HELD -> NONE      the same cmpxchg() under the pool lock, in the section
 *                     that frees the block to the buddy core: a free whose
 *                     CPU's list is busy (vbuddy_pcp_free_around()), or a block
 *                     held back (pages.c).
 *   CACHED -> NONE    vbuddy_pcp_give_back(): under the pcp lock of the list and the
 *                     pool lock, just before buddy_free_tagged().
 *   NONE -> HELD      vbuddy_pcp_get_bulk(), for what this CPU's list lacks:
 *                     as NONE -> CACHED -> HELD in one section, under the
 *                     pool lock, with buddy_alloc().
 *
 * A block of a cached order allocated around the caches (a movable request
 * under the grouped placement, which must come from the movable end of the
 * pool, or any request whose CPU's list is busy) stays NONE while a caller
 * holds it, and a kmalloc object of whole pages carries the buddy tag
 * VBUDDY_TAG_LARGE then; its free loses the cmpxchg() and vbuddy_pcp_free_slow()
 * frees it under the pool lock, where NONE is exact.
 *
 * Nothing else writes an owner byte. Lockless reads, each with its reason:
 * the free paths (vbuddy_pcp_free_index()'s error path, kmalloc.c's
 * free_fast()) read a byte only to choose a path or explain a refusal: the
 * cmpxchg() decides; kmalloc.c's resolve and debugfs's pagemap read it under
 * the pool lock, where a CACHED <-> HELD change under a pcp lock may still
 * race, which only a caller's own misuse (a free of a block being
 * allocated) can observe. All of them use vbuddy_pcp_owner() (READ_ONCE())
 * against the WRITE_ONCE()/cmpxchg() writers.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/list_sort.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>

#include "fault.h"
#include "pcp.h"
#include "pool.h"
#include "vbuddy_trace.h"

/**
 * DOC: per-CPU caches
 *
 * As mm/page_alloc.c keeps per-CPU lists of free pages in front of the
 * zone lock, each pool keeps, for every CPU, a list of free blocks of each
 * order 0..VBUDDY_PCP_ORDERS-1. vbuddy_alloc_pages() and
 * vbuddy_free_pages() of those orders take a block from, or put it on, the
 * list of the CPU they run on, under that list's own lock, and touch the
 * pool lock only in batches: an empty list is refilled with ``pcp_low``
 * pages' worth of blocks (at least one), and a list that grows beyond
 * ``pcp_high`` pages gives its coldest blocks back until ``pcp_low`` pages
 * remain. Both marks are module parameters, in pages, scaled down per
 * order (a list of order 2 holds a quarter as many blocks); a pool's caches
 * together never hold more than an eighth of it, so a small pool gets
 * small lists, or none for the orders where they would hold no block.
 *
 * An order-0 list that runs dry raises its own high mark, by the batch it
 * is refilled with or by what a bulk allocation found missing, as
 * mm/page_alloc.c's nr_pcp_alloc() raises pcp->high: a CPU that allocates
 * many pages before it frees them then finds them on its list next time,
 * instead of in the pool and back. The mark rises up to what the eighth of
 * the pool leaves beside the other orders' lists (at most
 * VBUDDY_PCP_HIGH_MAX blocks), and only while the pool's lists hold a
 * quarter of the pool free; a drain, and so every reclaim, puts it back.
 * A full list gives back as many blocks as one at the pool's mark would.
 *
 * Cached blocks are free: vbuddy_pool_free_pages() counts them, and a
 * request that the pool lists cannot serve (a contiguous block of any
 * order, a size class page, or a GFP_VIRTOK gather) first drains every
 * CPU's cache, and the other layers' cached pages, back into the pool and
 * tries again (vbuddy_pool_reclaim()); so does vbuddy_pool_drain(), and a
 * pool is drained before it is destroyed or the module unloads. A CPU that
 * goes offline keeps its lists until such a drain: they stay reachable,
 * nothing leaks.
 *
 * Who has a cached block is kept in an owner byte per frame (the protocol
 * is written at the top of this file): vbuddy_free_pages() and
 * vbuddy_kfree() each take back only their own blocks, and a double free,
 * a wrong order or a page that is no block's head is still refused and
 * reported, without the pool lock, and the pool stays intact.
 *
 * Context: the caches serve any context, as the pool does, without
 * masking interrupts: a list's own CPU takes its lock by trylock
 * (&struct vbuddy_cpu_lock), and an interrupt that lands in the middle of a
 * list, or a list another CPU is walking, goes around it, to the pool's
 * lists under the pool lock. The lock is always taken, also by the list's
 * own CPU, so a drain from another CPU needs no IPI; it waits for a list
 * another CPU holds only where its caller may sleep, and a drain that may
 * not (a GFP_ATOMIC request's reclaim) skips that list.
 */

/* The module parameters pcp_high and pcp_low (module/main.c), in pages. */
static unsigned int pcp_high_pages = 64;
static unsigned int pcp_low_pages = 16;

/**
 * vbuddy_pcp_setup() - the marks pools created from now on get
 * @high: pages a list may hold before it gives blocks back; 0: no caches
 * @low: pages an empty list is refilled with, and a full one keeps
 *
 * Context: Module init, before any pool exists.
 */
void vbuddy_pcp_setup(unsigned int high, unsigned int low)
{
	pcp_high_pages = high;
	pcp_low_pages = low;
}

/*
 * @pcp's list of order 0 ran dry, @nr blocks short: raise its mark by @nr,
 * up to high_max, unless the pool's lists hold less than a quarter of it.
 */
static void pcp_grow(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp, unsigned int nr)
{
	const struct vbuddy_pcp_state *st = pool->pcp;

	lockdep_assert_held(&pcp->lock.lock);
	/*
	 * A snapshot of a word the pool lock guards: a heuristic, as the page
	 * allocator's ZONE_BELOW_HIGH, which a racing change only delays.
	 */
	if (data_race(pool->buddy.free_frames) < pool->nr_pages / 4)
		return;
	pcp->high[0] = min_t(unsigned int, pcp->high[0] + nr, st->high_max);
}

/* Refill @pcp's empty list of @order from the pool. */
static void pcp_refill(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
		       unsigned int order)
{
	struct vbuddy_pcp_state *st = pool->pcp;
	unsigned long pfn, flags;
	struct page *page;
	unsigned int n;
	u32 idx;

	lockdep_assert_held(&pcp->lock.lock);
	if (!order)
		pcp_grow(pool, pcp, st->batch[0]);
	spin_lock_irqsave(&pool->lock, flags);
	for (n = 0; n < st->batch[order]; n++) {
		if (buddy_alloc(&pool->buddy, order, &pfn))
			break;
		buddy_index(&pool->buddy, pfn, &idx);
		WRITE_ONCE(st->owner[idx], VBUDDY_OWN_CACHED);
		page = pfn_to_page(pfn);
		set_page_private(page, idx);
		list_add_tail(&page->lru, &pcp->lists[order]);
	}
	if (n)
		pool->stats.events[VBUDDY_EV_PCP_REFILL]++;
	spin_unlock_irqrestore(&pool->lock, flags);
	pcp->count[order] += n;
}

static int pcp_cmp_pfn(void *priv, const struct list_head *a, const struct list_head *b)
{
	unsigned long pa = page_to_pfn(list_entry(a, struct page, lru));
	unsigned long pb = page_to_pfn(list_entry(b, struct page, lru));

	return pa > pb;
}

/*
 * Lists up to this many blocks long (any list that gives back when it
 * passes its mark, unless pcp_high puts the pool's mark above
 * VBUDDY_PCP_HIGH_MAX) are selected on the stack, not sorted.
 */
#define PCP_SELECT_MAX	(VBUDDY_PCP_HIGH_MAX + 1)

/*
 * The @k-th smallest (from 0) of @n distinct values, which it reorders:
 * quickselect, O(n) on average.
 */
static u32 select_kth(u32 *v, unsigned int n, unsigned int k)
{
	unsigned int lo = 0, hi = n - 1, i, store;
	u32 pivot;

	while (lo < hi) {
		swap(v[(lo + hi) / 2], v[hi]);	/* the middle as pivot, parked at hi */
		pivot = v[hi];
		for (store = lo, i = lo; i < hi; i++) {
			if (v[i] < pivot) {
				swap(v[i], v[store]);
				store++;
			}
		}
		swap(v[store], v[hi]);
		if (store == k)
			break;
		if (k < store)
			hi = store - 1;
		else
			lo = store + 1;
	}
	return v[k];
}

/* Give the block of @page on @pcp's list of @order back to the pool. */
static void pcp_put_back(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
			 unsigned int order, struct page *page)
{
	u32 idx = page_private(page);

	lockdep_assert_held(&pool->lock);
	list_del(&page->lru);
	pcp->count[order]--;
	set_page_private(page, 0);
	WRITE_ONCE(pool->pcp->owner[idx], VBUDDY_OWN_NONE);
	WARN_ON_ONCE(buddy_free_tagged(&pool->buddy, page_to_pfn(page), order, VBUDDY_TAG_PAGES));
}

/*
 * Give blocks of @pcp's list of @order back until @keep remain: the coldest
 * ones, or under a placement that looks at addresses the highest-addressed
 * ones, so that the caches keep the blocks that placement would hand out
 * first and give back those it wants free, the rest lowest first. The
 * highest are found by selecting the @keep-th lowest frame index (the
 * buddy core numbers frames in pfn order) of a copy on the stack, and only
 * the @keep left are sorted; a longer list (a drain keeps none) is sorted
 * whole. Either once a batch, not each free.
 */
noinline_for_stack void vbuddy_pcp_give_back(struct vbuddy_pool *pool,
					     struct vbuddy_pcp *pcp,
					     unsigned int order, unsigned int keep)
{
	unsigned int n = pcp->count[order], i = 0;
	u32 idx[PCP_SELECT_MAX], limit = U32_MAX;
	struct page *page, *next;
	unsigned long flags;

	lockdep_assert_held(&pcp->lock.lock);
	/* The policy is set before the pool is visible, and never changes. */
	if (n <= keep)
		return;
	if (pool->buddy.policy != BUDDY_LIFO && keep && n <= PCP_SELECT_MAX) {
		list_for_each_entry(page, &pcp->lists[order], lru)
			idx[i++] = page_private(page);
		limit = select_kth(idx, n, keep - 1);	/* the highest index kept */
	} else if (pool->buddy.policy != BUDDY_LIFO) {
		list_sort(NULL, &pcp->lists[order], pcp_cmp_pfn);
	}
	spin_lock_irqsave(&pool->lock, flags);
	if (limit != U32_MAX) {
		list_for_each_entry_safe(page, next, &pcp->lists[order], lru)
			if (page_private(page) > limit)
				pcp_put_back(pool, pcp, order, page);
	}
	while (pcp->count[order] > keep)
		pcp_put_back(pool, pcp, order,
			     list_last_entry(&pcp->lists[order], struct page, lru));
	pool->stats.events[VBUDDY_EV_PCP_DRAIN]++;
	spin_unlock_irqrestore(&pool->lock, flags);
	/* The blocks kept, lowest first: the order the placement hands them out. */
	if (limit != U32_MAX)
		list_sort(NULL, &pcp->lists[order], pcp_cmp_pfn);
}

/* A block from the pool's lists, around the caches; tagged if @large. */
static struct page *pcp_alloc_around(struct vbuddy_pool *pool, unsigned int order,
				     bool large, bool movable)
{
	unsigned long flags, pfn;
	u32 idx;
	int ret;

	spin_lock_irqsave(&pool->lock, flags);
	ret = buddy_alloc_hint(&pool->buddy, order, movable, &pfn);
	if (!ret) {
		if (large)
			buddy_set_tag(&pool->buddy, pfn, VBUDDY_TAG_LARGE);
		pool->stats.alloc[order]++;
	}
	spin_unlock_irqrestore(&pool->lock, flags);
	if (ret)
		return NULL;
	/* A kmalloc object's head is stamped; a caller's page has a clear private. */
	if (!large)
		set_page_private(pfn_to_page(pfn), 0);
	else if (!buddy_index(&pool->buddy, pfn, &idx))
		vbuddy_stamp_page(pool, pfn_to_page(pfn), idx);
	return pfn_to_page(pfn);
}

/**
 * vbuddy_pcp_alloc_slow() - what vbuddy_pcp_get_block() does not inline
 * @pool: the pool
 * @pcp: this CPU's lists, locked, the list of @order empty (refilled here,
 *       and unlocked); or NULL: an order or a request the caches do not
 *       serve, or this CPU's lists busy (a block from the pool's lists)
 * @order: as for vbuddy_pcp_get_block()
 * @large: as for vbuddy_pcp_get_block()
 * @movable: as for vbuddy_pcp_get_block(), already ANDed with the grouped
 *           placement
 *
 * Context: Any context.
 * Return: as vbuddy_pcp_get_block().
 */
struct page *vbuddy_pcp_alloc_slow(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
				   unsigned int order, bool large, bool movable)
{
	struct page *page;

	if (!pcp)
		return pcp_alloc_around(pool, order, large, movable);
	pcp_refill(pool, pcp, order);
	page = list_first_entry_or_null(&pcp->lists[order], struct page, lru);
	if (likely(page))
		vbuddy_pcp_take(pool, pcp, page, order, large);
	vbuddy_cpu_unlock(&pcp->lock);
	return page;
}

/* Pages of a bulk allocation per hold of the pool lock, which keeps interrupts off. */
#define VBUDDY_BULK_CHUNK	64

/* An order-0 block the pool's lists gave a bulk allocation, handed to its caller. */
static struct page *bulk_hand_out(struct vbuddy_pool *pool, unsigned long pfn)
{
	struct page *page = pfn_to_page(pfn);
	u32 idx;

	lockdep_assert_held(&pool->lock);
	buddy_index(&pool->buddy, pfn, &idx);
	WRITE_ONCE(pool->pcp->owner[idx], vbuddy_own_held(0, false));
	set_page_private(page, 0);
	pool->stats.alloc[0]++;
	return page;
}

/*
 * Up to @nr (at most VBUDDY_BULK_CHUNK) order-0 pages, in one hold: this
 * CPU's list first, then what it lacks from the pool's lists in one go
 * with buddy_gather() (whole free blocks, smallest first, each page an
 * order-0 block of its own: one split per block, not per page), or page
 * by page when fewer are free.
 */
static unsigned long pcp_bulk_chunk(struct vbuddy_pool *pool, unsigned long nr,
				    struct page **pages)
{
	unsigned long pfns[VBUDDY_BULK_CHUNK], flags, pfn, n = 0, k, want;
	struct vbuddy_pcp_state *st = pool->pcp;
	struct vbuddy_pcp *pcp;
	struct page *page;

	pcp = vbuddy_cpu_trylock(st->cpu);
	if (likely(pcp)) {
		while (n < nr &&
		       (page = list_first_entry_or_null(&pcp->lists[0], struct page, lru))) {
			vbuddy_pcp_take(pool, pcp, page, 0, false);
			pages[n++] = page;
		}
		if (n < nr)
			pcp_grow(pool, pcp, nr - n);
		vbuddy_cpu_unlock(&pcp->lock);
	}
	if (n < nr) {
		want = nr - n;
		spin_lock_irqsave(&pool->lock, flags);
		if (want <= pool->buddy.free_frames && !buddy_gather(&pool->buddy, want, pfns)) {
			for (k = 0; k < want; k++)
				pages[n++] = bulk_hand_out(pool, pfns[k]);
		}
		for (; n < nr && !buddy_alloc(&pool->buddy, 0, &pfn); n++)
			pages[n] = bulk_hand_out(pool, pfn);
		spin_unlock_irqrestore(&pool->lock, flags);
	}
	return n;
}

/**
 * vbuddy_pcp_get_bulk() - up to @nr order-0 pages, this CPU's list first
 * @pool: the pool, whose caches serve order 0
 * @nr: how many
 * @pages: where they go, one after another
 *
 * A hold of this CPU's list lock per VBUDDY_BULK_CHUNK pages, and after it
 * at most one of the pool lock for what the list lacks: those pages go to
 * the caller straight from the pool's lists, without passing the list.
 *
 * Context: Any context.
 * Return: how many were stored; fewer than @nr when the pool runs short.
 */
unsigned long vbuddy_pcp_get_bulk(struct vbuddy_pool *pool, unsigned long nr,
				  struct page **pages)
{
	unsigned long n = 0, want, got;

	while (n < nr) {
		want = min(nr - n, (unsigned long)VBUDDY_BULK_CHUNK);
		got = pcp_bulk_chunk(pool, want, pages + n);
		n += got;
		if (got < want)
			break;
	}
	return n;
}

/*
 * A free of @pfn as @order whose owner byte was not @held: the block was
 * allocated around the caches (vbuddy_pcp_get_block() of a movable block),
 * and is freed here, or
 * the free is wrong, and the reason is returned.
 */
int vbuddy_pcp_free_slow(struct vbuddy_pool *pool, unsigned long pfn,
			 unsigned int order, u32 idx, u8 held)
{
	u8 owner = vbuddy_pcp_owner(pool, idx);	/* explains a lost cmpxchg() */
	unsigned long flags;
	int ret;

	if (owner == VBUDDY_OWN_CACHED)
		return -EALREADY;
	if (owner & VBUDDY_OWN_HELD)	/* a kmalloc object, or another order */
		return (owner ^ held) & VBUDDY_OWN_LARGE ? -EPERM : -EINVAL;
	/*
	 * Under the pool lock an owner byte is NONE only for a block outside
	 * the caches (refills and drains change it with the block's buddy
	 * state, under this lock): if the buddy core has it allocated as
	 * pages, it was allocated around the caches. Large kmalloc objects
	 * never are.
	 */
	spin_lock_irqsave(&pool->lock, flags);
	owner = vbuddy_pcp_owner(pool, idx);
	if (owner != VBUDDY_OWN_NONE)
		ret = -EALREADY;
	else if (held & VBUDDY_OWN_LARGE)
		ret = buddy_free_check(&pool->buddy, pfn, order, VBUDDY_TAG_PAGES) ?: -EPERM;
	else
		ret = buddy_free_tagged(&pool->buddy, pfn, order, VBUDDY_TAG_PAGES);
	if (!ret)
		pool->stats.events[VBUDDY_EV_FREE]++;
	spin_unlock_irqrestore(&pool->lock, flags);
	return ret;
}

/*
 * A free whose CPU's list is busy: straight to the pool's lists, the owner
 * byte claimed from the caller (HELD -> NONE) under the pool lock.
 */
int vbuddy_pcp_free_around(struct vbuddy_pool *pool, unsigned long pfn,
			   unsigned int order, u32 idx, u8 held)
{
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&pool->lock, flags);
	if (cmpxchg(&pool->pcp->owner[idx], held, VBUDDY_OWN_NONE) != held) {
		spin_unlock_irqrestore(&pool->lock, flags);
		return vbuddy_pcp_free_slow(pool, pfn, order, idx, held);
	}
	set_page_private(pfn_to_page(pfn), 0);	/* a kmalloc object's stamp */
	ret = buddy_free_tagged(&pool->buddy, pfn, order, VBUDDY_TAG_PAGES);
	WARN_ON_ONCE(ret);	/* a HELD block is allocated to the core */
	if (!ret)
		pool->stats.events[VBUDDY_EV_FREE]++;
	spin_unlock_irqrestore(&pool->lock, flags);
	return ret;
}

/**
 * vbuddy_pcp_walk() - visit every CPU's cache of a pool, each under its lock
 * @pool: the pool
 * @fn: called for each possible CPU with that CPU's &struct vbuddy_pcp and
 *      its lock held; it may take the pool lock inside (irqsave), as the
 *      lock order allows. A non-zero return ends the walk.
 * @arg: passed to @fn
 * @wait: the caller may sleep: wait for lists another CPU holds
 *
 * The one place that reaches into other CPUs' caches. No IPI is needed:
 * every path locks a list, also its own CPU, so a remote list is as safe to
 * touch as the local one. A list vbuddy_cpu_lock_any() does not take (this
 * CPU's, interrupted in its middle; without @wait, one another CPU holds)
 * is skipped.
 *
 * Context: Any context; @wait only where the caller may sleep.
 * Return: 0 when @fn was called for every CPU it took, else what it
 * returned.
 */
int vbuddy_pcp_walk(struct vbuddy_pool *pool,
		    int (*fn)(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
			      unsigned int cpu, void *arg),
		    void *arg, bool wait)
{
	unsigned int cpu;
	int ret = 0;

	for_each_possible_cpu(cpu) {
		struct vbuddy_pcp *pcp = per_cpu_ptr(pool->pcp->cpu, cpu);

		if (!vbuddy_cpu_lock_any(&pcp->lock, cpu, wait))
			continue;
		ret = fn(pool, pcp, cpu, arg);
		vbuddy_cpu_unlock_any(&pcp->lock, cpu);
		if (ret)
			break;
	}
	return ret;
}

/* The pages on @pcp's lists; under its lock, or as a snapshot without. */
static unsigned long pcp_pages(const struct vbuddy_pcp *pcp)
{
	unsigned long pages = 0;
	unsigned int order;

	for (order = 0; order < VBUDDY_PCP_ORDERS; order++) {
		/* A count is a word its CPU writes under the lock: a snapshot may race. */
		pages += (unsigned long)data_race(pcp->count[order]) << order;
	}
	return pages;
}

static int pcp_drain_one(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
			 unsigned int cpu, void *pages)
{
	unsigned int order;

	lockdep_assert_held(&pcp->lock.lock);
	*(unsigned long *)pages += pcp_pages(pcp);
	for (order = 0; order < VBUDDY_PCP_ORDERS; order++)
		if (pcp->count[order])
			vbuddy_pcp_give_back(pool, pcp, order, 0);
	pcp->high[0] = pool->pcp->high[0];	/* a mark raised goes back */
	return 0;
}

/*
 * Cache callback: every CPU's cached blocks back to the pool; the pages.
 * A caller that may not sleep skips the lists another CPU holds.
 */
static unsigned long pcp_reclaim(struct vbuddy_pool *pool, gfp_t gfp)
{
	unsigned long pages = 0;

	vbuddy_pcp_walk(pool, pcp_drain_one, &pages, gfpflags_allow_blocking(gfp));
	return pages;
}

/* Cache callback: the free pages the caches hold, a snapshot without locks. */
static unsigned long pcp_cached(struct vbuddy_pool *pool)
{
	unsigned long pages = 0;
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		pages += pcp_pages(per_cpu_ptr(pool->pcp->cpu, cpu));
	return pages;
}

/*
 * Cache callback: allocations and frees the caches served, a snapshot
 * without locks (each counter a word its CPU writes under its lock).
 */
static void pcp_add_stats(struct vbuddy_pool *pool, struct vbuddy_stats *stats)
{
	unsigned int cpu, order;

	for_each_possible_cpu(cpu) {
		struct vbuddy_pcp *pcp = per_cpu_ptr(pool->pcp->cpu, cpu);

		for (order = 0; order < VBUDDY_PCP_ORDERS; order++) {
			/* A snapshot: the word may race the allocation that bumps it. */
			stats->alloc[order] += data_race(pcp->alloc[order]);
		}
		/* Likewise for the frees. */
		stats->events[VBUDDY_EV_FREE] += data_race(pcp->frees);
	}
}

/* Is every block on @pcp's list of @order one the pool handed to it? */
static int pcp_check_list(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
			  unsigned int cpu, unsigned int order)
{
	struct buddy_block blk;
	struct page *page;
	unsigned int n = 0;

	lockdep_assert_held(&pcp->lock.lock);
	lockdep_assert_held(&pool->lock);
	list_for_each_entry(page, &pcp->lists[order], lru) {
		unsigned long pfn = page_to_pfn(page);

		if (buddy_lookup(&pool->buddy, pfn, &blk) || blk.pfn != pfn ||
		    blk.state != BUDDY_USED || blk.order != order ||
		    blk.tag != VBUDDY_TAG_PAGES || blk.index != page_private(page) ||
		    vbuddy_pcp_owner(pool, blk.index) != VBUDDY_OWN_CACHED) {
			pr_err("pool %s: cpu %u order %u: pfn %#lx is no cached block\n",
			       pool->name, cpu, order, pfn);
			return -EUCLEAN;
		}
		if (++n > pcp->count[order])
			break;
	}
	if (n != pcp->count[order]) {
		pr_err("pool %s: cpu %u order %u: count %u, list of %u\n",
		       pool->name, cpu, order, pcp->count[order], n);
		return -EUCLEAN;
	}
	return 0;
}

static int pcp_check_one(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
			 unsigned int cpu, void *arg)
{
	unsigned long flags;
	unsigned int order;
	int ret = 0;

	spin_lock_irqsave(&pool->lock, flags);
	for (order = 0; !ret && order < VBUDDY_PCP_ORDERS; order++)
		ret = pcp_check_list(pool, pcp, cpu, order);
	spin_unlock_irqrestore(&pool->lock, flags);
	return ret;
}

/* Cache callback: every CPU's lists against the buddy allocator. */
static int pcp_check(struct vbuddy_pool *pool)
{
	return vbuddy_pcp_walk(pool, pcp_check_one, NULL, true);	/* process context */
}

static const struct vbuddy_cache_ops pcp_cache_ops = {
	.name = "pcp",
	.reclaim = pcp_reclaim,
	.cached = pcp_cached,
	.add_stats = pcp_add_stats,
	.check = pcp_check,
};

/**
 * vbuddy_pcp_init() - set up a pool's per-CPU caches
 * @pool: the pool, its buddy allocator ready, not yet registered
 *
 * Context: Process context; may sleep.
 * Return: 0 or -ENOMEM.
 */
int vbuddy_pcp_init(struct vbuddy_pool *pool)
{
	unsigned long cap = pool->nr_pages / (8UL * num_possible_cpus() * VBUDDY_PCP_ORDERS);
	unsigned long share;
	unsigned int high = min_t(unsigned long, min(pcp_high_pages, U16_MAX), cap);
	/* A give-back is a batch: a full list keeps at most half of it. */
	unsigned int low = min(pcp_low_pages, high / 2);
	struct vbuddy_pcp_state *st;
	unsigned int cpu, order, others = 0;

	st = vbuddy_should_fail(VBUDDY_FAIL_KERNEL) ? NULL : kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	pool->pcp = st;
	st->owner = vbuddy_kvcalloc(pool->nr_pages, sizeof(*st->owner));
	st->cpu = vbuddy_should_fail(VBUDDY_FAIL_KERNEL) ? NULL :
		alloc_percpu(struct vbuddy_pcp);
	if (!st->owner || !st->cpu)
		return -ENOMEM;
	for (order = 0; order < VBUDDY_PCP_ORDERS; order++) {
		st->high[order] = high >> order;
		st->low[order] = low >> order;
		st->batch[order] = max(low >> order, 1U);
		if (order)
			others += st->high[order] << order;
	}
	/* Order 0 may rise into what the CPU's share of an eighth leaves. */
	share = pool->nr_pages / (8UL * num_possible_cpus());
	share = min_t(unsigned long, share - min_t(unsigned long, share, others),
		      VBUDDY_PCP_HIGH_MAX);
	st->high_max = st->high[0] ? max_t(unsigned long, share, st->high[0]) : 0;
	for_each_possible_cpu(cpu) {
		struct vbuddy_pcp *pcp = per_cpu_ptr(st->cpu, cpu);

		spin_lock_init(&pcp->lock.lock);
		for (order = 0; order < VBUDDY_PCP_ORDERS; order++) {
			INIT_LIST_HEAD(&pcp->lists[order]);
			pcp->high[order] = st->high[order];
		}
	}
	return vbuddy_pool_add_cache(pool, &pcp_cache_ops);
}

/**
 * vbuddy_pcp_destroy() - free a pool's per-CPU caches
 * @pool: the pool, unreachable by now; its pages go back to the kernel
 *        whether its lists hold them or not
 */
void vbuddy_pcp_destroy(struct vbuddy_pool *pool)
{
	struct vbuddy_pcp_state *st = pool->pcp;

	if (!st)
		return;
	free_percpu(st->cpu);
	kvfree(st->owner);
	kfree(st);
	pool->pcp = NULL;
}
