/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The neighbour table and the frames that feed and query it (dp_neigh.h). Lookups run on the
 * workers' media path; learning on whichever worker sees ARP/ND for us; asking on the worker
 * that found no MAC.
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_pause.h>
#include <rte_spinlock.h>

#include "dp.h"
#include "dp_neigh.h"
#include "sbc_hash.h"

#define ST_EMPTY 0u
#define ST_LIVE 1u
#define ST_DEAD 2u		/* removed by ageing: probing walks past it, an insert reuses it */

struct entry {
	uint32_t seq;		/* odd while a writer changes the entry (readers read again) */
	uint8_t state;
	uint8_t family;
	uint8_t probes;		/* unicast requests since the last confirmation (writers only) */
	uint8_t addr[16];
	uint64_t mac;		/* 6 bytes of MAC in the low 48 bits */
	uint64_t confirmed_ns;	/* writers only: learnt or confirmed, data plane clock */
	uint64_t asked_ns;	/* writers only: the last unicast request */
};

uint32_t dp_neigh_gen = 1;

static struct {
	struct entry e[DP_NEIGH_SLOTS];
	rte_spinlock_t lock;
	uint32_t entries;	/* live */
	uint32_t used;		/* live + tombstones */
	struct dp_neigh_counters c;
} nt;

void dp_neigh_init(void)
{
	memset(&nt, 0, sizeof(nt));
	rte_spinlock_init(&nt.lock);
	dp_neigh_gen = 1;
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

static inline bool same(const struct entry *e, uint8_t family, const uint8_t *a)
{
	return e->family == family && memcmp(e->addr, a, alen(family)) == 0;
}

static void mac_bytes(uint64_t v, uint8_t *mac)
{
	for (int k = 5; k >= 0; k--, v >>= 8)
		mac[k] = (uint8_t)v;
}

static uint64_t mac_word(const uint8_t *mac)
{
	uint64_t v = 0;

	for (int k = 0; k < 6; k++)
		v = (v << 8) | mac[k];
	return v;
}

enum probe { P_END, P_HIT, P_NEXT };

/* Lock-free: slot e read whole (again while a writer is in it): a's live entry (its MAC in
 * *mac), the end of the probe path (empty), or go on. */
static enum probe read_slot(const struct entry *e, uint8_t family, const uint8_t *a,
			    uint64_t *mac)
{
	uint32_t s1, s2;
	enum probe r;

	for (;;) {
		s1 = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1) {
			rte_pause();
			continue;
		}
		r = e->state == ST_EMPTY ? P_END :
		    e->state == ST_LIVE && same(e, family, a) ? P_HIT : P_NEXT;
		*mac = e->mac;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&e->seq, __ATOMIC_RELAXED);
		if (s1 == s2)
			return r;
	}
}

bool dp_neigh_lookup(uint8_t family, const uint8_t *hop, uint8_t *mac)
{
	uint32_t i = hash_of(family, hop) & (DP_NEIGH_SLOTS - 1);
	uint64_t v;

	for (unsigned int n = 0; n < DP_NEIGH_SLOTS; n++, i = (i + 1) & (DP_NEIGH_SLOTS - 1)) {
		enum probe r = read_slot(&nt.e[i], family, hop, &v);

		if (r == P_END)
			return false;
		if (r == P_HIT) {
			mac_bytes(v, mac);
			return true;
		}
	}
	return false;
}

/* Writers (lock held): the slot holding a, live or dead, or NULL; *free_at: the first
 * tombstone on the path, else the empty slot that ended it (NULL: the table is all used). */
static struct entry *find_locked(uint8_t family, const uint8_t *a, struct entry **free_at)
{
	uint32_t i = hash_of(family, a) & (DP_NEIGH_SLOTS - 1);

	*free_at = NULL;
	for (unsigned int n = 0; n < DP_NEIGH_SLOTS; n++, i = (i + 1) & (DP_NEIGH_SLOTS - 1)) {
		struct entry *e = &nt.e[i];

		if (e->state == ST_EMPTY) {
			if (*free_at == NULL)
				*free_at = e;
			return NULL;
		}
		if (same(e, family, a))
			return e;
		if (e->state == ST_DEAD && *free_at == NULL)
			*free_at = e;
	}
	return NULL;
}

/* Writers: the sequence counter around a change of e (readers see it whole or read again). */
static inline void write_begin(struct entry *e)
{
	__atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void write_end(struct entry *e)
{
	__atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&dp_neigh_gen, dp_neigh_gen + 1, __ATOMIC_RELEASE);
}

void dp_neigh_learn(uint8_t family, const uint8_t *hop, const uint8_t *mac)
{
	uint64_t v = mac_word(mac), now = dp_clock_ns_at(rte_rdtsc());
	struct entry *e, *free_at;

	if ((mac[0] & 1) || v == 0)
		return;		/* a multicast or zero MAC is nobody's */
	rte_spinlock_lock(&nt.lock);
	e = find_locked(family, hop, &free_at);
	if (e != NULL && e->state == ST_LIVE) {
		e->confirmed_ns = now;
		e->probes = 0;
		dp_count(&nt.c.confirmed, 1);
		if (e->mac != v) {
			write_begin(e);
			e->mac = v;
			write_end(e);
			dp_count(&nt.c.changed, 1);
		}
		goto out;
	}
	if (e == NULL) {	/* new: a tombstone on the path, or an empty slot within bounds */
		e = free_at;
		if (e == NULL || (e->state == ST_EMPTY && nt.used >= DP_NEIGH_SLOTS * 3 / 4)) {
			dp_count(&nt.c.full, 1);
			goto out;
		}
		if (e->state == ST_EMPTY)
			__atomic_store_n(&nt.used, nt.used + 1, __ATOMIC_RELAXED);
	}
	write_begin(e);
	e->family = family;
	memset(e->addr, 0, sizeof(e->addr));
	memcpy(e->addr, hop, alen(family));
	e->mac = v;
	e->state = ST_LIVE;
	write_end(e);
	e->confirmed_ns = now;
	e->probes = 0;
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

/* RFC 826: who has hop? tell address. Broadcast, or to its MAC (RFC 1122 2.3.2.1: ageing's
 * unicast poll). */
static uint32_t build_arp(uint8_t *f, const uint8_t *hop, const uint8_t *to)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t head[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };	/* Ethernet, IPv4, request */
	uint8_t *a = f + 14;

	put_eth(f, to != NULL ? to : bcast, DP_ETHERTYPE_ARP);
	memcpy(a, head, 8);
	memcpy(a + 8, dp.wire_mac.addr_bytes, 6);
	memcpy(a + 14, dp.cfg.address, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, hop, 4);
	memset(a + 28, 0, 60 - 42);	/* padded to the Ethernet minimum */
	return 60;
}

/* RFC 4861 7.2.2: an NS to the solicited-node multicast address of hop (RFC 4291 2.7.1), or
 * (to: ageing's probe, 7.3.3) to hop itself at its MAC, with our source link-layer address;
 * hop limit 255. */
static uint32_t build_ns(uint8_t *f, const uint8_t *hop, const uint8_t *to)
{
	uint8_t mmac[6] = { 0x33, 0x33, 0xff, hop[13], hop[14], hop[15] };
	uint8_t *ip = f + 14, *icmp = ip + 40;
	uint32_t sum;

	put_eth(f, to != NULL ? to : mmac, DP_ETHERTYPE_IPV6);
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[5] = 32;			/* payload: 24 + option 8 */
	ip[6] = DP_PROTO_ICMPV6;
	ip[7] = 255;
	memcpy(ip + 8, dp.cfg.address6, 16);
	if (to != NULL) {
		memcpy(ip + 24, hop, 16);
	} else {
		ip[24] = 0xff;
		ip[25] = 0x02;
		ip[35] = 0x01;
		ip[36] = 0xff;
		memcpy(ip + 37, hop + 13, 3);
	}
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

static struct rte_mbuf *solicit(struct rte_mempool *pool, uint8_t family, const uint8_t *hop,
			        const uint8_t *to)
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
	len = family == SBC_AF_V6 ? build_ns(f, hop, to) : build_arp(f, hop, to);
	rte_pktmbuf_trim(m, 86 - len);
	return m;
}

struct rte_mbuf *dp_neigh_solicit(struct rte_mempool *pool, uint8_t family, const uint8_t *hop)
{
	return solicit(pool, family, hop, NULL);
}

void dp_neigh_counters(struct dp_neigh_counters *c, uint32_t *entries)
{
	c->learnt = __atomic_load_n(&nt.c.learnt, __ATOMIC_RELAXED);
	c->changed = __atomic_load_n(&nt.c.changed, __ATOMIC_RELAXED);
	c->full = __atomic_load_n(&nt.c.full, __ATOMIC_RELAXED);
	c->confirmed = __atomic_load_n(&nt.c.confirmed, __ATOMIC_RELAXED);
	c->probes = __atomic_load_n(&nt.c.probes, __ATOMIC_RELAXED);
	c->aged = __atomic_load_n(&nt.c.aged, __ATOMIC_RELAXED);
	*entries = __atomic_load_n(&nt.entries, __ATOMIC_RELAXED);
}

/* ---- the hold queue (per worker) */

static inline bool held_for(const struct dp_neigh_held *h, unsigned int i, uint8_t family,
			    const uint8_t *hop)
{
	return h->family[i] == family && memcmp(h->hop[i], hop, alen(family)) == 0;
}

bool dp_neigh_holding(const struct dp_neigh_held *h, uint8_t family, const uint8_t *hop)
{
	for (unsigned int i = 0; i < h->n; i++)
		if (held_for(h, i, family, hop))
			return true;
	return false;
}

bool dp_neigh_hold(struct dp_neigh_held *h, struct rte_mbuf *m, uint8_t family,
		   const uint8_t *hop, uint64_t now_ns, bool answered)
{
	unsigned int same_hop = 0;

	for (unsigned int i = 0; i < h->n && !answered; i++)
		same_hop += held_for(h, i, family, hop);
	if (answered ? h->n >= DP_NEIGH_HOLD_SLOTS :
	    h->n >= DP_NEIGH_HOLD_MAX || same_hop >= DP_NEIGH_HOLD_PER) {
		dp_count(&h->full, 1);
		return false;
	}
	if (h->n == 0)
		h->gen = __atomic_load_n(&dp_neigh_gen, __ATOMIC_ACQUIRE);
	h->m[h->n] = m;
	h->deadline_ns[h->n] = now_ns + DP_NEIGH_HOLD_MS * 1000000ull;
	h->family[h->n] = family;
	memcpy(h->hop[h->n], hop, alen(family));
	__atomic_store_n(&h->n, h->n + 1, __ATOMIC_RELAXED);	/* read by telemetry */
	dp_count(&h->held, 1);
	return true;
}

unsigned int dp_neigh_release(struct dp_neigh_held *h, uint64_t now_ns, struct rte_mbuf **out,
			      unsigned int room, uint64_t *expired)
{
	unsigned int kept = 0, sent = 0, gone = 0;
	uint8_t mac[6];

	uint32_t gen = __atomic_load_n(&dp_neigh_gen, __ATOMIC_ACQUIRE);

	for (unsigned int i = 0; i < h->n; i++) {
		struct rte_mbuf *m = h->m[i];

		if (sent < room && dp_neigh_lookup(h->family[i], h->hop[i], mac)) {
			memcpy(rte_pktmbuf_mtod(m, uint8_t *), mac, 6);
			out[sent++] = m;
			continue;
		}
		if (now_ns >= h->deadline_ns[i]) {
			rte_pktmbuf_free(m);
			gone++;
			continue;
		}
		if (kept != i) {	/* the rest move up, in order */
			h->m[kept] = m;
			h->deadline_ns[kept] = h->deadline_ns[i];
			h->family[kept] = h->family[i];
			memcpy(h->hop[kept], h->hop[i], 16);
		}
		kept++;
	}
	__atomic_store_n(&h->n, kept, __ATOMIC_RELAXED);
	/* out of room with some left: they may be answered, look again next time */
	h->gen = sent == room && kept > 0 ? gen - 1 : gen;
	if (sent > 0)
		dp_count(&h->released, sent);
	if (gone > 0) {
		dp_count(&h->expired, gone);
		dp_count(expired, gone);
	}
	return sent;
}

/* ---- ageing (worker 0) */

unsigned int dp_neigh_age(uint64_t *last_scan_ns, uint64_t now_ns, struct rte_mempool *pool,
			  struct rte_mbuf **out, unsigned int room)
{
	const uint64_t reachable = DP_NEIGH_REACHABLE_S * 1000000000ull;
	const uint64_t gap = DP_NEIGH_PROBE_MS * 1000000ull;
	unsigned int n = 0;
	uint8_t mac[6];

	if (now_ns - *last_scan_ns < DP_NEIGH_AGE_SCAN_MS * 1000000ull)
		return 0;
	*last_scan_ns = now_ns;
	if (room > DP_NEIGH_AGE_ASKS)
		room = DP_NEIGH_AGE_ASKS;
	rte_spinlock_lock(&nt.lock);
	for (unsigned int i = 0; i < DP_NEIGH_SLOTS && nt.entries > 0; i++) {
		struct entry *e = &nt.e[i];

		if (e->state != ST_LIVE || (int64_t)(now_ns - e->confirmed_ns) < (int64_t)reachable ||
		    (e->probes > 0 && now_ns - e->asked_ns < gap))
			continue;
		if (e->probes >= DP_NEIGH_PROBES) {	/* asked enough: gone */
			write_begin(e);
			e->state = ST_DEAD;
			write_end(e);
			__atomic_store_n(&nt.entries, nt.entries - 1, __ATOMIC_RELAXED);
			dp_count(&nt.c.aged, 1);
			continue;
		}
		if (n >= room)
			continue;
		mac_bytes(e->mac, mac);
		out[n] = solicit(pool, e->family, e->addr, mac);
		if (out[n] == NULL)
			continue;
		n++;
		e->probes++;
		e->asked_ns = now_ns;
		dp_count(&nt.c.probes, 1);
	}
	rte_spinlock_unlock(&nt.lock);
	return n;
}
