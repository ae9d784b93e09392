// SPDX-License-Identifier: GPL-2.0
/*
 * The GFP_VIRTOK window: scattered free pages of a pool, mapped into one
 * virtually contiguous range.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kmemleak.h>
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
 * virtually contiguous range with vmap(), or for a range of at most
 * ``virtok_map_ram`` pages (module parameter) vm_map_ram(), which maps
 * from per-CPU blocks of address space and unmaps lazily.
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
 * in /proc/vmallocinfo under vbuddy_window_alloc), and vunmap() take them
 * back, whose lazy TLB flush is the kernel's own; vm_map_ram() and
 * vm_unmap_ram() do the same from per-CPU blocks of 64 pages' worth of
 * addresses (no guard page, not listed one by one), flushing as lazily. That space is terabytes
 * on 64-bit and is freed a whole range at a time, so what the slots bound,
 * the number and size of live ranges, is what matters.
 *
 * Context: vmap() allocates with GFP_KERNEL and may sleep, so a GFP_VIRTOK
 * request that may not sleep is refused (counted as virt_atomic) before
 * anything is taken from the pool; the contiguous attempt before it is
 * made as usual. A fallback runs in the scope of its caller's GFP_NOFS or
 * GFP_NOIO (memalloc_nofs_save(), memalloc_noio_save()), as kvmalloc()
 * does, and holds no lock across vmap(): its pages and slot are taken under
 * the pool lock, which is dropped before mapping, and the array of the
 * range's pages is its own (allocated in the caller's context, kept with
 * the slot until the unmap), so no other request waits on a fallback that
 * reclaims. vunmap() may sleep too: vbuddy_kfree() of a range from a
 * context that may sleep unmaps it before it returns, and one that may not
 * (or a kernel that cannot tell: without CONFIG_PREEMPT_COUNT) leaves it to
 * a work item on vbuddy's own WQ_MEM_RECLAIM workqueue, which makes
 * progress under memory pressure. A request that may sleep and finds too
 * few pages or no slot completes the pending unmaps, and drains the per-CPU
 * caches, once before it gives up (vbuddy_pool_reclaim()). A refused
 * fallback leaves the pool exactly as it was.
 *
 * Kept ranges: mapping is most of a fallback's cost (vmap() and vunmap()
 * write, and flush, a PTE per page), and a caller that frees a range and
 * asks for one of the same size again pays it twice. With ``virtok_keep``
 * (module parameter, default 0, at most VBUDDY_KEEP_MAX) a pool keeps that
 * many freed ranges of up to VBUDDY_KEEP_PAGES pages mapped, pages and
 * slot with them, as kernel/fork.c keeps freed vmap'ed stacks: the next
 * GFP_VIRTOK request of the same size that finds no contiguous block takes
 * one back before anything else (virt_reused; it counts in virt_served,
 * not in virt_pages_mapped), even before a reclaim that might have freed a
 * contiguous block: the caller said a range will do, and a kept one splits
 * no free block. A kept range's pages are free pages that a cache holds,
 * as on the per-CPU lists: vbuddy_pool_cached_pages() counts them, and
 * every reclaim, so every contiguous request before it fails, unmaps them
 * and gives them back (a reclaim that may not sleep leaves that to the
 * work item). A second free of a kept range is refused as any double free,
 * until the range is handed out again: then it frees the new owner's
 * range, as a late second kfree() of a reused SLUB object frees the new
 * one. What keeping gives up, and why it is off by default: after its
 * free a range stays mapped, so a use after free writes to pages the pool
 * still holds instead of faulting, and KASAN, which a module cannot ask to
 * poison vmalloc addresses, does not see it either; and vbuddy_kfree() no
 * longer gives the pages back before it returns.
 */

static_assert(VBUDDY_MAX_SLOTS <= U16_MAX);

/*
 * The module parameters virtok_slots, virtok_map_ram and virtok_keep, and
 * vbuddy's workqueue (module/main.c).
 */
static unsigned int virtok_slots = 64;
static unsigned int virtok_map_ram;
static unsigned int virtok_keep;
static struct workqueue_struct *unmap_wq;

/**
 * vbuddy_window_setup() - what the windows of pools created from now on get
 * @slots: GFP_VIRTOK slots per pool, at most 4096; 0: no fallback
 * @map_ram_pages: ranges up to this many pages (at most VBUDDY_MAP_RAM_MAX)
 *                 are mapped with vm_map_ram(), larger ones with vmap()
 * @keep: freed ranges a pool keeps mapped (at most VBUDDY_KEEP_MAX)
 * @wq: the WQ_MEM_RECLAIM workqueue the unmaps that cannot wait run on
 *
 * Context: Module init, before any pool exists.
 */
void vbuddy_window_setup(unsigned int slots, unsigned int map_ram_pages,
			 unsigned int keep, struct workqueue_struct *wq)
{
	virtok_slots = min_t(unsigned int, slots, VBUDDY_MAX_SLOTS);
	virtok_map_ram = min_t(unsigned int, map_ram_pages, VBUDDY_MAP_RAM_MAX);
	virtok_keep = min_t(unsigned int, keep, VBUDDY_KEEP_MAX);
	unmap_wq = wq;
}

/**
 * vbuddy_pool_set_map_ram() - map a pool's small ranges with vm_map_ram()
 * @pool: the pool
 * @pages: ranges of up to this many pages (capped at VBUDDY_MAP_RAM_MAX)
 *         from now on; 0: vmap() for all
 *
 * A test hook: the benchmark compares both ways in one run.
 */
void vbuddy_pool_set_map_ram(struct vbuddy_pool *pool, unsigned int pages)
{
	WRITE_ONCE(pool->window->map_ram_pages, min_t(unsigned int, pages, VBUDDY_MAP_RAM_MAX));
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_set_map_ram, VBUDDY_INTERNAL);

/**
 * vbuddy_pool_set_window_keep() - keep a pool's freed ranges mapped
 * @pool: the pool
 * @ranges: how many freed ranges it keeps from now on (capped at
 *          VBUDDY_KEEP_MAX); 0: none. Ranges kept beyond it stay until
 *          the next reclaim or vbuddy_pool_drain()
 *
 * A test hook, as the module parameter virtok_keep is for every pool.
 */
void vbuddy_pool_set_window_keep(struct vbuddy_pool *pool, unsigned int ranges)
{
	WRITE_ONCE(pool->window->max_kept, min_t(unsigned int, ranges, VBUDDY_KEEP_MAX));
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_set_window_keep, VBUDDY_INTERNAL);

/* Unmap a slot's range, the way it was mapped; process context. */
static void slot_unmap(struct vbuddy_slot *slot)
{
	if (slot->ram)
		vm_unmap_ram((void *)slot->addr, slot->nr_pages);
	else
		vunmap((void *)slot->addr);
}

/* Give @nr pages of a range (or of a failed fallback) back to the pool. */
static void window_put_pages(struct vbuddy_pool *pool, union vbuddy_range_page *pages,
			     unsigned long nr)
{
	unsigned long i, pfn;

	lockdep_assert_held(&pool->lock);
	for (i = 0; i < nr; i++) {
		pfn = page_to_pfn(pages[i].page);
		buddy_free_tagged(&pool->buddy, pfn, 0, VBUDDY_TAG_VIRT);
		trace_vbuddy_free(pool->name, pfn, 0, VBUDDY_TAG_VIRT);
	}
}

/*
 * Unmap every freed range of @pool and give its pages back; the pages.
 * Process context. Callers may run it at once (the work item, a free that
 * may sleep, a reclaim): each takes its ranges off the list one by one.
 */
static unsigned long window_unmap_pending(struct vbuddy_pool *pool)
{
	struct vbuddy_window *w = pool->window;
	union vbuddy_range_page *pages;
	unsigned long flags, done = 0;
	struct vbuddy_slot *slot;

	might_sleep();
	for (;;) {
		spin_lock_irqsave(&pool->lock, flags);
		slot = list_first_entry_or_null(&w->freeing, struct vbuddy_slot, node);
		if (slot) {
			list_del_init(&slot->node);
			slot->state = VBUDDY_SLOT_UNMAPPING;
			atomic_inc(&w->unmapping);
		}
		spin_unlock_irqrestore(&pool->lock, flags);
		if (!slot)
			break;

		slot_unmap(slot);

		spin_lock_irqsave(&pool->lock, flags);
		window_put_pages(pool, slot->pages, slot->nr_pages);
		pages = slot->pages;
		done += slot->nr_pages;
		slot->pages = NULL;
		slot->addr = 0;
		slot->state = VBUDDY_SLOT_FREE;
		list_add(&slot->node, &w->free);
		w->in_use--;
		pool->stats.events[VBUDDY_EV_VIRT_FREED]++;
		spin_unlock_irqrestore(&pool->lock, flags);
		kvfree(pages);
		if (atomic_dec_and_test(&w->unmapping))
			wake_up_var(&w->unmapping);
	}
	return done;
}

/* Every kept range onto the freeing list, to be unmapped; under the pool lock. */
static void window_unkeep(struct vbuddy_window *w)
{
	struct vbuddy_slot *slot;

	lockdep_assert_held(&w->pool->lock);
	list_for_each_entry(slot, &w->kept, node)
		slot->state = VBUDDY_SLOT_FREEING;
	list_splice_tail_init(&w->kept, &w->freeing);
	WRITE_ONCE(w->nr_kept, 0);
	w->kept_pages = 0;
}

/* The work item: unmaps that a free could not do itself. */
static void unmap_work(struct work_struct *work)
{
	struct vbuddy_window *w = container_of(work, struct vbuddy_window, unmap_work);

	window_unmap_pending(w->pool);
}

/*
 * Cache callback: freed ranges waiting to be unmapped, and kept ones, hold
 * pages that are free to their callers; a request that may sleep unmaps
 * them itself, and waits for those another task is unmapping. One that
 * may not hands the kept ranges to the work item, which gives their pages
 * back soon after. Returns the pages that came back to the pool meanwhile.
 */
static unsigned long window_reclaim(struct vbuddy_pool *pool, gfp_t gfp)
{
	struct vbuddy_window *w = pool->window;
	bool blocking = gfpflags_allow_blocking(gfp);
	unsigned long done, flags;

	if (READ_ONCE(w->nr_kept)) {	/* a peek; the lock decides */
		spin_lock_irqsave(&pool->lock, flags);
		window_unkeep(w);
		spin_unlock_irqrestore(&pool->lock, flags);
		if (!blocking)
			queue_work(unmap_wq, &w->unmap_work);
	}
	if (!blocking)
		return 0;
	done = window_unmap_pending(pool);
	wait_var_event(&w->unmapping, !atomic_read(&w->unmapping));
	return done;
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

/* Cache callback: the pages of the kept ranges, a snapshot without the lock. */
static unsigned long window_cached(struct vbuddy_pool *pool)
{
	/* A word written under the pool lock: a snapshot may race a free. */
	return data_race(pool->window->kept_pages);
}

static const struct vbuddy_cache_ops window_cache_ops = {
	.name = "window",
	.reclaim = window_reclaim,
	.cached = window_cached,
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
	INIT_LIST_HEAD(&w->kept);
	atomic_set(&w->unmapping, 0);
	INIT_WORK(&w->unmap_work, unmap_work);
	w->map_ram_pages = virtok_map_ram;
	w->max_kept = virtok_keep;
	if (nr) {
		w->slots = vbuddy_kvcalloc(nr, sizeof(*w->slots));
		w->slot_of = vbuddy_kvcalloc(pool->nr_pages, sizeof(*w->slot_of));
		if (!w->slots || !w->slot_of)
			return -ENOMEM;
		/* Each slot holds its range's address: kmemleak must not count it. */
		kmemleak_no_scan(w->slots);
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
	cancel_work_sync(&w->unmap_work);
	if (w->slots) {
		unsigned long flags;

		spin_lock_irqsave(&pool->lock, flags);
		window_unkeep(w);	/* kept ranges are no caller's: no report */
		spin_unlock_irqrestore(&pool->lock, flags);
		window_unmap_pending(pool);
	}
	for (i = 0; i < w->nr_slots; i++) {
		struct vbuddy_slot *slot = &w->slots[i];

		if (slot->state != VBUDDY_SLOT_IN_USE)
			continue;
		pr_err("pool %s: GFP_VIRTOK range of %u pages still mapped %s; unmapping it\n",
		       pool->name, slot->nr_pages, when ?: "at destroy");
		slot_unmap(slot);
		kvfree(slot->pages);
	}
	kvfree(w->slot_of);
	kvfree(w->slots);
	kfree(w);
	pool->window = NULL;
}

/*
 * Take a slot and @nr pages into @pages, or say why not; under the pool
 * lock.
 */
static struct vbuddy_slot *window_take(struct vbuddy_pool *pool, unsigned long nr,
				       union vbuddy_range_page *pages, enum vbuddy_event *why)
{
	struct vbuddy_window *w = pool->window;
	struct vbuddy_slot *slot;
	struct buddy_block blk;
	unsigned long i;

	lockdep_assert_held(&pool->lock);
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
	if (WARN_ON_ONCE(buddy_gather(&pool->buddy, nr, &pages[0].pfn))) {
		*why = VBUDDY_EV_VIRT_NO_PAGES;
		return NULL;
	}
	for (i = 0; i < nr; i++) {
		buddy_set_tag(&pool->buddy, pages[i].pfn, VBUDDY_TAG_VIRT);
		buddy_lookup(&pool->buddy, pages[i].pfn, &blk);
		w->slot_of[blk.index] = slot - w->slots;
		pages[i].page = pfn_to_page(pages[i].pfn);
	}
	list_del_init(&slot->node);
	slot->state = VBUDDY_SLOT_MAPPING;
	slot->nr_pages = nr;
	slot->pages = pages;
	w->in_use++;
	w->peak = max(w->peak, w->in_use);
	return slot;
}

/* Count a refusal of a fallback of @nr pages. */
static void window_refuse(struct vbuddy_pool *pool, unsigned long nr, enum vbuddy_event ev)
{
	vbuddy_pool_count(pool, ev);
	trace_vbuddy_virt(pool->name, nr, vbuddy_event_names[ev]);
}

/* Are freed ranges waiting, or being unmapped? */
static bool window_pending(struct vbuddy_window *w)
{
	lockdep_assert_held(&w->pool->lock);
	return !list_empty(&w->freeing) || w->nr_kept || atomic_read(&w->unmapping);
}

/* Take a slot and @nr pages, reclaiming once if the pool has too few. */
static struct vbuddy_slot *window_take_or_reclaim(struct vbuddy_pool *pool, unsigned long nr,
						  union vbuddy_range_page *pages, gfp_t gfp)
{
	struct vbuddy_window *w = pool->window;
	bool reclaimed = false, pending;
	struct vbuddy_slot *slot;
	enum vbuddy_event why;
	unsigned long flags;

	for (;;) {
		spin_lock_irqsave(&pool->lock, flags);
		slot = window_take(pool, nr, pages, &why);
		pending = window_pending(w);
		spin_unlock_irqrestore(&pool->lock, flags);
		if (slot)
			return slot;
		if (reclaimed || !(pending || (why == VBUDDY_EV_VIRT_NO_PAGES &&
					       vbuddy_pool_cached_pages(pool))))
			break;
		vbuddy_pool_reclaim(pool, gfp);
		reclaimed = true;
	}
	window_refuse(pool, nr, why);
	return NULL;
}

/**
 * vbuddy_window_alloc() - serve a request from scattered pages of the pool
 * @pool: the pool
 * @size: bytes, more than a page
 * @gfp: the caller's flags
 *
 * Context: Process context, with a @gfp that allows blocking; see the DOC.
 * Return: the range's address, page aligned, or NULL (counted by reason).
 */
void *vbuddy_window_alloc(struct vbuddy_pool *pool, size_t size, gfp_t gfp)
{
	unsigned long nr = DIV_ROUND_UP(size, PAGE_SIZE), flags;
	unsigned int nofs = 0, noio = 0;
	union vbuddy_range_page *pages;
	struct vbuddy_slot *slot;
	void *addr = NULL;
	bool ram;

	if (!gfpflags_allow_blocking(gfp)) {
		window_refuse(pool, nr, VBUDDY_EV_VIRT_ATOMIC);
		return NULL;
	}
	if (nr > VBUDDY_SLOT_PAGES) {
		window_refuse(pool, nr, VBUDDY_EV_VIRT_TOO_BIG);
		return NULL;
	}
	might_sleep();

	/* Everything below allocates in the caller's scope, as kvmalloc() does. */
	if (!(gfp & __GFP_FS))
		nofs = memalloc_nofs_save();
	if (!(gfp & __GFP_IO))
		noio = memalloc_noio_save();

	pages = vbuddy_should_fail(VBUDDY_FAIL_KERNEL) ? NULL :
		kvmalloc_array(nr, sizeof(*pages), GFP_KERNEL | __GFP_NOWARN);
	slot = pages ? window_take_or_reclaim(pool, nr, pages, gfp) : NULL;
	if (!pages)
		window_refuse(pool, nr, VBUDDY_EV_VIRT_MAP_FAILED);
	/* A setting: the value at this moment decides, and the slot keeps it. */
	ram = nr <= READ_ONCE(pool->window->map_ram_pages);
	if (slot && !vbuddy_should_fail(VBUDDY_FAIL_KERNEL))
		addr = ram ? vm_map_ram(&pages[0].page, nr, NUMA_NO_NODE) :
			vmap(&pages[0].page, nr, VM_MAP, PAGE_KERNEL);

	if (!(gfp & __GFP_IO))
		memalloc_noio_restore(noio);
	if (!(gfp & __GFP_FS))
		memalloc_nofs_restore(nofs);
	if (!slot) {
		kvfree(pages);
		return NULL;
	}

	spin_lock_irqsave(&pool->lock, flags);
	if (!addr) {
		window_put_pages(pool, pages, nr);
		slot->pages = NULL;
		slot->state = VBUDDY_SLOT_FREE;
		list_add(&slot->node, &pool->window->free);
		pool->window->in_use--;
		pool->stats.events[VBUDDY_EV_VIRT_MAP_FAILED]++;
	} else {
		slot->addr = (unsigned long)addr;
		slot->ram = ram;
		slot->state = VBUDDY_SLOT_IN_USE;
		pool->stats.events[VBUDDY_EV_VIRT_SERVED]++;
		pool->stats.events[VBUDDY_EV_VIRT_PAGES] += nr;
	}
	spin_unlock_irqrestore(&pool->lock, flags);
	trace_vbuddy_virt(pool->name, nr, vbuddy_event_names[addr ? VBUDDY_EV_VIRT_SERVED :
							     VBUDDY_EV_VIRT_MAP_FAILED]);
	if (!addr)
		kvfree(pages);
	return addr;
}

/**
 * vbuddy_window_reuse() - serve a request with a range kept mapped
 * @pool: the pool
 * @size: bytes, more than a page
 * @gfp: the caller's flags
 *
 * What a GFP_VIRTOK request that found no contiguous block tries first: a
 * freed range of its size that the pool kept mapped (virtok_keep). Takes
 * no page from the pool and maps nothing; a request that may not sleep is
 * left to vbuddy_window_alloc(), which refuses it, as before keeping.
 *
 * Context: Any context.
 * Return: the range's address, or NULL (nothing counted).
 */
void *vbuddy_window_reuse(struct vbuddy_pool *pool, size_t size, gfp_t gfp)
{
	unsigned long nr = DIV_ROUND_UP(size, PAGE_SIZE), flags;
	struct vbuddy_window *w = pool->window;
	struct vbuddy_slot *slot, *found = NULL;

	/* A peek at a word written under the pool lock; the lock decides. */
	if (!READ_ONCE(w->nr_kept) || !gfpflags_allow_blocking(gfp))
		return NULL;
	spin_lock_irqsave(&pool->lock, flags);
	list_for_each_entry(slot, &w->kept, node) {
		if (slot->nr_pages == nr) {
			found = slot;
			list_del_init(&slot->node);
			slot->state = VBUDDY_SLOT_IN_USE;
			WRITE_ONCE(w->nr_kept, w->nr_kept - 1);
			w->kept_pages -= nr;
			pool->stats.events[VBUDDY_EV_VIRT_SERVED]++;
			pool->stats.events[VBUDDY_EV_VIRT_REUSED]++;
			break;
		}
	}
	spin_unlock_irqrestore(&pool->lock, flags);
	if (!found)
		return NULL;
	trace_vbuddy_virt(pool->name, nr, vbuddy_event_names[VBUDDY_EV_VIRT_REUSED]);
	return (void *)found->addr;
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
 * @defer: the caller may not sleep: the work item unmaps the range;
 *         otherwise the caller calls vbuddy_window_unmap() once it has
 *         dropped the pool lock
 *
 * A range of up to VBUDDY_KEEP_PAGES pages is kept mapped instead while
 * the pool keeps fewer than virtok_keep ranges, and those hold at most a
 * sixteenth of it: then nothing is left to unmap.
 *
 * Context: The pool lock held.
 */
void vbuddy_window_release(struct vbuddy_pool *pool, u32 idx, bool defer)
{
	struct vbuddy_window *w = pool->window;
	struct vbuddy_slot *slot = &w->slots[w->slot_of[idx]];

	lockdep_assert_held(&pool->lock);
	/* A setting: the value at this moment decides. */
	if (w->nr_kept < READ_ONCE(w->max_kept) && slot->nr_pages <= VBUDDY_KEEP_PAGES &&
	    w->kept_pages + slot->nr_pages <= pool->nr_pages / 16) {
		slot->state = VBUDDY_SLOT_KEPT;
		list_add(&slot->node, &w->kept);
		WRITE_ONCE(w->nr_kept, w->nr_kept + 1);
		w->kept_pages += slot->nr_pages;
		return;
	}
	slot->state = VBUDDY_SLOT_FREEING;
	list_add_tail(&slot->node, &w->freeing);
	if (defer)
		queue_work(unmap_wq, &w->unmap_work);
}

/**
 * vbuddy_window_unmap() - unmap the ranges freed in a context that may sleep
 * @pool: the pool
 *
 * What vbuddy_kfree() of a range does after vbuddy_window_release(), when
 * it may sleep: the range's pages are back in the pool when it returns.
 *
 * Context: Process context; may sleep.
 */
void vbuddy_window_unmap(struct vbuddy_pool *pool)
{
	/*
	 * A peek, without the pool lock: the caller's own range went on the
	 * list under it, before this; empty means it was kept, or another
	 * task took it off to unmap it.
	 */
	if (data_race(list_empty(&pool->window->freeing)))
		return;
	window_unmap_pending(pool);
}
