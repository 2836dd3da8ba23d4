// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl commands of /dev/zcpool: one zcpool_ioctl_<cmd>() per command.
 *
 * Every command reads its whole struct in, checks every field (unknown
 * flags and non-zero padding are -EINVAL), acts, and copies the whole
 * struct out, built from zero, so no uninitialised byte ever reaches user
 * space; ALLOC and the entries of ALLOC_BATCH get only their offset
 * written, the one field that changes. Unknown commands, including a
 * known number with the wrong size or direction, are -ENOTTY.
 *
 * "Fails and changes nothing": a command that can fail after acting makes
 * sure it will be able to report first. ALLOC frees the allocation when
 * its offset cannot be copied out; the commands that change the pool and
 * then write a struct back (the batches, LIMITS) first write the struct
 * back unchanged, so a read-only or unmapped struct is -EFAULT before
 * anything happens. Only another thread unmapping the struct during the
 * call can make the final copy fail: an ALLOC_BATCH then frees what it
 * made; a FREE_BATCH reports each few frees before they stand, and makes
 * them live again when the report cannot be written.
 *
 * The checks live in the zcpool_ioctl_*_one() helpers, which act on
 * kernel copies of the structs, so that KUnit can drive them without a
 * user address space; the command functions only add the copies.
 */

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <kunit/visibility.h>

#include "dev.h"
#include "ioctl.h"
#include "mmap.h"
#include "params.h"
#include "pool.h"

/*
 * Offsets a FREE_BATCH reads in at a time (128 bytes of stack), all taken
 * back before one report of them: the report is a user access window,
 * which cost 11% of a batch of 64 KiB buffers when it came every 8 frees.
 * The 16 taken allocations (1 KiB) live in a buffer of the call.
 */
#define IOCTL_FREE_BATCH_BLOCK	16

/*
 * Entries an ALLOC_BATCH reads in and writes back at a time: 512 bytes of
 * stack, two user access windows per 16 entries where one per entry each
 * way cost more than the allocation itself.
 */
#define IOCTL_ALLOC_BATCH_BLOCK	16

/*
 * The blocks are __uninitialized: with the automatic zeroing of stack
 * variables that Debian's kernels build with (INIT_STACK_ALL_ZERO), each
 * call would clear them first, a "rep stos" of 512 bytes per ALLOC_BATCH
 * block that TCG runs one word per iteration. Only what was read in
 * whole (or allocated) is used or written back.
 */

VISIBLE_IF_KUNIT void zcpool_ioctl_fill_info(struct zcpool_info *info)
{
	memset(info, 0, sizeof(*info));
	info->abi_major = ZCPOOL_ABI_MAJOR;
	info->abi_minor = ZCPOOL_ABI_MINOR;
	info->features = ZCPOOL_FEATURE_INFO | ZCPOOL_FEATURE_ALLOC | ZCPOOL_FEATURE_BATCH |
			 ZCPOOL_FEATURE_MMAP | ZCPOOL_FEATURE_STATS | ZCPOOL_FEATURE_LIMITS;
	info->page_size = PAGE_SIZE;
	info->chunk_order = zcpool_params.chunk_order;
	info->pool_max_bytes = zcpool_params.pool_max_bytes;
	info->total_max_bytes = zcpool_params.total_max_bytes;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_ioctl_fill_info);

/*
 * What only the ioctl refuses; the pool refuses the rest before it changes
 * anything (pool_check_request(): an unknown flag, a size of 0, an
 * alignment that is not a power of two or beyond a chunk), with the same
 * -EINVAL. Padding must be zero, and a size above this pool's cap (which
 * only goes down) could never be served: -EINVAL too, where the kernel
 * API says -EDQUOT (ioctl_alloc_error()). A request that fits the cap but
 * not what is left under it is -EDQUOT, from the pool.
 */
static __always_inline int ioctl_check_alloc(const struct zcpool_alloc *req)
{
	return req->pad ? -EINVAL : 0;
}

/*
 * The error of a request the pool refused with @err: -EINVAL for a size
 * above the cap. Asked after the refusal, not before every request (a call
 * to read the cap was three translated blocks of each ALLOC under TCG):
 * the pool serves no such size, for what it holds is within the cap (but
 * for a chunk charged as the cap comes down), and refuses it before it
 * changes anything.
 */
static int ioctl_alloc_error(const struct zcpool_file *zf, const struct zcpool_alloc *req,
			     int err)
{
	if (req->size > zcpool_pool_max_bytes(zf->pool))
		return -EINVAL;
	return err;
}

/*
 * zcpool_ioctl_alloc_one(), inline in the ALLOC ioctl: with the cap read
 * only on a refusal, GCC called the function (a batch calls it too), and
 * the call and its return cost more than the read they replaced.
 */
static __always_inline int ioctl_alloc_one(struct zcpool_file *zf, struct zcpool_alloc *req)
{
	int ret;

	ret = ioctl_check_alloc(req);
	if (ret)
		return ret;
	ret = zcpool_pool_alloc(zf->pool, req->size, req->align, req->flags, &req->offset);
	if (unlikely(ret))
		return ioctl_alloc_error(zf, req, ret);
	return 0;
}

/**
 * zcpool_ioctl_alloc_one() - check and carry out one allocation request
 * @zf:  the pool's file.
 * @req: the request, copied in; @req->offset is set on success.
 *
 * Context: process context, may sleep.
 * Return: 0, -EINVAL for a bad field, or the pool's error (-EDQUOT,
 * -ENOMEM, -EINTR); nothing is allocated on error.
 */
VISIBLE_IF_KUNIT int zcpool_ioctl_alloc_one(struct zcpool_file *zf, struct zcpool_alloc *req)
{
	return ioctl_alloc_one(zf, req);
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_ioctl_alloc_one);

/*
 * Zap @nr taken allocations out of the mappings, before they are put away
 * and another allocation can have their memory; huge ones leave as they
 * are put away, in any pool.
 */
static void ioctl_zap_taken(struct zcpool_file *zf, const struct zcpool_pool_taken *taken,
			    unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (!taken[i].huge)
			zcpool_mmap_zap(zf, taken[i].offset, taken[i].claim.bytes);
}

/*
 * The free of a ZCPOOL_POOL_ZAP_ON_FREE pool, out of line: inline in the
 * ioctl, its room for the taken allocation on the stack cost every FREE
 * 32 guest instructions and 6 blocks of a 64 B ALLOC+FREE pair (980 in
 * 186, 948 in 178 without; scripts/insns, perf-6.1).
 */
static noinline int ioctl_free_and_zap(struct zcpool_file *zf, u64 offset)
{
	struct zcpool_pool_taken taken;
	unsigned int n;
	int ret;

	ret = zcpool_pool_take_many(zf->pool, &offset, 1, &taken, &n);
	if (ret)
		return ret;
	ioctl_zap_taken(zf, &taken, 1);
	zcpool_pool_put_taken(zf->pool, &taken, 1);
	return 0;
}

/**
 * zcpool_ioctl_free_offset() - free one allocation of a pool's file
 * @zf:     the pool's file.
 * @offset: the allocation's offset.
 *
 * With %ZCPOOL_POOL_ZAP_ON_FREE the pages of every byte the allocation
 * held are zapped from every mapping, so that a use after free faults
 * (SIGBUS, unless the page is still part of another live allocation): not
 * only those of the bytes requested, for a fault maps all of them. The
 * zap comes between taking the allocation back and putting it away, so
 * that no allocation made meanwhile on another CPU gets its memory while
 * the old mappings still reach it.
 *
 * Context: process context, may sleep.
 * Return: 0, or -EINVAL when @offset is not a live allocation's start.
 */
VISIBLE_IF_KUNIT int zcpool_ioctl_free_offset(struct zcpool_file *zf, u64 offset)
{
	u64 held;

	if (unlikely(atomic_read(&zf->flags) & ZCPOOL_POOL_ZAP_ON_FREE))
		return ioctl_free_and_zap(zf, offset);
	return zcpool_pool_free_held(zf->pool, offset, &held);
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_ioctl_free_offset);

/**
 * zcpool_ioctl_free_one() - check and carry out one free request
 * @zf:  the pool's file.
 * @req: the request, copied in.
 *
 * Context: process context, may sleep.
 * Return: 0, or -EINVAL for a flag, padding, or an offset that is not a
 * live allocation's start (nothing is freed then).
 */
VISIBLE_IF_KUNIT int zcpool_ioctl_free_one(struct zcpool_file *zf, const struct zcpool_free *req)
{
	if (req->flags)
		return -EINVAL;
	if (req->pad)
		return -EINVAL;
	return zcpool_ioctl_free_offset(zf, req->offset);
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_ioctl_free_one);

/**
 * zcpool_ioctl_check_batch() - check a batch header
 * @batch: the header, copied in; @batch->done and @batch->error are (out).
 *
 * Context: any context.
 * Return: 0, or -EINVAL for a count of 0 or above %ZCPOOL_BATCH_MAX, or a flag.
 */
VISIBLE_IF_KUNIT int zcpool_ioctl_check_batch(const struct zcpool_batch *batch)
{
	if (!batch->count)
		return -EINVAL;
	if (batch->count > ZCPOOL_BATCH_MAX)
		return -EINVAL;
	if (batch->flags)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_ioctl_check_batch);

/**
 * zcpool_ioctl_stats_one() - check a stats request and fill in the answer
 * @zf: the pool's file.
 * @in: the request, copied in.
 * @out: set to the whole answer (its @class_live pointer is @in's).
 * @st: set to the pool's counters, whose class_live the caller copies out.
 *
 * Context: process context; takes the pool's locks in turn.
 * Return: 0, or -EINVAL for non-zero padding.
 */
VISIBLE_IF_KUNIT int zcpool_ioctl_stats_one(struct zcpool_file *zf, const struct zcpool_stats *in,
					    struct zcpool_stats *out, struct zcpool_pool_stats *st)
{
	if (in->pad)
		return -EINVAL;
	zcpool_pool_stats(zf->pool, st);
	memset(out, 0, sizeof(*out));
	out->live = st->live;
	out->bytes_requested = st->bytes_requested;
	out->bytes_held = st->bytes_held;
	out->chunks = st->chunks;
	out->huge_live = st->huge_live;
	out->runs_live = st->runs_live;
	out->allocs = st->allocs;
	out->frees = st->frees;
	out->max_bytes = zcpool_pool_max_bytes(zf->pool);
	out->class_live = in->class_live;
	out->nr_classes = ZCPOOL_SIZECLASS_NR;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_ioctl_stats_one);

/**
 * zcpool_ioctl_limits_one() - check and apply a limits request
 * @zf:  the pool's file.
 * @lim: the request, copied in; set to the limits in force on success.
 *
 * All or nothing: the cap is checked (and lowered) before any flag is set.
 *
 * Context: any context.
 * Return: 0, or -EINVAL for an unknown flag, padding, or a cap above the
 * current one or below what the pool holds.
 */
VISIBLE_IF_KUNIT int zcpool_ioctl_limits_one(struct zcpool_file *zf, struct zcpool_limits *lim)
{
	int ret;

	if (lim->flags & ~ZCPOOL_POOL_VALID_FLAGS)
		return -EINVAL;
	if (lim->pad)
		return -EINVAL;
	if (lim->max_bytes) {
		ret = zcpool_pool_set_max_bytes(zf->pool, lim->max_bytes);
		if (ret)
			return ret;
	}
	atomic_or(lim->flags, &zf->flags);
	memset(lim, 0, sizeof(*lim));
	lim->max_bytes = zcpool_pool_max_bytes(zf->pool);
	lim->flags = atomic_read(&zf->flags);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_ioctl_limits_one);

static long zcpool_ioctl_info(void __user *uarg)
{
	struct zcpool_info info;

	zcpool_ioctl_fill_info(&info);
	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/*
 * ALLOC and FREE move their few fields with one user access window and a
 * load or store each (unsafe_get_user()), not copy_from_user(): on x86 a
 * copy is a "rep movsb" whose start-up costs more than the fields, and
 * these are the commands a program runs most. The asserts catch a struct
 * that grows a field these would miss.
 */
static_assert(sizeof(struct zcpool_alloc) == 32);
static_assert(sizeof(struct zcpool_free) == 16);

static int ioctl_get_alloc(struct zcpool_alloc *req, const struct zcpool_alloc __user *uarg)
{
	if (!user_read_access_begin(uarg, sizeof(*uarg)))
		return -EFAULT;
	unsafe_get_user(req->size, &uarg->size, efault);
	unsafe_get_user(req->align, &uarg->align, efault);
	unsafe_get_user(req->flags, &uarg->flags, efault);
	unsafe_get_user(req->pad, &uarg->pad, efault);
	unsafe_get_user(req->offset, &uarg->offset, efault);
	user_read_access_end();
	return 0;

efault:
	user_read_access_end();
	return -EFAULT;
}

static int ioctl_get_free(struct zcpool_free *req, const struct zcpool_free __user *uarg)
{
	if (!user_read_access_begin(uarg, sizeof(*uarg)))
		return -EFAULT;
	unsafe_get_user(req->offset, &uarg->offset, efault);
	unsafe_get_user(req->flags, &uarg->flags, efault);
	unsafe_get_user(req->pad, &uarg->pad, efault);
	user_read_access_end();
	return 0;

efault:
	user_read_access_end();
	return -EFAULT;
}

static long zcpool_ioctl_alloc(struct zcpool_file *zf, struct zcpool_alloc __user *uarg)
{
	struct zcpool_alloc req;
	int ret;

	if (ioctl_get_alloc(&req, uarg))
		return -EFAULT;
	ret = ioctl_alloc_one(zf, &req);
	if (ret)
		return ret;
	/* The only field that changed: the rest reads back as written. */
	if (!user_write_access_begin(&uarg->offset, sizeof(uarg->offset)))
		goto efault;
	unsafe_put_user(req.offset, &uarg->offset, efault_end);
	user_write_access_end();
	return 0;

efault_end:
	user_write_access_end();
efault:
	zcpool_ioctl_free_offset(zf, req.offset);
	return -EFAULT;
}

static long zcpool_ioctl_free(struct zcpool_file *zf, struct zcpool_free __user *uarg)
{
	struct zcpool_free req;

	if (ioctl_get_free(&req, uarg))
		return -EFAULT;
	return zcpool_ioctl_free_one(zf, &req);
}

/*
 * The batches move their entries the same way, a block at a time in one
 * user access window: an ALLOC_BATCH reads each entry's five fields and
 * writes back only the offsets, a FREE_BATCH reads its offsets. On
 * hardware that is about what the copies cost; under QEMU's TCG, where the
 * benchmarks run, each byte of a "rep movsb" is one emulated loop
 * iteration, and copy_user_enhanced_fast_string took 27% of a batch of
 * 64 B allocations.
 */

/* Read up to @n entries into @block; returns how many were read whole. */
static unsigned int ioctl_get_alloc_block(struct zcpool_alloc *block,
					  const struct zcpool_alloc __user *items, unsigned int n)
{
	unsigned int i = 0;

	if (!user_read_access_begin(items, n * sizeof(*items)))
		return 0;
	for (; i < n; i++) {
		unsafe_get_user(block[i].size, &items[i].size, efault);
		unsafe_get_user(block[i].align, &items[i].align, efault);
		unsafe_get_user(block[i].flags, &items[i].flags, efault);
		unsafe_get_user(block[i].pad, &items[i].pad, efault);
		unsafe_get_user(block[i].offset, &items[i].offset, efault);
	}
efault:
	user_read_access_end();
	return i;
}

/* Write @n @offsets back into their entries; returns how many were written. */
static unsigned int ioctl_put_alloc_offsets(struct zcpool_alloc __user *items,
					    const u64 *offsets, unsigned int n)
{
	unsigned int i = 0;

	if (!user_write_access_begin(items, n * sizeof(*items)))
		return 0;
	for (; i < n; i++)
		unsafe_put_user(offsets[i], &items[i].offset, efault);
efault:
	user_write_access_end();
	return i;
}

/*
 * Read @n offsets into @block; returns how many were read, up to the first
 * unreadable one (a block stopped short is freed up to there, so that the
 * batch stops at exactly the entry that faulted).
 */
static unsigned int ioctl_get_offsets(u64 *block, const u64 __user *items, unsigned int n)
{
	unsigned int i = 0;

	if (!user_read_access_begin(items, n * sizeof(*items)))
		return 0;
	for (; i < n; i++)
		unsafe_get_user(block[i], &items[i], efault);
efault:
	user_read_access_end();
	return i;
}

/* Copy a batch header in and check it. */
static int ioctl_batch_read(struct zcpool_batch *batch, struct zcpool_batch __user *uarg)
{
	if (copy_from_user(batch, uarg, sizeof(*batch)))
		return -EFAULT;
	return zcpool_ioctl_check_batch(batch);
}

/*
 * A batch's @done and @error in one 8-byte store: the start of every
 * batch, its end, and a FREE_BATCH's report ahead of each of its frees.
 * A store that faults writes nothing: on x86 even across pages, and on any
 * 64-bit kernel within one, which a naturally aligned header keeps it in
 * (@done is 8-byte aligned there). Two stores let a header whose @error starts
 * a page, made read-only by another thread during the call, take the new
 * @done and keep the old @error: the caller then undid what @done counted
 * (a FREE_BATCH made its entries live again, an ALLOC_BATCH freed them).
 */
static int ioctl_batch_report(struct zcpool_batch __user *uarg, u32 done, s32 error)
{
	struct {
		u32 done;
		s32 error;
	} report = { .done = done, .error = error };
	u64 word;

	static_assert(offsetof(struct zcpool_batch, error) ==
		      offsetof(struct zcpool_batch, done) + sizeof(u32));
	static_assert(sizeof(report) == sizeof(word));
	/* In the struct's byte order, whatever the CPU's. */
	memcpy(&word, &report, sizeof(word));
	if (!user_write_access_begin(&uarg->done, sizeof(word)))
		return -EFAULT;
	unsafe_put_user(word, (u64 __user *)&uarg->done, efault);
	user_write_access_end();
	return 0;

efault:
	user_write_access_end();
	return -EFAULT;
}

/*
 * Prove a header read and checked can be written back: none done, @error
 * the errno it reports until a later write says more. The header goes back
 * as it was read first: one that is writable only in part (split across a
 * read-only page) then fails with its bytes as they were, where writing
 * the new @done and @error straight away changed those before the fault.
 */
static int ioctl_batch_start(const struct zcpool_batch *batch,
			     struct zcpool_batch __user *uarg, s32 error)
{
	if (copy_to_user(uarg, batch, sizeof(*batch)))
		return -EFAULT;
	return ioctl_batch_report(uarg, 0, error);
}

/*
 * Allocate the longest stretch of requests equal to the first of @reqs
 * (at most @n, the first one valid) with one bulk call, their offsets
 * into @offsets. Returns how many are done, and in *@err why it stopped
 * short. A bulk call that fails has undone itself: the stretch then goes
 * one entry at a time, to stop at exactly the entry that fails, as a
 * batch of different requests would.
 */
static unsigned int ioctl_alloc_stretch(struct zcpool_file *zf, struct zcpool_alloc *reqs,
					unsigned int n, u64 *offsets, int *err)
{
	const struct zcpool_alloc *first = &reqs[0];
	unsigned int len, i;

	*err = ioctl_check_alloc(first);
	if (*err)
		return 0;
	/*
	 * The first entry of another shape, from the end, as a select: no
	 * branch an entry but the loop's, where stopping at it was a second
	 * (and with "||", each field's test was a branch of its own).
	 */
	len = n;
	for (i = n - 1; i > 0; i--)
		len = (reqs[i].size ^ first->size) | (reqs[i].align ^ first->align) |
		      (reqs[i].flags ^ first->flags) | reqs[i].pad ? i : len;
	/*
	 * Not in bulk on a ZCPOOL_POOL_ZAP_ON_FREE pool: a bulk call that
	 * fails part way frees what it made with zcpool_pool_free(), no zap,
	 * and those were live meanwhile, for a stale pointer into a buffer
	 * freed before (whose offset came back) to fault their pages in. One
	 * at a time, each undo is zcpool_ioctl_free_offset()'s.
	 */
	if (len > 1 && !(atomic_read(&zf->flags) & ZCPOOL_POOL_ZAP_ON_FREE) &&
	    zcpool_pool_alloc_bulk(zf->pool, first->size, first->align, first->flags,
				   offsets, len) == len)
		return len;
	for (i = 0; i < len; i++) {
		*err = zcpool_ioctl_alloc_one(zf, &reqs[i]);
		if (*err)
			break;
		offsets[i] = reqs[i].offset;
	}
	return i;
}

/*
 * Allocate the @n entries of @block, which are entries @first.. of the
 * user's array, and write their offsets back, from @offsets, where they
 * are kept. The offsets go from the bulk call to the user through that
 * one array: copied through the block and back out, each entry was two
 * loops' passes more. Returns how many are done (allocated and written
 * back), and in *@err why it stopped short. An entry whose write-back
 * fails is freed, as are those after it.
 */
static unsigned int ioctl_alloc_block(struct zcpool_file *zf, struct zcpool_alloc *block,
				      unsigned int n, struct zcpool_alloc __user *first,
				      u64 *offsets, int *err)
{
	unsigned int j, written;

	*err = 0;
	j = 0;
	while (j < n && !*err) {
		if (fatal_signal_pending(current)) {
			*err = -EINTR;
			break;
		}
		j += ioctl_alloc_stretch(zf, &block[j], n - j, &offsets[j], err);
	}
	if (!j)
		return 0;
	written = ioctl_put_alloc_offsets(first, offsets, j);
	if (written < j) {
		*err = -EFAULT;
		while (j-- > written)
			zcpool_ioctl_free_offset(zf, offsets[j]);
	}
	return written;
}

static long zcpool_ioctl_alloc_batch(struct zcpool_file *zf, struct zcpool_batch __user *uarg)
{
	struct zcpool_alloc block[IOCTL_ALLOC_BATCH_BLOCK] __uninitialized;
	struct zcpool_alloc __user *items;
	struct zcpool_batch batch;
	unsigned int i = 0, n, got, done;
	u64 *offsets;
	int ret, err;

	ret = ioctl_batch_read(&batch, uarg);
	if (ret)
		return ret;
	/*
	 * Kept to undo the batch should the header become unwritable. Before
	 * the header is written, so that running out of memory leaves it as
	 * it was.
	 */
	offsets = kvmalloc_array(batch.count, sizeof(*offsets), GFP_KERNEL_ACCOUNT);
	if (!offsets)
		return -ENOMEM;
	ret = ioctl_batch_start(&batch, uarg, 0);
	if (ret)
		goto out_free;
	items = u64_to_user_ptr(batch.items);
	while (i < batch.count && !ret) {
		n = min_t(unsigned int, batch.count - i, IOCTL_ALLOC_BATCH_BLOCK);
		/* An unreadable entry stops the batch there; those before it count. */
		got = ioctl_get_alloc_block(block, &items[i], n);
		if (got < n)
			ret = -EFAULT;
		done = ioctl_alloc_block(zf, block, got, &items[i], &offsets[i], &err);
		if (err)
			ret = err;
		i += done;
		cond_resched();
	}
	/*
	 * The rest of the header went back as it was read at the start: a
	 * copy of it all could write @done and fault at @error, the header
	 * then claiming allocations the undo below frees.
	 */
	if (ioctl_batch_report(uarg, i, ret)) {
		/* Up to ZCPOOL_BATCH_MAX frees, each maybe a zap: as the loop above. */
		while (i--) {
			zcpool_ioctl_free_offset(zf, offsets[i]);
			if (!(i % IOCTL_ALLOC_BATCH_BLOCK))
				cond_resched();
		}
		ret = -EFAULT;
	} else {
		ret = 0;
	}
out_free:
	kvfree(offsets);
	return ret;
}

/* The header of a FREE_BATCH of @count entries says the first @done are freed. */
static int ioctl_free_batch_done(struct zcpool_batch __user *uarg, u32 done, u32 count)
{
	/* -EFAULT for a stop at the next entry, unless there is none. */
	return ioctl_batch_report(uarg, done, done == count ? 0 : -EFAULT);
}

/*
 * Free the @n offsets of @block, entries @first.. of a FREE_BATCH of
 * @count, with room for @n in @taken. The allocations up to the first bad
 * offset are taken back (no longer live, nothing else has them yet), then
 * reported done in the header, and only then put away: a header that
 * cannot take the report makes them live again, so @done stays exact.
 * Returns 0 to go on, 1 when the batch stopped here (the header says where
 * and why), -EFAULT when it stopped before freeing anything.
 */
static int ioctl_free_block(struct zcpool_file *zf, struct zcpool_batch __user *uarg,
			    const u64 *block, unsigned int n, u32 first, u32 count,
			    struct zcpool_pool_taken *taken)
{
	bool zap = atomic_read(&zf->flags) & ZCPOOL_POOL_ZAP_ON_FREE;
	unsigned int k;
	int ret;

	ret = zcpool_pool_take_many(zf->pool, block, n, taken, &k);
	if (k) {
		if (ioctl_free_batch_done(uarg, first + k, count)) {
			zcpool_pool_untake(zf->pool, taken, k);
			return first ? 1 : -EFAULT;
		}
		if (zap)
			ioctl_zap_taken(zf, taken, k);
		zcpool_pool_put_taken(zf->pool, taken, k);
	}
	if (ret) {
		/*
		 * Nothing was live there. Should this write fail, the header
		 * still holds an exact @done, with -EFAULT.
		 */
		ioctl_batch_report(uarg, first + k, ret);
		return 1;
	}
	return 0;
}

/*
 * Room for the taken entries of a FREE_BATCH block: the file's spare when
 * no other call has it, else a new one. A kmalloc() per call came cleared
 * under init_on_alloc (Debian's default), a kilobyte of "rep stosb" for
 * entries that are all written before they are read: 6% of a batch of
 * 64 KiB buffers on the stock kernel under TCG. Too big for the stack of
 * a path that goes on to the release hook.
 */
static struct zcpool_pool_taken *ioctl_taken_get(struct zcpool_file *zf)
{
	struct zcpool_pool_taken *taken = xchg(&zf->free_batch_spare, NULL);

	if (taken)
		return taken;
	return kmalloc_array(IOCTL_FREE_BATCH_BLOCK, sizeof(*taken), GFP_KERNEL_ACCOUNT);
}

/* Keep @taken as the file's spare, unless a concurrent call put one back first. */
static void ioctl_taken_put(struct zcpool_file *zf, struct zcpool_pool_taken *taken)
{
	if (cmpxchg(&zf->free_batch_spare, NULL, taken))
		kfree(taken);
}

static long zcpool_ioctl_free_batch(struct zcpool_file *zf, struct zcpool_batch __user *uarg)
{
	u64 block[IOCTL_FREE_BATCH_BLOCK] __uninitialized;
	struct zcpool_pool_taken *taken;
	struct zcpool_batch batch;
	unsigned int i = 0, n, got;
	u64 __user *items;
	int ret;

	/* First, so that running out of memory leaves the header as it was. */
	taken = ioctl_taken_get(zf);
	if (!taken)
		return -ENOMEM;
	/*
	 * Until entry 0 is reported done, an unreadable array stops at 0: the
	 * header says so from the start. Written apart, that was a second
	 * write of the header, which failed only if another thread made it
	 * unwritable in between.
	 */
	ret = ioctl_batch_read(&batch, uarg);
	if (!ret)
		ret = ioctl_batch_start(&batch, uarg, -EFAULT);
	if (ret)
		goto out;
	items = u64_to_user_ptr(batch.items);
	ret = 0;
	while (i < batch.count) {
		n = min_t(unsigned int, batch.count - i, IOCTL_FREE_BATCH_BLOCK);
		got = ioctl_get_offsets(block, &items[i], n);
		/*
		 * Those read are freed; the header then says {i + got, -EFAULT}
		 * for the one that was not, as it already says {i, -EFAULT}
		 * when none was read: nothing more to write.
		 */
		if (got)
			ret = ioctl_free_block(zf, uarg, block, got, i, batch.count, taken);
		if (ret) {
			ret = ret < 0 ? ret : 0;
			break;
		}
		if (got < n)
			break;
		i += n;
		cond_resched();
	}
out:
	ioctl_taken_put(zf, taken);
	return ret;
}

static long zcpool_ioctl_stats(struct zcpool_file *zf, struct zcpool_stats __user *uarg)
{
	struct zcpool_stats in, out;
	struct zcpool_pool_stats *st;
	u32 nr;
	int ret;

	if (copy_from_user(&in, uarg, sizeof(in)))
		return -EFAULT;
	/* Too large for the stack next to the rest of an ioctl's frame. */
	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	ret = zcpool_ioctl_stats_one(zf, &in, &out, st);
	if (ret)
		goto out_free;
	nr = min_t(u32, in.nr_classes, ZCPOOL_SIZECLASS_NR);
	ret = -EFAULT;
	if (in.class_live && nr &&
	    copy_to_user(u64_to_user_ptr(in.class_live), st->class_live, nr * sizeof(u64)))
		goto out_free;
	if (copy_to_user(uarg, &out, sizeof(out)))
		goto out_free;
	ret = 0;
out_free:
	kfree(st);
	return ret;
}

/*
 * A test aid, set through debugfs (stats.c) as limits_hold: 0 (off) unless
 * written. Written 1, the next LIMITS call to take its file's lock sets it
 * to 2 and holds the lock until it is written 0, or the caller is killed;
 * a test can then show that a call waiting for that lock still dies on
 * SIGKILL. It polls: a waitqueue would need a debugfs file of its own to
 * wake it, for what only tests use.
 */
u32 zcpool_ioctl_limits_hold;

static void ioctl_limits_hold(void)
{
	if (likely(!READ_ONCE(zcpool_ioctl_limits_hold)) ||
	    cmpxchg(&zcpool_ioctl_limits_hold, 1, 2) != 1)
		return;
	while (READ_ONCE(zcpool_ioctl_limits_hold) && !fatal_signal_pending(current))
		schedule_timeout_killable(msecs_to_jiffies(10));
}

static long zcpool_ioctl_limits(struct zcpool_file *zf, struct zcpool_limits __user *uarg)
{
	struct zcpool_limits lim, req;
	u64 old_max;
	int old_flags;
	int ret;

	if (copy_from_user(&lim, uarg, sizeof(lim)))
		return -EFAULT;
	/* Unchanged, so that a struct that cannot be written back changes nothing. */
	if (copy_to_user(uarg, &lim, sizeof(lim)))
		return -EFAULT;
	req = lim;
	/*
	 * One call at a time, from the state read here to the answer copied
	 * out: a second call that made the same change meanwhile would find
	 * it made, report it, and then see this call's take-back below undo
	 * it. Killable: the copy may wait on a page a hostile caller holds.
	 */
	if (mutex_lock_killable(&zf->limits_lock))
		return -EINTR;
	ioctl_limits_hold();
	old_max = zcpool_pool_max_bytes(zf->pool);
	old_flags = atomic_read(&zf->flags);
	ret = zcpool_ioctl_limits_one(zf, &lim);
	if (!ret && copy_to_user(uarg, &lim, sizeof(lim))) {
		/*
		 * The caller unmapped or write-protected the struct meanwhile.
		 * Take this call's change back so that -EFAULT changes nothing;
		 * the cap goes back to what it was when this call began.
		 */
		if (req.max_bytes)
			zcpool_pool_restore_max_bytes(zf->pool, req.max_bytes, old_max);
		atomic_andnot(req.flags & ~old_flags, &zf->flags);
		ret = -EFAULT;
	}
	mutex_unlock(&zf->limits_lock);
	return ret;
}

/**
 * zcpool_ioctl() - dispatch an ioctl on a /dev/zcpool file
 * @file: the open /dev/zcpool file.
 * @cmd:  ZCPOOL_IOC_* command; anything else is -ENOTTY.
 * @arg:  user pointer to the command's struct.
 *
 * Context: process context, may sleep.
 * Return: 0 on success, a negative errno on failure (nothing changed then);
 * see uapi/linux/zcpool.h for each errno.
 */
long zcpool_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case ZCPOOL_IOC_INFO:
		return zcpool_ioctl_info(uarg);
	case ZCPOOL_IOC_ALLOC:
		return zcpool_ioctl_alloc(file->private_data, uarg);
	case ZCPOOL_IOC_FREE:
		return zcpool_ioctl_free(file->private_data, uarg);
	case ZCPOOL_IOC_ALLOC_BATCH:
		return zcpool_ioctl_alloc_batch(file->private_data, uarg);
	case ZCPOOL_IOC_FREE_BATCH:
		return zcpool_ioctl_free_batch(file->private_data, uarg);
	case ZCPOOL_IOC_STATS:
		return zcpool_ioctl_stats(file->private_data, uarg);
	case ZCPOOL_IOC_LIMITS:
		return zcpool_ioctl_limits(file->private_data, uarg);
	default:
		return -ENOTTY;
	}
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_ioctl);
