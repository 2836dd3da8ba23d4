/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by the zcpool user-space tests. */
#ifndef _ZCPOOL_UTIL_H
#define _ZCPOOL_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/zcpool.h>

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

/* A new pool: every open() of the device makes one. -errno on failure. */
static inline int zc_open(void)
{
	int fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/*
 * Size classes, as the module computes them (mod/sizeclass.c): 16 B steps up
 * to 128 B, then 8 steps per power of two up to 8 pages.
 */
static inline unsigned int zc_nr_classes(unsigned long page_size)
{
	return 8 + 8 * (__builtin_ctzl(page_size) + 3 - 7);
}

static inline uint64_t zc_class_size(unsigned int idx)
{
	if (idx < 8)
		return (idx + 1) * 16ULL;
	return (uint64_t)(8 + (idx - 8) % 8 + 1) << (4 + (idx - 8) / 8);
}

/*
 * Whether the pool serves class @idx as a page run (the uapi's STATS
 * comment): the class is above half a page and, rounded up to whole pages,
 * leaves at most 1/8 of them unused, so its run would hold one element.
 */
static inline int zc_class_is_run(unsigned int idx, unsigned long page_size)
{
	uint64_t size = zc_class_size(idx);
	uint64_t up = (size + page_size - 1) / page_size * page_size;

	return size > page_size / 2 && (up - size) * 8 <= up;
}

/*
 * A module-wide counter from debugfs: ZCPOOL_DEBUGFS "stats" holds one
 * "name value" line per counter. ~0 if absent.
 */
static inline unsigned long long zc_global(const char *name)
{
	unsigned long long val, found = ~0ULL;
	size_t len = strlen(name);
	char line[256];
	FILE *f = fopen(ZCPOOL_DEBUGFS "stats", "r");

	if (!f)
		return ~0ULL;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + len;

		if (strncmp(line, name, len) || (*p != ' ' && *p != ':' && *p != '\t'))
			continue;
		while (*p == ':' || *p == ' ' || *p == '\t')
			p++;
		if (sscanf(p, "%llu", &val) == 1)
			found = val;
		break;
	}
	fclose(f);
	return found;
}

/* Run on CPU 0 only, so that every allocation uses the same arena. */
static inline int zc_pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* Pass @fd over a unix socket; 0 or -1. */
static inline int zc_send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char byte = 'z';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/* The fd zc_send_fd() passed, or -1. */
static inline int zc_recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

/*
 * Touching memory that may fault: zc_touch() reads (or writes) one byte and
 * says which signal, if any, the access raised: 0, SIGBUS or SIGSEGV. The
 * handlers are installed for each touch, or once for many between
 * zc_catch_faults(1) and zc_catch_faults(0).
 */
static sigjmp_buf zc_fault_env;
static volatile sig_atomic_t zc_fault_armed;
static int zc_fault_kept;
static struct sigaction zc_old_bus, zc_old_segv;

static void zc_fault_handler(int sig)
{
	if (!zc_fault_armed) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	siglongjmp(zc_fault_env, sig);
}

static inline void zc_fault_handlers(int install)
{
	struct sigaction sa = { .sa_handler = zc_fault_handler };

	if (install) {
		sigemptyset(&sa.sa_mask);
		sigaction(SIGBUS, &sa, &zc_old_bus);
		sigaction(SIGSEGV, &sa, &zc_old_segv);
	} else {
		sigaction(SIGBUS, &zc_old_bus, NULL);
		sigaction(SIGSEGV, &zc_old_segv, NULL);
	}
}

static inline void zc_catch_faults(int on)
{
	zc_fault_kept = on;
	zc_fault_handlers(on);
}

static inline int zc_touch(volatile char *addr, int write, char val, char *out)
{
	int sig;

	if (!zc_fault_kept)
		zc_fault_handlers(1);
	/* Save the mask: the jump out of the handler must unblock its signal. */
	sig = sigsetjmp(zc_fault_env, 1);
	if (!sig) {
		zc_fault_armed = 1;
		if (write)
			*addr = val;
		else if (out)
			*out = *addr;
		else
			(void)*addr;
	}
	zc_fault_armed = 0;
	if (!zc_fault_kept)
		zc_fault_handlers(0);
	return sig;
}

/* The signal reading @addr raises (0 for none). */
static inline int zc_read_sig(const void *addr)
{
	return zc_touch((volatile char *)addr, 0, 0, NULL);
}

/* The signal writing @val to @addr raises (0 for none). */
static inline int zc_write_sig(void *addr, char val)
{
	return zc_touch((volatile char *)addr, 1, val, NULL);
}

/*
 * A byte pattern that differs per byte, per place in the window and per
 * @tag, so data from another offset, pool or test never matches.
 */
static inline unsigned char zc_pattern_byte(uint64_t offset, uint64_t i, unsigned int tag)
{
	uint64_t x = (offset + i) * 0x9e3779b97f4a7c15ULL + tag * 0xbf58476d1ce4e5b9ULL;

	x ^= x >> 29;
	return (unsigned char)(x ^ (x >> 8)) | 1;	/* never 0: zero pages never match */
}

static inline void zc_fill(void *buf, uint64_t offset, uint64_t len, unsigned int tag)
{
	unsigned char *p = buf;
	uint64_t i;

	for (i = 0; i < len; i++)
		p[i] = zc_pattern_byte(offset, i, tag);
}

/* The index of the first byte of @buf that is not the pattern, or -1. */
static inline int64_t zc_check(const void *buf, uint64_t offset, uint64_t len, unsigned int tag)
{
	const unsigned char *p = buf;
	uint64_t i;

	for (i = 0; i < len; i++)
		if (p[i] != zc_pattern_byte(offset, i, tag))
			return i;
	return -1;
}

/* The index of the first non-zero byte of @buf, or -1. */
static inline int64_t zc_check_zero(const void *buf, uint64_t len)
{
	const unsigned char *p = buf;
	uint64_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return i;
	return -1;
}

/*
 * Whether a pool serves @size at @align as a huge allocation, by the rule
 * of ZCPOOL_RUN_MAX_PAGES: a page run takes the pages of @size, or with an
 * alignment above its block's, half that alignment plus one page; a run
 * longer than ZCPOOL_RUN_MAX_PAGES, like anything above a chunk, is huge.
 */
static inline int zc_is_huge(uint64_t size, uint64_t align, uint64_t page, uint64_t chunk)
{
	uint64_t pages = (size + page - 1) / page, align_pages = align / page, block = 1;

	if (size > chunk)
		return 1;
	while (block < pages)
		block <<= 1;
	if (align_pages > 1 && block < align_pages)
		pages = align_pages / 2 + 1;
	return pages > ZCPOOL_RUN_MAX_PAGES;
}

/*
 * Read /proc/@pid/@name into @buf of @size bytes, NUL-terminated, in one
 * read(): its length, or -1 when the process is gone or the file empty.
 */
static inline ssize_t zc_read_proc(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* The value of "zcpool_<name>:" in the fdinfo of @fd, or ~0 when missing. */
static inline uint64_t zc_fdinfo(int fd, const char *name)
{
	char path[64], line[4096], key[80];
	unsigned long long val = ~0ULL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	snprintf(key, sizeof(key), "zcpool_%s:", name);
	f = fopen(path, "r");
	if (!f)
		return ~0ULL;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			val = strtoull(line + strlen(key), NULL, 0);
	fclose(f);
	return val;
}

/* Run the shrinkers, zcpool's among them: 0 or the errno. */
static inline int zc_drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return errno;
	if (write(fd, "2", 1) != 1)
		ret = errno;
	close(fd);
	return ret;
}

/*
 * The /proc/self/pagemap entry of the page at @addr, from @pagemap (that
 * file, open), without touching the page: bit 63 says whether a PTE is
 * present, bits 0-54 give its frame (0 to a task without CAP_SYS_ADMIN).
 * 0, or -1 when it cannot be read.
 */
static inline int zc_pagemap_entry(int pagemap, const void *addr, uint64_t page,
				   uint64_t *entry)
{
	off_t where = (uintptr_t)addr / page * sizeof(*entry);

	return pread(pagemap, entry, sizeof(*entry), where) == sizeof(*entry) ? 0 : -1;
}

#endif /* _ZCPOOL_UTIL_H */
