#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside a debug VM (as /zcpool/guest.sh): loading zcpool_test.ko runs
# every zcpool KUnit suite and prints KTAP on the console for kunit.py parse.
# Its arguments are zcpool_test.ko's parameters (seeds to replay).
insmod /zcpool/zcpool.ko || exit 1
echo "zcpool-kunit: begin"
insmod /zcpool/zcpool_test.ko "$@" || exit 1
echo "zcpool-kunit: end"
rmmod zcpool_test || exit 1
rmmod zcpool || exit 1
