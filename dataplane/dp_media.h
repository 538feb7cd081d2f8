/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The media table: relayed calls' sessions (two legs each) and the rte_hash that finds a leg
 * from a packet's destination (family, our address, port). Workers look it up without locks
 * (RW_CONCURRENCY_LF); the main lcore installs, replaces and removes sessions from the
 * channel's commands (SBC_CMD_MEDIA_*) under the data plane's QSBR: a session slot, a hash key
 * slot or an old version of a session is reused only after every worker has passed a
 * quiescent point, and only then are MEDIA_READY (for a SET) and MEDIA_GONE (for a DEL) sent.
 *
 * A session version is immutable for the workers except for what they write themselves: the
 * latched remote ports (compare-and-swap, so two workers never both latch), the receive
 * figures of each leg (by the worker RSS gives the leg's 5-tuple to), the drop counter
 * (atomic). A MEDIA_SET on a live session builds a new version in another slot, carrying over
 * each leg whose remote and keys did not change, and swaps the hash data to it.
 */
#ifndef DP_MEDIA_H
#define DP_MEDIA_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_hash.h>
#include <rte_rcu_qsbr.h>
#include <rte_telemetry.h>

#include "dp_rtp.h"
#include "sbc_channel.h"
#include "sbc_config.h"

struct dp_srtp_ctx;	/* dataplane/dp_srtp.h (the srtp helper's) */

/* The hash key: where a packet was sent to. */
struct dp_media_key {
	uint8_t family;		/* SBC_AF_V4 / SBC_AF_V6 */
	uint8_t pad;
	uint16_t port;		/* host order */
	uint8_t addr[16];	/* IPv4 in the first 4 bytes, the rest zero */
};

/* The hash data: the session slot, the leg, and whether the port is the leg's RTCP port. */
#define DP_MEDIA_DATA(slot, leg, rtcp) ((void *)(uintptr_t)(((slot) << 2) | ((leg) << 1) | (rtcp)))
#define DP_MEDIA_SLOT(d) ((uint32_t)((uintptr_t)(d) >> 2))
#define DP_MEDIA_LEG(d) ((unsigned int)(((uintptr_t)(d) >> 1) & 1))
#define DP_MEDIA_RTCP(d) ((bool)((uintptr_t)(d) & 1))

/* What a leg receives, written by the worker its RTP 5-tuple hashes to (RSS keeps a 5-tuple
 * on one queue), on its own cache line: the worker relaying the other way reads the leg's
 * addresses, never this. */
struct dp_media_rx {
	uint64_t packets, bytes;
	uint64_t last_ns;	/* the data plane's clock at the last packet relayed from it */
	uint64_t dropped;	/* received for this leg and not relayed (atomic adds: any worker) */
	struct dp_rtp_seq seq;
	struct dp_rtp_jitter jitter;
} __rte_cache_aligned;

/* What a leg's RTCP says, written by the worker its RTCP 5-tuple hashes to. */
struct dp_media_rtcp_rx {
	uint64_t packets, bytes;
	uint64_t last_ns;
	struct dp_rtcp_rr rr;
	bool have_rr;
} __rte_cache_aligned;

struct dp_media_leg {
	/* set by the main lcore before any worker can see the version */
	uint8_t family, flags, srtp;
	uint16_t trunk;
	uint16_t local_port, remote_port, remote_rtcp_port;
	uint8_t local_addr[16], remote_addr[16];
	/* SRTP, per direction (NULL: plain RTP): srtp_in unprotects what the remote sends,
	 * srtp_out protects what is sent to it; made and freed by the main lcore (dp_srtp.h) */
	struct dp_srtp_ctx *srtp_in, *srtp_out;
	/* SBC_MEDIA_LATCH: 0 until the first packet from remote_addr, then its port + 1 (set
	 * once, by compare-and-swap) */
	uint32_t latch_rtp, latch_rtcp;
	struct dp_media_rx rx;
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
extern struct rte_hash *dp_media_hash;
extern struct dp_media_session *dp_media_slots;

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
void dp_media_leg_stats(const struct dp_media_leg *l, struct sbc_media_leg_stats *out);

/* Telemetry: /sbc/media (totals) and /sbc/media_session,<id> (both legs). */
int dp_media_telemetry_register(void);

#endif
