// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool_test.ko: the KUnit suites of zcpool. Each tests/<area>_test.c holds
 * the suite zcpool_<area>; they reach zcpool.ko's internals through symbols
 * exported only to KUnit (EXPORT_SYMBOL_IF_KUNIT), and its pool API through
 * the ZCPOOL symbol namespace.
 */

#include <linux/module.h>

MODULE_DESCRIPTION("KUnit tests for zcpool");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_IMPORT_NS(ZCPOOL);
