// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading zcpool.ko: parameters checked at load, unload refused
 * while anything holds the device. Runs with the module NOT loaded; every test
 * leaves it unloaded. $ZCPOOL_KO names the module file (default ./zcpool.ko).
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/zcpool.h>

#include "kselftest_harness.h"
#include "zcpool_util.h"

FIXTURE(mod) {
	int unused;
};

FIXTURE_SETUP(mod)
{
	ASSERT_FALSE(zc_module_loaded()) TH_LOG("zcpool must not be loaded when a test starts");
}

FIXTURE_TEARDOWN(mod)
{
	if (zc_module_loaded())
		zc_unload();
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

static int send_fd(int sock, int fd)
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

static int recv_fd(int sock)
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

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
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
		fd = recv_fd(sv[1]);
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
	ASSERT_EQ(0, send_fd(sv[0], fd));
	close(fd);
	ASSERT_EQ(1, read(sv[0], &c, 1));
	EXPECT_EQ(-EAGAIN, zc_unload());
	close(sv[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(0, zc_unload());
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
