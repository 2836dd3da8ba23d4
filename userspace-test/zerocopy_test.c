// SPDX-License-Identifier: GPL-2.0
/*
 * Zero-copy IO straight from pool memory. Pool pages are mapped as ordinary
 * refcounted struct pages, so get_user_pages() works on them and with it
 * every kernel path that pins user memory instead of copying it:
 *  - O_DIRECT reads and writes of a file on a block device (brd + the ext4
 *    driver), the data checked through a second mapping;
 *  - MSG_ZEROCOPY over loopback TCP, with the completion notifications;
 *  - vmsplice() of pool pages into a pipe (the pipe holds the pages, not a
 *    copy), then splice() to a file or a socket;
 *  - io_uring fixed buffers: 6.1 refuses every file-backed mapping other
 *    than shmem and hugetlbfs with EOPNOTSUPP (io_sqe_buffer_register() in
 *    io_uring/rsrc.c); since 6.5 ("io_uring: rsrc: delegate VMA file-backed
 *    check to GUP") GUP decides, and it pins pool pages. The expectation
 *    follows the running kernel's version.
 * And the other side of it: IO never sees bytes the pool did not put there
 * (fresh pages are zero, another pool's data never shows), and IO on a
 * range with no live allocation fails with EFAULT instead of reaching
 * memory that is no longer the caller's.
 *
 * Patterns come from a seed printed at the start; ZCPOOL_SEED=N replays it.
 * Runs with zcpool.ko loaded and brd available (/dev/ram0).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/io_uring.h>
#include <linux/zcpool.h>

#include "kselftest_harness.h"
#include "zcpool_util.h"
#include "zcpool_pool.h"
#include "zcpool_io.h"

/* Kernels from this one on let GUP decide on io_uring fixed buffers. */
#define IO_URING_GUP_DECIDES	6005	/* 6.5 */

static uint64_t seed;

static void __attribute__((constructor)) pick_seed(void)
{
	const char *env = getenv("ZCPOOL_SEED");

	seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	printf("# zerocopy_test: seed %" PRIu64 " (replay: ZCPOOL_SEED=%" PRIu64 ")\n",
	       seed, seed);
}

/* What every test here needs: a pool and a file on the ramdisk. */
struct io_env {
	int pool;
	int direct;	/* the file opened with O_DIRECT */
	int plain;	/* the same file through the page cache */
	char path[64];
};

static void io_env_setup(struct __test_metadata *_metadata, struct io_env *env)
{
	struct zcpool_info info;
	const char *dir;
	int ret;

	env->pool = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, env->pool) TH_LOG("open %s: %s", ZCPOOL_DEV, strerror(errno));
	ASSERT_EQ(0, ioctl(env->pool, ZCPOOL_IOC_INFO, &info));
	ASSERT_TRUE(info.features & ZCPOOL_FEATURE_ALLOC);
	ASSERT_TRUE(info.features & ZCPOOL_FEATURE_MMAP);
	ret = zc_io_fs_ready(&dir);
	ASSERT_EQ(0, ret) TH_LOG("a filesystem on %s at %s: %s", ZC_IO_BLOCKDEV,
				 ZC_IO_MNT, strerror(-ret));
	snprintf(env->path, sizeof(env->path), "%s/io-%d", dir, getpid());
	env->direct = open(env->path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0600);
	ASSERT_LE(0, env->direct) TH_LOG("open %s O_DIRECT: %s", env->path, strerror(errno));
	env->plain = open(env->path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, env->plain);
}

static void io_env_teardown(struct io_env *env)
{
	close(env->plain);
	close(env->direct);
	unlink(env->path);
	close(env->pool);
}

/* The file's first @len bytes through the page cache, in a malloc()ed buffer. */
static unsigned char *read_plain(struct __test_metadata *_metadata, int fd, size_t len)
{
	unsigned char *buf = malloc(len);

	EXPECT_NE(NULL, buf);
	if (!buf)
		return NULL;
	EXPECT_EQ((ssize_t)len, pread(fd, buf, len, 0));
	return buf;
}

/* A thread that receives @len bytes from a socket, for the sending side's tests. */
struct receiver {
	pthread_t thread;
	int fd;
	size_t len;
	unsigned char *buf;
	ssize_t got;
};

static void *receive_all(void *arg)
{
	struct receiver *r = arg;

	r->got = recv(r->fd, r->buf, r->len, MSG_WAITALL);
	return NULL;
}

static int receiver_start(struct receiver *r, int fd, size_t len)
{
	r->fd = fd;
	r->len = len;
	r->got = -1;
	r->buf = calloc(1, len);
	if (!r->buf)
		return -ENOMEM;
	return -pthread_create(&r->thread, NULL, receive_all, r);
}

static ssize_t receiver_join(struct receiver *r)
{
	pthread_join(r->thread, NULL);
	return r->got;
}

/* --- O_DIRECT ------------------------------------------------------------ */

FIXTURE(odirect) {
	struct io_env env;
};

FIXTURE_VARIANT(odirect) {
	size_t size;
	size_t align;
};

/* A subpage object: DIO needs 512-byte (logical block) alignment, not a page. */
FIXTURE_VARIANT_ADD(odirect, subpage_2k) { .size = 2048, .align = 2048 };
FIXTURE_VARIANT_ADD(odirect, page_4k) { .size = 4096 };
FIXTURE_VARIANT_ADD(odirect, run_3_pages) { .size = 3 * 4096 };
FIXTURE_VARIANT_ADD(odirect, run_64k) { .size = 64 << 10 };
FIXTURE_VARIANT_ADD(odirect, run_1m) { .size = 1 << 20 };

FIXTURE_SETUP(odirect)
{
	io_env_setup(_metadata, &self->env);
}

FIXTURE_TEARDOWN(odirect)
{
	io_env_teardown(&self->env);
}

TEST_F(odirect, write_from_pool_then_read_into_pool)
{
	size_t size = variant->size;
	uint64_t s = seed ^ size;
	struct zc_buf src, dst, view;
	unsigned char *plain;

	ASSERT_EQ(0, zc_buf_alloc(self->env.pool, size, variant->align, &src));
	zc_io_fill(src.data, size, s);
	ASSERT_EQ((ssize_t)size, pwrite(self->env.direct, src.data, size, 0))
		TH_LOG("O_DIRECT write from pool memory: %s", strerror(errno));

	/* The write reached the file: the page cache reads it from the disk. */
	plain = read_plain(_metadata, self->env.plain, size);
	ASSERT_NE(NULL, plain);
	EXPECT_EQ(-1, zc_io_check(plain, size, s));
	free(plain);

	/* Read into pages never touched before: GUP faults them in for the IO. */
	ASSERT_EQ(0, zc_buf_alloc(self->env.pool, size, variant->align, &dst));
	ASSERT_EQ((ssize_t)size, pread(self->env.direct, dst.data, size, 0))
		TH_LOG("O_DIRECT read into pool memory: %s", strerror(errno));
	ASSERT_EQ(0, zc_buf_map(self->env.pool, dst.offset, size, &view));
	EXPECT_EQ(-1, zc_io_check(view.data, size, s));
	EXPECT_EQ(-1, zc_io_check(src.data, size, s));

	zc_buf_unmap(&view);
	zc_buf_unmap(&dst);
	zc_buf_unmap(&src);
	EXPECT_EQ(0, zc_buf_free(self->env.pool, &dst));
	EXPECT_EQ(0, zc_buf_free(self->env.pool, &src));
}

TEST_F(odirect, fresh_pool_pages_reach_the_file_as_zeros)
{
	size_t size = variant->size;
	unsigned char *plain;
	struct zc_buf fresh;

	ASSERT_EQ(0, zc_buf_alloc(self->env.pool, size, variant->align, &fresh));
	ASSERT_EQ((ssize_t)size, pwrite(self->env.direct, fresh.data, size, 0));
	plain = read_plain(_metadata, self->env.plain, size);
	ASSERT_NE(NULL, plain);
	EXPECT_EQ(-1, zc_first_nonzero(plain, size));
	free(plain);
	zc_buf_unmap(&fresh);
	EXPECT_EQ(0, zc_buf_free(self->env.pool, &fresh));
}

/*
 * A huge allocation spans several chunks: contiguous in the window, not in
 * physical memory. One O_DIRECT request across a chunk boundary pins pages
 * of both chunks.
 */
FIXTURE(huge) {
	struct io_env env;
};

FIXTURE_SETUP(huge)
{
	io_env_setup(_metadata, &self->env);
}

FIXTURE_TEARDOWN(huge)
{
	io_env_teardown(&self->env);
}

TEST_F(huge, odirect_across_a_chunk_boundary)
{
	enum { SPAN = 1 << 20 };
	struct zc_buf huge, view;
	unsigned char *plain;
	size_t chunk, at;

	chunk = zc_chunk_bytes(self->env.pool);
	ASSERT_NE(0, chunk);
	ASSERT_EQ(0, zc_buf_alloc(self->env.pool, chunk + SPAN, 0, &huge));
	at = chunk - SPAN / 2;
	zc_io_fill(huge.data + at, SPAN, seed + 7);
	ASSERT_EQ(SPAN, pwrite(self->env.direct, huge.data + at, SPAN, 0))
		TH_LOG("O_DIRECT write across chunks: %s", strerror(errno));
	plain = read_plain(_metadata, self->env.plain, SPAN);
	ASSERT_NE(NULL, plain);
	EXPECT_EQ(-1, zc_io_check(plain, SPAN, seed + 7));
	free(plain);

	memset(huge.data + at, 0, SPAN);
	ASSERT_EQ(SPAN, pread(self->env.direct, huge.data + at, SPAN, 0))
		TH_LOG("O_DIRECT read across chunks: %s", strerror(errno));
	ASSERT_EQ(0, zc_buf_map(self->env.pool, huge.offset, chunk + SPAN, &view));
	EXPECT_EQ(-1, zc_io_check(view.data + at, SPAN, seed + 7));
	zc_buf_unmap(&view);
	zc_buf_unmap(&huge);
	EXPECT_EQ(0, zc_buf_free(self->env.pool, &huge));
}

/* --- MSG_ZEROCOPY ---------------------------------------------------------- */

FIXTURE(io) {
	struct io_env env;
};

FIXTURE_SETUP(io)
{
	io_env_setup(_metadata, &self->env);
}

FIXTURE_TEARDOWN(io)
{
	io_env_teardown(&self->env);
}

TEST_F(io, msg_zerocopy_over_loopback_tcp_completes_every_send)
{
	enum { SIZE = 1 << 20, SEND = 64 << 10 };
	struct zc_completions done = { 0 };
	struct receiver rcv;
	struct zc_buf buf;
	int one = 1, tx, rx, ret;
	size_t off;

	ASSERT_EQ(0, zc_buf_alloc(self->env.pool, SIZE, 0, &buf));
	zc_io_fill(buf.data, SIZE, seed);
	ret = zc_tcp_pair(&tx, &rx);
	ASSERT_EQ(0, ret) TH_LOG("loopback TCP: %s", strerror(-ret));
	ASSERT_EQ(0, setsockopt(tx, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)));
	ASSERT_EQ(0, receiver_start(&rcv, rx, SIZE));

	for (off = 0; off < SIZE; off += SEND) {
		ret = zc_send_zerocopy(tx, buf.data + off, SEND, &done);
		ASSERT_EQ(0, ret) TH_LOG("MSG_ZEROCOPY send from pool memory: %s",
					 strerror(-ret));
	}
	ASSERT_EQ(SIZE, receiver_join(&rcv));
	EXPECT_EQ(-1, zc_io_check(rcv.buf, SIZE, seed));

	ret = zc_reap_all(tx, &done, 10000);
	/* Each id once: none twice (zc_reap() fails), none missing. */
	EXPECT_EQ(0, ret) TH_LOG("completions: %u of %u ids", done.done, done.next_id);
	/* Counted apart from the window zc_reap_all() waits on: every id, once. */
	EXPECT_EQ(done.next_id, done.done);
	/* Loopback delivery copies the pinned pages: a figure, not a verdict. */
	ksft_print_msg("msg_zerocopy: %u sends, %u notifications (%u out of order), "
		       "%u copied by the kernel\n",
		       done.next_id, done.notes, done.out_of_order, done.copied);

	free(rcv.buf);
	close(tx);
	close(rx);
	zc_buf_unmap(&buf);
	EXPECT_EQ(0, zc_buf_free(self->env.pool, &buf));
}

/* --- vmsplice and splice ---------------------------------------------------- */

FIXTURE(splice) {
	struct io_env env;
};

FIXTURE_VARIANT(splice) {
	unsigned int vmsplice_flags;
	int to_socket;
};

FIXTURE_VARIANT_ADD(splice, to_file) { .vmsplice_flags = 0 };
FIXTURE_VARIANT_ADD(splice, gift_to_file) { .vmsplice_flags = SPLICE_F_GIFT };
FIXTURE_VARIANT_ADD(splice, to_socket) { .vmsplice_flags = 0, .to_socket = 1 };
FIXTURE_VARIANT_ADD(splice, gift_to_socket) {
	.vmsplice_flags = SPLICE_F_GIFT, .to_socket = 1
};

FIXTURE_SETUP(splice)
{
	io_env_setup(_metadata, &self->env);
}

FIXTURE_TEARDOWN(splice)
{
	io_env_teardown(&self->env);
}

TEST_F(splice, vmsplice_pool_pages_then_splice_out)
{
	enum { SIZE = 256 << 10, PIPE = 64 << 10 };
	int pipefd[2], tx = -1, rx = -1, dest, ret;
	struct receiver rcv = { 0 };
	struct zc_buf buf;
	loff_t file_off = 0;
	size_t done = 0;
	ssize_t n, m;

	ASSERT_EQ(0, zc_buf_alloc(self->env.pool, SIZE, 0, &buf));
	zc_io_fill(buf.data, SIZE, seed + 1);
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	if (variant->to_socket) {
		ret = zc_tcp_pair(&tx, &rx);
		ASSERT_EQ(0, ret) TH_LOG("loopback TCP: %s", strerror(-ret));
		ASSERT_EQ(0, receiver_start(&rcv, rx, SIZE));
		dest = tx;
	} else {
		dest = self->env.plain;
	}

	while (done < SIZE) {
		struct iovec iov = { .iov_base = buf.data + done, .iov_len = PIPE };

		n = vmsplice(pipefd[1], &iov, 1, variant->vmsplice_flags);
		ASSERT_LT(0, n) TH_LOG("vmsplice of pool pages: %s", strerror(errno));
		while (n > 0) {
			m = splice(pipefd[0], NULL, dest, variant->to_socket ? NULL : &file_off,
				   n, SPLICE_F_MOVE);
			ASSERT_LT(0, m) TH_LOG("splice out of the pipe: %s", strerror(errno));
			n -= m;
			done += m;
		}
	}

	if (variant->to_socket) {
		ASSERT_EQ(SIZE, receiver_join(&rcv));
		EXPECT_EQ(-1, zc_io_check(rcv.buf, SIZE, seed + 1));
		free(rcv.buf);
		close(tx);
		close(rx);
	} else {
		unsigned char *plain = read_plain(_metadata, self->env.plain, SIZE);

		ASSERT_NE(NULL, plain);
		EXPECT_EQ(-1, zc_io_check(plain, SIZE, seed + 1));
		free(plain);
	}
	close(pipefd[0]);
	close(pipefd[1]);
	zc_buf_unmap(&buf);
	EXPECT_EQ(0, zc_buf_free(self->env.pool, &buf));
}

/*
 * vmsplice() without SPLICE_F_GIFT puts references to the pool's pages in
 * the pipe: bytes written through another mapping before the pipe is read
 * are what the reader gets. A copy would still show the old bytes.
 */
TEST_F(io, pipe_holds_the_pool_pages_not_a_copy)
{
	enum { SIZE = 16 << 10 };
	struct zc_buf buf, view;
	unsigned char *out;
	struct iovec iov;
	int pipefd[2];

	ASSERT_EQ(0, zc_buf_alloc(self->env.pool, SIZE, 0, &buf));
	ASSERT_EQ(0, zc_buf_map(self->env.pool, buf.offset, SIZE, &view));
	zc_io_fill(buf.data, SIZE, seed + 2);
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	iov.iov_base = buf.data;
	iov.iov_len = SIZE;
	ASSERT_EQ(SIZE, vmsplice(pipefd[1], &iov, 1, 0));

	zc_io_fill(view.data, SIZE, seed + 3);
	out = malloc(SIZE);
	ASSERT_NE(NULL, out);
	ASSERT_EQ(SIZE, read(pipefd[0], out, SIZE));
	EXPECT_EQ(-1, zc_io_check(out, SIZE, seed + 3));

	free(out);
	close(pipefd[0]);
	close(pipefd[1]);
	zc_buf_unmap(&view);
	zc_buf_unmap(&buf);
	EXPECT_EQ(0, zc_buf_free(self->env.pool, &buf));
}

/* --- io_uring fixed buffers, through raw system calls --------------------- */

struct uring {
	int fd;
	void *sq_ring, *cq_ring;
	size_t sq_ring_len, cq_ring_len, sqes_len;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	unsigned int *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
};

static void uring_exit(struct uring *u)
{
	if (u->sqes && u->sqes != MAP_FAILED)
		munmap(u->sqes, u->sqes_len);
	if (u->cq_ring && u->cq_ring != MAP_FAILED && u->cq_ring != u->sq_ring)
		munmap(u->cq_ring, u->cq_ring_len);
	if (u->sq_ring && u->sq_ring != MAP_FAILED)
		munmap(u->sq_ring, u->sq_ring_len);
	if (u->fd >= 0)
		close(u->fd);
}

static int uring_init(struct uring *u, unsigned int entries)
{
	struct io_uring_params p = { 0 };
	char *sq, *cq;

	memset(u, 0, sizeof(*u));
	u->fd = syscall(__NR_io_uring_setup, entries, &p);
	if (u->fd < 0)
		return -errno;
	u->sq_ring_len = p.sq_off.array + p.sq_entries * sizeof(__u32);
	u->cq_ring_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		if (u->cq_ring_len > u->sq_ring_len)
			u->sq_ring_len = u->cq_ring_len;
		u->cq_ring_len = u->sq_ring_len;
	}
	u->sq_ring = mmap(NULL, u->sq_ring_len, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQ_RING);
	if (u->sq_ring == MAP_FAILED)
		goto err;
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		u->cq_ring = u->sq_ring;
	else
		u->cq_ring = mmap(NULL, u->cq_ring_len, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_CQ_RING);
	if (u->cq_ring == MAP_FAILED)
		goto err;
	u->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	u->sqes = mmap(NULL, u->sqes_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQES);
	if (u->sqes == MAP_FAILED)
		goto err;
	sq = u->sq_ring;
	cq = u->cq_ring;
	u->sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	u->sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	u->sq_array = (unsigned int *)(sq + p.sq_off.array);
	u->cq_head = (unsigned int *)(cq + p.cq_off.head);
	u->cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	u->cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	u->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
err:
	{
		int ret = -errno;

		uring_exit(u);
		return ret;
	}
}

static int uring_register_buffer(struct uring *u, void *addr, size_t len)
{
	struct iovec iov = { .iov_base = addr, .iov_len = len };

	if (syscall(__NR_io_uring_register, u->fd, IORING_REGISTER_BUFFERS, &iov, 1))
		return -errno;
	return 0;
}

/* One READ_FIXED/WRITE_FIXED of registered buffer 0; its result (bytes or -errno). */
static int uring_rw_fixed(struct uring *u, __u8 opcode, int fd, void *addr,
			  unsigned int len, __u64 off)
{
	unsigned int tail = *u->sq_tail, idx = tail & *u->sq_mask, head;
	struct io_uring_sqe *sqe = &u->sqes[idx];
	int res;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = opcode;
	sqe->fd = fd;
	sqe->addr = (__u64)(uintptr_t)addr;
	sqe->len = len;
	sqe->off = off;
	sqe->buf_index = 0;
	u->sq_array[idx] = idx;
	__atomic_store_n(u->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, u->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	head = *u->cq_head;
	if (head == __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE))
		return -EIO;	/* GETEVENTS returned without the completion */
	res = u->cqes[head & *u->cq_mask].res;
	__atomic_store_n(u->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

/* Write half of @buf to the file and read it back into the other half. */
static void uring_round_trip(struct __test_metadata *_metadata, struct uring *u,
			     int file, unsigned char *buf, size_t size, uint64_t s)
{
	size_t half = size / 2;

	zc_io_fill(buf, half, s);
	EXPECT_EQ((int)half, uring_rw_fixed(u, IORING_OP_WRITE_FIXED, file, buf, half, 0));
	EXPECT_EQ((int)half, uring_rw_fixed(u, IORING_OP_READ_FIXED, file, buf + half, half, 0));
}

TEST_F(io, io_uring_fixed_buffer_from_pool_memory)
{
	enum { SIZE = 128 << 10 };
	int version = zc_kernel_version();
	struct zc_buf buf, view;
	struct uring u;
	int ret;

	ASSERT_EQ(0, zc_buf_alloc(self->env.pool, SIZE, 0, &buf));
	ret = uring_init(&u, 4);
	ASSERT_EQ(0, ret) TH_LOG("io_uring_setup: %s", strerror(-ret));
	ret = uring_register_buffer(&u, buf.data, SIZE);
	if (version < IO_URING_GUP_DECIDES) {
		/* 6.1's io_sqe_buffer_register(): file-backed, not shmem/hugetlbfs. */
		EXPECT_EQ(-EOPNOTSUPP, ret);
		if (ret == -EOPNOTSUPP)
			ksft_print_msg("io_uring: kernel %d.%d refuses pool memory as a fixed buffer (EOPNOTSUPP), as documented\n",
				       version / 1000, version % 1000);
	} else {
		ASSERT_EQ(0, ret) TH_LOG("registering pool memory: %s", strerror(-ret));
		uring_round_trip(_metadata, &u, self->env.direct, buf.data, SIZE, seed + 4);
		ASSERT_EQ(0, zc_buf_map(self->env.pool, buf.offset, SIZE, &view));
		EXPECT_EQ(-1, zc_io_check(view.data + SIZE / 2, SIZE / 2, seed + 4));
		zc_buf_unmap(&view);
		ksft_print_msg("io_uring: kernel %d.%d pins pool memory as a fixed buffer; WRITE_FIXED and READ_FIXED ran\n",
			       version / 1000, version % 1000);
	}
	uring_exit(&u);
	zc_buf_unmap(&buf);
	EXPECT_EQ(0, zc_buf_free(self->env.pool, &buf));
}

/* The control: the same ring and calls work on anonymous memory everywhere. */
TEST_F(io, io_uring_fixed_buffer_from_anonymous_memory)
{
	enum { SIZE = 128 << 10 };
	unsigned char *anon;
	struct uring u;
	int ret;

	anon = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, anon);
	ret = uring_init(&u, 4);
	ASSERT_EQ(0, ret) TH_LOG("io_uring_setup: %s", strerror(-ret));
	ASSERT_EQ(0, uring_register_buffer(&u, anon, SIZE));
	uring_round_trip(_metadata, &u, self->env.direct, anon, SIZE, seed + 5);
	EXPECT_EQ(-1, zc_io_check(anon + SIZE / 2, SIZE / 2, seed + 5));
	uring_exit(&u);
	munmap(anon, SIZE);
}

/* --- IO never reaches memory that is not the caller's ----------------------- */

/* Each way of pinning pool memory, tried on @data; every one must fail with EFAULT. */
static void expect_io_efault(struct __test_metadata *_metadata, struct io_env *env,
			     unsigned char *data, size_t size)
{
	struct zc_completions done = { 0 };
	struct iovec iov = { .iov_base = data, .iov_len = size };
	unsigned char *filler = calloc(1, size);
	int one = 1, tx, rx, pipefd[2];

	/* File data to read: a read at the end of the file would not touch memory. */
	ASSERT_NE(NULL, filler);
	ASSERT_EQ((ssize_t)size, pwrite(env->plain, filler, size, 0));
	ASSERT_EQ(0, fsync(env->plain));
	free(filler);

	EXPECT_EQ(-1, pwrite(env->direct, data, size, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, pread(env->direct, data, size, 0));
	EXPECT_EQ(EFAULT, errno);

	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	EXPECT_EQ(-1, vmsplice(pipefd[1], &iov, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	close(pipefd[0]);
	close(pipefd[1]);

	ASSERT_EQ(0, zc_tcp_pair(&tx, &rx));
	ASSERT_EQ(0, setsockopt(tx, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)));
	EXPECT_EQ(-EFAULT, zc_send_zerocopy(tx, data, size, &done));
	close(tx);
	close(rx);
}

TEST_F(io, io_on_a_freed_never_touched_allocation_is_efault)
{
	enum { SIZE = 64 << 10 };
	struct zc_buf buf;

	ASSERT_EQ(0, zc_buf_alloc(self->env.pool, SIZE, 0, &buf));
	ASSERT_EQ(0, zc_buf_free(self->env.pool, &buf));
	/* No live allocation behind the mapping: a fault is SIGBUS, GUP says EFAULT. */
	expect_io_efault(_metadata, &self->env, buf.data, SIZE);
	zc_buf_unmap(&buf);
}

TEST_F(io, io_after_free_with_zap_on_free_is_efault)
{
	enum { SIZE = 64 << 10 };
	struct zcpool_limits lim = { .flags = ZCPOOL_POOL_ZAP_ON_FREE };
	struct zc_buf buf;

	ASSERT_EQ(0, ioctl(self->env.pool, ZCPOOL_IOC_LIMITS, &lim));
	ASSERT_EQ(0, zc_buf_alloc(self->env.pool, SIZE, 0, &buf));
	zc_io_fill(buf.data, SIZE, seed + 6);	/* every page mapped now */
	ASSERT_EQ(0, zc_buf_free(self->env.pool, &buf));
	expect_io_efault(_metadata, &self->env, buf.data, SIZE);
	zc_buf_unmap(&buf);
}

/* Pipe every byte of @data through vmsplice(); the index of the first non-zero or -1. */
static long first_nonzero_through_a_pipe(struct __test_metadata *_metadata,
					 unsigned char *data, size_t size)
{
	enum { STEP = 64 << 10 };
	unsigned char *out = malloc(STEP);
	long bad = -1, at;
	struct iovec iov;
	int pipefd[2];
	size_t off, len;

	EXPECT_NE(NULL, out);
	EXPECT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	if (!out)
		return 0;
	for (off = 0; off < size && bad < 0; off += len) {
		len = size - off < STEP ? size - off : STEP;
		iov.iov_base = data + off;
		iov.iov_len = len;
		EXPECT_EQ((ssize_t)len, vmsplice(pipefd[1], &iov, 1, 0));
		EXPECT_EQ((ssize_t)len, read(pipefd[0], out, len));
		at = zc_first_nonzero(out, len);
		if (at >= 0)
			bad = (long)off + at;
	}
	close(pipefd[0]);
	close(pipefd[1]);
	free(out);
	return bad;
}

/*
 * Pool A fills a chunk's worth of memory and lives on, then dies; a pool
 * made after each step hands its fresh pages straight to IO, never
 * touching them from user space, and the IO sees zeros only.
 */
TEST_F(io, another_pools_bytes_never_reach_io)
{
	struct zcpool_info info;
	struct zc_buf a, b, c;
	size_t size;
	int pool_a, pool_b, pool_c;

	ASSERT_EQ(0, ioctl(self->env.pool, ZCPOOL_IOC_INFO, &info));
	size = (size_t)info.page_size << info.chunk_order;
	pool_a = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, pool_a);
	ASSERT_EQ(0, zc_buf_alloc(pool_a, size, 0, &a));
	memset(a.data, 0xa5, size);

	pool_b = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, pool_b);
	ASSERT_EQ(0, zc_buf_alloc(pool_b, size, 0, &b));
	EXPECT_EQ(-1, first_nonzero_through_a_pipe(_metadata, b.data, size));

	zc_buf_unmap(&a);
	close(pool_a);	/* the last reference: pool A's chunks go back */
	pool_c = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, pool_c);
	ASSERT_EQ(0, zc_buf_alloc(pool_c, size, 0, &c));
	EXPECT_EQ(-1, first_nonzero_through_a_pipe(_metadata, c.data, size));

	zc_buf_unmap(&c);
	zc_buf_unmap(&b);
	close(pool_c);
	close(pool_b);
}

/*
 * FREE leaves a mapping in place (like free(3)); once the pool gives the
 * chunk back, its pages are zapped first. Page runs fill 16 chunks, marked
 * and mapped, are freed and given back (drop_caches runs the shrinker);
 * another pool then takes 16 chunks and marks them, and gets many of the
 * same pages (infoleak_test counts them by frame). O_DIRECT writes from
 * every run's first page of the stale mapping must each fail with EFAULT
 * or carry the pool's own old bytes, never what the other pool wrote.
 */
TEST_F_TIMEOUT(io, freed_but_mapped_memory_never_carries_another_pools_bytes, 120)
{
	enum { CHUNKS = 16 };
	size_t page = zc_page_size(), chunk, run, nr, len = 0, i, j;
	size_t efault = 0, own = 0, foreign = 0;
	struct zc_buf other[CHUNKS];
	unsigned char *stale, *plain;
	uint64_t *offs;
	int pool_b;
	ssize_t n;

	ASSERT_EQ(0, zc_pin_to_one_cpu());
	chunk = zc_chunk_bytes(self->env.pool);
	ASSERT_NE(0, chunk);
	run = ZCPOOL_RUN_MAX_PAGES * page;
	nr = CHUNKS * chunk / run;
	offs = calloc(nr, sizeof(*offs));
	ASSERT_NE(NULL, offs);
	for (i = 0; i < nr; i++) {
		ASSERT_EQ(0, zc_alloc(self->env.pool, run, 0, 0, &offs[i]));
		len = offs[i] + run > len ? offs[i] + run : len;
	}
	stale = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->env.pool, 0);
	ASSERT_NE(MAP_FAILED, stale);
	for (i = 0; i < nr; i++)
		memset(stale + offs[i], 0x11, run);
	for (i = 0; i < nr; i++)
		ASSERT_EQ(0, zc_free(self->env.pool, offs[i]));
	ASSERT_EQ(0, zc_drop_caches());

	pool_b = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, pool_b);
	for (i = 0; i < CHUNKS; i++) {
		ASSERT_EQ(0, zc_buf_alloc(pool_b, chunk, 0, &other[i]));
		memset(other[i].data, 0xbb, chunk);
	}

	for (i = 0; i < nr; i++) {
		n = pwrite(self->env.direct, stale + offs[i], page, 0);
		if (n < 0) {
			EXPECT_EQ(EFAULT, errno);
			efault++;
			continue;
		}
		ASSERT_EQ((ssize_t)page, n);
		plain = read_plain(_metadata, self->env.plain, page);
		ASSERT_NE(NULL, plain);
		for (j = 0; j < page && plain[j] == 0x11; j++)
			;
		if (j == page)
			own++;
		else
			foreign++;
		free(plain);
	}
	ksft_print_msg("%zu writes from a freed and given-back mapping: %zu EFAULT, %zu own bytes, %zu other bytes\n",
		       nr, efault, own, foreign);
	EXPECT_EQ(0, foreign);
	/* The chunks did leave: otherwise this test proved nothing. */
	EXPECT_LT(0, efault);

	for (i = 0; i < CHUNKS; i++)
		zc_buf_unmap(&other[i]);
	close(pool_b);
	munmap(stale, len);
	free(offs);
}

/*
 * The completion bookkeeping on made-up ranges, as TCP may report them:
 * in order, ahead of a gap, an id twice, one already done, one past the
 * window, and a range across the end of the window's bitmap.
 */
TEST(completion_ranges_count_in_any_order_each_id_once)
{
	static struct zc_completions c;
	const uint32_t base = 10;

	c.next_id = base + ZC_ID_WINDOW + 1;
	EXPECT_EQ(0, zc_mark_done(&c, 0, 2));
	EXPECT_EQ(3, c.done_below);
	EXPECT_EQ(0, zc_mark_done(&c, 6, 9));
	EXPECT_EQ(3, c.done_below);
	EXPECT_EQ(-EPROTO, zc_mark_done(&c, 5, 7));	/* 6 and 7 twice */
	EXPECT_EQ(3, c.done_below);
	EXPECT_EQ(0, zc_mark_done(&c, 3, 5));		/* 5 was not marked above */
	EXPECT_EQ(base, c.done_below);
	EXPECT_EQ(-EPROTO, zc_mark_done(&c, 9, 9));
	EXPECT_EQ(-EPROTO, zc_mark_done(&c, base + ZC_ID_WINDOW, base + ZC_ID_WINDOW));
	EXPECT_EQ(0, zc_mark_done(&c, base + 1, base + ZC_ID_WINDOW - 1));
	EXPECT_EQ(base, c.done_below);
	EXPECT_EQ(0, zc_mark_done(&c, base, base));
	EXPECT_EQ(base + ZC_ID_WINDOW, c.done_below);
}

TEST_HARNESS_MAIN
