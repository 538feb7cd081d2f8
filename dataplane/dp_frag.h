/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP over IP fragments: listed UDP fragments are reassembled per worker (rte_ip_frag, a
 * bounded table of [dataplane] frag_flows datagrams, each given frag_timeout_ms) before the
 * scanner and the caps see the datagram. Fragments still waiting are counted pending, those
 * merged into a datagram absorbed, and those the library gives up on (timeout, table full,
 * more than RTE_LIBRTE_IP_FRAG_MAX_FRAG pieces, overlaps) drop frag_reassembly.
 */
#ifndef DP_FRAG_H
#define DP_FRAG_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "dp.h"
#include "dp_parse.h"

#define DP_FRAG_BIG (65535 + 64)	/* a whole datagram, linear, for the scanner */

int dp_frag_setup(struct dp_worker *w, const struct sbc_config *cfg, int socket);
void dp_frag_free(struct dp_worker *w);

/* A fragment this module can take: UDP, and for IPv6 the fragment header right after the
 * fixed header (the shape rte_ip_frag reassembles). */
bool dp_frag_can(const uint8_t *frame, const struct dp_pkt *p);

/* Feed one fragment (m now belongs to the table). NULL while the datagram is incomplete (or
 * when the fragment was refused: it waits on the death row), else the whole datagram as an
 * mbuf chain, its IPv4 header checksum valid again. */
struct rte_mbuf *dp_frag_feed(struct dp_worker *w, struct rte_mbuf *m, const struct dp_pkt *p,
			      uint64_t tsc);

/* After each burst: free and count the death row; now and then expire old datagrams. */
void dp_frag_housekeeping(struct dp_worker *w, uint64_t tsc);

#endif
