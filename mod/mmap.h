/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmap of a pool's window (MAP_SHARED only), and zapping window ranges
 * from every mapping of a pool before their pages leave it.
 */
#ifndef _ZCPOOL_MMAP_H
#define _ZCPOOL_MMAP_H

#include <linux/types.h>

struct file;
struct vm_area_struct;
struct zcpool_file;

extern u32 zcpool_mmap_fault_race_delay_us;

int zcpool_mmap(struct file *file, struct vm_area_struct *vma);
void zcpool_mmap_zap(struct zcpool_file *zf, u64 offset, u64 size);
bool zcpool_mmap_mapped(void *priv);
void zcpool_mmap_release(void *priv, u64 offset, u64 size);

#endif /* _ZCPOOL_MMAP_H */
