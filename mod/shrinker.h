/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shrinker: under memory pressure the page allocator asks zcpool to
 * give back what no caller holds, the allocations waiting in per-CPU caches
 * and the empty chunks arenas keep in reserve, of every pool. Pools enter
 * the shrinker's lists when created and leave them before they are
 * destroyed. A second, memcg-aware shrinker lets a memory cgroup at its
 * limit ask the pools charged to it.
 */
#ifndef _ZCPOOL_SHRINKER_H
#define _ZCPOOL_SHRINKER_H

#include <linux/list.h>
#include <linux/shrinker.h>

struct zcpool_pool;

/**
 * struct zcpool_shrinker_node - a pool's place on the shrinker's lists
 * @node: on the list of every pool, under the shrinker's mutex.
 * @lru:  on the list_lru of the memory cgroup the pool is charged to (the
 *        node is allocated in it), which memcg reclaim walks.
 * @pool: the pool.
 */
struct zcpool_shrinker_node {
	struct list_head node;
	struct list_head lru;
	struct zcpool_pool *pool;
};

int zcpool_shrinker_init(void);
void zcpool_shrinker_exit(void);
struct zcpool_shrinker_node *zcpool_shrinker_add(struct zcpool_pool *pool);
void zcpool_shrinker_del(struct zcpool_shrinker_node *sn);
unsigned long zcpool_shrinker_count(struct shrinker *shrinker, struct shrink_control *sc);
unsigned long zcpool_shrinker_scan(struct shrinker *shrinker, struct shrink_control *sc);
unsigned long zcpool_shrinker_memcg_count(struct shrinker *shrinker, struct shrink_control *sc);
unsigned long zcpool_shrinker_memcg_scan(struct shrinker *shrinker, struct shrink_control *sc);
unsigned long zcpool_shrinker_reclaim_others(struct zcpool_pool *pool, u64 bytes);

#endif /* _ZCPOOL_SHRINKER_H */
