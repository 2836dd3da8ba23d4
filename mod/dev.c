// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/zcpool: the character device user space opens to get a pool.
 *
 * The file operations hold a reference on this module (fops.owner), so
 * delete_module() fails with EAGAIN while any file is open. The node is
 * created root-only (0600), like /dev/udmabuf and the dma-buf heaps; a udev
 * rule grants it to a group (see README.md).
 */

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "dev.h"
#include "ioctl.h"

static int zcpool_dev_open(struct inode *inode, struct file *file)
{
	/* Offsets name places in the pool window, not a stream position. */
	return nonseekable_open(inode, file);
}

static const struct file_operations zcpool_dev_fops = {
	.owner = THIS_MODULE,
	.open = zcpool_dev_open,
	.unlocked_ioctl = zcpool_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice zcpool_dev_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "zcpool",
	.fops = &zcpool_dev_fops,
};

/**
 * zcpool_dev_init() - register /dev/zcpool
 *
 * Context: module init; the device is usable as soon as this returns.
 * Return: 0 or the errno of misc_register().
 */
int zcpool_dev_init(void)
{
	return misc_register(&zcpool_dev_misc);
}

/**
 * zcpool_dev_exit() - remove /dev/zcpool
 *
 * Context: module exit; no file can be open (each holds a module reference).
 */
void zcpool_dev_exit(void)
{
	misc_deregister(&zcpool_dev_misc);
}
