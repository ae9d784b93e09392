// SPDX-License-Identifier: GPL-2.0
/*
 * vbuddy_stress: every CPU hammers one shared pool for a while.
 *
 * One kthread per online CPU does random vbuddy_kmalloc(), vbuddy_krealloc(),
 * vbuddy_kfree(), vbuddy_alloc_pages()/vbuddy_free_pages() and GFP_VIRTOK
 * allocations, and movable blocks (vbuddy_alloc_movable()) that they map,
 * check and unmap now and then; a timer does GFP_ATOMIC ones from interrupt
 * context, and maps movable blocks there too; one more kthread compacts the
 * pool over and over, beside its background worker (proactiveness 100).
 * Every allocation is filled with a pattern derived from its address (a
 * movable block's: from its handle, since it moves) and checked before it
 * is freed; the pool's invariant checker runs every second on the live
 * pool. At the end it prints, in the smoke module's format:
 *
 *   vbuddy_stress: ok 1 - no corruption
 *   ...
 *   vbuddy_stress: 4 passed, 0 failed
 *
 * and its init fails with -EIO if any check failed.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/timer.h>

#include "vbuddy.h"
#include "vbuddy_lib.h"

MODULE_IMPORT_NS(VBUDDY_INTERNAL);

static unsigned int seconds = 30;
module_param(seconds, uint, 0444);
MODULE_PARM_DESC(seconds, "how long to run (default 30)");

static unsigned long stress_pages = 512;
module_param(stress_pages, ulong, 0444);
MODULE_PARM_DESC(stress_pages, "pages of the shared pool (default 512, small enough to fragment)");

#define LIVE	64	/* allocations each thread keeps */
#define IRQ_LIVE	16	/* allocations the timer keeps */

enum kind { K_NONE, K_KMALLOC, K_PAGES, K_VIRT, K_MOVABLE };

struct live {
	void *p;
	size_t size;
	unsigned int order;
	enum kind kind;
};

/* Counters, summed over all threads and the timer. */
static atomic_long_t ops, allocs, frees, kreallocs, virt_ok, nomem, corrupt, irq_ops;
static atomic_long_t movable_maps, compactions;
static atomic_t checks_failed;

static struct vbuddy_pool *pool;
static struct timer_list irq_timer;
static struct live irq_live[IRQ_LIVE];	/* only touched by the timer */
static bool stopping;

static u64 pattern_word(const void *base, size_t i)
{
	return (u64)(unsigned long)base * 0x9e3779b97f4a7c15ULL ^ (i * 0xff51afd7ed558ccdULL);
}

/*
 * Fill @n bytes at @p with the pattern of @base: word i is
 * pattern_word(@base, i), the tail a prefix of the next word, so that any
 * prefix of a filled object is itself a filled object (krealloc keeps one).
 */
static void fill(void *p, const void *base, size_t n)
{
	u64 *w = p, tail;
	size_t i;

	for (i = 0; i < n / 8; i++)
		w[i] = pattern_word(base, i);
	tail = pattern_word(base, n / 8);
	memcpy(w + n / 8, &tail, n % 8);
}

static bool verify(const void *p, const void *base, size_t n)
{
	const u64 *w = p;
	u64 tail;
	size_t i;

	for (i = 0; i < n / 8; i++)
		if (w[i] != pattern_word(base, i))
			return false;
	tail = pattern_word(base, n / 8);
	return !memcmp(w + n / 8, &tail, n % 8);
}

/* Where it is now; a movable block is mapped (pinned) until live_done(). */
static void *live_addr(struct live *l)
{
	if (l->kind == K_MOVABLE)
		return vbuddy_map_movable((unsigned long)l->p);
	return l->kind == K_PAGES ? page_address(l->p) : l->p;
}

static void live_done(struct live *l)
{
	if (l->kind == K_MOVABLE) {
		vbuddy_unmap_movable((unsigned long)l->p);
		atomic_long_inc(&movable_maps);
	}
}

/* What its pattern derives from: the address, or a movable block's handle. */
static void *live_base(struct live *l, void *addr)
{
	return l->kind == K_MOVABLE ? l->p : addr;
}

/* Check it through a map: the pattern is the one of its first fill. */
static bool live_check(struct live *l)
{
	void *addr = live_addr(l);
	bool ok = addr && verify(addr, live_base(l, addr), l->size);

	if (addr)
		live_done(l);
	if (!ok) {
		atomic_long_inc(&corrupt);
		pr_err("corruption in a %zu-byte allocation (kind %d)\n", l->size, l->kind);
	}
	return ok;
}

static void release(struct live *l)
{
	if (l->kind == K_NONE)
		return;
	live_check(l);
	if (l->kind == K_PAGES)
		vbuddy_free_pages(pool, l->p, l->order);
	else if (l->kind == K_MOVABLE)
		vbuddy_free_movable((unsigned long)l->p);
	else
		vbuddy_kfree(l->p);
	l->kind = K_NONE;
	atomic_long_inc(&frees);
}

/* A random size, log-uniform from 8 bytes to 16 KiB. */
static size_t random_size(void)
{
	return 8 + get_random_u32_below(8U << get_random_u32_below(12));
}

static void take(struct live *l, gfp_t gfp)
{
	u32 r = get_random_u32_below(100);
	void *addr;

	if (r < 15) {
		l->order = get_random_u32_below(4);
		l->size = PAGE_SIZE << l->order;
		l->p = vbuddy_alloc_pages(pool, gfp, l->order);
		l->kind = K_PAGES;
	} else if (r < 30) {
		l->size = (2 + get_random_u32_below(15)) * PAGE_SIZE;
		l->p = vbuddy_pool_kmalloc(pool, l->size, gfp | GFP_VIRTOK);
		l->kind = K_VIRT;
		if (l->p && vbuddy_is_virtual(l->p))
			atomic_long_inc(&virt_ok);
	} else if (r < 45) {
		l->order = get_random_u32_below(3);
		l->size = PAGE_SIZE << l->order;
		l->p = (void *)vbuddy_alloc_movable(pool, gfp, l->order);
		l->kind = K_MOVABLE;
	} else {
		l->size = random_size();
		l->p = vbuddy_pool_kmalloc(pool, l->size, gfp);
		l->kind = K_KMALLOC;
	}
	if (!l->p) {
		l->kind = K_NONE;
		atomic_long_inc(&nomem);
		return;
	}
	addr = live_addr(l);
	fill(addr, live_base(l, addr), l->size);
	live_done(l);
	atomic_long_inc(&allocs);
}

static void resize(struct live *l)
{
	size_t size = random_size();
	void *n;

	if (!verify(l->p, l->p, l->size)) {
		atomic_long_inc(&corrupt);
		pr_err("corruption in a %zu-byte object before krealloc\n", l->size);
	}
	n = vbuddy_krealloc(l->p, size, GFP_KERNEL | __GFP_NOWARN);
	if (!n) {
		atomic_long_inc(&nomem);
		return;
	}
	/* what was kept is still the old address's pattern */
	if (!verify(n, l->p, min(size, l->size))) {
		atomic_long_inc(&corrupt);
		pr_err("krealloc from %zu to %zu bytes lost data (%s)\n", l->size, size,
		       n == l->p ? "in place" : "moved");
	}
	l->p = n;
	l->size = size;
	fill(n, n, size);
	atomic_long_inc(&kreallocs);
}

static int stress_thread(void *arg)
{
	struct live *live = kcalloc(LIVE, sizeof(*live), GFP_KERNEL);
	unsigned long n = 0;
	unsigned int i;

	if (!live)
		return -ENOMEM;
	while (!kthread_should_stop()) {
		struct live *l = &live[get_random_u32_below(LIVE)];

		if (l->kind == K_NONE)
			take(l, GFP_KERNEL | __GFP_NOWARN);
		else if (l->kind == K_KMALLOC && get_random_u32_below(4) == 0)
			resize(l);
		else if (l->kind == K_MOVABLE && get_random_u32_below(2) == 0)
			live_check(l);		/* mapped while compaction runs */
		else
			release(l);
		atomic_long_inc(&ops);
		if (!(++n % 64))
			cond_resched();
	}
	for (i = 0; i < LIVE; i++)
		release(&live[i]);
	kfree(live);
	return 0;
}

static void irq_fn(struct timer_list *t)
{
	struct live *l = &irq_live[get_random_u32_below(IRQ_LIVE)];

	if (l->kind == K_NONE)
		take(l, GFP_ATOMIC | __GFP_NOWARN);
	else if (l->kind == K_MOVABLE && get_random_u32_below(2) == 0)
		live_check(l);
	else
		release(l);
	atomic_long_inc(&irq_ops);
	if (!READ_ONCE(stopping))
		mod_timer(&irq_timer, jiffies + 1);
}

/* Compaction, over and over, to every order in turn. */
static int compact_thread(void *arg)
{
	unsigned int order = 0;

	while (!kthread_should_stop()) {
		vbuddy_pool_compact(pool, 1 + order++ % VBUDDY_MAX_ORDER);
		atomic_long_inc(&compactions);
		usleep_range(500, 1000);
	}
	return 0;
}

static int __init vbuddy_stress_init(void)
{
	unsigned int cpu, nthreads = 0, s, i;
	struct vbuddy_lib_results r = {};
	struct task_struct **threads, *compactor;
	unsigned long bad_input;

	threads = kcalloc(nr_cpu_ids, sizeof(*threads), GFP_KERNEL);
	pool = vbuddy_pool_create("stress", stress_pages);
	if (!threads || IS_ERR(pool)) {
		kfree(threads);
		return IS_ERR(pool) ? PTR_ERR(pool) : -ENOMEM;
	}
	vbuddy_compact_set_proactiveness(pool, 100);
	compactor = kthread_run(compact_thread, NULL, "vbuddy-compact");
	for_each_online_cpu(cpu) {
		threads[cpu] = kthread_create_on_cpu(stress_thread, NULL, cpu, "vbuddy-stress/%u");
		if (!IS_ERR(threads[cpu])) {
			wake_up_process(threads[cpu]);
			nthreads++;
		}
	}
	timer_setup(&irq_timer, irq_fn, 0);
	mod_timer(&irq_timer, jiffies + 1);

	for (s = 0; s < seconds; s++) {
		msleep(1000);
		if (vbuddy_pool_check(pool))
			atomic_inc(&checks_failed);
	}

	WRITE_ONCE(stopping, true);
	timer_delete_sync(&irq_timer);
	if (!IS_ERR(compactor))
		kthread_stop(compactor);
	for_each_online_cpu(cpu)
		if (!IS_ERR_OR_NULL(threads[cpu]))
			kthread_stop(threads[cpu]);
	for (i = 0; i < IRQ_LIVE; i++)
		release(&irq_live[i]);
	vbuddy_pool_drain(pool);
	bad_input = vbuddy_pool_event(pool, VBUDDY_EV_BAD_INPUT);

	pr_info("%u threads and a timer for %u s: %ld ops (%ld allocs, %ld frees, %ld kreallocs, %ld GFP_VIRTOK ranges), %ld from interrupt context\n",
		nthreads, seconds, atomic_long_read(&ops) + atomic_long_read(&irq_ops),
		atomic_long_read(&allocs), atomic_long_read(&frees),
		atomic_long_read(&kreallocs), atomic_long_read(&virt_ok),
		atomic_long_read(&irq_ops));
	pr_info("refused: %ld for no memory; GFP_VIRTOK refused: no_pages %lu no_slot %lu atomic %lu map_failed %lu\n",
		atomic_long_read(&nomem), vbuddy_pool_event(pool, VBUDDY_EV_VIRT_NO_PAGES),
		vbuddy_pool_event(pool, VBUDDY_EV_VIRT_NO_SLOT),
		vbuddy_pool_event(pool, VBUDDY_EV_VIRT_ATOMIC),
		vbuddy_pool_event(pool, VBUDDY_EV_VIRT_MAP_FAILED));
	pr_info("movable: %ld maps; compaction: %ld runs asked, %lu direct, %lu proactive, %lu blocks moved, %lu pinned skips\n",
		atomic_long_read(&movable_maps), atomic_long_read(&compactions),
		vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_DIRECT),
		vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_PROACTIVE),
		vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_MOVED),
		vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_PINNED));

#define RESULT(name, cond)	vbuddy_lib_result(&r, cond, name)

	RESULT("no corruption", atomic_long_read(&corrupt) == 0);
	RESULT("invariants held on the live pool", atomic_read(&checks_failed) == 0);
	RESULT("pool recovered", vbuddy_pool_free_pages(pool) == stress_pages &&
	       vbuddy_pool_check(pool) == 0);
	RESULT("interrupt-context and GFP_VIRTOK operations ran",
	       atomic_long_read(&irq_ops) > 0 && atomic_long_read(&virt_ok) > 0);
	RESULT("movable blocks moved while mapped and freed around them",
	       vbuddy_pool_event(pool, VBUDDY_EV_COMPACT_MOVED) > 0 &&
	       atomic_long_read(&movable_maps) > 0);
	RESULT("no misuse reported", bad_input == 0);
#undef RESULT
	vbuddy_pool_destroy(pool);
	kfree(threads);
	return vbuddy_lib_summary(&r);
}
module_init(vbuddy_stress_init);

static void __exit vbuddy_stress_exit(void)
{
}
module_exit(vbuddy_stress_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vbuddy SMP stress test");
