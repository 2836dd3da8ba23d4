// SPDX-License-Identifier: GPL-2.0
/*
 * The timing harness: one kernel thread bound to each CPU of a run, all
 * created first and then woken together, each timing its own loop with
 * ktime_get_ns(). A run's time is the slowest thread's: with all CPUs
 * busy, that is what each CPU got done per nanosecond of wall time.
 * Threads wake within microseconds of each other and a run lasts tens of
 * milliseconds, so the loops overlap almost entirely.
 */

#include <linux/bits.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "bench.h"

/* Calibration stops doubling here, whatever the clock says. */
#define BENCH_MAX_ITERS		BIT(24)

struct bench_thread {
	const struct zcpool_bench_job *job;
	struct task_struct *task;
	atomic_t *running;
	struct completion *all_done;
	u64 *handles;
	u64 elapsed_ns;
	int ret;
};

/* depth single allocations, then depth single frees, in the same order. */
static int bench_pair_iter(const struct zcpool_bench_job *job, u64 *handles)
{
	const struct zcpool_bench_impl *impl = job->impl;
	unsigned int i;
	int ret;

	for (i = 0; i < job->per_iter; i++) {
		ret = impl->alloc(job->ctx, &handles[i]);
		if (ret)
			goto err_free;
	}
	for (i = 0; i < job->per_iter; i++)
		impl->free(job->ctx, handles[i]);
	return 0;

err_free:
	while (i--)
		impl->free(job->ctx, handles[i]);
	return ret;
}

static int bench_bulk_iter(const struct zcpool_bench_job *job, u64 *handles)
{
	int ret = job->impl->alloc_bulk(job->ctx, handles, job->per_iter);

	if (ret)
		return ret;
	job->impl->free_bulk(job->ctx, handles, job->per_iter);
	return 0;
}

static int bench_thread_fn(void *arg)
{
	struct bench_thread *t = arg;
	const struct zcpool_bench_job *job = t->job;
	unsigned long it;
	u64 start;
	int ret = 0;

	start = ktime_get_ns();
	for (it = 0; it < job->iters && !ret; it++) {
		if (job->workload == ZCPOOL_BENCH_PAIR)
			ret = bench_pair_iter(job, t->handles);
		else
			ret = bench_bulk_iter(job, t->handles);
		cond_resched();
	}
	t->elapsed_ns = ktime_get_ns() - start;
	t->ret = ret;
	if (atomic_dec_and_test(t->running))
		complete(t->all_done);
	return 0;
}

/**
 * zcpool_bench_run() - time one job
 * @job:     what to run; its context is set up for job->nr_cpus *
 *           job->per_iter live objects.
 * @wall_ns: set to the slowest thread's time.
 *
 * Context: process context, may sleep; waits for every thread it started.
 * Return: 0; -EINVAL for more threads than online CPUs, -ENOMEM, or the
 * first error an allocator returned (its thread stopped there, having
 * freed what it held).
 */
int zcpool_bench_run(const struct zcpool_bench_job *job, u64 *wall_ns)
{
	DECLARE_COMPLETION_ONSTACK(all_done);
	struct bench_thread *threads;
	atomic_t running;
	unsigned int i, cpu, n = 0;
	int ret = 0;

	if (!job->nr_cpus || job->nr_cpus > num_online_cpus())
		return -EINVAL;
	threads = kcalloc(job->nr_cpus, sizeof(*threads), GFP_KERNEL);
	if (!threads)
		return -ENOMEM;
	atomic_set(&running, job->nr_cpus);
	for_each_online_cpu(cpu) {
		struct bench_thread *t;

		if (n == job->nr_cpus)
			break;
		t = &threads[n];
		t->job = job;
		t->running = &running;
		t->all_done = &all_done;
		t->handles = kcalloc(job->per_iter, sizeof(*t->handles), GFP_KERNEL);
		if (!t->handles) {
			ret = -ENOMEM;
			goto err_stop;
		}
		t->task = kthread_create_on_cpu(bench_thread_fn, t, cpu, "zcpool_bench/%u");
		if (IS_ERR(t->task)) {
			ret = PTR_ERR(t->task);
			kfree(t->handles);
			goto err_stop;
		}
		n++;
	}
	if (n < job->nr_cpus) {
		/* a CPU went offline since the check */
		ret = -EINVAL;
		goto err_stop;
	}
	for (i = 0; i < n; i++)
		wake_up_process(threads[i].task);
	wait_for_completion(&all_done);

	*wall_ns = 0;
	for (i = 0; i < n; i++) {
		if (threads[i].ret && !ret)
			ret = threads[i].ret;
		*wall_ns = max(*wall_ns, threads[i].elapsed_ns);
		kfree(threads[i].handles);
	}
	kfree(threads);
	return ret;

err_stop:
	/* never woken, so their functions never run */
	for (i = 0; i < n; i++) {
		kthread_stop(threads[i].task);
		kfree(threads[i].handles);
	}
	kfree(threads);
	return ret;
}

/**
 * zcpool_bench_calibrate() - find the iterations that take about @target_ns
 * @job:       the job; job->iters is set.
 * @target_ns: the wanted length of one run.
 *
 * First one untimed iteration warms the allocator up (caches filled,
 * chunks taken), so that its one-time costs do not shrink the count; then
 * the iterations double until a run takes a quarter of @target_ns, and
 * are scaled to the target.
 *
 * Context: process context, may sleep.
 * Return: 0, or the error of zcpool_bench_run().
 */
int zcpool_bench_calibrate(struct zcpool_bench_job *job, u64 target_ns)
{
	u64 wall = 0;
	int ret;

	job->iters = 1;
	ret = zcpool_bench_run(job, &wall);
	if (ret)
		return ret;
	for (job->iters = 1; job->iters < BENCH_MAX_ITERS; job->iters *= 2) {
		ret = zcpool_bench_run(job, &wall);
		if (ret)
			return ret;
		if (wall >= target_ns / 4)
			break;
	}
	if (wall)
		job->iters = clamp_t(u64, div64_u64((u64)job->iters * target_ns, wall),
				     1, BENCH_MAX_ITERS);
	return 0;
}
