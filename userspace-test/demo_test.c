// SPDX-License-Identifier: GPL-2.0
/*
 * The demo program (zcpool_demo: what `make demo` and the README's first
 * command run), run here small so that a change that breaks it fails the
 * tests, and run with one of its pipeline stages killed or stopped: the
 * demo must then end on its own, name the stage and how it ended, and
 * leave no stage process and no pool behind, instead of waiting for ever
 * for a stage that will never say it is ready.
 *
 * Runs with zcpool.ko loaded, brd available (/dev/ram0) and zcpool_demo in
 * the working directory.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "zcpool_util.h"
#include "zcpool_testlib.h"

#define DEMO		"./zcpool_demo"
#define DEMO_OUT_MAX	16384

/* The demo's stage processes name themselves (comm) after their stage. */
#define STAGE_COMM_MAX	16

struct demo_run {
	pid_t pid;
	int out_fd;		/* the demo's stdout and stderr */
	char out[DEMO_OUT_MAX];
	size_t len;
	int status;
};

/*
 * A process's parent and comm, from /proc/PID/stat; -1 if it is gone or
 * has exited (a zombie keeps both until it is reaped).
 */
static int proc_parent_comm(pid_t pid, pid_t *ppid, char *comm)
{
	char buf[256], *lparen, *rparen, state;

	if (zc_read_proc(pid, "stat", buf, sizeof(buf)) < 0)
		return -1;
	lparen = strchr(buf, '(');
	rparen = strrchr(buf, ')');
	if (!lparen || !rparen || rparen - lparen - 1 >= STAGE_COMM_MAX ||
	    sscanf(rparen + 2, "%c %d", &state, ppid) != 2 || state == 'Z' || state == 'X')
		return -1;
	memcpy(comm, lparen + 1, rparen - lparen - 1);
	comm[rparen - lparen - 1] = '\0';
	return 0;
}

/*
 * Walk /proc for the processes whose parent is @parent (any, if 0) and
 * whose comm is @comm (any, if NULL); send each @sig, if not 0. Returns
 * the last one found, or 0.
 */
static pid_t scan_procs(pid_t parent, const char *comm, int sig)
{
	char name[STAGE_COMM_MAX];
	struct dirent *de;
	pid_t found = 0, pid, ppid;
	DIR *dir = opendir("/proc");

	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (!isdigit(de->d_name[0]))
			continue;
		pid = atoi(de->d_name);
		if (proc_parent_comm(pid, &ppid, name) || (parent && ppid != parent) ||
		    (comm && strcmp(name, comm)))
			continue;
		found = pid;
		if (sig)
			kill(pid, sig);
	}
	closedir(dir);
	return found;
}

/*
 * Start the demo small: one pair of runs of a 1 MiB file read @passes
 * times, its own deadline per pipeline @timeout_s seconds, and @option
 * (if not NULL). Its output goes to a pipe that demo_finish() reads.
 */
static int demo_start(struct demo_run *d, unsigned int passes, unsigned int timeout_s,
		      const char *option)
{
	char timeout[16], passes_arg[16];
	int fds[2];

	memset(d, 0, sizeof(*d));
	snprintf(timeout, sizeof(timeout), "%u", timeout_s);
	snprintf(passes_arg, sizeof(passes_arg), "%u", passes);
	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	d->pid = fork();
	if (d->pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (!d->pid) {
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		execl(DEMO, DEMO, "--file-mib", "1", "--passes", passes_arg, "--runs", "1",
		      "--buffers", "4", "--timeout-s", timeout, option, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	d->out_fd = fds[0];
	return 0;
}

/*
 * Collect the demo's output and exit status, waiting at most @limit_s
 * seconds: a demo still running then is killed, with whatever it forked,
 * and -ETIMEDOUT returned. The output is echoed as TAP comments; past
 * the buffer it is read and dropped, so that the demo never blocks on it.
 */
static int demo_finish(struct demo_run *d, double limit_s)
{
	double deadline = zc_now() + limit_s;
	struct pollfd p = { .fd = d->out_fd, .events = POLLIN };
	char scratch[4096], *line, *end;
	int ret = -ETIMEDOUT, ms;
	ssize_t n;

	while ((ms = (deadline - zc_now()) * 1000) > 0) {
		if (poll(&p, 1, ms) <= 0)
			continue;
		if (d->len < sizeof(d->out) - 1)
			n = read(d->out_fd, d->out + d->len, sizeof(d->out) - 1 - d->len);
		else
			n = read(d->out_fd, scratch, sizeof(scratch));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = 0;	/* the demo and its stages closed their output */
			break;
		}
		if (d->len < sizeof(d->out) - 1)
			d->len += n;
	}
	close(d->out_fd);
	while (!ret && waitpid(d->pid, &d->status, WNOHANG) != d->pid) {
		if (zc_now() > deadline)
			ret = -ETIMEDOUT;
		else
			usleep(10000);
	}
	if (ret) {
		/* The stages first, while the demo is still their parent. */
		scan_procs(d->pid, NULL, SIGKILL);
		kill(d->pid, SIGKILL);
		waitpid(d->pid, &d->status, 0);
	}
	d->out[d->len] = '\0';
	for (line = d->out; *line; line = end + !!*end) {
		end = strchrnul(line, '\n');
		printf("# | %.*s\n", (int)(end - line), line);
	}
	return ret;
}

/* Wait up to @limit_s seconds for the demo to fork the stage called @comm. */
static pid_t await_stage(pid_t demo, const char *comm, double limit_s)
{
	double deadline = zc_now() + limit_s;
	pid_t pid;

	while (!(pid = scan_procs(demo, comm, 0)) && zc_now() < deadline)
		usleep(500);
	return pid;
}

/*
 * The module's pool count, once it is back at @pools or after 5 s: a
 * pool goes when the last of its fds and mappings does, and the fd the
 * zero-copy reader passes the worker may still be in flight on the unix
 * socket, which lets go of it when its last end closes.
 */
static long long pools_settle(long long pools)
{
	long long now_pools = zc_debugfs_value("pools");
	int tries;

	for (tries = 0; tries < 100 && now_pools != pools; tries++) {
		usleep(50000);
		now_pools = zc_debugfs_value("pools");
	}
	return now_pools;
}

/* A fixture only for the timeout: the harness's 30 s is short for a debug kernel. */
FIXTURE(demo) {
};

FIXTURE_SETUP(demo)
{
}

FIXTURE_TEARDOWN(demo)
{
}

/* Run the demo small with @option (if not NULL): it must exit 0, data verified. */
static void demo_run_small(struct __test_metadata *_metadata, struct demo_run *d,
			   const char *option)
{
	ASSERT_EQ(0, access(DEMO, X_OK));
	ASSERT_EQ(0, demo_start(d, 1, 600, option));
	ASSERT_EQ(0, demo_finish(d, 240));
	ASSERT_TRUE(WIFEXITED(d->status));
	EXPECT_EQ(0, WEXITSTATUS(d->status));
	EXPECT_NE(NULL, strstr(d->out, "data verified: worker and sink checksums equal"));
	EXPECT_NE(NULL, strstr(d->out, "in all 2 runs"));
}

TEST_F_TIMEOUT(demo, moves_the_file_and_verifies_it, 300)
{
	unsigned long mapped_kib = 0, copied_kib = 0;
	struct demo_run d;
	const char *sink;
	int fields;

	demo_run_small(_metadata, &d, NULL);
	EXPECT_NE(NULL, strstr(d.out, "zero-copy / read-write throughput: "));
	EXPECT_NE(NULL, strstr(d.out, "MSG_ZEROCOPY: "));
	/*
	 * The zero-copy sink maps most of what it receives: it copies only
	 * less than a page, or data off a page boundary. A sink that quietly
	 * copied it all would still verify the data, and say 0 here.
	 */
	sink = strstr(d.out, "zero-copy sink: mapped ");
	ASSERT_NE(NULL, sink);
	fields = sscanf(sink, "zero-copy sink: mapped %lu KiB%*[^,], copied %lu KiB",
			&mapped_kib, &copied_kib);
	ASSERT_EQ(2, fields);
	EXPECT_EQ(1024, mapped_kib + copied_kib);
	EXPECT_LT(copied_kib, mapped_kib);
	/* Segments of a page each, or every one ends in a page it copies. */
	sink = strstr(sink, "; segments of ");
	ASSERT_NE(NULL, sink);
	EXPECT_EQ(getpagesize(), atoi(sink + strlen("; segments of ")));
}

/* --recv-sink: the zero-copy pipeline's sink copies as the other does. */
TEST_F_TIMEOUT(demo, recv_sink_moves_the_file_and_verifies_it, 300)
{
	struct demo_run d;

	demo_run_small(_metadata, &d, "--recv-sink");
	EXPECT_NE(NULL, strstr(d.out, "the sink receives with recv() (--recv-sink)"));
	EXPECT_EQ(NULL, strstr(d.out, "zero-copy sink: mapped "));
}

/*
 * Each stage of each pipeline, killed or stopped as soon as the test sees
 * it: on the stock kernel mostly while it sets up, before it has said it
 * is ready, the moment a stage's end used to leave the other two and the
 * parent waiting; on the debug kernels, slower to walk /proc, often while
 * the data moves. Each pipeline moves 16 MiB (2 s on a debug kernel under
 * TCG), long enough for the walk to find its stages alive.
 */
#define STAGE_PASSES	16

FIXTURE(stage) {
	long long pools;
};

FIXTURE_VARIANT(stage) {
	const char *comm;	/* what the stage's process is called */
	const char *name;	/* how the demo names it */
	int pool;		/* whether its pipeline opens a pool */
};

FIXTURE_VARIANT_ADD(stage, rw_reader) { .comm = "rw-reader", .name = "read/write reader" };
FIXTURE_VARIANT_ADD(stage, rw_worker) { .comm = "rw-worker", .name = "read/write worker" };
FIXTURE_VARIANT_ADD(stage, rw_sink) { .comm = "rw-sink", .name = "read/write sink" };
FIXTURE_VARIANT_ADD(stage, zc_reader) {
	.comm = "zc-reader", .name = "zero-copy reader", .pool = 1,
};
FIXTURE_VARIANT_ADD(stage, zc_worker) {
	.comm = "zc-worker", .name = "zero-copy worker", .pool = 1,
};
FIXTURE_VARIANT_ADD(stage, zc_sink) {
	.comm = "zc-sink", .name = "zero-copy sink", .pool = 1,
};

FIXTURE_SETUP(stage)
{
	ASSERT_EQ(0, access(DEMO, X_OK));
	self->pools = zc_debugfs_value("pools");
	ASSERT_LE(0, self->pools);
}

FIXTURE_TEARDOWN(stage)
{
}

/*
 * Run the demo with a deadline of @timeout_s per pipeline, send the stage
 * @sig as soon as it is seen, and check the demo's end: exit 1, no claim
 * of verified data, the stage named ("<stage>: @how by signal @sig"),
 * none of its processes left, and (the zero-copy pipeline's) pool gone.
 */
static void signal_stage(struct __test_metadata *_metadata, struct demo_run *d,
			 const FIXTURE_VARIANT(stage) *variant, long long pools,
			 unsigned int timeout_s, int sig, const char *how)
{
	char want[96];
	pid_t stage;
	int ret;

	ASSERT_EQ(0, demo_start(d, STAGE_PASSES, timeout_s, NULL));
	stage = await_stage(d->pid, variant->comm, 120);
	if (stage > 0)
		kill(stage, sig);
	ret = demo_finish(d, 120);
	ASSERT_LT(0, stage) TH_LOG("no %s process appeared", variant->comm);
	ASSERT_EQ(0, ret) TH_LOG("the demo was still running; killed it");
	ASSERT_TRUE(WIFEXITED(d->status));
	EXPECT_EQ(1, WEXITSTATUS(d->status));
	snprintf(want, sizeof(want), "%s: %s by signal %d", variant->name, how, sig);
	EXPECT_NE(NULL, strstr(d->out, want)) TH_LOG("no \"%s\" in its output", want);
	EXPECT_EQ(NULL, strstr(d->out, "data verified"));
	EXPECT_EQ(0, scan_procs(0, variant->comm, 0)) TH_LOG("a %s process is left",
							      variant->comm);
	if (variant->pool)
		EXPECT_EQ(pools, pools_settle(pools));
}

TEST_F_TIMEOUT(stage, killed_stage_ends_the_demo, 300)
{
	struct demo_run d;

	/* A deadline far off: only seeing the stage die can end it in time. */
	signal_stage(_metadata, &d, variant, self->pools, 600, SIGKILL, "killed");
}

TEST_F_TIMEOUT(stage, stopped_stage_ends_the_demo_at_its_deadline, 300)
{
	struct demo_run d;

	signal_stage(_metadata, &d, variant, self->pools, 10, SIGSTOP, "stopped");
	EXPECT_NE(NULL, strstr(d.out, "not done after 10 s"));
}

TEST_HARNESS_MAIN
