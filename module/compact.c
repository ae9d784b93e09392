// SPDX-License-Identifier: GPL-2.0
/*
 * Movable allocations and compaction: blocks reached through a handle,
 * which vbuddy may move to another place of the pool while nobody has them
 * mapped, so that fragmentation is repaired rather than mapped around.
 *
 * Lock order: compact->lock (a mutex: one compaction run per pool at a
 * time) -> pool->lock. The handle's state word is never waited on: map,
 * unmap and free change it with one compare-and-exchange, in any context.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/highmem.h>
#include <linux/jiffies.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "compact.h"
#include "fault.h"
#include "pool.h"
#include "vbuddy_trace.h"

/**
 * DOC: handles
 *
 * vbuddy_alloc_movable() returns a handle: a pointer to a &struct
 * vbuddy_movable, whose one word of state says where the block is and who
 * is looking at it, as zsmalloc's handles do (mm/zsmalloc.c):
 *
 * ============  ===========================================================
 * bits 0-15     pins: vbuddy_map_movable() calls not yet unmapped
 * bit 16        MOVING: a compaction run is copying the block
 * bit 17        FREED: vbuddy_free_movable() was called during the copy
 * bit 18        DIRTY: the block was mapped during the copy
 * bits 19-48    the frame index of the block in its pool
 * ============  ===========================================================
 *
 * The protocol, every change one atomic64_try_cmpxchg() (fully ordered):
 *
 * - map: refused if FREED; else pins + 1, and DIRTY if MOVING is set. The
 *   address is that of the frame index in the value it replaced, which
 *   stays valid while the pin holds: a move commits only with no pin and
 *   DIRTY clear.
 * - unmap: pins - 1 (refused at 0).
 * - free: refused with a pin or FREED set; else sets FREED. If MOVING was
 *   clear, the block and the handle are freed at once: no run can start a
 *   move now (it needs FREED clear). If MOVING was set, the run in the
 *   middle of the move frees both when its commit fails.
 * - a compaction run, under the pool lock, finds the handle of the block
 *   to move in the pool's handle array (whose entries the pool lock
 *   guards, so the handle cannot be freed meanwhile), and sets MOVING if
 *   the word has no pin and neither flag; otherwise the block is pinned
 *   and stays (counted, never waited for). It copies the block without the
 *   lock, then commits: replace exactly "old index, MOVING, no pin, not
 *   DIRTY" with "new index". A map during the copy set DIRTY, so the
 *   commit fails even if that map was unmapped since (however many maps
 *   came and went: a flag, not a counter that could wrap), and whatever it
 *   wrote to the old place is kept: the run frees the destination and
 *   clears MOVING and DIRTY, or, if FREED was set, frees the source and
 *   the handle too.
 *
 * So a map never waits, a pinned block never moves, a block is never
 * freed twice, and data written through a map is never lost to a copy.
 * A pool's handles are kept, by the frame index of their block's head, in
 * an array of the pool's size (8 bytes per page); a destination is entered
 * before the copy, so that whatever happens to the handle after the commit
 * finds it there. With init_on_free, whichever copy a move leaves behind
 * (the source after a commit, the destination after a failed one) is
 * zeroed before it goes back to the free lists.
 */

#define MOV_PINS		GENMASK_ULL(15, 0)
#define MOV_MOVING		BIT_ULL(16)
#define MOV_FREED		BIT_ULL(17)
#define MOV_DIRTY		BIT_ULL(18)
#define MOV_IDX_SHIFT		19
#define MOV_IDX			GENMASK_ULL(48, MOV_IDX_SHIFT)

/* A pool has at most 2^30 pages (pool.c): their frame indices fit. */
static_assert(48 - MOV_IDX_SHIFT + 1 >= 30);

/**
 * struct vbuddy_movable - a movable block: what a handle points to
 * @state: see "handles"
 * @pool: the pool it lives in; fixed
 * @order: its order; fixed
 */
struct vbuddy_movable {
	atomic64_t state;
	struct vbuddy_pool *pool;
	unsigned int order;
};

/**
 * struct vbuddy_compact - a pool's movable blocks and its compaction
 * @pool: the pool
 * @lock: one compaction run at a time; taken before the pool lock
 * @handles: the handle of each movable block, at the frame index of its
 *           head (and of a move's destination during the copy); guarded by
 *           the pool lock
 * @movable_pages: pages in movable blocks; guarded by the pool lock
 * @proactiveness: 0..100, as vm.compaction_proactiveness: 0 turns the
 *                 background worker off; written with WRITE_ONCE(), read
 *                 with READ_ONCE() (a setting: any recent value will do)
 * @stopping: the pool is going away: no new run, and a run ends at its
 *            next move; WRITE_ONCE()/READ_ONCE()
 * @direct_waiting: direct compactions waiting for @lock or running; a
 *                  background run gives way to them
 * @defer_order: direct compaction of this order or more failed since the
 *               last success (VBUDDY_NR_ORDERS: none did); written under
 *               @lock, read before it with READ_ONCE()
 * @defer_shift: after a failure, direct compaction of such an order runs
 *               once per 2^@defer_shift requests (at most 64), as
 *               mm/compaction.c's defer_compaction(); as @defer_order
 * @considered: requests deferred since the last direct run
 * @proactive_defer: worker intervals to skip after a background run that
 *                   did not lower the score; only the worker touches it
 * @work: the background worker
 */
struct vbuddy_compact {
	struct vbuddy_pool *pool;
	struct mutex lock;		/* see above */
	struct vbuddy_movable **handles;
	unsigned long movable_pages;
	unsigned int proactiveness;
	bool stopping;
	atomic_t direct_waiting;
	unsigned int defer_order;
	unsigned int defer_shift;
	atomic_t considered;
	unsigned int proactive_defer;
	struct delayed_work work;
};

/* The longest deferral: 2^6 requests, or 2^6 worker intervals (32 s). */
#define VBUDDY_COMPACT_MAX_DEFER_SHIFT	6

static unsigned int compact_default_proactiveness = 20;
static void (*compact_move_hook)(unsigned long handle);
static struct workqueue_struct *compact_wq;

/* kcompactd looks at the fragmentation score every 500 ms; so do we. */
#define VBUDDY_COMPACT_INTERVAL		msecs_to_jiffies(500)

/**
 * vbuddy_compact_setup() - module-wide settings, before any pool exists
 * @proactiveness: what new pools start with (module parameter)
 * @wq: the workqueue of the background workers
 */
void vbuddy_compact_setup(unsigned int proactiveness, struct workqueue_struct *wq)
{
	compact_default_proactiveness = min(proactiveness, 100U);
	compact_wq = wq;
}

static inline u32 mov_idx(u64 state)
{
	return (state & MOV_IDX) >> MOV_IDX_SHIFT;
}

static inline u64 mov_with_idx(u64 state, u32 idx)
{
	return (state & ~MOV_IDX) | ((u64)idx << MOV_IDX_SHIFT);
}

static struct page *idx_page(struct vbuddy_pool *pool, u32 idx)
{
	unsigned long pfn;

	/* Reads only the spans, fixed since the pool was created. */
	if (WARN_ON_ONCE(buddy_pfn_of_index(&pool->buddy, idx, &pfn)))
		return NULL;
	return pfn_to_page(pfn);
}

static u32 pfn_idx(struct vbuddy_pool *pool, unsigned long pfn)
{
	u32 idx = 0;

	WARN_ON_ONCE(buddy_index(&pool->buddy, pfn, &idx));
	return idx;
}

/*
 * The fragmentation score: the percentage of free pages that lie in blocks
 * smaller than VBUDDY_COMPACT_ORDER (the unusable free space index at that
 * order, as compaction's fragmentation_score_zone() takes it at the huge
 * page order); 0 when nothing is free.
 */
static unsigned int score_locked(struct vbuddy_pool *pool)
{
	const struct buddy *b = &pool->buddy;
	unsigned long usable = 0;
	unsigned int o;

	lockdep_assert_held(&pool->lock);
	if (!b->free_frames)
		return 0;
	for (o = VBUDDY_COMPACT_ORDER; o <= VBUDDY_MAX_ORDER; o++)
		usable += b->nr_free[o] << o;
	return (b->free_frames - usable) * 100 / b->free_frames;
}

/**
 * vbuddy_compact_score() - a pool's fragmentation score now
 * @pool: the pool
 *
 * What the background worker compares with its marks; a test hook.
 *
 * Context: Any context.
 * Return: 0..100, see score_locked().
 */
unsigned int vbuddy_compact_score(struct vbuddy_pool *pool)
{
	unsigned long flags;
	unsigned int score;

	spin_lock_irqsave(&pool->lock, flags);
	score = score_locked(pool);
	spin_unlock_irqrestore(&pool->lock, flags);
	return score;
}
EXPORT_SYMBOL_NS_GPL(vbuddy_compact_score, VBUDDY_INTERNAL);

/* The marks of proactive compaction, as mm/compaction.c sets them. */
static unsigned int score_low(unsigned int proactiveness)
{
	return max(100 - proactiveness, 5U);
}

static unsigned int score_high(unsigned int proactiveness)
{
	return min(score_low(proactiveness) + 10, 100U);
}

/* Is the run done: a free block of @order, or (proactive) a low score? */
static bool run_done(struct vbuddy_pool *pool, unsigned int order, unsigned int low)
{
	lockdep_assert_held(&pool->lock);
	if (low)
		return score_locked(pool) <= low;
	return buddy_largest_free_order(&pool->buddy) >= (int)order;
}

static void copy_block(struct page *dst, struct page *src, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < 1UL << order; i++)
		copy_highpage(nth_page(dst, i), nth_page(src, i));
}

/*
 * The move of @mv failed to commit: clear MOVING (and DIRTY), unless the
 * handle was freed meanwhile (FREED), which is returned: the caller frees
 * the source and the handle. A cmpxchg, since a free may set FREED at any
 * moment.
 */
static bool move_abort(struct vbuddy_movable *h)
{
	u64 old = atomic64_read(&h->state);

	do {
		if (old & MOV_FREED)
			return true;
	} while (!atomic64_try_cmpxchg(&h->state, &old, old & ~(MOV_MOVING | MOV_DIRTY)));
	return false;
}

/* Free a movable block and forget its handle; the caller frees @h. */
static void movable_release(struct vbuddy_compact *c, struct vbuddy_movable *h,
			    unsigned long pfn, u32 idx)
{
	struct vbuddy_pool *pool = c->pool;

	lockdep_assert_held(&pool->lock);
	c->handles[idx] = NULL;
	c->movable_pages -= 1UL << h->order;
	WARN_ON_ONCE(buddy_free_tagged(&pool->buddy, pfn, h->order, VBUDDY_TAG_MOVABLE));
	pool->stats.events[VBUDDY_EV_FREE]++;
}

/*
 * One move of a run, the pool lock held on entry and on return (dropped
 * for the copy): returns true if the block moved. *@to_free: a handle the
 * caller frees once it drops the lock.
 */
static bool move_one(struct vbuddy_compact *c, struct buddy_compact *cc,
		     const struct buddy_move *mv, unsigned long *flags,
		     struct vbuddy_movable **to_free)
	__must_hold(&c->pool->lock)
{
	struct vbuddy_pool *pool = c->pool;
	u32 src = pfn_idx(pool, mv->src), dst = pfn_idx(pool, mv->dst);
	struct vbuddy_movable *h = c->handles[src];
	void (*hook)(unsigned long handle);
	bool moved, freed = false;
	u64 old, want;

	lockdep_assert_held(&pool->lock);
	old = h ? atomic64_read(&h->state) : 0;
	if (!h || WARN_ON_ONCE(mov_idx(old) != src) ||
	    (old & (MOV_PINS | MOV_MOVING | MOV_FREED | MOV_DIRTY)) ||
	    !atomic64_try_cmpxchg(&h->state, &old, old | MOV_MOVING)) {
		/* Pinned, or being freed this very moment: it stays. */
		buddy_compact_done(&pool->buddy, cc, mv, false);
		buddy_compact_skip(cc);
		pool->stats.events[VBUDDY_EV_COMPACT_PINNED]++;
		return false;
	}
	c->handles[dst] = h;
	spin_unlock_irqrestore(&pool->lock, *flags);

	copy_block(pfn_to_page(mv->dst), pfn_to_page(mv->src), mv->order);
	hook = READ_ONCE(compact_move_hook);
	if (unlikely(hook))
		hook((unsigned long)h);
	want = old | MOV_MOVING;
	moved = atomic64_try_cmpxchg(&h->state, &want, mov_with_idx(old, dst));
	if (!moved)
		freed = move_abort(h);
	/*
	 * init_on_free: the copy left behind is zeroed while it is still the
	 * run's: the source after a commit (nothing reaches it now), else the
	 * destination, and the source too if the block was freed meanwhile.
	 */
	if (want_init_on_free()) {
		vbuddy_clear_block(pfn_to_page(moved ? mv->src : mv->dst), mv->order);
		if (freed)
			vbuddy_clear_block(pfn_to_page(mv->src), mv->order);
	}

	spin_lock_irqsave(&pool->lock, *flags);
	if (moved) {
		c->handles[src] = NULL;
		WARN_ON_ONCE(buddy_compact_done(&pool->buddy, cc, mv, true));
		pool->stats.events[VBUDDY_EV_COMPACT_MOVED]++;
		pool->stats.events[VBUDDY_EV_COMPACT_PAGES] += 1UL << mv->order;
		trace_vbuddy_compact_move(pool->name, mv->src, mv->dst, mv->order);
		return true;
	}
	c->handles[dst] = NULL;
	WARN_ON_ONCE(buddy_compact_done(&pool->buddy, cc, mv, false));
	if (freed) {
		movable_release(c, h, mv->src, src);
		trace_vbuddy_free(pool->name, mv->src, mv->order, VBUDDY_TAG_MOVABLE);
		*to_free = h;
	} else {
		buddy_compact_skip(cc);
		pool->stats.events[VBUDDY_EV_COMPACT_PINNED]++;
	}
	return false;
}

/*
 * Regions a run judges per hold of the pool lock: it is held with
 * interrupts off, and without the free maps (the lifo placement) judging
 * a region walks the free lists.
 */
#define VBUDDY_COMPACT_BUDGET	32

/*
 * One pass of a run, in the direction @cc was begun with, the pool lock
 * held on entry and on return: moves until run_done() or the pass ends.
 * Returns 0 if run_done(), or the pool is going away, or (@low: a
 * proactive run) a request is waiting for the run's lock; -ECANCELED for
 * an injected fault; else the pass's end (buddy_compact_next()).
 */
static int compact_pass(struct vbuddy_compact *c, struct buddy_compact *cc,
			unsigned int order, unsigned int low, unsigned long *flags,
			unsigned long *moved)
	__must_hold(&c->pool->lock)
{
	struct vbuddy_pool *pool = c->pool;
	struct vbuddy_movable *to_free;
	struct buddy_move mv;
	int ret;

	while (!run_done(pool, order, low) && !READ_ONCE(c->stopping)) {
		/* A direct compaction waits for this background one: let it go first. */
		if (low && atomic_read(&c->direct_waiting))
			return 0;
		/* Fault injection: no destination, as if the pool were full. */
		if (vbuddy_should_fail(VBUDDY_FAIL_POOL))
			return -ECANCELED;
		ret = buddy_compact_next(&pool->buddy, cc, &mv);
		if (ret == -EAGAIN) {
			/* Judged its budget of regions in vain: let go a moment. */
			spin_unlock_irqrestore(&pool->lock, *flags);
			cond_resched();
			spin_lock_irqsave(&pool->lock, *flags);
			continue;
		}
		if (ret)
			return ret;
		to_free = NULL;
		*moved += move_one(c, cc, &mv, flags, &to_free);
		if (to_free) {
			spin_unlock_irqrestore(&pool->lock, *flags);
			kfree(to_free);
			spin_lock_irqsave(&pool->lock, *flags);
		}
		if (need_resched()) {
			spin_unlock_irqrestore(&pool->lock, *flags);
			cond_resched();
			spin_lock_irqsave(&pool->lock, *flags);
		}
	}
	return 0;
}

/*
 * A compaction run: move blocks until a free block of @order exists, or,
 * if @low, until the score is at most @low (regions of
 * VBUDDY_COMPACT_ORDER then); or until nothing more can move. A pass up
 * first (regions from the bottom, blocks moved above them); if it ends
 * short, a pass down (regions from the top, blocks moved below them),
 * which is what a pool whose movable blocks sit at the top (the grouped
 * placement) and whose free pages lie below them needs. Returns whether
 * it got there. The caller holds @c->lock.
 */
static bool compact_run(struct vbuddy_compact *c, unsigned int order, unsigned int low)
{
	struct vbuddy_pool *pool = c->pool;
	unsigned long flags, moved = 0;
	struct buddy_compact cc;
	bool done;
	int ret;

	lockdep_assert_held(&c->lock);
	if (trace_vbuddy_compact_begin_enabled())
		trace_vbuddy_compact_begin(pool->name, order, vbuddy_compact_score(pool));
	spin_lock_irqsave(&pool->lock, flags);
	pool->stats.events[VBUDDY_EV_COMPACT_RUN]++;
	buddy_compact_begin_dir(&cc, order, VBUDDY_TAG_MOVABLE, false);
	cc.budget = VBUDDY_COMPACT_BUDGET;
	ret = compact_pass(c, &cc, order, low, &flags, &moved);
	if (ret == -ENOMEM || ret == -ENODATA) {
		pool->stats.events[VBUDDY_EV_COMPACT_DOWN]++;
		buddy_compact_begin_dir(&cc, order, VBUDDY_TAG_MOVABLE, true);
		cc.budget = VBUDDY_COMPACT_BUDGET;
		ret = compact_pass(c, &cc, order, low, &flags, &moved);
	}
	WARN_ON_ONCE(ret == -EUCLEAN);
	done = run_done(pool, order, low);
	pool->stats.events[done ? VBUDDY_EV_COMPACT_SUCCESS : VBUDDY_EV_COMPACT_FAIL]++;
	spin_unlock_irqrestore(&pool->lock, flags);
	if (trace_vbuddy_compact_end_enabled())
		trace_vbuddy_compact_end(pool->name, order, vbuddy_compact_score(pool), moved,
					 done);
	return done;
}

/**
 * vbuddy_compact_set_move_hook() - call @fn in every move, between copy and commit
 * @fn: called with the handle being moved, in process context, without
 *      locks; NULL for none
 *
 * A test hook: what a map, a write or a free during the copy does to the
 * move, made to happen at the one moment that matters.
 */
void vbuddy_compact_set_move_hook(void (*fn)(unsigned long handle))
{
	WRITE_ONCE(compact_move_hook, fn);
}
EXPORT_SYMBOL_NS_GPL(vbuddy_compact_set_move_hook, VBUDDY_INTERNAL);

/**
 * vbuddy_pool_compact() - move movable blocks until a block of @order is free
 * @pool: the pool
 * @order: the order wanted, 1..VBUDDY_MAX_ORDER (0: whether a page is free)
 *
 * Moves unmapped blocks of vbuddy_alloc_movable() out of the lowest regions
 * of 2^@order pages that hold nothing else, to free places above them,
 * until a free block of @order exists or nothing more can move. Mapped
 * (pinned) blocks stay where they are and are counted; nothing waits for
 * them. Blocks the per-CPU caches keep are given back first.
 *
 * Context: Process context; may sleep.
 * Return: 0 if a free block of @order exists afterwards; -ENOSPC if not;
 * -EINVAL (reported) for an order above VBUDDY_MAX_ORDER.
 */
int vbuddy_pool_compact(struct vbuddy_pool *pool, unsigned int order)
{
	struct vbuddy_compact *c = pool->compact;
	unsigned long flags;
	bool done;

	might_sleep();
	if (order > VBUDDY_MAX_ORDER) {
		vbuddy_report(pool, "compaction to order %u refused: the maximum is %u",
			      order, VBUDDY_MAX_ORDER);
		return -EINVAL;
	}
	vbuddy_pool_reclaim(pool, GFP_KERNEL);
	if (order && !READ_ONCE(c->stopping)) {
		mutex_lock(&c->lock);
		done = compact_run(c, order, 0);
		mutex_unlock(&c->lock);
		return done ? 0 : -ENOSPC;
	}
	spin_lock_irqsave(&pool->lock, flags);
	done = buddy_largest_free_order(&pool->buddy) >= (int)order;
	spin_unlock_irqrestore(&pool->lock, flags);
	return done ? 0 : -ENOSPC;
}
EXPORT_SYMBOL_GPL(vbuddy_pool_compact);

/**
 * vbuddy_compact_direct() - compact for a request that found no block
 * @pool: the pool
 * @gfp: the request's flags: only one that may sleep compacts
 * @order: its order; order 0 never compacts (a free page is a free page)
 *
 * Context: As @gfp says.
 * Return: true if a free block of @order exists afterwards.
 */
bool vbuddy_compact_direct(struct vbuddy_pool *pool, gfp_t gfp, unsigned int order)
{
	struct vbuddy_compact *c = pool->compact;
	bool done;

	if (!order || order > VBUDDY_MAX_ORDER || !gfpflags_allow_blocking(gfp) ||
	    READ_ONCE(c->stopping))
		return false;
	/* A hint: a stale count costs one run, or skips one that could not help much. */
	if (!data_race(c->movable_pages))
		return false;
	/*
	 * Deferred after failures at this order or below, as the page
	 * allocator defers (settings read without the lock: a stale one costs
	 * a run, or defers one).
	 */
	if (order >= READ_ONCE(c->defer_order) &&
	    atomic_inc_return(&c->considered) < 1 << READ_ONCE(c->defer_shift)) {
		vbuddy_pool_count(pool, VBUDDY_EV_COMPACT_DEFERRED);
		return false;
	}
	vbuddy_pool_count(pool, VBUDDY_EV_COMPACT_DIRECT);
	/* A background run under way gives way when it sees this. */
	atomic_inc(&c->direct_waiting);
	mutex_lock(&c->lock);
	atomic_dec(&c->direct_waiting);
	done = compact_run(c, order, 0);
	atomic_set(&c->considered, 0);
	if (done) {
		WRITE_ONCE(c->defer_shift, 0);
		if (order >= c->defer_order)
			WRITE_ONCE(c->defer_order, order + 1);
	} else {
		WRITE_ONCE(c->defer_shift, min(c->defer_shift + 1,
					       (unsigned int)VBUDDY_COMPACT_MAX_DEFER_SHIFT));
		WRITE_ONCE(c->defer_order, min(c->defer_order, order));
	}
	mutex_unlock(&c->lock);
	return done;
}

static void compact_work(struct work_struct *work)
{
	struct vbuddy_compact *c = container_of(to_delayed_work(work), struct vbuddy_compact,
						work);
	unsigned int prf = READ_ONCE(c->proactiveness), before;

	if (!prf || READ_ONCE(c->stopping))
		return;		/* armed again by a movable allocation or a new setting */
	before = vbuddy_compact_score(c->pool);
	if (c->proactive_defer) {
		c->proactive_defer--;
	} else if (before > score_high(prf)) {
		vbuddy_pool_count(c->pool, VBUDDY_EV_COMPACT_PROACTIVE);
		mutex_lock(&c->lock);
		compact_run(c, VBUDDY_COMPACT_ORDER, score_low(prf));
		mutex_unlock(&c->lock);
		/* Nothing gained (fixed or pinned blocks): wait, as kcompactd does. */
		if (vbuddy_compact_score(c->pool) >= before)
			c->proactive_defer = 1 << VBUDDY_COMPACT_MAX_DEFER_SHIFT;
	}
	/* Nothing movable, nothing to do until the next movable allocation. */
	if (data_race(c->movable_pages))
		queue_delayed_work(compact_wq, &c->work, VBUDDY_COMPACT_INTERVAL);
}

/* Start the worker if it is wanted and not running. */
static void compact_arm(struct vbuddy_compact *c)
{
	if (READ_ONCE(c->proactiveness) && !READ_ONCE(c->stopping) &&
	    !delayed_work_pending(&c->work))
		queue_delayed_work(compact_wq, &c->work, VBUDDY_COMPACT_INTERVAL);
}

/**
 * vbuddy_compact_proactiveness() - a pool's proactiveness
 * @pool: the pool
 *
 * Return: 0..100.
 */
unsigned int vbuddy_compact_proactiveness(struct vbuddy_pool *pool)
{
	return READ_ONCE(pool->compact->proactiveness);
}

/**
 * vbuddy_compact_set_proactiveness() - change it; 0 stops the worker
 * @pool: the pool
 * @value: 0..100
 *
 * Written through debugfs (compaction_proactiveness), and a test hook.
 *
 * Context: Process context.
 * Return: 0, or -EINVAL above 100.
 */
int vbuddy_compact_set_proactiveness(struct vbuddy_pool *pool, unsigned int value)
{
	if (value > 100)
		return -EINVAL;
	WRITE_ONCE(pool->compact->proactiveness, value);
	compact_arm(pool->compact);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(vbuddy_compact_set_proactiveness, VBUDDY_INTERNAL);

/**
 * vbuddy_compact_movable_pages() - pages in movable blocks now
 * @pool: the pool
 *
 * Return: a snapshot.
 */
unsigned long vbuddy_compact_movable_pages(struct vbuddy_pool *pool)
{
	unsigned long flags, n;

	spin_lock_irqsave(&pool->lock, flags);
	n = pool->compact->movable_pages;
	spin_unlock_irqrestore(&pool->lock, flags);
	return n;
}

/* Flags of the caller that apply to the handle's own small allocation. */
static gfp_t handle_gfp(gfp_t gfp)
{
	return gfp & (__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_NOWARN | __GFP_NORETRY |
		      __GFP_RETRY_MAYFAIL | __GFP_NOFAIL | __GFP_HIGH | __GFP_NOMEMALLOC);
}

/*
 * One try at a movable block for @h: its head's pfn, or 0. The handle
 * starts with one pin, so that no run moves the block before the caller
 * has zeroed it (init_on_alloc): it drops the pin then.
 */
static unsigned long movable_take(struct vbuddy_compact *c, struct vbuddy_movable *h)
{
	struct vbuddy_pool *pool = c->pool;
	unsigned long flags, pfn = 0;
	u32 idx;

	if (vbuddy_should_fail(VBUDDY_FAIL_POOL))
		return 0;
	spin_lock_irqsave(&pool->lock, flags);
	if (!buddy_alloc_hint(&pool->buddy, h->order, true, &pfn)) {
		buddy_set_tag(&pool->buddy, pfn, VBUDDY_TAG_MOVABLE);
		idx = pfn_idx(pool, pfn);
		atomic64_set(&h->state, ((u64)idx << MOV_IDX_SHIFT) | 1);
		c->handles[idx] = h;
		c->movable_pages += 1UL << h->order;
		pool->stats.alloc[h->order]++;
	}
	spin_unlock_irqrestore(&pool->lock, flags);
	return pfn;
}

/**
 * vbuddy_alloc_movable() - allocate 2^@order contiguous pages that may move
 * @pool: the pool
 * @gfp: GFP flags as for vbuddy_alloc_pages(); __GFP_ZERO zeroes the
 *       block; the handle itself is a small kmalloc() in @gfp's context
 * @order: 0..VBUDDY_MAX_ORDER
 *
 * The block is placed with the movable ones (the grouped placement keeps
 * them at the top end) and compaction may move it while it is not mapped:
 * reach it only through vbuddy_map_movable(). A request of order 1 or more
 * that finds no block, and may sleep, compacts the pool first.
 *
 * Context: Any context, with a @gfp that says so.
 * Return: a handle (never 0), or 0 if the pool has no room or, reported, for
 * a bad @order or flag.
 */
unsigned long vbuddy_alloc_movable(struct vbuddy_pool *pool, gfp_t gfp, unsigned int order)
{
	struct vbuddy_compact *c = pool->compact;
	unsigned long start = jiffies, pfn;
	struct vbuddy_movable *h;

	might_alloc(gfp & ~GFP_VIRTOK);
	if (!vbuddy_pool_contig_ok(pool, gfp, order, __func__))
		return 0;
	h = kmalloc(sizeof(*h), handle_gfp(gfp));
	if (!h)
		return 0;
	h->pool = pool;
	h->order = order;

	do {
		pfn = movable_take(c, h);
		if (!pfn && vbuddy_pool_reclaim(pool, gfp))
			pfn = movable_take(c, h);
		if (!pfn && vbuddy_compact_direct(pool, gfp, order))
			pfn = movable_take(c, h);
	} while (!pfn && vbuddy_pool_nofail_retry(pool, gfp, start));
	if (!pfn) {
		kfree(h);
		vbuddy_pool_contig_failed(pool, gfp, order);
		return 0;
	}
	trace_vbuddy_alloc(pool->name, pfn, order, VBUDDY_TAG_MOVABLE);
	if (want_init_on_alloc(gfp))
		vbuddy_clear_block(pfn_to_page(pfn), order);
	/* the pin movable_take() gave it; fully ordered, after the zeroes */
	atomic64_dec_return(&h->state);
	compact_arm(c);
	return (unsigned long)h;
}
EXPORT_SYMBOL_GPL(vbuddy_alloc_movable);

/**
 * vbuddy_map_movable() - the address of a movable block, pinning it
 * @handle: from vbuddy_alloc_movable()
 *
 * The block does not move until the matching vbuddy_unmap_movable(); pins
 * nest. Keep it mapped for as long as anything (a device's DMA) may touch
 * it; a pinned block is never waited for, only passed over by compaction.
 *
 * Context: Any context, interrupts included; never sleeps nor spins.
 * Return: the block's address in the kernel's direct map, or NULL
 * (reported) for a handle being freed or with 65535 pins.
 */
void *vbuddy_map_movable(unsigned long handle)
{
	struct vbuddy_movable *h = (struct vbuddy_movable *)handle;
	struct page *page;
	u64 old;

	if (WARN_ONCE(!h, "vbuddy: map of handle 0\n"))
		return NULL;
	old = atomic64_read(&h->state);
	do {
		if ((old & MOV_FREED) || (old & MOV_PINS) == MOV_PINS) {
			vbuddy_report(h->pool, "map of handle %p refused: %s", h,
				      old & MOV_FREED ? "freed" : "too many pins");
			return NULL;
		}
	} while (!atomic64_try_cmpxchg(&h->state, &old,
				       (old + 1) | (old & MOV_MOVING ? MOV_DIRTY : 0)));
	page = idx_page(h->pool, mov_idx(old));
	return page ? page_address(page) : NULL;
}
EXPORT_SYMBOL_GPL(vbuddy_map_movable);

/**
 * vbuddy_unmap_movable() - drop a pin of vbuddy_map_movable()
 * @handle: the handle
 *
 * The address it gave may be stale afterwards: compaction may move the
 * block.
 *
 * Context: Any context.
 */
void vbuddy_unmap_movable(unsigned long handle)
{
	struct vbuddy_movable *h = (struct vbuddy_movable *)handle;
	u64 old;

	if (WARN_ONCE(!h, "vbuddy: unmap of handle 0\n"))
		return;
	old = atomic64_read(&h->state);
	do {
		if (!(old & MOV_PINS)) {
			vbuddy_report(h->pool, "unmap of handle %p refused: not mapped", h);
			return;
		}
	} while (!atomic64_try_cmpxchg(&h->state, &old, old - 1));
}
EXPORT_SYMBOL_GPL(vbuddy_unmap_movable);

/**
 * vbuddy_free_movable() - free a block of vbuddy_alloc_movable()
 * @handle: the handle, or 0 (nothing is done)
 *
 * A block still mapped is reported and not freed. With the init_on_free
 * boot option the block is zeroed first.
 *
 * Context: Any context.
 */
void vbuddy_free_movable(unsigned long handle)
{
	struct vbuddy_movable *h = (struct vbuddy_movable *)handle;
	struct vbuddy_pool *pool;
	struct page *page;
	unsigned long flags;
	u64 old;

	if (!h)
		return;
	pool = h->pool;
	old = atomic64_read(&h->state);
	do {
		if (old & (MOV_FREED | MOV_PINS)) {
			vbuddy_report(pool, "free of handle %p refused: %s", h,
				      old & MOV_FREED ? "double free" : "still mapped");
			return;
		}
	} while (!atomic64_try_cmpxchg(&h->state, &old, old | MOV_FREED));
	if (old & MOV_MOVING)
		return;		/* the run moving it frees it */

	page = idx_page(pool, mov_idx(old));
	if (!page)
		return;
	if (want_init_on_free())
		vbuddy_clear_block(page, h->order);
	spin_lock_irqsave(&pool->lock, flags);
	movable_release(pool->compact, h, page_to_pfn(page), mov_idx(old));
	spin_unlock_irqrestore(&pool->lock, flags);
	trace_vbuddy_free(pool->name, page_to_pfn(page), h->order, VBUDDY_TAG_MOVABLE);
	kfree(h);
}
EXPORT_SYMBOL_GPL(vbuddy_free_movable);

/**
 * vbuddy_compact_init() - set up a pool's movable blocks and compaction
 * @pool: the pool, its buddy allocator ready, not yet registered
 *
 * Context: Process context; may sleep.
 * Return: 0 or -ENOMEM.
 */
int vbuddy_compact_init(struct vbuddy_pool *pool)
{
	struct vbuddy_compact *c;

	c = vbuddy_should_fail(VBUDDY_FAIL_KERNEL) ? NULL : kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	pool->compact = c;
	c->pool = pool;
	mutex_init(&c->lock);
	INIT_DELAYED_WORK(&c->work, compact_work);
	c->proactiveness = compact_default_proactiveness;
	c->defer_order = VBUDDY_NR_ORDERS;
	atomic_set(&c->direct_waiting, 0);
	atomic_set(&c->considered, 0);
	c->handles = vbuddy_kvcalloc(pool->nr_pages, sizeof(*c->handles));
	return c->handles ? 0 : -ENOMEM;
}

/**
 * vbuddy_compact_stop() - no more compaction of a pool going away
 * @pool: the pool
 *
 * The worker is stopped and waited for; a run under way ends at its next
 * move (vbuddy_pool_compact() through debugfs is waited for when the
 * files go).
 *
 * Context: Process context; may sleep.
 */
void vbuddy_compact_stop(struct vbuddy_pool *pool)
{
	struct vbuddy_compact *c = pool->compact;

	if (!c)
		return;
	WRITE_ONCE(c->stopping, true);
	cancel_delayed_work_sync(&c->work);
	vbuddy_compact_quiesce(pool);	/* a direct or debugfs run: ends at its next move */
}

/**
 * vbuddy_compact_quiesce() - wait for the compaction run under way, if any
 * @pool: the pool
 *
 * A free that lands in the middle of a move leaves the block to the run,
 * which frees it when its commit fails: after this, such blocks are back,
 * so that a count of free pages (vbuddy_pool_destroy()) sees them.
 *
 * Context: Process context; may sleep.
 */
void vbuddy_compact_quiesce(struct vbuddy_pool *pool)
{
	struct vbuddy_compact *c = pool->compact;

	if (!c)
		return;
	mutex_lock(&c->lock);
	mutex_unlock(&c->lock);
}

/**
 * vbuddy_compact_destroy() - free it, and the handles still allocated
 * @pool: the pool, unreachable by now
 *
 * Context: Process context; may sleep.
 */
void vbuddy_compact_destroy(struct vbuddy_pool *pool)
{
	struct vbuddy_compact *c = pool->compact;
	unsigned long i;

	if (!c)
		return;
	/*
	 * Stopped already by pool_remove(); again here for a pool that never
	 * got that far, and for a compact_arm() that read @stopping before it
	 * was set and queued the work after the first cancel.
	 */
	vbuddy_compact_stop(pool);
	if (c->handles)
		for (i = 0; i < pool->nr_pages; i++)
			kfree(c->handles[i]);
	kvfree(c->handles);
	mutex_destroy(&c->lock);
	kfree(c);
	pool->compact = NULL;
}
