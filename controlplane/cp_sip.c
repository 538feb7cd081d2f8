/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SIP agent: one nta agent on the su_root loop, bound to the SBC's address (the kernel side
 * of the exception port) on sip_port over UDP and TCP, and over TLS on tls_port when configured
 * (cp_tls.c prepares Sofia's certificate directory). Its default leg takes every request that
 * matches no dialog: OPTIONS to us -> 200 (RFC 3261 11.2), a new INVITE -> the B2BUA, a request
 * with a To tag -> 481 (12.2.2), a REGISTER -> the registrar when a trunk takes digest,
 * anything else -> 405 with Allow (8.2.1). The agent runs as a
 * UA (2xx retransmissions and their ACKs are ours), never sends User-Agent or Server. Runs on
 * the su_root thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport_tag.h>

#include "cp_b2bua.h"
#include "cp_conn.h"
#include "cp_log.h"
#include "cp_registrar.h"
#include "cp_sip.h"
#include "cp_tls.h"

#define ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, PRACK, INFO"

static struct {
	su_home_t home[1];
	nta_agent_t *agent;
	nta_leg_t *dflt;
	sip_contact_t *contact;
	char host[INET6_ADDRSTRLEN + 2];
	struct cp_tls tls;
	bool registrar;		/* some trunk takes REGISTERs (auth = digest | both) */
} sip;

nta_agent_t *cp_sip_agent(void)
{
	return sip.agent;
}

const sip_contact_t *cp_sip_contact(void)
{
	return sip.contact;
}

const char *cp_sip_host(void)
{
	return sip.host;
}

/* A message nta could not give to any transaction or leg (a stray response): dropped. */
static int on_stray(nta_agent_magic_t *magic, nta_agent_t *agent, msg_t *msg, sip_t *s)
{
	(void)magic, (void)agent, (void)s;
	msg_destroy(msg);
	return 0;
}

/* The default leg: requests outside any dialog. Returns a status for nta to send, or 0 when
 * the B2BUA took the transaction (it then owns and destroys it). */
static int on_request(nta_leg_magic_t *magic, nta_leg_t *leg, nta_incoming_t *irq,
		      sip_t const *s)
{
	sip_method_t m = s->sip_request->rq_method;

	(void)magic, (void)leg;
	if (m == sip_method_ack)
		return 200;	/* a stray ACK: nothing is sent, the transaction is freed */
	if (s->sip_to != NULL && s->sip_to->a_tag != NULL)
		return 481;	/* RFC 3261 12.2.2: no dialog matches */
	switch (m) {
	case sip_method_options:
		nta_incoming_treply(irq, SIP_200_OK, SIPTAG_ALLOW_STR(ALLOW),
				    SIPTAG_ACCEPT_STR("application/sdp"), TAG_END());
		return 200;
	case sip_method_invite:
		return cp_b2bua_invite(irq, s);
	case sip_method_register:
		if (sip.registrar)
			return cp_registrar_request(irq, s);
		goto not_allowed;
	case sip_method_cancel:
		return 481;	/* RFC 3261 9.2: no transaction to cancel */
	default:
	not_allowed:
		nta_incoming_treply(irq, SIP_405_METHOD_NOT_ALLOWED,
				    SIPTAG_ALLOW_STR(sip.registrar ? ALLOW ", REGISTER" : ALLOW),
				    TAG_END());
		return 405;
	}
}

/*
 * What one TCP/TLS connection may hold (README "TCP and TLS connections"): closed after
 * tcp_idle_timeout s without a message (TPTAG_IDLE), or when a message has not arrived whole
 * within tcp_message_timeout ms (TPTAG_TIMEOUT); a message may not grow past tcp_max_message
 * bytes (NTATAG_MAXSIZE on the agent), which bounds what a half-received one buffers.
 * Connections per source: cp_conn.c.
 */
#define CONN_LIMITS(cfg) TPTAG_IDLE((cfg)->tcp_idle_timeout * 1000u), \
	TPTAG_TIMEOUT((cfg)->tcp_message_timeout)

/* The transports: UDP and TCP on sip_port, TLS on tls_port. */
static int add_transports(const struct sbc_config *cfg)
{
	char url[128];

	snprintf(url, sizeof(url), "sip:%s:%u", sip.host, cfg->sip_port);
	if (nta_agent_add_tport(sip.agent, (url_string_t *)url, CONN_LIMITS(cfg), TAG_END()) < 0) {
		cp_log(CP_ERR, "SIP: cannot bind %s (UDP and TCP): %s", url, strerror(errno));
		return -EADDRNOTAVAIL;
	}
	if (cfg->tls_port == 0)
		return 0;
	if (cp_tls_prepare(&sip.tls, cfg) != 0)
		return -EINVAL;
	snprintf(url, sizeof(url), "sips:%s:%u;transport=tls", sip.host, cfg->tls_port);
	/* With tls_ca, a carrier's certificate must chain to it or no call goes there (RFC 5630
	 * 3.1.3; Sofia verifies nothing by default). Incoming TLS is allowlisted by address and
	 * not asked for a client certificate. */
	if (nta_agent_add_tport(sip.agent, (url_string_t *)url,
				TPTAG_CERTIFICATE(sip.tls.dir), CONN_LIMITS(cfg),
				TPTAG_TLS_VERIFY_POLICY(cfg->tls_ca[0] ? TPTLS_VERIFY_OUT :
							TPTLS_VERIFY_NONE),
				TAG_END()) < 0) {
		cp_log(CP_ERR, "SIP: cannot open TLS on %s with %s and %s", url,
		       cfg->tls_certificate, cfg->tls_key);
		return -EINVAL;
	}
	return 0;
}

int cp_sip_start(struct su_root_s *root, const struct sbc_config *cfg)
{
	char url[128];

	su_home_init(sip.home);
	sip.registrar = sbc_config_takes_digest(cfg);
	inet_ntop(AF_INET, cfg->address, sip.host, sizeof(sip.host));
	/* (url_string_t *)-1: no transport yet (add_transports binds them, with their errors) */
	sip.agent = nta_agent_create(root, (url_string_t *)-1, on_stray, NULL, NTATAG_UA(1),
				     NTATAG_SERVER_RPORT(1), NTATAG_CANCEL_487(1),
				     NTATAG_MERGE_482(1), NTATAG_MAXSIZE(cfg->tcp_max_message),
				     TAG_END());
	if (sip.agent == NULL) {
		cp_log(CP_ERR, "SIP: cannot create the agent: %s", strerror(errno));
		return -ENOMEM;
	}
	if (cp_conn_init(root, cfg) != 0 || add_transports(cfg) != 0)
		return -EADDRNOTAVAIL;
	snprintf(url, sizeof(url), "<sip:%s:%u>", sip.host, cfg->sip_port);
	sip.contact = sip_contact_make(sip.home, url);
	sip.dflt = nta_leg_tcreate(sip.agent, on_request, NULL, NTATAG_NO_DIALOG(1), TAG_END());
	if (sip.contact == NULL || sip.dflt == NULL)
		return -ENOMEM;
	cp_log(CP_INFO, "SIP: listening on %s:%u (UDP, TCP)%s", sip.host, cfg->sip_port,
	       cfg->tls_port ? " and TLS" : "");
	return 0;
}

void cp_sip_stop(void)
{
	if (sip.dflt != NULL)
		nta_leg_destroy(sip.dflt);
	if (sip.agent != NULL)
		nta_agent_destroy(sip.agent);
	cp_tls_cleanup(&sip.tls);
	cp_conn_fini();
	su_home_deinit(sip.home);
	memset(&sip, 0, sizeof(sip));
}
