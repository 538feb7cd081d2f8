/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registrar of floor trunks with auth = digest | both (RFC 3261 10.3, digest per RFC 7616 and
 * RFC 8760). Sofia-SIP's auth_module keeps no nonce state and computes MD5 only, so the checks
 * are ours:
 *
 * - A REGISTER belongs to the digest trunk whose realm is its Request-URI host (else 404);
 *   auth = both also wants its source inside the trunk's own prefixes (else 403).
 * - Without credentials for that realm: 401 with one challenge per algorithm, SHA-256 first,
 *   qop="auth". A nonce is <ms>.<random>.<HMAC-SHA256 of both and the trunk, secret made at
 *   start>: ours when the HMAC matches, stale after NONCE_LIFE_MS (401 stale=true, not a
 *   failure: the client retries with the new nonce).
 * - Credentials: the realm is the trunk's, uri= names the Request-URI (RFC 3261 22.4), qop=auth
 *   with nc and cnonce, and nc is above the last nc accepted with that nonce (a replay or a
 *   lower nc is refused); HA1 (ha1_md5 / ha1_sha256) from Redis sbc:user:<trunk>:<user>, read
 *   on the shared hiredis connection while the transaction waits.
 * - Every failure (wrong password, unknown user, replayed nc, a nonce not ours, a wrong uri= or
 *   realm) is counted per source address: auth_failures within auth_window seconds deny the
 *   source for lockout seconds (SET sbc:deny:<ip> auth EX <lockout>, which the data plane
 *   enforces; until it expires we answer the source 403 without any check; a DEL of the key
 *   lifts it here).
 * - A good REGISTER keeps one binding per address of record (the latest Contact): in Redis
 *   sbc:reg:<trunk>:<user>@<realm> (contact, source, expires as a Unix time, user_agent; its
 *   TTL ends with it) and as a dynamic allowlist entry (/32, /128) of the trunk, so calls from
 *   it are the trunk's. Expires: 0 (or Contact: *) removes it at once; a sweep each second
 *   removes the expired; at each Redis connect the bindings in Redis are replayed.
 * Runs on the su_root thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_wait.h>

#include "cp_digest.h"
#include "cp_dynacl.h"
#include "cp_log.h"
#include "cp_policy.h"
#include "cp_redis.h"
#include "cp_registrar.h"
#include "sbc_hash.h"

#define NONCE_LIFE_MS 30000	/* a nonce older than this is stale */
#define MIN_EXPIRES 20		/* RFC 3261 10.3 step 7: shorter gets 423 */
#define MAX_EXPIRES 3600
#define DEFAULT_EXPIRES 3600
#define KEY_MAX 192
#define MAP_MAX 262144		/* entries per table: memory stays bounded whatever is sent */

/* ---- a small chained hash table keyed by strings (keyed FNV-1a: keys come from outside) */
struct hnode {
	struct hnode *next;
	char key[KEY_MAX];
};

struct hmap {
	struct hnode **b;
	size_t nb, n;
};

static uint64_t hash_seed;

static size_t slot(const struct hmap *m, const char *key)
{
	return sbc_fnv1a(hash_seed, key, strlen(key)) & (m->nb - 1);
}

static struct hnode *hmap_get(const struct hmap *m, const char *key)
{
	for (struct hnode *e = m->b[slot(m, key)]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static void hmap_put(struct hmap *m, struct hnode *e)
{
	size_t s = slot(m, e->key);

	e->next = m->b[s];
	m->b[s] = e;
	m->n++;
}

static void hmap_del(struct hmap *m, struct hnode *e)
{
	for (struct hnode **p = &m->b[slot(m, e->key)]; *p != NULL; p = &(*p)->next)
		if (*p == e) {
			*p = e->next;
			m->n--;
			return;
		}
}

/* Remove (and hand to gone, which frees) every entry for which old() says so. */
static void hmap_sweep(struct hmap *m, bool (*old)(struct hnode *), void (*gone)(struct hnode *))
{
	for (size_t i = 0; i < m->nb; i++)
		for (struct hnode **p = &m->b[i]; *p != NULL;) {
			struct hnode *e = *p;

			if (!old(e)) {
				p = &e->next;
				continue;
			}
			*p = e->next;
			m->n--;
			gone(e);
		}
}

static int hmap_init(struct hmap *m, size_t nb)
{
	m->nb = nb;
	m->n = 0;
	m->b = calloc(nb, sizeof(*m->b));
	return m->b ? 0 : -ENOMEM;
}

static void free_node(struct hnode *e)
{
	free(e);
}

static void hmap_fini(struct hmap *m, void (*gone)(struct hnode *))
{
	for (size_t i = 0; m->b != NULL && i < m->nb; i++)
		while (m->b[i] != NULL) {
			struct hnode *e = m->b[i];

			m->b[i] = e->next;
			gone(e);
		}
	free(m->b);
	memset(m, 0, sizeof(*m));
}

/* ---- state */
struct binding {
	struct hnode n;			/* key: trunk:user@realm */
	unsigned int trunk;
	char user[SBC_CRED_MAX];
	char contact[SBC_URI_MAX];
	struct sbc_prefix src;
	uint64_t until;			/* Unix time it runs out */
	uint64_t since;			/* Unix time of its last REGISTER (most recent wins) */
};

struct fails {
	struct hnode n;			/* key: source address */
	uint32_t count;
	uint64_t window_start;		/* monotonic s */
	uint64_t locked_until;		/* monotonic s; 0: not locked */
};

struct ncent {
	struct hnode n;			/* key: nonce */
	uint32_t last_nc;
	uint64_t born_ms;		/* monotonic */
};

struct source {
	char ip[INET6_ADDRSTRLEN];
	char ipport[INET6_ADDRSTRLEN + 8];
	struct sbc_prefix host;		/* /32 or /128 */
};

/* A REGISTER waiting for its user's HA1 from Redis. */
struct pending {
	struct pending *next;
	nta_incoming_t *irq;
	unsigned int trunk;
	struct source src;
	enum cp_digest_alg alg;
	bool stale;
	uint32_t nc;
	char user[SBC_CRED_MAX], nonce[128], ncs[9], cnonce[128], response[CP_DIGEST_HEX_MAX];
	char uri[SBC_URI_MAX], contact[SBC_URI_MAX], ua[128];
	bool remove;
	uint32_t expires;
};

static struct {
	const struct sbc_config *cfg;
	su_timer_t *tick;
	unsigned char secret[32];
	char (*realm)[SBC_CRED_MAX];	/* each trunk's realm ("" for auth = ip) */
	struct hmap bindings, fails, ncs;
	struct pending *pending;
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
	return &rr.st;
}

/* ---- nonces: ms.random.HMAC(ms.random.trunk) */
static void nonce_mac(const char *head, size_t hlen, unsigned int trunk, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE], msg[128 + SBC_TRUNK_NAME_MAX];
	unsigned int mdlen = 0;
	const char *name = rr.cfg->trunks[trunk].name;

	memcpy(msg, head, hlen);
	memcpy(msg + hlen, name, strlen(name));
	HMAC(EVP_sha256(), rr.secret, sizeof(rr.secret), msg, hlen + strlen(name), md, &mdlen);
	for (unsigned int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void nonce_make(unsigned int trunk, char *out, size_t len)
{
	unsigned char rnd[8] = { 0 };
	char head[64], mac[33];
	int n;

	RAND_bytes(rnd, sizeof(rnd));
	n = snprintf(head, sizeof(head), "%llx.%02x%02x%02x%02x%02x%02x%02x%02x.",
		     (unsigned long long)mono_ms(), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
		     rnd[6], rnd[7]);
	nonce_mac(head, (size_t)n, trunk, mac);
	snprintf(out, len, "%s%s", head, mac);
}

/* 0: ours and fresh; 1: ours and stale; -1: not ours. */
static int nonce_check(unsigned int trunk, const char *nonce)
{
	const char *dot = strchr(nonce, '.'), *dot2 = dot ? strchr(dot + 1, '.') : NULL;
	char mac[33];
	unsigned long long born;

	if (dot2 == NULL || (size_t)(dot2 + 1 - nonce) > 64 || strlen(dot2 + 1) != 32)
		return -1;
	nonce_mac(nonce, (size_t)(dot2 + 1 - nonce), trunk, mac);
	if (!cp_digest_equal(mac, dot2 + 1))
		return -1;
	born = strtoull(nonce, NULL, 16);
	return mono_ms() - born > NONCE_LIFE_MS ? 1 : 0;
}

/* ---- answers */
static void challenge(nta_incoming_t *irq, unsigned int trunk, bool stale)
{
	char nonce[128], sha[512], md5[512];
	const char *realm = rr.realm[trunk];

	nonce_make(trunk, nonce, sizeof(nonce));
	/* RFC 8760 2.4: the preferred algorithm first */
	snprintf(sha, sizeof(sha), "Digest realm=\"%s\", nonce=\"%s\", algorithm=SHA-256, "
		 "qop=\"auth\"%s", realm, nonce, stale ? ", stale=true" : "");
	snprintf(md5, sizeof(md5), "Digest realm=\"%s\", nonce=\"%s\", algorithm=MD5, "
		 "qop=\"auth\"%s", realm, nonce, stale ? ", stale=true" : "");
	rr.st.challenged++;
	nta_incoming_treply(irq, SIP_401_UNAUTHORIZED, SIPTAG_WWW_AUTHENTICATE_STR(sha),
			    SIPTAG_WWW_AUTHENTICATE_STR(md5), TAG_END());
}

static void lock_out(struct fails *f, const char *ip)
{
	uint64_t now = mono_ms() / 1000;

	f->locked_until = now + rr.cfg->lockout;
	rr.st.lockouts++;
	cp_log(CP_WARN, "registrar: %s locked out for %u s (%u failed authentications within "
	       "%u s)", ip, rr.cfg->lockout, f->count, rr.cfg->auth_window);
	cp_redis_command(NULL, NULL, "SET sbc:deny:%s auth EX %u", ip, rr.cfg->lockout);
}

/* A failed authentication from src: counted for the lockout, answered with a new challenge. */
static void failure(nta_incoming_t *irq, unsigned int trunk, const struct source *src,
		    const char *why)
{
	struct fails *f = (struct fails *)hmap_get(&rr.fails, src->ip);
	uint64_t now = mono_ms() / 1000;

	rr.st.failed++;
	cp_log(CP_DEBUG, "registrar: %s: %s", src->ip, why);
	if (f == NULL && rr.fails.n < MAP_MAX && (f = calloc(1, sizeof(*f))) != NULL) {
		snprintf(f->n.key, sizeof(f->n.key), "%s", src->ip);
		f->window_start = now;
		hmap_put(&rr.fails, &f->n);
	}
	if (f != NULL) {
		if (now - f->window_start >= rr.cfg->auth_window) {
			f->window_start = now;
			f->count = 0;
		}
		if (++f->count >= rr.cfg->auth_failures && f->locked_until <= now)
			lock_out(f, src->ip);
	}
	challenge(irq, trunk, false);
}

static bool locked(const char *ip)
{
	const struct fails *f = (const struct fails *)hmap_get(&rr.fails, ip);

	return f != NULL && f->locked_until > mono_ms() / 1000;
}

/* ---- bindings */
static void binding_key(char *out, size_t len, unsigned int trunk, const char *user)
{
	snprintf(out, len, "%s:%s@%s", rr.cfg->trunks[trunk].name, user, rr.realm[trunk]);
}

static void binding_free(struct hnode *n)
{
	struct binding *b = (struct binding *)n;
	struct cp_trunk *t = cp_policy_trunk(b->trunk);

	if (t != NULL)
		cp_dynacl_del(t, &b->src);
	rr.st.bindings--;
	free(b);
}

/* Add or refresh; src_changed tells whether the allowlist entry moves. */
static struct binding *binding_set(unsigned int trunk, const char *user, const char *contact,
				   const struct sbc_prefix *src, uint64_t until, uint64_t since)
{
	char key[KEY_MAX];
	struct binding *b;
	struct cp_trunk *t = cp_policy_trunk(trunk);
	int rc;

	binding_key(key, sizeof(key), trunk, user);
	b = (struct binding *)hmap_get(&rr.bindings, key);
	if (b == NULL) {
		if (rr.bindings.n >= MAP_MAX || (b = calloc(1, sizeof(*b))) == NULL)
			return NULL;
		snprintf(b->n.key, sizeof(b->n.key), "%s", key);
		b->trunk = trunk;
		snprintf(b->user, sizeof(b->user), "%s", user);
		hmap_put(&rr.bindings, &b->n);
		rr.st.bindings++;
	} else if (!sbc_prefix_equal(&b->src, src) && t != NULL) {
		cp_dynacl_del(t, &b->src);
		memset(&b->src, 0, sizeof(b->src));
	}
	if (b->src.depth == 0 && t != NULL) {
		b->src = *src;
		rc = cp_dynacl_add(t, src, 0);
		if (rc != 0 && rc != -EEXIST) {
			char txt[64];

			cp_log(CP_WARN, "registrar: %s: cannot allowlist %s: %s", key,
			       sbc_prefix_format(src, txt, sizeof(txt)), strerror(-rc));
		}
	}
	snprintf(b->contact, sizeof(b->contact), "%s", contact);
	b->until = until;
	b->since = since;
	return b;
}

static void binding_remove(unsigned int trunk, const char *user)
{
	char key[KEY_MAX];
	struct hnode *n;

	binding_key(key, sizeof(key), trunk, user);
	n = hmap_get(&rr.bindings, key);
	if (n != NULL) {
		hmap_del(&rr.bindings, n);
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
		best = (const struct binding *)hmap_get(&rr.bindings, key);
	}
	/* else the trunk's most recent binding (a walk: a call, not a packet) */
	for (size_t i = 0; (best == NULL || best->until <= now) && i < rr.bindings.nb; i++)
		for (const struct hnode *n = rr.bindings.b[i]; n != NULL; n = n->next) {
			const struct binding *b = (const struct binding *)n;

			if (b->trunk == trunk && b->until > now && (best == NULL || best->until <= now ||
								    b->since > best->since))
				best = b;
		}
	return best != NULL && best->until > now ? url_make(home, best->contact) : NULL;
}

static bool binding_old(struct hnode *n)
{
	return ((struct binding *)n)->until <= (uint64_t)time(NULL);
}

static bool fails_old(struct hnode *n)
{
	const struct fails *f = (const struct fails *)n;
	uint64_t now = mono_ms() / 1000;

	return f->locked_until <= now && now - f->window_start >= rr.cfg->auth_window;
}

static bool nc_old(struct hnode *n)
{
	return mono_ms() - ((struct ncent *)n)->born_ms > 2 * NONCE_LIFE_MS;
}

static void on_tick(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	(void)magic, (void)t, (void)arg;
	hmap_sweep(&rr.bindings, binding_old, binding_free);
	hmap_sweep(&rr.fails, fails_old, free_node);
	hmap_sweep(&rr.ncs, nc_old, free_node);
}

/* ---- a REGISTER */
static int source_of(nta_incoming_t *irq, struct source *s)
{
	msg_t *msg = nta_incoming_getrequest(irq);
	su_addrinfo_t *ai = msg ? msg_addrinfo(msg) : NULL;
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
	msg_destroy(msg);
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

/* What the REGISTER asks (RFC 3261 10.3 steps 6-7): remove, or the expiry it wants. */
static void asked_expiry(sip_t const *sip, struct pending *p)
{
	const sip_contact_t *m = sip->sip_contact;
	unsigned long e = sip->sip_expires ? sip->sip_expires->ex_delta : DEFAULT_EXPIRES;

	if (m != NULL && m->m_expires != NULL)
		e = strtoul(m->m_expires, NULL, 10);
	p->remove = e == 0 || (m != NULL && m->m_url->url_type == url_any);
	p->expires = e > MAX_EXPIRES ? MAX_EXPIRES : (uint32_t)e;
	if (m != NULL && m->m_url->url_type != url_any)
		url_e(p->contact, sizeof(p->contact), m->m_url);
	if (sip->sip_user_agent != NULL && sip->sip_user_agent->g_string != NULL)
		snprintf(p->ua, sizeof(p->ua), "%s", sip->sip_user_agent->g_string);
}

/* Copy value into dst; false when absent or too long. */
static bool take(char *dst, size_t len, const char *v)
{
	return v != NULL && strlen(v) < len && snprintf(dst, len, "%s", v) >= 0;
}

/*
 * The credentials of a REGISTER for its trunk's realm, checked as far as they can be without
 * the user's HA1. NULL (why set) when they fail.
 */
static const char *check_credentials(sip_t const *sip, struct pending *p)
{
	const char *realm = rr.realm[p->trunk];
	struct cp_digest_params d;
	const msg_auth_t *au;
	const struct ncent *nc;
	url_t *u;
	int fresh;

	for (au = (const msg_auth_t *)sip->sip_authorization; au != NULL; au = au->au_next)
		if (au->au_scheme != NULL && strcasecmp(au->au_scheme, "Digest") == 0 &&
		    cp_digest_params_parse(au->au_params, &d) == 0 && d.realm != NULL &&
		    strcmp(d.realm, realm) == 0)
			break;
	if (au == NULL)
		return "credentials for another realm";
	if (!take(p->user, sizeof(p->user), d.username) || !take(p->nonce, sizeof(p->nonce), d.nonce) ||
	    !take(p->uri, sizeof(p->uri), d.uri) ||
	    !take(p->response, sizeof(p->response), d.response) ||
	    !take(p->cnonce, sizeof(p->cnonce), d.cnonce) || d.nc == NULL || strlen(d.nc) != 8 ||
	    strspn(d.nc, "0123456789abcdefABCDEF") != 8 || d.qop == NULL ||
	    strcasecmp(d.qop, "auth") != 0 ||
	    cp_digest_alg_parse(d.algorithm, d.algorithm ? strlen(d.algorithm) : 0, &p->alg) != 0)
		return "incomplete credentials (username, nonce, uri, response, qop=auth, nc, cnonce)";
	snprintf(p->ncs, sizeof(p->ncs), "%s", d.nc);
	p->nc = (uint32_t)strtoul(d.nc, NULL, 16);
	/* RFC 3261 22.4 / RFC 7616 3.4.6: uri= is the Request-URI */
	u = url_make(NULL, p->uri);
	fresh = u != NULL && url_cmp_all(u, sip->sip_request->rq_url) == 0;
	su_free(NULL, u);
	if (!fresh)
		return "uri= is not the Request-URI";
	fresh = nonce_check(p->trunk, p->nonce);
	if (fresh < 0)
		return "a nonce that is not ours";
	p->stale = fresh == 1;
	nc = (const struct ncent *)hmap_get(&rr.ncs, p->nonce);
	if (nc != NULL && p->nc <= nc->last_nc)
		return "nc not above the last accepted with this nonce (replay)";
	return NULL;
}

static void pending_unlink(struct pending *p)
{
	for (struct pending **q = &rr.pending; *q != NULL; q = &(*q)->next)
		if (*q == p) {
			*q = p->next;
			return;
		}
}

static void finish(struct pending *p)
{
	pending_unlink(p);
	nta_incoming_destroy(p->irq);
	free(p);
}

/* Record nc as the last accepted for the nonce. */
static void nc_accept(const struct pending *p)
{
	struct ncent *e = (struct ncent *)hmap_get(&rr.ncs, p->nonce);

	if (e == NULL && rr.ncs.n < MAP_MAX && (e = calloc(1, sizeof(*e))) != NULL) {
		snprintf(e->n.key, sizeof(e->n.key), "%s", p->nonce);
		e->born_ms = mono_ms();
		hmap_put(&rr.ncs, &e->n);
	}
	if (e != NULL)
		e->last_nc = p->nc;
}

/* Authenticated: the binding changes (RFC 3261 10.3 step 7-8). */
static void accepted(struct pending *p)
{
	char key[KEY_MAX], contact[SBC_URI_MAX + 32], exp[16], src[64];
	uint64_t now = (uint64_t)time(NULL);

	rr.st.accepted++;
	binding_key(key, sizeof(key), p->trunk, p->user);
	if (p->remove || p->contact[0] == '\0') {
		if (p->remove)
			binding_remove(p->trunk, p->user);
		nta_incoming_treply(p->irq, SIP_200_OK, TAG_END());
		return;
	}
	if (p->expires < MIN_EXPIRES) {
		snprintf(exp, sizeof(exp), "%u", MIN_EXPIRES);
		nta_incoming_treply(p->irq, SIP_423_INTERVAL_TOO_BRIEF, SIPTAG_MIN_EXPIRES_STR(exp),
				    TAG_END());
		return;
	}
	if (binding_set(p->trunk, p->user, p->contact, &p->src.host, now + p->expires, now) ==
	    NULL) {
		nta_incoming_treply(p->irq, SIP_503_SERVICE_UNAVAILABLE, TAG_END());
		return;
	}
	snprintf(src, sizeof(src), "%llu", (unsigned long long)(now + p->expires));
	{
		char rkey[KEY_MAX + 16];
		const char *argv[] = { "HSET", rkey, "contact", p->contact, "source", p->src.ipport,
				       "expires", src, "user_agent", p->ua };
		size_t lens[10];

		snprintf(rkey, sizeof(rkey), "sbc:reg:%s", key);
		for (unsigned int i = 0; i < 10; i++)
			lens[i] = strlen(argv[i]);
		cp_redis_command_argv(NULL, NULL, 10, argv, lens);
	}
	cp_redis_command(NULL, NULL, "EXPIREAT sbc:reg:%s %s", key, src);
	snprintf(contact, sizeof(contact), "<%s>;expires=%u", p->contact, p->expires);
	nta_incoming_treply(p->irq, SIP_200_OK, SIPTAG_CONTACT_STR(contact), TAG_END());
}

/* HMGET sbc:user:<trunk>:<user> ha1_md5 ha1_sha256 answered. */
static void on_ha1(redisAsyncContext *ac, void *reply, void *arg)
{
	struct pending *p = arg;
	const redisReply *r = reply;
	const redisReply *e = r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2 ?
			      r->element[p->alg == CP_DIGEST_SHA256 ? 1 : 0] : NULL;
	char want[CP_DIGEST_HEX_MAX];

	(void)ac;
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		nta_incoming_treply(p->irq, SIP_503_SERVICE_UNAVAILABLE,
				    SIPTAG_RETRY_AFTER_STR("5"), TAG_END());
	} else if (e == NULL || e->type != REDIS_REPLY_STRING ||
		   e->len != cp_digest_hexlen(p->alg)) {
		failure(p->irq, p->trunk, &p->src, "unknown user");
	} else if (cp_digest_response(p->alg, e->str, p->nonce, p->ncs, p->cnonce, "auth",
				      "REGISTER", p->uri, want) != 0 ||
		   !cp_digest_equal(want, p->response)) {
		failure(p->irq, p->trunk, &p->src, "wrong response (password)");
	} else if (p->stale) {
		challenge(p->irq, p->trunk, true);	/* RFC 7616 3.3: right, but an old nonce */
	} else {
		const struct ncent *nc = (const struct ncent *)hmap_get(&rr.ncs, p->nonce);

		if (nc != NULL && p->nc <= nc->last_nc) {	/* the same nc twice in flight */
			failure(p->irq, p->trunk, &p->src, "nc replayed");
		} else {
			nc_accept(p);
			accepted(p);
		}
	}
	finish(p);
}

int cp_registrar_request(nta_incoming_t *irq, sip_t const *sip)
{
	struct pending *p;
	const char *why;
	struct source src;
	int trunk;

	if (!rr.active)
		return 405;
	rr.st.registers++;
	trunk = trunk_of_realm(sip->sip_request->rq_url->url_host);
	if (source_of(irq, &src) != 0)
		return 500;
	if (locked(src.ip)) {
		/* the data plane drops it before this once it enforces sbc:deny; here a refusal
		 * without any check (nta cannot end a transaction without an answer) */
		rr.st.refused++;
		nta_incoming_treply(irq, 403, "Locked Out", TAG_END());
		return 403;
	}
	if (trunk < 0) {
		rr.st.refused++;
		nta_incoming_treply(irq, 404, "Unknown Domain", TAG_END());
		return 404;
	}
	if (rr.cfg->trunks[trunk].auth == SBC_AUTH_BOTH && !listed((unsigned int)trunk, &src.host)) {
		rr.st.refused++;
		nta_incoming_treply(irq, 403, "Source Not Listed", TAG_END());
		return 403;
	}
	if (sip->sip_authorization == NULL) {
		challenge(irq, (unsigned int)trunk, false);
		return 401;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return 500;
	p->irq = irq;
	p->trunk = (unsigned int)trunk;
	p->src = src;
	why = check_credentials(sip, p);
	if (why != NULL) {
		failure(irq, p->trunk, &src, why);
		free(p);
		return 401;
	}
	asked_expiry(sip, p);
	if (cp_redis_command(on_ha1, p, "HMGET sbc:user:%s:%s ha1_md5 ha1_sha256",
			     rr.cfg->trunks[trunk].name, p->user) != 0) {
		free(p);
		nta_incoming_treply(irq, SIP_503_SERVICE_UNAVAILABLE, SIPTAG_RETRY_AFTER_STR("5"),
				    TAG_END());
		return 503;
	}
	p->next = rr.pending;
	rr.pending = p;
	return 0;
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
	if (hmap_get(&rr.bindings, key + strlen("sbc:reg:")) == NULL)
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
	struct fails *f = (struct fails *)hmap_get(&rr.fails, ip);

	(void)ac;
	if (r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer == 0 && f != NULL &&
	    f->locked_until != 0) {
		f->locked_until = 0;
		f->count = 0;
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
	memset(&rr, 0, sizeof(rr));
	rr.cfg = cfg;
	if (!sbc_config_takes_digest(cfg))
		return 0;
	if (RAND_bytes(rr.secret, sizeof(rr.secret)) != 1 ||
	    RAND_bytes((unsigned char *)&hash_seed, sizeof(hash_seed)) != 1)
		return -EIO;
	hash_seed ^= SBC_FNV1A_INIT;
	rr.realm = calloc(cfg->n_trunks, sizeof(*rr.realm));
	rr.tick = su_timer_create(su_root_task(root), 1000);
	if (rr.realm == NULL || rr.tick == NULL || hmap_init(&rr.bindings, 4096) != 0 ||
	    hmap_init(&rr.fails, 4096) != 0 || hmap_init(&rr.ncs, 4096) != 0 ||
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
	while (rr.pending != NULL)
		finish(rr.pending);
	if (rr.tick != NULL)
		su_timer_destroy(rr.tick);
	rr.tick = NULL;
}

static void binding_drop(struct hnode *n)
{
	free(n);	/* at exit: the data plane keeps its entries (fail static) */
}

void cp_registrar_fini(void)
{
	hmap_fini(&rr.bindings, binding_drop);
	hmap_fini(&rr.fails, free_node);
	hmap_fini(&rr.ncs, free_node);
	free(rr.realm);
	memset(&rr, 0, sizeof(rr));
}
