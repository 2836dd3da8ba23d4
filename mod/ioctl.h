/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ioctl ABI of /dev/zcpool (uapi/linux/zcpool.h). This is the only part of
 * zcpool that touches user memory with copy_{from,to}_user().
 */
#ifndef _ZCPOOL_IOCTL_H
#define _ZCPOOL_IOCTL_H

#include <linux/fs.h>
#include <linux/zcpool.h>

long zcpool_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#if IS_ENABLED(CONFIG_KUNIT)
void zcpool_ioctl_fill_info(struct zcpool_info *info);
#endif

#endif /* _ZCPOOL_IOCTL_H */
