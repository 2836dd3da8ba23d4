// SPDX-License-Identifier: GPL-2.0
/*
 * mmap of zcpool pools: what one mapping writes every other mapping of the
 * same pool reads (two mappings, fork, SCM_RIGHTS), another pool never sees
 * it, pages without a live allocation raise SIGBUS, new memory reads zero,
 * and the VMA operations (partial munmap, mremap, mprotect, madvise) keep
 * all of that true. Runs with zcpool.ko loaded.
 *
 * Every test pins itself to CPU 0, so that all its allocations come from one
 * arena and the pool's counters are exact: after the last free the pool
 * keeps one empty chunk (ZCPOOL_ARENA_EMPTY_RESERVE) if it ever had one.
 * Every test ends with the pool's counters and the global debugfs counters
 * checked against what it did.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/personality.h>
#include <sys/uio.h>
#include <time.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "zcpool_pool.h"
#include "zcpool_util.h"

/* Empty chunks an arena keeps (ZCPOOL_ARENA_EMPTY_RESERVE, mod/arena.h). */
#define EMPTY_RESERVE	1

/* Bytes of every pool window (ZCPOOL_POOL_WINDOW_BYTES, mod/pool.h). */
#define WINDOW_BYTES	(1ULL << 46)

FIXTURE(pool) {
	int fd;
	uint64_t page;		/* bytes per page */
	uint64_t chunk;		/* bytes per chunk and per window slot */
	unsigned int nr_classes;
	uint64_t window;	/* bytes of the pool window */
};

/* Shared by the fixtures: pin to CPU 0, check the baseline, open a pool. */
static void open_test_pool(struct __test_metadata *_metadata, FIXTURE_DATA(pool) *self)
{
	struct zcpool_info info;

	ASSERT_EQ(0, zc_pin_cpu0()) TH_LOG("pinning the test to CPU 0 must work");
	ASSERT_EQ(0, zc_global("pools")) TH_LOG("no pool may exist when a test starts");
	ASSERT_EQ(0, zc_global("bytes_held"))
		TH_LOG("no pool memory may be held when a test starts");
	ASSERT_EQ(0, zc_global("total_held"))
		TH_LOG("the total_max_bytes count must be 0 when a test starts");
	self->fd = zc_open();
	ASSERT_LE(0, self->fd) TH_LOG("open(%s) must work: %s", ZCPOOL_DEV, strerror(-self->fd));
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_INFO, &info));
	ASSERT_EQ(ZCPOOL_FEATURE_MMAP, info.features & ZCPOOL_FEATURE_MMAP)
		TH_LOG("the module must offer mmap");
	self->page = info.page_size;
	self->chunk = (uint64_t)info.page_size << info.chunk_order;
	self->nr_classes = zc_nr_classes(info.page_size);
	self->window = WINDOW_BYTES;
}

FIXTURE_SETUP(pool)
{
	open_test_pool(_metadata, self);
}

static void expect_global_baseline(struct __test_metadata *_metadata);

/* Every test leaves nothing behind: no pool, no memory held, module-wide. */
FIXTURE_TEARDOWN(pool)
{
	if (self->fd >= 0)
		close(self->fd);
	expect_global_baseline(_metadata);
}

static uint64_t page_down(FIXTURE_DATA(pool) *self, uint64_t off)
{
	return off & ~(self->page - 1);
}

static uint64_t page_up(FIXTURE_DATA(pool) *self, uint64_t off)
{
	return (off + self->page - 1) & ~(self->page - 1);
}

static char *map_at(int fd, uint64_t off, uint64_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, off);

	return p == MAP_FAILED ? NULL : p;
}

/* mmap's errno for a request, 0 if it worked (the mapping is undone then). */
static int map_err(int fd, uint64_t off, uint64_t len, int prot, int flags)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, len);
	return 0;
}

/* The pool's counters are exactly these (and with nothing live, every class count is 0). */
static void expect_stats(struct __test_metadata *_metadata, FIXTURE_DATA(pool) *self, int fd,
			 uint64_t live, uint64_t requested, uint64_t runs, uint64_t huge,
			 uint64_t allocs, uint64_t frees)
{
	uint64_t class_live[ZC_MAX_CLASSES];
	struct zcpool_stats st;
	unsigned int i;

	ASSERT_EQ(0, zc_stats(fd, &st, class_live));
	EXPECT_EQ(live, st.live) TH_LOG("live allocations");
	EXPECT_EQ(requested, st.bytes_requested) TH_LOG("bytes requested by live allocations");
	EXPECT_EQ(runs, st.runs_live) TH_LOG("live page runs");
	EXPECT_EQ(huge, st.huge_live) TH_LOG("live huge allocations");
	EXPECT_EQ(allocs, st.allocs) TH_LOG("allocations over the pool's life");
	EXPECT_EQ(frees, st.frees) TH_LOG("frees over the pool's life");
	EXPECT_EQ(self->nr_classes, st.nr_classes) TH_LOG("the module's count of size classes");
	if (!live)
		for (i = 0; i < self->nr_classes && i < ZC_MAX_CLASSES; i++)
			EXPECT_EQ(0, class_live[i]) TH_LOG("class %u must have no live objects", i);
}

/*
 * After the last free: nothing live, and the pool holds exactly @chunks
 * full-size chunks plus the spare huge allocations its fdinfo reports.
 */
static void expect_drained(struct __test_metadata *_metadata, FIXTURE_DATA(pool) *self, int fd,
			   uint64_t allocs, uint64_t chunks)
{
	uint64_t spare = zc_fdinfo(fd, "bytes_spare");
	struct zcpool_stats st;

	expect_stats(_metadata, self, fd, 0, 0, 0, 0, allocs, allocs);
	ASSERT_EQ(0, zc_stats(fd, &st, NULL));
	ASSERT_NE(~0ULL, spare) TH_LOG("fdinfo reports the spares");
	EXPECT_EQ(0, spare % self->page);
	EXPECT_EQ(chunks, st.chunks) TH_LOG("chunks kept after the last free");
	EXPECT_EQ(chunks * self->chunk + spare, st.bytes_held)
		TH_LOG("bytes held after the last free");
}

/* After every fd and mapping of every pool is gone: nothing is held anywhere. */
static void expect_global_baseline(struct __test_metadata *_metadata)
{
	EXPECT_EQ(0, zc_global("pools")) TH_LOG("pools left after the last fd and mapping went");
	EXPECT_EQ(0, zc_global("bytes_held"))
		TH_LOG("bytes still held after the last fd and mapping went");
	EXPECT_EQ(0, zc_global("total_held"))
		TH_LOG("the total_max_bytes count must be back to 0 too");
}

/*
 * Write a pattern through one mapping of [off, off + size) and read it back
 * through a second one; the memory must read zero before.
 */
static void roundtrip(struct __test_metadata *_metadata, FIXTURE_DATA(pool) *self,
		      uint64_t off, uint64_t size, unsigned int tag)
{
	uint64_t start = page_down(self, off);
	uint64_t len = page_up(self, off + size) - start;
	char *a = map_at(self->fd, start, len, PROT_READ | PROT_WRITE);
	char *b = map_at(self->fd, start, len, PROT_READ | PROT_WRITE);

	ASSERT_NE(NULL, a) TH_LOG("mmap of [0x%llx, +0x%llx) must work: %s",
				  (unsigned long long)start, (unsigned long long)len,
				  strerror(errno));
	ASSERT_NE(NULL, b) TH_LOG("a second mmap of the same range must work");
	ASSERT_NE(a, b);
	EXPECT_EQ(-1, zc_check_zero(a + (off - start), size))
		TH_LOG("new memory at 0x%llx (size %llu) must read zero",
		       (unsigned long long)off, (unsigned long long)size);
	zc_fill(a + (off - start), off, size, tag);
	EXPECT_EQ(-1, zc_check(b + (off - start), off, size, tag))
		TH_LOG("bytes written through one mapping at 0x%llx (size %llu) must read back through the other",
		       (unsigned long long)off, (unsigned long long)size);
	EXPECT_EQ(0, munmap(a, len));
	EXPECT_EQ(0, munmap(b, len));
}

/* Every size class: the class's own size and the smallest size rounded to it. */
TEST_F_TIMEOUT(pool, every_size_class_through_two_mappings, 120)
{
	uint64_t offs[2 * ZC_MAX_CLASSES], sizes[2 * ZC_MAX_CLASSES], requested = 0;
	uint64_t class_live[ZC_MAX_CLASSES];
	unsigned int i, n = 0, runs = 0;
	struct zcpool_stats st;

	for (i = 0; i < self->nr_classes; i++) {
		sizes[n] = zc_class_size(i);
		sizes[n + 1] = i ? zc_class_size(i - 1) + 1 : 1;
		ASSERT_EQ(0, zc_alloc(self->fd, sizes[n], 0, 0, &offs[n]))
			TH_LOG("allocating %llu bytes (class %u) must work",
			       (unsigned long long)sizes[n], i);
		ASSERT_EQ(0, zc_alloc(self->fd, sizes[n + 1], 0, 0, &offs[n + 1]));
		requested += sizes[n] + sizes[n + 1];
		runs += 2 * zc_class_is_run(i, self->page);
		n += 2;
	}
	ASSERT_EQ(0, zc_stats(self->fd, &st, class_live));
	EXPECT_EQ(n, st.live);
	EXPECT_EQ(requested, st.bytes_requested);
	EXPECT_EQ(runs, st.runs_live) TH_LOG("only classes of one element per run are page runs");
	for (i = 0; i < self->nr_classes; i++)
		EXPECT_EQ(zc_class_is_run(i, self->page) ? 0 : 2, class_live[i])
			TH_LOG("class %u (%llu bytes) must count both objects, or none as runs",
			       i, (unsigned long long)zc_class_size(i));
	for (i = 0; i < n; i++)
		roundtrip(_metadata, self, offs[i], sizes[i], i);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, zc_free(self->fd, offs[i]));
	expect_drained(_metadata, self, self->fd, n, EMPTY_RESERVE);
	close(self->fd);
	self->fd = -1;
	expect_global_baseline(_metadata);
}

/*
 * Page runs from just above the largest class to ZCPOOL_RUN_MAX_PAGES, and
 * huge sizes from there to past a chunk.
 */
TEST_F_TIMEOUT(pool, runs_and_huge_through_two_mappings, 120)
{
	const uint64_t max_small = zc_class_size(self->nr_classes - 1);
	const uint64_t max_run = ZCPOOL_RUN_MAX_PAGES * self->page;
	const uint64_t run_sizes[] = {
		max_small + 1, max_small + self->page, max_run - 1, max_run,
	};
	const uint64_t huge_sizes[] = {
		max_run + 1, self->chunk / 2 + 1, self->chunk, self->chunk + 1,
		2 * self->chunk + 3 * self->page,
	};
	uint64_t off, requested = 0, huge_pages = 0;
	struct zcpool_stats st;
	unsigned int i, allocs = 0;

	/*
	 * Each run reuses the pages of the one before, which (like malloc)
	 * keep their bytes: ZCPOOL_ALLOC_ZERO asks for zero.
	 */
	for (i = 0; i < sizeof(run_sizes) / sizeof(run_sizes[0]); i++) {
		ASSERT_EQ(0, zc_alloc(self->fd, run_sizes[i], 0, i ? ZCPOOL_ALLOC_ZERO : 0, &off));
		EXPECT_EQ(0, off % self->page) TH_LOG("page runs start on a page");
		expect_stats(_metadata, self, self->fd, 1, run_sizes[i], 1, 0, allocs + 1, allocs);
		roundtrip(_metadata, self, off, run_sizes[i], 100 + i);
		ASSERT_EQ(0, zc_free(self->fd, off));
		allocs++;
	}
	expect_drained(_metadata, self, self->fd, allocs, EMPTY_RESERVE);

	for (i = 0; i < sizeof(huge_sizes) / sizeof(huge_sizes[0]); i++) {
		ASSERT_EQ(0, zc_alloc(self->fd, huge_sizes[i], 0, 0, &off));
		EXPECT_EQ(0, off % self->chunk) TH_LOG("huge allocations start on a window slot");
		requested = huge_sizes[i];
		huge_pages = page_up(self, huge_sizes[i]);
		expect_stats(_metadata, self, self->fd, 1, requested, 0, 1, allocs + 1, allocs);
		ASSERT_EQ(0, zc_stats(self->fd, &st, NULL));
		EXPECT_EQ(EMPTY_RESERVE * self->chunk + huge_pages +
			  zc_fdinfo(self->fd, "bytes_spare"), st.bytes_held)
			TH_LOG("a huge allocation holds exactly the pages it needs");
		roundtrip(_metadata, self, off, huge_sizes[i], 200 + i);
		ASSERT_EQ(0, zc_free(self->fd, off));
		allocs++;
	}
	expect_drained(_metadata, self, self->fd, allocs, EMPTY_RESERVE);
	close(self->fd);
	self->fd = -1;
	expect_global_baseline(_metadata);
}

/* A second pool's mapping of the same window offset sees nothing of the first. */
TEST_F(pool, another_pool_does_not_see_the_data)
{
	const uint64_t size = 4 * self->page;
	uint64_t off, off_b;
	char *a, *b;
	int fd_b;

	ASSERT_EQ(0, zc_alloc(self->fd, size, 0, 0, &off));
	a = map_at(self->fd, off, size, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, a);
	zc_fill(a, off, size, 1);

	fd_b = zc_open();
	ASSERT_LE(0, fd_b);
	b = map_at(fd_b, off, size, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, b) TH_LOG("mapping a range with no allocation yet must work");
	EXPECT_EQ(SIGBUS, zc_read_sig(b))
		TH_LOG("pool B has nothing at 0x%llx: reading it must raise SIGBUS",
		       (unsigned long long)off);
	ASSERT_EQ(0, zc_alloc(fd_b, size, 0, 0, &off_b));
	EXPECT_EQ(0, munmap(b, size));
	b = map_at(fd_b, off_b, size, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, b);
	EXPECT_EQ(-1, zc_check_zero(b, size)) TH_LOG("pool B's new memory must read zero");
	zc_fill(b, off_b, size, 2);
	EXPECT_EQ(-1, zc_check(a, off, size, 1)) TH_LOG("pool B's writes must not reach pool A");

	EXPECT_EQ(0, munmap(a, size));
	EXPECT_EQ(0, munmap(b, size));
	ASSERT_EQ(0, zc_free(fd_b, off_b));
	expect_drained(_metadata, self, fd_b, 1, EMPTY_RESERVE);
	ASSERT_EQ(0, zc_free(self->fd, off));
	expect_drained(_metadata, self, self->fd, 1, EMPTY_RESERVE);
	close(fd_b);
	close(self->fd);
	self->fd = -1;
	expect_global_baseline(_metadata);
}

FIXTURE_VARIANT(bad_map) {
	uint64_t off;		/* in pages; counted back from the window's end when from_end */
	int from_end;
	uint64_t pages;
	int prot;
	int flags;
	int err;
};

/* Requests mmap must refuse, each with one thing wrong. */
FIXTURE(bad_map) {
	int fd;
	uint64_t page;
};

FIXTURE_SETUP(bad_map)
{
	self->fd = zc_open();
	ASSERT_LE(0, self->fd);
	self->page = sysconf(_SC_PAGESIZE);
}

FIXTURE_TEARDOWN(bad_map)
{
	close(self->fd);
}

FIXTURE_VARIANT_ADD(bad_map, private) {
	.off = 0, .pages = 1, .prot = PROT_READ, .flags = MAP_PRIVATE, .err = EINVAL,
};
FIXTURE_VARIANT_ADD(bad_map, private_write) {
	.off = 0, .pages = 1, .prot = PROT_READ | PROT_WRITE, .flags = MAP_PRIVATE, .err = EINVAL,
};
FIXTURE_VARIANT_ADD(bad_map, at_the_end_of_the_window) {
	.off = 0, .from_end = 1, .pages = 1, .prot = PROT_READ, .flags = MAP_SHARED, .err = EINVAL,
};
FIXTURE_VARIANT_ADD(bad_map, across_the_end_of_the_window) {
	.off = 1, .from_end = 1, .pages = 2, .prot = PROT_READ, .flags = MAP_SHARED, .err = EINVAL,
};
FIXTURE_VARIANT_ADD(bad_map, far_past_the_end) {
	.off = 1ULL << 40, .pages = 1, .prot = PROT_READ, .flags = MAP_SHARED, .err = EINVAL,
};
/* offset + length wraps around 2^64: the core refuses it before the driver. */
FIXTURE_VARIANT_ADD(bad_map, offset_plus_length_overflows) {
	.off = ~0ULL >> 12, .pages = 2, .prot = PROT_READ, .flags = MAP_SHARED, .err = EOVERFLOW,
};
FIXTURE_VARIANT_ADD(bad_map, zero_length) {
	.off = 0, .pages = 0, .prot = PROT_READ, .flags = MAP_SHARED, .err = EINVAL,
};
FIXTURE_VARIANT_ADD(bad_map, executable) {
	.off = 0, .pages = 1, .prot = PROT_READ | PROT_EXEC, .flags = MAP_SHARED, .err = EPERM,
};
FIXTURE_VARIANT_ADD(bad_map, writable_and_executable) {
	.off = 0, .pages = 1, .prot = PROT_READ | PROT_WRITE | PROT_EXEC, .flags = MAP_SHARED,
	.err = EPERM,
};

/* Lines of /proc/self/maps: one per mapping of this process. */
static int maps_lines(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int c, n = 0;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* Refused with its errno, and it left no mapping and nothing in the pool. */
TEST_F(bad_map, refused)
{
	uint64_t off = variant->off * self->page;
	struct zcpool_stats st;
	int maps;

	if (variant->from_end)
		off = WINDOW_BYTES - off;
	maps = maps_lines();
	ASSERT_LT(0, maps);
	EXPECT_EQ(variant->err, map_err(self->fd, off, variant->pages * self->page,
					variant->prot, variant->flags))
		TH_LOG("mmap(offset 0x%llx, %llu pages) must fail with %s",
		       (unsigned long long)off, (unsigned long long)variant->pages,
		       strerror(variant->err));
	EXPECT_EQ(maps, maps_lines());
	ASSERT_EQ(0, zc_stats(self->fd, &st, NULL));
	EXPECT_EQ(0, st.live);
	EXPECT_EQ(0, st.bytes_held);
}

/*
 * The VmFlags line of /proc/self/smaps for the mapping that starts at
 * @addr, with a space at each end so that " dd " finds a whole flag; 0,
 * or -1 if no such mapping.
 */
static int smaps_vm_flags(const void *addr, char *flags, size_t len)
{
	unsigned long start, end;
	char line[512];
	int in = 0, ret = -1;
	FILE *f;

	if (len < sizeof(line))
		return -1;
	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			in = start == (unsigned long)addr;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(flags, len, "%.*s ", (int)(sizeof(line) - 8), line + 8);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* A mapping is left out of core dumps and can never be made executable. */
TEST_F(pool, mapping_stays_out_of_dumps_and_never_executes)
{
	char flags[600];
	uint64_t off;
	char *p;

	ASSERT_EQ(0, zc_alloc(self->fd, self->page, 0, 0, &off));
	p = map_at(self->fd, off, self->page, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, smaps_vm_flags(p, flags, sizeof(flags)));
	EXPECT_NE(NULL, strstr(flags, " dd ")) TH_LOG("VmFlags:%s", flags);
	EXPECT_EQ(NULL, strstr(flags, " ex ")) TH_LOG("VmFlags:%s", flags);
	EXPECT_EQ(NULL, strstr(flags, " me ")) TH_LOG("VmFlags:%s", flags);
	errno = 0;
	EXPECT_EQ(-1, mprotect(p, self->page, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	ASSERT_EQ(0, smaps_vm_flags(p, flags, sizeof(flags)));
	EXPECT_EQ(NULL, strstr(flags, " ex ")) TH_LOG("VmFlags:%s", flags);
	EXPECT_EQ(0, munmap(p, self->page));
	ASSERT_EQ(0, zc_free(self->fd, off));
	expect_drained(_metadata, self, self->fd, 1, EMPTY_RESERVE);
}

/*
 * A process with READ_IMPLIES_EXEC (a legacy binary) has PROT_EXEC added
 * to its PROT_READ mappings by the kernel: it still maps the pool, and the
 * mapping still never executes. Checked in a child, which the personality
 * change does not outlive.
 */
TEST_F(pool, read_implies_exec_maps_without_exec)
{
	char flags[600];
	uint64_t off;
	int status;
	pid_t pid;
	char *p;

	ASSERT_EQ(0, zc_alloc(self->fd, self->page, 0, 0, &off));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (personality(PER_LINUX | READ_IMPLIES_EXEC) < 0)
			_exit(10);
		p = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, off);
		if (p == MAP_FAILED)
			_exit(11);
		if (smaps_vm_flags(p, flags, sizeof(flags)) || strstr(flags, " ex "))
			_exit(12);
		p[0] = 1;
		if (mprotect(p, self->page, PROT_READ))
			_exit(13);
		if (smaps_vm_flags(p, flags, sizeof(flags)) || strstr(flags, " ex "))
			_exit(14);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("10: personality, 11: mmap refused, 12: executable, 13: mprotect, 14: executable after it");
	/* Without the personality, PROT_EXEC is still refused (bad_map). */
	ASSERT_EQ(0, zc_free(self->fd, off));
}

/* The last page of the window can be mapped (and holds nothing). */
TEST_F(pool, last_page_of_the_window)
{
	char *p = map_at(self->fd, self->window - self->page, self->page, PROT_READ);

	ASSERT_NE(NULL, p) TH_LOG("the window's last page must be mappable: %s", strerror(errno));
	EXPECT_EQ(SIGBUS, zc_read_sig(p)) TH_LOG("no allocation there: SIGBUS");
	EXPECT_EQ(0, munmap(p, self->page));
	expect_drained(_metadata, self, self->fd, 0, 0);
}

TEST_F(pool, unaligned_offset_refused)
{
	uint64_t off;

	ASSERT_EQ(0, zc_alloc(self->fd, 64, 0, 0, &off));
	EXPECT_EQ(EINVAL, map_err(self->fd, page_down(self, off) + 16, self->page,
				  PROT_READ, MAP_SHARED))
		TH_LOG("an offset that is not page-aligned must be EINVAL");
	EXPECT_EQ(EINVAL, map_err(self->fd, self->page / 2, self->page, PROT_READ, MAP_SHARED));
	ASSERT_EQ(0, zc_free(self->fd, off));
	expect_drained(_metadata, self, self->fd, 1, EMPTY_RESERVE);
}

/* A pool fd opened read-only maps read-only, and mprotect cannot add write. */
TEST_F(pool, read_only_fd)
{
	int fd = open(ZCPOOL_DEV, O_RDONLY | O_CLOEXEC);
	char *p;

	ASSERT_LE(0, fd);
	EXPECT_EQ(EACCES, map_err(fd, 0, self->page, PROT_READ | PROT_WRITE, MAP_SHARED))
		TH_LOG("a writable shared mapping of a read-only fd must be EACCES");
	p = map_at(fd, 0, self->page, PROT_READ);
	ASSERT_NE(NULL, p) TH_LOG("a read-only mapping of a read-only fd must work");
	EXPECT_EQ(EACCES, mprotect(p, self->page, PROT_READ | PROT_WRITE) ? errno : 0)
		TH_LOG("mprotect must not make a read-only fd's mapping writable");
	EXPECT_EQ(0, munmap(p, self->page));
	close(fd);
}

/*
 * msync() on a pool mapping succeeds and keeps the data: the memory has no
 * backing store to write to, and portable code that syncs every shared
 * mapping must not fail on it (without an fsync the VFS said EINVAL).
 */
TEST_F(pool, msync_succeeds_and_keeps_the_data)
{
	const uint64_t size = 2 * self->page;
	uint64_t off;
	char *p;

	ASSERT_EQ(0, zc_alloc(self->fd, size, 0, 0, &off));
	p = map_at(self->fd, off, size, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, p);
	zc_fill(p, off, size, 5);
	EXPECT_EQ(0, msync(p, size, MS_SYNC) ? errno : 0);
	EXPECT_EQ(0, msync(p, size, MS_ASYNC) ? errno : 0);
	EXPECT_EQ(0, msync(p, size, MS_SYNC | MS_INVALIDATE) ? errno : 0);
	EXPECT_EQ(-1, zc_check(p, off, size, 5)) TH_LOG("msync must not change the data");
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, zc_free(self->fd, off));
}

TEST_F(pool, mprotect)
{
	const uint64_t size = 2 * self->page;
	uint64_t off;
	char *p, *q;

	ASSERT_EQ(0, zc_alloc(self->fd, size, 0, 0, &off));
	p = map_at(self->fd, off, size, PROT_READ);
	q = map_at(self->fd, off, size, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, q);
	EXPECT_EQ(0, zc_read_sig(p)) TH_LOG("a read-only mapping of a live run must read");
	EXPECT_EQ(SIGSEGV, zc_write_sig(p, 1)) TH_LOG("writing a PROT_READ mapping must SIGSEGV");
	ASSERT_EQ(0, mprotect(p, size, PROT_READ | PROT_WRITE));
	zc_fill(p, off, size, 3);
	EXPECT_EQ(-1, zc_check(q, off, size, 3)) TH_LOG("writes after mprotect must be shared");
	ASSERT_EQ(0, mprotect(p + self->page, self->page, PROT_NONE));
	EXPECT_EQ(SIGSEGV, zc_read_sig(p + self->page)) TH_LOG("PROT_NONE must SIGSEGV");
	EXPECT_EQ(0, zc_read_sig(p)) TH_LOG("the other half keeps its protection");
	ASSERT_EQ(0, mprotect(p + self->page, self->page, PROT_READ));
	EXPECT_EQ(-1, zc_check(p, off, size, 3)) TH_LOG("the data survives mprotect");
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, munmap(q, size));
	ASSERT_EQ(0, zc_free(self->fd, off));
	expect_drained(_metadata, self, self->fd, 1, EMPTY_RESERVE);
}

/* Unmapping the head, the tail and the middle leaves the rest working. */
TEST_F(pool, partial_munmap)
{
	const uint64_t pages = 8, size = pages * self->page;
	uint64_t off, i;
	char *p, *q;

	ASSERT_EQ(0, zc_alloc(self->fd, size, 0, 0, &off));
	p = map_at(self->fd, off, size, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, p);
	zc_fill(p, off, size, 4);
	ASSERT_EQ(0, munmap(p, self->page));				/* head */
	ASSERT_EQ(0, munmap(p + 7 * self->page, self->page));		/* tail */
	ASSERT_EQ(0, munmap(p + 3 * self->page, 2 * self->page));	/* middle */
	for (i = 0; i < pages; i++) {
		int gone = i == 0 || i == 7 || i == 3 || i == 4;

		EXPECT_EQ(gone ? SIGSEGV : 0, zc_read_sig(p + i * self->page))
			TH_LOG("page %llu must be %s", (unsigned long long)i,
			       gone ? "unmapped" : "still mapped");
		if (!gone)
			EXPECT_EQ(-1, zc_check(p + i * self->page, off + i * self->page,
					       self->page, 4))
				TH_LOG("page %llu must keep its data", (unsigned long long)i);
	}
	/* Writes through what is left are seen by a new mapping. */
	zc_fill(p + 5 * self->page, off + 5 * self->page, self->page, 5);
	q = map_at(self->fd, off, size, PROT_READ);
	ASSERT_NE(NULL, q);
	EXPECT_EQ(-1, zc_check(q + 5 * self->page, off + 5 * self->page, self->page, 5));
	EXPECT_EQ(-1, zc_check(q, off, self->page, 4)) TH_LOG("unmapping must not touch the data");
	EXPECT_EQ(0, munmap(q, size));

	/* The fragments keep the pool alive after the fd is closed. */
	ASSERT_EQ(0, zc_free(self->fd, off));
	expect_drained(_metadata, self, self->fd, 1, EMPTY_RESERVE);
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(1, zc_global("pools")) TH_LOG("the mapping fragments hold the pool");
	EXPECT_EQ(0, munmap(p + self->page, 2 * self->page));
	EXPECT_EQ(1, zc_global("pools")) TH_LOG("one fragment still holds the pool");
	EXPECT_EQ(0, munmap(p + 5 * self->page, 2 * self->page));
	expect_global_baseline(_metadata);
}

TEST_F(pool, mremap_shrink_and_move)
{
	const uint64_t size = 4 * self->page;
	uint64_t off;
	char *p, *q, *r;

	ASSERT_EQ(0, zc_alloc(self->fd, size, 0, 0, &off));
	p = map_at(self->fd, off, size, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, p);
	zc_fill(p, off, size, 6);

	q = mremap(p, size, 2 * self->page, 0);
	ASSERT_EQ(p, q) TH_LOG("shrinking in place must work: %s", strerror(errno));
	EXPECT_EQ(-1, zc_check(q, off, 2 * self->page, 6));
	EXPECT_EQ(SIGSEGV, zc_read_sig(p + 2 * self->page)) TH_LOG("the cut-off part is unmapped");

	/* Move to a place reserved for it. */
	r = mmap(NULL, 2 * self->page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	q = mremap(p, 2 * self->page, 2 * self->page, MREMAP_MAYMOVE | MREMAP_FIXED, r);
	ASSERT_EQ(r, q) TH_LOG("moving the mapping must work: %s", strerror(errno));
	EXPECT_EQ(SIGSEGV, zc_read_sig(p)) TH_LOG("the old address is unmapped after the move");
	EXPECT_EQ(-1, zc_check(q, off, 2 * self->page, 6)) TH_LOG("the data moves with the mapping");
	zc_fill(q, off, 2 * self->page, 7);
	p = map_at(self->fd, off, 2 * self->page, PROT_READ);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(-1, zc_check(p, off, 2 * self->page, 7)) TH_LOG("the moved mapping still shares");
	EXPECT_EQ(0, munmap(p, 2 * self->page));
	EXPECT_EQ(0, munmap(q, 2 * self->page));
	ASSERT_EQ(0, zc_free(self->fd, off));
	expect_drained(_metadata, self, self->fd, 1, EMPTY_RESERVE);
	close(self->fd);
	self->fd = -1;
	expect_global_baseline(_metadata);
}

/*
 * Growing a mapping is refused (VM_DONTEXPAND): a mapping never reaches
 * past the range mmap() checked. The mapping stays as it was.
 */
TEST_F(pool, mremap_grow_refused)
{
	const uint64_t size = 4 * self->page;
	uint64_t off;
	char *p, *q;

	ASSERT_EQ(0, zc_alloc(self->fd, size, 0, 0, &off));
	/* Map into the head of a reserved range, so nothing else follows it. */
	p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	q = mmap(p, 2 * self->page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, self->fd, off);
	ASSERT_EQ(p, q);
	zc_fill(p, off, 2 * self->page, 8);
	q = mremap(p, 2 * self->page, size, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, q) TH_LOG("growing a pool mapping must be refused");
	EXPECT_EQ(EFAULT, errno) TH_LOG("mremap refuses to grow a VM_DONTEXPAND mapping with EFAULT");
	ASSERT_EQ(0, munmap(p + 2 * self->page, 2 * self->page));
	q = mremap(p, 2 * self->page, size, 0);
	EXPECT_EQ(MAP_FAILED, q) TH_LOG("growing in place, with room to grow, must be refused too");
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, zc_check(p, off, 2 * self->page, 8)) TH_LOG("the mapping is unchanged");
	EXPECT_EQ(SIGSEGV, zc_read_sig(p + 2 * self->page)) TH_LOG("and no larger");
	EXPECT_EQ(0, munmap(p, 2 * self->page));
	ASSERT_EQ(0, zc_free(self->fd, off));
	expect_drained(_metadata, self, self->fd, 1, EMPTY_RESERVE);
}

/* MADV_DONTNEED drops the page table entries; the next access maps the same pages. */
TEST_F(pool, madvise_dontneed_then_refault)
{
	const uint64_t size = 3 * self->page;
	uint64_t off;
	char *p;

	ASSERT_EQ(0, zc_alloc(self->fd, size, 0, 0, &off));
	p = map_at(self->fd, off, size, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, p);
	zc_fill(p, off, size, 9);
	ASSERT_EQ(0, madvise(p, size, MADV_DONTNEED));
	EXPECT_EQ(-1, zc_check(p, off, size, 9)) TH_LOG("shared pool memory survives MADV_DONTNEED");
	/* Freed and dropped: the next fault finds no live allocation. */
	ASSERT_EQ(0, zc_free(self->fd, off));
	ASSERT_EQ(0, madvise(p, size, MADV_DONTNEED));
	EXPECT_EQ(SIGBUS, zc_read_sig(p)) TH_LOG("a re-fault after the free must raise SIGBUS");
	EXPECT_EQ(SIGBUS, zc_read_sig(p + 2 * self->page));
	EXPECT_EQ(0, munmap(p, size));
	expect_drained(_metadata, self, self->fd, 1, EMPTY_RESERVE);
}

/* The mapping exists before fork: the child writes, the parent reads. */
TEST_F(pool, fork_after_map)
{
	const uint64_t size = 5 * self->page + 100;
	uint64_t off, len;
	int status;
	pid_t pid;
	char *p;

	ASSERT_EQ(0, zc_alloc(self->fd, size, 0, 0, &off));
	len = page_up(self, size);
	p = map_at(self->fd, off, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, p);
	zc_fill(p, off, size, 10);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (zc_check(p, off, size, 10) != -1)
			_exit(2);
		zc_fill(p, off, size, 11);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the child must see the parent's data (status 0x%x)", status);
	EXPECT_EQ(-1, zc_check(p, off, size, 11)) TH_LOG("the parent must see the child's writes");
	EXPECT_EQ(0, munmap(p, len));
	ASSERT_EQ(0, zc_free(self->fd, off));
	expect_drained(_metadata, self, self->fd, 1, EMPTY_RESERVE);
	close(self->fd);
	self->fd = -1;
	expect_global_baseline(_metadata);
}

/*
 * fork first: the child allocates in the shared pool and maps, the parent
 * maps the child's allocation and reads it; the child frees it at the end.
 */
TEST_F(pool, fork_before_map)
{
	const uint64_t size = 2 * self->page;
	int to_parent[2], to_child[2], status;
	uint64_t off;
	pid_t pid;
	char *p, c;

	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (zc_alloc(self->fd, size, 0, 0, &off))
			_exit(2);
		p = map_at(self->fd, off, size, PROT_READ | PROT_WRITE);
		if (!p)
			_exit(3);
		zc_fill(p, off, size, 12);
		if (write(to_parent[1], &off, sizeof(off)) != sizeof(off))
			_exit(4);
		if (read(to_child[0], &c, 1) != 1)	/* the parent wrote its part */
			_exit(5);
		if (zc_check(p + self->page, off + self->page, self->page, 13) != -1)
			_exit(6);
		_exit(zc_free(self->fd, off) ? 7 : 0);
	}
	ASSERT_EQ(sizeof(off), read(to_parent[0], &off, sizeof(off)));
	p = map_at(self->fd, off, size, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(-1, zc_check(p, off, self->page, 12)) TH_LOG("the parent must see the child's data");
	zc_fill(p + self->page, off + self->page, self->page, 13);
	ASSERT_EQ(1, write(to_child[1], "w", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the child must see the parent's writes and free (status 0x%x)", status);
	EXPECT_EQ(0, munmap(p, size));
	expect_drained(_metadata, self, self->fd, 1, EMPTY_RESERVE);
	close(self->fd);
	self->fd = -1;
	expect_global_baseline(_metadata);
}

/* A process that never opened the device gets the pool over a unix socket. */
TEST_F(pool, scm_rights_to_another_process)
{
	const uint64_t size = 3 * self->page;
	int sv[2], status, fd;
	uint64_t off;
	pid_t pid;
	char *p;

	/* The child is forked before it could inherit anything of the pool. */
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(sv[0]);
		fd = zc_recv_fd(sv[1]);
		if (fd < 0)
			_exit(2);
		if (read(sv[1], &off, sizeof(off)) != sizeof(off))
			_exit(3);
		p = map_at(fd, off, size, PROT_READ | PROT_WRITE);
		if (!p)
			_exit(4);
		if (zc_check(p, off, size, 14) != -1)
			_exit(5);
		zc_fill(p + self->page, off + self->page, self->page, 15);
		_exit(0);
	}
	close(sv[1]);
	self->fd = zc_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, zc_alloc(self->fd, size, 0, 0, &off));
	p = map_at(self->fd, off, size, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, p);
	zc_fill(p, off, size, 14);
	ASSERT_EQ(0, zc_send_fd(sv[0], self->fd));
	ASSERT_EQ(sizeof(off), write(sv[0], &off, sizeof(off)));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the receiver must map the passed fd and read the same bytes (status 0x%x)",
		       status);
	EXPECT_EQ(-1, zc_check(p, off, self->page, 14));
	EXPECT_EQ(-1, zc_check(p + self->page, off + self->page, self->page, 15))
		TH_LOG("the sender must see the receiver's writes");
	close(sv[0]);
	EXPECT_EQ(0, munmap(p, size));
	ASSERT_EQ(0, zc_free(self->fd, off));
	expect_drained(_metadata, self, self->fd, 1, EMPTY_RESERVE);
	close(self->fd);
	self->fd = -1;
	expect_global_baseline(_metadata);
}

/* Pages with no live allocation raise SIGBUS, wherever they are. */
TEST_F(pool, sigbus_without_a_live_allocation)
{
	uint64_t run, small, far = 1ULL << 40;
	char *p;

	ASSERT_EQ(0, zc_alloc(self->fd, self->page, 0, 0, &run));
	ASSERT_EQ(0, zc_alloc(self->fd, 16, 0, 0, &small));
	ASSERT_EQ(0, run % self->chunk) TH_LOG("a fresh pool's first run starts its first chunk");
	p = map_at(self->fd, run, self->chunk, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, zc_write_sig(p, 1)) TH_LOG("the live run must be writable");
	EXPECT_EQ(SIGBUS, zc_read_sig(p + self->chunk - self->page))
		TH_LOG("a free page inside a chunk must raise SIGBUS on read");
	EXPECT_EQ(SIGBUS, zc_write_sig(p + self->chunk - self->page, 1))
		TH_LOG("and on write");
	EXPECT_EQ(0, zc_read_sig(p + (page_down(self, small) - run)))
		TH_LOG("the page of a live 16-byte object maps");
	EXPECT_EQ(0, munmap(p, self->chunk));

	p = map_at(self->fd, run + self->chunk, self->page, PROT_READ);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(SIGBUS, zc_read_sig(p)) TH_LOG("a window slot without a chunk raises SIGBUS");
	EXPECT_EQ(0, munmap(p, self->page));
	p = map_at(self->fd, far, self->page, PROT_READ);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(SIGBUS, zc_read_sig(p)) TH_LOG("1 TiB into the window: SIGBUS");
	EXPECT_EQ(0, munmap(p, self->page));

	/* A fresh mapping of freed memory finds nothing. */
	ASSERT_EQ(0, zc_free(self->fd, run));
	ASSERT_EQ(0, zc_free(self->fd, small));
	p = map_at(self->fd, run, self->page, PROT_READ);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(SIGBUS, zc_read_sig(p)) TH_LOG("a freed run must raise SIGBUS when faulted");
	EXPECT_EQ(0, munmap(p, self->page));
	p = map_at(self->fd, page_down(self, small), self->page, PROT_READ);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(SIGBUS, zc_read_sig(p)) TH_LOG("a page whose objects are all freed raises SIGBUS");
	EXPECT_EQ(0, munmap(p, self->page));
	expect_drained(_metadata, self, self->fd, 2, EMPTY_RESERVE);
}

/* The tail of a huge allocation's last slot holds no pages: SIGBUS there. */
TEST_F(pool, sigbus_past_a_huge_allocation)
{
	const uint64_t size = self->chunk + 2 * self->page;
	uint64_t off;
	char *p;

	ASSERT_EQ(0, zc_alloc(self->fd, size, 0, 0, &off));
	p = map_at(self->fd, off, 2 * self->chunk, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, zc_write_sig(p + size - 1, 1)) TH_LOG("the huge allocation's last byte");
	EXPECT_EQ(SIGBUS, zc_read_sig(p + size)) TH_LOG("the page after it must raise SIGBUS");
	EXPECT_EQ(SIGBUS, zc_read_sig(p + 2 * self->chunk - 1));
	/* Freeing a huge allocation gives its pages back: they are zapped first. */
	ASSERT_EQ(0, zc_free(self->fd, off));
	EXPECT_EQ(SIGBUS, zc_read_sig(p)) TH_LOG("a freed huge allocation's pages must be unmapped");
	EXPECT_EQ(SIGBUS, zc_read_sig(p + size - 1));
	EXPECT_EQ(0, munmap(p, 2 * self->chunk));
	expect_drained(_metadata, self, self->fd, 1, 0);
}

/* With ZCPOOL_POOL_ZAP_ON_FREE a free unmaps what it freed at once. */
TEST_F(pool, zap_on_free)
{
	struct zcpool_limits lim;
	uint64_t run, a, b;
	char *p, *q;

	ASSERT_EQ(0, zc_limits(self->fd, 0, ZCPOOL_POOL_ZAP_ON_FREE, &lim));
	EXPECT_EQ(ZCPOOL_POOL_ZAP_ON_FREE, lim.flags) TH_LOG("the flag must be reported set");
	ASSERT_EQ(0, zc_alloc(self->fd, 2 * self->page, 0, 0, &run));
	p = map_at(self->fd, run, 2 * self->page, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, p);
	zc_fill(p, run, 2 * self->page, 16);
	ASSERT_EQ(0, zc_free(self->fd, run));
	EXPECT_EQ(SIGBUS, zc_read_sig(p)) TH_LOG("a freed run must be unmapped at once");
	EXPECT_EQ(SIGBUS, zc_read_sig(p + self->page));
	EXPECT_EQ(0, munmap(p, 2 * self->page));

	/* Two objects on one page: freeing one leaves the other reachable. */
	ASSERT_EQ(0, zc_alloc(self->fd, 64, 0, 0, &a));
	ASSERT_EQ(0, zc_alloc(self->fd, 64, 0, 0, &b));
	ASSERT_EQ(page_down(self, a), page_down(self, b)) TH_LOG("both objects share a page");
	q = map_at(self->fd, page_down(self, a), self->page, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, q);
	zc_fill(q + (b - page_down(self, b)), b, 64, 17);
	ASSERT_EQ(0, zc_free(self->fd, a));
	EXPECT_EQ(0, zc_read_sig(q + (b - page_down(self, b))))
		TH_LOG("the page still holds a live object");
	EXPECT_EQ(-1, zc_check(q + (b - page_down(self, b)), b, 64, 17));
	ASSERT_EQ(0, zc_free(self->fd, b));
	EXPECT_EQ(SIGBUS, zc_read_sig(q)) TH_LOG("the last object's free unmaps the page");
	EXPECT_EQ(0, munmap(q, self->page));
	expect_drained(_metadata, self, self->fd, 3, EMPTY_RESERVE);
	ASSERT_EQ(0, zc_limits(self->fd, 0, 0, &lim));
	EXPECT_EQ(ZCPOOL_POOL_ZAP_ON_FREE, lim.flags) TH_LOG("pool flags cannot be cleared");
}

/*
 * ZAP_ON_FREE unmaps every page the allocation held, not only those of
 * the bytes asked for: a page aligned to 8 pages takes a run of 5, a
 * mapping of it faults all 5 in, and each must fault again after the
 * free, by FREE and by FREE_BATCH alike.
 */
TEST_F(pool, zap_on_free_covers_every_page_held)
{
	const uint64_t held = 5 * self->page;
	struct zcpool_limits lim;
	struct zcpool_batch batch;
	uint64_t off;
	unsigned int by_batch;
	char *p;

	ASSERT_EQ(0, zc_limits(self->fd, 0, ZCPOOL_POOL_ZAP_ON_FREE, &lim));
	for (by_batch = 0; by_batch < 2; by_batch++) {
		ASSERT_EQ(0, zc_alloc(self->fd, self->page, 8 * self->page, 0, &off));
		p = map_at(self->fd, off, held, PROT_READ | PROT_WRITE);
		ASSERT_NE(NULL, p);
		zc_fill(p, off, held, 30 + by_batch);
		if (by_batch) {
			memset(&batch, 0, sizeof(batch));
			batch.items = (uintptr_t)&off;
			batch.count = 1;
			ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_FREE_BATCH, &batch));
			ASSERT_EQ(1, batch.done);
		} else {
			ASSERT_EQ(0, zc_free(self->fd, off));
		}
		EXPECT_EQ(SIGBUS, zc_read_sig(p)) TH_LOG("batch %u: the first page", by_batch);
		EXPECT_EQ(SIGBUS, zc_read_sig(p + held - 1))
			TH_LOG("batch %u: the run's last page, past the size asked for", by_batch);
		EXPECT_EQ(0, munmap(p, held));
	}
	expect_drained(_metadata, self, self->fd, 2, EMPTY_RESERVE);
}

/*
 * A zap reaches every process's mapping of the pool: a forked child and a
 * receiver of the fd each map and read the run; the parent frees it with
 * ZAP_ON_FREE; both then fault on it (SIGBUS).
 */
TEST_F(pool, zap_reaches_every_process)
{
	const uint64_t size = 2 * self->page;
	int go[2], done[2], sv[2], status, fd, n;
	pid_t pids[2];
	uint64_t off;
	char *p, c;

	ASSERT_EQ(0, zc_limits(self->fd, 0, ZCPOOL_POOL_ZAP_ON_FREE, NULL));
	ASSERT_EQ(0, zc_alloc(self->fd, size, 0, 0, &off));
	p = map_at(self->fd, off, size, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, p);
	zc_fill(p, off, size, 21);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	for (n = 0; n < 2; n++) {
		pids[n] = fork();
		ASSERT_LE(0, pids[n]);
		if (pids[n])
			continue;
		/* Child 0 inherits the mapping; child 1 maps the fd it receives. */
		if (n == 1) {
			munmap(p, size);
			fd = zc_recv_fd(sv[1]);
			p = fd < 0 ? NULL : map_at(fd, off, size, PROT_READ);
			if (!p)
				_exit(2);
		}
		if (zc_check(p, off, size, 21) != -1)
			_exit(3);
		if (write(done[1], "m", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(4);
		_exit(zc_read_sig(p) == SIGBUS && zc_read_sig(p + self->page) == SIGBUS ? 0 : 5);
	}
	ASSERT_EQ(0, zc_send_fd(sv[0], self->fd));
	for (n = 0; n < 2; n++)
		ASSERT_EQ(1, read(done[0], &c, 1)) TH_LOG("both children must map and read the run");
	ASSERT_EQ(0, zc_free(self->fd, off));
	ASSERT_EQ(2, write(go[1], "gg", 2));
	for (n = 0; n < 2; n++) {
		ASSERT_EQ(pids[n], waitpid(pids[n], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("child %d (%s) must fault on the freed run after the zap (status 0x%x)",
			       n, n ? "fd received" : "forked mapping", status);
	}
	EXPECT_EQ(SIGBUS, zc_read_sig(p)) TH_LOG("and so must the parent");
	close(sv[0]);
	close(sv[1]);
	EXPECT_EQ(0, munmap(p, size));
	expect_drained(_metadata, self, self->fd, 1, EMPTY_RESERVE);
}

/*
 * Pool A writes everywhere, frees, closes and unmaps; pool B's new memory
 * (chunks, runs and a huge allocation) reads zero.
 */
TEST_F_TIMEOUT(pool, new_memory_reads_zero_across_pools, 120)
{
	const uint64_t sizes[] = { ZCPOOL_RUN_MAX_PAGES * self->page,
				   ZCPOOL_RUN_MAX_PAGES * self->page, self->chunk + 5 * self->page };
	uint64_t off[3], len[3];
	unsigned int i, round;
	int fd;
	char *p[3];

	for (round = 0; round < 2; round++) {
		fd = round ? self->fd : zc_open();
		ASSERT_LE(0, fd);
		for (i = 0; i < 3; i++) {
			ASSERT_EQ(0, zc_alloc(fd, sizes[i], 0, 0, &off[i]));
			len[i] = page_up(self, sizes[i]);
			p[i] = map_at(fd, off[i], len[i], PROT_READ | PROT_WRITE);
			ASSERT_NE(NULL, p[i]);
			EXPECT_EQ(-1, zc_check_zero(p[i], sizes[i]))
				TH_LOG("pool %c: new memory of %llu bytes must read zero",
				       round ? 'B' : 'A', (unsigned long long)sizes[i]);
			memset(p[i], 0xa5, sizes[i]);
		}
		for (i = 0; i < 3; i++) {
			ASSERT_EQ(0, zc_free(fd, off[i]));
			EXPECT_EQ(0, munmap(p[i], len[i]));
		}
		expect_drained(_metadata, self, fd, 3, EMPTY_RESERVE);
		close(fd);
	}
	self->fd = -1;
	expect_global_baseline(_metadata);
}

/* Reused memory within a pool is like malloc, unless ZCPOOL_ALLOC_ZERO asks. */
TEST_F(pool, alloc_zero_clears_reused_memory)
{
	const uint64_t sizes[] = { 48, 3000, 3 * self->page };
	uint64_t off, off2, start, len;
	unsigned int i;
	char *p;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, zc_alloc(self->fd, sizes[i], 0, 0, &off));
		start = page_down(self, off);
		len = page_up(self, off + sizes[i]) - start;
		p = map_at(self->fd, start, len, PROT_READ | PROT_WRITE);
		ASSERT_NE(NULL, p);
		memset(p + (off - start), 0x5a, sizes[i]);
		ASSERT_EQ(0, zc_free(self->fd, off));
		ASSERT_EQ(0, zc_alloc(self->fd, sizes[i], 0, ZCPOOL_ALLOC_ZERO, &off2));
		ASSERT_EQ(off, off2) TH_LOG("the freed place is reused first");
		EXPECT_EQ(-1, zc_check_zero(p + (off - start), sizes[i]))
			TH_LOG("ZCPOOL_ALLOC_ZERO must clear %llu reused bytes",
			       (unsigned long long)sizes[i]);
		ASSERT_EQ(0, zc_free(self->fd, off2));
		EXPECT_EQ(0, munmap(p, len));
	}
	expect_drained(_metadata, self, self->fd, 6, EMPTY_RESERVE);
}

/*
 * A fault maps a small element's page whole, so the caller can write over
 * the elements around it that were never handed out, in its CPU's
 * magazine or still in the arena: ZCPOOL_ALLOC_ZERO clears those too.
 */
TEST_F(pool, alloc_zero_clears_neighbours_written_through_a_mapping)
{
	uint64_t off, off2, start;
	unsigned int i, on_page = 0;
	char *p;

	ASSERT_EQ(0, zc_alloc(self->fd, 64, 0, 0, &off));
	start = page_down(self, off);
	p = map_at(self->fd, start, self->page, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, p);
	memset(p, 0x5a, self->page);
	for (i = 1; i < self->page / 64; i++) {
		ASSERT_EQ(0, zc_alloc(self->fd, 64, 0, ZCPOOL_ALLOC_ZERO, &off2));
		if (page_down(self, off2) != start)
			continue;
		on_page++;
		EXPECT_EQ(-1, zc_check_zero(p + (off2 - start), 64))
			TH_LOG("element %u of the mapped page (offset %llu) kept the bytes written there",
			       on_page, (unsigned long long)off2);
	}
	/* More than a magazine's refill: some came from the arena. */
	EXPECT_LT(16, on_page);
	EXPECT_EQ(0, munmap(p, self->page));
}

/* Bytes of a page's marker: the pool's pattern at the start of every page. */
#define MARK	64

static void mark_pages(FIXTURE_DATA(pool) *self, char *p, uint64_t off, uint64_t len,
		       unsigned int tag)
{
	uint64_t i;

	for (i = 0; i < len; i += self->page)
		zc_fill(p + i, off + i, MARK, tag);
}

/*
 * Each page of a stale mapping is gone (SIGBUS), all zero, or exactly what
 * its own pool wrote there (the marker, then zero); never anything else.
 */
static void expect_only_own_or_nothing(struct __test_metadata *_metadata, FIXTURE_DATA(pool) *self,
				       char *p, uint64_t off, uint64_t len, unsigned int tag)
{
	uint64_t i, bad = 0, gone = 0, own = 0;

	zc_catch_faults(1);
	for (i = 0; i < len; i += self->page) {
		if (zc_read_sig(p + i)) {
			gone++;
			continue;
		}
		if (zc_check_zero(p + i, self->page) == -1)
			continue;
		if (zc_check(p + i, off + i, MARK, tag) == -1 &&
		    zc_check_zero(p + i + MARK, self->page - MARK) == -1) {
			own++;
			continue;
		}
		bad++;
	}
	zc_catch_faults(0);
	EXPECT_EQ(0, bad) TH_LOG("%llu of %llu stale pages at 0x%llx show bytes that are neither the pool's own nor zero (%llu own, %llu gone)",
				 (unsigned long long)bad, (unsigned long long)(len / self->page),
				 (unsigned long long)off, (unsigned long long)own,
				 (unsigned long long)gone);
}

/*
 * Pool A frees while its mappings stay; its memory goes back to the kernel
 * (the shrinker takes its chunk with the cached runs, and the spare huge
 * allocation, which its free zapped already); pool B takes and marks as
 * much memory. A's stale mappings never show B's data. Markers (one per
 * page) keep it quick under TCG. (Whether B gets A's very pages depends on
 * the page allocator's per-CPU lists: infoleak_test frees enough for it
 * to, and counts them by frame.)
 */
TEST_F_TIMEOUT(pool, freed_but_mapped_never_shows_another_pool, 120)
{
	const uint64_t sizes[] = { 5 * self->page, ZCPOOL_RUN_MAX_PAGES * self->page,
				   self->chunk + self->page };
	uint64_t off[3], offb[3], len[3];
	unsigned int i;
	char *p[3], *q;
	int fd_b;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, zc_alloc(self->fd, sizes[i], 0, 0, &off[i]));
		len[i] = page_up(self, sizes[i]);
		p[i] = map_at(self->fd, off[i], len[i], PROT_READ | PROT_WRITE);
		ASSERT_NE(NULL, p[i]);
		mark_pages(self, p[i], off[i], len[i], 18);
	}
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, zc_free(self->fd, off[i]));
	ASSERT_EQ(0, zc_drop_caches());
	expect_drained(_metadata, self, self->fd, 3, 0);
	EXPECT_EQ(0, zc_global("bytes_held"))
		TH_LOG("A's chunk, cached runs and spare huge allocations went back");

	fd_b = zc_open();
	ASSERT_LE(0, fd_b);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, zc_alloc(fd_b, sizes[i], 0, 0, &offb[i]));
		q = map_at(fd_b, offb[i], len[i], PROT_READ | PROT_WRITE);
		ASSERT_NE(NULL, q);
		EXPECT_EQ(-1, zc_check_zero(q, sizes[i])) TH_LOG("B's new memory reads zero");
		mark_pages(self, q, offb[i], len[i], 19);
		EXPECT_EQ(0, munmap(q, len[i]));
	}
	for (i = 0; i < 3; i++)
		expect_only_own_or_nothing(_metadata, self, p[i], off[i], len[i], 18);
	EXPECT_EQ(SIGBUS, zc_read_sig(p[2])) TH_LOG("A's freed huge allocation is unmapped");
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, zc_free(fd_b, offb[i]));
		EXPECT_EQ(0, munmap(p[i], len[i]));
	}
	expect_drained(_metadata, self, fd_b, 3, EMPTY_RESERVE);
	close(fd_b);
	close(self->fd);
	self->fd = -1;
	expect_global_baseline(_metadata);
}

/*
 * get_user_pages works on pool memory: /proc/self/mem reads and writes it
 * through get_user_pages_remote(), vmsplice() pins its pages into a pipe;
 * write() to a pipe copies from it. A page with no live allocation cannot
 * be pinned: EFAULT.
 */
TEST_F(pool, gup_proc_mem_and_vmsplice)
{
	const uint64_t size = 8 * self->page;
	char *buf = malloc(size);
	uint64_t off, done;
	int pipefd[2], mem;
	struct iovec iov;
	ssize_t n;
	char *p;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, zc_alloc(self->fd, size, 0, 0, &off));
	p = map_at(self->fd, off, size, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, p);
	zc_fill(p, off, size, 19);

	mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, mem);
	EXPECT_EQ(size, pread(mem, buf, size, (uintptr_t)p))
		TH_LOG("reading pool memory through /proc/self/mem must work: %s", strerror(errno));
	EXPECT_EQ(-1, zc_check(buf, off, size, 19));
	zc_fill(buf, off, size, 20);
	EXPECT_EQ(size, pwrite(mem, buf, size, (uintptr_t)p))
		TH_LOG("writing pool memory through /proc/self/mem must work: %s", strerror(errno));
	EXPECT_EQ(-1, zc_check(p, off, size, 20));

	/* vmsplice() pins the pages into the pipe; the pipe then reads them. */
	ASSERT_EQ(0, pipe(pipefd));
	for (done = 0; done < size; done += n) {
		iov = (struct iovec){ .iov_base = p + done, .iov_len = size - done };
		n = vmsplice(pipefd[1], &iov, 1, 0);
		ASSERT_LT(0, n) TH_LOG("vmsplice() of pool memory must work: %s", strerror(errno));
		ASSERT_EQ(n, read(pipefd[0], buf + done, n));
	}
	EXPECT_EQ(-1, zc_check(buf, off, size, 20)) TH_LOG("the pipe must carry the pool's bytes");
	for (done = 0; done < size; done += n) {
		n = write(pipefd[1], p + done, size - done > 4096 ? 4096 : size - done);
		ASSERT_LT(0, n) TH_LOG("write() from pool memory must work: %s", strerror(errno));
		ASSERT_EQ(n, read(pipefd[0], buf + done, n));
	}
	EXPECT_EQ(-1, zc_check(buf, off, size, 20));

	/* Freed and dropped from the page table: nothing to pin or copy. */
	ASSERT_EQ(0, zc_free(self->fd, off));
	ASSERT_EQ(0, madvise(p, size, MADV_DONTNEED));
	EXPECT_EQ(-1, pread(mem, buf, self->page, (uintptr_t)p))
		TH_LOG("/proc/self/mem of freed memory must fail");
	EXPECT_EQ(EIO, errno) TH_LOG("/proc/<pid>/mem reports an unpinnable page as EIO");
	iov = (struct iovec){ .iov_base = p, .iov_len = self->page };
	EXPECT_EQ(-1, vmsplice(pipefd[1], &iov, 1, 0)) TH_LOG("vmsplice() of freed memory must fail");
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, write(pipefd[1], p, self->page)) TH_LOG("write() from freed memory must fail");
	EXPECT_EQ(EFAULT, errno);
	close(pipefd[0]);
	close(pipefd[1]);
	close(mem);
	EXPECT_EQ(0, munmap(p, size));
	free(buf);
	expect_drained(_metadata, self, self->fd, 1, EMPTY_RESERVE);
}

/*
 * A fault that finds a live allocation must not leave its page mapped after
 * the allocation was freed and zapped: a thread on another CPU keeps
 * faulting the first page of an allocation in (SIGBUS while nothing is
 * there), with debugfs's fault_race_delay_us widening the window between
 * the fault's lookup and its insert, while the main thread allocates and
 * frees it at the same offset over and over, a random few microseconds
 * after the allocation (the seed is printed). After each free the page may
 * still be mapped for as long as a racing fault takes to notice and undo
 * its insert; once the faulter has made two more accesses, any fault that
 * raced the free has finished, and /proc/self/pagemap must show the page
 * not present. A stale entry would keep a page the pool no longer counts,
 * and a new allocation at the same offset would not be what it shows.
 */
#define RACE_DELAY_US	1000

static __thread sigjmp_buf race_env;
static volatile int race_stop;
static volatile unsigned long race_accesses;

static void race_sigbus(int sig)
{
	siglongjmp(race_env, sig);
}

static void *race_faulter(void *arg)
{
	volatile char *p = arg;

	while (!race_stop) {
		if (!sigsetjmp(race_env, 1))
			(void)p[0];
		race_accesses++;
	}
	return NULL;
}

static int page_present(int pagemap, const void *addr, uint64_t page)
{
	uint64_t entry;

	if (zc_pagemap_entry(pagemap, addr, page, &entry))
		return -1;
	return !!(entry >> 63);
}

/* Wait until the faulter finished the access it is in and one more; 0 on timeout. */
static int race_settle(void)
{
	unsigned long seen = race_accesses;
	int waited;

	for (waited = 0; race_accesses < seen + 2; waited++) {
		if (waited > 100000)
			return 0;
		usleep(10);
	}
	return 1;
}

FIXTURE(race) {
	FIXTURE_DATA(pool) pool;
};

FIXTURE_VARIANT(race) {
	int huge;	/* huge allocations, else page runs with ZAP_ON_FREE */
	int rounds;
};

FIXTURE_VARIANT_ADD(race, run) { .huge = 0, .rounds = 500 };
FIXTURE_VARIANT_ADD(race, huge) { .huge = 1, .rounds = 30 };

FIXTURE_SETUP(race)
{
	open_test_pool(_metadata, &self->pool);
}

FIXTURE_TEARDOWN(race)
{
	zc_write_ull(ZCPOOL_DEBUGFS "fault_race_delay_us", 0);
	if (self->pool.fd >= 0)
		close(self->pool.fd);
	expect_global_baseline(_metadata);
}

TEST_F_TIMEOUT(race, fault_races_free, 300)
{
	FIXTURE_DATA(pool) *pool = &self->pool;
	uint64_t size = variant->huge ? pool->chunk + pool->page : pool->page;
	struct sigaction sa = { .sa_handler = race_sigbus };
	unsigned long stale = 0, transient = 0;
	uint64_t off, first = ~0ULL;
	pthread_attr_t attr;
	pthread_t thread;
	unsigned int seed;
	cpu_set_t cpus;
	char *p;
	int pagemap, i;

	seed = getenv("ZCPOOL_SEED") ? strtoul(getenv("ZCPOOL_SEED"), NULL, 0) : time(NULL);
	ksft_print_msg("fault_races_free: seed %u (ZCPOOL_SEED replays it)\n", seed);

	if (!variant->huge)
		ASSERT_EQ(0, zc_limits(pool->fd, 0, ZCPOOL_POOL_ZAP_ON_FREE, NULL));
	/* The same offset comes back every round: map it once. */
	ASSERT_EQ(0, zc_alloc(pool->fd, size, 0, 0, &first));
	ASSERT_EQ(0, zc_free(pool->fd, first));
	p = map_at(pool->fd, first, pool->page, PROT_READ);
	ASSERT_NE(NULL, p);
	pagemap = open("/proc/self/pagemap", O_RDONLY);
	ASSERT_LE(0, pagemap);
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	ASSERT_EQ(0, zc_write_ull(ZCPOOL_DEBUGFS "fault_race_delay_us", RACE_DELAY_US));

	/* The faulter runs on the other CPU when there is one; this thread stays on CPU 0. */
	ASSERT_EQ(0, pthread_attr_init(&attr));
	CPU_ZERO(&cpus);
	CPU_SET(sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0, &cpus);
	ASSERT_EQ(0, pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus));
	race_stop = 0;
	race_accesses = 0;
	ASSERT_EQ(0, pthread_create(&thread, &attr, race_faulter, p));
	for (i = 0; i < variant->rounds; i++) {
		ASSERT_EQ(0, zc_alloc(pool->fd, size, 0, 0, &off));
		ASSERT_EQ(first, off) TH_LOG("the freed offset must be reused");
		/* Free while the faulter most likely sleeps between lookup and insert. */
		usleep(rand_r(&seed) % (2 * RACE_DELAY_US));
		ASSERT_EQ(0, zc_free(pool->fd, off));
		if (page_present(pagemap, p, pool->page) != 0)
			transient++;
		/*
		 * Settled every round: a fault still asleep between lookup
		 * and insert would insert after a check made now, and the
		 * next round's allocation of the same page would hide it.
		 */
		ASSERT_TRUE(race_settle()) TH_LOG("the faulter must keep going");
		if (page_present(pagemap, p, pool->page) != 0)
			stale++;
	}
	race_stop = 1;
	ASSERT_EQ(0, pthread_join(thread, NULL));
	if (page_present(pagemap, p, pool->page) != 0)
		stale++;
	ksft_print_msg("fault_races_free(%s): %d rounds, %lu accesses, %lu mapped right after the free, %lu stale\n",
		       variant->huge ? "huge" : "run", variant->rounds, race_accesses, transient,
		       stale);
	EXPECT_EQ(0, stale) TH_LOG("once racing faults are done, no freed page may stay mapped");
	signal(SIGBUS, SIG_DFL);
	close(pagemap);
	EXPECT_EQ(0, munmap(p, pool->page));
	expect_drained(_metadata, pool, pool->fd, variant->rounds + 1,
		       variant->huge ? 0 : EMPTY_RESERVE);
}

/* The churner of zaps_elsewhere_do_not_starve_a_fault. */
struct churn {
	int fd;
	uint64_t size;
	time_t until;		/* it stops by itself then */
	volatile int stop;
	volatile int done;	/* set when it stopped */
	volatile unsigned long frees;
	int error;
};

static void *churn_run(void *arg)
{
	struct churn *c = arg;
	uint64_t off;

	while (!c->stop && time(NULL) < c->until) {
		c->error = zc_alloc(c->fd, c->size, 0, 0, &off);
		if (c->error)
			break;
		c->error = zc_free(c->fd, off);
		if (c->error)
			break;
		c->frees++;
	}
	c->done = 1;
	return NULL;
}

/*
 * Frees of other buffers do not starve a fault. Every fault sleeps between
 * its lookup and its insert while another thread allocates and frees a
 * buffer in a loop, each free a zap (ZCPOOL_POOL_ZAP_ON_FREE, or a huge
 * buffer's while the pool is mapped), so that every fault sees zap_seq
 * move. Its page is live all along: the touch must get it while the frees
 * go on, not once they stop (after CHURN_SECONDS).
 */
#define CHURN_SECONDS	20

TEST_F_TIMEOUT(race, zaps_elsewhere_do_not_starve_a_fault, 120)
{
	FIXTURE_DATA(pool) *pool = &self->pool;
	struct churn c = {
		.fd = pool->fd,
		.size = variant->huge ? pool->chunk + pool->page : pool->page,
	};
	unsigned long before;
	pthread_t thread;
	uint64_t off;
	int running;
	char *p;

	if (!variant->huge)
		ASSERT_EQ(0, zc_limits(pool->fd, 0, ZCPOOL_POOL_ZAP_ON_FREE, NULL));
	ASSERT_EQ(0, zc_alloc(pool->fd, pool->page, 0, 0, &off));
	p = map_at(pool->fd, off, pool->page, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, zc_write_ull(ZCPOOL_DEBUGFS "fault_race_delay_us", RACE_DELAY_US));
	c.until = time(NULL) + CHURN_SECONDS;
	ASSERT_EQ(0, pthread_create(&thread, NULL, churn_run, &c));
	while (c.frees < 10 && !c.done)
		usleep(100);
	before = c.frees;
	p[0] = 1;
	running = !c.done;
	ksft_print_msg("zaps_elsewhere_do_not_starve_a_fault(%s): %lu frees of other buffers during the touch%s\n",
		       variant->huge ? "huge" : "run", c.frees - before,
		       running ? "" : ", which ended with them");
	c.stop = 1;
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_EQ(0, c.error) TH_LOG("the churner's alloc or free failed: %d", c.error);
	EXPECT_TRUE(running) TH_LOG("the touch waited for the frees to stop");
	EXPECT_LT(0, before) TH_LOG("the frees never started");
	EXPECT_EQ(0, munmap(p, pool->page));
}

TEST_HARNESS_MAIN
