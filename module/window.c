// SPDX-License-Identifier: GPL-2.0
/*
 * The GFP_VIRTOK window: scattered free pages of a pool, mapped into one
 * virtually contiguous range.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "fault.h"
#include "pool.h"
#include "vbuddy_trace.h"
#include "window.h"

/**
 * DOC: the GFP_VIRTOK window
 *
 * A buddy pool can hold plenty of free pages and no free run of two: every
 * multi-page request then fails, and callers that each need such a block
 * before they can free anything deadlock. With GFP_VIRTOK, a multi-page
 * vbuddy_*kmalloc() that finds no contiguous block takes that many free
 * pages wherever they lie, smallest free blocks first (so the large blocks
 * that contiguous callers need are split last), and maps them into one
 * virtually contiguous range with vmap().
 *
 * Each pool has a window of ``virtok_slots`` slots (module parameter,
 * default 64), allocated with the pool: a slot holds one range of up to
 * 2^VBUDDY_MAX_ORDER pages, the largest allocation, so any request fits any
 * free slot and all the bookkeeping exists before the first emergency. The
 * slots bound how many ranges a pool has mapped at once.
 *
 * Where the addresses come from: 6.12 exports to modules neither
 * get_vm_area() nor vm_area_map_pages(), nor init_mm (which
 * apply_to_page_range() needs for kernel addresses), nor
 * flush_tlb_kernel_range(). A module therefore cannot write PTEs at
 * addresses it reserved itself, nor flush their TLB entries, and a window
 * of fixed addresses cannot be built correctly. vbuddy lets vmap() choose
 * each range's addresses in the vmalloc area (with a guard page, and listed
 * in /proc/vmallocinfo under vbuddy_virt_alloc), and vunmap() take them
 * back, whose lazy TLB flush is the kernel's own. That space is terabytes
 * on 64-bit and is freed a whole range at a time, so what the slots bound,
 * the number and size of live ranges, is what matters.
 *
 * Context: vmap() allocates with GFP_KERNEL and may sleep, so a GFP_VIRTOK
 * request that may not sleep is refused (counted as virt_atomic) before
 * anything is taken from the pool; the contiguous attempt before it is
 * made as usual. A fallback runs in the scope of its caller's GFP_NOFS or
 * GFP_NOIO. vunmap() may sleep too, and vbuddy_kfree() works in any
 * context, so a freed range is unmapped by a work item, and its pages
 * return to the pool then; a fallback that finds too few pages or no slot
 * waits for pending unmaps, and drains the per-CPU caches, once before it
 * gives up. A refused fallback
 * leaves the pool exactly as it was.
 */

#define VBUDDY_MAX_SLOTS	4096
static_assert(VBUDDY_MAX_SLOTS <= U16_MAX);

/* The module parameter virtok_slots (module/main.c). */
static unsigned int virtok_slots = 64;

/**
 * vbuddy_window_setup() - the slots pools created from now on get
 * @slots: GFP_VIRTOK slots per pool, at most 4096; 0: no fallback
 *
 * Context: Module init, before any pool exists.
 */
void vbuddy_window_setup(unsigned int slots)
{
	virtok_slots = min_t(unsigned int, slots, VBUDDY_MAX_SLOTS);
}

/*
 * Unmap the freed ranges of @pool and give their pages back. Process
 * context; the window's work item.
 */
static void unmap_work(struct work_struct *work)
{
	struct vbuddy_window *w = container_of(work, struct vbuddy_window, unmap_work);
	struct vbuddy_pool *pool = w->pool;
	struct vbuddy_slot *slot;
	unsigned long flags, i;

	mutex_lock(&w->lock);
	for (;;) {
		spin_lock_irqsave(&pool->lock, flags);
		slot = list_first_entry_or_null(&w->freeing, struct vbuddy_slot, node);
		if (slot)
			list_del_init(&slot->node);
		spin_unlock_irqrestore(&pool->lock, flags);
		if (!slot)
			break;

		for (i = 0; i < slot->nr_pages; i++)
			w->gather[i] = page_to_pfn(vmalloc_to_page((void *)slot->addr +
								  (i << PAGE_SHIFT)));
		vunmap((void *)slot->addr);

		spin_lock_irqsave(&pool->lock, flags);
		for (i = 0; i < slot->nr_pages; i++) {
			buddy_free_tagged(&pool->buddy, w->gather[i], 0, VBUDDY_TAG_VIRT);
			trace_vbuddy_free(pool->name, w->gather[i], 0, VBUDDY_TAG_VIRT);
		}
		slot->state = VBUDDY_SLOT_FREE;
		slot->addr = 0;
		list_add(&slot->node, &w->free);
		w->in_use--;
		pool->stats.events[VBUDDY_EV_VIRT_FREED]++;
		spin_unlock_irqrestore(&pool->lock, flags);
	}
	mutex_unlock(&w->lock);
}

/*
 * Cache callback: freed ranges waiting to be unmapped hold pages that are
 * free to their callers; a request that may sleep waits for the unmapper.
 * Returns the pages that came back.
 */
static unsigned long window_reclaim(struct vbuddy_pool *pool, gfp_t gfp)
{
	struct vbuddy_window *w = pool->window;
	unsigned long flags, pages = 0;
	struct vbuddy_slot *slot;

	if (!gfpflags_allow_blocking(gfp))
		return 0;
	spin_lock_irqsave(&pool->lock, flags);
	list_for_each_entry(slot, &w->freeing, node)
		pages += slot->nr_pages;
	spin_unlock_irqrestore(&pool->lock, flags);
	flush_work(&w->unmap_work);
	return pages;
}

/* Cache callback: the slots in use now and at most. */
static void window_add_stats(struct vbuddy_pool *pool, struct vbuddy_stats *stats)
{
	unsigned long flags;

	spin_lock_irqsave(&pool->lock, flags);
	stats->slots_in_use = pool->window->in_use;
	stats->slots_peak = pool->window->peak;
	spin_unlock_irqrestore(&pool->lock, flags);
}

static const struct vbuddy_cache_ops window_cache_ops = {
	.name = "window",
	.reclaim = window_reclaim,
	.add_stats = window_add_stats,
};

/**
 * vbuddy_window_init() - allocate a pool's window
 * @pool: the pool, its buddy allocator ready, not yet registered
 *
 * Context: Process context; may sleep.
 * Return: 0 or -ENOMEM.
 */
int vbuddy_window_init(struct vbuddy_pool *pool)
{
	unsigned int i, nr = virtok_slots;
	struct vbuddy_window *w;

	w = vbuddy_should_fail(VBUDDY_FAIL_KERNEL) ? NULL : kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	pool->window = w;
	w->pool = pool;
	INIT_LIST_HEAD(&w->free);
	INIT_LIST_HEAD(&w->freeing);
	mutex_init(&w->lock);
	INIT_WORK(&w->unmap_work, unmap_work);
	if (nr) {
		w->slots = vbuddy_kvcalloc(nr, sizeof(*w->slots));
		w->slot_of = vbuddy_kvcalloc(pool->nr_pages, sizeof(*w->slot_of));
		w->gather = vbuddy_kvcalloc(VBUDDY_SLOT_PAGES, sizeof(*w->gather));
		w->gather_pages = vbuddy_kvcalloc(VBUDDY_SLOT_PAGES, sizeof(*w->gather_pages));
		if (!w->slots || !w->slot_of || !w->gather || !w->gather_pages)
			return -ENOMEM;
		for (i = 0; i < nr; i++)
			list_add_tail(&w->slots[i].node, &w->free);
		w->nr_slots = nr;
	}
	return vbuddy_pool_add_cache(pool, &window_cache_ops);
}

/**
 * vbuddy_window_destroy() - free a pool's window
 * @pool: the pool, unreachable by now
 * @when: NULL when no range can be mapped any more; "at unload" or "at
 *        teardown" (vbuddy_pool_teardown()) when some may be: those are
 *        reported and unmapped, and their pages go back to the kernel with
 *        the pool's
 *
 * Context: Process context; may sleep.
 */
void vbuddy_window_destroy(struct vbuddy_pool *pool, const char *when)
{
	struct vbuddy_window *w = pool->window;
	unsigned int i;

	if (!w)
		return;
	flush_work(&w->unmap_work);
	for (i = 0; when && i < w->nr_slots; i++) {
		struct vbuddy_slot *slot = &w->slots[i];

		if (slot->state != VBUDDY_SLOT_IN_USE)
			continue;
		pr_err("pool %s: GFP_VIRTOK range of %u pages still mapped %s; unmapping it\n",
		       pool->name, slot->nr_pages, when);
		vunmap((void *)slot->addr);
	}
	kvfree(w->gather_pages);
	kvfree(w->gather);
	kvfree(w->slot_of);
	kvfree(w->slots);
	mutex_destroy(&w->lock);
	kfree(w);
	pool->window = NULL;
}

/* Take @nr pages and a slot, or say why not; under the pool lock. */
static struct vbuddy_slot *window_take(struct vbuddy_pool *pool, unsigned long nr,
				       enum vbuddy_event *why)
{
	struct vbuddy_window *w = pool->window;
	struct vbuddy_slot *slot;
	struct buddy_block blk;
	unsigned long i;

	lockdep_assert_held(&pool->lock);
	lockdep_assert_held(&w->lock);
	if (pool->buddy.free_frames < nr || vbuddy_should_fail(VBUDDY_FAIL_POOL)) {
		*why = VBUDDY_EV_VIRT_NO_PAGES;
		return NULL;
	}
	slot = list_first_entry_or_null(&w->free, struct vbuddy_slot, node);
	if (!slot) {
		*why = VBUDDY_EV_VIRT_NO_SLOT;
		return NULL;
	}
	/* Cannot fail: enough pages are free, checked above under the lock. */
	if (WARN_ON_ONCE(buddy_gather(&pool->buddy, nr, w->gather))) {
		*why = VBUDDY_EV_VIRT_NO_PAGES;
		return NULL;
	}
	for (i = 0; i < nr; i++) {
		buddy_set_tag(&pool->buddy, w->gather[i], VBUDDY_TAG_VIRT);
		buddy_lookup(&pool->buddy, w->gather[i], &blk);
		w->slot_of[blk.index] = slot - w->slots;
	}
	list_del_init(&slot->node);
	slot->state = VBUDDY_SLOT_MAPPING;
	slot->nr_pages = nr;
	w->in_use++;
	w->peak = max(w->peak, w->in_use);
	return slot;
}

/* Map the gathered pages in the scope of @gfp's NOFS/NOIO, as kvmalloc() does. */
static void *window_map(struct vbuddy_window *w, unsigned long nr, gfp_t gfp)
{
	unsigned int nofs = 0, noio = 0;
	unsigned long i;
	void *addr;

	for (i = 0; i < nr; i++)
		w->gather_pages[i] = pfn_to_page(w->gather[i]);
	if (!(gfp & __GFP_FS))
		nofs = memalloc_nofs_save();
	if (!(gfp & __GFP_IO))
		noio = memalloc_noio_save();
	addr = vbuddy_should_fail(VBUDDY_FAIL_KERNEL) ? NULL :
		vmap(w->gather_pages, nr, VM_MAP, PAGE_KERNEL);
	if (!(gfp & __GFP_IO))
		memalloc_noio_restore(noio);
	if (!(gfp & __GFP_FS))
		memalloc_nofs_restore(nofs);
	return addr;
}

/* Count a refusal of a fallback of @nr pages. */
static void window_refuse(struct vbuddy_pool *pool, unsigned long nr, enum vbuddy_event ev)
{
	vbuddy_pool_count(pool, ev);
	trace_vbuddy_virt(pool->name, nr, vbuddy_event_names[ev]);
}

/**
 * vbuddy_window_alloc() - serve a request from scattered pages of the pool
 * @pool: the pool
 * @size: bytes, more than a page
 * @gfp: the caller's flags
 *
 * Context: Process context, with a @gfp that allows blocking; see the DOC.
 * Return: the range's address, or NULL (counted by reason).
 */
void *vbuddy_window_alloc(struct vbuddy_pool *pool, size_t size, gfp_t gfp)
{
	struct vbuddy_window *w = pool->window;
	unsigned long nr = DIV_ROUND_UP(size, PAGE_SIZE), flags, i;
	enum vbuddy_event why;
	struct vbuddy_slot *slot;
	bool drained = false, pending;
	void *addr;

	if (!gfpflags_allow_blocking(gfp)) {
		window_refuse(pool, nr, VBUDDY_EV_VIRT_ATOMIC);
		return NULL;
	}
	if (nr > VBUDDY_SLOT_PAGES) {
		window_refuse(pool, nr, VBUDDY_EV_VIRT_TOO_BIG);
		return NULL;
	}
	might_sleep();

again:
	mutex_lock(&w->lock);
	spin_lock_irqsave(&pool->lock, flags);
	slot = window_take(pool, nr, &why);
	pending = !list_empty(&w->freeing);
	spin_unlock_irqrestore(&pool->lock, flags);
	if (!slot) {
		mutex_unlock(&w->lock);
		if (!drained && (pending || (why == VBUDDY_EV_VIRT_NO_PAGES &&
					     vbuddy_pool_cached_pages(pool)))) {
			vbuddy_pool_reclaim(pool, gfp);
			drained = true;
			goto again;
		}
		window_refuse(pool, nr, why);
		return NULL;
	}

	addr = window_map(w, nr, gfp);

	spin_lock_irqsave(&pool->lock, flags);
	if (!addr) {
		for (i = 0; i < nr; i++)
			buddy_free_tagged(&pool->buddy, w->gather[i], 0, VBUDDY_TAG_VIRT);
		slot->state = VBUDDY_SLOT_FREE;
		list_add(&slot->node, &w->free);
		w->in_use--;
		pool->stats.events[VBUDDY_EV_VIRT_MAP_FAILED]++;
	} else {
		slot->addr = (unsigned long)addr;
		slot->state = VBUDDY_SLOT_IN_USE;
		pool->stats.events[VBUDDY_EV_VIRT_SERVED]++;
		pool->stats.events[VBUDDY_EV_VIRT_PAGES] += nr;
	}
	spin_unlock_irqrestore(&pool->lock, flags);
	trace_vbuddy_virt(pool->name, nr, vbuddy_event_names[addr ? VBUDDY_EV_VIRT_SERVED :
							     VBUDDY_EV_VIRT_MAP_FAILED]);
	mutex_unlock(&w->lock);
	return addr;
}

/**
 * vbuddy_window_resolve() - check that @p is a live GFP_VIRTOK range
 * @pool: the pool that owns the page @p maps
 * @p: an address in the vmalloc area
 * @idx: the frame index of that page (a VBUDDY_TAG_VIRT page)
 * @size: where the range's size is stored
 *
 * Context: The pool lock held.
 * Return: NULL, or why @p is not the address of a live range.
 */
const char *vbuddy_window_resolve(struct vbuddy_pool *pool, const void *p, u32 idx,
				  size_t *size)
{
	struct vbuddy_window *w = pool->window;
	struct vbuddy_slot *slot = &w->slots[w->slot_of[idx]];

	lockdep_assert_held(&pool->lock);
	if (slot->state != VBUDDY_SLOT_IN_USE)
		return "double free of a GFP_VIRTOK range";
	if (slot->addr != (unsigned long)p)
		return "pointer into the middle of a GFP_VIRTOK range";
	*size = (size_t)slot->nr_pages << PAGE_SHIFT;
	return NULL;
}

/**
 * vbuddy_window_release() - free a range that vbuddy_window_resolve() accepted
 * @pool: its pool
 * @idx: the frame index of its first page
 *
 * The range is unmapped and its pages given back by the window's work item.
 *
 * Context: The pool lock held.
 */
void vbuddy_window_release(struct vbuddy_pool *pool, u32 idx)
{
	struct vbuddy_window *w = pool->window;
	struct vbuddy_slot *slot = &w->slots[w->slot_of[idx]];

	lockdep_assert_held(&pool->lock);
	slot->state = VBUDDY_SLOT_FREEING;
	list_add_tail(&slot->node, &w->freeing);
	queue_work(system_wq, &w->unmap_work);
}
