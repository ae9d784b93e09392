/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Size classes: order-0 pages of a pool carved into small objects, with
 * per-CPU object lists in front of them (module/classes.c).
 */
#ifndef _VBUDDY_CLASSES_H
#define _VBUDDY_CLASSES_H

#include <linux/bitops.h>
#include <linux/kmemleak.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "pcp.h"
#include "pool.h"
#include "vbuddy_trace.h"

/* Size classes: kmalloc-8 ... kmalloc-2k, with kmalloc-96 and -192. */
#define VBUDDY_NR_CLASSES	11
#define VBUDDY_CLASS_MAX	2048
#define VBUDDY_CLASS_MIN	8
#define VBUDDY_CLASS_MAP_LONGS	BITS_TO_LONGS(PAGE_SIZE / VBUDDY_CLASS_MIN)

/* &struct vbuddy_class_page.cpu of a page no CPU's refills have claimed. */
#define VBUDDY_CLASS_NO_CPU	U16_MAX

/* The most objects a per-CPU object list can hold (pcp_objects caps at it). */
#define VBUDDY_PCP_OBJECTS_MAX	32

extern const unsigned short vbuddy_class_size[VBUDDY_NR_CLASSES];

/**
 * struct vbuddy_class_page - a page of small objects
 * @next: next page of the class with a free object (frame index)
 * @prev: previous such page (frame index)
 * @inuse: objects taken out of the page
 * @class: index into vbuddy_class_size
 * @cpu: the CPU whose object list a refill last filled from this page, or
 *       VBUDDY_CLASS_NO_CPU: other CPUs' refills pass it by while another
 *       page will do, so that CPUs do not share the words of @held, which
 *       every allocation and free changes atomically (SLUB gives each CPU
 *       a slab of its own for the same reason)
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
	u32 next;
	u32 prev;
	u16 inuse;
	u8 class;
	u16 cpu;
	/* After @class: a free reads both, mostly from one cache line. */
	unsigned long held[VBUDDY_CLASS_MAP_LONGS];
	unsigned long map[VBUDDY_CLASS_MAP_LONGS];
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
 * struct vbuddy_pcp_objects - one CPU's per-CPU object lists
 * @lock: guards the rest; taken before the pool lock, by the CPU it
 *        belongs to and by whoever walks every CPU
 * @n: objects on each class's list
 * @objs: each class's free objects, the last one the most recently freed:
 *        taken out of their pages (their @map bits set), held by no caller
 *        (their @held bits clear)
 * @frees: objects freed onto the lists
 */
struct vbuddy_pcp_objects {
	struct vbuddy_cpu_lock lock;	/* see above */
	unsigned int n[VBUDDY_NR_CLASSES];
	struct vbuddy_objref objs[VBUDDY_NR_CLASSES][VBUDDY_PCP_OBJECTS_MAX];
	unsigned long frees;
};

/**
 * struct vbuddy_classes - a pool's size classes
 * @class: the classes, guarded by the pool lock
 * @pages: class page state, one per frame of the pool, guarded by the pool
 *         lock (but for &struct vbuddy_class_page.held)
 * @cpu: each CPU's object lists
 * @objects_max: objects a per-CPU object list holds, 0 if there are none;
 *               fixed
 * @objects_batch: objects a list is refilled with, or gives back; fixed
 */
struct vbuddy_classes {
	struct vbuddy_class class[VBUDDY_NR_CLASSES];
	struct vbuddy_class_page *pages;
	struct vbuddy_pcp_objects __percpu *cpu;
	u16 objects_max;
	u16 objects_batch;
};

/* Class of sizes 1..192, by (size - 1) / 8, as kmalloc's size_index. */
extern const u8 vbuddy_small_class[24];

/* The class of @size, 1..VBUDDY_CLASS_MAX. */
static inline unsigned int vbuddy_size_class(size_t size)
{
	if (size <= 192)
		return vbuddy_small_class[(size - 1) / 8];
	return 7 + order_base_2(size) - 8;	/* 256 is class 7 */
}

/* Per class, 2^32 / size rounded up: (offset * it) >> 32 is offset / size. */
extern const u32 vbuddy_class_recip[VBUDDY_NR_CLASSES];

/* Objects in a page of @class. */
static inline unsigned int vbuddy_class_objects(unsigned int class)
{
	return PAGE_SIZE / vbuddy_class_size[class];
}

void vbuddy_classes_setup(unsigned int objects);
int vbuddy_classes_init(struct vbuddy_pool *pool);
void vbuddy_classes_destroy(struct vbuddy_pool *pool);
void *vbuddy_class_alloc_slow(struct vbuddy_pool *pool, unsigned int class,
			      struct vbuddy_pcp_objects *objs);
void vbuddy_class_free_slow(struct vbuddy_pool *pool, struct vbuddy_pcp_objects *objs,
			    unsigned int class, struct vbuddy_objref ref);

/* Hand @ref of @class to a caller: its held bit set, its address. */
static __always_inline void *vbuddy_class_hand_out(struct vbuddy_pool *pool,
						   unsigned int class, struct vbuddy_objref ref)
{
	WARN_ON_ONCE(test_and_set_bit(ref.obj, pool->classes->pages[ref.idx].held));
	return vbuddy_pool_addr(pool, ref.idx) + ref.obj * vbuddy_class_size[class];
}

/* Put @ref on @objs's list of @class, which has room; under its lock. */
static __always_inline void vbuddy_class_list_add(struct vbuddy_pcp_objects *objs,
						  unsigned int class, struct vbuddy_objref ref)
{
	/* Field by field: no wider load of what was just stored in halves. */
	objs->objs[class][objs->n[class]].idx = ref.idx;
	objs->objs[class][objs->n[class]++].obj = ref.obj;
	objs->frees++;
}

/**
 * vbuddy_class_alloc() - an object of a class
 * @pool: the pool
 * @class: 0..VBUDDY_NR_CLASSES-1
 *
 * From this CPU's object list, refilled from the class pages if empty, or
 * (no lists, or this CPU's busy) from the pages directly. Inline, as
 * SLUB's slab_alloc_node(): the list's case is the common one.
 *
 * Context: Any context.
 * Return: the object, or NULL if the pool has no room.
 */
static __always_inline void *vbuddy_class_alloc(struct vbuddy_pool *pool, unsigned int class)
{
	struct vbuddy_pcp_objects *objs = NULL;
	struct vbuddy_objref ref;

	if (likely(pool->classes->objects_max))
		objs = vbuddy_cpu_trylock(pool->classes->cpu);
	if (unlikely(!objs || !objs->n[class]))
		return vbuddy_class_alloc_slow(pool, class, objs);
	ref = objs->objs[class][--objs->n[class]];
	vbuddy_cpu_unlock(&objs->lock);
	return vbuddy_class_hand_out(pool, class, ref);
}

/**
 * vbuddy_class_free_fast() - free an object onto this CPU's object list
 * @pool: the pool that owns the page @p lies in
 * @p: what the caller frees
 * @idx: the frame index of that page
 *
 * Without the pool lock (but to move half a full list back to the pages,
 * or when this CPU's list is busy: then straight into its page). Anything
 * that is not an object of a class page held by a caller is left to the
 * locked path, which frees or reports it.
 *
 * Context: Any context.
 * Return: true if @p was freed.
 */
static __always_inline bool vbuddy_class_free_fast(struct vbuddy_pool *pool, const void *p,
						   u32 idx)
{
	const struct vbuddy_classes *cl = pool->classes;
	const struct buddy_frame *f = &pool->buddy.frames[idx];
	struct vbuddy_pcp_objects *objs;
	struct vbuddy_class_page *cp;
	unsigned int class, size, obj;
	struct vbuddy_objref ref;
	unsigned long off;

	if (!cl->objects_max)
		return false;
	/*
	 * The frame's state and tag, and the page's class, are written under
	 * the pool lock, and cannot change while a caller holds an object of
	 * the page: a class page goes back only once all its objects are. For
	 * a caller who holds none, what is read may be stale; the bit test
	 * below then fails, or the locked path sorts it out.
	 */
	if (READ_ONCE(f->state) != BUDDY_USED || READ_ONCE(f->tag) != VBUDDY_TAG_CLASS)
		return false;
	cp = &cl->pages[idx];
	class = READ_ONCE(cp->class);
	if (class >= VBUDDY_NR_CLASSES)
		return false;
	size = vbuddy_class_size[class];
	off = offset_in_page(p);
	obj = ((u64)off * vbuddy_class_recip[class]) >> 32;	/* off / size */
	/* The held bit is the caller's claim: of two frees exactly one clears it. */
	if (off != obj * size || obj >= vbuddy_class_objects(class) ||
	    !test_and_clear_bit(obj, cp->held))
		return false;
	kmemleak_free(p);	/* ours now, and nobody else's until listed */

	ref.idx = idx;
	ref.obj = obj;
	objs = vbuddy_cpu_trylock(cl->cpu);
	if (unlikely(!objs || objs->n[class] == cl->objects_max)) {
		vbuddy_class_free_slow(pool, objs, class, ref);
	} else {
		vbuddy_class_list_add(objs, class, ref);
		vbuddy_cpu_unlock(&objs->lock);
	}
	trace_vbuddy_free(pool->name, page_to_pfn(virt_to_page(p)), 0, VBUDDY_TAG_CLASS);
	return true;
}

const char *vbuddy_class_resolve(struct vbuddy_pool *pool, u32 idx, const void *p,
				 size_t *size, unsigned int *obj);
void vbuddy_class_release(struct vbuddy_pool *pool, u32 idx, unsigned int obj);
void vbuddy_pool_get_class(struct vbuddy_pool *pool, unsigned int class,
			   struct vbuddy_class *info);

#endif /* _VBUDDY_CLASSES_H */
