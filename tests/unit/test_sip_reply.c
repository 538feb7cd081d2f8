/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the data plane's stateless SIP responses (dataplane/dp_sip_reply.c): the
 * RFC 3261 8.2.6 403 text, Via received/rport (18.2.1, RFC 3581), reply port (18.2.2), the
 * To tag, compact forms and folding, refusals (ACK, responses, malformed), and the frame rewrite.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dp_parse.h"
#include "dp_sip_reply.h"

static const struct dp_sip_source src4 = { 4, { 203, 0, 113, 9 }, 5062 };

static int build(const char *req, const struct dp_sip_source *src, char *out, uint16_t *port)
{
	return dp_sip_build_response((const uint8_t *)req, (uint32_t)strlen(req), 403, "Forbidden",
				     NULL, src, 42, out, 2048, port);
}

static void basic_403(void **state)
{
	const char *req =
		"INVITE sip:100@198.51.100.10 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 203.0.113.9:5062;branch=z9hG4bK-1\r\n"
		"Via: SIP/2.0/UDP 192.0.2.50;branch=z9hG4bK-0\r\n"
		"Max-Forwards: 70\r\n"
		"From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
		"To: <sip:100@198.51.100.10>\r\n"
		"Call-ID: c1@example.com\r\n"
		"CSeq: 314 INVITE\r\n"
		"Content-Type: application/sdp\r\n"
		"Content-Length: 4\r\n\r\nv=0\n";
	char out[2048];
	uint16_t port = 0;
	int n;

	(void)state;
	n = build(req, &src4, out, &port);
	assert_true(n > 0);
	out[n] = '\0';
	/* sent-by equals the source: no received (RFC 3261 18.2.1); no rport: sent-by port */
	const char *want_head =
		"SIP/2.0 403 Forbidden\r\n"
		"Via: SIP/2.0/UDP 203.0.113.9:5062;branch=z9hG4bK-1\r\n"
		"Via: SIP/2.0/UDP 192.0.2.50;branch=z9hG4bK-0\r\n"
		"From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
		"To: <sip:100@198.51.100.10>;tag=sbc";
	assert_memory_equal(out, want_head, strlen(want_head));
	const char *tail = strstr(out, "\r\nCall-ID:");
	assert_non_null(tail);
	assert_string_equal(tail, "\r\nCall-ID: c1@example.com\r\nCSeq: 314 INVITE\r\n"
				  "Content-Length: 0\r\n\r\n");
	assert_int_equal(port, 5062);

	/* a retransmission gets the same To tag */
	char again[2048];
	assert_int_equal(build(req, &src4, again, &port), n);
	assert_memory_equal(out, again, (size_t)n);
}

static void via_received_rport(void **state)
{
	char out[2048];
	uint16_t port = 0;
	int n;

	(void)state;
	/* rport without value: filled with the source port, received added, reply to source port */
	n = build("OPTIONS sip:x@198.51.100.10 SIP/2.0\r\n"
		  "Via: SIP/2.0/UDP 10.1.1.1:5070;rport;branch=z9hG4bKx\r\n"
		  "From: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: r1\r\nCSeq: 1 OPTIONS\r\n\r\n",
		  &src4, out, &port);
	assert_true(n > 0);
	out[n] = '\0';
	assert_non_null(strstr(out, "Via: SIP/2.0/UDP 10.1.1.1:5070;rport=5062;branch=z9hG4bKx;received=203.0.113.9\r\n"));
	assert_int_equal(port, 5062);

	/* sent-by host differs, no rport: received added, reply to the sent-by port */
	n = build("OPTIONS sip:x@198.51.100.10 SIP/2.0\r\n"
		  "Via: SIP/2.0/UDP pbx.example.com:5080;branch=z9hG4bKy\r\n"
		  "From: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: r2\r\nCSeq: 1 OPTIONS\r\n\r\n",
		  &src4, out, &port);
	assert_true(n > 0);
	out[n] = '\0';
	assert_non_null(strstr(out, "Via: SIP/2.0/UDP pbx.example.com:5080;branch=z9hG4bKy;received=203.0.113.9\r\n"));
	assert_int_equal(port, 5080);

	/* no port in sent-by: 5060 (RFC 3261 18.2.2) */
	n = build("OPTIONS sip:x@198.51.100.10 SIP/2.0\r\n"
		  "Via: SIP/2.0/UDP 203.0.113.9;branch=z9hG4bKz\r\n"
		  "From: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: r3\r\nCSeq: 1 OPTIONS\r\n\r\n",
		  &src4, out, &port);
	assert_true(n > 0);
	assert_int_equal(port, 5060);

	/* IPv6 sent-by in brackets equal to the source (RFC 5118) */
	struct dp_sip_source src6 = { 6, { 0 }, 5060 };
	inet_pton(AF_INET6, "2001:db8::30", src6.addr);
	n = build("OPTIONS sip:x@[2001:db8::10] SIP/2.0\r\n"
		  "Via: SIP/2.0/UDP [2001:DB8::30]:5064;branch=z9hG4bK6\r\n"
		  "From: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: r6\r\nCSeq: 1 OPTIONS\r\n\r\n",
		  &src6, out, &port);
	assert_true(n > 0);
	out[n] = '\0';
	assert_non_null(strstr(out, "Via: SIP/2.0/UDP [2001:DB8::30]:5064;branch=z9hG4bK6\r\n"));
	assert_int_equal(port, 5064);

	/* comma-separated Via values on one line: only the top value gets parameters */
	n = build("OPTIONS sip:x@198.51.100.10 SIP/2.0\r\n"
		  "v: SIP/2.0/UDP 10.9.9.9;branch=z9hG4bKa, SIP/2.0/UDP 10.8.8.8;branch=z9hG4bKb\r\n"
		  "f: <sip:a@b>;tag=1\r\nt: <sip:x@y>\r\ni: r7\r\nCSeq: 1 OPTIONS\r\n\r\n",
		  &src4, out, &port);
	assert_true(n > 0);
	out[n] = '\0';
	assert_non_null(strstr(out, "Via: SIP/2.0/UDP 10.9.9.9;branch=z9hG4bKa;received=203.0.113.9, SIP/2.0/UDP 10.8.8.8;branch=z9hG4bKb\r\n"));
}

/* Whether received= is added when sent-by is an IPv4 address: the same verdict as inet_pton's
 * (dp_sip_reply.c reads dotted decimal itself, and writes the source's address itself). */
static void via_received_v4_rules(void **state)
{
	static const char *const hosts[] = {
		"10.0.255.1", "10.0.255.01", "10.00.255.1", "010.0.255.1", "10.0.255.1.",
		"10.0.255", "10.0.255.1.1", "10.0.256.1", "10.0.255.1a", ".10.0.255.1",
		"10..255.1", "10.0.255.10", "10.0.255.0", "0.0.0.0", "255.255.255.255",
		"1000.0.255.1", "10.0.255.+1", "10.0.0255.1",
	};
	const struct dp_sip_source src = { 4, { 10, 0, 255, 1 }, 5062 };
	char req[512], out[2048];
	uint16_t port = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		uint8_t b[4];
		bool same = inet_pton(AF_INET, hosts[i], b) == 1 && memcmp(b, src.addr, 4) == 0;
		int n;

		snprintf(req, sizeof(req),
			 "OPTIONS sip:x@198.51.100.10 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP %s:5070;branch=z9hG4bKv\r\n"
			 "From: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: v%zu\r\n"
			 "CSeq: 1 OPTIONS\r\n\r\n", hosts[i], i);
		n = build(req, &src, out, &port);
		assert_true(n > 0);
		out[n] = '\0';
		if (same)
			assert_null(strstr(out, ";received="));
		else
			assert_non_null(strstr(out, ";branch=z9hG4bKv;received=10.0.255.1\r\n"));
	}
}

/* An INVITE's To tag and From tag as the scanner read them (no search of the reply's own): the
 * tag the reply adds is the one an OPTIONS of the same Call-ID and From tag gets; a tag parameter
 * without a value is a tag (none added), as for any other method. */
static void invite_tags_from_scan(void **state)
{
	static const char *const fmt =
		"%s sip:x@198.51.100.10 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 203.0.113.9:5062;branch=z9hG4bKt\r\n"
		"From: <sip:a@b>;tag=f00d\r\nTo: <sip:x@y>%s\r\nCall-ID: tags-1\r\n"
		"CSeq: 1 %s\r\n\r\n";
	char req[512], inv[2048], opt[2048];
	uint16_t port = 0;
	int n;

	(void)state;
	snprintf(req, sizeof(req), fmt, "INVITE", "", "INVITE");
	n = build(req, &src4, inv, &port);
	assert_true(n > 0);
	inv[n] = '\0';
	snprintf(req, sizeof(req), fmt, "OPTIONS", "", "OPTIONS");
	n = build(req, &src4, opt, &port);
	assert_true(n > 0);
	opt[n] = '\0';
	assert_non_null(strstr(inv, "To: <sip:x@y>;tag=sbc"));
	assert_memory_equal(strstr(inv, "To: "), strstr(opt, "To: "),
			    (size_t)(strstr(opt, "\r\nCall-ID") - strstr(opt, "To: ")));
	for (unsigned int k = 0; k < 2; k++) {
		const char *m = k == 0 ? "INVITE" : "OPTIONS";

		snprintf(req, sizeof(req), fmt, m, ";tag", m);
		n = build(req, &src4, inv, &port);
		assert_true(n > 0);
		inv[n] = '\0';
		assert_non_null(strstr(inv, "To: <sip:x@y>;tag\r\n"));
		snprintf(req, sizeof(req), fmt, m, ";tag=t1", m);
		n = build(req, &src4, inv, &port);
		assert_true(n > 0);
		inv[n] = '\0';
		assert_non_null(strstr(inv, "To: <sip:x@y>;tag=t1\r\n"));
	}
}

static void compact_folding_tag(void **state)
{
	char out[2048];
	uint16_t port;
	int n;

	(void)state;
	/* compact names, odd case, folded From, existing To tag kept, LF-only line ends */
	n = build("INVITE sip:100@198.51.100.10 SIP/2.0\n"
		  "v: SIP/2.0/UDP 203.0.113.9:5062;branch=z9hG4bKc\n"
		  "f: <sip:alice@example.com>\n  ;tag=f1\n"
		  "t: <sip:100@198.51.100.10>;TAG=t9\n"
		  "i: compact@x\n"
		  "cSeQ  :  9 INVITE\n"
		  "l: 0\n\n", &src4, out, &port);
	assert_true(n > 0);
	out[n] = '\0';
	assert_string_equal(out,
		"SIP/2.0 403 Forbidden\r\n"
		"Via: SIP/2.0/UDP 203.0.113.9:5062;branch=z9hG4bKc\r\n"
		"From: <sip:alice@example.com> ;tag=f1\r\n"
		"To: <sip:100@198.51.100.10>;TAG=t9\r\n"
		"Call-ID: compact@x\r\n"
		"CSeq: 9 INVITE\r\n"
		"Content-Length: 0\r\n\r\n");

	/* a ';tag=' inside the To URI's angle brackets is not a To tag */
	n = build("INVITE sip:1@198.51.100.10 SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.9\r\n"
		  "From: <sip:a@b>;tag=1\r\nTo: <sip:1@x;tag=fake>\r\nCall-ID: q\r\nCSeq: 1 INVITE\r\n\r\n",
		  &src4, out, &port);
	assert_true(n > 0);
	out[n] = '\0';
	assert_non_null(strstr(out, "To: <sip:1@x;tag=fake>;tag=sbc"));

	/* extra headers (503 Retry-After later) go before Content-Length */
	const char *bye = "BYE sip:1@x SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.9\r\n"
			  "From: <sip:a@b>;tag=1\r\nTo: <sip:1@x>;tag=2\r\nCall-ID: q\r\nCSeq: 2 BYE\r\n\r\n";
	n = dp_sip_build_response((const uint8_t *)bye, (uint32_t)strlen(bye), 503, "Service Unavailable", "Retry-After: 5\r\n", &src4, 1,
				  out, sizeof(out), &port);
	assert_true(n > 0);
	out[n] = '\0';
	assert_non_null(strstr(out, "SIP/2.0 503 Service Unavailable\r\n"));
	assert_non_null(strstr(out, "Retry-After: 5\r\nContent-Length: 0\r\n\r\n"));
}

static void refusals(void **state)
{
	static const struct {
		const char *msg;
		int rc;
	} cases[] = {
		{ "ACK sip:1@x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:1@x>\r\nCall-ID: a\r\nCSeq: 1 ACK\r\n\r\n", -ENOMSG },
		{ "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:1@x>\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n", -ENOMSG },
		{ "INV", -ENOMSG },
		/* missing or repeated mandatory headers */
		{ "INVITE sip:1@x SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:1@x>\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n", -EBADMSG },
		{ "INVITE sip:1@x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nTo: <sip:1@x>\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n", -EBADMSG },
		{ "INVITE sip:1@x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>\r\nTo: <sip:1@x>\r\nCSeq: 1 INVITE\r\n\r\n", -EBADMSG },
		{ "INVITE sip:1@x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>\r\nTo: <sip:1@x>\r\nCall-ID: a\r\ni: b\r\nCSeq: 1 INVITE\r\n\r\n", -EBADMSG },
		/* CSeq method differs from the request method, or is not a number */
		{ "INVITE sip:1@x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>\r\nTo: <sip:1@x>\r\nCall-ID: a\r\nCSeq: 1 BYE\r\n\r\n", -EBADMSG },
		{ "INVITE sip:1@x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>\r\nTo: <sip:1@x>\r\nCall-ID: a\r\nCSeq: x INVITE\r\n\r\n", -EBADMSG },
		/* bad request line, whitespace inside a header name (CVE-2020-28361 class) */
		{ "INVITE sip:1@x SIP/3.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>\r\nTo: <sip:1@x>\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n", -EBADMSG },
		{ "INVITE sip:1@x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>\r\nTo: <sip:1@x>\r\nCall ID: a\r\nCall-ID: b\r\nCSeq: 1 INVITE\r\n\r\n", -EBADMSG },
		{ "INVITE sip:1@x SIP/2.0\r\nnot a header line\r\n\r\n", -EBADMSG },
	};
	char out[2048];
	uint16_t port;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = build(cases[i].msg, &src4, out, &port);

		if (rc != cases[i].rc)
			fail_msg("case %zu: got %d want %d", i, rc, cases[i].rc);
	}
	/* the output never overflows: a tiny buffer gives -ENOSPC */
	const char *ok = "OPTIONS sip:1@x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>;tag=1\r\n"
			 "To: <sip:1@x>\r\nCall-ID: a\r\nCSeq: 1 OPTIONS\r\n\r\n";
	assert_int_equal(dp_sip_build_response((const uint8_t *)ok, (uint32_t)strlen(ok), 403, "Forbidden",
					       NULL, &src4, 1, out, 40, &port), -ENOSPC);
	/* cut anywhere, the builder never reads past the end (ASan checks the copies) */
	for (size_t cut = 0; cut < strlen(ok); cut++) {
		char buf[256];

		memcpy(buf, ok, cut);
		(void)dp_sip_build_response((const uint8_t *)buf, (uint32_t)cut, 403, "Forbidden",
					    NULL, &src4, 1, out, sizeof(out), &port);
	}
}

/* The frame rewrite: VLAN kept, addresses swapped, checksums valid. */
static void reply_frame(void **state)
{
	uint8_t f[DP_REPLY_MAX_FRAME + 64];
	const uint8_t mac_peer[6] = { 2, 0, 0, 0, 0, 1 }, mac_us[6] = { 2, 0, 0, 0, 0, 0x10 };
	const char *sip = "SIP/2.0 403 Forbidden\r\n\r\n";
	struct dp_pkt p;
	uint32_t n = 0;

	(void)state;
	memset(f, 0, sizeof(f));
	memcpy(f, mac_us, 6);
	memcpy(f + 6, mac_peer, 6);
	f[12] = 0x81; f[13] = 0x00; f[14] = 0x00; f[15] = 0x64;		/* VLAN 100 */
	f[16] = 0x08; f[17] = 0x00;
	n = 18;
	uint8_t *ip = f + n;
	ip[0] = 0x46;					/* IHL 6: one option word */
	ip[2] = 0; ip[3] = 24 + 8 + 4;
	ip[8] = 64; ip[9] = 17;
	memcpy(ip + 12, (uint8_t[]){ 203, 0, 113, 9 }, 4);
	memcpy(ip + 16, (uint8_t[]){ 198, 51, 100, 10 }, 4);
	uint16_t c = dp_csum_fold(dp_csum_partial(ip, 24, 0));
	ip[10] = (uint8_t)(c >> 8); ip[11] = (uint8_t)c;
	uint8_t *udp = ip + 24;
	udp[0] = 0x13; udp[1] = 0xc6;	/* 5062 */
	udp[2] = 0x13; udp[3] = 0xc4;	/* 5060 */
	udp[5] = 12;
	memcpy(udp + 8, "ping", 4);
	n += 24 + 8 + 4;

	assert_int_equal(dp_parse(f, n, true, &p), DP_DROP_NONE);
	assert_int_equal(p.n_vlan, 1);
	int len = dp_reply_frame(f, sizeof(f), &p, mac_us, sip, (uint32_t)strlen(sip), 5062);
	assert_int_equal(len, 18 + 20 + 8 + (int)strlen(sip));
	assert_memory_equal(f, mac_peer, 6);
	assert_memory_equal(f + 6, mac_us, 6);
	assert_int_equal(f[15], 0x64);
	assert_int_equal(dp_parse(f, (uint32_t)len, true, &p), DP_DROP_NONE);	/* IPv4 csum ok */
	assert_int_equal(p.sport, 5060);
	assert_int_equal(p.dport, 5062);
	assert_memory_equal(p.src, ((uint8_t[]){ 198, 51, 100, 10 }), 4);
	assert_memory_equal(p.dst, ((uint8_t[]){ 203, 0, 113, 9 }), 4);
	assert_memory_equal(f + p.payload_off, sip, strlen(sip));
	/* UDP checksum over pseudo-header verifies to zero */
	uint32_t sum = dp_csum_partial(p.src, 4, 0);
	sum = dp_csum_partial(p.dst, 4, sum);
	sum += 17 + 8 + (uint32_t)strlen(sip);
	sum = dp_csum_partial(f + p.l4_off, 8 + (uint32_t)strlen(sip), sum);
	assert_int_equal(dp_csum_fold(sum), 0);
	/* too big for the MTU */
	static char big[1500];
	memset(big, 'x', sizeof(big));
	assert_int_equal(dp_reply_frame(f, sizeof(f), &p, mac_us, big, sizeof(big), 1), -EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(basic_403),
		cmocka_unit_test(via_received_rport),
		cmocka_unit_test(via_received_v4_rules),
		cmocka_unit_test(invite_tags_from_scan),
		cmocka_unit_test(compact_folding_tag),
		cmocka_unit_test(refusals),
		cmocka_unit_test(reply_frame),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
