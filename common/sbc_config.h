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
#define SBC_SIPS_PORT_DEFAULT 5061	/* RFC 3261 19.1.2: SIP over TLS */
#define SBC_REDIS_PORT_DEFAULT 6379

enum sbc_unlisted_mode { SBC_UNLISTED_DROP, SBC_UNLISTED_REJECT };
/* ip: listed prefixes only; digest: registration (the registrar's credentials); both: a listed
 * source and valid credentials */
enum sbc_auth_mode { SBC_AUTH_IP, SBC_AUTH_DIGEST, SBC_AUTH_BOTH };
/* Digest algorithms a registrar trunk offers (the values of cp_digest's enum cp_digest_alg) */
enum sbc_digest_alg { SBC_DIGEST_MD5, SBC_DIGEST_SHA256, SBC_DIGEST_N };
enum sbc_over_limit { SBC_OVER_LIMIT_REJECT, SBC_OVER_LIMIT_DROP };
/* role: NONE until set; required on every trunk once any trunk has a route */
enum sbc_trunk_role { SBC_ROLE_NONE, SBC_ROLE_FLOOR, SBC_ROLE_CARRIER };
/* media: relay (anchored in the data plane) or direct (SDP untouched, media end to end) */
enum sbc_media_mode { SBC_MEDIA_MODE_RELAY, SBC_MEDIA_MODE_DIRECT };
/* srtp: no (plain RTP on this trunk's legs) or sdes (RFC 4568 keys in the SDP, TLS only) */
enum sbc_srtp_mode { SBC_SRTP_MODE_NO, SBC_SRTP_MODE_SDES };
/* [dataplane] poll: workers poll flat out, or sleep a growing while after empty polls */
enum sbc_poll_mode { SBC_POLL_BUSY, SBC_POLL_ADAPTIVE };

#define SBC_ROUTE_MAX 16		/* trunks in one route */
#define SBC_URI_MAX 256
#define SBC_PATH_MAX 1024
#define SBC_CDR_MAXLEN_DEFAULT 1000000u
#define SBC_OPTIONS_INTERVAL_DEFAULT 30	/* seconds between OPTIONS pings */
#define SBC_OPTIONS_MISSES_DEFAULT 3

#define SBC_CRED_MAX 128		/* username, password, realm, including the NUL */
#define SBC_REG_EXPIRES_DEFAULT 600	/* seconds asked of a carrier's registrar */
#define SBC_AUTH_FAILURES_DEFAULT 5	/* lockout: K failures ... */
#define SBC_AUTH_WINDOW_DEFAULT 60	/* ... within T s ... */
#define SBC_LOCKOUT_DEFAULT 600		/* ... deny the source D s */

#define SBC_MEDIA_ADDRS_MAX 8		/* [sbc] media_addresses of each family */
#define SBC_MEDIA_TIMEOUT_DEFAULT 60	/* seconds without media before a call is ended */
#define SBC_CODECS_MAX 16		/* codecs = names a trunk allows */
#define SBC_CODEC_NAME_MAX 32		/* an rtpmap encoding name, including the NUL */

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

	/* the B2BUA's view (issue 10) */
	enum sbc_trunk_role role;
	char uri[SBC_URI_MAX];		/* sip:/sips: where it is reached; "" = not reachable */
	char route[SBC_ROUTE_MAX][SBC_TRUNK_NAME_MAX];	/* calls from it go there, in order */
	unsigned int n_route, route_line;
	uint64_t failover[10];		/* bit per status 0-639: final codes that fail over */
	uint32_t max_calls_out;		/* concurrent calls sent to it; 0 = no cap */
	uint32_t options_interval;	/* seconds; 0 = no OPTIONS ping */
	uint32_t options_misses;	/* consecutive misses that make it down */

	/* registration (issue 11): upstream to a carrier (reg), or as a registrar (auth digest) */
	bool reg;			/* register = yes: keep a registration at uri */
	char username[SBC_CRED_MAX];
	char password[SBC_CRED_MAX];	/* or the first line of password_file; never logged */
	char password_file[SBC_PATH_MAX];
	unsigned int password_file_line;
	char realm[SBC_CRED_MAX];	/* "" = any (carrier) / the SBC's address (registrar) */
	uint32_t expires;		/* asked for, 60-3600 s */
	/* registrar: the algorithms its 401 offers, one challenge each in this order (RFC 8760
	 * 2.4: preferred first); credentials with another are refused. Default SHA-256, MD5. */
	enum sbc_digest_alg algorithms[SBC_DIGEST_N];
	unsigned int n_algorithms;

	/* media (issue 12) */
	enum sbc_media_mode media;	/* relay (default) or direct */
	bool media_latch;		/* learn the remote from the first packet (NAT) */
	enum sbc_srtp_mode srtp;	/* sdes: SRTP on this trunk's legs, TLS signalling only */
	char codecs[SBC_CODECS_MAX][SBC_CODEC_NAME_MAX];	/* allowed, in order; none = any */
	unsigned int n_codecs;
};

/* Is this final status a failover code of t (default 408, 500-599)? */
static inline int sbc_trunk_fails_over(const struct sbc_trunk_config *t, unsigned int code)
{
	return code < 640 && (t->failover[code / 64] >> (code % 64)) & 1;
}

/* Can a route send calls to t: it has a uri, or (auth = digest|both) its registered contacts.
 * The one test of the configuration's routes and of the live ones (sbc:route:<trunk>). */
static inline bool sbc_trunk_routable(const struct sbc_trunk_config *t)
{
	return t->uri[0] != '\0' || t->auth != SBC_AUTH_IP;
}

struct sbc_config {
	char path[4096];

	/* [sbc] */
	uint8_t address[4];
	uint8_t address_plen;		/* "address = A/LEN": the on-link prefix; 0: not given */
	bool has_address6;
	uint8_t address6[16];
	uint8_t address6_plen;		/* likewise for address6 */
	bool has_gateway;
	uint8_t gateway[4];		/* next hop off-link (IPv4) */
	bool has_gateway6;
	uint8_t gateway6[16];		/* next hop off-link (IPv6) */
	uint16_t sip_port;
	enum sbc_unlisted_mode unlisted;
	uint32_t reject_rate;		/* 403 responses per second, whole SBC */
	uint32_t register_rate;		/* REGISTERs per second (and burst) one unlisted source
					 * may send to the control plane; 0 = none */
	uint16_t media_port_min, media_port_max;
	/* media_addresses: more local addresses for media only (more sessions than one
	 * address's ports hold); the kernel side must own them too (ARP/ND) */
	uint8_t media_addr4[SBC_MEDIA_ADDRS_MAX][4];
	unsigned int n_media_addr4;
	uint8_t media_addr6[SBC_MEDIA_ADDRS_MAX][16];
	unsigned int n_media_addr6;
	uint32_t media_timeout;		/* seconds without a packet on either leg (held exempt) */
	char emergency[SBC_EMERGENCY_MAX][SBC_EMERGENCY_LEN];	/* never capped */
	unsigned int n_emergency;
	uint32_t max_call_duration;	/* seconds a call may last without a BYE */
	uint32_t retry_after;		/* seconds, in the 503's Retry-After */
	uint16_t tls_port;		/* SIP over TLS; 0 = off */
	char tls_certificate[SBC_PATH_MAX], tls_key[SBC_PATH_MAX], tls_ca[SBC_PATH_MAX];
	uint32_t auth_failures;		/* lockout: this many failed authentications */
	uint32_t auth_window;		/* within this many seconds */
	uint32_t lockout;		/* deny the source this many seconds */
	/* TCP/TLS calls: admission over the channel, and the control plane's connections */
	uint32_t admit_wait_ms;		/* data plane's answer awaited this long, then 503 */
	uint32_t tcp_conns_per_source;	/* open TCP/TLS connections one address may hold */
	uint32_t tcp_idle_timeout;	/* seconds a connection may stay without a message */
	uint32_t tcp_message_timeout;	/* ms a message may take to arrive whole */
	uint32_t tcp_max_message;	/* bytes one message may take (buffered while it comes) */

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
	uint32_t register_sources;	/* per worker: unlisted sources with a REGISTER bucket */
	uint32_t deny_entries;		/* denied source addresses (sbc:deny:<ip>) */
	uint32_t media_sessions;	/* media table: sessions (0 = what media_ports can hold) */
	enum sbc_poll_mode poll;	/* workers' loop when nothing arrives (dp_idle.h) */
	uint32_t poll_sleep_max_us;	/* adaptive: the longest sleep between empty polls */

	/* [redis] */
	char redis_address[256];
	char redis_password[256];	/* never logged, never on the stats socket */
	unsigned int redis_database;
	uint32_t cdr_maxlen;		/* XADD sbc:cdr MAXLEN ~ */

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

/* Does any trunk take digest credentials (auth = digest or both)? Then unlisted sources may
 * REGISTER (within register_rate). */
bool sbc_config_takes_digest(const struct sbc_config *cfg);

/* Index of the trunk with that name, or -1. */
int sbc_config_trunk_index(const struct sbc_config *cfg, const char *name);

/* The realm of a registrar trunk's challenges: its realm, else the SBC's address. */
void sbc_trunk_realm(const struct sbc_config *cfg, const struct sbc_trunk_config *t, char *buf,
		     size_t len);

/* [redis] address: host:port, [v6]:port, a bare host or IPv6 address (default port), or
 * unix:/path (then unix_path is set, host empty). 0 or -EINVAL. */
int sbc_redis_address(const char *a, char *host, size_t hlen, int *port, char *unix_path,
		      size_t ulen);

/* The port of a sip:/sips: URI, or its scheme's default (5060, 5061 for TLS); 0 if malformed. */
uint16_t sbc_uri_port(const char *uri);

#endif
