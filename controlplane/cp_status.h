/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's status message (cp_status.c): what only this process knows, gathered
 * from each role, sent to the data plane once a second and shown by `sbcctl channel`.
 */
#ifndef CP_STATUS_H
#define CP_STATUS_H

#include "sbc_channel.h"

/* Every field but queued (the channel end's own). */
void cp_status_fill(struct sbc_msg_cp_status *s);
/* The B2BUA's, admission, connection and allowlist-slicing counters (all but
 * loop_late_max_ms). */
void cp_status_fill_calls(struct sbc_msg_cp_calls *s);
/* Anchored media: the B2BUA's and cp_media's counters, the port pools. */
void cp_status_fill_media(struct sbc_msg_cp_media *s);
void cp_status_fill_registrar(struct sbc_msg_cp_registrar *s);

#endif
