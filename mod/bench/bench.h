/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zcpool_bench.ko: the in-kernel benchmark of the zcpool allocator against
 * the kernel's own allocators. Three parts: the allocators measured, behind
 * one table of operations (impl.c); the timing harness that runs them on
 * one or all CPUs (run.c); the mixed-size trace for memory efficiency
 * (trace.c). main.c drives them from debugfs and formats the results.
 *
 * Units: sizes in bytes, times in nanoseconds of ktime_get_ns(). Every
 * figure is meant to be read as a ratio against a peer measured in the
 * same boot: under an emulator, absolute times mean little.
 */
#ifndef _ZCPOOL_BENCH_H
#define _ZCPOOL_BENCH_H

#include <linux/genalloc.h>
#include <linux/types.h>

struct kmem_cache;
struct zcpool_pool;

/**
 * struct zcpool_bench_ctx - one allocator set up for one object size
 * @size:      bytes per object.
 * @max_live:  the most objects live at once, over all threads; the
 *             allocators that need backing memory up front size it so.
 * @order:     page order of @size (the page allocator's peers).
 * @gfp:       flags of the page allocator's peers.
 * @zc_flags:  allocation flags of the zcpool peers.
 * @pool:      the zcpool pool.
 * @cache:     the slab cache.
 * @gen:       the gen_pool.
 * @gen_pages: backing blocks of @gen (struct page pointers).
 * @nr_gen:    entries of @gen_pages.
 * @gen_align: @gen's alignment, for objects of several of its granules.
 */
struct zcpool_bench_ctx {
	size_t size;
	unsigned long max_live;
	unsigned int order;
	gfp_t gfp;
	u32 zc_flags;
	struct zcpool_pool *pool;
	struct kmem_cache *cache;
	struct gen_pool *gen;
	struct page **gen_pages;
	unsigned int nr_gen;
	struct genpool_data_align gen_align;
};

/**
 * struct zcpool_bench_impl - one allocator under test
 * @name:       short name printed in the results ("zcpool", "kmalloc", ...).
 * @zeroes:     its memory always reads as zero (compare it with the others
 *              that zero, not with those that do not).
 * @fits:       whether it serves objects of @size at all; NULL: any size.
 * @setup:      prepare @ctx (its size and max_live set); 0 or -errno.
 * @teardown:   undo @setup, with every object freed; NULL: nothing to do.
 * @alloc:      one object into *@handle; 0 or -errno.
 * @free:       free one object.
 * @alloc_bulk: @n objects in one call, all or nothing; 0 or -errno. An
 *              allocator with no bulk call loops its own call here, direct
 *              calls as its users would make: a harness loop through
 *              @alloc made one indirect call an object for those peers and
 *              one a batch for the others.
 * @free_bulk:  free @n objects in one call, the same way.
 */
struct zcpool_bench_impl {
	const char *name;
	bool zeroes;
	bool (*fits)(size_t size);
	int (*setup)(struct zcpool_bench_ctx *ctx);
	void (*teardown)(struct zcpool_bench_ctx *ctx);
	int (*alloc)(struct zcpool_bench_ctx *ctx, u64 *handle);
	void (*free)(struct zcpool_bench_ctx *ctx, u64 handle);
	int (*alloc_bulk)(struct zcpool_bench_ctx *ctx, u64 *handles, unsigned int n);
	void (*free_bulk)(struct zcpool_bench_ctx *ctx, u64 *handles, unsigned int n);
};

extern const struct zcpool_bench_impl *const zcpool_bench_impls[];
extern const unsigned int zcpool_bench_nr_impls;

/* What a timed run does per iteration. */
enum zcpool_bench_workload {
	/* allocate depth objects one by one, then free them one by one */
	ZCPOOL_BENCH_PAIR,
	/* allocate batch objects in one call, then free them in one call */
	ZCPOOL_BENCH_BULK,
};

/**
 * struct zcpool_bench_job - one timed run
 * @impl:     the allocator, set up in @ctx.
 * @ctx:      its context.
 * @workload: what an iteration does.
 * @per_iter: objects per iteration (depth or batch).
 * @iters:    iterations per thread.
 * @nr_cpus:  threads, one bound to each of the first @nr_cpus online CPUs.
 */
struct zcpool_bench_job {
	const struct zcpool_bench_impl *impl;
	struct zcpool_bench_ctx *ctx;
	enum zcpool_bench_workload workload;
	unsigned int per_iter;
	unsigned long iters;
	unsigned int nr_cpus;
};

int zcpool_bench_run(const struct zcpool_bench_job *job, u64 *wall_ns);
int zcpool_bench_calibrate(struct zcpool_bench_job *job, u64 target_ns);

/**
 * struct zcpool_bench_trace_result - memory efficiency on the trace
 * @ops:         operations replayed.
 * @peak_live:   most live allocations at once.
 * @requested:   bytes requested by the live allocations at the sample.
 * @held:        bytes the pool held from the page allocator at the sample.
 * @netty_held:  bytes the 2017 Netty scheme's size normalization gives the
 *               same live allocations (a lower bound of what it holds).
 * @pow2_held:   bytes with every size rounded up to a power of two.
 * @chunk_held:  of @held, the bytes of chunks (the rest is huge allocations).
 * @cached:      of @held, the bytes of allocations in the per-CPU caches.
 * @empty:       of @held, the bytes of empty chunks kept in reserve.
 * @spare:       of @held, the bytes of freed huge allocations kept as spares.
 */
struct zcpool_bench_trace_result {
	unsigned long ops;
	unsigned long peak_live;
	u64 requested;
	u64 held;
	u64 netty_held;
	u64 pow2_held;
	u64 chunk_held;
	u64 cached;
	u64 empty;
	u64 spare;
};

int zcpool_bench_trace_run(u64 seed, unsigned long ops,
			   struct zcpool_bench_trace_result *res);

#endif /* _ZCPOOL_BENCH_H */
