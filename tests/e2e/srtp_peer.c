/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A media endpoint for tests/e2e/test_srtp_e2e.sh: one side of a call's RTP, plain or SRTP with
 * SDES keys, on libsrtp2's own API linked against Debian's libsrtp2 (NSS crypto), not the data
 * plane's dp_srtp nor its OpenSSL build, so what the SBC does is checked by another
 * implementation.
 *
 * srtp_peer run LADDR LPORT RADDR RPORT SSRC PEER_SSRC COUNT [options]
 *   Binds LADDR:LPORT (UDP), prints "ready", then (after --go FILE exists) sends COUNT RTP
 *   packets of stream SSRC to RADDR:RPORT while it receives stream PEER_SSRC from RADDR:RPORT,
 *   until it has all COUNT of those or --timeout passes. Every packet of a stream is known to
 *   both sides (stream_packet()): PCMU, 160 bytes of payload from a keyed mix of SSRC and index,
 *   sequence numbers from 65486 (so they wrap after 50: the rollover counter moves), timestamps
 *   160 apart. What arrives is compared byte for byte, header and payload, with the packet the
 *   peer built (after unprotect on an SRTP leg). Then prints one line:
 *     sent N bad_tag B replayed R received T equal E missing M unequal U unauthentic A
 *     duplicate D foreign F
 *   (foreign: from another address or port than RADDR:RPORT, not looked at) and exits 0 when
 *   E is COUNT and M, U, A, D, F are 0, else 1.
 *   --suite NAME --key-tx B64 --key-rx B64   SRTP (RFC 4568 suite names and inline: keys,
 *       master key + salt in base64): protect what we send with key-tx, unprotect what we get
 *       with key-rx
 *   --bad-tag B   after the COUNT packets, B more protected ones with one bit of the tag
 *       flipped (the receiver must drop them: the SBC counts srtp_auth)
 *   --replay R    then the first R packets sent again, byte for byte (srtp_replay)
 *   --rtcp N      RTCP too, on LPORT + 1 to and from RPORT + 1 (SRTCP on an SRTP leg: E flag,
 *       index and tag; the _32 suite's SRTCP keeps the 80-bit tag, RFC 4568 6.2.1): N reports of
 *       stream SSRC spread over the RTP (rtcp_packet(): sender reports and receiver reports in
 *       turn, each with a report block on PEER_SSRC), while it receives PEER_SSRC's N; with
 *       --bad-tag and --replay, B tampered (a bit of the encrypted part flipped) and R replayed
 *       SRTCP packets as well. The line then goes on:
 *         rtcp_sent N rtcp_received T rtcp_equal E rtcp_missing M rtcp_unequal U
 *         rtcp_unauthentic A rtcp_duplicate D rtcp_foreign F
 *       and the exit status counts them the same way.
 *   --interval-ms MS (10)  --go FILE  --timeout S (20)
 * srtp_peer scan FILE SSRC COUNT [PEER_SSRC RTCP_COUNT]
 *   Prints "found F of COUNT": how many of stream SSRC's payloads appear (their first 32
 *   bytes) anywhere in FILE (a capture): 0 for a stream that crossed the wire encrypted. With
 *   PEER_SSRC and RTCP_COUNT, then ", rtcp found G of RTCP_COUNT": the same for its RTCP
 *   reports (their bytes after the sender's SSRC).
 * Exit 2: bad usage or a setup error, with a message naming it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <srtp2/srtp.h>

#define HDR 12
#define PAYLOAD 160
#define RTP_LEN (HDR + PAYLOAD)
#define SEQ0 65486u		/* the first sequence number: 50 packets before the wrap */
#define SCAN_BYTES 32
#define MAX_COUNT 10000
#define SR_LEN 52		/* RTCP SR with one report block (RFC 3550 6.4.1) */
#define RR_LEN 32		/* RTCP RR with one report block (6.4.2) */
#define RTCP_MAX SR_LEN
#define RTCP_SCAN 20		/* bytes of a report after its header and SSRC */

/* ---- the streams both sides know */

static uint64_t mix64(uint64_t x)	/* splitmix64's finaliser */
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Packet i of stream ssrc, RTP_LEN bytes. */
static void stream_packet(uint8_t *p, uint32_t ssrc, unsigned int i)
{
	uint16_t seq = (uint16_t)(SEQ0 + i);
	uint32_t ts = (uint32_t)mix64(ssrc) + 160u * i;

	p[0] = 0x80;
	p[1] = i == 0 ? 0x80 : 0x00;	/* PCMU; the marker on the first */
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	for (int b = 0; b < 4; b++) {
		p[4 + b] = (uint8_t)(ts >> (24 - 8 * b));
		p[8 + b] = (uint8_t)(ssrc >> (24 - 8 * b));
	}
	for (unsigned int j = 0; j < PAYLOAD; j += 8) {
		uint64_t v = mix64(((uint64_t)ssrc << 32) ^ ((uint64_t)i << 8) ^ j);

		memcpy(p + HDR + j, &v, 8);
	}
}

/* Report k of stream ssrc (about peer): an SR when k is even, else an RR; its length. The
 * report block's extended highest sequence number is k (how the receiver knows which). */
static int rtcp_packet(uint8_t *p, uint32_t ssrc, uint32_t peer, unsigned int k)
{
	bool sr = k % 2 == 0;
	int len = sr ? SR_LEN : RR_LEN;
	uint8_t *b = p + (sr ? 28 : 8);	/* the report block */

	for (int j = 0; j < len; j += 8) {
		uint64_t v = mix64(((uint64_t)ssrc << 32) ^ 0x5c5c0000u ^ ((uint64_t)k << 8) ^
				   (uint64_t)j);

		memcpy(p + j, &v, len - j < 8 ? (size_t)(len - j) : 8);
	}
	p[0] = 0x81;			/* V=2, P=0, one report block */
	p[1] = sr ? 200 : 201;
	p[2] = 0;
	p[3] = (uint8_t)(len / 4 - 1);
	for (int i = 0; i < 4; i++) {
		p[4 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
		b[i] = (uint8_t)(peer >> (24 - 8 * i));
		b[8 + i] = (uint8_t)(k >> (24 - 8 * i));
	}
	return len;
}

/* ---- SRTP */

static const struct suite {
	const char *name;
	void (*rtp)(srtp_crypto_policy_t *);
	void (*rtcp)(srtp_crypto_policy_t *);
	unsigned int key_len;
} suites[] = {	/* srtp_crypto_policy_set_rtp_default is a macro of _80 */
	{ "AES_CM_128_HMAC_SHA1_80", srtp_crypto_policy_set_rtp_default,
	  srtp_crypto_policy_set_rtp_default, 30 },
	{ "AES_CM_128_HMAC_SHA1_32", srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32,
	  srtp_crypto_policy_set_rtp_default, 30 },
	{ "AEAD_AES_128_GCM", srtp_crypto_policy_set_aes_gcm_128_16_auth,
	  srtp_crypto_policy_set_aes_gcm_128_16_auth, 28 },
};

/* RFC 4648 base64 (padding optional) into out; the length, or -1. */
static int unbase64(const char *s, uint8_t *out, size_t max)
{
	static const char al[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *s != '\0' && *s != '='; s++) {
		const char *c = strchr(al, *s);

		if (c == NULL)
			return -1;
		acc = (acc << 6) | (uint32_t)(c - al);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == max)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return (int)n;
}

/* A session for one direction: outbound protects with key, inbound unprotects. */
static srtp_t session(const struct suite *su, const char *b64, bool inbound)
{
	uint8_t key[64];
	srtp_policy_t pol;
	srtp_t s = NULL;

	if (unbase64(b64, key, sizeof(key)) != (int)su->key_len) {
		fprintf(stderr, "srtp_peer: a %s key is %u bytes of base64\n", su->name, su->key_len);
		exit(2);
	}
	memset(&pol, 0, sizeof(pol));
	su->rtp(&pol.rtp);
	su->rtcp(&pol.rtcp);
	pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	pol.key = key;
	pol.window_size = 128;
	if (srtp_create(&s, &pol) != srtp_err_status_ok) {
		fprintf(stderr, "srtp_peer: srtp_create failed\n");
		exit(2);
	}
	memset(key, 0, sizeof(key));
	return s;
}

/* ---- run */

/* What one socket (RTP, or RTCP) got of the peer's stream. */
struct tally {
	int fd;
	struct sockaddr_storage remote;
	socklen_t remote_len;
	unsigned int count;
	uint8_t *seen;
	unsigned int received, equal, unequal, unauthentic, duplicate, foreign;
};

struct peer {
	struct tally rtp, rtcp;		/* rtcp.fd -1: no RTCP */
	uint32_t ssrc, peer_ssrc;
	srtp_t rx;			/* NULL: plain RTP */
};

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static int parse_addr(const char *a, const char *port, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	long p = strtol(port, NULL, 10);

	memset(ss, 0, sizeof(*ss));
	if (p <= 0 || p > 65535)
		return -1;
	if (inet_pton(AF_INET, a, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)p);
		*len = sizeof(*v4);
		return 0;
	}
	if (inet_pton(AF_INET6, a, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*v6);
		return 0;
	}
	return -1;
}

/* Packet i of the peer's stream arrived as buf (len bytes, in clear) vs want (wlen). */
static void tally(struct tally *t, unsigned int i, const uint8_t *buf, int len,
		  const uint8_t *want, int wlen)
{
	if (i >= t->count || len != wlen || memcmp(buf, want, (size_t)len) != 0) {
		t->unequal++;
	} else if (t->seen[i]) {
		t->duplicate++;
	} else {
		t->seen[i] = 1;
		t->equal++;
	}
}

static void take(struct peer *pr, uint8_t *buf, int len)
{
	uint8_t want[RTP_LEN];
	unsigned int i;

	if (pr->rx != NULL && srtp_unprotect(pr->rx, buf, &len) != srtp_err_status_ok) {
		pr->rtp.unauthentic++;
		return;
	}
	if (len < HDR) {
		pr->rtp.unequal++;
		return;
	}
	i = (uint16_t)(((unsigned int)buf[2] << 8 | buf[3]) - SEQ0);
	if (i < pr->rtp.count)
		stream_packet(want, pr->peer_ssrc, i);
	tally(&pr->rtp, i, buf, len, want, RTP_LEN);
}

static void take_rtcp(struct peer *pr, uint8_t *buf, int len)
{
	uint8_t want[RTCP_MAX];
	unsigned int k;
	int off, wlen = 0;

	if (pr->rx != NULL && srtp_unprotect_rtcp(pr->rx, buf, &len) != srtp_err_status_ok) {
		pr->rtcp.unauthentic++;
		return;
	}
	off = len >= 2 && buf[1] == 200 ? 36 : 16;	/* the report block's highest seq */
	if (len < off + 4) {
		pr->rtcp.unequal++;
		return;
	}
	k = (unsigned int)buf[off] << 24 | (unsigned int)buf[off + 1] << 16 |
	    (unsigned int)buf[off + 2] << 8 | buf[off + 3];
	if (k < pr->rtcp.count)
		wlen = rtcp_packet(want, pr->peer_ssrc, pr->ssrc, k);
	tally(&pr->rtcp, k, buf, len, want, wlen);
}

/* Everything waiting on one socket, RTP or RTCP. */
static void drain_one(struct peer *pr, struct tally *t)
{
	uint8_t buf[2048];
	struct sockaddr_storage from;
	socklen_t fl;
	ssize_t n;

	for (;;) {
		fl = sizeof(from);
		n = recvfrom(t->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		if (fl != t->remote_len || memcmp(&from, &t->remote, fl) != 0) {
			t->foreign++;
			continue;
		}
		t->received++;
		if (t == &pr->rtp)
			take(pr, buf, (int)n);
		else
			take_rtcp(pr, buf, (int)n);
	}
}

static void drain(struct peer *pr)
{
	drain_one(pr, &pr->rtp);
	if (pr->rtcp.fd >= 0)
		drain_one(pr, &pr->rtcp);
}

static void send_one(const struct tally *t, const uint8_t *p, int len)
{
	if (sendto(t->fd, p, (size_t)len, 0, (const struct sockaddr *)&t->remote,
		   t->remote_len) != len)
		fprintf(stderr, "srtp_peer: sendto: %s\n", strerror(errno));
}

/* The socket of t bound to local (its port + plus), sending to remote's port + plus. */
static int open_tally(struct tally *t, struct sockaddr_storage local, socklen_t local_len,
		      int plus)
{
	in_port_t *lp = local.ss_family == AF_INET ? &((struct sockaddr_in *)&local)->sin_port :
			&((struct sockaddr_in6 *)&local)->sin6_port;
	in_port_t *rp = t->remote.ss_family == AF_INET ?
			&((struct sockaddr_in *)&t->remote)->sin_port :
			&((struct sockaddr_in6 *)&t->remote)->sin6_port;

	*lp = htons((uint16_t)(ntohs(*lp) + plus));
	*rp = htons((uint16_t)(ntohs(*rp) + plus));
	t->seen = calloc(t->count + 1, 1);
	t->fd = socket(local.ss_family, SOCK_DGRAM, 0);
	if (t->seen == NULL || t->fd < 0 ||
	    bind(t->fd, (struct sockaddr *)&local, local_len) != 0)
		return -1;
	return 0;
}

/* An SRTCP (or RTCP) packet to send: report k, protected; its length. */
static int rtcp_out(const struct peer *pr, srtp_t tx, uint8_t *p, unsigned int k)
{
	int len = rtcp_packet(p, pr->ssrc, pr->peer_ssrc, k);

	if (tx != NULL && srtp_protect_rtcp(tx, p, &len) != srtp_err_status_ok) {
		fprintf(stderr, "srtp_peer: srtp_protect_rtcp failed\n");
		exit(2);
	}
	return len;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "suite", required_argument, NULL, 's' }, { "key-tx", required_argument, NULL, 't' },
		{ "key-rx", required_argument, NULL, 'r' }, { "bad-tag", required_argument, NULL, 'b' },
		{ "replay", required_argument, NULL, 'p' }, { "rtcp", required_argument, NULL, 'c' },
		{ "interval-ms", required_argument, NULL, 'i' }, { "go", required_argument, NULL, 'g' },
		{ "timeout", required_argument, NULL, 'T' }, { NULL, 0, NULL, 0 },
	};
	const char *suite_name = NULL, *key_tx = NULL, *key_rx = NULL, *go = NULL;
	unsigned int bad = 0, replay = 0, interval = 10, timeout_s = 20, sent = 0, missing;
	unsigned int rtcp_n = 0, rsent = 0, rmissing = 0;
	struct sockaddr_storage local;
	socklen_t local_len;
	const struct suite *su = NULL;
	struct peer pr = { .rtp.fd = -1, .rtcp.fd = -1 };
	srtp_t tx = NULL;
	uint8_t (*copies)[RTP_LEN + SRTP_MAX_TRAILER_LEN] = NULL;
	uint8_t (*rcopies)[RTCP_MAX + SRTP_MAX_TRAILER_LEN + 4] = NULL;
	int *copy_len = NULL, *rcopy_len = NULL, o;
	uint64_t next, deadline;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's': suite_name = optarg; break;
		case 't': key_tx = optarg; break;
		case 'r': key_rx = optarg; break;
		case 'b': bad = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'p': replay = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'c': rtcp_n = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'i': interval = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'g': go = optarg; break;
		case 'T': timeout_s = (unsigned int)strtoul(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (argc - optind != 7 || parse_addr(argv[optind], argv[optind + 1], &local,
					     &local_len) != 0 ||
	    parse_addr(argv[optind + 2], argv[optind + 3], &pr.rtp.remote,
		       &pr.rtp.remote_len) != 0) {
		fprintf(stderr, "usage: srtp_peer run LADDR LPORT RADDR RPORT SSRC PEER_SSRC COUNT "
			"[--suite S --key-tx B64 --key-rx B64] [--bad-tag N] [--replay N] "
			"[--rtcp N] [--interval-ms MS] [--go FILE] [--timeout S]\n");
		return 2;
	}
	pr.ssrc = (uint32_t)strtoul(argv[optind + 4], NULL, 16);
	pr.peer_ssrc = (uint32_t)strtoul(argv[optind + 5], NULL, 16);
	pr.rtp.count = (unsigned int)strtoul(argv[optind + 6], NULL, 10);
	if (pr.rtp.count == 0 || pr.rtp.count > MAX_COUNT || replay > pr.rtp.count ||
	    rtcp_n > pr.rtp.count || (rtcp_n != 0 && replay > rtcp_n)) {
		fprintf(stderr, "srtp_peer: COUNT 1..%d, --rtcp at most COUNT, --replay at most "
			"both\n", MAX_COUNT);
		return 2;
	}
	if (suite_name != NULL) {
		for (size_t k = 0; k < sizeof(suites) / sizeof(suites[0]); k++)
			if (strcmp(suites[k].name, suite_name) == 0)
				su = &suites[k];
		if (su == NULL || key_tx == NULL || key_rx == NULL) {
			fprintf(stderr, "srtp_peer: --suite (a known one) needs --key-tx and --key-rx\n");
			return 2;
		}
		if (srtp_init() != srtp_err_status_ok)
			return 2;
		tx = session(su, key_tx, false);
		pr.rx = session(su, key_rx, true);
	} else if (bad != 0 || replay != 0) {
		fprintf(stderr, "srtp_peer: --bad-tag and --replay need --suite\n");
		return 2;
	}
	copies = calloc(replay + 1, sizeof(*copies));
	copy_len = calloc(replay + 1, sizeof(*copy_len));
	rcopies = calloc(replay + 1, sizeof(*rcopies));
	rcopy_len = calloc(replay + 1, sizeof(*rcopy_len));
	pr.rtcp.remote = pr.rtp.remote;
	pr.rtcp.remote_len = pr.rtp.remote_len;
	pr.rtcp.count = rtcp_n;
	if (copies == NULL || copy_len == NULL || rcopies == NULL || rcopy_len == NULL ||
	    open_tally(&pr.rtp, local, local_len, 0) != 0 ||
	    (rtcp_n != 0 && open_tally(&pr.rtcp, local, local_len, 1) != 0)) {
		fprintf(stderr, "srtp_peer: binding %s:%s%s: %s\n", argv[optind], argv[optind + 1],
			rtcp_n != 0 ? " (and + 1)" : "", strerror(errno));
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	deadline = now_ms() + 1000ull * timeout_s;
	while (go != NULL && access(go, F_OK) != 0) {
		if (now_ms() > deadline) {
			fprintf(stderr, "srtp_peer: %s never appeared\n", go);
			return 2;
		}
		usleep(5000);
	}

	unsigned int count = pr.rtp.count;

	next = now_ms();
	for (;;) {
		uint64_t t = now_ms();
		bool sending = sent < count + bad + replay;

		if ((!sending && pr.rtp.equal == count && pr.rtcp.equal == rtcp_n) || t > deadline)
			break;
		if (sending && t >= next) {
			uint8_t p[RTP_LEN + SRTP_MAX_TRAILER_LEN];
			int len = RTP_LEN;

			if (sent < count + bad) {
				stream_packet(p, pr.ssrc, sent);
				if (tx != NULL && srtp_protect(tx, p, &len) != srtp_err_status_ok) {
					fprintf(stderr, "srtp_peer: srtp_protect failed\n");
					return 2;
				}
				if (sent < replay) {
					memcpy(copies[sent], p, (size_t)len);
					copy_len[sent] = len;
				}
				if (sent >= count)
					p[len - 1] ^= 0x01;	/* the tag's last bit */
			} else {
				len = copy_len[sent - count - bad];
				memcpy(p, copies[sent - count - bad], (size_t)len);
			}
			send_one(&pr.rtp, p, len);
			/* report k beside RTP packet k * COUNT / N; then the tampered, the replays */
			if (rsent < rtcp_n + bad + replay &&
			    (rsent >= rtcp_n ? sent >= count : sent == rsent * count / rtcp_n)) {
				uint8_t q[RTCP_MAX + SRTP_MAX_TRAILER_LEN + 4];
				int ql;

				if (rsent < rtcp_n + bad) {
					ql = rtcp_out(&pr, tx, q, rsent);
					if (rsent < replay) {
						memcpy(rcopies[rsent], q, (size_t)ql);
						rcopy_len[rsent] = ql;
					}
					if (rsent >= rtcp_n)
						q[10] ^= 0x01;	/* encrypted (SRTCP from byte 8) */
				} else {
					ql = rcopy_len[rsent - rtcp_n - bad];
					memcpy(q, rcopies[rsent - rtcp_n - bad], (size_t)ql);
				}
				send_one(&pr.rtcp, q, ql);
				rsent++;
			}
			sent++;
			next += interval;
			continue;
		}
		struct pollfd pf[2] = { { .fd = pr.rtp.fd, .events = POLLIN },
					{ .fd = pr.rtcp.fd, .events = POLLIN } };
		uint64_t until = sending && next < deadline ? next : deadline;

		if (poll(pf, rtcp_n != 0 ? 2 : 1, (int)(until > t ? until - t : 0)) > 0)
			drain(&pr);
	}
	drain(&pr);
	missing = count - pr.rtp.equal;
	printf("sent %u bad_tag %u replayed %u received %u equal %u missing %u unequal %u "
	       "unauthentic %u duplicate %u foreign %u", sent < count ? sent : count,
	       sent > count ? (sent - count < bad ? sent - count : bad) : 0,
	       sent > count + bad ? sent - count - bad : 0, pr.rtp.received, pr.rtp.equal,
	       missing, pr.rtp.unequal, pr.rtp.unauthentic, pr.rtp.duplicate, pr.rtp.foreign);
	if (rtcp_n != 0) {
		rmissing = rtcp_n - pr.rtcp.equal;
		printf(" rtcp_sent %u rtcp_received %u rtcp_equal %u rtcp_missing %u "
		       "rtcp_unequal %u rtcp_unauthentic %u rtcp_duplicate %u rtcp_foreign %u",
		       rsent < rtcp_n ? rsent : rtcp_n, pr.rtcp.received, pr.rtcp.equal, rmissing,
		       pr.rtcp.unequal, pr.rtcp.unauthentic, pr.rtcp.duplicate, pr.rtcp.foreign);
		close(pr.rtcp.fd);
	}
	printf("\n");
	close(pr.rtp.fd);
	if (tx != NULL) {
		srtp_dealloc(tx);
		srtp_dealloc(pr.rx);
		srtp_shutdown();
	}
	free(pr.rtp.seen);
	free(pr.rtcp.seen);
	free(copies);
	free(copy_len);
	free(rcopies);
	free(rcopy_len);
	return missing == 0 && pr.rtp.unequal == 0 && pr.rtp.unauthentic == 0 &&
	       pr.rtp.duplicate == 0 && pr.rtp.foreign == 0 && rmissing == 0 &&
	       pr.rtcp.unequal == 0 && pr.rtcp.unauthentic == 0 && pr.rtcp.duplicate == 0 &&
	       pr.rtcp.foreign == 0 ? 0 : 1;
}

/* ---- scan */

static int scan(int argc, char **argv)
{
	uint8_t p[RTP_LEN], *buf;
	unsigned int count, found = 0;
	uint32_t ssrc;
	long size;
	FILE *f;

	if (argc != 5 && argc != 7) {
		fprintf(stderr, "usage: srtp_peer scan FILE SSRC COUNT [PEER_SSRC RTCP_COUNT]\n");
		return 2;
	}
	ssrc = (uint32_t)strtoul(argv[3], NULL, 16);
	count = (unsigned int)strtoul(argv[4], NULL, 10);
	f = fopen(argv[2], "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "srtp_peer: %s: %s\n", argv[2], strerror(errno));
		return 2;
	}
	buf = malloc((size_t)size + 1);
	if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "srtp_peer: reading %s failed\n", argv[2]);
		return 2;
	}
	fclose(f);
	for (unsigned int i = 0; i < count; i++) {
		stream_packet(p, ssrc, i);
		if (memmem(buf, (size_t)size, p + HDR, SCAN_BYTES) != NULL)
			found++;
	}
	printf("found %u of %u", found, count);
	if (argc == 7) {
		uint32_t peer = (uint32_t)strtoul(argv[5], NULL, 16);
		unsigned int n = (unsigned int)strtoul(argv[6], NULL, 10);
		uint8_t q[RTCP_MAX];

		found = 0;
		for (unsigned int k = 0; k < n; k++) {
			rtcp_packet(q, ssrc, peer, k);
			if (memmem(buf, (size_t)size, q + 8, RTCP_SCAN) != NULL)
				found++;
		}
		printf(", rtcp found %u of %u", found, n);
	}
	printf("\n");
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return run(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "scan") == 0)
		return scan(argc, argv);
	fprintf(stderr, "usage: srtp_peer run|scan ... (see tests/e2e/srtp_peer.c)\n");
	return 2;
}
