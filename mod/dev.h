/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The /dev/zcpool character device (a miscdevice) and the pool that each
 * open() of it creates.
 */
#ifndef _ZCPOOL_DEV_H
#define _ZCPOOL_DEV_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

struct inode;
struct zcpool_pool;
struct zcpool_pool_taken;

/**
 * struct zcpool_file - the pool behind one open() of /dev/zcpool
 * @pool:  the pool; it lives as long as the struct file, which every
 *         mapping holds (vm_file), fork() and SCM_RIGHTS share.
 * @inode: an anonymous inode of zcpool's own pseudo filesystem, one per
 *         pool; the file's f_mapping is its address_space, so every
 *         mapping of this pool, and only those, is linked there and
 *         unmap_mapping_range() on it reaches exactly this pool's mappings.
 *         NULL for pools built by KUnit, which nothing maps.
 * @flags: ZCPOOL_POOL_* flags; they are only ever set (atomic_or()).
 * @zap_seq: bumped by every zap, so that a fault that raced with one sees
 *         it (the protocol is at the top of mmap.c).
 * @stats_node: on the list of open pools that debugfs sums (stats.c).
 * @free_batch_spare: room for one block of a FREE_BATCH, kept between
 *         calls (ioctl.c); NULL while a call has it, or before the first.
 * @limits_lock: serialises LIMITS calls, so that one whose answer cannot
 *         be copied out takes its change back before another call can
 *         make the same change and report it made (ioctl.c).
 */
struct zcpool_file {
	struct zcpool_pool *pool;
	struct inode *inode;
	atomic_t flags;
	atomic_t zap_seq;
	struct list_head stats_node;
	struct zcpool_pool_taken *free_batch_spare;
	struct mutex limits_lock;	/* one LIMITS call at a time */
};

int zcpool_dev_init(void);
void zcpool_dev_exit(void);

#endif /* _ZCPOOL_DEV_H */
