// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading zcpool.ko: parameters checked at load, unload refused
 * while anything holds the device (an fd, a passed fd, a mapping alone), all
 * memory back when a process dies holding pools, and many load/unload cycles.
 * Runs with the module NOT loaded; every test leaves it unloaded.
 * $ZCPOOL_KO names the module file (default ./zcpool.ko); $ZCPOOL_CYCLES the
 * number of load/unload cycles (default 100).
 */
#include <errno.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/zcpool.h>

#include "kselftest_harness.h"
#include "zcpool_pool.h"
#include "zcpool_util.h"

FIXTURE(mod) {
	int unused;
};

/*
 * After a failed test: close every fd and mapping of the device this
 * process still has, so that the module unloads and the next test starts
 * clean instead of failing for this one.
 */
static struct {
	void *addr;
	size_t len;
} test_maps[64];
static unsigned int nr_test_maps;

static void unload_whatever_is_left(void)
{
	int tries;

	while (nr_test_maps) {
		nr_test_maps--;
		munmap(test_maps[nr_test_maps].addr, test_maps[nr_test_maps].len);
	}
	syscall(SYS_close_range, 3, ~0U, 0);
	for (tries = 0; zc_module_loaded() && tries < 100; tries++)
		if (zc_unload())
			usleep(10000);
}

FIXTURE_SETUP(mod)
{
	ASSERT_FALSE(zc_module_loaded()) TH_LOG("zcpool must not be loaded when a test starts");
}

FIXTURE_TEARDOWN(mod)
{
	unload_whatever_is_left();
}

TEST_F(mod, load_and_unload_twice)
{
	int round;

	for (round = 0; round < 2; round++) {
		ASSERT_EQ(0, zc_load(""));
		EXPECT_EQ(0, access(ZCPOOL_DEV, F_OK));
		ASSERT_EQ(0, zc_unload());
		EXPECT_FALSE(zc_module_loaded());
		EXPECT_NE(0, access(ZCPOOL_DEV, F_OK));
	}
}

TEST_F(mod, params_are_applied)
{
	struct zcpool_info info;
	int fd;

	ASSERT_EQ(0, zc_load("chunk_order=4 pool_max_bytes=64M total_max_bytes=1G"));
	fd = open(ZCPOOL_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, ZCPOOL_IOC_INFO, &info));
	EXPECT_EQ(4, info.chunk_order);
	EXPECT_EQ(64ULL << 20, info.pool_max_bytes);
	EXPECT_EQ(1ULL << 30, info.total_max_bytes);
	EXPECT_EQ(64ULL << 20, zc_param("pool_max_bytes"));
	close(fd);
}

TEST_F(mod, unload_refused_while_open)
{
	int fd;

	ASSERT_EQ(0, zc_load(""));
	fd = open(ZCPOOL_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EAGAIN, zc_unload());
	EXPECT_TRUE(zc_module_loaded());
	close(fd);
	EXPECT_EQ(0, zc_unload());
}

/* The fd lives on in a child after the parent closed its copy. */
TEST_F(mod, unload_refused_while_a_forked_child_holds_the_fd)
{
	int fd, go[2], status;
	pid_t pid;
	char c;

	ASSERT_EQ(0, zc_load(""));
	fd = open(ZCPOOL_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(go[1]);
		_exit(read(go[0], &c, 1) == 0 ? 0 : 1);	/* wait for EOF */
	}
	close(go[0]);
	close(fd);
	EXPECT_EQ(-EAGAIN, zc_unload());
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, zc_unload());
}

/* A process that never opened the device gets it over a unix socket. */
TEST_F(mod, unload_refused_after_the_fd_was_passed_over_a_socket)
{
	int sv[2], fd, status;
	struct zcpool_info info;
	pid_t pid;
	char c;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(sv[0]);
		fd = zc_recv_fd(sv[1]);
		if (fd < 0 || ioctl(fd, ZCPOOL_IOC_INFO, &info))
			_exit(1);
		if (write(sv[1], "r", 1) != 1)	/* tell the parent we hold it */
			_exit(1);
		_exit(read(sv[1], &c, 1) == 0 ? 0 : 1);
	}
	close(sv[1]);
	ASSERT_EQ(0, zc_load(""));
	fd = open(ZCPOOL_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, zc_send_fd(sv[0], fd));
	close(fd);
	ASSERT_EQ(1, read(sv[0], &c, 1));
	EXPECT_EQ(-EAGAIN, zc_unload());
	close(sv[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(0, zc_unload());
}

/* Nothing is held by any pool, no pool exists, and the module unloads. */
static void expect_baseline_and_unload(struct __test_metadata *_metadata)
{
	EXPECT_EQ(0, zc_global("pools")) TH_LOG("no pool may be left");
	EXPECT_EQ(0, zc_global("bytes_held")) TH_LOG("no pool memory may be held");
	EXPECT_EQ(0, zc_global("total_held")) TH_LOG("the total_max_bytes count must be 0");
	EXPECT_EQ(0, zc_unload()) TH_LOG("the module must unload once nothing holds it");
	EXPECT_FALSE(zc_module_loaded());
}

/*
 * A pool with a small object, a page run and a huge allocation, all mapped,
 * each with its first and last byte written (0x77): maps[i] and lens[i] are
 * the mappings, maps[i] + heads[i] the objects.
 */
static uint64_t heads[3];

static int fill_a_pool(int fd, void **maps, uint64_t *lens)
{
	struct zcpool_info info;
	const uint64_t page = sysconf(_SC_PAGESIZE);
	uint64_t sizes[3], off;
	int i;

	if (ioctl(fd, ZCPOOL_IOC_INFO, &info))
		return -1;
	sizes[0] = 100;
	sizes[1] = 5 * page;
	sizes[2] = (page << info.chunk_order) + page;
	for (i = 0; i < 3; i++) {
		if (zc_alloc(fd, sizes[i], 0, 0, &off))
			return -1;
		lens[i] = (sizes[i] + (off & (page - 1)) + page - 1) & ~(page - 1);
		maps[i] = mmap(NULL, lens[i], PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			       off & ~(page - 1));
		if (maps[i] == MAP_FAILED)
			return -1;
		if (nr_test_maps < 64)
			test_maps[nr_test_maps++] = (typeof(test_maps[0])){ maps[i], lens[i] };
		heads[i] = off & (page - 1);
		/* The first and last byte fault in the ends; all pages would be slow in TCG. */
		((char *)maps[i])[heads[i]] = 0x77;
		((char *)maps[i])[heads[i] + sizes[i] - 1] = 0x77;
	}
	return 0;
}

/* The fd is closed but a mapping still reaches the pool. */
TEST_F(mod, unload_refused_while_only_a_mapping_is_left)
{
	uint64_t lens[3];
	void *maps[3];
	int fd, i;

	ASSERT_EQ(0, zc_load(""));
	fd = zc_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fill_a_pool(fd, maps, lens));
	close(fd);
	EXPECT_EQ(1, zc_global("pools")) TH_LOG("the mappings hold the pool after close");
	EXPECT_EQ(-EAGAIN, zc_unload()) TH_LOG("unload must be refused while a mapping is left");
	EXPECT_TRUE(zc_module_loaded());
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0x77, ((volatile unsigned char *)maps[i])[heads[i]])
			TH_LOG("the pool's memory stays readable through the mapping");
		EXPECT_EQ(-EAGAIN, zc_unload())
			TH_LOG("unload refused while %d of 3 mappings are left", 3 - i);
		EXPECT_EQ(0, munmap(maps[i], lens[i]));
	}
	nr_test_maps = 0;
	expect_baseline_and_unload(_metadata);
}

/*
 * The receiver of a passed fd maps the pool and closes the fd; the sender
 * closes its own: the receiver's mapping alone keeps the module in.
 */
TEST_F(mod, unload_refused_while_a_receiver_maps_the_passed_pool)
{
	int sv[2], fd, status;
	uint64_t lens[3];
	void *maps[3];
	pid_t pid;
	char c;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(sv[0]);
		fd = zc_recv_fd(sv[1]);
		if (fd < 0 || fill_a_pool(fd, maps, lens))
			_exit(1);
		close(fd);
		if (write(sv[1], "r", 1) != 1)
			_exit(1);
		_exit(read(sv[1], &c, 1) == 0 ? 0 : 1);	/* hold the mappings until EOF */
	}
	close(sv[1]);
	ASSERT_EQ(0, zc_load(""));
	fd = zc_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, zc_send_fd(sv[0], fd));
	close(fd);
	ASSERT_EQ(1, read(sv[0], &c, 1)) TH_LOG("the receiver must map the pool");
	EXPECT_EQ(1, zc_global("pools"));
	EXPECT_EQ(-EAGAIN, zc_unload()) TH_LOG("another process's mapping must keep the module");
	close(sv[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	expect_baseline_and_unload(_metadata);
}

/*
 * An fd sent over a unix socket and not received yet is a reference too:
 * the module stays until the socket (and the fd in it) is gone.
 */
TEST_F(mod, unload_refused_while_the_fd_is_in_flight)
{
	uint64_t lens[3];
	void *maps[3];
	int sv[2], fd, i;

	ASSERT_EQ(0, zc_load(""));
	fd = zc_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fill_a_pool(fd, maps, lens));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, munmap(maps[i], lens[i]));
	nr_test_maps = 0;
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, zc_send_fd(sv[0], fd));
	close(fd);
	EXPECT_EQ(1, zc_global("pools")) TH_LOG("the fd in flight holds the pool");
	EXPECT_EQ(-EAGAIN, zc_unload()) TH_LOG("unload must be refused while the fd is in flight");
	close(sv[0]);
	close(sv[1]);
	expect_baseline_and_unload(_metadata);
}

FIXTURE(death) {
	int unused;
};

FIXTURE_VARIANT(death) {
	int sig;	/* how the holder dies: 0 for _exit() */
	int grandchild;	/* a forked grandchild shares the pool and dies too */
	int nr_pools;
};

FIXTURE_VARIANT_ADD(death, exit) { .sig = 0, .nr_pools = 1 };
FIXTURE_VARIANT_ADD(death, sigkill) { .sig = SIGKILL, .nr_pools = 1 };
FIXTURE_VARIANT_ADD(death, sigkill_many_pools) { .sig = SIGKILL, .nr_pools = 8 };
FIXTURE_VARIANT_ADD(death, sigkill_with_a_forked_sharer) {
	.sig = SIGKILL, .grandchild = 1, .nr_pools = 2
};

FIXTURE_SETUP(death)
{
	ASSERT_FALSE(zc_module_loaded());
	ASSERT_EQ(0, zc_load(""));
}

FIXTURE_TEARDOWN(death)
{
	unload_whatever_is_left();
}

/*
 * A process dies holding pools with live allocations, all mapped (and, for
 * one variant, shared with a forked child that dies with it): everything
 * comes back and the module unloads.
 */
TEST_F(death, everything_comes_back)
{
	int ready[2], go[2], status, i, fd;
	uint64_t lens[3];
	void *maps[3];
	pid_t pid, sharer = 0;
	char c;

	/*
	 * Orphans are reparented here, not to init, so that the sharer's exit
	 * (and with it its last pool references) is complete once reaped.
	 */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		setpgid(0, 0);
		for (i = 0; i < variant->nr_pools; i++) {
			fd = zc_open();
			if (fd < 0 || fill_a_pool(fd, maps, lens))
				_exit(1);
		}
		if (variant->grandchild) {
			sharer = fork();
			if (sharer < 0)
				_exit(1);
			if (sharer == 0) {
				/* Writes through the inherited mappings, then waits to die. */
				memset(maps[1], 0x33, lens[1]);
				if (write(ready[1], "g", 1) != 1)
					_exit(1);
				pause();
				_exit(0);
			}
		}
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		if (read(go[0], &c, 1) != 1)	/* killed while it waits, or told to exit */
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	for (i = 0; i < 1 + variant->grandchild; i++)
		ASSERT_EQ(1, read(ready[0], &c, 1)) TH_LOG("the holder must fill its pools");
	EXPECT_EQ(variant->nr_pools, zc_global("pools"))
		TH_LOG("every pool of the holder exists before it dies");
	ASSERT_NE(~0ULL, zc_global("bytes_held")) TH_LOG("no bytes_held in debugfs");
	EXPECT_LT(0, zc_global("bytes_held"));
	EXPECT_EQ(-EAGAIN, zc_unload());
	if (variant->sig) {
		ASSERT_EQ(0, kill(-pid, variant->sig));	/* the holder and its sharer */
	} else {
		ASSERT_EQ(1, write(go[1], "x", 1));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (variant->sig) {
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == variant->sig);
	} else {
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	/* The sharer was reparented to this process: reap it too. */
	while (waitpid(-1, &status, 0) > 0)
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == variant->sig);
	EXPECT_EQ(ECHILD, errno);
	close(ready[0]);
	close(go[1]);
	expect_baseline_and_unload(_metadata);
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Load, use and unload the module many times ($ZCPOOL_CYCLES, default
 * 100): every cycle makes a pool, maps and writes it, and leaves nothing.
 */
TEST_F_TIMEOUT(mod, load_unload_cycles, 1800)
{
	const char *env = getenv("ZCPOOL_CYCLES");
	long cycles = env ? strtol(env, NULL, 0) : 100;
	uint64_t lens[3];
	void *maps[3];
	double start;
	long n;
	int fd, i;

	ASSERT_LT(0, cycles) TH_LOG("ZCPOOL_CYCLES must be a positive number");
	start = now_seconds();
	for (n = 0; n < cycles; n++) {
		ASSERT_EQ(0, zc_load("")) TH_LOG("load %ld of %ld must work", n + 1, cycles);
		fd = zc_open();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, fill_a_pool(fd, maps, lens)) TH_LOG("cycle %ld: using a pool", n + 1);
		close(fd);
		for (i = 0; i < 3; i++)
			ASSERT_EQ(0, munmap(maps[i], lens[i]));
		nr_test_maps = 0;
		ASSERT_EQ(0, zc_global("pools")) TH_LOG("cycle %ld: no pool left", n + 1);
		ASSERT_EQ(0, zc_global("bytes_held")) TH_LOG("cycle %ld: nothing held", n + 1);
		ASSERT_EQ(0, zc_unload()) TH_LOG("unload %ld of %ld must work", n + 1, cycles);
		ASSERT_FALSE(zc_module_loaded());
	}
	ksft_print_msg("lifecycle: %ld load/unload cycles with a mapped pool each, %.1f s\n",
		       cycles, now_seconds() - start);
}

FIXTURE(bad_params) {
	int unused;
};

FIXTURE_VARIANT(bad_params) {
	const char *params;
	int err;
};

FIXTURE_SETUP(bad_params)
{
	ASSERT_FALSE(zc_module_loaded());
}

FIXTURE_TEARDOWN(bad_params)
{
	if (zc_module_loaded())
		zc_unload();
}

FIXTURE_VARIANT_ADD(bad_params, chunk_order_too_large) {
	.params = "chunk_order=99", .err = -ERANGE
};
FIXTURE_VARIANT_ADD(bad_params, chunk_order_not_a_number) {
	.params = "chunk_order=four", .err = -EINVAL
};
FIXTURE_VARIANT_ADD(bad_params, chunk_order_below_a_subpage_run) {
	.params = "chunk_order=2", .err = -ERANGE
};
FIXTURE_VARIANT_ADD(bad_params, chunk_order_negative) {
	.params = "chunk_order=-1", .err = -EINVAL
};
FIXTURE_VARIANT_ADD(bad_params, bytes_bad_suffix) {
	.params = "total_max_bytes=1Q", .err = -EINVAL
};
FIXTURE_VARIANT_ADD(bad_params, bytes_overflow) {
	.params = "total_max_bytes=99999999999T", .err = -ERANGE
};
FIXTURE_VARIANT_ADD(bad_params, total_below_a_page) {
	.params = "total_max_bytes=1", .err = -ERANGE
};
/* Pages, but less than the shortest chunk (8 pages): no allocation fits. */
FIXTURE_VARIANT_ADD(bad_params, pool_below_the_shortest_chunk) {
	.params = "pool_max_bytes=16K", .err = -ERANGE
};
FIXTURE_VARIANT_ADD(bad_params, pool_above_total) {
	.params = "pool_max_bytes=2G total_max_bytes=1G", .err = -EINVAL
};
FIXTURE_VARIANT_ADD(bad_params, chunk_order_empty) {
	.params = "chunk_order=", .err = -EINVAL
};

TEST_F(bad_params, load_fails_and_leaves_nothing)
{
	EXPECT_EQ(variant->err, zc_load(variant->params));
	EXPECT_FALSE(zc_module_loaded());
	EXPECT_NE(0, access(ZCPOOL_DEV, F_OK));
}

TEST_HARNESS_MAIN
