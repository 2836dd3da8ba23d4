/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences between the kernels zcpool supports (6.1 to 6.12):
 * every one of them is bridged here, nowhere else.
 */
#ifndef _ZCPOOL_COMPAT_H
#define _ZCPOOL_COMPAT_H

#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mmzone.h>

/*
 * ZCPOOL_MAX_PAGE_ORDER: the largest order alloc_pages() can serve (10 on
 * x86_64). MAX_ORDER was exclusive before 6.4, inclusive from 6.4 and renamed
 * MAX_PAGE_ORDER in 6.8; MAX_ORDER_NR_PAGES has meant "pages in the largest
 * block" throughout, so it needs no version test.
 */
#define ZCPOOL_MAX_PAGE_ORDER	ilog2(MAX_ORDER_NR_PAGES)

/*
 * vm_flags became read-only with 6.3: changes go through vm_flags_set(),
 * which also asserts the mmap lock is held for writing. Kbuild defines
 * ZCPOOL_HAVE_VM_FLAGS_SET when the kernel's <linux/mm.h> has it (a
 * feature test, so that distribution backports are caught too).
 */
#ifdef ZCPOOL_HAVE_VM_FLAGS_SET
static inline void zcpool_vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vm_flags_set(vma, flags);
}
#else
static inline void zcpool_vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#endif

#endif /* _ZCPOOL_COMPAT_H */
