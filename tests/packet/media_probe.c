/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's end of the channel for the media channel test (test_media_channel.py):
 * attaches to a running sbc-dataplane's channel and takes one command a line on stdin, answering
 * each on stdout once the data plane has:
 *   set ID SEQ LADDR LPORT0 RADDR0 RPORT0 LPORT1 RADDR1 RPORT1   (IPv4 legs, RTCP on port + 1)
 *       -> "ready ID SEQ ERROR" (SBC_EVT_MEDIA_READY)
 *   del ID SEQ -> "gone ID SEQ PACKETS0 PACKETS1 DROPPED0 DROPPED1" (SBC_EVT_MEDIA_GONE)
 *   flush      -> "flushed" (no event: the next set answers)
 * Other events are skipped. An answer that does not come within 5 s: "timeout", exit 1.
 * usage: media_probe --channel NAME
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbc_channel.h"

static struct sbc_channel ch;

static int wait_event(uint16_t want, uint64_t session, struct sbc_msg *m)
{
	uint64_t end = sbc_mono_ns() + 5000000000ull;

	while (sbc_mono_ns() < end) {
		sbc_chan_heartbeat(&ch);
		if (sbc_ring_recv(ch.h, &ch.h->evt, m) == 1 && m->type == want &&
		    *(const uint64_t *)m->body == session)
			return 0;
	}
	printf("timeout\n");
	fflush(stdout);
	return -1;
}

static void send_cmd(uint16_t type, const void *body, uint32_t len)
{
	struct sbc_msg m;

	sbc_msg_init(&m, type, body, len, 0);
	while (sbc_ring_send(ch.h, &ch.h->cmd, &m) != 0)
		;
}

static int leg(struct sbc_media_leg *l, const char *laddr, const char *lport, const char *raddr,
	       const char *rport)
{
	memset(l, 0, sizeof(*l));
	l->family = SBC_AF_V4;
	l->local_port = (uint16_t)atoi(lport);
	l->remote_port = (uint16_t)atoi(rport);
	l->remote_rtcp_port = (uint16_t)(l->remote_port + 1);
	return inet_pton(AF_INET, laddr, l->local_addr) == 1 &&
	       inet_pton(AF_INET, raddr, l->remote_addr) == 1 ? 0 : -1;
}

static int cmd_set(char **w, int n)
{
	struct sbc_msg_media s;
	struct sbc_msg m;
	const struct sbc_msg_media_ref *r = (const void *)m.body;

	memset(&s, 0, sizeof(s));
	if (n != 10 || leg(&s.leg[0], w[3], w[4], w[5], w[6]) != 0 ||
	    leg(&s.leg[1], w[3], w[7], w[8], w[9]) != 0) {
		printf("usage: set ID SEQ LADDR LPORT0 RADDR0 RPORT0 LPORT1 RADDR1 RPORT1\n");
		return -1;
	}
	s.session = strtoull(w[1], NULL, 10);
	s.seq = (uint32_t)strtoul(w[2], NULL, 10);
	send_cmd(SBC_CMD_MEDIA_SET, &s, sizeof(s));
	if (wait_event(SBC_EVT_MEDIA_READY, s.session, &m) != 0)
		return -1;
	printf("ready %llu %u %d\n", (unsigned long long)r->session, r->seq, r->error);
	return 0;
}

static int cmd_del(char **w, int n)
{
	struct sbc_msg_media_ref r = { 0 };
	struct sbc_msg m;
	const struct sbc_msg_media_stats *st = (const void *)m.body;

	if (n != 3) {
		printf("usage: del ID SEQ\n");
		return -1;
	}
	r.session = strtoull(w[1], NULL, 10);
	r.seq = (uint32_t)strtoul(w[2], NULL, 10);
	send_cmd(SBC_CMD_MEDIA_DEL, &r, sizeof(r));
	if (wait_event(SBC_EVT_MEDIA_GONE, r.session, &m) != 0)
		return -1;
	printf("gone %llu %u %llu %llu %llu %llu\n", (unsigned long long)st->session, st->seq,
	       (unsigned long long)st->leg[0].packets, (unsigned long long)st->leg[1].packets,
	       (unsigned long long)st->leg[0].dropped, (unsigned long long)st->leg[1].dropped);
	return 0;
}

int main(int argc, char **argv)
{
	char line[512], *w[16], err[256];
	int rc = 0;

	if (argc != 3 || strcmp(argv[1], "--channel") != 0) {
		fprintf(stderr, "usage: media_probe --channel NAME\n");
		return 2;
	}
	if (sbc_chan_attach(&ch, argv[2], sbc_now_ns() | 1, err, sizeof(err)) != 0) {
		fprintf(stderr, "media_probe: %s\n", err);
		return 1;
	}
	printf("attached\n");
	fflush(stdout);
	while (rc == 0 && fgets(line, sizeof(line), stdin) != NULL) {
		int n = 0;

		for (char *t = strtok(line, " \t\n"); t != NULL && n < 16; t = strtok(NULL, " \t\n"))
			w[n++] = t;
		if (n == 0)
			continue;
		if (strcmp(w[0], "set") == 0) {
			rc = cmd_set(w, n);
		} else if (strcmp(w[0], "del") == 0) {
			rc = cmd_del(w, n);
		} else if (strcmp(w[0], "flush") == 0) {
			send_cmd(SBC_CMD_MEDIA_FLUSH, line, 0);
			printf("flushed\n");
		} else {
			printf("unknown command %s\n", w[0]);
			rc = -1;
		}
		fflush(stdout);
	}
	sbc_chan_close(&ch, false);
	return rc == 0 ? 0 : 1;
}
