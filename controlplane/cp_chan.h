/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's end of the shared-memory channel (cp_chan.c): attach, heartbeat, data
 * plane restarts, events in (to the policy and the call records), commands out in order.
 * Runs on the su_root thread.
 */
#ifndef CP_CHAN_H
#define CP_CHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbc_config.h"

struct su_root_s;

/* cfg (channel name, trunk list) must outlive the channel end. */
int cp_chan_start(struct su_root_s *root, const struct sbc_config *cfg);
void cp_chan_stop(void);
bool cp_chan_ready(void);	/* attached, data plane alive and its trunk list checked */
/* Queue a command; it goes into the ring as soon as there is room, in order. */
uint64_t cp_chan_send(uint16_t type, const void *body, uint32_t len);
uint64_t cp_chan_next_generation(void);
uint64_t cp_chan_send_gen(uint16_t type, const void *body, uint32_t len, uint64_t generation);
size_t cp_chan_queued(void);
/* Drain the event ring now (between ticks: an admission verdict is awaited). */
void cp_chan_poll_events(void);
/* A trunk's health, calls out or last code changed: sent (TRUNK_STATE) at the next tick. */
void cp_chan_trunk_changed(unsigned int trunk);

#endif
