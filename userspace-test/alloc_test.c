// SPDX-License-Identifier: GPL-2.0
/*
 * The pool ioctls seen from user space: ALLOC, FREE, ALLOC_BATCH,
 * FREE_BATCH, STATS and LIMITS. Runs with zcpool.ko loaded (one test
 * reloads it with small caps and restores the defaults). Every success path
 * for every size class, page runs and huge sizes; one bad field per
 * negative test, each followed by a STATS check that nothing changed.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <linux/zcpool.h>

#include "kselftest_harness.h"
#include "zcpool_pool.h"
#include "zcpool_util.h"

struct snapshot {
	struct zcpool_stats st;
	uint64_t classes[ZC_MAX_CLASSES];
};

static void snap(struct __test_metadata *_metadata, int fd, struct snapshot *s)
{
	ASSERT_EQ(0, zc_stats(fd, &s->st, s->classes));
}

/* Nothing live changed between @a and @b (counters of past calls may have). */
static void expect_same_live(struct __test_metadata *_metadata, const struct snapshot *a,
			     const struct snapshot *b)
{
	EXPECT_EQ(a->st.live, b->st.live);
	EXPECT_EQ(a->st.bytes_requested, b->st.bytes_requested);
	EXPECT_EQ(a->st.huge_live, b->st.huge_live);
	EXPECT_EQ(a->st.runs_live, b->st.runs_live);
	EXPECT_EQ(a->st.max_bytes, b->st.max_bytes);
	EXPECT_EQ(0, memcmp(a->classes, b->classes, sizeof(a->classes)));
}

/* Nothing at all changed: the call was refused before it acted. */
static void expect_unchanged(struct __test_metadata *_metadata, int fd, const struct snapshot *a)
{
	struct snapshot b;

	snap(_metadata, fd, &b);
	expect_same_live(_metadata, a, &b);
	EXPECT_EQ(a->st.allocs, b.st.allocs);
	EXPECT_EQ(a->st.frees, b.st.frees);
	EXPECT_EQ(a->st.bytes_held, b.st.bytes_held);
	EXPECT_EQ(a->st.chunks, b.st.chunks);
}

/* The one class whose count grew by one from @a to @b, or -1. */
static int grown_class(const struct snapshot *a, const struct snapshot *b)
{
	int i, found = -1;

	for (i = 0; i < ZC_MAX_CLASSES; i++) {
		if (a->classes[i] == b->classes[i])
			continue;
		if (found >= 0 || b->classes[i] != a->classes[i] + 1)
			return -2;
		found = i;
	}
	return found;
}

/* A page of memory the process cannot write (reads as zero). */
static void *read_only_page(void)
{
	return mmap(NULL, getpagesize(), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/*
 * The address of @len bytes whose second half is on an inaccessible page
 * (PROT_NONE rather than unmapped, so no later mmap() can land there).
 */
static void *straddling(size_t len)
{
	long page = getpagesize();
	char *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (two == MAP_FAILED || mprotect(two + page, page, PROT_NONE))
		return NULL;
	return two + page - len / 2;
}

/* debugfs: 1 makes the next LIMITS call hold its file's lock (see ioctl.c). */
#define LIMITS_HOLD	ZCPOOL_DEBUGFS "limits_hold"

FIXTURE(pool) {
	int fd;
	uint64_t chunk;
	long page;
	struct snapshot before;
};

FIXTURE_SETUP(pool)
{
	self->fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", ZCPOOL_DEV, strerror(errno));
	self->chunk = zc_chunk_bytes(self->fd);
	ASSERT_NE(0, self->chunk);
	self->page = getpagesize();
}

FIXTURE_TEARDOWN(pool)
{
	/* A test that failed while it held the LIMITS lock lets go of it. */
	zc_write_ull(LIMITS_HOLD, 0);
	close(self->fd);
}

TEST_F(pool, info_reports_the_pool_features)
{
	struct zcpool_info info;
	uint64_t want = ZCPOOL_FEATURE_ALLOC | ZCPOOL_FEATURE_BATCH | ZCPOOL_FEATURE_STATS |
			ZCPOOL_FEATURE_LIMITS;

	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_INFO, &info));
	EXPECT_EQ(want, info.features & want);
}

TEST_F(pool, a_new_pool_is_empty)
{
	struct snapshot s;
	int i;

	snap(_metadata, self->fd, &s);
	EXPECT_EQ(0, s.st.live);
	EXPECT_EQ(0, s.st.bytes_requested);
	EXPECT_EQ(0, s.st.bytes_held);
	EXPECT_EQ(0, s.st.chunks);
	EXPECT_EQ(0, s.st.allocs);
	EXPECT_EQ(zc_param("pool_max_bytes"), s.st.max_bytes);
	EXPECT_LT(0, s.st.nr_classes);
	EXPECT_GT(ZC_MAX_CLASSES, s.st.nr_classes);
	for (i = 0; i < ZC_MAX_CLASSES; i++)
		EXPECT_EQ(0, s.classes[i]);
}

/*
 * Every small size, in 16 B steps up to 8 pages: its class grows by one,
 * or, for a class whose run would hold one element (zc_class_is_run()),
 * the page runs do; the classes come in order and each is used.
 */
TEST_F(pool, every_size_class_allocates_and_frees)
{
	unsigned int nr = zc_nr_classes(self->page), want = 0, seen = 0, runs = 0;
	uint64_t size, offset, small_max = 8 * self->page;
	struct snapshot a, b;
	int cls, last = -1, idx;

	snap(_metadata, self->fd, &a);
	ASSERT_EQ(nr, a.st.nr_classes);
	for (size = 1; size <= small_max; size = (size == 1 ? 16 : size + 16)) {
		ASSERT_EQ(0, zc_alloc(self->fd, size, 0, 0, &offset)) TH_LOG("size %llu",
									    (unsigned long long)size);
		snap(_metadata, self->fd, &b);
		for (idx = 0; zc_class_size(idx) < size; idx++)
			;
		if (zc_class_is_run(idx, self->page)) {
			EXPECT_EQ(a.st.runs_live + 1, b.st.runs_live)
				TH_LOG("size %llu", (unsigned long long)size);
			EXPECT_EQ(-1, grown_class(&a, &b));
			EXPECT_EQ(0, offset % self->page);
			runs++;
		} else {
			cls = grown_class(&a, &b);
			ASSERT_EQ(idx, cls) TH_LOG("size %llu", (unsigned long long)size);
			EXPECT_EQ(a.st.runs_live, b.st.runs_live);
			if (cls != last)
				seen++;
			last = cls;
			EXPECT_EQ(0, offset % 16);
		}
		EXPECT_EQ(a.st.live + 1, b.st.live);
		EXPECT_EQ(a.st.bytes_requested + size, b.st.bytes_requested);
		EXPECT_EQ(0, zc_free(self->fd, offset));
	}
	for (idx = 0; idx < (int)nr; idx++)
		want += !zc_class_is_run(idx, self->page);
	EXPECT_EQ(want, seen);
	/* 3.5 to 4 KiB and 7 to 8 KiB at least, as page runs. */
	EXPECT_LT(0, runs);
	EXPECT_GT(nr, want);
	snap(_metadata, self->fd, &b);
	EXPECT_EQ(0, b.st.live);
	EXPECT_EQ(0, b.st.bytes_requested);
}

TEST_F(pool, elements_of_one_class_do_not_overlap)
{
	uint64_t offs[64];
	int i, j;

	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, zc_alloc(self->fd, 48, 0, 0, &offs[i]));
	for (i = 0; i < 64; i++)
		for (j = i + 1; j < 64; j++)
			EXPECT_TRUE(offs[i] + 48 <= offs[j] || offs[j] + 48 <= offs[i]);
	for (i = 0; i < 64; i++)
		EXPECT_EQ(0, zc_free(self->fd, offs[i]));
}

TEST_F(pool, page_runs_are_page_aligned_and_counted)
{
	uint64_t sizes[] = { 8 * self->page + 1, 9 * self->page,
			     ZCPOOL_RUN_MAX_PAGES * self->page - 1,
			     ZCPOOL_RUN_MAX_PAGES * self->page };
	struct snapshot a, b;
	uint64_t offset;
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snap(_metadata, self->fd, &a);
		ASSERT_EQ(0, zc_alloc(self->fd, sizes[i], 0, 0, &offset));
		snap(_metadata, self->fd, &b);
		EXPECT_EQ(0, offset % self->page);
		EXPECT_EQ(a.st.runs_live + 1, b.st.runs_live);
		EXPECT_EQ(a.st.bytes_requested + sizes[i], b.st.bytes_requested);
		EXPECT_LE(b.st.bytes_requested, b.st.bytes_held);
		EXPECT_LE(1, b.st.chunks);
		EXPECT_EQ(0, zc_free(self->fd, offset));
	}
	snap(_metadata, self->fd, &b);
	EXPECT_EQ(0, b.st.live);
	EXPECT_EQ(0, b.st.runs_live);
}

/*
 * Longer than ZCPOOL_RUN_MAX_PAGES, an allocation is huge: exactly its
 * pages, at the start of a window slot. Freed, it stays as a spare (the
 * pool's live huge bytes just shrank by its size) until the pool goes.
 */
TEST_F(pool, huge_allocations_take_whole_slots)
{
	uint64_t sizes[] = { ZCPOOL_RUN_MAX_PAGES * self->page + 1, 100 * self->page + 7,
			     self->chunk / 2, self->chunk, self->chunk + 1, 2 * self->chunk,
			     3 * self->chunk + 5 };
	struct snapshot a, b;
	uint64_t offset, pages;
	unsigned int i;
	int fd;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		pages = (sizes[i] + self->page - 1) / self->page * self->page;
		snap(_metadata, fd, &a);
		ASSERT_EQ(0, zc_alloc(fd, sizes[i], 0, 0, &offset));
		snap(_metadata, fd, &b);
		EXPECT_EQ(0, offset % self->chunk);
		EXPECT_EQ(a.st.huge_live + 1, b.st.huge_live);
		EXPECT_EQ(a.st.runs_live, b.st.runs_live);
		EXPECT_EQ(a.st.chunks, b.st.chunks);
		EXPECT_EQ(a.st.live + 1, b.st.live);
		EXPECT_EQ(a.st.bytes_held + pages, b.st.bytes_held);
		EXPECT_EQ(0, zc_free(fd, offset));
		snap(_metadata, fd, &b);
		EXPECT_EQ(a.st.huge_live, b.st.huge_live);
		EXPECT_EQ(a.st.bytes_held + pages, b.st.bytes_held);
		EXPECT_EQ(pages, zc_fdinfo(fd, "bytes_spare"));
		EXPECT_EQ(1, zc_fdinfo(fd, "spares"));
		close(fd);
	}
}

/*
 * A spare serves the next huge allocation that fits in it: same offset,
 * no new pages, the pages past the new size given back, and with
 * ZCPOOL_ALLOC_ZERO the old bytes cleared. One that does not fit takes
 * new pages; at the cap, spares go back before -EDQUOT.
 */
TEST_F(pool, spares_are_reused_trimmed_and_given_back_at_the_cap)
{
	uint64_t big = 64 * self->page, small = 40 * self->page + 3, off, off2, off3;
	struct snapshot a;
	uint8_t *p;
	uint64_t i;

	ASSERT_EQ(0, zc_alloc(self->fd, big, 0, 0, &off));
	p = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, off);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0xa5, big);
	munmap(p, big);
	ASSERT_EQ(0, zc_free(self->fd, off));
	EXPECT_EQ(big, zc_fdinfo(self->fd, "bytes_spare"));

	ASSERT_EQ(0, zc_alloc(self->fd, small, 0, ZCPOOL_ALLOC_ZERO, &off2));
	EXPECT_EQ(off, off2) TH_LOG("the spare is reused in place");
	snap(_metadata, self->fd, &a);
	EXPECT_EQ(0, zc_fdinfo(self->fd, "bytes_spare"));
	EXPECT_EQ(41 * self->page, a.st.bytes_held) TH_LOG("the pages past the new size went back");
	p = mmap(NULL, 41 * self->page, PROT_READ, MAP_SHARED, self->fd, off2);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < 41 * self->page; i++)
		if (p[i])
			break;
	EXPECT_EQ(41 * self->page, i) TH_LOG("ZCPOOL_ALLOC_ZERO clears a reused spare");
	munmap(p, 41 * self->page);

	/* Larger than the spare: new pages. */
	ASSERT_EQ(0, zc_alloc(self->fd, big, 0, 0, &off3));
	EXPECT_NE(off2, off3);
	ASSERT_EQ(0, zc_free(self->fd, off3));
	ASSERT_EQ(0, zc_free(self->fd, off2));
	ASSERT_NE(~0ULL, zc_fdinfo(self->fd, "spares")) TH_LOG("no spares in fdinfo");
	EXPECT_LT(0, zc_fdinfo(self->fd, "spares"));

	/* Capped at what it holds, the pool gives its spares back for a chunk. */
	snap(_metadata, self->fd, &a);
	ASSERT_EQ(0, zc_limits(self->fd, a.st.bytes_held, 0, NULL));
	ASSERT_EQ(0, zc_alloc(self->fd, 16, 0, 0, &off));
	EXPECT_EQ(0, zc_fdinfo(self->fd, "spares"));
	EXPECT_EQ(0, zc_free(self->fd, off));
}

TEST_F(pool, alignment_is_honoured)
{
	struct { uint64_t size, align; } cases[] = {
		{ 16, 64 }, { 100, 256 }, { 100, self->page }, { 3 * self->page, 4 * self->page },
		{ self->page, self->chunk }, { 1, 1 }, { 24, 8 },
	};
	uint64_t offset;
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(0, zc_alloc(self->fd, cases[i].size, cases[i].align, 0, &offset));
		EXPECT_EQ(0, offset % cases[i].align) TH_LOG("size %llu align %llu",
			(unsigned long long)cases[i].size, (unsigned long long)cases[i].align);
		EXPECT_EQ(0, zc_free(self->fd, offset));
	}
}

TEST_F(pool, zero_flag_is_accepted_for_every_kind)
{
	uint64_t sizes[] = { 16, 1000, 5 * self->page, self->chunk + 1 };
	uint64_t offset;
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ASSERT_EQ(0, zc_alloc(self->fd, sizes[i], 0, ZCPOOL_ALLOC_ZERO, &offset));
		EXPECT_EQ(0, zc_free(self->fd, offset));
	}
}

TEST_F(pool, alloc_overwrites_every_byte_of_its_struct)
{
	struct zcpool_alloc req;

	memset(&req, 0, sizeof(req));
	req.size = 64;
	req.offset = ~0ULL;
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_ALLOC, &req));
	EXPECT_EQ(64, req.size);
	EXPECT_EQ(0, req.align);
	EXPECT_EQ(0, req.flags);
	EXPECT_EQ(0, req.pad);
	EXPECT_NE(~0ULL, req.offset);
	EXPECT_EQ(0, zc_free(self->fd, req.offset));
}

/* --- ALLOC: one bad field per case --------------------------------------- */

FIXTURE_VARIANT(bad_alloc) {
	uint64_t size;		/* ~0 - n: n chunks of the module, see setup */
	uint64_t align;
	uint32_t flags;
	uint32_t pad;
	int chunk_multiple;	/* align = chunk * this when non-zero */
	int over_cap;		/* size = the pool's cap + 1 */
	int err;
};

FIXTURE(bad_alloc) {
	int fd;
};

/*
 * The pool holds what a refusal could be tempted to give back: a cached
 * element, a chunk with its free runs, and a spare huge buffer. A refused
 * request keeps them all (bytes_held and chunks unchanged).
 */
FIXTURE_SETUP(bad_alloc)
{
	const uint64_t page = getpagesize();
	const uint64_t sizes[] = { 64, 16 * page, 32 * page };
	uint64_t offset;
	unsigned int i;

	self->fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, zc_alloc(self->fd, sizes[i], 0, 0, &offset));
		ASSERT_EQ(0, zc_free(self->fd, offset));
	}
}

FIXTURE_TEARDOWN(bad_alloc)
{
	close(self->fd);
}

FIXTURE_VARIANT_ADD(bad_alloc, size_zero) { .size = 0, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad_alloc, size_all_ones) { .size = ~0ULL, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad_alloc, size_top_bit) { .size = 1ULL << 63, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad_alloc, size_above_cap) { .size = 1, .over_cap = 1, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad_alloc, align_three) { .size = 64, .align = 3, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad_alloc, align_48) { .size = 64, .align = 48, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad_alloc, align_all_ones) { .size = 64, .align = ~0ULL, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad_alloc, align_top_bit) { .size = 64, .align = 1ULL << 63, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad_alloc, align_two_chunks) {
	.size = 64, .chunk_multiple = 2, .err = EINVAL
};
FIXTURE_VARIANT_ADD(bad_alloc, flag_unknown) { .size = 64, .flags = 0x2, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad_alloc, flag_top) { .size = 64, .flags = 0x80000000U, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad_alloc, pad_low) { .size = 64, .pad = 1, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad_alloc, pad_high) { .size = 64, .pad = 0x80000000U, .err = EINVAL };

TEST_F(bad_alloc, is_refused_and_changes_nothing)
{
	struct zcpool_alloc req = {
		.size = variant->size, .align = variant->align,
		.flags = variant->flags, .pad = variant->pad, .offset = 0x1234,
	};
	struct snapshot before;

	if (variant->chunk_multiple)
		req.align = zc_chunk_bytes(self->fd) * variant->chunk_multiple;
	if (variant->over_cap) {
		/* Unreadable, ~0 + 1 would be size 0: EINVAL for another reason. */
		req.size = zc_param("pool_max_bytes");
		ASSERT_NE(~0ULL, req.size);
		req.size++;
	}
	snap(_metadata, self->fd, &before);
	ASSERT_LT(0, before.st.bytes_held);
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_ALLOC, &req));
	EXPECT_EQ(variant->err, errno);
	EXPECT_EQ(0x1234, req.offset);
	expect_unchanged(_metadata, self->fd, &before);
}

TEST_F(pool, alloc_from_null_is_efault)
{
	snap(_metadata, self->fd, &self->before);
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_ALLOC, NULL));
	EXPECT_EQ(EFAULT, errno);
	expect_unchanged(_metadata, self->fd, &self->before);
}

TEST_F(pool, alloc_straddling_an_inaccessible_page_is_efault)
{
	struct zcpool_alloc *req = straddling(sizeof(*req));

	ASSERT_NE(NULL, req);
	snap(_metadata, self->fd, &self->before);
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_ALLOC, req));
	EXPECT_EQ(EFAULT, errno);
	expect_unchanged(_metadata, self->fd, &self->before);
}

/* The request is valid but the offset cannot be copied out: undone. */
TEST_F(pool, alloc_into_read_only_memory_is_efault_and_undone)
{
	/* A page run and a huge buffer: their undos differ. */
	const uint64_t sizes[] = { 4 * self->page, self->chunk + 1 };
	struct zcpool_alloc *ro;
	struct snapshot after;
	unsigned int i;

	ro = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, mprotect(ro, self->page, PROT_READ | PROT_WRITE));
		ro->size = sizes[i];
		ASSERT_EQ(0, mprotect(ro, self->page, PROT_READ));
		snap(_metadata, self->fd, &self->before);
		EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_ALLOC, ro));
		EXPECT_EQ(EFAULT, errno);
		snap(_metadata, self->fd, &after);
		expect_same_live(_metadata, &self->before, &after);
		/* Made, then freed when the offset could not be written. */
		EXPECT_EQ(self->before.st.allocs + 1, after.st.allocs)
			TH_LOG("%llu B: the allocation was never made", (unsigned long long)sizes[i]);
		EXPECT_EQ(self->before.st.frees + 1, after.st.frees);
	}
	munmap(ro, self->page);
}

/* --- FREE ----------------------------------------------------------------- */

TEST_F(pool, free_refuses_what_is_not_a_live_allocation_start)
{
	uint64_t small, run, huge;
	uint64_t bad[9];
	unsigned int i;

	ASSERT_EQ(0, zc_alloc(self->fd, 64, 0, 0, &small));
	ASSERT_EQ(0, zc_alloc(self->fd, 3 * self->page, 0, 0, &run));
	ASSERT_EQ(0, zc_alloc(self->fd, 2 * self->chunk + 1, 0, 0, &huge));
	bad[0] = small + 16;		/* inside an element */
	bad[1] = small + 1;
	bad[2] = run + self->page;	/* inside a run */
	bad[3] = run + 8;
	bad[4] = huge + self->page;	/* inside a huge allocation */
	bad[5] = huge + self->chunk;	/* its second slot */
	bad[6] = 1ULL << 46;		/* past the window */
	bad[7] = ~0ULL;
	bad[8] = huge + 8 * self->chunk;	/* never allocated */
	snap(_metadata, self->fd, &self->before);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(EINVAL, zc_free(self->fd, bad[i])) TH_LOG("offset %llx",
								     (unsigned long long)bad[i]);
		expect_unchanged(_metadata, self->fd, &self->before);
	}
	EXPECT_EQ(0, zc_free(self->fd, small));
	EXPECT_EQ(0, zc_free(self->fd, run));
	EXPECT_EQ(0, zc_free(self->fd, huge));
}

TEST_F(pool, free_in_an_empty_pool_is_einval)
{
	snap(_metadata, self->fd, &self->before);
	EXPECT_EQ(EINVAL, zc_free(self->fd, 0));
	EXPECT_EQ(EINVAL, zc_free(self->fd, self->chunk));
	expect_unchanged(_metadata, self->fd, &self->before);
}

TEST_F(pool, double_free_is_einval)
{
	uint64_t sizes[] = { 16, 3 * self->page, self->chunk + 1 };
	uint64_t offset, keep;
	unsigned int i;

	/* Another live element keeps the first one's run, and its chunk, around. */
	ASSERT_EQ(0, zc_alloc(self->fd, 16, 0, 0, &keep));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ASSERT_EQ(0, zc_alloc(self->fd, sizes[i], 0, 0, &offset));
		ASSERT_EQ(0, zc_free(self->fd, offset));
		snap(_metadata, self->fd, &self->before);
		EXPECT_EQ(EINVAL, zc_free(self->fd, offset));
		expect_unchanged(_metadata, self->fd, &self->before);
	}
	EXPECT_EQ(0, zc_free(self->fd, keep));
}

TEST_F(pool, free_with_a_flag_or_padding_is_einval)
{
	struct zcpool_free req = { 0 };
	uint64_t offset;

	ASSERT_EQ(0, zc_alloc(self->fd, 64, 0, 0, &offset));
	snap(_metadata, self->fd, &self->before);
	req.offset = offset;
	req.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_FREE, &req));
	EXPECT_EQ(EINVAL, errno);
	req.flags = 0x80000000U;
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_FREE, &req));
	EXPECT_EQ(EINVAL, errno);
	req.flags = 0;
	req.pad = 1;
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_FREE, &req));
	EXPECT_EQ(EINVAL, errno);
	expect_unchanged(_metadata, self->fd, &self->before);
	EXPECT_EQ(0, zc_free(self->fd, offset));
}

TEST_F(pool, free_from_bad_pointers_is_efault)
{
	struct zcpool_free *req = straddling(sizeof(*req));

	ASSERT_NE(NULL, req);
	snap(_metadata, self->fd, &self->before);
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_FREE, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_FREE, req));
	EXPECT_EQ(EFAULT, errno);
	expect_unchanged(_metadata, self->fd, &self->before);
}

TEST(pools_are_separate)
{
	int a = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	int b = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	struct zcpool_stats st;
	uint64_t offset;

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, zc_alloc(a, 4096, 0, 0, &offset));
	ASSERT_EQ(0, zc_stats(b, &st, NULL));
	EXPECT_EQ(0, st.live);
	EXPECT_EQ(0, st.bytes_held);
	EXPECT_EQ(EINVAL, zc_free(b, offset));
	EXPECT_EQ(0, zc_free(a, offset));
	close(a);
	close(b);
}

TEST(a_forked_child_shares_the_pool)
{
	int fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	struct zcpool_stats st;
	uint64_t offset;
	int status;
	pid_t pid;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, zc_alloc(fd, 100, 0, 0, &offset));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		uint64_t mine;

		/* The child frees the parent's allocation and leaves one of its own. */
		if (zc_free(fd, offset) || zc_alloc(fd, 200, 0, 0, &mine))
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, zc_stats(fd, &st, NULL));
	EXPECT_EQ(1, st.live);
	EXPECT_EQ(200, st.bytes_requested);
	close(fd);
}

/* --- batches -------------------------------------------------------------- */

TEST_F(pool, alloc_batch_then_free_batch)
{
	enum { N = 300 };
	struct zcpool_alloc items[N];
	struct zcpool_batch batch = { 0 };
	uint64_t offsets[N], want = 0;
	struct snapshot s;
	int i, j;

	memset(items, 0, sizeof(items));
	for (i = 0; i < N; i++) {
		items[i].size = (i % 3 == 0) ? 1 + i * 37 : (i % 3 == 1) ? 16 : 5 * self->page;
		items[i].flags = (i % 7 == 0) ? ZCPOOL_ALLOC_ZERO : 0;
		items[i].align = (i % 5 == 0) ? 64 : 0;
		want += items[i].size;
	}
	batch.items = (uintptr_t)items;
	batch.count = N;
	batch.done = 77;
	batch.error = 77;
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_ALLOC_BATCH, &batch));
	EXPECT_EQ(N, batch.done);
	EXPECT_EQ(0, batch.error);
	snap(_metadata, self->fd, &s);
	EXPECT_EQ(N, s.st.live);
	EXPECT_EQ(want, s.st.bytes_requested);
	for (i = 0; i < N; i++) {
		offsets[i] = items[i].offset;
		if (items[i].align)
			EXPECT_EQ(0, items[i].offset % items[i].align);
		for (j = 0; j < i; j++)
			ASSERT_NE(offsets[j], offsets[i]);
	}
	memset(&batch, 0, sizeof(batch));
	batch.items = (uintptr_t)offsets;
	batch.count = N;
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_FREE_BATCH, &batch));
	EXPECT_EQ(N, batch.done);
	EXPECT_EQ(0, batch.error);
	snap(_metadata, self->fd, &s);
	EXPECT_EQ(0, s.st.live);
	EXPECT_EQ(0, s.st.bytes_requested);
}

TEST_F(pool, batches_of_the_largest_count_work)
{
	struct zcpool_alloc *items = calloc(ZCPOOL_BATCH_MAX, sizeof(*items));
	uint64_t *offsets = calloc(ZCPOOL_BATCH_MAX, sizeof(*offsets));
	struct zcpool_batch batch = { 0 };
	struct snapshot s;
	int i;

	ASSERT_NE(NULL, items);
	ASSERT_NE(NULL, offsets);
	for (i = 0; i < ZCPOOL_BATCH_MAX; i++)
		items[i].size = 32;
	batch.items = (uintptr_t)items;
	batch.count = ZCPOOL_BATCH_MAX;
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_ALLOC_BATCH, &batch));
	ASSERT_EQ(ZCPOOL_BATCH_MAX, batch.done);
	for (i = 0; i < ZCPOOL_BATCH_MAX; i++)
		offsets[i] = items[i].offset;
	memset(&batch, 0, sizeof(batch));
	batch.items = (uintptr_t)offsets;
	batch.count = ZCPOOL_BATCH_MAX;
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_FREE_BATCH, &batch));
	EXPECT_EQ(ZCPOOL_BATCH_MAX, batch.done);
	snap(_metadata, self->fd, &s);
	EXPECT_EQ(0, s.st.live);
	free(items);
	free(offsets);
}

/*
 * Run ALLOC_BATCH on @count @items: it must stop at entry @stop with
 * @error, leaving that entry and those after it unwritten and the @stop
 * before it live (counted as made); frees those.
 */
static void expect_alloc_batch_stops_at(struct __test_metadata *_metadata, int fd,
					struct zcpool_alloc *items, unsigned int count,
					unsigned int stop, int error)
{
	struct zcpool_batch batch = { .items = (uintptr_t)items, .count = count };
	struct snapshot before, after;
	unsigned int i;

	for (i = 0; i < count; i++)
		items[i].offset = 0xdead;
	snap(_metadata, fd, &before);
	ASSERT_EQ(0, ioctl(fd, ZCPOOL_IOC_ALLOC_BATCH, &batch));
	EXPECT_EQ(stop, batch.done);
	EXPECT_EQ(error, batch.error);
	for (i = stop; i < count; i++)
		EXPECT_EQ(0xdead, items[i].offset) TH_LOG("entry %u was written", i);
	snap(_metadata, fd, &after);
	EXPECT_EQ(before.st.live + stop, after.st.live);
	EXPECT_EQ(before.st.allocs + stop, after.st.allocs);
	for (i = 0; i < stop; i++)
		EXPECT_EQ(0, zc_free(fd, items[i].offset));
}

/* A bad entry stops an ALLOC_BATCH there: what is before it stays allocated. */
TEST_F(pool, alloc_batch_stops_at_the_first_bad_entry)
{
	struct zcpool_alloc items[5];
	int i;

	memset(items, 0, sizeof(items));
	for (i = 0; i < 5; i++)
		items[i].size = 100;
	items[3].pad = 1;
	expect_alloc_batch_stops_at(_metadata, self->fd, items, 5, 3, -EINVAL);
}

/* Entry 1 lies on an inaccessible page: entry 0 is made, the rest is not. */
TEST_F(pool, alloc_batch_stops_at_an_unreadable_entry)
{
	struct zcpool_alloc *items = straddling(2 * sizeof(*items));
	struct zcpool_batch batch = { 0 };
	struct snapshot s;

	ASSERT_NE(NULL, items);
	memset(items, 0, sizeof(*items));
	items[0].size = 64;
	batch.items = (uintptr_t)items;
	batch.count = 2;
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_ALLOC_BATCH, &batch));
	EXPECT_EQ(1, batch.done);
	EXPECT_EQ(-EFAULT, batch.error);
	snap(_metadata, self->fd, &s);
	EXPECT_EQ(1, s.st.live);
	EXPECT_EQ(0, zc_free(self->fd, items[0].offset));
}

/* The offsets cannot be written back: nothing is kept. */
TEST_F(pool, alloc_batch_into_read_only_entries_keeps_nothing)
{
	struct zcpool_alloc *items = mmap(NULL, self->page, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct zcpool_batch batch = { 0 };
	struct snapshot s;

	ASSERT_NE(MAP_FAILED, items);
	items[0].size = 64;
	items[1].size = 64;
	ASSERT_EQ(0, mprotect(items, self->page, PROT_READ));
	batch.items = (uintptr_t)items;
	batch.count = 2;
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_ALLOC_BATCH, &batch));
	EXPECT_EQ(0, batch.done);
	EXPECT_EQ(-EFAULT, batch.error);
	snap(_metadata, self->fd, &s);
	EXPECT_EQ(0, s.st.live);
	munmap(items, self->page);
}

/*
 * Only the offsets are written back: an entry whose other fields lie on a
 * read-only page, and its offset on a writable one, is allocated.
 */
TEST_F(pool, alloc_batch_writes_only_the_offsets)
{
	char *base = mmap(NULL, 2 * self->page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct zcpool_batch batch = { 0 };
	struct zcpool_alloc *item;
	struct snapshot s;

	ASSERT_NE(MAP_FAILED, base);
	item = (struct zcpool_alloc *)(base + self->page - offsetof(struct zcpool_alloc, offset));
	item->size = 100;
	item->align = 64;
	item->offset = ~0ULL;
	ASSERT_EQ(0, mprotect(base, self->page, PROT_READ));
	batch.items = (uintptr_t)item;
	batch.count = 1;
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_ALLOC_BATCH, &batch));
	EXPECT_EQ(1, batch.done);
	EXPECT_EQ(0, batch.error);
	EXPECT_EQ(100, item->size);
	EXPECT_EQ(64, item->align);
	EXPECT_EQ(0, item->offset % 64);
	snap(_metadata, self->fd, &s);
	EXPECT_EQ(1, s.st.live);
	EXPECT_EQ(100, s.st.bytes_requested);
	EXPECT_EQ(0, zc_free(self->fd, item->offset));
	munmap(base, 2 * self->page);
}

TEST_F(pool, alloc_batch_reports_the_cap)
{
	struct zcpool_alloc items[3];
	struct zcpool_batch batch = { 0 };
	struct snapshot s;

	ASSERT_EQ(0, zc_pin_to_one_cpu());

	ASSERT_EQ(0, zc_limits(self->fd, 2 * self->chunk, 0, NULL));
	memset(items, 0, sizeof(items));
	items[0].size = self->chunk;
	items[1].size = self->chunk;
	items[2].size = self->chunk;
	items[2].offset = 0x5a5a;
	batch.items = (uintptr_t)items;
	batch.count = 3;
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_ALLOC_BATCH, &batch));
	EXPECT_EQ(2, batch.done);
	EXPECT_EQ(-EDQUOT, batch.error);
	EXPECT_EQ(0x5a5a, items[2].offset) TH_LOG("the refused entry was written");
	snap(_metadata, self->fd, &s);
	EXPECT_EQ(2, s.st.live);
	EXPECT_EQ(2 * self->chunk, s.st.bytes_requested);
}

/*
 * An entry no pool can serve (above the module's pool cap: a bad request,
 * not a limit) stops the batch with EINVAL there, as ALLOC refuses it,
 * and leaves it and the entries after it as they were.
 */
TEST_F(pool, alloc_batch_stops_at_an_entry_no_pool_can_serve)
{
	struct zcpool_alloc items[3];
	struct snapshot before, after;
	uint64_t offset;

	/* A cached element and a spare, which the refusal must not give back. */
	ASSERT_EQ(0, zc_alloc(self->fd, 64, 0, 0, &offset));
	ASSERT_EQ(0, zc_free(self->fd, offset));
	ASSERT_EQ(0, zc_alloc(self->fd, 32 * self->page, 0, 0, &offset));
	ASSERT_EQ(0, zc_free(self->fd, offset));
	snap(_metadata, self->fd, &before);
	memset(items, 0, sizeof(items));
	items[0].size = 64;
	items[1].size = zc_param("pool_max_bytes");
	ASSERT_NE(~0ULL, items[1].size);
	items[1].size++;
	items[2].size = 64;
	expect_alloc_batch_stops_at(_metadata, self->fd, items, 3, 1, -EINVAL);
	snap(_metadata, self->fd, &after);
	EXPECT_EQ(before.st.bytes_held, after.st.bytes_held);
	EXPECT_EQ(before.st.chunks, after.st.chunks);
}

TEST_F(pool, free_batch_stops_at_the_first_bad_offset)
{
	struct zcpool_batch batch = { 0 };
	uint64_t offsets[5];
	struct snapshot s;
	int i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, zc_alloc(self->fd, 256, 0, 0, &offsets[i]));
	offsets[4] = offsets[3];
	offsets[3] = offsets[1];	/* a repeat: freed two entries earlier */
	batch.items = (uintptr_t)offsets;
	batch.count = 5;
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_FREE_BATCH, &batch));
	EXPECT_EQ(3, batch.done);
	EXPECT_EQ(-EINVAL, batch.error);
	snap(_metadata, self->fd, &s);
	EXPECT_EQ(1, s.st.live);
	EXPECT_EQ(0, zc_free(self->fd, offsets[4]));
}

/*
 * Classes, runs and huge allocations in one block of a FREE_BATCH, with a
 * huge offset repeated: the entries before the repeat are freed, the
 * repeat is refused (taken already in the same block), the rest stays.
 */
TEST_F(pool, free_batch_of_every_kind_stops_at_a_repeated_huge_offset)
{
	uint64_t sizes[6] = { 256, self->chunk + 1, 5 * self->page, 2 * self->chunk, 0, 100 };
	struct zcpool_batch batch = { 0 };
	uint64_t offsets[6];
	struct snapshot s;
	int i;

	for (i = 0; i < 6; i++)
		if (sizes[i])
			ASSERT_EQ(0, zc_alloc(self->fd, sizes[i], 0, 0, &offsets[i]));
	offsets[4] = offsets[1];
	snap(_metadata, self->fd, &s);
	EXPECT_EQ(2, s.st.huge_live);
	batch.items = (uintptr_t)offsets;
	batch.count = 6;
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_FREE_BATCH, &batch));
	EXPECT_EQ(4, batch.done);
	EXPECT_EQ(-EINVAL, batch.error);
	snap(_metadata, self->fd, &s);
	EXPECT_EQ(1, s.st.live);
	EXPECT_EQ(0, s.st.huge_live);
	EXPECT_EQ(0, s.st.runs_live);
	EXPECT_EQ(100, s.st.bytes_requested);
	EXPECT_EQ(EINVAL, zc_free(self->fd, offsets[3]));
	EXPECT_EQ(0, zc_free(self->fd, offsets[5]));
}

/*
 * Offsets past the first block of the kernel's copy: the batch frees every
 * readable one and stops at exactly the unreadable one, as the uapi says
 * (@error is the errno of entry @done).
 */
TEST_F(pool, free_batch_stops_at_an_unreadable_offset)
{
	enum { N = 40 };
	long page = self->page;
	char *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	struct zcpool_batch batch = { 0 };
	uint64_t *offsets;
	struct snapshot s;
	int i;

	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, mprotect(two + page, page, PROT_NONE));
	offsets = (uint64_t *)(two + page) - (N - 1);	/* the last one is inaccessible */
	for (i = 0; i < N - 1; i++)
		ASSERT_EQ(0, zc_alloc(self->fd, 16, 0, 0, &offsets[i]));
	batch.items = (uintptr_t)offsets;
	batch.count = N;
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_FREE_BATCH, &batch));
	EXPECT_EQ(N - 1, batch.done);
	EXPECT_EQ(-EFAULT, batch.error);
	snap(_metadata, self->fd, &s);
	EXPECT_EQ(0, s.st.live);
	for (i = batch.done; i < N - 1; i++)
		EXPECT_EQ(0, zc_free(self->fd, offsets[i]));
	munmap(two, 2 * page);
}

/*
 * A header readable whole but writable only up to @error (the page after
 * it is read-only): the batch cannot report, so it fails with EFAULT, does
 * nothing, and leaves every byte of the header as it was, @done included.
 */
TEST_F(pool, batch_header_writable_in_part_is_left_as_it_was)
{
	unsigned long cmds[] = { ZCPOOL_IOC_ALLOC_BATCH, ZCPOOL_IOC_FREE_BATCH };
	struct zcpool_alloc items[1] = { { .size = 64 } };
	struct zcpool_batch *half, want;
	char *two = mmap(NULL, 2 * self->page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t offset;
	unsigned int i;

	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, zc_alloc(self->fd, 64, 0, 0, &offset));
	half = (struct zcpool_batch *)(two + self->page - offsetof(struct zcpool_batch, error));
	ASSERT_EQ(0, mprotect(two + self->page, self->page, PROT_READ));
	snap(_metadata, self->fd, &self->before);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, mprotect(two, self->page, PROT_READ | PROT_WRITE));
		memset(&want, 0, sizeof(want));
		want.items = i ? (uintptr_t)&offset : (uintptr_t)items;
		want.count = 1;
		want.done = 0xdeadbeef;
		memcpy(half, &want, offsetof(struct zcpool_batch, error));
		/* @error, on the read-only page, reads as zero: as in @want. */
		EXPECT_EQ(-1, ioctl(self->fd, cmds[i], half));
		EXPECT_EQ(EFAULT, errno);
		EXPECT_EQ(0, memcmp(half, &want, sizeof(want)))
			TH_LOG("%s: done %#x", i ? "FREE_BATCH" : "ALLOC_BATCH", half->done);
		expect_unchanged(_metadata, self->fd, &self->before);
	}
	EXPECT_EQ(0, zc_free(self->fd, offset));
	munmap(two, 2 * self->page);
}

FIXTURE_VARIANT(bad_batch) {
	unsigned long cmd;
	uint32_t count;
	uint32_t flags;
};

FIXTURE(bad_batch) {
	int fd;
};

FIXTURE_SETUP(bad_batch)
{
	self->fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(bad_batch)
{
	close(self->fd);
}

FIXTURE_VARIANT_ADD(bad_batch, alloc_count_zero) { .cmd = ZCPOOL_IOC_ALLOC_BATCH, .count = 0 };
FIXTURE_VARIANT_ADD(bad_batch, alloc_count_too_large) {
	.cmd = ZCPOOL_IOC_ALLOC_BATCH, .count = ZCPOOL_BATCH_MAX + 1
};
FIXTURE_VARIANT_ADD(bad_batch, alloc_count_all_ones) {
	.cmd = ZCPOOL_IOC_ALLOC_BATCH, .count = ~0U
};
FIXTURE_VARIANT_ADD(bad_batch, alloc_flag) {
	.cmd = ZCPOOL_IOC_ALLOC_BATCH, .count = 1, .flags = 1
};
FIXTURE_VARIANT_ADD(bad_batch, free_count_zero) { .cmd = ZCPOOL_IOC_FREE_BATCH, .count = 0 };
FIXTURE_VARIANT_ADD(bad_batch, free_count_too_large) {
	.cmd = ZCPOOL_IOC_FREE_BATCH, .count = ZCPOOL_BATCH_MAX + 1
};
FIXTURE_VARIANT_ADD(bad_batch, free_flag) {
	.cmd = ZCPOOL_IOC_FREE_BATCH, .count = 1, .flags = 0x80000000U
};

TEST_F(bad_batch, header_is_einval_and_changes_nothing)
{
	struct zcpool_alloc items[1] = { { .size = 64 } };
	struct zcpool_batch batch = { 0 };
	struct snapshot before;
	uint64_t offset;

	ASSERT_EQ(0, zc_alloc(self->fd, 64, 0, 0, &offset));
	if (variant->cmd == ZCPOOL_IOC_ALLOC_BATCH)
		batch.items = (uintptr_t)items;
	else
		batch.items = (uintptr_t)&offset;
	batch.count = variant->count;
	batch.flags = variant->flags;
	batch.done = 99;
	snap(_metadata, self->fd, &before);
	EXPECT_EQ(-1, ioctl(self->fd, variant->cmd, &batch));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(99, batch.done);
	expect_unchanged(_metadata, self->fd, &before);
}

TEST_F(pool, batch_header_from_bad_pointers_is_efault)
{
	unsigned long cmds[] = { ZCPOOL_IOC_ALLOC_BATCH, ZCPOOL_IOC_FREE_BATCH };
	struct zcpool_alloc items[1] = { { .size = 64 } };
	struct zcpool_batch *ro, *half = straddling(sizeof(*half));
	uint64_t offset;
	unsigned int i;

	ASSERT_EQ(0, zc_alloc(self->fd, 64, 0, 0, &offset));
	ASSERT_NE(NULL, half);
	ro = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ro->count = 1;
	ASSERT_EQ(0, mprotect(ro, self->page, PROT_READ));
	/* A valid header in read-only memory could not tell the result: nothing is done. */
	snap(_metadata, self->fd, &self->before);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(-1, ioctl(self->fd, cmds[i], NULL));
		EXPECT_EQ(EFAULT, errno);
		EXPECT_EQ(-1, ioctl(self->fd, cmds[i], half));
		EXPECT_EQ(EFAULT, errno);
		expect_unchanged(_metadata, self->fd, &self->before);
	}
	ASSERT_EQ(0, mprotect(ro, self->page, PROT_READ | PROT_WRITE));
	ro->items = (uintptr_t)items;
	ASSERT_EQ(0, mprotect(ro, self->page, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_ALLOC_BATCH, ro));
	EXPECT_EQ(EFAULT, errno);
	expect_unchanged(_metadata, self->fd, &self->before);
	ASSERT_EQ(0, mprotect(ro, self->page, PROT_READ | PROT_WRITE));
	ro->items = (uintptr_t)&offset;
	ASSERT_EQ(0, mprotect(ro, self->page, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_FREE_BATCH, ro));
	EXPECT_EQ(EFAULT, errno);
	expect_unchanged(_metadata, self->fd, &self->before);
	munmap(ro, self->page);
}

TEST_F(pool, batch_items_from_null_report_efault_at_zero)
{
	struct zcpool_batch batch = { .items = 0, .count = 3 };

	snap(_metadata, self->fd, &self->before);
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_ALLOC_BATCH, &batch));
	EXPECT_EQ(0, batch.done);
	EXPECT_EQ(-EFAULT, batch.error);
	memset(&batch, 0, sizeof(batch));
	batch.count = 3;
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_FREE_BATCH, &batch));
	EXPECT_EQ(0, batch.done);
	EXPECT_EQ(-EFAULT, batch.error);
	expect_unchanged(_metadata, self->fd, &self->before);
}

/* --- STATS ---------------------------------------------------------------- */

TEST_F(pool, stats_write_only_the_classes_asked_for)
{
	uint64_t classes[4] = { 0, 0xaaaa, 0xbbbb, 0xcccc };
	struct zcpool_stats st = { 0 };
	uint64_t offset;

	ASSERT_EQ(0, zc_alloc(self->fd, 1, 0, 0, &offset));	/* class 0 */
	st.class_live = (uintptr_t)classes;
	st.nr_classes = 1;
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_STATS, &st));
	EXPECT_EQ(1, classes[0]);
	EXPECT_EQ(0xaaaa, classes[1]);
	EXPECT_LT(3, st.nr_classes);
	EXPECT_EQ((uintptr_t)classes, st.class_live);
	EXPECT_EQ(1, st.live);

	/* No array: the counts and the class count only. */
	memset(&st, 0, sizeof(st));
	st.nr_classes = 10;
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_STATS, &st));
	EXPECT_EQ(1, st.live);
	EXPECT_LT(3, st.nr_classes);
	EXPECT_EQ(0, zc_free(self->fd, offset));
}

TEST_F(pool, stats_overwrite_every_byte)
{
	struct zcpool_stats a, b;

	/* Two fills, the (in) fields alike: every (out) byte must match. */
	memset(&a, 0x5c, sizeof(a));
	memset(&b, 0xc3, sizeof(b));
	a.class_live = b.class_live = 0;
	a.nr_classes = b.nr_classes = 0;
	a.pad = b.pad = 0;
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_STATS, &a));
	ASSERT_EQ(0, ioctl(self->fd, ZCPOOL_IOC_STATS, &b));
	EXPECT_EQ(0, memcmp(&a, &b, sizeof(a)));
	EXPECT_EQ(0, a.pad);
}

TEST_F(pool, stats_with_bad_fields_are_refused)
{
	uint64_t offset, *ro = read_only_page();
	struct zcpool_stats st = { 0 }, want;

	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(0, zc_alloc(self->fd, 64, 0, 0, &offset));
	/* Refused: not a byte of the struct written, its outputs included. */
	memset(&st, 0x5c, sizeof(st));
	st.class_live = 0;
	st.pad = 1;
	want = st;
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_STATS, &st));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, memcmp(&want, &st, sizeof(st)));
	memset(&st, 0, sizeof(st));
	st.class_live = (uintptr_t)ro;
	st.nr_classes = 4;
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_STATS, &st));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, st.live);	/* not written */
	st.class_live = 8;
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_STATS, &st));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_STATS, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_STATS, ro));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, zc_free(self->fd, offset));
	munmap(ro, self->page);
}

/* --- LIMITS --------------------------------------------------------------- */

TEST_F(pool, limits_query_changes_nothing)
{
	struct zcpool_limits lim;

	ASSERT_EQ(0, zc_limits(self->fd, 0, 0, &lim));
	EXPECT_EQ(zc_param("pool_max_bytes"), lim.max_bytes);
	EXPECT_EQ(0, lim.flags);
	EXPECT_EQ(0, lim.pad);
}

TEST_F(pool, limits_lower_the_cap_and_never_raise_it)
{
	struct zcpool_limits lim;
	uint64_t cap = zc_param("pool_max_bytes");

	snap(_metadata, self->fd, &self->before);
	EXPECT_EQ(EINVAL, zc_limits(self->fd, cap + 1, 0, NULL));
	EXPECT_EQ(EINVAL, zc_limits(self->fd, ~0ULL, 0, NULL));
	expect_unchanged(_metadata, self->fd, &self->before);
	ASSERT_EQ(0, zc_limits(self->fd, 8 * self->chunk, 0, &lim));
	EXPECT_EQ(8 * self->chunk, lim.max_bytes);
	EXPECT_EQ(EINVAL, zc_limits(self->fd, 8 * self->chunk + 1, 0, NULL));
	EXPECT_EQ(EINVAL, zc_limits(self->fd, cap, 0, NULL));
	/* Refused raises left the cap where it was. */
	ASSERT_EQ(0, zc_limits(self->fd, 0, 0, &lim));
	EXPECT_EQ(8 * self->chunk, lim.max_bytes);
	ASSERT_EQ(0, zc_limits(self->fd, 8 * self->chunk, 0, &lim));	/* the same: fine */
	ASSERT_EQ(0, zc_limits(self->fd, 4 * self->chunk, 0, &lim));
	EXPECT_EQ(4 * self->chunk, lim.max_bytes);
	snap(_metadata, self->fd, &self->before);
	EXPECT_EQ(4 * self->chunk, self->before.st.max_bytes);
}

TEST_F(pool, limits_refuse_a_cap_below_what_the_pool_holds)
{
	struct snapshot s;
	uint64_t offset;

	ASSERT_EQ(0, zc_pin_to_one_cpu());
	ASSERT_EQ(0, zc_alloc(self->fd, 16, 0, 0, &offset));
	snap(_metadata, self->fd, &s);
	ASSERT_LT(self->page, s.st.bytes_held);
	EXPECT_EQ(EINVAL, zc_limits(self->fd, s.st.bytes_held - self->page, 0, NULL));
	expect_unchanged(_metadata, self->fd, &s);
	EXPECT_EQ(0, zc_limits(self->fd, s.st.bytes_held, 0, NULL));
	EXPECT_EQ(0, zc_free(self->fd, offset));
}

TEST_F(pool, limits_flags_are_set_and_stay_set)
{
	struct zcpool_limits lim;

	ASSERT_EQ(0, zc_limits(self->fd, 0, ZCPOOL_POOL_ZAP_ON_FREE, &lim));
	EXPECT_EQ(ZCPOOL_POOL_ZAP_ON_FREE, lim.flags);
	ASSERT_EQ(0, zc_limits(self->fd, 0, 0, &lim));
	EXPECT_EQ(ZCPOOL_POOL_ZAP_ON_FREE, lim.flags);
}

/* A process's state letter from /proc/PID/stat ('D', 'S', ...); 0 if gone. */
static char proc_state(pid_t pid)
{
	char buf[256], *rparen;

	if (zc_read_proc(pid, "stat", buf, sizeof(buf)) < 0)
		return 0;
	rparen = strrchr(buf, ')');
	return rparen && rparen[1] == ' ' ? rparen[2] : 0;
}

/*
 * Whether @pid sleeps in a zcpool ioctl: /proc/PID/wchan names the first
 * function outside the scheduler and the lock code ("0" on a kernel
 * without symbols, which the test kernels are not: no).
 */
static int sleeps_in_zcpool_ioctl(pid_t pid)
{
	char wchan[128];

	if (zc_read_proc(pid, "wchan", wchan, sizeof(wchan)) < 0)
		return 0;
	return !strncmp(wchan, "zcpool_ioctl", strlen("zcpool_ioctl"));
}

/* Reap @pid within about @limit_s seconds: its pid, or 0 if it is still there. */
static pid_t reap_within(pid_t pid, int *status, unsigned int limit_s)
{
	unsigned int tick;
	pid_t got;

	for (tick = 0; tick < limit_s * 100; tick++) {
		got = waitpid(pid, status, WNOHANG);
		if (got)
			return got;
		usleep(10000);
	}
	return 0;
}

/*
 * A LIMITS call waiting for its file's lock dies at once on SIGKILL: the
 * lock is taken killable, because the call holding it may be stuck on a
 * page of its struct that a hostile caller holds (userfaultfd). debugfs
 * limits_hold makes one call hold the lock; with a plain mutex_lock() the
 * killed waiter stayed until that call let go.
 */
TEST_F_TIMEOUT(pool, limits_call_waiting_for_the_lock_dies_on_sigkill, 90)
{
	struct zcpool_limits before, after;
	unsigned int tick;
	pid_t holder, waiter;
	char state = 0;
	int status = 0;

	ASSERT_EQ(0, zc_limits(self->fd, 0, 0, &before));
	ASSERT_EQ(0, before.flags & ZCPOOL_POOL_ZAP_ON_FREE);
	ASSERT_EQ(0, zc_write_ull(LIMITS_HOLD, 1));
	holder = fork();
	ASSERT_LE(0, holder);
	if (!holder)
		_exit(zc_limits(self->fd, 0, 0, NULL) ? 1 : 0);
	for (tick = 0; tick < 1000 && zc_read_ull(LIMITS_HOLD) != 2; tick++)
		usleep(10000);
	ASSERT_EQ(2, zc_read_ull(LIMITS_HOLD)) TH_LOG("the holder never took the lock");

	/* A real change, which the kill must leave undone: a lower cap and a flag. */
	waiter = fork();
	ASSERT_LE(0, waiter);
	if (!waiter)
		_exit(zc_limits(self->fd, before.max_bytes - self->page, ZCPOOL_POOL_ZAP_ON_FREE,
				NULL) ? 1 : 0);
	/* Asleep in the lock, the only place the call can wait now. */
	for (tick = 0; tick < 1000; tick++) {
		state = proc_state(waiter);
		if (state == 'D' || state == 'Z' || !state)
			break;
		usleep(10000);
	}
	EXPECT_EQ('D', state);
	EXPECT_TRUE(sleeps_in_zcpool_ioctl(waiter));
	kill(waiter, SIGKILL);
	EXPECT_EQ(waiter, reap_within(waiter, &status, 5));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* Killed while the lock was still held. */
	EXPECT_EQ(2, zc_read_ull(LIMITS_HOLD));

	ASSERT_EQ(0, zc_write_ull(LIMITS_HOLD, 0));
	ASSERT_EQ(holder, reap_within(holder, &status, 10));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(0, zc_limits(self->fd, 0, 0, &after));
	EXPECT_EQ(before.max_bytes, after.max_bytes);
	EXPECT_EQ(before.flags, after.flags);
}

struct limits_call {
	int fd;
	struct zcpool_limits *lim;
	int ret;
};

static void *limits_call_run(void *arg)
{
	struct limits_call *c = arg;

	c->ret = ioctl(c->fd, ZCPOOL_IOC_LIMITS, c->lim) ? errno : 0;
	return NULL;
}

/*
 * A change whose answer cannot be written back is taken back. The struct
 * passes the probe write, then limits_hold keeps the call in its lock
 * while its page turns read-only: the new cap and flag go in, the answer
 * faults, and the call must fail with EFAULT leaving the cap and the
 * flags as they were, on every kernel (fault injection reaches this path
 * on the debug kernels only).
 */
TEST_F_TIMEOUT(pool, limits_change_taken_back_when_the_answer_faults, 90)
{
	struct limits_call call = { .fd = self->fd };
	struct zcpool_limits orig, now;
	pthread_t thread;
	unsigned int tick;

	ASSERT_EQ(0, zc_limits(self->fd, 0, 0, &orig));
	call.lim = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	ASSERT_NE(MAP_FAILED, call.lim);
	call.lim->max_bytes = 4 * self->chunk;
	call.lim->flags = ZCPOOL_POOL_ZAP_ON_FREE;
	ASSERT_EQ(0, zc_write_ull(LIMITS_HOLD, 1));
	ASSERT_EQ(0, pthread_create(&thread, NULL, limits_call_run, &call));
	for (tick = 0; tick < 1000 && zc_read_ull(LIMITS_HOLD) != 2; tick++)
		usleep(10000);
	EXPECT_EQ(2, zc_read_ull(LIMITS_HOLD)) TH_LOG("the call never took the lock");
	EXPECT_EQ(0, mprotect(call.lim, self->page, PROT_READ));
	ASSERT_EQ(0, zc_write_ull(LIMITS_HOLD, 0));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(EFAULT, call.ret);
	ASSERT_EQ(0, zc_limits(self->fd, 0, 0, &now));
	EXPECT_EQ(orig.max_bytes, now.max_bytes) TH_LOG("the lowered cap stayed");
	EXPECT_EQ(orig.flags, now.flags) TH_LOG("the flag stayed");
	snap(_metadata, self->fd, &self->before);
	EXPECT_EQ(orig.max_bytes, self->before.st.max_bytes);
	munmap(call.lim, self->page);
}

TEST_F(pool, limits_with_bad_fields_change_nothing)
{
	struct zcpool_limits lim = { 0 }, orig, *ro, *half = straddling(sizeof(lim));

	ASSERT_NE(NULL, half);
	ASSERT_EQ(0, zc_limits(self->fd, 0, 0, &orig));
	/* A real change, a lower cap and a flag, in memory it cannot write. */
	ro = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ro->max_bytes = 4 * self->chunk;
	ro->flags = ZCPOOL_POOL_ZAP_ON_FREE;
	ASSERT_EQ(0, mprotect(ro, self->page, PROT_READ));
	snap(_metadata, self->fd, &self->before);
	EXPECT_EQ(EINVAL, zc_limits(self->fd, self->chunk, 0x2, NULL));
	EXPECT_EQ(EINVAL, zc_limits(self->fd, self->chunk, 0x80000000U, NULL));
	lim.max_bytes = self->chunk;
	lim.pad = 1;
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_LIMITS, &lim));
	EXPECT_EQ(EINVAL, errno);
	/* A valid request in memory it cannot write back: refused before acting. */
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_LIMITS, ro));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_LIMITS, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, ZCPOOL_IOC_LIMITS, half));
	EXPECT_EQ(EFAULT, errno);
	expect_unchanged(_metadata, self->fd, &self->before);
	ASSERT_EQ(0, zc_limits(self->fd, 0, 0, &lim));
	EXPECT_EQ(0, lim.flags);
	EXPECT_EQ(orig.max_bytes, lim.max_bytes);
	munmap(ro, self->page);
}

/* --- caps ----------------------------------------------------------------- */

TEST_F(pool, pool_cap_is_edquot_and_changes_nothing)
{
	uint64_t a, b, c;

	ASSERT_EQ(0, zc_pin_to_one_cpu());

	ASSERT_EQ(0, zc_limits(self->fd, 2 * self->chunk, 0, NULL));
	ASSERT_EQ(0, zc_alloc(self->fd, self->chunk, 0, 0, &a));
	ASSERT_EQ(0, zc_alloc(self->fd, self->chunk, 0, 0, &b));
	snap(_metadata, self->fd, &self->before);
	EXPECT_EQ(2 * self->chunk, self->before.st.bytes_held);
	EXPECT_EQ(EDQUOT, zc_alloc(self->fd, self->chunk, 0, 0, &c));
	EXPECT_EQ(EDQUOT, zc_alloc(self->fd, 16, 0, 0, &c));
	EXPECT_EQ(EDQUOT, zc_alloc(self->fd, self->page, 0, 0, &c));
	EXPECT_EQ(EDQUOT, zc_alloc(self->fd, self->chunk + 1, 0, 0, &c));
	expect_unchanged(_metadata, self->fd, &self->before);
	/* Larger than the cap itself: never possible, so a bad size. */
	EXPECT_EQ(EINVAL, zc_alloc(self->fd, 2 * self->chunk + 1, 0, 0, &c));
	ASSERT_EQ(0, zc_free(self->fd, a));
	EXPECT_EQ(0, zc_alloc(self->fd, 16, 0, 0, &c));
	EXPECT_EQ(0, zc_free(self->fd, c));
	EXPECT_EQ(0, zc_free(self->fd, b));
}

/*
 * A test that reloads zcpool.ko with parameters of its own: the teardown,
 * which the harness runs after a failed ASSERT too, closes the test's pools
 * and restores the defaults, so that a failure stays the test's own.
 */
FIXTURE(reload) {
	int fd, fd2;
};

FIXTURE_SETUP(reload)
{
	self->fd = -1;
	self->fd2 = -1;
}

FIXTURE_TEARDOWN(reload)
{
	int ret;

	if (self->fd >= 0)
		close(self->fd);
	if (self->fd2 >= 0)
		close(self->fd2);
	ret = zc_unload();
	if (!ret)
		ret = zc_load("");
	EXPECT_EQ(0, ret) TH_LOG("reload with defaults: %s", strerror(-ret));
}

/*
 * The module-wide cap: reload zcpool.ko with small caps, fill one pool to
 * its cap and watch a second one stop at the total; the fixture restores
 * the defaults. Needs the module unloadable: no pool open anywhere.
 */
TEST_F(reload, total_cap_is_edquot)
{
	int ret;
	uint64_t chunk, off, off2;
	struct zcpool_stats st;
	struct snapshot a, b;

	ret = zc_unload();
	ASSERT_EQ(0, ret) TH_LOG("unload: %s", strerror(-ret));
	ret = zc_load("chunk_order=8 pool_max_bytes=4M total_max_bytes=6M");
	ASSERT_EQ(0, ret) TH_LOG("load: %s", strerror(-ret));
	self->fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	self->fd2 = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, zc_pin_to_one_cpu());
	chunk = zc_chunk_bytes(self->fd);
	ASSERT_EQ(1 << 20, chunk);
	EXPECT_EQ(0, zc_alloc(self->fd, 4 * chunk, 0, 0, &off));
	EXPECT_EQ(EDQUOT, zc_alloc(self->fd, 16, 0, 0, &off2));
	EXPECT_EQ(0, zc_alloc(self->fd2, chunk, 0, 0, &off2));
	EXPECT_EQ(0, zc_alloc(self->fd2, chunk, 0, 0, &off2));
	/*
	 * The second pool holds 2 of its 4 MiB, the module 6 of 6: the total
	 * stops it, and the refusals change nothing live in either pool
	 * (what they hold idle may go back: nothing here).
	 */
	snap(_metadata, self->fd, &a);
	snap(_metadata, self->fd2, &b);
	EXPECT_EQ(EDQUOT, zc_alloc(self->fd2, chunk, 0, 0, &off2));
	EXPECT_EQ(EDQUOT, zc_alloc(self->fd2, 16, 0, 0, &off2));
	expect_unchanged(_metadata, self->fd, &a);
	expect_unchanged(_metadata, self->fd2, &b);
	ASSERT_EQ(0, zc_stats(self->fd2, &st, NULL));
	EXPECT_EQ(2, st.live);
	EXPECT_EQ(2 * chunk, st.bytes_held);
	/*
	 * Freed, the first pool's 4 MiB are idle (a spare, cached, or an
	 * empty chunk) but still its own: the total cap has them given back
	 * before it refuses the second pool.
	 */
	EXPECT_EQ(0, zc_free(self->fd, off));
	ASSERT_EQ(0, zc_stats(self->fd, &st, NULL));
	EXPECT_EQ(0, st.live);
	EXPECT_EQ(4 * chunk, st.bytes_held);
	EXPECT_EQ(0, zc_alloc(self->fd2, chunk, 0, 0, &off2));
	ASSERT_EQ(0, zc_stats(self->fd, &st, NULL));
	EXPECT_EQ(0, st.bytes_held);
	EXPECT_EQ(0, zc_alloc(self->fd, 3 * chunk, 0, 0, &off));
	/* In use, memory counts: 3 + 3 of 6 MiB, and the second pool stops. */
	snap(_metadata, self->fd2, &b);
	EXPECT_EQ(EDQUOT, zc_alloc(self->fd2, chunk, 0, 0, &off2));
	snap(_metadata, self->fd2, &a);
	expect_same_live(_metadata, &b, &a);
	EXPECT_EQ(b.st.allocs, a.st.allocs);
	EXPECT_EQ(b.st.frees, a.st.frees);
	close(self->fd);
	self->fd = -1;
	/* The first pool is gone with its fd: its bytes count no more. */
	EXPECT_EQ(0, zc_alloc(self->fd2, chunk, 0, 0, &off2));
}

/*
 * The smallest chunk_order the module takes, 3 (8 pages, the longest
 * subpage run), opens pools that serve every shape: the largest class and
 * runs of the chunk's pages from chunks, longer runs up to
 * ZCPOOL_RUN_MAX_PAGES as huge allocations.
 */
TEST_F(reload, smallest_chunks_serve_every_shape)
{
	uint64_t off[4], chunk, page = sysconf(_SC_PAGESIZE);
	struct zcpool_stats st;
	unsigned int i;
	char *p;
	int ret;

	ret = zc_unload();
	ASSERT_EQ(0, ret) TH_LOG("unload: %s", strerror(-ret));
	ret = zc_load("chunk_order=3");
	ASSERT_EQ(0, ret) TH_LOG("load: %s", strerror(-ret));
	self->fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open with 8-page chunks: %s", strerror(errno));
	chunk = zc_chunk_bytes(self->fd);
	ASSERT_EQ(8 * page, chunk);
	EXPECT_EQ(0, zc_alloc(self->fd, 32768, 0, 0, &off[0])) TH_LOG("the largest class");
	EXPECT_EQ(0, zc_alloc(self->fd, chunk, 0, 0, &off[1])) TH_LOG("a run of a chunk");
	EXPECT_EQ(0, zc_alloc(self->fd, chunk + 1, 0, 0, &off[2])) TH_LOG("a run past a chunk");
	EXPECT_EQ(0, zc_alloc(self->fd, ZCPOOL_RUN_MAX_PAGES * page, 0, 0, &off[3]));
	ASSERT_EQ(0, zc_stats(self->fd, &st, NULL));
	EXPECT_EQ(4, st.live);
	EXPECT_EQ(2, st.huge_live) TH_LOG("runs longer than a chunk are huge");
	p = mmap(NULL, chunk + page, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, off[2]);
	ASSERT_NE(MAP_FAILED, p);
	zc_fill(p, off[2], chunk + 1, 40);
	EXPECT_EQ(-1, zc_check(p, off[2], chunk + 1, 40));
	EXPECT_EQ(0, munmap(p, chunk + page));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, zc_free(self->fd, off[i]));
	ASSERT_EQ(0, zc_stats(self->fd, &st, NULL));
	EXPECT_EQ(0, st.live);
}

TEST_HARNESS_MAIN
