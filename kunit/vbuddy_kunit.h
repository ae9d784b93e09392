/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What several vbuddy KUnit suites share.
 */
#ifndef _VBUDDY_KUNIT_H
#define _VBUDDY_KUNIT_H

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/hrtimer.h>
#include <linux/string.h>

#include "../module/vbuddy.h"

/*
 * The last report on @pool says @why: a bad-input test proves why the call
 * was refused, not only that it was.
 */
#define KUNIT_EXPECT_REPORT(test, pool, why) do {				\
	const char *__why = (why);						\
	char __report[VBUDDY_REPORT_LEN];					\
										\
	vbuddy_pool_last_report(pool, __report, sizeof(__report));		\
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(__report, __why),		\
				  "report \"%s\", expected \"%s\"", __report, __why); \
} while (0)

/*
 * Run @fn once in a hard interrupt (an hrtimer): @timer and @done live in
 * the caller's context, which @fn finds with container_of() and completes.
 * Whether it ran within 5 s.
 */
static inline bool vbuddy_kunit_in_hardirq(struct hrtimer *timer, struct completion *done,
					   enum hrtimer_restart (*fn)(struct hrtimer *timer))
{
	unsigned long left;

	init_completion(done);
	hrtimer_init_on_stack(timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	timer->function = fn;
	hrtimer_start(timer, ns_to_ktime(1000), HRTIMER_MODE_REL_HARD);
	left = wait_for_completion_timeout(done, 5 * HZ);
	hrtimer_cancel(timer);
	destroy_hrtimer_on_stack(timer);
	return left;
}

/* A suite's init: a fresh pool of @pages named @name in test->priv. */
static inline struct vbuddy_pool *vbuddy_kunit_pool(struct kunit *test, const char *name,
						    unsigned long pages)
{
	struct vbuddy_pool *pool = vbuddy_pool_create(name, pages);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	test->priv = pool;
	return pool;
}

/*
 * A suite's exit: the pool in test->priv is intact and has all its @pages
 * back; then it goes, even when a failed case left blocks out, so as not to
 * fail the cases after it.
 */
static inline void vbuddy_kunit_pool_exit(struct kunit *test, unsigned long pages)
{
	struct vbuddy_pool *pool = test->priv;

	if (IS_ERR_OR_NULL(pool))	/* init failed, or the case took it */
		return;
	KUNIT_EXPECT_EQ(test, vbuddy_pool_check(pool), 0);
	KUNIT_EXPECT_EQ(test, vbuddy_pool_free_pages(pool), pages);
	vbuddy_pool_teardown(pool);
}

/*
 * @stmt is refused as a misuse of @pool: exactly one report, which says
 * @why. The report is logged at info level, as a provoked one.
 */
#define KUNIT_EXPECT_REFUSED(test, pool, why, stmt) do {			\
	struct vbuddy_pool *__pool = (pool);					\
	unsigned long __r = vbuddy_pool_event(__pool, VBUDDY_EV_BAD_INPUT);	\
	struct kunit *__test = (test);						\
										\
	vbuddy_pool_expect_reports(__pool, true);				\
	stmt;									\
	vbuddy_pool_expect_reports(__pool, false);				\
	KUNIT_EXPECT_EQ(__test, vbuddy_pool_event(__pool, VBUDDY_EV_BAD_INPUT), __r + 1); \
	KUNIT_EXPECT_REPORT(__test, __pool, why);				\
} while (0)

#endif /* _VBUDDY_KUNIT_H */
