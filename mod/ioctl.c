// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl commands of /dev/zcpool: one zcpool_ioctl_<cmd>() per command.
 *
 * Every command copies its whole struct in (or builds it whole on the stack,
 * zeroed), checks every field, acts, and copies the whole struct out, so no
 * uninitialised byte ever reaches user space. Unknown commands, including a
 * known number with the wrong size or direction, are -ENOTTY.
 */

#include <linux/mm.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <kunit/visibility.h>

#include "ioctl.h"
#include "params.h"

VISIBLE_IF_KUNIT void zcpool_ioctl_fill_info(struct zcpool_info *info)
{
	memset(info, 0, sizeof(*info));
	info->abi_major = ZCPOOL_ABI_MAJOR;
	info->abi_minor = ZCPOOL_ABI_MINOR;
	info->features = ZCPOOL_FEATURE_INFO;
	info->page_size = PAGE_SIZE;
	info->chunk_order = zcpool_params.chunk_order;
	info->pool_max_bytes = zcpool_params.pool_max_bytes;
	info->total_max_bytes = zcpool_params.total_max_bytes;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_ioctl_fill_info);

static long zcpool_ioctl_info(void __user *uarg)
{
	struct zcpool_info info;

	zcpool_ioctl_fill_info(&info);
	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/**
 * zcpool_ioctl() - dispatch an ioctl on a /dev/zcpool file
 * @file: the open /dev/zcpool file.
 * @cmd:  ZCPOOL_IOC_* command; anything else is -ENOTTY.
 * @arg:  user pointer to the command's struct.
 *
 * Context: process context, may sleep.
 * Return: 0 on success, a negative errno on failure (nothing changed then).
 */
long zcpool_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case ZCPOOL_IOC_INFO:
		return zcpool_ioctl_info(uarg);
	default:
		return -ENOTTY;
	}
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_ioctl);
