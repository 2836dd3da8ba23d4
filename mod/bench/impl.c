// SPDX-License-Identifier: GPL-2.0
/*
 * The allocators measured, each behind struct zcpool_bench_impl: zcpool
 * itself (plain and zeroing) and what a kernel developer would use instead
 * for the same job. A handle is whatever the allocator returns (an
 * offset, an address, a struct page pointer) stored in a u64.
 *
 * Peers, and why each is configured so:
 *  - kmem_cache: a dedicated slab cache of exactly the object size, the
 *    best case of the slab allocator, at every size: above a few pages
 *    a slab holds one object, but the cache keeps emptied slabs on its
 *    partial lists and takes them back without the page allocator;
 *  - kmalloc and kzalloc: the general-purpose call; above the largest
 *    kmalloc cache it goes to the page allocator itself;
 *  - alloc_pages and alloc_pages+zero: whole pages of the object's order,
 *    the allocator zcpool's chunks come from, with and without __GFP_ZERO;
 *    its bulk call (order 0 only) is used where it exists;
 *  - gen_pool: the kernel's bitmap pool over memory carved from the page
 *    allocator up front, with the object size (up to a page) as granule.
 */

#include <linux/err.h>
#include <linux/genalloc.h>
#include <linux/io.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "../compat.h"
#include "../pool.h"
#include "bench.h"

/* gen_pool's backing blocks: 4 MiB, like a zcpool chunk. */
#define BENCH_GEN_BLOCK_ORDER	min(10, ZCPOOL_MAX_PAGE_ORDER)

/* --- zcpool ---------------------------------------------------------------- */

static int zc_setup(struct zcpool_bench_ctx *ctx)
{
	struct zcpool_pool_config config = { .keep_spares = true };

	ctx->pool = zcpool_pool_create(&config);
	if (IS_ERR(ctx->pool))
		return PTR_ERR(ctx->pool);
	return 0;
}

static int zc_zero_setup(struct zcpool_bench_ctx *ctx)
{
	ctx->zc_flags = ZCPOOL_ALLOC_ZERO;
	return zc_setup(ctx);
}

static void zc_teardown(struct zcpool_bench_ctx *ctx)
{
	zcpool_pool_destroy(ctx->pool);
}

static int zc_alloc(struct zcpool_bench_ctx *ctx, u64 *handle)
{
	return zcpool_pool_alloc(ctx->pool, ctx->size, 0, ctx->zc_flags, handle);
}

static void zc_free(struct zcpool_bench_ctx *ctx, u64 handle)
{
	WARN_ON_ONCE(zcpool_pool_free(ctx->pool, handle));
}

static int zc_alloc_bulk(struct zcpool_bench_ctx *ctx, u64 *handles, unsigned int n)
{
	int ret = zcpool_pool_alloc_bulk(ctx->pool, ctx->size, 0, ctx->zc_flags, handles, n);

	return min(ret, 0);
}

static void zc_free_bulk(struct zcpool_bench_ctx *ctx, u64 *handles, unsigned int n)
{
	WARN_ON_ONCE(zcpool_pool_free_bulk(ctx->pool, handles, n) != n);
}

static const struct zcpool_bench_impl impl_zcpool = {
	.name = "zcpool",
	.setup = zc_setup,
	.teardown = zc_teardown,
	.alloc = zc_alloc,
	.free = zc_free,
	.alloc_bulk = zc_alloc_bulk,
	.free_bulk = zc_free_bulk,
};

static const struct zcpool_bench_impl impl_zcpool_zero = {
	.name = "zcpool+zero",
	.zeroes = true,
	.setup = zc_zero_setup,
	.teardown = zc_teardown,
	.alloc = zc_alloc,
	.free = zc_free,
	.alloc_bulk = zc_alloc_bulk,
	.free_bulk = zc_free_bulk,
};

/* --- slab --------------------------------------------------------------------- */

static int cache_setup(struct zcpool_bench_ctx *ctx)
{
	ctx->cache = kmem_cache_create("zcpool_bench", ctx->size, 0, 0, NULL);
	return ctx->cache ? 0 : -ENOMEM;
}

static void cache_teardown(struct zcpool_bench_ctx *ctx)
{
	kmem_cache_destroy(ctx->cache);
}

static int cache_alloc(struct zcpool_bench_ctx *ctx, u64 *handle)
{
	void *obj = kmem_cache_alloc(ctx->cache, GFP_KERNEL);

	if (!obj)
		return -ENOMEM;
	*handle = (unsigned long)obj;
	return 0;
}

static void cache_free(struct zcpool_bench_ctx *ctx, u64 handle)
{
	kmem_cache_free(ctx->cache, (void *)(unsigned long)handle);
}

/* A u64 array doubles as the void * array of the slab bulk calls. */
static void **handles_as_ptrs(u64 *handles)
{
	BUILD_BUG_ON(sizeof(void *) != sizeof(u64));
	return (void **)handles;
}

static int cache_alloc_bulk(struct zcpool_bench_ctx *ctx, u64 *handles, unsigned int n)
{
	if (!kmem_cache_alloc_bulk(ctx->cache, GFP_KERNEL, n, handles_as_ptrs(handles)))
		return -ENOMEM;
	return 0;
}

static void cache_free_bulk(struct zcpool_bench_ctx *ctx, u64 *handles, unsigned int n)
{
	kmem_cache_free_bulk(ctx->cache, n, handles_as_ptrs(handles));
}

static const struct zcpool_bench_impl impl_kmem_cache = {
	.name = "kmem_cache",
	.setup = cache_setup,
	.teardown = cache_teardown,
	.alloc = cache_alloc,
	.free = cache_free,
	.alloc_bulk = cache_alloc_bulk,
	.free_bulk = cache_free_bulk,
};

static bool kmalloc_fits(size_t size)
{
	return size <= KMALLOC_MAX_SIZE;
}

static int kmalloc_setup(struct zcpool_bench_ctx *ctx)
{
	ctx->gfp = GFP_KERNEL;
	return 0;
}

static int kzalloc_setup(struct zcpool_bench_ctx *ctx)
{
	ctx->gfp = GFP_KERNEL | __GFP_ZERO;
	return 0;
}

static int kmalloc_alloc(struct zcpool_bench_ctx *ctx, u64 *handle)
{
	void *obj = kmalloc(ctx->size, ctx->gfp);

	if (!obj)
		return -ENOMEM;
	*handle = (unsigned long)obj;
	return 0;
}

static void kmalloc_free(struct zcpool_bench_ctx *ctx, u64 handle)
{
	kfree((void *)(unsigned long)handle);
}

static void kmalloc_free_bulk(struct zcpool_bench_ctx *ctx, u64 *handles, unsigned int n)
{
	kfree_bulk(n, handles_as_ptrs(handles));
}

/* kfree_bulk() exists, kmalloc_bulk() does not: a loop of direct calls. */
static int kmalloc_alloc_bulk(struct zcpool_bench_ctx *ctx, u64 *handles, unsigned int n)
{
	unsigned int i;
	void *obj;

	for (i = 0; i < n; i++) {
		obj = kmalloc(ctx->size, ctx->gfp);
		if (!obj) {
			kmalloc_free_bulk(ctx, handles, i);
			return -ENOMEM;
		}
		handles[i] = (unsigned long)obj;
	}
	return 0;
}

static const struct zcpool_bench_impl impl_kmalloc = {
	.name = "kmalloc",
	.fits = kmalloc_fits,
	.setup = kmalloc_setup,
	.alloc = kmalloc_alloc,
	.free = kmalloc_free,
	.alloc_bulk = kmalloc_alloc_bulk,
	.free_bulk = kmalloc_free_bulk,
};

static const struct zcpool_bench_impl impl_kzalloc = {
	.name = "kzalloc",
	.zeroes = true,
	.fits = kmalloc_fits,
	.setup = kzalloc_setup,
	.alloc = kmalloc_alloc,
	.free = kmalloc_free,
	.alloc_bulk = kmalloc_alloc_bulk,
	.free_bulk = kmalloc_free_bulk,
};

/* --- the page allocator --------------------------------------------------------- */

static bool pages_fits(size_t size)
{
	return size >= PAGE_SIZE && get_order(size) <= ZCPOOL_MAX_PAGE_ORDER;
}

static int pages_setup(struct zcpool_bench_ctx *ctx)
{
	ctx->order = get_order(ctx->size);
	ctx->gfp = GFP_KERNEL | __GFP_NOWARN;
	return 0;
}

static int pages_zero_setup(struct zcpool_bench_ctx *ctx)
{
	ctx->order = get_order(ctx->size);
	ctx->gfp = GFP_KERNEL | __GFP_NOWARN | __GFP_ZERO;
	return 0;
}

static int pages_alloc(struct zcpool_bench_ctx *ctx, u64 *handle)
{
	struct page *page = alloc_pages(ctx->gfp, ctx->order);

	if (!page)
		return -ENOMEM;
	*handle = (unsigned long)page;
	return 0;
}

static void pages_free(struct zcpool_bench_ctx *ctx, u64 handle)
{
	__free_pages((struct page *)(unsigned long)handle, ctx->order);
}

/* No bulk free for pages of any order: a loop of direct calls. */
static void pages_free_bulk(struct zcpool_bench_ctx *ctx, u64 *handles, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		__free_pages((struct page *)(unsigned long)handles[i], ctx->order);
}

/*
 * The bulk call serves order 0 only and fills only the NULL entries of
 * its array (clearing it is part of its cost); it may return fewer pages
 * than asked, which its users then allocate one by one.
 */
static int pages_alloc_bulk(struct zcpool_bench_ctx *ctx, u64 *handles, unsigned int n)
{
	struct page **pages = (struct page **)handles_as_ptrs(handles);
	unsigned long got = 0;
	int ret;

	if (!ctx->order) {
		memset(pages, 0, n * sizeof(*pages));
		got = alloc_pages_bulk_array(ctx->gfp, n, pages);
	}
	for (; got < n; got++) {
		ret = pages_alloc(ctx, &handles[got]);
		if (ret)
			goto err_free;
	}
	return 0;

err_free:
	pages_free_bulk(ctx, handles, got);
	return ret;
}

static const struct zcpool_bench_impl impl_pages = {
	.name = "alloc_pages",
	.fits = pages_fits,
	.setup = pages_setup,
	.alloc = pages_alloc,
	.free = pages_free,
	.alloc_bulk = pages_alloc_bulk,
	.free_bulk = pages_free_bulk,
};

static const struct zcpool_bench_impl impl_pages_zero = {
	.name = "alloc_pages+zero",
	.zeroes = true,
	.fits = pages_fits,
	.setup = pages_zero_setup,
	.alloc = pages_alloc,
	.free = pages_free,
	.alloc_bulk = pages_alloc_bulk,
	.free_bulk = pages_free_bulk,
};

/* --- gen_pool ------------------------------------------------------------------- */

static unsigned int gen_granule_order(size_t size)
{
	return min_t(unsigned int, order_base_2(size), PAGE_SHIFT);
}

static void gen_teardown(struct zcpool_bench_ctx *ctx)
{
	unsigned int i;

	if (ctx->gen)
		gen_pool_destroy(ctx->gen);
	ctx->gen = NULL;
	for (i = 0; i < ctx->nr_gen; i++)
		__free_pages(ctx->gen_pages[i], BENCH_GEN_BLOCK_ORDER);
	ctx->nr_gen = 0;
	kfree(ctx->gen_pages);
	ctx->gen_pages = NULL;
}

/*
 * Enough blocks for max_live objects, none straddling two blocks, and one
 * more: while another CPU sets the bits of a place, a search skips it.
 */
static int gen_setup(struct zcpool_bench_ctx *ctx)
{
	size_t block = PAGE_SIZE << BENCH_GEN_BLOCK_ORDER;
	size_t granule = (size_t)1 << gen_granule_order(ctx->size);
	/* Every object takes a power of two: granules, or an aligned place. */
	size_t per_block = block / roundup_pow_of_two(ctx->size);
	unsigned int nr = DIV_ROUND_UP(ctx->max_live, per_block) + 1;
	struct page *page;
	int ret;

	if (!per_block)
		return -EINVAL;
	ctx->gen_pages = kcalloc(nr, sizeof(*ctx->gen_pages), GFP_KERNEL);
	if (!ctx->gen_pages)
		return -ENOMEM;
	ctx->gen = gen_pool_create(gen_granule_order(ctx->size), NUMA_NO_NODE);
	if (!ctx->gen) {
		ret = -ENOMEM;
		goto err_teardown;
	}
	/*
	 * An object of several granules goes only where its size aligns it.
	 * Under plain first fit two CPUs that find the same hole both set its
	 * bits a word at a time; the one that meets the other's takes its own
	 * back and searches on from the hole's start, past the other's first
	 * word, and may settle there, across the place of the next object:
	 * each such object strands a hole short of an object, and the one
	 * block more than max_live needs ran out (-ENOMEM in the 1 MiB pairs
	 * on two vCPUs, in some boots). Aligned, a loser only finds places of
	 * their own, and gen_pool keeps its one extra block, as a user of
	 * fixed-size buffers would set it up.
	 */
	if (granule < ctx->size) {
		ctx->gen_align.align = roundup_pow_of_two(ctx->size);
		gen_pool_set_algo(ctx->gen, gen_pool_first_fit_align, &ctx->gen_align);
	}
	while (ctx->nr_gen < nr) {
		/*
		 * Untimed, so it may compact: a 2-vCPU bulk of 1 MiB needs 33
		 * blocks of 4 MiB, and without a retry one boot in three
		 * found none, which left gen_pool out of that row.
		 */
		page = alloc_pages(GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL,
				   BENCH_GEN_BLOCK_ORDER);
		if (!page) {
			ret = -ENOMEM;
			goto err_teardown;
		}
		ctx->gen_pages[ctx->nr_gen++] = page;
		ret = gen_pool_add_virt(ctx->gen, (unsigned long)page_address(page),
					page_to_phys(page), block, NUMA_NO_NODE);
		if (ret)
			goto err_teardown;
	}
	return 0;

err_teardown:
	gen_teardown(ctx);
	return ret;
}

static int gen_alloc(struct zcpool_bench_ctx *ctx, u64 *handle)
{
	unsigned long addr = gen_pool_alloc(ctx->gen, ctx->size);

	if (!addr)
		return -ENOMEM;
	*handle = addr;
	return 0;
}

static void gen_free(struct zcpool_bench_ctx *ctx, u64 handle)
{
	gen_pool_free(ctx->gen, handle, ctx->size);
}

/* gen_pool has no bulk calls: loops of direct calls. */
static void gen_free_bulk(struct zcpool_bench_ctx *ctx, u64 *handles, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		gen_pool_free(ctx->gen, handles[i], ctx->size);
}

static int gen_alloc_bulk(struct zcpool_bench_ctx *ctx, u64 *handles, unsigned int n)
{
	unsigned long addr;
	unsigned int i;

	for (i = 0; i < n; i++) {
		addr = gen_pool_alloc(ctx->gen, ctx->size);
		if (!addr) {
			gen_free_bulk(ctx, handles, i);
			return -ENOMEM;
		}
		handles[i] = addr;
	}
	return 0;
}

static const struct zcpool_bench_impl impl_gen_pool = {
	.name = "gen_pool",
	.setup = gen_setup,
	.teardown = gen_teardown,
	.alloc = gen_alloc,
	.free = gen_free,
	.alloc_bulk = gen_alloc_bulk,
	.free_bulk = gen_free_bulk,
};

/* zcpool first: the results compare every other line with it. */
const struct zcpool_bench_impl *const zcpool_bench_impls[] = {
	&impl_zcpool,
	&impl_zcpool_zero,
	&impl_kmem_cache,
	&impl_kmalloc,
	&impl_kzalloc,
	&impl_pages,
	&impl_pages_zero,
	&impl_gen_pool,
};

const unsigned int zcpool_bench_nr_impls = ARRAY_SIZE(zcpool_bench_impls);
