/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences between the kernels zcpool supports (6.1 to 6.12):
 * every one of them is bridged here, nowhere else.
 */
#ifndef _ZCPOOL_COMPAT_H
#define _ZCPOOL_COMPAT_H

#include <linux/log2.h>
#include <linux/mmzone.h>

/*
 * ZCPOOL_MAX_PAGE_ORDER: the largest order alloc_pages() can serve (10 on
 * x86_64). MAX_ORDER was exclusive before 6.4, inclusive from 6.4 and renamed
 * MAX_PAGE_ORDER in 6.8; MAX_ORDER_NR_PAGES has meant "pages in the largest
 * block" throughout, so it needs no version test.
 */
#define ZCPOOL_MAX_PAGE_ORDER	ilog2(MAX_ORDER_NR_PAGES)

#endif /* _ZCPOOL_COMPAT_H */
