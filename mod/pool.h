/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A pool: the in-kernel allocator API that the device, KUnit and the
 * benchmarks use. A pool owns its chunks and hands out {offset, size}
 * allocations in its window, an offset space cut into slots of one
 * preferred chunk each.
 *
 * Units: offsets and sizes in bytes. Ownership: the pool owns every page it
 * holds; zcpool_pool_pages() lends pages with a reference each. Locking: the
 * functions below may be called concurrently on one pool, except
 * zcpool_pool_destroy(); the lock order is at the top of arena.c.
 *
 * Other GPL modules reach create, destroy, alloc, free, the bulk calls and
 * stats through the symbol namespace ZCPOOL (MODULE_IMPORT_NS(ZCPOOL)):
 * the benchmark module measures the allocator of the loaded zcpool.ko, with
 * its parameters, rather than a second copy of it.
 */
#ifndef _ZCPOOL_POOL_H
#define _ZCPOOL_POOL_H

#include <linux/bits.h>
#include <linux/types.h>

#include <linux/zcpool.h>

#include "arena.h"
#include "buddy.h"
#include "chunk.h"
#include "sizeclass.h"

struct page;
struct zcpool_pool;

/* Allocation flags are the uapi's: ZCPOOL_ALLOC_ZERO, ZCPOOL_ALLOC_VALID_FLAGS. */

/*
 * The most arenas a pool has. Each may keep an empty chunk in reserve, so
 * this also bounds what an idle pool holds.
 */
#define ZCPOOL_POOL_MAX_ARENAS		64

/*
 * Arenas when the config leaves it to the pool: one per online CPU up to
 * this many. Arenas spread lock contention, but each may keep an empty
 * chunk; past 4 the per-CPU caches (a later step) take the contention.
 */
#define ZCPOOL_POOL_DEFAULT_ARENAS	4

/*
 * The longest page run a chunk serves by default: the uapi's 16 pages, as
 * many as the per-CPU caches hold. A buddy tree cannot move what lives in it, so under
 * random lifetimes long runs pin whole chunks around the holes they leave:
 * on the bench's churn trace, chunks that served runs up to a chunk held
 * 2.7 times the live bytes, and 1.12 times with this limit. Longer runs
 * take exactly their pages instead, which the page allocator's own buddy
 * lists keep together far better than a 4 MiB tree can.
 */
#define ZCPOOL_POOL_DEFAULT_RUN_PAGES	ZCPOOL_RUN_MAX_PAGES

/*
 * The size of every pool window: 64 TiB, far beyond any cap, so that every
 * offset + size stays far below LLONG_MAX (mmap offsets are loff_t) and the
 * slot index of a chunk of at least 8 pages fits the u32 of xa_alloc().
 */
#define ZCPOOL_POOL_WINDOW_BYTES	BIT_ULL(46)

/**
 * struct zcpool_pool_config - how to build a pool
 * @chunk_order:    a chunk is 2^@chunk_order pages, and a window slot that
 *                  many bytes; 0 for the chunk_order module parameter.
 *                  %ZCPOOL_CHUNK_MIN_ORDER up to the page allocator's
 *                  largest order.
 * @max_page_order: the largest order the pool asks the page allocator
 *                  for; 0 for @chunk_order. A lower value forces the
 *                  fallback to smaller chunks, for tests.
 * @max_bytes:      the most the pool may hold (pages taken from the page
 *                  allocator); 0 for the pool_max_bytes module parameter,
 *                  which is also the most it may be.
 * @nr_arenas:      1 to %ZCPOOL_POOL_MAX_ARENAS, or 0 for the default.
 * @max_run_pages:  page runs up to this many pages are carved from chunks,
 *                  longer ones get pages of their own like huge
 *                  allocations; at most a chunk's pages, or 0 for
 *                  %ZCPOOL_POOL_DEFAULT_RUN_PAGES (a chunk's pages when
 *                  chunks are shorter).
 * @keep_spares:    keep freed huge allocations as spares for the next
 *                  ones, within what the live huge allocations shrank by
 *                  lately (pool.c, "Spares"); off, they go back at once.
 * @release:        called before pages go back to the page allocator with
 *                  the window range they covered, so that the device layer
 *                  can zap it from user mappings; may sleep, called with
 *                  no pool lock held, but maybe under the shrinker's
 *                  mutex (shrinker.c): it must not create or destroy a
 *                  pool; NULL when nothing maps the pool. Not
 *                  called by zcpool_pool_destroy(), which runs when no
 *                  mapping is left.
 * @mapped:         whether anything maps the pool now: when it says not,
 *                  a freed huge allocation skips @release (it has no PTE
 *                  to zap); called under a spinlock, must not sleep; NULL
 *                  when @release is always needed.
 * @release_priv:   passed to @release and @mapped.
 */
struct zcpool_pool_config {
	unsigned int chunk_order;
	unsigned int max_page_order;
	u64 max_bytes;
	unsigned int nr_arenas;
	unsigned int max_run_pages;
	bool keep_spares;
	void (*release)(void *priv, u64 offset, u64 size);
	bool (*mapped)(void *priv);
	void *release_priv;
};

/* Orders of chunks and page runs: 0 .. ZCPOOL_BUDDY_MAX_ORDER. */
#define ZCPOOL_POOL_NR_ORDERS	(ZCPOOL_BUDDY_MAX_ORDER + 1)

/* Chunk usage lists, as arena.h's enum zcpool_arena_usage counts them. */
#define ZCPOOL_POOL_NR_USAGE	6

/**
 * struct zcpool_pool_stats - what a pool holds and has handed out
 * @bytes_requested: sum of the requested sizes of live allocations.
 * @bytes_held:      pages the pool holds from the page allocator, in bytes.
 * @bytes_cached:    bytes of allocations waiting in per-CPU caches.
 * @bytes_empty:     pages of empty chunks the arenas keep, in bytes.
 * @bytes_spare:     pages of spare huge allocations, in bytes.
 * @pages_taken:     pages ever taken from the page allocator.
 * @pages_returned:  pages ever given back to it; @pages_taken minus this
 *                   is @bytes_held in pages.
 * @chunks:          chunks the pool holds (huge allocations not counted).
 * @chunk_fallbacks: chunks taken at a smaller order than the pool's.
 * @live:            live allocations.
 * @allocs:          allocations made.
 * @frees:           allocations freed.
 * @runs_live:       live page runs.
 * @kept_runs:       empty subpage runs the arenas keep for their class.
 * @huge_live:       live huge allocations.
 * @spares:          freed huge allocations kept for reuse.
 * @spares_cpu:      those of @spares that wait in a CPU's magazine.
 * @cached:          allocations waiting in per-CPU caches (not live).
 * @arena_live:      allocations out of the arenas: @live ones that are not
 *                   huge, plus @cached ones.
 * @cache_hits:      allocations served from a per-CPU cache.
 * @cache_misses:    allocations of a cached shape that an arena served.
 * @class_live:      live elements per size class.
 * @run_orders:      live page runs per order_base_2(pages).
 * @chunk_orders:    chunks held per order.
 * @chunk_usage:     chunks per usage list (empty, q000 .. q100).
 *
 * Large (about 1.3 KiB): callers keep it off the stack.
 */
struct zcpool_pool_stats {
	u64 bytes_requested;
	u64 bytes_held;
	u64 bytes_cached;
	u64 bytes_empty;
	u64 bytes_spare;
	u64 pages_taken;
	u64 pages_returned;
	u64 chunks;
	u64 chunk_fallbacks;
	u64 live;
	u64 allocs;
	u64 frees;
	u64 runs_live;
	u64 kept_runs;
	u64 huge_live;
	u64 spares;
	u64 spares_cpu;
	u64 cached;
	u64 arena_live;
	u64 cache_hits;
	u64 cache_misses;
	u64 class_live[ZCPOOL_SIZECLASS_NR];
	u64 run_orders[ZCPOOL_POOL_NR_ORDERS];
	u64 chunk_orders[ZCPOOL_POOL_NR_ORDERS];
	u64 chunk_usage[ZCPOOL_POOL_NR_USAGE];
};

struct zcpool_huge;

/**
 * struct zcpool_pool_taken - an allocation taken back from its caller, not yet put away
 * @obj:    where it is, and how much of it may hold old data (not for a
 *          huge allocation).
 * @claim:  what it was (its class or run, its requested size).
 * @offset: its window offset.
 * @huge:   the huge allocation taken, or NULL for one of the arenas.
 */
struct zcpool_pool_taken {
	struct zcpool_arena_obj obj;
	struct zcpool_chunk_claim claim;
	u64 offset;
	struct zcpool_huge *huge;
};

struct zcpool_pool *zcpool_pool_create(const struct zcpool_pool_config *config);
void zcpool_pool_destroy(struct zcpool_pool *pool);
int zcpool_pool_alloc(struct zcpool_pool *pool, u64 size, u64 align, u32 flags, u64 *offset);
int zcpool_pool_free(struct zcpool_pool *pool, u64 offset);
int zcpool_pool_free_held(struct zcpool_pool *pool, u64 offset, u64 *held);
int zcpool_pool_alloc_bulk(struct zcpool_pool *pool, u64 size, u64 align, u32 flags,
			   u64 *offsets, unsigned int count);
int zcpool_pool_free_bulk(struct zcpool_pool *pool, const u64 *offsets, unsigned int count);
int zcpool_pool_take_many(struct zcpool_pool *pool, const u64 *offsets, unsigned int nr,
			  struct zcpool_pool_taken *taken, unsigned int *done);
void zcpool_pool_untake(struct zcpool_pool *pool, const struct zcpool_pool_taken *taken,
			unsigned int nr);
void zcpool_pool_put_taken(struct zcpool_pool *pool, const struct zcpool_pool_taken *taken,
			   unsigned int nr);
void zcpool_pool_stats(struct zcpool_pool *pool, struct zcpool_pool_stats *st);
u64 zcpool_pool_max_bytes(const struct zcpool_pool *pool);
int zcpool_pool_set_max_bytes(struct zcpool_pool *pool, u64 max_bytes);
void zcpool_pool_restore_max_bytes(struct zcpool_pool *pool, u64 lowered, u64 old);
unsigned int zcpool_pool_pages(struct zcpool_pool *pool, u64 offset, struct page **pages,
			       unsigned int max);
struct page *zcpool_pool_page(struct zcpool_pool *pool, u64 offset);
u64 zcpool_pool_slot_bytes(const struct zcpool_pool *pool);
u64 zcpool_pool_total_held(void);
bool zcpool_pool_total_room(u64 bytes);
unsigned long zcpool_pool_drain_caches(struct zcpool_pool *pool);
unsigned long zcpool_pool_reclaimable(struct zcpool_pool *pool);
unsigned long zcpool_pool_reclaim(struct zcpool_pool *pool);

#if IS_ENABLED(CONFIG_KUNIT)
bool zcpool_pool_charge(struct zcpool_pool *pool, u64 bytes);
void zcpool_pool_uncharge(struct zcpool_pool *pool, u64 bytes);
#endif

#endif /* _ZCPOOL_POOL_H */
