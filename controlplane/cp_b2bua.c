/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The B2BUA on nta transactions. A new INVITE from a trunk (the longest prefix of its source)
 * becomes a call: the caller's leg answers with our own tag and Contact, and a new INVITE goes
 * to the first usable trunk of the caller's route with its own Call-ID, From tag, Via, Contact
 * and CSeq (RFC 3261 8.1.1), carrying over only the Request-URI user, From/To user parts and
 * display names and the body (cp_sdp.c). Nothing of one leg's topology reaches the other: no
 * Via, Record-Route, Route, Contact, Call-ID, tag, User-Agent or Server is copied.
 *
 * - Provisional and final responses are relayed; a final on a failover code, Timer B's 408, a
 *   trunk down or full moves the INVITE to the next trunk; the caller sees one final answer.
 * - Each leg's 2xx is ACKed by us (13.2.2.4); a reliable provisional is PRACKed by us (RFC 3262
 *   hop by hop) and relayed unreliably. CANCEL: nta answers 200 and 487 on the caller's leg,
 *   we CANCEL the callee's INVITE (9.1).
 * - In a dialog, BYE ends the call from either side; re-INVITE, UPDATE, INFO and others are
 *   relayed to the other leg as new transactions and their answers relayed back.
 * - Session timers (RFC 4028): a peer that supports them and asks (Supported: timer and
 *   Session-Expires) is answered in our 2xx with itself as refresher (Require: timer), on the
 *   INVITE and on each refresh (re-INVITE/UPDATE, relayed like any other but without its
 *   Session-Expires: the other leg negotiated none); below Min-SE it gets 422 (section 9).
 *   Without a refresh the session expires (section 10): a BYE on both legs, min(32 s, a third
 *   of the interval) before its end, the record ended_by "session_timer".
 * - The call's record (cp_cdr_call) is written once, when it ends; Sofia's objects of the
 *   call (legs, transactions, home) are returned as it ends.
 * Runs on the su_root thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tagarg.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport.h>

#include "cp_admit.h"
#include "cp_b2bua.h"
#include "cp_cdr.h"
#include "cp_log.h"
#include "cp_media.h"
#include "cp_registrar.h"
#include "cp_route.h"
#include "cp_sdp.h"
#include "cp_sip.h"

#define RETRY_AFTER "5"		/* seconds, on our own 500/503 */
#define MIN_SE 90u		/* RFC 4028 4: the smallest Session-Expires we accept, */
#define MIN_SE_STR "90"		/* the same in a Min-SE header */
#define MAX_FORWARDS 70		/* RFC 3261 8.1.1.6: what a request without one gets */
#define TRIM_MS 5000		/* how often the heap's free pages may be given back, */
#define TRIM_GROWN_KB 256	/* when the resident size grew this much since the last time, */
#define TRIM_FREED_KB 1024	/* or this much of the heap was freed (a burst's transactions) */

enum side { IN, OUT };		/* the caller's leg, the callee's leg */
enum state { CALLING, ANSWERED, ENDING, ENDED };

struct call {
	su_home_t home[1];		/* first: the call is a Sofia home (su_home_new) */
	nta_leg_t *leg[2];
	nta_incoming_t *irq;		/* the caller's INVITE until its final (2xx: its ACK) */
	nta_outgoing_t *orq;		/* the INVITE to the callee (untagged: every fork's first
					 * response comes on it) */
	struct fork *forks;		/* the current attempt's early dialogs, one per To tag */
	nta_outgoing_t *resp_orq;	/* the transaction of the response being handled (read
					 * only while on_invite_response runs) */
	bool final;			/* the current attempt had its final response */
	enum state state;
	bool canceled, counted, recorded;
	bool cap_refused;		/* TCP/TLS: refused by admission (over a cap, or no verdict) */
	int trunk_in, trunk_out;
	unsigned int pos;		/* next position in the route */
	unsigned int refs;		/* relayed in-dialog transactions in flight */
	uint32_t se_delta;		/* caller's Session-Expires (0: none) */
	su_timer_t *se_timer;		/* the session's expiry (RFC 4028 10), while one runs */
	char max_forwards[12];		/* what the callee's INVITE carries (the caller's - 1) */
	sip_cseq_t *ack_cseq;		/* late offer: the callee's 2xx waits for the caller's ACK */
	uint8_t transport;		/* enum sbc_transport of the caller's INVITE */
	bool admitted;			/* TCP/TLS: a slot of the data plane's, freed at the end */
	struct cp_admit_req *admit;	/* TCP/TLS: waiting for the data plane's verdict */
	/* anchored media (issue 12): NULL when the caller's trunk says media = direct */
	struct cp_media *media;
	uint8_t sig_family;		/* the caller's signalling source: a latched leg 0 */
	uint8_t sig_addr[16];
	bool answer_pending;		/* the callee's 2xx waits for READY */
	sip_cseq_t *ack_after;		/* its ACK, sent once the session is in force (so the
					 * callee's first RTP, sent on the ACK, is relayed) */
	const char *sdp_refused;	/* why a trunk was skipped (its codecs or SRTP left nothing
					 * of the offer): the 488's reason phrase when none takes it */
	bool media_fail;		/* ended for its media (counted apart from failed_*) */
	struct held *held, **held_tail;	/* responses for the caller waiting for READY */
	struct relay *waiting;		/* in-dialog answers waiting for READY */
	uint32_t ready_seq;		/* the last MEDIA_SET in force (READY 0) */
	char codec[SBC_CODEC_NAME_MAX];	/* the callee's first codec, for the record's MOS */
	/* carried to every INVITE of the route */
	char *ruser;
	sip_from_t *from;
	sip_to_t *to;
	struct cp_sdp sdp;
	struct cp_cdr_call cdr;
};

/*
 * An early dialog of the callee's INVITE (RFC 3261 12.1.2, 13.2.2.4): each To tag of its
 * responses (a forking proxy's forks) gets its own INVITE transaction (nta_outgoing_tagged, so
 * its later responses come to us even after another fork's 2xx completed the INVITE) and its
 * own dialog (leg: the first tag's is the call's leg[OUT]; the others answer 481 until theirs
 * is the answering fork's), on which its reliable provisionals are PRACKed (RFC 3262 4).
 */
struct fork {
	struct fork *next;
	nta_outgoing_t *orq;		/* the INVITE tagged with this fork's To tag */
	nta_leg_t *leg;			/* its dialog (c->leg[OUT] for the first fork's) */
	char *tag;
};

/* A response for the caller that waits for its media session (cp_media READY of seq). */
struct held {
	struct held *next;
	int status;
	char *phrase;
	struct cp_sdp sdp;
	uint32_t seq;			/* 0: waits only for those before it */
};

/* An in-dialog request relayed to the other leg. */
struct relay {
	struct call *c;
	struct relay *wnext;		/* in the call's list of answers waiting for READY */
	enum side to;
	nta_incoming_t *irq;
	nta_outgoing_t *orq;
	uint32_t se_delta;		/* its sender asked for a session timer (0: no) */
	bool invite;			/* a re-INVITE: its 2xx is ACKed hop by hop */
	bool offer;			/* the request carried an offer (its answer comes back) */
	uint32_t seq;			/* its answer waits for READY of this seq */
	int status;			/* the answer held */
	char *phrase;
	struct cp_sdp sdp;
};

static struct {
	const struct sbc_config *cfg;
	su_home_t home[1];
	url_t **uri;			/* each trunk's parsed uri */
	su_timer_t *trim;
	struct su_root_s *root;
	uint64_t trim_calls;		/* calls counted at the last tick */
	long trimmed_kb;		/* resident size after the last trim */
	size_t trimmed_inuse;		/* heap in use then (bytes) */
	struct cp_b2bua_stats st;
} b2b;

static int leg_request(nta_leg_magic_t *magic, nta_leg_t *leg, nta_incoming_t *irq,
		       sip_t const *sip);
static void call_end(struct call *c, int code, const char *by);
static void drop_waiting(struct call *c);
static void relay_done(struct relay *r);
static void ack_deferred(struct call *c);
static bool anchored(const struct call *c);
static void try_next(struct call *c);
static void send_bye(struct call *c, enum side s);

const struct cp_b2bua_stats *cp_b2bua_stats(void)
{
	return &b2b.st;
}

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

/* RFC 4028 9: the Session-Expires of a request whose sender supports session timers, or 0
 * (without Supported: timer we would have to refresh ourselves: no timer then). */
static uint32_t timer_asked(sip_t const *sip)
{
	if (sip->sip_session_expires == NULL || !sip_has_supported(sip->sip_supported, "timer"))
		return 0;
	return (uint32_t)sip->sip_session_expires->x_delta;
}

/* The caller's final answer (once): a failure also destroys its transaction. */
static void answer_caller(struct call *c, int status, const char *phrase, tagi_t const *tags)
{
	if (c->irq == NULL)
		return;
	nta_incoming_treply(c->irq, status, phrase, TAG_NEXT(tags));
	if (status >= 200)
		c->cdr.code = status;
	if (status >= 300) {
		nta_incoming_destroy(c->irq);
		c->irq = NULL;
	}
}

static void refuse(struct call *c, int status, const char *phrase, const char *by)
{
	answer_caller(c, status, phrase, status == 503 || status == 500 ?
		      (tagi_t[]){ { SIPTAG_RETRY_AFTER_STR(RETRY_AFTER) }, { TAG_END() } } : NULL);
	call_end(c, status, by);
}

/* ------------------------------------------------------------------------------------------ */
/* The end of a call: one record, every Sofia object returned */

static void call_free(struct call *c)
{
	if (c->refs > 0 || c->state != ENDED)
		return;
	su_home_unref(c->home);
}

static void write_cdr(struct call *c)
{
	if (c->recorded)
		return;
	c->recorded = true;
	if (c->cdr.end_ns == 0)
		c->cdr.end_ns = sbc_now_ns();
	cp_cdr_call(&c->cdr);
}

/* The data plane's final figures (NULL: none): the record is written with them. */
static void on_media_gone(void *arg, const struct sbc_msg_media_stats *st)
{
	struct call *c = arg;
	struct cp_media_quality q;

	cp_media_quality(st, c->codec, &q);
	memcpy(c->cdr.loss_in, q.loss_in, sizeof(q.loss_in));
	memcpy(c->cdr.loss_out, q.loss_out, sizeof(q.loss_out));
	memcpy(c->cdr.jitter_ms, q.jitter_ms, sizeof(q.jitter_ms));
	memcpy(c->cdr.mos, q.mos, sizeof(q.mos));
	write_cdr(c);
	c->refs--;
	call_free(c);
}

/* The call's media ends with it (MEDIA_DEL): its record waits for the final figures. */
static void end_media(struct call *c)
{
	struct cp_media *m = c->media;

	c->media = NULL;
	c->cdr.end_ns = sbc_now_ns();
	if (m != NULL && cp_media_close(m)) {
		c->refs++;	/* on_media_gone writes the record */
		return;
	}
	write_cdr(c);
}

/* The callee's INVITE has had no final response (a tagged fork's may have come: c->final). */
static bool invite_pending(const struct call *c)
{
	return c->orq != NULL && !c->final && nta_outgoing_status(c->orq) < 200;
}

/* The attempt's early dialogs are over: their transactions and the legs not the call's. */
static void forks_release(struct call *c)
{
	for (struct fork *f = c->forks; f != NULL; f = f->next) {
		if (f->leg != NULL && f->leg != c->leg[OUT])
			nta_leg_destroy(f->leg);
		nta_outgoing_destroy(f->orq);
	}
	c->forks = NULL;
}

static void release_out(struct call *c)
{
	/* RFC 3261 9.1: an INVITE still pending is CANCELed (nta would just drop it) */
	if (invite_pending(c) && !c->canceled)
		nta_outgoing_cancel(c->orq);
	forks_release(c);
	if (c->orq != NULL) {
		nta_outgoing_destroy(c->orq);
		c->orq = NULL;
	}
	if (c->counted) {
		cp_route_call_out((unsigned int)c->trunk_out, -1);
		c->counted = false;
	}
}

/* Why the data plane should count a TCP/TLS call ended (its ended_* counters). */
static uint8_t end_reason(const struct call *c)
{
	if (c->cdr.ended_by != NULL && strcmp(c->cdr.ended_by, "timeout") == 0)
		return c->state == CALLING ? SBC_CALL_END_TIMER_B : SBC_CALL_END_BYE;
	if (c->state == ANSWERED)
		return SBC_CALL_END_BYE;
	return c->canceled ? SBC_CALL_END_CANCEL : SBC_CALL_END_REJECTED;
}

/* A TCP/TLS call ends: a question still open is withdrawn, a slot given back. */
static void admission_over(struct call *c)
{
	if (c->admit != NULL) {
		cp_admit_forget(c->admit);
		c->admit = NULL;
	}
	if (c->admitted) {
		cp_admit_end((unsigned int)c->trunk_in, c->transport, c->cdr.call_id_in,
			     end_reason(c));
		c->admitted = false;
	}
}

/* Why a call that was never answered ended, for the stats socket. */
static void count_end(const struct call *c)
{
	const char *by = c->cdr.ended_by;

	if (c->cdr.answer_ns != 0 || by == NULL || c->media_fail)
		return;
	if (c->cap_refused)
		b2b.st.failed_admission++;
	else if (strcmp(by, "caller") == 0)
		b2b.st.canceled++;
	else if (strcmp(by, "callee") == 0)
		b2b.st.failed_callee++;
	else if (strcmp(by, "timeout") == 0)
		b2b.st.failed_timeout++;
	else if (c->cdr.code == 503)
		b2b.st.failed_no_trunk++;
	else
		b2b.st.failed_internal++;
}

/* RFC 4028 10: no refresh came within the session interval: the session is over, a BYE on
 * both legs. */
static void on_session_expired(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	struct call *c = (struct call *)arg;

	(void)magic, (void)t;
	b2b.st.session_expired++;
	send_bye(c, IN);
	send_bye(c, OUT);
	call_end(c, c->cdr.code ? c->cdr.code : 200, "session_timer");
}

/* (Re)start the session's expiry at Session-Expires delta s: the BYE goes min(32 s, delta / 3)
 * before it (RFC 4028 10). */
static void session_timer(struct call *c, uint32_t delta)
{
	uint32_t early = delta / 3 < 32 ? delta / 3 : 32;

	if (delta == 0 || c->state != ANSWERED)
		return;
	if (c->se_timer == NULL)
		c->se_timer = su_timer_create(su_root_task(b2b.root), 0);
	if (c->se_timer == NULL)
		return;	/* no memory: the session ends with a BYE from either side */
	su_timer_reset(c->se_timer);
	su_timer_set_interval(c->se_timer, on_session_expired, (su_timer_arg_t *)c,
			      (delta - early) * 1000u);
}

/* The call is over: record it, return every leg and transaction. */
static void call_end(struct call *c, int code, const char *by)
{
	if (c->state == ENDED)
		return;
	if (c->cdr.code == 0)
		c->cdr.code = code;
	if (c->cdr.ended_by == NULL)
		c->cdr.ended_by = by;
	if (c->irq != NULL) {	/* no final yet (a 2xx not ACKed is answered already) */
		if (c->state == CALLING)
			nta_incoming_treply(c->irq, code >= 300 ? code : 500, NULL, TAG_END());
		nta_incoming_destroy(c->irq);
		c->irq = NULL;
	}
	ack_deferred(c);
	release_out(c);
	admission_over(c);
	if (c->se_timer != NULL) {
		su_timer_destroy(c->se_timer);
		c->se_timer = NULL;
	}
	for (int s = IN; s <= OUT; s++)
		if (c->leg[s] != NULL) {
			nta_leg_destroy(c->leg[s]);
			c->leg[s] = NULL;
		}
	c->held = NULL;
	drop_waiting(c);
	end_media(c);
	count_end(c);
	c->state = ENDED;
	b2b.st.active--;
	call_free(c);
}

/* ------------------------------------------------------------------------------------------ */
/* The callee's leg: the INVITE along the route */

/* Send a BYE on one leg of an established call; nta finishes the transaction on its own. */
static void send_bye(struct call *c, enum side s)
{
	nta_outgoing_t *o;

	if (c->leg[s] == NULL)
		return;
	o = nta_outgoing_tcreate(c->leg[s], NULL, NULL, NULL, SIP_METHOD_BYE, NULL, TAG_END());
	nta_outgoing_destroy(o);
}

/* RFC 3261 13.2.2.4: the ACK of a 2xx is the UAC core's, on the dialog, with the INVITE's
 * CSeq number. */
static void send_ack_body(struct call *c, enum side s, sip_cseq_t const *cseq,
			  sip_t const *body_of)
{
	struct cp_sdp sdp = { 0 };
	nta_outgoing_t *ack;

	if (body_of != NULL)
		cp_sdp_relay(NULL, body_of, s == OUT ? CP_SDP_TO_CALLEE : CP_SDP_TO_CALLER, NULL,
			     &sdp);
	ack = nta_outgoing_tcreate(c->leg[s], NULL, NULL, NULL, SIP_METHOD_ACK, NULL,
				   SIPTAG_CSEQ(cseq), TAG_IF(sdp.ct, SIPTAG_CONTENT_TYPE(sdp.ct)),
				   TAG_IF(sdp.pl, SIPTAG_PAYLOAD(sdp.pl)), TAG_END());
	nta_outgoing_destroy(ack);
}

static void send_ack(struct call *c, enum side s, sip_t const *sip)
{
	send_ack_body(c, s, sip->sip_cseq, NULL);
}

/* RFC 3261 13.2.2.4 / RFC 3264 late offer: the INVITE had no body, the 2xx holds the offer and
 * the caller's ACK the answer: the callee's ACK waits for it and carries it. */
static void ack_callee(struct call *c, sip_t const *sip)
{
	if (c->sdp.pl != NULL) {
		if (anchored(c) && (c->ack_after = sip_cseq_dup(c->home, sip->sip_cseq)) != NULL)
			return;	/* sent by ack_deferred once its session is in force */
		send_ack(c, OUT, sip);
		return;
	}
	if (c->ack_cseq == NULL) {
		c->ack_cseq = sip_cseq_dup(c->home, sip->sip_cseq);
		if (c->ack_cseq == NULL)
			send_ack(c, OUT, sip);
	}
}

/* The callee's 2xx whose ACK waited for its media session: ACKed now (in force, or failed). */
static void ack_deferred(struct call *c)
{
	sip_cseq_t *cseq = c->ack_after;

	c->ack_after = NULL;
	if (cseq != NULL && c->leg[OUT] != NULL)
		send_ack_body(c, OUT, cseq, NULL);
}

/* A request on an early dialog of a fork that is not the call's (or on the dialog of a fork
 * ended after the answer, its BYE in flight): no call of ours there. */
static int fork_request(nta_leg_magic_t *magic, nta_leg_t *leg, nta_incoming_t *irq,
			sip_t const *sip)
{
	(void)magic, (void)leg, (void)irq;
	return sip->sip_request->rq_method == sip_method_ack ? 200 : 481;
}

/* The callee's dialog of To tag `sip`'s (our From, its To, the INVITE's CSeq), routed by the
 * response (12.1.2); requests on it answer 481 until it is bound to the call. */
static nta_leg_t *fork_leg(sip_t const *sip)
{
	nta_leg_t *leg = nta_leg_tcreate(cp_sip_agent(), fork_request, NULL,
					 SIPTAG_CALL_ID(sip->sip_call_id),
					 SIPTAG_FROM(sip->sip_from), SIPTAG_TO(sip->sip_to),
					 SIPTAG_CSEQ(sip->sip_cseq), TAG_END());

	if (leg != NULL)
		nta_leg_client_reroute(leg, sip->sip_record_route, sip->sip_contact, 1);
	return leg;
}

static struct fork *fork_of(const struct call *c, const char *tag)
{
	for (struct fork *f = c->forks; f != NULL; f = f->next)
		if (strcasecmp(f->tag, tag) == 0)
			return f;
	return NULL;
}

static int on_invite_response(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
			      sip_t const *sip);

/* The early dialog of a provisional's To tag: found, or made on its first response (which
 * came on the untagged INVITE). NULL without memory: that fork is then not PRACKed. */
static struct fork *fork_early(struct call *c, sip_t const *sip)
{
	const char *tag = sip->sip_to->a_tag;
	struct fork *f = fork_of(c, tag);

	if (f != NULL || c->orq == NULL)
		return f;
	f = su_zalloc(c->home, sizeof(*f));
	if (f == NULL || (f->tag = su_strdup(c->home, tag)) == NULL)
		return NULL;
	f->orq = nta_outgoing_tagged(c->orq, on_invite_response, (nta_outgoing_magic_t *)c, tag,
				     NULL);
	if (f->orq == NULL) {
		cp_log(CP_WARN, "call %s: no memory for the early dialog of fork %s",
		       c->cdr.call_id_in, tag);
		return NULL;
	}
	if (strcasecmp(nta_leg_get_rtag(c->leg[OUT]), tag) == 0) {
		f->leg = c->leg[OUT];
	} else if ((f->leg = fork_leg(sip)) == NULL) {
		nta_outgoing_destroy(f->orq);
		return NULL;
	}
	f->next = c->forks;
	c->forks = f;
	return f;
}

/*
 * RFC 3261 12.1.2 / 13.2.2.4: a forking callee's 2xx may come from another early dialog than
 * the one whose tag the leg took (the first tagged response): the 2xx's dialog is the call's.
 * The leg becomes that fork's (its early dialog's, which carried its PRACKs, or one made from
 * the 2xx: our From with its tag, the 2xx's To with the answering fork's tag, the INVITE's
 * CSeq), so the ACK, BYE and re-INVITEs carry that tag and the answering fork's own requests
 * find the call. A leg that cannot be made (no memory) stays as it was.
 */
static void answering_dialog(struct call *c, sip_t const *sip)
{
	const char *rtag = nta_leg_get_rtag(c->leg[OUT]);
	struct fork *f;
	nta_leg_t *leg;

	if (rtag == NULL || sip->sip_to == NULL || sip->sip_to->a_tag == NULL ||
	    strcasecmp(rtag, sip->sip_to->a_tag) == 0)
		return;
	f = fork_of(c, sip->sip_to->a_tag);
	leg = f != NULL && f->leg != NULL ? f->leg : fork_leg(sip);
	if (leg == NULL) {
		cp_log(CP_WARN, "call %s: no memory for the answering fork's dialog",
		       c->cdr.call_id_in);
		return;
	}
	nta_leg_bind(leg, leg_request, (nta_leg_magic_t *)c);
	cp_log(CP_DEBUG, "call %s: answered by another fork (tag %s, not %s)", c->cdr.call_id_in,
	       sip->sip_to->a_tag, rtag);
	for (f = c->forks; f != NULL; f = f->next)
		if (f->leg == c->leg[OUT])
			f->leg = NULL;		/* the first fork's dialog goes */
	nta_leg_destroy(c->leg[OUT]);
	c->leg[OUT] = leg;
}

/* A tagged response from the callee: the dialog's remote tag and target (12.1.2); only that
 * fork's dialog follows it. */
static void early_dialog(struct call *c, sip_t const *sip)
{
	const char *rtag;
	struct fork *f;

	if (sip->sip_to == NULL || sip->sip_to->a_tag == NULL)
		return;
	rtag = nta_leg_get_rtag(c->leg[OUT]);
	if (rtag == NULL)
		nta_leg_rtag(c->leg[OUT], rtag = sip->sip_to->a_tag);
	if (strcasecmp(rtag, sip->sip_to->a_tag) == 0)
		nta_leg_client_reroute(c->leg[OUT], sip->sip_record_route, sip->sip_contact, 1);
	else if ((f = fork_of(c, sip->sip_to->a_tag)) != NULL && f->leg != NULL)
		nta_leg_client_reroute(f->leg, sip->sip_record_route, sip->sip_contact, 1);
}

/* A fork's BYE (fork_hangup) is over: its dialog goes with it. */
static int fork_bye_done(nta_outgoing_magic_t *magic, nta_outgoing_t *orq, sip_t const *sip)
{
	nta_leg_t *leg = (nta_leg_t *)magic;

	(void)sip;
	if (nta_outgoing_status(orq) < 200)
		return 0;
	nta_outgoing_destroy(orq);
	nta_leg_destroy(leg);
	return 0;
}

/*
 * RFC 3261 13.2.2.4: a 2xx from another fork once the call took one: the UAC core ACKs it and
 * sends BYE on that fork's own dialog at once. The caller never sees it, the call's dialog and
 * media stay the first answer's. Its dialog (its early one, or made from the 2xx) lives until
 * the BYE's final response (or Timer F's 408).
 */
static void fork_hangup(struct call *c, sip_t const *sip)
{
	struct fork *f = fork_of(c, sip->sip_to->a_tag);
	nta_leg_t *leg = NULL;
	nta_outgoing_t *bye;

	if (f != NULL && f->leg != NULL && f->leg != c->leg[OUT]) {
		leg = f->leg;
		f->leg = NULL;
		nta_leg_client_reroute(leg, sip->sip_record_route, sip->sip_contact, 1);
	} else {
		leg = fork_leg(sip);
	}
	if (leg == NULL) {
		cp_log(CP_WARN, "call %s: no memory to end fork %s's 2xx", c->cdr.call_id_in,
		       sip->sip_to->a_tag);
		return;
	}
	nta_leg_bind(leg, fork_request, NULL);
	nta_outgoing_destroy(nta_outgoing_tcreate(leg, NULL, NULL, NULL, SIP_METHOD_ACK, NULL,
						  SIPTAG_CSEQ(sip->sip_cseq), TAG_END()));
	bye = nta_outgoing_tcreate(leg, fork_bye_done, (nta_outgoing_magic_t *)leg, NULL,
				   SIP_METHOD_BYE, NULL, TAG_END());
	if (bye == NULL)
		nta_leg_destroy(leg);
	cp_log(CP_INFO, "call %s: a 2xx from fork %s after the answer: ACKed and ended (BYE)",
	       c->cdr.call_id_in, sip->sip_to->a_tag);
}

/* ------------------------------------------------------------------------------------------ */
/* Media (issue 12): which calls are anchored, their SDP across legs, answers held for READY */

/* Leg IN is the session's leg 0, OUT its leg 1 (sbc_channel.h). */
_Static_assert(IN == 0 && OUT == 1, "sides are the media legs");

/* The current attempt's media goes through the data plane: both trunks say relay. */
static bool anchored(const struct call *c)
{
	return c->media != NULL && c->trunk_out >= 0 &&
	       b2b.cfg->trunks[c->trunk_out].media == SBC_MEDIA_MODE_RELAY;
}

/* The rewrite of an SDP coming from side `from`, or NULL when the call is not anchored. */
static struct cp_sdp_xlate *xlate(struct call *c, enum side from, enum cp_sdp_kind kind,
				  struct cp_sdp_xlate *x)
{
	const struct sbc_trunk_config *in, *out;

	if (!anchored(c))
		return NULL;
	in = &b2b.cfg->trunks[c->trunk_in];
	out = &b2b.cfg->trunks[c->trunk_out];
	memset(x, 0, sizeof(*x));
	x->kind = kind;
	x->from = cp_media_sdp(c->media, from);
	x->to = cp_media_sdp(c->media, from == IN ? OUT : IN);
	x->allow = (struct cp_sdp_allow){ in->codecs, in->n_codecs, out->codecs, out->n_codecs };
	return x;
}

/* The source address of a message (its transport's peer): 0, or -ENOENT. */
static int source_of(msg_t *msg, uint8_t *family, uint8_t *addr)
{
	su_addrinfo_t *ai = msg ? msg_addrinfo(msg) : NULL;
	const su_sockaddr_t *su = ai ? (const su_sockaddr_t *)ai->ai_addr : NULL;

	memset(addr, 0, 16);
	if (su != NULL && su->su_family == AF_INET) {
		*family = SBC_AF_V4;
		memcpy(addr, &su->su_sin.sin_addr, 4);
		return 0;
	}
	if (su != NULL && su->su_family == AF_INET6) {
		*family = SBC_AF_V6;
		memcpy(addr, &su->su_sin6.sin6_addr, 16);
		return 0;
	}
	return -ENOENT;
}

/* The data plane's refusal as the caller hears it: a full table, no answer, no data plane:
 * 503 (try again); a port clash or a session it could not take: 500. */
static int media_status(int error)
{
	return error == -EINVAL || error == -EADDRINUSE || error == -EEXIST ? 500 : 503;
}

/*
 * The call cannot have its media: before the answer went to the caller, it gets code (the
 * callee's INVITE is CANCELed, or its 2xx, already ACKed, gets a BYE); after, both legs get a
 * BYE. Counted.
 */
static void media_failed(struct call *c, int code, const char *phrase)
{
	if (code == 488)
		b2b.st.sdp_rejected++;
	else
		b2b.st.media_refused++;
	c->media_fail = true;
	cp_log(CP_DEBUG, "call %s: media: %d %s", c->cdr.call_id_in, code, phrase ? phrase : "");
	if (c->state == ANSWERED) {
		send_bye(c, IN);
		send_bye(c, OUT);
		call_end(c, c->cdr.code, "sbc");
		return;
	}
	if (c->answer_pending) {	/* its 2xx is ACKed, then ended */
		ack_deferred(c);
		send_bye(c, OUT);
	}
	c->held = NULL;
	refuse(c, code, phrase, "sbc");
}

/* A callee's tagged response names where its signalling comes from: a latched leg 1. */
static void latch_callee(struct call *c)
{
	msg_t *msg;
	uint8_t family, addr[16];

	if (!b2b.cfg->trunks[c->trunk_out].media_latch || c->orq == NULL)
		return;
	msg = nta_outgoing_getresponse(c->resp_orq != NULL ? c->resp_orq : c->orq);
	if (source_of(msg, &family, addr) == 0)
		cp_media_latch(c->media, OUT, family, addr);
	msg_destroy(msg);
}

/* Both legs as their SDP stand, to the data plane. The seq to wait for (0: nothing to install:
 * no audio on a leg), or -1 when the call failed. */
static int64_t media_update(struct call *c)
{
	uint32_t seq = 0;
	int rc = cp_media_set(c->media, &seq);

	if (rc == -EAGAIN)
		return 0;
	if (rc != 0) {
		media_failed(c, media_status(rc), "Media Unavailable");
		return -1;
	}
	snprintf(c->codec, sizeof(c->codec), "%s", cp_media_sdp(c->media, OUT)->codec);
	return seq;
}

static void to_caller(struct call *c, int status, const char *phrase, const struct cp_sdp *sdp);

/* Responses for the caller go in order: those whose session is in force (READY). */
static void flush_held(struct call *c)
{
	struct held *h;

	while ((h = c->held) != NULL && h->seq <= c->ready_seq && c->state != ENDED) {
		c->held = h->next;
		to_caller(c, h->status, h->phrase, &h->sdp);
	}
}

static void hold_or_send(struct call *c, int status, const char *phrase,
			 const struct cp_sdp *sdp, uint32_t seq)
{
	struct held *h, **pp;

	if (c->held == NULL && seq <= c->ready_seq) {
		to_caller(c, status, phrase, sdp);
		return;
	}
	h = su_zalloc(c->home, sizeof(*h));
	if (h == NULL) {
		media_failed(c, 500, "Internal Error");
		return;
	}
	h->status = status;
	h->phrase = su_strdup(c->home, phrase);
	h->sdp = *sdp;
	h->seq = seq;
	for (pp = &c->held; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = h;
}

static void relay_forward(struct relay *r, int status, const char *phrase,
			  const struct cp_sdp *sdp);

/* In-dialog answers whose session is in force go on. */
static void flush_relays(struct call *c)
{
	struct relay **pp = &c->waiting, *r;

	while ((r = *pp) != NULL) {
		if (r->seq > c->ready_seq) {
			pp = &r->wnext;
			continue;
		}
		*pp = r->wnext;
		relay_forward(r, r->status, r->phrase, &r->sdp);
	}
}

/* The call ends with in-dialog answers still waiting: their senders get 500. */
static void drop_waiting(struct call *c)
{
	struct relay *r;

	while ((r = c->waiting) != NULL) {
		c->waiting = r->wnext;
		if (r->irq != NULL)
			nta_incoming_treply(r->irq, 500, "Internal Error",
					    SIPTAG_RETRY_AFTER_STR(RETRY_AFTER), TAG_END());
		relay_done(r);
	}
}

static void on_media_ready(void *arg, uint32_t seq, int error)
{
	struct call *c = arg;

	if (error != 0) {
		media_failed(c, media_status(error), error == -ETIMEDOUT ?
			     "Media Not Confirmed" : "Media Refused");
		return;
	}
	if (seq > c->ready_seq)
		c->ready_seq = seq;
	flush_held(c);
	if (c->state != ENDED)
		flush_relays(c);
}

/* RFC 3261 15: no media for media_timeout s on an answered call: BYE on both legs. */
static void on_media_timeout(void *arg, const struct sbc_msg_media_stats *st)
{
	struct call *c = arg;

	(void)st;	/* the record takes GONE's figures */
	if (c->state != ANSWERED)
		return;	/* ringing with early media: the 2xx installs the session again */
	b2b.st.media_timeouts++;
	send_bye(c, IN);
	send_bye(c, OUT);
	call_end(c, c->cdr.code, "media_timeout");
}

static const struct cp_media_cbs media_cbs = {
	.ready = on_media_ready, .timeout = on_media_timeout, .gone = on_media_gone,
};

/* The call's media at its start: the caller's trunk says relay (else NULL: direct). */
static int open_media(struct call *c, nta_incoming_t *irq, const char *call_id)
{
	const struct sbc_trunk_config *t = &b2b.cfg->trunks[c->trunk_in];
	msg_t *msg;
	int rc;

	if (t->media != SBC_MEDIA_MODE_RELAY)
		return 0;
	msg = nta_incoming_getrequest(irq);
	rc = source_of(msg, &c->sig_family, c->sig_addr);
	msg_destroy(msg);
	if (rc != 0)
		c->sig_family = SBC_AF_V4;
	rc = cp_media_open(&c->media, call_id, &media_cbs, c);
	if (rc != 0)
		return rc;
	cp_media_trunk(c->media, IN, (unsigned int)c->trunk_in);
	if (t->media_latch && c->sig_family != 0)
		cp_media_latch(c->media, IN, c->sig_family, c->sig_addr);
	return 0;
}

/* Leg 1's family: IPv6 when the trunk's uri names an IPv6 address and we have one. */
static uint8_t callee_family(int to)
{
	const url_t *u = b2b.uri[to];

	return b2b.cfg->has_address6 && u != NULL && u->url_host != NULL &&
	       strchr(u->url_host, ':') != NULL ? SBC_AF_V6 : SBC_AF_V4;
}

/*
 * The INVITE's body for trunk `to`: the caller's offer rewritten for it (media = relay), our
 * ports taken on the first such attempt. 0; -ENOSPC: no free port (503); -ENOMSG,
 * -EPROTONOSUPPORT, -EAFNOSUPPORT, -EBADMSG: this trunk cannot take the offer (488 if none
 * can); -ENOMEM.
 */
static int offer_for(struct call *c, int to, struct cp_sdp *out)
{
	struct cp_sdp_xlate x;
	const struct cp_sdp_leg *caller;
	int rc;

	*out = c->sdp;
	if (!anchored(c))
		return 0;
	cp_media_trunk(c->media, OUT, (unsigned int)to);
	if (!cp_media_has_leg(c->media, OUT) &&
	    (rc = cp_media_port(c->media, OUT, callee_family(to))) != 0)
		return rc;
	if (c->sdp.pl != NULL) {
		rc = cp_sdp_relay_body(c->home, c->sdp.ct, c->sdp.pl,
				       xlate(c, IN, CP_SDP_OFFER, &x), out);
		if (rc != 0 || x.error != 0) {
			cp_log(CP_DEBUG, "call %s: offer for %s: %s", c->cdr.call_id_in,
			       b2b.cfg->trunks[to].name, x.why ? x.why : "no memory");
			if (rc == 0)
				c->sdp_refused = x.why;
			return rc != 0 ? rc : x.error;
		}
	}
	if (cp_media_has_leg(c->media, IN))
		return 0;
	caller = cp_media_sdp(c->media, IN);
	return cp_media_port(c->media, IN, caller->remote_known ? caller->remote_family :
			     c->sig_family);
}

/*
 * A response of the callee's with SDP on an anchored call: rewritten for the caller; an answer
 * installs the session and the response waits for its READY (RFC 3264 answers reach the caller
 * once the first packet after them would be relayed).
 */
static void media_response(struct call *c, sip_t const *sip, int status)
{
	enum cp_sdp_kind kind = c->sdp.pl != NULL ? CP_SDP_ANSWER : CP_SDP_OFFER;
	struct cp_sdp_xlate x;
	struct cp_sdp sdp;
	int64_t seq = 0;

	if (cp_sdp_relay(c->home, sip, CP_SDP_TO_CALLER, xlate(c, OUT, kind, &x), &sdp) != 0) {
		media_failed(c, 500, "Internal Error");
		return;
	}
	if (x.error != 0) {
		media_failed(c, 488, x.why);
		return;
	}
	if (sdp.pl != NULL && kind == CP_SDP_ANSWER) {
		latch_callee(c);
		seq = media_update(c);
		if (seq < 0)
			return;
	}
	hold_or_send(c, status, sip->sip_status->st_phrase, &sdp, (uint32_t)seq);
}

/* A reliable provisional is PRACKed on its fork's early dialog, against that fork's tagged
 * INVITE, with its RSeq (RFC 3262 4, 7.2): each fork has its own RSeq space. */
static void prack(struct call *c, sip_t const *sip)
{
	struct fork *f = fork_early(c, sip);

	if (f == NULL || f->leg == NULL) {
		cp_log(CP_WARN, "call %s: a reliable %u of fork %s not PRACKed (no dialog)",
		       c->cdr.call_id_in, sip->sip_status->st_status, sip->sip_to->a_tag);
		return;
	}
	nta_outgoing_destroy(nta_outgoing_prack(f->leg, f->orq, NULL, NULL, NULL, sip,
						TAG_END()));
}

static void callee_provisional(struct call *c, sip_t const *sip, int status)
{
	struct cp_sdp sdp;

	early_dialog(c, sip);
	if (sip->sip_to->a_tag != NULL)
		fork_early(c, sip);
	/* RFC 3262 hop by hop: PRACK the callee ourselves, relay the response unreliably */
	if (sip->sip_rseq != NULL && sip->sip_require != NULL &&
	    sip_has_feature(sip->sip_require, "100rel") && sip->sip_to->a_tag != NULL)
		prack(c, sip);
	if (c->canceled || c->irq == NULL)
		return;
	if (anchored(c)) {
		media_response(c, sip, status);
		return;
	}
	cp_sdp_relay(NULL, sip, CP_SDP_TO_CALLER, NULL, &sdp);
	to_caller(c, status, sip->sip_status->st_phrase, &sdp);
}

/* The callee's answer reaches the caller: the call is up. */
static void forward_answer(struct call *c, int status, const char *phrase,
			   const struct cp_sdp *sdp)
{
	char se[32];

	c->answer_pending = false;
	ack_deferred(c);
	c->state = ANSWERED;
	c->cdr.answer_ns = sbc_now_ns();
	b2b.st.answered++;
	snprintf(se, sizeof(se), "%u;refresher=uac", c->se_delta);
	/* RFC 4028 9: the caller asked for a session timer: it refreshes, we require it */
	nta_incoming_treply(c->irq, status, phrase, SIPTAG_CONTACT(cp_sip_contact()),
			    TAG_IF(c->se_delta, SIPTAG_SESSION_EXPIRES_STR(se)),
			    TAG_IF(c->se_delta, SIPTAG_REQUIRE_STR("timer")),
			    TAG_IF(sdp->ct, SIPTAG_CONTENT_TYPE(sdp->ct)),
			    TAG_IF(sdp->pl, SIPTAG_PAYLOAD(sdp->pl)), TAG_END());
	c->cdr.code = status;
	session_timer(c, c->se_delta);
}

/* A provisional or the 2xx of the callee's, to the caller. */
static void to_caller(struct call *c, int status, const char *phrase, const struct cp_sdp *sdp)
{
	if (c->canceled || c->irq == NULL)
		return;
	if (status >= 200) {
		forward_answer(c, status, phrase, sdp);
		return;
	}
	nta_incoming_treply(c->irq, status, phrase, SIPTAG_CONTACT(cp_sip_contact()),
			    TAG_IF(sdp->ct, SIPTAG_CONTENT_TYPE(sdp->ct)),
			    TAG_IF(sdp->pl, SIPTAG_PAYLOAD(sdp->pl)), TAG_END());
}

static void callee_answered(struct call *c, sip_t const *sip)
{
	const char *rtag = nta_leg_get_rtag(c->leg[OUT]);
	struct cp_sdp sdp;

	if ((c->state != CALLING || c->answer_pending) && rtag != NULL &&
	    sip->sip_to != NULL && sip->sip_to->a_tag != NULL &&
	    strcasecmp(rtag, sip->sip_to->a_tag) != 0) {
		fork_hangup(c, sip);	/* another fork's, after the one the call took */
		return;
	}
	if (c->state == CALLING && !c->answer_pending)
		answering_dialog(c, sip);
	early_dialog(c, sip);
	if (c->state == CALLING && (c->canceled || c->irq == NULL)) {	/* the caller gave up */
		send_ack(c, OUT, sip);
		send_bye(c, OUT);
		call_end(c, 487, "caller");
		return;
	}
	if (c->state != CALLING || c->answer_pending) {
		/* a retransmitted 2xx: ACKed again unless its ACK waits */
		if (c->ack_cseq == NULL && c->ack_after == NULL)
			send_ack(c, OUT, sip);
		return;
	}
	ack_callee(c, sip);
	c->answer_pending = true;
	cp_route_last_code((unsigned int)c->trunk_out, sip->sip_status->st_status);
	if (anchored(c)) {
		media_response(c, sip, sip->sip_status->st_status);
		return;
	}
	cp_sdp_relay(NULL, sip, CP_SDP_TO_CALLER, NULL, &sdp);
	hold_or_send(c, sip->sip_status->st_status, sip->sip_status->st_phrase, &sdp, 0);
}

/* A final failure from the callee: the next trunk, or the caller's one final answer. */
static void callee_failed(struct call *c, sip_t const *sip, int status)
{
	bool timeout = sip == NULL || nta_sip_is_internal(sip);
	int to = c->trunk_out;

	release_out(c);
	cp_route_last_code((unsigned int)to, status);
	if (c->canceled) {
		call_end(c, 487, "caller");
		return;
	}
	if (cp_route_fails_over((unsigned int)to, status)) {
		b2b.st.failovers++;
		c->cdr.code = status;
		try_next(c);
		return;
	}
	/* RFC 3261 16.7 step 6 in spirit: 3xx is not followed; its Contact stays behind */
	answer_caller(c, status, sip && sip->sip_status ? sip->sip_status->st_phrase : NULL,
		      NULL);
	call_end(c, status, timeout ? "timeout" : "callee");
}

static int on_invite_response(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
			      sip_t const *sip)
{
	struct call *c = (struct call *)magic;
	int status = nta_outgoing_status(orq);
	struct fork *f;

	for (f = c->forks; f != NULL && f->orq != orq; f = f->next)
		;
	if (c->orq != orq && f == NULL)
		return 0;	/* an earlier attempt's late answer */
	if (status >= 300 && c->final)
		return 0;	/* a fork's end (Timer D's 408) after the INVITE's final */
	c->resp_orq = orq;
	if (status < 200) {
		if (status > 100 && sip != NULL)
			callee_provisional(c, sip, status);
	} else if (status < 300) {
		c->final = true;
		if (sip != NULL)
			callee_answered(c, sip);
	} else {
		c->final = true;
		callee_failed(c, sip, status);
	}
	return 0;	/* c may be gone (call_end) */
}

/*
 * Max-Forwards for the next leg: the request's one less, MAX_FORWARDS when it has none; -1 when
 * it arrived with 0 (483 Too Many Hops). RFC 3261 16.6 step 3 binds proxies, but a B2BUA that
 * set it back to 70 would let a call loop through it (or through two SBCs) for ever.
 */
static int next_max_forwards(sip_t const *sip, char *buf, size_t len)
{
	unsigned long mf = sip->sip_max_forwards ? sip->sip_max_forwards->mf_count :
			   MAX_FORWARDS + 1ul;

	if (mf == 0)
		return -1;
	if (mf > 256)	/* 20.22: 0-255; a bigger one is read as 255 */
		mf = 256;
	snprintf(buf, len, "%u", (unsigned int)(mf - 1));
	return 0;
}

/* A target reached over TLS only: sips:, or ;transport=tls. */
static bool tls_target(const url_t *u)
{
	char t[8];

	return u->url_type == url_sips ||
	       (url_param(u->url_params, "transport", t, sizeof(t)) > 0 && strcasecmp(t, "tls") == 0);
}

/* The callee's leg of one attempt: a new dialog (Call-ID, From tag) towards trunk `to`.
 * -EPERM: an srtp = sdes trunk whose registered contact is not reached over TLS (our keys
 * would go out in clear; a configured uri is checked at start-up). */
static int send_invite(struct call *c, int to)
{
	/* a digest trunk's calls go to its registered contact (cp_registrar), as it is */
	url_t *bound = b2b.cfg->trunks[to].auth != SBC_AUTH_IP ?
		       cp_registrar_contact(c->home, (unsigned int)to, c->ruser) : NULL;
	const url_t *target = bound != NULL ? bound : b2b.uri[to];
	sip_call_id_t *id;
	sip_from_t *from;
	sip_to_t *tohdr;
	struct cp_sdp offer;
	int rc;

	if (target == NULL)
		return -ENOENT;		/* no binding (and no uri) */
	if (b2b.cfg->trunks[to].srtp == SBC_SRTP_MODE_SDES && !tls_target(target))
		return -EPERM;
	rc = offer_for(c, to, &offer);
	if (rc != 0)
		return rc;
	url_t ruri = *target, turi = *target, furi = *cp_sip_contact()->m_url;
	id = sip_call_id_create(c->home, cp_sip_host());
	if (id == NULL)
		return -ENOMEM;
	copy_str(c->cdr.call_id_out, sizeof(c->cdr.call_id_out), id->i_id);
	if (bound == NULL)
		ruri.url_user = c->ruser;
	turi.url_user = c->to->a_url->url_user;
	turi.url_params = turi.url_headers = NULL;
	furi.url_user = c->from->a_url->url_user;
	furi.url_port = NULL;
	from = sip_from_create(c->home, (url_string_t *)&furi);
	tohdr = sip_to_create(c->home, (url_string_t *)&turi);
	if (from == NULL || tohdr == NULL)
		return -ENOMEM;
	from->a_display = c->from->a_display;
	tohdr->a_display = c->to->a_display;
	c->leg[OUT] = nta_leg_tcreate(cp_sip_agent(), leg_request, (nta_leg_magic_t *)c,
				      SIPTAG_CALL_ID(id), SIPTAG_FROM(from), SIPTAG_TO(tohdr),
				      TAG_END());
	if (c->leg[OUT] == NULL || nta_leg_tag(c->leg[OUT], NULL) == NULL)
		return -ENOMEM;
	c->final = false;
	c->orq = nta_outgoing_tcreate(c->leg[OUT], on_invite_response, (nta_outgoing_magic_t *)c,
				      NULL, SIP_METHOD_INVITE, (url_string_t *)&ruri,
				      SIPTAG_MAX_FORWARDS_STR(c->max_forwards),
				      SIPTAG_CONTACT(cp_sip_contact()),
				      TAG_IF(offer.ct, SIPTAG_CONTENT_TYPE(offer.ct)),
				      TAG_IF(offer.pl, SIPTAG_PAYLOAD(offer.pl)), TAG_END());
	return c->orq != NULL ? 0 : -EIO;
}

static void note_tried(struct call *c, int to)
{
	const char *name = b2b.cfg->trunks[to].name;
	size_t n = strlen(c->cdr.tried);

	snprintf(c->cdr.tried + n, sizeof(c->cdr.tried) - n, "%s%s", n ? "," : "", name);
	copy_str(c->cdr.trunk_out, sizeof(c->cdr.trunk_out), name);
}

/* The next usable trunk of the route, or the caller's final answer when none is left. */
static void try_next(struct call *c)
{
	unsigned int skipped = 0;
	int to;

	if (c->leg[OUT] != NULL) {
		nta_leg_destroy(c->leg[OUT]);
		c->leg[OUT] = NULL;
	}
	c->held = NULL;		/* an earlier attempt's responses never reach the caller */
	while ((to = cp_route_next((unsigned int)c->trunk_in, &c->pos, &skipped)) >= 0) {
		c->trunk_out = to;
		int rc = send_invite(c, to);

		if (rc == 0) {	/* tried: an INVITE went there (a trunk skipped is not) */
			note_tried(c, to);
			break;
		}
		if (c->leg[OUT] != NULL)
			nta_leg_destroy(c->leg[OUT]);
		c->leg[OUT] = NULL;
		if (rc == -ENOSPC) {	/* no media port: no other trunk has one either */
			c->media_fail = true;	/* counted by cp_media (media_no_port) */
			refuse(c, 503, "No Media Port Available", "sbc");
			return;
		}
		if (rc == -EPERM) {	/* its keys would go in clear: skip it, as a down trunk */
			b2b.st.srtp_no_tls++;
			cp_log(CP_DEBUG, "call %s: %s's contact is not over TLS (srtp = sdes)",
			       c->cdr.call_id_in, b2b.cfg->trunks[to].name);
			continue;
		}
		if (rc == -ENOMSG || rc == -EPROTONOSUPPORT || rc == -EAFNOSUPPORT ||
		    rc == -EBADMSG) {
			if (c->sdp_refused == NULL)	/* another trunk may take it */
				c->sdp_refused = "Not Acceptable Here";
			continue;
		}
		cp_log(rc == -ENOENT ? CP_DEBUG : CP_WARN, "call %s: %s %s", c->cdr.call_id_in,
		       rc == -ENOENT ? "no registered contact on" : "cannot send the INVITE to",
		       b2b.cfg->trunks[to].name);
	}
	if (to < 0 && c->sdp_refused && c->cdr.code < 300) {
		b2b.st.sdp_rejected++;	/* RFC 3261 21.4.26: nothing here takes this offer */
		c->media_fail = true;
		refuse(c, 488, c->sdp_refused, "sbc");
		return;
	}
	if (to < 0) {
		/* tried before: its last answer; nothing usable at all: 503 with Retry-After */
		int code = c->cdr.code >= 300 ? c->cdr.code : 503;

		refuse(c, code, c->cdr.code >= 300 ? NULL : "No Trunk Available",
		       c->cdr.code >= 300 ? (code == 408 ? "timeout" : "callee") : "sbc");
		return;
	}
	c->counted = true;
	b2b.st.calls_out++;
	cp_route_call_out((unsigned int)to, 1);
}

/* ------------------------------------------------------------------------------------------ */
/* The caller's leg */

/*
 * RFC 3264 late offer: the caller's ACK carries the answer to the callee's offer in its 2xx;
 * the callee's ACK carries it on (rewritten on an anchored call, whose session it then
 * installs: nothing waits for that one). -1 when the call failed with it.
 */
static int late_answer(struct call *c, sip_cseq_t const *cseq, sip_t const *sip)
{
	struct cp_sdp_xlate x;
	struct cp_sdp sdp = { 0 };

	if (sip == NULL || !anchored(c)) {
		send_ack_body(c, OUT, cseq, sip);
		return 0;
	}
	if (cp_sdp_relay(c->home, sip, CP_SDP_TO_CALLEE, xlate(c, IN, CP_SDP_ANSWER, &x),
			 &sdp) != 0 || x.error != 0) {
		send_ack_body(c, OUT, cseq, NULL);
		media_failed(c, x.error != 0 ? 488 : 500, x.why);
		return -1;
	}
	nta_outgoing_destroy(nta_outgoing_tcreate(c->leg[OUT], NULL, NULL, NULL, SIP_METHOD_ACK,
						  NULL, SIPTAG_CSEQ(cseq),
						  TAG_IF(sdp.ct, SIPTAG_CONTENT_TYPE(sdp.ct)),
						  TAG_IF(sdp.pl, SIPTAG_PAYLOAD(sdp.pl)), TAG_END()));
	return sdp.pl != NULL && media_update(c) < 0 ? -1 : 0;
}

/* ACK or CANCEL of the caller's INVITE, or sip NULL: no ACK came for our 2xx (13.3.1.4). */
static int on_caller_ack_cancel(nta_incoming_magic_t *magic, nta_incoming_t *irq,
				sip_t const *sip)
{
	struct call *c = (struct call *)magic;

	if (c->irq != irq)
		return 0;
	nta_incoming_destroy(irq);
	c->irq = NULL;
	if (c->ack_cseq != NULL && (sip == NULL || sip->sip_request->rq_method == sip_method_ack)) {
		sip_cseq_t *cseq = c->ack_cseq;

		c->ack_cseq = NULL;
		if (late_answer(c, cseq, sip) != 0)
			return 0;	/* the call failed with it */
	}
	if (sip != NULL && sip->sip_request->rq_method == sip_method_ack)
		return 0;	/* the call is up on both legs */
	if (sip != NULL && sip->sip_request->rq_method == sip_method_cancel) {
		/* RFC 3261 9.2: nta has sent 200 to the CANCEL and sends 487 to the INVITE */
		c->canceled = true;
		c->cdr.code = 487;
		c->cdr.ended_by = "caller";
		if (invite_pending(c)) {
			nta_outgoing_cancel(c->orq);
			return 0;
		}
		if (c->answer_pending) {	/* the callee's 2xx waited for its media */
			ack_deferred(c);
			send_bye(c, OUT);
		}
		call_end(c, 487, "caller");
		return 0;
	}
	send_bye(c, OUT);	/* no ACK: the session never came up on the caller's side */
	send_bye(c, IN);
	call_end(c, c->cdr.code, "timeout");
	return 0;
}

/* The source of a request as a trunk, or -ENOENT. */
static int trunk_of(nta_incoming_t *irq)
{
	msg_t *msg = nta_incoming_getrequest(irq);
	uint8_t family, addr[16];
	int t = source_of(msg, &family, addr) == 0 ? cp_route_trunk_of(family, addr) : -ENOENT;

	msg_destroy(msg);
	return t;
}

/* What every INVITE of the route carries over from the caller's (RFC 3261 8.1.1). */
static int keep_request(struct call *c, sip_t const *sip)
{
	c->ruser = su_strdup(c->home, sip->sip_request->rq_url->url_user);
	c->from = sip_from_dup(c->home, sip->sip_from);
	c->to = sip_to_dup(c->home, sip->sip_to);
	if (c->ruser == NULL || c->from == NULL || c->to == NULL ||
	    cp_sdp_relay(c->home, sip, CP_SDP_TO_CALLEE, NULL, &c->sdp) != 0)
		return -ENOMEM;
	c->se_delta = timer_asked(sip);
	copy_str(c->cdr.call_id_in, sizeof(c->cdr.call_id_in), sip->sip_call_id->i_id);
	copy_str(c->cdr.from, sizeof(c->cdr.from), sip->sip_from->a_url->url_user);
	copy_str(c->cdr.to, sizeof(c->cdr.to), sip->sip_to->a_url->url_user);
	copy_str(c->cdr.trunk_in, sizeof(c->cdr.trunk_in), b2b.cfg->trunks[c->trunk_in].name);
	return 0;
}

/* The caller's dialog (12.1.1): our tag on every response, our Contact as its target. */
static int open_caller_leg(struct call *c, nta_incoming_t *irq, sip_t const *sip)
{
	c->leg[IN] = nta_leg_tcreate(cp_sip_agent(), leg_request, (nta_leg_magic_t *)c,
				     SIPTAG_CALL_ID(sip->sip_call_id), SIPTAG_FROM(sip->sip_to),
				     SIPTAG_TO(sip->sip_from), TAG_END());
	if (c->leg[IN] == NULL || nta_leg_tag(c->leg[IN], NULL) == NULL ||
	    nta_incoming_tag(irq, nta_leg_get_tag(c->leg[IN])) == NULL ||
	    nta_leg_server_route(c->leg[IN], sip->sip_record_route, sip->sip_contact) < 0)
		return -ENOMEM;
	c->irq = irq;
	nta_incoming_bind(irq, on_caller_ack_cancel, (nta_incoming_magic_t *)c);
	return 0;
}

/* Why a new INVITE cannot be a call (400 with a reason phrase), or NULL. */
static const char *bad_invite(sip_t const *sip)
{
	if (sip->sip_request->rq_url->url_user == NULL)
		return "Missing Request-URI User";
	if (sip->sip_from == NULL || sip->sip_from->a_url->url_user == NULL)
		return "Missing From User";
	if (sip->sip_to == NULL || sip->sip_to->a_url->url_user == NULL)
		return "Missing To User";
	if (sip->sip_call_id == NULL || sip->sip_from->a_tag == NULL)
		return "Missing Call-ID or From Tag";
	return NULL;
}

/* The transport the request really came over (not what its Via claims). */
static uint8_t transport_of(nta_incoming_t *irq)
{
	tport_t *tp = nta_incoming_transport(cp_sip_agent(), irq, NULL);
	const tp_name_t *n = tp ? tport_name(tp) : NULL;
	uint8_t t = SBC_TP_UDP;

	if (n != NULL && n->tpn_proto != NULL) {
		if (strcasecmp(n->tpn_proto, "tls") == 0)
			t = SBC_TP_TLS;
		else if (strcasecmp(n->tpn_proto, "tcp") == 0)
			t = SBC_TP_TCP;
	}
	tport_unref(tp);
	return t;
}

/* A cap's 503 (RFC 3261 21.5.4) with the configured Retry-After, as the data plane sends. */
static void refuse_cap(struct call *c, const char *by)
{
	char ra[16];

	c->cap_refused = true;
	snprintf(ra, sizeof(ra), "%u", b2b.cfg->retry_after);
	answer_caller(c, 503, "Service Unavailable",
		      (tagi_t[]){ { SIPTAG_RETRY_AFTER_STR(ra) }, { TAG_END() } });
	call_end(c, 503, by);
}

/*
 * The data plane's verdict on a TCP/TLS call (v NULL: no answer in time, fail closed). Over a
 * cap: 503 with Retry-After, also with over_limit = drop (see README: silence on a stream only
 * keeps the transaction and the connection busy). A resend of a call admitted before (same
 * Call-ID, another branch): 482, as nta answers a merged request (RFC 3261 8.2.2.2).
 */
static void on_admission(void *arg, const struct sbc_msg_admit_verdict *v)
{
	struct call *c = arg;

	c->admit = NULL;
	if (v == NULL) {	/* counted by cp_admit (admit_failclosed) */
		refuse_cap(c, "sbc");
		return;
	}
	if (v->verdict != SBC_ADMIT_OK) {
		refuse_cap(c, "sbc");
		return;
	}
	if (v->again) {
		answer_caller(c, 482, "Loop Detected", NULL);
		call_end(c, 482, "sbc");
		return;
	}
	c->admitted = true;
	if (c->irq != NULL)
		nta_incoming_treply(c->irq, SIP_100_TRYING, TAG_END());
	try_next(c);
}

static int ask_admission(struct call *c, sip_t const *sip)
{
	c->admit = cp_admit_ask((unsigned int)c->trunk_in, c->transport, sip->sip_call_id->i_id,
				sip->sip_cseq ? sip->sip_cseq->cs_seq : 0, c->ruser, on_admission,
				c);
	if (c->admit == NULL)	/* no data plane to ask: fail closed (counted there) */
		refuse_cap(c, "sbc");
	return 0;
}

int cp_b2bua_invite(nta_incoming_t *irq, sip_t const *sip)
{
	const char *why = bad_invite(sip);
	int trunk = trunk_of(irq);
	struct call *c;

	char mf[sizeof(c->max_forwards)];

	if (why != NULL) {
		nta_incoming_treply(irq, 400, why, TAG_END());
		return 400;
	}
	if (next_max_forwards(sip, mf, sizeof(mf)) != 0) {
		b2b.st.too_many_hops++;
		nta_incoming_treply(irq, SIP_483_TOO_MANY_HOPS, TAG_END());
		return 483;
	}
	if (trunk < 0 || cp_route_len((unsigned int)trunk) == 0) {
		b2b.st.refused++;
		return 403;	/* no trunk, or a trunk whose calls go nowhere */
	}
	c = su_home_new(sizeof(*c));
	if (c == NULL) {
		nta_incoming_treply(irq, 500, "Internal Error",
				    SIPTAG_RETRY_AFTER_STR(RETRY_AFTER), TAG_END());
		return 500;
	}
	b2b.st.calls++;
	b2b.st.active++;
	c->trunk_in = trunk;
	c->trunk_out = -1;
	c->transport = transport_of(irq);
	memcpy(c->max_forwards, mf, sizeof(mf));
	c->cdr.start_ns = sbc_now_ns();
	if (keep_request(c, sip) != 0 || open_caller_leg(c, irq, sip) != 0) {
		if (c->irq == NULL)
			c->irq = irq;
		refuse(c, 500, "Internal Error", "sbc");
		return 0;
	}
	if (open_media(c, irq, sip->sip_call_id->i_id) != 0) {
		/* its id is a session's still held (or no memory): practically never */
		b2b.st.media_refused++;
		c->media_fail = true;
		refuse(c, 500, "Internal Error", "sbc");
		return 0;
	}
	if (b2b.cfg->trunks[trunk].srtp == SBC_SRTP_MODE_SDES && c->transport != SBC_TP_TLS) {
		/* RFC 4568 8.3: SDES keys only over a secure transport; our answer would carry ours
		 * in clear (the caller's own went so already: its problem, not one to repeat) */
		b2b.st.srtp_no_tls++;
		refuse(c, 403, "SRTP Keys Need TLS", "sbc");
		return 0;
	}
	if (c->se_delta > 0 && c->se_delta < MIN_SE) {	/* RFC 4028 9 */
		answer_caller(c, 422, "Session Interval Too Small",
			      (tagi_t[]){ { SIPTAG_MIN_SE_STR(MIN_SE_STR) }, { TAG_END() } });
		call_end(c, 422, "sbc");
		return 0;
	}
	if (c->transport != SBC_TP_UDP)
		return ask_admission(c, sip);
	nta_incoming_treply(irq, SIP_100_TRYING, TAG_END());
	try_next(c);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* In the dialog: BYE ends the call, the rest is relayed to the other leg */

static void relay_done(struct relay *r)
{
	struct call *c = r->c;

	if (r->orq != NULL)
		nta_outgoing_destroy(r->orq);
	if (r->irq != NULL)
		nta_incoming_destroy(r->irq);
	free(r);
	c->refs--;
	call_free(c);
}

/* The ACK of a relayed re-INVITE's 2xx from its sender (ours went to the other leg). */
static int on_relay_ack(nta_incoming_magic_t *magic, nta_incoming_t *irq, sip_t const *sip)
{
	struct relay *r = (struct relay *)magic;

	(void)irq, (void)sip;
	relay_done(r);
	return 0;
}

/* A relayed request's answer to its sender; a 2xx to an INVITE then waits for its ACK. */
static void relay_forward(struct relay *r, int status, const char *phrase,
			  const struct cp_sdp *sdp)
{
	char se[32];

	snprintf(se, sizeof(se), "%u;refresher=uac", r->se_delta);
	if (r->irq != NULL)
		nta_incoming_treply(r->irq, status, phrase,
				    TAG_IF(status < 300, SIPTAG_CONTACT(cp_sip_contact())),
				    TAG_IF(status < 300 && r->se_delta, SIPTAG_SESSION_EXPIRES_STR(se)),
				    TAG_IF(status < 300 && r->se_delta, SIPTAG_REQUIRE_STR("timer")),
				    TAG_IF(sdp->ct, SIPTAG_CONTENT_TYPE(sdp->ct)),
				    TAG_IF(sdp->pl, SIPTAG_PAYLOAD(sdp->pl)), TAG_END());
	if (status < 200)
		return;
	if (status < 300 && r->to == OUT && r->se_delta > 0)	/* the caller's refresh */
		session_timer(r->c, r->se_delta);
	if (r->invite && status < 300 && r->irq != NULL) {	/* wait for the sender's ACK */
		if (r->orq != NULL)
			nta_outgoing_destroy(r->orq);
		r->orq = NULL;
		nta_incoming_bind(r->irq, on_relay_ack, (nta_incoming_magic_t *)r);
		return;
	}
	relay_done(r);
}

/*
 * The answer to a relayed offer (re-INVITE, UPDATE) on an anchored call: the session takes
 * both legs' new SDP and the answer waits for its READY. 1 when it waits, 0 to send it now,
 * -1 when the call failed with it.
 */
static int relay_hold(struct relay *r, int status, const char *phrase, const struct cp_sdp *sdp)
{
	struct call *c = r->c;
	int64_t seq;

	if (!r->offer || sdp->pl == NULL || status < 200 || status >= 300 || !anchored(c))
		return 0;
	seq = media_update(c);
	if (seq <= 0)
		return seq < 0 ? -1 : 0;
	r->seq = (uint32_t)seq;
	r->status = status;
	r->phrase = su_strdup(c->home, phrase);
	r->sdp = *sdp;
	r->wnext = c->waiting;
	c->waiting = r;
	return 1;
}

static int on_relay_response(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
			     sip_t const *sip)
{
	struct relay *r = (struct relay *)magic;
	struct call *c = r->c;
	int status = nta_outgoing_status(orq);
	const char *phrase = sip && sip->sip_status ? sip->sip_status->st_phrase : NULL;
	struct cp_sdp_xlate x, *xl = xlate(c, r->to, r->offer ? CP_SDP_ANSWER : CP_SDP_OFFER, &x);
	struct cp_sdp sdp = { 0 };
	int held;

	if (status == 100)
		return 0;
	if (sip != NULL)
		cp_sdp_relay(xl ? c->home : NULL, sip,
			     r->to == OUT ? CP_SDP_TO_CALLER : CP_SDP_TO_CALLEE, xl, &sdp);
	if (r->invite && status >= 200 && status < 300 && sip != NULL && c->leg[r->to] != NULL)
		send_ack(c, r->to, sip);
	if (xl != NULL && x.error != 0 && status >= 200 && status < 300) {
		/* its answer cannot be anchored: the session stays as it was, the call ends */
		relay_forward(r, 500, "Internal Error", &(struct cp_sdp){ 0 });
		media_failed(c, 488, x.why);
		return 0;
	}
	held = relay_hold(r, status, phrase, &sdp);
	if (held == 0)
		relay_forward(r, status, phrase, &sdp);
	else if (held < 0)
		relay_forward(r, 500, "Internal Error", &(struct cp_sdp){ 0 });
	return 0;
}

/* BYE from one side (15.1.2): answered at once, passed to the other side, the call ends. */
static int dialog_bye(struct call *c, enum side from)
{
	const char *by = from == IN ? "caller" : "callee";

	if (c->state == CALLING && from == IN) {	/* an early BYE: as a CANCEL */
		c->canceled = true;
		c->cdr.code = 487;
		c->cdr.ended_by = by;
		if (invite_pending(c)) {
			nta_outgoing_cancel(c->orq);
			return 200;
		}
	}
	send_bye(c, from == IN ? OUT : IN);
	call_end(c, c->cdr.code ? c->cdr.code : 200, by);
	return 200;
}

/* Any other request in the dialog: the same method on the other leg, answered as it is. */
static int dialog_relay(struct call *c, enum side from, nta_incoming_t *irq, sip_t const *sip)
{
	enum side to = from == IN ? OUT : IN;
	sip_method_t method = sip->sip_request->rq_method;
	/* RFC 3311 / 3261 14: re-INVITE and UPDATE offer; a PRACK's SDP answers a reliable 18x */
	bool offers = method == sip_method_invite || method == sip_method_update;
	struct cp_sdp_xlate x, *xl = xlate(c, from, offers ? CP_SDP_OFFER : CP_SDP_ANSWER, &x);
	struct relay *r;
	struct cp_sdp sdp;
	char mf[12];

	if (c->leg[to] == NULL || (to == OUT && nta_leg_get_rtag(c->leg[OUT]) == NULL))
		return 481;	/* no dialog on the other side yet */
	if (next_max_forwards(sip, mf, sizeof(mf)) != 0) {
		b2b.st.too_many_hops++;
		nta_incoming_treply(irq, SIP_483_TOO_MANY_HOPS, TAG_END());
		return 483;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		nta_incoming_treply(irq, 500, "Internal Error",
				    SIPTAG_RETRY_AFTER_STR(RETRY_AFTER), TAG_END());
		return 500;
	}
	if (cp_sdp_relay(xl ? c->home : NULL, sip, from == IN ? CP_SDP_TO_CALLEE :
			 CP_SDP_TO_CALLER, xl, &sdp) != 0 || (xl != NULL && x.error != 0)) {
		free(r);
		b2b.st.sdp_rejected++;
		nta_incoming_treply(irq, 488, xl && x.why ? x.why : "Not Acceptable Here",
				    TAG_END());
		return 488;
	}
	r->c = c;
	r->invite = method == sip_method_invite;
	r->offer = offers && sdp.pl != NULL;
	r->se_delta = timer_asked(sip);
	r->to = to;
	r->irq = irq;
	r->orq = nta_outgoing_tcreate(c->leg[to], on_relay_response, (nta_outgoing_magic_t *)r,
				      NULL, sip->sip_request->rq_method,
				      sip->sip_request->rq_method_name, NULL,
				      SIPTAG_MAX_FORWARDS_STR(mf),
				      SIPTAG_CONTACT(cp_sip_contact()),
				      TAG_IF(sdp.ct, SIPTAG_CONTENT_TYPE(sdp.ct)),
				      TAG_IF(sdp.pl, SIPTAG_PAYLOAD(sdp.pl)), TAG_END());
	if (r->orq == NULL) {
		free(r);
		nta_incoming_treply(irq, 500, "Internal Error",
				    SIPTAG_RETRY_AFTER_STR(RETRY_AFTER), TAG_END());
		return 500;
	}
	c->refs++;
	return 0;
}

static int leg_request(nta_leg_magic_t *magic, nta_leg_t *leg, nta_incoming_t *irq,
		       sip_t const *sip)
{
	struct call *c = (struct call *)magic;
	enum side from = leg == c->leg[IN] ? IN : OUT;

	switch (sip->sip_request->rq_method) {
	case sip_method_ack:
		return 200;	/* a 2xx's ACK whose transaction is gone: nothing to send */
	case sip_method_bye:
		return dialog_bye(c, from);
	case sip_method_cancel:
		return 481;
	default:
		if (c->state == ENDED)
			return 481;
		return dialog_relay(c, from, irq, sip);
	}
}

/* ------------------------------------------------------------------------------------------ */

/* The resident size (kB) from /proc/self/statm, or -1. */
static long resident_kb(void)
{
	long size, resident = -1;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/*
 * Memory back after a burst. nta keeps each transaction about 32 s (Timers J, K, D), so a burst
 * grows the heap (~100 MB at 200 CPS); when its transactions end, what is still in use falls
 * back to about 1 MB, scattered over that heap. glibc keeps the free pages; malloc_trim hands
 * them back. A page handed back comes back when a later allocation lands on it (an OPTIONS
 * ping, a call record, the next call), so trimming for a fixed time after the last call left
 * the process ~2 MB (+15 %) bigger a minute later. So: trim while calls come, while the
 * burst's transactions end (the heap in use fell by TRIM_FREED_KB since the last trim), and
 * after, whenever the resident size grew by TRIM_GROWN_KB (one statm read and one mallinfo2
 * per tick).
 */
static void on_trim(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	struct mallinfo2 mi = mallinfo2();
	long now_kb = resident_kb();

	(void)magic, (void)t, (void)arg;
	if (b2b.st.calls == b2b.trim_calls && now_kb >= 0 &&
	    now_kb < b2b.trimmed_kb + TRIM_GROWN_KB &&
	    mi.uordblks + TRIM_FREED_KB * 1024 > b2b.trimmed_inuse)
		return;
	b2b.trim_calls = b2b.st.calls;
	malloc_trim(0);
	b2b.trimmed_kb = resident_kb();
	b2b.trimmed_inuse = mi.uordblks;
}

int cp_b2bua_init(struct su_root_s *root, const struct sbc_config *cfg)
{
	memset(&b2b, 0, sizeof(b2b));
	b2b.cfg = cfg;
	su_home_init(b2b.home);
	b2b.uri = su_zalloc(b2b.home, (cfg->n_trunks + 1) * sizeof(*b2b.uri));
	b2b.root = root;
	b2b.trim = su_timer_create(su_root_task(root), TRIM_MS);
	if (b2b.uri == NULL || b2b.trim == NULL || su_timer_set_for_ever(b2b.trim, on_trim, NULL) < 0)
		return -ENOMEM;
	for (unsigned int i = 0; i < cfg->n_trunks; i++) {
		if (cfg->trunks[i].uri[0] == '\0')
			continue;
		b2b.uri[i] = url_make(b2b.home, cfg->trunks[i].uri);
		if (b2b.uri[i] == NULL || b2b.uri[i]->url_host == NULL) {
			cp_log(CP_ERR, "%s: [trunk %s] uri '%s' is not a SIP URI", cfg->path,
			       cfg->trunks[i].name, cfg->trunks[i].uri);
			return -EINVAL;
		}
	}
	return 0;
}

void cp_b2bua_stop(void)
{
	if (b2b.trim != NULL)
		su_timer_destroy(b2b.trim);
	b2b.trim = NULL;
}

void cp_b2bua_fini(void)
{
	su_home_deinit(b2b.home);
	memset(&b2b, 0, sizeof(b2b));
}
