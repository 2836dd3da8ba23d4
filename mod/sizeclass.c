// SPDX-License-Identifier: GPL-2.0
/*
 * Size classes of zcpool's small allocations.
 *
 * The classes are 16, 32, ..., 128 B, then 8 per power of two: 144, 160, ...,
 * 256, 288, ..., 512, ... up to ZCPOOL_SIZECLASS_MAX_SIZE (8 pages, 32 KiB with
 * 4 KiB pages: 72 classes). Rounding a request above 128 B up to its class
 * wastes less than 1/8 of the request. 8 pages is where small classes stop
 * because rounding up to whole pages wastes less than 1/8 from there on
 * (Go's maxSmallSize is the same 32 KiB; Netty 4.1.52+ stops at 28 KiB with
 * 8 KiB pages for the same reason), so the arena serves bigger requests as
 * trimmed buddy runs of exactly the pages needed.
 *
 * Each class's elements are cut from runs of run_pages pages: the smallest
 * count from 1 to 8 that holds at least one element and leaves a tail of at
 * most 1/8 of the run unused (Go's span-class rule; Netty 4.1.52+ sizes its
 * subpage runs the same way). A class of at most PAGE_SIZE / 8 meets that
 * with one page, since its tail is shorter than one element. The larger
 * classes are the last 6 power-of-two ranges, whose sizes are fixed
 * fractions of a page (from 9/64 to 8 pages), so their run sizes do not
 * depend on the page size and are written down in big_run_pages[] below.
 * The KUnit suite and the user-space twin (with 4 KiB and 64 KiB pages)
 * check every class against the rule.
 *
 * Every query is O(1): a table read or shifts, at most one division.
 */

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <kunit/visibility.h>

#include "sizeclass.h"
#include "subpage.h"

/* The first power-of-two range whose classes are above PAGE_SIZE / 8. */
#define BIG_SHIFT	(PAGE_SHIFT - ZCPOOL_SIZECLASS_STEPS_SHIFT)
#define BIG_FIRST	(ZCPOOL_SIZECLASS_TINY_NR + ZCPOOL_SIZECLASS_STEPS * (BIG_SHIFT - 7))
#define BIG_NR		(ZCPOOL_SIZECLASS_NR - BIG_FIRST)

/*
 * Run pages of the classes above PAGE_SIZE / 8, one row per power-of-two
 * range; the class sizes in pages are in the comments.
 */
static const u8 big_run_pages[] = {
	1, 1, 2, 1, 2, 1, 1, 1,	/* 9/64 .. 16/64 */
	2, 1, 3, 2, 3, 1, 1, 1,	/* 9/32 .. 16/32 */
	3, 2, 3, 3, 5, 1, 1, 1,	/* 9/16 .. 16/16 */
	5, 4, 3, 3, 5, 2, 2, 2,	/* 9/8 .. 16/8 */
	5, 5, 3, 3, 7, 4, 4, 4,	/* 9/4 .. 16/4 */
	5, 5, 6, 6, 7, 7, 8, 8,	/* 9/2 .. 16/2 */
};

static_assert(ARRAY_SIZE(big_run_pages) == BIG_NR);
static_assert(ZCPOOL_SIZECLASS_TINY_NR * ZCPOOL_SIZECLASS_QUANTUM == ZCPOOL_SIZECLASS_TINY_MAX);
static_assert(ZCPOOL_SIZECLASS_TINY_MAX == 1 << 7);
static_assert(ZCPOOL_SIZECLASS_STEPS == 1 << ZCPOOL_SIZECLASS_STEPS_SHIFT);
/* The tiny classes all fit one page: the big ones start after them. */
static_assert(BIG_SHIFT >= 7);
/* Every run of every class can be tracked by one subpage. */
static_assert(ZCPOOL_SIZECLASS_MAX_ELEMS <= ZCPOOL_SUBPAGE_MAX_ELEMS);

/*
 * zcpool_sizeclass_index() of the sizes up to ZCPOOL_SIZECLASS_LOOKUP_MAX,
 * one entry per 16 B step, a row per 256 B (the sizes it covers are in its
 * comment), written out as zcpool_sizeclass_index() computes the sizes
 * above it. The KUnit suite and the user-space twin check every size
 * against a walk of the classes. The classes up to 4 KiB do not depend on
 * the page size.
 */
const u8 zcpool_sizeclass_lookup[ZCPOOL_SIZECLASS_LOOKUP_NR] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,	/* 1 .. 256 */
	16, 16, 17, 17, 18, 18, 19, 19, 20, 20, 21, 21, 22, 22, 23, 23,	/* 257 .. 512 */
	24, 24, 24, 24, 25, 25, 25, 25, 26, 26, 26, 26, 27, 27, 27, 27,	/* 513 .. 768 */
	28, 28, 28, 28, 29, 29, 29, 29, 30, 30, 30, 30, 31, 31, 31, 31,	/* 769 .. 1024 */
	32, 32, 32, 32, 32, 32, 32, 32, 33, 33, 33, 33, 33, 33, 33, 33,	/* 1025 .. 1280 */
	34, 34, 34, 34, 34, 34, 34, 34, 35, 35, 35, 35, 35, 35, 35, 35,	/* 1281 .. 1536 */
	36, 36, 36, 36, 36, 36, 36, 36, 37, 37, 37, 37, 37, 37, 37, 37,	/* 1537 .. 1792 */
	38, 38, 38, 38, 38, 38, 38, 38, 39, 39, 39, 39, 39, 39, 39, 39,	/* 1793 .. 2048 */
	40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40,	/* 2049 .. 2304 */
	41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41,	/* 2305 .. 2560 */
	42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42,	/* 2561 .. 2816 */
	43, 43, 43, 43, 43, 43, 43, 43, 43, 43, 43, 43, 43, 43, 43, 43,	/* 2817 .. 3072 */
	44, 44, 44, 44, 44, 44, 44, 44, 44, 44, 44, 44, 44, 44, 44, 44,	/* 3073 .. 3328 */
	45, 45, 45, 45, 45, 45, 45, 45, 45, 45, 45, 45, 45, 45, 45, 45,	/* 3329 .. 3584 */
	46, 46, 46, 46, 46, 46, 46, 46, 46, 46, 46, 46, 46, 46, 46, 46,	/* 3585 .. 3840 */
	47, 47, 47, 47, 47, 47, 47, 47, 47, 47, 47, 47, 47, 47, 47, 47,	/* 3841 .. 4096 */
};
EXPORT_SYMBOL_IF_KUNIT(zcpool_sizeclass_lookup);

/* 16 rows of 16 above; small sizes only, each class index a byte. */
static_assert(ZCPOOL_SIZECLASS_LOOKUP_NR == 16 * 16);
static_assert(ZCPOOL_SIZECLASS_LOOKUP_MAX <= ZCPOOL_SIZECLASS_MAX_SIZE);
static_assert(ZCPOOL_SIZECLASS_NR <= U8_MAX);

/**
 * zcpool_sizeclass_run_pages() - pages in each subpage run of a class
 * @idx: a class index from zcpool_sizeclass_index().
 *
 * Context: any context. O(1).
 * Return: 1 to %ZCPOOL_SIZECLASS_RUN_MAX_PAGES, or 0 if @idx is not a class.
 */
unsigned int zcpool_sizeclass_run_pages(unsigned int idx)
{
	if (idx >= ZCPOOL_SIZECLASS_NR)
		return 0;
	if (idx < BIG_FIRST)
		return 1;
	return big_run_pages[idx - BIG_FIRST];
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_sizeclass_run_pages);

/**
 * zcpool_sizeclass_nr_elems() - elements in each subpage run of a class
 * @idx: a class index from zcpool_sizeclass_index().
 *
 * Context: any context. O(1).
 * Return: 1 to %ZCPOOL_SIZECLASS_MAX_ELEMS, or 0 if @idx is not a class.
 */
unsigned int zcpool_sizeclass_nr_elems(unsigned int idx)
{
	if (idx >= ZCPOOL_SIZECLASS_NR)
		return 0;
	return (zcpool_sizeclass_run_pages(idx) << PAGE_SHIFT) / zcpool_sizeclass_size(idx);
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_sizeclass_nr_elems);
