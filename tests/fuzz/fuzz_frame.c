/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: one arbitrary frame through what a worker does with it before any table
 * lookup: the L2-L4 parser, then the 403 builder and frame rewrite on whatever UDP payload the
 * parser found. Crashes, over-reads and UB are the findings (ASan + UBSan).
 */
#include <stdint.h>
#include <string.h>

#include "dp_parse.h"
#include "dp_sip_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[DP_REPLY_MAX_FRAME + 128];
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 0x10 };
	struct dp_sip_source src = { 4, { 203, 0, 113, 9 }, 5062 };
	char out[2048];
	struct dp_pkt p;
	uint16_t port;
	int n;

	if (size > sizeof(frame))
		return 0;
	memcpy(frame, data, size);
	if (dp_parse(frame, (uint32_t)size, true, &p) != DP_DROP_NONE || p.proto != DP_PROTO_UDP ||
	    p.frag != DP_FRAG_NONE || p.l3 == DP_L3_ARP)
		return 0;
	if (p.l3 == DP_L3_IPV6)
		src.family = 6;
	n = dp_sip_build_response(frame + p.payload_off, p.payload_len, 403, "Forbidden", NULL, &src,
				  7, out, sizeof(out), &port);
	if (n > 0)
		dp_reply_frame(frame, sizeof(frame), &p, mac, out, (uint32_t)n, port);
	return 0;
}
