/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane's end of the control-plane channel, run by the main lcore only: applies
 * commands to the tables and limits, answers with events, and tracks whether the control
 * plane is alive. When it is not, nothing changes: the last good state stays (fail static).
 */
#ifndef DP_CHANNEL_H
#define DP_CHANNEL_H

#include <stdint.h>

#include <rte_telemetry.h>

#include "sbc_config.h"

/* Live per-trunk limits from the control plane (config values until it sends any). */
struct dp_limits {
	uint32_t cps, burst, max_calls;
	uint64_t generation;	/* 0 = from the configuration */
};

extern struct dp_limits dp_limits[];

/* Admission counters of calls admitted over the channel, [transport][trunk]: TCP and TLS rows
 * (the UDP row stays zero: the workers count those). Written by the main lcore only. */
struct dp_trunk_stats;
extern struct dp_trunk_stats dp_stream_stats[][SBC_MAX_TRUNKS];

int dp_channel_open(void);
/* Drain and apply pending commands; returns how many were handled. */
unsigned int dp_channel_poll(void);
/* --test-commands: apply the sbc_msg records of a file (SBC_MSG_SIZE bytes each, as the control
 * plane would send them) before the workers start; a record that is not valid stops start-up. */
int dp_channel_replay_file(const char *path);
void dp_channel_close(void);
int dp_channel_telemetry(struct rte_tel_data *d);
const char *dp_channel_cp_state(void);
/* What the B2BUA last said about a trunk it sends calls to (TRUNK_STATE); false when it said
 * nothing or the control plane is not alive. Any thread. */
bool dp_channel_trunk_state(unsigned int trunk, struct sbc_msg_trunk_state *out);
/* The control plane's last CP_MEDIA (its media counters and free port pairs): false when none
 * came, or the control plane is not alive. Any thread. */
bool dp_channel_cp_media(struct sbc_msg_cp_media *out);
/* Main lcore only: a call event to the control plane (SBC_EVT_CALL_ADMITTED / _ENDED). */
struct sbc_msg_call;
void dp_channel_call_event(uint16_t type, const struct sbc_msg_call *c);

#endif
