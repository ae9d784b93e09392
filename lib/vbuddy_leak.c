// SPDX-License-Identifier: GPL-2.0
/*
 * vbuddy_leak: leaves a GFP_VIRTOK range mapped in the default pool, so
 * that the qemu test can check what vbuddy's unload does with a range still
 * mapped: it reports it, unmaps it and gives every page back. Uses only
 * vbuddy.h.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "vbuddy.h"

MODULE_IMPORT_NS(VBUDDY_INTERNAL);

static void release(struct vbuddy_pool *pool, struct page **held, unsigned long n)
{
	while (n)
		vbuddy_free_pages(pool, held[--n], 0);
}

/* Leave a GFP_VIRTOK range behind: vbuddy's unload must report it. */
static int __init vbuddy_leak_init(void)
{
	struct vbuddy_pool *pool = vbuddy_default_pool();
	struct page **held;
	unsigned long n;
	void *p;

	held = kvcalloc(vbuddy_pool_nr_pages(pool), sizeof(*held), GFP_KERNEL);
	if (!held)
		return -ENOMEM;
	n = vbuddy_pool_checkerboard(pool, held);
	p = vbuddy_kmalloc(4 * PAGE_SIZE, GFP_KERNEL | GFP_VIRTOK);
	release(pool, held, n);
	kvfree(held);
	pr_info("left a GFP_VIRTOK range %s in the default pool\n", p ? "mapped" : "(none!)");
	return p ? 0 : -EIO;
}
module_init(vbuddy_leak_init);

static void __exit vbuddy_leak_exit(void)
{
}
module_exit(vbuddy_leak_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vbuddy test: unload with a GFP_VIRTOK range still mapped");
