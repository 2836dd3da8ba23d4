// SPDX-License-Identifier: GPL-2.0
/*
 * Statistics beyond the STATS ioctl: every pool of the module summed up in
 * debugfs, and one pool's counters in /proc/<pid>/fdinfo/<fd>.
 *
 * /sys/kernel/debug/zcpool/ (root only):
 *   stats                 all pools together, one "name value" per line,
 *                         then "class <index> <size> <live>" per size class,
 *                         "order <order> <chunks> <live runs>" per order and
 *                         "usage <list> <chunks>" per chunk usage list
 *                         (0 empty, then q000 .. q100);
 *   fault_race_delay_us   a test aid, 0 (off) unless written: see mmap.c;
 *   limits_hold           a test aid, 0 (off) unless written: see ioctl.c.
 *
 * Open pools are kept on a list under a mutex, taken only by open, release
 * and readers of the stats file; a pool is on it from the moment it is
 * complete until just before it is destroyed, so a reader never sees one
 * half built or half gone. Reading sums each pool's counters with
 * zcpool_pool_stats(), which takes the pool's locks in turn.
 */

#include <linux/debugfs.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "dev.h"
#include "ioctl.h"
#include "mmap.h"
#include "pool.h"
#include "sizeclass.h"
#include "stats.h"

static LIST_HEAD(stats_pools);
static DEFINE_MUTEX(stats_lock);	/* protects stats_pools and stats_nr_pools */
static unsigned long stats_nr_pools;
static struct dentry *stats_dir;

/**
 * zcpool_stats_add_pool() - count a newly opened pool
 * @zf: the pool's file, complete.
 *
 * Context: process context, may sleep.
 */
void zcpool_stats_add_pool(struct zcpool_file *zf)
{
	mutex_lock(&stats_lock);
	list_add_tail(&zf->stats_node, &stats_pools);
	stats_nr_pools++;
	mutex_unlock(&stats_lock);
}

/**
 * zcpool_stats_del_pool() - stop counting a pool about to be destroyed
 * @zf: the pool's file.
 *
 * Context: process context, may sleep.
 */
void zcpool_stats_del_pool(struct zcpool_file *zf)
{
	mutex_lock(&stats_lock);
	list_del(&zf->stats_node);
	stats_nr_pools--;
	mutex_unlock(&stats_lock);
}

static void stats_add(struct zcpool_pool_stats *sum, const struct zcpool_pool_stats *st)
{
	unsigned int i;

	sum->bytes_requested += st->bytes_requested;
	sum->bytes_held += st->bytes_held;
	sum->chunks += st->chunks;
	sum->chunk_fallbacks += st->chunk_fallbacks;
	sum->live += st->live;
	sum->allocs += st->allocs;
	sum->frees += st->frees;
	sum->runs_live += st->runs_live;
	sum->kept_runs += st->kept_runs;
	sum->huge_live += st->huge_live;
	sum->spares += st->spares;
	sum->bytes_spare += st->bytes_spare;
	sum->bytes_empty += st->bytes_empty;
	sum->bytes_cached += st->bytes_cached;
	sum->cached += st->cached;
	sum->cache_hits += st->cache_hits;
	sum->cache_misses += st->cache_misses;
	sum->pages_taken += st->pages_taken;
	sum->pages_returned += st->pages_returned;
	for (i = 0; i < ZCPOOL_SIZECLASS_NR; i++)
		sum->class_live[i] += st->class_live[i];
	for (i = 0; i < ZCPOOL_POOL_NR_ORDERS; i++) {
		sum->chunk_orders[i] += st->chunk_orders[i];
		sum->run_orders[i] += st->run_orders[i];
	}
	for (i = 0; i < ZCPOOL_POOL_NR_USAGE; i++)
		sum->chunk_usage[i] += st->chunk_usage[i];
}

static int stats_show(struct seq_file *m, void *unused)
{
	struct zcpool_pool_stats *sum, *st;
	struct zcpool_file *zf;
	unsigned long nr_pools;
	unsigned int i;

	/* Two of them are too large for the stack. */
	sum = kzalloc(2 * sizeof(*sum), GFP_KERNEL);
	if (!sum)
		return -ENOMEM;
	st = sum + 1;
	mutex_lock(&stats_lock);
	list_for_each_entry(zf, &stats_pools, stats_node) {
		zcpool_pool_stats(zf->pool, st);
		stats_add(sum, st);
	}
	nr_pools = stats_nr_pools;
	mutex_unlock(&stats_lock);

	seq_printf(m, "pools %lu\n", nr_pools);
	seq_printf(m, "live %llu\n", sum->live);
	seq_printf(m, "bytes_requested %llu\n", sum->bytes_requested);
	seq_printf(m, "bytes_held %llu\n", sum->bytes_held);
	seq_printf(m, "total_held %llu\n", zcpool_pool_total_held());
	seq_printf(m, "chunks %llu\n", sum->chunks);
	seq_printf(m, "chunk_fallbacks %llu\n", sum->chunk_fallbacks);
	seq_printf(m, "runs_live %llu\n", sum->runs_live);
	seq_printf(m, "kept_runs %llu\n", sum->kept_runs);
	seq_printf(m, "huge_live %llu\n", sum->huge_live);
	seq_printf(m, "spares %llu\n", sum->spares);
	seq_printf(m, "bytes_spare %llu\n", sum->bytes_spare);
	seq_printf(m, "bytes_empty %llu\n", sum->bytes_empty);
	seq_printf(m, "allocs %llu\n", sum->allocs);
	seq_printf(m, "frees %llu\n", sum->frees);
	seq_printf(m, "cached %llu\n", sum->cached);
	seq_printf(m, "bytes_cached %llu\n", sum->bytes_cached);
	seq_printf(m, "cache_hits %llu\n", sum->cache_hits);
	seq_printf(m, "cache_misses %llu\n", sum->cache_misses);
	seq_printf(m, "pages_taken %llu\n", sum->pages_taken);
	seq_printf(m, "pages_returned %llu\n", sum->pages_returned);
	for (i = 0; i < ZCPOOL_SIZECLASS_NR; i++)
		seq_printf(m, "class %u %u %llu\n", i, zcpool_sizeclass_size(i),
			   sum->class_live[i]);
	for (i = 0; i < ZCPOOL_POOL_NR_ORDERS; i++)
		seq_printf(m, "order %u %llu %llu\n", i, sum->chunk_orders[i], sum->run_orders[i]);
	for (i = 0; i < ZCPOOL_POOL_NR_USAGE; i++)
		seq_printf(m, "usage %u %llu\n", i, sum->chunk_usage[i]);
	kfree(sum);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

/**
 * zcpool_stats_show_fdinfo() - one pool's counters for /proc/<pid>/fdinfo
 * @m:  the fdinfo seq_file.
 * @zf: the pool's file.
 *
 * Context: process context; takes the pool's locks in turn.
 */
void zcpool_stats_show_fdinfo(struct seq_file *m, struct zcpool_file *zf)
{
	struct zcpool_pool_stats *st;
	unsigned int i;

	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return;
	zcpool_pool_stats(zf->pool, st);
	seq_printf(m, "zcpool_live:\t%llu\n", st->live);
	seq_printf(m, "zcpool_bytes_requested:\t%llu\n", st->bytes_requested);
	seq_printf(m, "zcpool_bytes_held:\t%llu\n", st->bytes_held);
	seq_printf(m, "zcpool_chunks:\t%llu\n", st->chunks);
	seq_printf(m, "zcpool_runs_live:\t%llu\n", st->runs_live);
	seq_printf(m, "zcpool_huge_live:\t%llu\n", st->huge_live);
	seq_printf(m, "zcpool_spares:\t%llu\n", st->spares);
	seq_printf(m, "zcpool_bytes_spare:\t%llu\n", st->bytes_spare);
	seq_printf(m, "zcpool_allocs:\t%llu\n", st->allocs);
	seq_printf(m, "zcpool_frees:\t%llu\n", st->frees);
	seq_printf(m, "zcpool_cached:\t%llu\n", st->cached);
	seq_printf(m, "zcpool_bytes_cached:\t%llu\n", st->bytes_cached);
	seq_printf(m, "zcpool_cache_hits:\t%llu\n", st->cache_hits);
	seq_printf(m, "zcpool_cache_misses:\t%llu\n", st->cache_misses);
	seq_printf(m, "zcpool_max_bytes:\t%llu\n", zcpool_pool_max_bytes(zf->pool));
	seq_printf(m, "zcpool_flags:\t0x%x\n", atomic_read(&zf->flags));
	seq_puts(m, "zcpool_class_live:");
	for (i = 0; i < ZCPOOL_SIZECLASS_NR; i++)
		seq_printf(m, "%c%llu", i ? ' ' : '\t', st->class_live[i]);
	seq_putc(m, '\n');
	kfree(st);
}

/**
 * zcpool_stats_init() - create /sys/kernel/debug/zcpool/
 *
 * Debugfs failures are not errors (the module works without it).
 *
 * Context: module init.
 */
void zcpool_stats_init(void)
{
	stats_dir = debugfs_create_dir("zcpool", NULL);
	debugfs_create_file("stats", 0400, stats_dir, NULL, &stats_fops);
	debugfs_create_u32("fault_race_delay_us", 0600, stats_dir,
			   &zcpool_mmap_fault_race_delay_us);
	debugfs_create_u32("limits_hold", 0600, stats_dir, &zcpool_ioctl_limits_hold);
}

/**
 * zcpool_stats_exit() - remove /sys/kernel/debug/zcpool/
 *
 * Context: module exit; no pool exists.
 */
void zcpool_stats_exit(void)
{
	debugfs_remove(stats_dir);
}
