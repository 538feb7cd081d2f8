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
 * TIME_WAIT) before Sofia allocates anything for it; Sofia is told EAGAIN, as when another
 * process took the connection first, and waits for the next one.
 *
 * The sources with open connections are few next to the connections (a PBX multiplexes its
 * calls over one or a few): a small array searched linearly, swapped-remove on the last close.
 * Every process-wide close() passes here: one array index per call. The control plane is one
 * thread (su_root); the counters are read on it too (cp_status.c).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cp_conn.h"

struct source {
	uint8_t addr[16];	/* IPv6, or IPv4-mapped */
	uint32_t open;
};

static struct {
	uint32_t per_source;	/* 0: not started, no cap */
	int32_t *fd_source;	/* [max_fd]: -1, or the source index of an accepted fd */
	int max_fd;
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

static int refuse(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	syscall(SYS_close, fd);
	cn.st.refused++;
	errno = EAGAIN;
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
		cn.st.open--;
		cn.st.closed++;
		if (--cn.src[i].open == 0)
			drop_source(i);
	}
	return (int)syscall(SYS_close, fd);
}

int cp_conn_init(const struct sbc_config *cfg)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		rl.rlim_cur = 65536;
	cn.max_fd = rl.rlim_cur > 1048576 ? 1048576 : (int)rl.rlim_cur;
	cn.fd_source = malloc((size_t)cn.max_fd * sizeof(*cn.fd_source));
	if (cn.fd_source == NULL)
		return -ENOMEM;
	memset(cn.fd_source, 0xff, (size_t)cn.max_fd * sizeof(*cn.fd_source));
	cn.per_source = cfg->tcp_conns_per_source;
	return 0;
}

void cp_conn_fini(void)
{
	cn.per_source = 0;
	free(cn.fd_source);
	free(cn.src);
	memset(&cn, 0, sizeof(cn));
}
