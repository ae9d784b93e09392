/* SPDX-License-Identifier: GPL-2.0 */
/*
 * u8..u64 for the userspace build of kunit/buddy_test.c: the core's own
 * userspace definitions (module/buddy_shim.h), so that there is one.
 */
#ifndef _VBUDDY_SHIM_LINUX_TYPES_H
#define _VBUDDY_SHIM_LINUX_TYPES_H

#include <stdbool.h>
#include <stddef.h>

#include "buddy_shim.h"

#endif /* _VBUDDY_SHIM_LINUX_TYPES_H */
