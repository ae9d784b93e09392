// SPDX-License-Identifier: GPL-2.0
/*
 * vbuddy_test: runs the unit cases (unit.c), the randomized test (random.c)
 * and the cases that run the other programs of this directory (tools.c:
 * the fuzz corpus replay and the trace replays) against module/buddy.c and
 * reports in TAP. The last line is always "N passed, M failed"; the exit
 * status is 1 if any case failed. Each case runs in a child process of its
 * own, so that a case that crashes or trips a sanitizer is counted as
 * failed and the others still run.
 *
 * Usage: vbuddy_test [-s SEED] [-n OPS] [-u] [-r] [-x]
 *   -s SEED  seed of the randomized test (also env SEED; default below)
 *   -n OPS   operations per randomized run (also env OPS; default 2000000)
 *   -u       the unit cases
 *   -r       the randomized runs
 *   -x       the corpus and trace replays
 * Without -u, -r or -x, all of them.
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vbuddy_test.h"

#define DEFAULT_SEED		20240601ULL
#define DEFAULT_OPS		2000000UL
#define DEFAULT_CHECK_EVERY	4096U
#define MAX_FAIL_MESSAGES	8

/* A sanitizer report ends the child with this (see the hooks below). */
#define SANITIZER_EXIT		99

/* The sanitizer runtimes read their defaults from these hooks. */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void)
{
	return "exitcode=99:detect_leaks=1";
}

const char *__ubsan_default_options(void)
{
	return "exitcode=99:print_stacktrace=1";
}

static unsigned int fail_count;		/* expectations failed in this case */

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (++fail_count > MAX_FAIL_MESSAGES) {
		if (fail_count == MAX_FAIL_MESSAGES + 1)
			printf("#   (further failures of this case not shown)\n");
		return;
	}
	printf("#   %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

bool test_case_failed(void)
{
	return fail_count != 0;
}

#define ERRNAME(e)	{ -(e), "-" #e }

const char *test_errname(int err)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
		{ 0, "0" }, ERRNAME(EPERM), ERRNAME(ENOENT), ERRNAME(ENOMEM),
		ERRNAME(EFAULT), ERRNAME(EINVAL), ERRNAME(ENOSPC),
		ERRNAME(ERANGE), ERRNAME(EALREADY), ERRNAME(EUCLEAN),
	};
	static char buf[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].err == err)
			return names[i].name;
	snprintf(buf, sizeof(buf), "%d", err);
	return buf;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		printf("Bail out! out of memory\n");
		exit(2);
	}
	return p;
}

struct tpool *tpool_new(u32 max_frames, u32 max_spans)
{
	struct tpool *p = xcalloc(1, sizeof(*p));

	p->frames = xcalloc(max_frames, sizeof(*p->frames));
	p->spans = xcalloc(max_spans, sizeof(*p->spans));
	/* Garbage, so that reading a frame before its span is added shows. */
	memset(p->frames, 0xa5, (size_t)max_frames * sizeof(*p->frames));
	memset(p->spans, 0xa5, (size_t)max_spans * sizeof(*p->spans));
	buddy_init(&p->b, p->frames, max_frames, p->spans, max_spans);
	return p;
}

void tpool_free(struct tpool *p)
{
	if (!p)
		return;
	free(p->frames);
	free(p->spans);
	free(p);
}

void snap_take(struct snap *s, const struct buddy *b)
{
	s->b = *b;
	s->frames = xcalloc(b->max_frames, sizeof(*s->frames));
	s->spans = xcalloc(b->max_spans, sizeof(*s->spans));
	memcpy(s->frames, b->frames, (size_t)b->max_frames * sizeof(*b->frames));
	memcpy(s->spans, b->spans, (size_t)b->max_spans * sizeof(*b->spans));
}

void snap_clone(struct snap *copy, const struct buddy *b)
{
	snap_take(copy, b);
	copy->b.frames = copy->frames;
	copy->b.spans = copy->spans;
}

/*
 * struct buddy is compared field by field (its padding is not state); the
 * storage byte for byte, all of it, also what lies past nr_frames/nr_spans.
 */
bool snap_same(const struct snap *s, const struct buddy *b)
{
	const struct buddy *a = &s->b;
	bool same = true;
	unsigned int o;

	if (a->frames != b->frames || a->spans != b->spans ||
	    a->max_frames != b->max_frames || a->max_spans != b->max_spans ||
	    a->nr_frames != b->nr_frames || a->nr_spans != b->nr_spans ||
	    a->free_frames != b->free_frames) {
		printf("#   struct buddy changed: nr_frames %u->%u nr_spans %u->%u free_frames %lu->%lu\n",
		       a->nr_frames, b->nr_frames, a->nr_spans, b->nr_spans,
		       a->free_frames, b->free_frames);
		same = false;
	}
	for (o = 0; o <= VBUDDY_MAX_ORDER; o++) {
		if (a->free_head[o] != b->free_head[o] ||
		    a->nr_free[o] != b->nr_free[o]) {
			printf("#   order %u changed: head %u->%u nr_free %lu->%lu\n",
			       o, a->free_head[o], b->free_head[o],
			       a->nr_free[o], b->nr_free[o]);
			same = false;
		}
	}
	if (a->max_frames == b->max_frames &&
	    memcmp(s->frames, b->frames,
		   (size_t)b->max_frames * sizeof(*b->frames))) {
		u32 i;

		for (i = 0; i < b->max_frames; i++)
			if (memcmp(&s->frames[i], &b->frames[i], sizeof(s->frames[i])))
				break;
		printf("#   frame index %u changed (first of possibly more)\n", i);
		same = false;
	}
	if (a->max_spans == b->max_spans &&
	    memcmp(s->spans, b->spans, (size_t)b->max_spans * sizeof(*b->spans))) {
		printf("#   span storage changed\n");
		same = false;
	}
	return same;
}

void snap_drop(struct snap *s)
{
	free(s->frames);
	free(s->spans);
	s->frames = NULL;
	s->spans = NULL;
}

/* Counts, not ends: a range may end at ULONG_MAX, where pfn + nr wraps. */
int carve(unsigned long pfn, unsigned long nr, struct blk_desc *out, int max)
{
	int n = 0;

	while (nr) {
		unsigned int order = 0;

		/* Grow while still aligned and inside the range. */
		while (order < VBUDDY_MAX_ORDER &&
		       !(pfn & ((2UL << order) - 1)) && (2UL << order) <= nr)
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

int walk_blocks(const struct buddy *b, unsigned long pfn, unsigned long nr,
		struct blk_desc *out, int max)
{
	unsigned long done = 0;
	int n = 0;

	while (done < nr) {
		unsigned long p = pfn + done;
		struct buddy_block blk;
		int ret = buddy_lookup(b, p, &blk);

		if (ret) {
			test_fail(__FILE__, __LINE__, "buddy_lookup(%lu): %s", p,
				  buddy_strerror(ret));
			return -1;
		}
		if (blk.pfn != p || blk.order > VBUDDY_MAX_ORDER ||
		    (1UL << blk.order) > nr - done || n == max) {
			test_fail(__FILE__, __LINE__,
				  "block at %lu: lookup says pfn %lu order %u", p,
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

bool expect_recovered(const struct buddy *b)
{
	unsigned long want_free[VBUDDY_NR_ORDERS] = { 0 };
	bool ok = true;
	unsigned int o;
	u32 i;

	ok &= EXPECT_OK(buddy_check(b));
	ok &= EXPECT_EQ(b->free_frames, b->nr_frames);
	for (i = 0; i < b->nr_spans; i++) {
		const struct buddy_span *s = &b->spans[i];
		struct blk_desc *want, *got;
		int nw, ng, k;

		want = xcalloc(s->nr, sizeof(*want));
		got = xcalloc(s->nr, sizeof(*got));
		nw = carve(s->pfn, s->nr, want, s->nr);
		ng = walk_blocks(b, s->pfn, s->nr, got, s->nr);
		if (!EXPECT_EQ(ng, nw)) {
			printf("#   span %u (pfn %lu, %u frames) not in maximal blocks\n",
			       i, s->pfn, s->nr);
			ok = false;
		} else {
			for (k = 0; k < nw; k++) {
				if (got[k].pfn != want[k].pfn ||
				    got[k].order != want[k].order ||
				    got[k].state != BUDDY_FREE) {
					test_fail(__FILE__, __LINE__,
						  "span %u block %d: got pfn %lu order %u state %d, want free pfn %lu order %u",
						  i, k, got[k].pfn, got[k].order,
						  got[k].state, want[k].pfn,
						  want[k].order);
					ok = false;
					break;
				}
				want_free[want[k].order]++;
			}
		}
		free(want);
		free(got);
	}
	for (o = 0; o <= VBUDDY_MAX_ORDER; o++)
		ok &= EXPECT_EQ(b->nr_free[o], want_free[o]);
	return ok;
}

void quiet_begin(struct quiet *q)
{
	fflush(stdout);
	fflush(stderr);
	q->tmp = tmpfile();
	q->saved_fd = -1;
	if (!q->tmp)
		return;
	q->saved_fd = dup(STDERR_FILENO);
	if (q->saved_fd < 0 || dup2(fileno(q->tmp), STDERR_FILENO) < 0) {
		if (q->saved_fd >= 0)
			close(q->saved_fd);
		q->saved_fd = -1;
	}
}

void quiet_end(struct quiet *q, const char *prefix)
{
	char line[512];

	fflush(stderr);
	if (q->saved_fd >= 0) {
		dup2(q->saved_fd, STDERR_FILENO);
		close(q->saved_fd);
	}
	if (!q->tmp)
		return;
	rewind(q->tmp);
	while (fgets(line, sizeof(line), q->tmp)) {
		size_t len = strlen(line);

		if (len && line[len - 1] == '\n')
			line[len - 1] = '\0';
		printf("#   %s%s\n", prefix, line);
	}
	fclose(q->tmp);
	q->tmp = NULL;
}

static bool parse_u64(const char *what, const char *s, u64 *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-') {
		fprintf(stderr, "vbuddy_test: bad %s '%s'\n", what, s);
		return false;
	}
	*out = v;
	return true;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: vbuddy_test [-s SEED] [-n OPS] [-u] [-r] [-x]\n"
		"  SEED and OPS may also come from the environment\n");
	exit(2);
}

struct case_ctx {
	void (*unit)(void);		/* a unit or tool case */
	const struct rand_params *rp;
	unsigned int layout;
};

/* Runs one case in a child; true if it passed. */
static bool run_case(const struct case_ctx *c)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		printf("Bail out! fork: %s\n", strerror(errno));
		exit(2);
	}
	if (!pid) {
		bool ok;

		fail_count = 0;
		if (c->unit) {
			c->unit();
			ok = !fail_count;
		} else {
			ok = random_run(c->rp, c->layout) && !fail_count;
		}
		fflush(stdout);
		exit(ok ? 0 : 1);	/* exit(), not _exit(): LSan runs then */
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			printf("Bail out! waitpid: %s\n", strerror(errno));
			exit(2);
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) <= 1)
		return !WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		printf("#   crashed: signal %d\n", WTERMSIG(status));
	else if (WEXITSTATUS(status) == SANITIZER_EXIT)
		printf("#   sanitizer report (on stderr)\n");
	else if (WEXITSTATUS(status) == 23)
		printf("#   LeakSanitizer report (on stderr)\n");
	else
		printf("#   exited with status %d\n", WEXITSTATUS(status));
	return false;
}

int main(int argc, char **argv)
{
	struct rand_params rp = {
		.seed = DEFAULT_SEED,
		.ops = DEFAULT_OPS,
		.check_every = DEFAULT_CHECK_EVERY,
	};
	bool run_unit = false, run_random = false, run_tools = false;
	unsigned int passed = 0, failed = 0, n = 0, i;
	const char *env;
	u64 v;
	int opt;

	setvbuf(stdout, NULL, _IOLBF, 0);

	env = getenv("SEED");
	if (env && *env && !parse_u64("SEED", env, &rp.seed))
		usage();
	env = getenv("OPS");
	if (env && *env) {
		if (!parse_u64("OPS", env, &v))
			usage();
		rp.ops = v;
	}
	while ((opt = getopt(argc, argv, "s:n:urxh")) != -1) {
		switch (opt) {
		case 's':
			if (!parse_u64("seed", optarg, &rp.seed))
				usage();
			break;
		case 'n':
			if (!parse_u64("ops", optarg, &v))
				usage();
			rp.ops = v;
			break;
		case 'u':
			run_unit = true;
			break;
		case 'r':
			run_random = true;
			break;
		case 'x':
			run_tools = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (!run_unit && !run_random && !run_tools)
		run_unit = run_random = run_tools = true;

	printf("TAP version 13\n");
	printf("1..%u\n", (run_unit ? nr_unit_cases : 0) +
			  (run_random ? NR_RANDOM_LAYOUTS : 0) +
			  (run_tools ? nr_tool_cases : 0));

	for (i = 0; run_unit && i < nr_unit_cases; i++) {
		struct case_ctx c = { .unit = unit_cases[i].fn };
		bool ok = run_case(&c);

		if (ok)
			passed++;
		else
			failed++;
		printf("%s %u - %s\n", ok ? "ok" : "not ok", ++n,
		       unit_cases[i].name);
	}

	if (run_random)
		printf("# randomized: seed %llu, %lu ops per run (replay: make check SEED=%llu OPS=%lu)\n",
		       (unsigned long long)rp.seed, rp.ops,
		       (unsigned long long)rp.seed, rp.ops);
	for (i = 0; run_random && i < NR_RANDOM_LAYOUTS; i++) {
		struct case_ctx c = { .rp = &rp, .layout = i };
		bool ok = run_case(&c);

		if (ok)
			passed++;
		else
			failed++;
		printf("%s %u - %s (seed %llu, %lu ops)\n", ok ? "ok" : "not ok",
		       ++n, random_layout_name(i), (unsigned long long)rp.seed,
		       rp.ops);
	}

	for (i = 0; run_tools && i < nr_tool_cases; i++) {
		struct case_ctx c = { .unit = tool_cases[i].fn };
		bool ok = run_case(&c);

		if (ok)
			passed++;
		else
			failed++;
		printf("%s %u - %s\n", ok ? "ok" : "not ok", ++n, tool_cases[i].name);
	}

	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
