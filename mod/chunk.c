// SPDX-License-Identifier: GPL-2.0
/*
 * Chunks: the memory of a pool, and the descriptors that say who holds it.
 *
 * A chunk's pages come from one alloc_pages() call of the chunk's order,
 * zeroed (every page is zero before any process of the pool can see it),
 * charged to the memcg in force (GFP_KERNEL_ACCOUNT; the pool makes it
 * its creator's), and without retrying hard or warning
 * (__GFP_NORETRY | __GFP_NOWARN): a high-order failure is
 * normal after uptime and the pool falls back to a smaller order. The block
 * is then split_page()d, so each page is an ordinary refcounted page that a
 * later mmap can insert into user mappings (vm_insert_page() or a fault
 * handler returning vmf->page) and that get_user_pages() can pin; freeing
 * is __free_page() on each page, which also uncharges the memcg.
 *
 * The descriptor holds one struct zcpool_chunk_page per page and the buddy
 * map in a single kvzalloc() (18 KiB for an order-10 chunk, so vmalloc may
 * serve it on a fragmented machine), charged like the pages.
 *
 * Every function here runs without locks of its own: the arena lock
 * serialises all use of a published chunk (see the top of arena.c).
 */

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <kunit/visibility.h>

#include "chunk.h"
#include "compat.h"

/* zcpool_chunk_run_index() takes offsets inside a chunk as a u32. */
static_assert(ZCPOOL_MAX_PAGE_ORDER + PAGE_SHIFT < 32);

/* The chunk's memory: zeroed and memcg-charged, failing fast and quietly. */
#define CHUNK_GFP	(GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NORETRY | __GFP_NOWARN)

/**
 * zcpool_chunk_alloc_pages() - take 2^@order zeroed pages as single pages
 * @order: the block's order, at most the page allocator's largest.
 *
 * Context: process context, may sleep; no locks held.
 * Return: the first of 2^@order physically contiguous, zeroed,
 * memcg-charged pages, each with its own reference (split_page()), or NULL
 * when the page allocator cannot give a block that big now.
 */
struct page *zcpool_chunk_alloc_pages(unsigned int order)
{
	struct page *page;

	page = alloc_pages(CHUNK_GFP, order);
	if (!page)
		return NULL;
	split_page(page, order);
	return page;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_chunk_alloc_pages);

/**
 * zcpool_chunk_free_pages() - give pages from zcpool_chunk_alloc_pages() back
 * @page:     the first page.
 * @nr_pages: how many contiguous pages, from @page on.
 *
 * Each page loses the reference the pool held; a page that a user mapping
 * or a pin still references goes back only when that reference is dropped.
 *
 * Context: any context that may call __free_page().
 */
void zcpool_chunk_free_pages(struct page *page, unsigned long nr_pages)
{
	unsigned long i;

	for (i = 0; i < nr_pages; i++)
		__free_page(nth_page(page, i));
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_chunk_free_pages);

/**
 * zcpool_chunk_create() - take a chunk of 2^@order pages from the page allocator
 * @arena: the arena it will serve.
 * @order: %ZCPOOL_CHUNK_MIN_ORDER up to the page allocator's largest order.
 *
 * Only this one order is tried; the pool picks the order and falls back.
 * The chunk is not on any list and has no window slot yet.
 *
 * Context: process context, may sleep; no locks held.
 * Return: a chunk with every page free, or NULL when either the pages or
 * the descriptor could not be had.
 */
struct zcpool_chunk *zcpool_chunk_create(struct zcpool_arena *arena, unsigned int order)
{
	struct zcpool_chunk *chunk;
	size_t bytes;
	u8 *map;

	bytes = struct_size(chunk, meta, 1UL << order);
	bytes = size_add(bytes, zcpool_buddy_map_bytes(order));
	/* The pool's memcg, maybe not the caller's: see pool_huge_new(). */
	chunk = kvzalloc(bytes, GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL);
	if (!chunk)
		return NULL;
	map = (u8 *)&chunk->meta[1UL << order];
	if (zcpool_buddy_init(&chunk->buddy, order, map))
		goto err_free_desc;
	chunk->pages = zcpool_chunk_alloc_pages(order);
	if (!chunk->pages)
		goto err_free_desc;
	chunk->arena = arena;
	chunk->order = order;
	INIT_LIST_HEAD(&chunk->node);
	return chunk;

err_free_desc:
	kvfree(chunk);
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_chunk_create);

/**
 * zcpool_chunk_destroy() - give a chunk's pages back and free its descriptors
 * @chunk: a chunk no list and no window slot refers to any more.
 *
 * Live allocations do not stop it: their subpage runs are freed too (this
 * is how a pool is destroyed). The descriptor itself is freed after an RCU
 * grace period, since a lookup by offset may still be looking at it. The
 * caller (the device layer, through the pool's release hook) has already
 * zapped the chunk's range from user mappings.
 *
 * Context: process context; no locks needed, the chunk is unreachable.
 */
void zcpool_chunk_destroy(struct zcpool_chunk *chunk)
{
	struct zcpool_run *run;
	unsigned int i = 0;

	/* A run's first page comes first: free it there and skip its pages. */
	while (i < zcpool_chunk_nr_pages(chunk)) {
		if (chunk->meta[i].kind != ZCPOOL_CHUNK_PAGE_SUBPAGE) {
			i++;
			continue;
		}
		run = chunk->meta[i].run;
		i = run->first_page + run->pages;
		zcpool_chunk_run_free(run);
	}
	zcpool_chunk_free_pages(chunk->pages, zcpool_chunk_nr_pages(chunk));
	kvfree_rcu(chunk, rcu);
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_chunk_destroy);

/*
 * Page @page is about to stop being what it was: if it is a tail page,
 * its head's row of known tails ends before it.
 */
static void chunk_page_leaves_run(struct zcpool_chunk *chunk, unsigned int page)
{
	struct zcpool_chunk_page *m = &chunk->meta[page];
	struct zcpool_chunk_page *head;

	if (m->kind != ZCPOOL_CHUNK_PAGE_RUN_TAIL)
		return;
	head = &chunk->meta[m->head];
	head->tails = min(head->tails, page - m->head - 1);
}

/**
 * zcpool_chunk_set_run() - record a page run the buddy tree just handed out
 * @chunk:     the chunk.
 * @first:     the run's first page.
 * @pages:     its length.
 * @was_dirty: set to whether any of its pages was handed out before, so
 *             that a request for zeroed memory knows it must clear them.
 *
 * The run is not live yet: zcpool_chunk_hand_out() makes it so when the
 * pool gives it to a caller (it may sit in a per-CPU cache first). The
 * head page holds the run's length and state; a later page holds only
 * where its head is (and its dirty flag). A run that starts where one
 * ended keeps the later pages that one wrote (the head's @tails count
 * them): the buddy tree hands the same blocks out again and again, and
 * writing the 15 later pages of a 16-page run was the largest single cost
 * of a batch of 64 KiB allocations.
 *
 * Context: under the arena lock. O(@pages) for pages not written before.
 */
void zcpool_chunk_set_run(struct zcpool_chunk *chunk, unsigned int first, unsigned int pages,
			  bool *was_dirty)
{
	struct zcpool_chunk_page *m = &chunk->meta[first];
	unsigned int kept = min(m->tails, pages - 1);
	bool dirty = m->dirty || kept;
	unsigned int i;

	chunk_page_leaves_run(chunk, first);
	m->kind = ZCPOOL_CHUNK_PAGE_RUN_HEAD;
	m->slack = 0;
	m->pages = pages;
	m->dirty = true;
	for (i = first + 1 + kept; i < first + pages; i++) {
		chunk_page_leaves_run(chunk, i);
		m = &chunk->meta[i];
		dirty |= m->dirty;
		m->kind = ZCPOOL_CHUNK_PAGE_RUN_TAIL;
		m->head = first;
		m->dirty = true;
	}
	m = &chunk->meta[first];
	m->tails = max(m->tails, pages - 1);
	*was_dirty = dirty;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_chunk_set_run);

/**
 * zcpool_chunk_clear_run() - mark a freed page run free again
 * @chunk: the chunk.
 * @first: the run's first page.
 *
 * Only the head page changes: the later pages keep pointing at it, and
 * count as part of a run only while their head is one that reaches them
 * (zcpool_chunk_tail_head()). A 16-page run's free wrote 48 fields here,
 * 6% of a batch of 64 KiB frees. The pages stay dirty: they may hold the
 * old allocation's data.
 *
 * Context: under the arena lock. O(1).
 */
void zcpool_chunk_clear_run(struct zcpool_chunk *chunk, unsigned int first)
{
	struct zcpool_chunk_page *m = &chunk->meta[first];

	m->kind = ZCPOOL_CHUNK_PAGE_FREE;
	m->pages = 0;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_chunk_clear_run);

/* The smallest tag that holds 1 + elem_size - 1, 1 + the most an element can waste. */
static unsigned int run_tag_bytes(unsigned int elem_size)
{
	if (elem_size <= U8_MAX)
		return 1;
	if (elem_size <= U16_MAX)
		return 2;
	return 4;
}

/**
 * zcpool_chunk_run_alloc() - allocate the descriptor of a subpage run
 * @cls: the run's size class.
 *
 * The descriptor holds the arena's element bitmap and a tag per element,
 * live flag and slack in one (1 byte for classes up to 240 B: 1/16 of a
 * 16-byte element is the most this costs, the price of exact
 * requested-bytes accounting).
 *
 * Context: process context, may sleep (GFP_KERNEL_ACCOUNT); no locks held.
 * Return: a descriptor with every element free, not attached to pages yet,
 * or NULL when out of memory or when @cls is not a class.
 */
struct zcpool_run *zcpool_chunk_run_alloc(unsigned int cls)
{
	unsigned int nr_elems = zcpool_sizeclass_nr_elems(cls);
	unsigned int words = zcpool_subpage_bitmap_words(nr_elems);
	unsigned int elem_size = zcpool_sizeclass_size(cls);
	struct zcpool_run *run;
	size_t bytes;

	if (!nr_elems)
		return NULL;
	bytes = struct_size(run, storage, words);
	bytes = size_add(bytes, array_size(nr_elems, run_tag_bytes(elem_size)));
	run = kzalloc(bytes, GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL);
	if (!run)
		return NULL;
	if (zcpool_subpage_init(&run->sp, nr_elems, run->storage)) {
		kfree(run);
		return NULL;
	}
	INIT_LIST_HEAD(&run->node);
	run->cls = cls;
	run->elem_size = elem_size;
	run->elem_recip = reciprocal_value(elem_size);
	run->pages = zcpool_sizeclass_run_pages(cls);
	run->tag_bytes = run_tag_bytes(elem_size);
	run->tags = &run->storage[words];
	return run;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_chunk_run_alloc);

/**
 * zcpool_chunk_run_free() - free the descriptor of a subpage run
 * @run: from zcpool_chunk_run_alloc(), detached from its pages or about to
 *       be freed together with its chunk; NULL is ignored.
 *
 * The memory goes after an RCU grace period: the pool's free path may be
 * looking at the run through a page descriptor read just before the detach.
 *
 * Context: any context (kfree_rcu()).
 */
void zcpool_chunk_run_free(struct zcpool_run *run)
{
	if (run)
		kfree_rcu(run, rcu);
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_chunk_run_free);

/**
 * zcpool_chunk_run_attach() - make @run the owner of pages the buddy tree gave
 * @chunk:      the chunk.
 * @run:        a descriptor from zcpool_chunk_run_alloc() with no live element.
 * @first_page: the first of the @run->pages pages zcpool_buddy_alloc() returned.
 *
 * Context: under the arena lock. O(@run->pages).
 */
void zcpool_chunk_run_attach(struct zcpool_chunk *chunk, struct zcpool_run *run,
			     unsigned int first_page)
{
	struct zcpool_chunk_page *m;
	bool dirty = false;
	unsigned int i;

	run->chunk = chunk;
	run->first_page = first_page;
	for (i = first_page; i < first_page + run->pages; i++) {
		chunk_page_leaves_run(chunk, i);
		m = &chunk->meta[i];
		dirty |= m->dirty;
		m->kind = ZCPOOL_CHUNK_PAGE_SUBPAGE;
		/* Lockless readers follow the pointer to @chunk and @first_page. */
		smp_store_release(&m->run, run);
		m->pages = run->pages;
		/* An element is handed out right after the run is made. */
		m->dirty = true;
	}
	run->clean_from = dirty ? run->sp.nr_elems : 0;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_chunk_run_attach);

/**
 * zcpool_chunk_run_detach() - mark the pages of an empty subpage run free
 * @run: a run with no live element; its descriptor stays allocated.
 *
 * Context: under the arena lock. O(@run->pages).
 */
void zcpool_chunk_run_detach(struct zcpool_run *run)
{
	struct zcpool_chunk_page *m;
	unsigned int i;

	for (i = run->first_page; i < run->first_page + run->pages; i++) {
		m = &run->chunk->meta[i];
		m->kind = ZCPOOL_CHUNK_PAGE_FREE;
		WRITE_ONCE(m->run, NULL);
		m->pages = 0;
	}
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_chunk_run_detach);

/**
 * zcpool_chunk_run_page_live() - whether a page of a run holds a live element
 * @run:  the run.
 * @page: a page index inside the run, below @run->pages.
 *
 * Context: under the arena lock, which keeps the run attached.
 * Return: true when at least one element handed out to a caller has a byte
 * in the page; false for a page holding only free or cached elements or
 * the run's unused tail.
 */
bool zcpool_chunk_run_page_live(const struct zcpool_run *run, unsigned int page)
{
	u32 start = page << PAGE_SHIFT;
	unsigned int first, last, idx;
	u32 rem;

	first = zcpool_chunk_run_index(run, start, &rem);
	if (first >= run->sp.nr_elems)
		return false;
	last = zcpool_chunk_run_index(run, start + PAGE_SIZE - 1, &rem);
	last = min(last, run->sp.nr_elems - 1);
	/* The fault path only: up to a page's worth of 16-byte elements. */
	for (idx = first; idx <= last; idx++)
		if (zcpool_chunk_run_tag(run, idx))
			return true;
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_chunk_run_page_live);
