/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Movable allocations and compaction (module/compact.c): what the other
 * files of vbuddy.ko use; the API itself is in vbuddy.h.
 */
#ifndef _VBUDDY_COMPACT_H
#define _VBUDDY_COMPACT_H

#include <linux/gfp.h>
#include <linux/types.h>

#include "vbuddy.h"

struct vbuddy_pool;
struct workqueue_struct;

/*
 * The order the fragmentation score is taken at, and the background
 * worker's regions: 16 pages, the size of the GFP_VIRTOK fallback that the
 * demo and the tests ask for.
 */
#define VBUDDY_COMPACT_ORDER	4

void vbuddy_compact_setup(unsigned int proactiveness, struct workqueue_struct *wq);
int vbuddy_compact_init(struct vbuddy_pool *pool);
void vbuddy_compact_stop(struct vbuddy_pool *pool);
void vbuddy_compact_quiesce(struct vbuddy_pool *pool);
void vbuddy_compact_destroy(struct vbuddy_pool *pool);
bool vbuddy_compact_direct(struct vbuddy_pool *pool, gfp_t gfp, unsigned int order);
/* vbuddy_compact_score() and the proactiveness: test hooks in vbuddy.h. */
unsigned int vbuddy_compact_proactiveness(struct vbuddy_pool *pool);
unsigned long vbuddy_compact_movable_pages(struct vbuddy_pool *pool);

#endif /* _VBUDDY_COMPACT_H */
