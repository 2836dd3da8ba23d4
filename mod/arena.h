/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An arena: the locked allocation domain of a pool. It owns a set of
 * chunks, keeps them on lists by usage, serves small sizes from subpage
 * runs and larger ones from page runs of its chunks' buddy trees, and hands
 * empty chunks beyond a small reserve back to its caller for release.
 *
 * The arena knows nothing of the pool window, limits or the page allocator's
 * fallback: when it needs a new chunk it says so (-EAGAIN and the order it
 * needs), and the pool brings one. That keeps the arena's lock the only lock
 * here. Allocations move between the arena and the pool's per-CPU caches
 * in batches (zcpool_arena_alloc() with @want > 1, zcpool_arena_free_objs()).
 *
 * Locking: the lock-order block is at the top of arena.c.
 */
#ifndef _ZCPOOL_ARENA_H
#define _ZCPOOL_ARENA_H

#include <linux/list.h>
#include <linux/log2.h>
#include <linux/memcontrol.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "chunk.h"
#include "sizeclass.h"

/*
 * Usage lists: a chunk is on exactly one. ZCPOOL_ARENA_EMPTY holds chunks
 * with nothing allocated; the others are named after the lowest usage (in
 * percent of pages) they are meant for; arena.c has the bounds.
 */
enum zcpool_arena_usage {
	ZCPOOL_ARENA_EMPTY,
	ZCPOOL_ARENA_Q000,
	ZCPOOL_ARENA_Q025,
	ZCPOOL_ARENA_Q050,
	ZCPOOL_ARENA_Q075,
	ZCPOOL_ARENA_Q100,
	ZCPOOL_ARENA_NR_USAGE,
};

/*
 * Empty chunks an arena keeps instead of giving them back: one absorbs a
 * workload that oscillates around a chunk boundary (without it, allocating
 * and freeing one run there would take and give back a whole chunk each
 * time); a second would only hold memory nobody uses.
 */
#define ZCPOOL_ARENA_EMPTY_RESERVE	1

/*
 * Empty subpage runs an arena keeps attached for the next allocations of
 * their class (arena.c): a batch of 64 1 KiB buffers is 12 runs past the
 * per-CPU cache, and making them anew for every batch (a descriptor from
 * the slab, freed after a grace period) was 43% of its time on Debian's
 * kernel. At most this many pages' worth of runs of up to 8 pages each.
 */
#define ZCPOOL_ARENA_KEPT_RUNS_MAX	16

/*
 * A batch of at least this many runs of a power-of-two length takes whole
 * blocks of them at once (zcpool_buddy_alloc_many()); a smaller one, a
 * per-CPU cache's refill say, takes each run next to the one before. A
 * block comes from the largest free room, where a run next to the last
 * one fills the holes around it: with blocks for the refills too, the
 * chunks of the bench's churn trace held 0.190 of the requested bytes
 * beyond them, not 0.188.
 */
#define ZCPOOL_ARENA_BLOCK_MIN_RUNS	16

/* Whether @want runs of @pages pages are taken as a block (see above). */
static inline bool zcpool_arena_takes_block(unsigned int pages, unsigned int want)
{
	return want >= ZCPOOL_ARENA_BLOCK_MIN_RUNS && is_power_of_2(pages);
}

/**
 * struct zcpool_arena_stats - what an arena has given to its pool
 * @live:       allocations out of the arena: handed out to callers of the
 *              pool or waiting in its per-CPU caches.
 * @allocs:     allocations ever made.
 * @frees:      allocations ever freed.
 * @runs_live:  page runs out of the arena.
 * @kept_runs:  empty subpage runs kept for their class (filled by
 *              zcpool_arena_stats_add() only).
 * @usage:      chunks per usage list (filled by zcpool_arena_stats_add()
 *              only).
 */
struct zcpool_arena_stats {
	u64 live;
	u64 allocs;
	u64 frees;
	u64 runs_live;
	u64 kept_runs;
	u64 usage[ZCPOOL_ARENA_NR_USAGE];
};

/**
 * struct zcpool_arena - an allocation domain
 * @lock:     protects everything below and every chunk and run of the arena.
 * @usage:    chunks by usage, one list per &enum zcpool_arena_usage.
 * @partial:  per size class, the runs with at least one free element.
 * @nr_chunks: chunks on the lists.
 * @nr_empty: chunks on the %ZCPOOL_ARENA_EMPTY list.
 * @empty_pages: their pages; also read without @lock, by the shrinker.
 * @nr_kept_runs: empty subpage runs kept attached for their class
 *          (arena.c), at most %ZCPOOL_ARENA_KEPT_RUNS_MAX.
 * @stats:    counters, exact because every change happens under @lock.
 */
struct zcpool_arena {
	spinlock_t lock;	/* the arena lock: see the top of arena.c */
	struct list_head usage[ZCPOOL_ARENA_NR_USAGE];
	struct list_head partial[ZCPOOL_SIZECLASS_NR];
	unsigned int nr_chunks;
	unsigned int nr_empty;
	unsigned long empty_pages;
	unsigned int nr_kept_runs;
	struct zcpool_arena_stats stats;
};

/**
 * struct zcpool_arena_obj - one allocation out of an arena
 * @chunk:     the chunk holding it.
 * @off:       its byte offset in @chunk (a chunk is at most 4 GiB).
 * @dirty_len: bytes from @off that may hold old data: 0 when the memory is
 *             fresh from the page allocator.
 */
struct zcpool_arena_obj {
	struct zcpool_chunk *chunk;
	u32 off;
	u32 dirty_len;
};

static_assert((PAGE_SIZE << ZCPOOL_BUDDY_MAX_ORDER) - 1 <= U32_MAX);

/**
 * struct zcpool_arena_req - one allocation request and what it got
 * @cls:         in: the size class, or -1 for a page run.
 * @pages:       in: a page run's length in pages (ignored for a class).
 * @want:        in: how many allocations, at least 1.
 * @objs:        in: room for @want; out: the first @nr are the allocations.
 * @nr:          out: how many were made.
 * @spare_chunk: in: a new chunk for the arena; taken by the next
 *               zcpool_arena_alloc() whatever it returns.
 * @spare_run:   a subpage run descriptor kept across calls; freed by
 *               zcpool_arena_req_done() when unused.
 * @need_order:  out (-EAGAIN): the smallest chunk order that can serve it.
 * @release:     out: chunks the arena gave up, which the caller must
 *               release (zap, remove from the window, destroy) with no
 *               lock held.
 * @memcg:       in: the memory cgroup a run descriptor is charged to,
 *               or NULL for the caller's.
 */
struct zcpool_arena_req {
	int cls;
	unsigned int pages;
	unsigned int want;
	struct zcpool_arena_obj *objs;
	unsigned int nr;
	struct zcpool_chunk *spare_chunk;
	struct zcpool_run *spare_run;
	unsigned int need_order;
	struct list_head release;
	struct mem_cgroup *memcg;
};

void zcpool_arena_init(struct zcpool_arena *arena);
void zcpool_arena_req_init(struct zcpool_arena_req *req, int cls, unsigned int pages,
			   struct zcpool_arena_obj *objs, unsigned int want);
void zcpool_arena_req_done(struct zcpool_arena_req *req);
int zcpool_arena_alloc(struct zcpool_arena *arena, struct zcpool_arena_req *req);
unsigned int zcpool_arena_free_objs(const struct zcpool_arena_obj *objs, unsigned int nr,
				    struct list_head *release);
unsigned int zcpool_arena_pages(struct zcpool_arena *arena, struct zcpool_chunk *chunk,
				u64 chunk_off, struct page **pages, unsigned int max);
unsigned int zcpool_arena_release_empty(struct zcpool_arena *arena, struct list_head *release);
unsigned long zcpool_arena_empty_pages(struct zcpool_arena *arena);
void zcpool_arena_stats_add(struct zcpool_arena *arena, struct zcpool_arena_stats *sum);

#endif /* _ZCPOOL_ARENA_H */
