// SPDX-License-Identifier: GPL-2.0
/*
 * Randomized test of the vbuddy core against a reference model.
 *
 * The pool layout (spans with holes, odd sizes, touching spans) and the
 * operations are drawn from the seed. The model keeps one word per frame
 * of the pool's pfn range: a hole, free, or the slot of the live allocation
 * that owns it. After each operation the allocator's answer is checked
 * against the model: allocations naturally aligned, inside one span, never
 * over a live allocation, -ENOMEM only when the model has no free aligned
 * run of that order, free_frames equal to the model's count; bad frees
 * (buddy_free() and buddy_free_tagged()) return the error the model
 * predicts and change nothing. Every check_every operations, and at the
 * end, buddy_check() runs and every block the allocator reports is
 * compared with the model. Finally all is freed and every span must be
 * back in its maximal blocks.
 */

#include <stdlib.h>
#include <string.h>

#include "vbuddy_test.h"

#define MAXO		VBUDDY_MAX_ORDER
#define MAX_SPANS	16
#define MAX_RANGE	(1UL << 20)	/* model size cap, in frames */
#define MAX_FRAMES	200000UL	/* pool size cap: bounds the run time */

#define OWN_FREE	0U
#define OWN_HOLE	(~0U)

struct layout {
	unsigned int nr;
	unsigned long pfn[MAX_SPANS];
	u32 nr_frames[MAX_SPANS];
};

struct live {
	unsigned long pfn;
	u8 order;
	u8 tag;
};

struct stats {
	unsigned long alloc, alloc_enomem, free, gather, gather_frames,
		      gather_enomem, bad_free, lookup, tag, verify, nomem_scan;
};

struct rt {
	struct rng r;
	struct tpool *p;
	struct buddy *b;
	struct layout l;
	unsigned long base, size;	/* the model covers [base, base + size) */
	u32 *owner;			/* OWN_HOLE, OWN_FREE or live slot + 1 */
	struct live *live;
	u32 nr_live;
	unsigned long model_free;
	unsigned long *gbuf;		/* buddy_gather() output */
	struct {
		unsigned long pfn;
		unsigned int order;
	} ring[64];			/* recently freed blocks */
	unsigned int ring_n;
	unsigned long op;
	unsigned long next_scan;	/* op of the next model_has_free_block() */
	struct stats st;
};

#define RFAIL(t, fmt, ...)						\
	test_fail(__FILE__, __LINE__, "op %lu: " fmt, (t)->op, ##__VA_ARGS__)

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

/* Many small odd spans, often touching. */
static void layout_small(struct rng *r, struct layout *l)
{
	unsigned long end = random_base(r, 0);
	unsigned int n = rng_range(r, 10, MAX_SPANS), i;

	for (i = 0; i < n; i++) {
		unsigned int k = rng_below(r, 10);
		unsigned long gap, nr;

		if (k < 3)
			nr = rng_range(r, 1, 7);
		else if (k < 7)
			nr = rng_range(r, 8, 300);
		else
			nr = rng_range(r, 301, 5000);
		k = rng_below(r, 20);
		if (k < 7)
			gap = 0;
		else if (k < 14)
			gap = rng_range(r, 1, 16);
		else
			gap = rng_range(r, 17, 5000);
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
	unsigned long end = random_base(r, MAXO);
	unsigned int n = rng_range(r, 5, 10), i;

	layout_add(l, &end, 0, 1536);
	layout_add(l, &end, 0, 512 + rng_below(r, 3000));
	for (i = 2; i < n; i++) {
		unsigned int k = rng_below(r, 10);
		unsigned long gap, nr;

		if (k < 2)
			nr = rng_range(r, 1, 31);
		else if (k < 7)
			nr = rng_range(r, 32, 8000);
		else
			nr = rng_range(r, 8000, 40000);
		k = rng_below(r, 4);
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

/* ---- the model ------------------------------------------------------------ */

static inline u32 *own(struct rt *t, unsigned long pfn)
{
	return &t->owner[pfn - t->base];
}

static inline bool in_range(const struct rt *t, unsigned long pfn)
{
	return pfn >= t->base && pfn - t->base < t->size;
}

/* The layout's span holding @pfn, or -1. */
static int span_at(const struct rt *t, unsigned long pfn)
{
	int lo = 0, hi = t->l.nr;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (pfn < t->l.pfn[mid])
			hi = mid;
		else if (pfn - t->l.pfn[mid] >= t->l.nr_frames[mid])
			lo = mid + 1;
		else
			return mid;
	}
	return -1;
}

/* Is [pfn, pfn + 2^order) naturally aligned and inside one span? */
static bool block_placed(const struct rt *t, unsigned long pfn, unsigned int order)
{
	int s = span_at(t, pfn);

	return s >= 0 && !(pfn & ((1UL << order) - 1)) &&
	       pfn - t->l.pfn[s] + (1UL << order) <= t->l.nr_frames[s];
}

static void model_take(struct rt *t, unsigned long pfn, unsigned int order,
		       u32 slot)
{
	unsigned long i;

	for (i = 0; i < (1UL << order); i++)
		*own(t, pfn + i) = slot + 1;
	t->model_free -= 1UL << order;
}

/* Records a new live block; false (after a failure) if it overlaps. */
static bool live_add(struct rt *t, unsigned long pfn, unsigned int order)
{
	unsigned long i;

	if (!block_placed(t, pfn, order)) {
		RFAIL(t, "block %lu order %u is misaligned or not inside one span",
		      pfn, order);
		return false;
	}
	for (i = 0; i < (1UL << order); i++) {
		u32 o = *own(t, pfn + i);

		if (o != OWN_FREE) {
			RFAIL(t, "block %lu order %u overlaps live block %lu order %u at %lu",
			      pfn, order, t->live[o - 1].pfn,
			      t->live[o - 1].order, pfn + i);
			return false;
		}
	}
	t->live[t->nr_live].pfn = pfn;
	t->live[t->nr_live].order = order;
	t->live[t->nr_live].tag = 0;
	model_take(t, pfn, order, t->nr_live);
	t->nr_live++;
	return true;
}

static void live_remove(struct rt *t, u32 slot)
{
	struct live *l = &t->live[slot];
	unsigned long i;

	for (i = 0; i < (1UL << l->order); i++)
		*own(t, l->pfn + i) = OWN_FREE;
	t->model_free += 1UL << l->order;

	t->ring[t->ring_n % ARRAY_SIZE(t->ring)].pfn = l->pfn;
	t->ring[t->ring_n % ARRAY_SIZE(t->ring)].order = l->order;
	t->ring_n++;

	if (slot != --t->nr_live) {
		*l = t->live[t->nr_live];
		for (i = 0; i < (1UL << l->order); i++)
			*own(t, l->pfn + i) = slot + 1;
	}
}

/*
 * What buddy_free(pfn, order) must return according to the model; with
 * @tag >= 0, what buddy_free_tagged(pfn, order, tag) must return.
 */
static int expected_free_err(struct rt *t, unsigned long pfn, unsigned int order,
			     int tag)
{
	const struct live *l;
	u32 o;

	if (order > MAXO)
		return -ERANGE;
	if (!in_range(t, pfn) || *own(t, pfn) == OWN_HOLE)
		return -ENOENT;
	o = *own(t, pfn);
	if (o == OWN_FREE)
		return -EALREADY;
	l = &t->live[o - 1];
	if (l->pfn != pfn)
		return -EFAULT;
	if (l->order != order)
		return -EINVAL;
	if (tag >= 0 && l->tag != tag)
		return -EPERM;
	return 0;
}

static int do_free(struct buddy *b, unsigned long pfn, unsigned int order,
		   int tag)
{
	return tag < 0 ? buddy_free(b, pfn, order) :
			 buddy_free_tagged(b, pfn, order, tag);
}

/* Does the model hold a free, aligned run of 2^order frames in one span? */
static bool model_has_free_block(struct rt *t, unsigned int order)
{
	unsigned int s;

	t->st.nomem_scan++;
	t->next_scan = t->op + 1024;
	for (s = 0; s < t->l.nr; s++) {
		unsigned long pfn = t->l.pfn[s], end = pfn + t->l.nr_frames[s];
		unsigned long run = 0;

		for (; pfn < end; pfn++) {
			if (*own(t, pfn) != OWN_FREE) {
				run = 0;
				continue;
			}
			/* A run that starts aligned and reaches 2^order. */
			if (!run && (pfn & ((1UL << order) - 1)))
				continue;
			if (++run == (1UL << order))
				return true;
		}
	}
	return false;
}

/* ---- the full cross-check ---------------------------------------------------- */

static bool verify(struct rt *t)
{
	unsigned long nr_free[VBUDDY_NR_ORDERS] = { 0 }, free_frames = 0;
	int largest = -1, ret;
	unsigned int s, o;

	t->st.verify++;
	ret = buddy_check(t->b);
	if (ret) {
		RFAIL(t, "buddy_check: %s", buddy_strerror(ret));
		return false;
	}
	for (s = 0; s < t->l.nr; s++) {
		unsigned long pfn = t->l.pfn[s], end = pfn + t->l.nr_frames[s];

		while (pfn < end) {
			struct buddy_block blk;
			unsigned long i, n;
			u32 want;

			ret = buddy_lookup(t->b, pfn, &blk);
			if (ret || blk.pfn != pfn || blk.order > MAXO ||
			    !block_placed(t, pfn, blk.order)) {
				RFAIL(t, "lookup(%lu): %s, pfn %lu order %u", pfn,
				      buddy_strerror(ret), blk.pfn, blk.order);
				return false;
			}
			n = 1UL << blk.order;
			if (blk.state == BUDDY_FREE) {
				want = OWN_FREE;
				nr_free[blk.order]++;
				free_frames += n;
				if ((int)blk.order > largest)
					largest = blk.order;
			} else {
				const struct live *l;

				want = *own(t, pfn);
				l = want != OWN_FREE && want != OWN_HOLE ?
				    &t->live[want - 1] : NULL;
				if (blk.state != BUDDY_USED || !l ||
				    l->pfn != pfn || l->order != blk.order ||
				    l->tag != blk.tag) {
					RFAIL(t, "block %lu order %u state %d tag %u: model has %s %lu order %u tag %u",
					      pfn, blk.order, blk.state, blk.tag,
					      l ? "live" : "no live block",
					      l ? l->pfn : 0, l ? l->order : 0,
					      l ? l->tag : 0);
					return false;
				}
			}
			for (i = 0; i < n; i++) {
				if (*own(t, pfn + i) != want) {
					RFAIL(t, "block %lu order %u (state %d): model frame %lu differs",
					      pfn, blk.order, blk.state, pfn + i);
					return false;
				}
			}
			pfn += n;
		}
	}
	for (o = 0; o <= MAXO; o++) {
		if (t->b->nr_free[o] != nr_free[o]) {
			RFAIL(t, "nr_free[%u] = %lu, %lu free blocks found", o,
			      t->b->nr_free[o], nr_free[o]);
			return false;
		}
	}
	if (free_frames != t->model_free || t->b->free_frames != t->model_free) {
		RFAIL(t, "free frames: allocator %lu, blocks %lu, model %lu",
		      t->b->free_frames, free_frames, t->model_free);
		return false;
	}
	if (buddy_largest_free_order(t->b) != largest) {
		RFAIL(t, "largest free order %d, blocks say %d",
		      buddy_largest_free_order(t->b), largest);
		return false;
	}
	return true;
}

/* ---- operations ------------------------------------------------------------------ */

static bool same_counters(const struct buddy *a, const struct buddy *b)
{
	return a->nr_frames == b->nr_frames && a->nr_spans == b->nr_spans &&
	       a->free_frames == b->free_frames &&
	       !memcmp(a->free_head, b->free_head, sizeof(a->free_head)) &&
	       !memcmp(a->nr_free, b->nr_free, sizeof(a->nr_free));
}

static unsigned int random_order(struct rng *r)
{
	unsigned int o;

	if (!rng_below(r, 8))
		return rng_below(r, MAXO + 1);
	o = __builtin_ctzll(rng_next(r) | (1ULL << 40));
	return o > MAXO ? rng_below(r, MAXO + 1) : o;
}

static bool op_alloc(struct rt *t)
{
	unsigned int o = random_order(&t->r), k;
	unsigned long pfn = 0, before = t->b->free_frames;
	int ret;

	ret = buddy_alloc(t->b, o, &pfn);
	if (ret == -ENOMEM) {
		t->st.alloc_enomem++;
		for (k = o; k <= MAXO; k++) {
			if (t->b->nr_free[k]) {
				RFAIL(t, "alloc order %u: -ENOMEM with %lu free blocks of order %u",
				      o, t->b->nr_free[k], k);
				return false;
			}
		}
		if (buddy_largest_free_order(t->b) >= (int)o ||
		    t->b->free_frames != before) {
			RFAIL(t, "alloc order %u: -ENOMEM, largest free order %d",
			      o, buddy_largest_free_order(t->b));
			return false;
		}
		/* The model must agree that no such block is free (O(frames): sampled). */
		if (t->op >= t->next_scan && model_has_free_block(t, o)) {
			RFAIL(t, "alloc order %u: -ENOMEM but the model has a free aligned block",
			      o);
			return false;
		}
		return true;
	}
	if (ret) {
		RFAIL(t, "alloc order %u: %s", o, buddy_strerror(ret));
		return false;
	}
	t->st.alloc++;
	return live_add(t, pfn, o);
}

static bool op_free(struct rt *t)
{
	u32 slot = rng_below(&t->r, t->nr_live);
	struct live *l = &t->live[slot];
	int tag = rng_below(&t->r, 2) ? l->tag : -1;
	int ret = do_free(t->b, l->pfn, l->order, tag);

	if (ret) {
		RFAIL(t, "free%s %lu order %u: %s", tag < 0 ? "" : "_tagged",
		      l->pfn, l->order, buddy_strerror(ret));
		return false;
	}
	t->st.free++;
	live_remove(t, slot);
	return true;
}

static bool op_gather(struct rt *t)
{
	unsigned long before[VBUDDY_NR_ORDERS], cum = 0, n, i, free = t->b->free_frames;
	unsigned int k = rng_below(&t->r, 100), kstar, o;
	int ret;

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

	memcpy(before, t->b->nr_free, sizeof(before));
	/* The smallest kstar with enough frames in blocks of order <= kstar. */
	for (kstar = 0; kstar <= MAXO; kstar++) {
		cum += before[kstar] << kstar;
		if (cum >= n)
			break;
	}

	if (n > free) {
		struct buddy saved = *t->b;

		ret = buddy_gather(t->b, n, t->gbuf);
		if (ret != -ENOMEM || !same_counters(&saved, t->b)) {
			RFAIL(t, "gather %lu of %lu free: %s, or the counters changed",
			      n, free, buddy_strerror(ret));
			return false;
		}
		t->st.gather_enomem++;
		return true;
	}
	ret = buddy_gather(t->b, n, t->gbuf);
	if (ret) {
		RFAIL(t, "gather %lu of %lu free: %s", n, free,
		      buddy_strerror(ret));
		return false;
	}
	t->st.gather++;
	t->st.gather_frames += n;
	for (i = 0; i < n; i++)
		if (!live_add(t, t->gbuf[i], 0))
			return false;
	/* Smallest blocks first: nothing above kstar was touched. */
	for (o = kstar + 1; o <= MAXO; o++) {
		if (t->b->nr_free[o] != before[o]) {
			RFAIL(t, "gather %lu: order %u blocks %lu -> %lu, but orders <= %u held enough",
			      n, o, before[o], t->b->nr_free[o], kstar);
			return false;
		}
	}
	if (t->b->free_frames != free - n) {
		RFAIL(t, "gather %lu: free frames %lu -> %lu", n, free,
		      t->b->free_frames);
		return false;
	}
	return true;
}

/*
 * A bad free: the pfn and order are picked to provoke each error; the
 * model says which one is due. The counters must not move, nor any frame
 * of the aligned top-order window around @pfn (the only frames a free
 * there could merge), nor - checked now and then - any byte at all.
 */
static bool op_bad_free(struct rt *t)
{
	struct buddy_frame win[1 << MAXO];
	unsigned long pfn = 0, wpfn = 0;
	unsigned int order = 0, kind = rng_below(&t->r, 7), tries;
	struct buddy saved;
	struct snap full;
	bool do_full = !rng_below(&t->r, 64);
	u32 widx = 0, wn = 0;
	int want, ret, s, tag = -1;

	switch (kind) {
	case 0:		/* order out of range */
		pfn = t->nr_live ? t->live[rng_below(&t->r, t->nr_live)].pfn :
				   t->l.pfn[0];
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
				pfn = t->base + rng_below(&t->r, t->size);
				if (*own(t, pfn) == OWN_HOLE)
					break;
			}
			break;
		}
		order = rng_below(&t->r, MAXO + 1);
		break;
	case 2:		/* a recently freed block: double free if still free */
		if (t->ring_n) {
			unsigned int i = rng_below(&t->r, t->ring_n < ARRAY_SIZE(t->ring) ?
						   t->ring_n : ARRAY_SIZE(t->ring));

			pfn = t->ring[i].pfn;
			order = t->ring[i].order;
			break;
		}
		/* fall through */
	case 3:		/* any free frame */
		for (tries = 0; tries < 16; tries++) {
			pfn = t->base + rng_below(&t->r, t->size);
			if (*own(t, pfn) == OWN_FREE)
				break;
		}
		order = rng_below(&t->r, MAXO + 1);
		break;
	case 4:		/* inside a live block */
	case 5:		/* the head of a live block, wrong order */
		if (!t->nr_live)
			return true;
		for (tries = 0; tries < 8; tries++) {
			const struct live *l = &t->live[rng_below(&t->r, t->nr_live)];

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
		if (!t->nr_live)
			return true;
		{
			const struct live *l = &t->live[rng_below(&t->r, t->nr_live)];

			pfn = l->pfn;
			order = l->order;
			tag = (l->tag + rng_range(&t->r, 1, 255)) & 0xff;
		}
		break;
	}
	if (kind != 6 && !rng_below(&t->r, 4))
		tag = rng_below(&t->r, 256);	/* tagged: same errors first */

	want = expected_free_err(t, pfn, order, tag);
	if (!want)
		return true;	/* happened to be a valid free: not this op's job */

	saved = *t->b;
	s = in_range(t, pfn) ? span_at(t, pfn) : -1;
	if (s >= 0) {
		unsigned long lo = pfn & ~((1UL << MAXO) - 1);
		unsigned long spfn = t->l.pfn[s], send = spfn + t->l.nr_frames[s];
		unsigned long hi = lo + (1UL << MAXO);

		wpfn = lo < spfn ? spfn : lo;
		hi = hi > send ? send : hi;
		widx = t->b->spans[s].first + (u32)(wpfn - spfn);
		wn = hi - wpfn;
		memcpy(win, &t->b->frames[widx], wn * sizeof(win[0]));
	}
	if (do_full)
		snap_take(&full, t->b);

	ret = do_free(t->b, pfn, order, tag);
	t->st.bad_free++;
	if (ret != want) {
		RFAIL(t, "bad free %lu order %u tag %d (kind %u): got %d (%s), want %d (%s)",
		      pfn, order, tag, kind, ret, buddy_strerror(ret), want,
		      buddy_strerror(want));
		if (do_full)
			snap_drop(&full);
		return false;
	}
	if (!same_counters(&saved, t->b) ||
	    (wn && memcmp(win, &t->b->frames[widx], wn * sizeof(win[0])))) {
		RFAIL(t, "bad free %lu order %u (%s) changed the state near %lu",
		      pfn, order, buddy_strerror(want), wpfn);
		if (do_full)
			snap_drop(&full);
		return false;
	}
	if (do_full) {
		bool same = snap_same(&full, t->b);

		snap_drop(&full);
		if (!same) {
			RFAIL(t, "bad free %lu order %u (%s) changed the state",
			      pfn, order, buddy_strerror(want));
			return false;
		}
	}
	return true;
}

static bool op_lookup_or_tag(struct rt *t)
{
	struct buddy_block blk;
	unsigned long pfn;
	u32 o;
	int ret;

	if (t->nr_live && rng_below(&t->r, 2)) {
		struct live *l = &t->live[rng_below(&t->r, t->nr_live)];
		u8 tag = rng_next(&t->r);

		t->st.tag++;
		if (rng_below(&t->r, 2)) {
			ret = buddy_set_tag(t->b, l->pfn, tag);
			if (ret) {
				RFAIL(t, "set_tag %lu: %s", l->pfn, buddy_strerror(ret));
				return false;
			}
			l->tag = tag;
			return true;
		}
		if (l->order) {
			pfn = l->pfn + rng_range(&t->r, 1, (1UL << l->order) - 1);
			ret = buddy_set_tag(t->b, pfn, tag);
			if (ret != -EINVAL) {
				RFAIL(t, "set_tag on interior frame %lu: %s", pfn,
				      buddy_strerror(ret));
				return false;
			}
		}
		pfn = l->pfn + rng_below(&t->r, 1UL << l->order);
	} else {
		pfn = t->base + rng_below(&t->r, t->size);
	}

	t->st.lookup++;
	ret = buddy_lookup(t->b, pfn, &blk);
	o = *own(t, pfn);
	if (o == OWN_HOLE) {
		if (ret != -ENOENT) {
			RFAIL(t, "lookup of hole %lu: %s", pfn, buddy_strerror(ret));
			return false;
		}
		if (buddy_set_tag(t->b, pfn, 1) != -EINVAL) {
			RFAIL(t, "set_tag on hole %lu accepted", pfn);
			return false;
		}
		return true;
	}
	if (ret) {
		RFAIL(t, "lookup %lu: %s", pfn, buddy_strerror(ret));
		return false;
	}
	if (o != OWN_FREE) {
		const struct live *l = &t->live[o - 1];

		if (blk.state != BUDDY_USED || blk.pfn != l->pfn ||
		    blk.order != l->order || blk.tag != l->tag) {
			RFAIL(t, "lookup %lu: state %d pfn %lu order %u tag %u, model: used %lu order %u tag %u",
			      pfn, blk.state, blk.pfn, blk.order, blk.tag,
			      l->pfn, l->order, l->tag);
			return false;
		}
		return true;
	}
	if (blk.state != BUDDY_FREE || blk.order > MAXO ||
	    pfn - blk.pfn >= (1UL << blk.order) || pfn < blk.pfn ||
	    !block_placed(t, blk.pfn, blk.order)) {
		RFAIL(t, "lookup of free frame %lu: state %d pfn %lu order %u",
		      pfn, blk.state, blk.pfn, blk.order);
		return false;
	}
	for (pfn = blk.pfn; pfn < blk.pfn + (1UL << blk.order); pfn++) {
		if (*own(t, pfn) != OWN_FREE) {
			RFAIL(t, "free block %lu order %u holds model-owned frame %lu",
			      blk.pfn, blk.order, pfn);
			return false;
		}
	}
	if (buddy_set_tag(t->b, blk.pfn, 1) != -EINVAL) {
		RFAIL(t, "set_tag on free block %lu accepted", blk.pfn);
		return false;
	}
	return true;
}

/* ---- a run ------------------------------------------------------------------------- */

static bool setup(struct rt *t, const struct rand_params *rp, unsigned int layout)
{
	unsigned long total, end, i;
	unsigned int s;

	memset(t, 0, sizeof(*t));
	/* Each layout has a stream of its own, all from the one seed. */
	t->r.s = rp->seed * 0x100000001b3ULL + layout + 1;
	for (;;) {
		memset(&t->l, 0, sizeof(t->l));
		layouts[layout].make(&t->r, &t->l);
		end = t->l.pfn[t->l.nr - 1] + t->l.nr_frames[t->l.nr - 1];
		if (end - t->l.pfn[0] <= MAX_RANGE &&
		    total_frames(&t->l) <= MAX_FRAMES)
			break;
	}
	total = total_frames(&t->l);
	t->base = t->l.pfn[0];
	t->size = end - t->base;

	t->p = tpool_new(total, t->l.nr);
	t->b = &t->p->b;
	for (s = 0; s < t->l.nr; s++) {
		int ret = buddy_add_span(t->b, t->l.pfn[s], t->l.nr_frames[s]);

		if (ret) {
			RFAIL(t, "add span [%lu,+%u): %s", t->l.pfn[s],
			      t->l.nr_frames[s], buddy_strerror(ret));
			return false;
		}
	}
	t->owner = xcalloc(t->size, sizeof(*t->owner));
	for (i = 0; i < t->size; i++)
		t->owner[i] = OWN_HOLE;
	for (s = 0; s < t->l.nr; s++)
		for (i = 0; i < t->l.nr_frames[s]; i++)
			*own(t, t->l.pfn[s] + i) = OWN_FREE;
	t->model_free = total;
	t->live = xcalloc(total, sizeof(*t->live));
	t->gbuf = xcalloc(total + 16, sizeof(*t->gbuf));
	return expect_recovered(t->b) && verify(t);
}

static void teardown(struct rt *t)
{
	tpool_free(t->p);
	free(t->owner);
	free(t->live);
	free(t->gbuf);
}

const char *random_layout_name(unsigned int layout)
{
	return layouts[layout].name;
}

bool random_run(const struct rand_params *rp, unsigned int layout)
{
	unsigned long fill_target = 0;
	struct rt *t = xcalloc(1, sizeof(*t));
	bool ok;

	ok = setup(t, rp, layout);
	print_layout(t);

	for (t->op = 0; ok && t->op < rp->ops; t->op++) {
		unsigned int k = rng_below(&t->r, 1000);
		unsigned long used = t->b->nr_frames - t->model_free;

		/* Drift between nearly empty and, now and then, beyond full. */
		if (!(t->op & 0x3fff))
			fill_target = t->b->nr_frames *
				      (rng_below(&t->r, 8) ? rng_range(&t->r, 0, 95) : 105) / 100;

		if (k < 10)
			ok = op_bad_free(t);
		else if (k < 30)
			ok = op_lookup_or_tag(t);
		else if (!t->nr_live ||
			 rng_below(&t->r, 100) < (used < fill_target ? 70 : 30))
			ok = rng_below(&t->r, 100) < 2 ? op_gather(t) : op_alloc(t);
		else
			ok = op_free(t);

		if (ok && t->b->free_frames != t->model_free) {
			RFAIL(t, "free_frames %lu, model %lu", t->b->free_frames,
			      t->model_free);
			ok = false;
		}
		if (ok && rp->check_every && !((t->op + 1) % rp->check_every))
			ok = verify(t);
	}
	if (ok)
		ok = verify(t);

	/* Free everything: every span must come back whole. */
	while (ok && t->nr_live)
		ok = op_free(t);
	if (ok)
		ok = verify(t) && expect_recovered(t->b) &&
		     EXPECT_EQ(t->model_free, t->b->nr_frames);

	printf("#   %lu ops: %lu allocs (%lu -ENOMEM, %lu checked on the model), %lu frees, %lu gathers of %lu frames (%lu -ENOMEM), %lu bad frees, %lu lookups, %lu tag ops, %lu full checks\n",
	       t->op, t->st.alloc, t->st.alloc_enomem, t->st.nomem_scan,
	       t->st.free, t->st.gather, t->st.gather_frames,
	       t->st.gather_enomem, t->st.bad_free, t->st.lookup, t->st.tag,
	       t->st.verify);
	if (!ok)
		printf("#   FAILED: replay with: make check SEED=%llu OPS=%lu\n",
		       (unsigned long long)rp->seed, rp->ops);
	teardown(t);
	free(t);
	return ok;
}
