/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane's shared state: ports, workers and their counters, set up by the main lcore
 * before workers start. Workers write only their own struct dp_worker; the telemetry thread
 * only reads.
 */
#ifndef DP_H
#define DP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dp_acl.h"
#include "dp_drops.h"
#include "dp_neigh.h"
#include "dp_sip.h"
#include "sbc_channel.h"
#include "sbc_config.h"

#define DP_BURST 32
#define DP_MAX_WORKERS 128

/* Counters written by one worker only (relaxed stores), summed by readers. */
struct dp_worker_stats {
	uint64_t rx;		/* frames received from the wire */
	uint64_t exc_rx;	/* frames received from the exception port */
	uint64_t to_exception;	/* handed to the kernel side */
	uint64_t to_wire;	/* kernel side's frames sent out of the wire */
	uint64_t reject_sent;	/* 403 responses sent */
	uint64_t media_relayed;	/* RTP/RTCP relayed to the other leg (out of the wire) */
	uint64_t neigh_asked;	/* ARP requests / neighbour solicitations sent (not received
				 * frames: outside rx + exc_rx = out + dropped) */
	uint64_t drops[DP_DROP_MAX];
} __rte_cache_aligned;

struct dp_trunk_stats {
	uint64_t accepted;	/* SIP packets passed to the exception port */
	uint64_t rejected;	/* SIP packets from a listed source dropped after classification */
	uint64_t admitted;	/* new calls (dialog-creating INVITEs) that took a call slot */
	uint64_t emergency;	/* of those, emergency numbers past the caps */
	uint64_t retransmissions;	/* INVITEs answered as their first copy was */
	uint64_t over_cps;	/* new calls refused by the CPS cap (503 or dropped) */
	uint64_t over_calls;	/* refused by max_calls */
	uint64_t table_full;	/* refused: the call table was full */
	uint64_t malformed;	/* SIP the scanner rejected */
	uint64_t ended[SBC_CALL_END_MAX];	/* calls this worker ended, by reason (the
						 * timers' own: dp_timers_ended) */
};

struct dp_regrate;
struct rte_ip_frag_tbl;
struct rte_ip_frag_death_row;

struct dp_worker {
	unsigned int id;	/* RCU thread id, index in dp.workers */
	unsigned int lcore;
	uint16_t wire_queue;	/* rx and tx queue on the wire port */
	bool active;		/* false when the wire port has fewer queues than workers */
	bool polls_exception;	/* worker 0 reads the exception port */
	uint16_t exc_txq;	/* exception tx queue when direct */
	double reject_tokens;	/* 403 rate limiter, this worker's share */
	double reject_rate;	/* tokens per TSC cycle */
	double reject_burst;
	uint64_t reject_last_tsc;
	struct dp_worker_stats stats;
	struct dp_trunk_stats *trunk_stats;	/* [SBC_MAX_TRUNKS] */
	uint64_t *acl_hits;	/* per allowlist rule slot */
	uint64_t malformed[DP_SIP_ERR_MAX];	/* scanner verdicts on listed SIP */
	uint64_t call_events_lost;	/* the event ring to the main lcore was full */
	uint64_t admit_cycles;		/* TSC cycles from scan to admission, admitted calls
					 * (-Dbench_cycles builds; 0 otherwise) */
	uint64_t admit_count;
	uint64_t idle_sleeps;		/* poll = adaptive: sleeps after empty polls (dp_idle.h) */
	uint64_t idle_sleep_cycles;	/* TSC cycles spent in them */
	struct rte_ring *events;	/* call events for the main lcore (SP/SC, sbc_msg_call) */
	/* IP reassembly (dp_frag.c) */
	struct rte_ip_frag_tbl *frag_tbl;
	struct rte_ip_frag_death_row *frag_dr;
	uint64_t frag_in;		/* fragments fed to reassembly */
	uint64_t frag_datagrams;	/* datagrams it completed */
	uint64_t frag_absorbed;		/* fragments merged into them beyond the first */
	uint64_t frag_last_expire;	/* TSC */
	uint8_t *big;			/* a reassembled datagram, linear */
	struct dp_regrate *regrate;	/* unlisted REGISTER buckets; NULL: no trunk takes digest */
	struct dp_neigh_asked asked;	/* next hops this worker asked for lately */
	struct dp_neigh_held held;	/* media waiting for its next hop's MAC */
	char scratch[2048];	/* response text being built */
} __rte_cache_aligned;

struct dp {
	struct sbc_config cfg;
	/* TCP source ports of SIP peers, one bit each: the port of every trunk's uri, so that the
	 * peer's side of a connection the B2BUA opened (to a kernel ephemeral port) gets in */
	uint64_t sip_peer_sports[65536 / 64];
	uint16_t wire_port, exc_port;
	struct rte_ether_addr wire_mac;
	uint16_t wire_queues;
	bool rss;
	uint16_t exc_queues;	/* rx and tx queues on the exception port */
	bool exc_direct;	/* each worker has its own exception tx queue */
	/* while the wire's bursts come full, the exception port is read every (mask + 1)th turn:
	 * 7 for net_tap, where every read is a system call (dp_port.c), else 0 */
	uint16_t exc_poll_busy;
	struct rte_ring *exc_ring;	/* otherwise workers enqueue here, worker 0 sends */
	struct rte_mempool *pool;
	struct rte_rcu_qsbr *qsv;
	struct dp_acl *acl;
	unsigned int n_workers;
	struct dp_worker *workers[DP_MAX_WORKERS];
	uint64_t tag_secret;
	uint64_t start_tsc;
	volatile bool stop;
	/* calls */
	uint64_t cps_tat[SBC_MAX_TRUNKS];	/* GCRA state per trunk, ns on the clock below */
	char retry_after[48];			/* "Retry-After: N\r\n" */
	/* the clock of caps and timers: TSC, or with --test-clock the pcap's timestamps */
	bool test_clock;
	int ts_offset;				/* mbuf dynfield of the rx timestamp */
	uint64_t ts_flag;
	uint64_t test_now_ns;			/* latest timestamp a worker saw */
	uint64_t ns_per_tsc_q32;		/* ns per TSC cycle, 32.32 fixed point */
	/* --test-media-delay-ms: each MEDIA_SET waits this long before it is applied (a slow
	 * main lcore, for the tests of the B2BUA holding an answer until READY) */
	uint64_t test_media_delay_ns;
};

extern struct dp dp;

struct rte_mbuf;

/* dp_worker.c */
int dp_worker_main(void *arg);

/*
 * The signals a port may raise when it has frames to read (net_tap's real-time signal, which
 * dp_port.c turns off; SIGIO). A process-wide signal goes to a thread that does not block it,
 * the main thread first: the main lcore, asleep between polls on the core the control plane
 * shares, would be woken once per frame. main() blocks them before rte_eal_init (EAL's
 * threads inherit that); each worker, which polls its ports anyway, unblocks them.
 */
static inline void dp_io_signals(sigset_t *s)
{
	sigemptyset(s);
	sigaddset(s, SIGIO);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaddset(s, sig);
}
/* What a turn of w's loop does with n (<= DP_BURST) frames from the wire, the wire's rx aside:
 * sort, lookups, paths, tx, drops, RCU report. For the SRTP path benchmark, which brings its
 * own frames on the main lcore in place of the worker (never while w's lcore runs). */
void dp_worker_feed(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n);

/* dp_port.c */
int dp_port_setup(struct dp *d);
void dp_port_close(struct dp *d);

/* The data plane's clock (ns) at TSC value tsc: TSC since start, or the test clock. */
static inline uint64_t dp_clock_ns_at(uint64_t tsc)
{
	if (dp.test_clock)
		return __atomic_load_n(&dp.test_now_ns, __ATOMIC_RELAXED);
	return (uint64_t)(((unsigned __int128)(tsc - dp.start_tsc) * dp.ns_per_tsc_q32) >> 32);
}

static inline uint64_t dp_clock_ns(void)
{
	return dp_clock_ns_at(rte_rdtsc());
}

/* dp_stats.c */
int dp_stats_register(void);
uint64_t dp_stats_total_rx(void);
/* A per-worker counter at offset off in struct dp_worker, summed over the workers. */
uint64_t dp_stats_sum_workers(size_t off);
/* Into dict d: each drop reason's counter summed over workers [first, last), only the reasons
 * whose name starts with one of prefixes (NULL-terminated; NULL: every reason). */
struct rte_tel_data;
void dp_stats_put_drops(struct rte_tel_data *d, unsigned int first, unsigned int last,
			const char *const *prefixes);

static inline void dp_count(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

/* Benchmark timing (-Dbench_cycles builds only): the production loop reads no TSC per packet. */
static inline uint64_t dp_bench_tsc(void)
{
#ifdef SBC_BENCH_CYCLES
	return rte_rdtsc();
#else
	return 0;
#endif
}

/* Add the cycles since t0 to *cycles and one to *count (bench builds; nothing otherwise). */
static inline void dp_bench_count(uint64_t *cycles, uint64_t *count, uint64_t t0)
{
#ifdef SBC_BENCH_CYCLES
	dp_count(cycles, rte_rdtsc() - t0);
	dp_count(count, 1);
#else
	(void)cycles;
	(void)count;
	(void)t0;
#endif
}

#endif
