/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTP/RTCP arithmetic and the incremental checksum (dp_rtp.h). Pure functions; workers call
 * them for every relayed packet, unit tests against hand-worked figures.
 */
#include <arpa/inet.h>
#include <string.h>

#include "dp_parse.h"
#include "dp_rtp.h"

__attribute__((noinline, cold)) void dp_rtp_jitter_update_k(struct dp_rtp_jitter *j,
								 uint32_t arrival, uint32_t ts,
								 uint8_t k)
{
	dp_rtp_jitter_update(j, arrival, ts / k);
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
	out->cumulative = (int32_t)(dp_rd32(blk + 4) << 8) >> 8;	/* 24-bit signed */
	out->jitter = dp_rd32(blk + 12);
	return true;
}
