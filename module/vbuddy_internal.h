/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vbuddy internals shared by the files of vbuddy.ko and, through the
 * VBUDDY_INTERNAL symbol namespace, by its test modules. Not an API.
 */
#ifndef _VBUDDY_INTERNAL_H
#define _VBUDDY_INTERNAL_H

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "vbuddy.h"
#include "buddy.h"

/* Events counted per pool, each with a stable name in vbuddy_event_names. */
enum vbuddy_event {
	VBUDDY_EV_FREE,		/* blocks given back */
	VBUDDY_EV_BAD_INPUT,	/* misuse reported and refused */
	VBUDDY_EV_NR,
};

extern const char *const vbuddy_event_names[VBUDDY_EV_NR];

/**
 * struct vbuddy_stats - what a pool counts
 * @alloc: contiguous allocations served, per order
 * @alloc_fail: contiguous allocations refused for lack of a block, per order
 * @events: the events of enum vbuddy_event
 */
struct vbuddy_stats {
	unsigned long alloc[VBUDDY_NR_ORDERS];
	unsigned long alloc_fail[VBUDDY_NR_ORDERS];
	unsigned long events[VBUDDY_EV_NR];
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
 * struct vbuddy_class_page - a page of small objects
 * @addr: the page's address
 * @next: next page of the class with a free object (frame index)
 * @prev: previous such page (frame index)
 * @inuse: objects allocated
 * @class: index into vbuddy_class_size
 * @map: bit set for each allocated object; a free needs only its own bit,
 *       so a double free is found in O(1), and the pages hold no free list
 *       that a use after free could corrupt
 *
 * One per frame of the pool, indexed by the frame index of the buddy core;
 * meaningful while the frame is a VBUDDY_TAG_CLASS block. Guarded by the
 * pool lock.
 */
struct vbuddy_class_page {
	void *addr;
	u32 next;
	u32 prev;
	u16 inuse;
	u8 class;
	unsigned long map[VBUDDY_CLASS_MAP_LONGS];
};

/**
 * struct vbuddy_class - one size class of a pool
 * @partial: first page with a free object (frame index), or BUDDY_NIL
 * @pages: pages the class holds
 * @objects: objects allocated
 *
 * Guarded by the pool lock.
 */
struct vbuddy_class {
	u32 partial;
	unsigned long pages;
	unsigned long objects;
};

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
 * @buddy: the allocator, over the page frame numbers of @chunks
 * @stats: counters
 * @classes: the size classes
 * @cpages: class page state, one per frame of @buddy
 * @nr_pages: pages in the pool; fixed at creation
 * @nr_chunks: entries in @chunks; fixed at creation
 * @chunks: the pages taken from the kernel, by ascending pfn; fixed
 * @quiet: reports are expected (a test provoking them): log them at info
 *         level and without a backtrace; otherwise the first one warns
 * @node: entry on the list of pools, guarded by vbuddy_pools_lock
 * @name: the pool's name; fixed at creation
 */
struct vbuddy_pool {
	spinlock_t lock;		/* see above */
	struct buddy buddy;
	struct vbuddy_stats stats;
	struct vbuddy_class classes[VBUDDY_NR_CLASSES];
	struct vbuddy_class_page *cpages;

	unsigned long nr_pages;
	unsigned int nr_chunks;
	struct vbuddy_chunk *chunks;
	bool quiet;
	struct list_head node;
	char name[VBUDDY_NAME_LEN];
};

struct vbuddy_pool *vbuddy_pool_of_pfn(unsigned long pfn);
void vbuddy_kmalloc_init_pool(struct vbuddy_pool *pool);

__printf(2, 3)
void vbuddy_report(struct vbuddy_pool *pool, const char *fmt, ...);

/* For tests, debugfs and the smoke client; exported to VBUDDY_INTERNAL. */
void vbuddy_pool_expect_reports(struct vbuddy_pool *pool, bool quiet);
int vbuddy_pool_check(struct vbuddy_pool *pool);
unsigned long vbuddy_pool_free_pages(struct vbuddy_pool *pool);
unsigned long vbuddy_pool_nr_pages(struct vbuddy_pool *pool);
void vbuddy_pool_nr_free(struct vbuddy_pool *pool,
			 unsigned long nr_free[VBUDDY_NR_ORDERS]);
void vbuddy_pool_get_stats(struct vbuddy_pool *pool, struct vbuddy_stats *stats);
void vbuddy_pool_get_class(struct vbuddy_pool *pool, unsigned int class,
			   struct vbuddy_class *info);

#endif /* _VBUDDY_INTERNAL_H */
