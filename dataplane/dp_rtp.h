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

#include <arpa/inet.h>

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

#define DP_RTP_SEQ_MOD (1u << 16)
#define DP_RTP_MAX_DROPOUT 3000u
#define DP_RTP_MAX_MISORDER 100u

/* Count one packet with sequence number seq (inline: once per relayed RTP packet). */
static inline void dp_rtp_seq_init(struct dp_rtp_seq *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = DP_RTP_SEQ_MOD + 1;	/* so seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
	s->init = true;
}

/* RFC 3550 A.1 update_seq, without the probation (dp_rtp.h says why). */
static inline void dp_rtp_seq_update(struct dp_rtp_seq *s, uint16_t seq)
{
	uint16_t udelta;

	if (!s->init)
		dp_rtp_seq_init(s, seq);
	udelta = (uint16_t)(seq - s->max_seq);
	if (s->received == 0) {
		/* the first packet */
	} else if (udelta < DP_RTP_MAX_DROPOUT) {
		if (udelta == 0) {
			s->reordered++;		/* a duplicate */
		} else {
			if (seq < s->max_seq)
				s->cycles += DP_RTP_SEQ_MOD;	/* wrapped */
			s->max_seq = seq;
		}
	} else if (udelta <= DP_RTP_SEQ_MOD - DP_RTP_MAX_MISORDER) {
		/* a very large jump: the sender restarted, or a stray packet. Two in a row
		 * restart the count (A.1); the first alone is not counted */
		if (seq != s->bad_seq) {
			s->bad_seq = (seq + 1u) & (DP_RTP_SEQ_MOD - 1);
			return;
		}
		uint32_t keep = s->reordered;

		dp_rtp_seq_init(s, seq);
		s->reordered = keep;
	} else {
		s->reordered++;			/* late: after a later sequence number */
	}
	s->received++;
}

/* Packets expected and not received (A.3), never negative (duplicates can outnumber losses). */
uint32_t dp_rtp_lost(const struct dp_rtp_seq *s);

/*
 * Payload types with an 8 kHz RTP clock among the static ones (RFC 3551 table 4: PCMU, GSM,
 * G723, DVI4/8000, LPC, PCMA, G722 (8000 by its RTP clock), QCELP, CN, G728, G729). A dynamic
 * type's clock comes from the SDP (dp_rtp_ts_8khz): one a leg.
 */
static inline bool dp_rtp_pt_8khz(uint8_t pt)
{
	return pt < 19 && ((0x4b3b9u >> pt) & 1);
}

/* A change of transit time beyond this (60 s of 8 kHz ticks, as A.1's MAX_DROPOUT is a minute
 * of 20 ms packets) is a new timeline (a sender that restarted its timestamps, a stray
 * packet), not jitter: it moves the reference without counting. It also bounds J: 16 x this
 * fits jitter_q4 with room. */
#define DP_RTP_MAX_TRANSIT_STEP (60u * DP_RTP_CLOCK_HZ)

/*
 * One packet into the jitter estimate: arrival in 8 kHz ticks (any origin, wrapping), ts the
 * packet's RTP timestamp. RFC 3550 A.8: J += (|D| - J) / 16, J kept scaled by 16. |D| is taken
 * in unsigned arithmetic: any two 32-bit timestamps, however far apart, are a defined step.
 */
static inline void dp_rtp_jitter_update(struct dp_rtp_jitter *j, uint32_t arrival, uint32_t ts)
{
	uint32_t transit = arrival - ts, d;

	if (!j->have) {
		j->transit = transit;
		j->have = true;
		return;
	}
	d = transit - j->transit;
	j->transit = transit;
	if (d & 0x80000000u)
		d = 0u - d;	/* |D| of a negative step (2^31 stays 2^31) */
	if (d > DP_RTP_MAX_TRANSIT_STEP)
		return;
	j->jitter_q4 += d - ((j->jitter_q4 + 8) >> 4);
}

/* The same for a timestamp of a clock of k x 8 kHz (k != 0): divided by k (dp_rtp.c). */
void dp_rtp_jitter_update_k(struct dp_rtp_jitter *j, uint32_t arrival, uint32_t ts, uint8_t k);

/*
 * One packet of type pt into the jitter estimate: the static 8 kHz types as they are; the one
 * dynamic type dyn_pt of a clock of k x 8 kHz (k != 0, from the SDP through MEDIA_SET) with its
 * timestamp divided by k, out of line (the division would take registers from the relay's
 * loop); any other type not at all. A divided timestamp wraps at 2^32 / k, where the transit
 * time jumps once: that packet moves the reference and is not counted.
 */
static inline void dp_rtp_jitter_pt(struct dp_rtp_jitter *j, uint32_t arrival, uint8_t pt,
				    uint32_t ts, uint8_t dyn_pt, uint8_t k)
{
	if (dp_rtp_pt_8khz(pt))
		dp_rtp_jitter_update(j, arrival, ts);
	else if (k != 0 && pt == dyn_pt)
		dp_rtp_jitter_update_k(j, arrival, ts, k);
}

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
static inline uint32_t dp_sum16(const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint32_t s = 0;

	for (uint32_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	return s;
}

static inline uint16_t dp_fold16(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The same from the sums (dp_sum16) of the old and the new bytes. */
static inline uint16_t dp_csum_replace_sum(uint16_t csum, uint32_t old_sum, uint32_t new_sum)
{
	uint32_t sum = (uint16_t)~ntohs(csum);

	sum += (uint16_t)~dp_fold16(old_sum);
	sum += dp_fold16(new_sum);
	return htons((uint16_t)~dp_fold16(sum));
}

static inline uint16_t dp_csum_replace(uint16_t csum, const void *old, uint32_t old_len,
				       const void *new, uint32_t new_len)
{
	return dp_csum_replace_sum(csum, dp_sum16(old, old_len), dp_sum16(new, new_len));
}

#endif
