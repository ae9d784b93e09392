/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ASan and UBSan runtimes read their default options from two hooks,
 * which each program of this directory defines, with options of its own,
 * through this macro.
 */
#ifndef _VBUDDY_SANITIZER_H
#define _VBUDDY_SANITIZER_H

#define SANITIZER_DEFAULT_OPTIONS(asan, ubsan)				\
	const char *__asan_default_options(void);			\
	const char *__ubsan_default_options(void);			\
									\
	const char *__asan_default_options(void)			\
	{								\
		return asan;						\
	}								\
									\
	const char *__ubsan_default_options(void)			\
	{								\
		return ubsan;						\
	}

#endif /* _VBUDDY_SANITIZER_H */
