// SPDX-License-Identifier: GPL-2.0
/*
 * vbuddy.ko: the module's parameters, its init and exit, and the making and
 * unmaking of pools, which put the layers together: a pool (pool.c), its
 * GFP_VIRTOK window (window.c), per-CPU caches (pcp.c) and size classes
 * (classes.c), and its debugfs directory (debugfs.c).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>

#include "classes.h"
#include "compact.h"
#include "debugfs.h"
#include "pages.h"
#include "pcp.h"
#include "pool.h"
#include "window.h"

static unsigned long pool_pages = 4096;
module_param(pool_pages, ulong, 0444);
MODULE_PARM_DESC(pool_pages, "pages in the default pool (default 4096 = 16 MiB)");

static unsigned int virtok_slots = 64;
module_param(virtok_slots, uint, 0444);
MODULE_PARM_DESC(virtok_slots, "GFP_VIRTOK slots per pool (default 64, at most 4096)");

static unsigned int virtok_map_ram;
module_param(virtok_map_ram, uint, 0444);
MODULE_PARM_DESC(virtok_map_ram, "GFP_VIRTOK ranges of up to this many pages are mapped with vm_map_ram(), larger ones with vmap() (default 0: vmap() for all; at most 64)");

static unsigned int virtok_keep;
module_param(virtok_keep, uint, 0444);
MODULE_PARM_DESC(virtok_keep, "GFP_VIRTOK ranges of up to 64 pages a pool keeps mapped after their free, for the next fallback of their size (default 0; at most 16)");

static unsigned int pcp_high = 64;
module_param(pcp_high, uint, 0444);
MODULE_PARM_DESC(pcp_high, "pages a per-CPU list holds before it gives blocks back (default 64; 0 disables the caches)");

static unsigned int pcp_low = 16;
module_param(pcp_low, uint, 0444);
MODULE_PARM_DESC(pcp_low, "pages an empty per-CPU list is refilled with, and a full one keeps (default 16)");

static unsigned int pcp_objects = VBUDDY_PCP_OBJECTS_MAX;
module_param(pcp_objects, uint, 0444);
MODULE_PARM_DESC(pcp_objects, "free objects a per-CPU object list of a size class holds (default and most 32; 0 disables these lists)");

static unsigned int compaction_proactiveness = 20;
module_param(compaction_proactiveness, uint, 0444);
MODULE_PARM_DESC(compaction_proactiveness, "how hard each pool's background worker keeps movable blocks compacted, 0-100 as vm.compaction_proactiveness (default 20; 0 turns it off; per pool in debugfs)");

static unsigned int placement = BUDDY_GROUPED;

static int placement_set(const char *val, const struct kernel_param *kp)
{
	int policy = sysfs_match_string(buddy_policy_names, val);

	if (policy < 0)
		return policy;
	*(unsigned int *)kp->arg = policy;
	return 0;
}

static int placement_get(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%s\n", buddy_policy_names[*(unsigned int *)kp->arg]);
}

static const struct kernel_param_ops placement_ops = {
	.set = placement_set,
	.get = placement_get,
};
module_param_cb(placement, &placement_ops, &placement, 0444);
MODULE_PARM_DESC(placement, "which free block an allocation takes: lifo, address or grouped (default grouped; see Documentation/benchmarks.rst)");

/* Free the layers of an unreachable pool, then the pool. */
static void pool_free_layers(struct vbuddy_pool *pool, const char *when)
{
	vbuddy_window_destroy(pool, when);
	vbuddy_classes_destroy(pool);
	vbuddy_pcp_destroy(pool);
	vbuddy_pages_destroy(pool);
	vbuddy_compact_destroy(pool);
	vbuddy_pool_free(pool);
}

/*
 * Take a pool apart. @when: NULL when nothing is
 * allocated any more, else (for the reports) "at unload" or "at teardown":
 * what is still allocated is reported and goes back to the kernel all the
 * same.
 */
static void pool_remove(struct vbuddy_pool *pool, const char *when)
{
	unsigned long free_pages;

	/* No compaction moves blocks under the count below, nor after it. */
	vbuddy_compact_stop(pool);
	free_pages = vbuddy_pool_unheld_pages(pool);
	if (when && free_pages != pool->nr_pages)
		pr_err("pool %s: %lu pages still allocated %s; freeing them\n",
		       pool->name, pool->nr_pages - free_pages, when);
	vbuddy_debugfs_pool_remove(pool);
	vbuddy_pool_unregister(pool);
	pool_free_layers(pool, when);
}

static struct vbuddy_pool *pool_create(const char *name, unsigned long nr_pages, gfp_t gfp,
				       unsigned int policy)
{
	struct vbuddy_pool *pool;
	int ret;

	pool = vbuddy_pool_alloc(name, nr_pages, gfp, policy);
	if (IS_ERR(pool))
		return pool;
	/* The window first: a reclaim asks the layers in this order. */
	ret = vbuddy_window_init(pool) ?: vbuddy_compact_init(pool) ?:
		vbuddy_pages_init(pool) ?: vbuddy_pcp_init(pool) ?:
		vbuddy_classes_init(pool) ?: vbuddy_pool_register(pool);
	if (ret) {
		pool_free_layers(pool, NULL);
		return ERR_PTR(ret);
	}
	vbuddy_debugfs_pool_add(pool);
	return pool;
}

/**
 * vbuddy_pool_create_gfp() - create a pool of pages of a zone
 * @name: a unique name of 1 to VBUDDY_NAME_LEN - 1 characters, without '/'
 *        or control characters, and neither "." nor ".." (it names the
 *        pool's directory in debugfs)
 * @nr_pages: how many pages the pool takes from the kernel, 1 to 2^30
 * @gfp: GFP_KERNEL, with __GFP_DMA32 or __GFP_DMA for a pool whose pages
 *       all lie in that zone (it then serves requests for that zone too),
 *       and __GFP_ACCOUNT to charge the pages to the caller's memory cgroup
 *
 * The pages are taken now, in the largest pieces the kernel will give, and
 * stay with the pool until vbuddy_pool_destroy(). Pieces need not be
 * adjacent; blocks never merge across them, so a pool whose pieces are
 * smaller than 2^VBUDDY_MAX_ORDER pages has no block of that order.
 * Taking them never wakes the OOM killer: a pool the kernel cannot give
 * fails.
 *
 * Context: Process context; may sleep.
 * Return: the pool; ERR_PTR(-EINVAL) for a bad @name, a @nr_pages of 0 or
 * above 2^30, or other flags in @gfp; ERR_PTR(-EEXIST) if a pool of that
 * name exists; ERR_PTR(-ENOMEM) if the kernel cannot give the pages (any
 * @nr_pages above the machine's memory) or the bookkeeping.
 */
struct vbuddy_pool *vbuddy_pool_create_gfp(const char *name, unsigned long nr_pages,
					   gfp_t gfp)
{
	return pool_create(name, nr_pages, gfp, placement);
}
EXPORT_SYMBOL_GPL(vbuddy_pool_create_gfp);

/**
 * vbuddy_pool_create() - create a pool of pages
 * @name: as for vbuddy_pool_create_gfp()
 * @nr_pages: as for vbuddy_pool_create_gfp()
 *
 * vbuddy_pool_create_gfp() with GFP_KERNEL: pages of any zone, not charged.
 *
 * Context: Process context; may sleep.
 * Return: as vbuddy_pool_create_gfp().
 */
struct vbuddy_pool *vbuddy_pool_create(const char *name, unsigned long nr_pages)
{
	return vbuddy_pool_create_gfp(name, nr_pages, GFP_KERNEL);
}
EXPORT_SYMBOL_GPL(vbuddy_pool_create);

/**
 * vbuddy_pool_create_placement() - create a pool with a placement of its own
 * @name: as for vbuddy_pool_create_gfp()
 * @nr_pages: as for vbuddy_pool_create_gfp()
 * @placement: "lifo", "address" or "grouped", as the module parameter
 *             placement takes
 *
 * vbuddy_pool_create() whatever the module parameter says: a test hook, so
 * that one loaded module can test and measure every placement.
 *
 * Context: Process context; may sleep.
 * Return: as vbuddy_pool_create(); ERR_PTR(-EINVAL) for an unknown
 * @placement too.
 */
struct vbuddy_pool *vbuddy_pool_create_placement(const char *name, unsigned long nr_pages,
						 const char *placement)
{
	int policy = match_string(buddy_policy_names, BUDDY_NR_POLICIES, placement);

	if (policy < 0)
		return ERR_PTR(policy);
	return pool_create(name, nr_pages, GFP_KERNEL, policy);
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_create_placement, VBUDDY_INTERNAL);

/**
 * vbuddy_pool_destroy() - give a pool's pages back to the kernel
 * @pool: a pool from vbuddy_pool_create(), or NULL (nothing is done)
 *
 * Refused, with a report, while any block of the pool is still allocated:
 * the pool then stays usable, and may be destroyed once everything is
 * freed. The default pool cannot be destroyed; it goes with the module.
 *
 * Context: Process context; may sleep. No allocation or free on @pool may
 * run concurrently.
 */
void vbuddy_pool_destroy(struct vbuddy_pool *pool)
{
	unsigned long free_pages;

	might_sleep();
	if (IS_ERR_OR_NULL(pool) || vbuddy_pool_is_default(pool, "destroy"))
		return;
	vbuddy_pool_drain(pool);
	vbuddy_compact_quiesce(pool);	/* blocks freed during a move are back */
	free_pages = vbuddy_pool_unheld_pages(pool);
	if (free_pages != pool->nr_pages) {
		vbuddy_report(pool, "destroy refused: %lu of %lu pages still allocated",
			      pool->nr_pages - free_pages, pool->nr_pages);
		return;
	}
	pool_remove(pool, NULL);
}
EXPORT_SYMBOL_GPL(vbuddy_pool_destroy);

/**
 * vbuddy_pool_teardown() - destroy a pool, whatever it still has allocated
 * @pool: a pool from vbuddy_pool_create(), or NULL (nothing is done)
 *
 * As vbuddy_pool_destroy(), but blocks still allocated do not stop it: they
 * are reported and go back to the kernel with the rest of the pool, and
 * GFP_VIRTOK ranges still mapped are unmapped, as at unload. A test hook,
 * so that a failed case does not leave its pool behind to fail the cases
 * after it; nothing may use the pool's memory any more.
 *
 * Context: Process context; may sleep.
 */
void vbuddy_pool_teardown(struct vbuddy_pool *pool)
{
	might_sleep();
	if (IS_ERR_OR_NULL(pool) || vbuddy_pool_is_default(pool, "teardown"))
		return;
	vbuddy_pool_drain(pool);
	pool_remove(pool, "at teardown");
}
EXPORT_SYMBOL_NS_GPL(vbuddy_pool_teardown, VBUDDY_INTERNAL);

/*
 * A parameter above its cap is clamped, once, saying so; sysfs then shows
 * the value in use.
 */
static void __init clamp_param(const char *name, unsigned int *val, unsigned int cap)
{
	if (*val <= cap)
		return;
	pr_warn("%s=%u is above its cap; using %u\n", name, *val, cap);
	*val = cap;
}

/* Unmaps of GFP_VIRTOK ranges freed where the caller may not sleep. */
static struct workqueue_struct *vbuddy_wq;

static int __init vbuddy_init(void)
{
	struct vbuddy_pool *pool;

	/* Reclaim may wait for these unmaps: a rescuer guarantees progress. */
	vbuddy_wq = alloc_workqueue("vbuddy", WQ_MEM_RECLAIM, 0);
	if (!vbuddy_wq)
		return -ENOMEM;
	clamp_param("virtok_slots", &virtok_slots, VBUDDY_MAX_SLOTS);
	clamp_param("pcp_objects", &pcp_objects, VBUDDY_PCP_OBJECTS_MAX);
	clamp_param("pcp_high", &pcp_high, U16_MAX);
	clamp_param("pcp_low", &pcp_low, pcp_high);
	clamp_param("virtok_map_ram", &virtok_map_ram, VBUDDY_MAP_RAM_MAX);
	clamp_param("virtok_keep", &virtok_keep, VBUDDY_KEEP_MAX);
	clamp_param("compaction_proactiveness", &compaction_proactiveness, 100);
	vbuddy_window_setup(virtok_slots, virtok_map_ram, virtok_keep, vbuddy_wq);
	vbuddy_compact_setup(compaction_proactiveness, system_unbound_wq);
	vbuddy_pcp_setup(pcp_high, pcp_low);
	vbuddy_classes_setup(pcp_objects);
	vbuddy_debugfs_init();
	pool = vbuddy_pool_create("default", pool_pages);
	if (IS_ERR(pool)) {
		vbuddy_debugfs_exit();
		vbuddy_pool_exit();
		destroy_workqueue(vbuddy_wq);
		pr_err("cannot create the default pool of %lu pages: %pe\n",
		       pool_pages, pool);
		return PTR_ERR(pool);
	}
	vbuddy_pool_set_default(pool);
	pr_info("default pool: %lu pages in %u pieces, %s placement\n", pool->nr_pages,
		pool->nr_chunks, buddy_policy_names[placement]);
	return 0;
}
module_init(vbuddy_init);

/*
 * Every module that used our symbols is gone by now, so whatever a pool
 * still has allocated is leaked: report it, and give the pages back all the
 * same, so that unloading never leaks the kernel's memory.
 */
static void __exit vbuddy_exit(void)
{
	struct vbuddy_pool *pool, *dflt = vbuddy_default_pool();

	while ((pool = vbuddy_pool_first())) {
		if (pool != dflt)
			pr_err("pool %s: still exists at unload; destroying it\n", pool->name);
		vbuddy_pool_drain(pool);
		pool_remove(pool, "at unload");
	}
	vbuddy_debugfs_exit();
	vbuddy_pool_exit();
	destroy_workqueue(vbuddy_wq);
}
module_exit(vbuddy_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vbuddy: a buddy page allocator over a pool, with GFP_VIRTOK");
