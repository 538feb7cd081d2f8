/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registrar of floor trunks with auth = digest | both (RFC 3261 10.3, digest per RFC 7616 and
 * RFC 8760). Sofia-SIP's auth_module keeps no nonce state and computes MD5 only, so the checks
 * are ours:
 *
 * - A REGISTER belongs to the digest trunk whose realm is its Request-URI host (else 404);
 *   auth = both also wants its source inside the trunk's own prefixes (else 403).
 * - Without credentials for that realm: 401 with one challenge per algorithm the trunk offers
 *   (algorithms: SHA-256, MD5 by default), the preferred first, qop="auth". A nonce is <ms>.<random>.<HMAC-SHA256 of both and the trunk, secret made at
 *   start>: ours when the HMAC matches, stale after CP_NONCE_LIFE_MS (401 stale=true, not a
 *   failure: the client retries with the new nonce). These checks and their state (nonces,
 *   nc per nonce, failures per source) are cp_regauth.c's, apart from I/O for the unit tests.
 * - Credentials: the realm is the trunk's, uri= names the Request-URI (RFC 3261 22.4), qop=auth
 *   with nc and cnonce, and nc is above the last nc accepted with that nonce (a replay or a
 *   lower nc is refused); HA1 (ha1_md5 / ha1_sha256) from Redis sbc:user:<trunk>:<user>, read
 *   on the shared hiredis connection while the transaction waits.
 * - Every failure (wrong password, unknown user, replayed nc, a nonce not ours, a wrong uri= or
 *   realm) is counted per source address: auth_failures within any auth_window seconds deny the
 *   source for lockout seconds (SET sbc:deny:<ip> auth EX <lockout>, which the data plane
 *   enforces; until it expires we answer the source 403 without any check; a DEL of the key
 *   lifts it here).
 * - A good REGISTER keeps one binding per address of record (the latest Contact): in Redis
 *   sbc:reg:<trunk>:<user>@<realm> (contact, source, expires as a Unix time, user_agent; its
 *   TTL ends with it) and as a dynamic allowlist entry (/32, /128) of the trunk, so calls from
 *   it are the trunk's. Expires: 0 (or Contact: *) removes it at once; a sweep each second
 *   removes the expired (ours, not Redis's keyspace events: a missed or late expiry event
 *   changes nothing), and the allowlist entry carries the binding's TTL too (cp_dynacl), so
 *   it goes even if its binding's removal never comes; at each Redis connect the bindings in
 *   Redis are replayed.
 * - Stateless (RFC 3261 8.2.7, as Kamailio's registrar answers through its sl module): nta
 *   keeps no transaction for a REGISTER (cp_sip.c), so what a REGISTER flood holds does not grow
 *   with its rate. A REGISTER with credentials is remembered in cp_regcache by its transaction
 *   key: a retransmission while its HA1 is awaited is absorbed, a later one gets the same
 *   answer (rebuilt from the copy: the same status, To tag, granted expiry; a 401 a fresh
 *   nonce) without being checked or counted again. At most CP_REG_PENDING_MAX REGISTERs wait
 *   for Redis (each holding its request message); beyond them 503 with Retry-After, counted.
 * Runs on the su_root thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/rand.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport.h>

#include "cp_digest.h"
#include "cp_dynacl.h"
#include "cp_log.h"
#include "cp_policy.h"
#include "cp_redis.h"
#include "cp_regauth.h"
#include "cp_regcache.h"
#include "cp_registrar.h"
#include "cp_sip.h"

_Static_assert((int)CP_DIGEST_MD5 == (int)SBC_DIGEST_MD5 &&
	       (int)CP_DIGEST_SHA256 == (int)SBC_DIGEST_SHA256 &&
	       (int)CP_DIGEST_N == (int)SBC_DIGEST_N, "a trunk's algorithms are cp_digest's");

#define MIN_EXPIRES 20		/* RFC 3261 10.3 step 7: shorter gets 423 */
#define MAX_EXPIRES 3600
#define DEFAULT_EXPIRES 3600
#define KEY_MAX CP_STRKEY_MAX
#define MAP_MAX CP_REGAUTH_MAP_MAX
/* a 503's Retry-After: 5 s */
#define RETRY_AFTER ((tagi_t[]){ { SIPTAG_RETRY_AFTER_STR("5") }, { TAG_END() } })

/* ---- state */
struct binding {
	struct cp_strnode n;			/* key: trunk:user@realm */
	unsigned int trunk;
	char user[SBC_CRED_MAX];
	char contact[SBC_URI_MAX];
	struct sbc_prefix src;
	uint64_t until;			/* Unix time it runs out */
	uint64_t since;			/* Unix time of its last REGISTER (most recent wins) */
};

struct source {
	char ip[INET6_ADDRSTRLEN];
	char ipport[INET6_ADDRSTRLEN + 8];
	struct sbc_prefix host;		/* /32 or /128 */
};

/* What a REGISTER asks (RFC 3261 10.3 steps 6-7). */
struct ask {
	char contact[SBC_URI_MAX], ua[128];
	bool remove;
	uint32_t expires;
};

/* A REGISTER waiting for its user's HA1 from Redis, holding its request to answer. */
struct pending {
	struct pending *next;
	msg_t *msg;
	tport_t *tp;			/* the transport it came on (a TCP/TLS connection's kept) */
	uint8_t key[CP_REGCACHE_KEY];
	char tag[CP_REGCACHE_TAG];
	unsigned int trunk;
	struct source src;
	struct cp_cred c;
	struct ask ask;
};

/* An answer as cp_regcache keeps it: a retransmission is answered from this alone. */
struct answer {
	uint16_t status;
	bool stale;
	uint32_t value;		/* 200: the expiry granted (0: no Contact); 423: Min-Expires */
};

static struct {
	const struct sbc_config *cfg;
	su_timer_t *tick;
	char (*realm)[SBC_CRED_MAX];	/* each trunk's realm ("" for auth = ip) */
	struct cp_regauth auth;		/* nonces, nc per nonce, failures per source */
	struct cp_strmap bindings;
	struct pending *pending;
	struct cp_regcache cache;	/* recent answers to REGISTERs with credentials */
	struct cp_registrar_stats st;
	bool active;
} rr;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const struct cp_registrar_stats *cp_registrar_stats(void)
{
	rr.st.answers_kept = rr.cache.n;
	rr.st.answers_evicted = rr.cache.evicted_early;
	return &rr.st;
}

/* ---- answers */
static void challenge(msg_t *msg, tport_t *tp, const char *tag, unsigned int trunk, bool stale)
{
	const struct sbc_trunk_config *t = &rr.cfg->trunks[trunk];
	char nonce[CP_NONCE_MAX], ch[SBC_DIGEST_N][512];
	unsigned char rnd[8] = { 0 };

	RAND_bytes(rnd, sizeof(rnd));
	cp_nonce_make(&rr.auth, t->name, mono_ms(), rnd, nonce, sizeof(nonce));
	/* one challenge per algorithm the trunk offers, its preferred first (RFC 8760 2.4) */
	for (unsigned int i = 0; i < SBC_DIGEST_N; i++)
		snprintf(ch[i], sizeof(ch[i]), "Digest realm=\"%s\", nonce=\"%s\", algorithm=%s, "
			 "qop=\"auth\"%s", rr.realm[trunk], nonce,
			 cp_digest_alg_name((enum cp_digest_alg)t->algorithms[i % t->n_algorithms]),
			 stale ? ", stale=true" : "");
	rr.st.challenged++;
	cp_sip_answer(msg, tp, tag, SIP_401_UNAUTHORIZED,
		      (tagi_t[]){ { SIPTAG_WWW_AUTHENTICATE_STR(ch[0]) },
				  { TAG_IF(t->n_algorithms > 1, SIPTAG_WWW_AUTHENTICATE_STR(ch[1])) },
				  { TAG_END() } });
}

/* A failed authentication from src: counted for the lockout (answered with a new challenge). */
static struct answer failure(const struct source *src, const char *why)
{
	rr.st.failed++;
	cp_log(CP_DEBUG, "registrar: %s: %s", src->ip, why);
	if (cp_regauth_fail(&rr.auth, src->ip, mono_ms() / 1000)) {
		rr.st.lockouts++;
		cp_log(CP_WARN, "registrar: %s locked out for %u s (%u failed authentications "
		       "within %u s)", src->ip, rr.cfg->lockout, rr.cfg->auth_failures,
		       rr.cfg->auth_window);
		cp_redis_command(NULL, NULL, "SET sbc:deny:%s auth EX %u", src->ip, rr.cfg->lockout);
	}
	return (struct answer){ .status = 401 };
}

/* What the REGISTER asks (RFC 3261 10.3 steps 6-7): remove, or the expiry it wants. */
static void asked_expiry(sip_t const *sip, struct ask *a)
{
	const sip_contact_t *m = sip->sip_contact;
	unsigned long e = sip->sip_expires ? sip->sip_expires->ex_delta : DEFAULT_EXPIRES;

	memset(a, 0, sizeof(*a));
	if (m != NULL && m->m_expires != NULL)
		e = strtoul(m->m_expires, NULL, 10);
	a->remove = e == 0 || (m != NULL && m->m_url->url_type == url_any);
	a->expires = e > MAX_EXPIRES ? MAX_EXPIRES : (uint32_t)e;
	if (m != NULL && m->m_url->url_type != url_any)
		url_e(a->contact, sizeof(a->contact), m->m_url);
	if (sip->sip_user_agent != NULL && sip->sip_user_agent->g_string != NULL)
		snprintf(a->ua, sizeof(a->ua), "%s", sip->sip_user_agent->g_string);
}

/* Send a: to the request msg (the first copy or a retransmission: the Contact of a 200 is the
 * request's own, which every copy carries alike). Takes msg. */
static void answer_send(msg_t *msg, tport_t *tp, const char *tag, unsigned int trunk,
			const struct answer *a)
{
	char buf[SBC_URI_MAX + 32];
	struct ask ask;

	switch (a->status) {
	case 200:
		asked_expiry(sip_object(msg), &ask);
		snprintf(buf, sizeof(buf), "<%s>;expires=%u", ask.contact, a->value);
		cp_sip_answer(msg, tp, tag, SIP_200_OK,
			      (tagi_t[]){ { TAG_IF(a->value > 0, SIPTAG_CONTACT_STR(buf)) },
					  { TAG_END() } });
		break;
	case 401:
		challenge(msg, tp, tag, trunk, a->stale);
		break;
	case 423:
		snprintf(buf, sizeof(buf), "%u", a->value);
		cp_sip_answer(msg, tp, tag, SIP_423_INTERVAL_TOO_BRIEF,
			      (tagi_t[]){ { SIPTAG_MIN_EXPIRES_STR(buf) }, { TAG_END() } });
		break;
	default:
		cp_sip_answer(msg, tp, tag, SIP_503_SERVICE_UNAVAILABLE,
			      RETRY_AFTER);
		break;
	}
}

/* Remember a as the answer to the REGISTER with key, for its retransmissions. */
static void answer_keep(const uint8_t *key, unsigned int trunk, const struct answer *a)
{
	uint64_t now = mono_ms();
	struct cp_regcache_entry *e = cp_regcache_find(&rr.cache, key, now);

	if (e == NULL)	/* its pending entry pushed out (a ring full of newer ones) */
		e = cp_regcache_add(&rr.cache, key, now);
	e->trunk = trunk;
	e->state = CP_REGCACHE_ANSWERED;
	e->status = a->status;
	e->stale = a->stale;
	e->value = a->value;
}

/* ---- bindings */
static void binding_key(char *out, size_t len, unsigned int trunk, const char *user)
{
	snprintf(out, len, "%s:%s@%s", rr.cfg->trunks[trunk].name, user, rr.realm[trunk]);
}

static void binding_free(struct cp_strnode *n)
{
	struct binding *b = (struct binding *)n;
	struct cp_trunk *t = cp_policy_trunk(b->trunk);

	if (t != NULL)
		cp_dynacl_del(t, &b->src);
	rr.st.bindings--;
	free(b);
}

/* The binding's source as a dynamic allowlist entry of its trunk, for as long as it lasts
 * (+1 s: our own sweep removes it first; the TTL is what removes it if that never comes). */
static void binding_allow(struct cp_trunk *t, const struct binding *b, bool is_new)
{
	uint64_t now = (uint64_t)time(NULL);
	uint32_t ttl = b->until > now ? (uint32_t)(b->until - now) + 1 : 1;
	int rc = is_new ? -ENOENT : cp_dynacl_renew(t, &b->src, ttl);

	if (rc == -ENOENT)
		rc = cp_dynacl_add(t, &b->src, ttl);
	if (rc != 0 && rc != -EEXIST) {
		char txt[64];

		cp_log(CP_WARN, "registrar: %s: cannot allowlist %s: %s", b->n.key,
		       sbc_prefix_format(&b->src, txt, sizeof(txt)), strerror(-rc));
	}
}

/* Add or refresh; the allowlist entry moves with the source. */
static struct binding *binding_set(unsigned int trunk, const char *user, const char *contact,
				   const struct sbc_prefix *src, uint64_t until, uint64_t since)
{
	char key[KEY_MAX];
	struct binding *b;
	struct cp_trunk *t = cp_policy_trunk(trunk);
	bool moved = false;

	binding_key(key, sizeof(key), trunk, user);
	b = (struct binding *)cp_strmap_get(&rr.bindings, key);
	if (b == NULL) {
		if (rr.bindings.n >= MAP_MAX || (b = calloc(1, sizeof(*b))) == NULL)
			return NULL;
		snprintf(b->n.key, sizeof(b->n.key), "%s", key);
		b->trunk = trunk;
		snprintf(b->user, sizeof(b->user), "%s", user);
		cp_strmap_put(&rr.bindings, &b->n);
		rr.st.bindings++;
		moved = true;
	} else if (!sbc_prefix_equal(&b->src, src)) {
		if (t != NULL)
			cp_dynacl_del(t, &b->src);
		moved = true;
	}
	b->src = *src;
	snprintf(b->contact, sizeof(b->contact), "%s", contact);
	b->until = until;
	b->since = since;
	if (t != NULL)
		binding_allow(t, b, moved);
	return b;
}

static void binding_remove(unsigned int trunk, const char *user)
{
	char key[KEY_MAX];
	struct cp_strnode *n;

	binding_key(key, sizeof(key), trunk, user);
	n = cp_strmap_get(&rr.bindings, key);
	if (n != NULL) {
		cp_strmap_del(&rr.bindings, n);
		binding_free(n);
	}
	cp_redis_command(NULL, NULL, "DEL sbc:reg:%s", key);
}

url_t *cp_registrar_contact(su_home_t *home, unsigned int trunk, const char *user)
{
	const struct binding *best = NULL;
	uint64_t now = (uint64_t)time(NULL);
	char key[KEY_MAX];

	if (!rr.active || trunk >= rr.cfg->n_trunks || rr.realm[trunk][0] == '\0')
		return NULL;
	if (user != NULL) {
		binding_key(key, sizeof(key), trunk, user);
		best = (const struct binding *)cp_strmap_get(&rr.bindings, key);
	}
	/* else the trunk's most recent binding (a walk: a call, not a packet) */
	for (size_t i = 0; (best == NULL || best->until <= now) && i < rr.bindings.nb; i++)
		for (const struct cp_strnode *n = rr.bindings.b[i]; n != NULL; n = n->next) {
			const struct binding *b = (const struct binding *)n;

			if (b->trunk == trunk && b->until > now && (best == NULL || best->until <= now ||
								    b->since > best->since))
				best = b;
		}
	return best != NULL && best->until > now ? url_make(home, best->contact) : NULL;
}

static bool binding_old(const struct cp_strnode *n, void *arg)
{
	return ((const struct binding *)n)->until <= *(const uint64_t *)arg;
}

/* Each second: bindings whose time ran out leave (with their allowlist entry) whether or not
 * Redis's expiry of their key was seen; stale nonces and quiet sources are forgotten. */
static void on_tick(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	uint64_t now = (uint64_t)time(NULL);
	unsigned int gone;

	(void)magic, (void)t, (void)arg;
	cp_strmap_sweep(&rr.bindings, binding_old, &now, binding_free);
	gone = cp_dynacl_expire(cp_dynacl_now());	/* what no binding's removal took */
	if (gone > 0)
		cp_log(CP_WARN, "registrar: %u allowlist entries ran out without their binding's "
		       "removal", gone);
	rr.st.dynacl_expired += gone;
	cp_regauth_sweep(&rr.auth, mono_ms());
}

/* ---- a REGISTER */
static int source_of(msg_t *msg, struct source *s)
{
	su_addrinfo_t *ai = msg_addrinfo(msg);
	int rc = -EINVAL;

	memset(s, 0, sizeof(*s));
	if (ai != NULL && ai->ai_addr != NULL) {
		const su_sockaddr_t *su = (const su_sockaddr_t *)ai->ai_addr;
		bool v4 = su->su_family == AF_INET;
		const void *a = v4 ? (const void *)&su->su_sin.sin_addr :
				(const void *)&su->su_sin6.sin6_addr;

		if (v4 || su->su_family == AF_INET6) {
			inet_ntop(su->su_family, a, s->ip, sizeof(s->ip));
			snprintf(s->ipport, sizeof(s->ipport), v4 ? "%s:%u" : "[%s]:%u", s->ip,
				 ntohs(su->su_port));
			s->host.family = v4 ? SBC_AF_V4 : SBC_AF_V6;
			s->host.depth = v4 ? 32 : 128;
			memcpy(s->host.addr, a, v4 ? 4 : 16);
			rc = 0;
		}
	}
	return rc;
}

/* The digest trunk whose realm is host, or -1. */
static int trunk_of_realm(const char *host)
{
	for (unsigned int i = 0; host != NULL && i < rr.cfg->n_trunks; i++)
		if (rr.realm[i][0] != '\0' && strcasecmp(rr.realm[i], host) == 0)
			return (int)i;
	return -1;
}

/* auth = both: the source inside the trunk's own prefixes (Redis's set, else the file's). */
static bool listed(unsigned int trunk, const struct sbc_prefix *src)
{
	const struct cp_trunk *t = cp_policy_trunk(trunk);
	const struct sbc_prefix *v = t != NULL && t->acl_known ? t->acl.v : rr.cfg->trunks[trunk].peers;
	uint32_t n = t != NULL && t->acl_known ? t->acl.n : rr.cfg->trunks[trunk].n_peers;

	for (uint32_t i = 0; i < n; i++)
		if (v[i].family == src->family && sbc_prefix_contains(&v[i], src->addr))
			return true;
	return false;
}

static void pending_unlink(struct pending *p)
{
	for (struct pending **q = &rr.pending; *q != NULL; q = &(*q)->next)
		if (*q == p) {
			*q = p->next;
			rr.st.pending--;
			return;
		}
}

static void pending_free(struct pending *p)
{
	if (p->tp != NULL && cp_sip_agent() != NULL)	/* at exit the agent took its tports */
		tport_unref(p->tp);
	if (p->msg != NULL)
		msg_destroy(p->msg);
	free(p);
}

/* Authenticated: the binding changes (RFC 3261 10.3 step 7-8). */
static struct answer accepted(struct pending *p)
{
	char key[KEY_MAX], until[24];
	uint64_t now = (uint64_t)time(NULL);

	rr.st.accepted++;
	binding_key(key, sizeof(key), p->trunk, p->c.user);
	if (p->ask.remove || p->ask.contact[0] == '\0') {
		if (p->ask.remove)
			binding_remove(p->trunk, p->c.user);
		return (struct answer){ .status = 200 };
	}
	if (p->ask.expires < MIN_EXPIRES)
		return (struct answer){ .status = 423, .value = MIN_EXPIRES };
	if (binding_set(p->trunk, p->c.user, p->ask.contact, &p->src.host, now + p->ask.expires,
			now) == NULL)
		return (struct answer){ .status = 503 };
	snprintf(until, sizeof(until), "%llu", (unsigned long long)(now + p->ask.expires));
	{
		char rkey[KEY_MAX + 16];
		const char *argv[] = { "HSET", rkey, "contact", p->ask.contact, "source",
				       p->src.ipport, "expires", until, "user_agent", p->ask.ua };
		size_t lens[10];

		snprintf(rkey, sizeof(rkey), "sbc:reg:%s", key);
		for (unsigned int i = 0; i < 10; i++)
			lens[i] = strlen(argv[i]);
		cp_redis_command_argv(NULL, NULL, 10, argv, lens);
	}
	cp_redis_command(NULL, NULL, "EXPIREAT sbc:reg:%s %s", key, until);
	return (struct answer){ .status = 200, .value = p->ask.expires };
}

/* The answer to p once its HA1 came (r: HMGET's reply, NULL when the connection went). */
static struct answer verdict(struct pending *p, const redisReply *r)
{
	const redisReply *e = r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2 ?
			      r->element[p->c.alg == CP_DIGEST_SHA256 ? 1 : 0] : NULL;
	char want[CP_DIGEST_HEX_MAX];

	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		return (struct answer){ .status = 503 };
	if (e == NULL || e->type != REDIS_REPLY_STRING || e->len != cp_digest_hexlen(p->c.alg))
		return failure(&p->src, "unknown user");
	if (cp_digest_response(p->c.alg, e->str, p->c.nonce, p->c.ncs, p->c.cnonce, "auth",
			       "REGISTER", p->c.uri, want) != 0 ||
	    !cp_digest_equal(want, p->c.response))
		return failure(&p->src, "wrong response (password)");
	if (p->c.stale)		/* RFC 7616 3.3: right, but an old nonce */
		return (struct answer){ .status = 401, .stale = true };
	if (!cp_nc_fresh(&rr.auth, p->c.nonce, p->c.nc))	/* the same nc twice in flight */
		return failure(&p->src, "nc replayed");
	cp_nc_accept(&rr.auth, p->c.nonce, p->c.nc);
	return accepted(p);
}

/* HMGET sbc:user:<trunk>:<user> ha1_md5 ha1_sha256 answered. */
static void on_ha1(redisAsyncContext *ac, void *reply, void *arg)
{
	struct pending *p = arg;
	struct answer a;

	(void)ac;
	pending_unlink(p);
	if (cp_sip_agent() == NULL) {	/* at exit: nothing can be sent any more */
		pending_free(p);
		return;
	}
	a = verdict(p, reply);
	answer_keep(p->key, p->trunk, &a);
	answer_send(p->msg, p->tp, p->tag, p->trunk, &a);
	p->msg = NULL;
	pending_free(p);
}

/* The algorithms a trunk offers, as cp_regauth_check's mask. */
static unsigned int algs_of(const struct sbc_trunk_config *t)
{
	unsigned int m = 0;

	for (unsigned int i = 0; i < t->n_algorithms; i++)
		m |= 1u << t->algorithms[i];
	return m;
}

/* A copy of a REGISTER with credentials already seen: true when it was dealt with here. */
static bool retransmission(msg_t *msg, const uint8_t *key, const char *tag)
{
	const struct cp_regcache_entry *e = cp_regcache_find(&rr.cache, key, mono_ms());
	struct answer a;

	if (e == NULL)
		return false;
	if (e->state == CP_REGCACHE_PENDING) {	/* its first copy still waits for Redis */
		rr.st.absorbed++;
		msg_destroy(msg);
		return true;
	}
	rr.st.answered_again++;
	a = (struct answer){ .status = e->status, .stale = e->stale, .value = e->value };
	answer_send(msg, NULL, tag, e->trunk, &a);
	return true;
}

/* The checks before the credentials: why the REGISTER is refused at once, or NULL. */
static const char *gate(const struct source *src, int trunk, int *status)
{
	*status = 403;
	if (cp_regauth_locked(&rr.auth, src->ip, mono_ms() / 1000))
		return "Locked Out";	/* the data plane drops it before this once it enforces
					 * sbc:deny */
	if (trunk < 0) {
		*status = 404;
		return "Unknown Domain";
	}
	if (rr.cfg->trunks[trunk].auth == SBC_AUTH_BOTH && !listed((unsigned int)trunk, &src->host))
		return "Source Not Listed";
	return NULL;
}

/* Credentials checked as far as they can be without the HA1: then wait for it from Redis. */
static void check_credentials(msg_t *msg, sip_t const *sip, struct pending *p)
{
	const struct sbc_trunk_config *t = &rr.cfg->trunks[p->trunk];
	const char *why = cp_regauth_check(&rr.auth, sip, rr.realm[p->trunk], t->name, algs_of(t),
					   mono_ms(), &p->c);
	struct cp_regcache_entry *e;
	struct answer a;

	if (why != NULL) {
		a = failure(&p->src, why);
		answer_keep(p->key, p->trunk, &a);
		answer_send(msg, NULL, p->tag, p->trunk, &a);
		free(p);
		return;
	}
	if (rr.st.pending >= CP_REG_PENDING_MAX) {	/* Redis slower than REGISTERs come */
		rr.st.busy++;
		cp_sip_answer(msg, NULL, p->tag, SIP_503_SERVICE_UNAVAILABLE,
			      RETRY_AFTER);
		free(p);
		return;
	}
	asked_expiry(sip, &p->ask);
	if (cp_redis_command(on_ha1, p, "HMGET sbc:user:%s:%s ha1_md5 ha1_sha256", t->name,
			     p->c.user) != 0) {
		cp_sip_answer(msg, NULL, p->tag, SIP_503_SERVICE_UNAVAILABLE,
			      RETRY_AFTER);
		free(p);
		return;
	}
	p->msg = msg;
	p->tp = tport_ref(tport_delivered_by(nta_agent_tports(cp_sip_agent()), msg));
	e = cp_regcache_add(&rr.cache, p->key, mono_ms());
	e->state = CP_REGCACHE_PENDING;
	e->trunk = p->trunk;
	p->next = rr.pending;
	rr.pending = p;
	rr.st.pending++;
}

void cp_registrar_request(msg_t *msg, sip_t const *sip)
{
	struct pending *p;
	struct source src;
	uint8_t key[CP_REGCACHE_KEY];
	char tag[CP_REGCACHE_TAG];
	const char *why;
	int trunk, status;

	rr.st.registers++;
	if (cp_sip_key(sip, key) != 0 || source_of(msg, &src) != 0) {
		cp_sip_answer(msg, NULL, NULL, SIP_400_BAD_REQUEST, NULL);
		return;
	}
	cp_regcache_tag(key, tag);
	if (sip->sip_authorization != NULL && retransmission(msg, key, tag))
		return;
	trunk = trunk_of_realm(sip->sip_request->rq_url->url_host);
	why = gate(&src, trunk, &status);
	if (why != NULL) {
		rr.st.refused++;
		cp_sip_answer(msg, NULL, tag, status, why, NULL);
		return;
	}
	if (sip->sip_authorization == NULL) {
		challenge(msg, NULL, tag, (unsigned int)trunk, false);
		return;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		cp_sip_answer(msg, NULL, tag, SIP_500_INTERNAL_SERVER_ERROR, NULL);
		return;
	}
	memcpy(p->key, key, sizeof(key));
	memcpy(p->tag, tag, sizeof(tag));
	p->trunk = (unsigned int)trunk;
	p->src = src;
	check_credentials(msg, sip, p);
}

/* ---- replay: the bindings Redis holds, at each connect (a restart of either side) */
static void replay_scan(const char *cursor);

/* HGETALL of one sbc:reg:<trunk>:<user>@<realm>; arg: the key (malloc'd). */
static void on_binding(redisAsyncContext *ac, void *reply, void *arg)
{
	const redisReply *r = reply;
	char *key = arg, *colon = key + strlen("sbc:reg:"), *at, name[SBC_TRUNK_NAME_MAX];
	const char *contact = NULL, *source = NULL;
	uint64_t until = 0, now = (uint64_t)time(NULL);
	struct sbc_prefix src;
	int trunk;

	(void)ac;
	for (size_t i = 0; r != NULL && r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
		const char *f = r->element[i]->str, *v = r->element[i + 1]->str;

		if (f == NULL || v == NULL)
			continue;
		if (strcmp(f, "contact") == 0)
			contact = v;
		else if (strcmp(f, "source") == 0)
			source = v;
		else if (strcmp(f, "expires") == 0)
			until = strtoull(v, NULL, 10);
	}
	at = strrchr(colon, '@');
	char *sep = strchr(colon, ':');
	if (contact == NULL || source == NULL || until <= now || sep == NULL || at == NULL ||
	    at < sep || (size_t)(sep - colon) >= sizeof(name))
		goto out;
	memcpy(name, colon, (size_t)(sep - colon));
	name[sep - colon] = '\0';
	trunk = sbc_config_trunk_index(rr.cfg, name);
	if (trunk < 0 || rr.realm[trunk][0] == '\0' || strcmp(at + 1, rr.realm[trunk]) != 0)
		goto out;
	{	/* source: "ip:port" or "[ip6]:port" */
		char ip[INET6_ADDRSTRLEN + 2];
		const char *end = source[0] == '[' ? strchr(source, ']') : strrchr(source, ':');
		size_t off = source[0] == '[' ? 1 : 0;

		if (end == NULL || (size_t)(end - source - off) >= sizeof(ip))
			goto out;
		memcpy(ip, source + off, (size_t)(end - source - off));
		ip[end - source - off] = '\0';
		if (sbc_prefix_parse(ip, &src, NULL, 0) != 0)
			goto out;
	}
	*at = '\0';
	if (cp_strmap_get(&rr.bindings, key + strlen("sbc:reg:")) == NULL)
		binding_set((unsigned int)trunk, sep + 1, contact, &src, until, until);
out:
	free(key);
}

static void on_scan(redisAsyncContext *ac, void *reply, void *arg)
{
	const redisReply *r = reply;

	(void)ac, (void)arg;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY)
		return;
	for (size_t i = 0; i < r->element[1]->elements; i++) {
		const redisReply *k = r->element[1]->element[i];
		char *key = k->type == REDIS_REPLY_STRING ? strdup(k->str) : NULL;

		if (key != NULL && cp_redis_command(on_binding, key, "HGETALL %s", k->str) != 0)
			free(key);
	}
	if (strcmp(r->element[0]->str, "0") != 0)
		replay_scan(r->element[0]->str);
}

static void replay_scan(const char *cursor)
{
	cp_redis_command(on_scan, NULL, "SCAN %s MATCH sbc:reg:* COUNT 1000", cursor);
}

static void on_up(void)
{
	replay_scan("0");
}

/* sbc:deny:<ip> changed: a DEL by hand (or its expiry) lifts our own lockout too. */
static void on_deny_exists(redisAsyncContext *ac, void *reply, void *arg)
{
	const redisReply *r = reply;
	char *ip = arg;

	(void)ac;
	if (r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer == 0 &&
	    cp_regauth_unlock(&rr.auth, ip)) {
		cp_log(CP_INFO, "registrar: %s no longer locked out (sbc:deny:%s is gone)", ip, ip);
	}
	free(ip);
}

static void on_changed(const char *key, size_t len)
{
	size_t skip = strlen("sbc:deny:");
	char *ip;

	if (len <= skip || len - skip >= INET6_ADDRSTRLEN)
		return;
	ip = strndup(key + skip, len - skip);
	if (ip != NULL && cp_redis_command(on_deny_exists, ip, "EXISTS sbc:deny:%s", ip) != 0)
		free(ip);
}

static const char *const prefixes[] = { "sbc:deny:", NULL };

static const struct cp_redis_listener listener = {
	.prefixes = prefixes,
	.up = on_up,
	.changed = on_changed,
};

/* ---- life */
int cp_registrar_init(struct su_root_s *root, const struct sbc_config *cfg)
{
	unsigned char secret[32];
	uint64_t seed = 0;

	memset(&rr, 0, sizeof(rr));
	rr.cfg = cfg;
	if (!sbc_config_takes_digest(cfg))
		return 0;
	if (RAND_bytes(secret, sizeof(secret)) != 1 ||
	    RAND_bytes((unsigned char *)&seed, sizeof(seed)) != 1)
		return -EIO;
	rr.realm = calloc(cfg->n_trunks, sizeof(*rr.realm));
	rr.tick = su_timer_create(su_root_task(root), 1000);
	if (rr.realm == NULL || rr.tick == NULL || cp_strmap_init(&rr.bindings, 4096, seed) != 0 ||
	    cp_regcache_init(&rr.cache, CP_REGCACHE_ENTRIES) != 0 ||
	    cp_regauth_init(&rr.auth, secret, seed + 1, cfg->auth_failures, cfg->auth_window,
			    cfg->lockout) != 0 ||
	    su_timer_set_for_ever(rr.tick, on_tick, NULL) < 0)
		return -ENOMEM;
	for (unsigned int i = 0; i < cfg->n_trunks; i++)
		if (cfg->trunks[i].auth != SBC_AUTH_IP) {
			sbc_trunk_realm(cfg, &cfg->trunks[i], rr.realm[i], sizeof(rr.realm[i]));
			cp_log(CP_INFO, "registrar: trunk %s takes REGISTERs for realm %s (%s)",
			       cfg->trunks[i].name, rr.realm[i],
			       cfg->trunks[i].auth == SBC_AUTH_BOTH ? "listed sources with credentials" :
			       "credentials");
		}
	rr.active = true;
	return cp_redis_listen(&listener);
}

void cp_registrar_stop(void)
{
	while (rr.pending != NULL) {
		struct pending *p = rr.pending;

		pending_unlink(p);
		pending_free(p);
	}
	if (rr.tick != NULL)
		su_timer_destroy(rr.tick);
	rr.tick = NULL;
}

static void binding_drop(struct cp_strnode *n)
{
	free(n);	/* at exit: the data plane keeps its entries (fail static) */
}

void cp_registrar_fini(void)
{
	cp_strmap_fini(&rr.bindings, binding_drop);
	cp_regauth_fini(&rr.auth);
	cp_regcache_fini(&rr.cache);
	free(rr.realm);
	memset(&rr, 0, sizeof(rr));
}
