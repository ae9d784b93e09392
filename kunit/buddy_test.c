// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite vbuddy_buddy: the buddy core (module/buddy.c) on made-up frame
 * numbers, so that every case can lay out spans and holes at will and
 * compare the allocator's state byte for byte.
 *
 * This is the one unit-test source of the core, built twice as
 * lib/test_maple_tree.c is: into vbuddy_kunit.ko, and in userspace under
 * ASan and UBSan by tools/testing/vbuddy/, whose include/ supplies
 * <kunit/test.h> and the few <linux/...> headers below. So: only the KUnit
 * API and these headers here, and no frame over 2 KiB (kernel stacks).
 */

#include <kunit/test.h>
#include <linux/limits.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include <linux/string.h>

/* The core is not exported from vbuddy.ko: the test builds its own copy. */
#include "../module/buddy.c"

#define MAXO		VBUDDY_MAX_ORDER

/* The exact blocks expected below are written for order-10 top blocks. */
static_assert(VBUDDY_MAX_ORDER == 10);

/* ---- pools and what they hold ---------------------------------------------- */

struct span_def {
	unsigned long pfn;
	u32 nr;
};

struct blk_desc {
	unsigned long pfn;
	unsigned int order;
	enum buddy_state state;
};

#define BLK(p, o)	{ .pfn = (p), .order = (o), .state = BUDDY_FREE }

/*
 * An allocator with storage for exactly @max_frames frames and @max_spans
 * spans, so that KASAN (ASan in userspace) sees any access past it. The
 * storage starts as garbage, so that a frame read before its span is
 * added shows.
 */
static struct buddy *new_buddy(struct kunit *test, u32 max_frames, u32 max_spans)
{
	struct buddy *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	struct buddy_frame *frames;
	struct buddy_span *spans;

	KUNIT_ASSERT_NOT_NULL(test, b);
	frames = kunit_kmalloc_array(test, max_frames, sizeof(*frames), GFP_KERNEL);
	spans = kunit_kmalloc_array(test, max_spans, sizeof(*spans), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, frames);
	KUNIT_ASSERT_NOT_NULL(test, spans);
	memset(frames, 0xa5, max_frames * sizeof(*frames));
	memset(spans, 0xa5, max_spans * sizeof(*spans));
	buddy_init(b, frames, max_frames, spans, max_spans);
	return b;
}

/* An allocator with exactly the frames and span slots that @defs need. */
static struct buddy *pool_of(struct kunit *test, const struct span_def *defs,
			     unsigned int n)
{
	struct buddy *b;
	unsigned int i;
	u32 total = 0;

	for (i = 0; i < n; i++)
		total += defs[i].nr;
	b = new_buddy(test, total, n);
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ_MSG(test, buddy_add_span(b, defs[i].pfn, defs[i].nr), 0,
				    "span %u: pfn %lu nr %u", i, defs[i].pfn, defs[i].nr);
	KUNIT_ASSERT_EQ(test, buddy_check(b), 0);
	return b;
}

#define POOL(test, ...)							\
	({								\
		static const struct span_def __defs[] = { __VA_ARGS__ };	\
		pool_of(test, __defs, ARRAY_SIZE(__defs));		\
	})

static void *alloc_array(struct kunit *test, size_t n, size_t size)
{
	void *p = kunit_kcalloc(test, n, size, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	return p;
}

/*
 * The maximal naturally aligned blocks (at most VBUDDY_MAX_ORDER) that tile
 * [pfn, pfn + nr): how a span must look when all of it is free. Counts, not
 * ends: a range may end at ULONG_MAX, where pfn + nr wraps. Returns the
 * number of blocks, or -1 if they do not fit in @max.
 */
static int carve(unsigned long pfn, unsigned long nr, struct blk_desc *out, int max)
{
	int n = 0;

	while (nr) {
		unsigned int order = 0;

		/* Grow while still aligned and inside the range. */
		while (order < MAXO && !(pfn & ((2UL << order) - 1)) && (2UL << order) <= nr)
			order++;
		if (n == max)
			return -1;
		out[n].pfn = pfn;
		out[n].order = order;
		out[n].state = BUDDY_FREE;
		n++;
		pfn += 1UL << order;
		nr -= 1UL << order;
	}
	return n;
}

/*
 * The blocks of [pfn, pfn + nr) as buddy_lookup() reports them. Returns the
 * number of blocks, or -1 (after a failure) if a lookup fails or a block
 * does not start where the previous one ended.
 */
static int walk_blocks(struct kunit *test, const struct buddy *b, unsigned long pfn,
		       unsigned long nr, struct blk_desc *out, int max)
{
	unsigned long done = 0;
	int n = 0;

	while (done < nr) {
		unsigned long p = pfn + done;
		struct buddy_block blk;
		int ret = buddy_lookup(b, p, &blk);

		if (ret) {
			KUNIT_FAIL(test, "buddy_lookup(%lu): %s", p, buddy_strerror(ret));
			return -1;
		}
		if (blk.pfn != p || blk.order > MAXO || (1UL << blk.order) > nr - done ||
		    n == max) {
			KUNIT_FAIL(test, "block at %lu: lookup says pfn %lu order %u", p,
				   blk.pfn, blk.order);
			return -1;
		}
		out[n].pfn = blk.pfn;
		out[n].order = blk.order;
		out[n].state = blk.state;
		n++;
		done += 1UL << blk.order;
	}
	return n;
}

static bool same_blocks(const struct blk_desc *a, const struct blk_desc *b)
{
	return a->pfn == b->pfn && a->order == b->order && a->state == b->state;
}

/* The blocks of [pfn, pfn + nr) are exactly @want (given in pfn order). */
static bool expect_blocks(struct kunit *test, const struct buddy *b, unsigned long pfn,
			  unsigned long nr, const struct blk_desc *want, int nw)
{
	struct blk_desc *got = alloc_array(test, nr, sizeof(*got));
	int ng = walk_blocks(test, b, pfn, nr, got, nr), i;
	bool ok = ng == nw;

	KUNIT_EXPECT_EQ_MSG(test, ng, nw, "blocks of [%lu, +%lu)", pfn, nr);
	for (i = 0; ok && i < nw; i++) {
		ok = same_blocks(&got[i], &want[i]);
		KUNIT_EXPECT_TRUE_MSG(test, ok,
				      "[%lu, +%lu) block %d: got pfn %lu order %u state %d, want pfn %lu order %u state %d",
				      pfn, nr, i, got[i].pfn, got[i].order, got[i].state,
				      want[i].pfn, want[i].order, want[i].state);
	}
	kunit_kfree(test, got);
	return ok;
}

/* Every span is free and cut into its maximal blocks, and the state is sound. */
static bool expect_recovered(struct kunit *test, const struct buddy *b)
{
	unsigned long want_free[VBUDDY_NR_ORDERS] = { 0 };
	int ret = buddy_check(b);
	bool ok = !ret && b->free_frames == b->nr_frames;
	unsigned int o;
	u32 i;

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, b->free_frames, (unsigned long)b->nr_frames);
	for (i = 0; i < b->nr_spans; i++) {
		const struct buddy_span *s = &b->spans[i];
		struct blk_desc *want = alloc_array(test, s->nr, sizeof(*want));
		int k, nw = carve(s->pfn, s->nr, want, s->nr);

		for (k = 0; k < nw; k++)
			want_free[want[k].order]++;
		if (!expect_blocks(test, b, s->pfn, s->nr, want, nw)) {
			KUNIT_FAIL(test, "span %u (pfn %lu, %u frames) not in its maximal blocks",
				   i, s->pfn, s->nr);
			ok = false;
		}
		kunit_kfree(test, want);
	}
	for (o = 0; o <= MAXO; o++) {
		ok &= b->nr_free[o] == want_free[o];
		KUNIT_EXPECT_EQ_MSG(test, b->nr_free[o], want_free[o], "order %u", o);
	}
	return ok;
}

static bool expect_lookup(struct kunit *test, const struct buddy *b, unsigned long pfn,
			  unsigned long head, unsigned int order, enum buddy_state state)
{
	struct buddy_block blk = { 0 };
	int ret = buddy_lookup(b, pfn, &blk);
	bool ok = !ret && blk.pfn == head && blk.order == order && blk.state == state;

	KUNIT_EXPECT_TRUE_MSG(test, ok,
			      "lookup(%lu): %d, pfn %lu order %u state %d; want pfn %lu order %u state %d",
			      pfn, ret, blk.pfn, blk.order, blk.state, head, order, state);
	return ok;
}

static void expect_nr_free(struct kunit *test, const struct buddy *b,
			   const unsigned long *want)
{
	unsigned int o;

	for (o = 0; o <= MAXO; o++)
		KUNIT_EXPECT_EQ_MSG(test, b->nr_free[o], want[o], "order %u", o);
}

static unsigned long alloc_ok(struct kunit *test, struct buddy *b, unsigned int order)
{
	unsigned long pfn = ULONG_MAX;

	KUNIT_EXPECT_EQ_MSG(test, buddy_alloc(b, order, &pfn), 0, "order %u", order);
	KUNIT_EXPECT_EQ_MSG(test, pfn & ((1UL << order) - 1), 0UL, "order %u", order);
	return pfn;
}

/* A shuffle of @n elements of @size bytes, the same for the same seed. */
static void shuffle(struct kunit *test, struct rnd_state *rnd, void *base, u32 n,
		    size_t size)
{
	unsigned char *a = base, tmp[sizeof(struct blk_desc)];
	u32 i, j;

	KUNIT_ASSERT_LE(test, size, sizeof(tmp));
	for (i = n; i > 1; i--) {
		j = prandom_u32_state(rnd) % i;
		memcpy(tmp, a + (i - 1) * size, size);
		memcpy(a + (i - 1) * size, a + j * size, size);
		memcpy(a + j * size, tmp, size);
	}
}

/* ---- a byte-for-byte copy of an allocator ------------------------------------ */

struct snap {
	struct buddy b;
	struct buddy_frame *frames;
	struct buddy_span *spans;
};

static void snap_take(struct kunit *test, struct snap *s, const struct buddy *b)
{
	s->b = *b;
	s->frames = alloc_array(test, b->max_frames, sizeof(*s->frames));
	s->spans = alloc_array(test, b->max_spans, sizeof(*s->spans));
	memcpy(s->frames, b->frames, b->max_frames * sizeof(*b->frames));
	memcpy(s->spans, b->spans, b->max_spans * sizeof(*b->spans));
}

/* A deep copy to corrupt on purpose: its allocator points at its own storage. */
static struct buddy *snap_clone(struct kunit *test, struct snap *s, const struct buddy *b)
{
	snap_take(test, s, b);
	s->b.frames = s->frames;
	s->b.spans = s->spans;
	return &s->b;
}

static void snap_drop(struct kunit *test, struct snap *s)
{
	kunit_kfree(test, s->frames);
	kunit_kfree(test, s->spans);
}

/*
 * Nothing changed since snap_take(): struct buddy field by field (its
 * padding is not state), the storage byte for byte, all of it, also past
 * nr_frames and nr_spans. @what names the call that must have changed nothing.
 */
static void expect_unchanged(struct kunit *test, const struct snap *s, const struct buddy *b,
			     const char *what)
{
	const struct buddy *a = &s->b;
	u32 i;

	KUNIT_EXPECT_TRUE_MSG(test, a->frames == b->frames && a->spans == b->spans &&
			      a->max_frames == b->max_frames && a->max_spans == b->max_spans,
			      "%s: storage moved", what);
	KUNIT_EXPECT_EQ_MSG(test, b->nr_frames, a->nr_frames, "%s", what);
	KUNIT_EXPECT_EQ_MSG(test, b->nr_spans, a->nr_spans, "%s", what);
	KUNIT_EXPECT_EQ_MSG(test, b->free_frames, a->free_frames, "%s", what);
	KUNIT_EXPECT_MEMEQ_MSG(test, b->free_head, a->free_head, sizeof(a->free_head),
			       "%s", what);
	KUNIT_EXPECT_MEMEQ_MSG(test, b->nr_free, a->nr_free, sizeof(a->nr_free), "%s", what);
	if (a->max_frames != b->max_frames || a->max_spans != b->max_spans)
		return;
	for (i = 0; i < b->max_frames; i++)
		if (memcmp(&s->frames[i], &b->frames[i], sizeof(s->frames[i])))
			break;
	KUNIT_EXPECT_EQ_MSG(test, i, b->max_frames, "%s: frame index %u changed", what, i);
	KUNIT_EXPECT_MEMEQ_MSG(test, b->spans, s->spans, b->max_spans * sizeof(*b->spans),
			       "%s: span storage changed", what);
}

/* A call that had to fail with @err did, and changed nothing since @s. */
static void expect_refused(struct kunit *test, struct snap *s, struct buddy *b, int ret,
			   int err, const char *call, unsigned long pfn, unsigned long n)
{
	KUNIT_EXPECT_EQ_MSG(test, ret, err, "%s(pfn %lu, %lu)", call, pfn, n);
	expect_unchanged(test, s, b, call);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
	snap_drop(test, s);
}

static void expect_bad_free(struct kunit *test, struct buddy *b, unsigned long pfn,
			    unsigned int order, int err)
{
	struct snap s;

	snap_take(test, &s, b);
	expect_refused(test, &s, b, buddy_free(b, pfn, order), err, "buddy_free", pfn, order);
}

static void expect_bad_add(struct kunit *test, struct buddy *b, unsigned long pfn, u32 nr,
			   int err)
{
	struct snap s;

	snap_take(test, &s, b);
	expect_refused(test, &s, b, buddy_add_span(b, pfn, nr), err, "buddy_add_span", pfn, nr);
}

/* ---- an empty allocator ---------------------------------------------------- */

static void buddy_test_init_empty(struct kunit *test)
{
	struct buddy *b = new_buddy(test, 16, 2);
	unsigned long pfn, pfns[1];
	struct buddy_block blk;
	unsigned int o;

	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
	KUNIT_EXPECT_EQ(test, b->free_frames, 0UL);
	KUNIT_EXPECT_EQ(test, b->nr_frames, 0U);
	KUNIT_EXPECT_EQ(test, buddy_largest_free_order(b), -1);
	for (o = 0; o <= MAXO; o++) {
		KUNIT_EXPECT_EQ(test, b->free_head[o], BUDDY_NIL);
		KUNIT_EXPECT_EQ(test, buddy_alloc(b, o, &pfn), -ENOMEM);
	}
	KUNIT_EXPECT_EQ(test, buddy_gather(b, 1, pfns), -ENOMEM);
	KUNIT_EXPECT_EQ(test, buddy_lookup(b, 0, &blk), -ENOENT);
	KUNIT_EXPECT_EQ(test, buddy_free(b, 0, 0), -ENOENT);
	KUNIT_EXPECT_EQ(test, buddy_set_tag(b, 0, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
}

/* ---- carving spans into blocks --------------------------------------------- */

static void buddy_test_carve_pfn3_1000(struct kunit *test)
{
	static const struct blk_desc want[] = {
		BLK(3, 0), BLK(4, 2), BLK(8, 3), BLK(16, 4), BLK(32, 5),
		BLK(64, 6), BLK(128, 7), BLK(256, 8), BLK(512, 8),
		BLK(768, 7), BLK(896, 6), BLK(960, 5), BLK(992, 3),
		BLK(1000, 1), BLK(1002, 0),
	};
	static const unsigned long nr_free[VBUDDY_NR_ORDERS] = {
		2, 1, 1, 2, 1, 2, 2, 2, 2, 0, 0,
	};
	struct buddy *b = POOL(test, { 3, 1000 });
	struct buddy_block blk;

	expect_blocks(test, b, 3, 1000, want, ARRAY_SIZE(want));
	expect_nr_free(test, b, nr_free);
	KUNIT_EXPECT_EQ(test, b->free_frames, 1000UL);
	KUNIT_EXPECT_EQ(test, buddy_largest_free_order(b), 8);
	KUNIT_EXPECT_EQ(test, buddy_lookup(b, 2, &blk), -ENOENT);
	KUNIT_EXPECT_EQ(test, buddy_lookup(b, 1003, &blk), -ENOENT);
	/* Interior frames find their block. */
	expect_lookup(test, b, 7, 4, 2, BUDDY_FREE);
	expect_lookup(test, b, 767, 512, 8, BUDDY_FREE);
	expect_lookup(test, b, 1001, 1000, 1, BUDDY_FREE);
}

struct carve_case {
	const char *name;
	struct span_def span;
	struct blk_desc want[5];
	int n;
};

static const struct carve_case carve_cases[] = {
	{ "one frame at 0", { 0, 1 }, { BLK(0, 0) }, 1 },
	{ "one frame at 1", { 1, 1 }, { BLK(1, 0) }, 1 },
	{ "two frames across 1024", { 1023, 2 }, { BLK(1023, 0), BLK(1024, 0) }, 2 },
	{ "an order-10 block between odd frames", { 1023, 1026 },
	  { BLK(1023, 0), BLK(1024, 10), BLK(2048, 0) }, 3 },
	{ "three order-10 blocks and a tail", { 0, 3 * 1024 + 5 },
	  { BLK(0, 10), BLK(1024, 10), BLK(2048, 10), BLK(3072, 2), BLK(3076, 0) }, 5 },
	{ "up to an alignment", { 5, 11 }, { BLK(5, 0), BLK(6, 1), BLK(8, 3) }, 3 },
	{ "half-aligned on 1024", { 7 * 1024 + 512, 3 * 1024 },
	  { BLK(7680, 9), BLK(8192, 10), BLK(9216, 10), BLK(10240, 9) }, 4 },
	{ "an aligned pair", { 6, 2 }, { BLK(6, 1) }, 1 },
	{ "an aligned pair and one", { 6, 3 }, { BLK(6, 1), BLK(8, 0) }, 2 },
	{ "across 2^33", { (1UL << 33) - 1, 3 },
	  { BLK((1UL << 33) - 1, 0), BLK(1UL << 33, 1) }, 2 },
	{ "at 2^40", { 1UL << 40, 2048 }, { BLK(1UL << 40, 10), BLK((1UL << 40) + 1024, 10) }, 2 },
	{ "ending at the last pfn there is", { ULONG_MAX - 1030, 1031 },
	  { BLK(ULONG_MAX - 1030, 0), BLK(ULONG_MAX - 1029, 1), BLK(ULONG_MAX - 1027, 2),
	    BLK(ULONG_MAX - 1023, 10) }, 4 },
};

KUNIT_ARRAY_PARAM_DESC(carve_cases, carve_cases, name);

static void buddy_test_carve_odd_span(struct kunit *test)
{
	const struct carve_case *c = test->param_value;
	struct buddy *b = pool_of(test, &c->span, 1);

	expect_blocks(test, b, c->span.pfn, c->span.nr, c->want, c->n);
	expect_recovered(test, b);
}

/* Many odd spans in one pool, checked against the greedy carving. */
static void buddy_test_carve_many_spans(struct kunit *test)
{
	struct buddy *b = POOL(test, { 1, 1 }, { 2, 2 }, { 5, 3 }, { 9, 1000 }, { 1009, 15 },
			       { 2047, 1 }, { 2048, 1 }, { 3000, 4096 + 17 }, { 8192, 8192 },
			       { (1UL << 40) + 7, 1000 }, { (1UL << 41) - 3, 5 });

	KUNIT_EXPECT_EQ(test, b->nr_spans, 11U);
	expect_recovered(test, b);
	/* The 8192-frame span is aligned: eight order-10 blocks. */
	expect_lookup(test, b, 8192 + 5000, 8192 + 4096, 10, BUDDY_FREE);
}

/* ---- alloc and free ---------------------------------------------------------- */

static const unsigned int all_orders[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

static void order_desc(const unsigned int *order, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "order %u", *order);
}

KUNIT_ARRAY_PARAM(buddy_orders, all_orders, order_desc);

/* Each order from one top block: aligned, counted, and merged back. */
static void buddy_test_every_order(struct kunit *test)
{
	const unsigned int order = *(const unsigned int *)test->param_value;
	struct buddy *b = POOL(test, { 1UL << 20, 1024 });
	struct buddy_block blk;
	unsigned long pfn;
	unsigned int o;

	KUNIT_ASSERT_EQ(test, buddy_alloc(b, order, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn & ((1UL << order) - 1), 0UL);
	KUNIT_EXPECT_GE(test, pfn, 1UL << 20);
	KUNIT_EXPECT_LE(test, pfn + (1UL << order), (1UL << 20) + 1024);
	KUNIT_EXPECT_EQ(test, b->free_frames, 1024UL - (1UL << order));
	/* The split left exactly one free block of each order in between. */
	for (o = 0; o < MAXO; o++)
		KUNIT_EXPECT_EQ_MSG(test, b->nr_free[o], o >= order ? 1UL : 0UL, "order %u", o);
	expect_lookup(test, b, pfn, pfn, order, BUDDY_USED);
	expect_lookup(test, b, pfn + (1UL << order) - 1, pfn, order, BUDDY_USED);
	KUNIT_ASSERT_EQ(test, buddy_lookup(b, pfn, &blk), 0);
	KUNIT_EXPECT_EQ(test, blk.tag, 0);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
	KUNIT_EXPECT_EQ(test, buddy_free(b, pfn, order), 0);
	KUNIT_EXPECT_EQ(test, b->nr_free[MAXO], 1UL);
	expect_recovered(test, b);
}

/* Each order in turn, then all at once, in two spans (one odd). */
static void buddy_test_alloc_free_every_order(struct kunit *test)
{
	struct buddy *b = POOL(test, { 0, 2048 }, { 2048 + 3, 4000 });
	unsigned long pfn[VBUDDY_NR_ORDERS], used = 0;
	unsigned int o;

	for (o = 0; o <= MAXO; o++) {
		unsigned long x = alloc_ok(test, b, o), last = x + (1UL << o) - 1;
		struct buddy_block blk;

		expect_lookup(test, b, x, x, o, BUDDY_USED);
		expect_lookup(test, b, last, x, o, BUDDY_USED);
		KUNIT_EXPECT_EQ(test, buddy_lookup(b, x, &blk), 0);
		KUNIT_EXPECT_EQ(test, blk.tag, 0);
		KUNIT_EXPECT_EQ(test, b->free_frames, 6048 - (1UL << o));
		KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
		KUNIT_EXPECT_EQ(test, buddy_free(b, x, o), 0);
		expect_recovered(test, b);
	}
	/* All orders at once, freed in reverse. */
	for (o = 0; o <= MAXO; o++) {
		pfn[o] = alloc_ok(test, b, o);
		used += 1UL << o;
	}
	KUNIT_EXPECT_EQ(test, b->free_frames, 6048 - used);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
	for (o = MAXO + 1; o-- > 0; )
		KUNIT_EXPECT_EQ(test, buddy_free(b, pfn[o], o), 0);
	expect_recovered(test, b);
}

static void buddy_test_alloc_bad_order(struct kunit *test)
{
	static const unsigned int bad[] = { MAXO + 1, MAXO + 2, 63, 64, 255, UINT_MAX };
	struct buddy *b = POOL(test, { 0, 1024 });
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		unsigned long pfn = 77;
		struct snap s;

		snap_take(test, &s, b);
		KUNIT_EXPECT_EQ_MSG(test, buddy_alloc(b, bad[i], &pfn), -ERANGE, "order %u",
				    bad[i]);
		expect_unchanged(test, &s, b, "refused buddy_alloc()");
		snap_drop(test, &s);
	}
}

/* Allocate one order until -ENOMEM: exactly the aligned slots, all distinct. */
static void buddy_test_fill_each_order(struct kunit *test)
{
	static const struct span_def defs[] = {
		{ 3, 1000 }, { 1024, 2048 }, { 3072 + 100, 1 }, { 4096 + 512, 1536 + 7 },
	};
	const unsigned long total = 1000 + 2048 + 1 + 1536 + 7;
	struct buddy *b = pool_of(test, defs, ARRAY_SIZE(defs));
	struct blk_desc *carved = alloc_array(test, total, sizeof(*carved));
	unsigned long *pfns = alloc_array(test, total + 1, sizeof(*pfns));
	unsigned char *seen = alloc_array(test, 8192, 1);
	struct rnd_state rnd;
	unsigned int o, i;

	prandom_seed_state(&rnd, 1);
	for (o = 0; o <= MAXO; o++) {
		unsigned long want = 0, n = 0, pfn, j;
		bool ok = true;
		int k, nc;

		for (i = 0; i < ARRAY_SIZE(defs); i++) {
			nc = carve(defs[i].pfn, defs[i].nr, carved, total);
			for (k = 0; k < nc; k++)
				if (carved[k].order >= o)
					want += 1UL << (carved[k].order - o);
		}
		memset(seen, 0, 8192);
		while (ok && n <= want && !buddy_alloc(b, o, &pfn)) {
			pfns[n++] = pfn;
			ok = !(pfn & ((1UL << o) - 1)) && pfn + (1UL << o) <= 8192;
			for (j = 0; ok && j < (1UL << o); j++) {
				ok = !seen[pfn + j];
				seen[pfn + j] = 1;
			}
			KUNIT_EXPECT_TRUE_MSG(test, ok,
					      "order %u: block %lu misplaced or handed out twice",
					      o, pfn);
		}
		KUNIT_EXPECT_EQ_MSG(test, n, want, "order %u", o);
		KUNIT_EXPECT_LT(test, buddy_largest_free_order(b), (int)o);
		KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
		shuffle(test, &rnd, pfns, n, sizeof(*pfns));
		while (n)
			KUNIT_EXPECT_EQ(test, buddy_free(b, pfns[--n], o), 0);
		expect_recovered(test, b);
	}
}

/* The exact blocks of a split and of the merges that undo it. */
static void buddy_test_split_merge(struct kunit *test)
{
	struct buddy *b = POOL(test, { 0, 1024 });
	unsigned long want[VBUDDY_NR_ORDERS] = { 0 };
	unsigned long pfn[8];
	unsigned int o, i;

	pfn[0] = alloc_ok(test, b, 0);
	KUNIT_EXPECT_EQ(test, pfn[0], 0UL);
	/* The upper halves: one free block of each order 0..9 at 1 << o. */
	for (o = 0; o < MAXO; o++) {
		want[o] = 1;
		expect_lookup(test, b, 1UL << o, 1UL << o, o, BUDDY_FREE);
	}
	expect_nr_free(test, b, want);
	KUNIT_EXPECT_EQ(test, b->free_frames, 1023UL);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);

	/* The smallest fitting block goes first: the order-0 one at 1, its buddy. */
	pfn[1] = alloc_ok(test, b, 0);
	KUNIT_EXPECT_EQ(test, pfn[1], 1UL);
	KUNIT_EXPECT_EQ(test, b->nr_free[0], 0UL);
	KUNIT_EXPECT_EQ(test, b->nr_free[1], 1UL);
	/* Its buddy is used: no merge. */
	KUNIT_EXPECT_EQ(test, buddy_free(b, pfn[0], 0), 0);
	KUNIT_EXPECT_EQ(test, b->nr_free[0], 1UL);
	expect_lookup(test, b, 0, 0, 0, BUDDY_FREE);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
	/* Now it merges all the way up. */
	KUNIT_EXPECT_EQ(test, buddy_free(b, pfn[1], 0), 0);
	expect_recovered(test, b);
	KUNIT_EXPECT_EQ(test, b->nr_free[MAXO], 1UL);

	/* Eight order-0 allocations fill [0, 8) in order. */
	for (i = 0; i < 8; i++) {
		pfn[i] = alloc_ok(test, b, 0);
		KUNIT_EXPECT_EQ(test, pfn[i], (unsigned long)i);
	}
	for (i = 0; i < 4; i++)	/* 7, 5, 3, 1: no buddy free */
		KUNIT_EXPECT_EQ(test, buddy_free(b, pfn[7 - 2 * i], 0), 0);
	KUNIT_EXPECT_EQ(test, b->nr_free[0], 4UL);
	KUNIT_EXPECT_EQ(test, b->nr_free[1], 0UL);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
	KUNIT_EXPECT_EQ(test, buddy_free(b, pfn[0], 0), 0);	/* [0, 2) */
	expect_lookup(test, b, 1, 0, 1, BUDDY_FREE);
	KUNIT_EXPECT_EQ(test, buddy_free(b, pfn[2], 0), 0);	/* [0, 4) */
	expect_lookup(test, b, 3, 0, 2, BUDDY_FREE);
	KUNIT_EXPECT_EQ(test, buddy_free(b, pfn[6], 0), 0);	/* [6, 8) only */
	expect_lookup(test, b, 6, 6, 1, BUDDY_FREE);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
	KUNIT_EXPECT_EQ(test, buddy_free(b, pfn[4], 0), 0);	/* everything */
	expect_recovered(test, b);

	/* A big block splits from the top block only as far as needed. */
	pfn[0] = alloc_ok(test, b, 8);
	KUNIT_EXPECT_EQ(test, pfn[0], 0UL);
	expect_lookup(test, b, 256, 256, 8, BUDDY_FREE);
	expect_lookup(test, b, 512, 512, 9, BUDDY_FREE);
	KUNIT_EXPECT_EQ(test, buddy_free(b, pfn[0], 8), 0);
	expect_recovered(test, b);

	/* The smallest pool that splits twice: [0, 4). */
	b = POOL(test, { 0, 4 });
	KUNIT_EXPECT_EQ(test, b->nr_free[2], 1UL);
	pfn[0] = alloc_ok(test, b, 0);
	pfn[1] = alloc_ok(test, b, 0);
	KUNIT_EXPECT_EQ(test, pfn[0] ^ pfn[1], 1UL);		/* buddies */
	KUNIT_EXPECT_EQ(test, b->nr_free[1], 1UL);
	KUNIT_EXPECT_EQ(test, buddy_free(b, pfn[0], 0), 0);
	KUNIT_EXPECT_EQ(test, b->nr_free[0], 1UL);		/* its buddy still used */
	KUNIT_EXPECT_EQ(test, buddy_free(b, pfn[1], 0), 0);
	KUNIT_EXPECT_EQ(test, b->nr_free[0], 0UL);
	KUNIT_EXPECT_EQ(test, b->nr_free[1], 0UL);
	KUNIT_EXPECT_EQ(test, b->nr_free[2], 1UL);		/* merged twice */
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
}

/* Whatever the order of the frees, everything merges back. */
static void buddy_test_merge_any_order(struct kunit *test)
{
	struct buddy *b = POOL(test, { 0, 64 });
	unsigned long pfn[64];
	struct rnd_state rnd;
	unsigned int round, i;

	prandom_seed_state(&rnd, 7);
	for (round = 0; round < 50; round++) {
		for (i = 0; i < 64; i++)
			pfn[i] = alloc_ok(test, b, 0);
		KUNIT_EXPECT_EQ(test, b->free_frames, 0UL);
		shuffle(test, &rnd, pfn, 64, sizeof(pfn[0]));
		for (i = 0; i < 64; i++) {
			KUNIT_EXPECT_EQ(test, buddy_free(b, pfn[i], 0), 0);
			if (!(i % 7))
				KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
		}
		if (!expect_recovered(test, b))
			break;
	}
}

/* ---- span edges and holes ------------------------------------------------------ */

static void buddy_test_no_merge_across_span_edge(struct kunit *test)
{
	static const struct blk_desc want[] = {
		BLK(0, 1), BLK(2, 0), BLK(3, 0), BLK(4, 2),
	};
	unsigned long a, c, pfn[8];
	unsigned int i, o;
	struct buddy *b;

	/* [0, 512) and [512, 1024): order-9 buddies by pfn, different spans. */
	b = POOL(test, { 0, 512 }, { 512, 512 });
	KUNIT_EXPECT_EQ(test, b->nr_free[9], 2UL);
	KUNIT_EXPECT_EQ(test, b->nr_free[10], 0UL);
	KUNIT_EXPECT_EQ(test, buddy_largest_free_order(b), 9);
	a = alloc_ok(test, b, 9);
	c = alloc_ok(test, b, 9);
	KUNIT_EXPECT_NE(test, a, c);
	KUNIT_EXPECT_EQ(test, buddy_alloc(b, 10, &pfn[0]), -ENOMEM);
	KUNIT_EXPECT_EQ(test, buddy_free(b, a, 9), 0);
	KUNIT_EXPECT_EQ(test, buddy_free(b, c, 9), 0);
	KUNIT_EXPECT_EQ(test, b->nr_free[9], 2UL);
	KUNIT_EXPECT_EQ(test, b->nr_free[10], 0UL);
	expect_lookup(test, b, 511, 0, 9, BUDDY_FREE);
	expect_lookup(test, b, 512, 512, 9, BUDDY_FREE);
	expect_recovered(test, b);
	/* Same through smaller blocks: fill both spans, free all. */
	for (o = 7; o <= 8; o++) {
		for (i = 0; i < 1024U >> o; i++)
			pfn[i] = alloc_ok(test, b, o);
		for (i = 0; i < 1024U >> o; i++)
			KUNIT_EXPECT_EQ(test, buddy_free(b, pfn[i], o), 0);
		KUNIT_EXPECT_EQ(test, b->nr_free[10], 0UL);
		expect_recovered(test, b);
	}

	/* [0, 3) [3, 4) [4, 8): 2 and 3 are order-0 buddies across an edge. */
	b = POOL(test, { 0, 3 }, { 3, 1 }, { 4, 4 });
	expect_blocks(test, b, 0, 8, want, ARRAY_SIZE(want));
	for (i = 0; i < 8; i++)
		pfn[i] = alloc_ok(test, b, 0);
	KUNIT_EXPECT_EQ(test, b->free_frames, 0UL);
	/* Free 3 then 2: 2's buddy is free and of order 0, yet apart. */
	KUNIT_EXPECT_EQ(test, buddy_free(b, 3, 0), 0);
	KUNIT_EXPECT_EQ(test, buddy_free(b, 2, 0), 0);
	expect_lookup(test, b, 2, 2, 0, BUDDY_FREE);
	expect_lookup(test, b, 3, 3, 0, BUDDY_FREE);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
	for (i = 0; i < 8; i++)
		if (pfn[i] != 2 && pfn[i] != 3)
			KUNIT_EXPECT_EQ(test, buddy_free(b, pfn[i], 0), 0);
	expect_blocks(test, b, 0, 8, want, ARRAY_SIZE(want));
	expect_recovered(test, b);

	/* [0, 1536) [1536, 2048): order-9 blocks 1024 and 1536 are buddies. */
	b = POOL(test, { 0, 1536 }, { 1536, 512 });
	KUNIT_EXPECT_EQ(test, b->nr_free[9], 2UL);
	KUNIT_EXPECT_EQ(test, b->nr_free[10], 1UL);
	a = alloc_ok(test, b, 9);
	c = alloc_ok(test, b, 9);
	KUNIT_EXPECT_TRUE(test, (a == 1024 && c == 1536) || (a == 1536 && c == 1024));
	KUNIT_EXPECT_EQ(test, buddy_free(b, c, 9), 0);
	KUNIT_EXPECT_EQ(test, buddy_free(b, a, 9), 0);
	KUNIT_EXPECT_EQ(test, b->nr_free[10], 1UL);
	KUNIT_EXPECT_EQ(test, b->nr_free[9], 2UL);
	expect_lookup(test, b, 1535, 1024, 9, BUDDY_FREE);
	expect_recovered(test, b);
}

static bool in_spans(unsigned long pfn, const struct span_def *defs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (pfn >= defs[i].pfn && pfn - defs[i].pfn < defs[i].nr)
			return true;
	return false;
}

/*
 * Order-0 allocations until -ENOMEM, each inside @defs, then frees of the
 * @holes (-ENOENT, nothing changes) and of every frame taken.
 */
static void exhaust_around_holes(struct kunit *test, const struct span_def *defs,
				 unsigned int nr_defs, const unsigned long *holes,
				 unsigned int nr_holes)
{
	struct buddy *b = pool_of(test, defs, nr_defs);
	unsigned long *pfns = alloc_array(test, b->nr_frames, sizeof(*pfns));
	unsigned long pfn, n = 0;
	struct buddy_block blk;
	unsigned int i;

	for (i = 0; i < nr_holes; i++) {
		KUNIT_EXPECT_EQ(test, buddy_lookup(b, holes[i], &blk), -ENOENT);
		expect_bad_free(test, b, holes[i], 0, -ENOENT);
		KUNIT_EXPECT_EQ(test, buddy_set_tag(b, holes[i], 1), -EINVAL);
	}
	/* Nothing is ever handed out from a hole. */
	while (n < b->nr_frames && !buddy_alloc(b, 0, &pfn)) {
		pfns[n++] = pfn;
		KUNIT_EXPECT_TRUE_MSG(test, in_spans(pfn, defs, nr_defs), "pfn %lu", pfn);
	}
	KUNIT_EXPECT_EQ(test, n, (unsigned long)b->nr_frames);
	KUNIT_EXPECT_EQ(test, buddy_alloc(b, 0, &pfn), -ENOMEM);
	for (i = 0; i < nr_holes; i++)
		expect_bad_free(test, b, holes[i], 0, -ENOENT);
	while (n)
		KUNIT_EXPECT_EQ(test, buddy_free(b, pfns[--n], 0), 0);
	expect_recovered(test, b);
}

static void buddy_test_holes_between_spans(struct kunit *test)
{
	static const struct span_def defs[] = { { 1, 99 }, { 200, 100 }, { 1000, 500 } };
	static const unsigned long holes[] = {
		0, 100, 150, 199, 300, 999, 1500, 1UL << 40, ULONG_MAX,
	};
	/* [3, 1000): 3 4-7 8-15 ... 512-999; [1024, 2048); [4100, 4105) */
	static const struct span_def odd[] = { { 3, 997 }, { 1024, 1024 }, { 4100, 5 } };
	static const unsigned long odd_holes[] = { 1010, 4105 };
	static const unsigned long odd_free[VBUDDY_NR_ORDERS] = {
		2, 0, 2, 2, 1, 2, 2, 2, 2, 0, 1,
	};

	exhaust_around_holes(test, defs, ARRAY_SIZE(defs), holes, ARRAY_SIZE(holes));
	expect_nr_free(test, pool_of(test, odd, ARRAY_SIZE(odd)), odd_free);
	exhaust_around_holes(test, odd, ARRAY_SIZE(odd), odd_holes, ARRAY_SIZE(odd_holes));
}

/* ---- exhaustion and recovery ------------------------------------------------------ */

/* Random orders, falling back to smaller ones, until nothing is left; then back. */
static void buddy_test_exhaustion_and_recovery(struct kunit *test)
{
	static const struct span_def defs[] = {
		{ 3, 1000 }, { 1024, 4096 }, { 6000, 1 }, { 6001, 2 },
		{ 8192, 3007 }, { 16384 + 1, 1023 },
	};
	struct buddy *b = pool_of(test, defs, ARRAY_SIZE(defs));
	u32 total = b->nr_frames, n = 0;
	struct blk_desc *got = alloc_array(test, total, sizeof(*got));
	unsigned long pfns[1], used = 0, x;
	struct rnd_state rnd;
	struct snap s;
	unsigned int o;

	prandom_seed_state(&rnd, 3);
	for (;;) {
		o = prandom_u32_state(&rnd) % (MAXO + 1);
		while (buddy_alloc(b, o, &x))
			if (!o--)
				break;
		if (o > MAXO)
			break;
		KUNIT_ASSERT_LT(test, n, total);
		got[n].pfn = x;
		got[n++].order = o;
		used += 1UL << o;
	}
	KUNIT_EXPECT_EQ(test, used, (unsigned long)total);
	KUNIT_EXPECT_EQ(test, b->free_frames, 0UL);
	KUNIT_EXPECT_EQ(test, buddy_largest_free_order(b), -1);
	snap_take(test, &s, b);
	for (o = 0; o <= MAXO; o++)
		KUNIT_EXPECT_EQ(test, buddy_alloc(b, o, &x), -ENOMEM);
	KUNIT_EXPECT_EQ(test, buddy_gather(b, 1, pfns), -ENOMEM);
	expect_unchanged(test, &s, b, "refusals");
	snap_drop(test, &s);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);

	shuffle(test, &rnd, got, n, sizeof(*got));
	while (n--)
		KUNIT_EXPECT_EQ(test, buddy_free(b, got[n].pfn, got[n].order), 0);
	expect_recovered(test, b);
}

/* Spans aligned on 1 << MAXO come back as span size >> MAXO top blocks. */
static void buddy_test_exhaust_recover_aligned(struct kunit *test)
{
	unsigned long *pfns, x, n = 0, i;
	struct buddy *b;

	b = POOL(test, { 3 * 1024, 5000 });
	while (!buddy_alloc(b, 0, &x))
		n++;
	KUNIT_EXPECT_EQ(test, n, 5000UL);
	for (x = 3 * 1024; x < 3 * 1024 + 5000; x++)
		KUNIT_EXPECT_EQ(test, buddy_free(b, x, 0), 0);
	KUNIT_EXPECT_EQ(test, b->nr_free[MAXO], 5000UL >> MAXO);
	expect_recovered(test, b);

	b = POOL(test, { 7 * 1024, 8 * 1024 });
	for (i = 0; i < 8 * 1024; i += 2)
		KUNIT_EXPECT_EQ(test, buddy_alloc(b, 1, &x), 0);
	KUNIT_EXPECT_EQ(test, b->free_frames, 0UL);
	for (x = 15 * 1024; x-- > 7 * 1024; )
		if (!(x & 1))
			KUNIT_EXPECT_EQ(test, buddy_free(b, x, 1), 0);
	KUNIT_EXPECT_EQ(test, b->nr_free[MAXO], (8UL * 1024) >> MAXO);
	expect_recovered(test, b);

	/* Every frame taken, given back as a checkerboard first. */
	b = POOL(test, { 0, 4096 });
	pfns = alloc_array(test, 4096, sizeof(*pfns));
	n = 0;
	while (!buddy_alloc(b, 0, &x))
		pfns[n++] = x;
	KUNIT_EXPECT_EQ(test, n, 4096UL);
	KUNIT_EXPECT_EQ(test, b->free_frames, 0UL);
	KUNIT_EXPECT_EQ(test, buddy_largest_free_order(b), -1);
	KUNIT_EXPECT_EQ(test, buddy_alloc(b, 0, &x), -ENOMEM);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
	for (i = 0; i < n; i += 2)
		KUNIT_ASSERT_EQ(test, buddy_free(b, pfns[i], 0), 0);
	KUNIT_EXPECT_EQ(test, buddy_largest_free_order(b), 0);
	KUNIT_EXPECT_EQ(test, buddy_alloc(b, 1, &x), -ENOMEM);
	for (i = 1; i < n; i += 2)
		KUNIT_ASSERT_EQ(test, buddy_free(b, pfns[i], 0), 0);
	KUNIT_EXPECT_EQ(test, b->nr_free[MAXO], 4UL);
	expect_recovered(test, b);
}

/* ---- bad frees ---------------------------------------------------------------------- */

struct bad_free_case {
	const char *name;
	long offset;		/* from the head of an order-2 block */
	unsigned int order;
	bool free_first;	/* free the block first: a double free */
	int err;
};

static const struct bad_free_case bad_frees[] = {
	{ "order above the maximum", 0, VBUDDY_MAX_ORDER + 1, false, -ERANGE },
	{ "frame in no span", 100000, 0, false, -ENOENT },
	{ "interior frame", 1, 2, false, -EFAULT },
	{ "wrong order", 0, 1, false, -EINVAL },
	{ "double free", 0, 2, true, -EALREADY },
	{ "frame inside a free block", 2, 0, true, -EALREADY },
};

KUNIT_ARRAY_PARAM_DESC(buddy_bad_frees, bad_frees, name);

/* One of each refusal: the documented error, and nothing changes. */
static void buddy_test_bad_free(struct kunit *test)
{
	const struct bad_free_case *c = test->param_value;
	struct buddy *b = POOL(test, { 1024, 1024 });
	unsigned long pfn, other;

	KUNIT_ASSERT_EQ(test, buddy_alloc(b, 2, &pfn), 0);
	KUNIT_ASSERT_EQ(test, buddy_alloc(b, 2, &other), 0);	/* keeps a block live */
	if (c->free_first)
		KUNIT_ASSERT_EQ(test, buddy_free(b, pfn, 2), 0);
	expect_bad_free(test, b, pfn + c->offset, c->order, c->err);
}

static void buddy_test_bad_free_erange(struct kunit *test)
{
	struct buddy *b = POOL(test, { 0, 1024 });
	unsigned long x = alloc_ok(test, b, 2);

	expect_bad_free(test, b, x, MAXO + 1, -ERANGE);
	expect_bad_free(test, b, x, 64, -ERANGE);
	expect_bad_free(test, b, x, UINT_MAX, -ERANGE);
	KUNIT_EXPECT_EQ(test, buddy_free(b, x, 2), 0);
	expect_recovered(test, b);
}

static void buddy_test_bad_free_enoent(struct kunit *test)
{
	struct buddy *b = POOL(test, { 100, 100 }, { 300, 100 });
	struct buddy *q = POOL(test, { 5000, 100 });
	unsigned long x = alloc_ok(test, b, 0), y = alloc_ok(test, q, 3);

	expect_bad_free(test, b, 0, 0, -ENOENT);
	expect_bad_free(test, b, 99, 0, -ENOENT);
	expect_bad_free(test, b, 200, 0, -ENOENT);
	expect_bad_free(test, b, 256, 8, -ENOENT);
	expect_bad_free(test, b, 400, 0, -ENOENT);
	expect_bad_free(test, b, ULONG_MAX, 0, -ENOENT);
	/* A block of another pool. */
	expect_bad_free(test, b, y, 3, -ENOENT);
	KUNIT_EXPECT_EQ(test, buddy_free(q, y, 3), 0);
	KUNIT_EXPECT_EQ(test, buddy_free(b, x, 0), 0);
	expect_recovered(test, b);
	expect_recovered(test, q);
}

static void buddy_test_bad_free_double(struct kunit *test)
{
	struct buddy *b = POOL(test, { 0, 1024 }, { 1024 + 5, 20 });
	unsigned long x, y;

	/* A simple double free, and frees of never allocated frames. */
	x = alloc_ok(test, b, 3);
	y = alloc_ok(test, b, 3);
	KUNIT_EXPECT_EQ(test, buddy_free(b, y, 3), 0);
	expect_bad_free(test, b, y, 3, -EALREADY);
	expect_bad_free(test, b, y, 0, -EALREADY);
	expect_bad_free(test, b, 1024 + 5, 0, -EALREADY);
	expect_bad_free(test, b, 1000, 3, -EALREADY);
	KUNIT_EXPECT_EQ(test, buddy_free(b, x, 3), 0);
	expect_bad_free(test, b, x, 3, -EALREADY);
	expect_recovered(test, b);
}

/* Double frees of blocks that have merged into a larger free block since. */
static void buddy_test_bad_free_double_merged(struct kunit *test)
{
	struct buddy *b = POOL(test, { 0, 1024 });
	unsigned long a = alloc_ok(test, b, 0), a2 = alloc_ok(test, b, 0), c, d;

	KUNIT_EXPECT_EQ(test, a, 0UL);
	KUNIT_EXPECT_EQ(test, a2, 1UL);
	KUNIT_EXPECT_EQ(test, buddy_free(b, a, 0), 0);
	KUNIT_EXPECT_EQ(test, buddy_free(b, a2, 0), 0);	/* all of [0, 1024) merged */
	KUNIT_EXPECT_EQ(test, b->nr_free[MAXO], 1UL);
	expect_bad_free(test, b, a, 0, -EALREADY);		/* the head of the merged block */
	expect_bad_free(test, b, a2, 0, -EALREADY);		/* inside it */

	/* A block of order 3 that merges with its buddy and further. */
	c = alloc_ok(test, b, 3);
	d = alloc_ok(test, b, 3);
	KUNIT_EXPECT_EQ(test, c ^ d, 8UL);
	KUNIT_EXPECT_EQ(test, buddy_free(b, d, 3), 0);
	KUNIT_EXPECT_EQ(test, buddy_free(b, c, 3), 0);
	expect_bad_free(test, b, d, 3, -EALREADY);
	expect_bad_free(test, b, c, 3, -EALREADY);
	expect_bad_free(test, b, d + 1, 0, -EALREADY);
	expect_recovered(test, b);

	/* The merged block is partly reallocated: the old pfn is now inside. */
	c = alloc_ok(test, b, 0);
	KUNIT_EXPECT_EQ(test, buddy_free(b, c, 0), 0);
	d = alloc_ok(test, b, 1);
	KUNIT_EXPECT_EQ(test, d, c);
	expect_bad_free(test, b, c, 0, -EINVAL);
	expect_bad_free(test, b, c + 1, 0, -EFAULT);
	KUNIT_EXPECT_EQ(test, buddy_free(b, d, 1), 0);
	expect_recovered(test, b);
}

static void buddy_test_bad_free_interior(struct kunit *test)
{
	struct buddy *b = POOL(test, { 8, 1016 });
	unsigned long x = alloc_ok(test, b, 3), y = alloc_ok(test, b, MAXO - 1);
	unsigned int o;

	expect_bad_free(test, b, x + 1, 3, -EFAULT);
	expect_bad_free(test, b, x + 1, 0, -EFAULT);
	expect_bad_free(test, b, x + 7, 0, -EFAULT);
	expect_bad_free(test, b, x + 4, 2, -EFAULT);	/* aligned like a head */
	for (o = 0; o < MAXO - 1; o++)
		expect_bad_free(test, b, y + (1UL << o), o, -EFAULT);
	expect_bad_free(test, b, y + 511, 0, -EFAULT);
	KUNIT_EXPECT_EQ(test, buddy_free(b, x, 3), 0);
	KUNIT_EXPECT_EQ(test, buddy_free(b, y, MAXO - 1), 0);
	expect_recovered(test, b);
}

static void buddy_test_bad_free_wrong_order(struct kunit *test)
{
	struct buddy *b = POOL(test, { 0, 2048 });
	unsigned long x = alloc_ok(test, b, 3), z = alloc_ok(test, b, 0);
	unsigned int o;

	for (o = 0; o <= MAXO; o++)
		if (o != 3)
			expect_bad_free(test, b, x, o, -EINVAL);
	for (o = 1; o <= MAXO; o++)
		expect_bad_free(test, b, z, o, -EINVAL);
	KUNIT_EXPECT_EQ(test, buddy_free(b, x, 3), 0);
	KUNIT_EXPECT_EQ(test, buddy_free(b, z, 0), 0);
	expect_recovered(test, b);
}

/* buddy_free_tagged(): buddy_free() that also checks the block's tag. */
static void buddy_test_free_tagged(struct kunit *test)
{
	struct buddy *b = POOL(test, { 0, 1024 });
	unsigned long x = alloc_ok(test, b, 3), y = alloc_ok(test, b, 0), z = alloc_ok(test, b, 0);
	struct snap s;

	KUNIT_EXPECT_EQ(test, buddy_set_tag(b, x, 7), 0);
	/* The wrong tag, also the default 0: -EPERM and nothing changes. */
	snap_take(test, &s, b);
	KUNIT_EXPECT_EQ(test, buddy_free_tagged(b, x, 3, 0), -EPERM);
	KUNIT_EXPECT_EQ(test, buddy_free_tagged(b, x, 3, 8), -EPERM);
	KUNIT_EXPECT_EQ(test, buddy_free_tagged(b, x, 3, 255), -EPERM);
	/* The errors of buddy_free() come first. */
	KUNIT_EXPECT_EQ(test, buddy_free_tagged(b, x, MAXO + 1, 7), -ERANGE);
	KUNIT_EXPECT_EQ(test, buddy_free_tagged(b, 5000, 0, 7), -ENOENT);
	KUNIT_EXPECT_EQ(test, buddy_free_tagged(b, x + 1, 3, 7), -EFAULT);
	KUNIT_EXPECT_EQ(test, buddy_free_tagged(b, x, 2, 7), -EINVAL);
	KUNIT_EXPECT_EQ(test, buddy_free_tagged(b, 1000, 0, 0), -EALREADY);
	expect_unchanged(test, &s, b, "refused buddy_free_tagged()");
	snap_drop(test, &s);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
	/* The right tag frees, and merges as usual. */
	KUNIT_EXPECT_EQ(test, buddy_free_tagged(b, x, 3, 7), 0);
	KUNIT_EXPECT_EQ(test, buddy_free_tagged(b, x, 3, 7), -EALREADY);
	KUNIT_EXPECT_EQ(test, buddy_free_tagged(b, y, 0, 0), 0);	/* never tagged */
	KUNIT_EXPECT_EQ(test, buddy_set_tag(b, z, 255), 0);
	KUNIT_EXPECT_EQ(test, buddy_free_tagged(b, z, 0, 0), -EPERM);
	KUNIT_EXPECT_EQ(test, buddy_free(b, z, 0), 0);		/* untagged free ignores tags */
	expect_recovered(test, b);
}

/* ---- buddy_add_span() errors --------------------------------------------------------- */

static void buddy_test_add_span_einval(struct kunit *test)
{
	struct buddy *b = new_buddy(test, 1000, 8);

	expect_bad_add(test, b, 0, 0, -EINVAL);
	expect_bad_add(test, b, 100, 0, -EINVAL);
	expect_bad_add(test, b, ULONG_MAX, 2, -EINVAL);		/* wraps */
	expect_bad_add(test, b, ULONG_MAX - 5, 10, -EINVAL);
	KUNIT_EXPECT_EQ(test, buddy_add_span(b, 100, 100), 0);
	expect_bad_add(test, b, 100, 100, -EINVAL);		/* the same */
	expect_bad_add(test, b, 150, 10, -EINVAL);		/* inside */
	expect_bad_add(test, b, 99, 2, -EINVAL);		/* over the start */
	expect_bad_add(test, b, 199, 5, -EINVAL);		/* over the end */
	expect_bad_add(test, b, 50, 10, -EINVAL);		/* descending */
	expect_bad_add(test, b, 0, 1, -EINVAL);
	expect_bad_add(test, b, 200, 0, -EINVAL);
	KUNIT_EXPECT_EQ(test, buddy_add_span(b, 200, 10), 0);	/* touching is fine */
	expect_bad_add(test, b, 150, 100, -EINVAL);
	expect_bad_add(test, b, 205, 10, -EINVAL);
	KUNIT_EXPECT_EQ(test, buddy_add_span(b, 1000, 10), 0);
	expect_bad_add(test, b, 300, 10, -EINVAL);		/* in a hole, descending */
	KUNIT_EXPECT_EQ(test, b->nr_spans, 3U);
	expect_recovered(test, b);
}

static void buddy_test_add_span_enospc(struct kunit *test)
{
	struct buddy *b = new_buddy(test, 100, 2);
	unsigned long x;

	KUNIT_EXPECT_EQ(test, buddy_add_span(b, 0, 60), 0);
	expect_bad_add(test, b, 100, 41, -ENOSPC);		/* frames */
	expect_bad_add(test, b, 100, UINT_MAX, -ENOSPC);
	KUNIT_EXPECT_EQ(test, buddy_add_span(b, 100, 40), 0);
	expect_bad_add(test, b, 200, 1, -ENOSPC);		/* both */
	KUNIT_EXPECT_EQ(test, b->nr_frames, 100U);
	expect_recovered(test, b);

	b = new_buddy(test, 100, 2);
	KUNIT_EXPECT_EQ(test, buddy_add_span(b, 0, 1), 0);
	KUNIT_EXPECT_EQ(test, buddy_add_span(b, 10, 1), 0);
	expect_bad_add(test, b, 20, 1, -ENOSPC);		/* spans */
	KUNIT_EXPECT_EQ(test, buddy_alloc(b, 0, &x), 0);
	KUNIT_EXPECT_EQ(test, buddy_alloc(b, 0, &x), 0);
	KUNIT_EXPECT_EQ(test, buddy_alloc(b, 0, &x), -ENOMEM);
	expect_bad_add(test, b, 20, 1, -ENOSPC);
	KUNIT_EXPECT_EQ(test, buddy_free(b, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, buddy_free(b, 10, 0), 0);
	expect_recovered(test, b);
}

/*
 * Spans at the very top of the pfn range, where the end of a span is not
 * representable as pfn + nr.
 */
static void buddy_test_add_span_top_of_range(struct kunit *test)
{
	struct buddy *b = new_buddy(test, 64, 4);
	unsigned long x, pfns[10];
	struct buddy_block blk;
	unsigned int i;

	KUNIT_EXPECT_EQ(test, buddy_add_span(b, ULONG_MAX - 9, 10), 0);	/* to ULONG_MAX */
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
	expect_bad_add(test, b, ULONG_MAX, 1, -EINVAL);		/* overlaps */
	expect_bad_add(test, b, ULONG_MAX - 9, 1, -EINVAL);
	expect_bad_add(test, b, 0, 10, -EINVAL);		/* descending */
	expect_bad_add(test, b, 1024, 10, -EINVAL);
	KUNIT_EXPECT_EQ(test, b->nr_spans, 1U);
	KUNIT_EXPECT_EQ(test, buddy_lookup(b, 0, &blk), -ENOENT);
	/* [ULONG_MAX - 9, ULONG_MAX]: an order-1 block, then an order-3 one. */
	expect_lookup(test, b, ULONG_MAX - 8, ULONG_MAX - 9, 1, BUDDY_FREE);
	expect_lookup(test, b, ULONG_MAX, ULONG_MAX - 7, 3, BUDDY_FREE);
	KUNIT_EXPECT_EQ(test, buddy_gather(b, 10, pfns), 0);
	for (i = 0; i < 10; i++)
		KUNIT_EXPECT_GE(test, pfns[i], ULONG_MAX - 9);
	KUNIT_EXPECT_EQ(test, buddy_alloc(b, 0, &x), -ENOMEM);
	for (i = 0; i < 10; i++)
		KUNIT_EXPECT_EQ(test, buddy_free(b, pfns[i], 0), 0);
	expect_recovered(test, b);
}

/* ---- buddy_gather() ------------------------------------------------------------------ */

/* Free blocks of orders 0, 1, 3 and 10, one each, in four spans. */
static struct buddy *gather_pool(struct kunit *test)
{
	static const unsigned long want[VBUDDY_NR_ORDERS] = {
		1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1,
	};
	struct buddy *b = POOL(test, { 1, 1 }, { 2, 2 }, { 8, 8 }, { 1024, 1024 });

	expect_nr_free(test, b, want);
	return b;
}

static void buddy_test_gather_smallest_first(struct kunit *test)
{
	struct buddy *b = gather_pool(test);
	unsigned long pfns[4], keep, n;
	unsigned int i;

	KUNIT_EXPECT_EQ(test, buddy_gather(b, 3, pfns), 0);
	/* The order-0 block, then the order-1 block. */
	KUNIT_EXPECT_EQ(test, pfns[0], 1UL);
	KUNIT_EXPECT_EQ(test, pfns[1], 2UL);
	KUNIT_EXPECT_EQ(test, pfns[2], 3UL);
	KUNIT_EXPECT_EQ(test, b->nr_free[0], 0UL);
	KUNIT_EXPECT_EQ(test, b->nr_free[1], 0UL);
	KUNIT_EXPECT_EQ(test, b->nr_free[3], 1UL);
	KUNIT_EXPECT_EQ(test, b->nr_free[MAXO], 1UL);
	expect_lookup(test, b, 15, 8, 3, BUDDY_FREE);
	expect_lookup(test, b, 2047, 1024, 10, BUDDY_FREE);
	for (i = 0; i < 3; i++)
		expect_lookup(test, b, pfns[i], pfns[i], 0, BUDDY_USED);
	KUNIT_EXPECT_EQ(test, b->free_frames, 1024UL + 8);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
	/* Frame by frame, 2 and 3 merge back into their order-1 block. */
	KUNIT_EXPECT_EQ(test, buddy_free(b, pfns[2], 0), 0);
	KUNIT_EXPECT_EQ(test, b->nr_free[0], 1UL);
	KUNIT_EXPECT_EQ(test, buddy_free(b, pfns[1], 0), 0);
	KUNIT_EXPECT_EQ(test, b->nr_free[0], 0UL);
	KUNIT_EXPECT_EQ(test, b->nr_free[1], 1UL);
	KUNIT_EXPECT_EQ(test, buddy_free(b, pfns[0], 0), 0);
	expect_recovered(test, b);

	/* Within one span: [1, 16) is 1 o0, 2 o1, 4 o2, 8 o3; the o2 block goes. */
	b = POOL(test, { 1, 15 }, { 1024, 1024 });
	KUNIT_ASSERT_EQ(test, buddy_alloc(b, 2, &keep), 0);
	KUNIT_EXPECT_EQ(test, keep, 4UL);
	KUNIT_ASSERT_EQ(test, buddy_gather(b, 3, pfns), 0);
	KUNIT_EXPECT_EQ(test, pfns[0], 1UL);
	KUNIT_EXPECT_TRUE(test, pfns[1] == 2 && pfns[2] == 3);
	KUNIT_EXPECT_EQ(test, b->nr_free[3], 1UL);
	KUNIT_EXPECT_EQ(test, b->nr_free[10], 1UL);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
	/* Not enough: nothing is taken. */
	n = b->free_frames;
	KUNIT_EXPECT_EQ(test, buddy_gather(b, n + 1, pfns), -ENOMEM);
	KUNIT_EXPECT_EQ(test, b->free_frames, n);
	/* Gathered frames are order-0 blocks of their own, and merge back. */
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, buddy_free(b, pfns[i], 0), 0);
	KUNIT_EXPECT_EQ(test, buddy_free(b, keep, 2), 0);
	KUNIT_EXPECT_EQ(test, b->nr_free[3], 1UL);	/* 8-15 */
	KUNIT_EXPECT_EQ(test, b->nr_free[2], 1UL);	/* 4-7 */
	KUNIT_EXPECT_EQ(test, b->nr_free[1], 1UL);	/* 2-3 */
	KUNIT_EXPECT_EQ(test, b->nr_free[0], 1UL);	/* 1 */
	expect_recovered(test, b);
}

static void buddy_test_gather_splits_smallest(struct kunit *test)
{
	struct buddy *b = gather_pool(test);
	unsigned long pfns[5], *all;
	unsigned int i;
	struct snap s;

	KUNIT_EXPECT_EQ(test, buddy_gather(b, 5, pfns), 0);
	KUNIT_EXPECT_EQ(test, pfns[0], 1UL);
	KUNIT_EXPECT_EQ(test, pfns[1], 2UL);
	KUNIT_EXPECT_EQ(test, pfns[2], 3UL);
	/* The other two come out of the order-3 block, not the order-10 one. */
	KUNIT_EXPECT_TRUE(test, pfns[3] >= 8 && pfns[3] < 16);
	KUNIT_EXPECT_TRUE(test, pfns[4] >= 8 && pfns[4] < 16);
	KUNIT_EXPECT_NE(test, pfns[3], pfns[4]);
	KUNIT_EXPECT_EQ(test, b->nr_free[MAXO], 1UL);
	KUNIT_EXPECT_EQ(test, b->free_frames, 1024UL + 6);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
	/* Gathered frames are order-0 blocks each. */
	for (i = 0; i < 5; i++) {
		expect_lookup(test, b, pfns[i], pfns[i], 0, BUDDY_USED);
		expect_bad_free(test, b, pfns[i], 1, -EINVAL);
	}
	for (i = 5; i-- > 0; )
		KUNIT_EXPECT_EQ(test, buddy_free(b, pfns[i], 0), 0);
	expect_bad_free(test, b, pfns[0], 0, -EALREADY);
	expect_recovered(test, b);

	/* 1024 + 11 frames: everything; 1024 + 12: -ENOMEM. */
	all = alloc_array(test, 1024 + 12, sizeof(*all));
	snap_take(test, &s, b);
	KUNIT_EXPECT_EQ(test, buddy_gather(b, 1024 + 12, all), -ENOMEM);
	expect_unchanged(test, &s, b, "refused buddy_gather()");
	snap_drop(test, &s);
	KUNIT_EXPECT_EQ(test, buddy_gather(b, 1024 + 11, all), 0);
	KUNIT_EXPECT_EQ(test, b->free_frames, 0UL);
	KUNIT_EXPECT_EQ(test, all[1024 + 10], 2047UL);	/* the order-10 block is last */
	for (i = 0; i < 1024 + 11; i++)
		KUNIT_EXPECT_EQ(test, buddy_free(b, all[i], 0), 0);
	expect_recovered(test, b);
}

static void buddy_test_gather_errors(struct kunit *test)
{
	struct buddy *b = POOL(test, { 3, 1000 }, { 2048, 100 });
	unsigned long pfns[4], x;
	struct snap s;

	x = alloc_ok(test, b, 5);
	snap_take(test, &s, b);
	KUNIT_EXPECT_EQ(test, buddy_gather(b, 0, pfns), -EINVAL);
	expect_unchanged(test, &s, b, "buddy_gather(0)");
	KUNIT_EXPECT_EQ(test, buddy_gather(b, b->free_frames + 1, pfns), -ENOMEM);
	expect_unchanged(test, &s, b, "buddy_gather(free + 1)");
	KUNIT_EXPECT_EQ(test, buddy_gather(b, ULONG_MAX, pfns), -ENOMEM);
	expect_unchanged(test, &s, b, "buddy_gather(ULONG_MAX)");
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
	snap_drop(test, &s);
	KUNIT_EXPECT_EQ(test, buddy_free(b, x, 5), 0);
	expect_recovered(test, b);
}

/* Gather everything, free it frame by frame in random order: all merges. */
static void buddy_test_gather_all_coalesce(struct kunit *test)
{
	struct buddy *b = POOL(test, { 3, 1000 }, { 1024, 2048 }, { 3072, 5 },
			       { 4096 + 1, 700 });
	u32 total = b->nr_frames, i;
	unsigned long *pfns = alloc_array(test, total, sizeof(*pfns));
	unsigned char *seen = alloc_array(test, 8192, 1);
	unsigned long x, part;
	struct rnd_state rnd;

	prandom_seed_state(&rnd, 11);
	KUNIT_EXPECT_EQ(test, buddy_gather(b, total, pfns), 0);
	KUNIT_EXPECT_EQ(test, b->free_frames, 0UL);
	KUNIT_EXPECT_EQ(test, buddy_alloc(b, 0, &x), -ENOMEM);
	for (i = 0; i < total; i++) {
		x = pfns[i];
		KUNIT_ASSERT_TRUE_MSG(test, x < 8192 && !seen[x], "pfn %lu", x);
		seen[x] = 1;
	}
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
	shuffle(test, &rnd, pfns, total, sizeof(*pfns));
	for (i = 0; i < total; i++)
		KUNIT_EXPECT_EQ(test, buddy_free(b, pfns[i], 0), 0);
	expect_recovered(test, b);

	/* Interleaved with ordinary blocks. */
	for (part = 1; part < total; part = part * 3 + 1) {
		unsigned long y = alloc_ok(test, b, 4);

		KUNIT_EXPECT_EQ(test, buddy_gather(b, part, pfns), 0);
		KUNIT_EXPECT_EQ(test, b->free_frames, total - 16 - part);
		KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
		shuffle(test, &rnd, pfns, part, sizeof(*pfns));
		for (i = 0; i < part; i++)
			KUNIT_EXPECT_EQ(test, buddy_free(b, pfns[i], 0), 0);
		KUNIT_EXPECT_EQ(test, buddy_free(b, y, 4), 0);
		expect_recovered(test, b);
	}
}

/* ---- placement policies -------------------------------------------------------- */

static const unsigned int all_policies[] = { BUDDY_LIFO, BUDDY_ADDRESS, BUDDY_GROUPED };

static void policy_desc(const unsigned int *policy, char *desc)
{
	strscpy(desc, buddy_policy_names[*policy], KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(buddy_policies, all_policies, policy_desc);

/* Switch @b to @policy, with a free map of its own when the policy needs one. */
static void set_policy(struct kunit *test, struct buddy *b, unsigned int policy)
{
	unsigned long *map = NULL;

	if (policy != BUDDY_LIFO)
		map = alloc_array(test, buddy_map_words(b->max_frames), sizeof(*map));
	KUNIT_ASSERT_EQ(test, buddy_set_policy(b, policy, map), 0);
	KUNIT_ASSERT_EQ(test, buddy_check(b), 0);
}

/*
 * [0, 64) all allocated as order-0 blocks, then 40, 10 and 30 freed in
 * that order (none of them a buddy of another free frame): which one the
 * next allocation takes is the policy, whole.
 */
static void buddy_test_policy_picks(struct kunit *test)
{
	const unsigned int policy = *(const unsigned int *)test->param_value;
	static const unsigned long freed[] = { 40, 10, 30 };
	/* The next fixed allocation, then the next movable one. */
	static const unsigned long want[][2] = {
		[BUDDY_LIFO]	= { 30, 10 },
		[BUDDY_ADDRESS]	= { 10, 30 },
		[BUDDY_GROUPED]	= { 10, 40 },
	};
	struct buddy *b = POOL(test, { 0, 64 });
	unsigned long pfn, i;

	set_policy(test, b, policy);
	/* A fresh pool: fixed from the bottom; movable grouped from the top. */
	KUNIT_ASSERT_EQ(test, buddy_alloc_hint(b, 0, true, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, policy == BUDDY_GROUPED ? 63UL : 0UL);
	KUNIT_EXPECT_EQ(test, buddy_free(b, pfn, 0), 0);
	KUNIT_ASSERT_EQ(test, buddy_alloc_hint(b, 2, false, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, 0UL);
	KUNIT_EXPECT_EQ(test, buddy_free(b, pfn, 2), 0);
	expect_recovered(test, b);

	for (i = 0; i < 64; i++)
		KUNIT_ASSERT_EQ(test, buddy_alloc(b, 0, &pfn), 0);
	for (i = 0; i < ARRAY_SIZE(freed); i++)
		KUNIT_ASSERT_EQ(test, buddy_free(b, freed[i], 0), 0);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
	KUNIT_ASSERT_EQ(test, buddy_alloc(b, 0, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, want[policy][0]);
	KUNIT_ASSERT_EQ(test, buddy_alloc_hint(b, 0, true, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, want[policy][1]);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
}

/*
 * buddy_gather(): single frames first, then a larger block split. Under
 * an address policy the single frames go lowest first (holes among the
 * long-lived) and the split block keeps its top end; under LIFO, the most
 * recently freed first and the bottom end.
 */
static void buddy_test_policy_gather(struct kunit *test)
{
	const unsigned int policy = *(const unsigned int *)test->param_value;
	static const unsigned long lifo[] = { 30, 10, 40, 48, 49 };
	static const unsigned long addr[] = { 10, 30, 40, 54, 55 };
	const unsigned long *want = policy == BUDDY_LIFO ? lifo : addr;
	struct buddy *b = POOL(test, { 0, 64 });
	unsigned long pfn, pfns[5], i;

	set_policy(test, b, policy);
	for (i = 0; i < 64; i++)
		KUNIT_ASSERT_EQ(test, buddy_alloc(b, 0, &pfn), 0);
	KUNIT_ASSERT_EQ(test, buddy_free(b, 40, 0), 0);
	KUNIT_ASSERT_EQ(test, buddy_free(b, 10, 0), 0);
	KUNIT_ASSERT_EQ(test, buddy_free(b, 30, 0), 0);
	for (i = 48; i < 56; i++)	/* merge into one order-3 block */
		KUNIT_ASSERT_EQ(test, buddy_free(b, i, 0), 0);
	KUNIT_ASSERT_EQ(test, b->nr_free[3], 1UL);

	KUNIT_ASSERT_EQ(test, buddy_gather(b, 5, pfns), 0);
	for (i = 0; i < 5; i++)
		KUNIT_EXPECT_EQ_MSG(test, pfns[i], want[i], "frame %lu", i);
	KUNIT_EXPECT_EQ(test, b->nr_free[2], 1UL);	/* the rest of the split */
	KUNIT_EXPECT_EQ(test, b->nr_free[1], 1UL);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
}

/*
 * Random allocations, gathers and frees under each policy, every invariant
 * (the free maps' too) checked after each; a policy set on a pool in use
 * builds its maps from the lists; and everything merges back.
 */
static void buddy_test_policy_random(struct kunit *test)
{
	const unsigned int policy = *(const unsigned int *)test->param_value;
	struct buddy *b = POOL(test, { 3, 1000 }, { 2048, 2048 }, { 8192 + 5, 300 });
	enum { NR = 200 };
	unsigned long *pfn = alloc_array(test, NR * 8, sizeof(*pfn));
	unsigned int *order = alloc_array(test, NR * 8, sizeof(*order));
	unsigned int n = 0, step, i;
	struct rnd_state rnd;

	prandom_seed_state(&rnd, 15 + policy);
	for (step = 0; step < 2000; step++) {
		u32 r = prandom_u32_state(&rnd);

		if (step == 500)	/* maps rebuilt from a used pool */
			set_policy(test, b, policy);
		if (n && (r % 3 == 0 || n > NR * 8 - 8)) {
			i = prandom_u32_state(&rnd) % n;
			KUNIT_ASSERT_EQ(test, buddy_free(b, pfn[i], order[i]), 0);
			pfn[i] = pfn[--n];
			order[i] = order[n];
		} else if (r % 7 == 1) {
			unsigned long got[8];
			unsigned int k = 2 + r / 7 % 7;

			if (buddy_gather(b, k, got))
				continue;
			for (i = 0; i < k; i++) {
				pfn[n] = got[i];
				order[n++] = 0;
			}
		} else {
			unsigned int o = r / 3 % 6;

			if (buddy_alloc_hint(b, o, r & 1, &pfn[n]))
				continue;
			order[n++] = o;
		}
		KUNIT_ASSERT_EQ_MSG(test, buddy_check(b), 0, "step %u", step);
	}
	while (n--)
		KUNIT_ASSERT_EQ(test, buddy_free(b, pfn[n], order[n]), 0);
	expect_recovered(test, b);
}

/* Bad policies are refused; a free map out of step with the lists is caught. */
static void buddy_test_policy_errors(struct kunit *test)
{
	struct buddy *b = POOL(test, { 0, 64 });
	unsigned long *map = alloc_array(test, buddy_map_words(64), sizeof(*map));
	unsigned long pfn;

	KUNIT_EXPECT_EQ(test, buddy_set_policy(b, BUDDY_NR_POLICIES, map), -EINVAL);
	KUNIT_EXPECT_EQ(test, buddy_set_policy(b, BUDDY_ADDRESS, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, b->policy, (unsigned int)BUDDY_LIFO);
	KUNIT_ASSERT_EQ(test, buddy_set_policy(b, BUDDY_ADDRESS, map), 0);
	KUNIT_ASSERT_EQ(test, buddy_alloc(b, 0, &pfn), 0);	/* 1, 2-3, ..., 32-63 free */
	KUNIT_ASSERT_EQ(test, buddy_check(b), 0);
	map[0] ^= 1UL << 1;		/* frame 1's bit in the order-0 map */
	KUNIT_EXPECT_EQ(test, buddy_check(b), -EUCLEAN);
	map[0] ^= 1UL << 1;
	map[0] ^= 1UL << 5;		/* a bit no free block has */
	KUNIT_EXPECT_EQ(test, buddy_check(b), -EUCLEAN);
	map[0] ^= 1UL << 5;
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
	KUNIT_EXPECT_EQ(test, buddy_free(b, pfn, 0), 0);
	expect_recovered(test, b);
}

/* ---- lookup, tags, largest free order -------------------------------------------------- */

/* The tag of a block, via buddy_lookup() of @pfn. */
static int tag_of(const struct buddy *b, unsigned long pfn)
{
	struct buddy_block blk;

	return buddy_lookup(b, pfn, &blk) ? -1 : blk.tag;
}

static void buddy_test_lookup_and_tag(struct kunit *test)
{
	struct buddy *b = POOL(test, { 0, 64 }, { 100, 3 });
	unsigned long x, y, pfns[2];
	struct buddy_block blk;

	x = alloc_ok(test, b, 2);
	KUNIT_EXPECT_EQ(test, x, 0UL);
	KUNIT_EXPECT_EQ(test, tag_of(b, 0), 0);
	KUNIT_EXPECT_EQ(test, buddy_set_tag(b, x, 42), 0);
	KUNIT_EXPECT_EQ(test, buddy_lookup(b, x + 3, &blk), 0);
	KUNIT_EXPECT_EQ(test, blk.pfn, x);
	KUNIT_EXPECT_EQ(test, blk.order, 2U);
	KUNIT_EXPECT_EQ(test, blk.state, BUDDY_USED);
	KUNIT_EXPECT_EQ(test, blk.tag, 42);
	KUNIT_EXPECT_EQ(test, buddy_set_tag(b, x, 255), 0);
	KUNIT_EXPECT_EQ(test, tag_of(b, x + 1), 255);

	KUNIT_EXPECT_EQ(test, buddy_set_tag(b, x + 1, 1), -EINVAL);	/* interior */
	KUNIT_EXPECT_EQ(test, buddy_set_tag(b, 4, 1), -EINVAL);		/* free head */
	KUNIT_EXPECT_EQ(test, buddy_set_tag(b, 5, 1), -EINVAL);		/* free interior */
	KUNIT_EXPECT_EQ(test, buddy_set_tag(b, 64, 1), -EINVAL);	/* hole */
	KUNIT_EXPECT_EQ(test, buddy_set_tag(b, ULONG_MAX, 1), -EINVAL);

	expect_lookup(test, b, 5, 4, 2, BUDDY_FREE);
	expect_lookup(test, b, 63, 32, 5, BUDDY_FREE);
	expect_lookup(test, b, 101, 100, 1, BUDDY_FREE);	/* [100, 103): 100 o1, 102 o0 */
	expect_lookup(test, b, 102, 102, 0, BUDDY_FREE);
	KUNIT_EXPECT_EQ(test, buddy_lookup(b, 64, &blk), -ENOENT);
	KUNIT_EXPECT_EQ(test, buddy_lookup(b, 103, &blk), -ENOENT);

	/* A new allocation starts with tag 0 again. */
	KUNIT_EXPECT_EQ(test, buddy_free(b, x, 2), 0);
	y = alloc_ok(test, b, 2);
	KUNIT_EXPECT_EQ(test, y, x);
	KUNIT_EXPECT_EQ(test, tag_of(b, y), 0);
	KUNIT_EXPECT_EQ(test, buddy_free(b, y, 2), 0);

	/* An order-3 block: tagged at its head, found from inside, free as order 6. */
	x = alloc_ok(test, b, 3);
	KUNIT_EXPECT_EQ(test, buddy_set_tag(b, x, 7), 0);
	KUNIT_EXPECT_EQ(test, buddy_set_tag(b, x + 1, 7), -EINVAL);
	expect_lookup(test, b, x + 5, x, 3, BUDDY_USED);
	KUNIT_EXPECT_EQ(test, tag_of(b, x + 5), 7);
	KUNIT_EXPECT_EQ(test, buddy_free(b, x, 3), 0);
	expect_lookup(test, b, x + 5, 0, 6, BUDDY_FREE);

	/* Gathered frames are taggable one by one. */
	KUNIT_EXPECT_EQ(test, buddy_gather(b, 2, pfns), 0);
	KUNIT_EXPECT_EQ(test, buddy_set_tag(b, pfns[1], 9), 0);
	KUNIT_EXPECT_EQ(test, tag_of(b, pfns[0]), 0);
	KUNIT_EXPECT_EQ(test, tag_of(b, pfns[1]), 9);
	KUNIT_EXPECT_EQ(test, buddy_free(b, pfns[0], 0), 0);
	KUNIT_EXPECT_EQ(test, buddy_free(b, pfns[1], 0), 0);
	KUNIT_EXPECT_EQ(test, buddy_set_tag(b, pfns[1], 1), -EINVAL);	/* freed */
	expect_recovered(test, b);
}

/* buddy_free_check() says what buddy_free_tagged() would, and changes nothing. */
static void buddy_test_free_check_and_index(struct kunit *test)
{
	struct buddy *b = POOL(test, { 0, 64 }, { 100, 3 });
	unsigned long x;
	struct snap s;
	u32 idx;

	x = alloc_ok(test, b, 2);
	KUNIT_EXPECT_EQ(test, buddy_set_tag(b, x, 7), 0);
	snap_take(test, &s, b);
	KUNIT_EXPECT_EQ(test, buddy_free_check(b, x, 2, 7), 0);
	KUNIT_EXPECT_EQ(test, buddy_free_check(b, x, 2, -1), 0);
	KUNIT_EXPECT_EQ(test, buddy_free_check(b, x, 2, 6), -EPERM);
	KUNIT_EXPECT_EQ(test, buddy_free_check(b, x, 1, 7), -EINVAL);
	KUNIT_EXPECT_EQ(test, buddy_free_check(b, x + 1, 2, 7), -EFAULT);
	KUNIT_EXPECT_EQ(test, buddy_free_check(b, 4, 2, -1), -EALREADY);
	KUNIT_EXPECT_EQ(test, buddy_free_check(b, 64, 0, -1), -ENOENT);
	KUNIT_EXPECT_EQ(test, buddy_free_check(b, x, VBUDDY_MAX_ORDER + 1, -1), -ERANGE);
	expect_unchanged(test, &s, b, "buddy_free_check()");
	snap_drop(test, &s);
	KUNIT_EXPECT_EQ(test, buddy_free_tagged(b, x, 2, 7), 0);

	/* Frame indices run through the spans in order. */
	KUNIT_EXPECT_EQ(test, buddy_index(b, 0, &idx), 0);
	KUNIT_EXPECT_EQ(test, idx, 0U);
	KUNIT_EXPECT_EQ(test, buddy_index(b, 63, &idx), 0);
	KUNIT_EXPECT_EQ(test, idx, 63U);
	KUNIT_EXPECT_EQ(test, buddy_index(b, 102, &idx), 0);
	KUNIT_EXPECT_EQ(test, idx, 66U);
	KUNIT_EXPECT_EQ(test, buddy_index(b, 64, &idx), -ENOENT);
	KUNIT_EXPECT_EQ(test, buddy_index(b, 103, &idx), -ENOENT);

	/* buddy_pfn_of_index() is its inverse, for every frame. */
	for (idx = 0; idx < b->nr_frames; idx++) {
		u32 back;

		KUNIT_ASSERT_EQ(test, buddy_pfn_of_index(b, idx, &x), 0);
		KUNIT_EXPECT_EQ(test, buddy_index(b, x, &back), 0);
		KUNIT_EXPECT_EQ(test, back, idx);
	}
	KUNIT_EXPECT_EQ(test, buddy_pfn_of_index(b, b->nr_frames, &x), -ENOENT);
	expect_recovered(test, b);
}

/* buddy_check_step() over everything, @budget frames or entries at a time. */
static int check_in_steps(const struct buddy *b, unsigned long budget, unsigned int *steps)
{
	struct buddy_check_state st;
	int ret;

	*steps = 0;
	buddy_check_begin(b, &st);
	do {
		ret = buddy_check_step(b, &st, budget, false);
		++*steps;
	} while (ret == 1);
	return ret;
}

/*
 * A check in steps (what debugfs does, the pool lock dropped between
 * them) looks at one span, or @budget list entries, per step, and comes to
 * buddy_check()'s verdict; the change counter tells the caller when the
 * allocator changed between steps.
 */
static void buddy_test_check_steps(struct kunit *test)
{
	struct buddy *b = POOL(test, { 0, 64 }, { 67, 3 }, { 71, 1 }, { 80, 16 });
	unsigned long changes, x;
	unsigned int steps;

	/* Budget 1: a step per span, then a step per list entry (and end). */
	KUNIT_EXPECT_EQ(test, check_in_steps(b, 1, &steps), 0);
	KUNIT_EXPECT_EQ(test, steps, b->nr_spans + b->nr_free[0] + b->nr_free[1] +
			b->nr_free[4] + b->nr_free[6]);
	KUNIT_EXPECT_EQ(test, check_in_steps(b, ULONG_MAX, &steps), 0);
	KUNIT_EXPECT_EQ(test, steps, 1U);

	changes = b->changes;
	x = alloc_ok(test, b, 1);
	KUNIT_EXPECT_GT(test, b->changes, changes);
	changes = b->changes;
	KUNIT_EXPECT_EQ(test, buddy_set_tag(b, x, 3), 0);
	KUNIT_EXPECT_GT(test, b->changes, changes);
	changes = b->changes;
	KUNIT_EXPECT_EQ(test, buddy_free(b, x, 1), 0);
	KUNIT_EXPECT_GT(test, b->changes, changes);
	changes = b->changes;
	KUNIT_EXPECT_EQ(test, buddy_free(b, x, 1), -EALREADY);
	KUNIT_EXPECT_EQ(test, b->changes, changes);	/* a refused call changes nothing */
	expect_recovered(test, b);
}

static void buddy_test_largest_free_order(struct kunit *test)
{
	struct buddy *b = new_buddy(test, 1024 + 7, 2);
	unsigned long x, y, z;

	KUNIT_EXPECT_EQ(test, buddy_largest_free_order(b), -1);
	KUNIT_EXPECT_EQ(test, buddy_add_span(b, 3, 7), 0);	/* 3 o0, 4 o2, 8 o1 */
	KUNIT_EXPECT_EQ(test, buddy_largest_free_order(b), 2);
	KUNIT_EXPECT_EQ(test, buddy_add_span(b, 1024, 1024), 0);
	KUNIT_EXPECT_EQ(test, buddy_largest_free_order(b), MAXO);
	KUNIT_EXPECT_EQ(test, buddy_alloc(b, 0, &x), 0);	/* takes the order-0 block */
	KUNIT_EXPECT_EQ(test, buddy_largest_free_order(b), MAXO);
	KUNIT_EXPECT_EQ(test, buddy_alloc(b, 9, &y), 0);
	KUNIT_EXPECT_EQ(test, buddy_largest_free_order(b), 9);
	KUNIT_EXPECT_EQ(test, buddy_alloc(b, 9, &z), 0);
	KUNIT_EXPECT_EQ(test, buddy_largest_free_order(b), 2);
	KUNIT_EXPECT_EQ(test, buddy_free(b, y, 9), 0);
	KUNIT_EXPECT_EQ(test, buddy_largest_free_order(b), 9);
	KUNIT_EXPECT_EQ(test, buddy_free(b, z, 9), 0);
	KUNIT_EXPECT_EQ(test, buddy_largest_free_order(b), MAXO);
	KUNIT_EXPECT_EQ(test, buddy_free(b, x, 0), 0);
	while (!buddy_alloc(b, 0, &x))
		;
	KUNIT_EXPECT_EQ(test, buddy_largest_free_order(b), -1);
}

/* ---- compaction ---------------------------------------------------------------- */

#define MOVABLE_TAG	7

/*
 * Every frame of @b's spans allocated as a movable order-0 block, tagged
 * MOVABLE_TAG, under @policy.
 */
static void fill_movable(struct kunit *test, struct buddy *b, unsigned int policy)
{
	unsigned long pfn;

	set_policy(test, b, policy);
	while (!buddy_alloc_hint(b, 0, true, &pfn))
		KUNIT_ASSERT_EQ(test, buddy_set_tag(b, pfn, MOVABLE_TAG), 0);
	KUNIT_ASSERT_EQ(test, b->free_frames, 0UL);
}

/* What a compaction run did, move by move. */
struct compact_log {
	unsigned long src[64], dst[64];
	unsigned int moves;	/* all of them; the first 64 are kept */
	int end;		/* what ended it: -ENOMEM, -ENODATA, or 0 (stopped) */
	unsigned int budget;	/* the run's budget (0: none), set by the caller */
	unsigned int again;	/* how many times the budget ran out */
};

/*
 * A compaction run at @order for MOVABLE_TAG, upwards or (@down)
 * downwards, every move made (and the identity in @owner, indexed by pfn,
 * carried along), until it ends or, with @stop, once a block of @order is
 * free. @pinned: the source pfn of a move to refuse
 * (buddy_compact_done(false), buddy_compact_skip()), or ULONG_MAX. Each
 * move is checked: the source a movable head of the order told, the
 * destination allocated and tagged, above the source (below it, @down).
 */
static void compact_run_dir(struct kunit *test, struct buddy *b, unsigned int order,
			    bool down, bool stop, unsigned long pinned, unsigned long *owner,
			    struct compact_log *log)
{
	struct buddy_compact cc;
	struct buddy_move mv;
	struct buddy_block blk;
	unsigned long free_before;
	u32 si, di;
	int ret;

	log->moves = 0;
	log->end = 0;
	log->again = 0;
	buddy_compact_begin_dir(&cc, order, MOVABLE_TAG, down);
	cc.budget = log->budget;
	for (;;) {
		if (stop && buddy_largest_free_order(b) >= (int)order)
			return;
		free_before = b->free_frames;
		ret = buddy_compact_next(b, &cc, &mv);
		if (ret == -EAGAIN && log->budget) {
			log->again++;	/* the caller could let go of its lock here */
			continue;
		}
		if (ret) {
			KUNIT_EXPECT_TRUE_MSG(test, ret == -ENOMEM || ret == -ENODATA,
					      "compact_next: %d", ret);
			log->end = ret;
			return;
		}
		KUNIT_ASSERT_EQ(test, buddy_lookup(b, mv.src, &blk), 0);
		KUNIT_EXPECT_TRUE_MSG(test, blk.pfn == mv.src && blk.state == BUDDY_USED &&
				      blk.order == mv.order && blk.tag == MOVABLE_TAG,
				      "source %lu order %u", mv.src, mv.order);
		KUNIT_ASSERT_EQ(test, buddy_lookup(b, mv.dst, &blk), 0);
		KUNIT_EXPECT_TRUE_MSG(test, blk.pfn == mv.dst && blk.state == BUDDY_USED &&
				      blk.order == mv.order && blk.tag == MOVABLE_TAG,
				      "destination %lu order %u", mv.dst, mv.order);
		KUNIT_ASSERT_EQ(test, buddy_index(b, mv.src, &si), 0);
		KUNIT_ASSERT_EQ(test, buddy_index(b, mv.dst, &di), 0);
		KUNIT_EXPECT_TRUE_MSG(test, down ? di < si : di > si, "move %lu -> %lu, %s",
				      mv.src, mv.dst, down ? "down" : "up");
		KUNIT_EXPECT_EQ(test, b->free_frames + (1UL << mv.order), free_before);
		if (log->moves < ARRAY_SIZE(log->src)) {
			log->src[log->moves] = mv.src;
			log->dst[log->moves] = mv.dst;
		}
		log->moves++;
		if (mv.src == pinned) {
			KUNIT_EXPECT_EQ(test, buddy_compact_done(b, &cc, &mv, false), 0);
			buddy_compact_skip(&cc);
			KUNIT_EXPECT_EQ(test, b->free_frames, free_before);
			expect_lookup(test, b, mv.src, mv.src, mv.order, BUDDY_USED);
		} else {
			if (owner) {
				KUNIT_EXPECT_EQ(test, owner[mv.dst], ULONG_MAX);
				owner[mv.dst] = owner[mv.src];
				owner[mv.src] = ULONG_MAX;
			}
			KUNIT_EXPECT_EQ(test, buddy_compact_done(b, &cc, &mv, true), 0);
			KUNIT_EXPECT_EQ(test, b->free_frames, free_before);
		}
		KUNIT_ASSERT_EQ(test, buddy_check(b), 0);
	}
}

/*
 * A compaction case: a placement policy and a direction. Each case below
 * is written for a run up; a run down gets the same pool mirrored (the
 * block of order o at pfn is at top - pfn - 2^o of a pool [0, top)) and
 * must do the mirror image of what the run up does, move for move.
 */
struct compact_case {
	unsigned int policy;
	bool down;
	const char *name;
};

static const struct compact_case compact_cases[] = {
	{ BUDDY_LIFO, false, "lifo, up" },
	{ BUDDY_ADDRESS, false, "address, up" },
	{ BUDDY_GROUPED, false, "grouped, up" },
	{ BUDDY_LIFO, true, "lifo, down" },
	{ BUDDY_ADDRESS, true, "address, down" },
	{ BUDDY_GROUPED, true, "grouped, down" },
};

KUNIT_ARRAY_PARAM_DESC(buddy_compact, compact_cases, name);

/* The case a test runs, and the top of its pool: what mir() needs. */
struct mirror {
	bool down;
	unsigned long top;
};

/* Where the block of @order at @pfn of the case as written is in the case run. */
static unsigned long mir(const struct mirror *m, unsigned long pfn, unsigned int order)
{
	return m->down ? m->top - pfn - (1UL << order) : pfn;
}

/* The block of @order at @pfn of the case as written is in @state. */
static void expect_case_block(struct kunit *test, const struct buddy *b,
			      const struct mirror *m, unsigned long pfn, unsigned int order,
			      enum buddy_state state)
{
	unsigned long at = mir(m, pfn, order);

	expect_lookup(test, b, at, at, order, state);
}

/* Move @k of @log went from frame @src to frame @dst of the case as written. */
static void expect_move(struct kunit *test, const struct compact_log *log,
			const struct mirror *m, unsigned int k, unsigned long src,
			unsigned long dst)
{
	KUNIT_EXPECT_EQ_MSG(test, log->src[k], mir(m, src, 0), "move %u", k);
	KUNIT_EXPECT_EQ_MSG(test, log->dst[k], mir(m, dst, 0), "move %u", k);
}

/*
 * [0, 64) all movable order-0 blocks; then free all but every fourth frame
 * from 8 up: 9 (order 0) and 10-11 (order 1) in every four, no order-2
 * block free. A run at order 2 empties the lowest region, [0, 4): each
 * block goes to the highest free order-0 frame (61, 57, 53, 49), its
 * source merges as it goes, and [0, 4) ends as one free order-2 block.
 */
static void four_holes(struct kunit *test, struct buddy *b, const struct mirror *m)
{
	unsigned long pfn;

	for (pfn = 8; pfn < 64; pfn++)
		if (pfn % 4)
			KUNIT_ASSERT_EQ(test, buddy_free(b, mir(m, pfn, 0), 0), 0);
	KUNIT_ASSERT_EQ(test, buddy_largest_free_order(b), 1);
}

static void buddy_test_compact_region(struct kunit *test)
{
	const struct compact_case *c = test->param_value;
	const struct mirror m = { c->down, 64 };
	static const unsigned long want_dst[] = { 61, 57, 53, 49 };
	struct buddy *b = POOL(test, { 0, 64 });
	struct compact_log *log = alloc_array(test, 1, sizeof(*log));
	struct buddy_compact cc;
	struct buddy_move mv;
	unsigned long i, pfn;

	fill_movable(test, b, c->policy);
	four_holes(test, b, &m);

	/* Step by step: the source merges with the frames freed before it. */
	buddy_compact_begin_dir(&cc, 2, MOVABLE_TAG, c->down);
	for (i = 0; i < 4; i++) {
		KUNIT_ASSERT_EQ(test, buddy_compact_next(b, &cc, &mv), 0);
		KUNIT_EXPECT_EQ(test, mv.src, mir(&m, i, 0));
		KUNIT_EXPECT_EQ(test, mv.dst, mir(&m, want_dst[i], 0));
		KUNIT_EXPECT_EQ(test, mv.order, 0U);
		KUNIT_EXPECT_EQ(test, buddy_compact_done(b, &cc, &mv, true), 0);
		KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
		if (i == 1)
			expect_case_block(test, b, &m, 0, 1, BUDDY_FREE);
	}
	expect_case_block(test, b, &m, 0, 2, BUDDY_FREE);
	KUNIT_EXPECT_EQ(test, buddy_largest_free_order(b), 2);
	KUNIT_EXPECT_EQ(test, tag_of(b, mir(&m, 61, 0)), MOVABLE_TAG);
	/* The allocation that wanted it gets it. */
	KUNIT_ASSERT_EQ(test, buddy_alloc(b, 2, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, mir(&m, 0, 2));
	KUNIT_EXPECT_EQ(test, buddy_free(b, pfn, 2), 0);

	/* The same through compact_run_dir(), stopping once order 2 is free. */
	KUNIT_ASSERT_EQ(test, buddy_alloc(b, 2, &pfn), 0);
	for (i = 0; i < 4; i++)
		KUNIT_ASSERT_EQ(test, buddy_free(b, mir(&m, want_dst[i], 0), 0), 0);
	KUNIT_ASSERT_EQ(test, buddy_free(b, pfn, 2), 0);
	for (i = 0; i < 4; i++) {
		KUNIT_ASSERT_EQ(test, buddy_alloc(b, 0, &pfn), 0);
		KUNIT_ASSERT_EQ(test, buddy_set_tag(b, pfn, MOVABLE_TAG), 0);
	}
	/* Whatever the policy took, no order-2 block is free again. */
	if (buddy_largest_free_order(b) < 2) {
		compact_run_dir(test, b, 2, c->down, true, ULONG_MAX, NULL, log);
		KUNIT_EXPECT_EQ(test, log->end, 0);
		KUNIT_EXPECT_GE(test, buddy_largest_free_order(b), 2);
	}
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
}

/* A region holding one fixed block, or one block of the run's order, is passed over. */
static void buddy_test_compact_passes_over(struct kunit *test)
{
	const struct compact_case *c = test->param_value;
	const struct mirror m = { c->down, 64 };
	struct buddy *b = POOL(test, { 0, 64 });
	struct compact_log *log = alloc_array(test, 1, sizeof(*log));
	unsigned long pfn;

	fill_movable(test, b, c->policy);
	four_holes(test, b, &m);
	/* Frame 1: not movable. */
	KUNIT_ASSERT_EQ(test, buddy_set_tag(b, mir(&m, 1, 0), 0), 0);
	/* [4, 8): one movable order-2 block. */
	for (pfn = 4; pfn < 8; pfn++)
		KUNIT_ASSERT_EQ(test, buddy_free(b, mir(&m, pfn, 0), 0), 0);
	KUNIT_ASSERT_EQ(test, buddy_alloc_hint(b, 2, true, &pfn), 0);
	KUNIT_ASSERT_EQ(test, pfn, mir(&m, 4, 2));
	KUNIT_ASSERT_EQ(test, buddy_set_tag(b, pfn, MOVABLE_TAG), 0);

	compact_run_dir(test, b, 2, c->down, true, ULONG_MAX, NULL, log);
	KUNIT_EXPECT_EQ(test, log->end, 0);
	KUNIT_ASSERT_EQ(test, log->moves, 1U);
	/* [8, 12) holds one block, 8, and 9-11 free: one move empties it. */
	expect_move(test, log, &m, 0, 8, 61);
	expect_case_block(test, b, &m, 8, 2, BUDDY_FREE);
	expect_case_block(test, b, &m, 1, 0, BUDDY_USED);
	expect_case_block(test, b, &m, 0, 0, BUDDY_USED);
	expect_case_block(test, b, &m, 4, 2, BUDDY_USED);
	KUNIT_EXPECT_EQ(test, tag_of(b, mir(&m, 1, 0)), 0);

	/* Without stopping: no move ever touches [0, 8). */
	compact_run_dir(test, b, 2, c->down, false, ULONG_MAX, NULL, log);
	KUNIT_EXPECT_NE(test, log->end, 0);
	expect_case_block(test, b, &m, 0, 0, BUDDY_USED);
	expect_case_block(test, b, &m, 1, 0, BUDDY_USED);
	expect_case_block(test, b, &m, 4, 2, BUDDY_USED);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
}

/* A pinned block: its destination is freed again, and its region is left. */
static void buddy_test_compact_skip_pinned(struct kunit *test)
{
	const struct compact_case *c = test->param_value;
	const struct mirror m = { c->down, 64 };
	struct buddy *b = POOL(test, { 0, 64 });
	struct compact_log *log = alloc_array(test, 1, sizeof(*log));

	fill_movable(test, b, c->policy);
	four_holes(test, b, &m);
	/* Frame 1 is pinned: the run moves 0, gives up at 1, and empties [4, 8). */
	compact_run_dir(test, b, 2, c->down, true, mir(&m, 1, 0), NULL, log);
	KUNIT_EXPECT_EQ(test, log->end, 0);
	KUNIT_ASSERT_EQ(test, log->moves, 6U);
	expect_move(test, log, &m, 0, 0, 61);
	expect_move(test, log, &m, 1, 1, 57);
	KUNIT_EXPECT_EQ(test, log->src[2], mir(&m, 4, 0));
	/* 57 was given back, and is taken again. */
	KUNIT_EXPECT_EQ(test, log->dst[2], mir(&m, 57, 0));
	KUNIT_EXPECT_EQ(test, log->src[5], mir(&m, 7, 0));
	expect_case_block(test, b, &m, 0, 0, BUDDY_FREE);
	expect_case_block(test, b, &m, 1, 0, BUDDY_USED);
	expect_case_block(test, b, &m, 2, 0, BUDDY_USED);
	expect_case_block(test, b, &m, 4, 2, BUDDY_FREE);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
}

/*
 * A block without room above ends its region, not the run: [0, 8) holds
 * 0 (order 0) and 4 (order 2), and above it only 60 (order 2) is free.
 * Moving 0 splits 60 (0 -> 63), so 4 has no room: the run leaves [0, 8)
 * and goes on with [8, 16), whose order-0 blocks fill 62, 61 and 60; then
 * nothing above is free (-ENOMEM).
 */
static void buddy_test_compact_no_room(struct kunit *test)
{
	const struct compact_case *c = test->param_value;
	const struct mirror m = { c->down, 64 };
	static const unsigned long want_src[] = { 0, 8, 9, 10 };
	static const unsigned long want_dst[] = { 63, 62, 61, 60 };
	struct buddy *b = POOL(test, { 0, 64 });
	struct compact_log *log = alloc_array(test, 1, sizeof(*log));
	unsigned long pfn;
	unsigned int i;

	fill_movable(test, b, c->policy);
	for (pfn = 1; pfn < 8; pfn++)
		KUNIT_ASSERT_EQ(test, buddy_free(b, mir(&m, pfn, 0), 0), 0);
	KUNIT_ASSERT_EQ(test, buddy_alloc_hint(b, 2, true, &pfn), 0);
	KUNIT_ASSERT_EQ(test, pfn, mir(&m, 4, 2));
	KUNIT_ASSERT_EQ(test, buddy_set_tag(b, pfn, MOVABLE_TAG), 0);
	for (pfn = 60; pfn < 64; pfn++)
		KUNIT_ASSERT_EQ(test, buddy_free(b, mir(&m, pfn, 0), 0), 0);

	compact_run_dir(test, b, 3, c->down, false, ULONG_MAX, NULL, log);
	KUNIT_EXPECT_EQ(test, log->end, -ENOMEM);
	KUNIT_ASSERT_EQ(test, log->moves, 4U);
	for (i = 0; i < 4; i++)
		expect_move(test, log, &m, i, want_src[i], want_dst[i]);
	expect_case_block(test, b, &m, 0, 2, BUDDY_FREE);
	expect_case_block(test, b, &m, 4, 2, BUDDY_USED);
	expect_case_block(test, b, &m, 8, 1, BUDDY_FREE);
	expect_case_block(test, b, &m, 10, 0, BUDDY_FREE);
	expect_case_block(test, b, &m, 11, 0, BUDDY_USED);
	KUNIT_EXPECT_EQ(test, b->free_frames, 7UL);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
}

/*
 * Spans with holes: span A is 2..7, span B 16..23. The region [0, 4)
 * straddles A's start and is never a region; [4, 8) is, and its blocks
 * move up into span B. (Down, mirrored in [0, 24): B' is 0..7, A' 16..21,
 * [20, 24) straddles A''s end, and the blocks of [16, 20) move down.)
 */
static void buddy_test_compact_spans(struct kunit *test)
{
	const struct compact_case *c = test->param_value;
	const struct mirror m = { c->down, 24 };
	static const unsigned long want_dst[] = { 23, 21, 19, 17 };
	struct buddy *b = c->down ? POOL(test, { 0, 8 }, { 16, 6 }) :
				    POOL(test, { 2, 6 }, { 16, 8 });
	struct compact_log *log = alloc_array(test, 1, sizeof(*log));
	unsigned long pfn;
	unsigned int i;

	fill_movable(test, b, c->policy);
	for (pfn = 17; pfn < 24; pfn += 2)
		KUNIT_ASSERT_EQ(test, buddy_free(b, mir(&m, pfn, 0), 0), 0);
	compact_run_dir(test, b, 2, c->down, false, ULONG_MAX, NULL, log);
	KUNIT_ASSERT_EQ(test, log->moves, 4U);
	for (i = 0; i < 4; i++)
		expect_move(test, log, &m, i, 4 + i, want_dst[i]);
	/* Then nothing is free above [16, 20): the scanners met. */
	KUNIT_EXPECT_EQ(test, log->end, -ENOMEM);
	expect_case_block(test, b, &m, 4, 2, BUDDY_FREE);
	expect_case_block(test, b, &m, 2, 0, BUDDY_USED);
	expect_case_block(test, b, &m, 3, 0, BUDDY_USED);
	KUNIT_EXPECT_EQ(test, b->free_frames, 4UL);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);

	/* Nothing movable at all, nothing free above [4, 8): the scanners met. */
	for (pfn = 2; pfn < 4; pfn++)
		KUNIT_ASSERT_EQ(test, buddy_set_tag(b, mir(&m, pfn, 0), 0), 0);
	for (pfn = 16; pfn < 24; pfn++)
		KUNIT_ASSERT_EQ(test, buddy_set_tag(b, mir(&m, pfn, 0), 0), 0);
	compact_run_dir(test, b, 2, c->down, false, ULONG_MAX, NULL, log);
	KUNIT_EXPECT_EQ(test, log->moves, 0U);
	KUNIT_EXPECT_EQ(test, log->end, -ENOMEM);
	/* A span smaller than a region has none. */
	compact_run_dir(test, b, 4, c->down, false, ULONG_MAX, NULL, log);
	KUNIT_EXPECT_EQ(test, log->moves, 0U);
	KUNIT_EXPECT_EQ(test, log->end, -ENODATA);
}

/*
 * The target: 1024 frames of movable order-0 blocks, three of every four
 * freed, so that no order-4 block is free; a run at order 4 until it ends
 * frees at least 90% of the free/16 order-4 blocks there could be. Every
 * block is still where its owner thinks, once each.
 */
static void buddy_test_compact_target(struct kunit *test)
{
	const struct compact_case *c = test->param_value;
	const struct mirror m = { c->down, 1024 };
	struct buddy *b = POOL(test, { 0, 1024 });
	struct compact_log *log = alloc_array(test, 1, sizeof(*log));
	unsigned long *owner = alloc_array(test, 1024, sizeof(*owner));
	u8 *seen = alloc_array(test, 1024, sizeof(*seen));
	unsigned long pfn, want, got = 0, used = 0;
	struct buddy_block blk;

	fill_movable(test, b, c->policy);
	for (pfn = 0; pfn < 1024; pfn++) {
		owner[mir(&m, pfn, 0)] = pfn % 4 ? ULONG_MAX : pfn;
		if (pfn % 4)
			KUNIT_ASSERT_EQ(test, buddy_free(b, mir(&m, pfn, 0), 0), 0);
	}
	KUNIT_ASSERT_EQ(test, buddy_largest_free_order(b), 1);
	want = b->free_frames / 16;

	compact_run_dir(test, b, 4, c->down, false, ULONG_MAX, owner, log);
	KUNIT_EXPECT_NE(test, log->end, 0);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
	for (pfn = 0; pfn < 1024; pfn++) {
		if (owner[pfn] == ULONG_MAX)
			continue;
		used++;
		KUNIT_ASSERT_LT(test, owner[pfn], 1024UL);
		KUNIT_EXPECT_FALSE(test, seen[owner[pfn]]);
		seen[owner[pfn]] = 1;
		KUNIT_ASSERT_EQ(test, buddy_lookup(b, pfn, &blk), 0);
		KUNIT_EXPECT_TRUE_MSG(test, blk.pfn == pfn && blk.state == BUDDY_USED &&
				      !blk.order && blk.tag == MOVABLE_TAG, "pfn %lu", pfn);
	}
	KUNIT_EXPECT_EQ(test, used, 256UL);
	KUNIT_EXPECT_EQ(test, b->free_frames, 768UL);

	while (!buddy_alloc(b, 4, &pfn))
		got++;
	kunit_info(test, "%u moves; %lu of %lu order-4 blocks allocated\n",
		   log->moves, got, want);
	KUNIT_EXPECT_GE_MSG(test, got * 10, want * 9, "%lu of %lu order-4 blocks", got, want);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
}

/*
 * The callers' rule: free space only below the movable blocks, as grouped
 * placement leaves it. [0, 32) holds a fixed block at every fourth frame
 * and is free otherwise (no order-2 block free); [32, 64) is all movable.
 * A run up finds no region (the fixed blocks; no room above the movable
 * ones) and moves nothing; the run down that follows empties [60, 64),
 * from its top, into the lowest free frames.
 */
static void buddy_test_compact_up_then_down(struct kunit *test)
{
	const unsigned int policy = *(const unsigned int *)test->param_value;
	static const unsigned long want_dst[] = { 1, 5, 9, 13 };
	struct buddy *b = POOL(test, { 0, 64 });
	struct compact_log *log = alloc_array(test, 1, sizeof(*log));
	unsigned long pfn;
	unsigned int i;

	fill_movable(test, b, policy);
	for (pfn = 0; pfn < 32; pfn++) {
		if (pfn % 4)
			KUNIT_ASSERT_EQ(test, buddy_free(b, pfn, 0), 0);
		else
			KUNIT_ASSERT_EQ(test, buddy_set_tag(b, pfn, 0), 0);
	}
	KUNIT_ASSERT_EQ(test, buddy_largest_free_order(b), 1);

	compact_run_dir(test, b, 2, false, true, ULONG_MAX, NULL, log);
	KUNIT_EXPECT_EQ(test, log->end, -ENOMEM);	/* nothing free above the movable */
	KUNIT_EXPECT_EQ(test, log->moves, 0U);
	KUNIT_EXPECT_EQ(test, buddy_largest_free_order(b), 1);
	/*
	 * With a budget of one region it returns after each of [0, 4) ..
	 * [24, 28); at [28, 32) nothing is free above any more: the same end.
	 */
	log->budget = 1;
	compact_run_dir(test, b, 2, false, true, ULONG_MAX, NULL, log);
	KUNIT_EXPECT_EQ(test, log->again, 7U);
	KUNIT_EXPECT_EQ(test, log->end, -ENOMEM);
	KUNIT_EXPECT_EQ(test, log->moves, 0U);
	log->budget = 0;

	compact_run_dir(test, b, 2, true, true, ULONG_MAX, NULL, log);
	KUNIT_EXPECT_EQ(test, log->end, 0);
	KUNIT_ASSERT_EQ(test, log->moves, 4U);
	for (i = 0; i < 4; i++) {
		KUNIT_EXPECT_EQ(test, log->src[i], 63UL - i);
		KUNIT_EXPECT_EQ(test, log->dst[i], want_dst[i]);
	}
	expect_lookup(test, b, 60, 60, 2, BUDDY_FREE);
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
}

/* ---- buddy_check() must see corruption ---------------------------------------------- */

/* The test's own free list editing, to build consistent corruptions. */
static void lst_del(struct buddy *b, u32 idx)
{
	struct buddy_frame *f = &b->frames[idx];

	if (f->prev != BUDDY_NIL)
		b->frames[f->prev].next = f->next;
	else
		b->free_head[f->order] = f->next;
	if (f->next != BUDDY_NIL)
		b->frames[f->next].prev = f->prev;
	f->next = BUDDY_NIL;
	f->prev = BUDDY_NIL;
	f->state = BUDDY_TAIL;
	b->nr_free[f->order]--;
	b->free_frames -= 1UL << f->order;
}

static void lst_add(struct buddy *b, u32 idx, unsigned int order)
{
	struct buddy_frame *f = &b->frames[idx];

	f->next = b->free_head[order];
	f->prev = BUDDY_NIL;
	if (f->next != BUDDY_NIL)
		b->frames[f->next].prev = idx;
	b->free_head[order] = idx;
	f->order = order;
	f->state = BUDDY_FREE;
	b->nr_free[order]++;
	b->free_frames += 1UL << order;
}

/* The pool below is laid out so that a frame's index is known: no search. */
static u32 idx_of(unsigned long pfn)
{
	return pfn < 64 ? pfn : pfn < 70 ? pfn - 3 : pfn - 4;
}

enum corruption {
	C_CONTROL,		/* a consistent edit: must stay clean */
	C_UNMERGED,
	C_NR_FREE_UP,
	C_NR_FREE_DOWN,
	C_FREE_FRAMES,
	C_PREV_LINK,
	C_NEXT_CUT,
	C_NEXT_CYCLE,
	C_NEXT_RANGE,
	C_HEAD_USED,
	C_HEAD_STALE,
	C_OVERLAP_USED,
	C_OVERLAP_FREE,
	C_USED_IN_FREE,
	C_MISALIGNED,
	C_ORDER_TOO_BIG,
	C_CROSSES_SPAN,
	C_HEAD_LOST,
	C_BAD_STATE,
	C_SPAN_FIRST,
	C_SPAN_OVERLAP,
	C_NR_FRAMES,
	C_FREE_LISTED_WRONG_ORDER,
};

struct corruption_case {
	enum corruption c;
	const char *name;
};

static const struct corruption_case corruptions[] = {
	{ C_CONTROL, "consistent edit (control)" },
	{ C_UNMERGED, "free buddies left unmerged" },
	{ C_NR_FREE_UP, "nr_free one too high" },
	{ C_NR_FREE_DOWN, "nr_free one too low" },
	{ C_FREE_FRAMES, "free_frames wrong" },
	{ C_PREV_LINK, "prev link wrong" },
	{ C_NEXT_CUT, "next link cut short" },
	{ C_NEXT_CYCLE, "next link makes a cycle" },
	{ C_NEXT_RANGE, "next link out of range" },
	{ C_HEAD_USED, "free_head points at a used block" },
	{ C_HEAD_STALE, "free_head of an empty order set" },
	{ C_OVERLAP_USED, "used head inside a used block" },
	{ C_OVERLAP_FREE, "free head inside a free block" },
	{ C_USED_IN_FREE, "used head inside a free block" },
	{ C_MISALIGNED, "block order too large for its alignment" },
	{ C_ORDER_TOO_BIG, "order above VBUDDY_MAX_ORDER" },
	{ C_CROSSES_SPAN, "block runs past its span" },
	{ C_HEAD_LOST, "block head turned into a tail" },
	{ C_BAD_STATE, "unknown frame state" },
	{ C_SPAN_FIRST, "span first index wrong" },
	{ C_SPAN_OVERLAP, "spans overlap" },
	{ C_NR_FRAMES, "nr_frames wrong" },
	{ C_FREE_LISTED_WRONG_ORDER, "free block on another order's list" },
};

KUNIT_ARRAY_PARAM_DESC(buddy_corruptions, corruptions, name);

static void corrupt(struct buddy *b, enum corruption c)
{
	struct buddy_frame *fr = b->frames;
	u32 i;

	switch (c) {
	case C_CONTROL:
		lst_del(b, idx_of(32));
		lst_add(b, idx_of(32), 5);
		lst_del(b, idx_of(67));		/* reorders the order-0 list */
		lst_add(b, idx_of(67), 0);
		break;
	case C_UNMERGED:	/* 32 o5 becomes 32 o4 + 48 o4, lists consistent */
		lst_del(b, idx_of(32));
		lst_add(b, idx_of(32), 4);
		lst_add(b, idx_of(48), 4);
		break;
	case C_NR_FREE_UP:
		b->nr_free[3]++;
		break;
	case C_NR_FREE_DOWN:
		b->nr_free[0]--;
		break;
	case C_FREE_FRAMES:
		b->free_frames++;
		break;
	case C_PREV_LINK:
		i = fr[b->free_head[0]].next;
		fr[i].prev = i;
		break;
	case C_NEXT_CUT:
		fr[b->free_head[0]].next = BUDDY_NIL;
		break;
	case C_NEXT_CYCLE:
		i = fr[b->free_head[0]].next;
		fr[i].next = b->free_head[0];
		break;
	case C_NEXT_RANGE:
		i = fr[b->free_head[0]].next;
		fr[i].next = b->nr_frames + 5;
		break;
	case C_HEAD_USED:
		b->free_head[2] = idx_of(0);
		break;
	case C_HEAD_STALE:
		b->free_head[MAXO] = idx_of(16);
		break;
	case C_OVERLAP_USED:
		fr[idx_of(1)].state = BUDDY_USED;
		fr[idx_of(1)].order = 0;
		break;
	case C_OVERLAP_FREE:
		fr[idx_of(40)].state = BUDDY_FREE;
		fr[idx_of(40)].order = 0;
		break;
	case C_USED_IN_FREE:
		fr[idx_of(33)].state = BUDDY_USED;
		fr[idx_of(33)].order = 0;
		break;
	case C_MISALIGNED:	/* 4 o2 claims order 3: would be [4, 12) */
		lst_del(b, idx_of(4));
		lst_add(b, idx_of(4), 3);
		lst_del(b, idx_of(8));		/* keeps the tiling consistent */
		break;
	case C_ORDER_TOO_BIG:
		fr[idx_of(0)].order = MAXO + 1;
		break;
	case C_CROSSES_SPAN:	/* 68 o1 at the end of [67, 70) claims order 2 */
		lst_del(b, idx_of(68));
		lst_add(b, idx_of(68), 2);
		break;
	case C_HEAD_LOST:
		fr[idx_of(0)].state = BUDDY_TAIL;
		break;
	case C_BAD_STATE:
		fr[idx_of(0)].state = 7;
		break;
	case C_SPAN_FIRST:
		b->spans[1].first++;
		break;
	case C_SPAN_OVERLAP:
		b->spans[1].pfn = 60;
		break;
	case C_NR_FRAMES:
		b->nr_frames--;
		break;
	case C_FREE_LISTED_WRONG_ORDER:	/* 71 o0 moved to the order-1 list */
		lst_del(b, idx_of(71));
		lst_add(b, idx_of(71), 1);
		fr[idx_of(71)].order = 0;
		b->nr_free[1]--;	/* counters as if it were still order 0 */
		b->nr_free[0]++;
		b->free_frames--;
		break;
	}
}

/*
 * A copy of a pool, corrupted one way: buddy_check() must say -EUCLEAN
 * (and print why) for all but the control. The pool: [0, 64) with an
 * order-2 block used at 0 (free: 4 o2, 8 o3, 16 o4, 32 o5), [67, 70)
 * (free: 67 o0, 68 o1) and [71, 72) (free: 71 o0), so that the order-0
 * list holds two blocks.
 */
static void buddy_test_check_detects(struct kunit *test)
{
	const struct corruption_case *c = test->param_value;
	struct buddy *b = POOL(test, { 0, 64 }, { 67, 3 }, { 71, 1 }), *copy;
	unsigned int steps;
	struct snap s;

	KUNIT_ASSERT_EQ(test, alloc_ok(test, b, 2), 0UL);
	KUNIT_ASSERT_EQ(test, b->nr_free[0], 2UL);
	KUNIT_ASSERT_EQ(test, buddy_check(b), 0);
	copy = snap_clone(test, &s, b);
	corrupt(copy, c->c);
	KUNIT_EXPECT_EQ(test, buddy_check(copy), c->c == C_CONTROL ? 0 : -EUCLEAN);
	/* The same verdict in steps of one span or one list entry. */
	KUNIT_EXPECT_EQ(test, check_in_steps(copy, 1, &steps), c->c == C_CONTROL ? 0 : -EUCLEAN);
	/* The original was never touched. */
	KUNIT_EXPECT_EQ(test, buddy_check(b), 0);
}

static void buddy_test_strerror(struct kunit *test)
{
	static const int errs[] = {
		0, -ERANGE, -ENOENT, -EALREADY, -EFAULT, -EINVAL, -ENOMEM,
		-ENOSPC, -EUCLEAN, -EPERM,
	};
	const char *unknown = buddy_strerror(-12345);
	unsigned int i, j;

	KUNIT_ASSERT_NOT_NULL(test, unknown);
	for (i = 0; i < ARRAY_SIZE(errs); i++) {
		const char *s = buddy_strerror(errs[i]);

		KUNIT_ASSERT_NOT_NULL(test, s);
		KUNIT_EXPECT_NE_MSG(test, s[0], '\0', "error %d", errs[i]);
		KUNIT_EXPECT_STRNEQ_MSG(test, s, unknown, "error %d", errs[i]);
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_STRNEQ(test, s, buddy_strerror(errs[j]));
	}
}

/*
 * buddy_index() by regions (buddy_set_regions()) against a linear search
 * of the spans, for every frame number from before the first span to past
 * the last: regions of 16 frames, one holding many small spans with gaps,
 * one empty, spans straddling two and three regions, one region whole.
 */
static void buddy_test_regions(struct kunit *test)
{
	struct buddy *b = POOL(test, { 33, 1 }, { 35, 1 }, { 36, 4 }, { 41, 1 }, { 44, 2 },
			       { 47, 1 }, { 60, 10 }, { 96, 16 }, { 130, 40 }, { 175, 1 });
	unsigned long n = buddy_regions_needed(b, 4), pfn;
	u32 *regions = kunit_kcalloc(test, n, sizeof(*regions), GFP_KERNEL);
	u32 idx, i;
	int ret, want;

	KUNIT_ASSERT_NOT_NULL(test, regions);
	KUNIT_EXPECT_EQ(test, n, 175UL / 16 - 33 / 16 + 1);
	buddy_set_regions(b, 4, regions, n);
	KUNIT_ASSERT_PTR_EQ(test, b->regions, regions);
	for (pfn = 0; pfn < 200; pfn++) {
		want = -ENOENT;
		for (i = 0; i < b->nr_spans; i++)
			if (pfn >= b->spans[i].pfn && pfn - b->spans[i].pfn < b->spans[i].nr)
				want = b->spans[i].first + (pfn - b->spans[i].pfn);
		ret = buddy_index(b, pfn, &idx);
		KUNIT_ASSERT_EQ_MSG(test, ret ? ret : (int)idx, want, "pfn %lu", pfn);
	}
	/* A table of the wrong size is ignored; a span added later drops it. */
	b = new_buddy(test, 8, 2);
	KUNIT_ASSERT_EQ(test, buddy_add_span(b, 1, 4), 0);
	buddy_set_regions(b, 4, regions, 2);
	KUNIT_EXPECT_NULL(test, b->regions);
	buddy_set_regions(b, 4, regions, 1);
	KUNIT_EXPECT_PTR_EQ(test, b->regions, regions);
	KUNIT_ASSERT_EQ(test, buddy_add_span(b, 20, 4), 0);
	KUNIT_EXPECT_NULL(test, b->regions);
	KUNIT_EXPECT_EQ(test, buddy_index(b, 21, &idx), 0);
	KUNIT_EXPECT_EQ(test, idx, 5U);
}

static struct kunit_case buddy_test_cases[] = {
	KUNIT_CASE(buddy_test_init_empty),
	KUNIT_CASE(buddy_test_carve_pfn3_1000),
	KUNIT_CASE_PARAM(buddy_test_carve_odd_span, carve_cases_gen_params),
	KUNIT_CASE(buddy_test_carve_many_spans),
	KUNIT_CASE(buddy_test_regions),
	KUNIT_CASE_PARAM(buddy_test_every_order, buddy_orders_gen_params),
	KUNIT_CASE(buddy_test_alloc_free_every_order),
	KUNIT_CASE(buddy_test_alloc_bad_order),
	KUNIT_CASE(buddy_test_fill_each_order),
	KUNIT_CASE(buddy_test_split_merge),
	KUNIT_CASE(buddy_test_merge_any_order),
	KUNIT_CASE(buddy_test_no_merge_across_span_edge),
	KUNIT_CASE(buddy_test_holes_between_spans),
	KUNIT_CASE(buddy_test_exhaustion_and_recovery),
	KUNIT_CASE(buddy_test_exhaust_recover_aligned),
	KUNIT_CASE_PARAM(buddy_test_bad_free, buddy_bad_frees_gen_params),
	KUNIT_CASE(buddy_test_bad_free_erange),
	KUNIT_CASE(buddy_test_bad_free_enoent),
	KUNIT_CASE(buddy_test_bad_free_double),
	KUNIT_CASE(buddy_test_bad_free_double_merged),
	KUNIT_CASE(buddy_test_bad_free_interior),
	KUNIT_CASE(buddy_test_bad_free_wrong_order),
	KUNIT_CASE(buddy_test_free_tagged),
	KUNIT_CASE(buddy_test_add_span_einval),
	KUNIT_CASE(buddy_test_add_span_enospc),
	KUNIT_CASE(buddy_test_add_span_top_of_range),
	KUNIT_CASE(buddy_test_gather_smallest_first),
	KUNIT_CASE(buddy_test_gather_splits_smallest),
	KUNIT_CASE(buddy_test_gather_errors),
	KUNIT_CASE(buddy_test_gather_all_coalesce),
	KUNIT_CASE_PARAM(buddy_test_policy_picks, buddy_policies_gen_params),
	KUNIT_CASE_PARAM(buddy_test_policy_gather, buddy_policies_gen_params),
	KUNIT_CASE_PARAM(buddy_test_policy_random, buddy_policies_gen_params),
	KUNIT_CASE(buddy_test_policy_errors),
	KUNIT_CASE(buddy_test_lookup_and_tag),
	KUNIT_CASE(buddy_test_free_check_and_index),
	KUNIT_CASE(buddy_test_largest_free_order),
	KUNIT_CASE_PARAM(buddy_test_compact_region, buddy_compact_gen_params),
	KUNIT_CASE_PARAM(buddy_test_compact_passes_over, buddy_compact_gen_params),
	KUNIT_CASE_PARAM(buddy_test_compact_skip_pinned, buddy_compact_gen_params),
	KUNIT_CASE_PARAM(buddy_test_compact_no_room, buddy_compact_gen_params),
	KUNIT_CASE_PARAM(buddy_test_compact_spans, buddy_compact_gen_params),
	KUNIT_CASE_PARAM(buddy_test_compact_target, buddy_compact_gen_params),
	KUNIT_CASE_PARAM(buddy_test_compact_up_then_down, buddy_policies_gen_params),
	KUNIT_CASE_PARAM(buddy_test_check_detects, buddy_corruptions_gen_params),
	KUNIT_CASE(buddy_test_check_steps),
	KUNIT_CASE(buddy_test_strerror),
	{}
};

static struct kunit_suite buddy_test_suite = {
	.name = "vbuddy_buddy",
	.test_cases = buddy_test_cases,
};

kunit_test_suite(buddy_test_suite);
