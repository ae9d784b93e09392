/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault injection for vbuddy (module/fault.c): where a fault may be
 * injected, and the wrappers of what vbuddy asks of the kernel.
 */
#ifndef _VBUDDY_FAULT_H
#define _VBUDDY_FAULT_H

#include <linux/gfp.h>
#include <linux/slab.h>
#include <linux/types.h>

struct dentry;

/* Where an injected fault hits. */
enum vbuddy_fail_site {
	VBUDDY_FAIL_KERNEL,	/* what vbuddy asks of the kernel */
	VBUDDY_FAIL_POOL,	/* vbuddy's own allocations from a pool */
};

#ifdef CONFIG_FAULT_INJECTION
bool vbuddy_should_fail(enum vbuddy_fail_site site);
void vbuddy_fault_select(bool kernel, bool pool);
void vbuddy_fault_debugfs(struct dentry *root);
#else
static inline bool vbuddy_should_fail(enum vbuddy_fail_site site)
{
	return false;
}

static inline void vbuddy_fault_debugfs(struct dentry *root)
{
}
#endif

/*
 * kvcalloc() and alloc_pages() for vbuddy's bookkeeping, failable by
 * injection. Bookkeeping is taken when a pool is created, which is never
 * worth waking the OOM killer for: it fails instead.
 */
static inline void *vbuddy_kvcalloc(size_t n, size_t size)
{
	return vbuddy_should_fail(VBUDDY_FAIL_KERNEL) ? NULL :
		kvcalloc(n, size, GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN);
}

static inline struct page *vbuddy_kernel_pages(gfp_t gfp, unsigned int order)
{
	return vbuddy_should_fail(VBUDDY_FAIL_KERNEL) ? NULL : alloc_pages(gfp, order);
}

#endif /* _VBUDDY_FAULT_H */
