// SPDX-License-Identifier: GPL-2.0
/*
 * The reference model of the vbuddy core: see model.h. Used by random.c
 * and fuzz_buddy.c; fuzz_ignore.txt keeps its O(frames) checks and small
 * helpers out of libFuzzer's coverage instrumentation (by name: rename one
 * there too).
 */

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define MAXO		VBUDDY_MAX_ORDER
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define model_log(m, fmt, ...)						\
	do {								\
		if ((m)->verbose > 1)					\
			printf("#   op %lu %s: " fmt "\n", (m)->op,	\
			       (m)->what ? (m)->what : "setup", ##__VA_ARGS__); \
	} while (0)

void model_fail(struct model *m, const char *fmt, ...)
{
	char msg[1024];
	int n;
	va_list ap;

	n = snprintf(msg, sizeof(msg), "op %lu (%s): ", m->op, m->what ? m->what : "setup");
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	if (m->fail)
		m->fail(m, msg);
	fprintf(stderr, "model: FAIL at %s\n", msg);
	abort();
}

const char *model_errname(int err)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
#define ERRNAME(e)	{ -(e), "-" #e }
		{ 0, "0" }, ERRNAME(EPERM), ERRNAME(ENOENT), ERRNAME(ENOMEM),
		ERRNAME(EFAULT), ERRNAME(EINVAL), ERRNAME(ENOSPC),
		ERRNAME(ERANGE), ERRNAME(EALREADY), ERRNAME(EUCLEAN), ERRNAME(ENODATA),
#undef ERRNAME
	};
	static char buf[16];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].err == err)
			return names[i].name;
	snprintf(buf, sizeof(buf), "%d", err);
	return buf;
}

static void *zalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		fprintf(stderr, "model: out of memory\n");
		exit(2);
	}
	return p;
}

/* ---- storage ------------------------------------------------------------- */

void model_alloc(struct model *m, u32 max_frames, u32 max_spans)
{
	m->cap_frames = max_frames;
	m->cap_spans = max_spans;
	m->owner = zalloc(max_frames, sizeof(*m->owner));
	m->data = zalloc(max_frames, sizeof(*m->data));
	m->live = zalloc(max_frames, sizeof(*m->live));
	m->snap_frames = zalloc(max_frames, sizeof(*m->snap_frames));
	m->snap_spans = zalloc(max_spans, sizeof(*m->snap_spans));
	m->pfns = zalloc(max_frames, sizeof(*m->pfns));
}

void model_release(struct model *m)
{
	free(m->owner);
	free(m->data);
	free(m->live);
	free(m->snap_frames);
	free(m->snap_spans);
	free(m->pfns);
	free(m->gathered);
	m->owner = NULL;
	m->data = NULL;
	m->live = NULL;
	m->snap_frames = NULL;
	m->snap_spans = NULL;
	m->pfns = NULL;
	m->gathered = NULL;
}

struct buddy *model_buddy_new(u32 max_frames, u32 max_spans)
{
	struct buddy *b = zalloc(1, sizeof(*b));
	struct buddy_frame *frames = zalloc(max_frames, sizeof(*frames));
	struct buddy_span *spans = zalloc(max_spans, sizeof(*spans));

	memset(frames, 0xa5, (size_t)max_frames * sizeof(*frames));
	memset(spans, 0xa5, (size_t)max_spans * sizeof(*spans));
	buddy_init(b, frames, max_frames, spans, max_spans);
	return b;
}

void model_buddy_set_policy(struct buddy *b, unsigned int policy)
{
	unsigned long *map = NULL;

	if (policy != BUDDY_LIFO)
		map = zalloc(buddy_map_words(b->max_frames), sizeof(*map));
	if (buddy_set_policy(b, policy, map)) {
		fprintf(stderr, "model: buddy_set_policy(%u) refused\n", policy);
		exit(2);
	}
}

void model_buddy_free(struct buddy *b)
{
	if (!b)
		return;
	free(b->frames);
	free(b->spans);
	free(b->map);
	free(b);
}

void model_start(struct model *m, struct buddy *b)
{
	if (b->max_frames > m->cap_frames || b->max_spans > m->cap_spans ||
	    b->max_spans > MODEL_MAX_SPANS) {
		fprintf(stderr, "model: %u frames, %u spans: more than model_alloc() made room for\n",
			b->max_frames, b->max_spans);
		exit(2);
	}
	m->op = 0;
	m->what = NULL;
	m->b = b;
	m->nr_spans = 0;
	m->nr_frames = 0;
	m->max_frames = b->max_frames;
	m->max_spans = b->max_spans;
	memset(m->owner, 0, (size_t)b->max_frames * sizeof(*m->owner));
	memset(m->data, 0, (size_t)b->max_frames * sizeof(*m->data));
	m->next_id = 0;
	m->nr_live = 0;
	m->free_frames = 0;
	m->batches = 0;
	m->ring_n = 0;
	memset(&m->st, 0, sizeof(m->st));
	m->next_scan = 0;
	m->next_pick = 0;
	m->refused = 0;
}

/* ---- what the model knows ------------------------------------------------------ */

const struct model_span *model_span_of(const struct model *m, unsigned long pfn)
{
	u32 lo = 0, hi = m->nr_spans;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		const struct model_span *s = &m->sp[mid];

		if (pfn < s->pfn)
			hi = mid;
		else if (pfn - s->pfn >= s->nr)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

static u32 index_of(const struct model_span *s, unsigned long pfn)
{
	return s->first + (u32)(pfn - s->pfn);
}

long model_slot_of(const struct model *m, unsigned long pfn)
{
	const struct model_span *s = model_span_of(m, pfn);
	u32 o = s ? m->owner[index_of(s, pfn)] : 0;

	return o ? (long)o - 1 : -1;
}

unsigned long model_pfn_of_index(struct model *m, u32 idx)
{
	u32 i;

	for (i = 0; i < m->nr_spans; i++)
		if (idx >= m->sp[i].first && idx - m->sp[i].first < m->sp[i].nr)
			return m->sp[i].pfn + (idx - m->sp[i].first);
	model_fail(m, "frame index %u is in no span", idx);
}

/* Is the order-@order block at @pfn aligned and inside span @s? */
static bool placed(const struct model_span *s, unsigned long pfn, unsigned int order)
{
	return order <= MAXO && !(pfn & ((1UL << order) - 1)) && pfn >= s->pfn &&
	       pfn - s->pfn + (1UL << order) <= s->nr;
}

static void live_add(struct model *m, unsigned long pfn, unsigned int order, u32 batch)
{
	const struct model_span *s = model_span_of(m, pfn);
	u32 n = 1U << order, slot = m->nr_live, idx, i;

	MODEL_ASSERT(m, s && placed(s, pfn, order),
		     "block %lu order %u is not aligned inside one span", pfn, order);
	idx = index_of(s, pfn);
	for (i = 0; i < n; i++) {
		u32 o = m->owner[idx + i];

		MODEL_ASSERT(m, !o, "block %lu order %u overlaps live block %lu order %u",
			     pfn, order, m->live[o - 1].pfn, m->live[o - 1].order);
		m->owner[idx + i] = slot + 1;
	}
	if (!++m->next_id)
		m->next_id = 1;
	for (i = 0; i < n; i++)
		m->data[idx + i] = m->next_id;
	m->live[slot].id = m->next_id;
	m->live[slot].pfn = pfn;
	m->live[slot].order = order;
	m->live[slot].tag = 0;
	m->live[slot].batch = batch;
	m->nr_live++;
	m->free_frames -= n;
}

static void live_set_owner(struct model *m, u32 slot, u32 val)
{
	const struct model_live *l = &m->live[slot];
	u32 idx = index_of(model_span_of(m, l->pfn), l->pfn), i;

	for (i = 0; i < 1U << l->order; i++)
		m->owner[idx + i] = val;
}

/* What @slot's frames hold must be its id; then they hold @val. */
static void live_data(struct model *m, u32 slot, u32 val)
{
	const struct model_live *l = &m->live[slot];
	u32 idx = index_of(model_span_of(m, l->pfn), l->pfn), i;

	for (i = 0; i < 1U << l->order; i++) {
		MODEL_ASSERT(m, m->data[idx + i] == l->id,
			     "block %lu order %u: frame %lu holds %u, not its id %u",
			     l->pfn, l->order, l->pfn + i, m->data[idx + i], l->id);
		m->data[idx + i] = val;
	}
}

static void live_del(struct model *m, u32 slot)
{
	struct model_live *l = &m->live[slot];
	u32 last = m->nr_live - 1;

	live_data(m, slot, 0);
	live_set_owner(m, slot, 0);
	m->free_frames += 1UL << l->order;
	m->ring[m->ring_n % MODEL_RING].pfn = l->pfn;
	m->ring[m->ring_n % MODEL_RING].order = l->order;
	m->ring_n++;
	if (slot != last) {
		m->live[slot] = m->live[last];
		live_set_owner(m, slot, slot + 1);
	}
	m->nr_live--;
}

/* What buddy_free()/buddy_free_tagged() (@tag >= 0) must return. */
static int free_err(const struct model *m, unsigned long pfn, unsigned int order, int tag)
{
	const struct model_span *s;
	const struct model_live *l;
	u32 o;

	if (order > MAXO)
		return -ERANGE;
	s = model_span_of(m, pfn);
	if (!s)
		return -ENOENT;
	o = m->owner[index_of(s, pfn)];
	if (!o)
		return -EALREADY;
	l = &m->live[o - 1];
	if (l->pfn != pfn)
		return -EFAULT;
	if (l->order != order)
		return -EINVAL;
	if (tag >= 0 && l->tag != tag)
		return -EPERM;
	return 0;
}

/* What buddy_add_span() must return: the documented rules, in the model's terms. */
static int add_err(const struct model *m, unsigned long pfn, u32 nr)
{
	const struct model_span *last = m->nr_spans ? &m->sp[m->nr_spans - 1] : NULL;

	if (!nr || ULONG_MAX - pfn < nr - 1)		/* empty, or past ULONG_MAX */
		return -EINVAL;
	if (last && (pfn <= last->pfn || pfn - last->pfn < last->nr))
		return -EINVAL;				/* not above the last span */
	if (m->nr_spans == m->max_spans || (u64)m->nr_frames + nr > m->max_frames)
		return -ENOSPC;
	return 0;
}

/* Does the model hold a free, aligned run of 2^order frames in one span? */
static bool has_free_run(struct model *m, unsigned int order)
{
	u32 i, k;

	m->st.scans++;
	for (i = 0; i < m->nr_spans; i++) {
		const struct model_span *s = &m->sp[i];
		unsigned long run = 0;

		for (k = 0; k < s->nr; k++) {
			if (m->owner[s->first + k]) {
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

/* ---- checks ---------------------------------------------------------------- */

/*
 * Before a call that must change nothing: struct buddy, the span storage,
 * and all the frames or (see snap_every) those of the top-order window
 * around @pfn, the only ones a free or a tag there could touch.
 */
static void snap_take(struct model *m, unsigned long pfn)
{
	const struct buddy *b = m->b;
	const struct model_span *s = model_span_of(m, pfn);

	m->snap_b = *b;
	memcpy(m->snap_spans, b->spans, (size_t)b->max_spans * sizeof(*b->spans));
	if (!m->snap_every || !(m->refused++ % m->snap_every)) {
		m->snap_idx = 0;
		m->snap_n = b->max_frames;
	} else if (s) {
		unsigned long lo = pfn & ~((1UL << MAXO) - 1), hi = lo + (1UL << MAXO) - 1;

		lo = lo < s->pfn ? s->pfn : lo;
		hi = hi - s->pfn >= s->nr ? s->pfn + (s->nr - 1) : hi;
		m->snap_idx = index_of(s, lo);
		m->snap_n = hi - lo + 1;
	} else {
		m->snap_n = 0;
	}
	memcpy(m->snap_frames + m->snap_idx, b->frames + m->snap_idx,
	       (size_t)m->snap_n * sizeof(*b->frames));
}

/* Nothing changed since snap_take(): struct buddy field by field, the storage byte by byte. */
static void snap_expect_same(struct model *m)
{
	const struct buddy *a = &m->snap_b, *b = m->b;
	unsigned int o;
	u32 i;

	MODEL_ASSERT(m, a->frames == b->frames && a->spans == b->spans &&
		     a->max_frames == b->max_frames && a->max_spans == b->max_spans &&
		     a->nr_frames == b->nr_frames && a->nr_spans == b->nr_spans &&
		     a->free_frames == b->free_frames,
		     "a refused call changed struct buddy (free_frames %lu -> %lu)",
		     a->free_frames, b->free_frames);
	for (o = 0; o <= MAXO; o++)
		MODEL_ASSERT(m, a->free_head[o] == b->free_head[o] &&
			     a->nr_free[o] == b->nr_free[o],
			     "a refused call changed order %u: head %u -> %u, nr_free %lu -> %lu",
			     o, a->free_head[o], b->free_head[o], a->nr_free[o], b->nr_free[o]);
	if (memcmp(m->snap_frames + m->snap_idx, b->frames + m->snap_idx,
		   (size_t)m->snap_n * sizeof(*b->frames)))
		for (i = m->snap_idx; i < m->snap_idx + m->snap_n; i++)
			MODEL_ASSERT(m, !memcmp(&m->snap_frames[i], &b->frames[i],
						sizeof(b->frames[i])),
				     "a refused call changed frame index %u", i);
	MODEL_ASSERT(m, !memcmp(m->snap_spans, b->spans, (size_t)b->max_spans * sizeof(*b->spans)),
		     "a refused call changed the span storage");
}

void model_check(struct model *m)
{
	int ret = buddy_check(m->b);

	MODEL_ASSERT(m, !ret, "buddy_check: %s", model_errname(ret));
	MODEL_ASSERT(m, m->b->free_frames == m->free_frames,
		     "free frames %lu, model %lu", m->b->free_frames, m->free_frames);
	MODEL_ASSERT(m, m->b->nr_frames == m->nr_frames && m->b->nr_spans == m->nr_spans,
		     "%u frames in %u spans, model %u in %u", m->b->nr_frames,
		     m->b->nr_spans, m->nr_frames, m->nr_spans);
}

void model_step(struct model *m)
{
	if (m->check_every && !(m->op % m->check_every)) {
		model_check(m);
	} else {
		MODEL_ASSERT(m, m->b->free_frames == m->free_frames,
			     "free frames %lu, model %lu", m->b->free_frames, m->free_frames);
	}
	if (m->verify_every && !(m->op % m->verify_every))
		model_verify(m);
}

/* The nr_free[] counters equal @want. */
static void expect_counts(struct model *m, const unsigned long *want, const char *why)
{
	unsigned int o;

	for (o = 0; o <= MAXO; o++)
		MODEL_ASSERT(m, m->b->nr_free[o] == want[o], "%s: nr_free[%u] %lu, want %lu",
			     why, o, m->b->nr_free[o], want[o]);
}

static int largest_order(const unsigned long *nr_free)
{
	int o;

	for (o = MAXO; o >= 0; o--)
		if (nr_free[o])
			return o;
	return -1;
}

void model_verify(struct model *m)
{
	unsigned long nr_free[VBUDDY_NR_ORDERS] = { 0 }, free_frames = 0;
	u32 i, k;

	m->st.verify++;
	model_check(m);
	for (i = 0; i < m->nr_spans; i++) {
		const struct model_span *s = &m->sp[i];
		u32 off = 0;

		while (off < s->nr) {
			unsigned long pfn = s->pfn + off;
			struct buddy_block blk;
			u32 want, n;
			int ret = buddy_lookup(m->b, pfn, &blk);

			MODEL_ASSERT(m, !ret && blk.pfn == pfn && placed(s, pfn, blk.order) &&
				     blk.index == s->first + off,
				     "lookup(%lu): %s, block %lu order %u index %u", pfn,
				     model_errname(ret), blk.pfn, blk.order, blk.index);
			n = 1U << blk.order;
			want = m->owner[s->first + off];
			if (blk.state == BUDDY_FREE) {
				MODEL_ASSERT(m, !want,
					     "block %lu order %u is free, the model has it live",
					     pfn, blk.order);
				nr_free[blk.order]++;
				free_frames += n;
			} else {
				const struct model_live *l = want ? &m->live[want - 1] : NULL;

				MODEL_ASSERT(m, blk.state == BUDDY_USED && l && l->pfn == pfn &&
					     l->order == blk.order && l->tag == blk.tag,
					     "block %lu order %u state %d tag %u: model has %s %lu order %u tag %u",
					     pfn, blk.order, blk.state, blk.tag,
					     l ? "live" : "it free", l ? l->pfn : 0,
					     l ? l->order : 0, l ? l->tag : 0);
			}
			for (k = 0; k < n; k++)
				MODEL_ASSERT(m, m->owner[s->first + off + k] == want &&
					     m->data[s->first + off + k] ==
					     (want ? m->live[want - 1].id : 0),
					     "block %lu order %u: model frame %lu differs",
					     pfn, blk.order, pfn + k);
			off += n;
		}
	}
	expect_counts(m, nr_free, "blocks found");
	MODEL_ASSERT(m, free_frames == m->free_frames, "%lu frames in free blocks, model %lu",
		     free_frames, m->free_frames);
	MODEL_ASSERT(m, buddy_largest_free_order(m->b) == largest_order(nr_free),
		     "largest free order %d, blocks say %d",
		     buddy_largest_free_order(m->b), largest_order(nr_free));
}

/* Span @s is free and cut into its maximal blocks; counts them into @nr_free. */
static void expect_span_carved(struct model *m, const struct model_span *s,
			       unsigned long *nr_free)
{
	unsigned long pfn = s->pfn, left = s->nr;

	while (left) {
		unsigned int o = MAXO;
		struct buddy_block blk;
		int ret;

		while (o && ((pfn & ((1UL << o) - 1)) || (1UL << o) > left))
			o--;
		ret = buddy_lookup(m->b, pfn, &blk);
		MODEL_ASSERT(m, !ret && blk.pfn == pfn && blk.order == o &&
			     blk.state == BUDDY_FREE,
			     "span %lu+%u: at %lu want a free order %u block, lookup %s: %lu order %u state %d",
			     s->pfn, s->nr, pfn, o, model_errname(ret), blk.pfn,
			     blk.order, blk.state);
		nr_free[o]++;
		pfn += 1UL << o;	/* may wrap past ULONG_MAX at the very end */
		left -= 1UL << o;
	}
}

void model_expect_recovered(struct model *m)
{
	unsigned long nr_free[VBUDDY_NR_ORDERS] = { 0 };
	u32 i;

	model_check(m);
	MODEL_ASSERT(m, !m->nr_live && m->b->free_frames == m->nr_frames,
		     "%u live, %lu of %u frames free", m->nr_live, m->b->free_frames,
		     m->nr_frames);
	for (i = 0; i < m->nr_spans; i++)
		expect_span_carved(m, &m->sp[i], nr_free);
	expect_counts(m, nr_free, "recovered");
}

static void expect_lookup_used(struct model *m, const struct model_live *l)
{
	struct buddy_block blk;
	int ret = buddy_lookup(m->b, l->pfn, &blk);

	MODEL_ASSERT(m, !ret && blk.pfn == l->pfn && blk.order == l->order &&
		     blk.state == BUDDY_USED && blk.tag == l->tag,
		     "lookup(%lu) after alloc: %s, block %lu order %u state %d tag %u, want order %u tag %u",
		     l->pfn, model_errname(ret), blk.pfn, blk.order, blk.state,
		     blk.tag, l->order, l->tag);
}

/* ---- operations -------------------------------------------------------------- */

int model_add_span(struct model *m, unsigned long pfn, u32 nr)
{
	unsigned long nr_free[VBUDDY_NR_ORDERS] = { 0 };
	int err = add_err(m, pfn, nr), ret;
	struct model_span *s;

	model_log(m, "pfn %lu nr %u: want %d", pfn, nr, err);
	if (err) {
		snap_take(m, pfn);
		ret = buddy_add_span(m->b, pfn, nr);
		MODEL_ASSERT(m, ret == err, "add_span(%lu, %u): %s, want %s", pfn, nr,
			     model_errname(ret), model_errname(err));
		snap_expect_same(m);
		return err;
	}
	ret = buddy_add_span(m->b, pfn, nr);
	MODEL_ASSERT(m, !ret, "add_span(%lu, %u): %s", pfn, nr, model_errname(ret));
	s = &m->sp[m->nr_spans++];
	s->pfn = pfn;
	s->nr = nr;
	s->first = m->nr_frames;
	m->nr_frames += nr;
	m->free_frames += nr;
	expect_span_carved(m, s, nr_free);
	return 0;
}

void model_alloc_order(struct model *m, unsigned int order)
{
	unsigned long before[VBUDDY_NR_ORDERS], want[VBUDDY_NR_ORDERS];
	unsigned long pfn = 0, head_pfn;
	unsigned int o, k;
	int ret;

	memcpy(before, m->b->nr_free, sizeof(before));
	for (o = order; o <= MAXO; o++)
		if (before[o])
			break;
	if (order > MAXO || o > MAXO) {
		int err = order > MAXO ? -ERANGE : -ENOMEM;

		snap_take(m, ~0UL);
		ret = buddy_alloc(m->b, order, &pfn);
		model_log(m, "order %u: %d", order, ret);
		MODEL_ASSERT(m, ret == err, "alloc order %u: %s, want %s", order,
			     model_errname(ret), model_errname(err));
		snap_expect_same(m);
		if (err != -ENOMEM)
			return;
		m->st.alloc_enomem++;
		MODEL_ASSERT(m, buddy_largest_free_order(m->b) < (int)order,
			     "alloc order %u: -ENOMEM, largest free order %d", order,
			     buddy_largest_free_order(m->b));
		/* The model must agree that no such block is free (O(frames): paced). */
		if (m->op >= m->next_scan) {
			m->next_scan = m->op + m->scan_every;
			MODEL_ASSERT(m, !has_free_run(m, order),
				     "alloc order %u: -ENOMEM, but the model has a free aligned run",
				     order);
		}
		return;
	}

	/*
	 * The block the policy picks of the smallest non-empty order, split
	 * from the top: LIFO the list's first; address order the lowest
	 * (a walk of the list, paced as the scans are).
	 */
	head_pfn = model_pfn_of_index(m, m->b->free_head[o]);
	if (m->b->policy != BUDDY_LIFO) {
		u32 idx, low = BUDDY_NIL;

		head_pfn = ~0UL;
		if (m->op >= m->next_pick) {
			m->next_pick = m->op + m->scan_every;
			for (idx = m->b->free_head[o]; idx != BUDDY_NIL; idx = m->b->frames[idx].next)
				low = idx < low ? idx : low;
			head_pfn = model_pfn_of_index(m, low);
		}
	}
	ret = buddy_alloc(m->b, order, &pfn);
	model_log(m, "order %u: pfn %lu (split from order %u)", order, pfn, o);
	MODEL_ASSERT(m, !ret, "alloc order %u with order %u free: %s", order, o,
		     model_errname(ret));
	MODEL_ASSERT(m, pfn == head_pfn || head_pfn == ~0UL,
		     "alloc order %u: got %lu, the %s order-%u block is at %lu", order, pfn,
		     m->b->policy == BUDDY_LIFO ? "first" : "lowest", o, head_pfn);
	for (k = 0; k <= MAXO; k++)
		want[k] = before[k] - (k == o) + (k >= order && k < o);
	expect_counts(m, want, "alloc split");
	live_add(m, pfn, order, 0);
	expect_lookup_used(m, &m->live[m->nr_live - 1]);
	m->st.alloc++;
}

void model_free_slot(struct model *m, u32 slot, bool tagged)
{
	unsigned long before[VBUDDY_NR_ORDERS], want[VBUDDY_NR_ORDERS];
	struct model_live l = m->live[slot];
	const struct model_span *s = model_span_of(m, l.pfn);
	struct buddy_block blk;
	unsigned int k;
	int ret;

	memcpy(before, m->b->nr_free, sizeof(before));
	ret = tagged ? buddy_free_tagged(m->b, l.pfn, l.order, l.tag) :
		       buddy_free(m->b, l.pfn, l.order);
	MODEL_ASSERT(m, !ret, "free%s %lu order %u tag %u: %s", tagged ? "_tagged" : "",
		     l.pfn, l.order, l.tag, model_errname(ret));
	live_del(m, slot);
	m->st.free++;

	/* It merged up to some order: one buddy taken off each order below. */
	ret = buddy_lookup(m->b, l.pfn, &blk);
	MODEL_ASSERT(m, !ret && blk.state == BUDDY_FREE && blk.order >= l.order &&
		     placed(s, blk.pfn, blk.order) &&
		     blk.pfn == (l.pfn & ~((1UL << blk.order) - 1)),
		     "after free %lu order %u: lookup %s, block %lu order %u state %d",
		     l.pfn, l.order, model_errname(ret), blk.pfn, blk.order, blk.state);
	model_log(m, "pfn %lu order %u%s: merged into %lu order %u", l.pfn, l.order,
		  tagged ? " (tagged)" : "", blk.pfn, blk.order);
	for (k = 0; k < 1U << blk.order; k++)
		MODEL_ASSERT(m, !m->owner[index_of(s, blk.pfn) + k],
			     "free %lu order %u merged into %lu order %u over a live frame",
			     l.pfn, l.order, blk.pfn, blk.order);
	for (k = 0; k <= MAXO; k++)
		want[k] = before[k] - (k >= l.order && k < blk.order) + (k == blk.order);
	expect_counts(m, want, "free merge");
}

void model_free_any(struct model *m, unsigned long pfn, unsigned int order, int tag)
{
	int err = free_err(m, pfn, order, tag), ret;

	if (!err) {
		model_free_slot(m, model_slot_of(m, pfn), tag >= 0);
		return;
	}
	m->st.refused++;
	snap_take(m, pfn);
	ret = tag < 0 ? buddy_free(m->b, pfn, order) : buddy_free_tagged(m->b, pfn, order, tag);
	model_log(m, "pfn %lu order %u tag %d: %s (%s)", pfn, order, tag, model_errname(ret),
		  buddy_strerror(ret));
	MODEL_ASSERT(m, ret == err, "free%s(%lu, order %u, tag %d): %s, want %s",
		     tag < 0 ? "" : "_tagged", pfn, order, tag, model_errname(ret),
		     model_errname(err));
	MODEL_ASSERT(m, strcmp(buddy_strerror(ret), "unknown error"),
		     "buddy_strerror(%d) does not know a documented error", ret);
	snap_expect_same(m);
}

void model_gather(struct model *m, unsigned long n)
{
	unsigned long before[VBUDDY_NR_ORDERS], want[VBUDDY_NR_ORDERS];
	unsigned long *pfns, left, i, nfree = m->b->free_frames;
	u32 batch;
	int ret;

	/*
	 * Exactly @n entries, so that ASan sees a write past them; kept in
	 * the model until freed, so that a failure does not leak them.
	 */
	free(m->gathered);
	pfns = m->gathered = zalloc(n ? n : 1, sizeof(*pfns));
	if (!n || n > nfree) {
		int err = n ? -ENOMEM : -EINVAL;

		snap_take(m, ~0UL);
		ret = buddy_gather(m->b, n, pfns);
		model_log(m, "%lu of %lu free: %d", n, nfree, ret);
		MODEL_ASSERT(m, ret == err, "gather %lu of %lu free: %s, want %s", n, nfree,
			     model_errname(ret), model_errname(err));
		snap_expect_same(m);
		m->st.gather_enomem += err == -ENOMEM;
		return;
	}

	/*
	 * The documented policy on the counters alone: whole blocks of the
	 * smallest non-empty order while they fit, else a split of it down
	 * to the largest power of two still wanted.
	 */
	memcpy(before, m->b->nr_free, sizeof(before));
	memcpy(want, before, sizeof(want));
	for (left = n; left; ) {
		unsigned int o = 0, w = ilog2(left), k;

		while (o < MAXO && !want[o])
			o++;
		MODEL_ASSERT(m, want[o], "gather %lu: counters hold too few free frames", n);
		want[o]--;
		if (o > w) {
			for (k = w; k < o; k++)
				want[k]++;
			o = w;
		}
		left -= 1UL << o;
	}

	ret = buddy_gather(m->b, n, pfns);
	MODEL_ASSERT(m, !ret, "gather %lu of %lu free: %s", n, nfree, model_errname(ret));
	model_log(m, "%lu of %lu free: first pfn %lu", n, nfree, pfns[0]);
	expect_counts(m, want, "gather");
	MODEL_ASSERT(m, m->b->free_frames == nfree - n, "gather %lu: free frames %lu -> %lu",
		     n, nfree, m->b->free_frames);
	batch = ++m->batches;
	for (i = 0; i < n; i++) {
		live_add(m, pfns[i], 0, batch);
		expect_lookup_used(m, &m->live[m->nr_live - 1]);
	}
	m->st.gather++;
	m->st.gather_frames += n;
}

void model_lookup(struct model *m, unsigned long pfn)
{
	const struct model_span *s = model_span_of(m, pfn);
	struct buddy_block blk;
	u32 o, k;
	int ret;

	m->st.lookup++;
	memset(&blk, 0x5a, sizeof(blk));
	ret = buddy_lookup(m->b, pfn, &blk);
	model_log(m, "pfn %lu: %d, block %lu order %u state %d", pfn, ret,
		  ret ? 0 : blk.pfn, ret ? 0 : blk.order, ret ? -1 : (int)blk.state);
	if (!s) {
		MODEL_ASSERT(m, ret == -ENOENT, "lookup(%lu) outside the spans: %s", pfn,
			     model_errname(ret));
		return;
	}
	MODEL_ASSERT(m, !ret, "lookup(%lu): %s", pfn, model_errname(ret));
	o = m->owner[index_of(s, pfn)];
	if (o) {
		const struct model_live *l = &m->live[o - 1];

		MODEL_ASSERT(m, blk.state == BUDDY_USED && blk.pfn == l->pfn &&
			     blk.order == l->order && blk.tag == l->tag &&
			     blk.index == index_of(s, l->pfn),
			     "lookup(%lu): block %lu order %u state %d tag %u index %u, model: live %lu order %u tag %u",
			     pfn, blk.pfn, blk.order, blk.state, blk.tag, blk.index,
			     l->pfn, l->order, l->tag);
		return;
	}
	MODEL_ASSERT(m, blk.state == BUDDY_FREE && placed(s, blk.pfn, blk.order) &&
		     pfn - blk.pfn < 1UL << blk.order && blk.index == index_of(s, blk.pfn),
		     "lookup(%lu) of a free frame: block %lu order %u state %d index %u",
		     pfn, blk.pfn, blk.order, blk.state, blk.index);
	for (k = 0; k < 1U << blk.order; k++)
		MODEL_ASSERT(m, !m->owner[index_of(s, blk.pfn) + k],
			     "lookup(%lu): free block %lu order %u holds a live frame",
			     pfn, blk.pfn, blk.order);
}

void model_set_tag_slot(struct model *m, u32 slot, u8 tag)
{
	struct model_live *l = &m->live[slot];
	int ret = buddy_set_tag(m->b, l->pfn, tag);

	m->st.tag++;
	MODEL_ASSERT(m, !ret, "set_tag(%lu, %u) of a live block: %s", l->pfn, tag,
		     model_errname(ret));
	l->tag = tag;
	expect_lookup_used(m, l);
}

void model_set_tag(struct model *m, unsigned long pfn, u8 tag)
{
	long slot = model_slot_of(m, pfn);
	int ret;

	if (slot >= 0 && m->live[slot].pfn == pfn) {
		model_set_tag_slot(m, slot, tag);
		return;
	}
	m->st.tag++;
	snap_take(m, pfn);
	ret = buddy_set_tag(m->b, pfn, tag);
	model_log(m, "pfn %lu tag %u: %d", pfn, tag, ret);
	MODEL_ASSERT(m, ret == -EINVAL, "set_tag(%lu, %u), not a live block's head: %s",
		     pfn, tag, model_errname(ret));
	snap_expect_same(m);
}

/* ---- compaction ------------------------------------------------------------ */

/*
 * One move: the source must be a live block of @tag and the order told,
 * the destination an aligned run above it (below it, for a run down) that
 * was free and is now a block of @tag; then its data goes there, or
 * (@pinned) it stays.
 */
static void compact_move(struct model *m, const struct buddy_compact *cc,
			 const struct buddy_move *mv, bool pinned)
{
	const struct model_span *ss = model_span_of(m, mv->src), *ds = model_span_of(m, mv->dst);
	unsigned long n = 1UL << mv->order, free_before = m->free_frames;
	long slot = model_slot_of(m, mv->src);
	struct model_live *l;
	struct buddy_block blk;
	u32 i, di;
	int ret;

	MODEL_ASSERT(m, slot >= 0 && m->live[slot].pfn == mv->src &&
		     m->live[slot].order == mv->order && m->live[slot].tag == cc->tag,
		     "move of %lu order %u: not a live block of tag %u (slot %ld)",
		     mv->src, mv->order, cc->tag, slot);
	l = &m->live[slot];
	MODEL_ASSERT(m, ds && placed(ds, mv->dst, mv->order),
		     "move %lu -> %lu order %u: destination misplaced", mv->src, mv->dst,
		     mv->order);
	di = index_of(ds, mv->dst);
	MODEL_ASSERT(m, cc->down ? di < index_of(ss, mv->src) : di > index_of(ss, mv->src),
		     "move %lu -> %lu: not %s", mv->src, mv->dst,
		     cc->down ? "downwards" : "upwards");
	for (i = 0; i < n; i++)
		MODEL_ASSERT(m, !m->owner[di + i] && !m->data[di + i],
			     "move %lu -> %lu order %u: frame %lu was not free", mv->src,
			     mv->dst, mv->order, mv->dst + i);
	ret = buddy_lookup(m->b, mv->dst, &blk);
	MODEL_ASSERT(m, !ret && blk.pfn == mv->dst && blk.state == BUDDY_USED &&
		     blk.order == mv->order && blk.tag == cc->tag,
		     "destination %lu order %u: lookup %s, block %lu order %u state %d tag %u",
		     mv->dst, mv->order, model_errname(ret), blk.pfn, blk.order, blk.state,
		     blk.tag);
	MODEL_ASSERT(m, m->b->free_frames + n == free_before,
		     "destination taken: %lu frames free, model %lu", m->b->free_frames,
		     free_before);
	model_log(m, "move %lu -> %lu order %u%s", mv->src, mv->dst, mv->order,
		  pinned ? " (pinned)" : "");
	if (pinned) {
		ret = buddy_compact_done(m->b, cc, mv, false);
		MODEL_ASSERT(m, !ret, "compact_done(not moved): %s", model_errname(ret));
		m->st.compact_pinned++;
	} else {
		/* The copy: the id leaves the source frames for the destination's. */
		live_data(m, slot, 0);
		live_set_owner(m, slot, 0);
		l->pfn = mv->dst;
		live_set_owner(m, slot, slot + 1);
		for (i = 0; i < n; i++)
			m->data[di + i] = l->id;
		ret = buddy_compact_done(m->b, cc, mv, true);
		MODEL_ASSERT(m, !ret, "compact_done(moved): %s", model_errname(ret));
		m->st.compact_moved++;
		expect_lookup_used(m, l);
	}
	MODEL_ASSERT(m, m->b->free_frames == m->free_frames,
		     "after the move: %lu frames free, model %lu", m->b->free_frames,
		     m->free_frames);
}

/* One direction of model_compact(). */
static void compact_dir(struct model *m, unsigned int order, u8 tag, u64 pins, bool stop,
			bool down)
{
	struct buddy_compact cc;
	struct buddy_move mv;
	unsigned int k = 0;
	int ret = 0;

	buddy_compact_begin_dir(&cc, order, tag, down);
	for (;;) {
		if (stop && buddy_largest_free_order(m->b) >= (int)order)
			break;
		ret = buddy_compact_next(m->b, &cc, &mv);
		if (ret)
			break;
		compact_move(m, &cc, &mv, (pins >> (k++ % 64)) & 1);
		if ((pins >> ((k - 1) % 64)) & 1)
			buddy_compact_skip(&cc);
	}
	model_log(m, "order %u tag %u %s: %u moves, %s", order, tag, down ? "down" : "up", k,
		  ret ? model_errname(ret) : "stopped");
	MODEL_ASSERT(m, !ret || ret == -ENOMEM || ret == -ENODATA,
		     "compact_next(order %u, %s): %s", order, down ? "down" : "up",
		     model_errname(ret));
}

void model_compact(struct model *m, unsigned int order, u8 tag, u64 pins, bool stop,
		   unsigned int dirs)
{
	m->st.compact++;
	if (dirs & MODEL_COMPACT_UP)
		compact_dir(m, order, tag, pins, stop, false);
	/* After a run up, the callers' rule: down only if it left no block of @order. */
	if ((dirs & MODEL_COMPACT_DOWN) &&
	    (!(dirs & MODEL_COMPACT_UP) || buddy_largest_free_order(m->b) < (int)order)) {
		m->st.compact_down++;
		compact_dir(m, order, tag, pins, stop, true);
	}
	if (buddy_largest_free_order(m->b) >= (int)order)
		m->st.compact_success++;
	model_check(m);
}
