/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one configuration file both processes read (INI, parsed by libinih): [sbc], [dataplane],
 * [redis] and one [trunk NAME] per peer group. Every bad line stops start-up with
 * "file:line: what is wrong"; nothing is guessed. No DPDK here.
 */
#ifndef SBC_CONFIG_H
#define SBC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbc_cidr.h"

#define SBC_MAX_TRUNKS 1024
#define SBC_TRUNK_NAME_MAX 32	/* including the NUL: names are 1-31 characters */
#define SBC_DEVNAME_MAX 128
#define SBC_SIP_PORT_DEFAULT 5060	/* RFC 3261 19.1.2: SIP over UDP and TCP */
#define SBC_REDIS_PORT_DEFAULT 6379

enum sbc_unlisted_mode { SBC_UNLISTED_DROP, SBC_UNLISTED_REJECT };
enum sbc_auth_mode { SBC_AUTH_IP, SBC_AUTH_DIGEST, SBC_AUTH_BOTH };
enum sbc_over_limit { SBC_OVER_LIMIT_REJECT, SBC_OVER_LIMIT_DROP };

#define SBC_EMERGENCY_MAX 16	/* emergency numbers */
#define SBC_EMERGENCY_LEN 16	/* digits of one, including the NUL */

struct sbc_trunk_config {
	char name[SBC_TRUNK_NAME_MAX];
	unsigned int line;		/* line of the [trunk NAME] header */
	enum sbc_auth_mode auth;
	uint32_t cps;			/* new calls per second; 0 = no cap */
	uint32_t burst;
	uint32_t max_calls;		/* concurrent calls; 0 = no cap */
	enum sbc_over_limit over_limit;	/* 503 or silent drop over a cap */
	struct sbc_prefix *peers;	/* seed allowlist */
	unsigned int *peer_lines;	/* where each peer was written, for error messages */
	uint32_t n_peers, cap_peers;
	uint64_t seen;			/* keys already set in this section (bit per key) */
};

struct sbc_config {
	char path[4096];

	/* [sbc] */
	uint8_t address[4];
	bool has_address6;
	uint8_t address6[16];
	bool has_gateway;
	uint8_t gateway[4];
	uint16_t sip_port;
	enum sbc_unlisted_mode unlisted;
	uint32_t reject_rate;		/* 403 responses per second, whole SBC */
	uint16_t media_port_min, media_port_max;
	char emergency[SBC_EMERGENCY_MAX][SBC_EMERGENCY_LEN];	/* never capped */
	unsigned int n_emergency;
	uint32_t max_call_duration;	/* seconds a call may last without a BYE */
	uint32_t retry_after;		/* seconds, in the 503's Retry-After */

	/* [dataplane] */
	char wire[SBC_DEVNAME_MAX];
	char exception[SBC_DEVNAME_MAX];
	unsigned int workers;
	char channel[SBC_DEVNAME_MAX];
	uint32_t mbufs;
	uint32_t acl_v4_rules, acl_v4_tbl8, acl_v6_rules, acl_v6_tbl8;
	uint32_t calls;			/* call table: concurrent calls over all trunks */
	uint32_t frag_flows;		/* IP reassembly: datagrams in flight per worker */
	uint32_t frag_timeout_ms;

	/* [redis] */
	char redis_address[256];
	char redis_password[256];	/* never logged, never on the stats socket */
	unsigned int redis_database;

	struct sbc_trunk_config *trunks;
	unsigned int n_trunks;
};

/* Defaults for everything, no trunks. */
void sbc_config_defaults(struct sbc_config *cfg);

/*
 * Load and validate a configuration file. On error returns -EINVAL (or -errno when the file
 * cannot be read) and writes "file:line: message" into err.
 */
int sbc_config_load(struct sbc_config *cfg, const char *path, char *err, size_t errlen);

/* The same from a string (tests); name stands for the file name in messages. */
int sbc_config_load_string(struct sbc_config *cfg, const char *text, const char *name,
			   char *err, size_t errlen);

void sbc_config_free(struct sbc_config *cfg);

/* Index of the trunk with that name, or -1. */
int sbc_config_trunk_index(const struct sbc_config *cfg, const char *name);

#endif
