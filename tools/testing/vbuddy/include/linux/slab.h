/* SPDX-License-Identifier: GPL-2.0 */
/* Allocation flags, for the kunit_k*alloc() calls of the shim. */
#ifndef _VBUDDY_SHIM_LINUX_SLAB_H
#define _VBUDDY_SHIM_LINUX_SLAB_H

typedef unsigned int gfp_t;

#define __GFP_ZERO	0x100u
#define GFP_KERNEL	0u

#endif /* _VBUDDY_SHIM_LINUX_SLAB_H */
