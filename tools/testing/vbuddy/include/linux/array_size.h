/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _VBUDDY_SHIM_LINUX_ARRAY_SIZE_H
#define _VBUDDY_SHIM_LINUX_ARRAY_SIZE_H

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#endif /* _VBUDDY_SHIM_LINUX_ARRAY_SIZE_H */
