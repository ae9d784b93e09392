// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs: what each pool looks like, under /sys/kernel/debug/vbuddy/<pool>/.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kstrtox.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "classes.h"
#include "compact.h"
#include "debugfs.h"
#include "fault.h"
#include "pcp.h"
#include "pool.h"
#include "window.h"

/**
 * DOC: debugfs
 *
 * Each pool has a directory /sys/kernel/debug/vbuddy/<pool>/, made when the
 * pool is created and removed with it, of read-only files and two that
 * may be written (compact, compaction_proactiveness):
 *
 * buddyinfo
 *   free blocks per order on the pool's free lists, in the format of
 *   /proc/buddyinfo, the pool's name standing for the zone; like the
 *   kernel's, it leaves out the free blocks of the per-CPU lists.
 * extfrag
 *   ``# unusable_index`` and ``# extfrag_index``, each followed by a line
 *   per order as /sys/kernel/debug/extfrag/{unusable_index,extfrag_index}
 *   prints it, computed with the formulas of mm/vmstat.c over the pool's
 *   free blocks, so the numbers compare with the kernel's own.
 * stats
 *   every counter, one ``name value`` per line: nr_pages, free_pages (on
 *   the free lists, as buddyinfo), cached_pages (free too: on the per-CPU
 *   lists and in the size classes' empty pages), held_back_pages (freed
 *   while still referenced, waiting for the references to go) and
 *   lost_pages (freed to the kernel by someone else, out of service),
 *   alloc_order<N> and alloc_fail_order<N> (contiguous allocations served
 *   and refused, per order), the events (free, bad_input, virt_served,
 *   virt_pages_mapped, virt_freed,
 *   virt_refused_{no_pages,no_slot,atomic,too_big,map_failed}, pcp_refill,
 *   pcp_drain, reclaim, held_back, compact_runs, compact_direct,
 *   compact_proactive, compact_down, compact_deferred, compact_success,
 *   compact_fail,
 *   compact_blocks_moved, compact_pages_moved, compact_pinned_skips,
 *   virt_reused),
 *   slots_in_use, slots_peak,
 *   and per size class class<size>_objects and class<size>_pages.
 * pagemap
 *   one character per page in pfn order, 64 a line: ``.`` free, ``,`` free
 *   on a per-CPU list, ``P`` vbuddy_alloc_pages(), ``L`` a kmalloc of whole
 *   pages, ``C`` a page of small objects, ``V`` a page of a GFP_VIRTOK
 *   range, ``H`` held back (freed, still referenced), ``X`` out of service,
 *   ``M`` a movable block (vbuddy_alloc_movable()).
 *   Read a span at a time: on a busy pool, not one instant's picture.
 * pcp
 *   the per-CPU caches: a line ``order<N> high <h> low <l> batch <b> max <m>``
 *   per order 0..4, in blocks (``-`` for an order that bypasses the caches;
 *   ``max``: the most an order-0 list's mark rises to), then ``cpu<N>``, the
 *   blocks on each of that CPU's lists and ``high <h>``, its order-0 mark.
 * window
 *   ``slots <total> in_use <n> peak <p> kept <k> keep <m>`` (in use counts
 *   the ranges kept mapped after their free, ``kept``, of at most ``keep``:
 *   virtok_keep), then a line per slot in use or kept, its address hashed
 *   as %p prints it, and its state.
 * compact
 *   reads ``score <s> proactiveness <p> movable_pages <n>`` (the
 *   fragmentation score, 0..100: the percentage of free pages in blocks
 *   below order 4); writing an order N runs vbuddy_pool_compact(pool, N),
 *   and the write fails with ENOSPC if no free block of order N exists
 *   afterwards.
 * compaction_proactiveness
 *   0..100, the background worker's setting for this pool (the module
 *   parameter compaction_proactiveness is the default); 0 turns it off.
 * check
 *   runs every invariant checker of the pool: ``ok`` or ``corrupt``; then
 *   ``free lists not checked: the pool kept changing`` if it never found
 *   the pool still long enough to compare the free lists with the blocks,
 *   and ``held_back_pages <n>`` and ``lost_pages <n>`` when not zero. Like
 *   every file here, it holds the pool lock for a bounded time only.
 */

static struct dentry *vbuddy_debugfs_root;

static void print_zone(struct seq_file *m, struct vbuddy_pool *pool)
{
	seq_printf(m, "Node %d, zone %8s ", 0, pool->name);
}

static int buddyinfo_show(struct seq_file *m, void *v)
{
	struct vbuddy_pool *pool = m->private;
	unsigned long nr_free[VBUDDY_NR_ORDERS];
	unsigned int order;

	vbuddy_pool_nr_free(pool, nr_free);
	print_zone(m, pool);
	for (order = 0; order <= VBUDDY_MAX_ORDER; order++)
		seq_printf(m, "%6lu ", nr_free[order]);
	seq_putc(m, '\n');
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(buddyinfo);

/* As mm/vmstat.c's struct contig_page_info and fill_contig_page_info(). */
struct contig_page_info {
	unsigned long free_pages;
	unsigned long free_blocks_total;
	unsigned long free_blocks_suitable;
};

static void fill_contig_page_info(const unsigned long *nr_free,
				  unsigned int suitable_order,
				  struct contig_page_info *info)
{
	unsigned int order;

	info->free_pages = 0;
	info->free_blocks_total = 0;
	info->free_blocks_suitable = 0;
	for (order = 0; order <= VBUDDY_MAX_ORDER; order++) {
		unsigned long blocks = nr_free[order];

		info->free_blocks_total += blocks;
		info->free_pages += blocks << order;
		if (order >= suitable_order)
			info->free_blocks_suitable += blocks << (order - suitable_order);
	}
}

/* mm/vmstat.c: unusable_free_index() */
static int unusable_free_index(unsigned int order, struct contig_page_info *info)
{
	if (info->free_pages == 0)
		return 1000;
	return div_u64((info->free_pages - (info->free_blocks_suitable << order)) * 1000ULL,
		       info->free_pages);
}

/* mm/vmstat.c: __fragmentation_index() */
static int fragmentation_index(unsigned int order, struct contig_page_info *info)
{
	unsigned long requested = 1UL << order;

	if (!info->free_blocks_total)
		return 0;
	if (info->free_blocks_suitable)
		return -1000;
	return 1000 - div_u64((1000 + (div_u64(info->free_pages * 1000ULL, requested))),
			      info->free_blocks_total);
}

static int extfrag_show(struct seq_file *m, void *v)
{
	struct vbuddy_pool *pool = m->private;
	unsigned long nr_free[VBUDDY_NR_ORDERS];
	struct contig_page_info info;
	unsigned int order;
	int index;

	vbuddy_pool_nr_free(pool, nr_free);
	seq_puts(m, "# unusable_index\n");
	print_zone(m, pool);
	for (order = 0; order <= VBUDDY_MAX_ORDER; order++) {
		fill_contig_page_info(nr_free, order, &info);
		index = unusable_free_index(order, &info);
		seq_printf(m, "%d.%03d ", index / 1000, index % 1000);
	}
	seq_puts(m, "\n# extfrag_index\n");
	print_zone(m, pool);
	for (order = 0; order <= VBUDDY_MAX_ORDER; order++) {
		fill_contig_page_info(nr_free, order, &info);
		index = fragmentation_index(order, &info);
		seq_printf(m, "%2d.%03d ", index / 1000, index % 1000);
	}
	seq_putc(m, '\n');
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(extfrag);

static int stats_show(struct seq_file *m, void *v)
{
	struct vbuddy_pool *pool = m->private;
	struct vbuddy_class classes[VBUDDY_NR_CLASSES];
	struct vbuddy_stats st;
	unsigned long flags, free_pages, cached, held_back, lost;
	unsigned int i;

	vbuddy_pool_get_stats(pool, &st);
	cached = vbuddy_pool_cached_pages(pool);
	spin_lock_irqsave(&pool->lock, flags);
	free_pages = pool->buddy.free_frames;
	held_back = pool->held_back_pages;
	lost = pool->lost_pages;
	memcpy(classes, pool->classes->class, sizeof(classes));
	spin_unlock_irqrestore(&pool->lock, flags);

	seq_printf(m, "nr_pages %lu\nfree_pages %lu\ncached_pages %lu\n", pool->nr_pages,
		   free_pages, cached);
	seq_printf(m, "held_back_pages %lu\nlost_pages %lu\n", held_back, lost);
	for (i = 0; i <= VBUDDY_MAX_ORDER; i++)
		seq_printf(m, "alloc_order%u %lu\n", i, st.alloc[i]);
	for (i = 0; i <= VBUDDY_MAX_ORDER; i++)
		seq_printf(m, "alloc_fail_order%u %lu\n", i, st.alloc_fail[i]);
	for (i = 0; i < VBUDDY_EV_NR; i++)
		seq_printf(m, "%s %lu\n", vbuddy_event_names[i], st.events[i]);
	seq_printf(m, "slots_in_use %lu\nslots_peak %lu\n", st.slots_in_use, st.slots_peak);
	for (i = 0; i < VBUDDY_NR_CLASSES; i++)
		seq_printf(m, "class%u_objects %lu\nclass%u_pages %lu\n",
			   vbuddy_class_size[i], classes[i].objects,
			   vbuddy_class_size[i], classes[i].pages);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

static char block_char(struct vbuddy_pool *pool, const struct buddy_block *blk)
{
	static const char tag_char[] = {
		[VBUDDY_TAG_PAGES] = 'P', [VBUDDY_TAG_LARGE] = 'L',
		[VBUDDY_TAG_CLASS] = 'C', [VBUDDY_TAG_VIRT] = 'V',
		[VBUDDY_TAG_HELD_BACK] = 'H', [VBUDDY_TAG_LOST] = 'X',
		[VBUDDY_TAG_MOVABLE] = 'M',
	};
	u8 owner;

	if (blk->state == BUDDY_FREE)
		return '.';
	/* Under the pool lock only: see the owner-byte protocol in pcp.c. */
	owner = blk->order < VBUDDY_PCP_ORDERS ? vbuddy_pcp_owner(pool, blk->index) : 0;
	if (owner == VBUDDY_OWN_CACHED)
		return ',';
	if (owner & VBUDDY_OWN_LARGE)	/* whole pages of a kmalloc, from a cache */
		return 'L';
	return blk->tag < ARRAY_SIZE(tag_char) ? tag_char[blk->tag] : '?';
}

static int pagemap_show(struct seq_file *m, void *v)
{
	struct vbuddy_pool *pool = m->private;
	unsigned long flags, i, n = 0;
	struct buddy_block blk;
	u32 s, j, len;
	char *map;

	map = kvmalloc(pool->nr_pages, GFP_KERNEL);
	if (!map)
		return -ENOMEM;
	/*
	 * A span (at most 2^VBUDDY_MAX_ORDER frames) per hold of the pool
	 * lock: the picture is not one instant's, but no section with
	 * interrupts off grows with the pool. Spans never change.
	 */
	for (s = 0; s < pool->buddy.nr_spans; s++) {
		const struct buddy_span *span = &pool->buddy.spans[s];

		spin_lock_irqsave(&pool->lock, flags);
		for (j = 0; j < span->nr; j += len) {
			if (buddy_lookup(&pool->buddy, span->pfn + j, &blk))
				break;
			len = (1U << blk.order) - (span->pfn + j - blk.pfn);
			memset(map + n, block_char(pool, &blk), len);
			n += len;
		}
		spin_unlock_irqrestore(&pool->lock, flags);
		cond_resched();
	}

	for (i = 0; i < n; i += 64) {
		seq_write(m, map + i, min(64UL, n - i));
		seq_putc(m, '\n');
	}
	kvfree(map);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pagemap);

static int compact_show(struct seq_file *m, void *v)
{
	struct vbuddy_pool *pool = m->private;

	seq_printf(m, "score %u proactiveness %u movable_pages %lu\n",
		   vbuddy_compact_score(pool), vbuddy_compact_proactiveness(pool),
		   vbuddy_compact_movable_pages(pool));
	return 0;
}

static int compact_open(struct inode *inode, struct file *file)
{
	return single_open(file, compact_show, inode->i_private);
}

static ssize_t compact_write(struct file *file, const char __user *ubuf, size_t len,
			     loff_t *ppos)
{
	struct vbuddy_pool *pool = file_inode(file)->i_private;
	unsigned int order;
	int ret;

	ret = kstrtouint_from_user(ubuf, len, 0, &order);
	if (ret)
		return ret;
	if (order > VBUDDY_MAX_ORDER)
		return -EINVAL;
	ret = vbuddy_pool_compact(pool, order);
	return ret ? ret : len;
}

static const struct file_operations compact_fops = {
	.owner = THIS_MODULE,
	.open = compact_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = compact_write,
};

static int proactiveness_get(void *data, u64 *val)
{
	*val = vbuddy_compact_proactiveness(data);
	return 0;
}

static int proactiveness_set(void *data, u64 val)
{
	return val > 100 ? -EINVAL : vbuddy_compact_set_proactiveness(data, val);
}

DEFINE_DEBUGFS_ATTRIBUTE(proactiveness_fops, proactiveness_get, proactiveness_set, "%llu\n");

static int window_show(struct seq_file *m, void *v)
{
	static const char *const state_names[] = {
		[VBUDDY_SLOT_FREE] = "free", [VBUDDY_SLOT_MAPPING] = "mapping",
		[VBUDDY_SLOT_IN_USE] = "in_use", [VBUDDY_SLOT_KEPT] = "kept",
		[VBUDDY_SLOT_FREEING] = "freeing",
		[VBUDDY_SLOT_UNMAPPING] = "unmapping",
	};
	struct vbuddy_pool *pool = m->private;
	struct vbuddy_window *w = pool->window;
	unsigned long flags, in_use, peak;
	unsigned int i, kept, max_kept;
	struct vbuddy_slot *slots;

	slots = kvmalloc_array(w->nr_slots ?: 1, sizeof(*slots), GFP_KERNEL);
	if (!slots)
		return -ENOMEM;
	spin_lock_irqsave(&pool->lock, flags);
	memcpy(slots, w->slots, w->nr_slots * sizeof(*slots));
	in_use = w->in_use;
	peak = w->peak;
	kept = w->nr_kept;
	max_kept = w->max_kept;
	spin_unlock_irqrestore(&pool->lock, flags);

	seq_printf(m, "slots %u in_use %lu peak %lu kept %u keep %u\n", w->nr_slots, in_use,
		   peak, kept, max_kept);
	for (i = 0; i < w->nr_slots; i++)
		if (slots[i].state != VBUDDY_SLOT_FREE)
			seq_printf(m, "slot %u pages %u addr %p state %s\n", i,
				   slots[i].nr_pages, (void *)slots[i].addr,
				   state_names[slots[i].state]);
	kvfree(slots);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(window);

static int pcp_show_cpu(struct vbuddy_pool *pool, struct vbuddy_pcp *pcp,
			unsigned int cpu, void *m)
{
	unsigned int order;

	seq_printf(m, "cpu%u", cpu);
	for (order = 0; order < VBUDDY_PCP_ORDERS; order++)
		seq_printf(m, " %u", pcp->count[order]);
	seq_printf(m, " high %u\n", pcp->high[0]);
	return 0;
}

static int pcp_show(struct seq_file *m, void *v)
{
	struct vbuddy_pool *pool = m->private;
	unsigned int order;

	for (order = 0; order < VBUDDY_PCP_ORDERS; order++) {
		if (vbuddy_pcp_serves(pool, order))
			seq_printf(m, "order%u high %u low %u batch %u max %u\n", order,
				   pool->pcp->high[order], pool->pcp->low[order],
				   pool->pcp->batch[order],
				   order ? pool->pcp->high[order] : pool->pcp->high_max);
		else
			seq_printf(m, "order%u high - low - batch - max -\n", order);
	}
	vbuddy_pcp_walk(pool, pcp_show_cpu, m, true);	/* seq_printf() does not sleep */
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pcp);

static int check_show(struct seq_file *m, void *v)
{
	struct vbuddy_pool *pool = m->private;
	unsigned long flags, held_back, lost;
	bool lists;

	seq_puts(m, vbuddy_pool_check_lists(pool, &lists) ? "corrupt\n" : "ok\n");
	if (!lists)
		seq_puts(m, "free lists not checked: the pool kept changing\n");
	spin_lock_irqsave(&pool->lock, flags);
	held_back = pool->held_back_pages;
	lost = pool->lost_pages;
	spin_unlock_irqrestore(&pool->lock, flags);
	if (held_back)
		seq_printf(m, "held_back_pages %lu\n", held_back);
	if (lost)
		seq_printf(m, "lost_pages %lu\n", lost);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(check);

/**
 * vbuddy_debugfs_pool_add() - make a pool's debugfs directory
 * @pool: the pool, fully set up
 *
 * Context: Process context. Failures are not fatal: debugfs is optional.
 */
void vbuddy_debugfs_pool_add(struct vbuddy_pool *pool)
{
	struct dentry *dir;

	dir = debugfs_create_dir(pool->name, vbuddy_debugfs_root);
	pool->debugfs = dir;
	/* -ENODEV: a kernel without debugfs, nothing to report. */
	if (IS_ERR(dir) && PTR_ERR(dir) != -ENODEV) {
		pr_warn("pool %s: no debugfs directory: %pe\n", pool->name, dir);
		return;
	}
	debugfs_create_file("buddyinfo", 0400, dir, pool, &buddyinfo_fops);
	debugfs_create_file("extfrag", 0400, dir, pool, &extfrag_fops);
	debugfs_create_file("stats", 0400, dir, pool, &stats_fops);
	debugfs_create_file("pagemap", 0400, dir, pool, &pagemap_fops);
	debugfs_create_file("window", 0400, dir, pool, &window_fops);
	debugfs_create_file("pcp", 0400, dir, pool, &pcp_fops);
	debugfs_create_file("check", 0400, dir, pool, &check_fops);
	debugfs_create_file("compact", 0600, dir, pool, &compact_fops);
	debugfs_create_file_unsafe("compaction_proactiveness", 0600, dir, pool,
				   &proactiveness_fops);
}

/**
 * vbuddy_debugfs_pool_remove() - remove a pool's debugfs directory
 * @pool: the pool, before it is freed
 *
 * Context: Process context; waits for readers to finish.
 */
void vbuddy_debugfs_pool_remove(struct vbuddy_pool *pool)
{
	debugfs_remove_recursive(pool->debugfs);
	pool->debugfs = NULL;
}

void vbuddy_debugfs_init(void)
{
	vbuddy_debugfs_root = debugfs_create_dir("vbuddy", NULL);
	if (IS_ERR(vbuddy_debugfs_root) && PTR_ERR(vbuddy_debugfs_root) != -ENODEV)
		pr_warn("no debugfs directory: %pe\n", vbuddy_debugfs_root);
	vbuddy_fault_debugfs(vbuddy_debugfs_root);
}

void vbuddy_debugfs_exit(void)
{
	debugfs_remove_recursive(vbuddy_debugfs_root);
	vbuddy_debugfs_root = NULL;
}
