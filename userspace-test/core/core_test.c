// SPDX-License-Identifier: GPL-2.0
/*
 * core_test: the pure allocator core of zcpool (mod/buddy.c, mod/subpage.c,
 * mod/sizeclass.c, compiled unchanged against the shims in shim/) tested in
 * user space, where ASan and UBSan watch every access and a run takes a
 * second. The KUnit suites zcpool_buddy, zcpool_subpage and zcpool_sizeclass
 * test the same code inside the kernel.
 *
 *   core_test [SEED [OPS]]
 *
 * SEED (default: the time) drives the randomized differential tests, which
 * replay OPS (default 200000) operations per buddy order against a page
 * bitmap and per size class against an element bitmap. The seed is printed
 * first, so any failure can be replayed. Ends with "N passed, N failed" and
 * exits 1 if anything failed.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/kernel.h>

#include "buddy.h"
#include "sizeclass.h"
#include "subpage.h"

static unsigned int case_failures;
static unsigned int passed, failed;

static void fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	case_failures++;
	if (case_failures > 10)
		return;	/* one broken invariant tends to repeat: show the first few */
	fprintf(stderr, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define EXPECT(cond, fmt, ...)						\
	do {								\
		if (!(cond))						\
			fail(__FILE__, __LINE__, "%s: " fmt, #cond, ##__VA_ARGS__); \
	} while (0)

#define EXPECT_EQ(seen, want)						\
	do {								\
		long long _s = (seen), _w = (want);			\
		if (_s != _w)						\
			fail(__FILE__, __LINE__, "%s: expected %lld, saw %lld", \
			     #seen, _w, _s);				\
	} while (0)

static void run_case(const char *name, void (*fn)(void))
{
	case_failures = 0;
	fn();
	if (case_failures) {
		failed++;
		printf("not ok %s (%u failures)\n", name, case_failures);
	} else {
		passed++;
		printf("ok %s\n", name);
	}
	fflush(stdout);
}

/* --- a seeded PRNG (splitmix64: small, fast, good enough for tests) ------- */

static u64 rng_state;

static u64 rng_next(void)
{
	u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int rng_below(unsigned int n)
{
	return rng_next() % n;
}

static u64 seed;
static unsigned long ops_per_run = 200000;

/* --- the buddy tree ------------------------------------------------------- */

#define MAX_TEST_ORDER	11
#define MAX_PAGES	(1U << MAX_TEST_ORDER)
#define REF_WORDS	(MAX_PAGES / 64)

static u8 map[ZCPOOL_BUDDY_MAP_BYTES(MAX_TEST_ORDER)];

static unsigned int depth_of(unsigned int id)
{
	return 31 - __builtin_clz(id);
}

/*
 * Every node obeys the rules of buddy.h: a leaf is free (its depth) or used;
 * an inner node is its depth when both children are wholly free, the
 * smaller child otherwise, or "used" over two wholly free children when it
 * was allocated as one piece. Returns the free pages under @id.
 */
static unsigned int check_node(const struct zcpool_buddy *b, unsigned int id)
{
	unsigned int d = depth_of(id), used = b->order + 1;
	u8 v = b->memory_map[id], l, r;
	unsigned int lf, rf;

	if (d == b->order) {
		EXPECT(v == d || v == used, "leaf %u reads %u", id, v);
		return v == d;
	}
	lf = check_node(b, 2 * id);
	rf = check_node(b, 2 * id + 1);
	l = b->memory_map[2 * id];
	r = b->memory_map[2 * id + 1];
	if (l == d + 1 && r == d + 1) {
		EXPECT(v == d || v == used, "node %u reads %u over free children", id, v);
		return v == d ? lf + rf : 0;
	}
	EXPECT(v == (l < r ? l : r), "node %u reads %u, children %u %u", id, v, l, r);
	return lf + rf;
}

static void check_tree(const struct zcpool_buddy *b)
{
	unsigned int free_pages = check_node(b, 1);

	EXPECT_EQ(free_pages, zcpool_buddy_free_pages(b));
	EXPECT_EQ(b->memory_map[0], b->order + 1);
}

/* The reference model: one bit per page, set while the page is allocated. */
struct ref {
	unsigned int order;
	unsigned int free_pages;
	u64 used[REF_WORDS];
};

static void ref_init(struct ref *r, unsigned int order)
{
	memset(r, 0, sizeof(*r));
	r->order = order;
	r->free_pages = 1U << order;
}

static bool ref_page_used(const struct ref *r, unsigned int page)
{
	return r->used[page / 64] >> (page % 64) & 1;
}

static void ref_set(struct ref *r, unsigned int first, unsigned int pages, bool used)
{
	unsigned int p;

	for (p = first; p < first + pages; p++) {
		if (used)
			r->used[p / 64] |= 1ULL << (p % 64);
		else
			r->used[p / 64] &= ~(1ULL << (p % 64));
	}
	if (used)
		r->free_pages -= pages;
	else
		r->free_pages += pages;
}

/* The leftmost free block of @size (a power of two) pages aligned to its size. */
static int ref_find(const struct ref *r, unsigned int size)
{
	unsigned int total = 1U << r->order, words = (total + 63) / 64;
	unsigned int w, s, start;
	u64 f, valid;

	if (size > total)
		return -1;
	if (size >= 64) {
		for (start = 0; start < total; start += size) {
			for (w = start / 64; w < (start + size) / 64; w++)
				if (r->used[w])
					break;
			if (w == (start + size) / 64)
				return start;
		}
		return -1;
	}
	valid = total < 64 ? (1ULL << total) - 1 : ~0ULL;
	for (w = 0; w < words; w++) {
		/* Fold: bit i stays set only if pages i..i+size-1 are all free. */
		f = ~r->used[w] & valid;
		for (s = 1; s < size; s <<= 1)
			f &= f >> s;
		f &= ~0ULL / ((1ULL << size) - 1);	/* aligned starts only */
		if (f)
			return w * 64 + __builtin_ctzll(f);
	}
	return -1;
}

static unsigned int ref_largest(const struct ref *r)
{
	unsigned int size;

	for (size = 1U << r->order; size; size >>= 1)
		if (ref_find(r, size) >= 0)
			return size;
	return 0;
}

/* The tree and the model agree page by page, compared subtree-wise. */
static void check_against_ref(const struct zcpool_buddy *b, const struct ref *r,
			      unsigned int id)
{
	unsigned int d = depth_of(id), size = 1U << (b->order - d);
	unsigned int first = (id - (1U << d)) * size, p;
	u8 v = b->memory_map[id];

	if (v == d || v == b->order + 1) {
		for (p = first; p < first + size; p++)
			if (ref_page_used(r, p) != (v != d)) {
				fail(__FILE__, __LINE__, "page %u: tree says %s, model says %s",
				     p, v == d ? "free" : "used",
				     ref_page_used(r, p) ? "used" : "free");
				return;
			}
		return;
	}
	check_against_ref(b, r, 2 * id);
	check_against_ref(b, r, 2 * id + 1);
}

static void buddy_seed_example(void)
{
	struct zcpool_buddy b;

	/* 8 KiB pages in the seed: 8 KiB, 16 KiB, 8 KiB = 1, 2, 1 pages. */
	EXPECT_EQ(zcpool_buddy_init(&b, 11, map), 0);
	EXPECT_EQ(zcpool_buddy_alloc(&b, 1), 0);
	EXPECT_EQ(map[2048], 12);
	check_tree(&b);
	EXPECT_EQ(zcpool_buddy_alloc(&b, 2), 2);
	EXPECT_EQ(map[1025], 12);
	check_tree(&b);
	EXPECT_EQ(zcpool_buddy_alloc(&b, 1), 1);
	EXPECT_EQ(map[2049], 12);
	EXPECT_EQ(map[1024], 12);	/* full because of its children */
	check_tree(&b);
	EXPECT_EQ(zcpool_buddy_free_pages(&b), 2048 - 4);
	EXPECT_EQ(zcpool_buddy_free(&b, 0, 1), 0);
	EXPECT_EQ(zcpool_buddy_free(&b, 2, 2), 0);
	EXPECT_EQ(zcpool_buddy_free(&b, 1, 1), 0);
	check_tree(&b);
	EXPECT(zcpool_buddy_is_unused(&b), "tree not unused after freeing all");
	EXPECT_EQ(map[1], 0);
}

static void buddy_trims_tails(void)
{
	struct zcpool_buddy b;

	EXPECT_EQ(zcpool_buddy_init(&b, 2, map), 0);
	EXPECT_EQ(zcpool_buddy_alloc(&b, 3), 0);
	EXPECT_EQ(zcpool_buddy_free_pages(&b), 1);
	EXPECT_EQ(zcpool_buddy_largest_free(&b), 1);
	check_tree(&b);
	EXPECT_EQ(zcpool_buddy_alloc(&b, 1), 3);
	EXPECT_EQ(zcpool_buddy_alloc(&b, 1), -ENOSPC);
	check_tree(&b);

	EXPECT_EQ(zcpool_buddy_init(&b, 3, map), 0);
	EXPECT_EQ(zcpool_buddy_alloc(&b, 5), 0);
	EXPECT_EQ(zcpool_buddy_free_pages(&b), 3);
	check_tree(&b);
	EXPECT_EQ(zcpool_buddy_alloc(&b, 2), 6);
	EXPECT_EQ(zcpool_buddy_alloc(&b, 1), 5);
	EXPECT_EQ(zcpool_buddy_free_pages(&b), 0);
	check_tree(&b);
	EXPECT_EQ(zcpool_buddy_free(&b, 0, 5), 0);
	EXPECT_EQ(zcpool_buddy_free_pages(&b), 5);
	EXPECT_EQ(zcpool_buddy_largest_free(&b), 4);
	check_tree(&b);
}

static void buddy_refuses_bad_frees(void)
{
	struct zcpool_buddy b;
	u8 before[ZCPOOL_BUDDY_MAP_BYTES(4)];

	EXPECT_EQ(zcpool_buddy_init(&b, 4, map), 0);
	EXPECT_EQ(zcpool_buddy_alloc(&b, 3), 0);	/* pieces 0-1, 2 */
	EXPECT_EQ(zcpool_buddy_alloc(&b, 4), 4);
	memcpy(before, map, sizeof(before));
	EXPECT_EQ(zcpool_buddy_free(&b, 0, 4), -EINVAL);	/* larger than allocated */
	EXPECT_EQ(zcpool_buddy_free(&b, 4, 2), -EINVAL);	/* part of a piece */
	EXPECT_EQ(zcpool_buddy_free(&b, 5, 1), -EINVAL);
	EXPECT_EQ(zcpool_buddy_free(&b, 1, 3), -EINVAL);	/* unaligned */
	EXPECT_EQ(zcpool_buddy_free(&b, 8, 8), -EINVAL);	/* never allocated */
	EXPECT_EQ(zcpool_buddy_free(&b, 16, 1), -EINVAL);	/* past the chunk */
	EXPECT_EQ(zcpool_buddy_free(&b, 0, 17), -EINVAL);
	EXPECT_EQ(zcpool_buddy_free(&b, 0, 0), -EINVAL);
	EXPECT(!memcmp(before, map, sizeof(before)), "a refused free changed the map");
	EXPECT_EQ(zcpool_buddy_free_pages(&b), 9);
	EXPECT_EQ(zcpool_buddy_free(&b, 4, 4), 0);
	EXPECT_EQ(zcpool_buddy_free(&b, 4, 4), -EINVAL);	/* double free */
	check_tree(&b);
	EXPECT_EQ(zcpool_buddy_alloc(&b, 0), -EINVAL);
	EXPECT_EQ(zcpool_buddy_alloc(&b, 17), -EINVAL);

	/* A block full because of two allocations is not one allocation. */
	EXPECT_EQ(zcpool_buddy_init(&b, 1, map), 0);
	EXPECT_EQ(zcpool_buddy_alloc(&b, 1), 0);
	EXPECT_EQ(zcpool_buddy_alloc(&b, 1), 1);
	EXPECT_EQ(zcpool_buddy_free(&b, 0, 2), -EINVAL);
	EXPECT_EQ(zcpool_buddy_free_pages(&b), 0);
	check_tree(&b);
	EXPECT_EQ(zcpool_buddy_init(&b, ZCPOOL_BUDDY_MAX_ORDER + 1, map), -EINVAL);
	EXPECT_EQ(zcpool_buddy_init(&b, 3, NULL), -EINVAL);
	EXPECT_EQ(zcpool_buddy_map_bytes(ZCPOOL_BUDDY_MAX_ORDER + 1), 0);
}

/* Random allocs and frees of every size against the model, for one order. */
static void buddy_differential_order(unsigned int order)
{
	static struct { unsigned int first, pages; } live[MAX_PAGES];
	static struct ref r;
	unsigned int total = 1U << order, nr_live = 0, k, pages, i;
	struct zcpool_buddy b;
	unsigned long op;
	int got, want;

	EXPECT_EQ(zcpool_buddy_init(&b, order, map), 0);
	ref_init(&r, order);
	for (op = 0; op < ops_per_run && !case_failures; op++) {
		if (nr_live && rng_below(100) >= 55) {
			i = rng_below(nr_live);
			EXPECT_EQ(zcpool_buddy_free(&b, live[i].first, live[i].pages), 0);
			ref_set(&r, live[i].first, live[i].pages, false);
			if (rng_below(16) == 0)	/* a double free is refused */
				EXPECT_EQ(zcpool_buddy_free(&b, live[i].first, live[i].pages),
					  -EINVAL);
			live[i] = live[--nr_live];
		} else {
			/* Every block order equally often, any size within it. */
			k = rng_below(order + 1);
			pages = k ? (1U << (k - 1)) + 1 + rng_below(1U << (k - 1)) : 1;
			got = zcpool_buddy_alloc(&b, pages);
			want = ref_find(&r, 1U << k);
			EXPECT(got == (want < 0 ? -ENOSPC : want),
			       "order %u op %lu: alloc(%u) = %d, model %d",
			       order, op, pages, got, want);
			if (got >= 0) {
				ref_set(&r, got, pages, true);
				live[nr_live].first = got;
				live[nr_live].pages = pages;
				nr_live++;
			}
		}
		EXPECT_EQ(zcpool_buddy_free_pages(&b), r.free_pages);
		EXPECT_EQ(zcpool_buddy_largest_free(&b), ref_largest(&r));
		if (order <= 6 || op % 512 == 0) {
			check_tree(&b);
			check_against_ref(&b, &r, 1);
		}
	}
	while (nr_live) {
		nr_live--;
		EXPECT_EQ(zcpool_buddy_free(&b, live[nr_live].first, live[nr_live].pages), 0);
	}
	check_tree(&b);
	EXPECT_EQ(zcpool_buddy_free_pages(&b), total);
	EXPECT_EQ(zcpool_buddy_largest_free(&b), total);
	EXPECT(zcpool_buddy_is_unused(&b), "order %u: pages leaked", order);
}

static void buddy_differential(void)
{
	unsigned int order;

	for (order = 0; order <= MAX_TEST_ORDER; order++)
		buddy_differential_order(order);
}

/* --- size classes --------------------------------------------------------- */

static void sizeclass_index_is_smallest_fit(void)
{
	unsigned int size, idx = 0;

	/* Exhaustive: the class of every small size is the first one that fits. */
	for (size = 1; size <= ZCPOOL_SIZECLASS_MAX_SIZE; size++) {
		while (zcpool_sizeclass_size(idx) < size)
			idx++;
		EXPECT_EQ(zcpool_sizeclass_index(size), idx);
	}
	EXPECT_EQ(idx, ZCPOOL_SIZECLASS_NR - 1);
	EXPECT_EQ(zcpool_sizeclass_index(0), -ERANGE);
	EXPECT_EQ(zcpool_sizeclass_index(ZCPOOL_SIZECLASS_MAX_SIZE + 1), -ERANGE);
	EXPECT_EQ(zcpool_sizeclass_index((size_t)-1), -ERANGE);
}

static void sizeclass_table_properties(void)
{
	unsigned int idx, size, prev = 0, pages, elems, run, tail, one_elem = 0;
	double waste, worst_waste = 0, worst_tail = 0;

	for (idx = 0; idx < ZCPOOL_SIZECLASS_NR; idx++) {
		size = zcpool_sizeclass_size(idx);
		pages = zcpool_sizeclass_run_pages(idx);
		elems = zcpool_sizeclass_nr_elems(idx);
		run = pages * PAGE_SIZE;
		EXPECT(size > prev, "class %u: %u after %u", idx, size, prev);
		EXPECT_EQ(size % ZCPOOL_SIZECLASS_QUANTUM, 0);
		EXPECT(pages >= 1 && pages <= ZCPOOL_SIZECLASS_RUN_MAX_PAGES,
		       "class %u: %u pages", idx, pages);
		EXPECT_EQ(elems, run / size);
		EXPECT(elems >= 1 && elems <= ZCPOOL_SUBPAGE_MAX_ELEMS, "class %u", idx);
		tail = run % size;
		EXPECT(tail * ZCPOOL_SIZECLASS_TAIL_DIV <= run, "class %u: tail %u of %u",
		       idx, tail, run);
		if ((double)tail / run > worst_tail)
			worst_tail = (double)tail / run;
		/* Smallest run meeting the bound: one page fewer would not. */
		if (pages > 1) {
			unsigned int less = run - PAGE_SIZE;

			EXPECT(less < size || (less % size) * ZCPOOL_SIZECLASS_TAIL_DIV > less,
			       "class %u: %u pages would do", idx, pages - 1);
		}
		/*
		 * One element per run exactly when the class is above half a
		 * page and rounding it up to pages leaves at most 1/8 unused
		 * (the rule the pool's page-run service of such classes and
		 * the uapi state); the run is then those pages.
		 */
		{
			unsigned int up = (size + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE;
			int rule = size > PAGE_SIZE / 2 &&
				   (up - size) * ZCPOOL_SIZECLASS_TAIL_DIV <= up;

			EXPECT((elems == 1) == rule, "class %u: %u elements, rule %d", idx,
			       elems, rule);
			if (rule)
				EXPECT_EQ(run, up);
			one_elem += elems == 1;
		}
		/* Worst rounding: the request one byte above the previous class. */
		if (prev >= ZCPOOL_SIZECLASS_TINY_MAX) {
			waste = (double)(size - prev - 1) / (prev + 1);
			EXPECT(waste < 0.125, "class %u: waste %.4f", idx, waste);
			if (waste > worst_waste)
				worst_waste = waste;
		}
		prev = size;
	}
	EXPECT_EQ(prev, ZCPOOL_SIZECLASS_MAX_SIZE);
	EXPECT_EQ(zcpool_sizeclass_size(ZCPOOL_SIZECLASS_NR), 0);
	EXPECT_EQ(zcpool_sizeclass_run_pages(ZCPOOL_SIZECLASS_NR), 0);
	EXPECT_EQ(zcpool_sizeclass_nr_elems(ZCPOOL_SIZECLASS_NR), 0);
	printf("  %d classes up to %lu B (page %lu B): worst rounding above %d B %.2f%%, "
	       "worst run tail %.2f%%, %u of one element per run\n",
	       ZCPOOL_SIZECLASS_NR, (unsigned long)ZCPOOL_SIZECLASS_MAX_SIZE,
	       (unsigned long)PAGE_SIZE, ZCPOOL_SIZECLASS_TINY_MAX,
	       100 * worst_waste, 100 * worst_tail, one_elem);
}

/* --- subpages ------------------------------------------------------------- */

static u64 bitmap[ZCPOOL_SUBPAGE_BITMAP_WORDS(ZCPOOL_SUBPAGE_MAX_ELEMS)];

static void check_subpage(const struct zcpool_subpage *sp)
{
	unsigned int words = zcpool_subpage_bitmap_words(sp->nr_elems), w, used = 0;
	unsigned int tail = sp->nr_elems % 64;

	for (w = 0; w < words; w++)
		used += __builtin_popcountll(sp->bitmap[w]);
	if (tail) {
		EXPECT_EQ(sp->bitmap[words - 1] >> tail, ~0ULL >> tail);
		used -= 64 - tail;
	}
	EXPECT_EQ(used + sp->nr_free, sp->nr_elems);
	EXPECT(sp->cache_word < words, "cache word %u of %u", sp->cache_word, words);
	EXPECT(sp->alloc_cache == ~sp->bitmap[sp->cache_word], "cache %#llx, word %#llx",
	       (unsigned long long)sp->alloc_cache,
	       (unsigned long long)sp->bitmap[sp->cache_word]);
}

/* Fill a run of every class, free it in random order, fill it again. */
static void subpage_every_class_fills_and_empties(void)
{
	static unsigned int order[ZCPOOL_SUBPAGE_MAX_ELEMS];
	static bool seen[ZCPOOL_SUBPAGE_MAX_ELEMS];
	unsigned int idx, n, i, j, t;
	struct zcpool_subpage sp;
	int got;

	for (idx = 0; idx < ZCPOOL_SIZECLASS_NR; idx++) {
		n = zcpool_sizeclass_nr_elems(idx);
		EXPECT_EQ(zcpool_subpage_init(&sp, n, bitmap), 0);
		EXPECT(zcpool_subpage_is_empty(&sp), "class %u", idx);
		memset(seen, 0, sizeof(seen));
		for (i = 0; i < n; i++) {
			got = zcpool_subpage_alloc(&sp);
			EXPECT(got >= 0 && got < (int)n && !seen[got], "class %u: got %d", idx, got);
			if (got < 0 || got >= (int)n)
				return;
			seen[got] = true;
			order[i] = got;
			check_subpage(&sp);
		}
		EXPECT(zcpool_subpage_is_full(&sp), "class %u", idx);
		EXPECT_EQ(zcpool_subpage_alloc(&sp), -ENOSPC);
		for (i = n; i > 1; i--) {
			j = rng_below(i);
			t = order[i - 1];
			order[i - 1] = order[j];
			order[j] = t;
		}
		for (i = 0; i < n; i++) {
			EXPECT_EQ(zcpool_subpage_free(&sp, order[i]), 0);
			EXPECT_EQ(zcpool_subpage_free(&sp, order[i]), -EINVAL);
			check_subpage(&sp);
		}
		EXPECT(zcpool_subpage_is_empty(&sp), "class %u", idx);
		EXPECT_EQ(zcpool_subpage_free(&sp, n), -EINVAL);
		/* An emptied run is as good as new: every element once more. */
		memset(seen, 0, sizeof(seen));
		for (i = 0; i < n; i++) {
			got = zcpool_subpage_alloc(&sp);
			EXPECT(got >= 0 && got < (int)n && !seen[got], "class %u: got %d", idx, got);
			if (got < 0 || got >= (int)n)
				return;
			seen[got] = true;
		}
		EXPECT_EQ(zcpool_subpage_alloc(&sp), -ENOSPC);
		check_subpage(&sp);
	}
}

static void subpage_differential(void)
{
	static unsigned int live[ZCPOOL_SUBPAGE_MAX_ELEMS];
	static bool used[ZCPOOL_SUBPAGE_MAX_ELEMS];
	unsigned int sizes[] = { 1, 63, 64, 65, 256, 1000, ZCPOOL_SUBPAGE_MAX_ELEMS };
	unsigned int s, n, nr_live, i, bad;
	struct zcpool_subpage sp;
	unsigned long op;
	int got;

	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		n = sizes[s];
		nr_live = 0;
		memset(used, 0, sizeof(used));
		EXPECT_EQ(zcpool_subpage_init(&sp, n, bitmap), 0);
		for (op = 0; op < ops_per_run / 4 && !case_failures; op++) {
			if (nr_live && rng_below(100) >= 50) {
				i = rng_below(nr_live);
				EXPECT_EQ(zcpool_subpage_free(&sp, live[i]), 0);
				used[live[i]] = false;
				live[i] = live[--nr_live];
			} else {
				got = zcpool_subpage_alloc(&sp);
				if (nr_live == n) {
					EXPECT_EQ(got, -ENOSPC);
					continue;
				}
				EXPECT(got >= 0 && got < (int)n && !used[got], "got %d", got);
				if (got < 0 || got >= (int)n)
					break;
				used[got] = true;
				live[nr_live++] = got;
			}
			bad = rng_below(n + 8);
			if (bad >= n || !used[bad])
				EXPECT_EQ(zcpool_subpage_free(&sp, bad), -EINVAL);
			EXPECT_EQ(zcpool_subpage_nr_free(&sp), n - nr_live);
			check_subpage(&sp);
		}
	}
	EXPECT_EQ(zcpool_subpage_init(&sp, 0, bitmap), -EINVAL);
	EXPECT_EQ(zcpool_subpage_init(&sp, ZCPOOL_SUBPAGE_MAX_ELEMS + 1, bitmap), -EINVAL);
	EXPECT_EQ(zcpool_subpage_init(&sp, 1, NULL), -EINVAL);
}

int main(int argc, char **argv)
{
	seed = argc > 1 ? strtoull(argv[1], NULL, 0) : (u64)time(NULL);
	if (argc > 2)
		ops_per_run = strtoul(argv[2], NULL, 0);
	rng_state = seed;
	printf("core_test: seed %" PRIu64 ", %lu ops per run, PAGE_SIZE %lu\n",
	       seed, ops_per_run, (unsigned long)PAGE_SIZE);

	run_case("buddy_seed_example", buddy_seed_example);
	run_case("buddy_trims_tails", buddy_trims_tails);
	run_case("buddy_refuses_bad_frees", buddy_refuses_bad_frees);
	run_case("buddy_differential", buddy_differential);
	run_case("sizeclass_index_is_smallest_fit", sizeclass_index_is_smallest_fit);
	run_case("sizeclass_table_properties", sizeclass_table_properties);
	run_case("subpage_every_class_fills_and_empties",
		 subpage_every_class_fills_and_empties);
	run_case("subpage_differential", subpage_differential);

	printf("core_test: %u passed, %u failed (seed %" PRIu64 ")\n", passed, failed, seed);
	return failed ? 1 : 0;
}
