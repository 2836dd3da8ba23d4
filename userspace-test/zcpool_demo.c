// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool_demo: what `make demo` runs in the VM. It opens a pool on
 * /dev/zcpool and prints what the module offers.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/zcpool.h>

#include "zcpool_util.h"

static const char *const feature_names[] = { "info" };

int main(void)
{
	struct zcpool_info info;
	unsigned int bit;
	int fd;

	fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "zcpool_demo: open %s: %s\n", ZCPOOL_DEV, strerror(errno));
		return 1;
	}
	if (ioctl(fd, ZCPOOL_IOC_INFO, &info)) {
		fprintf(stderr, "zcpool_demo: ZCPOOL_IOC_INFO: %s\n", strerror(errno));
		return 1;
	}
	printf("zcpool ABI %u.%u\n", info.abi_major, info.abi_minor);
	printf("  page size     %u bytes\n", info.page_size);
	printf("  chunk         %llu KiB (order %u)\n",
	       ((unsigned long long)info.page_size << info.chunk_order) >> 10,
	       info.chunk_order);
	printf("  pool cap      %llu MiB\n", (unsigned long long)info.pool_max_bytes >> 20);
	printf("  total cap     %llu MiB\n", (unsigned long long)info.total_max_bytes >> 20);
	printf("  features     ");
	for (bit = 0; bit < 64; bit++) {
		if (!(info.features & (1ULL << bit)))
			continue;
		if (bit < sizeof(feature_names) / sizeof(feature_names[0]))
			printf(" %s", feature_names[bit]);
		else
			printf(" bit%u", bit);
	}
	printf("\n");
	close(fd);
	return 0;
}
