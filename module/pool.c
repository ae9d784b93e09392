// SPDX-License-Identifier: GPL-2.0
/*
 * vbuddy pools: pages taken from the kernel, handed out by the buddy core.
 *
 * Locking (outermost first):
 *
 *   vbuddy_pools_lock (mutex)        the list of pools; create, destroy, unload
 *     pool->virt_lock (mutex)        GFP_VIRTOK fallbacks and their unmapper
 *       pcp->lock (spinlock, irqsave)    one CPU's cache of free blocks of
 *                                        orders 0..3 (module/pcp.c); one
 *                                        at a time, never two
 *         pool->lock (spinlock, irqsave) the buddy allocator, size classes,
 *                                        window slots and stats of the pool
 *
 * Both spinlocks are only held around work that neither sleeps nor
 * allocates, so every allocation and free works from any context; only a
 * GFP_VIRTOK fallback sleeps (in vmap()), and only for callers that may.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/lockdep.h>
#include <linux/maple_tree.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "vbuddy_internal.h"

#define CREATE_TRACE_POINTS
#include "vbuddy_trace.h"

static unsigned long pool_pages = 4096;
module_param(pool_pages, ulong, 0444);
MODULE_PARM_DESC(pool_pages, "pages in the default pool (default 4096 = 16 MiB)");

/* Pools get no more pages than the core's u32 frame indices can name. */
#define VBUDDY_MAX_POOL_PAGES	BIT(30)

static DEFINE_MUTEX(vbuddy_pools_lock);
static LIST_HEAD(vbuddy_pools);		/* guarded by vbuddy_pools_lock */
static struct vbuddy_pool *default_pool;	/* set once at module init */

/*
 * Which pool owns a pfn: one range per chunk, so vbuddy_kfree() finds the
 * pool from a pointer alone. Written under vbuddy_pools_lock, read under
 * RCU from any context.
 */
static DEFINE_MTREE(vbuddy_pfns);

const char *const vbuddy_event_names[] = {
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
};
EXPORT_SYMBOL_NS_GPL(vbuddy_event_names, VBUDDY_INTERNAL);

static_assert(ARRAY_SIZE(vbuddy_event_names) == VBUDDY_EV_NR);

/**
 * vbuddy_report() - report a misuse of a pool, which the caller refuses
 * @pool: the pool misused
 * @fmt: what was wrong, printf style
 *
 * The first report after boot warns with a backtrace, later ones print one
 * rate-limited line each; every one is counted in the pool's stats. A test
 * that provokes reports on purpose marks its pool with
 * vbuddy_pool_expect_reports(), and then they are logged at info level.
 */
void vbuddy_report(struct vbuddy_pool *pool, const char *fmt, ...)
{
	static bool warned;
	struct va_format vaf;
	unsigned long flags;
	va_list args;

	spin_lock_irqsave(&pool->lock, flags);
	pool->stats.events[VBUDDY_EV_BAD_INPUT]++;
	spin_unlock_irqrestore(&pool->lock, flags);

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	if (READ_ONCE(pool->quiet))
		pr_info("pool %s: expected report: %pV\n", pool->name, &vaf);
	else if (!xchg(&warned, true))
		WARN(1, KBUILD_MODNAME ": pool %s: %pV\n", pool->name, &vaf);
	else
		pr_err_ratelimited("pool %s: %pV\n", pool->name, &vaf);
	va_end(args);
}

static int chunk_cmp(const void *a, const void *b)
{
	unsigned long pa = page_to_pfn(((const struct vbuddy_chunk *)a)->page);
	unsigned long pb = page_to_pfn(((const struct vbuddy_chunk *)b)->page);

	return pa < pb ? -1 : pa > pb;
}

static void pool_free_chunks(struct vbuddy_chunk *chunks, unsigned int nr)
{
	unsigned int i;
	unsigned long j;

	for (i = 0; i < nr; i++)
		for (j = 0; j < 1UL << chunks[i].order; j++)
			__free_page(nth_page(chunks[i].page, j));
}

/*
 * Take @nr_pages from the kernel in the largest pieces it will give: each
 * order is tried until it fails, then the next smaller one. The pieces are
 * chained through page->lru of their first page (ours until freed) and then
 * laid out in an array sorted by pfn, as the buddy core wants its spans.
 */
static int pool_take_pages(struct vbuddy_pool *pool, unsigned long nr_pages)
{
	unsigned int order = min_t(unsigned int, VBUDDY_MAX_ORDER, MAX_PAGE_ORDER);
	struct page *page, *next;
	unsigned long left = nr_pages;
	unsigned int nr = 0, i;
	LIST_HEAD(pieces);

	while (left) {
		gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;

		while (order && (1UL << order) > left)
			order--;
		if (order)
			gfp |= __GFP_NORETRY;
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

static void pool_unregister(struct vbuddy_pool *pool)
{
	unsigned int i;

	lockdep_assert_held(&vbuddy_pools_lock);
	for (i = 0; i < pool->nr_chunks; i++)
		mtree_erase(&vbuddy_pfns, page_to_pfn(pool->chunks[i].page));
}

static int pool_register(struct vbuddy_pool *pool)
{
	unsigned int i;
	int ret = 0;

	lockdep_assert_held(&vbuddy_pools_lock);
	for (i = 0; i < pool->nr_chunks; i++) {
		unsigned long pfn = page_to_pfn(pool->chunks[i].page);

		ret = vbuddy_should_fail(VBUDDY_FAIL_KERNEL) ? -ENOMEM :
			mtree_insert_range(&vbuddy_pfns, pfn,
					   pfn + (1UL << pool->chunks[i].order) - 1,
					   pool, GFP_KERNEL);
		if (ret)
			break;
	}
	if (ret)
		while (i--)
			mtree_erase(&vbuddy_pfns, page_to_pfn(pool->chunks[i].page));
	return ret;
}

/**
 * vbuddy_pool_of_pfn() - the pool that owns a page frame
 * @pfn: any pfn
 *
 * The default pool, which lives as long as the module, is asked first
 * (a binary search over its pieces); the maple tree of all pools after.
 *
 * Context: Any context. The pool is valid as long as the caller's
 * allocation in it is, which is all vbuddy_kfree() needs.
 * Return: the pool, or NULL if no pool owns @pfn.
 */
struct vbuddy_pool *vbuddy_pool_of_pfn(unsigned long pfn)
{
	u32 idx;

	return vbuddy_pool_of_pfn_index(pfn, &idx);
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_of_pfn, VBUDDY_INTERNAL);

/**
 * vbuddy_pool_of_pfn_index() - vbuddy_pool_of_pfn(), and the frame's index
 * @pfn: any pfn
 * @idx: where the frame index of @pfn in the pool's buddy core is stored
 *
 * Context: Any context, as vbuddy_pool_of_pfn().
 * Return: the pool, or NULL if no pool owns @pfn (@idx is then unset).
 */
struct vbuddy_pool *vbuddy_pool_of_pfn_index(unsigned long pfn, u32 *idx)
{
	struct vbuddy_pool *pool = READ_ONCE(default_pool);

	if (likely(pool) && !buddy_index(&pool->buddy, pfn, idx))
		return pool;
	pool = mtree_load(&vbuddy_pfns, pfn);
	if (pool && buddy_index(&pool->buddy, pfn, idx))
		pool = NULL;
	return pool;
}

/*
 * Give everything of an unreachable @pool back to the kernel. @when: NULL
 * when nothing is allocated any more, else (for the report) "at unload" or
 * "at teardown": see vbuddy_window_destroy().
 */
static void pool_free(struct vbuddy_pool *pool, const char *when)
{
	vbuddy_window_destroy(pool, when);
	vbuddy_pcp_destroy(pool);
	if (pool->chunks)
		pool_free_chunks(pool->chunks, pool->nr_chunks);
	kvfree(pool->cpages);
	kvfree(pool->chunks);
	kvfree(pool->buddy.frames);
	kvfree(pool->buddy.spans);
	kfree(pool);
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

/**
 * vbuddy_pool_create() - create a pool of pages
 * @name: a unique name, shorter than VBUDDY_NAME_LEN, without '/' (it names
 *        the pool's directory in debugfs)
 * @nr_pages: how many pages the pool takes from the kernel
 *
 * The pages are taken now, in the largest pieces the kernel will give, and
 * stay with the pool until vbuddy_pool_destroy(). Pieces need not be
 * adjacent; blocks never merge across them, so a pool whose pieces are
 * smaller than 2^VBUDDY_MAX_ORDER pages has no block of that order.
 *
 * Context: Process context; may sleep.
 * Return: the pool, or ERR_PTR(-EINVAL) for a missing or too long @name or
 * a @nr_pages of 0 or above 2^30, ERR_PTR(-EEXIST) if a pool of that name
 * exists, ERR_PTR(-ENOMEM) if the kernel cannot give the pages.
 */
struct vbuddy_pool *vbuddy_pool_create(const char *name, unsigned long nr_pages)
{
	struct buddy_frame *frames;
	struct buddy_span *spans;
	struct vbuddy_pool *pool;
	unsigned int i;
	int ret;

	might_sleep();
	if (!name || !*name || strnlen(name, VBUDDY_NAME_LEN) == VBUDDY_NAME_LEN ||
	    strchr(name, '/'))
		return ERR_PTR(-EINVAL);
	if (!nr_pages || nr_pages > VBUDDY_MAX_POOL_PAGES)
		return ERR_PTR(-EINVAL);

	pool = vbuddy_should_fail(VBUDDY_FAIL_KERNEL) ? NULL :
		kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&pool->lock);
	INIT_LIST_HEAD(&pool->node);
	strscpy(pool->name, name, sizeof(pool->name));
	pool->nr_pages = nr_pages;

	ret = vbuddy_window_init(pool);
	if (ret)
		goto fail;
	ret = pool_take_pages(pool, nr_pages);
	if (ret)
		goto fail;
	ret = -ENOMEM;
	frames = vbuddy_kvcalloc(nr_pages, sizeof(*frames));
	spans = vbuddy_kvcalloc(pool->nr_chunks, sizeof(*spans));
	buddy_init(&pool->buddy, frames, nr_pages, spans, pool->nr_chunks);
	if (!frames || !spans)
		goto fail;
	for (i = 0; i < pool->nr_chunks; i++) {
		ret = buddy_add_span(&pool->buddy, page_to_pfn(pool->chunks[i].page),
				     1U << pool->chunks[i].order);
		if (WARN_ON_ONCE(ret))
			goto fail;
	}

	ret = -ENOMEM;
	pool->cpages = vbuddy_kvcalloc(nr_pages, sizeof(*pool->cpages));
	if (!pool->cpages)
		goto fail;
	vbuddy_kmalloc_init_pool(pool);
	ret = vbuddy_pcp_init(pool);
	if (ret)
		goto fail;

	mutex_lock(&vbuddy_pools_lock);
	ret = pool_find(name) ? -EEXIST : pool_register(pool);
	if (!ret) {
		list_add_tail(&pool->node, &vbuddy_pools);
		vbuddy_debugfs_pool_add(pool);
	}
	mutex_unlock(&vbuddy_pools_lock);
	if (ret)
		goto fail;
	return pool;

fail:
	pool_free(pool, NULL);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(vbuddy_pool_create);

/* Whether @pool is the default pool, which only unload removes: then @op is refused. */
static bool pool_is_default(struct vbuddy_pool *pool, const char *op)
{
	if (pool != default_pool)
		return false;
	vbuddy_report(pool, "%s refused: the default pool belongs to the module", op);
	return true;
}

/*
 * Unlink a drained @pool, reporting (as @when, if not NULL) the pages
 * still allocated, which go back to the kernel with the rest of it.
 */
static void pool_unlink(struct vbuddy_pool *pool, const char *when)
{
	unsigned long free_pages = vbuddy_pool_free_pages(pool);

	lockdep_assert_held(&vbuddy_pools_lock);
	if (when && free_pages != pool->nr_pages)
		pr_err("pool %s: %lu pages still allocated %s; freeing them\n",
		       pool->name, pool->nr_pages - free_pages, when);
	list_del(&pool->node);
	vbuddy_debugfs_pool_remove(pool);
	pool_unregister(pool);
	if (pool == default_pool)
		WRITE_ONCE(default_pool, NULL);
}

/* Unlink a drained @pool and free it; @when as for pool_free(). */
static void pool_remove(struct vbuddy_pool *pool, const char *when)
{
	mutex_lock(&vbuddy_pools_lock);
	pool_unlink(pool, when);
	mutex_unlock(&vbuddy_pools_lock);
	synchronize_rcu();	/* no vbuddy_pool_of_pfn() still sees it */
	pool_free(pool, when);
}

/**
 * vbuddy_pool_destroy() - give a pool's pages back to the kernel
 * @pool: a pool from vbuddy_pool_create(), or NULL (nothing is done)
 *
 * Refused, with a report, while any block of the pool is still allocated:
 * the pool then stays usable, and may be destroyed once everything is
 * freed. The default pool cannot be destroyed; it goes with the module.
 *
 * Context: Process context; may sleep. No allocation or free on @pool may
 * run concurrently.
 */
void vbuddy_pool_destroy(struct vbuddy_pool *pool)
{
	unsigned long free_pages;

	might_sleep();
	if (IS_ERR_OR_NULL(pool) || pool_is_default(pool, "destroy"))
		return;
	vbuddy_pool_drain(pool);
	free_pages = vbuddy_pool_free_pages(pool);
	if (free_pages != pool->nr_pages) {
		vbuddy_report(pool, "destroy refused: %lu of %lu pages still allocated",
			      pool->nr_pages - free_pages, pool->nr_pages);
		return;
	}
	pool_remove(pool, NULL);
}
EXPORT_SYMBOL_GPL(vbuddy_pool_destroy);

/**
 * vbuddy_pool_teardown() - destroy a pool, whatever it still has allocated
 * @pool: a pool from vbuddy_pool_create(), or NULL (nothing is done)
 *
 * As vbuddy_pool_destroy(), but blocks still allocated do not stop it: they
 * are reported and go back to the kernel with the rest of the pool, and
 * GFP_VIRTOK ranges still mapped are unmapped, as at unload. For test
 * suites, so that a failed case does not leave its pool behind to fail the
 * cases after it; nothing may use the pool's memory any more.
 *
 * Context: Process context; may sleep.
 */
void vbuddy_pool_teardown(struct vbuddy_pool *pool)
{
	might_sleep();
	if (IS_ERR_OR_NULL(pool) || pool_is_default(pool, "teardown"))
		return;
	vbuddy_pool_drain(pool);
	pool_remove(pool, "at teardown");
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_teardown, VBUDDY_INTERNAL);

/**
 * vbuddy_default_pool() - the pool the module creates at load time
 *
 * Context: Any context.
 * Return: the default pool, of pool_pages pages; it lives as long as the
 * module.
 */
struct vbuddy_pool *vbuddy_default_pool(void)
{
	return default_pool;
}
EXPORT_SYMBOL_GPL(vbuddy_default_pool);

/*
 * A block of @order from this CPU's cache or the pool's free lists, in
 * @page; false if neither has one. @large: for a kmalloc object of whole
 * pages (module/kmalloc.c), which vbuddy_free_pages() must refuse.
 */
bool vbuddy_pool_alloc_block(struct vbuddy_pool *pool, unsigned int order, bool large,
			     struct page **page)
{
	unsigned long flags, pfn;
	int ret;

	if (vbuddy_pcp_serves(pool, order)) {
		*page = vbuddy_pcp_alloc(pool, order, large);
		return *page;
	}
	spin_lock_irqsave(&pool->lock, flags);
	ret = buddy_alloc(&pool->buddy, order, &pfn);
	if (!ret) {
		if (large)
			buddy_set_tag(&pool->buddy, pfn, VBUDDY_TAG_LARGE);
		pool->stats.alloc[order]++;
	}
	spin_unlock_irqrestore(&pool->lock, flags);
	*page = ret ? NULL : pfn_to_page(pfn);
	return *page;
}

/* Count and trace a request for a block of @order that the pool refused. */
void vbuddy_pool_alloc_failed(struct vbuddy_pool *pool, unsigned int order)
{
	unsigned long flags;

	spin_lock_irqsave(&pool->lock, flags);
	pool->stats.alloc_fail[order]++;
	trace_vbuddy_alloc_fail(pool->name, order, pool->buddy.free_frames);
	spin_unlock_irqrestore(&pool->lock, flags);
}

/**
 * vbuddy_pool_reclaim() - give every cached free page back to the pool lists
 * @pool: the pool
 *
 * What a request that the pool's free lists cannot serve does before it
 * gives up: the per-CPU caches are drained and the size classes' empty
 * pages released, so that they may merge into the block it needs.
 *
 * Context: Any context.
 * Return: true if any page came back, so that trying again may help.
 */
bool vbuddy_pool_reclaim(struct vbuddy_pool *pool)
{
	unsigned long pages, flags;

	pages = vbuddy_pcp_drain(pool) + vbuddy_kmalloc_drain(pool);
	if (pages) {
		spin_lock_irqsave(&pool->lock, flags);
		pool->stats.events[VBUDDY_EV_RECLAIM]++;
		spin_unlock_irqrestore(&pool->lock, flags);
	}
	return pages;
}

/**
 * vbuddy_alloc_pages() - allocate 2^@order physically contiguous pages
 * @pool: the pool
 * @gfp: GFP flags: __GFP_ZERO zeroes the pages, __GFP_NOWARN silences the
 *       failure message; whether the caller may sleep is checked as for
 *       alloc_pages(), but the pool itself never sleeps
 * @order: 0..VBUDDY_MAX_ORDER
 *
 * The block is naturally aligned: its first pfn is a multiple of 2^@order.
 * Every page of it is a page of its own (refcount 1), as after split_page().
 *
 * Context: Any context, with a @gfp that says so (GFP_ATOMIC, GFP_NOWAIT).
 * Return: the first page of the block, or NULL if the pool has no free block
 * of @order or larger, or (reported) @order is above VBUDDY_MAX_ORDER or
 * @gfp has GFP_VIRTOK, which cannot give physically contiguous pages.
 */
struct page *vbuddy_alloc_pages(struct vbuddy_pool *pool, gfp_t gfp,
				unsigned int order)
{
	unsigned long i;
	struct page *page;

	might_alloc(gfp & ~GFP_VIRTOK);
	if (gfp & GFP_VIRTOK) {
		vbuddy_report(pool, "GFP_VIRTOK refused: %s() promises contiguous pages",
			      __func__);
		return NULL;
	}
	if (order > VBUDDY_MAX_ORDER) {
		vbuddy_report(pool, "allocation of order %u refused: the maximum is %u",
			      order, VBUDDY_MAX_ORDER);
		return NULL;
	}

	if (vbuddy_should_fail(VBUDDY_FAIL_POOL))
		page = NULL;
	else if (!vbuddy_pool_alloc_block(pool, order, false, &page) &&
		 vbuddy_pool_reclaim(pool))
		vbuddy_pool_alloc_block(pool, order, false, &page);
	if (!page) {
		vbuddy_pool_alloc_failed(pool, order);
		if (!(gfp & __GFP_NOWARN))
			pr_warn_ratelimited("pool %s: no free block of order %u\n",
					    pool->name, order);
		return NULL;
	}
	trace_vbuddy_alloc(pool->name, page_to_pfn(page), order, VBUDDY_TAG_PAGES);

	if (gfp & __GFP_ZERO)
		for (i = 0; i < 1UL << order; i++)
			clear_highpage(nth_page(page, i));
	return page;
}
EXPORT_SYMBOL_GPL(vbuddy_alloc_pages);

/**
 * vbuddy_free_pages() - give back a block from vbuddy_alloc_pages()
 * @pool: the pool it came from
 * @page: the first page of the block, or NULL (nothing is done)
 * @order: the order it was allocated with
 *
 * A page that is not the first page of an allocated block of this pool and
 * @order, or is freed twice, is reported and the free refused; the pool is
 * left as it was.
 *
 * Context: Any context.
 */
void vbuddy_free_pages(struct vbuddy_pool *pool, struct page *page,
		       unsigned int order)
{
	unsigned long flags, pfn;
	int ret;

	if (!page)
		return;
	pfn = page_to_pfn(page);
	if (vbuddy_pcp_serves(pool, order)) {
		ret = vbuddy_pcp_free(pool, page, order, false);
	} else {
		spin_lock_irqsave(&pool->lock, flags);
		ret = buddy_free_tagged(&pool->buddy, pfn, order, VBUDDY_TAG_PAGES);
		if (!ret)
			pool->stats.events[VBUDDY_EV_FREE]++;
		spin_unlock_irqrestore(&pool->lock, flags);
	}

	if (!ret)
		trace_vbuddy_free(pool->name, pfn, order, VBUDDY_TAG_PAGES);
	else
		vbuddy_report(pool, "free of pfn %#lx order %u refused: %s",
			      pfn, order, buddy_strerror(ret));
}
EXPORT_SYMBOL_GPL(vbuddy_free_pages);

/**
 * vbuddy_pool_drain() - give back every free page a pool has parked
 * @pool: the pool
 *
 * Waits until freed GFP_VIRTOK ranges are unmapped and back, then drains
 * the per-CPU caches and the size classes' empty pages: afterwards every
 * free page is on the pool's free lists, as buddyinfo shows them. Done
 * before a pool is destroyed and at unload; for tests and the smoke client.
 *
 * Context: Process context; may sleep.
 */
void vbuddy_pool_drain(struct vbuddy_pool *pool)
{
	flush_work(&pool->unmap_work);
	vbuddy_pcp_drain(pool);
	vbuddy_kmalloc_drain(pool);
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
 * vbuddy_pool_checkerboard() - fragment a pool: every other page free
 * @pool: the pool
 * @held: room for as many pages as the pool has free; the pages kept (those
 *        of odd pfn) are stored here, for the caller to free
 *
 * Every free page is taken as an order-0 block and those of even pfn are
 * given back: half the pages stay free and no two of them are buddies, so
 * no block of order 1 or more is left. The per-CPU caches are drained at
 * the end, so every free page is on the pool's lists. For tests, the demo
 * and the benchmark.
 *
 * Context: Process context.
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
	vbuddy_pcp_drain(pool);		/* the free pages on the pool lists */
	return n;
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_checkerboard, VBUDDY_INTERNAL);

/**
 * vbuddy_pool_check() - check a pool's invariants
 * @pool: the pool
 *
 * Runs the buddy core's checker, and checks that every block on a per-CPU
 * list is an allocated block of its order marked as cached.
 *
 * Context: Any context; holds the pool lock for O(pages).
 * Return: 0, or -EUCLEAN (the violation is printed).
 */
int vbuddy_pool_check(struct vbuddy_pool *pool)
{
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&pool->lock, flags);
	ret = buddy_check(&pool->buddy);
	spin_unlock_irqrestore(&pool->lock, flags);
	return ret ?: vbuddy_pcp_check(pool);
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_check, VBUDDY_INTERNAL);

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
 * vbuddy_pool_cached_pages() - free pages of a pool held in caches
 * @pool: the pool
 *
 * Return: a snapshot of the pages on the per-CPU lists and in the empty
 * pages the size classes keep; vbuddy_pool_drain() gives them back.
 */
unsigned long vbuddy_pool_cached_pages(struct vbuddy_pool *pool)
{
	return vbuddy_pcp_pages(pool) + vbuddy_kmalloc_empty_pages(pool);
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_cached_pages, VBUDDY_INTERNAL);

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
 *
 * Only the pool's free lists: as the kernel's buddyinfo leaves out its
 * per-CPU lists, this leaves out vbuddy_pool_cached_pages(); call
 * vbuddy_pool_drain() first to count them.
 * @nr_free: where the counts of orders 0..VBUDDY_MAX_ORDER are stored
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

struct class_objects {
	unsigned int class;
	unsigned long cached;
};

static int class_cached_objects(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
				unsigned int cpu, void *arg)
{
	struct class_objects *co = arg;

	lockdep_assert_held(&pcp->lock);
	co->cached += pcp->mags[co->class].n;
	return 0;
}

/**
 * vbuddy_pool_get_class() - a snapshot of one size class of a pool
 * @pool: the pool
 * @class: 0..VBUDDY_NR_CLASSES-1
 * @info: where it is copied; its @objects counts the objects callers hold
 */
void vbuddy_pool_get_class(struct vbuddy_pool *pool, unsigned int class,
			   struct vbuddy_class *info)
{
	struct class_objects arg = { .class = class };
	unsigned long flags;

	spin_lock_irqsave(&pool->lock, flags);
	*info = pool->classes[class];
	spin_unlock_irqrestore(&pool->lock, flags);
	/* Objects on the per-CPU lists are free. */
	vbuddy_pcp_walk(pool, class_cached_objects, &arg);
	info->objects -= arg.cached;
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_get_class, VBUDDY_INTERNAL);

/**
 * vbuddy_pool_get_stats() - a snapshot of a pool's counters
 * @pool: the pool
 * @stats: where they are copied
 */
void vbuddy_pool_get_stats(struct vbuddy_pool *pool, struct vbuddy_stats *stats)
{
	unsigned long flags;

	spin_lock_irqsave(&pool->lock, flags);
	*stats = pool->stats;
	spin_unlock_irqrestore(&pool->lock, flags);
	vbuddy_pcp_add_stats(pool, stats);
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_get_stats, VBUDDY_INTERNAL);

static int __init vbuddy_init(void)
{
	struct vbuddy_pool *pool;

	vbuddy_debugfs_init();
	pool = vbuddy_pool_create("default", pool_pages);
	if (IS_ERR(pool)) {
		vbuddy_debugfs_exit();
		pr_err("cannot create the default pool of %lu pages: %pe\n",
		       pool_pages, pool);
		return PTR_ERR(pool);
	}
	WRITE_ONCE(default_pool, pool);
	pr_info("default pool: %lu pages in %u pieces\n", pool->nr_pages,
		pool->nr_chunks);
	return 0;
}
module_init(vbuddy_init);

/*
 * Every module that used our symbols is gone by now, so whatever a pool
 * still has allocated is leaked: report it, and give the pages back all the
 * same, so that unloading never leaks the kernel's memory.
 */
static void __exit vbuddy_exit(void)
{
	struct vbuddy_pool *pool, *tmp;

	mutex_lock(&vbuddy_pools_lock);
	list_for_each_entry_safe(pool, tmp, &vbuddy_pools, node) {
		if (pool != default_pool)
			pr_err("pool %s: still exists at unload; destroying it\n", pool->name);
		vbuddy_pool_drain(pool);
		pool_unlink(pool, "at unload");
		pool_free(pool, "at unload");
	}
	mutex_unlock(&vbuddy_pools_lock);
	vbuddy_debugfs_exit();
	mtree_destroy(&vbuddy_pfns);
}
module_exit(vbuddy_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vbuddy: a buddy page allocator over a pool, with GFP_VIRTOK");
