// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_buddy: a libFuzzer target for the vbuddy core (module/buddy.c).
 *
 * An input is a byte stream, decoded into a pool layout and then one
 * operation after another until the bytes run out (a missing byte reads
 * as 0, so every input is valid):
 *
 *   header   2 bytes: number of spans (1..8), where the pfns start (0, low,
 *            above 4G, or so that the last span ends at or just below
 *            ULONG_MAX), spare span slots and spare frame storage for
 *            later buddy_add_span() calls
 *   spans    3 bytes each: the gap before it (adjacent, small, aligned on
 *            2^VBUDDY_MAX_ORDER, large) and its size (1..16, ..300, ..3000,
 *            multiples of 2^VBUDDY_MAX_ORDER with or without an odd tail);
 *            at most FZ_MAX_FRAMES frames in all
 *   ops      1 byte each, low 5 bits the operation, high 3 bits a
 *            parameter, then the operation's own bytes
 *
 * The operations: alloc by order (also above VBUDDY_MAX_ORDER), alloc by
 * size in bytes (size -> order as get_order() with 4 KiB pages), free of a
 * live block (plain or tagged), buddy_gather() of N frames (also 0 and more
 * than free), freeing a gathered batch page by page, bad frees (foreign
 * pfn, interior frame, wrong order, double free, order above the maximum,
 * wrong tag), lookups, tags, buddy_add_span() (valid and each invalid
 * kind), buddy_largest_free_order(), and freeing everything.
 *
 * A shadow model keeps an owner per frame (free, or the live block that
 * holds it) and predicts every answer: allocations naturally aligned,
 * inside one span, over free frames only, the first block of the smallest
 * non-empty order split as documented, -ENOMEM only when no free aligned
 * run exists; the free lists' counters move exactly as a split, a merge
 * or a gather must move them; each bad call returns the documented error
 * and changes no byte of the allocator, its frames or its spans. After
 * every step buddy_check() must pass and the free counts must match the
 * model; every FZ_VERIFY_EVERY operations and at the end every block
 * buddy_lookup() reports is compared with the model. At the end all is
 * freed and every span must be back in its maximal blocks. Any mismatch
 * prints what happened and abort()s.
 *
 * The Makefile builds this file twice: fuzz_buddy with clang and
 * -fsanitize=fuzzer,address,undefined (make fuzz), and fuzz_buddy_replay
 * with gcc, ASan and UBSan and -DFUZZ_REPLAY_MAIN, which feeds each file
 * (or each file of each directory) named on its command line to the target
 * once: the corpus replay of make check, and a way to rerun a crash
 * reproducer without clang.
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buddy.h"

#define MAXO		VBUDDY_MAX_ORDER
#define FZ_INIT_SPANS	8	/* at most, at creation */
#define FZ_MAX_SPANS	(FZ_INIT_SPANS + 3)	/* with the spare slots */
#define FZ_MAX_FRAMES	2048U	/* at creation: bounds each buddy_check() */
#define FZ_MAX_RESERVE	1024U	/* spare frame storage for buddy_add_span() */
#define FZ_MAX_STORE	(FZ_MAX_FRAMES + FZ_MAX_RESERVE)
#define FZ_MAX_OPS	4096U
#define FZ_VERIFY_EVERY	64U
#define FZ_RING		16U	/* recently freed blocks, for double frees */

struct fz_span {
	unsigned long pfn;
	u32 nr;
	u32 first;
};

struct fz_live {
	unsigned long pfn;
	u32 batch;		/* 0, or the buddy_gather() call it came from */
	u8 order;
	u8 tag;
};

struct fz {
	const u8 *data;
	size_t size, pos;

	struct buddy b;
	struct buddy_frame *frames;
	struct buddy_span *spans;
	u32 max_frames, max_spans;

	/* the model */
	struct fz_span sp[FZ_MAX_SPANS];
	u32 nr_spans, nr_frames;
	u32 *owner;		/* per frame index: 0 free, else live slot + 1 */
	struct fz_live *live;
	u32 nr_live;
	unsigned long model_free;
	u32 batches;
	struct {
		unsigned long pfn;
		unsigned int order;
	} ring[FZ_RING];
	unsigned int ring_n;

	/* a byte copy of the allocator, for the calls that must change nothing */
	struct buddy snap_b;
	struct buddy_frame *snap_frames;
	struct buddy_span *snap_spans;

	unsigned int op;	/* for messages */
	const char *what;
};

static struct fz fz_state;

/*
 * The model's arrays and the snapshot live here, at their largest, reused
 * by every input: fresh ones each time would keep ASan's quarantine
 * churning. The allocator's own storage (frames, spans) and buddy_gather()'s
 * output are allocated per call at their exact size, so that ASan sees any
 * access past them.
 */
static u32 fz_owner[FZ_MAX_STORE];
static struct fz_live fz_live_store[FZ_MAX_STORE];
static struct buddy_frame fz_snap_frames[FZ_MAX_STORE];
static struct buddy_span fz_snap_spans[FZ_MAX_SPANS];
static unsigned long fz_batch_pfns[FZ_MAX_STORE];

/*
 * The sanitizer runtimes read their defaults from these hooks. A small
 * quarantine: the only memory freed during a run is the harness's own, and
 * a large one costs the fuzzer a third of its speed in page faults.
 */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}

const char *__ubsan_default_options(void)
{
	return "print_stacktrace=1";
}

/* The input being replayed (fuzz_buddy_replay only), for messages. */
static const char *fz_input_name;

/* fuzz_buddy_replay -v -v: print each operation and its outcome. */
static int fz_verbose;

#define fz_log(fmt, ...)						\
	do {								\
		if (fz_verbose > 1)					\
			printf("#   op %u %s: " fmt "\n", fz_state.op,	\
			       fz_state.what ? fz_state.what : "setup",	\
			       ##__VA_ARGS__);				\
	} while (0)

static void __attribute__((noreturn, format(printf, 1, 2)))
fz_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_buddy: FAIL at op %u (%s)%s%s: ", fz_state.op,
		fz_state.what ? fz_state.what : "setup",
		fz_input_name ? ", input " : "", fz_input_name ? fz_input_name : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

#define FZ_ASSERT(cond, fmt, ...)					\
	do {								\
		if (!(cond))						\
			fz_fail("%s: " fmt, #cond, ##__VA_ARGS__);	\
	} while (0)

/* "-EINVAL" and the like, for messages: fz_err() speaks of frees. */
static const char *fz_err(int err)
{
	static char buf[16];

	switch (err) {
	case 0:
		return "0";
	case -EPERM:
		return "-EPERM";
	case -ENOENT:
		return "-ENOENT";
	case -ENOMEM:
		return "-ENOMEM";
	case -EFAULT:
		return "-EFAULT";
	case -EINVAL:
		return "-EINVAL";
	case -ENOSPC:
		return "-ENOSPC";
	case -ERANGE:
		return "-ERANGE";
	case -EALREADY:
		return "-EALREADY";
	case -EUCLEAN:
		return "-EUCLEAN";
	default:
		snprintf(buf, sizeof(buf), "%d", err);
		return buf;
	}
}

/* ---- input -------------------------------------------------------------- */

static bool fz_more(const struct fz *f)
{
	return f->pos < f->size;
}

static u8 fz_u8(struct fz *f)
{
	return f->pos < f->size ? f->data[f->pos++] : 0;
}

static u32 fz_u16(struct fz *f)
{
	u32 lo = fz_u8(f);

	return lo | (u32)fz_u8(f) << 8;
}

static u64 fz_u64(struct fz *f)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < 8; i++)
		v |= (u64)fz_u8(f) << (8 * i);
	return v;
}

/* ---- the model ---------------------------------------------------------- */

static const struct fz_span *m_span(const struct fz *f, unsigned long pfn)
{
	u32 i;

	for (i = 0; i < f->nr_spans; i++)
		if (pfn >= f->sp[i].pfn && pfn - f->sp[i].pfn < f->sp[i].nr)
			return &f->sp[i];
	return NULL;
}

static u32 m_index(const struct fz_span *s, unsigned long pfn)
{
	return s->first + (u32)(pfn - s->pfn);
}

static unsigned long m_pfn_of_index(const struct fz *f, u32 idx)
{
	u32 i;

	for (i = 0; i < f->nr_spans; i++)
		if (idx >= f->sp[i].first && idx - f->sp[i].first < f->sp[i].nr)
			return f->sp[i].pfn + (idx - f->sp[i].first);
	fz_fail("frame index %u is in no span", idx);
}

/* Is the order-@order block at @pfn aligned and inside span @s? */
static bool m_placed(const struct fz_span *s, unsigned long pfn, unsigned int order)
{
	return order <= MAXO && !(pfn & ((1UL << order) - 1)) && pfn >= s->pfn &&
	       pfn - s->pfn + (1UL << order) <= s->nr;
}

static void live_add(struct fz *f, unsigned long pfn, unsigned int order, u32 batch)
{
	const struct fz_span *s = m_span(f, pfn);
	u32 n = 1U << order, slot = f->nr_live, idx, i;

	FZ_ASSERT(s && m_placed(s, pfn, order),
		  "block %lu order %u is not aligned inside one span", pfn, order);
	idx = m_index(s, pfn);
	for (i = 0; i < n; i++) {
		u32 o = f->owner[idx + i];

		FZ_ASSERT(!o, "block %lu order %u overlaps live block %lu order %u",
			  pfn, order, f->live[o - 1].pfn, f->live[o - 1].order);
		f->owner[idx + i] = slot + 1;
	}
	f->live[slot].pfn = pfn;
	f->live[slot].order = order;
	f->live[slot].tag = 0;
	f->live[slot].batch = batch;
	f->nr_live++;
	f->model_free -= n;
}

static void live_set_owner(struct fz *f, u32 slot, u32 val)
{
	const struct fz_live *l = &f->live[slot];
	u32 idx = m_index(m_span(f, l->pfn), l->pfn), i;

	for (i = 0; i < 1U << l->order; i++)
		f->owner[idx + i] = val;
}

static void live_del(struct fz *f, u32 slot)
{
	struct fz_live *l = &f->live[slot];
	u32 last = f->nr_live - 1;

	live_set_owner(f, slot, 0);
	f->model_free += 1UL << l->order;
	f->ring[f->ring_n % FZ_RING].pfn = l->pfn;
	f->ring[f->ring_n % FZ_RING].order = l->order;
	f->ring_n++;
	if (slot != last) {
		f->live[slot] = f->live[last];
		live_set_owner(f, slot, slot + 1);
	}
	f->nr_live--;
}

/* What buddy_free()/buddy_free_tagged() (@tag >= 0) must return. */
static int m_free_err(const struct fz *f, unsigned long pfn, unsigned int order,
		      int tag)
{
	const struct fz_span *s;
	const struct fz_live *l;
	u32 o;

	if (order > MAXO)
		return -ERANGE;
	s = m_span(f, pfn);
	if (!s)
		return -ENOENT;
	o = f->owner[m_index(s, pfn)];
	if (!o)
		return -EALREADY;
	l = &f->live[o - 1];
	if (l->pfn != pfn)
		return -EFAULT;
	if (l->order != order)
		return -EINVAL;
	if (tag >= 0 && l->tag != tag)
		return -EPERM;
	return 0;
}

/* What buddy_add_span() must return. */
static int m_add_err(const struct fz *f, unsigned long pfn, u32 nr)
{
	if (!nr || pfn + nr - 1 < pfn)
		return -EINVAL;
	if (f->nr_spans) {
		const struct fz_span *last = &f->sp[f->nr_spans - 1];

		if (pfn <= last->pfn + (last->nr - 1))
			return -EINVAL;
	}
	if (f->nr_spans == f->max_spans || nr > f->max_frames - f->nr_frames)
		return -ENOSPC;
	return 0;
}

/* Does the model hold a free, aligned run of 2^order frames in one span? */
static bool m_has_free_run(const struct fz *f, unsigned int order)
{
	u32 i, k;

	for (i = 0; i < f->nr_spans; i++) {
		const struct fz_span *s = &f->sp[i];
		unsigned long run = 0;

		for (k = 0; k < s->nr; k++) {
			if (f->owner[s->first + k]) {
				run = 0;
				continue;
			}
			if (!run && ((s->pfn + k) & ((1UL << order) - 1)))
				continue;
			if (++run == 1UL << order)
				return true;
		}
	}
	return false;
}

/* ---- checks ------------------------------------------------------------- */

static void snap_take(struct fz *f)
{
	f->snap_b = f->b;
	memcpy(f->snap_frames, f->frames, (size_t)f->max_frames * sizeof(*f->frames));
	memcpy(f->snap_spans, f->spans, (size_t)f->max_spans * sizeof(*f->spans));
}

/* Nothing changed since snap_take(): struct buddy field by field, the storage byte by byte. */
static void snap_expect_same(const struct fz *f)
{
	const struct buddy *a = &f->snap_b, *b = &f->b;
	unsigned int o;
	u32 i;

	FZ_ASSERT(a->frames == b->frames && a->spans == b->spans &&
		  a->max_frames == b->max_frames && a->max_spans == b->max_spans &&
		  a->nr_frames == b->nr_frames && a->nr_spans == b->nr_spans &&
		  a->free_frames == b->free_frames,
		  "a refused call changed struct buddy (free_frames %lu -> %lu)",
		  a->free_frames, b->free_frames);
	for (o = 0; o <= MAXO; o++)
		FZ_ASSERT(a->free_head[o] == b->free_head[o] &&
			  a->nr_free[o] == b->nr_free[o],
			  "a refused call changed order %u: head %u -> %u, nr_free %lu -> %lu",
			  o, a->free_head[o], b->free_head[o], a->nr_free[o],
			  b->nr_free[o]);
	if (memcmp(f->snap_frames, f->frames, (size_t)f->max_frames * sizeof(*f->frames)))
		for (i = 0; i < f->max_frames; i++)
			FZ_ASSERT(!memcmp(&f->snap_frames[i], &f->frames[i], sizeof(f->frames[i])),
				  "a refused call changed frame index %u", i);
	FZ_ASSERT(!memcmp(f->snap_spans, f->spans, (size_t)f->max_spans * sizeof(*f->spans)),
		  "a refused call changed the span storage");
}

/* After every step. */
static void step_check(const struct fz *f)
{
	int ret = buddy_check(&f->b);

	FZ_ASSERT(!ret, "buddy_check: %s", fz_err(ret));
	FZ_ASSERT(f->b.free_frames == f->model_free,
		  "free frames %lu, model %lu", f->b.free_frames, f->model_free);
	FZ_ASSERT(f->b.nr_frames == f->nr_frames && f->b.nr_spans == f->nr_spans,
		  "%u frames in %u spans, model %u in %u", f->b.nr_frames,
		  f->b.nr_spans, f->nr_frames, f->nr_spans);
}

/* The nr_free[] counters equal @want. */
static void expect_counts(const struct fz *f, const unsigned long *want,
			  const char *why)
{
	unsigned int o;

	for (o = 0; o <= MAXO; o++)
		FZ_ASSERT(f->b.nr_free[o] == want[o], "%s: nr_free[%u] %lu, want %lu",
			  why, o, f->b.nr_free[o], want[o]);
}

static int largest_order(const unsigned long *nr_free)
{
	int o;

	for (o = MAXO; o >= 0; o--)
		if (nr_free[o])
			return o;
	return -1;
}

/* Every block buddy_lookup() reports agrees with the model, and the counters too. */
static void verify(const struct fz *f)
{
	unsigned long nr_free[VBUDDY_NR_ORDERS] = { 0 }, free_frames = 0;
	u32 i, k;

	step_check(f);
	for (i = 0; i < f->nr_spans; i++) {
		const struct fz_span *s = &f->sp[i];
		u32 off = 0;

		while (off < s->nr) {
			unsigned long pfn = s->pfn + off;
			struct buddy_block blk;
			u32 want, n;
			int ret = buddy_lookup(&f->b, pfn, &blk);

			FZ_ASSERT(!ret && blk.pfn == pfn && m_placed(s, pfn, blk.order) &&
				  blk.index == s->first + off,
				  "lookup(%lu): %s, block %lu order %u index %u", pfn,
				  fz_err(ret), blk.pfn, blk.order, blk.index);
			n = 1U << blk.order;
			want = f->owner[s->first + off];
			if (blk.state == BUDDY_FREE) {
				FZ_ASSERT(!want, "block %lu order %u is free, the model has it live",
					  pfn, blk.order);
				nr_free[blk.order]++;
				free_frames += n;
			} else {
				const struct fz_live *l = want ? &f->live[want - 1] : NULL;

				FZ_ASSERT(blk.state == BUDDY_USED && l && l->pfn == pfn &&
					  l->order == blk.order && l->tag == blk.tag,
					  "block %lu order %u state %d tag %u: model has %s %lu order %u tag %u",
					  pfn, blk.order, blk.state, blk.tag,
					  l ? "live" : "it free", l ? l->pfn : 0,
					  l ? l->order : 0, l ? l->tag : 0);
			}
			for (k = 0; k < n; k++)
				FZ_ASSERT(f->owner[s->first + off + k] == want,
					  "block %lu order %u: model frame %lu differs",
					  pfn, blk.order, pfn + k);
			off += n;
		}
	}
	expect_counts(f, nr_free, "blocks found");
	FZ_ASSERT(free_frames == f->model_free, "%lu frames in free blocks, model %lu",
		  free_frames, f->model_free);
	FZ_ASSERT(buddy_largest_free_order(&f->b) == largest_order(nr_free),
		  "largest free order %d, blocks say %d",
		  buddy_largest_free_order(&f->b), largest_order(nr_free));
}

/* Span @s is free and cut into its maximal blocks; counts them into @nr_free. */
static void expect_span_carved(const struct fz *f, const struct fz_span *s,
			       unsigned long *nr_free)
{
	unsigned long pfn = s->pfn, left = s->nr;

	while (left) {
		unsigned int o = MAXO;
		struct buddy_block blk;
		int ret;

		while (o && ((pfn & ((1UL << o) - 1)) || (1UL << o) > left))
			o--;
		ret = buddy_lookup(&f->b, pfn, &blk);
		FZ_ASSERT(!ret && blk.pfn == pfn && blk.order == o && blk.state == BUDDY_FREE,
			  "span %lu+%u: at %lu want a free order %u block, lookup %s: %lu order %u state %d",
			  s->pfn, s->nr, pfn, o, fz_err(ret), blk.pfn,
			  blk.order, blk.state);
		nr_free[o]++;
		pfn += 1UL << o;	/* may wrap past ULONG_MAX at the very end */
		left -= 1UL << o;
	}
}

static void expect_recovered(const struct fz *f)
{
	unsigned long nr_free[VBUDDY_NR_ORDERS] = { 0 };
	u32 i;

	step_check(f);
	FZ_ASSERT(!f->nr_live && f->b.free_frames == f->nr_frames,
		  "%u live, %lu of %u frames free", f->nr_live, f->b.free_frames,
		  f->nr_frames);
	for (i = 0; i < f->nr_spans; i++)
		expect_span_carved(f, &f->sp[i], nr_free);
	expect_counts(f, nr_free, "recovered");
}

static void expect_lookup_used(const struct fz *f, const struct fz_live *l)
{
	struct buddy_block blk;
	int ret = buddy_lookup(&f->b, l->pfn, &blk);

	FZ_ASSERT(!ret && blk.pfn == l->pfn && blk.order == l->order &&
		  blk.state == BUDDY_USED && blk.tag == l->tag,
		  "lookup(%lu) after alloc: %s, block %lu order %u state %d tag %u, want order %u tag %u",
		  l->pfn, fz_err(ret), blk.pfn, blk.order, blk.state,
		  blk.tag, l->order, l->tag);
}

/* ---- operations --------------------------------------------------------- */

static void op_alloc(struct fz *f, unsigned int order)
{
	unsigned long before[VBUDDY_NR_ORDERS], want[VBUDDY_NR_ORDERS];
	unsigned long pfn = 0, head_pfn;
	unsigned int o, k;
	int ret;

	memcpy(before, f->b.nr_free, sizeof(before));
	for (o = order; o <= MAXO; o++)
		if (before[o])
			break;
	if (order > MAXO || o > MAXO) {
		int err = order > MAXO ? -ERANGE : -ENOMEM;

		snap_take(f);
		ret = buddy_alloc(&f->b, order, &pfn);
		fz_log("order %u: %d", order, ret);
		FZ_ASSERT(ret == err, "alloc order %u: %s, want %s", order,
			  fz_err(ret), fz_err(err));
		snap_expect_same(f);
		if (err == -ENOMEM)
			FZ_ASSERT(!m_has_free_run(f, order),
				  "alloc order %u: -ENOMEM, but the model has a free aligned run",
				  order);
		return;
	}

	/* The first block of the smallest non-empty order, split from the top. */
	head_pfn = m_pfn_of_index(f, f->b.free_head[o]);
	ret = buddy_alloc(&f->b, order, &pfn);
	fz_log("order %u: pfn %lu (split from order %u)", order, pfn, o);
	FZ_ASSERT(!ret, "alloc order %u with order %u free: %s", order, o,
		  fz_err(ret));
	FZ_ASSERT(pfn == head_pfn, "alloc order %u: got %lu, the first order-%u block is at %lu",
		  order, pfn, o, head_pfn);
	for (k = 0; k <= MAXO; k++)
		want[k] = before[k] - (k == o) + (k >= order && k < o);
	expect_counts(f, want, "alloc split");
	live_add(f, pfn, order, 0);
	expect_lookup_used(f, &f->live[f->nr_live - 1]);
}

/* get_order() with 4 KiB pages. */
static unsigned int size_to_order(unsigned long size)
{
	unsigned long pages = (size + 4095) >> 12;

	return pages <= 1 ? 0 : ilog2(pages - 1) + 1;
}

static void op_free_slot(struct fz *f, u32 slot, bool tagged)
{
	unsigned long before[VBUDDY_NR_ORDERS], want[VBUDDY_NR_ORDERS];
	struct fz_live l = f->live[slot];
	const struct fz_span *s = m_span(f, l.pfn);
	struct buddy_block blk;
	unsigned int k;
	int ret;

	memcpy(before, f->b.nr_free, sizeof(before));
	ret = tagged ? buddy_free_tagged(&f->b, l.pfn, l.order, l.tag) :
		       buddy_free(&f->b, l.pfn, l.order);
	FZ_ASSERT(!ret, "free%s %lu order %u tag %u: %s", tagged ? "_tagged" : "",
		  l.pfn, l.order, l.tag, fz_err(ret));
	live_del(f, slot);

	/* It merged up to some order m: one buddy taken off each order below. */
	ret = buddy_lookup(&f->b, l.pfn, &blk);
	FZ_ASSERT(!ret && blk.state == BUDDY_FREE && blk.order >= l.order &&
		  m_placed(s, blk.pfn, blk.order) &&
		  blk.pfn == (l.pfn & ~((1UL << blk.order) - 1)),
		  "after free %lu order %u: lookup %s, block %lu order %u state %d",
		  l.pfn, l.order, fz_err(ret), blk.pfn, blk.order, blk.state);
	fz_log("pfn %lu order %u%s: merged into %lu order %u", l.pfn, l.order,
	       tagged ? " (tagged)" : "", blk.pfn, blk.order);
	for (k = 0; k < 1U << blk.order; k++)
		FZ_ASSERT(!f->owner[m_index(s, blk.pfn) + k],
			  "free %lu order %u merged into %lu order %u over a live frame",
			  l.pfn, l.order, blk.pfn, blk.order);
	for (k = 0; k <= MAXO; k++)
		want[k] = before[k] - (k >= l.order && k < blk.order) + (k == blk.order);
	expect_counts(f, want, "free merge");
}

/* Any free: the model says what it must return; a refused one changes nothing. */
static void op_free_any(struct fz *f, unsigned long pfn, unsigned int order, int tag)
{
	int err = m_free_err(f, pfn, order, tag), ret;

	if (!err) {
		const struct fz_span *s = m_span(f, pfn);

		op_free_slot(f, f->owner[m_index(s, pfn)] - 1, tag >= 0);
		return;
	}
	snap_take(f);
	ret = tag < 0 ? buddy_free(&f->b, pfn, order) :
			buddy_free_tagged(&f->b, pfn, order, tag);
	fz_log("pfn %lu order %u tag %d: %s (%s)", pfn, order, tag, fz_err(ret),
	       buddy_strerror(ret));
	FZ_ASSERT(ret == err, "free%s(%lu, order %u, tag %d): %s, want %s",
		  tag < 0 ? "" : "_tagged", pfn, order, tag, fz_err(ret),
		  fz_err(err));
	FZ_ASSERT(strcmp(buddy_strerror(ret), "unknown error"),
		  "buddy_strerror(%d) does not know a documented error", ret);
	snap_expect_same(f);
}

static void op_gather(struct fz *f, unsigned long n)
{
	unsigned long before[VBUDDY_NR_ORDERS], want[VBUDDY_NR_ORDERS];
	unsigned long *pfns, left, i, nfree = f->b.free_frames;
	u32 batch;
	int ret;

	/* Exactly @n entries, so that ASan sees a write past them. */
	pfns = malloc((n ? n : 1) * sizeof(*pfns));
	FZ_ASSERT(pfns, "out of memory");
	if (!n || n > nfree) {
		int err = n ? -ENOMEM : -EINVAL;

		snap_take(f);
		ret = buddy_gather(&f->b, n, pfns);
		fz_log("%lu of %lu free: %d", n, nfree, ret);
		FZ_ASSERT(ret == err, "gather %lu of %lu free: %s, want %s", n, nfree,
			  fz_err(ret), fz_err(err));
		snap_expect_same(f);
		free(pfns);
		return;
	}

	/*
	 * The documented policy on the counters alone: whole blocks of the
	 * smallest non-empty order while they fit, else a split of it down
	 * to the largest power of two still wanted.
	 */
	memcpy(before, f->b.nr_free, sizeof(before));
	memcpy(want, before, sizeof(want));
	for (left = n; left; ) {
		unsigned int o = 0, w = ilog2(left), k;

		while (o < MAXO && !want[o])
			o++;
		FZ_ASSERT(want[o], "gather %lu: counters hold too few free frames", n);
		want[o]--;
		if (o > w) {
			for (k = w; k < o; k++)
				want[k]++;
			o = w;
		}
		left -= 1UL << o;
	}

	ret = buddy_gather(&f->b, n, pfns);
	FZ_ASSERT(!ret, "gather %lu of %lu free: %s", n, nfree, fz_err(ret));
	fz_log("%lu of %lu free: first pfn %lu", n, nfree, pfns[0]);
	expect_counts(f, want, "gather");
	FZ_ASSERT(f->b.free_frames == nfree - n, "gather %lu: free frames %lu -> %lu",
		  n, nfree, f->b.free_frames);
	batch = ++f->batches;
	for (i = 0; i < n; i++) {
		live_add(f, pfns[i], 0, batch);
		expect_lookup_used(f, &f->live[f->nr_live - 1]);
	}
	free(pfns);
}

/* Free what is left of a gathered batch page by page, in one of four orders. */
static void op_free_batch(struct fz *f, u32 pick, unsigned int how)
{
	unsigned long *pfns;
	u32 i, n = 0, batch = 0;

	for (i = 0; i < f->nr_live; i++) {
		batch = f->live[(pick + i) % f->nr_live].batch;
		if (batch)
			break;
	}
	if (!batch)
		return;
	pfns = fz_batch_pfns;
	for (i = 0; i < f->nr_live; i++)
		if (f->live[i].batch == batch)
			pfns[n++] = f->live[i].pfn;
	fz_log("batch %u: %u pages, order %u", batch, n, how);
	for (i = 0; i < n; i++) {
		u32 j;
		unsigned long pfn;
		const struct fz_span *s;

		switch (how & 3) {
		case 0:		/* as listed */
			j = i;
			break;
		case 1:		/* backwards */
			j = n - 1 - i;
			break;
		case 2:		/* evens, then odds */
			j = i < (n + 1) / 2 ? 2 * i : 2 * (i - (n + 1) / 2) + 1;
			break;
		default:	/* from both ends */
			j = i & 1 ? n - 1 - i / 2 : i / 2;
			break;
		}
		pfn = pfns[j];
		s = m_span(f, pfn);
		op_free_slot(f, f->owner[m_index(s, pfn)] - 1, how & 4);
		/* Each page is a step; past the 64th, every 64th is checked. */
		if (i < 64 || !(i % 64))
			step_check(f);
	}
}

/* A pfn: mostly one of the pool's frames, sometimes outside every span. */
static unsigned long pick_pfn(struct fz *f)
{
	const struct fz_span *first = &f->sp[0], *last = &f->sp[f->nr_spans - 1];
	u8 k = fz_u8(f);
	u32 v = fz_u16(f), i;

	switch (k & 7) {
	case 4:		/* below the first span */
		return first->pfn ? first->pfn - 1 - v % first->pfn : first->pfn + v;
	case 5:		/* past the last span (wraps to 0 at the top) */
		return last->pfn + last->nr + (v & 0xff);
	case 6:		/* just before a span: a hole, or the end of the previous one */
		i = v % f->nr_spans;
		return f->sp[i].pfn - 1 - (k >> 3);
	case 7:
		return (unsigned long)fz_u64(f);
	default:
		return m_pfn_of_index(f, v % f->nr_frames);
	}
}

static void op_bad_free(struct fz *f, unsigned int kind)
{
	u32 pick = fz_u16(f);
	const struct fz_live *l = f->nr_live ? &f->live[pick % f->nr_live] : NULL;
	unsigned long pfn;
	unsigned int order;
	u8 x = fz_u8(f);

	switch (kind) {
	case 0:		/* order above the maximum */
		op_free_any(f, l ? l->pfn : f->sp[0].pfn, MAXO + 1 + x, -1);
		break;
	case 1:		/* outside every span, or anywhere */
		op_free_any(f, pick_pfn(f), x % (MAXO + 1), -1);
		break;
	case 2:		/* inside a live block */
		if (l && l->order)
			op_free_any(f, l->pfn + 1 + x % ((1UL << l->order) - 1),
				    x % (MAXO + 1), x & 0x80 ? l->tag : -1);
		break;
	case 3:		/* the head of a live block, another order */
		if (l)
			op_free_any(f, l->pfn, (l->order + 1 + x % MAXO) % (MAXO + 1),
				    x & 0x80 ? l->tag : -1);
		break;
	case 4:		/* a recently freed block again */
		if (f->ring_n) {
			unsigned int n = f->ring_n < FZ_RING ? f->ring_n : FZ_RING;
			unsigned int r = (f->ring_n - 1 - x % n) % FZ_RING;

			op_free_any(f, f->ring[r].pfn, f->ring[r].order, -1);
		}
		break;
	case 5:		/* a frame of the pool, likely free */
		pfn = pick_pfn(f);
		order = x % (MAXO + 1);
		op_free_any(f, pfn, order, -1);
		break;
	case 6:		/* the right block, the wrong tag (also 0 for a tagged one) */
		if (l)
			op_free_any(f, l->pfn, l->order, (x & 1) && l->tag ? 0 :
				    (u8)(l->tag + 1 + (x >> 1) % 255));
		break;
	default:	/* a pfn and order as they come */
		pfn = pick_pfn(f);
		op_free_any(f, pfn, x & 0xf, x & 0x10 ? (int)(x >> 5) : -1);
		break;
	}
}

static void op_lookup(struct fz *f)
{
	unsigned long pfn = pick_pfn(f);
	const struct fz_span *s = m_span(f, pfn);
	struct buddy_block blk;
	u32 o, k;
	int ret;

	memset(&blk, 0x5a, sizeof(blk));
	ret = buddy_lookup(&f->b, pfn, &blk);
	fz_log("pfn %lu: %d, block %lu order %u state %d", pfn, ret,
	       ret ? 0 : blk.pfn, ret ? 0 : blk.order, ret ? -1 : (int)blk.state);
	if (!s) {
		FZ_ASSERT(ret == -ENOENT, "lookup(%lu) outside the spans: %s", pfn,
			  fz_err(ret));
		return;
	}
	FZ_ASSERT(!ret, "lookup(%lu): %s", pfn, fz_err(ret));
	o = f->owner[m_index(s, pfn)];
	if (o) {
		const struct fz_live *l = &f->live[o - 1];

		FZ_ASSERT(blk.state == BUDDY_USED && blk.pfn == l->pfn &&
			  blk.order == l->order && blk.tag == l->tag &&
			  blk.index == m_index(s, l->pfn),
			  "lookup(%lu): block %lu order %u state %d tag %u index %u, model: live %lu order %u tag %u",
			  pfn, blk.pfn, blk.order, blk.state, blk.tag, blk.index,
			  l->pfn, l->order, l->tag);
		return;
	}
	FZ_ASSERT(blk.state == BUDDY_FREE && m_placed(s, blk.pfn, blk.order) &&
		  pfn - blk.pfn < 1UL << blk.order && blk.index == m_index(s, blk.pfn),
		  "lookup(%lu) of a free frame: block %lu order %u state %d index %u",
		  pfn, blk.pfn, blk.order, blk.state, blk.index);
	for (k = 0; k < 1U << blk.order; k++)
		FZ_ASSERT(!f->owner[m_index(s, blk.pfn) + k],
			  "lookup(%lu): free block %lu order %u holds a live frame",
			  pfn, blk.pfn, blk.order);
}

static void op_tag(struct fz *f, unsigned int kind)
{
	unsigned long pfn;
	const struct fz_span *s;
	u8 tag = fz_u8(f);
	u32 pick = fz_u16(f), o;
	int ret;

	if (kind < 5) {
		struct fz_live *l = f->nr_live ? &f->live[pick % f->nr_live] : NULL;

		if (!l)
			return;
		ret = buddy_set_tag(&f->b, l->pfn, tag);
		FZ_ASSERT(!ret, "set_tag(%lu, %u) of a live block: %s", l->pfn, tag,
			  fz_err(ret));
		l->tag = tag;
		expect_lookup_used(f, l);
		return;
	}
	pfn = pick_pfn(f);
	s = m_span(f, pfn);
	o = s ? f->owner[m_index(s, pfn)] : 0;
	if (o && f->live[o - 1].pfn == pfn) {
		ret = buddy_set_tag(&f->b, pfn, tag);
		FZ_ASSERT(!ret, "set_tag(%lu, %u) of a live block: %s", pfn, tag,
			  fz_err(ret));
		f->live[o - 1].tag = tag;
		expect_lookup_used(f, &f->live[o - 1]);
		return;
	}
	snap_take(f);
	ret = buddy_set_tag(&f->b, pfn, tag);
	fz_log("pfn %lu tag %u: %d", pfn, tag, ret);
	FZ_ASSERT(ret == -EINVAL, "set_tag(%lu, %u), not a live block's head: %s",
		  pfn, tag, fz_err(ret));
	snap_expect_same(f);
}

/* The gap before a span, from one byte. */
static unsigned long decode_gap(u8 g)
{
	switch (g & 3) {
	case 0:
		return 0;				/* touching */
	case 1:
		return 1 + (g >> 2);			/* small, odd alignment */
	case 2:
		return (unsigned long)(1 + ((g >> 2) & 7)) << MAXO; /* keeps alignment */
	default:
		return (unsigned long)(g >> 2) << 20;	/* far */
	}
}

/* A span size, from two bytes. */
static u32 decode_size(u32 v)
{
	u32 n;

	switch (v & 3) {
	case 0:
		return 1 + (v >> 2) % 16;
	case 1:
		return 1 + (v >> 2) % 300;
	case 2:
		return 1 + (v >> 2) % 3000;
	default:
		n = (((v >> 2) & 3) + 1) << MAXO;
		if (v & 0x10)
			n += (v >> 5) % (1U << MAXO);
		return n;
	}
}

static void op_add_span(struct fz *f, unsigned int kind)
{
	const struct fz_span *last = &f->sp[f->nr_spans - 1];
	unsigned long pfn, end = last->pfn + last->nr;	/* 0 if it ends at the top */
	u8 g = fz_u8(f);
	u32 nr = decode_size(fz_u16(f));
	unsigned long nr_free[VBUDDY_NR_ORDERS] = { 0 };
	int err, ret;

	switch (kind) {
	case 0:		/* after the last span, the size as decoded */
	case 1:
		pfn = end + decode_gap(g);
		break;
	case 2:		/* no frames */
		pfn = end + decode_gap(g);
		nr = 0;
		break;
	case 3:		/* over or before the last span */
		pfn = last->pfn + (g % (last->nr + 1)) - (g & 0x80 ? 1 : 0) -
		      (g & 0x40 ? (unsigned long)(g & 0x3f) << 10 : 0);
		break;
	case 4:		/* wrapping past ULONG_MAX */
		pfn = ~0UL - (g & 0x1f);
		nr = (g & 0x1f) + 2 + (nr & 0xff);
		break;
	case 5:		/* more frames than the storage has left */
		pfn = end + decode_gap(g);
		nr = f->max_frames - f->nr_frames + 1 + (nr & 0xff);
		break;
	default:	/* as it comes */
		pfn = (unsigned long)fz_u64(f);
		break;
	}

	err = m_add_err(f, pfn, nr);
	fz_log("pfn %lu nr %u: want %d", pfn, nr, err);
	if (err) {
		snap_take(f);
		ret = buddy_add_span(&f->b, pfn, nr);
		FZ_ASSERT(ret == err, "add_span(%lu, %u): %s, want %s", pfn, nr,
			  fz_err(ret), fz_err(err));
		snap_expect_same(f);
		return;
	}
	ret = buddy_add_span(&f->b, pfn, nr);
	FZ_ASSERT(!ret, "add_span(%lu, %u): %s", pfn, nr, fz_err(ret));
	f->sp[f->nr_spans].pfn = pfn;
	f->sp[f->nr_spans].nr = nr;
	f->sp[f->nr_spans].first = f->nr_frames;
	f->nr_spans++;
	f->nr_frames += nr;
	f->model_free += nr;
	expect_span_carved(f, &f->sp[f->nr_spans - 1], nr_free);
}

static void op_free_all(struct fz *f, unsigned int how)
{
	u32 i;

	fz_log("%u live blocks, order %u", f->nr_live, how);
	for (i = 0; f->nr_live; i++) {
		u32 slot = how & 1 ? 0 : f->nr_live - 1;

		op_free_slot(f, slot, how & 2);
		/* A step each, as op_free_batch() checks them. */
		if ((how & 4) && (i < 64 || !(i % 64)))
			step_check(f);
	}
	f->batches = 0;
	expect_recovered(f);
}

/* ---- setup and the target ----------------------------------------------- */

static void fz_setup(struct fz *f)
{
	unsigned long gap[FZ_INIT_SPANS], extent = 0, base, pfn;
	u32 size[FZ_INIT_SPANS], total = 0, reserve = 0, i, n;
	u8 h0 = fz_u8(f), h1 = fz_u8(f);
	unsigned int want_spans = 1 + (h0 & 7);

	/* All the spans' bytes are read, also of those that no longer fit. */
	for (i = n = 0; i < want_spans; i++) {
		u8 g = fz_u8(f);
		u32 sz = decode_size(fz_u16(f));

		if (total + sz > FZ_MAX_FRAMES)
			sz = FZ_MAX_FRAMES - total;
		if (!sz)
			continue;
		gap[n] = n ? decode_gap(g) : 0;
		size[n] = sz;
		total += sz;
		extent += gap[n] + sz;
		n++;
	}
	switch ((h0 >> 3) & 3) {
	case 0:
		base = 0;
		break;
	case 1:
		base = fz_u16(f) | (unsigned long)fz_u8(f) << 16;
		break;
	case 2:
		base = (1UL << 32) + ((unsigned long)fz_u16(f) << 4);
		break;
	default:	/* the last span ends at ULONG_MAX, or a little below */
		base = ~0UL - extent + 1 - (fz_u8(f) & 3);
		break;
	}
	if (h0 & 0x80)
		reserve = (h1 * 8U) % (FZ_MAX_RESERVE + 1);

	f->max_frames = total + reserve;
	f->max_spans = n + ((h0 >> 5) & 3);
	f->frames = malloc((size_t)f->max_frames * sizeof(*f->frames));
	f->spans = malloc((size_t)f->max_spans * sizeof(*f->spans));
	FZ_ASSERT(f->frames && f->spans, "out of memory");
	f->snap_frames = fz_snap_frames;
	f->snap_spans = fz_snap_spans;
	f->owner = fz_owner;
	f->live = fz_live_store;
	memset(fz_owner, 0, f->max_frames * sizeof(*fz_owner));
	/* Garbage, so that a frame read before its span is added shows. */
	memset(f->frames, 0xa5, (size_t)f->max_frames * sizeof(*f->frames));
	memset(f->spans, 0xa5, (size_t)f->max_spans * sizeof(*f->spans));
	buddy_init(&f->b, f->frames, f->max_frames, f->spans, f->max_spans);

	pfn = base;
	for (i = 0; i < n; i++) {
		int ret;

		pfn += gap[i];
		ret = buddy_add_span(&f->b, pfn, size[i]);
		fz_log("span %u: pfn %lu nr %u", i, pfn, size[i]);
		FZ_ASSERT(!ret, "add_span(%lu, %u) of the layout: %s", pfn, size[i],
			  fz_err(ret));
		f->sp[i].pfn = pfn;
		f->sp[i].nr = size[i];
		f->sp[i].first = f->nr_frames;
		f->nr_spans++;
		f->nr_frames += size[i];
		pfn += size[i];
	}
	f->model_free = f->nr_frames;
	expect_recovered(f);
}

static void fz_teardown(struct fz *f)
{
	free(f->frames);
	free(f->spans);
	memset(f, 0, sizeof(*f));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz *f = &fz_state;
	u32 v;

	memset(f, 0, sizeof(*f));
	f->data = data;
	f->size = size;
	fz_setup(f);

	while (fz_more(f) && f->op < FZ_MAX_OPS) {
		u8 b = fz_u8(f);
		unsigned int param = b >> 5;

		f->op++;
		switch (b & 31) {
		case 0 ... 7:
			f->what = "alloc";
			v = fz_u8(f);
			op_alloc(f, v < 160 ? v & 3 : v % (MAXO + 3));
			break;
		case 8 ... 10:
			f->what = "alloc by size";
			v = fz_u16(f);
			op_alloc(f, size_to_order(((unsigned long)v + 1) << (param * 2)));
			break;
		case 11 ... 17:
			f->what = "free";
			v = fz_u16(f);
			if (f->nr_live)
				op_free_slot(f, v % f->nr_live, param & 1);
			break;
		case 18 ... 19:
			f->what = "gather";
			v = fz_u8(f);
			if (param < 4)
				op_gather(f, 1 + v % 16);
			else if (param < 6)
				op_gather(f, 1 + v);
			else if (param == 6)
				op_gather(f, f->b.free_frames);
			else
				op_gather(f, v & 1 ? f->b.free_frames + 1 + (v >> 1) : 0);
			break;
		case 20:
			f->what = "free gathered batch";
			v = fz_u16(f);
			if (f->nr_live)
				op_free_batch(f, v % f->nr_live, param);
			break;
		case 21 ... 24:
			f->what = "bad free";
			op_bad_free(f, param);
			break;
		case 25 ... 26:
			f->what = "lookup";
			op_lookup(f);
			break;
		case 27 ... 28:
			f->what = "tag";
			op_tag(f, param);
			break;
		case 29:
			f->what = "add span";
			op_add_span(f, param);
			break;
		case 30:
			f->what = "verify";
			verify(f);
			break;
		default:
			f->what = "free all";
			op_free_all(f, param);
			break;
		}
		step_check(f);
		if (!(f->op % FZ_VERIFY_EVERY))
			verify(f);
	}

	f->what = "final verify";
	verify(f);
	f->what = "final free all";
	op_free_all(f, 0);
	fz_teardown(f);
	return 0;
}

#ifdef FUZZ_REPLAY_MAIN
/*
 * fuzz_buddy_replay [-v [-v]] PATH...: each PATH a file, or a directory
 * whose files (not recursively, names sorted) are each fed to the target
 * once. -v names each input, -v -v also prints every operation.
 */
#include <dirent.h>
#include <sys/stat.h>
#include <sanitizer/common_interface_defs.h>

static bool replay_verbose;

/* A sanitizer report names the input it came from. */
static void replay_death(void)
{
	if (fz_input_name)
		fprintf(stderr, "fuzz_buddy_replay: the report above is from %s\n",
			fz_input_name);
}

static int replay_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	u8 *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (!fp) {
		fprintf(stderr, "fuzz_buddy_replay: cannot open %s\n", path);
		return -1;
	}
	do {
		if (len == cap) {
			u8 *nb = realloc(buf, cap = cap ? 2 * cap : 4096);

			if (!nb) {
				fprintf(stderr, "fuzz_buddy_replay: out of memory\n");
				exit(2);
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, fp);
		len += got;
	} while (got);
	fclose(fp);
	if (replay_verbose)
		printf("# %s (%zu bytes)\n", path, len);
	fz_input_name = path;
	LLVMFuzzerTestOneInput(buf, len);
	fz_input_name = NULL;
	free(buf);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

static int replay_dir(const char *dir, unsigned int *count)
{
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	DIR *d = opendir(dir);
	int ret = 0;

	if (!d) {
		fprintf(stderr, "fuzz_buddy_replay: cannot open %s\n", dir);
		return -1;
	}
	while ((de = readdir(d))) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_name[0] == '.' || stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		if (names)
			names[n] = strdup(path);
		if (!names || !names[n]) {
			fprintf(stderr, "fuzz_buddy_replay: out of memory\n");
			exit(2);
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		if (!ret) {
			ret = replay_file(names[i]);
			*count += !ret;
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

int main(int argc, char **argv)
{
	unsigned int count = 0;
	int i, bad = 0;

	__sanitizer_set_death_callback(replay_death);
	for (i = 1; i < argc; i++) {
		struct stat st;

		if (!strcmp(argv[i], "-v")) {
			replay_verbose = true;
			fz_verbose++;
			continue;
		}
		if (stat(argv[i], &st)) {
			fprintf(stderr, "fuzz_buddy_replay: cannot open %s\n", argv[i]);
			bad = 1;
		} else if (S_ISDIR(st.st_mode)) {
			bad |= !!replay_dir(argv[i], &count);
		} else if (replay_file(argv[i])) {
			bad = 1;
		} else {
			count++;
		}
	}
	if (bad || !count) {
		fprintf(stderr, "usage: fuzz_buddy_replay [-v [-v]] FILE|DIR...  (%u inputs replayed)\n",
			count);
		return 2;
	}
	printf("# fuzz_buddy_replay: %u inputs replayed clean\n", count);
	return 0;
}
#endif /* FUZZ_REPLAY_MAIN */
