/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Trunk health (cp_health.c): an OPTIONS ping to every trunk with a uri and options_interval,
 * a new Call-ID each time; misses and answers go to cp_route. Runs on the su_root thread.
 */
#ifndef CP_HEALTH_H
#define CP_HEALTH_H

#include "sbc_config.h"

struct su_root_s;

/* After cp_sip_start. */
int cp_health_start(struct su_root_s *root, const struct sbc_config *cfg);
void cp_health_stop(void);

#endif
