/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The B2BUA (cp_b2bua.c): every call is two dialogs, the caller's (a floor) and the callee's
 * (a carrier of the caller's route), bridged on nta transactions; failover along the route,
 * topology hiding, in-dialog requests relayed, one CDR per call. Runs on the su_root thread.
 */
#ifndef CP_B2BUA_H
#define CP_B2BUA_H

#include <stdint.h>

#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>

#include "sbc_config.h"

struct cp_b2bua_stats {
	uint64_t calls;		/* INVITEs taken as new calls */
	uint64_t calls_out;	/* INVITEs sent to a trunk (each failover sends one more) */
	uint64_t answered;
	uint64_t refused;	/* 403 before a call: no trunk for the source, or no route */
	uint64_t failovers;	/* INVITEs sent again to the next trunk of a route */
	uint64_t active;	/* calls not ended yet (gauge) */
	uint64_t too_many_hops;	/* requests that came with Max-Forwards 0 (483) */
	/* calls that ended unanswered, by why */
	uint64_t failed_callee;		/* the last trunk's final failure, relayed */
	uint64_t failed_timeout;	/* no final answer within Timer B */
	uint64_t failed_no_trunk;	/* no trunk of the route could be tried (503) */
	uint64_t failed_admission;	/* TCP/TLS: refused by the data plane's admission (over a
					 * cap: 503) or no verdict in time (fail closed: 503) */
	uint64_t failed_internal;	/* the SBC's own error (500) */
	uint64_t canceled;		/* the caller's CANCEL or early BYE */
	uint64_t session_expired;	/* answered calls ended by their session timer (RFC 4028 10) */
	/* anchored media (issue 12) */
	uint64_t media_refused;		/* 500/503: the data plane refused a session or did not
					 * confirm it in time, none in sync, or its id was taken */
	uint64_t media_timeouts;	/* calls ended by SBC_EVT_MEDIA_TIMEOUT */
	uint64_t sdp_rejected;		/* 488: no allowed codec, no usable audio or crypto */
	uint64_t srtp_no_tls;		/* srtp = sdes without TLS: calls refused (403), and
					 * attempts skipped (a registered contact not over TLS) */
};

struct su_root_s;

int cp_b2bua_init(struct su_root_s *root, const struct sbc_config *cfg);
void cp_b2bua_stop(void);	/* before the su_root goes: its timer */
void cp_b2bua_fini(void);	/* after: the rest (calls still open get no record) */
/* A new INVITE outside any dialog (from cp_sip's default leg): a status for nta, or 0 when
 * the call took the transaction. */
int cp_b2bua_invite(nta_incoming_t *irq, sip_t const *sip);
const struct cp_b2bua_stats *cp_b2bua_stats(void);

#endif
