// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite zcpool_ioctl: the ioctl dispatcher and the checks of every
 * command, driven through the zcpool_ioctl_*_one() helpers with kernel
 * copies of the structs. User-pointer paths (copy_{from,to}_user faults)
 * are covered by the user-space tests (alloc_test).
 */

#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "dev.h"
#include "ioctl.h"
#include "params.h"
#include "pool.h"

/* Small chunks (16 pages) keep the cap cases cheap. */
#define IOCTL_TEST_ORDER	4
#define IOCTL_TEST_CHUNK	(PAGE_SIZE << IOCTL_TEST_ORDER)

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
	KUNIT_EXPECT_TRUE(test, info.features & ZCPOOL_FEATURE_ALLOC);
	KUNIT_EXPECT_TRUE(test, info.features & ZCPOOL_FEATURE_BATCH);
	KUNIT_EXPECT_TRUE(test, info.features & ZCPOOL_FEATURE_STATS);
	KUNIT_EXPECT_TRUE(test, info.features & ZCPOOL_FEATURE_LIMITS);
	KUNIT_EXPECT_TRUE(test, info.features & ZCPOOL_FEATURE_MMAP);
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
	KUNIT_EXPECT_EQ(test, sizeof(struct zcpool_alloc), 32);
	KUNIT_EXPECT_EQ(test, sizeof(struct zcpool_free), 16);
	KUNIT_EXPECT_EQ(test, sizeof(struct zcpool_batch), 24);
	KUNIT_EXPECT_EQ(test, sizeof(struct zcpool_stats), 88);
	KUNIT_EXPECT_EQ(test, sizeof(struct zcpool_limits), 16);
}

/* A pool file as open() would make it, without the inode: nothing maps it. */
static int ioctl_test_init(struct kunit *test)
{
	struct zcpool_pool_config config = { .chunk_order = IOCTL_TEST_ORDER };
	struct zcpool_file *zf;

	zf = kunit_kzalloc(test, sizeof(*zf), GFP_KERNEL);
	if (!zf)
		return -ENOMEM;
	mutex_init(&zf->limits_lock);
	zf->pool = zcpool_pool_create(&config);
	if (IS_ERR(zf->pool))
		return PTR_ERR(zf->pool);
	test->priv = zf;
	return 0;
}

static void ioctl_test_exit(struct kunit *test)
{
	struct zcpool_file *zf = test->priv;

	zcpool_pool_destroy(zf->pool);
	kfree(zf->free_batch_spare);
}

static u64 pool_live(struct kunit *test, struct zcpool_file *zf)
{
	struct zcpool_pool_stats *st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, st);
	zcpool_pool_stats(zf->pool, st);
	return st->live;
}

struct bad_alloc_case {
	const char *what;
	struct zcpool_alloc req;
};

static const struct bad_alloc_case bad_alloc_cases[] = {
	{ "size 0", { .size = 0 } },
	{ "size ~0", { .size = U64_MAX } },
	{ "size above the cap", { .size = 0 } },	/* set from the pool's cap */
	{ "align 3", { .size = 64, .align = 3 } },
	{ "align 48", { .size = 64, .align = 48 } },
	{ "align 2 chunks", { .size = 64, .align = 2 * IOCTL_TEST_CHUNK } },
	{ "align top bit", { .size = 64, .align = 1ULL << 63 } },
	{ "unknown flag", { .size = 64, .flags = 0x2 } },
	{ "top flag", { .size = 64, .flags = 0x80000000U } },
	{ "pad", { .size = 64, .pad = 1 } },
};

static void bad_alloc_case_desc(const struct bad_alloc_case *c, char *desc)
{
	strscpy(desc, c->what, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bad_alloc, bad_alloc_cases, bad_alloc_case_desc);

static void alloc_with_a_bad_field_is_einval_and_allocates_nothing(struct kunit *test)
{
	const struct bad_alloc_case *c = test->param_value;
	struct zcpool_file *zf = test->priv;
	struct zcpool_alloc req = c->req;

	if (!strcmp(c->what, "size above the cap"))
		req.size = zcpool_pool_max_bytes(zf->pool) + 1;
	req.offset = 0x1234;
	KUNIT_EXPECT_EQ(test, zcpool_ioctl_alloc_one(zf, &req), -EINVAL);
	KUNIT_EXPECT_EQ(test, req.offset, 0x1234);
	KUNIT_EXPECT_EQ(test, pool_live(test, zf), 0);
}

static void alloc_and_free_round_trip(struct kunit *test)
{
	struct zcpool_file *zf = test->priv;
	struct zcpool_alloc req = { .size = 100, .align = 64, .flags = ZCPOOL_ALLOC_ZERO };
	struct zcpool_free fr = {};

	KUNIT_ASSERT_EQ(test, zcpool_ioctl_alloc_one(zf, &req), 0);
	KUNIT_EXPECT_EQ(test, req.offset % 64, 0);
	KUNIT_EXPECT_EQ(test, pool_live(test, zf), 1);

	fr.offset = req.offset;
	fr.flags = 1;
	KUNIT_EXPECT_EQ(test, zcpool_ioctl_free_one(zf, &fr), -EINVAL);
	fr.flags = 0;
	fr.pad = 1;
	KUNIT_EXPECT_EQ(test, zcpool_ioctl_free_one(zf, &fr), -EINVAL);
	fr.pad = 0;
	fr.offset = req.offset + 16;
	KUNIT_EXPECT_EQ(test, zcpool_ioctl_free_one(zf, &fr), -EINVAL);
	KUNIT_EXPECT_EQ(test, pool_live(test, zf), 1);

	fr.offset = req.offset;
	KUNIT_EXPECT_EQ(test, zcpool_ioctl_free_one(zf, &fr), 0);
	KUNIT_EXPECT_EQ(test, zcpool_ioctl_free_one(zf, &fr), -EINVAL);
	KUNIT_EXPECT_EQ(test, pool_live(test, zf), 0);
}

static void alloc_beyond_what_is_left_under_the_cap_is_edquot(struct kunit *test)
{
	struct zcpool_file *zf = test->priv;
	struct zcpool_alloc req = { .size = IOCTL_TEST_CHUNK };
	struct zcpool_limits lim = { .max_bytes = 2 * IOCTL_TEST_CHUNK };

	KUNIT_ASSERT_EQ(test, zcpool_ioctl_limits_one(zf, &lim), 0);
	KUNIT_ASSERT_EQ(test, zcpool_ioctl_alloc_one(zf, &req), 0);
	KUNIT_ASSERT_EQ(test, zcpool_ioctl_alloc_one(zf, &req), 0);
	KUNIT_EXPECT_EQ(test, zcpool_ioctl_alloc_one(zf, &req), -EDQUOT);
	req.size = 16;
	KUNIT_EXPECT_EQ(test, zcpool_ioctl_alloc_one(zf, &req), -EDQUOT);
	req.size = IOCTL_TEST_CHUNK + 1;
	KUNIT_EXPECT_EQ(test, zcpool_ioctl_alloc_one(zf, &req), -EDQUOT);
	/* Larger than the cap: it could never be served. */
	req.size = 2 * IOCTL_TEST_CHUNK + 1;
	KUNIT_EXPECT_EQ(test, zcpool_ioctl_alloc_one(zf, &req), -EINVAL);
	KUNIT_EXPECT_EQ(test, pool_live(test, zf), 2);
}

struct batch_case {
	const char *what;
	u32 count;
	u32 flags;
	int ret;
};

static const struct batch_case batch_cases[] = {
	{ "count 0", 0, 0, -EINVAL },
	{ "count 1", 1, 0, 0 },
	{ "count max", ZCPOOL_BATCH_MAX, 0, 0 },
	{ "count max + 1", ZCPOOL_BATCH_MAX + 1, 0, -EINVAL },
	{ "count ~0", U32_MAX, 0, -EINVAL },
	{ "flag", 1, 1, -EINVAL },
	{ "top flag", 1, 0x80000000U, -EINVAL },
};

static void batch_case_desc(const struct batch_case *c, char *desc)
{
	strscpy(desc, c->what, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(batch, batch_cases, batch_case_desc);

static void batch_header_is_checked(struct kunit *test)
{
	const struct batch_case *c = test->param_value;
	struct zcpool_batch batch = { .items = 0x1000, .count = c->count, .flags = c->flags };

	/* done and error are (out): what comes in there does not matter. */
	batch.done = 17;
	batch.error = -5;
	KUNIT_EXPECT_EQ(test, zcpool_ioctl_check_batch(&batch), c->ret);
}

static void stats_report_the_pool_and_every_byte(struct kunit *test)
{
	struct zcpool_file *zf = test->priv;
	struct zcpool_pool_stats *st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	/* Above ZCPOOL_SIZECLASS_MAX_SIZE: a page run. */
	struct zcpool_alloc req = { .size = ZCPOOL_SIZECLASS_MAX_SIZE + PAGE_SIZE };
	struct zcpool_stats in = { .class_live = 0x1000, .nr_classes = 2 };
	struct zcpool_stats out, clean;

	KUNIT_ASSERT_NOT_NULL(test, st);
	KUNIT_ASSERT_EQ(test, zcpool_ioctl_alloc_one(zf, &req), 0);
	memset(&out, 0xa5, sizeof(out));
	KUNIT_ASSERT_EQ(test, zcpool_ioctl_stats_one(zf, &in, &out, st), 0);
	memset(&clean, 0, sizeof(clean));
	KUNIT_ASSERT_EQ(test, zcpool_ioctl_stats_one(zf, &in, &clean, st), 0);
	KUNIT_EXPECT_EQ(test, memcmp(&out, &clean, sizeof(out)), 0);
	KUNIT_EXPECT_EQ(test, out.live, 1);
	KUNIT_EXPECT_EQ(test, out.runs_live, 1);
	KUNIT_EXPECT_EQ(test, out.bytes_requested, ZCPOOL_SIZECLASS_MAX_SIZE + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, out.bytes_held, IOCTL_TEST_CHUNK);
	KUNIT_EXPECT_EQ(test, out.chunks, 1);
	KUNIT_EXPECT_EQ(test, out.allocs, 1);
	KUNIT_EXPECT_EQ(test, out.frees, 0);
	KUNIT_EXPECT_EQ(test, out.max_bytes, zcpool_params.pool_max_bytes);
	KUNIT_EXPECT_EQ(test, out.class_live, 0x1000);
	KUNIT_EXPECT_EQ(test, out.nr_classes, ZCPOOL_SIZECLASS_NR);
	KUNIT_EXPECT_EQ(test, out.pad, 0);

	in.pad = 1;
	KUNIT_EXPECT_EQ(test, zcpool_ioctl_stats_one(zf, &in, &out, st), -EINVAL);
}

static void limits_lower_the_cap_and_set_flags(struct kunit *test)
{
	struct zcpool_file *zf = test->priv;
	u64 cap = zcpool_params.pool_max_bytes;
	struct zcpool_limits lim = {};

	KUNIT_ASSERT_EQ(test, zcpool_ioctl_limits_one(zf, &lim), 0);
	KUNIT_EXPECT_EQ(test, lim.max_bytes, cap);
	KUNIT_EXPECT_EQ(test, lim.flags, 0);

	lim.max_bytes = 8 * IOCTL_TEST_CHUNK;
	lim.flags = ZCPOOL_POOL_ZAP_ON_FREE;
	KUNIT_ASSERT_EQ(test, zcpool_ioctl_limits_one(zf, &lim), 0);
	KUNIT_EXPECT_EQ(test, lim.max_bytes, 8 * IOCTL_TEST_CHUNK);
	KUNIT_EXPECT_EQ(test, lim.flags, ZCPOOL_POOL_ZAP_ON_FREE);

	/* Flags stay set; 0 keeps the cap. */
	memset(&lim, 0, sizeof(lim));
	KUNIT_ASSERT_EQ(test, zcpool_ioctl_limits_one(zf, &lim), 0);
	KUNIT_EXPECT_EQ(test, lim.max_bytes, 8 * IOCTL_TEST_CHUNK);
	KUNIT_EXPECT_EQ(test, lim.flags, ZCPOOL_POOL_ZAP_ON_FREE);
}

struct bad_limits_case {
	const char *what;
	struct zcpool_limits lim;
};

static const struct bad_limits_case bad_limits_cases[] = {
	{ "raise by one", { .max_bytes = 4 * IOCTL_TEST_CHUNK + 1 } },
	{ "raise to ~0", { .max_bytes = U64_MAX } },
	{ "below what is held", { .max_bytes = PAGE_SIZE } },
	{ "unknown flag", { .flags = 0x2 } },
	{ "top flag", { .flags = 0x80000000U } },
	{ "pad", { .pad = 1 } },
	/* All or nothing: a good flag does not stick when the cap is refused. */
	{ "good flag, bad cap", { .max_bytes = U64_MAX, .flags = ZCPOOL_POOL_ZAP_ON_FREE } },
	{ "good cap, bad flag", { .max_bytes = 2 * IOCTL_TEST_CHUNK, .flags = 0x4 } },
};

static void bad_limits_case_desc(const struct bad_limits_case *c, char *desc)
{
	strscpy(desc, c->what, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bad_limits, bad_limits_cases, bad_limits_case_desc);

static void limits_with_a_bad_field_are_einval_and_change_nothing(struct kunit *test)
{
	const struct bad_limits_case *c = test->param_value;
	struct zcpool_file *zf = test->priv;
	struct zcpool_limits lim = { .max_bytes = 4 * IOCTL_TEST_CHUNK };
	struct zcpool_alloc req = { .size = 16 };

	KUNIT_ASSERT_EQ(test, zcpool_ioctl_limits_one(zf, &lim), 0);
	KUNIT_ASSERT_EQ(test, zcpool_ioctl_alloc_one(zf, &req), 0);	/* holds a chunk */
	lim = c->lim;
	KUNIT_EXPECT_EQ(test, zcpool_ioctl_limits_one(zf, &lim), -EINVAL);
	KUNIT_EXPECT_EQ(test, zcpool_pool_max_bytes(zf->pool), 4 * IOCTL_TEST_CHUNK);
	KUNIT_EXPECT_EQ(test, atomic_read(&zf->flags), 0);
}

static struct kunit_case zcpool_ioctl_cases[] = {
	KUNIT_CASE(info_reports_abi_and_parameters),
	KUNIT_CASE(info_features_are_known_and_include_info),
	KUNIT_CASE(info_overwrites_every_byte),
	KUNIT_CASE_PARAM(unknown_commands_are_enotty, bad_cmd_gen_params),
	KUNIT_CASE(struct_layout_is_the_same_for_32_and_64_bit),
	KUNIT_CASE_PARAM(alloc_with_a_bad_field_is_einval_and_allocates_nothing,
			 bad_alloc_gen_params),
	KUNIT_CASE(alloc_and_free_round_trip),
	KUNIT_CASE(alloc_beyond_what_is_left_under_the_cap_is_edquot),
	KUNIT_CASE_PARAM(batch_header_is_checked, batch_gen_params),
	KUNIT_CASE(stats_report_the_pool_and_every_byte),
	KUNIT_CASE(limits_lower_the_cap_and_set_flags),
	KUNIT_CASE_PARAM(limits_with_a_bad_field_are_einval_and_change_nothing,
			 bad_limits_gen_params),
	{}
};

static struct kunit_suite zcpool_ioctl_suite = {
	.name = "zcpool_ioctl",
	.init = ioctl_test_init,
	.exit = ioctl_test_exit,
	.test_cases = zcpool_ioctl_cases,
};

kunit_test_suite(zcpool_ioctl_suite);
