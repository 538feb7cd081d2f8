/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admission of calls that reach the control plane over TCP or TLS (cp_admit.c). The data plane
 * admits UDP INVITEs itself but cannot read a stream; for those the B2BUA asks it over the
 * channel (SBC_CMD_ADMIT) and waits for its verdict, on the same CPS bucket and call table,
 * before the call goes on; it tells it when such a call ends (SBC_CMD_ADMIT_END). No answer
 * within [sbc] admit_wait_ms, or no data plane in sync: fail closed. Runs on the su_root thread.
 */
#ifndef CP_ADMIT_H
#define CP_ADMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "sbc_channel.h"
#include "sbc_config.h"

struct su_root_s;
struct cp_admit_req;

/* What the asker gets: the data plane's verdict (v != NULL), or v == NULL: fail closed. */
typedef void cp_admit_cb(void *arg, const struct sbc_msg_admit_verdict *v);

struct cp_admit_stats {
	uint64_t asked, failclosed, late;
	uint64_t in_time, wait_ns;	/* verdicts within the wait, and the waits summed */
	uint64_t answered[SBC_ADMIT_MAX];
};

int cp_admit_init(struct su_root_s *root, const struct sbc_config *cfg);
void cp_admit_fini(void);

/*
 * Ask for a new call of trunk over transport (SBC_TP_TCP / _TLS). cb runs exactly once, later
 * (never inside this call), unless cp_admit_forget() comes first. NULL when it could not even
 * be asked (no data plane in sync, out of memory): fail closed at once (counted).
 */
struct cp_admit_req *cp_admit_ask(unsigned int trunk, uint8_t transport, const char *call_id,
				  uint32_t cseq, const char *ruri_user, cp_admit_cb *cb, void *arg);

/* The asker is gone (the caller CANCELed while it waited): cb never runs; an admitted answer
 * that still comes is given back at once. */
void cp_admit_forget(struct cp_admit_req *r);

/* A call admitted over the channel ended (reason: enum sbc_call_end): its slot is freed. */
void cp_admit_end(unsigned int trunk, uint8_t transport, const char *call_id, uint8_t reason);

/* From the channel: an SBC_EVT_ADMIT_VERDICT. */
void cp_admit_verdict(const struct sbc_msg *m);

const struct cp_admit_stats *cp_admit_stats(void);

#endif
