/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU caches: for each CPU, a bounded magazine (a LIFO stack) of
 * allocations per size class and per small page-run length, in front of
 * the arenas. A cached allocation is allocated in its arena but handed out
 * to nobody; the pool takes it from the magazine of the CPU it runs on
 * without touching an arena lock, refills an empty magazine with a batch
 * from the arena (one lock hold for many allocations), and when a free
 * finds the magazine full, moves its older half back to the arenas in one
 * batch. zcpool_cache_drain() empties every magazine (the shrinker).
 *
 * Locking: each CPU's magazines have their own spinlock, never held with
 * any other zcpool lock (see the lock order at the top of arena.c). A task
 * preempted or migrated between finding "its" CPU and taking the lock just
 * uses the other CPU's magazines, under their lock: correct, only less
 * local. Units: bytes for budgets, objects for counts.
 */
#ifndef _ZCPOOL_CACHE_H
#define _ZCPOOL_CACHE_H

#include <linux/list.h>
#include <linux/compiler.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "arena.h"
#include "sizeclass.h"

/*
 * Page runs up to 16 pages (64 KiB with 4 KiB pages) are cached: twice the
 * largest subpage run, so the run lengths that sit right above the size
 * classes, and aligned small requests (served as runs of 1-8 pages), skip
 * the arena lock too. Longer runs are rare and cost a tree walk anyway.
 */
#define ZCPOOL_CACHE_RUN_MAX_PAGES	16

/* Magazines per CPU: one per size class, then one per run length 1..16. */
#define ZCPOOL_CACHE_NR_SLOTS	(ZCPOOL_SIZECLASS_NR + ZCPOOL_CACHE_RUN_MAX_PAGES)

/*
 * A magazine holds about this many bytes, between 8 and 16 allocations:
 * 16 of the small classes and runs up to 4 KiB, fewer of the larger ones
 * but never under 8, so that a workload keeping a handful of buffers live
 * (an IO queue of 8 is typical) cycles them without the arena lock. The
 * benchmark's 4 KiB to 64 KiB pairs went to the arena on 9 of 10
 * operations with 2-entry magazines. Memory is bounded by
 * ZCPOOL_CACHE_CPU_BYTES below, and the pool drains the caches before it
 * grows, so caching never costs a chunk.
 */
#define ZCPOOL_CACHE_MAG_BYTES		(64 * 1024)
#define ZCPOOL_CACHE_MAG_MIN		8
#define ZCPOOL_CACHE_MAG_MAX		16

/* A refill brings at most half a magazine; a full one drops its older half. */
#define ZCPOOL_CACHE_BATCH_MAX		(ZCPOOL_CACHE_MAG_MAX / 2)

/*
 * The most one CPU's magazines of one pool hold, in bytes of allocations:
 * 8 runs of 16 pages, and room beside them for the small classes. An idle
 * pool pins at most this per CPU until the shrinker runs or the pool
 * grows (which drains the caches first).
 */
#define ZCPOOL_CACHE_CPU_BYTES		(1024 * 1024)

/**
 * struct zcpool_cache_mag - one magazine
 * @nr:   allocations in it, at most @cap.
 * @cap:  its capacity.
 * @objs: @cap entries in the per-CPU block; the newest is @objs[@nr - 1].
 */
struct zcpool_cache_mag {
	unsigned int nr;
	unsigned int cap;
	struct zcpool_arena_obj *objs;
};

/**
 * struct zcpool_cache_cpu - one CPU's magazines of one pool
 * @lock:    protects everything below (the per-CPU lock: arena.c's order).
 * @bytes:   bytes of the allocations cached here, at most
 *           %ZCPOOL_CACHE_CPU_BYTES.
 * @nr:      allocations cached here; read without @lock for estimates.
 * @mags:    the magazines, by zcpool_cache_slot().
 * @entries: the magazines' entries.
 */
struct zcpool_cache_cpu {
	spinlock_t lock;	/* this CPU's magazines */
	unsigned long bytes;
	unsigned int nr;
	struct zcpool_cache_mag mags[ZCPOOL_CACHE_NR_SLOTS];
	struct zcpool_arena_obj entries[];
};

/**
 * struct zcpool_cache - the per-CPU caches of one pool
 * @cpu: the per-CPU magazines.
 */
struct zcpool_cache {
	struct zcpool_cache_cpu __percpu *cpu;
};

int zcpool_cache_init(struct zcpool_cache *cache);
void zcpool_cache_destroy(struct zcpool_cache *cache);
unsigned int zcpool_cache_capacity(unsigned int slot);
unsigned int zcpool_cache_refill_count(unsigned int slot);
unsigned int zcpool_cache_fill(struct zcpool_cache *cache, unsigned int slot,
			       struct zcpool_arena_obj *objs, unsigned int nr);
unsigned int zcpool_cache_alloc_many(struct zcpool_cache *cache, unsigned int slot,
				     struct zcpool_arena_obj *objs, unsigned int nr);
unsigned int zcpool_cache_free_slow(struct zcpool_cache *cache, unsigned int slot,
				    const struct zcpool_arena_obj *obj,
				    struct zcpool_arena_obj *evict);
unsigned long zcpool_cache_drain(struct zcpool_cache *cache, struct list_head *release);
unsigned long zcpool_cache_count(struct zcpool_cache *cache, unsigned long *bytes);

/*
 * The fast paths below are inline: every cached allocation and free runs
 * them, and each is a few loads and stores, less than the call would cost.
 */

/**
 * zcpool_cache_slot() - the magazine an allocation shape goes to
 * @cls:   a size class, or -1 for a page run.
 * @pages: a page run's length in pages (ignored for a class).
 *
 * Context: any context.
 * Return: the slot, or -1 when allocations of that shape are not cached.
 */
static inline int zcpool_cache_slot(int cls, unsigned int pages)
{
	if (cls >= 0)
		return cls < ZCPOOL_SIZECLASS_NR ? cls : -1;
	if (!pages || pages > ZCPOOL_CACHE_RUN_MAX_PAGES)
		return -1;
	return ZCPOOL_SIZECLASS_NR + pages - 1;
}

/**
 * zcpool_cache_slot_bytes() - the bytes of one allocation of a slot
 * @slot: a slot from zcpool_cache_slot().
 *
 * Context: any context.
 * Return: the class size, or the run's pages in bytes.
 */
static inline unsigned long zcpool_cache_slot_bytes(unsigned int slot)
{
	if (slot < ZCPOOL_SIZECLASS_NR)
		return zcpool_sizeclass_size(slot);
	return (unsigned long)(slot - ZCPOOL_SIZECLASS_NR + 1) << PAGE_SHIFT;
}

/**
 * zcpool_cache_alloc() - take an allocation from this CPU's magazine
 * @cache: the cache.
 * @slot:  a slot from zcpool_cache_slot().
 * @obj:   set to the allocation on a hit.
 *
 * The magazines of the CPU we run on now; another one after a migration
 * is fine.
 *
 * Context: any context that may take a spinlock; takes this CPU's lock.
 * Return: true on a hit; false when the magazine is empty.
 */
static inline bool zcpool_cache_alloc(struct zcpool_cache *cache, unsigned int slot,
				      struct zcpool_arena_obj *obj)
{
	struct zcpool_cache_cpu *c = raw_cpu_ptr(cache->cpu);
	struct zcpool_cache_mag *mag = &c->mags[slot];
	bool hit;

	spin_lock(&c->lock);
	hit = mag->nr;
	if (hit) {
		*obj = mag->objs[--mag->nr];
		WRITE_ONCE(c->bytes, c->bytes - zcpool_cache_slot_bytes(slot));
		WRITE_ONCE(c->nr, c->nr - 1);
	}
	spin_unlock(&c->lock);
	return hit;
}

/**
 * zcpool_cache_put() - cache an allocation a caller gave back, if there is room
 * @cache: the cache.
 * @slot:  a slot from zcpool_cache_slot().
 * @obj:   the allocation, claimed back (no longer live), still out of its
 *         arena.
 *
 * The fast half of a free. It evicts nothing, so the caller's free path
 * needs no eviction array (216 bytes, which a kernel built with
 * INIT_STACK_ALL_ZERO clears on every call); when it fails, the caller
 * goes on with zcpool_cache_free_slow().
 *
 * Context: any context that may take a spinlock; takes this CPU's lock.
 * Return: true when @obj is in the magazine, false when the magazine or
 * the CPU's byte budget is full.
 */
static inline bool zcpool_cache_put(struct zcpool_cache *cache, unsigned int slot,
				    const struct zcpool_arena_obj *obj)
{
	struct zcpool_cache_cpu *c = raw_cpu_ptr(cache->cpu);
	struct zcpool_cache_mag *mag = &c->mags[slot];
	unsigned long bytes = zcpool_cache_slot_bytes(slot);
	bool room;

	spin_lock(&c->lock);
	room = mag->nr < mag->cap && c->bytes + bytes <= ZCPOOL_CACHE_CPU_BYTES;
	if (likely(room)) {
		mag->objs[mag->nr++] = *obj;
		WRITE_ONCE(c->bytes, c->bytes + bytes);
		WRITE_ONCE(c->nr, c->nr + 1);
	}
	spin_unlock(&c->lock);
	return room;
}

#endif /* _ZCPOOL_CACHE_H */
