/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The traces vbuddy-replay reads besides its own format: the kernel's
 * ftrace text of kmem:mm_page_alloc, kmem:mm_page_free and
 * kmem:mm_page_free_batched, or of vbuddy's own vbuddy:vbuddy_alloc and
 * vbuddy:vbuddy_free, as /sys/kernel/tracing/trace, trace_pipe,
 * trace-cmd report and perf script print them. ftrace.c turns such a trace
 * into operations of vbuddy-replay's own format ("a <id> <pages>",
 * "m <id> <pages>", "f <id>"), so that replay.c reads every trace the same
 * way. The rules are in the comment at the top of ftrace.c.
 */
#ifndef _VBUDDY_FTRACE_H
#define _VBUDDY_FTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Highest order an event may carry; the kernel's MAX_PAGE_ORDER is below. */
#define FTRACE_MAX_ORDER	20

/* Converted traces suggest a pool of their peak live pages rounded up to this. */
#define FTRACE_POOL_ROUND	1024UL

struct ftrace_opts {
	const char *pool;	/* vbuddy events of this pool only (NULL: the only one) */
	const char *source;	/* the trace's name, for the header; NULL: none */
};

/* What a conversion read, kept and dropped. */
struct ftrace_stats {
	unsigned long lines;		/* lines read */
	unsigned long events;		/* page events taken (alloc and free) */
	unsigned long other_events;	/* other events and lines, skipped */
	unsigned long other_source;	/* kmem events in a vbuddy trace, or the reverse */
	unsigned long other_pools;	/* vbuddy events of pools not taken */
	unsigned long lost_events;	/* "[LOST N EVENTS]": the trace has gaps */
	unsigned long allocs;		/* allocations written ("a" and "m") */
	unsigned long movable;		/* of which MIGRATE_MOVABLE ("m") */
	unsigned long alloc_pages;	/* pages of all of them */
	unsigned long per_order[FTRACE_MAX_ORDER + 1];
	unsigned long frees;		/* frees written ("f") */
	unsigned long failed_allocs;	/* mm_page_alloc without a page: skipped */
	unsigned long unknown_frees;	/* of no live block: allocated before the trace */
	unsigned long repeated_frees;	/* of a pfn already freed since its allocation */
	unsigned long partial_frees;	/* of part of a live block (split_page()) */
	unsigned long overlapped;	/* live blocks ended by an allocation over them */
	unsigned long live_blocks;	/* still live at the end of the trace */
	unsigned long live_pages;
	unsigned long peak_live_pages;
	unsigned long pages;		/* pool to replay it in: the peak, rounded up */
	double t_first, t_last;		/* timestamps of the first and last page event */
	bool vbuddy;			/* vbuddy's tracepoints, not kmem's */
	char pool[64];			/* the pool of a vbuddy trace */
};

struct ftrace_conv;

/*
 * A conversion, line by line: ftrace_conv_new(), ftrace_conv_line() for
 * each line (the trailing newline may be there or not), then
 * ftrace_conv_finish() writes the header and the operations to @out, fills
 * @st (may be NULL) and frees the conversion. ftrace_conv_line() and
 * ftrace_conv_finish() return 0, or -1 with a message in @err (and the
 * conversion must still be finished, with @out NULL, to free it).
 */
struct ftrace_conv *ftrace_conv_new(const struct ftrace_opts *opts);
int ftrace_conv_line(struct ftrace_conv *c, const char *line, char *err, size_t errlen);
int ftrace_conv_finish(struct ftrace_conv *c, FILE *out, struct ftrace_stats *st,
		       char *err, size_t errlen);

/* The same over a whole stream; the statistics in @st (may be NULL). */
int ftrace_convert(FILE *in, FILE *out, const struct ftrace_opts *opts,
		   struct ftrace_stats *st, char *err, size_t errlen);

/* Is @line an operation of vbuddy-replay's own format ("a", "f" or "m")? */
bool trace_line_native(const char *line);

/*
 * trace_open() - a trace as text in vbuddy-replay's own format
 * @path: the file, "-" for stdin; an xz or gzip file (told by its magic
 *        bytes, not its name) is read through "xz -dc" or "gzip -dc"
 * @opts: for a conversion
 *
 * The first line that is not blank or a '#' comment decides the format: an
 * operation of vbuddy-replay's own format, and the text is returned as it
 * is; anything else, and it is converted by ftrace_convert(), the header
 * first. Returns a stream (in memory) to read and fclose(), or NULL with a
 * message in @err.
 */
FILE *trace_open(const char *path, const struct ftrace_opts *opts, char *err, size_t errlen);

/* trace_open(), copied to @out: vbuddy-replay --convert. 0 or -1 (@err). */
int trace_copy(const char *path, const struct ftrace_opts *opts, FILE *out,
	       char *err, size_t errlen);

#endif /* _VBUDDY_FTRACE_H */
