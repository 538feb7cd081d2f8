/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SRTP packet cases' reference: protects or unprotects packets with libsrtp2's own API,
 * linked against Debian's libsrtp2 (NSS crypto), not the data plane's dp_srtp nor its OpenSSL
 * build, so the expected frames are computed independently of the code under test.
 *
 * usage: srtp_ref protect|unprotect SUITE KEYHEX
 *   SUITE: AES_CM_128_HMAC_SHA1_80 | AES_CM_128_HMAC_SHA1_32 | AEAD_AES_128_GCM
 *   KEYHEX: master key + salt (30 or 28 bytes) in hex
 * stdin: one packet a line, "R <hex>" (RTP) or "C <hex>" (RTCP), all through one session (so the
 * rollover counter and replay window apply across lines); stdout: one line each, the result in
 * hex, or "ERR <libsrtp2 status>".
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

static int unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (s[0] && s[1] && s[0] != '\n') {
		unsigned int b;

		if (n == max || sscanf(s, "%2x", &b) != 1)
			return -1;
		out[n++] = (uint8_t)b;
		s += 2;
	}
	return (int)n;
}

int main(int argc, char **argv)
{
	uint8_t key[64], pkt[2048];
	char line[8192];
	srtp_policy_t pol;
	srtp_t s;
	bool protect;

	if (argc != 4 || (strcmp(argv[1], "protect") && strcmp(argv[1], "unprotect"))) {
		fprintf(stderr, "usage: srtp_ref protect|unprotect SUITE KEYHEX\n");
		return 2;
	}
	protect = strcmp(argv[1], "protect") == 0;
	memset(&pol, 0, sizeof(pol));
	if (strcmp(argv[2], "AES_CM_128_HMAC_SHA1_80") == 0) {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
	} else if (strcmp(argv[2], "AES_CM_128_HMAC_SHA1_32") == 0) {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
	} else if (strcmp(argv[2], "AEAD_AES_128_GCM") == 0) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
	} else {
		fprintf(stderr, "srtp_ref: unknown suite %s\n", argv[2]);
		return 2;
	}
	if (unhex(argv[3], key, sizeof(key)) < 28) {
		fprintf(stderr, "srtp_ref: key must be 28 or 30 bytes of hex\n");
		return 2;
	}
	if (srtp_init() != srtp_err_status_ok)
		return 1;
	pol.ssrc.type = protect ? ssrc_any_outbound : ssrc_any_inbound;
	pol.key = key;
	pol.window_size = 128;
	if (srtp_create(&s, &pol) != srtp_err_status_ok) {
		fprintf(stderr, "srtp_ref: srtp_create failed\n");
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		bool rtcp = line[0] == 'C';
		int n = unhex(line + 2, pkt, sizeof(pkt) - 64);
		srtp_err_status_t st;

		if ((line[0] != 'R' && line[0] != 'C') || line[1] != ' ' || n < 0) {
			fprintf(stderr, "srtp_ref: bad input line\n");
			return 2;
		}
		if (protect)
			st = rtcp ? srtp_protect_rtcp(s, pkt, &n) : srtp_protect(s, pkt, &n);
		else
			st = rtcp ? srtp_unprotect_rtcp(s, pkt, &n) : srtp_unprotect(s, pkt, &n);
		if (st != srtp_err_status_ok) {
			printf("ERR %d\n", (int)st);
			continue;
		}
		for (int i = 0; i < n; i++)
			printf("%02x", pkt[i]);
		printf("\n");
	}
	srtp_dealloc(s);
	srtp_shutdown();
	return 0;
}
