/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IP reassembly for listed SIP fragments (see dp_frag.h). One table per worker: no sharing,
 * no locks. RSS hashes fragments of one datagram to one queue (by addresses only, as NICs do
 * for fragments); with one queue that holds trivially.
 */
#include <errno.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_malloc.h>

#include "dp_frag.h"

#define EXPIRE_EVERY_MS 10
#define DP_FRAG_BUCKET_ENTRIES 16	/* rte_ip_frag takes at most 16 (IP_FRAG_HASH_FNUM * 4) */

int dp_frag_setup(struct dp_worker *w, const struct sbc_config *cfg, int socket)
{
	uint64_t cycles = rte_get_tsc_hz() / 1000 * cfg->frag_timeout_ms;
	uint32_t buckets = (cfg->frag_flows + DP_FRAG_BUCKET_ENTRIES - 1) /
			   DP_FRAG_BUCKET_ENTRIES;

	w->frag_tbl = rte_ip_frag_table_create(buckets, DP_FRAG_BUCKET_ENTRIES,
					       cfg->frag_flows, cycles, socket);
	w->big = rte_malloc_socket("sbc_frag_big", DP_FRAG_BIG, RTE_CACHE_LINE_SIZE, socket);
	w->frag_dr = rte_zmalloc_socket("sbc_frag_dr", sizeof(*w->frag_dr), RTE_CACHE_LINE_SIZE,
					socket);
	return w->frag_tbl && w->big && w->frag_dr ? 0 : -ENOMEM;
}

void dp_frag_free(struct dp_worker *w)
{
	if (w->frag_tbl)
		rte_ip_frag_table_destroy(w->frag_tbl);
	rte_free(w->big);
	rte_free(w->frag_dr);
}

bool dp_frag_can(const uint8_t *frame, const struct dp_pkt *p)
{
	if (p->proto != DP_PROTO_UDP)
		return false;
	if (p->l3 == DP_L3_IPV4)
		return true;
	return frame[p->l3_off + 6] == IPPROTO_FRAGMENT;
}

struct rte_mbuf *dp_frag_feed(struct dp_worker *w, struct rte_mbuf *m, const struct dp_pkt *p,
			      uint64_t tsc)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_mbuf *r;

	dp_count(&w->frag_in, 1);
	/* Ethernet padding past the datagram would be taken for payload */
	if (m->pkt_len > p->l3_end)
		rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - p->l3_end));
	m->l2_len = p->l2_len;
	if (p->l3 == DP_L3_IPV4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + p->l3_off);

		m->l3_len = (uint16_t)((ip->version_ihl & 0x0f) * 4);
		r = rte_ipv4_frag_reassemble_packet(w->frag_tbl, w->frag_dr, m, tsc, ip);
		if (r != NULL) {
			ip = rte_pktmbuf_mtod_offset(r, struct rte_ipv4_hdr *, r->l2_len);
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		}
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(f + p->l3_off);

		m->l3_len = sizeof(*ip) + sizeof(struct rte_ipv6_fragment_ext);
		r = rte_ipv6_frag_reassemble_packet(w->frag_tbl, w->frag_dr, m, tsc, ip,
						    (struct rte_ipv6_fragment_ext *)(ip + 1));
	}
	if (r == NULL)
		return NULL;
	dp_count(&w->frag_datagrams, 1);
	dp_count(&w->frag_absorbed, (uint64_t)r->nb_segs - 1);
	return r;
}

void dp_frag_housekeeping(struct dp_worker *w, uint64_t tsc)
{
	if (tsc - w->frag_last_expire > rte_get_tsc_hz() / 1000 * EXPIRE_EVERY_MS) {
		w->frag_last_expire = tsc;
		rte_ip_frag_table_del_expired_entries(w->frag_tbl, w->frag_dr, tsc);
	}
	if (w->frag_dr->cnt > 0) {
		dp_count(&w->stats.drops[DP_DROP_FRAG_REASSEMBLY], w->frag_dr->cnt);
		rte_ip_frag_free_death_row(w->frag_dr, 3);
	}
}
