/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The main lcore's share of the calls: the workers' call events passed on to the control
 * plane, and the call timers (Timer B, Timer C, max_call_duration, the verdict cache's 32 s)
 * run on the data plane's clock. Main lcore only; the stats socket reads the counters.
 */
#ifndef DP_TIMERS_H
#define DP_TIMERS_H

#include <stdint.h>

/* One turn of the main loop: forward the workers' call events, expire what is due. Returns
 * the number of events forwarded (the main loop's sign of traffic). */
unsigned int dp_timers_tick(void);

/* Calls the timers ended, per trunk and reason (enum sbc_call_end), for the stats socket. */
uint64_t dp_timers_ended(uint32_t trunk, unsigned int reason);

#endif
