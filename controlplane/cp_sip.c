/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SIP agent: one nta agent on the su_root loop, bound to the SBC's address (the kernel side
 * of the exception port) on sip_port over UDP and TCP, and over TLS on tls_port when configured
 * (cp_tls.c prepares Sofia's certificate directory). The agent is stateless (NTATAG_STATELESS):
 * nta still matches retransmissions, ACKs and CANCELs to the transactions it holds and in-dialog
 * requests to their legs, and hands every other request to on_message, which keeps a
 * transaction only for what needs one: a new INVITE -> the B2BUA (a server transaction made
 * here, as nta's default leg would). The rest is answered statelessly (RFC 3261 8.2.7), with a
 * To tag that is the same for every copy of a request, so nta holds nothing for it for Timer J
 * (64 x T1 = 32 s of request and answer, 13-20 KB each, per answered request over UDP):
 * OPTIONS to us -> 200 (11.2), a request with a To tag -> 481 (12.2.2), a REGISTER -> the
 * registrar when a trunk takes digest (cp_registrar.c, which answers retransmissions itself),
 * anything else -> 405 with Allow (8.2.1). The agent runs as a UA (2xx retransmissions and
 * their ACKs are ours), never sends User-Agent or Server. Runs on the su_root thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>
#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport.h>
#include <sofia-sip/tport_tag.h>

#include "cp_b2bua.h"
#include "cp_conn.h"
#include "cp_log.h"
#include "cp_regcache.h"
#include "cp_registrar.h"
#include "cp_sip.h"
#include "cp_tls.h"

#define ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, PRACK, INFO"

static struct {
	su_home_t home[1];
	nta_agent_t *agent;
	unsigned char secret[32];	/* keys the To tags of stateless answers */
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

int cp_sip_key(sip_t const *s, uint8_t key[CP_REGCACHE_KEY])
{
	return cp_regcache_key(sip.secret, s, key);
}

int cp_sip_answer(msg_t *msg, tport_t *tp, const char *to_tag, int status, const char *phrase,
		  tagi_t const *tags)
{
	sip_t const *s = sip_object(msg);
	char own[CP_REGCACHE_TAG];
	sip_to_t *to = NULL;

	if (s == NULL || s->sip_to == NULL || sip.agent == NULL) {
		msg_destroy(msg);
		return -1;
	}
	if (s->sip_to->a_tag == NULL) {	/* RFC 3261 8.2.6.2, 8.2.7: the same tag for every copy */
		uint8_t key[CP_REGCACHE_KEY];

		if (to_tag == NULL && cp_sip_key(s, key) == 0) {
			cp_regcache_tag(key, own);
			to_tag = own;
		}
		to = sip_to_dup(msg_home(msg), s->sip_to);
		if (to == NULL || (to_tag != NULL && sip_to_tag(msg_home(msg), to, to_tag) < 0)) {
			msg_destroy(msg);
			return -1;
		}
	}
	return nta_msg_treply(sip.agent, msg, status, phrase, TAG_IF(to != NULL, SIPTAG_TO(to)),
			      TAG_IF(tp != NULL, NTATAG_TPORT(tp)), TAG_NEXT(tags));
}

/* A new INVITE: a server transaction, as nta's default leg would make, for the B2BUA, which
 * returns 0 when it took the transaction (it then owns and destroys it), else a status to
 * answer with. */
static void invite(msg_t *msg, sip_t *s)
{
	nta_incoming_t *irq = nta_incoming_create(sip.agent, NULL, msg, s, TAG_END());
	int status;

	if (irq == NULL)
		return;		/* msg gone with it: the client's retransmission tries again */
	status = cp_b2bua_invite(irq, s);
	if (status == 0)
		return;
	if (nta_incoming_status(irq) < 200)
		nta_incoming_treply(irq, status, NULL, TAG_END());
	nta_incoming_destroy(irq);
}

/* Everything nta matched to no transaction or dialog: stray responses (dropped) and requests
 * outside any dialog. */
static int on_message(nta_agent_magic_t *magic, nta_agent_t *agent, msg_t *msg, sip_t *s)
{
	sip_method_t m;

	(void)magic, (void)agent;
	if (s == NULL || s->sip_request == NULL ||
	    (m = s->sip_request->rq_method) == sip_method_ack) {
		msg_destroy(msg);	/* a stray response or ACK: nothing is sent */
		return 0;
	}
	if ((s->sip_to != NULL && s->sip_to->a_tag != NULL) || m == sip_method_cancel ||
	    m == sip_method_prack) {
		/* 12.2.2: no dialog matches; 9.2: no transaction to cancel; RFC 3262 3: no
		 * reliable response to acknowledge */
		cp_sip_answer(msg, NULL, NULL, SIP_481_NO_TRANSACTION, NULL);
		return 0;
	}
	switch (m) {
	case sip_method_options:
		cp_sip_answer(msg, NULL, NULL, SIP_200_OK,
			      (tagi_t[]){ { SIPTAG_ALLOW_STR(ALLOW) },
					  { SIPTAG_ACCEPT_STR("application/sdp") }, { TAG_END() } });
		break;
	case sip_method_invite:
		invite(msg, s);
		break;
	case sip_method_register:
		if (sip.registrar) {
			cp_registrar_request(msg, s);
			break;
		}
		/* fall through */
	default:
		cp_sip_answer(msg, NULL, NULL, SIP_405_METHOD_NOT_ALLOWED,
			      (tagi_t[]){ { SIPTAG_ALLOW_STR(sip.registrar ? ALLOW ", REGISTER" :
							      ALLOW) }, { TAG_END() } });
		break;
	}
	return 0;
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
	if (RAND_bytes(sip.secret, sizeof(sip.secret)) != 1)
		return -EIO;
	sip.registrar = sbc_config_takes_digest(cfg);
	inet_ntop(AF_INET, cfg->address, sip.host, sizeof(sip.host));
	/* (url_string_t *)-1: no transport yet (add_transports binds them, with their errors) */
	sip.agent = nta_agent_create(root, (url_string_t *)-1, on_message, NULL, NTATAG_UA(1),
				     NTATAG_STATELESS(1),
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
	if (sip.contact == NULL)
		return -ENOMEM;
	cp_log(CP_INFO, "SIP: listening on %s:%u (UDP, TCP)%s", sip.host, cfg->sip_port,
	       cfg->tls_port ? " and TLS" : "");
	return 0;
}

void cp_sip_stop(void)
{
	if (sip.agent != NULL)
		nta_agent_destroy(sip.agent);
	cp_tls_cleanup(&sip.tls);
	cp_conn_fini();
	su_home_deinit(sip.home);
	memset(&sip, 0, sizeof(sip));
}
