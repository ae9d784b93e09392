/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The only header module/buddy.c includes besides its own: the kernel build
 * takes the real kernel types, the userspace build in tools/testing/vbuddy/
 * takes the few definitions below. Nothing else may leak into the core.
 */
#ifndef _VBUDDY_BUDDY_SHIM_H
#define _VBUDDY_BUDDY_SHIM_H

#ifdef __KERNEL__

#include <linux/types.h>
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/compiler.h>
#include <linux/log2.h>
#include <linux/printk.h>

#define buddy_pr_err(fmt, ...) pr_err(fmt, ##__VA_ARGS__)

/* The lowest and the highest set bit of a word that is not 0. */
#define buddy_ffs(w)	__ffs(w)
#define buddy_fls(w)	__fls(w)
#define buddy_hweight(w)	hweight_long(w)

#else /* userspace */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#ifndef EUCLEAN
#define EUCLEAN 117
#endif

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

static inline unsigned int ilog2(unsigned long v)
{
	return (unsigned int)(8 * sizeof(v) - 1 - __builtin_clzl(v));
}

#define buddy_pr_err(fmt, ...) fprintf(stderr, "buddy: " fmt, ##__VA_ARGS__)

#define buddy_ffs(w)	((unsigned long)__builtin_ctzl(w))
#define buddy_fls(w)	((unsigned long)(8 * sizeof(long) - 1 - __builtin_clzl(w)))
#define buddy_hweight(w)	((unsigned long)__builtin_popcountl(w))

#endif /* __KERNEL__ */

#endif /* _VBUDDY_BUDDY_SHIM_H */
