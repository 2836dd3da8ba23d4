// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite zcpool_chunk: chunks and subpage run descriptors (chunk.c)
 * on their own, without an arena: the pages a chunk takes, its page
 * descriptors, and the element bookkeeping of a run. The random case's
 * seed is printed and can be fixed with chunk_seed=.
 */

#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/string.h>

#include "chunk.h"
#include "compat.h"
#include "seed.h"
#include "sizeclass.h"

static unsigned int chunk_seed;
module_param(chunk_seed, uint, 0400);
MODULE_PARM_DESC(chunk_seed, "Seed of zcpool_chunk's random case (default 0: a new one each run)");

static const unsigned int page_orders[] = { 0, 3, 6 };

static void order_desc(const unsigned int *order, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "order %u", *order);
}

KUNIT_ARRAY_PARAM(page_order, page_orders, order_desc);

/*
 * Blocks of @order given back dirty just before: the debug kernels do not
 * zero pages on allocation (no init_on_alloc), and in a VM just booted
 * most free pages were never written, so a block that never was would
 * read zero with or without __GFP_ZERO. The page allocator hands the
 * block freed last on this CPU out first; *@nr_dirty of @dirty are filled.
 */
#define DIRTY_BLOCKS	4

static void give_back_dirty_blocks(unsigned int order, struct page **dirty, unsigned int *nr_dirty)
{
	unsigned int i;

	for (*nr_dirty = 0; *nr_dirty < DIRTY_BLOCKS; (*nr_dirty)++) {
		dirty[*nr_dirty] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);
		if (!dirty[*nr_dirty])
			break;
		for (i = 0; i < BIT(order); i++)
			memset(page_address(nth_page(dirty[*nr_dirty], i)), 0xa5, PAGE_SIZE);
	}
	for (i = 0; i < *nr_dirty; i++)
		__free_pages(dirty[i], order);
}

static void pages_are_zeroed_and_counted_one_by_one(struct kunit *test)
{
	unsigned int order = *(const unsigned int *)test->param_value, i, nr_dirty;
	struct page *dirty[DIRTY_BLOCKS], *first, *page;
	bool reused = false;

	/* A kernel that clears every page would hide a block that stayed dirty. */
	if (want_init_on_free() || want_init_on_alloc(GFP_KERNEL))
		kunit_skip(test, "init_on_alloc or init_on_free clears pages for us");
	migrate_disable();
	give_back_dirty_blocks(order, dirty, &nr_dirty);
	first = zcpool_chunk_alloc_pages(order);
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL(test, first);
	for (i = 0; i < nr_dirty; i++)
		reused |= first == dirty[i];
	/* Else the zero check below would read pages never written. */
	KUNIT_EXPECT_TRUE_MSG(test, reused, "none of %u dirty blocks came back", nr_dirty);
	for (i = 0; i < BIT(order); i++) {
		page = nth_page(first, i);
		KUNIT_EXPECT_EQ_MSG(test, page_ref_count(page), 1, "page %u", i);
		KUNIT_EXPECT_FALSE(test, PageCompound(page));
		KUNIT_EXPECT_NULL_MSG(test, memchr_inv(page_address(page), 0, PAGE_SIZE),
				      "page %u", i);
	}
	zcpool_chunk_free_pages(first, BIT(order));
}

static const unsigned int chunk_orders[] = { ZCPOOL_CHUNK_MIN_ORDER, 6 };

KUNIT_ARRAY_PARAM(chunk_order, chunk_orders, order_desc);

static void new_chunks_have_every_page_free(struct kunit *test)
{
	unsigned int order = *(const unsigned int *)test->param_value, i;
	struct zcpool_chunk *chunk = zcpool_chunk_create(NULL, order);

	KUNIT_ASSERT_NOT_NULL(test, chunk);
	KUNIT_EXPECT_EQ(test, chunk->order, order);
	KUNIT_EXPECT_EQ(test, zcpool_chunk_nr_pages(chunk), BIT(order));
	KUNIT_EXPECT_TRUE(test, zcpool_buddy_is_unused(&chunk->buddy));
	KUNIT_EXPECT_EQ(test, zcpool_buddy_largest_free(&chunk->buddy), BIT(order));
	for (i = 0; i < BIT(order); i++) {
		KUNIT_EXPECT_EQ(test, chunk->meta[i].kind, ZCPOOL_CHUNK_PAGE_FREE);
		KUNIT_EXPECT_FALSE(test, chunk->meta[i].dirty);
	}
	KUNIT_EXPECT_PTR_EQ(test, zcpool_chunk_page(chunk, 1), nth_page(chunk->pages, 1));
	KUNIT_EXPECT_PTR_EQ(test, zcpool_chunk_addr(chunk, PAGE_SIZE + 5),
			    page_address(chunk->pages) + PAGE_SIZE + 5);
	zcpool_chunk_destroy(chunk);
}

/* zcpool_chunk_claim() as the pool calls it, under RCU. */
static int claim(struct zcpool_chunk *chunk, u64 off, struct zcpool_chunk_claim *c)
{
	int ret;

	rcu_read_lock();
	ret = zcpool_chunk_claim(chunk, off, c);
	rcu_read_unlock();
	return ret;
}

static void runs_mark_their_pages_and_report_reuse(struct kunit *test)
{
	struct zcpool_chunk *chunk = zcpool_chunk_create(NULL, ZCPOOL_CHUNK_MIN_ORDER);
	struct zcpool_chunk_claim c;
	bool dirty = true;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, chunk);
	zcpool_chunk_set_run(chunk, 2, 3, &dirty);
	KUNIT_EXPECT_FALSE(test, dirty);
	KUNIT_EXPECT_EQ(test, chunk->meta[2].kind, ZCPOOL_CHUNK_PAGE_RUN_HEAD);
	/* Allocated but not handed out (as in a per-CPU cache): not claimable. */
	KUNIT_EXPECT_EQ(test, claim(chunk, 2 * PAGE_SIZE, &c), -EINVAL);
	zcpool_chunk_hand_out(chunk, 2 * PAGE_SIZE, 3 * PAGE_SIZE - 100);
	KUNIT_EXPECT_EQ(test, chunk->meta[2].slack, 100);
	KUNIT_EXPECT_EQ(test, atomic_read(&chunk->meta[2].live), 1);
	KUNIT_EXPECT_EQ(test, claim(chunk, 3 * PAGE_SIZE, &c), -EINVAL);
	KUNIT_EXPECT_EQ(test, claim(chunk, 2 * PAGE_SIZE + 16, &c), -EINVAL);
	KUNIT_ASSERT_EQ(test, claim(chunk, 2 * PAGE_SIZE, &c), 0);
	KUNIT_EXPECT_EQ(test, c.cls, -1);
	KUNIT_EXPECT_EQ(test, c.pages, 3);
	KUNIT_EXPECT_EQ(test, c.bytes, 3 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, c.size, 3 * PAGE_SIZE - 100);
	KUNIT_EXPECT_EQ(test, claim(chunk, 2 * PAGE_SIZE, &c), -EINVAL);
	KUNIT_EXPECT_EQ(test, chunk->meta[2].pages, 3);
	for (i = 3; i < 5; i++) {
		KUNIT_EXPECT_EQ(test, chunk->meta[i].kind, ZCPOOL_CHUNK_PAGE_RUN_TAIL);
		KUNIT_EXPECT_EQ(test, chunk->meta[i].head, 2);
		KUNIT_EXPECT_PTR_EQ(test, zcpool_chunk_tail_head(chunk, i), &chunk->meta[2]);
	}
	KUNIT_EXPECT_EQ(test, chunk->meta[5].kind, ZCPOOL_CHUNK_PAGE_FREE);
	zcpool_chunk_clear_run(chunk, 2);
	KUNIT_EXPECT_EQ(test, chunk->meta[2].kind, ZCPOOL_CHUNK_PAGE_FREE);
	for (i = 2; i < 5; i++)
		KUNIT_EXPECT_TRUE(test, chunk->meta[i].dirty);
	/* The later pages keep their marker, and their freed head disowns them. */
	for (i = 3; i < 5; i++)
		KUNIT_EXPECT_NULL(test, zcpool_chunk_tail_head(chunk, i));
	/* A shorter run at the old head does not reach them either. */
	zcpool_chunk_set_run(chunk, 2, 1, &dirty);
	KUNIT_EXPECT_TRUE(test, dirty);
	for (i = 3; i < 5; i++)
		KUNIT_EXPECT_NULL(test, zcpool_chunk_tail_head(chunk, i));
	zcpool_chunk_clear_run(chunk, 2);
	/* One old page is enough to need clearing; a new run owns its pages. */
	dirty = false;
	zcpool_chunk_set_run(chunk, 4, 2, &dirty);
	KUNIT_EXPECT_TRUE(test, dirty);
	KUNIT_EXPECT_NULL(test, zcpool_chunk_tail_head(chunk, 3));
	KUNIT_EXPECT_PTR_EQ(test, zcpool_chunk_tail_head(chunk, 5), &chunk->meta[4]);
	zcpool_chunk_clear_run(chunk, 4);
	zcpool_chunk_destroy(chunk);
}

struct run_case {
	size_t size;
	unsigned int tag_bytes;
};

static const struct run_case run_cases[] = {
	{ 16, 1 }, { 240, 1 }, { 256, 2 }, { 288, 2 }, { 11 * 512, 2 },
	{ ZCPOOL_SIZECLASS_MAX_SIZE, 2 },
};

static void run_case_desc(const struct run_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "class of %zu B", c->size);
}

KUNIT_ARRAY_PARAM(run, run_cases, run_case_desc);

static void run_descriptors_track_elements_and_slack(struct kunit *test)
{
	const struct run_case *c = test->param_value;
	int cls = zcpool_sizeclass_index(c->size);
	struct zcpool_chunk *chunk = zcpool_chunk_create(NULL, ZCPOOL_CHUNK_MIN_ORDER);
	struct zcpool_run *run = zcpool_chunk_run_alloc(cls);
	unsigned int i, last, elem_pages;
	struct zcpool_chunk_claim cl;
	u64 base;
	int first;

	KUNIT_ASSERT_NOT_NULL(test, chunk);
	KUNIT_ASSERT_NOT_NULL(test, run);
	KUNIT_EXPECT_EQ(test, run->elem_size, c->size);
	KUNIT_EXPECT_EQ(test, run->tag_bytes, c->tag_bytes);
	KUNIT_EXPECT_EQ(test, run->sp.nr_elems, zcpool_sizeclass_nr_elems(cls));
	KUNIT_EXPECT_EQ(test, run->pages, zcpool_sizeclass_run_pages(cls));
	last = run->sp.nr_elems - 1;

	first = zcpool_buddy_alloc(&chunk->buddy, run->pages);
	KUNIT_ASSERT_GE(test, first, 0);
	zcpool_chunk_run_attach(chunk, run, first);
	KUNIT_EXPECT_EQ(test, run->clean_from, 0);	/* fresh pages */
	for (i = 0; i < run->pages; i++) {
		KUNIT_EXPECT_EQ(test, chunk->meta[first + i].kind, ZCPOOL_CHUNK_PAGE_SUBPAGE);
		KUNIT_EXPECT_PTR_EQ(test, chunk->meta[first + i].run, run);
		KUNIT_EXPECT_FALSE(test, zcpool_chunk_run_page_live(run, i));
	}
	/* Element 0, handed out, makes live exactly the pages it touches. */
	KUNIT_ASSERT_EQ(test, zcpool_subpage_alloc(&run->sp), 0);
	KUNIT_EXPECT_FALSE(test, zcpool_chunk_run_page_live(run, 0));
	base = (u64)first << PAGE_SHIFT;
	KUNIT_EXPECT_EQ(test, claim(chunk, base, &cl), -EINVAL);
	zcpool_chunk_hand_out(chunk, base, c->size - 3);
	elem_pages = DIV_ROUND_UP(c->size, PAGE_SIZE);
	for (i = 0; i < run->pages; i++)
		KUNIT_EXPECT_EQ_MSG(test, zcpool_chunk_run_page_live(run, i), i < elem_pages,
				    "page %u", i);
	/* Claimed once, with its size; then neither it nor its inside again. */
	KUNIT_EXPECT_EQ(test, claim(chunk, base + 16, &cl), -EINVAL);
	KUNIT_EXPECT_EQ(test, claim(chunk, base + c->size, &cl), -EINVAL);
	KUNIT_ASSERT_EQ(test, claim(chunk, base, &cl), 0);
	KUNIT_EXPECT_EQ(test, cl.cls, cls);
	KUNIT_EXPECT_EQ(test, cl.bytes, c->size);
	KUNIT_EXPECT_EQ(test, cl.size, c->size - 3);
	KUNIT_EXPECT_EQ(test, claim(chunk, base, &cl), -EINVAL);
	KUNIT_EXPECT_FALSE(test, zcpool_chunk_run_page_live(run, 0));
	/* The most slack a tag holds (a 1-byte request), and none. */
	zcpool_chunk_hand_out(chunk, base, 1);
	KUNIT_EXPECT_EQ(test, zcpool_chunk_run_tag(run, 0), c->size);
	KUNIT_ASSERT_EQ(test, claim(chunk, base, &cl), 0);
	KUNIT_EXPECT_EQ(test, cl.size, 1);
	KUNIT_EXPECT_EQ(test, zcpool_chunk_run_tag(run, 0), 0);
	zcpool_chunk_hand_out(chunk, base + last * c->size, c->size);
	KUNIT_EXPECT_EQ(test, zcpool_chunk_run_tag(run, last), 1);
	KUNIT_EXPECT_TRUE(test, zcpool_chunk_run_page_live(run, run->pages - 1));
	KUNIT_ASSERT_EQ(test, claim(chunk, base + last * c->size, &cl), 0);
	KUNIT_EXPECT_EQ(test, cl.size, c->size);
	KUNIT_ASSERT_EQ(test, zcpool_subpage_free(&run->sp, 0), 0);
	zcpool_chunk_run_detach(run);
	for (i = 0; i < run->pages; i++)
		KUNIT_EXPECT_EQ(test, chunk->meta[first + i].kind, ZCPOOL_CHUNK_PAGE_FREE);
	KUNIT_EXPECT_EQ(test, zcpool_buddy_free(&chunk->buddy, first, run->pages), 0);

	/* The same pages again: now they may hold old data. */
	zcpool_chunk_run_attach(chunk, run, zcpool_buddy_alloc(&chunk->buddy, run->pages));
	KUNIT_EXPECT_EQ(test, run->clean_from, run->sp.nr_elems);
	/* Destroying the chunk frees the run still attached to it. */
	zcpool_chunk_destroy(chunk);
}

/*
 * The index of an element is a multiplication, not a division: it must
 * agree with the division for every class at every element's first byte,
 * its second and its last, and at every page of the largest chunk (the
 * offsets a claim from user space may pass).
 */
static void run_index_agrees_with_division(struct kunit *test)
{
	static const int deltas[] = { 0, 1, -1 };
	struct zcpool_run *run;
	u32 rel, idx, rem, i;
	unsigned int cls, d;

	for (cls = 0; cls < ZCPOOL_SIZECLASS_NR; cls++) {
		run = zcpool_chunk_run_alloc(cls);
		KUNIT_ASSERT_NOT_NULL(test, run);
		for (i = 0; i <= run->sp.nr_elems; i++) {
			for (d = 0; d < ARRAY_SIZE(deltas); d++) {
				rel = i * run->elem_size + deltas[d];
				if (!i && deltas[d] < 0)
					continue;
				idx = zcpool_chunk_run_index(run, rel, &rem);
				KUNIT_ASSERT_EQ_MSG(test, idx, rel / run->elem_size,
						    "class %u, offset %u", cls, rel);
				KUNIT_ASSERT_EQ_MSG(test, rem, rel % run->elem_size,
						    "class %u, offset %u", cls, rel);
			}
		}
		/* Each page's first and last byte. */
		for (i = 0; i < 2U << ZCPOOL_MAX_PAGE_ORDER; i++) {
			rel = (i / 2) << PAGE_SHIFT | (i % 2 ? PAGE_SIZE - 1 : 0);
			idx = zcpool_chunk_run_index(run, rel, &rem);
			KUNIT_ASSERT_EQ_MSG(test, idx, rel / run->elem_size,
					    "class %u, offset %u", cls, rel);
			KUNIT_ASSERT_EQ_MSG(test, rem, rel % run->elem_size,
					    "class %u, offset %u", cls, rel);
		}
		zcpool_chunk_run_free(run);
	}
}

static void run_alloc_rejects_what_is_not_a_class(struct kunit *test)
{
	KUNIT_EXPECT_NULL(test, zcpool_chunk_run_alloc(ZCPOOL_SIZECLASS_NR));
	KUNIT_EXPECT_NULL(test, zcpool_chunk_run_alloc(UINT_MAX));
}

/*
 * The random case: page runs and subpage runs come and go in a chunk of
 * 64 pages, placed by its buddy tree (which hands the same blocks out
 * again and again, as in use), and after every step each page says what
 * a plain model says it is: a live run's later pages find their head, a
 * freed run's find none, and a new run is dirty exactly when one of its
 * pages was handed out before. The rows of later pages a head keeps for
 * the next run there (@tails) must be exactly what they claim.
 */
#define RANDOM_CHUNK_ORDER	6
#define RANDOM_CHUNK_PAGES	BIT(RANDOM_CHUNK_ORDER)
#define RANDOM_CHUNK_STEPS	3000
#define RANDOM_RUN_MAX_PAGES	12

struct random_chunk {
	struct kunit *test;
	struct zcpool_chunk *chunk;
	struct rnd_state rnd;
	/* Per page: the first page of the live run on it, or -1. */
	int owner[RANDOM_CHUNK_PAGES];
	/* Per page: a subpage run lives there (owner's descriptor in @runs). */
	struct zcpool_run *runs[RANDOM_CHUNK_PAGES];
	unsigned int pages[RANDOM_CHUNK_PAGES];
	bool dirty[RANDOM_CHUNK_PAGES];
	unsigned int live[RANDOM_CHUNK_PAGES];
	unsigned int nr_live;
	unsigned int step;
};

static bool random_dirty(const struct random_chunk *r, unsigned int first, unsigned int pages)
{
	unsigned int i;

	for (i = first; i < first + pages; i++)
		if (r->dirty[i])
			return true;
	return false;
}

static void random_take(struct random_chunk *r, unsigned int first, unsigned int pages)
{
	unsigned int i;

	for (i = first; i < first + pages; i++) {
		r->owner[i] = first;
		r->dirty[i] = true;
	}
	r->pages[first] = pages;
	r->live[r->nr_live++] = first;
}

static void random_alloc(struct random_chunk *r, int cls)
{
	struct kunit *test = r->test;
	struct zcpool_run *run = NULL;
	unsigned int pages;
	bool dirty;
	int first;

	if (cls >= 0) {
		run = zcpool_chunk_run_alloc(cls);
		KUNIT_ASSERT_NOT_NULL(test, run);
		pages = run->pages;
	} else {
		pages = 1 + prandom_u32_state(&r->rnd) % RANDOM_RUN_MAX_PAGES;
	}
	first = zcpool_buddy_alloc(&r->chunk->buddy, pages);
	if (first < 0) {
		zcpool_chunk_run_free(run);
		return;
	}
	dirty = random_dirty(r, first, pages);
	if (run) {
		zcpool_chunk_run_attach(r->chunk, run, first);
		KUNIT_EXPECT_EQ_MSG(test, run->clean_from, dirty ? run->sp.nr_elems : 0,
				    "step %u: subpage run at %d", r->step, first);
	} else {
		bool was_dirty = !dirty;

		zcpool_chunk_set_run(r->chunk, first, pages, &was_dirty);
		KUNIT_EXPECT_EQ_MSG(test, was_dirty, dirty, "step %u: %u pages at %d",
				    r->step, pages, first);
	}
	r->runs[first] = run;
	random_take(r, first, pages);
}

static void random_free(struct random_chunk *r)
{
	unsigned int k = prandom_u32_state(&r->rnd) % r->nr_live;
	unsigned int first = r->live[k], i;
	struct zcpool_run *run = r->runs[first];

	if (run) {
		zcpool_chunk_run_detach(run);
		zcpool_chunk_run_free(run);
		r->runs[first] = NULL;
	} else {
		zcpool_chunk_clear_run(r->chunk, first);
	}
	KUNIT_ASSERT_EQ(r->test, zcpool_buddy_free(&r->chunk->buddy, first, r->pages[first]), 0);
	for (i = first; i < first + r->pages[first]; i++)
		r->owner[i] = -1;
	r->live[k] = r->live[--r->nr_live];
}

static void random_check(struct random_chunk *r)
{
	const struct zcpool_chunk_page *m = r->chunk->meta, *head;
	struct kunit *test = r->test;
	unsigned int i, t;
	int owner;

	for (i = 0; i < RANDOM_CHUNK_PAGES; i++) {
		owner = r->owner[i];
		KUNIT_ASSERT_EQ_MSG(test, m[i].dirty, r->dirty[i], "step %u page %u", r->step, i);
		for (t = i + 1; t <= i + m[i].tails; t++) {
			KUNIT_ASSERT_LT_MSG(test, t, RANDOM_CHUNK_PAGES, "step %u", r->step);
			KUNIT_ASSERT_EQ_MSG(test, m[t].kind, ZCPOOL_CHUNK_PAGE_RUN_TAIL,
					    "step %u: page %u in %u's tails", r->step, t, i);
			KUNIT_ASSERT_EQ_MSG(test, m[t].head, i, "step %u page %u", r->step, t);
			KUNIT_ASSERT_TRUE_MSG(test, m[t].dirty, "step %u page %u", r->step, t);
		}
		if (owner >= 0 && r->runs[owner]) {
			KUNIT_ASSERT_EQ_MSG(test, m[i].kind, ZCPOOL_CHUNK_PAGE_SUBPAGE,
					    "step %u page %u", r->step, i);
			KUNIT_ASSERT_PTR_EQ(test, m[i].run, r->runs[owner]);
			continue;
		}
		if (owner == i) {
			KUNIT_ASSERT_EQ_MSG(test, m[i].kind, ZCPOOL_CHUNK_PAGE_RUN_HEAD,
					    "step %u page %u", r->step, i);
			KUNIT_ASSERT_EQ(test, m[i].pages, r->pages[i]);
			continue;
		}
		head = m[i].kind == ZCPOOL_CHUNK_PAGE_RUN_TAIL ?
		       zcpool_chunk_tail_head(r->chunk, i) : NULL;
		KUNIT_ASSERT_PTR_EQ_MSG(test, head, owner >= 0 ? &m[owner] : NULL,
					"step %u: page %u of the run at %d", r->step, i, owner);
	}
}

static void reused_runs_find_their_pages_as_new_ones(struct kunit *test)
{
	/* Subpage runs of one page and of several, beside the page runs. */
	const int classes[] = { zcpool_sizeclass_index(16),
				zcpool_sizeclass_index(ZCPOOL_SIZECLASS_MAX_SIZE) };
	struct random_chunk *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	unsigned int seed = zcpool_test_seed(chunk_seed, "chunk_seed"), dice, i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->test = test;
	r->chunk = zcpool_chunk_create(NULL, RANDOM_CHUNK_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, r->chunk);
	for (i = 0; i < RANDOM_CHUNK_PAGES; i++)
		r->owner[i] = -1;
	kunit_info(test, "seed %u (replay: insmod zcpool_test.ko chunk_seed=%u)", seed, seed);
	prandom_seed_state(&r->rnd, seed);

	for (r->step = 0; r->step < RANDOM_CHUNK_STEPS; r->step++) {
		dice = prandom_u32_state(&r->rnd) % 100;
		if (r->nr_live && dice >= 55)
			random_free(r);
		else if (dice < 10)
			random_alloc(r, classes[dice % 2]);
		else
			random_alloc(r, -1);
		random_check(r);
	}
	/* Destroying the chunk frees the subpage runs still attached. */
	zcpool_chunk_destroy(r->chunk);
}

static struct kunit_case zcpool_chunk_cases[] = {
	KUNIT_CASE_PARAM(pages_are_zeroed_and_counted_one_by_one, page_order_gen_params),
	KUNIT_CASE_PARAM(new_chunks_have_every_page_free, chunk_order_gen_params),
	KUNIT_CASE(runs_mark_their_pages_and_report_reuse),
	KUNIT_CASE(reused_runs_find_their_pages_as_new_ones),
	KUNIT_CASE_PARAM(run_descriptors_track_elements_and_slack, run_gen_params),
	KUNIT_CASE(run_index_agrees_with_division),
	KUNIT_CASE(run_alloc_rejects_what_is_not_a_class),
	{}
};

static struct kunit_suite zcpool_chunk_suite = {
	.name = "zcpool_chunk",
	.test_cases = zcpool_chunk_cases,
};

kunit_test_suite(zcpool_chunk_suite);
