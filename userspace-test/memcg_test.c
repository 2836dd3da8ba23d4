// SPDX-License-Identifier: GPL-2.0
/*
 * memcg_test: a pool's memory is charged to the memory cgroup of the task
 * that allocates it, so a cgroup's memory.max stops zcpool like any other
 * allocation.
 *
 * A child process joins a fresh cgroup v2 group, opens a pool, drops to an
 * unprivileged user (nobody) and allocates chunk-sized buffers until the
 * pool refuses. The limited run must stop at memory.max plus at most one
 * chunk, with ENOMEM (the documented errno), close to the limit (so it was
 * the limit that stopped it), with memory.current and the VM's available
 * memory both showing the pool's pages. The negative control runs the
 * same judge on a group with no limit, allocating past the same size: it
 * must say "over the limit", proving the judge can fail.
 *
 * A cgroup at memory.max also takes back what a pool holds idle: a pool
 * left with a spare huge buffer, and a second pool of the same task that
 * grows past what fits beside it. Its pages come only once the cgroup's
 * reclaim has the first pool give its spare back (the memcg-aware
 * shrinker). The control keeps the first pool's buffer live: the second
 * pool must then stop short, so the first case needs the give-back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "zcpool_testlib.h"
#include "zcpool_util.h"

#define CGROOT		"/sys/fs/cgroup"
#define LIMIT		(48ULL << 20)
/* The child's own pages, page tables and slab share the limit with the pool. */
#define SLACK		(12ULL << 20)

struct result {
	uint64_t allocated;	/* bytes the pool handed out */
	int error;		/* the errno that stopped it, 0 if none */
	uint64_t memcg_current;	/* memory.current at the peak */
	int64_t avail_drop;	/* zc_mem_available() before minus at the peak, bytes */
	char moved[128];	/* how MemFree and the per-CPU lists moved */
	struct zcpool_stats st;	/* the pool after it stopped */
	int stats_error;	/* STATS failed with this errno */
};

static int cgroup_setup(void)
{
	if (access(CGROOT "/cgroup.controllers", R_OK)) {
		mkdir(CGROOT, 0755);
		if (mount("none", CGROOT, "cgroup2", 0, NULL) && errno != EBUSY)
			return -errno;
	}
	/* The memory controller for the groups below the root. */
	return zc_write_file(CGROOT "/cgroup.subtree_control", "+memory");
}

static int cgroup_make(const char *name, const char *max)
{
	char path[128];

	snprintf(path, sizeof(path), CGROOT "/%s", name);
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), CGROOT "/%s/memory.max", name);
	return zc_write_file(path, max);
}

/* In a child: move this process into @group. */
static int join_group(const char *group)
{
	char path[128], pid[32];

	snprintf(path, sizeof(path), CGROOT "/%s/cgroup.procs", group);
	snprintf(pid, sizeof(pid), "%d", getpid());
	return zc_write_file(path, pid);
}

static uint64_t memcg_current(const char *group)
{
	char path[128];
	uint64_t v = 0;
	FILE *f;

	snprintf(path, sizeof(path), CGROOT "/%s/memory.current", group);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%" SCNu64, &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* The module's chunk size, from a pool's INFO; 0 if the device cannot tell. */
static uint64_t module_chunk_bytes(void)
{
	struct zcpool_info info;
	uint64_t chunk = 0;
	int fd;

	fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (!zc_info(fd, &info))
		chunk = (uint64_t)info.page_size << info.chunk_order;
	close(fd);
	return chunk;
}

/* The exit status of child @pid (128 + the signal that killed it), or -errno. */
static int child_status(pid_t pid)
{
	int status;

	if (pid < 0)
		return -errno;
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * In a child: join @group, open a pool, become nobody, allocate chunks until
 * refused or @stop_at bytes; report through the shared @res.
 */
static void run_child(const char *group, uint64_t chunk, uint64_t page_size, uint64_t stop_at,
		      struct result *res)
{
	uint64_t off, avail0, free0, pcp0, pcp1;
	int fd, ret;

	if (join_group(group))
		_exit(10);
	fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		_exit(11);
	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		_exit(12);
	free0 = zc_meminfo("MemFree");
	avail0 = zc_mem_available(page_size, &pcp0);
	for (;;) {
		if (res->allocated + chunk > stop_at)
			break;
		ret = zc_alloc(fd, chunk, 0, 0, &off);
		if (ret) {
			res->error = -ret;
			break;
		}
		res->allocated += chunk;
	}
	/* What a refusal must leave: the pool as before that call. */
	res->stats_error = zc_stats(fd, &res->st, NULL, 0);
	res->avail_drop = (int64_t)(avail0 - zc_mem_available(page_size, &pcp1));
	snprintf(res->moved, sizeof(res->moved), "MemFree %+lld MiB, per-CPU lists %+lld MiB",
		 (long long)(zc_meminfo("MemFree") - free0) / (1 << 20),
		 (long long)(pcp1 - pcp0) / (1 << 20));
	res->memcg_current = memcg_current(group);
	_exit(0);
}

static int run_in_group(const char *group, uint64_t chunk, uint64_t page_size, uint64_t stop_at,
			struct result *res)
{
	pid_t pid;

	memset(res, 0, sizeof(*res));
	pid = fork();
	if (pid == 0)
		run_child(group, chunk, page_size, stop_at, res);
	return child_status(pid);
}

/* The judge: NULL when @res shows a pool held to @limit, else why not. */
static const char *judge(const struct result *res, uint64_t limit, uint64_t chunk)
{
	if (res->allocated > limit + chunk)
		return "allocated past memory.max plus one chunk";
	if (res->error != ENOMEM)
		return "not stopped with ENOMEM";
	if (res->stats_error)
		return "STATS failed after the refusal";
	if (res->st.live != res->allocated / chunk || res->st.allocs != res->st.live ||
	    res->st.frees || res->st.bytes_requested != res->allocated)
		return "the refused allocation left counts behind";
	if (res->st.bytes_held != res->allocated)
		return "the refused allocation left pages held";
	if (res->allocated + SLACK + chunk < limit)
		return "stopped well below memory.max: not the limit";
	if (res->memcg_current < res->allocated)
		return "memory.current does not include the pool's pages";
	if (res->avail_drop < (int64_t)(res->allocated / 2))
		return "available memory did not drop with the pool's pages";
	return NULL;
}

/*
 * The judge itself, on made-up results: one held to the limit passes, and
 * each of its clauses fails a result made to break that clause alone (the
 * negative control below runs into the first clause only).
 */
TEST(the_judge_fails_each_broken_result)
{
	const uint64_t chunk = 4ULL << 20;
	const struct result held = {
		.allocated = LIMIT - chunk, .error = ENOMEM,
		.memcg_current = LIMIT, .avail_drop = LIMIT - chunk,
		.st = {
			.live = LIMIT / chunk - 1, .allocs = LIMIT / chunk - 1,
			.bytes_requested = LIMIT - chunk, .bytes_held = LIMIT - chunk,
		},
	};
	struct result r;

	EXPECT_EQ(NULL, judge(&held, LIMIT, chunk));
	r = held;
	r.allocated = LIMIT + 2 * chunk;
	r.memcg_current = r.avail_drop = r.allocated;
	EXPECT_STREQ("allocated past memory.max plus one chunk", judge(&r, LIMIT, chunk) ?: "");
	r = held;
	r.error = EDQUOT;
	EXPECT_STREQ("not stopped with ENOMEM", judge(&r, LIMIT, chunk) ?: "");
	r = held;
	r.stats_error = EFAULT;
	EXPECT_STREQ("STATS failed after the refusal", judge(&r, LIMIT, chunk) ?: "");
	r = held;
	r.st.live++;
	r.st.allocs++;
	EXPECT_STREQ("the refused allocation left counts behind", judge(&r, LIMIT, chunk) ?: "");
	r = held;
	r.st.bytes_held += chunk / 2;
	EXPECT_STREQ("the refused allocation left pages held", judge(&r, LIMIT, chunk) ?: "");
	r = held;
	r.allocated = LIMIT - SLACK - 2 * chunk;
	r.st.live = r.st.allocs = r.allocated / chunk;
	r.st.bytes_requested = r.st.bytes_held = r.allocated;
	EXPECT_STREQ("stopped well below memory.max: not the limit", judge(&r, LIMIT, chunk) ?: "");
	r = held;
	r.memcg_current = r.allocated - 1;
	EXPECT_STREQ("memory.current does not include the pool's pages",
		     judge(&r, LIMIT, chunk) ?: "");
	r = held;
	r.avail_drop = r.allocated / 2 - 1;
	EXPECT_STREQ("available memory did not drop with the pool's pages",
		     judge(&r, LIMIT, chunk) ?: "");
}

TEST(memory_max_stops_a_pool)
{
	struct zcpool_info info;
	struct result *res;
	uint64_t chunk;
	const char *limited_verdict, *control_verdict;
	char max[32];
	int fd, ret;

	fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, zc_info(fd, &info));
	close(fd);
	if (!(info.features & ZCPOOL_FEATURE_ALLOC))
		SKIP(return, "the module has no alloc");
	chunk = (uint64_t)info.page_size << info.chunk_order;
	ret = cgroup_setup();
	if (ret)
		SKIP(return, "no cgroup v2 memory controller here (%d)", ret);
	snprintf(max, sizeof(max), "%llu", (unsigned long long)LIMIT);
	ASSERT_EQ(0, cgroup_make("zcpool-limited", max));
	ASSERT_EQ(0, cgroup_make("zcpool-control", "max"));
	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);

	/* Limited: allocate until refused (at most twice the limit, to stay safe). */
	ASSERT_EQ(0, run_in_group("zcpool-limited", chunk, info.page_size, 2 * LIMIT, res));
	limited_verdict = judge(res, LIMIT, chunk);
	zc_figures("memcg: memory.max %llu MiB: stopped at %llu MiB with %s, memory.current %llu MiB, available -%lld MiB (%s): %s",
		   (unsigned long long)(LIMIT >> 20), (unsigned long long)(res->allocated >> 20),
		   res->error ? strerror(res->error) : "no error",
		   (unsigned long long)(res->memcg_current >> 20),
		   (long long)(res->avail_drop >> 20), res->moved,
		   limited_verdict ?: "held to the limit");
	EXPECT_EQ(NULL, limited_verdict) TH_LOG("%s", limited_verdict);

	/* Negative control: no limit, the same judge must fail the run. */
	ASSERT_EQ(0, run_in_group("zcpool-control", chunk, info.page_size, LIMIT + 3 * chunk, res));
	control_verdict = judge(res, LIMIT, chunk);
	zc_figures("memcg negative control: no memory.max: %llu MiB allocated; the judge says: %s",
		   (unsigned long long)(res->allocated >> 20), control_verdict ?: "held (WRONG)");
	/* For the reason that shows the limit at work, not any other. */
	EXPECT_STREQ("allocated past memory.max plus one chunk", control_verdict ?: "")
		TH_LOG("the control failed otherwise: %s", control_verdict ?: "it held");

	rmdir(CGROOT "/zcpool-limited");
	rmdir(CGROOT "/zcpool-control");
}

#define RECLAIM_LIMIT	(64ULL << 20)
#define RECLAIM_IDLE	(24ULL << 20)

struct reclaim_result {
	int stage;		/* how far the child got: 3 is all the way */
	int error;		/* the errno that stopped the second pool, 0 if none */
	uint64_t held_before;	/* the first pool's bytes_held, its buffer freed (or live) */
	uint64_t want;		/* bytes the second pool was to reach */
	uint64_t allocated;	/* bytes it reached */
	uint64_t held_after;	/* the first pool's bytes_held then */
};

/*
 * In a child in @group: a first pool holds RECLAIM_IDLE bytes, idle (a
 * spare) or, with @keep_live, live; a second pool then grows by what is
 * left under memory.max plus half of those bytes, in chunk-sized buffers.
 */
static void reclaim_child(const char *group, uint64_t chunk, bool keep_live,
			  struct reclaim_result *res)
{
	struct zcpool_stats st;
	int first, second, ret;
	uint64_t off;

	if (join_group(group))
		_exit(10);
	first = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	second = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	if (first < 0 || second < 0)
		_exit(11);
	if (zc_alloc(first, RECLAIM_IDLE, 0, 0, &off))
		_exit(12);
	if (!keep_live && zc_free(first, off))
		_exit(13);
	if (zc_stats(first, &st, NULL, 0))
		_exit(14);
	res->held_before = st.bytes_held;
	res->stage = 1;
	res->want = RECLAIM_LIMIT - memcg_current(group) + RECLAIM_IDLE / 2;
	while (res->allocated < res->want) {
		ret = zc_alloc(second, chunk, 0, 0, &off);
		if (ret) {
			res->error = -ret;
			break;
		}
		res->allocated += chunk;
	}
	res->stage = 2;
	if (zc_stats(first, &st, NULL, 0))
		_exit(15);
	res->held_after = st.bytes_held;
	res->stage = 3;
	_exit(0);
}

static int reclaim_in_group(const char *group, uint64_t chunk, bool keep_live,
			    struct reclaim_result *res)
{
	pid_t pid;

	memset(res, 0, sizeof(*res));
	pid = fork();
	if (pid == 0)
		reclaim_child(group, chunk, keep_live, res);
	return child_status(pid);
}

TEST(memory_max_takes_back_what_a_pool_holds_idle)
{
	uint64_t chunk = module_chunk_bytes();
	struct reclaim_result *res;
	char max[32];
	int ret;

	ASSERT_NE(0, chunk);
	ret = cgroup_setup();
	if (ret)
		SKIP(return, "no cgroup v2 memory controller here (%d)", ret);
	snprintf(max, sizeof(max), "%llu", (unsigned long long)RECLAIM_LIMIT);
	ASSERT_EQ(0, cgroup_make("zcpool-reclaim", max));
	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);

	/* The first pool's buffer freed: its spare must go back for the second. */
	ASSERT_EQ(0, reclaim_in_group("zcpool-reclaim", chunk, false, res));
	zc_figures("memcg reclaim: memory.max %llu MiB, first pool %llu MiB idle; second pool asked %llu MiB, got %llu MiB (%s); first pool then held %llu MiB",
		   (unsigned long long)(RECLAIM_LIMIT >> 20),
		   (unsigned long long)(res->held_before >> 20),
		   (unsigned long long)(res->want >> 20),
		   (unsigned long long)(res->allocated >> 20),
		   res->error ? strerror(res->error) : "no error",
		   (unsigned long long)(res->held_after >> 20));
	ASSERT_EQ(3, res->stage);
	/* The setup: the spare is there to give back. */
	ASSERT_LE(RECLAIM_IDLE, res->held_before);
	EXPECT_EQ(0, res->error);
	EXPECT_LE(res->want, res->allocated);
	EXPECT_GE(res->held_before - RECLAIM_IDLE / 2, res->held_after);

	/* Control: the same with the buffer live; the second pool stops short. */
	ASSERT_EQ(0, reclaim_in_group("zcpool-reclaim", chunk, true, res));
	zc_figures("memcg reclaim control: first pool %llu MiB live; second pool asked %llu MiB, got %llu MiB (%s)",
		   (unsigned long long)(res->held_before >> 20),
		   (unsigned long long)(res->want >> 20),
		   (unsigned long long)(res->allocated >> 20),
		   res->error ? strerror(res->error) : "no error");
	ASSERT_EQ(3, res->stage);
	EXPECT_EQ(ENOMEM, res->error);
	EXPECT_GT(res->want, res->allocated);
	EXPECT_EQ(res->held_before, res->held_after);

	rmdir(CGROOT "/zcpool-reclaim");
}

#define OWNER_GROWTH	(16ULL << 20)

struct owner_result {
	int stage;		/* 2 is all the way */
	uint64_t owner0, owner1;	/* the creating cgroup's memory.current */
	uint64_t user0, user1;		/* the cgroup the task moved to */
};

/*
 * In a child: open a pool in "zcpool-owner", move to "zcpool-user", then
 * grow the pool by OWNER_GROWTH in chunk-sized buffers.
 */
static void owner_child(uint64_t chunk, struct owner_result *res)
{
	uint64_t off, done;
	int fd;

	if (join_group("zcpool-owner"))
		_exit(10);
	fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		_exit(11);
	if (join_group("zcpool-user"))
		_exit(12);
	res->owner0 = memcg_current("zcpool-owner");
	res->user0 = memcg_current("zcpool-user");
	res->stage = 1;
	for (done = 0; done < OWNER_GROWTH; done += chunk)
		if (zc_alloc(fd, chunk, 0, 0, &off))
			_exit(13);
	res->owner1 = memcg_current("zcpool-owner");
	res->user1 = memcg_current("zcpool-user");
	res->stage = 2;
	_exit(0);
}

/*
 * A pool grows in the cgroup of the task that created it, not in that of
 * the task whose call makes it grow (here the same task, moved to another
 * cgroup after the open; as for a pool passed to a process elsewhere).
 */
TEST(a_pool_grows_in_the_cgroup_that_created_it)
{
	uint64_t chunk = module_chunk_bytes();
	struct owner_result *res;
	pid_t pid;
	int ret;

	ASSERT_NE(0, chunk);
	ret = cgroup_setup();
	if (ret)
		SKIP(return, "no cgroup v2 memory controller here (%d)", ret);
	ASSERT_EQ(0, cgroup_make("zcpool-owner", "max"));
	ASSERT_EQ(0, cgroup_make("zcpool-user", "max"));
	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	pid = fork();
	if (pid == 0)
		owner_child(chunk, res);
	ASSERT_EQ(0, child_status(pid));
	ASSERT_EQ(2, res->stage);
	zc_figures("memcg owner: the pool grew by %llu MiB: its creator's cgroup by %+lld MiB, the cgroup of the task that asked by %+lld MiB",
		   (unsigned long long)(OWNER_GROWTH >> 20),
		   (long long)(res->owner1 - res->owner0) / (1 << 20),
		   (long long)(res->user1 - res->user0) / (1 << 20));
	EXPECT_LE(OWNER_GROWTH, res->owner1 - res->owner0);
	/* The moved task's own pages (stack, page tables) only. */
	EXPECT_GT((int64_t)(OWNER_GROWTH / 4), (int64_t)(res->user1 - res->user0));
	rmdir(CGROOT "/zcpool-owner");
	rmdir(CGROOT "/zcpool-user");
}

TEST_HARNESS_MAIN
