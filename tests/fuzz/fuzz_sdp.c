/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: arbitrary bytes as a peer's SDP through the rewrite of an anchored call
 * (controlplane/cp_sdp.c), the body every phone and carrier sends the control plane. The first
 * byte picks the shape of the call: offer or answer, either leg `srtp = sdes`, either leg IPv6,
 * a codec list or none; the rest is the body. Whatever comes in, the rewrite must not crash,
 * read past the body or leak, and what it returns must hold:
 *   - 0: the output is NUL-terminated at the length it gave, prints no field Sofia could not
 *     read ("(null)") and Sofia-SIP parses it again;
 *   - otherwise one of the documented errors, with a reason (x.why) for the log and the SIP
 *     answer.
 * A successful offer is answered back with the same body from the other leg, so a leg's
 * remote state written by one rewrite is read by the next. The body is also tried as an
 * a=crypto value (RFC 4568 key-params).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

#include "cp_sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t ours4[4] = { 192, 0, 2, 10 };
static const uint8_t ours6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 };
static const char codecs[][SBC_CODEC_NAME_MAX] = { "PCMA", "telephone-event" };

static void leg_setup(struct cp_sdp_leg *l, bool v6, bool sdes, uint16_t port)
{
	if (cp_sdp_leg_init(l) != 0)
		abort();
	cp_sdp_leg_local(l, v6 ? SBC_AF_V6 : SBC_AF_V4, v6 ? ours6 : ours4, port);
	l->sdes = sdes;
}

/* One rewrite and the checks on what it returned. */
static int rewrite_checked(su_home_t *home, const char *body, size_t len,
			   struct cp_sdp_xlate *x)
{
	char *out = NULL;
	size_t outlen = 0;
	int rc = cp_sdp_rewrite(home, body, len, x, &out, &outlen);

	if (rc == 0) {
		sdp_parser_t *p;

		if (out == NULL || strlen(out) != outlen ||
		    (strstr(out, "(null)") != NULL && strstr(body, "(null)") == NULL))
			abort();	/* "(null)": Sofia printed a field it had not read */
		p = sdp_parse(home, out, (issize_t)outlen, 0);
		if (sdp_session(p) == NULL)	/* we printed an SDP we cannot read back */
			abort();
		sdp_parser_free(p);
	} else if (rc != -EBADMSG && rc != -ENOMSG && rc != -EPROTONOSUPPORT && rc != -ENOMEM) {
		abort();
	} else if (x->why == NULL || x->why[0] == '\0') {
		abort();
	}
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_sdp_leg leg[2];
	struct cp_sdp_xlate x = { 0 };
	su_home_t home[1] = { SU_HOME_INIT(home) };
	uint8_t mode, key[SBC_SRTP_KEY_MAX], suite;
	uint32_t tag;
	char *body;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	body = malloc(size + 1);	/* exact size: ASan sees any read past the body's NUL */
	memcpy(body, data, size);
	body[size] = '\0';

	leg_setup(&leg[0], mode & 0x08, mode & 0x02, 20000);
	leg_setup(&leg[1], mode & 0x10, mode & 0x04, 20002);
	x.kind = (mode & 0x01) ? CP_SDP_ANSWER : CP_SDP_OFFER;
	x.from = &leg[0];
	x.to = &leg[1];
	if (mode & 0x20)
		x.allow = (struct cp_sdp_allow){ .a = codecs, .na = 2 };
	if (rewrite_checked(home, body, size, &x) == 0 && x.kind == CP_SDP_OFFER) {
		struct cp_sdp_xlate back = { .kind = CP_SDP_ANSWER, .from = &leg[1], .to = &leg[0],
					     .allow = x.allow };

		(void)rewrite_checked(home, body, size, &back);
	}
	su_home_deinit(home);

	if (cp_sdp_crypto_parse(body, &tag, &suite, key) == 0) {
		char buf[256];

		if (cp_sdp_crypto_format(buf, sizeof(buf), tag, suite, key) < 0)
			abort();
	}
	free(body);
	return 0;
}
