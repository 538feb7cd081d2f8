/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admission over the channel (see cp_admit.h). Requests wait in a list in the order they were
 * sent; the data plane answers in that order, so a verdict nearly always matches the head.
 * While any request waits, a timer drains the event ring (the channel's own tick is 10 ms: too
 * slow for a call's first answer): at every loop turn for the first 2 ms of a request, then
 * every millisecond; and it fails closed the requests past their wait. A request
 * that timed out stays listed a while longer (LATE_KEEP_MS): if its verdict still comes and
 * says admitted, the slot is given back at once, so the data plane's count does not drift.
 * Runs on the su_root thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/su_wait.h>

#include "cp_admit.h"
#include "cp_chan.h"
#include "cp_log.h"

#define POLL_MS 1
#define SPIN_NS 2000000ull	/* poll at every loop turn this long after a request */
#define LATE_KEEP_MS 10000

struct cp_admit_req {
	struct cp_admit_req *next, *prev;
	uint64_t ref;
	uint64_t sent_ns, deadline_ns;	/* asked at; fail closed after (CLOCK_MONOTONIC) */
	cp_admit_cb *cb;		/* NULL: forgotten or timed out */
	void *arg;
	bool timed_out;
	struct sbc_msg_admit a;		/* what was asked: to give a late admission back */
};

static struct {
	const struct sbc_config *cfg;
	su_root_t *root;
	su_timer_t *timer;
	bool armed;
	uint64_t next_ref;
	struct cp_admit_req *head, *tail;
	struct cp_admit_stats st;
} ad;

const struct cp_admit_stats *cp_admit_stats(void)
{
	return &ad.st;
}

static void unlink_req(struct cp_admit_req *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		ad.head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		ad.tail = r->prev;
	free(r);
}

static void fill(struct sbc_msg_admit *a, unsigned int trunk, uint8_t transport,
		 const char *call_id)
{
	size_t n = strlen(call_id);

	memset(a, 0, sizeof(*a));
	a->trunk = (uint16_t)trunk;
	a->transport = transport;
	a->call_id_len = (uint16_t)(n < SBC_CALL_ID_MAX ? n : SBC_CALL_ID_MAX);
	memcpy(a->call_id, call_id, a->call_id_len);
}

void cp_admit_end(unsigned int trunk, uint8_t transport, const char *call_id, uint8_t reason)
{
	struct sbc_msg_admit a;

	fill(&a, trunk, transport, call_id);
	a.end_reason = reason;
	cp_chan_send(SBC_CMD_ADMIT_END, &a, sizeof(a));
}

static void poll_tick(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg);

/*
 * The next poll: at the loop's next turn while the youngest waiting request is younger than
 * SPIN_NS (a verdict takes tens of microseconds when the data plane's main lcore gets its core),
 * then every POLL_MS (Sofia's timers count whole milliseconds: a 1 ms timer alone made every
 * call wait 1-2 ms, measured in tcpcaps_e2e), so a data plane that does not answer costs no
 * spinning core for the whole admit_wait_ms.
 */
static void arm(void)
{
	bool fresh;

	if (ad.armed || ad.head == NULL)
		return;
	fresh = sbc_mono_ns() - ad.tail->sent_ns < SPIN_NS;	/* the youngest request */
	if (su_timer_set_interval(ad.timer, poll_tick, NULL, fresh ? 0 : POLL_MS) == 0)
		ad.armed = true;
}

static void fail_closed(struct cp_admit_req *r)
{
	cp_admit_cb *cb = r->cb;

	r->timed_out = true;
	r->cb = NULL;
	ad.st.failclosed++;
	if (cb)
		cb(r->arg, NULL);
}

static void poll_tick(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	uint64_t now = sbc_mono_ns();
	struct cp_admit_req *r, *next;

	(void)magic, (void)t, (void)arg;
	ad.armed = false;
	cp_chan_poll_events();	/* verdicts: cp_admit_verdict() */
	for (r = ad.head; r != NULL; r = next) {
		next = r->next;
		if (now < r->deadline_ns)
			continue;
		if (!r->timed_out && r->cb != NULL) {
			fail_closed(r);
			r->deadline_ns = now + LATE_KEEP_MS * 1000000ull;
		} else {
			unlink_req(r);	/* no verdict at all: the data plane went away */
		}
	}
	arm();
}

struct cp_admit_req *cp_admit_ask(unsigned int trunk, uint8_t transport, const char *call_id,
				  uint32_t cseq, const char *ruri_user, cp_admit_cb *cb, void *arg)
{
	struct cp_admit_req *r;
	size_t ul = ruri_user ? strlen(ruri_user) : 0;

	ad.st.asked++;
	if (!cp_chan_ready() || (r = calloc(1, sizeof(*r))) == NULL) {
		ad.st.failclosed++;
		return NULL;
	}
	fill(&r->a, trunk, transport, call_id);
	r->a.cseq = cseq;
	r->a.ref = r->ref = ++ad.next_ref;
	if (ul > 0 && ul <= SBC_RUSER_MAX) {	/* longer: no emergency number anyway */
		r->a.ruri_user_len = (uint8_t)ul;
		memcpy(r->a.ruri_user, ruri_user, ul);
	}
	r->cb = cb;
	r->arg = arg;
	r->sent_ns = sbc_mono_ns();
	r->deadline_ns = r->sent_ns + (uint64_t)ad.cfg->admit_wait_ms * 1000000ull;
	r->prev = ad.tail;
	if (ad.tail)
		ad.tail->next = r;
	else
		ad.head = r;
	ad.tail = r;
	cp_chan_send(SBC_CMD_ADMIT, &r->a, sizeof(r->a));
	arm();
	return r;
}

void cp_admit_forget(struct cp_admit_req *r)
{
	if (r != NULL)
		r->cb = NULL;
}

/* Admitted, but nobody waits any more (timed out: 503 sent; or the caller went): free it. */
static void give_back(const struct cp_admit_req *r)
{
	struct sbc_msg_admit a = r->a;

	a.end_reason = SBC_CALL_END_FLUSHED;
	cp_chan_send(SBC_CMD_ADMIT_END, &a, sizeof(a));
}

void cp_admit_verdict(const struct sbc_msg *m)
{
	const struct sbc_msg_admit_verdict *v = (const void *)m->body;
	struct cp_admit_req *r;
	cp_admit_cb *cb;

	for (r = ad.head; r != NULL && r->ref != v->ref; r = r->next)
		;
	if (r == NULL)
		return;		/* a verdict for a request we no longer hold (an earlier run's) */
	ad.st.answered[v->verdict]++;
	cb = r->cb;
	if (r->timed_out) {
		ad.st.late++;
	} else {
		ad.st.in_time++;
		ad.st.wait_ns += sbc_mono_ns() - r->sent_ns;
	}
	if (cb == NULL && v->verdict == SBC_ADMIT_OK && !v->again)
		give_back(r);
	if (cb != NULL)
		cb(r->arg, v);
	unlink_req(r);
}

int cp_admit_init(su_root_t *root, const struct sbc_config *cfg)
{
	memset(&ad, 0, sizeof(ad));
	ad.cfg = cfg;
	ad.root = root;
	ad.timer = su_timer_create(su_root_task(root), POLL_MS);
	return ad.timer != NULL ? 0 : -ENOMEM;
}

void cp_admit_fini(void)
{
	while (ad.head != NULL)
		unlink_req(ad.head);
	if (ad.timer != NULL)
		su_timer_destroy(ad.timer);
	ad.timer = NULL;
}
