/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ioctl ABI of /dev/zcpool (uapi/linux/zcpool.h). This is the only part of
 * zcpool that touches user memory with copy_{from,to}_user().
 */
#ifndef _ZCPOOL_IOCTL_H
#define _ZCPOOL_IOCTL_H

#include <linux/fs.h>
#include <linux/zcpool.h>

struct zcpool_file;
struct zcpool_pool_stats;

long zcpool_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

extern u32 zcpool_ioctl_limits_hold;

#if IS_ENABLED(CONFIG_KUNIT)
void zcpool_ioctl_fill_info(struct zcpool_info *info);
int zcpool_ioctl_alloc_one(struct zcpool_file *zf, struct zcpool_alloc *req);
int zcpool_ioctl_free_offset(struct zcpool_file *zf, u64 offset);
int zcpool_ioctl_free_one(struct zcpool_file *zf, const struct zcpool_free *req);
int zcpool_ioctl_check_batch(const struct zcpool_batch *batch);
int zcpool_ioctl_stats_one(struct zcpool_file *zf, const struct zcpool_stats *in,
			   struct zcpool_stats *out, struct zcpool_pool_stats *st);
int zcpool_ioctl_limits_one(struct zcpool_file *zf, struct zcpool_limits *lim);
#endif

#endif /* _ZCPOOL_IOCTL_H */
