/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by the zcpool user-space tests. */
#ifndef _ZCPOOL_UTIL_H
#define _ZCPOOL_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ZCPOOL_DEV	"/dev/zcpool"
#define ZCPOOL_PARAMS	"/sys/module/zcpool/parameters/"
#define ZCPOOL_DEBUGFS	"/sys/kernel/debug/zcpool/"

/* Read an unsigned number from a sysfs file; -1 (all ones) if unreadable. */
static inline unsigned long long zc_read_ull(const char *path)
{
	unsigned long long val;
	FILE *f = fopen(path, "r");
	int n;

	if (!f)
		return ~0ULL;
	n = fscanf(f, "%llu", &val);
	fclose(f);
	return n == 1 ? val : ~0ULL;
}

static inline unsigned long long zc_param(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), ZCPOOL_PARAMS "%s", name);
	return zc_read_ull(path);
}

/* Write a number to a file (sysfs, debugfs); 0 or the errno. */
static inline int zc_write_ull(const char *path, unsigned long long val)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return errno;
	ret = fprintf(f, "%llu\n", val) < 0 ? EIO : 0;
	if (fclose(f) && !ret)
		ret = errno;
	return ret;
}

static inline int zc_module_loaded(void)
{
	struct stat st;

	return stat("/sys/module/zcpool", &st) == 0;
}

/* finit_module(2) of the zcpool.ko named by $ZCPOOL_KO; -errno on failure. */
static inline int zc_load(const char *params)
{
	const char *ko = getenv("ZCPOOL_KO");
	int fd, ret;

	if (!ko)
		ko = "./zcpool.ko";
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

/* delete_module(2) without waiting: -EAGAIN while the module is in use. */
static inline int zc_unload(void)
{
	return syscall(SYS_delete_module, "zcpool", O_NONBLOCK) ? -errno : 0;
}

#endif /* _ZCPOOL_UTIL_H */
