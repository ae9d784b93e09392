/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace test harness for the vbuddy core (module/buddy.c), which is
 * built here with the host compiler under ASan and UBSan, the way
 * tools/testing/radix-tree builds lib/maple_tree.c.
 */
#ifndef _VBUDDY_TEST_H
#define _VBUDDY_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>

#include "buddy.h"
#include "rng.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* ---- test cases -------------------------------------------------------- */

/*
 * kunit_shim.c: the KUnit cases of kunit/buddy_test.c. kunit_shim_each()
 * calls @fn (unless NULL) with each case, or each parameter of a
 * parameterised one, as KUnit counts them, and returns how many there
 * are; kunit_shim_run() runs one in this process, true if it passed.
 */
struct kunit_shim_case;
typedef void (*kunit_shim_fn)(void *ctx, const char *suite, const char *name,
			      const struct kunit_shim_case *c);
unsigned int kunit_shim_each(kunit_shim_fn fn, void *ctx);
bool kunit_shim_run(const struct kunit_shim_case *c);

/* tools.c: cases that run fuzz_buddy_replay and vbuddy-replay-asan. */
struct test_case {
	const char *name;
	void (*fn)(void);
};

extern const struct test_case tool_cases[];
extern const unsigned int nr_tool_cases;

/* ftrace_test.c: cases of the ftrace parser (ftrace.c), run with them. */
extern const struct test_case ftrace_cases[];
extern const unsigned int nr_ftrace_cases;

/* Run parameters of the randomized test. */
struct rand_params {
	u64 seed;
	unsigned long ops;
	unsigned int check_every;	/* buddy_check() period, in operations */
};

#define NR_RANDOM_LAYOUTS	3

/* Returns true on success; prints its own "# " diagnostics. */
bool random_run(const struct rand_params *rp, unsigned int layout);
const char *random_layout_name(unsigned int layout);

/*
 * The current case fails when any expectation fails. The first few messages
 * are printed as TAP diagnostics ("# ..."), the rest only counted.
 */
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool test_case_failed(void);

#define EXPECT(cond)							\
	({								\
		bool __ok = !!(cond);					\
		if (!__ok)						\
			test_fail(__FILE__, __LINE__, "%s", #cond);	\
		__ok;							\
	})

#define EXPECT_EQ(a, b)							\
	({								\
		long long __a = (long long)(a), __b = (long long)(b);	\
		bool __ok = __a == __b;					\
		if (!__ok)						\
			test_fail(__FILE__, __LINE__,			\
				  "%s == %s: got %lld, want %lld",	\
				  #a, #b, __a, __b);			\
		__ok;							\
	})

void *xcalloc(size_t n, size_t size);

#endif /* _VBUDDY_TEST_H */
