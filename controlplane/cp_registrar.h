/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registrar (cp_registrar.c) for floor trunks with auth = digest | both: REGISTERs are
 * challenged and checked here (our own nonces and digest checks on OpenSSL, HA1 from Redis
 * sbc:user:<trunk>:<user>), bindings kept in sbc:reg:<trunk>:<user>@<realm> and as dynamic
 * allowlist entries of their trunk; failed authentications counted per source for the lockout
 * (sbc:deny:<ip>). Runs on the su_root thread.
 */
#ifndef CP_REGISTRAR_H
#define CP_REGISTRAR_H

#include <stdint.h>

#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>

#include "sbc_config.h"

struct su_root_s;

struct cp_registrar_stats {
	uint64_t registers;	/* REGISTERs taken */
	uint64_t challenged;	/* 401 with a fresh nonce (no or stale credentials) */
	uint64_t accepted;	/* 200 */
	uint64_t failed;	/* authentication failures (counted for the lockout) */
	uint64_t refused;	/* 403/404: locked out, not our realm, auth = both from an
				 * unlisted source */
	uint64_t lockouts;	/* sources denied */
	uint64_t bindings;	/* gauge */
	uint64_t dynacl_expired;	/* allowlist entries whose TTL removed them, not their binding */
	uint64_t answered_again;	/* retransmissions answered from cp_regcache, unchecked */
	uint64_t absorbed;	/* retransmissions while their first copy waited for Redis */
	uint64_t busy;		/* 503: CP_REG_PENDING_MAX REGISTERs already waiting for Redis */
	uint64_t pending;	/* gauge: REGISTERs waiting for Redis */
	uint64_t answers_kept;	/* gauge: recent answers in cp_regcache */
	uint64_t answers_evicted;	/* pushed out of it before CP_REGCACHE_LIFE_MS */
};

/* REGISTERs that may wait for their HA1 from Redis at once, each holding its request message
 * (a few KB; at most tcp_max_message): at 5,000 a second that is 50 ms of Redis latency. */
#define CP_REG_PENDING_MAX 256

/* Before cp_redis_start (a listener: bindings replayed from Redis at each connect). */
int cp_registrar_init(struct su_root_s *root, const struct sbc_config *cfg);
void cp_registrar_stop(void);	/* before the su_root goes */
void cp_registrar_fini(void);
/* A REGISTER outside any dialog, answered statelessly now or once Redis gave its user's HA1
 * (cp_sip_answer); takes msg. */
void cp_registrar_request(msg_t *msg, sip_t const *sip);
/* The Contact of trunk's binding for user (the Request-URI user of a call), else its most
 * recent binding; allocated in home. NULL when the trunk has no binding. */
url_t *cp_registrar_contact(su_home_t *home, unsigned int trunk, const char *user);
const struct cp_registrar_stats *cp_registrar_stats(void);

#endif
