// SPDX-License-Identifier: GPL-2.0
/* KUnit suite zcpool_params: parsing and cross-checking module parameters. */

#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/string_helpers.h>

#include "chunk.h"
#include "compat.h"
#include "params.h"

struct chunk_order_case {
	const char *text;
	int ret;
	unsigned int order;
};

static const struct chunk_order_case chunk_order_cases[] = {
	{ "3", 0, 3 },
	{ "10\n", 0, 10 },
	{ "0x3", 0, 3 },
	{ "", -EINVAL, 0 },
	{ "ten", -EINVAL, 0 },
	{ "-1", -EINVAL, 0 },
	{ "4 ", -EINVAL, 0 },
	{ "0", -ERANGE, 0 },
	{ "2", -ERANGE, 0 },
	{ "99", -ERANGE, 0 },
	{ "4294967296", -ERANGE, 0 },
};

/*
 * A case's name: its text quoted, and the answer it wants. A newline in
 * the text would end the name's KTAP line: it is shown as "\n".
 */
static void text_case_desc(const char *text, int ret, char *desc)
{
	char shown[40];
	int len = string_escape_str(text, shown, sizeof(shown) - 1, ESCAPE_SPACE, NULL);

	shown[min_t(int, len, sizeof(shown) - 1)] = '\0';
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "\"%s\" -> %d", shown, ret);
}

static void chunk_order_case_desc(const struct chunk_order_case *c, char *desc)
{
	text_case_desc(c->text, c->ret, desc);
}

KUNIT_ARRAY_PARAM(chunk_order, chunk_order_cases, chunk_order_case_desc);

static void parse_chunk_order_accepts_only_supported_orders(struct kunit *test)
{
	const struct chunk_order_case *c = test->param_value;
	unsigned int order = 0xdead;
	int ret;

	ret = zcpool_params_parse_chunk_order(c->text, &order);
	KUNIT_EXPECT_EQ(test, ret, c->ret);
	if (c->ret)
		KUNIT_EXPECT_EQ(test, order, 0xdead);	/* untouched on error */
	else
		KUNIT_EXPECT_EQ(test, order, c->order);
}

static void parse_chunk_order_allows_the_smallest_and_largest_orders(struct kunit *test)
{
	unsigned int order = 0;
	char text[16];

	snprintf(text, sizeof(text), "%u", ZCPOOL_CHUNK_MIN_ORDER);
	KUNIT_EXPECT_EQ(test, zcpool_params_parse_chunk_order(text, &order), 0);
	KUNIT_EXPECT_EQ(test, order, ZCPOOL_CHUNK_MIN_ORDER);

	snprintf(text, sizeof(text), "%u", ZCPOOL_CHUNK_MAX_ORDER);
	KUNIT_EXPECT_EQ(test, zcpool_params_parse_chunk_order(text, &order), 0);
	KUNIT_EXPECT_EQ(test, order, ZCPOOL_CHUNK_MAX_ORDER);
	snprintf(text, sizeof(text), "%u", ZCPOOL_CHUNK_MAX_ORDER + 1);
	KUNIT_EXPECT_EQ(test, zcpool_params_parse_chunk_order(text, &order), -ERANGE);
}

struct bytes_case {
	const char *text;
	int ret;
	u64 bytes;
};

static const struct bytes_case bytes_cases[] = {
	{ "0", 0, 0 },
	{ "4096", 0, 4096 },
	{ "64k", 0, 64ULL << 10 },
	{ "512M\n", 0, 512ULL << 20 },
	{ "3G", 0, 3ULL << 30 },
	{ "2T", 0, 2ULL << 40 },
	{ "18446744073709551615", 0, U64_MAX },
	{ "", -EINVAL, 0 },
	{ "\n", -EINVAL, 0 },
	{ "M", -EINVAL, 0 },
	{ "-1", -EINVAL, 0 },
	{ "+1", -EINVAL, 0 },
	{ "1X", -EINVAL, 0 },
	{ "1 G", -EINVAL, 0 },
	{ "1GG", -EINVAL, 0 },
	{ "0x10", -EINVAL, 0 },
	{ "1G\nxyz", -EINVAL, 0 },
	{ "1\n2", -EINVAL, 0 },
	{ "5\n\n", -EINVAL, 0 },
	{ "7\n", 0, 7 },
	{ "18446744073709551616", -ERANGE, 0 },
	{ "16777216T", -ERANGE, 0 },
	{ "123456789012345678901234567890", -ERANGE, 0 },
};

static void bytes_case_desc(const struct bytes_case *c, char *desc)
{
	text_case_desc(c->text, c->ret, desc);
}

KUNIT_ARRAY_PARAM(bytes, bytes_cases, bytes_case_desc);

static void parse_bytes_is_strict_about_syntax_and_overflow(struct kunit *test)
{
	const struct bytes_case *c = test->param_value;
	u64 bytes = 0xdead;
	int ret;

	ret = zcpool_params_parse_bytes(c->text, &bytes);
	KUNIT_EXPECT_EQ(test, ret, c->ret);
	if (c->ret)
		KUNIT_EXPECT_EQ(test, bytes, 0xdead);
	else
		KUNIT_EXPECT_EQ(test, bytes, c->bytes);
}

static void resolve_derives_caps_from_ram(struct kunit *test)
{
	struct zcpool_params params = { .chunk_order = 10 };

	KUNIT_ASSERT_EQ(test, zcpool_params_resolve(&params, 8ULL << 30), 0);
	KUNIT_EXPECT_EQ(test, params.total_max_bytes, 4ULL << 30);
	KUNIT_EXPECT_EQ(test, params.pool_max_bytes, 4ULL << 30);
}

/* A default chunk order above the page allocator's largest comes down to it. */
static void resolve_fits_the_chunk_order_to_the_page_allocator(struct kunit *test)
{
	struct zcpool_params params = { .chunk_order = ZCPOOL_CHUNK_MAX_ORDER + 1 };

	KUNIT_ASSERT_EQ(test, zcpool_params_resolve(&params, 8ULL << 30), 0);
	KUNIT_EXPECT_EQ(test, params.chunk_order, ZCPOOL_CHUNK_MAX_ORDER);
	params.chunk_order = ZCPOOL_CHUNK_MIN_ORDER;
	KUNIT_ASSERT_EQ(test, zcpool_params_resolve(&params, 8ULL << 30), 0);
	KUNIT_EXPECT_EQ(test, params.chunk_order, ZCPOOL_CHUNK_MIN_ORDER);
}

static void resolve_pool_cap_defaults_to_the_total_cap(struct kunit *test)
{
	struct zcpool_params params = { .total_max_bytes = 1ULL << 30 };

	KUNIT_ASSERT_EQ(test, zcpool_params_resolve(&params, 8ULL << 30), 0);
	KUNIT_EXPECT_EQ(test, params.total_max_bytes, 1ULL << 30);
	KUNIT_EXPECT_EQ(test, params.pool_max_bytes, 1ULL << 30);
}

static void resolve_keeps_explicit_caps(struct kunit *test)
{
	struct zcpool_params params = {
		.pool_max_bytes = 64ULL << 20,
		.total_max_bytes = 1ULL << 30,
	};

	KUNIT_ASSERT_EQ(test, zcpool_params_resolve(&params, 8ULL << 30), 0);
	KUNIT_EXPECT_EQ(test, params.pool_max_bytes, 64ULL << 20);
	KUNIT_EXPECT_EQ(test, params.total_max_bytes, 1ULL << 30);
}

static void resolve_rejects_pool_cap_above_total_cap(struct kunit *test)
{
	struct zcpool_params params = {
		.pool_max_bytes = 2ULL << 30,
		.total_max_bytes = 1ULL << 30,
	};

	KUNIT_EXPECT_EQ(test, zcpool_params_resolve(&params, 8ULL << 30), -EINVAL);
}

/*
 * A cap below the shortest chunk (32 KiB with 4 KiB pages) admits no
 * allocation at all: refused at load, where one of a chunk is taken.
 */
static void resolve_rejects_caps_below_the_shortest_chunk(struct kunit *test)
{
	const u64 shortest = PAGE_SIZE << ZCPOOL_CHUNK_MIN_ORDER;
	struct zcpool_params small_total = { .total_max_bytes = shortest - 1 };
	struct zcpool_params small_pool = {
		.pool_max_bytes = shortest - PAGE_SIZE,
		.total_max_bytes = 1ULL << 30,
	};
	struct zcpool_params shortest_caps = {
		.pool_max_bytes = shortest,
		.total_max_bytes = shortest,
	};

	KUNIT_EXPECT_EQ(test, zcpool_params_resolve(&small_total, 8ULL << 30), -ERANGE);
	KUNIT_EXPECT_EQ(test, zcpool_params_resolve(&small_pool, 8ULL << 30), -ERANGE);
	KUNIT_EXPECT_EQ(test, zcpool_params_resolve(&shortest_caps, 8ULL << 30), 0);
}

static void loaded_params_are_resolved(struct kunit *test)
{
	KUNIT_EXPECT_LE(test, zcpool_params.chunk_order, ZCPOOL_CHUNK_MAX_ORDER);
	KUNIT_EXPECT_GE(test, zcpool_params.pool_max_bytes, PAGE_SIZE << ZCPOOL_CHUNK_MIN_ORDER);
	KUNIT_EXPECT_LE(test, zcpool_params.pool_max_bytes, zcpool_params.total_max_bytes);
}

static struct kunit_case zcpool_params_cases[] = {
	KUNIT_CASE_PARAM(parse_chunk_order_accepts_only_supported_orders,
			 chunk_order_gen_params),
	KUNIT_CASE(parse_chunk_order_allows_the_smallest_and_largest_orders),
	KUNIT_CASE_PARAM(parse_bytes_is_strict_about_syntax_and_overflow, bytes_gen_params),
	KUNIT_CASE(resolve_derives_caps_from_ram),
	KUNIT_CASE(resolve_fits_the_chunk_order_to_the_page_allocator),
	KUNIT_CASE(resolve_pool_cap_defaults_to_the_total_cap),
	KUNIT_CASE(resolve_keeps_explicit_caps),
	KUNIT_CASE(resolve_rejects_pool_cap_above_total_cap),
	KUNIT_CASE(resolve_rejects_caps_below_the_shortest_chunk),
	KUNIT_CASE(loaded_params_are_resolved),
	{}
};

static struct kunit_suite zcpool_params_suite = {
	.name = "zcpool_params",
	.test_cases = zcpool_params_cases,
};

kunit_test_suite(zcpool_params_suite);
