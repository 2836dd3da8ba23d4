// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters of zcpool.
 *
 * Each parameter has its own parser so that a bad value makes insmod fail
 * with a clear errno instead of being clamped silently: -EINVAL for text
 * that is not a value, -ERANGE for a value outside what zcpool supports.
 * Zero for a byte cap means "derive it": the total cap defaults to half of
 * RAM, the per-pool cap to the total cap. After zcpool_params_init() the
 * parameters in sysfs show the values in force.
 */

#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <kunit/visibility.h>

#include "chunk.h"
#include "compat.h"
#include "params.h"

struct zcpool_params zcpool_params = {
	.chunk_order = ZCPOOL_CHUNK_ORDER_DEFAULT,
};
EXPORT_SYMBOL_IF_KUNIT(zcpool_params);

VISIBLE_IF_KUNIT int zcpool_params_parse_chunk_order(const char *val, unsigned int *order)
{
	unsigned int parsed;
	int ret;

	ret = kstrtouint(val, 0, &parsed);
	if (ret)
		return ret;
	if (parsed < ZCPOOL_CHUNK_MIN_ORDER)
		return -ERANGE;
	if (parsed > ZCPOOL_CHUNK_MAX_ORDER)
		return -ERANGE;
	*order = parsed;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_params_parse_chunk_order);

/*
 * A byte count with an optional binary suffix (K, M, G, T), as memparse()
 * reads it, but strict: no trailing junk, no sign, and overflow is -ERANGE
 * instead of wrapping. One newline may end it (sysfs writes from echo);
 * anything after a newline is junk too.
 */
VISIBLE_IF_KUNIT int zcpool_params_parse_bytes(const char *val, u64 *bytes)
{
	static const char suffixes[] = "KMGT";
	char digits[24];
	const char *suffix;
	unsigned int shift = 0;
	size_t len;
	u64 parsed;
	int ret;

	len = strlen(val);
	if (len && val[len - 1] == '\n')
		len--;
	if (!len || !isdigit(val[0]) || memchr(val, '\n', len))
		return -EINVAL;
	if (isalpha(val[len - 1])) {
		suffix = strchr(suffixes, toupper(val[len - 1]));
		if (!suffix)
			return -EINVAL;
		shift = 10 * (suffix - suffixes + 1);
		len--;
	}
	if (len >= sizeof(digits))
		return -ERANGE;
	memcpy(digits, val, len);
	digits[len] = '\0';
	ret = kstrtou64(digits, 10, &parsed);
	if (ret)
		return ret;
	if (parsed > (U64_MAX >> shift))
		return -ERANGE;
	*bytes = parsed << shift;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_params_parse_bytes);

/*
 * The smallest cap any allocation fits under: the shortest chunk, to which
 * a pool falls back when its caps leave no room for a whole one. Below it
 * every allocation would be refused.
 */
#define PARAMS_MIN_CAP	(PAGE_SIZE << ZCPOOL_CHUNK_MIN_ORDER)

/*
 * Fill in derived caps and check that the parameters agree with each other.
 * A cap below the shortest chunk could never be met; a pool cap above the
 * total cap would be a lie. The default chunk order may be above what the
 * page allocator serves (order 8 on ppc64 with 64 KiB pages), where every
 * pool creation would fail: it comes down to the largest order there. An
 * order given at load was checked against that as it was set.
 */
VISIBLE_IF_KUNIT int zcpool_params_resolve(struct zcpool_params *params, u64 ram_bytes)
{
	params->chunk_order = min_t(unsigned int, params->chunk_order, ZCPOOL_CHUNK_MAX_ORDER);
	if (!params->total_max_bytes)
		params->total_max_bytes = ram_bytes / 2;
	if (!params->pool_max_bytes)
		params->pool_max_bytes = params->total_max_bytes;
	if (params->total_max_bytes < PARAMS_MIN_CAP)
		return -ERANGE;
	if (params->pool_max_bytes < PARAMS_MIN_CAP)
		return -ERANGE;
	if (params->pool_max_bytes > params->total_max_bytes)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(zcpool_params_resolve);

/**
 * zcpool_params_init() - resolve derived defaults and cross-check the parameters
 *
 * Context: module init, before any pool can exist.
 * Return: 0, or -EINVAL/-ERANGE (with a message) when the parameters conflict.
 */
int zcpool_params_init(void)
{
	u64 ram_bytes = (u64)totalram_pages() << PAGE_SHIFT;
	int ret;

	ret = zcpool_params_resolve(&zcpool_params, ram_bytes);
	if (ret)
		pr_err("bad limits: pool_max_bytes=%llu total_max_bytes=%llu (%d)\n",
		       zcpool_params.pool_max_bytes, zcpool_params.total_max_bytes, ret);
	return ret;
}

static int chunk_order_set(const char *val, const struct kernel_param *kp)
{
	return zcpool_params_parse_chunk_order(val, kp->arg);
}

static int bytes_set(const char *val, const struct kernel_param *kp)
{
	return zcpool_params_parse_bytes(val, kp->arg);
}

static int bytes_get(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%llu\n", *(u64 *)kp->arg);
}

static const struct kernel_param_ops chunk_order_ops = {
	.set = chunk_order_set,
	.get = param_get_uint,
};

static const struct kernel_param_ops bytes_ops = {
	.set = bytes_set,
	.get = bytes_get,
};

module_param_cb(chunk_order, &chunk_order_ops, &zcpool_params.chunk_order, 0444);
MODULE_PARM_DESC(chunk_order,
		 "Pages per chunk as a power of two (default 10 = 4 MiB with 4 KiB pages; from 3, the largest subpage run, to the page allocator's largest order, at most 15)");

module_param_cb(pool_max_bytes, &bytes_ops, &zcpool_params.pool_max_bytes, 0444);
MODULE_PARM_DESC(pool_max_bytes,
		 "Most bytes one pool may hold, suffixes K/M/G/T allowed (default 0 = total_max_bytes)");

module_param_cb(total_max_bytes, &bytes_ops, &zcpool_params.total_max_bytes, 0444);
MODULE_PARM_DESC(total_max_bytes,
		 "Most bytes all pools together may hold, suffixes K/M/G/T allowed (default 0 = half of RAM)");
