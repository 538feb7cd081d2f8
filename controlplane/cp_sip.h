/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SIP agent (cp_sip.c): Sofia-SIP's transaction layer (nta) on the control plane's su_root,
 * with UDP and TCP on [sbc] sip_port (and TLS on tls_port) at the SBC's address, the kernel side
 * of the data plane's exception port. Requests outside any dialog: INVITEs go to the B2BUA
 * (cp_b2bua.c) as server transactions, REGISTERs to the registrar (cp_registrar.c), OPTIONS to
 * the SBC are answered 200 and the rest get a proper error, statelessly. Runs on the su_root
 * thread.
 */
#ifndef CP_SIP_H
#define CP_SIP_H

#include <stdint.h>

#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/tport.h>

#include "cp_regcache.h"

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

/* The transaction key of a request (cp_regcache_key with the agent's secret): 0 or -errno. */
int cp_sip_key(sip_t const *sip, uint8_t key[CP_REGCACHE_KEY]);
/*
 * Answer the request msg statelessly (RFC 3261 8.2.7: nta keeps nothing of it): its Via,
 * From, To, Call-ID and CSeq, to_tag as the To tag (NULL: one made from the request's key, so
 * every copy gets the same), the extra headers in tags (a list ending in TAG_END(), or NULL).
 * tp: the transport it came on, held with tport_ref by a caller that answers later; NULL
 * while nta still delivers msg. Takes msg; 0 or -1.
 */
int cp_sip_answer(msg_t *msg, tport_t *tp, const char *to_tag, int status, const char *phrase,
		  tagi_t const *tags);

#endif
