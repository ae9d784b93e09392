/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The reference model of the vbuddy core, shared by the randomized test
 * (random.c) and the fuzz target (fuzz_buddy.c): each model_*() operation
 * makes one call of the core, predicts its answer from the model, and
 * checks it; a mismatch reports what happened through @fail and ends the
 * run. What the model keeps: the spans, and per frame the live block that
 * holds it (or none: free).
 *
 * What is checked: allocations naturally aligned, inside one span, over
 * free frames only, the first block of the smallest non-empty order split
 * as documented, -ENOMEM only when no free aligned run exists; the free
 * counters move exactly as a split, a merge chain or a gather must move
 * them; every refused call returns the documented error and changes
 * nothing; lookups and tags agree with the model; and model_verify()
 * compares every block buddy_lookup() reports with the model. Each live
 * block has an id written into every frame it covers (@data, the model's
 * stand-in for the memory), so that a compaction move (model_compact())
 * is checked to carry the block, whole, to a destination that was free.
 *
 * The O(frames) checks run as often as the caller can afford, set in
 * struct model: the fuzzer (pools of at most a few thousand frames) runs
 * them after every step, the randomized test (up to 200000 frames, two
 * million operations) every few thousand.
 */
#ifndef _VBUDDY_MODEL_H
#define _VBUDDY_MODEL_H

#include "buddy.h"

#define MODEL_MAX_SPANS	16
#define MODEL_RING	16	/* recently freed blocks, for double frees */

struct model_span {
	unsigned long pfn;
	u32 nr;
	u32 first;		/* frame index of @pfn */
};

/* A block the allocator handed out. */
struct model_live {
	unsigned long pfn;
	u32 batch;		/* 0, or the buddy_gather() call it came from */
	u32 id;			/* what its frames hold in struct model.data */
	u8 order;
	u8 tag;
};

struct model_stats {
	unsigned long alloc, alloc_enomem, scans, free, gather, gather_frames,
		      gather_enomem, refused, lookup, tag, verify, compact,
		      compact_down, compact_moved, compact_pinned, compact_success;
};

struct model {
	/*
	 * Set by the caller before model_start(), kept across runs. How
	 * often the O(frames) checks run: buddy_check() and model_verify()
	 * every Nth step (0: never); every frame behind an -ENOMEM at most
	 * every @scan_every operations (0: each time); all of the storage
	 * behind every @snap_every-th refused call, the block's top-order
	 * window behind the others (0: all of it each time).
	 */
	unsigned int check_every;
	unsigned int verify_every;
	unsigned int scan_every;
	unsigned int snap_every;
	void (*fail)(struct model *m, const char *msg);	/* must not return */
	int verbose;			/* > 1: log every operation */
	void *priv;			/* the caller's */

	/* The operation under way, for messages; the caller counts. */
	unsigned long op;
	const char *what;

	/* The allocator under test and what it must hold. */
	struct buddy *b;
	struct model_span sp[MODEL_MAX_SPANS];
	u32 nr_spans, nr_frames, max_frames, max_spans;
	u32 *owner;			/* per frame index: 0 free, else live slot + 1 */
	u32 *data;			/* per frame index: its live block's id, 0 free */
	u32 next_id;
	struct model_live *live;
	u32 nr_live;
	unsigned long free_frames;
	u32 batches;
	struct {
		unsigned long pfn;
		unsigned int order;
	} ring[MODEL_RING];
	unsigned int ring_n;
	struct model_stats st;

	/* private: model.c's */
	u32 cap_frames, cap_spans;
	unsigned long next_scan, next_pick, refused;
	struct buddy snap_b;
	struct buddy_frame *snap_frames;
	struct buddy_span *snap_spans;
	u32 snap_idx, snap_n;		/* the frames compared: a window, or all */
	unsigned long *pfns;		/* scratch, one per frame */
	unsigned long *gathered;	/* buddy_gather()'s output, exactly as long */
};

/* Storage for allocators of up to @max_frames frames and @max_spans spans. */
void model_alloc(struct model *m, u32 max_frames, u32 max_spans);
void model_release(struct model *m);

/*
 * An allocator with storage for exactly @max_frames and @max_spans (so that
 * ASan sees any access past it), filled with garbage so that a frame read
 * before its span is added shows.
 */
struct buddy *model_buddy_new(u32 max_frames, u32 max_spans);
void model_buddy_free(struct buddy *b);
/* Give @b a placement policy (enum buddy_policy), with a free map if it needs one. */
void model_buddy_set_policy(struct buddy *b, unsigned int policy);

/* Start over with @b, just buddy_init()ed; the settings above stay. */
void model_start(struct model *m, struct buddy *b);

/* The operations: each calls the core once (or once per frame) and checks. */
int model_add_span(struct model *m, unsigned long pfn, u32 nr);
void model_alloc_order(struct model *m, unsigned int order);
void model_free_slot(struct model *m, u32 slot, bool tagged);
/* Any free at all: valid (then as model_free_slot()) or refused. @tag < 0: untagged. */
void model_free_any(struct model *m, unsigned long pfn, unsigned int order, int tag);
void model_gather(struct model *m, unsigned long n);
void model_lookup(struct model *m, unsigned long pfn);
void model_set_tag_slot(struct model *m, u32 slot, u8 tag);
/* buddy_set_tag() of any frame: the head of a live block, or refused. */
void model_set_tag(struct model *m, unsigned long pfn, u8 tag);
/* The directions of model_compact(): both is the callers' rule. */
#define MODEL_COMPACT_UP	1U
#define MODEL_COMPACT_DOWN	2U
#define MODEL_COMPACT_BOTH	(MODEL_COMPACT_UP | MODEL_COMPACT_DOWN)

/*
 * A compaction run at @order for the blocks tagged @tag, in the directions
 * @dirs: up, down, or both (up, then down if the run up left no block of
 * @order free, as the callers do; each direction a run of its own). Every
 * move is checked against the model and made, but the k-th of a direction
 * is refused (pinned: buddy_compact_done(false) and buddy_compact_skip())
 * when bit k % 64 of @pins is set; with @stop, a direction ends once a
 * block of @order is free, else when the core says the run is over.
 * buddy_check() after it.
 */
void model_compact(struct model *m, unsigned int order, u8 tag, u64 pins, bool stop,
		   unsigned int dirs);

/* After each step: the cheap checks, and the others when they are due. */
void model_step(struct model *m);
/* buddy_check() and the counters, now. */
void model_check(struct model *m);
/* Every block buddy_lookup() reports against the model, now. */
void model_verify(struct model *m);
/* Nothing live, every span free and in its maximal blocks. */
void model_expect_recovered(struct model *m);

/* The span that holds @pfn, or NULL; the live slot whose block holds it, or -1. */
const struct model_span *model_span_of(const struct model *m, unsigned long pfn);
long model_slot_of(const struct model *m, unsigned long pfn);
unsigned long model_pfn_of_index(struct model *m, u32 idx);

/* "-EINVAL" and the like, for messages. */
const char *model_errname(int err);

void model_fail(struct model *m, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

#define MODEL_ASSERT(m, cond, fmt, ...)					\
	do {								\
		if (!(cond))						\
			model_fail(m, "%s: " fmt, #cond, ##__VA_ARGS__); \
	} while (0)

#endif /* _VBUDDY_MODEL_H */
