/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test helpers are libkt now: tests/lib/kt.h (functions, in
 * tests/lib/libkt.a) and tests/lib/kt_harness.h (what needs the harness).
 * This name stays for the test programs that still include it, with the
 * system headers it used to include for them.
 */
#ifndef KIPC_TEST_H
#define KIPC_TEST_H

#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "lib/kt_harness.h"

#endif /* KIPC_TEST_H */
