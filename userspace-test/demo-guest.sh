#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM for `make demo`: load zcpool and run the demo program.
# The ramdisk filesystem is made here, before the demo's output starts, so
# the kernel's mount messages do not land in the middle of it.
set -e
insmod /zcpool/zcpool.ko
mke2fs -q -F -b 4096 /dev/ram0 >/dev/null
mkdir -p /mnt/zcpool-io
mount -t ext4 /dev/ram0 /mnt/zcpool-io
echo "zcpool-demo: begin"
echo "\$ insmod zcpool.ko && ls -l /dev/zcpool"
ls -l /dev/zcpool
echo "\$ zcpool_demo"
/zcpool/zcpool_demo
echo "zcpool-demo: end"
umount /mnt/zcpool-io
rmmod zcpool
