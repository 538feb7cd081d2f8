/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The media table: relayed calls' sessions (two legs each) and the port index that finds a leg
 * from a packet's destination (our address, port). Workers read it without locks; the main
 * lcore installs, replaces and removes sessions from the channel's commands (SBC_CMD_MEDIA_*)
 * under the data plane's QSBR: a session slot or an old version of a session is reused only
 * after every worker has passed a quiescent point, and only then are MEDIA_READY (for a SET) and MEDIA_GONE (for a DEL) sent.
 *
 * A session version is immutable for the workers except for what they write themselves: the
 * latched remote ports (compare-and-swap, so two workers never both latch) and the ports the
 * other direction sends to, the receive figures of each leg (by the worker RSS gives the leg's
 * 5-tuple to), the next-hop cache, the drop counter (atomic). What a relayed packet needs is
 * its direction's block (struct dp_media_fwd), made from the legs at MEDIA_SET; the slot keeps
 * the legs as given, the RTCP figures and the SRTP contexts. A MEDIA_SET on a live session
 * builds a new version in another slot, carrying over each leg whose remote and keys did not
 * change (its latches and figures), and points the ports' words at it.
 */
#ifndef DP_MEDIA_H
#define DP_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_telemetry.h>

#include "dp_rtp.h"
#include "sbc_channel.h"
#include "sbc_config.h"

struct dp_srtp_ctx;	/* dataplane/dp_srtp.h (the srtp helper's) */

/*
 * Where a packet was sent to, (our address's index in dp_media_locals, port), finds its leg in
 * one load: dp_media_index holds a word for every port of [sbc] media_ports on every local
 * address (local-major), the media port range being known and bounded (at most 65,536 ports
 * times DP_MEDIA_LOCALS addresses: 4.5 MB; 20000-29999 on one address: 40 KB). A word is 0 (no
 * session) or DP_MEDIA_DATA + 1. The main lcore stores whole words; a worker that read a word
 * just before it changed still finds the session version it named, whose slot is reused only
 * after RCU (dp_media.c), so the words themselves need no grace period.
 */
extern uint32_t *dp_media_index;
/* Live sessions with an SRTP leg (main lcore writes): while 0 the workers skip the staged
 * prefetch of SRTP contexts (dp_worker.c). */
extern uint32_t dp_media_srtp_sessions;
extern uint16_t dp_media_port_base;	/* media_port_min */
extern uint32_t dp_media_n_ports;	/* media_port_max - media_port_min + 1 */

/* The word of (local, port) in an index of n_ports words an address from port base (the
 * globals below, or a worker's copies of them held in registers over a burst). */
static inline const uint32_t *dp_media_word_in(const uint32_t *index, uint32_t n_ports,
					       uint16_t base, unsigned int local, uint16_t port)
{
	return &index[(size_t)local * n_ports + (uint16_t)(port - base)];
}

/* The word of (local, port); port within media_ports (dp_media_port). */
static inline uint32_t *dp_media_word(unsigned int local, uint16_t port)
{
	return &dp_media_index[(size_t)local * dp_media_n_ports +
			       (uint16_t)(port - dp_media_port_base)];
}

/* What (local, port)'s word names (DP_MEDIA_SLOT, _LEG, _RTCP, _FWD read it) and true, or
 * false: no session there. Any lcore. */
static inline bool dp_media_find(unsigned int local, uint16_t port, void **data)
{
	uint32_t w = __atomic_load_n(dp_media_word(local, port), __ATOMIC_ACQUIRE);

	*data = (void *)(uintptr_t)(w - 1);
	return w != 0;
}

/* What a port's word names (less one): the session slot, the leg, and whether the port is the
 * leg's RTCP port. */
#define DP_MEDIA_DATA(slot, leg, rtcp) ((void *)(uintptr_t)(((slot) << 2) | ((leg) << 1) | (rtcp)))
#define DP_MEDIA_SLOT(d) ((uint32_t)((uintptr_t)(d) >> 2))
#define DP_MEDIA_LEG(d) ((unsigned int)(((uintptr_t)(d) >> 1) & 1))
#define DP_MEDIA_RTCP(d) ((bool)((uintptr_t)(d) & 1))
/* The direction (struct dp_media_fwd) a packet to that port takes: slot * 2 + leg. */
#define DP_MEDIA_FWD(d) ((uint32_t)((uintptr_t)(d) >> 1))

/* struct dp_media_fwd's flags */
#define DP_FWD_LATCH 0x01	/* the in leg latches (SBC_MEDIA_LATCH) */
#define DP_FWD_MUX 0x02		/* the in leg muxes RTCP on its RTP port (RFC 5761) */
#define DP_FWD_SRTP 0x04	/* SRTP in or out: the legs' contexts are read (the slow path) */
#define DP_FWD_OUT_MUX 0x08	/* the out leg muxes RTCP: it leaves from the RTP port */
/* IPv4 in and out, no SRTP, no rtcp-mux on the in leg: what dp_path_media4 takes, one test */
#define DP_FWD_FAST4 0x10

/*
 * One direction of a session: what a packet arriving at one leg (in) needs to leave by the
 * other (out), in one 128-byte block of two cache lines that the worker fetches together
 * (dp_media_prefetch) and nothing else shares: a relayed RTP packet touches no other memory of
 * the session. Made by the main lcore from the two legs at MEDIA_SET (struct dp_media_leg keeps
 * what the session was given); workers write only the latches (compare-and-swap, once), the
 * other direction's dst_port when they latch, the next-hop cache and line 1.
 */
struct dp_media_fwd {
	/* line 0: mostly read */
	uint8_t src[16];	/* the in leg's remote: the only source admitted */
	uint8_t dst[16];	/* the out leg's remote */
	/* [rtcp]: the port the in leg's remote sends from, + 1; 0: a latching leg (DP_FWD_LATCH)
	 * that has not sent yet, the first packet's port is set here by compare-and-swap */
	uint32_t src_port[2];
	/* [rtcp]: where the out leg's remote receives RTP, RTCP (its RTP port with rtcp-mux); 0:
	 * not known (a latching leg that has sent nothing): set when the out leg latches */
	uint16_t dst_port[2];
	uint16_t out_port;	/* the out leg's local port RTP leaves from (RTCP: dp_fwd_out_port) */
	/* IPv4 to IPv4 (dp_media4.h's dp_media4_rewrite), one's complement sums (RFC 1071) in the
	 * host's byte order of words as they lie in the header, made at MEDIA_SET: what replacing
	 * the in leg's remote and local addresses (the packet's: strict source) by the out leg's
	 * local and remote adds to the UDP checksum, per packet only the ports are summed */
	uint16_t v4_addr_delta;
	uint8_t out_family;
	uint8_t out_local;	/* the out leg's local address: index in dp_media_locals */
	uint8_t flags;		/* DP_FWD_* */
	/* a dynamic payload type the in leg's remote sends and its RTP clock in multiples of
	 * 8 kHz (MEDIA_SET's rtp_pt, rtp_clock_8k): its jitter is figured too; rtp_k 0: none */
	uint8_t rtp_pt;
	/* and the sum of what the IPv4 header leaving has from the direction: flags and fragment
	 * offset 0, TTL 64, protocol UDP, the out leg's local and remote addresses */
	uint16_t v4_hdr_sum;
	uint8_t rtp_k;
	/* the out leg's next hop's MAC as the relaying worker found it: bit 63 valid, bits 48-62
	 * the low 15 bits of dp_neigh_gen (dp_neigh.h) it was found at, bits 0-47 the MAC's
	 * bytes little-endian; one word, so a reader never sees half of two */
	uint64_t nh;
	/* line 1: the in leg's RTP receive figures, written by the worker its RTP 5-tuple
	 * hashes to (RSS keeps a 5-tuple on one queue) */
	uint64_t packets, bytes;	/* RTP (RTCP: struct dp_media_rtcp_rx) */
	uint64_t last_ns;	/* the data plane's clock at the last packet counted */
	struct dp_rtp_seq seq;
	struct dp_rtp_jitter jitter;
} __attribute__((aligned(128)));
_Static_assert(offsetof(struct dp_media_fwd, packets) == 64, "line 0, then the figures' line");
_Static_assert(offsetof(struct dp_media_fwd, nh) == 56, "line 0: nh after rtp_k's padding");
_Static_assert(sizeof(struct dp_media_fwd) == 128, "a direction is two cache lines");

/* The out leg's local port RTP (rtcp false) or RTCP leaves from. */
static inline uint16_t dp_fwd_out_port(const struct dp_media_fwd *f, bool rtcp)
{
	return (uint16_t)(f->out_port + (rtcp && !(f->flags & DP_FWD_OUT_MUX)));
}

/* What a leg's RTCP says, written by the worker its RTCP 5-tuple hashes to. */
struct dp_media_rtcp_rx {
	uint64_t packets, bytes;
	uint64_t last_ns;
	struct dp_rtcp_rr rr;
	bool have_rr;
} __rte_cache_aligned;

/* A leg as MEDIA_SET gave it (main lcore), with the figures that are not per RTP packet. */
struct dp_media_leg {
	uint8_t family, flags, srtp;
	uint16_t trunk;
	uint16_t local_port, remote_port, remote_rtcp_port;
	uint8_t local_addr[16], remote_addr[16];
	/* SRTP, per direction (NULL: plain RTP): srtp_in unprotects what the remote sends,
	 * srtp_out protects what is sent to it; made and freed by the main lcore (dp_srtp.h) */
	struct dp_srtp_ctx *srtp_in, *srtp_out;
	bool srtp_kept;		/* main lcore: a newer version took over srtp_in/out (not freed) */
	uint64_t dropped;	/* received for this leg and not relayed (atomic adds: any worker) */
	struct dp_media_rtcp_rx rtcp;
};

struct dp_media_session {
	struct dp_media_leg leg[2];
	uint64_t id;
	uint32_t seq;
	uint64_t installed_ns;
	bool live;		/* main lcore: in the id map (not replaced or deleted) */
	bool timeout_sent;	/* main lcore: MEDIA_TIMEOUT sent for this version */
};

/* Read by the workers. */
extern struct dp_media_session *dp_media_slots;
extern struct dp_media_fwd *dp_media_fwd;	/* [slot * 2 + leg] */
/* The local addresses a leg may have (address, media_addresses, address6), IPv4 in the first
 * 4 bytes: what dp_media_fwd.out_local indexes. */
#define DP_MEDIA_LOCALS (2 + 2 * SBC_MEDIA_ADDRS_MAX)
extern uint8_t dp_media_locals[DP_MEDIA_LOCALS][16];

/* Where an address of ours is in dp_media_locals (dp_media.c's locals_of makes it in this
 * order): [sbc] address, the IPv4 media_addresses, address6 (when set), the IPv6 ones. */
static inline unsigned int dp_media_local_addr4(void)
{
	return 0;
}

static inline unsigned int dp_media_local_media4(unsigned int k)
{
	return 1 + k;
}

static inline unsigned int dp_media_local_addr6(const struct sbc_config *c)
{
	return 1 + c->n_media_addr4;
}

static inline unsigned int dp_media_local_media6(const struct sbc_config *c, unsigned int k)
{
	return 1 + c->n_media_addr4 + (c->has_address6 ? 1 : 0) + k;
}

/* The direction a port's word leads to in the table fwd (dp_media_fwd, or a copy of its
 * address kept in a register), its two lines asked for ahead of use. */
static inline struct dp_media_fwd *dp_media_prefetch_in(struct dp_media_fwd *fwd,
							const void *data)
{
	struct dp_media_fwd *f = &fwd[DP_MEDIA_FWD(data)];

	rte_prefetch0(f);
	rte_prefetch0((const char *)f + 64);
	return f;
}

static inline struct dp_media_fwd *dp_media_prefetch(const void *data)
{
	return dp_media_prefetch_in(dp_media_fwd, data);
}

/* Is dport in [sbc] media_ports? The only cost media adds to other traffic. */
static inline bool dp_media_port(const struct sbc_config *c, uint16_t dport)
{
	return (uint16_t)(dport - c->media_port_min) <= (uint16_t)(c->media_port_max -
								   c->media_port_min);
}

/* Sessions the table takes: [dataplane] media_sessions, or what media_ports can hold (a
 * session with rtcp-mux on both legs takes two ports, per address family). */
uint32_t dp_media_capacity(const struct sbc_config *c);

int dp_media_create(const struct sbc_config *c, struct rte_rcu_qsbr *qsv, int socket);
void dp_media_free(void);

/* Main lcore. Events go out through send (the channel's). */
typedef void (*dp_media_send_fn)(uint16_t type, const void *body, uint32_t len);

/* MEDIA_SET: 0 (MEDIA_READY follows at dp_media_commit) or -errno (answer it now). */
int dp_media_set(const struct sbc_msg_media *m, uint64_t now_ns, char *err, size_t errlen);
/* MEDIA_DEL: MEDIA_GONE follows at dp_media_commit (zero figures for an unknown id). */
void dp_media_del(const struct sbc_msg_media_ref *r);
/* MEDIA_FLUSH: every session gone (after one RCU wait), no events. */
void dp_media_flush(void);
/* After a batch of commands: one RCU wait, then the batch's events and reclaims. */
void dp_media_commit(dp_media_send_fn send);
/* media_timeout: scan part of the table; MEDIA_TIMEOUT once per session version. */
void dp_media_tick(uint64_t now_ns, dp_media_send_fn send);

/* A leg's figures as MEDIA_GONE / MEDIA_TIMEOUT carry them. */
void dp_media_leg_stats(const struct dp_media_session *s, unsigned int leg,
			struct sbc_media_leg_stats *out);

/* Telemetry: /sbc/media (totals) and /sbc/media_session,<id> (both legs). */
int dp_media_telemetry_register(void);

#endif
