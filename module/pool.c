// SPDX-License-Identifier: GPL-2.0
/*
 * vbuddy pools: pages taken from the kernel, handed out by the buddy core.
 *
 * Layers (a file calls only the files below it; see Documentation/design.rst):
 *
 *   main.c                    module init/exit, parameters; pool create/destroy
 *   debugfs.c  kmalloc.c      the files under debugfs; the kmalloc family
 *   pcp.c  classes.c  window.c   per-CPU caches and the page API; size classes;
 *                              the GFP_VIRTOK window
 *   pool.c                    this file: pages, the lock, lookup, stats, reports
 *   buddy.c                   the buddy core (also built in userspace)
 *
 * Locking (outermost first):
 *
 *   vbuddy_pools_lock (mutex)          the list of pools and the pfn tree:
 *                                      create, destroy, unload
 *     window->lock (mutex)             a pool's GFP_VIRTOK fallbacks and their
 *                                      unmapper (window.c)
 *       pcp->lock, objs->lock          one CPU's cache of free blocks (pcp.c),
 *       (&struct vbuddy_cpu_lock)      or of free objects (classes.c); one at a
 *                                      time, never two; their own CPU takes
 *                                      them by trylock, interrupts on
 *         pool->lock (spinlock, irqsave)   the buddy allocator and counters of
 *                                          the pool, and the state each layer
 *                                          says it guards
 *
 * Both kinds of spinlock are only held around work that neither sleeps nor
 * allocates, so every allocation and free works from any context; only a
 * GFP_VIRTOK fallback sleeps (in vmap()), and only for callers that may.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <linux/lockdep.h>
#include <linux/maple_tree.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "fault.h"
#include "pool.h"
#include "vbuddy_compat.h"
#include "vbuddy_trace.h"

/* Pools get no more pages than the core's u32 frame indices can name. */
#define VBUDDY_MAX_POOL_PAGES	BIT(30)

static DEFINE_MUTEX(vbuddy_pools_lock);
static LIST_HEAD(vbuddy_pools);		/* guarded by vbuddy_pools_lock */
struct vbuddy_pool *vbuddy_default;	/* set once at module init */

/*
 * Which pool owns a pfn: one range per chunk, so vbuddy_kfree() finds the
 * pool from a pointer alone. Written under vbuddy_pools_lock; read from any
 * context under rcu_read_lock(): in RCU mode the tree frees its nodes after
 * a grace period, and a pool is freed only after one too
 * (vbuddy_pool_unregister()), so a lookup racing a destroy reads no freed
 * memory.
 */
static struct maple_tree vbuddy_pfns = MTREE_INIT(vbuddy_pfns, MT_FLAGS_USE_RCU);

/**
 * DOC: page stamps
 *
 * A free of a kmalloc object finds its pool in O(1), from the object's
 * struct page: a page the kmalloc family hands out (a size class page, or
 * the first page of whole pages) is the pool's own, fields and all, and
 * carries a stamp in page->private, the pool's slot in vbuddy_stamped[]
 * and the frame index (vbuddy_stamp_page()). A stamp is a hint, checked
 * in full before it is believed (vbuddy_pool_of_stamp()): the slot must
 * hold a pool, and that pool's frame of that index must be this very pfn.
 * Any page can be asked, a foreign one included (its private is any
 * value, and fails the check): what fails goes to the maple tree above,
 * which knows every pool's pfns and refuses foreign ones. The slots are
 * written under vbuddy_pools_lock and read under rcu_read_lock(); a pool
 * leaves its slot before the grace period that precedes its free. Pools
 * beyond VBUDDY_STAMP_POOLS get no slot and no stamps, and use the tree.
 */
struct vbuddy_pool __rcu *vbuddy_stamped[VBUDDY_STAMP_POOLS];

const char *const vbuddy_event_names[VBUDDY_EV_NR] = {
	[VBUDDY_EV_FREE]		= "free",
	[VBUDDY_EV_BAD_INPUT]		= "bad_input",
	[VBUDDY_EV_VIRT_SERVED]		= "virt_served",
	[VBUDDY_EV_VIRT_PAGES]		= "virt_pages_mapped",
	[VBUDDY_EV_VIRT_FREED]		= "virt_freed",
	[VBUDDY_EV_VIRT_NO_PAGES]	= "virt_refused_no_pages",
	[VBUDDY_EV_VIRT_NO_SLOT]	= "virt_refused_no_slot",
	[VBUDDY_EV_VIRT_ATOMIC]		= "virt_refused_atomic",
	[VBUDDY_EV_VIRT_TOO_BIG]	= "virt_refused_too_big",
	[VBUDDY_EV_VIRT_MAP_FAILED]	= "virt_refused_map_failed",
	[VBUDDY_EV_PCP_REFILL]		= "pcp_refill",
	[VBUDDY_EV_PCP_DRAIN]		= "pcp_drain",
	[VBUDDY_EV_RECLAIM]		= "reclaim",
	[VBUDDY_EV_HELD_BACK]		= "held_back",
	[VBUDDY_EV_COMPACT_RUN]		= "compact_runs",
	[VBUDDY_EV_COMPACT_DIRECT]	= "compact_direct",
	[VBUDDY_EV_COMPACT_PROACTIVE]	= "compact_proactive",
	[VBUDDY_EV_COMPACT_DOWN]	= "compact_down",
	[VBUDDY_EV_COMPACT_DEFERRED]	= "compact_deferred",
	[VBUDDY_EV_COMPACT_SUCCESS]	= "compact_success",
	[VBUDDY_EV_COMPACT_FAIL]	= "compact_fail",
	[VBUDDY_EV_COMPACT_MOVED]	= "compact_blocks_moved",
	[VBUDDY_EV_COMPACT_PAGES]	= "compact_pages_moved",
	[VBUDDY_EV_COMPACT_PINNED]	= "compact_pinned_skips",
	[VBUDDY_EV_VIRT_REUSED]		= "virt_reused",
};

static void pool_vreport(struct vbuddy_pool *pool, gfp_t gfp, const char *fmt,
			 va_list args)
{
	static bool warned;
	struct va_format vaf;
	unsigned long flags;
	va_list copy;

	va_copy(copy, args);
	spin_lock_irqsave(&pool->lock, flags);
	pool->stats.events[VBUDDY_EV_BAD_INPUT]++;
	vscnprintf(pool->last_report, sizeof(pool->last_report), fmt, copy);
	spin_unlock_irqrestore(&pool->lock, flags);
	va_end(copy);
	if (gfp & __GFP_NOWARN)
		return;

	va_copy(copy, args);
	vaf.fmt = fmt;
	vaf.va = &copy;
	if (READ_ONCE(pool->quiet))
		pr_info("pool %s: expected report: %pV\n", pool->name, &vaf);
	else if (!xchg(&warned, true))
		WARN(1, KBUILD_MODNAME ": pool %s: %pV\n", pool->name, &vaf);
	else
		pr_err_ratelimited("pool %s: %pV\n", pool->name, &vaf);
	va_end(copy);
}

/**
 * vbuddy_report() - report a misuse of a pool, which the caller refuses
 * @pool: the pool misused
 * @fmt: what was wrong, printf style
 *
 * The first report after boot warns with a backtrace, later ones print one
 * rate-limited line each; every one is counted in the pool's stats, and the
 * last one's text is kept for vbuddy_pool_last_report(). A test that
 * provokes reports on purpose marks its pool with
 * vbuddy_pool_expect_reports(), and then they are logged at info level.
 *
 * Context: Any context, without the pool lock held.
 */
void vbuddy_report(struct vbuddy_pool *pool, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	pool_vreport(pool, 0, fmt, args);
	va_end(args);
}

/**
 * vbuddy_report_gfp() - vbuddy_report() of a request that has GFP flags
 * @pool: the pool misused
 * @gfp: the request's flags: with __GFP_NOWARN the report is counted and
 *       kept but not printed, as the page allocator stays silent about an
 *       order above its maximum then
 * @fmt: what was wrong, printf style
 *
 * Context: Any context, without the pool lock held.
 */
void vbuddy_report_gfp(struct vbuddy_pool *pool, gfp_t gfp, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	pool_vreport(pool, gfp, fmt, args);
	va_end(args);
}

/*
 * GFP flags a pool does not look at: placement and reclaim hints of the
 * page allocator that mean nothing for pages taken already.
 */
#define VBUDDY_GFP_IGNORED	(__GFP_RECLAIMABLE | __GFP_WRITE | __GFP_HARDWALL | \
				 __GFP_THISNODE | __GFP_MEMALLOC | __GFP_NOMEMALLOC | \
				 __GFP_NOLOCKDEP)

/**
 * vbuddy_pool_gfp_ok() - may a pool serve a request with these flags?
 * @pool: the pool
 * @gfp: the request's flags
 * @order: the order of the block the request needs (0 for a small object)
 *
 * Refused, with a report (silent with __GFP_NOWARN): a zone the pool's
 * pages may not lie in (a pool of ZONE_NORMAL pages cannot promise
 * GFP_DMA32), an invalid combination of zone modifiers, __GFP_ACCOUNT (a
 * pool's pages are charged once, when it is created), __GFP_COMP above
 * order 0 (vbuddy's blocks are runs of order-0 pages, never compound
 * pages), and __GFP_NOFAIL from a context that may not sleep (nothing to
 * wait for there). The full table is in Documentation/api.rst.
 *
 * Context: Any context.
 * Return: true if the request may go on.
 */
bool vbuddy_pool_gfp_ok(struct vbuddy_pool *pool, gfp_t gfp, unsigned int order)
{
	unsigned int zone_bits = (__force unsigned int)(gfp & GFP_ZONEMASK);

	if ((GFP_ZONE_BAD >> zone_bits) & 1) {
		vbuddy_report_gfp(pool, gfp, "request refused: invalid zone modifiers %#x",
				  zone_bits);
		return false;
	}
	if (gfp_zone(gfp) < pool->zone) {
		vbuddy_report_gfp(pool, gfp, "request for zone %d refused: pages of zone %d",
				  gfp_zone(gfp), pool->zone);
		return false;
	}
	if (gfp & __GFP_ACCOUNT) {
		vbuddy_report_gfp(pool, gfp, "__GFP_ACCOUNT refused: charged at creation");
		return false;
	}
	if (order && (gfp & __GFP_COMP)) {
		vbuddy_report_gfp(pool, gfp, "__GFP_COMP refused: blocks are no compound pages");
		return false;
	}
	if ((gfp & __GFP_NOFAIL) && order > pool->max_order && !(gfp & GFP_VIRTOK)) {
		vbuddy_report_gfp(pool, gfp, "__GFP_NOFAIL refused: no block of order %u, ever",
				  order);
		return false;
	}
	if ((gfp & __GFP_NOFAIL) && !gfpflags_allow_blocking(gfp)) {
		vbuddy_report_gfp(pool, gfp, "__GFP_NOFAIL refused: the caller may not sleep");
		return false;
	}
	return true;
}

/**
 * vbuddy_pool_nofail_retry() - wait a little for a __GFP_NOFAIL request
 * @pool: the pool
 * @gfp: the request's flags
 * @start: jiffies when the request began
 *
 * A __GFP_NOFAIL request that the pool cannot serve waits for frees: it
 * reclaims (pending unmaps included) and sleeps a tick, then its caller
 * tries again; every ten seconds it says that it still waits.
 *
 * Context: Process context, with a @gfp that allows blocking
 * (vbuddy_pool_gfp_ok() refused the others).
 * Return: true to try again (@gfp has __GFP_NOFAIL), else false at once.
 */
bool vbuddy_pool_nofail_retry(struct vbuddy_pool *pool, gfp_t gfp, unsigned long start)
{
	if (!(gfp & __GFP_NOFAIL))
		return false;
	if (time_after(jiffies, start + 10 * HZ))
		pr_warn_ratelimited("pool %s: a __GFP_NOFAIL request has waited %u s for a free\n",
				    pool->name, jiffies_to_msecs(jiffies - start) / 1000);
	vbuddy_pool_reclaim(pool, gfp);
	schedule_timeout_uninterruptible(1);
	return true;
}

/**
 * vbuddy_pool_count() - count one event of a pool
 * @pool: the pool
 * @ev: the event
 *
 * Context: Any context; takes the pool lock.
 */
void vbuddy_pool_count(struct vbuddy_pool *pool, enum vbuddy_event ev)
{
	unsigned long flags;

	spin_lock_irqsave(&pool->lock, flags);
	pool->stats.events[ev]++;
	spin_unlock_irqrestore(&pool->lock, flags);
}

/**
 * vbuddy_pool_alloc_failed() - count and trace a block the pool refused
 * @pool: the pool
 * @order: the order asked for
 *
 * Context: Any context; takes the pool lock.
 */
void vbuddy_pool_alloc_failed(struct vbuddy_pool *pool, unsigned int order)
{
	unsigned long flags;

	spin_lock_irqsave(&pool->lock, flags);
	pool->stats.alloc_fail[order]++;
	trace_vbuddy_alloc_fail(pool->name, order, pool->buddy.free_frames);
	spin_unlock_irqrestore(&pool->lock, flags);
}

/**
 * vbuddy_pool_contig_check() - may a pool serve a contiguous request?
 * @pool: the pool
 * @gfp: the request's flags
 * @order: the order of the block it needs
 * @func: the API function asked, for the report
 *
 * What every API that promises physically contiguous pages refuses first,
 * with a report (silent with __GFP_NOWARN): GFP_VIRTOK, whose fallback is
 * not contiguous, and an order above VBUDDY_MAX_ORDER; then whatever
 * vbuddy_pool_gfp_ok() refuses. Called through vbuddy_pool_contig_ok(),
 * which takes the common flags without a call.
 *
 * Context: Any context.
 * Return: true if the request may go on.
 */
bool vbuddy_pool_contig_check(struct vbuddy_pool *pool, gfp_t gfp, unsigned int order,
			      const char *func)
{
	if (gfp & GFP_VIRTOK) {
		vbuddy_report_gfp(pool, gfp, "GFP_VIRTOK refused: %s() promises contiguous pages",
				  func);
		return false;
	}
	if (order > VBUDDY_MAX_ORDER) {
		vbuddy_report_gfp(pool, gfp, "allocation of order %u refused: the maximum is %u",
				  order, VBUDDY_MAX_ORDER);
		return false;
	}
	return vbuddy_pool_gfp_ok(pool, gfp, order);
}

/**
 * vbuddy_pool_contig_failed() - a contiguous request found no block
 * @pool: the pool
 * @gfp: the request's flags: __GFP_NOWARN keeps it quiet
 * @order: the order asked for
 *
 * Counts and traces it (vbuddy_pool_alloc_failed()), and says so in a
 * rate-limited warning.
 *
 * Context: Any context; takes the pool lock.
 */
void vbuddy_pool_contig_failed(struct vbuddy_pool *pool, gfp_t gfp, unsigned int order)
{
	vbuddy_pool_alloc_failed(pool, order);
	if (!(gfp & __GFP_NOWARN))
		pr_warn_ratelimited("pool %s: no free block of order %u\n", pool->name, order);
}

static int chunk_cmp(const void *a, const void *b)
{
	unsigned long pa = page_to_pfn(((const struct vbuddy_chunk *)a)->page);
	unsigned long pb = page_to_pfn(((const struct vbuddy_chunk *)b)->page);

	return pa < pb ? -1 : pa > pb;
}

/*
 * Drop the pool's reference to every page of its chunks: a page someone
 * else still references lives on until they put it. Pages lost to the
 * kernel already are not ours to drop. The chunks are the buddy core's
 * spans, in order, so frame indices count up through them.
 */
static void pool_free_chunks(struct vbuddy_pool *pool)
{
	unsigned long j, idx = 0;
	unsigned int i;

	for (i = 0; i < pool->nr_chunks; i++) {
		for (j = 0; j < 1UL << pool->chunks[i].order; j++, idx++) {
			struct page *page = nth_page(pool->chunks[i].page, j);

			if (pool->lost && test_bit(idx, pool->lost))
				continue;
			set_page_private(page, 0);	/* a stamp, or a list's index */
			__free_page(page);
		}
	}
}

/*
 * Take @nr_pages from the kernel in the largest pieces it will give: each
 * order is tried until it fails, then the next smaller one. A pool is never
 * worth waking the OOM killer for: orders above 0 are asked for with
 * __GFP_NORETRY, order 0 with __GFP_RETRY_MAYFAIL (reclaim, but fail rather
 * than kill), and when even that fails everything taken goes back. The
 * pieces are chained through page->lru of their first page (ours until
 * freed) and then laid out in an array sorted by pfn, as the buddy core
 * wants its spans.
 */
static int pool_take_pages(struct vbuddy_pool *pool, unsigned long nr_pages, gfp_t flags)
{
	unsigned int order = min_t(unsigned int, VBUDDY_MAX_ORDER, MAX_PAGE_ORDER);
	struct page *page, *next;
	unsigned long left = nr_pages;
	unsigned int nr = 0, i;
	LIST_HEAD(pieces);

	while (left) {
		gfp_t gfp = flags | __GFP_NOWARN;

		while (order && (1UL << order) > left)
			order--;
		gfp |= order ? __GFP_NORETRY : __GFP_RETRY_MAYFAIL;
		page = vbuddy_kernel_pages(gfp, order);
		if (!page) {
			if (!order)
				goto nomem;
			order--;
			continue;
		}
		set_page_private(page, order);
		list_add_tail(&page->lru, &pieces);
		left -= 1UL << order;
		nr++;
	}

	pool->chunks = vbuddy_kvcalloc(nr, sizeof(*pool->chunks));
	if (!pool->chunks)
		goto nomem;
	i = 0;
	list_for_each_entry_safe(page, next, &pieces, lru) {
		list_del(&page->lru);
		pool->chunks[i].page = page;
		pool->chunks[i].order = page_private(page);
		set_page_private(page, 0);
		split_page(page, pool->chunks[i].order);
		i++;
	}
	pool->nr_chunks = nr;
	sort(pool->chunks, nr, sizeof(*pool->chunks), chunk_cmp, NULL);
	return 0;

nomem:
	list_for_each_entry_safe(page, next, &pieces, lru) {
		list_del(&page->lru);
		order = page_private(page);
		set_page_private(page, 0);
		__free_pages(page, order);
	}
	return -ENOMEM;
}

/*
 * The buddy core's region table (buddy_set_regions()), if it is no larger
 * than the pool in pages; without it (or without the memory), lookups by
 * frame number search all the pool's pieces.
 */
static void pool_regions(struct vbuddy_pool *pool)
{
	unsigned long n = buddy_regions_needed(&pool->buddy, VBUDDY_REGION_SHIFT);
	u32 *regions;

	if (n > pool->nr_pages)
		return;
	regions = kvcalloc(n, sizeof(*regions), GFP_KERNEL | __GFP_NOWARN);
	if (regions)
		buddy_set_regions(&pool->buddy, VBUDDY_REGION_SHIFT, regions, n);
}

/*
 * A pool's name names its debugfs directory: 1..VBUDDY_NAME_LEN-1
 * characters, no '/' and no control character, and neither "." nor "..".
 */
static bool pool_name_ok(const char *name)
{
	const char *c;

	if (!name || !*name || strnlen(name, VBUDDY_NAME_LEN) == VBUDDY_NAME_LEN)
		return false;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (c = name; *c; c++)
		if (*c == '/' || iscntrl(*c))
			return false;
	return true;
}

/* What vbuddy_pool_create_gfp() takes besides GFP_KERNEL. */
#define VBUDDY_POOL_GFP		(__GFP_DMA | __GFP_DMA32 | __GFP_ACCOUNT)

/**
 * vbuddy_pool_alloc() - a pool's pages and buddy allocator, not yet visible
 * @name: as for vbuddy_pool_create_gfp()
 * @nr_pages: as for vbuddy_pool_create_gfp()
 * @gfp: as for vbuddy_pool_create_gfp()
 * @placement: an enum buddy_policy, fixed for the pool's life (the policy is
 *             read without the pool lock, e.g. by the per-CPU caches)
 *
 * Context: Process context; may sleep.
 * Return: the pool, or an ERR_PTR() as vbuddy_pool_create_gfp() documents
 * (-EINVAL too for an unknown @placement).
 */
struct vbuddy_pool *vbuddy_pool_alloc(const char *name, unsigned long nr_pages, gfp_t gfp,
				      unsigned int placement)
{
	struct buddy_frame *frames;
	struct buddy_span *spans;
	unsigned long *map;
	struct vbuddy_pool *pool;
	unsigned long idx;
	unsigned int i;
	int ret;

	might_sleep();
	if (!pool_name_ok(name))
		return ERR_PTR(-EINVAL);
	if (!nr_pages || nr_pages > VBUDDY_MAX_POOL_PAGES || placement >= BUDDY_NR_POLICIES)
		return ERR_PTR(-EINVAL);
	if ((gfp & ~VBUDDY_POOL_GFP) != GFP_KERNEL ||
	    (GFP_ZONE_BAD >> (__force unsigned int)(gfp & GFP_ZONEMASK)) & 1)
		return ERR_PTR(-EINVAL);
	/* More than the machine has: no point in taking it all first. */
	if (nr_pages > totalram_pages())
		return ERR_PTR(-ENOMEM);

	pool = vbuddy_should_fail(VBUDDY_FAIL_KERNEL) ? NULL :
		kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&pool->lock);
	INIT_LIST_HEAD(&pool->node);
	strscpy(pool->name, name, sizeof(pool->name));
	pool->nr_pages = nr_pages;
	pool->zone = gfp_zone(gfp);

	ret = pool_take_pages(pool, nr_pages, gfp);
	if (ret)
		goto fail;
	ret = -ENOMEM;
	frames = vbuddy_kvcalloc(nr_pages, sizeof(*frames));
	spans = vbuddy_kvcalloc(pool->nr_chunks, sizeof(*spans));
	buddy_init(&pool->buddy, frames, nr_pages, spans, pool->nr_chunks);
	if (!frames || !spans)
		goto fail;
	pool->pfns = vbuddy_kvcalloc(nr_pages, sizeof(*pool->pfns));
	if (!pool->pfns)
		goto fail;
	for (i = 0, idx = 0; i < pool->nr_chunks; i++) {
		unsigned long pfn = page_to_pfn(pool->chunks[i].page), j;

		ret = buddy_add_span(&pool->buddy, pfn, 1U << pool->chunks[i].order);
		if (WARN_ON_ONCE(ret))
			goto fail;
		/* Spans are added by ascending pfn: their frame indices count up. */
		for (j = 0; j < 1UL << pool->chunks[i].order; j++)
			pool->pfns[idx++] = pfn + j;
		pool->max_order = max(pool->max_order, pool->chunks[i].order);
	}
	pool_regions(pool);
	if (placement != BUDDY_LIFO) {
		map = vbuddy_kvcalloc(buddy_map_words(nr_pages), sizeof(*map));
		ret = map ? buddy_set_policy(&pool->buddy, placement, map) : -ENOMEM;
		if (ret) {
			kvfree(map);
			goto fail;
		}
	}
	pool->lost = vbuddy_kvcalloc(BITS_TO_LONGS(nr_pages), sizeof(long));
	if (!pool->lost) {
		ret = -ENOMEM;
		goto fail;
	}
	return pool;

fail:
	vbuddy_pool_free(pool);
	return ERR_PTR(ret);
}

/**
 * vbuddy_pool_free() - give a pool's pages back to the kernel, and free it
 * @pool: a pool from vbuddy_pool_alloc(), unregistered; every layer's
 *        state freed already
 *
 * Context: Process context.
 */
void vbuddy_pool_free(struct vbuddy_pool *pool)
{
	if (pool->chunks)
		pool_free_chunks(pool);
	kvfree(pool->lost);
	kvfree(pool->pfns);
	kvfree(pool->buddy.regions);
	kvfree(pool->chunks);
	kvfree(pool->buddy.frames);
	kvfree(pool->buddy.spans);
	kvfree(pool->buddy.map);
	kfree(pool);
}

/**
 * vbuddy_pool_add_cache() - register a layer that keeps free pages of a pool
 * @pool: the pool, not yet registered
 * @ops: the layer's callbacks, which must outlive the pool
 *
 * Context: Process context, before vbuddy_pool_register().
 * Return: 0, or -ENOSPC when VBUDDY_MAX_CACHES layers are registered.
 */
int vbuddy_pool_add_cache(struct vbuddy_pool *pool, const struct vbuddy_cache_ops *ops)
{
	if (WARN_ON_ONCE(pool->nr_caches == VBUDDY_MAX_CACHES))
		return -ENOSPC;
	pool->caches[pool->nr_caches++] = ops;
	return 0;
}

static void pool_erase_pfns(struct vbuddy_pool *pool, unsigned int nr)
{
	lockdep_assert_held(&vbuddy_pools_lock);
	while (nr--)
		mtree_erase(&vbuddy_pfns, page_to_pfn(pool->chunks[nr].page));
}

static struct vbuddy_pool *pool_find(const char *name)
{
	struct vbuddy_pool *pool;

	lockdep_assert_held(&vbuddy_pools_lock);
	list_for_each_entry(pool, &vbuddy_pools, node)
		if (!strcmp(pool->name, name))
			return pool;
	return NULL;
}

/* A slot in vbuddy_stamped[] for @pool, if one is free: its pages get stamps. */
static void pool_take_slot(struct vbuddy_pool *pool)
{
	unsigned int slot;

	lockdep_assert_held(&vbuddy_pools_lock);
	for (slot = 0; slot < VBUDDY_STAMP_POOLS; slot++) {
		if (!rcu_access_pointer(vbuddy_stamped[slot])) {
			pool->stamp = (VBUDDY_STAMP_MAGIC + slot) << 32;
			rcu_assign_pointer(vbuddy_stamped[slot], pool);
			return;
		}
	}
}

/**
 * vbuddy_pool_register() - make a pool visible: its name, its pfns
 * @pool: a pool whose layers are all set up
 *
 * Context: Process context; may sleep.
 * Return: 0, -EEXIST if a pool of that name exists, or -ENOMEM.
 */
int vbuddy_pool_register(struct vbuddy_pool *pool)
{
	unsigned int i;
	int ret = 0;

	mutex_lock(&vbuddy_pools_lock);
	if (pool_find(pool->name)) {
		ret = -EEXIST;
		goto out;
	}
	for (i = 0; i < pool->nr_chunks; i++) {
		unsigned long pfn = page_to_pfn(pool->chunks[i].page);

		ret = vbuddy_should_fail(VBUDDY_FAIL_KERNEL) ? -ENOMEM :
			mtree_insert_range(&vbuddy_pfns, pfn,
					   pfn + (1UL << pool->chunks[i].order) - 1,
					   pool, GFP_KERNEL);
		if (ret) {
			pool_erase_pfns(pool, i);
			goto out;
		}
	}
	list_add_tail(&pool->node, &vbuddy_pools);
	pool_take_slot(pool);
out:
	mutex_unlock(&vbuddy_pools_lock);
	return ret;
}

/**
 * vbuddy_pool_unregister() - make a pool invisible again
 * @pool: a registered pool
 *
 * Once this returns, no lookup finds @pool any more.
 *
 * Context: Process context; may sleep.
 */
void vbuddy_pool_unregister(struct vbuddy_pool *pool)
{
	mutex_lock(&vbuddy_pools_lock);
	list_del_init(&pool->node);
	pool_erase_pfns(pool, pool->nr_chunks);
	if (pool->stamp)
		RCU_INIT_POINTER(vbuddy_stamped[vbuddy_stamp_slot(pool->stamp)], NULL);
	if (pool == vbuddy_default)
		WRITE_ONCE(vbuddy_default, NULL);
	mutex_unlock(&vbuddy_pools_lock);
	synchronize_rcu();	/* no vbuddy_pool_of_pfn() nor stamp still sees it */
}

/**
 * vbuddy_pool_first() - any registered pool, for unload
 *
 * Context: Process context.
 * Return: a pool, or NULL when there is none.
 */
struct vbuddy_pool *vbuddy_pool_first(void)
{
	struct vbuddy_pool *pool;

	mutex_lock(&vbuddy_pools_lock);
	pool = list_first_entry_or_null(&vbuddy_pools, struct vbuddy_pool, node);
	mutex_unlock(&vbuddy_pools_lock);
	return pool;
}

/**
 * vbuddy_pool_exit() - free what the registry keeps, at unload
 *
 * Context: Process context, once every pool is unregistered.
 */
void vbuddy_pool_exit(void)
{
	mtree_destroy(&vbuddy_pfns);
}

/**
 * vbuddy_pool_set_default() - name the pool vbuddy_kmalloc() serves from
 * @pool: a registered pool, which only unload removes
 */
void vbuddy_pool_set_default(struct vbuddy_pool *pool)
{
	WRITE_ONCE(vbuddy_default, pool);
}

/**
 * vbuddy_pool_is_default() - refuse @op on the default pool
 * @pool: a pool
 * @op: what the caller would do ("destroy"), for the report
 *
 * Return: true, with a report, if @pool is the default pool.
 */
bool vbuddy_pool_is_default(struct vbuddy_pool *pool, const char *op)
{
	if (pool != READ_ONCE(vbuddy_default))
		return false;
	vbuddy_report(pool, "%s refused: the default pool belongs to the module", op);
	return true;
}

/**
 * vbuddy_default_pool() - the pool the module creates at load time
 *
 * Context: Any context.
 * Return: the default pool, of pool_pages pages; it lives as long as the
 * module.
 */
struct vbuddy_pool *vbuddy_default_pool(void)
{
	return READ_ONCE(vbuddy_default);
}
EXPORT_SYMBOL_GPL(vbuddy_default_pool);

/**
 * vbuddy_pool_of_pfn() - the pool that owns a page frame
 * @pfn: the frame of any page (pfn_valid())
 *
 * Context: Any context, under rcu_read_lock() (which keeps the pool alive),
 * or holding an allocation of the pool (the pool cannot be destroyed then).
 * Return: the pool, or NULL if no pool owns @pfn.
 */
struct vbuddy_pool *vbuddy_pool_of_pfn(unsigned long pfn)
{
	u32 idx;

	return vbuddy_pool_of_pfn_index(pfn, &idx);
}

/**
 * vbuddy_pool_search_pfn() - vbuddy_pool_of_pfn_index() when no stamp says
 * @pfn: the frame of any page (pfn_valid())
 * @idx: where the frame index of @pfn in the pool's buddy core is stored
 *
 * The default pool first, which lives as long as the module (buddy_index(),
 * by its region table, which never changes); the maple tree of all pools
 * after.
 *
 * Context: As vbuddy_pool_of_pfn().
 * Return: the pool, or NULL if no pool owns @pfn (@idx is then unset).
 */
struct vbuddy_pool *vbuddy_pool_search_pfn(unsigned long pfn, u32 *idx)
{
	struct vbuddy_pool *pool = READ_ONCE(vbuddy_default);

	if (likely(pool) && !buddy_index(&pool->buddy, pfn, idx))
		return pool;
	pool = mtree_load(&vbuddy_pfns, pfn);
	if (pool && buddy_index(&pool->buddy, pfn, idx))
		pool = NULL;
	return pool;
}

/**
 * vbuddy_page_pool() - the pool a page belongs to
 * @page: any page
 *
 * A test hook (the benchmark times the lookup that every vbuddy_kfree()
 * starts with).
 *
 * Context: Any context.
 * Return: the pool that owns @page, or NULL.
 */
struct vbuddy_pool *vbuddy_page_pool(const struct page *page)
{
	struct vbuddy_pool *pool;

	rcu_read_lock();
	pool = vbuddy_pool_of_pfn(page_to_pfn(page));
	rcu_read_unlock();
	return pool;
}
EXPORT_SYMBOL_NS_GPL(vbuddy_page_pool, VBUDDY_INTERNAL);

/* Ask every layer that keeps free pages to give them back; the pages back. */
static unsigned long pool_reclaim_caches(struct vbuddy_pool *pool, gfp_t gfp)
{
	unsigned long pages = 0;
	unsigned int i;

	for (i = 0; i < pool->nr_caches; i++)
		if (pool->caches[i]->reclaim)
			pages += pool->caches[i]->reclaim(pool, gfp);
	return pages;
}

/**
 * vbuddy_pool_reclaim() - give every cached free page back to the pool lists
 * @pool: the pool
 * @gfp: the context of the request that asks: a layer may wait (for
 *       pending unmaps) only if it allows blocking
 *
 * What a request that the pool's free lists cannot serve does before it
 * gives up: every layer that keeps free pages gives them back, so that
 * they may merge into the block it needs.
 *
 * Context: Any context, as @gfp says.
 * Return: true if any page came back, so that trying again may help.
 */
bool vbuddy_pool_reclaim(struct vbuddy_pool *pool, gfp_t gfp)
{
	if (!pool_reclaim_caches(pool, gfp))
		return false;
	vbuddy_pool_count(pool, VBUDDY_EV_RECLAIM);
	return true;
}

/**
 * vbuddy_pool_drain() - give back every free page a pool has parked
 * @pool: the pool
 *
 * Waits until freed GFP_VIRTOK ranges are unmapped and back, then drains
 * the per-CPU caches and the size classes' empty pages: afterwards every
 * free page is on the pool's free lists, as buddyinfo shows them. Done
 * before a pool is destroyed and at unload; a test hook.
 *
 * Context: Process context; may sleep.
 */
void vbuddy_pool_drain(struct vbuddy_pool *pool)
{
	might_sleep();
	pool_reclaim_caches(pool, GFP_KERNEL);
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_drain, VBUDDY_INTERNAL);

/**
 * vbuddy_pool_expect_reports() - mark reports on a pool as provoked by a test
 * @pool: the pool
 * @quiet: true while the test provokes reports on purpose
 */
void vbuddy_pool_expect_reports(struct vbuddy_pool *pool, bool quiet)
{
	WRITE_ONCE(pool->quiet, quiet);
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_expect_reports, VBUDDY_INTERNAL);

/**
 * vbuddy_pool_last_report() - what the last report on a pool said
 * @pool: the pool
 * @buf: where the text is copied, NUL-terminated
 * @len: the size of @buf; VBUDDY_REPORT_LEN holds any report
 *
 * A test hook: bad-input tests check why a call was refused, not only
 * that it was.
 *
 * Context: Any context.
 * Return: the length of the text copied (cut to fit @buf); 0 if the pool
 * has not reported.
 */
size_t vbuddy_pool_last_report(struct vbuddy_pool *pool, char *buf, size_t len)
{
	unsigned long flags;
	ssize_t n;

	if (!len)
		return 0;
	spin_lock_irqsave(&pool->lock, flags);
	n = strscpy(buf, pool->last_report, len);
	spin_unlock_irqrestore(&pool->lock, flags);
	return n < 0 ? len - 1 : n;
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_last_report, VBUDDY_INTERNAL);

/* Frames or list entries a check looks at per hold of the pool lock. */
#define VBUDDY_CHECK_BUDGET	1024

/*
 * The buddy core's check, a span or VBUDDY_CHECK_BUDGET list entries per
 * hold of the pool lock, so that no section with interrupts off grows with
 * the pool. The lists are compared with the spans only if the pool did not
 * change during the walk: a busy pool gets three tries, and then only its
 * spans are checked (*@lists says which).
 */
static int pool_check_buddy(struct vbuddy_pool *pool, bool *lists)
{
	struct buddy_check_state st;
	unsigned long flags;
	unsigned int tries;
	bool changed;
	int ret;

	for (tries = 0; tries < 3; tries++) {
		changed = false;
		spin_lock_irqsave(&pool->lock, flags);
		buddy_check_begin(&pool->buddy, &st);
		for (;;) {
			changed |= pool->buddy.changes != st.changes;
			ret = buddy_check_step(&pool->buddy, &st, VBUDDY_CHECK_BUDGET, changed);
			spin_unlock_irqrestore(&pool->lock, flags);
			if (ret <= 0)
				break;
			cond_resched();
			spin_lock_irqsave(&pool->lock, flags);
		}
		if (ret < 0 || !changed)
			break;
	}
	*lists = !changed;
	return ret;
}

/**
 * vbuddy_pool_check_lists() - vbuddy_pool_check(), saying what it checked
 * @pool: the pool
 * @lists: set to false if the pool changed during every try, so that its
 *         free lists could not be compared with its blocks (the blocks
 *         themselves always are)
 *
 * Context: Process context; may sleep. Locks are held for a bounded time.
 * Return: 0, or -EUCLEAN (the violation is printed).
 */
int vbuddy_pool_check_lists(struct vbuddy_pool *pool, bool *lists)
{
	unsigned int i;
	int ret;

	might_sleep();
	ret = pool_check_buddy(pool, lists);
	for (i = 0; !ret && i < pool->nr_caches; i++)
		if (pool->caches[i]->check)
			ret = pool->caches[i]->check(pool);
	return ret;
}

/**
 * vbuddy_pool_check() - check a pool's invariants
 * @pool: the pool
 *
 * Runs the buddy core's checker, then each layer's own check (every block
 * on a per-CPU list an allocated block of its order marked as cached, and
 * so on). The pool lock is held for one span, or a bounded piece of a
 * list, at a time; see vbuddy_pool_check_lists().
 *
 * Context: Process context; may sleep.
 * Return: 0, or -EUCLEAN (the violation is printed).
 */
int vbuddy_pool_check(struct vbuddy_pool *pool)
{
	bool lists;

	return vbuddy_pool_check_lists(pool, &lists);
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_check, VBUDDY_INTERNAL);

/**
 * vbuddy_pool_cached_pages() - free pages of a pool held in caches
 * @pool: the pool
 *
 * Return: a snapshot of the pages on the per-CPU lists and in the empty
 * pages the size classes keep; vbuddy_pool_drain() gives them back.
 */
unsigned long vbuddy_pool_cached_pages(struct vbuddy_pool *pool)
{
	unsigned long pages = 0;
	unsigned int i;

	for (i = 0; i < pool->nr_caches; i++)
		if (pool->caches[i]->cached)
			pages += pool->caches[i]->cached(pool);
	return pages;
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_cached_pages, VBUDDY_INTERNAL);

/**
 * vbuddy_pool_free_pages() - how many pages of a pool are free
 * @pool: the pool
 *
 * Return: free pages, a snapshot: those on the pool's free lists, and the
 * cached ones (vbuddy_pool_cached_pages()); exact while the pool is idle.
 */
unsigned long vbuddy_pool_free_pages(struct vbuddy_pool *pool)
{
	unsigned long flags, nr;

	spin_lock_irqsave(&pool->lock, flags);
	nr = pool->buddy.free_frames;
	spin_unlock_irqrestore(&pool->lock, flags);
	return nr + vbuddy_pool_cached_pages(pool);
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_free_pages, VBUDDY_INTERNAL);

/**
 * vbuddy_pool_unheld_pages() - pages of a pool that no caller holds
 * @pool: the pool
 *
 * What a pool may be destroyed with: its free pages, and those freed but
 * held back for other references or lost to the kernel, none of which a
 * caller of the pool holds any more.
 *
 * Return: a snapshot, exact while the pool is idle.
 */
unsigned long vbuddy_pool_unheld_pages(struct vbuddy_pool *pool)
{
	unsigned long flags, nr;

	spin_lock_irqsave(&pool->lock, flags);
	nr = pool->held_back_pages + pool->lost_pages;
	spin_unlock_irqrestore(&pool->lock, flags);
	return nr + vbuddy_pool_free_pages(pool);
}

/**
 * vbuddy_pool_nr_pages() - how many pages a pool holds
 * @pool: the pool
 *
 * Return: the pool's size in pages, fixed at creation.
 */
unsigned long vbuddy_pool_nr_pages(struct vbuddy_pool *pool)
{
	return pool->nr_pages;
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_nr_pages, VBUDDY_INTERNAL);

/**
 * vbuddy_pool_nr_free() - free blocks per order, as /proc/buddyinfo shows
 * @pool: the pool
 * @nr_free: where the counts of orders 0..VBUDDY_MAX_ORDER are stored
 *
 * Only the pool's free lists: as the kernel's buddyinfo leaves out its
 * per-CPU lists, this leaves out vbuddy_pool_cached_pages(); call
 * vbuddy_pool_drain() first to count them.
 */
void vbuddy_pool_nr_free(struct vbuddy_pool *pool,
			 unsigned long nr_free[VBUDDY_NR_ORDERS])
{
	unsigned long flags;

	spin_lock_irqsave(&pool->lock, flags);
	memcpy(nr_free, pool->buddy.nr_free, sizeof(pool->buddy.nr_free));
	spin_unlock_irqrestore(&pool->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_nr_free, VBUDDY_INTERNAL);

/**
 * vbuddy_pool_get_stats() - a snapshot of a pool's counters
 * @pool: the pool
 * @stats: where they are copied: the pool's own, plus each layer's
 */
void vbuddy_pool_get_stats(struct vbuddy_pool *pool, struct vbuddy_stats *stats)
{
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&pool->lock, flags);
	*stats = pool->stats;
	spin_unlock_irqrestore(&pool->lock, flags);
	for (i = 0; i < pool->nr_caches; i++)
		if (pool->caches[i]->add_stats)
			pool->caches[i]->add_stats(pool, stats);
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_get_stats, VBUDDY_INTERNAL);

/**
 * vbuddy_pool_event() - one event counter of a pool
 * @pool: the pool
 * @ev: which
 *
 * Return: its value, a snapshot.
 */
unsigned long vbuddy_pool_event(struct vbuddy_pool *pool, enum vbuddy_event ev)
{
	struct vbuddy_stats st;

	vbuddy_pool_get_stats(pool, &st);
	return st.events[ev];
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_event, VBUDDY_INTERNAL);
