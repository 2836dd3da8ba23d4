/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module parameters: parsed and checked when the module loads, read-only
 * afterwards (sysfs mode 0444), so readers need no locking.
 */
#ifndef _ZCPOOL_PARAMS_H
#define _ZCPOOL_PARAMS_H

#include <linux/types.h>

/* Default chunk: 2^10 pages = 4 MiB with 4 KiB pages, the largest alloc_pages() block. */
#define ZCPOOL_CHUNK_ORDER_DEFAULT	10

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
