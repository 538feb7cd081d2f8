/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sbc-controlplane -c sbc.conf: an ordinary Linux process (no DPDK) that keeps the data plane's
 * policy equal to what Redis holds and writes the call records. It owns the configuration and
 * one su_root loop, the only thread, which carries every role: the Redis client (cp_redis.c)
 * with the policy's keys (cp_keys.c) and the call records (cp_cdr.c), the policy engine
 * (cp_policy.c) and the shared-memory channel (cp_chan.c); once any trunk routes calls, also
 * the SBC's SIP endpoint: the nta agent (cp_sip.c), the B2BUA (cp_b2bua.c), routing
 * (cp_route.c), trunk health (cp_health.c), the trunks' keys (cp_trunk_keys.c) and
 * registration: to carriers (cp_register.c) and from PBXs (cp_registrar.c).
 * SIGTERM/SIGINT stop it cleanly; the data plane keeps enforcing the last state it was given
 * (fail static).
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>

#include "cp_admit.h"
#include "cp_cdr.h"
#include "cp_b2bua.h"
#include "cp_chan.h"
#include "cp_deny.h"
#include "cp_health.h"
#include "cp_keys.h"
#include "cp_log.h"
#include "cp_media.h"
#include "cp_policy.h"
#include "cp_policy_su.h"
#include "cp_redis.h"
#include "cp_register.h"
#include "cp_registrar.h"
#include "cp_route.h"
#include "cp_sip.h"
#include "cp_sutime.h"
#include "cp_trunk_keys.h"

#define EXIT_USAGE 64	/* sysexits.h EX_USAGE */

static struct sbc_config cfg;

static int on_signal(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct signalfd_siginfo si;
	su_root_t *root = (su_root_t *)arg;

	(void)magic;
	if (read(w->fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		cp_log(CP_INFO, "signal %u: stopping", si.ssi_signo);
	su_root_break(root);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: sbc-controlplane -c sbc.conf [-v] [-q]\n"
		"  -c FILE  the configuration both processes read\n"
		"  -v       more log lines (debug)\n"
		"  -q       warnings and errors only\n");
}

/* The configuration file's path; exits on -h (0) and on a usage error (EXIT_USAGE). */
static const char *parse_args(int argc, char **argv)
{
	const char *conf = NULL;
	int c;

	while ((c = getopt(argc, argv, "c:vqh")) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 'v':
			cp_log_verbosity = CP_DEBUG;
			break;
		case 'q':
			cp_log_verbosity = CP_WARN;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(EXIT_USAGE);
		}
	}
	if (conf == NULL || optind != argc) {
		usage(stderr);
		exit(EXIT_USAGE);
	}
	return conf;
}

/* The roles' state, before anything runs: the policy first (the others name its trunks). */
/* A trunk's health, calls out or last code changed: to Redis and to the stats socket. */
static void trunk_changed(unsigned int trunk)
{
	cp_trunk_keys_changed(trunk);
	cp_chan_trunk_changed(trunk);
}

static int init_roles(void)
{
	if (cp_policy_init(&cfg) != 0 || cp_keys_init(&cfg) != 0 || cp_deny_init() != 0 ||
	    cp_route_init(&cfg, trunk_changed) != 0 ||
	    cp_cdr_init(&cfg, cp_route_active()) != 0) {
		fprintf(stderr, "sbc-controlplane: out of memory\n");
		return -ENOMEM;
	}
	return 0;
}

/* The SIP endpoint, when some trunk routes calls (else the kernel side stays free for others). */
static int start_sip(su_root_t *root)
{
	if (!cp_route_active())
		return 0;
	if (cp_trunk_keys_init(root, &cfg) != 0 || cp_admit_init(root, &cfg) != 0 ||
	    cp_media_init(root, &cfg) != 0 || cp_b2bua_init(root, &cfg) != 0 ||
	    cp_registrar_init(root, &cfg) != 0 ||
	    cp_sip_start(root, &cfg) != 0 || cp_health_start(root, &cfg) != 0 ||
	    cp_register_start(root, &cfg) != 0) {
		fprintf(stderr, "sbc-controlplane: cannot start SIP (see the lines above)\n");
		return -EINVAL;
	}
	return 0;
}

/* Said once at start: a loop that still spins before each timer costs CPU, not correctness. */
static void check_loop_timing(void)
{
	unsigned int turns;

	if (!cp_sutime_check(&turns))
		cp_log(CP_WARN, "Sofia-SIP's loop took %u turns to wait for a 3 ms timer: this "
		       "libsofia-sip-ua does not take sbc-controlplane's su_duration (linked with "
		       "-Bsymbolic?), so it polls without sleeping for the last millisecond before "
		       "each timer and spends more CPU per call", turns);
}

/* SIGINT/SIGTERM through a signalfd on the loop, so they stop it between two events. */
static su_root_t *open_loop(int *sfd)
{
	static su_wait_t wait;
	su_root_t *root;
	sigset_t ss;

	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	*sfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);
	if (*sfd < 0 || su_init() != 0) {
		fprintf(stderr, "sbc-controlplane: cannot initialise the event loop\n");
		return NULL;
	}
	root = su_root_create(NULL);
	if (root == NULL || su_wait_create(&wait, *sfd, SU_WAIT_IN) != 0 ||
	    su_root_register(root, &wait, on_signal, (su_wakeup_arg_t *)root, 0) <= 0) {
		fprintf(stderr, "sbc-controlplane: cannot create the event loop\n");
		if (root)
			su_root_destroy(root);
		su_deinit();
		return NULL;
	}
	cp_log_sofia_start();
	check_loop_timing();
	return root;
}

static void fini_roles(void)
{
	cp_trunk_keys_fini();
	cp_b2bua_fini();
	cp_registrar_fini();
	cp_route_fini();
	cp_cdr_fini();
	cp_keys_fini();
	cp_policy_fini();
}

int main(int argc, char **argv)
{
	const char *conf = parse_args(argc, argv);
	char err[1024];
	su_root_t *root = NULL;
	int sfd = -1, rc = 1;

	setvbuf(stderr, NULL, _IOLBF, 0);
	/* glibc raises its mmap threshold to the size of each big block freed (up to 32 MB), so
	 * after one big allocation (a million-prefix read, nta's grown hash tables) the next ones
	 * come from the heap, where they stay as holes; a fixed threshold keeps blocks of 256 KB
	 * and more in mappings of their own, given back whole when freed */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	if (sbc_config_load(&cfg, conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "sbc-controlplane: %s\n", err);
		return 1;
	}
	if (init_roles() != 0)
		goto fail;
	root = open_loop(&sfd);
	if (root == NULL)
		goto fail;
	cp_log(CP_INFO, "%s: %u trunks, channel %s, Redis %s db %u", cfg.path, cfg.n_trunks,
	       cfg.channel, cfg.redis_address, cfg.redis_database);
	if (start_sip(root) != 0 || cp_policy_su_start(root) != 0 ||
	    cp_chan_start(root, &cfg) != 0 || cp_redis_start(root, &cfg) != 0)
		goto fail;
	printf("sbc-controlplane: running\n");
	fflush(stdout);
	su_root_run(root);
	rc = 0;
fail:
	if (root)
		cp_register_stop(root);	/* un-REGISTER while the loop and the agent still run */
	cp_health_stop();
	cp_sip_stop();
	cp_redis_stop();
	cp_chan_stop();
	cp_policy_su_stop();
	cp_b2bua_stop();
	cp_registrar_stop();
	cp_admit_fini();
	cp_media_fini();
	cp_trunk_keys_stop();
	if (root) {
		su_root_destroy(root);
		su_deinit();
	}
	fini_roles();
	sbc_config_free(&cfg);
	if (sfd >= 0)
		close(sfd);
	cp_log_sofia_flush(0, 1);
	cp_log(CP_INFO, "stopped");
	return rc;
}
