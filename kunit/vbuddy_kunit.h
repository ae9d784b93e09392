/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What several vbuddy KUnit suites share.
 */
#ifndef _VBUDDY_KUNIT_H
#define _VBUDDY_KUNIT_H

#include <kunit/test.h>
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

#endif /* _VBUDDY_KUNIT_H */
