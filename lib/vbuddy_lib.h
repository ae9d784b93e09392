/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What vbuddy's test modules in lib/ share: freeing what a checkerboard
 * held, a byte pattern read back on another CPU, and their TAP-like result
 * lines. Static inline: each module stays one file of its own.
 */
#ifndef _VBUDDY_LIB_H
#define _VBUDDY_LIB_H

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/printk.h>

#include "vbuddy.h"

/* Free the @n order-0 pages of @held, last first. */
static inline void vbuddy_lib_release(struct vbuddy_pool *pool, struct page **held,
				      unsigned long n)
{
	while (n)
		vbuddy_free_pages(pool, held[--n], 0);
}

/* The byte at offset @i of a test buffer: differs from page to page. */
static inline u8 vbuddy_lib_pattern(size_t i)
{
	return (u8)(i * 13 + (i >> PAGE_SHIFT));
}

struct vbuddy_lib_verify {
	const u8 *p;
	size_t size;
	bool ok;
	struct completion done;
};

static inline int vbuddy_lib_verify_fn(void *arg)
{
	struct vbuddy_lib_verify *ctx = arg;
	size_t i;

	ctx->ok = true;
	for (i = 0; i < ctx->size; i++)
		ctx->ok &= ctx->p[i] == vbuddy_lib_pattern(i);
	complete(&ctx->done);
	return 0;
}

/*
 * Whether @size bytes at @p hold vbuddy_lib_pattern(), read on another CPU
 * than the one that wrote them, if there is one.
 */
static inline bool vbuddy_lib_verify_elsewhere(const u8 *p, size_t size)
{
	struct vbuddy_lib_verify ctx = { .p = p, .size = size };
	int cpu = cpumask_any_but(cpu_online_mask, raw_smp_processor_id());
	struct task_struct *t;

	init_completion(&ctx.done);
	t = kthread_create(vbuddy_lib_verify_fn, &ctx, "vbuddy-verify");
	if (IS_ERR(t))
		return false;
	if (cpu < nr_cpu_ids)
		kthread_bind(t, cpu);
	wake_up_process(t);
	wait_for_completion(&ctx.done);
	return ctx.ok;
}

/* A module's results: "ok N - name" or "not ok N - name" lines, then a sum. */
struct vbuddy_lib_results {
	unsigned int passed, failed, n;
};

static inline bool vbuddy_lib_result(struct vbuddy_lib_results *r, bool ok,
				     const char *name)
{
	ok ? r->passed++ : r->failed++;
	pr_info("%sok %u - %s\n", ok ? "" : "not ", ++r->n, name);
	return ok;
}

/* The summary line; -EIO if anything failed, for the module's init. */
static inline int vbuddy_lib_summary(const struct vbuddy_lib_results *r)
{
	pr_info("%u passed, %u failed\n", r->passed, r->failed);
	return r->failed ? -EIO : 0;
}

#endif /* _VBUDDY_LIB_H */
