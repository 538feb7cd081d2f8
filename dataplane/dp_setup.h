/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane's start and release (dp_setup.c), main lcore, EAL up and dp.cfg loaded.
 */
#ifndef DP_SETUP_H
#define DP_SETUP_H

/*
 * Pool, clock, libsrtp2, RCU, tables, workers (not launched), allowlists, ports (started), the
 * channel, test_commands' records (NULL: none), the stats socket. conf: the configuration's
 * path, for messages. 0, or -errno with the reason printed.
 */
int dp_setup(const char *conf, const char *test_commands);

/* The tables and the configuration freed (after the workers stopped and the ports closed). */
void dp_teardown(void);

#endif
