// SPDX-License-Identifier: GPL-2.0
/*
 * vbuddy_leak: leaves something behind on purpose, for the tests of what
 * nobody else may leave behind. Uses only vbuddy.h.
 *
 * range=1 (default): a GFP_VIRTOK range stays mapped in the default pool, so
 * that the qemu test can check what vbuddy's unload does with it: it reports
 * it, unmaps it and gives every page back.
 *
 * kmemleak=1: three vbuddy_kmalloc() objects (of 64 and 192 bytes and of
 * two pages) are allocated and every pointer to them dropped (the module
 * keeps them disguised), as a leak would leave them. The module prints
 * "vbuddy_leak: kmemleak probe 0x<address> size <bytes>" for each; the
 * guest asks kmemleak about each ("dump="), which must know it with that
 * size, scans, and once the module is unloaded (which frees them) asks
 * again: kmemleak must have forgotten them.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "vbuddy.h"
#include "vbuddy_lib.h"

MODULE_IMPORT_NS(VBUDDY_INTERNAL);

static bool range = true;
module_param(range, bool, 0444);
MODULE_PARM_DESC(range, "leave a GFP_VIRTOK range mapped in the default pool (default)");

static bool kmemleak;
module_param(kmemleak, bool, 0444);
MODULE_PARM_DESC(kmemleak, "leave a vbuddy_kmalloc() object unreferenced until unload");

/* The probe objects' addresses, disguised so that kmemleak finds no pointer. */
#define DISGUISE	0x5a5a5a5a5a5a5a5aUL
static const size_t probe_size[] = { 64, 192, 2 * PAGE_SIZE };
static unsigned long probe[ARRAY_SIZE(probe_size)];

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
	vbuddy_lib_release(pool, held, n);
	kvfree(held);
	pr_info("left a GFP_VIRTOK range %s in the default pool\n", p ? "mapped" : "(none!)");
	return p ? 0 : -EIO;
}

/* What kmemleak must have been told: the object's whole size class or block. */
static size_t ksize_of(unsigned int i)
{
	return probe_size[i] > PAGE_SIZE ? PAGE_ALIGN(probe_size[i]) : probe_size[i];
}

static void free_probes(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(probe); i++)
		if (probe[i])
			vbuddy_kfree((void *)(probe[i] ^ DISGUISE));
}

static int __init vbuddy_leak_init(void)
{
	unsigned int i;
	void *p;

	for (i = 0; kmemleak && i < ARRAY_SIZE(probe); i++) {
		p = vbuddy_kmalloc(probe_size[i], GFP_KERNEL);
		if (!p) {
			free_probes();
			return -ENOMEM;
		}
		/* The address, for the guest to look for; not a pointer kmemleak sees. */
		pr_info("kmemleak probe 0x%lx size %zu\n", (unsigned long)p, ksize_of(i));
		probe[i] = (unsigned long)p ^ DISGUISE;
	}
	return range ? leak_range() : 0;
}
module_init(vbuddy_leak_init);

static void __exit vbuddy_leak_exit(void)
{
	free_probes();
}
module_exit(vbuddy_leak_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vbuddy test: things left behind on purpose");
