/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connections per source for the SIP agent's TCP and TLS listeners. Sofia-SIP's tport accepts
 * every connection its listening sockets get (tport_accept -> accept(2) -> a new secondary
 * transport) and has no hook or parameter to refuse one; its idle and message timeouts only
 * close a connection later. So the cap is applied where every connection passes: this file
 * defines accept() and close() in the executable, and the dynamic linker binds
 * libsofia-sip-ua's calls of both to them (symbols of the executable come first in ELF lookup
 * scope). They make the system calls themselves, count open connections per source address,
 * and close a connection over the source's cap at once (SO_LINGER 0: an RST, nothing left in
 * TIME_WAIT) before Sofia allocates anything for it; Sofia gets -1 with errno 0, which its
 * tport_accept takes as nothing to report (a real errno would be logged once per refusal),
 * and waits for the next connection.
 *
 * Sofia's listeners ask listen() for its message queue size (TPORT_QUEUESIZE, 64) as their
 * accept backlog. A burst of connections (PBXs reconnecting after an outage, or one source's
 * flood refused one by one) can overflow it whenever the loop is busy for a moment, and a
 * handshake that does not fit waits for the kernel's retransmissions (1, then 3 s): one
 * source's flood would delay everyone's connections. listen() is defined here too and asks for
 * the kernel's largest backlog (net.core.somaxconn caps it: 4096 by default).
 *
 * Sofia's idle timeout (TPTAG_IDLE) runs from a connection's last message, and its timer is
 * first set by traffic: a connection that never sends a byte is never closed by it. Those are
 * closed here: once a second, an accepted connection older than tcp_idle_timeout whose peer has
 * sent nothing at all (TCP_INFO tcpi_bytes_received 0) is shut down, and Sofia closes it on the
 * end of stream like any other.
 *
 * The sources with open connections are few next to the connections (a PBX multiplexes its
 * calls over one or a few): a small array searched linearly, swapped-remove on the last close.
 * Every process-wide close() passes here: one array index per call. The control plane is one
 * thread (su_root); the counters are read on it too (cp_status.c).
 */
#include <errno.h>
#include <linux/tcp.h>	/* struct tcp_info with tcpi_bytes_received (glibc's lacks it) */
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <sofia-sip/su_wait.h>

#include "cp_conn.h"

#define SWEEP_MS 1000
/* the accept backlog asked for: above any net.core.somaxconn, which the kernel takes instead */
#define CP_CONN_BACKLOG 65535

struct source {
	uint8_t addr[16];	/* IPv6, or IPv4-mapped */
	uint32_t open;
};

static struct {
	uint32_t per_source;	/* 0: not started, no cap */
	int32_t *fd_source;	/* [max_fd]: -1, or the source index of an accepted fd */
	uint64_t *fd_since;	/* [max_fd]: ms of its accept; 0 once checked or shut down */
	int max_fd, hi_fd;	/* hi_fd: above every tracked fd */
	uint64_t idle_ms;
	su_timer_t *sweep;
	struct source *src;
	uint32_t n_src, cap_src;
	struct cp_conn_stats st;
} cn;

const struct cp_conn_stats *cp_conn_stats(void)
{
	return &cn.st;
}

static bool key_of(const struct sockaddr *sa, uint8_t key[16])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (sa->sa_family == AF_INET) {
		memcpy(key, mapped, 12);
		memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return true;
	}
	return false;
}

static int32_t find_source(const uint8_t key[16])
{
	for (uint32_t i = 0; i < cn.n_src; i++)
		if (memcmp(cn.src[i].addr, key, 16) == 0)
			return (int32_t)i;
	return -1;
}

static int32_t add_source(const uint8_t key[16])
{
	if (cn.n_src == cn.cap_src) {
		uint32_t cap = cn.cap_src ? cn.cap_src * 2 : 64;
		struct source *s = realloc(cn.src, cap * sizeof(*s));

		if (s == NULL)
			return -1;
		cn.src = s;
		cn.cap_src = cap;
	}
	memcpy(cn.src[cn.n_src].addr, key, 16);
	cn.src[cn.n_src].open = 0;
	return (int32_t)cn.n_src++;
}

/* The last connection of source i closed: the last source takes its place. */
static void drop_source(int32_t i)
{
	uint32_t last = --cn.n_src;

	if ((uint32_t)i == last)
		return;
	cn.src[i] = cn.src[last];
	for (int fd = 0; fd < cn.max_fd; fd++)	/* rare: a source's last connection */
		if (cn.fd_source[fd] == (int32_t)last)
			cn.fd_source[fd] = i;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Once a second: connections past tcp_idle_timeout that never sent a byte are shut down. */
static void sweep(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	uint64_t now = now_ms();

	(void)magic, (void)t, (void)arg;
	for (int fd = 0; fd < cn.hi_fd; fd++) {
		struct tcp_info ti;
		socklen_t len = sizeof(ti);

		if (cn.fd_source[fd] < 0 || cn.fd_since[fd] == 0 ||
		    now - cn.fd_since[fd] < cn.idle_ms)
			continue;
		cn.fd_since[fd] = 0;	/* judged once: Sofia's own idle timer takes it from here */
		memset(&ti, 0, sizeof(ti));
		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
		    len >= offsetof(struct tcp_info, tcpi_bytes_received) +
			   sizeof(ti.tcpi_bytes_received) &&
		    ti.tcpi_bytes_received == 0) {
			shutdown(fd, SHUT_RDWR);
			cn.st.idle_closed++;
		}
	}
}

static int refuse(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	syscall(SYS_close, fd);
	cn.st.refused++;
	errno = 0;	/* tport_accept reports errno unless it is 0: no log line per refusal */
	return -1;
}

/* A connection accepted on fd from sa: within its source's cap, or refused. */
static int admit(int fd, const struct sockaddr *sa)
{
	uint8_t key[16];
	int32_t i;

	if (cn.per_source == 0 || fd >= cn.max_fd || !key_of(sa, key))
		return fd;	/* not started, or not an address we count */
	i = find_source(key);
	if (i >= 0 && cn.src[i].open >= cn.per_source)
		return refuse(fd);
	if (i < 0 && (i = add_source(key)) < 0)
		return refuse(fd);	/* out of memory: refuse rather than count wrong */
	cn.src[i].open++;
	cn.fd_source[fd] = i;
	cn.fd_since[fd] = now_ms();
	if (fd >= cn.hi_fd)
		cn.hi_fd = fd + 1;
	cn.st.accepted++;
	cn.st.open++;
	return fd;
}

int accept(int l, struct sockaddr *addr, socklen_t *len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = (int)syscall(SYS_accept4, l, (struct sockaddr *)&ss, &sl, 0);

	if (fd < 0)
		return -1;
	if (addr != NULL && len != NULL) {
		memcpy(addr, &ss, *len < sl ? *len : sl);
		*len = sl;
	}
	return admit(fd, (const struct sockaddr *)&ss);
}

int close(int fd)
{
	if (cn.per_source != 0 && fd >= 0 && fd < cn.max_fd && cn.fd_source[fd] >= 0) {
		int32_t i = cn.fd_source[fd];

		cn.fd_source[fd] = -1;
		cn.fd_since[fd] = 0;
		cn.st.open--;
		if (--cn.src[i].open == 0)
			drop_source(i);
	}
	return (int)syscall(SYS_close, fd);
}

int listen(int fd, int backlog)
{
	return (int)syscall(SYS_listen, fd, backlog > CP_CONN_BACKLOG ? backlog : CP_CONN_BACKLOG);
}

int cp_conn_init(struct su_root_s *root, const struct sbc_config *cfg)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		rl.rlim_cur = 65536;
	cn.max_fd = rl.rlim_cur > 1048576 ? 1048576 : (int)rl.rlim_cur;
	cn.fd_source = malloc((size_t)cn.max_fd * sizeof(*cn.fd_source));
	cn.fd_since = calloc((size_t)cn.max_fd, sizeof(*cn.fd_since));
	cn.sweep = su_timer_create(su_root_task(root), SWEEP_MS);
	if (cn.fd_source == NULL || cn.fd_since == NULL || cn.sweep == NULL ||
	    su_timer_set_for_ever(cn.sweep, sweep, NULL) != 0)
		return -ENOMEM;
	cn.idle_ms = (uint64_t)cfg->tcp_idle_timeout * 1000u;
	memset(cn.fd_source, 0xff, (size_t)cn.max_fd * sizeof(*cn.fd_source));
	cn.per_source = cfg->tcp_conns_per_source;
	return 0;
}

void cp_conn_fini(void)
{
	cn.per_source = 0;
	if (cn.sweep != NULL)
		su_timer_destroy(cn.sweep);
	free(cn.fd_source);
	free(cn.fd_since);
	free(cn.src);
	memset(&cn, 0, sizeof(cn));
}
