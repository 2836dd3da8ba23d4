// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite zcpool_cache: the per-CPU caches (cache.c) as the pool uses
 * them: bounds per magazine and per CPU, refills and evictions in batches,
 * hits and misses counted exactly (bulk calls and uncached runs too), the
 * zero flag on dirty cached memory, cached allocations that are not live,
 * and draining.
 *
 * Each case pins its thread to one CPU (set_cpus_allowed_ptr()), so that
 * every allocation and free uses the same magazines and the expected
 * counts are exact rather than bounds.
 */

#include <kunit/test.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "arena.h"
#include "cache.h"
#include "cpu_batch.h"
#include "pool.h"
#include "sizeclass.h"

/*
 * 256-page chunks: room for a subpage run of every class, and for a whole
 * refill (half a magazine plus the allocation) of the longest cached run,
 * so that hits and misses follow from the capacity alone.
 */
#define CACHE_TEST_ORDER	8
#define CACHE_TEST_CHUNK	(PAGE_SIZE << CACHE_TEST_ORDER)

struct cache_ctx {
	struct zcpool_pool *pool;
	struct zcpool_pool_stats *st;
	u64 *offsets;
};

#define MAX_OFFSETS	256

static int cache_test_init(struct kunit *test)
{
	struct cache_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	struct zcpool_pool_config cfg = { .chunk_order = CACHE_TEST_ORDER, .nr_arenas = 1 };

	if (!ctx)
		return -ENOMEM;
	ctx->st = kunit_kzalloc(test, sizeof(*ctx->st), GFP_KERNEL);
	ctx->offsets = kunit_kcalloc(test, MAX_OFFSETS, sizeof(u64), GFP_KERNEL);
	if (!ctx->st || !ctx->offsets)
		return -ENOMEM;
	ctx->pool = zcpool_pool_create(&cfg);
	if (IS_ERR(ctx->pool))
		return PTR_ERR(ctx->pool);
	test->priv = ctx;
	/* One CPU, one set of magazines: the counts below are exact. */
	return set_cpus_allowed_ptr(current, cpumask_of(raw_smp_processor_id()));
}

static void cache_test_exit(struct kunit *test)
{
	struct cache_ctx *ctx = test->priv;

	zcpool_pool_destroy(ctx->pool);
}

static struct zcpool_pool_stats *stats(struct kunit *test)
{
	struct cache_ctx *ctx = test->priv;

	zcpool_pool_stats(ctx->pool, ctx->st);
	return ctx->st;
}

/*
 * An allocation shape that the cache serves: a size, its slot, and its
 * magazine's capacity with 4 KiB pages, worked out by hand from
 * ZCPOOL_CACHE_MAG_BYTES (64 KiB of allocations, 8 to 16 of them): 16 up
 * to a 4 KiB slot, 8 from a 32 KiB one (30000 B is an 8-page run); and
 * ZCPOOL_CACHE_PAGE_MAG, 64, for runs of one page (4096 B is one).
 */
struct shape_case {
	const char *what;
	u64 size;
	int cls;	/* -1: a run of size / PAGE_SIZE pages */
	unsigned int cap_4k;
};

#define SHAPE_CLASS(sz, cap)	{ #sz " B", sz, 0, cap }
#define SHAPE_RUN(p, cap)	{ #p " pages", (p) * PAGE_SIZE, -1, cap }

static const struct shape_case shape_cases[] = {
	SHAPE_CLASS(16, 16), SHAPE_CLASS(100, 16), SHAPE_CLASS(1000, 16), SHAPE_CLASS(3000, 16),
	SHAPE_CLASS(4096, 64), SHAPE_CLASS(30000, 8), SHAPE_RUN(1, 64), SHAPE_RUN(2, 8),
	SHAPE_RUN(9, 8), SHAPE_RUN(16, 8),
};

static void shape_desc(const struct shape_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", c->what);
}

KUNIT_ARRAY_PARAM(shape, shape_cases, shape_desc);

/*
 * The class a shape is served from, or -1 for a page run: a class whose
 * run holds one element (4096 B, 30000 B) is a run of its pages.
 */
static int shape_class(const struct shape_case *c)
{
	int cls = zcpool_sizeclass_index(c->size);

	if (c->cls < 0 || zcpool_sizeclass_nr_elems(cls) == 1)
		return -1;
	return cls;
}

static int shape_slot(const struct shape_case *c)
{
	int cls = shape_class(c);

	if (cls < 0)
		return zcpool_cache_slot(-1, DIV_ROUND_UP(c->size, PAGE_SIZE));
	return zcpool_cache_slot(cls, 0);
}

static u64 shape_bytes(const struct shape_case *c)
{
	int cls = shape_class(c);

	if (cls < 0)
		return round_up(c->size, PAGE_SIZE);
	return zcpool_sizeclass_size(cls);
}

/*
 * A miss brings half a magazine (at most ZCPOOL_CACHE_BATCH_MAX), the hits
 * then drain it, the next miss refills: hits and misses follow exactly
 * from the capacity.
 */
static void misses_refill_half_a_magazine(struct kunit *test)
{
	const struct shape_case *c = test->param_value;
	struct cache_ctx *ctx = test->priv;
	int slot = shape_slot(c);
	unsigned int refill, i, n;
	struct zcpool_pool_stats *st;

	KUNIT_ASSERT_GE(test, slot, 0);
	refill = zcpool_cache_refill_count(slot);
	/* Half, as the cache promises: the counts below follow from it. */
	KUNIT_ASSERT_EQ(test, refill, min(zcpool_cache_capacity(slot) / 2,
					  ZCPOOL_CACHE_BATCH_MAX));
	KUNIT_ASSERT_GE(test, refill, 1);
	n = 2 * (refill + 1);
	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(ctx->pool, c->size, 0, 0,
							&ctx->offsets[i]), 0);
		st = stats(test);
		/* Allocation i is a miss every refill + 1, else a hit. */
		KUNIT_EXPECT_EQ_MSG(test, st->cache_misses, i / (refill + 1) + 1, "alloc %u", i);
		KUNIT_EXPECT_EQ_MSG(test, st->cache_hits, i - i / (refill + 1), "alloc %u", i);
		KUNIT_EXPECT_EQ_MSG(test, st->cached, refill - i % (refill + 1), "alloc %u", i);
		KUNIT_EXPECT_EQ(test, st->bytes_cached, st->cached * shape_bytes(c));
	}
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, zcpool_pool_free(ctx->pool, ctx->offsets[i]), 0);
	st = stats(test);
	KUNIT_EXPECT_EQ(test, st->live, 0);
	KUNIT_EXPECT_EQ(test, st->bytes_requested, 0);
}

/*
 * Frees fill the magazine to its capacity; one more sends the older half
 * (at most ZCPOOL_CACHE_BATCH_MAX) back to the arena, so the magazine
 * never holds more than its capacity.
 */
static void magazines_are_bounded_and_evict_half(struct kunit *test)
{
	const struct shape_case *c = test->param_value;
	struct cache_ctx *ctx = test->priv;
	int slot = shape_slot(c);
	unsigned int cap, i, n, expect = 0;
	struct zcpool_pool_stats *st;

	KUNIT_ASSERT_GE(test, slot, 0);
	cap = zcpool_cache_capacity(slot);
	KUNIT_EXPECT_GE(test, cap, ZCPOOL_CACHE_MAG_MIN);
	KUNIT_EXPECT_LE(test, cap, max(ZCPOOL_CACHE_MAG_MAX, ZCPOOL_CACHE_PAGE_MAG));
	if (PAGE_SIZE == SZ_4K)
		KUNIT_EXPECT_EQ(test, cap, c->cap_4k);
	n = min_t(unsigned int, 3 * cap + 1, MAX_OFFSETS);
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(ctx->pool, c->size, 0, 0,
							&ctx->offsets[i]), 0);
	/* Empty the magazine so the frees below start from nothing. */
	zcpool_pool_drain_caches(ctx->pool);
	KUNIT_ASSERT_EQ(test, stats(test)->cached, 0);
	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_EQ(test, zcpool_pool_free(ctx->pool, ctx->offsets[i]), 0);
		if (expect == cap)
			expect -= min(cap / 2, ZCPOOL_CACHE_BATCH_MAX);
		if ((expect + 1) * shape_bytes(c) <= ZCPOOL_CACHE_CPU_BYTES)
			expect++;
		st = stats(test);
		KUNIT_EXPECT_EQ_MSG(test, st->cached, expect, "free %u", i);
		KUNIT_EXPECT_LE(test, st->cached, cap);
		KUNIT_EXPECT_LE(test, st->bytes_cached, ZCPOOL_CACHE_CPU_BYTES);
	}
	/* The last freed is the first handed out again (LIFO). */
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(ctx->pool, c->size, 0, 0, &ctx->offsets[0]), 0);
	KUNIT_EXPECT_EQ(test, ctx->offsets[0], ctx->offsets[n - 1]);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(ctx->pool, ctx->offsets[0]), 0);
}

/*
 * Each class and each cached run length has a magazine of its own, in
 * range; runs of no pages or longer than the caches keep have none.
 */
static void every_cached_shape_has_its_own_slot(struct kunit *test)
{
	unsigned int pages;
	int cls;

	for (cls = 0; cls < ZCPOOL_SIZECLASS_NR; cls++) {
		KUNIT_EXPECT_EQ(test, zcpool_cache_slot(cls, 0), cls);
		/* A class's slot does not depend on the pages argument. */
		KUNIT_EXPECT_EQ(test, zcpool_cache_slot(cls, ZCPOOL_CACHE_RUN_MAX_PAGES + 1), cls);
	}
	for (pages = 1; pages <= ZCPOOL_CACHE_RUN_MAX_PAGES; pages++)
		KUNIT_EXPECT_EQ(test, zcpool_cache_slot(-1, pages),
				ZCPOOL_SIZECLASS_NR + (int)pages - 1);
	KUNIT_EXPECT_EQ(test, zcpool_cache_slot(-1, ZCPOOL_CACHE_RUN_MAX_PAGES),
			ZCPOOL_CACHE_NR_SLOTS - 1);
	KUNIT_EXPECT_EQ(test, zcpool_cache_slot(-1, 0), -1);
	KUNIT_EXPECT_EQ(test, zcpool_cache_slot(-1, ZCPOOL_CACHE_RUN_MAX_PAGES + 1), -1);
	KUNIT_EXPECT_EQ(test, zcpool_cache_slot(-1, UINT_MAX), -1);
}

/* Across slots, one CPU's magazines hold at most ZCPOOL_CACHE_CPU_BYTES. */
static void one_cpu_caches_at_most_its_byte_budget(struct kunit *test)
{
	struct cache_ctx *ctx = test->priv;
	unsigned int pages, i, n = 0;
	struct zcpool_pool_stats *st;
	u64 sum = 0;

	for (pages = 1; pages <= ZCPOOL_CACHE_RUN_MAX_PAGES; pages++) {
		for (i = 0; i < 2; i++) {
			KUNIT_ASSERT_LT(test, n, MAX_OFFSETS);
			KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(ctx->pool, pages * PAGE_SIZE, 0, 0,
								&ctx->offsets[n]), 0);
			sum += pages * PAGE_SIZE;
			n++;
		}
	}
	/* Twice every run length: more than the budget holds. */
	KUNIT_ASSERT_GT(test, sum, ZCPOOL_CACHE_CPU_BYTES);
	zcpool_pool_drain_caches(ctx->pool);
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, zcpool_pool_free(ctx->pool, ctx->offsets[i]), 0);
	st = stats(test);
	KUNIT_EXPECT_LE(test, st->bytes_cached, ZCPOOL_CACHE_CPU_BYTES);
	/* Full up to the largest run length: at most one more would not fit. */
	KUNIT_EXPECT_GT(test, st->bytes_cached,
			ZCPOOL_CACHE_CPU_BYTES - ZCPOOL_CACHE_RUN_MAX_PAGES * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, st->live, 0);
}

/*
 * A fill puts in what the magazine has room for and the CPU's byte budget
 * allows, the last of the batch on top, and gives the rest back: two
 * magazines of the longest runs take 8 each (15 and 16 pages, 992 KiB
 * with 4 KiB pages), and of 64 single pages only the 8 that fill the
 * budget to its byte go in. Allocations of a cache of its own, made up
 * (it is destroyed holding them); the suite pins the test to one CPU.
 */
static void fill_stops_at_the_magazine_and_the_byte_budget(struct kunit *test)
{
	const unsigned int n = ZCPOOL_CACHE_PAGE_MAG;
	unsigned int run16 = zcpool_cache_slot(-1, 16), run15 = zcpool_cache_slot(-1, 15);
	unsigned int page = zcpool_cache_slot(-1, 1), left, cap16, cap15, fit, i;
	struct zcpool_arena_obj *objs, out;
	struct zcpool_cache *cache;
	unsigned long bytes, room;

	if (PAGE_SIZE != SZ_4K)
		kunit_skip(test, "the counts are worked out for 4 KiB pages");
	cache = kunit_kzalloc(test, sizeof(*cache), GFP_KERNEL);
	objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cache);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	KUNIT_ASSERT_EQ(test, zcpool_cache_init(cache), 0);
	for (i = 0; i < n; i++)
		objs[i] = (struct zcpool_arena_obj){ .off = i * SZ_64K };

	cap16 = zcpool_cache_capacity(run16);
	cap15 = zcpool_cache_capacity(run15);
	KUNIT_EXPECT_EQ(test, zcpool_cache_fill(cache, run16, objs, n), n - cap16);
	KUNIT_EXPECT_EQ(test, zcpool_cache_fill(cache, run15, objs, n), n - cap15);
	KUNIT_EXPECT_EQ(test, zcpool_cache_count(cache, &bytes), cap16 + cap15);
	KUNIT_EXPECT_EQ(test, bytes, (16UL * cap16 + 15UL * cap15) * PAGE_SIZE);
	room = ZCPOOL_CACHE_CPU_BYTES - bytes;
	fit = room / PAGE_SIZE;
	/* Failed here, the cache is still destroyed: its per-CPU block is not the test's. */
	if (bytes >= ZCPOOL_CACHE_CPU_BYTES || fit < 2 || fit >= n) {
		KUNIT_FAIL(test, "%lu bytes cached leave room for %u pages", bytes, fit);
		goto out;
	}
	left = zcpool_cache_fill(cache, page, objs, n);
	KUNIT_EXPECT_EQ(test, left, n - fit);
	KUNIT_EXPECT_EQ(test, zcpool_cache_count(cache, &bytes), cap16 + cap15 + fit);
	KUNIT_EXPECT_EQ(test, bytes, ZCPOOL_CACHE_CPU_BYTES);
	/* The last of the batch on top: handed out first. */
	KUNIT_EXPECT_TRUE(test, zcpool_cache_alloc(cache, page, &out));
	KUNIT_EXPECT_EQ(test, out.off, objs[left].off);
	KUNIT_EXPECT_EQ(test, zcpool_cache_alloc_many(cache, page, objs, n, 1), fit - 1);
	KUNIT_EXPECT_EQ(test, objs[fit - 2].off, (u32)(n - 1) * SZ_64K);
out:
	zcpool_cache_destroy(cache);
}

/* A cached allocation is not live: no page for it, no second free. */
static void cached_allocations_are_not_live(struct kunit *test)
{
	struct cache_ctx *ctx = test->priv;
	unsigned int refill_elem = zcpool_cache_refill_count(zcpool_sizeclass_index(64));
	unsigned int refill_run = zcpool_cache_refill_count(zcpool_cache_slot(-1, 3));
	u64 elem, run;

	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(ctx->pool, 64, 0, 0, &elem), 0);
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(ctx->pool, 3 * PAGE_SIZE, 0, 0, &run), 0);
	KUNIT_ASSERT_EQ(test, zcpool_pool_free(ctx->pool, elem), 0);
	KUNIT_ASSERT_EQ(test, zcpool_pool_free(ctx->pool, run), 0);
	/* Both freed, plus what each miss brought for the magazine. */
	KUNIT_EXPECT_EQ(test, stats(test)->cached, 2 + refill_elem + refill_run);
	KUNIT_EXPECT_NULL(test, zcpool_pool_page(ctx->pool, elem));
	KUNIT_EXPECT_NULL(test, zcpool_pool_page(ctx->pool, run));
	KUNIT_EXPECT_NULL(test, zcpool_pool_page(ctx->pool, run + 2 * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(ctx->pool, elem), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(ctx->pool, run), -EINVAL);
	KUNIT_EXPECT_EQ(test, stats(test)->frees, 2);
}

/* Whether the @len bytes at @off read @byte; writes @fill over them after. */
static bool window_check_fill(struct kunit *test, u64 off, u64 len, u8 byte, u8 fill)
{
	struct cache_ctx *ctx = test->priv;
	struct page *page;
	bool ok = true;
	u64 n;
	u8 *p;

	while (len) {
		n = min_t(u64, len, PAGE_SIZE - offset_in_page(off));
		page = zcpool_pool_page(ctx->pool, off);
		KUNIT_EXPECT_NOT_NULL_MSG(test, page, "offset %llu", off);
		if (!page)
			return false;
		p = page_address(page) + offset_in_page(off);
		if (memchr_inv(p, byte, n))
			ok = false;
		memset(p, fill, n);
		put_page(page);
		off += n;
		len -= n;
	}
	return ok;
}

/*
 * What sits in a magazine may be dirty: the zero flag clears it, on hits
 * and on entries a refill brought, while without the flag the old bytes stay.
 */
static void zero_flag_clears_dirty_cached_memory(struct kunit *test)
{
	const struct shape_case *c = test->param_value;
	struct cache_ctx *ctx = test->priv;
	unsigned int n = zcpool_cache_capacity(shape_slot(c)) + 1, i;
	u64 *off = ctx->offsets, hits, cached;
	struct zcpool_pool_stats *st;

	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(ctx->pool, c->size, 0, 0, &off[i]), 0);
		KUNIT_EXPECT_TRUE(test, window_check_fill(test, off[i], c->size, 0, 0xee));
	}
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, zcpool_pool_free(ctx->pool, off[i]), 0);
	KUNIT_ASSERT_GT(test, stats(test)->cached, 0);
	/* LIFO: the last freed comes back first, with its old bytes. */
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(ctx->pool, c->size, 0, 0, &off[0]), 0);
	KUNIT_EXPECT_TRUE(test, window_check_fill(test, off[0], c->size, 0xee, 0xee));
	st = stats(test);
	hits = st->cache_hits;
	cached = st->cached;
	KUNIT_ASSERT_GT(test, cached, 0);
	for (i = 1; i < n; i++) {
		KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(ctx->pool, c->size, 0, ZCPOOL_ALLOC_ZERO,
							&off[i]), 0);
		KUNIT_EXPECT_TRUE_MSG(test, window_check_fill(test, off[i], c->size, 0, 0x11),
				      "alloc %u at %llu", i, off[i]);
	}
	/* The zeroed ones took every dirty entry the magazine held. */
	KUNIT_EXPECT_GE(test, stats(test)->cache_hits - hits, min_t(u64, cached, n - 1));
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, zcpool_pool_free(ctx->pool, off[i]), 0);
}

/*
 * An expedited grace period interrupts every CPU: a cache's drains
 * expedite at most once per gap (10 ms), and of two in the same gap only
 * the first, across the wrap of jiffies too.
 */
static void drains_expedite_at_most_once_per_gap(struct kunit *test)
{
	unsigned long gap = msecs_to_jiffies(10), now = jiffies, last = now - gap;
	struct ratelimit_state budget;

	/* A budget that does not bind here: the gap alone decides. */
	ratelimit_state_init(&budget, 0, 0);
	KUNIT_EXPECT_TRUE(test, zcpool_cache_may_expedite(&last, now, &budget));
	KUNIT_EXPECT_EQ(test, last, now);
	KUNIT_EXPECT_FALSE(test, zcpool_cache_may_expedite(&last, now, &budget));
	KUNIT_EXPECT_FALSE(test, zcpool_cache_may_expedite(&last, now + gap - 1, &budget));
	KUNIT_EXPECT_EQ(test, last, now);
	KUNIT_EXPECT_TRUE(test, zcpool_cache_may_expedite(&last, now + gap, &budget));
	KUNIT_EXPECT_EQ(test, last, now + gap);

	last = ULONG_MAX - gap / 2;
	KUNIT_EXPECT_FALSE(test, zcpool_cache_may_expedite(&last, ULONG_MAX, &budget));
	KUNIT_EXPECT_TRUE(test, zcpool_cache_may_expedite(&last, ULONG_MAX - gap / 2 + gap,
							  &budget));
	KUNIT_EXPECT_EQ(test, last, ULONG_MAX - gap / 2 + gap);
}

/*
 * Many caches each past their gap (one process looping many pools at
 * their caps) share the module's budget: once it is spent, a cache whose
 * gap has passed waits a normal grace period, and keeps its turn.
 */
static void drains_of_all_caches_share_one_budget(struct kunit *test)
{
	unsigned long gap = msecs_to_jiffies(10), now = jiffies, last[4];
	struct ratelimit_state budget;
	unsigned int i;

	/* 3 a day: jiffies cannot move past the interval during the test. */
	ratelimit_state_init(&budget, 24 * 3600 * HZ, 3);
	for (i = 0; i < ARRAY_SIZE(last); i++)
		last[i] = now - gap;
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_TRUE(test, zcpool_cache_may_expedite(&last[i], now, &budget));
	KUNIT_EXPECT_FALSE(test, zcpool_cache_may_expedite(&last[3], now, &budget));
	KUNIT_EXPECT_EQ(test, last[3], now - gap);
	/* A cache refused by its own gap takes nothing from the budget. */
	ratelimit_state_init(&budget, 24 * 3600 * HZ, 1);
	KUNIT_EXPECT_FALSE(test, zcpool_cache_may_expedite(&last[0], now, &budget));
	KUNIT_EXPECT_TRUE(test, zcpool_cache_may_expedite(&last[3], now, &budget));
}

/* Draining gives everything back: the chunk is empty again. */
static void drain_returns_every_cached_allocation(struct kunit *test)
{
	struct cache_ctx *ctx = test->priv;
	struct zcpool_pool_stats *st;
	unsigned int cls, n = 0;
	unsigned long cached;

	for (cls = 0; cls < ZCPOOL_SIZECLASS_NR; cls += 5) {
		KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(ctx->pool, zcpool_sizeclass_size(cls), 0,
							0, &ctx->offsets[n]), 0);
		n++;
	}
	while (n)
		KUNIT_ASSERT_EQ(test, zcpool_pool_free(ctx->pool, ctx->offsets[--n]), 0);
	st = stats(test);
	cached = st->cached;
	KUNIT_EXPECT_GT(test, cached, 0);
	KUNIT_EXPECT_EQ(test, st->chunk_usage[ZCPOOL_ARENA_EMPTY], 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_drain_caches(ctx->pool), cached);
	st = stats(test);
	KUNIT_EXPECT_EQ(test, st->cached, 0);
	KUNIT_EXPECT_EQ(test, st->bytes_cached, 0);
	KUNIT_EXPECT_EQ(test, st->chunks, 1);
	KUNIT_EXPECT_EQ(test, st->chunk_usage[ZCPOOL_ARENA_EMPTY], 1);
	KUNIT_EXPECT_EQ(test, zcpool_pool_drain_caches(ctx->pool), 0);
}

/*
 * A drain empties every CPU's magazines, not only its own: they are
 * filled on another CPU and drained from this one (pinned), whose own
 * magazines stay empty. Drained only here, they would stay cached.
 */
static void drain_reaches_other_cpus_magazines(struct kunit *test)
{
	struct cache_ctx *ctx = test->priv;
	unsigned int here = raw_smp_processor_id(), there;
	struct zcpool_pool_stats *st;
	struct cpu_batch *b;
	unsigned long cached;

	for_each_online_cpu(there)
		if (there != here)
			break;
	if (there >= nr_cpu_ids)
		kunit_skip(test, "needs two online CPUs");
	b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	*b = (struct cpu_batch){ .pool = ctx->pool, .cpu = there, .size = 64, .n = 8 };
	/* Made and freed there: its magazine holds them. */
	KUNIT_ASSERT_EQ(test, cpu_batch(b, true), 0);
	KUNIT_ASSERT_EQ(test, cpu_batch(b, false), 0);
	st = stats(test);
	cached = st->cached;
	KUNIT_ASSERT_GT(test, cached, 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_drain_caches(ctx->pool), cached);
	st = stats(test);
	KUNIT_EXPECT_EQ(test, st->cached, 0);
	KUNIT_EXPECT_EQ(test, st->live, 0);
	KUNIT_EXPECT_EQ(test, st->chunk_usage[ZCPOOL_ARENA_EMPTY], st->chunks);
}

/*
 * The hits are what no arena served (the pool counts the arenas' side
 * only): a refused allocation is neither a hit nor a miss, a run longer
 * than the caches hold is neither, and a bulk call's hits and misses are
 * as exact as single calls'; the frees are what is no longer live.
 */
static void hits_are_allocations_no_arena_served(struct kunit *test)
{
	struct zcpool_pool_config cfg = { .chunk_order = CACHE_TEST_ORDER, .nr_arenas = 1,
					  .max_run_pages = 2 * ZCPOOL_CACHE_RUN_MAX_PAGES };
	const u64 long_run = (ZCPOOL_CACHE_RUN_MAX_PAGES + 1) * PAGE_SIZE;
	struct cache_ctx *ctx = test->priv;
	u64 *off = ctx->offsets;
	struct zcpool_pool *pool;
	struct zcpool_pool_stats *st;

	/* The suite's pool, empty and capped at what it holds: nothing. */
	KUNIT_ASSERT_EQ(test, zcpool_pool_set_max_bytes(ctx->pool, 0), 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(ctx->pool, 64, 0, 0, &off[0]), -EDQUOT);
	st = stats(test);
	KUNIT_EXPECT_EQ(test, st->allocs, 0);
	KUNIT_EXPECT_EQ(test, st->cache_misses, 0);
	KUNIT_EXPECT_EQ(test, st->cache_hits, 0);

	pool = zcpool_pool_create(&cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(pool));
	zcpool_pool_destroy(ctx->pool);
	ctx->pool = pool;

	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, long_run, 0, 0, &off[0]), 0);
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc_bulk(pool, long_run, 0, 0, &off[1], 3), 3);
	st = stats(test);
	KUNIT_EXPECT_EQ(test, st->allocs, 4);
	KUNIT_EXPECT_EQ(test, st->cache_misses, 0);
	KUNIT_EXPECT_EQ(test, st->cache_hits, 0);

	/* An empty magazine: the arena serves a bulk call, a magazine the next. */
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc_bulk(pool, 64, 0, 0, &off[4], 8), 8);
	KUNIT_ASSERT_EQ(test, zcpool_pool_free_bulk(pool, &off[4], 8), 8);
	st = stats(test);
	KUNIT_EXPECT_EQ(test, st->frees, 8);
	KUNIT_EXPECT_EQ(test, st->live, 4);
	KUNIT_EXPECT_EQ(test, st->cached, 8);
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc_bulk(pool, 64, 0, 0, &off[4], 8), 8);
	st = stats(test);
	KUNIT_EXPECT_EQ(test, st->allocs, 20);
	KUNIT_EXPECT_EQ(test, st->cache_misses, 8);
	KUNIT_EXPECT_EQ(test, st->cache_hits, 8);

	KUNIT_EXPECT_EQ(test, zcpool_pool_free_bulk(pool, off, 12), 12);
	st = stats(test);
	KUNIT_EXPECT_EQ(test, st->frees, 20);
	KUNIT_EXPECT_EQ(test, st->live, 0);
	KUNIT_EXPECT_EQ(test, st->cache_hits, 8);
}

/*
 * While a drain owns the magazines (frozen), every call leaves them as
 * they are: a hit or a put is refused, a fill hands all back, a slow free
 * evicts the object itself. The threaded pool case reaches these only when
 * its timing does; this freezes a cache of its own by hand.
 */
static void a_frozen_cache_takes_and_gives_nothing(struct kunit *test)
{
	struct zcpool_arena_obj evict[ZCPOOL_CACHE_BATCH_MAX + 1], objs[4], out;
	struct zcpool_arena_obj obj = { .off = 4096, .dirty_len = 64 };
	int slot = zcpool_cache_slot(zcpool_sizeclass_index(64), 0);
	struct zcpool_cache *cache;
	unsigned long nr;
	unsigned int i;

	KUNIT_ASSERT_GE(test, slot, 0);
	cache = kunit_kzalloc(test, sizeof(*cache), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cache);
	KUNIT_ASSERT_EQ(test, zcpool_cache_init(cache), 0);
	for (i = 0; i < ARRAY_SIZE(objs); i++)
		objs[i] = (struct zcpool_arena_obj){ .off = 8192 + 64 * i };
	KUNIT_EXPECT_TRUE(test, zcpool_cache_put(cache, slot, &obj));
	nr = zcpool_cache_count(cache, NULL);
	KUNIT_EXPECT_EQ(test, nr, 1);

	/* Set and cleared as a drain does; one CPU here, so no grace period. */
	WRITE_ONCE(cache->frozen, 1);
	KUNIT_EXPECT_FALSE(test, zcpool_cache_alloc(cache, slot, &out));
	KUNIT_EXPECT_FALSE(test, zcpool_cache_put(cache, slot, &obj));
	KUNIT_EXPECT_EQ(test, zcpool_cache_fill(cache, slot, objs, ARRAY_SIZE(objs)),
			ARRAY_SIZE(objs));
	KUNIT_EXPECT_EQ(test, zcpool_cache_alloc_many(cache, slot, objs, ARRAY_SIZE(objs), 1), 0);
	KUNIT_EXPECT_EQ(test, zcpool_cache_free_slow(cache, slot, &obj, evict), 1);
	KUNIT_EXPECT_EQ(test, evict[0].off, obj.off);
	KUNIT_EXPECT_EQ(test, zcpool_cache_count(cache, NULL), nr);

	/* Thawed, the magazine is as it was: its one allocation, then the fill. */
	smp_store_release(&cache->frozen, 0);	/* pairs with zcpool_cache_frozen() */
	KUNIT_EXPECT_TRUE(test, zcpool_cache_alloc(cache, slot, &out));
	KUNIT_EXPECT_EQ(test, out.off, obj.off);
	KUNIT_EXPECT_EQ(test, out.dirty_len, obj.dirty_len);
	KUNIT_EXPECT_EQ(test, zcpool_cache_fill(cache, slot, objs, ARRAY_SIZE(objs)), 0);
	KUNIT_EXPECT_EQ(test, zcpool_cache_alloc_many(cache, slot, objs, ARRAY_SIZE(objs), 1),
			ARRAY_SIZE(objs));
	KUNIT_EXPECT_EQ(test, zcpool_cache_count(cache, NULL), 0);
	zcpool_cache_destroy(cache);
}

static const struct shape_case zero_cases[] = {
	SHAPE_CLASS(16, 16), SHAPE_CLASS(1000, 16), SHAPE_CLASS(30000, 8), SHAPE_RUN(9, 8),
};

KUNIT_ARRAY_PARAM(zero_shape, zero_cases, shape_desc);

/*
 * A bulk call of runs the arena takes as a block (16 or more of a
 * power-of-two length) takes from the magazine only what covers all of
 * it: a magazine of 8 runs of 16 pages stays as it is, the 16 come from
 * the arena (misses, not hits) and go back to it, while a call the
 * magazine covers is all hits. The magazine of single pages holds 64, so
 * a bulk call of 32 of them cycles through it alone.
 */
static void bulk_runs_take_blocks_unless_the_magazine_covers_them(struct kunit *test)
{
	struct zcpool_pool_config cfg = { .chunk_order = CACHE_TEST_ORDER + 2, .nr_arenas = 1 };
	const unsigned int block = ZCPOOL_ARENA_BLOCK_MIN_RUNS;
	const u64 run = 16 * PAGE_SIZE;
	struct cache_ctx *ctx = test->priv;
	int slot = zcpool_cache_slot(-1, 16);
	struct zcpool_pool_stats *st;
	struct zcpool_pool *pool;
	u64 *off = ctx->offsets;
	unsigned int cap;

	if (PAGE_SIZE != SZ_4K)
		kunit_skip(test, "the counts are worked out for 4 KiB pages");
	KUNIT_ASSERT_GE(test, slot, 0);
	cap = zcpool_cache_capacity(slot);
	if (cap >= block)
		kunit_skip(test, "a magazine of %u runs of 16 pages covers a block", cap);
	/* Room for a block of 16-page runs beside a full magazine of them. */
	pool = zcpool_pool_create(&cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(pool));
	zcpool_pool_destroy(ctx->pool);
	ctx->pool = pool;

	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc_bulk(pool, run, 0, 0, off, cap), cap);
	KUNIT_ASSERT_EQ(test, zcpool_pool_free_bulk(pool, off, cap), cap);
	st = stats(test);
	KUNIT_ASSERT_EQ(test, st->cached, cap);
	KUNIT_EXPECT_EQ(test, st->cache_misses, cap);

	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc_bulk(pool, run, 0, 0, off, block), block);
	st = stats(test);
	KUNIT_EXPECT_EQ(test, st->cached, cap);
	KUNIT_EXPECT_EQ(test, st->cache_misses, cap + block);
	KUNIT_EXPECT_EQ(test, st->cache_hits, 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free_bulk(pool, off, block), block);
	st = stats(test);
	KUNIT_EXPECT_EQ(test, st->cached, cap);
	KUNIT_EXPECT_EQ(test, st->live, 0);

	/* Fewer than a block: the magazine serves what it has. */
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc_bulk(pool, run, 0, 0, off, cap), cap);
	st = stats(test);
	KUNIT_EXPECT_EQ(test, st->cached, 0);
	KUNIT_EXPECT_EQ(test, st->cache_hits, cap);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free_bulk(pool, off, cap), cap);

	/* Single pages: two blocks fit their magazine, and come back from it. */
	slot = zcpool_cache_slot(-1, 1);
	KUNIT_ASSERT_GE(test, zcpool_cache_capacity(slot), 2 * block);
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc_bulk(pool, PAGE_SIZE, 0, 0, off, 2 * block),
			2 * block);
	KUNIT_ASSERT_EQ(test, zcpool_pool_free_bulk(pool, off, 2 * block), 2 * block);
	st = stats(test);
	KUNIT_EXPECT_EQ(test, st->cached, cap + 2 * block);
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc_bulk(pool, PAGE_SIZE, 0, 0, off, 2 * block),
			2 * block);
	st = stats(test);
	KUNIT_EXPECT_EQ(test, st->cache_hits, cap + 2 * block);
	KUNIT_EXPECT_EQ(test, st->cached, cap);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free_bulk(pool, off, 2 * block), 2 * block);
}

static struct kunit_case zcpool_cache_cases[] = {
	KUNIT_CASE_PARAM(misses_refill_half_a_magazine, shape_gen_params),
	KUNIT_CASE_PARAM(magazines_are_bounded_and_evict_half, shape_gen_params),
	KUNIT_CASE(every_cached_shape_has_its_own_slot),
	KUNIT_CASE(one_cpu_caches_at_most_its_byte_budget),
	KUNIT_CASE(fill_stops_at_the_magazine_and_the_byte_budget),
	KUNIT_CASE(cached_allocations_are_not_live),
	KUNIT_CASE_PARAM(zero_flag_clears_dirty_cached_memory, zero_shape_gen_params),
	KUNIT_CASE(drain_returns_every_cached_allocation),
	KUNIT_CASE(a_frozen_cache_takes_and_gives_nothing),
	KUNIT_CASE(drain_reaches_other_cpus_magazines),
	KUNIT_CASE(drains_expedite_at_most_once_per_gap),
	KUNIT_CASE(drains_of_all_caches_share_one_budget),
	KUNIT_CASE(hits_are_allocations_no_arena_served),
	KUNIT_CASE(bulk_runs_take_blocks_unless_the_magazine_covers_them),
	{}
};

static struct kunit_suite zcpool_cache_suite = {
	.name = "zcpool_cache",
	.init = cache_test_init,
	.exit = cache_test_exit,
	.test_cases = zcpool_cache_cases,
};

kunit_test_suite(zcpool_cache_suite);
