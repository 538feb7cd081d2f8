/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Upstream registration (cp_register.c): for every carrier with `register = yes`, a REGISTER
 * binding at its uri kept alive, answering digest challenges with MD5 or SHA-256 ourselves
 * (cp_digest.c: Sofia-SIP 1.12 cannot answer SHA-256). Its state goes to cp_route (routes skip
 * a carrier whose registration is down) and from there to sbc:state:<trunk>. Runs on the
 * su_root thread.
 */
#ifndef CP_REGISTER_H
#define CP_REGISTER_H

#include "sbc_config.h"

struct su_root_s;

/* After cp_sip_start: the first REGISTERs go at once. The carriers' resolved addresses are
 * added to their trunks' allowlists (cp_dynacl). */
int cp_register_start(struct su_root_s *root, const struct sbc_config *cfg);
/* Clean shutdown: un-REGISTER (Expires: 0) every binding we hold, running root until each is
 * answered or 2 s pass; then free everything. */
void cp_register_stop(struct su_root_s *root);

#endif
