// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite zcpool_efficiency: bytes held / bytes requested on a
 * mixed-size trace, for zcpool and for the 2017 Netty scheme on the same
 * trace.
 *
 * The traces. A fixed seed (efficiency_seed=, default TRACE_SEED) drives
 * the operations; sizes are drawn uniformly inside five bands, picked with
 * these odds:
 *
 *     40%  1 B .. 512 B          (headers, small messages)
 *     25%  513 B .. 8 KiB        (messages, records)
 *     20%  8 KiB .. 64 KiB       (socket and I/O buffers)
 *     14%  64 KiB .. 1 MiB       (large buffers, small files)
 *      1%  4 MiB .. 8 MiB        (whole files; above a 4 MiB chunk)
 *
 * "growing": 2000 operations, each an allocation, or with odds 1 in 10 the
 * free of a random live allocation: a working set that grows while some
 * of it is given back, the pattern of a pool being filled.
 * "steady churn": allocations until 600 are live, then 3400 operations
 * that allocate or free a random live allocation with equal odds. Random
 * lifetimes scatter the survivors over every chunk (a buddy tree cannot
 * move them): Netty holds far more than is live (1.66 at the default
 * seed). zcpool carves only runs up to 16 pages from its chunks and gives
 * longer ones their own pages, which keeps it near the live bytes (1.06).
 * The bar, on both: zcpool holds at most 15% more than is asked, and less
 * than Netty.
 *
 * The thread stays on one CPU, so a replay with one seed gives the same
 * figures every time.
 *
 * Requested bytes are the sum of the live sizes at the end of a trace, the
 * same for both schemes.
 *
 * zcpool: the trace replayed on a pool of default chunks (order 10) with
 * one arena; held is its bytes_held (pages from the page allocator), which
 * includes the reserve chunk, the per-CPU caches and any fragmentation.
 *
 * Netty 2017 (4.1 before the jemalloc-4 size classes of 4.1.52), computed
 * on the same trace with the same buddy tree code: 8 KiB pages, 16 MiB
 * chunks (maxOrder 11); "tiny" sizes below 512 B round up to 16 B steps,
 * "small" ones up to a power of two below the page size, and each of those
 * takes its elements from a subpage of one page; sizes from a page up to a
 * chunk round up to a power of two and take a run of that many pages;
 * larger ones are unpooled and hold exactly their size. Held is the
 * chunks times 16 MiB plus the unpooled bytes. The model favours Netty
 * where it simplifies: a new run goes to the first chunk with room, and
 * empty subpages and chunks are given back at once (Netty keeps one
 * subpage per size and never frees the chunks of its qInit list).
 */

#include <kunit/test.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "buddy.h"
#include "pool.h"
#include "seed.h"

static unsigned int efficiency_seed;
module_param(efficiency_seed, uint, 0400);
MODULE_PARM_DESC(efficiency_seed, "Seed of the zcpool_efficiency trace (default 0: the fixed one)");

#define TRACE_SEED	20170101

/* The bar of the growing trace: zcpool holds at most 15% more than asked. */
#define ZCPOOL_MAX_RATIO_PERMILLE	1150

struct trace_case {
	const char *name;
	unsigned int ops;
	unsigned int live;	/* allocate until this many are live */
	unsigned int free_pct;	/* then free with these odds in 100 */
	unsigned int max_permille;	/* 0: no bar, no comparison */
};

static const struct trace_case trace_cases[] = {
	{ "growing", 2000, 0, 10, ZCPOOL_MAX_RATIO_PERMILLE },
	{ "steady churn", 4000, 600, 50, ZCPOOL_MAX_RATIO_PERMILLE },
};

static void trace_desc(const struct trace_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", c->name);
}

KUNIT_ARRAY_PARAM(trace, trace_cases, trace_desc);

#define NETTY_PAGE		SZ_8K
#define NETTY_MAX_ORDER		11
#define NETTY_CHUNK		(NETTY_PAGE << NETTY_MAX_ORDER)
#define NETTY_TINY_MAX		512
#define NETTY_MAX_CHUNKS	64
#define NETTY_MAX_SUBPAGES	4096

struct netty_chunk {
	bool used;
	struct zcpool_buddy tree;
	u8 map[ZCPOOL_BUDDY_MAP_BYTES(NETTY_MAX_ORDER)];
};

struct netty_subpage {
	int chunk;	/* -1: slot unused */
	unsigned int page;
	unsigned int elem;
	unsigned int nr;
	unsigned int used;
};

struct netty {
	struct netty_chunk *chunks;
	struct netty_subpage *subpages;
	u64 unpooled;
};

/* Where one allocation sits in the model. */
struct netty_alloc {
	int chunk;	/* -1: unpooled */
	int subpage;	/* -1: a run */
	unsigned int first;
	unsigned int pages;
	u64 size;
};

struct trace_alloc {
	u64 size;
	u64 offset;
	struct netty_alloc netty;
};

static u64 netty_normalize(u64 size)
{
	if (size >= NETTY_CHUNK)
		return size;
	if (size < NETTY_TINY_MAX)
		return ALIGN(size, 16);
	return roundup_pow_of_two(size);
}

/* A run of @pages (a power of two) in the first chunk with room. */
static int netty_run(struct kunit *test, struct netty *n, unsigned int pages,
		     unsigned int *first)
{
	struct netty_chunk *c;
	int i, page;

	for (i = 0; i < NETTY_MAX_CHUNKS; i++) {
		c = &n->chunks[i];
		if (!c->used) {
			KUNIT_ASSERT_EQ(test,
					zcpool_buddy_init(&c->tree, NETTY_MAX_ORDER, c->map), 0);
			c->used = true;
		}
		page = zcpool_buddy_alloc(&c->tree, pages);
		if (page >= 0) {
			*first = page;
			return i;
		}
	}
	KUNIT_FAIL(test, "the Netty model ran out of its %d chunks", NETTY_MAX_CHUNKS);
	return -1;
}

static void netty_put_pages(struct kunit *test, struct netty *n, int chunk, unsigned int first,
			    unsigned int pages)
{
	struct netty_chunk *c = &n->chunks[chunk];

	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(&c->tree, first, pages), 0);
	if (zcpool_buddy_is_unused(&c->tree))
		c->used = false;
}

static void netty_alloc(struct kunit *test, struct netty *n, u64 size, struct netty_alloc *a)
{
	u64 norm = netty_normalize(size);
	struct netty_subpage *sp;
	unsigned int first;
	int i, free_slot = -1;

	*a = (struct netty_alloc){ .chunk = -1, .subpage = -1, .size = norm };
	if (norm >= NETTY_CHUNK) {
		n->unpooled += norm;
		return;
	}
	if (norm >= NETTY_PAGE) {
		a->pages = norm / NETTY_PAGE;
		a->chunk = netty_run(test, n, a->pages, &a->first);
		return;
	}
	for (i = 0; i < NETTY_MAX_SUBPAGES; i++) {
		sp = &n->subpages[i];
		if (sp->chunk < 0) {
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (sp->elem == norm && sp->used < sp->nr)
			goto found;
	}
	KUNIT_ASSERT_GE(test, free_slot, 0);
	i = free_slot;
	sp = &n->subpages[i];
	sp->chunk = netty_run(test, n, 1, &first);
	KUNIT_ASSERT_GE(test, sp->chunk, 0);
	*sp = (struct netty_subpage){ sp->chunk, first, norm, NETTY_PAGE / norm, 0 };
found:
	sp->used++;
	a->subpage = i;
	a->chunk = sp->chunk;
}

static void netty_free(struct kunit *test, struct netty *n, const struct netty_alloc *a)
{
	struct netty_subpage *sp;

	if (a->chunk < 0) {
		n->unpooled -= a->size;
		return;
	}
	if (a->subpage < 0) {
		netty_put_pages(test, n, a->chunk, a->first, a->pages);
		return;
	}
	sp = &n->subpages[a->subpage];
	if (--sp->used)
		return;
	netty_put_pages(test, n, sp->chunk, sp->page, 1);
	sp->chunk = -1;
}

static u64 netty_held(const struct netty *n)
{
	u64 held = n->unpooled;
	unsigned int i;

	for (i = 0; i < NETTY_MAX_CHUNKS; i++)
		held += n->chunks[i].used ? NETTY_CHUNK : 0;
	return held;
}

static u64 trace_size(struct rnd_state *rnd)
{
	u32 band = prandom_u32_state(rnd) % 100;
	u32 r = prandom_u32_state(rnd);

	if (band < 40)
		return 1 + r % 512;
	if (band < 65)
		return 513 + r % (SZ_8K - 512);
	if (band < 85)
		return SZ_8K + 1 + r % (SZ_64K - SZ_8K);
	if (band < 99)
		return SZ_64K + 1 + r % (SZ_1M - SZ_64K);
	return SZ_4M + 1 + r % SZ_4M;
}

/* @num / @den in thousandths, for printing and comparing ratios. */
static u64 permille(u64 num, u64 den)
{
	return den ? div64_u64(num * 1000, den) : 0;
}

static void mixed_trace_holds_less_than_netty_2017(struct kunit *test)
{
	const struct trace_case *c = test->param_value;
	unsigned int seed, op, nr = 0, i, allocs = 0, frees = 0;
	struct zcpool_pool_config cfg = { .nr_arenas = 1 };
	struct zcpool_pool_stats *st;
	struct trace_alloc *live;
	u64 requested = 0, zc_held, nt_held, zc_ratio, nt_ratio;
	struct zcpool_pool *pool;
	struct rnd_state rnd;
	struct netty netty = {};

	seed = zcpool_test_param(efficiency_seed, "efficiency_seed") ?: TRACE_SEED;
	kunit_info(test, "%s: seed %u (replay: insmod zcpool_test.ko efficiency_seed=%u)",
		   c->name, seed, seed);
	prandom_seed_state(&rnd, seed);
	/* One CPU, one set of magazines: the same layout on every replay. */
	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(raw_smp_processor_id())),
			0);
	st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	live = kunit_kcalloc(test, c->ops, sizeof(*live), GFP_KERNEL);
	netty.chunks = kunit_kcalloc(test, NETTY_MAX_CHUNKS, sizeof(*netty.chunks), GFP_KERNEL);
	netty.subpages = kunit_kcalloc(test, NETTY_MAX_SUBPAGES, sizeof(*netty.subpages),
				       GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, st);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, live);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, netty.chunks);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, netty.subpages);
	for (i = 0; i < NETTY_MAX_SUBPAGES; i++)
		netty.subpages[i].chunk = -1;
	pool = zcpool_pool_create(&cfg);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	test->priv = pool;

	for (op = 0; op < c->ops; op++) {
		if (!nr || nr < c->live || prandom_u32_state(&rnd) % 100 >= c->free_pct) {
			struct trace_alloc *a = &live[nr];

			a->size = trace_size(&rnd);
			if (zcpool_pool_alloc(pool, a->size, 0, 0, &a->offset)) {
				KUNIT_FAIL(test, "op %u: alloc of %llu B failed", op, a->size);
				break;
			}
			netty_alloc(test, &netty, a->size, &a->netty);
			requested += a->size;
			nr++;
			allocs++;
		} else {
			i = prandom_u32_state(&rnd) % nr;
			KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, live[i].offset), 0);
			netty_free(test, &netty, &live[i].netty);
			requested -= live[i].size;
			live[i] = live[--nr];
			frees++;
		}
		cond_resched();
	}

	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->bytes_requested, requested);
	zc_held = st->bytes_held;
	nt_held = netty_held(&netty);
	kunit_info(test, "trace: %u allocs, %u frees; %u live, %llu B requested",
		   allocs, frees, nr, requested);
	zc_ratio = permille(zc_held, requested);
	nt_ratio = permille(nt_held, requested);
	kunit_info(test, "zcpool:     %llu B held, ratio %llu.%03llu (%llu chunks, %llu B cached)",
		   zc_held, zc_ratio / 1000, zc_ratio % 1000, st->chunks, st->bytes_cached);
	kunit_info(test, "netty 2017: %llu B held, ratio %llu.%03llu",
		   nt_held, nt_ratio / 1000, nt_ratio % 1000);
	if (c->max_permille) {
		KUNIT_EXPECT_LE(test, zc_ratio, c->max_permille);
		KUNIT_EXPECT_LT(test, zc_held, nt_held);
	}

	for (i = 0; i < nr; i++)
		KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, live[i].offset), 0);
}

static int efficiency_test_init(struct kunit *test)
{
	test->priv = NULL;
	return 0;
}

static void efficiency_test_exit(struct kunit *test)
{
	zcpool_pool_destroy(test->priv);
}

static struct kunit_case zcpool_efficiency_cases[] = {
	KUNIT_CASE_PARAM(mixed_trace_holds_less_than_netty_2017, trace_gen_params),
	{}
};

static struct kunit_suite zcpool_efficiency_suite = {
	.name = "zcpool_efficiency",
	.init = efficiency_test_init,
	.exit = efficiency_test_exit,
	.test_cases = zcpool_efficiency_cases,
};

kunit_test_suite(zcpool_efficiency_suite);
