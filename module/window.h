/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The GFP_VIRTOK window: scattered free pages of a pool mapped into one
 * virtually contiguous range (module/window.c).
 */
#ifndef _VBUDDY_WINDOW_H
#define _VBUDDY_WINDOW_H

#include <linux/list.h>
#include <linux/atomic.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "pool.h"

/* The most slots a window has (the module parameter virtok_slots caps at it). */
#define VBUDDY_MAX_SLOTS	4096

/*
 * The largest range vm_map_ram() maps from its per-CPU blocks (mm/vmalloc.c's
 * VMAP_MAX_ALLOC); above it, it is vmap() without the guard page.
 */
#define VBUDDY_MAP_RAM_MAX	BITS_PER_LONG

/*
 * The most ranges a window keeps mapped after their free (module parameter
 * virtok_keep caps at it), and the largest range it keeps, in pages.
 */
#define VBUDDY_KEEP_MAX		16
#define VBUDDY_KEEP_PAGES	BITS_PER_LONG

/* A slot holds up to 2^VBUDDY_MAX_ORDER pages: any request fits in one. */
#define VBUDDY_SLOT_PAGES	BIT(VBUDDY_MAX_ORDER)

enum vbuddy_slot_state {
	VBUDDY_SLOT_FREE,	/* on the window's free slot list */
	VBUDDY_SLOT_MAPPING,	/* pages taken, vmap() under way */
	VBUDDY_SLOT_IN_USE,	/* maps a GFP_VIRTOK range */
	VBUDDY_SLOT_KEPT,	/* freed, still mapped, on the kept list */
	VBUDDY_SLOT_FREEING,	/* freed, on the freeing list */
	VBUDDY_SLOT_UNMAPPING,	/* vunmap() under way */
};

/* A page of a range: its pfn while gathered, then its struct page, for vmap(). */
union vbuddy_range_page {
	unsigned long pfn;
	struct page *page;
};

/**
 * struct vbuddy_slot - one slot of a pool's window
 * @addr: the range's address while IN_USE, KEPT, FREEING or UNMAPPING
 * @nr_pages: pages in the range
 * @pages: the range's pages, from MAPPING until the unmap; allocated by the
 *         fallback in its caller's context, freed by the unmap
 * @state: an enum vbuddy_slot_state
 * @ram: mapped with vm_map_ram() (unmapped with vm_unmap_ram()), not vmap()
 * @node: on the window's free, kept or freeing slot list
 *
 * Guarded by the pool lock.
 */
struct vbuddy_slot {
	unsigned long addr;
	unsigned int nr_pages;
	union vbuddy_range_page *pages;
	u8 state;
	bool ram;
	struct list_head node;
};

/**
 * struct vbuddy_window - a pool's GFP_VIRTOK window
 * @pool: the pool it belongs to
 * @slots: @nr_slots slots, allocated with the pool
 * @nr_slots: slots in the window; fixed
 * @free: slots ready for a fallback, guarded by the pool lock
 * @freeing: freed ranges waiting for @unmap_work, guarded by the pool lock
 * @kept: freed ranges still mapped, the most recent first, for the next
 *        fallback of their size; guarded by the pool lock
 * @nr_kept: ranges on @kept; written under the pool lock (WRITE_ONCE()),
 *           peeked at without it
 * @kept_pages: pages of those ranges, guarded by the pool lock
 * @max_kept: the most ranges @kept holds, 0..VBUDDY_KEEP_MAX, a setting
 *            (module parameter virtok_keep, or a test hook): WRITE_ONCE()/
 *            READ_ONCE()
 * @slot_of: per frame of the pool, the slot that maps it while it is a
 *           VBUDDY_TAG_VIRT page; guarded by the pool lock
 * @in_use: slots holding a range now, guarded by the pool lock
 * @peak: the most slots ever in use at once, guarded by the pool lock
 * @map_ram_pages: ranges of up to this many pages are mapped with
 *                 vm_map_ram(), larger ones with vmap(); 0..VBUDDY_MAP_RAM_MAX,
 *                 a setting (module parameter virtok_map_ram, or a test hook):
 *                 WRITE_ONCE()/READ_ONCE()
 * @unmapping: ranges being unmapped now (off the freeing list, their pages
 *             not back yet); a reclaim waits for it to fall to zero
 * @unmap_work: vunmap()s freed ranges and gives their pages back, for
 *              frees that may not sleep
 */
struct vbuddy_window {
	struct vbuddy_pool *pool;
	struct vbuddy_slot *slots;
	unsigned int nr_slots;
	struct list_head free;
	struct list_head freeing;
	struct list_head kept;
	unsigned int nr_kept;
	unsigned long kept_pages;
	unsigned int max_kept;
	u16 *slot_of;
	unsigned long in_use;
	unsigned long peak;
	unsigned int map_ram_pages;
	atomic_t unmapping;
	struct work_struct unmap_work;
};

struct workqueue_struct;

void vbuddy_window_setup(unsigned int slots, unsigned int map_ram_pages,
			 unsigned int keep, struct workqueue_struct *wq);
int vbuddy_window_init(struct vbuddy_pool *pool);
void vbuddy_window_destroy(struct vbuddy_pool *pool, const char *when);
void *vbuddy_window_alloc(struct vbuddy_pool *pool, size_t size, gfp_t gfp);
void *vbuddy_window_reuse(struct vbuddy_pool *pool, size_t size, gfp_t gfp);
const char *vbuddy_window_resolve(struct vbuddy_pool *pool, const void *p, u32 idx,
				  size_t *size);
void vbuddy_window_release(struct vbuddy_pool *pool, u32 idx, bool defer);
void vbuddy_window_unmap(struct vbuddy_pool *pool);

#endif /* _VBUDDY_WINDOW_H */
