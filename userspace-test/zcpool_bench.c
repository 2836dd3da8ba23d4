// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool_bench: zcpool through /dev/zcpool against what a program would use
 * instead, timed in one run so that only ratios are read.
 *
 *   syscall  the floor: an ioctl zcpool rejects with ENOTTY (a 'Z' number it
 *            does not define) reaches the driver's dispatch and does nothing
 *            else, so no zcpool command can be cheaper; INFO (a 40-byte copy
 *            out) is shown beside it
 *   ioctl    ALLOC+FREE one by one (depth objects, then their frees), per
 *            pair; and ALLOC_BATCH+FREE_BATCH of batch entries, per entry, in a
 *            pool of their own; and the null ioctl again, timed between them,
 *            the floor their ratio is taken against
 *   cycle    allocate, mmap, write every page, munmap, free: zcpool (plain
 *            and ZERO) against the dma-buf system heap, udmabuf (memfd +
 *            UDMABUF_CREATE), memfd + mmap, and anonymous mmap
 *
 * Each figure is the median over --reps repetitions of ns per operation;
 * each repetition is calibrated to about --rep-ms milliseconds, and the
 * repetitions of the contenders of one line are interleaved so that drift
 * in the machine's speed hits them alike. Output lines are key=value:
 *   begin kernel=R reps=N rep_ms=N depth=N batch=N
 *   result workload=W cpus=1 size=N impl=NAME ns=X min=X max=X iters=N
 *   skip workload=W cpus=1 size=N impl=NAME error=-ERRNO
 *   end status=0
 * A peer the kernel lacks (no dma-buf heaps, no udmabuf) is a skip line.
 * Needs zcpool.ko loaded; runs as root (the devices are 0600).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <linux/zcpool.h>

#define MAX_REPS	31
#define MAX_ITERS	(1UL << 24)
#define MAX_IMPLS	8
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
/* A 'Z' command number zcpool does not define: its ioctl answers ENOTTY. */
#define ZCPOOL_IOC_UNDEFINED	_IO(ZCPOOL_IOC_TYPE, 0x9f)

static unsigned int reps = 5;
static unsigned int rep_ms = 20;
static const char *only_workload;	/* --only: run this workload alone (for a profile) */
static const char *only_impl;		/* --impl: run this one alone (for a profile) */
static unsigned int only_size;		/* --size: run this size alone (for a profile) */
static bool keep_tables;		/* --keep-tables: see keep_page_tables() */
static unsigned int depth = 8;
static unsigned int batch = 64;
static long page_size;

static int zc_fd = -1;
/*
 * The batches' own pool (a second open of /dev/zcpool). In the pool of the
 * single calls, whose repetitions are interleaved with theirs, the pool
 * would follow the 8 buffers of the single calls between two batch
 * repetitions and give back the spares of 64 huge buffers, for the next
 * batch to take fresh (zeroed) pages again: one workload's cost measured
 * on the other's working set.
 */
static int zc_batch_fd = -1;
static int heap_fd = -1;
static int udmabuf_fd = -1;

/* One contender: run() does iters operations, returns 0 or -errno. */
struct impl {
	const char *name;
	int (*run)(const struct impl *impl, size_t size, unsigned long iters);
	unsigned int ops_per_iter;
	uint32_t zc_flags;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* --- syscall floor -------------------------------------------------------- */

static int run_null_enotty(const struct impl *impl, size_t size, unsigned long iters)
{
	unsigned long i;

	for (i = 0; i < iters; i++) {
		if (ioctl(zc_fd, ZCPOOL_IOC_UNDEFINED, 0) != -1 || errno != ENOTTY)
			return -EPROTO;
	}
	return 0;
}

static int run_null_info(const struct impl *impl, size_t size, unsigned long iters)
{
	struct zcpool_info info;
	unsigned long i;

	for (i = 0; i < iters; i++) {
		if (ioctl(zc_fd, ZCPOOL_IOC_INFO, &info))
			return -errno;
	}
	return 0;
}

/* --- ioctl alloc/free ------------------------------------------------------- */

static int zc_alloc(size_t size, uint32_t flags, uint64_t *offset)
{
	struct zcpool_alloc req = { .size = size, .flags = flags };

	if (ioctl(zc_fd, ZCPOOL_IOC_ALLOC, &req))
		return -errno;
	*offset = req.offset;
	return 0;
}

static int zc_free(uint64_t offset)
{
	struct zcpool_free req = { .offset = offset };

	return ioctl(zc_fd, ZCPOOL_IOC_FREE, &req) ? -errno : 0;
}

static int run_ioctl_single(const struct impl *impl, size_t size, unsigned long iters)
{
	uint64_t offsets[64];
	unsigned long it;
	unsigned int i;
	int ret;

	if (depth > 64)
		return -EINVAL;
	for (it = 0; it < iters; it++) {
		for (i = 0; i < depth; i++) {
			ret = zc_alloc(size, 0, &offsets[i]);
			if (ret)
				return ret;
		}
		for (i = 0; i < depth; i++) {
			ret = zc_free(offsets[i]);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/*
 * run_ioctl_single() with another buffer of the pool mapped and touched,
 * as a zero-copy user keeps its buffers: a huge buffer's free then zaps
 * its range from the pool's mappings (unmap_mapping_range()), which it
 * skips while nothing maps the pool. The mapping is made once a run.
 */
static int run_ioctl_single_mapped(const struct impl *impl, size_t size, unsigned long iters)
{
	uint64_t offset = 0;
	char *p;
	int ret;

	ret = zc_alloc(page_size, 0, &offset);
	if (ret)
		return ret;
	p = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED, zc_fd, offset);
	if (p == MAP_FAILED) {
		ret = -errno;
		zc_free(offset);
		return ret;
	}
	*(volatile char *)p = 1;
	ret = run_ioctl_single(impl, size, iters);
	munmap(p, page_size);
	zc_free(offset);
	return ret;
}

static struct zcpool_alloc batch_items[ZCPOOL_BATCH_MAX];
static uint64_t batch_offsets[ZCPOOL_BATCH_MAX];

static int run_ioctl_batch(const struct impl *impl, size_t size, unsigned long iters)
{
	struct zcpool_alloc *items = batch_items;
	uint64_t *offsets = batch_offsets;
	struct zcpool_batch req;
	unsigned long it;
	unsigned int i;

	if (batch > ZCPOOL_BATCH_MAX)
		return -EINVAL;
	for (it = 0; it < iters; it++) {
		/* what a caller fills in anyway: part of the cost */
		for (i = 0; i < batch; i++)
			items[i] = (struct zcpool_alloc){ .size = size };
		req = (struct zcpool_batch){ .items = (uintptr_t)items, .count = batch };
		if (ioctl(zc_batch_fd, ZCPOOL_IOC_ALLOC_BATCH, &req))
			return -errno;
		if (req.done != batch)
			return req.error ? req.error : -EPROTO;
		for (i = 0; i < batch; i++)
			offsets[i] = items[i].offset;
		req = (struct zcpool_batch){ .items = (uintptr_t)offsets, .count = batch };
		if (ioctl(zc_batch_fd, ZCPOOL_IOC_FREE_BATCH, &req))
			return -errno;
		if (req.done != batch)
			return req.error ? req.error : -EPROTO;
	}
	return 0;
}

/* --- the full cycle ------------------------------------------------------------ */

/* Write one byte in every page: each page is faulted in, as a user would. */
static void touch(volatile char *p, size_t size)
{
	size_t off;

	for (off = 0; off < size; off += page_size)
		p[off] = 1;
}

static int map_touch_unmap(int fd, off_t offset, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);

	if (p == MAP_FAILED)
		return -errno;
	touch(p, size);
	return munmap(p, size) ? -errno : 0;
}

static int run_cycle_zcpool(const struct impl *impl, size_t size, unsigned long iters)
{
	uint64_t offset = 0;
	unsigned long it;
	int ret;

	for (it = 0; it < iters; it++) {
		ret = zc_alloc(size, impl->zc_flags, &offset);
		if (ret)
			return ret;
		ret = map_touch_unmap(zc_fd, offset, size);
		if (ret) {
			zc_free(offset);
			return ret;
		}
		ret = zc_free(offset);
		if (ret)
			return ret;
	}
	return 0;
}

static int run_cycle_heap(const struct impl *impl, size_t size, unsigned long iters)
{
	unsigned long it;
	int ret;

	if (heap_fd < 0)
		return -ENOENT;
	for (it = 0; it < iters; it++) {
		struct dma_heap_allocation_data req = {
			.len = size,
			.fd_flags = O_RDWR | O_CLOEXEC,
		};

		if (ioctl(heap_fd, DMA_HEAP_IOCTL_ALLOC, &req))
			return -errno;
		ret = map_touch_unmap(req.fd, 0, size);
		close(req.fd);
		if (ret)
			return ret;
	}
	return 0;
}

/* udmabuf wants a memfd sealed against shrinking. */
static int sealed_memfd(size_t size)
{
	int fd = memfd_create("zcpool_bench", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, size) || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

static int run_cycle_udmabuf(const struct impl *impl, size_t size, unsigned long iters)
{
	unsigned long it;
	int memfd, buf, ret;

	if (udmabuf_fd < 0)
		return -ENOENT;
	for (it = 0; it < iters; it++) {
		struct udmabuf_create req = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };

		memfd = sealed_memfd(size);
		if (memfd < 0)
			return memfd;
		req.memfd = memfd;
		buf = ioctl(udmabuf_fd, UDMABUF_CREATE, &req);
		if (buf < 0) {
			ret = -errno;
			close(memfd);
			return ret;
		}
		ret = map_touch_unmap(buf, 0, size);
		close(buf);
		close(memfd);
		if (ret)
			return ret;
	}
	return 0;
}

static int run_cycle_memfd(const struct impl *impl, size_t size, unsigned long iters)
{
	unsigned long it;
	int fd, ret;

	for (it = 0; it < iters; it++) {
		fd = memfd_create("zcpool_bench", MFD_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (ftruncate(fd, size)) {
			ret = -errno;
			close(fd);
			return ret;
		}
		ret = map_touch_unmap(fd, 0, size);
		close(fd);
		if (ret)
			return ret;
	}
	return 0;
}

static int run_cycle_anon(const struct impl *impl, size_t size, unsigned long iters)
{
	unsigned long it;
	void *p;

	for (it = 0; it < iters; it++) {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -errno;
		touch(p, size);
		if (munmap(p, size))
			return -errno;
	}
	return 0;
}

/* --- the harness ------------------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The median of @n sorted times: the mean of the middle two when @n is even. */
static uint64_t median(const uint64_t *sorted, unsigned int n)
{
	return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

static int time_run(const struct impl *impl, size_t size, unsigned long iters, uint64_t *ns)
{
	uint64_t start = now_ns();
	int ret = impl->run(impl, size, iters);

	*ns = now_ns() - start;
	return ret;
}

/*
 * One untimed iteration to warm up (first faults, chunks taken), then
 * double until a run takes a quarter of the target, and scale to it.
 */
static int calibrate(const struct impl *impl, size_t size, unsigned long *iters)
{
	uint64_t target = (uint64_t)rep_ms * 1000000, ns = 0;
	unsigned long n;
	int ret;

	ret = time_run(impl, size, 1, &ns);
	if (ret)
		return ret;
	for (n = 1; n < MAX_ITERS; n *= 2) {
		ret = time_run(impl, size, n, &ns);
		if (ret)
			return ret;
		if (ns >= target / 4)
			break;
	}
	if (ns)
		n = (unsigned long)((double)n * target / ns);
	*iters = n < 1 ? 1 : n > MAX_ITERS ? MAX_ITERS : n;
	return 0;
}

static void print_ns(const char *key, uint64_t ns, uint64_t ops)
{
	printf(" %s=%.1f", key, (double)ns / ops);
}

/* One line of the table: every contender at one size, reps interleaved. */
static void group(const char *workload, size_t size, const struct impl *impls, unsigned int n)
{
	uint64_t wall[MAX_IMPLS][MAX_REPS];
	unsigned long iters[MAX_IMPLS] = { 0 };
	int err[MAX_IMPLS];
	unsigned int i, r;

	if (only_size && size && size != only_size)
		return;
	for (i = 0; i < n; i++)
		err[i] = only_impl && strcmp(only_impl, impls[i].name) ? -ENOENT :
			 calibrate(&impls[i], size, &iters[i]);
	for (r = 0; r < reps; r++)
		for (i = 0; i < n; i++)
			if (!err[i])
				err[i] = time_run(&impls[i], size, iters[i], &wall[i][r]);
	for (i = 0; i < n; i++) {
		uint64_t ops = (uint64_t)iters[i] * impls[i].ops_per_iter;

		printf("%s workload=%s cpus=1 size=%zu impl=%s", err[i] ? "skip" : "result",
		       workload, size, impls[i].name);
		if (err[i]) {
			printf(" error=%d\n", err[i]);
			continue;
		}
		qsort(wall[i], reps, sizeof(wall[i][0]), cmp_u64);
		print_ns("ns", median(wall[i], reps), ops);
		print_ns("min", wall[i][0], ops);
		print_ns("max", wall[i][reps - 1], ops);
		printf(" iters=%lu\n", iters[i]);
	}
	fflush(stdout);
}

static bool wanted(const char *workload)
{
	return !only_workload || !strcmp(only_workload, workload);
}

/*
 * --keep-tables, for a profile: one page mapped (PROT_NONE) before the
 * cycles and kept. This static binary has no other mapping near where
 * mmap() puts a cycle's buffer, so each munmap() gives back the page
 * tables under it and the next cycle's first touch (or remap) allocates
 * and clears them again, for every implementation alike. The page kept
 * takes that place, the cycles map right below it and share its page
 * tables, as in a process with libraries mapped there.
 */
static int keep_page_tables(void)
{
	void *p = mmap(NULL, page_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? -errno : 0;
}

static void usage(const char *prog, int status)
{
	fprintf(status ? stderr : stdout,
		"usage: %s [--reps N] [--rep-ms MS] [--depth N] [--batch N] [--only WORKLOAD] [--impl NAME]\n"
		"       [--size BYTES] [--keep-tables]\n"
		"Times zcpool's ioctls and alloc+mmap+touch+munmap+free cycles against\n"
		"the null ioctl, the dma-buf system heap, udmabuf, memfd and anonymous\n"
		"mmap; prints key=value lines (see the top of zcpool_bench.c).\n"
		"--only runs one workload (syscall, ioctl or cycle), --impl one\n"
		"implementation (zcpool, dma-heap, ...) and --size one size, for a profile.\n"
		"--keep-tables keeps a page mapped where the cycles map, so that they\n"
		"share its page tables instead of allocating them each time.\n",
		prog);
	exit(status);
}

static unsigned int parse_uint(const char *arg, unsigned int lo, unsigned int hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || *end || end == arg || v < lo || v > hi) {
		fprintf(stderr, "zcpool_bench: %s: expected a number from %u to %u\n", arg, lo, hi);
		exit(2);
	}
	return v;
}

/*
 * Every figure is one CPU's: stay on the CPU we started on. A task that
 * moves meets the other CPU's per-CPU caches (zcpool's magazines, the
 * slab's and the page allocator's lists of the peers), and one boot's
 * 4 KiB pairs took 1.1 us in one repetition and 2.1 us in the next.
 */
static void pin_to_this_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("zcpool_bench: sched_setaffinity (figures may mix CPUs)");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reps", required_argument, NULL, 'r' },
		{ "rep-ms", required_argument, NULL, 'm' },
		{ "depth", required_argument, NULL, 'd' },
		{ "batch", required_argument, NULL, 'b' },
		{ "only", required_argument, NULL, 'o' },
		{ "impl", required_argument, NULL, 'i' },
		{ "size", required_argument, NULL, 's' },
		{ "keep-tables", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static const size_t ioctl_sizes[] = { 64, 4096, 65536, 1048576 };
	static const size_t cycle_sizes[] = { 4096, 65536, 1048576 };
	struct utsname uts;
	unsigned int i;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': reps = parse_uint(optarg, 1, MAX_REPS); break;
		case 'm': rep_ms = parse_uint(optarg, 1, 10000); break;
		case 'd': depth = parse_uint(optarg, 1, 64); break;
		case 'b': batch = parse_uint(optarg, 1, ZCPOOL_BATCH_MAX); break;
		case 'o': only_workload = optarg; break;
		case 'i': only_impl = optarg; break;
		case 's': only_size = parse_uint(optarg, 1, 1U << 30); break;
		case 'k': keep_tables = true; break;
		case 'h': usage(argv[0], 0); break;
		default: usage(argv[0], 2);
		}
	}
	if (!wanted("syscall") && !wanted("ioctl") && !wanted("cycle")) {
		fprintf(stderr, "zcpool_bench: --only %s: expected syscall, ioctl or cycle\n",
			only_workload);
		return 2;
	}
	pin_to_this_cpu();
	page_size = sysconf(_SC_PAGESIZE);
	zc_fd = open("/dev/zcpool", O_RDWR | O_CLOEXEC);
	zc_batch_fd = open("/dev/zcpool", O_RDWR | O_CLOEXEC);
	if (zc_fd < 0 || zc_batch_fd < 0) {
		perror("zcpool_bench: /dev/zcpool");
		return 1;
	}
	if (keep_tables && keep_page_tables()) {
		perror("zcpool_bench: --keep-tables");
		return 1;
	}
	heap_fd = open("/dev/dma_heap/system", O_RDWR | O_CLOEXEC);
	udmabuf_fd = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	uname(&uts);
	printf("begin kernel=%s reps=%u rep_ms=%u depth=%u batch=%u keep_tables=%d\n",
	       uts.release, reps, rep_ms, depth, batch, keep_tables);

	if (wanted("syscall")) {
		const struct impl floor[] = {
			{ .name = "null-enotty", .run = run_null_enotty, .ops_per_iter = 1 },
			{ .name = "null-info", .run = run_null_info, .ops_per_iter = 1 },
		};

		group("syscall", 0, floor, ARRAY_SIZE(floor));
	}
	for (i = 0; wanted("ioctl") && i < ARRAY_SIZE(ioctl_sizes); i++) {
		/*
		 * The floor again, its repetitions interleaved with these: the
		 * syscall line above ran before, and one boot measured it at
		 * 789 ns, another at 1515 ns while these calls kept their
		 * times. A ratio of two lines timed apart measured that drift.
		 */
		const struct impl ioctls[] = {
			{ .name = "zcpool-single", .run = run_ioctl_single, .ops_per_iter = depth },
			{ .name = "zcpool-batch", .run = run_ioctl_batch, .ops_per_iter = batch },
			{ .name = "null-enotty", .run = run_null_enotty, .ops_per_iter = 1 },
			{ .name = "zcpool-single-mapped", .run = run_ioctl_single_mapped,
			  .ops_per_iter = depth },
		};

		group("ioctl", ioctl_sizes[i], ioctls, ARRAY_SIZE(ioctls));
	}
	for (i = 0; wanted("cycle") && i < ARRAY_SIZE(cycle_sizes); i++) {
		const struct impl cycles[] = {
			{ .name = "zcpool", .run = run_cycle_zcpool, .ops_per_iter = 1 },
			{ .name = "zcpool+zero", .run = run_cycle_zcpool, .ops_per_iter = 1,
			  .zc_flags = ZCPOOL_ALLOC_ZERO },
			{ .name = "dma-heap", .run = run_cycle_heap, .ops_per_iter = 1 },
			{ .name = "udmabuf", .run = run_cycle_udmabuf, .ops_per_iter = 1 },
			{ .name = "memfd", .run = run_cycle_memfd, .ops_per_iter = 1 },
			{ .name = "anon", .run = run_cycle_anon, .ops_per_iter = 1 },
		};

		group("cycle", cycle_sizes[i], cycles, ARRAY_SIZE(cycles));
	}
	printf("end status=0\n");
	return 0;
}
