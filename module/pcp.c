// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU caches of small blocks, in front of the pool lock.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>

#include "vbuddy_internal.h"

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
 * Cached blocks are free: vbuddy_pool_free_pages() counts them, and a
 * request that the pool lists cannot serve (a contiguous block of any
 * order, a size class page, or a GFP_VIRTOK gather) first drains every
 * CPU's cache, and the empty size class pages, back into the pool and
 * tries again; so does vbuddy_pool_drain(), and a pool is drained before
 * it is destroyed or the module unloads. A CPU that goes offline keeps its
 * lists until such a drain: they stay reachable, nothing leaks.
 *
 * To the buddy allocator, a cached block is an allocated one. Who has it
 * is kept in a byte per frame, the owner byte of the block's first frame:
 * VBUDDY_OWN_CACHED while on a list, VBUDDY_OWN_HELD plus the order once
 * handed out, and VBUDDY_OWN_LARGE as well when handed out by
 * vbuddy_kmalloc() (whole pages, module/kmalloc.c), so that each of
 * vbuddy_free_pages() and vbuddy_kfree() takes back only its own blocks.
 * A free changes HELD to CACHED with cmpxchg(), so that of two
 * frees of one block on two CPUs exactly one succeeds: a double free, a
 * wrong order or a page that is no block's head is still refused and
 * reported, without the pool lock, and the pool stays intact.
 *
 * The size classes have per-CPU lists too, of up to ``pcp_objects`` free
 * objects each, refilled from and given back to the class pages half a
 * list at a time (see module/kmalloc.c). They share the lock of the CPU's
 * page lists, and are drained with them.
 *
 * Context: the lists' locks are spinlocks taken with interrupts disabled,
 * so the caches serve any context, as the pool does. The lock of the list
 * in use is always taken, also by its own CPU: a task may migrate between
 * choosing the list and locking it, and the list stays correct (only less
 * local), and a drain from another CPU needs no IPI, so it works in atomic
 * context too.
 */

static unsigned int pcp_high = 64;
module_param(pcp_high, uint, 0444);
MODULE_PARM_DESC(pcp_high, "pages a per-CPU list holds before it gives blocks back (default 64; 0 disables the caches)");

static unsigned int pcp_low = 16;
module_param(pcp_low, uint, 0444);
MODULE_PARM_DESC(pcp_low, "pages an empty per-CPU list is refilled with, and a full one keeps (default 16)");

static unsigned int pcp_objects = VBUDDY_MAG_MAX;
module_param(pcp_objects, uint, 0444);
MODULE_PARM_DESC(pcp_objects, "free objects a per-CPU list of a size class holds (default and most 32; 0 disables these lists)");

/* The owner byte of a block handed out; @large: as a kmalloc object. */
static inline u8 own_held(unsigned int order, bool large)
{
	return VBUDDY_OWN_HELD | (large ? VBUDDY_OWN_LARGE : 0) | order;
}

/**
 * vbuddy_pcp_init() - set up a pool's per-CPU caches
 * @pool: the pool, its buddy allocator ready, not yet visible to anyone
 *
 * Context: Process context; may sleep.
 * Return: 0 or -ENOMEM.
 */
int vbuddy_pcp_init(struct vbuddy_pool *pool)
{
	unsigned long cap = pool->nr_pages / (8UL * num_possible_cpus() * VBUDDY_PCP_ORDERS);
	unsigned int high = min_t(unsigned long, min(pcp_high, U16_MAX), cap);
	unsigned int low = min(pcp_low, high);
	unsigned int cpu, order;

	pool->owner = vbuddy_kvcalloc(pool->nr_pages, sizeof(*pool->owner));
	pool->pcp = vbuddy_should_fail(VBUDDY_FAIL_KERNEL) ? NULL :
		alloc_percpu(struct vbuddy_pcp);
	if (!pool->owner || !pool->pcp)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct vbuddy_pcp *pcp = per_cpu_ptr(pool->pcp, cpu);

		spin_lock_init(&pcp->lock);
		for (order = 0; order < VBUDDY_PCP_ORDERS; order++)
			INIT_LIST_HEAD(&pcp->lists[order]);
	}
	for (order = 0; order < VBUDDY_PCP_ORDERS; order++) {
		pool->pcp_high[order] = high >> order;
		pool->pcp_low[order] = low >> order;
		pool->pcp_batch[order] = max(low >> order, 1U);
	}
	pool->mag_max = high ? min(pcp_objects, VBUDDY_MAG_MAX) : 0;
	pool->mag_batch = max(pool->mag_max / 2U, 1U);
	return 0;
}

/**
 * vbuddy_pcp_destroy() - free a pool's per-CPU caches
 * @pool: the pool, unreachable by now; its pages go back to the kernel
 *        whether its lists hold them or not
 */
void vbuddy_pcp_destroy(struct vbuddy_pool *pool)
{
	free_percpu(pool->pcp);
	kvfree(pool->owner);
}

/* Refill @pcp's empty list of @order from the pool. */
static void pcp_refill(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
		       unsigned int order)
{
	unsigned int n;
	unsigned long pfn;
	struct page *page;
	u32 idx;

	lockdep_assert_held(&pcp->lock);
	spin_lock(&pool->lock);
	for (n = 0; n < pool->pcp_batch[order]; n++) {
		if (buddy_alloc(&pool->buddy, order, &pfn))
			break;
		buddy_index(&pool->buddy, pfn, &idx);
		pool->owner[idx] = VBUDDY_OWN_CACHED;
		page = pfn_to_page(pfn);
		set_page_private(page, idx);
		list_add_tail(&page->lru, &pcp->lists[order]);
	}
	if (n)
		pool->stats.events[VBUDDY_EV_PCP_REFILL]++;
	spin_unlock(&pool->lock);
	pcp->count[order] += n;
}

/* Give the coldest blocks of @pcp's list of @order back until @keep remain. */
static void pcp_give_back(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
			  unsigned int order, unsigned int keep)
{
	struct page *page;
	u32 idx;

	lockdep_assert_held(&pcp->lock);
	spin_lock(&pool->lock);
	while (pcp->count[order] > keep) {
		page = list_last_entry(&pcp->lists[order], struct page, lru);
		list_del(&page->lru);
		pcp->count[order]--;
		idx = page_private(page);
		set_page_private(page, 0);
		WRITE_ONCE(pool->owner[idx], VBUDDY_OWN_NONE);
		WARN_ON_ONCE(buddy_free_tagged(&pool->buddy, page_to_pfn(page), order,
					       VBUDDY_TAG_PAGES));
	}
	pool->stats.events[VBUDDY_EV_PCP_DRAIN]++;
	spin_unlock(&pool->lock);
}

/**
 * vbuddy_pcp_alloc() - a block of a cached order, from this CPU's list
 * @pool: the pool
 * @order: an order that vbuddy_pcp_serves()
 * @large: for vbuddy_kmalloc(), which frees it with vbuddy_kfree()
 *
 * Context: Any context.
 * Return: the block's first page, or NULL if neither the list nor the
 * pool's free lists have a block of @order (other CPUs' lists may).
 */
struct page *vbuddy_pcp_alloc(struct vbuddy_pool *pool, unsigned int order, bool large)
{
	struct vbuddy_pcp *pcp = raw_cpu_ptr(pool->pcp);
	unsigned long flags;
	struct page *page;

	spin_lock_irqsave(&pcp->lock, flags);
	if (unlikely(list_empty(&pcp->lists[order])))
		pcp_refill(pool, pcp, order);
	page = list_first_entry_or_null(&pcp->lists[order], struct page, lru);
	if (likely(page)) {
		list_del(&page->lru);
		pcp->count[order]--;
		pcp->alloc[order]++;
		WRITE_ONCE(pool->owner[page_private(page)], own_held(order, large));
		set_page_private(page, 0);
	}
	spin_unlock_irqrestore(&pcp->lock, flags);
	return page;
}

/* Why a free of @pfn as @order, whose owner byte was not @held, is wrong. */
static int pcp_free_error(struct vbuddy_pool *pool, unsigned long pfn,
			  unsigned int order, u32 idx, u8 held)
{
	u8 owner = READ_ONCE(pool->owner[idx]);
	unsigned long flags;
	int ret;

	if (owner == VBUDDY_OWN_CACHED)
		return -EALREADY;
	if (owner & VBUDDY_OWN_HELD)	/* a kmalloc object, or another order */
		return (owner ^ held) & VBUDDY_OWN_LARGE ? -EPERM : -EINVAL;
	spin_lock_irqsave(&pool->lock, flags);
	ret = buddy_free_check(&pool->buddy, pfn, order, VBUDDY_TAG_PAGES);
	spin_unlock_irqrestore(&pool->lock, flags);
	/*
	 * A block of this order and tag whose owner byte is NONE does not
	 * exist outside a refill or a drain, which hold the pool lock: the
	 * block was in a cache and is being taken from it again.
	 */
	return ret ?: -EALREADY;
}

/**
 * vbuddy_pcp_free() - put a block of a cached order on this CPU's list
 * @pool: the pool
 * @page: the block's first page
 * @order: an order that vbuddy_pcp_serves()
 * @large: as given to vbuddy_pcp_alloc()
 *
 * Context: Any context.
 * Return: 0, or (nothing changed) the buddy core's error for a page that is
 * not the head of a block of @order handed out by vbuddy_pcp_alloc() with
 * the same @large.
 */
int vbuddy_pcp_free(struct vbuddy_pool *pool, struct page *page, unsigned int order,
		    bool large)
{
	u32 idx;

	if (buddy_index(&pool->buddy, page_to_pfn(page), &idx))
		return -ENOENT;
	return vbuddy_pcp_free_index(pool, page, idx, order, large);
}

/**
 * vbuddy_pcp_free_index() - vbuddy_pcp_free() of a page whose frame index
 *                           the caller has found already
 * @pool: the pool
 * @page: the block's first page
 * @idx: the frame index of @page in @pool's buddy core
 * @order: an order that vbuddy_pcp_serves()
 * @large: as given to vbuddy_pcp_alloc()
 *
 * Context: Any context.
 * Return: as vbuddy_pcp_free().
 */
int vbuddy_pcp_free_index(struct vbuddy_pool *pool, struct page *page, u32 idx,
			  unsigned int order, bool large)
{
	unsigned long pfn = page_to_pfn(page), flags;
	u8 held = own_held(order, large);
	struct vbuddy_pcp *pcp;

	pcp = raw_cpu_ptr(pool->pcp);
	spin_lock_irqsave(&pcp->lock, flags);
	if (unlikely(cmpxchg(&pool->owner[idx], held, VBUDDY_OWN_CACHED) != held)) {
		spin_unlock_irqrestore(&pcp->lock, flags);
		return pcp_free_error(pool, pfn, order, idx, held);
	}
	set_page_private(page, idx);
	list_add(&page->lru, &pcp->lists[order]);
	pcp->frees++;
	if (unlikely(++pcp->count[order] > pool->pcp_high[order]))
		pcp_give_back(pool, pcp, order, pool->pcp_low[order]);
	spin_unlock_irqrestore(&pcp->lock, flags);
	return 0;
}

/**
 * vbuddy_pcp_walk() - visit every CPU's caches of a pool, each under its lock
 * @pool: the pool
 * @fn: called for each possible CPU with that CPU's &struct vbuddy_pcp and
 *      its lock held (irqsave); it may take the pool lock inside, as the
 *      lock order allows. A non-zero return ends the walk.
 * @arg: passed to @fn
 *
 * The one place that reaches into other CPUs' caches. No IPI is needed:
 * every path takes a list lock with interrupts off, whichever CPU it runs
 * on, so a remote list is as safe to touch as the local one.
 *
 * Context: Any context.
 * Return: 0 when @fn was called for every CPU, else what it returned.
 */
int vbuddy_pcp_walk(struct vbuddy_pool *pool,
		    int (*fn)(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
			      unsigned int cpu, void *arg),
		    void *arg)
{
	unsigned long flags;
	unsigned int cpu;
	int ret = 0;

	for_each_possible_cpu(cpu) {
		struct vbuddy_pcp *pcp = per_cpu_ptr(pool->pcp, cpu);

		spin_lock_irqsave(&pcp->lock, flags);
		ret = fn(pool, pcp, cpu, arg);
		spin_unlock_irqrestore(&pcp->lock, flags);
		if (ret)
			break;
	}
	return ret;
}

static int pcp_count_one(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
			 unsigned int cpu, void *pages)
{
	unsigned int order;

	lockdep_assert_held(&pcp->lock);
	for (order = 0; order < VBUDDY_PCP_ORDERS; order++)
		*(unsigned long *)pages += (unsigned long)pcp->count[order] << order;
	return 0;
}

static int pcp_drain_one(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
			 unsigned int cpu, void *pages)
{
	unsigned int order;

	pcp_count_one(pool, pcp, cpu, pages);
	for (order = 0; order < VBUDDY_PCP_ORDERS; order++)
		if (pcp->count[order])
			pcp_give_back(pool, pcp, order, 0);
	return 0;
}

/**
 * vbuddy_pcp_drain() - give every CPU's cached blocks back to the pool
 * @pool: the pool
 *
 * Context: Any context; takes each CPU's list lock in turn.
 * Return: the pages given back.
 */
unsigned long vbuddy_pcp_drain(struct vbuddy_pool *pool)
{
	unsigned long pages = 0;

	vbuddy_pcp_walk(pool, pcp_drain_one, &pages);
	return pages;
}

/**
 * vbuddy_pcp_pages() - the free pages the per-CPU caches hold
 * @pool: the pool
 *
 * Context: Any context.
 * Return: a snapshot, each CPU's lists counted under their lock.
 */
unsigned long vbuddy_pcp_pages(struct vbuddy_pool *pool)
{
	unsigned long pages = 0;

	vbuddy_pcp_walk(pool, pcp_count_one, &pages);
	return pages;
}

static int pcp_stats_one(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
			 unsigned int cpu, void *arg)
{
	struct vbuddy_stats *stats = arg;
	unsigned int order;

	lockdep_assert_held(&pcp->lock);
	for (order = 0; order < VBUDDY_PCP_ORDERS; order++)
		stats->alloc[order] += pcp->alloc[order];
	stats->events[VBUDDY_EV_FREE] += pcp->frees;
	return 0;
}

/**
 * vbuddy_pcp_add_stats() - add what the caches counted to a stats snapshot
 * @pool: the pool
 * @stats: allocations and frees the caches served are added here
 */
void vbuddy_pcp_add_stats(struct vbuddy_pool *pool, struct vbuddy_stats *stats)
{
	vbuddy_pcp_walk(pool, pcp_stats_one, stats);
}

/* Is every block and object on @pcp's lists one the pool handed to it? */
static int pcp_check_one(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
			 unsigned int cpu)
{
	unsigned int order, class, n;
	struct buddy_block blk;
	struct page *page;

	lockdep_assert_held(&pcp->lock);
	lockdep_assert_held(&pool->lock);
	for (order = 0; order < VBUDDY_PCP_ORDERS; order++) {
		n = 0;
		list_for_each_entry(page, &pcp->lists[order], lru) {
			unsigned long pfn = page_to_pfn(page);

			if (buddy_lookup(&pool->buddy, pfn, &blk) || blk.pfn != pfn ||
			    blk.state != BUDDY_USED || blk.order != order ||
			    blk.tag != VBUDDY_TAG_PAGES || blk.index != page_private(page) ||
			    pool->owner[blk.index] != VBUDDY_OWN_CACHED) {
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
	}
	for (class = 0; class < VBUDDY_NR_CLASSES; class++) {
		const struct vbuddy_mag *m = &pcp->mags[class];

		for (n = 0; n < m->n; n++) {
			const struct vbuddy_objref *ref = &m->objs[n];
			const struct vbuddy_class_page *cp = &pool->cpages[ref->idx];

			if (ref->idx >= pool->buddy.nr_frames ||
			    pool->buddy.frames[ref->idx].state != BUDDY_USED ||
			    pool->buddy.frames[ref->idx].tag != VBUDDY_TAG_CLASS ||
			    cp->class != class || !test_bit(ref->obj, cp->map) ||
			    test_bit(ref->obj, cp->held)) {
				pr_err("pool %s: cpu %u class %u: object %u of frame %u not free\n",
				       pool->name, cpu, vbuddy_class_size[class], ref->obj,
				       ref->idx);
				return -EUCLEAN;
			}
		}
	}
	return 0;
}

/* pcp_check_one() for one CPU, under the pool lock too. */
static int pcp_check_locked(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
			    unsigned int cpu, void *arg)
{
	int ret;

	spin_lock(&pool->lock);
	ret = pcp_check_one(pool, pcp, cpu);
	spin_unlock(&pool->lock);
	return ret;
}

/**
 * vbuddy_pcp_check() - check every CPU's lists against the buddy allocator
 * @pool: the pool
 *
 * Context: Any context; holds each list lock and the pool lock in turn.
 * Return: 0, or -EUCLEAN (the violation is printed).
 */
int vbuddy_pcp_check(struct vbuddy_pool *pool)
{
	return vbuddy_pcp_walk(pool, pcp_check_locked, NULL);
}
