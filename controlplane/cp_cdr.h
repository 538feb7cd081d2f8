/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Call records (cp_cdr.c): the data plane's call events in, one record per call out to the
 * Redis stream sbc:cdr. Runs on the su_root thread.
 */
#ifndef CP_CDR_H
#define CP_CDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbc_channel.h"
#include "sbc_config.h"

/* For `sbcctl channel` (through the control plane's status message). */
struct cp_cdr_stats {
	uint64_t calls_admitted, calls_ended;	/* call events received */
	uint64_t written;	/* records sbc:cdr took */
	uint64_t pending;	/* records waiting for Redis (gauge) */
	uint64_t lost;		/* records that never reached sbc:cdr: beyond the wait queue or
				 * refused by Redis (one in flight when the connection went is
				 * queued again and sent once Redis is back) */
	uint64_t open;		/* calls admitted and not ended yet (gauge) */
};

/* One call through the B2BUA: what its record says (issue 10's fields). */
#define CP_CDR_USER_MAX 128
struct cp_cdr_call {
	char call_id_in[SBC_CALL_ID_MAX + 1], call_id_out[SBC_CALL_ID_MAX + 1];
	char trunk_in[SBC_TRUNK_NAME_MAX], trunk_out[SBC_TRUNK_NAME_MAX];	/* "" none */
	char tried[SBC_ROUTE_MAX * SBC_TRUNK_NAME_MAX];	/* trunks an INVITE went to, in order */
	char from[CP_CDR_USER_MAX], to[CP_CDR_USER_MAX];	/* user parts */
	uint64_t start_ns, answer_ns, end_ns;	/* CLOCK_REALTIME; answer 0: not answered */
	int code;				/* the caller's final response */
	const char *ended_by;			/* caller, callee, sbc, timeout, media_timeout */
	/* anchored media (issue 12), from the data plane's final figures; "" without them */
	char loss_in[16], loss_out[16];		/* RTP packets lost from the caller / callee */
	char jitter_ms[16];			/* the worse leg's interarrival jitter */
	char mos[8];				/* E-model estimate (cp_media_mos) */
};

/*
 * Before cp_redis_start: registers with the Redis client. cfg must outlive the records. With
 * b2bua set the control plane is the SIP endpoint and writes one record per call itself
 * (cp_cdr_call); the data plane's call events then only feed the gauges.
 */
int cp_cdr_init(const struct sbc_config *cfg, bool b2bua);
/* A call through the B2BUA ended: its one record (waits while Redis is away). */
void cp_cdr_call(const struct cp_cdr_call *c);
/* RFC 3339 UTC with milliseconds ("2026-11-30T07:14:15.123Z"); "" for 0. */
void cp_cdr_time(uint64_t ns, char *buf, size_t len);
void cp_cdr_fini(void);
void cp_cdr_event(const struct sbc_msg *m);	/* SBC_EVT_CALL_ADMITTED / _ENDED */
void cp_cdr_reset(void);			/* the data plane restarted */
void cp_cdr_stats(struct cp_cdr_stats *out);

#endif
