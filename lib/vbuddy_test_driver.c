// SPDX-License-Identifier: GPL-2.0
/*
 * vbuddy_test_driver: lets userspace drive vbuddy pools, for the kselftest
 * in tools/testing/selftests/vbuddy/ and the pictures of make demo.
 *
 * One command per write(2) to /sys/kernel/debug/vbuddy_test/control; a
 * read returns the result line of the last command that succeeded; a
 * command that fails makes write(2) fail with its errno.
 *
 *   create <pool> <pages>           ok
 *   destroy <pool>                  ok (frees what the driver holds first)
 *   alloc <pool> <order>            id <n> pfn <pfn>
 *   kmalloc <pool> <size> [virtok]  id <n> virtual <0|1>
 *   free <id>                       ok
 *   checkerboard <pool>             held <n>: every free page taken, those of
 *                                   even pfn given back
 *   release <pool>                  ok: all the driver holds there freed
 *
 * <pool> is a pool the driver created, or "default". After every command
 * the pools are drained (vbuddy_pool_drain()): the per-CPU caches hold
 * nothing, and debugfs shows each pool's free pages on its free lists, as
 * the kselftest and the pictures want them.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "vbuddy.h"

MODULE_IMPORT_NS(VBUDDY_INTERNAL);

/* A pool the driver made. */
struct tdrv_pool {
	struct list_head node;
	struct vbuddy_pool *pool;
	char name[VBUDDY_NAME_LEN];
};

/* An allocation the driver holds: pages (@page, @order) or kmalloc (@ptr). */
struct tdrv_obj {
	struct list_head node;
	unsigned int id;
	struct vbuddy_pool *pool;
	struct page *page;
	unsigned int order;
	void *ptr;
};

static DEFINE_MUTEX(tdrv_lock);
static LIST_HEAD(tdrv_pools);		/* guarded by tdrv_lock */
static LIST_HEAD(tdrv_objs);		/* guarded by tdrv_lock */
static unsigned int tdrv_next_id = 1;	/* guarded by tdrv_lock */
static char tdrv_result[64];		/* guarded by tdrv_lock */
static struct dentry *tdrv_dir;

static struct tdrv_pool *find_tpool(const char *name)
{
	struct tdrv_pool *tp;

	lockdep_assert_held(&tdrv_lock);
	list_for_each_entry(tp, &tdrv_pools, node)
		if (!strcmp(tp->name, name))
			return tp;
	return NULL;
}

static struct vbuddy_pool *find_pool(const char *name)
{
	struct tdrv_pool *tp;

	if (!strcmp(name, "default"))
		return vbuddy_default_pool();
	tp = find_tpool(name);
	return tp ? tp->pool : NULL;
}

static int hold(struct vbuddy_pool *pool, struct page *page, unsigned int order,
		void *ptr)
{
	struct tdrv_obj *obj = kzalloc(sizeof(*obj), GFP_KERNEL);

	lockdep_assert_held(&tdrv_lock);
	if (!obj)
		return -ENOMEM;
	obj->id = tdrv_next_id++;
	obj->pool = pool;
	obj->page = page;
	obj->order = order;
	obj->ptr = ptr;
	list_add_tail(&obj->node, &tdrv_objs);
	return obj->id;
}

static void drop(struct tdrv_obj *obj)
{
	if (obj->ptr)
		vbuddy_kfree(obj->ptr);
	else
		vbuddy_free_pages(obj->pool, obj->page, obj->order);
	list_del(&obj->node);
	kfree(obj);
}

static void release_pool(struct vbuddy_pool *pool)
{
	struct tdrv_obj *obj, *tmp;

	lockdep_assert_held(&tdrv_lock);
	list_for_each_entry_safe(obj, tmp, &tdrv_objs, node)
		if (obj->pool == pool)
			drop(obj);
	vbuddy_pool_drain(pool);
}

static int cmd_checkerboard(struct vbuddy_pool *pool)
{
	struct page **held;
	unsigned long n, i;
	int ret = 0;

	held = kvcalloc(vbuddy_pool_free_pages(pool) ?: 1, sizeof(*held), GFP_KERNEL);
	if (!held)
		return -ENOMEM;
	n = vbuddy_pool_checkerboard(pool, held);
	for (i = 0; i < n; i++) {
		if (ret >= 0)
			ret = hold(pool, held[i], 0, NULL);
		if (ret < 0)
			vbuddy_free_pages(pool, held[i], 0);
	}
	kvfree(held);
	if (ret < 0)
		return ret;
	snprintf(tdrv_result, sizeof(tdrv_result), "held %lu", n);
	return 0;
}

static int run(char *cmd)
{
	char name[VBUDDY_NAME_LEN], opt[16] = "";
	struct vbuddy_pool *pool = NULL;
	struct tdrv_obj *obj;
	struct tdrv_pool *tp;
	unsigned long pages;
	unsigned int order, id;
	struct page *page;
	size_t size;
	void *p;
	int ret;

	lockdep_assert_held(&tdrv_lock);
	if (sscanf(cmd, "create %31s %lu", name, &pages) == 2) {
		if (find_pool(name))
			return -EEXIST;
		tp = kzalloc(sizeof(*tp), GFP_KERNEL);
		if (!tp)
			return -ENOMEM;
		tp->pool = vbuddy_pool_create(name, pages);
		if (IS_ERR(tp->pool)) {
			ret = PTR_ERR(tp->pool);
			kfree(tp);
			return ret;
		}
		strscpy(tp->name, name, sizeof(tp->name));
		list_add_tail(&tp->node, &tdrv_pools);
		strscpy(tdrv_result, "ok", sizeof(tdrv_result));
		return 0;
	}
	if (sscanf(cmd, "destroy %31s", name) == 1) {
		tp = find_tpool(name);
		if (!tp)
			return -ENOENT;
		release_pool(tp->pool);
		vbuddy_pool_destroy(tp->pool);
		list_del(&tp->node);
		kfree(tp);
		strscpy(tdrv_result, "ok", sizeof(tdrv_result));
		return 0;
	}
	if (sscanf(cmd, "free %u", &id) == 1) {
		list_for_each_entry(obj, &tdrv_objs, node) {
			if (obj->id == id) {
				drop(obj);
				strscpy(tdrv_result, "ok", sizeof(tdrv_result));
				return 0;
			}
		}
		return -ENOENT;
	}

	/* The rest name a pool. */
	if (sscanf(cmd, "%*s %31s", name) == 1)
		pool = find_pool(name);
	if (!pool)
		return sscanf(cmd, "%*s %31s", name) == 1 ? -ENOENT : -EINVAL;

	if (sscanf(cmd, "alloc %*s %u", &order) == 1) {
		page = vbuddy_alloc_pages(pool, GFP_KERNEL | __GFP_NOWARN, order);
		if (!page)
			return -ENOMEM;
		ret = hold(pool, page, order, NULL);
		if (ret < 0) {
			vbuddy_free_pages(pool, page, order);
			return ret;
		}
		snprintf(tdrv_result, sizeof(tdrv_result), "id %d pfn %lu", ret,
			 page_to_pfn(page));
		return 0;
	}
	if (sscanf(cmd, "kmalloc %*s %zu %15s", &size, opt) >= 1) {
		gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;

		if (!strcmp(opt, "virtok"))
			gfp |= GFP_VIRTOK;
		else if (*opt)
			return -EINVAL;
		p = vbuddy_pool_kmalloc(pool, size, gfp);
		if (ZERO_OR_NULL_PTR(p))
			return -ENOMEM;
		ret = hold(pool, NULL, 0, p);
		if (ret < 0) {
			vbuddy_kfree(p);
			return ret;
		}
		snprintf(tdrv_result, sizeof(tdrv_result), "id %d virtual %d", ret,
			 vbuddy_is_virtual(p));
		return 0;
	}
	if (!strncmp(cmd, "checkerboard ", 13))
		return cmd_checkerboard(pool);
	if (!strncmp(cmd, "release ", 8)) {
		release_pool(pool);
		strscpy(tdrv_result, "ok", sizeof(tdrv_result));
		return 0;
	}
	return -EINVAL;
}

static void drain_all(void)
{
	struct tdrv_pool *tp;

	lockdep_assert_held(&tdrv_lock);
	list_for_each_entry(tp, &tdrv_pools, node)
		vbuddy_pool_drain(tp->pool);
	vbuddy_pool_drain(vbuddy_default_pool());
}

static ssize_t control_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	char buf[96];
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	mutex_lock(&tdrv_lock);
	ret = run(strim(buf));
	drain_all();
	mutex_unlock(&tdrv_lock);
	return ret ? ret : count;
}

static ssize_t control_read(struct file *file, char __user *ubuf, size_t count,
			    loff_t *ppos)
{
	char buf[sizeof(tdrv_result) + 1];
	int len;

	mutex_lock(&tdrv_lock);
	len = scnprintf(buf, sizeof(buf), "%s\n", tdrv_result);
	mutex_unlock(&tdrv_lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct file_operations control_fops = {
	.owner = THIS_MODULE,
	.read = control_read,
	.write = control_write,
	.llseek = default_llseek,
};

static int __init tdrv_init(void)
{
	tdrv_dir = debugfs_create_dir("vbuddy_test", NULL);
	debugfs_create_file("control", 0600, tdrv_dir, NULL, &control_fops);
	return 0;
}
module_init(tdrv_init);

static void __exit tdrv_exit(void)
{
	struct tdrv_pool *tp, *tmp;

	debugfs_remove_recursive(tdrv_dir);
	mutex_lock(&tdrv_lock);
	release_pool(vbuddy_default_pool());
	list_for_each_entry_safe(tp, tmp, &tdrv_pools, node) {
		release_pool(tp->pool);
		vbuddy_pool_destroy(tp->pool);
		list_del(&tp->node);
		kfree(tp);
	}
	mutex_unlock(&tdrv_lock);
}
module_exit(tdrv_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vbuddy test driver: pools driven from userspace");
