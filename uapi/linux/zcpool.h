/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * zcpool: a zero-copy memory pool shared through /dev/zcpool.
 *
 * This header is the whole contract between the zcpool module and user space.
 * Rules it keeps (Documentation/process/botching-up-ioctls.rst):
 *  - only __u32/__u64 members, explicit padding, every struct a multiple of
 *    8 bytes, so 32-bit and 64-bit processes see the same layout;
 *  - every (in) flags field has a *_VALID_FLAGS mask; unknown flags and
 *    non-zero padding are rejected with -EINVAL;
 *  - unknown commands fail with -ENOTTY; (out) structs are fully written,
 *    padding included, so no kernel bytes leak.
 *
 * ioctl numbers: type 'Z', numbers 0x80-0x9f (free in
 * Documentation/userspace-api/ioctl/ioctl-number.rst).
 */
#ifndef _UAPI_LINUX_ZCPOOL_H
#define _UAPI_LINUX_ZCPOOL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * ABI version: the major changes only if an existing command changes meaning
 * (never, once released); the minor grows with each added command or flag.
 * Feature bits say which optional capabilities this module build offers.
 */
#define ZCPOOL_ABI_MAJOR	1
#define ZCPOOL_ABI_MINOR	0

/* ZCPOOL_IOC_INFO is available (always set by any zcpool module). */
#define ZCPOOL_FEATURE_INFO	((__u64)1 << 0)

#define ZCPOOL_FEATURES_KNOWN	(ZCPOOL_FEATURE_INFO)

/**
 * struct zcpool_info - what this zcpool module is and how it is configured
 * @abi_major:        (out) ZCPOOL_ABI_MAJOR of the running module.
 * @abi_minor:        (out) ZCPOOL_ABI_MINOR of the running module.
 * @features:         (out) ZCPOOL_FEATURE_* bits the module supports.
 * @page_size:        (out) bytes per page; mmap offsets and lengths use it.
 * @chunk_order:      (out) a chunk is (page_size << chunk_order) bytes.
 * @pool_max_bytes:   (out) the most one pool may hold (module parameter).
 * @total_max_bytes:  (out) the most all pools together may hold.
 */
struct zcpool_info {
	__u32 abi_major;
	__u32 abi_minor;
	__u64 features;
	__u32 page_size;
	__u32 chunk_order;
	__u64 pool_max_bytes;
	__u64 total_max_bytes;
};

#define ZCPOOL_IOC_TYPE		'Z'

#define ZCPOOL_IOC_INFO		_IOR(ZCPOOL_IOC_TYPE, 0x80, struct zcpool_info)

#endif /* _UAPI_LINUX_ZCPOOL_H */
