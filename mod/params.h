/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module parameters: parsed and checked when the module loads, read-only
 * afterwards (sysfs mode 0444), so readers need no locking.
 */
#ifndef _ZCPOOL_PARAMS_H
#define _ZCPOOL_PARAMS_H

#include <linux/types.h>

/*
 * Default chunk: 2^8 pages = 1 MiB with 4 KiB pages. A chunk serves runs of
 * at most 16 pages (pool.h), so a larger tree would only pin more memory
 * around the survivors of random lifetimes (the bench's churn trace holds
 * 1.129 times the live bytes with 1 MiB chunks, 1.153 with 4 MiB ones), and
 * an order-8 block is easier for the page allocator to find after uptime.
 */
#define ZCPOOL_CHUNK_ORDER_DEFAULT	8

/**
 * struct zcpool_params - the module's configuration, fixed after load
 * @chunk_order:     a chunk is 2^chunk_order pages.
 * @pool_max_bytes:  the most one pool may hold; never above @total_max_bytes.
 * @total_max_bytes: the most all pools together may hold.
 */
struct zcpool_params {
	unsigned int chunk_order;
	u64 pool_max_bytes;
	u64 total_max_bytes;
};

extern struct zcpool_params zcpool_params;

int zcpool_params_init(void);

#if IS_ENABLED(CONFIG_KUNIT)
int zcpool_params_parse_chunk_order(const char *val, unsigned int *order);
int zcpool_params_parse_bytes(const char *val, u64 *bytes);
int zcpool_params_resolve(struct zcpool_params *params, u64 ram_bytes);
#endif

#endif /* _ZCPOOL_PARAMS_H */
