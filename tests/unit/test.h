/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A tiny unit-test harness.  Each TEST() is one case; CHECK() records a
 * failure with file:line and the expression but lets the case go on, so one
 * run shows every broken assertion.  tests/run.sh counts the "ok"/"FAIL"
 * lines every test program prints.
 */
#ifndef VIGIL_TEST_H
#define VIGIL_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failed_checks;
static int test_cases_failed;
static int test_cases_run;

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n",      \
			        __FILE__, __LINE__, #cond);                 \
			test_failed_checks++;                               \
		}                                                           \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                  \
	do {                                                                \
		long long va_ = (long long)(a), vb_ = (long long)(b);       \
		if (va_ != vb_) {                                           \
			fprintf(stderr, "  %s:%d: %s == %s failed: %lld != %lld\n", \
			        __FILE__, __LINE__, #a, #b, va_, vb_);      \
			test_failed_checks++;                               \
		}                                                           \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                  \
	do {                                                                \
		const char *sa_ = (a), *sb_ = (b);                          \
		if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                \
			fprintf(stderr, "  %s:%d: %s == %s failed: \"%s\" != \"%s\"\n", \
			        __FILE__, __LINE__, #a, #b, sa_ ? sa_ : "(null)", \
			        sb_ ? sb_ : "(null)");                      \
			test_failed_checks++;                               \
		}                                                           \
	} while (0)

#define RUN(fn)                                                             \
	do {                                                                \
		int before_ = test_failed_checks;                           \
		test_cases_run++;                                           \
		fn();                                                       \
		if (test_failed_checks != before_) {                        \
			test_cases_failed++;                                \
			printf("FAIL %s\n", #fn);                           \
		} else {                                                    \
			printf("ok %s\n", #fn);                             \
		}                                                           \
		fflush(stdout);                                             \
	} while (0)

#define TEST_MAIN_END() (test_cases_failed ? 1 : 0)

/* Path of the shared real data: $VIGIL_DATA or ../shared/data. */
static inline const char *
test_data_dir(void)
{
	const char *d = getenv("VIGIL_DATA");
	return d && *d ? d : "../shared/data";
}

#endif
