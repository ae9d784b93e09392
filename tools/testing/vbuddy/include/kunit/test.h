/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The part of KUnit's <kunit/test.h> that kunit/buddy_test.c uses, so that
 * the very same file runs in userspace under ASan and UBSan, as
 * tools/testing/radix-tree runs lib/test_maple_tree.c. This include/
 * directory comes first on the include path of that file only.
 *
 * Same names, arguments and meaning as in the kernel (6.12): a failed
 * KUNIT_EXPECT_*() marks the case failed and goes on, a failed
 * KUNIT_ASSERT_*() ends the case (a longjmp() back to kunit_shim_run(),
 * where the kernel leaves the case's kthread); memory from kunit_k*alloc()
 * is freed when the case ends. The runtime is kunit_shim.c; vbuddy_test.c
 * runs each case, or each parameter of a parameterised one, in a child
 * process of its own and reports it as one TAP line.
 */
#ifndef _VBUDDY_SHIM_KUNIT_TEST_H
#define _VBUDDY_SHIM_KUNIT_TEST_H

#include <setjmp.h>
#include <stdio.h>
#include <linux/array_size.h>
#include <linux/build_bug.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/types.h>

#define KUNIT_PARAM_DESC_SIZE 128

struct kunit_alloc;

struct kunit {
	void *priv;

	/* private: the shim's */
	const char *name;
	const void *param_value;
	int param_index;
	jmp_buf abort;			/* where a failed assertion goes */
	struct kunit_alloc *allocs;	/* kunit_k*alloc() memory, freed at the end */
};

struct kunit_case {
	void (*run_case)(struct kunit *test);
	const char *name;
	const void *(*generate_params)(const void *prev, char *desc);
};

/* No suite_init or suite_exit: each case runs in a process of its own. */
struct kunit_suite {
	const char name[256];
	int (*init)(struct kunit *test);
	void (*exit)(struct kunit *test);
	struct kunit_case *test_cases;
};

#define KUNIT_CASE(test_name)						\
	{ .run_case = test_name, .name = #test_name }

#define KUNIT_CASE_PARAM(test_name, gen_params)				\
	{ .run_case = test_name, .name = #test_name,			\
	  .generate_params = gen_params }

#define KUNIT_ARRAY_PARAM(name, array, get_desc)			\
	static const void *name##_gen_params(const void *prev, char *desc) \
	{								\
		typeof((array)[0]) *__next = prev ? ((typeof(__next))prev) + 1 : (array); \
		if ((size_t)(__next - (array)) < ARRAY_SIZE((array))) {	\
			void (*__get_desc)(typeof(__next), char *) = get_desc; \
			if (__get_desc)					\
				__get_desc(__next, desc);		\
			return __next;					\
		}							\
		return NULL;						\
	}

#define KUNIT_ARRAY_PARAM_DESC(name, array, desc_member)		\
	static const void *name##_gen_params(const void *prev, char *desc) \
	{								\
		typeof((array)[0]) *__next = prev ? ((typeof(__next))prev) + 1 : (array); \
		if ((size_t)(__next - (array)) < ARRAY_SIZE((array))) {	\
			strscpy(desc, __next->desc_member, KUNIT_PARAM_DESC_SIZE); \
			return __next;					\
		}							\
		return NULL;						\
	}

/*
 * kunit_test_suites() hands the suites to the kernel's KUnit through a
 * section of the module; here a constructor registers them before main().
 */
void kunit_shim_register(struct kunit_suite *suite);

#define kunit_test_suites(...)						\
	static struct kunit_suite *__kunit_shim_suites[] = { __VA_ARGS__ }; \
	__attribute__((constructor)) static void __kunit_shim_init(void)	\
	{								\
		size_t i;						\
									\
		for (i = 0; i < ARRAY_SIZE(__kunit_shim_suites); i++)	\
			kunit_shim_register(__kunit_shim_suites[i]);	\
	}

#define kunit_test_suite(suite)	kunit_test_suites(&suite)

/* ---- memory that lives as long as the case ----------------------------- */

/* Exactly @n * @size bytes, so that ASan sees any access past them. */
void *kunit_kmalloc_array(struct kunit *test, size_t n, size_t size, gfp_t gfp);
void kunit_kfree(struct kunit *test, const void *ptr);

static inline void *kunit_kmalloc(struct kunit *test, size_t size, gfp_t gfp)
{
	return kunit_kmalloc_array(test, 1, size, gfp);
}

static inline void *kunit_kzalloc(struct kunit *test, size_t size, gfp_t gfp)
{
	return kunit_kmalloc(test, size, gfp | __GFP_ZERO);
}

static inline void *kunit_kcalloc(struct kunit *test, size_t n, size_t size, gfp_t gfp)
{
	return kunit_kmalloc_array(test, n, size, gfp | __GFP_ZERO);
}

/* ---- messages ---------------------------------------------------------- */

#define kunit_info(test, fmt, ...)					\
	((void)(test), printf("#   " fmt "\n", ##__VA_ARGS__))
#define kunit_err(test, fmt, ...)	kunit_info(test, fmt, ##__VA_ARGS__)

/*
 * A failed expectation: @what (from kunit_shim_what(), freed here) says
 * what was expected and seen, @fmt is the caller's message, printed as the
 * kernel prints them. With @fatal it does not return.
 */
void kunit_shim_fail(struct kunit *test, const char *file, int line, bool fatal,
		     char *what, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
char *kunit_shim_what(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- expectations and assertions ----------------------------------------- */

/*
 * @ok, or a failure: @what (evaluated only then) and the message, which is
 * the trailing arguments of the _MSG variants, or "%s", "" for the others.
 */
#define __KUNIT_CHECK(test, fatal, ok, what, ...)			\
	do {								\
		if (!(ok))						\
			kunit_shim_fail(test, __FILE__, __LINE__, fatal, what, __VA_ARGS__); \
	} while (0)

#define __KUNIT_INT(test, fatal, left, op, right, ...)			\
	do {								\
		const typeof(left) __left = (left);			\
		const typeof(right) __right = (right);			\
									\
		__KUNIT_CHECK(test, fatal, __left op __right,		\
			      kunit_shim_what("Expected %s %s %s, but\n"	\
					      "    %s == %lld (%#llx)\n"	\
					      "    %s == %lld (%#llx)",	\
					      #left, #op, #right,	\
					      #left, (long long)__left,	\
					      (unsigned long long)__left, \
					      #right, (long long)__right, \
					      (unsigned long long)__right), \
			      __VA_ARGS__);				\
	} while (0)

#define __KUNIT_PTR(test, fatal, left, op, right, ...)			\
	do {								\
		const void *__left = (left), *__right = (right);	\
									\
		__KUNIT_CHECK(test, fatal, __left op __right,		\
			      kunit_shim_what("Expected %s %s %s, but %s == %p, %s == %p", \
					      #left, #op, #right, #left, __left, \
					      #right, __right), __VA_ARGS__); \
	} while (0)

#define __KUNIT_BOOL(test, fatal, cond, want, ...)			\
	__KUNIT_CHECK(test, fatal, (!!(cond)) == (want),		\
		      kunit_shim_what("Expected %s to be %s, but is %s", #cond, #want, \
				      (want) ? "false" : "true"), __VA_ARGS__)

#define __KUNIT_STR(test, fatal, left, op, right, ...)			\
	do {								\
		const char *__left = (left), *__right = (right);	\
									\
		__KUNIT_CHECK(test, fatal, strcmp(__left, __right) op 0, \
			      kunit_shim_what("Expected %s %s %s, but %s == \"%s\", %s == \"%s\"", \
					      #left, #op, #right, #left, __left, \
					      #right, __right), __VA_ARGS__); \
	} while (0)

/* With the offset of the first differing byte. */
#define __KUNIT_MEM(test, fatal, left, op, right, size, ...)		\
	do {								\
		const unsigned char *__left = (const void *)(left);	\
		const unsigned char *__right = (const void *)(right);	\
		size_t __size = (size), __i = 0;			\
									\
		while (__i < __size && __left[__i] == __right[__i])	\
			__i++;						\
		__KUNIT_CHECK(test, fatal, (__i == __size) op true,	\
			      kunit_shim_what("Expected %s %s %s over %zu bytes (first difference at byte %zu)", \
					      #left, #op, #right, __size, __i), \
			      __VA_ARGS__);				\
	} while (0)

#define __KUNIT_NOMSG	"%s", ""

#define KUNIT_FAIL(test, fmt, ...)					\
	kunit_shim_fail(test, __FILE__, __LINE__, false, NULL, fmt, ##__VA_ARGS__)

#define KUNIT_EXPECT_TRUE(test, c)		__KUNIT_BOOL(test, false, c, true, __KUNIT_NOMSG)
#define KUNIT_EXPECT_TRUE_MSG(test, c, ...)	__KUNIT_BOOL(test, false, c, true, __VA_ARGS__)
#define KUNIT_EXPECT_FALSE(test, c)		__KUNIT_BOOL(test, false, c, false, __KUNIT_NOMSG)
#define KUNIT_EXPECT_FALSE_MSG(test, c, ...)	__KUNIT_BOOL(test, false, c, false, __VA_ARGS__)
#define KUNIT_ASSERT_TRUE(test, c)		__KUNIT_BOOL(test, true, c, true, __KUNIT_NOMSG)
#define KUNIT_ASSERT_TRUE_MSG(test, c, ...)	__KUNIT_BOOL(test, true, c, true, __VA_ARGS__)
#define KUNIT_ASSERT_FALSE(test, c)		__KUNIT_BOOL(test, true, c, false, __KUNIT_NOMSG)
#define KUNIT_ASSERT_FALSE_MSG(test, c, ...)	__KUNIT_BOOL(test, true, c, false, __VA_ARGS__)

#define KUNIT_EXPECT_EQ(test, l, r)		__KUNIT_INT(test, false, l, ==, r, __KUNIT_NOMSG)
#define KUNIT_EXPECT_EQ_MSG(test, l, r, ...)	__KUNIT_INT(test, false, l, ==, r, __VA_ARGS__)
#define KUNIT_EXPECT_NE(test, l, r)		__KUNIT_INT(test, false, l, !=, r, __KUNIT_NOMSG)
#define KUNIT_EXPECT_NE_MSG(test, l, r, ...)	__KUNIT_INT(test, false, l, !=, r, __VA_ARGS__)
#define KUNIT_EXPECT_LT(test, l, r)		__KUNIT_INT(test, false, l, <, r, __KUNIT_NOMSG)
#define KUNIT_EXPECT_LT_MSG(test, l, r, ...)	__KUNIT_INT(test, false, l, <, r, __VA_ARGS__)
#define KUNIT_EXPECT_LE(test, l, r)		__KUNIT_INT(test, false, l, <=, r, __KUNIT_NOMSG)
#define KUNIT_EXPECT_LE_MSG(test, l, r, ...)	__KUNIT_INT(test, false, l, <=, r, __VA_ARGS__)
#define KUNIT_EXPECT_GT(test, l, r)		__KUNIT_INT(test, false, l, >, r, __KUNIT_NOMSG)
#define KUNIT_EXPECT_GT_MSG(test, l, r, ...)	__KUNIT_INT(test, false, l, >, r, __VA_ARGS__)
#define KUNIT_EXPECT_GE(test, l, r)		__KUNIT_INT(test, false, l, >=, r, __KUNIT_NOMSG)
#define KUNIT_EXPECT_GE_MSG(test, l, r, ...)	__KUNIT_INT(test, false, l, >=, r, __VA_ARGS__)
#define KUNIT_ASSERT_EQ(test, l, r)		__KUNIT_INT(test, true, l, ==, r, __KUNIT_NOMSG)
#define KUNIT_ASSERT_EQ_MSG(test, l, r, ...)	__KUNIT_INT(test, true, l, ==, r, __VA_ARGS__)
#define KUNIT_ASSERT_NE(test, l, r)		__KUNIT_INT(test, true, l, !=, r, __KUNIT_NOMSG)
#define KUNIT_ASSERT_NE_MSG(test, l, r, ...)	__KUNIT_INT(test, true, l, !=, r, __VA_ARGS__)
#define KUNIT_ASSERT_LT(test, l, r)		__KUNIT_INT(test, true, l, <, r, __KUNIT_NOMSG)
#define KUNIT_ASSERT_LT_MSG(test, l, r, ...)	__KUNIT_INT(test, true, l, <, r, __VA_ARGS__)
#define KUNIT_ASSERT_LE(test, l, r)		__KUNIT_INT(test, true, l, <=, r, __KUNIT_NOMSG)
#define KUNIT_ASSERT_LE_MSG(test, l, r, ...)	__KUNIT_INT(test, true, l, <=, r, __VA_ARGS__)
#define KUNIT_ASSERT_GT(test, l, r)		__KUNIT_INT(test, true, l, >, r, __KUNIT_NOMSG)
#define KUNIT_ASSERT_GT_MSG(test, l, r, ...)	__KUNIT_INT(test, true, l, >, r, __VA_ARGS__)
#define KUNIT_ASSERT_GE(test, l, r)		__KUNIT_INT(test, true, l, >=, r, __KUNIT_NOMSG)
#define KUNIT_ASSERT_GE_MSG(test, l, r, ...)	__KUNIT_INT(test, true, l, >=, r, __VA_ARGS__)

#define KUNIT_EXPECT_PTR_EQ(test, l, r)		__KUNIT_PTR(test, false, l, ==, r, __KUNIT_NOMSG)
#define KUNIT_EXPECT_PTR_EQ_MSG(test, l, r, ...) __KUNIT_PTR(test, false, l, ==, r, __VA_ARGS__)
#define KUNIT_EXPECT_PTR_NE(test, l, r)		__KUNIT_PTR(test, false, l, !=, r, __KUNIT_NOMSG)
#define KUNIT_EXPECT_PTR_NE_MSG(test, l, r, ...) __KUNIT_PTR(test, false, l, !=, r, __VA_ARGS__)
#define KUNIT_EXPECT_NULL(test, p)		__KUNIT_PTR(test, false, p, ==, NULL, __KUNIT_NOMSG)
#define KUNIT_EXPECT_NULL_MSG(test, p, ...)	__KUNIT_PTR(test, false, p, ==, NULL, __VA_ARGS__)
#define KUNIT_EXPECT_NOT_NULL(test, p)		__KUNIT_PTR(test, false, p, !=, NULL, __KUNIT_NOMSG)
#define KUNIT_EXPECT_NOT_NULL_MSG(test, p, ...)	__KUNIT_PTR(test, false, p, !=, NULL, __VA_ARGS__)
#define KUNIT_ASSERT_PTR_EQ(test, l, r)		__KUNIT_PTR(test, true, l, ==, r, __KUNIT_NOMSG)
#define KUNIT_ASSERT_PTR_EQ_MSG(test, l, r, ...) __KUNIT_PTR(test, true, l, ==, r, __VA_ARGS__)
#define KUNIT_ASSERT_NULL(test, p)		__KUNIT_PTR(test, true, p, ==, NULL, __KUNIT_NOMSG)
#define KUNIT_ASSERT_NULL_MSG(test, p, ...)	__KUNIT_PTR(test, true, p, ==, NULL, __VA_ARGS__)
#define KUNIT_ASSERT_NOT_NULL(test, p)		__KUNIT_PTR(test, true, p, !=, NULL, __KUNIT_NOMSG)
#define KUNIT_ASSERT_NOT_NULL_MSG(test, p, ...)	__KUNIT_PTR(test, true, p, !=, NULL, __VA_ARGS__)

#define KUNIT_EXPECT_STREQ(test, l, r)		__KUNIT_STR(test, false, l, ==, r, __KUNIT_NOMSG)
#define KUNIT_EXPECT_STREQ_MSG(test, l, r, ...)	__KUNIT_STR(test, false, l, ==, r, __VA_ARGS__)
#define KUNIT_EXPECT_STRNEQ(test, l, r)		__KUNIT_STR(test, false, l, !=, r, __KUNIT_NOMSG)
#define KUNIT_EXPECT_STRNEQ_MSG(test, l, r, ...) __KUNIT_STR(test, false, l, !=, r, __VA_ARGS__)

#define KUNIT_EXPECT_MEMEQ(test, l, r, n)	__KUNIT_MEM(test, false, l, ==, r, n, __KUNIT_NOMSG)
#define KUNIT_EXPECT_MEMEQ_MSG(test, l, r, n, ...)			\
	__KUNIT_MEM(test, false, l, ==, r, n, __VA_ARGS__)
#define KUNIT_EXPECT_MEMNEQ(test, l, r, n)	__KUNIT_MEM(test, false, l, !=, r, n, __KUNIT_NOMSG)
#define KUNIT_EXPECT_MEMNEQ_MSG(test, l, r, n, ...)			\
	__KUNIT_MEM(test, false, l, !=, r, n, __VA_ARGS__)

#endif /* _VBUDDY_SHIM_KUNIT_TEST_H */
