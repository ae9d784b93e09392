/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vbuddy internals shared by the files of vbuddy.ko and, through the
 * VBUDDY_INTERNAL symbol namespace, by its test modules. Not an API.
 */
#ifndef _VBUDDY_INTERNAL_H
#define _VBUDDY_INTERNAL_H

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/bitops.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "vbuddy.h"
#include "vbuddy_compat.h"
#include "buddy.h"

/* Events counted per pool, each with a stable name in vbuddy_event_names. */
enum vbuddy_event {
	VBUDDY_EV_FREE,		/* blocks and objects given back */
	VBUDDY_EV_BAD_INPUT,	/* misuse reported and refused */
	VBUDDY_EV_VIRT_SERVED,	/* GFP_VIRTOK fallbacks served */
	VBUDDY_EV_VIRT_PAGES,	/* pages mapped by those fallbacks */
	VBUDDY_EV_VIRT_FREED,	/* GFP_VIRTOK ranges unmapped and given back */
	VBUDDY_EV_VIRT_NO_PAGES, /* refused: fewer free pages than asked */
	VBUDDY_EV_VIRT_NO_SLOT,	/* refused: every slot of the window in use */
	VBUDDY_EV_VIRT_ATOMIC,	/* refused: the caller may not sleep */
	VBUDDY_EV_VIRT_TOO_BIG,	/* refused: larger than a slot */
	VBUDDY_EV_VIRT_MAP_FAILED, /* refused: vmap() failed */
	VBUDDY_EV_PCP_REFILL,	/* per-CPU lists refilled from the pool */
	VBUDDY_EV_PCP_DRAIN,	/* per-CPU lists drained into the pool */
	VBUDDY_EV_RECLAIM,	/* failing requests that drained every cache */
	VBUDDY_EV_NR,
};

extern const char *const vbuddy_event_names[];

/**
 * struct vbuddy_stats - what a pool counts
 * @alloc: contiguous allocations served, per order (with those served by
 *         the per-CPU caches, which count them in &struct vbuddy_pcp)
 * @alloc_fail: contiguous allocations refused for lack of a block, per order
 * @events: the events of enum vbuddy_event
 * @slots_in_use: window slots holding a GFP_VIRTOK range now
 * @slots_peak: the most slots ever in use at once
 */
struct vbuddy_stats {
	unsigned long alloc[VBUDDY_NR_ORDERS];
	unsigned long alloc_fail[VBUDDY_NR_ORDERS];
	unsigned long events[VBUDDY_EV_NR];
	unsigned long slots_in_use;
	unsigned long slots_peak;
};

/* A slot holds up to 2^VBUDDY_MAX_ORDER pages: any request fits in one. */
#define VBUDDY_SLOT_PAGES	BIT(VBUDDY_MAX_ORDER)

enum vbuddy_slot_state {
	VBUDDY_SLOT_FREE,	/* on the pool's free slot list */
	VBUDDY_SLOT_MAPPING,	/* pages taken, vmap() under way */
	VBUDDY_SLOT_IN_USE,	/* maps a GFP_VIRTOK range */
	VBUDDY_SLOT_FREEING,	/* freed; the unmapper gives it back */
};

/**
 * struct vbuddy_slot - one slot of a pool's window
 * @addr: the range's address while MAPPING/IN_USE/FREEING
 * @nr_pages: pages in the range
 * @state: an enum vbuddy_slot_state
 * @node: on the pool's free or freeing slot list
 *
 * Guarded by the pool lock.
 */
struct vbuddy_slot {
	unsigned long addr;
	unsigned int nr_pages;
	u8 state;
	struct list_head node;
};

/* What an allocated block is used for, kept in its buddy tag. */
enum vbuddy_tag {
	VBUDDY_TAG_PAGES = 0,	/* vbuddy_alloc_pages(); the default on alloc */
	VBUDDY_TAG_LARGE,	/* vbuddy_kmalloc() above the largest class */
	VBUDDY_TAG_CLASS,	/* an order-0 page carved into small objects */
	VBUDDY_TAG_VIRT,	/* an order-0 page of a GFP_VIRTOK range */
};

/* Size classes: kmalloc-8 ... kmalloc-2k, with kmalloc-96 and -192. */
#define VBUDDY_NR_CLASSES	11
#define VBUDDY_CLASS_MAX	2048
#define VBUDDY_CLASS_MIN	8
#define VBUDDY_CLASS_MAP_LONGS	BITS_TO_LONGS(PAGE_SIZE / VBUDDY_CLASS_MIN)

extern const unsigned short vbuddy_class_size[VBUDDY_NR_CLASSES];

/**
 * struct vbuddy_class_page - a page of small objects (or of a virtual range)
 * @addr: the page's address
 * @next: next page of the class with a free object (frame index)
 * @prev: previous such page (frame index)
 * @inuse: objects allocated
 * @class: index into vbuddy_class_size
 * @slot: for a VBUDDY_TAG_VIRT page, the window slot that maps it
 * @map: bit set for each object taken out of the page, to a caller or to
 *       a per-CPU object list; the pages hold no free list that a use after
 *       free could corrupt
 * @held: bit set for each object a caller holds; changed with atomic bit
 *        operations, also without the pool lock: a free clears its bit
 *        with test_and_clear_bit(), so a double free is found in O(1) and
 *        of two racing frees one fails
 *
 * One per frame of the pool, indexed by the frame index of the buddy core;
 * meaningful while the frame is a VBUDDY_TAG_CLASS block. Guarded by the
 * pool lock, but for @held.
 */
struct vbuddy_class_page {
	void *addr;
	u32 next;
	u32 prev;
	u16 inuse;
	u8 class;
	u16 slot;
	unsigned long map[VBUDDY_CLASS_MAP_LONGS];
	unsigned long held[VBUDDY_CLASS_MAP_LONGS];
};

/**
 * struct vbuddy_class - one size class of a pool
 * @partial: first page with a free object (frame index), or BUDDY_NIL
 * @empty: the one page without objects the class keeps (it is also on
 *         @partial), or BUDDY_NIL; it counts as free
 * @pages: pages the class holds, @empty included
 * @objects: objects taken out of the pages (held by callers, or on a
 *           per-CPU object list)
 *
 * Guarded by the pool lock.
 */
struct vbuddy_class {
	u32 partial;
	u32 empty;
	unsigned long pages;
	unsigned long objects;
};

/* Orders that the per-CPU caches serve: 0..VBUDDY_PCP_ORDERS-1. */
#define VBUDDY_PCP_ORDERS	4

/* The most objects a per-CPU object list can hold. */
#define VBUDDY_MAG_MAX		32

/**
 * struct vbuddy_objref - an object of a size class
 * @idx: frame index of its page
 * @obj: its index in the page
 */
struct vbuddy_objref {
	u32 idx;
	u32 obj;
};

/**
 * struct vbuddy_mag - one CPU's free objects of one size class
 * @n: objects on the list, the last one the most recently freed
 * @objs: the objects: taken out of their pages (their @map bits set), held
 *        by no caller (their @held bits clear)
 */
struct vbuddy_mag {
	unsigned int n;
	struct vbuddy_objref objs[VBUDDY_MAG_MAX];
};

/**
 * struct vbuddy_pcp - one CPU's cache of free blocks of a pool
 * @lock: guards the rest; taken irqsave, before the pool lock, by the CPU
 *        it belongs to (almost always) and by whoever drains every cache
 * @count: blocks on each list
 * @lists: free blocks of each order, linked through page->lru of their
 *         first page, whose page->private holds the block's frame index;
 *         the most recently freed first
 * @alloc: allocations served, per order
 * @frees: blocks and objects freed into the cache
 * @mags: free objects of each size class (module/kmalloc.c)
 *
 * The blocks are allocated in the buddy allocator (VBUDDY_TAG_PAGES) and
 * marked VBUDDY_OWN_CACHED in the pool's @owner bytes: see module/pcp.c.
 * They keep that tag when handed out, to vbuddy_alloc_pages() or, marked
 * VBUDDY_OWN_LARGE, as a kmalloc object of whole pages.
 */
struct vbuddy_pcp {
	spinlock_t lock;		/* see above */
	unsigned int count[VBUDDY_PCP_ORDERS];
	struct list_head lists[VBUDDY_PCP_ORDERS];
	unsigned long alloc[VBUDDY_PCP_ORDERS];
	unsigned long frees;
	struct vbuddy_mag mags[VBUDDY_NR_CLASSES];
};

/*
 * The owner byte of the first frame of a block of a cached order: who has
 * the block while the buddy allocator says it is allocated. Changed under
 * the pool lock, or with cmpxchg() from HELD to CACHED by a free.
 */
#define VBUDDY_OWN_NONE		0x00		/* the buddy allocator's word holds */
#define VBUDDY_OWN_HELD		0x40		/* a caller's, ORed with the order */
#define VBUDDY_OWN_CACHED	0x80		/* on a per-CPU list */
#define VBUDDY_OWN_LARGE	0x20		/* with HELD: a vbuddy_kmalloc() object */
#define VBUDDY_OWN_ORDER	0x0f		/* with HELD: the order */

/**
 * struct vbuddy_chunk - pages the pool took from the kernel in one piece
 * @page: first page (split with split_page(), so every page stands alone)
 * @order: the piece was 2^@order pages
 */
struct vbuddy_chunk {
	struct page *page;
	unsigned int order;
};

/**
 * struct vbuddy_pool - a pool of pages with its own buddy allocator
 * @lock: guards @buddy, @stats, @classes and @cpages; taken with
 *        interrupts disabled, so the pool serves any context
 * @pcp: the per-CPU caches, each guarded by its own lock
 * @owner: a byte per frame, for the blocks of @pcp's orders: see
 *         VBUDDY_OWN_NONE
 * @pcp_high: per order, the blocks a per-CPU list may hold before it gives
 *            some back; 0: that order bypasses the caches; fixed
 * @pcp_low: per order, the blocks a list keeps when it gives back; fixed
 * @pcp_batch: per order, the blocks an empty list is refilled with; fixed
 * @mag_max: objects a per-CPU object list holds, 0 if there are none; fixed
 * @mag_batch: objects a list is refilled with, or gives back; fixed
 * @buddy: the allocator, over the page frame numbers of @chunks
 * @stats: counters
 * @classes: the size classes
 * @cpages: class page state, one per frame of @buddy
 * @slots: the GFP_VIRTOK window: @nr_slots slots, allocated at creation
 * @nr_slots: slots in the window; fixed at creation
 * @slots_free: slots ready for a fallback, guarded by @lock
 * @slots_freeing: freed ranges waiting for @unmap_work, guarded by @lock
 * @virt_lock: serialises fallbacks and the unmapper, which share @gather
 *             and @gather_pages; taken before @lock
 * @gather: pfns of a fallback or of a range being unmapped
 * @gather_pages: the same as pages, for vmap()
 * @unmap_work: vunmap()s freed ranges and gives their pages back; vunmap()
 *              sleeps, and vbuddy_kfree() must not
 * @nr_pages: pages in the pool; fixed at creation
 * @nr_chunks: entries in @chunks; fixed at creation
 * @chunks: the pages taken from the kernel, by ascending pfn; fixed
 * @quiet: reports are expected (a test provoking them): log them at info
 *         level and without a backtrace; otherwise the first one warns
 * @debugfs: the pool's debugfs directory
 * @node: entry on the list of pools, guarded by vbuddy_pools_lock
 * @name: the pool's name; fixed at creation
 */
struct vbuddy_pool {
	spinlock_t lock;		/* see above */
	struct vbuddy_pcp __percpu *pcp;
	u8 *owner;
	u16 pcp_high[VBUDDY_PCP_ORDERS];
	u16 pcp_low[VBUDDY_PCP_ORDERS];
	u16 pcp_batch[VBUDDY_PCP_ORDERS];
	u16 mag_max;
	u16 mag_batch;
	struct buddy buddy;
	struct vbuddy_stats stats;
	struct vbuddy_class classes[VBUDDY_NR_CLASSES];
	struct vbuddy_class_page *cpages;
	struct vbuddy_slot *slots;
	unsigned int nr_slots;
	struct list_head slots_free;
	struct list_head slots_freeing;
	struct mutex virt_lock;		/* see above */
	unsigned long *gather;
	struct page **gather_pages;
	struct work_struct unmap_work;

	unsigned long nr_pages;
	unsigned int nr_chunks;
	struct vbuddy_chunk *chunks;
	bool quiet;
	struct dentry *debugfs;
	struct list_head node;
	char name[VBUDDY_NAME_LEN];
};

struct vbuddy_pool *vbuddy_pool_of_pfn(unsigned long pfn);
struct vbuddy_pool *vbuddy_pool_of_pfn_index(unsigned long pfn, u32 *idx);
void vbuddy_kmalloc_init_pool(struct vbuddy_pool *pool);

/* Where an injected fault hits: see module/fault.c. */
enum vbuddy_fail_site {
	VBUDDY_FAIL_KERNEL,	/* what vbuddy asks of the kernel */
	VBUDDY_FAIL_POOL,	/* vbuddy's own allocations from a pool */
};

#ifdef CONFIG_FAULT_INJECTION
bool vbuddy_should_fail(enum vbuddy_fail_site site);
void vbuddy_fault_select(bool kernel, bool pool);
void vbuddy_fault_debugfs(struct dentry *root);
#else
static inline bool vbuddy_should_fail(enum vbuddy_fail_site site)
{
	return false;
}

static inline void vbuddy_fault_debugfs(struct dentry *root)
{
}
#endif

/* kvcalloc() and alloc_pages() for vbuddy's bookkeeping, failable by injection. */
static inline void *vbuddy_kvcalloc(size_t n, size_t size)
{
	return vbuddy_should_fail(VBUDDY_FAIL_KERNEL) ? NULL : kvcalloc(n, size, GFP_KERNEL);
}

static inline struct page *vbuddy_kernel_pages(gfp_t gfp, unsigned int order)
{
	return vbuddy_should_fail(VBUDDY_FAIL_KERNEL) ? NULL : alloc_pages(gfp, order);
}

void vbuddy_debugfs_init(void);
void vbuddy_debugfs_exit(void);
void vbuddy_debugfs_pool_add(struct vbuddy_pool *pool);
void vbuddy_debugfs_pool_remove(struct vbuddy_pool *pool);

int vbuddy_pcp_init(struct vbuddy_pool *pool);
void vbuddy_pcp_destroy(struct vbuddy_pool *pool);
struct page *vbuddy_pcp_alloc(struct vbuddy_pool *pool, unsigned int order, bool large);
int vbuddy_pcp_free(struct vbuddy_pool *pool, struct page *page, unsigned int order,
		    bool large);
int vbuddy_pcp_free_index(struct vbuddy_pool *pool, struct page *page, u32 idx,
			  unsigned int order, bool large);
unsigned long vbuddy_pcp_drain(struct vbuddy_pool *pool);
unsigned long vbuddy_pcp_pages(struct vbuddy_pool *pool);
void vbuddy_pcp_add_stats(struct vbuddy_pool *pool, struct vbuddy_stats *stats);
int vbuddy_pcp_check(struct vbuddy_pool *pool);
int vbuddy_pcp_walk(struct vbuddy_pool *pool,
		    int (*fn)(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
			      unsigned int cpu, void *arg),
		    void *arg);
bool vbuddy_pool_reclaim(struct vbuddy_pool *pool);
unsigned long vbuddy_kmalloc_drain(struct vbuddy_pool *pool);
unsigned long vbuddy_kmalloc_empty_pages(struct vbuddy_pool *pool);

static inline bool vbuddy_pcp_serves(struct vbuddy_pool *pool, unsigned int order)
{
	return order < VBUDDY_PCP_ORDERS && pool->pcp_high[order];
}

int vbuddy_window_init(struct vbuddy_pool *pool);
void vbuddy_window_destroy(struct vbuddy_pool *pool, const char *when);
void *vbuddy_virt_alloc(struct vbuddy_pool *pool, size_t size, gfp_t gfp);
const char *vbuddy_virt_resolve(struct vbuddy_pool *pool, const void *p,
				struct buddy_block *blk, size_t *size);
void vbuddy_virt_release(struct vbuddy_pool *pool, struct buddy_block *blk);

__printf(2, 3)
void vbuddy_report(struct vbuddy_pool *pool, const char *fmt, ...);

/* For tests, debugfs and the smoke client; exported to VBUDDY_INTERNAL. */
void vbuddy_pool_expect_reports(struct vbuddy_pool *pool, bool quiet);
void vbuddy_pool_drain(struct vbuddy_pool *pool);
void vbuddy_pool_teardown(struct vbuddy_pool *pool);
bool vbuddy_pool_alloc_block(struct vbuddy_pool *pool, unsigned int order, bool large,
			     struct page **page);
void vbuddy_pool_alloc_failed(struct vbuddy_pool *pool, unsigned int order);
unsigned long vbuddy_pool_checkerboard(struct vbuddy_pool *pool, struct page **held);
int vbuddy_pool_check(struct vbuddy_pool *pool);
unsigned long vbuddy_pool_free_pages(struct vbuddy_pool *pool);
unsigned long vbuddy_pool_cached_pages(struct vbuddy_pool *pool);
unsigned long vbuddy_pool_nr_pages(struct vbuddy_pool *pool);
void vbuddy_pool_nr_free(struct vbuddy_pool *pool,
			 unsigned long nr_free[VBUDDY_NR_ORDERS]);
void vbuddy_pool_get_stats(struct vbuddy_pool *pool, struct vbuddy_stats *stats);
unsigned long vbuddy_pool_event(struct vbuddy_pool *pool, enum vbuddy_event ev);
void vbuddy_pool_get_class(struct vbuddy_pool *pool, unsigned int class,
			   struct vbuddy_class *info);

#endif /* _VBUDDY_INTERNAL_H */
