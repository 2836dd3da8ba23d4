// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite zcpool_pool: the pool API (pool.c) over the arenas (arena.c)
 * and chunks (chunk.c).
 *
 * Every case works on pools built small (chunks of 16 to 64 pages), so that
 * growing, falling back, hitting caps and draining take a handful of
 * allocations. Data goes in and out through zcpool_pool_page(), as the
 * fault handler will use it, so a wrong offset or a shared page shows up as
 * a wrong byte. check_model() compares every counter of the pool with a
 * reference model (an array of the live {offset, size}) and is called after
 * each phase; the randomized case and the threaded case use it at the end.
 * The randomized case prints its seed, settable with pool_seed=.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "arena.h"
#include "cache.h"
#include "chunk.h"
#include "compat.h"
#include "cpu_batch.h"
#include "params.h"
#include "pool.h"
#include "seed.h"
#include "sizeclass.h"

static unsigned int pool_seed;
module_param(pool_seed, uint, 0400);
MODULE_PARM_DESC(pool_seed, "Seed of zcpool_pool's random cases (default 0: a new one each run)");

/* Small chunks: 16 pages, so that a few allocations fill one. */
#define SMALL_ORDER	4
#define SMALL_CHUNK	(PAGE_SIZE << SMALL_ORDER)

/* Big enough for a subpage run of every class, with room to spare. */
#define MID_ORDER	6
#define MID_CHUNK	(PAGE_SIZE << MID_ORDER)

/* The randomized case: enough operations to reuse every chunk many times. */
#define RANDOM_OPS		100000
#define RANDOM_MAX_LIVE		400
#define RANDOM_CHECK_EVERY	5000

/* The threaded case, per thread: bounded so it stays fast under TCG + KASAN. */
#define THREAD_OPS		4000
#define THREAD_MAX_LIVE		64

static unsigned int get_seed(void)
{
	return zcpool_test_seed(pool_seed, "pool_seed");
}

struct live {
	u64 offset;
	u64 size;
	int cls;	/* the size class, -1 for a page run, -2 for huge */
	u8 tag;
};

/* The reference model: what the pool must report. */
struct model {
	struct live *live;
	unsigned int nr;
	unsigned int cap;
	u64 requested;
	u64 runs;
	u64 huge;
	u64 class_live[ZCPOOL_SIZECLASS_NR];
};

struct released {
	u64 offset;
	u64 size;
};

/* Per-case state, torn down by pool_test_exit() even when a case aborts. */
struct pool_ctx {
	struct zcpool_pool *pool;
	struct zcpool_pool *pool2;
	u64 saved_total_max;
	bool restore_total_max;
	atomic_t nr_released;
	struct released released[64];
	bool mapped;
};

#define KIND_RUN	-1
#define KIND_HUGE	-2

static void record_release(void *priv, u64 offset, u64 size)
{
	struct pool_ctx *ctx = priv;
	int i = atomic_inc_return(&ctx->nr_released) - 1;

	if (i < ARRAY_SIZE(ctx->released)) {
		ctx->released[i].offset = offset;
		ctx->released[i].size = size;
	}
}

/* The mapped hook of a pool whose case says whether anything maps it. */
static bool record_mapped(void *priv)
{
	struct pool_ctx *ctx = priv;

	return READ_ONCE(ctx->mapped);
}

/*
 * Each case runs on the CPU it starts on (its own thread: KUnit runs the
 * init and the case in one): what a case counts depends on which CPU's
 * magazines and share of the spares its calls used. A refill's elements
 * wait in the magazine of the CPU that took them, so a move to the other
 * CPU in the middle of empty_chunks_drain_beyond_the_reserve's elements
 * took an eleventh chunk where ten were expected (seen once in a run).
 * The cases that test other CPUs run work there on purpose.
 */
static int pool_test_init(struct kunit *test)
{
	struct pool_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return -ENOMEM;
	test->priv = ctx;
	return set_cpus_allowed_ptr(current, cpumask_of(raw_smp_processor_id()));
}

static void pool_test_exit(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;

	zcpool_pool_destroy(ctx->pool);
	zcpool_pool_destroy(ctx->pool2);
	if (ctx->restore_total_max)
		WRITE_ONCE(zcpool_params.total_max_bytes, ctx->saved_total_max);
}

/* Create a pool from @cfg for this case; the exit hook destroys it. */
static struct zcpool_pool *create_pool(struct kunit *test, const struct zcpool_pool_config *cfg)
{
	struct pool_ctx *ctx = test->priv;

	ctx->pool = zcpool_pool_create(cfg);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx->pool);
	return ctx->pool;
}

static struct zcpool_pool *new_pool(struct kunit *test, unsigned int order, u64 max_bytes,
				    unsigned int nr_arenas)
{
	struct pool_ctx *ctx = test->priv;
	struct zcpool_pool_config cfg = {
		.chunk_order = order,
		.max_bytes = max_bytes,
		.nr_arenas = nr_arenas,
		/* Runs up to a chunk: these cases are about chunks and their trees. */
		.max_run_pages = order ? 1U << order : 0,
		.release = record_release,
		.release_priv = ctx,
	};

	return create_pool(test, &cfg);
}

/*
 * The config of a pool of MID_ORDER chunks and one arena whose runs are at most
 * @max_run_pages long (0: the default), keeping spares when @keep_spares,
 * its releases recorded in the test's ctx.
 */
static struct zcpool_pool_config mid_pool_config(struct kunit *test, unsigned int max_run_pages,
						 bool keep_spares)
{
	return (struct zcpool_pool_config){
		.chunk_order = MID_ORDER,
		.nr_arenas = 1,
		.max_run_pages = max_run_pages,
		.keep_spares = keep_spares,
		.release = record_release,
		.release_priv = test->priv,
	};
}

/* A pool of mid_pool_config(). */
static struct zcpool_pool *new_mid_pool(struct kunit *test, unsigned int max_run_pages,
					bool keep_spares)
{
	struct zcpool_pool_config cfg = mid_pool_config(test, max_run_pages, keep_spares);

	return create_pool(test, &cfg);
}

/* The kind zcpool_pool_alloc() documents for @size at @align (0: none). */
static int expected_kind(u64 size, u64 align, unsigned int order)
{
	u64 pages = DIV_ROUND_UP_ULL(size, PAGE_SIZE), align_pages;
	int cls = zcpool_sizeclass_index(size);

	if (size > (PAGE_SIZE << order))
		return KIND_HUGE;
	if (cls >= 0 && align <= PAGE_SIZE) {
		for (; cls < ZCPOOL_SIZECLASS_NR; cls++) {
			if (align && zcpool_sizeclass_size(cls) % align)
				continue;
			/* One element per run: a page run (new_pool's runs are long enough). */
			return zcpool_sizeclass_nr_elems(cls) == 1 ? KIND_RUN : cls;
		}
	}
	align_pages = align >> PAGE_SHIFT;
	if (align_pages > 1 && roundup_pow_of_two(pages) < align_pages)
		pages = align_pages / 2 + 1;
	return pages > BIT(order) ? KIND_HUGE : KIND_RUN;
}

/* Copy @len bytes to (@to_pool) or from the pool window, page by page. */
static bool window_io(struct kunit *test, struct zcpool_pool *pool, u64 offset, void *buf,
		      u64 len, bool to_pool)
{
	struct page *page;
	u64 n;

	while (len) {
		n = min_t(u64, len, PAGE_SIZE - offset_in_page(offset));
		page = zcpool_pool_page(pool, offset);
		KUNIT_EXPECT_NOT_NULL_MSG(test, page, "no live page at offset %llu", offset);
		if (!page)
			return false;
		if (to_pool)
			memcpy(page_address(page) + offset_in_page(offset), buf, n);
		else
			memcpy(buf, page_address(page) + offset_in_page(offset), n);
		put_page(page);
		offset += n;
		buf += n;
		len -= n;
	}
	return true;
}

static bool fill(struct kunit *test, struct zcpool_pool *pool, u64 offset, u64 len, u8 byte)
{
	u8 buf[256];
	u64 n;

	memset(buf, byte, sizeof(buf));
	while (len) {
		n = min_t(u64, len, sizeof(buf));
		if (!window_io(test, pool, offset, buf, n, true))
			return false;
		offset += n;
		len -= n;
	}
	return true;
}

/* Whether all @len bytes at @offset read @byte. */
static bool holds(struct kunit *test, struct zcpool_pool *pool, u64 offset, u64 len, u8 byte)
{
	u8 buf[256];
	u64 n;

	while (len) {
		n = min_t(u64, len, sizeof(buf));
		if (!window_io(test, pool, offset, buf, n, false))
			return false;
		if (memchr_inv(buf, byte, n)) {
			KUNIT_FAIL(test, "bytes at %llu..%llu are not all 0x%02x", offset,
				   offset + n - 1, byte);
			return false;
		}
		offset += n;
		len -= n;
	}
	return true;
}

/* Models and stats live on the heap: the debug kernels allow 1 KiB frames. */
static struct model *new_model(struct kunit *test, unsigned int cap)
{
	struct model *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, m);
	m->cap = cap;
	m->live = kunit_kcalloc(test, cap, sizeof(*m->live), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, m->live);
	return m;
}

static struct zcpool_pool_stats *new_stats(struct kunit *test)
{
	struct zcpool_pool_stats *st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, st);
	return st;
}

static void model_add(struct model *m, u64 offset, u64 size, int kind, u8 tag)
{
	m->live[m->nr++] = (struct live){ offset, size, kind, tag };
	m->requested += size;
	if (kind == KIND_HUGE)
		m->huge++;
	else if (kind == KIND_RUN)
		m->runs++;
	else
		m->class_live[kind]++;
}

static void model_del(struct model *m, unsigned int i)
{
	struct live *l = &m->live[i];

	m->requested -= l->size;
	if (l->cls == KIND_HUGE)
		m->huge--;
	else if (l->cls == KIND_RUN)
		m->runs--;
	else
		m->class_live[l->cls]--;
	m->live[i] = m->live[--m->nr];
}

static int live_cmp(const void *a, const void *b)
{
	const struct live *x = a, *y = b;

	if (x->offset == y->offset)
		return 0;
	return x->offset < y->offset ? -1 : 1;
}

/*
 * The counters that need no model agree with each other: pages taken minus
 * returned are the bytes held, every chunk is on one usage list and has one
 * order, live runs per order add up, the caches stay in their budget, and
 * what left the arenas is exactly what is live or cached. Exact only while
 * no other thread uses the pool.
 */
static bool check_held(struct kunit *test, const struct zcpool_pool_stats *st)
{
	u64 usage = 0, orders = 0, runs = 0;
	bool ok = true;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(st->chunk_usage); i++)
		usage += st->chunk_usage[i];
	for (i = 0; i < ZCPOOL_POOL_NR_ORDERS; i++) {
		orders += st->chunk_orders[i];
		runs += st->run_orders[i];
	}
	ok &= (st->pages_taken - st->pages_returned) * PAGE_SIZE == st->bytes_held;
	ok &= usage == st->chunks;
	ok &= orders == st->chunks;
	ok &= runs == st->runs_live;
	ok &= st->bytes_cached <= (u64)num_possible_cpus() * ZCPOOL_CACHE_CPU_BYTES;
	ok &= st->cache_hits <= st->allocs;
	ok &= st->arena_live == st->live - st->huge_live + st->cached;
	KUNIT_EXPECT_EQ(test, (st->pages_taken - st->pages_returned) * PAGE_SIZE, st->bytes_held);
	KUNIT_EXPECT_EQ(test, usage, st->chunks);
	KUNIT_EXPECT_EQ(test, orders, st->chunks);
	KUNIT_EXPECT_EQ(test, runs, st->runs_live);
	KUNIT_EXPECT_LE(test, st->bytes_cached, (u64)num_possible_cpus() * ZCPOOL_CACHE_CPU_BYTES);
	KUNIT_EXPECT_LE(test, st->cache_hits, st->allocs);
	KUNIT_EXPECT_EQ(test, st->arena_live, st->live - st->huge_live + st->cached);
	return ok;
}

/*
 * Once its caches are drained, a pool whose allocations were all freed has
 * nothing live, requested or left out of its arenas, and its counters agree.
 */
static void expect_drained_and_empty(struct kunit *test, struct zcpool_pool *pool,
				     struct zcpool_pool_stats *st)
{
	zcpool_pool_drain_caches(pool);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->live, 0);
	KUNIT_EXPECT_EQ(test, st->huge_live, 0);
	KUNIT_EXPECT_EQ(test, st->bytes_requested, 0);
	KUNIT_EXPECT_EQ(test, st->arena_live, 0);
	KUNIT_EXPECT_TRUE(test, check_held(test, st));
}

/*
 * The invariant checker: the pool's counters equal the model's, the pool
 * holds no more than its cap, and no two live allocations overlap.
 * Returns whether all of it held.
 */
static bool check_model(struct kunit *test, struct zcpool_pool *pool, struct model *m,
			u64 max_bytes)
{
	struct zcpool_pool_stats *st = new_stats(test);
	bool ok = true;
	unsigned int i;

	zcpool_pool_stats(pool, st);
	ok &= st->live == m->nr;
	ok &= st->bytes_requested == m->requested;
	ok &= st->runs_live == m->runs;
	ok &= st->huge_live == m->huge;
	ok &= st->allocs - st->frees == st->live;
	ok &= st->bytes_held <= max_bytes;
	ok &= st->bytes_held >= st->chunks * (PAGE_SIZE << ZCPOOL_CHUNK_MIN_ORDER);
	ok &= check_held(test, st);
	KUNIT_EXPECT_EQ(test, st->live, m->nr);
	KUNIT_EXPECT_EQ(test, st->bytes_requested, m->requested);
	KUNIT_EXPECT_EQ(test, st->runs_live, m->runs);
	KUNIT_EXPECT_EQ(test, st->huge_live, m->huge);
	KUNIT_EXPECT_EQ(test, st->allocs - st->frees, st->live);
	KUNIT_EXPECT_LE(test, st->bytes_held, max_bytes);
	for (i = 0; i < ZCPOOL_SIZECLASS_NR; i++) {
		ok &= st->class_live[i] == m->class_live[i];
		KUNIT_EXPECT_EQ_MSG(test, st->class_live[i], m->class_live[i], "class %u", i);
	}

	sort(m->live, m->nr, sizeof(*m->live), live_cmp, NULL);
	for (i = 1; i < m->nr; i++) {
		if (m->live[i - 1].offset + m->live[i - 1].size <= m->live[i].offset)
			continue;
		KUNIT_FAIL(test, "[%llu, +%llu) overlaps [%llu, +%llu)",
			   m->live[i - 1].offset, m->live[i - 1].size,
			   m->live[i].offset, m->live[i].size);
		ok = false;
	}
	return ok;
}

static void free_all(struct kunit *test, struct zcpool_pool *pool, struct model *m)
{
	while (m->nr) {
		KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, m->live[m->nr - 1].offset), 0);
		model_del(m, m->nr - 1);
	}
}

/* Allocate and record; fails the case on an error. */
static u64 alloc_ok(struct kunit *test, struct zcpool_pool *pool, struct model *m,
		    unsigned int order, u64 size, u64 align, u32 flags)
{
	u64 offset = U64_MAX;
	int ret;

	if (m)
		KUNIT_ASSERT_LT(test, m->nr, m->cap);
	ret = zcpool_pool_alloc(pool, size, align, flags, &offset);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "alloc of %llu B aligned %llu", size, align);
	if (m)
		model_add(m, offset, size, expected_kind(size, align, order), 0);
	return offset;
}

/* --- creation and destruction ------------------------------------------ */

struct bad_config_case {
	const char *what;
	unsigned int chunk_order;
	u64 max_bytes;	/* U64_MAX: one more than the module allows */
	unsigned int nr_arenas;
	unsigned int max_run_pages;
};

static const struct bad_config_case bad_config_cases[] = {
	{ "chunk order below a subpage run", ZCPOOL_CHUNK_MIN_ORDER - 1, 0, 1 },
	{ "chunk order above the page allocator", 64, 0, 1 },
	{ "cap below a page", SMALL_ORDER, 1, 1 },
	{ "cap above the module's", SMALL_ORDER, U64_MAX, 1 },
	{ "too many arenas", SMALL_ORDER, 0, ZCPOOL_POOL_MAX_ARENAS + 1 },
	{ "runs longer than a chunk", SMALL_ORDER, 0, 1, BIT(SMALL_ORDER) + 1 },
};

static void bad_config_desc(const struct bad_config_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", c->what);
}

KUNIT_ARRAY_PARAM(bad_config, bad_config_cases, bad_config_desc);

static void create_rejects_bad_configs(struct kunit *test)
{
	const struct bad_config_case *c = test->param_value;
	struct zcpool_pool_config cfg = {
		.chunk_order = c->chunk_order,
		.max_bytes = c->max_bytes,
		.nr_arenas = c->nr_arenas,
		.max_run_pages = c->max_run_pages,
	};
	struct zcpool_pool *pool;

	if (c->max_bytes == U64_MAX)
		cfg.max_bytes = zcpool_params.pool_max_bytes + 1;
	pool = zcpool_pool_create(&cfg);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(pool), -EINVAL);
	if (!IS_ERR(pool))
		zcpool_pool_destroy(pool);
}

static void create_defaults_to_the_module_parameters(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;
	struct zcpool_pool_config cfg = {};
	struct zcpool_pool_stats *st = new_stats(test);

	ctx->pool = zcpool_pool_create(&cfg);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx->pool);
	KUNIT_EXPECT_EQ(test, zcpool_pool_slot_bytes(ctx->pool),
			PAGE_SIZE << zcpool_params.chunk_order);
	zcpool_pool_stats(ctx->pool, st);
	KUNIT_EXPECT_EQ(test, st->bytes_held, 0);
	KUNIT_EXPECT_EQ(test, st->chunks, 0);
	KUNIT_EXPECT_EQ(test, st->live, 0);
}

static void destroy_frees_live_allocations(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;
	struct zcpool_pool *pool = new_pool(test, SMALL_ORDER, 0, 2);
	u64 before = zcpool_pool_total_held(), offset;
	struct zcpool_pool_stats *st = new_stats(test);
	int cls;

	for (cls = 0; cls < ZCPOOL_SIZECLASS_NR; cls += 7)
		alloc_ok(test, pool, NULL, SMALL_ORDER, zcpool_sizeclass_size(cls), 0, 0);
	alloc_ok(test, pool, NULL, SMALL_ORDER, 9 * PAGE_SIZE, 0, 0);
	offset = alloc_ok(test, pool, NULL, SMALL_ORDER, 2 * SMALL_CHUNK + 1, 0, 0);
	KUNIT_EXPECT_TRUE(test, fill(test, pool, offset, 3 * PAGE_SIZE, 0x5a));
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, zcpool_pool_total_held(), before + st->bytes_held);
	KUNIT_EXPECT_EQ(test, st->huge_live, 1);

	zcpool_pool_destroy(pool);
	ctx->pool = NULL;
	KUNIT_EXPECT_EQ(test, zcpool_pool_total_held(), before);
	/* Destroy does not zap: no mapping can be left when it runs. */
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->nr_released), 0);
}

/* --- what allocations get ---------------------------------------------- */

/*
 * Every class, twice a run's worth plus one so that each class needs two
 * runs, then page runs of awkward lengths: distinct, non-overlapping,
 * counted in the right class, and each holds its own bytes.
 */
static void every_class_and_run_is_distinct_and_isolated(struct kunit *test)
{
	static const u64 run_sizes[] = {
		ZCPOOL_SIZECLASS_MAX_SIZE + 1, 9 * PAGE_SIZE, 13 * PAGE_SIZE - 5,
		16 * PAGE_SIZE, 33 * PAGE_SIZE, MID_CHUNK,
	};
	struct zcpool_pool *pool = new_pool(test, MID_ORDER, 0, 1);
	unsigned int cls, i, n;
	struct model *m;

	m = new_model(test, 2048);
	for (cls = 0; cls < ZCPOOL_SIZECLASS_NR; cls++) {
		n = min(zcpool_sizeclass_nr_elems(cls) + 1, 40U);
		for (i = 0; i < n; i++)
			alloc_ok(test, pool, m, MID_ORDER,
				 zcpool_sizeclass_size(cls) - i % 16, 0, 0);
	}
	for (i = 0; i < ARRAY_SIZE(run_sizes); i++)
		alloc_ok(test, pool, m, MID_ORDER, run_sizes[i], 0, 0);
	KUNIT_ASSERT_TRUE(test, check_model(test, pool, m, zcpool_params.pool_max_bytes));

	for (i = 0; i < m->nr; i++) {
		m->live[i].tag = i * 37 + 1;
		KUNIT_ASSERT_TRUE(test, fill(test, pool, m->live[i].offset, m->live[i].size,
					     m->live[i].tag));
	}
	for (i = 0; i < m->nr; i++)
		KUNIT_ASSERT_TRUE(test, holds(test, pool, m->live[i].offset, m->live[i].size,
					      m->live[i].tag));
	free_all(test, pool, m);
	check_model(test, pool, m, zcpool_params.pool_max_bytes);
}

struct align_case {
	u64 size;
	u64 align;
};

static const struct align_case align_cases[] = {
	{ 1, 0 }, { 1, 64 }, { 16, 4096 }, { 48, 32 }, { 100, 256 }, { 3000, 1024 },
	{ 5000, 8192 }, { 3 * 4096, 8 * 4096 }, { 1, 16 * 4096 }, { 20000, 2048 },
	{ 65 * 4096, 64 * 4096 },
};

static void align_desc(const struct align_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%llu B aligned %llu", c->size, c->align);
}

KUNIT_ARRAY_PARAM(align, align_cases, align_desc);

static void offsets_honour_the_alignment(struct kunit *test)
{
	const struct align_case *c = test->param_value;
	struct zcpool_pool *pool = new_pool(test, MID_ORDER, 0, 1);
	u64 offset, align = c->align ?: 1;
	unsigned int i;
	struct model *m;

	m = new_model(test, 8);
	for (i = 0; i < 5; i++) {
		offset = alloc_ok(test, pool, m, MID_ORDER, c->size, c->align, 0);
		KUNIT_EXPECT_EQ_MSG(test, offset % align, 0, "offset %llu", offset);
		/* No element smaller than its class: at least 16-byte aligned. */
		KUNIT_EXPECT_EQ(test, offset % ZCPOOL_SIZECLASS_QUANTUM, 0);
	}
	check_model(test, pool, m, zcpool_params.pool_max_bytes);
	free_all(test, pool, m);
}

/*
 * zcpool_pool_free_held() tells every byte the allocation held, which a
 * zap of its free must cover: the class's size for an element, every
 * page of a run (an aligned request takes more than its size covers, and
 * a fault maps them all), and a huge allocation's pages.
 */
static void free_held_tells_every_byte_held(struct kunit *test)
{
	/* Runs up to 16 pages: 40 are a huge allocation. */
	struct zcpool_pool *pool = new_mid_pool(test, 0, false);
	const struct {
		u64 size, align, held;
	} shapes[] = {
		{ 100, 0, zcpool_sizeclass_size(zcpool_sizeclass_index(100)) },
		{ PAGE_SIZE + 1, 0, zcpool_sizeclass_size(zcpool_sizeclass_index(PAGE_SIZE + 1)) },
		{ ZCPOOL_SIZECLASS_MAX_SIZE + 1, 0, ZCPOOL_SIZECLASS_MAX_SIZE + PAGE_SIZE },
		/*
		 * Aligned runs, by hand: half the alignment and a page, the
		 * least that a buddy block of the alignment can be trimmed to
		 * and still start on it (pool_run_pages()).
		 */
		{ PAGE_SIZE, 2 * PAGE_SIZE, 2 * PAGE_SIZE },
		{ PAGE_SIZE, 4 * PAGE_SIZE, 3 * PAGE_SIZE },
		{ PAGE_SIZE, 8 * PAGE_SIZE, 5 * PAGE_SIZE },
		{ 3 * PAGE_SIZE, 8 * PAGE_SIZE, 5 * PAGE_SIZE },
		{ 4 * PAGE_SIZE, 8 * PAGE_SIZE, 5 * PAGE_SIZE },
		{ 5 * PAGE_SIZE, 8 * PAGE_SIZE, 5 * PAGE_SIZE },
		{ PAGE_SIZE, 16 * PAGE_SIZE, 9 * PAGE_SIZE },
		{ 40 * PAGE_SIZE - 100, 0, 40 * PAGE_SIZE },
	};
	unsigned int i;
	u64 offset, held;

	for (i = 0; i < ARRAY_SIZE(shapes); i++) {
		KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, shapes[i].size, shapes[i].align, 0,
							&offset), 0);
		KUNIT_EXPECT_EQ_MSG(test, zcpool_pool_free_held(pool, offset, &held), 0,
				    "%llu B", shapes[i].size);
		KUNIT_EXPECT_EQ_MSG(test, held, shapes[i].held, "%llu B", shapes[i].size);
		KUNIT_EXPECT_EQ(test, zcpool_pool_free_held(pool, offset, &held), -EINVAL);
	}
}

static void bad_requests_are_einval(struct kunit *test)
{
	struct zcpool_pool *pool = new_pool(test, SMALL_ORDER, 0, 1);
	struct zcpool_pool_stats *st = new_stats(test);
	u64 offset = 12345;

	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(pool, 0, 0, 0, &offset), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(pool, 64, 3, 0, &offset), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(pool, 64, 2 * SMALL_CHUNK, 0, &offset), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(pool, 64, 0, BIT(7), &offset), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(pool, U64_MAX, 0, 0, &offset), -EINVAL);
	/* The checks are one test: each bound on its own, and at its edge. */
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(pool, ZCPOOL_POOL_WINDOW_BYTES + 1, 0, 0, &offset),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(pool, 64, SMALL_CHUNK + 1, 0, &offset), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(pool, 64, 0, ZCPOOL_ALLOC_ZERO | BIT(31), &offset),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, offset, 12345);
	/* Within the window but above the cap: a limit, not a bad request. */
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(pool, zcpool_params.pool_max_bytes + 1, 0, 0,
						&offset), -EDQUOT);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->allocs, 0);
	KUNIT_EXPECT_EQ(test, st->bytes_held, 0);
}

/* --- free ---------------------------------------------------------------- */

/* The live set of the bad-free cases, in a pool of SMALL_ORDER chunks. */
struct bad_free_setup {
	u64 elem;	/* a 48-byte element: its run of 85 leaves a 16-byte tail */
	u64 elem2;
	u64 freed;	/* an element freed again */
	u64 run;	/* 3 pages */
	u64 huge;	/* 2 slots and a page */
};

enum bad_free_kind {
	BAD_DOUBLE_FREE,
	BAD_INSIDE_ELEMENT,
	BAD_RUN_TAIL,
	BAD_INSIDE_RUN_PAGE,
	BAD_INSIDE_RUN_BYTE,
	BAD_FREE_PAGE,
	BAD_INSIDE_HUGE,
	BAD_HUGE_SECOND_SLOT,
	BAD_EMPTY_SLOT,
	BAD_PAST_WINDOW,
	BAD_LAST_OFFSET,
};

struct bad_free_case {
	const char *what;
	enum bad_free_kind kind;
};

static const struct bad_free_case bad_free_cases[] = {
	{ "double free", BAD_DOUBLE_FREE },
	{ "inside an element", BAD_INSIDE_ELEMENT },
	{ "unused tail of a subpage run", BAD_RUN_TAIL },
	{ "second page of a run", BAD_INSIDE_RUN_PAGE },
	{ "byte after a run's start", BAD_INSIDE_RUN_BYTE },
	{ "never allocated page", BAD_FREE_PAGE },
	{ "inside a huge allocation", BAD_INSIDE_HUGE },
	{ "second slot of a huge allocation", BAD_HUGE_SECOND_SLOT },
	{ "empty window slot", BAD_EMPTY_SLOT },
	{ "past the window", BAD_PAST_WINDOW },
	{ "last offset there is", BAD_LAST_OFFSET },
};

static void bad_free_desc(const struct bad_free_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", c->what);
}

KUNIT_ARRAY_PARAM(bad_free, bad_free_cases, bad_free_desc);

static u64 bad_offset(const struct bad_free_setup *s, enum bad_free_kind kind)
{
	u64 run_base = s->elem & PAGE_MASK;

	switch (kind) {
	case BAD_DOUBLE_FREE:
		return s->freed;
	case BAD_INSIDE_ELEMENT:
		return s->elem + 16;
	case BAD_RUN_TAIL:
		return run_base + 85 * 48;
	case BAD_INSIDE_RUN_PAGE:
		return s->run + PAGE_SIZE;
	case BAD_INSIDE_RUN_BYTE:
		return s->run + 1;
	case BAD_FREE_PAGE:
		return s->run + 3 * PAGE_SIZE;
	case BAD_INSIDE_HUGE:
		return s->huge + PAGE_SIZE;
	case BAD_HUGE_SECOND_SLOT:
		return s->huge + SMALL_CHUNK;
	case BAD_EMPTY_SLOT:
		return 1000 * SMALL_CHUNK;
	case BAD_PAST_WINDOW:
		return ZCPOOL_POOL_WINDOW_BYTES;
	default:
		return U64_MAX;
	}
}

static void free_refuses_what_is_not_an_allocation(struct kunit *test)
{
	const struct bad_free_case *c = test->param_value;
	struct zcpool_pool *pool = new_pool(test, SMALL_ORDER, 0, 1);
	struct zcpool_pool_stats *before = new_stats(test), *after = new_stats(test);
	struct bad_free_setup s;
	struct model *m;
	u64 bulk[2];

	m = new_model(test, 8);
	KUNIT_ASSERT_EQ(test, zcpool_sizeclass_size(zcpool_sizeclass_index(48)), 48);
	KUNIT_ASSERT_EQ(test, zcpool_sizeclass_nr_elems(zcpool_sizeclass_index(48)), 85);
	s.elem = alloc_ok(test, pool, m, SMALL_ORDER, 48, 0, 0);
	s.freed = alloc_ok(test, pool, NULL, SMALL_ORDER, 48, 0, 0);
	s.elem2 = alloc_ok(test, pool, m, SMALL_ORDER, 40, 0, 0);
	s.run = alloc_ok(test, pool, m, SMALL_ORDER, 3 * PAGE_SIZE, 0, 0);
	s.huge = alloc_ok(test, pool, m, SMALL_ORDER, 2 * SMALL_CHUNK + PAGE_SIZE, 0, 0);
	KUNIT_ASSERT_EQ(test, zcpool_pool_free(pool, s.freed), 0);
	KUNIT_ASSERT_TRUE(test, check_model(test, pool, m, zcpool_params.pool_max_bytes));
	KUNIT_ASSERT_TRUE(test, fill(test, pool, s.elem, 48, 0x11));

	zcpool_pool_stats(pool, before);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, bad_offset(&s, c->kind)), -EINVAL);
	zcpool_pool_stats(pool, after);
	KUNIT_EXPECT_EQ(test, memcmp(before, after, sizeof(*before)), 0);
	KUNIT_EXPECT_TRUE(test, holds(test, pool, s.elem, 48, 0x11));
	check_model(test, pool, m, zcpool_params.pool_max_bytes);

	/*
	 * Right after an element of the same run (elem2: 40 B in the 48 B
	 * class), a bulk free claims from the run it remembers, without the
	 * window: the same offsets are refused there, after the good one.
	 */
	bulk[0] = s.elem2;
	bulk[1] = bad_offset(&s, c->kind);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free_bulk(pool, bulk, 2), 1);
	KUNIT_ASSERT_EQ(test, m->live[1].offset, s.elem2);
	model_del(m, 1);
	KUNIT_EXPECT_TRUE(test, holds(test, pool, s.elem, 48, 0x11));
	check_model(test, pool, m, zcpool_params.pool_max_bytes);
	/* Everything live is still live and frees once. */
	free_all(test, pool, m);
	check_model(test, pool, m, zcpool_params.pool_max_bytes);
}

/* --- zeroing, pages ------------------------------------------------------ */

static const u64 zero_sizes[] = {
	16, 200, 3000, 5000, ZCPOOL_SIZECLASS_MAX_SIZE, 5 * PAGE_SIZE + 7,
};

static void size_desc(const u64 *size, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%llu B", *size);
}

KUNIT_ARRAY_PARAM(zero_size, zero_sizes, size_desc);

static void zero_flag_clears_reused_memory(struct kunit *test)
{
	u64 size = *(const u64 *)test->param_value;
	struct zcpool_pool *pool = new_pool(test, MID_ORDER, 0, 1);
	u64 first, again;

	/* Fresh memory is zero with or without the flag. */
	first = alloc_ok(test, pool, NULL, MID_ORDER, size, 0, 0);
	KUNIT_EXPECT_TRUE(test, holds(test, pool, first, size, 0));
	KUNIT_ASSERT_TRUE(test, fill(test, pool, first, size, 0xa5));
	KUNIT_ASSERT_EQ(test, zcpool_pool_free(pool, first), 0);

	/* Reuse without the flag is like malloc: the old bytes stay. */
	again = alloc_ok(test, pool, NULL, MID_ORDER, size, 0, 0);
	KUNIT_ASSERT_EQ(test, again, first);
	KUNIT_EXPECT_TRUE(test, holds(test, pool, again, size, 0xa5));
	KUNIT_ASSERT_EQ(test, zcpool_pool_free(pool, again), 0);

	again = alloc_ok(test, pool, NULL, MID_ORDER, size, 0, ZCPOOL_ALLOC_ZERO);
	KUNIT_ASSERT_EQ(test, again, first);
	KUNIT_EXPECT_TRUE(test, holds(test, pool, again, size, 0));
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, again), 0);
}

/*
 * A fault maps a subpage run's page whole while one element on it is
 * live, and the caller may write over the elements around it that were
 * never handed out: those waiting in this CPU's magazine and those still
 * in the arena. ZCPOOL_ALLOC_ZERO must clear each of them all the same.
 */
static void zero_flag_clears_elements_of_a_mapped_page(struct kunit *test)
{
	struct zcpool_pool *pool = new_pool(test, MID_ORDER, 0, 1);
	u64 size = 64, first, off;
	unsigned int i, on_page = 0;
	struct page *page;

	first = alloc_ok(test, pool, NULL, MID_ORDER, size, 0, 0);
	/* What the fault hands to user space: all of the page. */
	page = zcpool_pool_page(pool, first);
	KUNIT_ASSERT_NOT_NULL(test, page);
	memset(page_address(page), 0x3c, PAGE_SIZE);
	put_page(page);
	for (i = 1; i < PAGE_SIZE / size; i++) {
		off = alloc_ok(test, pool, NULL, MID_ORDER, size, 0, ZCPOOL_ALLOC_ZERO);
		if (off >> PAGE_SHIFT != first >> PAGE_SHIFT)
			continue;
		on_page++;
		KUNIT_EXPECT_TRUE_MSG(test, holds(test, pool, off, size, 0),
				      "element at %llu, the %u-th on the page", off, on_page);
	}
	/* The magazine's batch and more from the arena shared the page. */
	KUNIT_EXPECT_GT(test, on_page, ZCPOOL_CACHE_BATCH_MAX);
}

/*
 * Lookups read the window's first slots from a copy of them, and the
 * xarray beyond: huge allocations of two slots each fill the copied
 * slots and go past them, then a small allocation's chunk lands past
 * them too. Both kinds are found, lent and freed there, and refused at
 * an offset that is not an allocation's start.
 */
static void window_slots_past_the_head_work_alike(struct kunit *test)
{
	struct zcpool_pool *pool = new_pool(test, SMALL_ORDER, 0, 1);
	struct zcpool_pool_stats *st = new_stats(test);
	u64 *huge, small, slots = 0, size = SMALL_CHUNK + 1;
	unsigned int i, nr = 0;
	struct page *page;

	huge = kunit_kcalloc(test, 256, sizeof(*huge), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, huge);
	while (slots < 140) {
		huge[nr] = alloc_ok(test, pool, NULL, SMALL_ORDER, size, 0, 0);
		slots = max(slots, (huge[nr] + size) / SMALL_CHUNK + 1);
		nr++;
		KUNIT_ASSERT_LT(test, nr, 256);
	}
	small = alloc_ok(test, pool, NULL, SMALL_ORDER, 64, 0, 0);
	KUNIT_ASSERT_GE(test, small / SMALL_CHUNK, 128);
	KUNIT_ASSERT_GE(test, huge[nr - 1] / SMALL_CHUNK, 128);
	KUNIT_EXPECT_TRUE(test, fill(test, pool, small, 64, 0x66));
	KUNIT_EXPECT_TRUE(test, fill(test, pool, huge[nr - 1], size, 0x77));
	KUNIT_EXPECT_TRUE(test, holds(test, pool, small, 64, 0x66));
	KUNIT_EXPECT_TRUE(test, holds(test, pool, huge[nr - 1], size, 0x77));
	page = zcpool_pool_page(pool, huge[nr - 1] + size - 1);
	KUNIT_EXPECT_NOT_NULL(test, page);
	if (page)
		put_page(page);

	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, small + 64), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, huge[nr - 1] + PAGE_SIZE), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, small), 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, small), -EINVAL);
	for (i = 0; i < nr; i++)
		KUNIT_EXPECT_EQ_MSG(test, zcpool_pool_free(pool, huge[i]), 0, "huge %u", i);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, huge[nr - 1]), -EINVAL);
	expect_drained_and_empty(test, pool, st);
}

static void pool_page_lends_only_live_pages(struct kunit *test)
{
	struct zcpool_pool *pool = new_pool(test, MID_ORDER, 0, 1);
	/* 3 pages per run, 2 elements of 11/8 pages: element 0 covers pages 0-1. */
	int cls = zcpool_sizeclass_index(11 * PAGE_SIZE / 8);
	struct page *page;
	u64 run, elem;
	int refs;

	KUNIT_ASSERT_EQ(test, zcpool_sizeclass_run_pages(cls), 3);
	run = alloc_ok(test, pool, NULL, MID_ORDER, 2 * PAGE_SIZE + 1, 0, 0);
	page = zcpool_pool_page(pool, run + PAGE_SIZE + 17);
	KUNIT_ASSERT_NOT_NULL(test, page);
	refs = page_ref_count(page);
	KUNIT_EXPECT_GE(test, refs, 2);	/* the pool's and ours */
	put_page(page);
	KUNIT_EXPECT_NULL(test, zcpool_pool_page(pool, run + 3 * PAGE_SIZE));
	KUNIT_EXPECT_NULL(test, zcpool_pool_page(pool, run + MID_CHUNK));
	KUNIT_EXPECT_NULL(test, zcpool_pool_page(pool, ZCPOOL_POOL_WINDOW_BYTES));
	KUNIT_EXPECT_NULL(test, zcpool_pool_page(pool, U64_MAX));

	elem = alloc_ok(test, pool, NULL, MID_ORDER, zcpool_sizeclass_size(cls), 0, 0);
	KUNIT_ASSERT_EQ(test, offset_in_page(elem), 0);
	page = zcpool_pool_page(pool, elem + PAGE_SIZE);
	KUNIT_EXPECT_NOT_NULL(test, page);
	if (page)
		put_page(page);
	/* Page 2 of the run holds only the free element 1 (and the tail). */
	KUNIT_EXPECT_NULL(test, zcpool_pool_page(pool, elem + 2 * PAGE_SIZE));

	KUNIT_ASSERT_EQ(test, zcpool_pool_free(pool, run), 0);
	KUNIT_EXPECT_NULL(test, zcpool_pool_page(pool, run));
	KUNIT_EXPECT_NULL(test, zcpool_pool_page(pool, run + PAGE_SIZE + 17));
	KUNIT_ASSERT_EQ(test, zcpool_pool_free(pool, elem), 0);
	KUNIT_EXPECT_NULL(test, zcpool_pool_page(pool, elem));
	/* Back in the arena, the run's later pages still point at its head. */
	zcpool_pool_drain_caches(pool);
	KUNIT_EXPECT_NULL(test, zcpool_pool_page(pool, run + PAGE_SIZE + 17));
	KUNIT_EXPECT_NULL(test, zcpool_pool_page(pool, run + 2 * PAGE_SIZE));
}

/* --- limits, fallback, draining, huge ---------------------------------- */

/* 3 chunks and half of one: the 4th chunk can only be a fallback of 8 pages. */
static void pool_cap_stops_allocation_with_edquot(struct kunit *test)
{
	u64 max_bytes = 3 * SMALL_CHUNK + SMALL_CHUNK / 2, offset;
	struct zcpool_pool *pool = new_pool(test, SMALL_ORDER, max_bytes, 1);
	unsigned int expect = 3 * BIT(SMALL_ORDER) + BIT(SMALL_ORDER - 1);
	struct zcpool_pool_stats *st = new_stats(test);
	struct model *m;

	m = new_model(test, expect);
	while (m->nr < expect)
		alloc_ok(test, pool, m, SMALL_ORDER, PAGE_SIZE, 0, 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(pool, PAGE_SIZE, 0, 0, &offset), -EDQUOT);
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(pool, 16, 0, 0, &offset), -EDQUOT);
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(pool, 3 * SMALL_CHUNK, 0, 0, &offset), -EDQUOT);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->bytes_held, max_bytes);
	KUNIT_EXPECT_EQ(test, st->chunks, 4);
	KUNIT_EXPECT_EQ(test, st->chunk_fallbacks, 1);
	check_model(test, pool, m, max_bytes);

	/* A freed page is allocatable again. */
	offset = m->live[5].offset;
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, offset), 0);
	model_del(m, 5);
	KUNIT_EXPECT_EQ(test, alloc_ok(test, pool, m, SMALL_ORDER, PAGE_SIZE, 0, 0), offset);
	free_all(test, pool, m);
	check_model(test, pool, m, max_bytes);
}

static void pool_cap_is_lowered_never_raised(struct kunit *test)
{
	struct zcpool_pool *pool = new_pool(test, SMALL_ORDER, 4 * SMALL_CHUNK, 1);
	u64 offset;

	KUNIT_EXPECT_EQ(test, zcpool_pool_max_bytes(pool), 4 * SMALL_CHUNK);
	KUNIT_EXPECT_EQ(test, zcpool_pool_set_max_bytes(pool, 4 * SMALL_CHUNK + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_pool_set_max_bytes(pool, U64_MAX), -EINVAL);
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, 16, 0, 0, &offset), 0);
	/* One chunk is held now: the cap cannot go below it. */
	KUNIT_EXPECT_EQ(test, zcpool_pool_set_max_bytes(pool, SMALL_CHUNK - 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_pool_max_bytes(pool), 4 * SMALL_CHUNK);
	KUNIT_EXPECT_EQ(test, zcpool_pool_set_max_bytes(pool, SMALL_CHUNK), 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_max_bytes(pool), SMALL_CHUNK);
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(pool, SMALL_CHUNK, 0, 0, &offset), -EDQUOT);
	KUNIT_EXPECT_EQ(test, zcpool_pool_set_max_bytes(pool, 2 * SMALL_CHUNK), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_pool_max_bytes(pool), SMALL_CHUNK);
}

static void total_cap_stops_allocation_with_edquot(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;
	struct zcpool_pool *pool = new_pool(test, SMALL_ORDER, 0, 1);
	struct zcpool_pool_stats *st = new_stats(test);
	struct model *m;
	u64 offset;

	m = new_model(test, 2 * BIT(SMALL_ORDER));
	ctx->saved_total_max = zcpool_params.total_max_bytes;
	ctx->restore_total_max = true;
	WRITE_ONCE(zcpool_params.total_max_bytes, zcpool_pool_total_held() + 2 * SMALL_CHUNK);
	while (m->nr < 2 * BIT(SMALL_ORDER))
		alloc_ok(test, pool, m, SMALL_ORDER, PAGE_SIZE, 0, 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(pool, PAGE_SIZE, 0, 0, &offset), -EDQUOT);
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(pool, 2 * SMALL_CHUNK, 0, 0, &offset), -EDQUOT);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->bytes_held, 2 * SMALL_CHUNK);
	free_all(test, pool, m);
	check_model(test, pool, m, 2 * SMALL_CHUNK);
}

/*
 * At the module's total cap, what other pools hold idle (here two other
 * pools' reserve chunks) goes back before a pool is refused: it went back
 * only when the shrinker ran, and the pool got -EDQUOT meanwhile. The
 * asking pool gives back its own first, here a cached element whose chunk
 * stays in use: that alone makes no room, and must not end the give-back.
 * Only as much goes back as the request needs: one of the two reserves.
 */
static void the_total_cap_takes_back_other_pools_idle_memory(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;
	struct zcpool_pool_config cfg = {
		.chunk_order = SMALL_ORDER,
		.nr_arenas = 1,
		.max_run_pages = BIT(SMALL_ORDER),
	};
	struct zcpool_pool_stats *st = new_stats(test);
	struct zcpool_pool *busy, *idle, *idle2;
	u64 a, b, c, held, held2;

	idle = zcpool_pool_create(&cfg);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, idle);
	ctx->pool2 = idle;
	busy = new_pool(test, SMALL_ORDER, 0, 1);
	idle2 = zcpool_pool_create(&cfg);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, idle2);
	/* Emptied, their chunks stay as their arenas' reserves. */
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(idle, 16, 0, 0, &a), 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(idle, a), 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(idle2, 16, 0, 0, &a), 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(idle2, a), 0);
	/* The asking pool: one element live, one cached, in one chunk. */
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(busy, 16, 0, 0, &a), 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(busy, 16, 0, 0, &b), 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(busy, b), 0);

	ctx->saved_total_max = zcpool_params.total_max_bytes;
	ctx->restore_total_max = true;
	WRITE_ONCE(zcpool_params.total_max_bytes, zcpool_pool_total_held());
	/* A whole chunk's run needs a chunk: only a reserve can make room. */
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(busy, SMALL_CHUNK, 0, 0, &c), 0);
	zcpool_pool_stats(idle, st);
	held = st->bytes_held;
	zcpool_pool_stats(idle2, st);
	held2 = st->bytes_held;
	KUNIT_EXPECT_EQ(test, held + held2, SMALL_CHUNK);
	zcpool_pool_stats(busy, st);
	KUNIT_EXPECT_EQ(test, st->bytes_held, 2 * SMALL_CHUNK);
	KUNIT_EXPECT_EQ(test, st->live, 2);
	/* The other reserve goes for the next; then nothing idle is left. */
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(busy, SMALL_CHUNK, 0, 0, &b), 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(busy, SMALL_CHUNK, 0, 0, &a), -EDQUOT);
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(idle, 16, 0, 0, &a), -EDQUOT);
	zcpool_pool_stats(busy, st);
	KUNIT_EXPECT_EQ(test, st->bytes_held, 3 * SMALL_CHUNK);
	KUNIT_EXPECT_EQ(test, st->live, 3);
	zcpool_pool_stats(idle2, st);
	KUNIT_EXPECT_EQ(test, st->bytes_held, 0);
	zcpool_pool_destroy(idle2);
}

static void max_page_order_forces_smaller_chunks(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;
	/*
	 * Runs up to a chunk: with the default longest run (16 pages), the
	 * 17-page request below would be huge by its size alone, and the
	 * run's way down to a huge allocation would go untested.
	 */
	struct zcpool_pool_config cfg = {
		.chunk_order = MID_ORDER,
		.max_page_order = SMALL_ORDER,
		.max_run_pages = 1 << MID_ORDER,
		.nr_arenas = 1,
	};
	struct zcpool_pool_stats *st = new_stats(test);
	struct model *m;
	u64 offset;

	m = new_model(test, 8);
	ctx->pool = zcpool_pool_create(&cfg);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx->pool);
	alloc_ok(test, ctx->pool, m, MID_ORDER, 16, 0, 0);
	zcpool_pool_stats(ctx->pool, st);
	KUNIT_EXPECT_EQ(test, st->chunks, 1);
	KUNIT_EXPECT_EQ(test, st->chunk_fallbacks, 1);
	KUNIT_EXPECT_EQ(test, st->chunk_orders[SMALL_ORDER], 1);
	KUNIT_EXPECT_EQ(test, st->chunk_orders[MID_ORDER], 0);
	KUNIT_EXPECT_EQ(test, st->bytes_held, SMALL_CHUNK);
	/*
	 * A run as big as a fallback chunk still fits one; one page more
	 * needs a bigger block than the page allocator gives, and is served
	 * from smaller pages as a huge allocation instead.
	 */
	offset = alloc_ok(test, ctx->pool, m, MID_ORDER, SMALL_CHUNK, 0, 0);
	KUNIT_EXPECT_EQ(test, offset % MID_CHUNK, 0);
	KUNIT_EXPECT_TRUE(test, check_model(test, ctx->pool, m, 2 * SMALL_CHUNK));
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(ctx->pool, SMALL_CHUNK + 1, 0, 0, &offset), 0);
	KUNIT_EXPECT_EQ(test, offset % MID_CHUNK, 0);
	KUNIT_EXPECT_TRUE(test, fill(test, ctx->pool, offset, SMALL_CHUNK + 1, 0x5a));
	KUNIT_EXPECT_TRUE(test, holds(test, ctx->pool, offset, SMALL_CHUNK + 1, 0x5a));
	zcpool_pool_stats(ctx->pool, st);
	KUNIT_EXPECT_EQ(test, st->huge_live, 1);
	KUNIT_EXPECT_EQ(test, st->bytes_held, 2 * SMALL_CHUNK + SMALL_CHUNK + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(ctx->pool, offset), 0);
	free_all(test, ctx->pool, m);

	/* Below the smallest chunk nothing small can be served; huge still can. */
	cfg.max_page_order = ZCPOOL_CHUNK_MIN_ORDER - 1;
	ctx->pool2 = zcpool_pool_create(&cfg);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx->pool2);
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(ctx->pool2, 16, 0, 0, &offset), -ENOMEM);
	offset = alloc_ok(test, ctx->pool2, NULL, MID_ORDER, MID_CHUNK + 1, 0, 0);
	KUNIT_EXPECT_TRUE(test, fill(test, ctx->pool2, offset, MID_CHUNK + 1, 0x3c));
	KUNIT_EXPECT_TRUE(test, holds(test, ctx->pool2, offset, MID_CHUNK + 1, 0x3c));
	zcpool_pool_stats(ctx->pool2, st);
	KUNIT_EXPECT_EQ(test, st->chunks, 0);
	KUNIT_EXPECT_EQ(test, st->bytes_held, MID_CHUNK + PAGE_SIZE);
}

static void empty_chunks_drain_beyond_the_reserve(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;
	struct zcpool_pool *pool = new_pool(test, SMALL_ORDER, 0, 1);
	struct zcpool_pool_stats *st = new_stats(test);
	unsigned int i, released;
	struct model *m;

	/* Ten chunks of runs, then ten chunks' worth of 1 KiB elements. */
	m = new_model(test, 10 * BIT(SMALL_ORDER) * (PAGE_SIZE / 1024));
	for (i = 0; i < 10; i++)
		alloc_ok(test, pool, m, SMALL_ORDER, SMALL_CHUNK - PAGE_SIZE / 2, 0, 0);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->chunks, 10);
	free_all(test, pool, m);
	/* The per-CPU caches keep the last runs freed until drained. */
	zcpool_pool_drain_caches(pool);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->cached, 0);
	KUNIT_EXPECT_EQ(test, st->chunks, ZCPOOL_ARENA_EMPTY_RESERVE);
	KUNIT_EXPECT_EQ(test, st->bytes_held, ZCPOOL_ARENA_EMPTY_RESERVE * SMALL_CHUNK);
	released = atomic_read(&ctx->nr_released);
	KUNIT_EXPECT_EQ(test, released, 10 - ZCPOOL_ARENA_EMPTY_RESERVE);
	for (i = 0; i < min_t(unsigned int, released, ARRAY_SIZE(ctx->released)); i++) {
		KUNIT_EXPECT_EQ(test, ctx->released[i].size, SMALL_CHUNK);
		KUNIT_EXPECT_EQ(test, ctx->released[i].offset % SMALL_CHUNK, 0);
	}

	while (m->nr < m->cap)
		alloc_ok(test, pool, m, SMALL_ORDER, 1024, 0, 0);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->chunks, 10);
	check_model(test, pool, m, zcpool_params.pool_max_bytes);
	free_all(test, pool, m);
	zcpool_pool_drain_caches(pool);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->chunks, ZCPOOL_ARENA_EMPTY_RESERVE);
	KUNIT_EXPECT_EQ(test, st->bytes_held, ZCPOOL_ARENA_EMPTY_RESERVE * SMALL_CHUNK);
}

/*
 * Chunks on the usage lists, as counted by the stats: @empty, @q25, @q50
 * and @q100 on theirs, none on q000 and q075 (never used below).
 */
static void expect_usage(struct kunit *test, struct zcpool_pool *pool, const char *step,
			 u64 empty, u64 q25, u64 q50, u64 q100)
{
	struct zcpool_pool_stats *st = new_stats(test);
	u64 want[ZCPOOL_ARENA_NR_USAGE] = {
		[ZCPOOL_ARENA_EMPTY] = empty, [ZCPOOL_ARENA_Q025] = q25,
		[ZCPOOL_ARENA_Q050] = q50, [ZCPOOL_ARENA_Q100] = q100,
	};
	unsigned int i;

	zcpool_pool_stats(pool, st);
	for (i = 0; i < ZCPOOL_ARENA_NR_USAGE; i++)
		KUNIT_EXPECT_EQ_MSG(test, st->chunk_usage[i], want[i], "%s: list %u", step, i);
}

/*
 * Half-chunk runs (32 of 64 pages, too long for the per-CPU caches) move
 * chunks between the usage lists: up when they fill, down when they drain,
 * with the overlap that leaves two chunks at 50% on different lists; a new
 * run goes to the busier chunk; an empty chunk beyond the reserve leaves.
 */
static void chunks_move_between_usage_lists_and_drain(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;
	struct zcpool_pool *pool = new_pool(test, MID_ORDER, 0, 1);
	struct zcpool_pool_stats *st = new_stats(test);
	u64 half = MID_CHUNK / 2, r1, r2, r3, r4;

	KUNIT_ASSERT_LT(test, zcpool_cache_slot(-1, half / PAGE_SIZE), 0);
	r1 = alloc_ok(test, pool, NULL, MID_ORDER, half, 0, 0);
	expect_usage(test, pool, "one half", 0, 1, 0, 0);
	r2 = alloc_ok(test, pool, NULL, MID_ORDER, half, 0, 0);
	KUNIT_EXPECT_EQ(test, r2 / MID_CHUNK, r1 / MID_CHUNK);
	expect_usage(test, pool, "full", 0, 0, 0, 1);
	r3 = alloc_ok(test, pool, NULL, MID_ORDER, half, 0, 0);
	KUNIT_EXPECT_NE(test, r3 / MID_CHUNK, r1 / MID_CHUNK);
	expect_usage(test, pool, "second chunk", 0, 1, 0, 1);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->run_orders[MID_ORDER - 1], 3);
	KUNIT_EXPECT_EQ(test, st->chunk_orders[MID_ORDER], 2);

	/* Both at 50%: one came down (q050), one came up (q025). */
	KUNIT_ASSERT_EQ(test, zcpool_pool_free(pool, r1), 0);
	expect_usage(test, pool, "first drains", 0, 1, 1, 0);
	/* The busier list is scanned first: the first chunk takes it. */
	r4 = alloc_ok(test, pool, NULL, MID_ORDER, half, 0, 0);
	KUNIT_EXPECT_EQ(test, r4, r1);
	expect_usage(test, pool, "refilled", 0, 1, 0, 1);

	KUNIT_ASSERT_EQ(test, zcpool_pool_free(pool, r3), 0);
	expect_usage(test, pool, "second empty", 1, 0, 0, 1);
	KUNIT_ASSERT_EQ(test, zcpool_pool_free(pool, r2), 0);
	expect_usage(test, pool, "first half", 1, 0, 1, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->nr_released), 0);
	KUNIT_ASSERT_EQ(test, zcpool_pool_free(pool, r4), 0);
	/* Two empty chunks, a reserve of one: one goes back, through the hook. */
	expect_usage(test, pool, "drained", ZCPOOL_ARENA_EMPTY_RESERVE, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->nr_released), 2 - ZCPOOL_ARENA_EMPTY_RESERVE);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->run_orders[MID_ORDER - 1], 0);
	KUNIT_EXPECT_EQ(test, st->chunk_orders[MID_ORDER], ZCPOOL_ARENA_EMPTY_RESERVE);
	KUNIT_EXPECT_EQ(test, st->pages_returned, (2 - ZCPOOL_ARENA_EMPTY_RESERVE) << MID_ORDER);
	KUNIT_EXPECT_TRUE(test, check_held(test, st));
}

/*
 * Every class: allocate exactly one run's worth, which fills one run
 * element by element (the thread stays on one CPU, so refills come back in
 * order), free them in a random order, and the run's pages go back to the
 * tree: the chunk is empty again once the per-CPU cache is drained.
 */
static void every_class_fills_a_run_and_returns_it(struct kunit *test)
{
	struct zcpool_pool *pool = new_pool(test, MID_ORDER, 0, 1);
	struct zcpool_pool_stats *st = new_stats(test);
	unsigned int seed = get_seed(), cls, i, j, n;
	struct rnd_state rnd;
	u64 *offsets, size;

	kunit_info(test, "seed %u (replay: insmod zcpool_test.ko pool_seed=%u)", seed, seed);
	prandom_seed_state(&rnd, seed);
	offsets = kunit_kcalloc(test, ZCPOOL_SIZECLASS_MAX_ELEMS, sizeof(*offsets), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, offsets);
	for (cls = 0; cls < ZCPOOL_SIZECLASS_NR; cls++) {
		size = zcpool_sizeclass_size(cls);
		n = zcpool_sizeclass_nr_elems(cls);
		for (i = 0; i < n; i++) {
			offsets[i] = alloc_ok(test, pool, NULL, MID_ORDER, size, 0, 0);
			KUNIT_ASSERT_EQ_MSG(test, offsets[i], offsets[0] + i * size,
					    "class %u element %u", cls, i);
		}
		KUNIT_EXPECT_EQ(test, offset_in_page(offsets[0]), 0);
		zcpool_pool_stats(pool, st);
		/* One element per run: served as a page run of the run's pages. */
		KUNIT_EXPECT_EQ(test, st->class_live[cls], n == 1 ? 0 : n);
		KUNIT_EXPECT_EQ(test, st->runs_live, n == 1 ? 1 : 0);
		KUNIT_EXPECT_EQ(test, st->live, n);
		for (i = n - 1; i > 0; i--) {
			j = prandom_u32_state(&rnd) % (i + 1);
			swap(offsets[i], offsets[j]);
		}
		for (i = 0; i < n; i++)
			KUNIT_ASSERT_EQ(test, zcpool_pool_free(pool, offsets[i]), 0);
		zcpool_pool_drain_caches(pool);
		zcpool_pool_stats(pool, st);
		KUNIT_EXPECT_EQ_MSG(test, st->chunk_usage[ZCPOOL_ARENA_EMPTY], st->chunks,
				    "class %u", cls);
		KUNIT_EXPECT_EQ(test, st->class_live[cls], 0);
		KUNIT_EXPECT_EQ(test, st->live, 0);
		cond_resched();
	}
}

/*
 * A subpage run that empties stays attached for its class while its chunk
 * holds something else, up to ZCPOOL_ARENA_KEPT_RUNS_MAX of them; the
 * class's next allocation takes a kept run's element rather than new
 * pages; and once the chunk holds nothing else, the kept runs go and the
 * chunk drains as before.
 */
static void empty_runs_stay_while_their_chunk_holds_more(struct kunit *test)
{
	struct zcpool_pool *pool = new_pool(test, MID_ORDER, 0, 1);
	struct zcpool_pool_stats *st = new_stats(test);
	int cls = zcpool_sizeclass_index(1024);
	unsigned int n = zcpool_sizeclass_nr_elems(cls);
	unsigned int runs = ZCPOOL_ARENA_KEPT_RUNS_MAX + 2, i;
	u64 anchor, again, *offs;
	bool in_a_kept_run;

	/* One page of the chunk stays live: a page run. */
	anchor = alloc_ok(test, pool, NULL, MID_ORDER, PAGE_SIZE, 0, 0);
	offs = kunit_kcalloc(test, runs * n, sizeof(*offs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, offs);
	for (i = 0; i < runs * n; i++)
		offs[i] = alloc_ok(test, pool, NULL, MID_ORDER, 1024, 0, 0);
	for (i = 0; i < runs * n; i++)
		KUNIT_ASSERT_EQ(test, zcpool_pool_free(pool, offs[i]), 0);
	zcpool_pool_drain_caches(pool);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->kept_runs, ZCPOOL_ARENA_KEPT_RUNS_MAX);
	KUNIT_EXPECT_EQ(test, st->live, 1);
	KUNIT_EXPECT_EQ(test, st->class_live[cls], 0);

	again = alloc_ok(test, pool, NULL, MID_ORDER, 1024, 0, 0);
	in_a_kept_run = false;
	for (i = 0; i < runs * n; i++)
		in_a_kept_run |= again == offs[i];
	KUNIT_EXPECT_TRUE(test, in_a_kept_run);
	zcpool_pool_stats(pool, st);
	/* The refill of the per-CPU cache may take more than one run. */
	KUNIT_EXPECT_LT(test, st->kept_runs, ZCPOOL_ARENA_KEPT_RUNS_MAX);
	KUNIT_ASSERT_EQ(test, zcpool_pool_free(pool, again), 0);
	zcpool_pool_drain_caches(pool);

	/* The anchor goes: the chunk holds nothing else, and drains. */
	KUNIT_ASSERT_EQ(test, zcpool_pool_free(pool, anchor), 0);
	zcpool_pool_drain_caches(pool);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->kept_runs, 0);
	KUNIT_EXPECT_EQ(test, st->live, 0);
	KUNIT_EXPECT_EQ(test, st->chunk_usage[ZCPOOL_ARENA_EMPTY], st->chunks);
}

/*
 * The shrinker's release drops the kept runs too, leaving the pages they
 * held free in the chunk's tree.
 */
static void reclaim_drops_the_kept_runs(struct kunit *test)
{
	struct zcpool_pool *pool = new_pool(test, MID_ORDER, 0, 1);
	struct zcpool_pool_stats *st = new_stats(test);
	unsigned int n = zcpool_sizeclass_nr_elems(zcpool_sizeclass_index(1024)), i;
	u64 anchor, *offs;

	anchor = alloc_ok(test, pool, NULL, MID_ORDER, PAGE_SIZE, 0, 0);
	offs = kunit_kcalloc(test, 2 * n, sizeof(*offs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, offs);
	for (i = 0; i < 2 * n; i++)
		offs[i] = alloc_ok(test, pool, NULL, MID_ORDER, 1024, 0, 0);
	for (i = 0; i < 2 * n; i++)
		KUNIT_ASSERT_EQ(test, zcpool_pool_free(pool, offs[i]), 0);
	zcpool_pool_drain_caches(pool);
	zcpool_pool_stats(pool, st);
	/* Refills of the per-CPU cache may have cut into a third run. */
	KUNIT_EXPECT_GE(test, st->kept_runs, 2);
	zcpool_pool_reclaim(pool);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->kept_runs, 0);
	KUNIT_EXPECT_EQ(test, st->live, 1);
	/* The anchor's page is all the chunk's tree still has out. */
	KUNIT_EXPECT_EQ(test, st->chunk_usage[ZCPOOL_ARENA_Q000], 1);
	KUNIT_EXPECT_EQ(test, st->runs_live, 1);
	KUNIT_ASSERT_EQ(test, zcpool_pool_free(pool, anchor), 0);
}

/*
 * A class whose run holds one element is served as a page run of that
 * run's pages (the same memory, no run descriptor), counted as a run; in a
 * pool whose runs are shorter than the class's run it stays an element.
 */
static void one_element_classes_are_page_runs(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;
	struct zcpool_pool *pool = new_pool(test, MID_ORDER, 0, 1);
	struct zcpool_pool_stats *st = new_stats(test);
	unsigned int cls, pages, seen = 0;
	struct page *page;
	u64 size, offset;

	for (cls = 0; cls < ZCPOOL_SIZECLASS_NR; cls++) {
		if (zcpool_sizeclass_nr_elems(cls) != 1)
			continue;
		seen++;
		size = zcpool_sizeclass_size(cls) - 1;
		pages = zcpool_sizeclass_run_pages(cls);
		offset = alloc_ok(test, pool, NULL, MID_ORDER, size, 0, 0);
		KUNIT_EXPECT_EQ(test, offset_in_page(offset), 0);
		zcpool_pool_stats(pool, st);
		KUNIT_EXPECT_EQ_MSG(test, st->runs_live, 1, "class %u", cls);
		KUNIT_EXPECT_EQ(test, st->run_orders[order_base_2(pages)], 1);
		KUNIT_EXPECT_EQ(test, st->class_live[cls], 0);
		KUNIT_EXPECT_EQ(test, st->bytes_requested, size);
		KUNIT_EXPECT_TRUE(test, fill(test, pool, offset, size, 0x3c));
		page = zcpool_pool_page(pool, offset + ((u64)pages << PAGE_SHIFT));
		KUNIT_EXPECT_NULL_MSG(test, page, "class %u: a page past its run", cls);
		if (page)
			put_page(page);
		KUNIT_ASSERT_EQ(test, zcpool_pool_free(pool, offset), 0);
	}
	/* 3.5 to 4 KiB, 7 to 8 KiB and others: the table has such classes. */
	KUNIT_EXPECT_GE(test, seen, 6);
	zcpool_pool_destroy(pool);
	ctx->pool = NULL;

	/* Runs of one page. */
	pool = new_mid_pool(test, 1, false);
	cls = zcpool_sizeclass_index(2 * PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, zcpool_sizeclass_nr_elems(cls), 1);
	offset = alloc_ok(test, pool, NULL, MID_ORDER, 2 * PAGE_SIZE, 0, 0);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->class_live[cls], 1);
	KUNIT_EXPECT_EQ(test, st->runs_live, 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, offset), 0);
	offset = alloc_ok(test, pool, NULL, MID_ORDER, PAGE_SIZE, 0, 0);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->class_live[zcpool_sizeclass_index(PAGE_SIZE)], 0);
	KUNIT_EXPECT_EQ(test, st->runs_live, 1);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, offset), 0);
}

/* Whether an allocation of @size at @align is huge; freed again. */
static bool alloc_is_huge(struct kunit *test, struct zcpool_pool *pool, u64 size, u64 align)
{
	struct zcpool_pool_stats *st = new_stats(test);
	u64 offset;

	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, size, align, 0, &offset), 0);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, offset), 0);
	return st->huge_live == 1;
}

/* Pools whose runs are shorter than, as long as and longer than the largest class's. */
static const unsigned int huge_bound_run_pages[] = {
	1, ZCPOOL_SIZECLASS_RUN_MAX_PAGES, 2 * ZCPOOL_SIZECLASS_RUN_MAX_PAGES, BIT(MID_ORDER),
};

static void run_pages_desc(const unsigned int *pages, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "max_run_pages %u", *pages);
}

KUNIT_ARRAY_PARAM(huge_bound, huge_bound_run_pages, run_pages_desc);

/*
 * A request is huge past both the longest run and the largest size class,
 * at any alignment (one test on the allocation path), and below that only
 * when its alignment takes a longer run than the pool may carve.
 */
static void huge_past_the_longest_run_and_the_largest_class(struct kunit *test)
{
	unsigned int run_pages = *(const unsigned int *)test->param_value;
	u64 bound = max_t(u64, (u64)run_pages << PAGE_SHIFT, ZCPOOL_SIZECLASS_MAX_SIZE);
	u64 align = (u64)roundup_pow_of_two(run_pages) << PAGE_SHIFT;
	struct zcpool_pool *pool = new_mid_pool(test, run_pages, false);

	KUNIT_EXPECT_FALSE(test, alloc_is_huge(test, pool, bound, 0));
	KUNIT_EXPECT_FALSE(test, alloc_is_huge(test, pool, bound, PAGE_SIZE));
	KUNIT_EXPECT_TRUE(test, alloc_is_huge(test, pool, bound + 1, 0));
	KUNIT_EXPECT_TRUE(test, alloc_is_huge(test, pool, bound + 1, PAGE_SIZE));
	KUNIT_EXPECT_TRUE(test, alloc_is_huge(test, pool, MID_CHUNK + 1, 0));
	/* A page at an alignment of N pages takes a run of N / 2 + 1. */
	KUNIT_EXPECT_FALSE(test, alloc_is_huge(test, pool, PAGE_SIZE, align));
	if (2 * align <= MID_CHUNK)
		KUNIT_EXPECT_TRUE(test, alloc_is_huge(test, pool, PAGE_SIZE, 2 * align));
}

static void huge_allocations_take_contiguous_slots(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;
	struct zcpool_pool *pool = new_pool(test, SMALL_ORDER, 0, 1);
	u64 size = 3 * SMALL_CHUNK + SMALL_CHUNK / 2 + 1, pages = DIV_ROUND_UP(size, PAGE_SIZE);
	u64 small, a, b;
	struct zcpool_pool_stats *st = new_stats(test);
	struct model *m;

	m = new_model(test, 4);
	small = alloc_ok(test, pool, m, SMALL_ORDER, 64, 0, 0);
	a = alloc_ok(test, pool, m, SMALL_ORDER, size, 0, 0);
	b = alloc_ok(test, pool, m, SMALL_ORDER, SMALL_CHUNK + 1, 0, 0);
	KUNIT_EXPECT_EQ(test, a % SMALL_CHUNK, 0);
	KUNIT_EXPECT_EQ(test, b % SMALL_CHUNK, 0);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->bytes_held,
			SMALL_CHUNK + (pages + BIT(SMALL_ORDER) + 1) * PAGE_SIZE);
	KUNIT_ASSERT_TRUE(test, check_model(test, pool, m, zcpool_params.pool_max_bytes));

	KUNIT_ASSERT_TRUE(test, fill(test, pool, a, size, 0x77));
	KUNIT_ASSERT_TRUE(test, fill(test, pool, b, SMALL_CHUNK + 1, 0x88));
	KUNIT_EXPECT_TRUE(test, holds(test, pool, a, size, 0x77));
	KUNIT_EXPECT_TRUE(test, holds(test, pool, b, SMALL_CHUNK + 1, 0x88));
	/* Past the last page, inside the last slot: nothing there. */
	KUNIT_EXPECT_NULL(test, zcpool_pool_page(pool, a + pages * PAGE_SIZE));

	atomic_set(&ctx->nr_released, 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, a), 0);
	model_del(m, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->nr_released), 1);
	KUNIT_EXPECT_EQ(test, ctx->released[0].offset, a);
	KUNIT_EXPECT_EQ(test, ctx->released[0].size, pages * PAGE_SIZE);
	KUNIT_EXPECT_NULL(test, zcpool_pool_page(pool, a));
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, a), -EINVAL);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->bytes_held, SMALL_CHUNK + (BIT(SMALL_ORDER) + 1) * PAGE_SIZE);
	check_model(test, pool, m, zcpool_params.pool_max_bytes);
	/* Its slots can be reused. */
	alloc_ok(test, pool, m, SMALL_ORDER, 3 * SMALL_CHUNK, 0, 0);
	check_model(test, pool, m, zcpool_params.pool_max_bytes);
	free_all(test, pool, m);
	KUNIT_EXPECT_NULL(test, zcpool_pool_page(pool, small));
}

/*
 * The pages zcpool_pool_pages() gives, called as the fault handler calls
 * it (again after a short answer, from the page it stopped before), are
 * the ones zcpool_pool_page() gives page by page up to the first page with
 * no live data: from every page of a random mix of elements, page runs and
 * huge allocations, a random third of them freed again; and one call's
 * pages start the same row.
 */
#define PAGES_ALLOCS	48
#define PAGES_MAX	16

static unsigned int pages_by_page(struct zcpool_pool *pool, u64 offset, struct page **pages)
{
	unsigned int nr;

	for (nr = 0; nr < PAGES_MAX; nr++) {
		pages[nr] = zcpool_pool_page(pool, offset + nr * PAGE_SIZE);
		if (!pages[nr])
			break;
	}
	return nr;
}

static void put_pages(struct page **pages, unsigned int nr)
{
	while (nr--)
		put_page(pages[nr]);
}

static void pool_pages_match_page_by_page(struct kunit *test)
{
	static const u64 sizes[] = { 16, 200, 512, 3000, PAGE_SIZE, 3 * PAGE_SIZE,
				     9 * PAGE_SIZE + 5, 40 * PAGE_SIZE, 70 * PAGE_SIZE };
	struct page *want[PAGES_MAX], *got[PAGES_MAX], *one[PAGES_MAX];
	unsigned int seed = get_seed(), i, j, n, nr, max, bad = 0, short_live = 0;
	u64 *offs, *lens, off, end, spans;
	bool *freed;
	struct rnd_state rnd;
	struct zcpool_pool *pool;

	kunit_info(test, "seed %u (replay: insmod zcpool_test.ko pool_seed=%u)", seed, seed);
	prandom_seed_state(&rnd, seed);
	offs = kunit_kcalloc(test, PAGES_ALLOCS, sizeof(*offs), GFP_KERNEL);
	lens = kunit_kcalloc(test, PAGES_ALLOCS, sizeof(*lens), GFP_KERNEL);
	freed = kunit_kcalloc(test, PAGES_ALLOCS, sizeof(*freed), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, offs);
	KUNIT_ASSERT_NOT_NULL(test, lens);
	KUNIT_ASSERT_NOT_NULL(test, freed);
	pool = new_mid_pool(test, 0, false);

	for (i = 0; i < PAGES_ALLOCS; i++) {
		lens[i] = sizes[prandom_u32_state(&rnd) % ARRAY_SIZE(sizes)];
		KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, lens[i], 0, 0, &offs[i]), 0);
	}
	for (i = 0; i < PAGES_ALLOCS; i++) {
		if (prandom_u32_state(&rnd) % 3)
			continue;
		KUNIT_ASSERT_EQ(test, zcpool_pool_free(pool, offs[i]), 0);
		freed[i] = true;
	}

	/* From each page of every allocation, freed or not, and a page past it. */
	for (i = 0; i < PAGES_ALLOCS; i++) {
		end = round_up(offs[i] + lens[i], PAGE_SIZE) + PAGE_SIZE;
		for (off = round_down(offs[i], PAGE_SIZE); off < end; off += PAGE_SIZE) {
			n = pages_by_page(pool, off, want);
			for (nr = 0; nr < PAGES_MAX; nr += j) {
				j = zcpool_pool_pages(pool, off + nr * PAGE_SIZE, &got[nr],
						      PAGES_MAX - nr);
				if (!j)
					break;
			}
			max = 1 + prandom_u32_state(&rnd) % PAGES_MAX;
			j = zcpool_pool_pages(pool, off, one, max);
			if (nr != n || memcmp(got, want, n * sizeof(*got)) ||
			    j > min(n, max) || (n && !j) || memcmp(one, want, j * sizeof(*one)))
				bad++;
			/* Not only alike: a live allocation's pages are all there. */
			spans = DIV_ROUND_UP(offset_in_page(offs[i]) + lens[i], PAGE_SIZE);
			if (!freed[i] && off == round_down(offs[i], PAGE_SIZE) &&
			    n < min_t(u64, spans, PAGES_MAX))
				short_live++;
			put_pages(want, n);
			put_pages(got, nr);
			put_pages(one, j);
		}
	}
	KUNIT_EXPECT_EQ(test, bad, 0);
	KUNIT_EXPECT_EQ_MSG(test, short_live, 0, "live allocations whose pages were not all found");
}

/*
 * With keep_spares, a freed huge allocation leaves user mappings at once
 * but keeps its pages as a spare: the next huge allocation that fits takes
 * it in place, the pages past its size go back, its bytes stay unless
 * ZCPOOL_ALLOC_ZERO asks; reclaim gives every spare back.
 */
/* A pool of MID_ORDER chunks that keeps spares, its releases recorded in the test's ctx. */
static struct zcpool_pool *new_spares_pool(struct kunit *test)
{
	return new_mid_pool(test, 0, true);
}

/* A pool of MID_ORDER chunks and one arena that keeps spares, with no hooks. */
static struct zcpool_pool *new_bare_spares_pool(struct kunit *test)
{
	struct zcpool_pool_config cfg = {
		.chunk_order = MID_ORDER,
		.nr_arenas = 1,
		.keep_spares = true,
	};

	return create_pool(test, &cfg);
}

static void spares_serve_huge_allocations_that_fit(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;
	struct zcpool_pool_stats *st = new_stats(test);
	u64 big = 40 * PAGE_SIZE, a, b, c, size;
	struct zcpool_pool *pool;

	pool = new_spares_pool(test);

	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, big, 0, 0, &a), 0);
	KUNIT_ASSERT_TRUE(test, fill(test, pool, a, big, 0x5c));
	atomic_set(&ctx->nr_released, 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free_held(pool, a, &size), 0);
	KUNIT_EXPECT_EQ(test, size, big);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->nr_released), 1);
	KUNIT_EXPECT_EQ(test, ctx->released[0].offset, a);
	KUNIT_EXPECT_EQ(test, ctx->released[0].size, big);
	KUNIT_EXPECT_NULL(test, zcpool_pool_page(pool, a));
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, a), -EINVAL);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->huge_live, 0);
	KUNIT_EXPECT_EQ(test, st->spares, 1);
	KUNIT_EXPECT_EQ(test, st->bytes_spare, big);
	KUNIT_EXPECT_EQ(test, st->bytes_held, big);
	KUNIT_EXPECT_EQ(test, zcpool_pool_reclaimable(pool), 40);

	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, 30 * PAGE_SIZE, 0, 0, &b), 0);
	KUNIT_EXPECT_EQ(test, b, a);
	KUNIT_EXPECT_TRUE(test, holds(test, pool, b, 30 * PAGE_SIZE, 0x5c));
	KUNIT_EXPECT_NULL(test, zcpool_pool_page(pool, b + 30 * PAGE_SIZE));
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, 0);
	KUNIT_EXPECT_EQ(test, st->bytes_held, 30 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, st->pages_taken, 40);
	KUNIT_EXPECT_EQ(test, st->pages_returned, 10);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, b), 0);

	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, 20 * PAGE_SIZE, 0, ZCPOOL_ALLOC_ZERO, &c), 0);
	KUNIT_EXPECT_EQ(test, c, a);
	KUNIT_EXPECT_TRUE(test, holds(test, pool, c, 20 * PAGE_SIZE, 0));
	/* Larger than every spare: new pages, in new slots. */
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, big, 0, 0, &b), 0);
	KUNIT_EXPECT_NE(test, b, a);
	KUNIT_EXPECT_TRUE(test, holds(test, pool, b, big, 0));
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, b), 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, c), 0);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, 2);
	KUNIT_EXPECT_EQ(test, st->bytes_held, 60 * PAGE_SIZE);

	KUNIT_EXPECT_EQ(test, zcpool_pool_reclaim(pool), 60);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, 0);
	KUNIT_EXPECT_EQ(test, st->bytes_held, 0);
	KUNIT_EXPECT_EQ(test, st->pages_taken, st->pages_returned);

	/* Out of the window too: nothing found there, and the slots taken again. */
	KUNIT_EXPECT_NULL(test, zcpool_pool_page(pool, b));
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, b), -EINVAL);
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, big, 0, 0, &c), 0);
	KUNIT_EXPECT_EQ(test, c, a);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, c), 0);
}

/*
 * A pool with a mapped hook: while it says that nothing maps the pool, a
 * huge allocation freed (alone, or taken and put away as a batch free
 * does) becomes a spare without the release hook, and is reused with its
 * bytes; while it says something may, each one leaves the mappings first,
 * as without the hook. A free refused changes nothing either way.
 */
static void huge_frees_skip_the_release_when_unmapped(struct kunit *test)
{
	struct zcpool_pool_config cfg = mid_pool_config(test, 0, true);
	struct zcpool_pool_stats *st = new_stats(test);
	struct pool_ctx *ctx = test->priv;
	u64 big = 40 * PAGE_SIZE, offs[2], a, size;
	struct zcpool_pool_taken taken[2];
	struct zcpool_pool *pool;
	unsigned int done;
	bool mapped;
	int round;

	cfg.mapped = record_mapped;
	pool = create_pool(test, &cfg);
	for (round = 0; round < 4; round++) {
		mapped = round & 1;
		WRITE_ONCE(ctx->mapped, mapped);
		atomic_set(&ctx->nr_released, 0);
		KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, big, 0, 0, &a), 0);
		KUNIT_ASSERT_TRUE(test, fill(test, pool, a, big, 0x40 + round));
		KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, a + PAGE_SIZE), -EINVAL);
		KUNIT_EXPECT_EQ(test, zcpool_pool_free_held(pool, a, &size), 0);
		KUNIT_EXPECT_EQ(test, size, big);
		KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, a), -EINVAL);
		KUNIT_EXPECT_EQ(test, atomic_read(&ctx->nr_released), mapped);
		if (mapped) {
			KUNIT_EXPECT_EQ(test, ctx->released[0].offset, a);
			KUNIT_EXPECT_EQ(test, ctx->released[0].size, big);
		}
		KUNIT_EXPECT_NULL(test, zcpool_pool_page(pool, a));
		zcpool_pool_stats(pool, st);
		KUNIT_EXPECT_EQ(test, st->huge_live, 0);
		KUNIT_EXPECT_EQ(test, st->spares, 1);

		/* Two at once, as FREE_BATCH takes and puts them. */
		atomic_set(&ctx->nr_released, 0);
		KUNIT_ASSERT_EQ(test, zcpool_pool_alloc_bulk(pool, big, 0, 0, offs, 2), 2);
		KUNIT_EXPECT_TRUE(test, offs[0] == a || offs[1] == a);
		KUNIT_EXPECT_TRUE(test, holds(test, pool, a, big, 0x40 + round));
		KUNIT_ASSERT_EQ(test, zcpool_pool_take_many(pool, offs, 2, taken, &done), 0);
		KUNIT_EXPECT_EQ(test, done, 2);
		zcpool_pool_put_taken(pool, taken, done);
		KUNIT_EXPECT_EQ(test, atomic_read(&ctx->nr_released), mapped ? 2 : 0);
		zcpool_pool_stats(pool, st);
		KUNIT_EXPECT_EQ(test, st->huge_live, 0);
		KUNIT_EXPECT_EQ(test, st->spares, 2);
		KUNIT_EXPECT_EQ(test, zcpool_pool_reclaim(pool), 80);
	}
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->bytes_held, 0);
	KUNIT_EXPECT_EQ(test, st->pages_taken, st->pages_returned);
}

/*
 * A spare of exactly the pages asked for, with no clearing asked, becomes
 * the new allocation in the same lock hold that finds it: same offset,
 * same bytes, counted with the new size; with ZCPOOL_ALLOC_ZERO it is
 * cleared first, as any other spare.
 */
static void an_exact_spare_is_live_at_once(struct kunit *test)
{
	struct zcpool_pool_stats *st = new_stats(test);
	u64 big = 40 * PAGE_SIZE, less = big - 100, a, b, size;
	struct zcpool_pool *pool;

	pool = new_bare_spares_pool(test);

	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, big, 0, 0, &a), 0);
	KUNIT_ASSERT_TRUE(test, fill(test, pool, a, big, 0xa7));
	KUNIT_ASSERT_EQ(test, zcpool_pool_free(pool, a), 0);

	/* The same 40 pages for 100 bytes less. */
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, less, 0, 0, &b), 0);
	KUNIT_EXPECT_EQ(test, b, a);
	KUNIT_EXPECT_TRUE(test, holds(test, pool, b, less, 0xa7));
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, 0);
	KUNIT_EXPECT_EQ(test, st->huge_live, 1);
	KUNIT_EXPECT_EQ(test, st->bytes_requested, less);
	KUNIT_EXPECT_EQ(test, st->bytes_held, big);
	KUNIT_EXPECT_EQ(test, st->pages_taken, 40);
	KUNIT_EXPECT_EQ(test, st->pages_returned, 0);
	/* It held its 40 pages: what a zap of its free must cover. */
	KUNIT_EXPECT_EQ(test, zcpool_pool_free_held(pool, b, &size), 0);
	KUNIT_EXPECT_EQ(test, size, big);

	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, big, 0, ZCPOOL_ALLOC_ZERO, &b), 0);
	KUNIT_EXPECT_EQ(test, b, a);
	KUNIT_EXPECT_TRUE(test, holds(test, pool, b, big, 0));
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->bytes_requested, big);
	KUNIT_EXPECT_EQ(test, st->pages_taken, 40);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, b), 0);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->huge_live, 0);
	KUNIT_EXPECT_EQ(test, st->bytes_requested, 0);
}

/* Whether @offset is one of the @n in @set. */
static bool offset_in(u64 offset, const u64 *set, unsigned int n)
{
	while (n--)
		if (set[n] == offset)
			return true;
	return false;
}

/*
 * Huge allocations move through bulk calls and taken batches a stretch at
 * a time: taken together (a bad offset among them stops the take, the
 * lock let go), put away together (each leaves user mappings first, in
 * order), then a bulk call takes the spares of its exact size together,
 * their bytes kept, and the rest one at a time: new pages past the
 * spares, a larger spare cut down, a spare cleared for ZCPOOL_ALLOC_ZERO.
 * A small allocation among huge ones is taken and put away in its shape.
 */
#define HUGE_STRETCH	20

static void huge_stretches_move_together(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;
	const unsigned int more = HUGE_STRETCH + 4;
	struct zcpool_pool_stats *st = new_stats(test);
	u64 big = 40 * PAGE_SIZE, *first, *offs, again[3], small, pages_taken, pages_returned;
	struct zcpool_pool_taken *taken;
	struct zcpool_pool *pool;
	unsigned int i, done;

	first = kunit_kcalloc(test, HUGE_STRETCH, sizeof(*first), GFP_KERNEL);
	offs = kunit_kcalloc(test, more + 1, sizeof(*offs), GFP_KERNEL);
	taken = kunit_kcalloc(test, more + 1, sizeof(*taken), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, first);
	KUNIT_ASSERT_NOT_NULL(test, offs);
	KUNIT_ASSERT_NOT_NULL(test, taken);
	pool = new_spares_pool(test);

	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc_bulk(pool, big, 0, 0, first, HUGE_STRETCH),
			HUGE_STRETCH);
	for (i = 0; i < HUGE_STRETCH; i++)
		KUNIT_ASSERT_TRUE(test, fill(test, pool, first[i], big, 0x10 + i));
	memcpy(offs, first, HUGE_STRETCH * sizeof(*offs));
	/* A repeat stops the take there: those before it are taken, then untaken. */
	offs[5] = offs[3];
	KUNIT_EXPECT_EQ(test, zcpool_pool_take_many(pool, offs, 8, taken, &done), -EINVAL);
	KUNIT_EXPECT_EQ(test, done, 5);
	zcpool_pool_untake(pool, taken, done);
	offs[5] = first[5];
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->huge_live, HUGE_STRETCH);

	atomic_set(&ctx->nr_released, 0);
	KUNIT_ASSERT_EQ(test, zcpool_pool_take_many(pool, offs, HUGE_STRETCH, taken, &done), 0);
	KUNIT_EXPECT_EQ(test, done, HUGE_STRETCH);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->nr_released), 0);
	zcpool_pool_put_taken(pool, taken, done);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->nr_released), HUGE_STRETCH);
	for (i = 0; i < HUGE_STRETCH; i++) {
		KUNIT_EXPECT_EQ(test, ctx->released[i].offset, first[i]);
		KUNIT_EXPECT_EQ(test, ctx->released[i].size, big);
		KUNIT_EXPECT_NULL(test, zcpool_pool_page(pool, first[i]));
	}
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->huge_live, 0);
	KUNIT_EXPECT_EQ(test, st->spares, HUGE_STRETCH);
	KUNIT_EXPECT_EQ(test, st->bytes_spare, HUGE_STRETCH * big);

	/* The spares first, as they were; then new pages. */
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc_bulk(pool, big, 0, 0, offs, more), more);
	for (i = 0; i < more; i++) {
		KUNIT_EXPECT_EQ_MSG(test, offset_in(offs[i], first, HUGE_STRETCH),
				    i < HUGE_STRETCH, "allocation %u", i);
		if (i >= HUGE_STRETCH)
			KUNIT_EXPECT_TRUE(test, holds(test, pool, offs[i], big, 0));
	}
	for (i = 0; i < HUGE_STRETCH; i++)
		KUNIT_EXPECT_TRUE(test, holds(test, pool, first[i], big, 0x10 + i));
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->huge_live, more);
	KUNIT_EXPECT_EQ(test, st->spares, 0);
	KUNIT_EXPECT_EQ(test, st->pages_taken, more * 40);
	KUNIT_EXPECT_EQ(test, st->bytes_requested, more * big);

	/* A small one among them goes its own way. */
	small = alloc_ok(test, pool, NULL, MID_ORDER, 100, 0, 0);
	offs[more] = offs[0];
	offs[0] = small;
	KUNIT_ASSERT_EQ(test, zcpool_pool_take_many(pool, offs, more + 1, taken, &done), 0);
	KUNIT_EXPECT_NULL(test, taken[0].huge);
	zcpool_pool_put_taken(pool, taken, done);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->live, 0);
	KUNIT_EXPECT_EQ(test, st->spares, more);
	/* The small one's chunk counts too. */
	pages_taken = st->pages_taken;
	pages_returned = st->pages_returned;

	/* Cleared when asked, still the spares. */
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc_bulk(pool, big, 0, ZCPOOL_ALLOC_ZERO, again, 3), 3);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_TRUE(test, offset_in(again[i], &offs[1], more));
		KUNIT_EXPECT_TRUE(test, holds(test, pool, again[i], big, 0));
	}
	KUNIT_EXPECT_EQ(test, zcpool_pool_free_bulk(pool, again, 3), 3);
	/* A page less: no spare fits exactly, the best one is cut down. */
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc_bulk(pool, big - PAGE_SIZE, 0, 0, again, 3), 3);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_TRUE(test, offset_in(again[i], &offs[1], more));
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->pages_taken, pages_taken);
	KUNIT_EXPECT_EQ(test, st->pages_returned, pages_returned + 3);
	KUNIT_EXPECT_EQ(test, st->spares, more - 3);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free_bulk(pool, again, 3), 3);
	expect_drained_and_empty(test, pool, st);
}

/*
 * The spares follow the recent peak of live huge pages, counted in epochs
 * of allocations: a batch freed all at once stays whole for the next
 * batch, however many frees it took; once the live peak has been lower for
 * two epochs of allocations, what it came down from goes back.
 */
#define PEAK_BATCH	24

static void spares_follow_the_live_peak(struct kunit *test)
{
	struct zcpool_pool_stats *st = new_stats(test);
	u64 one = 20 * PAGE_SIZE, other = 21 * PAGE_SIZE, taken, off;
	struct zcpool_pool *pool;
	u64 *offs;
	int round, i;

	offs = kunit_kcalloc(test, PEAK_BATCH, sizeof(*offs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, offs);
	pool = new_bare_spares_pool(test);

	for (round = 0; round < 2; round++) {
		for (i = 0; i < PEAK_BATCH; i++)
			KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, one, 0, 0, &offs[i]), 0);
		zcpool_pool_stats(pool, st);
		KUNIT_EXPECT_EQ(test, st->spares, 0);
		KUNIT_EXPECT_EQ(test, st->pages_taken, PEAK_BATCH * 20);
		for (i = 0; i < PEAK_BATCH; i++)
			KUNIT_ASSERT_EQ(test, zcpool_pool_free(pool, offs[i]), 0);
		zcpool_pool_stats(pool, st);
		KUNIT_EXPECT_EQ(test, st->spares, PEAK_BATCH);
		KUNIT_EXPECT_EQ(test, st->bytes_spare, PEAK_BATCH * one);
	}

	/*
	 * Too big for those spares: the first takes new pages, the rest
	 * reuse its spare, the live peak is one of them. Two epochs of 8
	 * allocations (pool.c's POOL_SPARE_EPOCH_ALLOCS) and one more.
	 */
	zcpool_pool_stats(pool, st);
	taken = st->pages_taken;
	for (i = 0; i < 2 * 8 + 1; i++) {
		KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, other, 0, 0, &off), 0);
		KUNIT_ASSERT_EQ(test, zcpool_pool_free(pool, off), 0);
	}
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, 1);
	KUNIT_EXPECT_EQ(test, st->bytes_spare, other);
	KUNIT_EXPECT_EQ(test, st->bytes_held, other);
	KUNIT_EXPECT_EQ(test, st->pages_taken, taken + 21);
}

/* A spares-keeping pool, and the batches of two online CPUs a and b in it. */
struct two_cpus {
	struct zcpool_pool *pool;
	struct cpu_batch a, b;
};

static struct two_cpus *two_cpus_setup(struct kunit *test, u64 size_a, u64 size_b)
{
	unsigned int cpu_a = cpumask_first(cpu_online_mask);
	unsigned int cpu_b = cpumask_next(cpu_a, cpu_online_mask);
	struct two_cpus *t;

	if (cpu_b >= nr_cpu_ids)
		kunit_skip(test, "needs two online CPUs");
	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	t->pool = new_bare_spares_pool(test);
	t->a = (struct cpu_batch){ .pool = t->pool, .cpu = cpu_a, .size = size_a, .n = 8 };
	t->b = (struct cpu_batch){ .pool = t->pool, .cpu = cpu_b, .size = size_b, .n = 8 };
	return t;
}

/*
 * CPU a allocates and frees its buffers, @rounds times. Each round ends a
 * pool epoch, whose end looks at the next CPU: 2 * num_possible_cpus() + 2
 * rounds look at every CPU twice.
 */
/*
 * The spares of a CPU that made no huge call for a second (the pool's
 * POOL_SPARE_IDLE_JIFFIES) go back: a case whose other CPU must not be
 * idle yet proves nothing when its steps since @start took that long (a
 * slow machine, a host that stalled the VM). Skipped, as inconclusive.
 */
static void spares_check_not_idle(struct kunit *test, unsigned long start)
{
	if (time_after_eq(jiffies, start + HZ))
		kunit_skip(test, "inconclusive: the steps took %u ms, the idle time of a CPU",
			   jiffies_to_msecs(jiffies - start));
}

static void cycle_cpu_a(struct kunit *test, struct two_cpus *t, unsigned int rounds)
{
	while (rounds--) {
		KUNIT_ASSERT_EQ(test, cpu_batch(&t->a, true), 0);
		KUNIT_ASSERT_EQ(test, cpu_batch(&t->a, false), 0);
	}
}

/*
 * Two CPUs each cycle 8 huge buffers of their own. CPU b frees its 8 and
 * rests while CPU a cycles its 8 three times: the pool's live peak falls
 * to 8 for more than two epochs, and b's spares would go back to the page
 * allocator. b's own peak is still 8 (it made no allocation since), so
 * they stay, and b's next 8 take them instead of new pages.
 */
static void spares_follow_each_cpus_peak(struct kunit *test)
{
	struct zcpool_pool_stats *st = new_stats(test);
	struct two_cpus *t = two_cpus_setup(test, 20 * PAGE_SIZE, 20 * PAGE_SIZE);
	unsigned long start;
	int round;

	KUNIT_ASSERT_EQ(test, cpu_batch(&t->a, true), 0);
	KUNIT_ASSERT_EQ(test, cpu_batch(&t->b, true), 0);
	KUNIT_ASSERT_EQ(test, cpu_batch(&t->b, false), 0);
	start = jiffies;
	for (round = 0; round < 3; round++) {
		KUNIT_ASSERT_EQ(test, cpu_batch(&t->a, false), 0);
		KUNIT_ASSERT_EQ(test, cpu_batch(&t->a, true), 0);
	}
	spares_check_not_idle(test, start);
	zcpool_pool_stats(t->pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, 8);
	KUNIT_EXPECT_EQ(test, st->pages_returned, 0);

	KUNIT_ASSERT_EQ(test, cpu_batch(&t->b, true), 0);
	zcpool_pool_stats(t->pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, 0);
	KUNIT_EXPECT_EQ(test, st->huge_live, 16);
	KUNIT_EXPECT_EQ(test, st->pages_taken, 16 * 20);
	KUNIT_EXPECT_EQ(test, st->pages_returned, 0);

	KUNIT_EXPECT_EQ(test, cpu_batch(&t->a, false), 0);
	KUNIT_EXPECT_EQ(test, cpu_batch(&t->b, false), 0);
	zcpool_pool_stats(t->pool, st);
	KUNIT_EXPECT_EQ(test, st->huge_live, 0);
	KUNIT_EXPECT_EQ(test, st->bytes_requested, 0);
}

/*
 * A CPU taking a batch of 24 back from the spares keeps the spares it has
 * still to take while another CPU frees: its epoch lasts as many bytes as
 * the peak before, so its share remembers the 24. With epochs of 8
 * allocations, a's share forgot its peak at its 16th allocation, b's
 * frees trimmed the budget to b's own 8, and a's last 8 spares went back
 * to the page allocator, to be taken again.
 */
static void a_batch_keeps_its_spares_while_another_cpu_frees(struct kunit *test)
{
	struct zcpool_pool_stats *st = new_stats(test);
	u64 one = 20 * PAGE_SIZE, other = 21 * PAGE_SIZE;
	struct two_cpus *t = two_cpus_setup(test, one, other);
	u64 taken;

	/* b's are too big to take a's spares. */
	KUNIT_ASSERT_EQ(test, cpu_batch(&t->b, true), 0);
	t->a.n = 24;
	KUNIT_ASSERT_EQ(test, cpu_batch(&t->a, true), 0);
	KUNIT_ASSERT_EQ(test, cpu_batch(&t->a, false), 0);
	zcpool_pool_stats(t->pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, 24);
	taken = st->pages_taken;
	KUNIT_EXPECT_EQ(test, taken, 8 * 21 + 24 * 20);

	t->a.n = 16;
	KUNIT_ASSERT_EQ(test, cpu_batch(&t->a, true), 0);
	KUNIT_ASSERT_EQ(test, cpu_batch(&t->b, false), 0);
	zcpool_pool_stats(t->pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, 16);
	KUNIT_EXPECT_EQ(test, st->pages_returned, 0);

	t->a.first = 16;
	t->a.n = 8;
	KUNIT_ASSERT_EQ(test, cpu_batch(&t->a, true), 0);
	zcpool_pool_stats(t->pool, st);
	KUNIT_EXPECT_EQ(test, st->pages_taken, taken);
	KUNIT_EXPECT_EQ(test, st->huge_live, 24);

	t->a.first = 0;
	t->a.n = 24;
	KUNIT_EXPECT_EQ(test, cpu_batch(&t->a, false), 0);
	zcpool_pool_stats(t->pool, st);
	KUNIT_EXPECT_EQ(test, st->huge_live, 0);
	KUNIT_EXPECT_EQ(test, st->bytes_requested, 0);
}

/*
 * A CPU that stops allocating does not keep its share's budget: CPU b
 * frees its 8 and stays idle for a second while CPU a cycles 8 buffers of
 * another size, never a second apart. The ends of the pool's epochs look
 * at one CPU each in turn, drop b's slack, and b's 8 spares go back to the
 * page allocator; a's own 8 stay.
 */
static void an_idle_cpus_spares_go_back(struct kunit *test)
{
	struct zcpool_pool_stats *st = new_stats(test);
	u64 one = 20 * PAGE_SIZE, other = 21 * PAGE_SIZE;
	struct two_cpus *t = two_cpus_setup(test, other, one);
	unsigned long idle_until;

	KUNIT_ASSERT_EQ(test, cpu_batch(&t->b, true), 0);
	KUNIT_ASSERT_EQ(test, cpu_batch(&t->b, false), 0);
	/* Idle for a second (pool.c's POOL_SPARE_IDLE_JIFFIES), the pool not. */
	idle_until = jiffies + msecs_to_jiffies(1100);
	while (time_before(jiffies, idle_until)) {
		cycle_cpu_a(test, t, 1);
		msleep(50);
	}
	cycle_cpu_a(test, t, 2 * num_possible_cpus() + 2);
	zcpool_pool_stats(t->pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, 8);
	KUNIT_EXPECT_EQ(test, st->bytes_spare, 8 * other);
	KUNIT_EXPECT_EQ(test, st->pages_returned, 8 * 20);
	KUNIT_EXPECT_EQ(test, st->pages_taken, 8 * 20 + 8 * 21);
}

/*
 * A pause of the whole pool makes no CPU idle: both CPUs free their 8,
 * nothing happens for a second, then CPU a cycles its 8 for as many pool
 * epochs as it takes to look at every CPU twice before CPU b is back. b's
 * 8 spares are still there and its batch takes them: no page comes from
 * the page allocator again and none went back.
 */
static void a_paused_pool_keeps_every_cpus_spares(struct kunit *test)
{
	struct zcpool_pool_stats *st = new_stats(test);
	u64 one = 20 * PAGE_SIZE, other = 21 * PAGE_SIZE;
	struct two_cpus *t = two_cpus_setup(test, other, one);
	unsigned long start;

	KUNIT_ASSERT_EQ(test, cpu_batch(&t->a, true), 0);
	KUNIT_ASSERT_EQ(test, cpu_batch(&t->b, true), 0);
	KUNIT_ASSERT_EQ(test, cpu_batch(&t->a, false), 0);
	KUNIT_ASSERT_EQ(test, cpu_batch(&t->b, false), 0);
	msleep(1100);
	start = jiffies;
	cycle_cpu_a(test, t, 2 * num_possible_cpus() + 2);
	spares_check_not_idle(test, start);
	zcpool_pool_stats(t->pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, 16);
	KUNIT_EXPECT_EQ(test, st->pages_returned, 0);
	KUNIT_ASSERT_EQ(test, cpu_batch(&t->b, true), 0);
	zcpool_pool_stats(t->pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, 8);
	KUNIT_EXPECT_EQ(test, st->pages_taken, 8 * 20 + 8 * 21);
	KUNIT_ASSERT_EQ(test, cpu_batch(&t->b, false), 0);
}

/*
 * A CPU's magazine of huge allocations. With no spare on the list, the
 * frees of one CPU fill it and its allocations of that length take them
 * back, without the huge lock and with no new pages. It holds up to 8 of
 * one length: of 10 frees, 2 become spares, and the 10 allocations after
 * take all back. It holds at most 8 MiB: two buffers of a third of that
 * and a page, not three. A reclaim empties it with the spares. The case
 * pins its thread to one CPU (its own kthread, gone at its end): a
 * magazine is that CPU's.
 */
#define MAG_FILL	10

/* Allocate @n of @size into @offs, then free them in the same order. */
static void alloc_then_free(struct kunit *test, struct zcpool_pool *pool, u64 size, u64 *offs,
			    unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, size, 0, 0, &offs[i]), 0);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, offs[i]), 0);
}

/* Allocate @n of @size into @again, each one of the @n freed at @offs. */
static void alloc_back(struct kunit *test, struct zcpool_pool *pool, u64 size, u64 *again,
		       const u64 *offs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, size, 0, 0, &again[i]), 0);
		KUNIT_EXPECT_TRUE(test, offset_in(again[i], offs, n));
	}
}

static void a_cpus_magazine_holds_eight_of_one_length(struct kunit *test)
{
	unsigned long mag_pages = SZ_8M >> PAGE_SHIFT;
	u64 one = 20 * PAGE_SIZE, long_one = (mag_pages / 3 + 1) * PAGE_SIZE;
	struct zcpool_pool_stats *st = new_stats(test);
	u64 offs[MAG_FILL], again[MAG_FILL];
	struct zcpool_pool *pool;
	unsigned int i;

	if (8 * 20 > mag_pages)
		kunit_skip(test, "needs 8 buffers of 20 pages in 8 MiB");
	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(raw_smp_processor_id())),
			0);
	pool = new_bare_spares_pool(test);

	/* 8: all in the magazine, the list empty; taken back without the lock. */
	alloc_then_free(test, pool, one, offs, 8);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, 8);
	KUNIT_EXPECT_EQ(test, st->spares_cpu, 8);
	alloc_back(test, pool, one, again, offs, 8);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, 0);
	KUNIT_EXPECT_EQ(test, st->huge_live, 8);
	KUNIT_EXPECT_EQ(test, st->pages_taken, 8 * 20);
	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, again[i]), 0);

	/* 10: 8 in the magazine, 2 on the list, all taken back. */
	alloc_then_free(test, pool, one, offs, MAG_FILL);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, MAG_FILL);
	KUNIT_EXPECT_EQ(test, st->spares_cpu, 8);
	KUNIT_EXPECT_EQ(test, st->bytes_spare, MAG_FILL * one);
	KUNIT_EXPECT_EQ(test, st->huge_live, 0);

	alloc_back(test, pool, one, again, offs, MAG_FILL);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, 0);
	KUNIT_EXPECT_EQ(test, st->spares_cpu, 0);
	KUNIT_EXPECT_EQ(test, st->huge_live, MAG_FILL);
	KUNIT_EXPECT_EQ(test, st->pages_taken, MAG_FILL * 20);
	KUNIT_EXPECT_EQ(test, st->bytes_requested, MAG_FILL * one);
	for (i = 0; i < MAG_FILL; i++)
		KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, again[i]), 0);

	alloc_then_free(test, pool, long_one, offs, 3);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->spares_cpu, 2);
	KUNIT_EXPECT_GE(test, st->spares, 3);

	KUNIT_EXPECT_EQ(test, zcpool_pool_reclaim(pool), st->bytes_spare >> PAGE_SHIFT);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, 0);
	KUNIT_EXPECT_EQ(test, st->spares_cpu, 0);
	KUNIT_EXPECT_EQ(test, st->bytes_held, 0);
	KUNIT_EXPECT_EQ(test, st->pages_taken, st->pages_returned);
}

/*
 * A huge allocation freed by two threads at once, on two CPUs, is freed
 * once: the frees claim it with an atomic exchange, no lock shared. Each
 * round, HUGE_RACE_NR allocations (more than a magazine holds) are freed
 * by both threads, which start together and free in the same order, so
 * that they meet on every one: each must be freed by exactly one, the
 * other told -EINVAL. The next round takes them back from both CPUs'
 * magazines and the spares: no new pages after the first.
 */
#define HUGE_RACE_NR		12
#define HUGE_RACE_ROUNDS	100

struct huge_race {
	struct zcpool_pool *pool;
	u64 offs[HUGE_RACE_NR];
	atomic_t freed[HUGE_RACE_NR];
	atomic_t started;	/* threads at the start line */
	atomic_t odd;		/* frees that returned neither 0 nor -EINVAL */
};

struct huge_racer {
	struct huge_race *race;
	struct completion done;
};

static int huge_racer_fn(void *arg)
{
	struct huge_racer *r = arg;
	unsigned int i;
	int ret;

	/* Each on a CPU of its own: the other arrives while this one spins. */
	atomic_inc(&r->race->started);
	while (atomic_read(&r->race->started) < 2)
		cpu_relax();
	for (i = 0; i < HUGE_RACE_NR; i++) {
		ret = zcpool_pool_free(r->race->pool, r->race->offs[i]);
		if (!ret)
			atomic_inc(&r->race->freed[i]);
		else if (ret != -EINVAL)
			atomic_inc(&r->race->odd);
	}
	kthread_complete_and_exit(&r->done, 0);
}

static void two_cpus_free_each_huge_allocation_once(struct kunit *test)
{
	unsigned int cpu_a = cpumask_first(cpu_online_mask);
	unsigned int cpu_b = cpumask_next(cpu_a, cpu_online_mask);
	struct zcpool_pool_stats *st = new_stats(test);
	struct huge_racer racers[2] = {};
	struct task_struct *tasks[2];
	unsigned int round, i, twice = 0, never = 0;
	struct huge_race *race;

	if (cpu_b >= nr_cpu_ids)
		kunit_skip(test, "needs two online CPUs");
	race = kunit_kzalloc(test, sizeof(*race), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, race);
	race->pool = new_bare_spares_pool(test);
	for (round = 0; round < HUGE_RACE_ROUNDS; round++) {
		for (i = 0; i < HUGE_RACE_NR; i++) {
			KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(race->pool, 20 * PAGE_SIZE, 0, 0,
								&race->offs[i]), 0);
			atomic_set(&race->freed[i], 0);
		}
		atomic_set(&race->started, 0);
		for (i = 0; i < 2; i++) {
			racers[i].race = race;
			init_completion(&racers[i].done);
			tasks[i] = kthread_create(huge_racer_fn, &racers[i],
						  "zcpool-kunit/free%u", i);
		}
		/* Stopped before it was ever woken, a thread ends without running. */
		if (IS_ERR(tasks[0]) != IS_ERR(tasks[1]))
			kthread_stop(IS_ERR(tasks[0]) ? tasks[1] : tasks[0]);
		KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(tasks[0]) || IS_ERR(tasks[1]), "no thread");
		kthread_bind(tasks[0], cpu_a);
		kthread_bind(tasks[1], cpu_b);
		wake_up_process(tasks[0]);
		wake_up_process(tasks[1]);
		wait_for_completion(&racers[0].done);
		wait_for_completion(&racers[1].done);
		for (i = 0; i < HUGE_RACE_NR; i++) {
			twice += atomic_read(&race->freed[i]) > 1;
			never += !atomic_read(&race->freed[i]);
		}
	}
	KUNIT_EXPECT_EQ_MSG(test, twice, 0, "allocations freed twice");
	KUNIT_EXPECT_EQ_MSG(test, never, 0, "allocations not freed");
	KUNIT_EXPECT_EQ(test, atomic_read(&race->odd), 0);
	zcpool_pool_stats(race->pool, st);
	KUNIT_EXPECT_EQ(test, st->huge_live, 0);
	KUNIT_EXPECT_EQ(test, st->bytes_requested, 0);
	KUNIT_EXPECT_EQ(test, st->allocs, HUGE_RACE_ROUNDS * HUGE_RACE_NR);
	KUNIT_EXPECT_EQ(test, st->frees, HUGE_RACE_ROUNDS * HUGE_RACE_NR);
	KUNIT_EXPECT_EQ(test, st->bytes_spare, st->bytes_held);
	kunit_info(test, "%u rounds: %llu pages taken for %u live at most",
		   HUGE_RACE_ROUNDS, st->pages_taken, HUGE_RACE_NR * 20);
	/* Taken back round after round, not made anew (a slack of one round). */
	KUNIT_EXPECT_LE(test, st->pages_taken, 2 * HUGE_RACE_NR * 20);
	zcpool_pool_reclaim(race->pool);
	zcpool_pool_stats(race->pool, st);
	KUNIT_EXPECT_EQ(test, st->bytes_held, 0);
	KUNIT_EXPECT_EQ(test, st->pages_taken, st->pages_returned);
}

/*
 * A pool of MID_ORDER chunks keeping spares, capped at @max_bytes, whose one
 * allocation, of 60 pages (huge), was freed and is its spare.
 */
static struct zcpool_pool *new_pool_with_a_spare(struct kunit *test, u64 max_bytes)
{
	struct zcpool_pool_config cfg = {
		.chunk_order = MID_ORDER,
		.max_bytes = max_bytes,
		.nr_arenas = 1,
		.keep_spares = true,
	};
	struct zcpool_pool_stats *st = new_stats(test);
	struct zcpool_pool *pool = create_pool(test, &cfg);
	u64 a;

	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, 60 * PAGE_SIZE, 0, 0, &a), 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, a), 0);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->bytes_spare, 60 * PAGE_SIZE);
	return pool;
}

/*
 * At the cap, spares go back before a chunk would fail with -EDQUOT.
 */
static void spares_yield_to_the_cap(struct kunit *test)
{
	struct zcpool_pool *pool = new_pool_with_a_spare(test, 64 * PAGE_SIZE);
	struct zcpool_pool_stats *st = new_stats(test);
	u64 b;

	/* 60 pages spare + a chunk of any order > the cap: the spare makes room. */
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, 64, 0, 0, &b), 0);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, 0);
	KUNIT_EXPECT_LE(test, st->bytes_held, 64 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, b), 0);
}

/*
 * A huge allocation that no spare fits and the cap refuses beside them: the
 * spares go back to the page allocator and it is made again, in the cap.
 */
static void spares_yield_to_a_huge_allocation(struct kunit *test)
{
	struct zcpool_pool *pool = new_pool_with_a_spare(test, 100 * PAGE_SIZE);
	struct zcpool_pool_stats *st = new_stats(test);
	u64 a, b;

	/* 70 pages: no spare is that long, and 60 + 70 pages pass the cap. */
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, 70 * PAGE_SIZE, 0, 0, &b), 0);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, 0);
	KUNIT_EXPECT_EQ(test, st->huge_live, 1);
	KUNIT_EXPECT_EQ(test, st->bytes_held, 70 * PAGE_SIZE);
	KUNIT_EXPECT_TRUE(test, fill(test, pool, b, 70 * PAGE_SIZE, 0x69));
	KUNIT_EXPECT_TRUE(test, holds(test, pool, b, 70 * PAGE_SIZE, 0x69));
	/* With nothing to give back, the cap refuses. */
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(pool, 31 * PAGE_SIZE, 0, 0, &a), -EDQUOT);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->huge_live, 1);
	KUNIT_EXPECT_EQ(test, st->bytes_held, 70 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, b), 0);
}

/*
 * A run too long for the per-CPU caches drains them before the pool grows;
 * when the new chunk then hits the cap, the spares still go back first.
 */
static void spares_yield_to_an_uncached_run(struct kunit *test)
{
	u64 huge = MID_CHUNK + PAGE_SIZE, run = 32 * PAGE_SIZE, a, b;
	struct zcpool_pool_config cfg = {
		.chunk_order = MID_ORDER,
		.max_run_pages = 1 << MID_ORDER,
		.max_bytes = huge + 16 * PAGE_SIZE,
		.nr_arenas = 1,
		.keep_spares = true,
	};
	struct zcpool_pool_stats *st = new_stats(test);
	struct zcpool_pool *pool;

	pool = create_pool(test, &cfg);

	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, huge, 0, 0, &a), 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, a), 0);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->bytes_spare, huge);
	/* No chunk of 32 pages or more fits beside the spare under the cap. */
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, run, 0, 0, &b), 0);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, 0);
	KUNIT_EXPECT_EQ(test, st->runs_live, 1);
	KUNIT_EXPECT_LE(test, st->bytes_held, cfg.max_bytes);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, b), 0);
}

/*
 * By default a chunk serves runs up to ZCPOOL_POOL_DEFAULT_RUN_PAGES pages;
 * a longer one is huge: exactly its pages, at the start of a slot.
 */
static void long_runs_are_huge_by_default(struct kunit *test)
{
	struct zcpool_pool_config cfg = { .chunk_order = MID_ORDER, .nr_arenas = 1 };
	u64 run = ZCPOOL_POOL_DEFAULT_RUN_PAGES * PAGE_SIZE, a, b;
	struct zcpool_pool_stats *st = new_stats(test);
	struct zcpool_pool *pool;

	pool = create_pool(test, &cfg);
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, run, 0, 0, &a), 0);
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, run + 1, 0, 0, &b), 0);
	KUNIT_EXPECT_EQ(test, b % MID_CHUNK, 0);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->runs_live, 1);
	KUNIT_EXPECT_EQ(test, st->huge_live, 1);
	KUNIT_EXPECT_EQ(test, st->chunks, 1);
	KUNIT_EXPECT_EQ(test, st->bytes_held, MID_CHUNK + run + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, b), 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, a), 0);
	/* Without keep_spares, the huge allocation went back when freed. */
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, 0);
	KUNIT_EXPECT_EQ(test, st->bytes_held, MID_CHUNK);
}

/*
 * With the shortest chunks, the default run length is the chunk's pages:
 * the pool is made, a run of a chunk comes from one, a page more is huge.
 */
static void shortest_chunks_cap_the_default_runs(struct kunit *test)
{
	struct zcpool_pool_config cfg = { .chunk_order = ZCPOOL_CHUNK_MIN_ORDER, .nr_arenas = 1 };
	u64 chunk = PAGE_SIZE << ZCPOOL_CHUNK_MIN_ORDER, a, b;
	struct zcpool_pool_stats *st = new_stats(test);
	struct zcpool_pool *pool;

	pool = create_pool(test, &cfg);
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, chunk, 0, 0, &a), 0);
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, chunk + PAGE_SIZE, 0, 0, &b), 0);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->runs_live, 1);
	KUNIT_EXPECT_EQ(test, st->huge_live, 1);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, b), 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, a), 0);
}

/*
 * A pool at its cap gives back its arenas' empty chunks, the reserve
 * too, before it refuses: with one empty chunk kept against churn and
 * nothing live, a huge allocation of a chunk and a half fits under a cap
 * of two chunks once the reserve is gone.
 */
static void a_pool_at_its_cap_gives_back_its_reserve(struct kunit *test)
{
	struct zcpool_pool_config cfg = {
		.chunk_order = MID_ORDER,
		.nr_arenas = 1,
		.max_bytes = 2 * MID_CHUNK,
	};
	struct zcpool_pool_stats *st = new_stats(test);
	u64 big = MID_CHUNK + MID_CHUNK / 2, a;
	struct zcpool_pool *pool;

	pool = create_pool(test, &cfg);
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc(pool, 64, 0, 0, &a), 0);
	KUNIT_ASSERT_EQ(test, zcpool_pool_free(pool, a), 0);
	zcpool_pool_drain_caches(pool);
	zcpool_pool_stats(pool, st);
	KUNIT_ASSERT_EQ(test, st->live, 0);
	KUNIT_ASSERT_EQ(test, st->chunks, 1);
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc(pool, big, 0, 0, &a), 0);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->huge_live, 1);
	KUNIT_EXPECT_EQ(test, st->chunks, 0);
	KUNIT_EXPECT_LE(test, st->bytes_held, cfg.max_bytes);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, a), 0);
}

/* --- bulk ---------------------------------------------------------------- */

static void bulk_alloc_is_all_or_nothing(struct kunit *test)
{
	struct zcpool_pool *pool = new_pool(test, SMALL_ORDER, 2 * SMALL_CHUNK, 1);
	struct zcpool_pool_stats *st = new_stats(test);
	unsigned int i, n = 100;
	struct model *m;
	u64 *offsets;

	offsets = kunit_kcalloc(test, n, sizeof(*offsets), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, offsets);
	m = new_model(test, n);
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc_bulk(pool, 100, 0, 0, offsets, 0), 0);
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc_bulk(pool, 100, 0, 0, offsets, n), n);
	for (i = 0; i < n; i++)
		model_add(m, offsets[i], 100, zcpool_sizeclass_index(100), 0);
	KUNIT_EXPECT_TRUE(test, check_model(test, pool, m, 2 * SMALL_CHUNK));
	free_all(test, pool, m);

	/* The third chunk-sized run cannot fit the cap: the first two go back. */
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc_bulk(pool, SMALL_CHUNK, 0, 0, offsets, 3),
			-EDQUOT);
	KUNIT_EXPECT_EQ(test, zcpool_pool_alloc_bulk(pool, 16, 7, 0, offsets, 3), -EINVAL);
	zcpool_pool_drain_caches(pool);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->live, 0);
	KUNIT_EXPECT_EQ(test, st->bytes_requested, 0);
	KUNIT_EXPECT_EQ(test, st->allocs, 102);
	KUNIT_EXPECT_LE(test, st->bytes_held, ZCPOOL_ARENA_EMPTY_RESERVE * SMALL_CHUNK);
}

static void bulk_free_stops_at_the_first_bad_offset(struct kunit *test)
{
	struct zcpool_pool *pool = new_pool(test, SMALL_ORDER, 0, 1);
	struct zcpool_pool_stats *st = new_stats(test);
	u64 offsets[12];

	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc_bulk(pool, 300, 0, 0, offsets, 10), 10);
	offsets[10] = offsets[3];	/* a repeat: a double free by then */
	offsets[11] = offsets[9];
	KUNIT_EXPECT_EQ(test, zcpool_pool_free_bulk(pool, offsets, 12), 10);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->live, 0);

	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc_bulk(pool, 300, 0, 0, offsets, 4), 4);
	offsets[1] += 16;	/* inside an element */
	KUNIT_EXPECT_EQ(test, zcpool_pool_free_bulk(pool, offsets, 4), 1);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->live, 3);
	offsets[1] -= 16;
	KUNIT_EXPECT_EQ(test, zcpool_pool_free_bulk(pool, &offsets[1], 3), 3);
	KUNIT_EXPECT_EQ(test, zcpool_pool_free_bulk(pool, offsets, 0), 0);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->live, 0);
	KUNIT_EXPECT_EQ(test, st->bytes_requested, 0);
}

/*
 * Bulk calls move allocations through the magazine and the arena a batch
 * at a time: more than a batch and more than a magazine of classes and
 * runs (cached and not), and huge ones; ZERO clears what the previous
 * round dirtied; a free of mixed shapes stops at a double free, and the
 * allocations claimed before it are all put away.
 */
#define BULK_MAX	100

/* Bulk-allocate @n of @size, check them, bulk-free them. */
static void bulk_round(struct kunit *test, struct zcpool_pool *pool, struct model *m,
		       u64 *offsets, u64 size, unsigned int n, bool zero)
{
	int kind = expected_kind(size, 0, MID_ORDER);
	unsigned int i;

	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc_bulk(pool, size, 0, zero ? ZCPOOL_ALLOC_ZERO : 0,
						     offsets, n), n);
	for (i = 0; i < n; i++) {
		model_add(m, offsets[i], size, kind, 0);
		if (zero)
			KUNIT_EXPECT_TRUE(test, holds(test, pool, offsets[i], size, 0));
		else
			KUNIT_EXPECT_TRUE(test, fill(test, pool, offsets[i], size, 0xa5));
	}
	KUNIT_EXPECT_TRUE(test, check_model(test, pool, m, U64_MAX));
	KUNIT_EXPECT_EQ(test, zcpool_pool_free_bulk(pool, offsets, n), n);
	while (m->nr)
		model_del(m, m->nr - 1);
	KUNIT_EXPECT_TRUE(test, check_model(test, pool, m, U64_MAX));
}

static void bulk_calls_move_batches_of_every_shape(struct kunit *test)
{
	static const struct {
		u64 size;
		unsigned int n;
	} shapes[] = {
		{ 64, BULK_MAX }, { 1000, BULK_MAX }, { 3 * PAGE_SIZE, 40 },
		{ 20 * PAGE_SIZE, 40 }, { MID_CHUNK + 1, 3 },
	};
	struct zcpool_pool *pool = new_pool(test, MID_ORDER, 0, 1);
	struct zcpool_pool_stats *st = new_stats(test);
	struct model *m = new_model(test, BULK_MAX);
	u64 *offsets, saved, requested;
	unsigned int s, i;

	offsets = kunit_kcalloc(test, BULK_MAX, sizeof(*offsets), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, offsets);
	/* The second round reuses what the first dirtied, and asks for zeroes. */
	for (s = 0; s < ARRAY_SIZE(shapes); s++) {
		bulk_round(test, pool, m, offsets, shapes[s].size, shapes[s].n, false);
		bulk_round(test, pool, m, offsets, shapes[s].size, shapes[s].n, true);
	}

	/*
	 * Every shape in turn in one call: each claim counted in the right
	 * shape's counters, the first one's and each change of shape's too.
	 */
	zcpool_pool_stats(pool, st);
	KUNIT_ASSERT_EQ(test, st->live, 0);
	for (i = 0; i < 10; i++)
		offsets[i] = alloc_ok(test, pool, NULL, MID_ORDER,
				      shapes[i % ARRAY_SIZE(shapes)].size, 0, 0);
	saved = offsets[5];
	offsets[5] = offsets[1];	/* freed by then: a double free */
	KUNIT_EXPECT_EQ(test, zcpool_pool_free_bulk(pool, offsets, 10), 5);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->live, 5);
	requested = 0;
	for (s = 0; s < ARRAY_SIZE(shapes); s++)
		requested += shapes[s].size;
	KUNIT_EXPECT_EQ(test, st->bytes_requested, requested);
	KUNIT_EXPECT_EQ(test, st->class_live[zcpool_sizeclass_index(64)], 1);
	KUNIT_EXPECT_EQ(test, st->class_live[zcpool_sizeclass_index(1000)], 1);
	offsets[5] = saved;
	KUNIT_EXPECT_EQ(test, zcpool_pool_free_bulk(pool, &offsets[5], 5), 5);
	KUNIT_EXPECT_TRUE(test, check_model(test, pool, m, U64_MAX));
	zcpool_pool_drain_caches(pool);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->live, 0);
	KUNIT_EXPECT_EQ(test, st->bytes_requested, 0);
	KUNIT_EXPECT_EQ(test, st->class_live[zcpool_sizeclass_index(64)], 0);
	KUNIT_EXPECT_EQ(test, st->class_live[zcpool_sizeclass_index(1000)], 0);
	KUNIT_EXPECT_EQ(test, st->cached, 0);
	KUNIT_EXPECT_EQ(test, st->arena_live, 0);
}

/*
 * Allocate BLOCK_RUNS of @size in one bulk call and free them in
 * stretches: whole blocks, parts of blocks, across blocks and backwards.
 * Each goes back once, the ones still live keep their bytes, and the
 * counters agree.
 */
#define BLOCK_RUNS	64

static void free_in_stretches(struct kunit *test, struct zcpool_pool *pool, u64 size)
{
	/* Stretches of the allocations' indices, in the order they are freed; -1 ends. */
	static const int stretches[][2] = {
		{ 0, 6 }, { 6, 7 }, { 8, 24 }, { 32, 31 }, { 31, 30 }, { 30, 29 },
		{ 29, 28 }, { 28, 27 }, { 27, 26 }, { 26, 25 }, { 25, 24 }, { 32, 64 },
		{ 7, 8 }, { -1, -1 },
	};
	struct zcpool_pool_stats *st = new_stats(test);
	unsigned int k, i, n, first, live;
	bool freed[BLOCK_RUNS];
	u64 *offsets;

	offsets = kunit_kcalloc(test, BLOCK_RUNS, sizeof(*offsets), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, offsets);
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc_bulk(pool, size, 0, 0, offsets, BLOCK_RUNS),
			BLOCK_RUNS);
	for (i = 0; i < BLOCK_RUNS; i++) {
		KUNIT_ASSERT_TRUE(test, fill(test, pool, offsets[i], size, i));
		freed[i] = false;
	}
	live = BLOCK_RUNS;
	for (k = 0; stretches[k][0] >= 0; k++) {
		/* A stretch backwards is one allocation, freed alone. */
		first = min(stretches[k][0], stretches[k][1]);
		n = abs(stretches[k][1] - stretches[k][0]);
		KUNIT_ASSERT_EQ(test, zcpool_pool_free_bulk(pool, &offsets[first], n), n);
		for (i = first; i < first + n; i++)
			freed[i] = true;
		live -= n;
		for (i = 0; i < BLOCK_RUNS; i++) {
			if (freed[i])
				continue;
			KUNIT_EXPECT_TRUE(test, holds(test, pool, offsets[i], size, i));
		}
		zcpool_pool_stats(pool, st);
		KUNIT_EXPECT_EQ(test, st->live, live);
		KUNIT_EXPECT_TRUE(test, check_held(test, st));
	}
	KUNIT_EXPECT_EQ(test, live, 0);
	/* Each went back once: a second free of any is refused. */
	for (i = 0; i < BLOCK_RUNS; i++)
		KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, offsets[i]), -EINVAL);
	expect_drained_and_empty(test, pool, st);
}

/*
 * A stretch of elements given back to the arena stops at one it refuses
 * (the same element twice, one still handed out) and goes on after it:
 * the arena refuses exactly those, frees the rest once, and the element
 * still handed out keeps its bytes and can still be freed.
 */
static void arena_refuses_elements_inside_a_stretch(struct kunit *test)
{
	struct zcpool_pool *pool = new_pool(test, 8, 0, 1);
	struct zcpool_pool_stats *st = new_stats(test);
	struct zcpool_arena_obj objs[8];
	struct zcpool_pool_taken *taken;
	struct zcpool_chunk *chunk;
	unsigned int done, i;
	LIST_HEAD(release);
	u64 offsets[8];

	taken = kunit_kcalloc(test, 6, sizeof(*taken), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, taken);
	KUNIT_ASSERT_EQ(test, zcpool_pool_alloc_bulk(pool, 64, 0, 0, offsets, 8), 8);
	KUNIT_ASSERT_TRUE(test, fill(test, pool, offsets[6], 64, 0x6c));
	KUNIT_ASSERT_EQ(test, zcpool_pool_take_many(pool, offsets, 6, taken, &done), 0);
	KUNIT_ASSERT_EQ(test, done, 6);
	chunk = taken[0].obj.chunk;
	for (i = 0; i < 6; i++)
		KUNIT_ASSERT_PTR_EQ(test, taken[i].obj.chunk, chunk);

	objs[0] = taken[0].obj;
	objs[1] = taken[1].obj;
	objs[2] = taken[1].obj;		/* twice */
	objs[3] = taken[2].obj;
	objs[4] = (struct zcpool_arena_obj){ .chunk = chunk, .off = offsets[6] - chunk->base };
	objs[5] = taken[3].obj;
	objs[6] = taken[4].obj;
	objs[7] = taken[5].obj;
	KUNIT_EXPECT_EQ(test, zcpool_arena_free_objs(objs, 8, &release), 2);
	KUNIT_EXPECT_TRUE(test, list_empty(&release));

	KUNIT_EXPECT_TRUE(test, holds(test, pool, offsets[6], 64, 0x6c));
	for (i = 6; i < 8; i++)
		KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, offsets[i]), 0);
	/* Every element went back to its run once: nothing is left allocated. */
	expect_drained_and_empty(test, pool, st);
}

/*
 * Runs allocated side by side go back to the arena in blocks when a bulk
 * free gives them back in their order (arena_put_back_block()).
 */
static void bulk_free_gives_runs_back_in_blocks(struct kunit *test)
{
	static const unsigned int run_pages[] = { 1, 2, 3, 8 };
	struct zcpool_pool *pool = new_pool(test, 8, 0, 1);
	unsigned int r;

	for (r = 0; r < ARRAY_SIZE(run_pages); r++)
		free_in_stretches(test, pool, (u64)run_pages[r] * PAGE_SIZE);
}

/*
 * Elements allocated together go back to the arena a run at a time
 * (arena_free_elems()): stretches inside one run, across runs, ending on
 * the element that empties a run, and elements alone. Sizes whose runs
 * hold fewer elements than a bulk call takes make it cross runs.
 */
static void bulk_free_gives_elements_back_by_run(struct kunit *test)
{
	static const u64 sizes[] = { 16, 64, 1000, 2000, 3000 };
	struct zcpool_pool *pool = new_pool(test, 8, 0, 1);
	unsigned int s;

	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		KUNIT_ASSERT_GE(test, zcpool_sizeclass_index(sizes[s]), 0);
		free_in_stretches(test, pool, sizes[s]);
	}
}

/* zcpool_pool_take_many() of one offset. */
static int take_one(struct zcpool_pool *pool, u64 offset, struct zcpool_pool_taken *taken)
{
	unsigned int done;

	return zcpool_pool_take_many(pool, &offset, 1, taken, &done);
}

/*
 * A taken allocation is freed as far as anyone can see (not live, no page,
 * counted) until it is either put away, which completes the free, or
 * untaken, which gives it back live with its data, size and counts.
 */
static void taken_allocations_come_back_live_or_go(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;
	struct zcpool_pool *pool = new_pool(test, MID_ORDER, 0, 1);
	struct zcpool_pool_stats *st = new_stats(test), *before = new_stats(test);
	u64 sizes[3] = { 100, 3 * PAGE_SIZE, MID_CHUNK + 1 }, offs[3];
	struct zcpool_pool_taken *taken, scratch;
	struct page *page;
	unsigned int i;

	taken = kunit_kcalloc(test, 3, sizeof(*taken), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, taken);
	for (i = 0; i < 3; i++) {
		offs[i] = alloc_ok(test, pool, NULL, MID_ORDER, sizes[i], 0, 0);
		KUNIT_EXPECT_TRUE(test, fill(test, pool, offs[i], sizes[i], 0x5a));
	}
	zcpool_pool_stats(pool, before);
	KUNIT_EXPECT_EQ(test, before->huge_live, 1);

	KUNIT_EXPECT_EQ(test, take_one(pool, offs[0] + 16, &scratch), -EINVAL);
	KUNIT_EXPECT_EQ(test, take_one(pool, offs[2] + PAGE_SIZE, &scratch), -EINVAL);
	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_EQ(test, take_one(pool, offs[i], &taken[i]), 0);
	KUNIT_EXPECT_NULL(test, taken[0].huge);
	KUNIT_EXPECT_NOT_NULL(test, taken[2].huge);
	KUNIT_EXPECT_EQ(test, taken[2].claim.size, sizes[2]);
	for (i = 0; i < 3; i++) {
		/* A failed take fills in nothing useful: not into taken[]. */
		KUNIT_EXPECT_EQ(test, take_one(pool, offs[i], &scratch), -EINVAL);
		/* Taken, not live: a fault on its pages finds nothing. */
		page = zcpool_pool_page(pool, offs[i] + sizes[i] - 1);
		KUNIT_EXPECT_NULL_MSG(test, page, "allocation %u", i);
		if (page)
			put_page(page);
	}
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->live, 0);
	KUNIT_EXPECT_EQ(test, st->huge_live, 0);
	KUNIT_EXPECT_EQ(test, st->bytes_requested, 0);
	KUNIT_EXPECT_EQ(test, st->frees, 3);

	zcpool_pool_untake(pool, taken, 3);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->live, before->live);
	KUNIT_EXPECT_EQ(test, st->frees, before->frees);
	KUNIT_EXPECT_EQ(test, st->bytes_requested, before->bytes_requested);
	KUNIT_EXPECT_EQ(test, st->runs_live, before->runs_live);
	KUNIT_EXPECT_EQ(test, st->huge_live, before->huge_live);
	KUNIT_EXPECT_EQ(test, st->bytes_held, before->bytes_held);
	KUNIT_EXPECT_EQ(test, st->class_live[zcpool_sizeclass_index(100)], 1);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_TRUE(test, holds(test, pool, offs[i], sizes[i], 0x5a));
	/* Taking back and untaking left user mappings alone. */
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->nr_released), 0);

	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_EQ(test, take_one(pool, offs[i], &taken[i]), 0);
	zcpool_pool_put_taken(pool, taken, 3);
	/* The huge one went back (new_pool keeps no spares), zapped first. */
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->nr_released), 1);
	KUNIT_EXPECT_EQ(test, ctx->released[0].offset, offs[2]);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, offs[i]), -EINVAL);
	expect_drained_and_empty(test, pool, st);
	KUNIT_EXPECT_EQ(test, st->spares, 0);
	KUNIT_EXPECT_EQ(test, st->frees, 3);
}

/*
 * Taking many stops at the first offset that is not a live allocation's
 * start, the one before it included: a repeat of an offset it just took in
 * the same chunk (where the window lookup is skipped), then a huge one and
 * one in another shape around it, all taken until then.
 */
static void take_many_stops_at_the_first_bad_offset(struct kunit *test)
{
	struct zcpool_pool *pool = new_pool(test, MID_ORDER, 0, 1);
	struct zcpool_pool_stats *st = new_stats(test), *before = new_stats(test);
	u64 sizes[5] = { 64, 64, MID_CHUNK + 1, 2 * PAGE_SIZE, 64 }, offs[7];
	struct zcpool_pool_taken *taken;
	unsigned int i, done;

	taken = kunit_kcalloc(test, ARRAY_SIZE(offs), sizeof(*taken), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, taken);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		offs[i] = alloc_ok(test, pool, NULL, MID_ORDER, sizes[i], 0, 0);
		KUNIT_EXPECT_TRUE(test, fill(test, pool, offs[i], sizes[i], 0x3c + i));
	}
	/* offs[5] repeats offs[1]; offs[6] is inside offs[0]'s chunk, not a start. */
	offs[5] = offs[1];
	offs[6] = offs[0] + 16;
	zcpool_pool_stats(pool, before);

	KUNIT_EXPECT_EQ(test, zcpool_pool_take_many(pool, offs, 7, taken, &done), -EINVAL);
	KUNIT_EXPECT_EQ(test, done, 5);
	KUNIT_EXPECT_NOT_NULL(test, taken[2].huge);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->live, 0);
	KUNIT_EXPECT_EQ(test, st->frees, before->frees + 5);
	zcpool_pool_untake(pool, taken, done);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->live, before->live);
	KUNIT_EXPECT_EQ(test, st->bytes_requested, before->bytes_requested);
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		KUNIT_EXPECT_TRUE(test, holds(test, pool, offs[i], sizes[i], 0x3c + i));

	/* Started at the inner offset, it takes nothing. */
	KUNIT_EXPECT_EQ(test, zcpool_pool_take_many(pool, &offs[6], 1, taken, &done), -EINVAL);
	KUNIT_EXPECT_EQ(test, done, 0);
	KUNIT_EXPECT_EQ(test, zcpool_pool_take_many(pool, offs, 5, taken, &done), 0);
	KUNIT_EXPECT_EQ(test, done, 5);
	zcpool_pool_put_taken(pool, taken, done);
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		KUNIT_EXPECT_EQ(test, zcpool_pool_free(pool, offs[i]), -EINVAL);
	expect_drained_and_empty(test, pool, st);
}

/* --- randomized and concurrent ----------------------------------------- */

struct rnd_ops {
	struct kunit *test;	/* NULL in threads: errors are counted instead */
	struct zcpool_pool *pool;
	struct rnd_state rnd;
	struct model *m;
	unsigned int order;
	bool shared;	/* other threads use the pool: their offsets are unknown */
	u64 errors;
	u64 bad_frees;
	u64 recent_freed[8];
};

static u32 rnd_below(struct rnd_ops *r, u32 n)
{
	return prandom_u32_state(&r->rnd) % n;
}

/* Mostly small sizes, some runs up to 16 pages, a few huge ones. */
static u64 rnd_size(struct rnd_ops *r)
{
	u32 p = rnd_below(r, 100);

	if (p < 50)
		return 1 + rnd_below(r, 256);
	if (p < 78)
		return 1 + rnd_below(r, ZCPOOL_SIZECLASS_MAX_SIZE);
	if (p < 99)
		return ZCPOOL_SIZECLASS_MAX_SIZE + 1 + rnd_below(r, 8 * PAGE_SIZE);
	return (PAGE_SIZE << r->order) + 1 + rnd_below(r, 2 * (PAGE_SIZE << r->order));
}

static u64 rnd_align(struct rnd_ops *r)
{
	if (rnd_below(r, 100) < 85)
		return 0;
	return 1ULL << rnd_below(r, PAGE_SHIFT + 2);
}

static bool rnd_check(struct rnd_ops *r, bool cond)
{
	if (!cond)
		r->errors++;
	return cond;
}

/* A tag byte at both ends of each allocation: overlaps corrupt them. */
static bool rnd_tag_io(struct rnd_ops *r, const struct live *l, bool write)
{
	u64 ends[2] = { l->offset, l->offset + l->size - 1 };
	struct page *page;
	unsigned int i;
	bool ok = true;
	u8 *p;

	for (i = 0; i < 2; i++) {
		page = zcpool_pool_page(r->pool, ends[i]);
		if (!rnd_check(r, page))
			return false;
		p = page_address(page) + offset_in_page(ends[i]);
		if (write)
			*p = l->tag;
		else
			ok &= rnd_check(r, *p == l->tag);
		put_page(page);
	}
	return ok;
}

static void rnd_alloc(struct rnd_ops *r)
{
	u64 size = rnd_size(r), align = rnd_align(r), offset;
	u32 flags = rnd_below(r, 10) ? 0 : ZCPOOL_ALLOC_ZERO;
	struct page *page;
	struct live *l;
	int ret;

	ret = zcpool_pool_alloc(r->pool, size, align, flags, &offset);
	if (!rnd_check(r, ret == 0)) {
		if (r->test)
			KUNIT_FAIL(r->test, "alloc %llu B aligned %llu: %d", size, align, ret);
		return;
	}
	rnd_check(r, !align || offset % align == 0);
	if (flags) {
		page = zcpool_pool_page(r->pool, offset);
		if (rnd_check(r, page)) {
			rnd_check(r, !*(u8 *)(page_address(page) + offset_in_page(offset)));
			put_page(page);
		}
	}
	model_add(r->m, offset, size, expected_kind(size, align, r->order),
		  prandom_u32_state(&r->rnd) | 1);
	l = &r->m->live[r->m->nr - 1];
	rnd_tag_io(r, l, true);
}

static void rnd_free(struct rnd_ops *r)
{
	unsigned int i = rnd_below(r, r->m->nr);
	struct live *l = &r->m->live[i];
	u64 offset = l->offset;

	rnd_tag_io(r, l, false);
	rnd_check(r, zcpool_pool_free(r->pool, offset) == 0);
	r->recent_freed[rnd_below(r, ARRAY_SIZE(r->recent_freed))] = offset;
	model_del(r->m, i);
}

/*
 * A free that must be refused: a recently freed offset that is not live
 * again, or an interior one. In a shared pool another thread may own a
 * recently freed offset by now, so only interior offsets are used there.
 */
static void rnd_bad_free(struct rnd_ops *r)
{
	u64 offset = r->recent_freed[rnd_below(r, ARRAY_SIZE(r->recent_freed))];
	unsigned int i;

	if (r->shared && !r->m->nr)
		return;
	if (r->m->nr && (r->shared || rnd_below(r, 2)))
		offset = r->m->live[rnd_below(r, r->m->nr)].offset + 1;
	for (i = 0; i < r->m->nr; i++)
		if (r->m->live[i].offset == offset)
			return;
	rnd_check(r, zcpool_pool_free(r->pool, offset) == -EINVAL);
	r->bad_frees++;
}

static void rnd_step(struct rnd_ops *r, unsigned int max_live)
{
	u32 p = rnd_below(r, 100);

	if (p < 3)
		rnd_bad_free(r);
	else if (r->m->nr == max_live || (r->m->nr && p < 50))
		rnd_free(r);
	else
		rnd_alloc(r);
}

static void random_ops_match_a_reference_model(struct kunit *test)
{
	u64 max_bytes = 128ULL << 20;
	struct zcpool_pool *pool = new_pool(test, MID_ORDER, max_bytes, 2);
	struct rnd_ops r = { .test = test, .pool = pool, .order = MID_ORDER };
	unsigned int seed = get_seed(), op;
	struct zcpool_pool_stats *st = new_stats(test);
	struct model *m;

	kunit_info(test, "seed %u (replay: insmod zcpool_test.ko pool_seed=%u)", seed, seed);
	prandom_seed_state(&r.rnd, seed);
	m = new_model(test, RANDOM_MAX_LIVE);
	r.m = m;
	for (op = 0; op < RANDOM_OPS; op++) {
		rnd_step(&r, RANDOM_MAX_LIVE);
		KUNIT_ASSERT_EQ_MSG(test, r.errors, 0, "op %u", op);
		if (op % RANDOM_CHECK_EVERY == 0) {
			KUNIT_ASSERT_TRUE_MSG(test, check_model(test, pool, m, max_bytes),
					      "op %u", op);
			cond_resched();
		}
	}
	KUNIT_ASSERT_TRUE(test, check_model(test, pool, m, max_bytes));
	zcpool_pool_stats(pool, st);
	kunit_info(test, "%u ops: %u live, %llu requested, %llu held in %llu chunks, %llu refused frees",
		   RANDOM_OPS, m->nr, st->bytes_requested, st->bytes_held, st->chunks, r.bad_frees);
	kunit_info(test, "cache: %llu hits, %llu misses, %llu cached (%llu B)",
		   st->cache_hits, st->cache_misses, st->cached, st->bytes_cached);
	KUNIT_EXPECT_GT(test, st->cache_hits, 0);
	free_all(test, pool, m);
	check_model(test, pool, m, max_bytes);
	zcpool_pool_drain_caches(pool);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->cached, 0);
	/* Without fallbacks (the usual case) only whole chunks are left. */
	if (!st->chunk_fallbacks)
		KUNIT_EXPECT_EQ(test, st->bytes_held, st->chunks * MID_CHUNK);
	KUNIT_EXPECT_LE(test, st->chunks, 2 * ZCPOOL_ARENA_EMPTY_RESERVE);
	KUNIT_EXPECT_EQ(test, st->live, 0);
	KUNIT_EXPECT_EQ(test, st->bytes_requested, 0);
}

struct worker {
	struct rnd_ops r;
	struct model *m;
	struct completion done;
	struct task_struct *task;
};

static int worker_fn(void *arg)
{
	struct worker *w = arg;
	unsigned int op;

	for (op = 0; op < THREAD_OPS && !w->r.errors; op++) {
		rnd_step(&w->r, THREAD_MAX_LIVE);
		cond_resched();
	}
	kthread_complete_and_exit(&w->done, 0);
}

/*
 * Drains the pool's caches over and over while the workers run: each drain
 * freezes the magazines under their feet, so that allocations and frees
 * meet a cache that turns to the arenas and back, and the drain empties
 * magazines that workers on other CPUs just used.
 */
struct drainer {
	struct zcpool_pool *pool;
	bool stop;
	unsigned long drains;
	unsigned long drained;
	struct completion done;
};

static int drainer_fn(void *arg)
{
	struct drainer *d = arg;

	while (!READ_ONCE(d->stop)) {
		d->drained += zcpool_pool_drain_caches(d->pool);
		d->drains++;
		cond_resched();
	}
	kthread_complete_and_exit(&d->done, 0);
}

static const unsigned int thread_arenas[] = { 1, 0 };

static void arenas_desc(const unsigned int *n, char *desc)
{
	if (*n)
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%u arena", *n);
	else
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "default arenas");
}

KUNIT_ARRAY_PARAM(thread_arenas, thread_arenas, arenas_desc);

/*
 * One thread per online CPU on one pool, and one draining its caches; the
 * main thread frees what they left.
 */
static void threads_share_a_pool_with_exact_accounting(struct kunit *test)
{
	unsigned int nr_arenas = *(const unsigned int *)test->param_value;
	u64 max_bytes = 256ULL << 20;
	struct zcpool_pool *pool = new_pool(test, SMALL_ORDER, max_bytes, nr_arenas);
	unsigned int seed = get_seed(), cpu, n = 0, i, j;
	struct zcpool_pool_stats *st = new_stats(test);
	struct drainer drainer = { .pool = pool };
	struct task_struct *drain_task;
	struct worker *workers;
	struct model *all;

	kunit_info(test, "seed %u (replay: insmod zcpool_test.ko pool_seed=%u)", seed, seed);
	workers = kunit_kcalloc(test, nr_cpu_ids, sizeof(*workers), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, workers);
	for (i = 0; i < nr_cpu_ids; i++)
		workers[i].m = new_model(test, THREAD_MAX_LIVE);
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		struct worker *w = &workers[n];

		w->r = (struct rnd_ops){
			.pool = pool, .m = w->m, .order = SMALL_ORDER, .shared = true,
		};
		prandom_seed_state(&w->r.rnd, seed + cpu);
		init_completion(&w->done);
		w->task = kthread_create(worker_fn, w, "zcpool-kunit/%u", cpu);
		if (IS_ERR(w->task))
			break;
		kthread_bind(w->task, cpu);
		n++;
	}
	cpus_read_unlock();
	init_completion(&drainer.done);
	drain_task = kthread_run(drainer_fn, &drainer, "zcpool-kunit/drain");
	for (i = 0; i < n; i++)
		wake_up_process(workers[i].task);
	for (i = 0; i < n; i++)
		wait_for_completion(&workers[i].done);
	if (!IS_ERR(drain_task)) {
		WRITE_ONCE(drainer.stop, true);
		wait_for_completion(&drainer.done);
	}
	KUNIT_ASSERT_FALSE(test, IS_ERR(drain_task));
	kunit_info(test, "%lu drains meanwhile gave back %lu cached allocations",
		   drainer.drains, drainer.drained);
	KUNIT_ASSERT_GT(test, n, 0);
	KUNIT_EXPECT_EQ(test, n, num_online_cpus());

	all = new_model(test, n * THREAD_MAX_LIVE);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ_MSG(test, workers[i].r.errors, 0, "thread %u", i);
		for (j = 0; j < workers[i].m->nr; j++) {
			struct live *l = &workers[i].m->live[j];

			KUNIT_EXPECT_TRUE(test, rnd_tag_io(&workers[i].r, l, false));
			model_add(all, l->offset, l->size, l->cls, l->tag);
		}
	}
	KUNIT_ASSERT_TRUE(test, check_model(test, pool, all, max_bytes));
	zcpool_pool_stats(pool, st);
	kunit_info(test, "%u threads x %u ops: %u live, %llu requested, %llu held",
		   n, THREAD_OPS, all->nr, st->bytes_requested, st->bytes_held);
	free_all(test, pool, all);
	check_model(test, pool, all, max_bytes);
	zcpool_pool_drain_caches(pool);
	zcpool_pool_stats(pool, st);
	KUNIT_EXPECT_EQ(test, st->live, 0);
	if (!nr_arenas)
		nr_arenas = min_t(unsigned int, num_online_cpus(), ZCPOOL_POOL_DEFAULT_ARENAS);
	KUNIT_EXPECT_LE(test, st->chunks, nr_arenas * ZCPOOL_ARENA_EMPTY_RESERVE);
}

/*
 * A producer on one CPU allocates 64 B elements and hands them through a
 * ring to a consumer on another, which frees them: the class's per-CPU
 * counts climb on one CPU and fall on the other, at most STATS_RING apart.
 */
#define STATS_RING	16

struct handoff {
	struct zcpool_pool *pool;
	u64 ring[STATS_RING];
	unsigned long head, tail;	/* written by producer, consumer */
	bool stop;	/* the producer is to stop */
	bool last;	/* it has: the consumer stops once the ring is empty */
	int error;
	struct completion produced, consumed;
};

/*
 * The producer allocates in bulk: a bulk call counts its elements at once,
 * the most a read taken half before and half after it can be off by.
 */
#define STATS_BULK	8

static int handoff_produce(void *arg)
{
	struct handoff *h = arg;
	unsigned long head = 0;
	u64 offsets[STATS_BULK];
	unsigned int i;

	while (!READ_ONCE(h->stop) && !READ_ONCE(h->error)) {
		/* Acquire: the consumer is done with the slots it gave back. */
		if (head - smp_load_acquire(&h->tail) > STATS_RING - STATS_BULK) {
			cond_resched();
			continue;
		}
		if (zcpool_pool_alloc_bulk(h->pool, 64, 0, 0, offsets, STATS_BULK) != STATS_BULK) {
			WRITE_ONCE(h->error, -ENOMEM);
			break;
		}
		for (i = 0; i < STATS_BULK; i++)
			h->ring[(head + i) % STATS_RING] = offsets[i];
		head += STATS_BULK;
		/* Release: the offsets before the count that hands them over. */
		smp_store_release(&h->head, head);
	}
	kthread_complete_and_exit(&h->produced, 0);
}

static int handoff_consume(void *arg)
{
	struct handoff *h = arg;
	unsigned long tail = 0;

	for (;;) {
		/* Acquire: pairs with the producer's release of the offset. */
		if (smp_load_acquire(&h->head) == tail) {
			/* Everything handed over is freed before it stops. */
			if (READ_ONCE(h->last) || READ_ONCE(h->error))
				break;
			cond_resched();
			continue;
		}
		if (zcpool_pool_free(h->pool, h->ring[tail % STATS_RING])) {
			WRITE_ONCE(h->error, -EINVAL);
			break;
		}
		/* Release: the slot is read before the producer may reuse it. */
		smp_store_release(&h->tail, ++tail);
	}
	kthread_complete_and_exit(&h->consumed, 0);
}

/*
 * Stats read while elements move between CPUs never count below zero: a
 * read that took the consumer's CPU after frees of elements allocated
 * since it took the producer's summed a negative count, which the u64
 * fields showed as about 2^64 live. Every read here must stay within
 * what can be live: the ring's elements, and one on each side of it.
 * Nor may a read count fewer frees than the consumer had finished before
 * it began: a read that took a CPU's allocations before its live counts
 * counted live what it had not counted allocated (a user-space race test
 * saw 24 live of 1 allocated).
 */
static void stats_read_in_flight_stay_in_range(struct kunit *test)
{
	unsigned int cpu_a = cpumask_first(cpu_online_mask);
	unsigned int cpu_b = cpumask_next(cpu_a, cpu_online_mask);
	struct zcpool_pool_stats *st = new_stats(test);
	struct task_struct *producer, *consumer;
	unsigned int reads, bad = 0, behind = 0;
	unsigned long freed_before, freed_first = 0;
	struct handoff *h;
	u64 worst = 0, worst_frees = 0, worst_freed = 0;

	if (cpu_b >= nr_cpu_ids)
		kunit_skip(test, "needs two online CPUs");
	h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, h);
	h->pool = new_pool(test, MID_ORDER, 0, 1);
	init_completion(&h->produced);
	init_completion(&h->consumed);
	producer = kthread_create(handoff_produce, h, "zcpool-kunit/produce");
	KUNIT_ASSERT_FALSE(test, IS_ERR(producer));
	consumer = kthread_create(handoff_consume, h, "zcpool-kunit/consume");
	if (IS_ERR(consumer)) {
		WRITE_ONCE(h->stop, true);
		WRITE_ONCE(h->error, -ENOMEM);
		wake_up_process(producer);
		wait_for_completion(&h->produced);
		KUNIT_FAIL(test, "no consumer thread");
		return;
	}
	kthread_bind(producer, cpu_a);
	kthread_bind(consumer, cpu_b);
	wake_up_process(producer);
	wake_up_process(consumer);
	for (reads = 0; reads < 20000 && !READ_ONCE(h->error); reads++) {
		/* Acquire: the frees before this count are counted in the pool. */
		freed_before = smp_load_acquire(&h->tail);
		if (!reads)
			freed_first = freed_before;
		zcpool_pool_stats(h->pool, st);
		if (st->live > STATS_RING + 2 || st->bytes_requested > 64 * (STATS_RING + 2)) {
			bad++;
			worst = max(worst, st->live);
		}
		if (st->frees < freed_before) {
			behind++;
			worst_frees = st->frees;
			worst_freed = freed_before;
		}
		cond_resched();
	}
	WRITE_ONCE(h->stop, true);
	wait_for_completion(&h->produced);
	WRITE_ONCE(h->last, true);
	wait_for_completion(&h->consumed);
	kunit_info(test, "%u reads while %lu elements moved from CPU %u to CPU %u (%lu during the reads)",
		   reads, h->tail, cpu_a, cpu_b, freed_before - freed_first);
	KUNIT_EXPECT_EQ(test, h->error, 0);
	/* Else the reads never overlapped the traffic they are to check. */
	KUNIT_EXPECT_GT(test, freed_before - freed_first, (unsigned long)STATS_RING);
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "reads out of range, the worst %llu live", worst);
	KUNIT_EXPECT_EQ_MSG(test, behind, 0, "reads behind the frees, the last %llu of %llu",
			    worst_frees, worst_freed);
	zcpool_pool_stats(h->pool, st);
	KUNIT_EXPECT_EQ(test, st->live, 0);
	KUNIT_EXPECT_EQ(test, st->bytes_requested, 0);
}

/*
 * Two threads on one pool, each on a CPU of its own: one charges more than
 * the lowered cap, the other lowers the cap. The pool's cap is 4 small
 * chunks, lowered to 1, and a charge is 2: a charge and a lowering in
 * force exclude each other.
 */
struct cap_pair {
	struct zcpool_pool *pool;
	u64 cap, lowered, bytes;
	struct completion charger_done, lowerer_done;
};

/*
 * Run @charge and @lower on @pair's pool, each a kthread bound to a CPU of
 * its own, with @arg (which holds @pair), and wait for both; then the cap
 * must be back where it was and nothing held. Skips without two CPUs.
 */
static void cap_pair_run(struct kunit *test, struct cap_pair *pair,
			 int (*charge)(void *), int (*lower)(void *), void *arg)
{
	unsigned int cpu_a = cpumask_first(cpu_online_mask);
	unsigned int cpu_b = cpumask_next(cpu_a, cpu_online_mask);
	struct zcpool_pool_stats *st = new_stats(test);
	struct task_struct *charger, *lowerer;

	if (cpu_b >= nr_cpu_ids)
		kunit_skip(test, "needs two online CPUs");
	pair->cap = 4 * SMALL_CHUNK;
	pair->lowered = SMALL_CHUNK;
	pair->bytes = 2 * SMALL_CHUNK;
	pair->pool = new_pool(test, SMALL_ORDER, pair->cap, 1);
	init_completion(&pair->charger_done);
	init_completion(&pair->lowerer_done);
	charger = kthread_create(charge, arg, "zcpool-kunit/charge");
	KUNIT_ASSERT_FALSE(test, IS_ERR(charger));
	lowerer = kthread_create(lower, arg, "zcpool-kunit/lower");
	/* Stopped before it was ever woken, a thread ends without running. */
	if (IS_ERR(lowerer))
		kthread_stop(charger);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(lowerer), "no lowering thread");
	kthread_bind(charger, cpu_a);
	kthread_bind(lowerer, cpu_b);
	wake_up_process(charger);
	wake_up_process(lowerer);
	wait_for_completion(&pair->lowerer_done);
	wait_for_completion(&pair->charger_done);
	KUNIT_EXPECT_EQ(test, zcpool_pool_max_bytes(pair->pool), pair->cap);
	zcpool_pool_stats(pair->pool, st);
	KUNIT_EXPECT_EQ(test, st->bytes_held, 0);
}

/*
 * A lowering of the cap against charges in flight: one thread charges and
 * gives it back, over and over, until the other is done lowering the cap
 * and putting it back. A lowering that succeeds holds: no charge may go
 * through while it is in force.
 */
#define CAP_RACE_LOWERINGS	100000

struct cap_race {
	struct cap_pair pair;
	unsigned long charged;		/* by the charger: charges that went through */
	unsigned long granted, refused, overrun;	/* by the lowerer */
	bool stop;
};

static int cap_race_charge(void *arg)
{
	struct cap_race *r = arg;
	unsigned long i;

	for (i = 0; !READ_ONCE(r->stop); i++) {
		if (zcpool_pool_charge(r->pair.pool, r->pair.bytes)) {
			WRITE_ONCE(r->charged, r->charged + 1);
			/* The count before the uncharge a lowering may read. */
			smp_mb();
			zcpool_pool_uncharge(r->pair.pool, r->pair.bytes);
		}
		if (!(i % 256))
			cond_resched();
	}
	kthread_complete_and_exit(&r->pair.charger_done, 0);
}

static int cap_race_lower(void *arg)
{
	struct cap_race *r = arg;
	unsigned long seen, i;
	unsigned int spin;

	for (i = 0; i < CAP_RACE_LOWERINGS; i++) {
		if (zcpool_pool_set_max_bytes(r->pair.pool, r->pair.lowered)) {
			r->refused++;
		} else {
			/* Pairs with the charger's barrier: @held was read first. */
			smp_rmb();
			seen = READ_ONCE(r->charged);
			/* Long enough for a charge that got through to be counted. */
			for (spin = 0; spin < 64; spin++)
				cpu_relax();
			if (READ_ONCE(r->charged) != seen)
				r->overrun++;
			r->granted++;
			zcpool_pool_restore_max_bytes(r->pair.pool, r->pair.lowered, r->pair.cap);
		}
		if (!(i % 256))
			cond_resched();
	}
	WRITE_ONCE(r->stop, true);
	kthread_complete_and_exit(&r->pair.lowerer_done, 0);
}

static void a_lowered_cap_holds_against_charges_in_flight(struct kunit *test)
{
	struct cap_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, r);
	cap_pair_run(test, &r->pair, cap_race_charge, cap_race_lower, r);
	kunit_info(test, "%lu charges; %lu lowerings granted, %lu refused",
		   r->charged, r->granted, r->refused);
	KUNIT_EXPECT_GT(test, r->charged, 0);
	KUNIT_EXPECT_GT(test, r->granted, 0);
	KUNIT_EXPECT_EQ_MSG(test, r->overrun, 0, "charges went through a granted lower cap");
}

/*
 * A lowering and a charge that meet: in each of CAP_DUEL_ROUNDS rounds one
 * thread lowers the cap below the charge while the other charges it, both
 * at once. Whichever goes first stands and the other is refused: exactly
 * one of them goes through. Both through would pass a granted cap; both
 * refused is an allocation's -EDQUOT under a cap that did not move, and a
 * LIMITS call's -EINVAL for a pool that held nothing.
 */
#define CAP_DUEL_ROUNDS	20000

struct cap_duel {
	struct cap_pair pair;
	atomic_t start, done;		/* the round each thread is at */
	bool charged;			/* by the charger, for the round done */
	unsigned long both, neither, charges, lowerings;	/* by the lowerer */
};

static int cap_duel_charge(void *arg)
{
	struct cap_duel *d = arg;
	int round;

	for (round = 1; round <= CAP_DUEL_ROUNDS; round++) {
		while (atomic_read_acquire(&d->start) != round)
			cpu_relax();
		d->charged = zcpool_pool_charge(d->pair.pool, d->pair.bytes);
		atomic_set_release(&d->done, round);
		if (!(round % 256))
			cond_resched();
	}
	kthread_complete_and_exit(&d->pair.charger_done, 0);
}

static int cap_duel_lower(void *arg)
{
	struct cap_duel *d = arg;
	bool lowered;
	int round;

	for (round = 1; round <= CAP_DUEL_ROUNDS; round++) {
		atomic_set_release(&d->start, round);
		lowered = !zcpool_pool_set_max_bytes(d->pair.pool, d->pair.lowered);
		while (atomic_read_acquire(&d->done) != round)
			cpu_relax();
		d->both += lowered && d->charged;
		d->neither += !lowered && !d->charged;
		d->lowerings += lowered;
		d->charges += d->charged;
		if (lowered)
			zcpool_pool_restore_max_bytes(d->pair.pool, d->pair.lowered, d->pair.cap);
		if (d->charged)
			zcpool_pool_uncharge(d->pair.pool, d->pair.bytes);
		if (!(round % 256))
			cond_resched();
	}
	kthread_complete_and_exit(&d->pair.lowerer_done, 0);
}

static void a_lowering_and_a_charge_that_meet_one_goes_through(struct kunit *test)
{
	struct cap_duel *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, d);
	cap_pair_run(test, &d->pair, cap_duel_charge, cap_duel_lower, d);
	kunit_info(test, "%d rounds: %lu charges, %lu lowerings went through",
		   CAP_DUEL_ROUNDS, d->charges, d->lowerings);
	KUNIT_EXPECT_EQ_MSG(test, d->both, 0, "a charge went through a granted lower cap");
	KUNIT_EXPECT_EQ_MSG(test, d->neither, 0, "a charge and a lowering both refused");
}

static struct kunit_case zcpool_pool_cases[] = {
	KUNIT_CASE_PARAM(create_rejects_bad_configs, bad_config_gen_params),
	KUNIT_CASE(create_defaults_to_the_module_parameters),
	KUNIT_CASE(destroy_frees_live_allocations),
	KUNIT_CASE(every_class_and_run_is_distinct_and_isolated),
	KUNIT_CASE_PARAM(offsets_honour_the_alignment, align_gen_params),
	KUNIT_CASE(free_held_tells_every_byte_held),
	KUNIT_CASE(bad_requests_are_einval),
	KUNIT_CASE_PARAM(free_refuses_what_is_not_an_allocation, bad_free_gen_params),
	KUNIT_CASE_PARAM(zero_flag_clears_reused_memory, zero_size_gen_params),
	KUNIT_CASE(zero_flag_clears_elements_of_a_mapped_page),
	KUNIT_CASE(pool_page_lends_only_live_pages),
	KUNIT_CASE(window_slots_past_the_head_work_alike),
	KUNIT_CASE(pool_cap_stops_allocation_with_edquot),
	KUNIT_CASE(pool_cap_is_lowered_never_raised),
	KUNIT_CASE(total_cap_stops_allocation_with_edquot),
	KUNIT_CASE(the_total_cap_takes_back_other_pools_idle_memory),
	KUNIT_CASE(max_page_order_forces_smaller_chunks),
	KUNIT_CASE(empty_chunks_drain_beyond_the_reserve),
	KUNIT_CASE(chunks_move_between_usage_lists_and_drain),
	KUNIT_CASE(every_class_fills_a_run_and_returns_it),
	KUNIT_CASE(empty_runs_stay_while_their_chunk_holds_more),
	KUNIT_CASE(reclaim_drops_the_kept_runs),
	KUNIT_CASE(one_element_classes_are_page_runs),
	KUNIT_CASE_PARAM(huge_past_the_longest_run_and_the_largest_class, huge_bound_gen_params),
	KUNIT_CASE(huge_allocations_take_contiguous_slots),
	KUNIT_CASE(long_runs_are_huge_by_default),
	KUNIT_CASE(shortest_chunks_cap_the_default_runs),
	KUNIT_CASE(a_pool_at_its_cap_gives_back_its_reserve),
	KUNIT_CASE(pool_pages_match_page_by_page),
	KUNIT_CASE(spares_serve_huge_allocations_that_fit),
	KUNIT_CASE(huge_frees_skip_the_release_when_unmapped),
	KUNIT_CASE(an_exact_spare_is_live_at_once),
	KUNIT_CASE(huge_stretches_move_together),
	KUNIT_CASE(spares_follow_the_live_peak),
	KUNIT_CASE(spares_follow_each_cpus_peak),
	KUNIT_CASE(a_batch_keeps_its_spares_while_another_cpu_frees),
	KUNIT_CASE(an_idle_cpus_spares_go_back),
	KUNIT_CASE(a_paused_pool_keeps_every_cpus_spares),
	KUNIT_CASE(a_cpus_magazine_holds_eight_of_one_length),
	KUNIT_CASE(two_cpus_free_each_huge_allocation_once),
	KUNIT_CASE(spares_yield_to_the_cap),
	KUNIT_CASE(spares_yield_to_a_huge_allocation),
	KUNIT_CASE(spares_yield_to_an_uncached_run),
	KUNIT_CASE(bulk_alloc_is_all_or_nothing),
	KUNIT_CASE(bulk_free_stops_at_the_first_bad_offset),
	KUNIT_CASE(bulk_calls_move_batches_of_every_shape),
	KUNIT_CASE(bulk_free_gives_runs_back_in_blocks),
	KUNIT_CASE(bulk_free_gives_elements_back_by_run),
	KUNIT_CASE(arena_refuses_elements_inside_a_stretch),
	KUNIT_CASE(taken_allocations_come_back_live_or_go),
	KUNIT_CASE(take_many_stops_at_the_first_bad_offset),
	KUNIT_CASE(random_ops_match_a_reference_model),
	KUNIT_CASE_PARAM(threads_share_a_pool_with_exact_accounting, thread_arenas_gen_params),
	KUNIT_CASE(stats_read_in_flight_stay_in_range),
	KUNIT_CASE(a_lowered_cap_holds_against_charges_in_flight),
	KUNIT_CASE(a_lowering_and_a_charge_that_meet_one_goes_through),
	{}
};

static struct kunit_suite zcpool_pool_suite = {
	.name = "zcpool_pool",
	.init = pool_test_init,
	.exit = pool_test_exit,
	.test_cases = zcpool_pool_cases,
};

kunit_test_suite(zcpool_pool_suite);
