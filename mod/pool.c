// SPDX-License-Identifier: GPL-2.0
/*
 * Pools: the window, the limits, chunk growth and huge allocations, on top
 * of the arenas (arena.c, whose top has the lock order of both files).
 *
 * The window. Every allocation is an {offset, size} in the pool's window,
 * which is cut into slots of the pool's chunk size (PAGE_SIZE << chunk
 * order). A chunk occupies one slot, at the slot's start: when the page
 * allocator could only give a smaller chunk (a fallback order), the rest of
 * its slot stays unused. Offsets stay simple that way (slot = offset >>
 * slot shift, offset in the chunk = the low bits) and window space costs
 * nothing: it is only a number range, 64 TiB of it. An xarray indexed by
 * slot finds the chunk of an offset in O(log n), without a lock (RCU).
 * A huge allocation (a page run longer than the pool's max_run_pages, up
 * to a chunk and beyond) takes a run of contiguous slots, all pointing at
 * it, and gets exactly the pages it needs, in blocks as large as the page
 * allocator gives. Freed, it goes back to the page allocator, or waits as a
 * spare for the next huge allocation that fits in it (see "Spares" below).
 *
 * Limits. The pages a pool holds are counted in bytes against the pool's
 * cap and, across all pools, against the total_max_bytes parameter, so a
 * chunk that would exceed either is not taken: -EDQUOT, never a warning
 * (-ENOMEM is kept for the page allocator, or the memcg, saying no). The
 * pool's cap may be lowered while the pool is in use, never raised; a
 * charge and a lowering of one pool are serialised by its cap lock, and
 * the total is a compare-and-swap loop that never passes its cap.
 * Before giving up on a chunk the pool tries smaller orders, which both
 * rides out fragmentation and lets a pool fill its cap to within one
 * smallest chunk.
 *
 * Per-CPU caches (cache.c) sit in front of the arenas for the size classes
 * and short page runs: an allocation is taken from the magazine of the
 * current CPU, and only a miss goes to the arena, for a batch. What is
 * "live" is decided per allocation by chunk.c's hand-out and claim, with
 * atomic operations and no lock, so a free needs no arena lock either: it
 * claims the allocation (a double or bogus free fails there), then caches
 * it. A cached allocation may hold old data: its dirty length travels with
 * it, and ZCPOOL_ALLOC_ZERO clears that much before handing it out.
 *
 * Stats. What callers see (allocations, requested bytes, per class and per
 * order) is counted in per-CPU counters on the paths that change it,
 * summed on read: exact when no call runs concurrently, and free of shared
 * cache lines on the fast path. Pages and chunks are counted where they
 * are taken and given back (atomic64), chunk usage is read off the arena
 * lists under their locks.
 */

#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/highmem.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/memcontrol.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>
#include <kunit/visibility.h>

#include "arena.h"
#include "cache.h"
#include "chunk.h"
#include "compat.h"
#include "params.h"
#include "pool.h"
#include "shrinker.h"

static_assert(ZCPOOL_POOL_NR_USAGE == ZCPOOL_ARENA_NR_USAGE);

/* Window entries: chunks are plain pointers, huge allocations tagged. */
#define POOL_ENTRY_HUGE	1

/**
 * struct zcpool_huge - an allocation with pages of its own
 * @base:       its window offset, the start of slot @first_slot.
 * @size:       the requested bytes.
 * @first_slot: its first window slot.
 * @nr_slots:   the slots it spans.
 * @nr_pages:   the pages it holds, DIV_ROUND_UP(@size, PAGE_SIZE).
 * @live:       1 while it is handed out: set with release once its state
 *              is in place, cleared by the atomic exchange of the free
 *              that claims it (pool_huge_claim_rcu()).
 * @spare_node: its place on the pool's spare list while it is a spare.
 * @rcu:        frees the descriptor after a grace period: a free looks
 *              it up and claims it under rcu_read_lock() alone.
 * @pages:      its pages, each with the reference the pool holds.
 */
struct zcpool_huge {
	u64 base;
	u64 size;
	unsigned long first_slot;
	unsigned long nr_slots;
	unsigned long nr_pages;
	atomic_t live;
	struct list_head spare_node;
	struct rcu_head rcu;
	struct page *pages[];
};

/**
 * struct pool_huge_cpu - one CPU's share of the live huge allocations
 * @live:         pages of the huge allocations made live on this CPU, less
 *                those freed on it, in bytes; never below 0 nor above all
 *                that is live (a free of another CPU's allocation counts
 *                against what is left).
 * @peak:         the most @live was in this CPU's epoch ([0]) and in the
 *                ones before it since this share last shrank ([1]).
 * @epoch_allocs: huge allocations this CPU made in its epoch.
 * @shrank:       @live went down in this epoch (a free, or the clamp).
 * @stamp:        jiffies at this CPU's last huge allocation or free.
 *
 * Used under the pool's huge lock: by the CPU that holds it, and by the
 * sweep that ages the share of a CPU that stopped allocating.
 */
struct pool_huge_cpu {
	u64 live;
	u64 peak[2];
	unsigned long stamp;
	unsigned int epoch_allocs;
	bool shrank;
};

/**
 * struct pool_pcpu_stats - one CPU's share of what callers see of a pool
 * @allocs:       allocations made (not huge ones).
 * @requested:    change of the requested bytes of live allocations.
 * @cache_misses: allocations of a cached shape served by the arena.
 * @uncached:     allocations of a shape no cache holds (page runs longer
 *                than %ZCPOOL_CACHE_RUN_MAX_PAGES), served by the arena.
 * @class_live:   change of the live elements, per size class.
 * @run_orders:   change of the live page runs, per order_base_2(pages).
 * @huge_allocs:  huge allocations made.
 * @huge_live:    change of the live huge allocations.
 *
 * Signed: an allocation freed on another CPU leaves one counter up and
 * another down; only the sum over CPUs means anything. The frees are not
 * counted: each allocation adds one to @allocs and to its class's or
 * order's live count, each free takes that one back, so the frees are
 * @allocs less what is live (pool_sum_pcpu()), and a free costs one
 * read-modify-write less. Nor are the cache hits: an allocation that is
 * not huge comes from a cache or from the arena, so the hits are @allocs
 * less the arena's, counted on its slower path.
 */
struct pool_pcpu_stats {
	u64 allocs;
	s64 requested;
	u64 cache_misses;
	u64 uncached;
	s64 class_live[ZCPOOL_SIZECLASS_NR];
	s64 run_orders[ZCPOOL_POOL_NR_ORDERS];
	u64 huge_allocs;
	s64 huge_live;
};

/*
 * A CPU's magazine of huge allocations holds up to this many of one
 * length, and this many pages in all: a queue of eight 1 MiB buffers.
 */
#define POOL_HUGE_MAG_NR	8
#define POOL_HUGE_MAG_PAGES	(SZ_8M >> PAGE_SHIFT)

/**
 * struct pool_huge_mag - one CPU's magazine of freed huge allocations
 * @lock:     protects the rest; nests inside the pool's huge lock.
 * @nr:       allocations in it; also read without @lock, for stats.
 * @untold:   allocations taken from it that the pool's epochs have not
 *            counted yet.
 * @freed:    an allocation was put in it since the pool's epochs last
 *            heard of it: its CPU's share shrank.
 * @stamp:    jiffies at its last free or allocation without the huge
 *            lock, for the sweep that looks for idle CPUs.
 * @nr_pages: the pages of each; also read without @lock, for stats.
 * @entries:  the allocations, the newest last.
 *
 * Its CPU's frees and allocations take @lock alone, and so does one that
 * moved to another CPU meanwhile: a lock of its own, not preemption, so
 * that an idle CPU's magazine can be emptied from another CPU.
 */
struct pool_huge_mag {
	spinlock_t lock;	/* the magazine */
	unsigned int nr;
	unsigned int untold;
	bool freed;
	unsigned long stamp;
	unsigned long nr_pages;
	struct zcpool_huge *entries[POOL_HUGE_MAG_NR];
};

/*
 * The window slots whose entries a lookup reads from a plain array rather
 * than the xarray: 128 slots, 512 MiB of window with 4 MiB chunks, the
 * whole of most pools, for 1 KiB per pool. The xarray's walk (xas_load()
 * and xas_start(), calls with a branch per step) was 7-9% of a bulk free;
 * the array is one bounds check and one load.
 */
#define POOL_WINDOW_HEAD_SLOTS	128

/*
 * Every head slot is in the window, whatever the slot size: an offset past
 * the window has a slot past the head array, which the xarray answers with
 * NULL (nothing is stored past the window's last slot), so a lookup needs
 * no bound of its own.
 */
static_assert(POOL_WINDOW_HEAD_SLOTS <=
	      ZCPOOL_POOL_WINDOW_BYTES >> (PAGE_SHIFT + ZCPOOL_BUDDY_MAX_ORDER));

/**
 * struct zcpool_pool - a pool
 * @chunk_order:    the preferred chunk order; slots are this big.
 * @top_order:      the largest order asked of the page allocator.
 * @max_run_pages:  the longest page run carved from a chunk.
 * @class_run_pages: per size class, the pages of the page run that serves
 *                  it (pool_class_is_run()), or 0 when it is cut into
 *                  elements; set at creation, so that an allocation reads
 *                  one byte instead of working the rule out again.
 * @keep_spares:    whether freed huge allocations may wait as spares.
 * @slot_shift:     log2 of the slot size in bytes.
 * @max_slot:       the last slot of the window.
 * @huge_above:     requests larger than this are huge at any alignment:
 *                  past the longest run and the largest size class.
 * @max_bytes:      the pool's cap on @held; changed under @cap_lock.
 * @cap_lock:       serialises the charges of @held with the lowerings of
 *                  @max_bytes (an uncharge needs no lock).
 * @release:        the config's release hook.
 * @mapped:         the config's hook that tells whether anything maps the pool.
 * @release_priv:   the argument of both.
 * @window_lock:    serialises inserts into @window (lock order: arena.c).
 * @window:         slot -> chunk or tagged huge allocation.
 * @window_head:    a copy of @window's first %POOL_WINDOW_HEAD_SLOTS
 *                  entries, for lookups (pool_window_entry()).
 * @huge_lock:      protects the spares and the counters of their budget.
 * @huge_live_bytes: pages of the huge allocations that are not spares, in
 *                  bytes: live ones, ones being freed, and those in the
 *                  CPUs' magazines (see "Magazines" below).
 * @huge_peak:      the most @huge_live_bytes was in this epoch ([0]) and
 *                  in the one before ([1]).
 * @huge_epoch_allocs: huge allocations in this epoch.
 * @huge_cpu:       each CPU's share of the live huge pages, for the budget
 *                  of the spares (under @huge_lock).
 * @huge_cpu_slack: the sum over CPUs of what their shares shrank by lately.
 * @huge_sweep_cpu: the CPU whose share the last epoch's end looked at.
 * @huge_stamp:     jiffies at the pool's last huge allocation or free.
 * @huge_resumed:   jiffies at the first of them after the pool was idle
 *                  (none for POOL_SPARE_IDLE_JIFFIES), or at its creation.
 * @spares:         freed huge allocations kept for reuse, newest first.
 * @nr_spares:      entries of @spares.
 * @spare_bytes:    their pages, in bytes; also read without @huge_lock.
 * @huge_mag:       each CPU's magazine of freed huge allocations.
 * @held:           bytes of pages held.
 * @chunks:         chunks held.
 * @fallbacks:      chunks taken below @chunk_order.
 * @chunk_orders:   chunks held, per order.
 * @pages_taken:    pages ever taken from the page allocator.
 * @pages_returned: pages ever given back to it.
 * @pcpu:           the per-CPU counters.
 * @cache:          the per-CPU caches.
 * @shrink:         the pool's place on the shrinker's lists.
 * @memcg:          the memory cgroup of the task that created the pool, with
 *                  a reference: its pages and their descriptors are charged
 *                  there, whichever task's call makes the pool grow.
 * @nr_arenas:      entries of @arenas.
 * @arenas:         the arenas; CPU n allocates from arena n % @nr_arenas.
 */
struct zcpool_pool {
	unsigned int chunk_order;
	unsigned int top_order;
	unsigned int max_run_pages;
	u8 class_run_pages[ZCPOOL_SIZECLASS_NR];
	bool keep_spares;
	unsigned int slot_shift;
	unsigned long max_slot;
	u64 huge_above;
	u64 max_bytes;
	spinlock_t cap_lock;	/* charges against @max_bytes, its changes */
	void (*release)(void *priv, u64 offset, u64 size);
	bool (*mapped)(void *priv);
	void *release_priv;
	struct mutex window_lock;	/* inserts into @window */
	struct xarray window;
	void __rcu *window_head[POOL_WINDOW_HEAD_SLOTS];
	spinlock_t huge_lock;	/* the spares and their budget */
	u64 huge_live_bytes;
	u64 huge_peak[2];
	unsigned int huge_epoch_allocs;
	struct pool_huge_cpu __percpu *huge_cpu;
	u64 huge_cpu_slack;
	unsigned int huge_sweep_cpu;
	unsigned long huge_stamp;
	unsigned long huge_resumed;
	struct list_head spares;
	unsigned int nr_spares;
	u64 spare_bytes;
	struct pool_huge_mag __percpu *huge_mag;
	atomic64_t held;
	atomic64_t chunks;
	atomic64_t fallbacks;
	atomic64_t chunk_orders[ZCPOOL_POOL_NR_ORDERS];
	atomic64_t pages_taken;
	atomic64_t pages_returned;
	struct pool_pcpu_stats __percpu *pcpu;
	struct zcpool_cache cache;
	struct zcpool_shrinker_node *shrink;
	struct mem_cgroup *memcg;
	unsigned int nr_arenas;
	struct zcpool_arena arenas[];
};

/* Bytes held by all pools, against zcpool_params.total_max_bytes. */
static atomic64_t pool_total_held = ATOMIC64_INIT(0);

/* Whether @bytes more than @held stay within @max, without overflow. */
static bool held_fits(u64 held, u64 bytes, u64 max)
{
	return bytes <= max && held <= max - bytes;
}

/* Add @bytes to @held unless that would pass @max. */
static bool held_add(atomic64_t *held, u64 bytes, u64 max)
{
	s64 old = atomic64_read(held);

	do {
		if (!held_fits(old, bytes, max))
			return false;
	} while (!atomic64_try_cmpxchg(held, &old, old + bytes));
	return true;
}

/**
 * zcpool_pool_charge() - count pages against a pool's cap and the total cap
 * @pool:  the pool.
 * @bytes: the pages' size.
 *
 * Context: not in interrupt context; takes the pool's cap lock.
 * Return: true if both caps had room, false (nothing counted) if not.
 */
VISIBLE_IF_KUNIT bool zcpool_pool_charge(struct zcpool_pool *pool, u64 bytes)
{
	bool charged;

	/*
	 * Under the cap lock, so that a lowering never sees a charge that is
	 * about to be taken back. With lock-free compare-and-swap on both
	 * sides, a charge that read the old cap and a lowering that read the
	 * charge in @held each gave way to the other: both failed, the
	 * allocation with -EDQUOT under a cap that stayed where it was, and
	 * the LIMITS call with -EINVAL. Uncharges only lower @held, which
	 * keeps any fit tested here, and need no lock. Charges come with new
	 * chunks and huge allocations only, not with each allocation.
	 */
	spin_lock(&pool->cap_lock);
	charged = held_fits(atomic64_read(&pool->held), bytes, pool->max_bytes) &&
		  held_add(&pool_total_held, bytes, READ_ONCE(zcpool_params.total_max_bytes));
	if (charged)
		atomic64_add(bytes, &pool->held);
	spin_unlock(&pool->cap_lock);
	return charged;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_pool_charge);

/**
 * zcpool_pool_uncharge() - take back one zcpool_pool_charge()
 * @pool:  the pool.
 * @bytes: what it counted.
 *
 * Context: any context.
 */
VISIBLE_IF_KUNIT void zcpool_pool_uncharge(struct zcpool_pool *pool, u64 bytes)
{
	atomic64_sub(bytes, &pool->held);
	atomic64_sub(bytes, &pool_total_held);
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_pool_uncharge);

/* pool_window_entry() past the head array: the xarray walk. */
static noinline void *pool_window_entry_xa(struct zcpool_pool *pool, unsigned long slot)
{
	XA_STATE(xas, &pool->window, slot);
	void *entry;

	do {
		entry = xas_load(&xas);
		if (xa_is_zero(entry))
			entry = NULL;
	} while (xas_retry(&xas, entry));
	return entry;
}

/*
 * The window's entry for @slot, for a caller under rcu_read_lock(): from
 * the head array for the first slots, else what xa_load() does, without
 * the RCU read section of its own, which on a preemptible-RCU kernel is
 * two more calls (a free made two such pairs). The walk is out of line:
 * inline, the compiler set up its xa_state (seven stores) on every free
 * before it looked at the slot.
 */
static __always_inline void *pool_window_entry(struct zcpool_pool *pool, unsigned long slot)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "pool window lookup outside RCU");
	if (likely(slot < POOL_WINDOW_HEAD_SLOTS))
		return rcu_dereference(pool->window_head[slot]);
	return pool_window_entry_xa(pool, slot);
}

/*
 * Copy @window's entry at @slot (@entry, NULL when erased) into the head
 * array. An entry is copied after it is stored and cleared before it is
 * erased, so that whoever stores into a freed slot next copies after the
 * clear; in between, a lookup finds nothing there, as it would before the
 * store or after the erase. The entry's memory outlives a grace period
 * after the erase, as for the xarray's readers.
 */
static void pool_window_head_set(struct zcpool_pool *pool, unsigned long slot, void *entry)
{
	if (slot < POOL_WINDOW_HEAD_SLOTS)
		rcu_assign_pointer(pool->window_head[slot], entry);
}

/* Erase @window's entry at @slot, its head copy first (see above). */
static void pool_window_erase(struct zcpool_pool *pool, unsigned long slot)
{
	pool_window_head_set(pool, slot, NULL);
	xa_erase(&pool->window, slot);
}

static u64 pool_slot_bytes(const struct zcpool_pool *pool)
{
	return 1ULL << pool->slot_shift;
}

/*
 * The window slots a huge allocation of @size bytes (checked to fit the
 * window) spans: a shift, where DIV_ROUND_UP_ULL() by the slot size was a
 * 64-bit division on every huge allocation.
 */
static unsigned long pool_huge_slots(const struct zcpool_pool *pool, u64 size)
{
	return (size + pool_slot_bytes(pool) - 1) >> pool->slot_shift;
}

/* The order of the smallest chunk that serves runs of 2^@need_order pages. */
static unsigned int pool_chunk_least_order(unsigned int need_order)
{
	return max_t(unsigned int, need_order, ZCPOOL_CHUNK_MIN_ORDER);
}

/*
 * A chunk for @arena of at least 2^@need_order pages, published in the
 * window: the pool's order if the page allocator and the caps allow it,
 * else the largest smaller one that works.
 */
static struct zcpool_chunk *__pool_chunk_new(struct zcpool_pool *pool,
					     struct zcpool_arena *arena, unsigned int need_order)
{
	unsigned int min_order = pool_chunk_least_order(need_order);
	struct zcpool_chunk *chunk = NULL;
	int err = -ENOMEM;
	int order;
	u32 slot;
	int ret;

	for (order = pool->top_order; order >= (int)min_order; order--) {
		if (!zcpool_pool_charge(pool, PAGE_SIZE << order)) {
			err = -EDQUOT;
			continue;
		}
		chunk = zcpool_chunk_create(arena, order);
		if (chunk)
			break;
		zcpool_pool_uncharge(pool, PAGE_SIZE << order);
		err = -ENOMEM;
	}
	if (!chunk)
		return ERR_PTR(err);

	/*
	 * Lookups may find the chunk as soon as xa_alloc() stores it, before
	 * slot and base are set; they never read those two (the offset's low
	 * bits are the offset in the chunk) and find every page free until
	 * the chunk is handed to its arena, after this returns.
	 */
	mutex_lock(&pool->window_lock);
	ret = xa_alloc(&pool->window, &slot, chunk, XA_LIMIT(0, pool->max_slot),
		       GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL);
	if (!ret) {
		chunk->slot = slot;
		chunk->base = (u64)slot << pool->slot_shift;
		pool_window_head_set(pool, slot, chunk);
	}
	mutex_unlock(&pool->window_lock);
	if (ret)
		goto err_destroy_chunk;

	atomic64_inc(&pool->chunks);
	atomic64_inc(&pool->chunk_orders[order]);
	atomic64_add(1UL << order, &pool->pages_taken);
	if (order < pool->chunk_order)
		atomic64_inc(&pool->fallbacks);
	return chunk;

err_destroy_chunk:
	zcpool_chunk_destroy(chunk);
	zcpool_pool_uncharge(pool, PAGE_SIZE << order);
	return ERR_PTR(-ENOMEM);
}

/* In the pool's memory cgroup, as pool_huge_new(). */
static struct zcpool_chunk *pool_chunk_new(struct zcpool_pool *pool, struct zcpool_arena *arena,
					   unsigned int need_order)
{
	struct mem_cgroup *old = set_active_memcg(pool->memcg);
	struct zcpool_chunk *chunk = __pool_chunk_new(pool, arena, need_order);

	set_active_memcg(old);
	return chunk;
}

/* Give chunks an arena gave up back to the page allocator; returns their pages. */
static unsigned long pool_release_chunks(struct zcpool_pool *pool, struct list_head *release)
{
	struct zcpool_chunk *chunk, *next;
	unsigned long pages = 0;
	unsigned int order;
	u64 bytes;

	list_for_each_entry_safe(chunk, next, release, node) {
		list_del_init(&chunk->node);
		bytes = (u64)zcpool_chunk_nr_pages(chunk) << PAGE_SHIFT;
		order = chunk->order;
		pool_window_erase(pool, chunk->slot);
		if (pool->release)
			pool->release(pool->release_priv, chunk->base, bytes);
		/* Freed after a grace period, which may end before the next line. */
		zcpool_chunk_destroy(chunk);
		zcpool_pool_uncharge(pool, bytes);
		atomic64_dec(&pool->chunks);
		atomic64_dec(&pool->chunk_orders[order]);
		atomic64_add(bytes >> PAGE_SHIFT, &pool->pages_returned);
		pages += bytes >> PAGE_SHIFT;
	}
	return pages;
}

static struct zcpool_arena *pool_arena(struct zcpool_pool *pool)
{
	return &pool->arenas[raw_smp_processor_id() % pool->nr_arenas];
}

/* pool_class() for an @align above the quantum: the search, out of line. */
static noinline int pool_class_aligned(int cls, u64 align)
{
	if (align > PAGE_SIZE)
		return -1;
	for (; cls < ZCPOOL_SIZECLASS_NR; cls++)
		if (!(zcpool_sizeclass_size(cls) & (align - 1)))
			return cls;
	return -1;
}

/*
 * The class that serves @size at @align: the first one from @size's on
 * whose elements are all aligned to @align (their size is a multiple of it,
 * runs start on a page), or -1 for a page run. Inline: every allocation
 * asks, and most ask for no alignment beyond the quantum, which every
 * class size is a multiple of (sizeclass.c, tested by both core suites).
 */
static __always_inline int pool_class(u64 size, u64 align)
{
	int cls = zcpool_sizeclass_index(size);

	if (cls < 0)
		return -1;
	if (align <= ZCPOOL_SIZECLASS_QUANTUM)
		return cls;
	return pool_class_aligned(cls, align);
}

/*
 * Whether @cls is served as a page run of its run's pages. A class whose
 * run holds a single element (3.5 KiB to 4 KiB, 7 to 8 KiB, and most of
 * those above 8 KiB: sizeclass.c) takes exactly the pages a page run of
 * its size would, so the run costs no more memory. It costs less time:
 * no run descriptor to allocate and, once empty, to free after a grace
 * period, no element bitmap, and a free run's pages merge back in the
 * buddy tree at once. A bulk call of 64 such buffers (48 beyond what a
 * magazine holds) made and freed 48 descriptors per round.
 * Such a class is cut into an element only when the pool's runs are too
 * short for it (a config's max_run_pages below the class's pages).
 */
static bool pool_class_is_run(const struct zcpool_pool *pool, int cls)
{
	/* Classes up to half a page hold two elements at least: no division. */
	return zcpool_sizeclass_size(cls) > PAGE_SIZE / 2 &&
	       zcpool_sizeclass_nr_elems(cls) == 1 &&
	       zcpool_sizeclass_run_pages(cls) <= pool->max_run_pages;
}

/*
 * Pages of a run for @size at @align: a run of N pages starts on a
 * multiple of roundup_pow_of_two(N) pages, so a larger alignment takes
 * the fewest pages whose block is that large (the tree trims the rest).
 */
static u64 pool_run_pages(u64 size, u64 align)
{
	u64 pages = DIV_ROUND_UP_ULL(size, PAGE_SIZE);
	u64 align_pages = align >> PAGE_SHIFT;

	if (align_pages > 1 && roundup_pow_of_two(pages) < align_pages)
		pages = align_pages / 2 + 1;
	return pages;
}

static void pool_zero(struct zcpool_chunk *chunk, u64 off, u64 len)
{
	u64 n;

	while (len) {
		n = min_t(u64, len, PAGE_SIZE - offset_in_page(off));
		memset(zcpool_chunk_addr(chunk, off), 0, n);
		off += n;
		len -= n;
		cond_resched();
	}
}

/*
 * Free @huge->pages[@first] up to, not including, [@end]. A huge
 * allocation may be gigabytes (up to the cap, half of RAM by default):
 * a resched point every 4 MiB, as its fill has one every block.
 */
static void pool_huge_free_pages(struct zcpool_huge *huge, unsigned long first,
				 unsigned long end)
{
	unsigned long i;

	for (i = first; i < end; i++) {
		__free_page(huge->pages[i]);
		if (!(i % 1024))
			cond_resched();
	}
}

/*
 * Free a descriptor that was in the window once it is out of it again: a
 * free that looked its slot up may still read it, under rcu_read_lock().
 */
static void pool_huge_free_desc(struct zcpool_huge *huge)
{
	kvfree_rcu(huge, rcu);
}

/* Fill @huge->pages with blocks as large as the page allocator gives. */
static int pool_huge_fill(struct zcpool_pool *pool, struct zcpool_huge *huge)
{
	unsigned int order = pool->top_order;
	unsigned long i = 0, j;
	struct page *page;

	while (i < huge->nr_pages) {
		if (fatal_signal_pending(current))
			goto err_free_pages;
		order = min_t(unsigned int, order, ilog2(huge->nr_pages - i));
		page = zcpool_chunk_alloc_pages(order);
		if (!page) {
			if (!order)
				goto err_free_pages;
			order--;
			continue;
		}
		for (j = 0; j < (1UL << order); j++)
			huge->pages[i + j] = nth_page(page, j);
		i += 1UL << order;
		cond_resched();
	}
	return 0;

err_free_pages:
	pool_huge_free_pages(huge, 0, i);
	return fatal_signal_pending(current) ? -EINTR : -ENOMEM;
}

/*
 * Wait for the faults that may have found a huge entry just erased from
 * the window: a fault looks a huge entry up and reads its pages under the
 * huge lock (pool_huge_at()), so once a caller has held that lock after
 * the erase, no fault still reads them, and they may be freed. A free
 * reads only the descriptor, under rcu_read_lock(), which the descriptor
 * outlives (pool_huge_free_desc()). The erase itself is not under the
 * lock: a huge allocation spans up to a slot per 2^chunk_order pages of
 * the pool's cap (8192 on a 64 GiB machine by default), an xa_erase()
 * each, and every fault of a huge allocation waits on the lock.
 */
static void pool_huge_lookups_done(struct zcpool_pool *pool)
{
	spin_lock(&pool->huge_lock);
	spin_unlock(&pool->huge_lock);
}

/* Find @huge->nr_slots free contiguous slots and point them at @huge. */
static int pool_huge_publish(struct zcpool_pool *pool, struct zcpool_huge *huge)
{
	void *entry = xa_tag_pointer(huge, POOL_ENTRY_HUGE);
	unsigned long start = 0, index, i;
	int ret = 0;

	mutex_lock(&pool->window_lock);
	for (;;) {
		if (huge->nr_slots > pool->max_slot + 1 - start) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		index = start;
		if (!xa_find(&pool->window, &index, start + huge->nr_slots - 1, XA_PRESENT))
			break;
		start = index + 1;
	}
	/* Before the stores: a free that finds the entry reads the base. */
	huge->first_slot = start;
	huge->base = (u64)start << pool->slot_shift;
	for (i = 0; i < huge->nr_slots; i++) {
		ret = xa_err(xa_store(&pool->window, start + i, entry,
				      GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL));
		if (ret)
			goto err_erase;
		pool_window_head_set(pool, start + i, entry);
	}
	goto out_unlock;

err_erase:
	while (i--)
		pool_window_erase(pool, start + i);
	/* The caller frees the descriptor at once. */
	pool_huge_lookups_done(pool);
out_unlock:
	mutex_unlock(&pool->window_lock);
	return ret;
}

/*
 * Take @huge's slots out of the window, with no lock held (see
 * pool_huge_lookups_done(), which must follow before it is freed). It is
 * on no list and not live, so nobody takes it meanwhile, and a slot
 * erased may be reused at once.
 */
static void pool_huge_unpublish(struct zcpool_pool *pool, struct zcpool_huge *huge)
{
	unsigned long i;

	for (i = 0; i < huge->nr_slots; i++) {
		pool_window_erase(pool, huge->first_slot + i);
		cond_resched();
	}
}

/*
 * Spares. A freed huge allocation keeps its pages and its window slots as a
 * spare, for the next huge allocation of at most as many pages (the pages
 * it does not need go back), as long as the spares stay within what the
 * live huge allocations shrank by lately: the peak of their pages over the
 * last POOL_SPARE_EPOCH_ALLOCS to twice that many huge allocations, minus
 * what is live now. Epochs count allocations only, so that a run of frees
 * (a batch of 64 buffers going back) cannot age out the peak it came down
 * from before the next batch asks for the pages again. A caller that
 * allocates and frees the same buffers in a loop, one at a time or in
 * batches, reuses them without the page allocator and without zeroing them
 * again; a pool whose live set drifts keeps about what it drifts by; a pool
 * that shrinks gives the pages back within two epochs of further
 * allocations, else when the shrinker asks or the pool goes.
 *
 * Each CPU also keeps that account of its own share, in epochs of its own
 * allocations, and the spares may hold the larger of the pool's and the
 * sum of the CPUs' budgets. Threads that each cycle their own buffers sum
 * to a live set that swings with their phase: two threads of 8 live 1 MiB
 * buffers held 8 to 16 between them, a pool-wide peak forgot the 16
 * whenever they ran out of step, and each time they fell back in step the
 * pages came again from the page allocator, zeroed (1.7 ms a MiB under
 * TCG): 15 to 90 times gen_pool's pair. Each thread's own peak stays 8.
 * A share's epoch in which it only grew does not age its peak: a thread
 * taking a batch of 64 back from the spares is still coming up to it.
 * Aged by each epoch, its peak was 16 at its 16th allocation, the frees
 * of the other thread trimmed the spares to their own budget, and the
 * rest of the batch came from the page allocator: 2-vCPU bulk of 1 MiB
 * buffers at 7 to 28 times gen_pool. On one CPU both budgets are the
 * same, but for that. A CPU that stops allocating huge
 * buffers would keep its share's budget until the shrinker ran, so each
 * end of a pool epoch looks at one CPU in turn, and a CPU that made no
 * huge allocation nor free for POOL_SPARE_IDLE_JIFFIES loses its slack.
 * Idle by time, not by the pool's epochs: aged after 4 pool epochs of
 * silence, the thread of the 2-vCPU pair that finished its repetition
 * first gave its 8 back while the other ran on, and took them fresh at
 * the next one (1.8-2.9x gen_pool again). A CPU is idle only while the
 * pool is not: its time counts from the later of its last huge call and
 * the pool's return from a second or more with none. Counted from its own
 * call alone, a pause of the whole pool (the bench runs the other
 * allocators for about 1.4 s between two repetitions of 1 MiB bulk
 * calls) left every CPU idle, the first CPU back dropped the other's
 * slack before that one was back, and its batch came from the page
 * allocator, zeroed: the 2-vCPU bulk of 1 MiB at 1.4-23x gen_pool in some
 * boots. The seeded trace runs on one CPU, never idle, so time does not
 * enter its figures. At most
 * POOL_SPARES_MAX spares (two threads' batches of 64 and more), so that
 * the best-fit scan stays bounded.
 *
 * A spare is not live: the fault path and frees refuse its offsets, and
 * its range left user mappings when it was freed (the release hook), so
 * its pages can be reused or given back without another call.
 */
#define POOL_SPARE_EPOCH_ALLOCS	8
/* A CPU with no huge allocation nor free for this long is idle. */
#define POOL_SPARE_IDLE_JIFFIES	HZ
#define POOL_SPARES_MAX		256

/* What a CPU's share shrank by lately: its budget for the spares. */
static u64 pool_huge_cpu_slack(const struct pool_huge_cpu *hc)
{
	return max(hc->peak[0], hc->peak[1]) - hc->live;
}

/* End the epoch of share @hc; one in which it only grew keeps the peak before. */
static void pool_huge_cpu_rotate(struct pool_huge_cpu *hc)
{
	hc->epoch_allocs = 0;
	hc->peak[1] = hc->shrank ? hc->peak[0] : max(hc->peak[0], hc->peak[1]);
	hc->peak[0] = hc->live;
	hc->shrank = false;
}

/* Count @allocs allocations into share @hc's epoch, which they may end. */
static __always_inline void pool_huge_cpu_count_allocs(struct pool_huge_cpu *hc,
						       unsigned int allocs)
{
	hc->epoch_allocs += allocs;
	if (hc->epoch_allocs >= POOL_SPARE_EPOCH_ALLOCS)
		pool_huge_cpu_rotate(hc);
}

/*
 * Count @bytes of huge pages going live (@live) or not on this CPU into its
 * share, @allocs allocations into its epoch, and the pool's sum of the
 * CPUs' slack, at jiffies @stamp.
 */
static __always_inline void pool_huge_cpu_tick(struct zcpool_pool *pool, u64 bytes,
					       bool live, unsigned int allocs,
					       unsigned long stamp)
{
	struct pool_huge_cpu *hc = this_cpu_ptr(pool->huge_cpu);
	u64 before = pool_huge_cpu_slack(hc);
	u64 now = live ? hc->live + bytes : hc->live - min(hc->live, bytes);

	hc->stamp = stamp;
	/* Frees of its allocations on other CPUs shrink it too (no branch). */
	hc->shrank |= !live || now > pool->huge_live_bytes;
	hc->live = min(now, pool->huge_live_bytes);
	hc->peak[0] = max(hc->peak[0], hc->live);
	pool_huge_cpu_count_allocs(hc, allocs);
	pool->huge_cpu_slack += pool_huge_cpu_slack(hc) - before;
}

/* Put @huge on the spare list; the caller takes its pages off the live ones. */
static void pool_spare_link(struct zcpool_pool *pool, struct zcpool_huge *huge)
{
	lockdep_assert_held(&pool->huge_lock);
	list_add(&huge->spare_node, &pool->spares);
	pool->nr_spares++;
	WRITE_ONCE(pool->spare_bytes, pool->spare_bytes + ((u64)huge->nr_pages << PAGE_SHIFT));
}

/*
 * Count @bytes of huge pages out of CPU @cpu's magazine, no longer live:
 * off the pool's live pages and off that CPU's share, as its frees would
 * have taken them; and what the magazine had not told the epochs yet:
 * @untold allocations, and whether it was given any (@freed).
 */
static void pool_huge_mag_leave(struct zcpool_pool *pool, unsigned int cpu, u64 bytes,
				unsigned int untold, bool freed)
{
	struct pool_huge_cpu *hc = per_cpu_ptr(pool->huge_cpu, cpu);
	u64 before = pool_huge_cpu_slack(hc);

	lockdep_assert_held(&pool->huge_lock);
	pool->huge_live_bytes -= bytes;
	/* The pool's epoch ends at its next allocation, if they end it. */
	pool->huge_epoch_allocs += untold;
	hc->live -= min(hc->live, bytes);
	hc->shrank |= freed;
	pool_huge_cpu_count_allocs(hc, untold);
	pool->huge_cpu_slack += pool_huge_cpu_slack(hc) - before;
}

/*
 * What @mag owes the pool's epochs, cleared: its untold allocations
 * (returned), and whether anything was put in it (*@freed).
 */
static unsigned int pool_huge_mag_owed(struct pool_huge_mag *mag, bool *freed)
{
	unsigned int untold = mag->untold;

	lockdep_assert_held(&mag->lock);
	*freed = mag->freed;
	mag->untold = 0;
	mag->freed = false;
	return untold;
}

/*
 * Move what CPU @cpu's magazine holds to the spares, the oldest first (the
 * newest ends on top), its pages off the live ones and off that CPU's
 * share, as its frees would have taken them; its lock held.
 */
static void __pool_huge_mag_empty(struct zcpool_pool *pool, unsigned int cpu)
{
	struct pool_huge_mag *mag = per_cpu_ptr(pool->huge_mag, cpu);
	unsigned int i, untold;
	u64 bytes = 0;
	bool freed;

	lockdep_assert_held(&pool->huge_lock);
	lockdep_assert_held(&mag->lock);
	for (i = 0; i < mag->nr; i++) {
		pool_spare_link(pool, mag->entries[i]);
		bytes += (u64)mag->entries[i]->nr_pages << PAGE_SHIFT;
	}
	WRITE_ONCE(mag->nr, 0);
	untold = pool_huge_mag_owed(mag, &freed);
	pool_huge_mag_leave(pool, cpu, bytes, untold, freed || bytes);
}

/* __pool_huge_mag_empty(), taking the magazine's lock. */
static void pool_huge_mag_empty(struct zcpool_pool *pool, unsigned int cpu)
{
	struct pool_huge_mag *mag = per_cpu_ptr(pool->huge_mag, cpu);

	spin_lock(&mag->lock);
	__pool_huge_mag_empty(pool, cpu);
	spin_unlock(&mag->lock);
}

/*
 * At the end of a pool epoch: drop the next CPU's slack if it is idle, and
 * empty its magazine into the spares, which the budget then trims.
 */
static void pool_huge_cpu_sweep(struct zcpool_pool *pool)
{
	unsigned int cpu = cpumask_next(pool->huge_sweep_cpu, cpu_possible_mask);
	unsigned long since, stamp;
	struct pool_huge_cpu *hc;
	u64 before;

	if (cpu >= nr_cpu_ids)
		cpu = cpumask_first(cpu_possible_mask);
	pool->huge_sweep_cpu = cpu;
	hc = per_cpu_ptr(pool->huge_cpu, cpu);
	/* Its magazine's frees and allocations without the lock count too. */
	stamp = READ_ONCE(per_cpu_ptr(pool->huge_mag, cpu)->stamp);
	if (time_after(stamp, hc->stamp))
		hc->stamp = stamp;
	since = time_after(pool->huge_resumed, hc->stamp) ? pool->huge_resumed : hc->stamp;
	if (time_before(jiffies, since + POOL_SPARE_IDLE_JIFFIES))
		return;
	pool_huge_mag_empty(pool, cpu);
	before = pool_huge_cpu_slack(hc);
	/* Frees on other CPUs may have left this share above what is live. */
	hc->live = min(hc->live, pool->huge_live_bytes);
	hc->peak[0] = hc->live;
	hc->peak[1] = hc->live;
	pool->huge_cpu_slack += pool_huge_cpu_slack(hc) - before;
}

/*
 * Count @bytes of huge pages going live (@live) or not into the epochs'
 * peaks, the pool's and this CPU's, and @allocs allocations into their
 * epochs. Inline, so that each caller's constant @live and @allocs fold
 * away what does not apply to it: out of line, it tested both on every
 * huge allocation and free, 7 of the blocks of each under TCG.
 */
static __always_inline void pool_huge_epoch_tick(struct zcpool_pool *pool, u64 bytes,
						 bool live, unsigned int allocs)
{
	/* jiffies is volatile: each mention of it was a load of its own. */
	unsigned long now = jiffies;

	lockdep_assert_held(&pool->huge_lock);
	if (!time_before(now, pool->huge_stamp + POOL_SPARE_IDLE_JIFFIES))
		pool->huge_resumed = now;
	pool->huge_stamp = now;
	pool->huge_peak[0] = max(pool->huge_peak[0], pool->huge_live_bytes);
	pool_huge_cpu_tick(pool, bytes, live, allocs, now);
	pool->huge_epoch_allocs += allocs;
	if (pool->huge_epoch_allocs < POOL_SPARE_EPOCH_ALLOCS)
		return;
	pool->huge_epoch_allocs = 0;
	pool->huge_peak[1] = pool->huge_peak[0];
	pool->huge_peak[0] = pool->huge_live_bytes;
	pool_huge_cpu_sweep(pool);
}

static void pool_spare_unlink(struct zcpool_pool *pool, struct zcpool_huge *huge)
{
	lockdep_assert_held(&pool->huge_lock);
	list_del(&huge->spare_node);
	pool->nr_spares--;
	WRITE_ONCE(pool->spare_bytes, pool->spare_bytes - ((u64)huge->nr_pages << PAGE_SHIFT));
}

/*
 * Move the oldest spares beyond @budget bytes (or the count) to @evict,
 * still in the window, for pool_huge_release() with the lock dropped.
 * Inline: each free of a huge allocation runs its test. A spare holds
 * pages, so spare bytes above any budget mean there is one to move, with
 * no test of the count of spares for it.
 */
static __always_inline void pool_spares_trim(struct zcpool_pool *pool, u64 budget,
					     struct list_head *evict)
{
	struct zcpool_huge *huge;

	lockdep_assert_held(&pool->huge_lock);
	while (pool->spare_bytes > budget || pool->nr_spares > POOL_SPARES_MAX) {
		huge = list_last_entry(&pool->spares, struct zcpool_huge, spare_node);
		pool_spare_unlink(pool, huge);
		list_add(&huge->spare_node, evict);
	}
}

/*
 * What the spares may hold now: the recent peak of live huge pages minus
 * what is live, or the CPUs' sum of the same for their shares if larger.
 */
static u64 pool_spare_budget(struct zcpool_pool *pool)
{
	u64 peak = max(pool->huge_peak[0], pool->huge_peak[1]);

	lockdep_assert_held(&pool->huge_lock);
	if (!pool->keep_spares)
		return 0;
	if (peak < pool->huge_live_bytes)
		peak = pool->huge_live_bytes;
	return max(peak - pool->huge_live_bytes, pool->huge_cpu_slack);
}

/* Give an unpublished huge allocation back to the page allocator; returns its pages. */
static unsigned long pool_huge_put(struct zcpool_pool *pool, struct zcpool_huge *huge)
{
	unsigned long nr_pages = huge->nr_pages;

	pool_huge_free_pages(huge, 0, nr_pages);
	zcpool_pool_uncharge(pool, (u64)nr_pages << PAGE_SHIFT);
	atomic64_add(nr_pages, &pool->pages_returned);
	pool_huge_free_desc(huge);
	return nr_pages;
}

/*
 * Take a list of spares that pool_spares_trim() moved off the spare list
 * out of the window, then pool_huge_put() each; returns their pages.
 */
static unsigned long pool_huge_release(struct zcpool_pool *pool, struct list_head *list)
{
	struct zcpool_huge *huge, *next;
	unsigned long pages = 0;

	if (list_empty(list))
		return 0;
	list_for_each_entry(huge, list, spare_node)
		pool_huge_unpublish(pool, huge);
	pool_huge_lookups_done(pool);
	list_for_each_entry_safe(huge, next, list, spare_node) {
		pages += pool_huge_put(pool, huge);
		cond_resched();
	}
	return pages;
}

/*
 * The spare that best fits @nr_pages pages over @nr_slots slots (the
 * fewest pages, at least that many), still on the spare list; or NULL.
 * Inline in the huge allocations: a call and its return are two blocks
 * under TCG, of about 80 in a huge allocation's ioctl.
 */
static __always_inline struct zcpool_huge *
pool_spare_find(struct zcpool_pool *pool, unsigned long nr_pages, unsigned long nr_slots)
{
	struct zcpool_huge *huge, *best = NULL;

	lockdep_assert_held(&pool->huge_lock);
	if (list_empty(&pool->spares))
		return NULL;
	/*
	 * The newest spare first, on its own: a buffer freed and allocated
	 * again finds its pages there, in half the loop's branches.
	 */
	huge = list_first_entry(&pool->spares, struct zcpool_huge, spare_node);
	if (huge->nr_pages == nr_pages && huge->nr_slots >= nr_slots)
		return huge;
	list_for_each_entry(huge, &pool->spares, spare_node) {
		if (huge->nr_pages < nr_pages || huge->nr_slots < nr_slots)
			continue;
		if (!best || huge->nr_pages < best->nr_pages)
			best = huge;
		if (best->nr_pages == nr_pages)
			break;
	}
	return best;
}

/* Give every spare back to the page allocator; returns their pages. */
static unsigned long pool_release_spares(struct zcpool_pool *pool)
{
	LIST_HEAD(spares);

	spin_lock(&pool->huge_lock);
	pool_spares_trim(pool, 0, &spares);
	spin_unlock(&pool->huge_lock);
	return pool_huge_release(pool, &spares);
}

/**
 * zcpool_pool_total_room() - whether all pools together may take more
 * @bytes: how much more.
 *
 * Context: any context; a snapshot.
 * Return: true if @bytes more fit under the module's total cap now.
 */
bool zcpool_pool_total_room(u64 bytes)
{
	return held_fits(atomic64_read(&pool_total_held), bytes,
			 READ_ONCE(zcpool_params.total_max_bytes));
}

/*
 * Whether @bytes more would pass the module's total cap but not @pool's
 * own: what other pools hold idle could then make room.
 */
static bool pool_total_cap_binds(struct zcpool_pool *pool, u64 bytes)
{
	return !zcpool_pool_total_room(bytes) &&
	       held_fits(atomic64_read(&pool->held), bytes, READ_ONCE(pool->max_bytes));
}

/*
 * Whether @bytes exceed @pool's cap or the module's total cap by
 * themselves: nothing given back would make room, and a request refused so
 * (an ALLOC beyond the cap, -EINVAL) must not empty the pool's caches and
 * spares on its way out, nor other pools'.
 */
static bool pool_cap_below(struct zcpool_pool *pool, u64 bytes)
{
	return bytes > READ_ONCE(pool->max_bytes) ||
	       bytes > READ_ONCE(zcpool_params.total_max_bytes);
}

/*
 * What a pool at a cap, or refused by the page allocator, can give back
 * to try again before taking @bytes: all that zcpool_pool_reclaim() gives
 * the shrinker (the per-CPU caches, the arenas' empty chunks, their
 * reserves included, and the spares). Returns whether there was any. The
 * reserves too: each arena keeps one empty chunk against churn, counted
 * against the cap, and a pool at its cap with nothing live refused a huge
 * allocation (or an allocation on a CPU whose arena had no chunk) that
 * fits under the cap once they are gone. When the module's total cap still
 * refuses after that, the other pools give back theirs until @bytes fit:
 * idle memory of one pool does not turn into -EDQUOT for another.
 */
static bool pool_give_back(struct zcpool_pool *pool, u64 bytes)
{
	bool gave;

	if (pool_cap_below(pool, bytes))
		return false;
	gave = zcpool_pool_reclaim(pool) != 0;

	/* Its own may have been cached allocations only, or too few pages. */
	if (pool_total_cap_binds(pool, bytes))
		gave |= zcpool_shrinker_reclaim_others(pool, bytes) != 0;
	return gave;
}

/*
 * Make spare @huge @nr_pages pages long: give the pages past them back, and
 * clear the rest when @flags asks for zeroed memory.
 */
static void pool_spare_fit(struct zcpool_pool *pool, struct zcpool_huge *huge,
			   unsigned long nr_pages, u32 flags)
{
	unsigned long i, extra = huge->nr_pages - nr_pages;

	pool_huge_free_pages(huge, nr_pages, huge->nr_pages);
	if (extra) {
		zcpool_pool_uncharge(pool, (u64)extra << PAGE_SHIFT);
		atomic64_add(extra, &pool->pages_returned);
	}
	huge->nr_pages = nr_pages;
	if (!(flags & ZCPOOL_ALLOC_ZERO))
		return;
	for (i = 0; i < nr_pages; i++) {
		clear_highpage(huge->pages[i]);
		cond_resched();
	}
}

/* Take @size bytes' worth of pages from the page allocator, published in the window. */
static struct zcpool_huge *__pool_huge_new(struct zcpool_pool *pool, u64 size,
					   unsigned long nr_pages, unsigned long nr_slots)
{
	struct zcpool_huge *huge;
	int ret;

	if (!zcpool_pool_charge(pool, (u64)nr_pages << PAGE_SHIFT))
		return ERR_PTR(-EDQUOT);
	/* Quiet: the size comes from the caller, and the cap bounds it anyway. */
	huge = kvzalloc(struct_size(huge, pages, nr_pages),
			GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN);
	if (!huge) {
		ret = -ENOMEM;
		goto err_uncharge;
	}
	huge->size = size;
	huge->nr_pages = nr_pages;
	huge->nr_slots = nr_slots;
	INIT_LIST_HEAD(&huge->spare_node);
	ret = pool_huge_fill(pool, huge);
	if (ret)
		goto err_free_huge;
	ret = pool_huge_publish(pool, huge);
	if (ret)
		goto err_free_pages;
	atomic64_add(nr_pages, &pool->pages_taken);
	return huge;

err_free_pages:
	pool_huge_free_pages(huge, 0, nr_pages);
err_free_huge:
	pool_huge_free_desc(huge);
err_uncharge:
	zcpool_pool_uncharge(pool, (u64)nr_pages << PAGE_SHIFT);
	return ERR_PTR(ret);
}

/*
 * A pool grows in the memory cgroup that created it, whichever task asks:
 * a pool shared with a process of another cgroup stays one cgroup's to
 * bound (memory.max) and to reclaim from (the memcg shrinker). Its
 * allocations of small orders ask __GFP_RETRY_MAYFAIL: at that cgroup's
 * limit they fail, and do not set the OOM killer on the creator's tasks
 * for another cgroup's call (as fanotify charges its group's memcg).
 */
static struct zcpool_huge *pool_huge_new(struct zcpool_pool *pool, u64 size,
					 unsigned long nr_pages, unsigned long nr_slots)
{
	struct mem_cgroup *old = set_active_memcg(pool->memcg);
	struct zcpool_huge *huge = __pool_huge_new(pool, size, nr_pages, nr_slots);

	set_active_memcg(old);
	return huge;
}

/*
 * Magazines. A freed huge allocation of up to POOL_HUGE_MAG_PAGES pages
 * goes to the magazine of the CPU that frees it, and an allocation of the
 * same pages on that CPU takes it back from there, each under the
 * magazine's own lock, which no other CPU takes but to empty it. Through
 * the huge lock alone, two CPUs that each allocated and freed their own
 * 1 MiB buffers took that lock in turn, and their pairs took 7 to 8 times
 * as long as one CPU's (perf-6.1 under TCG, 2239-2873 ns against 283-610;
 * a slab cache of 1 MiB objects, per CPU, 490-800).
 *
 * A magazine holds one length at a time, up to POOL_HUGE_MAG_NR of them.
 * The spares' budget counts its pages as live (@huge_live_bytes), so that
 * magazines and spares together stay within what the spares alone could
 * hold: the recent peak of live huge pages less what is live. Its
 * contents go to the spares, where the budget trims them and best fit
 * finds them, when its CPU frees or allocates another length, when the
 * CPU is idle (pool_huge_cpu_sweep()), and on reclaim (the shrinker, a
 * pool at its cap).
 *
 * The huge lock is skipped only while the spare list is empty: with
 * spares to age and trim, frees and allocations go through the lock, the
 * magazine too, and the budget sees each as it did before magazines. And
 * each magazine tells the pool's epochs of the allocations it served,
 * POOL_SPARE_EPOCH_ALLOCS at a time (@untold): the next one takes the
 * lock and counts them, and that frees came in between (@freed), so that
 * epochs still end, shares still age, and idle CPUs are still found,
 * while the CPUs allocate from their magazines.
 *
 * Without the lock, what is live is decided by the descriptor's @live, an
 * atomic exchange on the free's side (pool_huge_claim_rcu(), as chunk.c's
 * claims of the arenas' allocations) and a store-release on the
 * allocation's. A fault still reads the pages under the huge lock: they go
 * back to the page allocator only from the spares, under that lock.
 */

/*
 * Whether frees and allocations may use a magazine without the huge lock:
 * in a pool that keeps spares, while none is on the spare list.
 */
static __always_inline bool pool_huge_mag_fast(const struct zcpool_pool *pool)
{
	return pool->keep_spares && !READ_ONCE(pool->spare_bytes);
}

/* Put @huge in @mag if it has room for it: the same pages as the others. */
static __always_inline bool pool_huge_mag_push(struct pool_huge_mag *mag,
					       struct zcpool_huge *huge)
{
	unsigned long nr_pages = huge->nr_pages;

	lockdep_assert_held(&mag->lock);
	if (mag->nr && mag->nr_pages != nr_pages)
		return false;
	if (mag->nr == POOL_HUGE_MAG_NR || (mag->nr + 1) * nr_pages > POOL_HUGE_MAG_PAGES)
		return false;
	mag->entries[mag->nr] = huge;
	WRITE_ONCE(mag->nr_pages, nr_pages);
	WRITE_ONCE(mag->nr, mag->nr + 1);
	return true;
}

/* The newest allocation of @mag if it has @nr_pages pages, out of it; or NULL. */
static __always_inline struct zcpool_huge *pool_huge_mag_pop(struct pool_huge_mag *mag,
							     unsigned long nr_pages)
{
	lockdep_assert_held(&mag->lock);
	if (!mag->nr || mag->nr_pages != nr_pages)
		return NULL;
	WRITE_ONCE(mag->nr, mag->nr - 1);
	return mag->entries[mag->nr];
}

/*
 * An allocation of @nr_pages from this CPU's magazine without the huge
 * lock, unless the pool's epochs are owed as many as an epoch holds; or
 * NULL. The CPU may change under the caller: the lock makes that safe.
 */
static __always_inline struct zcpool_huge *pool_huge_mag_get(struct zcpool_pool *pool,
							     unsigned long nr_pages)
{
	struct pool_huge_mag *mag = raw_cpu_ptr(pool->huge_mag);
	struct zcpool_huge *huge = NULL;

	spin_lock(&mag->lock);
	if (mag->untold < POOL_SPARE_EPOCH_ALLOCS) {
		huge = pool_huge_mag_pop(mag, nr_pages);
		if (huge) {
			mag->untold++;
			WRITE_ONCE(mag->stamp, jiffies);
		}
	}
	spin_unlock(&mag->lock);
	return huge;
}

/* Put a claimed @huge in this CPU's magazine without the huge lock, if it has room. */
static __always_inline bool pool_huge_mag_put(struct zcpool_pool *pool, struct zcpool_huge *huge)
{
	struct pool_huge_mag *mag = raw_cpu_ptr(pool->huge_mag);
	bool cached;

	spin_lock(&mag->lock);
	cached = pool_huge_mag_push(mag, huge);
	if (cached) {
		mag->freed = true;
		WRITE_ONCE(mag->stamp, jiffies);
	}
	spin_unlock(&mag->lock);
	return cached;
}

/*
 * The huge counters of what callers see: @n (1 or -1) live allocations of
 * @size bytes more. The allocations made are counted by the caller first.
 */
static __always_inline void pool_count_huge(struct zcpool_pool *pool, u64 size, int n)
{
	struct pool_pcpu_stats __percpu *pcpu = pool->pcpu;

	this_cpu_add(pcpu->requested, (s64)size * n);
	this_cpu_add(pcpu->huge_live, n);
}

/*
 * Hand @huge, of its final pages and ours alone (not live, on no list nor
 * in any magazine), out as a live allocation of @size: counted, then live.
 * Its offset is read before: once live, a free of a guessed offset by
 * another thread can make it a spare, and the shrinker free it.
 */
static __always_inline void pool_huge_hand_out(struct zcpool_pool *pool,
					       struct zcpool_huge *huge, u64 size)
{
	huge->size = size;
	this_cpu_inc(pool->pcpu->huge_allocs);
	/* @huge_allocs before the live count, as pool_count_alloc(). */
	smp_wmb();
	pool_count_huge(pool, size, 1);
	/* Its size and pages before a claim can see it live. */
	atomic_set_release(&huge->live, 1);
}

/*
 * A spare or new huge allocation leaves the spares' budget for an
 * allocation of @nr_pages: those count as live. A spare's pages past them
 * are neither, until pool_spare_fit() gives them back.
 */
static __always_inline void pool_huge_enter(struct zcpool_pool *pool, unsigned long nr_pages)
{
	u64 bytes = (u64)nr_pages << PAGE_SHIFT;

	lockdep_assert_held(&pool->huge_lock);
	pool->huge_live_bytes += bytes;
	pool_huge_epoch_tick(pool, bytes, true, 1);
}

/* A claimed @huge, out of user mappings, becomes a spare: its pages leave the live count. */
static void pool_spare_add(struct zcpool_pool *pool, struct zcpool_huge *huge)
{
	u64 bytes = (u64)huge->nr_pages << PAGE_SHIFT;

	lockdep_assert_held(&pool->huge_lock);
	pool->huge_live_bytes -= bytes;
	pool_huge_epoch_tick(pool, bytes, false, 0);
	pool_spare_link(pool, huge);
}

/* Trim the spares to their budget and drop the huge lock; give the trimmed back. */
static __always_inline void pool_spares_settle(struct zcpool_pool *pool)
	__releases(&pool->huge_lock)
{
	LIST_HEAD(evict);

	pool_spares_trim(pool, pool_spare_budget(pool), &evict);
	spin_unlock(&pool->huge_lock);
	pool_huge_release(pool, &evict);
}

/*
 * Tell the epochs what this CPU's magazine saw since they last heard of
 * it, in its order: frees (@freed: the share shrank, its epoch does not
 * keep the peak before), then @told allocations, their pages counted
 * live when they first were.
 */
static void pool_huge_mag_tell(struct zcpool_pool *pool, bool freed, unsigned int told)
{
	lockdep_assert_held(&pool->huge_lock);
	if (freed)
		pool_huge_epoch_tick(pool, 0, false, 0);
	if (told)
		pool_huge_epoch_tick(pool, 0, true, told);
}

/*
 * The allocation that best fits @nr_pages pages (the fewest pages, at
 * least that many, fewer than @below) in another CPU's magazine, out of
 * it and off that CPU's share; or NULL. For a task that freed it there
 * and moved, before new pages are taken and cleared. The magazines are
 * read unlocked to choose, the one chosen popped under its lock: if it
 * changed meanwhile, none is taken.
 */
static struct zcpool_huge *
pool_huge_mag_steal(struct zcpool_pool *pool, unsigned long nr_pages, unsigned long below)
{
	unsigned long pages, best_pages = below;
	unsigned int cpu, best = nr_cpu_ids;
	struct pool_huge_mag *mag;
	struct zcpool_huge *huge;

	lockdep_assert_held(&pool->huge_lock);
	if (nr_pages > POOL_HUGE_MAG_PAGES)
		return NULL;
	for_each_possible_cpu(cpu) {
		mag = per_cpu_ptr(pool->huge_mag, cpu);
		pages = READ_ONCE(mag->nr_pages);
		if (READ_ONCE(mag->nr) && pages >= nr_pages && pages < best_pages) {
			best = cpu;
			best_pages = pages;
		}
	}
	if (best >= nr_cpu_ids)
		return NULL;
	mag = per_cpu_ptr(pool->huge_mag, best);
	spin_lock(&mag->lock);
	huge = pool_huge_mag_pop(mag, best_pages);
	spin_unlock(&mag->lock);
	if (huge)
		pool_huge_mag_leave(pool, best, (u64)best_pages << PAGE_SHIFT, 0, true);
	return huge;
}

/*
 * The huge lock's side of pool_alloc_huge(): an allocation of @nr_pages
 * from this CPU's magazine (the task may have moved since it looked), its
 * untold allocations counted with it; else the best fit among the spares
 * (what the magazine held of another length among them) and the other
 * CPUs' magazines. Returns it, ours alone, @nr_pages of it counted live;
 * or NULL.
 */
static struct zcpool_huge *pool_huge_take_locked(struct zcpool_pool *pool, unsigned long nr_pages,
						 unsigned long nr_slots)
{
	struct zcpool_huge *huge, *stolen;
	struct pool_huge_mag *mag;
	bool freed, other;
	unsigned int told;

	spin_lock(&pool->huge_lock);
	mag = this_cpu_ptr(pool->huge_mag);
	spin_lock(&mag->lock);
	huge = pool_huge_mag_pop(mag, nr_pages);
	told = pool_huge_mag_owed(mag, &freed) + !!huge;
	/*
	 * Another length goes to the spares: for best fit if longer, else
	 * for the budget, unless this allocation could not take its place.
	 */
	other = !huge && mag->nr && (nr_pages <= POOL_HUGE_MAG_PAGES || mag->nr_pages > nr_pages);
	spin_unlock(&mag->lock);
	pool_huge_mag_tell(pool, freed, told);
	if (other)
		pool_huge_mag_empty(pool, smp_processor_id());
	if (!huge) {
		huge = pool_spare_find(pool, nr_pages, nr_slots);
		stolen = NULL;
		if (!huge || huge->nr_pages != nr_pages)
			stolen = pool_huge_mag_steal(pool, nr_pages,
						     huge ? huge->nr_pages : ULONG_MAX);
		if (stolen)
			huge = stolen;
		else if (huge)
			pool_spare_unlink(pool, huge);
		if (huge)
			pool_huge_enter(pool, nr_pages);
	}
	pool_spares_settle(pool);
	return huge;
}

static int pool_alloc_huge(struct zcpool_pool *pool, u64 size, u32 flags, u64 *offset)
{
	unsigned long nr_pages = DIV_ROUND_UP_ULL(size, PAGE_SIZE);
	unsigned long nr_slots = pool_huge_slots(pool, size);
	struct zcpool_huge *huge = NULL;

	/*
	 * A magazine's allocations have the pages asked for, and so the
	 * slots: slots are whole pages, so a slot boundary between two sizes
	 * of the same pages would be one between two offsets of one page.
	 */
	if (pool_huge_mag_fast(pool))
		huge = pool_huge_mag_get(pool, nr_pages);
	if (!huge)
		huge = pool_huge_take_locked(pool, nr_pages, nr_slots);
	if (huge) {
		/* Fits a spare to its pages, and clears it if asked. */
		if (huge->nr_pages != nr_pages || (flags & ZCPOOL_ALLOC_ZERO))
			pool_spare_fit(pool, huge, nr_pages, flags);
	} else {
		huge = pool_huge_new(pool, size, nr_pages, nr_slots);
		/* As for chunks: caching never turns into -EDQUOT or -ENOMEM. */
		if (IS_ERR(huge) && PTR_ERR(huge) != -EINTR &&
		    pool_give_back(pool, (u64)nr_pages << PAGE_SHIFT))
			huge = pool_huge_new(pool, size, nr_pages, nr_slots);
		if (IS_ERR(huge))
			return PTR_ERR(huge);
		spin_lock(&pool->huge_lock);
		pool_huge_enter(pool, nr_pages);
		/* Its epoch may have found an idle CPU's magazine. */
		pool_spares_settle(pool);
	}
	*offset = huge->base;
	pool_huge_hand_out(pool, huge, size);
	return 0;
}

/*
 * Up to @want allocations of @size (@nr_pages) from this CPU's magazine,
 * under the huge lock, handed out; their offsets in @offsets. Returns how
 * many.
 */
static unsigned int pool_huge_mag_hand_out(struct zcpool_pool *pool, unsigned long nr_pages,
					   u64 size, u64 *offsets, unsigned int want)
{
	struct pool_huge_mag *mag = this_cpu_ptr(pool->huge_mag);
	struct zcpool_huge *huge;
	unsigned int n = 0, told;
	bool freed;

	lockdep_assert_held(&pool->huge_lock);
	spin_lock(&mag->lock);
	while (n < want && (huge = pool_huge_mag_pop(mag, nr_pages))) {
		offsets[n++] = huge->base;
		pool_huge_hand_out(pool, huge, size);
	}
	told = pool_huge_mag_owed(mag, &freed) + n;
	spin_unlock(&mag->lock);
	pool_huge_mag_tell(pool, freed, told);
	return n;
}

/*
 * Up to @want huge allocations of @size for a bulk call, from spares of
 * exactly their pages, then from this CPU's magazine, live at once, in
 * one hold of the huge lock, where pool_alloc_huge() takes the lock for
 * each. Returns how many, their offsets in @offsets; the caller goes on
 * one at a time when short.
 */
static unsigned int pool_alloc_huge_spares(struct zcpool_pool *pool, u64 size, u32 flags,
					   u64 *offsets, unsigned int want)
{
	unsigned long nr_pages = DIV_ROUND_UP_ULL(size, PAGE_SIZE);
	unsigned long nr_slots = pool_huge_slots(pool, size);
	struct zcpool_huge *huge;
	unsigned int n;

	/* A spare to be cleared is cleared with no lock held. */
	if (flags & ZCPOOL_ALLOC_ZERO)
		return 0;
	spin_lock(&pool->huge_lock);
	for (n = 0; n < want; n++) {
		huge = pool_spare_find(pool, nr_pages, nr_slots);
		if (!huge || huge->nr_pages != nr_pages)
			break;
		pool_spare_unlink(pool, huge);
		pool_huge_enter(pool, nr_pages);
		offsets[n] = huge->base;
		pool_huge_hand_out(pool, huge, size);
	}
	if (n < want)
		n += pool_huge_mag_hand_out(pool, nr_pages, size, &offsets[n], want - n);
	/* Their epochs may have found an idle CPU's magazine. */
	pool_spares_settle(pool);
	return n;
}

/*
 * The live huge allocation at @slot, or NULL; for a fault, under the huge
 * lock, which keeps its pages from going back meanwhile.
 */
static struct zcpool_huge *pool_huge_at(struct zcpool_pool *pool, unsigned long slot)
{
	struct zcpool_huge *huge;
	void *entry;

	lockdep_assert_held(&pool->huge_lock);
	/*
	 * The mapping this fault runs in before @live, as a free's claim
	 * (a full barrier) has its live flag before the mapped hook: a
	 * fault that reads it live is in a mapping that free sees.
	 */
	smp_mb__after_spinlock();
	/* The head array before the xarray walk, as every lookup does. */
	rcu_read_lock();
	entry = pool_window_entry(pool, slot);
	rcu_read_unlock();
	if (!entry || xa_pointer_tag(entry) != POOL_ENTRY_HUGE)
		return NULL;
	huge = xa_untag_pointer(entry);
	/* Pairs with pool_huge_hand_out(): its pages are this allocation's. */
	return atomic_read_acquire(&huge->live) ? huge : NULL;
}

/*
 * Claim the live huge allocation that starts at @offset from its caller:
 * no longer live (a second free, or a fault on its pages, fails as after
 * a free) and counted as freed, on no list nor in any magazine, so that
 * nobody else reaches it until it is put away (pool_huge_put_away()) or
 * live again (pool_huge_untake()). Returns it, or NULL when none starts
 * there. Under rcu_read_lock(): the descriptor outlives the read section
 * it was found in (pool_huge_free_desc()), and once claimed it is ours.
 */
static __always_inline struct zcpool_huge *
pool_huge_claim_rcu(struct zcpool_pool *pool, u64 offset)
{
	void *entry = pool_window_entry(pool, offset >> pool->slot_shift);
	struct zcpool_huge *huge;
	int live = 1;

	if (!entry || xa_pointer_tag(entry) != POOL_ENTRY_HUGE)
		return NULL;
	huge = xa_untag_pointer(entry);
	/* The base is set before the entry is stored (pool_huge_publish()). */
	if (huge->base != offset || !atomic_try_cmpxchg(&huge->live, &live, 0))
		return NULL;
	pool_count_huge(pool, huge->size, -1);
	return huge;
}

/* Make a claimed huge allocation live again, counted as before. */
static void pool_huge_untake(struct zcpool_pool *pool, struct zcpool_huge *huge)
{
	pool_count_huge(pool, huge->size, 1);
	atomic_set_release(&huge->live, 1);
}

/*
 * Whether a claimed huge allocation must leave user mappings through the
 * release hook: not when the hook's owner says that nothing maps the pool
 * (@pool->mapped, which is asked with no lock held). Asked after the
 * claim: a fault that found the allocation live read it so, after a full
 * barrier (pool_huge_at()), before the claim's atomic exchange, in a
 * mapping linked before that fault, and so seen now.
 */
static __always_inline bool pool_huge_mapped(struct zcpool_pool *pool)
{
	return pool->release && (!pool->mapped || pool->mapped(pool->release_priv));
}

/*
 * The first half of putting a claimed huge allocation away, when
 * pool_huge_mapped(): out of user mappings. The hook may sleep.
 */
static void pool_huge_zap(struct zcpool_pool *pool, struct zcpool_huge *huge)
{
	pool->release(pool->release_priv, huge->base, (u64)huge->nr_pages << PAGE_SHIFT);
}

/*
 * The second half, under the huge lock: in this CPU's magazine, after what
 * it held of another length went to the spares, else a spare; for
 * pool_spares_settle() to trim.
 */
static void pool_huge_put_locked(struct zcpool_pool *pool, struct zcpool_huge *huge)
{
	struct pool_huge_mag *mag = this_cpu_ptr(pool->huge_mag);
	bool cached = false;

	lockdep_assert_held(&pool->huge_lock);
	if (pool->keep_spares) {
		spin_lock(&mag->lock);
		/* Another length makes room, unless this one cannot take it. */
		if (mag->nr && mag->nr_pages != huge->nr_pages &&
		    huge->nr_pages <= POOL_HUGE_MAG_PAGES)
			__pool_huge_mag_empty(pool, smp_processor_id());
		cached = pool_huge_mag_push(mag, huge);
		spin_unlock(&mag->lock);
	}
	if (!cached)
		pool_spare_add(pool, huge);
	else	/* A free all the same: this CPU's share shrank. */
		pool_huge_epoch_tick(pool, 0, false, 0);
}

/*
 * The second half with no lock held: into this CPU's magazine without the
 * huge lock when it may and has room, else under the huge lock as above.
 */
static void pool_huge_put_away(struct zcpool_pool *pool, struct zcpool_huge *huge)
{
	if (pool_huge_mag_fast(pool) && pool_huge_mag_put(pool, huge))
		return;
	spin_lock(&pool->huge_lock);
	pool_huge_put_locked(pool, huge);
	pool_spares_settle(pool);
}

/* Free a huge allocation: claimed, out of user mappings, then put away. */
static int pool_free_huge(struct zcpool_pool *pool, u64 offset, u64 *held)
{
	struct zcpool_huge *huge;

	rcu_read_lock();
	huge = pool_huge_claim_rcu(pool, offset);
	rcu_read_unlock();
	if (!huge)
		return -EINVAL;
	*held = (u64)huge->nr_pages << PAGE_SHIFT;
	if (pool_huge_mapped(pool))
		pool_huge_zap(pool, huge);
	pool_huge_put_away(pool, huge);
	return 0;
}

/**
 * zcpool_pool_create() - create an empty pool
 * @config: the pool's shape and limits (see &struct zcpool_pool_config).
 *
 * Context: process context, may sleep.
 * Return: the pool, ERR_PTR(-EINVAL) for a config out of range (a chunk
 * order the page allocator or the size classes cannot serve, a cap above
 * the module's or below a page, too many arenas), or ERR_PTR(-ENOMEM).
 */
struct zcpool_pool *zcpool_pool_create(const struct zcpool_pool_config *config)
{
	unsigned int chunk_order = config->chunk_order ?: zcpool_params.chunk_order;
	unsigned int nr_arenas = config->nr_arenas;
	unsigned int max_run_pages = config->max_run_pages;
	u64 max_bytes = config->max_bytes ?: zcpool_params.pool_max_bytes;
	struct mem_cgroup *old_memcg;
	struct zcpool_pool *pool;
	unsigned int i, cpu;

	if (chunk_order < ZCPOOL_CHUNK_MIN_ORDER)
		return ERR_PTR(-EINVAL);
	if (chunk_order > ZCPOOL_CHUNK_MAX_ORDER)
		return ERR_PTR(-EINVAL);
	if (max_bytes > zcpool_params.pool_max_bytes)
		return ERR_PTR(-EINVAL);
	if (max_bytes < PAGE_SIZE)
		return ERR_PTR(-EINVAL);
	if (nr_arenas > ZCPOOL_POOL_MAX_ARENAS)
		return ERR_PTR(-EINVAL);
	/* The default fits any chunk: chunk_order may be 3, 8 pages. */
	if (!max_run_pages)
		max_run_pages = min_t(unsigned int, ZCPOOL_POOL_DEFAULT_RUN_PAGES,
				      1U << chunk_order);
	if (max_run_pages > 1U << chunk_order)
		return ERR_PTR(-EINVAL);
	if (!nr_arenas)
		nr_arenas = min_t(unsigned int, num_online_cpus(), ZCPOOL_POOL_DEFAULT_ARENAS);

	pool = kvzalloc(struct_size(pool, arenas, nr_arenas), GFP_KERNEL_ACCOUNT);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	pool->chunk_order = chunk_order;
	pool->top_order = chunk_order;
	if (config->max_page_order)
		pool->top_order = min(chunk_order, config->max_page_order);
	pool->max_run_pages = max_run_pages;
	for (i = 0; i < ZCPOOL_SIZECLASS_NR; i++)
		if (pool_class_is_run(pool, i))
			pool->class_run_pages[i] = zcpool_sizeclass_run_pages(i);
	pool->keep_spares = config->keep_spares;
	pool->slot_shift = PAGE_SHIFT + chunk_order;
	pool->max_slot = (ZCPOOL_POOL_WINDOW_BYTES >> pool->slot_shift) - 1;
	pool->huge_above = max_t(u64, (u64)max_run_pages << PAGE_SHIFT, ZCPOOL_SIZECLASS_MAX_SIZE);
	pool->huge_above = min(pool->huge_above, pool_slot_bytes(pool));
	pool->max_bytes = max_bytes;
	pool->release = config->release;
	pool->mapped = config->mapped;
	pool->release_priv = config->release_priv;
	mutex_init(&pool->window_lock);
	xa_init_flags(&pool->window, XA_FLAGS_ALLOC);
	spin_lock_init(&pool->cap_lock);
	spin_lock_init(&pool->huge_lock);
	pool->huge_stamp = jiffies;
	pool->huge_resumed = pool->huge_stamp;
	INIT_LIST_HEAD(&pool->spares);
	atomic64_set(&pool->held, 0);
	atomic64_set(&pool->chunks, 0);
	atomic64_set(&pool->fallbacks, 0);
	pool->nr_arenas = nr_arenas;
	for (i = 0; i < nr_arenas; i++)
		zcpool_arena_init(&pool->arenas[i]);
	pool->pcpu = alloc_percpu_gfp(struct pool_pcpu_stats, GFP_KERNEL_ACCOUNT);
	if (!pool->pcpu)
		goto err_free_pool;
	pool->huge_cpu = alloc_percpu_gfp(struct pool_huge_cpu, GFP_KERNEL_ACCOUNT);
	if (!pool->huge_cpu)
		goto err_free_pcpu;
	pool->huge_mag = alloc_percpu_gfp(struct pool_huge_mag, GFP_KERNEL_ACCOUNT);
	if (!pool->huge_mag)
		goto err_free_huge_cpu;
	for_each_possible_cpu(cpu) {
		spin_lock_init(&per_cpu_ptr(pool->huge_mag, cpu)->lock);
		per_cpu_ptr(pool->huge_mag, cpu)->stamp = pool->huge_stamp;
	}
	if (zcpool_cache_init(&pool->cache))
		goto err_free_huge_mag;
	pool->memcg = get_mem_cgroup_from_mm(current->mm);
	/* Its node in the pool's cgroup: that cgroup's reclaim finds the pool. */
	old_memcg = set_active_memcg(pool->memcg);
	pool->shrink = zcpool_shrinker_add(pool);
	set_active_memcg(old_memcg);
	if (!pool->shrink)
		goto err_put_memcg;
	return pool;

err_put_memcg:
	mem_cgroup_put(pool->memcg);
	zcpool_cache_destroy(&pool->cache);
err_free_huge_mag:
	free_percpu(pool->huge_mag);
err_free_huge_cpu:
	free_percpu(pool->huge_cpu);
err_free_pcpu:
	free_percpu(pool->pcpu);
err_free_pool:
	kvfree(pool);
	return ERR_PTR(-ENOMEM);
}
EXPORT_SYMBOL_NS_GPL(zcpool_pool_create, ZCPOOL);

/**
 * zcpool_pool_destroy() - free a pool and everything it holds
 * @pool: the pool; NULL or an error pointer is ignored.
 *
 * Live allocations are freed with it: chunks, runs, huge allocations and
 * descriptors all go, and with the chunks whatever the per-CPU caches
 * hold. The release hook is not called: the pool goes only when nothing
 * maps it any more.
 *
 * Context: process context, may sleep; no other call on @pool may run.
 */
void zcpool_pool_destroy(struct zcpool_pool *pool)
{
	struct zcpool_chunk *chunk;
	struct zcpool_huge *huge;
	unsigned long index;
	void *entry;

	if (IS_ERR_OR_NULL(pool))
		return;
	/* First, so that the shrinker no longer looks at the pool. */
	zcpool_shrinker_del(pool->shrink);
	zcpool_cache_destroy(&pool->cache);
	free_percpu(pool->pcpu);
	free_percpu(pool->huge_cpu);
	/* What the magazines held is in the window, freed below. */
	free_percpu(pool->huge_mag);
	xa_for_each(&pool->window, index, entry) {
		if (xa_pointer_tag(entry) == POOL_ENTRY_HUGE) {
			huge = xa_untag_pointer(entry);
			pool_huge_unpublish(pool, huge);
			pool_huge_put(pool, huge);
		} else {
			chunk = entry;
			pool_window_erase(pool, index);
			zcpool_pool_uncharge(pool, (u64)zcpool_chunk_nr_pages(chunk) << PAGE_SHIFT);
			zcpool_chunk_destroy(chunk);
		}
		cond_resched();
	}
	xa_destroy(&pool->window);
	mutex_destroy(&pool->window_lock);
	mem_cgroup_put(pool->memcg);
	kvfree(pool);
}
EXPORT_SYMBOL_NS_GPL(zcpool_pool_destroy, ZCPOOL);

/*
 * Checks shared by every allocation: -EINVAL for what no pool can serve.
 * One test of them all, or-ed (a size of 0 wraps past the window): every
 * allocation runs it, and five branches were five blocks under TCG.
 */
static int pool_check_request(const struct zcpool_pool *pool, u64 size, u64 align, u32 flags)
{
	u64 bad = flags & ~ZCPOOL_ALLOC_VALID_FLAGS;

	bad |= size - 1 >= ZCPOOL_POOL_WINDOW_BYTES;
	bad |= align & (align - 1);
	bad |= align > pool_slot_bytes(pool);
	return bad ? -EINVAL : 0;
}

/*
 * Allocate @req->want objects from @arena, bringing chunks while it needs
 * them; the objects are out of the arena and handed out to nobody yet.
 * Run descriptors the arena allocates are charged as the chunks are, to
 * the pool's memory cgroup.
 */
static int pool_arena_alloc(struct zcpool_pool *pool, struct zcpool_arena *arena,
			    struct zcpool_arena_req *req)
{
	bool drained = false, gave_back = false;
	struct zcpool_chunk *chunk;
	int ret;

	req->memcg = pool->memcg;
	for (;;) {
		ret = zcpool_arena_alloc(arena, req);
		pool_release_chunks(pool, &req->release);
		if (ret != -EAGAIN)
			break;
		/*
		 * A run too long for the caches may find no room only because
		 * cached runs split the free pages: give them back before the
		 * pool grows, which costs a 4 MiB zeroed chunk and far more
		 * than a drain. A cached shape grows as its refill needs.
		 */
		if (!drained && zcpool_cache_slot(req->cls, req->pages) < 0 &&
		    !pool_cap_below(pool, PAGE_SIZE << pool_chunk_least_order(req->need_order))) {
			drained = true;
			if (zcpool_pool_drain_caches(pool))
				continue;
		}
		chunk = pool_chunk_new(pool, arena, req->need_order);
		if (!IS_ERR(chunk)) {
			req->spare_chunk = chunk;
			continue;
		}
		ret = PTR_ERR(chunk);
		/*
		 * At a cap or out of pages, what the caches and the spares
		 * hold is all there is to get: give it back and try once more,
		 * so that caching never turns into -EDQUOT or -ENOMEM.
		 */
		if (gave_back ||
		    !pool_give_back(pool, PAGE_SIZE << pool_chunk_least_order(req->need_order)))
			break;
		gave_back = true;
	}
	zcpool_arena_req_done(req);
	return ret;
}

/* Give objects back to their arenas and release the chunks that frees. */
static void pool_arena_free(struct zcpool_pool *pool, const struct zcpool_arena_obj *objs,
			    unsigned int nr)
{
	LIST_HEAD(release);

	/* The pool owns each of them: an arena refusing one is a pool bug. */
	WARN_ON_ONCE(zcpool_arena_free_objs(objs, nr, &release));
	pool_release_chunks(pool, &release);
}

/* Count @n allocations of the shape of cache slot @slot the arena served. */
static void pool_count_arena_allocs(struct zcpool_pool *pool, int slot, unsigned int n)
{
	if (slot >= 0)
		this_cpu_add(pool->pcpu->cache_misses, n);
	else
		this_cpu_add(pool->pcpu->uncached, n);
}

/* Mark @nr elements of @elem_size bytes as holding old data. */
static void pool_objs_dirty(struct zcpool_arena_obj *objs, unsigned int nr, u32 elem_size)
{
	while (nr--)
		objs[nr].dirty_len = elem_size;
}

/*
 * A cache miss in pool_get_obj(): the object from the arena, with a batch
 * for the magazine when the shape has one (@slot >= 0). Out of line, so
 * that the hit path carries neither its stack nor its calls.
 */
static noinline int pool_get_obj_slow(struct zcpool_pool *pool, int cls, unsigned int pages,
				      int slot, struct zcpool_arena_obj *obj)
{
	struct zcpool_arena_obj objs[ZCPOOL_CACHE_BATCH_MAX + 1] __uninitialized;
	struct zcpool_arena_req req __uninitialized;	/* zcpool_arena_req_init() */
	unsigned int want = 1, left;
	int ret;

	if (slot >= 0)
		want += zcpool_cache_refill_count(slot);
	zcpool_arena_req_init(&req, cls, pages, objs, want);
	ret = pool_arena_alloc(pool, pool_arena(pool), &req);
	if (ret)
		return ret;
	pool_count_arena_allocs(pool, slot, 1);
	*obj = objs[0];
	if (req.nr > 1) {
		/*
		 * An element waiting in the magazine may have its page mapped
		 * for a live neighbour and be written there: it goes in as
		 * old data, for ZCPOOL_ALLOC_ZERO to clear. A run's pages are
		 * not mapped until it is handed out.
		 */
		if (cls >= 0)
			pool_objs_dirty(&objs[1], req.nr - 1, zcpool_sizeclass_size(cls));
		left = zcpool_cache_fill(&pool->cache, slot, &objs[1], req.nr - 1);
		if (left)
			pool_arena_free(pool, &objs[1], left);
	}
	return 0;
}

/*
 * An element of @cls or a run of @pages pages for @obj: from this CPU's
 * magazine if it has one, else from the arena with a batch for the magazine.
 */
static __always_inline int pool_get_obj(struct zcpool_pool *pool, int cls, unsigned int pages,
					struct zcpool_arena_obj *obj)
{
	int slot = zcpool_cache_slot(cls, pages);

	/* A hit is counted with the allocation (see struct pool_pcpu_stats). */
	if (slot >= 0 && zcpool_cache_alloc(&pool->cache, slot, obj))
		return 0;
	return pool_get_obj_slow(pool, cls, pages, slot, obj);
}

/* The live count of a shape: of class @cls, or (@cls -1) of runs of @pages pages. */
static __always_inline s64 __percpu *
pool_live_count(struct pool_pcpu_stats __percpu *pcpu, int cls, unsigned int pages)
{
	return cls >= 0 ? &pcpu->class_live[cls] : &pcpu->run_orders[order_base_2(pages)];
}

/*
 * Count @n allocations of one shape, @size bytes requested each. The
 * counters' base is read once: each this_cpu operation is an asm that
 * clobbers memory, after which the compiler loads pool->pcpu again.
 */
static __always_inline void pool_count_alloc(struct zcpool_pool *pool, int cls,
					     unsigned int pages, u64 size, unsigned int n)
{
	struct pool_pcpu_stats __percpu *pcpu = pool->pcpu;

	this_cpu_add(pcpu->allocs, n);
	/* @allocs before the live count, which pool_sum_pcpu() reads first. */
	smp_wmb();
	this_cpu_add(pcpu->requested, size * n);
	this_cpu_add(*pool_live_count(pcpu, cls, pages), n);
}

/* Count @n frees of one shape, @bytes requested in all. */
static __always_inline void pool_count_frees(struct zcpool_pool *pool, int cls,
					     unsigned int pages, u64 bytes, unsigned int n)
{
	struct pool_pcpu_stats __percpu *pcpu = pool->pcpu;

	this_cpu_sub(pcpu->requested, bytes);
	this_cpu_sub(*pool_live_count(pcpu, cls, pages), n);
}

/*
 * The claims of a bulk free, counted a stretch of one shape at a time: the
 * per-CPU counters are three read-modify-writes per free otherwise.
 */
struct pool_free_tally {
	unsigned int nr;
	int cls;
	unsigned int pages;
	u64 bytes;
};

/* Empty, of a shape no claim has (a page run of no pages): see pool_count_free(). */
#define POOL_FREE_TALLY_INIT	{ .nr = 0, .cls = -1, .pages = 0, .bytes = 0 }

static void pool_tally_flush(struct zcpool_pool *pool, struct pool_free_tally *tally)
{
	if (tally->nr)
		pool_count_frees(pool, tally->cls, tally->pages, tally->bytes, tally->nr);
	tally->nr = 0;
	tally->bytes = 0;
}

/* Count the free of @claim: at once without a @tally, else into it. */
static __always_inline void pool_count_free(struct zcpool_pool *pool,
					    const struct zcpool_chunk_claim *claim,
					    struct pool_free_tally *tally)
{
	if (!tally) {
		pool_count_frees(pool, claim->cls, claim->pages, claim->size, 1);
		return;
	}
	/*
	 * The shape in one test: "||" was a branch more on every claim. An
	 * empty tally's shape is its last, or at first one no claim has;
	 * flushing it then costs the call.
	 */
	if ((claim->cls ^ tally->cls) | (claim->pages ^ tally->pages))
		pool_tally_flush(pool, tally);
	tally->cls = claim->cls;
	tally->pages = claim->pages;
	tally->nr++;
	tally->bytes += claim->size;
}

/*
 * The shape that serves a checked request: a size class (*@cls), or a page
 * run of *@pages pages (*@cls -1). Returns true when the request is huge
 * instead; *@cls and *@pages mean nothing then.
 */
static __always_inline bool pool_shape(struct zcpool_pool *pool, u64 size, u64 align, int *cls,
				       unsigned int *pages)
{
	u64 run_pages;

	if (!align)
		align = 1;
	/*
	 * The common huge request in one test: a class or run size test,
	 * the run's pages and their bound were five more blocks under TCG.
	 * Anything below it may still be huge for its alignment.
	 */
	if (size > pool->huge_above)
		return true;
	*cls = pool_class(size, align);
	if (*cls >= 0) {
		/*
		 * A class served as a page run: its pages, and no class. A
		 * select, where a branch took the class's path out of line
		 * and back, a translated block more on every allocation.
		 */
		*pages = pool->class_run_pages[*cls];
		*cls = *pages ? -1 : *cls;
		return false;
	}
	run_pages = pool_run_pages(size, align);
	if (run_pages > pool->max_run_pages)
		return true;
	*pages = run_pages;
	return false;
}

/*
 * Give @obj to the caller: cleared if asked, live. Counted first, by the
 * caller (pool_count_alloc()): a bulk call counts its batch once, and
 * a free that claims it at once must find it counted.
 */
static __always_inline void pool_hand_out(const struct zcpool_arena_obj *obj, u64 size,
					  u32 flags, u64 *offset)
{
	if ((flags & ZCPOOL_ALLOC_ZERO) && obj->dirty_len)
		pool_zero(obj->chunk, obj->off, obj->dirty_len);
	/*
	 * The offset first: once handed out, the allocation is live, a free
	 * of a guessed offset by another thread may take it back, and a drain
	 * may then release its chunk (freed after an RCU grace period, which
	 * a preempted caller here is not inside).
	 */
	*offset = obj->chunk->base + obj->off;
	zcpool_chunk_hand_out(obj->chunk, obj->off, size);
}

/*
 * pool_hand_out() of a bulk call's @n allocations of class @cls (-1: page
 * runs) into @offsets: the zeroing flag and whether they are elements
 * tested once, where the loop tested each for every allocation (a
 * translated block each).
 */
static __always_inline void pool_hand_out_many(const struct zcpool_arena_obj *objs,
					       unsigned int n, int cls, u64 size, u32 flags,
					       u64 *offsets)
{
	const struct zcpool_arena_obj *obj;
	unsigned int i;

	if (flags & ZCPOOL_ALLOC_ZERO) {
		for (i = 0; i < n; i++)
			pool_hand_out(&objs[i], size, ZCPOOL_ALLOC_ZERO, &offsets[i]);
		return;
	}
	if (cls < 0) {
		for (i = 0; i < n; i++)
			pool_hand_out(&objs[i], size, 0, &offsets[i]);
		return;
	}
	for (i = 0; i < n; i++) {
		obj = &objs[i];
		/* The offset first, as in pool_hand_out(). */
		offsets[i] = obj->chunk->base + obj->off;
		zcpool_chunk_hand_out_elem(zcpool_chunk_elem_run(obj->chunk, obj->off), obj->off,
					   size);
	}
}

/**
 * zcpool_pool_alloc() - allocate memory in a pool
 * @pool:   the pool.
 * @size:   bytes, at least 1.
 * @align:  the offset's alignment: 0 (none asked), or a power of two up to
 *          the pool's chunk size. Elements of small classes are aligned to
 *          their size's lowest set bit (16 at least), runs to a page; a
 *          larger @align moves a small request to a class whose size is a
 *          multiple of it, or to a page run, and a page run to a block
 *          that big. Huge allocations start on a slot.
 * @flags:  %ZCPOOL_ALLOC_ZERO or 0.
 * @offset: set to the allocation's window offset on success.
 *
 * Requests up to %ZCPOOL_SIZECLASS_MAX_SIZE are rounded up to a size class
 * (a class whose run holds one element is served as a page run of the same
 * pages), larger ones are page runs of exactly the pages they need: from a chunk
 * up to the pool's max_run_pages, and huge beyond that (window slots of
 * their own, with exactly the pages needed).
 * Classes and runs up to %ZCPOOL_CACHE_RUN_MAX_PAGES come from the per-CPU
 * cache when it has one. Memory fresh from the page allocator is zero;
 * with %ZCPOOL_ALLOC_ZERO, reused memory is cleared with no lock held.
 *
 * Context: process context, may sleep (page and descriptor allocation).
 * Return: 0; -EINVAL for a zero or impossible @size, a bad @align or an
 * unknown flag; -EDQUOT when the pool's cap or the total cap would be
 * passed; -ENOMEM when the page allocator (or the memcg) refuses; -EINTR
 * when a fatal signal stopped a huge allocation.
 */
int zcpool_pool_alloc(struct zcpool_pool *pool, u64 size, u64 align, u32 flags, u64 *offset)
{
	struct zcpool_arena_obj obj __uninitialized;	/* pool_get_obj() */
	unsigned int pages;
	int cls, ret;

	ret = pool_check_request(pool, size, align, flags);
	if (ret)
		return ret;
	if (pool_shape(pool, size, align, &cls, &pages))
		return pool_alloc_huge(pool, size, flags, offset);
	ret = pool_get_obj(pool, cls, pages, &obj);
	/*
	 * A run needs a chunk of at least its own order, and after uptime
	 * the page allocator may have no free block that large while pages
	 * abound. Served as a huge allocation, from pages of any order, the
	 * run degrades (a window slot of its own) instead of failing.
	 */
	if (ret == -ENOMEM && cls < 0)
		return pool_alloc_huge(pool, size, flags, offset);
	if (ret)
		return ret;
	pool_count_alloc(pool, cls, pages, size, 1);
	pool_hand_out(&obj, size, flags, offset);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(zcpool_pool_alloc, ZCPOOL);

/*
 * pool_claim_rcu() with a memo: claimed, in the run the memo knew, so of
 * the shape of the claim before it (counted, not to be sized again). 1,
 * so that "0 or this" is one unsigned compare.
 */
#define POOL_CLAIM_SAME_RUN	1

/* pool_claim(): the offset is in a huge allocation's slots. */
#define POOL_CLAIM_HUGE	2

/* Whether pool_claim_rcu() claimed the allocation (0 or POOL_CLAIM_SAME_RUN). */
static __always_inline bool pool_claimed(int ret)
{
	return (unsigned int)ret <= POOL_CLAIM_SAME_RUN;
}

/*
 * A chunk that a bulk free has looked up in the window, at @slot, and that
 * cannot go away: it holds an allocation the bulk free claimed and has not
 * given back yet (claimed, an allocation keeps its chunk out of any
 * release). The offsets of one bulk call are mostly in one chunk, and the
 * window's xarray walk was 7% of a bulk free's time on Debian's kernel.
 * @chunk NULL (and @slot ULONG_MAX, which no offset has): nothing known,
 * so that comparing the slot alone says whether the chunk is known. When
 * that allocation is an element, @run is its run, attached to @chunk for
 * as long (an element out of its bitmap keeps the run from being
 * dropped), @run_start its first byte's
 * window offset, @run_off the same in @chunk and @run_bytes its length:
 * a bulk call's elements mostly follow each other in one run, and the
 * next one's claim then skips the window, the chunk and its page table
 * (a fifth of a 64 B bulk free's own instructions). @run NULL (and
 * @run_bytes 0, which no offset is inside): no run known.
 */
struct pool_window_memo {
	struct zcpool_chunk *chunk;
	unsigned long slot;
	struct zcpool_run *run;
	u64 run_start;
	u32 run_off;
	u32 run_bytes;
};

/* Forget what @memo knows: what pinned its chunk and run is given back. */
static void pool_memo_forget(struct pool_window_memo *memo)
{
	memo->chunk = NULL;
	memo->slot = ULONG_MAX;
	memo->run = NULL;
	memo->run_start = 0;
	memo->run_bytes = 0;
}

/* Remember the run of the element @claim took at @off of @chunk, if any. */
static __always_inline void pool_memo_run(struct pool_window_memo *memo,
					  struct zcpool_chunk *chunk, u32 off,
					  const struct zcpool_chunk_claim *claim)
{
	struct zcpool_run *run;

	if (claim->cls < 0) {
		memo->run = NULL;
		memo->run_bytes = 0;
		return;
	}
	run = zcpool_chunk_elem_run(chunk, off);
	memo->run = run;
	memo->run_off = run->first_page << PAGE_SHIFT;
	memo->run_start = chunk->base + memo->run_off;
	memo->run_bytes = run->pages << PAGE_SHIFT;
}

/*
 * Take the live allocation at @offset back from the caller and count the
 * free: 0 with @obj (its dirty length all of it) and @claim set;
 * POOL_CLAIM_HUGE when the offset is in a huge allocation's slots, for
 * pool_free_huge() to decide; -EINVAL when nothing live starts there.
 * With a @memo, its chunk stands for the window's entry at its slot, and
 * it is set to the chunk of the allocation claimed; the caller clears it
 * when it gives that allocation back. With a @tally (which a @memo needs),
 * the free is counted there, for the caller to flush. An element of the
 * run the memo knows returns POOL_CLAIM_SAME_RUN instead of 0: the run
 * was set by the claim that counted into @tally last (any other claim
 * since would have moved the memo), so the tally's shape is the run's and
 * the free is added to it without comparing, and the caller may take the
 * shape as the last one's too. Under rcu_read_lock(): the window's entry
 * and a subpage run are freed after a grace period. Callers that claim
 * many hold one read section for several claims.
 */
static __always_inline int pool_claim_rcu(struct zcpool_pool *pool, u64 offset,
					  struct zcpool_arena_obj *obj,
					  struct zcpool_chunk_claim *claim,
					  struct pool_window_memo *memo,
					  struct pool_free_tally *tally)
{
	struct zcpool_chunk *chunk;
	unsigned long slot;
	void *entry;
	u32 rel;
	int ret;

	/*
	 * An offset past the window is refused by the window lookup, with no
	 * test of its own: it is in no run a memo knows, its slot is no
	 * chunk's (nor ULONG_MAX), and past the head array, where the xarray
	 * holds nothing (see POOL_WINDOW_HEAD_SLOTS). No run known: run_bytes
	 * 0, and no offset is inside.
	 */
	if (memo && offset - memo->run_start < memo->run_bytes) {
		rel = offset - memo->run_start;
		ret = zcpool_chunk_run_claim(memo->run, rel, claim);
		if (ret)
			return ret;
		obj->chunk = memo->chunk;
		obj->off = memo->run_off + rel;
		obj->dirty_len = claim->bytes;
		tally->nr++;
		tally->bytes += claim->size;
		return POOL_CLAIM_SAME_RUN;
	}
	slot = offset >> pool->slot_shift;
	/*
	 * No chunk known: a slot no offset has. likely(): the offsets of a
	 * bulk call are mostly in one chunk, and GCC had this path out of
	 * line, a jump back on every page run of a bulk free.
	 */
	if (memo && likely(memo->slot == slot)) {
		chunk = memo->chunk;
	} else {
		entry = pool_window_entry(pool, slot);
		if (!entry)
			return -EINVAL;
		if (xa_pointer_tag(entry) == POOL_ENTRY_HUGE)
			return POOL_CLAIM_HUGE;
		chunk = entry;
	}
	obj->chunk = chunk;
	obj->off = offset & (pool_slot_bytes(pool) - 1);
	ret = zcpool_chunk_claim(chunk, obj->off, claim);
	/* Claimed, the allocation keeps its chunk out of any release. */
	if (ret)
		return ret;
	if (memo) {
		memo->chunk = chunk;
		memo->slot = slot;
		pool_memo_run(memo, chunk, obj->off, claim);
	}
	obj->dirty_len = claim->bytes;
	pool_count_free(pool, claim, tally);
	return 0;
}

/* pool_claim_rcu() of one allocation, in a read section of its own. */
static __always_inline int pool_claim(struct zcpool_pool *pool, u64 offset,
				      struct zcpool_arena_obj *obj,
				      struct zcpool_chunk_claim *claim)
{
	int ret;

	rcu_read_lock();
	ret = pool_claim_rcu(pool, offset, obj, claim, NULL, NULL);
	rcu_read_unlock();
	return ret;
}

/*
 * A claimed @obj the magazine had no room for (or, @slot -1, whose shape
 * is not cached): make room in the magazine, else give it to its arena.
 */
static noinline void pool_free_slow(struct zcpool_pool *pool, int slot,
				    const struct zcpool_arena_obj *obj)
{
	struct zcpool_arena_obj evict[ZCPOOL_CACHE_BATCH_MAX + 1] __uninitialized;
	unsigned int nr = 1;

	evict[0] = *obj;
	if (slot >= 0)
		nr = zcpool_cache_free_slow(&pool->cache, slot, obj, evict);
	if (nr)
		pool_arena_free(pool, evict, nr);
}

/* Both frees, inline in each: the call would cost more than most frees. */
static __always_inline int pool_free_one(struct zcpool_pool *pool, u64 offset, u64 *held)
{
	/* Both set by pool_claim() when it returns 0, and read only then. */
	struct zcpool_chunk_claim claim __uninitialized;
	struct zcpool_arena_obj obj __uninitialized;
	int slot, ret;

	ret = pool_claim(pool, offset, &obj, &claim);
	if (ret == POOL_CLAIM_HUGE)
		return pool_free_huge(pool, offset, held);
	if (ret)
		return ret;
	*held = claim.bytes;
	slot = zcpool_cache_slot(claim.cls, claim.pages);
	if (slot < 0 || !zcpool_cache_put(&pool->cache, slot, &obj))
		pool_free_slow(pool, slot, &obj);
	return 0;
}

/**
 * zcpool_pool_free_held() - free an allocation and tell how much it held
 * @pool:   the pool.
 * @offset: the offset zcpool_pool_alloc() returned.
 * @held:   set on success to the bytes the allocation held from @offset
 *          on: its class's size, or its pages (a run's or a huge one's),
 *          which can be more pages than the size requested covers (an
 *          aligned request takes a longer run) and are all mappable while
 *          it is live; what a caller must zap to unmap all of it.
 *
 * The pool knows the allocation's size. An offset that is not the start
 * of a live allocation (freed already, inside one, never allocated, past
 * the window) is refused and nothing changes. Like free(3), this does not
 * unmap the memory from user mappings; pages go back to the page allocator
 * only with their chunk (or huge allocation), after the release hook.
 * Classes and short runs go to the per-CPU cache first.
 *
 * Context: process context, may sleep (the release hook).
 * Return: 0, or -EINVAL when @offset is not a live allocation's start.
 */
int zcpool_pool_free_held(struct zcpool_pool *pool, u64 offset, u64 *held)
{
	return pool_free_one(pool, offset, held);
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_pool_free_held);

/**
 * zcpool_pool_free() - free an allocation
 * @pool:   the pool.
 * @offset: the offset zcpool_pool_alloc() returned.
 *
 * As zcpool_pool_free_held(), for callers that need not know what it held.
 *
 * Context: process context, may sleep (the release hook).
 * Return: 0, or -EINVAL when @offset is not a live allocation's start.
 */
int zcpool_pool_free(struct zcpool_pool *pool, u64 offset)
{
	u64 size;

	return pool_free_one(pool, offset, &size);
}
EXPORT_SYMBOL_NS_GPL(zcpool_pool_free, ZCPOOL);

/*
 * Allocations a bulk call moves at a time: 384 bytes of objects on the
 * stack, and two lock holds (this CPU's magazine, then the arena) per
 * stretch of that many instead of one or two per allocation.
 */
#define POOL_BULK_BATCH	16

/*
 * Object arrays on the stack of the bulk and slow paths are
 * __uninitialized: the kernel's automatic zeroing of stack variables
 * (INIT_STACK_ALL_ZERO, on in Debian's kernels) would clear all of them
 * on every call, and only the entries an arena or magazine filled are read.
 */

/*
 * Up to @want allocations of one shape for a bulk call: what this CPU's
 * magazine holds, else a batch straight from the arena. The magazine is
 * not refilled on the way: the caller takes every one. Returns how many
 * (at least 1), or the arena's error. Runs the arena takes as a block
 * (zcpool_arena_takes_block()) come from the magazine only when it has
 * them all: a magazine of 8 runs of 64 KiB before 48 from the arena left
 * 8 to take one at a time, a tree walk each, and a batch of 64 then ran
 * 8% more guest blocks an entry (scripts/insns: 64.7, against 59.8
 * taking four blocks).
 */
static int pool_get_objs(struct zcpool_pool *pool, int cls, unsigned int pages,
			 struct zcpool_arena_obj *objs, unsigned int want)
{
	int slot = zcpool_cache_slot(cls, pages);
	struct zcpool_arena_req req __uninitialized;	/* zcpool_arena_req_init() */
	unsigned int n, least;
	int ret;

	if (slot >= 0) {
		least = cls < 0 && zcpool_arena_takes_block(pages, want) ? want : 1;
		n = zcpool_cache_alloc_many(&pool->cache, slot, objs, want, least);
		if (n)
			return n;
	}
	zcpool_arena_req_init(&req, cls, pages, objs, want);
	ret = pool_arena_alloc(pool, pool_arena(pool), &req);
	if (ret)
		return ret;
	pool_count_arena_allocs(pool, slot, req.nr);
	return req.nr;
}

/*
 * Claimed allocations on their way back, gathered in stretches of one
 * shape: each stretch goes to this CPU's magazine (what fits) and the
 * arena (the rest) with one lock hold each.
 */
struct pool_stash {
	struct zcpool_arena_obj objs[POOL_BULK_BATCH];
	unsigned int nr;
	int slot;
	struct pool_window_memo memo;
};

/* A slot no allocation has: zcpool_cache_slot() gives -1 and up. */
#define POOL_STASH_NO_SLOT	(-2)

/* Empty, memo blank: a stash on the stack is __uninitialized (see above). */
static void pool_stash_init(struct pool_stash *stash)
{
	stash->nr = 0;
	stash->slot = POOL_STASH_NO_SLOT;
	pool_memo_forget(&stash->memo);
}

/*
 * Give what @stash holds back. An empty stash keeps its memo: a memo is
 * set by a claim, whose allocation, still in the caller's hands, pins it.
 */
static void pool_stash_flush(struct zcpool_pool *pool, struct pool_stash *stash)
{
	unsigned int nr = stash->nr;

	if (!nr)
		return;
	if (stash->slot >= 0)
		nr = zcpool_cache_fill(&pool->cache, stash->slot, stash->objs, nr);
	if (nr)
		pool_arena_free(pool, stash->objs, nr);
	stash->nr = 0;
	/* What pinned the memo's chunk and run is gone. */
	pool_memo_forget(&stash->memo);
}

/*
 * Whether @stash must be flushed before it takes an allocation of @slot:
 * full, or of another slot. An empty stash keeps the slot of what it held
 * last (at first POOL_STASH_NO_SLOT): flushing it costs the call, where a
 * test of its count was a branch on every put.
 */
static bool pool_stash_full(const struct pool_stash *stash, int slot)
{
	return stash->nr == POOL_BULK_BATCH || slot != stash->slot;
}

/* Put @obj, of magazine slot @slot, in a @stash that is not full for it. */
static void pool_stash_put(struct pool_stash *stash, const struct zcpool_arena_obj *obj,
			   int slot)
{
	stash->slot = slot;
	stash->objs[stash->nr++] = *obj;
}

static void pool_stash_add(struct zcpool_pool *pool, struct pool_stash *stash,
			   const struct zcpool_arena_obj *obj,
			   const struct zcpool_chunk_claim *claim)
{
	int slot = zcpool_cache_slot(claim->cls, claim->pages);

	if (pool_stash_full(stash, slot)) {
		pool_stash_flush(pool, stash);
		cond_resched();
	}
	pool_stash_put(stash, obj, slot);
}

/*
 * Take the allocation at @offset under RCU, with a @memo as pool_claim_rcu()
 * has it; POOL_CLAIM_HUGE leaves a huge one to pool_take_huge_stretch().
 */
static __always_inline int pool_take_rcu(struct zcpool_pool *pool, u64 offset,
					 struct zcpool_pool_taken *taken,
					 struct pool_window_memo *memo,
					 struct pool_free_tally *tally)
{
	taken->offset = offset;
	taken->huge = NULL;
	return pool_claim_rcu(pool, offset, &taken->obj, &taken->claim, memo, tally);
}

/*
 * Claim the huge allocations that start at @offsets[0] and after, up to
 * @nr, under the caller's rcu_read_lock(). Stops at the first offset that
 * is not the start of a live huge allocation (an allocation of the
 * arenas, or nothing). Returns how many were taken: 0 when @offsets[0] is
 * no such start.
 */
static unsigned int pool_take_huge_stretch(struct zcpool_pool *pool, const u64 *offsets,
					   unsigned int nr, struct zcpool_pool_taken *taken)
{
	struct zcpool_huge *huge;
	unsigned int n;

	for (n = 0; n < nr; n++) {
		/* Past the window, too: no huge allocation starts there. */
		huge = pool_huge_claim_rcu(pool, offsets[n]);
		if (!huge)
			break;
		taken[n].offset = offsets[n];
		taken[n].huge = huge;
		taken[n].claim = (struct zcpool_chunk_claim){
			.cls = -1,
			.pages = huge->nr_pages,
			.bytes = (u64)huge->nr_pages << PAGE_SHIFT,
			.size = huge->size,
		};
	}
	return n;
}

/**
 * zcpool_pool_take_many() - take live allocations back, to be put away or given back
 * @pool:    the pool.
 * @offsets: @nr offsets from the caller: anything at all.
 * @nr:      how many.
 * @taken:   room for @nr; the first *@done are filled in, the next one is
 *           overwritten with nothing of use on failure.
 * @done:    set to how many were taken, in order: all of them, or those
 *           before the first offset that is not a live allocation's start.
 *
 * The first half of a free, for a caller that must do something it may
 * fail at (report the free to user space) before the free may stand: a
 * taken allocation is no longer live (a second free of it, or a fault on
 * its pages, fails as after a free) and is counted as freed, but nothing
 * else has it yet. zcpool_pool_put_taken() then completes the free, or
 * zcpool_pool_untake() makes it live again as it was. A huge allocation
 * stays in user mappings until it is put away.
 *
 * Offsets in the chunk of the one before skip the window lookup: the
 * allocation taken before keeps that chunk where it was. One RCU read
 * section covers %POOL_BULK_BATCH offsets; huge ones are claimed without
 * a lock, as the arenas' are.
 *
 * Context: process context.
 * Return: 0 when all were taken, else the error of @offsets[*@done]
 * (-EINVAL), which is left untouched with all after it.
 */
int zcpool_pool_take_many(struct zcpool_pool *pool, const u64 *offsets, unsigned int nr,
			  struct zcpool_pool_taken *taken, unsigned int *done)
{
	struct pool_free_tally tally = POOL_FREE_TALLY_INIT;
	struct pool_window_memo memo __uninitialized;	/* pool_memo_forget() */
	unsigned int i = 0, n, end;
	int ret = 0;

	pool_memo_forget(&memo);

	/*
	 * A read section for each POOL_BULK_BATCH offsets, as a bulk free,
	 * in a loop of its own: one bound for each offset to pass, where a
	 * test for the section's end beside the count's was a block more.
	 */
	while (!ret && i < nr) {
		end = i + min_t(unsigned int, nr - i, POOL_BULK_BATCH);
		rcu_read_lock();
		while (i < end) {
			ret = pool_take_rcu(pool, offsets[i], &taken[i], &memo, &tally);
			if (likely(pool_claimed(ret))) {
				ret = 0;
				i++;
				continue;
			}
			if (ret != POOL_CLAIM_HUGE)
				break;
			/* Up to the end of this read section: @i lands on it. */
			n = pool_take_huge_stretch(pool, &offsets[i], end - i, &taken[i]);
			ret = n ? 0 : -EINVAL;
			if (ret)
				break;
			i += n;
		}
		rcu_read_unlock();
	}
	/* Counted before they may be made live again (zcpool_pool_untake()). */
	pool_tally_flush(pool, &tally);
	*done = i;
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_pool_take_many);

/**
 * zcpool_pool_untake() - make taken allocations live again
 * @pool:  the pool.
 * @taken: @nr allocations from zcpool_pool_take_many().
 * @nr:    how many.
 *
 * Each is live again at its offset, with its size, and counted as before.
 *
 * Context: process context.
 */
void zcpool_pool_untake(struct zcpool_pool *pool, const struct zcpool_pool_taken *taken,
			unsigned int nr)
{
	const struct zcpool_chunk_claim *claim;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		if (taken[i].huge) {
			pool_huge_untake(pool, taken[i].huge);
			continue;
		}
		claim = &taken[i].claim;
		this_cpu_add(pool->pcpu->requested, claim->size);
		this_cpu_inc(*pool_live_count(pool->pcpu, claim->cls, claim->pages));
		zcpool_chunk_hand_out(taken[i].obj.chunk, taken[i].obj.off, claim->size);
	}
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_pool_untake);

/*
 * @nr huge allocations taken and out of the mappings, put away: one as
 * pool_free_huge() puts it, more as spares in one hold of the huge lock,
 * for the bulk allocation that takes them back the same way: through a
 * magazine, a batch of 64 paid a magazine lock for each of 8 and took
 * those 8 back one call at a time (perf-6.1, a 1 MiB ALLOC_BATCH and
 * FREE_BATCH: 377-656 ns an entry, 0.29-0.57x a single pair).
 */
static __always_inline void pool_huge_put_taken(struct zcpool_pool *pool,
						const struct zcpool_pool_taken *taken,
						unsigned int nr)
{
	unsigned int i;

	if (nr == 1) {
		pool_huge_put_away(pool, taken[0].huge);
		return;
	}
	spin_lock(&pool->huge_lock);
	for (i = 0; i < nr; i++)
		pool_spare_add(pool, taken[i].huge);
	pool_spares_settle(pool);
}

/**
 * zcpool_pool_put_taken() - complete the free of taken allocations
 * @pool:  the pool.
 * @taken: @nr allocations from zcpool_pool_take_many().
 * @nr:    how many.
 *
 * As the end of zcpool_pool_free_bulk(): each stretch of one shape goes to
 * this CPU's magazine and what does not fit to the arena, a lock hold each.
 * A huge allocation leaves user mappings (the release hook) and goes to
 * this CPU's magazine of huge allocations or the spares, as
 * zcpool_pool_free() would put it; a stretch of them to the spares, under
 * one hold of the huge lock.
 *
 * Context: process context, may sleep (the release hook).
 */
void zcpool_pool_put_taken(struct zcpool_pool *pool, const struct zcpool_pool_taken *taken,
			   unsigned int nr)
{
	struct pool_stash stash __uninitialized;
	unsigned int i, end;
	bool mapped;

	pool_stash_init(&stash);
	for (i = 0; i < nr;) {
		/* likely(): else GCC took every small one out of line and back. */
		if (likely(!taken[i].huge)) {
			pool_stash_add(pool, &stash, &taken[i].obj, &taken[i].claim);
			i++;
			continue;
		}
		/*
		 * A stretch of huge ones leaves the mappings, then one lock
		 * hold. All were taken before: one answer holds for them all.
		 */
		mapped = pool_huge_mapped(pool);
		for (end = i; end < nr && taken[end].huge; end++)
			if (mapped)
				pool_huge_zap(pool, taken[end].huge);
		pool_huge_put_taken(pool, &taken[i], end - i);
		i = end;
	}
	pool_stash_flush(pool, &stash);
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_pool_put_taken);

/**
 * zcpool_pool_alloc_bulk() - allocate @count allocations of one shape
 * @pool:    the pool.
 * @size:    as for zcpool_pool_alloc().
 * @align:   as for zcpool_pool_alloc().
 * @flags:   as for zcpool_pool_alloc().
 * @offsets: @count entries, set to the allocations' offsets.
 * @count:   how many, at most INT_MAX.
 *
 * All or nothing: when one allocation fails, the ones made before it are
 * freed again and the error is returned. Classes and runs come from this
 * CPU's magazine and the arena %POOL_BULK_BATCH at a time, a lock hold
 * each, as kmem_cache_alloc_bulk() takes a slab's free objects; huge
 * allocations as many at a time from spares of their exact size.
 *
 * Context: process context, may sleep.
 * Return: @count; or the error of zcpool_pool_alloc(), -EINVAL for a
 * @count above INT_MAX, -EINTR on a fatal signal, with nothing allocated.
 */
int zcpool_pool_alloc_bulk(struct zcpool_pool *pool, u64 size, u64 align, u32 flags,
			   u64 *offsets, unsigned int count)
{
	struct zcpool_arena_obj objs[POOL_BULK_BATCH] __uninitialized;
	unsigned int i = 0, pages, want;
	bool huge;
	int cls, n, ret;

	if (count > INT_MAX)
		return -EINVAL;
	if (!count)
		return 0;
	ret = pool_check_request(pool, size, align, flags);
	if (ret)
		return ret;
	huge = pool_shape(pool, size, align, &cls, &pages);
	while (i < count) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto err_free;
		}
		want = min(count - i, POOL_BULK_BATCH);
		if (huge)
			n = pool_alloc_huge_spares(pool, size, flags, &offsets[i], want);
		else
			n = pool_get_objs(pool, cls, pages, objs, want);
		if (n <= 0) {
			/*
			 * No spare of the size, or the arena failed: one at a
			 * time, as a single call does it (a run may degrade
			 * to huge).
			 */
			ret = zcpool_pool_alloc(pool, size, align, flags, &offsets[i]);
			if (ret)
				goto err_free;
			i++;
		} else if (huge) {
			i += n;		/* live and counted already */
		} else {
			pool_count_alloc(pool, cls, pages, size, n);
			pool_hand_out_many(objs, n, cls, size, flags, &offsets[i]);
			i += n;
		}
		cond_resched();
	}
	return count;

err_free:
	/*
	 * Another user of the pool may have freed one of them already (it
	 * would have had to guess the offset): that is its bug, not a warning.
	 */
	while (i--)
		zcpool_pool_free(pool, offsets[i]);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(zcpool_pool_alloc_bulk, ZCPOOL);

/**
 * zcpool_pool_free_bulk() - free allocations in order, up to the first bad one
 * @pool:    the pool.
 * @offsets: offsets zcpool_pool_alloc() returned.
 * @count:   how many, at most INT_MAX.
 *
 * Frees @offsets[0], @offsets[1], ... and stops at the first offset that is
 * not a live allocation's start (which includes a repeat of one freed just
 * before), leaving it and all after it untouched. Validating everything
 * first could not be kept true against concurrent frees without holding
 * every arena lock; stopping gives the caller an exact account instead:
 * what is before the index is freed, what is after is not. Each offset is
 * claimed (no longer live) in order; the claimed allocations go to this
 * CPU's magazine and the arena %POOL_BULK_BATCH at a time.
 *
 * Context: process context, may sleep.
 * Return: the number freed, @count when all were valid, else the index of
 * the first bad offset; -EINVAL for a @count above INT_MAX.
 */
int zcpool_pool_free_bulk(struct zcpool_pool *pool, const u64 *offsets, unsigned int count)
{
	struct pool_free_tally tally = POOL_FREE_TALLY_INIT;
	struct pool_stash stash __uninitialized;
	struct zcpool_chunk_claim claim;
	struct zcpool_arena_obj obj;
	unsigned int i = 0;
	int ret = 0, slot;
	bool held;
	u64 size;

	pool_stash_init(&stash);
	if (count > INT_MAX)
		return -EINVAL;
	while (i < count) {
		/*
		 * One RCU read section for the claims of a stash's worth (two
		 * calls each way on a preemptible-RCU kernel); the flush and
		 * the huge free, which may sleep, come after it.
		 */
		held = false;
		rcu_read_lock();
		while (i < count) {
			ret = pool_claim_rcu(pool, offsets[i], &obj, &claim, &stash.memo, &tally);
			/*
			 * Of the last claim's shape, which the stash took (a
			 * flush forgets the memo): only its room to test.
			 */
			if (likely(ret == POOL_CLAIM_SAME_RUN))
				slot = stash.slot;
			else if (!ret)
				slot = zcpool_cache_slot(claim.cls, claim.pages);
			else
				break;
			i++;
			if (pool_stash_full(&stash, slot)) {
				held = true;
				break;
			}
			pool_stash_put(&stash, &obj, slot);
		}
		rcu_read_unlock();
		if (held) {
			/* Claimed, @obj is ours: it goes in once the stash is empty. */
			pool_stash_flush(pool, &stash);
			cond_resched();
			pool_stash_put(&stash, &obj, slot);
			continue;
		}
		if (ret != POOL_CLAIM_HUGE)
			break;
		if (pool_free_huge(pool, offsets[i], &size))
			break;
		i++;
		cond_resched();
	}
	pool_stash_flush(pool, &stash);
	pool_tally_flush(pool, &tally);
	return i;
}
EXPORT_SYMBOL_NS_GPL(zcpool_pool_free_bulk, ZCPOOL);

/*
 * Sum the per-CPU counters into @st: the frees are the allocations not
 * live, the cache hits those the arena did not serve.
 */
static void pool_sum_pcpu(struct zcpool_pool *pool, struct zcpool_pool_stats *st)
{
	const struct pool_pcpu_stats *c;
	u64 uncached = 0, huge_allocs = 0;
	s64 requested = 0, huge_live = 0;
	unsigned int cpu, i;

	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(pool->pcpu, cpu);
		/*
		 * The live counts before @allocs, the reverse of the order
		 * pool_count_alloc() stores them in: every allocation counted
		 * live here is in @allocs too, however long this CPU's turn
		 * takes (a preempted read, or a bulk count landing between the
		 * two, once showed 24 live of 1 allocated).
		 */
		for (i = 0; i < ZCPOOL_SIZECLASS_NR; i++)
			st->class_live[i] += READ_ONCE(c->class_live[i]);
		for (i = 0; i < ZCPOOL_POOL_NR_ORDERS; i++)
			st->run_orders[i] += READ_ONCE(c->run_orders[i]);
		requested += READ_ONCE(c->requested);
		huge_live += READ_ONCE(c->huge_live);
		/* Pairs with pool_count_alloc()'s smp_wmb(), and the huge one's. */
		smp_rmb();
		st->allocs += READ_ONCE(c->allocs);
		huge_allocs += READ_ONCE(c->huge_allocs);
		st->cache_misses += READ_ONCE(c->cache_misses);
		uncached += READ_ONCE(c->uncached);
	}
	/*
	 * A shape allocated on one CPU and freed on another counts up on the
	 * first and down on the second. Read while the pool is in use, the
	 * sum can take the second CPU's count and miss the first's: below 0,
	 * which in the u64 fields read as about 2^64 live. The sums wrapped
	 * (u64 arithmetic), so a count below 0 is one whose top bit is set:
	 * it reads as 0, the nearest count there can be.
	 */
	st->bytes_requested = max_t(s64, requested, 0);
	for (i = 0; i < ZCPOOL_POOL_NR_ORDERS; i++) {
		if ((s64)st->run_orders[i] < 0)
			st->run_orders[i] = 0;
		st->runs_live += st->run_orders[i];
	}
	st->live = st->runs_live;
	for (i = 0; i < ZCPOOL_SIZECLASS_NR; i++) {
		if ((s64)st->class_live[i] < 0)
			st->class_live[i] = 0;
		st->live += st->class_live[i];
	}
	/*
	 * Summed while the pool is in use, the arena's counters may run
	 * ahead of @allocs (they are counted around it): never below 0 then.
	 */
	st->frees = st->allocs - min(st->allocs, st->live);
	st->cache_hits = st->allocs - min(st->allocs, st->cache_misses + uncached);

	/* Huge allocations are neither cache hits nor misses. */
	st->huge_live = max_t(s64, huge_live, 0);
	st->live += st->huge_live;
	st->allocs += huge_allocs;
	st->frees += huge_allocs - min(huge_allocs, st->huge_live);
}

/* What the CPUs' magazines of huge allocations hold: a racy sum while in use. */
static unsigned long pool_huge_mag_count(struct zcpool_pool *pool, u64 *bytes)
{
	const struct pool_huge_mag *mag;
	unsigned long nr = 0, n;
	unsigned int cpu;

	*bytes = 0;
	for_each_possible_cpu(cpu) {
		mag = per_cpu_ptr(pool->huge_mag, cpu);
		n = READ_ONCE(mag->nr);
		nr += n;
		*bytes += ((u64)n * READ_ONCE(mag->nr_pages)) << PAGE_SHIFT;
	}
	return nr;
}

/**
 * zcpool_pool_stats() - read a pool's counters
 * @pool: the pool.
 * @st:   filled in.
 *
 * The per-CPU counters are summed without locks, each arena's usage lists
 * are counted under its lock; the result is one snapshot and exact when no
 * other call on @pool runs, and a close estimate while they do.
 *
 * Context: process context; takes each arena lock and the huge lock.
 */
void zcpool_pool_stats(struct zcpool_pool *pool, struct zcpool_pool_stats *st)
{
	struct zcpool_arena_stats sum = {};
	unsigned long cached_bytes;
	unsigned int i;

	memset(st, 0, sizeof(*st));
	pool_sum_pcpu(pool, st);

	for (i = 0; i < pool->nr_arenas; i++) {
		zcpool_arena_stats_add(&pool->arenas[i], &sum);
		st->bytes_empty += (u64)zcpool_arena_empty_pages(&pool->arenas[i]) << PAGE_SHIFT;
	}
	memcpy(st->chunk_usage, sum.usage, sizeof(st->chunk_usage));
	st->arena_live = sum.live;
	st->kept_runs = sum.kept_runs;

	st->cached = zcpool_cache_count(&pool->cache, &cached_bytes);
	st->bytes_cached = cached_bytes;

	/* A spare in a CPU's magazine is one to callers. */
	st->spares_cpu = pool_huge_mag_count(pool, &st->bytes_spare);
	st->spares = st->spares_cpu;
	spin_lock(&pool->huge_lock);
	st->spares += pool->nr_spares;
	st->bytes_spare += pool->spare_bytes;
	spin_unlock(&pool->huge_lock);

	st->bytes_held = atomic64_read(&pool->held);
	st->pages_taken = atomic64_read(&pool->pages_taken);
	st->pages_returned = atomic64_read(&pool->pages_returned);
	st->chunks = atomic64_read(&pool->chunks);
	st->chunk_fallbacks = atomic64_read(&pool->fallbacks);
	for (i = 0; i < ZCPOOL_POOL_NR_ORDERS; i++)
		st->chunk_orders[i] = atomic64_read(&pool->chunk_orders[i]);
}
EXPORT_SYMBOL_NS_GPL(zcpool_pool_stats, ZCPOOL);

/**
 * zcpool_pool_drain_caches() - give what the per-CPU caches hold back to the arenas
 * @pool: the pool.
 *
 * Chunks that become empty beyond each arena's reserve go back to the page
 * allocator, through the release hook.
 *
 * Context: process context, may sleep (the release hook).
 * Return: how many cached allocations went back.
 */
unsigned long zcpool_pool_drain_caches(struct zcpool_pool *pool)
{
	unsigned long drained;
	LIST_HEAD(release);

	drained = zcpool_cache_drain(&pool->cache, &release);
	pool_release_chunks(pool, &release);
	return drained;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_pool_drain_caches);

/* Empty every CPU's magazine of huge allocations into the spares. */
static void pool_huge_mags_empty(struct zcpool_pool *pool)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		if (!READ_ONCE(per_cpu_ptr(pool->huge_mag, cpu)->nr))
			continue;
		spin_lock(&pool->huge_lock);
		pool_huge_mag_empty(pool, cpu);
		spin_unlock(&pool->huge_lock);
	}
}

/**
 * zcpool_pool_reclaimable() - what zcpool_pool_reclaim() would give back
 * @pool: the pool.
 *
 * Context: any context; lockless estimate, for the shrinker's count.
 * Return: cached allocations plus pages of empty reserve chunks and of
 * spare huge allocations, in the CPUs' magazines or not.
 */
unsigned long zcpool_pool_reclaimable(struct zcpool_pool *pool)
{
	unsigned long n = zcpool_cache_count(&pool->cache, NULL);
	unsigned int i;
	u64 bytes;

	pool_huge_mag_count(pool, &bytes);
	n += (READ_ONCE(pool->spare_bytes) + bytes) >> PAGE_SHIFT;
	for (i = 0; i < pool->nr_arenas; i++)
		n += zcpool_arena_empty_pages(&pool->arenas[i]);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_pool_reclaimable);

/**
 * zcpool_pool_reclaim() - give back what no caller of the pool holds
 * @pool: the pool.
 *
 * Drains every per-CPU cache into the arenas and every CPU's magazine of
 * huge allocations into the spares, then gives every empty chunk back to
 * the page allocator, reserves included, through the release hook (called
 * with no lock held), and every spare huge allocation. The pool
 * keeps working: the next allocations refill the caches and take chunks
 * again.
 *
 * Context: process context, may sleep (the release hook).
 * Return: cached allocations drained plus pages of chunks and spares given
 * back.
 */
unsigned long zcpool_pool_reclaim(struct zcpool_pool *pool)
{
	unsigned long freed;
	LIST_HEAD(release);
	unsigned int i;

	freed = zcpool_cache_drain(&pool->cache, &release);
	pool_huge_mags_empty(pool);
	for (i = 0; i < pool->nr_arenas; i++)
		zcpool_arena_release_empty(&pool->arenas[i], &release);
	freed += pool_release_chunks(pool, &release);
	return freed + pool_release_spares(pool);
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_pool_reclaim);

/**
 * zcpool_pool_max_bytes() - a pool's cap
 * @pool: the pool.
 *
 * Context: any context.
 * Return: the most bytes of pages @pool may hold now.
 */
u64 zcpool_pool_max_bytes(const struct zcpool_pool *pool)
{
	return READ_ONCE(pool->max_bytes);
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_pool_max_bytes);

/**
 * zcpool_pool_set_max_bytes() - lower a pool's cap
 * @pool:      the pool.
 * @max_bytes: the new cap: at most the current one, at least what the
 *             pool holds.
 *
 * A cap only goes down, so a pool handed to a less trusted process can be
 * confined first. A lowering and the charges of new pages are serialised
 * by the pool's cap lock: a lowering sees every charge that went through
 * before it, none that was refused, and holds for every charge after it.
 *
 * Context: not in interrupt context (takes the pool's cap lock); the
 * lowerings of one pool are serialised by the caller
 * (the LIMITS ioctl's lock), since one that takes itself back restores the
 * cap it replaced.
 * Return: 0, or -EINVAL when @max_bytes is above the current cap or below
 * what the pool holds.
 */
int zcpool_pool_set_max_bytes(struct zcpool_pool *pool, u64 max_bytes)
{
	int ret = -EINVAL;

	spin_lock(&pool->cap_lock);
	if (max_bytes <= pool->max_bytes && max_bytes >= (u64)atomic64_read(&pool->held)) {
		WRITE_ONCE(pool->max_bytes, max_bytes);
		ret = 0;
	}
	spin_unlock(&pool->cap_lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_pool_set_max_bytes);

/**
 * zcpool_pool_restore_max_bytes() - take back one zcpool_pool_set_max_bytes()
 * @pool:    the pool.
 * @lowered: the cap that call set.
 * @old:     the cap that was in force before it.
 *
 * For a caller that lowered the cap and then could not report it (the
 * LIMITS ioctl whose result cannot be copied out, which must then change
 * nothing): the cap goes back to @old unless it moved again meanwhile, in
 * which case the later lowering stands.
 *
 * Context: not in interrupt context; takes the pool's cap lock.
 */
void zcpool_pool_restore_max_bytes(struct zcpool_pool *pool, u64 lowered, u64 old)
{
	spin_lock(&pool->cap_lock);
	if (pool->max_bytes == lowered)
		WRITE_ONCE(pool->max_bytes, old);
	spin_unlock(&pool->cap_lock);
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_pool_restore_max_bytes);

/**
 * zcpool_pool_pages() - the pages from a window offset on that hold live data
 * @pool:   the pool.
 * @offset: any byte offset in the window.
 * @pages:  room for @max pages.
 * @max:    the most to look up.
 *
 * For the fault handler: the pages in a row from the one holding @offset,
 * up to @max, the end of its chunk or huge allocation, or the first page
 * that holds no live data. A page holds live data when it is part of a
 * live page run or huge allocation, or holds a byte of a live small
 * element. The references are taken under the lock that pages going
 * back to the page allocator take first (the arena lock, or the huge
 * lock: a huge allocation's pages go back only from the spares), so none
 * can go back before the caller has it; the lookup of the
 * slot itself is lockless (RCU). One call, one lookup and one lock hold
 * for the pages of one chunk or huge allocation: a fault maps up to 16.
 *
 * Context: process context (a fault handler); takes an arena lock or the
 * huge lock, does not sleep.
 * Return: how many pages are in @pages, each with a reference the caller
 * drops with put_page(); 0 when the page holding @offset has no live data.
 */
unsigned int zcpool_pool_pages(struct zcpool_pool *pool, u64 offset, struct page **pages,
			       unsigned int max)
{
	unsigned long slot = offset >> pool->slot_shift;
	struct zcpool_chunk *chunk;
	struct zcpool_huge *huge;
	unsigned int nr = 0;
	void *entry;
	u64 idx;

	if (offset >= ZCPOOL_POOL_WINDOW_BYTES)
		return 0;
	rcu_read_lock();
	entry = pool_window_entry(pool, slot);
	if (entry && xa_pointer_tag(entry) != POOL_ENTRY_HUGE) {
		chunk = entry;
		nr = zcpool_arena_pages(chunk->arena, chunk, offset & (pool_slot_bytes(pool) - 1),
					pages, max);
	}
	rcu_read_unlock();
	if (!entry || xa_pointer_tag(entry) != POOL_ENTRY_HUGE)
		return nr;

	spin_lock(&pool->huge_lock);
	huge = pool_huge_at(pool, slot);
	if (huge && offset >= huge->base) {
		idx = (offset - huge->base) >> PAGE_SHIFT;
		for (; nr < max && idx < huge->nr_pages; nr++, idx++) {
			pages[nr] = huge->pages[idx];
			get_page(pages[nr]);
		}
	}
	spin_unlock(&pool->huge_lock);
	return nr;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_pool_pages);

/**
 * zcpool_pool_page() - the page at a window offset, if it holds live data
 * @pool:   the pool.
 * @offset: any byte offset in the window.
 *
 * zcpool_pool_pages() of one page.
 *
 * Context: as zcpool_pool_pages().
 * Return: the page with a reference the caller drops with put_page(), or
 * NULL when the page holds no live allocation.
 */
struct page *zcpool_pool_page(struct zcpool_pool *pool, u64 offset)
{
	struct page *page;

	return zcpool_pool_pages(pool, offset, &page, 1) ? page : NULL;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_pool_page);

/**
 * zcpool_pool_slot_bytes() - the size of a pool's window slots
 * @pool: the pool.
 *
 * Context: any context.
 * Return: the preferred chunk size in bytes; chunks start on multiples of it.
 */
u64 zcpool_pool_slot_bytes(const struct zcpool_pool *pool)
{
	return pool_slot_bytes(pool);
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_pool_slot_bytes);

/**
 * zcpool_pool_total_held() - bytes of pages all pools hold together
 *
 * Context: any context.
 * Return: what counts against zcpool_params.total_max_bytes.
 */
u64 zcpool_pool_total_held(void)
{
	return atomic64_read(&pool_total_held);
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_pool_total_held);
