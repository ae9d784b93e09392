/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The GFP_VIRTOK window: scattered free pages of a pool mapped into one
 * virtually contiguous range (module/window.c).
 */
#ifndef _VBUDDY_WINDOW_H
#define _VBUDDY_WINDOW_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "pool.h"

/* A slot holds up to 2^VBUDDY_MAX_ORDER pages: any request fits in one. */
#define VBUDDY_SLOT_PAGES	BIT(VBUDDY_MAX_ORDER)

enum vbuddy_slot_state {
	VBUDDY_SLOT_FREE,	/* on the window's free slot list */
	VBUDDY_SLOT_MAPPING,	/* pages taken, vmap() under way */
	VBUDDY_SLOT_IN_USE,	/* maps a GFP_VIRTOK range */
	VBUDDY_SLOT_FREEING,	/* freed; the unmapper gives it back */
};

/**
 * struct vbuddy_slot - one slot of a pool's window
 * @addr: the range's address while MAPPING/IN_USE/FREEING
 * @nr_pages: pages in the range
 * @state: an enum vbuddy_slot_state
 * @node: on the window's free or freeing slot list
 *
 * Guarded by the pool lock.
 */
struct vbuddy_slot {
	unsigned long addr;
	unsigned int nr_pages;
	u8 state;
	struct list_head node;
};

/**
 * struct vbuddy_window - a pool's GFP_VIRTOK window
 * @pool: the pool it belongs to
 * @lock: serialises fallbacks and the unmapper, which share @gather and
 *        @gather_pages; taken before the pool lock
 * @slots: @nr_slots slots, allocated with the pool
 * @nr_slots: slots in the window; fixed
 * @free: slots ready for a fallback, guarded by the pool lock
 * @freeing: freed ranges waiting for @unmap_work, guarded by the pool lock
 * @slot_of: per frame of the pool, the slot that maps it while it is a
 *           VBUDDY_TAG_VIRT page; guarded by the pool lock
 * @in_use: slots holding a range now, guarded by the pool lock
 * @peak: the most slots ever in use at once, guarded by the pool lock
 * @gather: pfns of a fallback or of a range being unmapped
 * @gather_pages: the same as pages, for vmap()
 * @unmap_work: vunmap()s freed ranges and gives their pages back; vunmap()
 *              sleeps, and vbuddy_kfree() must not
 */
struct vbuddy_window {
	struct vbuddy_pool *pool;
	struct mutex lock;		/* see above */
	struct vbuddy_slot *slots;
	unsigned int nr_slots;
	struct list_head free;
	struct list_head freeing;
	u16 *slot_of;
	unsigned long in_use;
	unsigned long peak;
	unsigned long *gather;
	struct page **gather_pages;
	struct work_struct unmap_work;
};

void vbuddy_window_setup(unsigned int slots);
int vbuddy_window_init(struct vbuddy_pool *pool);
void vbuddy_window_destroy(struct vbuddy_pool *pool, const char *when);
void *vbuddy_window_alloc(struct vbuddy_pool *pool, size_t size, gfp_t gfp);
const char *vbuddy_window_resolve(struct vbuddy_pool *pool, const void *p, u32 idx,
				  size_t *size);
void vbuddy_window_release(struct vbuddy_pool *pool, u32 idx);

#endif /* _VBUDDY_WINDOW_H */
