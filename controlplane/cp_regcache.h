/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registrar's recent answers (cp_regcache.c): REGISTERs are answered statelessly (nta keeps
 * no transaction for them, see cp_registrar.c), so a retransmission is recognised here, by a
 * keyed hash of what identifies its transaction, and gets the answer its first copy got (or
 * nothing while that one still waits for Redis) instead of being checked again: a good
 * REGISTER's retransmission would otherwise fail the nc check and count against the lockout.
 * A fixed ring of CP_REGCACHE_ENTRIES entries, allocated once: the oldest goes first, at the
 * latest after CP_REGCACHE_LIFE_MS. No I/O and no clock (the time is passed in), so the unit
 * tests drive it. Runs on the su_root thread.
 */
#ifndef CP_REGCACHE_H
#define CP_REGCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sofia-sip/sip.h>

/* RFC 3261 17.1.2.2: a client retransmits a non-INVITE request until Timer F, 64 x T1 = 32 s
 * after its first copy; an answer kept that long answers every retransmission. */
#define CP_REGCACHE_LIFE_MS 32000u
/* 131,072 answers: 32 s of 4,096 REGISTERs with credentials a second (the control plane
 * checks about 1,800 REGISTERs a second here, half of them with credentials); 40 bytes each,
 * 5.5 MB with the index, allocated at start. */
#define CP_REGCACHE_ENTRIES 131072u
#define CP_REGCACHE_KEY 16
#define CP_REGCACHE_TAG 17	/* the To tag made from a key: 16 hex digits */

enum cp_regcache_state {
	CP_REGCACHE_PENDING = 1,	/* still waiting for Redis: a retransmission is absorbed */
	CP_REGCACHE_ANSWERED,		/* answered: a retransmission gets the same answer */
};

struct cp_regcache_entry {
	uint8_t key[CP_REGCACHE_KEY];
	uint64_t born_ms;
	uint32_t next;		/* the next entry of its bucket (CP_REGCACHE_NONE: none) */
	uint16_t status;	/* the answer's status */
	uint8_t state;		/* enum cp_regcache_state */
	uint8_t stale;		/* a 401 with stale=true */
	uint32_t value;		/* 200: the expiry granted; 423: Min-Expires */
	uint32_t trunk;		/* whose realm a 401 challenges */
};

#define CP_REGCACHE_NONE UINT32_MAX

struct cp_regcache {
	struct cp_regcache_entry *e;	/* a ring of cap: the oldest at head */
	uint32_t *bucket;		/* nb heads */
	uint32_t cap, nb, head, n;
	uint64_t evicted_early;		/* answers dropped before CP_REGCACHE_LIFE_MS: the ring full */
};

/* cap entries (at least 1), allocated now. -ENOMEM or 0. */
int cp_regcache_init(struct cp_regcache *c, uint32_t cap);
void cp_regcache_fini(struct cp_regcache *c);
/* Bytes the cache holds whatever comes (its ring and index). */
size_t cp_regcache_bytes(const struct cp_regcache *c);

/*
 * The transaction key of a request (RFC 3261 17.2.3): a keyed hash (HMAC-SHA256 with secret,
 * cut to 16 bytes) of the top Via's branch, sent-by host and port, the Call-ID, the CSeq number
 * and method, the From tag and the Request-URI, so RFC 2543 requests without a branch are told
 * apart too. Every copy of one request has the same key. -EINVAL without Via, Call-ID or CSeq.
 */
int cp_regcache_key(const unsigned char secret[32], sip_t const *sip,
		    uint8_t key[CP_REGCACHE_KEY]);
/* The To tag of an answer to the request with key: the same for every copy (RFC 3261 8.2.7). */
void cp_regcache_tag(const uint8_t key[CP_REGCACHE_KEY], char tag[CP_REGCACHE_TAG]);

/* The live entry with key, or NULL. */
struct cp_regcache_entry *cp_regcache_find(struct cp_regcache *c,
					   const uint8_t key[CP_REGCACHE_KEY], uint64_t now_ms);
/* A new entry with key (the caller fills state and answer), made room for by dropping entries
 * past their life and, when the ring is still full, the oldest (counted in evicted_early).
 * The entry stays valid until the next add. */
struct cp_regcache_entry *cp_regcache_add(struct cp_regcache *c,
					  const uint8_t key[CP_REGCACHE_KEY], uint64_t now_ms);

#endif
