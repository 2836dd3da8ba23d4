/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences between the kernels zcpool supports (6.1 to 6.12):
 * every one of them is bridged here, nowhere else.
 */
#ifndef _ZCPOOL_COMPAT_H
#define _ZCPOOL_COMPAT_H

#include <linux/list_lru.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/shrinker.h>
#include <linux/slab.h>

/*
 * ZCPOOL_MAX_PAGE_ORDER: the largest order alloc_pages() can serve (10 on
 * x86_64). MAX_ORDER was exclusive before 6.4, inclusive from 6.4 and renamed
 * MAX_PAGE_ORDER in 6.8; MAX_ORDER_NR_PAGES has meant "pages in the largest
 * block" throughout, so it needs no version test.
 */
#define ZCPOOL_MAX_PAGE_ORDER	ilog2(MAX_ORDER_NR_PAGES)

/*
 * vm_flags became read-only with 6.3: changes go through vm_flags_mod()
 * (with vm_flags_set()), which also asserts the mmap lock is held for
 * writing. Kbuild defines ZCPOOL_HAVE_VM_FLAGS_SET when the kernel's
 * <linux/mm.h> has vm_flags_set() (a feature test, so that distribution
 * backports are caught too).
 */
#ifdef ZCPOOL_HAVE_VM_FLAGS_SET
static inline void zcpool_vm_flags_mod(struct vm_area_struct *vma, vm_flags_t set,
				       vm_flags_t clear)
{
	vm_flags_mod(vma, set, clear);
}
#else
static inline void zcpool_vm_flags_mod(struct vm_area_struct *vma, vm_flags_t set,
				       vm_flags_t clear)
{
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
}
#endif

typedef unsigned long (*zcpool_shrink_fn)(struct shrinker *, struct shrink_control *);

/*
 * Shrinkers: 6.0 to 6.6 register a caller-owned struct with
 * register_shrinker(s, name); 6.7 allocates it (shrinker_alloc()), makes
 * registration a separate step (shrinker_register()) and frees it with
 * shrinker_free(), after an RCU grace period. The flag that marks such
 * allocated shrinkers came with that API, so it tells which one is there.
 *
 * A memcg-aware shrinker's list_lru (@lru, else NULL) needs the shrinker's
 * id, which it gets as it is allocated (6.7) or registered (6.1, where the
 * step before registration is not exported): there the shrinker can be
 * called before @lru is ready, and the caller must hold off its callbacks
 * until this returns.
 */
static inline struct shrinker *zcpool_compat_shrinker_register(const char *name,
							       zcpool_shrink_fn count,
							       zcpool_shrink_fn scan,
							       unsigned int flags,
							       struct list_lru *lru)
{
	struct shrinker *s;

#ifdef SHRINKER_ALLOCATED
	s = shrinker_alloc(flags, "%s", name);
	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	if (lru && list_lru_init_memcg(lru, s)) {
		shrinker_free(s);
		return NULL;
	}
	shrinker_register(s);
#else
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	s->flags = flags;
	if (register_shrinker(s, "%s", name)) {
		kfree(s);
		return NULL;
	}
	if (lru && list_lru_init_memcg(lru, s)) {
		unregister_shrinker(s);
		kfree(s);
		return NULL;
	}
#endif
	return s;
}

static inline void zcpool_compat_shrinker_unregister(struct shrinker *s, struct list_lru *lru)
{
	if (!s)
		return;
#ifdef SHRINKER_ALLOCATED
	shrinker_free(s);
#else
	unregister_shrinker(s);
	kfree(s);
#endif
	if (lru)
		list_lru_destroy(lru);
}

/*
 * 6.8 gave list_lru_add() and list_lru_del() a node and a memcg, and
 * named the versions that take both from the object *_obj().
 */
#ifdef ZCPOOL_HAVE_LIST_LRU_ADD_OBJ
#define zcpool_compat_list_lru_add	list_lru_add_obj
#define zcpool_compat_list_lru_del	list_lru_del_obj
#else
#define zcpool_compat_list_lru_add	list_lru_add
#define zcpool_compat_list_lru_del	list_lru_del
#endif

#endif /* _ZCPOOL_COMPAT_H */
