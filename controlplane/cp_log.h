/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's log (cp_log.c): one line per event on stderr, UTC time first, never per
 * packet or per value beyond the first report. Called from the su_root thread only.
 */
#ifndef CP_LOG_H
#define CP_LOG_H

enum cp_log_level { CP_ERR, CP_WARN, CP_INFO, CP_DEBUG };

extern int cp_log_verbosity;	/* the highest level written */

void cp_log(enum cp_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Sofia-SIP's own log (nta, tport, the resolver: su_log_default and every module log without
 * an environment variable of its own) into this one, as "sofia: <line>" at info. Some of its
 * lines are per message (a BYE whose destination answered with ICMP unreachable, each ICMP
 * error): at most CP_LOG_SOFIA_BURST lines a minute are written, the rest counted and said in
 * one line when the minute is over (cp_log_sofia_flush). Call after su_init().
 */
#define CP_LOG_SOFIA_BURST 20
#define CP_LOG_SOFIA_WINDOW_MS 60000u
void cp_log_sofia_start(void);
/* The count of lines left out, written once their minute is over; now_ms: a monotonic clock
 * (0: now). At the end of the process, force says it whatever the minute. */
void cp_log_sofia_flush(unsigned long long now_ms, int force);
/* One complete line of Sofia's at now_ms (the logger's work, and the unit test's). */
void cp_log_sofia_line(const char *line, unsigned long long now_ms);

#endif
