# SPDX-License-Identifier: (GPL-2.0 OR MIT)
#
# The warning flags of everything built in user space (lib/, tools/,
# tests/, examples/ and the top Makefile's own compiles), decided once:
# every warning -Wall -Wextra enables is an error.  Included by each
# Makefile; the module has kbuild's own (W=1, make module-check).
KIPC_WARNINGS := -Wall -Wextra -Werror

# The test programs include the kselftest harness (Linux 6.1), whose
# ASSERT_*/EXPECT_* macros compare the two sides as they are given (a
# constant 0 against an unsigned counter: -Wsign-compare) and whose
# FIXTURE_SETUP/TEARDOWN and TEST_F functions take parameters many tests
# never use (_metadata, self, variant: -Wunused-parameter).  The tests'
# own helper library (tests/lib/libkt.a) does not include the harness and
# takes KIPC_WARNINGS as it is.
KIPC_TEST_WARNINGS := $(KIPC_WARNINGS) -Wno-sign-compare -Wno-unused-parameter
