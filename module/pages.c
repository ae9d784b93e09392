// SPDX-License-Identifier: GPL-2.0
/*
 * The page API: vbuddy_alloc_pages() and vbuddy_free_pages(), served through
 * the per-CPU caches (module/pcp.c), and what a free does with a page that
 * someone still references.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/highmem.h>
#include <linux/jiffies.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "compact.h"
#include "fault.h"
#include "pages.h"
#include "pcp.h"
#include "pool.h"
#include "vbuddy_trace.h"

/**
 * DOC: referenced pages
 *
 * The pages of a block are pages of their own (split_page()), and a caller
 * may lend them out: get_page() for I/O, vm_insert_page() into a process.
 * vbuddy never recycles a page someone still references. vbuddy_free_pages()
 * looks at every page of the block: if one has a reference besides the
 * pool's own (a refcount above one, or a mapping into a process), the block
 * is held back: it leaves the caller (a second free is a double free) but
 * not for the free lists, it is counted (``held_back_pages`` in ``stats``
 * and ``check``), and a work item looks at it again every
 * VBUDDY_HELD_BACK_RECHECK until the extra references are gone, then frees
 * it; so does every reclaim. Nothing busy-waits.
 *
 * A page whose refcount is zero when it is freed was freed to the kernel by
 * someone else, which may already have handed it out again: vbuddy reports
 * it, takes the block out of service for good (``lost_pages``) and never
 * touches that page again, not even when the pool is destroyed. A block held
 * back when its pool is destroyed goes to the kernel with the rest: the pool
 * drops its own reference, and the last holder's put_page() frees the page.
 */

/* How often blocks held back are looked at again. */
#define VBUDDY_HELD_BACK_RECHECK	msecs_to_jiffies(100)

/**
 * struct vbuddy_pages - a pool's blocks that a free could not recycle yet
 * @pool: the pool
 * @held_back: a bit per frame of the pool, set at the head of each block
 *             held back; guarded by the pool lock
 * @recheck: looks at the held-back blocks again while there are any
 */
struct vbuddy_pages {
	struct vbuddy_pool *pool;
	unsigned long *held_back;
	struct delayed_work recheck;
};

/* Does any page of the block have a reference besides the pool's? */
static __always_inline bool block_referenced(struct page *page, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < 1UL << order; i++) {
		struct page *p = nth_page(page, i);

		if (page_ref_count(p) != 1 || page_mapped(p))
			return true;
	}
	return false;
}

/* Does any page of the block have no reference at all (freed to the kernel)? */
static bool block_lost(struct page *page, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < 1UL << order; i++)
		if (!page_ref_count(nth_page(page, i)))
			return true;
	return false;
}

/* Bits of the held-back map looked at per hold of the pool lock. */
#define VBUDDY_HELD_BACK_CHUNK	4096

/*
 * Call @fn on each held-back block, @fn's result added up, a chunk of the
 * map per hold of the pool lock (@fn runs under it), so that no section with
 * interrupts off grows with the pool; rescheduling between chunks if
 * @may_sleep. A negative result ends the walk and is returned.
 */
static long pages_walk(struct vbuddy_pool *pool, bool may_sleep,
		       long (*fn)(struct vbuddy_pool *pool, unsigned long idx,
				  unsigned long pfn, struct buddy_block *blk))
{
	unsigned long flags, idx, end, pfn;
	struct buddy_block blk;
	long sum = 0, ret = 0;

	for (end = 0; ret >= 0 && end < pool->nr_pages;) {
		idx = end;
		end = min(end + VBUDDY_HELD_BACK_CHUNK, pool->nr_pages);
		spin_lock_irqsave(&pool->lock, flags);
		for_each_set_bit_from(idx, pool->pages->held_back, end) {
			if (buddy_pfn_of_index(&pool->buddy, idx, &pfn) ||
			    buddy_lookup(&pool->buddy, pfn, &blk)) {
				ret = -EUCLEAN;
				break;
			}
			ret = fn(pool, idx, pfn, &blk);
			if (ret < 0)
				break;
			sum += ret;
		}
		spin_unlock_irqrestore(&pool->lock, flags);
		if (may_sleep)
			cond_resched();
	}
	return ret < 0 ? ret : sum;
}

/*
 * Free a held-back block if its extra references are gone: the pages it
 * gave back, or 0. A page of a held-back block is the pool's and its
 * lenders' only: its refcount can only fall, and reading it needs no lock.
 */
static long recheck_one(struct vbuddy_pool *pool, unsigned long idx, unsigned long pfn,
			struct buddy_block *blk)
{
	lockdep_assert_held(&pool->lock);
	if (block_referenced(pfn_to_page(pfn), blk->order))
		return 0;
	__clear_bit(idx, pool->pages->held_back);
	pool->held_back_pages -= 1UL << blk->order;
	WARN_ON_ONCE(buddy_free_tagged(&pool->buddy, pfn, blk->order, VBUDDY_TAG_HELD_BACK));
	pool->stats.events[VBUDDY_EV_FREE]++;
	trace_vbuddy_free(pool->name, pfn, blk->order, VBUDDY_TAG_HELD_BACK);
	return 1L << blk->order;
}

/* Whether any block is still held back; a hint, read without the lock. */
static bool pages_held_back(struct vbuddy_pool *pool)
{
	return data_race(pool->held_back_pages);	/* the walk under the lock decides */
}

static void pages_recheck_work(struct work_struct *work)
{
	struct vbuddy_pages *pg = container_of(to_delayed_work(work), struct vbuddy_pages,
					       recheck);

	pages_walk(pg->pool, true, recheck_one);
	if (pages_held_back(pg->pool))
		schedule_delayed_work(&pg->recheck, VBUDDY_HELD_BACK_RECHECK);
}

/* Cache callback: held-back blocks whose references are gone come back. */
static unsigned long pages_reclaim(struct vbuddy_pool *pool, gfp_t gfp)
{
	long pages;

	if (!pages_held_back(pool))
		return 0;
	pages = pages_walk(pool, gfpflags_allow_blocking(gfp), recheck_one);
	return pages > 0 ? pages : 0;
}

/* Is this bit of the held-back map the head of a held-back block? Its pages. */
static long check_one(struct vbuddy_pool *pool, unsigned long idx, unsigned long pfn,
		      struct buddy_block *blk)
{
	if (blk->pfn != pfn || blk->state != BUDDY_USED || blk->tag != VBUDDY_TAG_HELD_BACK) {
		pr_err("pool %s: frame %lu is marked held back but is no such block\n",
		       pool->name, idx);
		return -EUCLEAN;
	}
	return 1L << blk->order;
}

/*
 * Cache callback: every bit of the held-back map heads a held-back block;
 * and, if the pool did not change meanwhile, they add up to the count.
 */
static int pages_check(struct vbuddy_pool *pool)
{
	unsigned long changes, flags, counted;
	long pages;

	spin_lock_irqsave(&pool->lock, flags);
	changes = pool->buddy.changes;
	spin_unlock_irqrestore(&pool->lock, flags);
	pages = pages_walk(pool, true, check_one);
	if (pages < 0)
		return pages;
	spin_lock_irqsave(&pool->lock, flags);
	counted = pool->held_back_pages;
	if (pool->buddy.changes != changes)
		counted = pages;	/* changed meanwhile: nothing to compare */
	spin_unlock_irqrestore(&pool->lock, flags);
	if (pages != counted) {
		pr_err("pool %s: %ld pages held back, %lu counted\n", pool->name, pages, counted);
		return -EUCLEAN;
	}
	return 0;
}

static const struct vbuddy_cache_ops pages_cache_ops = {
	.name = "pages",
	.reclaim = pages_reclaim,
	.check = pages_check,
};

/**
 * vbuddy_pages_init() - set up what the page API keeps of a pool
 * @pool: the pool, its buddy allocator ready, not yet registered
 *
 * Context: Process context; may sleep.
 * Return: 0 or -ENOMEM.
 */
int vbuddy_pages_init(struct vbuddy_pool *pool)
{
	struct vbuddy_pages *pg;

	pg = vbuddy_should_fail(VBUDDY_FAIL_KERNEL) ? NULL : kzalloc(sizeof(*pg), GFP_KERNEL);
	if (!pg)
		return -ENOMEM;
	pool->pages = pg;
	pg->pool = pool;
	INIT_DELAYED_WORK(&pg->recheck, pages_recheck_work);
	pg->held_back = vbuddy_kvcalloc(BITS_TO_LONGS(pool->nr_pages), sizeof(long));
	if (!pg->held_back)
		return -ENOMEM;
	return vbuddy_pool_add_cache(pool, &pages_cache_ops);
}

/**
 * vbuddy_pages_destroy() - free it
 * @pool: the pool, unreachable by now; held-back pages go back to the
 *        kernel with the rest (their last holder frees them)
 *
 * Context: Process context; may sleep.
 */
void vbuddy_pages_destroy(struct vbuddy_pool *pool)
{
	struct vbuddy_pages *pg = pool->pages;

	if (!pg)
		return;
	cancel_delayed_work_sync(&pg->recheck);
	kvfree(pg->held_back);
	kfree(pg);
	pool->pages = NULL;
}

/*
 * The caller's block @page of @order has references besides the pool's:
 * take it from the caller without recycling it. @lost: one of its pages
 * went back to the kernel already; take the block out of service for good.
 * Returns 0, or the buddy core's error for a block the caller does not hold.
 */
static int pages_hold_back(struct vbuddy_pool *pool, struct page *page, u32 idx,
			   unsigned int order, bool lost)
{
	struct vbuddy_pages *pg = pool->pages;
	unsigned long pfn = page_to_pfn(page), flags, i;
	u8 held = VBUDDY_OWN_HELD | order;
	int ret;

	spin_lock_irqsave(&pool->lock, flags);
	ret = buddy_free_check(&pool->buddy, pfn, order, VBUDDY_TAG_PAGES);
	/*
	 * A cached order: claim it from the caller as a free would (pcp.c),
	 * unless it was allocated around the caches (NONE, exact here).
	 */
	if (!ret && vbuddy_pcp_serves(pool, order) &&
	    vbuddy_pcp_owner(pool, idx) != VBUDDY_OWN_NONE &&
	    cmpxchg(&pool->pcp->owner[idx], held, VBUDDY_OWN_NONE) != held)
		ret = -EALREADY;
	if (!ret && lost) {
		/* The whole block is out of service; its ownerless pages untouched. */
		buddy_set_tag(&pool->buddy, pfn, VBUDDY_TAG_LOST);
		pool->lost_pages += 1UL << order;
		for (i = 0; i < 1UL << order; i++)
			if (!page_ref_count(nth_page(page, i)))
				__set_bit(idx + i, pool->lost);
	} else if (!ret) {
		buddy_set_tag(&pool->buddy, pfn, VBUDDY_TAG_HELD_BACK);
		__set_bit(idx, pg->held_back);
		pool->held_back_pages += 1UL << order;
		pool->stats.events[VBUDDY_EV_HELD_BACK]++;
	}
	spin_unlock_irqrestore(&pool->lock, flags);
	if (!ret && !lost)
		schedule_delayed_work(&pg->recheck, VBUDDY_HELD_BACK_RECHECK);
	return ret;
}

/*
 * Would a free of @pfn as @order succeed? It changes nothing; the free that
 * follows decides, and reports if it must. For a cached order the owner
 * byte is read without a lock: only a free of the block by its holder can
 * change HELD, and that is the caller's own business; NONE (a block
 * allocated around the caches, or none at all) is exact only under the
 * pool lock, so the buddy core is asked there.
 */
static bool pages_free_ok(struct vbuddy_pool *pool, unsigned long pfn, u32 idx,
			  unsigned int order)
{
	bool cached = vbuddy_pcp_serves(pool, order);
	unsigned long flags;
	int ret;

	if (cached && vbuddy_pcp_owner(pool, idx) != VBUDDY_OWN_NONE)
		return vbuddy_pcp_owner(pool, idx) == (VBUDDY_OWN_HELD | order);
	spin_lock_irqsave(&pool->lock, flags);
	ret = buddy_free_check(&pool->buddy, pfn, order, VBUDDY_TAG_PAGES);
	if (!ret && cached && vbuddy_pcp_owner(pool, idx) != VBUDDY_OWN_NONE)
		ret = -EALREADY;
	spin_unlock_irqrestore(&pool->lock, flags);
	return !ret;
}

/* A refused free of a block held back, or out of service, is a double free. */
static int pages_free_error(struct vbuddy_pool *pool, unsigned long pfn, int err)
{
	struct buddy_block blk;
	unsigned long flags;

	spin_lock_irqsave(&pool->lock, flags);
	if (!buddy_lookup(&pool->buddy, pfn, &blk) && blk.pfn == pfn &&
	    blk.state == BUDDY_USED &&
	    (blk.tag == VBUDDY_TAG_HELD_BACK || blk.tag == VBUDDY_TAG_LOST))
		err = -EALREADY;
	spin_unlock_irqrestore(&pool->lock, flags);
	return err;
}

/**
 * vbuddy_alloc_pages() - allocate 2^@order physically contiguous pages
 * @pool: the pool
 * @gfp: GFP flags, as Documentation/api.rst tabulates: __GFP_ZERO (and the
 *       init_on_alloc boot option) zeroes the pages; __GFP_NOFAIL waits for
 *       frees where the caller may sleep; __GFP_NOWARN silences the failure
 *       message and the report of a bad order; zone modifiers the pool's
 *       zone cannot satisfy, __GFP_COMP above order 0 and __GFP_ACCOUNT are
 *       refused with a report; whether the caller may sleep is checked as
 *       for alloc_pages(), but the pool sleeps only for __GFP_NOFAIL;
 *       __GFP_MOVABLE says the block is short-lived or may be moved, which
 *       the grouped placement keeps at the other end of the pool
 * @order: 0..VBUDDY_MAX_ORDER
 *
 * The block is naturally aligned: its first pfn is a multiple of 2^@order.
 * Every page of it is a page of its own (refcount 1), as after split_page().
 *
 * Context: Any context, with a @gfp that says so (GFP_ATOMIC, GFP_NOWAIT).
 * Return: the first page of the block; NULL if the pool has no free block
 * of @order or larger, or (reported) @order is above VBUDDY_MAX_ORDER, @gfp
 * has GFP_VIRTOK (which cannot give physically contiguous pages) or a flag
 * refused above.
 */
struct page *vbuddy_alloc_pages(struct vbuddy_pool *pool, gfp_t gfp,
				unsigned int order)
{
	bool movable = gfp & __GFP_MOVABLE;
	unsigned long start = jiffies;
	struct page *page;

	might_alloc(gfp & ~GFP_VIRTOK);
	if (!vbuddy_pool_contig_ok(pool, gfp, order, __func__))
		return NULL;

	do {
		if (vbuddy_should_fail(VBUDDY_FAIL_POOL)) {
			page = NULL;
		} else {
			page = vbuddy_pcp_get_block(pool, order, false, movable);
			if (!page && vbuddy_pool_reclaim(pool, gfp))
				page = vbuddy_pcp_get_block(pool, order, false, movable);
			if (!page && vbuddy_compact_direct(pool, gfp, order))
				page = vbuddy_pcp_get_block(pool, order, false, movable);
		}
	} while (!page && vbuddy_pool_nofail_retry(pool, gfp, start));
	if (!page) {
		vbuddy_pool_contig_failed(pool, gfp, order);
		return NULL;
	}
	trace_vbuddy_alloc(pool->name, page_to_pfn(page), order, VBUDDY_TAG_PAGES);

	if (want_init_on_alloc(gfp))
		vbuddy_clear_block(page, order);
	return page;
}
EXPORT_SYMBOL_GPL(vbuddy_alloc_pages);

/* Pages gathered per round of vbuddy_alloc_pages_bulk(), on its stack. */
#define VBUDDY_BULK_ROUND	32

/* Up to @nr order-0 pages into @got: the caches, a reclaim, the pool. */
static unsigned long bulk_round(struct vbuddy_pool *pool, gfp_t gfp, bool movable,
				unsigned long nr, struct page **got)
{
	unsigned long n;

	if (vbuddy_should_fail(VBUDDY_FAIL_POOL))
		return 0;
	/*
	 * Around the caches, one by one: a movable request under the grouped
	 * placement (from the movable end), or a pool without the caches.
	 */
	if ((movable && pool->buddy.policy == BUDDY_GROUPED) || !vbuddy_pcp_serves(pool, 0)) {
		for (n = 0; n < nr; n++) {
			got[n] = vbuddy_pcp_get_block(pool, 0, false, movable);
			if (!got[n])
				break;
		}
		return n;
	}
	n = vbuddy_pcp_get_bulk(pool, nr, got);
	if (n < nr && vbuddy_pool_reclaim(pool, gfp))
		n += vbuddy_pcp_get_bulk(pool, nr - n, got + n);
	return n;
}

/**
 * vbuddy_alloc_pages_bulk() - fill the empty entries of an array with pages
 * @pool: the pool
 * @gfp: as for vbuddy_alloc_pages(); __GFP_NOFAIL waits for each page the
 *       bulk path could not give, one by one
 * @nr: entries in @pages
 * @pages: the NULL entries get an order-0 page each; the others are left
 *
 * As alloc_pages_bulk_array(): many order-0 pages for one hold of this
 * CPU's cache lock and at most one of the pool lock per 64 pages, the
 * cache's own pages first. Free each page with vbuddy_free_pages(pool,
 * page, 0).
 *
 * Context: Any context, with a @gfp that says so.
 * Return: how many entries of @pages hold a page now, those that already did
 * included; fewer than @nr if the pool ran short, or 0 (reported) for a
 * flag refused as by vbuddy_alloc_pages().
 */
unsigned long vbuddy_alloc_pages_bulk(struct vbuddy_pool *pool, gfp_t gfp, unsigned long nr,
				      struct page **pages)
{
	bool movable = gfp & __GFP_MOVABLE;
	struct page *got[VBUDDY_BULK_ROUND];
	unsigned long i = 0, n, k, taken, filled = 0;

	might_alloc(gfp & ~GFP_VIRTOK);
	if (!vbuddy_pool_contig_ok(pool, gfp, 0, __func__))
		return 0;
	while (i < nr) {
		if (pages[i]) {
			filled++;
			i++;
			continue;
		}
		/* The empty entries from here on, as many as a round takes. */
		for (n = 0, k = i; k < nr && n < VBUDDY_BULK_ROUND; k++)
			n += !pages[k];
		taken = bulk_round(pool, gfp, movable, n, got);
		for (k = 0; k < taken; i++) {
			if (!pages[i]) {
				pages[i] = got[k++];
				trace_vbuddy_alloc(pool->name, page_to_pfn(pages[i]), 0,
						   VBUDDY_TAG_PAGES);
				if (want_init_on_alloc(gfp))
					vbuddy_clear_block(pages[i], 0);
			}
			filled++;
		}
		if (taken < n)
			break;		/* the pool ran short */
	}
	/* __GFP_NOFAIL: what the bulk path could not give, one by one, waiting. */
	for (; i < nr && (gfp & __GFP_NOFAIL); i++) {
		if (!pages[i])
			pages[i] = vbuddy_alloc_pages(pool, gfp, 0);
		filled += !!pages[i];
	}
	for (; i < nr; i++)
		filled += !!pages[i];
	if (filled < nr) {
		vbuddy_pool_alloc_failed(pool, 0);
		if (!(gfp & __GFP_NOWARN))
			pr_warn_ratelimited("pool %s: %lu of %lu pages for a bulk allocation\n",
					    pool->name, filled, nr);
	}
	return filled;
}
EXPORT_SYMBOL_GPL(vbuddy_alloc_pages_bulk);

/**
 * vbuddy_free_pages() - give back a block from vbuddy_alloc_pages()
 * @pool: the pool it came from
 * @page: the first page of the block, or NULL (nothing is done)
 * @order: the order it was allocated with
 *
 * A page that is not the first page of an allocated block of this pool and
 * @order, or is freed twice, is reported and the free refused; the pool is
 * left as it was. A block whose pages someone still references is held
 * back until the references are gone, and one with a page already freed to
 * the kernel is reported and taken out of service: see "referenced pages".
 * With the init_on_free boot option the pages are zeroed first.
 *
 * Context: Any context.
 */
void vbuddy_free_pages(struct vbuddy_pool *pool, struct page *page,
		       unsigned int order)
{
	unsigned long flags, pfn;
	bool lost = false;
	int ret;
	u32 idx;

	if (!page)
		return;
	pfn = page_to_pfn(page);
	ret = order > VBUDDY_MAX_ORDER ? -ERANGE : buddy_index(&pool->buddy, pfn, &idx);
	if (ret)
		goto refused;
	if (unlikely(block_referenced(page, order))) {
		lost = block_lost(page, order);
		ret = pages_hold_back(pool, page, idx, order, lost);
		if (!ret && lost)
			vbuddy_report(pool, "pfn %#lx order %u: page freed to the kernel, lost",
				      pfn, order);
		if (ret)
			goto refused;
		return;
	}
	/* init_on_free: zero what is the caller's to free, before it is free. */
	if (want_init_on_free() && pages_free_ok(pool, pfn, idx, order))
		vbuddy_clear_block(page, order);
	if (vbuddy_pcp_serves(pool, order)) {
		ret = vbuddy_pcp_free_index(pool, page, idx, order, false);
	} else {
		spin_lock_irqsave(&pool->lock, flags);
		ret = buddy_free_tagged(&pool->buddy, pfn, order, VBUDDY_TAG_PAGES);
		if (!ret)
			pool->stats.events[VBUDDY_EV_FREE]++;
		spin_unlock_irqrestore(&pool->lock, flags);
	}
	if (!ret) {
		trace_vbuddy_free(pool->name, pfn, order, VBUDDY_TAG_PAGES);
		return;
	}
refused:
	ret = pages_free_error(pool, pfn, ret);
	vbuddy_report(pool, "free of pfn %#lx order %u refused: %s", pfn, order,
		      buddy_strerror(ret));
}
EXPORT_SYMBOL_GPL(vbuddy_free_pages);

/**
 * vbuddy_pool_checkerboard() - fragment a pool: every other page free
 * @pool: the pool
 * @held: room for as many pages as the pool has free; the pages kept (those
 *        of odd pfn) are stored here, for the caller to free
 *
 * Every free page is taken as an order-0 block and those of even pfn are
 * given back: half the pages stay free and no two of them are buddies, so
 * no block of order 1 or more is left. The pool is drained at the end, so
 * every free page is on its lists. A test hook, for the tests, the demo and
 * the benchmark.
 *
 * Context: Process context; may sleep.
 * Return: how many pages were kept in @held.
 */
unsigned long vbuddy_pool_checkerboard(struct vbuddy_pool *pool, struct page **held)
{
	struct page *page, *next;
	unsigned long n = 0;
	LIST_HEAD(even);

	while ((page = vbuddy_alloc_pages(pool, GFP_KERNEL | __GFP_NOWARN, 0))) {
		if (page_to_pfn(page) % 2)
			held[n++] = page;
		else
			list_add(&page->lru, &even);	/* ours until freed */
	}
	list_for_each_entry_safe(page, next, &even, lru) {
		list_del(&page->lru);
		vbuddy_free_pages(pool, page, 0);
	}
	vbuddy_pool_drain(pool);	/* the free pages on the pool lists */
	return n;
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_checkerboard, VBUDDY_INTERNAL);
