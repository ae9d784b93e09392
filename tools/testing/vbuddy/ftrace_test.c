// SPDX-License-Identifier: GPL-2.0
/*
 * Cases of the ftrace parser (ftrace.c): hand-written lines of each event
 * as the trace file, trace_pipe and trace-cmd report print them, converted
 * in this process; each checks the operations written and the counts.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ftrace.h"
#include "vbuddy_test.h"

/* The trace file's header, as 6.12 prints it for 2 CPUs. */
#define TRACE_HEADER							\
	"# tracer: nop\n"						\
	"#\n"								\
	"# entries-in-buffer/entries-written: 12/12   #P:2\n"		\
	"#\n"								\
	"#                                _-----=> irqs-off/BH-disabled\n" \
	"#                               / _----=> need-resched\n"	\
	"#                              | / _---=> hardirq/softirq\n"	\
	"#                              || / _--=> preempt-depth\n"	\
	"#                              ||| / _-=> migrate-disable\n"	\
	"#                              |||| /     delay\n"		\
	"#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n"	\
	"#              | |         |   |||||     |         |\n"

/* Converts @text; the operations (no comments) in @ops, the header in @hdr. */
static int convert(const char *text, const char *pool, struct ftrace_stats *st,
		   char **ops, char **hdr, char *err, size_t errlen)
{
	struct ftrace_opts o = { .pool = pool, .source = "test" };
	char *out = NULL, *line, *save;
	size_t len = 0, olen = 0, hlen = 0;
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	FILE *fp = open_memstream(&out, &len);
	FILE *of, *hf;
	int ret;

	if (!in || !fp) {
		printf("Bail out! fmemopen/open_memstream\n");
		exit(2);
	}
	err[0] = '\0';
	ret = ftrace_convert(in, fp, &o, st, err, errlen);
	fclose(in);
	fclose(fp);
	*ops = NULL;
	*hdr = NULL;
	of = open_memstream(ops, &olen);
	hf = open_memstream(hdr, &hlen);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		fprintf(line[0] == '#' ? hf : of, "%s\n", line);
	fclose(of);
	fclose(hf);
	free(out);
	return ret;
}

#define EXPECT_STR(got, want)						\
	({								\
		bool __ok = !strcmp(got, want);				\
		if (!__ok)						\
			test_fail(__FILE__, __LINE__,			\
				  "%s:\n#     got:  %s\n#     want: %s",	\
				  #got, oneline(got), oneline(want));	\
		__ok;							\
	})

/* @s with its newlines shown as '|', in a static buffer. */
static const char *oneline(const char *s)
{
	static char buf[4][512];
	static int k;
	char *b = buf[k++ & 3];
	size_t i;

	for (i = 0; s[i] && i < sizeof(buf[0]) - 1; i++)
		b[i] = s[i] == '\n' ? '|' : s[i];
	b[i] = '\0';
	return b;
}

/* Every kmem event of the trace file; the movable mark; orders; a header. */
static void case_trace_file(void)
{
	static const char text[] = TRACE_HEADER
		"          <idle>-0       [001] d..2.     1.000100: mm_page_alloc: page=00000000f1d2c3b4 pfn=0x1000 order=0 migratetype=0 gfp_flags=GFP_KERNEL\n"
		"    kworker/u4:1-37      [000] ...1.     1.000200: mm_page_alloc: page=000000003a1b2c3d pfn=0x2000 order=2 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP\n"
		"     Web Content-1234    [000] .....     1.000300: mm_page_alloc: page=00000000aa1b2c3d pfn=0x3008 order=3 migratetype=2 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_RECLAIMABLE\n"
		"              sh-55      [001] .....     1.000400: mm_page_free: page=00000000f1d2c3b4 pfn=0x1000 order=0\n"
		"              sh-55      [001] .....     1.000500: sched_switch: prev_comm=sh prev_pid=55 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120\n"
		"              sh-55      [001] .....     1.000600: mm_page_alloc: page=00000000f1d2c3b4 pfn=0x1000 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE\n"
		"              sh-55      [001] .....     1.000700: mm_page_free: page=000000003a1b2c3d pfn=0x2000 order=2\n"
		"              sh-55      [001] .....     1.000800: mm_page_free_batched: page=000000003a1b2c3d pfn=0x2000 order=0\n"
		"              sh-55      [001] .....     1.000900: mm_page_free: page=00000000f1d2c3b4 pfn=0x1000 order=0\n"
		"              sh-55      [001] .....     1.001000: mm_page_free_batched: page=00000000f1d2c3b4 pfn=0x1000 order=0\n"
		"              sh-55      [001] .....     1.001100: mm_page_alloc: page=00000000f1d2c3b4 pfn=0x5000 order=10 migratetype=1 gfp_flags=GFP_TRANSHUGE\n";
	struct ftrace_stats st;
	char *ops, *hdr, err[256];

	if (!EXPECT_EQ(convert(text, NULL, &st, &ops, &hdr, err, sizeof(err)), 0)) {
		printf("#   %s\n", err);
		return;
	}
	EXPECT_STR(ops, "a 0 1\nm 1 4\na 2 8\nf 0\nm 0 1\nf 1\nf 0\nm 0 1024\n");
	EXPECT_EQ(st.allocs, 5);
	EXPECT_EQ(st.movable, 3);
	EXPECT_EQ(st.frees, 3);
	EXPECT_EQ(st.per_order[0], 2);
	EXPECT_EQ(st.per_order[2], 1);
	EXPECT_EQ(st.per_order[3], 1);
	EXPECT_EQ(st.per_order[10], 1);
	EXPECT_EQ(st.repeated_frees, 2);	/* the batched frees after mm_page_free */
	EXPECT_EQ(st.unknown_frees, 0);
	EXPECT_EQ(st.other_events, 1);		/* sched_switch */
	EXPECT_EQ(st.lost_events, 0);
	EXPECT_EQ(st.peak_live_pages, 1024 + 8);
	EXPECT_EQ(st.pages, 2048);
	EXPECT_EQ(st.live_blocks, 2);
	EXPECT_EQ(st.live_pages, 1032);
	EXPECT(!st.vbuddy);
	EXPECT(st.t_first > 1.0000 && st.t_first < 1.0002);
	EXPECT(st.t_last > 1.0010 && st.t_last < 1.0012);
	EXPECT(strstr(hdr, "# pages: 2048 "));
	EXPECT(strstr(hdr, "# source: test\n"));
	EXPECT(strstr(hdr, "# allocations per order: 0:2 1:0 2:1 3:1 4:0 5:0 6:0 7:0 8:0 9:0 10:1\n"));
	EXPECT(strstr(hdr, "# movable (\"m\", MIGRATE_MOVABLE): 3 (60.0% of the allocations)\n"));
	free(ops);
	free(hdr);
}

/* trace-cmd report: its columns, padded names, raw fields, decimal pfns. */
static void case_trace_cmd(void)
{
	static const char text[] =
		"cpus=2\n"
		"version = 7\n"
		"CPU 1 is empty\n"
		"          <idle>-0     [001]     1.000100: mm_page_alloc:        page=0xffffea0000040000 pfn=0x1000 order=0 migratetype=0 gfp_flags=GFP_KERNEL\n"
		"            bash-1234  [000] d..1.   1.000200: mm_page_alloc:        [FAILED TO PARSE] pfn=0x2000 order=2 gfp_flags=0x140cca migratetype=1\n"
		"            bash-1234  [000] d..1.   1.000250: kmem:mm_page_alloc: page=0xffffea0000100000 pfn=16384 order=1 migratetype=1 gfp_flags=GFP_USER\n"
		"            bash-1234  [000] ....1   1.000300: mm_page_free:         [FAILED TO PARSE] pfn=0x2000 order=2\n"
		"            bash-1234  [000] ....1   1.000400: mm_page_free_batched: page=0xffffea0000040000 pfn=4096 order=0\n"
		"            bash-1234  [000] ....1   1.000500: mm_page_free:         page=0xffffea0000100000 pfn=0x4000 order=1\n";
	struct ftrace_stats st;
	char *ops, *hdr, err[256];

	if (!EXPECT_EQ(convert(text, NULL, &st, &ops, &hdr, err, sizeof(err)), 0)) {
		printf("#   %s\n", err);
		return;
	}
	EXPECT_STR(ops, "a 0 1\nm 1 4\nm 2 2\nf 1\nf 0\nf 2\n");
	EXPECT_EQ(st.events, 6);
	EXPECT_EQ(st.other_events, 3);
	EXPECT_EQ(st.movable, 2);
	EXPECT_EQ(st.peak_live_pages, 7);
	EXPECT_EQ(st.pages, 1024);
	EXPECT_EQ(st.live_blocks, 0);
	free(ops);
	free(hdr);
}

/* Frees of blocks allocated before the trace, and repeated frees. */
static void case_pre_trace(void)
{
	static const char text[] =
		"  sh-1 [000] .... 2.000001: mm_page_free: page=0000000011112222 pfn=0x7000 order=0\n"
		"  sh-1 [000] .... 2.000002: mm_page_free_batched: page=0000000011112222 pfn=0x7000 order=0\n"
		"  sh-1 [000] .... 2.000003: mm_page_free: page=0000000011113333 pfn=0x7400 order=3\n"
		"  sh-1 [000] .... 2.000004: mm_page_alloc: page=0000000011112222 pfn=0x7000 order=0 migratetype=0 gfp_flags=GFP_KERNEL\n"
		"  sh-1 [000] .... 2.000005: mm_page_free: page=0000000011112222 pfn=0x7000 order=0\n"
		"  sh-1 [000] .... 2.000006: mm_page_free: page=0000000011114444 pfn=0x7001 order=0\n";
	struct ftrace_stats st;
	char *ops, *hdr, err[256];

	if (!EXPECT_EQ(convert(text, NULL, &st, &ops, &hdr, err, sizeof(err)), 0)) {
		printf("#   %s\n", err);
		return;
	}
	EXPECT_STR(ops, "a 0 1\nf 0\n");
	EXPECT_EQ(st.unknown_frees, 3);		/* 0x7000, 0x7400, 0x7001 */
	EXPECT_EQ(st.repeated_frees, 1);	/* the batched one */
	EXPECT_EQ(st.frees, 1);
	EXPECT(strstr(hdr, "# frees of blocks not allocated in the trace, ignored: 3 (and 1 repeated)\n"));
	free(ops);
	free(hdr);
}

/* An allocation at a live pfn, or over live blocks, ends them first. */
static void case_realloc(void)
{
	static const char text[] =
		"  sh-1 [000] .... 3.000001: mm_page_alloc: page=00000000aaaa0000 pfn=0x8000 order=0 migratetype=0 gfp_flags=GFP_KERNEL\n"
		"  sh-1 [000] .... 3.000002: mm_page_alloc: page=00000000aaaa0000 pfn=0x8000 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE\n"
		"  sh-1 [000] .... 3.000003: mm_page_alloc: page=00000000aaaa1111 pfn=0x8003 order=0 migratetype=0 gfp_flags=GFP_KERNEL\n"
		"  sh-1 [000] .... 3.000004: mm_page_alloc: page=00000000aaaa2222 pfn=0x8009 order=0 migratetype=0 gfp_flags=GFP_KERNEL\n"
		"  sh-1 [000] .... 3.000005: mm_page_alloc: page=00000000aaaa0000 pfn=0x8000 order=2 migratetype=0 gfp_flags=GFP_KERNEL\n"
		"  sh-1 [000] .... 3.000006: mm_page_alloc: page=00000000aaaa3333 pfn=0x8002 order=1 migratetype=0 gfp_flags=GFP_KERNEL\n"
		"  sh-1 [000] .... 3.000007: mm_page_free: page=00000000aaaa3333 pfn=0x8002 order=1\n"
		"  sh-1 [000] .... 3.000008: mm_page_free: page=00000000aaaa2222 pfn=0x8009 order=0\n";
	struct ftrace_stats st;
	char *ops, *hdr, err[256];

	if (!EXPECT_EQ(convert(text, NULL, &st, &ops, &hdr, err, sizeof(err)), 0)) {
		printf("#   %s\n", err);
		return;
	}
	/*
	 * 0x8000 again: id 0 ended, then taken again; order 2 at 0x8000 ends
	 * 0x8000 (id 0) and 0x8003 (id 1); order 1 at 0x8002 lies inside it.
	 */
	EXPECT_STR(ops, "a 0 1\nf 0\nm 0 1\na 1 1\na 2 1\nf 0\nf 1\na 0 4\nf 0\na 0 2\nf 0\nf 2\n");
	EXPECT_EQ(st.overlapped, 4);
	EXPECT_EQ(st.allocs, 6);
	EXPECT_EQ(st.frees, 6);
	EXPECT_EQ(st.unknown_frees, 0);
	EXPECT_EQ(st.live_blocks, 0);
	EXPECT_EQ(st.peak_live_pages, 5);
	free(ops);
	free(hdr);
}

/* split_page(): the pages of a block freed one by one. */
static void case_split(void)
{
	static const char text[] =
		"  sh-1 [000] .... 4.000001: mm_page_alloc: page=00000000bbbb0000 pfn=0x9000 order=2 migratetype=0 gfp_flags=GFP_KERNEL\n"
		"  sh-1 [000] .... 4.000002: mm_page_free: page=00000000bbbb1111 pfn=0x9001 order=0\n"
		"  sh-1 [000] .... 4.000003: mm_page_free: page=00000000bbbb0000 pfn=0x9000 order=0\n"
		"  sh-1 [000] .... 4.000004: mm_page_free: page=00000000bbbb3333 pfn=0x9003 order=0\n"
		"  sh-1 [000] .... 4.000005: mm_page_free_batched: page=00000000bbbb3333 pfn=0x9003 order=0\n"
		"  sh-1 [000] .... 4.000006: mm_page_free: page=00000000bbbb2222 pfn=0x9002 order=0\n";
	struct ftrace_stats st;
	char *ops, *hdr, err[256];

	if (!EXPECT_EQ(convert(text, NULL, &st, &ops, &hdr, err, sizeof(err)), 0)) {
		printf("#   %s\n", err);
		return;
	}
	EXPECT_STR(ops, "a 0 4\nf 0\n");
	EXPECT_EQ(st.partial_frees, 4);
	EXPECT_EQ(st.repeated_frees, 1);
	EXPECT_EQ(st.live_blocks, 0);
	free(ops);
	free(hdr);
}

/* vbuddy's own tracepoints: one pool, or the one --pool names. */
static void case_vbuddy(void)
{
	static const char text[] =
		"  insmod-90 [000] ..... 5.000001: vbuddy_alloc: pool=vbuddy0 pfn=0x12000 order=0 kind=pages\n"
		"  insmod-90 [000] ..... 5.000002: vbuddy_alloc: pool=vbuddy0 pfn=0x12004 order=2 kind=kmalloc\n"
		"  insmod-90 [000] ..... 5.000003: vbuddy_alloc: pool=demo pfn=0x30000 order=0 kind=class\n"
		"  insmod-90 [000] ..... 5.000004: vbuddy_virt: pool=vbuddy0 pages=5 result=virt_served\n"
		"  insmod-90 [000] ..... 5.000005: mm_page_alloc: page=00000000bbbb0000 pfn=0x9000 order=2 migratetype=0 gfp_flags=GFP_KERNEL\n"
		"  insmod-90 [000] ..... 5.000006: vbuddy_free: pool=vbuddy0 pfn=0x12004 order=2 kind=kmalloc\n"
		"  insmod-90 [000] ..... 5.000007: vbuddy_free: pool=vbuddy0 pfn=0x12100 order=0 kind=virt\n"
		"  insmod-90 [000] ..... 5.000008: vbuddy_free: pool=vbuddy0 pfn=0x12000 order=0 kind=0x4\n";
	struct ftrace_stats st;
	char *ops, *hdr, err[256];

	/* Two pools and no --pool: refused, naming both. */
	EXPECT_EQ(convert(text, NULL, &st, &ops, &hdr, err, sizeof(err)), -1);
	EXPECT(strstr(err, "several vbuddy pools (vbuddy0, demo)"));
	free(ops);
	free(hdr);

	if (!EXPECT_EQ(convert(text, "vbuddy0", &st, &ops, &hdr, err, sizeof(err)), 0)) {
		printf("#   %s\n", err);
		return;
	}
	EXPECT_STR(ops, "a 0 1\na 1 4\nf 1\nf 0\n");
	EXPECT(st.vbuddy);
	EXPECT_STR(st.pool, "vbuddy0");
	EXPECT_EQ(st.other_pools, 1);
	EXPECT_EQ(st.other_source, 1);		/* the kmem event */
	EXPECT_EQ(st.other_events, 1);		/* vbuddy_virt */
	EXPECT_EQ(st.unknown_frees, 1);		/* the page of a GFP_VIRTOK range */
	EXPECT_EQ(st.movable, 0);
	EXPECT(strstr(hdr, "vbuddy:vbuddy_alloc and vbuddy:vbuddy_free, pool vbuddy0\n"));
	free(ops);
	free(hdr);
}

/* Failed allocations, lost events, a bad line. */
static void case_failed_lost(void)
{
	static const char text[] =
		"# entries-in-buffer/entries-written: 3/10   #P:1\n"
		"  sh-1 [000] .... 6.000001: mm_page_alloc: page=0000000000000000 pfn=0x0 order=3 migratetype=0 gfp_flags=GFP_NOWAIT\n"
		"  sh-1 [000] .... 6.000002: mm_page_alloc: [FAILED TO PARSE] pfn=0xffffffffffffffff order=4 gfp_flags=0x0 migratetype=0\n"
		"CPU:0 [LOST 17 EVENTS]\n"
		"  sh-1 [000] .... 6.000003: mm_page_alloc: page=00000000cccc0000 pfn=0xa000 order=1 migratetype=0 gfp_flags=GFP_KERNEL\n";
	static const char bad[] =
		"  sh-1 [000] .... 6.000001: mm_page_free: page=00000000cccc0000 order=0\n";
	static const char bad_pfn[] =
		"# a comment\n"
		"  sh-1 [000] .... 6.000001: mm_page_free: page=00000000cccc0000 pfn=0xffffffffffffffff order=0\n";
	struct ftrace_stats st;
	char *ops, *hdr, err[256];

	if (!EXPECT_EQ(convert(text, NULL, &st, &ops, &hdr, err, sizeof(err)), 0)) {
		printf("#   %s\n", err);
		return;
	}
	EXPECT_STR(ops, "a 0 2\n");
	EXPECT_EQ(st.failed_allocs, 2);
	EXPECT_EQ(st.lost_events, 7 + 17);
	EXPECT(strstr(hdr, "# WARNING: the trace lost 24 events"));
	free(ops);
	free(hdr);

	EXPECT_EQ(convert(bad, NULL, &st, &ops, &hdr, err, sizeof(err)), -1);
	EXPECT(strstr(err, "line 1: mm_page_free: wants pfn= and order="));
	free(ops);
	free(hdr);

	EXPECT_EQ(convert(bad_pfn, NULL, &st, &ops, &hdr, err, sizeof(err)), -1);
	EXPECT(strstr(err, "line 2: pfn 0xffffffffffffffff out of range"));
	free(ops);
	free(hdr);
}

/* A file's whole text through trace_open(). */
static char *read_open(const char *path, const char *pool, char *err, size_t errlen)
{
	struct ftrace_opts o = { .pool = pool };
	FILE *fp, *out;
	char *text = NULL, buf[4096];
	size_t len = 0, n;

	err[0] = '\0';
	fp = trace_open(path, &o, err, errlen);
	if (!fp)
		return NULL;
	out = open_memstream(&text, &len);
	while ((n = fread(buf, 1, sizeof(buf), fp)))
		fwrite(buf, 1, n, out);
	fclose(fp);
	fclose(out);
	return text;
}

static bool write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (!fp)
		return false;
	fputs(text, fp);
	return !fclose(fp);
}

/* trace_open(): our own format as it is, ftrace converted, xz and gzip read. */
static void case_open(void)
{
	static const char native[] = "# a trace\n\na 1 3\nm 2 1\nf 1\nf 2\n";
	static const char ftrace[] = TRACE_HEADER
		"  sh-1 [000] .... 7.000001: mm_page_alloc: page=00000000cccc0000 pfn=0xa000 order=1 migratetype=1 gfp_flags=GFP_USER\n"
		"  sh-1 [000] .... 7.000002: mm_page_free: page=00000000cccc0000 pfn=0xa000 order=1\n";
	char dir[] = "/tmp/vbuddy-ftrace-XXXXXX", p[4][64], cmd[512], err[256];
	char *text;
	int i;

	if (!EXPECT(mkdtemp(dir)))
		return;
	for (i = 0; i < 4; i++)
		snprintf(p[i], sizeof(p[i]), "%s/%d", dir, i);
	EXPECT(write_file(p[0], native));
	EXPECT(write_file(p[1], ftrace));
	EXPECT(write_file(p[2], "not a trace\nat all\n"));

	text = read_open(p[0], NULL, err, sizeof(err));
	if (EXPECT(text))
		EXPECT_STR(text, native);
	free(text);

	text = read_open(p[1], NULL, err, sizeof(err));
	if (EXPECT(text)) {
		EXPECT(strstr(text, "# converted by vbuddy-replay from ftrace text of kmem:"));
		EXPECT(strstr(text, "\nm 0 2\nf 0\n"));
	}
	free(text);

	text = read_open(p[2], NULL, err, sizeof(err));
	EXPECT(!text);
	EXPECT(strstr(err, "neither vbuddy-replay operations nor ftrace page events"));
	free(text);

	snprintf(cmd, sizeof(cmd), "xz -c %s > %s && gzip -c %s > %s.gz", p[1], p[3], p[0], p[3]);
	if (EXPECT_EQ(system(cmd), 0)) {
		text = read_open(p[3], NULL, err, sizeof(err));
		if (EXPECT(text))
			EXPECT(strstr(text, "\nm 0 2\nf 0\n"));
		free(text);
		snprintf(cmd, sizeof(cmd), "%s.gz", p[3]);
		text = read_open(cmd, NULL, err, sizeof(err));
		if (EXPECT(text))
			EXPECT_STR(text, native);
		free(text);
		unlink(cmd);
	}

	text = read_open("/nonexistent/trace", NULL, err, sizeof(err));
	EXPECT(!text);
	EXPECT(strstr(err, "cannot open /nonexistent/trace"));

	for (i = 0; i < 4; i++)
		unlink(p[i]);
	rmdir(dir);
}

const struct test_case ftrace_cases[] = {
	{ "ftrace: the trace file's kmem events, movable marked", case_trace_file },
	{ "ftrace: trace-cmd report lines, raw fields, decimal pfns", case_trace_cmd },
	{ "ftrace: frees of blocks from before the trace ignored, counted", case_pre_trace },
	{ "ftrace: an allocation over live blocks ends them first", case_realloc },
	{ "ftrace: a split block freed with its last page", case_split },
	{ "ftrace: vbuddy tracepoints, one pool or --pool", case_vbuddy },
	{ "ftrace: failed allocations skipped, lost events reported, bad lines refused",
	  case_failed_lost },
	{ "ftrace: trace_open() tells the formats apart, reads xz and gzip", case_open },
};

const unsigned int nr_ftrace_cases = ARRAY_SIZE(ftrace_cases);
