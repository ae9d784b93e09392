/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU caches of blocks of orders 0..VBUDDY_PCP_ORDERS-1, in front of the
 * pool lock, and the page API served through them (module/pcp.c).
 */
#ifndef _VBUDDY_PCP_H
#define _VBUDDY_PCP_H

#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "pool.h"

/* Orders that the per-CPU caches serve: 0..VBUDDY_PCP_ORDERS-1. */
#define VBUDDY_PCP_ORDERS	4

/**
 * struct vbuddy_pcp - one CPU's cache of free blocks of a pool
 * @lock: guards the rest; taken irqsave, before the pool lock, by the CPU
 *        it belongs to (almost always) and by vbuddy_pcp_walk()
 * @count: blocks on each list
 * @lists: free blocks of each order, linked through page->lru of their
 *         first page, whose page->private holds the block's frame index;
 *         the most recently freed first
 * @alloc: allocations served, per order
 * @frees: blocks freed into the cache
 */
struct vbuddy_pcp {
	spinlock_t lock;		/* see above */
	unsigned int count[VBUDDY_PCP_ORDERS];
	struct list_head lists[VBUDDY_PCP_ORDERS];
	unsigned long alloc[VBUDDY_PCP_ORDERS];
	unsigned long frees;
};

/**
 * struct vbuddy_pcp_state - a pool's per-CPU caches
 * @cpu: each CPU's cache
 * @owner: a byte per frame of the pool: who has a block of a cached order
 *         (the owner-byte protocol at the top of module/pcp.c)
 * @high: per order, the blocks a list may hold before it gives some back;
 *        0: that order bypasses the caches; fixed
 * @low: per order, the blocks a list keeps when it gives back; fixed
 * @batch: per order, the blocks an empty list is refilled with; fixed
 */
struct vbuddy_pcp_state {
	struct vbuddy_pcp __percpu *cpu;
	u8 *owner;
	u16 high[VBUDDY_PCP_ORDERS];
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

struct page *vbuddy_pcp_get_block(struct vbuddy_pool *pool, unsigned int order,
				  bool large, bool movable);
unsigned long vbuddy_pcp_get_bulk(struct vbuddy_pool *pool, unsigned long nr,
				  struct page **pages);
int vbuddy_pcp_free_index(struct vbuddy_pool *pool, struct page *page, u32 idx,
			  unsigned int order, bool large);
u8 vbuddy_pcp_owner(struct vbuddy_pool *pool, u32 idx);
int vbuddy_pcp_walk(struct vbuddy_pool *pool,
		    int (*fn)(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
			      unsigned int cpu, void *arg),
		    void *arg);

#endif /* _VBUDDY_PCP_H */
