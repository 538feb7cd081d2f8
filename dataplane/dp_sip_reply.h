/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateless SIP responses built in the data plane (403 to unlisted sources, 503 over a cap):
 * RFC 3261 8.2.6 response text from the request's own headers, and the in-place rewrite of the
 * request frame into the response frame. Pure C, no DPDK: unit-tested and fuzzed without EAL;
 * dp_reply.c applies it to an mbuf.
 */
#ifndef DP_SIP_REPLY_H
#define DP_SIP_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "dp_parse.h"
#include "dp_sip.h"

/* The largest response frame the builder produces (Ethernet MTU 1500 plus two VLAN tags). */
#define DP_REPLY_MAX_FRAME (14 + 8 + 1500)

struct dp_sip_source {
	uint8_t family;		/* 4 or 6 */
	uint8_t addr[16];	/* where the request came from (network order) */
	uint16_t port;		/* its UDP source port, host order */
};

/*
 * Quick test on the first bytes of a UDP payload: is this something that may get a response?
 * (A request other than ACK; RFC 3261 8.2.6 and 17.1.1.3.) Lets floods skip the full build.
 */
int dp_sip_answerable(const uint8_t *msg, uint32_t len);

/*
 * Build "SIP/2.0 <code> <reason>" for the request msg[0..len) into out. Copies Via (all, in
 * order; the top one gets received/rport per RFC 3261 18.2.1 and RFC 3581 4), From, To (adds a
 * tag derived from Call-ID and tag_secret when absent, so a retransmission gets the same tag),
 * Call-ID and CSeq; extra is inserted verbatim before Content-Length (e.g. "Retry-After: 5\r\n",
 * may be NULL). *reply_port gets the UDP port to answer to (RFC 3261 18.2.2 / RFC 3581 4).
 * Returns the response length, -ENOMSG for a message that gets no response (a response, an
 * ACK), -EBADMSG when dp_sip_scan() calls it malformed, -E2BIG when it has more Via fields
 * than a response can copy, -ENOSPC when the response does not fit in outlen.
 */
int dp_sip_build_response(const uint8_t *msg, uint32_t len, int code, const char *reason,
			  const char *extra, const struct dp_sip_source *src, uint64_t tag_secret,
			  char *out, uint32_t outlen, uint16_t *reply_port);

/* The same for a request already scanned (the worker scans once for admission and reply): sm
 * is what dp_sip_scan() gave for msg (an INVITE's To and From tags are taken from it). */
int dp_sip_response_from(const uint8_t *msg, const struct dp_sip_msg *sm, int code,
			 const char *reason, const char *extra, const struct dp_sip_source *src,
			 uint64_t tag_secret, char *out, uint32_t outlen, uint16_t *reply_port);

/*
 * Rewrite a received UDP frame (parsed into p) into a response frame carrying sip[0..sip_len):
 * Ethernet source/destination swapped (source = our_mac), VLAN tags kept, IP source = the
 * request's destination, UDP from the request's destination port to dport, checksums computed.
 * frame must hold cap bytes. Returns the new frame length or -EMSGSIZE.
 */
int dp_reply_frame(uint8_t *frame, uint32_t cap, const struct dp_pkt *p, const uint8_t our_mac[6],
		   const char *sip, uint32_t sip_len, uint16_t dport);

#endif
