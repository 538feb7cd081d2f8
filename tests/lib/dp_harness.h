/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A whole data plane inside a test program (fuzz_worker, bench_srtp_path): EAL on two net_null
 * vdevs without hugepages or PCI, the channel's shared memory removed at exit, and this thread
 * as worker 0 that also does the main lcore's MEDIA_SET/DEL between turns. Header only: one
 * program is built by meson, the other by run_fuzz.sh with clang.
 */
#ifndef SBC_TESTS_DP_HARNESS_H
#define SBC_TESTS_DP_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/mman.h>

#include <rte_eal.h>
#include <rte_rcu_qsbr.h>

#include "dp.h"
#include "dp_media.h"

/* EAL for one test process: main lcore 0 and lcore 1, wire net_null0 (port 0) and exception
 * net_null1, mem_mb of ordinary memory, logs at log_level ("lib.*:error"), a file prefix of
 * tag and the pid. < 0: EAL refused (its own message is on stderr). */
static inline int dp_harness_eal(const char *prog, const char *tag, const char *mem_mb,
				 const char *log_level)
{
	char prefix[64];
	char *argv[] = {
		(char *)prog, "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
		"-m", (char *)mem_mb, "-l", "0,1", "--log-level", (char *)log_level,
		"--vdev", "net_null0", "--vdev", "net_null1", "--file-prefix", prefix, NULL,
	};

	snprintf(prefix, sizeof(prefix), "%s-%d", tag, (int)getpid());
	return rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv);
}

/* The channel's shm name for a config's `channel =` ("/tag-pid"), removed at exit, also when a
 * check fails (the data plane leaves it, as sbc-dataplane does for its restart). */
static char dp_harness_channel_name[64];

static inline void dp_harness_unlink_channel(void)
{
	shm_unlink(dp_harness_channel_name);
}

static inline const char *dp_harness_channel(const char *tag)
{
	snprintf(dp_harness_channel_name, sizeof(dp_harness_channel_name), "/%s-%d", tag,
		 (int)getpid());
	atexit(dp_harness_unlink_channel);
	return dp_harness_channel_name;
}

/* Before a batch of MEDIA_SET/DEL (or anything else that waits for an RCU grace period): this
 * thread, worker 0 too, offline, so that every grace period is over at once (worker 0 online in
 * this same thread would never end one). */
static inline void dp_harness_batch_begin(void)
{
	rte_rcu_qsbr_thread_offline(dp.qsv, 0);
}

/* After it: nothing to commit but to take the thread back online. */
static inline void dp_harness_online(void)
{
	rte_rcu_qsbr_thread_online(dp.qsv, 0);
}

/* After a batch of MEDIA_SET/DEL: the main loop's commit for the batch, the one that completes
 * it, and this thread back online. */
static inline void dp_harness_media_batch_end(void)
{
	dp_media_commit(NULL);
	dp_media_commit(NULL);
	dp_harness_online();
}

/* a.b.c.d in host order (DPDK 22.11's RTE_IPV4 shifts an int: undefined for a > 127). */
#define DP_HARNESS_IPV4(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* An IPv4 address (host order: DP_HARNESS_IPV4) in a channel message's 16-byte field. */
static inline void dp_harness_v4(uint8_t *a, uint32_t host)
{
	memset(a, 0, 16);
	a[0] = (uint8_t)(host >> 24);
	a[1] = (uint8_t)(host >> 16);
	a[2] = (uint8_t)(host >> 8);
	a[3] = (uint8_t)host;
}

#endif
