// SPDX-License-Identifier: GPL-2.0
/*
 * core_fuzz: a libFuzzer differential fuzzer of zcpool's pure allocator core
 * (mod/buddy.c, mod/subpage.c, mod/sizeclass.c, unchanged, against the shims
 * in shim/), under ASan and UBSan.
 *
 * Each input is a program for a small arena built the way mod/arena.c builds
 * one: a chunk's buddy tree hands out page runs (tails trimmed; one at a
 * time, after a given run, or many side by side, as batches take them),
 * and runs of a size class are cut into elements by a subpage bitmap, an
 * element taken and given back one at a time or by the bitmap-word forms
 * the arena's batches use. A reference model that knows nothing of trees
 * or caches runs the same program: one owner per page, one flag per
 * element, size classes from their definition (16 B steps to 128 B, then 8
 * steps per power of two). After every operation the two
 * must agree on what was handed out and what is free, and every invariant of
 * buddy.h and subpage.h must hold; any difference aborts, and libFuzzer keeps
 * the input that caused it.
 *
 * Input bytes: the chunk order, then operations of a few bytes each (an
 * opcode and its arguments); a short input is simply a short program.
 *
 *   make -C userspace-test/core fuzz FUZZ_SECONDS=60 SEED=N   (see Makefile)
 *   core_fuzz CRASH_FILE                                      replay one input
 */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/kernel.h>
#include <linux/errno.h>
#include <linux/log2.h>

#include "buddy.h"
#include "sizeclass.h"
#include "subpage.h"

/* Chunks of up to 2^10 pages: the default chunk order on x86_64. */
#define FUZZ_MAX_ORDER		10
#define FUZZ_MAX_PAGES		(1U << FUZZ_MAX_ORDER)
/* Full tree walks after every operation below this order, else every 16th. */
#define FUZZ_FULL_CHECK_ORDER	7
#define FUZZ_MAX_LIVE		4096
#define NO_OWNER		(-1)

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "core_fuzz: %s:%d: %s: ",	\
				__FILE__, __LINE__, #cond);		\
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
			abort();					\
		}							\
	} while (0)

/* A run of pages cut into elements of one size class. */
struct fuzz_run {
	unsigned int first_page;
	unsigned int pages;
	unsigned int class;
	struct zcpool_subpage sp;
	u64 bitmap[ZCPOOL_SUBPAGE_BITMAP_WORDS(ZCPOOL_SUBPAGE_MAX_ELEMS)];
	bool elem_used[ZCPOOL_SUBPAGE_MAX_ELEMS];	/* the model's view */
	unsigned int elems_used;
	bool in_use;
};

/* A live allocation: a page run (run < 0) or an element of run @run. */
struct fuzz_alloc {
	int run;
	unsigned int first;	/* first page, or the element index */
	unsigned int pages;	/* pages of a page run */
	size_t size;		/* bytes requested */
};

static struct {
	struct zcpool_buddy tree;
	u8 map[ZCPOOL_BUDDY_MAP_BYTES(FUZZ_MAX_ORDER)];
	int page_owner[FUZZ_MAX_PAGES];	/* the model: allocation or run id */
	unsigned int model_free_pages;
	struct fuzz_alloc live[FUZZ_MAX_LIVE];
	unsigned int nr_live;
	struct fuzz_run runs[FUZZ_MAX_PAGES];	/* at most one run per page */
	unsigned long ops;
} f;

/* --- the reference model ------------------------------------------------- */

/*
 * The class size of a small request, from the definition in sizeclass.h:
 * 16 B steps up to 128 B; above, a size in (2^k, 2^(k+1)] rounds up to a
 * multiple of 2^k / 8.
 */
static size_t ref_class_size(size_t size)
{
	size_t pow = ZCPOOL_SIZECLASS_TINY_MAX, step;

	if (size <= ZCPOOL_SIZECLASS_TINY_MAX)
		step = ZCPOOL_SIZECLASS_QUANTUM;
	else {
		while (pow < size)
			pow *= 2;
		step = pow / 2 / ZCPOOL_SIZECLASS_STEPS;
	}
	return (size + step - 1) / step * step;
}

/* The leftmost wholly free block of 2^k pages aligned to its size, or -1. */
static int ref_find(unsigned int k)
{
	unsigned int total = 1U << f.tree.order, size = 1U << k, start, p;

	if (size > total)
		return -1;
	for (start = 0; start < total; start += size) {
		for (p = start; p < start + size; p++)
			if (f.page_owner[p] != NO_OWNER)
				break;
		if (p == start + size)
			return start;
	}
	return -1;
}

static unsigned int ref_largest(void)
{
	int k;

	for (k = f.tree.order; k >= 0; k--)
		if (ref_find(k) >= 0)
			return 1U << k;
	return 0;
}

static void ref_own(unsigned int first, unsigned int pages, int owner)
{
	unsigned int p;

	for (p = first; p < first + pages; p++) {
		if (owner == NO_OWNER) {
			CHECK(f.page_owner[p] != NO_OWNER, "page %u freed twice", p);
		} else {
			CHECK(f.page_owner[p] == NO_OWNER,
			      "page %u handed out again (owner %d)", p, f.page_owner[p]);
		}
		f.page_owner[p] = owner;
	}
	if (owner == NO_OWNER)
		f.model_free_pages += pages;
	else
		f.model_free_pages -= pages;
}

/* --- invariants of the real core ----------------------------------------- */

static unsigned int depth_of(unsigned int id)
{
	return 31 - __builtin_clz(id);
}

/*
 * buddy.h's rules for every node under @id; returns its free pages. Nodes
 * below a piece keep the values they had when it was handed out, so only
 * the structure is checked there, not the model's pages.
 */
static unsigned int check_node(unsigned int id, bool under_piece)
{
	const struct zcpool_buddy *b = &f.tree;
	unsigned int d = depth_of(id), used = b->order + 1;
	unsigned int size = 1U << (b->order - d), first = (id - (1U << d)) * size, p;
	u8 v = b->memory_map[id], l, r;
	unsigned int lf, rf;
	bool piece;

	if (v == d && !under_piece) {
		/* A wholly free node: the model must agree page by page. */
		for (p = first; p < first + size; p++)
			CHECK(f.page_owner[p] == NO_OWNER, "node %u free, page %u owned", id, p);
	}
	if (d == b->order) {
		CHECK(v == d || v == used, "leaf %u reads %u", id, v);
		if (v == used && !under_piece)
			CHECK(f.page_owner[first] != NO_OWNER, "leaf %u used, page free", id);
		return v == d;
	}
	l = b->memory_map[2 * id];
	r = b->memory_map[2 * id + 1];
	piece = v == used && l == d + 1 && r == d + 1;
	lf = check_node(2 * id, under_piece || piece);
	rf = check_node(2 * id + 1, under_piece || piece);
	if (l == d + 1 && r == d + 1) {
		CHECK(v == d || v == used, "node %u reads %u over free children", id, v);
		if (v == used && !under_piece) {
			for (p = first; p < first + size; p++)
				CHECK(f.page_owner[p] != NO_OWNER,
				      "node %u is a piece, page %u free", id, p);
		}
		return v == d ? lf + rf : 0;
	}
	CHECK(v == min(l, r), "node %u reads %u, children %u %u", id, v, l, r);
	return lf + rf;
}

static void check_subpage(const struct fuzz_run *run)
{
	const struct zcpool_subpage *sp = &run->sp;
	unsigned int words = zcpool_subpage_bitmap_words(sp->nr_elems);
	unsigned int tail = sp->nr_elems % ZCPOOL_SUBPAGE_WORD_BITS, i;
	bool bit;

	for (i = 0; i < sp->nr_elems; i++) {
		bit = sp->bitmap[i / 64] >> (i % 64) & 1;
		CHECK(bit == run->elem_used[i], "class %u elem %u: bitmap %d, model %d",
		      run->class, i, bit, run->elem_used[i]);
	}
	if (tail)
		CHECK(sp->bitmap[words - 1] >> tail == ~0ULL >> tail, "tail bits cleared");
	CHECK(sp->nr_free == sp->nr_elems - run->elems_used, "nr_free %u, model %u",
	      sp->nr_free, sp->nr_elems - run->elems_used);
	CHECK(sp->cache_word < words, "cache word %u of %u", sp->cache_word, words);
	CHECK(sp->alloc_cache == ~sp->bitmap[sp->cache_word], "cache out of sync");
}

static void check_all(void)
{
	unsigned int i;

	CHECK(zcpool_buddy_free_pages(&f.tree) == f.model_free_pages,
	      "free pages %u, model %u", zcpool_buddy_free_pages(&f.tree), f.model_free_pages);
	CHECK(zcpool_buddy_largest_free(&f.tree) == ref_largest(),
	      "largest free %u, model %u", zcpool_buddy_largest_free(&f.tree), ref_largest());
	if (f.tree.order > FUZZ_FULL_CHECK_ORDER && f.ops % 16)
		return;
	CHECK(check_node(1, false) == f.model_free_pages, "tree free pages differ from model");
	CHECK(f.tree.memory_map[0] == f.tree.order + 1, "node 0 changed");
	for (i = 0; i < FUZZ_MAX_PAGES; i++)
		if (f.runs[i].in_use)
			check_subpage(&f.runs[i]);
}

/* --- operations: the real core and the model side by side ---------------- */

struct input {
	const u8 *data;
	size_t size;
};

static unsigned int next_byte(struct input *in)
{
	unsigned int b;

	if (!in->size)
		return 0;
	b = *in->data++;
	in->size--;
	return b;
}

static unsigned int next_u16(struct input *in)
{
	unsigned int lo = next_byte(in);

	return lo | next_byte(in) << 8;
}

static void record(int run, unsigned int first, unsigned int pages, size_t size)
{
	f.live[f.nr_live].run = run;
	f.live[f.nr_live].first = first;
	f.live[f.nr_live].pages = pages;
	f.live[f.nr_live].size = size;
	f.nr_live++;
}

/*
 * Take live entry @i off the table, the last one moved into its place;
 * page owners keep pointing at the right entry after the move.
 */
static void drop_live(unsigned int i)
{
	unsigned int p;

	f.nr_live--;
	if (i == f.nr_live)
		return;
	f.live[i] = f.live[f.nr_live];
	if (f.live[i].run >= 0)
		return;
	for (p = f.live[i].first; p < f.live[i].first + f.live[i].pages; p++)
		f.page_owner[p] = i;
}

/* A run of @pages pages: the tree's answer must be the model's. */
static int take_pages(unsigned int pages, int owner)
{
	int got = zcpool_buddy_alloc(&f.tree, pages);
	int want = ref_find(order_base_2(pages));

	/* More than the chunk holds is a bad argument, not a full tree. */
	if (pages > zcpool_buddy_total_pages(&f.tree))
		want = -EINVAL;
	else if (want < 0)
		want = -ENOSPC;
	CHECK(got == want, "alloc(%u pages) = %d, model %d", pages, got, want);
	if (got >= 0)
		ref_own(got, pages, owner);
	return got;
}

static void give_pages(unsigned int first, unsigned int pages)
{
	u8 before[ZCPOOL_BUDDY_MAP_BYTES(FUZZ_MAX_ORDER)];
	size_t bytes = ZCPOOL_BUDDY_MAP_BYTES(f.tree.order);

	/*
	 * A size larger than allocated is refused and changes nothing, when
	 * the page past the run is free. When another allocation holds that
	 * page as a piece of the right size, the tree cannot tell two
	 * allocations from one and frees both (this fuzzer found it: free(0,
	 * 43) of a 42-page run next to a 1-page run); the arena never does
	 * that, since it frees with the length in its own run descriptor.
	 */
	if (pages < zcpool_buddy_total_pages(&f.tree) &&
	    first + pages < zcpool_buddy_total_pages(&f.tree) &&
	    f.page_owner[first + pages] == NO_OWNER &&
	    (first & ((1U << order_base_2(pages + 1)) - 1)) == 0) {
		memcpy(before, f.map, bytes);
		CHECK(zcpool_buddy_free(&f.tree, first, pages + 1) == -EINVAL,
		      "free(%u, %u + 1) of a %u-page run accepted", first, pages, pages);
		CHECK(!memcmp(before, f.map, bytes), "a refused free changed the tree");
	}
	CHECK(zcpool_buddy_free(&f.tree, first, pages) == 0, "free(%u, %u) refused",
	      first, pages);
	ref_own(first, pages, NO_OWNER);
	memcpy(before, f.map, bytes);
	CHECK(zcpool_buddy_free(&f.tree, first, pages) == -EINVAL, "double free accepted");
	CHECK(!memcmp(before, f.map, bytes), "a refused double free changed the tree");
}

static void op_alloc_pages(struct input *in)
{
	unsigned int total = zcpool_buddy_total_pages(&f.tree);
	unsigned int pages = next_u16(in) % total + 1;
	int got;

	if (f.nr_live == FUZZ_MAX_LIVE)
		return;
	got = take_pages(pages, f.nr_live);
	if (got >= 0)
		record(-1, got, pages, (size_t)pages * PAGE_SIZE);
}

/*
 * A run placed after @prev: the leftmost free block of its size inside the
 * smallest block around @prev's that has one, when @prev starts a live run
 * of the same size (the arena's case); for any other @prev, a free block of
 * the right size and alignment somewhere (ref_own() and the tree walk in
 * check_all() see to the rest).
 */
static void op_alloc_after(struct input *in)
{
	unsigned int total = zcpool_buddy_total_pages(&f.tree);
	unsigned int pages = next_u16(in) % total + 1, k = order_base_2(pages);
	unsigned int pick = next_u16(in), prev = pick % (total + 2), i, span;
	bool after_live = false;
	int got, want;

	if (f.nr_live == FUZZ_MAX_LIVE)
		return;
	if (f.nr_live && pick & 1) {
		i = (pick >> 1) % f.nr_live;
		if (f.live[i].run < 0 && f.live[i].pages == pages) {
			prev = f.live[i].first;
			after_live = true;
		}
	}
	got = zcpool_buddy_alloc_after(&f.tree, pages, prev);
	want = ref_find(k);
	if (want < 0) {
		CHECK(got == -ENOSPC, "alloc_after(%u, %u) = %d, model full", pages, prev, got);
		return;
	}
	CHECK(got >= 0 && !(got & ((1U << k) - 1)), "alloc_after(%u, %u) = %d", pages,
	      prev, got);
	if (after_live) {
		/* The smallest aligned block around prev's holding a free one. */
		for (span = 1U << k; span <= total; span *= 2) {
			unsigned int base = prev & ~(span - 1), start;

			for (start = base; start < base + span; start += 1U << k) {
				unsigned int p;

				for (p = start; p < start + (1U << k); p++)
					if (f.page_owner[p] != NO_OWNER)
						break;
				if (p == start + (1U << k))
					break;
			}
			if (start < base + span) {
				want = start;
				break;
			}
		}
		CHECK(got == want, "alloc_after(%u, %u) = %d, model %d", pages, prev, got,
		      want);
	}
	ref_own(got, pages, f.nr_live);
	record(-1, got, pages, (size_t)pages * PAGE_SIZE);
}

/*
 * Runs side by side: the leftmost free block of the largest size the tree
 * has, up to @want runs' worth, each run a live allocation of its own.
 */
static void op_alloc_many(struct input *in)
{
	unsigned int order = f.tree.order, b = next_byte(in);
	unsigned int k = b % (order + 2), want = next_byte(in) % 70;
	unsigned int pages = 1U << k, largest = ref_largest(), got = 0, i;
	unsigned int block_order;
	int first, expect;

	if (b & 0x80)
		pages += 1 + b % 3;	/* not a power of two */
	first = zcpool_buddy_alloc_many(&f.tree, pages, want, &got);
	if (!want || !is_power_of_2(pages) || pages > zcpool_buddy_total_pages(&f.tree)) {
		CHECK(first == -EINVAL, "alloc_many(%u, %u) = %d, model -EINVAL", pages,
		      want, first);
		return;
	}
	if (largest < pages) {
		CHECK(first == -ENOSPC, "alloc_many(%u, %u) = %d, model full", pages, want,
		      first);
		return;
	}
	k = ilog2(pages);
	block_order = min(k + ilog2(want), (unsigned int)ilog2(largest));
	expect = ref_find(block_order);
	CHECK(first == expect && got == 1U << (block_order - k),
	      "alloc_many(%u, %u) = %d (%u runs), model %d (%u runs)", pages, want, first,
	      got, expect, 1U << (block_order - k));
	/* Keep what fits in the live table; give the rest straight back. */
	for (i = 0; i < got; i++) {
		unsigned int at = first + i * pages;

		if (f.nr_live < FUZZ_MAX_LIVE) {
			ref_own(at, pages, f.nr_live);
			record(-1, at, pages, (size_t)pages * PAGE_SIZE);
		} else {
			CHECK(zcpool_buddy_free(&f.tree, at, pages) == 0,
			      "free(%u, %u) of a run of many refused", at, pages);
		}
	}
}

/*
 * Live runs of one power-of-two size that fill a block, given back in one
 * call: the block around a live run, of up to 32 runs. Any run of it that
 * is not a live run of that size must make the call fail and change
 * nothing, unless it is a leading piece of a longer run, which the tree
 * cannot tell from a run (as for a single free): those are not tried.
 */
static void op_free_many(struct input *in)
{
	u8 before[ZCPOOL_BUDDY_MAP_BYTES(FUZZ_MAX_ORDER)];
	size_t bytes = ZCPOOL_BUDDY_MAP_BYTES(f.tree.order);
	unsigned int pick = next_u16(in), nr = 1U << (next_byte(in) % 6);
	unsigned int first, pages, t, i, slots[32];
	bool all_live = true, pieces = true;
	int rc;

	if (!f.nr_live || f.live[pick % f.nr_live].run >= 0)
		return;
	pages = f.live[pick % f.nr_live].pages;
	first = f.live[pick % f.nr_live].first;
	if (!is_power_of_2(pages) || (u64)pages * nr > zcpool_buddy_total_pages(&f.tree)) {
		memcpy(before, f.map, bytes);
		CHECK(zcpool_buddy_free_many(&f.tree, first, pages, nr) == -EINVAL,
		      "free_many(%u, %u, %u) of a bad size accepted", first, pages, nr);
		CHECK(!memcmp(before, f.map, bytes), "a refused free_many changed the tree");
		return;
	}
	first &= ~(pages * nr - 1);
	for (t = 0; t < nr; t++) {
		for (i = 0; i < f.nr_live; i++)
			if (f.live[i].run < 0 && f.live[i].first == first + t * pages &&
			    f.live[i].pages == pages)
				break;
		if (i < f.nr_live) {
			slots[t] = i;
			continue;
		}
		all_live = false;
		/*
		 * A free page is no piece; an owned one may be the piece of
		 * a longer run, or of a size class's run.
		 */
		if (f.page_owner[first + t * pages] == NO_OWNER)
			pieces = false;
	}
	if (!all_live && pieces)
		return;
	memcpy(before, f.map, bytes);
	rc = zcpool_buddy_free_many(&f.tree, first, pages, nr);
	if (!all_live) {
		CHECK(rc == -EINVAL, "free_many(%u, %u, %u) of runs not all live = %d", first,
		      pages, nr, rc);
		CHECK(!memcmp(before, f.map, bytes), "a refused free_many changed the tree");
		return;
	}
	CHECK(rc == 0, "free_many(%u, %u, %u) of live runs = %d", first, pages, nr, rc);
	ref_own(first, pages * nr, NO_OWNER);
	/* Off the live table from the highest slot down, each moved over by the last. */
	for (t = 0; t < nr; t++) {
		unsigned int top = 0, j;

		for (j = 1; j < nr; j++)
			if (slots[j] > slots[top])
				top = j;
		drop_live(slots[top]);
		slots[top] = 0;
	}
}

static void check_class(size_t size, int class)
{
	size_t csize;

	CHECK(class >= 0 && class < ZCPOOL_SIZECLASS_NR, "class of %zu is %d", size, class);
	csize = zcpool_sizeclass_size(class);
	CHECK(csize == ref_class_size(size), "class of %zu holds %zu, model %zu", size,
	      csize, ref_class_size(size));
	CHECK(class == 0 || zcpool_sizeclass_size(class - 1) < size,
	      "class %d below %d fits %zu", class - 1, class, size);
	CHECK(zcpool_sizeclass_nr_elems(class) * csize <=
	      (size_t)zcpool_sizeclass_run_pages(class) * PAGE_SIZE, "elements overflow the run");
}

static void op_alloc_small(struct input *in)
{
	size_t size = next_u16(in) % ZCPOOL_SIZECLASS_MAX_SIZE + 1;
	int class = zcpool_sizeclass_index(size), got, r, first;
	unsigned int pages, low;
	struct fuzz_run *run = NULL;

	check_class(size, class);
	if (f.nr_live == FUZZ_MAX_LIVE)
		return;
	for (r = 0; r < (int)FUZZ_MAX_PAGES; r++) {
		if (f.runs[r].in_use && f.runs[r].class == (unsigned int)class &&
		    !zcpool_subpage_is_full(&f.runs[r].sp)) {
			run = &f.runs[r];
			break;
		}
	}
	if (!run) {
		pages = zcpool_sizeclass_run_pages(class);
		first = take_pages(pages, FUZZ_MAX_LIVE + 1);
		if (first < 0)
			return;
		/* Runs are indexed by their first page: no two share one. */
		r = first;
		run = &f.runs[r];
		CHECK(!run->in_use, "run slot %d reused", r);
		memset(run, 0, sizeof(*run));
		run->first_page = first;
		run->pages = pages;
		run->class = class;
		run->in_use = true;
		CHECK(zcpool_subpage_init(&run->sp, zcpool_sizeclass_nr_elems(class),
					  run->bitmap) == 0, "subpage init refused");
	}
	/*
	 * The element handed out is the lowest free one of the cached word,
	 * or, once that word is used up, the lowest free one of the run.
	 */
	if (run->sp.alloc_cache) {
		low = run->sp.cache_word * 64 + __builtin_ctzll(run->sp.alloc_cache);
	} else {
		for (low = 0; low < run->sp.nr_elems; low++)
			if (!run->elem_used[low])
				break;
	}
	if (next_byte(in) & 1) {
		got = zcpool_subpage_alloc(&run->sp);
	} else {
		/* The batch form, for one element: the lowest bit offered. */
		unsigned int word = UINT_MAX;
		u64 offered = zcpool_subpage_peek_word(&run->sp, &word);

		CHECK(offered && word < zcpool_subpage_bitmap_words(run->sp.nr_elems),
		      "subpage of class %d offers nothing", class);
		got = word * 64 + __builtin_ctzll(offered);
		zcpool_subpage_take_word(&run->sp, offered & -offered);
	}
	CHECK(got >= 0 && (unsigned int)got < run->sp.nr_elems, "subpage alloc = %d", got);
	CHECK(!run->elem_used[got], "element %d of class %d handed out twice", got, class);
	CHECK((unsigned int)got == low, "element %d handed out, model expects %u", got, low);
	run->elem_used[got] = true;
	run->elems_used++;
	record(r, got, 0, size);
}

/* Free live allocation @i; an element @by_mask through the batch form. */
static void free_live(unsigned int i, bool by_mask)
{
	struct fuzz_alloc *a = &f.live[i];
	struct fuzz_run *run;
	u64 bit;

	if (a->run < 0) {
		give_pages(a->first, a->pages);
	} else {
		run = &f.runs[a->run];
		bit = 1ULL << (a->first % 64);
		if (by_mask) {
			CHECK(zcpool_subpage_allocated(&run->sp, a->first / 64) & bit,
			      "element %u not allocated", a->first);
			zcpool_subpage_free_mask(&run->sp, a->first / 64, bit);
		} else {
			CHECK(zcpool_subpage_free(&run->sp, a->first) == 0, "element %u refused",
			      a->first);
		}
		CHECK(!(zcpool_subpage_allocated(&run->sp, a->first / 64) & bit),
		      "element %u still allocated", a->first);
		run->elem_used[a->first] = false;
		run->elems_used--;
		CHECK(zcpool_subpage_free(&run->sp, a->first) == -EINVAL,
		      "element %u freed twice", a->first);
		if (zcpool_subpage_is_empty(&run->sp)) {
			CHECK(!run->elems_used, "subpage empty, model has %u", run->elems_used);
			give_pages(run->first_page, run->pages);
			run->in_use = false;
		}
	}
	drop_live(i);
}

static void op_free(struct input *in)
{
	if (!f.nr_live)
		return;
	free_live(next_u16(in) % f.nr_live, next_byte(in) & 1);
}

/* Frees the core must refuse without changing anything. */
static void op_bad_free(struct input *in)
{
	u8 before[ZCPOOL_BUDDY_MAP_BYTES(FUZZ_MAX_ORDER)];
	size_t bytes = ZCPOOL_BUDDY_MAP_BYTES(f.tree.order);
	unsigned int total = zcpool_buddy_total_pages(&f.tree);
	unsigned int first = next_u16(in) % (total + 2), pages = next_byte(in) % (total + 2);
	unsigned int i, r;
	bool is_live = false;
	int rc;

	for (i = 0; i < f.nr_live; i++)
		if (f.live[i].run < 0 && f.live[i].first == first && f.live[i].pages == pages)
			is_live = true;
	for (r = 0; r < FUZZ_MAX_PAGES; r++)
		if (f.runs[r].in_use && f.runs[r].first_page == first && f.runs[r].pages == pages)
			is_live = true;
	if (is_live)
		return;
	/*
	 * The tree cannot tell a run from its leading pieces (buddy.c says
	 * so): a smaller free inside a live run may succeed. Try only ranges
	 * that start on no owned page.
	 */
	if (first < total && f.page_owner[first] != NO_OWNER)
		return;
	memcpy(before, f.map, bytes);
	rc = zcpool_buddy_free(&f.tree, first, pages);
	CHECK(rc == -EINVAL, "free(%u, %u) of no allocation = %d", first, pages, rc);
	CHECK(!memcmp(before, f.map, bytes), "a refused free changed the tree");

	/* A free element, or one past the run, of some run in use. */
	for (i = 0, r = next_u16(in); i < FUZZ_MAX_PAGES; i++, r++) {
		struct fuzz_run *run = &f.runs[r % FUZZ_MAX_PAGES];
		unsigned int idx;

		if (!run->in_use)
			continue;
		idx = next_byte(in) % (run->sp.nr_elems + 4);
		if (idx < run->sp.nr_elems && run->elem_used[idx])
			break;
		CHECK(zcpool_subpage_free(&run->sp, idx) == -EINVAL,
		      "free of free element %u accepted", idx);
		break;
	}
}

static void op_free_all(void)
{
	while (f.nr_live)
		free_live(f.nr_live - 1, false);
	CHECK(zcpool_buddy_is_unused(&f.tree), "pages held after everything was freed");
	CHECK(f.tree.memory_map[1] == 0, "root reads %u", f.tree.memory_map[1]);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct input in = { data, size };
	unsigned int order = next_byte(&in) % (FUZZ_MAX_ORDER + 1), p;

	f.nr_live = 0;
	f.ops = 0;
	for (p = 0; p < FUZZ_MAX_PAGES; p++) {
		f.page_owner[p] = NO_OWNER;
		f.runs[p].in_use = false;
	}
	CHECK(zcpool_buddy_init(&f.tree, order, f.map) == 0, "init(%u) refused", order);
	f.model_free_pages = 1U << order;
	check_all();

	while (in.size) {
		switch (next_byte(&in) % 11) {
		case 0:
		case 1:
			op_alloc_pages(&in);
			break;
		case 8:
			op_alloc_after(&in);
			break;
		case 9:
			op_alloc_many(&in);
			break;
		case 10:
			op_free_many(&in);
			break;
		case 2:
		case 3:
		case 4:
			op_alloc_small(&in);
			break;
		case 5:
		case 6:
			op_free(&in);
			break;
		default:
			op_bad_free(&in);
			break;
		}
		f.ops++;
		check_all();
	}
	op_free_all();
	f.ops = 0;
	check_all();
	return 0;
}
