/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One CPU's allocations for the KUnit suites: a call allocates or frees
 * offs[first] to offs[first + n - 1] of @size bytes on CPU @cpu
 * (work_on_cpu()), so that they go through that CPU's magazines and share.
 */
#ifndef _ZCPOOL_TEST_CPU_BATCH_H
#define _ZCPOOL_TEST_CPU_BATCH_H

#include <linux/types.h>
#include <linux/workqueue.h>

#include "pool.h"

struct cpu_batch {
	struct zcpool_pool *pool;
	unsigned int cpu;
	u64 size;
	u64 offs[24];
	unsigned int first, n;
	bool alloc;
};

static inline long cpu_batch_run(void *arg)
{
	struct cpu_batch *b = arg;
	unsigned int i;
	int ret;

	for (i = b->first; i < b->first + b->n; i++) {
		ret = b->alloc ? zcpool_pool_alloc(b->pool, b->size, 0, 0, &b->offs[i]) :
				 zcpool_pool_free(b->pool, b->offs[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* Allocate (@alloc) or free @b's allocations on its CPU. */
static inline long cpu_batch(struct cpu_batch *b, bool alloc)
{
	b->alloc = alloc;
	return work_on_cpu(b->cpu, cpu_batch_run, b);
}

#endif /* _ZCPOOL_TEST_CPU_BATCH_H */
