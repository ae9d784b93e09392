/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's <linux/limits.h> has ULONG_MAX and friends. glibc's own
 * <limits.h> includes the UAPI <linux/limits.h> (PATH_MAX), which this
 * file shadows on the include path: it brings that one in too.
 */
#ifndef _VBUDDY_SHIM_LINUX_LIMITS_H
#define _VBUDDY_SHIM_LINUX_LIMITS_H

#include_next <linux/limits.h>
#include <limits.h>

#endif /* _VBUDDY_SHIM_LINUX_LIMITS_H */
