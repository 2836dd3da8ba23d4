// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite zcpool_subpage: the element bitmap of a run (subpage.c).
 *
 * check_subpage() verifies the bitmap, the free count and the alloc cache
 * against each other; the cases call it after every change. The randomized
 * cases replay allocations and frees against a plain array of flags (which
 * also predicts the element each allocation hands out), and word-at-a-time
 * batches against single calls; their seed is printed and can be fixed
 * with subpage_seed=.
 */

#include <kunit/test.h>
#include <linux/bitops.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "seed.h"
#include "sizeclass.h"
#include "subpage.h"

static unsigned int subpage_seed;
module_param(subpage_seed, uint, 0400);
MODULE_PARM_DESC(subpage_seed, "Seed of zcpool_subpage's random case (default 0: a new one each run)");

/* Enough operations to fill and drain the largest subpage many times. */
#define RANDOM_OPS	100000

/*
 * The invariant checker: bitmap, count and cache agree; the tail stays set.
 * Returns whether all held, so that long loops can stop at the first break.
 */
static bool check_subpage(struct kunit *test, const struct zcpool_subpage *sp)
{
	unsigned int words = zcpool_subpage_bitmap_words(sp->nr_elems);
	unsigned int tail = sp->nr_elems % ZCPOOL_SUBPAGE_WORD_BITS;
	unsigned int w, used = 0;
	bool tail_set = true;

	for (w = 0; w < words; w++)
		used += hweight64(sp->bitmap[w]);
	if (tail) {
		tail_set = (sp->bitmap[words - 1] | GENMASK_ULL(tail - 1, 0)) == ~0ULL;
		KUNIT_EXPECT_TRUE_MSG(test, tail_set, "bits past element %u must stay set",
				      sp->nr_elems);
		used -= ZCPOOL_SUBPAGE_WORD_BITS - tail;
	}
	KUNIT_EXPECT_EQ(test, used + sp->nr_free, sp->nr_elems);
	KUNIT_ASSERT_LT(test, sp->cache_word, words);
	KUNIT_EXPECT_EQ(test, sp->alloc_cache, ~sp->bitmap[sp->cache_word]);
	/* Against the bitmap's own count, not the counter the helpers read. */
	KUNIT_EXPECT_EQ(test, zcpool_subpage_is_empty(sp), used == 0);
	KUNIT_EXPECT_EQ(test, zcpool_subpage_is_full(sp), used == sp->nr_elems);
	return tail_set && used + sp->nr_free == sp->nr_elems &&
	       sp->alloc_cache == ~sp->bitmap[sp->cache_word];
}

static struct zcpool_subpage *new_subpage(struct kunit *test, unsigned int nr_elems)
{
	struct zcpool_subpage *sp = kunit_kzalloc(test, sizeof(*sp), GFP_KERNEL);
	u64 *bitmap;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sp);
	bitmap = kunit_kcalloc(test, zcpool_subpage_bitmap_words(nr_elems), sizeof(u64),
			       GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, bitmap);
	KUNIT_ASSERT_EQ(test, zcpool_subpage_init(sp, nr_elems, bitmap), 0);
	check_subpage(test, sp);
	return sp;
}

/* @n element indices for a case to fill in. */
static unsigned int *new_index_array(struct kunit *test, unsigned int n)
{
	unsigned int *a = kunit_kcalloc(test, n, sizeof(*a), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	return a;
}

/* Seed a random case: subpage_seed=, or a new seed, printed for a replay. */
static void seed_random_case(struct kunit *test, struct rnd_state *rnd)
{
	unsigned int seed = zcpool_test_seed(subpage_seed, "subpage_seed");

	kunit_info(test, "seed %u (replay: insmod zcpool_test.ko subpage_seed=%u)", seed, seed);
	prandom_seed_state(rnd, seed);
}

static void init_rejects_bad_counts_and_missing_bitmap(struct kunit *test)
{
	struct zcpool_subpage sp = {};
	u64 bitmap[1];

	KUNIT_EXPECT_EQ(test, zcpool_subpage_init(&sp, 0, bitmap), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_subpage_init(&sp, ZCPOOL_SUBPAGE_MAX_ELEMS + 1, bitmap),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_subpage_init(&sp, 1, NULL), -EINVAL);
	KUNIT_EXPECT_PTR_EQ(test, sp.bitmap, NULL);	/* untouched */
	KUNIT_EXPECT_EQ(test, zcpool_subpage_bitmap_words(64), 1);
	KUNIT_EXPECT_EQ(test, zcpool_subpage_bitmap_words(65), 2);
}

static const unsigned int elem_counts[] = {
	1, 2, 63, 64, 65, 127, 128, 129, 255, 256, ZCPOOL_SUBPAGE_MAX_ELEMS,
};

static void count_desc(const unsigned int *n, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%u elements", *n);
}

KUNIT_ARRAY_PARAM(elem_count, elem_counts, count_desc);

/* Elements come lowest first; bits past the run are never handed out. */
static void fills_every_element_once_then_enospc(struct kunit *test)
{
	unsigned int n = *(const unsigned int *)test->param_value, i;
	struct zcpool_subpage *sp = new_subpage(test, n);
	size_t words = zcpool_subpage_bitmap_words(n);
	u64 *before = kunit_kcalloc(test, words, sizeof(u64), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, before);
	KUNIT_EXPECT_TRUE(test, zcpool_subpage_is_empty(sp));
	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_EQ(test, zcpool_subpage_alloc(sp), i);
		KUNIT_ASSERT_TRUE(test, check_subpage(test, sp));
	}
	KUNIT_EXPECT_TRUE(test, zcpool_subpage_is_full(sp));
	KUNIT_EXPECT_EQ(test, zcpool_subpage_nr_free(sp), 0);
	memcpy(before, sp->bitmap, words * sizeof(u64));
	KUNIT_EXPECT_EQ(test, zcpool_subpage_alloc(sp), -ENOSPC);
	KUNIT_EXPECT_EQ(test, memcmp(before, sp->bitmap, words * sizeof(u64)), 0);
	check_subpage(test, sp);
}

static void free_refuses_double_free_and_out_of_range(struct kunit *test)
{
	struct zcpool_subpage *sp = new_subpage(test, 100);
	u64 before[2];

	KUNIT_ASSERT_EQ(test, zcpool_subpage_alloc(sp), 0);
	KUNIT_ASSERT_EQ(test, zcpool_subpage_alloc(sp), 1);
	memcpy(before, sp->bitmap, sizeof(before));
	KUNIT_EXPECT_EQ(test, zcpool_subpage_free(sp, 2), -EINVAL);	/* never allocated */
	KUNIT_EXPECT_EQ(test, zcpool_subpage_free(sp, 99), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_subpage_free(sp, 100), -EINVAL);	/* a tail bit */
	KUNIT_EXPECT_EQ(test, zcpool_subpage_free(sp, 127), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_subpage_free(sp, 128), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_subpage_free(sp, UINT_MAX), -EINVAL);
	KUNIT_EXPECT_EQ(test, memcmp(before, sp->bitmap, sizeof(before)), 0);
	KUNIT_EXPECT_EQ(test, zcpool_subpage_nr_free(sp), 98);
	check_subpage(test, sp);

	KUNIT_EXPECT_EQ(test, zcpool_subpage_free(sp, 0), 0);
	check_subpage(test, sp);
	KUNIT_EXPECT_EQ(test, zcpool_subpage_free(sp, 0), -EINVAL);	/* double free */
	KUNIT_EXPECT_EQ(test, zcpool_subpage_nr_free(sp), 99);
	check_subpage(test, sp);
}

static void freed_element_of_the_cached_word_is_reused_first(struct kunit *test)
{
	struct zcpool_subpage *sp = new_subpage(test, 200);
	unsigned int i;

	for (i = 0; i < 70; i++)
		KUNIT_ASSERT_EQ(test, zcpool_subpage_alloc(sp), i);
	/* The cache now mirrors word 1; element 66 is in it, element 5 is not. */
	KUNIT_EXPECT_EQ(test, zcpool_subpage_free(sp, 66), 0);
	KUNIT_EXPECT_EQ(test, zcpool_subpage_free(sp, 5), 0);
	check_subpage(test, sp);
	KUNIT_EXPECT_EQ(test, zcpool_subpage_alloc(sp), 66);
	KUNIT_EXPECT_EQ(test, zcpool_subpage_alloc(sp), 70);
	check_subpage(test, sp);
}

static void refill_scans_from_the_lowest_free_word(struct kunit *test)
{
	struct zcpool_subpage *sp = new_subpage(test, 192);
	unsigned int i;

	for (i = 0; i < 192; i++)
		KUNIT_ASSERT_EQ(test, zcpool_subpage_alloc(sp), i);
	KUNIT_EXPECT_EQ(test, zcpool_subpage_free(sp, 70), 0);
	KUNIT_EXPECT_EQ(test, zcpool_subpage_free(sp, 3), 0);
	check_subpage(test, sp);
	/* The cached word (2) is full: the scan finds word 0 before word 1. */
	KUNIT_EXPECT_EQ(test, zcpool_subpage_alloc(sp), 3);
	KUNIT_EXPECT_EQ(test, zcpool_subpage_alloc(sp), 70);
	KUNIT_EXPECT_EQ(test, zcpool_subpage_alloc(sp), -ENOSPC);
	check_subpage(test, sp);
}

/* For each class: fill a run, free it in random order, find it whole again. */
static void every_class_fills_empties_and_refills(struct kunit *test)
{
	unsigned int idx, n, i, j;
	struct zcpool_subpage *sp;
	struct rnd_state rnd;
	unsigned int *order;
	bool *seen;
	int got;

	order = kunit_kcalloc(test, ZCPOOL_SUBPAGE_MAX_ELEMS, sizeof(*order), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, order);
	seen = kunit_kcalloc(test, ZCPOOL_SUBPAGE_MAX_ELEMS, sizeof(*seen), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, seen);
	prandom_seed_state(&rnd, ZCPOOL_SIZECLASS_NR);

	for (idx = 0; idx < ZCPOOL_SIZECLASS_NR; idx++) {
		n = zcpool_sizeclass_nr_elems(idx);
		sp = new_subpage(test, n);
		memset(seen, 0, ZCPOOL_SUBPAGE_MAX_ELEMS * sizeof(*seen));
		for (i = 0; i < n; i++) {
			got = zcpool_subpage_alloc(sp);
			KUNIT_ASSERT_TRUE_MSG(test, got >= 0 && (unsigned int)got < n && !seen[got],
					      "class %u (%u B): alloc %u gave %d",
					      idx, zcpool_sizeclass_size(idx), i, got);
			seen[got] = true;
			order[i] = got;
			KUNIT_ASSERT_TRUE_MSG(test, check_subpage(test, sp), "class %u", idx);
		}
		KUNIT_EXPECT_TRUE_MSG(test, zcpool_subpage_is_full(sp), "class %u", idx);
		KUNIT_EXPECT_EQ_MSG(test, zcpool_subpage_alloc(sp), -ENOSPC, "class %u", idx);

		for (i = n; i > 1; i--) {
			j = prandom_u32_state(&rnd) % i;
			swap(order[i - 1], order[j]);
		}
		for (i = 0; i < n; i++) {
			KUNIT_ASSERT_EQ_MSG(test, zcpool_subpage_free(sp, order[i]), 0,
					    "class %u: element %u", idx, order[i]);
			KUNIT_ASSERT_TRUE_MSG(test, check_subpage(test, sp), "class %u", idx);
		}
		KUNIT_EXPECT_TRUE_MSG(test, zcpool_subpage_is_empty(sp), "class %u", idx);

		memset(seen, 0, ZCPOOL_SUBPAGE_MAX_ELEMS * sizeof(*seen));
		for (i = 0; i < n; i++) {
			got = zcpool_subpage_alloc(sp);
			KUNIT_ASSERT_TRUE_MSG(test, got >= 0 && (unsigned int)got < n && !seen[got],
					      "class %u: refill %u gave %d", idx, i, got);
			seen[got] = true;
		}
		KUNIT_EXPECT_EQ_MSG(test, zcpool_subpage_alloc(sp), -ENOSPC, "class %u", idx);
		check_subpage(test, sp);
	}
}

/* The lowest element in [@from, @to) that @used says is free, or -1. */
static int lowest_free(const bool *used, unsigned int from, unsigned int to)
{
	unsigned int i;

	for (i = from; i < to; i++) {
		if (!used[i])
			return i;
	}
	return -1;
}

static void random_ops_match_an_array_of_flags(struct kunit *test)
{
	unsigned int n = *(const unsigned int *)test->param_value;
	struct zcpool_subpage *sp = new_subpage(test, n);
	unsigned int nr_live = 0, fills = 0, drains = 0, i, probe, word = 0;
	bool filling = true, do_free;
	int want;
	struct rnd_state rnd;
	unsigned int *live;
	bool *used;
	int got;
	u32 op;

	live = new_index_array(test, n);
	used = kunit_kcalloc(test, n, sizeof(*used), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, used);

	seed_random_case(test, &rnd);

	for (op = 0; op < RANDOM_OPS; op++) {
		/*
		 * Phases of 3 to 1, filling until full and draining until
		 * empty: an even coin would wander a few hundred from where
		 * it started and never fill the largest subpage.
		 */
		do_free = prandom_u32_state(&rnd) % 4 == 0;
		do_free = filling ? do_free : !do_free;
		if (nr_live && do_free) {
			i = prandom_u32_state(&rnd) % nr_live;
			KUNIT_ASSERT_EQ_MSG(test, zcpool_subpage_free(sp, live[i]), 0,
					    "op %u: free(%u)", op, live[i]);
			used[live[i]] = false;
			live[i] = live[--nr_live];
		} else {
			got = zcpool_subpage_alloc(sp);
			if (nr_live == n) {
				KUNIT_ASSERT_EQ_MSG(test, got, -ENOSPC, "op %u", op);
				fills += filling;
				filling = false;
			} else {
				/*
				 * The order the header promises: the lowest free
				 * element of the cached word, else the lowest free
				 * one of all, whose word is cached from then on.
				 */
				want = lowest_free(used, word * ZCPOOL_SUBPAGE_WORD_BITS,
						   min(n, (word + 1) * ZCPOOL_SUBPAGE_WORD_BITS));
				if (want < 0) {
					want = lowest_free(used, 0, n);
					word = want / ZCPOOL_SUBPAGE_WORD_BITS;
				}
				KUNIT_ASSERT_EQ_MSG(test, got, want, "op %u", op);
				KUNIT_ASSERT_LT_MSG(test, (unsigned int)got, n, "op %u", op);
				KUNIT_ASSERT_FALSE_MSG(test, used[got], "op %u: %d live", op, got);
				used[got] = true;
				live[nr_live++] = got;
			}
		}
		/* A random index that is not live must be refused. */
		probe = prandom_u32_state(&rnd) % (n + ZCPOOL_SUBPAGE_WORD_BITS);
		if (probe >= n || !used[probe])
			KUNIT_ASSERT_EQ_MSG(test, zcpool_subpage_free(sp, probe), -EINVAL,
					    "op %u: free(%u)", op, probe);
		KUNIT_ASSERT_EQ_MSG(test, zcpool_subpage_nr_free(sp), n - nr_live, "op %u", op);
		KUNIT_ASSERT_TRUE_MSG(test, check_subpage(test, sp), "op %u", op);
		if (!nr_live && !filling) {
			drains++;
			filling = true;
		}
	}
	kunit_info(test, "%u elements: filled %u times, drained %u times", n, fills, drains);
	KUNIT_EXPECT_GT(test, fills, 1);
	KUNIT_EXPECT_GT(test, drains, 1);
	while (nr_live)
		KUNIT_ASSERT_EQ(test, zcpool_subpage_free(sp, live[--nr_live]), 0);
	KUNIT_EXPECT_TRUE(test, zcpool_subpage_is_empty(sp));
	check_subpage(test, sp);
}

/*
 * Up to @want elements through zcpool_subpage_peek_word() and
 * zcpool_subpage_take_word(), as the arena's batches take them, into @out.
 */
static unsigned int take_by_words(struct zcpool_subpage *sp, unsigned int want,
				  unsigned int *out)
{
	unsigned int nr = 0, word;
	u64 free, rest;

	while (nr < want && (free = zcpool_subpage_peek_word(sp, &word))) {
		rest = free;
		do {
			out[nr++] = word * ZCPOOL_SUBPAGE_WORD_BITS + __ffs64(rest);
			rest &= rest - 1;
		} while (rest && nr < want);
		zcpool_subpage_take_word(sp, free ^ rest);
	}
	return nr;
}

/*
 * Batches taken a word at a time hand out the elements, in the order, that
 * as many zcpool_subpage_alloc() calls would, and batches given back a word
 * at a time (zcpool_subpage_free_mask()) leave what as many
 * zcpool_subpage_free() calls would: the same state after every step.
 */
static void word_batches_match_single_calls(struct kunit *test)
{
	unsigned int n = *(const unsigned int *)test->param_value;
	struct zcpool_subpage *batched = new_subpage(test, n);
	struct zcpool_subpage *single = new_subpage(test, n);
	size_t words = zcpool_subpage_bitmap_words(n);
	unsigned int nr_live = 0, op, want, got, i, word;
	unsigned int *live, *out;
	struct rnd_state rnd;
	u64 mask;
	int idx;

	live = new_index_array(test, n);
	out = new_index_array(test, n);

	seed_random_case(test, &rnd);

	for (op = 0; op < RANDOM_OPS / 10; op++) {
		if (nr_live && prandom_u32_state(&rnd) % 3 == 0) {
			/* Some live elements of a random one's word, at least one. */
			word = live[prandom_u32_state(&rnd) % nr_live] / ZCPOOL_SUBPAGE_WORD_BITS;
			mask = 0;
			for (i = 0; i < nr_live;) {
				if (live[i] / ZCPOOL_SUBPAGE_WORD_BITS != word ||
				    (mask && prandom_u32_state(&rnd) % 2)) {
					i++;
					continue;
				}
				mask |= BIT_ULL(live[i] % ZCPOOL_SUBPAGE_WORD_BITS);
				KUNIT_ASSERT_EQ(test, zcpool_subpage_free(single, live[i]), 0);
				live[i] = live[--nr_live];
			}
			KUNIT_ASSERT_EQ(test, zcpool_subpage_allocated(batched, word) & mask, mask);
			zcpool_subpage_free_mask(batched, word, mask);
		} else {
			/* Within a word, across two, and more than the run has. */
			want = 1 + prandom_u32_state(&rnd) % (2 * ZCPOOL_SUBPAGE_WORD_BITS + 8);
			got = take_by_words(batched, want, out);
			KUNIT_ASSERT_EQ_MSG(test, got, min(want, n - nr_live), "op %u", op);
			for (i = 0; i < got; i++) {
				idx = zcpool_subpage_alloc(single);
				KUNIT_ASSERT_EQ_MSG(test, out[i], idx, "op %u: element %u", op, i);
				live[nr_live++] = idx;
			}
		}
		KUNIT_ASSERT_EQ_MSG(test, memcmp(batched->bitmap, single->bitmap,
						 words * sizeof(u64)), 0, "op %u", op);
		KUNIT_ASSERT_EQ_MSG(test, batched->nr_free, single->nr_free, "op %u", op);
		KUNIT_ASSERT_TRUE_MSG(test, check_subpage(test, batched), "op %u", op);
	}
	/* A full run offers nothing and leaves *word alone. */
	take_by_words(batched, n, out);
	KUNIT_EXPECT_TRUE(test, zcpool_subpage_is_full(batched));
	word = UINT_MAX;
	KUNIT_EXPECT_EQ(test, zcpool_subpage_peek_word(batched, &word), 0);
	KUNIT_EXPECT_EQ(test, word, UINT_MAX);
	check_subpage(test, batched);
}

/* One word, several, a partial last word, and the largest run. */
static const unsigned int random_counts[] = { 64, 200, ZCPOOL_SUBPAGE_MAX_ELEMS };

KUNIT_ARRAY_PARAM(random_count, random_counts, count_desc);

static struct kunit_case zcpool_subpage_cases[] = {
	KUNIT_CASE(init_rejects_bad_counts_and_missing_bitmap),
	KUNIT_CASE_PARAM(fills_every_element_once_then_enospc, elem_count_gen_params),
	KUNIT_CASE(free_refuses_double_free_and_out_of_range),
	KUNIT_CASE(freed_element_of_the_cached_word_is_reused_first),
	KUNIT_CASE(refill_scans_from_the_lowest_free_word),
	KUNIT_CASE(every_class_fills_empties_and_refills),
	KUNIT_CASE_PARAM(random_ops_match_an_array_of_flags, random_count_gen_params),
	KUNIT_CASE_PARAM(word_batches_match_single_calls, random_count_gen_params),
	{}
};

static struct kunit_suite zcpool_subpage_suite = {
	.name = "zcpool_subpage",
	.test_cases = zcpool_subpage_cases,
};

kunit_test_suite(zcpool_subpage_suite);
