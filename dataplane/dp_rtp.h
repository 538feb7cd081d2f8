/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The arithmetic of the media path, pure C over byte buffers (no DPDK) so unit tests reach it:
 * RTP sequence tracking, loss and reordering (RFC 3550 A.1, A.3), interarrival jitter (A.8),
 * the first report block of an RTCP SR/RR (6.4), and the incremental Internet checksum update
 * of a rewritten header (RFC 1624). Workers call these per relayed packet.
 */
#ifndef DP_RTP_H
#define DP_RTP_H

#include <stdbool.h>
#include <stdint.h>

#define DP_RTP_HDR 12
#define DP_RTP_CLOCK_HZ 8000	/* the only clock rate jitter is computed for (see below) */

/*
 * One received RTP stream's sequence state (RFC 3550 A.1). The probation of A.1 is skipped:
 * the data plane's strict source check has validated the sender already, so the first packet
 * starts the count.
 */
struct dp_rtp_seq {
	uint16_t max_seq;	/* highest sequence number seen */
	bool init;
	uint32_t cycles;	/* shifted count of sequence number wraps */
	uint32_t base_seq;
	uint32_t bad_seq;	/* last 'bad' sequence number + 1 */
	uint32_t received;	/* packets counted (in-order, late and duplicates alike) */
	uint32_t reordered;	/* packets that came after a later sequence number */
};

/* Interarrival jitter (RFC 3550 A.8), in timestamp units of an 8 kHz clock, scaled by 16. */
struct dp_rtp_jitter {
	uint32_t transit;	/* arrival - RTP timestamp of the last packet */
	uint32_t jitter_q4;
	bool have;
};

/* What an RTCP receiver report's first block says (RFC 3550 6.4.1). */
struct dp_rtcp_rr {
	uint8_t fraction;	/* fraction lost since the last report, of 256 */
	int32_t cumulative;	/* packets lost, 24-bit signed */
	uint32_t jitter;	/* in the sender's timestamp units */
};

/* Count one packet with sequence number seq. */
void dp_rtp_seq_update(struct dp_rtp_seq *s, uint16_t seq);

/* Packets expected and not received (A.3), never negative (duplicates can outnumber losses). */
uint32_t dp_rtp_lost(const struct dp_rtp_seq *s);

/*
 * Payload types with an 8 kHz RTP clock among the static ones (RFC 3551 table 4: PCMU, GSM,
 * G723, DVI4/8000, LPC, PCMA, G722 (8000 by its RTP clock), QCELP, CN, G728, G729). The channel
 * carries no clock rate: dynamic types (telephone-event, Opus...) get no jitter figure.
 */
static inline bool dp_rtp_pt_8khz(uint8_t pt)
{
	return pt < 19 && ((0x4b3b9u >> pt) & 1);
}

/*
 * One packet into the jitter estimate: arrival in 8 kHz ticks (any origin, wrapping), ts the
 * packet's RTP timestamp.
 */
void dp_rtp_jitter_update(struct dp_rtp_jitter *j, uint32_t arrival, uint32_t ts);

/* Jitter in microseconds (ticks of 125 us). */
static inline uint32_t dp_rtp_jitter_us(const struct dp_rtp_jitter *j)
{
	return (j->jitter_q4 >> 4) * (1000000u / DP_RTP_CLOCK_HZ);
}

/* A plain RTP header (version 2, at least 12 bytes)? */
static inline bool dp_rtp_valid(const uint8_t *b, uint32_t len)
{
	return len >= DP_RTP_HDR && (b[0] >> 6) == 2;
}

/* RTCP on a muxed port (RFC 5761 4): packet types 192-223 where RTP has its payload type. */
static inline bool dp_rtp_is_rtcp(const uint8_t *b, uint32_t len)
{
	return len >= 8 && b[1] >= 192 && b[1] <= 223;
}

/* The first report block of a compound RTCP packet that starts with an SR or RR; false when
 * there is none or the packet is malformed. */
bool dp_rtcp_first_rr(const uint8_t *b, uint32_t len, struct dp_rtcp_rr *out);

/*
 * RFC 1624 eqn. 3: a checksum (as the header holds it, network order) after the bytes
 * old[0..old_len) it covered were taken out and new[0..new_len) put in (both lengths even:
 * addresses and ports; an IPv4 pseudo-header's addresses may become an IPv6 one's, the rest of
 * the two pseudo-headers sums alike). Returns the new checksum, network order.
 */
uint16_t dp_csum_replace(uint16_t csum, const void *old, uint32_t old_len, const void *new,
			 uint32_t new_len);

#endif
