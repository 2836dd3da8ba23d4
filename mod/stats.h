/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module-wide statistics in debugfs and per-pool ones in fdinfo: the list
 * of open pools they are summed over.
 */
#ifndef _ZCPOOL_STATS_H
#define _ZCPOOL_STATS_H

struct seq_file;
struct zcpool_file;

void zcpool_stats_init(void);
void zcpool_stats_exit(void);
void zcpool_stats_add_pool(struct zcpool_file *zf);
void zcpool_stats_del_pool(struct zcpool_file *zf);
void zcpool_stats_show_fdinfo(struct seq_file *m, struct zcpool_file *zf);

#endif /* _ZCPOOL_STATS_H */
