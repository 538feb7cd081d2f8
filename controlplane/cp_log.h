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

#endif
