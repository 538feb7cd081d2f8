/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the data plane's SIP scanner (dataplane/dp_sip.c) against the public corpora
 * the repository carries in tests/data/sip (its README names each set's source and licence):
 * no valid RFC 4475/5118
 * message is called malformed; every invalid one is called malformed or is listed below with
 * the RFC's reason as a defect in a part the scanner does not read, together with what
 * Sofia-SIP (the control plane's parser) does with it. Parser agreement: for every valid
 * message, method, Call-ID, CSeq and top Via branch equal what Sofia-SIP extracts. Plus
 * compact forms, folding, the CVE inputs of the corpus README, and every truncation.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_parser.h>
#include <sofia-sip/sip_util.h>

#include "dp_sip.h"

static const char *corpus;	/* tests/data/sip */

static uint8_t *load(const char *dir, const char *name, uint32_t *len)
{
	char path[1024];
	FILE *f;
	uint8_t *b;
	long n;

	snprintf(path, sizeof(path), "%s/%s/%s", corpus, dir, name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);	/* exact size (+1 for n = 0): ASan sees any over-read */
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (uint32_t)n;
	return b;
}

/* Sofia-SIP's verdict as its transaction layer would give it: parse error or failed sanity. */
static bool sofia_rejects(const uint8_t *b, uint32_t n)
{
	msg_t *m = msg_make(sip_default_mclass(), 0, b, n);
	bool bad = m == NULL || msg_has_error(m) || sip_sanity_check(sip_object(m)) < 0;

	if (m != NULL)
		msg_destroy(m);
	return bad;
}

/* RFC 4475 3.1.1 and RFC 5118: messages the RFCs call valid. */
static const char *const valid4475[] = {
	"wsinv.dat", "intmeth.dat", "esc01.dat", "escnull.dat", "esc02.dat", "lwsdisp.dat",
	"longreq.dat", "dblreq.dat", "semiuri.dat", "transports.dat", "mpart01.dat",
	"unreason.dat", "noreason.dat",
	/* 3.2 and 3.3: syntactically valid, semantically unusual */
	"badbranch.dat", "bcast.dat", "bext01.dat", "cparam01.dat", "cparam02.dat", "inv2543.dat",
	"invut.dat", "novelsc.dat", "regaut01.dat", "regescrt.dat", "sdp01.dat", "unkscm.dat",
	"unksm2.dat", "zeromf.dat",
};

static const char *const valid5118[] = {
	"ipv4-mapped-ipv6", "ipv6-correct-abnf-2-colons", "ipv6-good", "ipv6-in-sdp",
	"mult-ip-in-header", "mult-ip-in-sdp", "port-ambiguous", "port-unambiguous",
	"via-received-param-no-delim", "via-received-param-with-delim",
};

/* RFC 4475 3.1.2 invalid messages the scanner itself calls malformed. */
static const char *const invalid_scanned[] = {
	"clerr.dat", "scalar02.dat", "scalarlg.dat", "lwsruri.dat", "lwsstart.dat", "trws.dat",
	"baddn.dat", "badvers.dat", "mismatch01.dat", "mismatch02.dat", "bigcode.dat", "insuf.dat",
	"mcl01.dat", "multi01.dat", "ncl.dat",
};

/* Invalid messages whose defect lies where the scanner does not read. */
static const struct {
	const char *dir, *name, *reason;
	bool sofia_rejects;
} unread[] = {
	{ "rfc4475", "badinv01.dat", "3.1.2.1 extraneous header field separators (in Via/To)", true },
	{ "rfc4475", "quotbal.dat", "3.1.2.5 unterminated quoted string in a display name", true },
	{ "rfc4475", "ltgtruri.dat", "3.1.2.6 <> enclosing the Request-URI", true },
	/* Sofia-SIP accepts these too: none of them confuses a parser about where a field
	 * ends, so the dialog identifiers both read are the same (checked below). */
	{ "rfc4475", "escruri.dat", "3.1.2.9 escaped headers in the Request-URI", false },
	{ "rfc4475", "baddate.dat", "3.1.2.10 invalid time zone in Date", false },
	{ "rfc4475", "regbadct.dat", "3.1.2.11 name-addr URI with parameters not in <>", false },
	{ "rfc4475", "badaspec.dat", "3.1.2.12 spaces within an addr-spec", false },
	{ "rfc5118", "ipv6-bad", "4.2 IPv6 reference without brackets in a URI", true },
	{ "rfc5118", "ipv6-bug-abnf-3-colons", "4.3 IPv6 reference with three colons", false },
};

/* Valid messages Sofia-SIP 1.12.11 cannot parse at all: nothing to compare with. The data
 * plane passes them; the control plane answers 400, as it would without the data plane. */
static const char *const sofia_fails_valid[] = {
	"intmeth.dat",	/* RFC 4475 3.1.1.2: every token character in method and URI */
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void check_valid(const char *dir, const char *name)
{
	struct dp_sip_msg m;
	uint32_t n;
	uint8_t *b = load(dir, name, &n);
	enum dp_sip_err e = dp_sip_scan(b, n, &m);

	if (e != DP_SIP_ERR_OK)
		fail_msg("%s/%s is valid but the scanner says: %s", dir, name, dp_sip_err_text[e]);
	free(b);
}

static void valid_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(valid4475); i++)
		check_valid("rfc4475", valid4475[i]);
	for (size_t i = 0; i < N(valid5118); i++)
		check_valid("rfc5118", valid5118[i]);
}

static void invalid_messages(void **state)
{
	struct dp_sip_msg m;
	uint32_t n;

	(void)state;
	for (size_t i = 0; i < N(invalid_scanned); i++) {
		uint8_t *b = load("rfc4475", invalid_scanned[i], &n);

		if (dp_sip_scan(b, n, &m) == DP_SIP_ERR_OK)
			fail_msg("rfc4475/%s is invalid but the scanner accepts it", invalid_scanned[i]);
		free(b);
	}
	for (size_t i = 0; i < N(unread); i++) {
		uint8_t *b = load(unread[i].dir, unread[i].name, &n);

		if (dp_sip_scan(b, n, &m) != DP_SIP_ERR_OK)
			fail_msg("%s: now called malformed; move it to invalid_scanned", unread[i].name);
		if (sofia_rejects(b, n) != unread[i].sofia_rejects)
			fail_msg("%s (%s): Sofia-SIP %s it now", unread[i].name, unread[i].reason,
				 unread[i].sofia_rejects ? "accepts" : "rejects");
		free(b);
	}
	/* every .dat of rfc4475 is in exactly one list (a new corpus file must be classified) */
	char path[1024];
	snprintf(path, sizeof(path), "%s/rfc4475", corpus);
	DIR *d = opendir(path);
	struct dirent *de;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		bool known = strcmp(de->d_name, "test.dat") == 0 || de->d_name[0] == '.';

		for (size_t i = 0; !known && i < N(valid4475); i++)
			known = strcmp(de->d_name, valid4475[i]) == 0;
		for (size_t i = 0; !known && i < N(invalid_scanned); i++)
			known = strcmp(de->d_name, invalid_scanned[i]) == 0;
		for (size_t i = 0; !known && i < N(unread); i++)
			known = strcmp(de->d_name, unread[i].name) == 0;
		if (!known)
			fail_msg("rfc4475/%s is in no list", de->d_name);
	}
	closedir(d);
}

static void span_equals(const uint8_t *b, struct dp_span s, const char *want, const char *what,
			const char *name)
{
	if (want == NULL)
		want = "";
	if (s.len != strlen(want) || memcmp(b + s.off, want, s.len) != 0)
		fail_msg("%s: %s differs: scanner '%.*s', Sofia-SIP '%s'", name, what, (int)s.len,
			 (const char *)b + s.off, want);
}

/* The fast path and the control plane must see the same dialog and transaction. */
static void agree(const char *dir, const char *name)
{
	struct dp_span branch;
	struct dp_sip_msg m;
	uint32_t n;
	uint8_t *b = load(dir, name, &n);
	msg_t *sm;
	sip_t *s;

	if (dp_sip_scan(b, n, &m) != DP_SIP_ERR_OK) {
		free(b);
		return;
	}
	sm = msg_make(sip_default_mclass(), 0, b, n);
	assert_non_null(sm);
	s = sip_object(sm);
	if (msg_has_error(sm)) {
		bool known = false;

		for (size_t i = 0; i < N(sofia_fails_valid); i++)
			known |= strcmp(name, sofia_fails_valid[i]) == 0;
		if (!known)
			fail_msg("%s/%s: Sofia-SIP cannot parse it", dir, name);
		msg_destroy(sm);
		free(b);
		return;
	}
	if (s->sip_call_id == NULL || s->sip_cseq == NULL || s->sip_via == NULL)
		fail_msg("%s/%s: Sofia-SIP lacks Call-ID/CSeq/Via the scanner found", dir, name);
	span_equals(b, m.call_id, s->sip_call_id->i_id, "Call-ID", name);
	if (m.cseq != s->sip_cseq->cs_seq)
		fail_msg("%s: CSeq %u vs Sofia-SIP %u", name, m.cseq, s->sip_cseq->cs_seq);
	span_equals(b, m.cseq_method, s->sip_cseq->cs_method_name, "CSeq method", name);
	/* read for INVITEs without a To tag (a new dialog) only */
	if (m.is_request && dp_span_eq(b, m.method, "INVITE") && m.to_tag.len == 0)
		span_equals(b, m.branch, s->sip_via->v_branch, "top Via branch", name);
	else if (m.branch.len != 0 || m.via_top.len != 0)
		fail_msg("%s: branch read for a message other than a new INVITE", name);
	branch = (struct dp_span){ 0, 0 };	/* any message: the parameter of the first value */
	dp_sip_param(b, dp_sip_via_top(b, &m), "branch", &branch);
	span_equals(b, branch, s->sip_via->v_branch, "top Via branch (dp_sip_via_top)", name);
	if (m.is_request) {
		assert_non_null(s->sip_request);
		span_equals(b, m.method, s->sip_request->rq_method_name, "method", name);
	} else {
		assert_non_null(s->sip_status);
		assert_int_equal(m.status, s->sip_status->st_status);
	}
	msg_destroy(sm);
	free(b);
}

static void parser_agreement(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(valid4475); i++)
		agree("rfc4475", valid4475[i]);
	for (size_t i = 0; i < N(valid5118); i++)
		agree("rfc5118", valid5118[i]);
	for (size_t i = 0; i < N(unread); i++)
		if (!unread[i].sofia_rejects)
			agree(unread[i].dir, unread[i].name);
}

static enum dp_sip_err scan_str(const char *s, struct dp_sip_msg *m)
{
	size_t n = strlen(s);
	uint8_t *b = malloc(n + 1);
	enum dp_sip_err e;

	memcpy(b, s, n);
	e = dp_sip_scan(b, (uint32_t)n, m);
	free(b);
	return e;
}

#define HDRS "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n" \
	     "To: <sip:c@d>\r\nCall-ID: x1\r\nCSeq: 1 INVITE\r\n"

static void compact_and_folding(void **state)
{
	struct dp_sip_msg m;
	const char *msg =
		"INVITE sip:911@198.51.100.10;user=phone SIP/2.0\r\n"
		"v: SIP/2.0/UDP 192.0.2.1\r\n ;branch=z9hG4bKfold\r\n"
		"f: <sip:a@b>\r\n\t;tag=ft\r\n"
		"t: <sip:c@d>\r\n"
		"i: compact@x\r\n"
		"CSEQ :\r\n 7\r\n INVITE\r\n"
		"l: 4\r\n"
		"c: application/sdp\r\n\r\nv=0\r\nextra-bytes-ignored";

	(void)state;
	assert_int_equal(scan_str(msg, &m), DP_SIP_ERR_OK);
	assert_true(m.is_request);
	assert_int_equal(m.cseq, 7);
	assert_int_equal(m.content_length, 4);
	assert_int_equal(m.body_len, 4);
	assert_int_equal(m.ruri_user.len, 3);
	assert_int_equal(m.branch.len, strlen("z9hG4bKfold"));
	assert_int_equal(m.from_tag.len, 2);
	assert_int_equal(m.to_tag.len, 0);
	assert_int_equal(m.call_id.len, strlen("compact@x"));
	/* a re-INVITE (To tag): what keys a new dialog is not read */
	assert_int_equal(scan_str("INVITE sip:911@b SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
				  "From: <sip:a@b>;tag=1\r\nt: <sip:c@d>\r\n\t;tag=tt\r\n"
				  "Call-ID: x1\r\nCSeq: 2 INVITE\r\n\r\n", &m), DP_SIP_ERR_OK);
	assert_int_equal(m.to_tag.len, 2);
	assert_int_equal(m.ruri_user.len + m.via_top.len + m.branch.len + m.from_tag.len, 0);
	/* tel: URI user part, and an LF-only message */
	assert_int_equal(scan_str("INVITE tel:112;phone-context=x SIP/2.0\n" "Via: SIP/2.0/UDP h\n"
				  "From: <sip:a@b>;tag=1\nTo: <tel:112>\nCall-ID: q\nCSeq: 1 INVITE\n\n", &m),
			 DP_SIP_ERR_OK);
	assert_int_equal(m.ruri_user.len, 3);
	/* a response */
	assert_int_equal(scan_str("SIP/2.0 486 Busy Here\r\n" HDRS "\r\n", &m), DP_SIP_ERR_OK);
	assert_false(m.is_request);
	assert_int_equal(m.status, 486);
}

static void malformed_classes(void **state)
{
	static const struct {
		const char *msg;
		enum dp_sip_err want;
	} cases[] = {
		{ "INVITE sip:a@b SIP/2.0\r\n" HDRS "Call-ID: x2\r\n\r\n", DP_SIP_ERR_CALL_ID },
		{ "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>\r\nTo: <sip:c@d>\r\nCSeq: 1 INVITE\r\n\r\n", DP_SIP_ERR_CALL_ID },
		{ "BYE sip:a@b SIP/2.0\r\n" HDRS "\r\n", DP_SIP_ERR_CSEQ_METHOD },
		{ "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 2147483648 INVITE\r\n\r\n", DP_SIP_ERR_CSEQ },
		{ "INVITE sip:a@b SIP/2.0\r\n" HDRS "Content-Length: 10\r\n\r\nshort", DP_SIP_ERR_CONTENT_LENGTH },
		{ "INVITE sip:a@b SIP/2.0\r\n" HDRS "Content-Length: -1\r\n\r\n", DP_SIP_ERR_CONTENT_LENGTH },
		{ "INVITE sip:a@b SIP/2.0\r\n" HDRS "Content-Length: 0\r\nl: 0\r\n\r\n", DP_SIP_ERR_CONTENT_LENGTH },
		{ "INVITE sip:a@b SIP/2.0\r\n" HDRS, DP_SIP_ERR_NO_END },
		{ "INVITE  sip:a@b SIP/2.0\r\n" HDRS "\r\n", DP_SIP_ERR_START_LINE },
		{ "INVITE sip:a@b SIP/3.0\r\n" HDRS "\r\n", DP_SIP_ERR_VERSION },
		{ "SIP/2.0 4294967301 Huge\r\n" HDRS "\r\n", DP_SIP_ERR_START_LINE },
		{ "INVITE sip:a@b SIP/2.0\r\nFrom: <sip:a@b>\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n", DP_SIP_ERR_VIA },
		{ "INVITE sip:a@b SIP/2.0\r\n" HDRS "To: <sip:e@f>\r\n\r\n", DP_SIP_ERR_FROM_TO },
		/* Kamailio CVE-2020-28361: whitespace in a header name (header smuggling) */
		{ "INVITE sip:a@b SIP/2.0\r\n" HDRS "Call ID: smuggled\r\n\r\n", DP_SIP_ERR_HEADER },
		/* Kamailio CVE-2020-27507: duplicated headers with an overlong tag */
		{ "INVITE sip:a@b SIP/2.0\r\n" HDRS "From: <sip:a@b>;tag=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n", DP_SIP_ERR_FROM_TO },
		/* Sofia-SIP multipart over-read: boundary longer than the body */
		{ "INVITE sip:a@b SIP/2.0\r\n" HDRS "Content-Type: multipart/mixed;boundary=0123456789abcdef\r\nContent-Length: 6\r\n\r\n--0123", DP_SIP_ERR_MULTIPART },
		{ "INVITE sip:a@b SIP/2.0\r\n" HDRS "Content-Type: multipart/mixed\r\n\r\n", DP_SIP_ERR_MULTIPART },
		/* Sofia-SIP CVE-2022-31001: method token cut at the end of the buffer */
		{ "INVI", DP_SIP_ERR_START_LINE },
		{ "", DP_SIP_ERR_START_LINE },
	};
	struct dp_sip_msg m;

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		enum dp_sip_err e = scan_str(cases[i].msg, &m);

		if (e != cases[i].want)
			fail_msg("case %zu: got '%s', want '%s'", i, dp_sip_err_text[e],
				 dp_sip_err_text[cases[i].want]);
	}
	/* Parts the scanner does not read: URI ending in '%' (CVE-2022-31002), SDP lines
	 * shorter than 2 characters (CVE-2022-31003), SDP not ending in '\n' (OpenSIPS
	 * CVE-2023-27600): well-formed for the scanner, and it reads none of them past the end. */
	assert_int_equal(scan_str("INVITE sip:%@b SIP/2.0\r\n" HDRS "\r\n", &m), DP_SIP_ERR_OK);
	assert_int_equal(scan_str("INVITE sip:a@b SIP/2.0\r\n" HDRS "Content-Type: application/sdp\r\n\r\nv=0\r\na\r\nm", &m),
			 DP_SIP_ERR_OK);
}

/* Every corpus file, cut at every length: never a read past the datagram (ASan/valgrind). */
static void every_truncation(void **state)
{
	static const char *const dirs[] = { "rfc4475", "rfc5118", "cve-pocs", "kamailio-test-sip" };
	struct dp_sip_msg m;
	unsigned long runs = 0;

	(void)state;
	for (size_t d = 0; d < N(dirs); d++) {
		char path[1024];
		DIR *dh;
		struct dirent *de;

		snprintf(path, sizeof(path), "%s/%s", corpus, dirs[d]);
		dh = opendir(path);
		assert_non_null(dh);
		while ((de = readdir(dh)) != NULL) {
			uint32_t n;
			uint8_t *b;

			if (de->d_name[0] == '.')
				continue;
			b = load(dirs[d], de->d_name, &n);
			for (uint32_t cut = 0; cut <= n && cut <= 4096; cut++) {
				uint8_t *c = malloc(cut ? cut : 1);

				memcpy(c, b, cut);
				(void)dp_sip_scan(c, cut, &m);
				free(c);
				runs++;
			}
			free(b);
		}
		closedir(dh);
	}
	assert_true(runs > 10000);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(compact_and_folding),
		cmocka_unit_test(malformed_classes),
		cmocka_unit_test(valid_messages),
		cmocka_unit_test(invalid_messages),
		cmocka_unit_test(parser_agreement),
		cmocka_unit_test(every_truncation),
	};
	struct stat st;

	corpus = argc > 1 ? argv[1] : "tests/data/sip";
	/* the corpus is part of the repository: its absence is a broken checkout, not a skip */
	if (stat(corpus, &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("FAIL: %s is absent (the repository's tests/data/sip)\n", corpus);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
