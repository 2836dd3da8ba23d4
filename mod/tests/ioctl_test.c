// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite zcpool_ioctl: the ioctl dispatcher and the INFO command.
 * User-pointer paths (copy_to_user faults) are covered by the user-space tests.
 */

#include <kunit/test.h>
#include <linux/mm.h>

#include "ioctl.h"
#include "params.h"

static void info_reports_abi_and_parameters(struct kunit *test)
{
	struct zcpool_info info;

	zcpool_ioctl_fill_info(&info);
	KUNIT_EXPECT_EQ(test, info.abi_major, ZCPOOL_ABI_MAJOR);
	KUNIT_EXPECT_EQ(test, info.abi_minor, ZCPOOL_ABI_MINOR);
	KUNIT_EXPECT_EQ(test, info.page_size, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, info.chunk_order, zcpool_params.chunk_order);
	KUNIT_EXPECT_EQ(test, info.pool_max_bytes, zcpool_params.pool_max_bytes);
	KUNIT_EXPECT_EQ(test, info.total_max_bytes, zcpool_params.total_max_bytes);
}

static void info_features_are_known_and_include_info(struct kunit *test)
{
	struct zcpool_info info;

	zcpool_ioctl_fill_info(&info);
	KUNIT_EXPECT_TRUE(test, info.features & ZCPOOL_FEATURE_INFO);
	KUNIT_EXPECT_EQ(test, info.features & ~ZCPOOL_FEATURES_KNOWN, 0);
}

static void info_overwrites_every_byte(struct kunit *test)
{
	struct zcpool_info poisoned, clean;

	/* Whatever was in the struct before must not survive: no stack leaks. */
	memset(&poisoned, 0xa5, sizeof(poisoned));
	memset(&clean, 0x00, sizeof(clean));
	zcpool_ioctl_fill_info(&poisoned);
	zcpool_ioctl_fill_info(&clean);
	KUNIT_EXPECT_EQ(test, memcmp(&poisoned, &clean, sizeof(clean)), 0);
}

struct bad_cmd_case {
	const char *what;
	unsigned int cmd;
};

static const struct bad_cmd_case bad_cmd_cases[] = {
	{ "zero", 0 },
	{ "next number", _IOR(ZCPOOL_IOC_TYPE, 0x9f, struct zcpool_info) },
	{ "other type", _IOR('z', 0x80, struct zcpool_info) },
	{ "INFO written to", _IOW(ZCPOOL_IOC_TYPE, 0x80, struct zcpool_info) },
	{ "INFO read-write", _IOWR(ZCPOOL_IOC_TYPE, 0x80, struct zcpool_info) },
	{ "INFO no data", _IO(ZCPOOL_IOC_TYPE, 0x80) },
	{ "INFO short", _IOC(_IOC_READ, ZCPOOL_IOC_TYPE, 0x80, sizeof(struct zcpool_info) - 8) },
	{ "INFO long", _IOC(_IOC_READ, ZCPOOL_IOC_TYPE, 0x80, sizeof(struct zcpool_info) + 8) },
	{ "FIONREAD", 0x541B },
};

static void bad_cmd_case_desc(const struct bad_cmd_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s (0x%08x)", c->what, c->cmd);
}

KUNIT_ARRAY_PARAM(bad_cmd, bad_cmd_cases, bad_cmd_case_desc);

static void unknown_commands_are_enotty(struct kunit *test)
{
	const struct bad_cmd_case *c = test->param_value;

	/* Rejected before the argument is looked at: a NULL pointer is safe. */
	KUNIT_EXPECT_EQ(test, zcpool_ioctl(NULL, c->cmd, 0), -ENOTTY);
}

static void struct_layout_is_the_same_for_32_and_64_bit(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(struct zcpool_info) % 8, 0);
	KUNIT_EXPECT_EQ(test, sizeof(struct zcpool_info), 40);
	KUNIT_EXPECT_EQ(test, offsetof(struct zcpool_info, features), 8);
	KUNIT_EXPECT_EQ(test, offsetof(struct zcpool_info, pool_max_bytes), 24);
}

static struct kunit_case zcpool_ioctl_cases[] = {
	KUNIT_CASE(info_reports_abi_and_parameters),
	KUNIT_CASE(info_features_are_known_and_include_info),
	KUNIT_CASE(info_overwrites_every_byte),
	KUNIT_CASE_PARAM(unknown_commands_are_enotty, bad_cmd_gen_params),
	KUNIT_CASE(struct_layout_is_the_same_for_32_and_64_bit),
	{}
};

static struct kunit_suite zcpool_ioctl_suite = {
	.name = "zcpool_ioctl",
	.test_cases = zcpool_ioctl_cases,
};

kunit_test_suite(zcpool_ioctl_suite);
