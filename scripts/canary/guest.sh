#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside a debug VM: load the canary (its KUnit suite fails one case),
# then make it write out of bounds and WARN. The run must be judged failed.
echo "zcpool-kunit: begin"
insmod /zcpool/zcpool_canary.ko || exit 1
echo "zcpool-kunit: end"
echo kasan > /sys/module/zcpool_canary/parameters/trigger
echo "zcpool-canary: kasan trigger returned"
echo warn > /sys/module/zcpool_canary/parameters/trigger
rmmod zcpool_canary
exit 0
