/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vbuddy pools: the layer every other file of vbuddy.ko builds on.
 *
 * A pool owns pages taken from the kernel and a buddy allocator over them,
 * both guarded by its lock. The layers above it (the per-CPU caches, the
 * size classes, the GFP_VIRTOK window) take blocks from its buddy allocator
 * under that lock and keep state of their own, which the pool holds for
 * them as pointers it never follows. Where the pool must ask those layers
 * for something (give free pages back, count them, check them), it calls
 * the &struct vbuddy_cache_ops they registered: the pool never calls up.
 */
#ifndef _VBUDDY_POOL_H
#define _VBUDDY_POOL_H

#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "vbuddy.h"
#include "vbuddy_compat.h"
#include "buddy.h"

struct dentry;
struct vbuddy_pages;
struct vbuddy_pcp_state;
struct vbuddy_classes;
struct vbuddy_window;
struct vbuddy_compact;

extern const char *const vbuddy_event_names[VBUDDY_EV_NR];

/**
 * struct vbuddy_stats - what a pool counts
 * @alloc: contiguous allocations served, per order
 * @alloc_fail: contiguous allocations refused for lack of a block, per order
 * @events: the events of enum vbuddy_event
 * @slots_in_use: window slots holding a GFP_VIRTOK range now
 * @slots_peak: the most slots ever in use at once
 *
 * A snapshot (vbuddy_pool_get_stats()) adds up the pool's own counters and
 * those each layer above keeps.
 */
struct vbuddy_stats {
	unsigned long alloc[VBUDDY_NR_ORDERS];
	unsigned long alloc_fail[VBUDDY_NR_ORDERS];
	unsigned long events[VBUDDY_EV_NR];
	unsigned long slots_in_use;
	unsigned long slots_peak;
};

/*
 * What an allocated block is used for, kept in its buddy tag. Each layer
 * sets and checks its own; the pool does not read them.
 */
enum vbuddy_tag {
	VBUDDY_TAG_PAGES = 0,	/* vbuddy_alloc_pages(); the default on alloc */
	VBUDDY_TAG_LARGE,	/* a vbuddy_kmalloc() object of whole pages */
	VBUDDY_TAG_CLASS,	/* an order-0 page carved into small objects */
	VBUDDY_TAG_VIRT,	/* an order-0 page of a GFP_VIRTOK range */
	VBUDDY_TAG_HELD_BACK,	/* freed, but a page is still referenced */
	VBUDDY_TAG_LOST,	/* a page was freed to the kernel: out of service */
	VBUDDY_TAG_MOVABLE,	/* vbuddy_alloc_movable(): compaction may move it */
};

/**
 * struct vbuddy_cache_ops - a layer above the pool that keeps free pages
 * @name: for messages
 * @reclaim: give every free page the layer keeps back to the pool's free
 *           lists; it may sleep only if @gfp allows blocking. Returns the
 *           pages given back
 * @cached: how many free pages the layer keeps now (a snapshot)
 * @add_stats: add the layer's own counters to a snapshot
 * @check: check the layer's state against the buddy allocator: 0, or
 *         -EUCLEAN with the violation printed
 *
 * Every callback may be NULL; all are called without the pool lock held.
 */
struct vbuddy_cache_ops {
	const char *name;
	unsigned long (*reclaim)(struct vbuddy_pool *pool, gfp_t gfp);
	unsigned long (*cached)(struct vbuddy_pool *pool);
	void (*add_stats)(struct vbuddy_pool *pool, struct vbuddy_stats *stats);
	int (*check)(struct vbuddy_pool *pool);
};

/* The layers that register: window, page API, per-CPU caches, size classes. */
#define VBUDDY_MAX_CACHES	4

/**
 * struct vbuddy_chunk - pages the pool took from the kernel in one piece
 * @page: first page (split with split_page(), so every page stands alone)
 * @order: the piece was 2^@order pages
 */
struct vbuddy_chunk {
	struct page *page;
	unsigned int order;
};

/*
 * The regions of the buddy core's lookup table (buddy_set_regions()): no
 * piece (of order MAX_PAGE_ORDER at most, naturally aligned) straddles
 * two, so a frame number's region names its piece.
 */
#define VBUDDY_REGION_SHIFT	MAX_PAGE_ORDER

/**
 * struct vbuddy_pool - a pool of pages with its own buddy allocator
 * @lock: guards @buddy and @stats, and whatever each layer says it guards;
 *        taken with interrupts disabled, so the pool serves any context,
 *        and innermost: nothing else is taken under it
 * @buddy: the allocator, over the page frame numbers of @chunks; the
 *         layers above call the buddy core on it with @lock held, but for
 *         buddy_index(), which reads only what is fixed at creation (its
 *         spans and region table)
 * @stats: the pool's counters; the layers above count theirs here too,
 *         under @lock, or keep their own and add them (@caches)
 * @pages: state of the page API (module/pages.c); fixed once created
 * @held_back_pages: pages of blocks freed but still referenced
 *                   (module/pages.c), guarded by @lock
 * @lost_pages: pages of blocks out of service, because one of their pages
 *              was freed to the kernel by someone else; guarded by @lock
 * @lost: a bit per frame, set for each page freed to the kernel that way,
 *        which the pool never touches again; guarded by @lock
 * @pcp: state of the per-CPU caches (module/pcp.c); fixed once created
 * @classes: state of the size classes (module/classes.c); fixed
 * @window: state of the GFP_VIRTOK window (module/window.c); fixed
 * @compact: movable blocks and compaction (module/compact.c); fixed
 * @caches: the layers that keep free pages, in the order a reclaim asks
 *          them; fixed once the pool is registered
 * @nr_caches: entries in @caches
 * @zone: the zone its pages were taken from (ZONE_NORMAL, or ZONE_DMA32
 *        or ZONE_DMA for a pool created for it); fixed at creation
 * @nr_pages: pages in the pool; fixed at creation
 * @max_order: the order of its largest piece, its largest block; fixed
 * @nr_chunks: entries in @chunks; fixed at creation
 * @chunks: the pages taken from the kernel, by ascending pfn; fixed
 * @pfns: the pfn of each frame index (the buddy core's buddy_pfn_of_index()
 *        searches the spans); fixed at creation
 * @stamp: the high bits of this pool's page stamps, 0 if it has no slot in
 *         vbuddy_stamped[] ("page stamps" in pool.c); fixed once registered
 * @quiet: reports are expected (a test provoking them): log them at info
 *         level and without a backtrace; written and read with
 *         WRITE_ONCE()/READ_ONCE(), a flag for messages only
 * @last_report: the text of the last report, guarded by @lock
 * @debugfs: the pool's debugfs directory (module/debugfs.c)
 * @node: entry on the list of pools, guarded by the pools' mutex in pool.c
 * @name: the pool's name; fixed at creation
 */
struct vbuddy_pool {
	spinlock_t lock;		/* see above */
	struct buddy buddy;
	struct vbuddy_stats stats;
	struct vbuddy_pages *pages;
	unsigned long held_back_pages;
	unsigned long lost_pages;
	unsigned long *lost;
	struct vbuddy_pcp_state *pcp;
	struct vbuddy_classes *classes;
	struct vbuddy_window *window;
	struct vbuddy_compact *compact;
	const struct vbuddy_cache_ops *caches[VBUDDY_MAX_CACHES];
	unsigned int nr_caches;

	enum zone_type zone;
	unsigned long nr_pages;
	unsigned int max_order;
	unsigned int nr_chunks;
	struct vbuddy_chunk *chunks;
	unsigned long *pfns;
	unsigned long stamp;
	bool quiet;
	char last_report[VBUDDY_REPORT_LEN];
	struct dentry *debugfs;
	struct list_head node;
	char name[VBUDDY_NAME_LEN];
};

/* Life of a pool: module/main.c puts the layers together around these. */
struct vbuddy_pool *vbuddy_pool_alloc(const char *name, unsigned long nr_pages, gfp_t gfp,
				      unsigned int placement);
int vbuddy_pool_add_cache(struct vbuddy_pool *pool, const struct vbuddy_cache_ops *ops);
int vbuddy_pool_register(struct vbuddy_pool *pool);
void vbuddy_pool_unregister(struct vbuddy_pool *pool);
void vbuddy_pool_free(struct vbuddy_pool *pool);
struct vbuddy_pool *vbuddy_pool_first(void);
void vbuddy_pool_exit(void);
void vbuddy_pool_set_default(struct vbuddy_pool *pool);
bool vbuddy_pool_is_default(struct vbuddy_pool *pool, const char *op);

/* Lookup from a page frame, for the free paths. */
struct vbuddy_pool *vbuddy_pool_of_pfn(unsigned long pfn);
struct vbuddy_pool *vbuddy_pool_search_pfn(unsigned long pfn, u32 *idx);

/* Page stamps ("page stamps" in pool.c): pool slot and frame index. */
#define VBUDDY_STAMP_POOLS	256
#define VBUDDY_STAMP_MAGIC	0x76620000UL	/* "vb", then the slot */
static_assert(BITS_PER_LONG == 64, "a stamp needs 64-bit page->private");

extern struct vbuddy_pool __rcu *vbuddy_stamped[VBUDDY_STAMP_POOLS];

/* The slot a stamp names; VBUDDY_STAMP_POOLS or more for no stamp. */
static inline unsigned long vbuddy_stamp_slot(unsigned long stamp)
{
	return (stamp >> 32) - VBUDDY_STAMP_MAGIC;
}

/*
 * The default pool, set once at module init (WRITE_ONCE()), cleared when it
 * is destroyed at unload; vbuddy_default_pool() without the call.
 */
extern struct vbuddy_pool *vbuddy_default;

/* The pfn of frame @idx of @pool. */
static inline unsigned long vbuddy_pool_pfn(const struct vbuddy_pool *pool, u32 idx)
{
	return pool->pfns[idx];
}

/* The address of frame @idx of @pool, in the direct map (64-bit: no highmem). */
static inline void *vbuddy_pool_addr(const struct vbuddy_pool *pool, u32 idx)
{
	return __va(PFN_PHYS(vbuddy_pool_pfn(pool, idx)));
}

/*
 * Stamp @page, frame @idx of @pool, which the pool owns fields and all
 * while it is a size class page or the head of a kmalloc object's pages.
 */
static inline void vbuddy_stamp_page(const struct vbuddy_pool *pool, struct page *page,
				     u32 idx)
{
	set_page_private(page, pool->stamp ? pool->stamp | idx : 0);
}

/**
 * vbuddy_pool_of_stamp() - the pool a page's stamp names, checked
 * @pfn: the frame of any page
 * @idx: where its frame index goes
 *
 * A foreign page's private is any value: only a stamp whose slot holds a
 * pool, and whose frame in that pool is @pfn, is believed.
 *
 * Context: Under rcu_read_lock().
 * Return: the pool, or NULL (ask vbuddy_pool_search_pfn()).
 */
static inline struct vbuddy_pool *vbuddy_pool_of_stamp(unsigned long pfn, u32 *idx)
{
	/* A hint, racing only a misuse: the checks below decide. */
	unsigned long stamp = READ_ONCE(pfn_to_page(pfn)->private);
	unsigned long slot = vbuddy_stamp_slot(stamp);
	struct vbuddy_pool *pool;

	if (slot >= VBUDDY_STAMP_POOLS)
		return NULL;
	pool = rcu_dereference(vbuddy_stamped[slot]);
	*idx = (u32)stamp;
	if (!pool || *idx >= pool->nr_pages || vbuddy_pool_pfn(pool, *idx) != pfn)
		return NULL;
	return pool;
}

/**
 * vbuddy_pool_of_pfn_index() - vbuddy_pool_of_pfn(), and the frame's index
 * @pfn: the frame of any page (pfn_valid())
 * @idx: where the frame index of @pfn in the pool's buddy core is stored
 *
 * The page's stamp is asked first, inline (O(1), see "page stamps" in
 * pool.c), then vbuddy_pool_search_pfn().
 *
 * Context: As vbuddy_pool_of_pfn().
 * Return: the pool, or NULL if no pool owns @pfn (@idx is then unset).
 */
static inline struct vbuddy_pool *vbuddy_pool_of_pfn_index(unsigned long pfn, u32 *idx)
{
	return vbuddy_pool_of_stamp(pfn, idx) ?: vbuddy_pool_search_pfn(pfn, idx);
}

/* What the layers above use. */
__printf(2, 3)
void vbuddy_report(struct vbuddy_pool *pool, const char *fmt, ...);
__printf(3, 4)
void vbuddy_report_gfp(struct vbuddy_pool *pool, gfp_t gfp, const char *fmt, ...);
bool vbuddy_pool_gfp_ok(struct vbuddy_pool *pool, gfp_t gfp, unsigned int order);
bool vbuddy_pool_contig_check(struct vbuddy_pool *pool, gfp_t gfp, unsigned int order,
			      const char *func);

/*
 * Flags vbuddy_pool_gfp_ok() looks at: without them, it takes a request of
 * any order for every pool (no zone modifier means ZONE_NORMAL, which a
 * pool of any zone satisfies).
 */
#define VBUDDY_GFP_CHECKED	(GFP_ZONEMASK | __GFP_ACCOUNT | __GFP_NOFAIL | __GFP_COMP)

/* vbuddy_pool_contig_check(), the common flags taken inline. */
static inline bool vbuddy_pool_contig_ok(struct vbuddy_pool *pool, gfp_t gfp,
					 unsigned int order, const char *func)
{
	if (likely(!(gfp & (VBUDDY_GFP_CHECKED | GFP_VIRTOK)) && order <= VBUDDY_MAX_ORDER))
		return true;
	return vbuddy_pool_contig_check(pool, gfp, order, func);
}

void vbuddy_pool_contig_failed(struct vbuddy_pool *pool, gfp_t gfp, unsigned int order);
bool vbuddy_pool_nofail_retry(struct vbuddy_pool *pool, gfp_t gfp, unsigned long start);
void vbuddy_pool_count(struct vbuddy_pool *pool, enum vbuddy_event ev);
void vbuddy_pool_alloc_failed(struct vbuddy_pool *pool, unsigned int order);
bool vbuddy_pool_reclaim(struct vbuddy_pool *pool, gfp_t gfp);
void vbuddy_pool_get_stats(struct vbuddy_pool *pool, struct vbuddy_stats *stats);
int vbuddy_pool_check_lists(struct vbuddy_pool *pool, bool *lists);
unsigned long vbuddy_pool_unheld_pages(struct vbuddy_pool *pool);

/* Zero the 2^@order pages of a block (init_on_alloc, init_on_free). */
static inline void vbuddy_clear_block(struct page *page, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < 1UL << order; i++)
		clear_highpage(nth_page(page, i));
}

#endif /* _VBUDDY_POOL_H */
