/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTP <-> RTP on the media path (RFC 3711, SDES keys of RFC 4568, AES-GCM of RFC 7714), on
 * libsrtp2. One context per leg and direction: created and freed by the main lcore (freed only
 * after RCU quiescence), its RTP and its RTCP half each used by one worker (dp_srtp_claim). Free of DPDK, so the unit tests and
 * the benchmark link it without an EAL.
 */
#ifndef DP_SRTP_H
#define DP_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp_srtp_ctx;

/* Why protect/unprotect refused a packet (0 = done). The relay counts each as a drop reason. */
enum dp_srtp_result {
	DP_SRTP_OK = 0,
	DP_SRTP_AUTH,		/* authentication tag wrong (or GCM tag): forged or wrong key */
	DP_SRTP_REPLAY,		/* index seen before, or older than the replay window */
	DP_SRTP_MALFORMED,	/* not RTP/RTCP version 2, or shorter than header + tag */
	DP_SRTP_ROOM,		/* protect: no tailroom for the tag (see dp_srtp_protect) */
	DP_SRTP_FAIL,		/* anything else libsrtp refused (e.g. key usage hard limit) */
	DP_SRTP_RESULT_MAX
};

/*
 * Once, before any context, on the main lcore (the data plane's start): libsrtp2's crypto
 * kernel, and its event handler replaced by one that only counts (libsrtp2 would otherwise print
 * key-limit events from the worker). 0 or -EIO.
 */
int dp_srtp_init(void);

/* libsrtp2's version string and crypto back end ("OpenSSL" or "NSS"/"built-in"), for the log. */
const char *dp_srtp_version(void);
const char *dp_srtp_backend(void);

/* Which HMAC-SHA1 and AES-CM libsrtp2 runs: "libsrtp2's own", or what dp_srtp_crypto.c put in
 * their place in the OpenSSL build (after dp_srtp_init). */
const char *dp_srtp_crypto(void);

/*
 * A context for one direction of one leg. suite: enum sbc_srtp_suite (not NONE); key: master key
 * then master salt, sbc_srtp_key_len(suite) bytes (the caller wipes its own copy afterwards; this
 * one keeps only libsrtp2's derived session keys and wipes its temporary copy). inbound: unprotects
 * (what the leg's remote sends us, any SSRC it uses) else protects (what we send it). The replay
 * window (128 packets) and the rollover counter are per SSRC within the context, so per
 * direction. A new SSRC seen on an inbound context makes libsrtp2 allocate a stream for it, but
 * only once that SSRC's first packet has authenticated. Main lcore. 0 or -errno with a message in
 * err (never the key).
 */
int dp_srtp_ctx_new(struct dp_srtp_ctx **out, unsigned int suite, const uint8_t *key,
		    bool inbound, char *err, size_t errlen);

/*
 * A context's RTP half and RTCP half (separate libsrtp2 sessions of the same key: RTCP on the odd
 * port is another 5-tuple, which RSS may give another worker) are each used by one worker: the
 * first that claims it. true: this worker owns that half (now or already); false: another does,
 * and the caller drops the packet. RSS keeps one 5-tuple on one queue, so this fails only when a
 * direction's 5-tuple moved (see README, "Media: SRTP").
 */
bool dp_srtp_claim(struct dp_srtp_ctx *c, bool rtcp, unsigned int worker);

/*
 * Main lcore, once no worker can still be handling the 5-tuple that drove the context (RCU
 * quiescence after the leg's remote changed): both halves without an owner, so the worker of the
 * new 5-tuple claims them; windows and rollover counters are kept.
 */
void dp_srtp_release(struct dp_srtp_ctx *c);

/*
 * Was c made for this suite and key? (A MEDIA_SET that repeats a leg's keys keeps its contexts.)
 * Compares a 64-bit keyed fingerprint taken at creation (FNV-1a under a random per-start seed),
 * not the key, which the context does not keep. Main lcore.
 */
bool dp_srtp_key_is(const struct dp_srtp_ctx *c, unsigned int suite, const uint8_t *key);

/* Frees a context (NULL is fine). Only after no worker can still hold it (RCU quiescence). */
void dp_srtp_ctx_free(struct dp_srtp_ctx *c);

/*
 * In place: checks the tag (and the replay window) before decrypting, so nothing unauthenticated
 * is ever forwarded; on success *len is the plain RTP/RTCP length. rtcp: SRTCP (RFC 3711 3.4).
 * Returns 0 or an enum dp_srtp_result; on failure the buffer may hold garbage (drop it).
 */
int dp_srtp_unprotect(struct dp_srtp_ctx *c, uint8_t *pkt, uint32_t *len, bool rtcp);

/*
 * In place: encrypts and appends the tag (SRTCP: the E flag + index, then the tag); *len grows by
 * dp_srtp_trailer(c, rtcp) bytes. room: bytes writable from pkt on (the packet plus the buffer's
 * tailroom). The caller guarantees room by passing the mbuf's real room: data_len of the
 * (single) segment from pkt on plus rte_pktmbuf_tailroom(); the data plane's mbufs have
 * RTE_MBUF_DEFAULT_BUF_SIZE, so any RTP packet that fits an Ethernet frame has the few bytes
 * needed, and one that has not gets DP_SRTP_ROOM (nothing written). The caller then extends the
 * mbuf (rte_pktmbuf_append) by the growth.
 * Returns 0 or an enum dp_srtp_result (DP_SRTP_REPLAY: the same index protected twice, which
 * would reuse key stream).
 */
int dp_srtp_protect(struct dp_srtp_ctx *c, uint8_t *pkt, uint32_t *len, uint32_t room, bool rtcp);

/*
 * Ask for the cache lines a packet of c's RTP (rtcp false) or RTCP half will read, without
 * waiting for them: libsrtp2's session, stream list head and the stream of the SSRC last handled
 * (with its keys' limit and replay bitmap), the AES-CM and HMAC-SHA1 states. protect/unprotect
 * begin with it, so those lines arrive together rather than one dependent miss after another; a
 * caller that knows the context a few packets ahead (the worker's burst) calls it then and finds
 * them cached. Only the half's owner (or the main lcore before any packet).
 */
void dp_srtp_prefetch(const struct dp_srtp_ctx *c, bool rtcp);

/* Bytes protect adds (RTP: the tag; RTCP: 4 + tag), for the caller's room check. */
uint32_t dp_srtp_trailer(const struct dp_srtp_ctx *c, bool rtcp);

/* Name of a result for the drop counters' help ("auth", "replay", ...). */
const char *dp_srtp_result_name(int r);

/* libsrtp2 events since start: key usage soft/hard limit, SSRC collision (counted, not logged). */
struct dp_srtp_events {
	uint64_t key_soft_limit;
	uint64_t key_hard_limit;
	uint64_t ssrc_collision;
	uint64_t other;
};
void dp_srtp_events_get(struct dp_srtp_events *ev);

#endif
