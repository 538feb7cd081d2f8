/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP admission in the workers: the scanner's verdict on listed SIP, the per-trunk CPS bucket
 * and concurrent-call cap for dialog-creating INVITEs (503 over a cap, built by dp_reply.c),
 * and the call table kept up to date from both directions. Worker lcores.
 */
#ifndef DP_ADMIT_H
#define DP_ADMIT_H

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "dp.h"
#include "dp_parse.h"

enum dp_admit { DP_ADMIT_PASS, DP_ADMIT_REPLY, DP_ADMIT_DROP };

/*
 * Listed UDP SIP from the wire (trunk known); frame is the datagram, linear (the mbuf's data,
 * or a reassembled chain's copy) and p its parse. PASS: to the exception port; REPLY: m now
 * holds a response for the wire (503); DROP: *why says why.
 */
enum dp_admit dp_admit_wire(struct dp_worker *w, struct rte_mbuf *m, const uint8_t *frame,
			    const struct dp_pkt *p, uint32_t trunk, uint64_t now_ns,
			    enum dp_drop *why);

/* SIP the kernel side sends out (BYE, CANCEL, responses): ends or advances calls. */
void dp_admit_from_kernel(struct dp_worker *w, struct rte_mbuf *m, uint64_t now_ns);

/* The packet's time on the data plane's clock. The test clock reads the rx timestamp as
 * microseconds (net_pcap's unit: the pcap record's time). */
static inline uint64_t dp_pkt_time(const struct rte_mbuf *m, uint64_t now_ns)
{
	if (likely(!dp.test_clock) || !(m->ol_flags & dp.ts_flag))
		return now_ns;
	uint64_t t = *RTE_MBUF_DYNFIELD(m, dp.ts_offset, const uint64_t *) * 1000;
	uint64_t seen = __atomic_load_n(&dp.test_now_ns, __ATOMIC_RELAXED);

	while (t > seen && !__atomic_compare_exchange_n(&dp.test_now_ns, &seen, t, true,
							__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	return t;
}

#endif
