// SPDX-License-Identifier: GPL-2.0
/*
 * Memory efficiency on a mixed-size trace: bytes held / bytes requested.
 *
 * The trace (fixed by its seed): allocations until TRACE_LIVE are live,
 * then random steps, each an allocation or the free of a random live one
 * with even odds, so the live set wanders around TRACE_LIVE. Sizes are
 * log-uniform within four bands, picked by count:
 *
 *   50%  16 B .. 512 B       (small objects, subpage classes)
 *   30%  512 B .. 16 KiB     (the rest of the subpage classes, short runs)
 *   15%  16 KiB .. 256 KiB   (page runs)
 *    5%  256 KiB .. 2 MiB    (long page runs)
 *
 * After the ramp, every TRACE_SAMPLE_EVERY steps a sample adds up what the
 * pool holds (its stats: pages taken from the page allocator, chunks in
 * reserve and fragmentation included) and what the live allocations asked
 * for; the result is the ratio of the sums. The same samples give what the
 * 2017 Netty scheme (Netty 4.1 before 4.1.52: multiples of 16 below 512 B,
 * powers of two from 512 B up to its 16 MiB chunk) and a plain power-of-two
 * scheme round the same live sizes up to: their size normalization only,
 * before any page or chunk fragmentation, so a lower bound of what they
 * would hold.
 */

#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "../pool.h"
#include "bench.h"

#define TRACE_LIVE		1024
#define TRACE_MAX_LIVE		(2 * TRACE_LIVE)
#define TRACE_SAMPLE_EVERY	64

/* Netty 4.1 (2017): tiny below 512 B, in 16 B steps; chunks of 16 MiB. */
#define NETTY_TINY_LIMIT	512
#define NETTY_TINY_STEP		16
#define NETTY_CHUNK_SIZE	(16ULL << 20)

struct trace_obj {
	u64 offset;
	u64 size;
};

/* Log-uniform in [2^lo, 2^hi): a power of two, then a uniform fraction of it. */
static u64 trace_band(struct rnd_state *rnd, unsigned int lo, unsigned int hi)
{
	unsigned int shift = lo + prandom_u32_state(rnd) % (hi - lo);
	u64 base = 1ULL << shift;

	return base + prandom_u32_state(rnd) % base;
}

static u64 trace_size(struct rnd_state *rnd)
{
	u32 pick = prandom_u32_state(rnd) % 100;

	if (pick < 50)
		return trace_band(rnd, 4, 9);
	if (pick < 80)
		return trace_band(rnd, 9, 14);
	if (pick < 95)
		return trace_band(rnd, 14, 18);
	return trace_band(rnd, 18, 21);
}

static u64 netty_2017_size(u64 size)
{
	if (size >= NETTY_CHUNK_SIZE)
		return size;
	if (size < NETTY_TINY_LIMIT)
		return round_up(size, NETTY_TINY_STEP);
	return roundup_pow_of_two(size);
}

static void trace_sample(struct zcpool_pool *pool, struct zcpool_pool_stats *st,
			 const struct trace_obj *live, unsigned long nr_live,
			 struct zcpool_bench_trace_result *res)
{
	unsigned long i;
	unsigned int order;

	zcpool_pool_stats(pool, st);
	res->held += st->bytes_held;
	res->cached += st->bytes_cached;
	res->empty += st->bytes_empty;
	res->spare += st->bytes_spare;
	for (order = 0; order < ZCPOOL_POOL_NR_ORDERS; order++)
		res->chunk_held += st->chunk_orders[order] * (PAGE_SIZE << order);
	res->requested += st->bytes_requested;
	for (i = 0; i < nr_live; i++) {
		res->netty_held += netty_2017_size(live[i].size);
		res->pow2_held += roundup_pow_of_two(max_t(u64, live[i].size, NETTY_TINY_STEP));
	}
}

/**
 * zcpool_bench_trace_run() - replay the mixed-size trace on a new pool
 * @seed: the trace's seed.
 * @ops:  steps after the ramp.
 * @res:  the sums over the samples.
 *
 * The pool has one arena, so the result does not depend on the CPU the
 * caller runs on.
 *
 * Context: process context, may sleep.
 * Return: 0; -ENOMEM; -EIO when the pool's count of requested bytes
 * disagrees with the trace's own.
 */
int zcpool_bench_trace_run(u64 seed, unsigned long ops,
			   struct zcpool_bench_trace_result *res)
{
	struct zcpool_pool_config config = { .nr_arenas = 1, .keep_spares = true };
	struct zcpool_pool_stats *st;	/* large: per-class counters */
	struct zcpool_pool *pool;
	struct trace_obj *live;
	unsigned long nr_live = 0, step, victim;
	struct rnd_state rnd;
	u64 requested = 0;
	int ret = 0;

	memset(res, 0, sizeof(*res));
	prandom_seed_state(&rnd, seed);
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	live = kvcalloc(TRACE_MAX_LIVE, sizeof(*live), GFP_KERNEL);
	if (!live) {
		ret = -ENOMEM;
		goto out_free_st;
	}
	pool = zcpool_pool_create(&config);
	if (IS_ERR(pool)) {
		ret = PTR_ERR(pool);
		goto out_free_live;
	}

	for (step = 0; step < TRACE_LIVE + ops; step++) {
		bool ramp = step < TRACE_LIVE;
		bool alloc = ramp || !nr_live || (prandom_u32_state(&rnd) & 1);

		if (nr_live == TRACE_MAX_LIVE)
			alloc = false;
		if (alloc) {
			struct trace_obj *obj = &live[nr_live];

			obj->size = trace_size(&rnd);
			ret = zcpool_pool_alloc(pool, obj->size, 0, 0, &obj->offset);
			if (ret)
				goto out_destroy;
			requested += obj->size;
			nr_live++;
		} else {
			victim = prandom_u32_state(&rnd) % nr_live;
			ret = zcpool_pool_free(pool, live[victim].offset);
			if (ret)
				goto out_destroy;
			requested -= live[victim].size;
			live[victim] = live[--nr_live];
		}
		res->peak_live = max(res->peak_live, nr_live);
		if (!ramp && !(step % TRACE_SAMPLE_EVERY))
			trace_sample(pool, st, live, nr_live, res);
		cond_resched();
	}
	res->ops = step;
	zcpool_pool_stats(pool, st);
	if (st->bytes_requested != requested)
		ret = -EIO;

out_destroy:
	zcpool_pool_destroy(pool);
out_free_live:
	kvfree(live);
out_free_st:
	kfree(st);
	return ret;
}
