/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The seed parameters of the randomized KUnit cases (pool_seed=, ...),
 * read where the kernel has not set them yet.
 */
#ifndef _ZCPOOL_TEST_SEED_H
#define _ZCPOOL_TEST_SEED_H

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/string.h>

/**
 * zcpool_test_param() - a parameter of zcpool_test.ko, set or not yet
 * @param: the parameter's variable.
 * @name:  its name.
 *
 * 6.1 runs a module's suites before it parses the module's parameters (at
 * MODULE_STATE_COMING; 6.12 at MODULE_STATE_LIVE, after): there @param is
 * still 0 while the suites run, and the value is read from the module's
 * raw arguments, as insmod passed them.
 *
 * Context: process context, while the suites of zcpool_test.ko run.
 * Return: @param, or the value of @name= in the arguments, or 0.
 */
static inline unsigned int zcpool_test_param(unsigned int param, const char *name)
{
	const char *arg = THIS_MODULE->args;
	size_t len = strlen(name), n;
	unsigned int val;
	char num[12];

	if (param)
		return param;
	while (arg && *arg) {
		arg = skip_spaces(arg);
		n = strcspn(arg, " ");
		if (n > len && n - len - 1 < sizeof(num) && !strncmp(arg, name, len) &&
		    arg[len] == '=') {
			memcpy(num, arg + len + 1, n - len - 1);
			num[n - len - 1] = '\0';
			if (!kstrtouint(num, 0, &val))
				return val;
		}
		arg += n;
	}
	return 0;
}

/* A randomized case's seed: its parameter, else a new one (never 0). */
static inline unsigned int zcpool_test_seed(unsigned int param, const char *name)
{
	unsigned int seed = zcpool_test_param(param, name);

	while (!seed)
		seed = get_random_u32();
	return seed;
}

#endif /* _ZCPOOL_TEST_SEED_H */
