// SPDX-License-Identifier: GPL-2.0
/*
 * infoleak_test: nothing of the kernel's or of another pool's memory ever
 * reaches user space through zcpool.
 *
 *  - every_ioctl_output_byte_is_written: each command runs twice on the
 *    same pool state with its (out) bytes pre-filled with two different
 *    patterns. Every (out) byte must come back the same both times (the
 *    kernel wrote it, none of the user's bytes are left) and padding must
 *    be zero; no 8-byte word may read as the stack fill of
 *    CONFIG_INIT_STACK_ALL_PATTERN (0xfe.. with gcc, 0xaa.. with clang).
 *    The class_live array gets exactly nr_classes entries, no more.
 *  - new_memory_reads_zero: every byte of fresh allocations of every kind
 *    reads zero, also when the chunks were just filled and given back by
 *    another pool.
 *  - freed_but_mapped_never_shows_another_pool: a buffer freed while still
 *    mapped keeps its old bytes, reads zero or raises SIGBUS, even once its
 *    chunk went back to the kernel and another pool got and wrote its
 *    pages; it never shows them.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "zcpool_testlib.h"
#include "zcpool_util.h"

#define FILL_A		0x5c
#define FILL_B		0xc3
#define STACK_FILL_GCC	0xfefefefefefefefeULL
#define STACK_FILL_CLANG 0xaaaaaaaaaaaaaaaaULL
#define OTHER_MARK	0x4f54484552504f4fULL	/* "OOPREHTO" */

/*
 * A SKIP() in FIXTURE_SETUP does not stop the test body in the 6.1 harness:
 * each body checks self->skipped first.
 */
FIXTURE(leak) {
	bool skipped, has_mmap;
	int fd;
	uint64_t page, chunk;
	unsigned long bytes_checked, words_checked;
};

FIXTURE_SETUP(leak)
{
	struct zcpool_info info;
	cpu_set_t cpu0;

	/* One CPU, one arena: the same request in two fresh pools lands alike. */
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	sched_setaffinity(0, sizeof(cpu0), &cpu0);
	self->fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, zc_info(self->fd, &info));
	if ((info.features & (ZCPOOL_FEATURE_ALLOC | ZCPOOL_FEATURE_BATCH |
			      ZCPOOL_FEATURE_STATS | ZCPOOL_FEATURE_LIMITS)) !=
	    (ZCPOOL_FEATURE_ALLOC | ZCPOOL_FEATURE_BATCH |
	     ZCPOOL_FEATURE_STATS | ZCPOOL_FEATURE_LIMITS)) {
		self->skipped = true;
		SKIP(return, "the module lacks a command (features %#llx)",
		     (unsigned long long)info.features);
	}
	self->has_mmap = info.features & ZCPOOL_FEATURE_MMAP;
	self->page = info.page_size;
	self->chunk = (uint64_t)info.page_size << info.chunk_order;
}

FIXTURE_TEARDOWN(leak)
{
	close(self->fd);
}

/*
 * Compare the two runs of one command, byte by byte, over the struct's
 * (out) bytes [from, to); and look for kernel stack fill in the whole struct.
 */
static int compare_runs(struct __test_metadata *_metadata, const char *what,
			const void *a, const void *b, size_t len, size_t from, size_t to,
			unsigned long *checked)
{
	const uint8_t *x = a, *y = b;
	uint64_t wa, wb;
	size_t i;
	int bad = 0;

	for (i = from; i < to; i++) {
		(*checked)++;
		if (x[i] != y[i]) {
			TH_LOG("%s: out byte %zu is %#x after a %#x fill, %#x after %#x: not written",
			       what, i, x[i], FILL_A, y[i], FILL_B);
			bad++;
		}
	}
	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&wa, x + i, 8);
		memcpy(&wb, y + i, 8);
		if (wa == STACK_FILL_GCC || wa == STACK_FILL_CLANG ||
		    wb == STACK_FILL_GCC || wb == STACK_FILL_CLANG) {
			TH_LOG("%s: word at %zu reads %#llx: uninitialised kernel stack", what, i,
			       (unsigned long long)wa);
			bad++;
		}
	}
	return bad;
}

TEST_F(leak, every_ioctl_output_byte_is_written)
{
	unsigned long checked = 0;
	int bad = 0, run;

	if (self->skipped)
		return;

	/* INFO: all out. */
	{
		struct zcpool_info r[2];

		for (run = 0; run < 2; run++) {
			memset(&r[run], run ? FILL_B : FILL_A, sizeof(r[run]));
			ASSERT_EQ(0, zc_ioctl(self->fd, ZCPOOL_IOC_INFO, &r[run]));
		}
		bad += compare_runs(_metadata, "INFO", &r[0], &r[1], sizeof(r[0]), 0,
				    sizeof(r[0]), &checked);
	}
	/* ALLOC: offset is out; the same request in two fresh pools gives the same offset. */
	{
		struct zcpool_alloc r[2];

		for (run = 0; run < 2; run++) {
			int fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);

			ASSERT_LE(0, fd);
			memset(&r[run], run ? FILL_B : FILL_A, sizeof(r[run]));
			r[run].size = 1000;
			r[run].align = 0;
			r[run].flags = 0;
			r[run].pad = 0;
			ASSERT_EQ(0, zc_ioctl(fd, ZCPOOL_IOC_ALLOC, &r[run]));
			close(fd);
		}
		bad += compare_runs(_metadata, "ALLOC", &r[0], &r[1], sizeof(r[0]),
				    offsetof(struct zcpool_alloc, offset), sizeof(r[0]), &checked);
	}
	/* ALLOC_BATCH: each entry's offset, and done/error. */
	{
		struct zcpool_alloc items[2][16];
		struct zcpool_batch r[2];
		unsigned int i;

		for (run = 0; run < 2; run++) {
			int fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);

			ASSERT_LE(0, fd);
			memset(items[run], run ? FILL_B : FILL_A, sizeof(items[run]));
			for (i = 0; i < 16; i++) {
				items[run][i].size = 1 + i * 5000;
				items[run][i].align = 0;
				items[run][i].flags = 0;
				items[run][i].pad = 0;
			}
			/* entry 12 is bad: done 12, error -EINVAL, entries past it untouched */
			items[run][12].size = 0;
			memset(&r[run], run ? FILL_B : FILL_A, sizeof(r[run]));
			r[run].items = (uintptr_t)items[run];
			r[run].count = 16;
			r[run].flags = 0;
			ASSERT_EQ(0, zc_ioctl(fd, ZCPOOL_IOC_ALLOC_BATCH, &r[run]));
			close(fd);
		}
		EXPECT_EQ(12, r[0].done);
		EXPECT_EQ(-EINVAL, r[0].error);
		bad += compare_runs(_metadata, "ALLOC_BATCH", &r[0], &r[1], sizeof(r[0]),
				    offsetof(struct zcpool_batch, done), sizeof(r[0]), &checked);
		for (i = 0; i < 12; i++)
			bad += compare_runs(_metadata, "ALLOC_BATCH entry", &items[0][i],
					    &items[1][i], sizeof(items[0][i]),
					    offsetof(struct zcpool_alloc, offset),
					    sizeof(items[0][i]), &checked);
		for (i = 12; i < 16; i++) {
			EXPECT_EQ(0x5c5c5c5c5c5c5c5cULL, items[0][i].offset);
			EXPECT_EQ(0xc3c3c3c3c3c3c3c3ULL, items[1][i].offset);
		}
	}
	/* FREE_BATCH: done/error. */
	{
		struct zcpool_batch r[2];
		uint64_t offs[2][4];
		unsigned int i;

		for (run = 0; run < 2; run++) {
			int fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);

			ASSERT_LE(0, fd);
			for (i = 0; i < 3; i++)
				ASSERT_EQ(0, zc_alloc(fd, 100 << i, 0, 0, &offs[run][i]));
			offs[run][3] = offs[run][0];	/* a double free stops it at 3 */
			memset(&r[run], run ? FILL_B : FILL_A, sizeof(r[run]));
			r[run].items = (uintptr_t)offs[run];
			r[run].count = 4;
			r[run].flags = 0;
			ASSERT_EQ(0, zc_ioctl(fd, ZCPOOL_IOC_FREE_BATCH, &r[run]));
			close(fd);
		}
		EXPECT_EQ(3, r[0].done);
		EXPECT_EQ(-EINVAL, r[0].error);
		bad += compare_runs(_metadata, "FREE_BATCH", &r[0], &r[1], sizeof(r[0]),
				    offsetof(struct zcpool_batch, done), sizeof(r[0]), &checked);
	}
	/* STATS: everything but the in fields; class_live exactly nr_classes long. */
	{
		uint64_t classes[2][256];
		struct zcpool_stats r[2];
		unsigned int i, n;
		uint64_t off;

		ASSERT_EQ(0, zc_alloc(self->fd, 100, 0, 0, &off));
		for (run = 0; run < 2; run++) {
			memset(classes[run], run ? FILL_B : FILL_A, sizeof(classes[run]));
			memset(&r[run], run ? FILL_B : FILL_A, sizeof(r[run]));
			r[run].class_live = (uintptr_t)classes[run];
			r[run].nr_classes = 7;		/* fewer than the module has */
			r[run].pad = 0;
			ASSERT_EQ(0, zc_ioctl(self->fd, ZCPOOL_IOC_STATS, &r[run]));
		}
		bad += compare_runs(_metadata, "STATS", &r[0], &r[1], sizeof(r[0]), 0,
				    offsetof(struct zcpool_stats, class_live), &checked);
		bad += compare_runs(_metadata, "STATS nr_classes", &r[0], &r[1], sizeof(r[0]),
				    offsetof(struct zcpool_stats, nr_classes), sizeof(r[0]),
				    &checked);
		EXPECT_EQ(0, r[0].pad);
		n = r[0].nr_classes;
		EXPECT_LT(7, n);
		bad += compare_runs(_metadata, "STATS class_live", classes[0], classes[1],
				    sizeof(classes[0]), 0, 7 * 8, &checked);
		for (i = 7; i < 256; i++) {
			EXPECT_EQ(0x5c5c5c5c5c5c5c5cULL, classes[0][i]) TH_LOG("class %u written", i);
			if (classes[0][i] != 0x5c5c5c5c5c5c5c5cULL)
				break;
		}
		EXPECT_EQ(1, classes[0][6]);	/* 100 B is class 6 (97..112) */
		EXPECT_EQ(0, zc_free(self->fd, off));
	}
	/*
	 * LIMITS: max_bytes and flags out, pad zero. Its fields are all (in)
	 * as well, so the runs ask alike in two spellings: the first keeps
	 * the cap (0) and sets the flag, the second names the cap and sets
	 * nothing (flags stay set). Both must read back the cap and the flag.
	 */
	{
		struct zcpool_limits r[2];
		struct zcpool_stats st;

		ASSERT_EQ(0, zc_stats(self->fd, &st, NULL, 0));
		for (run = 0; run < 2; run++) {
			memset(&r[run], 0, sizeof(r[run]));
			r[run].max_bytes = run ? st.max_bytes : 0;
			r[run].flags = run ? 0 : ZCPOOL_POOL_ZAP_ON_FREE;
			ASSERT_EQ(0, zc_ioctl(self->fd, ZCPOOL_IOC_LIMITS, &r[run]));
		}
		EXPECT_EQ(st.max_bytes, r[0].max_bytes);
		EXPECT_EQ(ZCPOOL_POOL_ZAP_ON_FREE, r[1].flags);
		bad += compare_runs(_metadata, "LIMITS", &r[0], &r[1], sizeof(r[0]), 0,
				    sizeof(r[0]), &checked);
		EXPECT_EQ(0, r[0].pad);
	}
	zc_figures("infoleak: 6 commands, %lu out bytes compared across two fills, %d unwritten or stack-filled",
		   checked, bad);
	EXPECT_EQ(0, bad);
}

/* Read every byte of a fresh allocation through a mapping: all zero. */
static uint64_t nonzero_bytes(int fd, uint64_t page, uint64_t off, uint64_t size,
			      unsigned long *checked)
{
	uint64_t map_off = off & ~(page - 1), len = ((off + size + page - 1) & ~(page - 1)) - map_off;
	uint8_t *m = mmap(NULL, len, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, map_off);
	uint64_t i, bad = 0;

	if (m == MAP_FAILED)
		return ~0ULL;
	for (i = off - map_off; i < off - map_off + size; i++)
		bad += m[i] != 0;
	*checked += size;
	munmap(m, len);
	return bad;
}

/*
 * Mark @nr pieces of @piece bytes, all live at once (a piece freed before
 * the next is taken would come back as the next: one mark, @nr times),
 * then free them all. Returns how many were marked and freed.
 */
static unsigned int fill_and_free_pool(int fd, unsigned int nr, uint64_t piece)
{
	unsigned int marked = 0;
	uint64_t off[16];
	unsigned int i, n;

	for (n = 0; n < nr && n < ARRAY_SIZE(off); n++) {
		uint64_t *m;
		uint64_t j;

		if (zc_alloc(fd, piece, 0, 0, &off[n]))
			break;
		m = mmap(NULL, piece, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
			 off[n]);
		if (m == MAP_FAILED) {
			n++;
			break;
		}
		for (j = 0; j < piece / 8; j++)
			m[j] = OTHER_MARK;
		munmap(m, piece);
		marked++;
	}
	for (i = 0; i < n; i++)
		if (zc_free(fd, off[i]))
			marked = 0;
	return marked;
}

TEST_F_TIMEOUT(leak, new_memory_reads_zero, 300)
{
	const uint64_t sizes[] = { 1, 16, 100, 1000, 4096, 5000, 32768, 40000,
				   self->chunk, self->chunk + 4096 };
	unsigned long checked = 0;
	uint64_t bad = 0, off;
	unsigned int i, round;

	if (self->skipped)
		return;
	if (!self->has_mmap)
		SKIP(return, "the module has no mmap");
	for (round = 0; round < 2; round++) {
		int fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);

		ASSERT_LE(0, fd);
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			ASSERT_EQ(0, zc_alloc(fd, sizes[i], 0, 0, &off));
			bad += nonzero_bytes(fd, self->page, off, sizes[i], &checked);
		}
		close(fd);
		/* Another pool fills 4 chunks with its mark and gives them back. */
		fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		/* Else the next round's fresh memory proves less than it says. */
		ASSERT_EQ(4, fill_and_free_pool(fd, 4, self->chunk));
		close(fd);
	}
	/* ZERO clears reuse inside one pool. */
	{
		int fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);

		ASSERT_LE(0, fd);
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			uint8_t *m;

			ASSERT_EQ(0, zc_alloc(fd, sizes[i], 0, 0, &off));
			m = mmap(NULL, ((off + sizes[i] + self->page - 1) & ~(self->page - 1)) -
				 (off & ~(self->page - 1)), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
				 off & ~(self->page - 1));
			ASSERT_NE(MAP_FAILED, m);
			memset(m + (off & (self->page - 1)), 0x77, sizes[i]);
			munmap(m, ((off + sizes[i] + self->page - 1) & ~(self->page - 1)) -
			       (off & ~(self->page - 1)));
			ASSERT_EQ(0, zc_free(fd, off));
			ASSERT_EQ(0, zc_alloc(fd, sizes[i], 0, ZCPOOL_ALLOC_ZERO, &off));
			bad += nonzero_bytes(fd, self->page, off, sizes[i], &checked);
			ASSERT_EQ(0, zc_free(fd, off));
		}
		close(fd);
	}
	zc_figures("zeroing: %lu bytes of fresh and ZERO allocations read, %llu not zero",
		   checked, (unsigned long long)bad);
	EXPECT_EQ(0, bad);
}

/* The frame behind @addr, from /proc/self/pagemap; 0 if none or hidden. */
static uint64_t frame_of(int pagemap, const void *addr, uint64_t page)
{
	uint64_t entry;

	if (zc_pagemap_entry(pagemap, addr, page, &entry) || !(entry >> 63))
		return 0;
	return entry & ((1ULL << 55) - 1);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Page runs fill 16 chunks, each page marked and mapped; then they are
 * freed, mapping kept (FREE leaves it, like free(3)), and the shrinker
 * (drop_caches) gives the emptied chunks back to the kernel, which must
 * zap them from the mapping first. Another pool then takes and marks 16
 * chunks, held while every page of the old mapping is read: own stale
 * bytes, zero or SIGBUS are fine; the other pool's mark never. The frames
 * behind both, from pagemap, show that the other pool did get pages this
 * one had freed, so the check could fail. (Freed pages wait on the page
 * allocator's per-CPU lists, some 7000 here, before they merge into the
 * blocks a chunk is taken as: the first of 16 chunks get through.)
 */
TEST_F_TIMEOUT(leak, freed_but_mapped_never_shows_another_pool, 300)
{
	enum { OWN_CHUNKS = 16, OTHER_CHUNKS = 16 };
	uint64_t run = ZCPOOL_RUN_MAX_PAGES * self->page, len = 0, i, j;
	uint64_t stale = 0, zero = 0, other = 0, zapped = 0, reused = 0, own_frames = 0;
	uint64_t nr = OWN_CHUNKS * self->chunk / run, nr_pages;
	uint64_t *offs, *frames, *other_off, *mine;
	struct zcpool_stats st;
	int other_fd, pagemap;

	if (self->skipped)
		return;
	if (!self->has_mmap)
		SKIP(return, "the module has no mmap");
	offs = calloc(nr, sizeof(*offs));
	other_off = calloc(OTHER_CHUNKS, sizeof(*other_off));
	ASSERT_NE(NULL, offs);
	ASSERT_NE(NULL, other_off);
	for (i = 0; i < nr; i++) {
		ASSERT_EQ(0, zc_alloc(self->fd, run, 0, 0, &offs[i]));
		len = offs[i] + run > len ? offs[i] + run : len;
	}
	mine = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, mine);
	nr_pages = nr * ZCPOOL_RUN_MAX_PAGES;
	frames = calloc(nr_pages, sizeof(*frames));
	ASSERT_NE(NULL, frames);
	/* The frames are what shows the other pool got these pages (root: PFNs). */
	pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, pagemap);
	for (i = 0; i < nr; i++) {
		for (j = 0; j < run; j += self->page) {
			uint64_t *w = (uint64_t *)((uint8_t *)mine + offs[i] + j);

			*w = 0x4d594f574e425546ULL;	/* this pool's own bytes */
			frames[own_frames] = frame_of(pagemap, w, self->page);
			own_frames += frames[own_frames] != 0;
		}
	}
	for (i = 0; i < nr; i++)
		ASSERT_EQ(0, zc_free(self->fd, offs[i]));
	ASSERT_EQ(0, zc_drop_caches());
	ASSERT_EQ(0, zc_stats(self->fd, &st, NULL, 0));
	EXPECT_EQ(0, st.chunks) TH_LOG("the emptied chunks stayed in the pool");

	other_fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, other_fd);
	qsort(frames, own_frames, sizeof(*frames), cmp_u64);
	for (i = 0; i < OTHER_CHUNKS; i++) {
		uint64_t *m;

		ASSERT_EQ(0, zc_alloc(other_fd, self->chunk, 0, 0, &other_off[i]));
		m = mmap(NULL, self->chunk, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			 other_fd, other_off[i]);
		ASSERT_NE(MAP_FAILED, m);
		for (j = 0; j < self->chunk / 8; j++)
			m[j] = OTHER_MARK;
		for (j = 0; j < self->chunk; j += self->page) {
			uint64_t frame = frame_of(pagemap, (uint8_t *)m + j, self->page);

			reused += frame && bsearch(&frame, frames, own_frames, sizeof(frame),
						   cmp_u64);
		}
		munmap(m, self->chunk);
	}

	for (i = 0; i < nr; i++) {
		for (j = 0; j < run; j += self->page) {
			uint8_t *p = (uint8_t *)mine + offs[i] + j;
			uint64_t w;

			if (zc_probe(p, 0)) {
				zapped++;
				continue;
			}
			w = *(uint64_t *)p;
			if (w == OTHER_MARK)
				other++;
			else if (w == 0)
				zero++;
			else
				stale++;
		}
	}
	munmap(mine, len);
	close(other_fd);
	close(pagemap);
	zc_figures("freed-but-mapped: %llu pages of %llu freed runs read while another pool held %d chunks it marked (%llu of them were freed here, of %llu frames seen): %llu own stale, %llu zero, %llu SIGBUS (zapped), %llu another pool's",
		   (unsigned long long)nr_pages, (unsigned long long)nr, OTHER_CHUNKS,
		   (unsigned long long)reused, (unsigned long long)own_frames,
		   (unsigned long long)stale, (unsigned long long)zero,
		   (unsigned long long)zapped, (unsigned long long)other);
	EXPECT_EQ(0, other);
	/* The chunks did leave: otherwise this test proved nothing. */
	EXPECT_LT(0, zapped);
	/* And the other pool got their pages, where a missed zap would show. */
	EXPECT_EQ(nr_pages, own_frames) TH_LOG("pagemap hid the frames: run as root");
	EXPECT_LT(0, reused);
	free(frames);
	free(other_off);
	free(offs);
}

TEST_HARNESS_MAIN
