// SPDX-License-Identifier: GPL-2.0
/*
 * Arenas: the locking layer of the allocator.
 *
 * Lock order (outermost first) of the pool and its arenas:
 *
 *  1. pool->window_lock (mutex, pool.c): serialises adding entries to the
 *     pool window (a new chunk's slot, a huge allocation's slot range), so
 *     that the search for a free slot range and the inserts are one step.
 *     Held with no other zcpool lock, but for a hold of the huge lock (2)
 *     with nothing done under it, after the erase of a huge allocation's
 *     slots when a later insert failed (pool_huge_lookups_done()); it may
 *     sleep (xarray node allocation).
 *  2. arena->lock (spinlock, here) protects the arena's usage lists, its
 *     lists of partial subpage runs, its counters, and for every chunk of
 *     the arena the buddy tree, the page descriptors and the subpage runs.
 *     pool->huge_lock (spinlock, pool.c), which protects the pool's spare
 *     huge allocations, is at the same level. Neither is ever held together
 *     with another zcpool lock but a CPU's magazine lock of huge
 *     allocations (pool.c, struct pool_huge_mag), which nests inside the
 *     huge lock and under which nothing nests; a free or an allocation
 *     takes that one alone when it can. Neither is held across anything
 *     that sleeps:
 *     the arena lock is dropped to allocate a run descriptor (GFP_KERNEL),
 *     and the pool takes chunks from the page allocator with no lock held
 *     and hands them in with the next call (struct zcpool_arena_req).
 *  3. The window xarray's own xa_lock nests inside 1 (xa_alloc, xa_store,
 *     the erase of a failed insert), else is taken with no zcpool lock
 *     held (erases); nothing nests inside it.
 *  4. The per-CPU caches (cache.h) take no lock: a task uses its CPU's
 *     magazines with preemption disabled, never across an arena call
 *     (refills are allocated from the arena first and then put in, evicted
 *     allocations are taken out first and then given to the arena). A
 *     drain holds the cache's drain_lock (mutex), freezes the magazines,
 *     and takes arena locks (2) one at a time to give them back.
 *  The shrinker's mutex (shrinker.c) is outermost: held while the shrinker,
 *  or a pool the module's total cap refused, reclaims a pool, which takes
 *  the drain mutex and 2 and calls the release hook; held in an allocation
 *  call only there, with no other zcpool lock held.
 *
 * Lockless: looking a chunk up by window offset (xa_load() under RCU; a
 * chunk's arena, pages, order and slot never change once published, and
 * its descriptor is freed only after a grace period, so the lookup may take
 * the arena lock and then finds every page of a chunk being given up
 * marked free); handing an allocation out and claiming it back on free
 * (chunk.c: an atomic flag per page run, an atomic bitmap per subpage run
 * whose descriptor is also freed after a grace period, so the arena lock
 * is needed only to move allocations between the arena and the pool);
 * the per-CPU statistics of the pool; the pool's bytes-held counters (atomic64 compare-and-swap
 * against the limits); zeroing an allocation after it is handed out.
 *
 * Chunk lists by usage, as in Netty's PoolChunkList (q000 .. q100), with
 * overlapping bounds: a chunk moves up when its usage passes its list's top
 * and down when it falls under its list's bottom, so one that sits on a
 * boundary does not change list (and place in the scan order) on every
 * allocation and free. Allocation scans the busiest lists first (q075,
 * q050, q025, q000, then the empty chunks): new allocations fill nearly
 * full chunks, so free pages gather in the others, which drain, become
 * empty and go back to the page allocator. Netty starts at q050 because it
 * tests chunks by trying to allocate from them; here zcpool_buddy_largest_
 * free() says in O(1) whether a chunk can serve the request, so skipping
 * a busy chunk that cannot is cheap. Chunks that are full are not scanned.
 *
 * Small sizes come from subpage runs: per class, a list of runs with free
 * elements, newest first. A run that fills up leaves the list. One that
 * becomes empty is kept, attached and at the tail of the list (so that
 * partly used runs fill first), while its chunk holds other allocations
 * and the arena keeps fewer than %ZCPOOL_ARENA_KEPT_RUNS_MAX: a batch
 * bigger than the per-CPU cache empties and refills the same runs over
 * and over. Otherwise its pages go back to the buddy tree at once, and
 * when a chunk holds nothing but kept runs they go too, so that chunks
 * still drain (keeping the last run of a class whatever its chunk holds,
 * as Netty does, would pin the chunk forever). The shrinker's release
 * drops every kept run.
 */

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/spinlock.h>
#include <kunit/visibility.h>

#include "arena.h"

/* A chunk leaves its list when its usage (percent of pages) is out of these. */
static const struct {
	u8 min;
	u8 max;
} usage_bounds[ZCPOOL_ARENA_NR_USAGE] = {
	[ZCPOOL_ARENA_EMPTY] = { 0, 0 },
	[ZCPOOL_ARENA_Q000] = { 0, 25 },
	[ZCPOOL_ARENA_Q025] = { 15, 50 },
	[ZCPOOL_ARENA_Q050] = { 40, 75 },
	[ZCPOOL_ARENA_Q075] = { 65, 99 },
	[ZCPOOL_ARENA_Q100] = { 100, 100 },
};

/* The lists an allocation looks at, busiest first; full chunks are skipped. */
static const u8 scan_order[] = {
	ZCPOOL_ARENA_Q075, ZCPOOL_ARENA_Q050, ZCPOOL_ARENA_Q025,
	ZCPOOL_ARENA_Q000, ZCPOOL_ARENA_EMPTY,
};

/* Returned by arena_alloc_locked() when it needs a run descriptor first. */
#define ARENA_NEED_RUN	1

/**
 * zcpool_arena_init() - set up an arena with no chunks
 * @arena: the arena.
 *
 * Context: any context; the arena is not shared yet.
 */
void zcpool_arena_init(struct zcpool_arena *arena)
{
	unsigned int i;

	spin_lock_init(&arena->lock);
	for (i = 0; i < ARRAY_SIZE(arena->usage); i++)
		INIT_LIST_HEAD(&arena->usage[i]);
	for (i = 0; i < ARRAY_SIZE(arena->partial); i++)
		INIT_LIST_HEAD(&arena->partial[i]);
	arena->nr_chunks = 0;
	arena->nr_empty = 0;
	arena->empty_pages = 0;
	memset(&arena->stats, 0, sizeof(arena->stats));
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_arena_init);

/**
 * zcpool_arena_req_init() - prepare a request
 * @req:   the request.
 * @cls:   a size class, or -1 for a page run.
 * @pages: a page run's length in pages.
 * @objs:  room for @want allocations.
 * @want:  how many allocations of that shape, at least 1.
 *
 * Context: any context.
 */
void zcpool_arena_req_init(struct zcpool_arena_req *req, int cls, unsigned int pages,
			   struct zcpool_arena_obj *objs, unsigned int want)
{
	memset(req, 0, sizeof(*req));
	req->cls = cls;
	req->pages = pages;
	req->objs = objs;
	req->want = want;
	INIT_LIST_HEAD(&req->release);
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_arena_req_init);

/**
 * zcpool_arena_req_done() - free what a request kept but did not use
 * @req: the request; its release list must have been emptied by the caller.
 *
 * Context: any context.
 */
void zcpool_arena_req_done(struct zcpool_arena_req *req)
{
	zcpool_chunk_run_free(req->spare_run);
	req->spare_run = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_arena_req_done);

static unsigned int chunk_used_pages(const struct zcpool_chunk *chunk)
{
	return zcpool_buddy_total_pages(&chunk->buddy) - zcpool_buddy_free_pages(&chunk->buddy);
}

/* Runs on every arena allocation and free: a shift, the total being 2^order. */
static unsigned int chunk_usage_pct(const struct zcpool_chunk *chunk)
{
	return (chunk_used_pages(chunk) * 100) >> chunk->buddy.order;
}

/* Empty chunks: the largest orders at the head (used first, kept longest). */
static void arena_add_empty(struct zcpool_arena *arena, struct zcpool_chunk *chunk)
{
	struct list_head *empty = &arena->usage[ZCPOOL_ARENA_EMPTY];
	struct zcpool_chunk *first;

	first = list_first_entry_or_null(empty, struct zcpool_chunk, node);
	if (!first || chunk->order >= first->order)
		list_move(&chunk->node, empty);
	else
		list_move_tail(&chunk->node, empty);
	chunk->usage = ZCPOOL_ARENA_EMPTY;
	arena->nr_empty++;
	WRITE_ONCE(arena->empty_pages, arena->empty_pages + zcpool_chunk_nr_pages(chunk));
}

/* Put @chunk on the list its usage calls for, after an allocation or a free. */
static void arena_update_usage(struct zcpool_arena *arena, struct zcpool_chunk *chunk)
{
	unsigned int pct = chunk_usage_pct(chunk);
	unsigned int list = chunk->usage;

	lockdep_assert_held(&arena->lock);
	if (zcpool_buddy_is_unused(&chunk->buddy)) {
		if (list != ZCPOOL_ARENA_EMPTY)
			arena_add_empty(arena, chunk);
		return;
	}
	if (list == ZCPOOL_ARENA_EMPTY) {
		arena->nr_empty--;
		WRITE_ONCE(arena->empty_pages, arena->empty_pages - zcpool_chunk_nr_pages(chunk));
		list = ZCPOOL_ARENA_Q000;
	}
	while (pct > usage_bounds[list].max)
		list++;
	while (pct < usage_bounds[list].min)
		list--;
	if (list != chunk->usage) {
		list_move(&chunk->node, &arena->usage[list]);
		chunk->usage = list;
	}
}

/* Give up empty chunks beyond @keep, the smallest first. */
static unsigned int arena_trim(struct zcpool_arena *arena, unsigned int keep,
			       struct list_head *release)
{
	struct zcpool_chunk *chunk;
	unsigned int pages = 0;

	lockdep_assert_held(&arena->lock);
	while (arena->nr_empty > keep) {
		chunk = list_last_entry(&arena->usage[ZCPOOL_ARENA_EMPTY],
					struct zcpool_chunk, node);
		list_move(&chunk->node, release);
		arena->nr_empty--;
		arena->nr_chunks--;
		pages += zcpool_chunk_nr_pages(chunk);
		WRITE_ONCE(arena->empty_pages, arena->empty_pages - zcpool_chunk_nr_pages(chunk));
	}
	return pages;
}

/*
 * Runs of @pages pages from @chunk: up to @want of them side by side
 * (a power of two of them) when @want and @pages allow, else one, next to
 * the run at page @prev if that is not negative. *@got says how many.
 */
static int chunk_take_runs(struct zcpool_chunk *chunk, unsigned int pages, unsigned int want,
			   int prev, unsigned int *got)
{
	if (zcpool_arena_takes_block(pages, want))
		return zcpool_buddy_alloc_many(&chunk->buddy, pages, want, got);
	*got = 1;
	if (prev < 0)
		return zcpool_buddy_alloc(&chunk->buddy, pages);
	return zcpool_buddy_alloc_after(&chunk->buddy, pages, prev);
}

/*
 * Take up to @want runs of @pages pages, side by side, from the busiest
 * chunk that has room for one; -ENOSPC if none.
 */
static int arena_take_pages(struct zcpool_arena *arena, unsigned int pages, unsigned int want,
			    struct zcpool_chunk **chunkp, unsigned int *got)
{
	unsigned int block = roundup_pow_of_two(pages);
	struct zcpool_chunk *chunk;
	unsigned int i;
	int first;

	lockdep_assert_held(&arena->lock);
	for (i = 0; i < ARRAY_SIZE(scan_order); i++) {
		list_for_each_entry(chunk, &arena->usage[scan_order[i]], node) {
			if (zcpool_buddy_largest_free(&chunk->buddy) < block)
				continue;
			first = chunk_take_runs(chunk, pages, want, -1, got);
			/* largest_free said it fits: only a broken tree fails here. */
			if (WARN_ON_ONCE(first < 0))
				continue;
			arena_update_usage(arena, chunk);
			*chunkp = chunk;
			return first;
		}
	}
	return -ENOSPC;
}

/*
 * Page runs for @req, as many as it still wants from the first chunk with
 * room, side by side (chunk_take_runs()); the chunk is put on its usage
 * list once for them all.
 */
static int arena_alloc_runs(struct zcpool_arena *arena, struct zcpool_arena_req *req)
{
	unsigned int pages = req->pages, got = 0, takes = 1, n, i;
	struct zcpool_arena_obj *obj;
	struct zcpool_chunk *chunk;
	bool dirty;
	int first;

	first = arena_take_pages(arena, pages, req->want - req->nr, &chunk, &n);
	if (first < 0) {
		req->need_order = order_base_2(pages);
		return -EAGAIN;
	}
	for (;;) {
		for (i = 0; i < n; i++, first += pages) {
			zcpool_chunk_set_run(chunk, first, pages, &dirty);
			obj = &req->objs[req->nr++];
			obj->chunk = chunk;
			obj->off = first << PAGE_SHIFT;
			obj->dirty_len = dirty ? pages << PAGE_SHIFT : 0;
		}
		got += n;
		if (req->nr == req->want)
			break;
		first = chunk_take_runs(chunk, pages, req->want - req->nr, first - pages, &n);
		if (first < 0)
			break;
		takes++;
	}
	arena->stats.runs_live += got;
	arena->stats.live += got;
	arena->stats.allocs += got;
	/* arena_take_pages() placed it for its own runs only. */
	if (takes > 1)
		arena_update_usage(arena, chunk);
	return 0;
}

/* An empty subpage run, off its list, gives its pages back to the tree. */
static void arena_drop_run(struct zcpool_run *run)
{
	struct zcpool_chunk *chunk = run->chunk;

	zcpool_chunk_run_detach(run);
	WARN_ON_ONCE(zcpool_buddy_free(&chunk->buddy, run->first_page, run->pages));
	zcpool_chunk_run_free(run);
}

/* A kept run of @chunk is in use again, or dropped: it is no longer kept. */
static void arena_unkeep_run(struct zcpool_arena *arena, struct zcpool_run *run)
{
	arena->nr_kept_runs--;
	run->chunk->kept_pages -= run->pages;
}

/* A kept run leaves its list and gives its pages back to the tree. */
static void arena_drop_kept_run(struct zcpool_arena *arena, struct zcpool_run *run)
{
	list_del_init(&run->node);
	arena_unkeep_run(arena, run);
	arena_drop_run(run);
}

/* @chunk holds nothing but kept runs: drop them, so that it can drain. */
static void arena_drop_kept_runs(struct zcpool_arena *arena, struct zcpool_chunk *chunk)
{
	struct zcpool_run *run;
	unsigned int page = 0;

	while (chunk->kept_pages && page < zcpool_chunk_nr_pages(chunk)) {
		run = chunk->meta[page].kind == ZCPOOL_CHUNK_PAGE_SUBPAGE ?
		      chunk->meta[page].run : NULL;
		if (!run) {
			page++;
			continue;
		}
		page = run->first_page + run->pages;
		/* Every subpage run left is a kept one: empty, on its list. */
		if (WARN_ON_ONCE(!zcpool_subpage_is_empty(&run->sp)))
			continue;
		arena_drop_kept_run(arena, run);
	}
}

/* A run of @req->cls with a free element, made from new pages if need be. */
static struct zcpool_run *arena_partial_run(struct zcpool_arena *arena,
					    struct zcpool_arena_req *req, int *err)
{
	struct list_head *partial = &arena->partial[req->cls];
	struct zcpool_chunk *chunk;
	struct zcpool_run *run;
	unsigned int one;
	int first;

	run = list_first_entry_or_null(partial, struct zcpool_run, node);
	if (run) {
		/* Kept runs are at the tail: the first is one only if no other is left. */
		if (zcpool_subpage_is_empty(&run->sp))
			arena_unkeep_run(arena, run);
		return run;
	}
	if (!req->spare_run) {
		*err = ARENA_NEED_RUN;
		return NULL;
	}
	run = req->spare_run;
	first = arena_take_pages(arena, run->pages, 1, &chunk, &one);
	if (first < 0) {
		req->need_order = order_base_2(run->pages);
		*err = -EAGAIN;
		return NULL;
	}
	req->spare_run = NULL;
	zcpool_chunk_run_attach(chunk, run, first);
	list_add(&run->node, partial);
	return run;
}

/*
 * Elements of @req->cls for @req, as many as it still wants from one run
 * with free ones: the run is found, and its list and the counters kept,
 * once for them all, not once an element; and its bitmap is written a word
 * at a time (an element at a time, its bit, count and cache took 38 of the
 * 243 instructions of a 64 B bulk allocation and free, scripts/insns).
 */
static int arena_alloc_elems(struct zcpool_arena *arena, struct zcpool_arena_req *req)
{
	/* Locals: with -fno-strict-aliasing each store to @req->objs reloaded them. */
	struct zcpool_arena_obj *objs = req->objs;
	unsigned int nr = req->nr, want = req->want;
	unsigned int clean_from, elem_size, word, idx, got;
	struct zcpool_chunk *chunk;
	struct zcpool_run *run;
	u64 first, free, rest;
	int err = 0;

	run = arena_partial_run(arena, req, &err);
	if (!run)
		return err;
	chunk = run->chunk;
	elem_size = run->elem_size;
	first = (u64)run->first_page << PAGE_SHIFT;
	clean_from = run->clean_from;
	while (nr < want && (free = zcpool_subpage_peek_word(&run->sp, &word))) {
		rest = free;
		do {
			idx = word * ZCPOOL_SUBPAGE_WORD_BITS + __ffs64(rest);
			rest &= rest - 1;
			objs[nr].chunk = chunk;
			objs[nr].off = first + (u64)idx * elem_size;
			objs[nr].dirty_len = idx < clean_from ? elem_size : 0;
			nr++;
		} while (rest && nr < want);
		zcpool_subpage_take_word(&run->sp, free ^ rest);
		/* Taken lowest first: the last is the highest. */
		clean_from = max(clean_from, idx + 1);
	}
	got = nr - req->nr;
	/* Runs on the partial list have a free element. */
	if (WARN_ON_ONCE(!got))
		return -ENOSPC;
	req->nr = nr;
	run->clean_from = clean_from;
	if (zcpool_subpage_is_full(&run->sp))
		list_del_init(&run->node);
	arena->stats.live += got;
	arena->stats.allocs += got;
	return 0;
}

static int arena_alloc_locked(struct zcpool_arena *arena, struct zcpool_arena_req *req)
{
	lockdep_assert_held(&arena->lock);
	if (req->cls < 0)
		return arena_alloc_runs(arena, req);
	return arena_alloc_elems(arena, req);
}

/**
 * zcpool_arena_alloc() - allocate elements of a class or page runs, in a batch
 * @arena: the arena.
 * @req:   the request (zcpool_arena_req_init()); a chunk in
 *         @req->spare_chunk is added to the arena first.
 *
 * Allocates up to @req->want objects of one shape into @req->objs under one
 * hold of the lock (dropped only to allocate a run descriptor), from the
 * arena's chunks, busiest first. It stops early, with what it has, rather
 * than grow the arena. When it has nothing and no
 * chunk has room, it does not take pages itself: it returns -EAGAIN with
 * the chunk order it needs in @req->need_order, and the caller brings a
 * chunk at least that big in @req->spare_chunk and calls again. Empty
 * chunks beyond %ZCPOOL_ARENA_EMPTY_RESERVE end up on @req->release.
 * The objects are allocated but not live: the pool hands them out
 * (zcpool_chunk_hand_out()) or keeps them in a per-CPU cache.
 *
 * Context: process context, may sleep (the lock is dropped to allocate a
 * run descriptor); takes the arena lock.
 * Return: 0 with @req->nr >= 1 objects; -EAGAIN when the arena needs a
 * chunk; -ENOMEM when a run descriptor could not be allocated for the
 * first object.
 */
int zcpool_arena_alloc(struct zcpool_arena *arena, struct zcpool_arena_req *req)
{
	struct mem_cgroup *old_memcg;
	int ret = 0;

	might_sleep();
	spin_lock(&arena->lock);
	if (req->spare_chunk) {
		INIT_LIST_HEAD(&req->spare_chunk->node);
		arena_add_empty(arena, req->spare_chunk);
		arena->nr_chunks++;
		req->spare_chunk = NULL;
	}
	while (req->nr < req->want) {
		ret = arena_alloc_locked(arena, req);
		if (!ret)
			continue;
		/*
		 * A batch stops short rather than grow the arena; nor does
		 * any other error drop the objects it holds (the caller
		 * would lose them, live to nobody).
		 */
		if (req->nr && ret != ARENA_NEED_RUN) {
			ret = 0;
			break;
		}
		if (ret != ARENA_NEED_RUN)
			break;
		/* What the batch holds is out of the arena: safe to unlock. */
		spin_unlock(&arena->lock);
		old_memcg = set_active_memcg(req->memcg);
		req->spare_run = zcpool_chunk_run_alloc(req->cls);
		set_active_memcg(old_memcg);
		spin_lock(&arena->lock);
		if (!req->spare_run) {
			ret = req->nr ? 0 : -ENOMEM;
			break;
		}
	}
	arena_trim(arena, ZCPOOL_ARENA_EMPTY_RESERVE, &req->release);
	spin_unlock(&arena->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_arena_alloc);

static int arena_free_run(struct zcpool_arena *arena, struct zcpool_chunk *chunk,
			  unsigned int page)
{
	unsigned int pages = chunk->meta[page].pages;

	/* The descriptors say the run is allocated: the tree must agree. */
	if (WARN_ON_ONCE(zcpool_buddy_free(&chunk->buddy, page, pages)))
		return -EINVAL;
	zcpool_chunk_clear_run(chunk, page);
	arena->stats.runs_live--;
	return 0;
}

/*
 * Give back the elements at the start of @objs (@nr, at least 1) that are
 * in @run, in their order, as a bulk free of elements allocated together
 * has them: the run goes on its lists once, after them all, and its bitmap
 * is written a word at a time. It stops at the first element that is
 * refused (not an element's start, not allocated, still handed out, or
 * given twice) or not in @run, and after one that empties the run (which
 * may then go back to the tree). Returns how many went back, for the
 * caller to count.
 */
static unsigned int arena_free_elems(struct zcpool_arena *arena, struct zcpool_run *run,
				     const struct zcpool_arena_obj *objs, unsigned int nr)
{
	struct zcpool_chunk *chunk = run->chunk;
	struct zcpool_subpage *sp = &run->sp;
	u32 run_off = run->first_page << PAGE_SHIFT, run_bytes = run->pages << PAGE_SHIFT;
	unsigned int word = UINT_MAX, n, i;
	bool was_full = zcpool_subpage_is_full(sp);
	u64 bit, allocated = 0, mask = 0;
	/* No element before the first: U32_MAX is no element's start. */
	u32 rel, next_rel = U32_MAX, idx = sp->nr_elems, rem;

	/* At most the run's allocated elements: the last of them empties it. */
	n = min(nr, sp->nr_elems - sp->nr_free);

	for (i = 0; i < n && objs[i].chunk == chunk; i++) {
		/* Before the run, a u32 wraps past it. */
		rel = objs[i].off - run_off;
		if (rel == next_rel) {
			/* The element after the one before: no division. */
			idx++;
		} else {
			if (rel >= run_bytes)
				break;
			idx = zcpool_chunk_run_index(run, rel, &rem);
			if (rem)
				break;
		}
		next_rel = rel + run->elem_size;
		if (idx >= sp->nr_elems)
			break;
		/* An element still handed out cannot come back to the arena. */
		if (zcpool_chunk_run_tag(run, idx))
			break;
		if (unlikely(idx / ZCPOOL_SUBPAGE_WORD_BITS != word)) {
			if (mask)
				zcpool_subpage_free_mask(sp, word, mask);
			word = idx / ZCPOOL_SUBPAGE_WORD_BITS;
			allocated = zcpool_subpage_allocated(sp, word);
			mask = 0;
		}
		bit = BIT_ULL(idx % ZCPOOL_SUBPAGE_WORD_BITS);
		/* Not allocated, or already given back by this call. */
		if (!(allocated & ~mask & bit))
			break;
		mask |= bit;
	}
	if (mask)
		zcpool_subpage_free_mask(sp, word, mask);
	if (!i)
		return 0;
	if (!zcpool_subpage_is_empty(&run->sp)) {
		if (was_full)
			list_add(&run->node, &arena->partial[run->cls]);
		return i;
	}
	/* Empty: kept at the tail while its chunk holds something else. */
	if (arena->nr_kept_runs < ZCPOOL_ARENA_KEPT_RUNS_MAX &&
	    chunk_used_pages(chunk) > chunk->kept_pages + run->pages) {
		list_move_tail(&run->node, &arena->partial[run->cls]);
		arena->nr_kept_runs++;
		chunk->kept_pages += run->pages;
		return i;
	}
	/* Else its pages go back to the tree so that the chunk can drain. */
	list_del_init(&run->node);
	arena_drop_run(run);
	return i;
}

/*
 * Whether the page run headed by @m may go back to the tree: allocated,
 * and not live (claimed from its caller, or never handed out).
 */
static bool arena_run_is_claimed(const struct zcpool_chunk_page *m)
{
	return m->kind == ZCPOOL_CHUNK_PAGE_RUN_HEAD && !atomic_read(&m->live);
}

/* Count @n allocations of @chunk given back to the tree or a run. */
static void arena_count_frees(struct zcpool_arena *arena, struct zcpool_chunk *chunk,
			      unsigned int n)
{
	arena->stats.live -= n;
	arena->stats.frees += n;
	if (chunk->kept_pages && chunk_used_pages(chunk) == chunk->kept_pages)
		arena_drop_kept_runs(arena, chunk);
}

/*
 * Free @objs[0], and the elements of its run that follow it in @objs (@nr
 * of them, at least 1; see arena_free_elems()), all in @objs[0].chunk,
 * without placing the chunk on its usage list: the caller does it.
 * Returns how many were freed, or -EINVAL when @objs[0] is refused.
 */
static int arena_put_back(struct zcpool_arena *arena, const struct zcpool_arena_obj *objs,
			  unsigned int nr)
{
	struct zcpool_chunk *chunk = objs[0].chunk;
	u64 chunk_off = objs[0].off;
	unsigned int page, n = 0;

	lockdep_assert_held(&arena->lock);
	if (chunk_off >= (u64)zcpool_chunk_nr_pages(chunk) << PAGE_SHIFT)
		return -EINVAL;
	page = chunk_off >> PAGE_SHIFT;
	switch (chunk->meta[page].kind) {
	case ZCPOOL_CHUNK_PAGE_RUN_HEAD:
		if (!offset_in_page(chunk_off) && arena_run_is_claimed(&chunk->meta[page]) &&
		    !arena_free_run(arena, chunk, page))
			n = 1;
		break;
	case ZCPOOL_CHUNK_PAGE_SUBPAGE:
		n = arena_free_elems(arena, chunk->meta[page].run, objs, nr);
		break;
	default:
		break;
	}
	if (!n)
		return -EINVAL;
	arena_count_frees(arena, chunk, n);
	return n;
}

/*
 * The longest stretch at the start of @objs (@nr of them, @nr at least 2)
 * that is a block of page runs of one power-of-two size, side by side in
 * their order and aligned to the block: a bulk or batch free of runs
 * allocated together (zcpool_buddy_alloc_many()) gives them back so. They
 * go back to the tree with one zcpool_buddy_free_many(), one refresh
 * above the block instead of a free and a refresh per run. Returns how
 * many it freed: 0 when @objs do not start a block of two runs or more
 * (the caller frees them one by one).
 */
static unsigned int arena_put_back_block(struct zcpool_arena *arena,
					 const struct zcpool_arena_obj *objs, unsigned int nr)
{
	struct zcpool_chunk *chunk = objs[0].chunk;
	unsigned int page, pages, n, i, len;
	struct zcpool_chunk_page *m;

	lockdep_assert_held(&arena->lock);
	if (offset_in_page(objs[0].off) ||
	    objs[0].off >= (u64)zcpool_chunk_nr_pages(chunk) << PAGE_SHIFT)
		return 0;
	page = objs[0].off >> PAGE_SHIFT;
	m = &chunk->meta[page];
	pages = m->pages;
	if (!arena_run_is_claimed(m) || !is_power_of_2(pages))
		return 0;
	/* The most runs whose block the first page is aligned to and the chunk holds. */
	n = rounddown_pow_of_two(min(nr, zcpool_chunk_nr_pages(chunk)));
	while (n > 1 && ((page & (pages * n - 1)) ||
			 page + pages * n > zcpool_chunk_nr_pages(chunk)))
		n /= 2;
	/*
	 * The first run that does not fit, from the end, as a select: no
	 * branch a run but the loop's, where stopping at it was a second
	 * (and each of arena_run_is_claimed() and the rest, or-ed, was one
	 * of its own). @m is in @chunk whatever @objs[i] is (n above).
	 */
	len = n;
	for (i = n, m += n * pages; i-- > 0;) {
		m -= pages;
		len = ((unsigned long)objs[i].chunk ^ (unsigned long)chunk) |
		      (objs[i].off ^ ((page + i * pages) << PAGE_SHIFT)) |
		      (m->kind ^ ZCPOOL_CHUNK_PAGE_RUN_HEAD) | atomic_read(&m->live) |
		      (m->pages ^ pages) ? i : len;
	}
	if (len < 2)
		return 0;
	/* A block of fewer runs is aligned too: the first page is aligned to more. */
	n = rounddown_pow_of_two(len);
	/* The descriptors say the runs are allocated: the tree must agree. */
	if (WARN_ON_ONCE(zcpool_buddy_free_many(&chunk->buddy, page, pages, n)))
		return 0;
	for (i = 0; i < n; i++)
		zcpool_chunk_clear_run(chunk, page + i * pages);
	arena->stats.runs_live -= n;
	arena_count_frees(arena, chunk, n);
	return n;
}

/**
 * zcpool_arena_free_objs() - give a batch of allocations back to their arenas
 * @objs:    allocations of any arenas, each allocated in its arena and not
 *           live (claimed back with zcpool_chunk_claim(), or never handed
 *           out); anything else is refused and changes nothing.
 * @nr:      how many.
 * @release: chunks the arenas give up are moved here; the caller releases
 *           them with no lock held.
 *
 * Takes each arena's lock once for a stretch of @objs from that arena.
 *
 * Context: process context; takes arena locks one at a time, does not sleep.
 * Return: how many were refused (0 unless a caller's bookkeeping is broken).
 */
unsigned int zcpool_arena_free_objs(const struct zcpool_arena_obj *objs, unsigned int nr,
				    struct list_head *release)
{
	struct zcpool_chunk *chunk;
	struct zcpool_arena *arena;
	unsigned int i = 0, bad = 0, n;
	int ret;

	while (i < nr) {
		arena = objs[i].chunk->arena;
		spin_lock(&arena->lock);
		for (; i < nr && objs[i].chunk->arena == arena; i += n) {
			chunk = objs[i].chunk;
			n = nr - i > 1 ? arena_put_back_block(arena, &objs[i], nr - i) : 0;
			if (!n) {
				ret = arena_put_back(arena, &objs[i], nr - i);
				bad += ret < 0;
				n = max(ret, 1);
			}
			/* Its usage list once per stretch of one chunk. */
			if (i + n == nr || objs[i + n].chunk != chunk)
				arena_update_usage(arena, chunk);
		}
		arena_trim(arena, ZCPOOL_ARENA_EMPTY_RESERVE, release);
		spin_unlock(&arena->lock);
	}
	return bad;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_arena_free_objs);

/*
 * How many pages from page @idx of @chunk on hold live data, all in one
 * allocation: the rest of a live page run, 1 for a subpage run's page with
 * a byte of a live element, 0 for a page with none.
 */
static unsigned int arena_live_pages(struct zcpool_chunk *chunk, unsigned int idx)
{
	struct zcpool_chunk_page *m = &chunk->meta[idx];

	switch (m->kind) {
	case ZCPOOL_CHUNK_PAGE_RUN_TAIL:
		m = zcpool_chunk_tail_head(chunk, idx);
		if (!m)
			return 0;
		fallthrough;
	case ZCPOOL_CHUNK_PAGE_RUN_HEAD:
		/* Handed out, not free nor waiting in a per-CPU cache. */
		if (!atomic_read(&m->live))
			return 0;
		return m - chunk->meta + m->pages - idx;
	case ZCPOOL_CHUNK_PAGE_SUBPAGE:
		if (!zcpool_chunk_run_page_live(m->run, idx - m->run->first_page))
			return 0;
		/*
		 * The page goes into user mappings whole, with the elements
		 * around the live one: those never handed out may be written
		 * there, and are fresh no more (ZCPOOL_ALLOC_ZERO clears them).
		 */
		m->run->clean_from = m->run->sp.nr_elems;
		return 1;
	default:
		return 0;
	}
}

/**
 * zcpool_arena_pages() - the pages from an offset of a chunk on that hold live data
 * @arena:     the arena, @chunk->arena.
 * @chunk:     a chunk found by window offset (it may be being given up).
 * @chunk_off: a byte offset in @chunk.
 * @pages:     room for @max pages.
 * @max:       the most to look up.
 *
 * The pages in a row from the one holding @chunk_off, up to @max, the
 * chunk's end, or the first page with no live data: each is part of a page
 * run handed out to a caller or holds at least one byte of an element
 * handed out. A fault maps up to 16 pages; one call under one hold of the
 * lock takes them all, where a call a page took the lock and looked the
 * page's allocation up again for each.
 *
 * Context: process context; takes the arena lock, under which the pages'
 * references are taken, so no page can go back to the page allocator in
 * between.
 * Return: how many pages are in @pages, each with a reference the caller
 * must put_page(); 0 when the page holding @chunk_off has no live data.
 */
unsigned int zcpool_arena_pages(struct zcpool_arena *arena, struct zcpool_chunk *chunk,
				u64 chunk_off, struct page **pages, unsigned int max)
{
	unsigned int nr_pages = zcpool_chunk_nr_pages(chunk), idx, nr = 0, n;

	if (chunk_off >= (u64)nr_pages << PAGE_SHIFT)
		return 0;
	idx = chunk_off >> PAGE_SHIFT;

	spin_lock(&arena->lock);
	while (nr < max && idx < nr_pages) {
		n = arena_live_pages(chunk, idx);
		if (!n)
			break;
		for (n = min(n, max - nr); n; n--, nr++, idx++) {
			pages[nr] = zcpool_chunk_page(chunk, idx);
			get_page(pages[nr]);
		}
	}
	spin_unlock(&arena->lock);
	return nr;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_arena_pages);

/**
 * zcpool_arena_release_empty() - give up every empty chunk, the reserve too
 * @arena:   the arena.
 * @release: the chunks are moved here; the caller releases them with no
 *           lock held.
 *
 * For the shrinker: the reserve is only a cache against churn, and the
 * next allocation that needs a chunk takes one again.
 *
 * Context: process context; takes the arena lock, does not sleep.
 * Return: the pages of the chunks moved to @release.
 */
unsigned int zcpool_arena_release_empty(struct zcpool_arena *arena, struct list_head *release)
{
	struct zcpool_run *run;
	struct zcpool_chunk *chunk;
	unsigned int pages, cls;

	spin_lock(&arena->lock);
	/* The kept runs first: their chunks may hold nothing else. */
	for (cls = 0; cls < ZCPOOL_SIZECLASS_NR && arena->nr_kept_runs; cls++) {
		while (!list_empty(&arena->partial[cls])) {
			run = list_last_entry(&arena->partial[cls], struct zcpool_run, node);
			if (!zcpool_subpage_is_empty(&run->sp))
				break;
			chunk = run->chunk;
			arena_drop_kept_run(arena, run);
			arena_update_usage(arena, chunk);
		}
	}
	pages = arena_trim(arena, 0, release);
	spin_unlock(&arena->lock);
	return pages;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_arena_release_empty);

/**
 * zcpool_arena_empty_pages() - pages of the empty chunks an arena keeps
 * @arena: the arena.
 *
 * Context: any context; a racy read, for the shrinker's estimate.
 * Return: what zcpool_arena_release_empty() would give up about now.
 */
unsigned long zcpool_arena_empty_pages(struct zcpool_arena *arena)
{
	return READ_ONCE(arena->empty_pages);
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_arena_empty_pages);

/**
 * zcpool_arena_stats_add() - add an arena's counters to a sum
 * @arena: the arena.
 * @sum:   where its counters are added.
 *
 * Context: process context; takes the arena lock, so the counters of one
 * arena are a consistent snapshot. O(chunks) for the usage histogram.
 */
void zcpool_arena_stats_add(struct zcpool_arena *arena, struct zcpool_arena_stats *sum)
{
	unsigned int i;

	struct zcpool_chunk *chunk;

	spin_lock(&arena->lock);
	sum->live += arena->stats.live;
	sum->allocs += arena->stats.allocs;
	sum->frees += arena->stats.frees;
	sum->runs_live += arena->stats.runs_live;
	sum->kept_runs += arena->nr_kept_runs;
	for (i = 0; i < ZCPOOL_ARENA_NR_USAGE; i++)
		list_for_each_entry(chunk, &arena->usage[i], node)
			sum->usage[i]++;
	spin_unlock(&arena->lock);
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_arena_stats_add);
