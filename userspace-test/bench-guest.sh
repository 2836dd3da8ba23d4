#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM for `make bench`: zcpool_bench.ko (in kernel), then
# zcpool_bench (user space), each line of their results prefixed with
# "zcpool-bench: kernel " or "zcpool-bench: user " for the host to pick
# out of the console. bench.conf sets BENCH_KMOD_ARGS and BENCH_USER_ARGS.
BENCH_KMOD_ARGS=
BENCH_USER_ARGS=
[ -f ./bench.conf ] && . ./bench.conf
# Kernel messages would land in the middle of result lines on the console.
echo 1 > /proc/sys/kernel/printk

insmod /zcpool/zcpool.ko || { echo "zcpool-bench: insmod zcpool.ko failed"; exit 1; }
fail=0
# shellcheck disable=SC2086
if insmod /zcpool/zcpool_bench.ko $BENCH_KMOD_ARGS; then
	echo all > /sys/kernel/debug/zcpool_bench/run || fail=1
	sed 's/^/zcpool-bench: kernel /' /sys/kernel/debug/zcpool_bench/results
	rmmod zcpool_bench || fail=1
else
	echo "zcpool-bench: insmod zcpool_bench.ko failed"
	fail=1
fi
# shellcheck disable=SC2086
/zcpool/zcpool_bench $BENCH_USER_ARGS > /tmp/user.txt || fail=1
sed 's/^/zcpool-bench: user /' /tmp/user.txt
rmmod zcpool || fail=1
exit $fail
