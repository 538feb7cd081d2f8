/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Trunk health: every options_interval seconds each pinged trunk gets an OPTIONS (RFC 3261
 * 11.1) on a dialog of its own (a new Call-ID and From tag each time). A ping still unanswered
 * when the next is due is a miss (nta's own 408/503 for a timeout or an unreachable target are
 * misses too, not answers); options_misses consecutive misses make the trunk down, the first
 * answer of any status brings it up (cp_route). Runs on the su_root thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_wait.h>

#include "cp_health.h"
#include "cp_log.h"
#include "cp_route.h"
#include "cp_sip.h"

struct ping {
	unsigned int trunk;
	su_timer_t *timer;
	nta_leg_t *leg;
	nta_outgoing_t *orq;
	bool answered;		/* the ping in flight got an answer */
};

static struct {
	const struct sbc_config *cfg;
	struct ping *p;
	unsigned int n;
} hl;

static void ping_clear(struct ping *p)
{
	if (p->orq != NULL)
		nta_outgoing_destroy(p->orq);
	if (p->leg != NULL)
		nta_leg_destroy(p->leg);
	p->orq = NULL;
	p->leg = NULL;
}

static int on_options_response(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
			       sip_t const *sip)
{
	struct ping *p = (struct ping *)magic;
	int status = nta_outgoing_status(orq);
	bool was_up = cp_route_trunk(p->trunk)->up;

	if (status < 200 || p->orq != orq)
		return 0;
	if (sip == NULL || nta_sip_is_internal(sip))
		return 0;	/* nta's own timeout or transport error: counted at the next tick */
	p->answered = true;
	cp_route_options_answer(p->trunk, status);
	if (!was_up)
		cp_log(CP_INFO, "trunk %s: up (OPTIONS answered %d)", hl.cfg->trunks[p->trunk].name,
		       status);
	return 0;
}

static void ping_send(struct ping *p)
{
	const struct sbc_trunk_config *t = &hl.cfg->trunks[p->trunk];
	char from[160];

	snprintf(from, sizeof(from), "<sip:sbc@%s>", cp_sip_host());
	p->answered = false;
	p->leg = nta_leg_tcreate(cp_sip_agent(), NULL, NULL, SIPTAG_FROM_STR(from),
				 SIPTAG_TO_STR(t->uri), TAG_END());
	if (p->leg == NULL || nta_leg_tag(p->leg, NULL) == NULL) {
		ping_clear(p);
		return;
	}
	p->orq = nta_outgoing_tcreate(p->leg, on_options_response, (nta_outgoing_magic_t *)p,
				      NULL, SIP_METHOD_OPTIONS, (url_string_t *)t->uri,
				      SIPTAG_MAX_FORWARDS_STR("70"), TAG_END());
}

/* Each interval: the last ping answered or missed, then a new one. */
static void on_tick(su_root_magic_t *magic, su_timer_t *timer, su_timer_arg_t *arg)
{
	struct ping *p = (struct ping *)arg;
	struct cp_route_trunk *rt = cp_route_trunk(p->trunk);

	(void)magic, (void)timer;
	if (p->leg != NULL && !p->answered) {
		bool was_up = rt->up;

		cp_route_options_miss(p->trunk);
		if (was_up && !rt->up)
			cp_log(CP_WARN, "trunk %s: down (%u OPTIONS unanswered)",
			       hl.cfg->trunks[p->trunk].name, rt->misses);
	}
	ping_clear(p);
	ping_send(p);
}

int cp_health_start(struct su_root_s *root, const struct sbc_config *cfg)
{
	memset(&hl, 0, sizeof(hl));
	hl.cfg = cfg;
	hl.p = calloc(cfg->n_trunks ? cfg->n_trunks : 1, sizeof(*hl.p));
	if (hl.p == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < cfg->n_trunks; i++) {
		const struct sbc_trunk_config *t = &cfg->trunks[i];
		struct ping *p = &hl.p[hl.n];

		if (t->uri[0] == '\0' || t->options_interval == 0)
			continue;
		p->trunk = i;
		p->timer = su_timer_create(su_root_task(root), t->options_interval * 1000);
		if (p->timer == NULL || su_timer_set_for_ever(p->timer, on_tick, p) < 0)
			return -ENOMEM;
		hl.n++;
		ping_send(p);	/* the first at once */
	}
	return 0;
}

void cp_health_stop(void)
{
	for (unsigned int i = 0; i < hl.n; i++) {
		ping_clear(&hl.p[i]);
		su_timer_destroy(hl.p[i].timer);
	}
	free(hl.p);
	memset(&hl, 0, sizeof(hl));
}
