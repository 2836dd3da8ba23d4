/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The buddy tree of one chunk: which pages of a chunk of 2^order pages are
 * handed out as runs. Pure code: no locks (the caller serialises every call
 * on one tree), no sleeping, no allocation (the caller supplies the map
 * storage), no struct page; units are page indices inside the chunk.
 */
#ifndef _ZCPOOL_BUDDY_H
#define _ZCPOOL_BUDDY_H

#include <linux/types.h>

/*
 * The largest chunk order a tree supports. Chunks come from alloc_pages(),
 * whose largest order in 6.1..6.12 is 10 on x86_64 and 13 on arm64 with
 * 64 KiB pages; KUnit replays the seed's order-11 example. 15 covers all of
 * them while the map stays at most 64 KiB and page indices fit an int.
 */
#define ZCPOOL_BUDDY_MAX_ORDER	15

/* Bytes of map storage a tree of 2^@order pages needs (one u8 per node, node 0 unused). */
#define ZCPOOL_BUDDY_MAP_BYTES(order)	(2UL << (order))

/**
 * struct zcpool_buddy - the buddy tree of one chunk
 * @order:      the chunk holds 2^@order pages.
 * @free_pages: pages not held by any allocation (exact: tails are trimmed).
 * @memory_map: 2^(@order + 1) entries owned by the caller; node 1 is the root,
 *              node id has children 2*id and 2*id+1, the leaves are the pages.
 *              memory_map[id] is the depth of the shallowest free node in
 *              id's subtree: depth(id) when the subtree is wholly free,
 *              @order + 1 when it is wholly used.
 *
 * A node marked @order + 1 whose left child still reads its own depth was
 * allocated as one piece; an allocation of N pages is the 2^ceil(log2 N)
 * block found by the walk, with every piece past the first N pages given
 * back to the tree.
 */
struct zcpool_buddy {
	unsigned int order;
	unsigned int free_pages;
	u8 *memory_map;
};

/**
 * zcpool_buddy_map_bytes() - bytes of map storage for a tree of 2^@order pages
 * @order: the chunk order.
 *
 * Context: any context.
 * Return: the size zcpool_buddy_init() needs, or 0 if @order is above
 * %ZCPOOL_BUDDY_MAX_ORDER.
 */
static inline size_t zcpool_buddy_map_bytes(unsigned int order)
{
	if (order > ZCPOOL_BUDDY_MAX_ORDER)
		return 0;
	return ZCPOOL_BUDDY_MAP_BYTES(order);
}

/**
 * zcpool_buddy_total_pages() - pages in the chunk a tree describes
 * @b: the tree.
 *
 * Context: any context; the caller serialises calls on @b.
 * Return: 2^@b->order.
 */
static inline unsigned int zcpool_buddy_total_pages(const struct zcpool_buddy *b)
{
	return 1U << b->order;
}

/**
 * zcpool_buddy_free_pages() - pages of the chunk that no allocation holds
 * @b: the tree.
 *
 * Context: any context; the caller serialises calls on @b.
 * Return: the exact count of free pages.
 */
static inline unsigned int zcpool_buddy_free_pages(const struct zcpool_buddy *b)
{
	return b->free_pages;
}

/**
 * zcpool_buddy_is_unused() - whether no allocation is live in the tree
 * @b: the tree.
 *
 * Context: any context; the caller serialises calls on @b.
 * Return: true when every page is free, so the chunk may be released.
 */
static inline bool zcpool_buddy_is_unused(const struct zcpool_buddy *b)
{
	return b->free_pages == zcpool_buddy_total_pages(b);
}

/**
 * zcpool_buddy_largest_free() - the largest block the tree can hand out now
 * @b: the tree.
 *
 * A request of N pages succeeds exactly when 2^ceil(log2 N) is at most this.
 * Trimmed tails may make a longer free stretch of pages that is not aligned;
 * it does not count, because no single allocation can use it.
 *
 * Inline: the arena asks it of every chunk it scans for every allocation.
 *
 * Context: any context; the caller serialises calls on @b. O(1).
 * Return: the page count of the largest free aligned block, 0 when full.
 */
static inline unsigned int zcpool_buddy_largest_free(const struct zcpool_buddy *b)
{
	u8 root = b->memory_map[1];

	if (root > b->order)
		return 0;
	return 1U << (b->order - root);
}

int zcpool_buddy_init(struct zcpool_buddy *b, unsigned int order, u8 *map);
int zcpool_buddy_alloc(struct zcpool_buddy *b, unsigned int pages);
int zcpool_buddy_alloc_after(struct zcpool_buddy *b, unsigned int pages, unsigned int prev);
int zcpool_buddy_alloc_many(struct zcpool_buddy *b, unsigned int pages, unsigned int want,
			    unsigned int *got);
int zcpool_buddy_free(struct zcpool_buddy *b, unsigned int first_page, unsigned int pages);
int zcpool_buddy_free_many(struct zcpool_buddy *b, unsigned int first_page, unsigned int pages,
			   unsigned int nr);

#endif /* _ZCPOOL_BUDDY_H */
