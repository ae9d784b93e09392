// SPDX-License-Identifier: GPL-2.0
/*
 * The kmalloc family over vbuddy pools: small sizes from the size classes
 * (module/classes.c), whole blocks above them, and the GFP_VIRTOK window
 * (module/window.c) as the fallback; and the free side, which finds every
 * allocation from its address alone.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/kmemleak.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "classes.h"
#include "compact.h"
#include "fault.h"
#include "pcp.h"
#include "pool.h"
#include "vbuddy_trace.h"
#include "window.h"

/**
 * DOC: the kmalloc family
 *
 * vbuddy_pool_kmalloc() serves requests up to VBUDDY_CLASS_MAX bytes from
 * the size classes, and larger ones as a whole block of 2^order pages, up
 * to 2^VBUDDY_MAX_ORDER. Blocks of the cached orders (0-4, up to 64 KiB
 * with 4 KiB pages) come from and go back to the CPU's page lists as
 * vbuddy_alloc_pages() blocks do, marked VBUDDY_OWN_LARGE in their owner
 * byte while out, so that vbuddy_kfree() frees them without the pool lock
 * and vbuddy_free_pages() refuses them; larger ones carry the buddy tag
 * VBUDDY_TAG_LARGE. Blocks of a page or more are page aligned, as kmalloc()
 * promises. A multi-page request with GFP_VIRTOK that finds no block is
 * served by the window.
 *
 * vbuddy_kfree(), vbuddy_ksize() and vbuddy_krealloc() take a pointer from
 * any pool: the page it lies in (in the direct map, or for a GFP_VIRTOK
 * range in the vmalloc area) names the pool, and the pool's buddy tag of
 * that page names the layer that resolves it.
 */

/* What a contiguous allocation of @size occupies: its class or its pages. */
static size_t bucket_size(size_t size)
{
	if (size <= VBUDDY_CLASS_MAX)
		return vbuddy_class_size[vbuddy_size_class(size)];
	if (size > PAGE_SIZE << VBUDDY_MAX_ORDER)
		return 0;
	return PAGE_SIZE << get_order(size);
}

/*
 * Free @p (an address of the direct map), if it is an object of a size
 * class, or whole pages from a per-CPU cache, that a caller holds, onto
 * this CPU's lists, without the pool lock. False for anything else (larger
 * objects, bad pointers): the locked path then frees or reports it.
 */
static bool free_fast(const void *p)
{
	unsigned long pfn = PHYS_PFN(__pa(p));
	struct vbuddy_pool *pool;
	unsigned int order;
	u8 owner;
	u32 idx;

	pool = vbuddy_pool_of_pfn_index(pfn, &idx);
	if (!pool)
		return false;
	/* Only choose the path: the held bit, or the cmpxchg(), in the free decides. */
	if (READ_ONCE(pool->buddy.frames[idx].tag) == VBUDDY_TAG_CLASS)
		return vbuddy_class_free_fast(pool, p, idx);
	owner = vbuddy_pcp_owner(pool, idx);
	if (!(owner & VBUDDY_OWN_LARGE))
		return false;
	order = owner & VBUDDY_OWN_ORDER;
	if (offset_in_page(p))
		return false;
	/*
	 * Unregistered before the block is free for anyone to take (and
	 * register); if the free then fails, it was a double free racing
	 * another, which kmemleak reports too.
	 */
	kmemleak_free(p);
	if (vbuddy_pcp_free_index(pool, pfn_to_page(pfn), idx, order, true))
		return false;
	trace_vbuddy_free(pool->name, pfn, order, VBUDDY_TAG_LARGE);
	return true;
}

/*
 * Whole pages, as a block of the pool: orders 0-4 come from this CPU's
 * cache, marked VBUDDY_OWN_LARGE; larger ones are tagged VBUDDY_TAG_LARGE.
 */
static void *large_alloc(struct vbuddy_pool *pool, unsigned int order)
{
	struct page *page;

	page = vbuddy_should_fail(VBUDDY_FAIL_POOL) ? NULL :
		vbuddy_pcp_get_block(pool, order, true, false);
	if (!page) {
		vbuddy_pool_alloc_failed(pool, order);
		return NULL;
	}
	trace_vbuddy_alloc(pool->name, page_to_pfn(page), order, VBUDDY_TAG_LARGE);
	return page_address(page);
}

/*
 * An object of @size from its class, or from the pool's blocks. Inline: a
 * class object, the common case, comes without a call.
 */
static __always_inline void *contig_alloc(struct vbuddy_pool *pool, size_t size)
{
	if (size <= VBUDDY_CLASS_MAX)
		return vbuddy_class_alloc(pool, vbuddy_size_class(size));
	if (size <= PAGE_SIZE << VBUDDY_MAX_ORDER)
		return large_alloc(pool, get_order(size));
	return NULL;
}

/*
 * One try at @size: contiguous (unless @tried already), a range the window
 * kept mapped (which splits no free block), contiguous after a reclaim,
 * then the window.
 */
static void *kmalloc_try(struct vbuddy_pool *pool, size_t size, gfp_t gfp, bool tried,
			 bool *virt)
{
	bool window = gfp & GFP_VIRTOK && size > PAGE_SIZE;
	void *p = NULL;

	*virt = false;
	if (!tried)
		p = contig_alloc(pool, size);
	if (!p && window) {
		p = vbuddy_window_reuse(pool, size, gfp);
		*virt = !!p;
	}
	if (!p && vbuddy_pool_reclaim(pool, gfp))
		p = contig_alloc(pool, size);
	if (!p && size > PAGE_SIZE && vbuddy_compact_direct(pool, gfp, get_order(size)))
		p = contig_alloc(pool, size);
	if (!p && window) {
		p = vbuddy_window_alloc(pool, size, gfp);
		*virt = true;
	}
	return p;
}

/* The object @p of @bytes, as vbuddy_pool_kmalloc() returns it. */
static void *kmalloc_done(void *p, size_t bytes, gfp_t gfp)
{
	if (want_init_on_alloc(gfp))
		memset(p, 0, bytes);
	/* As SLUB does: kmemleak scans the object and reports it if leaked. */
	kmemleak_alloc(p, bytes, 1, gfp);
	return p;
}

/* vbuddy_pool_kmalloc() but for its common case; @tried: the class was tried. */
static void *kmalloc_slow(struct vbuddy_pool *pool, size_t size, gfp_t gfp, bool tried)
{
	unsigned long start = jiffies;
	bool virt;
	void *p;

	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	if (unlikely(size > PAGE_SIZE << VBUDDY_MAX_ORDER))
		goto fail;
	if (unlikely(!vbuddy_pool_gfp_ok(pool, gfp, size > PAGE_SIZE ? get_order(size) : 0)))
		return NULL;
	/* vbuddy_pool_gfp_ok() refused the rest: the window is the only way. */
	if (unlikely(gfp & __GFP_NOFAIL) && get_order(size) > pool->max_order &&
	    (size > pool->nr_pages << PAGE_SHIFT || !pool->window->nr_slots)) {
		vbuddy_report_gfp(pool, gfp, "__GFP_NOFAIL kmalloc(%zu) refused: it never fits",
				  size);
		return NULL;
	}
	do {
		p = kmalloc_try(pool, size, gfp, tried, &virt);
		tried = false;
	} while (unlikely(!p) && vbuddy_pool_nofail_retry(pool, gfp, start));
	if (unlikely(!p))
		goto fail;
	return kmalloc_done(p, virt ? PAGE_ALIGN(size) : bucket_size(size), gfp);
fail:
	if (!(gfp & __GFP_NOWARN))
		pr_warn_ratelimited("pool %s: kmalloc(%zu) failed\n", pool->name, size);
	return NULL;
}

/* What both do, inline in each: one call from the caller to the object. */
static __always_inline void *pool_kmalloc(struct vbuddy_pool *pool, size_t size, gfp_t gfp)
{
	void *p;

	might_alloc(gfp & ~GFP_VIRTOK);
	/* Flags vbuddy_pool_gfp_ok() takes for any pool: straight to the object. */
	if (likely(size - 1 < PAGE_SIZE << VBUDDY_MAX_ORDER && !(gfp & VBUDDY_GFP_CHECKED))) {
		p = contig_alloc(pool, size);
		if (likely(p))
			return kmalloc_done(p, bucket_size(size), gfp);
		return kmalloc_slow(pool, size, gfp, true);
	}
	return kmalloc_slow(pool, size, gfp, false);
}

/**
 * vbuddy_pool_kmalloc() - allocate memory from a pool, as kmalloc() does
 * @pool: the pool
 * @size: bytes wanted; at most 2^VBUDDY_MAX_ORDER pages
 * @gfp: GFP flags, as Documentation/api.rst tabulates: __GFP_ZERO (and the
 *       init_on_alloc boot option) zeroes the whole object; GFP_VIRTOK
 *       allows the fallback for more than a page; __GFP_NOFAIL waits for
 *       frees where the caller may sleep; __GFP_NOWARN silences the failure
 *       message; zone modifiers the pool's zone cannot satisfy and
 *       __GFP_ACCOUNT are refused with a report
 *
 * The object is aligned to ARCH_KMALLOC_MINALIGN at least; a size that is
 * a power of two is aligned to itself, up to 2^VBUDDY_MAX_ORDER pages, as
 * kmalloc() promises (GFP_VIRTOK ranges excepted: they are page aligned,
 * as kvmalloc() promises).
 *
 * Context: Any context, with a @gfp that says so (GFP_ATOMIC, GFP_NOWAIT).
 * Return: the object, ZERO_SIZE_PTR for a @size of 0, or NULL if the pool
 * has no room, @size is above 2^VBUDDY_MAX_ORDER pages, or (reported) @gfp
 * has a flag refused above or asks __GFP_NOFAIL for what the pool can never
 * hold.
 */
void *vbuddy_pool_kmalloc(struct vbuddy_pool *pool, size_t size, gfp_t gfp)
{
	return pool_kmalloc(pool, size, gfp);
}
EXPORT_SYMBOL_GPL(vbuddy_pool_kmalloc);

/**
 * vbuddy_kmalloc() - vbuddy_pool_kmalloc() from the default pool
 * @size: bytes wanted
 * @gfp: GFP flags, as for vbuddy_pool_kmalloc()
 *
 * Context: Any context, with a @gfp that says so.
 * Return: as vbuddy_pool_kmalloc().
 */
void *vbuddy_kmalloc(size_t size, gfp_t gfp)
{
	/* Set before any caller can reach this, and kept while the module is. */
	return pool_kmalloc(READ_ONCE(vbuddy_default), size, gfp);
}
EXPORT_SYMBOL_GPL(vbuddy_kmalloc);

/**
 * vbuddy_kzalloc() - vbuddy_kmalloc() of zeroed memory
 * @size: bytes wanted
 * @gfp: GFP flags, as for vbuddy_pool_kmalloc()
 *
 * Context: Any context, with a @gfp that says so.
 * Return: as vbuddy_pool_kmalloc().
 */
void *vbuddy_kzalloc(size_t size, gfp_t gfp)
{
	return vbuddy_kmalloc(size, gfp | __GFP_ZERO);
}
EXPORT_SYMBOL_GPL(vbuddy_kzalloc);

/**
 * vbuddy_kmalloc_array() - vbuddy_kmalloc() of @n elements of @size bytes
 * @n: number of elements
 * @size: bytes per element
 * @gfp: GFP flags, as for vbuddy_pool_kmalloc()
 *
 * Context: Any context, with a @gfp that says so.
 * Return: as vbuddy_pool_kmalloc(); NULL if @n * @size overflows.
 */
void *vbuddy_kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return vbuddy_kmalloc(bytes, gfp);
}
EXPORT_SYMBOL_GPL(vbuddy_kmalloc_array);

/**
 * vbuddy_kcalloc() - vbuddy_kmalloc_array() of zeroed memory
 * @n: number of elements
 * @size: bytes per element
 * @gfp: GFP flags, as for vbuddy_pool_kmalloc()
 *
 * Context: Any context, with a @gfp that says so.
 * Return: as vbuddy_pool_kmalloc(); NULL if @n * @size overflows.
 */
void *vbuddy_kcalloc(size_t n, size_t size, gfp_t gfp)
{
	return vbuddy_kmalloc_array(n, size, gfp | __GFP_ZERO);
}
EXPORT_SYMBOL_GPL(vbuddy_kcalloc);

/**
 * struct vbuddy_obj - an allocation found from its address
 * @p: its address, as the caller gave it
 * @blk: its buddy block
 * @size: its usable size
 * @obj: object index in its class page (class objects only)
 * @cached: whole pages from a per-CPU cache (VBUDDY_OWN_LARGE)
 */
struct vbuddy_obj {
	const void *p;
	struct buddy_block blk;
	size_t size;
	unsigned int obj;
	bool cached;
};

/*
 * Find the allocation @p points to. Return NULL, or why @p is no live
 * allocation's address.
 */
static const char *obj_resolve(struct vbuddy_pool *pool, const void *p,
			       unsigned long pfn, struct vbuddy_obj *o)
{
	u8 owner;

	lockdep_assert_held(&pool->lock);
	o->p = p;
	o->cached = false;
	if (buddy_lookup(&pool->buddy, pfn, &o->blk))
		return "not from this pool";
	if (o->blk.state == BUDDY_FREE)
		return "double free, or never allocated";

	switch (o->blk.tag) {
	case VBUDDY_TAG_LARGE:
		if (p != page_address(pfn_to_page(o->blk.pfn)))
			return "pointer into the middle of an object";
		o->size = PAGE_SIZE << o->blk.order;
		return NULL;
	case VBUDDY_TAG_CLASS:
		return vbuddy_class_resolve(pool, o->blk.index, p, &o->size, &o->obj);
	case VBUDDY_TAG_VIRT:
		if (!is_vmalloc_addr(p))
			return "page of a GFP_VIRTOK range, not its address";
		return vbuddy_window_resolve(pool, p, o->blk.index, &o->size);
	default:
		/* Under the pool lock only: see the owner-byte protocol in pcp.c. */
		owner = vbuddy_pcp_owner(pool, o->blk.index);
		if (owner == VBUDDY_OWN_CACHED)		/* on a per-CPU list */
			return "double free, or never allocated";
		if (!(owner & VBUDDY_OWN_LARGE))
			return "pages from vbuddy_alloc_pages(): use vbuddy_free_pages()";
		if (p != page_address(pfn_to_page(o->blk.pfn)))
			return "pointer into the middle of an object";
		o->size = PAGE_SIZE << o->blk.order;
		o->cached = true;
		return NULL;
	}
}

static void obj_release(struct vbuddy_pool *pool, struct vbuddy_obj *o, bool defer)
{
	lockdep_assert_held(&pool->lock);
	pool->stats.events[VBUDDY_EV_FREE]++;
	kmemleak_free(o->p);
	switch (o->blk.tag) {
	case VBUDDY_TAG_LARGE:
		set_page_private(pfn_to_page(o->blk.pfn), 0);	/* the stamp */
		buddy_free(&pool->buddy, o->blk.pfn, o->blk.order);
		trace_vbuddy_free(pool->name, o->blk.pfn, o->blk.order, VBUDDY_TAG_LARGE);
		break;
	case VBUDDY_TAG_VIRT:
		vbuddy_window_release(pool, o->blk.index, defer);
		break;
	default:
		vbuddy_class_release(pool, o->blk.index, o->obj);
		break;
	}
}

/*
 * The pool that owns the page @p lies in, or NULL; @p may be in the direct
 * map or (GFP_VIRTOK ranges) in the vmalloc area.
 */
static struct vbuddy_pool *owner_of(const void *p, unsigned long *pfn)
{
	struct page *page = NULL;

	if (is_vmalloc_addr(p))
		page = vmalloc_to_page(p);
	else if (virt_addr_valid(p))
		page = virt_to_page(p);
	if (!page)
		return NULL;
	*pfn = page_to_pfn(page);
	return vbuddy_pool_of_pfn(*pfn);
}

/*
 * What obj_op() does with the allocation it finds: only look it up
 * (ksize, krealloc; OBJ_SIZE without reporting a bad pointer), or free it;
 * a free that may not sleep leaves the unmap of a GFP_VIRTOK range to a
 * work item.
 */
enum obj_action { OBJ_SIZE, OBJ_LOOKUP, OBJ_FREE, OBJ_FREE_DEFER };

static inline bool obj_frees(enum obj_action act)
{
	return act == OBJ_FREE || act == OBJ_FREE_DEFER;
}

/*
 * Look @p up and free it if @act says so. Reports a bad pointer. Returns
 * its usable size, or 0 if @p is no live allocation; its pool in @poolp.
 * Call under rcu_read_lock(): the lookup may race the destruction of
 * another pool, and a pool is freed only after a grace period.
 */
static size_t obj_op(const void *p, enum obj_action act, const char *op,
		     struct vbuddy_pool **poolp)
{
	struct vbuddy_pool *pool;
	unsigned long flags, pfn;
	struct vbuddy_obj o;
	const char *why;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "vbuddy: a lookup without rcu_read_lock()");
	*poolp = pool = owner_of(p, &pfn);
	if (!pool) {
		if (act != OBJ_SIZE)
			vbuddy_report(vbuddy_default_pool(),
				      "%s(%p) refused: not from a vbuddy pool", op, p);
		return 0;
	}
	spin_lock_irqsave(&pool->lock, flags);
	why = obj_resolve(pool, p, pfn, &o);
	if (!why && obj_frees(act) && !o.cached)
		obj_release(pool, &o, act == OBJ_FREE_DEFER);
	spin_unlock_irqrestore(&pool->lock, flags);
	/* Not under the pool lock: a list lock comes first. Lost a race: a double free. */
	if (!why && obj_frees(act) && o.cached) {
		kmemleak_free(p);	/* as in free_fast() */
		if (vbuddy_pcp_free_index(pool, pfn_to_page(o.blk.pfn), o.blk.index,
					  o.blk.order, true))
			why = "double free, or never allocated";
	}
	if (why) {
		if (act != OBJ_SIZE)
			vbuddy_report(pool, "%s(%p) refused: %s", op, p, why);
		return 0;
	}
	return o.size;
}

/*
 * May this free sleep, to unmap a GFP_VIRTOK range at once? Only where the
 * kernel can tell: without CONFIG_PREEMPT_COUNT a held spinlock is
 * invisible, and the work item unmaps instead.
 */
static bool free_may_sleep(void)
{
	return IS_ENABLED(CONFIG_PREEMPT_COUNT) && preemptible() && !rcu_preempt_depth();
}

/**
 * vbuddy_kfree() - free memory from the vbuddy kmalloc family
 * @p: what a vbuddy k*alloc function returned, from any pool; NULL and
 *     ZERO_SIZE_PTR are ignored
 *
 * A double free, a pointer into the middle of an object, or a pointer that
 * no vbuddy pool gave out is reported and refused; the pool stays intact.
 * A GFP_VIRTOK range freed where the caller may sleep is unmapped, and its
 * pages are back in the pool, when this returns; elsewhere a work item
 * unmaps it soon after; unless the pool keeps it mapped (virtok_keep). With
 * the init_on_free boot option the object is zeroed first.
 *
 * Context: Any context.
 */
void vbuddy_kfree(const void *p)
{
	bool may_sleep, direct, virt;
	struct vbuddy_pool *pool;
	size_t freed;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return;
	/* An address of the direct map is none of the vmalloc area's. */
	direct = virt_addr_valid(p);
	virt = !direct && is_vmalloc_addr(p);
	may_sleep = virt && free_may_sleep();
	rcu_read_lock();
	/*
	 * init_on_free: zero the object while it is still the caller's; a bad
	 * pointer is left alone here and reported by the free below.
	 */
	if (want_init_on_free()) {
		freed = obj_op(p, OBJ_SIZE, "kfree", &pool);
		if (freed)
			memset((void *)p, 0, freed);
	}
	if (likely(direct && free_fast(p))) {
		rcu_read_unlock();
		return;
	}
	freed = obj_op(p, may_sleep ? OBJ_FREE : OBJ_FREE_DEFER, "kfree", &pool);
	rcu_read_unlock();
	/* The caller's range was ours to unmap: the pool outlives this call. */
	if (freed && virt && may_sleep)
		vbuddy_window_unmap(pool);
}
EXPORT_SYMBOL_GPL(vbuddy_kfree);

/**
 * vbuddy_ksize() - the usable size of an allocation
 * @p: what a vbuddy k*alloc function returned, from any pool
 *
 * Context: Any context.
 * Return: the size of @p's class or block, at least what was asked for; 0
 * for NULL, ZERO_SIZE_PTR, or (reported) a pointer that is no allocation.
 */
size_t vbuddy_ksize(const void *p)
{
	struct vbuddy_pool *pool;
	size_t size;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return 0;
	rcu_read_lock();
	size = obj_op(p, OBJ_LOOKUP, "ksize", &pool);
	rcu_read_unlock();
	return size;
}
EXPORT_SYMBOL_GPL(vbuddy_ksize);

/**
 * vbuddy_krealloc() - resize an allocation, keeping its contents
 * @p: what a vbuddy k*alloc function returned, or NULL / ZERO_SIZE_PTR
 * @new_size: bytes wanted; 0 frees @p and returns ZERO_SIZE_PTR
 * @gfp: GFP flags, as for vbuddy_pool_kmalloc(); with __GFP_ZERO the bytes
 *       beyond the old object are zeroed (as with krealloc(), use it from
 *       the first allocation of the object on)
 *
 * The new object comes from @p's pool (the default pool for NULL). @p is
 * returned as it is when @new_size falls in its class or block; otherwise
 * the contents move to a new object of the right size, also when shrinking
 * (so a shrunk object does not hold a large block), unless that allocation
 * fails, in which case a shrink keeps @p.
 *
 * Context: Any context, with a @gfp that says so.
 * Return: the object, ZERO_SIZE_PTR, or NULL if growing failed (@p is then
 * untouched) or @p is no allocation (reported).
 */
void *vbuddy_krealloc(const void *p, size_t new_size, gfp_t gfp)
{
	struct vbuddy_pool *pool;
	size_t old;
	void *n;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return vbuddy_kmalloc(new_size, gfp);
	if (unlikely(!new_size)) {
		vbuddy_kfree(p);
		return ZERO_SIZE_PTR;
	}
	rcu_read_lock();
	old = obj_op(p, OBJ_LOOKUP, "krealloc", &pool);
	rcu_read_unlock();
	/* From here on @pool lives as long as the caller's @p does. */
	if (!old)
		return NULL;

	if (bucket_size(new_size) == old ||
	    (is_vmalloc_addr(p) && PAGE_ALIGN(new_size) == old)) {
		if (gfp & __GFP_ZERO && new_size < old)
			memset((void *)p + new_size, 0, old - new_size);
		return (void *)p;
	}
	n = vbuddy_pool_kmalloc(pool, new_size, gfp);
	if (!n)
		return new_size < old ? (void *)p : NULL;
	memcpy(n, p, min(old, new_size));
	vbuddy_kfree(p);
	return n;
}
EXPORT_SYMBOL_GPL(vbuddy_krealloc);

/**
 * vbuddy_is_virtual() - was this allocation served by the GFP_VIRTOK fallback?
 * @p: an address from the vbuddy kmalloc family
 *
 * Such memory is virtually contiguous only: its pages are scattered, so it
 * is no buffer for DMA, and virt_to_page() does not apply to it.
 *
 * Context: Any context.
 * Return: true if @p lies in a range mapped from a pool's pages.
 */
bool vbuddy_is_virtual(const void *p)
{
	unsigned long pfn;
	bool ret;

	if (!is_vmalloc_addr(p))
		return false;
	rcu_read_lock();
	ret = owner_of(p, &pfn);
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_GPL(vbuddy_is_virtual);
