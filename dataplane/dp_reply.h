/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateless responses leaving a worker: the request's mbuf becomes its response in place (403
 * to an unlisted source from dp_worker.c, 503 over a cap from dp_admit.c). The SIP text and
 * the frame rewrite are dp_sip_reply.c's (pure C); this is the mbuf glue. Worker lcores.
 */
#ifndef DP_REPLY_H
#define DP_REPLY_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "dp.h"
#include "dp_parse.h"

/*
 * Turn the UDP request in m into a response in place: frame is the request datagram (linear),
 * sm the scanned request (NULL: scan it here). The response is written over m's first
 * segment; the rest of a chain is freed. DP_DROP_NONE when m holds the response, else fail
 * (no response possible: a fragment, TCP, an ACK, a response, malformed, too big).
 */
enum dp_drop dp_reply_in_place(struct dp_worker *w, struct rte_mbuf *m, const uint8_t *frame,
			       const struct dp_pkt *p, const struct dp_sip_msg *sm, int code,
			       const char *reason, const char *extra, enum dp_drop fail);

#endif
