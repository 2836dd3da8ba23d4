// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/zcpool node, open/close and ZCPOOL_IOC_INFO, seen from user space.
 * Runs with zcpool.ko loaded; one bad thing per negative test.
 */
#include <errno.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <linux/zcpool.h>

#include "kselftest_harness.h"
#include "zcpool_util.h"

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", ZCPOOL_DEV, strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST(node_is_a_root_only_char_device)
{
	struct stat st;

	ASSERT_EQ(0, stat(ZCPOOL_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(10, major(st.st_rdev));	/* MISC_MAJOR */
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
}

TEST(unprivileged_open_is_refused)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(2);
		_exit(open(ZCPOOL_DEV, O_RDWR) < 0 && errno == EACCES ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(dev, info_reports_abi_and_parameters)
{
	struct zcpool_info info;

	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_INFO, &info));
	EXPECT_EQ(ZCPOOL_ABI_MAJOR, info.abi_major);
	EXPECT_EQ(ZCPOOL_ABI_MINOR, info.abi_minor);
	EXPECT_EQ(sysconf(_SC_PAGESIZE), info.page_size);
	EXPECT_EQ(zc_param("chunk_order"), info.chunk_order);
	EXPECT_EQ(zc_param("pool_max_bytes"), info.pool_max_bytes);
	EXPECT_EQ(zc_param("total_max_bytes"), info.total_max_bytes);
	EXPECT_LE(info.pool_max_bytes, info.total_max_bytes);
}

TEST_F(dev, info_features_are_known_and_include_info)
{
	struct zcpool_info info;

	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_INFO, &info));
	EXPECT_TRUE(info.features & ZCPOOL_FEATURE_INFO);
	EXPECT_EQ(0, info.features & ~ZCPOOL_FEATURES_KNOWN);
}

TEST_F(dev, info_writes_every_byte)
{
	struct zcpool_info a, b;

	memset(&a, 0xa5, sizeof(a));
	memset(&b, 0x5a, sizeof(b));
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_INFO, &a));
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_INFO, &b));
	EXPECT_EQ(0, memcmp(&a, &b, sizeof(a)));
}

TEST_F(dev, info_to_null_is_efault)
{
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dev, info_to_read_only_memory_is_efault)
{
	long page = sysconf(_SC_PAGESIZE);
	void *ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_INFO, ro));
	EXPECT_EQ(EFAULT, errno);
	munmap(ro, page);
}

TEST_F(dev, info_straddling_an_unmapped_page_is_efault)
{
	long page = sysconf(_SC_PAGESIZE);
	char *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, munmap(two + page, page));
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_INFO,
			    two + page - sizeof(struct zcpool_info) / 2));
	EXPECT_EQ(EFAULT, errno);
	munmap(two, page);
}

TEST_F(dev, info_works_on_a_read_only_fd)
{
	struct zcpool_info info;
	int fd = open(ZCPOOL_DEV, O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, ioctl(fd, ZCPOOL_IOC_INFO, &info));
	close(fd);
}

FIXTURE_VARIANT(bad_cmd) {
	unsigned long cmd;
};

FIXTURE(bad_cmd) {
	int fd;
};

FIXTURE_SETUP(bad_cmd)
{
	self->fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(bad_cmd)
{
	close(self->fd);
}

FIXTURE_VARIANT_ADD(bad_cmd, zero) { .cmd = 0 };
FIXTURE_VARIANT_ADD(bad_cmd, unused_number) {
	.cmd = _IOR(ZCPOOL_IOC_TYPE, 0x9f, struct zcpool_info)
};
FIXTURE_VARIANT_ADD(bad_cmd, other_type) {
	.cmd = _IOR('z', 0x80, struct zcpool_info)
};
FIXTURE_VARIANT_ADD(bad_cmd, info_as_write) {
	.cmd = _IOW(ZCPOOL_IOC_TYPE, 0x80, struct zcpool_info)
};
FIXTURE_VARIANT_ADD(bad_cmd, info_short) {
	.cmd = _IOC(_IOC_READ, ZCPOOL_IOC_TYPE, 0x80, sizeof(struct zcpool_info) - 8)
};
FIXTURE_VARIANT_ADD(bad_cmd, info_long) {
	.cmd = _IOC(_IOC_READ, ZCPOOL_IOC_TYPE, 0x80, sizeof(struct zcpool_info) + 8)
};
FIXTURE_VARIANT_ADD(bad_cmd, tty_ioctl) { .cmd = TCGETS };
/* The pool commands with a wrong direction or size, and the next free number. */
FIXTURE_VARIANT_ADD(bad_cmd, alloc_read_only) {
	.cmd = _IOR(ZCPOOL_IOC_TYPE, 0x81, struct zcpool_alloc)
};
FIXTURE_VARIANT_ADD(bad_cmd, alloc_short) {
	.cmd = _IOC(_IOC_READ | _IOC_WRITE, ZCPOOL_IOC_TYPE, 0x81, 24)
};
FIXTURE_VARIANT_ADD(bad_cmd, free_as_read_write) {
	.cmd = _IOWR(ZCPOOL_IOC_TYPE, 0x82, struct zcpool_free)
};
FIXTURE_VARIANT_ADD(bad_cmd, batch_long) {
	.cmd = _IOC(_IOC_READ | _IOC_WRITE, ZCPOOL_IOC_TYPE, 0x83, sizeof(struct zcpool_batch) + 8)
};
FIXTURE_VARIANT_ADD(bad_cmd, free_batch_write_only) {
	.cmd = _IOW(ZCPOOL_IOC_TYPE, 0x84, struct zcpool_batch)
};
FIXTURE_VARIANT_ADD(bad_cmd, stats_read_only) {
	.cmd = _IOR(ZCPOOL_IOC_TYPE, 0x85, struct zcpool_stats)
};
FIXTURE_VARIANT_ADD(bad_cmd, limits_write_only) {
	.cmd = _IOW(ZCPOOL_IOC_TYPE, 0x86, struct zcpool_limits)
};
FIXTURE_VARIANT_ADD(bad_cmd, next_number) {
	.cmd = _IOWR(ZCPOOL_IOC_TYPE, 0x87, struct zcpool_limits)
};

TEST_F(bad_cmd, is_enotty)
{
	/*
	 * Room for the largest struct any variant names, should one be
	 * copied, starting as a valid ALLOC of 64 bytes: a command taken for
	 * one of the pool's would act on it, or write into it.
	 */
	struct zcpool_alloc req = { .size = 64 };
	struct zcpool_stats st = { 0 };
	char buf[256] = { 0 }, want[256];

	memcpy(buf, &req, sizeof(req));
	memcpy(want, buf, sizeof(buf));
	EXPECT_EQ(-1, ioctl(self->fd, variant->cmd, buf));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(0, memcmp(want, buf, sizeof(buf)));
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_STATS, &st));
	EXPECT_EQ(0, st.allocs);
	EXPECT_EQ(0, st.bytes_held);
}

TEST_F(dev, is_not_seekable_readable_or_writable)
{
	char buf[8] = { 0 };

	EXPECT_EQ(-1, lseek(self->fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * Every open creates a pool (an inode and the allocator's structures):
 * some 8 ms per open and close on a debug kernel under TCG, so 2048 of them
 * need more than the harness's default 30 s.
 */
TEST_F_TIMEOUT(dev, many_opens_and_closes, 300)
{
	enum { NR_FDS = 256, ROUNDS = 8 };
	int fds[NR_FDS];
	int round, i;

	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < NR_FDS; i++) {
			fds[i] = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
			ASSERT_LE(0, fds[i]) TH_LOG("open %d of round %d", i, round);
		}
		for (i = 0; i < NR_FDS; i++)
			ASSERT_EQ(0, close(fds[i]));
	}
}

TEST_HARNESS_MAIN
