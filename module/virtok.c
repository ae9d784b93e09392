// SPDX-License-Identifier: GPL-2.0
/*
 * GFP_VIRTOK: scattered free pages of a pool, mapped into one virtually
 * contiguous range.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "vbuddy_internal.h"
#include "vbuddy_trace.h"

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

static unsigned int virtok_slots = 64;
module_param(virtok_slots, uint, 0444);
MODULE_PARM_DESC(virtok_slots, "GFP_VIRTOK slots per pool (default 64, at most 4096)");

#define VBUDDY_MAX_SLOTS	4096
static_assert(VBUDDY_MAX_SLOTS <= U16_MAX);

/*
 * Unmap the freed ranges of @pool and give their pages back. Process
 * context; the pool's work item.
 */
static void unmap_work(struct work_struct *work)
{
	struct vbuddy_pool *pool = container_of(work, struct vbuddy_pool, unmap_work);
	struct vbuddy_slot *slot;
	unsigned long flags, i;

	mutex_lock(&pool->virt_lock);
	for (;;) {
		spin_lock_irqsave(&pool->lock, flags);
		slot = list_first_entry_or_null(&pool->slots_freeing, struct vbuddy_slot, node);
		if (slot)
			list_del_init(&slot->node);
		spin_unlock_irqrestore(&pool->lock, flags);
		if (!slot)
			break;

		for (i = 0; i < slot->nr_pages; i++)
			pool->gather[i] = page_to_pfn(vmalloc_to_page((void *)slot->addr +
								     (i << PAGE_SHIFT)));
		vunmap((void *)slot->addr);

		spin_lock_irqsave(&pool->lock, flags);
		for (i = 0; i < slot->nr_pages; i++) {
			buddy_free_tagged(&pool->buddy, pool->gather[i], 0, VBUDDY_TAG_VIRT);
			trace_vbuddy_free(pool->name, pool->gather[i], 0, VBUDDY_TAG_VIRT);
		}
		slot->state = VBUDDY_SLOT_FREE;
		slot->addr = 0;
		list_add(&slot->node, &pool->slots_free);
		pool->stats.slots_in_use--;
		pool->stats.events[VBUDDY_EV_VIRT_FREED]++;
		spin_unlock_irqrestore(&pool->lock, flags);
	}
	mutex_unlock(&pool->virt_lock);
}

/**
 * vbuddy_window_init() - allocate a pool's window
 * @pool: the pool, not yet visible to anyone
 *
 * Context: Process context; may sleep.
 * Return: 0 or -ENOMEM.
 */
int vbuddy_window_init(struct vbuddy_pool *pool)
{
	unsigned int i, nr = min_t(unsigned int, virtok_slots, VBUDDY_MAX_SLOTS);

	INIT_LIST_HEAD(&pool->slots_free);
	INIT_LIST_HEAD(&pool->slots_freeing);
	mutex_init(&pool->virt_lock);
	INIT_WORK(&pool->unmap_work, unmap_work);
	if (!nr)
		return 0;

	pool->slots = vbuddy_kvcalloc(nr, sizeof(*pool->slots));
	pool->gather = vbuddy_kvcalloc(VBUDDY_SLOT_PAGES, sizeof(*pool->gather));
	pool->gather_pages = vbuddy_kvcalloc(VBUDDY_SLOT_PAGES, sizeof(*pool->gather_pages));
	if (!pool->slots || !pool->gather || !pool->gather_pages)
		return -ENOMEM;
	for (i = 0; i < nr; i++)
		list_add_tail(&pool->slots[i].node, &pool->slots_free);
	pool->nr_slots = nr;
	return 0;
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
	unsigned int i;

	flush_work(&pool->unmap_work);
	for (i = 0; when && i < pool->nr_slots; i++) {
		struct vbuddy_slot *slot = &pool->slots[i];

		if (slot->state != VBUDDY_SLOT_IN_USE)
			continue;
		pr_err("pool %s: GFP_VIRTOK range of %u pages still mapped %s; unmapping it\n",
		       pool->name, slot->nr_pages, when);
		vunmap((void *)slot->addr);
	}
	kvfree(pool->gather_pages);
	kvfree(pool->gather);
	kvfree(pool->slots);
	mutex_destroy(&pool->virt_lock);
}

/* Take @nr pages and a slot, or say why not; under the pool lock. */
static struct vbuddy_slot *virt_take(struct vbuddy_pool *pool, unsigned long nr,
				     enum vbuddy_event *why)
{
	struct vbuddy_slot *slot;
	struct buddy_block blk;
	unsigned long i;

	lockdep_assert_held(&pool->lock);
	lockdep_assert_held(&pool->virt_lock);
	if (pool->buddy.free_frames < nr || vbuddy_should_fail(VBUDDY_FAIL_POOL)) {
		*why = VBUDDY_EV_VIRT_NO_PAGES;
		return NULL;
	}
	slot = list_first_entry_or_null(&pool->slots_free, struct vbuddy_slot, node);
	if (!slot) {
		*why = VBUDDY_EV_VIRT_NO_SLOT;
		return NULL;
	}
	/* Cannot fail: enough pages are free, checked above under the lock. */
	if (WARN_ON_ONCE(buddy_gather(&pool->buddy, nr, pool->gather))) {
		*why = VBUDDY_EV_VIRT_NO_PAGES;
		return NULL;
	}
	for (i = 0; i < nr; i++) {
		buddy_set_tag(&pool->buddy, pool->gather[i], VBUDDY_TAG_VIRT);
		buddy_lookup(&pool->buddy, pool->gather[i], &blk);
		pool->cpages[blk.index].slot = slot - pool->slots;
	}
	list_del_init(&slot->node);
	slot->state = VBUDDY_SLOT_MAPPING;
	slot->nr_pages = nr;
	pool->stats.slots_in_use++;
	pool->stats.slots_peak = max(pool->stats.slots_peak, pool->stats.slots_in_use);
	return slot;
}

/* Map @slot's pages in the scope of @gfp's NOFS/NOIO, as kvmalloc() does. */
static void *virt_map(struct vbuddy_pool *pool, unsigned long nr, gfp_t gfp)
{
	unsigned int nofs = 0, noio = 0;
	unsigned long i;
	void *addr;

	for (i = 0; i < nr; i++)
		pool->gather_pages[i] = pfn_to_page(pool->gather[i]);
	if (!(gfp & __GFP_FS))
		nofs = memalloc_nofs_save();
	if (!(gfp & __GFP_IO))
		noio = memalloc_noio_save();
	addr = vbuddy_should_fail(VBUDDY_FAIL_KERNEL) ? NULL :
		vmap(pool->gather_pages, nr, VM_MAP, PAGE_KERNEL);
	if (!(gfp & __GFP_IO))
		memalloc_noio_restore(noio);
	if (!(gfp & __GFP_FS))
		memalloc_nofs_restore(nofs);
	return addr;
}

/* Count a refusal of a fallback of @nr pages. */
static void virt_refuse(struct vbuddy_pool *pool, unsigned long nr, enum vbuddy_event ev)
{
	unsigned long flags;

	spin_lock_irqsave(&pool->lock, flags);
	pool->stats.events[ev]++;
	spin_unlock_irqrestore(&pool->lock, flags);
	trace_vbuddy_virt(pool->name, nr, vbuddy_event_names[ev]);
}

/**
 * vbuddy_virt_alloc() - serve a request from scattered pages of the pool
 * @pool: the pool
 * @size: bytes, more than a page
 * @gfp: the caller's flags
 *
 * Context: Process context, with a @gfp that allows blocking; see the DOC.
 * Return: the range's address, or NULL (counted by reason).
 */
void *vbuddy_virt_alloc(struct vbuddy_pool *pool, size_t size, gfp_t gfp)
{
	unsigned long nr = DIV_ROUND_UP(size, PAGE_SIZE), flags, i;
	enum vbuddy_event why;
	struct vbuddy_slot *slot;
	bool drained = false, pending;
	void *addr;

	if (!gfpflags_allow_blocking(gfp)) {
		virt_refuse(pool, nr, VBUDDY_EV_VIRT_ATOMIC);
		return NULL;
	}
	if (nr > VBUDDY_SLOT_PAGES) {
		virt_refuse(pool, nr, VBUDDY_EV_VIRT_TOO_BIG);
		return NULL;
	}
	might_sleep();

again:
	mutex_lock(&pool->virt_lock);
	spin_lock_irqsave(&pool->lock, flags);
	slot = virt_take(pool, nr, &why);
	pending = !list_empty(&pool->slots_freeing);
	spin_unlock_irqrestore(&pool->lock, flags);
	if (!slot) {
		mutex_unlock(&pool->virt_lock);
		if (!drained && (pending || (why == VBUDDY_EV_VIRT_NO_PAGES &&
					     vbuddy_pool_cached_pages(pool)))) {
			flush_work(&pool->unmap_work);
			vbuddy_pool_reclaim(pool);
			drained = true;
			goto again;
		}
		virt_refuse(pool, nr, why);
		return NULL;
	}

	addr = virt_map(pool, nr, gfp);

	spin_lock_irqsave(&pool->lock, flags);
	if (!addr) {
		for (i = 0; i < nr; i++)
			buddy_free_tagged(&pool->buddy, pool->gather[i], 0, VBUDDY_TAG_VIRT);
		slot->state = VBUDDY_SLOT_FREE;
		list_add(&slot->node, &pool->slots_free);
		pool->stats.slots_in_use--;
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
	mutex_unlock(&pool->virt_lock);
	return addr;
}

/**
 * vbuddy_virt_resolve() - check that @p is a live GFP_VIRTOK range
 * @pool: the pool that owns the page @p maps
 * @p: an address in the vmalloc area
 * @blk: the buddy block of that page (a VBUDDY_TAG_VIRT page)
 * @size: where the range's size is stored
 *
 * Return: NULL, or why @p is not the address of a live range.
 */
const char *vbuddy_virt_resolve(struct vbuddy_pool *pool, const void *p,
				struct buddy_block *blk, size_t *size)
{
	struct vbuddy_slot *slot = &pool->slots[pool->cpages[blk->index].slot];

	lockdep_assert_held(&pool->lock);
	if (slot->state != VBUDDY_SLOT_IN_USE)
		return "double free of a GFP_VIRTOK range";
	if (slot->addr != (unsigned long)p)
		return "pointer into the middle of a GFP_VIRTOK range";
	*size = (size_t)slot->nr_pages << PAGE_SHIFT;
	return NULL;
}

/**
 * vbuddy_virt_release() - free a range that vbuddy_virt_resolve() accepted
 * @pool: its pool
 * @blk: the buddy block of its first page
 *
 * The range is unmapped and its pages given back by the pool's work item.
 */
void vbuddy_virt_release(struct vbuddy_pool *pool, struct buddy_block *blk)
{
	struct vbuddy_slot *slot = &pool->slots[pool->cpages[blk->index].slot];

	lockdep_assert_held(&pool->lock);
	slot->state = VBUDDY_SLOT_FREEING;
	list_add_tail(&slot->node, &pool->slots_freeing);
	queue_work(system_wq, &pool->unmap_work);
}
