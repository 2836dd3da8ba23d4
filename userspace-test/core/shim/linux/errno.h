/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space shim: the kernel's errno values, from the uapi header (libc's
 * <errno.h> would include <linux/errno.h>, that is this file, again).
 */
#ifndef _SHIM_LINUX_ERRNO_H
#define _SHIM_LINUX_ERRNO_H

#include <asm-generic/errno.h>

#endif
