/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Zero-copy IO plumbing shared by zerocopy_test and zcpool_demo: pool buffers
 * (an allocation and its mapping), seeded fill patterns, the ramdisk
 * filesystem that O_DIRECT needs, loopback TCP and the MSG_ZEROCOPY
 * completion queue. Functions return 0 or a negative errno and print nothing,
 * so that each caller reports failures its own way.
 */
#ifndef _ZCPOOL_IO_H
#define _ZCPOOL_IO_H

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <linux/zcpool.h>

/*
 * Where O_DIRECT runs: the first brd ramdisk, formatted by busybox mke2fs
 * (ext2, mounted by the ext4 driver: CONFIG_EXT4_USE_FOR_EXT2). tmpfs is no
 * use here, it has no O_DIRECT before 6.6.
 */
#define ZC_IO_BLOCKDEV	"/dev/ram0"
#define ZC_IO_MNT	"/mnt/zcpool-io"
#define ZC_EXT_MAGIC	0xEF53	/* ext2, ext3 and ext4 share it */

/* One allocation of a pool and a MAP_SHARED mapping of its pages. */
struct zc_buf {
	__u64 offset;		/* in the pool window */
	size_t size;		/* bytes asked for */
	unsigned char *data;	/* the allocation's first byte, mapped */
	void *map;		/* what mmap returned (page aligned) */
	size_t map_len;
};

static inline size_t zc_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Map the pages holding [offset, offset + size) of the pool window. */
static inline int zc_buf_map(int pool, __u64 offset, size_t size, struct zc_buf *b)
{
	size_t page = zc_page_size();
	__u64 start = offset & ~(__u64)(page - 1);
	size_t lead = offset - start;

	b->offset = offset;
	b->size = size;
	b->map_len = (lead + size + page - 1) & ~(page - 1);
	b->map = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, pool, start);
	if (b->map == MAP_FAILED)
		return -errno;
	b->data = (unsigned char *)b->map + lead;
	return 0;
}

static inline void zc_buf_unmap(struct zc_buf *b)
{
	if (b->map && b->map != MAP_FAILED)
		munmap(b->map, b->map_len);
	b->map = NULL;
	b->data = NULL;
}

/* ZCPOOL_IOC_ALLOC, then map the allocation. */
static inline int zc_buf_alloc(int pool, size_t size, size_t align, struct zc_buf *b)
{
	struct zcpool_alloc req = { .size = size, .align = align };
	struct zcpool_free rel = { 0 };
	int ret;

	memset(b, 0, sizeof(*b));
	if (ioctl(pool, ZCPOOL_IOC_ALLOC, &req))
		return -errno;
	ret = zc_buf_map(pool, req.offset, size, b);
	if (ret) {
		rel.offset = req.offset;
		ioctl(pool, ZCPOOL_IOC_FREE, &rel);
	}
	return ret;
}

static inline int zc_buf_free(int pool, struct zc_buf *b)
{
	struct zcpool_free rel = { .offset = b->offset };

	return ioctl(pool, ZCPOOL_IOC_FREE, &rel) ? -errno : 0;
}

/* xorshift64*: a cheap, seeded byte stream that no bug produces by accident. */
static inline uint64_t zc_rand_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Fill @len bytes with the stream of @seed; the same seed gives the same bytes. */
static inline void zc_io_fill(void *buf, size_t len, uint64_t seed)
{
	uint64_t state = seed | 1, word;
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		word = zc_rand_next(&state);
		memcpy(p + i, &word, 8);
	}
	word = zc_rand_next(&state);
	memcpy(p + i, &word, len - i);
}

/* Index of the first byte that differs from zc_io_fill(@seed), or -1. */
static inline long zc_io_check(const void *buf, size_t len, uint64_t seed)
{
	unsigned char *want = malloc(len + 8);
	const unsigned char *got = buf;
	long bad = -1;
	size_t i;

	if (!want)
		return 0;	/* cannot tell: report a mismatch, never a pass */
	zc_io_fill(want, len, seed);
	if (memcmp(want, got, len)) {
		for (i = 0; i < len; i++) {
			if (want[i] != got[i]) {
				bad = (long)i;
				break;
			}
		}
	}
	free(want);
	return bad;
}

/* Index of the first non-zero byte, or -1. */
static inline long zc_first_nonzero(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return (long)i;
	return -1;
}

/*
 * Make ZC_IO_MNT a mounted block-backed filesystem (format and mount the
 * ramdisk unless that is already done); fills @dir with the path.
 */
static inline int zc_io_fs_ready(const char **dir)
{
	struct statfs sfs;
	struct stat st;
	int status;

	*dir = ZC_IO_MNT;
	if (!statfs(ZC_IO_MNT, &sfs) && sfs.f_type == ZC_EXT_MAGIC)
		return 0;
	if (stat(ZC_IO_BLOCKDEV, &st) || !S_ISBLK(st.st_mode))
		return -ENODEV;	/* brd is not loaded */
	status = system("mke2fs -q -F -b 4096 " ZC_IO_BLOCKDEV " >/dev/null 2>&1");
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -EIO;
	if (mkdir(ZC_IO_MNT, 0755) && errno != EEXIST)
		return -errno;
	if (mount(ZC_IO_BLOCKDEV, ZC_IO_MNT, "ext4", 0, NULL) &&
	    mount(ZC_IO_BLOCKDEV, ZC_IO_MNT, "ext2", 0, NULL))
		return -errno;
	return 0;
}

/* Bring the loopback interface up (an initramfs boots with it down). */
static inline int zc_loopback_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = 0;

	if (fd < 0)
		return -errno;
	strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ret = -errno;
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr))
			ret = -errno;
	}
	close(fd);
	return ret;
}

/* A connected loopback TCP pair: *tx connects, *rx is the accepted end. */
static inline int zc_tcp_pair(int *tx, int *rx)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t alen = sizeof(addr);
	int lsn, ret;

	*tx = *rx = -1;
	ret = zc_loopback_up();
	if (ret)
		return ret;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lsn = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lsn < 0)
		return -errno;
	if (bind(lsn, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(lsn, 1) ||
	    getsockname(lsn, (struct sockaddr *)&addr, &alen))
		goto err;
	*tx = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*tx < 0)
		goto err;
	if (connect(*tx, (struct sockaddr *)&addr, sizeof(addr)))
		goto err;
	*rx = accept4(lsn, NULL, NULL, SOCK_CLOEXEC);
	if (*rx < 0)
		goto err;
	close(lsn);
	return 0;
err:
	ret = -errno;
	if (*tx >= 0)
		close(*tx);
	*tx = -1;
	close(lsn);
	return ret;
}

/*
 * MSG_ZEROCOPY completions (Documentation/networking/msg_zerocopy.rst):
 * every zerocopy sendmsg() gets the next 32-bit id; the error queue reports
 * finished ranges [ee_info, ee_data], with SO_EE_CODE_ZEROCOPY_COPIED when
 * the kernel copied the data after all (loopback delivery always does).
 * Ranges come in order as a rule, but on TCP not always (an skb still
 * queued for retransmission holds its range after a later one is freed),
 * so which ids are done is kept id by id: a buffer may be reused once
 * every id below @done_below has completed.
 */
#define ZC_ID_WINDOW	4096	/* ids a sender may have in flight */

struct zc_completions {
	uint32_t next_id;	/* ids handed out so far */
	uint32_t done;		/* ids reported complete */
	uint32_t done_below;	/* every id below this has completed */
	uint32_t copied;	/* of those, reported as copied */
	uint32_t notes;		/* notifications read */
	uint32_t expect_lo;	/* where the next range starts if they come in order */
	uint32_t out_of_order;	/* ranges that started elsewhere */
	uint64_t early[ZC_ID_WINDOW / 64];	/* done ids from @done_below on, by id % window */
};

/*
 * Mark ids @lo..@hi complete (@hi below next_id, checked by the caller).
 * An id reported twice, one below @done_below or one past the window is
 * -EPROTO, and then none of the range is marked.
 */
static inline int zc_mark_done(struct zc_completions *c, uint32_t lo, uint32_t hi)
{
	uint32_t id, bit;

	for (id = lo; id <= hi; id++) {
		bit = id % ZC_ID_WINDOW;
		if (id < c->done_below || id - c->done_below >= ZC_ID_WINDOW ||
		    c->early[bit / 64] & (1ULL << (bit % 64)))
			return -EPROTO;
	}
	for (id = lo; id <= hi; id++) {
		bit = id % ZC_ID_WINDOW;
		c->early[bit / 64] |= 1ULL << (bit % 64);
	}
	for (;;) {
		bit = c->done_below % ZC_ID_WINDOW;
		if (!(c->early[bit / 64] & (1ULL << (bit % 64))))
			return 0;
		c->early[bit / 64] &= ~(1ULL << (bit % 64));
		c->done_below++;
	}
}

/*
 * Read every queued completion notification; with @wait_ms > 0, first wait
 * up to that long for one. Returns the ids completed by this call or -errno
 * (-EPROTO for a notification that is not a zerocopy completion of ids
 * handed out and not yet completed).
 */
static inline int zc_reap(int fd, struct zc_completions *c, int wait_ms)
{
	char control[128];
	struct msghdr msg;
	struct cmsghdr *cm;
	struct sock_extended_err *ee;
	struct pollfd pfd = { .fd = fd, .events = 0 };
	int got = 0;

	if (wait_ms > 0 && poll(&pfd, 1, wait_ms) < 0)
		return -errno;
	for (;;) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
			if (errno == EAGAIN)
				return got;
			return -errno;
		}
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level != SOL_IP || cm->cmsg_type != IP_RECVERR)
				continue;
			ee = (struct sock_extended_err *)CMSG_DATA(cm);
			if (ee->ee_origin != SO_EE_ORIGIN_ZEROCOPY || ee->ee_errno ||
			    ee->ee_data < ee->ee_info || ee->ee_data >= c->next_id ||
			    zc_mark_done(c, ee->ee_info, ee->ee_data))
				return -EPROTO;
			if (ee->ee_info != c->expect_lo)
				c->out_of_order++;
			c->expect_lo = ee->ee_data + 1;
			c->notes++;
			c->done += ee->ee_data - ee->ee_info + 1;
			got += ee->ee_data - ee->ee_info + 1;
			if (ee->ee_code & SO_EE_CODE_ZEROCOPY_COPIED)
				c->copied += ee->ee_data - ee->ee_info + 1;
		}
	}
}

/*
 * A sender's wait for completions, up to 100 ms: the ids completed, or
 * -errno; when none came, the socket's pending error (a reset connection
 * sets POLLERR with an empty error queue), so that the wait cannot spin
 * on a socket that will never complete anything.
 */
static inline int zc_await_completions(int fd, struct zc_completions *c)
{
	socklen_t len = sizeof(int);
	int ret = zc_reap(fd, c, 100), err = 0;

	if (ret)
		return ret;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -errno;
	return -err;
}

/*
 * Send all of @buf with MSG_ZEROCOPY (SO_ZEROCOPY must be on). A send the
 * socket's option memory cannot track yet (ENOBUFS) waits for completions.
 */
static inline int zc_send_zerocopy(int fd, const void *buf, size_t len,
				   struct zc_completions *c)
{
	const char *p = buf;
	ssize_t n;
	int ret;

	while (len) {
		/* No more ids in flight than zc_mark_done() can place. */
		if (c->next_id - c->done_below >= ZC_ID_WINDOW) {
			ret = zc_await_completions(fd, c);
			if (ret < 0)
				return ret;
			continue;
		}
		n = send(fd, p, len, MSG_ZEROCOPY);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ENOBUFS)
				return -errno;
			ret = zc_await_completions(fd, c);
			if (ret < 0)
				return ret;
			continue;
		}
		c->next_id++;
		p += n;
		len -= n;
	}
	return 0;
}

/* Wait until every id handed out has completed, at most @timeout_ms. */
static inline int zc_reap_all(int fd, struct zc_completions *c, int timeout_ms)
{
	int waited = 0, ret;

	while (c->done_below < c->next_id) {
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		ret = zc_reap(fd, c, 10);
		if (ret < 0)
			return ret;
		if (!ret)
			waited += 10;
	}
	return 0;
}

/* The running kernel's version as major * 1000 + minor (6.12 -> 6012). */
static inline int zc_kernel_version(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 0;
	return major * 1000 + minor;
}

#endif /* _ZCPOOL_IO_H */
