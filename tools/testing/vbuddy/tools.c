// SPDX-License-Identifier: GPL-2.0
/*
 * Cases that run the other programs built in this directory, found next to
 * the vbuddy_test binary:
 *
 *   fuzz_buddy_replay    the libFuzzer target built with gcc, over every
 *                        file of corpus/: each must replay clean
 *   vbuddy-replay-asan   vbuddy-replay under ASan and UBSan, over each
 *                        trace of traces/ with and without --virtok (the
 *                        real one in the pool its header asks for), and an
 *                        all-movable copy of the pressure trace with and
 *                        without --compact; what it prints must show the
 *                        expected relations; and over ftrace text, read
 *                        directly and converted
 */

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ftrace.h"
#include "vbuddy_test.h"

/* The directory of the running binary, where the others are built. */
static const char *here(void)
{
	static char dir[PATH_MAX];
	ssize_t n;
	char *slash;

	if (dir[0])
		return dir;
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0) {
		snprintf(dir, sizeof(dir), ".");
		return dir;
	}
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	return dir;
}

/*
 * Runs @argv with stdout captured (stderr stays ours, where sanitizer
 * reports go). Returns the output, NUL-terminated, and the wait status.
 */
static char *run_capture(char *const argv[], int *status)
{
	size_t len = 0, cap = 4096;
	char *out = xcalloc(cap, 1);
	int fd[2];
	pid_t pid;
	ssize_t n;

	fflush(stdout);
	fflush(stderr);
	if (pipe(fd)) {
		printf("Bail out! pipe\n");
		exit(2);
	}
	pid = fork();
	if (pid < 0) {
		printf("Bail out! fork\n");
		exit(2);
	}
	if (!pid) {
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		execv(argv[0], argv);
		fprintf(stderr, "cannot run %s\n", argv[0]);
		_exit(127);
	}
	close(fd[1]);
	for (;;) {
		if (len + 1 == cap) {
			char *nb = realloc(out, cap *= 2);

			if (!nb) {
				printf("Bail out! out of memory\n");
				exit(2);
			}
			out = nb;
		}
		n = read(fd[0], out + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	out[len] = '\0';
	close(fd[0]);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR) {
			printf("Bail out! waitpid\n");
			exit(2);
		}
	return out;
}

static bool exited_ok(const char *what, int status)
{
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return true;
	if (WIFSIGNALED(status))
		test_fail(__FILE__, __LINE__, "%s: killed by signal %d", what,
			  WTERMSIG(status));
	else
		test_fail(__FILE__, __LINE__, "%s: exit status %d", what,
			  WEXITSTATUS(status));
	return false;
}

/* Echoes @out as TAP diagnostics (a leading "# " of a line dropped). */
static void echo_diag(const char *out)
{
	const char *p = out;

	while (*p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		if (!strncmp(p, "# ", 2) && len >= 2) {
			p += 2;
			len -= 2;
		}
		printf("#   %.*s\n", len, p);
		p += len;
		if (*p == '\n')
			p++;
	}
}

static void case_corpus(void)
{
	char prog[PATH_MAX + 32], dir[PATH_MAX + 32];
	char *argv[] = { prog, dir, NULL };
	char *out;
	int status;

	snprintf(prog, sizeof(prog), "%s/fuzz_buddy_replay", here());
	snprintf(dir, sizeof(dir), "%s/corpus", here());
	out = run_capture(argv, &status);
	echo_diag(out);
	if (exited_ok("fuzz_buddy_replay corpus/", status))
		EXPECT(strstr(out, "replayed clean"));
	free(out);
}

/* ---- traces ------------------------------------------------------------- */

struct replay_out {
	long operations, allocations, failed, failed_frag, virtok, frees, largest;
	long live, free_pages, failed_twice;
	long comp_runs, comp_down, comp_successes, comp_failures, comp_blocks, comp_pages;
	unsigned int uix;	/* unusable index, in thousandths */
	bool check_ok, recovered, parsed;
};

static bool field(const char *out, const char *name, char *val, size_t len)
{
	size_t nl = strlen(name);
	const char *p = out;

	while (p && *p) {
		if (!strncmp(p, name, nl) && p[nl] == ':' && p[nl + 1] == ' ') {
			const char *v = p + nl + 2, *e = strchr(v, '\n');
			size_t n = e ? (size_t)(e - v) : strlen(v);

			if (n >= len)
				n = len - 1;
			memcpy(val, v, n);
			val[n] = '\0';
			return true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

static bool field_long(const char *out, const char *name, long *v)
{
	char buf[64], *end;

	if (!field(out, name, buf, sizeof(buf)))
		return false;
	*v = strtol(buf, &end, 10);
	return end != buf && !*end;
}

/*
 * vbuddy-replay-asan over traces/@trace (or @trace itself, an absolute
 * path), in a pool of @pages (0: its default), under placement @policy
 * (NULL: the default), with --compact if @compact.
 */
static bool run_replay_full(const char *trace, unsigned long pages, const char *policy,
			    bool virtok, bool compact, struct replay_out *r)
{
	char prog[PATH_MAX + 32], path[PATH_MAX + 64], buf[64], pages_arg[32];
	char policy_arg[64];
	char *argv[9], *out;
	unsigned int a, b;
	int status, n = 0;
	bool ok;

	snprintf(prog, sizeof(prog), "%s/vbuddy-replay-asan", here());
	if (trace[0] == '/')
		snprintf(path, sizeof(path), "%s", trace);
	else
		snprintf(path, sizeof(path), "%s/traces/%s", here(), trace);
	argv[n++] = prog;
	argv[n++] = "--check-every=1000";
	if (pages) {
		snprintf(pages_arg, sizeof(pages_arg), "--pages=%lu", pages);
		argv[n++] = pages_arg;
	}
	if (policy) {
		snprintf(policy_arg, sizeof(policy_arg), "--policy=%s", policy);
		argv[n++] = policy_arg;
	}
	if (virtok)
		argv[n++] = "--virtok";
	if (compact)
		argv[n++] = "--compact";
	argv[n++] = path;
	argv[n] = NULL;

	memset(r, 0, sizeof(*r));
	out = run_capture(argv, &status);
	ok = exited_ok(virtok ? "vbuddy-replay-asan --virtok" : "vbuddy-replay-asan",
		       status);
	r->parsed = field_long(out, "operations", &r->operations) &&
		    field_long(out, "allocations", &r->allocations) &&
		    field_long(out, "allocations_failed", &r->failed) &&
		    field_long(out, "allocations_failed_fragmented", &r->failed_frag) &&
		    field_long(out, "allocations_failed_twice_free", &r->failed_twice) &&
		    field_long(out, "allocations_virtok", &r->virtok) &&
		    field_long(out, "compaction_runs", &r->comp_runs) &&
		    field_long(out, "compaction_down_runs", &r->comp_down) &&
		    field_long(out, "compaction_successes", &r->comp_successes) &&
		    field_long(out, "compaction_failures", &r->comp_failures) &&
		    field_long(out, "compaction_blocks_moved", &r->comp_blocks) &&
		    field_long(out, "compaction_pages_moved", &r->comp_pages) &&
		    field_long(out, "frees", &r->frees) &&
		    field_long(out, "largest_free_order", &r->largest) &&
		    field_long(out, "live_at_end", &r->live) &&
		    field_long(out, "free_pages_at_end", &r->free_pages) &&
		    field(out, "ns_per_operation", buf, sizeof(buf)) &&
		    field(out, "unusable_index_order3", buf, sizeof(buf)) &&
		    sscanf(buf, "%u.%3u", &a, &b) == 2;
	if (r->parsed)
		r->uix = a * 1000 + b;
	r->check_ok = field(out, "check", buf, sizeof(buf)) && !strcmp(buf, "ok");
	r->recovered = field(out, "recovered", buf, sizeof(buf)) && !strcmp(buf, "yes");
	ok &= EXPECT(r->parsed);
	ok &= EXPECT(r->check_ok);
	ok &= EXPECT(r->recovered);
	ok &= EXPECT(r->uix <= 1000);
	ok &= EXPECT(r->largest >= -1 && r->largest <= VBUDDY_MAX_ORDER);
	ok &= EXPECT(r->failed + r->virtok <= r->allocations);
	ok &= EXPECT(r->failed_frag <= r->failed);
	ok &= EXPECT(r->failed_twice <= r->failed_frag);
	ok &= EXPECT_EQ(r->comp_successes + r->comp_failures, r->comp_runs);
	ok &= EXPECT(r->comp_blocks <= r->comp_pages);
	ok &= EXPECT(r->comp_down <= r->comp_runs);
	if (!compact)
		ok &= EXPECT(!r->comp_runs && !r->comp_blocks);
	if (!ok)
		echo_diag(out);
	free(out);
	return ok;
}

static bool run_replay_policy(const char *trace, unsigned long pages, const char *policy,
			      bool virtok, struct replay_out *r)
{
	return run_replay_full(trace, pages, policy, virtok, false, r);
}

static bool run_replay(const char *trace, unsigned long pages, bool virtok,
		       struct replay_out *r)
{
	return run_replay_policy(trace, pages, NULL, virtok, r);
}

static void show(const char *what, const struct replay_out *r)
{
	printf("#   %-10s %ld ops, %ld allocations: %ld failed, %ld by the fallback; largest free order %ld, unusable index(3) %u.%03u\n",
	       what, r->operations, r->allocations, r->failed, r->virtok,
	       r->largest, r->uix / 1000, r->uix % 1000);
}

/* Both modes replay the same trace: same operations, sane relations. */
static bool replay_both(const char *trace, unsigned long pages, struct replay_out *plain,
			struct replay_out *virt)
{
	bool ok = run_replay(trace, pages, false, plain) & run_replay(trace, pages, true, virt);

	if (!ok)
		return false;
	show("plain:", plain);
	show("--virtok:", virt);
	ok &= EXPECT_EQ(plain->operations, virt->operations);
	ok &= EXPECT_EQ(plain->allocations, virt->allocations);
	ok &= EXPECT_EQ(plain->frees, virt->frees);
	ok &= EXPECT_EQ(plain->virtok, 0);
	return ok;
}

static void case_checkerboard(void)
{
	struct replay_out p, v;

	if (!replay_both("checkerboard.trace", 0, &p, &v))
		return;
	/* Every 4-page request fails without the fallback, ... */
	EXPECT(p.failed > 0);
	EXPECT_EQ(p.failed, p.allocations - 4096);
	/* ... the fallback serves them from the scattered pages, ... */
	EXPECT(v.virtok > 0);
	EXPECT(v.failed < p.failed);
	/* ... and a checkerboard has no free block above order 0. */
	EXPECT_EQ(p.largest, 0);
	EXPECT_EQ(p.uix, 1000);
	EXPECT_EQ(p.free_pages, 2048);
}

static void case_mixed(void)
{
	struct replay_out p, v;

	if (!replay_both("mixed.trace", 0, &p, &v))
		return;
	EXPECT(p.operations >= 10000);
	EXPECT(p.failed > 0);
	EXPECT(v.virtok > 0);
	EXPECT(v.failed < p.failed);
}

/* "# NAME: N" in the header of traces/@trace (read through trace_open()). */
static bool header_number(const char *trace, const char *name, unsigned long *v)
{
	char path[PATH_MAX + 64], err[512], *line = NULL;
	size_t len = 0, nl = strlen(name);
	bool found = false;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/traces/%s", here(), trace);
	fp = trace_open(path, NULL, err, sizeof(err));
	if (!fp) {
		test_fail(__FILE__, __LINE__, "%s", err);
		return false;
	}
	while (!found && getline(&line, &len, fp) >= 0 && line[0] == '#')
		found = !strncmp(line + 2, name, nl) && line[2 + nl] == ':' &&
			sscanf(line + 3 + nl, " %lu", v) == 1;
	free(line);
	fclose(fp);
	if (!found)
		test_fail(__FILE__, __LINE__, "no \"# %s: N\" in the header of %s", name, trace);
	return found;
}

/*
 * The real trace (scripts/capture-trace.sh), xz-compressed, in the pool
 * its header asks for: it replays, checks and recovers in both modes, with
 * every operation of the header. How many fail depends on the placement,
 * so no count is expected here (Documentation/benchmarks.rst has them).
 */
static void case_real(void)
{
	static const char trace[] = "real-6.12.trace.xz";
	unsigned long pages, ops, allocs;
	struct replay_out p, v;

	if (!header_number(trace, "pages", &pages) ||
	    !header_number(trace, "operations", &ops))
		return;
	if (!replay_both(trace, pages, &p, &v))
		return;
	EXPECT_EQ(p.operations, ops);
	allocs = p.allocations;
	EXPECT(allocs > 0 && allocs < ops);
	EXPECT_EQ(p.frees + p.allocations, ops);
}

/*
 * Placement, measured: on the pressure trace (generated, 95% full of short-
 * and long-lived blocks) and on the real trace in a pool below its peak,
 * the default placement refuses fewer requests for fragmentation, and
 * needs fewer GFP_VIRTOK fallbacks, than LIFO, vbuddy's first placement.
 * Deterministic counts, no timing; Documentation/benchmarks.rst has the
 * figures and why the margin is wide (about 2x on both traces).
 */
static void placement_beats_lifo(const char *trace, unsigned long pages)
{
	struct replay_out lp, lv, dp, dv;

	if (!(run_replay_policy(trace, pages, "lifo", false, &lp) &
	      run_replay_policy(trace, pages, "lifo", true, &lv) &
	      run_replay_policy(trace, pages, NULL, false, &dp) &
	      run_replay_policy(trace, pages, NULL, true, &dv)))
		return;
	printf("#   %s, %lu pages: refused for fragmentation %ld (lifo) vs %ld; fallbacks %ld vs %ld\n",
	       trace, pages, lp.failed_frag, dp.failed_frag, lv.virtok, dv.virtok);
	EXPECT(lp.failed_frag > 0);
	EXPECT(dp.failed_frag < lp.failed_frag);
	EXPECT(dv.virtok < lv.virtok);
	/* The fallback serves whatever fragmentation refused. */
	EXPECT_EQ(dv.failed_frag, 0);
}

static void case_placement(void)
{
	placement_beats_lifo("pressure.trace", 4096);
	placement_beats_lifo("real-6.12.trace.xz", 22016);
}

/*
 * traces/@trace with every "a" turned into "m" (all allocations movable),
 * written to @path (a mkstemp() template).
 */
static bool all_movable(const char *trace, char *path)
{
	char src[PATH_MAX + 64], *line = NULL;
	size_t len = 0;
	FILE *in, *out;
	bool ok;
	int fd;

	snprintf(src, sizeof(src), "%s/traces/%s", here(), trace);
	in = fopen(src, "r");
	if (!EXPECT(in))
		return false;
	fd = mkstemp(path);
	out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!EXPECT(out)) {
		fclose(in);
		return false;
	}
	while (getline(&line, &len, in) >= 0) {
		if (line[0] == 'a' && line[1] == ' ')
			line[0] = 'm';
		fputs(line, out);
	}
	ok = !ferror(in) & !ferror(out);
	free(line);
	fclose(in);
	ok &= !fclose(out);
	return EXPECT(ok);
}

/*
 * The target of compaction: the pressure trace with every allocation
 * movable, under grouped placement (the default) and address placement,
 * with --compact (and --virtok behind it) needs no fallback and refuses
 * no request while twice its size is free; without --compact the same
 * trace needs fallbacks, and refuses requests with twice their size free.
 * Grouped placement puts the movable blocks at the top and the free space
 * below them, where only a run down reaches it: some request there needs
 * the run down that follows a failed run up.
 */
static void case_compact(void)
{
	static const char *const policies[] = { NULL, "address" };
	char path[] = "/tmp/vbuddy-movable-XXXXXX";
	struct replay_out cv, v, p;
	unsigned int i;

	if (!all_movable("pressure.trace", path))
		return;
	for (i = 0; i < ARRAY_SIZE(policies); i++) {
		const char *name = policies[i] ? policies[i] : "grouped (default)";

		if (!(run_replay_full(path, 4096, policies[i], true, true, &cv) &
		      run_replay_full(path, 4096, policies[i], true, false, &v) &
		      run_replay_full(path, 4096, policies[i], false, false, &p)))
			continue;
		printf("#   all-movable pressure.trace, %s: --compact --virtok: %ld fallbacks, %ld refused with twice free, %ld runs (%ld went down, %ld failed), %ld blocks/%ld pages moved\n",
		       name, cv.virtok, cv.failed_twice, cv.comp_runs, cv.comp_down,
		       cv.comp_failures, cv.comp_blocks, cv.comp_pages);
		printf("#   without --compact: %ld fallbacks (--virtok), %ld refused with twice free (without)\n",
		       v.virtok, p.failed_twice);
		EXPECT_EQ(cv.virtok, 0);
		EXPECT_EQ(cv.failed_twice, 0);
		EXPECT(cv.comp_runs > 0 && cv.comp_blocks > 0);
		EXPECT_EQ(cv.comp_failures, 0);
		EXPECT_EQ(cv.operations, v.operations);
		/* The test can fail: without compaction the target is missed. */
		EXPECT(v.virtok > 0);
		EXPECT(p.failed_twice > 0);
		/* Grouped: the run up alone is not enough. */
		if (!policies[i])
			EXPECT(cv.comp_down > 0);
	}
	unlink(path);
}

/* ftrace text straight into vbuddy-replay-asan, and through --convert. */
static void case_ftrace_replay(void)
{
	static const char text[] =
		"# tracer: nop\n"
		"  sh-1 [000] ..... 9.000001: mm_page_alloc: page=00000000cccc0000 pfn=0xa000 order=1 migratetype=1 gfp_flags=GFP_USER\n"
		"  sh-1 [000] ..... 9.000002: mm_page_alloc: page=00000000cccc1111 pfn=0xb000 order=3 migratetype=0 gfp_flags=GFP_KERNEL\n"
		"  sh-1 [000] ..... 9.000003: mm_page_free: page=00000000cccc0000 pfn=0xa000 order=1\n"
		"  sh-1 [000] ..... 9.000004: mm_page_free: page=00000000dddd0000 pfn=0xc000 order=0\n";
	char prog[PATH_MAX + 32], path[] = "/tmp/vbuddy-ftrace-replay-XXXXXX";
	char *argv[5], *out;
	long v;
	int fd, status;

	fd = mkstemp(path);
	if (!EXPECT(fd >= 0))
		return;
	EXPECT_EQ(write(fd, text, sizeof(text) - 1), (long)sizeof(text) - 1);
	close(fd);
	snprintf(prog, sizeof(prog), "%s/vbuddy-replay-asan", here());

	argv[0] = prog;
	argv[1] = path;
	argv[2] = NULL;
	out = run_capture(argv, &status);
	if (exited_ok("vbuddy-replay-asan FTRACE", status)) {
		EXPECT(field_long(out, "operations", &v) && v == 3);
		EXPECT(field_long(out, "allocations", &v) && v == 2);
		EXPECT(field_long(out, "live_at_end", &v) && v == 1);
	} else {
		echo_diag(out);
	}
	free(out);

	argv[1] = "--convert";
	argv[2] = path;
	argv[3] = NULL;
	out = run_capture(argv, &status);
	if (exited_ok("vbuddy-replay-asan --convert FTRACE", status)) {
		EXPECT(strstr(out, "# pages: 1024 (the peak of live pages, 10, "));
		EXPECT(strstr(out, "\nm 0 2\na 1 8\nf 0\n"));
		EXPECT(strstr(out, "# frees of blocks not allocated in the trace, ignored: 1 "));
	}
	free(out);
	unlink(path);
}

const struct test_case tool_cases[] = {
	{ "fuzz corpus replays clean (fuzz_buddy_replay corpus/)", case_corpus },
	{ "replay checkerboard.trace with and without --virtok", case_checkerboard },
	{ "replay mixed.trace with and without --virtok", case_mixed },
	{ "replay real-6.12.trace.xz (a captured kernel trace) with and without --virtok",
	  case_real },
	{ "vbuddy-replay reads ftrace text and converts it (--convert)", case_ftrace_replay },
	{ "default placement beats lifo on the pressure and real traces", case_placement },
	{ "all-movable trace with --compact, grouped and address: no fallback, no refusal while twice free",
	  case_compact },
};

const unsigned int nr_tool_cases = ARRAY_SIZE(tool_cases);
