// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite zcpool_buddy: the buddy tree of one chunk (buddy.c).
 *
 * check_tree() verifies every memory_map entry against the rules of buddy.h
 * and the free-page count against the tree; the cases call it after every
 * change. The randomized case replays allocations and frees against a page
 * bitmap, which predicts every result (the tree hands out the leftmost free
 * aligned block); its seed is printed and can be fixed with buddy_seed=.
 */

#include <kunit/test.h>
#include <linux/bitops.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "buddy.h"
#include "seed.h"

static unsigned int buddy_seed;
module_param(buddy_seed, uint, 0400);
MODULE_PARM_DESC(buddy_seed, "Seed of zcpool_buddy's random case (default 0: a new one each run)");

/* The seed's example is an order-11 tree: 2048 pages of 8 KiB in a 16 MiB chunk. */
#define SEED_ORDER	11

/* Enough operations to reach deep fragmentation many times over. */
#define RANDOM_OPS	100000

/*
 * Checking the whole tree costs 2^(order+1) steps; past this order the random
 * case checks the two paths it changed after each step and the whole tree only
 * every FULL_CHECK_EVERY steps, to stay O(order) per step under an emulated
 * KASAN kernel.
 */
#define FULL_CHECK_MAX_ORDER	6
#define FULL_CHECK_EVERY	256

#define MODEL_WORDS	(BIT(SEED_ORDER) / 64)

static u8 *alloc_map(struct kunit *test, unsigned int order)
{
	u8 *map = kunit_kzalloc(test, zcpool_buddy_map_bytes(order), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, map);
	return map;
}

static struct zcpool_buddy *new_tree(struct kunit *test, unsigned int order)
{
	struct zcpool_buddy *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, b);
	KUNIT_ASSERT_EQ(test, zcpool_buddy_init(b, order, alloc_map(test, order)), 0);
	return b;
}

/* A copy of @b's map as it is now, for map_unchanged(). */
static u8 *map_snapshot(struct kunit *test, const struct zcpool_buddy *b)
{
	size_t bytes = zcpool_buddy_map_bytes(b->order);
	u8 *copy = kunit_kmalloc(test, bytes, GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, copy);
	memcpy(copy, b->memory_map, bytes);
	return copy;
}

/* Whether @b's map is still what map_snapshot() copied. */
static bool map_unchanged(const struct zcpool_buddy *b, const u8 *snapshot)
{
	return !memcmp(snapshot, b->memory_map, zcpool_buddy_map_bytes(b->order));
}

static unsigned int node_depth(unsigned int id)
{
	return ilog2(id);
}

static u8 node_used(const struct zcpool_buddy *b)
{
	return b->order + 1;
}

/* The node covering @pages pages (a power of two) from @first. */
/*
 * One node against its children: a leaf reads its depth or "used"; an inner
 * node over two wholly free children reads its depth (free) or "used" (an
 * allocated piece); any other inner node reads the smaller child.
 */
static bool check_node(struct kunit *test, const struct zcpool_buddy *b, unsigned int id)
{
	unsigned int d = node_depth(id);
	u8 v = b->memory_map[id], l, r, want;

	if (d == b->order) {
		KUNIT_EXPECT_TRUE_MSG(test, v == d || v == node_used(b),
				      "leaf %u reads %u", id, v);
		return v == d || v == node_used(b);
	}
	l = b->memory_map[2 * id];
	r = b->memory_map[2 * id + 1];
	if (l == d + 1 && r == d + 1) {
		KUNIT_EXPECT_TRUE_MSG(test, v == d || v == node_used(b),
				      "node %u reads %u over free children", id, v);
		return v == d || v == node_used(b);
	}
	want = min(l, r);
	KUNIT_EXPECT_EQ_MSG(test, v, want, "node %u, children %u and %u", id, l, r);
	return v == want;
}

/* Checks every node under @id, clearing *@ok on a bad one; returns the free pages there. */
static unsigned int check_subtree(struct kunit *test, const struct zcpool_buddy *b,
				  unsigned int id, bool *ok)
{
	unsigned int free;

	if (!check_node(test, b, id))
		*ok = false;
	if (node_depth(id) == b->order)
		return b->memory_map[id] == b->order;
	free = check_subtree(test, b, 2 * id, ok) + check_subtree(test, b, 2 * id + 1, ok);
	/* An allocated piece hides the free-reading nodes below it. */
	return b->memory_map[id] == node_used(b) ? 0 : free;
}

/*
 * The invariant checker: every node obeys the rules, the free count is exact.
 * Returns whether all held, so that long loops can stop at the first break.
 */
static bool check_tree(struct kunit *test, const struct zcpool_buddy *b)
{
	unsigned int free;
	bool ok = true;

	free = check_subtree(test, b, 1, &ok);
	KUNIT_EXPECT_EQ(test, b->memory_map[0], node_used(b));
	KUNIT_EXPECT_EQ(test, free, zcpool_buddy_free_pages(b));
	return ok && b->memory_map[0] == node_used(b) && free == zcpool_buddy_free_pages(b);
}

/* The O(order) part of check_tree(): the nodes from @page's leaf to the root. */
static bool check_path(struct kunit *test, const struct zcpool_buddy *b, unsigned int page)
{
	unsigned int id;

	for (id = BIT(b->order) + page; id; id >>= 1)
		if (!check_node(test, b, id))
			return false;
	return true;
}

/* Up to ZCPOOL_BUDDY_MAX_ORDER: 13 is a 512 MiB chunk of arm64's 64 KiB pages. */
static const unsigned int orders[] = { 0, 1, 2, 3, 5, 8, 10, 11, 13, ZCPOOL_BUDDY_MAX_ORDER };

static void order_desc(const unsigned int *order, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "order %u", *order);
}

KUNIT_ARRAY_PARAM(order, orders, order_desc);

/* The trim case costs O(4^order); up to order 8 it meets every trim shape. */
static const unsigned int trim_orders[] = { 0, 1, 2, 3, 4, 5, 6, 8 };

KUNIT_ARRAY_PARAM(trim_order, trim_orders, order_desc);

static void init_makes_every_page_free(struct kunit *test)
{
	unsigned int order = *(const unsigned int *)test->param_value;
	struct zcpool_buddy *b = new_tree(test, order);
	unsigned int id;

	for (id = 1; id < BIT(order + 1); id++)
		KUNIT_EXPECT_EQ_MSG(test, b->memory_map[id], node_depth(id), "node %u", id);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_pages(b), BIT(order));
	KUNIT_EXPECT_EQ(test, zcpool_buddy_largest_free(b), BIT(order));
	KUNIT_EXPECT_TRUE(test, zcpool_buddy_is_unused(b));
	check_tree(test, b);
}

static void init_rejects_bad_order_and_missing_map(struct kunit *test)
{
	struct zcpool_buddy b = {};
	u8 map[ZCPOOL_BUDDY_MAP_BYTES(2)];

	KUNIT_EXPECT_EQ(test, zcpool_buddy_init(&b, ZCPOOL_BUDDY_MAX_ORDER + 1, map), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_init(&b, 2, NULL), -EINVAL);
	KUNIT_EXPECT_PTR_EQ(test, b.memory_map, NULL);	/* untouched */
	KUNIT_EXPECT_EQ(test, zcpool_buddy_map_bytes(ZCPOOL_BUDDY_MAX_ORDER + 1), 0);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_map_bytes(SEED_ORDER), 2 * BIT(SEED_ORDER));
}

static void seed_example_lands_on_nodes_2048_1025_2049(struct kunit *test)
{
	struct zcpool_buddy *b = new_tree(test, SEED_ORDER);
	u8 used = node_used(b);

	/* 8 KiB, 16 KiB, 8 KiB with the seed's 8 KiB pages. */
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, 1), 0);
	KUNIT_EXPECT_EQ(test, b->memory_map[2048], used);
	check_tree(test, b);

	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, 2), 2);
	KUNIT_EXPECT_EQ(test, b->memory_map[1025], used);
	KUNIT_EXPECT_EQ(test, b->memory_map[2050], SEED_ORDER);	/* a piece: free below */
	check_tree(test, b);

	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, 1), 1);
	KUNIT_EXPECT_EQ(test, b->memory_map[2049], used);
	KUNIT_EXPECT_EQ(test, b->memory_map[1024], used);	/* full through its children */
	KUNIT_EXPECT_EQ(test, b->memory_map[512], used);
	KUNIT_EXPECT_EQ(test, b->memory_map[256], SEED_ORDER - 2);	/* pages 4-7 free */
	check_tree(test, b);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_pages(b), BIT(SEED_ORDER) - 4);

	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(b, 0, 1), 0);
	check_tree(test, b);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(b, 2, 2), 0);
	check_tree(test, b);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(b, 1, 1), 0);
	check_tree(test, b);
	KUNIT_EXPECT_EQ(test, b->memory_map[1], 0);
	KUNIT_EXPECT_TRUE(test, zcpool_buddy_is_unused(b));
}

static void runs_take_the_leftmost_aligned_block(struct kunit *test)
{
	struct zcpool_buddy *b = new_tree(test, 4);

	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, 1), 0);
	check_tree(test, b);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, 4), 4);	/* 0-3 is split */
	check_tree(test, b);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, 2), 2);
	check_tree(test, b);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, 8), 8);
	check_tree(test, b);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, 1), 1);
	check_tree(test, b);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_pages(b), 0);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_largest_free(b), 0);
}

/*
 * After a live run: the smallest block around its own with room, up to
 * the root; after anything else, the leftmost block as ever.
 */
static void runs_after_a_live_one_take_the_closest_room(struct kunit *test)
{
	struct zcpool_buddy *b = new_tree(test, 4);

	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, 1), 0);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_after(b, 1, 0), 1);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_after(b, 1, 1), 2);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, 4), 4);
	/* 0-7 has no 4-page block: up to the root, then its leftmost. */
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_after(b, 4, 4), 8);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_after(b, 4, 8), 12);
	check_tree(test, b);
	/* Page 1 is free again, but page 3 is closer to page 2. */
	KUNIT_ASSERT_EQ(test, zcpool_buddy_free(b, 1, 1), 0);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_after(b, 1, 2), 3);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_after(b, 1, 3), 1);
	check_tree(test, b);
	/* Not after a live run of that size: the leftmost. */
	KUNIT_ASSERT_EQ(test, zcpool_buddy_free(b, 12, 4), 0);
	KUNIT_ASSERT_EQ(test, zcpool_buddy_free(b, 0, 1), 0);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_after(b, 1, 15), 0);	/* a free page */
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_after(b, 2, 13), 12);	/* unaligned */
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_after(b, 1, 4), 14);	/* inside a run */
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_after(b, 1, 16), 15);	/* past the chunk */
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_after(b, 1, 15), -ENOSPC);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_pages(b), 0);
	check_tree(test, b);
}

/* A trimmed run: its block is the start; a page inside one of its pieces is not. */
static void runs_after_a_trimmed_one_take_the_closest_room(struct kunit *test)
{
	struct zcpool_buddy *b = new_tree(test, 3);

	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, 3), 0);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_after(b, 3, 0), 4);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_after(b, 3, 4), -ENOSPC);
	/* Page 0 lies in the piece 0-1, whose subtree was never written. */
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_after(b, 1, 0), 3);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_after(b, 1, 0), 7);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_pages(b), 0);
	check_tree(test, b);
}

/* N pages in a tree of 2^order hold exactly N: the other pages all stay usable. */
static void trimmed_runs_hold_exactly_their_pages(struct kunit *test)
{
	unsigned int order = *(const unsigned int *)test->param_value;
	unsigned int total = BIT(order), pages, i;
	struct zcpool_buddy *b = new_tree(test, order);

	for (pages = 1; pages <= total; pages++) {
		KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc(b, pages), 0);
		KUNIT_EXPECT_EQ(test, zcpool_buddy_free_pages(b), total - pages);
		if (order <= FULL_CHECK_MAX_ORDER)
			KUNIT_ASSERT_TRUE(test, check_tree(test, b));
		for (i = pages; i < total; i++)
			KUNIT_ASSERT_EQ_MSG(test, zcpool_buddy_alloc(b, 1), i,
					    "after a run of %u pages", pages);
		KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, 1), -ENOSPC);
		for (i = pages; i < total; i++)
			KUNIT_ASSERT_EQ(test, zcpool_buddy_free(b, i, 1), 0);
		KUNIT_ASSERT_EQ(test, zcpool_buddy_free(b, 0, pages), 0);
		KUNIT_ASSERT_TRUE(test, zcpool_buddy_is_unused(b));
		KUNIT_EXPECT_EQ(test, b->memory_map[1], 0);
	}
	check_tree(test, b);
}

static void trimmed_tail_serves_the_next_requests(struct kunit *test)
{
	struct zcpool_buddy *b = new_tree(test, 2);

	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, 3), 0);
	check_tree(test, b);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_pages(b), 1);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_largest_free(b), 1);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, 1), 3);
	check_tree(test, b);

	b = new_tree(test, 3);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, 5), 0);
	check_tree(test, b);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_pages(b), 3);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_largest_free(b), 2);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, 2), 6);
	check_tree(test, b);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, 1), 5);
	check_tree(test, b);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_pages(b), 0);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(b, 0, 5), 0);
	check_tree(test, b);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_pages(b), 5);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_largest_free(b), 4);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, 3), 0);	/* the tail merged back */
	check_tree(test, b);
}

static void exhaustion_is_enospc_and_changes_nothing(struct kunit *test)
{
	struct zcpool_buddy *b = new_tree(test, 5);
	unsigned int pages;
	u8 *before;

	/* Pages 0 and 17 taken: no 16-page block is left, 8-page ones are. */
	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc(b, 1), 0);
	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc(b, 9), 16);
	check_tree(test, b);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_largest_free(b), 8);
	before = map_snapshot(test, b);
	for (pages = 9; pages <= 32; pages++) {
		KUNIT_EXPECT_EQ_MSG(test, zcpool_buddy_alloc(b, pages), -ENOSPC, "%u pages", pages);
		KUNIT_EXPECT_TRUE(test, map_unchanged(b, before));
		KUNIT_EXPECT_EQ(test, zcpool_buddy_free_pages(b), 22);
	}
	check_tree(test, b);

	/* A full tree refuses even one page. */
	while (zcpool_buddy_alloc(b, 1) >= 0)
		KUNIT_ASSERT_TRUE(test, check_tree(test, b));
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_pages(b), 0);
	before = map_snapshot(test, b);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, 1), -ENOSPC);
	KUNIT_EXPECT_TRUE(test, map_unchanged(b, before));
}

/*
 * Many runs at once fill the leftmost free block of the largest size up to
 * the request, each run a piece freed alone; the tree reads as if they had
 * been allocated one by one.
 */
static void many_runs_fill_one_block_and_free_alone(struct kunit *test)
{
	struct zcpool_buddy *b = new_tree(test, 6), *one_by_one = new_tree(test, 6);
	size_t bytes = zcpool_buddy_map_bytes(6);
	unsigned int got = 0, i;

	/* Pages 0-15 taken: 16-31 and 32-63 are free, 20 pages are wanted. */
	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc(b, 16), 0);
	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc(one_by_one, 16), 0);
	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc_many(b, 1, 20, &got), 16);
	KUNIT_EXPECT_EQ(test, got, 16);
	for (i = 0; i < 16; i++)
		KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc(one_by_one, 1), 16 + i);
	KUNIT_EXPECT_TRUE(test, check_tree(test, b));
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_pages(b), 32);
	KUNIT_EXPECT_EQ(test, memcmp(b->memory_map, one_by_one->memory_map, bytes), 0);

	/* Two runs of 2 pages for three wanted: a 4-page block, at 32. */
	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc_many(b, 2, 3, &got), 32);
	KUNIT_EXPECT_EQ(test, got, 2);
	KUNIT_EXPECT_TRUE(test, check_tree(test, b));
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_pages(b), 28);

	/* Each run is a piece of its own: freed alone, and only once. */
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(b, 32, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(b, 34, 2), 0);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(b, 34, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(b, 32, 2), 0);
	for (i = 0; i < 16; i++) {
		KUNIT_EXPECT_EQ(test, zcpool_buddy_free(b, 31 - i, 1), 0);
		KUNIT_EXPECT_TRUE(test, check_tree(test, b));
	}
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(b, 0, 16), 0);
	KUNIT_EXPECT_TRUE(test, zcpool_buddy_is_unused(b));
	KUNIT_EXPECT_EQ(test, zcpool_buddy_largest_free(b), 64);
}

/* A bad request or a full tree refuses many runs and changes nothing. */
static void many_runs_refuse_bad_requests(struct kunit *test)
{
	struct zcpool_buddy *b = new_tree(test, 5);
	unsigned int got = 7;
	u8 *before;

	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc(b, 9), 0);
	before = map_snapshot(test, b);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_many(b, 1, 0, &got), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_many(b, 0, 4, &got), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_many(b, 3, 4, &got), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_many(b, 64, 1, &got), -EINVAL);
	/* Pages 0-8 are taken: no 32-page block is free. */
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_many(b, 32, 1, &got), -ENOSPC);
	KUNIT_EXPECT_EQ(test, got, 7);
	KUNIT_EXPECT_TRUE(test, map_unchanged(b, before));
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_pages(b), 32 - 9);
}

/*
 * Runs that fill a block go back in one call, and the tree reads as after
 * freeing them one by one, whichever way they were allocated.
 */
static void many_runs_free_as_one_block(struct kunit *test)
{
	struct zcpool_buddy *b = new_tree(test, 6), *one_by_one = new_tree(test, 6);
	size_t bytes = zcpool_buddy_map_bytes(6);
	unsigned int got = 0, i;

	/* Pages 0-4 stay taken, as a 5-page run: two pieces of 4 and 1. */
	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc(b, 5), 0);
	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc(one_by_one, 5), 0);
	/* 16 runs of 2 pages, as one block, at 32; and 4 runs of 1 page, one by one, at 8. */
	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc_many(b, 2, 16, &got), 32);
	KUNIT_ASSERT_EQ(test, got, 16);
	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc_many(one_by_one, 2, 16, &got), 32);
	for (i = 0; i < 4; i++) {
		KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc_after(b, 1, i ? 4 + i : 0), 5 + i);
		KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc_after(one_by_one, 1, i ? 4 + i : 0),
				5 + i);
	}
	/* 5-8 are not a block: 5 is not aligned to 4, and 8 is taken alone. */
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_many(b, 5, 1, 4), -EINVAL);
	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc(b, 1), 9);
	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc(one_by_one, 1), 9);

	/* The 16 runs of 2 pages back in one call, in halves of the block. */
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_many(b, 48, 2, 8), 0);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_many(b, 32, 2, 8), 0);
	for (i = 0; i < 16; i++)
		KUNIT_ASSERT_EQ(test, zcpool_buddy_free(one_by_one, 32 + 2 * i, 2), 0);
	KUNIT_EXPECT_TRUE(test, check_tree(test, b));
	KUNIT_EXPECT_EQ(test, memcmp(b->memory_map, one_by_one->memory_map, bytes), 0);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_pages(b), 64 - 10);

	/* Pages 8 and 9, single runs, are a block of two. */
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_many(b, 8, 1, 2), 0);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(one_by_one, 8, 1), 0);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(one_by_one, 9, 1), 0);
	KUNIT_EXPECT_EQ(test, memcmp(b->memory_map, one_by_one->memory_map, bytes), 0);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(b, 5, 1), 0);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(b, 6, 1), 0);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(b, 7, 1), 0);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(b, 0, 5), 0);
	KUNIT_EXPECT_TRUE(test, zcpool_buddy_is_unused(b));
	KUNIT_EXPECT_EQ(test, zcpool_buddy_largest_free(b), 64);
}

/* A block that is not all live runs of the size given changes nothing. */
static void many_runs_free_refuses_what_is_not_their_block(struct kunit *test)
{
	struct zcpool_buddy *b = new_tree(test, 5);
	unsigned int got = 0;
	u8 *before;

	/* Pages 0-7: eight 1-page runs; 8-15 one 8-page run; 16-19 one 3-page run. */
	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc_many(b, 1, 8, &got), 0);
	KUNIT_ASSERT_EQ(test, got, 8);
	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc(b, 8), 8);
	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc(b, 3), 16);
	/* Page 5 freed: the block of 0-7 has a hole. */
	KUNIT_ASSERT_EQ(test, zcpool_buddy_free(b, 5, 1), 0);
	before = map_snapshot(test, b);

	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_many(b, 0, 1, 8), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_many(b, 4, 1, 4), -EINVAL);
	/* Wrong size: an 8-page run is not two runs of 4, nor 8 of 1. */
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_many(b, 8, 4, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_many(b, 8, 1, 8), -EINVAL);
	/* A 3-page run is a piece of 2 and one of 1, not two runs of 2. */
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_many(b, 16, 2, 2), -EINVAL);
	/* Free pages are not runs. */
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_many(b, 24, 1, 8), -EINVAL);
	/* Bad arguments: unaligned, not powers of two, beyond the tree. */
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_many(b, 2, 1, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_many(b, 0, 1, 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_many(b, 0, 3, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_many(b, 0, 0, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_many(b, 0, 1, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_many(b, 0, 16, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_many(b, 32, 1, 1), -EINVAL);
	KUNIT_EXPECT_TRUE(test, map_unchanged(b, before));
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_pages(b), 32 - 18);

	/* One run is a block of one: the plain free. */
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_many(b, 8, 8, 1), 0);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_many(b, 8, 8, 1), -EINVAL);
	KUNIT_EXPECT_TRUE(test, check_tree(test, b));
}

static void alloc_rejects_zero_and_more_than_the_chunk(struct kunit *test)
{
	struct zcpool_buddy *b = new_tree(test, 3);

	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, 9), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc(b, UINT_MAX), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_after(b, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_after(b, 9, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_alloc_after(b, UINT_MAX, 3), -EINVAL);
	KUNIT_EXPECT_TRUE(test, zcpool_buddy_is_unused(b));
	check_tree(test, b);
}

struct bad_free_case {
	const char *what;
	unsigned int first, pages;
};

/* Live in an order-4 tree: 5 pages at 0 (pieces 0-3 and 4), 4 at 8, 1 at 5, 1 at 6. */
static const struct bad_free_case bad_free_cases[] = {
	{ "zero pages", 0, 0 },
	{ "more than the chunk", 0, 17 },
	{ "past the chunk", 16, 1 },
	{ "far past the chunk", UINT_MAX, 1 },
	{ "unaligned start", 1, 3 },
	{ "larger than allocated", 0, 8 },
	{ "inside a piece", 8, 2 },
	{ "last page of a piece", 11, 1 },
	{ "trimmed tail", 7, 1 },
	{ "never allocated", 12, 4 },
	{ "two allocations at once", 4, 2 },
};

static void bad_free_case_desc(const struct bad_free_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s (%u, %u)", c->what, c->first, c->pages);
}

KUNIT_ARRAY_PARAM(bad_free, bad_free_cases, bad_free_case_desc);

static void free_refuses_what_is_not_an_allocation(struct kunit *test)
{
	const struct bad_free_case *c = test->param_value;
	struct zcpool_buddy *b = new_tree(test, 4);
	u8 *before;

	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc(b, 5), 0);
	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc(b, 4), 8);
	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc(b, 1), 5);
	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc(b, 1), 6);
	check_tree(test, b);
	before = map_snapshot(test, b);

	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(b, c->first, c->pages), -EINVAL);
	KUNIT_EXPECT_TRUE(test, map_unchanged(b, before));
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_pages(b), 5);
	check_tree(test, b);
}

static void double_free_is_einval(struct kunit *test)
{
	struct zcpool_buddy *b = new_tree(test, 3);

	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc(b, 3), 0);
	KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc(b, 2), 4);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(b, 0, 3), 0);
	check_tree(test, b);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(b, 0, 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_pages(b), 6);
	check_tree(test, b);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(b, 4, 2), 0);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(b, 4, 2), -EINVAL);
	KUNIT_EXPECT_TRUE(test, zcpool_buddy_is_unused(b));
	check_tree(test, b);
}

/*
 * Every page taken one by one, then given back in a shuffled order, merges
 * back into the one free block, in small trees and in the largest (the
 * random case's model stops at order 11). Each free is checked along its
 * path, the whole tree now and then and at the end.
 */
static const unsigned int merge_orders[] = { 6, 13, ZCPOOL_BUDDY_MAX_ORDER };

KUNIT_ARRAY_PARAM(merge_order, merge_orders, order_desc);

static void freeing_every_page_merges_back_to_one_block(struct kunit *test)
{
	unsigned int order = *(const unsigned int *)test->param_value, i, j;
	struct zcpool_buddy *b = new_tree(test, order);
	struct rnd_state rnd;
	unsigned int *pages;

	pages = kunit_kcalloc(test, BIT(order), sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	prandom_seed_state(&rnd, 64);
	for (i = 0; i < BIT(order); i++) {
		KUNIT_ASSERT_EQ(test, zcpool_buddy_alloc(b, 1), i);
		pages[i] = i;
	}
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_pages(b), 0);
	check_tree(test, b);
	for (i = BIT(order); i > 1; i--) {
		j = prandom_u32_state(&rnd) % i;
		swap(pages[i - 1], pages[j]);
	}
	for (i = 0; i < BIT(order); i++) {
		KUNIT_ASSERT_EQ(test, zcpool_buddy_free(b, pages[i], 1), 0);
		KUNIT_ASSERT_TRUE(test, check_path(test, b, pages[i]));
		/* At most 16 whole-tree checks: order 15 has 65536 nodes. */
		if (!(i % max_t(unsigned int, FULL_CHECK_EVERY, BIT(order) / 16)))
			KUNIT_ASSERT_TRUE(test, check_tree(test, b));
	}
	KUNIT_EXPECT_TRUE(test, check_tree(test, b));
	KUNIT_EXPECT_EQ(test, b->memory_map[1], 0);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_largest_free(b), BIT(order));
	KUNIT_EXPECT_TRUE(test, zcpool_buddy_is_unused(b));
}

/* --- the randomized differential case ---------------------------------- */

/* One bit per page, set while allocated: the simplest allocator that can be right. */
struct model {
	unsigned int order;
	unsigned int free_pages;
	u64 used[MODEL_WORDS];
};

struct live_run {
	unsigned int first, pages;
};

static void model_set(struct model *m, unsigned int first, unsigned int pages, bool used)
{
	unsigned int p;

	for (p = first; p < first + pages; p++) {
		if (used)
			m->used[p / 64] |= BIT_ULL(p % 64);
		else
			m->used[p / 64] &= ~BIT_ULL(p % 64);
	}
	if (used)
		m->free_pages -= pages;
	else
		m->free_pages += pages;
}

/* The leftmost wholly free block of @size pages (a power of two), aligned to @size. */
static int model_find(const struct model *m, unsigned int size)
{
	unsigned int total = BIT(m->order), w, s, start;
	u64 free, valid;

	if (size >= 64) {
		for (start = 0; start < total; start += size) {
			for (w = start / 64; w < (start + size) / 64; w++)
				if (m->used[w])
					break;
			if (w == (start + size) / 64)
				return start;
		}
		return -1;
	}
	valid = total < 64 ? BIT_ULL(total) - 1 : ~0ULL;
	for (w = 0; w < DIV_ROUND_UP(total, 64); w++) {
		/* Bit i survives the folding only if pages i..i+size-1 are free. */
		free = ~m->used[w] & valid;
		for (s = 1; s < size; s <<= 1)
			free &= free >> s;
		free &= ~0ULL / (BIT_ULL(size) - 1);	/* starts aligned to size */
		if (free)
			return w * 64 + __ffs64(free);
	}
	return -1;
}

/*
 * zcpool_buddy_alloc_after()'s block after a live run at @near: the
 * leftmost free one of @size pages in the smallest aligned block around
 * @near that has one.
 */
static int model_find_near(const struct model *m, unsigned int size, unsigned int near)
{
	unsigned int region, start, p, q;

	for (region = size; region <= BIT(m->order); region <<= 1) {
		start = near & ~(region - 1);
		for (p = start; p < start + region; p += size) {
			for (q = p; q < p + size; q++)
				if (m->used[q / 64] & BIT_ULL(q % 64))
					break;
			if (q == p + size)
				return p;
		}
	}
	return -1;
}

static unsigned int model_largest(const struct model *m)
{
	unsigned int size;

	for (size = BIT(m->order); size; size >>= 1)
		if (model_find(m, size) >= 0)
			return size;
	return 0;
}

/* Every page reads the same in the tree and the model. */
static void check_against_model(struct kunit *test, const struct zcpool_buddy *b,
				const struct model *m)
{
	unsigned int page, id;
	bool tree_used;

	for (page = 0; page < BIT(b->order); page++) {
		tree_used = false;
		for (id = BIT(b->order) + page; id; id >>= 1) {
			/* Used if the leaf is, or some ancestor is an allocated piece. */
			if (b->memory_map[id] == node_used(b) &&
			    (node_depth(id) == b->order ||
			     b->memory_map[2 * id] == node_depth(id) + 1)) {
				tree_used = true;
				break;
			}
		}
		KUNIT_ASSERT_EQ_MSG(test, tree_used, !!(m->used[page / 64] & BIT_ULL(page % 64)),
				    "page %u", page);
	}
	KUNIT_ASSERT_EQ(test, zcpool_buddy_largest_free(b), model_largest(m));
}

/* The state of one random run: the tree, its model and the live allocations. */
struct random_run {
	struct kunit *test;
	struct zcpool_buddy *b;
	struct model *m;
	struct live_run *live;
	unsigned int nr_live;
	struct live_run last;	/* touched last: its paths are checked */
	struct rnd_state rnd;
};

static void random_free(struct random_run *r, u32 op)
{
	struct kunit *test = r->test;
	unsigned int i = prandom_u32_state(&r->rnd) % r->nr_live;
	struct live_run run = r->live[i];

	r->live[i] = r->live[--r->nr_live];
	KUNIT_ASSERT_EQ_MSG(test, zcpool_buddy_free(r->b, run.first, run.pages), 0,
			    "op %u: free(%u, %u)", op, run.first, run.pages);
	model_set(r->m, run.first, run.pages, false);
	r->last = run;
	if (prandom_u32_state(&r->rnd) % 16 == 0)
		KUNIT_ASSERT_EQ_MSG(test, zcpool_buddy_free(r->b, run.first, run.pages), -EINVAL,
				    "op %u: double free(%u, %u)", op, run.first, run.pages);
}

/* The pieces of a run of @pages pages at @first, as the tree marks them. */
static unsigned int run_pieces(unsigned int first, unsigned int pages, struct live_run *pieces)
{
	unsigned int size = roundup_pow_of_two(pages), n = 0;

	while (pages != size) {
		size /= 2;
		if (pages > size) {
			pieces[n++] = (struct live_run){ first, size };
			first += size;
			pages -= size;
		}
	}
	pieces[n++] = (struct live_run){ first, size };
	return n;
}

/*
 * Whether each piece of a run of @pages at @first is a piece of a live
 * allocation: a live run, or pieces of one (a trimmed run's last piece,
 * say), which is all the tree can tell. Then its block has no allocated
 * piece above it.
 */
static bool random_is_pieces(const struct random_run *r, unsigned int first, unsigned int pages)
{
	struct live_run want[ZCPOOL_BUDDY_MAX_ORDER + 1], have[ZCPOOL_BUDDY_MAX_ORDER + 1];
	unsigned int nr_want, nr_have, w, i, h;
	bool found;

	if (first % roundup_pow_of_two(pages))
		return false;
	nr_want = run_pieces(first, pages, want);
	for (w = 0; w < nr_want; w++) {
		found = false;
		for (i = 0; i < r->nr_live && !found; i++) {
			nr_have = run_pieces(r->live[i].first, r->live[i].pages, have);
			for (h = 0; h < nr_have; h++)
				if (have[h].first == want[w].first &&
				    have[h].pages == want[w].pages)
					found = true;
		}
		if (!found)
			return false;
	}
	return true;
}

/*
 * Many runs of 2^k pages, up to @want: the model's leftmost free block of
 * the largest size up to @want runs, if a run fits at all.
 */
static void random_alloc_many(struct random_run *r, u32 op)
{
	struct kunit *test = r->test;
	unsigned int k, want, block, largest, got = 0, i;
	int first, expect;

	k = prandom_u32_state(&r->rnd) % (r->b->order + 1);
	want = 1 + prandom_u32_state(&r->rnd) % 64;
	largest = model_largest(r->m);
	first = zcpool_buddy_alloc_many(r->b, BIT(k), want, &got);
	if (largest < BIT(k)) {
		KUNIT_ASSERT_EQ_MSG(test, first, -ENOSPC, "op %u: alloc_many(%lu, %u)", op,
				    BIT(k), want);
		return;
	}
	block = min(BIT(k) * rounddown_pow_of_two(want), largest);
	expect = model_find(r->m, block);
	KUNIT_ASSERT_EQ_MSG(test, first, expect, "op %u: alloc_many(%lu, %u)", op, BIT(k), want);
	KUNIT_ASSERT_EQ_MSG(test, got, block >> k, "op %u: alloc_many(%lu, %u)", op, BIT(k),
			    want);
	for (i = 0; i < got; i++) {
		r->last.first = first + (i << k);
		r->last.pages = BIT(k);
		r->live[r->nr_live++] = r->last;
		model_set(r->m, r->last.first, r->last.pages, true);
	}
}

/* Live runs of pages * nr pages, to free at once: at most this many. */
#define RANDOM_FREE_MANY_MAX	16

/*
 * The block of up to 16 runs around a live run of a power-of-two size,
 * freed in one call: when every run in it is live with that size. A block
 * where one is not a piece of anything live is refused and changes
 * nothing; one holding a piece of a longer run (which the tree cannot
 * tell from a run, as for a single free) is left alone.
 */
static void random_free_many(struct random_run *r, u32 op)
{
	struct kunit *test = r->test;
	struct live_run run = r->live[prandom_u32_state(&r->rnd) % r->nr_live];
	unsigned int idx[RANDOM_FREE_MANY_MAX], nr, first, t, i, j, free_before;
	bool all_live = true;
	int ret;

	nr = BIT(prandom_u32_state(&r->rnd) % (ilog2(RANDOM_FREE_MANY_MAX) + 1));
	free_before = r->m->free_pages;
	if (!is_power_of_2(run.pages) || run.pages * nr > BIT(r->b->order)) {
		KUNIT_ASSERT_EQ_MSG(test, zcpool_buddy_free_many(r->b, run.first, run.pages, nr),
				    -EINVAL, "op %u: free_many(%u, %u, %u)", op, run.first,
				    run.pages, nr);
		return;
	}
	first = run.first & ~(run.pages * nr - 1);
	for (t = 0; t < nr && all_live; t++) {
		all_live = false;
		for (i = 0; i < r->nr_live; i++) {
			if (r->live[i].first == first + t * run.pages &&
			    r->live[i].pages == run.pages) {
				idx[t] = i;
				all_live = true;
				break;
			}
		}
	}
	if (!all_live) {
		for (t = 0; t < nr; t++)
			if (!random_is_pieces(r, first + t * run.pages, run.pages))
				break;
		if (t == nr)
			return;
	}
	ret = zcpool_buddy_free_many(r->b, first, run.pages, nr);
	KUNIT_ASSERT_EQ_MSG(test, ret, all_live ? 0 : -EINVAL, "op %u: free_many(%u, %u, %u)",
			    op, first, run.pages, nr);
	if (!all_live) {
		KUNIT_ASSERT_EQ(test, zcpool_buddy_free_pages(r->b), free_before);
		return;
	}
	/* Off the live list from the highest index down, each swapped with the last. */
	for (i = 1; i < nr; i++)
		for (j = i; j && idx[j - 1] < idx[j]; j--)
			swap(idx[j], idx[j - 1]);
	for (t = 0; t < nr; t++)
		r->live[idx[t]] = r->live[--r->nr_live];
	model_set(r->m, first, run.pages * nr, false);
	r->last.first = first;
	r->last.pages = run.pages * nr;
}

static void random_alloc(struct random_run *r, u32 op)
{
	struct kunit *test = r->test;
	unsigned int k, pages, prev;
	int got, want;

	/* Every block order equally often, any size that rounds up to it. */
	k = prandom_u32_state(&r->rnd) % (r->b->order + 1);
	pages = k ? BIT(k - 1) + 1 + prandom_u32_state(&r->rnd) % BIT(k - 1) : 1;
	/*
	 * Half of them after a run: the last one touched (which may be
	 * live) or any page at all, mostly not a run's start.
	 */
	if (prandom_u32_state(&r->rnd) % 2) {
		got = zcpool_buddy_alloc(r->b, pages);
		want = model_find(r->m, BIT(k));
		KUNIT_ASSERT_EQ_MSG(test, got, want < 0 ? -ENOSPC : want, "op %u: alloc(%u)",
				    op, pages);
	} else {
		if (prandom_u32_state(&r->rnd) % 4) {
			prev = r->last.first;
			pages = r->last.pages;
			k = order_base_2(pages);
		} else {
			prev = prandom_u32_state(&r->rnd) % BIT(r->b->order);
		}
		got = zcpool_buddy_alloc_after(r->b, pages, prev);
		want = random_is_pieces(r, prev, pages) ? model_find_near(r->m, BIT(k), prev) :
		       model_find(r->m, BIT(k));
		KUNIT_ASSERT_EQ_MSG(test, got, want < 0 ? -ENOSPC : want,
				    "op %u: alloc_after(%u, %u)", op, pages, prev);
	}
	if (got < 0)
		return;
	r->last.first = got;
	r->last.pages = pages;
	r->live[r->nr_live++] = r->last;
	model_set(r->m, got, pages, true);
}

static const unsigned int random_orders[] = { 2, 6, SEED_ORDER };

KUNIT_ARRAY_PARAM(random_order, random_orders, order_desc);

static void random_ops_match_a_page_bitmap_model(struct kunit *test)
{
	unsigned int order = *(const unsigned int *)test->param_value;
	struct random_run r = { .test = test, .last = { .pages = 1 } };
	unsigned int total = BIT(order), seed;
	struct live_run run;
	u32 op;

	r.b = new_tree(test, order);
	r.m = kunit_kzalloc(test, sizeof(*r.m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, r.m);
	r.m->order = order;
	r.m->free_pages = total;
	r.live = kunit_kcalloc(test, total, sizeof(*r.live), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, r.live);

	seed = zcpool_test_seed(buddy_seed, "buddy_seed");
	kunit_info(test, "seed %u (replay: insmod zcpool_test.ko buddy_seed=%u)", seed, seed);
	prandom_seed_state(&r.rnd, seed);

	for (op = 0; op < RANDOM_OPS; op++) {
		if (r.nr_live && prandom_u32_state(&r.rnd) % 100 >= 55)
			random_free(&r, op);
		else if (r.nr_live && prandom_u32_state(&r.rnd) % 16 == 0)
			random_free_many(&r, op);
		else if (prandom_u32_state(&r.rnd) % 8 == 0)
			random_alloc_many(&r, op);
		else
			random_alloc(&r, op);
		KUNIT_ASSERT_EQ_MSG(test, zcpool_buddy_free_pages(r.b), r.m->free_pages,
				    "op %u", op);
		if (order <= FULL_CHECK_MAX_ORDER || op % FULL_CHECK_EVERY == 0) {
			KUNIT_ASSERT_TRUE_MSG(test, check_tree(test, r.b), "op %u", op);
			check_against_model(test, r.b, r.m);
		} else {
			KUNIT_ASSERT_TRUE(test, check_path(test, r.b, r.last.first));
			KUNIT_ASSERT_TRUE(test, check_path(test, r.b,
							   r.last.first + r.last.pages - 1));
		}
	}

	kunit_info(test, "%u runs live at the end, %u pages free", r.nr_live, r.m->free_pages);
	check_tree(test, r.b);
	check_against_model(test, r.b, r.m);
	while (r.nr_live) {
		run = r.live[--r.nr_live];
		KUNIT_ASSERT_EQ(test, zcpool_buddy_free(r.b, run.first, run.pages), 0);
	}
	check_tree(test, r.b);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free_pages(r.b), total);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_largest_free(r.b), total);
	KUNIT_EXPECT_TRUE(test, zcpool_buddy_is_unused(r.b));
}

static struct kunit_case zcpool_buddy_cases[] = {
	KUNIT_CASE_PARAM(init_makes_every_page_free, order_gen_params),
	KUNIT_CASE(init_rejects_bad_order_and_missing_map),
	KUNIT_CASE(seed_example_lands_on_nodes_2048_1025_2049),
	KUNIT_CASE(runs_take_the_leftmost_aligned_block),
	KUNIT_CASE(runs_after_a_live_one_take_the_closest_room),
	KUNIT_CASE(runs_after_a_trimmed_one_take_the_closest_room),
	KUNIT_CASE_PARAM(trimmed_runs_hold_exactly_their_pages, trim_order_gen_params),
	KUNIT_CASE(trimmed_tail_serves_the_next_requests),
	KUNIT_CASE(exhaustion_is_enospc_and_changes_nothing),
	KUNIT_CASE(alloc_rejects_zero_and_more_than_the_chunk),
	KUNIT_CASE(many_runs_fill_one_block_and_free_alone),
	KUNIT_CASE(many_runs_refuse_bad_requests),
	KUNIT_CASE(many_runs_free_as_one_block),
	KUNIT_CASE(many_runs_free_refuses_what_is_not_their_block),
	KUNIT_CASE_PARAM(free_refuses_what_is_not_an_allocation, bad_free_gen_params),
	KUNIT_CASE(double_free_is_einval),
	KUNIT_CASE_PARAM(freeing_every_page_merges_back_to_one_block, merge_order_gen_params),
	KUNIT_CASE_PARAM(random_ops_match_a_page_bitmap_model, random_order_gen_params),
	{}
};

static struct kunit_suite zcpool_buddy_suite = {
	.name = "zcpool_buddy",
	.test_cases = zcpool_buddy_cases,
};

kunit_test_suite(zcpool_buddy_suite);
