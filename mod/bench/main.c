// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool_bench.ko: measures zcpool's in-kernel allocator against the
 * kernel's allocators (impl.c), and its memory efficiency (trace.c).
 *
 * Use (debugfs):
 *   echo all > /sys/kernel/debug/zcpool_bench/run     # or "speed", "trace"
 *   cat /sys/kernel/debug/zcpool_bench/results
 * The write returns when the run is over. The module parameters (writable
 * in /sys/module/zcpool_bench/parameters/) shape the next run; sizes, only
 * and only_workload narrow it down, e.g. to profile one allocator's bulk
 * calls at one size.
 *
 * Results, one line each, "key=value" separated by spaces:
 *   begin kernel=R cpus=N init_on_alloc=0|1 reps=N rep_ms=N depth=N batch=N seed=N
 *         (init_on_alloc=1: the page allocator zeroes every page it hands out)
 *   result workload=pair|bulk cpus=N size=N impl=NAME ns=X min=X max=X iters=N
 *   skip   workload=... cpus=N size=N impl=NAME error=-ERRNO stage=STAGE
 *   trace seed=N ops=N peak_live=N requested=N held=N netty_held=N pow2_held=N
 *   end status=0|-ERRNO
 * STAGE says where it failed: fits (the allocator serves no such size),
 * setup, calibrate, or run (a timed rep).
 * ns is the median over reps of nanoseconds per object (one allocation
 * and its free); min and max bound the reps. For each size, the
 * allocators are set up once and their reps interleaved, so that drift in
 * the machine's speed hits every allocator alike.
 */

#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>

#include "bench.h"

/* Room for every line of a run. */
#define BENCH_RESULTS_BYTES	(64 * 1024)
#define BENCH_MAX_REPS		31
/*
 * The largest object: a chunk. Above 16 pages an allocation is huge
 * (exactly its pages): the 1 MiB rows measure huge allocations, served
 * from the spares the benchmark's pool keeps, as a device pool's are.
 */
#define BENCH_MAX_SIZE		(4UL << 20)
/*
 * Bounds that keep a run finite and its arrays small: a repetition of at
 * most 10 s (each waits for its threads uninterruptibly), a trace of at
 * most 10^7 steps, and objects per iteration that one kcalloc() holds.
 */
#define BENCH_MAX_REP_MS	10000
#define BENCH_MAX_TRACE_OPS	10000000UL
#define BENCH_MAX_PER_ITER	4096

static unsigned int reps = 5;
module_param(reps, uint, 0644);
MODULE_PARM_DESC(reps, "repetitions per measurement, the median is reported (1-31, default 5)");

static unsigned int rep_ms = 20;
module_param(rep_ms, uint, 0644);
MODULE_PARM_DESC(rep_ms, "length of one repetition in milliseconds (1-10000, default 20)");

static unsigned int depth = 8;
module_param(depth, uint, 0644);
MODULE_PARM_DESC(depth, "pair workload: objects allocated before they are freed (1-4096, default 8)");

static unsigned int batch = 64;
module_param(batch, uint, 0644);
MODULE_PARM_DESC(batch, "bulk workload: objects per bulk call (1-4096, default 64)");

static unsigned long long seed = 0x7a63706f6f6cULL;
module_param(seed, ullong, 0644);
MODULE_PARM_DESC(seed, "seed of the memory efficiency trace");

static unsigned long trace_ops = 20000;
module_param(trace_ops, ulong, 0644);
MODULE_PARM_DESC(trace_ops, "steps of the memory efficiency trace after its ramp (at most 10000000, default 20000)");

#define BENCH_MAX_SIZES		8

static unsigned long sizes[BENCH_MAX_SIZES] = { 64, 1024, 4096, 16384, 65536, 1048576 };
static unsigned int nr_sizes = 6;
module_param_array(sizes, ulong, &nr_sizes, 0644);
MODULE_PARM_DESC(sizes, "object sizes in bytes (default 64,1024,4096,16384,65536,1048576)");

static char *only;
module_param(only, charp, 0644);
MODULE_PARM_DESC(only, "measure only the allocator of this name (default: all)");

static char *only_workload;
module_param(only_workload, charp, 0644);
MODULE_PARM_DESC(only_workload, "measure only this workload, pair or bulk (default: both)");

/*
 * The parameters of one run, copied under the parameter lock when it
 * starts and checked: they are writable while it goes on, and a run that
 * read them again would see values it never checked (reps 0 or 100, a
 * size of 0, a string being freed).
 */
struct bench_params {
	unsigned int reps;
	unsigned int rep_ms;
	unsigned int depth;
	unsigned int batch;
	u64 seed;
	unsigned long trace_ops;
	unsigned long sizes[BENCH_MAX_SIZES];
	unsigned int nr_sizes;
	char only[32];
	char only_workload[8];
};

static struct dentry *bench_dir;
static DEFINE_MUTEX(bench_lock);	/* one run at a time; the results buffer */
static char *bench_results;
static size_t bench_len;

static __printf(1, 2) void bench_out(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	bench_len += vscnprintf(bench_results + bench_len, BENCH_RESULTS_BYTES - bench_len,
				fmt, args);
	va_end(args);
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* The median of @n sorted times: the mean of the middle two when @n is even. */
static u64 bench_median(const u64 *sorted, unsigned int n)
{
	return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/* Tenths of a nanosecond per object, printed as "12.3". */
static void bench_out_ns(const char *key, u64 wall_ns, u64 objects)
{
	u64 tenths = div64_u64(wall_ns * 10, objects);

	bench_out(" %s=%llu.%llu", key, div_u64(tenths, 10), tenths % 10);
}

struct bench_slot {
	const struct zcpool_bench_impl *impl;
	struct zcpool_bench_ctx ctx;
	struct zcpool_bench_job job;
	u64 wall[BENCH_MAX_REPS];
	int error;
	const char *stage;
	bool set_up;
};

static const char *const workload_names[] = {
	[ZCPOOL_BENCH_PAIR] = "pair",
	[ZCPOOL_BENCH_BULK] = "bulk",
};

/* One size, one workload, one CPU count: every allocator, reps interleaved. */
static int bench_group(const struct bench_params *p, struct bench_slot *slots,
		       enum zcpool_bench_workload workload, unsigned int nr_cpus,
		       unsigned long size)
{
	unsigned int per_iter = workload == ZCPOOL_BENCH_PAIR ? p->depth : p->batch;
	unsigned int nr_reps = p->reps;
	unsigned int i, r;
	int ret = 0;

	for (i = 0; i < zcpool_bench_nr_impls; i++) {
		struct bench_slot *s = &slots[i];

		memset(s, 0, sizeof(*s));
		s->impl = zcpool_bench_impls[i];
		if (p->only[0] && strcmp(p->only, s->impl->name)) {
			s->error = -ENOENT;
			continue;
		}
		if (s->impl->fits && !s->impl->fits(size)) {
			s->error = -EOPNOTSUPP;
			continue;
		}
		s->ctx.size = size;
		s->ctx.max_live = (unsigned long)nr_cpus * per_iter;
		s->stage = "setup";
		s->error = s->impl->setup(&s->ctx);
		if (s->error)
			continue;
		s->set_up = true;
		s->job = (struct zcpool_bench_job) {
			.impl = s->impl,
			.ctx = &s->ctx,
			.workload = workload,
			.per_iter = per_iter,
			.nr_cpus = nr_cpus,
		};
		s->stage = "calibrate";
		s->error = zcpool_bench_calibrate(&s->job, (u64)p->rep_ms * NSEC_PER_MSEC);
	}
	for (r = 0; r < nr_reps; r++) {
		for (i = 0; i < zcpool_bench_nr_impls; i++) {
			struct bench_slot *s = &slots[i];

			if (s->error)
				continue;
			s->stage = "run";
			s->error = zcpool_bench_run(&s->job, &s->wall[r]);
		}
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
	}
	for (i = 0; i < zcpool_bench_nr_impls; i++) {
		struct bench_slot *s = &slots[i];
		u64 objects = (u64)s->job.iters * per_iter;

		if (s->set_up && s->impl->teardown)
			s->impl->teardown(&s->ctx);
		if (ret || s->error == -ENOENT)
			continue;
		bench_out("%s workload=%s cpus=%u size=%lu impl=%s",
			  s->error ? "skip" : "result", workload_names[workload], nr_cpus,
			  size, s->impl->name);
		if (s->error) {
			bench_out(" error=%d stage=%s\n", s->error, s->stage ?: "fits");
			continue;
		}
		sort(s->wall, nr_reps, sizeof(s->wall[0]), cmp_u64, NULL);
		bench_out_ns("ns", bench_median(s->wall, nr_reps), objects);
		bench_out_ns("min", s->wall[0], objects);
		bench_out_ns("max", s->wall[nr_reps - 1], objects);
		bench_out(" iters=%lu\n", s->job.iters);
	}
	return ret;
}

static int bench_speed(const struct bench_params *p)
{
	unsigned int cpu_counts[] = { 1, num_online_cpus() };
	enum zcpool_bench_workload workload;
	struct bench_slot *slots;
	unsigned int c, z;
	int ret = 0;

	slots = kcalloc(zcpool_bench_nr_impls, sizeof(*slots), GFP_KERNEL);
	if (!slots)
		return -ENOMEM;
	for (workload = ZCPOOL_BENCH_PAIR; workload <= ZCPOOL_BENCH_BULK; workload++) {
		if (p->only_workload[0] && strcmp(p->only_workload, workload_names[workload]))
			continue;
		for (c = 0; c < ARRAY_SIZE(cpu_counts) && !ret; c++) {
			if (c && cpu_counts[c] == cpu_counts[0])
				break;
			for (z = 0; z < p->nr_sizes && !ret; z++)
				ret = bench_group(p, slots, workload, cpu_counts[c], p->sizes[z]);
		}
	}
	kfree(slots);
	return ret;
}

/*
 * The trace runs on one CPU, as the KUnit efficiency suite does: a thread
 * that migrates leaves allocations in the per-CPU cache of each CPU it
 * ran on, so one seed would give figures that depend on the scheduler.
 */
static int bench_trace(const struct bench_params *p)
{
	struct zcpool_bench_trace_result res;
	cpumask_var_t saved;
	int ret;

	if (!alloc_cpumask_var(&saved, GFP_KERNEL))
		return -ENOMEM;
	cpumask_copy(saved, current->cpus_ptr);
	ret = set_cpus_allowed_ptr(current, cpumask_of(raw_smp_processor_id()));
	if (!ret)
		ret = zcpool_bench_trace_run(p->seed, p->trace_ops, &res);
	set_cpus_allowed_ptr(current, saved);
	free_cpumask_var(saved);
	if (ret)
		return ret;
	bench_out("trace seed=%llu ops=%lu peak_live=%lu", p->seed, res.ops, res.peak_live);
	bench_out(" requested=%llu held=%llu netty_held=%llu pow2_held=%llu",
		  res.requested, res.held, res.netty_held, res.pow2_held);
	bench_out(" chunk_held=%llu cached=%llu empty=%llu spare=%llu\n", res.chunk_held,
		  res.cached, res.empty, res.spare);
	return 0;
}

/* Copy the parameters under their lock and check the copy. */
static int bench_params_get(struct bench_params *p)
{
	unsigned int i;
	int ret = 0;

	kernel_param_lock(THIS_MODULE);
	p->reps = reps;
	p->rep_ms = rep_ms;
	p->depth = depth;
	p->batch = batch;
	p->seed = seed;
	p->trace_ops = trace_ops;
	p->nr_sizes = min_t(unsigned int, nr_sizes, BENCH_MAX_SIZES);
	memcpy(p->sizes, sizes, sizeof(p->sizes));
	if (strscpy(p->only, only ?: "", sizeof(p->only)) < 0 ||
	    strscpy(p->only_workload, only_workload ?: "", sizeof(p->only_workload)) < 0)
		ret = -ERANGE;
	kernel_param_unlock(THIS_MODULE);

	if (!p->reps || p->reps > BENCH_MAX_REPS || !p->rep_ms || p->rep_ms > BENCH_MAX_REP_MS)
		return -ERANGE;
	if (!p->depth || p->depth > BENCH_MAX_PER_ITER || !p->batch ||
	    p->batch > BENCH_MAX_PER_ITER || p->trace_ops > BENCH_MAX_TRACE_OPS)
		return -ERANGE;
	for (i = 0; i < p->nr_sizes; i++)
		if (!p->sizes[i] || p->sizes[i] > BENCH_MAX_SIZE)
			return -ERANGE;
	return ret;
}

static ssize_t bench_run_write(struct file *file, const char __user *ubuf, size_t len,
			       loff_t *ppos)
{
	static struct bench_params params;	/* under bench_lock */
	bool speed, trace;
	char what[16];
	int ret;

	if (len >= sizeof(what))
		return -EINVAL;
	if (copy_from_user(what, ubuf, len))
		return -EFAULT;
	what[len] = '\0';
	strim(what);
	speed = !strcmp(what, "all") || !strcmp(what, "speed");
	trace = !strcmp(what, "all") || !strcmp(what, "trace");
	if (!speed && !trace)
		return -EINVAL;

	if (mutex_lock_interruptible(&bench_lock))
		return -EINTR;
	ret = bench_params_get(&params);
	if (ret)
		goto out_unlock;
	bench_len = 0;
	bench_out("begin kernel=%s cpus=%u init_on_alloc=%d", init_utsname()->release,
		  num_online_cpus(), want_init_on_alloc(GFP_KERNEL));
	bench_out(" reps=%u rep_ms=%u depth=%u batch=%u seed=%llu\n", params.reps,
		  params.rep_ms, params.depth, params.batch, params.seed);
	if (speed)
		ret = bench_speed(&params);
	if (trace && !ret)
		ret = bench_trace(&params);
	bench_out("end status=%d\n", ret);
out_unlock:
	mutex_unlock(&bench_lock);
	return ret ? ret : len;
}

static ssize_t bench_results_read(struct file *file, char __user *ubuf, size_t len,
				  loff_t *ppos)
{
	ssize_t ret;

	if (mutex_lock_interruptible(&bench_lock))
		return -EINTR;
	ret = simple_read_from_buffer(ubuf, len, ppos, bench_results, bench_len);
	mutex_unlock(&bench_lock);
	return ret;
}

static const struct file_operations bench_run_fops = {
	.owner = THIS_MODULE,
	.write = bench_run_write,
	.llseek = noop_llseek,
};

static const struct file_operations bench_results_fops = {
	.owner = THIS_MODULE,
	.read = bench_results_read,
	.llseek = default_llseek,
};

static int __init zcpool_bench_init(void)
{
	bench_results = kvzalloc(BENCH_RESULTS_BYTES, GFP_KERNEL);
	if (!bench_results)
		return -ENOMEM;
	bench_dir = debugfs_create_dir("zcpool_bench", NULL);
	debugfs_create_file("run", 0200, bench_dir, NULL, &bench_run_fops);
	debugfs_create_file("results", 0400, bench_dir, NULL, &bench_results_fops);
	return 0;
}

static void __exit zcpool_bench_exit(void)
{
	debugfs_remove_recursive(bench_dir);
	kvfree(bench_results);
}

module_init(zcpool_bench_init);
module_exit(zcpool_bench_exit);

MODULE_DESCRIPTION("zcpool's allocator against the kernel's allocators");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(ZCPOOL);
