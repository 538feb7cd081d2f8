/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session descriptions across the B2BUA (cp_sdp.c): the one place that decides what body a
 * message carries to the other leg. On a call whose media is anchored (both trunks `media =
 * relay`) each SDP is parsed and printed again with Sofia-SIP's SDP parser and printer: our
 * address and ports in c=/m=/a=rtcp, ICE removed, codecs filtered, SDES keys (RFC 4568) of our
 * own on a `srtp = sdes` leg; what the remote's SDP says is kept per leg (struct cp_sdp_leg)
 * for the data plane's session (cp_media.c). Other bodies, and every body of a `media =
 * direct` call, pass unchanged. Runs on the su_root thread.
 */
#ifndef CP_SDP_H
#define CP_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sofia-sip/sip.h>
#include <sofia-sip/su_alloc.h>

#include "sbc_channel.h"
#include "sbc_config.h"

enum cp_sdp_dir { CP_SDP_TO_CALLEE, CP_SDP_TO_CALLER };
enum cp_sdp_kind { CP_SDP_OFFER, CP_SDP_ANSWER };

struct cp_sdp {
	sip_content_type_t *ct;		/* NULL: no body */
	sip_payload_t *pl;
};

/* The crypto suites we offer on a `srtp = sdes` leg, in this order, tags 1, 2, 3. */
#define CP_SDP_SUITES 3

/*
 * One leg of an anchored call: ours (set before the first rewrite: address, port, sdes, o=)
 * and what the remote's last SDP on this leg said (filled by cp_sdp_rewrite).
 */
struct cp_sdp_leg {
	/* ours */
	uint8_t family;			/* SBC_AF_V4 / SBC_AF_V6; 0 until a port is given */
	uint8_t local_addr[16];
	uint16_t local_port;		/* even: RTP; RTCP on + 1 unless rtcp-mux */
	bool sdes;			/* the leg's trunk says srtp = sdes */
	uint64_t o_id, o_version;	/* our o= on this leg (RFC 4566 5.2) */
	uint64_t last_hash;		/* of the last body sent on it: o_version moves on a change */
	uint8_t offer_key[CP_SDP_SUITES][SBC_SRTP_KEY_MAX];	/* ours, per suite (RAND_bytes) */
	/* the remote's last SDP on this leg */
	bool remote_known;		/* an address and port were given (not 0.0.0.0) */
	bool media;			/* its audio stream is on (port != 0) */
	uint8_t remote_family;
	uint8_t remote_addr[16];
	uint16_t remote_port, remote_rtcp_port;
	bool remote_mux;		/* a=rtcp-mux */
	bool hold;			/* sendonly / recvonly / inactive / c=0.0.0.0 */
	uint8_t suite;			/* enum sbc_srtp_suite agreed on this leg */
	uint32_t crypto_tag;		/* the a=crypto tag agreed */
	uint8_t key_rx[SBC_SRTP_KEY_MAX];	/* the remote's key: what it sends us */
	uint8_t key_tx[SBC_SRTP_KEY_MAX];	/* ours to it */
	char codec[SBC_CODEC_NAME_MAX];	/* first codec left in its last SDP (for the MOS) */
	/* its first dynamic audio type (not telephone-event, CN or comfort noise) with a clock of
	 * a multiple of 8 kHz, and that multiple (MEDIA_SET's rtp_pt, rtp_clock_8k); 0: none */
	uint8_t rtp_pt, rtp_clock_8k;
};

/* Codecs a rewrite keeps: allowed by both lists (a list of 0 names allows all). */
struct cp_sdp_allow {
	const char (*a)[SBC_CODEC_NAME_MAX];
	unsigned int na;
	const char (*b)[SBC_CODEC_NAME_MAX];
	unsigned int nb;
};

/* A rewrite across an anchored call: the SDP comes from `from`'s remote, goes to `to`'s. */
struct cp_sdp_xlate {
	enum cp_sdp_kind kind;
	struct cp_sdp_leg *from, *to;
	struct cp_sdp_allow allow;
	int error;			/* out: -errno of the rewrite (0: none was needed or done) */
	const char *why;		/* out: what was wrong, for a reason phrase or the log */
};

/* A new leg: our o= session id and SDES keys (RAND_bytes), before anything else. 0 or -EIO. */
int cp_sdp_leg_init(struct cp_sdp_leg *l);
/* Our address and port on the leg (before the first SDP we write on it). */
void cp_sdp_leg_local(struct cp_sdp_leg *l, uint8_t family, const uint8_t *addr, uint16_t port);

/*
 * Rewrite one SDP (body, len) for x->to, learning x->from's remote. *out is allocated in home
 * (NUL-terminated). 0; -EBADMSG: not SDP Sofia can parse; -ENOMSG: no allowed codec left in an
 * offer; -EPROTONOSUPPORT: no audio stream we can anchor (profile, missing or unusable
 * a=crypto on an sdes leg, a=crypto on a plain one, an address family we have no address
 * for); -ENOMEM. x->why says which.
 */
int cp_sdp_rewrite(su_home_t *home, const char *body, size_t len, struct cp_sdp_xlate *x,
		   char **out, size_t *outlen);

/* RFC 4568 9.1 key-params: "inline:" base64(key || salt) ["|" lifetime] (no MKI): 0 with the
 * key in key (sbc_srtp_key_len(suite) bytes), or -EINVAL. */
int cp_sdp_crypto_parse(const char *value, uint32_t *tag, uint8_t *suite, uint8_t *key);
/* "TAG SUITE inline:BASE64" into buf. Returns the length, or -ENOSPC. */
int cp_sdp_crypto_format(char *buf, size_t len, uint32_t tag, uint8_t suite,
			 const uint8_t *key);

/*
 * The body for the other leg of message s travelling in direction dir, allocated in home when
 * it must outlive s (a kept INVITE, sent again on failover). With x (an anchored call) an
 * application/sdp body is rewritten (x->error set on failure, out then empty). 0, or -ENOMEM.
 */
int cp_sdp_relay(su_home_t *home, const sip_t *s, enum cp_sdp_dir dir, struct cp_sdp_xlate *x,
		 struct cp_sdp *out);
/* The same for a body kept apart from its message (the caller's offer, sent on failover). */
int cp_sdp_relay_body(su_home_t *home, sip_content_type_t *ct, sip_payload_t *pl,
		      struct cp_sdp_xlate *x, struct cp_sdp *out);

#endif
