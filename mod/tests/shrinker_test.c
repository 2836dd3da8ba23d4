// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite zcpool_shrinker: the shrinker's callbacks (shrinker.c),
 * called directly as reclaim would call them, on pools whose per-CPU caches
 * and empty reserve chunks hold memory: what it counts, what it frees, that
 * chunks go through the release hook with no spinlock held, that live
 * allocations are untouched and that the pools keep working.
 */

#include <kunit/test.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "arena.h"
#include "pool.h"
#include "shrinker.h"

#define SHRINK_ORDER	4
#define SHRINK_CHUNK	(PAGE_SIZE << SHRINK_ORDER)
#define NR_POOLS	3

struct shrink_pool {
	struct zcpool_pool *pool;
	atomic_t released;
	atomic_t atomic_calls;	/* release hook calls in atomic context */
	u64 keep;		/* a live allocation that must survive */
};

struct shrink_ctx {
	struct shrink_pool p[NR_POOLS];
	struct zcpool_pool_stats *st;
};

static void count_release(void *priv, u64 offset, u64 size)
{
	struct shrink_pool *sp = priv;

	atomic_inc(&sp->released);
	if (IS_ENABLED(CONFIG_PREEMPT_COUNT) && !preemptible())
		atomic_inc(&sp->atomic_calls);
}

static int shrink_test_init(struct kunit *test)
{
	struct shrink_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return -ENOMEM;
	ctx->st = kunit_kzalloc(test, sizeof(*ctx->st), GFP_KERNEL);
	if (!ctx->st)
		return -ENOMEM;
	test->priv = ctx;
	return 0;
}

static void shrink_test_exit(struct kunit *test)
{
	struct shrink_ctx *ctx = test->priv;
	unsigned int i;

	for (i = 0; i < NR_POOLS; i++)
		zcpool_pool_destroy(ctx->p[i].pool);
}

/*
 * A pool holding a live 100-byte element (with a tag) in its first chunk,
 * with cached elements beside it, cached half-chunk runs that pin two
 * more chunks, and a spare huge allocation. Returns what
 * zcpool_pool_reclaimable() says, checked against the pool's stats.
 */
static unsigned long fill_pool(struct kunit *test, struct shrink_pool *sp)
{
	struct zcpool_pool_config cfg = {
		.chunk_order = SHRINK_ORDER,
		.nr_arenas = 1,
		.keep_spares = true,
		.release = count_release,
		.release_priv = sp,
	};
	struct shrink_ctx *ctx = test->priv;
	struct zcpool_pool_stats *st = ctx->st;
	u64 offsets[8], huge;
	struct page *page;
	unsigned int i;

	sp->pool = zcpool_pool_create(&cfg);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sp->pool);
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(sp->pool, 100, 0, 0, &sp->keep), 0);
	page = zcpool_pool_page(sp->pool, sp->keep);
	KUNIT_ASSERT_NOT_NULL(test, page);
	memset(page_address(page) + offset_in_page(sp->keep), 0x5c, 100);
	put_page(page);
	/* Runs of half a chunk: two chunks' worth, freed into the cache. */
	for (i = 0; i < 4; i++)
		KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(sp->pool, SHRINK_CHUNK / 2, 0, 0,
							&offsets[i]), 0);
	for (i = 0; i < 4; i++)
		KUNIT_ASSERT_EQ(test, zcpool_pool_free(sp->pool, offsets[i]), 0);
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(sp->pool, SHRINK_CHUNK + PAGE_SIZE, 0, 0,
						&huge), 0);
	KUNIT_ASSERT_EQ(test, zcpool_pool_free(sp->pool, huge), 0);
	/* Its free left user mappings: the releases counted are the shrinker's. */
	atomic_set(&sp->released, 0);
	/* Each part the count sums: the runs and elements cached, the spare. */
	zcpool_pool_stats(sp->pool, st);
	KUNIT_EXPECT_GE(test, st->cached, 4);
	KUNIT_EXPECT_EQ(test, st->bytes_spare, SHRINK_CHUNK + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, zcpool_pool_reclaimable(sp->pool),
			st->cached + ((st->bytes_empty + st->bytes_spare) >> PAGE_SHIFT));
	return zcpool_pool_reclaimable(sp->pool);
}

static void expect_only_the_live_element_left(struct kunit *test, struct shrink_pool *sp)
{
	struct shrink_ctx *ctx = test->priv;
	struct zcpool_pool_stats *st = ctx->st;
	struct page *page;
	u64 off;

	zcpool_pool_stats(sp->pool, st);
	KUNIT_EXPECT_EQ(test, st->cached, 0);
	KUNIT_EXPECT_EQ(test, st->bytes_cached, 0);
	KUNIT_EXPECT_EQ(test, st->live, 1);
	KUNIT_EXPECT_EQ(test, st->bytes_requested, 100);
	/* Only the chunk with the live element: no reserve, nothing cached. */
	KUNIT_EXPECT_EQ(test, st->chunks, 1);
	KUNIT_EXPECT_EQ(test, st->bytes_held, SHRINK_CHUNK);
	KUNIT_EXPECT_EQ(test, st->chunk_usage[ZCPOOL_ARENA_EMPTY], 0);
	KUNIT_EXPECT_EQ(test, st->pages_taken - st->pages_returned, SHRINK_CHUNK / PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, zcpool_pool_reclaimable(sp->pool), 0);
	KUNIT_EXPECT_GE(test, atomic_read(&sp->released), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&sp->atomic_calls), 0);

	page = zcpool_pool_page(sp->pool, sp->keep);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_NULL(test, memchr_inv(page_address(page) + offset_in_page(sp->keep),
					   0x5c, 100));
	put_page(page);
	/* The pool keeps working. */
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(sp->pool, SHRINK_CHUNK / 2, 0, 0, &off), 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(sp->pool, off), 0);
}

static void scan_releases_caches_and_reserves_of_every_pool(struct kunit *test)
{
	struct shrink_ctx *ctx = test->priv;
	struct shrink_control sc = { .gfp_mask = GFP_KERNEL };
	unsigned long expect = 0, count, freed, scanned, cached = 0;
	u64 returned[NR_POOLS];
	unsigned int i;

	for (i = 0; i < NR_POOLS; i++) {
		expect += fill_pool(test, &ctx->p[i]);
		zcpool_pool_stats(ctx->p[i].pool, ctx->st);
		cached += ctx->st->cached;
		returned[i] = ctx->st->pages_returned;
	}
	count = zcpool_shrinker_count(NULL, &sc);
	KUNIT_EXPECT_GE(test, count, expect);
	/*
	 * As reclaim does: scan for what was counted, again while it frees.
	 * A pool's drain frees chunks the count did not see, so one scan may
	 * reach the target before the last pool.
	 */
	for (i = 0, freed = 0; i <= NR_POOLS; i++) {
		sc.nr_to_scan = count;
		scanned = zcpool_shrinker_scan(NULL, &sc);
		KUNIT_ASSERT_NE(test, scanned, SHRINK_STOP);
		if (!scanned)
			break;
		freed += scanned;
	}
	KUNIT_EXPECT_LE(test, i, NR_POOLS);
	KUNIT_EXPECT_GE(test, freed, expect);
	kunit_info(test, "counted %lu, freed %lu in %u scans", count, freed, i);
	/* Exactly: the cached allocations drained, and the pages given back. */
	expect = cached;
	for (i = 0; i < NR_POOLS; i++) {
		zcpool_pool_stats(ctx->p[i].pool, ctx->st);
		expect += ctx->st->pages_returned - returned[i];
	}
	KUNIT_EXPECT_EQ(test, freed, expect);
	for (i = 0; i < NR_POOLS; i++)
		expect_only_the_live_element_left(test, &ctx->p[i]);
}

/* One object asked: the first pool on the list gives back all it has, the others nothing. */
static void scan_stops_once_enough_is_freed(struct kunit *test)
{
	struct shrink_ctx *ctx = test->priv;
	struct shrink_control sc = { .gfp_mask = GFP_KERNEL, .nr_to_scan = 1 };
	unsigned long first, freed;
	unsigned int i;

	for (i = 0; i < NR_POOLS; i++)
		fill_pool(test, &ctx->p[i]);
	first = zcpool_pool_reclaimable(ctx->p[0].pool);
	freed = zcpool_shrinker_scan(NULL, &sc);
	/* The drain empties chunks, whose pages count too. */
	KUNIT_EXPECT_GE(test, freed, first);
	expect_only_the_live_element_left(test, &ctx->p[0]);
	for (i = 1; i < NR_POOLS; i++) {
		KUNIT_EXPECT_GT(test, zcpool_pool_reclaimable(ctx->p[i].pool), 0);
		KUNIT_EXPECT_EQ(test, atomic_read(&ctx->p[i].released), 0);
	}
}

/* With nothing to give, count says so and scan frees nothing. */
static void nothing_cached_counts_empty(struct kunit *test)
{
	struct shrink_ctx *ctx = test->priv;
	struct shrink_control sc = { .gfp_mask = GFP_KERNEL, .nr_to_scan = 128 };

	fill_pool(test, &ctx->p[0]);
	zcpool_pool_reclaim(ctx->p[0].pool);
	KUNIT_EXPECT_EQ(test, zcpool_pool_reclaimable(ctx->p[0].pool), 0);
	KUNIT_EXPECT_EQ(test, zcpool_shrinker_count(NULL, &sc), SHRINK_EMPTY);
	KUNIT_EXPECT_EQ(test, zcpool_shrinker_scan(NULL, &sc), 0);
	expect_only_the_live_element_left(test, &ctx->p[0]);
}

static struct kunit_case zcpool_shrinker_cases[] = {
	KUNIT_CASE(scan_releases_caches_and_reserves_of_every_pool),
	KUNIT_CASE(scan_stops_once_enough_is_freed),
	KUNIT_CASE(nothing_cached_counts_empty),
	{}
};

static struct kunit_suite zcpool_shrinker_suite = {
	.name = "zcpool_shrinker",
	.init = shrink_test_init,
	.exit = shrink_test_exit,
	.test_cases = zcpool_shrinker_cases,
};

kunit_test_suite(zcpool_shrinker_suite);
