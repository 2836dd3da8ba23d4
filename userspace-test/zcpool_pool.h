/* SPDX-License-Identifier: GPL-2.0 */
/* Pool helpers shared by the zcpool user-space tests: thin ioctl wrappers. */
#ifndef _ZCPOOL_POOL_TEST_H
#define _ZCPOOL_POOL_TEST_H

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/zcpool.h>

/* More than any module has: STATS says how many are real. */
#define ZC_MAX_CLASSES	256

/* ZCPOOL_IOC_ALLOC; 0 or the errno. @offset is set either way (~0 on failure). */
static inline int zc_alloc(int fd, uint64_t size, uint64_t align, uint32_t flags, uint64_t *offset)
{
	struct zcpool_alloc req = { .size = size, .align = align, .flags = flags };
	int ret = ioctl(fd, ZCPOOL_IOC_ALLOC, &req) ? errno : 0;

	*offset = ret ? ~0ULL : req.offset;
	return ret;
}

/* ZCPOOL_IOC_FREE; 0 or the errno. */
static inline int zc_free(int fd, uint64_t offset)
{
	struct zcpool_free req = { .offset = offset };

	return ioctl(fd, ZCPOOL_IOC_FREE, &req) ? errno : 0;
}

/* ZCPOOL_IOC_STATS with the per-class counts (ZC_MAX_CLASSES entries, zeroed first). */
static inline int zc_stats(int fd, struct zcpool_stats *st, uint64_t *class_live)
{
	memset(st, 0, sizeof(*st));
	if (class_live) {
		memset(class_live, 0, ZC_MAX_CLASSES * sizeof(*class_live));
		st->class_live = (uintptr_t)class_live;
		st->nr_classes = ZC_MAX_CLASSES;
	}
	return ioctl(fd, ZCPOOL_IOC_STATS, st) ? errno : 0;
}

/* ZCPOOL_IOC_LIMITS; 0 or the errno. */
static inline int zc_limits(int fd, uint64_t max_bytes, uint32_t flags, struct zcpool_limits *out)
{
	struct zcpool_limits lim = { .max_bytes = max_bytes, .flags = flags };
	int ret = ioctl(fd, ZCPOOL_IOC_LIMITS, &lim) ? errno : 0;

	if (out)
		*out = lim;
	return ret;
}

/* The chunk size of this module: the largest page run, and the huge slot size. */
static inline uint64_t zc_chunk_bytes(int fd)
{
	struct zcpool_info info;

	if (ioctl(fd, ZCPOOL_IOC_INFO, &info))
		return 0;
	return (uint64_t)info.page_size << info.chunk_order;
}

/*
 * Run on one CPU only: a pool's arenas are chosen by CPU, each with its own
 * chunks, so tests that count chunks or fill a cap must stay in one arena.
 */
static inline int zc_pin_to_one_cpu(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? errno : 0;
}

#endif /* _ZCPOOL_POOL_TEST_H */
