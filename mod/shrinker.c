// SPDX-License-Identifier: GPL-2.0
/*
 * The shrinker (see shrinker.h).
 *
 * One shrinker for the module, walking a list of pools under a mutex. The
 * mutex is held while a pool is reclaimed, by the shrinker or for a pool
 * that the module's total cap refused (zcpool_shrinker_reclaim_others()),
 * so zcpool_shrinker_del() (pool destroy) waits for a reclaim of that pool
 * to end. The scan only trylocks it, so that direct reclaim entered from
 * under it (or from inside zcpool) cannot wait on it, nor on a pool being
 * created or destroyed elsewhere.
 *
 * Objects, for the shrinker core, are cached allocations plus pages of
 * reserve chunks: both are what one scan gives back, and both are cheap to
 * count without locks (a racy estimate is what count_objects is for).
 * Chunks the scan frees go through the pool's release hook, which zaps
 * user mappings, with no spinlock held.
 */

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/shrinker.h>
#include <kunit/visibility.h>

#include "compat.h"
#include "pool.h"
#include "shrinker.h"

static LIST_HEAD(shrinker_pools);
static DEFINE_MUTEX(shrinker_lock);
static struct shrinker *zcpool_shrinker;

/**
 * zcpool_shrinker_add() - put a new pool on the shrinker's list
 * @sn:   the pool's node.
 * @pool: the pool.
 *
 * Context: process context, may sleep (the mutex).
 */
void zcpool_shrinker_add(struct zcpool_shrinker_node *sn, struct zcpool_pool *pool)
{
	sn->pool = pool;
	mutex_lock(&shrinker_lock);
	list_add_tail(&sn->node, &shrinker_pools);
	mutex_unlock(&shrinker_lock);
}

/**
 * zcpool_shrinker_del() - take a pool off the shrinker's list
 * @sn: the pool's node.
 *
 * Returns only when no scan is looking at the pool.
 *
 * Context: process context, may sleep (the mutex).
 */
void zcpool_shrinker_del(struct zcpool_shrinker_node *sn)
{
	mutex_lock(&shrinker_lock);
	list_del_init(&sn->node);
	mutex_unlock(&shrinker_lock);
}

/**
 * zcpool_shrinker_count() - the shrinker's count_objects callback
 * @shrinker: zcpool's shrinker.
 * @sc:       the reclaim request (unused: zcpool's memory is not per node).
 *
 * Context: reclaim; takes the list mutex only if free.
 * Return: cached allocations plus reserve pages of all pools, or
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
 * zcpool_shrinker_scan() - the shrinker's scan_objects callback
 * @shrinker: zcpool's shrinker.
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
 * zcpool_shrinker_init() - register the shrinker
 *
 * Context: module init.
 * Return: 0 or -ENOMEM.
 */
int zcpool_shrinker_init(void)
{
	zcpool_shrinker = zcpool_compat_shrinker_register("zcpool", zcpool_shrinker_count,
							  zcpool_shrinker_scan);
	return zcpool_shrinker ? 0 : -ENOMEM;
}

/**
 * zcpool_shrinker_exit() - unregister the shrinker
 *
 * Context: module exit; no pool is left.
 */
void zcpool_shrinker_exit(void)
{
	zcpool_compat_shrinker_unregister(zcpool_shrinker);
	zcpool_shrinker = NULL;
}
