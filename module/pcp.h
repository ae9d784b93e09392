/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU caches of blocks of orders 0..VBUDDY_PCP_ORDERS-1, in front of the
 * pool lock, and the page API served through them (module/pcp.c).
 */
#ifndef _VBUDDY_PCP_H
#define _VBUDDY_PCP_H

#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "pool.h"

/**
 * struct vbuddy_cpu_lock - the lock of one CPU's lists (pages or objects)
 * @lock: the lists' lock, never taken with interrupts masked: the lists'
 *        own CPU takes it by trylock (vbuddy_cpu_trylock()), a walk from
 *        any CPU by trylock, or where its caller may sleep by spinning
 *        (vbuddy_cpu_lock_any())
 * @busy: set while this CPU itself holds @lock; written and read by that
 *        CPU only, with preemption off (an interrupt that finds it set
 *        goes around the lists); unused on PREEMPT_RT, where no interrupt
 *        allocates and @lock, a sleeping lock, excludes tasks
 *
 * In the way mm/page_alloc.c locks its per-CPU lists (pcp_spin_trylock()):
 * the fast paths do not mask interrupts, and an interrupt on the CPU in the
 * middle of them never waits for what it interrupted: its trylock fails
 * and it takes the pool lock instead. On UP a trylock always succeeds, and
 * the page allocator masks interrupts there; @busy makes the trylock fail
 * in both cases, as local_trylock_t does in later kernels, so neither masks
 * them.
 *
 * Nobody spins on @lock with interrupts off, or in a context that may not
 * sleep: its holder may be interrupted, and the interrupt may wait for a
 * lock the spinner's caller holds. A walk that may not sleep skips the
 * lists it cannot take at once.
 */
struct vbuddy_cpu_lock {
	spinlock_t lock;	/* see above */
	bool busy;
};

/* Keep the task on its CPU from before the lists are chosen until unlock. */
#ifdef CONFIG_PREEMPT_RT
#define vbuddy_cpu_pin()	migrate_disable()
#define vbuddy_cpu_unpin()	migrate_enable()
#else
#define vbuddy_cpu_pin()	preempt_disable()
#define vbuddy_cpu_unpin()	preempt_enable()
#endif

/* Mark this CPU inside its lists; false if it is already (interrupted there). */
static inline bool vbuddy_cpu_enter(struct vbuddy_cpu_lock *l)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		return true;
	/*
	 * An interrupt between the test and the store runs to its end (and
	 * leaves @busy clear) before this goes on: test and store need not
	 * be one atomic step. The barrier orders @busy before the lists.
	 */
	if (READ_ONCE(l->busy))
		return false;
	WRITE_ONCE(l->busy, true);
	barrier();
	return true;
}

static inline void vbuddy_cpu_leave(struct vbuddy_cpu_lock *l)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		return;
	barrier();
	WRITE_ONCE(l->busy, false);
}

static inline bool __vbuddy_cpu_trylock(struct vbuddy_cpu_lock *l)
{
	if (!vbuddy_cpu_enter(l))
		return false;
	if (likely(spin_trylock(&l->lock))) {
		/* sparse: the lock is handed to the caller's vbuddy_cpu_unlock() */
		__release(&l->lock);
		return true;
	}
	vbuddy_cpu_leave(l);
	return false;
}

/*
 * vbuddy_cpu_trylock() - this CPU's lists in @ptr (a __percpu pointer to a
 * struct whose &struct vbuddy_cpu_lock is its member lock), locked, with
 * the task pinned to the CPU; or NULL: an interrupt (or, on PREEMPT_RT, a
 * task) on this CPU is inside them, or another CPU walks them. The caller
 * then goes around the lists, under the pool lock.
 */
#define vbuddy_cpu_trylock(ptr)						\
({									\
	typeof(ptr) __pcpu = (ptr);					\
	typeof(*__pcpu) __kernel __force *__p;				\
									\
	vbuddy_cpu_pin();						\
	__p = this_cpu_ptr(__pcpu);					\
	if (unlikely(!__vbuddy_cpu_trylock(&__p->lock))) {		\
		vbuddy_cpu_unpin();					\
		__p = NULL;						\
	}								\
	__p;								\
})

/* Undo vbuddy_cpu_trylock(). */
static inline void vbuddy_cpu_unlock(struct vbuddy_cpu_lock *l)
{
	__acquire(&l->lock);	/* sparse: taken in vbuddy_cpu_trylock() */
	spin_unlock(&l->lock);
	vbuddy_cpu_leave(l);
	vbuddy_cpu_unpin();
}

/**
 * vbuddy_cpu_lock_any() - lock CPU @cpu's lists from anywhere
 * @l: their lock
 * @cpu: the CPU they belong to
 * @wait: the caller may sleep: wait for lists another CPU holds
 *
 * Interrupts stay on. This CPU's own lists are marked busy as their owner
 * marks them, so that an interrupt goes around them while the walk holds
 * them; when this interrupted their owner in the middle, they are skipped.
 * Without @wait, lists another CPU holds are skipped too: their holder may
 * be interrupted for as long as the interrupt takes, and whatever the
 * caller holds may be what the interrupt waits for.
 *
 * Context: Any context; @wait only where the caller may sleep.
 * Return: true if the lists are locked (the task pinned to its CPU until
 * vbuddy_cpu_unlock_any()).
 */
static inline bool vbuddy_cpu_lock_any(struct vbuddy_cpu_lock *l, unsigned int cpu, bool wait)
{
	bool own;

	vbuddy_cpu_pin();
	own = cpu == smp_processor_id();
	if (own && !vbuddy_cpu_enter(l))
		goto skip;
	if (wait) {
		spin_lock(&l->lock);
	} else if (!spin_trylock(&l->lock)) {
		if (own)
			vbuddy_cpu_leave(l);
		goto skip;
	}
	__release(&l->lock);	/* sparse: handed to vbuddy_cpu_unlock_any() */
	return true;
skip:
	vbuddy_cpu_unpin();
	return false;
}

/* Undo vbuddy_cpu_lock_any() that returned true. */
static inline void vbuddy_cpu_unlock_any(struct vbuddy_cpu_lock *l, unsigned int cpu)
{
	__acquire(&l->lock);	/* sparse: taken in vbuddy_cpu_lock_any() */
	spin_unlock(&l->lock);
	if (cpu == smp_processor_id())
		vbuddy_cpu_leave(l);
	vbuddy_cpu_unpin();
}

/* Orders that the per-CPU caches serve: 0..VBUDDY_PCP_ORDERS-1. */
#define VBUDDY_PCP_ORDERS	5

/* The most blocks an order-0 list grows to hold (vbuddy_pcp_state.high_max). */
#define VBUDDY_PCP_HIGH_MAX	256

/**
 * struct vbuddy_pcp - one CPU's cache of free blocks of a pool
 * @lock: guards the rest; taken before the pool lock, by the CPU it
 *        belongs to and by vbuddy_pcp_walk()
 * @count: blocks on each list
 * @high: per order, the blocks the list may hold before it gives some back:
 *        the pool's mark, which order 0's list raises while it runs dry
 *        (up to vbuddy_pcp_state.high_max) and a drain puts back
 * @lists: free blocks of each order, linked through page->lru of their
 *         first page, whose page->private holds the block's frame index;
 *         the most recently freed first
 * @alloc: allocations served, per order
 * @frees: blocks freed into the cache
 */
struct vbuddy_pcp {
	struct vbuddy_cpu_lock lock;	/* see above */
	unsigned int count[VBUDDY_PCP_ORDERS];
	u16 high[VBUDDY_PCP_ORDERS];
	struct list_head lists[VBUDDY_PCP_ORDERS];
	unsigned long alloc[VBUDDY_PCP_ORDERS];
	unsigned long frees;
};

/**
 * struct vbuddy_pcp_state - a pool's per-CPU caches
 * @cpu: each CPU's cache
 * @owner: a byte per frame of the pool: who has a block of a cached order
 *         (the owner-byte protocol at the top of module/pcp.c)
 * @high: per order, the blocks a list may hold before it gives some back,
 *        where every list starts; 0: that order bypasses the caches; fixed
 * @high_max: the most an order-0 list's mark rises to (at most
 *            VBUDDY_PCP_HIGH_MAX); with the other orders' marks, a CPU's
 *            lists hold at most its share of an eighth of the pool; fixed
 * @low: per order, the blocks a list keeps when it gives back; fixed
 * @batch: per order, the blocks an empty list is refilled with; fixed
 */
struct vbuddy_pcp_state {
	struct vbuddy_pcp __percpu *cpu;
	u8 *owner;
	u16 high[VBUDDY_PCP_ORDERS];
	u16 high_max;
	u16 low[VBUDDY_PCP_ORDERS];
	u16 batch[VBUDDY_PCP_ORDERS];
};

/* Owner bytes: see the protocol at the top of module/pcp.c. */
#define VBUDDY_OWN_NONE		0x00	/* the buddy allocator's word holds */
#define VBUDDY_OWN_HELD		0x40	/* a caller's, ORed with the order */
#define VBUDDY_OWN_CACHED	0x80	/* on a per-CPU list */
#define VBUDDY_OWN_LARGE	0x20	/* with HELD: a vbuddy_kmalloc() object */
#define VBUDDY_OWN_ORDER	0x0f	/* with HELD: the order */

void vbuddy_pcp_setup(unsigned int high, unsigned int low);
int vbuddy_pcp_init(struct vbuddy_pool *pool);
void vbuddy_pcp_destroy(struct vbuddy_pool *pool);

static inline bool vbuddy_pcp_serves(struct vbuddy_pool *pool, unsigned int order)
{
	return order < VBUDDY_PCP_ORDERS && pool->pcp->high[order];
}

/**
 * vbuddy_pcp_owner() - the owner byte of a frame
 * @pool: the pool
 * @idx: a frame index of the pool
 *
 * Context: Any context; a snapshot, read as the protocol in pcp.c says.
 * Return: the byte.
 */
static inline u8 vbuddy_pcp_owner(struct vbuddy_pool *pool, u32 idx)
{
	return READ_ONCE(pool->pcp->owner[idx]);
}

struct page *vbuddy_pcp_alloc_slow(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
				   unsigned int order, bool large, bool movable);
unsigned long vbuddy_pcp_get_bulk(struct vbuddy_pool *pool, unsigned long nr,
				  struct page **pages);
void vbuddy_pcp_give_back(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
			  unsigned int order, unsigned int keep);
int vbuddy_pcp_free_slow(struct vbuddy_pool *pool, unsigned long pfn,
			 unsigned int order, u32 idx, u8 held);
int vbuddy_pcp_free_around(struct vbuddy_pool *pool, unsigned long pfn,
			   unsigned int order, u32 idx, u8 held);

/* The owner byte of a block handed out; @large: as a kmalloc object. */
static inline u8 vbuddy_own_held(unsigned int order, bool large)
{
	return VBUDDY_OWN_HELD | (large ? VBUDDY_OWN_LARGE : 0) | order;
}

/* Hand the block of @page, first on @pcp's list of @order, to a caller. */
static __always_inline void vbuddy_pcp_take(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
					    struct page *page, unsigned int order, bool large)
{
	u32 idx = page_private(page);

	lockdep_assert_held(&pcp->lock.lock);
	list_del(&page->lru);
	pcp->count[order]--;
	pcp->alloc[order]++;
	WRITE_ONCE(pool->pcp->owner[idx], vbuddy_own_held(order, large));
	/* A kmalloc object's pages stay ours: stamped. The caller's are not. */
	if (large)
		vbuddy_stamp_page(pool, page, idx);
	else
		set_page_private(page, 0);
}

/**
 * vbuddy_pcp_get_block() - a block from this CPU's cache or the pool's lists
 * @pool: the pool
 * @order: 0..VBUDDY_MAX_ORDER
 * @large: for a kmalloc object of whole pages (module/kmalloc.c), which
 *         vbuddy_free_pages() must refuse: marked VBUDDY_OWN_LARGE if it
 *         comes from a cache, tagged VBUDDY_TAG_LARGE otherwise
 * @movable: the block may be moved (__GFP_MOVABLE): under the grouped
 *           placement it comes from the pool's movable end, around the
 *           caches, which hold the other end's blocks
 *
 * Counts the allocation; not a failure (the caller may reclaim and retry).
 * Inline: a block on this CPU's list is the common case; a refill, a busy
 * list and the pool's lists are vbuddy_pcp_alloc_slow().
 *
 * Context: Any context.
 * Return: the block's first page, or NULL if neither this CPU's list nor
 * the pool's free lists have a block of @order (other caches may).
 */
static __always_inline struct page *vbuddy_pcp_get_block(struct vbuddy_pool *pool,
							 unsigned int order, bool large,
							 bool movable)
{
	struct vbuddy_pcp *pcp = NULL;
	struct page *page;

	/* The policy is set before the pool is visible, and never changes. */
	movable = movable && pool->buddy.policy == BUDDY_GROUPED;
	if (likely(vbuddy_pcp_serves(pool, order) && !movable))
		pcp = vbuddy_cpu_trylock(pool->pcp->cpu);
	if (unlikely(!pcp || list_empty(&pcp->lists[order])))
		return vbuddy_pcp_alloc_slow(pool, pcp, order, large, movable);
	page = list_first_entry(&pcp->lists[order], struct page, lru);
	vbuddy_pcp_take(pool, pcp, page, order, large);
	vbuddy_cpu_unlock(&pcp->lock);
	return page;
}

/**
 * vbuddy_pcp_free_index() - put a block of a cached order on this CPU's list
 * @pool: the pool
 * @page: the block's first page
 * @idx: the frame index of @page in @pool's buddy core
 * @order: an order that vbuddy_pcp_serves()
 * @large: as given to vbuddy_pcp_get_block()
 *
 * Inline: the list's case is the common one; a busy list, a lost cmpxchg()
 * and a full list's give-back are out of line.
 *
 * Context: Any context.
 * Return: 0, or (nothing changed) the buddy core's error for a page that is
 * not the head of a block of @order handed out by vbuddy_pcp_get_block()
 * with the same @large.
 */
static __always_inline int vbuddy_pcp_free_index(struct vbuddy_pool *pool, struct page *page,
						 u32 idx, unsigned int order, bool large)
{
	struct vbuddy_pcp_state *st = pool->pcp;
	unsigned long pfn = page_to_pfn(page);
	u8 held = vbuddy_own_held(order, large);
	struct vbuddy_pcp *pcp;

	pcp = vbuddy_cpu_trylock(st->cpu);
	if (unlikely(!pcp))
		return vbuddy_pcp_free_around(pool, pfn, order, idx, held);
	if (unlikely(cmpxchg(&st->owner[idx], held, VBUDDY_OWN_CACHED) != held)) {
		vbuddy_cpu_unlock(&pcp->lock);
		return vbuddy_pcp_free_slow(pool, pfn, order, idx, held);
	}
	set_page_private(page, idx);
	list_add(&page->lru, &pcp->lists[order]);
	pcp->frees++;
	/* As many blocks back as a list at the pool's mark gives. */
	if (unlikely(++pcp->count[order] > pcp->high[order]))
		vbuddy_pcp_give_back(pool, pcp, order,
				     pcp->high[order] - st->high[order] + st->low[order]);
	vbuddy_cpu_unlock(&pcp->lock);
	return 0;
}

int vbuddy_pcp_walk(struct vbuddy_pool *pool,
		    int (*fn)(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
			      unsigned int cpu, void *arg),
		    void *arg, bool wait);

#endif /* _VBUDDY_PCP_H */
