/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RTP traffic of the relay-vs-rtpengine benchmark (bench_rtpengine.py), both ends:
 *
 *   rtp_blast send IFNAME SRC_MAC DST_MAC SRC_IP DST_IP STREAMS PORTS_FILE PHASES
 *     STREAMS RTP streams, stream i from SRC_IP:(20000 + 2 i) to DST_IP:port i of PORTS_FILE
 *     (one decimal port a line), 172-byte RTP (PCMU, 20 ms), sent round-robin over the streams
 *     as Ethernet frames through an AF_PACKET transmit ring (PACKET_TX_RING, TPACKET_V2, with
 *     PACKET_QDISC_BYPASS: frames written in place, up to 256 handed to the kernel per send()),
 *     full UDP checksums (each stream's fixed part summed once, the changing words added).
 *     PHASES: RATE:SECONDS[,RATE:SECONDS...], RATE packets/s over all streams (0: as fast as the
 *     socket takes them; paced, it sleeps until 8 frames are due, or RTP_BLAST_PACE). Each
 *     packet carries its stream (SSRC), sequence, phase and send time.
 *     Prints one JSON line: per phase its start/end (CLOCK_REALTIME ns) and packets sent.
 *   rtp_blast recv IFNAME STREAMS SECONDS
 *     Counts, for SECONDS (or until SIGINT/SIGTERM), the benchmark's RTP arriving on IFNAME
 *     (a TPACKET_V3 ring of 256 MB, kernel arrival timestamps): per phase the packets, and
 *     per stream the first arrival in each phase; prints one JSON line with them and the
 *     ring's own drops (the receiver falling behind, not the relay).
 *
 * A measuring tool, not part of the SBC: bench_rtpengine.py runs it inside the namespaces.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x52504231u	/* "RPB1" at the payload's start */
#define PAYLOAD 160
#define FRAME (14 + 20 + 8 + 12 + PAYLOAD)
#define BATCH 256		/* frames per send() kick */
#define PACE_BATCH 8		/* paced: sleep until this many frames are due (RTP_BLAST_PACE) */
#define TX_FRAME 256		/* ring slot: tpacket2_hdr, then the frame at TX_DATA */
#define TX_DATA (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))
#define TX_SLOTS 16384
#define MAX_PHASES 8
#define MAX_STREAMS 100000
#define SPORT_BASE 20000

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Paced sending sleeps until PACE_BATCH frames are due (at most until the phase ends): a
 * sender that spun would take its core whatever the rate, and bench_rtpengine.py measures the
 * CPU of this program sending alone (the kernel floor) as well as beside the relays. */
static double pace_batch(void)
{
	const char *e = getenv("RTP_BLAST_PACE");
	long v = e ? strtol(e, NULL, 10) : 0;

	return v >= 1 && v <= BATCH ? (double)v : PACE_BATCH;
}

static void pace_wait(double ns, uint64_t left_ns)
{
	struct timespec ts;
	uint64_t n = ns < (double)left_ns ? (uint64_t)ns : left_ns;

	ts.tv_sec = (time_t)(n / 1000000000u);
	ts.tv_nsec = (long)(n % 1000000000u);
	(void)nanosleep(&ts, NULL);
}

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int die(const char *what)
{
	fprintf(stderr, "rtp_blast: %s: %s\n", what, strerror(errno));
	return 1;
}

static int packet_socket(const char *ifname, int *ifindex)
{
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };

	if (fd < 0)
		return -1;
	*ifindex = (int)if_nametoindex(ifname);
	if (*ifindex == 0)
		return -1;
	sll.sll_ifindex = *ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
		return -1;
	return fd;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static bool parse_mac(const char *s, uint8_t *mac)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
		      &mac[4], &mac[5]) == 6;
}

/* The frame of stream s: everything but what changes per packet. */
static void template(uint8_t *f, const uint8_t *smac, const uint8_t *dmac, struct in_addr src,
		     struct in_addr dst, unsigned int s, uint16_t dport)
{
	uint8_t *ip = f + 14, *u = ip + 20, *r = u + 8;

	memset(f, 0, FRAME);
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0xb8;			/* DSCP EF */
	put16(ip + 2, FRAME - 14);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	put16(ip + 10, fold(sum16(ip, 20, 0)));
	put16(u, (uint16_t)(SPORT_BASE + 2 * s));
	put16(u + 2, dport);
	put16(u + 4, FRAME - 34);
	r[0] = 0x80;
	r[1] = 0;			/* PCMU */
	put32(r + 8, 0x10000000u + s);	/* SSRC: the stream */
	put32(r + 12, MAGIC);
}

/* The UDP checksum's sum (RFC 768) over what template() wrote: pseudo-header, UDP header and
 * the RTP packet with the fields stamp() fills still zero. */
static uint32_t base_sum(const uint8_t *f)
{
	const uint8_t *ip = f + 14, *u = ip + 20;

	return sum16(u, FRAME - 34, sum16(ip + 12, 8, 17 + (FRAME - 34)));
}

/* Sequence, timestamp, phase and send time, then the UDP checksum: base plus the words they
 * changed (RTP 2-7 and 16-24 of the packet, both at even offsets from the UDP header). */
static void stamp(uint8_t *f, uint32_t base, uint16_t seq, uint8_t phase, uint64_t t)
{
	uint8_t *ip = f + 14, *u = ip + 20, *r = u + 8;
	uint32_t s;

	put16(r + 2, seq);
	put32(r + 4, (uint32_t)seq * 160u);
	r[16] = phase;
	memcpy(r + 17, &t, 8);
	s = fold(sum16(r + 16, 9, sum16(r + 2, 6, base)));
	put16(u + 6, s == 0 ? 0xffff : (uint16_t)s);
}

/* The transmit ring: TX_SLOTS slots of TX_FRAME bytes, frames bypassing the qdisc. The send
 * buffer is made large: a frame is charged to it until its skb is freed, which for a frame
 * queued on the relay's UDP socket (rtpengine) is when the relay reads it; with the default
 * (about 200 KB, some 250 frames) the sender would wait on the relay's reads and the offered
 * rate would be what the relay takes, not what the phase asks. */
static uint8_t *tx_ring(int fd)
{
	struct tpacket_req req = { .tp_block_size = 1 << 16, .tp_frame_size = TX_FRAME };
	int v = TPACKET_V2, one = 1, sndbuf = 1 << 30;
	void *ring;

	req.tp_frame_nr = TX_SLOTS;
	req.tp_block_nr = TX_SLOTS / (req.tp_block_size / TX_FRAME);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) != 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) != 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) != 0)
		return NULL;
	ring = mmap(NULL, (size_t)TX_SLOTS * TX_FRAME, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return ring == MAP_FAILED ? NULL : ring;
}

/* The next free slot of the ring at *slot, or NULL when the kernel still holds it (frames it
 * has not sent, or whose skb is not freed yet). */
static struct tpacket2_hdr *tx_slot(uint8_t *ring, unsigned int slot)
{
	struct tpacket2_hdr *h = (void *)(ring + (size_t)slot * TX_FRAME);
	uint32_t st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);

	return st == TP_STATUS_AVAILABLE || st == TP_STATUS_WRONG_FORMAT ? h : NULL;
}

static int cmd_send(char **a)
{
	unsigned int n = (unsigned int)atoi(a[5]), np = 0;
	uint8_t smac[6], dmac[6];
	struct in_addr src, dst;
	double rate[MAX_PHASES], secs[MAX_PHASES], pace;
	uint64_t sent[MAX_PHASES] = { 0 }, t0[MAX_PHASES], t1[MAX_PHASES];
	uint8_t (*frames)[FRAME], *ring;
	uint16_t *seq;
	uint32_t *base;
	char *save = NULL, *tok;
	FILE *pf;
	int fd, ifindex;
	unsigned int next = 0, slot = 0;
	uint64_t ring_full = 0;

	if (n == 0 || n > MAX_STREAMS || !parse_mac(a[1], smac) || !parse_mac(a[2], dmac) ||
	    inet_pton(AF_INET, a[3], &src) != 1 || inet_pton(AF_INET, a[4], &dst) != 1) {
		fprintf(stderr, "rtp_blast send: bad arguments\n");
		return 2;
	}
	for (tok = strtok_r(a[7], ",", &save); tok != NULL && np < MAX_PHASES;
	     tok = strtok_r(NULL, ",", &save), np++)
		if (sscanf(tok, "%lf:%lf", &rate[np], &secs[np]) != 2 || secs[np] <= 0) {
			fprintf(stderr, "rtp_blast send: bad phase '%s'\n", tok);
			return 2;
		}
	frames = calloc(n, FRAME);
	seq = calloc(n, sizeof(*seq));
	base = calloc(n, sizeof(*base));
	pf = fopen(a[6], "r");
	if (frames == NULL || seq == NULL || base == NULL || pf == NULL)
		return die("setup");
	for (unsigned int s = 0; s < n; s++) {
		unsigned int port;

		if (fscanf(pf, "%u", &port) != 1 || port == 0 || port > 65535) {
			fprintf(stderr, "rtp_blast send: %s: no port for stream %u\n", a[6], s);
			return 2;
		}
		template(frames[s], smac, dmac, src, dst, s, (uint16_t)port);
		base[s] = base_sum(frames[s]);
	}
	fclose(pf);
	pace = pace_batch();
	fd = packet_socket(a[0], &ifindex);
	if (fd < 0)
		return die(a[0]);
	ring = tx_ring(fd);
	if (ring == NULL)
		return die("PACKET_TX_RING");
	for (unsigned int p = 0; p < np && !stop; p++) {
		uint64_t start = now_ns(CLOCK_MONOTONIC), end = start + (uint64_t)(secs[p] * 1e9);
		uint64_t now = start;

		t0[p] = now_ns(CLOCK_REALTIME);
		while (now < end && !stop) {
			unsigned int k = BATCH, done = 0;
			uint64_t ts = now_ns(CLOCK_REALTIME);

			if (rate[p] > 0) {	/* paced: what the elapsed time allows */
				double due = rate[p] * (double)(now - start) / 1e9 - (double)sent[p];

				if (due < 1) {	/* sleep, not spin: the sender's CPU is a figure */
					pace_wait((pace - due) * 1e9 / rate[p], end - now);
					now = now_ns(CLOCK_MONOTONIC);
					continue;
				}
				if (due < k)
					k = (unsigned int)due;
			}
			for (; done < k; done++) {
				struct tpacket2_hdr *h = tx_slot(ring, slot);
				unsigned int s = (next + done) % n;

				if (h == NULL)
					break;
				stamp(frames[s], base[s], seq[s]++, (uint8_t)p, ts);
				memcpy((uint8_t *)h + TX_DATA, frames[s], FRAME);
				h->tp_len = FRAME;
				__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
				slot = (slot + 1) % TX_SLOTS;
			}
			/* the kick: the kernel sends every slot marked so far (also when the ring is
			 * full: frames a previous kick left, the send buffer being full then) */
			if (send(fd, NULL, 0, MSG_DONTWAIT) < 0 && errno != ENOBUFS &&
			    errno != EAGAIN && errno != EINTR)
				return die("send");
			if (done < k) {	/* the ring is full: wait for the kernel to free slots */
				struct pollfd pfd = { .fd = fd, .events = POLLOUT };

				ring_full++;
				poll(&pfd, 1, 1);
			}
			next = (next + done) % n;
			sent[p] += done;
			now = now_ns(CLOCK_MONOTONIC);
		}
		t1[p] = now_ns(CLOCK_REALTIME);
	}
	printf("{\"phases\": [");
	for (unsigned int p = 0; p < np; p++)
		printf("%s{\"rate\": %.0f, \"seconds\": %.3f, \"start_ns\": %llu, \"end_ns\": %llu, "
		       "\"sent\": %llu}", p ? ", " : "", rate[p], secs[p],
		       (unsigned long long)t0[p], (unsigned long long)t1[p],
		       (unsigned long long)sent[p]);
	printf("], \"ring_full\": %llu}\n", (unsigned long long)ring_full);
	return 0;
}

struct stream_rx {
	uint64_t first_ns[MAX_PHASES];	/* 0: none in that phase */
	uint64_t count[MAX_PHASES];
};

static void count_frame(const uint8_t *f, uint32_t len, uint64_t ts, struct stream_rx *st,
			unsigned int n, uint64_t *per_phase)
{
	const uint8_t *ip = f + 14, *r;
	unsigned int hl, s;
	uint32_t ssrc, magic;
	uint8_t phase;

	if (len < 14 + 20 + 8 + 12 + 25 || f[12] != 0x08 || f[13] != 0x00 || (ip[0] >> 4) != 4 ||
	    ip[9] != 17)
		return;
	hl = (ip[0] & 15u) * 4u;
	if (len < 14 + hl + 8 + 12 + 25)
		return;
	r = ip + hl + 8;
	memcpy(&ssrc, r + 8, 4);
	memcpy(&magic, r + 12, 4);
	if (ntohl(magic) != MAGIC)
		return;
	s = ntohl(ssrc) - 0x10000000u;
	phase = r[16];
	if (s >= n || phase >= MAX_PHASES)
		return;
	per_phase[phase]++;
	st[s].count[phase]++;
	if (st[s].first_ns[phase] == 0)
		st[s].first_ns[phase] = ts;
}

static int cmd_recv(char **a)
{
	unsigned int n = (unsigned int)atoi(a[1]);
	double secs = atof(a[2]);
	struct tpacket_req3 req = { .tp_block_size = 1 << 22, .tp_block_nr = 64,
				    .tp_frame_size = 2048, .tp_retire_blk_tov = 10 };
	int v = TPACKET_V3, fd, ifindex;
	struct tpacket_stats_v3 tst;
	socklen_t tl = sizeof(tst);
	uint64_t per_phase[MAX_PHASES] = { 0 }, drops = 0, end;
	struct stream_rx *st;
	uint8_t *ring;
	unsigned int blk = 0;

	if (n == 0 || n > MAX_STREAMS || secs <= 0) {
		fprintf(stderr, "rtp_blast recv: bad arguments\n");
		return 2;
	}
	st = calloc(n, sizeof(*st));
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (st == NULL || fd < 0)
		return die("socket");
	req.tp_frame_nr = req.tp_block_size / req.tp_frame_size * req.tp_block_nr;
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) != 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) != 0)
		return die("PACKET_RX_RING");
	ring = mmap(NULL, (size_t)req.tp_block_size * req.tp_block_nr, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_LOCKED, fd, 0);
	if (ring == MAP_FAILED)
		return die("mmap");
	{
		struct sockaddr_ll sll = { .sll_family = AF_PACKET,
					   .sll_protocol = htons(ETH_P_ALL) };

		ifindex = (int)if_nametoindex(a[0]);
		sll.sll_ifindex = ifindex;
		if (ifindex == 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
			return die(a[0]);
	}
	printf("ready\n");
	fflush(stdout);
	end = now_ns(CLOCK_MONOTONIC) + (uint64_t)(secs * 1e9);
	while (!stop && now_ns(CLOCK_MONOTONIC) < end) {
		struct tpacket_block_desc *b =
			(void *)(ring + (size_t)blk * req.tp_block_size);
		struct tpacket3_hdr *h;

		if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
		      TP_STATUS_USER)) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLERR };

			poll(&pfd, 1, 50);
			continue;
		}
		h = (void *)((uint8_t *)b + b->hdr.bh1.offset_to_first_pkt);
		for (uint32_t i = 0; i < b->hdr.bh1.num_pkts; i++) {
			count_frame((uint8_t *)h + h->tp_mac, h->tp_snaplen,
				    (uint64_t)h->tp_sec * 1000000000u + h->tp_nsec, st, n,
				    per_phase);
			h = (void *)((uint8_t *)h + h->tp_next_offset);
		}
		__atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		blk = (blk + 1) % req.tp_block_nr;
	}
	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &tst, &tl) == 0)
		drops = tst.tp_drops;
	printf("{\"ring_drops\": %llu, \"per_phase\": [", (unsigned long long)drops);
	for (unsigned int p = 0; p < MAX_PHASES; p++)
		printf("%s%llu", p ? ", " : "", (unsigned long long)per_phase[p]);
	printf("], \"streams\": [");
	for (unsigned int s = 0; s < n; s++) {
		printf("%s[", s ? ", " : "");
		for (unsigned int p = 0; p < MAX_PHASES; p++)
			printf("%s%llu, %llu", p ? ", " : "", (unsigned long long)st[s].count[p],
			       (unsigned long long)st[s].first_ns[p]);
		printf("]");
	}
	printf("]}\n");
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	(void)prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);	/* pace_wait's sleeps: us */
	if (argc == 10 && strcmp(argv[1], "send") == 0)
		return cmd_send(argv + 2);
	if (argc == 5 && strcmp(argv[1], "recv") == 0)
		return cmd_recv(argv + 2);
	fprintf(stderr, "usage: rtp_blast send IFNAME SRC_MAC DST_MAC SRC_IP DST_IP STREAMS "
		"PORTS_FILE RATE:SECONDS[,...]\n       rtp_blast recv IFNAME STREAMS SECONDS\n");
	return 2;
}
