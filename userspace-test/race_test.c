// SPDX-License-Identifier: GPL-2.0
/*
 * race_test: many threads and processes on one pool at once, and race
 * windows held open with userfaultfd.
 *
 *  - threads_and_processes_share_one_pool: at least 4 threads (one per CPU)
 *    and 2 forked processes hammer one pool with ALLOC, FREE, the batches,
 *    mmap/munmap of their buffers, dup/close of the pool fd and fork (a
 *    child of a threaded process checks its inherited mappings and
 *    allocates and frees one buffer). Each worker frees only what it
 *    allocated and checks every byte pattern before freeing; every success
 *    is counted in shared memory. At the end STATS must equal the counts
 *    exactly (allocs, frees, nothing live, nothing requested).
 *  - uffd_stalls_batch_copies: the user arrays of FREE_BATCH, ALLOC_BATCH
 *    and the STATS copy-out sit on pages registered with userfaultfd, so
 *    the kernel stalls inside copy_from_user/copy_to_user while another
 *    thread frees the same offsets, lowers the cap, closes a dup of the fd,
 *    unmaps and allocates. Each command must then report exactly what it
 *    did (entries [0, done) only), and the counters must add up.
 *  - a_killed_alloc_batch_reports_what_it_made: children killed with
 *    SIGKILL at points through an ALLOC_BATCH of fresh huge buffers: the
 *    batch stops with EINTR where it was, its header (in shared memory)
 *    says how many it made, and exactly those are live in the pool.
 *  - a_killed_huge_alloc_leaves_nothing: the same for one large ALLOC,
 *    whose stopped fill must give back every page it took.
 *
 * ZCPOOL_SEED replays the random choices; ZCPOOL_OPS is the operations per
 * worker (default 150); ZCPOOL_SECONDS, if set, runs the workers that long
 * instead (make soak). Scheduling is not replayable; the counts are exact
 * whatever the interleaving.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "zcpool_testlib.h"
#include "zcpool_util.h"

#define MAX_WORKERS	16
#define NR_PROCS	2
#define MAX_LIVE	128
#define BATCH		32

/* Shared by every thread and process of the test (MAP_SHARED | MAP_ANONYMOUS). */
struct tally {
	uint64_t allocs, frees, ops, forks, dups, maps;
	uint64_t refused, mismatches;
};

static struct tally *tally;
static int pool_fd;
static uint64_t page_size, chunk_size;
static bool has_mmap;	/* without it, only the commands and counters are checked */
static unsigned long ops_per_worker;
static double deadline;

static void count(uint64_t *field, uint64_t n)
{
	__atomic_fetch_add(field, n, __ATOMIC_RELAXED);
}

#define MISMATCH(fmt, ...)						\
	do {								\
		if (__atomic_fetch_add(&tally->mismatches, 1, __ATOMIC_RELAXED) < 10) \
			fprintf(stderr, "# race: line %d: " fmt "\n", __LINE__, ##__VA_ARGS__); \
	} while (0)

struct buf {
	uint64_t off, size, tag;
	uint8_t *map;
	uint64_t map_off, map_len;
};

struct worker {
	struct zc_rng rng;
	struct buf live[MAX_LIVE];
	unsigned int nr;
	int fd;			/* the pool fd, or a dup of it for a while */
	int dup_left;
	unsigned int id;
};

static uint64_t page_down(uint64_t x)
{
	return x & ~(page_size - 1);
}

static uint64_t page_up(uint64_t x)
{
	return (x + page_size - 1) & ~(page_size - 1);
}

static uint64_t random_size(struct zc_rng *r)
{
	switch (zc_rng_below(r, 8)) {
	case 0: return 1 + zc_rng_below(r, 128);
	case 1: case 2: case 3: return 1 + zc_rng_below(r, 8 * page_size);
	case 4: case 5: return 8 * page_size + 1 + zc_rng_below(r, 64 * page_size);
	/* Chunk-sized and huge ones make and release whole chunks: rarer. */
	case 6: return zc_rng_below(r, 8) ? 1 + zc_rng_below(r, 16 * page_size)
					  : 1 + zc_rng_below(r, chunk_size);
	default: return zc_rng_below(r, 64) ? 1 + zc_rng_below(r, 4096)
					    : chunk_size + 1 + zc_rng_below(r, chunk_size);
	}
}

/*
 * Pattern bytes at the start and end of the buffer, and at the start of up
 * to 8 pages spread over it (each page touched is a fault, the slow part
 * on a debug kernel).
 */
static void touch(struct buf *b, bool write)
{
	uint8_t *base = b->map + (b->off - b->map_off);
	uint64_t stride = page_up(b->size / 8 + 1), pos, i;

	for (pos = 0; pos < b->size; pos = pos + stride - (b->off + pos) % page_size) {
		for (i = pos; i < b->size && i < pos + 32; i++) {
			uint8_t want = zc_tag_pattern_byte(b->tag, i);

			if (write)
				base[i] = want;
			else if (base[i] != want) {
				MISMATCH("buffer %#llx+%llu byte %llu: %#x, want %#x",
					 (unsigned long long)b->off, (unsigned long long)b->size,
					 (unsigned long long)i, base[i], want);
				return;
			}
		}
	}
	for (i = b->size > 32 ? b->size - 32 : 0; i < b->size; i++) {
		uint8_t want = zc_tag_pattern_byte(b->tag, i);

		if (write)
			base[i] = want;
		else if (base[i] != want) {
			MISMATCH("buffer %#llx tail byte %llu changed", (unsigned long long)b->off,
				 (unsigned long long)i);
			return;
		}
	}
}

static int map_buf(struct worker *w, struct buf *b)
{
	if (!has_mmap)
		return -ENODEV;
	b->map_off = page_down(b->off);
	b->map_len = page_up(b->off + b->size) - b->map_off;
	b->map = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, w->fd, b->map_off);
	if (b->map == MAP_FAILED) {
		b->map = NULL;
		return -errno;
	}
	count(&tally->maps, 1);
	return 0;
}

static void adopt(struct worker *w, uint64_t off, uint64_t size)
{
	struct buf *b = &w->live[w->nr++];

	count(&tally->allocs, 1);
	b->off = off;
	b->size = size;
	b->tag = zc_rng_next(&w->rng);
	b->map = NULL;
	if (!has_mmap)
		return;
	if (map_buf(w, b)) {
		MISMATCH("mmap of a live buffer failed");
		return;
	}
	touch(b, true);
	if (zc_rng_below(&w->rng, 2)) {
		munmap(b->map, b->map_len);
		b->map = NULL;
	}
}

static void release_buf(struct worker *w, unsigned int i, bool freed)
{
	struct buf *b = &w->live[i];

	if (b->map)
		munmap(b->map, b->map_len);
	if (freed)
		count(&tally->frees, 1);
	*b = w->live[--w->nr];
}

static void check_buf(struct worker *w, struct buf *b)
{
	if (!has_mmap)
		return;
	if (!b->map && map_buf(w, b)) {
		MISMATCH("mmap of a live buffer failed");
		return;
	}
	touch(b, false);
}

/*
 * A pool near its cap, or the kernel out of memory: legitimate answers, but
 * counted: threads_and_processes_share_one_pool wants them rare.
 */
static bool acceptable(int ret)
{
	if (ret != -EDQUOT && ret != -ENOMEM)
		return false;
	count(&tally->refused, 1);
	return true;
}

static void worker_op(struct worker *w)
{
	unsigned int r = zc_rng_below(&w->rng, 100), i, n;
	uint64_t off, size;
	int ret;

	if (r < 30 && w->nr < MAX_LIVE) {
		size = random_size(&w->rng);
		ret = zc_alloc(w->fd, size, 0, zc_rng_below(&w->rng, 4) ? 0 : ZCPOOL_ALLOC_ZERO, &off);
		if (!ret)
			adopt(w, off, size);
		else if (!acceptable(ret))
			MISMATCH("alloc(%llu) = %d", (unsigned long long)size, ret);
	} else if (r < 55 && w->nr) {
		i = zc_rng_below(&w->rng, w->nr);
		check_buf(w, &w->live[i]);
		ret = zc_free(w->fd, w->live[i].off);
		if (ret)
			MISMATCH("free(%#llx) of a live buffer = %d",
				 (unsigned long long)w->live[i].off, ret);
		release_buf(w, i, !ret);
	} else if (r < 62 && w->nr + BATCH <= MAX_LIVE) {
		struct zcpool_alloc items[BATCH] = { 0 };
		struct zcpool_batch b = { .items = (uintptr_t)items };

		n = 1 + zc_rng_below(&w->rng, BATCH);
		for (i = 0; i < n; i++)
			items[i].size = 1 + zc_rng_below(&w->rng, 3 * page_size);
		b.count = n;
		ret = zc_ioctl(w->fd, ZCPOOL_IOC_ALLOC_BATCH, &b);
		if (ret || b.done > n || (b.done < n && !acceptable(b.error))) {
			MISMATCH("alloc batch of %u = %d, done %u, error %d", n, ret, b.done, b.error);
			return;
		}
		for (i = 0; i < b.done; i++)
			adopt(w, items[i].offset, items[i].size);
	} else if (r < 69 && w->nr) {
		uint64_t offs[BATCH];
		struct zcpool_batch b = { .items = (uintptr_t)offs };

		n = 1 + zc_rng_below(&w->rng, min_t(unsigned int, w->nr, BATCH));
		/* the last n buffers */
		for (i = 0; i < n; i++) {
			check_buf(w, &w->live[w->nr - 1 - i]);
			offs[i] = w->live[w->nr - 1 - i].off;
		}
		b.count = n;
		ret = zc_ioctl(w->fd, ZCPOOL_IOC_FREE_BATCH, &b);
		if (ret || b.done != n)
			MISMATCH("free batch of %u = %d, done %u, error %d", n, ret, b.done, b.error);
		for (i = 0; !ret && i < b.done && i < n; i++)
			release_buf(w, w->nr - 1, true);
	} else if (r < 80 && w->nr) {
		/* map, check, unmap: races with the others' frees and unmaps */
		struct buf *b = &w->live[zc_rng_below(&w->rng, w->nr)];

		check_buf(w, b);
		if (zc_rng_below(&w->rng, 2)) {
			munmap(b->map, b->map_len);
			b->map = NULL;
		}
	} else if (r < 85) {
		struct zcpool_stats st;

		ret = zc_stats(w->fd, &st, NULL, 0);
		if (ret || st.live > st.allocs || st.bytes_held < st.bytes_requested)
			MISMATCH("stats = %d: live %llu allocs %llu held %llu requested %llu", ret,
				 (unsigned long long)st.live, (unsigned long long)st.allocs,
				 (unsigned long long)st.bytes_held,
				 (unsigned long long)st.bytes_requested);
	} else if (r < 92) {
		/* work through a dup of the fd for a while, then close it */
		if (w->fd == pool_fd) {
			w->fd = dup(pool_fd);
			w->dup_left = 1 + zc_rng_below(&w->rng, 20);
			count(&tally->dups, 1);
			if (w->fd < 0)
				w->fd = pool_fd;
		}
	} else if (r < 93) {
		/* fork from a threaded process: the child sees this worker's buffers */
		pid_t pid = fork();
		int status = 0;

		if (pid == 0) {
			struct worker child = *w;

			child.nr = 0;
			for (i = 0; i < w->nr; i++)
				if (w->live[i].map)
					touch(&w->live[i], false);
			ret = zc_alloc(w->fd, 100, 0, 0, &off);
			if (!ret) {
				adopt(&child, off, 100);
				check_buf(&child, &child.live[0]);
				if (zc_free(w->fd, off))
					MISMATCH("child's free failed");
				else
					release_buf(&child, 0, true);
			} else if (!acceptable(ret)) {
				MISMATCH("child's alloc(100) = %d", ret);
			}
			_exit(0);
		}
		if (pid > 0) {
			/* The child reads the mappings it inherited: a signal there is a failure. */
			if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
			    WEXITSTATUS(status))
				MISMATCH("forked child ended with status %#x", status);
			count(&tally->forks, 1);
		}
	}
	if (w->fd != pool_fd && --w->dup_left <= 0) {
		/* mappings made through the dup keep working after its close */
		close(w->fd);
		w->fd = pool_fd;
	}
}

static bool worker_done(unsigned long op)
{
	if (deadline)
		return zc_now() >= deadline;
	return op >= ops_per_worker;
}

static void worker_run(struct worker *w)
{
	unsigned long op;

	for (op = 0; !worker_done(op); op++)
		worker_op(w);
	count(&tally->ops, op);
	while (w->nr) {
		check_buf(w, &w->live[w->nr - 1]);
		if (zc_free(w->fd, w->live[w->nr - 1].off))
			MISMATCH("final free failed");
		release_buf(w, w->nr - 1, true);
	}
	if (w->fd != pool_fd)
		close(w->fd);
}

static void *worker_thread(void *arg)
{
	worker_run(arg);
	return NULL;
}

static int setup_pool(struct __test_metadata *_metadata)
{
	struct zcpool_info info;

	pool_fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	if (pool_fd < 0 || zc_info(pool_fd, &info))
		return -1;
	page_size = info.page_size;
	chunk_size = (uint64_t)info.page_size << info.chunk_order;
	tally = mmap(NULL, sizeof(*tally), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	if (tally == MAP_FAILED)
		return -1;
	memset(tally, 0, sizeof(*tally));
	ops_per_worker = zc_env_ulong("ZCPOOL_OPS", 150);
	deadline = zc_env_ulong("ZCPOOL_SECONDS", 0) ? zc_now() + zc_env_ulong("ZCPOOL_SECONDS", 0)
						     : 0;
	has_mmap = info.features & ZCPOOL_FEATURE_MMAP;
	if (!has_mmap)
		printf("# race: no mmap in this module: commands and counters only\n");
	return (info.features & ZCPOOL_FEATURE_BATCH) ? 0 : 1;
}

/* STATS against the tally: exact, once everybody is done. */
static void check_accounting(struct __test_metadata *_metadata, int fd, uint64_t base_allocs,
			     uint64_t base_frees)
{
	struct zcpool_stats st;

	ASSERT_EQ(0, zc_stats(fd, &st, NULL, 0));
	EXPECT_EQ(tally->allocs, st.allocs - base_allocs);
	EXPECT_EQ(tally->frees, st.frees - base_frees);
	EXPECT_EQ(0, st.live);
	EXPECT_EQ(0, st.bytes_requested);
	EXPECT_EQ(0, st.runs_live);
	EXPECT_EQ(0, st.huge_live);
}

FIXTURE(race) {
	int unused;
};

FIXTURE_SETUP(race)
{
}

FIXTURE_TEARDOWN(race)
{
}

TEST_F_TIMEOUT(race, threads_and_processes_share_one_pool, 600)
{
	static struct worker workers[MAX_WORKERS + NR_PROCS];
	unsigned int nr_threads, i;
	pthread_t tids[MAX_WORKERS];
	pid_t pids[NR_PROCS];
	uint64_t seed = zc_seed();
	long long held;
	double t0 = zc_now();
	int status, ret;

	ret = setup_pool(_metadata);
	ASSERT_LE(0, ret);
	if (ret)
		SKIP(return, "the module has no batches");
	nr_threads = sysconf(_SC_NPROCESSORS_ONLN);
	nr_threads = nr_threads < 4 ? 4 : nr_threads > MAX_WORKERS ? MAX_WORKERS : nr_threads;
	printf("# race: seed %#llx, %u threads + %d processes, %lu ops each%s\n",
	       (unsigned long long)seed, nr_threads, NR_PROCS, ops_per_worker,
	       deadline ? " (or until ZCPOOL_SECONDS)" : "");
	for (i = 0; i < nr_threads + NR_PROCS; i++) {
		workers[i].rng.state = seed + i * 0x1000193ULL;
		workers[i].fd = pool_fd;
		workers[i].id = i;
	}
	for (i = 0; i < NR_PROCS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			worker_run(&workers[nr_threads + i]);
			_exit(0);
		}
	}
	for (i = 0; i < nr_threads; i++)
		ASSERT_EQ(0, pthread_create(&tids[i], NULL, worker_thread, &workers[i]));
	for (i = 0; i < nr_threads; i++)
		pthread_join(tids[i], NULL);
	for (i = 0; i < NR_PROCS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	check_accounting(_metadata, pool_fd, 0, 0);
	close(pool_fd);
	held = zc_debugfs_value("total_held");
	zc_figures("concurrency: %u threads + %d processes on %ld CPUs, %llu ops in %.0f s (%llu allocs, %llu refused, %llu frees, %llu maps, %llu dups closed, %llu forks), seed %#llx, %llu mismatches, pool back to 0 live / 0 bytes, %lld pages leaked",
		   nr_threads, NR_PROCS, sysconf(_SC_NPROCESSORS_ONLN),
		   (unsigned long long)tally->ops, zc_now() - t0,
		   (unsigned long long)tally->allocs, (unsigned long long)tally->refused,
		   (unsigned long long)tally->frees,
		   (unsigned long long)tally->maps, (unsigned long long)tally->dups,
		   (unsigned long long)tally->forks, (unsigned long long)seed,
		   (unsigned long long)tally->mismatches,
		   held < 0 ? held : held / (long long)page_size);
	EXPECT_EQ(0, tally->mismatches);
	/*
	 * The workers hold a few dozen MiB at most, far under the default
	 * caps (half the RAM): a refusal here is the page allocator failing
	 * a chunk, which a VM this size should not see often. A module that
	 * refused under contention would have these checks pass on a handful
	 * of allocations.
	 */
	EXPECT_GE(tally->allocs / 100, tally->refused);
	EXPECT_LE(tally->ops / 5, tally->allocs);
	ASSERT_LE(0, held) TH_LOG("debugfs total_held unreadable");
	EXPECT_GE(0, held) TH_LOG("the module still holds %lld bytes with no pool open", held);
}

ZC_SCALE_TIMEOUT(race, threads_and_processes_share_one_pool)

/* --- userfaultfd: hold a copy_{from,to}_user of the kernel open ------------ */

struct stall {
	int uffd;
	uint8_t *lead;		/* an ordinary page right before area */
	uint8_t *area;		/* registered, not yet populated: the kernel faults */
	uint8_t content[4096];	/* what the page gets once released */
	int stalled[2];		/* pipe: the handler says the kernel is stuck */
	int release[2];		/* pipe: the test lets it go */
	pthread_t handler;
	unsigned long stalls;
};

static void *stall_handler(void *arg)
{
	struct stall *s = arg;
	struct uffd_msg msg;
	struct pollfd pfd = { .fd = s->uffd, .events = POLLIN };
	char c;

	for (;;) {
		if (poll(&pfd, 1, -1) < 0 || read(s->uffd, &msg, sizeof(msg)) != sizeof(msg))
			return NULL;
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		s->stalls++;
		if (write(s->stalled[1], "s", 1) != 1 || read(s->release[0], &c, 1) != 1)
			return NULL;
		if (c == 'q')
			return NULL;
		{
			struct uffdio_copy copy = {
				.dst = msg.arg.pagefault.address & ~(uint64_t)(page_size - 1),
				.src = (uintptr_t)s->content,
				.len = page_size,
			};

			if (ioctl(s->uffd, UFFDIO_COPY, &copy))
				return NULL;
		}
	}
}

static int stall_init(struct stall *s)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	memset(s, 0, sizeof(*s));
	s->uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (s->uffd < 0)
		return -errno;
	if (ioctl(s->uffd, UFFDIO_API, &api))
		return -errno;
	s->lead = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (s->lead == MAP_FAILED)
		return -errno;
	s->area = s->lead + page_size;
	reg.range.start = (uintptr_t)s->area;
	reg.range.len = page_size;
	if (ioctl(s->uffd, UFFDIO_REGISTER, &reg))
		return -errno;
	if (pipe(s->stalled) || pipe(s->release))
		return -errno;
	return pthread_create(&s->handler, NULL, stall_handler, s) ? -EAGAIN : 0;
}

/* Make the page missing again, so that the next copy stalls too. */
static void stall_rearm(struct stall *s)
{
	madvise(s->area, page_size, MADV_DONTNEED);
}

static void stall_wait(struct stall *s)
{
	char c;

	if (read(s->stalled[0], &c, 1) != 1)
		MISMATCH("the uffd handler died");
}

static void stall_release(struct stall *s)
{
	if (write(s->release[1], "g", 1) != 1)
		MISMATCH("cannot release the stall");
}

static void stall_fini(struct stall *s)
{
	if (write(s->release[1], "q", 1) == 1)
		close(s->uffd);
	pthread_cancel(s->handler);
	pthread_join(s->handler, NULL);
}

/*
 * The pool (setup_pool()) and a userfaultfd stall, for the tests that hold
 * a copy open: NULL once both are ready, else why the test must skip.
 */
static const char *setup_stall(struct __test_metadata *_metadata, struct stall *s)
{
	int ret = setup_pool(_metadata);

	ASSERT_LE(0, ret);
	if (ret)
		return "the module has no batches";
	ret = stall_init(s);
	if (ret == -ENOSYS || ret == -EPERM)
		return "no userfaultfd here";
	ASSERT_EQ(0, ret);
	return NULL;
}

struct stalled_call {
	int fd;
	unsigned long cmd;
	void *arg;
	int ret;
	pthread_t thread;
};

static void *stalled_call_run(void *arg)
{
	struct stalled_call *c = arg;

	c->ret = zc_ioctl(c->fd, c->cmd, c->arg);
	return NULL;
}

static void stalled_start(struct stalled_call *c, int fd, unsigned long cmd, void *arg)
{
	c->fd = fd;
	c->cmd = cmd;
	c->arg = arg;
	pthread_create(&c->thread, NULL, stalled_call_run, c);
}

TEST_F_TIMEOUT(race, uffd_stalls_batch_copies, 300)
{
	uint64_t offs[BATCH], off, held_before;
	struct zcpool_stats st, *stp;
	struct stalled_call call;
	struct stall s;
	unsigned int i, rounds = 0;
	int ret, dupfd;
	const char *why;
	uint8_t *map;
	double t0 = zc_now();
	long long held;

	why = setup_stall(_metadata, &s);
	if (why)
		SKIP(return, "%s", why);

	for (rounds = 0; rounds < 8; rounds++) {
		/*
		 * 1. FREE_BATCH stalls reading its offsets; meanwhile the first
		 *    half is freed one by one, a dup of the fd is closed and a
		 *    mapping goes. The batch then meets a freed entry first:
		 *    done 0, -EINVAL, and it freed nothing.
		 */
		for (i = 0; i < BATCH; i++) {
			ASSERT_EQ(0, zc_alloc(pool_fd, 1 + (i * 977) % (3 * page_size), 0, 0,
					      &offs[i]));
			count(&tally->allocs, 1);
		}
		map = has_mmap ? mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED, pool_fd,
				      page_down(offs[0])) : NULL;
		ASSERT_NE(MAP_FAILED, map);
		dupfd = dup(pool_fd);
		memcpy(s.content, offs, sizeof(offs));
		stall_rearm(&s);
		{
			static struct zcpool_batch b;

			memset(&b, 0, sizeof(b));
			b.items = (uintptr_t)s.area;
			b.count = BATCH;
			stalled_start(&call, dupfd, ZCPOOL_IOC_FREE_BATCH, &b);
			stall_wait(&s);
			for (i = 0; i < BATCH / 2; i++) {
				EXPECT_EQ(0, zc_free(pool_fd, offs[i]));
				count(&tally->frees, 1);
			}
			if (map)
				munmap(map, page_size);
			close(dupfd);
			stall_release(&s);
			pthread_join(call.thread, NULL);
			EXPECT_EQ(0, call.ret);
			EXPECT_EQ(0, b.done);
			EXPECT_EQ(-EINVAL, b.error);
		}
		/* The second half is still live: free it as a batch (no stall now). */
		{
			struct zcpool_batch b = { .items = (uintptr_t)&offs[BATCH / 2],
						  .count = BATCH / 2 };

			EXPECT_EQ(0, zc_ioctl(pool_fd, ZCPOOL_IOC_FREE_BATCH, &b));
			EXPECT_EQ(BATCH / 2, b.done);
			count(&tally->frees, b.done);
		}

		/*
		 * 2. ALLOC_BATCH stalls reading its items; meanwhile the cap is
		 *    lowered to what the pool holds plus two chunks. The batch
		 *    then stops at the cap: entries [0, done) are live, the rest
		 *    untouched, -EDQUOT. A pool of its own, so that the lowered
		 *    cap binds nothing else.
		 */
		{
			static struct zcpool_batch b;
			struct zcpool_alloc *items = (struct zcpool_alloc *)s.content;
			unsigned int n = 4096 / sizeof(*items);
			struct zcpool_limits l;
			int cap_fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);

			ASSERT_LE(0, cap_fd);
			memset(s.content, 0, sizeof(s.content));
			for (i = 0; i < n; i++)
				items[i].size = page_size * (64 + i % 64);
			stall_rearm(&s);
			memset(&b, 0, sizeof(b));
			b.items = (uintptr_t)s.area;
			b.count = n;
			stalled_start(&call, cap_fd, ZCPOOL_IOC_ALLOC_BATCH, &b);
			stall_wait(&s);
			ASSERT_EQ(0, zc_stats(cap_fd, &st, NULL, 0));
			held_before = st.bytes_held;
			ret = zc_limits(cap_fd, held_before + 2 * chunk_size, 0, &l);
			EXPECT_EQ(0, ret);
			stall_release(&s);
			pthread_join(call.thread, NULL);
			EXPECT_EQ(0, call.ret);
			EXPECT_GT(n, b.done);
			EXPECT_EQ(-EDQUOT, b.error);
			/* the kernel wrote offsets into the (now populated) page */
			items = (struct zcpool_alloc *)s.area;
			ASSERT_EQ(0, zc_stats(cap_fd, &st, NULL, 0));
			EXPECT_EQ(b.done, st.live);
			EXPECT_GE(l.max_bytes, st.bytes_held);
			for (i = 0; i < b.done; i++)
				EXPECT_EQ(0, zc_free(cap_fd, items[i].offset));
			ASSERT_EQ(0, zc_stats(cap_fd, &st, NULL, 0));
			EXPECT_EQ(0, st.live);
			EXPECT_EQ(b.done, st.allocs);
			close(cap_fd);
		}

		/*
		 * 3. STATS stalls writing its class array out; meanwhile another
		 *    thread allocates and frees. The copy-out completes with a
		 *    consistent snapshot or fails with EFAULT; never garbage:
		 *    the three buffers live throughout, at most the other
		 *    thread's one more, and the classes sum to the live count.
		 */
		{
			static const uint64_t held_sizes[] = { 16, 100, 1000 };
			static struct zcpool_stats sb;
			uint64_t *classes = (uint64_t *)s.area, held_offs[ARRAY_SIZE(held_sizes)];

			for (i = 0; i < ARRAY_SIZE(held_sizes); i++) {
				ASSERT_EQ(0, zc_alloc(pool_fd, held_sizes[i], 0, 0, &held_offs[i]));
				count(&tally->allocs, 1);
			}
			memset(s.content, 0xa5, sizeof(s.content));
			stall_rearm(&s);
			memset(&sb, 0, sizeof(sb));
			sb.class_live = (uintptr_t)classes;
			sb.nr_classes = 64;
			stalled_start(&call, pool_fd, ZCPOOL_IOC_STATS, &sb);
			stall_wait(&s);
			for (i = 0; i < 16; i++) {
				ASSERT_EQ(0, zc_alloc(pool_fd, 64, 0, 0, &off));
				EXPECT_EQ(0, zc_free(pool_fd, off));
				count(&tally->allocs, 1);
				count(&tally->frees, 1);
			}
			stall_release(&s);
			pthread_join(call.thread, NULL);
			EXPECT_EQ(0, call.ret);
			stp = &sb;
			EXPECT_LE(ARRAY_SIZE(held_sizes), stp->live);
			EXPECT_GE(ARRAY_SIZE(held_sizes) + 1, stp->live);
			EXPECT_EQ(0, stp->runs_live);
			for (i = 0, off = 0; i < 64 && i < stp->nr_classes; i++)
				off += classes[i];
			EXPECT_EQ(stp->live, off);
			for (i = 0; i < ARRAY_SIZE(held_sizes); i++) {
				EXPECT_EQ(0, zc_free(pool_fd, held_offs[i]));
				count(&tally->frees, 1);
			}
		}
	}
	stall_fini(&s);
	check_accounting(_metadata, pool_fd, 0, 0);
	close(pool_fd);
	held = zc_debugfs_value("total_held");
	zc_figures("uffd races: %u rounds x 3 stalled copies (free batch vs frees+close+munmap, alloc batch vs cap, stats vs alloc/free), %lu stalls in %.0f s, %llu allocs, %llu frees, %llu mismatches, pool back to 0 live, %lld pages leaked",
		   rounds, s.stalls, zc_now() - t0, (unsigned long long)tally->allocs,
		   (unsigned long long)tally->frees, (unsigned long long)tally->mismatches,
		   held < 0 ? held : held / (long long)page_size);
	EXPECT_EQ(3 * rounds, s.stalls);
	EXPECT_EQ(0, tally->mismatches);
	ASSERT_LE(0, held) TH_LOG("debugfs total_held unreadable");
	EXPECT_GE(0, held) TH_LOG("the module still holds %lld bytes with no pool open", held);
}

/*
 * FREE_BATCH must not report -EFAULT ("nothing changed", says the uapi)
 * after it freed entries. Its offsets sit on a userfaultfd page and the
 * batch struct on a page of its own; while the kernel is stalled reading
 * the offsets, the struct's page is unmapped, so writing done/error back
 * at the end fails. The 8 offsets are one block, taken before their
 * report: the failed report puts them back, and the call returns -EFAULT
 * with every entry still live, so that the caller knows none is gone.
 */
TEST_F_TIMEOUT(race, free_batch_result_lost_is_not_efault_after_freeing, 60)
{
	struct zcpool_batch *batch;
	struct stalled_call call;
	struct zcpool_stats st;
	uint64_t offs[8];
	struct stall s;
	unsigned int i;
	const char *why;

	why = setup_stall(_metadata, &s);
	if (why)
		SKIP(return, "%s", why);
	/* Half of them huge: those are taken back and made live again too. */
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, zc_alloc(pool_fd, i % 2 ? chunk_size + i : 100 + i, 0, 0,
				      &offs[i]));
	memcpy(s.content, offs, sizeof(offs));
	batch = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, batch);
	memset(batch, 0, sizeof(*batch));
	batch->items = (uintptr_t)s.area;
	batch->count = 8;
	stalled_start(&call, pool_fd, ZCPOOL_IOC_FREE_BATCH, batch);
	stall_wait(&s);
	ASSERT_EQ(0, munmap(batch, page_size));
	stall_release(&s);
	pthread_join(call.thread, NULL);
	stall_fini(&s);
	ASSERT_EQ(0, zc_stats(pool_fd, &st, NULL, 0));
	zc_figures("free batch, result page unmapped mid-call: ioctl %d, %llu of 8 still live",
		   call.ret, (unsigned long long)st.live);
	EXPECT_EQ(-EFAULT, call.ret);
	EXPECT_EQ(8, st.live) TH_LOG("the report failed, but %llu of 8 were freed",
				    (unsigned long long)(8 - st.live));
	EXPECT_EQ(4, st.huge_live);
	close(pool_fd);
}

/*
 * The kernel reports a batch with one 8-byte store, which on x86 faults
 * whole even across pages; elsewhere only a naturally aligned header is
 * promised that, and a split one cannot be aligned.
 */
#if defined(__x86_64__) || defined(__i386__)
#define STORE_FAULTS_WHOLE_ACROSS_PAGES	1
#else
#define STORE_FAULTS_WHOLE_ACROSS_PAGES	0
#endif

/*
 * A batch header in a fresh mapping of two pages at *@map: at the start of
 * the first page, or, when @split, across the two with @done ending the
 * first and @error starting the second. Returns it zeroed, or NULL.
 */
static struct zcpool_batch *two_page_header(bool split, uint8_t **map)
{
	struct zcpool_batch *batch;

	*map = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (*map == MAP_FAILED)
		return NULL;
	batch = (void *)(split ? *map + page_size - offsetof(struct zcpool_batch, error) : *map);
	memset(batch, 0, sizeof(*batch));
	return batch;
}

/* Make the page of @map's header that holds @error read-only. */
static int protect_header_error(uint8_t *map, bool split)
{
	return mprotect(split ? map + page_size : map, page_size, PROT_READ);
}

/*
 * Run batch command @cmd of @count entries at @items with its header from
 * two_page_header(@split), and make the header's @error page read-only
 * while the call is stalled on the userfaultfd page. Returns the header;
 * the call's result in *@ret, the mapping in *@map.
 */
static struct zcpool_batch *batch_losing_its_header(struct __test_metadata *_metadata,
						    struct stall *s, unsigned long cmd,
						    void *items, uint32_t count, bool split,
						    uint8_t **map, int *ret)
{
	struct stalled_call call;
	struct zcpool_batch *batch;

	batch = two_page_header(split, map);
	if (!batch)
		return NULL;
	batch->items = (uintptr_t)items;
	batch->count = count;
	stalled_start(&call, pool_fd, cmd, batch);
	stall_wait(s);
	EXPECT_EQ(0, protect_header_error(*map, split));
	stall_release(s);
	pthread_join(call.thread, NULL);
	stall_fini(s);
	*ret = call.ret;
	return batch;
}

/*
 * A FREE_BATCH of two blocks (the kernel reads and frees 16 offsets at a
 * time) whose header turns read-only between them. The first block's
 * offsets end the page before the userfaultfd page, the second's start
 * it: the kernel frees the first block, reports 16 done, and stalls
 * reading the second, while the header's page is made read-only. The
 * second block's report then cannot be written, so its entries must be
 * live again, the header still {16, -EFAULT}, and the call return 0.
 * With @split, only @error's page turns read-only (the header straddles
 * two pages): @done, writable, must not take the new count either.
 */
static void free_batch_report_lost(struct __test_metadata *_metadata, bool split)
{
	enum { BLOCK = 16, N = 2 * BLOCK };
	struct zcpool_batch *batch;
	struct zcpool_stats st;
	uint64_t offs[N], *items;
	struct stall s;
	unsigned int i;
	const char *why;
	uint8_t *map;
	int ret;

	if (split && !STORE_FAULTS_WHOLE_ACROSS_PAGES)
		SKIP(return, "a store across pages may fault in part here");
	why = setup_stall(_metadata, &s);
	if (why)
		SKIP(return, "%s", why);
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, zc_alloc(pool_fd, i % 3 ? 200 + i : chunk_size + i, 0, 0, &offs[i]));
	items = (uint64_t *)s.area - BLOCK;
	memcpy(items, offs, BLOCK * sizeof(*items));
	memcpy(s.content, offs + BLOCK, BLOCK * sizeof(*items));
	batch = batch_losing_its_header(_metadata, &s, ZCPOOL_IOC_FREE_BATCH, items, N, split,
					&map, &ret);
	ASSERT_NE(NULL, batch);
	ASSERT_EQ(0, zc_stats(pool_fd, &st, NULL, 0));
	zc_figures("free batch, header %s read-only after its first block: ioctl %d, done %u, error %d, %llu of %d still live",
		   split ? "split, its second page" : "page", ret, batch->done,
		   batch->error, (unsigned long long)st.live, N);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(BLOCK, batch->done);
	EXPECT_EQ(-EFAULT, batch->error);
	EXPECT_EQ(BLOCK, st.live);
	for (i = 0; i < N; i++)
		EXPECT_EQ(i < BLOCK ? -EINVAL : 0, zc_free(pool_fd, offs[i]))
			TH_LOG("entry %u: %s", i, i < BLOCK ? "freed by the batch" : "live again");
	ASSERT_EQ(0, zc_stats(pool_fd, &st, NULL, 0));
	EXPECT_EQ(0, st.live);
	EXPECT_EQ(N, st.frees);
	munmap(map, 2 * page_size);
	close(pool_fd);
}

TEST_F_TIMEOUT(race, free_batch_report_lost_after_a_block_keeps_the_rest, 60)
{
	free_batch_report_lost(_metadata, false);
}

TEST_F_TIMEOUT(race, free_batch_report_split_across_pages_is_whole_or_none, 60)
{
	free_batch_report_lost(_metadata, true);
}

/*
 * An ALLOC_BATCH whose header straddles two pages, @error starting the
 * second, which turns read-only while the kernel is stalled reading the
 * entries. The final report cannot be written: the allocations are
 * undone, the call fails with EFAULT, and the header must be as the
 * start wrote it, {0, 0}, not claim the entries the undo freed.
 */
TEST_F_TIMEOUT(race, alloc_batch_report_split_across_pages_is_whole_or_none, 60)
{
	enum { N = 8 };
	struct zcpool_alloc *reqs;
	struct zcpool_batch *batch;
	struct zcpool_stats st;
	struct stall s;
	unsigned int i;
	const char *why;
	uint8_t *map;
	int ret;

	if (!STORE_FAULTS_WHOLE_ACROSS_PAGES)
		SKIP(return, "a store across pages may fault in part here");
	why = setup_stall(_metadata, &s);
	if (why)
		SKIP(return, "%s", why);
	/* The requests arrive with the page the kernel stalls on. */
	reqs = (struct zcpool_alloc *)s.content;
	for (i = 0; i < N; i++)
		reqs[i].size = i % 2 ? chunk_size + i : 300 + i;
	batch = batch_losing_its_header(_metadata, &s, ZCPOOL_IOC_ALLOC_BATCH, s.area, N, true,
					&map, &ret);
	ASSERT_NE(NULL, batch);
	ASSERT_EQ(0, zc_stats(pool_fd, &st, NULL, 0));
	zc_figures("alloc batch, header split, its second page read-only mid-call: ioctl %d, done %u, error %d, %llu live",
		   ret, batch->done, batch->error, (unsigned long long)st.live);
	EXPECT_EQ(-EFAULT, ret);
	EXPECT_EQ(0, batch->done) TH_LOG("the header claims %u allocations the call undid",
					 batch->done);
	EXPECT_EQ(0, batch->error);
	EXPECT_EQ(0, st.live);
	EXPECT_EQ(N, st.allocs);
	EXPECT_EQ(N, st.frees);
	munmap(map, 2 * page_size);
	close(pool_fd);
}

/* Live allocations of the pool behind @fd, or -1. */
static long long live_count(int fd)
{
	struct zcpool_stats st;

	return zc_stats(fd, &st, NULL, 0) ? -1 : (long long)st.live;
}

/*
 * Fork a child that calls @call(@fd, @arg) as its last act, wait until it
 * is about to, give it @delay_s seconds and kill it (SIGKILL), reaped.
 * Returns 0, or -1 when a step failed.
 */
static int kill_midway(int fd, void (*call)(int fd, void *arg), void *arg, double delay_s)
{
	int sync[2], status, ret = 0;
	pid_t pid;
	char go;

	if (pipe(sync))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(sync[0]);
		close(sync[1]);
		return -1;
	}
	if (!pid) {
		close(sync[0]);
		if (write(sync[1], "g", 1) != 1)
			_exit(2);
		call(fd, arg);
		_exit(0);
	}
	close(sync[1]);
	if (read(sync[0], &go, 1) != 1)
		ret = -1;
	close(sync[0]);
	usleep((useconds_t)(delay_s * 1e6));
	if (kill(pid, SIGKILL) || waitpid(pid, &status, 0) != pid)
		ret = -1;
	return ret;
}

static void call_alloc_batch(int fd, void *batch)
{
	ioctl(fd, ZCPOOL_IOC_ALLOC_BATCH, batch);
}

static void call_alloc(int fd, void *size)
{
	uint64_t off;

	zc_alloc(fd, *(uint64_t *)size, 0, 0, &off);
}

/*
 * A process killed in the middle of an ALLOC_BATCH stops at the allocation
 * it was making (-EINTR): the header, in memory the parent shares, says
 * how many were made, those are live and theirs, and nothing else is.
 * The batch is of fresh huge buffers, so that it runs long enough to be
 * caught in the middle: the parent times one whole, then kills children
 * at points inside that time.
 */
TEST_F_TIMEOUT(race, a_killed_alloc_batch_reports_what_it_made, 300)
{
	const unsigned int n = 96, rounds = 24;
	const uint64_t size = 1 << 20;
	size_t bytes = sizeof(struct zcpool_batch) + n * sizeof(struct zcpool_alloc);
	unsigned int round, i, interrupted = 0, whole = 0, before = 0;
	struct zcpool_batch *batch;
	struct zcpool_alloc *items;
	double t0, full;
	int fd;

	batch = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, batch);
	items = (struct zcpool_alloc *)(batch + 1);
	for (i = 0; i < n; i++)
		items[i] = (struct zcpool_alloc){ .size = size };
	/* A new pool each time: no spares from the time before to take. */
	*batch = (struct zcpool_batch){ .items = (uintptr_t)items, .count = n };
	fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	t0 = zc_now();
	ASSERT_EQ(0, ioctl(fd, ZCPOOL_IOC_ALLOC_BATCH, batch));
	full = zc_now() - t0;
	ASSERT_EQ(n, batch->done);
	close(fd);

	for (round = 0; round < rounds; round++) {
		*batch = (struct zcpool_batch){ .items = (uintptr_t)items, .count = n,
						.done = UINT32_MAX, .error = 1 };
		fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		/* 10% to 90% of the way through, from round to round. */
		ASSERT_EQ(0, kill_midway(fd, call_alloc_batch, batch,
					 full * (0.1 + 0.8 * round / (rounds - 1))));
		if (batch->done == UINT32_MAX) {
			/* Killed before the call began: nothing made. */
			before++;
			EXPECT_EQ(0, live_count(fd));
		} else {
			if (batch->error == -EINTR) {
				interrupted++;
				EXPECT_GT(n, batch->done);
			} else {
				whole++;
				EXPECT_EQ(0, batch->error);
				EXPECT_EQ(n, batch->done);
			}
			EXPECT_EQ(batch->done, live_count(fd));
			for (i = 0; i < batch->done && i < n; i++)
				EXPECT_EQ(0, zc_free(fd, items[i].offset));
			EXPECT_EQ(0, live_count(fd));
		}
		close(fd);
	}
	zc_figures("killed batches: %u rounds of %u 1 MiB allocations (%.0f ms whole): %u stopped with EINTR, %u whole, %u before the call",
		   rounds, n, full * 1e3, interrupted, whole, before);
	EXPECT_LT(0, interrupted);
	munmap(batch, bytes);
}

/*
 * A process killed in the middle of one large ALLOC: the huge allocation
 * stops filling its pages (-EINTR, which nobody sees), gives back what it
 * took and leaves no trace, neither live nor held, in the pool or in the
 * module's total; one that finished before the kill is live and whole.
 * The parent times one whole allocation, then kills children at points
 * inside that time, on a new pool each round (no spare to take).
 */
TEST_F_TIMEOUT(race, a_killed_huge_alloc_leaves_nothing, 300)
{
	const unsigned int rounds = 8;
	unsigned int round, stopped = 0, whole = 0;
	struct zcpool_stats st;
	struct zcpool_info info;
	long long held;
	uint64_t size, off, pcp, avail0, avail1;
	double t0, full;
	int fd;

	fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, zc_info(fd, &info));
	/* Many chunks' worth, well under the default cap (half the RAM). */
	size = 64 * ((uint64_t)info.page_size << info.chunk_order);
	t0 = zc_now();
	ASSERT_EQ(0, zc_alloc(fd, size, 0, 0, &off));
	full = zc_now() - t0;
	close(fd);
	/*
	 * The pages a stopped fill took are counted nowhere in the module
	 * once it gave up: what it failed to give back shows only as free
	 * memory that does not come back (below).
	 */
	avail0 = zc_mem_available(info.page_size, &pcp);

	for (round = 0; round < rounds; round++) {
		fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		/* 5% to 60% of the way through, from round to round. */
		ASSERT_EQ(0, kill_midway(fd, call_alloc, &size,
					 full * (0.05 + 0.55 * round / (rounds - 1))));
		ASSERT_EQ(0, zc_stats(fd, &st, NULL, 0));
		if (st.live) {
			/* Done before the kill: whole, and the pool's to free. */
			whole++;
			EXPECT_EQ(1, st.live);
			EXPECT_EQ(1, st.huge_live);
			EXPECT_EQ(size, st.bytes_requested);
			EXPECT_LE(size, st.bytes_held);
			close(fd);
			continue;
		}
		stopped++;
		EXPECT_EQ(0, st.allocs);
		EXPECT_EQ(0, st.bytes_requested);
		EXPECT_EQ(0, st.bytes_held) TH_LOG("round %u: a stopped fill kept pages", round);
		close(fd);
		/* Every pool is closed: the module holds nothing. */
		held = zc_debugfs_value("total_held");
		ASSERT_LE(0, held) TH_LOG("debugfs total_held unreadable");
		EXPECT_EQ(0, held) TH_LOG("round %u: the module still holds %lld bytes", round, held);
	}
	avail1 = zc_mem_available(info.page_size, &pcp);
	zc_figures("killed huge allocations: %u rounds of %llu MiB (%.0f ms whole): %u stopped, %u whole, free memory %+lld MiB",
		   rounds, (unsigned long long)(size >> 20), full * 1e3, stopped, whole,
		   ((long long)avail1 - (long long)avail0) / (1 << 20));
	EXPECT_LT(0, stopped);
	/* A stopped fill that kept its pages would keep tens of MiB each. */
	EXPECT_GE(avail1 + (32 << 20), avail0);
}

TEST_HARNESS_MAIN
