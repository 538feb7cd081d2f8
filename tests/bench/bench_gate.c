/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The UDP path's admission, for comparison with the channel's round trip (bench_admit.c): a
 * worker decides on a UDP INVITE inline, with the Call-ID's two keys (call, verdict) and
 * dp_gate_admit (CPS bucket, max_calls slot, call-table insert, verdict cache), the very code
 * the main lcore runs for a TCP/TLS request. Measured here in a loop on the same tables (an EAL
 * without hugepages, as the unit tests), new calls of one trunk with cps and max_calls set high
 * enough that every call is admitted: ns per admission, the best of --rounds (5) rounds of
 * --calls (100,000) calls, each round's calls ended again outside the timed part. The SIP
 * scan before it is not included: the control plane's parser does that work for TCP/TLS.
 * usage: bench_gate [--calls N] [--rounds N]
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "dp.h"
#include "dp_gate.h"
#include "../unit/unit_eal.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned long calls = 100000, rounds = 5;
	struct sbc_config cfg;
	struct rte_rcu_qsbr *qsv;
	struct dp_trunk_stats ts;
	char (*ids)[64];
	double best = 1e18;
	uint64_t tat = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--calls") == 0)
			calls = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--rounds") == 0)
			rounds = strtoul(argv[i + 1], NULL, 10);
	}
	if (unit_eal_init("bench_gate") != 0)
		return 1;
	qsv = rte_zmalloc("bench_rcu", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	sbc_config_defaults(&cfg);
	cfg.calls = (uint32_t)(calls + calls / 4);
	ids = malloc(calls * sizeof(*ids));
	if (qsv == NULL || rte_rcu_qsbr_init(qsv, 1) != 0 || ids == NULL ||
	    dp_calls_init(&cfg, qsv, SOCKET_ID_ANY) != 0) {
		fprintf(stderr, "bench_gate: cannot set up the tables\n");
		return 1;
	}
	for (unsigned long r = 0; r < rounds; r++) {
		uint64_t t0, t1, now = 1000000000000ull + r * 1000000000000ull;
		unsigned long admitted = 0;

		for (unsigned long i = 0; i < calls; i++)
			snprintf(ids[i], sizeof(ids[i]), "%lu-%lu@bench.gate.example", r, i);
		memset(&ts, 0, sizeof(ts));
		t0 = now_ns();
		for (unsigned long i = 0; i < calls; i++) {
			uint32_t len = (uint32_t)strlen(ids[i]);
			struct dp_gate g = {
				.trunk = 0, .cps = 1000000000u, .burst = 1000000000u,
				.max_calls = 0, .tat = &tat,
				.call = dp_calls_key((const uint8_t *)ids[i], len),
				.vkey = dp_calls_vkey(dp_calls_key((const uint8_t *)ids[i], len),
						      (const uint8_t *)"z9hG4bK-bench", 13, 1),
				.call_id = ids[i], .call_id_len = len,
			};
			bool again;

			admitted += dp_gate_admit(&g, now, &ts, &again) == DP_V_ADMITTED && !again;
		}
		t1 = now_ns();
		if (admitted != calls) {
			fprintf(stderr, "bench_gate: %lu of %lu admitted\n", admitted, calls);
			return 1;
		}
		if ((double)(t1 - t0) / (double)calls < best)
			best = (double)(t1 - t0) / (double)calls;
		for (unsigned long i = 0; i < calls; i++) {	/* untimed: back to empty */
			struct dp_key128 k = dp_calls_key((const uint8_t *)ids[i],
							  (uint32_t)strlen(ids[i]));
			struct dp_call c;

			dp_call_end(&k, &c);
		}
		dp_calls_expire(now / 1000000 + 2 * DP_VERDICT_MS, 3600, NULL, NULL);
	}
	printf("inline admission (UDP path, dp_gate_admit + keys): %.0f ns per new call, best of "
	       "%lu rounds of %lu calls\n", best, rounds, calls);
	dp_calls_free();
	free(ids);
	rte_free(qsv);
	unit_eal_cleanup("bench_gate");
	return 0;
}
