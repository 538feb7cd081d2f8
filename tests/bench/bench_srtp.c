/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTP per core (suite bench): dp_srtp_unprotect (SRTP -> RTP) and dp_srtp_protect (RTP -> SRTP)
 * of RTP packets with 160 bytes of payload (PCMU 20 ms), one thread, each suite. Built twice
 * (bench_srtp: the libsrtp2 the data plane links; bench_srtp_debian: Debian's NSS build);
 * tests/bench/bench_srtp.sh runs both in turns and prints them side by side.
 *
 * Only the protect/unprotect calls are timed: per pass of BATCH packets, the untimed part
 * refreshes the packets (unprotect: a copy of the protected batch and a new receiving context,
 * since every index is accepted only once; protect: the next sequence numbers), the timed part
 * runs the calls in place. Every call must succeed (a refused packet fails the run). Rates are
 * packets per wall second, per CPU second of this thread (CLOCK_THREAD_CPUTIME_ID) over the run,
 * and per CPU second of the median pass (on a machine shared with other work, passes hit by
 * another process's cache and TLB pollution are slower; the median is the per-core figure least
 * moved by them, the whole-run figure is printed beside it).
 *
 * usage: bench_srtp [--seconds S] [--suite NAME]... ; prints one line per measurement:
 *   <backend> <suite> <protect|unprotect> <Mpps wall> <Mpps per CPU-second> <Mpps median pass>
 *   <packets>
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sbc_channel.h"
#include "dp_srtp.h"

#define BATCH 1024
#define PAYLOAD 160
#define RTP_LEN (12 + PAYLOAD)
#define SLOT 256		/* bytes per packet in the batch: RTP + the largest trailer */

#define MAX_PASSES 65536

struct rate {
	double wall_s, cpu_s;
	uint64_t pkts;
	unsigned int passes;
	double pass_cpu[MAX_PASSES];	/* CPU seconds of each pass, for the median */
};

static struct rate rate_u, rate_p;

static uint8_t plain[BATCH][SLOT], prot[BATCH][SLOT], work[BATCH][SLOT];
static uint32_t prot_len[BATCH];

static double now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void set_seq(uint8_t *p, uint32_t n)
{
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
	p[4] = (uint8_t)((n * 160u) >> 24);
	p[5] = (uint8_t)((n * 160u) >> 16);
	p[6] = (uint8_t)((n * 160u) >> 8);
	p[7] = (uint8_t)(n * 160u);
}

static void make_plain(void)
{
	for (unsigned int i = 0; i < BATCH; i++) {
		uint8_t *p = plain[i];

		p[0] = 0x80;
		p[1] = 0;		/* PCMU */
		set_seq(p, i);
		p[8] = 0x5e;
		p[9] = 0xc0;
		p[10] = 0x0d;
		p[11] = 0x01;
		for (unsigned int j = 12; j < RTP_LEN; j++)
			p[j] = (uint8_t)(i * 31 + j);
	}
}

static struct dp_srtp_ctx *new_ctx(unsigned int suite, const uint8_t *key, bool inbound)
{
	struct dp_srtp_ctx *c;
	char err[160];

	if (dp_srtp_ctx_new(&c, suite, key, inbound, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_srtp: %s\n", err);
		exit(1);
	}
	return c;
}

static void fail(const char *what, unsigned int i, int r)
{
	fprintf(stderr, "bench_srtp: %s of packet %u refused: %s\n", what, i, dp_srtp_result_name(r));
	exit(1);
}

/* protect: one context for the run, sequence numbers continue across passes (and wrap) */
static void pass_done(struct rate *r, double w0, double c0)
{
	double c = now(CLOCK_THREAD_CPUTIME_ID) - c0;

	r->wall_s += now(CLOCK_MONOTONIC) - w0;
	r->cpu_s += c;
	r->pkts += BATCH;
	if (r->passes < MAX_PASSES)
		r->pass_cpu[r->passes++] = c;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_pass_mpps(struct rate *r)
{
	qsort(r->pass_cpu, r->passes, sizeof(double), cmp_double);
	return BATCH / r->pass_cpu[r->passes / 2] / 1e6;
}

static void run_protect(struct rate *r, unsigned int suite, const uint8_t *key, double seconds)
{
	struct dp_srtp_ctx *tx = new_ctx(suite, key, false);
	uint32_t seq = 0;

	memset(r, 0, sizeof(*r));
	while (r->wall_s < seconds && r->passes < MAX_PASSES) {
		for (unsigned int i = 0; i < BATCH; i++) {
			memcpy(work[i], plain[i], RTP_LEN);
			set_seq(work[i], seq + i);
		}
		double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID);

		for (unsigned int i = 0; i < BATCH; i++) {
			uint32_t len = RTP_LEN;
			int rc = dp_srtp_protect(tx, work[i], &len, SLOT, false);

			if (rc != DP_SRTP_OK)
				fail("protect", i, rc);
		}
		pass_done(r, w0, c0);
		seq += BATCH;
	}
	dp_srtp_ctx_free(tx);
}

/* unprotect: the batch protected once; each pass a fresh copy and a fresh receiving context */
static void run_unprotect(struct rate *r, unsigned int suite, const uint8_t *key, double seconds)
{
	struct dp_srtp_ctx *tx = new_ctx(suite, key, false);

	memset(r, 0, sizeof(*r));
	for (unsigned int i = 0; i < BATCH; i++) {
		memcpy(prot[i], plain[i], RTP_LEN);
		prot_len[i] = RTP_LEN;
		int rc = dp_srtp_protect(tx, prot[i], &prot_len[i], SLOT, false);

		if (rc != DP_SRTP_OK)
			fail("protect", i, rc);
	}
	dp_srtp_ctx_free(tx);
	while (r->wall_s < seconds && r->passes < MAX_PASSES) {
		struct dp_srtp_ctx *rx = new_ctx(suite, key, true);

		memcpy(work, prot, sizeof(work));
		double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID);

		for (unsigned int i = 0; i < BATCH; i++) {
			uint32_t len = prot_len[i];
			int rc = dp_srtp_unprotect(rx, work[i], &len, false);

			if (rc != DP_SRTP_OK)
				fail("unprotect", i, rc);
		}
		pass_done(r, w0, c0);
		/* what came out is the plain packet (checked once per pass, untimed) */
		if (memcmp(work[BATCH - 1], plain[BATCH - 1], RTP_LEN) != 0) {
			fprintf(stderr, "bench_srtp: unprotect gave other bytes than were protected\n");
			exit(1);
		}
		dp_srtp_ctx_free(rx);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"seconds", required_argument, NULL, 's'},
		{"suite", required_argument, NULL, 'u'},
		{NULL, 0, NULL, 0},
	};
	bool want[SBC_SRTP_MAX] = {false};
	bool any = false;
	double seconds = 2.0;
	uint8_t key[SBC_SRTP_KEY_MAX];
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		unsigned int s;

		switch (o) {
		case 's':
			seconds = atof(optarg);
			break;
		case 'u':
			for (s = 1; s < SBC_SRTP_MAX && strcmp(optarg, sbc_srtp_suite_names[s]); s++)
				;
			if (s == SBC_SRTP_MAX) {
				fprintf(stderr, "bench_srtp: unknown suite %s\n", optarg);
				return 2;
			}
			want[s] = any = true;
			break;
		default:
			fprintf(stderr, "usage: bench_srtp [--seconds S] [--suite NAME]...\n");
			return 2;
		}
	}
	if (seconds <= 0) {
		fprintf(stderr, "bench_srtp: --seconds must be > 0\n");
		return 2;
	}
	if (dp_srtp_init() != 0) {
		fprintf(stderr, "bench_srtp: libsrtp2 init failed\n");
		return 1;
	}
	for (unsigned int i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x40 + i * 3);
	make_plain();
	for (unsigned int s = 1; s < SBC_SRTP_MAX; s++) {
		if (any && !want[s])
			continue;
		struct rate *rs[2] = {&rate_u, &rate_p};

		run_unprotect(&rate_u, s, key, seconds);
		run_protect(&rate_p, s, key, seconds);
		for (int k = 0; k < 2; k++)
			printf("%s %s %s %.3f %.3f %.3f %llu\n", dp_srtp_backend(),
			       sbc_srtp_suite_names[s], k ? "protect" : "unprotect",
			       rs[k]->pkts / rs[k]->wall_s / 1e6, rs[k]->pkts / rs[k]->cpu_s / 1e6,
			       median_pass_mpps(rs[k]), (unsigned long long)rs[k]->pkts);
		fflush(stdout);
	}
	return 0;
}
