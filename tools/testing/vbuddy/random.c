// SPDX-License-Identifier: GPL-2.0
/*
 * Randomized test of the vbuddy core against the reference model (model.c,
 * shared with the fuzz target; model.h says what it checks).
 *
 * The pool layout (spans with holes, odd sizes, touching spans) and the
 * operations are drawn from the seed: allocations of random orders (mostly
 * small), frees (plain and tagged), gathers (freed frame by frame later),
 * bad frees of every kind, lookups and tags, compaction runs (one in
 * COMPACT_EVERY operations on average: a random order, the tag of most
 * blocks or of one, some moves refused as pinned, stopping early or not;
 * buddy_check() after each), the pool drifting between
 * nearly empty and, now and then, beyond full. The model checks every
 * answer as it goes. Its O(frames) checks are paced for pools of up to
 * MAX_FRAMES frames and millions of operations: buddy_check() and every
 * block against the model every check_every operations and at the end,
 * every frame behind one -ENOMEM in SCAN_EVERY operations, all of the
 * storage behind one refused call in SNAP_EVERY (the others: the top-order
 * window around the frame). Finally all is freed and every span must be
 * back in its maximal blocks.
 */

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "vbuddy_test.h"

#define MAXO		VBUDDY_MAX_ORDER
#define MAX_SPANS	MODEL_MAX_SPANS
#define MAX_RANGE	(1UL << 20)	/* pfn range cap, in frames */
#define MAX_FRAMES	200000UL	/* pool size cap: bounds the run time */
#define SCAN_EVERY	1024U
#define SNAP_EVERY	64U
#define COMPACT_EVERY	2000U

struct layout {
	unsigned int nr;
	unsigned long pfn[MAX_SPANS];
	u32 nr_frames[MAX_SPANS];
};

struct rt {
	struct rng r;
	struct layout l;
	unsigned long base, size;	/* the layout covers [base, base + size) */
	struct model m;
	jmp_buf bail;			/* where a model failure ends the run */
};

/* ---- layouts ------------------------------------------------------------ */

static void layout_add(struct layout *l, unsigned long *end, unsigned long gap,
		       unsigned long nr)
{
	if (l->nr == MAX_SPANS || !nr)
		return;
	l->pfn[l->nr] = *end + gap;
	l->nr_frames[l->nr] = nr;
	*end = l->pfn[l->nr] + nr;
	l->nr++;
}

static unsigned long total_frames(const struct layout *l)
{
	unsigned long n = 0;
	unsigned int i;

	for (i = 0; i < l->nr; i++)
		n += l->nr_frames[i];
	return n;
}

/* A base pfn, sometimes above 4G, with the low @align_bits bits clear. */
static unsigned long random_base(struct rng *r, unsigned int align_bits)
{
	unsigned long base = rng_below(r, 4) ? rng_below(r, 1UL << 24)
					     : (1UL << 32) + rng_below(r, 1UL << 36);

	return base & ~((1UL << align_bits) - 1);
}

/* Few large spans, mostly aligned on 1 << MAXO, some with an odd tail. */
static void layout_large(struct rng *r, struct layout *l)
{
	unsigned long end = random_base(r, MAXO);
	unsigned int n = rng_range(r, 3, 6), i;

	for (i = 0; i < n; i++) {
		unsigned long gap = rng_below(r, 3) << MAXO;
		unsigned long nr = rng_range(r, 2, 20) << MAXO;

		if (!rng_below(r, 3))
			nr += rng_range(r, 1, (1UL << MAXO) - 1);
		if (!rng_below(r, 4))
			gap += rng_range(r, 1, 63);
		layout_add(l, &end, i ? gap : 0, nr);
	}
}

/* One of a few ranges, drawn by weight, then a value in it. */
struct pick {
	unsigned int weight;
	unsigned long lo, hi;
};

static unsigned long pick(struct rng *r, const struct pick *p, unsigned int n)
{
	unsigned int i, total = 0, k;

	for (i = 0; i < n; i++)
		total += p[i].weight;
	k = rng_below(r, total);
	for (i = 0; k >= p[i].weight; i++)
		k -= p[i].weight;
	/* A single value takes no draw, so that a seed keeps its layouts. */
	return p[i].lo == p[i].hi ? p[i].lo : rng_range(r, p[i].lo, p[i].hi);
}

/* Many small odd spans, often touching. */
static void layout_small(struct rng *r, struct layout *l)
{
	static const struct pick sizes[] = { { 3, 1, 7 }, { 4, 8, 300 }, { 3, 301, 5000 } };
	static const struct pick gaps[] = { { 7, 0, 0 }, { 7, 1, 16 }, { 6, 17, 5000 } };
	unsigned long end = random_base(r, 0);
	unsigned int n = rng_range(r, 10, MAX_SPANS), i;

	for (i = 0; i < n; i++) {
		unsigned long nr = pick(r, sizes, ARRAY_SIZE(sizes));
		unsigned long gap = pick(r, gaps, ARRAY_SIZE(gaps));

		layout_add(l, &end, i ? gap : 0, nr);
	}
}

/*
 * Mixed sizes and alignments. It starts with [B, B + 1536) touching
 * [B + 1536, ...), B aligned on 1 << MAXO: the order-9 blocks at B + 1024
 * and B + 1536 are buddies by pfn across the edge.
 */
static void layout_mixed(struct rng *r, struct layout *l)
{
	static const struct pick sizes[] = { { 2, 1, 31 }, { 5, 32, 8000 }, { 3, 8000, 40000 } };
	unsigned long end = random_base(r, MAXO);
	unsigned int n = rng_range(r, 5, 10), i;

	layout_add(l, &end, 0, 1536);
	layout_add(l, &end, 0, 512 + rng_below(r, 3000));
	for (i = 2; i < n; i++) {
		unsigned long gap, nr = pick(r, sizes, ARRAY_SIZE(sizes));
		unsigned int k = rng_below(r, 4);

		gap = k == 0 ? 0 : k == 1 ? rng_range(r, 1, 1023) :
		      k == 2 ? (rng_range(r, 1, 4) << MAXO) - (end & ((1UL << MAXO) - 1)) :
		      rng_range(r, 1024, 20000);
		layout_add(l, &end, gap, nr);
	}
}

static const struct {
	const char *name;
	void (*make)(struct rng *r, struct layout *l);
} layouts[NR_RANDOM_LAYOUTS] = {
	{ "random: few large aligned spans", layout_large },
	{ "random: many small odd spans", layout_small },
	{ "random: mixed spans, buddies across an edge", layout_mixed },
};

static void print_layout(const struct rt *t)
{
	unsigned int i;

	printf("#   layout: %u spans, %lu frames:", t->l.nr, total_frames(&t->l));
	for (i = 0; i < t->l.nr; i++)
		printf(" [%lu,+%u)", t->l.pfn[i], t->l.nr_frames[i]);
	printf("\n");
}

/* ---- operations ------------------------------------------------------------ */

static unsigned int random_order(struct rng *r)
{
	unsigned int o;

	if (!rng_below(r, 8))
		return rng_below(r, MAXO + 1);
	o = __builtin_ctzll(rng_next(r) | (1ULL << 40));
	return o > MAXO ? rng_below(r, MAXO + 1) : o;
}

static void op_free(struct rt *t)
{
	t->m.what = "free";
	model_free_slot(&t->m, rng_below(&t->r, t->m.nr_live), rng_below(&t->r, 2));
}

static void op_gather(struct rt *t)
{
	unsigned long n, free = t->m.free_frames;
	unsigned int k = rng_below(&t->r, 100);

	if (k < 80)
		n = rng_range(&t->r, 1, 16);
	else if (k < 96)
		n = rng_range(&t->r, 17, 256);
	else if (k < 98)
		n = rng_range(&t->r, 257, 2048);
	else if (k < 99 || !free || free > 4096)
		n = free + rng_range(&t->r, 1, 10);	/* too many */
	else
		n = free;				/* everything */
	t->m.what = "gather";
	model_gather(&t->m, n);
}

/* Any frame of the layout's range, hole or not. */
static unsigned long any_pfn(struct rt *t)
{
	return t->base + rng_below(&t->r, t->size);
}

/*
 * A bad free: the pfn and order are picked to provoke each error, and the
 * model says which one is due (or, now and then, that it is a good free).
 */
static void op_bad_free(struct rt *t)
{
	struct model *m = &t->m;
	unsigned int order = 0, kind = rng_below(&t->r, 7), tries;
	unsigned long pfn = 0;
	int tag = -1;

	switch (kind) {
	case 0:		/* order out of range */
		pfn = m->nr_live ? m->live[rng_below(&t->r, m->nr_live)].pfn : t->l.pfn[0];
		order = rng_range(&t->r, MAXO + 1, 300);
		break;
	case 1:		/* outside every span */
		switch (rng_below(&t->r, 4)) {
		case 0:
			pfn = t->base ? rng_below(&t->r, t->base) : t->base + t->size;
			break;
		case 1:
			pfn = t->base + t->size + rng_below(&t->r, 1UL << 20);
			break;
		default:
			for (tries = 0; tries < 16; tries++) {
				pfn = any_pfn(t);
				if (!model_span_of(m, pfn))
					break;
			}
			break;
		}
		order = rng_below(&t->r, MAXO + 1);
		break;
	case 2:		/* a recently freed block: double free if still free */
		if (m->ring_n) {
			unsigned int i = rng_below(&t->r, m->ring_n < MODEL_RING ?
						   m->ring_n : MODEL_RING);

			pfn = m->ring[i].pfn;
			order = m->ring[i].order;
			break;
		}
		/* fall through */
	case 3:		/* any free frame */
		for (tries = 0; tries < 16; tries++) {
			pfn = any_pfn(t);
			if (model_span_of(m, pfn) && model_slot_of(m, pfn) < 0)
				break;
		}
		order = rng_below(&t->r, MAXO + 1);
		break;
	case 4:		/* inside a live block */
	case 5:		/* the head of a live block, wrong order */
		if (!m->nr_live)
			return;
		for (tries = 0; tries < 8; tries++) {
			const struct model_live *l = &m->live[rng_below(&t->r, m->nr_live)];

			pfn = l->pfn;
			order = l->order;
			if (kind == 4 && l->order) {
				pfn += rng_range(&t->r, 1, (1UL << l->order) - 1);
				break;
			}
			if (kind == 5) {
				order = (l->order + rng_range(&t->r, 1, MAXO)) % (MAXO + 1);
				break;
			}
		}
		if (kind == 4 && rng_below(&t->r, 2))
			order = rng_below(&t->r, MAXO + 1);
		break;
	case 6:		/* buddy_free_tagged() with the wrong tag */
		if (!m->nr_live)
			return;
		{
			const struct model_live *l = &m->live[rng_below(&t->r, m->nr_live)];

			pfn = l->pfn;
			order = l->order;
			tag = (l->tag + rng_range(&t->r, 1, 255)) & 0xff;
		}
		break;
	}
	if (kind != 6 && !rng_below(&t->r, 4))
		tag = rng_below(&t->r, 256);	/* tagged: the same errors first */
	m->what = "bad free";
	model_free_any(m, pfn, order, tag);
}

/* Tag a live block, or try an interior frame or any frame; look one up. */
static void op_lookup_or_tag(struct rt *t)
{
	struct model *m = &t->m;
	unsigned long pfn;

	m->what = "lookup or tag";
	if (m->nr_live && rng_below(&t->r, 2)) {
		u32 slot = rng_below(&t->r, m->nr_live);
		const struct model_live *l = &m->live[slot];
		u8 tag = rng_next(&t->r);

		if (rng_below(&t->r, 2)) {
			model_set_tag_slot(m, slot, tag);
			return;
		}
		if (l->order)
			model_set_tag(m, l->pfn + rng_range(&t->r, 1, (1UL << l->order) - 1), tag);
		pfn = l->pfn + rng_below(&t->r, 1UL << l->order);
	} else {
		pfn = any_pfn(t);
		model_set_tag(m, pfn, rng_next(&t->r));
	}
	model_lookup(m, pfn);
}

/*
 * A compaction run: at a random order, for tag 0 (every block not tagged
 * since its allocation, gathered frames too) or the tag of a live block;
 * no pins, or each move pinned with probability 1/8; stopping once a
 * block of the order is free, or going on until the core ends the run;
 * up, down, or up and then down (the callers' rule), a third each.
 */
static void op_compact(struct rt *t)
{
	struct model *m = &t->m;
	unsigned int order = rng_range(&t->r, 1, MAXO);
	unsigned int dirs;
	u8 tag = 0;
	u64 pins = 0;
	bool stop;

	if (m->nr_live && rng_below(&t->r, 2))
		tag = m->live[rng_below(&t->r, m->nr_live)].tag;
	if (rng_below(&t->r, 2))
		pins = rng_next(&t->r) & rng_next(&t->r) & rng_next(&t->r);
	stop = rng_below(&t->r, 2);
	dirs = 1 + rng_below(&t->r, 3);
	m->what = "compact";
	model_compact(m, order, tag, pins, stop, dirs);
}

/* ---- a run ------------------------------------------------------------------ */

static void rt_fail(struct model *m, const char *msg)
{
	struct rt *t = m->priv;

	test_fail(__FILE__, __LINE__, "%s", msg);
	longjmp(t->bail, 1);
}

/* A layout from the seed, within the caps. */
static void make_layout(struct rt *t, const struct rand_params *rp, unsigned int layout)
{
	unsigned long end;

	/* Each layout has a stream of its own, all from the one seed. */
	t->r.s = rp->seed * 0x100000001b3ULL + layout + 1;
	for (;;) {
		memset(&t->l, 0, sizeof(t->l));
		layouts[layout].make(&t->r, &t->l);
		end = t->l.pfn[t->l.nr - 1] + t->l.nr_frames[t->l.nr - 1];
		if (end - t->l.pfn[0] <= MAX_RANGE && total_frames(&t->l) <= MAX_FRAMES)
			break;
	}
	t->base = t->l.pfn[0];
	t->size = end - t->base;
}

static void run_ops(struct rt *t, const struct rand_params *rp)
{
	struct model *m = &t->m;
	unsigned long fill_target = 0, op;
	unsigned int s;

	for (s = 0; s < t->l.nr; s++)
		MODEL_ASSERT(m, !model_add_span(m, t->l.pfn[s], t->l.nr_frames[s]),
			     "add span [%lu,+%u)", t->l.pfn[s], t->l.nr_frames[s]);
	model_expect_recovered(m);
	model_verify(m);

	for (op = 0; op < rp->ops; op++) {
		unsigned int k = rng_below(&t->r, 1000);
		unsigned long used = m->nr_frames - m->free_frames;

		m->op = op + 1;
		/* Drift between nearly empty and, now and then, beyond full. */
		if (!(op & 0x3fff))
			fill_target = m->nr_frames *
				      (rng_below(&t->r, 8) ? rng_range(&t->r, 0, 95) : 105) / 100;

		if (k < 10) {
			op_bad_free(t);
		} else if (k == 10 && !rng_below(&t->r, COMPACT_EVERY / 1000)) {
			op_compact(t);
		} else if (k < 30) {
			op_lookup_or_tag(t);
		} else if (!m->nr_live ||
			   rng_below(&t->r, 100) < (used < fill_target ? 70 : 30)) {
			if (rng_below(&t->r, 100) < 2) {
				op_gather(t);
			} else {
				m->what = "alloc";
				model_alloc_order(m, random_order(&t->r));
			}
		} else {
			op_free(t);
		}
		model_step(m);
	}
	m->what = "final verify";
	model_verify(m);

	/* Free everything: every span must come back whole. */
	while (m->nr_live)
		op_free(t);
	m->what = "recovery";
	model_verify(m);
	model_expect_recovered(m);
}

const char *random_layout_name(unsigned int layout)
{
	return layouts[layout].name;
}

bool random_run(const struct rand_params *rp, unsigned int layout)
{
	struct rt *t = xcalloc(1, sizeof(*t));
	struct model *m = &t->m;
	bool ok;
	const struct model_stats *st = &m->st;

	make_layout(t, rp, layout);
	print_layout(t);
	m->check_every = 0;		/* model_verify() runs buddy_check() */
	m->verify_every = rp->check_every;
	m->scan_every = SCAN_EVERY;
	m->snap_every = SNAP_EVERY;
	m->fail = rt_fail;
	m->priv = t;
	model_alloc(m, total_frames(&t->l), t->l.nr);
	model_start(m, model_buddy_new(total_frames(&t->l), t->l.nr));
	/* Each layout under another placement policy, the maps checked too. */
	model_buddy_set_policy(m->b, layout % BUDDY_NR_POLICIES);
	printf("#   placement: %s\n", buddy_policy_names[layout % BUDDY_NR_POLICIES]);
	ok = !setjmp(t->bail);		/* and again, false, if the model fails */
	if (ok)
		run_ops(t, rp);

	printf("#   %lu ops: %lu allocs (%lu -ENOMEM, %lu checked on every frame), %lu frees, %lu gathers of %lu frames (%lu -ENOMEM), %lu refused frees, %lu lookups, %lu tag ops, %lu full checks\n",
	       m->op, st->alloc, st->alloc_enomem, st->scans, st->free, st->gather,
	       st->gather_frames, st->gather_enomem, st->refused, st->lookup, st->tag,
	       st->verify);
	printf("#   %lu compaction runs (%lu going down, %lu ending with a block of their order free): %lu moves, %lu pinned\n",
	       st->compact, st->compact_down, st->compact_success, st->compact_moved,
	       st->compact_pinned);
	if (!ok)
		printf("#   FAILED: replay with: make check SEED=%llu OPS=%lu\n",
		       (unsigned long long)rp->seed, rp->ops);
	model_buddy_free(m->b);
	model_release(m);
	free(t);
	return ok;
}
