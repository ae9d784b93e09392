// SPDX-License-Identifier: GPL-2.0
/*
 * vbuddy_bench: vbuddy against the kernel's own allocators, in one run.
 *
 * The model is lib/test_vmalloc.c: parameters, run_test_mask, one kthread
 * per CPU, result lines in the kernel log, and the module does not stay
 * loaded (its init returns -EAGAIN once done). For each case both sides run
 * the same loop on the same CPUs, @rounds times taking turns, and a line
 * gives the median nanoseconds per operation of each side, the median of
 * the rounds' ratios and their range (min-max):
 *
 *   vbuddy_bench: <case> threads=<n> vbuddy=<ns> kernel=<ns> ratio=<r> range=<min>-<max>
 *
 * except case 6, which measures throughput (MB: 10^6 bytes), the ratio
 * being vbuddy's MB/s over memcpy()'s (above 1: vbuddy is faster):
 *
 *   vbuddy_bench: <case> pages=<n> runs=<n> vbuddy_mbps=<x> memcpy_mbps=<y> ratio=<r>
 *
 * Cases (bit of run_test_mask):
 *   0  alloc+free pairs, orders 0-4: vbuddy_alloc_pages vs alloc_pages
 *   1  allocate N then free N, orders 0 and 3; and N order-0 pages at once,
 *      vbuddy_alloc_pages_bulk() vs alloc_pages_bulk_array() (then each
 *      freed)
 *   2  kmalloc-like, fixed sizes 8..4096 and random sizes: vs kmalloc
 *   3  GFP_VIRTOK fallback on a checkerboard pool, orders 2 and 4: vs
 *      vmalloc and kvmalloc of the same size (the unmap is counted), the
 *      range mapped with vmap(), then (_map_ram) with vm_map_ram(); then
 *      (_keep) with freed ranges kept mapped (virtok_keep=4), so that each
 *      free and request again reuses one: what a caller that frees and
 *      asks again pays
 *   4  cases 0 (order 0) and 2 (64 bytes) with every CPU at once, in
 *      rounds as the others, the scaling from the medians
 *   5  where a pair's time goes: a spinlock taken and dropped (irqsave,
 *      as the pool and per-CPU locks are), interrupts masked and unmasked,
 *      two atomic bit operations, the page-to-pool lookup every
 *      vbuddy_kfree() starts with (vbuddy_page_pool(), a test hook), and
 *      an order-5 pair, which bypasses the per-CPU caches: the pool lock
 *      and the buddy core's split and merge; and the two halves of a
 *      kmalloc(64) pair apart, allocations and frees in batches, beside
 *      SLUB's, and the bulk case's allocation apart from its frees
 *   6  compaction throughput: a pool of its own is filled with movable
 *      order-0 blocks (each written), three of every four are freed
 *      (proactiveness 0: no background worker), and the pages moved are
 *      timed against memcpy() of as many pages, page to page, between
 *      pages of the kernel written as long before (the fill of the next
 *      round evicts both from the caches). compact_order10: one
 *      vbuddy_pool_compact(VBUDDY_MAX_ORDER); compact_order4_all: order-4
 *      runs until -ENOSPC, each block it frees taken (untimed) so that
 *      the next run has work, which compacts the whole pool. Pages moved
 *      come from the pool's counter (VBUDDY_EV_COMPACT_PAGES). Then the
 *      time of a run that finds a free block at once (its fixed cost)
 *
 * Where: a UML kernel without debugging (make bench). Under qemu/TCG every
 * instruction is emulated and Debian zeroes every page it allocates, so
 * times there are not a measure. Uses only vbuddy.h, its test hooks
 * included.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>

#include "vbuddy.h"

MODULE_IMPORT_NS(VBUDDY_INTERNAL);

static unsigned int run_test_mask = ~0U;
module_param(run_test_mask, uint, 0444);
MODULE_PARM_DESC(run_test_mask, "cases to run, a bit each (default all)");

static unsigned int iterations = 100000;
module_param(iterations, uint, 0444);
MODULE_PARM_DESC(iterations, "loop count per case (the fallback runs 1/100 of it)");

static unsigned int nr_threads;
module_param(nr_threads, uint, 0444);
MODULE_PARM_DESC(nr_threads, "threads for case 4 (default: every online CPU)");

static unsigned int rounds = 5;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "rounds per case and side, taken in turns; the median is reported (default 5, at most 15)");

#define BATCH	256
#define VIRT_KEEP	4	/* ranges kept in the _keep cases */
#define ROUNDS_MAX	15

enum bench_kind { B_PAGES, B_KMALLOC, B_VIRT, B_BULK };

struct bench {
	const char *name;
	enum bench_kind kind;
	unsigned int order;	/* B_PAGES, B_VIRT */
	size_t size;		/* B_KMALLOC; 0 = random 8..4096 */
	bool batch;		/* allocate BATCH then free BATCH */
	bool ram;		/* B_VIRT: map with vm_map_ram() */
	bool keep;		/* B_VIRT: freed ranges kept mapped (virtok_keep) */
};

static const char *const kernel_side[] = {
	[B_PAGES] = "alloc_pages", [B_KMALLOC] = "kmalloc", [B_VIRT] = "vmalloc",
	[B_BULK] = "alloc_pages_bulk",
};

static struct vbuddy_pool *pool;
static size_t *random_sizes;	/* the same sequence for both sides */

/* BATCH order-0 pages in one bulk allocation into @pages; how many came. */
static unsigned long bulk_alloc(bool kernel, struct page **pages)
{
	memset(pages, 0, BATCH * sizeof(*pages));
	return kernel ? alloc_pages_bulk_array(GFP_KERNEL, BATCH, pages) :
		vbuddy_alloc_pages_bulk(pool, GFP_KERNEL, BATCH, pages);
}

/* The @n pages bulk_alloc() gave, freed one by one. */
static void bulk_free(bool kernel, struct page **pages, unsigned long n)
{
	unsigned long j;

	for (j = 0; j < n; j++) {
		if (kernel)
			__free_pages(pages[j], 0);
		else
			vbuddy_free_pages(pool, pages[j], 0);
	}
}

/* One side of a case, @n operations; returns nanoseconds. */
static u64 run_side(const struct bench *b, bool kernel, unsigned int n)
{
	void **objs = kmalloc_array(BATCH, sizeof(*objs), GFP_KERNEL);
	struct page **pages = (struct page **)objs;
	unsigned int i, j;
	u64 t0;

	if (!objs)
		return 0;
	if (b->kind == B_VIRT) {
		vbuddy_pool_set_map_ram(pool, b->ram ? BITS_PER_LONG : 0);
		vbuddy_pool_set_window_keep(pool, b->keep ? VIRT_KEEP : 0);
	}
	t0 = ktime_get_ns();
	for (i = 0; i < n; i += b->batch ? BATCH : 1) {
		unsigned int m = b->batch ? BATCH : 1;

		if (b->kind == B_BULK) {
			bulk_free(kernel, pages, bulk_alloc(kernel, pages));
			continue;
		}
		if (b->kind == B_VIRT) {
			size_t size = PAGE_SIZE << b->order;

			const gfp_t gfp = GFP_KERNEL | GFP_VIRTOK;

			if (kernel) {
				vfree(vmalloc(size));
			} else {
				vbuddy_kfree(vbuddy_pool_kmalloc(pool, size, gfp));
				if (!b->keep)
					vbuddy_pool_drain(pool);
			}
			continue;
		}
		if (b->kind == B_KMALLOC) {
			for (j = 0; j < m; j++) {
				size_t size = b->size ?: random_sizes[(i + j) % BATCH];

				objs[j] = kernel ? kmalloc(size, GFP_KERNEL) :
					vbuddy_kmalloc(size, GFP_KERNEL);
			}
			for (j = 0; j < m; j++) {
				if (kernel)
					kfree(objs[j]);
				else
					vbuddy_kfree(objs[j]);
			}
			continue;
		}
		for (j = 0; j < m; j++)
			pages[j] = kernel ? alloc_pages(GFP_KERNEL, b->order) :
				vbuddy_alloc_pages(pool, GFP_KERNEL, b->order);
		for (j = 0; j < m; j++) {
			if (!pages[j])
				continue;
			if (kernel)
				__free_pages(pages[j], b->order);
			else
				vbuddy_free_pages(pool, pages[j], b->order);
		}
	}
	t0 = ktime_get_ns() - t0;
	if (b->kind == B_VIRT && !kernel) {
		vbuddy_pool_set_window_keep(pool, 0);
		vbuddy_pool_drain(pool);	/* what was kept, untimed */
	}
	kfree(objs);
	return t0;
}

/* A ratio in hundredths: @a over @b. */
static u64 ratio100(u64 a, u64 b)
{
	return b ? div64_u64(a * 100, b) : 0;
}

/*
 * The line of a case: each side's time per operation, their ratio, and
 * the range of the rounds' ratios in hundredths (@rmin, @rmax).
 */
static void report(const struct bench *b, unsigned int threads, unsigned int n,
		   u64 ns_vbuddy, u64 ns_kernel, const char *kernel_name, u64 rmin, u64 rmax)
{
	u64 v = div_u64(ns_vbuddy, n), k = div_u64(ns_kernel, n);
	u64 r100 = ratio100(ns_vbuddy, ns_kernel);

	pr_info("%s threads=%u vbuddy=%llu %s=%llu ratio=%llu.%02llu range=%llu.%02llu-%llu.%02llu\n",
		b->name, threads, v, kernel_name, k, r100 / 100, r100 % 100,
		rmin / 100, rmin % 100, rmax / 100, rmax % 100);
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* The median of @n values, which it sorts. */
static u64 median(u64 *val, unsigned int n)
{
	sort(val, n, sizeof(*val), cmp_u64, NULL);
	return n % 2 ? val[n / 2] : (val[n / 2 - 1] + val[n / 2]) / 2;
}

/*
 * @rounds rounds of both sides of @b, timed by @time (run_side() with
 * @arg operations, or run_parallel() on @arg threads), the sides taking
 * turns so that the host's noise hits both alike: each side's median in
 * @v and @k, the range of the rounds' ratios in hundredths in @rmin and
 * @rmax.
 */
static void run_rounds(const struct bench *b, u64 (*time)(const struct bench *b, bool kernel,
							  unsigned int arg),
		       unsigned int arg, u64 *v, u64 *k, u64 *rmin, u64 *rmax)
{
	u64 vr[ROUNDS_MAX], kr[ROUNDS_MAX], r[ROUNDS_MAX];
	unsigned int i, nr = clamp(rounds, 1U, (unsigned int)ROUNDS_MAX);

	for (i = 0; i < nr; i++) {
		vr[i] = time(b, false, arg);
		kr[i] = time(b, true, arg);
		r[i] = ratio100(vr[i], kr[i]);
	}
	*v = median(vr, nr);
	*k = median(kr, nr);
	median(r, nr);		/* sorted: r[0] and r[nr - 1] are the range */
	*rmin = r[0];
	*rmax = r[nr - 1];
}

static void run_case(const struct bench *b)
{
	unsigned int n = b->kind == B_VIRT ? max(iterations / 100, 1U) : iterations;
	u64 v, k, rmin, rmax;

	run_side(b, false, n / 10 ?: 1);	/* warm up */
	run_side(b, true, n / 10 ?: 1);
	run_rounds(b, run_side, n, &v, &k, &rmin, &rmax);
	report(b, 1, n, v, k, kernel_side[b->kind], rmin, rmax);
}

/* The fallback also against kvmalloc, which tries kmalloc first. */
static void run_virt_kvmalloc(const struct bench *b)
{
	unsigned int n = max(iterations / 100, 1U), i;
	size_t size = PAGE_SIZE << b->order;
	u64 t0, v, k;

	v = run_side(b, false, n);
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++)
		kvfree(kvmalloc(size, GFP_KERNEL));
	k = ktime_get_ns() - t0;
	report(b, 1, n, v, k, "kvmalloc", ratio100(v, k), ratio100(v, k));
}

struct par {
	const struct bench *b;
	bool kernel;
	u64 ns;
	struct completion *start;
	struct completion done;
};

static int par_fn(void *arg)
{
	struct par *p = arg;

	wait_for_completion(p->start);
	p->ns = run_side(p->b, p->kernel, iterations);
	complete(&p->done);
	return 0;
}

/* @b on @threads CPUs at once; the mean time per operation per thread. */
static u64 run_parallel(const struct bench *b, bool kernel, unsigned int threads)
{
	DECLARE_COMPLETION_ONSTACK(start);
	struct par *p = kcalloc(threads, sizeof(*p), GFP_KERNEL);
	unsigned int i;
	u64 sum = 0;

	if (!p)
		return 0;
	for (i = 0; i < threads; i++) {
		struct task_struct *t;

		p[i] = (struct par){ .b = b, .kernel = kernel, .start = &start };
		init_completion(&p[i].done);
		t = kthread_create(par_fn, &p[i], "vbuddy-bench/%u", i);
		if (IS_ERR(t)) {
			complete(&p[i].done);
			continue;
		}
		kthread_bind(t, cpumask_nth(i % num_online_cpus(), cpu_online_mask));
		wake_up_process(t);
	}
	complete_all(&start);
	for (i = 0; i < threads; i++) {
		wait_for_completion(&p[i].done);
		sum += p[i].ns;
	}
	kfree(p);
	return div_u64(sum, threads);
}

/*
 * Case 4: @b on 1, 2, 4... @threads CPUs at once, @rounds times taking
 * turns as run_case() does, and how each side's throughput scales from the
 * medians: t threads' operations per second over one thread's,
 * t * ns(1) / ns(t) (t would be perfect), vbuddy's beside the kernel's:
 *
 *   vbuddy_bench: scaling <case> threads=<t> vbuddy=<x> kernel=<y>
 */
static void run_scaling(const struct bench *b, unsigned int threads, const char *kernel_name)
{
	u64 v1 = 0, k1 = 0, v, k, sv, sk, rmin, rmax;
	unsigned int t;

	for (t = 1; t <= threads; t *= 2) {
		run_rounds(b, run_parallel, t, &v, &k, &rmin, &rmax);
		report(b, t, iterations, v, k, kernel_name, rmin, rmax);
		if (t == 1) {
			v1 = v;
			k1 = k;
			continue;
		}
		sv = ratio100(t * v1, v);
		sk = ratio100(t * k1, k);
		pr_info("scaling %s threads=%u vbuddy=%llu.%02llu %s=%llu.%02llu\n", b->name, t,
			sv / 100, sv % 100, kernel_name, sk / 100, sk % 100);
	}
}

static const struct bench pair_cases[] = {
	{ "pages_pair_order0", B_PAGES, 0 }, { "pages_pair_order1", B_PAGES, 1 },
	{ "pages_pair_order2", B_PAGES, 2 }, { "pages_pair_order3", B_PAGES, 3 },
	{ "pages_pair_order4", B_PAGES, 4 },
};

static const struct bench batch_cases[] = {
	{ "pages_batch_order0", B_PAGES, 0, 0, true },
	{ "pages_batch_order3", B_PAGES, 3, 0, true },
	{ "pages_bulk_order0", B_BULK, 0, 0, true },
};

static const struct bench kmalloc_cases[] = {
	{ "kmalloc_8", B_KMALLOC, 0, 8 }, { "kmalloc_64", B_KMALLOC, 0, 64 },
	{ "kmalloc_96", B_KMALLOC, 0, 96 }, { "kmalloc_256", B_KMALLOC, 0, 256 },
	{ "kmalloc_1024", B_KMALLOC, 0, 1024 }, { "kmalloc_4096", B_KMALLOC, 0, 4096 },
	{ "kmalloc_random", B_KMALLOC, 0, 0 },
};

static const struct bench virt_cases[] = {
	{ "virtok_order2", B_VIRT, 2 }, { "virtok_order4", B_VIRT, 4 },
	{ "virtok_order2_map_ram", B_VIRT, 2, .ram = true },
	{ "virtok_order4_map_ram", B_VIRT, 4, .ram = true },
	{ "virtok_order2_keep", B_VIRT, 2, .keep = true },
	{ "virtok_order4_keep", B_VIRT, 4, .keep = true },
};

/* Time @stmt, run @iterations times: nanoseconds per run. */
#define TIME_EACH(stmt) ({						\
	unsigned long __i;						\
	u64 __t0 = ktime_get_ns();					\
									\
	for (__i = 0; __i < iterations; __i++) {			\
		stmt;							\
	}								\
	div_u64(ktime_get_ns() - __t0, iterations);			\
})

/*
 * Case 5: the parts of a pair, timed alone: the locks and atomics the paths
 * take, the page-to-pool lookup that vbuddy_kfree() starts with, for the
 * default pool and for another pool, and an uncached pair for scale.
 */
/*
 * The two halves of a kmalloc(@size) pair, apart: BATCH allocations timed,
 * then their frees timed, over @iterations objects; ns per allocation and
 * per free in @alloc and @free.
 */
static void time_halves(size_t size, bool kernel, u64 *alloc, u64 *free)
{
	void **objs = kmalloc_array(BATCH, sizeof(*objs), GFP_KERNEL);
	unsigned int i, j;
	u64 t0, ta = 0, tf = 0;

	if (!objs)
		return;
	for (i = 0; i < iterations; i += BATCH) {
		t0 = ktime_get_ns();
		for (j = 0; j < BATCH; j++)
			objs[j] = kernel ? kmalloc(size, GFP_KERNEL) :
				vbuddy_kmalloc(size, GFP_KERNEL);
		ta += ktime_get_ns() - t0;
		t0 = ktime_get_ns();
		for (j = 0; j < BATCH; j++) {
			if (kernel)
				kfree(objs[j]);
			else
				vbuddy_kfree(objs[j]);
		}
		tf += ktime_get_ns() - t0;
	}
	kfree(objs);
	*alloc = div_u64(ta, round_up(iterations, BATCH));
	*free = div_u64(tf, round_up(iterations, BATCH));
}

/*
 * The two halves of the bulk case apart: BATCH order-0 pages in one bulk
 * allocation, timed, then freed one by one, timed; ns per page.
 */
static void time_bulk_halves(bool kernel, u64 *alloc, u64 *free)
{
	struct page **pages = kcalloc(BATCH, sizeof(*pages), GFP_KERNEL);
	u64 t0, ta = 0, tf = 0, total = 0;
	unsigned long n;
	unsigned int i;

	if (!pages)
		return;
	for (i = 0; i < iterations; i += BATCH) {
		t0 = ktime_get_ns();
		n = bulk_alloc(kernel, pages);
		ta += ktime_get_ns() - t0;
		t0 = ktime_get_ns();
		bulk_free(kernel, pages, n);
		tf += ktime_get_ns() - t0;
		total += n;
	}
	kfree(pages);
	*alloc = total ? div64_u64(ta, total) : 0;
	*free = total ? div64_u64(tf, total) : 0;
}

static void run_components(void)
{
	struct page *page, *dpage, *big;
	unsigned long flags, word = 0;
	u64 lock, irq, bits, lookup, dlookup, uncached, va = 0, vf = 0, ka = 0, kf = 0;
	static DEFINE_SPINLOCK(lock_alone);

	page = vbuddy_alloc_pages(pool, GFP_KERNEL, 0);
	dpage = vbuddy_alloc_pages(vbuddy_default_pool(), GFP_KERNEL, 0);
	if (!page || !dpage)
		goto out;

	lock = TIME_EACH(spin_lock_irqsave(&lock_alone, flags);
			 spin_unlock_irqrestore(&lock_alone, flags));
	irq = TIME_EACH(local_irq_save(flags); local_irq_restore(flags));
	bits = TIME_EACH(test_and_set_bit(3, &word); test_and_clear_bit(3, &word));
	dlookup = TIME_EACH(vbuddy_page_pool(dpage));
	lookup = TIME_EACH(vbuddy_page_pool(page));
	uncached = TIME_EACH(big = vbuddy_alloc_pages(pool, GFP_KERNEL, 5);
			     vbuddy_free_pages(pool, big, 5));

	pr_info("parts, ns: spinlock lock+unlock(irqsave) %llu, local_irq_save+restore %llu, test_and_set_bit+test_and_clear_bit %llu, page-to-pool default pool %llu, other pool %llu; uncached order-5 pair %llu\n",
		lock, irq, bits, dlookup, lookup, uncached);
	time_halves(64, false, &va, &vf);
	time_halves(64, true, &ka, &kf);
	pr_info("parts, ns: kmalloc(64) %llu and kfree %llu in batches of %u; SLUB's %llu and %llu\n",
		va, vf, BATCH, ka, kf);
	time_bulk_halves(false, &va, &vf);
	time_bulk_halves(true, &ka, &kf);
	pr_info("parts, ns: bulk allocation of %u pages %llu a page, their frees %llu; the kernel's %llu and %llu\n",
		BATCH, va, vf, ka, kf);
out:
	vbuddy_free_pages(vbuddy_default_pool(), dpage, 0);
	vbuddy_free_pages(pool, page, 0);
}

/* Case 6: a pool of its own, 16 MiB as the bench pool. */
#define COMPACT_POOL_PAGES	4096

struct compact_bench {
	struct vbuddy_pool *pool;
	unsigned long *handles;		/* the movable blocks kept */
	unsigned long nr_handles;
	struct page **held;		/* order-4 blocks compact_order4_all freed */
	unsigned long nr_held;
	struct page **src, **dst;	/* memcpy()'s pages: COMPACT_POOL_PAGES each */
	unsigned long nr_copy;		/* pages in each of src and dst */
};

static void compact_release(struct compact_bench *cb)
{
	while (cb->nr_held)
		vbuddy_free_pages(cb->pool, cb->held[--cb->nr_held], 4);
	while (cb->nr_handles)
		vbuddy_free_movable(cb->handles[--cb->nr_handles]);
	vbuddy_pool_drain(cb->pool);
}

/*
 * Fill the pool with movable order-0 blocks, each written, and free three
 * of every four: no free block above order 1 is left. Returns the blocks
 * kept.
 */
static unsigned long compact_fragment(struct compact_bench *cb)
{
	unsigned long want = vbuddy_pool_free_pages(cb->pool), i, h, kept = 0;
	void *p;

	while (cb->nr_handles < want &&
	       (h = vbuddy_alloc_movable(cb->pool, GFP_KERNEL | __GFP_NOWARN, 0))) {
		p = vbuddy_map_movable(h);
		if (p)
			memset(p, cb->nr_handles & 0xff, PAGE_SIZE);
		vbuddy_unmap_movable(h);
		cb->handles[cb->nr_handles++] = h;
	}
	for (i = 0; i < cb->nr_handles; i++) {
		if (i % 4)
			vbuddy_free_movable(cb->handles[i]);
		else
			cb->handles[kept++] = cb->handles[i];
	}
	cb->nr_handles = kept;
	return kept;
}

/* Kept blocks whose first and last bytes lost their fill: 0 if intact. */
static unsigned long compact_broken(struct compact_bench *cb)
{
	unsigned long i, broken = 0;
	u8 *p;

	for (i = 0; i < cb->nr_handles; i++) {
		p = vbuddy_map_movable(cb->handles[i]);
		/* kept block i was allocated 4 * i-th */
		broken += !p || p[0] != ((4 * i) & 0xff) || p[PAGE_SIZE - 1] != ((4 * i) & 0xff);
		if (p)
			vbuddy_unmap_movable(cb->handles[i]);
	}
	return broken;
}

/* One compaction of a fragmented pool: nanoseconds; *@pages moved, *@runs. */
static u64 compact_time(struct compact_bench *cb, bool all4, unsigned long *pages,
			unsigned long *runs)
{
	unsigned long before = vbuddy_pool_event(cb->pool, VBUDDY_EV_COMPACT_PAGES);
	unsigned long runs0 = vbuddy_pool_event(cb->pool, VBUDDY_EV_COMPACT_RUN);
	struct page *page;
	u64 ns = 0, t0;
	int ret;

	if (!all4) {
		t0 = ktime_get_ns();
		vbuddy_pool_compact(cb->pool, VBUDDY_MAX_ORDER);
		ns = ktime_get_ns() - t0;
	} else {
		do {
			t0 = ktime_get_ns();
			ret = vbuddy_pool_compact(cb->pool, 4);
			ns += ktime_get_ns() - t0;
			/* GFP_NOWAIT: no direct compaction of its own */
			page = ret ? NULL : vbuddy_alloc_pages(cb->pool,
							       GFP_NOWAIT | __GFP_NOWARN, 4);
			if (page)
				cb->held[cb->nr_held++] = page;
		} while (page && cb->nr_held < COMPACT_POOL_PAGES / 16);
	}
	*pages = vbuddy_pool_event(cb->pool, VBUDDY_EV_COMPACT_PAGES) - before;
	*runs = vbuddy_pool_event(cb->pool, VBUDDY_EV_COMPACT_RUN) - runs0;
	return ns;
}

/* memcpy() of @n pages, page to page: nanoseconds. */
static u64 memcpy_time(struct compact_bench *cb, unsigned long n)
{
	unsigned long i;
	u64 t0;

	n = min(n, cb->nr_copy);
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++)
		memcpy(page_address(cb->dst[i]), page_address(cb->src[i]), PAGE_SIZE);
	return ktime_get_ns() - t0;
}

/* MB/s (10^6 bytes) of @pages pages in @ns nanoseconds. */
static u64 mbps(unsigned long pages, u64 ns)
{
	return ns ? div64_u64((u64)pages * PAGE_SIZE * 1000, ns) : 0;
}

static void run_compact_case(struct compact_bench *cb, const char *name, bool all4)
{
	u64 v = 0, k = 0, r100;
	unsigned long pages = 0, runs = 0, broken = 0, r;

	/* The best of the rounds (throughput: noise only lowers it); the first warms up. */
	for (r = 0; r <= clamp(rounds, 1U, (unsigned int)ROUNDS_MAX); r++) {
		u64 ns;

		compact_release(cb);
		compact_fragment(cb);
		ns = compact_time(cb, all4, &pages, &runs);
		broken += compact_broken(cb);
		if (!pages)
			break;
		if (r) {
			v = max(v, mbps(pages, ns));
			k = max(k, mbps(min(pages, cb->nr_copy), memcpy_time(cb, pages)));
		} else {
			memcpy_time(cb, pages);
		}
	}
	compact_release(cb);
	if (broken)
		pr_warn("%s: %lu moved blocks lost their data\n", name, broken);
	r100 = k ? div64_u64(v * 100, k) : 0;
	pr_info("%s pages=%lu runs=%lu vbuddy_mbps=%llu memcpy_mbps=%llu ratio=%llu.%02llu\n",
		name, pages, runs, v, k, r100 / 100, r100 % 100);
}

/* Case 6: compaction throughput against memcpy(), in the same run. */
static void run_compaction(void)
{
	struct compact_bench cb = {};
	unsigned long i;

	cb.pool = vbuddy_pool_create("bench-compact", COMPACT_POOL_PAGES);
	if (IS_ERR(cb.pool)) {
		pr_warn("compaction: no pool (%ld)\n", PTR_ERR(cb.pool));
		return;
	}
	vbuddy_compact_set_proactiveness(cb.pool, 0);
	cb.handles = kvcalloc(COMPACT_POOL_PAGES, sizeof(*cb.handles), GFP_KERNEL);
	cb.held = kvcalloc(COMPACT_POOL_PAGES / 16, sizeof(*cb.held), GFP_KERNEL);
	cb.src = kvcalloc(COMPACT_POOL_PAGES, sizeof(*cb.src), GFP_KERNEL);
	cb.dst = kvcalloc(COMPACT_POOL_PAGES, sizeof(*cb.dst), GFP_KERNEL);
	if (!cb.handles || !cb.held || !cb.src || !cb.dst)
		goto out;
	/* As many pages as the pool could move: a quarter of it is kept. */
	for (i = 0; i < COMPACT_POOL_PAGES / 4; i++) {
		cb.src[i] = alloc_page(GFP_KERNEL);
		cb.dst[i] = alloc_page(GFP_KERNEL);
		if (!cb.src[i] || !cb.dst[i])
			break;
		memset(page_address(cb.src[i]), i & 0xff, PAGE_SIZE);
		memset(page_address(cb.dst[i]), 0, PAGE_SIZE);
	}
	cb.nr_copy = i;
	run_compact_case(&cb, "compact_order10", false);
	run_compact_case(&cb, "compact_order4_all", true);
	/* What a run costs that finds its block free at once: the floor per run. */
	pr_info("compaction parts, ns: a run with nothing to move %llu\n",
		TIME_EACH(vbuddy_pool_compact(cb.pool, 4)));
out:
	for (i = 0; i < COMPACT_POOL_PAGES / 4 && cb.src && cb.dst; i++) {
		if (cb.src[i])
			__free_page(cb.src[i]);
		if (cb.dst[i])
			__free_page(cb.dst[i]);
	}
	kvfree(cb.dst);
	kvfree(cb.src);
	kvfree(cb.held);
	kvfree(cb.handles);
	vbuddy_pool_destroy(cb.pool);
}

static int __init vbuddy_bench_init(void)
{
	unsigned int i, threads = nr_threads ?: num_online_cpus();
	struct page **held;
	unsigned long n;

	pool = vbuddy_pool_create("bench", 4096);
	random_sizes = kcalloc(BATCH, sizeof(*random_sizes), GFP_KERNEL);
	if (IS_ERR(pool) || !random_sizes) {
		kfree(random_sizes);
		return IS_ERR(pool) ? PTR_ERR(pool) : -ENOMEM;
	}
	for (i = 0; i < BATCH; i++)
		random_sizes[i] = 8 + get_random_u32_below(4089);

	pr_info("%u iterations a case; times in ns per operation\n", iterations);
	if (run_test_mask & BIT(0))
		for (i = 0; i < ARRAY_SIZE(pair_cases); i++)
			run_case(&pair_cases[i]);
	if (run_test_mask & BIT(1))
		for (i = 0; i < ARRAY_SIZE(batch_cases); i++)
			run_case(&batch_cases[i]);
	if (run_test_mask & BIT(2))
		for (i = 0; i < ARRAY_SIZE(kmalloc_cases); i++)
			run_case(&kmalloc_cases[i]);
	if (run_test_mask & BIT(3)) {
		held = kvcalloc(vbuddy_pool_free_pages(pool), sizeof(*held), GFP_KERNEL);
		n = held ? vbuddy_pool_checkerboard(pool, held) : 0;
		for (i = 0; held && i < ARRAY_SIZE(virt_cases); i++) {
			run_case(&virt_cases[i]);
			run_virt_kvmalloc(&virt_cases[i]);
		}
		while (n)
			vbuddy_free_pages(pool, held[--n], 0);
		kvfree(held);
	}
	if (run_test_mask & BIT(4)) {
		run_scaling(&pair_cases[0], threads, "alloc_pages");
		run_scaling(&kmalloc_cases[1], threads, "kmalloc");
	}
	if (run_test_mask & BIT(5))
		run_components();
	if (run_test_mask & BIT(6))
		run_compaction();
	pr_info("done\n");

	vbuddy_pool_destroy(pool);
	kfree(random_sizes);
	return -EAGAIN;		/* nothing to keep loaded */
}
module_init(vbuddy_bench_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vbuddy benchmark against the kernel's allocators");
