/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Upstream registration to carriers (RFC 3261 10.2). One dialog-like leg per carrier (one
 * Call-ID, CSeq increasing, 10.2.4) that REGISTERs sip:<username>@<uri host> with our Contact.
 *
 * - A 401/407 is answered with the best challenge we accept: SHA-256 before MD5 whatever their
 *   order (RFC 8760 2.4 leaves the choice to local policy), never one for another realm when
 *   `realm` is set (FreeSWITCH CVE-2021-41158), qop=auth with a fresh cnonce and nc (RFC 7616
 *   3.4). The Authorization header is computed here and handed to nta as a string; refreshes
 *   reuse the last challenge with the next nc. A second challenge within one attempt is a
 *   refusal of our credentials, unless it says stale=true (then the new nonce is answered).
 * - 2xx: registered until what the registrar granted (our Contact's expires, else Expires);
 *   the refresh goes halfway through. 423: again with its Min-Expires.
 * - A failure (credentials refused, any other final answer, no answer) retries after 5 s,
 *   doubling to 300 s; 3 consecutive failures make the carrier down for routing until a
 *   REGISTER succeeds again.
 * Runs on the su_root thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/rand.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/url.h>

#include "cp_digest.h"
#include "cp_dynacl.h"
#include "cp_log.h"
#include "cp_policy.h"
#include "cp_register.h"
#include "cp_route.h"
#include "cp_sip.h"

#define BACKOFF_MIN_S 5
#define BACKOFF_MAX_S 300
#define DOWN_AFTER 3		/* consecutive failures */
#define UNREGISTER_WAIT_MS 2000

struct reg {
	unsigned int trunk;
	const struct sbc_trunk_config *t;
	su_home_t home[1];
	char ruri[SBC_URI_MAX];		/* the registrar's URI: uri without user part */
	char aor[SBC_URI_MAX + SBC_CRED_MAX];
	nta_leg_t *leg;
	nta_outgoing_t *orq;
	su_timer_t *timer;
	uint32_t asked;			/* Expires we ask for */
	bool registered, unregistering, done;
	uint32_t failures, backoff_s;
	int last_code;
	unsigned int challenges;	/* answered within this attempt */
	/* the last challenge accepted: refreshes answer it again with the next nc */
	bool have_challenge, proxy;
	enum cp_digest_alg alg;
	char realm[SBC_CRED_MAX], nonce[256], opaque[256];
	uint32_t nc;
};

static struct {
	const struct sbc_config *cfg;
	struct reg *r;
	unsigned int n;
} rg;

static void attempt(struct reg *r);

static void on_timer(su_root_magic_t *magic, su_timer_t *timer, su_timer_arg_t *arg)
{
	(void)magic, (void)timer;
	attempt((struct reg *)arg);
}

static void publish(struct reg *r, enum cp_reg_state s, uint64_t expires)
{
	cp_route_registration(r->trunk, s, r->failures, expires, r->last_code);
}

static void arm(struct reg *r, uint32_t seconds)
{
	su_timer_reset(r->timer);
	su_timer_set_interval(r->timer, on_timer, (su_timer_arg_t *)r, seconds * 1000u);
}

static void failed(struct reg *r, const char *why)
{
	bool was_down = r->failures >= DOWN_AFTER;

	r->failures++;
	r->registered = false;
	r->have_challenge = false;
	publish(r, r->failures >= DOWN_AFTER ? CP_REG_DOWN : CP_REG_FAILED, 0);
	if (r->failures == DOWN_AFTER && !was_down)
		cp_log(CP_WARN, "trunk %s: registration down after %u failures (%s); routes skip it",
		       r->t->name, r->failures, why);
	else if (r->failures < DOWN_AFTER)
		cp_log(CP_WARN, "trunk %s: REGISTER failed (%s); again in %u s", r->t->name, why,
		       r->backoff_s);
	arm(r, r->backoff_s);
	r->backoff_s = r->backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : r->backoff_s * 2;
}

/* What the registrar granted our Contact (RFC 3261 10.2.4), else Expires, else what we asked. */
static uint32_t granted(struct reg *r, sip_t const *sip)
{
	const url_t *mine = cp_sip_contact()->m_url;

	for (const sip_contact_t *m = sip->sip_contact; m != NULL; m = m->m_next)
		if (m->m_expires != NULL && m->m_url->url_host != NULL &&
		    strcasecmp(m->m_url->url_host, mine->url_host) == 0 &&
		    (m->m_url->url_user == NULL ||
		     strcmp(m->m_url->url_user, r->t->username) == 0))
			return (uint32_t)strtoul(m->m_expires, NULL, 10);
	if (sip->sip_expires != NULL)
		return (uint32_t)sip->sip_expires->ex_delta;
	return r->asked;
}

static void registered(struct reg *r, sip_t const *sip)
{
	uint32_t g = granted(r, sip);
	bool was = r->registered, was_down = r->failures >= DOWN_AFTER;

	if (g == 0) {	/* 200 without our binding: not registered */
		failed(r, "200 without our binding");
		return;
	}
	r->failures = 0;
	r->backoff_s = BACKOFF_MIN_S;
	r->registered = true;
	publish(r, CP_REG_REGISTERED, (uint64_t)time(NULL) + g);
	if (!was || was_down)
		cp_log(CP_INFO, "trunk %s: registered for %u s%s", r->t->name, g,
		       was_down ? " (up again)" : "");
	arm(r, g / 2 > 0 ? g / 2 : 1);	/* refresh halfway */
}

/* The Authorization (or Proxy-Authorization) value for the next request. */
static int credentials(struct reg *r, const char *method, char *out, size_t len)
{
	char ha1[CP_DIGEST_HEX_MAX], resp[CP_DIGEST_HEX_MAX], nc[9], cnonce[17];
	unsigned char rnd[8];
	int n;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -EIO;
	for (unsigned int i = 0; i < sizeof(rnd); i++)
		snprintf(cnonce + 2 * i, 3, "%02x", rnd[i]);
	snprintf(nc, sizeof(nc), "%08x", ++r->nc);
	if (cp_digest_ha1(r->alg, r->t->username, r->realm, r->t->password, ha1) != 0 ||
	    cp_digest_response(r->alg, ha1, r->nonce, nc, cnonce, "auth", method, r->ruri,
			       resp) != 0)
		return -EIO;
	n = snprintf(out, len, "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
		     "response=\"%s\", algorithm=%s, cnonce=\"%s\", qop=auth, nc=%s%s%s%s",
		     r->t->username, r->realm, r->nonce, r->ruri, resp, cp_digest_alg_name(r->alg),
		     cnonce, nc, r->opaque[0] ? ", opaque=\"" : "", r->opaque,
		     r->opaque[0] ? "\"" : "");
	return n > 0 && (size_t)n < len ? 0 : -E2BIG;
}

static int on_response(nta_outgoing_magic_t *magic, nta_outgoing_t *orq, sip_t const *sip);

static void send_register(struct reg *r, uint32_t expires)
{
	char auth[2048], exp[16];
	bool with_auth = r->have_challenge &&
			 credentials(r, "REGISTER", auth, sizeof(auth)) == 0;

	snprintf(exp, sizeof(exp), "%u", expires);
	if (r->orq != NULL)
		nta_outgoing_destroy(r->orq);
	r->orq = nta_outgoing_tcreate(r->leg, on_response, (nta_outgoing_magic_t *)r, NULL,
				      SIP_METHOD_REGISTER, (url_string_t *)r->ruri,
				      SIPTAG_CONTACT(cp_sip_contact()), SIPTAG_EXPIRES_STR(exp),
				      SIPTAG_MAX_FORWARDS_STR("70"),
				      TAG_IF(with_auth && !r->proxy, SIPTAG_AUTHORIZATION_STR(auth)),
				      TAG_IF(with_auth && r->proxy,
					     SIPTAG_PROXY_AUTHORIZATION_STR(auth)),
				      TAG_END());
	if (r->orq == NULL && !r->unregistering)
		failed(r, "cannot send the REGISTER");
}

/* A new attempt (first, refresh, retry): the timer's callback. */
static void attempt(struct reg *r)
{
	r->challenges = 0;
	send_register(r, r->asked);
}

/*
 * The challenge to answer among a 401/407's: Digest, qop auth (or none), an algorithm we
 * compute, our realm when one is set; SHA-256 first. 0 with r's challenge set, or -ENOENT.
 */
static int pick_challenge(struct reg *r, const msg_auth_t *list, const char **why)
{
	struct cp_digest_params p;
	enum cp_digest_alg best_alg = CP_DIGEST_MD5, a;
	bool found = false;

	*why = "no Digest challenge with MD5 or SHA-256 and qop auth";
	for (const msg_auth_t *au = list; au != NULL; au = au->au_next) {
		if (au->au_scheme == NULL || strcasecmp(au->au_scheme, "Digest") != 0 ||
		    cp_digest_params_parse(au->au_params, &p) != 0 || p.realm == NULL ||
		    p.nonce == NULL ||
		    cp_digest_alg_parse(p.algorithm, p.algorithm ? strlen(p.algorithm) : 0, &a) != 0 ||
		    (p.qop != NULL && !cp_digest_qop_has_auth(p.qop)))
			continue;
		if (r->t->realm[0] != '\0' && strcmp(p.realm, r->t->realm) != 0) {
			*why = "a challenge for another realm (not answered)";
			continue;
		}
		if (!found || (a == CP_DIGEST_SHA256 && best_alg != CP_DIGEST_SHA256)) {
			best_alg = a;
			found = true;
			snprintf(r->realm, sizeof(r->realm), "%s", p.realm);
			snprintf(r->nonce, sizeof(r->nonce), "%s", p.nonce);
			snprintf(r->opaque, sizeof(r->opaque), "%s", p.opaque ? p.opaque : "");
		}
	}
	if (!found)
		return -ENOENT;
	r->alg = best_alg;
	r->nc = 0;
	r->have_challenge = true;
	return 0;
}

static bool is_stale(const msg_auth_t *list)
{
	struct cp_digest_params p;

	for (const msg_auth_t *au = list; au != NULL; au = au->au_next)
		if (cp_digest_params_parse(au->au_params, &p) == 0 && p.stale != NULL &&
		    strcasecmp(p.stale, "true") == 0)
			return true;
	return false;
}

static void challenged(struct reg *r, sip_t const *sip, int status)
{
	const msg_auth_t *list = status == 401 ? (const msg_auth_t *)sip->sip_www_authenticate :
				 (const msg_auth_t *)sip->sip_proxy_authenticate;
	const char *why;
	char buf[128];

	/* answered once already in this attempt: our credentials were refused (unless stale,
	 * answered twice at most) */
	if (r->challenges > 0 && (!is_stale(list) || r->challenges > 2)) {
		snprintf(buf, sizeof(buf), "credentials refused: %d", status);
		r->have_challenge = false;
		if (!r->unregistering)
			failed(r, buf);
		return;
	}
	if (pick_challenge(r, list, &why) != 0) {
		r->have_challenge = false;
		if (!r->unregistering)
			failed(r, why);
		return;
	}
	r->proxy = status == 407;
	r->challenges++;
	send_register(r, r->unregistering ? 0 : r->asked);
}

static int on_response(nta_outgoing_magic_t *magic, nta_outgoing_t *orq, sip_t const *sip)
{
	struct reg *r = (struct reg *)magic;
	int status = nta_outgoing_status(orq);
	char buf[64];

	if (status < 200 || orq != r->orq)
		return 0;
	nta_outgoing_destroy(orq);
	r->orq = NULL;
	r->last_code = status;
	if (r->unregistering) {
		if ((status == 401 || status == 407) && sip != NULL && r->challenges == 0)
			challenged(r, sip, status);
		r->done = r->orq == NULL;
		return 0;
	}
	if (status >= 200 && status < 300 && sip != NULL)
		registered(r, sip);
	else if ((status == 401 || status == 407) && sip != NULL && !nta_sip_is_internal(sip))
		challenged(r, sip, status);
	else if (status == 423 && sip != NULL && sip->sip_min_expires != NULL &&
		 sip->sip_min_expires->me_delta > r->asked && sip->sip_min_expires->me_delta <= 86400) {
		r->asked = (uint32_t)sip->sip_min_expires->me_delta;	/* RFC 3261 10.2.8 */
		send_register(r, r->asked);
	} else {
		snprintf(buf, sizeof(buf), sip == NULL || nta_sip_is_internal(sip) ?
			 "no answer (%d)" : "%d", status);
		failed(r, buf);
	}
	return 0;
}

/* The carrier's addresses (what uri's host resolves to) allowlisted for its trunk. */
static void allow_carrier(struct reg *r, const url_t *u)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL;
	struct cp_trunk *pt = cp_policy_trunk(r->trunk);
	int rc = getaddrinfo(u->url_host, NULL, &hints, &res);

	if (rc != 0) {
		cp_log(CP_WARN, "trunk %s: cannot resolve %s (%s); its requests are not allowlisted",
		       r->t->name, u->url_host, gai_strerror(rc));
		return;
	}
	for (struct addrinfo *a = res; a != NULL; a = a->ai_next) {
		struct sbc_prefix p = { 0 };

		if (a->ai_family == AF_INET) {
			p.family = SBC_AF_V4;
			p.depth = 32;
			memcpy(p.addr, &((struct sockaddr_in *)a->ai_addr)->sin_addr, 4);
		} else if (a->ai_family == AF_INET6) {
			p.family = SBC_AF_V6;
			p.depth = 128;
			memcpy(p.addr, &((struct sockaddr_in6 *)a->ai_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		rc = pt != NULL ? cp_dynacl_add(pt, &p, 0) : -ENOENT;
		if (rc != 0 && rc != -EEXIST) {
			char txt[64];

			cp_log(CP_WARN, "trunk %s: cannot allowlist %s: %s", r->t->name,
			       sbc_prefix_format(&p, txt, sizeof(txt)), strerror(-rc));
		}
	}
	freeaddrinfo(res);
}

static int reg_open(su_root_t *root, struct reg *r)
{
	url_t *u = url_make(r->home, r->t->uri);
	char from[SBC_URI_MAX + SBC_CRED_MAX + 8];
	url_t ru;

	if (u == NULL || u->url_host == NULL) {
		cp_log(CP_ERR, "trunk %s: uri '%s' is not a SIP URI", r->t->name, r->t->uri);
		return -EINVAL;
	}
	ru = *u;
	ru.url_user = ru.url_password = ru.url_headers = NULL;	/* RFC 3261 10.2: no userinfo */
	if (url_e(r->ruri, sizeof(r->ruri), &ru) < 0 ||
	    snprintf(r->aor, sizeof(r->aor), "%s:%s@%s%s%s", u->url_type == url_sips ? "sips" :
		     "sip", r->t->username, u->url_host, u->url_port ? ":" : "",
		     u->url_port ? u->url_port : "") >= (int)sizeof(r->aor))
		return -E2BIG;
	snprintf(from, sizeof(from), "<%s>", r->aor);
	/* RFC 3261 10.2: To and From are the address of record; one Call-ID for every refresh */
	r->leg = nta_leg_tcreate(cp_sip_agent(), NULL, NULL, SIPTAG_FROM_STR(from),
				 SIPTAG_TO_STR(from), TAG_END());
	r->timer = su_timer_create(su_root_task(root), 1000);
	if (r->leg == NULL || nta_leg_tag(r->leg, NULL) == NULL || r->timer == NULL)
		return -ENOMEM;
	allow_carrier(r, u);
	return 0;
}

int cp_register_start(struct su_root_s *root, const struct sbc_config *cfg)
{
	memset(&rg, 0, sizeof(rg));
	rg.cfg = cfg;
	rg.r = calloc(cfg->n_trunks ? cfg->n_trunks : 1, sizeof(*rg.r));
	if (rg.r == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < cfg->n_trunks; i++) {
		struct reg *r = &rg.r[rg.n];

		if (!cfg->trunks[i].reg)
			continue;
		su_home_init(r->home);
		rg.n++;
		r->trunk = i;
		r->t = &cfg->trunks[i];
		r->asked = r->t->expires;
		r->backoff_s = BACKOFF_MIN_S;
		if (reg_open(root, r) != 0)
			return -EINVAL;
		publish(r, CP_REG_OFF, 0);
		attempt(r);
	}
	return 0;
}

static bool all_done(void)
{
	for (unsigned int i = 0; i < rg.n; i++)
		if (!rg.r[i].done)
			return false;
	return true;
}

void cp_register_stop(struct su_root_s *root)
{
	struct timespec t0, now;

	if (rg.r == NULL)
		return;
	for (unsigned int i = 0; i < rg.n; i++) {
		struct reg *r = &rg.r[i];

		su_timer_reset(r->timer);
		r->unregistering = true;
		r->done = !r->registered;	/* RFC 3261 10.2.2: Expires 0 removes our binding */
		r->challenges = 0;
		if (!r->done) {
			send_register(r, 0);
			r->done = r->orq == NULL;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (all_done())
			break;
		su_root_step(root, 50);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 <
		 UNREGISTER_WAIT_MS);
	for (unsigned int i = 0; i < rg.n; i++) {
		struct reg *r = &rg.r[i];

		if (r->registered)
			cp_log(CP_INFO, "trunk %s: un-REGISTER %s", r->t->name,
			       r->done && r->last_code >= 200 && r->last_code < 300 ? "done" :
			       "unanswered");
		if (r->orq != NULL)
			nta_outgoing_destroy(r->orq);
		if (r->leg != NULL)
			nta_leg_destroy(r->leg);
		if (r->timer != NULL)
			su_timer_destroy(r->timer);
		su_home_deinit(r->home);
	}
	free(rg.r);
	memset(&rg, 0, sizeof(rg));
}
