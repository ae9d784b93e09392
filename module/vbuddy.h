/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vbuddy: a buddy page allocator over a pool of pages it owns.
 *
 * A pool takes its pages from the kernel once, when it is created, and hands
 * out naturally aligned blocks of 2^order pages until it is destroyed. Pools
 * are independent: each has its own pages, lock and statistics. The module
 * creates a default pool at load time (module parameter pool_pages).
 *
 * struct vbuddy_pool is opaque: use it only through these functions.
 */
#ifndef _VBUDDY_H
#define _VBUDDY_H

#include <linux/build_bug.h>
#include <linux/gfp.h>
#include <linux/types.h>

struct page;
struct vbuddy_pool;

/**
 * define VBUDDY_MAX_ORDER - the largest block is 2^VBUDDY_MAX_ORDER pages
 *
 * 4 MiB with 4 KiB pages.
 */
#define VBUDDY_MAX_ORDER	10

/**
 * define GFP_VIRTOK - allow a virtually contiguous fallback
 *
 * A multi-page vbuddy_*kmalloc() that finds no contiguous block
 * may be served by mapping scattered free pages of the pool into one
 * virtually contiguous range (a slot of the pool's window). Such memory is
 * not physically contiguous: never use it for DMA, nor virt_to_page() on it;
 * vbuddy_is_virtual() tells. Only callers that may sleep are served. The
 * bit lies outside __GFP_BITS_MASK and never reaches the kernel's own
 * allocators.
 */
#define GFP_VIRTOK	((__force gfp_t)0x80000000U)
static_assert(!(GFP_VIRTOK & __GFP_BITS_MASK), "GFP_VIRTOK collides with a GFP bit");

/**
 * define VBUDDY_NAME_LEN - longest pool name, with its NUL
 */
#define VBUDDY_NAME_LEN		32

/*
 * Pools. What each call returns on failure is said beside it; the
 * kernel-doc of each function (Documentation/api.rst) says the rest.
 */

/*
 * ERR_PTR(-EINVAL): bad name, 0 or more than 2^30 pages; -EEXIST: name
 * taken; -ENOMEM: the kernel cannot give the pages (never the OOM killer).
 */
struct vbuddy_pool *vbuddy_pool_create(const char *name, unsigned long nr_pages);
/*
 * As vbuddy_pool_create(); -EINVAL also for flags other than GFP_KERNEL,
 * __GFP_DMA32, __GFP_DMA, __GFP_ACCOUNT.
 */
struct vbuddy_pool *vbuddy_pool_create_gfp(const char *name, unsigned long nr_pages,
					   gfp_t gfp);
/*
 * Nothing: refused with a report while anything is allocated, and for the
 * default pool.
 */
void vbuddy_pool_destroy(struct vbuddy_pool *pool);
/* The default pool; NULL only before vbuddy.ko's init has made it. */
struct vbuddy_pool *vbuddy_default_pool(void);

/*
 * Pages. NULL: no free block of @order, or (reported) a bad @order or
 * flag. 2^@order contiguous pages, naturally aligned, otherwise.
 */
struct page *vbuddy_alloc_pages(struct vbuddy_pool *pool, gfp_t gfp,
				unsigned int order);
/*
 * The NULL entries of @pages get an order-0 page each; returns how many
 * entries hold a page afterwards (fewer than @nr: the pool ran short; 0,
 * reported: a refused flag). Free each with vbuddy_free_pages(pool, p, 0).
 */
unsigned long vbuddy_alloc_pages_bulk(struct vbuddy_pool *pool, gfp_t gfp, unsigned long nr,
				      struct page **pages);
/* Nothing: a bad free is reported and refused, the pool left as it was. */
void vbuddy_free_pages(struct vbuddy_pool *pool, struct page *page,
		       unsigned int order);

/*
 * The kmalloc family. Sizes up to 2048 bytes come from size classes (8, 16,
 * 32, 64, 96, 128, 192, 256, 512, 1024, 2048), larger ones are whole blocks
 * of 2^order pages, up to 2^VBUDDY_MAX_ORDER pages. vbuddy_kfree(),
 * vbuddy_ksize() and vbuddy_krealloc() take a pointer from any pool.
 * Contiguous objects of a power-of-two size are aligned to it (ranges
 * served with GFP_VIRTOK are page aligned).
 */

/*
 * NULL: no room, more than 2^VBUDDY_MAX_ORDER pages, or (reported) a flag
 * the pool refuses; ZERO_SIZE_PTR for a size of 0.
 */
void *vbuddy_pool_kmalloc(struct vbuddy_pool *pool, size_t size, gfp_t gfp);
/* As vbuddy_pool_kmalloc(), from the default pool. */
void *vbuddy_kmalloc(size_t size, gfp_t gfp);
void *vbuddy_kzalloc(size_t size, gfp_t gfp);
/* As vbuddy_kmalloc(); NULL also if @n * @size overflows. */
void *vbuddy_kcalloc(size_t n, size_t size, gfp_t gfp);
void *vbuddy_kmalloc_array(size_t n, size_t size, gfp_t gfp);
/*
 * NULL: growing failed (@p untouched), or (reported) @p is no allocation;
 * ZERO_SIZE_PTR for a @new_size of 0 (@p freed).
 */
void *vbuddy_krealloc(const void *p, size_t new_size, gfp_t gfp);
/* 0 for NULL, ZERO_SIZE_PTR, or (reported) no allocation. */
size_t vbuddy_ksize(const void *p);
/* Nothing: a bad pointer is reported and refused. */
void vbuddy_kfree(const void *p);
/* true if @p lies in a GFP_VIRTOK range mapped from a pool's pages, else false. */
bool vbuddy_is_virtual(const void *p);

/*
 * Movable blocks: contiguous pages that compaction may move while they are
 * not mapped. 0 from vbuddy_alloc_movable(): no room, or (reported) a bad
 * @order or flag; NULL from vbuddy_map_movable() (reported): a freed
 * handle. vbuddy_pool_compact(): 0 if a free block of @order exists
 * afterwards, -ENOSPC if not, -EINVAL (reported) above VBUDDY_MAX_ORDER.
 */
unsigned long vbuddy_alloc_movable(struct vbuddy_pool *pool, gfp_t gfp, unsigned int order);
void *vbuddy_map_movable(unsigned long handle);
void vbuddy_unmap_movable(unsigned long handle);
void vbuddy_free_movable(unsigned long handle);
int vbuddy_pool_compact(struct vbuddy_pool *pool, unsigned int order);

/*
 * Test hooks: what vbuddy's own test, benchmark and demo modules (lib/) and
 * KUnit suites need to see of a pool. Exported in the VBUDDY_INTERNAL
 * symbol namespace (MODULE_IMPORT_NS(VBUDDY_INTERNAL)); not an API for
 * drivers, and it may change with any commit.
 */

/* Orders 0..VBUDDY_MAX_ORDER; also in module/buddy.h, which must agree. */
#define VBUDDY_NR_ORDERS	(VBUDDY_MAX_ORDER + 1)

/* Events counted per pool, each with a stable name in the debugfs stats file. */
enum vbuddy_event {
	VBUDDY_EV_FREE,		/* blocks and objects given back */
	VBUDDY_EV_BAD_INPUT,	/* misuse reported and refused */
	VBUDDY_EV_VIRT_SERVED,	/* GFP_VIRTOK fallbacks served */
	VBUDDY_EV_VIRT_PAGES,	/* pages mapped by those fallbacks */
	VBUDDY_EV_VIRT_FREED,	/* GFP_VIRTOK ranges unmapped and given back */
	VBUDDY_EV_VIRT_NO_PAGES, /* refused: fewer free pages than asked */
	VBUDDY_EV_VIRT_NO_SLOT,	/* refused: every slot of the window in use */
	VBUDDY_EV_VIRT_ATOMIC,	/* refused: the caller may not sleep */
	VBUDDY_EV_VIRT_TOO_BIG,	/* refused: larger than a slot */
	VBUDDY_EV_VIRT_MAP_FAILED, /* refused: vmap() failed */
	VBUDDY_EV_PCP_REFILL,	/* per-CPU caches refilled from the pool */
	VBUDDY_EV_PCP_DRAIN,	/* per-CPU caches drained into the pool */
	VBUDDY_EV_RECLAIM,	/* failing requests that drained every cache */
	VBUDDY_EV_HELD_BACK,	/* freed blocks held back: a page still referenced */
	VBUDDY_EV_COMPACT_RUN,	/* compaction runs */
	VBUDDY_EV_COMPACT_DIRECT, /* of those, started by a request that found no block */
	VBUDDY_EV_COMPACT_PROACTIVE, /* of those, started by the background worker */
	VBUDDY_EV_COMPACT_DOWN,	/* runs whose pass up fell short, that went on down */
	VBUDDY_EV_COMPACT_DEFERRED, /* direct compactions skipped after failures */
	VBUDDY_EV_COMPACT_SUCCESS, /* runs that got what they wanted */
	VBUDDY_EV_COMPACT_FAIL,	/* runs that ended without it */
	VBUDDY_EV_COMPACT_MOVED, /* blocks moved */
	VBUDDY_EV_COMPACT_PAGES, /* pages moved */
	VBUDDY_EV_COMPACT_PINNED, /* blocks left in place: mapped, or being freed */
	VBUDDY_EV_VIRT_REUSED,	/* of the fallbacks served, by a range kept mapped */
	VBUDDY_EV_NR,
};

unsigned long vbuddy_pool_nr_pages(struct vbuddy_pool *pool);
unsigned long vbuddy_pool_free_pages(struct vbuddy_pool *pool);
unsigned long vbuddy_pool_cached_pages(struct vbuddy_pool *pool);
void vbuddy_pool_nr_free(struct vbuddy_pool *pool,
			 unsigned long nr_free[VBUDDY_NR_ORDERS]);
unsigned long vbuddy_pool_event(struct vbuddy_pool *pool, enum vbuddy_event ev);
int vbuddy_pool_check(struct vbuddy_pool *pool);
void vbuddy_pool_drain(struct vbuddy_pool *pool);
unsigned long vbuddy_pool_checkerboard(struct vbuddy_pool *pool, struct page **held);
void vbuddy_pool_expect_reports(struct vbuddy_pool *pool, bool quiet);

/* The longest report vbuddy_pool_last_report() keeps, with its NUL. */
#define VBUDDY_REPORT_LEN	128
size_t vbuddy_pool_last_report(struct vbuddy_pool *pool, char *buf, size_t len);
void vbuddy_pool_teardown(struct vbuddy_pool *pool);
struct vbuddy_pool *vbuddy_pool_create_placement(const char *name, unsigned long nr_pages,
						 const char *placement);
struct vbuddy_pool *vbuddy_page_pool(const struct page *page);
unsigned int vbuddy_compact_score(struct vbuddy_pool *pool);
int vbuddy_compact_set_proactiveness(struct vbuddy_pool *pool, unsigned int value);
void vbuddy_compact_set_move_hook(void (*fn)(unsigned long handle));
void vbuddy_pool_set_map_ram(struct vbuddy_pool *pool, unsigned int pages);
void vbuddy_pool_set_window_keep(struct vbuddy_pool *pool, unsigned int ranges);

#endif /* _VBUDDY_H */
