/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Call records (cp_cdr.c): the data plane's call events in, one record per call out to the
 * Redis stream sbc:cdr. Runs on the su_root thread.
 */
#ifndef CP_CDR_H
#define CP_CDR_H

#include <stdint.h>

#include "sbc_channel.h"
#include "sbc_config.h"

/* For `sbcctl channel` (through the control plane's status message). */
struct cp_cdr_stats {
	uint64_t calls_admitted, calls_ended;	/* call events received */
	uint64_t written;	/* records sbc:cdr took */
	uint64_t pending;	/* records waiting for Redis (gauge) */
	uint64_t lost;		/* records that never reached sbc:cdr: beyond the wait queue,
				 * refused by Redis, or in flight when the connection went */
	uint64_t open;		/* calls admitted and not ended yet (gauge) */
};

/* Before cp_redis_start: registers with the Redis client. cfg must outlive the records. */
int cp_cdr_init(const struct sbc_config *cfg);
void cp_cdr_fini(void);
void cp_cdr_event(const struct sbc_msg *m);	/* SBC_EVT_CALL_ADMITTED / _ENDED */
void cp_cdr_reset(void);			/* the data plane restarted */
void cp_cdr_stats(struct cp_cdr_stats *out);

#endif
