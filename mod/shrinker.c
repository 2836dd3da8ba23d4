// SPDX-License-Identifier: GPL-2.0
/*
 * The shrinkers (see shrinker.h).
 *
 * Two lists of pools under one mutex: one of every pool, and a list_lru on
 * which each pool sits in the memory cgroup it is charged to (its node is
 * allocated there, and list_lru reads the cgroup from it). Two shrinkers
 * walk them:
 *  - the machine-wide one, not memcg-aware, over every pool, as reclaim
 *    of the whole machine (kswapd, direct reclaim) calls it on every node;
 *    and for a pool that the module's total cap refused;
 *  - a memcg-aware one, which the reclaim of one cgroup at its memory.max
 *    calls with that cgroup (and each of its descendants): it walks that
 *    cgroup's list on every node, the pools' pages coming from any node.
 *    The root's list (the root cgroup's pools, kernel threads', all of
 *    them with kmem accounting off) it leaves to the machine-wide one.
 *
 * The mutex is held while a pool is reclaimed, so zcpool_shrinker_del()
 * (pool destroy) waits for a reclaim of that pool to end. The callbacks
 * only trylock it, so that direct reclaim entered from under it (or from
 * inside zcpool) cannot wait on it, nor on a pool being created or
 * destroyed elsewhere.
 *
 * Objects, for the shrinker core, are cached allocations plus pages of
 * reserve chunks and spares: what one scan gives back, and cheap to count
 * without locks (a racy estimate is what count_objects is for). Chunks the
 * scan frees go through the pool's release hook, which zaps user
 * mappings, with no spinlock held.
 */

#include <linux/list.h>
#include <linux/list_lru.h>
#include <linux/memcontrol.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <kunit/visibility.h>

#include "compat.h"
#include "pool.h"
#include "shrinker.h"

static LIST_HEAD(shrinker_pools);
static DEFINE_MUTEX(shrinker_lock);
static struct shrinker *zcpool_shrinker;
static struct shrinker *zcpool_memcg_shrinker;
static struct list_lru shrinker_lru;
static struct kmem_cache *shrinker_node_cache;

/**
 * zcpool_shrinker_add() - put a new pool on the shrinker's lists
 * @pool: the pool.
 *
 * The pool's node is allocated in the caller's memory cgroup: its pool
 * goes on that cgroup's list.
 *
 * Context: process context, may sleep (the mutex, the allocation).
 * Return: the pool's node, or NULL when there is no memory for it.
 */
struct zcpool_shrinker_node *zcpool_shrinker_add(struct zcpool_pool *pool)
{
	struct zcpool_shrinker_node *sn;

	/* With the list_lru: it sets up the cgroup's list for the node. */
	sn = kmem_cache_alloc_lru(shrinker_node_cache, &shrinker_lru, GFP_KERNEL_ACCOUNT);
	if (!sn)
		return NULL;
	sn->pool = pool;
	INIT_LIST_HEAD(&sn->lru);
	mutex_lock(&shrinker_lock);
	list_add_tail(&sn->node, &shrinker_pools);
	zcpool_compat_list_lru_add(&shrinker_lru, &sn->lru);
	mutex_unlock(&shrinker_lock);
	return sn;
}

/**
 * zcpool_shrinker_del() - take a pool off the shrinker's lists
 * @sn: the pool's node, from zcpool_shrinker_add(); freed.
 *
 * Returns only when no scan is looking at the pool.
 *
 * Context: process context, may sleep (the mutex).
 */
void zcpool_shrinker_del(struct zcpool_shrinker_node *sn)
{
	mutex_lock(&shrinker_lock);
	list_del(&sn->node);
	zcpool_compat_list_lru_del(&shrinker_lru, &sn->lru);
	mutex_unlock(&shrinker_lock);
	kmem_cache_free(shrinker_node_cache, sn);
}

/**
 * zcpool_shrinker_count() - the machine-wide shrinker's count_objects callback
 * @shrinker: zcpool's machine-wide shrinker.
 * @sc:       the reclaim request (unused: it asks for every pool).
 *
 * Context: reclaim; takes the list mutex only if free.
 * Return: cached allocations plus reserve and spare pages of all pools, or
 * SHRINK_EMPTY when there are none.
 */
unsigned long zcpool_shrinker_count(struct shrinker *shrinker, struct shrink_control *sc)
{
	struct zcpool_shrinker_node *sn;
	unsigned long count = 0;

	if (!mutex_trylock(&shrinker_lock))
		return 0;
	list_for_each_entry(sn, &shrinker_pools, node)
		count += zcpool_pool_reclaimable(sn->pool);
	mutex_unlock(&shrinker_lock);
	return count ?: SHRINK_EMPTY;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_shrinker_count);

/**
 * zcpool_shrinker_scan() - the machine-wide shrinker's scan_objects callback
 * @shrinker: zcpool's machine-wide shrinker.
 * @sc:       the reclaim request: @sc->nr_to_scan objects.
 *
 * Reclaims whole pools, oldest first, until @sc->nr_to_scan objects are
 * freed: a pool's caches go back as a whole, which keeps the walk short.
 *
 * Context: reclaim or process context, may sleep (release hooks).
 * Return: objects freed, or SHRINK_STOP when the list is busy.
 */
unsigned long zcpool_shrinker_scan(struct shrinker *shrinker, struct shrink_control *sc)
{
	struct zcpool_shrinker_node *sn;
	unsigned long freed = 0;

	if (!mutex_trylock(&shrinker_lock))
		return SHRINK_STOP;
	list_for_each_entry(sn, &shrinker_pools, node) {
		freed += zcpool_pool_reclaim(sn->pool);
		if (freed >= sc->nr_to_scan)
			break;
	}
	mutex_unlock(&shrinker_lock);
	return freed;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_shrinker_scan);

/*
 * Whether @sc is the reclaim of one cgroup below the root: the root's
 * pools, kernel threads' and all of them with kmem accounting off are on
 * the list_lru's own list, which the machine-wide shrinker covers.
 */
static bool shrinker_for_a_cgroup(const struct shrink_control *sc)
{
	return memcg_kmem_id(sc->memcg) >= 0;
}

/* Sum what the pools on one list_lru list hold idle; they stay where they are. */
static enum lru_status shrinker_count_one(struct list_head *item, struct list_lru_one *list,
					  spinlock_t *lock, void *arg)
{
	unsigned long *count = arg;

	*count += zcpool_pool_reclaimable(container_of(item, struct zcpool_shrinker_node,
						       lru)->pool);
	return LRU_SKIP;
}

/**
 * zcpool_shrinker_memcg_count() - the memcg shrinker's count_objects callback
 * @shrinker: zcpool's memcg-aware shrinker.
 * @sc:       the reclaim request: the pools of the cgroup @sc->memcg.
 *
 * Context: reclaim; takes the list mutex only if free.
 * Return: cached allocations plus reserve and spare pages of those pools;
 * SHRINK_EMPTY when the cgroup has none (or is the root). For a cgroup
 * that has pools, 0 when they hold nothing idle: SHRINK_EMPTY would have
 * memcg reclaim pass the shrinker over in that cgroup until a pool joined
 * its list again.
 */
unsigned long zcpool_shrinker_memcg_count(struct shrinker *shrinker, struct shrink_control *sc)
{
	unsigned long count = 0, pools = 0, walk;
	int nid;

	if (!shrinker_for_a_cgroup(sc))
		return SHRINK_EMPTY;
	if (!mutex_trylock(&shrinker_lock))
		return 0;
	for_each_node(nid) {
		walk = list_lru_count_one(&shrinker_lru, nid, sc->memcg);
		pools += walk;
		if (walk)
			list_lru_walk_one(&shrinker_lru, nid, sc->memcg, shrinker_count_one,
					  &count, &walk);
	}
	mutex_unlock(&shrinker_lock);
	if (count)
		return count;
	return pools ? 0 : SHRINK_EMPTY;
}

/* Take the pool at the head of a list_lru list, and move it to the tail. */
static enum lru_status shrinker_pick(struct list_head *item, struct list_lru_one *list,
				     spinlock_t *lock, void *arg)
{
	struct zcpool_pool **pool = arg;

	*pool = container_of(item, struct zcpool_shrinker_node, lru)->pool;
	return LRU_ROTATE;
}

/**
 * zcpool_shrinker_memcg_scan() - the memcg shrinker's scan_objects callback
 * @shrinker: zcpool's memcg-aware shrinker.
 * @sc:       the reclaim request: @sc->nr_to_scan objects of the pools of
 *            the cgroup @sc->memcg.
 *
 * As zcpool_shrinker_scan(), over that cgroup's pools on every node's
 * list. Each pool reclaimed goes to the end of its list, so that the next
 * scan starts with the one that gave the longest ago.
 *
 * Context: reclaim or process context, may sleep (release hooks).
 * Return: objects freed, or SHRINK_STOP when the lists are busy.
 */
unsigned long zcpool_shrinker_memcg_scan(struct shrinker *shrinker, struct shrink_control *sc)
{
	unsigned long freed = 0, left, one;
	struct zcpool_pool *pool;
	int nid;

	if (!shrinker_for_a_cgroup(sc))
		return 0;
	if (!mutex_trylock(&shrinker_lock))
		return SHRINK_STOP;
	for_each_node(nid) {
		/* The mutex keeps pools from joining or leaving the list. */
		left = list_lru_count_one(&shrinker_lru, nid, sc->memcg);
		while (left-- && freed < sc->nr_to_scan) {
			pool = NULL;
			one = 1;
			list_lru_walk_one(&shrinker_lru, nid, sc->memcg, shrinker_pick, &pool,
					  &one);
			if (!pool)
				break;
			freed += zcpool_pool_reclaim(pool);
		}
		if (freed >= sc->nr_to_scan)
			break;
	}
	mutex_unlock(&shrinker_lock);
	return freed;
}

/**
 * zcpool_shrinker_reclaim_others() - give back what other pools hold idle
 * @pool:  the pool that asks, which its caller reclaimed already: skipped.
 * @bytes: what it needs under the module's total cap.
 *
 * For a pool that the module's total cap refused: the other pools' caches,
 * reserves and spares count against that cap too, and would otherwise go
 * back only when the shrinker ran. Pools with nothing idle are passed over,
 * and the walk stops once @bytes fit, so that a caller refused over and
 * over costs the busy pools no more than it must.
 *
 * Context: process context, may sleep (the mutex, release hooks); no
 * zcpool lock held.
 * Return: what the other pools gave back, as zcpool_pool_reclaim() counts
 * it; 0 when a fatal signal interrupted the wait for the list.
 */
unsigned long zcpool_shrinker_reclaim_others(struct zcpool_pool *pool, u64 bytes)
{
	struct zcpool_shrinker_node *sn;
	unsigned long freed = 0;

	if (mutex_lock_killable(&shrinker_lock))
		return 0;
	list_for_each_entry(sn, &shrinker_pools, node) {
		if (zcpool_pool_total_room(bytes))
			break;
		if (sn->pool != pool && zcpool_pool_reclaimable(sn->pool))
			freed += zcpool_pool_reclaim(sn->pool);
	}
	mutex_unlock(&shrinker_lock);
	return freed;
}

/**
 * zcpool_shrinker_init() - register the shrinkers
 *
 * Context: module init.
 * Return: 0 or -ENOMEM.
 */
int zcpool_shrinker_init(void)
{
	shrinker_node_cache = KMEM_CACHE(zcpool_shrinker_node, SLAB_ACCOUNT);
	if (!shrinker_node_cache)
		return -ENOMEM;
	zcpool_shrinker = zcpool_compat_shrinker_register("zcpool", zcpool_shrinker_count,
							  zcpool_shrinker_scan, 0, NULL);
	if (!zcpool_shrinker)
		goto err_cache;
	/* The callbacks see the lists busy until the list_lru is set up. */
	mutex_lock(&shrinker_lock);
	zcpool_memcg_shrinker =
		zcpool_compat_shrinker_register("zcpool-memcg", zcpool_shrinker_memcg_count,
						zcpool_shrinker_memcg_scan, SHRINKER_MEMCG_AWARE,
						&shrinker_lru);
	mutex_unlock(&shrinker_lock);
	if (!zcpool_memcg_shrinker)
		goto err_shrinker;
	return 0;

err_shrinker:
	zcpool_compat_shrinker_unregister(zcpool_shrinker, NULL);
	zcpool_shrinker = NULL;
err_cache:
	kmem_cache_destroy(shrinker_node_cache);
	return -ENOMEM;
}

/**
 * zcpool_shrinker_exit() - unregister the shrinkers
 *
 * Context: module exit; no pool is left.
 */
void zcpool_shrinker_exit(void)
{
	zcpool_compat_shrinker_unregister(zcpool_memcg_shrinker, &shrinker_lru);
	zcpool_memcg_shrinker = NULL;
	zcpool_compat_shrinker_unregister(zcpool_shrinker, NULL);
	zcpool_shrinker = NULL;
	kmem_cache_destroy(shrinker_node_cache);
}
