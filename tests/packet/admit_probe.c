/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane's answers to admission requests over the channel (suite 'packet', run by
 * test_admit_channel.sh against a real sbc-dataplane whose trunk 0 has cps 1, burst 2,
 * max_calls 3). This program takes the control plane's end of the channel and plays a table of
 * requests, each with the verdict and event the data plane must send back:
 *   two new calls (TCP, TLS) take the two tokens; a third is over_cps; its resend (same
 *   Call-ID and CSeq) gets over_cps again, a running call's resend "admitted again"; an
 *   emergency number passes the empty bucket; max_calls (3) then refuses over_calls past a
 *   refilled bucket; an end frees a slot (its CALL_ENDED event carries the reason); a request
 *   naming no trunk is refused (SBC_EVT_REFUSED).
 * --flush: attach as a new control plane (a new boot id) and expect every call admitted over
 * the channel to be flushed (CALL_ENDED, reason flushed) and nothing else.
 * Exit 0 when every answer matched; the first mismatch is printed.
 * usage: admit_probe --channel NAME [--flush N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbc_channel.h"

static struct sbc_channel ch;
static uint64_t next_ref = 1;

/* The next event of type want (others, such as CALL_ADMITTED, are skipped), within 2 s. */
static int wait_event(uint16_t want, struct sbc_msg *m)
{
	uint64_t end = sbc_mono_ns() + 2000000000ull;

	while (sbc_mono_ns() < end) {
		int rc = sbc_ring_recv(ch.h, &ch.h->evt, m);

		if (rc == 1 && m->type == want)
			return 0;
	}
	fprintf(stderr, "admit_probe: no event of type %u within 2 s\n", want);
	return -1;
}

static void send_cmd(uint16_t type, const struct sbc_msg_admit *a)
{
	struct sbc_msg m;

	sbc_msg_init(&m, type, a, sizeof(*a), a->ref);
	while (sbc_ring_send(ch.h, &ch.h->cmd, &m) != 0)
		;
}

static struct sbc_msg_admit req(uint16_t trunk, uint8_t tp, const char *call_id, uint32_t cseq,
				const char *ruser)
{
	struct sbc_msg_admit a = { .trunk = trunk, .transport = tp, .cseq = cseq,
				   .ref = next_ref++ };

	a.call_id_len = (uint16_t)strlen(call_id);
	memcpy(a.call_id, call_id, a.call_id_len);
	if (ruser != NULL) {
		a.ruri_user_len = (uint8_t)strlen(ruser);
		memcpy(a.ruri_user, ruser, a.ruri_user_len);
	}
	return a;
}

static const struct {
	uint8_t tp;
	const char *call_id;
	uint32_t cseq;
	const char *ruser;
	uint8_t verdict, again, emergency;
} table[] = {
	{ SBC_TP_TCP, "c1@probe", 1, "100", SBC_ADMIT_OK, 0, 0 },
	{ SBC_TP_TLS, "c2@probe", 1, "100", SBC_ADMIT_OK, 0, 0 },
	{ SBC_TP_TCP, "c3@probe", 1, "100", SBC_ADMIT_OVER_CPS, 0, 0 },
	{ SBC_TP_TCP, "c3@probe", 1, "100", SBC_ADMIT_OVER_CPS, 1, 0 },	/* a resend */
	{ SBC_TP_TCP, "c1@probe", 1, "100", SBC_ADMIT_OK, 1, 0 },		/* running */
	{ SBC_TP_TLS, "e1@probe", 1, "911", SBC_ADMIT_OK, 0, 1 },		/* emergency */
};

static int check(unsigned int i, const struct sbc_msg_admit_verdict *v, uint8_t verdict,
		 uint8_t again, uint8_t emergency)
{
	if (v->verdict == verdict && v->again == again && v->emergency == emergency)
		return 0;
	fprintf(stderr, "admit_probe: step %u: verdict %s again %u emergency %u, want %s %u %u\n",
		i, sbc_admit_names[v->verdict], v->again, v->emergency, sbc_admit_names[verdict],
		again, emergency);
	return -1;
}

static int ask(unsigned int step, struct sbc_msg_admit a, uint8_t verdict, uint8_t again,
	       uint8_t emergency)
{
	struct sbc_msg m;

	send_cmd(SBC_CMD_ADMIT, &a);
	do
		if (wait_event(SBC_EVT_ADMIT_VERDICT, &m) != 0)
			return -1;
	while (((const struct sbc_msg_admit_verdict *)m.body)->ref != a.ref);
	return check(step, (const void *)m.body, verdict, again, emergency);
}

static int scenario(void)
{
	struct sbc_msg_admit a;
	struct sbc_msg m;
	unsigned int i, n = sizeof(table) / sizeof(table[0]);

	for (i = 0; i < n; i++)
		if (ask(i, req(0, table[i].tp, table[i].call_id, table[i].cseq, table[i].ruser),
			table[i].verdict, table[i].again, table[i].emergency) != 0)
			return -1;
	/* c1, c2, e1 hold the trunk's 3 slots: a new call is refused over_calls once the bucket
	 * has a token again (cps 1: within a second) */
	for (uint64_t end = sbc_mono_ns() + 5000000000ull;;) {
		a = req(0, SBC_TP_TCP, "c4@probe", (uint32_t)next_ref, "100");
		send_cmd(SBC_CMD_ADMIT, &a);
		if (wait_event(SBC_EVT_ADMIT_VERDICT, &m) != 0)
			return -1;
		if (((const struct sbc_msg_admit_verdict *)m.body)->verdict == SBC_ADMIT_OVER_CALLS)
			break;
		if (check(i, (const void *)m.body, SBC_ADMIT_OVER_CPS, 0, 0) != 0 ||
		    sbc_mono_ns() > end)
			return -1;
		for (uint64_t t = sbc_mono_ns() + 20000000ull; sbc_mono_ns() < t;)
			;	/* 20 ms between asks: the bucket refills once a second */
	}
	/* the end of c1: its event carries the reason, a slot is free again */
	a = req(0, SBC_TP_TCP, "c1@probe", 0, NULL);
	a.end_reason = SBC_CALL_END_CANCEL;
	send_cmd(SBC_CMD_ADMIT_END, &a);
	if (wait_event(SBC_EVT_CALL_ENDED, &m) != 0)
		return -1;
	{
		const struct sbc_msg_call *c = (const void *)m.body;

		if (c->reason != SBC_CALL_END_CANCEL || c->call_id_len != 8 ||
		    memcmp(c->call_id, "c1@probe", 8) != 0 || c->active != 2) {
			fprintf(stderr, "admit_probe: end of c1: reason %u active %u\n", c->reason,
				c->active);
			return -1;
		}
	}
	/* a request naming no trunk: refused, nothing else happens */
	a = req(999, SBC_TP_TCP, "x@probe", 1, NULL);
	send_cmd(SBC_CMD_ADMIT, &a);
	if (wait_event(SBC_EVT_REFUSED, &m) != 0)
		return -1;
	/* an end of a call no longer there: counted, no event (checked on the stats socket) */
	a = req(0, SBC_TP_TCP, "c1@probe", 0, NULL);
	a.end_reason = SBC_CALL_END_BYE;
	send_cmd(SBC_CMD_ADMIT_END, &a);
	return 0;
}

/* A new control plane: the data plane flushes the calls the old one held. */
static int flush(unsigned int want)
{
	struct sbc_msg m;

	for (unsigned int i = 0; i < want; i++) {
		const struct sbc_msg_call *c = (const void *)m.body;

		if (wait_event(SBC_EVT_CALL_ENDED, &m) != 0)
			return -1;
		if (c->reason != SBC_CALL_END_FLUSHED) {
			fprintf(stderr, "admit_probe: flush: reason %u\n", c->reason);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *name = NULL;
	long flush_n = -1;
	char err[256];
	int rc;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--channel") == 0)
			name = argv[i + 1];
		else if (strcmp(argv[i], "--flush") == 0)
			flush_n = strtol(argv[i + 1], NULL, 10);
	}
	if (name == NULL) {
		fprintf(stderr, "usage: admit_probe --channel NAME [--flush N]\n");
		return 2;
	}
	if (sbc_chan_attach(&ch, name, sbc_now_ns() | 1, err, sizeof(err)) != 0) {
		fprintf(stderr, "admit_probe: %s\n", err);
		return 1;
	}
	rc = flush_n >= 0 ? flush((unsigned int)flush_n) : scenario();
	sbc_chan_close(&ch, false);
	if (rc == 0)
		printf("admit_probe: every answer as expected\n");
	return rc == 0 ? 0 : 1;
}
