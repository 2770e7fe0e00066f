// SPDX-License-Identifier: LGPL-2.1-or-later
/* xshm_strerror() for every documented code, and xshm_version(). */
#include <regex.h>

#include "kselftest_harness.h"
#include "xshm_test.h"

static const int codes[] = {
	EAGAIN, ENOBUFS, ETIMEDOUT, EBADMSG, ENODATA, EPROTO, ESTALE, EBUSY,
	ENOENT, EMSGSIZE, EINVAL, EEXIST, EPERM, ENOSPC, ENOMEM, EROFS, EACCES,
};
#define NCODES (sizeof(codes) / sizeof(codes[0]))

TEST(strerror_explains_every_code)
{
	const char *msg[NCODES];
	unsigned int i, j;

	for (i = 0; i < NCODES; i++) {
		msg[i] = xshm_strerror(-codes[i]);
		ASSERT_NE(NULL, msg[i]);
		EXPECT_LT(3u, strlen(msg[i])) {
			TH_LOG("code -%d: \"%s\"", codes[i], msg[i]);
		}
	}
	/* each code has its own explanation */
	for (i = 1; i < NCODES; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(msg[i], msg[j]) == 0) {
				TH_LOG("codes -%d and -%d share \"%s\"",
				       codes[j], codes[i], msg[i]);
				_metadata->passed = 0;
			}
		}
	}
}

TEST(strerror_of_library_codes_says_what_the_library_means)
{
	/* libc's text for EBADMSG ("Bad message") says nothing of shared memory */
	EXPECT_STRNE(strerror(EBADMSG), xshm_strerror(-EBADMSG));
	EXPECT_STRNE(strerror(ESTALE), xshm_strerror(-ESTALE));
	EXPECT_STRNE(strerror(ENODATA), xshm_strerror(-ENODATA));
}

TEST(strerror_copes_with_any_int)
{
	static const int odd[] = { 0, 1, -1, -4095, -100000, 2147483647,
				   -2147483647 - 1 };
	unsigned int i;

	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		const char *m = xshm_strerror(odd[i]);

		ASSERT_NE(NULL, m);
		EXPECT_LT(0u, strlen(m));
	}
	/* a positive errno is taken as its negative, as callers mix them up */
	EXPECT_STREQ(xshm_strerror(-EAGAIN), xshm_strerror(EAGAIN));
}

TEST(version_is_major_minor_patch)
{
	const char *v = xshm_version();
	regex_t re;

	ASSERT_NE(NULL, v);
	ASSERT_EQ(0, regcomp(&re, "^[0-9]+\\.[0-9]+\\.[0-9]+$", REG_EXTENDED));
	EXPECT_EQ(0, regexec(&re, v, 0, NULL, 0)) {
		TH_LOG("version \"%s\"", v);
	}
	regfree(&re);
	/* a stable string, not a buffer rewritten per call */
	EXPECT_EQ(v, xshm_version());
}

TEST_HARNESS_MAIN
