/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registrar's recent answers (see cp_regcache.h): a ring allocated once, in the order the
 * REGISTERs came, with a chained index of its slots; what leaves the ring is the oldest, so
 * entries past their life are always at its head. Nothing is allocated after init, so what
 * it holds is the same at 1 REGISTER a second or 100,000. Runs on the su_root thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/url.h>

#include "cp_regcache.h"

int cp_regcache_init(struct cp_regcache *c, uint32_t cap)
{
	memset(c, 0, sizeof(*c));
	if (cap == 0 || cap > UINT32_MAX / 4)
		return -EINVAL;
	for (c->nb = 1; c->nb < cap; c->nb <<= 1)
		;
	c->cap = cap;
	c->e = calloc(cap, sizeof(*c->e));
	c->bucket = malloc(c->nb * sizeof(*c->bucket));
	if (c->e == NULL || c->bucket == NULL) {
		cp_regcache_fini(c);
		return -ENOMEM;
	}
	memset(c->bucket, 0xff, c->nb * sizeof(*c->bucket));	/* CP_REGCACHE_NONE */
	return 0;
}

void cp_regcache_fini(struct cp_regcache *c)
{
	free(c->e);
	free(c->bucket);
	memset(c, 0, sizeof(*c));
}

size_t cp_regcache_bytes(const struct cp_regcache *c)
{
	return (size_t)c->cap * sizeof(*c->e) + (size_t)c->nb * sizeof(*c->bucket);
}

/* One field of the key, its length first, so no two lists of fields give the same bytes. */
static int feed(EVP_MD_CTX *ctx, const char *s)
{
	uint32_t len = s != NULL ? (uint32_t)strlen(s) : UINT32_MAX;

	return EVP_DigestUpdate(ctx, &len, sizeof(len)) &&
	       (s == NULL || EVP_DigestUpdate(ctx, s, len));
}

int cp_regcache_key(const unsigned char secret[32], sip_t const *sip,
		    uint8_t key[CP_REGCACHE_KEY])
{
	const sip_via_t *v = sip->sip_via;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char cseq[16], ruri[1024];
	EVP_MD_CTX *ctx;
	int ok;

	if (v == NULL || sip->sip_call_id == NULL || sip->sip_cseq == NULL ||
	    sip->sip_request == NULL)
		return -EINVAL;
	snprintf(cseq, sizeof(cseq), "%u", sip->sip_cseq->cs_seq);
	/* a longer URI is cut: every copy of one request is cut alike */
	url_e(ruri, sizeof(ruri), sip->sip_request->rq_url);
	ruri[sizeof(ruri) - 1] = '\0';
	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(ctx, secret, 32) && feed(ctx, v->v_branch) &&
	     feed(ctx, v->v_host) && feed(ctx, v->v_port) && feed(ctx, sip->sip_call_id->i_id) &&
	     feed(ctx, cseq) && feed(ctx, sip->sip_cseq->cs_method_name) &&
	     feed(ctx, sip->sip_from != NULL ? sip->sip_from->a_tag : NULL) && feed(ctx, ruri) &&
	     EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen >= CP_REGCACHE_KEY;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -EIO;
	memcpy(key, md, CP_REGCACHE_KEY);
	return 0;
}

void cp_regcache_tag(const uint8_t key[CP_REGCACHE_KEY], char tag[CP_REGCACHE_TAG])
{
	static const char hex[] = "0123456789abcdef";

	/* the last 8 bytes: the first ones choose the bucket */
	for (unsigned int i = 0; i < 8; i++) {
		tag[2 * i] = hex[key[8 + i] >> 4];
		tag[2 * i + 1] = hex[key[8 + i] & 15];
	}
	tag[16] = '\0';
}

static uint32_t bucket_of(const struct cp_regcache *c, const uint8_t key[CP_REGCACHE_KEY])
{
	uint32_t h;

	memcpy(&h, key, sizeof(h));	/* a keyed hash already: its first bytes will do */
	return h & (c->nb - 1);
}

static bool alive(const struct cp_regcache_entry *e, uint64_t now_ms)
{
	return now_ms - e->born_ms < CP_REGCACHE_LIFE_MS;
}

struct cp_regcache_entry *cp_regcache_find(struct cp_regcache *c,
					   const uint8_t key[CP_REGCACHE_KEY], uint64_t now_ms)
{
	for (uint32_t i = c->bucket[bucket_of(c, key)]; i != CP_REGCACHE_NONE; i = c->e[i].next)
		if (memcmp(c->e[i].key, key, CP_REGCACHE_KEY) == 0)
			return alive(&c->e[i], now_ms) ? &c->e[i] : NULL;
	return NULL;
}

/* The oldest entry leaves the ring and its bucket. */
static void drop_head(struct cp_regcache *c)
{
	uint32_t i = c->head;

	for (uint32_t *p = &c->bucket[bucket_of(c, c->e[i].key)]; *p != CP_REGCACHE_NONE;
	     p = &c->e[*p].next)
		if (*p == i) {
			*p = c->e[i].next;
			break;
		}
	c->head = (c->head + 1) % c->cap;
	c->n--;
}

struct cp_regcache_entry *cp_regcache_add(struct cp_regcache *c,
					  const uint8_t key[CP_REGCACHE_KEY], uint64_t now_ms)
{
	struct cp_regcache_entry *e;
	uint32_t i, b;

	while (c->n > 0 && !alive(&c->e[c->head], now_ms))
		drop_head(c);
	if (c->n == c->cap) {
		c->evicted_early++;
		drop_head(c);
	}
	i = (c->head + c->n) % c->cap;
	e = &c->e[i];
	b = bucket_of(c, key);
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, CP_REGCACHE_KEY);
	e->born_ms = now_ms;
	e->next = c->bucket[b];
	c->bucket[b] = i;
	c->n++;
	return e;
}
