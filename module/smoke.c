// SPDX-License-Identifier: GPL-2.0
/*
 * vbuddy_smoke: a small client of vbuddy.ko for a real kernel (the qemu
 * test run), where KUnit is not built. It exercises the API end to end and
 * prints one TAP-like line per check:
 *
 *   vbuddy_smoke: ok 3 - every order, data kept
 *   vbuddy_smoke: 7 passed, 0 failed
 *
 * and its init fails with -EIO if any check failed. With demo=1 it instead
 * tells, on the default pool, the story of an allocation pattern as tables
 * of free blocks per order.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "vbuddy_internal.h"

MODULE_IMPORT_NS(VBUDDY_INTERNAL);

static bool demo;
module_param(demo, bool, 0444);
MODULE_PARM_DESC(demo, "show the demo instead of running the checks");

#define SMOKE_POOL_PAGES	2048

static bool smoke_check(bool ok, int line, const char *what)
{
	if (!ok)
		pr_err("check failed at line %d: %s\n", line, what);
	return ok;
}

#define CHECK(cond) smoke_check(cond, __LINE__, #cond)

static unsigned long reports(struct vbuddy_pool *pool)
{
	struct vbuddy_stats st;

	vbuddy_pool_get_stats(pool, &st);
	return st.events[VBUDDY_EV_BAD_INPUT];
}

static void fill(struct page *page, unsigned int order, u8 seed)
{
	unsigned long i;

	for (i = 0; i < 1UL << order; i++)
		memset(page_address(nth_page(page, i)), seed + i, PAGE_SIZE);
}

static bool verify(struct page *page, unsigned int order, u8 seed)
{
	unsigned long i, j;

	for (i = 0; i < 1UL << order; i++) {
		const u8 *p = page_address(nth_page(page, i));

		for (j = 0; j < PAGE_SIZE; j++)
			if (p[j] != (u8)(seed + i))
				return false;
	}
	return true;
}

static bool smoke_default_pool(void)
{
	struct vbuddy_pool *pool = vbuddy_default_pool();
	struct page *page;

	if (!CHECK(pool))
		return false;
	if (!CHECK(vbuddy_pool_free_pages(pool) == vbuddy_pool_nr_pages(pool)))
		return false;
	page = vbuddy_alloc_pages(pool, GFP_KERNEL | __GFP_ZERO, 0);
	if (!CHECK(page))
		return false;
	if (!CHECK(!memchr_inv(page_address(page), 0, PAGE_SIZE)))
		return false;
	vbuddy_free_pages(pool, page, 0);
	if (!CHECK(vbuddy_pool_free_pages(pool) == vbuddy_pool_nr_pages(pool)))
		return false;
	return vbuddy_pool_check(pool) == 0;
}

static bool smoke_every_order(struct vbuddy_pool *pool)
{
	struct page *blocks[VBUDDY_NR_ORDERS];
	unsigned int order;

	for (order = 0; order <= VBUDDY_MAX_ORDER; order++) {
		blocks[order] = vbuddy_alloc_pages(pool, GFP_KERNEL, order);
		if (!CHECK(blocks[order]))
			return false;
		if (!CHECK(IS_ALIGNED(page_to_pfn(blocks[order]), 1UL << order)))
			return false;
		fill(blocks[order], order, order);
	}
	if (!CHECK(vbuddy_pool_check(pool) == 0))
		return false;
	for (order = 0; order <= VBUDDY_MAX_ORDER; order++) {
		if (!CHECK(verify(blocks[order], order, order)))
			return false;
		vbuddy_free_pages(pool, blocks[order], order);
	}
	if (!CHECK(vbuddy_pool_free_pages(pool) == SMOKE_POOL_PAGES))
		return false;
	return vbuddy_pool_check(pool) == 0;
}

static bool smoke_exhaust(struct vbuddy_pool *pool)
{
	unsigned long before[VBUDDY_NR_ORDERS], after[VBUDDY_NR_ORDERS];
	struct page **pages;
	unsigned long n = 0, i;
	bool ok;

	pages = kvcalloc(SMOKE_POOL_PAGES + 1, sizeof(*pages), GFP_KERNEL);
	if (!CHECK(pages))
		return false;
	vbuddy_pool_nr_free(pool, before);
	while (n <= SMOKE_POOL_PAGES &&
	       (pages[n] = vbuddy_alloc_pages(pool, GFP_KERNEL | __GFP_NOWARN, 0)))
		n++;
	ok = n == SMOKE_POOL_PAGES && vbuddy_pool_free_pages(pool) == 0;
	for (i = 0; i < n; i += 2)
		vbuddy_free_pages(pool, pages[i], 0);
	for (i = 1; i < n; i += 2)
		vbuddy_free_pages(pool, pages[i], 0);
	kvfree(pages);
	vbuddy_pool_nr_free(pool, after);
	if (!CHECK(ok))
		return false;
	if (!CHECK(!memcmp(before, after, sizeof(before))))
		return false;
	return vbuddy_pool_check(pool) == 0;
}

static bool smoke_bad_input(struct vbuddy_pool *pool)
{
	unsigned long r = reports(pool);
	struct page *page, *foreign;

	vbuddy_pool_expect_reports(pool, true);
	page = vbuddy_alloc_pages(pool, GFP_KERNEL, 2);
	if (!CHECK(page))
		return false;
	vbuddy_free_pages(pool, nth_page(page, 1), 2);	/* not the head */
	if (!CHECK(reports(pool) == r + 1))
		return false;
	vbuddy_free_pages(pool, page, 1);		/* wrong order */
	if (!CHECK(reports(pool) == r + 2))
		return false;
	vbuddy_free_pages(pool, page, 2);
	vbuddy_free_pages(pool, page, 2);		/* double free */
	if (!CHECK(reports(pool) == r + 3))
		return false;
	if (!CHECK(!vbuddy_alloc_pages(pool, GFP_KERNEL, VBUDDY_MAX_ORDER + 1)))
		return false;
	if (!CHECK(reports(pool) == r + 4))
		return false;
	foreign = alloc_page(GFP_KERNEL);
	if (!CHECK(foreign))
		return false;
	vbuddy_free_pages(pool, foreign, 0);		/* not ours */
	__free_page(foreign);
	if (!CHECK(reports(pool) == r + 5))
		return false;
	vbuddy_pool_expect_reports(pool, false);
	if (!CHECK(vbuddy_pool_free_pages(pool) == SMOKE_POOL_PAGES))
		return false;
	return vbuddy_pool_check(pool) == 0;
}

static bool smoke_atomic(struct vbuddy_pool *pool)
{
	struct page *pages[VBUDDY_MAX_ORDER + 1];
	unsigned int order;
	unsigned long flags;
	bool ok = true;

	local_irq_save(flags);
	for (order = 0; order <= VBUDDY_MAX_ORDER; order++) {
		pages[order] = vbuddy_alloc_pages(pool, GFP_ATOMIC, order);
		ok &= !!pages[order];
	}
	for (order = 0; order <= VBUDDY_MAX_ORDER; order++)
		vbuddy_free_pages(pool, pages[order], order);
	local_irq_restore(flags);
	if (!CHECK(ok))
		return false;
	if (!CHECK(vbuddy_pool_free_pages(pool) == SMOKE_POOL_PAGES))
		return false;
	return vbuddy_pool_check(pool) == 0;
}

static bool smoke_kmalloc(struct vbuddy_pool *pool)
{
	static const size_t sizes[] = {
		1, 8, 9, 96, 97, 192, 2048, 2049, PAGE_SIZE - 1, PAGE_SIZE,
		PAGE_SIZE + 1, PAGE_SIZE << VBUDDY_MAX_ORDER,
	};
	unsigned long r = reports(pool);
	u8 *p, *q;
	int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p = vbuddy_pool_kmalloc(pool, sizes[i], GFP_KERNEL | __GFP_ZERO);
		if (!CHECK(p))
			return false;
		if (!CHECK(vbuddy_ksize(p) >= sizes[i]))
			return false;
		if (!CHECK(!memchr_inv(p, 0, sizes[i])))
			return false;
		memset(p, i, sizes[i]);
		if (!CHECK(!memchr_inv(p, i, sizes[i])))
			return false;
		vbuddy_kfree(p);
	}
	p = vbuddy_pool_kmalloc(pool, 10, GFP_KERNEL);
	if (!CHECK(p))
		return false;
	memset(p, 0x77, 10);
	for (i = 1; i < 5; i++) {
		q = vbuddy_krealloc(p, 10 << (3 * i), GFP_KERNEL);
		if (!CHECK(q))
			return false;
		if (!CHECK(!memchr_inv(q, 0x77, 10)))
			return false;
		p = q;
	}
	vbuddy_kfree(p);
	vbuddy_pool_expect_reports(pool, true);
	vbuddy_kfree(p);				/* double free */
	vbuddy_pool_expect_reports(pool, false);
	if (!CHECK(reports(pool) == r + 1))
		return false;
	if (!CHECK(vbuddy_pool_free_pages(pool) == SMOKE_POOL_PAGES))
		return false;
	return vbuddy_pool_check(pool) == 0;
}

static bool smoke_destroy_busy(struct vbuddy_pool *pool)
{
	unsigned long r = reports(pool);
	struct page *page;

	page = vbuddy_alloc_pages(pool, GFP_KERNEL, 0);
	if (!CHECK(page))
		return false;
	vbuddy_pool_expect_reports(pool, true);
	vbuddy_pool_destroy(pool);			/* refused */
	vbuddy_pool_expect_reports(pool, false);
	if (!CHECK(reports(pool) == r + 1))
		return false;
	vbuddy_free_pages(pool, page, 0);
	return vbuddy_pool_check(pool) == 0;
}

static int smoke_run(void)
{
	unsigned int passed = 0, failed = 0, n = 0;
	struct vbuddy_pool *pool;
	bool ok;

#define RUN(name, call)							\
	do {								\
		ok = (call);						\
		ok ? passed++ : failed++;				\
		pr_info("%sok %u - %s\n", ok ? "" : "not ", ++n, name);	\
	} while (0)

	RUN("default pool", smoke_default_pool());
	pool = vbuddy_pool_create("smoke", SMOKE_POOL_PAGES);
	RUN("create a pool", !IS_ERR(pool));
	if (!IS_ERR(pool)) {
		RUN("every order, data kept", smoke_every_order(pool));
		RUN("exhaustion and full recovery", smoke_exhaust(pool));
		RUN("bad input reported and refused", smoke_bad_input(pool));
		RUN("atomic context", smoke_atomic(pool));
		RUN("kmalloc family", smoke_kmalloc(pool));
		RUN("destroy with allocations refused", smoke_destroy_busy(pool));
		vbuddy_pool_destroy(pool);
	}
	RUN("duplicate name refused",
	    PTR_ERR(vbuddy_pool_create("default", 1)) == -EEXIST);
	RUN("empty pool refused", PTR_ERR(vbuddy_pool_create("x", 0)) == -EINVAL);
#undef RUN

	pr_info("%u passed, %u failed\n", passed, failed);
	return failed ? -EIO : 0;
}

static void demo_table(struct vbuddy_pool *pool, const char *when)
{
	unsigned long nr_free[VBUDDY_NR_ORDERS];
	char line[160];
	int len = 0;
	unsigned int order;

	vbuddy_pool_nr_free(pool, nr_free);
	for (order = 0; order <= VBUDDY_MAX_ORDER; order++)
		len += scnprintf(line + len, sizeof(line) - len, " %5lu", nr_free[order]);
	pr_info("%-28s%s  free pages %lu\n", when, line, vbuddy_pool_free_pages(pool));
}

static int demo_run(void)
{
	struct vbuddy_pool *pool = vbuddy_default_pool();
	struct page *blocks[VBUDDY_MAX_ORDER];
	char head[160];
	int len = 0;
	unsigned int order;

	pr_info("pool 'default': %lu pages; free blocks per order:\n",
		vbuddy_pool_nr_pages(pool));
	for (order = 0; order <= VBUDDY_MAX_ORDER; order++)
		len += scnprintf(head + len, sizeof(head) - len, " %5u", order);
	pr_info("%-28s%s\n", "order", head);
	demo_table(pool, "fresh");
	for (order = 0; order < VBUDDY_MAX_ORDER; order++)
		blocks[order] = vbuddy_alloc_pages(pool, GFP_KERNEL, order);
	demo_table(pool, "one block of orders 0-9");
	for (order = 0; order < VBUDDY_MAX_ORDER; order += 2)
		vbuddy_free_pages(pool, blocks[order], order);
	demo_table(pool, "even orders freed");
	for (order = 1; order < VBUDDY_MAX_ORDER; order += 2)
		vbuddy_free_pages(pool, blocks[order], order);
	demo_table(pool, "all freed, merged back");
	return vbuddy_pool_check(pool) ? -EIO : 0;
}

static int __init vbuddy_smoke_init(void)
{
	return demo ? demo_run() : smoke_run();
}
module_init(vbuddy_smoke_init);

static void __exit vbuddy_smoke_exit(void)
{
}
module_exit(vbuddy_smoke_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vbuddy smoke test and demo client");
