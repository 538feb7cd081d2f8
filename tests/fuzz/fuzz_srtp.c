/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: dp_srtp (dataplane/dp_srtp.c) on arbitrary bytes. The first byte picks the
 * suite, RTP or RTCP and the mode: unprotect of a hostile packet (must be refused or accepted
 * without touching memory beyond it), or protect of an arbitrary plain packet followed by
 * unprotect, which must give the same bytes back (any header shape: CSRCs, extensions, padding
 * bits). Crashes, over-reads, UB and a failed round trip (abort) are the findings.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sbc_channel.h"
#include "dp_srtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[SBC_SRTP_KEY_MAX] = {
	0x1f, 0x2e, 0x3d, 0x4c, 0x5b, 0x6a, 0x79, 0x88, 0x97, 0xa6, 0xb5, 0xc4, 0xd3, 0xe2, 0xf1, 0x00,
	0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	static uint8_t buf[4096 + 64], plain[4096];
	struct dp_srtp_ctx *tx = NULL, *rx = NULL;
	unsigned int suite;
	uint32_t len, plen;
	bool rtcp, roundtrip;
	char err[128];

	if (!init) {
		if (dp_srtp_init() != 0)
			abort();
		init = true;
	}
	if (size < 1 || size - 1 > sizeof(plain))
		return 0;
	suite = 1 + data[0] % (SBC_SRTP_MAX - 1);
	rtcp = data[0] & 0x10;
	roundtrip = data[0] & 0x20;
	plen = (uint32_t)(size - 1);
	memcpy(plain, data + 1, plen);
	if (dp_srtp_ctx_new(&rx, suite, key, true, err, sizeof(err)) != 0)
		abort();
	/* the packet at the end of the buffer's used part: an over-read runs into the redzone */
	uint8_t *pkt = malloc(plen + 64);

	if (pkt == NULL)
		abort();
	memcpy(pkt, plain, plen);
	len = plen;
	if (!roundtrip) {
		(void)dp_srtp_unprotect(rx, pkt, &len, rtcp);
		if (len > plen)
			abort();
	} else {
		if (dp_srtp_ctx_new(&tx, suite, key, false, err, sizeof(err)) != 0)
			abort();
		if (dp_srtp_protect(tx, pkt, &len, plen + 64, rtcp) == DP_SRTP_OK) {
			if (len != plen + dp_srtp_trailer(tx, rtcp))
				abort();
			memcpy(buf, pkt, len);
			if (dp_srtp_unprotect(rx, buf, &len, rtcp) != DP_SRTP_OK || len != plen ||
			    memcmp(buf, plain, plen) != 0)
				abort();
		}
		dp_srtp_ctx_free(tx);
	}
	free(pkt);
	dp_srtp_ctx_free(rx);
	return 0;
}
