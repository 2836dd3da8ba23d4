// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU caches of allocations in front of the arenas (see cache.h).
 *
 * A magazine is a LIFO stack: the allocation freed last is handed out
 * next, while its cache lines are still warm. Its bounds are set per slot
 * (zcpool_cache_capacity()) and, across the slots of one CPU, by a byte
 * budget, so the memory a pool's caches pin is bounded by
 * num_possible_cpus() * %ZCPOOL_CACHE_CPU_BYTES whatever the workload.
 *
 * Nothing here talks to an arena with preemption disabled: a refill is
 * allocated by the caller first and then put in (zcpool_cache_fill()),
 * and an overflowing free hands the evicted half back to the caller
 * (zcpool_cache_free_slow()), which gives it to the arenas. Only the drain
 * calls the arenas itself, with the magazines frozen (see cache.h).
 */

#include <linux/cpumask.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/ratelimit.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "cache.h"

/*
 * An expedited grace period interrupts every CPU. Drains come before a
 * pool grows and when a pool at its cap is refused, so a caller failing
 * at its cap in a loop, refilling the cache between tries, would otherwise
 * send those interrupts back to back. One drain of a cache per gap
 * (about 10 ms) expedites; the others wait for a normal grace period
 * (milliseconds), which also slows such a loop down. Per cache: a
 * shrinker's walk drains each pool once, expedited as before, where one
 * module-wide gap would have made it wait a normal grace period per pool
 * with the shrinker's lock held. But one process can open many pools and
 * loop each at its cap, so the module as a whole also expedites at most
 * CACHE_EXPEDITE_PER_SEC drains a second (cache_expedite_budget), in
 * bursts of as many: a shrinker's walk of that many pools still expedites
 * each.
 */
#define CACHE_EXPEDITE_GAP	msecs_to_jiffies(10)
#define CACHE_EXPEDITE_PER_SEC	100

/* RATELIMIT_MSG_ON_RELEASE: no "callbacks suppressed" in the log. */
static struct ratelimit_state cache_expedite_budget =
	RATELIMIT_STATE_INIT_FLAGS(cache_expedite_budget, HZ, CACHE_EXPEDITE_PER_SEC,
				   RATELIMIT_MSG_ON_RELEASE);

/**
 * zcpool_cache_capacity() - how many allocations one magazine holds
 * @slot: a slot from zcpool_cache_slot().
 *
 * Context: any context.
 * Return: %ZCPOOL_CACHE_PAGE_MAG for runs of one page; else
 * %ZCPOOL_CACHE_MAG_BYTES worth of allocations, clamped to
 * %ZCPOOL_CACHE_MAG_MIN .. %ZCPOOL_CACHE_MAG_MAX.
 */
unsigned int zcpool_cache_capacity(unsigned int slot)
{
	if (slot == zcpool_cache_slot(-1, 1))
		return ZCPOOL_CACHE_PAGE_MAG;
	return clamp_t(unsigned long, ZCPOOL_CACHE_MAG_BYTES / zcpool_cache_slot_bytes(slot),
		       ZCPOOL_CACHE_MAG_MIN, ZCPOOL_CACHE_MAG_MAX);
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_cache_capacity);

/**
 * zcpool_cache_refill_count() - allocations a miss brings into the magazine
 * @slot: a slot from zcpool_cache_slot().
 *
 * Half a magazine: the next misses are that many allocations away, and a
 * free right after the refill still finds room. At most
 * %ZCPOOL_CACHE_BATCH_MAX, the room the caller keeps for them: a miss
 * holds the arena lock for the refill.
 *
 * Context: any context.
 * Return: 1 .. %ZCPOOL_CACHE_BATCH_MAX.
 */
unsigned int zcpool_cache_refill_count(unsigned int slot)
{
	return min(zcpool_cache_capacity(slot) / 2, ZCPOOL_CACHE_BATCH_MAX);
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_cache_refill_count);

static unsigned int total_entries(void)
{
	unsigned int slot, n = 0;

	for (slot = 0; slot < ZCPOOL_CACHE_NR_SLOTS; slot++)
		n += zcpool_cache_capacity(slot);
	return n;
}

/**
 * zcpool_cache_init() - set up empty magazines on every possible CPU
 * @cache: the cache.
 *
 * Context: process context, may sleep.
 * Return: 0 or -ENOMEM.
 */
int zcpool_cache_init(struct zcpool_cache *cache)
{
	struct zcpool_cache_cpu *c;
	unsigned int cpu, slot, used;

	cache->cpu = __alloc_percpu_gfp(struct_size(c, entries, total_entries()),
					__alignof__(struct zcpool_cache_cpu),
					GFP_KERNEL_ACCOUNT);
	if (!cache->cpu)
		return -ENOMEM;
	cache->frozen = 0;
	mutex_init(&cache->drain_lock);
	cache->expedited_at = jiffies - CACHE_EXPEDITE_GAP;
	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(cache->cpu, cpu);
		c->bytes = 0;
		c->nr = 0;
		used = 0;
		for (slot = 0; slot < ZCPOOL_CACHE_NR_SLOTS; slot++) {
			c->mags[slot].nr = 0;
			c->mags[slot].cap = zcpool_cache_capacity(slot);
			c->mags[slot].bytes = zcpool_cache_slot_bytes(slot);
			c->mags[slot].objs = &c->entries[used];
			used += c->mags[slot].cap;
		}
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_cache_init);

/**
 * zcpool_cache_destroy() - free the magazines
 * @cache: the cache; what it still holds is forgotten: the caller frees
 *         the chunks the cached allocations live in (pool destroy), or
 *         drained the cache first.
 *
 * Context: process context; nothing else may use @cache.
 */
void zcpool_cache_destroy(struct zcpool_cache *cache)
{
	mutex_destroy(&cache->drain_lock);
	free_percpu(cache->cpu);
	cache->cpu = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_cache_destroy);

static void mag_push(struct zcpool_cache_cpu *c, struct zcpool_cache_mag *mag,
		     const struct zcpool_arena_obj *obj, unsigned long bytes)
{
	mag->objs[mag->nr++] = *obj;
	WRITE_ONCE(c->bytes, c->bytes + bytes);
	WRITE_ONCE(c->nr, c->nr + 1);
}

/* Move the @n oldest allocations of @mag to @out. */
static void mag_take_oldest(struct zcpool_cache_cpu *c, struct zcpool_cache_mag *mag,
			    unsigned int n, unsigned long bytes, struct zcpool_arena_obj *out)
{
	memcpy(out, mag->objs, n * sizeof(*out));
	memmove(mag->objs, &mag->objs[n], (mag->nr - n) * sizeof(*out));
	mag->nr -= n;
	WRITE_ONCE(c->bytes, c->bytes - n * bytes);
	WRITE_ONCE(c->nr, c->nr - n);
}

/**
 * zcpool_cache_fill() - put a refill from the arena into this CPU's magazine
 * @cache: the cache.
 * @slot:  a slot from zcpool_cache_slot().
 * @objs:  allocations of @slot's shape, out of their arena and handed out
 *         to nobody; @objs[0] is the next to be handed out.
 * @nr:    how many.
 *
 * Puts in as many as the magazine and the CPU's byte budget allow (the
 * magazine may have been filled meanwhile by another task on this CPU).
 *
 * Context: process context; disables preemption meanwhile.
 * Return: how many were not cached: @objs[0 .. return value) stay the
 * caller's, to give back to the arena.
 */
unsigned int zcpool_cache_fill(struct zcpool_cache *cache, unsigned int slot,
			       struct zcpool_arena_obj *objs, unsigned int nr)
{
	struct zcpool_cache_cpu *c = zcpool_cache_local_begin(cache);
	unsigned long bytes = zcpool_cache_slot_bytes(slot);
	struct zcpool_cache_mag *mag;
	unsigned int n, i;

	if (c) {
		mag = &c->mags[slot];
		/*
		 * How many fit, counted first: three tests a push were 3.4
		 * guest blocks an object of a 4 KiB bulk free. The byte
		 * budget binds only near its end, where the loop is short.
		 */
		n = min_t(unsigned int, nr, mag->cap - mag->nr);
		while (n && c->bytes + n * bytes > ZCPOOL_CACHE_CPU_BYTES)
			n--;
		/* The last pushed is popped first: push from the end. */
		for (i = 0; i < n; i++)
			mag->objs[mag->nr + i] = objs[nr - 1 - i];
		mag->nr += n;
		WRITE_ONCE(c->bytes, c->bytes + n * bytes);
		WRITE_ONCE(c->nr, c->nr + n);
		nr -= n;
	}
	zcpool_cache_local_end();
	return nr;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_cache_fill);

/**
 * zcpool_cache_alloc_many() - take several allocations from this CPU's magazine
 * @cache: the cache.
 * @slot:  a slot from zcpool_cache_slot().
 * @objs:  room for @nr allocations.
 * @nr:    how many the caller wants.
 * @least: take none unless this many (1 to @nr) can be taken.
 *
 * For bulk calls: what the magazine has, newest first, in one go.
 *
 * Context: process context; disables preemption meanwhile.
 * Return: how many are in @objs, 0 when the magazine has fewer than
 * @least or a drain owns the magazines.
 */
unsigned int zcpool_cache_alloc_many(struct zcpool_cache *cache, unsigned int slot,
				     struct zcpool_arena_obj *objs, unsigned int nr,
				     unsigned int least)
{
	struct zcpool_cache_cpu *c = zcpool_cache_local_begin(cache);
	struct zcpool_cache_mag *mag;
	unsigned int i, n = 0;

	if (c) {
		mag = &c->mags[slot];
		n = min_t(unsigned int, nr, mag->nr);
		n = n < least ? 0 : n;
		for (i = 0; i < n; i++)
			objs[i] = mag->objs[--mag->nr];
		WRITE_ONCE(c->bytes, c->bytes - n * mag->bytes);
		WRITE_ONCE(c->nr, c->nr - n);
	}
	zcpool_cache_local_end();
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_cache_alloc_many);

/**
 * zcpool_cache_free_slow() - cache an allocation, making room first
 * @cache: the cache.
 * @slot:  a slot from zcpool_cache_slot().
 * @obj:   the allocation, claimed back (no longer live), still out of its
 *         arena.
 * @evict: room for %ZCPOOL_CACHE_BATCH_MAX + 1 entries.
 *
 * When the magazine is full, its older half (its zcpool_cache_refill_count()
 * oldest: a magazine of single pages keeps the rest) moves to @evict first. When
 * the CPU's byte budget has no room even then, or a drain owns the
 * magazines, @obj itself goes to @evict.
 *
 * Context: process context; disables preemption meanwhile.
 * Return: how many allocations are in @evict, for the caller to give back
 * to their arenas (zcpool_arena_free_objs()).
 */
unsigned int zcpool_cache_free_slow(struct zcpool_cache *cache, unsigned int slot,
				    const struct zcpool_arena_obj *obj,
				    struct zcpool_arena_obj *evict)
{
	struct zcpool_cache_cpu *c = zcpool_cache_local_begin(cache);
	unsigned long bytes = zcpool_cache_slot_bytes(slot);
	struct zcpool_cache_mag *mag;
	unsigned int n = 0;

	if (!c) {
		evict[n++] = *obj;
		goto out;
	}
	mag = &c->mags[slot];
	if (mag->nr == mag->cap) {
		n = zcpool_cache_refill_count(slot);
		mag_take_oldest(c, mag, n, bytes, evict);
	}
	if (c->bytes + bytes <= ZCPOOL_CACHE_CPU_BYTES)
		mag_push(c, mag, obj, bytes);
	else
		evict[n++] = *obj;
out:
	zcpool_cache_local_end();
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_cache_free_slow);

/**
 * zcpool_cache_may_expedite() - whether a drain at @now may expedite
 * @last:   when the cache's last expedited drain was, in jiffies; set to
 *          @now if yes.
 * @now:    jiffies now.
 * @budget: the module's expedited drains (one of its slots is taken if yes).
 *
 * Context: any context; the caller serialises uses of one @last (the
 * cache's drain lock).
 * Return: true if @now is a gap or more past @last and @budget has room.
 */
bool zcpool_cache_may_expedite(unsigned long *last, unsigned long now,
			       struct ratelimit_state *budget)
{
	if (!time_after_eq(now, *last + CACHE_EXPEDITE_GAP))
		return false;
	if (!__ratelimit(budget))
		return false;
	*last = now;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_cache_may_expedite);

/**
 * zcpool_cache_drain() - give every cached allocation back to its arena
 * @cache:   the cache.
 * @release: chunks the arenas give up are moved here; the caller releases
 *           them with no lock held.
 *
 * Freezes the cache, waits for a grace period so that no task is still
 * inside a magazine, empties the magazines of every possible CPU (an
 * offline CPU's too), and thaws the cache. The wait is expedited, which
 * takes microseconds where a normal grace period takes milliseconds, and a
 * drain sits in front of a pool's growth; but once per 10 ms or so per
 * cache, and 100 times a second for the module
 * (zcpool_cache_may_expedite()). A cache that holds nothing is left
 * alone. Allocations freed while this runs go to the arenas; ones cached
 * after it may stay.
 *
 * Context: process context, may sleep; not inside an RCU read-side
 * section. Takes the cache's drain mutex, then arena locks one at a time.
 * Return: how many allocations went back.
 */
unsigned long zcpool_cache_drain(struct zcpool_cache *cache, struct list_head *release)
{
	struct zcpool_cache_mag *mag;
	struct zcpool_cache_cpu *c;
	unsigned long drained = 0;
	unsigned int cpu, slot, n;

	if (!zcpool_cache_count(cache, NULL))
		return 0;
	mutex_lock(&cache->drain_lock);
	WRITE_ONCE(cache->frozen, 1);
	/*
	 * A preempt-disabled section is an RCU read-side section: once this
	 * returns, every use of a magazine that missed the flag has ended.
	 */
	if (zcpool_cache_may_expedite(&cache->expedited_at, jiffies, &cache_expedite_budget))
		synchronize_rcu_expedited();
	else
		synchronize_rcu();
	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(cache->cpu, cpu);
		for (slot = 0; slot < ZCPOOL_CACHE_NR_SLOTS; slot++) {
			mag = &c->mags[slot];
			n = mag->nr;
			if (!n)
				continue;
			/* Out of every magazine and not live: the arena takes them. */
			WARN_ON_ONCE(zcpool_arena_free_objs(mag->objs, n, release));
			mag->nr = 0;
			WRITE_ONCE(c->bytes, c->bytes - n * zcpool_cache_slot_bytes(slot));
			WRITE_ONCE(c->nr, c->nr - n);
			drained += n;
		}
		cond_resched();
	}
	/* Pairs with zcpool_cache_local_begin(): the next user sees them empty. */
	smp_store_release(&cache->frozen, 0);
	mutex_unlock(&cache->drain_lock);
	return drained;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_cache_drain);

/**
 * zcpool_cache_count() - what the caches hold now
 * @cache: the cache.
 * @bytes: if not NULL, set to the bytes of the cached allocations.
 *
 * Context: any context; lockless and racy while the pool is in use, exact
 * when it is not.
 * Return: the number of cached allocations.
 */
unsigned long zcpool_cache_count(struct zcpool_cache *cache, unsigned long *bytes)
{
	struct zcpool_cache_cpu *c;
	unsigned long nr = 0, sum = 0;
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(cache->cpu, cpu);
		nr += READ_ONCE(c->nr);
		sum += READ_ONCE(c->bytes);
	}
	if (bytes)
		*bytes = sum;
	return nr;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_cache_count);
