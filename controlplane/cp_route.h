/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Trunk routing (cp_route.c): which trunk a request comes from (longest prefix of its source
 * over every trunk's allowlist, as the data plane decided), where its calls go (the trunk's
 * `route`, or the Redis override sbc:route:<trunk>), which trunk of that route is tried next
 * (up, under max_calls_out) and whether a final response moves the call on (failover_codes).
 * Also each trunk's live state (health, OPTIONS misses, calls out, last code) that cp_health
 * publishes. Pure bookkeeping, no I/O; runs on the su_root thread.
 */
#ifndef CP_ROUTE_H
#define CP_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbc_config.h"

/* A carrier's upstream registration (register = yes, cp_register.c). */
enum cp_reg_state { CP_REG_NONE, CP_REG_OFF, CP_REG_REGISTERED, CP_REG_FAILED, CP_REG_DOWN };

struct cp_route_trunk {
	const struct sbc_trunk_config *cfg;
	bool up;			/* OPTIONS health: a trunk starts up */
	uint32_t misses;		/* consecutive OPTIONS without an answer */
	uint32_t calls_out;		/* calls the SBC has sent there and not ended */
	int last_code;			/* last final response to a call sent there (0: none) */
	bool has_override;		/* sbc:route:<trunk> exists: it replaces `route` */
	uint16_t override[SBC_ROUTE_MAX];
	unsigned int n_override;
	enum cp_reg_state reg;		/* DOWN: routes skip it until a REGISTER succeeds */
	uint32_t reg_failures;		/* consecutive failed REGISTER attempts */
	uint64_t reg_expires;		/* Unix time the registration runs out (0: none) */
	int reg_code;			/* last final response to a REGISTER (0: none) */
};

/* "registered", "failed", "down", "off" (NONE: ""). */
const char *cp_reg_state_name(enum cp_reg_state s);

/* A trunk's state changed (health, misses, calls_out, last_code): cp_health publishes it. */
typedef void (*cp_route_changed_f)(unsigned int trunk);

/* One entry per [trunk] of cfg, which must outlive the routing. */
int cp_route_init(const struct sbc_config *cfg, cp_route_changed_f changed);
void cp_route_fini(void);
struct cp_route_trunk *cp_route_trunk(unsigned int id);
bool cp_route_active(void);	/* some trunk routes calls: the control plane is the SIP endpoint */

/* The trunk of a source address (family SBC_AF_V4 / SBC_AF_V6, network order), or -ENOENT. */
int cp_route_trunk_of(uint8_t family, const uint8_t *addr);

/*
 * The next trunk to try for a call from `from`, from route position *pos on (advanced past it),
 * skipping trunks that are down or at max_calls_out (RFC 3263 4.3: an unusable target is
 * skipped, not tried). Its id, or -ENOENT when the route has no more; *skipped counts the
 * trunks passed over.
 */
int cp_route_next(unsigned int from, unsigned int *pos, unsigned int *skipped);
unsigned int cp_route_len(unsigned int from);
/* Does final status `code` from trunk `to` move the call to the next trunk of the route? */
bool cp_route_fails_over(unsigned int to, int code);

/* Calls sent to a trunk, and the last final code from it (for sbc:state and the caps). */
void cp_route_call_out(unsigned int to, int delta);
void cp_route_last_code(unsigned int to, int code);
/* An OPTIONS answer (any response from the trunk) or a miss (none within the interval). */
void cp_route_options_answer(unsigned int to, int code);
void cp_route_options_miss(unsigned int to);
/* The upstream registration of trunk `to` changed. */
void cp_route_registration(unsigned int to, enum cp_reg_state s, uint32_t failures,
			   uint64_t expires, int code);

/* The members of sbc:route:<trunk> (NULL, 0: the key is gone). Bad names are skipped, each
 * reported through bad(); 0, or -ENOENT for an unknown trunk. */
typedef void (*cp_route_bad_f)(void *arg, const char *value, size_t len, const char *why);
int cp_route_override(unsigned int trunk, bool exists, const char *const *names,
		      const size_t *lens, size_t n, cp_route_bad_f bad, void *arg);

#endif
