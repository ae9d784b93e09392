/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vbuddy: everything that differs between the kernels vbuddy builds for
 * (Debian's 6.1 and 6.12, UML 6.12), in one place. Feature tests only: each
 * fallback is defined when the kernel lacks the name, so on 6.12 this file
 * adds nothing but vbuddy_assign_str().
 */
#ifndef _VBUDDY_COMPAT_H
#define _VBUDDY_COMPAT_H

#include <linux/log2.h>
#include <linux/mmzone.h>
#include <linux/string.h>

/*
 * The largest order the page allocator gives. 6.8 renamed MAX_ORDER to
 * MAX_PAGE_ORDER; before 6.4, MAX_ORDER was exclusive (largest order
 * MAX_ORDER - 1). MAX_ORDER_NR_PAGES is the largest block in every version.
 */
#ifndef MAX_PAGE_ORDER
#define MAX_PAGE_ORDER		ilog2(MAX_ORDER_NR_PAGES)
#endif

/*
 * vbuddy_assign_str() - __assign_str() for both kernels, in TP_fast_assign()
 *
 * __assign_str() lost its second argument in 6.10 and the arity cannot be
 * tested for. This form works before and after: __string(@dst, @src) sized
 * the field strlen(@src) + 1, so the copy, NUL included, fills it exactly,
 * as 6.1's own __assign_str() does with strcpy(). @src must not be NULL
 * (vbuddy's never are: pool names and event names).
 */
#define vbuddy_assign_str(dst, src)	vbuddy_trace_strcpy(__get_str(dst), (src))

static inline void vbuddy_trace_strcpy(char *field, const char *src)
{
	memcpy(field, src, strlen(src) + 1);
}

#endif /* _VBUDDY_COMPAT_H */
