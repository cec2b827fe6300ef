# SPDX-License-Identifier: GPL-2.0
#
# kipc top-level Makefile: the module (kbuild), libkipc, tools and tests,
# and the VM targets that load the module and run the suite.

KVER_DEB  := $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
KDIR      ?= $(shell if [ -d /lib/modules/$$(uname -r)/build ]; then \
		echo /lib/modules/$$(uname -r)/build; else echo $(KVER_DEB); fi)
KSRC_TAR  ?= /usr/src/linux-source-6.1.tar.xz
CACHE     ?= $(HOME)/.cache/kipc
KSFT_DIR  ?= $(CACHE)/ksft-6.1
export KDIR KSRC_TAR CACHE KSFT_DIR

.PHONY: all deps module lib tools tests ksft-headers check check-debian \
	check-debug module-debug demo clean module-check checkpatch

all: module lib tools tests

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR)/module CONFIG_KIPC=m W=1 modules

# W=1 and sparse (C=1) over the module, warnings are errors here.
module-check:
	$(MAKE) -C $(KDIR) M=$(CURDIR)/module CONFIG_KIPC=m W=1 C=1 \
		CHECK="sparse -Wno-unknown-attribute" modules 2>&1 | tee build.log
	@! grep -E 'warning:|error:' build.log
	@rm -f build.log

checkpatch: $(KSFT_DIR)/.stamp
	$(KSFT_DIR)/scripts/checkpatch.pl --no-tree --strict --terse -q \
		--ignore SPDX_LICENSE_TAG -f \
		$(filter-out %.mod.c,$(wildcard module/*.c)) module/*.h uapi/linux/*.h

lib:
	$(MAKE) -C lib

tools: lib
	$(MAKE) -C tools

tests: lib ksft-headers
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
# (KASAN, lockdep, kmemleak, UBSAN), built once and cached in $(CACHE).
check: deps
	$(MAKE) all
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
	KIPC_VM_BUILD=$(CURDIR)/build/vm-debug tests/vm/run-suite.sh \
		--kernel $$kdir/arch/x86/boot/bzImage --ko $(DEBUG_MOD)/kipc.ko

# Boot the VM and run the demo (queues, owner-death cleanup).
demo: deps
	$(MAKE) all
	tests/vm/run-demo.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR)/module clean || true
	$(MAKE) -C lib clean
	$(MAKE) -C tools clean
	$(MAKE) -C tests clean
	rm -rf build
