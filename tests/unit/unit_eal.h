/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL for the unit tests of data-plane tables that live in DPDK memory (rte_hash, rte_fib,
 * rte_rcu_qsbr): no hugepages, no PCI, no shared config, no telemetry socket, a file prefix of
 * this process's own, one lcore. Measured on the development machine: up in 0.3-0.4 s, also
 * as an unprivileged user, so these tests stay in suite 'unit' (fast, nothing to set up).
 */
#ifndef UNIT_EAL_H
#define UNIT_EAL_H

#include <stdio.h>
#include <unistd.h>

#include <rte_eal.h>

#define UNIT_EAL_MEM_MB "256"	/* two DIR-24-8 banks take 2 x 64 MB */

/* 0, or -1 when EAL does not come up (the test then fails: nothing here needs root). */
static inline int unit_eal_init(const char *name)
{
	char prefix[64];
	char *argv[] = {
		(char *)name, "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
		"-m", UNIT_EAL_MEM_MB, "-l", "0", "--log-level", "lib.*:error",
		"--file-prefix", prefix, NULL,
	};

	snprintf(prefix, sizeof(prefix), "sbc_%s_%d", name, (int)getpid());
	return rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0 ? -1 : 0;
}

#endif
