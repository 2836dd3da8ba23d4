// SPDX-License-Identifier: GPL-2.0
/*
 * Subpages: the elements of one run of a size class, tracked by a bitmap.
 *
 * The bitmap has a bit per element, set while the element is allocated; the
 * bits past the last element are set for good, so a word with a clear bit
 * always has a real free element. In front of it sits a Go-style cache: the
 * complement of one bitmap word, whose lowest set bit is the next element to
 * hand out. Allocation is then one find-first-set and two bit writes; only
 * when the cached word is used up does it scan the bitmap, from word 0, so
 * live elements gather at the front of the run. Free clears the element's bit
 * (and the cache's, when the element is in the cached word), so a freed
 * element can be handed out again at once. Unlike Go, which frees in batches
 * at sweep time, zcpool frees one element per call and checks it: an index
 * past the run or an element that is not allocated is refused with -EINVAL
 * and changes nothing.
 *
 * The caller owns the bitmap storage (zcpool_subpage_bitmap_words() words),
 * so that a subpage can be embedded in whatever describes the run.
 */

#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "subpage.h"

/**
 * zcpool_subpage_refill() - point the cache at the lowest word with a free element
 * @sp: the subpage.
 *
 * zcpool_subpage_alloc()'s slow path, when the cached word is used up.
 *
 * Context: any context; the caller serialises calls on @sp. O(bitmap words).
 * Return: true when a word with a free element was found.
 */
bool zcpool_subpage_refill(struct zcpool_subpage *sp)
{
	unsigned int words = zcpool_subpage_bitmap_words(sp->nr_elems);
	unsigned int w;

	for (w = 0; w < words; w++) {
		if (~sp->bitmap[w]) {
			sp->cache_word = w;
			sp->alloc_cache = ~sp->bitmap[w];
			return true;
		}
	}
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_subpage_refill);

/**
 * zcpool_subpage_init() - set up a subpage with every element free
 * @sp:       the subpage to set up.
 * @nr_elems: elements in the run, 1..%ZCPOOL_SUBPAGE_MAX_ELEMS
 *            (zcpool_sizeclass_nr_elems() of the run's class).
 * @bitmap:   zcpool_subpage_bitmap_words(@nr_elems) words that @sp uses until
 *            the caller is done with it; their contents are overwritten.
 *
 * Context: any context; the caller serialises calls on @sp.
 * Return: 0, or -EINVAL for a bad @nr_elems or a NULL @bitmap.
 */
int zcpool_subpage_init(struct zcpool_subpage *sp, unsigned int nr_elems, u64 *bitmap)
{
	unsigned int words, tail;

	if (!nr_elems)
		return -EINVAL;
	if (nr_elems > ZCPOOL_SUBPAGE_MAX_ELEMS)
		return -EINVAL;
	if (!bitmap)
		return -EINVAL;

	words = zcpool_subpage_bitmap_words(nr_elems);
	memset(bitmap, 0, words * sizeof(*bitmap));
	tail = nr_elems % ZCPOOL_SUBPAGE_WORD_BITS;
	if (tail)
		bitmap[words - 1] = ~0ULL << tail;
	sp->bitmap = bitmap;
	sp->nr_elems = nr_elems;
	sp->nr_free = nr_elems;
	sp->cache_word = 0;
	sp->alloc_cache = ~bitmap[0];
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_subpage_init);
