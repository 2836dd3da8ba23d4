/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU caches: for each CPU, a bounded magazine (a LIFO stack) of
 * allocations per size class and per small page-run length, in front of
 * the arenas. A cached allocation is allocated in its arena but handed out
 * to nobody; the pool takes it from the magazine of the CPU it runs on
 * without touching an arena lock, refills an empty magazine with a batch
 * from the arena (one lock hold for many allocations), and when a free
 * finds the magazine full, moves its older half (of the 64 single pages,
 * the oldest 8) back to the arenas in one batch. zcpool_cache_drain()
 * empties every magazine (the shrinker).
 *
 * Locking: none on the way in and out. A task uses the magazines of the
 * CPU it runs on with preemption disabled (zcpool_cache_local_begin()),
 * for a few loads and stores: no other task can run there meanwhile, and
 * nothing in interrupt context uses them. Only a drain touches another
 * CPU's magazines, and it first takes them all (zcpool_cache_drain()): it
 * sets the cache's frozen flag, and once a grace period has passed every
 * preempt-disabled section that did not see the flag has ended, so the
 * magazines are the drain's alone until it clears the flag. Meanwhile
 * allocations and frees go to the arenas. A spinlock per CPU did the same
 * job before at two calls and a locked instruction per allocation and per
 * free, 5% of an ioctl ALLOC+FREE pair on Debian's kernel; drains are
 * rare (the shrinker, a pool about to grow or at its cap) and pay for it.
 * Units: bytes for budgets, objects for counts.
 */
#ifndef _ZCPOOL_CACHE_H
#define _ZCPOOL_CACHE_H

#include <linux/list.h>
#include <linux/compiler.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/ratelimit_types.h>
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
 * A magazine holds about this many bytes, between 8 and 16 allocations
 * (but the single pages', below): 16 of the small classes and runs up to
 * 4 KiB, fewer of the larger ones but never under 8, so that a workload
 * keeping a handful of buffers live (an IO queue of 8 is typical) cycles
 * them without the arena lock. The benchmark's 4 KiB to 64 KiB pairs went
 * to the arena on 9 of 10 operations with 2-entry magazines. Memory is
 * bounded by ZCPOOL_CACHE_CPU_BYTES below, and the pool drains the caches
 * before it grows, so caching never costs a chunk.
 */
#define ZCPOOL_CACHE_MAG_BYTES		(64 * 1024)
#define ZCPOOL_CACHE_MAG_MIN		8
#define ZCPOOL_CACHE_MAG_MAX		16

/*
 * The magazine of single pages holds 64, 256 KiB with 4 KiB pages: a
 * page is the buffer most IO moves, and a bulk call or batch ioctl of 64
 * of them (the benchmark's batch, a typical queue) then cycles through the
 * magazine alone. With 16, 48 of each 64 went through the arena lock and
 * the buddy tree both ways: half the guest blocks of a 4 KiB bulk
 * allocation and free (scripts/insns), where kmem_cache_alloc_bulk()
 * serves them from its per-CPU slab. The one slot's entries are 1 KiB
 * per CPU, 768 bytes more than 16 of them; the classes keep 16 at most,
 * for their entries fill the per-CPU block (ZCPOOL_CACHE_NR_SLOTS of
 * them). A full page magazine moves its oldest 8 down over the 56 kept
 * (zcpool_cache_free_slow()): single frees past a full magazine only, a
 * bulk free fills it and gives the rest to the arena.
 */
#define ZCPOOL_CACHE_PAGE_MAG		64

/*
 * A refill brings at most half a magazine, a full one drops its older
 * half: at most this many either way, the room the callers keep for them.
 */
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
 * @nr:    allocations in it, at most @cap.
 * @cap:   its capacity, zcpool_cache_capacity().
 * @bytes: the bytes of one allocation of its slot,
 *         zcpool_cache_slot_bytes(): kept here, for a class is sized by
 *         shifts and branches that every cached allocation and free paid.
 * @objs:  @cap entries in the per-CPU block; the newest is @objs[@nr - 1].
 */
struct zcpool_cache_mag {
	u16 nr;
	u16 cap;
	u32 bytes;
	struct zcpool_arena_obj *objs;
};

static_assert(ZCPOOL_CACHE_MAG_MAX <= U16_MAX && ZCPOOL_CACHE_PAGE_MAG <= U16_MAX);

/**
 * struct zcpool_cache_cpu - one CPU's magazines of one pool
 *
 * Changed only with preemption disabled on its CPU, or by a drain that
 * froze the cache.
 *
 * @bytes:   bytes of the allocations cached here, at most
 *           %ZCPOOL_CACHE_CPU_BYTES.
 * @nr:      allocations cached here; read without @lock for estimates.
 * @mags:    the magazines, by zcpool_cache_slot().
 * @entries: the magazines' entries.
 */
struct zcpool_cache_cpu {
	unsigned long bytes;
	unsigned int nr;
	struct zcpool_cache_mag mags[ZCPOOL_CACHE_NR_SLOTS];
	struct zcpool_arena_obj entries[];
};

/**
 * struct zcpool_cache - the per-CPU caches of one pool
 * @cpu:        the per-CPU magazines.
 * @frozen:     set while a drain owns every magazine; read with acquire.
 * @drain_lock: serialises drains.
 * @expedited_at: when a drain of this cache last expedited its grace
 *              period, in jiffies; under @drain_lock.
 */
struct zcpool_cache {
	struct zcpool_cache_cpu __percpu *cpu;
	int frozen;
	struct mutex drain_lock;	/* one drain at a time */
	unsigned long expedited_at;
};

int zcpool_cache_init(struct zcpool_cache *cache);
void zcpool_cache_destroy(struct zcpool_cache *cache);
unsigned int zcpool_cache_capacity(unsigned int slot);
unsigned int zcpool_cache_refill_count(unsigned int slot);
unsigned int zcpool_cache_fill(struct zcpool_cache *cache, unsigned int slot,
			       struct zcpool_arena_obj *objs, unsigned int nr);
unsigned int zcpool_cache_alloc_many(struct zcpool_cache *cache, unsigned int slot,
				     struct zcpool_arena_obj *objs, unsigned int nr,
				     unsigned int least);
unsigned int zcpool_cache_free_slow(struct zcpool_cache *cache, unsigned int slot,
				    const struct zcpool_arena_obj *obj,
				    struct zcpool_arena_obj *evict);
bool zcpool_cache_may_expedite(unsigned long *last, unsigned long now,
			       struct ratelimit_state *budget);
unsigned long zcpool_cache_drain(struct zcpool_cache *cache, struct list_head *release);
unsigned long zcpool_cache_count(struct zcpool_cache *cache, unsigned long *bytes);

/*
 * The fast paths below are inline: every cached allocation and free runs
 * them, and each is a few loads and stores, less than the call would cost.
 */

/**
 * zcpool_cache_slot() - the magazine an allocation shape goes to
 * @cls:   a size class (below %ZCPOOL_SIZECLASS_NR: one the size classes
 *         or a run gave), or -1 for a page run.
 * @pages: a page run's length in pages (ignored for a class).
 *
 * Every class has its magazine: a class is its own slot, unchecked (the
 * test was a branch of its own on every cached allocation and free). The
 * run's slot is computed either way and one of the two selected, which
 * GCC makes a cmov: the two tests were two branches on each page run a
 * bulk free stashes (4 KiB, per object: 39.5 guest blocks to 37.3).
 *
 * Context: any context.
 * Return: the slot, or -1 when allocations of that shape are not cached.
 */
static inline int zcpool_cache_slot(int cls, unsigned int pages)
{
	/* No pages wraps past the bound. */
	int run = pages - 1 < ZCPOOL_CACHE_RUN_MAX_PAGES ? ZCPOOL_SIZECLASS_NR + pages - 1 : -1;

	return cls >= 0 ? cls : run;
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

/* Whether a drain owns the magazines; with preemption disabled. */
static __always_inline bool zcpool_cache_frozen(struct zcpool_cache *cache)
{
	/* Pairs with the release that ends a drain: see what it took out. */
	return smp_load_acquire(&cache->frozen);
}

/**
 * zcpool_cache_local_begin() - the magazines of the CPU we run on, to use now
 * @cache: the cache.
 *
 * Disables preemption; zcpool_cache_local_end() enables it again, and must
 * be called whatever this returns.
 *
 * Context: process context.
 * Return: this CPU's magazines, or NULL while a drain owns them all.
 */
static __always_inline struct zcpool_cache_cpu *zcpool_cache_local_begin(struct zcpool_cache *cache)
{
	preempt_disable();
	if (unlikely(zcpool_cache_frozen(cache)))
		return NULL;
	return this_cpu_ptr(cache->cpu);
}

/**
 * zcpool_cache_local_end() - done with the magazines of zcpool_cache_local_begin()
 *
 * Context: after zcpool_cache_local_begin(), on the same task.
 */
static __always_inline void zcpool_cache_local_end(void)
{
	preempt_enable();
}

/**
 * zcpool_cache_alloc() - take an allocation from this CPU's magazine
 * @cache: the cache.
 * @slot:  a slot from zcpool_cache_slot().
 * @obj:   set to the allocation on a hit.
 *
 * Context: process context; disables preemption for a few instructions.
 * Return: true on a hit; false when the magazine is empty or a drain
 * owns the magazines.
 */
static inline bool zcpool_cache_alloc(struct zcpool_cache *cache, unsigned int slot,
				      struct zcpool_arena_obj *obj)
{
	struct zcpool_cache_cpu *c;
	struct zcpool_cache_mag *mag;
	bool hit = false;

	/* Not zcpool_cache_local_begin(): its NULL cost a test on every hit. */
	preempt_disable();
	if (likely(!zcpool_cache_frozen(cache))) {
		c = this_cpu_ptr(cache->cpu);
		mag = &c->mags[slot];
		hit = mag->nr;
		if (hit) {
			*obj = mag->objs[--mag->nr];
			WRITE_ONCE(c->bytes, c->bytes - mag->bytes);
			WRITE_ONCE(c->nr, c->nr - 1);
		}
	}
	zcpool_cache_local_end();
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
 * Context: process context; disables preemption for a few instructions.
 * Return: true when @obj is in the magazine, false when the magazine or
 * the CPU's byte budget is full, or a drain owns the magazines.
 */
static inline bool zcpool_cache_put(struct zcpool_cache *cache, unsigned int slot,
				    const struct zcpool_arena_obj *obj)
{
	struct zcpool_cache_cpu *c;
	struct zcpool_cache_mag *mag;
	bool room = false;

	preempt_disable();
	if (likely(!zcpool_cache_frozen(cache))) {
		c = this_cpu_ptr(cache->cpu);
		mag = &c->mags[slot];
		/*
		 * Room in the magazine and in the CPU's budget: each is a
		 * difference that is negative then, and both are when their
		 * AND is. One test: GCC made two branches (a translated block
		 * each under TCG) of "&&", and of "&" too, on every cached free.
		 */
		room = (((long)mag->nr - mag->cap) &
			((long)(c->bytes + mag->bytes) - ZCPOOL_CACHE_CPU_BYTES - 1)) < 0;
		if (likely(room)) {
			mag->objs[mag->nr++] = *obj;
			WRITE_ONCE(c->bytes, c->bytes + mag->bytes);
			WRITE_ONCE(c->nr, c->nr + 1);
		}
	}
	zcpool_cache_local_end();
	return room;
}

#endif /* _ZCPOOL_CACHE_H */
