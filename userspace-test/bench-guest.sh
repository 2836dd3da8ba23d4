#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM for `make bench`: zcpool_bench.ko (in kernel), then
# zcpool_bench (user space), each line of their results prefixed with
# "zcpool-bench: kernel " or "zcpool-bench: user " for the host to pick
# out of the console. bench.conf sets BENCH_KMOD_ARGS and BENCH_USER_ARGS,
# and BENCH_PROFILE=1 when the host copied perf (and the libraries it
# needs, in /zcpool/lib) for --profile: then a fixed set of workloads
# (those that missed their targets when it was written, and the peers
# they miss against) run again under perf, and the functions that took their
# time are printed as "zcpool-bench: profile NAME: ..." lines.
BENCH_KMOD_ARGS=
BENCH_USER_ARGS=
BENCH_PROFILE=
[ -f ./bench.conf ] && . ./bench.conf
# Kernel messages would land in the middle of result lines on the console.
echo 1 > /proc/sys/kernel/printk

insmod /zcpool/zcpool.ko || { echo "zcpool-bench: insmod zcpool.ko failed"; exit 1; }
fail=0
PARAMS=/sys/module/zcpool_bench/parameters
PERF="/zcpool/lib/ld-linux-x86-64.so.2 --library-path /zcpool/lib /zcpool/perf"

# profile NAME COMMAND...: cpu-clock samples of the benchmark's threads
# (the kernel module's zcpool_bench/N kthreads, the user program) while
# COMMAND runs; the symbols above 1.5% of them.
profile() {
	name=$1
	shift
	comms=zcpool_bench
	for c in $(seq 0 $(($(nproc) - 1))); do
		comms=$comms,zcpool_bench/$c
	done
	# shellcheck disable=SC2086
	if ! $PERF record -q -N -B -e cpu-clock -F 4999 -a -o /tmp/perf.data -- "$@" \
		>/tmp/perf.out 2>&1; then
		echo "zcpool-bench: profile $name: perf record failed: $(tail -n 1 /tmp/perf.out)"
		return 1
	fi
	# shellcheck disable=SC2086
	$PERF report -i /tmp/perf.data --stdio --no-children --sort sym --comms "$comms" \
		--percentage relative --percent-limit 1.5 -q 2>/dev/null |
		sed -n "s/^ *\([0-9]\)/\1/p" | sed "s/^/zcpool-bench: profile $name: /"
	rm -f /tmp/perf.data
}

# kernel_profile NAME IMPL SIZE WORKLOAD: one allocator at one size, its
# pairs or its bulk calls.
kernel_profile() {
	# No newline: the module compares the strings as written.
	printf %s "$2" > $PARAMS/only && echo "$3" > $PARAMS/sizes &&
		printf %s "$4" > $PARAMS/only_workload &&
		profile "$1" sh -c "echo speed > /sys/kernel/debug/zcpool_bench/run"
}

# shellcheck disable=SC2086
if insmod /zcpool/zcpool_bench.ko $BENCH_KMOD_ARGS; then
	echo all > /sys/kernel/debug/zcpool_bench/run || fail=1
	sed 's/^/zcpool-bench: kernel /' /sys/kernel/debug/zcpool_bench/results
	if [ "$BENCH_PROFILE" = 1 ]; then
		# perf reads the symbols of the kernel and its modules from kallsyms.
		echo 0 > /proc/sys/kernel/kptr_restrict
		HOME=/tmp
		export HOME
		# Longer repetitions: more samples, the same code paths.
		echo 100 > $PARAMS/rep_ms
		kernel_profile "kernel zcpool pair 64 B" zcpool 64 pair || fail=1
		kernel_profile "kernel kmem_cache pair 64 B" kmem_cache 64 pair || fail=1
		kernel_profile "kernel zcpool bulk 64 B" zcpool 64 bulk || fail=1
		kernel_profile "kernel kmem_cache bulk 64 B" kmem_cache 64 bulk || fail=1
		kernel_profile "kernel zcpool bulk 1 MiB" zcpool 1048576 bulk || fail=1
		kernel_profile "kernel zcpool pair 1 MiB" zcpool 1048576 pair || fail=1
		kernel_profile "kernel kmem_cache pair 1 MiB" kmem_cache 1048576 pair || fail=1
	fi
	rmmod zcpool_bench || fail=1
else
	echo "zcpool-bench: insmod zcpool_bench.ko failed"
	fail=1
fi
# shellcheck disable=SC2086
/zcpool/zcpool_bench $BENCH_USER_ARGS > /tmp/user.txt || fail=1
sed 's/^/zcpool-bench: user /' /tmp/user.txt
if [ "$BENCH_PROFILE" = 1 ]; then
	UB="/zcpool/zcpool_bench --rep-ms 100"
	# shellcheck disable=SC2086
	{
		profile "user ioctl 64 B" $UB --only ioctl --impl zcpool-single --size 64 || fail=1
		profile "user batch 4 KiB" $UB --only ioctl --impl zcpool-batch --size 4096 || fail=1
		profile "user cycle zcpool 64 KiB" $UB --only cycle --impl zcpool --size 65536 ||
			fail=1
		profile "user cycle dma-heap 64 KiB" $UB --only cycle --impl dma-heap --size 65536 ||
			fail=1
	}
fi
rmmod zcpool || fail=1
exit $fail
