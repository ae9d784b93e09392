/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _VBUDDY_SHIM_LINUX_STRING_H
#define _VBUDDY_SHIM_LINUX_STRING_H

#include <errno.h>
#include <string.h>
#include <sys/types.h>

/* As the kernel's: always terminated; -E2BIG when @src did not fit. */
static inline ssize_t strscpy(char *dst, const char *src, size_t size)
{
	size_t len = strnlen(src, size);

	if (!size)
		return -E2BIG;
	if (len == size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -E2BIG;
	}
	memcpy(dst, src, len + 1);
	return len;
}

#endif /* _VBUDDY_SHIM_LINUX_STRING_H */
