/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTP/RTCP arithmetic and the incremental checksum (dp_rtp.h). Pure functions; workers call
 * them for every relayed packet, unit tests against hand-worked figures.
 */
#include <arpa/inet.h>
#include <string.h>

#include "dp_parse.h"
#include "dp_rtp.h"

#define RTP_SEQ_MOD (1u << 16)
#define MAX_DROPOUT 3000u
#define MAX_MISORDER 100u

static void seq_init(struct dp_rtp_seq *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = RTP_SEQ_MOD + 1;	/* so seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
	s->init = true;
}

/* RFC 3550 A.1 update_seq, without the probation (dp_rtp.h says why). */
void dp_rtp_seq_update(struct dp_rtp_seq *s, uint16_t seq)
{
	uint16_t udelta;

	if (!s->init)
		seq_init(s, seq);
	udelta = (uint16_t)(seq - s->max_seq);
	if (s->received == 0) {
		/* the first packet */
	} else if (udelta < MAX_DROPOUT) {
		if (udelta == 0) {
			s->reordered++;		/* a duplicate */
		} else {
			if (seq < s->max_seq)
				s->cycles += RTP_SEQ_MOD;	/* wrapped */
			s->max_seq = seq;
		}
	} else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
		/* a very large jump: the sender restarted, or a stray packet. Two in a row
		 * restart the count (A.1); the first alone is not counted */
		if (seq != s->bad_seq) {
			s->bad_seq = (seq + 1u) & (RTP_SEQ_MOD - 1);
			return;
		}
		uint32_t keep = s->reordered;

		seq_init(s, seq);
		s->reordered = keep;
	} else {
		s->reordered++;			/* late: after a later sequence number */
	}
	s->received++;
}

uint32_t dp_rtp_lost(const struct dp_rtp_seq *s)
{
	uint32_t extended, expected;

	if (!s->init || s->received == 0)
		return 0;
	extended = s->cycles + s->max_seq;
	expected = extended - s->base_seq + 1;
	return expected > s->received ? expected - s->received : 0;
}

/* RFC 3550 A.8: J += (|D| - J) / 16, J kept scaled by 16. */
void dp_rtp_jitter_update(struct dp_rtp_jitter *j, uint32_t arrival, uint32_t ts)
{
	uint32_t transit = arrival - ts;
	int32_t d;

	if (!j->have) {
		j->transit = transit;
		j->have = true;
		return;
	}
	d = (int32_t)(transit - j->transit);
	j->transit = transit;
	if (d < 0)
		d = -d;
	j->jitter_q4 += (uint32_t)d - ((j->jitter_q4 + 8) >> 4);
}

static uint32_t rd32(const uint8_t *b)
{
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

/* RFC 3550 6.1: a compound packet begins with an SR (200) or RR (201); its report blocks
 * (6.4.1) follow the sender info (SR) or the reporter's SSRC (RR). */
bool dp_rtcp_first_rr(const uint8_t *b, uint32_t len, struct dp_rtcp_rr *out)
{
	uint32_t count, plen, off;
	const uint8_t *blk;

	if (len < 8 || (b[0] >> 6) != 2)
		return false;
	count = b[0] & 0x1f;
	plen = ((uint32_t)dp_rd16(b + 2) + 1) * 4;
	if (count == 0 || plen > len)
		return false;
	if (b[1] == 200)
		off = 28;
	else if (b[1] == 201)
		off = 8;
	else
		return false;
	if (off + 24 > plen)
		return false;
	blk = b + off;
	out->fraction = blk[4];
	out->cumulative = (int32_t)(rd32(blk + 4) << 8) >> 8;	/* 24-bit signed */
	out->jitter = rd32(blk + 12);
	return true;
}

static uint16_t fold16(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

uint16_t dp_csum_replace(uint16_t csum, const void *old, uint32_t old_len, const void *new,
			 uint32_t new_len)
{
	uint32_t sum = (uint16_t)~ntohs(csum);

	sum += (uint16_t)~fold16(dp_csum_partial(old, old_len, 0));
	sum += fold16(dp_csum_partial(new, new_len, 0));
	return htons((uint16_t)~fold16(sum));
}
