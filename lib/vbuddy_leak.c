// SPDX-License-Identifier: GPL-2.0
/*
 * vbuddy_leak: leaves something behind on purpose, for the tests of what
 * nobody else may leave behind. Uses only vbuddy.h.
 *
 * range=1 (default): a GFP_VIRTOK range stays mapped in the default pool, so
 * that the qemu test can check what vbuddy's unload does with it: it reports
 * it, unmaps it and gives every page back.
 *
 * kmemleak=1: a 192-byte vbuddy_kmalloc() object is allocated and every
 * pointer to it dropped (the module keeps it disguised), so that a kmemleak
 * scan must list it as unreferenced, as it lists a leaked kmalloc() object:
 * the module prints "vbuddy_leak: kmemleak probe 0x<address>", the guest
 * scans and looks for it, and the module frees it when it is unloaded.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "vbuddy.h"

MODULE_IMPORT_NS(VBUDDY_INTERNAL);

static bool range = true;
module_param(range, bool, 0444);
MODULE_PARM_DESC(range, "leave a GFP_VIRTOK range mapped in the default pool (default)");

static bool kmemleak;
module_param(kmemleak, bool, 0444);
MODULE_PARM_DESC(kmemleak, "leave a vbuddy_kmalloc() object unreferenced until unload");

/* The probe object's address, disguised so that kmemleak finds no pointer. */
#define DISGUISE	0x5a5a5a5a5a5a5a5aUL
static unsigned long probe;

static void release(struct vbuddy_pool *pool, struct page **held, unsigned long n)
{
	while (n)
		vbuddy_free_pages(pool, held[--n], 0);
}

/* Leave a GFP_VIRTOK range behind: vbuddy's unload must report it. */
static int leak_range(void)
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

static int __init vbuddy_leak_init(void)
{
	void *p;

	if (kmemleak) {
		p = vbuddy_kmalloc(192, GFP_KERNEL);
		if (!p)
			return -ENOMEM;
		/* The address, for the guest to look for; not a pointer kmemleak sees. */
		pr_info("kmemleak probe 0x%lx\n", (unsigned long)p);
		probe = (unsigned long)p ^ DISGUISE;
	}
	return range ? leak_range() : 0;
}
module_init(vbuddy_leak_init);

static void __exit vbuddy_leak_exit(void)
{
	if (probe)
		vbuddy_kfree((void *)(probe ^ DISGUISE));
}
module_exit(vbuddy_leak_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vbuddy test: things left behind on purpose");
