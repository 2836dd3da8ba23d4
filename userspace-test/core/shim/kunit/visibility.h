/* SPDX-License-Identifier: GPL-2.0 */
/* User-space shim: without KUnit, test-only visibility means nothing. */
#ifndef _SHIM_KUNIT_VISIBILITY_H
#define _SHIM_KUNIT_VISIBILITY_H

#define VISIBLE_IF_KUNIT
#define EXPORT_SYMBOL_IF_KUNIT(symbol)

#endif
