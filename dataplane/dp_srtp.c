/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTP contexts on libsrtp2 (dp_srtp.h): one srtp_t session per leg and direction, with a policy
 * for any SSRC inbound or outbound. Created and freed on the main lcore; protect/unprotect run
 * on the one worker that owns the direction. No DPDK here; no logging on the packet path; keys
 * never leave the context and temporary copies are wiped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/random.h>

#include <srtp2/srtp.h>

#include "sbc_channel.h"
#include "sbc_hash.h"
#include "dp_srtp.h"
#ifdef DP_SRTP_OWN_CRYPTO
#include "dp_srtp_crypto.h"
#endif

#ifndef DP_SRTP_BACKEND
#define DP_SRTP_BACKEND "unknown"
#endif

/*
 * What a packet of one half reads, in the context's first line for RTP: the session, its owner,
 * the trailer length, and where libsrtp2 keeps the rest (dp_srtp_prefetch): the states of our
 * AES-CM and HMAC-SHA1 (noted as srtp_create made them, NULL with GCM or without
 * dp_srtp_crypto) and the stream of the SSRC last handled (the owner notes it after a packet;
 * only ever prefetched, never read through).
 */
struct dp_srtp_half {
	srtp_t session;
	const void *cipher;	/* dp_srtp_crypto's AES-CM block (DP_SRTP_ICM_SPAN bytes) */
	const void *auth;	/* ... HMAC-SHA1 block (DP_SRTP_HMAC_SPAN bytes) */
	const void *stream;	/* libsrtp2's stream of stream_ssrc (the owner's, relaxed) */
	uint32_t stream_ssrc;	/* as in the packet (network order) */
	int32_t owner;		/* worker that uses the half, -1 until the first packet */
	uint32_t tag;		/* bytes protect appends (RTCP: E flag + index (4) and the tag) */
};

/*
 * Two libsrtp2 sessions of the same key: RTP's and RTCP's. Without rtcp-mux RTCP arrives on the
 * odd port, another 5-tuple that RSS may give to another worker, and one libsrtp2 session must
 * not be entered by two threads at once (its stream list grows on a new SSRC's first packet).
 * Each half is claimed by the first worker that uses it (owner, dp_srtp_claim).
 */
struct dp_srtp_ctx {
	struct dp_srtp_half half[2];	/* [0] RTP, [1] RTCP */
	uint64_t key_print;	/* keyed FNV-1a of suite + key: "same key?" without keeping it */
	uint8_t suite;
	bool inbound;
};

/* RFC 3550 5.1 / 6.4.1: fixed RTP header 12 bytes, RTCP header 8 bytes (SSRC included) */
#define RTP_HDR_MIN 12u
#define RTCP_HDR_MIN 8u
#define SRTCP_INDEX_LEN 4u

static uint64_t srtp_events[4];
static uint64_t print_seed;	/* per start: fingerprints mean nothing outside this process */

static uint64_t key_print(unsigned int suite, const uint8_t *key)
{
	uint8_t s = (uint8_t)suite;

	return sbc_fnv1a(sbc_fnv1a(print_seed, &s, 1), key, sbc_srtp_key_len(suite));
}

/* Called by libsrtp2 from whichever thread hit the event (a worker): count, never print. */
static void count_event(srtp_event_data_t *data)
{
	unsigned int i;

	switch (data->event) {
	case event_key_soft_limit:
		i = 0;
		break;
	case event_key_hard_limit:
		i = 1;
		break;
	case event_ssrc_collision:
		i = 2;
		break;
	default:
		i = 3;
		break;
	}
	__atomic_fetch_add(&srtp_events[i], 1, __ATOMIC_RELAXED);
}

void dp_srtp_events_get(struct dp_srtp_events *ev)
{
	ev->key_soft_limit = __atomic_load_n(&srtp_events[0], __ATOMIC_RELAXED);
	ev->key_hard_limit = __atomic_load_n(&srtp_events[1], __ATOMIC_RELAXED);
	ev->ssrc_collision = __atomic_load_n(&srtp_events[2], __ATOMIC_RELAXED);
	ev->other = __atomic_load_n(&srtp_events[3], __ATOMIC_RELAXED);
}

int dp_srtp_init(void)
{
	if (getrandom(&print_seed, sizeof(print_seed), 0) != sizeof(print_seed))
		return -EIO;
	print_seed ^= SBC_FNV1A_INIT;
	if (srtp_init() != srtp_err_status_ok)
		return -EIO;
#ifdef DP_SRTP_OWN_CRYPTO
	/* the OpenSSL build: its HMAC-SHA1 and AES-CM replaced by ours (dp_srtp_crypto.c) */
	if (dp_srtp_crypto_install() != 0)
		return -EIO;
#endif
	if (srtp_install_event_handler(count_event) != srtp_err_status_ok)
		return -EIO;
	return 0;
}

const char *dp_srtp_version(void)
{
	return srtp_get_version_string();
}

const char *dp_srtp_backend(void)
{
	return DP_SRTP_BACKEND;
}

const char *dp_srtp_crypto(void)
{
#ifdef DP_SRTP_OWN_CRYPTO
	return dp_srtp_crypto_installed();
#else
	return "libsrtp2's own HMAC-SHA1 and AES-CM";
#endif
}

/* The suite's crypto policies (RFC 4568 6.2 names; RFC 7714 14.2 for GCM). SRTCP keeps an 80-bit
 * tag with AES_CM_128_HMAC_SHA1_32 (RFC 4568 6.2.1: the _32 applies to SRTP only). */
static int suite_policy(unsigned int suite, srtp_crypto_policy_t *rtp, srtp_crypto_policy_t *rtcp)
{
	switch (suite) {
	case SBC_SRTP_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtcp);
		return 0;
	case SBC_SRTP_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtcp);
		return 0;
	case SBC_SRTP_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(rtcp);
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * One half's session for the policy, its trailer length, and (with dp_srtp_crypto) where our
 * cipher and auth states for the half are: srtp_create allocates RTP's cipher and auth, then
 * RTCP's, in both sessions (libsrtp2 2.5 srtp_stream_alloc); the half uses the pair of its kind.
 */
static srtp_err_status_t make_half(struct dp_srtp_half *h, srtp_policy_t *pol, bool rtcp)
{
#ifdef DP_SRTP_OWN_CRYPTO
	struct dp_srtp_crypto_seen seen;
#endif
	srtp_err_status_t st;

#ifdef DP_SRTP_OWN_CRYPTO
	dp_srtp_crypto_watch(&seen);
#endif
	st = srtp_create(&h->session, pol);
#ifdef DP_SRTP_OWN_CRYPTO
	dp_srtp_crypto_watch(NULL);
#endif
	if (st != srtp_err_status_ok)
		return st;
	st = rtcp ? srtp_get_protect_rtcp_trailer_length(h->session, 0, 0, &h->tag)
		  : srtp_get_protect_trailer_length(h->session, 0, 0, &h->tag);
	if (st != srtp_err_status_ok) {
		srtp_dealloc(h->session);
		h->session = NULL;
		return st;
	}
#ifdef DP_SRTP_OWN_CRYPTO
	if (seen.n_icm > (unsigned int)rtcp)
		h->cipher = seen.icm[rtcp];
	if (seen.n_hmac > (unsigned int)rtcp)
		h->auth = seen.hmac[rtcp];
#endif
	h->owner = -1;
	return srtp_err_status_ok;
}

int dp_srtp_ctx_new(struct dp_srtp_ctx **out, unsigned int suite, const uint8_t *key,
		    bool inbound, char *err, size_t errlen)
{
	uint8_t keybuf[SBC_SRTP_KEY_MAX];
	srtp_policy_t pol;
	struct dp_srtp_ctx *c;
	srtp_err_status_t st;

	*out = NULL;
	memset(&pol, 0, sizeof(pol));
	if (suite_policy(suite, &pol.rtp, &pol.rtcp) < 0 || sbc_srtp_key_len(suite) == 0) {
		snprintf(err, errlen, "SRTP suite %u unknown", suite);
		return -EINVAL;
	}
	/* a line of its own: what an RTP packet reads of it is its first line (half[0]) */
	c = aligned_alloc(64, (sizeof(*c) + 63) & ~(size_t)63);
	if (c == NULL) {
		snprintf(err, errlen, "no memory for an SRTP context");
		return -ENOMEM;
	}
	memset(c, 0, sizeof(*c));
	/* libsrtp2 reads the key through a non-const pointer: hand it a copy, wiped after */
	memcpy(keybuf, key, sbc_srtp_key_len(suite));
	pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	pol.key = keybuf;
	pol.window_size = 128;		/* RFC 3711 3.3.2: at least 64 */
	pol.allow_repeat_tx = 0;	/* never protect one index twice (key stream reuse) */
	st = make_half(&c->half[0], &pol, false);
	if (st == srtp_err_status_ok) {
		st = make_half(&c->half[1], &pol, true);
		if (st != srtp_err_status_ok)
			srtp_dealloc(c->half[0].session);
	}
	explicit_bzero(keybuf, sizeof(keybuf));
	if (st != srtp_err_status_ok) {
		snprintf(err, errlen, "libsrtp2 refused a %s context (status %d)",
			 sbc_srtp_suite_names[suite], (int)st);
		free(c);
		return -EINVAL;
	}
	c->key_print = key_print(suite, key);
	c->suite = (uint8_t)suite;
	c->inbound = inbound;
	*out = c;
	return 0;
}

void dp_srtp_ctx_free(struct dp_srtp_ctx *c)
{
	if (c == NULL)
		return;
	srtp_dealloc(c->half[0].session);	/* wipes and frees the derived keys */
	srtp_dealloc(c->half[1].session);
	explicit_bzero(c, sizeof(*c));
	free(c);
}

bool dp_srtp_claim(struct dp_srtp_ctx *c, bool rtcp, unsigned int worker)
{
	int32_t *o = &c->half[rtcp].owner;
	int32_t cur = __atomic_load_n(o, __ATOMIC_RELAXED);

	if (cur == (int32_t)worker)
		return true;
	if (cur != -1)
		return false;
	/* the first packet: whichever worker wins owns the half; the other is told no */
	return __atomic_compare_exchange_n(o, &cur, (int32_t)worker, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE) || cur == (int32_t)worker;
}

bool dp_srtp_key_is(const struct dp_srtp_ctx *c, unsigned int suite, const uint8_t *key)
{
	return c != NULL && c->suite == suite && sbc_srtp_key_len(suite) != 0 &&
	       c->key_print == key_print(suite, key);
}

void dp_srtp_release(struct dp_srtp_ctx *c)
{
	__atomic_store_n(&c->half[0].owner, -1, __ATOMIC_RELEASE);
	__atomic_store_n(&c->half[1].owner, -1, __ATOMIC_RELEASE);
}

uint32_t dp_srtp_trailer(const struct dp_srtp_ctx *c, bool rtcp)
{
	return c->half[rtcp].tag;
}

static int result_of(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		return DP_SRTP_OK;
	case srtp_err_status_auth_fail:
		return DP_SRTP_AUTH;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return DP_SRTP_REPLAY;
	case srtp_err_status_bad_param:
	case srtp_err_status_parse_err:
		return DP_SRTP_MALFORMED;
	default:
		return DP_SRTP_FAIL;
	}
}

/* Version 2 and at least the fixed header (+ what the suite appends, when unprotecting). */
static bool plausible(const uint8_t *pkt, uint32_t len, uint32_t min)
{
	return len >= min && len <= INT32_MAX && (pkt[0] >> 6) == 2;
}

/*
 * libsrtp2's own lookup of a stream by SSRC (srtp_priv.h, not installed; exported by both
 * builds): taken once per new SSRC after a packet of it succeeded, only for the address
 * dp_srtp_prefetch fetches. The stream is libsrtp2's; nothing here reads through it.
 */
void *srtp_get_stream(srtp_t srtp, uint32_t ssrc);

/* Fetch the lines from p to p + len (prefetches cannot fault: a stale hint costs nothing). */
static inline void prefetch_span(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)63, end = (uintptr_t)p + len - 1;

	for (; a <= end; a += 64)
		__builtin_prefetch((const void *)a);
}

/*
 * libsrtp2's allocations a packet walks, with what glibc's malloc put next to them (one thread's
 * consecutive allocations are consecutive chunks): the session and the stream list head
 * srtp_create allocated right after it; the stream with its session keys, key limit and replay
 * bitmap, which libsrtp2 allocates together as the SSRC's first packet succeeds (on the owner).
 * Where the heap placed them elsewhere the prefetch is only wasted.
 */
#define SESSION_SPAN 192u
#define PKT_SPAN 256u		/* the packet's first lines: a voice packet whole, and no more */
#define STREAM_SPAN 320u

void dp_srtp_prefetch(const struct dp_srtp_ctx *c, bool rtcp)
{
	const struct dp_srtp_half *h = &c->half[rtcp];
	const void *stream = __atomic_load_n(&h->stream, __ATOMIC_RELAXED);

	prefetch_span(h->session, SESSION_SPAN);
	if (stream != NULL)
		prefetch_span(stream, STREAM_SPAN);
#ifdef DP_SRTP_OWN_CRYPTO
	if (h->cipher != NULL)
		prefetch_span(h->cipher, DP_SRTP_ICM_SPAN);
	if (h->auth != NULL)
		prefetch_span(h->auth, DP_SRTP_HMAC_SPAN);
#endif
}

/* After a packet succeeded (so libsrtp2 has the SSRC's stream): note the stream when the
 * SSRC is not the one noted. ssrc as in the packet. The owner only. */
static inline void note_stream(struct dp_srtp_half *h, uint32_t ssrc)
{
	if (__builtin_expect(h->stream != NULL && h->stream_ssrc == ssrc, 1))
		return;
	__atomic_store_n(&h->stream, (const void *)srtp_get_stream(h->session, ssrc),
			 __ATOMIC_RELAXED);
	h->stream_ssrc = ssrc;
}

static inline uint32_t ld_ssrc(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int dp_srtp_unprotect(struct dp_srtp_ctx *c, uint8_t *pkt, uint32_t *len, bool rtcp)
{
	struct dp_srtp_half *h = &c->half[rtcp];
	int n = (int)*len;
	srtp_err_status_t st;

	/* the context's lines and the packet's at once, not one miss after the other */
	dp_srtp_prefetch(c, rtcp);
	prefetch_span(pkt, *len - 1 < PKT_SPAN ? *len : PKT_SPAN);
	if (!plausible(pkt, *len, (rtcp ? RTCP_HDR_MIN : RTP_HDR_MIN) + h->tag))
		return DP_SRTP_MALFORMED;
	st = rtcp ? srtp_unprotect_rtcp(h->session, pkt, &n) : srtp_unprotect(h->session, pkt, &n);
	if (st != srtp_err_status_ok)
		return result_of(st);
	note_stream(h, ld_ssrc(pkt + (rtcp ? 4 : 8)));
	*len = (uint32_t)n;
	return DP_SRTP_OK;
}

int dp_srtp_protect(struct dp_srtp_ctx *c, uint8_t *pkt, uint32_t *len, uint32_t room, bool rtcp)
{
	struct dp_srtp_half *h = &c->half[rtcp];
	uint32_t add = h->tag;
	int n = (int)*len;
	srtp_err_status_t st;

	dp_srtp_prefetch(c, rtcp);
	prefetch_span(pkt, *len - 1 < PKT_SPAN ? *len : PKT_SPAN);
	if (!plausible(pkt, *len, rtcp ? RTCP_HDR_MIN : RTP_HDR_MIN))
		return DP_SRTP_MALFORMED;
	/* libsrtp2 writes the trailer past *len without a bound: check it here */
	if (room < *len || room - *len < add)
		return DP_SRTP_ROOM;
	st = rtcp ? srtp_protect_rtcp(h->session, pkt, &n) : srtp_protect(h->session, pkt, &n);
	if (st != srtp_err_status_ok)
		return result_of(st);
	note_stream(h, ld_ssrc(pkt + (rtcp ? 4 : 8)));
	*len = (uint32_t)n;
	return DP_SRTP_OK;
}

const char *dp_srtp_result_name(int r)
{
	static const char *const names[DP_SRTP_RESULT_MAX] = {
		[DP_SRTP_OK] = "ok",
		[DP_SRTP_AUTH] = "auth",
		[DP_SRTP_REPLAY] = "replay",
		[DP_SRTP_MALFORMED] = "malformed",
		[DP_SRTP_ROOM] = "room",
		[DP_SRTP_FAIL] = "fail",
	};

	return r >= 0 && r < DP_SRTP_RESULT_MAX ? names[r] : "?";
}
