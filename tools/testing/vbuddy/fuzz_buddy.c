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
 * kind), buddy_largest_free_order(), compaction runs (a byte: the order
 * 1..VBUDDY_MAX_ORDER, and whether to stop once a block of it is free; a
 * byte: tag 0 or the tag of a live block; two bytes: which moves are
 * refused as pinned, bit k % 16 for the k-th move, unless the parameter
 * is odd; up, or with parameter bit 1 down, or up then down as the
 * callers run it if the tag byte's top bit is set too), and freeing
 * everything.
 *
 * This file only decodes: the reference model (model.c, shared with the
 * randomized test) makes each call and predicts and checks every answer,
 * as model.h describes. Here it checks all it can at every step:
 * buddy_check() and the counters after each one, each refused call
 * against a copy of all of the allocator's storage, each -ENOMEM against
 * every frame; every FZ_VERIFY_EVERY operations and at the end every block
 * buddy_lookup() reports. At the end all is freed and every span must be
 * back in its maximal blocks. Any mismatch prints what happened and
 * abort()s.
 *
 * The Makefile builds this file twice: fuzz_buddy with clang and
 * -fsanitize=fuzzer,address,undefined (make fuzz), and fuzz_buddy_replay
 * with gcc, ASan and UBSan and -DFUZZ_REPLAY_MAIN, which feeds each file
 * (or each file of each directory) named on its command line to the target
 * once: the corpus replay of make check, and a way to rerun a crash
 * reproducer without clang.
 */

#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "sanitizer.h"

#define MAXO		VBUDDY_MAX_ORDER
#define FZ_INIT_SPANS	8	/* at most, at creation */
#define FZ_MAX_SPANS	(FZ_INIT_SPANS + 3)	/* with the spare slots */
#define FZ_MAX_FRAMES	2048U	/* at creation: bounds each buddy_check() */
#define FZ_MAX_RESERVE	1024U	/* spare frame storage for buddy_add_span() */
#define FZ_MAX_STORE	(FZ_MAX_FRAMES + FZ_MAX_RESERVE)
#define FZ_MAX_OPS	4096U
#define FZ_VERIFY_EVERY	64U

/* The input being decoded. */
struct fz {
	const u8 *data;
	size_t size, pos;
	struct model *m;
};

/* The input being replayed (fuzz_buddy_replay only), for messages. */
static const char *fz_input_name;

static void fz_fail(struct model *m, const char *msg)
{
	(void)m;
	fprintf(stderr, "fuzz_buddy: FAIL at %s%s%s\n", msg,
		fz_input_name ? ", input " : "", fz_input_name ? fz_input_name : "");
	fflush(stderr);
	abort();
}

/*
 * Every check at every step. The model's storage is made once, at its
 * largest, and reused by every input: fresh storage each time would keep
 * ASan's quarantine churning. The allocator's own storage and
 * buddy_gather()'s output are allocated per call at their exact size, so
 * that ASan sees any access past them.
 */
static struct model fz_model = {
	.check_every = 1,
	.verify_every = FZ_VERIFY_EVERY,
	.fail = fz_fail,
};

/*
 * A small ASan quarantine: the only memory freed during a run is the
 * harness's own, and a large one costs the fuzzer a third of its speed in
 * page faults.
 */
SANITIZER_DEFAULT_OPTIONS("quarantine_size_mb=16", "print_stacktrace=1")

/* fuzz_buddy_replay -v -v: print each operation and its outcome. */
#define fz_log(f, fmt, ...)						\
	do {								\
		if ((f)->m->verbose > 1)				\
			printf("#   op %lu %s: " fmt "\n", (f)->m->op,	\
			       (f)->m->what ? (f)->m->what : "setup",	\
			       ##__VA_ARGS__);				\
	} while (0)

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

/* ---- operations: what the bytes say, for the model to run ------------------ */

/* get_order() with 4 KiB pages. */
static unsigned int size_to_order(unsigned long size)
{
	unsigned long pages = (size + 4095) >> 12;

	return pages <= 1 ? 0 : ilog2(pages - 1) + 1;
}

/* Free what is left of a gathered batch page by page, in one of four orders. */
static void op_free_batch(struct fz *f, u32 pick, unsigned int how)
{
	struct model *m = f->m;
	unsigned long *pfns = m->pfns;
	u32 i, n = 0, batch = 0;

	for (i = 0; i < m->nr_live; i++) {
		batch = m->live[(pick + i) % m->nr_live].batch;
		if (batch)
			break;
	}
	if (!batch)
		return;
	for (i = 0; i < m->nr_live; i++)
		if (m->live[i].batch == batch)
			pfns[n++] = m->live[i].pfn;
	fz_log(f, "batch %u: %u pages, order %u", batch, n, how);
	for (i = 0; i < n; i++) {
		u32 j;

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
		model_free_slot(m, model_slot_of(m, pfns[j]), how & 4);
		/* Each page is a step; past the 64th, every 64th is checked. */
		if (i < 64 || !(i % 64))
			model_check(m);
	}
}

/* A pfn: mostly one of the pool's frames, sometimes outside every span. */
static unsigned long pick_pfn(struct fz *f)
{
	const struct model *m = f->m;
	const struct model_span *first = &m->sp[0], *last = &m->sp[m->nr_spans - 1];
	u8 k = fz_u8(f);
	u32 v = fz_u16(f), i;

	switch (k & 7) {
	case 4:		/* below the first span */
		return first->pfn ? first->pfn - 1 - v % first->pfn : first->pfn + v;
	case 5:		/* past the last span (wraps to 0 at the top) */
		return last->pfn + last->nr + (v & 0xff);
	case 6:		/* just before a span: a hole, or the end of the previous one */
		i = v % m->nr_spans;
		return m->sp[i].pfn - 1 - (k >> 3);
	case 7:
		return (unsigned long)fz_u64(f);
	default:
		return model_pfn_of_index(f->m, v % m->nr_frames);
	}
}

static void op_bad_free(struct fz *f, unsigned int kind)
{
	struct model *m = f->m;
	u32 pick = fz_u16(f);
	const struct model_live *l = m->nr_live ? &m->live[pick % m->nr_live] : NULL;
	unsigned long pfn;
	unsigned int order;
	u8 x = fz_u8(f);

	switch (kind) {
	case 0:		/* order above the maximum */
		model_free_any(m, l ? l->pfn : m->sp[0].pfn, MAXO + 1 + x, -1);
		break;
	case 1:		/* outside every span, or anywhere */
		model_free_any(m, pick_pfn(f), x % (MAXO + 1), -1);
		break;
	case 2:		/* inside a live block */
		if (l && l->order)
			model_free_any(m, l->pfn + 1 + x % ((1UL << l->order) - 1),
				    x % (MAXO + 1), x & 0x80 ? l->tag : -1);
		break;
	case 3:		/* the head of a live block, another order */
		if (l)
			model_free_any(m, l->pfn, (l->order + 1 + x % MAXO) % (MAXO + 1),
				    x & 0x80 ? l->tag : -1);
		break;
	case 4:		/* a recently freed block again */
		if (m->ring_n) {
			unsigned int n = m->ring_n < MODEL_RING ? m->ring_n : MODEL_RING;
			unsigned int r = (m->ring_n - 1 - x % n) % MODEL_RING;

			model_free_any(m, m->ring[r].pfn, m->ring[r].order, -1);
		}
		break;
	case 5:		/* a frame of the pool, likely free */
		pfn = pick_pfn(f);
		order = x % (MAXO + 1);
		model_free_any(m, pfn, order, -1);
		break;
	case 6:		/* the right block, the wrong tag (also 0 for a tagged one) */
		if (l)
			model_free_any(m, l->pfn, l->order, (x & 1) && l->tag ? 0 :
				    (u8)(l->tag + 1 + (x >> 1) % 255));
		break;
	default:	/* a pfn and order as they come */
		pfn = pick_pfn(f);
		model_free_any(m, pfn, x & 0xf, x & 0x10 ? (int)(x >> 5) : -1);
		break;
	}
}

static void op_tag(struct fz *f, unsigned int kind)
{
	struct model *m = f->m;
	u8 tag = fz_u8(f);
	u32 pick = fz_u16(f);

	if (kind < 5) {
		if (m->nr_live)
			model_set_tag_slot(m, pick % m->nr_live, tag);
		return;
	}
	model_set_tag(m, pick_pfn(f), tag);
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
	struct model *m = f->m;
	const struct model_span *last = &m->sp[m->nr_spans - 1];
	unsigned long pfn, end = last->pfn + last->nr;	/* 0 if it ends at the top */
	u8 g = fz_u8(f);
	u32 nr = decode_size(fz_u16(f));

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
		nr = m->max_frames - m->nr_frames + 1 + (nr & 0xff);
		break;
	default:	/* as it comes */
		pfn = (unsigned long)fz_u64(f);
		break;
	}

	model_add_span(m, pfn, nr);
}

static void op_free_all(struct fz *f, unsigned int how)
{
	struct model *m = f->m;
	u32 i;

	fz_log(f, "%u live blocks, order %u", m->nr_live, how);
	for (i = 0; m->nr_live; i++) {
		u32 slot = how & 1 ? 0 : m->nr_live - 1;

		model_free_slot(m, slot, how & 2);
		/* A step each, as op_free_batch() checks them. */
		if ((how & 4) && (i < 64 || !(i % 64)))
			model_check(m);
	}
	m->batches = 0;
	model_expect_recovered(m);
}

/* ---- setup and the target ----------------------------------------------- */

static void fz_setup(struct fz *f)
{
	struct buddy *b;
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

	/* Exactly this storage, so that ASan sees any access past it. */
	b = model_buddy_new(total + reserve, n + ((h0 >> 5) & 3));
	model_start(f->m, b);
	pfn = base;
	for (i = 0; i < n; i++) {
		pfn += gap[i];
		fz_log(f, "span %u: pfn %lu nr %u", i, pfn, size[i]);
		MODEL_ASSERT(f->m, !model_add_span(f->m, pfn, size[i]),
			     "add_span(%lu, %u) of the layout", pfn, size[i]);
		pfn += size[i];
	}
	model_expect_recovered(f->m);
}

/*
 * A compaction run, every move checked by the model (model_compact()),
 * buddy_check() after it.
 */
static void op_compact(struct fz *f, unsigned int param)
{
	struct model *m = f->m;
	u8 v = fz_u8(f), w = fz_u8(f);
	u64 pins = fz_u16(f) * 0x0001000100010001ULL;
	unsigned int dirs = MODEL_COMPACT_UP;
	u8 tag = 0;

	if ((w & 1) && m->nr_live)
		tag = m->live[(w >> 1) % m->nr_live].tag;
	if (param & 1)
		pins = 0;
	if (param & 2)
		dirs = w & 0x80 ? MODEL_COMPACT_BOTH : MODEL_COMPACT_DOWN;
	fz_log(f, "compact order %u tag %u pins %#llx%s, %s", 1 + v % MAXO, tag,
	       (unsigned long long)pins, v & 0x80 ? ", stop early" : "",
	       dirs == MODEL_COMPACT_UP ? "up" : dirs == MODEL_COMPACT_DOWN ? "down" :
	       "up then down");
	model_compact(m, 1 + v % MAXO, tag, pins, v & 0x80, dirs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz fz = { .data = data, .size = size, .m = &fz_model }, *f = &fz;
	struct model *m = f->m;
	u32 v;

	if (!m->owner)
		model_alloc(m, FZ_MAX_STORE, FZ_MAX_SPANS);
	fz_setup(f);

	while (fz_more(f) && m->op < FZ_MAX_OPS) {
		u8 b = fz_u8(f);
		unsigned int param = b >> 5;

		m->op++;
		switch (b & 31) {
		case 0 ... 7:
			m->what = "alloc";
			v = fz_u8(f);
			model_alloc_order(m, v < 160 ? v & 3 : v % (MAXO + 3));
			break;
		case 8 ... 10:
			m->what = "alloc by size";
			v = fz_u16(f);
			model_alloc_order(m, size_to_order(((unsigned long)v + 1) << (param * 2)));
			break;
		case 11 ... 17:
			m->what = "free";
			v = fz_u16(f);
			if (m->nr_live)
				model_free_slot(m, v % m->nr_live, param & 1);
			break;
		case 18 ... 19:
			m->what = "gather";
			v = fz_u8(f);
			if (param < 4)
				model_gather(m, 1 + v % 16);
			else if (param < 6)
				model_gather(m, 1 + v);
			else if (param == 6)
				model_gather(m, m->b->free_frames);
			else
				model_gather(m, v & 1 ? m->b->free_frames + 1 + (v >> 1) : 0);
			break;
		case 20:
			m->what = "free gathered batch";
			v = fz_u16(f);
			if (m->nr_live)
				op_free_batch(f, v % m->nr_live, param);
			break;
		case 21 ... 24:
			m->what = "bad free";
			op_bad_free(f, param);
			break;
		case 25 ... 26:
			m->what = "lookup";
			model_lookup(m, pick_pfn(f));
			break;
		case 27 ... 28:
			m->what = "tag";
			op_tag(f, param);
			break;
		case 29:
			m->what = "add span";
			op_add_span(f, param);
			break;
		case 30:
			if (param < 4) {
				m->what = "verify";
				model_verify(m);
			} else {
				m->what = "compact";
				op_compact(f, param);
			}
			break;
		default:
			m->what = "free all";
			op_free_all(f, param);
			break;
		}
		model_step(m);
	}

	m->what = "final verify";
	model_verify(m);
	m->what = "final free all";
	op_free_all(f, 0);
	model_buddy_free(m->b);
	m->b = NULL;
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
			fz_model.verbose++;
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
