# SPDX-License-Identifier: GPL-2.0
#
# kipc top-level Makefile: the module (kbuild), libkipc, tools and tests,
# and the VM targets that load the module and run the suite.

# Everything below that depends on installed packages (KDIR, KVER,
# DKMS_KVER, the sub-Makefiles' pkg-config calls) is computed when make
# parses a Makefile.  So the targets that run `deps` first (check, demo,
# heavy-prep, bench) do the rest in a fresh $(MAKE), which parses again
# with the packages in place, and none of these values is exported: a
# sub-make computes its own instead of inheriting an empty one.
#
# KDIR: the running kernel's build tree when its headers are installed,
# otherwise the newest Debian kernel headers (the kernel the VM boots).
KRUN      := $(shell uname -r)
KDIR_DEB  := $(shell for d in $$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | 		sort -V); do [ -f $$d/Makefile ] && k=$$d; done; echo $$k)
ifeq ($(strip $(KDIR)),)
override KDIR := $(shell d=/lib/modules/$(KRUN)/build; 		if [ -f $$d/Makefile ]; then echo $$d; else echo $(KDIR_DEB); fi)
endif
include mk/warnings.mk

KSRC_TAR  ?= /usr/src/linux-source-6.1.tar.xz
CACHE     ?= $(HOME)/.cache/kipc
KSFT_DIR  ?= $(CACHE)/ksft-6.1
export KSRC_TAR CACHE KSFT_DIR

# Without headers, `make module` stops with one line naming the package:
# the running kernel's headers when it is a Debian kernel, otherwise
# those of the newest Debian kernel in /boot (what the VM boots), or the
# current Debian kernel's when there is none.
KDEB_IMG  := $(shell ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -n 1)
ifneq ($(wildcard /boot/config-$(KRUN)),)
KHDR_FOR  := $(KRUN)
KHDR_PKG  := linux-headers-$(KRUN)
else ifneq ($(KDEB_IMG),)
KHDR_FOR  := $(patsubst /boot/vmlinuz-%,%,$(KDEB_IMG))
KHDR_PKG  := linux-headers-$(KHDR_FOR)
else
KHDR_FOR  := $(KRUN) or a Debian kernel
KHDR_PKG  := linux-headers-amd64
endif
kipc_need_kdir = $(if $(KDIR),,$(error kipc: no kernel headers for \
	$(KHDR_FOR): apt-get install $(KHDR_PKG)))

.PHONY: all deps module lib nl tools tests ksft-headers check check-debian \
	check-debug module-debug demo clean module-check checkpatch fresh-check

all: module lib tools tests examples

module:
	$(kipc_need_kdir)$(MAKE) -C $(KDIR) M=$(CURDIR)/module CONFIG_KIPC=m W=1 modules

# W=1 and sparse (C=1) over the module, warnings are errors here.
# C=2 runs sparse on every file, also those already built; a failing
# build fails this target, and so does any warning in its output.
MODCHECK_LOG := build/module-check.log

module-check:
	@mkdir -p build
	$(kipc_need_kdir){ $(MAKE) -C $(KDIR) M=$(CURDIR)/module CONFIG_KIPC=m \
		W=1 C=2 CHECK="sparse -Wno-unknown-attribute" modules 2>&1; \
		echo $$? >$(MODCHECK_LOG).rc; } | tee $(MODCHECK_LOG)
	@test "$$(cat $(MODCHECK_LOG).rc)" = 0 || \
		{ echo "module-check: the build failed"; exit 1; }
	@! grep -E 'warning:|error:' $(MODCHECK_LOG)
	@rm -f $(MODCHECK_LOG) $(MODCHECK_LOG).rc

checkpatch: $(KSFT_DIR)/.stamp
	$(KSFT_DIR)/scripts/checkpatch.pl --no-tree --strict --terse -q \
		--ignore SPDX_LICENSE_TAG -f \
		$(filter-out %.mod.c,$(wildcard module/*.c)) module/*.h uapi/linux/*.h

lib:
	$(MAKE) -C lib

# libkipcnl, the netlink client that tools and tests both link: built
# once, first, so that a parallel make does not build it twice at once.
nl:
	$(MAKE) -C tools/nl

tools: lib nl
	$(MAKE) -C tools

tests: lib nl ksft-headers
	$(MAKE) -C tests

# kselftest_harness.h and checkpatch.pl come from Debian's linux-source-6.1
# at build time; they are never copied into this tree.
ksft-headers: $(KSFT_DIR)/.stamp

$(KSFT_DIR)/.stamp: $(KSRC_TAR)
	mkdir -p $(KSFT_DIR)
	tar -xJf $(KSRC_TAR) -C $(KSFT_DIR) --strip-components=1 \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.1/tools/testing/selftests/kselftest.h \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
	touch $@

# Debian packages for building and for the VM (idempotent; apt only runs
# when something is missing).
deps:
	scripts/install-deps.sh

# The whole suite, in QEMU: on Debian's kernel, then on the debug kernel
# (KASAN, lockdep, kmemleak, UBSAN, full preemption, the lockup, hung-task
# and RCU-stall detectors, fault injection), built once and cached in
# $(CACHE).  The debug run divides the heavy tests' counts by
# KIPC_TEST_SCALE=10 (see kt_scaled()): the full counts run on Debian's
# kernel.  Debian's kernel has no fault injection, so the fail-nth tests
# skip there; on the debug kernel KIPC_FAILNTH_REQUIRED=1 makes a missing
# /proc/thread-self/fail-nth a failure.
check: deps
	$(MAKE) all
	$(MAKE) man-check
	$(MAKE) pkgconfig-check
	$(MAKE) dkms-check
	$(MAKE) check-debian
	$(MAKE) check-debug

check-debian:
	tests/vm/run-suite.sh

# The module built against the debug kernel, in a tree of symlinks so the
# two builds never share objects.
DEBUG_MOD := $(CURDIR)/build/debug/module

module-debug:
	@kdir=$$(tests/vm/build-debug-kernel.sh) && \
	mkdir -p $(DEBUG_MOD) && ln -sfn $(CURDIR)/uapi build/debug/uapi && \
	for f in module/*.c module/*.h module/Kbuild; do \
		case $$f in *.mod.c) continue ;; esac; \
		ln -sf $(CURDIR)/$$f $(DEBUG_MOD)/; done && \
	$(MAKE) -C $$kdir M=$(DEBUG_MOD) CONFIG_KIPC=m W=1 modules

check-debug: module-debug
	kdir=$$(tests/vm/build-debug-kernel.sh) && \
	KIPC_VM_BUILD=$(CURDIR)/build/vm-debug \
	KIPC_VM_APPEND="$$KIPC_VM_APPEND KIPC_TEST_SCALE=10 KIPC_FAILNTH_REQUIRED=1" \
	tests/vm/run-suite.sh \
		--kernel $$kdir/arch/x86/boot/bzImage --ko $(DEBUG_MOD)/kipc.ko

# Boot the VM and run the demo (queues, owner-death cleanup).
demo: deps
	$(MAKE) all
	tests/vm/run-demo.sh

# README's two commands, `make demo` then `make check`, on a bare Debian
# bookworm root made by debootstrap, from a clone of HEAD; then
# `make install` there (root; tests/fresh/fresh-check.sh).
fresh-check:
	tests/fresh/fresh-check.sh

clean:
	$(if $(KDIR),$(MAKE) -C $(KDIR) M=$(CURDIR)/module clean || true)
	$(MAKE) -C lib clean
	$(MAKE) -C tools clean
	$(MAKE) -C tests clean
	$(MAKE) -C examples clean
	rm -f tests/kipc_pkgconfig_test
	rm -rf build

# --- examples, installation, packaging checks ----------------------------

.PHONY: examples install install-module install-lib install-tools \
	install-man install-config install-dkms uninstall man-check \
	pkgconfig-check dkms-check

# Copyable programs (examples/*.c), static like tools/ so the VM runs them.
examples: lib
	$(MAKE) -C examples

# make install [DESTDIR=...] [PREFIX=/usr/local] [KDIR=... | KVER=...]:
# the module for KVER (the release of the kernel KDIR was built for) into
# /lib/modules/KVER/extra, then depmod; libkipc (.so.1 with its symbol
# versions, .a, <kipc.h>, <kipc-bridge.h>, <linux/kipc*.h>, kipc.pc);
# kipcctl, kipc-bench and kipc-bridge; the man pages; a udev rule, a modprobe.d
# file of the module's parameters and a modules-load.d file that loads it
# at boot.  Without kernel headers: make install-lib install-man.
VERSION		:= $(shell sed -n 's/^VERSION[[:space:]]*:=[[:space:]]*//p' lib/Makefile)
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
MANDIR		?= $(PREFIX)/share/man
# Debian's headers report kernelrelease 6.1.x; modules live under the
# UTS release (6.1.0-N-amd64), which is what utsrelease.h holds.
ifeq ($(strip $(KVER)),)
override KVER	:= $(if $(KDIR),$(shell \
		   sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
			$(KDIR)/include/generated/utsrelease.h 2>/dev/null || \
		   $(MAKE) -s --no-print-directory -C $(KDIR) kernelrelease 2>/dev/null))
endif
# System paths, not under PREFIX (kmod, udev and systemd do not read
# /usr/local); /lib is read on merged and split /usr alike.
MODDIR		?= /lib/modules/$(KVER)/extra
UDEVRULESDIR	?= /lib/udev/rules.d
MODPROBEDIR	?= /lib/modprobe.d
MODULESLOADDIR	?= /lib/modules-load.d
DKMSDIR		?= /usr/src/kipc-$(VERSION)
TOOLS_INSTALL	:= kipcctl kipc-bench kipc-bridge
MAN_PAGES	= $(wildcard man/man1/*.1 man/man3/*.3 man/man7/*.7 man/man8/*.8)

install: install-module install-lib install-tools install-man install-config

# depmod updates the running system's index; in a staging DESTDIR it may
# lack the kernel's own modules.* files, which is not an error there.
define kipc_depmod
	@if [ -z "$(DESTDIR)" ]; then \
		echo "depmod -a $(KVER)"; depmod -a $(KVER); \
	elif depmod -b $(DESTDIR) $(KVER) 2>/dev/null; then \
		echo "depmod -b $(DESTDIR) $(KVER)"; \
	else \
		echo "note: depmod -b $(DESTDIR) $(KVER) failed; run depmod $(KVER) on the target"; \
	fi
endef

install-module: module
	@test -n "$(KVER)" || { echo "install: no KVER: kernel headers missing (KDIR=$(KDIR))"; exit 1; }
	install -D -m 644 module/kipc.ko $(DESTDIR)$(MODDIR)/kipc.ko
	$(kipc_depmod)

install-lib: lib
	$(MAKE) -C lib install PREFIX=$(PREFIX)

install-tools: tools
	@for t in $(TOOLS_INSTALL); do \
		echo "install tools/$$t $(DESTDIR)$(BINDIR)/$$t"; \
		install -D -m 755 tools/$$t $(DESTDIR)$(BINDIR)/$$t || exit; \
	done

# .so pages (siblings of a function, liburing-style) are installed as is.
install-man:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8
	install -m 644 man/man1/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/man3/*.3 $(DESTDIR)$(MANDIR)/man3/
	install -m 644 man/man7/*.7 $(DESTDIR)$(MANDIR)/man7/
	install -m 644 man/man8/*.8 $(DESTDIR)$(MANDIR)/man8/

install-config:
	install -D -m 644 packaging/60-kipc.rules $(DESTDIR)$(UDEVRULESDIR)/60-kipc.rules
	install -D -m 644 packaging/kipc-modprobe.conf $(DESTDIR)$(MODPROBEDIR)/kipc.conf
	install -D -m 644 packaging/kipc-modules-load.conf $(DESTDIR)$(MODULESLOADDIR)/kipc.conf

# The module's source for DKMS: then `dkms install kipc/$(VERSION)`.
DKMS_SRCS = dkms.conf Kconfig module/Kbuild $(wildcard module/*.h) \
	$(filter-out %.mod.c,$(wildcard module/*.c)) $(wildcard uapi/linux/*.h)

install-dkms:
	@for f in $(DKMS_SRCS); do \
		install -D -m 644 $$f $(DESTDIR)$(DKMSDIR)/$$f || exit; \
	done
	@echo "installed the DKMS source in $(DESTDIR)$(DKMSDIR)"

uninstall:
ifneq ($(KVER),)
	rm -f $(DESTDIR)$(MODDIR)/kipc.ko
	rmdir $(DESTDIR)$(MODDIR) 2>/dev/null || true
	$(kipc_depmod)
else
	@echo "uninstall: no KVER (no kernel headers): the module is left; pass KVER="
endif
	$(MAKE) -C lib uninstall PREFIX=$(PREFIX)
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(TOOLS_INSTALL))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/,$(patsubst man/%,%,$(MAN_PAGES)))
	rm -f $(DESTDIR)$(UDEVRULESDIR)/60-kipc.rules \
		$(DESTDIR)$(MODPROBEDIR)/kipc.conf \
		$(DESTDIR)$(MODULESLOADDIR)/kipc.conf
	rm -rf $(DESTDIR)$(DKMSDIR)

# Every exported symbol has a section 3 page; every page renders with no
# warning (groff -ww); every .so and SEE ALSO names a page that exists.
man-check:
	man/check.sh lib/libkipc.map

# A program built against a DESTDIR install with nothing but
# `pkg-config --cflags --libs kipc`, linked shared and static.  The shared
# one runs here (no /dev/kipc on this host: it must link, load
# libkipc.so.1 and skip); the static one is tests/kipc_pkgconfig_test,
# which check-debian runs in the VM.
PKGROOT		:= $(CURDIR)/build/pkgconfig
PKGCONF		= PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR=$(PKGROOT)/usr/lib/pkgconfig \
		  PKG_CONFIG_SYSROOT_DIR=$(PKGROOT) pkg-config
PKG_TEST	:= tests/pkgconfig/kipc_pkgconfig_test.c

pkgconfig-check: lib
	rm -rf $(PKGROOT)
	$(MAKE) -C lib install DESTDIR=$(PKGROOT) PREFIX=/usr
	$(PKGCONF) --exists --print-errors kipc
	$(CC) -O2 $(KIPC_WARNINGS) -o $(PKGROOT)/kipc_pkgconfig_test-shared \
		$(PKG_TEST) $$($(PKGCONF) --cflags --libs kipc)
	$(CC) -O2 $(KIPC_WARNINGS) -static -o tests/kipc_pkgconfig_test \
		$(PKG_TEST) $$($(PKGCONF) --static --cflags --libs kipc)
	readelf -d $(PKGROOT)/kipc_pkgconfig_test-shared | grep -q 'NEEDED.*\[libkipc\.so\.1\]'
	readelf -W --dyn-syms $(PKGROOT)/kipc_pkgconfig_test-shared | grep -q 'kipc_send@KIPC_1\.0'
	! readelf -l tests/kipc_pkgconfig_test | grep -q 'program interpreter'
	rc=0; LD_LIBRARY_PATH=$(PKGROOT)/usr/lib \
		$(PKGROOT)/kipc_pkgconfig_test-shared || rc=$$?; \
	[ $$rc = 0 ] || [ $$rc = 4 ]
	rm -rf $(PKGROOT)

# dkms add/build/remove of this tree against Debian's installed headers,
# in private source and DKMS trees under build/ (nothing outside it is
# touched, so it is idempotent and needs no cleanup on failure).
DKMS_ROOT	:= $(CURDIR)/build/dkms
DKMS_KVER	:= $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
			$(KDIR_DEB)/include/generated/utsrelease.h 2>/dev/null)
DKMS		= dkms --sourcetree $(DKMS_ROOT)/src --dkmstree $(DKMS_ROOT)/tree

dkms-check:
	@command -v dkms >/dev/null || { echo "dkms-check: no dkms; run scripts/install-deps.sh"; exit 1; }
	@test -n "$(DKMS_KVER)" || { echo "dkms-check: no Debian kernel headers"; exit 1; }
	@grep -qx 'PACKAGE_VERSION="$(VERSION)"' dkms.conf || \
		{ echo "dkms-check: dkms.conf's PACKAGE_VERSION is not $(VERSION)"; exit 1; }
	rm -rf $(DKMS_ROOT)
	$(MAKE) install-dkms DESTDIR=$(DKMS_ROOT) DKMSDIR=/src/kipc-$(VERSION)
	mkdir -p $(DKMS_ROOT)/tree
	$(DKMS) add -m kipc -v $(VERSION)
	$(DKMS) build -m kipc -v $(VERSION) -k $(DKMS_KVER)
	$(DKMS) status -m kipc -v $(VERSION) -k $(DKMS_KVER) | grep -q ': built'
	modinfo -F vermagic $(DKMS_ROOT)/tree/kipc/$(VERSION)/$(DKMS_KVER)/*/module/kipc.ko* | \
		grep -q '^$(DKMS_KVER) '
	$(DKMS) remove -m kipc -v $(VERSION) --all
	rm -rf $(DKMS_ROOT)

# --- load, faults and fuzzing at full size --------------------------------

.PHONY: stress faults fuzz heavy-prep stress-debian stress-debug \
	faults-debian faults-debug fuzz-debian fuzz-debug

# `make check` runs tests/kipc_stress_test, kipc_faults_test,
# kipc_fuzz_test and kipc_trinity_test at reduced sizes; these targets
# run them at full size, alone in the VM, on each kernel of HEAVY_KERNELS
# (Debian's, then the debug kernel with KASAN, lockdep and kmemleak).
# The sizes reach the programs as words NAME=VALUE on the kernel command
# line, which the kernel hands to /init's environment (struct kt_knob in
# tests/lib/kt.h).  The debug kernel under TCG is ~17-70x slower than Debian's
# (4x4 queue load ~1,100 messages/s against ~60,000-80,000; the fuzzer
# ~2,000 calls/s against ~34,000), so its load test is smaller; the
# fuzzer makes its 1,000,000 calls on both (about 9 minutes on the debug
# kernel).
HEAVY_KERNELS	?= debian debug
HEAVY_TIMEOUT	?= 14400
ifndef FUZZ_SEED
FUZZ_SEED	:= $(shell date +%s)
endif
STRESS_ENV_debian ?= KIPC_STRESS_MESSAGES=1000000 KIPC_STRESS_ROUNDS=20000 \
		     KIPC_STRESS_CASE_TIMEOUT=$(HEAVY_TIMEOUT)
STRESS_ENV_debug  ?= KIPC_STRESS_MESSAGES=50000 KIPC_STRESS_ROUNDS=5000 \
		     KIPC_STRESS_CASE_TIMEOUT=$(HEAVY_TIMEOUT)
FAULTS_ENV_debian ?= KIPC_FAULTS_KILLS=1000 KIPC_FAULTS_RACES=1000 \
		     KIPC_FAULTS_CYCLES=100 KIPC_FAULTS_CASE_TIMEOUT=$(HEAVY_TIMEOUT)
FAULTS_ENV_debug  ?= $(FAULTS_ENV_debian)
FUZZ_ENV_debian   ?= KIPC_FUZZ_COUNT=1000000 KIPC_FUZZ_SECONDS=12000 \
		     KIPC_FUZZ_SEED=$(FUZZ_SEED) KIPC_TRINITY_COUNT=1000000 \
		     KIPC_TRINITY_SECONDS=600 KIPC_TRINITY_SEED=$(FUZZ_SEED)
FUZZ_ENV_debug    ?= $(FUZZ_ENV_debian)

# heavy-run NAME, KERNEL, ENV, TESTS: one VM run of TESTS on KERNEL.
define heavy-run
	@echo "== $(1) on the $(2) kernel: $(strip $(3))"
	$(if $(filter debug,$(2)),kdir=$$(tests/vm/build-debug-kernel.sh) && \
	KIPC_VM_BUILD=$(CURDIR)/build/vm-$(1)-debug KIPC_VM_APPEND="$(strip $(3))" \
	tests/vm/run-suite.sh --kernel $$kdir/arch/x86/boot/bzImage \
		--ko $(DEBUG_MOD)/kipc.ko --tests "$(4)" \
		--timeout $(HEAVY_TIMEOUT) --bin-timeout $(HEAVY_TIMEOUT),\
	KIPC_VM_BUILD=$(CURDIR)/build/vm-$(1)-debian KIPC_VM_APPEND="$(strip $(3))" \
	tests/vm/run-suite.sh --tests "$(4)" \
		--timeout $(HEAVY_TIMEOUT) --bin-timeout $(HEAVY_TIMEOUT))
endef

heavy-prep: deps
	$(MAKE) module lib tests
	$(if $(filter debug,$(HEAVY_KERNELS)),$(MAKE) module-debug)

# 4x4 processes x MESSAGES per policy (BLOCK, DROP_NEW, DROP_OLDEST,
# CONFLATE); locks, wait/wake, rings, events, mmap racing close.
stress: $(addprefix stress-,$(HEAVY_KERNELS))
stress-debian stress-debug: stress-%: heavy-prep
	$(call heavy-run,stress,$*,$(STRESS_ENV_$*),stress)

# 1,000 kill -9 of a blocked process, 1,000 close races, 100 module cycles.
faults: $(addprefix faults-,$(HEAVY_KERNELS))
faults-debian faults-debug: faults-%: heavy-prep
	$(call heavy-run,faults,$*,$(FAULTS_ENV_$*),faults)

# 1,000,000 calls of the project's fuzzer, then trinity for 10 minutes
# (the seed is printed; FUZZ_SEED=N repeats a run's call sequence).
fuzz: $(addprefix fuzz-,$(HEAVY_KERNELS))
fuzz-debian fuzz-debug: fuzz-%: heavy-prep
	$(call heavy-run,fuzz,$*,$(FUZZ_ENV_$*),fuzz trinity)


# --- benchmark ------------------------------------------------------------

.PHONY: bench

# kipc against pipes, Unix sockets, POSIX mq, SysV msg, futex+shm and
# eventfd: boot the VM with -smp 1 and with -smp 2, run tools/kipc-bench
# in each (tests/vm/run-bench.sh, results in build/bench/), then write
# docs/bench/report.md, results.csv and bench.png (scripts/bench-report.sh).
# BENCH_ARGS go to kipc-bench (e.g. BENCH_ARGS=-q for a quick run);
# BENCH_WAIT_QUIET=SECS waits that long for a quiet host before each boot.
BENCH_ARGS	?=
BENCH_WAIT_QUIET ?= 0

bench: deps
	$(MAKE) module lib
	$(MAKE) -C tools kipc-bench
	tests/vm/run-bench.sh --args "$(BENCH_ARGS)" --wait-quiet $(BENCH_WAIT_QUIET)
	scripts/bench-report.sh build/bench docs/bench

# LD_PRELOAD shim that makes kipc handles trinity's victims in the VM
# (tests/kipc_trinity_test; mkinitramfs.sh copies it with trinity).
tests: tests/trinity/kipc-trinity-shim.so

tests/trinity/kipc-trinity-shim.so: tests/trinity/kipc-trinity-shim.c uapi/linux/kipc.h
	$(CC) -O2 $(KIPC_WARNINGS) -shared -fPIC -Iuapi -o $@ $<


# --- Debian packages ------------------------------------------------------

.PHONY: deb deb-check

# kipc-dkms, libkipcN, libkipc-dev and kipc-tools (debian/), built by
# dpkg-buildpackage -us -uc -b in a copy of the tree (its tracked and
# untracked, not ignored, files) in build/deb/kipc-VERSION, so this tree's
# static tools and objects are left alone; the .debs, .buildinfo and
# .changes land in build/deb/, then lintian checks them.
DEB_DIR		:= $(CURDIR)/build/deb
DEB_SRC		:= $(DEB_DIR)/kipc-$(VERSION)

deb:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	git ls-files -z --cached --others --exclude-standard | \
		xargs -0 cp -a --parents -t $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	rm -rf $(DEB_SRC)
	cd $(DEB_DIR) && ls -l *.deb
	lintian --fail-on error,warning $(DEB_DIR)/*.changes

# Builds the packages, installs them in a bare bookworm root, builds an
# outside program with pkg-config, checks DKMS built kipc.ko, purges, and
# boots the VM with that kipc.ko (tests/deb/deb-check.sh, as root).
deb-check:
	tests/deb/deb-check.sh
