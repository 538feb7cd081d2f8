/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sbc-controlplane -c sbc.conf: an ordinary Linux process (no DPDK) that keeps the data plane's
 * policy equal to what Redis holds. One su_root loop carries everything: hiredis (cp_redis.c),
 * the shared-memory channel (cp_chan.c) and, in later work, Sofia-SIP. SIGTERM/SIGINT stop it
 * cleanly; the data plane keeps enforcing the last state it was given (fail static).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>

#include "cp.h"

int cp_log_verbosity = CP_INFO;

void cp_log(enum cp_log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	struct timespec ts;
	struct tm tm;
	char stamp[32];
	va_list ap;

	if ((int)lvl > cp_log_verbosity)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ sbc-controlplane: %s: ", stamp, ts.tv_nsec / 1000000,
		names[lvl]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

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

int main(int argc, char **argv)
{
	const char *conf = NULL;
	char err[1024];
	su_root_t *root;
	su_wait_t wait;
	sigset_t ss;
	int c, sfd, rc = 1;

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
			return 0;
		default:
			usage(stderr);
			return 64;
		}
	}
	if (conf == NULL || optind != argc) {
		usage(stderr);
		return 64;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (sbc_config_load(&cp.cfg, conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "sbc-controlplane: %s\n", err);
		return 1;
	}
	if (cp_policy_init() != 0) {
		fprintf(stderr, "sbc-controlplane: out of memory\n");
		return 1;
	}
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);
	if (su_init() != 0 || sfd < 0) {
		fprintf(stderr, "sbc-controlplane: cannot initialise the event loop\n");
		return 1;
	}
	root = su_root_create(NULL);
	if (root == NULL || su_wait_create(&wait, sfd, SU_WAIT_IN) != 0 ||
	    su_root_register(root, &wait, on_signal, (su_wakeup_arg_t *)root, 0) <= 0) {
		fprintf(stderr, "sbc-controlplane: cannot create the event loop\n");
		goto out;
	}
	cp_log(CP_INFO, "%s: %u trunks, channel %s, Redis %s db %u", cp.cfg.path, cp.cfg.n_trunks,
	       cp.cfg.channel, cp.cfg.redis_address, cp.cfg.redis_database);
	if (cp_chan_start(root) != 0 || cp_redis_start(root) != 0)
		goto out;
	printf("sbc-controlplane: running\n");
	fflush(stdout);
	su_root_run(root);
	rc = 0;
out:
	cp_redis_stop();
	cp_chan_stop();
	if (root)
		su_root_destroy(root);
	su_deinit();
	cp_policy_fini();
	cp_cdr_fini();
	sbc_config_free(&cp.cfg);
	close(sfd);
	cp_log(CP_INFO, "stopped");
	return rc;
}
