/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the randomized and fault-injection tests: a seeded PRNG, the
 * seed and op counts from the environment, one-line figures for the make
 * output, the pool ioctls as functions returning -errno, data patterns and
 * a probe that tells whether touching an address raises SIGBUS.
 *
 * Environment (every randomized test prints what it used, to replay it):
 *   ZCPOOL_SEED     the PRNG seed (decimal or 0x...); default: time and pid
 *   ZCPOOL_OPS      operations of the model-based fuzzer and the race test
 *   ZCPOOL_SECONDS  run the race test this long instead of ZCPOOL_OPS
 */
#ifndef _ZCPOOL_TESTLIB_H
#define _ZCPOOL_TESTLIB_H

#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <linux/zcpool.h>

#ifndef min_t
#define min_t(type, a, b)	((type)(a) < (type)(b) ? (type)(a) : (type)(b))
#endif

/* --- seeded PRNG (splitmix64), one state per thread or process ---------- */

struct zc_rng {
	uint64_t state;
};

static inline uint64_t zc_rng_next(struct zc_rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t zc_rng_below(struct zc_rng *r, uint64_t n)
{
	return n ? zc_rng_next(r) % n : 0;
}

/* The seed from ZCPOOL_SEED, or a fresh one; printed by the caller. */
static inline uint64_t zc_seed(void)
{
	const char *s = getenv("ZCPOOL_SEED");
	struct timespec ts;

	if (s && *s)
		return strtoull(s, NULL, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec ^
	       (uint64_t)getpid() << 32;
}

static inline unsigned long zc_env_ulong(const char *name, unsigned long dflt)
{
	const char *s = getenv(name);

	return s && *s ? strtoul(s, NULL, 0) : dflt;
}

/*
 * One line of figures for the make output: scripts/check copies every
 * "zcpool-figures: " line of the console below the test results.
 */
static inline void zc_figures(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("zcpool-figures: %s\n", line);
	fflush(stdout);
}

/*
 * Lengthen a harness test's timeout for long runs (make soak sets
 * ZCPOOL_SECONDS or a large ZCPOOL_OPS); after the harness's own
 * constructors, before main().
 */
#define ZC_SCALE_TIMEOUT(fixture, test)					\
	static void __attribute__((constructor(65535)))			\
	zc_scale_##fixture##_##test(void)				\
	{								\
		unsigned long secs = zc_env_ulong("ZCPOOL_SECONDS", 0);	\
		unsigned long ops = zc_env_ulong("ZCPOOL_OPS", 0);	\
									\
		_##fixture##_##test##_object.timeout += 2 * secs;	\
		if (ops > 1500)						\
			_##fixture##_##test##_object.timeout *= ops / 1500 + 1; \
	}

/* --- the pool ioctls, returning 0 or -errno ------------------------------- */

static inline int zc_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int zc_alloc(int fd, uint64_t size, uint64_t align, uint32_t flags,
			   uint64_t *offset)
{
	struct zcpool_alloc a = { .size = size, .align = align, .flags = flags };
	int ret = zc_ioctl(fd, ZCPOOL_IOC_ALLOC, &a);

	if (!ret)
		*offset = a.offset;
	return ret;
}

static inline int zc_free(int fd, uint64_t offset)
{
	struct zcpool_free f = { .offset = offset };

	return zc_ioctl(fd, ZCPOOL_IOC_FREE, &f);
}

static inline int zc_stats(int fd, struct zcpool_stats *st, uint64_t *class_live,
			   uint32_t nr_classes)
{
	memset(st, 0, sizeof(*st));
	st->class_live = (uintptr_t)class_live;
	st->nr_classes = nr_classes;
	return zc_ioctl(fd, ZCPOOL_IOC_STATS, st);
}

static inline int zc_limits(int fd, uint64_t max_bytes, uint32_t flags,
			    struct zcpool_limits *out)
{
	struct zcpool_limits l = { .max_bytes = max_bytes, .flags = flags };
	int ret = zc_ioctl(fd, ZCPOOL_IOC_LIMITS, &l);

	if (out)
		*out = l;
	return ret;
}

static inline int zc_info(int fd, struct zcpool_info *info)
{
	return zc_ioctl(fd, ZCPOOL_IOC_INFO, info);
}

/* --- data patterns: byte i of an allocation with tag t -------------------- */

static inline uint8_t zc_tag_pattern_byte(uint64_t tag, uint64_t i)
{
	uint64_t z = tag * 0x9e3779b97f4a7c15ULL + i;

	z ^= z >> 29;
	z *= 0xbf58476d1ce4e5b9ULL;
	return (uint8_t)(z >> 56) ^ (uint8_t)i;
}

static inline void zc_pattern_fill(uint8_t *p, uint64_t len, uint64_t tag)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		p[i] = zc_tag_pattern_byte(tag, i);
}

/* The first index in [0, len) whose byte differs from the pattern, or len. */
static inline uint64_t zc_pattern_check(const uint8_t *p, uint64_t len, uint64_t tag)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		if (p[i] != zc_tag_pattern_byte(tag, i))
			return i;
	return len;
}

/* --- does touching an address raise SIGBUS (or SIGSEGV)? ------------------ */

static sigjmp_buf zc_probe_jmp;
static volatile sig_atomic_t zc_probe_sig;

static void zc_probe_handler(int sig)
{
	zc_probe_sig = sig;
	siglongjmp(zc_probe_jmp, 1);
}

/*
 * Read (or write, when @write) one byte at @addr. Returns 0 when the access
 * worked, else the signal it raised (SIGBUS, SIGSEGV). Single-threaded use.
 */
static inline int zc_probe(volatile uint8_t *addr, int write)
{
	struct sigaction sa = { .sa_handler = zc_probe_handler }, old_bus, old_segv;
	int sig = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	zc_probe_sig = 0;
	if (sigsetjmp(zc_probe_jmp, 1) == 0) {
		if (write)
			*addr = *addr;
		else
			(void)*addr;
	} else {
		sig = zc_probe_sig;
	}
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return sig;
}

/* --- zcpool's module-wide counters (debugfs) ---------------------------------- */

#define ZC_DEBUGFS_STATS	"/sys/kernel/debug/zcpool/stats"

/* The value of one "name value" line of the debugfs stats; -1 if unreadable. */
static inline long long zc_debugfs_value(const char *name)
{
	char line[128], key[64];
	long long val, found = -1;
	FILE *f = fopen(ZC_DEBUGFS_STATS, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld", key, &val) == 2 && !strcmp(key, name))
			found = val;
	fclose(f);
	return found;
}

/* --- free memory, as the page allocator has it ------------------------------ */

/* A /proc/meminfo line's value, in bytes (0 if absent). */
static inline uint64_t zc_meminfo(const char *key)
{
	char line[128];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/meminfo", "r");
	size_t n = strlen(key);

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			sscanf(line + n + 1, "%llu", &kb);
	fclose(f);
	return kb * 1024;
}

/* The pages on the per-CPU free lists, from /proc/zoneinfo. */
static inline uint64_t zc_pcp_pages(void)
{
	char line[256];
	unsigned long long n, sum = 0;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %llu", &n) == 1)
			sum += n;
	fclose(f);
	return sum;
}

/*
 * Free memory as the page allocator has it: MemAvailable plus the pages
 * waiting on the per-CPU lists, which MemFree leaves out. Those lists can
 * hold tens of MiB after a test freed a lot (measured: 36 MiB on a 2 GiB
 * stock guest), and a chunk allocation that falls back to the slow path
 * drains them all; without them the pool's 44 MiB showed as a 19 MiB drop.
 */
static inline uint64_t zc_mem_available(uint64_t page_size, uint64_t *pcp)
{
	*pcp = zc_pcp_pages() * page_size;
	return zc_meminfo("MemAvailable") + *pcp;
}

/* --- small file helpers ----------------------------------------------------- */

/* Write a string to a file (sysfs, debugfs, procfs); 0 or -errno. */
static inline int zc_write_file(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int ret = 0;

	if (!f)
		return -errno;
	if (fputs(val, f) < 0)
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

static inline double zc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* _ZCPOOL_TESTLIB_H */
