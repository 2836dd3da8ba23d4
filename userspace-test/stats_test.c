// SPDX-License-Identifier: GPL-2.0
/*
 * Statistics outside the STATS ioctl: the module-wide sums in
 * /sys/kernel/debug/zcpool/stats and one pool's counters in
 * /proc/<pid>/fdinfo/<fd>. Runs with zcpool.ko loaded and no other pool
 * open, so that the module-wide sums start from zero.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <linux/zcpool.h>

#include "kselftest_harness.h"
#include "zcpool_pool.h"
#include "zcpool_util.h"

struct global {
	uint64_t pools, live, bytes_requested, bytes_held, total_held, chunks;
	uint64_t runs_live, huge_live, allocs, frees;
	uint64_t class_live[ZC_MAX_CLASSES];
	unsigned int nr_classes;
};

/* Parse the debugfs stats file; 0 or the errno. */
static int read_global(struct global *g)
{
	FILE *f = fopen(ZCPOOL_DEBUGFS "stats", "r");
	char name[64];
	unsigned long long val;
	unsigned int idx, size;
	char line[256];

	if (!f)
		return errno;
	memset(g, 0, sizeof(*g));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "class %u %u %llu", &idx, &size, &val) == 3) {
			if (idx < ZC_MAX_CLASSES)
				g->class_live[idx] = val;
			g->nr_classes++;
			continue;
		}
		if (sscanf(line, "%63s %llu", name, &val) != 2)
			continue;
		if (!strcmp(name, "pools"))
			g->pools = val;
		else if (!strcmp(name, "live"))
			g->live = val;
		else if (!strcmp(name, "bytes_requested"))
			g->bytes_requested = val;
		else if (!strcmp(name, "bytes_held"))
			g->bytes_held = val;
		else if (!strcmp(name, "total_held"))
			g->total_held = val;
		else if (!strcmp(name, "chunks"))
			g->chunks = val;
		else if (!strcmp(name, "runs_live"))
			g->runs_live = val;
		else if (!strcmp(name, "huge_live"))
			g->huge_live = val;
		else if (!strcmp(name, "allocs"))
			g->allocs = val;
		else if (!strcmp(name, "frees"))
			g->frees = val;
	}
	fclose(f);
	return 0;
}

TEST(debugfs_sums_every_pool_and_returns_to_zero)
{
	struct global g0, g;
	uint64_t a1, a2, b1;
	int a, b;

	ASSERT_EQ(0, zc_pin_to_one_cpu());	/* one arena: one chunk */
	ASSERT_EQ(0, read_global(&g0));
	EXPECT_EQ(0, g0.pools);
	EXPECT_EQ(0, g0.live);
	EXPECT_EQ(0, g0.total_held);
	EXPECT_LT(8, g0.nr_classes);

	a = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	b = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, zc_alloc(a, 10, 0, 0, &a1));		/* class 0 */
	ASSERT_EQ(0, zc_alloc(a, 9 * 4096, 0, 0, &a2));	/* a run: above 8 pages */
	ASSERT_EQ(0, zc_alloc(b, zc_chunk_bytes(b) + 1, 0, 0, &b1));	/* huge */
	ASSERT_EQ(0, read_global(&g));
	EXPECT_EQ(2, g.pools);
	EXPECT_EQ(3, g.live);
	EXPECT_EQ(10 + 9 * 4096 + zc_chunk_bytes(b) + 1, g.bytes_requested);
	EXPECT_EQ(g.bytes_held, g.total_held);
	EXPECT_LE(g.bytes_requested, g.bytes_held);
	EXPECT_EQ(1, g.chunks);
	EXPECT_EQ(1, g.runs_live);
	EXPECT_EQ(1, g.huge_live);
	EXPECT_EQ(3, g.allocs);
	EXPECT_EQ(1, g.class_live[0]);

	ASSERT_EQ(0, zc_free(a, a1));
	ASSERT_EQ(0, read_global(&g));
	EXPECT_EQ(2, g.live);
	EXPECT_EQ(1, g.frees);
	EXPECT_EQ(0, g.class_live[0]);

	close(a);
	ASSERT_EQ(0, read_global(&g));
	EXPECT_EQ(1, g.pools);
	EXPECT_EQ(1, g.live);
	close(b);
	ASSERT_EQ(0, read_global(&g));
	EXPECT_EQ(0, g.pools);
	EXPECT_EQ(0, g.live);
	EXPECT_EQ(0, g.bytes_held);
	EXPECT_EQ(0, g.total_held);
}

/* A process killed with allocations and mappings gives all of it back. */
TEST(a_killed_process_returns_its_pool)
{
	struct global g;
	int status, pipefd[2];
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
		uint64_t off;
		char *p;

		if (fd < 0 || zc_alloc(fd, 1 << 20, 0, 0, &off))
			_exit(1);
		p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
		if (p == MAP_FAILED)
			_exit(1);
		memset(p, 1, 1 << 20);
		close(fd);	/* the mapping alone keeps the pool */
		if (write(pipefd[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	ASSERT_EQ(0, read_global(&g));
	EXPECT_EQ(1, g.pools);
	EXPECT_EQ(1, g.live);
	EXPECT_LE(1 << 20, g.total_held);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	close(pipefd[0]);
	ASSERT_EQ(0, read_global(&g));
	EXPECT_EQ(0, g.pools);
	EXPECT_EQ(0, g.live);
	EXPECT_EQ(0, g.total_held);
}

TEST(fdinfo_shows_the_pool)
{
	int fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	struct zcpool_stats st;
	uint64_t off, off2;

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, zc_fdinfo(fd, "live"));
	EXPECT_EQ(0, zc_fdinfo(fd, "flags"));
	ASSERT_EQ(0, zc_alloc(fd, 100, 0, 0, &off));
	ASSERT_EQ(0, zc_alloc(fd, 9 * 4096, 0, 0, &off2));
	ASSERT_EQ(0, zc_limits(fd, 64 << 20, ZCPOOL_POOL_ZAP_ON_FREE, NULL));
	ASSERT_EQ(0, zc_stats(fd, &st, NULL));
	EXPECT_EQ(st.live, zc_fdinfo(fd, "live"));
	EXPECT_EQ(st.bytes_requested, zc_fdinfo(fd, "bytes_requested"));
	EXPECT_EQ(st.bytes_held, zc_fdinfo(fd, "bytes_held"));
	EXPECT_EQ(st.chunks, zc_fdinfo(fd, "chunks"));
	EXPECT_EQ(st.runs_live, zc_fdinfo(fd, "runs_live"));
	EXPECT_EQ(st.huge_live, zc_fdinfo(fd, "huge_live"));
	EXPECT_EQ(st.allocs, zc_fdinfo(fd, "allocs"));
	EXPECT_EQ(st.frees, zc_fdinfo(fd, "frees"));
	EXPECT_EQ(64 << 20, zc_fdinfo(fd, "max_bytes"));
	EXPECT_EQ(ZCPOOL_POOL_ZAP_ON_FREE, zc_fdinfo(fd, "flags"));
	/* And the snapshot both come from is the pool's: figures of its own. */
	EXPECT_EQ(2, st.live);
	EXPECT_EQ(1, st.runs_live);
	EXPECT_EQ(0, st.huge_live);
	EXPECT_EQ(100 + 9 * 4096, st.bytes_requested);
	EXPECT_EQ(2, st.allocs);
	EXPECT_EQ(0, st.frees);
	EXPECT_LE(1, st.chunks);
	close(fd);
}

TEST_HARNESS_MAIN
