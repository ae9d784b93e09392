// SPDX-License-Identifier: GPL-2.0
/*
 * vbuddy_test_driver: lets userspace drive vbuddy pools, for the kselftest
 * in tools/testing/selftests/vbuddy/ and the pictures of make demo.
 *
 * One command per write(2) to /sys/kernel/debug/vbuddy_test/control. A
 * command that fails makes write(2) fail with its errno; one that succeeds
 * makes write(2) return its length and rewinds the file, so that read(2)
 * returns its result line (with a newline) from the start. Results are kept
 * per open file: a read returns the result of the last command that
 * succeeded through the same open file (nothing before the first), never
 * another user's. Pools and held objects are shared by all users.
 *
 * The grammar: a command is 1 to 127 bytes, tokens of printable ASCII
 * other than space ('!'..'~') separated by single spaces, optionally
 * followed by one newline; nothing else (no leading, trailing or double
 * space, no tab, no NUL, no other byte):
 *
 *   create <name> <pages>           ok
 *   destroy <name>                  ok (frees what the driver holds first)
 *   alloc <pool> <order> [nowait]   id <id> pfn <pfn>: vbuddy_alloc_pages(),
 *                                   GFP_KERNEL (which may compact first), or
 *                                   with nowait GFP_NOWAIT (which may not)
 *   kmalloc <pool> <size> [virtok]  id <id> virtual <0|1>
 *   free <id>                       ok
 *   checkerboard <pool>             held <n>: every free page taken, those of
 *                                   even pfn given back
 *   movable <pool>                  held <n>: every free page taken as a
 *                                   movable order-0 block
 *                                   (vbuddy_alloc_movable()), three of every
 *                                   four given back, the rest held (what
 *                                   compaction may move)
 *   release <pool>                  ok: all the driver holds there freed,
 *                                   movable blocks included
 *
 * and mmap(2) at offset <id> << PAGE_SHIFT maps up to the 2^<order> pages
 * of the block of "alloc" <id> into the caller (control_mmap()).
 *
 *   <name>   1..VBUDDY_NAME_LEN-1 bytes (a longer name is refused, never
 *            cut); what else a name may hold, vbuddy_pool_create() decides
 *   <pool>   the <name> of a pool the driver created, or "default"
 *   <pages>  1..2^30
 *   <order>  0..VBUDDY_MAX_ORDER
 *   <size>   1..PAGE_SIZE << VBUDDY_MAX_ORDER bytes
 *   <id>     0..2^64-1; ids are handed out from 1 up and never reused
 *
 * Numbers are decimal digits only (no sign, no base prefix). Errors:
 *
 *   EINVAL   malformed: an unknown command or option, a wrong number of
 *            tokens, a bad or out-of-range number, a name too long, any
 *            other byte; also a name vbuddy_pool_create() refuses
 *   ENOENT   well-formed, but no such pool or id
 *   EEXIST   create: a pool of that name exists
 *   EPERM    destroy default: the default pool belongs to vbuddy
 *   ENOMEM   the pool (or the kernel) cannot serve the request; create of
 *            more pages than the machine has
 *
 * Everything is checked before vbuddy is called, so no input can make
 * vbuddy report a misuse (a warning), and requests are made with
 * __GFP_NOWARN: a pool that cannot serve one fails quietly.
 *
 * After every command the pools are drained (vbuddy_pool_drain()): the
 * per-CPU caches hold nothing, and debugfs shows each pool's free pages on
 * its free lists, as the kselftest and the pictures want them.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "vbuddy.h"

MODULE_IMPORT_NS(VBUDDY_INTERNAL);

/* The longest command, with its newline. */
#define TDRV_CMD_MAX		127
/* Tokens in a command: the command word and up to three arguments. */
#define TDRV_MAX_TOKENS		4
/* A result line, without its newline, with its NUL. */
#define TDRV_RESULT_LEN		64
#define TDRV_MAX_POOL_PAGES	BIT(30)

/* A pool the driver made. */
struct tdrv_pool {
	struct list_head node;
	struct vbuddy_pool *pool;
	char name[VBUDDY_NAME_LEN];
};

/*
 * An allocation the driver holds: pages (@page, @order), kmalloc (@ptr) or
 * a movable block (@handle, @order).
 */
struct tdrv_obj {
	struct list_head node;
	u64 id;
	struct vbuddy_pool *pool;
	struct page *page;
	unsigned int order;
	void *ptr;
	unsigned long handle;
};

/* What one open file of the control file keeps: its last result. */
struct tdrv_file {
	char result[TDRV_RESULT_LEN];	/* guarded by tdrv_lock */
};

enum tdrv_op {
	TDRV_CREATE,
	TDRV_DESTROY,
	TDRV_ALLOC,
	TDRV_KMALLOC,
	TDRV_FREE,
	TDRV_CHECKERBOARD,
	TDRV_MOVABLE,
	TDRV_RELEASE,
};

/*
 * The syntax of a command: its word, whether a name follows it, whether a
 * number follows (then) and its range, and the option word that may end
 * it (NULL: none).
 */
struct tdrv_syntax {
	const char *word;
	enum tdrv_op op;
	bool name;
	bool num;
	u64 min, max;
	const char *option;
};

static const struct tdrv_syntax tdrv_syntax[] = {
	{ "create", TDRV_CREATE, .name = true, .num = true,
	  .min = 1, .max = TDRV_MAX_POOL_PAGES },
	{ "destroy", TDRV_DESTROY, .name = true },
	{ "alloc", TDRV_ALLOC, .name = true, .num = true,
	  .min = 0, .max = VBUDDY_MAX_ORDER, .option = "nowait" },
	{ "kmalloc", TDRV_KMALLOC, .name = true, .num = true,
	  .min = 1, .max = PAGE_SIZE << VBUDDY_MAX_ORDER, .option = "virtok" },
	{ "free", TDRV_FREE, .num = true, .min = 0, .max = U64_MAX },
	{ "checkerboard", TDRV_CHECKERBOARD, .name = true },
	{ "movable", TDRV_MOVABLE, .name = true },
	{ "release", TDRV_RELEASE, .name = true },
};

/* A command, parsed and checked: everything but the names' existence. */
struct tdrv_cmd {
	enum tdrv_op op;
	const char *name;	/* a pool's name, in the caller's buffer */
	u64 num;		/* pages, order, size or id */
	bool option;		/* the option was given: virtok, nowait */
};

static DEFINE_MUTEX(tdrv_lock);
static LIST_HEAD(tdrv_pools);		/* guarded by tdrv_lock */
static LIST_HEAD(tdrv_objs);		/* guarded by tdrv_lock */
static u64 tdrv_next_id = 1;		/* guarded by tdrv_lock */
static struct dentry *tdrv_dir;

/*
 * Split @buf (NUL-terminated, @len bytes) in place into at most
 * TDRV_MAX_TOKENS tokens at single spaces: the number of tokens, or -EINVAL
 * if the grammar's bytes or spacing are not kept.
 */
static int split(char *buf, size_t len, char *tok[TDRV_MAX_TOKENS])
{
	char *start = buf;
	int n = 0;
	size_t i;

	if (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (!len)
		return -EINVAL;
	for (i = 0; i <= len; i++) {
		if (i == len || buf[i] == ' ') {
			/* An empty token: a space at either end, or two. */
			if (buf + i == start || n == TDRV_MAX_TOKENS)
				return -EINVAL;
			buf[i] = '\0';
			tok[n++] = start;
			start = buf + i + 1;
		} else if (buf[i] < '!' || buf[i] > '~') {
			return -EINVAL;
		}
	}
	return n;
}

/* A decimal number of @min..@max, digits only: 0 or -EINVAL. */
static int parse_num(const char *s, u64 min, u64 max, u64 *val)
{
	/* kstrtou64() would take a sign too. */
	if (!isdigit(*s) || kstrtou64(s, 10, val))
		return -EINVAL;
	return *val >= min && *val <= max ? 0 : -EINVAL;
}

/* Parse the command in @buf (@len bytes, NUL-terminated) into @cmd. */
static int parse(char *buf, size_t len, struct tdrv_cmd *cmd)
{
	const struct tdrv_syntax *syn = NULL;
	char *tok[TDRV_MAX_TOKENS];
	unsigned int i;
	int n, t = 1;

	n = split(buf, len, tok);
	if (n < 0)
		return n;
	for (i = 0; i < ARRAY_SIZE(tdrv_syntax); i++)
		if (!strcmp(tok[0], tdrv_syntax[i].word))
			syn = &tdrv_syntax[i];
	if (!syn)
		return -EINVAL;

	memset(cmd, 0, sizeof(*cmd));
	cmd->op = syn->op;
	if (syn->name) {
		if (t == n || strlen(tok[t]) >= VBUDDY_NAME_LEN)
			return -EINVAL;
		cmd->name = tok[t++];
	}
	if (syn->num) {
		if (t == n || parse_num(tok[t++], syn->min, syn->max, &cmd->num))
			return -EINVAL;
	}
	if (syn->option && t < n) {
		if (strcmp(tok[t++], syn->option))
			return -EINVAL;
		cmd->option = true;
	}
	return t == n ? 0 : -EINVAL;
}

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

/*
 * Hold an allocation under a new id, in *@id: pages (@page, @order),
 * kmalloc (@ptr) or a movable block (@handle, @order). 0 or -ENOMEM.
 */
static int hold(struct vbuddy_pool *pool, struct page *page, unsigned int order,
		void *ptr, unsigned long handle, u64 *id)
{
	struct tdrv_obj *obj = kzalloc(sizeof(*obj), GFP_KERNEL | __GFP_NOWARN);

	lockdep_assert_held(&tdrv_lock);
	if (!obj)
		return -ENOMEM;
	obj->id = tdrv_next_id++;
	obj->pool = pool;
	obj->page = page;
	obj->order = order;
	obj->ptr = ptr;
	obj->handle = handle;
	list_add_tail(&obj->node, &tdrv_objs);
	*id = obj->id;
	return 0;
}

static void drop(struct tdrv_obj *obj)
{
	if (obj->ptr)
		vbuddy_kfree(obj->ptr);
	else if (obj->handle)
		vbuddy_free_movable(obj->handle);
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

static int cmd_create(const char *name, unsigned long pages, char *res)
{
	struct tdrv_pool *tp;
	int ret;

	if (find_pool(name))
		return -EEXIST;
	/* Never served, and vbuddy would take all it could on the way. */
	if (pages > totalram_pages())
		return -ENOMEM;
	tp = kzalloc(sizeof(*tp), GFP_KERNEL | __GFP_NOWARN);
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
	strscpy(res, "ok", TDRV_RESULT_LEN);
	return 0;
}

static int cmd_destroy(const char *name, char *res)
{
	struct tdrv_pool *tp;

	if (!strcmp(name, "default"))
		return -EPERM;
	tp = find_tpool(name);
	if (!tp)
		return -ENOENT;
	release_pool(tp->pool);
	/* Nothing else allocates from it; were it so, refuse, not report. */
	if (vbuddy_pool_free_pages(tp->pool) != vbuddy_pool_nr_pages(tp->pool))
		return -EBUSY;
	vbuddy_pool_destroy(tp->pool);
	list_del(&tp->node);
	kfree(tp);
	strscpy(res, "ok", TDRV_RESULT_LEN);
	return 0;
}

static int cmd_alloc(struct vbuddy_pool *pool, unsigned int order, bool nowait,
		     char *res)
{
	gfp_t gfp = (nowait ? GFP_NOWAIT : GFP_KERNEL) | __GFP_NOWARN;
	struct page *page;
	u64 id;
	int ret;

	page = vbuddy_alloc_pages(pool, gfp, order);
	if (!page)
		return -ENOMEM;
	ret = hold(pool, page, order, NULL, 0, &id);
	if (ret) {
		vbuddy_free_pages(pool, page, order);
		return ret;
	}
	snprintf(res, TDRV_RESULT_LEN, "id %llu pfn %lu", id, page_to_pfn(page));
	return 0;
}

static int cmd_kmalloc(struct vbuddy_pool *pool, size_t size, bool virtok,
		       char *res)
{
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
	void *p;
	u64 id;
	int ret;

	if (virtok)
		gfp |= GFP_VIRTOK;
	p = vbuddy_pool_kmalloc(pool, size, gfp);
	if (ZERO_OR_NULL_PTR(p))
		return -ENOMEM;
	ret = hold(pool, NULL, 0, p, 0, &id);
	if (ret) {
		vbuddy_kfree(p);
		return ret;
	}
	snprintf(res, TDRV_RESULT_LEN, "id %llu virtual %d", id,
		 vbuddy_is_virtual(p));
	return 0;
}

static struct tdrv_obj *find_obj(u64 id)
{
	struct tdrv_obj *obj;

	lockdep_assert_held(&tdrv_lock);
	list_for_each_entry(obj, &tdrv_objs, node)
		if (obj->id == id)
			return obj;
	return NULL;
}

static int cmd_free(u64 id, char *res)
{
	struct tdrv_obj *obj = find_obj(id);

	if (!obj)
		return -ENOENT;
	drop(obj);
	strscpy(res, "ok", TDRV_RESULT_LEN);
	return 0;
}

static int cmd_checkerboard(struct vbuddy_pool *pool, char *res)
{
	struct page **held;
	unsigned long n, i;
	int ret = 0;
	u64 id;

	/*
	 * Room for every page of the pool: others may free pages into the
	 * default pool while it is taken.
	 */
	held = kvcalloc(vbuddy_pool_nr_pages(pool), sizeof(*held),
			GFP_KERNEL | __GFP_NOWARN);
	if (!held)
		return -ENOMEM;
	n = vbuddy_pool_checkerboard(pool, held);
	for (i = 0; i < n; i++) {
		if (!ret)
			ret = hold(pool, held[i], 0, NULL, 0, &id);
		if (ret)
			vbuddy_free_pages(pool, held[i], 0);
	}
	kvfree(held);
	if (ret)
		return ret;
	snprintf(res, TDRV_RESULT_LEN, "held %lu", n);
	return 0;
}

/*
 * Every free page as a movable order-0 block, then three of every four
 * freed, in the order they were taken (kunit/compact_test.c's way, and
 * the kernel's own proactive-compaction test's): no free block of order 2
 * or more is left, and compaction has a quarter of the pages to move.
 */
static int cmd_movable(struct vbuddy_pool *pool, char *res)
{
	unsigned long want = vbuddy_pool_free_pages(pool), n = 0, kept = 0, i, h;
	unsigned long *handles;
	int ret = 0;
	u64 id;

	handles = kvcalloc(want ?: 1, sizeof(*handles), GFP_KERNEL | __GFP_NOWARN);
	if (!handles)
		return -ENOMEM;
	while (n < want &&
	       (h = vbuddy_alloc_movable(pool, GFP_KERNEL | __GFP_NOWARN, 0)))
		handles[n++] = h;
	for (i = 0; i < n; i++) {
		if (!ret && !(i % 4)) {
			ret = hold(pool, NULL, 0, NULL, handles[i], &id);
			if (!ret) {
				kept++;
				continue;
			}
		}
		vbuddy_free_movable(handles[i]);
	}
	kvfree(handles);
	if (ret)
		return ret;
	snprintf(res, TDRV_RESULT_LEN, "held %lu", kept);
	return 0;
}

/* Run a parsed command; its result line goes to @res (TDRV_RESULT_LEN). */
static int run(const struct tdrv_cmd *cmd, char *res)
{
	struct vbuddy_pool *pool;

	lockdep_assert_held(&tdrv_lock);
	switch (cmd->op) {
	case TDRV_CREATE:
		return cmd_create(cmd->name, cmd->num, res);
	case TDRV_DESTROY:
		return cmd_destroy(cmd->name, res);
	case TDRV_FREE:
		return cmd_free(cmd->num, res);
	default:
		break;
	}

	/* The rest name a pool. */
	pool = find_pool(cmd->name);
	if (!pool)
		return -ENOENT;
	switch (cmd->op) {
	case TDRV_ALLOC:
		return cmd_alloc(pool, cmd->num, cmd->option, res);
	case TDRV_KMALLOC:
		return cmd_kmalloc(pool, cmd->num, cmd->option, res);
	case TDRV_CHECKERBOARD:
		return cmd_checkerboard(pool, res);
	case TDRV_MOVABLE:
		return cmd_movable(pool, res);
	case TDRV_RELEASE:
		release_pool(pool);
		strscpy(res, "ok", TDRV_RESULT_LEN);
		return 0;
	default:
		return -EINVAL;
	}
}

static void drain_all(void)
{
	struct tdrv_pool *tp;

	lockdep_assert_held(&tdrv_lock);
	list_for_each_entry(tp, &tdrv_pools, node)
		vbuddy_pool_drain(tp->pool);
	vbuddy_pool_drain(vbuddy_default_pool());
}

static int control_open(struct inode *inode, struct file *file)
{
	struct tdrv_file *tf = kzalloc(sizeof(*tf), GFP_KERNEL);

	if (!tf)
		return -ENOMEM;
	file->private_data = tf;
	return 0;
}

static int control_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static ssize_t control_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct tdrv_file *tf = file->private_data;
	char buf[TDRV_CMD_MAX + 1], res[TDRV_RESULT_LEN];
	struct tdrv_cmd cmd;
	int ret;

	if (!count || count > TDRV_CMD_MAX)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	ret = parse(buf, count, &cmd);
	if (ret)
		return ret;

	mutex_lock(&tdrv_lock);
	ret = run(&cmd, res);
	drain_all();
	if (!ret)
		strscpy(tf->result, res, sizeof(tf->result));
	mutex_unlock(&tdrv_lock);
	if (ret)
		return ret;
	*ppos = 0;
	return count;
}

static ssize_t control_read(struct file *file, char __user *ubuf, size_t count,
			    loff_t *ppos)
{
	struct tdrv_file *tf = file->private_data;
	char buf[TDRV_RESULT_LEN + 1];
	int len = 0;

	mutex_lock(&tdrv_lock);
	if (*tf->result)
		len = scnprintf(buf, sizeof(buf), "%s\n", tf->result);
	mutex_unlock(&tdrv_lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

/*
 * mmap(2) at offset <id> pages maps the pages of a block the driver holds
 * (from "alloc") into the caller with vm_insert_page(), as a driver lends
 * pages to a process: the kselftest frees the block while it is mapped and
 * watches vbuddy hold it back until the munmap().
 */
static int control_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long i, pages = vma_pages(vma);
	struct tdrv_obj *obj;
	int ret = 0;

	mutex_lock(&tdrv_lock);
	obj = find_obj(vma->vm_pgoff);
	if (!obj || !obj->page)
		ret = -ENOENT;
	else if (pages > 1UL << obj->order)
		ret = -EINVAL;
	for (i = 0; !ret && i < pages; i++)
		ret = vm_insert_page(vma, vma->vm_start + (i << PAGE_SHIFT),
				     nth_page(obj->page, i));
	mutex_unlock(&tdrv_lock);
	return ret;
}

static const struct file_operations control_fops = {
	.owner = THIS_MODULE,
	.open = control_open,
	.release = control_release,
	.read = control_read,
	.write = control_write,
	.mmap = control_mmap,
	.llseek = default_llseek,
};

static int __init tdrv_init(void)
{
	tdrv_dir = debugfs_create_dir("vbuddy_test", NULL);
	/*
	 * "unsafe": the full debugfs proxy has no mmap. Removal is safe all
	 * the same: an open file pins the module (.owner), and the file goes
	 * only at unload.
	 */
	debugfs_create_file_unsafe("control", 0600, tdrv_dir, NULL, &control_fops);
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
