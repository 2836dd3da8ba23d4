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
 *  - unknown commands fail with -ENOTTY; a call writes its (out) fields
 *    and nothing else (what is (in) only keeps the caller's bytes), and a
 *    struct that is (out) as a whole is written whole, padding included,
 *    so no kernel bytes leak.
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
#define ZCPOOL_ABI_MINOR	1

/* ZCPOOL_IOC_INFO is available (always set by any zcpool module). */
#define ZCPOOL_FEATURE_INFO	((__u64)1 << 0)
/* ZCPOOL_IOC_ALLOC and ZCPOOL_IOC_FREE. */
#define ZCPOOL_FEATURE_ALLOC	((__u64)1 << 1)
/* ZCPOOL_IOC_ALLOC_BATCH and ZCPOOL_IOC_FREE_BATCH. */
#define ZCPOOL_FEATURE_BATCH	((__u64)1 << 2)
/* mmap(MAP_SHARED) of the pool window. */
#define ZCPOOL_FEATURE_MMAP	((__u64)1 << 3)
/* ZCPOOL_IOC_STATS. */
#define ZCPOOL_FEATURE_STATS	((__u64)1 << 4)
/* ZCPOOL_IOC_LIMITS. */
#define ZCPOOL_FEATURE_LIMITS	((__u64)1 << 5)

#define ZCPOOL_FEATURES_KNOWN	(ZCPOOL_FEATURE_INFO | ZCPOOL_FEATURE_ALLOC | \
				 ZCPOOL_FEATURE_BATCH | ZCPOOL_FEATURE_MMAP | \
				 ZCPOOL_FEATURE_STATS | ZCPOOL_FEATURE_LIMITS)

/* The longest page run a pool carves from a chunk; longer allocations are huge. */
#define ZCPOOL_RUN_MAX_PAGES	16

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

/*
 * The pool. Every open() of /dev/zcpool makes a new, empty pool; the fd (and
 * its dups, fork()ed copies and SCM_RIGHTS-passed copies) and every mapping
 * of it keep the pool alive, and the last of them to go frees everything.
 *
 * An allocation is a byte range [offset, offset + size) of the pool window;
 * mmap(MAP_SHARED) with the page-aligned offset maps it. Sizes up to
 * ZCPOOL_RUN_MAX_PAGES pages (or a chunk, when the module's chunks are
 * shorter) are served from chunks (small ones as objects inside a page, the
 * others as page runs); larger ones (huge) get exactly their pages, from
 * the page allocator or from a huge allocation freed before, and whole
 * chunk-sized window slots. So does a run that its alignment makes longer
 * than that (a run of N pages starts on a multiple of N rounded up to a
 * power of two), and one that no chunk can be had for. Every page of an
 * allocation can be mapped while it is live, also those past its size.
 * Errors mean the same for every command; the commands that can return
 * each are named in brackets:
 *   EINVAL  (all but INFO) a field out of range, an unknown flag,
 *           non-zero padding, an offset that is not the start of a live
 *           allocation, a size above the pool's cap (no pool state
 *           changes then);
 *   EFAULT  (all) a bad user pointer. A single command then leaves nothing
 *           allocated or freed: an allocation whose offset cannot be
 *           written back is freed again by that offset (a thread that
 *           frees it first, and gets the offset again from another
 *           allocation, loses that one), and the pool's counters of
 *           allocations and frees count both; the pages stay with the
 *           pool, as after any free. A batch reports what it did in
 *           struct zcpool_batch;
 *   EDQUOT  (ALLOC, ALLOC_BATCH) a size within the pool's cap whose
 *           pages (or the chunk it needs) would exceed the pool's cap
 *           (ZCPOOL_IOC_LIMITS) or the module's total cap
 *           (total_max_bytes), even once the pool, and for the total cap
 *           every pool, gave back what it held idle (cached allocations,
 *           empty chunks, spare huge ones);
 *   ENOMEM  (ALLOC, ALLOC_BATCH, FREE_BATCH, STATS) the kernel had no
 *           memory (or the memory cgroup's limit was hit);
 *   EINTR   (ALLOC, ALLOC_BATCH, LIMITS) a fatal signal stopped the call
 *           (the process is being killed);
 *   ENOTTY  an unknown command.
 */

/* The memory reads as zero (fresh memory always does; this clears reuse). */
#define ZCPOOL_ALLOC_ZERO		0x1U
#define ZCPOOL_ALLOC_VALID_FLAGS	(ZCPOOL_ALLOC_ZERO)

/**
 * struct zcpool_alloc - one allocation request
 * @size:   (in) bytes, 1 to the pool's cap.
 * @align:  (in) 0, or a power of two up to the chunk size: the offset's
 *          alignment. Small objects are aligned to their size class's
 *          lowest set bit (16 at least), page runs to a page.
 * @flags:  (in) ZCPOOL_ALLOC_* flags.
 * @pad:    must be zero.
 * @offset: (out) the allocation's offset in the pool window.
 */
struct zcpool_alloc {
	__u64 size;
	__u64 align;
	__u32 flags;
	__u32 pad;
	__u64 offset;
};

/**
 * struct zcpool_free - free one allocation
 * @offset: (in) the offset ZCPOOL_IOC_ALLOC returned.
 * @flags:  must be zero.
 * @pad:    must be zero.
 */
struct zcpool_free {
	__u64 offset;
	__u32 flags;
	__u32 pad;
};

/* The most entries one batch command takes. */
#define ZCPOOL_BATCH_MAX	4096

/**
 * struct zcpool_batch - many allocations or frees in one call
 * @items:  (in) user pointer: an array of @count struct zcpool_alloc for
 *          ZCPOOL_IOC_ALLOC_BATCH (each entry's @offset is written,
 *          nothing else), of
 *          @count __u64 offsets for ZCPOOL_IOC_FREE_BATCH.
 * @count:  (in) entries, 1 to ZCPOOL_BATCH_MAX.
 * @flags:  must be zero.
 * @done:   (out) entries carried out: entries [0, @done) succeeded, the
 *          rest changed nothing.
 * @error:  (out) 0 when @done == @count, else the negative errno of entry
 *          @done, which stopped the batch (-EFAULT also when the block of
 *          entries it was read or written with was not all user memory).
 *
 * The ioctl itself fails (and changes nothing, this struct included) only
 * when this struct is bad or cannot be copied, or with ENOMEM when the
 * kernel has no memory for the call's own working room; otherwise it
 * returns 0 and @done/@error tell.
 * Should this struct become unwritable during the call (another thread
 * unmapped it), ZCPOOL_IOC_ALLOC_BATCH undoes its allocations and fails
 * with EFAULT. It writes the entries' offsets as it goes, but they are
 * the caller's only once it returns: the undo frees them by offset, so a
 * thread that frees one sooner may see its own later allocation at that
 * offset freed. ZCPOOL_IOC_FREE_BATCH writes @done before the frees it
 * counts take effect (a few entries at a time), so @done is exact whenever
 * the struct can be read again; it fails with EFAULT only if it freed
 * nothing. An entry it is freeing is no longer live from just before
 * @done counts it (a new fault on its pages fails as after a free), and
 * is live again if @done cannot be written.
 * @done and @error are written together, in one 8-byte store, when this
 * struct is 8-byte aligned (as a __u64 is on 64-bit ABIs; i386 aligns it
 * to 4 bytes): a store that faults then writes neither.
 */
struct zcpool_batch {
	__u64 items;
	__u32 count;
	__u32 flags;
	__u32 done;
	__s32 error;
};

/**
 * struct zcpool_stats - what this pool holds
 * @live:            (out) live allocations.
 * @bytes_requested: (out) sum of the sizes asked for by live allocations.
 * @bytes_held:      (out) bytes of pages the pool holds from the kernel.
 * @chunks:          (out) chunks held (huge allocations not counted).
 * @huge_live:       (out) live huge allocations.
 * @runs_live:       (out) live page runs.
 * @allocs:          (out) allocations made over the pool's life.
 * @frees:           (out) allocations freed over the pool's life.
 * @max_bytes:       (out) the pool's cap now.
 * @class_live:      (in) user pointer to an array of __u64, or 0: entry i
 *                   gets the live objects of size class i: of
 *                   16 * (i + 1) bytes for i < 8, else, with
 *                   k = 7 + (i - 8) / 8 and s = (i - 8) % 8, of
 *                   2^k + (s + 1) * 2^(k - 3) bytes, up to 8 pages
 *                   (72 classes with 4 KiB pages). A class above
 *                   half a page whose size, rounded up to whole pages,
 *                   leaves at most 1/8 of them unused (its run would hold
 *                   one element: 3.5 to 4 KiB, 7 to 8 KiB, ...) is served
 *                   as a page run of those pages and counted in
 *                   @runs_live; its entry stays 0.
 * @nr_classes:      (in) entries in @class_live; (out) the module's count
 *                   of size classes (at most the smaller is written).
 * @pad:             must be zero.
 */
struct zcpool_stats {
	__u64 live;
	__u64 bytes_requested;
	__u64 bytes_held;
	__u64 chunks;
	__u64 huge_live;
	__u64 runs_live;
	__u64 allocs;
	__u64 frees;
	__u64 max_bytes;
	__u64 class_live;
	__u32 nr_classes;
	__u32 pad;
};

/*
 * A free zaps every page the allocation held from every mapping before the
 * pool may hand its memory out again, so that a use after free faults (a
 * debug aid; slower), but on a page that still holds another live
 * allocation (small ones share pages), which a fault maps again.
 * References taken before the free (pinned IO buffers, pipes filled by
 * vmsplice()) keep the pages they hold, which the pool may hand out
 * again: zapping cannot revoke them.
 */
#define ZCPOOL_POOL_ZAP_ON_FREE		0x1U
#define ZCPOOL_POOL_VALID_FLAGS		(ZCPOOL_POOL_ZAP_ON_FREE)

/**
 * struct zcpool_limits - lower the pool's cap, set pool flags
 * @max_bytes: (in) the new cap, 0 to keep it; it may only go down and not
 *             below what the pool holds (EINVAL otherwise), idle memory
 *             included (cached allocations, empty chunks, spare huge
 *             ones: this call does not give them back). A cap
 *             granted holds at once: pages taken meanwhile by another
 *             thread either count (this call fails) or are refused.
 *             (out) the cap now in force.
 * @flags:     (in) ZCPOOL_POOL_* flags to set (they cannot be cleared);
 *             (out) the pool's flags now.
 * @pad:       must be zero.
 */
struct zcpool_limits {
	__u64 max_bytes;
	__u32 flags;
	__u32 pad;
};

#define ZCPOOL_IOC_TYPE		'Z'

#define ZCPOOL_IOC_INFO		_IOR(ZCPOOL_IOC_TYPE, 0x80, struct zcpool_info)
#define ZCPOOL_IOC_ALLOC	_IOWR(ZCPOOL_IOC_TYPE, 0x81, struct zcpool_alloc)
#define ZCPOOL_IOC_FREE		_IOW(ZCPOOL_IOC_TYPE, 0x82, struct zcpool_free)
#define ZCPOOL_IOC_ALLOC_BATCH	_IOWR(ZCPOOL_IOC_TYPE, 0x83, struct zcpool_batch)
#define ZCPOOL_IOC_FREE_BATCH	_IOWR(ZCPOOL_IOC_TYPE, 0x84, struct zcpool_batch)
#define ZCPOOL_IOC_STATS	_IOWR(ZCPOOL_IOC_TYPE, 0x85, struct zcpool_stats)
#define ZCPOOL_IOC_LIMITS	_IOWR(ZCPOOL_IOC_TYPE, 0x86, struct zcpool_limits)

#endif /* _UAPI_LINUX_ZCPOOL_H */
