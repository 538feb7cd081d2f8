/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port set-up on the main lcore: the wire port (one rx/tx queue per worker with RSS over
 * IPv4/IPv6 UDP/TCP where the PMD can, else one queue) and the exception port towards the
 * kernel (a queue per worker, else one queue fed through a ring).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf_dyn.h>
#include <rte_log.h>
#include <rte_ring.h>

#include "dp.h"

#define RX_DESC 1024
#define TX_DESC 1024
#define EXC_RING 4096	/* frames queued for worker 0 when workers share one exception queue */

static int find_port(const char *name, const char *role, uint16_t *port)
{
	if (rte_eth_dev_get_port_by_name(name, port) != 0) {
		uint16_t p;
		char buf[2048] = "", n[RTE_ETH_NAME_MAX_LEN];

		RTE_ETH_FOREACH_DEV(p) {
			if (rte_eth_dev_get_name_by_port(p, n) == 0) {
				strncat(buf, " ", sizeof(buf) - strlen(buf) - 1);
				strncat(buf, n, sizeof(buf) - strlen(buf) - 1);
			}
		}
		fprintf(stderr, "sbc-dataplane: %s port '%s' not found; DPDK has:%s\n", role, name,
			buf[0] ? buf : " no ports (add --vdev or -a)");
		return -ENODEV;
	}
	return 0;
}

/*
 * net_tap reads nothing at a burst until a signal came: its queues' descriptors raise a
 * real-time signal (O_ASYNC, F_SETSIG) for each frame the kernel writes to the tap. At 1,000
 * calls a second that is some 7,000 signals a second, each paid by the sender (the control
 * plane's sendmsg to the tap: kill_fasync and an interrupt to the CPU of the thread that takes
 * it, 18 % of the control plane's CPU in perf) and by the thread it wakes (the main lcore,
 * asleep on the core the control plane shares: a third of a core); the control plane fell
 * behind at 1,000 CPS. When a queue's set-up finds no free real-time signal, the PMD (DPDK
 * 22.11, tap_setup_queue) reads at every burst instead, which the worker polling the port
 * asks for anyway (dp_worker.c, exc_poll_busy). So while a net_tap port's queues are set up
 * every real-time signal it may take is shown as taken (SIG_IGN), its two log lines saying so
 * silenced. Then the free ones are given back; the one the PMD took at probe (for its
 * keep-alive queue, which carries no frame) stays ignored, so that no stray signal re-arms
 * the trigger. Nothing else in this process handles real-time signals.
 */
struct tap_quiet {
	bool was_default[64];
	int logtype;
	uint32_t loglevel;
};

static bool is_tap(uint16_t port)
{
	struct rte_eth_dev_info i;

	return rte_eth_dev_info_get(port, &i) == 0 && strcmp(i.driver_name, "net_tap") == 0;
}

static void tap_quiet_begin(struct tap_quiet *q)
{
	q->logtype = rte_log_register("pmd.net.tap");
	if (q->logtype >= 0) {
		q->loglevel = (uint32_t)rte_log_get_level((uint32_t)q->logtype);
		rte_log_set_level((uint32_t)q->logtype, RTE_LOG_ERR);
	}
	for (int sig = SIGRTMIN + 1; sig < SIGRTMAX && sig - SIGRTMIN < 64; sig++) {
		struct sigaction sa;

		q->was_default[sig - SIGRTMIN] = sigaction(sig, NULL, &sa) == 0 &&
						 sa.sa_handler == SIG_DFL;
		sa = (struct sigaction){ .sa_handler = SIG_IGN };
		sigaction(sig, &sa, NULL);
	}
}

static void tap_quiet_end(const struct tap_quiet *q)
{
	for (int sig = SIGRTMIN + 1; sig < SIGRTMAX && sig - SIGRTMIN < 64; sig++) {
		struct sigaction sa = { .sa_handler = SIG_DFL };

		if (q->was_default[sig - SIGRTMIN])
			sigaction(sig, &sa, NULL);
	}
	if (q->logtype >= 0)
		rte_log_set_level((uint32_t)q->logtype, q->loglevel);
}

static int start_queues(uint16_t port, const char *role, uint16_t nq, struct rte_eth_conf *conf,
			struct rte_mempool *pool)
{
	uint16_t nrx = RX_DESC, ntx = TX_DESC;
	int rc, socket = rte_eth_dev_socket_id(port);

	if (socket < 0)
		socket = (int)rte_socket_id();
	if ((rc = rte_eth_dev_configure(port, nq, nq, conf)) != 0 ||
	    (rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx)) != 0) {
		fprintf(stderr, "sbc-dataplane: %s port: configure with %u queues: %s\n", role, nq,
			strerror(-rc));
		return rc;
	}
	for (uint16_t q = 0; q < nq; q++) {
		if ((rc = rte_eth_rx_queue_setup(port, q, nrx, (unsigned int)socket, NULL, pool)) ||
		    (rc = rte_eth_tx_queue_setup(port, q, ntx, (unsigned int)socket, NULL))) {
			fprintf(stderr, "sbc-dataplane: %s port: queue %u: %s\n", role, q,
				strerror(-rc));
			return rc;
		}
	}
	if ((rc = rte_eth_dev_start(port)) != 0) {
		fprintf(stderr, "sbc-dataplane: %s port: start: %s\n", role, strerror(-rc));
		return rc;
	}
	return 0;
}

static int start_port(uint16_t port, const char *role, uint16_t nq, struct rte_eth_conf *conf,
		      struct rte_mempool *pool)
{
	struct tap_quiet quiet;
	bool tap = is_tap(port);
	int rc;

	if (tap)
		tap_quiet_begin(&quiet);
	rc = start_queues(port, role, nq, conf, pool);
	if (tap)
		tap_quiet_end(&quiet);
	return rc;
}

/* RSS over the workers' queues where the PMD has it for IPv4/IPv6 UDP/TCP; net_af_packet given
 * a socket per worker (qpairs=N) spreads by the kernel's PACKET_FANOUT_HASH (its flow hash over
 * addresses and ports, with ROLLOVER: a packet whose socket's ring is full goes to another);
 * else one queue. */
static void wire_queues(struct dp *d, const struct rte_eth_dev_info *wi, struct rte_eth_conf *c)
{
	uint64_t want = RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP;
	uint64_t hf = want & wi->flow_type_rss_offloads;
	unsigned int nw = d->n_workers;

	d->wire_queues = 1;
	d->rss = false;
	if (nw <= 1)
		return;
	if (hf != 0 && wi->max_rx_queues >= nw && wi->max_tx_queues >= nw) {
		c->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		c->rx_adv_conf.rss_conf.rss_hf = hf;
		d->wire_queues = (uint16_t)nw;
		d->rss = true;
		return;
	}
	if (strcmp(wi->driver_name, "net_af_packet") == 0 && wi->max_rx_queues >= nw &&
	    wi->max_tx_queues >= nw) {
		d->wire_queues = (uint16_t)nw;
		d->rss = true;
		return;
	}
	fprintf(stderr,
		"sbc-dataplane: wire port %s (driver %s) has no RSS over IPv4/IPv6 UDP/TCP "
		"for %u queues: using one queue; %u of %u workers stay idle\n",
		d->cfg.wire, wi->driver_name, nw, nw - 1, nw);
}

/* --test-clock: rx timestamps. net_pcap stamps every frame with its pcap time (microseconds)
 * without advertising the offload; other PMDs need it asked for. */
static int wire_timestamps(struct dp *d, const struct rte_eth_dev_info *wi,
			   struct rte_eth_conf *c)
{
	if (strcmp(wi->driver_name, "net_pcap") != 0 &&
	    !(wi->rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP)) {
		fprintf(stderr, "sbc-dataplane: --test-clock: wire port %s (driver %s) gives no "
			"rx timestamps\n", d->cfg.wire, wi->driver_name);
		return -ENOTSUP;
	}
	if (rte_mbuf_dyn_rx_timestamp_register(&d->ts_offset, &d->ts_flag) != 0)
		return -ENOTSUP;
	if (wi->rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP)
		c->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
	return 0;
}

static int wire_setup(struct dp *d)
{
	struct rte_eth_dev_info wi;
	struct rte_eth_conf c;
	int rc;

	if ((rc = rte_eth_dev_info_get(d->wire_port, &wi)) != 0)
		return rc;
	memset(&c, 0, sizeof(c));
	wire_queues(d, &wi, &c);
	if (wi.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM)
		c.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
	if (d->test_clock && (rc = wire_timestamps(d, &wi, &c)) != 0)
		return rc;
	if ((rc = start_port(d->wire_port, "wire", d->wire_queues, &c, d->pool)) != 0)
		return rc;
	rte_eth_macaddr_get(d->wire_port, &d->wire_mac);
	/* IPv6 ND uses multicast; promiscuous mode is the fallback where allmulticast is missing */
	if (rte_eth_allmulticast_enable(d->wire_port) != 0)
		rte_eth_promiscuous_enable(d->wire_port);
	return 0;
}

/* A queue per worker where the port has them, else one queue that worker 0 feeds from a ring. */
static int exception_setup(struct dp *d)
{
	struct rte_eth_dev_info ei;
	struct rte_eth_conf c;
	unsigned int nw = d->n_workers;
	int rc;

	if ((rc = rte_eth_dev_info_get(d->exc_port, &ei)) != 0)
		return rc;
	memset(&c, 0, sizeof(c));
	if (ei.max_rx_queues >= nw && ei.max_tx_queues >= nw) {
		d->exc_queues = (uint16_t)nw;
		d->exc_direct = true;
	} else {
		d->exc_queues = 1;
		d->exc_direct = nw == 1;
	}
	if (!d->exc_direct) {
		d->exc_ring = rte_ring_create("sbc_exc", EXC_RING, (int)rte_socket_id(), RING_F_SC_DEQ);
		if (d->exc_ring == NULL) {
			fprintf(stderr, "sbc-dataplane: exception ring: %s\n", rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	if ((rc = start_port(d->exc_port, "exception", d->exc_queues, &c, d->pool)) != 0)
		return rc;
	d->exc_poll_busy = is_tap(d->exc_port) ? 7 : 0;
	/* The kernel answers ARP/ND for the SBC's addresses: it must answer with the wire MAC. */
	rc = rte_eth_dev_default_mac_addr_set(d->exc_port, &d->wire_mac);
	if (rc != 0 && rc != -ENOTSUP)
		fprintf(stderr, "sbc-dataplane: exception port %s does not take the wire MAC (%s): "
			"the kernel will answer ARP/ND with its own MAC\n", d->cfg.exception,
			strerror(-rc));
	return 0;
}

int dp_port_setup(struct dp *d)
{
	int rc;

	if ((rc = find_port(d->cfg.wire, "wire", &d->wire_port)) != 0 ||
	    (rc = find_port(d->cfg.exception, "exception", &d->exc_port)) != 0)
		return rc;
	if ((rc = wire_setup(d)) != 0)
		return rc;
	return exception_setup(d);	/* after the wire port: it takes the wire's MAC */
}

void dp_port_close(struct dp *d)
{
	rte_eth_dev_stop(d->wire_port);
	rte_eth_dev_stop(d->exc_port);
	rte_eth_dev_close(d->wire_port);
	rte_eth_dev_close(d->exc_port);
	rte_ring_free(d->exc_ring);
}
