/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-source limits on the SIP agent's TCP and TLS connections (cp_conn.c): connections one
 * source address may hold open ([sbc] tcp_conns_per_source), counted at accept. The other
 * limits (idle timeout, time and bytes for a half-received message) are Sofia-SIP's own
 * transport parameters, set by cp_sip.c; see README "TCP and TLS connections".
 */
#ifndef CP_CONN_H
#define CP_CONN_H

#include <stdint.h>

#include "sbc_config.h"

struct cp_conn_stats {
	uint64_t accepted;	/* connections let in */
	uint64_t refused;	/* closed at once: the source had tcp_conns_per_source open */
	uint64_t open;		/* accepted and not closed yet (gauge) */
	uint64_t idle_closed;	/* shut down: nothing received within tcp_idle_timeout */
};

/* From now on accept() applies cfg's per-source cap (before: every connection is let in). */
struct su_root_s;
int cp_conn_init(struct su_root_s *root, const struct sbc_config *cfg);
void cp_conn_fini(void);
const struct cp_conn_stats *cp_conn_stats(void);

#endif
