# SPDX-License-Identifier: GPL-2.0
#
# vbuddy: the developer's entry points. The modules themselves are described
# by Kbuild; everything here calls a script under scripts/ (the test
# stages are scripts/check.sh STAGE, the guest runner scripts/guest.sh).
#
#   make [modules] [KDIR=...]   build vbuddy.ko out of tree
#   make check                  everything below, ends with "N passed, M failed"
#
# Builds go to build/ (gitignored); the unpacked kernel source and the test
# kernels (UML, and the x86-64 KCSAN one) are cached in $(VBUDDY_CACHE)
# (default ~/.cache/vbuddy).

S := scripts

# Kernel to build against: the running kernel's headers, else the installed
# Debian 6.12 test kernel's (make deps installs it).
RUNNING_KDIR := /lib/modules/$(shell uname -r)/build
TEST_KDIR := $(lastword $(sort $(wildcard /lib/modules/6.12.*+deb12-cloud-amd64/build)))
KDIR ?= $(if $(wildcard $(RUNNING_KDIR)/Makefile),$(RUNNING_KDIR),$(TEST_KDIR))

# UML kernel flavour for kunit: debug = kunit/.kunitconfig, X = kunit/X.kunitconfig.
FLAVOUR ?= debug

# Extra kbuild arguments, e.g. make modules W=1 or C=1.
KBUILD_ARGS := $(if $(W),W=$(W)) $(if $(C),C=$(C))

.PHONY: all modules uml-modules uml-kernel kunit qemu-test stress kcsan bench bench-qemu demo lint check \
	deps clean help docs dkms-install

all: modules

help:
	@echo 'vbuddy targets:'
	@echo '  make [modules] [KDIR=dir] [W=1]  build the modules (default KDIR: $(or $(KDIR),none found))'
	@echo '  make deps                        install the Debian packages the rig needs'
	@echo '  make kunit [FLAVOUR=debug]       KUnit suites in the cached UML kernel'
	@echo '  make qemu-test [KSERIES=6.1]     smoke module + kselftest in the Debian 6.12 (or 6.1) kernel under qemu'
	@echo '  make stress [VBUDDY_STRESS_SECONDS=30]  vbuddy_stress.ko on 4 emulated CPUs'
	@echo '  make kcsan [VBUDDY_STRESS_SECONDS=30]   KUnit + stress under KCSAN, x86-64 kernel on 4 emulated CPUs'
	@echo '  make bench [BENCH_ARGS="iterations=N run_test_mask=M"]  vbuddy vs the kernel, UML'
	@echo '  make bench-qemu                  the same, all CPUs at once, emulated (shape only)'
	@echo '  make demo                        load vbuddy_demo.ko, show what it prints, draw a pool (build/demo/*.png)'
	@echo '  make lint                        checkpatch --strict, sparse, kernel-doc'
	@echo '  make docs                        Sphinx HTML of Documentation/ in build/docs/html'
	@echo '  make dkms-install [KVER=...]     /usr/src/vbuddy-<version>, dkms add/build/install'
	@echo '  make check                       every stage (scripts/check.sh lists them), ends with "N passed, M failed"'
	@echo '  make uml-kernel / uml-modules    just build the UML kernel / modules for it'
	@echo '  make clean                       remove build/ (the cache stays: $${VBUDDY_CACHE:-~/.cache/vbuddy})'

modules:
	@test -n "$(KDIR)" || { echo "no kernel headers found: make deps, or pass KDIR=..." >&2; exit 1; }
	@$(S)/build-modules.sh --no-tests --kdir=$(KDIR) $(KBUILD_ARGS) >/dev/null

deps:
	@$(S)/deps.sh

uml-kernel:
	@$(S)/kernel.sh $(FLAVOUR)

uml-modules:
	@$(S)/build-modules.sh --uml=$(FLAVOUR) $(KBUILD_ARGS) >/dev/null

kunit:
	@$(S)/check.sh kunit $(FLAVOUR)

stress:
	@$(S)/check.sh stress

kcsan:
	@$(S)/check.sh kcsan

bench:
	@$(S)/bench.sh $(BENCH_ARGS)

bench-qemu:
	@$(S)/bench.sh --qemu $(BENCH_ARGS)

# Debian cloud kernel series for qemu-test: 6.12 or 6.1.
KSERIES ?= 6.12

qemu-test:
	@$(S)/check.sh qemu $(KSERIES)

docs:
	@$(S)/check.sh docs

dkms-install:
	@$(S)/dkms.sh install

demo:
	@$(S)/demo.sh

lint:
	@$(S)/check.sh lint

check:
	@$(S)/check.sh

clean:
	rm -rf build
	@if [ -e tools/testing/vbuddy/Makefile ]; then \
		$(MAKE) -s --no-print-directory -C tools/testing/vbuddy clean; fi
	rm -f tools/testing/selftests/vbuddy/vbuddy_test
