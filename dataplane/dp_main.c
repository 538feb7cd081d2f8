/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sbc-dataplane: the DPDK primary process. The main lcore reads the configuration, sets up
 * ports, tables and workers, launches one worker per worker lcore, then stays as the only
 * writer of the tables (and, with the channel, the applier of control-plane commands).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "dp.h"
#include "dp_calls.h"
#include "dp_media.h"
#include "dp_frag.h"
#include "dp_channel.h"
#include "dp_deny.h"
#include "dp_regrate.h"
#include "dp_setup.h"
#include "dp_srtp.h"
#include "dp_timers.h"
#include "sbc_num.h"

struct dp dp;

static volatile sig_atomic_t quit_signal;

static void on_signal(int sig)
{
	quit_signal = sig;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [EAL options] -- -c sbc.conf [--test-idle-ms MS] [--test-clock]\n"
		"       [--test-commands FILE] [--test-media-delay-ms MS]\n"
		"  -c, --config FILE     configuration file (see README)\n"
		"  --test-idle-ms MS     print 'sbc-dataplane: idle' after MS ms without packets\n"
		"                        (for tests that feed pcap files)\n"
		"  --test-clock          caps and call timers run on the wire port's rx timestamps\n"
		"                        (net_pcap: the pcap's times) instead of the CPU clock\n"
		"  --test-commands FILE  apply these channel commands (256-byte records, as the\n"
		"                        control plane sends them) before the workers start\n"
		"  --test-media-delay-ms MS  apply each MEDIA_SET MS ms (1-60000) after it came,\n"
		"                        the commands behind it waiting too (a slow data plane)\n",
		prog);
}

static const char *test_commands;	/* --test-commands FILE */

/*
 * The main lcore's sleep between polls. While commands or call events come it sleeps 200 us
 * (timer slack lowered so that means 200 us): a command waits at most that long, and the main
 * lcore, which shares a core with the control plane on small machines, wakes at most 5,000
 * times a second. At 20 us it woke 50,000 times a second and took 0.30 CPU-s/s at 1,000
 * calls a second (0.10 at 200 us; both measured here with bench_cps.sh, after the tap's
 * signals were gone: dp_port.c), CPU the control plane needed. After MAIN_IDLE_POLLS polls
 * (1 ms) with neither, each empty poll doubles the sleep up to 1 ms: an idle data plane's
 * main lcore took 0.14 CPU-s/s at 20 us (measured, poll = adaptive, no traffic) and 0.012
 * backed off. The first command after a quiet spell waits at most MAIN_SLEEP_MAX_US; the call
 * events a worker queues meanwhile fit its 4,096-event ring up to 4 million a second; the
 * 100 ms call timers and the heartbeat do not notice.
 */
#define MAIN_SLEEP_MIN_US 200
#define MAIN_SLEEP_MAX_US 1000
#define MAIN_IDLE_POLLS 5	/* empty polls at MAIN_SLEEP_MIN_US before backing off */

struct main_idle {
	unsigned int empty;	/* empty polls in a row */
	unsigned int sleep_us;
};

static void main_busy(struct main_idle *s)
{
	s->empty = 0;
	s->sleep_us = MAIN_SLEEP_MIN_US;
}

static void main_sleep(struct main_idle *s, unsigned int work)
{
	if (work != 0)
		main_busy(s);
	else if (++s->empty > MAIN_IDLE_POLLS && s->sleep_us < MAIN_SLEEP_MAX_US)
		s->sleep_us = RTE_MIN(2 * s->sleep_us, (unsigned int)MAIN_SLEEP_MAX_US);
	rte_delay_us_sleep(s->sleep_us);
}

/* Main lcore loop: control-plane commands, call events and timers, signals, the test idle
 * report. */
static void main_loop(long idle_ms)
{
	uint64_t hz = rte_get_tsc_hz(), last_rx = UINT64_MAX, last_change = rte_rdtsc();
	struct main_idle idle = { 0, MAIN_SLEEP_MIN_US };
	bool idle_reported = false;
	unsigned int work;

	prctl(PR_SET_TIMERSLACK, 1000UL);	/* ns */
	while (!quit_signal) {
		work = dp_timers_tick();
		dp_deny_expire(dp_clock_ns());
		if (dp_channel_poll() > 0) {		/* more may be queued: poll again at once */
			main_busy(&idle);
			continue;
		}
		if (idle_ms >= 0) {
			uint64_t rx = dp_stats_total_rx(), now = rte_rdtsc();

			if (rx != last_rx) {
				last_rx = rx;
				last_change = now;
				idle_reported = false;
			} else if (!idle_reported && now - last_change > hz / 1000 * (uint64_t)idle_ms) {
				printf("sbc-dataplane: idle\n");
				fflush(stdout);
				idle_reported = true;
			}
		}
		main_sleep(&idle, work);
	}
}

/* After EAL's own options: 0 with *conf set, 1 for --help, -EINVAL (usage printed). */
static int parse_args(int argc, char **argv, const char **conf, long *idle_ms)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test-idle-ms", required_argument, NULL, 'i' },
		{ "test-clock", no_argument, NULL, 't' },
		{ "test-commands", required_argument, NULL, 'T' },
		{ "test-media-delay-ms", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t delay_ms;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			*conf = optarg;
			break;
		case 'i':
			*idle_ms = strtol(optarg, NULL, 10);
			break;
		case 't':
			dp.test_clock = true;
			break;
		case 'T':
			test_commands = optarg;
			break;
		case 'D':
			if (!sbc_parse_u32(optarg, strlen(optarg), 60000, &delay_ms) ||
			    delay_ms == 0) {
				fprintf(stderr, "sbc-dataplane: --test-media-delay-ms '%s': not a "
					"number of milliseconds from 1 to 60000\n", optarg);
				return -EINVAL;
			}
			dp.test_media_delay_ns = (uint64_t)delay_ms * 1000000;
			break;
		default:
			usage(argv[0]);
			return opt == 'h' ? 1 : -EINVAL;
		}
	}
	if (*conf == NULL) {
		usage(argv[0]);
		return -EINVAL;
	}
	return 0;
}

static void launch_workers(void)
{
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (unsigned int i = 0; i < dp.n_workers; i++)
		rte_eal_remote_launch(dp_worker_main, dp.workers[i], dp.workers[i]->lcore);
	printf("sbc-dataplane: ready: wire %s (%u queue%s%s), exception %s, %u worker%s, %u trunk%s\n",
	       dp.cfg.wire, dp.wire_queues, dp.wire_queues > 1 ? "s" : "", dp.rss ? ", RSS" : "",
	       dp.cfg.exception, dp.n_workers, dp.n_workers > 1 ? "s" : "", dp.cfg.n_trunks,
	       dp.cfg.n_trunks == 1 ? "" : "s");
	fflush(stdout);
}

static void stop_workers(void)
{
	unsigned int lcore;

	__atomic_store_n(&dp.stop, true, __ATOMIC_RELAXED);
	RTE_LCORE_FOREACH_WORKER(lcore)
		rte_eal_wait_lcore(lcore);
	dp_port_close(&dp);
	dp_channel_close();
	for (unsigned int i = 0; i < dp.n_workers; i++)
		dp_frag_free(dp.workers[i]);
	printf("sbc-dataplane: stopped (signal %d)\n", (int)quit_signal);
}

int main(int argc, char **argv)
{
	const char *conf = NULL;
	long idle_ms = -1;
	char err[1024];
	int eal_args, rc;
	sigset_t io;

	dp_io_signals(&io);
	pthread_sigmask(SIG_BLOCK, &io, NULL);	/* the workers take them (dp.h) */
	eal_args = rte_eal_init(argc, argv);
	if (eal_args < 0) {
		fprintf(stderr, "sbc-dataplane: EAL init failed (%s); see the EAL lines above\n",
			rte_errno ? rte_strerror(rte_errno) : "no reason given");
		return 1;
	}
	rc = parse_args(argc - eal_args, argv + eal_args, &conf, &idle_ms);
	if (rc != 0) {
		rte_eal_cleanup();
		return rc > 0 ? 0 : 1;
	}
	if (sbc_config_load(&dp.cfg, conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		rte_eal_cleanup();
		return 1;
	}
	rc = dp_setup(conf, test_commands);
	if (rc == 0) {
		launch_workers();
		main_loop(idle_ms);
		stop_workers();
	}
	dp_teardown();
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
