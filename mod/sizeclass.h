/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Size classes: the sizes small allocations are rounded up to, and for each
 * class the run (pages) its subpages are cut from. A constant table: no
 * state, no locking, callable from any context. A request's class and a
 * class's size are inline: every allocation and cached free asks for them.
 */
#ifndef _ZCPOOL_SIZECLASS_H
#define _ZCPOOL_SIZECLASS_H

#include <linux/bitops.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/types.h>
#include <asm/page.h>

/* Classes are 16 B apart up to 128 B: every element is 16-byte aligned. */
#define ZCPOOL_SIZECLASS_QUANTUM	16
#define ZCPOOL_SIZECLASS_TINY_MAX	128
#define ZCPOOL_SIZECLASS_TINY_NR	(ZCPOOL_SIZECLASS_TINY_MAX / ZCPOOL_SIZECLASS_QUANTUM)

/*
 * Above 128 B each power of two is cut into 8 steps, so a request is rounded
 * up by less than 1/8 (12.5%) of its size.
 */
#define ZCPOOL_SIZECLASS_STEPS		8
#define ZCPOOL_SIZECLASS_STEPS_SHIFT	3	/* ilog2(ZCPOOL_SIZECLASS_STEPS) */

/*
 * Runs of a class are at most 8 pages and waste at most 1/8 of themselves
 * in the tail that no element fits (Go's span classes use the same bound).
 */
#define ZCPOOL_SIZECLASS_RUN_MAX_PAGES	8
#define ZCPOOL_SIZECLASS_TAIL_DIV	8

/*
 * The largest small size is 8 pages (32 KiB with 4 KiB pages, Go's
 * maxSmallSize). Above it a request is served as a run of whole pages,
 * and rounding up to a page wastes less than 1/8 there too; below it whole
 * pages would waste up to half (4097 B in 8 KiB), so classes are needed.
 */
#define ZCPOOL_SIZECLASS_MAX_SIZE	(ZCPOOL_SIZECLASS_RUN_MAX_PAGES * PAGE_SIZE)

/*
 * 8 tiny classes, then 8 for each power-of-two range (2^k, 2^(k+1)] from
 * k = 7 up to k = PAGE_SHIFT + 2, whose top is ZCPOOL_SIZECLASS_MAX_SIZE.
 */
#define ZCPOOL_SIZECLASS_NR \
	(ZCPOOL_SIZECLASS_TINY_NR + ZCPOOL_SIZECLASS_STEPS * (PAGE_SHIFT + 3 - 7))

/* The most elements any class puts in one run: 16 B elements in one page. */
#define ZCPOOL_SIZECLASS_MAX_ELEMS	(PAGE_SIZE / ZCPOOL_SIZECLASS_QUANTUM)

/*
 * Requests up to 4 KiB find their class in a table of a byte per 16 B
 * (256 bytes; jemalloc looks its classes up the same way up to 4 KiB): a
 * load where the arithmetic is a bit scan, shifts and a branch on every
 * allocation of 129 B to 4 KiB. Every class boundary is a multiple of
 * 16 B, so one entry serves its whole 16 B step.
 */
#define ZCPOOL_SIZECLASS_LOOKUP_MAX	4096
#define ZCPOOL_SIZECLASS_LOOKUP_NR	(ZCPOOL_SIZECLASS_LOOKUP_MAX / ZCPOOL_SIZECLASS_QUANTUM)

extern const u8 zcpool_sizeclass_lookup[ZCPOOL_SIZECLASS_LOOKUP_NR];

/**
 * zcpool_sizeclass_index() - the class a small allocation is rounded up to
 * @size: the requested bytes.
 *
 * Context: any context. O(1).
 * Return: the index of the smallest class of at least @size bytes, or
 * -ERANGE when @size is 0 or above %ZCPOOL_SIZECLASS_MAX_SIZE (not small).
 */
static inline int zcpool_sizeclass_index(size_t size)
{
	unsigned int shift, step;

	if (!size)
		return -ERANGE;
	/*
	 * In 32 bits: sparse folds this for a caller's constant 0 too.
	 * likely(): the table's sizes are most requests, and GCC placed
	 * their path out of line, a jump back (a translated block) each.
	 */
	if (likely(size <= ZCPOOL_SIZECLASS_LOOKUP_MAX))
		return zcpool_sizeclass_lookup[((unsigned int)size - 1) / ZCPOOL_SIZECLASS_QUANTUM];
	if (size > ZCPOOL_SIZECLASS_MAX_SIZE)
		return -ERANGE;

	/* size is in (2^shift, 2^(shift+1)], cut into 8 steps of 2^(shift-3). */
	shift = fls64(size - 1) - 1;
	step = (size - 1 - (1UL << shift)) >> (shift - ZCPOOL_SIZECLASS_STEPS_SHIFT);
	return ZCPOOL_SIZECLASS_TINY_NR + (shift - 7) * ZCPOOL_SIZECLASS_STEPS + step;
}

/**
 * zcpool_sizeclass_size() - the element size of a class
 * @idx: a class index from zcpool_sizeclass_index().
 *
 * Context: any context. O(1).
 * Return: the class's size in bytes, or 0 if @idx is not a class.
 */
static inline unsigned int zcpool_sizeclass_size(unsigned int idx)
{
	unsigned int range, step;

	if (idx >= ZCPOOL_SIZECLASS_NR)
		return 0;
	if (idx < ZCPOOL_SIZECLASS_TINY_NR)
		return (idx + 1) * ZCPOOL_SIZECLASS_QUANTUM;

	/* Step 1..8 of the range (2^(7+range), 2^(8+range)]. */
	range = (idx - ZCPOOL_SIZECLASS_TINY_NR) / ZCPOOL_SIZECLASS_STEPS;
	step = (idx - ZCPOOL_SIZECLASS_TINY_NR) % ZCPOOL_SIZECLASS_STEPS + 1;
	return (ZCPOOL_SIZECLASS_STEPS + step) << (7 + range - ZCPOOL_SIZECLASS_STEPS_SHIFT);
}

unsigned int zcpool_sizeclass_run_pages(unsigned int idx);
unsigned int zcpool_sizeclass_nr_elems(unsigned int idx);

#endif /* _ZCPOOL_SIZECLASS_H */
