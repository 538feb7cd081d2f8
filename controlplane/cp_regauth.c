/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registrar's authentication checks and their state (see cp_regauth.h): nonces are
 * <ms>.<random>.<HMAC-SHA256 of both and the trunk>, so checking one needs no state; the last
 * nc accepted per nonce is kept only while the nonce is fresh (a stale nonce is never
 * accepted, so its entry has nothing left to guard); failed authentications are kept per
 * source as the times of the last K, so "K within T s" is exact (a window that restarts
 * every T s lets 2K-2 through around its boundary). Runs on the su_root thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/url.h>

#include "cp_regauth.h"
#include "sbc_hash.h"

/* ---- cp_strmap */
static size_t slot(const struct cp_strmap *m, const char *key)
{
	return sbc_fnv1a(m->seed, key, strlen(key)) & (m->nb - 1);
}

int cp_strmap_init(struct cp_strmap *m, size_t nb, uint64_t seed)
{
	m->nb = nb;
	m->n = 0;
	m->seed = seed ^ SBC_FNV1A_INIT;
	m->b = calloc(nb, sizeof(*m->b));
	return m->b != NULL ? 0 : -ENOMEM;
}

struct cp_strnode *cp_strmap_get(const struct cp_strmap *m, const char *key)
{
	for (struct cp_strnode *e = m->b[slot(m, key)]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

void cp_strmap_put(struct cp_strmap *m, struct cp_strnode *e)
{
	size_t s = slot(m, e->key);

	e->next = m->b[s];
	m->b[s] = e;
	m->n++;
}

void cp_strmap_del(struct cp_strmap *m, struct cp_strnode *e)
{
	for (struct cp_strnode **p = &m->b[slot(m, e->key)]; *p != NULL; p = &(*p)->next)
		if (*p == e) {
			*p = e->next;
			m->n--;
			return;
		}
}

void cp_strmap_sweep(struct cp_strmap *m, bool (*old)(const struct cp_strnode *, void *),
		     void *arg, void (*gone)(struct cp_strnode *))
{
	for (size_t i = 0; i < m->nb; i++)
		for (struct cp_strnode **p = &m->b[i]; *p != NULL;) {
			struct cp_strnode *e = *p;

			if (!old(e, arg)) {
				p = &e->next;
				continue;
			}
			*p = e->next;
			m->n--;
			gone(e);
		}
}

void cp_strmap_fini(struct cp_strmap *m, void (*gone)(struct cp_strnode *))
{
	for (size_t i = 0; m->b != NULL && i < m->nb; i++)
		while (m->b[i] != NULL) {
			struct cp_strnode *e = m->b[i];

			m->b[i] = e->next;
			gone(e);
		}
	free(m->b);
	memset(m, 0, sizeof(*m));
}

/* ---- state */
struct ncent {
	struct cp_strnode n;		/* key: nonce */
	uint32_t last_nc;
	uint64_t born_ms;		/* the nonce's own birth */
};

struct fails {
	struct cp_strnode n;		/* key: source address */
	uint64_t locked_until;		/* s; 0: not locked */
	uint32_t head, count;		/* ring of the last `failures` failure times */
	uint64_t t[];
};

static void free_node(struct cp_strnode *e)
{
	free(e);
}

int cp_regauth_init(struct cp_regauth *a, const unsigned char secret[32], uint64_t seed,
		    uint32_t failures, uint32_t window_s, uint32_t lockout_s)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->secret, secret, sizeof(a->secret));
	a->failures = failures ? failures : 1;
	a->window_s = window_s;
	a->lockout_s = lockout_s;
	if (cp_strmap_init(&a->ncs, 4096, seed) != 0 ||
	    cp_strmap_init(&a->fails, 4096, seed * 31 + 7) != 0) {
		cp_regauth_fini(a);
		return -ENOMEM;
	}
	return 0;
}

void cp_regauth_fini(struct cp_regauth *a)
{
	cp_strmap_fini(&a->ncs, free_node);
	cp_strmap_fini(&a->fails, free_node);
}

/* ---- nonces */
static void nonce_mac(const struct cp_regauth *a, const char *head, size_t hlen,
		      const char *trunk, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE], msg[CP_NONCE_MAX + SBC_TRUNK_NAME_MAX];
	unsigned int mdlen = 0;
	size_t tlen = strnlen(trunk, SBC_TRUNK_NAME_MAX - 1);

	memcpy(msg, head, hlen);
	memcpy(msg + hlen, trunk, tlen);
	HMAC(EVP_sha256(), a->secret, sizeof(a->secret), msg, hlen + tlen, md, &mdlen);
	for (unsigned int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

void cp_nonce_make(const struct cp_regauth *a, const char *trunk, uint64_t now_ms,
		   const unsigned char rnd[8], char *out, size_t len)
{
	char head[64], mac[33];
	int n;

	n = snprintf(head, sizeof(head), "%llx.%02x%02x%02x%02x%02x%02x%02x%02x.",
		     (unsigned long long)now_ms, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
		     rnd[6], rnd[7]);
	nonce_mac(a, head, (size_t)n, trunk, mac);
	snprintf(out, len, "%s%s", head, mac);
}

/* The birth of a nonce that is ours, else UINT64_MAX. */
static uint64_t nonce_born(const struct cp_regauth *a, const char *trunk, const char *nonce)
{
	const char *dot = strchr(nonce, '.'), *dot2 = dot ? strchr(dot + 1, '.') : NULL;
	char mac[33];

	if (dot2 == NULL || dot == nonce || (size_t)(dot2 + 1 - nonce) > 64 ||
	    strspn(nonce, "0123456789abcdef") != (size_t)(dot - nonce) ||
	    strlen(dot2 + 1) != 32)
		return UINT64_MAX;
	nonce_mac(a, nonce, (size_t)(dot2 + 1 - nonce), trunk, mac);
	if (!cp_digest_equal(mac, dot2 + 1))
		return UINT64_MAX;
	return strtoull(nonce, NULL, 16);
}

int cp_nonce_check(const struct cp_regauth *a, const char *trunk, const char *nonce,
		   uint64_t now_ms)
{
	uint64_t born = nonce_born(a, trunk, nonce);

	if (born == UINT64_MAX)
		return -1;
	/* a nonce from the future (a clock step back) is as good as stale */
	return born > now_ms || now_ms - born > CP_NONCE_LIFE_MS ? 1 : 0;
}

bool cp_nc_fresh(const struct cp_regauth *a, const char *nonce, uint32_t nc)
{
	const struct ncent *e = (const struct ncent *)cp_strmap_get(&a->ncs, nonce);

	return e == NULL || nc > e->last_nc;
}

int cp_nc_accept(struct cp_regauth *a, const char *nonce, uint32_t nc)
{
	struct ncent *e = (struct ncent *)cp_strmap_get(&a->ncs, nonce);

	if (e == NULL) {
		if (strlen(nonce) >= sizeof(e->n.key))
			return -EINVAL;
		if (a->ncs.n >= CP_REGAUTH_MAP_MAX)
			return -ENOSPC;
		e = calloc(1, sizeof(*e));
		if (e == NULL)
			return -ENOMEM;
		snprintf(e->n.key, sizeof(e->n.key), "%s", nonce);
		e->born_ms = strtoull(nonce, NULL, 16);
		cp_strmap_put(&a->ncs, &e->n);
	}
	e->last_nc = nc;
	return 0;
}

/* ---- credentials */
/* Copy v into dst; false when absent or too long. */
static bool take(char *dst, size_t len, const char *v)
{
	return v != NULL && strlen(v) < len && snprintf(dst, len, "%s", v) >= 0;
}

/* The Digest credentials for realm among sip's Authorization headers, parsed into d. */
static bool find_realm(sip_t const *sip, const char *realm, struct cp_digest_params *d)
{
	for (const msg_auth_t *au = (const msg_auth_t *)sip->sip_authorization; au != NULL;
	     au = au->au_next)
		if (au->au_scheme != NULL && strcasecmp(au->au_scheme, "Digest") == 0 &&
		    cp_digest_params_parse(au->au_params, d) == 0 && d->realm != NULL &&
		    strcmp(d->realm, realm) == 0)
			return true;
	return false;
}

const char *cp_regauth_check(const struct cp_regauth *a, sip_t const *sip, const char *realm,
			     const char *trunk, unsigned int algs, uint64_t now_ms,
			     struct cp_cred *c)
{
	struct cp_digest_params d;
	url_t *u;
	int fresh;

	memset(c, 0, sizeof(*c));
	if (sip->sip_request == NULL || !find_realm(sip, realm, &d))
		return "credentials for another realm";
	if (!take(c->user, sizeof(c->user), d.username) ||
	    !take(c->nonce, sizeof(c->nonce), d.nonce) || !take(c->uri, sizeof(c->uri), d.uri) ||
	    !take(c->response, sizeof(c->response), d.response) ||
	    !take(c->cnonce, sizeof(c->cnonce), d.cnonce) || d.nc == NULL || strlen(d.nc) != 8 ||
	    strspn(d.nc, "0123456789abcdefABCDEF") != 8 || d.qop == NULL ||
	    strcasecmp(d.qop, "auth") != 0 ||
	    cp_digest_alg_parse(d.algorithm, d.algorithm ? strlen(d.algorithm) : 0, &c->alg) != 0)
		return "incomplete credentials (username, nonce, uri, response, qop=auth, nc, cnonce)";
	if (!(algs & (1u << c->alg)))
		return "an algorithm the trunk does not offer";
	snprintf(c->ncs, sizeof(c->ncs), "%s", d.nc);
	c->nc = (uint32_t)strtoul(d.nc, NULL, 16);
	/* RFC 3261 22.4 / RFC 7616 3.4.6: uri= is the Request-URI */
	u = url_make(NULL, c->uri);
	fresh = u != NULL && url_cmp_all(u, sip->sip_request->rq_url) == 0;
	su_free(NULL, u);
	if (!fresh)
		return "uri= is not the Request-URI";
	fresh = cp_nonce_check(a, trunk, c->nonce, now_ms);
	if (fresh < 0)
		return "a nonce that is not ours";
	c->stale = fresh == 1;
	if (!cp_nc_fresh(a, c->nonce, c->nc))
		return "nc not above the last accepted with this nonce (replay)";
	return NULL;
}

/* ---- failures and lockout */
/* Drop the failures older than the window. */
static void fails_age(const struct cp_regauth *a, struct fails *f, uint64_t now_s)
{
	while (f->count > 0) {
		uint32_t oldest = (f->head + a->failures - f->count) % a->failures;

		if (f->t[oldest] + a->window_s > now_s)
			break;
		f->count--;
	}
}

bool cp_regauth_fail(struct cp_regauth *a, const char *ip, uint64_t now_s)
{
	struct fails *f = (struct fails *)cp_strmap_get(&a->fails, ip);

	if (f == NULL) {
		if (a->fails.n >= CP_REGAUTH_MAP_MAX || strlen(ip) >= sizeof(f->n.key))
			return false;
		f = calloc(1, sizeof(*f) + a->failures * sizeof(f->t[0]));
		if (f == NULL)
			return false;
		snprintf(f->n.key, sizeof(f->n.key), "%s", ip);
		cp_strmap_put(&a->fails, &f->n);
	}
	if (f->locked_until > now_s)
		return false;	/* counted when it is no longer locked out */
	fails_age(a, f, now_s);
	f->t[f->head] = now_s;
	f->head = (f->head + 1) % a->failures;
	if (++f->count < a->failures)
		return false;
	f->count = 0;		/* the lockout takes these failures */
	f->locked_until = now_s + a->lockout_s;
	return true;
}

bool cp_regauth_locked(const struct cp_regauth *a, const char *ip, uint64_t now_s)
{
	const struct fails *f = (const struct fails *)cp_strmap_get(&a->fails, ip);

	return f != NULL && f->locked_until > now_s;
}

bool cp_regauth_unlock(struct cp_regauth *a, const char *ip)
{
	struct fails *f = (struct fails *)cp_strmap_get(&a->fails, ip);

	if (f == NULL || f->locked_until == 0)
		return false;
	f->locked_until = 0;
	f->count = 0;
	return true;
}

struct sweep_arg {
	const struct cp_regauth *a;
	uint64_t now_ms;
};

static bool nc_old(const struct cp_strnode *n, void *arg)
{
	const struct sweep_arg *s = arg;
	uint64_t born = ((const struct ncent *)n)->born_ms;

	return born > s->now_ms || s->now_ms - born > CP_NONCE_LIFE_MS;
}

static bool fails_old(const struct cp_strnode *n, void *arg)
{
	const struct sweep_arg *s = arg;
	struct fails *f = (struct fails *)n;
	uint64_t now_s = s->now_ms / 1000;

	if (f->locked_until > now_s)
		return false;
	fails_age(s->a, f, now_s);
	return f->count == 0;
}

void cp_regauth_sweep(struct cp_regauth *a, uint64_t now_ms)
{
	struct sweep_arg s = { a, now_ms };

	cp_strmap_sweep(&a->ncs, nc_old, &s, free_node);
	cp_strmap_sweep(&a->fails, fails_old, &s, free_node);
}
