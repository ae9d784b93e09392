// SPDX-License-Identifier: GPL-2.0
/*
 * The kmalloc family over vbuddy pools: size classes carved out of order-0
 * buddy pages, and whole blocks above the largest class.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "vbuddy_internal.h"
#include "vbuddy_trace.h"

/**
 * DOC: size classes
 *
 * Requests up to VBUDDY_CLASS_MAX bytes are served from size classes with
 * the sizes of the kernel's kmalloc caches: 8, 16, 32, 64, 96, 128, 192,
 * 256, 512, 1024 and 2048 bytes. Each class owns order-0 pages of the pool
 * carved into objects of its size, and keeps the pages that have a free
 * object on a list (quick fit: one list per size). An object is found with
 * a bitmap search in its page, and a second bitmap says which objects
 * callers hold: a free clears its bit atomically, so a double free costs
 * one bit test, also without a lock, and the objects themselves hold no
 * allocator data that a use after free could corrupt.
 *
 * In front of the pages, each CPU keeps a list of up to ``pcp_objects``
 * free objects per class (see module/pcp.c), as SLUB keeps a per-CPU slab:
 * vbuddy_kmalloc() takes the last one freed, and vbuddy_kfree() finds the
 * object's pool, page and class from its address alone and puts it on the
 * list, both under the CPU's list lock only; the pool lock is taken to move
 * half a list from or to the pages. Each class keeps one page without
 * objects, so that a class whose use goes up and down by one object does
 * not split and merge a block every time; a page whose last object is
 * freed while the class keeps one already goes straight back to the buddy
 * allocator, so small objects cannot pin the pool. The kept pages count as
 * free, and a request that the pool cannot serve otherwise takes them back
 * (vbuddy_pool_reclaim()).
 *
 * Larger requests get a whole block of 2^order pages, up to
 * 2^VBUDDY_MAX_ORDER. Blocks of the cached orders (0-3, up to 32 KiB with
 * 4 KiB pages) come from and go back to the CPU's page lists as
 * vbuddy_alloc_pages() blocks do, marked VBUDDY_OWN_LARGE in their owner
 * byte while out, so that vbuddy_kfree() frees them without the pool lock
 * and vbuddy_free_pages() refuses them; larger ones carry the buddy tag
 * VBUDDY_TAG_LARGE. Every object is aligned to at least
 * ARCH_KMALLOC_MINALIGN, power-of-two sizes to their size, and blocks of a
 * page or more to a page, as kmalloc() promises.
 */

const unsigned short vbuddy_class_size[VBUDDY_NR_CLASSES] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048,
};

/*
 * 2^32 / size, rounded up: (off * class_recip) >> 32 is off / size for
 * every offset in a page, without a division (off * error < 2^32 / size).
 */
static const u32 class_recip[VBUDDY_NR_CLASSES] = {
#define RECIP(size)	((u32)(((1ULL << 32) - 1) / (size) + 1))
	RECIP(8), RECIP(16), RECIP(32), RECIP(64), RECIP(96), RECIP(128),
	RECIP(192), RECIP(256), RECIP(512), RECIP(1024), RECIP(2048),
#undef RECIP
};

static_assert(PAGE_SIZE <= 1UL << 20);	/* keeps the error above in bounds */
static_assert(VBUDDY_CLASS_MIN >= ARCH_KMALLOC_MINALIGN);
static_assert(PAGE_SIZE / VBUDDY_CLASS_MIN <= U16_MAX);

/* Class of sizes 1..192, by (size - 1) / 8, as kmalloc's size_index. */
static const u8 small_class[24] = {
	0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5,
	6, 6, 6, 6, 6, 6, 6, 6,
};

static unsigned int size_class(size_t size)
{
	if (size <= 192)
		return small_class[(size - 1) / 8];
	return 7 + order_base_2(size) - 8;	/* 256 is class 7 */
}

static inline unsigned int class_objects(unsigned int class)
{
	return PAGE_SIZE / vbuddy_class_size[class];
}

/* What a contiguous allocation of @size occupies: its class or its pages. */
static size_t bucket_size(size_t size)
{
	if (size <= VBUDDY_CLASS_MAX)
		return vbuddy_class_size[size_class(size)];
	if (size > PAGE_SIZE << VBUDDY_MAX_ORDER)
		return 0;
	return PAGE_SIZE << get_order(size);
}

void vbuddy_kmalloc_init_pool(struct vbuddy_pool *pool)
{
	unsigned int i;

	for (i = 0; i < VBUDDY_NR_CLASSES; i++) {
		pool->classes[i].partial = BUDDY_NIL;
		pool->classes[i].empty = BUDDY_NIL;
	}
}

static void partial_add(struct vbuddy_pool *pool, struct vbuddy_class *c, u32 idx)
{
	struct vbuddy_class_page *cp = &pool->cpages[idx];

	cp->prev = BUDDY_NIL;
	cp->next = c->partial;
	if (c->partial != BUDDY_NIL)
		pool->cpages[c->partial].prev = idx;
	c->partial = idx;
}

static void partial_del(struct vbuddy_pool *pool, struct vbuddy_class *c, u32 idx)
{
	struct vbuddy_class_page *cp = &pool->cpages[idx];

	if (cp->prev != BUDDY_NIL)
		pool->cpages[cp->prev].next = cp->next;
	else
		c->partial = cp->next;
	if (cp->next != BUDDY_NIL)
		pool->cpages[cp->next].prev = cp->prev;
}

/* A new page for @class, or BUDDY_NIL. */
static u32 class_grow(struct vbuddy_pool *pool, unsigned int class)
{
	struct vbuddy_class_page *cp;
	struct buddy_block blk;
	unsigned long pfn;

	lockdep_assert_held(&pool->lock);
	if (vbuddy_should_fail(VBUDDY_FAIL_POOL) || buddy_alloc(&pool->buddy, 0, &pfn)) {
		pool->stats.alloc_fail[0]++;
		trace_vbuddy_alloc_fail(pool->name, 0, pool->buddy.free_frames);
		return BUDDY_NIL;
	}
	pool->stats.alloc[0]++;
	trace_vbuddy_alloc(pool->name, pfn, 0, VBUDDY_TAG_CLASS);
	buddy_set_tag(&pool->buddy, pfn, VBUDDY_TAG_CLASS);
	buddy_lookup(&pool->buddy, pfn, &blk);

	cp = &pool->cpages[blk.index];
	cp->addr = page_address(pfn_to_page(pfn));
	cp->inuse = 0;
	cp->class = class;
	bitmap_zero(cp->map, class_objects(class));
	bitmap_zero(cp->held, class_objects(class));
	partial_add(pool, &pool->classes[class], blk.index);
	pool->classes[class].pages++;
	return blk.index;
}

/* Give the class's empty page back to the buddy allocator: 1 or 0 pages. */
static unsigned long class_shrink(struct vbuddy_pool *pool, struct vbuddy_class *c)
{
	u32 idx = c->empty;
	unsigned long pfn;

	lockdep_assert_held(&pool->lock);
	if (idx == BUDDY_NIL)
		return 0;
	pfn = page_to_pfn(virt_to_page(pool->cpages[idx].addr));
	c->empty = BUDDY_NIL;
	partial_del(pool, c, idx);
	c->pages--;
	buddy_free(&pool->buddy, pfn, 0);
	trace_vbuddy_free(pool->name, pfn, 0, VBUDDY_TAG_CLASS);
	return 1;
}

/* Take up to @n objects of @class out of its pages; how many were taken. */
static unsigned int class_take(struct vbuddy_pool *pool, unsigned int class,
			       struct vbuddy_objref *refs, unsigned int n)
{
	struct vbuddy_class *c = &pool->classes[class];
	struct vbuddy_class_page *cp;
	unsigned int i;
	u32 idx;

	lockdep_assert_held(&pool->lock);
	for (i = 0; i < n; i++) {
		idx = c->partial;
		if (idx == BUDDY_NIL)
			idx = class_grow(pool, class);
		if (idx == BUDDY_NIL)
			break;
		cp = &pool->cpages[idx];
		if (idx == c->empty)
			c->empty = BUDDY_NIL;
		refs[i].idx = idx;
		refs[i].obj = find_first_zero_bit(cp->map, class_objects(class));
		__set_bit(refs[i].obj, cp->map);
		if (++cp->inuse == class_objects(class))
			partial_del(pool, c, idx);
		c->objects++;
	}
	return i;
}

/* Put a free object back into its page; the pages given back (0 or 1). */
static unsigned long class_put(struct vbuddy_pool *pool, const struct vbuddy_objref *ref)
{
	struct vbuddy_class_page *cp = &pool->cpages[ref->idx];
	struct vbuddy_class *c = &pool->classes[cp->class];
	unsigned long pages = 0;

	lockdep_assert_held(&pool->lock);
	__clear_bit(ref->obj, cp->map);
	c->objects--;
	if (cp->inuse-- == class_objects(cp->class))
		partial_add(pool, c, ref->idx);
	if (!cp->inuse) {
		pages = class_shrink(pool, c);	/* the page kept before this one */
		c->empty = ref->idx;
	}
	return pages;
}

/* Give the oldest @n objects of a per-CPU list back to their pages. */
static unsigned long mag_flush(struct vbuddy_pool *pool, struct vbuddy_mag *m,
			       unsigned int n)
{
	unsigned long pages = 0;
	unsigned int i;

	lockdep_assert_held(&pool->lock);
	n = min(n, m->n);
	for (i = 0; i < n; i++)
		pages += class_put(pool, &m->objs[i]);
	m->n -= n;
	memmove(m->objs, m->objs + n, m->n * sizeof(*m->objs));
	return pages;
}

/* One CPU's free objects of every class back to their pages. */
static int mags_flush_one(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
			  unsigned int cpu, void *pages)
{
	unsigned int i;

	spin_lock(&pool->lock);
	for (i = 0; i < VBUDDY_NR_CLASSES; i++)
		*(unsigned long *)pages += mag_flush(pool, &pcp->mags[i], VBUDDY_MAG_MAX);
	spin_unlock(&pool->lock);
	return 0;
}

/**
 * vbuddy_kmalloc_drain() - give the size classes' cached memory back
 * @pool: the pool
 *
 * Every CPU's free objects go back to their pages, and the empty pages the
 * classes keep go back to the pool's free lists.
 *
 * Context: Any context.
 * Return: the pages given back.
 */
unsigned long vbuddy_kmalloc_drain(struct vbuddy_pool *pool)
{
	unsigned long flags, pages = 0;
	unsigned int i;

	vbuddy_pcp_walk(pool, mags_flush_one, &pages);
	spin_lock_irqsave(&pool->lock, flags);
	for (i = 0; i < VBUDDY_NR_CLASSES; i++)
		pages += class_shrink(pool, &pool->classes[i]);
	spin_unlock_irqrestore(&pool->lock, flags);
	return pages;
}

/**
 * vbuddy_kmalloc_empty_pages() - how many empty pages the size classes keep
 * @pool: the pool
 *
 * Context: Any context.
 * Return: a snapshot; these pages count as free.
 */
unsigned long vbuddy_kmalloc_empty_pages(struct vbuddy_pool *pool)
{
	unsigned long flags, pages = 0;
	unsigned int i;

	spin_lock_irqsave(&pool->lock, flags);
	for (i = 0; i < VBUDDY_NR_CLASSES; i++)
		pages += pool->classes[i].empty != BUDDY_NIL;
	spin_unlock_irqrestore(&pool->lock, flags);
	return pages;
}

/* An object of @class: from this CPU's list, refilled if empty, or the pages. */
static void *class_alloc(struct vbuddy_pool *pool, unsigned int class)
{
	struct vbuddy_class_page *cp;
	struct vbuddy_objref ref;
	struct vbuddy_pcp *pcp;
	struct vbuddy_mag *m;
	unsigned long flags;
	bool got;

	if (pool->mag_max) {
		pcp = raw_cpu_ptr(pool->pcp);
		spin_lock_irqsave(&pcp->lock, flags);
		m = &pcp->mags[class];
		if (unlikely(!m->n)) {
			spin_lock(&pool->lock);
			m->n = class_take(pool, class, m->objs, pool->mag_batch);
			spin_unlock(&pool->lock);
		}
		got = m->n;
		if (likely(got))
			ref = m->objs[--m->n];
		spin_unlock_irqrestore(&pcp->lock, flags);
	} else {
		spin_lock_irqsave(&pool->lock, flags);
		got = class_take(pool, class, &ref, 1);
		spin_unlock_irqrestore(&pool->lock, flags);
	}
	if (unlikely(!got))
		return NULL;
	cp = &pool->cpages[ref.idx];
	WARN_ON_ONCE(test_and_set_bit(ref.obj, cp->held));
	return cp->addr + ref.obj * vbuddy_class_size[class];
}

/* Free @p, whole pages from this CPU's cache (frame @idx), back onto it. */
static bool large_free_fast(struct vbuddy_pool *pool, const void *p,
			    unsigned long pfn, u32 idx, u8 owner)
{
	unsigned int order = owner & VBUDDY_OWN_ORDER;

	if (offset_in_page(p) ||
	    vbuddy_pcp_free_index(pool, pfn_to_page(pfn), idx, order, true))
		return false;
	trace_vbuddy_free(pool->name, pfn, order, VBUDDY_TAG_LARGE);
	return true;
}

/*
 * Free @p, if it is an object of a size class, or whole pages from a
 * per-CPU cache, that a caller holds, onto this CPU's lists, without the
 * pool lock. False for anything else (larger objects, GFP_VIRTOK ranges,
 * bad pointers): the locked path then frees or reports it.
 */
static bool free_fast(const void *p)
{
	const struct buddy_frame *f;
	struct vbuddy_class_page *cp;
	struct vbuddy_pool *pool;
	struct vbuddy_objref ref;
	struct vbuddy_pcp *pcp;
	struct vbuddy_mag *m;
	unsigned long flags, pfn, off;
	unsigned int class, size;
	u8 owner;

	if (is_vmalloc_addr(p) || !virt_addr_valid(p))
		return false;
	pfn = PHYS_PFN(__pa(p));
	pool = vbuddy_pool_of_pfn_index(pfn, &ref.idx);
	if (!pool)
		return false;
	owner = READ_ONCE(pool->owner[ref.idx]);
	if (owner & VBUDDY_OWN_LARGE)
		return large_free_fast(pool, p, pfn, ref.idx, owner);
	if (!pool->mag_max)
		return false;
	/* Stable while the caller holds an object of the page; else the slow path. */
	f = &pool->buddy.frames[ref.idx];
	if (READ_ONCE(f->state) != BUDDY_USED || READ_ONCE(f->tag) != VBUDDY_TAG_CLASS)
		return false;
	cp = &pool->cpages[ref.idx];
	class = READ_ONCE(cp->class);
	if (class >= VBUDDY_NR_CLASSES)
		return false;
	size = vbuddy_class_size[class];
	off = offset_in_page(p);
	ref.obj = ((u64)off * class_recip[class]) >> 32;	/* off / size */
	if (off != ref.obj * size || ref.obj >= class_objects(class) ||
	    !test_and_clear_bit(ref.obj, cp->held))
		return false;

	pcp = raw_cpu_ptr(pool->pcp);
	spin_lock_irqsave(&pcp->lock, flags);
	m = &pcp->mags[class];
	if (unlikely(m->n == pool->mag_max)) {
		spin_lock(&pool->lock);
		mag_flush(pool, m, pool->mag_batch);
		spin_unlock(&pool->lock);
	}
	m->objs[m->n++] = ref;
	pcp->frees++;
	spin_unlock_irqrestore(&pcp->lock, flags);
	trace_vbuddy_free(pool->name, pfn, 0, VBUDDY_TAG_CLASS);
	return true;
}

/*
 * Whole pages, as a block of the pool: orders 0-3 come from this CPU's
 * cache, marked VBUDDY_OWN_LARGE; larger ones are tagged VBUDDY_TAG_LARGE.
 */
static void *large_alloc(struct vbuddy_pool *pool, unsigned int order)
{
	struct page *page;

	if (vbuddy_should_fail(VBUDDY_FAIL_POOL) ||
	    !vbuddy_pool_alloc_block(pool, order, true, &page)) {
		vbuddy_pool_alloc_failed(pool, order);
		return NULL;
	}
	trace_vbuddy_alloc(pool->name, page_to_pfn(page), order, VBUDDY_TAG_LARGE);
	return page_address(page);
}

/* An object of @size from its class, or from the pool's blocks. */
static void *contig_alloc(struct vbuddy_pool *pool, size_t size)
{
	if (size <= VBUDDY_CLASS_MAX)
		return class_alloc(pool, size_class(size));
	if (size <= PAGE_SIZE << VBUDDY_MAX_ORDER)
		return large_alloc(pool, get_order(size));
	return NULL;
}

/**
 * vbuddy_pool_kmalloc() - allocate memory from a pool, as kmalloc() does
 * @pool: the pool
 * @size: bytes wanted; at most 2^VBUDDY_MAX_ORDER pages
 * @gfp: GFP flags: __GFP_ZERO zeroes the whole object, __GFP_NOWARN
 *       silences the failure message; __GFP_NOFAIL is refused with a
 *       warning, since a fixed pool cannot promise; blocking is never needed
 *
 * Context: Any context, with a @gfp that says so (GFP_ATOMIC, GFP_NOWAIT).
 * Return: the object, ZERO_SIZE_PTR for a @size of 0, or NULL if the pool
 * has no room, @size is too large, or @gfp has __GFP_NOFAIL.
 */
void *vbuddy_pool_kmalloc(struct vbuddy_pool *pool, size_t size, gfp_t gfp)
{
	bool virt = false;
	void *p;

	might_alloc(gfp & ~GFP_VIRTOK);
	if (unlikely(gfp & __GFP_NOFAIL)) {
		vbuddy_report(pool, "kmalloc(%zu) with __GFP_NOFAIL refused: a pool cannot promise",
			      size);
		return NULL;
	}
	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	p = contig_alloc(pool, size);
	if (!p && size <= PAGE_SIZE << VBUDDY_MAX_ORDER && vbuddy_pool_reclaim(pool))
		p = contig_alloc(pool, size);
	if (!p && gfp & GFP_VIRTOK && size > PAGE_SIZE &&
	    size <= PAGE_SIZE << VBUDDY_MAX_ORDER) {
		p = vbuddy_virt_alloc(pool, size, gfp);
		virt = true;
	}

	if (unlikely(!p)) {
		if (!(gfp & __GFP_NOWARN))
			pr_warn_ratelimited("pool %s: kmalloc(%zu) failed\n", pool->name, size);
		return NULL;
	}
	if (gfp & __GFP_ZERO)
		memset(p, 0, virt ? PAGE_ALIGN(size) : bucket_size(size));
	return p;
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
	return vbuddy_pool_kmalloc(vbuddy_default_pool(), size, gfp);
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
 * @pool: the pool that owns it
 * @blk: its buddy block
 * @size: its usable size
 * @obj: object index in its class page (class objects only)
 * @cached: whole pages from a per-CPU cache (VBUDDY_OWN_LARGE)
 */
struct vbuddy_obj {
	struct vbuddy_pool *pool;
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
	struct vbuddy_class_page *cp;
	unsigned long off;
	u8 owner;

	lockdep_assert_held(&pool->lock);
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
		cp = &pool->cpages[o->blk.index];
		off = p - cp->addr;
		o->size = vbuddy_class_size[cp->class];
		o->obj = off / o->size;
		if (off % o->size || o->obj >= class_objects(cp->class))
			return "pointer into the middle of an object";
		if (!test_bit(o->obj, cp->held))
			return "double free, or never allocated";
		return NULL;
	case VBUDDY_TAG_VIRT:
		if (!is_vmalloc_addr(p))
			return "page of a GFP_VIRTOK range, not its address";
		return vbuddy_virt_resolve(pool, p, &o->blk, &o->size);
	default:
		owner = READ_ONCE(pool->owner[o->blk.index]);
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

static void obj_release(struct vbuddy_pool *pool, struct vbuddy_obj *o)
{
	struct vbuddy_objref ref;

	lockdep_assert_held(&pool->lock);
	pool->stats.events[VBUDDY_EV_FREE]++;
	if (o->blk.tag == VBUDDY_TAG_LARGE) {
		buddy_free(&pool->buddy, o->blk.pfn, o->blk.order);
		trace_vbuddy_free(pool->name, o->blk.pfn, o->blk.order, VBUDDY_TAG_LARGE);
		return;
	}
	if (o->blk.tag == VBUDDY_TAG_VIRT) {
		vbuddy_virt_release(pool, &o->blk);
		return;
	}

	ref.idx = o->blk.index;
	ref.obj = o->obj;
	clear_bit(ref.obj, pool->cpages[ref.idx].held);
	class_put(pool, &ref);
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
 * Look @p up and, if @release, free it. Reports a bad pointer. Return its
 * usable size, or 0 if @p is no live allocation.
 */
static size_t obj_op(const void *p, bool release, const char *op)
{
	struct vbuddy_pool *pool;
	unsigned long flags, pfn;
	struct vbuddy_obj o;
	const char *why;

	pool = owner_of(p, &pfn);
	if (!pool) {
		vbuddy_report(vbuddy_default_pool(), "%s(%p) refused: not from a vbuddy pool",
			      op, p);
		return 0;
	}
	spin_lock_irqsave(&pool->lock, flags);
	why = obj_resolve(pool, p, pfn, &o);
	if (!why && release && !o.cached)
		obj_release(pool, &o);
	spin_unlock_irqrestore(&pool->lock, flags);
	/* Not under the pool lock: a list lock comes first. Lost a race: a double free. */
	if (!why && release && o.cached &&
	    vbuddy_pcp_free_index(pool, pfn_to_page(o.blk.pfn), o.blk.index, o.blk.order, true))
		why = "double free, or never allocated";
	if (why) {
		vbuddy_report(pool, "%s(%p) refused: %s", op, p, why);
		return 0;
	}
	return o.size;
}

/**
 * vbuddy_kfree() - free memory from the vbuddy kmalloc family
 * @p: what a vbuddy k*alloc function returned, from any pool; NULL and
 *     ZERO_SIZE_PTR are ignored
 *
 * A double free, a pointer into the middle of an object, or a pointer that
 * no vbuddy pool gave out is reported and refused; the pool stays intact.
 *
 * Context: Any context.
 */
void vbuddy_kfree(const void *p)
{
	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return;
	if (likely(free_fast(p)))
		return;
	obj_op(p, true, "kfree");
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
	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return 0;
	return obj_op(p, false, "ksize");
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
	unsigned long pfn;
	size_t old;
	void *n;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return vbuddy_kmalloc(new_size, gfp);
	if (unlikely(!new_size)) {
		vbuddy_kfree(p);
		return ZERO_SIZE_PTR;
	}
	old = obj_op(p, false, "krealloc");
	if (!old)
		return NULL;
	pool = owner_of(p, &pfn);

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

	return is_vmalloc_addr(p) && owner_of(p, &pfn);
}
EXPORT_SYMBOL_GPL(vbuddy_is_virtual);
