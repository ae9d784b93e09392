// SPDX-License-Identifier: GPL-2.0
/*
 * The runtime of the KUnit shim (include/kunit/test.h): the suites that
 * kunit_test_suites() registered, their cases and parameters, the
 * case-lifetime memory, failed expectations (printed and counted by the
 * harness's test_fail()) and running one case with its suite's init and
 * exit. Only this file and the test itself see the shim's headers.
 */

#define _GNU_SOURCE		/* vasprintf() */
#include <stdarg.h>
#include <stdlib.h>

#include <kunit/test.h>

#include "vbuddy_test.h"

#define MAX_SUITES	8

struct kunit_alloc {
	struct kunit_alloc *next;
	void *ptr;
};

static struct kunit_suite *suites[MAX_SUITES];
static unsigned int nr_suites;

void kunit_shim_register(struct kunit_suite *suite)
{
	if (nr_suites == MAX_SUITES) {
		fprintf(stderr, "kunit_shim: more than %d suites\n", MAX_SUITES);
		exit(2);
	}
	suites[nr_suites++] = suite;
}

void *kunit_kmalloc_array(struct kunit *test, size_t n, size_t size, gfp_t gfp)
{
	struct kunit_alloc *a;

	if (size && n > SIZE_MAX / size)
		return NULL;
	a = malloc(sizeof(*a));
	if (!a)
		return NULL;
	/* The kernel hands out ZERO_SIZE_PTR for 0 bytes; any pointer will do. */
	a->ptr = gfp & __GFP_ZERO ? calloc(n ? n : 1, size ? size : 1) :
				    malloc(n && size ? n * size : 1);
	if (!a->ptr) {
		free(a);
		return NULL;
	}
	a->next = test->allocs;
	test->allocs = a;
	return a->ptr;
}

void kunit_kfree(struct kunit *test, const void *ptr)
{
	struct kunit_alloc **pp, *a;

	if (!ptr)
		return;
	for (pp = &test->allocs; (a = *pp); pp = &a->next) {
		if (a->ptr == ptr) {
			*pp = a->next;
			free(a->ptr);
			free(a);
			return;
		}
	}
	kunit_shim_fail(test, __FILE__, __LINE__, false, NULL,
			"kunit_kfree(%p): not from kunit_kmalloc_array()", ptr);
}

static void free_all(struct kunit *test)
{
	while (test->allocs)
		kunit_kfree(test, test->allocs->ptr);
}

char *kunit_shim_what(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* @s with each line after the first indented as a TAP diagnostic; freed. */
static char *tap_lines(char *s)
{
	size_t n = 1;
	char *p, *out, *o;

	for (p = s; *p; p++)
		n += *p == '\n' ? 8 : 1;
	out = xcalloc(n, 1);
	for (p = s, o = out; *p; p++) {
		if (*p == '\n') {
			memcpy(o, "\n#      ", 8);
			o += 8;
		} else {
			*o++ = *p;
		}
	}
	free(s);
	return out;
}

void kunit_shim_fail(struct kunit *test, const char *file, int line, bool fatal,
		     char *what, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (what && msg && *msg) {
		char *both;

		if (asprintf(&both, "%s\n%s", what, msg) < 0)
			both = NULL;
		free(what);
		what = both;
	} else if (!what) {
		what = msg;
		msg = NULL;
	}
	what = tap_lines(what ? what : xcalloc(1, 1));
	test_fail(file, line, "%s", what);
	free(what);
	free(msg);
	if (fatal)
		longjmp(test->abort, 1);
}

/* A case, or one parameter of a parameterised case. */
struct kunit_shim_case {
	struct kunit_suite *suite;
	struct kunit_case *kcase;
	const void *param;
	int index;
};

unsigned int kunit_shim_each(kunit_shim_fn fn, void *ctx)
{
	unsigned int i, n = 0;

	for (i = 0; i < nr_suites; i++) {
		struct kunit_shim_case c = { .suite = suites[i] };

		for (c.kcase = c.suite->test_cases; c.kcase->run_case; c.kcase++) {
			char desc[KUNIT_PARAM_DESC_SIZE], name[KUNIT_PARAM_DESC_SIZE + 256];

			if (!c.kcase->generate_params) {
				n++;
				if (fn)
					fn(ctx, c.suite->name, c.kcase->name, &c);
				continue;
			}
			/* The parameters as KUnit makes them: the previous one, and a name. */
			desc[0] = '\0';
			for (c.param = NULL, c.index = 0;
			     (c.param = c.kcase->generate_params(c.param, desc)); c.index++) {
				n++;
				snprintf(name, sizeof(name), "%s: %s", c.kcase->name,
					 desc[0] ? desc : "(no description)");
				if (fn)
					fn(ctx, c.suite->name, name, &c);
				desc[0] = '\0';
			}
		}
	}
	return n;
}

/*
 * As the kernel runs a case: init, the case, exit (also after a failed
 * assertion or init; a failed assertion in exit ends exit), then the
 * case's memory is freed.
 */
bool kunit_shim_run(const struct kunit_shim_case *c)
{
	struct kunit *test = xcalloc(1, sizeof(*test));
	bool ok;

	test->name = c->kcase->name;
	test->param_value = c->param;
	test->param_index = c->index;
	if (!setjmp(test->abort)) {
		if (c->suite->init && c->suite->init(test))
			kunit_shim_fail(test, __FILE__, __LINE__, true, NULL,
					"%s: init failed", c->suite->name);
		c->kcase->run_case(test);
	}
	if (c->suite->exit && !setjmp(test->abort))
		c->suite->exit(test);
	free_all(test);
	ok = !test_case_failed();
	free(test);
	return ok;
}
