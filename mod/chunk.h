/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A chunk: 2^order physically contiguous, zeroed, memcg-charged pages taken
 * from the page allocator, the buddy tree that hands them out as runs, and a
 * descriptor per page saying which allocation holds it. A subpage run is the
 * descriptor of a run cut into equal elements of one size class.
 *
 * Ownership: a chunk belongs to one arena of one pool and occupies one slot
 * of the pool window. Locking: nothing here takes a lock; once a chunk is on
 * an arena, every field below except the ones marked "fixed" is read and
 * written under that arena's lock (see the lock-order block of arena.c).
 * Units: pages are indices inside the chunk, offsets are bytes.
 */
#ifndef _ZCPOOL_CHUNK_H
#define _ZCPOOL_CHUNK_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/rcupdate.h>
#include <linux/reciprocal_div.h>
#include <linux/types.h>

#include "buddy.h"
#include "compat.h"
#include "sizeclass.h"
#include "subpage.h"

struct zcpool_arena;

/*
 * The smallest chunk: the longest subpage run (8 pages), so that a chunk the
 * page allocator could only give at a fallback order still serves every
 * size class. Below it the arena fails the request with -ENOMEM instead.
 */
#define ZCPOOL_CHUNK_MIN_ORDER	ilog2(ZCPOOL_SIZECLASS_RUN_MAX_PAGES)

/*
 * The largest chunk: what the page allocator serves in one block, and what
 * one buddy tree covers (the larger order exists only where the page
 * allocator's largest order passes 15).
 */
#define ZCPOOL_CHUNK_MAX_ORDER	\
	min_t(unsigned int, ZCPOOL_MAX_PAGE_ORDER, ZCPOOL_BUDDY_MAX_ORDER)

/* What one page of a chunk is part of. */
enum zcpool_chunk_page_kind {
	ZCPOOL_CHUNK_PAGE_FREE = 0,	/* no allocation: kzalloc'd descriptors start here */
	ZCPOOL_CHUNK_PAGE_RUN_HEAD,	/* the first page of a page run */
	ZCPOOL_CHUNK_PAGE_RUN_TAIL,	/* a later page of a page run, maybe a freed one */
	ZCPOOL_CHUNK_PAGE_SUBPAGE,	/* a page of a subpage run */
};

/**
 * struct zcpool_chunk_page - what one page of a chunk holds
 * @run:   %ZCPOOL_CHUNK_PAGE_SUBPAGE: the subpage run the page belongs to;
 *         NULL otherwise. Read without the arena lock by the pool's free
 *         path (under RCU, which keeps a detached run's memory), so it is
 *         its own field, never overlaid with the page-run fields below.
 * @head:  %ZCPOOL_CHUNK_PAGE_RUN_TAIL: the index of the run's first page.
 *         A freed run's later pages keep it (only the head is cleared), so
 *         a tail page is part of a run only while that head page is a run
 *         head reaching it: zcpool_chunk_tail_head() checks.
 * @slack: %ZCPOOL_CHUNK_PAGE_RUN_HEAD: bytes of the run past the requested
 *         size, so that free can account the requested bytes exactly;
 *         written by the pool when it hands the run out.
 * @pages: %ZCPOOL_CHUNK_PAGE_RUN_HEAD and %ZCPOOL_CHUNK_PAGE_SUBPAGE: the
 *         run's length in pages.
 * @live:  %ZCPOOL_CHUNK_PAGE_RUN_HEAD: 1 while the run is handed out to a
 *         caller of the pool, 0 while it is free or sits in a per-CPU cache.
 *         Set and cleared by the pool without the arena lock: the free path
 *         claims a run with one atomic_xchg(), so two frees of one offset
 *         cannot both succeed.
 * @kind:  an &enum zcpool_chunk_page_kind.
 * @dirty: the page has been handed out since the chunk came zeroed from the
 *         page allocator, so a request for zeroed memory must clear it.
 * @tails: how many pages after this one are, in a row, dirty
 *         %ZCPOOL_CHUNK_PAGE_RUN_TAIL pages whose @head is this page, in
 *         whatever state this page is: what a page run starting here may
 *         skip writing. Every change of a tail page lowers its head's
 *         count (zcpool_chunk_set_run()).
 */
struct zcpool_chunk_page {
	struct zcpool_run *run;
	u32 head;
	u32 slack;
	u32 pages;
	u32 tails;
	atomic_t live;
	u8 kind;
	bool dirty;
};

/**
 * struct zcpool_chunk - one chunk of a pool
 * @rcu:     frees the descriptor after a grace period: the pool finds chunks
 *           by offset under RCU, without the arena lock (see pool.c).
 * @arena:   the arena the chunk serves (fixed).
 * @pages:   its first page; page i is nth_page(@pages, i) (fixed).
 * @order:   it holds 2^@order pages, at most the pool's chunk order: less
 *           when the page allocator could only give a fallback order (fixed).
 * @slot:    its slot in the pool window (fixed once published).
 * @base:    the window offset of its first page, @slot times the pool's
 *           slot size (fixed once published).
 * @node:    its place on one of the arena's usage lists.
 * @usage:   which usage list (an arena.c index).
 * @kept_pages: pages of its empty subpage runs the arena keeps (arena.c).
 * @buddy:   the buddy tree of its pages; the map follows @meta.
 * @meta:    one descriptor per page, 2^@order of them.
 */
struct zcpool_chunk {
	struct rcu_head rcu;
	struct zcpool_arena *arena;
	struct page *pages;
	unsigned int order;
	unsigned long slot;
	u64 base;
	struct list_head node;
	unsigned int usage;
	unsigned int kept_pages;
	struct zcpool_buddy buddy;
	struct zcpool_chunk_page meta[];
};

/**
 * struct zcpool_run - a subpage run: a run of pages cut into equal elements
 * @node:       on the arena's list of runs of @cls with free elements.
 * @rcu:        frees the descriptor after a grace period: the pool's free
 *              path finds runs through the page descriptors without the
 *              arena lock.
 * @chunk:      the chunk holding the run (fixed once attached).
 * @first_page: its first page in @chunk (fixed once attached).
 * @cls:        its size class (fixed).
 * @elem_size:  zcpool_sizeclass_size(@cls) (fixed).
 * @elem_recip: reciprocal_value(@elem_size), for zcpool_chunk_run_index().
 * @pages:      zcpool_sizeclass_run_pages(@cls) (fixed).
 * @clean_from: elements from this index up were never handed out, nor on a
 *              page a fault mapped, since the run was made from clean pages;
 *              below it they may hold old data.
 * @tag_bytes:  width of one @tags entry: 1, 2 or 4 bytes, the smallest
 *              that holds @elem_size (fixed).
 * @sp:         the element bitmap of the arena: an element is allocated
 *              there from the moment the arena hands it to the pool, which
 *              may keep it in a per-CPU cache.
 * @tags:       per element, 0 while it is not handed out to a caller of the
 *              pool, else 1 + the bytes of the element past the requested
 *              size (so that free can account the requested bytes
 *              exactly). Set with a store by the element's owner and taken
 *              back with one xchg() and no lock, so that of two frees of an
 *              element only one sees it live. One entry, not a bit in a
 *              shared word and a slack entry beside it: handing an element
 *              out is a plain store, not a locked bit operation (a helper
 *              call under TCG, one per allocation).
 * @storage:    the @sp words, then the tags.
 */
struct zcpool_run {
	struct list_head node;
	struct rcu_head rcu;
	struct zcpool_chunk *chunk;
	unsigned int first_page;
	unsigned int cls;
	unsigned int elem_size;
	struct reciprocal_value elem_recip;
	unsigned int pages;
	unsigned int clean_from;
	unsigned int tag_bytes;
	struct zcpool_subpage sp;
	void *tags;
	u64 storage[];
};

/**
 * zcpool_chunk_run_index() - the element of a run a byte falls in
 * @run: the run.
 * @rel: the byte's offset from the run's first page (a chunk is far
 *       smaller than 4 GiB).
 * @rem: set to the byte's offset inside its element.
 *
 * A multiplication and shifts instead of a division, as SLUB's
 * obj_to_index(): every allocation and free of an element pays this, and
 * a divide costs tens of cycles.
 *
 * Context: any context.
 * Return: the element's index; at or past the run's last element when
 * @rel is past the run.
 */
static inline u32 zcpool_chunk_run_index(const struct zcpool_run *run, u32 rel, u32 *rem)
{
	u32 idx = reciprocal_divide(rel, run->elem_recip);

	*rem = rel - idx * run->elem_size;
	return idx;
}

/**
 * zcpool_chunk_nr_pages() - pages in a chunk
 * @chunk: the chunk.
 *
 * Context: any context.
 * Return: 2^@chunk->order.
 */
static inline unsigned int zcpool_chunk_nr_pages(const struct zcpool_chunk *chunk)
{
	return 1U << chunk->order;
}

/**
 * zcpool_chunk_tail_head() - the head of the page run a later page is part of
 * @chunk: the chunk.
 * @page:  a page of @chunk marked %ZCPOOL_CHUNK_PAGE_RUN_TAIL.
 *
 * A freed run's later pages keep their marker: the page is part of a run
 * only while the head it names is still a run head that reaches it.
 *
 * Context: under the arena lock.
 * Return: the head page's descriptor, or NULL when the page is free.
 */
static inline struct zcpool_chunk_page *zcpool_chunk_tail_head(struct zcpool_chunk *chunk,
							       unsigned int page)
{
	unsigned int head = chunk->meta[page].head;
	struct zcpool_chunk_page *m = &chunk->meta[head];

	if (m->kind != ZCPOOL_CHUNK_PAGE_RUN_HEAD || page >= head + m->pages)
		return NULL;
	return m;
}

/**
 * zcpool_chunk_page() - one page of a chunk
 * @chunk: the chunk.
 * @idx:   a page index below zcpool_chunk_nr_pages().
 *
 * Context: any context.
 * Return: the page's struct page.
 */
static inline struct page *zcpool_chunk_page(const struct zcpool_chunk *chunk, unsigned int idx)
{
	return nth_page(chunk->pages, idx);
}

/**
 * zcpool_chunk_addr() - the kernel address of a byte of a chunk
 * @chunk:  the chunk.
 * @offset: a byte offset inside it.
 *
 * The pages are lowmem (GFP_KERNEL has no __GFP_HIGHMEM) and physically
 * contiguous, so the direct map covers the whole chunk in one piece.
 *
 * Context: any context.
 * Return: the address of byte @offset of the chunk.
 */
static inline void *zcpool_chunk_addr(const struct zcpool_chunk *chunk, u64 offset)
{
	return page_address(chunk->pages) + offset;
}

/**
 * struct zcpool_chunk_claim - what zcpool_chunk_claim() took back
 * @cls:   the element's size class, or -1 for a page run.
 * @pages: a page run's length in pages, 0 for an element.
 * @bytes: the allocation's size: the class size, or the run's pages in bytes.
 * @size:  the bytes requested for it.
 */
struct zcpool_chunk_claim {
	int cls;
	unsigned int pages;
	u64 bytes;
	u64 size;
};

struct page *zcpool_chunk_alloc_pages(unsigned int order);
void zcpool_chunk_free_pages(struct page *page, unsigned long nr_pages);
struct zcpool_chunk *zcpool_chunk_create(struct zcpool_arena *arena, unsigned int order);
void zcpool_chunk_destroy(struct zcpool_chunk *chunk);
void zcpool_chunk_set_run(struct zcpool_chunk *chunk, unsigned int first, unsigned int pages,
			  bool *was_dirty);
void zcpool_chunk_clear_run(struct zcpool_chunk *chunk, unsigned int first);
struct zcpool_run *zcpool_chunk_run_alloc(unsigned int cls);
void zcpool_chunk_run_free(struct zcpool_run *run);
void zcpool_chunk_run_attach(struct zcpool_chunk *chunk, struct zcpool_run *run,
			     unsigned int first_page);
void zcpool_chunk_run_detach(struct zcpool_run *run);
bool zcpool_chunk_run_page_live(const struct zcpool_run *run, unsigned int page);

/*
 * The hot halves of every allocation and free, inline: each is a few
 * loads, stores and one atomic operation, less than the call would cost.
 */

/*
 * The tags are u8, u16 or u32 entries, read and written whole: xchg() of
 * one and two bytes is there on x86 and arm64 (riscv has it from 6.11).
 */

/*
 * u32 tags are for classes above 64 KiB, and with 4 KiB pages there are
 * none (ZCPOOL_SIZECLASS_MAX_SIZE is 32 KiB): chunk_run_tags_wide() then
 * folds away, and a u16 tag costs one compare, as a u8 one does, where a
 * switch took two (a translated block each under TCG).
 */
#define ZCPOOL_CHUNK_WIDE_TAGS	(ZCPOOL_SIZECLASS_MAX_SIZE > U16_MAX)

/* Whether @run's tags are u32. */
static inline bool chunk_run_tags_wide(const struct zcpool_run *run)
{
	return ZCPOOL_CHUNK_WIDE_TAGS && run->tag_bytes == 4;
}

/**
 * zcpool_chunk_run_tag() - one element's tag
 * @run: the run.
 * @idx: an element index.
 *
 * Context: any context; a snapshot, unless the caller owns the element.
 * Return: 0 when the element is not handed out, else 1 + its slack.
 */
static inline u32 zcpool_chunk_run_tag(const struct zcpool_run *run, unsigned int idx)
{
	if (run->tag_bytes == 1)
		return READ_ONCE(((const u8 *)run->tags)[idx]);
	if (!chunk_run_tags_wide(run))
		return READ_ONCE(((const u16 *)run->tags)[idx]);
	return READ_ONCE(((const u32 *)run->tags)[idx]);
}

/* Hand element @idx out: @tag is 1 + its slack. */
static inline void chunk_run_tag_set(struct zcpool_run *run, unsigned int idx, u32 tag)
{
	if (run->tag_bytes == 1) {
		/* Pairs with the xchg() of a claim. */
		smp_store_release(&((u8 *)run->tags)[idx], tag);
	} else if (!chunk_run_tags_wide(run)) {
		/* Pairs with the xchg() of a claim. */
		smp_store_release(&((u16 *)run->tags)[idx], tag);
	} else {
		/* Pairs with the xchg() of a claim. */
		smp_store_release(&((u32 *)run->tags)[idx], tag);
	}
}

/* Take element @idx back: its tag, which is 0 when it was not handed out. */
static inline u32 chunk_run_tag_take(struct zcpool_run *run, unsigned int idx)
{
	if (run->tag_bytes == 1)
		return xchg(&((u8 *)run->tags)[idx], 0);
	if (!chunk_run_tags_wide(run))
		return xchg(&((u16 *)run->tags)[idx], 0);
	return xchg(&((u32 *)run->tags)[idx], 0);
}

/**
 * zcpool_chunk_elem_run() - the run an element of a chunk is in
 * @chunk: the chunk.
 * @off:   the byte offset of an element the caller holds (allocated, or
 *         claimed and not given back).
 *
 * Context: any context; the page's run is set before any of its elements
 * is allocated and stays while one is, so no lock is needed.
 * Return: the run.
 */
static inline struct zcpool_run *zcpool_chunk_elem_run(const struct zcpool_chunk *chunk, u64 off)
{
	return READ_ONCE(chunk->meta[off >> PAGE_SHIFT].run);
}

/**
 * zcpool_chunk_hand_out_elem() - zcpool_chunk_hand_out() of an element
 * @run:  the run holding it: its page's run (set while it is allocated).
 * @off:  the element's byte offset in the run's chunk.
 * @size: the requested bytes, at most the element's size.
 *
 * For a caller that knows the allocation is an element and found its run
 * (zcpool_chunk_elem_run(); a bulk allocation of a class: the run test of
 * zcpool_chunk_hand_out() was a branch on each).
 *
 * Context: any context; no lock needed, the caller owns the element.
 */
static __always_inline void zcpool_chunk_hand_out_elem(struct zcpool_run *run, u64 off, u64 size)
{
	u32 idx, rem;

	idx = zcpool_chunk_run_index(run, off - ((u64)run->first_page << PAGE_SHIFT), &rem);
	chunk_run_tag_set(run, idx, 1 + run->elem_size - size);
}

/**
 * zcpool_chunk_hand_out() - make an allocation the pool owns live for a caller
 * @chunk: the chunk.
 * @off:   the allocation's byte offset in @chunk: an element or a page run
 *         the arena allocated and nobody else holds.
 * @size:  the requested bytes, at most the allocation's size.
 *
 * Records the slack for exact accounting on free and marks the
 * allocation live in one store, after which zcpool_chunk_claim() can take
 * it back.
 *
 * Context: any context; no lock needed, the caller owns the allocation.
 */
static inline void zcpool_chunk_hand_out(struct zcpool_chunk *chunk, u64 off, u64 size)
{
	struct zcpool_chunk_page *m = &chunk->meta[off >> PAGE_SHIFT];
	struct zcpool_run *run = READ_ONCE(m->run);

	if (!run) {
		m->slack = ((u64)m->pages << PAGE_SHIFT) - size;
		atomic_set_release(&m->live, 1);
		return;
	}
	zcpool_chunk_hand_out_elem(run, off, size);
}

/*
 * An offset before a run, taken from the run's start as a u32, wraps to
 * at least 2^31, and that divided by any class size is past any run's
 * last element: zcpool_chunk_run_claim()'s bound refuses it.
 */
static_assert((PAGE_SIZE << ZCPOOL_BUDDY_MAX_ORDER) <= (1ULL << 31) &&
	      (1ULL << 31) / ZCPOOL_SIZECLASS_MAX_SIZE >= ZCPOOL_SUBPAGE_MAX_ELEMS);

/**
 * zcpool_chunk_run_claim() - take a live element of a run back from a caller
 * @run:   a run whose chunk the caller knows it is attached to.
 * @rel:   a byte offset from the run's first page, from the caller: anything
 *         at all as a u32 (one past the run's last element is refused).
 * @claim: filled in on success.
 *
 * The element half of zcpool_chunk_claim(), for a caller that found @run
 * already: a bulk free whose offsets follow each other in one run.
 *
 * Context: as zcpool_chunk_claim().
 * Return: 0, or -EINVAL when @rel is not the start of a live element.
 */
static __always_inline int zcpool_chunk_run_claim(struct zcpool_run *run, u32 rel,
						  struct zcpool_chunk_claim *claim)
{
	u32 idx, rem, tag;

	idx = zcpool_chunk_run_index(run, rel, &rem);
	if (rem)
		return -EINVAL;
	if (idx >= run->sp.nr_elems)
		return -EINVAL;
	tag = chunk_run_tag_take(run, idx);
	if (!tag)
		return -EINVAL;
	claim->cls = run->cls;
	claim->pages = 0;
	claim->bytes = run->elem_size;
	claim->size = run->elem_size - (tag - 1);
	return 0;
}

/* Claim element @off of @run (found without the arena lock, maybe stale). */
static inline int chunk_claim_elem(struct zcpool_chunk *chunk, struct zcpool_run *run,
				   u64 off, struct zcpool_chunk_claim *claim)
{
	/* A stale run (detached, reused page) has no live element: refused here or in the claim. */
	if (run->chunk != chunk)
		return -EINVAL;
	/* Below the chunk's size (checked by the caller): a u32; before the run, see above. */
	return zcpool_chunk_run_claim(run, off - ((u64)run->first_page << PAGE_SHIFT), claim);
}

/**
 * zcpool_chunk_claim() - take a live allocation back from a caller
 * @chunk: a chunk found by window offset under RCU (it may be being given up).
 * @off:   a byte offset in @chunk, from the caller: anything at all.
 * @claim: filled in on success.
 *
 * Only the start of a live element or live page run is accepted; the
 * allocation is then no longer live (a second claim of it fails) but still
 * allocated in the arena, and the caller owns it: it either caches it or
 * frees it to the arena. Runs with no arena lock: atomic operations decide
 * between concurrent claims, and RCU keeps a run just detached readable.
 *
 * Context: under rcu_read_lock(); no lock needed.
 * Return: 0, or -EINVAL when @off is not the start of a live allocation.
 */
static __always_inline int zcpool_chunk_claim(struct zcpool_chunk *chunk, u64 off,
					      struct zcpool_chunk_claim *claim)
{
	struct zcpool_chunk_page *m;
	struct zcpool_run *run;

	if (off >= (u64)zcpool_chunk_nr_pages(chunk) << PAGE_SHIFT)
		return -EINVAL;
	m = &chunk->meta[off >> PAGE_SHIFT];
	/*
	 * Only the head page of a live run is ever 1: interior pages stay 0.
	 * likely(): a page-aligned offset is mostly a run's (an element's
	 * only for the first element of a page); GCC had the run's path out
	 * of line, a jump back (a translated block) on every run freed.
	 */
	if (!offset_in_page(off) && likely(atomic_xchg(&m->live, 0))) {
		claim->cls = -1;
		claim->pages = m->pages;
		claim->bytes = (u64)m->pages << PAGE_SHIFT;
		claim->size = claim->bytes - m->slack;
		return 0;
	}
	/* Pairs with the release in zcpool_chunk_run_attach(). */
	run = smp_load_acquire(&m->run);
	if (!run)
		return -EINVAL;
	return chunk_claim_elem(chunk, run, off, claim);
}

#endif /* _ZCPOOL_CHUNK_H */
