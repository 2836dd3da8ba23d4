/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Linked first into zcpool.ko only by scripts/bench --text-pad N: N bytes
 * of int3 ahead of the module's code move every function by N bytes and
 * change nothing else. Under QEMU's TCG, where the benchmarks run, where
 * code lands changes how the emulator finds and chains translated blocks;
 * comparing runs with and without the padding measures how much of a
 * figure is that rather than the code.
 */
	.section .text, "ax"
	.skip ZCPOOL_TEXT_PAD, 0xcc
