// SPDX-License-Identifier: GPL-2.0
/*
 * mmap of a pool window: MAP_SHARED of any page-aligned range, faulted in
 * page by page as ordinary refcounted pages.
 *
 * Mapping. A mapping may cover any page-aligned range of the window
 * (ZCPOOL_POOL_WINDOW_BYTES); it is refused with -EINVAL when private
 * (there is nothing to copy on write from: the pool is the only copy) or
 * when it reaches past the window. Nothing is mapped at mmap() time: each
 * page is faulted in when touched, so a large mapping of a sparse window
 * costs nothing. A page that holds no live allocation raises SIGBUS.
 *
 * Pages. The fault handler inserts the pool's pages with vm_insert_pages()
 * (the faulting page and up to 15 live pages after it): normal PTEs of
 * refcounted pages with file rmap, not special PTEs, so get_user_pages()
 * works on them (O_DIRECT, vmsplice, MSG_ZEROCOPY, RDMA, io_uring from the
 * kernels that let GUP decide). The VMA is VM_MIXEDMAP (vm_insert_pages()
 * needs it to run under the read mmap lock of a fault),
 * never VM_PFNMAP or VM_IO. It is also VM_DONTEXPAND: mremap() may move or
 * shrink a mapping but not grow it, so a mapping never reaches past the
 * range mmap() checked. fork() copies the PTEs (VM_MIXEDMAP mappings are
 * copied eagerly) and the child shares the pages, as MAP_SHARED promises.
 *
 * Zapping. Every mapping of a pool is linked into the pool's own
 * address_space (dev.c), so unmap_mapping_range() on a window range
 * removes exactly that pool's PTEs for it. The pool calls zcpool_mmap_zap()
 * through its release hook before a chunk or huge allocation goes back to
 * the page allocator, and the FREE commands call it on the freed range when
 * the pool has %ZCPOOL_POOL_ZAP_ON_FREE.
 *
 * The fault-versus-zap race. A fault looks a page up (under the arena
 * lock, with a reference) and then inserts it; a release between the two
 * would zap before the insert and leave a PTE to a page the pool no longer
 * has. The page itself is safe (the PTE holds a reference), but the
 * mapping would reach memory the pool gave back. The fault cannot hold a
 * lock across the insert that the release takes: the insert may allocate a
 * page table and so enter reclaim, which may release chunks. Instead a
 * per-pool counter, zap_seq, orders the two like a seqcount:
 *
 *	release (zcpool_mmap_zap)		fault
 *	-------------------------		-----
 *	pool state changed (pages not live)	seq = zap_seq
 *	zap_seq++				page = lookup (live?)
 *	smp_mb()				insert PTE (under the PT lock)
 *	unmap_mapping_range()			smp_mb()
 *						zap_seq == seq ? done :
 *						  lookup again, zap if not live
 *
 * A lookup that saw the page live did so before the release changed the
 * pool's state (under the arena lock, or for a huge allocation by the
 * free's atomic exchange), and the increment follows that change, so such
 * a fault read zap_seq before the increment (the read is an acquire,
 * ordered before the lookup). Between the
 * release's increment-then-zap and the fault's insert-then-recheck, full
 * barriers on both sides make at least one see the other: either the zap
 * finds the PTE and removes it, or the fault sees zap_seq moved, looks its
 * pages up again (the PTEs are in by then, so a release after this lookup
 * finds them) and removes the PTEs of those no longer live there, the same
 * pages; the access then faults again and looks afresh (and finds the page
 * not live: SIGBUS, or live again in a new allocation: maps it). A fault
 * never sleeps on a release, a release never waits for faults, and a false
 * alarm (a zap of another range) costs a second lookup.
 *
 * The window between lookup and insert is a few hundred instructions, too
 * narrow for a test to hit on purpose. fault_race_delay_us in debugfs
 * (root only, 0 by default, at most 100 ms) makes every fault sleep that
 * long between the two, so that the user-space race test does hit it; it
 * reports leaked pages when the recheck is taken out.
 */

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/personality.h>

#include "compat.h"
#include "dev.h"
#include "mmap.h"
#include "pool.h"

/* Set through debugfs (stats.c) by tests: see the top of this file. */
u32 zcpool_mmap_fault_race_delay_us;

/*
 * A longer sleep than any race test needs would only hang the faulting
 * task; a free and a give-back to the page allocator (a drain, a grace
 * period) take some 10 ms on a debug kernel under TCG, and a fault must
 * be able to sleep across them.
 */
#define MMAP_FAULT_RACE_DELAY_MAX_US	100000

/*
 * Pages one fault maps: the faulting page and the live pages after it, up
 * to this many, so that touching a 1 MiB buffer takes 16 faults instead of
 * 256 (the full alloc+mmap+touch cycle was bound by one fault per page).
 * Like the kernel's fault-around it stops at the mapping's end, and it
 * stops at the first page with no live allocation, which must still raise
 * SIGBUS when touched. The page array is __uninitialized, so that the
 * automatic zeroing of stack variables does not clear it on every fault:
 * only the pages looked up are read.
 */
#define MMAP_FAULT_BATCH	16

/*
 * The live pages from window @offset on, up to @max, into @pages, each
 * with a reference: a call for each chunk or huge allocation they are in.
 */
static unsigned long zcpool_mmap_lookup(struct zcpool_pool *pool, u64 offset,
					struct page **pages, unsigned long max)
{
	unsigned long nr;
	unsigned int got;

	for (nr = 0; nr < max; nr += got) {
		got = zcpool_pool_pages(pool, offset + ((u64)nr << PAGE_SHIFT), &pages[nr],
					max - nr);
		if (!got)
			break;
	}
	return nr;
}

/*
 * How many of the @nr pages a fault inserted from window @offset on are
 * still live there, the same pages, counted from the first: a fault that
 * saw zap_seq move keeps those PTEs. Looked up under the pool's locks
 * after the PTEs went in: a release that changes a page's state before
 * this lookup is seen here, and one after it zaps the PTE itself. Where
 * a fault removed all it inserted whenever zap_seq moved, frees of other
 * buffers in a loop (each a zap with ZCPOOL_POOL_ZAP_ON_FREE, or of a
 * huge buffer while the pool is mapped) made every fault of a live page
 * undo itself until they stopped, and GUP (O_DIRECT into the buffer)
 * retried in the kernel for as long.
 */
static unsigned long zcpool_mmap_still_live(struct zcpool_pool *pool, u64 offset,
					    struct page *const *pages, unsigned long nr)
{
	struct page *now[MMAP_FAULT_BATCH] __uninitialized;
	unsigned long found = zcpool_mmap_lookup(pool, offset, now, nr), kept, i;

	for (kept = 0; kept < found && now[kept] == pages[kept]; kept++)
		;
	for (i = 0; i < found; i++)
		put_page(now[i]);
	return kept;
}

static vm_fault_t zcpool_mmap_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct zcpool_file *zf = vma->vm_file->private_data;
	u64 offset = (u64)vmf->pgoff << PAGE_SHIFT;
	unsigned long addr = vmf->address & PAGE_MASK;
	struct page *pages[MMAP_FAULT_BATCH] __uninitialized;
	unsigned long max, nr, left, kept, i;
	int seq, ret;
	u32 delay;

	if (vmf->pgoff >= ZCPOOL_POOL_WINDOW_BYTES >> PAGE_SHIFT)
		return VM_FAULT_SIGBUS;
	max = min_t(unsigned long, (vma->vm_end - addr) >> PAGE_SHIFT, MMAP_FAULT_BATCH);
	max = min_t(u64, max, (ZCPOOL_POOL_WINDOW_BYTES - offset) >> PAGE_SHIFT);
	seq = atomic_read_acquire(&zf->zap_seq);
	nr = zcpool_mmap_lookup(zf->pool, offset, pages, max);
	if (!nr)
		return VM_FAULT_SIGBUS;
	delay = READ_ONCE(zcpool_mmap_fault_race_delay_us);
	if (unlikely(delay)) {
		delay = min_t(u32, delay, MMAP_FAULT_RACE_DELAY_MAX_US);
		usleep_range(delay, delay + delay / 4 + 1);
	}
	left = nr;
	ret = vm_insert_pages(vma, addr, pages, &left);
	/* Each PTE inserted holds a reference of its own. */
	for (i = 0; i < nr; i++)
		put_page(pages[i]);
	/*
	 * Once the faulting page is in (left < nr), whatever stopped the
	 * pages after it leaves them to fault by themselves. Before it:
	 * -EBUSY means another thread mapped it first; -ENOMEM and -EFAULT
	 * are page tables that could not be allocated (insert_pages()
	 * reports a failed walk_to_pmd() as -EFAULT: the range is inside
	 * the VMA, see max above), a fault to retry, not a SIGBUS for a
	 * page that is live. All are checked the same way below.
	 */
	if (ret && left == nr) {
		if (ret == -ENOMEM || ret == -EFAULT)
			return VM_FAULT_OOM;
		if (ret != -EBUSY)
			return VM_FAULT_SIGBUS;
	}
	smp_mb();	/* the PTEs before zap_seq: see the top of this file */
	if (atomic_read(&zf->zap_seq) != seq) {
		/*
		 * A zap ran meanwhile and may have missed the PTEs: remove
		 * those whose pages are no longer live there. The access
		 * then faults again and looks afresh.
		 */
		kept = zcpool_mmap_still_live(zf->pool, offset, pages, nr - left);
		if (kept < nr - left)
			unmap_mapping_range(vma->vm_file->f_mapping,
					    offset + ((u64)kept << PAGE_SHIFT),
					    (u64)(nr - left - kept) << PAGE_SHIFT, 1);
	}
	return VM_FAULT_NOPAGE;
}

static const struct vm_operations_struct zcpool_mmap_vm_ops = {
	.fault = zcpool_mmap_fault,
};

/**
 * zcpool_mmap() - map a range of a pool's window
 * @file: the pool's file.
 * @vma:  the new mapping; vm_pgoff is the window offset in pages.
 *
 * Context: process context, mmap lock held for writing.
 * Return: 0, -EINVAL for a private mapping or a range that reaches past
 * the window, -EPERM for an executable one.
 */
int zcpool_mmap(struct file *file, struct vm_area_struct *vma)
{
	u64 len = vma->vm_end - vma->vm_start;
	u64 start, end;

	/* VM_MAYSHARE: a read-only fd turns MAP_SHARED's VM_SHARED off. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_pgoff >= ZCPOOL_POOL_WINDOW_BYTES >> PAGE_SHIFT)
		return -EINVAL;
	start = (u64)vma->vm_pgoff << PAGE_SHIFT;
	if (check_add_overflow(start, len, &end))
		return -EINVAL;
	if (end > ZCPOOL_POOL_WINDOW_BYTES)
		return -EINVAL;
	/*
	 * Data buffers, shared writable between processes: never code (the
	 * errno of a noexec mount, and no mprotect() to PROT_EXEC later).
	 * But a task with READ_IMPLIES_EXEC (a legacy binary without
	 * PT_GNU_STACK) has PROT_EXEC added to every PROT_READ mapping it
	 * makes of a file on a mount that allows exec: it gets the mapping
	 * without it, as a noexec mount would give it, not EPERM for what it
	 * did not ask. Its explicit PROT_EXEC cannot be told apart.
	 */
	if ((vma->vm_flags & VM_EXEC) && !(current->personality & READ_IMPLIES_EXEC))
		return -EPERM;
	/*
	 * Not in core dumps either: a dump would fault in every page of the
	 * range, up to the whole window, and write other processes' buffers
	 * out with it.
	 */
	zcpool_vm_flags_mod(vma, VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP,
			    VM_EXEC | VM_MAYEXEC);
	vma->vm_ops = &zcpool_mmap_vm_ops;
	return 0;
}

/**
 * zcpool_mmap_zap() - remove a window range from every mapping of a pool
 * @zf:     the pool's file.
 * @offset: the range's start in the window, in bytes.
 * @size:   its length in bytes; every page it touches is zapped.
 *
 * Call it after the pool stopped treating the range as live; a fault
 * racing with it either is zapped here or zaps itself (see the top of
 * this file). Pages that other allocations still use fault back in.
 *
 * Context: process context, may sleep; no zcpool lock held.
 */
void zcpool_mmap_zap(struct zcpool_file *zf, u64 offset, u64 size)
{
	u64 start = round_down(offset, PAGE_SIZE);
	u64 end = round_up(offset + size, PAGE_SIZE);

	/* unmap_mapping_range() takes a length of 0 as "to the end". */
	if (!zf->inode || !size)
		return;
	atomic_inc(&zf->zap_seq);
	smp_mb__after_atomic();	/* zap_seq before the PTEs: see the top of this file */
	/*
	 * Nothing maps the pool, in any process: no PTE to remove, and
	 * unmap_mapping_range() would still take i_mmap_rwsem to find that
	 * out (a third of a 1 MiB free under TCG). A mapping that a fault
	 * of this range could use was linked before that fault found the
	 * range live, which was before the free took it back, so it is seen
	 * here; a mapping made later finds the range not live.
	 */
	if (!mapping_mapped(zf->inode->i_mapping))
		return;
	unmap_mapping_range(zf->inode->i_mapping, start, end - start, 1);
}

/**
 * zcpool_mmap_mapped() - the pool's mapped hook: whether anything maps it
 * @priv: the pool's &struct zcpool_file.
 *
 * When nothing maps the pool, in any process, there is no PTE to zap and
 * no fault in flight (a fault runs in a mapping, which stays linked until
 * its PTEs are gone), so a huge allocation taken back needs no release: a
 * fault that found it live read it so, after a full barrier, before the
 * take's atomic exchange (pool.c, pool_huge_at()), in a mapping linked
 * before that fault, which the caller, asking after the take, sees; a
 * mapping made later finds the range not live. The zap
 * sequence needs no increment then either: it tells faults in flight.
 *
 * Context: any context; the pool asks with no lock held.
 * Return: true when some mapping of the pool may exist.
 */
bool zcpool_mmap_mapped(void *priv)
{
	struct zcpool_file *zf = priv;

	return zf->inode && mapping_mapped(zf->inode->i_mapping);
}

/**
 * zcpool_mmap_release() - the pool's release hook: zap what goes back
 * @priv:   the pool's &struct zcpool_file.
 * @offset: the window range whose pages go back to the page allocator.
 * @size:   its length in bytes.
 *
 * Context: process context, may sleep; called by the pool with no lock held.
 */
void zcpool_mmap_release(void *priv, u64 offset, u64 size)
{
	zcpool_mmap_zap(priv, offset, size);
}
