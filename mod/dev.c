// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/zcpool: the character device user space opens to get a pool.
 *
 * Every open() creates an empty pool that lives exactly as long as the
 * struct file: dup(), fork() and SCM_RIGHTS share the file, and every
 * mapping holds it (vm_file), so ->release() runs only when no fd and no
 * mapping is left, and then frees everything the pool holds.
 *
 * Each pool gets an anonymous inode of a small pseudo filesystem mounted
 * once at module load, and the file's f_mapping is that inode's
 * address_space. Mappings of a pool are linked into it, so zapping a
 * window range of one pool touches no other pool's mappings (with the
 * device inode's address_space, every pool's mappings would share one
 * tree, and their offsets would collide).
 *
 * The file operations hold a reference on this module (fops.owner), so
 * delete_module() fails with EAGAIN while any file is open. The node is
 * created root-only (0600), like /dev/udmabuf and the dma-buf heaps; a udev
 * rule grants it to a group (see README.md).
 */

#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "dev.h"
#include "ioctl.h"
#include "mmap.h"
#include "pool.h"
#include "stats.h"

/* The pseudo filesystem's magic: "zcpl". */
#define ZCPOOL_FS_MAGIC	0x7a63706c

static struct vfsmount *zcpool_dev_mnt;

static int zcpool_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, ZCPOOL_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * No .owner: the kernel mount made at load would pin the module forever;
 * it is unmounted in zcpool_dev_exit(), after the last pool is gone.
 */
static struct file_system_type zcpool_fs_type = {
	.name = "zcpool",
	.init_fs_context = zcpool_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

static int zcpool_dev_open(struct inode *inode, struct file *file)
{
	struct zcpool_pool_config config = {
		.keep_spares = true,
		.release = zcpool_mmap_release,
		.mapped = zcpool_mmap_mapped,
	};
	struct zcpool_file *zf;
	int ret;

	zf = kzalloc(sizeof(*zf), GFP_KERNEL_ACCOUNT);
	if (!zf)
		return -ENOMEM;
	config.release_priv = zf;
	mutex_init(&zf->limits_lock);
	zf->inode = alloc_anon_inode(zcpool_dev_mnt->mnt_sb);
	if (IS_ERR(zf->inode)) {
		ret = PTR_ERR(zf->inode);
		goto err_free_file;
	}
	zf->pool = zcpool_pool_create(&config);
	if (IS_ERR(zf->pool)) {
		ret = PTR_ERR(zf->pool);
		goto err_put_inode;
	}
	file->f_mapping = zf->inode->i_mapping;
	file->private_data = zf;
	zcpool_stats_add_pool(zf);
	/* Offsets name places in the pool window, not a stream position. */
	return nonseekable_open(inode, file);

err_put_inode:
	iput(zf->inode);
err_free_file:
	kfree(zf);
	return ret;
}

/* The last reference to the file is gone: no fd and no mapping is left. */
static int zcpool_dev_release(struct inode *inode, struct file *file)
{
	struct zcpool_file *zf = file->private_data;

	zcpool_stats_del_pool(zf);
	zcpool_pool_destroy(zf->pool);
	iput(zf->inode);
	kfree(zf->free_batch_spare);
	mutex_destroy(&zf->limits_lock);
	kfree(zf);
	return 0;
}

static void zcpool_dev_show_fdinfo(struct seq_file *m, struct file *file)
{
	zcpool_stats_show_fdinfo(m, file->private_data);
}

static const struct file_operations zcpool_dev_fops = {
	.owner = THIS_MODULE,
	.open = zcpool_dev_open,
	.release = zcpool_dev_release,
	.mmap = zcpool_mmap,
	/* Nothing to write back: msync() of a mapping succeeds (else EINVAL). */
	.fsync = noop_fsync,
	.unlocked_ioctl = zcpool_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.show_fdinfo = zcpool_dev_show_fdinfo,
};

static struct miscdevice zcpool_dev_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "zcpool",
	.fops = &zcpool_dev_fops,
};

/**
 * zcpool_dev_init() - mount the pseudo filesystem, register /dev/zcpool
 *
 * Context: module init; the device is usable as soon as this returns.
 * Return: 0 or the errno of kern_mount() or misc_register().
 */
int zcpool_dev_init(void)
{
	int ret;

	zcpool_dev_mnt = kern_mount(&zcpool_fs_type);
	if (IS_ERR(zcpool_dev_mnt))
		return PTR_ERR(zcpool_dev_mnt);
	ret = misc_register(&zcpool_dev_misc);
	if (ret)
		goto err_unmount;
	return 0;

err_unmount:
	kern_unmount(zcpool_dev_mnt);
	return ret;
}

/**
 * zcpool_dev_exit() - remove /dev/zcpool and the pseudo filesystem
 *
 * Context: module exit; no file can be open (each holds a module reference).
 */
void zcpool_dev_exit(void)
{
	misc_deregister(&zcpool_dev_misc);
	kern_unmount(zcpool_dev_mnt);
}
