/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane <-> data plane channel: one POSIX shared-memory region holding a header
 * (magic, layout version, struct sizes, each side's boot id and heartbeat) and two
 * single-producer/single-consumer rings of fixed-size, typed, versioned messages: commands
 * (control plane -> data plane) and events (data plane -> control plane). Offsets, never
 * pointers, so both processes may map it anywhere. No DPDK: the control plane links this too.
 */
#ifndef SBC_CHANNEL_H
#define SBC_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbc_cidr.h"

#define SBC_CHAN_MAGIC   0x314e414843434253ull	/* "SBCCHAN1" little-endian */
#define SBC_CHAN_VERSION 10u	/* 2: CP_STATUS, call events; 3: call records in CP_STATUS, call end
				 * timer_c; 4: admission over the channel (TCP/TLS calls); 5: the
				 * denylist (SBC_CMD_DENY_*); 6: TRUNK_STATE, CP_CALLS (the B2BUA's,
				 * admission and connection counters); 7: media sessions
				 * (SBC_CMD_MEDIA_*, SBC_EVT_MEDIA_*); 8: CP_CALLS's
				 * b2b_failed_admission, sip_transactions, b2b_session_expired and
				 * the media counters (loop_late_max_ms 32 bits to make room); 9:
				 * CP_REGISTRAR (the registrar's counters); 10: CP_MEDIA (the media
				 * counters out of CP_CALLS, free ports), CP_CALLS's admission
				 * refusals by verdict and the allowlist reads' slices, MEDIA_SET's
				 * dynamic payload type and its clock per leg (where pad was) */
#define SBC_CHAN_SLOTS   65536u		/* per ring, power of two */
#define SBC_MSG_SIZE     256u
#define SBC_MSG_BODY     (SBC_MSG_SIZE - 24u)

enum sbc_msg_type {
	/* commands, control plane -> data plane */
	SBC_CMD_ACL_ADD = 1,		/* body: sbc_msg_acl (prefixes to add to the trunk) */
	SBC_CMD_ACL_DEL,		/* body: sbc_msg_acl (prefixes to remove) */
	SBC_CMD_ACL_REPLACE_BEGIN,	/* body: sbc_msg_acl with count = prefixes to follow */
	SBC_CMD_ACL_ENTRIES,		/* body: sbc_msg_acl (a chunk of the new set) */
	SBC_CMD_ACL_REPLACE_COMMIT,	/* body: sbc_msg_acl header only: swap the trunk's set */
	SBC_CMD_LIMITS_SET,		/* body: sbc_msg_limits */
	SBC_CMD_RESYNC_REQUEST,		/* no body: data plane answers with SBC_EVT_STARTED */
	SBC_CMD_CP_STATUS,		/* body: sbc_msg_cp_status, shown on the stats socket */
	SBC_CMD_TRUNK_STATE,		/* body: sbc_msg_trunk_state, shown in /sbc/trunks */
	SBC_CMD_CP_CALLS,		/* body: sbc_msg_cp_calls, shown on the stats socket */
	SBC_CMD_CP_REGISTRAR,		/* body: sbc_msg_cp_registrar, shown on the stats socket */
	SBC_CMD_CP_MEDIA,		/* body: sbc_msg_cp_media, shown on the stats socket */
	/* admission of calls that reached the control plane over TCP or TLS (channel 4) */
	SBC_CMD_ADMIT = 32,		/* body: sbc_msg_admit: may this call go on? */
	SBC_CMD_ADMIT_END,		/* body: sbc_msg_admit: a call it admitted has ended */
	/* the denylist (sbc:deny:<ip>), numbered apart so other additions keep their values */
	SBC_CMD_DENY_ADD = 40,		/* body: sbc_msg_deny: deny these sources (or renew) */
	SBC_CMD_DENY_DEL,		/* body: sbc_msg_deny: lift these */
	SBC_CMD_DENY_SYNC_BEGIN,	/* body: sbc_msg_deny, n = 0: a full replay starts */
	SBC_CMD_DENY_SYNC_END,		/* body: sbc_msg_deny, n = 0: entries not added since
					 * the BEGIN of the same generation are lifted */
	/* media sessions (channel 7): the control plane owns ports and SDP, the data plane relays */
	SBC_CMD_MEDIA_SET = 48,		/* body: sbc_msg_media: install a session or replace both
					 * of its legs (re-INVITE); answered by SBC_EVT_MEDIA_READY */
	SBC_CMD_MEDIA_DEL,		/* body: sbc_msg_media_ref: remove it; answered by
					 * SBC_EVT_MEDIA_GONE (only then are its ports free again) */
	SBC_CMD_MEDIA_FLUSH,		/* no body: remove every session without an event each (a
					 * control plane that starts has no calls) */
	/* events, data plane -> control plane */
	SBC_EVT_STARTED = 64,		/* body: sbc_msg_started */
	SBC_EVT_APPLIED,		/* body: sbc_msg_applied: a generation is in force */
	SBC_EVT_REFUSED,		/* body: sbc_msg_applied with error text: old state kept */
	SBC_EVT_TABLE_FULL,		/* body: sbc_msg_applied: a set did not fit */
	SBC_EVT_CALL_ADMITTED,		/* body: sbc_msg_call: an INVITE took a call slot */
	SBC_EVT_CALL_ENDED,		/* body: sbc_msg_call with the reason it ended */
	SBC_EVT_ADMIT_VERDICT = 96,	/* body: sbc_msg_admit_verdict, the answer to SBC_CMD_ADMIT */
	SBC_EVT_MEDIA_READY = 104,	/* body: sbc_msg_media_ref: a MEDIA_SET is in force in every
					 * worker (error 0), or was refused (error -errno) */
	SBC_EVT_MEDIA_GONE,		/* body: sbc_msg_media_stats: removed (DEL); final figures */
	SBC_EVT_MEDIA_TIMEOUT,		/* body: sbc_msg_media_stats: no packet from either leg for
					 * media_timeout s (legs on hold exempt); still installed */
};

/* Every message: 24-byte header + body, SBC_MSG_SIZE bytes in all. */
struct sbc_msg {
	uint16_t type;		/* enum sbc_msg_type */
	uint16_t version;	/* layout version of this type's body (1) */
	uint32_t len;		/* bytes of body used */
	uint64_t generation;	/* control plane's counter, echoed in events */
	uint64_t sent_ns;	/* CLOCK_REALTIME when queued, for latency figures */
	uint8_t body[SBC_MSG_BODY];
};

/* A prefix in 18 bytes: family 4 or 6, depth, address (IPv4 in the first 4 bytes). */
struct sbc_wire_prefix {
	uint8_t family;
	uint8_t depth;
	uint8_t addr[16];
};

#define SBC_ACL_PER_MSG ((SBC_MSG_BODY - 8u) / sizeof(struct sbc_wire_prefix))

struct sbc_msg_acl {
	uint16_t trunk;
	uint16_t n;		/* prefixes in this message */
	uint32_t count;		/* REPLACE_BEGIN: prefixes the whole new set will have */
	struct sbc_wire_prefix p[SBC_ACL_PER_MSG];
};

struct sbc_msg_limits {
	uint16_t trunk;
	uint16_t pad;
	uint32_t cps;
	uint32_t burst;
	uint32_t max_calls;
};

struct sbc_msg_started {
	uint64_t boot_id;
	uint64_t trunks_hash;	/* sbc_trunks_hash() of the data plane's configuration */
	uint32_t n_trunks;
	uint32_t pid;
};

struct sbc_msg_applied {
	uint16_t trunk;		/* UINT16_MAX when not about a trunk */
	uint16_t cmd;		/* the command type it answers */
	int32_t error;		/* 0 or -errno */
	uint64_t applied_ns;	/* CLOCK_REALTIME when every worker had the change */
	uint32_t prefixes_v4, prefixes_v6;	/* the trunk's set in force now */
	char text[SBC_MSG_BODY - 32];	/* what was wrong, for REFUSED / TABLE_FULL */
};

/* What the control plane knows that only it can know, for `sbcctl channel`. */
struct sbc_msg_cp_status {
	uint8_t redis_up;		/* both Redis connections ready */
	uint8_t notifications;		/* keyspace notifications subscribed and enabled */
	uint16_t pad;
	uint32_t pid;
	uint64_t replays;		/* full reads of every key */
	uint64_t redis_reconnects;
	uint64_t notifications_seen;
	uint64_t bad_values;		/* values skipped (bad CIDR, not a number, conflict) */
	uint64_t unknown_keys;		/* sbc:acl:* / sbc:limits:* naming no configured trunk */
	uint64_t refused_sets;		/* sets refused whole (over capacity) */
	uint64_t queued;		/* commands waiting for room in the ring */
	uint64_t calls_admitted, calls_ended;	/* call events received */
	uint64_t calls_open;		/* admitted and not ended: the data plane's active calls */
	uint64_t cdr_written;		/* call records the Redis stream sbc:cdr took */
	uint64_t cdr_pending;		/* records waiting for Redis */
	uint64_t cdr_lost;		/* records that never reached sbc:cdr */
};

/* The control plane's call handling, for `sbcctl channel` (SBC_CMD_CP_CALLS: apart from
 * CP_STATUS, which has no room left in one message). */
struct sbc_msg_cp_calls {
	/* admission over the channel and TCP/TLS connections (channel 4; cp_admit.c, cp_conn.c) */
	uint64_t admit_asked;		/* SBC_CMD_ADMIT sent */
	uint64_t admit_failclosed;	/* 503 without an answer: none within admit_wait_ms, or no
					 * data plane in sync */
	uint64_t admit_late;		/* answers after the wait (an admitted one given back) */
	uint64_t admit_answered;	/* verdicts that came within the wait */
	uint64_t admit_wait_ns;		/* their waits summed: request sent -> verdict handled */
	uint64_t conn_accepted;		/* TCP/TLS connections accepted */
	uint64_t conn_refused;		/* closed at accept: tcp_conns_per_source or tcp_conns */
	uint64_t conn_open;		/* accepted and not yet closed */
	uint64_t conn_idle_closed;	/* shut down: nothing received within tcp_idle_timeout */
	/* the B2BUA */
	uint64_t b2b_calls_in;		/* INVITEs taken as calls */
	uint64_t b2b_calls_out;		/* INVITEs sent to a trunk (a failover sends another) */
	uint64_t b2b_answered;		/* calls answered (2xx relayed to the caller) */
	uint64_t b2b_failovers;		/* INVITEs moved on to the next trunk of a route */
	uint64_t b2b_active;		/* calls not ended (gauge) */
	/* calls that ended unanswered, by why: */
	uint64_t b2b_failed_callee;	/* the last trunk's final failure, relayed */
	uint64_t b2b_failed_timeout;	/* no final answer (Timer B) or no ACK */
	uint64_t b2b_failed_no_trunk;	/* no trunk of the route could be tried (503) */
	uint64_t b2b_failed_internal;	/* the SBC's own error (500) */
	uint64_t b2b_canceled;		/* the caller's CANCEL (or early BYE) */
	uint64_t b2b_refused;		/* 403: no trunk for the source, or an empty route */
	uint64_t b2b_too_many_hops;	/* 483: Max-Forwards 0 */
	uint32_t loop_late_max_ms;	/* the worst lateness of the loop's 10 ms tick, last 10 s */
	uint32_t sip_transactions;	/* nta's server and client transactions alive */
	uint64_t b2b_failed_admission;	/* TCP/TLS calls refused by admission: over a cap, or no
					 * verdict within admit_wait_ms (503 either way) */
	uint64_t b2b_session_expired;	/* answered calls ended by their session timer */
	/* admission's refusals by verdict, in time or late (admit_answered: every verdict in
	 * time) */
	uint64_t admit_over_cps, admit_over_calls, admit_table_full;
	/* Redis allowlist reads too big to apply at once, applied a slice per loop turn
	 * (cp_policy.c): reads, turns, and the longest turn in wall clock and CPU time */
	uint32_t acl_sliced_reads, acl_slices;
	uint32_t acl_slice_max_us, acl_slice_max_cpu_us;
};

/* Anchored media as the control plane sees it (cp_media.c, cp_b2bua.c), for `sbcctl channel`
 * (cp_media_*) and `sbcctl media` (free ports): SBC_CMD_CP_MEDIA. */
struct sbc_msg_cp_media {
	uint32_t sessions;		/* calls holding media ports, until GONE (gauge; at most
					 * 32,768 a pool) */
	uint32_t gone_late;		/* GONE not within 2 s (its ports stay taken until it comes) */
	uint64_t no_port;		/* 503: no free port pair in media_ports */
	uint64_t refused;		/* 500/503: a session refused by the data plane, not
					 * confirmed within 1 s, no data plane, or its id taken */
	uint64_t id_taken;		/* of those, 500: a session still held the call's id */
	uint64_t timeouts;		/* calls ended by SBC_EVT_MEDIA_TIMEOUT */
	uint64_t sdp_rejected;		/* 488: no allowed codec, no usable audio or a=crypto */
	uint64_t srtp_no_tls;		/* our SDES keys kept from a cleartext transport: calls
					 * from an srtp = sdes trunk not over TLS (403), and
					 * attempts skipped for such a trunk's registered contact
					 * not reached over TLS */
	uint32_t free_pairs[2];		/* port pairs (RTP, RTCP) free: IPv4, IPv6 (gauges) */
	uint32_t pairs[2];		/* pairs in each pool (0: no IPv6 address) */
};

/* The registrar's counters, for `sbcctl channel` (SBC_CMD_CP_REGISTRAR; cp_registrar.c). */
struct sbc_msg_cp_registrar {
	uint64_t registers;		/* REGISTERs taken (copies included) */
	uint64_t challenged;		/* 401 with a fresh nonce */
	uint64_t accepted;		/* authenticated (200, or 423/503 for the binding) */
	uint64_t failed;		/* authentication failures, counted for the lockout */
	uint64_t refused;		/* 403/404: locked out, not our realm, auth = both unlisted */
	uint64_t lockouts;		/* sources denied */
	uint64_t bindings;		/* gauge */
	uint64_t dynacl_expired;	/* allowlist entries whose TTL removed them, not their
					 * binding */
	uint64_t answered_again;	/* retransmissions answered from the recent answers */
	uint64_t absorbed;		/* retransmissions while their first copy waited for Redis */
	uint64_t busy;			/* 503: the most REGISTERs already waiting for Redis */
	uint64_t pending;		/* gauge: REGISTERs waiting for Redis */
	uint64_t answers_kept;		/* gauge: recent answers held (at most their ring's size) */
	uint64_t answers_evicted;	/* recent answers pushed out before 32 s: the ring full */
};

/* The B2BUA's view of a trunk it sends calls to (only the control plane knows it). */
enum sbc_trunk_health {
	SBC_HEALTH_NONE = 0,		/* not a trunk the B2BUA sends to */
	SBC_HEALTH_UP,
	SBC_HEALTH_DOWN,
	SBC_HEALTH_MAX
};

struct sbc_msg_trunk_state {
	uint16_t trunk;
	uint8_t health;			/* enum sbc_trunk_health */
	uint8_t pad;
	uint32_t options_misses;	/* consecutive OPTIONS without an answer */
	uint32_t calls_out;		/* calls sent there and not ended */
	int32_t last_code;		/* last final response to a call sent there (0: none) */
};

/* A denied source: its address, how long it stays (from Redis PTTL) and why. */
#define SBC_DENY_REASON_MAX 16
struct sbc_deny_entry {
	uint64_t ttl_ms;		/* 0: until lifted */
	uint8_t family;			/* SBC_AF_V4 (address in the first 4 bytes) or SBC_AF_V6 */
	uint8_t pad[7];
	uint8_t addr[16];
	char reason[SBC_DENY_REASON_MAX];	/* the key's value, cut, NUL-padded */
};

#define SBC_DENY_PER_MSG ((SBC_MSG_BODY - 8u) / sizeof(struct sbc_deny_entry))

struct sbc_msg_deny {
	uint16_t n;			/* entries in this message */
	uint16_t pad;
	uint32_t pad2;
	struct sbc_deny_entry e[SBC_DENY_PER_MSG];
};

/* Why a call ended (SBC_EVT_CALL_ENDED). */
enum sbc_call_end {
	SBC_CALL_END_NONE = 0,		/* admitted */
	SBC_CALL_END_BYE,
	SBC_CALL_END_CANCEL,
	SBC_CALL_END_REJECTED,		/* final non-2xx response to the INVITE */
	SBC_CALL_END_TIMER_B,		/* no response at all within 32 s (RFC 3261 17.1.1.2) */
	SBC_CALL_END_MAX_DURATION,	/* [sbc] max_call_duration passed without a BYE */
	SBC_CALL_END_FLUSHED,		/* the call table was cleared (trunk removed, restart) */
	/* Appended so the values above keep their meaning; a peer of channel version 2 would
	 * refuse it as out of range (sbc_msg_validate), hence version 3. */
	SBC_CALL_END_TIMER_C,		/* provisional, then no final response within 180 s of
					 * the last one (RFC 3261 16.6 item 11, 16.7 step 2) */
	SBC_CALL_END_MAX
};

/* "admitted", "bye", "cancel", "rejected", "timer_b", "max_duration", "flushed", "timer_c" */
extern const char *const sbc_call_end_names[SBC_CALL_END_MAX];

#define SBC_CALL_ID_MAX 176

struct sbc_msg_call {
	uint16_t trunk;
	uint8_t reason;			/* enum sbc_call_end */
	uint8_t emergency;		/* 1: admitted past the caps as an emergency number */
	uint32_t active;		/* the trunk's active calls after this event */
	uint64_t at_ns;			/* the data plane's clock when it happened */
	uint64_t ref_a, ref_b;		/* the call's key: names it even when the id is cut */
	uint16_t call_id_len;
	uint16_t pad[3];
	char call_id[SBC_CALL_ID_MAX];	/* not NUL-terminated; longer ones are cut */
};

/*
 * Admission over the channel. The data plane cannot read a SIP stream (TCP) or a TLS one, so the
 * control plane asks before it lets a new INVITE that came over either go on, and the data
 * plane's main lcore answers with the same CPS bucket and call table its workers use for UDP:
 * one budget per trunk whatever the transport. The call is keyed by Call-ID as a UDP one is; the
 * answer to (Call-ID, CSeq) is remembered like a UDP INVITE's, so a resend after a reconnect
 * gets the same answer and never a second token.
 */
enum sbc_transport { SBC_TP_UDP = 0, SBC_TP_TCP, SBC_TP_TLS, SBC_TP_MAX };

/* "udp", "tcp", "tls" */
extern const char *const sbc_transport_names[SBC_TP_MAX];

enum sbc_admit_verdict {
	SBC_ADMIT_OK = 0,		/* a call slot is taken: go on */
	SBC_ADMIT_OVER_CPS,		/* the trunk's CPS bucket is empty */
	SBC_ADMIT_OVER_CALLS,		/* the trunk is at max_calls */
	SBC_ADMIT_TABLE_FULL,		/* the call table is full */
	SBC_ADMIT_MAX
};

/* "admitted", "over_cps", "over_calls", "table_full" */
extern const char *const sbc_admit_names[SBC_ADMIT_MAX];

#define SBC_RUSER_MAX 24

struct sbc_msg_admit {
	uint16_t trunk;
	uint8_t transport;		/* enum sbc_transport: TCP or TLS */
	uint8_t ruri_user_len;		/* 0: none (or too long to be an emergency number) */
	uint32_t cseq;			/* the INVITE's CSeq number */
	uint64_t ref;			/* the control plane's request number, echoed back */
	uint16_t call_id_len;
	uint8_t end_reason;		/* ADMIT_END: enum sbc_call_end (BYE, CANCEL, REJECTED, ...) */
	uint8_t pad[5];
	char ruri_user[SBC_RUSER_MAX];	/* the Request-URI user, for emergency numbers */
	char call_id[SBC_CALL_ID_MAX];	/* not NUL-terminated; longer ones are cut */
};

struct sbc_msg_admit_verdict {
	uint16_t trunk;
	uint8_t verdict;		/* enum sbc_admit_verdict */
	uint8_t again;			/* 1: a resend, answered as its first copy (no token) */
	uint8_t emergency;		/* 1: admitted past the caps as an emergency number */
	uint8_t transport;
	uint16_t pad;
	uint32_t active;		/* the trunk's active calls after this answer */
	uint32_t pad2;
	uint64_t ref;			/* the request's */
};

/*
 * Media sessions (channel 7). A session is one call's two legs: leg 0 faces the caller (the
 * floor trunk), leg 1 the callee (the carrier). Each leg is one local (address, RTP port) of
 * ours, RTCP on port + 1 unless RTCP_MUX, and the remote the leg expects packets from; what a
 * leg receives is relayed out of the other leg, from that leg's local address and port to its
 * remote. Addresses are SBC_AF_V4 (first 4 bytes) or SBC_AF_V6; the two legs may differ.
 */
enum sbc_media_flag {
	SBC_MEDIA_RTCP_MUX = 1u << 0,	/* RTCP shares the RTP port (a=rtcp-mux on this leg) */
	SBC_MEDIA_LATCH = 1u << 1,	/* remote_port 0: the first packet from remote_addr (the
					 * signalling source's IP, any port) fixes the remote; then
					 * the leg is locked to that address and port */
	SBC_MEDIA_HOLD = 1u << 2,	/* sendonly/inactive: exempt from media_timeout */
};

/* SDES crypto suites (RFC 4568 names), each a master key and salt of SBC_SRTP_KEY_LEN bytes. */
enum sbc_srtp_suite {
	SBC_SRTP_NONE = 0,		/* plain RTP on this leg */
	SBC_SRTP_AES_CM_128_HMAC_SHA1_80,	/* key 16 + salt 14 */
	SBC_SRTP_AES_CM_128_HMAC_SHA1_32,	/* key 16 + salt 14 */
	SBC_SRTP_AEAD_AES_128_GCM,		/* key 16 + salt 12 */
	SBC_SRTP_MAX
};

/* "none", "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_128_GCM" */
extern const char *const sbc_srtp_suite_names[SBC_SRTP_MAX];

#define SBC_SRTP_KEY_MAX 30		/* master key + master salt, the longest suite's */

/* Master key + salt bytes of a suite (0 for SBC_SRTP_NONE or out of range). */
unsigned int sbc_srtp_key_len(unsigned int suite);

struct sbc_media_leg {
	uint8_t family;			/* SBC_AF_V4 or SBC_AF_V6: local and remote alike */
	uint8_t flags;			/* enum sbc_media_flag */
	uint8_t srtp;			/* enum sbc_srtp_suite: this leg's wire side is SRTP */
	uint8_t pad;
	uint16_t trunk;			/* the trunk this leg faces */
	uint16_t local_port;		/* ours, even: RTP; RTCP on local_port + 1 unless RTCP_MUX */
	uint16_t remote_port;		/* RTP port the SDP names; 0 only with SBC_MEDIA_LATCH */
	uint16_t remote_rtcp_port;	/* a=rtcp, else remote_port + 1 (ignored with RTCP_MUX) */
	uint8_t local_addr[16];
	uint8_t remote_addr[16];	/* the SDP's c=, or with LATCH the signalling source's IP */
	uint8_t key_rx[SBC_SRTP_KEY_MAX];	/* the remote's a=crypto: unprotects what it sends */
	uint8_t key_tx[SBC_SRTP_KEY_MAX];	/* our a=crypto to it: protects what we send it */
};

struct sbc_msg_media {
	uint64_t session;		/* the control plane's id, never reused within its boot */
	uint32_t seq;			/* this version of the session, echoed in every event */
	/* per leg: a dynamic payload type (96-127) its remote sends and that type's RTP clock in
	 * multiples of 8 kHz (Opus: 111 and 6), so that its jitter is figured as the static 8 kHz
	 * types' is; 0, 0: none */
	uint8_t rtp_pt[2];
	uint8_t rtp_clock_8k[2];
	struct sbc_media_leg leg[2];
};

struct sbc_msg_media_ref {
	uint64_t session;
	uint32_t seq;
	int32_t error;			/* MEDIA_READY: 0, -ENOSPC (table full), -EADDRINUSE (a
					 * local port another session holds), -EINVAL */
};

/* What came in on one leg from its remote (RFC 3550 A.3 loss, A.8 jitter), and what the
 * remote's RTCP receiver reports said about what we sent it. */
struct sbc_media_leg_stats {
	uint64_t packets, bytes;	/* RTP + RTCP received from the remote and relayed */
	uint64_t dropped;		/* received for this leg and not relayed (foreign, auth) */
	uint32_t lost;			/* RTP packets expected and not received */
	uint32_t reordered;		/* RTP packets that came after a later sequence number */
	uint32_t jitter_us;		/* interarrival jitter, microseconds */
	uint32_t rr_lost;		/* RTCP RR: cumulative lost the remote reports */
	uint32_t rr_jitter_us;		/* RTCP RR: the remote's interarrival jitter */
	uint16_t rr_fraction;		/* RTCP RR: fraction lost, 0-255 of 256 */
	uint8_t latched;		/* 1: the remote was learnt from a packet */
	uint8_t pad;
};

enum sbc_media_end {
	SBC_MEDIA_END_DEL = 0,		/* SBC_CMD_MEDIA_DEL */
	SBC_MEDIA_END_TIMEOUT,		/* SBC_EVT_MEDIA_TIMEOUT (session still installed) */
	SBC_MEDIA_END_MAX
};

struct sbc_msg_media_stats {
	uint64_t session;
	uint32_t seq;
	uint8_t reason;			/* enum sbc_media_end */
	uint8_t pad[3];
	uint64_t idle_ms;		/* since the last packet from either leg */
	struct sbc_media_leg_stats leg[2];
};

/* A ring: the producer writes head, the consumer tail; each on its own cache line. */
struct sbc_chan_ring {
	uint64_t head __attribute__((aligned(64)));
	uint64_t tail __attribute__((aligned(64)));
	uint64_t slots_offset __attribute__((aligned(64)));	/* from the region's start */
	uint32_t slots;
	uint32_t msg_size;
	uint64_t full_waits;	/* times the producer found the ring full */
};

struct sbc_chan_side {
	uint64_t boot_id;	/* random per process start; 0 = never attached */
	uint64_t heartbeat_ns;	/* CLOCK_MONOTONIC, refreshed while alive */
	uint32_t pid;
	uint32_t pad;
};

struct sbc_chan_header {
	uint64_t magic;
	uint32_t version;
	uint32_t header_size;
	uint32_t msg_size;
	uint32_t ring_size;	/* sizeof(struct sbc_chan_ring) */
	uint32_t slots;
	uint32_t prefix_size;	/* sizeof(struct sbc_wire_prefix) */
	uint64_t total_size;
	struct sbc_chan_side dp __attribute__((aligned(64)));
	struct sbc_chan_side cp __attribute__((aligned(64)));
	struct sbc_chan_ring cmd;	/* control plane -> data plane */
	struct sbc_chan_ring evt;	/* data plane -> control plane */
};

/* The layout is an ABI between two binaries: pin it. */
_Static_assert(sizeof(struct sbc_msg) == SBC_MSG_SIZE, "message size");
_Static_assert(sizeof(struct sbc_msg_acl) <= SBC_MSG_BODY, "acl body");
_Static_assert(sizeof(struct sbc_msg_applied) <= SBC_MSG_BODY, "applied body");
_Static_assert(sizeof(struct sbc_msg_cp_status) <= SBC_MSG_BODY, "cp status body");
_Static_assert(sizeof(struct sbc_msg_cp_calls) <= SBC_MSG_BODY, "cp calls body");
_Static_assert(sizeof(struct sbc_msg_cp_calls) == 232, "cp calls body: every 8-byte slot used");
_Static_assert(sizeof(struct sbc_msg_cp_media) <= SBC_MSG_BODY, "cp media body");
_Static_assert(sizeof(struct sbc_msg_cp_registrar) <= SBC_MSG_BODY, "cp registrar body");
_Static_assert(sizeof(struct sbc_msg_trunk_state) <= SBC_MSG_BODY, "trunk state body");
_Static_assert(sizeof(struct sbc_msg_call) <= SBC_MSG_BODY, "call body");
_Static_assert(sizeof(struct sbc_deny_entry) == 48, "deny entry size");
_Static_assert(sizeof(struct sbc_msg_deny) <= SBC_MSG_BODY && SBC_DENY_PER_MSG == 4, "deny body");
_Static_assert(sizeof(struct sbc_msg_admit) <= SBC_MSG_BODY, "admit body");
_Static_assert(sizeof(struct sbc_msg_admit_verdict) == 24, "admit verdict body");
_Static_assert(sizeof(struct sbc_wire_prefix) == 18, "prefix size");
_Static_assert(sizeof(struct sbc_media_leg) == 104, "media leg size");
_Static_assert(sizeof(struct sbc_msg_media) <= SBC_MSG_BODY, "media body");
_Static_assert(sizeof(struct sbc_msg_media_ref) == 16, "media ref body");
_Static_assert(sizeof(struct sbc_msg_media_stats) <= SBC_MSG_BODY, "media stats body");
_Static_assert(sizeof(struct sbc_chan_ring) == 192, "ring size");
_Static_assert(offsetof(struct sbc_chan_header, dp) == 64, "header layout");
_Static_assert(offsetof(struct sbc_chan_header, cmd) == 192, "header layout");
_Static_assert((SBC_CHAN_SLOTS & (SBC_CHAN_SLOTS - 1)) == 0, "slots power of two");

enum sbc_chan_role { SBC_CHAN_DP, SBC_CHAN_CP };

struct sbc_channel {
	struct sbc_chan_header *h;
	size_t size;
	enum sbc_chan_role role;
	char name[128];
	uint64_t boot_id;
};

/* Bytes the region needs for slots messages per ring. */
size_t sbc_chan_region_size(uint32_t slots);

/*
 * Data plane: create (or take over) the region and initialise it. A region left by an earlier
 * data plane is re-initialised (new boot id; rings emptied: the control plane replays).
 */
int sbc_chan_create(struct sbc_channel *c, const char *name, uint64_t boot_id, char *err,
		    size_t errlen);

/*
 * Control plane: attach to an existing region. Refuses, with the reason in err, when it is
 * absent (-ENOENT), too small, or has another magic, version or any struct size (-EPROTO).
 */
int sbc_chan_attach(struct sbc_channel *c, const char *name, uint64_t boot_id, char *err,
		    size_t errlen);

/* Check a mapped header against this build's layout (used by attach; exposed for tests). */
int sbc_chan_check(const struct sbc_chan_header *h, size_t mapped, char *err, size_t errlen);

/* Initialise a header + rings in memory of sbc_chan_region_size(slots) bytes (tests, create). */
void sbc_chan_init(struct sbc_chan_header *h, uint32_t slots);

void sbc_chan_close(struct sbc_channel *c, bool unlink_it);

/* This side's heartbeat (call from the owning process's loop). */
void sbc_chan_heartbeat(struct sbc_channel *c);

/* The other side's boot id and age of its heartbeat in ms (UINT64_MAX: never seen). */
uint64_t sbc_chan_peer_boot_id(const struct sbc_channel *c);
uint64_t sbc_chan_peer_age_ms(const struct sbc_channel *c);

/*
 * Ring operations. The producer of cmd is the control plane, of evt the data plane.
 * send: 0, or -EAGAIN when the ring is full (nothing is overwritten; full_waits counts it).
 * recv: 1 with *m filled, 0 when empty, -EBADMSG when the slot held an invalid message (it is
 * consumed and skipped).
 */
int sbc_ring_send(struct sbc_chan_header *h, struct sbc_chan_ring *r, const struct sbc_msg *m);
int sbc_ring_recv(struct sbc_chan_header *h, struct sbc_chan_ring *r, struct sbc_msg *m);
uint32_t sbc_ring_depth(const struct sbc_chan_ring *r);

/* Fill m: type, version 1, body (len bytes), generation, sent_ns = now (CLOCK_REALTIME). */
void sbc_msg_init(struct sbc_msg *m, uint16_t type, const void *body, uint32_t len,
		  uint64_t generation);

/* Validate a message's type, version and body length against its type. */
int sbc_msg_validate(const struct sbc_msg *m);

void sbc_prefix_to_wire(const struct sbc_prefix *p, struct sbc_wire_prefix *w);
void sbc_prefix_from_wire(const struct sbc_wire_prefix *w, struct sbc_prefix *p);

/*
 * Trunk ids on the channel are indexes in the configuration's [trunk] order; both processes
 * must read the same list. This hash of the names in order lets each side check that.
 */
struct sbc_config;
uint64_t sbc_trunks_hash(const struct sbc_config *cfg);

uint64_t sbc_now_ns(void);		/* CLOCK_REALTIME */
uint64_t sbc_mono_ns(void);		/* CLOCK_MONOTONIC */

#endif
