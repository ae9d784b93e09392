// SPDX-License-Identifier: GPL-2.0
/*
 * vbuddy_smoke: a small client of vbuddy.ko for a real kernel (the qemu
 * test run), where KUnit is not built. It exercises the API end to end and
 * prints one TAP-like line per check:
 *
 *   vbuddy_smoke: ok 3 - every order, data kept
 *   vbuddy_smoke: 7 passed, 0 failed
 *
 * and its init fails with -EIO if any check failed. It uses only vbuddy.h,
 * its test hooks included.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>

#include "vbuddy.h"
#include "vbuddy_lib.h"

MODULE_IMPORT_NS(VBUDDY_INTERNAL);

#define SMOKE_POOL_PAGES	2048

static bool smoke_check(bool ok, int line, const char *what)
{
	if (!ok)
		pr_err("check failed at line %d: %s\n", line, what);
	return ok;
}

#define CHECK(cond) smoke_check(cond, __LINE__, #cond)

/* The pool reported one more misuse, and said @why. */
static bool reported(struct vbuddy_pool *pool, unsigned long *count, const char *why)
{
	char text[VBUDDY_REPORT_LEN];

	vbuddy_pool_last_report(pool, text, sizeof(text));
	if (vbuddy_pool_event(pool, VBUDDY_EV_BAD_INPUT) != ++*count || !strstr(text, why)) {
		pr_err("expected report %lu \"%s\", last was \"%s\"\n", *count, why, text);
		return false;
	}
	return true;
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
	struct page *page, *again;

	if (!CHECK(pool))
		return false;
	if (!CHECK(vbuddy_pool_free_pages(pool) == vbuddy_pool_nr_pages(pool)))
		return false;
	/*
	 * __GFP_ZERO, proved on a page known to be dirty: the page just freed
	 * is the next one handed out (the CPU's cache is LIFO, and so is the
	 * buddy allocator's split and merge in an otherwise idle pool).
	 */
	migrate_disable();
	page = vbuddy_alloc_pages(pool, GFP_KERNEL, 0);
	if (page) {
		memset(page_address(page), 0xa5, PAGE_SIZE);
		vbuddy_free_pages(pool, page, 0);
	}
	again = vbuddy_alloc_pages(pool, GFP_KERNEL | __GFP_ZERO, 0);
	migrate_enable();
	if (!CHECK(page && again == page))
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

	/*
	 * 2047 of the pool's 2048 pages, largest first: they fit whatever
	 * the per-CPU lists take in batches, as a failing request drains them.
	 */
	for (order = VBUDDY_NR_ORDERS; order-- > 0;) {
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
	vbuddy_pool_drain(pool);
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
	vbuddy_pool_drain(pool);	/* the per-CPU lists hold some */
	vbuddy_pool_nr_free(pool, after);
	if (!CHECK(ok))
		return false;
	if (!CHECK(!memcmp(before, after, sizeof(before))))
		return false;
	return vbuddy_pool_check(pool) == 0;
}

static bool smoke_bad_input(struct vbuddy_pool *pool)
{
	unsigned long r = vbuddy_pool_event(pool, VBUDDY_EV_BAD_INPUT);
	struct page *page, *foreign;

	vbuddy_pool_expect_reports(pool, true);
	page = vbuddy_alloc_pages(pool, GFP_KERNEL, 2);
	if (!CHECK(page))
		return false;
	vbuddy_free_pages(pool, nth_page(page, 1), 2);
	if (!CHECK(reported(pool, &r, "not the first page of a block")))
		return false;
	vbuddy_free_pages(pool, page, 1);
	if (!CHECK(reported(pool, &r, "wrong order for this block")))
		return false;
	vbuddy_free_pages(pool, page, 2);
	vbuddy_free_pages(pool, page, 2);
	if (!CHECK(reported(pool, &r, "refused: double free")))
		return false;
	if (!CHECK(!vbuddy_alloc_pages(pool, GFP_KERNEL, VBUDDY_MAX_ORDER + 1)))
		return false;
	if (!CHECK(reported(pool, &r, "allocation of order 11 refused")))
		return false;
	foreign = alloc_page(GFP_KERNEL);
	if (!CHECK(foreign))
		return false;
	vbuddy_free_pages(pool, foreign, 0);
	__free_page(foreign);
	if (!CHECK(reported(pool, &r, "page not in this pool")))
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
	for (order = VBUDDY_NR_ORDERS; order-- > 0;) {	/* largest first, as above */
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
	unsigned long r = vbuddy_pool_event(pool, VBUDDY_EV_BAD_INPUT);
	u8 *p, *q;
	int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		/* Dirty an object, free it: the same one comes back, zeroed. */
		migrate_disable();
		q = vbuddy_pool_kmalloc(pool, sizes[i], GFP_KERNEL);
		if (q) {
			memset(q, 0xa5, vbuddy_ksize(q));
			vbuddy_kfree(q);
		}
		p = vbuddy_pool_kmalloc(pool, sizes[i], GFP_KERNEL | __GFP_ZERO);
		migrate_enable();
		if (!CHECK(p && p == q))
			return false;
		if (!CHECK(vbuddy_ksize(p) >= sizes[i]))
			return false;
		if (!CHECK(!memchr_inv(p, 0, vbuddy_ksize(p))))
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
	if (!CHECK(reported(pool, &r, "refused: double free, or never allocated")))
		return false;
	vbuddy_pool_drain(pool);	/* free objects on per-CPU lists hold pages */
	if (!CHECK(vbuddy_pool_free_pages(pool) == SMOKE_POOL_PAGES))
		return false;
	return vbuddy_pool_check(pool) == 0;
}

/* The checkerboard, the refusal, the fallback, the data, the recovery. */
static bool smoke_virtok(void)
{
	unsigned long fresh[VBUDDY_NR_ORDERS], now[VBUDDY_NR_ORDERS], n, i;
	struct vbuddy_pool *pool;
	struct page **held;
	size_t size = 16 * PAGE_SIZE;
	bool ok = true;
	int round;
	u8 *p;

	pool = vbuddy_pool_create("smoke-virtok", 512);
	if (!CHECK(!IS_ERR(pool)))
		return false;
	held = kvcalloc(512, sizeof(*held), GFP_KERNEL);
	vbuddy_pool_nr_free(pool, fresh);
	n = held ? vbuddy_pool_checkerboard(pool, held) : 0;
	ok &= CHECK(n == 256 && vbuddy_pool_free_pages(pool) == 256);
	ok &= CHECK(!vbuddy_pool_kmalloc(pool, size, GFP_KERNEL | __GFP_NOWARN));
	/* twice: the second range reuses pages, and maybe addresses, of the first */
	for (round = 0; ok && round < 2; round++) {
		p = vbuddy_pool_kmalloc(pool, size, GFP_KERNEL | GFP_VIRTOK);
		if (!CHECK(p && vbuddy_is_virtual(p))) {
			ok = false;
			break;
		}
		for (i = 0; i < size; i++)
			p[i] = vbuddy_lib_pattern(i);
		for (i = 0; i < size; i += PAGE_SIZE)	/* the right pages got it */
			ok &= CHECK(*(u8 *)page_address(vmalloc_to_page(p + i)) ==
				    vbuddy_lib_pattern(i));
		ok &= CHECK(vbuddy_lib_verify_elsewhere(p, size));
		vbuddy_kfree(p);
		vbuddy_pool_drain(pool);
	}
	vbuddy_lib_release(pool, held, n);
	kvfree(held);
	vbuddy_pool_drain(pool);
	vbuddy_pool_nr_free(pool, now);
	ok &= CHECK(!memcmp(fresh, now, sizeof(now)));
	ok &= CHECK(vbuddy_pool_check(pool) == 0);
	vbuddy_pool_destroy(pool);
	return ok;
}

static bool smoke_destroy_busy(struct vbuddy_pool *pool)
{
	unsigned long r = vbuddy_pool_event(pool, VBUDDY_EV_BAD_INPUT);
	struct page *page;

	page = vbuddy_alloc_pages(pool, GFP_KERNEL, 0);
	if (!CHECK(page))
		return false;
	vbuddy_pool_expect_reports(pool, true);
	vbuddy_pool_destroy(pool);			/* refused */
	vbuddy_pool_expect_reports(pool, false);
	if (!CHECK(reported(pool, &r, "destroy refused: 1 of 2048 pages still allocated")))
		return false;
	vbuddy_free_pages(pool, page, 0);
	return vbuddy_pool_check(pool) == 0;
}

static int smoke_run(void)
{
	struct vbuddy_lib_results r = {};
	struct vbuddy_pool *pool;

#define RUN(name, call)	vbuddy_lib_result(&r, call, name)

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
	RUN("GFP_VIRTOK on a checkerboard, read on another CPU", smoke_virtok());
	RUN("duplicate name refused",
	    PTR_ERR(vbuddy_pool_create("default", 1)) == -EEXIST);
	RUN("empty pool refused", PTR_ERR(vbuddy_pool_create("x", 0)) == -EINVAL);
#undef RUN
	return vbuddy_lib_summary(&r);
}

static int __init vbuddy_smoke_init(void)
{
	return smoke_run();
}
module_init(vbuddy_smoke_init);

static void __exit vbuddy_smoke_exit(void)
{
}
module_exit(vbuddy_smoke_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vbuddy smoke test for a real kernel");
