/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The neighbour table and the frames that feed and query it (dp_neigh.h). Lookups run on the
 * workers' media path; learning on whichever worker sees ARP/ND for us; asking on the worker
 * that found no MAC.
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_spinlock.h>

#include "dp.h"
#include "dp_neigh.h"
#include "sbc_hash.h"

#define ST_EMPTY 0u
#define ST_READY 1u

struct entry {
	uint32_t state;		/* ST_READY once family and addr are written (release) */
	uint8_t family;
	uint8_t addr[16];
	uint64_t mac;		/* 6 bytes of MAC in the low 48 bits */
};

static struct {
	struct entry e[DP_NEIGH_SLOTS];
	rte_spinlock_t lock;
	uint32_t entries;
	struct dp_neigh_counters c;
} nt;

void dp_neigh_init(void)
{
	memset(&nt, 0, sizeof(nt));
	rte_spinlock_init(&nt.lock);
}

static inline unsigned int alen(uint8_t family)
{
	return family == SBC_AF_V6 ? 16 : 4;
}

static uint32_t hash_of(uint8_t family, const uint8_t *a)
{
	uint64_t h = sbc_fnv1a(SBC_FNV1A_INIT ^ family, a, alen(family));

	return (uint32_t)(h ^ (h >> 32));
}

static inline bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned int plen)
{
	unsigned int bytes = plen / 8, bits = plen % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	return bits == 0 || ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff00u >> bits)) == 0;
}

/* On-link: inside address/LEN; without /LEN, nothing is on-link when there is a gateway. */
bool dp_neigh_next_hop(uint8_t family, const uint8_t *dst, uint8_t *hop)
{
	const struct sbc_config *c = &dp.cfg;
	bool v6 = family == SBC_AF_V6;
	unsigned int plen = v6 ? c->address6_plen : c->address_plen;
	bool has_gw = v6 ? c->has_gateway6 : c->has_gateway;
	const uint8_t *ours = v6 ? c->address6 : c->address;

	if ((plen > 0 && prefix_match(dst, ours, plen)) || (plen == 0 && !has_gw)) {
		memcpy(hop, dst, alen(family));
		return true;
	}
	if (!has_gw)
		return false;
	memcpy(hop, v6 ? c->gateway6 : c->gateway, alen(family));
	return true;
}

static struct entry *find(uint8_t family, const uint8_t *a)
{
	uint32_t i = hash_of(family, a) & (DP_NEIGH_SLOTS - 1);

	for (unsigned int n = 0; n < DP_NEIGH_SLOTS; n++, i = (i + 1) & (DP_NEIGH_SLOTS - 1)) {
		struct entry *e = &nt.e[i];

		if (__atomic_load_n(&e->state, __ATOMIC_ACQUIRE) != ST_READY)
			return NULL;
		if (e->family == family && memcmp(e->addr, a, alen(family)) == 0)
			return e;
	}
	return NULL;
}

bool dp_neigh_lookup(uint8_t family, const uint8_t *hop, uint8_t *mac)
{
	const struct entry *e = find(family, hop);
	uint64_t v;

	if (e == NULL)
		return false;
	v = __atomic_load_n(&e->mac, __ATOMIC_RELAXED);
	for (int k = 5; k >= 0; k--, v >>= 8)
		mac[k] = (uint8_t)v;
	return true;
}

static uint64_t mac_word(const uint8_t *mac)
{
	uint64_t v = 0;

	for (int k = 0; k < 6; k++)
		v = (v << 8) | mac[k];
	return v;
}

void dp_neigh_learn(uint8_t family, const uint8_t *hop, const uint8_t *mac)
{
	uint64_t v = mac_word(mac);
	struct entry *e;
	uint32_t i;

	if ((mac[0] & 1) || v == 0)
		return;		/* a multicast or zero MAC is nobody's */
	rte_spinlock_lock(&nt.lock);
	e = find(family, hop);
	if (e != NULL) {
		if (__atomic_load_n(&e->mac, __ATOMIC_RELAXED) != v) {
			__atomic_store_n(&e->mac, v, __ATOMIC_RELAXED);
			dp_count(&nt.c.changed, 1);
		}
		goto out;
	}
	if (nt.entries >= DP_NEIGH_SLOTS * 3 / 4) {
		dp_count(&nt.c.full, 1);
		goto out;
	}
	i = hash_of(family, hop) & (DP_NEIGH_SLOTS - 1);
	while (nt.e[i].state != ST_EMPTY)
		i = (i + 1) & (DP_NEIGH_SLOTS - 1);
	e = &nt.e[i];
	e->family = family;
	memset(e->addr, 0, sizeof(e->addr));
	memcpy(e->addr, hop, alen(family));
	e->mac = v;
	__atomic_store_n(&e->state, ST_READY, __ATOMIC_RELEASE);
	__atomic_store_n(&nt.entries, nt.entries + 1, __ATOMIC_RELAXED);
	dp_count(&nt.c.learnt, 1);
out:
	rte_spinlock_unlock(&nt.lock);
}

/* RFC 4861 4.6.1: the link-layer address option of type want among the options at o. */
static const uint8_t *nd_lladdr(const uint8_t *o, const uint8_t *end, uint8_t want)
{
	while (o + 8 <= end && o[1] != 0) {
		if (o + o[1] * 8u > end)
			return NULL;
		if (o[0] == want && o[1] == 1)
			return o + 2;
		o += o[1] * 8u;
	}
	return NULL;
}

static void snoop_nd(const uint8_t *f, const struct dp_pkt *p)
{
	static const uint8_t unspecified[16];
	const uint8_t *icmp = f + p->l4_off, *end = f + p->l3_end, *mac;

	if (p->l4_off == 0 || icmp + 24 > end)
		return;
	if (icmp[0] == 135 && memcmp(p->src, unspecified, 16) != 0) {
		/* NS: the solicitor's address and its source link-layer address (type 1) */
		mac = nd_lladdr(icmp + 24, end, 1);
		if (mac != NULL)
			dp_neigh_learn(SBC_AF_V6, p->src, mac);
	} else if (icmp[0] == 136) {
		/* NA: the target's address and its target link-layer address (type 2) */
		mac = nd_lladdr(icmp + 24, end, 2);
		if (mac != NULL)
			dp_neigh_learn(SBC_AF_V6, icmp + 8, mac);
	}
}

void dp_neigh_snoop(const uint8_t *f, const struct dp_pkt *p)
{
	if (p->l3 == DP_L3_ARP) {
		/* RFC 826: sender hardware address at 8, sender protocol address at 14 */
		dp_neigh_learn(SBC_AF_V4, p->src, f + p->l3_off + 8);
		return;
	}
	if (p->l3 == DP_L3_IPV6 && p->proto == DP_PROTO_ICMPV6)
		snoop_nd(f, p);
}

bool dp_neigh_should_ask(struct dp_neigh_asked *a, uint8_t family, const uint8_t *hop,
			 uint64_t now_tsc)
{
	uint32_t h = hash_of(family, hop) | 1u;		/* 0 marks an unused slot */
	unsigned int k = h % DP_NEIGH_ASK_CACHE;
	uint64_t gap = rte_get_tsc_hz() / 1000 * DP_NEIGH_ASK_MS;

	if (a->hash[k] == h && now_tsc - a->tsc[k] < gap)
		return false;
	a->hash[k] = h;
	a->tsc[k] = now_tsc;
	return true;
}

static void put_eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, dp.wire_mac.addr_bytes, 6);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
}

/* RFC 826: who has hop? tell address. */
static uint32_t build_arp(uint8_t *f, const uint8_t *hop)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t head[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };	/* Ethernet, IPv4, request */
	uint8_t *a = f + 14;

	put_eth(f, bcast, DP_ETHERTYPE_ARP);
	memcpy(a, head, 8);
	memcpy(a + 8, dp.wire_mac.addr_bytes, 6);
	memcpy(a + 14, dp.cfg.address, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, hop, 4);
	memset(a + 28, 0, 60 - 42);	/* padded to the Ethernet minimum */
	return 60;
}

/* RFC 4861 7.2.2: an NS to the solicited-node multicast address of hop (RFC 4291 2.7.1), with
 * our source link-layer address; hop limit 255. */
static uint32_t build_ns(uint8_t *f, const uint8_t *hop)
{
	uint8_t mmac[6] = { 0x33, 0x33, 0xff, hop[13], hop[14], hop[15] };
	uint8_t *ip = f + 14, *icmp = ip + 40;
	uint32_t sum;

	put_eth(f, mmac, DP_ETHERTYPE_IPV6);
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[5] = 32;			/* payload: 24 + option 8 */
	ip[6] = DP_PROTO_ICMPV6;
	ip[7] = 255;
	memcpy(ip + 8, dp.cfg.address6, 16);
	ip[24] = 0xff;
	ip[25] = 0x02;
	ip[35] = 0x01;
	ip[36] = 0xff;
	memcpy(ip + 37, hop + 13, 3);
	memset(icmp, 0, 32);
	icmp[0] = 135;
	memcpy(icmp + 8, hop, 16);
	icmp[24] = 1;			/* source link-layer address */
	icmp[25] = 1;
	memcpy(icmp + 26, dp.wire_mac.addr_bytes, 6);
	/* RFC 4443 2.3: over the IPv6 pseudo-header (addresses, length, next header) */
	sum = dp_csum_partial(ip + 8, 32, 0) + 32 + DP_PROTO_ICMPV6;
	sum = dp_csum_partial(icmp, 32, sum);
	sum = dp_csum_fold(sum);
	icmp[2] = (uint8_t)(sum >> 8);
	icmp[3] = (uint8_t)sum;
	return 14 + 40 + 32;
}

struct rte_mbuf *dp_neigh_solicit(struct rte_mempool *pool, uint8_t family, const uint8_t *hop)
{
	struct rte_mbuf *m;
	uint8_t *f;
	uint32_t len;

	if (family == SBC_AF_V6 && !dp.cfg.has_address6)
		return NULL;
	m = rte_pktmbuf_alloc(pool);
	if (m == NULL)
		return NULL;
	f = (uint8_t *)rte_pktmbuf_append(m, 86);
	if (f == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	len = family == SBC_AF_V6 ? build_ns(f, hop) : build_arp(f, hop);
	rte_pktmbuf_trim(m, 86 - len);
	return m;
}

void dp_neigh_counters(struct dp_neigh_counters *c, uint32_t *entries)
{
	c->learnt = __atomic_load_n(&nt.c.learnt, __ATOMIC_RELAXED);
	c->changed = __atomic_load_n(&nt.c.changed, __ATOMIC_RELAXED);
	c->full = __atomic_load_n(&nt.c.full, __ATOMIC_RELAXED);
	*entries = __atomic_load_n(&nt.entries, __ATOMIC_RELAXED);
}
