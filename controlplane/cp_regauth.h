/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registrar's authentication checks and their state (cp_regauth.c), apart from its SIP
 * transactions, Redis and bindings (cp_registrar.c): our nonces (HMAC, age), the last nc
 * accepted per nonce, the credentials of a REGISTER checked against its Request-URI and
 * realm, and failed authentications per source for the lockout. No I/O and no clock: every
 * call takes the time, so the unit tests drive it. A string-keyed table (cp_strmap) holds the
 * per-nonce and per-source state. Runs on the su_root thread (the registrar's).
 */
#ifndef CP_REGAUTH_H
#define CP_REGAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sofia-sip/sip.h>

#include "cp_digest.h"
#include "sbc_config.h"

#define CP_NONCE_LIFE_MS 30000	/* a nonce older than this is stale */
#define CP_NONCE_MAX 128
#define CP_STRKEY_MAX 192
#define CP_REGAUTH_MAP_MAX 262144	/* entries per table: bounded whatever is sent */

/* ---- a small chained hash table keyed by strings (keyed FNV-1a: keys come from outside) */
struct cp_strnode {
	struct cp_strnode *next;
	char key[CP_STRKEY_MAX];
};

struct cp_strmap {
	struct cp_strnode **b;
	size_t nb, n;		/* buckets (a power of 2), entries */
	uint64_t seed;
};

int cp_strmap_init(struct cp_strmap *m, size_t nb, uint64_t seed);
struct cp_strnode *cp_strmap_get(const struct cp_strmap *m, const char *key);
void cp_strmap_put(struct cp_strmap *m, struct cp_strnode *e);
void cp_strmap_del(struct cp_strmap *m, struct cp_strnode *e);
/* Remove every entry old(e, arg) says is old and hand it to gone (which frees it). */
void cp_strmap_sweep(struct cp_strmap *m, bool (*old)(const struct cp_strnode *, void *),
		     void *arg, void (*gone)(struct cp_strnode *));
void cp_strmap_fini(struct cp_strmap *m, void (*gone)(struct cp_strnode *));

/* ---- the registrar's authentication state */
struct cp_regauth {
	unsigned char secret[32];	/* nonce HMAC key, made at start */
	uint32_t failures, window_s, lockout_s;	/* K failures within T s lock out for D s */
	struct cp_strmap ncs;		/* nonce -> last nc accepted */
	struct cp_strmap fails;		/* source address -> its recent failures */
};

int cp_regauth_init(struct cp_regauth *a, const unsigned char secret[32], uint64_t seed,
		    uint32_t failures, uint32_t window_s, uint32_t lockout_s);
void cp_regauth_fini(struct cp_regauth *a);

/* <ms>.<16 hex of rnd>.<HMAC-SHA256(secret, both and trunk), 32 hex> */
void cp_nonce_make(const struct cp_regauth *a, const char *trunk, uint64_t now_ms,
		   const unsigned char rnd[8], char *out, size_t len);
/* 0: ours and fresh; 1: ours, older than CP_NONCE_LIFE_MS (stale); -1: not ours (another
 * secret or trunk, altered, malformed). */
int cp_nonce_check(const struct cp_regauth *a, const char *trunk, const char *nonce,
		   uint64_t now_ms);

/* Is nc above the last nc accepted with nonce (or none accepted yet)? */
bool cp_nc_fresh(const struct cp_regauth *a, const char *nonce, uint32_t nc);
/* Record nc as the last accepted with nonce; forgotten once the nonce is stale. -ENOMEM or
 * -ENOSPC (table full: the nc then cannot be replayed either, see cp_nc_fresh) else 0. */
int cp_nc_accept(struct cp_regauth *a, const char *nonce, uint32_t nc);

/* The credentials of a REGISTER, as far as they can be checked without the user's HA1. */
struct cp_cred {
	enum cp_digest_alg alg;
	bool stale;			/* the nonce is ours but stale */
	uint32_t nc;
	char user[SBC_CRED_MAX], nonce[CP_NONCE_MAX], ncs[9], cnonce[CP_NONCE_MAX];
	char response[CP_DIGEST_HEX_MAX], uri[SBC_URI_MAX];
};

/*
 * The Digest Authorization of sip for realm (the trunk's; credentials for other realms are
 * skipped): complete (username, nonce, uri, response, qop=auth, nc of 8 hex, cnonce, MD5 or
 * SHA-256), an algorithm the trunk offers (algs: bit 1 << enum cp_digest_alg), uri= the
 * Request-URI (RFC 3261 22.4), the nonce ours for trunk (stale noted in c->stale), nc above
 * the last accepted with that nonce. NULL when they pass, else why not.
 */
const char *cp_regauth_check(const struct cp_regauth *a, sip_t const *sip, const char *realm,
			     const char *trunk, unsigned int algs, uint64_t now_ms,
			     struct cp_cred *c);

/* One failed authentication from ip at now_s: true when it is the K-th within T s and ip is
 * not locked out yet (the caller denies it; it stays locked out for D s). */
bool cp_regauth_fail(struct cp_regauth *a, const char *ip, uint64_t now_s);
bool cp_regauth_locked(const struct cp_regauth *a, const char *ip, uint64_t now_s);
/* Lift ip's lockout and forget its failures (sbc:deny:<ip> deleted); false if it had none. */
bool cp_regauth_unlock(struct cp_regauth *a, const char *ip);
/* Forget stale nonces and sources with no failure inside T s and no lockout. */
void cp_regauth_sweep(struct cp_regauth *a, uint64_t now_ms);

#endif
