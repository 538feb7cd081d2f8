/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL for the unit tests of data-plane tables that live in DPDK memory (rte_hash, rte_fib,
 * rte_rcu_qsbr): no hugepages, no PCI, no shared config, no telemetry socket, a file prefix of
 * this process's own, one lcore. Measured on the development machine: up in 0.3-0.4 s, also
 * as an unprivileged user, so these tests stay in suite 'unit' (fast, nothing to set up).
 * Include after <cmocka.h>.
 */
#ifndef UNIT_EAL_H
#define UNIT_EAL_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#define UNIT_EAL_MEM_MB "512"	/* two banks of DIR-24-8 and trie: 4 x 64 MB of tbl24 */

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

/* EAL released, and its runtime directory (/var/run/dpdk/<prefix>, empty with --no-shconf)
 * removed: a test leaves nothing behind. */
static inline void unit_eal_cleanup(const char *name)
{
	char dir[256];

	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	if (dir[0] != '\0' && rmdir(dir) != 0 && errno != ENOENT)
		fprintf(stderr, "test_%s: %s not removed: %s\n", name, dir, strerror(errno));
}

/*
 * The whole run of a test file: EAL, an RCU variable for one reader thread (*qsv, which the
 * tables are given), the tests (with the group fixtures, which may be NULL), then everything
 * released. cmocka's exit status, 1 when EAL or
 * RCU does not come up.
 */
static inline int unit_eal_run(const char *name, const struct CMUnitTest *tests, size_t n,
			       CMFixtureFunction group_setup, CMFixtureFunction group_teardown,
			       struct rte_rcu_qsbr **qsv)
{
	int rc;

	if (unit_eal_init(name) != 0) {
		fprintf(stderr, "test_%s: EAL init failed\n", name);
		return 1;
	}
	*qsv = rte_zmalloc("unit_rcu", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	if (*qsv == NULL || rte_rcu_qsbr_init(*qsv, 1) != 0) {
		fprintf(stderr, "test_%s: RCU init failed\n", name);
		return 1;
	}
	rc = _cmocka_run_group_tests(name, tests, n, group_setup, group_teardown);
	rte_free(*qsv);
	unit_eal_cleanup(name);
	return rc;
}

#endif
