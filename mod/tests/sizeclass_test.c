// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite zcpool_sizeclass: the size-class table (sizeclass.c). The rules
 * are checked for every class and index() for every small size.
 */

#include <kunit/test.h>
#include <linux/mm.h>

#include "sizeclass.h"
#include "subpage.h"

static void index_is_the_smallest_class_that_fits_every_size(struct kunit *test)
{
	unsigned int size, idx = 0;

	/* Exhaustive, against a linear walk of the table. */
	for (size = 1; size <= ZCPOOL_SIZECLASS_MAX_SIZE; size++) {
		while (zcpool_sizeclass_size(idx) < size)
			idx++;
		KUNIT_ASSERT_EQ_MSG(test, zcpool_sizeclass_index(size), idx, "size %u", size);
	}
	KUNIT_EXPECT_EQ(test, idx, ZCPOOL_SIZECLASS_NR - 1);
}

static void index_refuses_zero_and_sizes_above_the_largest_class(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, zcpool_sizeclass_index(0), -ERANGE);
	KUNIT_EXPECT_EQ(test, zcpool_sizeclass_index(ZCPOOL_SIZECLASS_MAX_SIZE + 1), -ERANGE);
	KUNIT_EXPECT_EQ(test, zcpool_sizeclass_index(SIZE_MAX), -ERANGE);
}

struct round_case {
	size_t size;
	unsigned int class_size;
};

/* The layout written down once: 16 B steps to 128, then 8 steps per power of two. */
static const struct round_case round_cases[] = {
	{ 1, 16 }, { 16, 16 }, { 17, 32 }, { 100, 112 }, { 128, 128 },
	{ 129, 144 }, { 144, 144 }, { 145, 160 }, { 255, 256 }, { 256, 256 },
	{ 257, 288 }, { 1000, 1024 }, { 1025, 1152 }, { 4095, 4096 }, { 4096, 4096 },
	{ 4097, 4608 }, { 20000, 20480 }, { 32767, 32768 }, { 32768, 32768 },
};

static void round_case_desc(const struct round_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%zu B -> %u B", c->size, c->class_size);
}

KUNIT_ARRAY_PARAM(round, round_cases, round_case_desc);

static void sizes_round_up_to_the_documented_classes(struct kunit *test)
{
	const struct round_case *c = test->param_value;
	int idx = zcpool_sizeclass_index(c->size);

	KUNIT_ASSERT_GE(test, idx, 0);
	KUNIT_EXPECT_EQ(test, zcpool_sizeclass_size(idx), c->class_size);
}

static void classes_grow_in_16_byte_multiples_to_the_largest_size(struct kunit *test)
{
	unsigned int idx, size, prev = 0;

	for (idx = 0; idx < ZCPOOL_SIZECLASS_NR; idx++) {
		size = zcpool_sizeclass_size(idx);
		KUNIT_EXPECT_GT_MSG(test, size, prev, "class %u", idx);
		KUNIT_EXPECT_EQ_MSG(test, size % ZCPOOL_SIZECLASS_QUANTUM, 0, "class %u", idx);
		if (size <= ZCPOOL_SIZECLASS_TINY_MAX)
			KUNIT_EXPECT_EQ_MSG(test, size - prev, ZCPOOL_SIZECLASS_QUANTUM,
					    "class %u", idx);
		prev = size;
	}
	KUNIT_EXPECT_EQ(test, prev, ZCPOOL_SIZECLASS_MAX_SIZE);
	KUNIT_EXPECT_EQ(test, zcpool_sizeclass_size(0), ZCPOOL_SIZECLASS_QUANTUM);
}

static void rounding_wastes_less_than_an_eighth_above_128(struct kunit *test)
{
	unsigned int idx, size, prev = zcpool_sizeclass_size(ZCPOOL_SIZECLASS_TINY_NR - 1);

	KUNIT_ASSERT_EQ(test, prev, ZCPOOL_SIZECLASS_TINY_MAX);
	for (idx = ZCPOOL_SIZECLASS_TINY_NR; idx < ZCPOOL_SIZECLASS_NR; idx++) {
		size = zcpool_sizeclass_size(idx);
		/* The worst request of the class is one byte above the class below. */
		KUNIT_EXPECT_LT_MSG(test, (size - (prev + 1)) * 8, prev + 1,
				    "class %u (%u B) after %u B", idx, size, prev);
		prev = size;
	}
}

static void runs_are_short_and_waste_at_most_an_eighth(struct kunit *test)
{
	unsigned int idx, size, pages;
	unsigned long run, tail;

	for (idx = 0; idx < ZCPOOL_SIZECLASS_NR; idx++) {
		size = zcpool_sizeclass_size(idx);
		pages = zcpool_sizeclass_run_pages(idx);
		run = pages * PAGE_SIZE;
		tail = run % size;
		KUNIT_EXPECT_GE_MSG(test, pages, 1, "class %u", idx);
		KUNIT_EXPECT_LE_MSG(test, pages, ZCPOOL_SIZECLASS_RUN_MAX_PAGES, "class %u", idx);
		KUNIT_EXPECT_GE_MSG(test, run, size, "class %u", idx);
		KUNIT_EXPECT_LE_MSG(test, tail * ZCPOOL_SIZECLASS_TAIL_DIV, run,
				    "class %u (%u B): %lu B of %lu B unused", idx, size, tail, run);
	}
}

static void runs_are_the_smallest_that_meet_the_bound(struct kunit *test)
{
	unsigned int idx, size, pages, n;
	unsigned long shorter, tail;

	/*
	 * Every shorter run, not only one page shorter: the bound is not
	 * monotone (2560 B leaves 512 B of 8 KiB unused, but 2048 B of 12 KiB).
	 */
	for (idx = 0; idx < ZCPOOL_SIZECLASS_NR; idx++) {
		size = zcpool_sizeclass_size(idx);
		pages = zcpool_sizeclass_run_pages(idx);
		for (n = 1; n < pages; n++) {
			shorter = n * PAGE_SIZE;
			tail = shorter % size;
			KUNIT_EXPECT_TRUE_MSG(test, shorter < size ||
					      tail * ZCPOOL_SIZECLASS_TAIL_DIV > shorter,
					      "class %u (%u B): %u pages would do", idx, size, n);
		}
	}
}

static void elements_per_run_fit_a_subpage(struct kunit *test)
{
	unsigned int idx, elems;

	/* How many fill the run is the function's own division: its bounds here. */
	for (idx = 0; idx < ZCPOOL_SIZECLASS_NR; idx++) {
		elems = zcpool_sizeclass_nr_elems(idx);
		KUNIT_EXPECT_GE_MSG(test, elems, 1, "class %u", idx);
		KUNIT_EXPECT_LE_MSG(test, elems, ZCPOOL_SIZECLASS_MAX_ELEMS, "class %u", idx);
		KUNIT_EXPECT_LE_MSG(test, elems, ZCPOOL_SUBPAGE_MAX_ELEMS, "class %u", idx);
	}
}

/*
 * The rule the uapi states for the classes the pool serves as page runs:
 * a run holds one element exactly when the class is above half a page and
 * its size, rounded up to pages, leaves at most 1/8 of them unused; the
 * run is then those pages.
 */
static void one_element_runs_are_the_classes_pages_rounded_up(struct kunit *test)
{
	unsigned int idx, size, pages;
	bool rule;

	for (idx = 0; idx < ZCPOOL_SIZECLASS_NR; idx++) {
		size = zcpool_sizeclass_size(idx);
		pages = DIV_ROUND_UP(size, PAGE_SIZE);
		rule = size > PAGE_SIZE / 2 &&
		       (pages * PAGE_SIZE - size) * ZCPOOL_SIZECLASS_TAIL_DIV <= pages * PAGE_SIZE;
		KUNIT_EXPECT_EQ_MSG(test, zcpool_sizeclass_nr_elems(idx) == 1, rule,
				    "class %u (%u B)", idx, size);
		if (rule)
			KUNIT_EXPECT_EQ_MSG(test, zcpool_sizeclass_run_pages(idx), pages,
					    "class %u (%u B)", idx, size);
	}
}

static void indices_past_the_table_read_zero(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, zcpool_sizeclass_size(ZCPOOL_SIZECLASS_NR), 0);
	KUNIT_EXPECT_EQ(test, zcpool_sizeclass_run_pages(ZCPOOL_SIZECLASS_NR), 0);
	KUNIT_EXPECT_EQ(test, zcpool_sizeclass_nr_elems(ZCPOOL_SIZECLASS_NR), 0);
	KUNIT_EXPECT_EQ(test, zcpool_sizeclass_size(UINT_MAX), 0);
}

static struct kunit_case zcpool_sizeclass_cases[] = {
	KUNIT_CASE(index_is_the_smallest_class_that_fits_every_size),
	KUNIT_CASE(index_refuses_zero_and_sizes_above_the_largest_class),
	KUNIT_CASE_PARAM(sizes_round_up_to_the_documented_classes, round_gen_params),
	KUNIT_CASE(classes_grow_in_16_byte_multiples_to_the_largest_size),
	KUNIT_CASE(rounding_wastes_less_than_an_eighth_above_128),
	KUNIT_CASE(runs_are_short_and_waste_at_most_an_eighth),
	KUNIT_CASE(runs_are_the_smallest_that_meet_the_bound),
	KUNIT_CASE(elements_per_run_fit_a_subpage),
	KUNIT_CASE(one_element_runs_are_the_classes_pages_rounded_up),
	KUNIT_CASE(indices_past_the_table_read_zero),
	{}
};

static struct kunit_suite zcpool_sizeclass_suite = {
	.name = "zcpool_sizeclass",
	.test_cases = zcpool_sizeclass_cases,
};

kunit_test_suite(zcpool_sizeclass_suite);
