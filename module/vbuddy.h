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

struct vbuddy_pool *vbuddy_pool_create(const char *name, unsigned long nr_pages);
void vbuddy_pool_destroy(struct vbuddy_pool *pool);
struct vbuddy_pool *vbuddy_default_pool(void);

struct page *vbuddy_alloc_pages(struct vbuddy_pool *pool, gfp_t gfp,
				unsigned int order);
void vbuddy_free_pages(struct vbuddy_pool *pool, struct page *page,
		       unsigned int order);

/*
 * The kmalloc family. Sizes up to 2048 bytes come from size classes (8, 16,
 * 32, 64, 96, 128, 192, 256, 512, 1024, 2048), larger ones are whole blocks
 * of 2^order pages, up to 2^VBUDDY_MAX_ORDER pages. vbuddy_kfree(),
 * vbuddy_ksize() and vbuddy_krealloc() take a pointer from any pool.
 */
void *vbuddy_pool_kmalloc(struct vbuddy_pool *pool, size_t size, gfp_t gfp);
void *vbuddy_kmalloc(size_t size, gfp_t gfp);
void *vbuddy_kzalloc(size_t size, gfp_t gfp);
void *vbuddy_kcalloc(size_t n, size_t size, gfp_t gfp);
void *vbuddy_kmalloc_array(size_t n, size_t size, gfp_t gfp);
void *vbuddy_krealloc(const void *p, size_t new_size, gfp_t gfp);
size_t vbuddy_ksize(const void *p);
void vbuddy_kfree(const void *p);
bool vbuddy_is_virtual(const void *p);

#endif /* _VBUDDY_H */
