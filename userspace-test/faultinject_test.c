// SPDX-License-Identifier: GPL-2.0
/*
 * faultinject_test: every allocation and user copy of zcpool's ioctls, its
 * mmap and its fault path made to fail, one at a time and at random, with
 * the kernel's fault injection (Documentation/fault-injection/).
 *
 *  - fail_nth_walks_every_site: for each call (open, each ioctl in the
 *    states that reach different allocation sites, mmap, the first fault of
 *    a page, also where its page tables must be made, fork of a mapping),
 *    /proc/self/task/<tid>/fail-nth fails its 1st, 2nd, ... slab
 *    allocation, page allocation or user copy until the call runs through
 *    without reaching the n-th. Each time the call must succeed (a
 *    fallback) or fail with ENOMEM or EFAULT, and STATS must show exactly
 *    what the model says survived.
 *  - random_failslab_and_fail_page_alloc: failslab and fail_page_alloc fail
 *    a share of this task's allocations (task-filter, ignore-gfp-wait off,
 *    so GFP_KERNEL ones too) through random commands.
 *  - random_fail_usercopy: fail_usercopy fails copies in and out of this
 *    task: EFAULT, with nothing allocated or freed. It hooks
 *    copy_{from,to}_user() only (INFO, STATS, LIMITS, the batch headers);
 *    ALLOC's and FREE's fields and the batch entries move with
 *    unsafe_get_user()/unsafe_put_user(), which it cannot fail: alloc_test
 *    fails those with read-only and unmapped pages, race_test with pages
 *    taken away while userfaultfd holds the copy.
 *  - nothing_leaks: after all of it zcpool's counters are back where they
 *    started, and a kmemleak scan (printed on the console, which the oracle
 *    reads) finds nothing.
 * Needs a kernel with CONFIG_FAULT_INJECTION_DEBUG_FS, FAILSLAB,
 * FAIL_PAGE_ALLOC and FAULT_INJECTION_USERCOPY (the debug targets); skips
 * on others. The injection messages are silenced (verbose 0), and the guest
 * brackets the run with "zcpool-faultinject: begin/end" so that the console
 * oracle accepts the kernel's page allocation failure reports in between.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "zcpool_testlib.h"
#include "zcpool_util.h"

#define DEBUGFS		"/sys/kernel/debug/"
#define MAX_NTH		20000
#define MAX_LIVE	256
#define BATCH		48
/* Below any cap the module can have in the test VM: -EDQUOT is not an injected failure. */
#define LIVE_BYTES_MAX	(256ULL << 20)

struct model {
	int fd;
	uint64_t off[MAX_LIVE], size[MAX_LIVE];
	unsigned int nr;
	uint64_t requested;
};

static struct {
	uint64_t page, chunk;
	bool has_mmap;		/* without it, the mmap and fault sites are left out */
	int nth_fd;
	unsigned long calls, points, ok, enomem, efault, other, sigbus, mismatches;
} fi;

#define MISMATCH(fmt, ...)						\
	do {								\
		if (fi.mismatches++ < 20)				\
			fprintf(stderr, "# faultinject: line %d: " fmt "\n", __LINE__, ##__VA_ARGS__); \
	} while (0)

static bool have_fault_injection(void)
{
	return !access(DEBUGFS "failslab/probability", W_OK) &&
	       !access(DEBUGFS "fail_page_alloc/probability", W_OK) &&
	       !access(DEBUGFS "fail_usercopy/probability", W_OK);
}

static void attr_set(const char *attr, const char *file, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), DEBUGFS "%s/%s", attr, file);
	if (zc_write_file(path, val))
		MISMATCH("cannot write %s to %s", val, path);
}

/* Silent, every call eligible, off until a phase sets a probability. */
static void injection_reset(void)
{
	static const char *const attrs[] = { "failslab", "fail_page_alloc", "fail_usercopy" };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		attr_set(attrs[i], "probability", "0");
		attr_set(attrs[i], "verbose", "0");
		attr_set(attrs[i], "interval", "1");
		attr_set(attrs[i], "times", "-1");
		attr_set(attrs[i], "space", "0");
		attr_set(attrs[i], "task-filter", "Y");
	}
	/* GFP_KERNEL allocations are what zcpool makes: fail them too. */
	attr_set("failslab", "ignore-gfp-wait", "N");
	attr_set("fail_page_alloc", "ignore-gfp-wait", "N");
	/*
	 * Order 0 stays out but for the sites that ask (struct site): page
	 * tables and anonymous pages of the test itself are order 0 and
	 * would fail the test, not zcpool. zcpool's own pages are chunks
	 * (order 3 and up), its slab pages and a huge allocation's blocks,
	 * down to order 0.
	 */
	attr_set("fail_page_alloc", "min-order", "1");
}

/*
 * Turn this task's injection on or off. Turning it off is itself a write
 * that fail_usercopy may fail: retry until the file reads back what was
 * asked.
 */
static void make_it_fail(bool on)
{
	char buf[8];
	int tries;
	FILE *f;

	for (tries = 0; tries < 1000; tries++) {
		if (zc_write_file("/proc/self/make-it-fail", on ? "1" : "0"))
			continue;
		f = fopen("/proc/self/make-it-fail", "r");
		if (!f)
			continue;
		buf[0] = 0;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
		if (buf[0] == (on ? '1' : '0'))
			return;
	}
	MISMATCH("cannot turn make-it-fail %s", on ? "on" : "off");
}

/* --- fail-nth --------------------------------------------------------------- */

static void nth_open(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth", (long)syscall(SYS_gettid));
	fi.nth_fd = open(path, O_RDWR | O_CLOEXEC);
}

static void nth_arm(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(fi.nth_fd, buf, len, 0) != len)
		MISMATCH("fail-nth write: %s", strerror(errno));
}

/* What is left of the count: 0 once the n-th call was failed. */
static unsigned int nth_left(void)
{
	char buf[16] = { 0 };

	if (pread(fi.nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		return ~0U;
	return strtoul(buf, NULL, 10);
}

/* --- the model -------------------------------------------------------------- */

static int model_open(struct model *m)
{
	memset(m, 0, sizeof(*m));
	m->fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	return m->fd < 0 ? -errno : 0;
}

static void model_add(struct model *m, uint64_t off, uint64_t size)
{
	if (m->nr == MAX_LIVE) {
		MISMATCH("model full");
		return;
	}
	m->off[m->nr] = off;
	m->size[m->nr] = size;
	m->nr++;
	m->requested += size;
}

static void model_del(struct model *m, unsigned int i)
{
	m->requested -= m->size[i];
	m->nr--;
	m->off[i] = m->off[m->nr];
	m->size[i] = m->size[m->nr];
}

/* STATS, retried while an injected fault hits the copy out. */
static int stats_retry(int fd, struct zcpool_stats *st)
{
	int ret, tries = 0;

	do {
		ret = zc_stats(fd, st, NULL, 0);
	} while ((ret == -EFAULT || ret == -ENOMEM) && ++tries < 1000);
	return ret;
}

static void model_check(struct model *m, const char *what)
{
	struct zcpool_stats st;
	int ret = stats_retry(m->fd, &st);

	if (ret) {
		MISMATCH("%s: stats = %d", what, ret);
		return;
	}
	if (st.live != m->nr || st.bytes_requested != m->requested ||
	    st.allocs - st.frees != st.live || st.bytes_held < st.bytes_requested)
		MISMATCH("%s: live %llu/%u requested %llu/%llu allocs %llu frees %llu held %llu",
			 what, (unsigned long long)st.live, m->nr,
			 (unsigned long long)st.bytes_requested, (unsigned long long)m->requested,
			 (unsigned long long)st.allocs, (unsigned long long)st.frees,
			 (unsigned long long)st.bytes_held);
}

static void model_close(struct model *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

/* Bytes of whole pages the model's first allocation touches. */
static uint64_t page_len(const struct model *m)
{
	uint64_t start = m->off[0] & ~(fi.page - 1);

	return ((m->off[0] + m->size[0] + fi.page - 1) & ~(fi.page - 1)) - start;
}

/* --- the calls fail-nth walks ------------------------------------------------ */

struct site {
	const char *name;
	int (*setup)(struct model *m, void **priv);
	int (*act)(struct model *m, void *priv);
	void (*check)(struct model *m, void *priv, int ret);	/* and tear down */
	uint64_t size;
	uint32_t flags;
	/*
	 * Order-0 page allocations may fail too: for calls that make no page
	 * tables nor anonymous pages of the test's own (see injection_reset()).
	 */
	bool order0;
};

static const struct site *cur;

static int setup_pool(struct model *m, void **priv)
{
	return model_open(m);
}

static int setup_pool_one(struct model *m, void **priv)
{
	uint64_t off;
	int ret = model_open(m);

	if (!ret)
		ret = zc_alloc(m->fd, cur->size, 0, 0, &off);
	if (!ret)
		model_add(m, off, cur->size);
	return ret;
}

static int act_open(struct model *m, void *priv)
{
	m->fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	return m->fd < 0 ? -errno : 0;
}

/* The module's pools and bytes before an open (setup_none()). */
static long long open_pools0, open_held0;

static void check_open(struct model *m, void *priv, int ret)
{
	long long pools, held;

	if (!ret) {
		model_check(m, "open");
	} else {
		/* A failed open leaves no pool half made, and holds nothing. */
		pools = zc_debugfs_value("pools");
		held = zc_debugfs_value("total_held");
		if (pools != open_pools0 || held != open_held0)
			MISMATCH("open failed (%d): %lld pools, %lld bytes held; before %lld, %lld",
				 ret, pools, held, open_pools0, open_held0);
	}
	model_close(m);
}

static uint64_t act_off;

static int act_alloc(struct model *m, void *priv)
{
	return zc_alloc(m->fd, cur->size, 0, cur->flags, &act_off);
}

static void check_alloc(struct model *m, void *priv, int ret)
{
	if (!ret)
		model_add(m, act_off, cur->size);
	model_check(m, cur->name);
	model_close(m);
}

static int act_free(struct model *m, void *priv)
{
	return zc_free(m->fd, m->off[0]);
}

static void check_free(struct model *m, void *priv, int ret)
{
	if (!ret)
		model_del(m, 0);
	model_check(m, cur->name);
	model_close(m);
}

static struct zcpool_alloc batch_items[BATCH];
static uint64_t batch_offs[BATCH];

static int act_alloc_batch(struct model *m, void *priv)
{
	/* done/error are (out): a call that fails must leave them as they were. */
	struct zcpool_batch b = { .items = (uintptr_t)batch_items, .count = BATCH,
				  .done = 0xdead, .error = 0x5a5a };
	unsigned int i;
	int ret;

	for (i = 0; i < BATCH; i++) {
		memset(&batch_items[i], 0, sizeof(batch_items[i]));
		/* small classes, page runs and one chunk-sized run */
		batch_items[i].size = i == BATCH - 1 ? fi.chunk : (i % 3 ? 16 << (i % 11) : 40000 + i);
	}
	ret = zc_ioctl(m->fd, ZCPOOL_IOC_ALLOC_BATCH, &b);
	if (ret == -ENOMEM && (b.done != 0xdead || b.error != 0x5a5a))
		MISMATCH("alloc batch failed (%d) but wrote its header: done %u, error %d", ret,
			 b.done, b.error);
	if (ret)
		return ret;
	for (i = 0; i < b.done && i < BATCH; i++)
		model_add(m, batch_items[i].offset, batch_items[i].size);
	if (b.done > BATCH || (b.done < BATCH && b.error != -ENOMEM && b.error != -EFAULT))
		MISMATCH("alloc batch: done %u, error %d", b.done, b.error);
	return b.done == BATCH ? 0 : b.error;
}

static void check_batch(struct model *m, void *priv, int ret)
{
	model_check(m, cur->name);
	model_close(m);
}

static int setup_batch(struct model *m, void **priv)
{
	unsigned int i;
	uint64_t off;
	int ret = model_open(m);

	for (i = 0; !ret && i < BATCH; i++) {
		ret = zc_alloc(m->fd, i % 2 ? 48 : 70000, 0, 0, &off);
		if (!ret)
			model_add(m, off, i % 2 ? 48 : 70000);
	}
	return ret;
}

/* Free the model's first entries, at most BATCH of them. */
static int act_free_batch(struct model *m, void *priv)
{
	unsigned int i, n = m->nr < BATCH ? m->nr : BATCH;
	struct zcpool_batch b = { .items = (uintptr_t)batch_offs, .count = n,
				  .done = 0xdead, .error = 0x5a5a };
	int ret;

	for (i = 0; i < n; i++)
		batch_offs[i] = m->off[i];
	ret = zc_ioctl(m->fd, ZCPOOL_IOC_FREE_BATCH, &b);
	if (ret == -ENOMEM && (b.done != 0xdead || b.error != 0x5a5a))
		MISMATCH("free batch failed (%d) but wrote its header: done %u, error %d", ret,
			 b.done, b.error);
	if (ret)
		return ret;
	if (b.done > n) {
		MISMATCH("free batch: done %u of %u", b.done, n);
		return 0;
	}
	/* Entries [0, done) are gone: they are the model's first done entries. */
	for (i = b.done; i > 0; i--)
		model_del(m, i - 1);
	return b.done == n ? 0 : b.error;
}

static int act_stats(struct model *m, void *priv)
{
	static uint64_t class_live[128];
	struct zcpool_stats st;

	return zc_stats(m->fd, &st, class_live, 128);
}

static void check_plain(struct model *m, void *priv, int ret)
{
	model_check(m, cur->name);
	model_close(m);
}

static int act_limits(struct model *m, void *priv)
{
	return zc_limits(m->fd, 64ULL << 20, ZCPOOL_POOL_ZAP_ON_FREE, NULL);
}

static void check_limits(struct model *m, void *priv, int ret)
{
	struct zcpool_limits l;

	if (zc_limits(m->fd, 0, 0, &l))
		MISMATCH("limits query failed");
	else if (!ret && (l.max_bytes != 64ULL << 20 || !(l.flags & ZCPOOL_POOL_ZAP_ON_FREE)))
		MISMATCH("limits succeeded but cap %llu flags %#x",
			 (unsigned long long)l.max_bytes, l.flags);
	else if (ret && (l.max_bytes == 64ULL << 20 || (l.flags & ZCPOOL_POOL_ZAP_ON_FREE)))
		MISMATCH("limits failed (%d) but cap %llu flags %#x changed", ret,
			 (unsigned long long)l.max_bytes, l.flags);
	check_plain(m, priv, ret);
}

static int act_info(struct model *m, void *priv)
{
	struct zcpool_info info;

	return zc_info(m->fd, &info);
}

/* Map the pages of the model's first allocation at @hint (mmap() @flags besides MAP_SHARED). */
static void *map_first(struct model *m, void *hint, int flags)
{
	return mmap(hint, page_len(m), PROT_READ | PROT_WRITE, MAP_SHARED | flags, m->fd,
		    m->off[0] & ~(fi.page - 1));
}

static void *act_map;

static int act_mmap(struct model *m, void *priv)
{
	act_map = map_first(m, NULL, 0);
	return act_map == MAP_FAILED ? -errno : 0;
}

static void check_mmap(struct model *m, void *priv, int ret)
{
	if (!ret) {
		if (zc_probe(act_map, 1))
			MISMATCH("a fresh mapping faults");
		munmap(act_map, page_len(m));
	}
	check_plain(m, priv, ret);
}

static int setup_mapped(struct model *m, void **priv)
{
	int ret = setup_pool_one(m, priv);

	if (ret)
		return ret;
	*priv = map_first(m, NULL, 0);
	return *priv == MAP_FAILED ? -errno : 0;
}

/*
 * As setup_mapped, but alone in a 512 GiB region of the address space (a
 * new one each time) and two pages short of its second GiB, so that the
 * first fault must allocate page tables at every level, and the pages it
 * maps after the faulting one need a page middle directory of their own:
 * vm_insert_pages() reports a failure to allocate that as -EFAULT, which
 * must not become a SIGBUS.
 */
#define FRESH_REGION	(512ULL << 30)
#define FRESH_FIRST	(32ULL << 40)
#define FRESH_REGIONS	128
#define FRESH_PMD_SPAN	(1ULL << 30)

static int setup_mapped_fresh(struct model *m, void **priv)
{
	static unsigned int next;
	unsigned int tries;
	int ret = setup_pool_one(m, priv);

	if (ret)
		return ret;
	for (tries = 0; tries < FRESH_REGIONS; tries++) {
		uintptr_t hint = FRESH_FIRST + (next++ % FRESH_REGIONS) * FRESH_REGION +
				 FRESH_PMD_SPAN - 2 * fi.page;

		*priv = map_first(m, (void *)hint, MAP_FIXED_NOREPLACE);
		if (*priv != MAP_FAILED)
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/*
 * The first touch of each page: the fault path. The handlers are in place
 * before fail-nth is armed, and nothing in here makes a system call, so
 * that every counted site is the kernel's fault path. A SIGBUS or SIGSEGV
 * is a failure: an injected fault must be retried (VM_FAULT_OOM), not
 * turned into a signal.
 */
static sigjmp_buf fault_jmp;

static void fault_handler(int sig)
{
	siglongjmp(fault_jmp, sig);
}

static void fault_handlers(bool on)
{
	struct sigaction sa = { .sa_handler = on ? fault_handler : SIG_DFL,
				.sa_flags = SA_NODEFER };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
}

static int act_fault(struct model *m, void *priv)
{
	volatile uint8_t *p = priv;
	uint64_t len = page_len(m), o;

	if (sigsetjmp(fault_jmp, 0)) {
		fi.sigbus++;
		return -1000;	/* no errno: counted as "other" */
	}
	for (o = 0; o < len; o += fi.page)
		p[o] = p[o];
	return 0;
}

static void check_fault(struct model *m, void *priv, int ret)
{
	uint64_t len = page_len(m), o;

	for (o = 0; o < len; o += fi.page)
		if (((uint8_t *)priv)[o])
			MISMATCH("new memory at +%llu reads %#x", (unsigned long long)o,
				 ((uint8_t *)priv)[o]);
	munmap(priv, len);
	check_plain(m, priv, ret);
}

static pid_t fork_pid;

static int act_fork(struct model *m, void *priv)
{
	fork_pid = fork();
	if (fork_pid < 0)
		return -errno;
	if (fork_pid == 0)
		_exit(((volatile uint8_t *)priv)[0] == 0 ? 0 : 1);
	return 0;
}

static void check_fork(struct model *m, void *priv, int ret)
{
	int status;

	if (!ret && (waitpid(fork_pid, &status, 0) != fork_pid || !WIFEXITED(status) ||
		     WEXITSTATUS(status)))
		MISMATCH("forked child saw the mapping wrong: %#x", status);
	munmap(priv, page_len(m));
	check_plain(m, priv, ret);
}

static int setup_none(struct model *m, void **priv)
{
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	open_pools0 = zc_debugfs_value("pools");
	open_held0 = zc_debugfs_value("total_held");
	return open_pools0 < 0 || open_held0 < 0 ? -ENOENT : 0;
}

static void classify(const char *name, int ret)
{
	if (!ret)
		fi.ok++;
	else if (ret == -ENOMEM)
		fi.enomem++;
	else if (ret == -EFAULT)
		fi.efault++;
	else {
		fi.other++;
		MISMATCH("%s: returned %d under an injected fault", name, ret);
	}
}

/* Fail the 1st, 2nd, ... counted call of one site until it runs through. */
static unsigned int walk(const struct site *s)
{
	unsigned int n, left;
	struct model m;
	void *priv;
	int ret;

	cur = s;
	if (s->order0)
		attr_set("fail_page_alloc", "min-order", "0");
	for (n = 1; n < MAX_NTH; n++) {
		priv = NULL;
		ret = s->setup(&m, &priv);
		if (ret) {
			MISMATCH("%s: setup failed: %d", s->name, ret);
			model_close(&m);
			return n - 1;
		}
		nth_arm(n);
		ret = s->act(&m, priv);
		left = nth_left();
		if (left) {
			/* Not reached: disarm (the write's own copy may be the one). */
			if (pwrite(fi.nth_fd, "0", 1, 0) != 1)
				nth_arm(0);
		} else {
			fi.points++;
			classify(s->name, ret);
		}
		if (left && ret)
			MISMATCH("%s: failed (%d) with no fault injected", s->name, ret);
		s->check(&m, priv, ret);
		if (left)
			break;
	}
	if (s->order0)
		attr_set("fail_page_alloc", "min-order", "1");
	fi.calls++;
	return n - 1;
}

/*
 * A SKIP() in FIXTURE_SETUP does not stop the test body in the 6.1 harness:
 * each body checks self->skipped first.
 */
FIXTURE(fi) {
	bool skipped;
};

FIXTURE_SETUP(fi)
{
	struct zcpool_info info;
	int fd;

	self->skipped = true;
	if (!have_fault_injection())
		SKIP(return, "no failslab/fail_page_alloc/fail_usercopy in debugfs: a kernel without CONFIG_FAULT_INJECTION_DEBUG_FS (the stock target); the debug targets run this");
	fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, zc_info(fd, &info));
	close(fd);
	if (!(info.features & ZCPOOL_FEATURE_ALLOC) || !(info.features & ZCPOOL_FEATURE_BATCH))
		SKIP(return, "the module has no alloc/batches (features %#llx)",
		     (unsigned long long)info.features);
	self->skipped = false;
	memset(&fi, 0, sizeof(fi));
	fi.has_mmap = info.features & ZCPOOL_FEATURE_MMAP;
	fi.page = info.page_size;
	fi.chunk = (uint64_t)info.page_size << info.chunk_order;
	injection_reset();
	printf("zcpool-faultinject: begin\n");
	fflush(stdout);
}

FIXTURE_TEARDOWN(fi)
{
	if (self->skipped)
		return;
	make_it_fail(false);
	injection_reset();
	printf("zcpool-faultinject: end\n");
	fflush(stdout);
}

TEST_F_TIMEOUT(fi, fail_nth_walks_every_site, 600)
{
	const struct site sites[] = {
		{ "open", setup_none, act_open, check_open, 0, 0, false },
		{ "alloc 100 B, new pool", setup_pool, act_alloc, check_alloc, 100, 0, false },
		{ "alloc 100 B, run exists", setup_pool_one, act_alloc, check_alloc, 100, 0, false },
		{ "alloc 3000 B zeroed", setup_pool, act_alloc, check_alloc, 3000, ZCPOOL_ALLOC_ZERO, false },
		{ "alloc 40000 B run", setup_pool, act_alloc, check_alloc, 40000, 0, false },
		{ "alloc a chunk", setup_pool, act_alloc, check_alloc, fi.chunk, 0, false },
		{ "alloc huge, zeroed", setup_pool, act_alloc, check_alloc, 2 * fi.chunk + 1,
		  ZCPOOL_ALLOC_ZERO, false },
		/*
		 * Huge by a page: its descriptor is a kmalloc() with no
		 * vmalloc() to fall back to, and its last page an order-0 block.
		 */
		{ "alloc huge, 17 pages", setup_pool, act_alloc, check_alloc, 16 * fi.page + 1, 0, true },
		{ "free 100 B", setup_pool_one, act_free, check_free, 100, 0, false },
		{ "free 40000 B run", setup_pool_one, act_free, check_free, 40000, 0, false },
		{ "free huge", setup_pool_one, act_free, check_free, 2 * fi.chunk + 1, 0, false },
		{ "alloc batch", setup_pool, act_alloc_batch, check_batch, 0, 0, false },
		{ "free batch", setup_batch, act_free_batch, check_batch, 0, 0, false },
		{ "stats with classes", setup_pool_one, act_stats, check_plain, 100, 0, false },
		{ "limits", setup_pool_one, act_limits, check_limits, 100, 0, false },
		{ "info", setup_pool, act_info, check_plain, 0, 0, false },
		{ "mmap", setup_pool_one, act_mmap, check_mmap, 40000, 0, false },
		{ "first fault, run", setup_mapped, act_fault, check_fault, 40000, 0, false },
		{ "first fault, small", setup_mapped, act_fault, check_fault, 100, 0, false },
		{ "first fault, huge", setup_mapped, act_fault, check_fault, fi.chunk + 1, 0, false },
		{ "first fault, across 1 GiB", setup_mapped_fresh, act_fault, check_fault, 40000, 0, false },
		{ "fork with a mapping", setup_mapped, act_fork, check_fork, 40000, 0, false },
	};
	unsigned int i, n;
	double t0 = zc_now();

	if (self->skipped)
		return;

	nth_open();
	ASSERT_LE(0, fi.nth_fd);
	fault_handlers(true);
	for (i = 0; i < ARRAY_SIZE(sites); i++) {
		if (sites[i].setup == setup_mapped || sites[i].setup == setup_mapped_fresh ||
		    sites[i].act == act_mmap) {
			if (!fi.has_mmap)
				continue;
		}
		n = walk(&sites[i]);
		printf("# fail-nth: %-26s %u injection points\n", sites[i].name, n);
	}
	fault_handlers(false);
	close(fi.nth_fd);
	zc_figures("faultinject fail-nth: %lu calls, %lu injection points in %.0f s: %lu succeeded anyway, %lu ENOMEM, %lu EFAULT, %lu other, %lu signals, %lu mismatches",
		   fi.calls, fi.points, zc_now() - t0, fi.ok, fi.enomem, fi.efault, fi.other,
		   fi.sigbus, fi.mismatches);
	EXPECT_EQ(0, fi.other);
	EXPECT_EQ(0, fi.sigbus);
	EXPECT_EQ(0, fi.mismatches);
	EXPECT_LT(20, fi.points);	/* the walk reached something */
}

static const struct site batch_site = { .name = "alloc batch" };

/* Random commands on one pool while injection is on; returns ops done. */
static unsigned long random_ops(struct zc_rng *rng, struct model *m, unsigned long ops,
				bool usercopy)
{
	unsigned long op;

	for (op = 0; op < ops; op++) {
		bool room = m->nr < MAX_LIVE - BATCH && m->requested < LIVE_BYTES_MAX;
		unsigned int r = zc_rng_below(rng, 100), i;
		uint64_t off, size;
		int ret;

		if (r < 35 && room) {
			size = zc_rng_below(rng, 3) ? 1 + zc_rng_below(rng, 8 * fi.page)
						    : 1 + zc_rng_below(rng, 2 * fi.chunk);
			ret = zc_alloc(m->fd, size, 0, zc_rng_below(rng, 2), &off);
			if (!ret)
				model_add(m, off, size);
			classify("alloc", ret);
		} else if (r < 60 && m->nr) {
			i = zc_rng_below(rng, m->nr);
			ret = zc_free(m->fd, m->off[i]);
			if (!ret)
				model_del(m, i);
			classify("free", ret);
		} else if (r < 70 && room) {
			cur = &batch_site;
			classify("alloc batch", act_alloc_batch(m, NULL));
		} else if (r < 78 && m->nr) {
			classify("free batch", act_free_batch(m, NULL));
		} else if (r < 88) {
			classify("stats", act_stats(m, NULL));
		} else if (m->nr && fi.has_mmap && !usercopy) {
			/*
			 * map, touch every page (the fault path), unmap; not
			 * under fail_usercopy, which would fail the probe's
			 * own sigaction() and has no copy in the fault path
			 */
			struct model one = { .fd = m->fd, .nr = 1 };
			uint8_t *p;
			uint64_t o, len;

			i = zc_rng_below(rng, m->nr);
			one.off[0] = m->off[i];
			one.size[0] = m->size[i];
			len = page_len(&one);
			p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd,
				 one.off[0] & ~(fi.page - 1));
			if (p == MAP_FAILED) {
				classify("mmap", -errno);
				continue;
			}
			for (o = 0; o < len; o += fi.page)
				if (zc_probe(p + o, 1))
					fi.sigbus++;
			munmap(p, len);
		}
		model_check(m, usercopy ? "random op, fail_usercopy" : "random op, failslab");
	}
	return ops;
}

static void drain(struct model *m)
{
	while (m->nr) {
		if (zc_free(m->fd, m->off[m->nr - 1]))
			MISMATCH("final free failed");
		model_del(m, m->nr - 1);
	}
	model_check(m, "drained");
	model_close(m);
}

TEST_F_TIMEOUT(fi, random_failslab_and_fail_page_alloc, 300)
{
	unsigned long ops = zc_env_ulong("ZCPOOL_OPS", 600) / 2;
	uint64_t seed = zc_seed();
	struct zc_rng rng = { seed };
	struct model m;
	double t0 = zc_now();

	if (self->skipped)
		return;
	/* First, so that a run the kernel stops (a panic on a WARN) can be replayed. */
	/*
	 * The seed fixes this test's draws; which calls the kernel fails is
	 * its own random draw (fault_attr), and the next operation depends on
	 * what failed (what is live), so a replay runs the same operations
	 * only up to the first failure that falls otherwise.
	 */
	printf("# faultinject failslab+fail_page_alloc: seed %#llx (ZCPOOL_SEED=%#llx replays the draws; the injected failures are the kernel's, and the ops follow them)\n",
	       (unsigned long long)seed, (unsigned long long)seed);
	fflush(stdout);

	ASSERT_EQ(0, model_open(&m));
	attr_set("failslab", "probability", "10");
	attr_set("fail_page_alloc", "probability", "20");
	make_it_fail(true);
	random_ops(&rng, &m, ops, false);
	make_it_fail(false);
	attr_set("failslab", "probability", "0");
	attr_set("fail_page_alloc", "probability", "0");
	drain(&m);
	zc_figures("faultinject failslab+fail_page_alloc: %lu ops in %.0f s, ZCPOOL_SEED=%#llx: %lu ok, %lu ENOMEM, %lu EFAULT, %lu other, %lu signals, %lu mismatches",
		   ops, zc_now() - t0, (unsigned long long)seed, fi.ok, fi.enomem, fi.efault,
		   fi.other, fi.sigbus, fi.mismatches);
	EXPECT_EQ(0, fi.efault);
	EXPECT_EQ(0, fi.other);
	EXPECT_EQ(0, fi.sigbus);
	EXPECT_EQ(0, fi.mismatches) TH_LOG("seed: ZCPOOL_SEED=%#llx", (unsigned long long)seed);
	EXPECT_LT(0, fi.enomem);	/* the injection reached zcpool */
}

TEST_F_TIMEOUT(fi, random_fail_usercopy, 300)
{
	unsigned long ops = zc_env_ulong("ZCPOOL_OPS", 600) / 2;
	uint64_t seed = zc_seed() ^ 0x5555;
	struct zc_rng rng = { seed };
	struct model m;
	double t0 = zc_now();

	if (self->skipped)
		return;
	printf("# faultinject fail_usercopy: seed %#llx (ZCPOOL_SEED=%#llx replays the draws; the injected failures are the kernel's, and the ops follow them)\n",
	       (unsigned long long)seed, (unsigned long long)(seed ^ 0x5555));
	fflush(stdout);

	ASSERT_EQ(0, model_open(&m));
	attr_set("fail_usercopy", "probability", "30");
	make_it_fail(true);
	random_ops(&rng, &m, ops, true);
	make_it_fail(false);
	attr_set("fail_usercopy", "probability", "0");
	drain(&m);
	zc_figures("faultinject fail_usercopy: %lu ops in %.0f s, ZCPOOL_SEED=%#llx: %lu ok, %lu EFAULT, %lu ENOMEM, %lu other, %lu signals, %lu mismatches",
		   ops, zc_now() - t0, (unsigned long long)(seed ^ 0x5555), fi.ok, fi.efault, fi.enomem,
		   fi.other, fi.sigbus, fi.mismatches);
	EXPECT_EQ(0, fi.other);
	EXPECT_EQ(0, fi.sigbus);
	EXPECT_EQ(0, fi.mismatches) TH_LOG("seed: ZCPOOL_SEED=%#llx", (unsigned long long)(seed ^ 0x5555));
	EXPECT_LT(0, fi.efault);
}

/*
 * Runs last: every pool of the tests above is closed by now, so the module
 * must hold nothing. (kmemleak: the guest scans once more after all tests
 * and prints the result on the console, which the oracle reads.)
 */
TEST_F_TIMEOUT(fi, nothing_leaks, 60)
{
	long long pools, held, live;

	if (self->skipped)
		return;
	pools = zc_debugfs_value("pools");
	held = zc_debugfs_value("total_held");
	live = zc_debugfs_value("live");
	/* The fault runs above had debugfs: its stats must be there. */
	ASSERT_LE(0, pools) TH_LOG("no %s", ZC_DEBUGFS_STATS);
	zc_figures("faultinject leaks: %lld pools, %lld live, %lld pages held by the module after the fault runs",
		   pools, live, held / (long long)fi.page);
	EXPECT_EQ(0, pools);
	EXPECT_EQ(0, live);
	EXPECT_EQ(0, held);
}

TEST_HARNESS_MAIN
