/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's status for the stats socket: each role's counters in the
 * SBC_CMD_CP_STATUS, SBC_CMD_CP_CALLS, SBC_CMD_CP_MEDIA and SBC_CMD_CP_REGISTRAR bodies (the
 * data plane shows them as cp_* in /sbc/channel, and the media pools' free ports in
 * /sbc/media). A new role adds its fields here and in its message's struct (sbc_channel.h).
 * Run on the su_root thread.
 */
#include <string.h>
#include <unistd.h>

#include "cp_admit.h"
#include "cp_b2bua.h"
#include "cp_cdr.h"
#include "cp_conn.h"
#include "cp_keys.h"
#include "cp_media.h"
#include "cp_policy.h"
#include "cp_redis.h"
#include "cp_registrar.h"
#include "cp_sip.h"
#include "cp_status.h"

static void fill_b2bua(struct sbc_msg_cp_calls *s)
{
	const struct cp_b2bua_stats *b = cp_b2bua_stats();

	s->b2b_calls_in = b->calls;
	s->b2b_calls_out = b->calls_out;
	s->b2b_answered = b->answered;
	s->b2b_failovers = b->failovers;
	s->b2b_active = b->active;
	s->b2b_failed_callee = b->failed_callee;
	s->b2b_failed_timeout = b->failed_timeout;
	s->b2b_failed_no_trunk = b->failed_no_trunk;
	s->b2b_failed_internal = b->failed_internal;
	s->b2b_failed_admission = b->failed_admission;
	s->b2b_session_expired = b->session_expired;
	s->b2b_canceled = b->canceled;
	s->b2b_refused = b->refused;
	s->b2b_too_many_hops = b->too_many_hops;
}

/* nta's transactions alive, server and client (a call's end keeps its BYE's up to Timer J). */
static uint64_t sip_transactions(void)
{
	usize_t irq = 0, orq = 0;
	nta_agent_t *a = cp_sip_agent();

	if (a != NULL)
		nta_agent_get_stats(a, NTATAG_S_IRQ_HASH_USED_REF(irq),
				    NTATAG_S_ORQ_HASH_USED_REF(orq), TAG_END());
	return (uint64_t)irq + orq;
}

/* A gauge or a counter shown in 32 bits: saturated, never wrapped. */
static uint32_t u32_sat(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

void cp_status_fill_media(struct sbc_msg_cp_media *s)
{
	const struct cp_b2bua_stats *b = cp_b2bua_stats();
	const struct cp_media_stats *m = cp_media_stats();

	memset(s, 0, sizeof(*s));
	s->sessions = u32_sat(m->sessions);
	s->gone_late = u32_sat(m->gone_late);
	s->no_port = m->no_port;
	s->refused = b->media_refused;
	s->id_taken = m->id_taken;
	s->timeouts = b->media_timeouts;
	s->sdp_rejected = b->sdp_rejected;
	s->srtp_no_tls = b->srtp_no_tls;
	for (unsigned int i = 0; i < 2; i++) {
		s->free_pairs[i] = u32_sat(m->free_pairs[i]);
		s->pairs[i] = u32_sat(m->pairs[i]);
	}
}

/* Allowlist reads applied in slices (cp_policy.c): how long they held the loop. */
static void fill_slices(struct sbc_msg_cp_calls *s)
{
	const struct cp_policy_stats *p = cp_policy_stats();

	s->acl_sliced_reads = u32_sat(p->acl_sliced_reads);
	s->acl_slices = u32_sat(p->acl_slices);
	s->acl_slice_max_us = u32_sat(p->acl_slice_max_ns / 1000);
	s->acl_slice_max_cpu_us = u32_sat(p->acl_slice_max_cpu_ns / 1000);
}

void cp_status_fill(struct sbc_msg_cp_status *s)
{
	const struct cp_redis_stats *r = cp_redis_stats();
	const struct cp_policy_stats *p = cp_policy_stats();
	struct cp_cdr_stats c;

	cp_cdr_stats(&c);
	memset(s, 0, sizeof(*s));
	s->pid = (uint32_t)getpid();
	s->redis_up = cp_redis_up();
	s->notifications = cp_redis_notifications();
	s->redis_reconnects = r->reconnects;
	s->notifications_seen = r->notifications_seen;
	s->replays = cp_keys_replays();
	s->bad_values = p->bad_values;
	s->unknown_keys = p->unknown_keys;
	s->refused_sets = p->refused_sets;
	s->calls_admitted = c.calls_admitted;
	s->calls_ended = c.calls_ended;
	s->calls_open = c.open;
	s->cdr_written = c.written;
	s->cdr_pending = c.pending;
	s->cdr_lost = c.lost;
}

void cp_status_fill_calls(struct sbc_msg_cp_calls *s)
{
	const struct cp_admit_stats *a = cp_admit_stats();
	const struct cp_conn_stats *n = cp_conn_stats();

	memset(s, 0, sizeof(*s));
	s->admit_asked = a->asked;
	s->admit_failclosed = a->failclosed;
	s->admit_late = a->late;
	s->admit_answered = a->in_time;
	s->admit_wait_ns = a->wait_ns;
	s->admit_over_cps = a->answered[SBC_ADMIT_OVER_CPS];
	s->admit_over_calls = a->answered[SBC_ADMIT_OVER_CALLS];
	s->admit_table_full = a->answered[SBC_ADMIT_TABLE_FULL];
	s->conn_accepted = n->accepted;
	s->conn_refused = n->refused;
	s->conn_open = n->open;
	s->conn_idle_closed = n->idle_closed;
	s->sip_transactions = (uint32_t)sip_transactions();

	fill_b2bua(s);
	fill_slices(s);
}

void cp_status_fill_registrar(struct sbc_msg_cp_registrar *s)
{
	const struct cp_registrar_stats *r = cp_registrar_stats();

	memset(s, 0, sizeof(*s));
	s->registers = r->registers;
	s->challenged = r->challenged;
	s->accepted = r->accepted;
	s->failed = r->failed;
	s->refused = r->refused;
	s->lockouts = r->lockouts;
	s->bindings = r->bindings;
	s->dynacl_expired = r->dynacl_expired;
	s->answered_again = r->answered_again;
	s->absorbed = r->absorbed;
	s->busy = r->busy;
	s->pending = r->pending;
	s->answers_kept = r->answers_kept;
	s->answers_evicted = r->answers_evicted;
}
