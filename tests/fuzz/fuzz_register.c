/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: arbitrary bytes as a REGISTER reaching the registrar, the control plane's
 * one path open to sources no allowlist names (an unlisted REGISTER while a trunk takes
 * digest). The message is parsed by Sofia-SIP as nta would; whatever it holds, the checks the
 * registrar makes before it asks Redis for the user's HA1 must not crash, read past a field
 * or leak: the credentials of its Authorization for our realm (cp_regauth_check: nonce, nc,
 * uri=, algorithm), the transaction key and To tag that answer copies (cp_regcache_key), and a
 * failure counted against its source. An accepted nc is recorded, as the registrar does once
 * the response matches, so the nonce table is written too.
 */
#define _GNU_SOURCE	/* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_protos.h>

#include "cp_regauth.h"
#include "cp_regcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_MS 1000000000ull

static const unsigned char secret[32] = { 1, 2, 3 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_regauth a;
	struct cp_cred c;
	uint8_t key[CP_REGCACHE_KEY];
	char tag[CP_REGCACHE_TAG];
	static const unsigned char rnd[8] = { 9, 8, 7, 6, 5, 4, 3, 2 };
	char nonce[CP_NONCE_MAX], *buf;
	const uint8_t *at;
	size_t n = size;
	msg_t *msg;
	sip_t const *sip;

	if (cp_regauth_init(&a, secret, 7, 3, 60, 300) != 0)
		abort();
	/* "@NONCE@" in the input stands for a nonce of ours, so that the checks past it are
	 * reached (the seeds carry it; a fuzzer cannot forge the HMAC) */
	cp_nonce_make(&a, "pbx-digest", NOW_MS - 5000, rnd, nonce, sizeof(nonce));
	at = size >= 7 ? memmem(data, size, "@NONCE@", 7) : NULL;
	if (at != NULL)
		n = size - 7 + strlen(nonce);
	buf = malloc(n ? n : 1);	/* exact size: ASan sees a read past it */
	if (at != NULL) {
		size_t off = (size_t)(at - data), nl = strlen(nonce);

		memcpy(buf, data, off);
		memcpy(buf + off, nonce, nl);
		memcpy(buf + off + nl, data + off + 7, size - off - 7);
	} else {
		memcpy(buf, data, size);
	}
	msg = msg_make(sip_default_mclass(), 0, buf, (ssize_t)n);
	sip = msg ? sip_object(msg) : NULL;
	if (sip != NULL && sip->sip_request != NULL) {
		memset(&c, 0, sizeof(c));
		if (cp_regauth_check(&a, sip, "digest.example", "pbx-digest",
				     1u << CP_DIGEST_MD5 | 1u << CP_DIGEST_SHA256, NOW_MS, &c) == NULL &&
		    cp_nc_accept(&a, c.nonce, c.nc) < 0)
			abort();
		(void)cp_regauth_fail(&a, "198.51.100.21", NOW_MS / 1000);
		if (cp_regcache_key(secret, sip, key) == 0)
			cp_regcache_tag(key, tag);
	}
	cp_regauth_fini(&a);
	if (msg != NULL)
		msg_destroy(msg);
	free(buf);
	return 0;
}
