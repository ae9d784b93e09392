// SPDX-License-Identifier: GPL-2.0
/*
 * vbuddy_demo: the story of GFP_VIRTOK, told in the kernel log for make
 * demo. A pool of 256 pages is fragmented into a checkerboard; a 16 KiB
 * vbuddy_pool_kmalloc() is refused without GFP_VIRTOK and served with it,
 * from scattered pages whose pfns are shown; the data is read back on
 * another CPU; then everything is freed and the pool merges back. Tables of
 * free blocks per order show each step. Uses only vbuddy.h.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "vbuddy.h"
#include "vbuddy_lib.h"

MODULE_IMPORT_NS(VBUDDY_INTERNAL);

static void demo_table(struct vbuddy_pool *pool, const char *when)
{
	unsigned long nr_free[VBUDDY_NR_ORDERS];
	char line[160];
	int len = 0;
	unsigned int order;

	vbuddy_pool_nr_free(pool, nr_free);
	for (order = 0; order <= VBUDDY_MAX_ORDER; order++)
		len += scnprintf(line + len, sizeof(line) - len, " %4lu", nr_free[order]);
	pr_info("  %-30s%s   %4lu free\n", when, line, vbuddy_pool_free_pages(pool));
}

/* The story of GFP_VIRTOK, on a pool of its own. */
static int demo_run(void)
{
	const size_t size = 16 * 1024;
	struct vbuddy_pool *pool;
	unsigned long n, i;
	struct page **held;
	char head[160];
	int len = 0;
	bool ok;
	u8 *p;

	pool = vbuddy_pool_create("demo", 256);
	held = kvcalloc(256, sizeof(*held), GFP_KERNEL);
	if (IS_ERR(pool) || !held) {
		kvfree(held);
		return IS_ERR(pool) ? PTR_ERR(pool) : -ENOMEM;
	}
	for (i = 0; i <= VBUDDY_MAX_ORDER; i++)
		len += scnprintf(head + len, sizeof(head) - len, " %4lu", i);
	pr_info("pool 'demo' of 256 pages; free blocks per order:\n");
	pr_info("  %-30s%s\n", "order", head);
	demo_table(pool, "fresh");
	n = vbuddy_pool_checkerboard(pool, held);
	demo_table(pool, "checkerboard (odd pfns held)");

	p = vbuddy_pool_kmalloc(pool, size, GFP_KERNEL | __GFP_NOWARN);
	pr_info("vbuddy_pool_kmalloc(16 KiB, GFP_KERNEL): %s\n",
		p ? "served?!" : "NULL: no 4 free pages in a row");
	vbuddy_kfree(p);

	p = vbuddy_pool_kmalloc(pool, size, GFP_KERNEL | GFP_VIRTOK);
	if (!p) {
		pr_info("vbuddy_pool_kmalloc(16 KiB, GFP_KERNEL | GFP_VIRTOK): NULL\n");
		vbuddy_lib_release(pool, held, n);
		vbuddy_pool_destroy(pool);
		kvfree(held);
		return -EIO;
	}
	pr_info("vbuddy_pool_kmalloc(16 KiB, GFP_KERNEL | GFP_VIRTOK): served, virtual=%d\n",
		vbuddy_is_virtual(p));
	for (i = 0; i < size; i += PAGE_SIZE)
		pr_info("  bytes %5lu-%5lu -> pfn %#lx\n", i, i + PAGE_SIZE - 1,
			page_to_pfn(vmalloc_to_page(p + i)));
	for (i = 0; i < size; i++)
		p[i] = vbuddy_lib_pattern(i);
	ok = vbuddy_lib_verify_elsewhere(p, size);
	pr_info("wrote 16 KiB through the range, read it back on another CPU: %s\n",
		ok ? "all bytes good" : "CORRUPT");
	demo_table(pool, "range mapped");

	vbuddy_kfree(p);
	vbuddy_pool_drain(pool);
	demo_table(pool, "range freed");
	vbuddy_lib_release(pool, held, n);
	vbuddy_pool_drain(pool);	/* the per-CPU caches hold some */
	demo_table(pool, "everything freed, merged");
	ok &= vbuddy_pool_check(pool) == 0;
	vbuddy_pool_destroy(pool);
	kvfree(held);
	return ok ? 0 : -EIO;
}

static int __init vbuddy_demo_init(void)
{
	return demo_run();
}
module_init(vbuddy_demo_init);

static void __exit vbuddy_demo_exit(void)
{
}
module_exit(vbuddy_demo_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vbuddy demo: GFP_VIRTOK on a checkerboard pool");
