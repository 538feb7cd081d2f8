/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's log lines: "<UTC time> sbc-controlplane: <level>: <text>" on stderr
 * (line-buffered by main). Run on the su_root thread, the only thread of this process.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sofia-sip/su_log.h>

#include "cp_log.h"
#include "sbc_channel.h"

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

/* ---- Sofia-SIP's log (cp_log.h) */

static struct {
	char part[512];			/* a line being put together from the logger's pieces */
	size_t n;
	unsigned long long window_ms;	/* when the minute began */
	unsigned int written, left_out;
} sl;

static unsigned long long mono_ms(void)
{
	return sbc_mono_ns() / 1000000ull;
}

void cp_log_sofia_flush(unsigned long long now_ms, int force)
{
	if (now_ms == 0)
		now_ms = mono_ms();
	if (!force && now_ms - sl.window_ms < CP_LOG_SOFIA_WINDOW_MS)
		return;
	if (sl.left_out > 0)
		cp_log(CP_WARN, "sofia: %u more lines of Sofia-SIP's log in %llu s, not written",
		       sl.left_out, (now_ms - sl.window_ms + 999) / 1000);
	sl.window_ms = now_ms;
	sl.written = 0;
	sl.left_out = 0;
}

void cp_log_sofia_line(const char *line, unsigned long long now_ms)
{
	char clean[sizeof(sl.part)];
	size_t n = 0;

	if (CP_INFO > cp_log_verbosity)
		return;
	for (; *line != '\0' && n + 1 < sizeof(clean); line++)	/* no control bytes from a peer */
		clean[n++] = (*line == '\t' || (unsigned char)*line >= 0x20) && *line != 0x7f ?
			     (*line == '\t' ? ' ' : *line) : '?';
	while (n > 0 && clean[n - 1] == ' ')
		n--;
	clean[n] = '\0';
	if (n == 0)
		return;
	cp_log_sofia_flush(now_ms, 0);
	if (sl.written >= CP_LOG_SOFIA_BURST) {
		sl.left_out++;
		return;
	}
	sl.written++;
	cp_log(CP_INFO, "sofia: %s%s", clean, sl.written == CP_LOG_SOFIA_BURST ?
	       " (the rest of this minute's Sofia-SIP lines are counted, not written)" : "");
}

/* su_logger_f: pieces of lines, each line ended by its newline. */
static void sofia_logger(void *stream, char const *fmt, va_list ap)
{
	char buf[sizeof(sl.part)];
	const char *p;
	int len;

	(void)stream;
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (len < 0)
		return;
	for (p = buf; *p != '\0'; p++) {
		if (*p == '\n') {
			sl.part[sl.n] = '\0';
			cp_log_sofia_line(sl.part, mono_ms());
			sl.n = 0;
		} else if (sl.n + 1 < sizeof(sl.part)) {
			sl.part[sl.n++] = *p;
		}
	}
}

void cp_log_sofia_start(void)
{
	sl.window_ms = mono_ms();
	su_log_redirect(su_log_default, sofia_logger, NULL);
}
