// SPDX-License-Identifier: GPL-2.0
/*
 * Size classes: small objects carved out of order-0 buddy pages, with
 * per-CPU object lists in front of the pages.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/kmemleak.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "classes.h"
#include "fault.h"
#include "pcp.h"
#include "pool.h"
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
 * In front of the pages, each CPU keeps a per-CPU object list of up to
 * ``pcp_objects`` free objects per class, as SLUB keeps a per-CPU slab:
 * vbuddy_kmalloc() takes the last one freed, and vbuddy_kfree() finds the
 * object's pool, page and class from its address alone and puts it on the
 * list, both under that CPU's object-list lock only, taken without masking
 * interrupts (&struct vbuddy_cpu_lock: an interrupt that lands in the
 * middle of a list serves itself from the pages, under the pool lock); the
 * pool lock is taken to move half a list from or to the pages. Each class
 * keeps one page without objects, so that a class whose use goes up and
 * down by one object does not split and merge a block every time; a page
 * whose last object is freed while the class keeps one already goes
 * straight back to the buddy allocator, so small objects cannot pin the
 * pool. The kept pages and the listed objects count as free, and a request
 * that the pool cannot serve otherwise takes them back
 * (vbuddy_pool_reclaim()).
 *
 * Every object is aligned to at least ARCH_KMALLOC_MINALIGN, and
 * power-of-two sizes to their size, as kmalloc() promises.
 */

const unsigned short vbuddy_class_size[VBUDDY_NR_CLASSES] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048,
};

const u8 vbuddy_small_class[24] = {
	0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5,
	6, 6, 6, 6, 6, 6, 6, 6,
};

/*
 * 2^32 / size, rounded up: (off * recip) >> 32 is off / size for
 * every offset in a page, without a division (off * error < 2^32 / size).
 */
const u32 vbuddy_class_recip[VBUDDY_NR_CLASSES] = {
#define RECIP(size)	((u32)(((1ULL << 32) - 1) / (size) + 1))
	RECIP(8), RECIP(16), RECIP(32), RECIP(64), RECIP(96), RECIP(128),
	RECIP(192), RECIP(256), RECIP(512), RECIP(1024), RECIP(2048),
#undef RECIP
};

static_assert(PAGE_SIZE <= 1UL << 20);	/* keeps the error above in bounds */
static_assert(VBUDDY_CLASS_MIN >= ARCH_KMALLOC_MINALIGN);
static_assert(PAGE_SIZE / VBUDDY_CLASS_MIN <= U16_MAX);

/* The module parameter pcp_objects (module/main.c). */
static unsigned int pcp_objects = VBUDDY_PCP_OBJECTS_MAX;

/**
 * vbuddy_classes_setup() - the object lists pools created from now on get
 * @objects: free objects a per-CPU object list holds, at most
 *           VBUDDY_PCP_OBJECTS_MAX; 0: no lists
 *
 * Context: Module init, before any pool exists.
 */
void vbuddy_classes_setup(unsigned int objects)
{
	pcp_objects = min_t(unsigned int, objects, VBUDDY_PCP_OBJECTS_MAX);
}

static void partial_add(struct vbuddy_classes *cl, struct vbuddy_class *c, u32 idx)
{
	struct vbuddy_class_page *cp = &cl->pages[idx];

	cp->prev = BUDDY_NIL;
	cp->next = c->partial;
	if (c->partial != BUDDY_NIL)
		cl->pages[c->partial].prev = idx;
	c->partial = idx;
}

static void partial_del(struct vbuddy_classes *cl, struct vbuddy_class *c, u32 idx)
{
	struct vbuddy_class_page *cp = &cl->pages[idx];

	if (cp->prev != BUDDY_NIL)
		cl->pages[cp->prev].next = cp->next;
	else
		c->partial = cp->next;
	if (cp->next != BUDDY_NIL)
		cl->pages[cp->next].prev = cp->prev;
}

/* A new page for @class, or BUDDY_NIL. */
static u32 class_grow(struct vbuddy_pool *pool, unsigned int class)
{
	struct vbuddy_classes *cl = pool->classes;
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

	cp = &cl->pages[blk.index];
	vbuddy_stamp_page(pool, pfn_to_page(pfn), blk.index);
	cp->inuse = 0;
	cp->class = class;
	cp->cpu = VBUDDY_CLASS_NO_CPU;
	bitmap_zero(cp->map, vbuddy_class_objects(class));
	bitmap_zero(cp->held, vbuddy_class_objects(class));
	partial_add(cl, &cl->class[class], blk.index);
	cl->class[class].pages++;
	return blk.index;
}

/* Give the class's empty page back to the buddy allocator: 1 or 0 pages. */
static unsigned long class_shrink(struct vbuddy_pool *pool, struct vbuddy_class *c)
{
	struct vbuddy_classes *cl = pool->classes;
	u32 idx = c->empty;
	unsigned long pfn;

	lockdep_assert_held(&pool->lock);
	if (idx == BUDDY_NIL)
		return 0;
	pfn = vbuddy_pool_pfn(pool, idx);
	c->empty = BUDDY_NIL;
	partial_del(cl, c, idx);
	c->pages--;
	set_page_private(pfn_to_page(pfn), 0);	/* the stamp: a free page has none */
	buddy_free(&pool->buddy, pfn, 0);
	trace_vbuddy_free(pool->name, pfn, 0, VBUDDY_TAG_CLASS);
	return 1;
}

/*
 * The page of @class a refill of @cpu's object list takes from: the first
 * partial page that is @cpu's own or nobody's, looking past at most as many
 * pages as there are CPUs; else a new page; else (the pool full) the first
 * partial page, whoever's. BUDDY_NIL if there is none. For @cpu
 * VBUDDY_CLASS_NO_CPU (no lists, or a busy one: one object), the first.
 */
static u32 class_pick(struct vbuddy_pool *pool, unsigned int class, unsigned int cpu)
{
	struct vbuddy_classes *cl = pool->classes;
	struct vbuddy_class *c = &cl->class[class];
	unsigned int steps = 0;
	u32 idx, grown;

	lockdep_assert_held(&pool->lock);
	if (cpu == VBUDDY_CLASS_NO_CPU)
		return c->partial != BUDDY_NIL ? c->partial : class_grow(pool, class);
	for (idx = c->partial; idx != BUDDY_NIL && steps <= nr_cpu_ids;
	     idx = cl->pages[idx].next, steps++) {
		if (cl->pages[idx].cpu == cpu || cl->pages[idx].cpu == VBUDDY_CLASS_NO_CPU)
			break;
	}
	if (idx == BUDDY_NIL || steps > nr_cpu_ids) {
		grown = class_grow(pool, class);
		idx = grown != BUDDY_NIL ? grown : c->partial;
	}
	if (idx != BUDDY_NIL)
		cl->pages[idx].cpu = cpu;
	return idx;
}

/*
 * Take up to @n objects of @class out of its pages, lowest first, for the
 * object list of @cpu (VBUDDY_CLASS_NO_CPU: for a caller directly); how
 * many were taken. A word of a page's map at a time, not a search per
 * object.
 */
static unsigned int class_take(struct vbuddy_pool *pool, unsigned int class,
			       struct vbuddy_objref *refs, unsigned int n, unsigned int cpu)
{
	struct vbuddy_classes *cl = pool->classes;
	struct vbuddy_class *c = &cl->class[class];
	unsigned int objs = vbuddy_class_objects(class), i = 0, w, bit;
	struct vbuddy_class_page *cp;
	unsigned long free;
	u32 idx;

	lockdep_assert_held(&pool->lock);
	while (i < n) {
		idx = class_pick(pool, class, cpu);
		if (idx == BUDDY_NIL)
			break;
		cp = &cl->pages[idx];
		if (idx == c->empty)
			c->empty = BUDDY_NIL;
		for (w = 0; w < BITS_TO_LONGS(objs) && i < n; w++) {
			free = ~cp->map[w];
			if ((w + 1) * BITS_PER_LONG > objs)
				free &= BITMAP_LAST_WORD_MASK(objs);
			for (; free && i < n; i++) {
				bit = __ffs(free);
				free &= free - 1;
				cp->map[w] |= 1UL << bit;
				refs[i].idx = idx;
				refs[i].obj = w * BITS_PER_LONG + bit;
				cp->inuse++;
				c->objects++;
			}
		}
		if (cp->inuse == objs)
			partial_del(cl, c, idx);
	}
	return i;
}

/* Put a free object back into its page; the pages given back (0 or 1). */
static unsigned long class_put(struct vbuddy_pool *pool, const struct vbuddy_objref *ref)
{
	struct vbuddy_classes *cl = pool->classes;
	struct vbuddy_class_page *cp = &cl->pages[ref->idx];
	struct vbuddy_class *c = &cl->class[cp->class];
	unsigned long pages = 0;

	lockdep_assert_held(&pool->lock);
	__clear_bit(ref->obj, cp->map);
	c->objects--;
	if (cp->inuse-- == vbuddy_class_objects(cp->class)) {
		partial_add(cl, c, ref->idx);
		cp->cpu = VBUDDY_CLASS_NO_CPU;	/* full till now: its refiller moved on */
	}
	if (!cp->inuse) {
		pages = class_shrink(pool, c);	/* the page kept before this one */
		c->empty = ref->idx;
	}
	return pages;
}

/* Give the oldest @n objects of @class's list of @objs back to their pages. */
static unsigned long objects_flush(struct vbuddy_pool *pool, struct vbuddy_pcp_objects *objs,
				   unsigned int class, unsigned int n)
{
	struct vbuddy_objref *list = objs->objs[class];
	unsigned long pages = 0;
	unsigned int i;

	lockdep_assert_held(&objs->lock.lock);
	lockdep_assert_held(&pool->lock);
	n = min(n, objs->n[class]);
	for (i = 0; i < n; i++)
		pages += class_put(pool, &list[i]);
	objs->n[class] -= n;
	memmove(list, list + n, objs->n[class] * sizeof(*list));
	return pages;
}

/*
 * Visit every CPU's object lists, each under its lock; @fn may take the
 * pool lock inside (irqsave). No IPI: every path takes the lock, whichever
 * CPU it runs on. Lists vbuddy_cpu_lock_any() does not take (@wait: the
 * caller may sleep) are skipped.
 */
static void objects_walk(struct vbuddy_pool *pool,
			 void (*fn)(struct vbuddy_pool *pool, struct vbuddy_pcp_objects *objs,
				    void *arg),
			 void *arg, bool wait)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct vbuddy_pcp_objects *objs = per_cpu_ptr(pool->classes->cpu, cpu);

		if (!vbuddy_cpu_lock_any(&objs->lock, cpu, wait))
			continue;
		fn(pool, objs, arg);
		vbuddy_cpu_unlock_any(&objs->lock, cpu);
	}
}

/* One CPU's free objects of every class back to their pages. */
static void objects_flush_all(struct vbuddy_pool *pool, struct vbuddy_pcp_objects *objs,
			      void *pages)
{
	unsigned long flags;
	unsigned int class;

	spin_lock_irqsave(&pool->lock, flags);
	for (class = 0; class < VBUDDY_NR_CLASSES; class++)
		*(unsigned long *)pages += objects_flush(pool, objs, class,
							 VBUDDY_PCP_OBJECTS_MAX);
	spin_unlock_irqrestore(&pool->lock, flags);
}

/*
 * Cache callback: every CPU's free objects back to their pages, and the
 * empty pages the classes keep back to the pool's free lists; the pages.
 */
static unsigned long classes_reclaim(struct vbuddy_pool *pool, gfp_t gfp)
{
	struct vbuddy_classes *cl = pool->classes;
	unsigned long flags, pages = 0;
	unsigned int i;

	objects_walk(pool, objects_flush_all, &pages, gfpflags_allow_blocking(gfp));
	spin_lock_irqsave(&pool->lock, flags);
	for (i = 0; i < VBUDDY_NR_CLASSES; i++)
		pages += class_shrink(pool, &cl->class[i]);
	spin_unlock_irqrestore(&pool->lock, flags);
	return pages;
}

/* Cache callback: the empty pages the classes keep (they count as free). */
static unsigned long classes_cached(struct vbuddy_pool *pool)
{
	unsigned long flags, pages = 0;
	unsigned int i;

	spin_lock_irqsave(&pool->lock, flags);
	for (i = 0; i < VBUDDY_NR_CLASSES; i++)
		pages += pool->classes->class[i].empty != BUDDY_NIL;
	spin_unlock_irqrestore(&pool->lock, flags);
	return pages;
}

/*
 * Cache callback: the objects freed onto the per-CPU object lists. A
 * snapshot, without the lists' locks: a counter is a word, written by its
 * CPU under its lock, and a sum that races one free is as good as any.
 */
static void classes_add_stats(struct vbuddy_pool *pool, struct vbuddy_stats *stats)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct vbuddy_pcp_objects *objs = per_cpu_ptr(pool->classes->cpu, cpu);

		/* A snapshot: the word may race the free that bumps it. */
		stats->events[VBUDDY_EV_FREE] += data_race(objs->frees);
	}
}

/* Is every object on @objs's lists a free object of its class's pages? */
static void objects_check_one(struct vbuddy_pool *pool, struct vbuddy_pcp_objects *objs,
			      void *ret)
{
	const struct vbuddy_classes *cl = pool->classes;
	unsigned int class, n;
	unsigned long flags;

	spin_lock_irqsave(&pool->lock, flags);
	for (class = 0; class < VBUDDY_NR_CLASSES; class++) {
		for (n = 0; n < objs->n[class]; n++) {
			const struct vbuddy_objref *ref = &objs->objs[class][n];
			const struct vbuddy_class_page *cp = &cl->pages[ref->idx];

			if (ref->idx >= pool->buddy.nr_frames ||
			    pool->buddy.frames[ref->idx].state != BUDDY_USED ||
			    pool->buddy.frames[ref->idx].tag != VBUDDY_TAG_CLASS ||
			    cp->class != class || !test_bit(ref->obj, cp->map) ||
			    test_bit(ref->obj, cp->held)) {
				pr_err("pool %s: class %u: listed object %u of frame %u not free\n",
				       pool->name, vbuddy_class_size[class], ref->obj, ref->idx);
				*(int *)ret = -EUCLEAN;
			}
		}
	}
	spin_unlock_irqrestore(&pool->lock, flags);
}

/* Cache callback: every CPU's object lists against the class pages. */
static int classes_check(struct vbuddy_pool *pool)
{
	int ret = 0;

	objects_walk(pool, objects_check_one, &ret, true);	/* process context */
	return ret;
}

static const struct vbuddy_cache_ops classes_cache_ops = {
	.name = "classes",
	.reclaim = classes_reclaim,
	.cached = classes_cached,
	.add_stats = classes_add_stats,
	.check = classes_check,
};

/**
 * vbuddy_classes_init() - set up a pool's size classes
 * @pool: the pool, its buddy allocator ready, not yet registered
 *
 * Context: Process context; may sleep.
 * Return: 0 or -ENOMEM.
 */
int vbuddy_classes_init(struct vbuddy_pool *pool)
{
	struct vbuddy_classes *cl;
	unsigned int i, cpu;

	cl = vbuddy_should_fail(VBUDDY_FAIL_KERNEL) ? NULL : kzalloc(sizeof(*cl), GFP_KERNEL);
	if (!cl)
		return -ENOMEM;
	pool->classes = cl;
	for (i = 0; i < VBUDDY_NR_CLASSES; i++) {
		cl->class[i].partial = BUDDY_NIL;
		cl->class[i].empty = BUDDY_NIL;
	}
	cl->pages = vbuddy_kvcalloc(pool->nr_pages, sizeof(*cl->pages));
	cl->cpu = vbuddy_should_fail(VBUDDY_FAIL_KERNEL) ? NULL :
		alloc_percpu(struct vbuddy_pcp_objects);
	if (!cl->pages || !cl->cpu)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		spin_lock_init(&per_cpu_ptr(cl->cpu, cpu)->lock.lock);
	/* Only with the page caches: a pool too small for them gets no lists. */
	cl->objects_max = vbuddy_pcp_serves(pool, 0) ? pcp_objects : 0;
	cl->objects_batch = max(cl->objects_max / 2U, 1U);
	return vbuddy_pool_add_cache(pool, &classes_cache_ops);
}

/**
 * vbuddy_classes_destroy() - free a pool's size classes
 * @pool: the pool, unreachable by now; its pages go back to the kernel
 *        whatever the classes hold
 */
void vbuddy_classes_destroy(struct vbuddy_pool *pool)
{
	struct vbuddy_classes *cl = pool->classes;

	if (!cl)
		return;
	free_percpu(cl->cpu);
	kvfree(cl->pages);
	kfree(cl);
	pool->classes = NULL;
}

/**
 * vbuddy_class_alloc_slow() - what vbuddy_class_alloc() does not inline
 * @pool: the pool
 * @class: 0..VBUDDY_NR_CLASSES-1
 * @objs: this CPU's object lists, locked, with none of @class (refilled
 *        here, and unlocked); or NULL: no lists, or this CPU's are busy
 *        (then an object from the pages directly)
 *
 * Context: Any context.
 * Return: the object, or NULL if the pool has no room.
 */
void *vbuddy_class_alloc_slow(struct vbuddy_pool *pool, unsigned int class,
			      struct vbuddy_pcp_objects *objs)
{
	struct vbuddy_classes *cl = pool->classes;
	struct vbuddy_objref ref;
	unsigned long flags;
	bool got;

	spin_lock_irqsave(&pool->lock, flags);
	if (objs) {
		objs->n[class] = class_take(pool, class, objs->objs[class], cl->objects_batch,
					    smp_processor_id());
		spin_unlock_irqrestore(&pool->lock, flags);
		got = objs->n[class];
		if (likely(got))
			ref = objs->objs[class][--objs->n[class]];
		vbuddy_cpu_unlock(&objs->lock);
	} else {
		got = class_take(pool, class, &ref, 1, VBUDDY_CLASS_NO_CPU);
		spin_unlock_irqrestore(&pool->lock, flags);
	}
	if (unlikely(!got))
		return NULL;
	return vbuddy_class_hand_out(pool, class, ref);
}

/**
 * vbuddy_class_free_slow() - what vbuddy_class_free_fast() does not inline
 * @pool: the pool
 * @objs: this CPU's object lists, locked and full for @class (half of them
 *        go back to their pages first; unlocked here), or NULL: this CPU's
 *        lists are busy (the object goes straight into its page)
 * @class: the object's class
 * @ref: the object, its held bit already cleared by the caller
 *
 * Context: Any context.
 */
void vbuddy_class_free_slow(struct vbuddy_pool *pool, struct vbuddy_pcp_objects *objs,
			    unsigned int class, struct vbuddy_objref ref)
{
	unsigned long flags;

	spin_lock_irqsave(&pool->lock, flags);
	if (!objs) {
		pool->stats.events[VBUDDY_EV_FREE]++;
		class_put(pool, &ref);
		spin_unlock_irqrestore(&pool->lock, flags);
		return;
	}
	objects_flush(pool, objs, class, pool->classes->objects_batch);
	spin_unlock_irqrestore(&pool->lock, flags);
	vbuddy_class_list_add(objs, class, ref);
	vbuddy_cpu_unlock(&objs->lock);
}

/**
 * vbuddy_class_resolve() - check that @p is an object a caller holds
 * @pool: the pool
 * @idx: the frame index of a VBUDDY_TAG_CLASS page
 * @p: an address in that page
 * @size: where the object's size is stored
 * @obj: where its index in the page is stored
 *
 * Context: The pool lock held.
 * Return: NULL, or why @p is not such an object.
 */
const char *vbuddy_class_resolve(struct vbuddy_pool *pool, u32 idx, const void *p,
				 size_t *size, unsigned int *obj)
{
	struct vbuddy_class_page *cp = &pool->classes->pages[idx];
	unsigned long off = p - vbuddy_pool_addr(pool, idx);

	lockdep_assert_held(&pool->lock);
	*size = vbuddy_class_size[cp->class];
	*obj = off / *size;
	if (off % *size || *obj >= vbuddy_class_objects(cp->class))
		return "pointer into the middle of an object";
	if (!test_bit(*obj, cp->held))
		return "double free, or never allocated";
	return NULL;
}

/**
 * vbuddy_class_release() - free an object vbuddy_class_resolve() accepted
 * @pool: the pool
 * @idx: the frame index of its page
 * @obj: its index in the page
 *
 * Straight back into its page, not onto a per-CPU object list.
 *
 * Context: The pool lock held.
 */
void vbuddy_class_release(struct vbuddy_pool *pool, u32 idx, unsigned int obj)
{
	struct vbuddy_objref ref = { .idx = idx, .obj = obj };

	lockdep_assert_held(&pool->lock);
	clear_bit(obj, pool->classes->pages[idx].held);
	class_put(pool, &ref);
}

/**
 * vbuddy_pool_get_class() - a snapshot of one size class of a pool
 * @pool: the pool
 * @class: 0..VBUDDY_NR_CLASSES-1
 * @info: where it is copied; its @objects counts the objects callers hold
 *        (those on per-CPU object lists are free)
 *
 * The per-CPU lists are counted without their locks: exact while the pool
 * is idle, as any snapshot.
 *
 * Context: Any context.
 */
void vbuddy_pool_get_class(struct vbuddy_pool *pool, unsigned int class,
			   struct vbuddy_class *info)
{
	unsigned long flags;
	unsigned int cpu;

	spin_lock_irqsave(&pool->lock, flags);
	*info = pool->classes->class[class];
	spin_unlock_irqrestore(&pool->lock, flags);
	for_each_possible_cpu(cpu) {
		struct vbuddy_pcp_objects *objs = per_cpu_ptr(pool->classes->cpu, cpu);

		/* A snapshot: the count may race its list's CPU. */
		info->objects -= data_race(objs->n[class]);
	}
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_get_class, VBUDDY_INTERNAL);
