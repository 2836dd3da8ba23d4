// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool: zero-copy memory pools for user space.
 *
 * Module init and exit: parts start in order and stop in reverse.
 */

#include <linux/module.h>
#include <linux/zcpool.h>

#include "dev.h"
#include "params.h"
#include "shrinker.h"
#include "stats.h"

static int __init zcpool_init(void)
{
	int ret;

	ret = zcpool_params_init();
	if (ret)
		return ret;
	zcpool_stats_init();
	ret = zcpool_shrinker_init();
	if (ret)
		goto err_stats;
	ret = zcpool_dev_init();
	if (ret)
		goto err_shrinker;
	pr_info("ABI %u.%u, chunk order %u, pool cap %llu, total cap %llu bytes\n",
		ZCPOOL_ABI_MAJOR, ZCPOOL_ABI_MINOR, zcpool_params.chunk_order,
		zcpool_params.pool_max_bytes, zcpool_params.total_max_bytes);
	return 0;

err_shrinker:
	zcpool_shrinker_exit();
err_stats:
	zcpool_stats_exit();
	return ret;
}

static void __exit zcpool_exit(void)
{
	zcpool_dev_exit();
	zcpool_shrinker_exit();
	zcpool_stats_exit();
}

module_init(zcpool_init);
module_exit(zcpool_exit);

MODULE_DESCRIPTION("Zero-copy memory pools shared through /dev/zcpool");
MODULE_LICENSE("GPL");
