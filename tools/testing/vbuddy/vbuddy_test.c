// SPDX-License-Identifier: GPL-2.0
/*
 * vbuddy_test: runs, against module/buddy.c, the KUnit suite of the core
 * (kunit/buddy_test.c, built here through the KUnit shim of include/ and
 * kunit_shim.c), the randomized test (random.c), the cases that run the
 * other programs of this directory (tools.c: the fuzz corpus replay and the
 * trace replays) and those of the ftrace parser (ftrace_test.c), and reports in TAP: one line per KUnit case, or per
 * parameter of a parameterised one, as KUnit counts them. The last line is
 * always "N passed, M failed"; the exit status is 1 if any case failed.
 *
 * Each case runs in a child process of its own, so that a case that
 * crashes or trips a sanitizer is counted as failed and the others still
 * run. What a case writes to stderr (the core's reports, which the kernel
 * would log) is shown before its TAP line as "#   log: " lines; a
 * sanitizer report, or a crashed case's stderr, is copied to stderr as it
 * is.
 *
 * Usage: vbuddy_test [-s SEED] [-n OPS] [-u] [-r] [-x]
 *   -s SEED  seed of the randomized test (also env SEED; default below)
 *   -n OPS   operations per randomized run (also env OPS; default 2000000)
 *   -u       the KUnit cases
 *   -r       the randomized runs
 *   -x       the corpus and trace replays, the ftrace parser
 * Without -u, -r or -x, all of them.
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sanitizer.h"
#include "vbuddy_test.h"

#define DEFAULT_SEED		20240601ULL
#define DEFAULT_OPS		2000000UL
#define DEFAULT_CHECK_EVERY	4096U
#define MAX_FAIL_MESSAGES	8

/* A sanitizer report ends the child with this exit status (LSan's: 23). */
#define SANITIZER_EXIT		99

SANITIZER_DEFAULT_OPTIONS("exitcode=99:detect_leaks=1", "exitcode=99:print_stacktrace=1")

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

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		printf("Bail out! out of memory\n");
		exit(2);
	}
	return p;
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

/* What a case wrote to stderr: TAP diagnostics, or stderr for a report. */
static void show_log(FILE *log, bool to_stderr)
{
	char line[1024];

	if (!log)
		return;
	rewind(log);
	while (fgets(line, sizeof(line), log)) {
		size_t len = strlen(line);

		if (to_stderr) {
			fputs(line, stderr);
			continue;
		}
		if (len && line[len - 1] == '\n')
			line[len - 1] = '\0';
		printf("#   log: %s\n", line);
	}
	fclose(log);
}

/* Runs @fn(@arg) in a child, its stderr kept aside; true if it passed. */
static bool run_case(bool (*fn)(const void *arg), const void *arg)
{
	FILE *log = tmpfile();
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

		if (log)
			dup2(fileno(log), STDERR_FILENO);
		fail_count = 0;
		ok = fn(arg) && !fail_count;
		fflush(stdout);
		fflush(stderr);
		exit(ok ? 0 : 1);	/* exit(), not _exit(): LSan runs then */
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			printf("Bail out! waitpid: %s\n", strerror(errno));
			exit(2);
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) <= 1) {
		show_log(log, false);
		return !WEXITSTATUS(status);
	}
	if (WIFSIGNALED(status))
		printf("#   crashed: signal %d (its stderr on stderr)\n", WTERMSIG(status));
	else if (WEXITSTATUS(status) == SANITIZER_EXIT)
		printf("#   sanitizer report (on stderr)\n");
	else if (WEXITSTATUS(status) == 23)
		printf("#   LeakSanitizer report (on stderr)\n");
	else
		printf("#   exited with status %d (its stderr on stderr)\n",
		       WEXITSTATUS(status));
	show_log(log, true);
	return false;
}

struct tally {
	unsigned int n, passed, failed;
};

static void report(struct tally *t, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(struct tally *t, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		t->passed++;
	else
		t->failed++;
	printf("%s %u - ", ok ? "ok" : "not ok", ++t->n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* ---- the KUnit cases ------------------------------------------------------ */

static bool kunit_one(const void *c)
{
	return kunit_shim_run(c);
}

struct kunit_tap {
	struct tally *t;
	const char *suite;
};

static void kunit_each(void *ctx, const char *suite, const char *name,
		       const struct kunit_shim_case *c)
{
	struct kunit_tap *k = ctx;

	if (k->suite != suite)
		printf("# %s\n", suite);
	k->suite = suite;
	report(k->t, run_case(kunit_one, c), "%s", name);
}

/* ---- the randomized runs and the tool cases ---------------------------------- */

struct random_arg {
	const struct rand_params *rp;
	unsigned int layout;
};

static bool random_one(const void *arg)
{
	const struct random_arg *a = arg;

	return random_run(a->rp, a->layout);
}

static bool tool_one(const void *arg)
{
	const struct test_case *c = arg;

	c->fn();
	return true;
}

int main(int argc, char **argv)
{
	struct rand_params rp = {
		.seed = DEFAULT_SEED,
		.ops = DEFAULT_OPS,
		.check_every = DEFAULT_CHECK_EVERY,
	};
	bool run_unit = false, run_random = false, run_tools = false;
	struct tally t = { 0 };
	unsigned int i;
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
	printf("1..%u\n", (run_unit ? kunit_shim_each(NULL, NULL) : 0) +
			  (run_random ? NR_RANDOM_LAYOUTS : 0) +
			  (run_tools ? nr_tool_cases + nr_ftrace_cases : 0));

	if (run_unit) {
		struct kunit_tap k = { .t = &t };

		kunit_shim_each(kunit_each, &k);
	}

	if (run_random)
		printf("# randomized: seed %llu, %lu ops per run (replay: make check SEED=%llu OPS=%lu)\n",
		       (unsigned long long)rp.seed, rp.ops,
		       (unsigned long long)rp.seed, rp.ops);
	for (i = 0; run_random && i < NR_RANDOM_LAYOUTS; i++) {
		struct random_arg a = { &rp, i };

		report(&t, run_case(random_one, &a), "%s (seed %llu, %lu ops)",
		       random_layout_name(i), (unsigned long long)rp.seed, rp.ops);
	}

	for (i = 0; run_tools && i < nr_tool_cases; i++)
		report(&t, run_case(tool_one, &tool_cases[i]), "%s", tool_cases[i].name);
	for (i = 0; run_tools && i < nr_ftrace_cases; i++)
		report(&t, run_case(tool_one, &ftrace_cases[i]), "%s", ftrace_cases[i].name);

	printf("%u passed, %u failed\n", t.passed, t.failed);
	return t.failed ? 1 : 0;
}
