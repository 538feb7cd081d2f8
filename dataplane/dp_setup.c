/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane's start (dp_setup.h), on the main lcore before any worker runs: the mbuf pool
 * and clock, libsrtp2, RCU and the tables the workers read, the workers' own state, the
 * configuration's allowlists, the ports, the channel (and --test-commands' records), the stats
 * socket; and their release. sbc-dataplane (dp_main.c) runs it, and so does the SRTP path
 * benchmark (tests/bench/bench_srtp_path.c), which then feeds worker 0 itself.
 */
#include <errno.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "dp.h"
#include "dp_calls.h"
#include "dp_channel.h"
#include "dp_deny.h"
#include "dp_frag.h"
#include "dp_media.h"
#include "dp_neigh.h"
#include "dp_regrate.h"
#include "dp_setup.h"
#include "dp_srtp.h"

#define MBUF_CACHE 256		/* per-lcore mbuf cache of the pool */
#define EVENT_RING 4096		/* call events a worker may queue for the main lcore */
#define CALL_BYTES 480		/* about what one call costs: record, keys, verdict */

static int setup_rcu(void)
{
	size_t rcu_sz = rte_rcu_qsbr_get_memsize(dp.n_workers);

	dp.qsv = rte_zmalloc("sbc_rcu", rcu_sz, RTE_CACHE_LINE_SIZE);
	if (dp.qsv == NULL || rte_rcu_qsbr_init(dp.qsv, dp.n_workers) != 0)
		return -ENOMEM;
	return 0;
}

/* A worker's unlisted-REGISTER buckets, only while some trunk takes digest credentials. */
static int setup_regrate(struct dp_worker *w, int socket)
{
	void *mem;

	if (!sbc_config_takes_digest(&dp.cfg))
		return 0;
	w->regrate = rte_zmalloc_socket("sbc_regrate", sizeof(*w->regrate), RTE_CACHE_LINE_SIZE,
					socket);
	mem = rte_zmalloc_socket("sbc_regrate_sets", dp_regrate_bytes(dp.cfg.register_sources),
				 RTE_CACHE_LINE_SIZE, socket);
	if (w->regrate == NULL || mem == NULL)
		return -ENOMEM;
	return dp_regrate_init(w->regrate, dp.cfg.register_sources, dp.cfg.register_rate,
			       rte_rand(), mem);
}

static int setup_workers(void)
{
	unsigned int lcore, i = 0;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct dp_worker *w;
		int socket = (int)rte_lcore_to_socket_id(lcore);

		if (i == dp.n_workers)
			break;
		w = rte_zmalloc_socket("sbc_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
		if (w == NULL)
			return -ENOMEM;
		w->trunk_stats = rte_zmalloc_socket("sbc_trunk_stats",
						    sizeof(*w->trunk_stats) * SBC_MAX_TRUNKS,
						    RTE_CACHE_LINE_SIZE, socket);
		if (w->trunk_stats == NULL)
			return -ENOMEM;
		w->acl_hits = rte_zmalloc_socket("sbc_acl_hits", sizeof(uint64_t) * dp_acl_slots(dp.acl),
						 RTE_CACHE_LINE_SIZE, socket);
		if (w->acl_hits == NULL)
			return -ENOMEM;
		dp_acl_set_hits(dp.acl, i, w->acl_hits);
		{
			char name[RTE_RING_NAMESIZE];

			snprintf(name, sizeof(name), "sbc_ev%u", i);
			w->events = rte_ring_create_elem(name, sizeof(struct sbc_msg_call), EVENT_RING,
							 socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (w->events == NULL)
				return -ENOMEM;
		}
		if (dp_frag_setup(w, &dp.cfg, socket) != 0 || setup_regrate(w, socket) != 0)
			return -ENOMEM;
		w->id = i;
		w->lcore = lcore;
		dp.workers[i++] = w;
	}
	return 0;
}

/* Per-worker parameters that depend on the ports' queue counts. */
static void assign_queues(void)
{
	double per_worker = (double)dp.cfg.reject_rate / dp.wire_queues;

	for (unsigned int i = 0; i < dp.n_workers; i++) {
		struct dp_worker *w = dp.workers[i];

		w->active = i < dp.wire_queues;
		w->wire_queue = (uint16_t)(w->active ? i : 0);
		w->polls_exception = i == 0;
		w->exc_txq = (uint16_t)(dp.exc_direct ? i : 0);
		w->reject_rate = per_worker / (double)rte_get_tsc_hz();
		w->reject_burst = per_worker < 1.0 ? 1.0 : per_worker;
		w->reject_tokens = dp.cfg.reject_rate == 0 ? 0 : w->reject_burst;
		if (dp.cfg.reject_rate == 0)
			w->reject_rate = 0;
	}
}

static int load_allowlists(void)
{
	uint64_t t0 = rte_rdtsc(), n = 0;
	char err[512];

	for (unsigned int t = 0; t < dp.cfg.n_trunks; t++) {
		const struct sbc_trunk_config *tc = &dp.cfg.trunks[t];
		int rc = dp_acl_replace(dp.acl, t, tc->peers, tc->n_peers, err, sizeof(err));

		if (rc != 0) {
			fprintf(stderr, "%s:%u: trunk '%s': %s\n", dp.cfg.path, tc->line, tc->name,
				err);
			return rc;
		}
		n += tc->n_peers;
	}
	printf("sbc-dataplane: %llu allowlist prefixes from %s in %.1f ms\n", (unsigned long long)n,
	       dp.cfg.path, (double)(rte_rdtsc() - t0) * 1000.0 / (double)rte_get_tsc_hz());
	return 0;
}

/* The TCP source ports a listed peer's SIP may come from (see dp.sip_peer_sports). */
static void set_sip_peer_sports(void)
{
	for (unsigned int t = 0; t < dp.cfg.n_trunks; t++) {
		uint16_t port = dp.cfg.trunks[t].uri[0] ? sbc_uri_port(dp.cfg.trunks[t].uri) : 0;

		if (port != 0)
			dp.sip_peer_sports[port >> 6] |= 1ull << (port & 63);
	}
}

/* The data plane's clock, the response constants, the mbuf pool and libsrtp2. */
static int setup_basics(const char *conf)
{
	dp.n_workers = dp.cfg.workers;
	set_sip_peer_sports();
	if (rte_lcore_count() < dp.n_workers + 1) {
		fprintf(stderr,
			"%s: [dataplane] workers = %u needs %u lcores (main + workers) but EAL has %u; "
			"pass e.g. -l 0-%u\n", conf, dp.n_workers, dp.n_workers + 1,
			rte_lcore_count(), dp.n_workers);
		return -EINVAL;
	}
	dp.tag_secret = rte_rand();
	dp.start_tsc = rte_rdtsc();
	dp.ns_per_tsc_q32 = (uint64_t)(((unsigned __int128)1000000000ull << 32) / rte_get_tsc_hz());
	snprintf(dp.retry_after, sizeof(dp.retry_after), "Retry-After: %u\r\n", dp.cfg.retry_after);
	dp.pool = rte_pktmbuf_pool_create("sbc_mbufs", dp.cfg.mbufs, MBUF_CACHE, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (dp.pool == NULL) {
		fprintf(stderr, "sbc-dataplane: mbuf pool of %u: %s\n", dp.cfg.mbufs,
			rte_strerror(rte_errno));
		return -ENOMEM;
	}
	/* libsrtp2 once, before the first MEDIA_SET creates a context */
	if (dp_srtp_init() != 0) {
		fprintf(stderr, "sbc-dataplane: libsrtp2 (%s) failed to initialise\n",
			dp_srtp_backend());
		return -EIO;
	}
	printf("sbc-dataplane: SRTP: %s, %s crypto; %s\n", dp_srtp_version(), dp_srtp_backend(),
	       dp_srtp_crypto());
	return 0;
}

/* RCU, the allowlist banks and the call table: what the workers read. */
static int setup_tables(void)
{
	if (setup_rcu() != 0) {
		fprintf(stderr, "sbc-dataplane: out of memory for RCU\n");
		return -ENOMEM;
	}
	dp.acl = dp_acl_create(&dp.cfg, dp.qsv, (int)rte_socket_id());
	if (dp.acl == NULL) {
		fprintf(stderr, "sbc-dataplane: allowlist tables (%u IPv4 / %u IPv6 rules): %s\n",
			dp.cfg.acl_v4_rules, dp.cfg.acl_v6_rules, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	if (dp_deny_create(dp.cfg.deny_entries, dp.qsv) != 0) {
		fprintf(stderr, "sbc-dataplane: denylist of %u entries ([dataplane] deny_entries): "
			"out of memory; give EAL more (-m) or lower deny_entries\n",
			dp.cfg.deny_entries);
		return -ENOMEM;
	}
	dp_neigh_init();
	if (dp_media_create(&dp.cfg, dp.qsv, (int)rte_socket_id()) != 0) {
		fprintf(stderr, "sbc-dataplane: media table of %u sessions ([dataplane] "
			"media_sessions, about %u MB): out of memory; give EAL more (-m) or lower "
			"media_sessions\n", dp_media_capacity(&dp.cfg),
			(unsigned int)((uint64_t)dp_media_capacity(&dp.cfg) * 1024 >> 20));
		return -ENOMEM;
	}
	if (dp_calls_init(&dp.cfg, dp.qsv, (int)rte_socket_id()) != 0) {
		fprintf(stderr, "sbc-dataplane: call table of %u calls ([dataplane] calls, about %u MB): "
			"out of memory; give EAL more (-m) or lower calls\n", dp.cfg.calls,
			(unsigned int)((uint64_t)dp.cfg.calls * CALL_BYTES >> 20));
		return -ENOMEM;
	}
	return 0;
}

/* Workers, the configuration's allowlists, ports, the channel and the stats socket. */
static int setup_rest(const char *test_commands)
{
	if (setup_workers() != 0) {
		fprintf(stderr, "sbc-dataplane: out of memory for workers\n");
		return -ENOMEM;
	}
	/* No worker runs yet: replace's RCU wait returns at once. */
	if (load_allowlists() != 0 || dp_port_setup(&dp) != 0)
		return -EINVAL;
	assign_queues();
	if (dp_channel_open() != 0)
		return -EIO;
	if (test_commands != NULL && dp_channel_replay_file(test_commands) != 0)
		return -EINVAL;
	if (dp_stats_register() != 0 || dp_deny_telemetry_register() != 0 ||
	    dp_media_telemetry_register() != 0)
		fprintf(stderr, "sbc-dataplane: some /sbc/ telemetry commands did not register\n");
	return 0;
}

int dp_setup(const char *conf, const char *test_commands)
{
	int rc = setup_basics(conf);

	if (rc == 0)
		rc = setup_tables();
	if (rc == 0)
		rc = setup_rest(test_commands);
	return rc;
}

void dp_teardown(void)
{
	dp_acl_free(dp.acl);
	dp_calls_free();
	dp_deny_free();
	dp_media_free();
	sbc_config_free(&dp.cfg);
}
