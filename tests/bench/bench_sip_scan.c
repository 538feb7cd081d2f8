/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Micro-benchmark of the worker's SIP scanner (dataplane/dp_sip.c): dp_sip_scan over 512
 * messages shaped as bench_dataplane.py's listed_passed case builds them (OPTIONS and in-dialog
 * ACK, BYE, INFO, UPDATE, re-INVITE, NOTIFY, 430-650 bytes), round after round; prints ns per
 * message, the best of 25 runs in the thread's own cpu time (the dataplane bench counts per
 * core-second too) and in TSC cycles (the unit of the dataplane bench's perf split), for each
 * line-bitmap path the cpu has (AVX-512, AVX2, SSE2), or only the one named by a second argument
 * (0 SSE2, 1 AVX2, 2 AVX-512: for perf record). Single-threaded, no EAL. Suite 'bench' only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp_sip.h"

#define N_MSG 512
#define MSG_MAX 1024
#define RUNS 25	/* the best run is the one least disturbed by other work on the cpu */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const char *const methods[8] = {
	"OPTIONS", "OPTIONS", "ACK", "BYE", "INFO", "UPDATE", "INVITE", "NOTIFY",
};

/* bench_dataplane.py's passed_request(), for source 192.0.2.x */
static uint32_t build(char *b, unsigned int n)
{
	const char *meth = methods[n % 8], *body = "", *ctype = NULL;
	char to_tag[32] = "", ctl[64] = "";
	unsigned int user = (unsigned int)(next_rand() % 10000000u);
	unsigned int sport = 1024 + (unsigned int)(next_rand() % 64512u);
	unsigned int host = 1 + n % 250;
	int len;

	if (strcmp(meth, "OPTIONS") != 0)
		snprintf(to_tag, sizeof(to_tag), ";tag=%010" PRIx64, next_rand() & UINT64_C(0xffffffffff));
	if (strcmp(meth, "INFO") == 0) {
		body = "Signal=5\r\nDuration=160\r\n";
		ctype = "application/dtmf-relay";
	} else if (strcmp(meth, "INVITE") == 0) {
		body = "v=0\r\no=- 123456789 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
		       "t=0 0\r\nm=audio 20000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
		       "a=sendonly\r\n";
		ctype = "application/sdp";
	}
	if (ctype != NULL)
		snprintf(ctl, sizeof(ctl), "Content-Type: %s\r\n", ctype);
	len = snprintf(b, MSG_MAX,
		       "%s sip:+1555%07u@203.0.113.1:5060 SIP/2.0\r\n"
		       "Via: SIP/2.0/UDP 192.0.2.%u:%u;branch=z9hG4bK%016" PRIx64 ";rport\r\n"
		       "Max-Forwards: 70\r\n"
		       "From: <sip:+1202%07u@192.0.2.%u>;tag=%010" PRIx64 "\r\n"
		       "To: <sip:+1555%07u@203.0.113.1>%s\r\n"
		       "Call-ID: %024" PRIx64 "@192.0.2.%u\r\n"
		       "CSeq: %u %s\r\n"
		       "Contact: <sip:+1202%07u@192.0.2.%u:%u>\r\n"
		       "User-Agent: sbc-bench-uac/1.0\r\n"
		       "%sContent-Length: %zu\r\n\r\n%s",
		       meth, user, host, sport, next_rand(), n, host, next_rand() & UINT64_C(0xffffffffff),
		       user, to_tag, next_rand(), host, 1 + (unsigned int)(next_rand() % 999), meth,
		       n, host, sport, ctl, strlen(body), body);
	return (uint32_t)len;
}

static double now_ns(clockid_t clk)
{
	struct timespec t;

	clock_gettime(clk, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* TSC ticks per ns, against the monotonic clock over 50 ms (x86; 0 elsewhere). */
static double tsc_per_ns(void)
{
#if defined(__x86_64__) || defined(__i386__)
	double t0 = now_ns(CLOCK_MONOTONIC), t1;
	uint64_t c0 = __builtin_ia32_rdtsc();

	do
		t1 = now_ns(CLOCK_MONOTONIC);
	while (t1 - t0 < 5e7);
	return (double)(__builtin_ia32_rdtsc() - c0) / (t1 - t0);
#else
	return 0;
#endif
}

int main(int argc, char **argv)
{
	static uint8_t msgs[N_MSG][MSG_MAX];
	static uint32_t lens[N_MSG];
	struct dp_sip_msg m;
	unsigned int rounds = argc > 1 ? (unsigned int)atoi(argv[1]) : 200;
	int only = argc > 2 ? atoi(argv[2]) : -1;
	uint64_t bytes = 0, bad = 0;
	double ghz = tsc_per_ns();

	for (unsigned int i = 0; i < N_MSG; i++) {
		lens[i] = build((char *)msgs[i], i);
		bytes += lens[i];
		if (dp_sip_scan(msgs[i], lens[i], &m) != DP_SIP_ERR_OK)
			bad++;
	}
	if (bad != 0) {
		fprintf(stderr, "bench_sip_scan: %" PRIu64 " messages malformed\n", bad);
		return 1;
	}
	/* each line-bitmap path the cpu has, the best first (the one the data plane takes) */
	for (int level = dp_sip_simd(-1); level >= 0; level--) {
		double best = 1e30;

		if (only >= 0 && level != only)
			continue;
		dp_sip_simd(level);
		for (int run = 0; run < RUNS; run++) {
			double t0 = now_ns(CLOCK_THREAD_CPUTIME_ID), ns;
			unsigned int errs = 0;

			for (unsigned int r = 0; r < rounds; r++)
				for (unsigned int i = 0; i < N_MSG; i++)
					errs += dp_sip_scan(msgs[i], lens[i], &m) != DP_SIP_ERR_OK;
			ns = (now_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / ((double)rounds * N_MSG);
			if (errs == 0 && ns < best)
				best = ns;
		}
		printf("dp_sip_scan (%s): %.1f ns = %.0f TSC cycles per message (TSC %.2f GHz; %.0f B "
		       "average, best of %d runs of %u x %u)\n", dp_sip_simd_name[level], best,
		       best * ghz, ghz, (double)bytes / N_MSG, RUNS, rounds, N_MSG);
	}
	return 0;
}
