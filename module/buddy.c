// SPDX-License-Identifier: GPL-2.0
/*
 * vbuddy core: a binary buddy allocator over page frame numbers.
 *
 * This file is compiled twice: into vbuddy.ko, and in userspace under ASan
 * and UBSan by tools/testing/vbuddy/. It includes nothing but buddy.h (and
 * through it buddy_shim.h), takes no locks and allocates nothing.
 */

#include "buddy.h"

/**
 * DOC: buddy core
 *
 * The allocator manages frames (page frame numbers) in *spans*: runs of
 * consecutive frames that need not touch each other, added in ascending
 * frame order. Every frame has a &struct buddy_frame in one array shared by
 * all spans; span k's frames occupy the indices from its @first on, so a
 * frame index tells its span by a binary search and a frame number tells
 * its index by another.
 *
 * A block of order o is 2^o frames whose first frame number is a multiple
 * of 2^o (natural alignment, as in mm/page_alloc.c) and which lies inside
 * one span. Only the first frame of a block, its head, carries state
 * (FREE or USED) and order; every other frame is a TAIL. Free blocks sit on
 * one doubly linked list per order, linked by frame index, so insertion and
 * removal are O(1).
 *
 * Allocation takes a block of the smallest non-empty order at or above
 * the request, as the placement policy picks it (buddy_set_policy(): the
 * most recently freed one, or the lowest-addressed one, found in O(log64 n)
 * through a bitmap of free heads per order), and splits it, giving the
 * upper halves back to the lists (the lower ones, for a movable request
 * placed from the top). Freeing merges the block with its buddy (``pfn ^ (1 << order)``)
 * while the buddy is a free block of the same order inside the same span.
 *
 * Bad frees are recognised from the frame states alone, without walking any
 * list: the block that contains a frame is found by trying each alignment
 * (at most VBUDDY_NR_ORDERS probes), and then a free block means a double
 * free, a head other than the frame means a pointer into a block, and an
 * order other than the block's means a wrong order. A refused call changes
 * nothing.
 */

static inline unsigned long order_pages(unsigned int order)
{
	return 1UL << order;
}

static inline const struct buddy_span *span_of_pfn(const struct buddy *b, unsigned long pfn)
{
	return buddy_span_find(b, pfn, false);
}

static inline const struct buddy_span *span_of_index(const struct buddy *b, u32 idx)
{
	return buddy_span_find(b, idx, true);
}

/* Is the order-@order block at @pfn entirely inside span @s? */
static inline bool block_in_span(const struct buddy_span *s, unsigned long pfn,
				 unsigned int order)
{
	return pfn >= s->pfn && pfn - s->pfn + order_pages(order) <= s->nr;
}

const char *const buddy_policy_names[BUDDY_NR_POLICIES] = {
	[BUDDY_LIFO] = "lifo",
	[BUDDY_ADDRESS] = "address",
	[BUDDY_GROUPED] = "grouped",
};

#define BUDDY_WORD_BITS		(8 * sizeof(unsigned long))

static inline unsigned long *order_map(const struct buddy *b, unsigned int order)
{
	return b->map + (unsigned long)order * b->map_words;
}

/*
 * Set the bit of frame index @idx in the free map of @order, and the
 * summary bits above it that were clear: O(levels), 6 at most.
 */
static void map_set(struct buddy *b, unsigned int order, u32 idx)
{
	unsigned long *m = order_map(b, order), *w, was;
	u32 l;

	for (l = 0; l < b->map_levels; l++) {
		w = &m[b->map_off[l] + idx / BUDDY_WORD_BITS];
		was = *w;
		*w |= 1UL << (idx % BUDDY_WORD_BITS);
		if (was)
			break;
		idx /= BUDDY_WORD_BITS;
	}
}

/* Clear it, and the summary bits of words that became empty. */
static void map_clear(struct buddy *b, unsigned int order, u32 idx)
{
	unsigned long *m = order_map(b, order), *w;
	u32 l;

	for (l = 0; l < b->map_levels; l++) {
		w = &m[b->map_off[l] + idx / BUDDY_WORD_BITS];
		*w &= ~(1UL << (idx % BUDDY_WORD_BITS));
		if (*w)
			break;
		idx /= BUDDY_WORD_BITS;
	}
}

/*
 * The lowest (or, @top, the highest) frame index set in the free map of
 * @order, which is not empty: down from the top level, O(levels).
 */
static u32 map_find(const struct buddy *b, unsigned int order, bool top)
{
	const unsigned long *m = order_map(b, order);
	unsigned long idx = 0, w;
	u32 l = b->map_levels;

	while (l--) {
		w = m[b->map_off[l] + idx];
		idx = idx * BUDDY_WORD_BITS + (top ? buddy_fls(w) : buddy_ffs(w));
	}
	return idx;
}

static void free_list_add(struct buddy *b, u32 idx, unsigned int order)
{
	struct buddy_frame *f = &b->frames[idx];
	u32 head = b->free_head[order];

	f->next = head;
	f->prev = BUDDY_NIL;
	if (head != BUDDY_NIL)
		b->frames[head].prev = idx;
	b->free_head[order] = idx;
	b->changes++;
	f->order = order;
	f->state = BUDDY_FREE;
	b->nr_free[order]++;
	b->free_frames += order_pages(order);
	if (b->map)
		map_set(b, order, idx);
}

/* Takes a free block off its list; its head becomes a TAIL for the caller. */
static void free_list_del(struct buddy *b, u32 idx)
{
	struct buddy_frame *f = &b->frames[idx];
	unsigned int order = f->order;

	if (f->prev != BUDDY_NIL)
		b->frames[f->prev].next = f->next;
	else
		b->free_head[order] = f->next;
	if (f->next != BUDDY_NIL)
		b->frames[f->next].prev = f->prev;
	f->next = BUDDY_NIL;
	f->prev = BUDDY_NIL;
	f->state = BUDDY_TAIL;
	b->changes++;
	b->nr_free[order]--;
	b->free_frames -= order_pages(order);
	if (b->map)
		map_clear(b, order, idx);
}

/* The block of span @s that contains @pfn: the head's index, or BUDDY_NIL. */
static u32 block_head(const struct buddy *b, const struct buddy_span *s,
		      unsigned long pfn)
{
	unsigned int order;

	for (order = 0; order <= VBUDDY_MAX_ORDER; order++) {
		unsigned long head = pfn & ~(order_pages(order) - 1);
		const struct buddy_frame *f;

		if (head < s->pfn)
			break;
		f = &b->frames[buddy_span_index(s, head)];
		if (f->state != BUDDY_TAIL && pfn - head < order_pages(f->order))
			return buddy_span_index(s, head);
	}
	return BUDDY_NIL;
}

/*
 * The block that holds @pfn: its head's frame index, and its span in @sp;
 * -ENOENT if @pfn is in no span, -EUCLEAN if no block holds it.
 */
static long find_block(const struct buddy *b, unsigned long pfn,
		       const struct buddy_span **sp)
{
	const struct buddy_span *s = span_of_pfn(b, pfn);
	u32 idx;

	if (!s)
		return -ENOENT;
	idx = block_head(b, s, pfn);
	if (idx == BUDDY_NIL)
		return -EUCLEAN;
	*sp = s;
	return idx;
}

/**
 * buddy_init() - start an empty allocator
 * @b: the allocator
 * @frames: storage for @max_frames frames, owned by the caller
 * @max_frames: how many frames all spans together may hold
 * @spans: storage for @max_spans spans, owned by the caller
 * @max_spans: how many spans may be added
 */
void buddy_init(struct buddy *b, struct buddy_frame *frames, u32 max_frames,
		struct buddy_span *spans, u32 max_spans)
{
	unsigned int order;

	b->frames = frames;
	b->spans = spans;
	b->max_frames = max_frames;
	b->max_spans = max_spans;
	b->nr_frames = 0;
	b->nr_spans = 0;
	b->free_frames = 0;
	b->changes = 0;
	b->policy = BUDDY_LIFO;
	b->map = NULL;
	b->map_words = 0;
	b->map_levels = 0;
	b->regions = NULL;
	b->nr_regions = 0;
	for (order = 0; order <= VBUDDY_MAX_ORDER; order++) {
		b->free_head[order] = BUDDY_NIL;
		b->nr_free[order] = 0;
	}
}

/**
 * buddy_add_span() - give the allocator a run of free frames
 * @b: the allocator
 * @pfn: first frame of the span
 * @nr: number of frames
 *
 * The frames become free, as the largest naturally aligned blocks (up to
 * VBUDDY_MAX_ORDER) that fit. Spans must be added in ascending @pfn order
 * and must not overlap; they may touch, but blocks never merge across them.
 *
 * Return: 0; -EINVAL if @nr is 0, the span wraps, overlaps or comes before
 * the last span; -ENOSPC if the frame or span storage is full.
 */
int buddy_add_span(struct buddy *b, unsigned long pfn, u32 nr)
{
	struct buddy_span *s;
	u32 i;

	if (!nr || pfn + nr - 1 < pfn)
		return -EINVAL;
	if (b->nr_spans) {
		const struct buddy_span *last = &b->spans[b->nr_spans - 1];

		if (pfn <= last->pfn + (last->nr - 1))
			return -EINVAL;
	}
	if (b->nr_spans == b->max_spans || nr > b->max_frames - b->nr_frames)
		return -ENOSPC;

	s = &b->spans[b->nr_spans++];
	s->pfn = pfn;
	s->nr = nr;
	s->first = b->nr_frames;
	b->nr_frames += nr;
	b->regions = NULL;	/* made for the spans before this one */

	for (i = 0; i < nr; i++) {
		struct buddy_frame *f = &b->frames[s->first + i];

		f->next = BUDDY_NIL;
		f->prev = BUDDY_NIL;
		f->order = 0;
		f->state = BUDDY_TAIL;
		f->tag = 0;
		f->pad = 0;
	}

	for (i = 0; i < nr; ) {
		unsigned int order = VBUDDY_MAX_ORDER;

		while (order && !(((pfn + i) & (order_pages(order) - 1)) == 0 &&
				  order_pages(order) <= nr - i))
			order--;
		free_list_add(b, s->first + i, order);
		i += order_pages(order);
	}
	return 0;
}

/**
 * buddy_regions_needed() - entries a region table of the spans needs
 * @b: the allocator, its spans added
 * @shift: log2 of a region's frames
 *
 * Return: the entries buddy_set_regions() fills: one per region from the
 * first span's to the last span's end; 0 without spans.
 */
unsigned long buddy_regions_needed(const struct buddy *b, unsigned int shift)
{
	const struct buddy_span *last;

	if (!b->nr_spans)
		return 0;
	last = &b->spans[b->nr_spans - 1];
	return ((last->pfn + (last->nr - 1)) >> shift) - (b->spans[0].pfn >> shift) + 1;
}

/**
 * buddy_set_regions() - look frame numbers up by region, not over all spans
 * @b: the allocator, all its spans added (adding one drops the table)
 * @shift: log2 of a region's frames
 * @regions: storage for buddy_regions_needed(@b, @shift) entries, owned by
 *           the caller
 * @nr: that many
 *
 * buddy_index() and every call given a frame number then search only the
 * spans a region meets: one, where the spans are naturally aligned pieces
 * of 2^@shift frames or less, as a pool's pieces are.
 */
void buddy_set_regions(struct buddy *b, unsigned int shift, u32 *regions,
		       unsigned long nr)
{
	unsigned long base, r;
	u32 i = 0;

	if (!b->nr_spans || nr != buddy_regions_needed(b, shift))
		return;
	base = b->spans[0].pfn >> shift;
	for (r = 0; r < nr; r++) {
		/* The first span that ends in region r or after it. */
		while (i < b->nr_spans &&
		       (b->spans[i].pfn + (b->spans[i].nr - 1)) >> shift < base + r)
			i++;
		regions[r] = i;
	}
	b->regions = regions;
	b->region_base = base;
	b->nr_regions = nr;
	b->region_shift = shift;
}

/* Levels and words of one order's free map for @max_frames frames; 0 if too many. */
static u32 map_layout(u32 max_frames, u32 *off, u32 *levels)
{
	unsigned long len = max_frames ? max_frames : 1, words = 0;
	u32 l = 0;

	do {
		len = (len + BUDDY_WORD_BITS - 1) / BUDDY_WORD_BITS;
		if (l == BUDDY_MAP_LEVELS)
			return 0;
		if (off)
			off[l] = words;
		words += len;
		l++;
	} while (len > 1);
	*levels = l;
	return words;
}

/**
 * buddy_map_words() - the storage the free maps of an allocator need
 * @max_frames: its capacity, as given to buddy_init()
 *
 * Return: how many unsigned longs buddy_set_policy() wants for a policy
 * that looks at addresses: about 1.4 bytes per frame in all.
 */
unsigned long buddy_map_words(u32 max_frames)
{
	u32 levels;

	return (unsigned long)map_layout(max_frames, NULL, &levels) * VBUDDY_NR_ORDERS;
}

/**
 * buddy_set_policy() - choose which free block an allocation takes
 * @b: the allocator, initialised; its spans may be added already
 * @policy: BUDDY_LIFO takes the most recently freed block of the smallest
 *          order that fits (no map needed); BUDDY_ADDRESS the lowest-
 *          addressed one, the address-ordered first fit that keeps the
 *          long-lived low and leaves the top free to merge; BUDDY_GROUPED
 *          as BUDDY_ADDRESS, but movable requests (buddy_alloc_hint())
 *          take the highest-addressed block of any order large enough, and
 *          its top end, so that movable and fixed blocks grow from opposite
 *          ends and a movable block never fills a hole among fixed ones
 *          while the top has room. With either of
 *          the last two, buddy_gather() picks by address too.
 * @map: storage for buddy_map_words() words (any content), or NULL for
 *       BUDDY_LIFO
 *
 * Every operation stays O(1) but for the maps' O(log64 frames) levels.
 *
 * Return: 0; -EINVAL for an unknown policy or a missing map.
 */
int buddy_set_policy(struct buddy *b, unsigned int policy, unsigned long *map)
{
	unsigned int order;
	u32 idx;

	if (policy >= BUDDY_NR_POLICIES || (policy != BUDDY_LIFO && !map))
		return -EINVAL;
	b->policy = policy;
	b->map = map;
	if (!map)
		return 0;
	b->map_words = map_layout(b->max_frames, b->map_off, &b->map_levels);
	if (!b->map_words)
		return -EINVAL;
	for (idx = 0; idx < b->map_words * VBUDDY_NR_ORDERS; idx++)
		map[idx] = 0;
	for (order = 0; order <= VBUDDY_MAX_ORDER; order++)
		for (idx = b->free_head[order]; idx != BUDDY_NIL; idx = b->frames[idx].next)
			map_set(b, order, idx);
	return 0;
}

/* The free block of @order the policy takes (@top: from the top end). */
static u32 pick_block(const struct buddy *b, unsigned int order, bool top)
{
	if (b->policy == BUDDY_LIFO)
		return b->free_head[order];
	return map_find(b, order, top);
}

/*
 * The highest-addressed free block of @order or larger (a free map's
 * policy), its order in @o: O(orders * levels).
 */
static u32 highest_block(const struct buddy *b, unsigned int order, unsigned int *o)
{
	unsigned int k, shift = ilog2(BUDDY_WORD_BITS) * (b->map_levels - 1);
	u32 best = BUDDY_NIL, idx;

	for (k = order; k <= VBUDDY_MAX_ORDER; k++) {
		if (!b->nr_free[k])
			continue;
		/* Its top-level summary bit alone says whether it can beat @best. */
		if (best != BUDDY_NIL &&
		    buddy_fls(order_map(b, k)[b->map_off[b->map_levels - 1]]) < best >> shift)
			continue;
		idx = map_find(b, k, true);
		if (best == BUDDY_NIL || idx > best) {
			best = idx;
			*o = k;
		}
	}
	return best;
}

/*
 * Take the free block of order @o at frame index @idx off its list and
 * split it down to @order: @top keeps its top end (the halves below go
 * back to the lists), else its bottom end. The kept block's head index.
 */
static u32 split_block(struct buddy *b, u32 idx, unsigned int o, unsigned int order,
		       bool top)
{
	free_list_del(b, idx);
	while (o > order) {
		o--;
		if (top) {
			free_list_add(b, idx, o);
			idx += (u32)order_pages(o);
		} else {
			free_list_add(b, idx + (u32)order_pages(o), o);
		}
	}
	return idx;
}

/*
 * Take a block of @order out of the free lists, splitting the block the
 * policy picks from the smallest order that has one, or (@highest) the
 * highest-addressed block of any order large enough; @top: keep its top
 * end (the halves below go back), else its bottom end. Its head's frame
 * index, or BUDDY_NIL if no block of @order or larger is free.
 */
static u32 take_block(struct buddy *b, unsigned int order, bool top, bool highest)
{
	unsigned int o;
	u32 idx;

	if (highest) {
		idx = highest_block(b, order, &o);
		if (idx == BUDDY_NIL)
			return BUDDY_NIL;
	} else {
		for (o = order; o <= VBUDDY_MAX_ORDER; o++)
			if (b->nr_free[o])
				break;
		if (o > VBUDDY_MAX_ORDER)
			return BUDDY_NIL;
		idx = pick_block(b, o, top);
	}
	return split_block(b, idx, o, order, top);
}

/**
 * buddy_alloc_hint() - allocate a naturally aligned block, saying its kind
 * @b: the allocator
 * @order: order of the block, 0..VBUDDY_MAX_ORDER
 * @movable: the block may be moved later (it is placed apart from the
 *           fixed ones under BUDDY_GROUPED; the other policies ignore it)
 * @pfn: where the block's first frame is stored
 *
 * Return: 0; -ERANGE if @order is above VBUDDY_MAX_ORDER; -ENOMEM if no free
 * block of @order or larger exists.
 */
int buddy_alloc_hint(struct buddy *b, unsigned int order, bool movable, unsigned long *pfn)
{
	const struct buddy_span *s;
	struct buddy_frame *f;
	u32 idx;

	if (order > VBUDDY_MAX_ORDER)
		return -ERANGE;
	movable = movable && b->policy == BUDDY_GROUPED;
	idx = take_block(b, order, movable, movable);
	if (idx == BUDDY_NIL)
		return -ENOMEM;
	f = &b->frames[idx];
	f->order = order;
	f->state = BUDDY_USED;
	f->tag = 0;

	s = span_of_index(b, idx);
	*pfn = s->pfn + (idx - s->first);
	return 0;
}

/**
 * buddy_alloc() - allocate a naturally aligned block
 * @b: the allocator
 * @order: order of the block, 0..VBUDDY_MAX_ORDER
 * @pfn: where the block's first frame is stored
 *
 * buddy_alloc_hint() of a fixed block.
 *
 * Return: 0; -ERANGE if @order is above VBUDDY_MAX_ORDER; -ENOMEM if no free
 * block of @order or larger exists.
 */
int buddy_alloc(struct buddy *b, unsigned int order, unsigned long *pfn)
{
	return buddy_alloc_hint(b, order, false, pfn);
}

/*
 * May the block at @pfn be freed as @order (and, if @tag >= 0, as a block
 * of that tag)? Its head's frame index, and its span in @sp, or -errno.
 */
static long free_check(const struct buddy *b, unsigned long pfn, unsigned int order,
		       int tag, const struct buddy_span **sp)
{
	const struct buddy_frame *f;
	long idx;

	if (order > VBUDDY_MAX_ORDER)
		return -ERANGE;
	idx = find_block(b, pfn, sp);
	if (idx < 0)
		return idx;
	f = &b->frames[idx];
	if (f->state == BUDDY_FREE)
		return -EALREADY;
	if (idx != buddy_span_index(*sp, pfn))
		return -EFAULT;
	if (f->order != order)
		return -EINVAL;
	if (tag >= 0 && f->tag != tag)
		return -EPERM;
	return idx;
}

static int __buddy_free(struct buddy *b, unsigned long pfn, unsigned int order,
			int tag)
{
	const struct buddy_span *s;
	long idx;

	idx = free_check(b, pfn, order, tag, &s);
	if (idx < 0)
		return idx;

	b->frames[idx].state = BUDDY_TAIL;
	while (order < VBUDDY_MAX_ORDER) {
		unsigned long buddy = pfn ^ order_pages(order);
		struct buddy_frame *bf;

		if (!block_in_span(s, buddy, order))
			break;
		bf = &b->frames[buddy_span_index(s, buddy)];
		if (bf->state != BUDDY_FREE || bf->order != order)
			break;
		free_list_del(b, buddy_span_index(s, buddy));
		pfn &= ~order_pages(order);
		order++;
	}
	free_list_add(b, buddy_span_index(s, pfn), order);
	return 0;
}

/**
 * buddy_free() - free a block and merge it with its free buddies
 * @b: the allocator
 * @pfn: first frame of the block, as buddy_alloc() returned it
 * @order: order it was allocated with
 *
 * Return: 0; -ERANGE for an order above VBUDDY_MAX_ORDER; -ENOENT if @pfn is
 * in no span; -EALREADY if @pfn is already free (double free); -EFAULT if
 * @pfn is inside an allocated block but not its first frame; -EINVAL if
 * @pfn heads an allocated block of another order. On error nothing changes.
 */
int buddy_free(struct buddy *b, unsigned long pfn, unsigned int order)
{
	return __buddy_free(b, pfn, order, -1);
}

/**
 * buddy_free_tagged() - buddy_free() for a block of a known kind
 * @b: the allocator
 * @pfn: first frame of the block
 * @order: order it was allocated with
 * @tag: the tag the block must carry (see buddy_set_tag())
 *
 * Return: as buddy_free(), and -EPERM if the block's tag is not @tag.
 */
int buddy_free_tagged(struct buddy *b, unsigned long pfn, unsigned int order,
		      u8 tag)
{
	return __buddy_free(b, pfn, order, tag);
}

/**
 * buddy_free_check() - what buddy_free_tagged() would say, changing nothing
 * @b: the allocator
 * @pfn: first frame of the block
 * @order: order it was allocated with
 * @tag: the tag the block must carry, or -1 for any
 *
 * For a caller that keeps allocated blocks of its own (a cache) and wants
 * to tell why a free of one is wrong.
 *
 * Return: 0 if the free would succeed, else its error, as buddy_free_tagged().
 */
int buddy_free_check(const struct buddy *b, unsigned long pfn, unsigned int order,
		     int tag)
{
	const struct buddy_span *s;
	long idx = free_check(b, pfn, order, tag, &s);

	return idx < 0 ? idx : 0;
}

/**
 * buddy_pfn_of_index() - the frame number of a frame index
 * @b: the allocator
 * @index: a frame index, 0..nr_frames-1
 * @pfn: where its frame number goes
 *
 * The inverse of buddy_index(); like it, reads only the spans.
 *
 * Return: 0; -ENOENT if @index is no frame of the allocator.
 */
int buddy_pfn_of_index(const struct buddy *b, u32 index, unsigned long *pfn)
{
	const struct buddy_span *s = span_of_index(b, index);

	if (!s)
		return -ENOENT;
	*pfn = s->pfn + (index - s->first);
	return 0;
}

/**
 * buddy_gather() - take scattered frames, smallest free blocks first
 * @b: the allocator
 * @nr: how many frames
 * @pfns: where the @nr frame numbers are stored, in the order taken
 *
 * For a caller that needs @nr frames but not contiguous ones, spending as
 * little contiguity as it can. Whole free blocks are taken from the
 * smallest order up, so the large blocks that contiguous requests need
 * are split last; a free single frame is first, since its buddy is in use
 * and it cannot merge until that is freed. Under a policy that looks at
 * addresses, single frames are taken lowest-addressed first: those are
 * the holes among the long-lived blocks that address order packs low,
 * whose buddies stay in use longest; larger blocks are taken from the top
 * end, where contiguous requests look last. (Measured against taking all
 * from the top, all from the bottom, and the least-free neighbourhood:
 * Documentation/benchmarks.rst.) Each frame taken becomes an
 * allocated block of order 0 of its own: free them one by one with
 * buddy_free(b, pfn, 0), and they merge as usual.
 *
 * Return: 0; -EINVAL if @nr is 0; -ENOMEM if fewer than @nr frames are free,
 * in which case nothing is taken.
 */
int buddy_gather(struct buddy *b, unsigned long nr, unsigned long *pfns)
{
	bool addr = b->policy != BUDDY_LIFO;
	unsigned long got = 0;

	if (!nr)
		return -EINVAL;
	if (nr > b->free_frames)
		return -ENOMEM;

	while (got < nr) {
		unsigned int order = 0, want = ilog2(nr - got);
		const struct buddy_span *s;
		unsigned long pfn, i;
		u32 idx;

		while (!b->nr_free[order])
			order++;
		if (order > want)
			order = want;
		/* Cannot fail: a block of @order or larger is free. */
		idx = take_block(b, order, addr && order, false);
		if (idx == BUDDY_NIL)
			return -EUCLEAN;

		s = span_of_index(b, idx);
		pfn = s->pfn + (idx - s->first);
		for (i = 0; i < order_pages(order); i++) {
			struct buddy_frame *f = &b->frames[idx + i];

			f->order = 0;
			f->state = BUDDY_USED;
			f->tag = 0;
			pfns[got++] = pfn + i;
		}
	}
	return 0;
}

/**
 * buddy_lookup() - find the block that contains a frame
 * @b: the allocator
 * @pfn: any frame
 * @blk: where the block is described
 *
 * Return: 0; -ENOENT if @pfn is in no span.
 */
int buddy_lookup(const struct buddy *b, unsigned long pfn,
		 struct buddy_block *blk)
{
	const struct buddy_span *s;
	const struct buddy_frame *f;
	long idx;

	idx = find_block(b, pfn, &s);
	if (idx < 0)
		return idx;
	f = &b->frames[idx];
	blk->pfn = s->pfn + (idx - s->first);
	blk->index = idx;
	blk->order = f->order;
	blk->state = f->state;
	blk->tag = f->tag;
	return 0;
}

/**
 * buddy_set_tag() - label an allocated block
 * @b: the allocator
 * @pfn: first frame of an allocated block
 * @tag: the label, returned by buddy_lookup(); 0 again after a new alloc
 *
 * Return: 0; -EINVAL if @pfn is not the head of an allocated block.
 */
int buddy_set_tag(struct buddy *b, unsigned long pfn, u8 tag)
{
	const struct buddy_span *s = span_of_pfn(b, pfn);
	struct buddy_frame *f;

	if (!s)
		return -EINVAL;
	f = &b->frames[buddy_span_index(s, pfn)];
	if (f->state != BUDDY_USED)
		return -EINVAL;
	f->tag = tag;
	b->changes++;
	return 0;
}

/**
 * buddy_largest_free_order() - the order of the largest free block
 * @b: the allocator
 *
 * Return: 0..VBUDDY_MAX_ORDER, or -1 when nothing is free.
 */
int buddy_largest_free_order(const struct buddy *b)
{
	int order;

	for (order = VBUDDY_MAX_ORDER; order >= 0; order--)
		if (b->free_head[order] != BUDDY_NIL)
			return order;
	return -1;
}

/**
 * DOC: compaction
 *
 * A compaction run empties naturally aligned regions of 2^order frames by
 * moving the blocks in them elsewhere, so that each region becomes one free
 * block of that order, as mm/compaction.c does with a migrate scanner that
 * walks up from the bottom and a free scanner that walks down from the top.
 * The core chooses; the caller moves. buddy_compact_next() looks at regions
 * from the lowest frame up and takes the first whose allocated blocks all
 * carry the run's tag (the caller's mark for "may be moved"), all smaller
 * than the region, and whose largest block has a free block as large above
 * the region: a region holding any other block can never become free, or
 * not without taking a free block as large as the one wanted, and is
 * passed over. For each block of the region it takes a destination above
 * the region: the highest free block of the smallest order that fits, so
 * the fragments the top end holds are filled before any larger block is
 * split, and allocates it with the run's tag. The caller copies the data and switches its
 * reference, then buddy_compact_done() frees the source (or, if the move
 * could not be made, the destination), and the source merges with its
 * free neighbours. A move the caller cannot make (the block is pinned) ends
 * the region: buddy_compact_skip(). Moves go across spans when the
 * destination lies in a higher one; a region never straddles two spans.
 *
 * A block with no free block large enough above its region ends the
 * region (as a pinned one does) and the scan goes on above it; the run
 * ends when no region is left, or when nothing at all is free above the
 * region (the scanners met); when to stop earlier, because a block of
 * the wanted order is free, is the caller's choice (each call leaves the
 * allocator consistent). Under BUDDY_LIFO there are no free maps, and a
 * destination is found by walking the free lists. Within a region,
 * blocks are moved from its bottom up.
 *
 * A run may also go down (buddy_compact_begin_dir()): the same rules
 * mirrored, regions from the top of the pool down, each emptied from its
 * top down, destinations below the region (the lowest free block of the
 * smallest order that fits, of which the move takes the bottom end), and
 * -ENOMEM when nothing at all is free below. Moves up cannot help where
 * the free space lies below the movable blocks, as BUDDY_GROUPED leaves
 * it (movable blocks are placed from the top); so the callers' rule is to
 * run up first and, if that run ends without a free block of the order,
 * to run down.
 */

/*
 * Is frame index @idx beyond @limit in the run's direction: at or above
 * it going up, below it going down?
 */
static inline bool beyond(u32 idx, u32 limit, bool down)
{
	return down ? idx < limit : idx >= limit;
}

/*
 * The free block of exactly @order farthest beyond frame index @limit in
 * the direction @down (the highest at or above it, or the lowest below it).
 */
static u32 free_beyond(const struct buddy *b, unsigned int order, u32 limit, bool down)
{
	u32 idx, best = BUDDY_NIL;

	if (!b->nr_free[order])
		return BUDDY_NIL;
	if (b->map) {
		idx = map_find(b, order, !down);
		return beyond(idx, limit, down) ? idx : BUDDY_NIL;
	}
	for (idx = b->free_head[order]; idx != BUDDY_NIL; idx = b->frames[idx].next)
		if (beyond(idx, limit, down) &&
		    (best == BUDDY_NIL || (down ? idx < best : idx > best)))
			best = idx;
	return best;
}

/*
 * The farthest free block of each order in the run's direction (the
 * highest going up, the lowest going down), or BUDDY_NIL: one look per
 * order with the free maps, one walk of every free list without them.
 */
static void farthest_free(const struct buddy *b, bool down, u32 *far)
{
	unsigned int o;
	u32 idx;

	for (o = 0; o <= VBUDDY_MAX_ORDER; o++) {
		far[o] = BUDDY_NIL;
		if (!b->nr_free[o])
			continue;
		if (b->map) {
			far[o] = map_find(b, o, !down);
			continue;
		}
		for (idx = b->free_head[o]; idx != BUDDY_NIL; idx = b->frames[idx].next)
			if (far[o] == BUDDY_NIL || (down ? idx < far[o] : idx > far[o]))
				far[o] = idx;
	}
}

/* Is a block of @order or larger free beyond @limit, by @far? */
static bool room_in(const u32 *far, unsigned int order, u32 limit, bool down)
{
	for (; order <= VBUDDY_MAX_ORDER; order++)
		if (far[order] != BUDDY_NIL && beyond(far[order], limit, down))
			return true;
	return false;
}

/* The first frame index of the current region. */
static inline u32 region_start(const struct buddy_compact *cc)
{
	return cc->region_end - (u32)order_pages(cc->order);
}

/* Is @cc->next inside the current region? (Going down, it may wrap below 0.) */
static inline bool in_region(const struct buddy_compact *cc)
{
	return cc->next - region_start(cc) < (u32)order_pages(cc->order);
}

/* Step @cc->next past the block of @order at frame index @head, in the run's direction. */
static inline void step_past(struct buddy_compact *cc, u32 head, unsigned int order)
{
	cc->next = cc->down ? head - 1 : head + (u32)order_pages(order);
}

/*
 * What the destinations of the current region's blocks must lie beyond:
 * its end going up, its first frame going down.
 */
static inline u32 region_limit(const struct buddy_compact *cc)
{
	return cc->down ? region_start(cc) : cc->region_end;
}

/*
 * The free block of the smallest order from @order up that lies beyond
 * @limit, its order in @o; BUDDY_NIL if none does.
 */
static u32 room_beyond(const struct buddy *b, unsigned int order, u32 limit, bool down,
		       unsigned int *o)
{
	u32 idx;

	for (*o = order; *o <= VBUDDY_MAX_ORDER; (*o)++) {
		idx = free_beyond(b, *o, limit, down);
		if (idx != BUDDY_NIL)
			return idx;
	}
	return BUDDY_NIL;
}

/*
 * Take a destination for a block of @order beyond the current region: the
 * top end of the highest free block of the smallest order that has one
 * above it, or going down the bottom end of the lowest below it. Its
 * head's frame index, allocated with the run's tag, or BUDDY_NIL.
 */
static u32 take_dest(struct buddy *b, unsigned int order, const struct buddy_compact *cc)
{
	unsigned int o;
	u32 idx = room_beyond(b, order, region_limit(cc), cc->down, &o);

	if (idx == BUDDY_NIL)
		return BUDDY_NIL;
	idx = split_block(b, idx, o, order, !cc->down);
	b->frames[idx].order = order;
	b->frames[idx].state = BUDDY_USED;
	b->frames[idx].tag = cc->tag;
	return idx;
}

/*
 * Judge the region of @cc->order at frame @pfn of span @s: may it become
 * free by moving blocks of @cc->tag? If so, make it the current region
 * and return true. Either way step @cc->scan past it, in the run's
 * direction. A block of @cc->order or larger that covers the region is
 * passed over, free or not: moving it would take a free block at least as
 * large as the one the run is for.
 */
static bool region_movable(const struct buddy *b, const struct buddy_span *s,
			   unsigned long pfn, struct buddy_compact *cc, const u32 *far)
{
	u32 idx = buddy_span_index(s, pfn), end = idx + (u32)order_pages(cc->order);
	u32 head = block_head(b, s, pfn), i;
	const struct buddy_frame *f;
	int largest = -1;

	cc->scan = cc->down ? idx : end;
	if (head == BUDDY_NIL)
		return false;
	f = &b->frames[head];
	if (f->order >= cc->order) {
		cc->scan = cc->down ? head : head + (u32)order_pages(f->order);
		return false;
	}
	for (i = idx; i < end; i += (u32)order_pages(b->frames[i].order)) {
		f = &b->frames[i];
		if (f->state == BUDDY_TAIL || (f->state == BUDDY_USED && f->tag != cc->tag))
			return false;
		if (f->state == BUDDY_USED && f->order > largest)
			largest = f->order;
	}
	/* Its largest block must have room beyond it, or the region stays. */
	if (largest < 0 || !room_in(far, largest, cc->down ? idx : end, cc->down))
		return false;
	cc->next = cc->down ? end - 1 : idx;
	cc->region_end = end;
	return true;
}

/*
 * Make the next region the run may empty, from @cc->scan on in its
 * direction, the current one: 0; -ENODATA if no region is left; -ENOMEM
 * if nothing is free beyond the scan (the scanners met); -EAGAIN once
 * @cc->budget regions (if not 0) were judged in vain.
 */
static int next_region(const struct buddy *b, struct buddy_compact *cc)
{
	unsigned long size = order_pages(cc->order);
	u32 far[VBUDDY_NR_ORDERS], judged = 0;

	if (cc->scan > b->nr_frames)
		cc->scan = b->nr_frames;
	farthest_free(b, cc->down, far);
	while (cc->down ? cc->scan > 0 : cc->scan < b->nr_frames) {
		/* The frame the scan looks at next, and its span. */
		u32 at = cc->down ? cc->scan - 1 : cc->scan;
		const struct buddy_span *s = span_of_index(b, at);
		unsigned long pfn, rp;
		bool in_span;

		if (!s)
			return -EUCLEAN;
		pfn = s->pfn + (at - s->first);
		if (cc->down) {
			/* The highest region that ends at or below the frame's end. */
			rp = (pfn + 1) & ~(size - 1);
			in_span = rp >= s->pfn && rp - s->pfn >= size;
			rp -= size;
		} else {
			rp = (pfn + size - 1) & ~(size - 1);
			in_span = block_in_span(s, rp, cc->order);
		}
		if (!in_span) {
			cc->scan = cc->down ? s->first : s->first + s->nr;
			continue;
		}
		/* Every region from here on lies beyond this one's limit. */
		if (!room_in(far, 0, cc->down ? buddy_span_index(s, rp) :
			     buddy_span_index(s, rp) + (u32)size, cc->down))
			return -ENOMEM;
		if (region_movable(b, s, rp, cc, far))
			return 0;
		if (cc->budget && ++judged >= cc->budget)
			return -EAGAIN;
	}
	return -ENODATA;
}

/**
 * buddy_compact_begin_dir() - start a compaction run (see "compaction")
 * @cc: the run's state, owned by the caller
 * @order: the order of the regions it empties, 1..VBUDDY_MAX_ORDER
 * @tag: the tag of the blocks it may move, and of their destinations
 * @down: regions from the top of the pool down, destinations below them;
 *        else from the bottom up, destinations above
 */
void buddy_compact_begin_dir(struct buddy_compact *cc, unsigned int order, u8 tag,
			     bool down)
{
	cc->order = order > VBUDDY_MAX_ORDER ? VBUDDY_MAX_ORDER : order;
	cc->tag = tag;
	cc->down = down;
	/* Going down, the scan starts past the last frame (clamped in next_region()). */
	cc->scan = down ? BUDDY_NIL : 0;
	cc->budget = 0;
	/* No region yet. */
	cc->region_end = 0;
	cc->next = 0;
}

/**
 * buddy_compact_begin() - start a compaction run upwards
 * @cc: the run's state, owned by the caller
 * @order: the order of the regions it empties, 1..VBUDDY_MAX_ORDER
 * @tag: the tag of the blocks it may move, and of their destinations
 *
 * buddy_compact_begin_dir() going up.
 */
void buddy_compact_begin(struct buddy_compact *cc, unsigned int order, u8 tag)
{
	buddy_compact_begin_dir(cc, order, tag, false);
}

/**
 * buddy_compact_next() - the next move of a compaction run
 * @b: the allocator
 * @cc: the run, from buddy_compact_begin() or buddy_compact_begin_dir()
 * @mv: where the move is described: @mv->dst is allocated (tagged @cc->tag)
 *
 * The caller copies the block from @mv->src to @mv->dst (or finds it cannot)
 * and then calls buddy_compact_done(); it may drop its lock in between,
 * since both blocks are allocated, and the run looks at the frames afresh
 * on the next call.
 *
 * Return: 0 with a move in @mv; -ENOMEM if no frame is free beyond the
 * region of the block to move next (above it, or below it going down: the
 * run is over); -ENODATA if no region is left; -EAGAIN when @cc->budget
 * regions were judged without a move (call again: the run goes on where it
 * was).
 */
int buddy_compact_next(struct buddy *b, struct buddy_compact *cc, struct buddy_move *mv)
{
	for (;;) {
		const struct buddy_span *s;
		const struct buddy_frame *f;
		unsigned int o;
		u32 head, dst;
		int ret;

		if (!in_region(cc)) {
			ret = next_region(b, cc);
			if (ret)
				return ret;
		}
		s = span_of_index(b, cc->next);
		if (!s)
			return -EUCLEAN;
		head = block_head(b, s, s->pfn + (cc->next - s->first));
		if (head == BUDDY_NIL)
			return -EUCLEAN;
		f = &b->frames[head];
		if (f->state == BUDDY_FREE) {
			step_past(cc, head, f->order);
			continue;
		}
		if (f->tag != cc->tag || f->order >= cc->order) {
			/* Changed while the caller's lock was dropped. */
			buddy_compact_skip(cc);
			continue;
		}
		dst = take_dest(b, f->order, cc);
		if (dst == BUDDY_NIL) {
			/* Nothing free beyond at all: the scanners met. */
			if (room_beyond(b, 0, region_limit(cc), cc->down, &o) == BUDDY_NIL)
				return -ENOMEM;
			/* Only smaller blocks are: a region farther on may do. */
			buddy_compact_skip(cc);
			continue;
		}
		mv->src = s->pfn + (head - s->first);
		mv->order = f->order;
		s = span_of_index(b, dst);
		mv->dst = s->pfn + (dst - s->first);
		step_past(cc, head, mv->order);
		return 0;
	}
}

/**
 * buddy_compact_skip() - give up the region of the last move
 * @cc: the run
 *
 * For a block the caller could not move (pinned): the rest of its region
 * stays where it is, since the region cannot become free anyway.
 */
void buddy_compact_skip(struct buddy_compact *cc)
{
	cc->next = cc->region_end;
}

/**
 * buddy_compact_done() - end a move of buddy_compact_next()
 * @b: the allocator
 * @cc: the run
 * @mv: the move
 * @moved: the caller moved the block to @mv->dst: free its source; else
 *         free the destination
 *
 * Return: 0, or buddy_free_tagged()'s error for a block the caller changed.
 */
int buddy_compact_done(struct buddy *b, const struct buddy_compact *cc,
		       const struct buddy_move *mv, bool moved)
{
	return __buddy_free(b, moved ? mv->src : mv->dst, mv->order, cc->tag);
}

static int check_span(const struct buddy *b, const struct buddy_span *s,
		      unsigned long *blocks)
{
	u32 i = 0;

	while (i < s->nr) {
		const struct buddy_frame *f = &b->frames[s->first + i];
		unsigned long pfn = s->pfn + i;
		unsigned int order = f->order;
		u32 j;

		if (f->state != BUDDY_FREE && f->state != BUDDY_USED) {
			buddy_pr_err("frame %lu is in no block\n", pfn);
			return -EUCLEAN;
		}
		if (order > VBUDDY_MAX_ORDER || (pfn & (order_pages(order) - 1)) ||
		    !block_in_span(s, pfn, order)) {
			buddy_pr_err("block %lu order %u is misplaced\n", pfn, order);
			return -EUCLEAN;
		}
		for (j = 1; j < order_pages(order); j++) {
			if (b->frames[s->first + i + j].state != BUDDY_TAIL) {
				buddy_pr_err("block %lu order %u overlaps frame %lu\n",
					     pfn, order, pfn + j);
				return -EUCLEAN;
			}
		}
		if (f->state == BUDDY_FREE) {
			unsigned long buddy = pfn ^ order_pages(order);

			blocks[order]++;
			if (order < VBUDDY_MAX_ORDER && block_in_span(s, buddy, order)) {
				const struct buddy_frame *bf =
					&b->frames[buddy_span_index(s, buddy)];

				if (bf->state == BUDDY_FREE && bf->order == order) {
					buddy_pr_err("free buddies %lu and %lu order %u not merged\n",
						     pfn, buddy, order);
					return -EUCLEAN;
				}
			}
		}
		i += order_pages(order);
	}
	return 0;
}

/*
 * The free map of @order (a policy that looks at addresses): as many bits
 * at the bottom level as free blocks (each of which has its bit: see the
 * list walk), and each summary bit set exactly when the word below it is
 * not empty. O(frames / 64).
 */
static int check_map(const struct buddy *b, unsigned int order)
{
	const unsigned long *m = order_map(b, order);
	unsigned long bits = 0;
	u32 l, w, words;

	words = b->map_levels > 1 ? b->map_off[1] : b->map_words;
	for (w = 0; w < words; w++)
		bits += buddy_hweight(m[w]);
	if (bits != b->nr_free[order]) {
		buddy_pr_err("order %u: %lu free blocks, %lu in the free map\n",
			     order, b->nr_free[order], bits);
		return -EUCLEAN;
	}
	for (l = 1; l < b->map_levels; l++) {
		u32 below = b->map_off[l - 1];

		words = (l + 1 < b->map_levels ? b->map_off[l + 1] : b->map_words) - b->map_off[l];
		for (w = 0; w < words * BUDDY_WORD_BITS && below + w < b->map_off[l]; w++) {
			bool set = m[b->map_off[l] + w / BUDDY_WORD_BITS] &
				   (1UL << (w % BUDDY_WORD_BITS));

			if (set != !!m[below + w]) {
				buddy_pr_err("order %u: free map level %u bit %u is wrong\n",
					     order, l, w);
				return -EUCLEAN;
			}
		}
	}
	return 0;
}

/*
 * Walk up to @budget entries of the free list of @st->order from where the
 * last call stopped; 1 when the list has more, 0 at its end (its length
 * checked against the free blocks the spans hold), or -EUCLEAN.
 */
static int check_list_step(const struct buddy *b, struct buddy_check_state *st,
			   unsigned long budget)
{
	unsigned int order = st->order;
	unsigned long blocks = st->blocks[order];
	u32 idx;

	idx = st->listed ? b->frames[st->prev].next : b->free_head[order];
	for (; idx != BUDDY_NIL; idx = b->frames[idx].next) {
		const struct buddy_frame *f;

		if (!budget--)
			return 1;
		if (idx >= b->nr_frames || ++st->listed > blocks) {
			buddy_pr_err("order %u list runs past %lu blocks\n", order, blocks);
			return -EUCLEAN;
		}
		f = &b->frames[idx];
		if (f->state != BUDDY_FREE || f->order != order ||
		    f->prev != (st->listed == 1 ? BUDDY_NIL : st->prev) ||
		    (b->map && !(order_map(b, order)[idx / BUDDY_WORD_BITS] &
				 (1UL << (idx % BUDDY_WORD_BITS))))) {
			buddy_pr_err("order %u list holds a bad entry (index %u)\n",
				     order, idx);
			return -EUCLEAN;
		}
		st->prev = idx;
	}
	if (st->listed != blocks || st->listed != b->nr_free[order]) {
		buddy_pr_err("order %u: %lu free blocks, %lu listed, %lu counted\n",
			     order, blocks, st->listed, b->nr_free[order]);
		return -EUCLEAN;
	}
	return b->map ? check_map(b, order) : 0;
}

/**
 * buddy_check_begin() - start a check that may be done in steps
 * @b: the allocator
 * @st: the state of the check, for buddy_check_step()
 */
void buddy_check_begin(const struct buddy *b, struct buddy_check_state *st)
{
	unsigned int order;

	for (order = 0; order <= VBUDDY_MAX_ORDER; order++)
		st->blocks[order] = 0;
	st->span = 0;
	st->first = 0;
	st->order = 0;
	st->listed = 0;
	st->prev = BUDDY_NIL;
	st->changes = b->changes;
}

/**
 * buddy_check_step() - go on with a check begun by buddy_check_begin()
 * @b: the allocator
 * @st: the state of the check
 * @budget: about how many frames or list entries to look at this time (a
 *          whole span at least)
 * @spans_only: check the spans only; their free blocks are counted, but
 *              the lists and counters are not compared with them
 *
 * First the spans, a whole span at a time: they ascend without overlap
 * and fill the frame array; every frame belongs to exactly one naturally
 * aligned block inside its span; no two free buddies of the same order
 * are left unmerged. Then each order's list, @budget entries at a time:
 * it holds exactly that order's free blocks, correctly linked, and the
 * free counters match. The caller serialises each step with the
 * allocator's users; between steps they may change it, which makes the
 * comparison of lists with spans meaningless (@b->changes tells; the
 * caller then passes @spans_only or begins again). The first violation
 * found is printed.
 *
 * Return: 1 while there is more to check, 0 when all of it held, or
 * -EUCLEAN if an invariant does not hold.
 */
int buddy_check_step(const struct buddy *b, struct buddy_check_state *st,
		     unsigned long budget, bool spans_only)
{
	unsigned long done = 0, free_frames = 0;
	unsigned int order;
	int ret;

	while (st->span < b->nr_spans) {
		const struct buddy_span *s = &b->spans[st->span];
		u32 i = st->span;

		if (done && done + s->nr > budget)
			return 1;
		if (s->first != st->first || !s->nr ||
		    (i && s->pfn <= b->spans[i - 1].pfn + (b->spans[i - 1].nr - 1))) {
			buddy_pr_err("span %u (pfn %lu) is misplaced\n", i, s->pfn);
			return -EUCLEAN;
		}
		ret = check_span(b, s, st->blocks);
		if (ret)
			return ret;
		st->first += s->nr;
		done += s->nr;
		st->span++;
		if (st->span == b->nr_spans && st->first != b->nr_frames) {
			buddy_pr_err("spans hold %u frames, %u recorded\n", st->first,
				     b->nr_frames);
			return -EUCLEAN;
		}
	}
	if (spans_only)
		return 0;
	for (; st->order <= VBUDDY_MAX_ORDER; st->order++) {
		ret = check_list_step(b, st, done < budget ? budget - done : 0);
		if (ret)
			return ret;
		done += st->listed;
		st->listed = 0;
		st->prev = BUDDY_NIL;
	}
	for (order = 0; order <= VBUDDY_MAX_ORDER; order++)
		free_frames += st->blocks[order] << order;
	if (free_frames != b->free_frames) {
		buddy_pr_err("%lu frames free, %lu recorded\n", free_frames, b->free_frames);
		return -EUCLEAN;
	}
	return 0;
}

/**
 * buddy_check() - verify every invariant of the allocator, in one go
 * @b: the allocator
 *
 * buddy_check_step() over everything: costs O(frames).
 *
 * Return: 0, or -EUCLEAN if an invariant does not hold.
 */
int buddy_check(const struct buddy *b)
{
	struct buddy_check_state st;

	buddy_check_begin(b, &st);
	return buddy_check_step(b, &st, ULONG_MAX, false);
}

/**
 * buddy_strerror() - what an error of this file means
 * @err: a negative errno returned by a buddy_*() function
 *
 * Return: a short phrase for reports.
 */
const char *buddy_strerror(int err)
{
	switch (err) {
	case 0:
		return "no error";
	case -ERANGE:
		return "order above the maximum";
	case -ENOENT:
		return "page not in this pool";
	case -EALREADY:
		return "double free";
	case -EFAULT:
		return "not the first page of a block";
	case -EINVAL:
		return "wrong order for this block";
	case -ENOMEM:
		return "no free block large enough";
	case -ENOSPC:
		return "no room for another span";
	case -EUCLEAN:
		return "allocator state is corrupt";
	case -EPERM:
		return "block belongs to another interface";
	case -ENODATA:
		return "nothing left to compact";
	default:
		return "unknown error";
	}
}
