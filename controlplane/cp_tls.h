/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS material for Sofia-SIP's tport (cp_tls.c): Sofia reads a directory holding agent.pem (the
 * key and its certificate chain) and cafile.pem; the configuration names the files. Runs on the
 * su_root thread, at start-up.
 */
#ifndef CP_TLS_H
#define CP_TLS_H

#include "sbc_config.h"

struct cp_tls {
	char dir[64];		/* "" until prepared */
};

/* Build the directory from tls_certificate, tls_key, tls_ca; 0 or -errno (logged). */
int cp_tls_prepare(struct cp_tls *t, const struct sbc_config *cfg);
void cp_tls_cleanup(struct cp_tls *t);

#endif
