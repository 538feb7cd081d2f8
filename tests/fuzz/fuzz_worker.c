/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: bursts of arbitrary frames through a whole worker, as sbc-dataplane runs
 * it (dp_setup: pool, allowlists, call table, media table, neighbours, reassembly; wire and
 * exception ports are net_null vdevs; EAL without hugepages), worker 0's loop turn fed on this
 * thread (dp_worker_feed: the sort, the allowlist, the scanner and admission, 403s, TCP, IP
 * fragments, ARP and ND, the media relay with its fast path, strict source, latching,
 * rtcp-mux, SRTP, IPv4 <-> IPv6, the next hop's hold). Where fuzz_frame stops at the parser
 * and the reply builder, this target reaches every path a frame from the wire takes.
 *
 * Installed at start (MEDIA_SET, as the control plane sends it), their ports what the seeds
 * (worker_seeds.py) send to:
 *   6000/6002  plain RTP, IPv4 both legs: 198.51.100.20:30000 <-> 203.0.113.5:40000 (leg 0's
 *              payload type 111 a 48 kHz clock: its jitter divided)
 *   6004/6006  leg 0 SRTP (AES_CM_128_HMAC_SHA1_80) from 198.51.100.21:30002, leg 1 plain
 *   6008/6010  leg 0 latched (any port of 198.51.100.22) with rtcp-mux, leg 1 AEAD_AES_128_GCM
 *   6012/6014  leg 0 IPv6 (2001:db8:1::20:30004 to 2001:db8::10), leg 1 IPv4 (on-link 192.0.2.30);
 *              leg 0's payload type 96 a 16 kHz clock
 * Allowlists: floor 198.51.100.0/24 and 2001:db8:1::/48, carrier 203.0.113.0/24, a digest
 * trunk 100.64.0.0/24 (so unlisted REGISTERs take the register rate's path); unlisted requests
 * get 403 (unlisted = reject); denied: 198.51.100.66, 192.0.2.66, 2001:db8:1::66.
 *
 * Input: one flags byte, then frames, each a 16-bit big-endian length and its bytes (cut at
 * the input's end). Flags bits 0-1: what the NIC says of the IPv4 checksum (unknown, good,
 * bad, none); bit 2: each frame fed alone rather than all as one burst (up to 32 a burst);
 * bit 3: frames of the plain IPv4/UDP shape to an SRTP leg's ports (6004-6005, 6010-6011) have
 * their payload protected first with the key that leg's remote holds, RTP under the next
 * sequence number of one SSRC, so that what follows a good tag is reached too (a fuzzer cannot
 * forge one); bit 4: sessions 1 and 3 removed (MEDIA_DEL, committed) after the first half of
 * the frames, installed again after the input (frames to a session removed mid-stream); bit 5:
 * for the input, the worker without its REGISTER path (its register rate's buckets unset, as
 * when no trunk takes digest) and the IPv4 denylist lifted (DENY_DEL, added again after it):
 * what lets the sort take a run of plain SIP, and reject mode drop such a burst of unlisted SIP
 * whole once its 403s are spent (reject_rate 100 a second: the fuzzer's inputs spend them at
 * once, and each second brings a hundred more). Then
 * the main lcore's turn (dp_timers_tick: call events, call timers), as sbc-dataplane's main
 * loop runs it. After each input the reassembly table is emptied and the packets held for a
 * neighbour expired: every mbuf must be back in the pool, or the target aborts (a leak on some
 * path). Findings: that, crashes, over-reads, UB (ASan + UBSan), a hang (libFuzzer's -timeout).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "dp.h"
#include "dp_deny.h"
#include "dp_media.h"
#include "dp_neigh.h"
#include "dp_setup.h"
#include "dp_srtp.h"
#include "dp_timers.h"

#include "dp_harness.h"

#define FRAG_FLOWS 16

/* The wire port's MAC, set before dp_setup reads it (net_null makes up a random one): what
 * worker_seeds.py addresses its frames to. */
static struct rte_ether_addr wire_mac = { { 0x02, 0, 0, 0, 0, 0x10 } };

struct dp dp;

/* The SRTP legs' remotes: what they protect with (flags bit 3), and their next RTP seq. */
static struct dp_srtp_ctx *sender[2];
static uint16_t sender_seq;

static unsigned int pool_full;	/* mbufs free in the pool when nothing is in flight */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
	fprintf(stderr, "fuzz_worker: %s\n", what);
	abort();
}

/* FUZZ_WORKER_COUNTERS=1: what the worker counted, at exit (which paths a corpus reaches). */
static void print_counters(void)
{
	const struct dp_worker *w = dp.workers[0];
	const struct dp_worker_stats *st = &w->stats;

	fprintf(stderr, "fuzz_worker: rx %llu to_exception %llu reject_sent %llu media_relayed %llu "
		"neigh_asked %llu admitted %llu\n", (unsigned long long)st->rx,
		(unsigned long long)st->to_exception, (unsigned long long)st->reject_sent,
		(unsigned long long)st->media_relayed, (unsigned long long)st->neigh_asked,
		(unsigned long long)w->trunk_stats[0].admitted);
	for (unsigned int d = 0; d < DP_DROP_MAX; d++)
		if (st->drops[d] != 0)
			fprintf(stderr, "fuzz_worker: drop %s %llu\n", dp_drop_names[d],
				(unsigned long long)st->drops[d]);
}

/* 2001:db8:<net>::<host> */
static void addr6(uint8_t *a, uint16_t net, uint8_t host)
{
	static const uint8_t pre[4] = { 0x20, 0x01, 0x0d, 0xb8 };

	memset(a, 0, 16);
	memcpy(a, pre, 4);
	a[4] = (uint8_t)(net >> 8);
	a[5] = (uint8_t)net;
	a[15] = host;
}

/* The key a leg's remote protects with (the leg's key_rx), from the leg's port. */
static void key_rx(uint8_t *key, uint16_t port)
{
	for (unsigned int k = 0; k < SBC_SRTP_KEY_MAX; k++)
		key[k] = (uint8_t)(0x11 * (k + 1) + port);
}

static void leg(struct sbc_media_leg *l, uint8_t family, uint16_t port, uint16_t remote_port)
{
	l->family = family;
	l->local_port = port;
	l->remote_port = remote_port;
	l->remote_rtcp_port = (uint16_t)(remote_port + 1);
	if (family == SBC_AF_V4)
		dp_harness_v4(l->local_addr, DP_HARNESS_IPV4(192, 0, 2, 10));
	else
		addr6(l->local_addr, 0, 0x10);
	key_rx(l->key_rx, port);
	for (unsigned int k = 0; k < SBC_SRTP_KEY_MAX; k++)
		l->key_tx[k] = (uint8_t)(0x23 * (k + 1) + port);
}

static struct sbc_msg_media sessions[4];

/* Sessions 1 and 3 removed (flags bit 4), as MEDIA_DEL and the main loop's commits do. */
static void remove_two(void)
{
	dp_harness_batch_begin();
	for (unsigned int s = 0; s < 4; s += 2) {
		struct sbc_msg_media_ref r = { .session = sessions[s].session, .seq = 1 };

		dp_media_del(&r);
	}
	dp_harness_media_batch_end();
}

static void set_sessions(unsigned int from, unsigned int step)
{
	char err[256];

	dp_harness_batch_begin();
	for (unsigned int s = from; s < 4; s += step)
		if (dp_media_set(&sessions[s], 0, err, sizeof(err)) != 0)
			die(err);
	dp_harness_media_batch_end();
}

/* The four sessions of the header comment, committed as the main lcore does. */
static void install(void)
{
	uint8_t key[SBC_SRTP_KEY_MAX];
	struct sbc_msg_media *m = sessions;
	char err[256];

	memset(sessions, 0, sizeof(sessions));
	for (unsigned int s = 0; s < 4; s++) {
		m[s].session = s + 1;
		m[s].seq = 1;
	}
	leg(&m[0].leg[0], SBC_AF_V4, 6000, 30000);
	dp_harness_v4(m[0].leg[0].remote_addr, DP_HARNESS_IPV4(198, 51, 100, 20));
	leg(&m[0].leg[1], SBC_AF_V4, 6002, 40000);
	dp_harness_v4(m[0].leg[1].remote_addr, DP_HARNESS_IPV4(203, 0, 113, 5));

	leg(&m[1].leg[0], SBC_AF_V4, 6004, 30002);
	dp_harness_v4(m[1].leg[0].remote_addr, DP_HARNESS_IPV4(198, 51, 100, 21));
	m[1].leg[0].srtp = SBC_SRTP_AES_CM_128_HMAC_SHA1_80;
	leg(&m[1].leg[1], SBC_AF_V4, 6006, 40002);
	dp_harness_v4(m[1].leg[1].remote_addr, DP_HARNESS_IPV4(203, 0, 113, 6));

	leg(&m[2].leg[0], SBC_AF_V4, 6008, 0);
	dp_harness_v4(m[2].leg[0].remote_addr, DP_HARNESS_IPV4(198, 51, 100, 22));
	m[2].leg[0].flags = SBC_MEDIA_LATCH | SBC_MEDIA_RTCP_MUX;
	leg(&m[2].leg[1], SBC_AF_V4, 6010, 40004);
	dp_harness_v4(m[2].leg[1].remote_addr, DP_HARNESS_IPV4(203, 0, 113, 7));
	m[2].leg[1].srtp = SBC_SRTP_AEAD_AES_128_GCM;

	leg(&m[3].leg[0], SBC_AF_V6, 6012, 30004);
	addr6(m[3].leg[0].remote_addr, 1, 0x20);
	leg(&m[3].leg[1], SBC_AF_V4, 6014, 40006);
	dp_harness_v4(m[3].leg[1].remote_addr, DP_HARNESS_IPV4(192, 0, 2, 30));
	/* dynamic payload types with a clock (the jitter of Opus, of a 16 kHz codec) */
	m[0].rtp_pt[0] = 111;
	m[0].rtp_clock_8k[0] = 6;
	m[3].rtp_pt[0] = 96;
	m[3].rtp_clock_8k[0] = 2;

	set_sessions(0, 1);
	key_rx(key, 6004);
	if (dp_srtp_ctx_new(&sender[0], SBC_SRTP_AES_CM_128_HMAC_SHA1_80, key, false, err,
			    sizeof(err)) != 0)
		die(err);
	key_rx(key, 6010);
	if (dp_srtp_ctx_new(&sender[1], SBC_SRTP_AEAD_AES_128_GCM, key, false, err,
			    sizeof(err)) != 0)
		die(err);
}

/* flags bit 3: a plain IPv4/UDP frame to an SRTP leg's port gets its payload protected as that
 * leg's remote would (RTP: the next sequence number, one SSRC), its lengths and IPv4 checksum
 * made good again (UDP checksum 0: none). Anything else is left as it is. */
static void protect(struct rte_mbuf *m)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *), *pl = f + 42;
	uint32_t len = rte_pktmbuf_data_len(m), n;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + 14);
	uint16_t dport;
	bool rtcp;
	int k;

	if (len < 42 + 12 || f[12] != 0x08 || f[13] != 0 || f[14] != 0x45 || f[23] != 17)
		return;
	dport = (uint16_t)(f[36] << 8 | f[37]);
	k = dport == 6004 || dport == 6005 ? 0 : dport == 6010 || dport == 6011 ? 1 : -1;
	if (k < 0)
		return;
	rtcp = dport & 1;
	n = len - 42;
	if (!rtcp) {
		pl[0] = (uint8_t)(0x80 | (pl[0] & 0x3f));
		pl[2] = (uint8_t)(sender_seq >> 8);
		pl[3] = (uint8_t)sender_seq++;
		memcpy(pl + 8, "\x00\x00\x5e\xed", 4);
	}
	if (dp_srtp_protect(sender[k], pl, &n, rte_pktmbuf_tailroom(m) + (len - 42), rtcp) != 0)
		return;
	rte_pktmbuf_append(m, (uint16_t)(n - (len - 42)));
	ip->total_length = rte_cpu_to_be_16((uint16_t)(28 + n));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	f[38] = (uint8_t)((8 + n) >> 8);
	f[39] = (uint8_t)(8 + n);
	f[40] = 0;
	f[41] = 0;
}

/* The denylist (sbc:deny:<ip>, as the channel's DENY_ADD brings it): a listed source, an
 * unlisted one, an IPv6 one; until lifted. The IPv4 ones first. */
static struct sbc_deny_entry denied[3];

/* The first n entries of denied[] added (DENY_ADD). */
static void deny_first(unsigned int n)
{
	unsigned int refused = 0;

	dp_harness_batch_begin();
	if (dp_deny_add(denied, n, 0, &refused) != 0)
		die("the denylist refused its entries");
	dp_harness_online();
}

/* Flags bit 5: the IPv4 entries lifted for an input (as DENY_DEL does), then added again. */
static void lift_v4(void)
{
	dp_harness_batch_begin();
	if (dp_deny_del(denied, 2) != 0)
		die("the denylist did not lift its IPv4 entries");
	dp_harness_online();
}

static void deny(void)
{
	struct sbc_deny_entry *e = denied;

	memset(denied, 0, sizeof(denied));
	e[0].family = e[1].family = SBC_AF_V4;
	dp_harness_v4(e[0].addr, DP_HARNESS_IPV4(198, 51, 100, 66));
	dp_harness_v4(e[1].addr, DP_HARNESS_IPV4(192, 0, 2, 66));
	e[2].family = SBC_AF_V6;
	addr6(e[2].addr, 1, 0x66);
	for (unsigned int k = 0; k < 3; k++)
		memcpy(e[k].reason, "fuzz", 5);
	deny_first(3);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char conf[2048], err[512];

	(void)argc;
	if (dp_harness_eal((*argv)[0], "fuzz-worker", "512", "*:error") < 0)
		die("EAL init failed");
	snprintf(conf, sizeof(conf),
		 "[sbc]\naddress = 192.0.2.10/24\ngateway = 192.0.2.1\n"
		 "address6 = 2001:db8::10/64\ngateway6 = 2001:db8::1\n"
		 "unlisted = reject\nmedia_ports = 6000-6099\nmedia_timeout = 3600\n"
		 "[dataplane]\nwire = net_null0\nexception = net_null1\nworkers = 1\n"
		 "channel = %s\nmbufs = 4095\nmedia_sessions = 16\ncalls = 1024\n"
		 "frag_flows = %u\n"
		 "[trunk floor]\npeers = 198.51.100.0/24, 2001:db8:1::/48\nrole = floor\n"
		 "route = carrier\ncps = 50\n"
		 "max_calls = 20\n"
		 "[trunk carrier]\npeers = 203.0.113.0/24\nrole = carrier\n"
		 "uri = sip:203.0.113.5:5060\n"
		 "[trunk pbx]\npeers = 100.64.0.0/24\nrole = floor\nauth = digest\n"
		 "route = carrier\n",
		 dp_harness_channel("fuzz-worker"), FRAG_FLOWS);
	if (sbc_config_load_string(&dp.cfg, conf, "fuzz_worker", err, sizeof(err)) != 0)
		die(err);
	if (rte_eth_dev_default_mac_addr_set(0, &wire_mac) != 0)	/* net_null0: port 0 */
		die("net_null0: its MAC cannot be set");
	if (dp_setup("fuzz_worker", NULL) != 0)
		die("data plane setup failed");
	rte_rcu_qsbr_thread_register(dp.qsv, 0);	/* this thread is worker 0 */
	rte_rcu_qsbr_thread_online(dp.qsv, 0);
	install();
	deny();
	pool_full = rte_mempool_avail_count(dp.pool);
	if (getenv("FUZZ_WORKER_COUNTERS") != NULL)
		atexit(print_counters);
	return 0;
}

/* What an input left in flight, let go: datagrams waiting for their fragments expired, the
 * packets held for a next hop sent (freed here: net_null would) or expired. */
static void settle(struct dp_worker *w)
{
	struct rte_mbuf *out[64];
	uint64_t expired = 0;
	unsigned int n;

	for (unsigned int k = 0; k <= FRAG_FLOWS; k++) {
		rte_ip_frag_table_del_expired_entries(w->frag_tbl, w->frag_dr, UINT64_MAX);
		rte_ip_frag_free_death_row(w->frag_dr, 0);
	}
	do {
		n = dp_neigh_release(&w->held, UINT64_MAX, out, RTE_DIM(out), &expired);
		rte_pktmbuf_free_bulk(out, n);
	} while (n > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t csum[4] = { RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN,
					   RTE_MBUF_F_RX_IP_CKSUM_GOOD,
					   RTE_MBUF_F_RX_IP_CKSUM_BAD,
					   RTE_MBUF_F_RX_IP_CKSUM_NONE };
	struct dp_worker *w = dp.workers[0];
	struct dp_regrate *regrate = w->regrate;
	struct rte_mbuf *pkts[DP_BURST];
	bool removed = false;
	unsigned int n = 0;
	size_t at = 1;
	uint8_t flags;

	if (size < 1)
		return 0;
	flags = data[0];
	while (at + 2 <= size && n < DP_BURST) {
		size_t len = (size_t)data[at] << 8 | data[at + 1];
		struct rte_mbuf *m;
		uint8_t *f;

		at += 2;
		if (len > size - at)
			len = size - at;
		m = rte_pktmbuf_alloc(dp.pool);
		if (m == NULL)
			die("mbuf pool empty");
		if (len > rte_pktmbuf_tailroom(m))
			len = rte_pktmbuf_tailroom(m);
		f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
		memcpy(f, data + at, len);
		at += len;
		if (flags & 8)
			protect(m);
		m->ol_flags = csum[flags & 3];
		pkts[n++] = m;
	}
	if (flags & 32) {
		w->regrate = NULL;
		lift_v4();
	}
	for (unsigned int i = 0, half = n / 2; i < n;) {
		unsigned int end = flags & 4 ? i + 1 : flags & 16 && i < half ? half : n;

		dp_worker_feed(w, &pkts[i], (uint16_t)(end - i));
		if (flags & 16 && i < half && end >= half) {
			remove_two();
			removed = true;
		}
		i = end;
	}
	if (flags & 32) {
		w->regrate = regrate;
		deny_first(2);
	}
	if (removed)
		set_sessions(0, 2);
	dp_harness_batch_begin();
	dp_timers_tick();
	dp_harness_online();
	settle(w);
	if (rte_mempool_avail_count(dp.pool) != pool_full) {
		fprintf(stderr, "fuzz_worker: %u mbufs free after the input, %u before: a leak\n",
			rte_mempool_avail_count(dp.pool), pool_full);
		abort();
	}
	return 0;
}
