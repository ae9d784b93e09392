// SPDX-License-Identifier: GPL-2.0
/*
 * vbuddy-replay: replay a page-allocation trace against the vbuddy core
 * (module/buddy.c, built here in userspace).
 *
 * Usage: vbuddy-replay [--pages N] [--policy lifo|address|grouped] [--virtok]
 *                      [--compact] [--series N] [--check-every N]
 *                      [--pool NAME] TRACE
 *        vbuddy-replay --convert [--pool NAME] TRACE > OUT
 *
 * The trace has one operation per line ('#' starts a comment line, blank
 * lines are skipped); ids are unsigned integers:
 *
 *   a <id> <pages>   allocate a contiguous run of <pages> pages: a block
 *                    of order ceil(log2(pages)), as get_order() rounds a
 *                    kmalloc() size; more than 2^VBUDDY_MAX_ORDER pages
 *                    always fail
 *   m <id> <pages>   the same for a movable allocation (MIGRATE_MOVABLE in
 *                    a kernel trace): buddy_alloc_hint(movable), which the
 *                    grouped placement keeps at the top
 *   f <id>           free it; freeing an allocation that failed does
 *                    nothing, as kfree(NULL)
 *
 * An id may be reused once freed. TRACE may also be the kernel's ftrace
 * text of kmem:mm_page_alloc, kmem:mm_page_free and
 * kmem:mm_page_free_batched, or of vbuddy:vbuddy_alloc and
 * vbuddy:vbuddy_free (of one pool, or the pool --pool names), as the trace
 * file, trace_pipe or trace-cmd report print it: ftrace.c converts it to
 * the operations above (keyed by pfn; the rules are in ftrace.c). Either
 * may be compressed with xz or gzip. --convert writes the operations, with
 * a header saying where they came from and the pool they need
 * ("# pages: N"), and replays nothing. With --virtok, a request of 2 to
 * 2^VBUDDY_MAX_ORDER pages whose contiguous allocation fails, while at
 * least <pages> pages are free, is served as GFP_VIRTOK serves it in the
 * kernel: buddy_gather() takes that many scattered frames (smallest free
 * blocks first), each freed on its own later. The kernel's bound on live
 * GFP_VIRTOK ranges (virtok_slots) is not modelled.
 *
 * With --compact, the blocks of "m" allocations are tagged movable
 * (buddy_set_tag()), and a contiguous request of order 1 or more that
 * fails while at least its 2^order pages are free first runs a compaction
 * (buddy_compact_begin_dir() at its order, for the movable tag): each move
 * buddy_compact_next() proposes is made (the id's block becomes the
 * destination) and ended with buddy_compact_done(), until a free block of
 * the order exists or the run ends (no room beyond, no region left). By
 * the callers' rule of the core ("compaction" in buddy.c), the run goes
 * up first and, if it ends without a free block of the order, down
 * (toward the free space below the movable blocks that grouped placement
 * leaves); the two count as one run. Then
 * the request is tried again, and only if that fails too does --virtok's
 * fallback serve it. Nothing is pinned: every move is made.
 *
 * --policy picks the placement (buddy_set_policy(); the module parameter
 * placement), by default grouped, the module's default.
 *
 * The pool holds --pages frames (default: the "# pages: N" line of the
 * trace's header, else 4096) as spans of up to
 * 2^VBUDDY_MAX_ORDER frames, each aligned on that size with a hole after
 * it, as a pool built from alloc_pages() chunks looks. The trace is read
 * and checked first; only the replay loop is timed (CLOCK_MONOTONIC).
 * --check-every N runs buddy_check() every N operations (inside the timed
 * loop: do not compare its ns_per_operation).
 *
 * --series N writes, every N operations and after the last, a CSV row to
 * stdout: op, free_pages, largest_free_order, unusable_1 .. unusable_4
 * (the unusable free space index at orders 1 to 4, 0.000 to 1.000),
 * failed, failed_fragmented and fallbacks (so far, as in the summary),
 * after a header line with those names;
 * the summary below then goes to stderr. scripts/vbuddy-plot --series
 * draws such files.
 *
 * Output, one "name: value" per line: trace, pages, policy, virtok,
 * compact, operations, allocations (requests), allocations_failed (got
 * nothing), allocations_failed_fragmented (of those, the ones that failed
 * with at least as many pages free as they asked for),
 * allocations_failed_twice_free (of those, with at least twice as many),
 * allocations_virtok (served by the fallback), compaction_runs (one a
 * request, up and down), compaction_down_runs (of those, the ones that
 * went on down), compaction_successes (runs after which the request was served
 * contiguously), compaction_failures (the others), compaction_blocks_moved,
 * compaction_pages_moved (all 0 without --compact), frees, ns_per_operation,
 * largest_free_order and unusable_index_order3 (mm/vmstat.c's
 * unusable_free_index() for order 3, 0.000 to 1.000) at the end of the
 * trace, live_at_end, free_pages_at_end, check (buddy_check() at the end),
 * recovered (after freeing everything still live, every span is back in
 * its maximal blocks).
 *
 * Exit status: 0; 1 if the check or the recovery failed, the core refused
 * a free or a compaction call, or a block was not where its id's table
 * said (compaction_errors: N, printed when not 0); 2 for a bad command
 * line or trace.
 */

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buddy.h"
#include "ftrace.h"

#define MAXO		VBUDDY_MAX_ORDER
#define SPAN_FRAMES	(1UL << MAXO)
#define POOL_BASE_PFN	(1UL << 20)
#define DEFAULT_PAGES	4096UL
#define MAX_PAGES	(1UL << 30)
/* The tag of a movable block with --compact (buddy_set_tag()). */
#define TAG_MOVABLE	1

enum slot_state {
	SLOT_NEW,		/* not replayed yet */
	SLOT_BLOCK,		/* a contiguous block */
	SLOT_VIRT,		/* gathered frames */
	SLOT_FAILED,		/* the allocation failed */
	SLOT_FREED,
};

/* One allocation of the trace (one "a" line). */
struct slot {
	unsigned long pfn;	/* SLOT_BLOCK */
	unsigned long *gather;	/* SLOT_VIRT: @pages frames (with --virtok) */
	u32 pages;
	u8 order;
	u8 state;
	u8 movable;		/* an "m" allocation */
};

struct op {
	u32 slot;
	bool alloc;
};

struct id_map {
	unsigned long long *keys;
	u32 *vals;		/* slot + 1 while live, 0 once freed */
	bool *used;
	size_t cap, n;
};

static const char *prog = "vbuddy-replay";
static struct ftrace_opts trace_opts;	/* --pool */

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die("out of memory");
	return p;
}

/* ---- id -> slot, open addressing ---------------------------------------- */

static size_t id_hash(unsigned long long id, size_t cap)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return (size_t)id & (cap - 1);
}

static u32 *id_find(struct id_map *m, unsigned long long id, bool insert)
{
	size_t i;

	if (insert && (m->n + 1) * 2 > m->cap) {
		struct id_map old = *m;

		m->cap = m->cap ? 2 * m->cap : 1024;
		m->keys = xcalloc(m->cap, sizeof(*m->keys));
		m->vals = xcalloc(m->cap, sizeof(*m->vals));
		m->used = xcalloc(m->cap, sizeof(*m->used));
		m->n = 0;
		for (i = 0; i < old.cap; i++)
			if (old.used[i])
				*id_find(m, old.keys[i], true) = old.vals[i];
		free(old.keys);
		free(old.vals);
		free(old.used);
	}
	if (!m->cap)
		return NULL;
	for (i = id_hash(id, m->cap); m->used[i]; i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == id)
			return &m->vals[i];
	if (!insert)
		return NULL;
	m->used[i] = true;
	m->keys[i] = id;
	m->vals[i] = 0;
	m->n++;
	return &m->vals[i];
}

/* ---- the trace ---------------------------------------------------------- */

struct trace {
	struct op *ops;
	size_t nr_ops, cap_ops;
	struct slot *slots;
	size_t nr_slots, cap_slots;
	unsigned long long pages;	/* its header's "# pages: N", or 0 */
};

static bool parse_ull(const char *s, unsigned long long *v)
{
	char *end;

	if (!s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && end != s && !*end;
}

static unsigned int pages_order(unsigned long pages)
{
	return pages <= 1 ? 0 : ilog2(pages - 1) + 1;
}

static void trace_read(struct trace *t, const char *path)
{
	char err[512] = "";
	FILE *fp = trace_open(path, &trace_opts, err, sizeof(err));
	struct id_map ids = { 0 };
	char *line = NULL;
	size_t len = 0, lineno = 0;

	if (!fp)
		die("%s", err);
	while (getline(&line, &len, fp) >= 0) {
		char *kind, *id_s, *pages_s, *extra, *save;
		unsigned long long id, pages;
		u32 *v;

		lineno++;
		if (!t->pages && !strncmp(line, "# pages: ", 9)) {
			char *end;

			t->pages = strtoull(line + 9, &end, 10);
			if (end == line + 9 || t->pages > MAX_PAGES)
				t->pages = 0;
		}
		kind = strtok_r(line, " \t\r\n", &save);
		if (!kind || *kind == '#')
			continue;
		id_s = strtok_r(NULL, " \t\r\n", &save);
		pages_s = strtok_r(NULL, " \t\r\n", &save);
		if (!parse_ull(id_s, &id))
			die("%s:%zu: bad id", path, lineno);
		if (t->nr_ops == t->cap_ops) {
			t->cap_ops = t->cap_ops ? 2 * t->cap_ops : 4096;
			t->ops = xrealloc(t->ops, t->cap_ops * sizeof(*t->ops));
		}
		if (!strcmp(kind, "a") || !strcmp(kind, "m")) {
			struct slot *s;

			extra = strtok_r(NULL, " \t\r\n", &save);
			if (!parse_ull(pages_s, &pages) || !pages || pages > MAX_PAGES || extra)
				die("%s:%zu: want \"%s <id> <pages>\", pages 1..%lu", path,
				    lineno, kind, MAX_PAGES);
			v = id_find(&ids, id, true);
			if (*v)
				die("%s:%zu: id %llu allocated again before its free",
				    path, lineno, id);
			if (t->nr_slots == t->cap_slots) {
				t->cap_slots = t->cap_slots ? 2 * t->cap_slots : 4096;
				t->slots = xrealloc(t->slots, t->cap_slots * sizeof(*t->slots));
			}
			s = &t->slots[t->nr_slots];
			memset(s, 0, sizeof(*s));
			s->pages = pages;
			s->order = pages_order(pages);
			s->movable = *kind == 'm';
			*v = ++t->nr_slots;
			t->ops[t->nr_ops].alloc = true;
		} else if (!strcmp(kind, "f")) {
			v = id_find(&ids, id, false);
			if (pages_s)
				die("%s:%zu: want \"f <id>\"", path, lineno);
			if (!v || !*v)
				die("%s:%zu: free of id %llu, which is not allocated",
				    path, lineno, id);
			t->ops[t->nr_ops].alloc = false;
		} else {
			die("%s:%zu: unknown operation '%s'", path, lineno, kind);
		}
		t->ops[t->nr_ops].slot = *v - 1;
		if (!t->ops[t->nr_ops].alloc)
			*v = 0;
		t->nr_ops++;
	}
	if (ferror(fp))
		die("reading %s: %s", path, strerror(errno));
	free(line);
	free(ids.keys);
	free(ids.vals);
	free(ids.used);
	fclose(fp);
}

/* ---- the pool ----------------------------------------------------------- */

struct pool {
	struct buddy b;
	struct buddy_frame *frames;
	struct buddy_span *spans;
	unsigned long *map;	/* the free maps of an address policy */
};

static void pool_create(struct pool *p, unsigned long pages, unsigned int policy)
{
	u32 nr_spans = (pages + SPAN_FRAMES - 1) / SPAN_FRAMES, i;
	unsigned long left = pages;

	p->frames = xcalloc(pages, sizeof(*p->frames));
	p->spans = xcalloc(nr_spans, sizeof(*p->spans));
	p->map = policy == BUDDY_LIFO ? NULL : xcalloc(buddy_map_words(pages), sizeof(long));
	buddy_init(&p->b, p->frames, pages, p->spans, nr_spans);
	if (buddy_set_policy(&p->b, policy, p->map))
		die("buddy_set_policy(%s) refused", buddy_policy_names[policy]);
	for (i = 0; i < nr_spans; i++) {
		u32 nr = left < SPAN_FRAMES ? left : SPAN_FRAMES;
		int ret = buddy_add_span(&p->b, POOL_BASE_PFN + 2 * i * SPAN_FRAMES, nr);

		if (ret)
			die("buddy_add_span: %s", buddy_strerror(ret));
		left -= nr;
	}
}

/* mm/vmstat.c: fill_contig_page_info() and unusable_free_index(). */
static unsigned int unusable_free_index(const struct buddy *b, unsigned int order)
{
	unsigned long free_pages = 0, suitable = 0;
	unsigned int o;

	for (o = 0; o <= MAXO; o++) {
		free_pages += b->nr_free[o] << o;
		if (o >= order)
			suitable += b->nr_free[o] << (o - order);
	}
	if (!free_pages)
		return 1000;
	return (unsigned int)((free_pages - (suitable << order)) * 1000ULL / free_pages);
}

static void series_row(FILE *out, unsigned long op, const struct buddy *b,
		       unsigned long failed, unsigned long failed_frag, unsigned long fallbacks)
{
	unsigned int o, uix;

	fprintf(out, "%lu,%lu,%d", op, b->free_frames, buddy_largest_free_order(b));
	for (o = 1; o <= 4; o++) {
		uix = unusable_free_index(b, o);
		fprintf(out, ",%u.%03u", uix / 1000, uix % 1000);
	}
	fprintf(out, ",%lu,%lu,%lu\n", failed, failed_frag, fallbacks);
}

/* Every span free and in its maximal blocks: the counters of a fresh pool. */
static bool pool_recovered(const struct buddy *b)
{
	unsigned long want[VBUDDY_NR_ORDERS] = { 0 };
	unsigned int o;
	u32 i;

	if (buddy_check(b) || b->free_frames != b->nr_frames)
		return false;
	for (i = 0; i < b->nr_spans; i++) {
		unsigned long pfn = b->spans[i].pfn, left = b->spans[i].nr;

		while (left) {
			o = MAXO;
			while (o && ((pfn & ((1UL << o) - 1)) || (1UL << o) > left))
				o--;
			want[o]++;
			pfn += 1UL << o;
			left -= 1UL << o;
		}
	}
	for (o = 0; o <= MAXO; o++)
		if (b->nr_free[o] != want[o])
			return false;
	return true;
}

/* ---- compaction (--compact) -------------------------------------------- */

/*
 * Which slot each allocated block belongs to, by the frame index of its
 * head (slot + 1, 0 for none): the "memory" a move copies, so that a block
 * freed or moved is checked to be the one its slot's pfn names.
 */
struct compactor {
	u32 *owner;
	unsigned long runs, down_runs, successes, failures, blocks, pages, errors;
};

static u32 *owner_of(struct compactor *c, const struct buddy *b, unsigned long pfn)
{
	u32 idx;

	if (!c->owner || buddy_index(b, pfn, &idx))
		return NULL;
	return &c->owner[idx];
}

/* @slot's block is now at @s->pfn. */
static void owner_set(struct compactor *c, struct buddy *b, const struct slot *s, u32 slot)
{
	u32 *o = owner_of(c, b, s->pfn);

	if (o)
		*o = slot + 1;
	if (c->owner && s->movable && buddy_set_tag(b, s->pfn, TAG_MOVABLE))
		c->errors++;
}

/* @slot's block at @s->pfn is going: it must be the slot's. */
static void owner_clear(struct compactor *c, const struct buddy *b, const struct slot *s,
			u32 slot)
{
	u32 *o = owner_of(c, b, s->pfn);

	if (!o)
		return;
	if (*o != slot + 1)
		c->errors++;
	*o = 0;
}

/*
 * One direction of a compaction run: move movable blocks until a free
 * block of @order exists or the core ends the run.
 */
static void compact_dir(struct compactor *c, struct buddy *b, struct slot *slots,
			unsigned int order, bool down)
{
	struct buddy_compact cc;
	struct buddy_move mv;
	u32 *src, *dst;
	int ret;

	buddy_compact_begin_dir(&cc, order, TAG_MOVABLE, down);
	while (buddy_largest_free_order(b) < (int)order) {
		ret = buddy_compact_next(b, &cc, &mv);
		if (ret) {
			if (ret != -ENOMEM && ret != -ENODATA)
				c->errors++;
			break;
		}
		src = owner_of(c, b, mv.src);
		dst = owner_of(c, b, mv.dst);
		if (!src || !*src || !dst || *dst ||
		    slots[*src - 1].pfn != mv.src || slots[*src - 1].order != mv.order ||
		    !slots[*src - 1].movable) {
			/* Not a block of ours to move: give it back. */
			c->errors++;
			if (buddy_compact_done(b, &cc, &mv, false))
				c->errors++;
			buddy_compact_skip(&cc);
			continue;
		}
		slots[*src - 1].pfn = mv.dst;
		*dst = *src;
		*src = 0;
		if (buddy_compact_done(b, &cc, &mv, true))
			c->errors++;
		c->blocks++;
		c->pages += 1UL << mv.order;
	}
}

/*
 * A contiguous request of @order failed: the callers' rule of the core
 * ("compaction" in buddy.c), a run up and, if it ends without a free
 * block of @order, a run down; counted as one run. Returns whether one
 * exists.
 */
static bool compact(struct compactor *c, struct buddy *b, struct slot *slots,
		    unsigned int order)
{
	c->runs++;
	compact_dir(c, b, slots, order, false);
	if (buddy_largest_free_order(b) < (int)order) {
		c->down_runs++;
		compact_dir(c, b, slots, order, true);
	}
	return buddy_largest_free_order(b) >= (int)order;
}

/* Frees what @s holds; returns the number of refused frees. */
static unsigned long slot_release(struct buddy *b, struct slot *s)
{
	unsigned long bad = 0, i;

	if (s->state == SLOT_BLOCK) {
		bad += !!buddy_free(b, s->pfn, s->order);
	} else if (s->state == SLOT_VIRT) {
		for (i = 0; i < s->pages; i++)
			bad += !!buddy_free(b, s->gather[i], 0);
	}
	s->state = SLOT_FREED;
	return bad;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: %s [--pages N] [--policy lifo|address|grouped] [--virtok]\n"
		"          [--compact] [--series N] [--check-every N] [--pool NAME] TRACE\n"
		"       %s --convert [--pool NAME] TRACE > OUT\n"
		"  TRACE: lines \"a|m <id> <pages>\" and \"f <id>\", or ftrace text of\n"
		"  kmem:mm_page_alloc/free/free_batched or vbuddy:vbuddy_alloc/free\n"
		"  (xz or gzip too); - reads stdin\n",
		prog, prog);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pages", required_argument, NULL, 'p' },
		{ "virtok", no_argument, NULL, 'v' },
		{ "compact", no_argument, NULL, 'k' },
		{ "check-every", required_argument, NULL, 'c' },
		{ "convert", no_argument, NULL, 'C' },
		{ "pool", required_argument, NULL, 'P' },
		{ "policy", required_argument, NULL, 'o' },
		{ "series", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long pages = 0, check_every = 0, series = 0;
	unsigned int policy = BUDDY_GROUPED;
	FILE *sum = stdout;
	unsigned long allocs = 0, failed = 0, failed_frag = 0, failed_twice = 0;
	unsigned long virtok_served = 0, frees = 0;
	struct compactor comp = { 0 };
	unsigned long refused = 0, checks_failed = 0, live = 0, *gbuf = NULL;
	unsigned long gtotal = 0, i;
	struct timespec t0, t1;
	struct trace t = { 0 };
	struct pool p;
	bool virtok = false, compact_on = false, convert = false, check_ok, recovered;
	char err[512] = "";
	unsigned int uix;
	double ns;
	int opt;

	while ((opt = getopt_long(argc, argv, "p:vc:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (!parse_ull(optarg, &pages) || !pages || pages > MAX_PAGES)
				die("--pages wants 1..%lu", MAX_PAGES);
			break;
		case 'v':
			virtok = true;
			break;
		case 'k':
			compact_on = true;
			break;
		case 'c':
			if (!parse_ull(optarg, &check_every))
				die("--check-every wants a number");
			break;
		case 'C':
			convert = true;
			break;
		case 'P':
			trace_opts.pool = optarg;
			break;
		case 'o':
			for (policy = 0; policy < BUDDY_NR_POLICIES; policy++)
				if (!strcmp(optarg, buddy_policy_names[policy]))
					break;
			if (policy == BUDDY_NR_POLICIES)
				die("--policy wants lifo, address or grouped");
			break;
		case 's':
			if (!parse_ull(optarg, &series) || !series)
				die("--series wants a number of operations, 1 or more");
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	if (convert) {
		if (trace_copy(argv[optind], &trace_opts, stdout, err, sizeof(err)))
			die("%s", err);
		return 0;
	}

	trace_read(&t, argv[optind]);
	if (!pages)
		pages = t.pages ? t.pages : DEFAULT_PAGES;
	pool_create(&p, pages, policy);
	if (compact_on)
		comp.owner = xcalloc(pages, sizeof(*comp.owner));
	if (series) {
		sum = stderr;
		printf("op,free_pages,largest_free_order,unusable_1,unusable_2,unusable_3,unusable_4,failed,failed_fragmented,fallbacks\n");
		series_row(stdout, 0, &p.b, 0, 0, 0);
	}

	/* Room for every possible fallback, so that the loop allocates nothing. */
	if (virtok) {
		for (i = 0; i < t.nr_slots; i++)
			if (t.slots[i].pages > 1 && t.slots[i].pages <= SPAN_FRAMES)
				gtotal += t.slots[i].pages;
		gbuf = xcalloc(gtotal, sizeof(*gbuf));
		for (i = 0, gtotal = 0; i < t.nr_slots; i++) {
			if (t.slots[i].pages > 1 && t.slots[i].pages <= SPAN_FRAMES) {
				t.slots[i].gather = gbuf + gtotal;
				gtotal += t.slots[i].pages;
			}
		}
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < t.nr_ops; i++) {
		struct slot *s = &t.slots[t.ops[i].slot];

		if (t.ops[i].alloc) {
			bool ok;

			allocs++;
			ok = !buddy_alloc_hint(&p.b, s->order, s->movable, &s->pfn);
			/* Compaction, where it may help: enough pages are free. */
			if (!ok && compact_on && s->order && s->order <= MAXO &&
			    p.b.free_frames >= 1UL << s->order) {
				ok = compact(&comp, &p.b, t.slots, s->order) &&
				     !buddy_alloc_hint(&p.b, s->order, s->movable, &s->pfn);
				if (ok)
					comp.successes++;
				else
					comp.failures++;
			}
			if (ok) {
				s->state = SLOT_BLOCK;
				owner_set(&comp, &p.b, s, t.ops[i].slot);
			} else if (s->gather && p.b.free_frames >= s->pages &&
				   !buddy_gather(&p.b, s->pages, s->gather)) {
				s->state = SLOT_VIRT;
				virtok_served++;
			} else {
				s->state = SLOT_FAILED;
				failed++;
				/* Enough pages free, no run of them: fragmentation. */
				failed_frag += p.b.free_frames >= s->pages;
				failed_twice += p.b.free_frames >= 2UL * s->pages;
			}
		} else {
			frees++;
			if (s->state == SLOT_BLOCK)
				owner_clear(&comp, &p.b, s, t.ops[i].slot);
			refused += slot_release(&p.b, s);
		}
		if (check_every && !((i + 1) % check_every) && buddy_check(&p.b))
			checks_failed++;
		if (series && (!((i + 1) % series) || i + 1 == t.nr_ops))
			series_row(stdout, i + 1, &p.b, failed, failed_frag, virtok_served);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);

	fprintf(sum, "trace: %s\n", argv[optind]);
	fprintf(sum, "pages: %llu\n", pages);
	fprintf(sum, "policy: %s\n", buddy_policy_names[policy]);
	fprintf(sum, "virtok: %s\n", virtok ? "yes" : "no");
	fprintf(sum, "compact: %s\n", compact_on ? "yes" : "no");
	fprintf(sum, "operations: %zu\n", t.nr_ops);
	fprintf(sum, "allocations: %lu\n", allocs);
	fprintf(sum, "allocations_failed: %lu\n", failed);
	fprintf(sum, "allocations_failed_fragmented: %lu\n", failed_frag);
	fprintf(sum, "allocations_failed_twice_free: %lu\n", failed_twice);
	fprintf(sum, "allocations_virtok: %lu\n", virtok_served);
	fprintf(sum, "compaction_runs: %lu\n", comp.runs);
	fprintf(sum, "compaction_down_runs: %lu\n", comp.down_runs);
	fprintf(sum, "compaction_successes: %lu\n", comp.successes);
	fprintf(sum, "compaction_failures: %lu\n", comp.failures);
	fprintf(sum, "compaction_blocks_moved: %lu\n", comp.blocks);
	fprintf(sum, "compaction_pages_moved: %lu\n", comp.pages);
	fprintf(sum, "frees: %lu\n", frees);
	fprintf(sum, "ns_per_operation: %.1f\n", t.nr_ops ? ns / t.nr_ops : 0.0);
	fprintf(sum, "largest_free_order: %d\n", buddy_largest_free_order(&p.b));
	uix = unusable_free_index(&p.b, 3);
	fprintf(sum, "unusable_index_order3: %u.%03u\n", uix / 1000, uix % 1000);
	for (i = 0; i < t.nr_slots; i++)
		live += t.slots[i].state == SLOT_BLOCK || t.slots[i].state == SLOT_VIRT;
	fprintf(sum, "live_at_end: %lu\n", live);
	fprintf(sum, "free_pages_at_end: %lu\n", p.b.free_frames);

	check_ok = !buddy_check(&p.b) && !checks_failed;
	fprintf(sum, "check: %s\n", check_ok ? "ok" : "FAILED");
	for (i = 0; i < t.nr_slots; i++) {
		if (t.slots[i].state == SLOT_BLOCK)
			owner_clear(&comp, &p.b, &t.slots[i], i);
		refused += slot_release(&p.b, &t.slots[i]);
	}
	recovered = pool_recovered(&p.b);
	fprintf(sum, "recovered: %s\n", recovered ? "yes" : "NO");
	if (refused)
		fprintf(sum, "refused_frees: %lu\n", refused);
	if (comp.errors)
		fprintf(sum, "compaction_errors: %lu\n", comp.errors);

	free(gbuf);
	free(t.ops);
	free(t.slots);
	free(p.frames);
	free(p.spans);
	free(p.map);
	free(comp.owner);
	return check_ok && recovered && !refused && !comp.errors ? 0 : 1;
}
