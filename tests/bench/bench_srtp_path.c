/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SRTP media path per worker core (suite bench): the data plane set up as sbc-dataplane sets
 * itself up (dp_setup: pool, tables, worker state, ports, channel; wire and exception ports are
 * net_null vdevs), --sessions media sessions installed with MEDIA_SET, and worker 0's loop turn
 * (dp_worker_feed: sort, media table lookup, strict source, SRTP unprotect, RTP figures, header
 * rewrite, checksums, tx, counters) run on the main lcore over frames this program makes. Only
 * the wire's rx is not in it (net_null's tx frees what is sent).
 *
 * Every index is accepted once, so the frames are made fresh for each pass of BATCH (untimed):
 * one 214-byte RTP frame (160 bytes of PCMU) per session in turn, the next sequence number of
 * that session, protected with the key the session's leg 0 receives (a sender context of this
 * program per session) and wrapped in Ethernet/IPv4/UDP from the leg's remote to its port. The
 * timed part feeds the pass to the worker in bursts of 32. After each pass media_relayed must
 * have grown by BATCH and no drop counter at all, or the run fails.
 *
 * Modes: unprotect (leg 0 SRTP, leg 1 plain: SRTP -> RTP), protect (leg 0 plain, leg 1 SRTP:
 * RTP -> SRTP), plain (both plain: the relay alone, the same frames' size without the tag).
 * Built twice, like bench_srtp: with the libsrtp2 the data plane links and with Debian's NSS one.
 *
 * usage: bench_srtp_path [--seconds S] [--sessions N] [--mode M]... [--suite NAME]
 * prints per mode: path <backend> <suite|plain> <mode> <Mpps wall> <Mpps per CPU-second of the
 *   run> <Mpps median pass> <packets>; the data plane's own start-up lines go to stderr.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dp.h"
#include "dp_channel.h"
#include "dp_media.h"
#include "dp_setup.h"
#include "dp_srtp.h"

#include "dp_harness.h"

#define BATCH 1024
#define PAYLOAD 160
#define RTP_LEN (12 + PAYLOAD)
#define MAX_PASSES 65536
#define PORT_LO 6000	/* above SIP's 5060/5061: --sessions up to 14,883 */
#define REMOTE_A 0xc6120000u	/* 198.18.0.0, RFC 2544's benchmarking range */
#define SBC_V4 0xc000020au	/* 192.0.2.10 */
#define GW_V4 0xc0000201u	/* 192.0.2.1 */

static const uint8_t gw_mac[6] = { 0x00, 0x00, 0x5e, 0x00, 0x53, 0x01 };

struct dp dp;

enum mode { M_UNPROTECT, M_PROTECT, M_PLAIN, M_MAX };
static const char *const mode_names[M_MAX] = { "unprotect", "protect", "plain" };

struct rate {
	double wall_s, cpu_s;
	uint64_t pkts;
	unsigned int passes;
	double pass_cpu[MAX_PASSES];
};

static struct rate rate;
static struct dp_srtp_ctx **senders;	/* per session: what leg 0's remote protects with */
static uint16_t *seqs;
static unsigned int n_sessions;

static double now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_srtp_path: %s\n", what);
	exit(1);
}

/* Session s: leg 0 from 198.18.x.y:30000 to our port PORT_LO + 4s, leg 1 to 203.0.113.z:40000. */
static void install(enum mode m, unsigned int suite)
{
	char err[256];

	dp_harness_batch_begin();
	for (unsigned int s = 0; s < n_sessions; s++) {
		struct sbc_msg_media msg;

		memset(&msg, 0, sizeof(msg));
		msg.session = s + 1;
		msg.seq = 1;
		for (unsigned int l = 0; l < 2; l++) {
			struct sbc_media_leg *leg = &msg.leg[l];

			leg->family = SBC_AF_V4;
			leg->local_port = (uint16_t)(PORT_LO + 4 * s + 2 * l);
			leg->remote_port = (uint16_t)(30000 + 10000 * l);
			leg->remote_rtcp_port = (uint16_t)(leg->remote_port + 1);
			dp_harness_v4(leg->local_addr, SBC_V4);
			for (unsigned int k = 0; k < SBC_SRTP_KEY_MAX; k++) {
				leg->key_rx[k] = (uint8_t)(s * 7 + k + 16 * l);
				leg->key_tx[k] = (uint8_t)(s * 11 + k + 16 * l + 1);
			}
		}
		dp_harness_v4(msg.leg[0].remote_addr, REMOTE_A + s);
		dp_harness_v4(msg.leg[1].remote_addr, 0xcb007101u + s % 250);
		if (m == M_UNPROTECT)
			msg.leg[0].srtp = (uint8_t)suite;
		else if (m == M_PROTECT)
			msg.leg[1].srtp = (uint8_t)suite;
		if (dp_media_set(&msg, 0, err, sizeof(err)) != 0)
			die(err);
		if (m == M_UNPROTECT &&
		    dp_srtp_ctx_new(&senders[s], suite, msg.leg[0].key_rx, false, err, sizeof(err)))
			die(err);
		seqs[s] = (uint16_t)(s * 97);
	}
	dp_harness_media_batch_end();
}

static void uninstall(void)
{
	dp_harness_batch_begin();
	for (unsigned int s = 0; s < n_sessions; s++) {
		struct sbc_msg_media_ref r = { .session = s + 1, .seq = 1 };

		dp_media_del(&r);
		dp_srtp_ctx_free(senders[s]);
		senders[s] = NULL;
		/* the main lcore's loop commits after each batch of commands; dp_media.c's queue
		 * of deleted hash positions holds 4 per deferred action, which one DEL (4 keys) of
		 * each of more than 8,192 sessions between two commits overruns: commit as it does */
		if (s % 1024 == 1023)
			dp_media_commit(NULL);
	}
	dp_harness_media_batch_end();
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Ethernet + IPv4 + UDP around len bytes of payload already at f + 42, from session s's leg 0
 * remote to its port; checksums filled. */
static uint32_t wrap(uint8_t *f, unsigned int s, uint32_t len)
{
	uint8_t *ip = f + 14, *u = f + 34;
	uint16_t c;

	memcpy(f, dp.wire_mac.addr_bytes, 6);
	memcpy(f + 6, gw_mac, 6);
	put16(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[1] = 0xb8;			/* EF */
	put16(ip + 2, (uint16_t)(28 + len));
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 12, REMOTE_A + s);
	put32(ip + 16, SBC_V4);
	c = (uint16_t)~rte_raw_cksum(ip, 20);	/* in the header's byte order, as DPDK sums */
	memcpy(ip + 10, &c, 2);
	put16(u, 30000);
	put16(u + 2, (uint16_t)(PORT_LO + 4 * s));
	put16(u + 4, (uint16_t)(8 + len));
	put16(u + 6, 0);
	c = rte_ipv4_udptcp_cksum((const struct rte_ipv4_hdr *)ip, u);
	memcpy(u + 6, &c, 2);
	return 42 + len;
}

/* The gateway's ARP reply, fed once: the media path's next hop is known from then on. */
static void learn_gateway(struct dp_worker *w)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
	uint8_t *f;

	if (m == NULL)
		die("no mbuf");
	f = (uint8_t *)rte_pktmbuf_append(m, 60);
	memset(f, 0, 60);
	memcpy(f, dp.wire_mac.addr_bytes, 6);
	memcpy(f + 6, gw_mac, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);
	put16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 2);
	memcpy(f + 22, gw_mac, 6);
	put32(f + 28, GW_V4);
	memcpy(f + 32, dp.wire_mac.addr_bytes, 6);
	put32(f + 38, SBC_V4);
	dp_worker_feed(w, &m, 1);
}

/* One pass's frames, untimed: session by session in turn from *next. */
static void make_pass(enum mode m, struct rte_mbuf **pkts, unsigned int *next)
{
	if (rte_pktmbuf_alloc_bulk(dp.pool, pkts, BATCH) != 0)
		die("mbuf pool empty");
	for (unsigned int i = 0; i < BATCH; i++) {
		unsigned int s = *next;
		uint8_t *f = rte_pktmbuf_mtod(pkts[i], uint8_t *), *r = f + 42;
		uint16_t seq = ++seqs[s];
		uint32_t len = RTP_LEN;

		*next = (s + 1) % n_sessions;
		r[0] = 0x80;
		r[1] = 0;			/* PCMU */
		put16(r + 2, seq);
		put32(r + 4, (uint32_t)seq * 160u);
		put32(r + 8, 0x10000000u + s);
		for (unsigned int j = 12; j < RTP_LEN; j++)
			r[j] = (uint8_t)(0xd5 ^ j);
		if (m == M_UNPROTECT) {
			int rc = dp_srtp_protect(senders[s], r, &len, 256, false);

			if (rc != DP_SRTP_OK)
				die("protecting a frame failed");
		}
		len = wrap(f, s, len);
		pkts[i]->data_len = (uint16_t)len;
		pkts[i]->pkt_len = len;
	}
}

static uint64_t drops_of(const struct dp_worker *w)
{
	uint64_t n = 0;

	for (unsigned int d = 0; d < DP_DROP_MAX; d++)
		n += w->stats.drops[d];
	return n;
}

static void run(enum mode m, unsigned int suite, double seconds)
{
	static struct rte_mbuf *pkts[BATCH];
	struct dp_worker *w = dp.workers[0];
	unsigned int next = 0;

	install(m, suite);
	memset(&rate, 0, sizeof(rate));
	while (rate.wall_s < seconds && rate.passes < MAX_PASSES) {
		uint64_t relayed = w->stats.media_relayed, dropped = drops_of(w);

		make_pass(m, pkts, &next);
		double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID);

		for (unsigned int i = 0; i < BATCH; i += DP_BURST)
			dp_worker_feed(w, pkts + i, DP_BURST);
		double c = now(CLOCK_THREAD_CPUTIME_ID) - c0;

		rate.wall_s += now(CLOCK_MONOTONIC) - w0;
		rate.cpu_s += c;
		rate.pkts += BATCH;
		rate.pass_cpu[rate.passes++] = c;
		if (w->stats.media_relayed - relayed != BATCH || drops_of(w) != dropped) {
			for (unsigned int d = 0; d < DP_DROP_MAX; d++)
				if (w->stats.drops[d] != 0)
					fprintf(stderr, "bench_srtp_path: drop %s: %llu\n",
						dp_drop_names[d],
						(unsigned long long)w->stats.drops[d]);
			die("a frame was not relayed");
		}
	}
	uninstall();
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void print(enum mode m, unsigned int suite)
{
	qsort(rate.pass_cpu, rate.passes, sizeof(double), cmp_double);
	printf("path %s %s %s %.3f %.3f %.3f %llu\n", dp_srtp_backend(),
	       m == M_PLAIN ? "plain" : sbc_srtp_suite_names[suite], mode_names[m],
	       rate.pkts / rate.wall_s / 1e6, rate.pkts / rate.cpu_s / 1e6,
	       BATCH / rate.pass_cpu[rate.passes / 2] / 1e6, (unsigned long long)rate.pkts);
	fflush(stdout);
}

static void configure(void)
{
	char conf[1024], err[512];

	snprintf(conf, sizeof(conf),
		 "[sbc]\naddress = 192.0.2.10/24\ngateway = 192.0.2.1\n"
		 "media_ports = %u-65535\nmedia_timeout = 3600\n"
		 "[dataplane]\nwire = net_null0\nexception = net_null1\nworkers = 1\n"
		 "channel = %s\nmbufs = 16383\nmedia_sessions = %u\ncalls = 1024\n"
		 "[trunk floor]\npeers = 198.51.100.0/24\n",
		 PORT_LO, dp_harness_channel("srtp-bench"), n_sessions);
	if (sbc_config_load_string(&dp.cfg, conf, "bench_srtp_path", err, sizeof(err)) != 0)
		die(err);
	/* the data plane's start-up lines on stderr: stdout is the results' */
	fflush(stdout);
	if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		die("dup2");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"seconds", required_argument, NULL, 's'},
		{"sessions", required_argument, NULL, 'n'},
		{"mode", required_argument, NULL, 'm'},
		{"suite", required_argument, NULL, 'u'},
		{NULL, 0, NULL, 0},
	};
	bool want[M_MAX] = {false}, any = false;
	unsigned int suite = SBC_SRTP_AES_CM_128_HMAC_SHA1_80;
	double seconds = 2.0;
	int o, out;

	n_sessions = 1000;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		unsigned int k;

		switch (o) {
		case 's':
			seconds = atof(optarg);
			break;
		case 'n':
			n_sessions = (unsigned int)atoi(optarg);
			break;
		case 'm':
			for (k = 0; k < M_MAX && strcmp(optarg, mode_names[k]); k++)
				;
			if (k == M_MAX)
				die("--mode: unprotect, protect or plain");
			want[k] = any = true;
			break;
		case 'u':
			for (k = 1; k < SBC_SRTP_MAX && strcmp(optarg, sbc_srtp_suite_names[k]); k++)
				;
			if (k == SBC_SRTP_MAX)
				die("unknown --suite");
			suite = k;
			break;
		default:
			fprintf(stderr, "usage: bench_srtp_path [--seconds S] [--sessions N] "
				"[--mode unprotect|protect|plain]... [--suite NAME]\n");
			return 2;
		}
	}
	if (seconds <= 0 || n_sessions == 0 || n_sessions > (65535 - PORT_LO) / 4)
		die("--seconds > 0 and --sessions 1-14883");
	out = dup(STDOUT_FILENO);
	if (out < 0 || dp_harness_eal(argv[0], "srtp-bench", "512", "lib.*:error") < 0)
		die("EAL init failed");
	configure();
	senders = calloc(n_sessions, sizeof(*senders));
	seqs = calloc(n_sessions, sizeof(*seqs));
	if (senders == NULL || seqs == NULL || dp_setup("bench_srtp_path", NULL) != 0)
		die("data plane setup failed");
	fflush(stdout);
	dup2(out, STDOUT_FILENO);
	rte_rcu_qsbr_thread_register(dp.qsv, 0);	/* this thread is worker 0 */
	rte_rcu_qsbr_thread_online(dp.qsv, 0);
	learn_gateway(dp.workers[0]);
	for (unsigned int k = 0; k < M_MAX; k++) {
		if (any ? !want[k] : k == M_PROTECT)	/* default: unprotect and plain */
			continue;
		run((enum mode)k, suite, seconds);
		print((enum mode)k, suite);
	}
	rte_rcu_qsbr_thread_offline(dp.qsv, 0);
	dp_port_close(&dp);
	dp_channel_close();
	dp_teardown();
	rte_eal_cleanup();
	return 0;
}
