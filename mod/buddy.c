// SPDX-License-Identifier: GPL-2.0
/*
 * The buddy tree of one chunk, as in the seed design (Netty's PoolChunk, from
 * jemalloc): the 2^order pages of a chunk are the leaves of a complete binary
 * tree stored in an array, root 1, children of id at 2*id and 2*id+1, so the
 * node at depth d covers 2^(order-d) pages. memory_map[id] holds the depth of
 * the shallowest wholly free node in id's subtree: depth(id) when the whole
 * subtree is free, order+1 ("used") when nothing in it is free. The root's
 * value therefore says in O(1) which is the largest free aligned block.
 *
 * Allocating 2^(order-h) pages walks from the root to depth h, taking the
 * left child whenever its value is <= h (it holds a free node at least that
 * big) and the right child otherwise. That finds the leftmost free aligned
 * block of the size, in O(order) steps.
 *
 * Beyond the seed: a request of N pages, N not a power of two, holds exactly
 * N pages, as drm_buddy's block trim does. The 2^ceil(log2 N) block found by
 * the walk is split along one root-to-leaf path: at each level, if the pages
 * still wanted fill more than the left half, the left half is marked used as
 * one piece and the walk goes right; otherwise the walk goes left and leaves
 * the right half free. The pieces are the binary digits of N, so at most
 * order+1 nodes change and the free-page count stays exact.
 *
 * A node is an allocated piece when it reads "used" while its left child still
 * reads its own depth (allocating a piece never writes below it; a node that is
 * full because of its descendants has both children "used"). Free recomputes
 * the pieces of (first_page, pages), checks each one is such a piece and only
 * then releases them, so double frees, unaligned starts and sizes larger than
 * the allocation are refused with -EINVAL and change nothing. The tree cannot
 * tell an allocation from a smaller one that is one of its leading pieces:
 * callers must free with the size they allocated (they keep it anyway).
 *
 * Every function runs in O(order), except init, which writes the map once,
 * and the allocation and the free of many runs at once, which write each
 * of them;
 * refreshing the ancestors stops at the first one above the allocation's
 * block whose value stays the same. The walks are inlined into the entry
 * points: each is a few loads per level, and a call and a return
 * (through the return thunk on Debian's kernels, an indirect jump that
 * TCG looks up) cost as much as a level.
 */

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "buddy.h"

/* The value of a node with nothing free below it. */
static u8 buddy_used(const struct zcpool_buddy *b)
{
	return b->order + 1;
}

static u8 buddy_depth(unsigned int id)
{
	return ilog2(id);
}

/*
 * Refresh the ancestors of @id, the end of an allocation's path, from its
 * parent up. Up to @block, the node the allocation's path starts from, a
 * parent may also have a changed piece for child. Above it a node has one
 * changed child, the one below it on the path: when such a node keeps its
 * value, nothing above it changes, and the walk stops. An allocation next
 * to used pages usually stops within a few levels instead of reaching the
 * root of a 10-level tree (a 4 MiB chunk of 1-page runs spent a fifth of
 * a batch's time here).
 */
static void buddy_refresh_ancestors(struct zcpool_buddy *b, unsigned int id, unsigned int block)
{
	/* Held in a register: a u8 store may alias anything, even b itself. */
	u8 *map = b->memory_map;
	u8 child_depth = buddy_depth(id);
	u8 left, right, value;

	while (id > 1) {
		id >>= 1;
		left = map[2 * id];
		right = map[2 * id + 1];
		/* Wholly free if both children are, else the shallower. */
		if (left == child_depth && right == child_depth)
			value = child_depth - 1;
		else
			value = min(left, right);
		/* Ids shrink going up: below @block's id are its ancestors. */
		if (id < block && map[id] == value)
			break;
		map[id] = value;
		child_depth--;
	}
}

/* Whether @id was handed out as one piece (see the top of the file). */
static bool buddy_is_piece(const struct zcpool_buddy *b, unsigned int id)
{
	if (b->memory_map[id] != buddy_used(b))
		return false;
	if (buddy_depth(id) == b->order)
		return true;
	return b->memory_map[2 * id] == buddy_depth(id) + 1;
}

/*
 * Whether the @nr nodes of one level from @id (@nr a power of two) are
 * each a piece, as buddy_is_piece() says: eight nodes a load when @nr
 * allows, and their left children four a load, the differences or-ed and
 * tested once. A test a node was three translated blocks under TCG, the
 * most of a block free of 16 runs (zcpool_buddy_free_many()).
 */
static bool buddy_are_pieces(const struct zcpool_buddy *b, unsigned int id, unsigned int nr)
{
	/* The left children in a word of the next level: its even bytes. */
	static const u8 left_bytes[8] = { 0xff, 0, 0xff, 0, 0xff, 0, 0xff, 0 };
	const u8 *map = b->memory_map;
	u8 depth = buddy_depth(id);
	u64 used = 0x0101010101010101ULL * buddy_used(b);
	u64 free_below = 0x0101010101010101ULL * (u8)(depth + 1);
	u64 diff = 0, word, left;
	unsigned int i;

	if (nr < sizeof(word)) {
		for (i = 0; i < nr; i++)
			if (!buddy_is_piece(b, id + i))
				return false;
		return true;
	}
	/* memcpy() of a constant 8 bytes is one load, of any alignment. */
	for (i = 0; i < nr; i += sizeof(word)) {
		memcpy(&word, &map[id + i], sizeof(word));
		diff |= word ^ used;
	}
	if (depth == b->order)
		return !diff;
	memcpy(&left, left_bytes, sizeof(left));
	for (i = 0; i < 2 * nr; i += sizeof(word)) {
		memcpy(&word, &map[2 * id + i], sizeof(word));
		diff |= (word ^ free_below) & left;
	}
	return !diff;
}

static void buddy_mark(struct zcpool_buddy *b, unsigned int id, bool used)
{
	b->memory_map[id] = used ? buddy_used(b) : buddy_depth(id);
}

/*
 * An allocation of @pages pages at the start of node @id (2^@id_order pages,
 * more than half of them wanted) is a set of pieces along one path: at each
 * level where more than the left half is wanted, the left half is a piece and
 * the path goes right; else the path goes left. Alloc, free and the check
 * before free all walk it the same way.
 */
static __always_inline bool buddy_pieces_allocated(const struct zcpool_buddy *b,
						   unsigned int id, unsigned int id_order,
						   unsigned int pages)
{
	unsigned int half;

	while (pages != (1U << id_order)) {
		half = 1U << (id_order - 1);
		if (pages > half) {
			if (!buddy_is_piece(b, 2 * id))
				return false;
			id = 2 * id + 1;
			pages -= half;
		} else {
			id = 2 * id;
		}
		id_order--;
	}
	return buddy_is_piece(b, id);
}

/* Mark the pieces used or free, then refresh the ancestors of the path's end. */
static __always_inline void buddy_mark_pieces(struct zcpool_buddy *b, unsigned int id,
					      unsigned int id_order, unsigned int pages,
					      bool used)
{
	unsigned int block = id, half;

	while (pages != (1U << id_order)) {
		half = 1U << (id_order - 1);
		if (pages > half) {
			buddy_mark(b, 2 * id, used);
			id = 2 * id + 1;
			pages -= half;
		} else {
			id = 2 * id;
		}
		id_order--;
	}
	buddy_mark(b, id, used);
	buddy_refresh_ancestors(b, id, block);
}

/*
 * memset() of the @n nodes of one level from @first, @n a power of two:
 * a byte at a time below eight, else eight bytes a store. The kernel's
 * memset() is "rep stosb" on CPUs with fast strings, and QEMU's TCG, which
 * the benchmarks run on, runs each byte of it as a pass of its own: the
 * 127 bytes that a batch of 64 runs of 64 KiB writes each way were a
 * twentieth of the blocks of the whole batch ioctl. On hardware, sixteen
 * stores at most cost less than the string instruction's start.
 */
static void buddy_fill_level(u8 *first, u8 value, unsigned int n)
{
	u64 word = 0x0101010101010101ULL * value;
	unsigned int i;

	if (n < sizeof(word)) {
		for (i = 0; i < n; i++)
			first[i] = value;
		return;
	}
	/* memcpy() of a constant 8 bytes is one store, of any alignment. */
	for (i = 0; i < n; i += sizeof(word))
		memcpy(&first[i], &word, sizeof(word));
}

/*
 * Mark the block at node @id (2^@block_order pages) used or free as runs
 * of 2^@run_order pages: its nodes down to the runs' depth read "used",
 * or each its own depth. Nodes below the runs keep what they read: free,
 * as below any piece. Then count the pages and refresh the ancestors.
 */
static void buddy_mark_runs(struct zcpool_buddy *b, unsigned int id, unsigned int block_order,
			    unsigned int run_order, bool used)
{
	unsigned int depth = buddy_depth(id), level;

	for (level = 0; level <= block_order - run_order; level++)
		buddy_fill_level(&b->memory_map[id << level], used ? buddy_used(b) : depth + level,
				 1U << level);
	if (used)
		b->free_pages -= 1U << block_order;
	else
		b->free_pages += 1U << block_order;
	buddy_refresh_ancestors(b, id, id);
}

/**
 * zcpool_buddy_init() - set up the tree of an unused chunk
 * @b:     the tree to set up.
 * @order: the chunk holds 2^@order pages, at most %ZCPOOL_BUDDY_MAX_ORDER.
 * @map:   zcpool_buddy_map_bytes(@order) bytes that @b uses until the caller
 *         is done with it; their contents are overwritten.
 *
 * Context: any context; writes 2^(@order + 1) bytes.
 * Return: 0 with every page free, or -EINVAL for a bad @order or a NULL @map.
 */
int zcpool_buddy_init(struct zcpool_buddy *b, unsigned int order, u8 *map)
{
	unsigned int depth;

	if (order > ZCPOOL_BUDDY_MAX_ORDER)
		return -EINVAL;
	if (!map)
		return -EINVAL;

	/* Node 0 is not part of the tree; mark it used so that it never looks free. */
	map[0] = order + 1;
	for (depth = 0; depth <= order; depth++)
		memset(&map[1U << depth], depth, 1U << depth);
	b->order = order;
	b->free_pages = 1U << order;
	b->memory_map = map;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_buddy_init);

/*
 * Allocate @pages pages from the leftmost free block of their rounded-up
 * size below node @id, whose subtree must hold one.
 */
static __always_inline int buddy_alloc_below(struct zcpool_buddy *b, unsigned int id,
					     unsigned int pages)
{
	unsigned int block_order = order_base_2(pages);
	unsigned int depth = b->order - block_order;
	unsigned int d;

	for (d = buddy_depth(id); d < depth; d++) {
		id *= 2;
		if (b->memory_map[id] > depth)
			id++;
	}
	buddy_mark_pieces(b, id, block_order, pages, true);
	b->free_pages -= pages;
	return (id - (1U << depth)) << block_order;
}

/* -EINVAL for a request no tree of @b's size serves, -ENOSPC when full. */
static __always_inline int buddy_alloc_check(const struct zcpool_buddy *b, unsigned int pages)
{
	if (!pages)
		return -EINVAL;
	if (pages > zcpool_buddy_total_pages(b))
		return -EINVAL;
	if (b->memory_map[1] > b->order - order_base_2(pages))
		return -ENOSPC;
	return 0;
}

/**
 * zcpool_buddy_alloc() - allocate a run of pages from the tree
 * @b:     the tree.
 * @pages: how many pages, 1 to 2^@b->order.
 *
 * The run starts at the leftmost free block of 2^ceil(log2 @pages) pages,
 * which is aligned to its size; only @pages pages of it are taken, the rest
 * stays free. Free it with zcpool_buddy_free() and the same @pages.
 *
 * Context: any context; the caller serialises calls on @b. O(@b->order).
 * Return: the index of the run's first page in the chunk, -ENOSPC when no
 * block that big is free (nothing changes then), or -EINVAL for a @pages of
 * 0 or more than the chunk holds.
 */
int zcpool_buddy_alloc(struct zcpool_buddy *b, unsigned int pages)
{
	int ret = buddy_alloc_check(b, pages);

	if (ret)
		return ret;
	return buddy_alloc_below(b, 1, pages);
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_buddy_alloc);

/**
 * zcpool_buddy_alloc_after() - allocate a run of pages next to a live one
 * @b:     the tree.
 * @pages: how many pages, 1 to 2^@b->order.
 * @prev:  the first page of a live run of @pages pages, as
 *         zcpool_buddy_alloc() returned it.
 *
 * As zcpool_buddy_alloc(), but the block is the leftmost free one in the
 * smallest block around @prev's that has one: the walk climbs from @prev's
 * block until a subtree has room and goes down from there, instead of
 * down from the root. A batch of runs, each allocated after the one
 * before, costs a step or two per run instead of a walk of the tree's
 * height. Only a live run's block is known to have no allocated piece
 * above it, whose stale subtree a climb would misread: when the pieces of
 * (@prev, @pages) are not allocated pieces (of one run or of several, as
 * zcpool_buddy_free() checks them), the block is the leftmost one in the
 * tree.
 *
 * Context: any context; the caller serialises calls on @b. O(@b->order),
 * O(1) amortized over runs allocated one after another.
 * Return: as zcpool_buddy_alloc().
 */
int zcpool_buddy_alloc_after(struct zcpool_buddy *b, unsigned int pages, unsigned int prev)
{
	unsigned int block_order, depth, id;
	int ret = buddy_alloc_check(b, pages);

	if (ret)
		return ret;
	block_order = order_base_2(pages);
	depth = b->order - block_order;
	if (prev >= zcpool_buddy_total_pages(b) || (prev & ((1U << block_order) - 1)))
		return buddy_alloc_below(b, 1, pages);
	id = (1U << depth) + (prev >> block_order);
	if (!buddy_pieces_allocated(b, id, block_order, pages))
		return buddy_alloc_below(b, 1, pages);
	/* The root has room (checked above): the climb stops there at the latest. */
	while (b->memory_map[id] > depth)
		id >>= 1;
	return buddy_alloc_below(b, id, pages);
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_buddy_alloc_after);

/**
 * zcpool_buddy_alloc_many() - allocate runs of pages side by side
 * @b:     the tree.
 * @pages: pages per run: a power of two, 1 to 2^@b->order.
 * @want:  how many runs, at least 1.
 * @got:   set to how many were allocated: a power of two, at most @want.
 *
 * The runs fill the leftmost free block of the largest size the tree has,
 * up to @want runs' worth. The block's subtree is marked down to the runs
 * as one allocation of each run after the other would leave it: every run
 * is a piece of its own, freed alone with zcpool_buddy_free(). A batch of
 * @want runs costs one walk down, one refresh above the block, and a
 * write per node of the block down to the runs' depth (2 * @want - 1),
 * instead of a walk and a refresh per run.
 *
 * Context: any context; the caller serialises calls on @b. O(@b->order +
 * @want).
 * Return: the index of the first run's first page (run i starts @pages * i
 * pages further), -ENOSPC when not even one run fits (nothing changes
 * then), or -EINVAL for a @want of 0, or a @pages of 0, more than the
 * chunk holds, or not a power of two.
 */
int zcpool_buddy_alloc_many(struct zcpool_buddy *b, unsigned int pages, unsigned int want,
			    unsigned int *got)
{
	unsigned int run_order, block_order, depth, id;
	u8 *map = b->memory_map;
	int ret;

	if (!want || !is_power_of_2(pages))
		return -EINVAL;
	ret = buddy_alloc_check(b, pages);
	if (ret)
		return ret;
	run_order = ilog2(pages);
	/* The root holds the depth of the largest free block. */
	block_order = min(run_order + ilog2(want), b->order - map[1]);
	depth = b->order - block_order;
	for (id = 1; buddy_depth(id) < depth; ) {
		id *= 2;
		if (map[id] > depth)
			id++;
	}
	/* The block was wholly free: every node below it reads its own depth. */
	buddy_mark_runs(b, id, block_order, run_order, true);
	*got = 1U << (block_order - run_order);
	return (id - (1U << depth)) << block_order;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_buddy_alloc_many);

/**
 * zcpool_buddy_free_many() - give back runs side by side that fill a block
 * @b:          the tree.
 * @first_page: the first run's first page, aligned to @pages * @nr.
 * @pages:      pages per run: a power of two.
 * @nr:         how many runs: a power of two, @pages * @nr at most the chunk.
 *
 * The runs at @first_page, @first_page + @pages, ... must each be a live
 * allocation of @pages pages, as zcpool_buddy_alloc_many() or one
 * zcpool_buddy_alloc() per run leaves them; together they are the block
 * of @pages * @nr pages at @first_page. All are checked before anything
 * changes. The block's subtree is then marked free down to the runs in
 * one pass, with one refresh above it, instead of a free and a refresh
 * per run, and the tree reads as after freeing each run in turn.
 *
 * Context: any context; the caller serialises calls on @b. O(@b->order +
 * @nr).
 * Return: 0, or -EINVAL for a bad @pages, @nr or @first_page, or when one
 * of the runs is not a live allocation of @pages pages (nothing changes).
 */
int zcpool_buddy_free_many(struct zcpool_buddy *b, unsigned int first_page, unsigned int pages,
			   unsigned int nr)
{
	unsigned int run_order, block_order, depth, id, run_id;

	if (!is_power_of_2(pages) || !is_power_of_2(nr))
		return -EINVAL;
	run_order = ilog2(pages);
	block_order = run_order + ilog2(nr);
	if (block_order > b->order)
		return -EINVAL;
	if (first_page >= zcpool_buddy_total_pages(b) ||
	    (first_page & ((1U << block_order) - 1)))
		return -EINVAL;
	depth = b->order - block_order;
	id = (1U << depth) + (first_page >> block_order);
	run_id = id << (block_order - run_order);
	if (!buddy_are_pieces(b, run_id, nr))
		return -EINVAL;
	/* Below the runs, the nodes already read free (see the top of the file). */
	buddy_mark_runs(b, id, block_order, run_order, false);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_buddy_free_many);

/**
 * zcpool_buddy_free() - give back a run allocated by zcpool_buddy_alloc()
 * @b:          the tree.
 * @first_page: what zcpool_buddy_alloc() returned.
 * @pages:      the @pages passed to zcpool_buddy_alloc().
 *
 * The run is checked before anything changes: a range that is not a live
 * allocation (a double free, a wrong start, a size larger than allocated)
 * is refused.
 *
 * Context: any context; the caller serialises calls on @b. O(@b->order).
 * Return: 0, or -EINVAL when (@first_page, @pages) is not a live allocation.
 */
int zcpool_buddy_free(struct zcpool_buddy *b, unsigned int first_page, unsigned int pages)
{
	unsigned int block_order, id;

	if (!pages)
		return -EINVAL;
	if (pages > zcpool_buddy_total_pages(b))
		return -EINVAL;
	if (first_page >= zcpool_buddy_total_pages(b))
		return -EINVAL;

	/* Alloc put the run at the start of a block aligned to its rounded-up size. */
	block_order = order_base_2(pages);
	if (first_page & ((1U << block_order) - 1))
		return -EINVAL;

	id = (1U << (b->order - block_order)) + (first_page >> block_order);
	if (!buddy_pieces_allocated(b, id, block_order, pages))
		return -EINVAL;
	buddy_mark_pieces(b, id, block_order, pages, false);
	b->free_pages += pages;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_buddy_free);
