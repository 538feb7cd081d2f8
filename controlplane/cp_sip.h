/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SIP agent (cp_sip.c): Sofia-SIP's transaction layer (nta) on the control plane's su_root,
 * with UDP and TCP on [sbc] sip_port (and TLS on tls_port) at the SBC's address, the kernel side
 * of the data plane's exception port. Requests outside any dialog land on its default leg:
 * OPTIONS to the SBC are answered 200, INVITEs go to the B2BUA (cp_b2bua.c), the rest get a
 * proper error. Runs on the su_root thread.
 */
#ifndef CP_SIP_H
#define CP_SIP_H

#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>

#include "sbc_config.h"

struct su_root_s;

/* Start the agent and its transports; 0, or -errno with the reason logged. */
int cp_sip_start(struct su_root_s *root, const struct sbc_config *cfg);
void cp_sip_stop(void);

nta_agent_t *cp_sip_agent(void);
/* Our Contact (sip:<address>:<sip_port>) for every dialog either leg holds with us. */
const sip_contact_t *cp_sip_contact(void);
/* The SBC's address as a URI host ("198.51.100.10"). */
const char *cp_sip_host(void);

#endif
