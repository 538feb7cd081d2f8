/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker loop, one per worker lcore: rx burst -> sort (parse and every check that needs no
 * table) -> one allowlist lookup per address family and one media table lookup for the whole
 * burst -> dispatch each frame to its path's handler (dp_path.h: host, SIP, media) -> act ->
 * tx. No syscalls, locks, allocation or logging in here; every packet ends in exactly one
 * counter: to_exception, to_wire, reject_sent, media_relayed or a drop reason.
 */
#include <string.h>

#ifdef __SSE4_1__
#include <smmintrin.h>
#endif

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include "dp.h"
#include "dp_admit.h"
#include "dp_deny.h"
#include "dp_frag.h"
#include "dp_idle.h"
#include "dp_media.h"
#include "dp_media4.h"
#include "dp_parse.h"
#include "dp_path.h"
#include "dp_sip_reply.h"
#include "dp_srtp.h"

#define PREFETCH_AHEAD 4	/* frames whose headers are fetched ahead of the one sorted */

_Static_assert(DP_DROP_MAX <= UINT8_MAX, "drop reasons are kept in a byte per frame");
_Static_assert(DP_BURST == 32, "sort_burst's identity: an entry a frame");

/* What the first pass makes of a frame. */
enum kind {
	K_DROP,		/* why[] says why */
	K_EXCEPTION,	/* ARP, ICMP, ICMPv6 for the host: to the kernel as is */
	K_SIP,		/* SIP to sip_port, tls_port, or from a peer's: the allowlist decides */
	K_FRAGMENT,	/* an IP fragment: the allowlist applies to each of them */
	K_MEDIA,	/* UDP to a port in media_ports: the media table decides */
	K_SIP4,		/* K_SIP of the common shape (sort_plain_sip4): its dp_pkt not yet filled */
	K_MEDIA4,	/* K_MEDIA of that shape (sort_plain_media4): dp_path_media4 first */
};

/* One burst from the wire through the passes. */
struct burst {
	struct rte_mbuf *m[DP_BURST];
	struct dp_pkt p[DP_BURST];
	uint8_t kind[DP_BURST];
	uint8_t why[DP_BURST];		/* enum dp_drop of K_DROP */
	uint32_t slot[DP_BURST];	/* allowlist rule slot of K_SIP and K_FRAGMENT */
	/* source addresses to look up, and the frame each came from */
	unsigned int n4, n6;
	uint8_t at4[DP_BURST], at6[DP_BURST];
	uint32_t ip4[DP_BURST];
	uint8_t ip6[DP_BURST][RTE_FIB6_IPV6_ADDR_SIZE];
	uint64_t hop[DP_BURST];
	unsigned int plain;		/* frames [0, plain) sorted by sort_run as SIP */
	unsigned int plain_any4;	/* of them, those whose source's /24 has its bit */
	bool listed;			/* some source of the burst is listed */
	uint64_t mac;			/* wire_mac_word() */
	/* media frames, in order: the frame each is */
	unsigned int nm;
	unsigned int nm4;		/* of them K_MEDIA4 */
	uint8_t atm[DP_BURST];
	const uint32_t *mword[DP_BURST];	/* its port's word (dp_media_word) */
	unsigned int mnext;		/* media frames decided so far (media_stage) */
	bool msrtp;			/* some session has an SRTP leg: srtp_stage runs */
	void *media[DP_BURST];		/* per frame: what its port's word names (dp_media_find) */
	bool media_found[DP_BURST];
};

/* Dropped mbufs are counted and freed together at the end of the burst. */
struct drops {
	struct rte_mbuf *m[DP_BURST * 2];
	uint8_t why[DP_BURST * 2];
	unsigned int n;
};

static inline bool is_our_v4(const uint8_t *a)
{
	return dp_ld32(a) == dp_ld32(dp.cfg.address);
}

static inline bool is_our_v6(const uint8_t *a)
{
	return dp.cfg.has_address6 && memcmp(a, dp.cfg.address6, 16) == 0;
}

/* One of [sbc] media_addresses (media only: RTP/RTCP to a media port, and ARP/ND): its index
 * in dp_media_locals, or -1. */
static inline int media_v4(const uint8_t *a)
{
	for (unsigned int k = 0; k < dp.cfg.n_media_addr4; k++)
		if (dp_ld32(a) == dp_ld32(dp.cfg.media_addr4[k]))
			return (int)dp_media_local_media4(k);
	return -1;
}

static inline int media_v6(const uint8_t *a)
{
	for (unsigned int k = 0; k < dp.cfg.n_media_addr6; k++)
		if (memcmp(a, dp.cfg.media_addr6[k], 16) == 0)
			return (int)dp_media_local_media6(&dp.cfg, k);
	return -1;
}

static inline bool is_media_v4(const uint8_t *a)
{
	return media_v4(a) >= 0;
}

static inline bool is_media_v6(const uint8_t *a)
{
	return media_v6(a) >= 0;
}

/* ICMPv6 the kernel must see for ND and RA: our address, link-local unicast, ff02::/16. */
static inline bool icmp6_for_us(const uint8_t *a)
{
	if (is_our_v6(a) || is_media_v6(a))
		return true;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return true;
	return a[0] == 0xff && a[1] == 0x02;
}

/* The wire MAC as the low 48 bits of a little-endian word (dp_ld64le of a frame's start). */
static inline uint64_t wire_mac_word(void)
{
	uint8_t b[8] = { 0 };

	memcpy(b, dp.wire_mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	return dp_ld64le(b);
}

/* Unicast frames must be for us; broadcast and multicast are sorted out by L3. mac: the
 * burst's wire_mac_word(). */
static inline bool l2_for_us(const uint8_t *f, uint32_t len, uint64_t mac)
{
	uint64_t d;

	if (len < 8)
		return len < RTE_ETHER_ADDR_LEN || (f[0] & 1) ||
		       (dp_ld32(f) == dp_ld32(dp.wire_mac.addr_bytes) &&
			dp_ld16(f + 4) == dp_ld16(dp.wire_mac.addr_bytes + 4));
	d = dp_ld64le(f);
	return (d & 1) || ((d ^ mac) << 16) == 0;	/* group bit, or the 6 bytes equal */
}

/* ---- pass 1: sort each frame by what needs no table */

static inline enum kind drop_as(struct burst *b, unsigned int i, enum dp_drop why)
{
	b->why[i] = (uint8_t)why;
	return K_DROP;
}

/* The allowlist decides: queue the source for the burst's lookup. */
static inline enum kind look_up(struct burst *b, unsigned int i, enum kind k)
{
	const struct dp_pkt *p = &b->p[i];

	if (p->l3 == DP_L3_IPV4) {
		b->ip4[b->n4] = rte_be_to_cpu_32(dp_ld32(p->src));
		b->at4[b->n4++] = (uint8_t)i;
	} else {
		memcpy(b->ip6[b->n6], p->src, RTE_FIB6_IPV6_ADDR_SIZE);
		b->at6[b->n6++] = (uint8_t)i;
	}
	return k;
}

/* The media table decides: (our address's index in dp_media_locals, port)'s word (dp_media.h),
 * asked for now and read once the whole burst is sorted (media_look_up_burst): with a large
 * table the words' misses overlap instead of each stalling the sort. */
static inline void media_ask(struct burst *b, unsigned int i, const uint32_t *w)
{
	rte_prefetch0(w);
	b->mword[b->nm] = w;
	b->atm[b->nm++] = (uint8_t)i;
}

static inline enum kind media_look_up(struct burst *b, unsigned int i, unsigned int local,
				      uint16_t dport)
{
	media_ask(b, i, dp_media_word(local, dport));
	return K_MEDIA;
}

/* SIP over TCP beside sip_port: to tls_port (RFC 3261 26.2: TLS runs over TCP only), and the
 * peer's side of a connection the B2BUA opened, from the SIP port of a trunk's uri to one of
 * the kernel's ephemeral ports. Both are allowlisted like sip_port. */
static inline bool sip_over_tcp(const struct dp_pkt *p)
{
	if (p->proto != DP_PROTO_TCP)
		return false;
	if (dp.cfg.tls_port != 0 && p->dport == dp.cfg.tls_port)
		return true;
	return (dp.sip_peer_sports[p->sport >> 6] >> (p->sport & 63)) & 1;
}

/* UDP or TCP to the SBC's address (local: its index in dp_media_locals): SIP on sip_port
 * (and over TCP as above), media on media_ports, nothing else. */
static inline enum kind sort_transport(struct burst *b, unsigned int i, unsigned int local)
{
	const struct dp_pkt *p = &b->p[i];

	if (p->proto != DP_PROTO_UDP && p->proto != DP_PROTO_TCP)
		return drop_as(b, i, DP_DROP_PROTOCOL);
	if (p->dport != dp.cfg.sip_port && !sip_over_tcp(p)) {
		if (p->proto == DP_PROTO_UDP && dp_media_port(&dp.cfg, p->dport))
			return media_look_up(b, i, local, p->dport);
		return drop_as(b, i, DP_DROP_PORT_CLOSED);
	}
	return look_up(b, i, K_SIP);
}

/* Not the SBC's address: media to one of media_addresses, else not for us. */
static inline enum kind sort_other(struct burst *b, unsigned int i, bool v6)
{
	const struct dp_pkt *p = &b->p[i];
	int local;

	if ((v6 ? dp.cfg.n_media_addr6 : dp.cfg.n_media_addr4) != 0 &&
	    p->proto == DP_PROTO_UDP && p->frag == DP_FRAG_NONE &&
	    dp_media_port(&dp.cfg, p->dport)) {
		local = v6 ? media_v6(p->dst) : media_v4(p->dst);
		if (local >= 0)
			return media_look_up(b, i, (unsigned int)local, p->dport);
	}
	return drop_as(b, i, DP_DROP_NOT_FOR_US);
}

static inline enum kind sort_ipv4(struct burst *b, unsigned int i)
{
	const struct dp_pkt *p = &b->p[i];

	if (!is_our_v4(p->dst))
		return sort_other(b, i, false);
	if (p->frag != DP_FRAG_NONE)
		return look_up(b, i, K_FRAGMENT);
	if (p->proto == DP_PROTO_ICMP)
		return dp_v4_csum_bad(b->m[i], p) ? drop_as(b, i, DP_DROP_IPV4_BAD_CHECKSUM) :
						 K_EXCEPTION;
	return sort_transport(b, i, dp_media_local_addr4());
}

static inline enum kind sort_ipv6(struct burst *b, unsigned int i)
{
	const struct dp_pkt *p = &b->p[i];

	if (p->proto == DP_PROTO_ICMPV6 && p->frag == DP_FRAG_NONE)
		return icmp6_for_us(p->dst) ? K_EXCEPTION : drop_as(b, i, DP_DROP_NOT_FOR_US);
	if (!is_our_v6(p->dst))
		return sort_other(b, i, true);
	if (p->frag != DP_FRAG_NONE)
		return look_up(b, i, K_FRAGMENT);
	return sort_transport(b, i, dp_media_local_addr6(&dp.cfg));
}

/*
 * The shape nearly all SIP has, a flood's included: untagged IPv4 without options, UDP, not a
 * fragment (dp_plain_udp4_shape, checked by the caller for this and sort_plain_media4), to our
 * address and sip_port, from a source not denied. It goes to the allowlist from its bytes
 * alone, and its dp_pkt is filled only when the packet is more than dropped (see fill_plain):
 * a dropped flood writes none. Anything else takes the full path below, which names every
 * defect.
 */
static inline bool sort_plain_sip4(struct burst *b, unsigned int i, const uint8_t *f)
{
	if (dp_ld32(f + 30) != dp_ld32(dp.cfg.address) ||
	    dp_rd16(f + 36) != dp.cfg.sip_port || dp_deny_hit4(f + 26))
		return false;
	b->ip4[b->n4] = rte_be_to_cpu_32(dp_ld32(f + 26));
	b->at4[b->n4++] = (uint8_t)i;
	return true;
}

/*
 * What sort_plain_media4 reads of the configuration and the tables for each frame, read once a
 * burst into values the compiler keeps in registers (read through the globals, each frame's
 * byte stores to the burst could alias them and would make it load them again).
 */
struct media4_sort {
	const uint32_t *index;		/* dp_media_index */
	uint32_t n_ports;		/* dp_media_n_ports */
	uint16_t base;			/* dp_media_port_base, also media_port_min */
	uint16_t span;			/* media_port_max - media_port_min */
	uint16_t sip_port;
	uint32_t address;		/* [sbc] address as loaded (dp_ld32) */
	const struct dp_deny_bank *deny;	/* NULL: no IPv4 source is denied */
};

/* deny: the denylist bank in force, read once a burst (sort_burst). */
static inline void media4_sort_init(struct media4_sort *ms, const struct dp_deny_bank *deny)
{
	ms->index = dp_media_index;
	ms->n_ports = dp_media_n_ports;
	ms->base = dp.cfg.media_port_min;
	ms->span = (uint16_t)(dp.cfg.media_port_max - dp.cfg.media_port_min);
	ms->sip_port = dp.cfg.sip_port;
	ms->address = dp_ld32(dp.cfg.address);
	ms->deny = deny->n4 != 0 ? deny : NULL;
}

/*
 * RTP/RTCP of that shape to our address or a media address and a media port, from a source not
 * denied: to the media table from its bytes, with no second parse (what sort_ipv4 and
 * sort_other would decide for it); its port's word, found from ms's copies of the index's
 * globals, or NULL: anything else takes the full path. sort_plain_media4 asks for the word as
 * media_look_up does.
 */
static inline const uint32_t *plain_media4_word(const uint8_t *f, const struct media4_sort *ms)
{
	uint16_t dport = dp_rd16(f + 36);
	uint32_t dst = dp_ld32(f + 30), src;
	int local;

	if ((uint16_t)(dport - ms->base) > ms->span)
		return NULL;
	if (dst == ms->address)
		local = dport != ms->sip_port ? (int)dp_media_local_addr4() : -1;
	else
		local = media_v4(f + 30);
	memcpy(&src, f + 26, 4);
	if (local < 0 || (ms->deny != NULL && dp_deny_find4(ms->deny, src)))
		return NULL;
	return dp_media_word_in(ms->index, ms->n_ports, ms->base, (unsigned int)local, dport);
}

static inline bool sort_plain_media4(struct burst *b, unsigned int i, const uint8_t *f,
				     const struct media4_sort *ms)
{
	const uint32_t *w = plain_media4_word(f, ms);

	if (w == NULL)
		return false;
	media_ask(b, i, w);
	b->nm4++;
	return true;
}

static inline enum kind sort_frame(struct burst *b, unsigned int i, const struct media4_sort *ms)
{
	const struct rte_mbuf *m = b->m[i];
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	enum dp_drop why;

	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		return drop_as(b, i, DP_DROP_IPV4_BAD_CHECKSUM);
	if (!l2_for_us(f, len, b->mac))
		return drop_as(b, i, DP_DROP_L2_OTHER_HOST);
	if (dp_plain_udp4_shape(f, len)) {
		if (sort_plain_sip4(b, i, f))
			return K_SIP4;
		if (sort_plain_media4(b, i, f, ms))
			return K_MEDIA4;
	}
	why = dp_parse(f, len, false, &b->p[i]);
	if (why != DP_DROP_NONE)
		return drop_as(b, i, why);
	if (dp_deny_hit(&b->p[i]))
		return drop_as(b, i, DP_DROP_DENIED);
	switch (b->p[i].l3) {
	case DP_L3_ARP:
		return is_our_v4(b->p[i].dst) || is_media_v4(b->p[i].dst) ? K_EXCEPTION :
		       drop_as(b, i, DP_DROP_ARP_NOT_OURS);
	case DP_L3_IPV4:
		return sort_ipv4(b, i);
	case DP_L3_IPV6:
		return sort_ipv6(b, i);
	default:
		return drop_as(b, i, DP_DROP_ETHERTYPE);
	}
}

/*
 * A run's header test, 16 bytes of the frame at a time in two 64-bit lanes (GCC's vector
 * extension: an SSE register here, a NEON one on Arm), each lane what dp_ld64le reads of its 8
 * bytes as the CPU holds it (rte_cpu_to_le_64 of that: the lanes hold the bytes as loaded).
 * Loads of the frame's bytes 0-15, 20-35 and, for SIP, 26-41 (all within the 42 bytes a run's
 * frame has), each XORed with what it must hold and ANDed with the bits that count, ORed into
 * one test: our MAC (bytes 0-5); the plain shape's bytes 12-14 and 20-23 (DP_PLAIN4_W12_* and
 * _W20_*); for SIP also our address (30-33) and sip_port (36-37) (a media run's address and
 * port are its table's: sort_plain_media4).
 */
typedef uint64_t run_v2 __attribute__((vector_size(16)));

struct run_shape {
	run_v2 v0, m0, v20, m20;	/* bytes 0-15 and 20-35: what they hold, the bits that count */
};

static inline run_v2 run_ld(const uint8_t *f)
{
	run_v2 v;

	memcpy(&v, f, sizeof(v));
	return v;
}

static inline run_v2 run_lanes(uint64_t lo, uint64_t hi)
{
	return (run_v2){ rte_cpu_to_le_64(lo), rte_cpu_to_le_64(hi) };
}

static inline bool run_zero(run_v2 d)
{
#ifdef __SSE4_1__
	return _mm_testz_si128((__m128i)d, (__m128i)d);	/* one ptest */
#else
	return (d[0] | d[1]) == 0;
#endif
}

/* x's low 16 bits as dp_ld16 reads them from the wire (big-endian): a plain byte swap here,
 * where rte_cpu_to_be_16 is an asm statement the compiler may not schedule or combine. */
static inline uint16_t run_be16(uint32_t x)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	return __builtin_bswap16((uint16_t)x);
#else
	return (uint16_t)x;
#endif
}

/* What a run (sort_run) reads of the configuration, in registers over a burst (read through
 * the globals, each frame's stores to the burst could alias them and would make it load them
 * again); media4_sort beside it for media frames. */
struct sip4_sort {
	struct run_shape sip;		/* a run of SIP: to our address and sip_port */
	struct run_shape media;		/* a run of media: to whatever address and port */
	run_v2 v26, m26;		/* bytes 26-41 of a run of SIP: its sip_port */
	uintptr_t pool;			/* dp.pool: the wire's receive queues' */
	const struct dp_acl_bank *acl;	/* the burst's allowlist: a SIP run's sources' /24 bits */
};

/* A run of media's shape: to our MAC (mac: wire_mac_word()), the plain shape. */
static inline void media_shape_init(struct run_shape *sh, uint64_t mac)
{
	sh->v0 = run_lanes(mac, (uint64_t)DP_PLAIN4_W12_VALUE << 32);
	sh->m0 = run_lanes(0xffffffffffffull, (uint64_t)DP_PLAIN4_W12_MASK << 32);
	sh->v20 = run_lanes(DP_PLAIN4_W20_VALUE, 0);
	sh->m20 = run_lanes(DP_PLAIN4_W20_MASK, 0);
}

static inline void sip4_sort_init(struct sip4_sort *ss, uint64_t mac,
				  const struct dp_acl_bank *acl)
{
	uint8_t w[8] = { 0 };
	uint64_t to;	/* bytes 30-37 of a frame to [sbc] address and sip_port */

	memcpy(w, dp.cfg.address, 4);
	w[6] = (uint8_t)(dp.cfg.sip_port >> 8);
	w[7] = (uint8_t)dp.cfg.sip_port;
	to = dp_ld64le(w);
	media_shape_init(&ss->media, mac);
	ss->sip = ss->media;
	ss->sip.v20 = run_lanes(DP_PLAIN4_W20_VALUE, (to & 0xffffffffull) << 16);
	ss->sip.m20 = run_lanes(DP_PLAIN4_W20_MASK, 0xffffffffull << 16);
	ss->v26 = run_lanes(0, (to >> 48) << 16);
	ss->m26 = run_lanes(0, 0xffffull << 16);
	ss->pool = (uintptr_t)dp.pool;
	ss->acl = acl;
}

/* refcnt and nb_segs both 1, read as one 32-bit word (the same in either byte order); read
 * only of mbufs the worker holds */
_Static_assert(offsetof(struct rte_mbuf, nb_segs) == offsetof(struct rte_mbuf, refcnt) + 2,
	       "rte_mbuf: nb_segs right after refcnt");
#define MBUF_REF1_SEG1 0x00010001u

static inline uint32_t mbuf_ref_segs(const struct rte_mbuf *m)
{
	uint32_t w;

	memcpy(&w, &m->refcnt, sizeof(w));
	return w;
}

/* Zero when m is what a received frame is, and so may go back to pool with a plain put: one
 * direct segment (a packet's first: one segment means no next), referenced once, from pool.
 * Its words ORed into one test. */
static inline uint64_t mbuf_not_plain(const struct rte_mbuf *m, uintptr_t pool)
{
	return (m->ol_flags & (RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL)) |
	       (mbuf_ref_segs(m) ^ MBUF_REF1_SEG1) | ((uintptr_t)m->pool ^ pool);
}

/* What a run takes: sort_plain_sip4's frames (to our address and sip_port; the denylist holds
 * no IPv4 source), or sort_plain_media4's. */
enum run {
	RUN_SIP4,
	RUN_MEDIA4,
};

/* Bytes 0-15 and 20-35 of frame f against shape sh: zero where they are what it asks. */
static inline run_v2 run_diff(const uint8_t *f, const struct run_shape *sh)
{
	return ((run_ld(f) ^ sh->v0) & sh->m0) | ((run_ld(f + 20) ^ sh->v20) & sh->m20);
}

/* d (run_diff's, and what else the caller tests) all zero, and the frame's IPv4 total length
 * and UDP length exactly its len's. */
static inline bool run_fits(const uint8_t *f, uint32_t len, run_v2 d)
{
	return run_zero(d) && dp_ld16(f + 16) == run_be16(len - 14) &&
	       dp_ld16(f + 38) == run_be16(len - 34);
}

/*
 * A frame of run r's shape (run_shape) whose IPv4 checksum the NIC did not find bad, in
 * one direct mbuf segment referenced once from the wire's pool (what lets a flood's burst go
 * back to the pool in one put, decide_burst), its IPv4 total length and UDP length exactly the
 * frame's (len - 14, len - 34: a padded frame is not of a run). A frame that fails any is
 * sorted again by sort_frame, which names the first defect; broadcast and multicast take it
 * too. *b26, for SIP: bytes 26-41 as loaded (the source address first).
 */
static inline bool run_header(const struct rte_mbuf *m, const uint8_t *f, uint32_t len,
			      const struct sip4_sort *ss, enum run r, run_v2 *b26)
{
	run_v2 d;

	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
	    len < 42 || mbuf_not_plain(m, ss->pool) != 0)
		return false;
	d = run_diff(f, r == RUN_SIP4 ? &ss->sip : &ss->media);
	if (r == RUN_SIP4) {	/* (a media run's port is its table's, sort_plain_media4) */
		*b26 = run_ld(f + 26);
		d |= (*b26 ^ ss->v26) & ss->m26;
	}
	return run_fits(f, len, d);
}

/* Frame i is of the run's kind: its source queued for the allowlist (and *any counts it when
 * its /24 has its bit), or its port's word asked for. */
static inline bool run_frame(struct burst *b, unsigned int i, enum run r,
			     const struct sip4_sort *ss, const struct media4_sort *ms,
			     unsigned int *any)
{
	const struct rte_mbuf *m = b->m[i];
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), ip;
	run_v2 b26;

	if (r == RUN_MEDIA4)
		return run_header(m, f, len, ss, r, &b26) && sort_plain_media4(b, i, f, ms);
	if (!run_header(m, f, len, ss, r, &b26))
		return false;
	ip = __builtin_bswap32((uint32_t)rte_le_to_cpu_64(b26[0]));	/* bytes 26-29, host order */
	b->ip4[i] = ip;
	*any += dp_acl_any4(ss->acl, ip);
	return true;
}

/*
 * The frames from the burst's start that are of one kind, in a loop of their own (a flood, or
 * the relay's steady state, is whole bursts of them). Returns how many; the first that is not
 * of them, and the rest, take sort_frame. Always inlined: each run's loop is its own. The frame
 * PREFETCH_AHEAD further is fetched where a received frame starts (the buffer's headroom on,
 * which is where a PMD puts it: a hint, one load less than its data_off's sum).
 */
static inline __attribute__((always_inline)) unsigned int
sort_run(struct burst *b, unsigned int n, enum run r, const struct sip4_sort *ss,
	 const struct media4_sort *ms, unsigned int *any)
{
	unsigned int i = 0;

	for (; i + PREFETCH_AHEAD < n; i++) {
		rte_prefetch0((const char *)b->m[i + PREFETCH_AHEAD]->buf_addr +
			      RTE_PKTMBUF_HEADROOM);
		if (!run_frame(b, i, r, ss, ms, any))
			return i;
	}
	for (; i < n; i++)
		if (!run_frame(b, i, r, ss, ms, any))
			break;
	return i;
}

/*
 * Pass 1. A burst that starts with a run of sort_plain_sip4's frames, or of sort_plain_media4's,
 * sorts them in sort_run (a run of SIP has its at4[] the identity and its kind set at once);
 * whatever is left, frame by frame in sort_frame. The denylist is asked for SIP once a burst:
 * while it holds an IPv4 source, no SIP run (sort_frame asks for each frame).
 */
static void sort_burst(struct burst *b, unsigned int n, const struct dp_acl_bank *acl)
{
	static const uint8_t identity[DP_BURST] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
		16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
	};
	const struct dp_deny_bank *deny = __atomic_load_n(&dp_deny_active, __ATOMIC_ACQUIRE);
	struct media4_sort ms;
	struct sip4_sort ss;
	unsigned int i = 0, any = 0;

	b->n6 = 0;
	b->nm = 0;
	b->nm4 = 0;
	b->mac = wire_mac_word();
	for (i = 0; i < n && i < PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(b->m[i], void *));
	sip4_sort_init(&ss, b->mac, acl);
	media4_sort_init(&ms, deny);
	i = deny->n4 == 0 ? sort_run(b, n, RUN_SIP4, &ss, &ms, &any) : 0;
	/* Whole arrays, of a size the compiler knows: at4[] and kind[] past i are written again
	 * before they are read (sort_frame), and a copy of i bytes was a rep movsb and a rep stosb,
	 * each with a start-up of tens of cycles, in every burst. */
	memcpy(b->at4, identity, sizeof(b->at4));
	memset(b->kind, i > 0 ? K_SIP4 : K_MEDIA4, sizeof(b->kind));
	b->plain = i;
	b->plain_any4 = any;
	b->n4 = i;
	if (i == 0)
		i = sort_run(b, n, RUN_MEDIA4, &ss, &ms, &any);
	for (; i < n; i++) {	/* (the run asked for frames up to i + 3) */
		if (i + PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(b->m[i + PREFETCH_AHEAD], void *));
		b->kind[i] = (uint8_t)sort_frame(b, i, &ms);
	}
}

/* ---- a burst of plain RTP: passes 1 to 3 at once */

/* Frames ahead of the one relayed whose port words media_burst asks for (the index's lines:
 * read DP_MEDIA4_AHEAD frames later, when their directions are asked for), and whose headers
 * it fetches before that. */
#define MEDIA_WORD_AHEAD (2 * DP_MEDIA4_AHEAD)
#define MEDIA_HDR_AHEAD (MEDIA_WORD_AHEAD + PREFETCH_AHEAD)

/* run_header's test of a media run but for the mbuf's shape (a relayed frame is sent, never
 * put back in the pool by media_burst, and dp_media4_relay takes only one segment): our MAC,
 * the plain shape, the lengths exactly the first segment's; and the NIC did not find its IPv4
 * checksum bad. */
static inline bool media_header(const struct rte_mbuf *m, const uint8_t *f, uint32_t len,
				const struct run_shape *sh)
{
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD || len < 42)
		return false;
	return run_fits(f, len, run_diff(f, sh));
}

/* Where frame i's port word is when it is of a media run (media_header, plain_media4_word),
 * asked for; NULL when it is not. */
static inline const uint32_t *media_word_at(const struct burst *b, unsigned int i,
					    const struct run_shape *sh,
					    const struct media4_sort *ms)
{
	const struct rte_mbuf *m = b->m[i];
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint32_t *wp;

	if (!media_header(m, f, rte_pktmbuf_data_len(m), sh))
		return NULL;
	wp = plain_media4_word(f, ms);
	if (wp != NULL)
		rte_prefetch0(wp);
	return wp;
}

/* The word at wp (dp_media.h: 0, no session; and 0 when wp is NULL), its direction asked
 * for. */
static inline uint32_t media_word(const uint32_t *wp, struct dp_media_fwd *fwd)
{
	uint32_t w = wp != NULL ? __atomic_load_n(wp, __ATOMIC_ACQUIRE) : 0;

	if (w != 0)
		(void)dp_media_prefetch_in(fwd, (const void *)(uintptr_t)(w - 1));
	return w;
}

/*
 * The relay's steady state, whole bursts of plain RTP (what sort_run's media run, then
 * dp_path_media4_run, take), in one pass with no arrays between passes but the words': frame i
 * is relayed (dp_media4_relay) while frame i + DP_MEDIA4_AHEAD's port word is read (its
 * direction asked for), frame i + MEDIA_WORD_AHEAD is sorted and its word asked for, and frame
 * i + MEDIA_HDR_AHEAD's header is fetched. Returns how many frames from the first were relayed,
 * in order (added to o); the first one not taken, and every one after it, go the general way
 * (sort_burst and on), which names what it is. Not on the test clock (dp_media4_relay takes the
 * burst's time).
 */
static unsigned int media_burst(struct burst *b, unsigned int n, struct dp_burst_clock *clk,
				struct dp_burst_out *o)
{
	struct dp_media_fwd *fwd = dp_media_fwd;
	const uint32_t *wp[DP_BURST];
	struct dp_media4_burst t;
	struct media4_sort ms;
	struct run_shape sh;
	uint32_t w[DP_BURST];
	unsigned int i;
	uint16_t dport = dp_rd16(rte_pktmbuf_mtod(b->m[0], const uint8_t *) + 36);

	/* a burst of SIP (a flood's) leaves at once: its first frame's UDP port, if it is one */
	if (rte_pktmbuf_data_len(b->m[0]) < 42 || dport == dp.cfg.sip_port ||
	    !dp_media_port(&dp.cfg, dport))
		return 0;
	media_shape_init(&sh, wire_mac_word());
	media4_sort_init(&ms, __atomic_load_n(&dp_deny_active, __ATOMIC_ACQUIRE));
	wp[0] = media_word_at(b, 0, &sh, &ms);
	if (wp[0] == NULL)
		return 0;
	for (i = 1; i < RTE_MIN(n, (unsigned int)MEDIA_HDR_AHEAD); i++)
		rte_prefetch0(rte_pktmbuf_mtod(b->m[i], void *));
	for (i = 1; i < RTE_MIN(n, (unsigned int)MEDIA_WORD_AHEAD); i++)
		wp[i] = media_word_at(b, i, &sh, &ms);
	for (i = 0; i < RTE_MIN(n, (unsigned int)DP_MEDIA4_AHEAD); i++)
		w[i] = media_word(wp[i], fwd);
	dp_media4_burst_init(&t, clk);
	for (i = 0; i < n; i++) {
		if (i + MEDIA_HDR_AHEAD < n)
			rte_prefetch0((const char *)b->m[i + MEDIA_HDR_AHEAD]->buf_addr +
				      RTE_PKTMBUF_HEADROOM);
		if (i + MEDIA_WORD_AHEAD < n)
			wp[i + MEDIA_WORD_AHEAD] = media_word_at(b, i + MEDIA_WORD_AHEAD, &sh, &ms);
		if (i + DP_MEDIA4_AHEAD < n)
			w[i + DP_MEDIA4_AHEAD] = media_word(wp[i + DP_MEDIA4_AHEAD], fwd);
		if (w[i] == 0 ||
		    !dp_media4_relay(b->m[i], (const void *)(uintptr_t)(w[i] - 1), &t, fwd, true))
			break;
		dp_out_wire(o, b->m[i], DP_WIRE_MEDIA);
	}
	return i;
}

/* ---- pass 2: the allowlist, one bulk lookup per family */

/* A listed source's rule hit counter and trunk (dp_path_sip's slot_trunk), fetched while the
 * rest of the burst is looked up and decided: with thousands of rules, each is a cache miss. */
static inline void prefetch_slots(const struct dp_worker *w, const struct burst *b,
				  const uint8_t *at, unsigned int n)
{
	for (unsigned int k = 0; k < n; k++) {
		uint32_t slot = b->slot[at[k]];

		if (slot != DP_TRUNK_NONE) {
			rte_prefetch0(&w->acl_hits[slot]);
			rte_prefetch0(&dp_acl_slot_trunk[slot]);
		}
	}
}

static void look_up_burst(const struct dp_worker *w, const struct dp_acl_bank *acl,
			  struct burst *b)
{
	bool l4 = false, l6 = false;

	/* (sources outside every listed /24, a flood's as a rule: no lookup, dp_acl.h; a burst's
	 * run has counted its sources' bits, and when no other frame has an IPv4 source they are
	 * not counted again) */
	if (b->n4 > 0 &&
	    (l4 = b->n4 == b->plain ?
		  dp_acl_lookup4_counted(acl, b->ip4, b->hop, b->n4, b->plain_any4) :
		  dp_acl_lookup4_bulk(acl, b->ip4, b->hop, b->n4))) {
		dp_acl_hops_to_slots(b->hop, b->at4, b->slot, b->n4);
		prefetch_slots(w, b, b->at4, b->n4);
	}
	if (b->n6 > 0 && (l6 = dp_acl_lookup6_bulk(acl, b->ip6, b->hop, b->n6))) {
		dp_acl_hops_to_slots(b->hop, b->at6, b->slot, b->n6);
		prefetch_slots(w, b, b->at6, b->n6);
	}
	/* No frame's slot is read unless some source is listed (slot_of): then the other
	 * family's frames are placed as unlisted. */
	b->listed = l4 || l6;
	if (l4 && !l6)
		dp_acl_hops_to_slots(NULL, b->at6, b->slot, b->n6);
	else if (l6 && !l4)
		dp_acl_hops_to_slots(NULL, b->at4, b->slot, b->n4);
}

/* The allowlist rule slot of frame i (K_SIP, K_SIP4, K_FRAGMENT), or DP_TRUNK_NONE. */
static inline uint32_t slot_of(const struct burst *b, unsigned int i)
{
	return b->listed ? b->slot[i] : DP_TRUNK_NONE;
}

/*
 * ... and the media frames' sessions: the first MEDIA_AHEAD hits' directions
 * (dp_media_prefetch) fetched at once; decide_burst asks for each further one MEDIA_AHEAD
 * media frames before its use (media_stage). Prefetches issued together walk the page tables
 * in parallel (with 4 KiB pages nearly each is a TLB miss), but the whole burst's at once
 * (two lines a hit) outnumber the core's line fill buffers and the prefetch instruction itself
 * waits (perf: three fifths of the loop's own time on it).
 */
#define MEDIA_AHEAD DP_MEDIA4_AHEAD

static void media_look_up_burst(struct burst *b)
{
	unsigned int k;

	b->mnext = 0;
	b->msrtp = __atomic_load_n(&dp_media_srtp_sessions, __ATOMIC_RELAXED) != 0;
	for (k = 0; k < b->nm; k++) {
		uint32_t w = __atomic_load_n(b->mword[k], __ATOMIC_ACQUIRE);
		unsigned int i = b->atm[k];

		b->media[i] = (void *)(uintptr_t)(w - 1);
		b->media_found[i] = w != 0;
		if (k < MEDIA_AHEAD && w != 0)
			dp_media_prefetch(b->media[i]);
	}
}

/* The k-th media frame of the burst names a session (k < nm), and what its port word names. */
static inline bool mhit(const struct burst *b, unsigned int k)
{
	return b->media_found[b->atm[k]];
}

static inline const void *mdata(const struct burst *b, unsigned int k)
{
	return b->media[b->atm[k]];
}

/*
 * SRTP frames' contexts, in stages ahead of their use (each stage reads only what the one
 * before fetched): 4 media frames ahead the legs' context pointers (the direction block came
 * MEDIA_AHEAD ahead), 2 ahead the contexts' first lines, 1 ahead what a packet of the context
 * reads (dp_srtp_prefetch) and the frame's payload.
 */
static inline const struct dp_media_fwd *srtp_fwd(const struct burst *b, unsigned int k)
{
	const struct dp_media_fwd *f;

	if (k >= b->nm || !mhit(b, k))
		return NULL;
	f = &dp_media_fwd[DP_MEDIA_FWD(mdata(b, k))];
	return (f->flags & DP_FWD_SRTP) ? f : NULL;
}

static inline void srtp_stage(const struct burst *b, unsigned int j)
{
	const struct dp_media_session *s;
	const struct dp_media_leg *in, *out;
	const struct dp_srtp_ctx *ci, *co;
	uint32_t idx;

	if (srtp_fwd(b, j + 4) != NULL) {
		idx = DP_MEDIA_FWD(mdata(b, j + 4));
		rte_prefetch0(&dp_media_slots[idx >> 1].leg[idx & 1].srtp_in);
		rte_prefetch0(&dp_media_slots[idx >> 1].leg[(idx & 1) ^ 1].srtp_out);
	}
	if (srtp_fwd(b, j + 2) != NULL) {
		idx = DP_MEDIA_FWD(mdata(b, j + 2));
		s = &dp_media_slots[idx >> 1];
		ci = s->leg[idx & 1].srtp_in;
		co = s->leg[(idx & 1) ^ 1].srtp_out;
		if (ci != NULL)
			rte_prefetch0(ci);
		if (co != NULL)
			rte_prefetch0(co);
	}
	if (srtp_fwd(b, j + 1) != NULL) {
		bool rtcp = DP_MEDIA_RTCP(mdata(b, j + 1));

		idx = DP_MEDIA_FWD(mdata(b, j + 1));
		in = &dp_media_slots[idx >> 1].leg[idx & 1];
		out = &dp_media_slots[idx >> 1].leg[(idx & 1) ^ 1];
		if (in->srtp_in != NULL)
			dp_srtp_prefetch(in->srtp_in, rtcp);
		if (out->srtp_out != NULL)
			dp_srtp_prefetch(out->srtp_out, rtcp);
		rte_prefetch0(rte_pktmbuf_mtod_offset(b->m[b->atm[j + 1]], char *, 64));
		rte_prefetch0(rte_pktmbuf_mtod_offset(b->m[b->atm[j + 1]], char *, 128));
		rte_prefetch0(rte_pktmbuf_mtod_offset(b->m[b->atm[j + 1]], char *, 192));
	}
}

/* A media frame is decided: the hit MEDIA_AHEAD further is asked for. */
static inline void media_stage(struct burst *b)
{
	unsigned int j = b->mnext++, k = j + MEDIA_AHEAD;

	if (k < b->nm && mhit(b, k))
		dp_media_prefetch(mdata(b, k));
	if (b->msrtp)
		srtp_stage(b, j);
}

/* ---- acting on the verdicts, sending, counting */

/* n received mbufs back to their pool: one inline mempool put for the usual burst (each mbuf
 * one direct segment, referenced once, all from one pool: what rte_pktmbuf_free_bulk would
 * find after a check of each, at the cost of a call and a pass that sorts them by pool); any
 * other burst through rte_pktmbuf_free_bulk. */
static inline void free_burst(struct rte_mbuf **m, unsigned int n)
{
	struct rte_mempool *mp = m[0]->pool;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (mbuf_not_plain(m[i], (uintptr_t)mp) != 0)
			break;
	if (i == n)
		rte_mempool_put_bulk(mp, (void **)m, n);
	else
		rte_pktmbuf_free_bulk(m, n);
}

static inline void drop(struct drops *d, struct rte_mbuf *m, enum dp_drop why)
{
	d->m[d->n] = m;
	d->why[d->n++] = (uint8_t)why;
}

static inline void to_exception(struct dp_burst_out *o, struct rte_mbuf *m, uint32_t trunk)
{
	o->exc_trunk[o->n_exc] = trunk == DP_TRUNK_NONE ? UINT16_MAX : (uint16_t)trunk;
	o->exc[o->n_exc++] = m;
}

static void act(struct dp_worker *w, struct dp_burst_out *o, struct drops *d,
		struct rte_mbuf *m, enum dp_path_verdict v, uint32_t trunk, enum dp_drop why)
{
	switch (v) {
	case DP_PATH_HELD:
		break;
	case DP_PATH_EXCEPTION:
		to_exception(o, m, trunk);
		break;
	case DP_PATH_REPLY:
		if (trunk != DP_TRUNK_NONE)	/* a 503 */
			dp_count(&w->trunk_stats[trunk].rejected, 1);
		dp_out_wire(o, m, DP_WIRE_REJECT);
		break;
	case DP_PATH_RELAYED:
		dp_out_wire(o, m, DP_WIRE_MEDIA);
		break;
	case DP_PATH_DROP:
		if (trunk != DP_TRUNK_NONE)
			dp_count(&w->trunk_stats[trunk].rejected, 1);
		drop(d, m, why);
		break;
	}
}

/*
 * A burst of unlisted plain IPv4/UDP SIP in reject mode, no REGISTER path, its 403s spent
 * (dp_path_sip_reject_spent): each frame dropped for what dp_path_sip would say of it, without
 * its dp_pkt or the path's dispatch (the plain shape: a 20-byte IPv4 header, the UDP payload at
 * 42, the lengths exact). Under a flood in reject mode, nearly every burst after the first few.
 */
static void reject_spent_burst(struct burst *b, unsigned int n, struct drops *d)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct rte_mbuf *m = b->m[i];
		const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
		enum dp_drop why;

		if (dp_v4_plain_header_bad(m, f + 14))
			why = DP_DROP_IPV4_BAD_CHECKSUM;
		else if (dp_sip_answerable(f + 42, rte_pktmbuf_data_len(m) - 42u))
			why = DP_DROP_REJECT_RATELIMITED;	/* a request: no 403 left */
		else
			why = DP_DROP_SIP_UNLISTED;		/* a response or an ACK: none owed */
		drop(d, b->m[i], why);
	}
}

/* Unlisted SIP is only dropped: drop mode and no REGISTER path (once per burst). */
static inline bool unlisted_only_dropped(const struct dp_worker *w)
{
	return w->regrate == NULL && dp.cfg.unlisted != SBC_UNLISTED_REJECT;
}

/* The dp_pkt of a K_SIP4 or K_MEDIA4 frame, filled when the packet needs more than a drop or
 * dp_path_media4. */
static inline void fill_plain(struct burst *b, unsigned int i, enum kind k)
{
	dp_plain_udp4_fill(rte_pktmbuf_mtod(b->m[i], const uint8_t *), &b->p[i]);
	b->kind[i] = (uint8_t)k;
}

/* A K_MEDIA4 frame that dp_path_media4 relayed (true), or on to the general path. */
static inline bool media4(struct burst *b, unsigned int i, struct dp_media4_burst *t,
			  struct dp_burst_clock *clk, struct dp_burst_out *o)
{
	if (!b->media_found[i] || dp.test_clock)
		return false;
	if (t->ns == 0)
		dp_media4_burst_init(t, clk);
	if (!dp_path_media4(b->m[i], b->media[i], t))
		return false;
	dp_out_wire(o, b->m[i], DP_WIRE_MEDIA);
	return true;
}

/* The bytes of a listed SIP frame that the scanner will read (up to its window's 1 KB), fetched
 * while the frame before it is scanned. */
static inline void prefetch_listed_sip(const struct burst *b, unsigned int i)
{
	const uint8_t *f;
	uint32_t len;

	if ((b->kind[i] != K_SIP4 && b->kind[i] != K_SIP) || slot_of(b, i) == DP_TRUNK_NONE)
		return;
	f = rte_pktmbuf_mtod(b->m[i], const uint8_t *);
	len = RTE_MIN(rte_pktmbuf_data_len(b->m[i]), 1024u);
	for (uint32_t o = 64; o < len; o += 64)	/* the first line: read by the sort pass */
		rte_prefetch0(f + o);
}

/*
 * Pass 3 of a burst that is all K_MEDIA4 (RTP of the common shape to a media port: the relay's
 * steady state), plain RTP only (srtp_stage has nothing to do) and on the TSC clock: runs of
 * frames through dp_path_media4_run, one call a run with no dispatch per frame; a frame it
 * does not take goes the general way (dp_path_media) in its place, so that the order of the
 * frames on the wire is kept.
 */
static void decide_media4_burst(struct dp_worker *w, struct burst *b, unsigned int n,
				struct dp_burst_clock *clk, struct dp_burst_out *o,
				struct drops *d)
{
	struct dp_media4_burst t4;
	unsigned int i = 0;

	dp_media4_burst_init(&t4, clk);
	for (;;) {
		enum dp_drop why = DP_DROP_NONE;
		enum dp_path_verdict v;

		i = dp_path_media4_run(b->m, b->media, b->media_found, i, n, &t4, o);
		if (i == n)
			return;
		if (i + MEDIA_AHEAD < n && b->media_found[i + MEDIA_AHEAD])
			dp_media_prefetch(b->media[i + MEDIA_AHEAD]);
		fill_plain(b, i, K_MEDIA);
		v = dp_path_media(w, b->m[i], &b->p[i], b->media[i], b->media_found[i], clk, o,
				  &why);
		act(w, o, d, b->m[i], v, DP_TRUNK_NONE, why);
		i++;
	}
}

/* Pass 3 over the burst: each frame to its path's handler; what pass 1 settled goes straight
 * to its place. An unlisted K_SIP4 frame that would only be dropped is dropped with no
 * dp_pkt. */
static void decide_burst(struct dp_worker *w, struct burst *b, unsigned int n,
			 struct dp_burst_clock *clk, struct dp_burst_out *o, struct drops *d)
{
	const bool drop_unlisted = unlisted_only_dropped(w);	/* the flood's verdict, settled here */
	struct dp_media4_burst t4 = { .ns = 0 };

	if (b->nm4 == n && !b->msrtp && !dp.test_clock) {
		decide_media4_burst(w, b, n, clk, o, d);
		return;
	}
	if (b->plain == n && !b->listed && drop_unlisted) {	/* a flood's burst, whole */
		dp_count(&w->stats.drops[DP_DROP_SIP_UNLISTED], n);
		/* the run found each a direct segment referenced once from dp.pool */
		rte_mempool_put_bulk(dp.pool, (void **)b->m, n);
		return;
	}
	if (b->plain == n && !b->listed && w->regrate == NULL &&
	    dp.cfg.unlisted == SBC_UNLISTED_REJECT && dp_path_sip_reject_spent(w, dp_burst_tsc(clk))) {
		reject_spent_burst(b, n, d);	/* the same flood in reject mode */
		return;
	}
	if (b->listed)
		prefetch_listed_sip(b, 0);
	for (unsigned int i = 0; i < n; i++) {
		enum dp_drop why = DP_DROP_NONE;
		uint32_t trunk = DP_TRUNK_NONE;
		enum dp_path_verdict v;
		bool staged = false;	/* media_stage done for this frame */

		if (b->listed && i + 1 < n)	/* (a flood of unlisted sources: none) */
			prefetch_listed_sip(b, i + 1);
		if (b->kind[i] == K_SIP4) {
			if (drop_unlisted && slot_of(b, i) == DP_TRUNK_NONE) {
				drop(d, b->m[i], DP_DROP_SIP_UNLISTED);
				continue;
			}
			fill_plain(b, i, K_SIP);
		} else if (b->kind[i] == K_MEDIA4) {
			media_stage(b);
			staged = true;
			if (media4(b, i, &t4, clk, o))
				continue;
			fill_plain(b, i, K_MEDIA);
		}
		switch (b->kind[i]) {
		case K_DROP:
			drop(d, b->m[i], (enum dp_drop)b->why[i]);
			continue;
		case K_EXCEPTION:
			dp_path_host(b->m[i], &b->p[i]);
			to_exception(o, b->m[i], DP_TRUNK_NONE);
			continue;
		case K_SIP:
			if (drop_unlisted && slot_of(b, i) == DP_TRUNK_NONE) {
				drop(d, b->m[i], DP_DROP_SIP_UNLISTED);
				continue;
			}
			v = dp_path_sip(w, b->m[i], &b->p[i], slot_of(b, i), clk, &why, &trunk);
			break;
		case K_MEDIA:
			if (!staged)
				media_stage(b);
			v = dp_path_media(w, b->m[i], &b->p[i], b->media[i], b->media_found[i], clk,
					  o, &why);
			break;
		default:
			v = dp_path_fragment(w, &b->m[i], &b->p[i], slot_of(b, i), clk, &why, &trunk);
			break;
		}
		act(w, o, d, b->m[i], v, trunk, why);
	}
}

/* What went out of the wire, counted by what it is: o's counts of each kind, less the kinds
 * of the frames from sent on (not taken by the port); the counts start again from 0. */
static void count_wire(struct dp_worker *w, struct dp_burst_out *o, unsigned int sent)
{
	uint16_t *k = o->n_kind;

	for (unsigned int i = sent; i < o->n_wire; i++)
		k[o->wire_kind[i]]--;
	if (k[DP_WIRE_KERNEL])
		dp_count(&w->stats.to_wire, k[DP_WIRE_KERNEL]);
	if (k[DP_WIRE_REJECT])
		dp_count(&w->stats.reject_sent, k[DP_WIRE_REJECT]);
	if (k[DP_WIRE_MEDIA])
		dp_count(&w->stats.media_relayed, k[DP_WIRE_MEDIA]);
	if (k[DP_WIRE_ASK])
		dp_count(&w->stats.neigh_asked, k[DP_WIRE_ASK]);
	memset(k, 0, sizeof(o->n_kind));
}

static void flush(struct dp_worker *w, struct dp_burst_out *o, struct drops *d)
{
	unsigned int sent, i;

	if (o->n_exc > 0) {
		if (dp.exc_direct)
			sent = rte_eth_tx_burst(dp.exc_port, w->exc_txq, o->exc, (uint16_t)o->n_exc);
		else
			sent = rte_ring_mp_enqueue_burst(dp.exc_ring, (void **)o->exc, o->n_exc, NULL);
		dp_count(&w->stats.to_exception, sent);
		for (i = 0; i < sent; i++)
			if (o->exc_trunk[i] != UINT16_MAX)
				dp_count(&w->trunk_stats[o->exc_trunk[i]].accepted, 1);
		for (; i < o->n_exc; i++) {
			if (o->exc_trunk[i] != UINT16_MAX)
				dp_count(&w->trunk_stats[o->exc_trunk[i]].rejected, 1);
			drop(d, o->exc[i], DP_DROP_EXCEPTION_FULL);
		}
		o->n_exc = 0;
	}
	if (o->n_wire > 0) {
		sent = rte_eth_tx_burst(dp.wire_port, w->wire_queue, o->wire, (uint16_t)o->n_wire);
		count_wire(w, o, sent);
		for (i = sent; i < o->n_wire; i++) {
			if (o->wire_kind[i] == DP_WIRE_ASK)	/* made here: not a received frame */
				rte_pktmbuf_free(o->wire[i]);
			else
				drop(d, o->wire[i], DP_DROP_WIRE_FULL);
		}
		o->n_wire = 0;
	}
}

/* Media held for its next hop (dp_neigh.h), after the burst's flush (o is empty): what can go
 * now goes; what waited too long is dropped media_no_neighbour. */
static void neigh_release(struct dp_worker *w, struct dp_burst_out *o)
{
	uint64_t now = dp_clock_ns_at(rte_rdtsc());	/* the test clock: this burst's frames too */
	unsigned int k, n;

	if (!dp_neigh_release_due(&w->held, now))
		return;
	n = dp_neigh_release(&w->held, now, o->wire + o->n_wire, DP_BURST * 2 - o->n_wire,
			     &w->stats.drops[DP_DROP_MEDIA_NO_NEIGHBOUR]);
	for (k = 0; k < n; k++)
		o->wire_kind[o->n_wire++] = DP_WIRE_MEDIA;
	o->n_kind[DP_WIRE_MEDIA] = (uint16_t)(o->n_kind[DP_WIRE_MEDIA] + n);
}

/* Worker 0: the neighbour table's ageing and its unicast requests. */
static void neigh_age(struct dp_worker *w, struct dp_burst_out *o, uint64_t tsc)
{
	unsigned int k, n;

	n = dp_neigh_age(&w->held.age_scan_ns, dp_clock_ns_at(tsc), dp.pool,
			 o->wire + o->n_wire, DP_BURST * 2 - o->n_wire);
	for (k = 0; k < n; k++)
		o->wire_kind[o->n_wire++] = DP_WIRE_ASK;
	o->n_kind[DP_WIRE_ASK] = (uint16_t)(o->n_kind[DP_WIRE_ASK] + n);
}

/* Drops counted by runs of one reason (a flood is one run the whole burst long), then freed
 * together. */
static void free_drops(struct dp_worker *w, struct drops *d)
{
	unsigned int i = 0, j;

	if (d->n == 0)
		return;
	while (i < d->n) {
		for (j = i + 1; j < d->n && d->why[j] == d->why[i]; j++)
			;
		dp_count(&w->stats.drops[d->why[i]], j - i);
		i = j;
	}
	free_burst(d->m, d->n);
	d->n = 0;
}

/*
 * Ring mode (the exception port has fewer tx queues than workers): worker 0 sends for all.
 * What the port does not take now is kept and offered again, never dropped: a packet counted
 * to_exception at enqueue must arrive, and back-pressure fills the ring, where the enqueueing
 * worker counts exception_full.
 */
struct ring_pending {
	struct rte_mbuf *m[DP_BURST];
	unsigned int n;
};

static void drain_exc_ring(struct ring_pending *rp)
{
	unsigned int sent;

	if (rp->n < DP_BURST)
		rp->n += rte_ring_sc_dequeue_burst(dp.exc_ring, (void **)(rp->m + rp->n),
						   DP_BURST - rp->n, NULL);
	if (rp->n == 0)
		return;
	sent = rte_eth_tx_burst(dp.exc_port, 0, rp->m, (uint16_t)rp->n);
	memmove(rp->m, rp->m + sent, (rp->n - sent) * sizeof(rp->m[0]));
	rp->n -= sent;
}

/* The kernel's side (ARP replies, the control plane's SIP) goes out unchanged; returns how many
 * frames came. */
static uint16_t kernel_burst(struct dp_worker *w, uint16_t *rxq, struct dp_burst_clock *clk,
			     struct dp_burst_out *o)
{
	struct rte_mbuf *pkts[DP_BURST];
	uint16_t n = rte_eth_rx_burst(dp.exc_port, *rxq, pkts, DP_BURST);

	if (++*rxq == dp.exc_queues)
		*rxq = 0;
	if (n == 0)
		return 0;
	dp_count(&w->stats.exc_rx, n);
	for (uint16_t i = 0; i < n; i++) {
		dp_admit_from_kernel(w, pkts[i], dp_burst_ns(clk));
		dp_out_wire(o, pkts[i], DP_WIRE_KERNEL);
	}
	return n;
}

/* A burst from the wire, after rx: counted, sorted, looked up, each frame to its path. */
static inline void wire_burst(struct dp_worker *w, const struct dp_acl_bank *acl, struct burst *b,
			      uint16_t n, struct dp_burst_clock *clk, struct dp_burst_out *o,
			      struct drops *d)
{
	unsigned int relayed;

	dp_count(&w->stats.rx, n);
	relayed = dp.test_clock ? 0 : media_burst(b, n, clk, o);
	if (relayed == n)
		return;
	if (relayed > 0) {	/* the rest, from the first frame not taken, the general way */
		memmove(b->m, b->m + relayed, (n - relayed) * sizeof(b->m[0]));
		n = (uint16_t)(n - relayed);
	}
	sort_burst(b, n, acl);
	look_up_burst(w, acl, b);
	media_look_up_burst(b);
	decide_burst(w, b, n, clk, o, d);
}

void dp_worker_feed(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct burst b;
	struct dp_burst_clock clk = { .read = false };
	struct dp_burst_out out = { .n_exc = 0, .n_wire = 0 };
	struct drops dropped = { .n = 0 };

	if (n == 0 || n > DP_BURST)
		return;
	memcpy(b.m, pkts, n * sizeof(pkts[0]));
	wire_burst(w, dp_acl_reader(dp.acl), &b, n, &clk, &out, &dropped);
	flush(w, &out, &dropped);
	if (clk.read)
		dp_frag_housekeeping(w, dp_burst_tsc(&clk));
	free_drops(w, &dropped);
	rte_rcu_qsbr_quiescent(dp.qsv, w->id);
}

int dp_worker_main(void *arg)
{
	struct ring_pending ring_pending = { .n = 0 };
	uint16_t exc_rxq = 0;
	unsigned int turns = 0, exc_turns = 0;
	struct dp_worker *w = arg;
	struct burst b;
	struct dp_burst_out out = { .n_exc = 0, .n_wire = 0 };
	struct drops dropped = { .n = 0 };
	struct dp_idle idle;
	sigset_t io;

	dp_io_signals(&io);
	pthread_sigmask(SIG_UNBLOCK, &io, NULL);	/* a port's "frames to read" (dp.h) */
	rte_rcu_qsbr_thread_register(dp.qsv, w->id);
	rte_rcu_qsbr_thread_online(dp.qsv, w->id);
	w->reject_last_tsc = rte_rdtsc();
	dp_idle_init(&idle);

	while (!__atomic_load_n(&dp.stop, __ATOMIC_RELAXED)) {
		const struct dp_acl_bank *acl = dp_acl_reader(dp.acl);
		struct dp_burst_clock clk = { .read = false };
		uint16_t n = 0, kn = 0;

		if (w->active)
			n = rte_eth_rx_burst(dp.wire_port, w->wire_queue, b.m, DP_BURST);
		if (n > 0)
			wire_burst(w, acl, &b, n, &clk, &out, &dropped);
		if (w->polls_exception && (n < DP_BURST || (++exc_turns & dp.exc_poll_busy) == 0))
			kn = kernel_burst(w, &exc_rxq, &clk, &out);
		flush(w, &out, &dropped);
		/* reassembly timeouts and neighbour ageing: whenever the clock was read or nothing
		 * came, else (a flood that is only dropped) every 64th burst */
		if (clk.read || n == 0 || (++turns & 63) == 0) {
			dp_frag_housekeeping(w, dp_burst_tsc(&clk));
			if (w->id == 0)	/* the burst's clock: one TSC read less a burst */
				neigh_age(w, &out, dp_burst_tsc(&clk));
		}
		if (w->held.n > 0)
			neigh_release(w, &out);
		if (out.n_wire > 0)
			flush(w, &out, &dropped);
		free_drops(w, &dropped);
		if (!dp.exc_direct && w->id == 0)
			drain_exc_ring(&ring_pending);
		rte_rcu_qsbr_quiescent(dp.qsv, w->id);
		dp_idle_after_turn(w, &idle, n + kn + ring_pending.n + w->held.n);
	}
	for (unsigned int i = 0; i < ring_pending.n; i++)	/* shutting down */
		rte_pktmbuf_free(ring_pending.m[i]);
	for (unsigned int i = 0; i < w->held.n; i++)
		rte_pktmbuf_free(w->held.m[i]);
	w->held.n = 0;
	rte_rcu_qsbr_thread_offline(dp.qsv, w->id);
	rte_rcu_qsbr_thread_unregister(dp.qsv, w->id);
	return 0;
}
