// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool_demo: what `make demo` runs in the VM. It prints what the module
 * offers, then moves a file to a TCP sink twice, through two pipelines of
 * three processes each, and compares them:
 *
 *   read/write   reader: read() into a buffer, write() it to a unix socket;
 *                worker: read() it, checksum, write() to loopback TCP;
 *                sink:   recv(), checksum.
 *   zero-copy    reader: opens a pool, passes the pool fd to the worker over
 *                the unix socket (SCM_RIGHTS), reads the file with O_DIRECT
 *                straight into pool buffers and passes only {buffer, length};
 *                worker: maps the same pool, checksums the bytes in place,
 *                sends them with MSG_ZEROCOPY and hands a buffer back to the
 *                reader only once the kernel's completion notification says
 *                it no longer uses the pages;
 *                sink:   maps the socket's pages (TCP_ZEROCOPY_RECEIVE) and
 *                        checksums them; what it cannot map it copies.
 *
 * Both pipelines carry the same bytes; the worker's and the sink's checksums
 * must equal the one computed when the file was written. Each pipeline runs
 * several times, alternating, in the same boot; the figures are medians and
 * only their ratio means anything (TCG time is emulated).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <linux/tcp.h>
#include <linux/zcpool.h>

#include "zcpool_util.h"
#include "zcpool_io.h"

static const char *const feature_names[] = {
	"info", "alloc", "batch", "mmap", "stats", "limits",
};

#define MAX_BUFFERS	64
#define MAX_RUNS	15
#define DEMO_SEED	0x7a63706f6f6cULL	/* fixed: the data is not what is tested */

struct options {
	size_t file_bytes;
	unsigned int passes;	/* times the file is read per run */
	unsigned int runs;	/* runs per pipeline */
	size_t buffer_bytes;
	unsigned int buffers;	/* pool buffers in flight (zero-copy) */
	/*
	 * --one-cpu: every process of both pipelines on CPU 0, so that the
	 * throughput follows the CPU work each spends per byte rather than how
	 * well its stages overlap on several CPUs.
	 */
	unsigned int one_cpu;
	/*
	 * --timeout-s: a pipeline still running after this is stopped and the
	 * demo fails, naming the stages that had not finished.
	 */
	unsigned int timeout_s;
	/*
	 * --recv-sink: the zero-copy pipeline's sink receives with recv() as
	 * the read/write one's does, which shows what its mapping is worth.
	 */
	unsigned int recv_sink;
};

/* A 64-bit Fletcher sum over whole words: cheap, and it sees reordering. */
struct csum {
	uint64_t a, b;
};

static void csum_add(struct csum *c, const void *p, size_t len)
{
	const unsigned char *bytes = p;
	uint64_t a = c->a, b = c->b, w;
	size_t i;

	for (i = 0; i < len / 8; i++) {
		memcpy(&w, bytes + 8 * i, sizeof(w));	/* p need not be aligned */
		a += w;
		b += a;
	}
	c->a = a;
	c->b = b;
}

/*
 * The zero-copy sink gets the stream in pieces of any length (mapped pages,
 * then the bytes it could not map): the words are those at the stream's
 * offsets, a piece's last bytes carried over to the next.
 */
struct csum_stream {
	struct csum sum;
	unsigned char carry[8];
	size_t carried;
};

static void csum_stream_add(struct csum_stream *s, const void *p, size_t len)
{
	const unsigned char *bytes = p;
	size_t whole;

	while (s->carried && len) {
		s->carry[s->carried++] = *bytes++;
		len--;
		if (s->carried == sizeof(s->carry)) {
			csum_add(&s->sum, s->carry, sizeof(s->carry));
			s->carried = 0;
		}
	}
	if (!len)
		return;
	whole = len & ~(size_t)7;
	csum_add(&s->sum, bytes, whole);
	s->carried = len - whole;
	memcpy(s->carry, bytes + whole, s->carried);
}

/* What each process of a pipeline reports to the parent through a pipe. */
struct stage_result {
	int error;		/* errno of the step that failed, or 0 */
	char what[64];		/* that step */
	uint64_t bytes;		/* payload bytes this stage moved */
	uint64_t copied;	/* payload bytes it copied between user and kernel */
	uint64_t mapped;	/* the zero-copy sink: bytes it mapped instead */
	int segment;		/* the worker: payload bytes per TCP segment */
	uint64_t messages;	/* messages on the unix socket */
	struct csum sum;
	uint32_t zc_sends, zc_copied, zc_notes, zc_out_of_order;
	double last_byte;	/* the sink: when the last byte arrived */
};

struct run_result {
	double seconds;
	struct stage_result reader, worker, sink;
};

/* The reader's messages to the worker (zero-copy): one buffer's bytes. */
struct filled {
	uint32_t index;		/* UINT32_MAX: no more data */
	uint32_t len;
};

/* The first message: the pool fd rides along (SCM_RIGHTS). */
struct pool_table {
	uint32_t count;
	uint32_t pad;
	uint64_t size;
	uint64_t offset[MAX_BUFFERS];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The clock runs from the moment every process of a pipeline has set up
 * (buffers allocated and touched, the pool mapped, sockets connected) to
 * the sink's last byte: what is compared is moving the data, not the
 * one-off cost of starting a pipeline. Each stage process says it is
 * ready on one pipe and waits for the start on another.
 */
static int ready_fd = -1, go_fd = -1;

static void wait_for_start(void)
{
	char c = 0;

	if (ready_fd < 0)
		return;
	if (write(ready_fd, &c, 1) != 1 || read(go_fd, &c, 1) != 1)
		_exit(1);
	ready_fd = -1;
}

/* Fault every page of a buffer in now, before the clock runs. */
static void touch_pages(void *buf, size_t len)
{
	size_t page = zc_page_size(), i;

	for (i = 0; i < len; i += page)
		((volatile char *)buf)[i] = ((volatile char *)buf)[i];
}

static int fail(struct stage_result *r, const char *what)
{
	r->error = errno ? errno : EIO;
	snprintf(r->what, sizeof(r->what), "%s", what);
	return -1;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* Receive exactly @len bytes; 0 at a clean end of stream before any byte. */
static ssize_t recv_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = recv(fd, (char *)buf + got, len - got, MSG_WAITALL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += n;
	}
	if (got && got < len) {
		errno = EPROTO;
		return -1;
	}
	return got;
}

/* --- the sinks ------------------------------------------------------------ */

static int run_sink(int lsn, const struct options *o, struct stage_result *r)
{
	char *buf = malloc(o->buffer_bytes);
	ssize_t n;
	int fd;

	if (!buf)
		return fail(r, "sink: malloc");
	touch_pages(buf, o->buffer_bytes);
	fd = accept(lsn, NULL, NULL);
	if (fd < 0)
		return fail(r, "sink: accept");
	wait_for_start();
	for (;;) {
		n = recv_full(fd, buf, o->buffer_bytes);
		if (n < 0)
			return fail(r, "sink: recv");
		if (n == 0)
			break;
		csum_add(&r->sum, buf, n);
		r->bytes += n;
		r->copied += n;
	}
	r->last_byte = now();
	close(fd);
	free(buf);
	return 0;
}

/*
 * The zero-copy pipeline's sink maps the socket's pages instead of copying
 * them out (TCP_ZEROCOPY_RECEIVE). On loopback a segment arrives in the
 * pages its MSG_ZEROCOPY send was copied into on delivery, whole pages
 * when the segment carries a multiple of a page (see tcp_connect()). What
 * the call cannot map it copies into a buffer: a partial page, data off a
 * page boundary in its buffer (as a retransmission trimmed to what had not
 * come yet can be), and all that is queued when that fits the buffer, which
 * is a byte short of a page so that a single queued page is mapped too. A
 * call unmaps what an earlier one mapped in the range it maps again.
 */
static int run_zc_sink(int lsn, const struct options *o, struct stage_result *r)
{
	size_t page = zc_page_size();
	struct csum_stream sum = { 0 };
	char *copybuf = malloc(page);
	struct pollfd pfd;
	void *area;
	ssize_t n;
	int fd;

	if (!copybuf)
		return fail(r, "sink: malloc");
	touch_pages(copybuf, page);
	fd = accept(lsn, NULL, NULL);
	if (fd < 0)
		return fail(r, "sink: accept");
	area = mmap(NULL, o->buffer_bytes, PROT_READ, MAP_SHARED, fd, 0);
	if (area == MAP_FAILED)
		return fail(r, "sink: mmap of its TCP socket");
	wait_for_start();
	for (;;) {
		struct tcp_zerocopy_receive zc = {
			.address = (uintptr_t)area,
			.length = o->buffer_bytes,
			.copybuf_address = (uintptr_t)copybuf,
			.copybuf_len = page - 1,
		};
		socklen_t len = sizeof(zc);

		if (getsockopt(fd, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, &zc, &len)) {
			if (errno == EINTR)
				continue;
			if (errno != EIO)
				return fail(r, "sink: TCP_ZEROCOPY_RECEIVE");
			/* Nothing queued and the peer done: recv() says how. */
			n = recv(fd, copybuf, page, 0);
			if (n < 0)
				return fail(r, "sink: recv at the end");
			if (!n)
				break;
			zc.length = 0;
			zc.copybuf_len = n;
		}
		if (zc.err) {
			errno = zc.err;
			return fail(r, "sink: its TCP socket");
		}
		if (zc.copybuf_len < 0) {
			errno = -zc.copybuf_len;
			return fail(r, "sink: TCP_ZEROCOPY_RECEIVE's copy");
		}
		csum_stream_add(&sum, area, zc.length);
		csum_stream_add(&sum, copybuf, zc.copybuf_len);
		r->bytes += zc.length + zc.copybuf_len;
		r->mapped += zc.length;
		r->copied += zc.copybuf_len;
		if (zc.length || zc.copybuf_len)
			continue;
		/*
		 * Nothing was queued. Bytes or the end that came during the
		 * call (its inq hint may tell of them) make poll() return at
		 * once, and the next call maps or copies them, or fails with
		 * EIO at the end.
		 */
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return fail(r, "sink: poll");
	}
	r->last_byte = now();
	if (sum.carried) {
		errno = EPROTO;
		return fail(r, "sink: the stream ends inside a word");
	}
	r->sum = sum.sum;
	munmap(area, o->buffer_bytes);
	close(fd);
	free(copybuf);
	return 0;
}

/* The largest MSS TCP_MAXSEG takes (the kernel's MAX_TCP_WINDOW). */
#define TCP_MAXSEG_MAX	32767

/*
 * The option bytes in each segment of a loopback connection: the timestamp
 * option (12 with its padding) unless net.ipv4.tcp_timestamps is 0.
 */
static int tcp_option_bytes(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_timestamps", "re");
	int on = 1;

	if (f) {
		if (fscanf(f, "%d", &on) != 1)
			on = 1;
		fclose(f);
	}
	return on ? 12 : 0;
}

/*
 * Connect to the sink. @payload, if not 0, is the bytes of data a segment
 * is to carry: TCP_ZEROCOPY_RECEIVE maps only whole pages of payload, and a
 * segment of any other size (a window's worth, split at a multiple of the
 * MSS) ends in a page the sink must copy. The MSS counts the options too;
 * a page too large for an MSS (64 KiB) leaves the segments as they are.
 * On loopback the segments still travel 15 to a packet (GSO).
 */
static int tcp_connect(int lsn, int payload)
{
	int fd, mss = payload + tcp_option_bytes();
	struct sockaddr_in addr;
	socklen_t alen = sizeof(addr);

	if (getsockname(lsn, (struct sockaddr *)&addr, &alen))
		return -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if ((payload && mss <= TCP_MAXSEG_MAX &&
	     setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss))) ||
	    connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* --- the read()/write() pipeline ------------------------------------------ */

static int copy_reader(const char *path, int unix_fd, const struct options *o,
		       struct stage_result *r)
{
	char *buf = malloc(o->buffer_bytes);
	unsigned int pass;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf)
		return fail(r, "reader: open");
	touch_pages(buf, o->buffer_bytes);
	wait_for_start();
	for (pass = 0; pass < o->passes; pass++) {
		if (lseek(fd, 0, SEEK_SET))
			return fail(r, "reader: lseek");
		while ((n = read(fd, buf, o->buffer_bytes)) > 0) {
			if (write_all(unix_fd, buf, n))
				return fail(r, "reader: write to the unix socket");
			r->bytes += n;
			r->copied += 2 * n;	/* read() and write() */
			r->messages++;
		}
		if (n < 0)
			return fail(r, "reader: read");
	}
	close(fd);
	free(buf);
	return 0;
}

static int copy_worker(int unix_fd, int lsn, const struct options *o,
		       struct stage_result *r)
{
	char *buf = malloc(o->buffer_bytes);
	int tcp = tcp_connect(lsn, 0);
	ssize_t n;

	if (tcp < 0 || !buf)
		return fail(r, "worker: connect");
	touch_pages(buf, o->buffer_bytes);
	wait_for_start();
	for (;;) {
		n = recv_full(unix_fd, buf, o->buffer_bytes);
		if (n < 0)
			return fail(r, "worker: read from the unix socket");
		if (n == 0)
			break;
		csum_add(&r->sum, buf, n);
		if (write_all(tcp, buf, n))
			return fail(r, "worker: write to TCP");
		r->bytes += n;
		r->copied += 2 * n;	/* read() and write() */
	}
	close(tcp);
	free(buf);
	return 0;
}

/* --- the zero-copy pipeline ----------------------------------------------- */

static int send_with_fd(int sock, const void *data, size_t len, int fd)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == (ssize_t)len ? 0 : -1;
}

static int recv_with_fd(int sock, void *data, size_t len, int *fd)
{
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cm;

	if (recvmsg(sock, &msg, MSG_WAITALL | MSG_CMSG_CLOEXEC) != (ssize_t)len)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
		errno = EPROTO;
		return -1;
	}
	memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return 0;
}

static int zc_reader(const char *path, int unix_fd, const struct options *o,
		     struct stage_result *r)
{
	struct zc_buf bufs[MAX_BUFFERS];
	struct pool_table table = { .count = o->buffers, .size = o->buffer_bytes };
	uint32_t free_list[MAX_BUFFERS], nr_free = 0, index;
	struct filled msg;
	unsigned int pass, i;
	int pool, fd;
	off_t off;
	ssize_t n;

	pool = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	if (pool < 0)
		return fail(r, "reader: open " ZCPOOL_DEV);
	for (i = 0; i < o->buffers; i++) {
		errno = -zc_buf_alloc(pool, o->buffer_bytes, zc_page_size(), &bufs[i]);
		if (errno)
			return fail(r, "reader: pool buffer");
		table.offset[i] = bufs[i].offset;
		free_list[nr_free++] = i;
		touch_pages(bufs[i].data, o->buffer_bytes);
	}
	if (send_with_fd(unix_fd, &table, sizeof(table), pool))
		return fail(r, "reader: pass the pool fd");
	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		return fail(r, "reader: open O_DIRECT");
	wait_for_start();

	for (pass = 0; pass < o->passes; pass++) {
		for (off = 0; off < (off_t)o->file_bytes; off += n) {
			while (!nr_free) {	/* the worker gives buffers back */
				if (recv_full(unix_fd, &index, sizeof(index)) != sizeof(index) ||
				    index >= o->buffers)
					return fail(r, "reader: wait for a free buffer");
				free_list[nr_free++] = index;
			}
			index = free_list[--nr_free];
			n = pread(fd, bufs[index].data, o->buffer_bytes, off);
			if (n <= 0)
				return fail(r, "reader: O_DIRECT read into the pool");
			msg.index = index;
			msg.len = n;
			if (write_all(unix_fd, &msg, sizeof(msg)))
				return fail(r, "reader: pass a buffer");
			r->bytes += n;
			r->copied += n;	/* brd's memcpy into the pool (a disk would DMA) */
			r->messages++;
		}
	}
	msg.index = UINT32_MAX;
	msg.len = 0;
	if (write_all(unix_fd, &msg, sizeof(msg)))
		return fail(r, "reader: end of data");
	/* Wait until the worker is done with every buffer before dropping them. */
	while (recv_full(unix_fd, &index, sizeof(index)) == sizeof(index))
		;
	close(fd);
	for (i = 0; i < o->buffers; i++)
		zc_buf_unmap(&bufs[i]);
	close(pool);
	return 0;
}

/* The buffers the kernel may still read: each with the last send id it used. */
struct in_flight {
	uint32_t index[MAX_BUFFERS];
	uint32_t last_id[MAX_BUFFERS];
	unsigned int head, count;
};

/*
 * Hand the buffers whose sends all completed back to the reader, in the
 * order they were sent: a buffer goes back once every id up to its last
 * send's has completed, whatever order the notifications came in.
 */
static int give_back_completed(int unix_fd, struct in_flight *f,
			       const struct zc_completions *c)
{
	while (f->count && c->done_below > f->last_id[f->head]) {
		if (write_all(unix_fd, &f->index[f->head], sizeof(uint32_t)))
			return -1;
		f->head = (f->head + 1) % MAX_BUFFERS;
		f->count--;
	}
	return 0;
}

static int zc_worker(int unix_fd, int lsn, const struct options *o,
		     struct stage_result *r)
{
	struct zc_completions done = { 0 };
	struct zc_buf bufs[MAX_BUFFERS];
	struct in_flight flight = { 0 };
	struct pool_table table;
	struct pollfd pfd[2];
	struct filled msg;
	unsigned int i;
	int pool, tcp, one = 1;
	socklen_t len;

	if (recv_with_fd(unix_fd, &table, sizeof(table), &pool))
		return fail(r, "worker: receive the pool fd");
	if (table.count > MAX_BUFFERS)
		return fail(r, "worker: pool table");
	for (i = 0; i < table.count; i++) {
		errno = -zc_buf_map(pool, table.offset[i], table.size, &bufs[i]);
		if (errno)
			return fail(r, "worker: map the reader's pool");
		touch_pages(bufs[i].data, table.size);
	}
	tcp = tcp_connect(lsn, o->recv_sink ? 0 : zc_page_size());
	if (tcp < 0)
		return fail(r, "worker: connect");
	if (setsockopt(tcp, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)))
		return fail(r, "worker: SO_ZEROCOPY");
	len = sizeof(r->segment);
	if (getsockopt(tcp, IPPROTO_TCP, TCP_MAXSEG, &r->segment, &len))
		return fail(r, "worker: TCP_MAXSEG");
	wait_for_start();

	pfd[0].fd = unix_fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = tcp;
	pfd[1].events = 0;	/* POLLERR: completions are queued */
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return fail(r, "worker: poll");
		}
		if (pfd[1].revents & POLLERR) {
			if (zc_reap(tcp, &done, 0) < 0)
				return fail(r, "worker: completions");
			if (give_back_completed(unix_fd, &flight, &done))
				return fail(r, "worker: give a buffer back");
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP)))
			continue;
		if (recv_full(unix_fd, &msg, sizeof(msg)) != sizeof(msg))
			return fail(r, "worker: receive a buffer");
		if (msg.index == UINT32_MAX)
			break;
		if (msg.index >= table.count || msg.len > table.size) {
			errno = EPROTO;
			return fail(r, "worker: bad buffer message");
		}
		csum_add(&r->sum, bufs[msg.index].data, msg.len);
		errno = -zc_send_zerocopy(tcp, bufs[msg.index].data, msg.len, &done);
		if (errno)
			return fail(r, "worker: MSG_ZEROCOPY send");
		r->bytes += msg.len;
		r->messages++;
		i = (flight.head + flight.count) % MAX_BUFFERS;
		flight.index[i] = msg.index;
		flight.last_id[i] = done.next_id - 1;
		flight.count++;
		if (give_back_completed(unix_fd, &flight, &done))
			return fail(r, "worker: give a buffer back");
	}
	errno = -zc_reap_all(tcp, &done, 30000);
	if (errno)
		return fail(r, "worker: the last completions");
	if (give_back_completed(unix_fd, &flight, &done))
		return fail(r, "worker: give a buffer back");
	shutdown(unix_fd, SHUT_WR);
	close(tcp);
	r->zc_sends = done.next_id;
	r->zc_copied = done.copied;
	r->zc_notes = done.notes;
	r->zc_out_of_order = done.out_of_order;
	/* The kernel's own deferred copies, in proportion to the sends it copied. */
	if (done.next_id)
		r->copied = r->bytes * done.copied / done.next_id;
	for (i = 0; i < table.count; i++)
		zc_buf_unmap(&bufs[i]);
	close(pool);
	return 0;
}

/* --- running a pipeline ---------------------------------------------------- */

enum stage { READER, WORKER, SINK, NR_STAGES };

struct stage_ctx {
	struct stage_result r;
	enum stage stage;
	int zero_copy;
	const char *path;
	const struct options *o;
	int unix_fd, lsn, result_fd;
	int unused[4];	/* fds of the parent this stage must not hold open */
	int ready_fd, go_fd;
};

/* The pipelines' names, and the comm each stage's process takes (ps). */
static const char *const pipeline_names[] = { "read/write", "zero-copy" };
static const char *const stage_names[NR_STAGES] = { "reader", "worker", "sink" };

static int stage_main(void *arg)
{
	struct stage_ctx *c = arg;
	char comm[16];

	snprintf(comm, sizeof(comm), "%s-%s", c->zero_copy ? "zc" : "rw",
		 stage_names[c->stage]);
	prctl(PR_SET_NAME, comm);

	/* A stage holding the other end of the unix socket would never see EOF. */
	close(c->unused[0]);
	close(c->unused[1]);
	/* Nor the parent's ends of ready and go: the parent's exit must end the wait. */
	close(c->unused[2]);
	close(c->unused[3]);
	ready_fd = c->ready_fd;
	go_fd = c->go_fd;
	errno = 0;
	switch (c->stage) {
	case READER:
		c->zero_copy ? zc_reader(c->path, c->unix_fd, c->o, &c->r) :
			       copy_reader(c->path, c->unix_fd, c->o, &c->r);
		break;
	case WORKER:
		c->zero_copy ? zc_worker(c->unix_fd, c->lsn, c->o, &c->r) :
			       copy_worker(c->unix_fd, c->lsn, c->o, &c->r);
		break;
	default:
		c->zero_copy && !c->o->recv_sink ? run_zc_sink(c->lsn, c->o, &c->r) :
						   run_sink(c->lsn, c->o, &c->r);
		break;
	}
	wait_for_start();	/* a stage that failed early must not hold the others */
	if (write_all(c->result_fd, &c->r, sizeof(c->r)))
		_exit(1);
	return 0;
}

static pid_t spawn(struct stage_ctx *ctx)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	stage_main(ctx);
	_exit(0);
}

/*
 * Room in the reader's end of the unix socket for the zero-copy reader's
 * buffers in flight: a stream socket's sender may queue its send
 * buffer's worth, 208 KiB by default, less than one 256 KiB buffer, which
 * held the read/write reader within a buffer of its worker where the
 * zero-copy reader ran all its buffers ahead. Forced past wmem_max as
 * root (the VM); returns the size the socket got, which the demo prints
 * (get_unix_room()). Both pipelines get it.
 */
static int unix_room(int fd, const struct options *o)
{
	size_t bytes = (size_t)o->buffers * o->buffer_bytes;
	int v = bytes > INT_MAX / 2 ? INT_MAX / 2 : (int)bytes;
	socklen_t len = sizeof(v);

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	return getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &len) ? -1 : v;
}

/* What unix_room() gets, on a socket of its own: the send buffer, bytes. */
static int get_unix_room(const struct options *o)
{
	int sv[2], v;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	v = unix_room(sv[0], o);
	close(sv[0]);
	close(sv[1]);
	return v;
}

/* Stages whose pidfd is still watched: not seen to exit with 0 yet. */
static int stages_watched(const int *pidfd)
{
	int s, n = 0;

	for (s = 0; s < NR_STAGES; s++)
		n += pidfd[s] >= 0;
	return n;
}

/*
 * The parent's wait for one of its pipes to have something to read. A
 * stage that dies before it says it is ready leaves the other two
 * waiting for the start and the parent waiting for them, and a stage
 * that hangs holds the run for ever: so the parent also watches each
 * stage's pidfd, and gives up at @deadline. A stage that exits with 0
 * (after its result) drops out of the watch; with @fd -1, the wait is for
 * every stage to have done so. Returns 0; -ECHILD with
 * *@culprit set when a stage ended otherwise, not yet reaped (waitid()
 * with WNOWAIT); -ETIMEDOUT.
 */
static int await_pipe(int fd, const pid_t *pid, int *pidfd, double deadline, int *culprit)
{
	struct pollfd p[1 + NR_STAGES];
	double left;
	siginfo_t si;
	int s, n, ms;

	for (;;) {
		if (fd < 0 && !stages_watched(pidfd))
			return 0;
		left = deadline - now();
		if (left <= 0)
			return -ETIMEDOUT;
		ms = left > 60 ? 60000 : left * 1000 + 1;
		p[0] = (struct pollfd){ .fd = fd, .events = POLLIN };
		for (s = 0; s < NR_STAGES; s++)
			p[1 + s] = (struct pollfd){ .fd = pidfd[s], .events = POLLIN };
		n = poll(p, 1 + NR_STAGES, ms);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (s = 0; n > 0 && s < NR_STAGES; s++) {
			if (!p[1 + s].revents)
				continue;
			memset(&si, 0, sizeof(si));
			if (waitid(P_PID, pid[s], &si, WEXITED | WNOHANG | WNOWAIT))
				return -errno;
			if (si.si_pid != pid[s])
				continue;
			if (si.si_code != CLD_EXITED || si.si_status) {
				*culprit = s;
				return -ECHILD;
			}
			close(pidfd[s]);
			pidfd[s] = -1;
		}
		if (n > 0 && p[0].revents)
			return 0;
	}
}

/* How a stage ended, for the report: "killed by signal 9 (Killed)". */
static void describe_end(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else
		snprintf(buf, len, "status %#x", status);
}

/*
 * At the deadline, before the stages are killed: where stage @s was. A
 * stage stopped by a signal is named as such; one that had exited with 0
 * is not named at all.
 */
static void report_unfinished(const char *pipeline, int s, pid_t pid, int pidfd, int reported)
{
	siginfo_t si;

	if (reported && pidfd < 0)
		return;
	memset(&si, 0, sizeof(si));
	if (!waitid(P_PID, pid, &si, WSTOPPED | WNOHANG | WNOWAIT) && si.si_pid == pid &&
	    si.si_code == CLD_STOPPED)
		fprintf(stderr, "zcpool_demo: %s %s: stopped by signal %d (%s)\n", pipeline,
			stage_names[s], si.si_status, strsignal(si.si_status));
	else
		fprintf(stderr, "zcpool_demo: %s %s: still running, %s\n", pipeline,
			stage_names[s], reported ? "its result in" : "no result yet");
}

static int run_pipeline(int zero_copy, const char *path, const struct options *o,
			struct run_result *res)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	struct stage_ctx ctx[NR_STAGES];
	struct stage_result *out[NR_STAGES] = { &res->reader, &res->worker, &res->sink };
	int sv[2], results[2], ready[2], go[2], lsn, s, ret = 0, err = 0, culprit = -1;
	int status[NR_STAGES], pidfd[NR_STAGES], reported[NR_STAGES] = { 0 };
	const char *pipeline = pipeline_names[zero_copy];
	char start_bytes[NR_STAGES] = { 0 };
	pid_t pid[NR_STAGES];
	double start, deadline;
	char how[64];

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lsn = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lsn < 0 || bind(lsn, (struct sockaddr *)&addr, sizeof(addr)) || listen(lsn, 1))
		return -errno;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	unix_room(sv[0], o);
	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC))
		return -errno;
	for (s = 0; s < NR_STAGES; s++) {
		if (pipe2(results, O_CLOEXEC))
			return -errno;
		memset(&ctx[s], 0, sizeof(ctx[s]));
		ctx[s].stage = s;
		ctx[s].zero_copy = zero_copy;
		ctx[s].path = path;
		ctx[s].o = o;
		ctx[s].unix_fd = s == READER ? sv[0] : s == WORKER ? sv[1] : -1;
		ctx[s].unused[0] = s == READER ? -1 : sv[0];
		ctx[s].unused[1] = s == WORKER ? -1 : sv[1];
		ctx[s].unused[2] = ready[0];
		ctx[s].unused[3] = go[1];
		ctx[s].lsn = lsn;
		ctx[s].result_fd = results[1];
		ctx[s].ready_fd = ready[1];
		ctx[s].go_fd = go[0];
		pid[s] = spawn(&ctx[s]);
		if (pid[s] < 0)
			return -errno;
		/* Without pidfds (before Linux 5.3) only the deadline watches. */
		pidfd[s] = syscall(SYS_pidfd_open, pid[s], 0);
		close(results[1]);
		ctx[s].result_fd = results[0];
	}
	close(sv[0]);
	close(sv[1]);
	close(lsn);
	close(ready[1]);
	close(go[0]);
	deadline = now() + o->timeout_s;
	for (s = 0; s < NR_STAGES && !ret; s++) {
		ret = await_pipe(ready[0], pid, pidfd, deadline, &culprit);
		if (!ret && read(ready[0], &start_bytes[s], 1) != 1)
			ret = -EPIPE;	/* every stage gone, and no pidfds said so */
	}
	start = now();
	if (!ret && write_all(go[1], start_bytes, sizeof(start_bytes)))
		ret = -EPIPE;
	close(ready[0]);
	close(go[1]);
	for (s = 0; s < NR_STAGES; s++) {
		memset(out[s], 0, sizeof(*out[s]));
		if (!ret)
			ret = await_pipe(ctx[s].result_fd, pid, pidfd, deadline, &culprit);
		if (!ret && read(ctx[s].result_fd, out[s], sizeof(*out[s])) != sizeof(*out[s])) {
			/* It died: its pipe closed before its pidfd said so. */
			culprit = s;
			ret = -ECHILD;
		}
		reported[s] = !ret;
		close(ctx[s].result_fd);
	}
	/* And their exits: one stopped after its result would hold waitpid(). */
	if (!ret)
		ret = await_pipe(-1, pid, pidfd, deadline, &culprit);
	if (ret == -ETIMEDOUT) {
		fprintf(stderr, "zcpool_demo: %s pipeline: not done after %u s; stopped it\n",
			pipeline, o->timeout_s);
		for (s = 0; s < NR_STAGES; s++)
			report_unfinished(pipeline, s, pid[s], pidfd[s], reported[s]);
	}
	/* A stage dead or hung: the others would only wait; stop them all. */
	for (s = 0; ret && s < NR_STAGES; s++)
		kill(pid[s], SIGKILL);
	for (s = 0; s < NR_STAGES; s++)
		if (waitpid(pid[s], &status[s], 0) != pid[s])
			status[s] = -1;
	if (ret == -ECHILD && culprit >= 0) {
		describe_end(status[culprit], how, sizeof(how));
		fprintf(stderr, "zcpool_demo: %s %s: %s\n", pipeline, stage_names[culprit], how);
	} else if (ret && ret != -ETIMEDOUT) {
		fprintf(stderr, "zcpool_demo: %s pipeline: %s\n", pipeline, strerror(-ret));
	}
	for (s = 0; s < NR_STAGES; s++) {
		if (pidfd[s] >= 0)
			close(pidfd[s]);
		/* A stage's own error, unless it only followed another's end. */
		if (!ret && out[s]->error) {
			fprintf(stderr, "zcpool_demo: %s %s: %s: %s\n", pipeline, stage_names[s],
				out[s]->what, strerror(out[s]->error));
			err = -out[s]->error;
		} else if (!ret && (!WIFEXITED(status[s]) || WEXITSTATUS(status[s]))) {
			/* Seen only here when pidfds are not there to see it. */
			describe_end(status[s], how, sizeof(how));
			fprintf(stderr, "zcpool_demo: %s %s: %s\n", pipeline, stage_names[s], how);
			err = -ECHILD;
		}
	}
	res->seconds = res->sink.last_byte - start;
	return ret ?: err;
}

/* --- setup, report ----------------------------------------------------------- */

static int print_info(void)
{
	struct zcpool_info info;
	unsigned int bit;
	int fd;

	fd = open(ZCPOOL_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "zcpool_demo: open %s: %s\n", ZCPOOL_DEV, strerror(errno));
		return -1;
	}
	if (ioctl(fd, ZCPOOL_IOC_INFO, &info)) {
		fprintf(stderr, "zcpool_demo: ZCPOOL_IOC_INFO: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
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
	if ((info.features & (ZCPOOL_FEATURE_ALLOC | ZCPOOL_FEATURE_MMAP)) !=
	    (ZCPOOL_FEATURE_ALLOC | ZCPOOL_FEATURE_MMAP)) {
		fprintf(stderr, "zcpool_demo: this module cannot allocate and map\n");
		return -1;
	}
	return 0;
}

/* Write the data file and return the checksum every pipeline must reproduce. */
static int make_data_file(const char *path, const struct options *o, struct csum *want)
{
	unsigned char *data = malloc(o->file_bytes);
	unsigned int pass;
	int fd;

	if (!data)
		return -ENOMEM;
	zc_io_fill(data, o->file_bytes, DEMO_SEED);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, data, o->file_bytes) || fsync(fd)) {
		free(data);
		return -errno;
	}
	close(fd);
	memset(want, 0, sizeof(*want));
	for (pass = 0; pass < o->passes; pass++)
		csum_add(want, data, o->file_bytes);
	free(data);
	return 0;
}

static int verify(const char *name, const struct run_result *res, const struct csum *want,
		  uint64_t total)
{
	const struct stage_result *w = &res->worker, *s = &res->sink;

	if (w->bytes != total || s->bytes != total ||
	    w->sum.a != want->a || w->sum.b != want->b ||
	    s->sum.a != want->a || s->sum.b != want->b) {
		fprintf(stderr, "zcpool_demo: %s: the data did not arrive intact: "
			"%" PRIu64 "/%" PRIu64 " bytes, checksums worker %016" PRIx64
			" sink %016" PRIx64 ", expected %016" PRIx64 "\n",
			name, s->bytes, total, w->sum.b, s->sum.b, want->b);
		return -1;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: zcpool_demo [--file-mib N] [--passes N] [--runs N] "
		"[--buffer-kib N] [--buffers N] [--one-cpu] [--timeout-s N]\n"
		"                   [--recv-sink]\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "file-mib", required_argument, NULL, 'f' },
		{ "passes", required_argument, NULL, 'p' },
		{ "runs", required_argument, NULL, 'r' },
		{ "buffer-kib", required_argument, NULL, 'b' },
		{ "buffers", required_argument, NULL, 'n' },
		{ "one-cpu", no_argument, NULL, '1' },
		{ "timeout-s", required_argument, NULL, 't' },
		{ "recv-sink", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	unsigned long v;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == '1') {
			o->one_cpu = 1;
			continue;
		}
		if (c == 'R') {
			o->recv_sink = 1;
			continue;
		}
		if (c == '?' || !optarg) {
			usage(stderr);
			return -1;
		}
		v = strtoul(optarg, NULL, 0);
		switch (c) {
		case 'f':
			o->file_bytes = v << 20;
			break;
		case 'p':
			o->passes = v;
			break;
		case 'r':
			o->runs = v;
			break;
		case 'b':
			o->buffer_bytes = v << 10;
			break;
		case 'n':
			o->buffers = v;
			break;
		case 't':
			o->timeout_s = v;
			break;
		}
	}
	if (!o->passes || !o->runs || o->runs > MAX_RUNS || !o->buffers ||
	    o->buffers > MAX_BUFFERS || !o->buffer_bytes ||
	    o->buffer_bytes % zc_page_size() || !o->file_bytes ||
	    o->file_bytes % o->buffer_bytes || !o->timeout_s) {
		fprintf(stderr, "zcpool_demo: runs 1-%d, buffers 1-%d, buffer a multiple of "
			"the page size, file a multiple of the buffer, timeout at least 1 s\n",
			MAX_RUNS, MAX_BUFFERS);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = {
		.file_bytes = 8 << 20, .passes = 4, .runs = 9,
		.buffer_bytes = 256 << 10, .buffers = 8, .timeout_s = 120,
	};
	struct run_result copy[MAX_RUNS], zc[MAX_RUNS];
	double copy_rate[MAX_RUNS], zc_rate[MAX_RUNS], ratio[MAX_RUNS], copy_mib, zc_mib;
	double ratio_median;
	char path[128];
	const char *dir;
	struct csum want;
	uint64_t total, copy_bytes, zc_bytes;
	unsigned int i, out_of_order;
	int ret;

	if (parse_options(argc, argv, &o))
		return 2;
	if (print_info())
		return 1;
	signal(SIGPIPE, SIG_IGN);
	/* Inherited as SIG_IGN, the stages would reap themselves unseen. */
	signal(SIGCHLD, SIG_DFL);
	if (o.one_cpu) {
		cpu_set_t cpu0;

		CPU_ZERO(&cpu0);
		CPU_SET(0, &cpu0);
		if (sched_setaffinity(0, sizeof(cpu0), &cpu0))
			perror("zcpool_demo: sched_setaffinity");
	}
	ret = zc_io_fs_ready(&dir);
	if (!ret)
		ret = zc_loopback_up();
	if (ret) {
		fprintf(stderr, "zcpool_demo: the ramdisk filesystem or loopback: %s\n",
			strerror(-ret));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/demo.data", dir);
	ret = make_data_file(path, &o, &want);
	if (ret) {
		fprintf(stderr, "zcpool_demo: writing %s: %s\n", path, strerror(-ret));
		return 1;
	}
	total = (uint64_t)o.file_bytes * o.passes;
	printf("\npipeline: reader -> unix socket -> worker (checksum) -> loopback TCP -> sink\n");
	printf("data: %zu MiB file on brd/ext4, read %u times = %" PRIu64 " MiB per run, "
	       "%zu KiB buffers, %u pairs of runs, %s\n",
	       o.file_bytes >> 20, o.passes, total >> 20, o.buffer_bytes >> 10, o.runs,
	       o.one_cpu ? "every process on CPU 0" : "all CPUs");
	printf("zero-copy: the reader's pool holds %u buffers; the worker maps the same pages "
	       "through the pool fd it got over the unix socket; the sink %s\n", o.buffers,
	       o.recv_sink ? "receives with recv() (--recv-sink)" :
			     "maps its socket's pages (TCP_ZEROCOPY_RECEIVE)");
	printf("read/write: the unix socket queues up to %d KiB (the same room)\n",
	       get_unix_room(&o) / 1024);

	/*
	 * Pairs of runs, one of each pipeline, the order swapped every pair:
	 * the host's load drifts, and a pair's two runs see nearly the same.
	 */
	for (i = 0; i < o.runs; i++) {
		int first = i % 2, k;

		for (k = 0; k < 2; k++) {
			int zero_copy = first ^ k;
			struct run_result *res = zero_copy ? &zc[i] : &copy[i];
			const char *name = pipeline_names[zero_copy];

			if (run_pipeline(zero_copy, path, &o, res) ||
			    verify(name, res, &want, total)) {
				unlink(path);
				return 1;
			}
		}
		copy_rate[i] = total / copy[i].seconds / (1 << 20);
		zc_rate[i] = total / zc[i].seconds / (1 << 20);
		ratio[i] = zc_rate[i] / copy_rate[i];
		printf("  pair %u: read/write %7.1f MiB/s   zero-copy %7.1f MiB/s   ratio %.2f\n",
		       i + 1, copy_rate[i], zc_rate[i], ratio[i]);
	}
	copy_mib = median(copy_rate, o.runs);
	zc_mib = median(zc_rate, o.runs);

	copy_bytes = copy[0].reader.copied + copy[0].worker.copied + copy[0].sink.copied;
	zc_bytes = zc[0].reader.copied + zc[0].worker.copied + zc[0].sink.copied;
	printf("\n%-11s %9s %9s %24s %24s\n", "pipeline", "moved", "MiB/s",
	       "copied by the CPU", "unix socket traffic");
	printf("%-11s %5" PRIu64 " MiB %9.1f %12" PRIu64 " MiB (%.1f/byte) %20" PRIu64 " MiB\n",
	       "read/write", total >> 20, copy_mib, copy_bytes >> 20,
	       (double)copy_bytes / total, copy[0].reader.bytes >> 20);
	printf("%-11s %5" PRIu64 " MiB %9.1f %12" PRIu64 " MiB (%.1f/byte) %20" PRIu64 " B\n",
	       "zero-copy", total >> 20, zc_mib, zc_bytes >> 20, (double)zc_bytes / total,
	       zc[0].reader.messages * (sizeof(struct filled) + sizeof(uint32_t)));
	printf("copies avoided: %" PRIu64 " MiB per run: no read() copy, no unix socket copies "
	       "(%" PRIu64 " buffer messages instead)%s;\n"
	       "  left: brd's memcpy for O_DIRECT and loopback's delivery copy of MSG_ZEROCOPY "
	       "pages (a disk and a NIC would DMA), %s\n",
	       (copy_bytes - zc_bytes) >> 20, zc[0].reader.messages,
	       o.recv_sink ? "" : ", no recv() copy in the sink",
	       o.recv_sink ? "the sink's recv()" : "what the sink could not map");
	if (!o.recv_sink)
		printf("zero-copy sink: mapped %" PRIu64 " KiB of its socket's pages, copied %"
		       PRIu64 " KiB (%.1f%%: less than a page queued, or off a page boundary); "
		       "segments of %d bytes\n", zc[0].sink.mapped >> 10, zc[0].sink.copied >> 10,
		       100.0 * zc[0].sink.copied / total, zc[0].worker.segment);
	for (i = 0, out_of_order = 0; i < o.runs; i++)
		out_of_order += zc[i].worker.zc_out_of_order;
	printf("MSG_ZEROCOPY: %u sends, %u completion notifications, %u reported copied by the "
	       "kernel; notifications out of order in all %u runs: %u\n",
	       zc[0].worker.zc_sends, zc[0].worker.zc_notes, zc[0].worker.zc_copied, o.runs,
	       out_of_order);
	printf("data verified: worker and sink checksums equal the file's in all %u runs\n",
	       2 * o.runs);
	/* median() sorts: the ends are the lowest and highest pair. */
	ratio_median = median(ratio, o.runs);
	printf("\nzero-copy / read-write throughput: %.2fx (median of %u paired runs, same boot; "
	       "pairs %.2f-%.2fx): the 1.5x target %s in this run\n",
	       ratio_median, o.runs, ratio[0], ratio[o.runs - 1],
	       ratio_median >= 1.5 ? "holds" : "does not hold");
	unlink(path);
	return 0;
}
