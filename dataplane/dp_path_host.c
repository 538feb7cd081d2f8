/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host path of the worker (dp_path.h): ARP, ICMP and ICMPv6 for the SBC's addresses go to
 * the kernel unchanged; on the way, ARP and neighbour discovery teach the media path its
 * next hops' MACs (dp_neigh.h). Worker lcores only.
 */
#include "dp_admit.h"
#include "dp_neigh.h"
#include "dp_path.h"

void dp_path_host(struct rte_mbuf *m, const struct dp_pkt *p)
{
	if (p->l3 == DP_L3_ARP || p->proto == DP_PROTO_ICMPV6) {
		(void)dp_pkt_time(m, 0);	/* the test clock: a neighbour confirmed at its time */
		dp_neigh_snoop(rte_pktmbuf_mtod(m, const uint8_t *), p);
	}
}
