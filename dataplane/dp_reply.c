/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A request's mbuf turned into its stateless response (see dp_reply.h). Worker lcores, for the
 * few packets that earn a response; no allocation, no syscalls, no logging: the text is built
 * in the worker's scratch buffer and written over the request's own frame.
 */
#include <string.h>

#include "dp_reply.h"
#include "dp_sip_reply.h"

enum dp_drop dp_reply_in_place(struct dp_worker *w, struct rte_mbuf *m, const uint8_t *frame,
			       const struct dp_pkt *p, const struct dp_sip_msg *sm, int code,
			       const char *reason, const char *extra, enum dp_drop fail)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	const uint8_t *sip = frame + p->payload_off;
	struct dp_sip_source src;
	uint16_t dport = SBC_SIP_PORT_DEFAULT;	/* the builder sets it from the top Via */
	int n;

	if (p->frag != DP_FRAG_NONE || p->proto != DP_PROTO_UDP)
		return fail;
	src.family = p->l3 == DP_L3_IPV4 ? 4 : 6;
	memcpy(src.addr, p->src, src.family == 4 ? 4 : 16);
	src.port = p->sport;
	if (sm != NULL)
		n = dp_sip_response_from(sip, sm, code, reason, extra, &src, dp.tag_secret,
					 w->scratch, sizeof(w->scratch), &dport);
	else
		n = dp_sip_build_response(sip, p->payload_len, code, reason, extra, &src,
					  dp.tag_secret, w->scratch, sizeof(w->scratch), &dport);
	if (n < 0)
		return fail;	/* no response possible: ACK, response, malformed, too big */
	n = dp_reply_frame(f, (uint32_t)(m->buf_len - m->data_off), p, dp.wire_mac.addr_bytes,
			   w->scratch, (uint32_t)n, dport);
	if (n < 0)
		return fail;
	if (m->next != NULL) {	/* a reassembled request: the response fits the first segment */
		rte_pktmbuf_free(m->next);
		m->next = NULL;
		m->nb_segs = 1;
	}
	m->data_len = (uint16_t)n;
	m->pkt_len = (uint32_t)n;
	m->ol_flags = 0;
	return DP_DROP_NONE;
}
