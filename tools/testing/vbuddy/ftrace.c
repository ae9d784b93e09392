// SPDX-License-Identifier: GPL-2.0
/*
 * ftrace text to vbuddy-replay operations (the interface is ftrace.h).
 *
 * The events, as include/trace/events/kmem.h (Linux 6.12) and
 * module/vbuddy_trace.h print them:
 *
 *   mm_page_alloc: page=%p pfn=0x%lx order=%d migratetype=%d gfp_flags=%s
 *   mm_page_free: page=%p pfn=0x%lx order=%d
 *   mm_page_free_batched: page=%p pfn=0x%lx order=0
 *   vbuddy_alloc: pool=%s pfn=0x%lx order=%u kind=%s
 *   vbuddy_free: pool=%s pfn=0x%lx order=%u kind=%s
 *
 * A line is taken wherever its event name appears as a word ending in ':'
 * ("mm_page_alloc:", or "kmem:mm_page_alloc:" as perf script prints it),
 * after the task, CPU, flags and timestamp columns of the trace file,
 * trace_pipe or trace-cmd report; its fields are the name=value words after
 * it, in any order, so trace-cmd's "[FAILED TO PARSE]" lines (the raw
 * fields) are read too. pfn= is hexadecimal with "0x", else decimal (older
 * kernels print %lu). Other lines and events are skipped and counted, and
 * "[LOST N EVENTS]" lines and a trace header whose entries-in-buffer is
 * below its entries-written are reported as lost events.
 *
 * Blocks are keyed by pfn:
 *
 * - an allocation of pfn P, order O is an allocation of 2^O pages, written
 *   "m" when its migratetype is MIGRATE_MOVABLE (1 in 6.12's enum
 *   migratetype, include/linux/mmzone.h), else "a"; an mm_page_alloc that
 *   got no page (page NULL: pfn printed as 0, or -1 raw) is skipped and
 *   counted;
 * - an allocation over a block still live (its free was missed) ends that
 *   block first, with an "f", counted;
 * - a free of P frees the live block whose head is P; a free of a part of
 *   a live block (split_page() pages, freed one by one) is counted and the
 *   block is freed with its last page;
 * - a free of a pfn of no live block frees nothing and is counted: a
 *   "repeated" free when that pfn was freed before in the trace and not
 *   allocated since (6.12 traces each batched free twice: mm_page_free in
 *   free_pages_prepare(), then mm_page_free_batched), else an "unknown"
 *   one: a block allocated before the trace started, or by a path without
 *   the event (alloc_pages_bulk(), e.g. vmalloc()).
 *
 * The first page event decides between kmem and vbuddy events (--pool
 * decides for vbuddy), and the other kind is skipped and counted. A vbuddy
 * trace must have one pool, or --pool to choose one. vbuddy_virt and
 * vbuddy_alloc_fail are skipped: a GFP_VIRTOK range has no pfn of its own,
 * and the frees of its pages are unknown frees; replay --virtok recreates
 * the fallback instead.
 *
 * Ids are reused once free, the smallest ones first while few are live:
 * the converted trace stays small. The header tells where the trace came
 * from, what it holds, and the pool it needs ("# pages: N": its peak of
 * live pages rounded up to FTRACE_POOL_ROUND).
 */

#define _GNU_SOURCE		/* fopencookie() */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ftrace.h"

#define MIGRATE_MOVABLE		1	/* include/linux/mmzone.h, 6.12 */
#define MAX_PFN			(UINT64_C(1) << 52)	/* 64-bit addresses, 4 KiB pages */
#define MAX_WORDS		64

static void __attribute__((noreturn)) oom(void)
{
	fprintf(stderr, "ftrace: out of memory\n");
	exit(2);
}

static void *xrealloc_or_die(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

static void set_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* ---- pfn -> value, open addressing, linear probing ------------------------ */

struct hmap {
	uint64_t *keys;		/* key + 1; 0: empty */
	uint64_t *vals;
	size_t cap, n;
};

static size_t hm_home(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

static uint64_t *hm_find(const struct hmap *m, uint64_t key)
{
	size_t i;

	if (!m->n)
		return NULL;
	for (i = hm_home(key, m->cap); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == key + 1)
			return &m->vals[i];
	return NULL;
}

static void hm_put(struct hmap *m, uint64_t key, uint64_t val)
{
	uint64_t *v;
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct hmap old = *m;

		m->cap = m->cap ? 2 * m->cap : 4096;
		m->keys = calloc(m->cap, sizeof(*m->keys));
		m->vals = calloc(m->cap, sizeof(*m->vals));
		if (!m->keys || !m->vals)
			oom();
		m->n = 0;
		for (i = 0; i < old.cap; i++)
			if (old.keys[i])
				hm_put(m, old.keys[i] - 1, old.vals[i]);
		free(old.keys);
		free(old.vals);
	}
	v = hm_find(m, key);
	if (v) {
		*v = val;
		return;
	}
	for (i = hm_home(key, m->cap); m->keys[i]; i = (i + 1) & (m->cap - 1))
		;
	m->keys[i] = key + 1;
	m->vals[i] = val;
	m->n++;
}

/* Deletion by backward shift: no tombstones. */
static void hm_del(struct hmap *m, uint64_t key)
{
	size_t mask = m->cap - 1, i, j, k;

	if (!m->n)
		return;
	for (i = hm_home(key, m->cap); m->keys[i] != key + 1; i = (i + 1) & mask)
		if (!m->keys[i])
			return;
	for (j = i;;) {
		j = (j + 1) & mask;
		if (!m->keys[j])
			break;
		k = hm_home(m->keys[j] - 1, m->cap);
		/* Entry j stays unless its home is cyclically outside (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		m->keys[i] = m->keys[j];
		m->vals[i] = m->vals[j];
		i = j;
	}
	m->keys[i] = 0;
	m->n--;
}

static void hm_free(struct hmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---- the conversion ------------------------------------------------------- */

struct block {
	uint64_t pfn;
	uint64_t seq;		/* the page event that allocated it */
	uint32_t id;
	uint32_t freed;		/* pages of it freed one by one */
	uint8_t order;
};

enum source { SRC_NONE, SRC_KMEM, SRC_VBUDDY };

struct ftrace_conv {
	struct ftrace_opts opts;
	struct ftrace_stats st;
	struct hmap live;	/* head pfn -> index in blocks[] */
	struct hmap freed;	/* pfn -> seq of its last free */
	struct block *blocks;
	uint32_t nr_blocks, cap_blocks;
	uint32_t *spare;	/* indices of unused blocks[] entries */
	uint32_t nr_spare;
	uint32_t *ids;		/* free ids below next_id, a min-heap */
	uint32_t nr_ids, cap_ids, next_id;
	unsigned int max_order;	/* of any block so far */
	uint64_t seq;		/* page events taken */
	enum source source;
	bool have_time;
	char *ops;		/* the operations, as text */
	size_t ops_len;
	FILE *ops_fp;
};

struct ftrace_conv *ftrace_conv_new(const struct ftrace_opts *opts)
{
	struct ftrace_conv *c = xrealloc_or_die(NULL, sizeof(*c));

	memset(c, 0, sizeof(*c));
	if (opts)
		c->opts = *opts;
	if (c->opts.pool) {
		c->source = SRC_VBUDDY;
		c->st.vbuddy = true;
		snprintf(c->st.pool, sizeof(c->st.pool), "%s", c->opts.pool);
	}
	c->ops_fp = open_memstream(&c->ops, &c->ops_len);
	if (!c->ops_fp)
		oom();
	return c;
}

/* The smallest free id (a binary min-heap of them), or a new one. */
static uint32_t id_get(struct ftrace_conv *c)
{
	uint32_t id, i = 0, l, m, t;

	if (!c->nr_ids)
		return c->next_id++;
	id = c->ids[0];
	c->ids[0] = c->ids[--c->nr_ids];
	for (;;) {
		l = 2 * i + 1;
		if (l >= c->nr_ids)
			break;
		m = l + 1 < c->nr_ids && c->ids[l + 1] < c->ids[l] ? l + 1 : l;
		if (c->ids[i] <= c->ids[m])
			break;
		t = c->ids[i];
		c->ids[i] = c->ids[m];
		c->ids[m] = t;
		i = m;
	}
	return id;
}

static void id_put(struct ftrace_conv *c, uint32_t id)
{
	uint32_t i, p, t;

	if (c->nr_ids == c->cap_ids) {
		c->cap_ids = c->cap_ids ? 2 * c->cap_ids : 1024;
		c->ids = xrealloc_or_die(c->ids, c->cap_ids * sizeof(*c->ids));
	}
	i = c->nr_ids++;
	c->ids[i] = id;
	while (i) {
		p = (i - 1) / 2;
		if (c->ids[p] <= c->ids[i])
			break;
		t = c->ids[p];
		c->ids[p] = c->ids[i];
		c->ids[i] = t;
		i = p;
	}
}

/* The live block holding @pfn, as an index in blocks[], or -1. */
static long find_block(const struct ftrace_conv *c, uint64_t pfn)
{
	uint64_t head, last = UINT64_MAX, *v;
	unsigned int o;

	if (!c->live.n)
		return -1;
	for (o = 0; o <= c->max_order; o++) {
		head = pfn & ~((UINT64_C(1) << o) - 1);
		if (head == last)
			continue;
		last = head;
		v = hm_find(&c->live, head);
		if (v && pfn - head < (UINT64_C(1) << c->blocks[*v].order))
			return (long)*v;
	}
	return -1;
}

static void block_end(struct ftrace_conv *c, uint32_t idx)
{
	struct block *b = &c->blocks[idx];

	fprintf(c->ops_fp, "f %u\n", b->id);
	c->st.frees++;
	c->st.live_pages -= 1UL << b->order;
	c->st.live_blocks--;
	hm_del(&c->live, b->pfn);
	id_put(c, b->id);
	c->spare[c->nr_spare++] = idx;
}

/* End every live block whose head lies in [@from, @to). */
static unsigned long end_blocks_in(struct ftrace_conv *c, uint64_t from, uint64_t to)
{
	unsigned long n = 0;
	uint64_t pfn, *v;

	for (pfn = from; pfn < to && c->live.n; pfn++) {
		v = hm_find(&c->live, pfn);
		if (v) {
			block_end(c, (uint32_t)*v);
			n++;
		}
	}
	return n;
}

static void page_alloc(struct ftrace_conv *c, uint64_t pfn, unsigned int order, bool movable)
{
	unsigned long pages = 1UL << order;
	struct block *b;
	long idx;
	uint32_t i;

	c->seq++;
	idx = find_block(c, pfn);
	if (idx >= 0) {
		block_end(c, (uint32_t)idx);
		c->st.overlapped++;
	}
	if (order)
		c->st.overlapped += end_blocks_in(c, pfn + 1, pfn + pages);
	hm_del(&c->freed, pfn);

	if (c->nr_spare) {
		i = c->spare[--c->nr_spare];
	} else {
		if (c->nr_blocks == c->cap_blocks) {
			c->cap_blocks = c->cap_blocks ? 2 * c->cap_blocks : 4096;
			c->blocks = xrealloc_or_die(c->blocks, c->cap_blocks * sizeof(*c->blocks));
			c->spare = xrealloc_or_die(c->spare, c->cap_blocks * sizeof(*c->spare));
		}
		i = c->nr_blocks++;
	}
	b = &c->blocks[i];
	b->pfn = pfn;
	b->seq = c->seq;
	b->id = id_get(c);
	b->freed = 0;
	b->order = order;
	hm_put(&c->live, pfn, i);
	if (order > c->max_order)
		c->max_order = order;

	fprintf(c->ops_fp, "%c %u %lu\n", movable ? 'm' : 'a', b->id, pages);
	c->st.allocs++;
	c->st.movable += movable;
	c->st.alloc_pages += pages;
	c->st.per_order[order]++;
	c->st.live_blocks++;
	c->st.live_pages += pages;
	if (c->st.live_pages > c->st.peak_live_pages)
		c->st.peak_live_pages = c->st.live_pages;
}

static void page_free(struct ftrace_conv *c, uint64_t pfn, unsigned int order)
{
	uint64_t pages = UINT64_C(1) << order, *v;
	struct block *b;
	long idx;

	c->seq++;
	idx = find_block(c, pfn);
	if (idx < 0) {
		/* A free of more than one block? Every live one in its range. */
		if (!order || !end_blocks_in(c, pfn + 1, pfn + pages)) {
			if (hm_find(&c->freed, pfn))
				c->st.repeated_frees++;
			else
				c->st.unknown_frees++;
		}
		hm_put(&c->freed, pfn, c->seq);
		return;
	}
	b = &c->blocks[idx];
	if (b->pfn == pfn && order >= b->order) {
		uint64_t end = pfn + (UINT64_C(1) << b->order);

		block_end(c, (uint32_t)idx);
		if (pfn + pages > end)
			end_blocks_in(c, end, pfn + pages);
		hm_put(&c->freed, pfn, c->seq);
		return;
	}
	/* A part of the block: freed with its last page. */
	v = hm_find(&c->freed, pfn);
	if (v && *v > b->seq) {
		c->st.repeated_frees++;
		return;
	}
	hm_put(&c->freed, pfn, c->seq);
	c->st.partial_frees++;
	if (pages > (UINT64_C(1) << b->order) - (pfn - b->pfn))
		pages = (UINT64_C(1) << b->order) - (pfn - b->pfn);
	b->freed += pages;
	if (b->freed >= (UINT64_C(1) << b->order))
		block_end(c, (uint32_t)idx);
}

/* ---- lines ---------------------------------------------------------------- */

enum event {
	EV_NONE,
	EV_ALLOC,		/* kmem:mm_page_alloc */
	EV_FREE,		/* kmem:mm_page_free */
	EV_FREE_BATCHED,	/* kmem:mm_page_free_batched */
	EV_VB_ALLOC,		/* vbuddy:vbuddy_alloc */
	EV_VB_FREE,		/* vbuddy:vbuddy_free */
};

static const struct {
	const char *name;
	enum event ev;
} event_names[] = {
	{ "mm_page_alloc", EV_ALLOC },
	{ "mm_page_free", EV_FREE },
	{ "mm_page_free_batched", EV_FREE_BATCHED },
	{ "vbuddy_alloc", EV_VB_ALLOC },
	{ "vbuddy_free", EV_VB_FREE },
};

/* "name:" or "system:name:" of one of our events. */
static enum event event_of(const char *w)
{
	size_t len = strlen(w), i;
	const char *colon;

	if (len < 2 || w[len - 1] != ':')
		return EV_NONE;
	len--;
	colon = memchr(w, ':', len);
	if (colon) {
		len -= colon + 1 - w;
		w = colon + 1;
	}
	for (i = 0; i < sizeof(event_names) / sizeof(event_names[0]); i++)
		if (strlen(event_names[i].name) == len && !strncmp(w, event_names[i].name, len))
			return event_names[i].ev;
	return EV_NONE;
}

/* An unsigned number: "0x" hexadecimal, else decimal. */
static bool parse_num(const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;
	int base = 10;

	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	errno = 0;
	x = strtoull(s, &end, base);
	if (errno || end == s || *end)
		return false;
	*v = x;
	return true;
}

/* The value of field @name among @w[0..@n), or NULL. */
static const char *field(char **w, int n, const char *name)
{
	size_t len = strlen(name);
	int i;

	for (i = 0; i < n; i++)
		if (!strncmp(w[i], name, len) && w[i][len] == '=')
			return w[i] + len + 1;
	return NULL;
}

/* "[LOST 12 EVENTS]" (trace, trace_pipe), "[12 EVENTS DROPPED]" (trace-cmd). */
static unsigned long lost_in(const char *line)
{
	const char *p = strstr(line, "[LOST ");
	uint64_t n = 0;
	char buf[32];

	if (p && sscanf(p + 6, "%31[0-9] EVENTS]", buf) == 1 && parse_num(buf, &n))
		return n;
	p = strstr(line, " EVENTS DROPPED]");
	if (p) {
		const char *q = p;

		while (q > line && q[-1] >= '0' && q[-1] <= '9')
			q--;
		if (q > line && q[-1] == '[' && p - q < 20) {
			memcpy(buf, q, p - q);
			buf[p - q] = '\0';
			if (parse_num(buf, &n))
				return n;
		}
	}
	return 0;
}

/* "# entries-in-buffer/entries-written: 140080/140090   #P:2" */
static unsigned long overwritten_in(const char *line)
{
	const char *p = strstr(line, "entries-in-buffer/entries-written:");
	unsigned long long in, written;

	if (p && sscanf(p + 34, " %llu/%llu", &in, &written) == 2 && written > in)
		return written - in;
	return 0;
}

int ftrace_conv_line(struct ftrace_conv *c, const char *line, char *err, size_t errlen)
{
	char buf[1024], *w[MAX_WORDS], *save, *tok, *end;
	const char *s_pfn, *s_order, *s_mt, *s_pool;
	uint64_t pfn, order = 0;
	enum event ev = EV_NONE;
	enum source src;
	int n = 0, i, at = -1;
	bool movable = false;

	c->st.lines++;
	while (*line == ' ' || *line == '\t')
		line++;
	if (!*line || *line == '\n' || *line == '\r')
		return 0;
	if (*line == '#') {
		c->st.lost_events += overwritten_in(line);
		return 0;
	}
	c->st.lost_events += lost_in(line);
	snprintf(buf, sizeof(buf), "%s", line);
	for (tok = strtok_r(buf, " \t\r\n", &save); tok && n < MAX_WORDS;
	     tok = strtok_r(NULL, " \t\r\n", &save))
		w[n++] = tok;
	for (i = 0; i < n && ev == EV_NONE; i++) {
		ev = event_of(w[i]);
		at = i;
	}
	if (ev == EV_NONE) {
		c->st.other_events++;
		return 0;
	}

	src = ev == EV_VB_ALLOC || ev == EV_VB_FREE ? SRC_VBUDDY : SRC_KMEM;
	if (c->source == SRC_NONE) {
		c->source = src;
		c->st.vbuddy = src == SRC_VBUDDY;
	}
	if (src != c->source) {
		c->st.other_source++;
		return 0;
	}
	if (src == SRC_VBUDDY) {
		s_pool = field(w + at + 1, n - at - 1, "pool");
		if (!s_pool) {
			set_err(err, errlen, "line %lu: %s without pool=", c->st.lines, w[at]);
			return -1;
		}
		if (!c->st.pool[0]) {
			snprintf(c->st.pool, sizeof(c->st.pool), "%s", s_pool);
		} else if (strcmp(c->st.pool, s_pool)) {
			if (c->opts.pool) {
				c->st.other_pools++;
				return 0;
			}
			set_err(err, errlen,
				"line %lu: events of several vbuddy pools (%s, %s): choose one with --pool",
				c->st.lines, c->st.pool, s_pool);
			return -1;
		}
	}

	s_pfn = field(w + at + 1, n - at - 1, "pfn");
	s_order = field(w + at + 1, n - at - 1, "order");
	if (!parse_num(s_pfn, &pfn) ||
	    (ev != EV_FREE_BATCHED && !parse_num(s_order, &order)) ||
	    (ev == EV_FREE_BATCHED && s_order && !parse_num(s_order, &order)) ||
	    order > FTRACE_MAX_ORDER) {
		set_err(err, errlen, "line %lu: %s wants pfn= and order= (0..%d)", c->st.lines,
			w[at], FTRACE_MAX_ORDER);
		return -1;
	}
	if (at > 0) {
		double t = strtod(w[at - 1], &end);

		if (end != w[at - 1] && *end == ':') {
			if (!c->have_time)
				c->st.t_first = t;
			c->st.t_last = t;
			c->have_time = true;
		}
	}
	c->st.events++;

	/* mm_page_alloc without a page: pfn printed as 0 (-1 in raw fields) */
	if (ev == EV_ALLOC && (!pfn || pfn == UINT64_MAX || pfn == UINT32_MAX)) {
		c->st.failed_allocs++;
		return 0;
	}
	if (pfn >= MAX_PFN) {
		set_err(err, errlen, "line %lu: pfn %#llx out of range", c->st.lines,
			(unsigned long long)pfn);
		return -1;
	}

	switch (ev) {
	case EV_ALLOC:
		s_mt = field(w + at + 1, n - at - 1, "migratetype");
		movable = s_mt && strtol(s_mt, &end, 10) == MIGRATE_MOVABLE && !*end;
		page_alloc(c, pfn, order, movable);
		break;
	case EV_VB_ALLOC:
		page_alloc(c, pfn, order, false);
		break;
	default:
		page_free(c, pfn, order);
		break;
	}
	return 0;
}

static void write_header(FILE *out, const struct ftrace_conv *c)
{
	const struct ftrace_stats *st = &c->st;
	unsigned int o, top = 0;

	if (st->vbuddy)
		fprintf(out, "# converted by vbuddy-replay from ftrace text of vbuddy:vbuddy_alloc and vbuddy:vbuddy_free, pool %s\n",
			st->pool);
	else
		fprintf(out, "# converted by vbuddy-replay from ftrace text of kmem:mm_page_alloc, kmem:mm_page_free and kmem:mm_page_free_batched\n");
	if (c->opts.source)
		fprintf(out, "# source: %s\n", c->opts.source);
	fprintf(out, "# pages: %lu (the peak of live pages, %lu, rounded up to a multiple of %lu)\n",
		st->pages, st->peak_live_pages, FTRACE_POOL_ROUND);
	if (c->have_time)
		fprintf(out, "# span: %.6f s to %.6f s of the trace (%.3f s)\n",
			st->t_first, st->t_last, st->t_last - st->t_first);
	fprintf(out, "# operations: %lu (%lu allocations of %lu pages, %lu frees)\n",
		st->allocs + st->frees, st->allocs, st->alloc_pages, st->frees);
	for (o = 0; o <= FTRACE_MAX_ORDER; o++)
		if (st->per_order[o])
			top = o;
	fprintf(out, "# allocations per order:");
	for (o = 0; o <= top; o++)
		fprintf(out, " %u:%lu", o, st->per_order[o]);
	fprintf(out, "\n");
	fprintf(out, "# movable (\"m\", MIGRATE_MOVABLE): %lu (%.1f%% of the allocations)\n",
		st->movable, st->allocs ? 100.0 * st->movable / st->allocs : 0.0);
	fprintf(out, "# frees of blocks not allocated in the trace, ignored: %lu (and %lu repeated)\n",
		st->unknown_frees, st->repeated_frees);
	fprintf(out, "# frees of parts of blocks (the block freed with its last page): %lu\n",
		st->partial_frees);
	fprintf(out, "# live blocks ended by an allocation over them (missed frees): %lu\n",
		st->overlapped);
	fprintf(out, "# allocations that failed in the trace, skipped: %lu\n", st->failed_allocs);
	fprintf(out, "# live at the end: %lu blocks, %lu pages\n", st->live_blocks, st->live_pages);
	if (st->other_source || st->other_pools)
		fprintf(out, "# events skipped: %lu of the other kind (kmem, vbuddy), %lu of other pools\n",
			st->other_source, st->other_pools);
	if (st->lost_events)
		fprintf(out, "# WARNING: the trace lost %lu events: blocks may live too long\n",
			st->lost_events);
}

int ftrace_conv_finish(struct ftrace_conv *c, FILE *out, struct ftrace_stats *st,
		       char *err, size_t errlen)
{
	int ret = 0;

	c->st.pages = (c->st.peak_live_pages + FTRACE_POOL_ROUND - 1) / FTRACE_POOL_ROUND *
		      FTRACE_POOL_ROUND;
	if (!c->st.pages)
		c->st.pages = FTRACE_POOL_ROUND;
	if (fclose(c->ops_fp)) {
		set_err(err, errlen, "writing the operations: %s", strerror(errno));
		ret = -1;
	}
	if (!ret && out) {
		write_header(out, c);
		if (c->ops_len && fwrite(c->ops, 1, c->ops_len, out) != c->ops_len) {
			set_err(err, errlen, "writing the trace: %s", strerror(errno));
			ret = -1;
		}
	}
	if (st)
		*st = c->st;
	free(c->ops);
	hm_free(&c->live);
	hm_free(&c->freed);
	free(c->blocks);
	free(c->spare);
	free(c->ids);
	free(c);
	return ret;
}

int ftrace_convert(FILE *in, FILE *out, const struct ftrace_opts *opts,
		   struct ftrace_stats *st, char *err, size_t errlen)
{
	struct ftrace_conv *c = ftrace_conv_new(opts);
	char *line = NULL;
	size_t len = 0;
	int ret = 0;

	while (!ret && getline(&line, &len, in) >= 0)
		ret = ftrace_conv_line(c, line, err, errlen);
	free(line);
	if (!ret && ferror(in)) {
		set_err(err, errlen, "reading the trace: %s", strerror(errno));
		ret = -1;
	}
	if (ret) {
		ftrace_conv_finish(c, NULL, st, NULL, 0);
		return -1;
	}
	return ftrace_conv_finish(c, out, st, err, errlen);
}

/* ---- opening a trace ------------------------------------------------------ */

bool trace_line_native(const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	return (line[0] == 'a' || line[0] == 'f' || line[0] == 'm') &&
	       (line[1] == ' ' || line[1] == '\t');
}

static bool line_blank(const char *line)
{
	while (*line == ' ' || *line == '\t' || *line == '\r' || *line == '\n')
		line++;
	return !*line || *line == '#';
}

struct input {
	FILE *fp;
	pid_t child;		/* the decompressor, or 0 */
	const char *tool;
};

static int input_open(struct input *in, const char *path, char *err, size_t errlen)
{
	static const unsigned char xz_magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	static const unsigned char gz_magic[2] = { 0x1f, 0x8b };
	unsigned char magic[6] = { 0 };
	int fd, p[2];
	ssize_t n;

	memset(in, 0, sizeof(*in));
	if (!strcmp(path, "-")) {
		int ch = getc(stdin);

		if (ch == 0xfd || ch == 0x1f) {
			set_err(err, errlen, "compressed data on stdin: decompress it first, or give the file");
			return -1;
		}
		if (ch != EOF)
			ungetc(ch, stdin);
		in->fp = stdin;
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, magic, sizeof(magic));
	if (n == sizeof(magic) && !memcmp(magic, xz_magic, sizeof(xz_magic)))
		in->tool = "xz";
	else if (n >= 2 && !memcmp(magic, gz_magic, sizeof(gz_magic)))
		in->tool = "gzip";
	if (lseek(fd, 0, SEEK_SET)) {
		set_err(err, errlen, "cannot seek %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!in->tool) {
		in->fp = fdopen(fd, "r");
		if (!in->fp) {
			set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		return 0;
	}
	if (pipe(p)) {
		set_err(err, errlen, "pipe: %s", strerror(errno));
		close(fd);
		return -1;
	}
	fflush(NULL);
	in->child = fork();
	if (in->child < 0) {
		set_err(err, errlen, "fork: %s", strerror(errno));
		close(fd);
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (!in->child) {
		dup2(fd, STDIN_FILENO);
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		execlp(in->tool, in->tool, "-dc", (char *)NULL);
		fprintf(stderr, "cannot run %s: %s\n", in->tool, strerror(errno));
		_exit(127);
	}
	close(fd);
	close(p[1]);
	in->fp = fdopen(p[0], "r");
	if (!in->fp) {
		set_err(err, errlen, "fdopen: %s", strerror(errno));
		close(p[0]);
		waitpid(in->child, NULL, 0);
		return -1;
	}
	return 0;
}

/* Closes @in; -1 (with @err, unless already set by @failed) if reading failed. */
static int input_close(struct input *in, const char *path, bool failed, char *err,
		       size_t errlen)
{
	bool bad = ferror(in->fp);
	int status;

	if (in->fp != stdin)
		fclose(in->fp);
	if (in->child) {
		while (waitpid(in->child, &status, 0) < 0)
			if (errno != EINTR)
				break;
		if (!failed && (!WIFEXITED(status) || WEXITSTATUS(status))) {
			set_err(err, errlen, "%s -dc %s failed", in->tool, path);
			return -1;
		}
	}
	if (!failed && bad) {
		set_err(err, errlen, "reading %s: %s", path, strerror(errno));
		return -1;
	}
	return failed ? -1 : 0;
}

/* A stream over @buf, which it frees when closed. */
struct membuf {
	char *buf;
	size_t len, pos;
};

static ssize_t membuf_read(void *cookie, char *dst, size_t n)
{
	struct membuf *m = cookie;

	if (n > m->len - m->pos)
		n = m->len - m->pos;
	memcpy(dst, m->buf + m->pos, n);
	m->pos += n;
	return n;
}

static int membuf_close(void *cookie)
{
	struct membuf *m = cookie;

	free(m->buf);
	free(m);
	return 0;
}

static FILE *membuf_open(char *buf, size_t len)
{
	static const cookie_io_functions_t fns = {
		.read = membuf_read,
		.close = membuf_close,
	};
	struct membuf *m = xrealloc_or_die(NULL, sizeof(*m));
	FILE *fp;

	m->buf = buf;
	m->len = len;
	m->pos = 0;
	fp = fopencookie(m, "r", fns);
	if (!fp)
		membuf_close(m);
	return fp;
}

FILE *trace_open(const char *path, const struct ftrace_opts *opts, char *err, size_t errlen)
{
	struct ftrace_opts o = { .source = path };
	struct ftrace_conv *c = NULL;
	struct ftrace_stats st;
	char *line = NULL, **pre = NULL, *text = NULL;
	size_t len = 0, nr_pre = 0, i, text_len = 0;
	struct input in;
	bool failed = false, native = false, decided = false;
	FILE *out;

	if (opts)
		o = *opts;
	if (!o.source)
		o.source = path;
	if (input_open(&in, path, err, errlen))
		return NULL;
	out = open_memstream(&text, &text_len);
	if (!out)
		oom();

	/* Blank and comment lines are kept until a line decides the format. */
	while (!failed && getline(&line, &len, in.fp) >= 0) {
		if (!decided && line_blank(line)) {
			pre = xrealloc_or_die(pre, (nr_pre + 1) * sizeof(*pre));
			pre[nr_pre] = strdup(line);
			if (!pre[nr_pre++])
				oom();
			continue;
		}
		if (!decided) {
			decided = true;
			native = trace_line_native(line);
			if (!native)
				c = ftrace_conv_new(&o);
			for (i = 0; i < nr_pre && !failed; i++) {
				if (native)
					fputs(pre[i], out);
				else
					failed = ftrace_conv_line(c, pre[i], err, errlen);
			}
		}
		if (failed)
			break;
		if (native)
			fputs(line, out);
		else
			failed = ftrace_conv_line(c, line, err, errlen);
	}
	free(line);
	if (failed && err && errlen) {	/* a line the conversion refused */
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", err);
		set_err(err, errlen, "%s: %s", path, msg);
	}
	if (!decided) {		/* comments only: an empty trace of our own */
		native = true;
		for (i = 0; i < nr_pre; i++)
			fputs(pre[i], out);
	}
	for (i = 0; i < nr_pre; i++)
		free(pre[i]);
	free(pre);
	failed = input_close(&in, path, failed, err, errlen) != 0;
	if (c) {
		if (failed) {
			ftrace_conv_finish(c, NULL, NULL, NULL, 0);
		} else {
			failed = ftrace_conv_finish(c, out, &st, err, errlen) != 0;
			if (!failed && !st.events) {
				set_err(err, errlen,
					"%s: neither vbuddy-replay operations nor ftrace page events (mm_page_alloc, mm_page_free, vbuddy_alloc, vbuddy_free)",
					path);
				failed = true;
			}
		}
	}
	if (failed && err && !err[0])
		set_err(err, errlen, "%s: cannot read the trace", path);
	if (fclose(out) || failed) {
		if (!failed)
			set_err(err, errlen, "%s: out of memory", path);
		free(text);
		return NULL;
	}
	out = membuf_open(text, text_len);
	if (!out)
		set_err(err, errlen, "%s: fopencookie: %s", path, strerror(errno));
	return out;
}

int trace_copy(const char *path, const struct ftrace_opts *opts, FILE *out,
	       char *err, size_t errlen)
{
	FILE *fp = trace_open(path, opts, err, errlen);
	char buf[65536];
	size_t n;
	int ret = 0;

	if (!fp)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), fp)))
		if (fwrite(buf, 1, n, out) != n) {
			set_err(err, errlen, "writing: %s", strerror(errno));
			ret = -1;
			break;
		}
	fclose(fp);
	if (!ret && fflush(out)) {
		set_err(err, errlen, "writing: %s", strerror(errno));
		ret = -1;
	}
	return ret;
}
