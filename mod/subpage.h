/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A subpage: a run cut into equal elements of one size class, and the bitmap
 * saying which are allocated. Pure code: no locks (the caller serialises every
 * call on one subpage), no sleeping, no allocation. Elements are indices
 * 0..nr_elems-1; the caller turns them into offsets (index * class size) and
 * keeps the bitmap storage, so a subpage can be embedded in the caller's own
 * run descriptor with the bitmap placed wherever suits it.
 */
#ifndef _ZCPOOL_SUBPAGE_H
#define _ZCPOOL_SUBPAGE_H

#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/types.h>

/*
 * The most elements one subpage tracks: 16-byte elements in a 64 KiB page,
 * the most the size classes ask for on any page size zcpool supports. It
 * bounds the bitmap to 64 words, so a scan for a free word stays short.
 */
#define ZCPOOL_SUBPAGE_MAX_ELEMS	4096

#define ZCPOOL_SUBPAGE_WORD_BITS	64

/* u64 words of bitmap storage for @nr_elems elements (a constant expression). */
#define ZCPOOL_SUBPAGE_BITMAP_WORDS(nr_elems) \
	(((nr_elems) + ZCPOOL_SUBPAGE_WORD_BITS - 1) / ZCPOOL_SUBPAGE_WORD_BITS)

/**
 * struct zcpool_subpage - the allocation state of one run of equal elements
 * @bitmap:      ZCPOOL_SUBPAGE_BITMAP_WORDS(@nr_elems) words owned by the
 *               caller; bit i set means element i is allocated. Bits past
 *               @nr_elems in the last word are kept set so they never look free.
 * @alloc_cache: the complement of bitmap[@cache_word]: the free elements of
 *               one word, so that most allocations are one find-first-set
 *               (Go's mspan.allocCache). 0 when that word has none.
 * @cache_word:  the bitmap word @alloc_cache mirrors.
 * @nr_elems:    elements in the run, 1..%ZCPOOL_SUBPAGE_MAX_ELEMS.
 * @nr_free:     elements not allocated.
 */
struct zcpool_subpage {
	u64 *bitmap;
	u64 alloc_cache;
	unsigned int cache_word;
	unsigned int nr_elems;
	unsigned int nr_free;
};

/**
 * zcpool_subpage_bitmap_words() - bitmap storage a subpage needs
 * @nr_elems: elements in the run.
 *
 * Context: any context.
 * Return: how many u64 words zcpool_subpage_init() needs for @nr_elems.
 */
static inline unsigned int zcpool_subpage_bitmap_words(unsigned int nr_elems)
{
	return ZCPOOL_SUBPAGE_BITMAP_WORDS(nr_elems);
}

/**
 * zcpool_subpage_nr_free() - elements of the run not allocated
 * @sp: the subpage.
 *
 * Context: any context; the caller serialises calls on @sp.
 * Return: the count of free elements.
 */
static inline unsigned int zcpool_subpage_nr_free(const struct zcpool_subpage *sp)
{
	return sp->nr_free;
}

/**
 * zcpool_subpage_is_empty() - whether no element of the run is allocated
 * @sp: the subpage.
 *
 * Context: any context; the caller serialises calls on @sp.
 * Return: true when the run holds nothing and may go back to the buddy tree.
 */
static inline bool zcpool_subpage_is_empty(const struct zcpool_subpage *sp)
{
	return sp->nr_free == sp->nr_elems;
}

/**
 * zcpool_subpage_is_full() - whether every element of the run is allocated
 * @sp: the subpage.
 *
 * Context: any context; the caller serialises calls on @sp.
 * Return: true when zcpool_subpage_alloc() would fail with -ENOSPC.
 */
static inline bool zcpool_subpage_is_full(const struct zcpool_subpage *sp)
{
	return sp->nr_free == 0;
}

int zcpool_subpage_init(struct zcpool_subpage *sp, unsigned int nr_elems, u64 *bitmap);
bool zcpool_subpage_refill(struct zcpool_subpage *sp);

/*
 * Allocation and free are inline: a find-first-set or a bit test and a few
 * stores each, less than the call (through the return thunk on Debian's
 * kernels) would cost, on every element the arena hands out or takes back.
 */

/**
 * zcpool_subpage_alloc() - allocate one element of the run
 * @sp: the subpage.
 *
 * Context: any context; the caller serialises calls on @sp. O(1) while the
 * cached bitmap word has free elements, else one scan of the bitmap.
 * Return: the element's index, or -ENOSPC when the run is full (nothing
 * changes then).
 */
static inline int zcpool_subpage_alloc(struct zcpool_subpage *sp)
{
	unsigned int bit;

	if (!sp->nr_free)
		return -ENOSPC;
	if (!sp->alloc_cache && !zcpool_subpage_refill(sp))
		return -ENOSPC;

	bit = __ffs64(sp->alloc_cache);
	sp->alloc_cache &= sp->alloc_cache - 1;
	sp->bitmap[sp->cache_word] |= BIT_ULL(bit);
	sp->nr_free--;
	return sp->cache_word * ZCPOOL_SUBPAGE_WORD_BITS + bit;
}

/**
 * zcpool_subpage_peek_word() - the free elements of one bitmap word, for a batch
 * @sp:   the subpage.
 * @word: set to the word's index: bit i of the mask is element
 *        @word * %ZCPOOL_SUBPAGE_WORD_BITS + i.
 *
 * The batch form of zcpool_subpage_alloc(): the caller picks elements of
 * the mask, lowest first as zcpool_subpage_alloc() would hand them out,
 * and takes them with zcpool_subpage_take_word(), one bitmap write and one
 * count for them all where an element at a time paid both each. Nothing
 * changes until then.
 *
 * Context: any context; the caller serialises calls on @sp. O(1) while the
 * cached bitmap word has free elements, else one scan of the bitmap.
 * Return: the mask, 0 when the run is full (*@word is not set then).
 */
static inline u64 zcpool_subpage_peek_word(struct zcpool_subpage *sp, unsigned int *word)
{
	if (!sp->nr_free)
		return 0;
	if (!sp->alloc_cache && !zcpool_subpage_refill(sp))
		return 0;
	*word = sp->cache_word;
	return sp->alloc_cache;
}

/**
 * zcpool_subpage_take_word() - allocate elements of a word in one go
 * @sp:    the subpage.
 * @taken: bits of what zcpool_subpage_peek_word() returned, with no other
 *         call on @sp in between.
 *
 * Context: any context; the caller serialises calls on @sp. O(1).
 */
static inline void zcpool_subpage_take_word(struct zcpool_subpage *sp, u64 taken)
{
	sp->alloc_cache &= ~taken;
	sp->bitmap[sp->cache_word] |= taken;
	sp->nr_free -= hweight64(taken);
}

/**
 * zcpool_subpage_allocated() - the allocated elements of one bitmap word
 * @sp:   the subpage.
 * @word: a word index, below zcpool_subpage_bitmap_words() of the run.
 *
 * For a batch of frees (zcpool_subpage_free_mask()). Bits past the run's
 * last element are set: the caller bounds its indices by the run.
 *
 * Context: any context; the caller serialises calls on @sp.
 * Return: the word, bit i set when element @word * 64 + i is allocated.
 */
static inline u64 zcpool_subpage_allocated(const struct zcpool_subpage *sp, unsigned int word)
{
	return sp->bitmap[word];
}

/**
 * zcpool_subpage_free_mask() - give back several elements of one bitmap word
 * @sp:   the subpage.
 * @word: a word index, below zcpool_subpage_bitmap_words() of the run.
 * @mask: elements of that word, each allocated
 *        (zcpool_subpage_allocated()) and below the run's element count.
 *
 * The batch form of zcpool_subpage_free(), whose checks the caller made:
 * one bitmap write, count and cache update for the word, where an element
 * at a time paid each.
 *
 * Context: any context; the caller serialises calls on @sp. O(1).
 */
static inline void zcpool_subpage_free_mask(struct zcpool_subpage *sp, unsigned int word,
					    u64 mask)
{
	sp->bitmap[word] &= ~mask;
	sp->nr_free += hweight64(mask);
	if (word == sp->cache_word)
		sp->alloc_cache |= mask;
}

/**
 * zcpool_subpage_free() - give back one element of the run
 * @sp:  the subpage.
 * @idx: what zcpool_subpage_alloc() returned.
 *
 * Context: any context; the caller serialises calls on @sp. O(1).
 * Return: 0, or -EINVAL when @idx is past the run or not allocated (a double
 * free); nothing changes then.
 */
static inline int zcpool_subpage_free(struct zcpool_subpage *sp, unsigned int idx)
{
	unsigned int w = idx / ZCPOOL_SUBPAGE_WORD_BITS;
	u64 mask = BIT_ULL(idx % ZCPOOL_SUBPAGE_WORD_BITS);

	if (idx >= sp->nr_elems)
		return -EINVAL;
	if (!(sp->bitmap[w] & mask))
		return -EINVAL;

	sp->bitmap[w] &= ~mask;
	sp->nr_free++;
	if (w == sp->cache_word)
		sp->alloc_cache |= mask;
	return 0;
}

#endif /* _ZCPOOL_SUBPAGE_H */
