/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The su_root end of the policy engine's sliced work (cp_policy_su.c): one slice per loop turn
 * while a big allowlist read is being parsed and sorted. Runs on the su_root thread.
 */
#ifndef CP_POLICY_SU_H
#define CP_POLICY_SU_H

#include <sofia-sip/su_wait.h>

int cp_policy_su_start(su_root_t *root);
void cp_policy_su_stop(void);

#endif
