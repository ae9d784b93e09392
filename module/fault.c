// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection for vbuddy, in the kernel's style (lib/fault-inject.c,
 * mm/fail_page_alloc.c): /sys/kernel/debug/vbuddy/fail/.
 */

#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/module.h>

#include "fault.h"

/**
 * DOC: fault injection
 *
 * With CONFIG_FAULT_INJECTION, /sys/kernel/debug/vbuddy/fail/ holds the
 * usual fault_attr files (probability, interval, times, space, verbose,
 * task-filter, ...; see Documentation/fault-injection/) and two of its own:
 *
 * kernel
 *   (default Y) fail what vbuddy asks of the kernel: a pool's pages, its
 *   bookkeeping, the registration of its pfns, the vmap() of a GFP_VIRTOK
 *   range.
 * pool
 *   (default N) fail vbuddy's own allocations from a pool, as if the pool
 *   had no free block: vbuddy_alloc_pages(), new pages for size classes and
 *   large kmallocs, the gather of a GFP_VIRTOK fallback.
 *
 * /proc/<pid>/fail-nth works too, which is how the KUnit suite
 * vbuddy_fault walks every failure branch one by one.
 */

static DECLARE_FAULT_ATTR(vbuddy_fail);
static bool fail_kernel = true;	/* written through debugfs or by tests */
static bool fail_pool;

/**
 * vbuddy_should_fail() - should this allocation fail, by injection?
 * @site: VBUDDY_FAIL_KERNEL or VBUDDY_FAIL_POOL
 *
 * Context: Any context.
 * Return: true to fail it.
 */
bool vbuddy_should_fail(enum vbuddy_fail_site site)
{
	bool armed = site == VBUDDY_FAIL_KERNEL ? READ_ONCE(fail_kernel) : READ_ONCE(fail_pool);

	if (!armed)
		return false;
	return should_fail(&vbuddy_fail, 1);
}

/**
 * vbuddy_fault_select() - choose what injected faults hit, for tests
 * @kernel: fail what vbuddy asks of the kernel
 * @pool: fail vbuddy's own allocations
 *
 * Also silences the report of each injected fault, which tests make many.
 */
void vbuddy_fault_select(bool kernel, bool pool)
{
	WRITE_ONCE(fail_kernel, kernel);
	WRITE_ONCE(fail_pool, pool);
	vbuddy_fail.verbose = 0;
}
EXPORT_SYMBOL_NS_GPL(vbuddy_fault_select, VBUDDY_INTERNAL);

void vbuddy_fault_debugfs(struct dentry *root)
{
	struct dentry *dir = fault_create_debugfs_attr("fail", root, &vbuddy_fail);

	if (IS_ERR(dir))
		return;
	debugfs_create_bool("kernel", 0600, dir, &fail_kernel);
	debugfs_create_bool("pool", 0600, dir, &fail_pool);
}
