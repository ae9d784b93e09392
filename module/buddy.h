/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vbuddy core: a binary buddy allocator over page frame numbers.
 *
 * The core knows nothing about struct page, locks or memory allocation: the
 * caller hands it the storage for its per-frame and per-span bookkeeping and
 * serialises every call (the kernel takes the pool lock, userspace tests are
 * single threaded). The same file builds in the kernel and in userspace
 * (tools/testing/vbuddy/), through module/buddy_shim.h only.
 */
#ifndef _VBUDDY_BUDDY_H
#define _VBUDDY_BUDDY_H

#include "buddy_shim.h"

/* Also in vbuddy.h, the public header; the two must agree. */
#ifndef VBUDDY_MAX_ORDER
#define VBUDDY_MAX_ORDER	10
#endif
#define VBUDDY_NR_ORDERS	(VBUDDY_MAX_ORDER + 1)

/* "No frame" in a free list link; frame indices are u32. */
#define BUDDY_NIL		((u32)~0U)

/*
 * Which free block an allocation takes: see buddy_set_policy(). The names
 * are those of the module parameter placement and of vbuddy-replay
 * --policy, in this order.
 */
enum buddy_policy {
	BUDDY_LIFO,		/* the most recently freed of the smallest order */
	BUDDY_ADDRESS,		/* the lowest-addressed of the smallest order */
	BUDDY_GROUPED,		/* ADDRESS, and movable requests from the top */
	BUDDY_NR_POLICIES,
};

extern const char *const buddy_policy_names[BUDDY_NR_POLICIES];

/* Levels of a free map: 64^6 bits name any frame index. */
#define BUDDY_MAP_LEVELS	6

/* What a frame is; only the first frame of a block is a head. */
enum buddy_state {
	BUDDY_TAIL = 0,		/* inside a block, not its first frame */
	BUDDY_FREE,		/* head of a free block, on free_head[order] */
	BUDDY_USED,		/* head of an allocated block */
};

/**
 * struct buddy_frame - bookkeeping for one page frame
 * @next: next free block of the same order (frame index), if @state is FREE
 * @prev: previous free block of the same order (frame index), if FREE
 * @order: order of the block this frame heads, if it is a head
 * @state: an enum buddy_state
 * @tag: the caller's label for a USED block (what it is used for); 0 on alloc
 * @pad: unused
 */
struct buddy_frame {
	u32 next;
	u32 prev;
	u8 order;
	u8 state;
	u8 tag;
	u8 pad;
};

/**
 * struct buddy_span - a run of consecutive frames owned by the allocator
 * @pfn: first frame number of the span
 * @nr: number of frames in the span
 * @first: index of the span's first frame in &struct buddy.frames
 *
 * Spans need not be adjacent, and blocks never merge across a span edge even
 * when the frame numbers of two spans touch.
 */
struct buddy_span {
	unsigned long pfn;
	u32 nr;
	u32 first;
};

/**
 * struct buddy - one buddy allocator
 * @frames: bookkeeping for every frame of every span (caller's storage)
 * @spans: spans sorted by @pfn (caller's storage)
 * @max_frames: capacity of @frames
 * @max_spans: capacity of @spans
 * @nr_frames: frames in use in @frames (sum of all span sizes)
 * @nr_spans: spans in @spans
 * @free_frames: frames in free blocks
 * @free_head: first free block of each order (frame index) or BUDDY_NIL
 * @nr_free: free blocks of each order
 * @changes: counts every change to the frames, for a caller that checks
 *           the allocator in steps (buddy_check_step())
 * @policy: an enum buddy_policy
 * @map: for a policy that looks at addresses, a free map per order: a bit
 *       per frame index set at each free block's head, and levels of
 *       summary bits above it (caller's storage; NULL for BUDDY_LIFO)
 * @map_words: words of one order's map
 * @map_levels: levels of each map, the top one a single word
 * @map_off: where each level starts in an order's map, in words
 * @regions: for a lookup by frame number in O(1) (buddy_set_regions()):
 *           for each region of 2^@region_shift frame numbers from
 *           @region_base on, the first span that ends inside it or after
 *           it (caller's storage; NULL: a binary search over all spans)
 * @region_base: the region of the first span
 * @nr_regions: entries in @regions
 * @region_shift: log2 of a region's frames
 */
struct buddy {
	struct buddy_frame *frames;
	struct buddy_span *spans;
	u32 max_frames;
	u32 max_spans;
	u32 nr_frames;
	u32 nr_spans;
	unsigned long free_frames;
	u32 free_head[VBUDDY_NR_ORDERS];
	unsigned long nr_free[VBUDDY_NR_ORDERS];
	unsigned long changes;
	unsigned int policy;
	unsigned long *map;
	u32 map_words;
	u32 map_levels;
	u32 map_off[BUDDY_MAP_LEVELS];
	u32 *regions;
	unsigned long region_base;
	unsigned long nr_regions;
	unsigned int region_shift;
};

/**
 * struct buddy_check_state - where a check in steps is
 * @blocks: free blocks of each order the spans checked so far hold
 * @span: the next span to check
 * @first: the frame index that span must start at
 * @order: the free list being walked, once the spans are done
 * @listed: entries of that list walked so far
 * @prev: the last entry walked
 * @changes: &struct buddy.changes when the check began
 */
struct buddy_check_state {
	unsigned long blocks[VBUDDY_NR_ORDERS];
	u32 span;
	u32 first;
	unsigned int order;
	unsigned long listed;
	u32 prev;
	unsigned long changes;
};

/**
 * struct buddy_block - what buddy_lookup() found
 * @pfn: first frame of the block
 * @index: the frame index of @pfn (0..nr_frames-1, stable for the pool)
 * @order: order of the block
 * @state: BUDDY_FREE or BUDDY_USED
 * @tag: the tag set by buddy_set_tag() (USED blocks)
 */
struct buddy_block {
	unsigned long pfn;
	u32 index;
	unsigned int order;
	enum buddy_state state;
	u8 tag;
};

/**
 * struct buddy_compact - a compaction run, in steps (buddy_compact_next())
 * @order: the order of the regions the run empties
 * @tag: the tag of the blocks it may move
 * @down: regions from the top down, destinations below them (else up, above)
 * @scan: where the migrate scanner judges the next region: the lowest frame
 *        index not judged yet, or going down just past the highest
 * @next: the frame index of the region being emptied it looks at next
 * @region_end: just past the region being emptied (frame index); the run
 *              is in a region while @next is inside it
 * @budget: regions buddy_compact_next() may judge in vain before it returns
 *          -EAGAIN, so that a caller holding a lock with interrupts off can
 *          let go now and then; 0 (as begun): no limit
 */
struct buddy_compact {
	unsigned int order;
	u8 tag;
	bool down;
	u32 scan;
	u32 next;
	u32 region_end;
	u32 budget;
};

/**
 * struct buddy_move - one move of a compaction run
 * @src: first frame of the block to move
 * @dst: first frame of its destination, allocated for it
 * @order: order of both
 */
struct buddy_move {
	unsigned long src;
	unsigned long dst;
	unsigned int order;
};

void buddy_init(struct buddy *b, struct buddy_frame *frames, u32 max_frames,
		struct buddy_span *spans, u32 max_spans);
int buddy_add_span(struct buddy *b, unsigned long pfn, u32 nr);
unsigned long buddy_regions_needed(const struct buddy *b, unsigned int shift);
void buddy_set_regions(struct buddy *b, unsigned int shift, u32 *regions,
		       unsigned long nr);
unsigned long buddy_map_words(u32 max_frames);
int buddy_set_policy(struct buddy *b, unsigned int policy, unsigned long *map);
int buddy_alloc(struct buddy *b, unsigned int order, unsigned long *pfn);
int buddy_alloc_hint(struct buddy *b, unsigned int order, bool movable, unsigned long *pfn);
int buddy_free(struct buddy *b, unsigned long pfn, unsigned int order);
int buddy_free_tagged(struct buddy *b, unsigned long pfn, unsigned int order,
		      u8 tag);
int buddy_free_check(const struct buddy *b, unsigned long pfn, unsigned int order,
		     int tag);
int buddy_pfn_of_index(const struct buddy *b, u32 index, unsigned long *pfn);
int buddy_gather(struct buddy *b, unsigned long nr, unsigned long *pfns);
int buddy_lookup(const struct buddy *b, unsigned long pfn,
		 struct buddy_block *blk);
int buddy_set_tag(struct buddy *b, unsigned long pfn, u8 tag);
int buddy_largest_free_order(const struct buddy *b);
void buddy_compact_begin(struct buddy_compact *cc, unsigned int order, u8 tag);
void buddy_compact_begin_dir(struct buddy_compact *cc, unsigned int order, u8 tag,
			     bool down);
int buddy_compact_next(struct buddy *b, struct buddy_compact *cc, struct buddy_move *mv);
void buddy_compact_skip(struct buddy_compact *cc);
int buddy_compact_done(struct buddy *b, const struct buddy_compact *cc,
		       const struct buddy_move *mv, bool moved);
int buddy_check(const struct buddy *b);
void buddy_check_begin(const struct buddy *b, struct buddy_check_state *st);
int buddy_check_step(const struct buddy *b, struct buddy_check_state *st,
		     unsigned long budget, bool spans_only);
const char *buddy_strerror(int err);

/*
 * The span that holds @key: a frame number, or with @by_index a frame
 * index. Spans are added in ascending order, so both ascend together. A
 * frame number is searched only among the spans its region meets, where
 * the caller set regions (one span, where the spans are whole regions).
 * Inline: the per-CPU caches of the module look up every page they pass.
 */
static inline const struct buddy_span *buddy_span_find(const struct buddy *b,
						       unsigned long key, bool by_index)
{
	u32 lo = 0, hi = b->nr_spans;

	if (!by_index && b->regions) {
		unsigned long r = (key >> b->region_shift) - b->region_base;

		if (r >= b->nr_regions)
			return NULL;
		lo = b->regions[r];
		/* The next region's first span may have begun in this one. */
		if (r + 1 < b->nr_regions && b->regions[r + 1] < hi)
			hi = b->regions[r + 1] + 1;
	}

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		const struct buddy_span *s = &b->spans[mid];
		unsigned long start = by_index ? s->first : s->pfn;

		if (key < start)
			hi = mid;
		else if (key - start >= s->nr)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

/* The frame index of @pfn, a frame of span @s. */
static inline u32 buddy_span_index(const struct buddy_span *s, unsigned long pfn)
{
	return s->first + (u32)(pfn - s->pfn);
}

/**
 * buddy_index() - the frame index of a frame number
 * @b: the allocator
 * @pfn: any frame
 * @index: where its index (0..nr_frames-1, stable for the allocator) goes
 *
 * Reads only the spans and the region table, which never change once
 * set: unlike the other calls, it needs no serialisation against them.
 *
 * Return: 0; -ENOENT if @pfn is in no span.
 */
static inline int buddy_index(const struct buddy *b, unsigned long pfn, u32 *index)
{
	const struct buddy_span *s = buddy_span_find(b, pfn, false);

	if (!s)
		return -ENOENT;
	*index = buddy_span_index(s, pfn);
	return 0;
}

#endif /* _VBUDDY_BUDDY_H */
