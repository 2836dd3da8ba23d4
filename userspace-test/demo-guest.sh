#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM for `make demo`: load zcpool and run the demo program.
set -e
insmod /zcpool/zcpool.ko
echo "zcpool-demo: begin"
echo "\$ insmod zcpool.ko && ls -l /dev/zcpool"
ls -l /dev/zcpool
echo "\$ zcpool_demo"
/zcpool/zcpool_demo
echo "zcpool-demo: end"
rmmod zcpool
