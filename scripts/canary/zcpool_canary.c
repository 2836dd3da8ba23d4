// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool_canary: the test rig's negative control, never part of zcpool.
 *
 * scripts/check loads it in a debug VM to prove that the rig fails a run
 * that shows a KASAN report, a WARN or a failed KUnit case. Writing "kasan"
 * or "warn" to /sys/module/zcpool_canary/parameters/trigger does the harm;
 * the KUnit suite zcpool_canary fails one case on purpose.
 */

#include <kunit/test.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

static noinline void canary_out_of_bounds_write(void)
{
	char *buf = kmalloc(16, GFP_KERNEL);
	size_t past_end = 16;

	if (!buf)
		return;
	OPTIMIZER_HIDE_VAR(past_end);	/* keep the compiler from seeing the overflow */
	buf[past_end] = 'x';
	kfree(buf);
}

static int canary_trigger_set(const char *val, const struct kernel_param *kp)
{
	if (sysfs_streq(val, "kasan"))
		canary_out_of_bounds_write();
	else if (sysfs_streq(val, "warn"))
		WARN(1, "zcpool_canary: deliberate warning\n");
	else
		return -EINVAL;
	return 0;
}

static const struct kernel_param_ops canary_trigger_ops = {
	.set = canary_trigger_set,
};

module_param_cb(trigger, &canary_trigger_ops, NULL, 0200);
MODULE_PARM_DESC(trigger, "kasan: write past a kmalloc buffer; warn: WARN()");

static void canary_passing_case(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 1 + 1, 2);
}

static void canary_failing_case(struct kunit *test)
{
	KUNIT_EXPECT_EQ_MSG(test, 1 + 1, 3, "deliberate failure of the rig's canary");
}

static struct kunit_case canary_cases[] = {
	KUNIT_CASE(canary_passing_case),
	KUNIT_CASE(canary_failing_case),
	{}
};

static struct kunit_suite canary_suite = {
	.name = "zcpool_canary",
	.test_cases = canary_cases,
};

kunit_test_suite(canary_suite);

MODULE_DESCRIPTION("Negative control for the zcpool test rig");
MODULE_LICENSE("GPL");
