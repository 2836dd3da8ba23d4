/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space shim: the page size. 4 KiB as on x86_64; build with
 * -DPAGE_SHIFT=14 (or 16) to check the size classes for other page sizes.
 */
#ifndef _SHIM_ASM_PAGE_H
#define _SHIM_ASM_PAGE_H

#ifndef PAGE_SHIFT
#define PAGE_SHIFT	12
#endif
#define PAGE_SIZE	(1UL << PAGE_SHIFT)

#endif
