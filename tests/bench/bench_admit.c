/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admission latency over the channel (suite 'bench', run by bench_admit.sh beside a running
 * sbc-dataplane): this program takes the control plane's end of the channel, as the B2BUA does
 * for a TCP/TLS INVITE, sends SBC_CMD_ADMIT with a new Call-ID, spins on the event ring until
 * its SBC_EVT_ADMIT_VERDICT comes (the data plane's main lcore polls commands between 200 us
 * sleeps and decides with dp_gate_admit on the workers' tables), and sends the call's end.
 * Prints p50 / p99 / max of the round trip in microseconds over --requests N (10,000), one
 * request in flight at a time, after --warmup requests.
 * usage: bench_admit --channel NAME [--requests N] [--warmup N]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbc_channel.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One request: 0 with *rtt_ns, or -1 when no verdict came within a second. */
static int one(struct sbc_channel *ch, uint64_t ref, uint64_t *rtt_ns, unsigned int *admitted)
{
	struct sbc_msg_admit a = { .trunk = 0, .transport = SBC_TP_TCP, .cseq = 1, .ref = ref };
	struct sbc_msg m, e;
	uint64_t t0, deadline;

	a.call_id_len = (uint16_t)snprintf(a.call_id, sizeof(a.call_id), "bench-%llu@admit",
					   (unsigned long long)ref);
	sbc_msg_init(&m, SBC_CMD_ADMIT, &a, sizeof(a), ref);
	t0 = sbc_mono_ns();
	deadline = t0 + 1000000000ull;
	while (sbc_ring_send(ch->h, &ch->h->cmd, &m) != 0)
		if (sbc_mono_ns() > deadline)
			return -1;
	for (;;) {
		int rc = sbc_ring_recv(ch->h, &ch->h->evt, &e);

		if (rc == 1 && e.type == SBC_EVT_ADMIT_VERDICT) {
			const struct sbc_msg_admit_verdict *v = (const void *)e.body;

			if (v->ref == ref) {
				*rtt_ns = sbc_mono_ns() - t0;
				*admitted += v->verdict == SBC_ADMIT_OK;
				break;
			}
		}
		if (rc != 1 && sbc_mono_ns() > deadline)
			return -1;
	}
	a.end_reason = SBC_CALL_END_BYE;
	sbc_msg_init(&m, SBC_CMD_ADMIT_END, &a, sizeof(a), ref);
	while (sbc_ring_send(ch->h, &ch->h->cmd, &m) != 0)
		;
	return 0;
}

int main(int argc, char **argv)
{
	const char *name = NULL;
	unsigned long n = 10000, warmup = 1000;
	struct sbc_channel ch;
	unsigned int admitted = 0;
	uint64_t *rtt, dummy;
	char err[256];

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--channel") == 0)
			name = argv[i + 1];
		else if (strcmp(argv[i], "--requests") == 0)
			n = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--warmup") == 0)
			warmup = strtoul(argv[i + 1], NULL, 10);
	}
	if (name == NULL || n == 0) {
		fprintf(stderr, "usage: bench_admit --channel NAME [--requests N] [--warmup N]\n");
		return 2;
	}
	if (sbc_chan_attach(&ch, name, sbc_now_ns(), err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_admit: %s\n", err);
		return 1;
	}
	rtt = calloc(n, sizeof(*rtt));
	if (rtt == NULL)
		return 1;
	for (unsigned long i = 0; i < warmup; i++)
		if (one(&ch, 1000000000ull + i, &dummy, &admitted) != 0) {
			fprintf(stderr, "bench_admit: no verdict within 1 s (warm-up %lu)\n", i);
			return 1;
		}
	admitted = 0;
	for (unsigned long i = 0; i < n; i++)
		if (one(&ch, i + 1, &rtt[i], &admitted) != 0) {
			fprintf(stderr, "bench_admit: no verdict within 1 s (request %lu)\n", i);
			return 1;
		}
	qsort(rtt, n, sizeof(*rtt), cmp_u64);
	printf("channel admission (TCP/TLS path): %lu requests, %u admitted, round trip p50 %.1f us"
	       " p99 %.1f us max %.1f us\n", n, admitted, rtt[n / 2] / 1e3, rtt[n * 99 / 100] / 1e3,
	       rtt[n - 1] / 1e3);
	free(rtt);
	sbc_chan_close(&ch, false);
	return admitted == n ? 0 : 1;
}
