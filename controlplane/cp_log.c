/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's log lines: "<UTC time> sbc-controlplane: <level>: <text>" on stderr
 * (line-buffered by main). Run on the su_root thread, the only thread of this process.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "cp_log.h"

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
