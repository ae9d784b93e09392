/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of vbuddy, event system "vbuddy":
 *
 *   vbuddy:vbuddy_alloc        a block left the buddy allocator
 *   vbuddy:vbuddy_free         a block went back to it
 *   vbuddy:vbuddy_alloc_fail   no free block of the order asked for
 *   vbuddy:vbuddy_virt         a GFP_VIRTOK fallback, served or refused
 *   vbuddy:vbuddy_compact_begin, vbuddy:vbuddy_compact_end
 *                              a compaction run, with the pool's score
 *   vbuddy:vbuddy_compact_move a block moved by it
 *
 * e.g. "trace-cmd record -e vbuddy", or
 * echo 1 > /sys/kernel/tracing/events/vbuddy/enable.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vbuddy

#if !defined(_VBUDDY_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VBUDDY_TRACE_H

#include <linux/tracepoint.h>

#include "vbuddy_compat.h"

#define show_vbuddy_kind(kind)						\
	__print_symbolic(kind,						\
			 { 0, "pages" }, { 1, "kmalloc" },		\
			 { 2, "class" }, { 3, "virt" },		\
			 { 6, "movable" })

DECLARE_EVENT_CLASS(vbuddy_block,
		    TP_PROTO(const char *pool, unsigned long pfn, unsigned int order,
			     unsigned int kind),
		    TP_ARGS(pool, pfn, order, kind),
		    TP_STRUCT__entry(__string(pool, pool)
				     __field(unsigned long, pfn)
				     __field(unsigned int, order)
				     __field(unsigned int, kind)),
		    TP_fast_assign(vbuddy_assign_str(pool, pool);
				   __entry->pfn = pfn;
				   __entry->order = order;
				   __entry->kind = kind;),
		    TP_printk("pool=%s pfn=0x%lx order=%u kind=%s", __get_str(pool),
			      __entry->pfn, __entry->order, show_vbuddy_kind(__entry->kind))
);

DEFINE_EVENT(vbuddy_block, vbuddy_alloc,
	     TP_PROTO(const char *pool, unsigned long pfn, unsigned int order,
		      unsigned int kind),
	     TP_ARGS(pool, pfn, order, kind)
);

DEFINE_EVENT(vbuddy_block, vbuddy_free,
	     TP_PROTO(const char *pool, unsigned long pfn, unsigned int order,
		      unsigned int kind),
	     TP_ARGS(pool, pfn, order, kind)
);

TRACE_EVENT(vbuddy_alloc_fail,
	    TP_PROTO(const char *pool, unsigned int order, unsigned long free_pages),
	    TP_ARGS(pool, order, free_pages),
	    TP_STRUCT__entry(__string(pool, pool)
			     __field(unsigned int, order)
			     __field(unsigned long, free_pages)),
	    TP_fast_assign(vbuddy_assign_str(pool, pool);
			   __entry->order = order;
			   __entry->free_pages = free_pages;),
	    TP_printk("pool=%s order=%u free_pages=%lu", __get_str(pool),
		      __entry->order, __entry->free_pages)
);

TRACE_EVENT(vbuddy_virt,
	    TP_PROTO(const char *pool, unsigned long pages, const char *result),
	    TP_ARGS(pool, pages, result),
	    TP_STRUCT__entry(__string(pool, pool)
			     __field(unsigned long, pages)
			     __string(result, result)),
	    TP_fast_assign(vbuddy_assign_str(pool, pool);
			   __entry->pages = pages;
			   vbuddy_assign_str(result, result);),
	    TP_printk("pool=%s pages=%lu result=%s", __get_str(pool),
		      __entry->pages, __get_str(result))
);

TRACE_EVENT(vbuddy_compact_begin,
	    TP_PROTO(const char *pool, unsigned int order, unsigned int score),
	    TP_ARGS(pool, order, score),
	    TP_STRUCT__entry(__string(pool, pool)
			     __field(unsigned int, order)
			     __field(unsigned int, score)),
	    TP_fast_assign(vbuddy_assign_str(pool, pool);
			   __entry->order = order;
			   __entry->score = score;),
	    TP_printk("pool=%s order=%u score=%u", __get_str(pool),
		      __entry->order, __entry->score)
);

TRACE_EVENT(vbuddy_compact_end,
	    TP_PROTO(const char *pool, unsigned int order, unsigned int score,
		     unsigned long moved, bool success),
	    TP_ARGS(pool, order, score, moved, success),
	    TP_STRUCT__entry(__string(pool, pool)
			     __field(unsigned int, order)
			     __field(unsigned int, score)
			     __field(unsigned long, moved)
			     __field(bool, success)),
	    TP_fast_assign(vbuddy_assign_str(pool, pool);
			   __entry->order = order;
			   __entry->score = score;
			   __entry->moved = moved;
			   __entry->success = success;),
	    TP_printk("pool=%s order=%u score=%u moved=%lu success=%d", __get_str(pool),
		      __entry->order, __entry->score, __entry->moved, __entry->success)
);

TRACE_EVENT(vbuddy_compact_move,
	    TP_PROTO(const char *pool, unsigned long src, unsigned long dst,
		     unsigned int order),
	    TP_ARGS(pool, src, dst, order),
	    TP_STRUCT__entry(__string(pool, pool)
			     __field(unsigned long, src)
			     __field(unsigned long, dst)
			     __field(unsigned int, order)),
	    TP_fast_assign(vbuddy_assign_str(pool, pool);
			   __entry->src = src;
			   __entry->dst = dst;
			   __entry->order = order;),
	    TP_printk("pool=%s src=0x%lx dst=0x%lx order=%u", __get_str(pool),
		      __entry->src, __entry->dst, __entry->order)
);

#endif /* _VBUDDY_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vbuddy_trace
#include <trace/define_trace.h>
