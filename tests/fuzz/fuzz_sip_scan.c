/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: arbitrary bytes as one SIP datagram to the data plane's scanner. It must
 * never read past the datagram (the copy is exactly sized, so ASan sees any over-read), and
 * what it calls well-formed must hold together: every span inside the message, a Call-ID,
 * a CSeq method equal to a request's method, Content-Length within the datagram.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void span_in(struct dp_span s, uint32_t len)
{
	if (s.off > len || s.len > len - s.off)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *msg = malloc(size ? size : 1);
	struct dp_sip_msg m;
	uint32_t len = (uint32_t)size;

	if (size > 65535)
		return 0;
	memcpy(msg, data, size);
	if (dp_sip_scan(msg, len, &m) == DP_SIP_ERR_OK) {
		span_in(m.call_id, len);
		span_in(m.cseq_method, len);
		span_in(m.via_top, len);
		span_in(m.branch, len);
		span_in(m.from, len);
		span_in(m.from_tag, len);
		span_in(m.to, len);
		span_in(m.to_tag, len);
		span_in(m.content_type, len);
		for (unsigned int i = 0; i < m.n_via && i < DP_SIP_MAX_VIA; i++)
			span_in(m.via[i], len);
		if (m.call_id.len == 0 || m.n_via == 0)
			abort();
		if (m.is_request) {
			span_in(m.method, len);
			span_in(m.ruri, len);
			span_in(m.ruri_user, len);
			if (m.method.len != m.cseq_method.len ||
			    memcmp(msg + m.method.off, msg + m.cseq_method.off, m.method.len) != 0)
				abort();
		}
		if (m.body_off > len || m.body_len > len - m.body_off)
			abort();
		if (m.has_content_length && m.content_length > m.body_len)
			abort();
	}
	free(msg);
	return 0;
}
