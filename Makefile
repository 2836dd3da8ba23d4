# SPDX-License-Identifier: GPL-2.0
#
# zcpool: user-facing targets. Kernel objects are built by kbuild (Kbuild,
# mod/Kbuild); everything VM-related is in scripts/ (each takes --help).

KDIR ?= /lib/modules/$(shell uname -r)/build
PREFIX ?= /usr/local
VERSION := 0.1.0
TARGET ?= stock
TARGETS ?= stock debug-6.1 debug-6.12
TESTS ?=

# --- a real machine: build, load, install -----------------------------------

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# Works without kernel headers too: kbuild's output is removed by name.
clean:
	rm -rf out .tmp_versions
	find . \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name '.*.d' -o -name '*.order' -o -name '*.symvers' \) -delete

# Installs the modules built (zcpool.ko, zcpool_bench.ko, and zcpool_test.ko
# against a kernel with KUnit) under /lib/modules/<KDIR's release>/updates/mod/,
# and the uapi header; DESTDIR stages both.
install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	install -D -m 0644 uapi/linux/zcpool.h $(DESTDIR)$(PREFIX)/include/linux/zcpool.h

# DKMS builds zcpool.ko alone (ZCPOOL_MODULE_ONLY, dkms.conf) for the running
# kernel now and for every kernel installed later. Run again, it replaces the
# version installed before.
dkms-install:
	-dkms remove -m zcpool -v $(VERSION) --all 2>/dev/null
	rm -rf /usr/src/zcpool-$(VERSION)
	mkdir -p /usr/src/zcpool-$(VERSION)
	cp -a Kbuild Makefile dkms.conf mod uapi /usr/src/zcpool-$(VERSION)/
	dkms add -m zcpool -v $(VERSION)
	dkms install -m zcpool -v $(VERSION)

dkms-remove:
	dkms remove -m zcpool -v $(VERSION) --all
	rm -rf /usr/src/zcpool-$(VERSION)

# --- the VM rig (modules cannot be loaded on the build machines) -------------

deps:
	scripts/install-deps

kernels: deps
	for t in $(TARGETS); do scripts/build-kernel $$t || exit 1; done

# Every test on every kernel; ends with "N passed, N failed".
check: deps
	scripts/check --targets "$(TARGETS)"

static: deps
	scripts/check --targets "$(TARGETS)" --only static

# KUnit runs on the debug kernels only: debug-6.1 unless TARGET names one.
kunit: deps
	scripts/check --targets "$(if $(filter command line environment,$(origin TARGET)),$(TARGET),debug-6.1)" --only kunit

utest: deps
	scripts/check --targets "$(TARGET)" --only utest --tests "$(TESTS)"

# The fuzzers and the concurrency test for SOAK_SECONDS each (default 600)
# on one debug kernel (SOAK_TARGET, default debug-6.12).
SOAK_SECONDS ?= 600
SOAK_TARGET ?= debug-6.12
soak: deps
	scripts/soak --seconds "$(SOAK_SECONDS)" --target "$(SOAK_TARGET)"

# Boot the stock Debian kernel, load zcpool, run the demo and show its output.
demo: deps
	scripts/demo

# Which lines of zcpool.ko the tests run (gcov, on its own kernel cov-6.1,
# built on first use). Not part of check: a report, not a pass/fail test.
coverage: deps
	scripts/coverage

# Benchmarks on stock and perf-6.1 (built on first use): one table of ratios
# zcpool / peer. Not part of check: timings are no pass/fail test.
# BENCH_ARGS passes options, e.g. BENCH_ARGS="--plot out/bench/ratios.svg".
BENCH_ARGS ?=
bench: deps
	scripts/bench $(BENCH_ARGS)

.PHONY: all modules clean install dkms-install dkms-remove deps kernels check \
	static kunit utest soak demo coverage bench
