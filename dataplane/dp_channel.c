/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Main lcore: the command ring from sbc-controlplane, applied in order. A trunk's replace
 * arrives as BEGIN, ENTRIES..., COMMIT and is staged here, so the tables change once, at
 * COMMIT, atomically for the workers. Every applied command is answered with its generation
 * and the time the last worker could see it (after the RCU wait), which is what the latency
 * benchmark measures. A malformed or out-of-order message is counted and skipped, never fatal.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_random.h>

#include "dp.h"
#include "dp_calls.h"
#include "dp_channel.h"
#include "dp_deny.h"
#include "dp_gate.h"
#include "dp_grow.h"
#include "dp_media.h"
#include "sbc_channel.h"

#define CP_DEAD_MS 1000		/* heartbeats come every 100 ms */
#define POLL_BUDGET 4096	/* commands per poll, so the main lcore stays responsive */
#define STAGE_FIRST 1024	/* prefixes a staging buffer starts with */
#define STAGE_KEEP_MAX 65536	/* a staging buffer larger than this is freed after its commit */

struct dp_limits dp_limits[SBC_MAX_TRUNKS];
struct dp_trunk_stats dp_stream_stats[SBC_TP_MAX][SBC_MAX_TRUNKS];

struct staging {
	bool active;
	uint64_t generation;
	uint32_t expect;	/* prefixes announced by BEGIN */
	struct sbc_prefix *v;
	uint32_t n, cap;
};

static struct {
	struct sbc_channel ch;
	bool open;
	uint64_t boot_id;
	struct staging stage[SBC_MAX_TRUNKS];
	/* counters, read by the telemetry thread */
	uint64_t commands, applied, refused, invalid, events_lost;
	uint64_t last_generation, last_latency_ns, last_applied_ns;
	uint64_t cp_boot_seen;
	uint64_t admit_end_unknown;	/* ADMIT_END of a call no longer in the table */
	struct sbc_msg_cp_status cp_status;	/* last one the control plane sent */
	uint64_t cp_status_ns;
	struct sbc_msg_cp_calls cp_calls;	/* likewise */
	uint64_t cp_calls_ns;
	struct sbc_msg_cp_media cp_media;	/* likewise */
	uint64_t cp_media_ns;
	struct sbc_msg_cp_registrar cp_registrar;	/* likewise */
	uint64_t cp_registrar_ns;
	struct sbc_msg_trunk_state trunk_state[SBC_MAX_TRUNKS];	/* the B2BUA's, per trunk */
	char media_refusal[128];	/* why the last MEDIA_SET was refused */
	struct sbc_msg later;		/* --test-media-delay-ms: the MEDIA_SET waiting */
	uint64_t later_due_ns;		/* 0: none waits */
} chan;

static inline void bump(uint64_t *c)
{
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
}

static void send_event(uint16_t type, const void *body, uint32_t len, uint64_t generation)
{
	struct sbc_msg m;

	sbc_msg_init(&m, type, body, len, generation);
	/* The control plane drains events every millisecond; if it is gone the ring fills and
	 * events are counted lost: it replays everything when it comes back anyway. */
	if (sbc_ring_send(chan.ch.h, &chan.ch.h->evt, &m) != 0)
		bump(&chan.events_lost);
}

static void send_started(void)
{
	struct sbc_msg_started s = { .boot_id = chan.boot_id,
				     .trunks_hash = sbc_trunks_hash(&dp.cfg),
				     .n_trunks = dp.cfg.n_trunks,
				     .pid = (uint32_t)getpid() };

	send_event(SBC_EVT_STARTED, &s, sizeof(s), 0);
}

static bool is_deny(uint16_t type)
{
	return type >= SBC_CMD_DENY_ADD && type <= SBC_CMD_DENY_SYNC_END;
}

static void answer(const struct sbc_msg *m, uint16_t trunk, int rc, const char *text)
{
	struct sbc_msg_applied a;
	uint16_t type = SBC_EVT_APPLIED;

	memset(&a, 0, sizeof(a));
	a.trunk = trunk;
	a.cmd = m->type;
	a.error = rc;
	/* ACL and deny changes: when the last worker could see it; limits: now (one atomic
	 * store) */
	a.applied_ns = m->type == SBC_CMD_LIMITS_SET ? sbc_now_ns() :
		       is_deny(m->type) ? dp_deny_visible_ns() : dp_acl_visible_ns(dp.acl);
	if (trunk < dp.cfg.n_trunks)
		dp_acl_counts(dp.acl, trunk, &a.prefixes_v4, &a.prefixes_v6);
	if (rc != 0) {
		type = rc == -ENOSPC ? SBC_EVT_TABLE_FULL : SBC_EVT_REFUSED;
		snprintf(a.text, sizeof(a.text), "%s", text);
		bump(&chan.refused);
	} else {
		bump(&chan.applied);
		__atomic_store_n(&chan.last_latency_ns,
				 a.applied_ns > m->sent_ns ? a.applied_ns - m->sent_ns : 0,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&chan.last_applied_ns, a.applied_ns, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&chan.last_generation, m->generation, __ATOMIC_RELAXED);
	send_event(type, &a, sizeof(a), m->generation);
}

/*
 * One handler per command type. Commands that name a trunk have it checked by handle() first
 * (the trunk is the first field of every such body).
 */
_Static_assert(offsetof(struct sbc_msg_acl, trunk) == 0, "trunk first");
_Static_assert(offsetof(struct sbc_msg_limits, trunk) == 0, "trunk first");
_Static_assert(offsetof(struct sbc_msg_admit, trunk) == 0, "trunk first");

static const struct sbc_msg_acl *acl_body(const struct sbc_msg *m)
{
	return (const void *)m->body;
}

static int stage_append(struct staging *st, const struct sbc_msg_acl *a)
{
	void *v;

	if (dp_grow(st->v, &st->cap, st->n + a->n, sizeof(*st->v), STAGE_FIRST, &v) != 0)
		return -ENOMEM;
	st->v = v;
	for (unsigned int i = 0; i < a->n; i++)
		sbc_prefix_from_wire(&a->p[i], &st->v[st->n++]);
	return 0;
}

static void stage_failed(const struct sbc_msg *m, struct staging *st)
{
	st->active = false;
	answer(m, acl_body(m)->trunk, -ENOMEM, "out of memory staging a replace: old set kept");
}

/* ADD / DEL: a few prefixes in or out, one atomic change. */
static void cmd_acl_change(const struct sbc_msg *m)
{
	const struct sbc_msg_acl *a = acl_body(m);
	struct sbc_prefix p[SBC_ACL_PER_MSG];
	char err[256] = "";
	int rc;

	for (unsigned int i = 0; i < a->n; i++)
		sbc_prefix_from_wire(&a->p[i], &p[i]);
	if (m->type == SBC_CMD_ACL_ADD)
		rc = dp_acl_update(dp.acl, a->trunk, p, a->n, NULL, 0, err, sizeof(err));
	else
		rc = dp_acl_update(dp.acl, a->trunk, NULL, 0, p, a->n, err, sizeof(err));
	answer(m, a->trunk, rc, err);
}

/* REPLACE_BEGIN: a new staging of the trunk's whole set (a BEGIN while one is open restarts). */
static void cmd_replace_begin(const struct sbc_msg *m)
{
	const struct sbc_msg_acl *a = acl_body(m);
	struct staging *st = &chan.stage[a->trunk];

	st->active = true;
	st->generation = m->generation;
	st->expect = a->count;
	st->n = 0;
	if (stage_append(st, a) != 0)
		stage_failed(m, st);
}

/* ENTRIES: the next chunk of the staged set; out of order or beyond BEGIN's count: invalid. */
static void cmd_replace_entries(const struct sbc_msg *m)
{
	const struct sbc_msg_acl *a = acl_body(m);
	struct staging *st = &chan.stage[a->trunk];

	if (!st->active || st->generation != m->generation || st->n + a->n > st->expect) {
		bump(&chan.invalid);
		return;
	}
	if (stage_append(st, a) != 0)
		stage_failed(m, st);
}

/* COMMIT: the staged set replaces the trunk's, atomically for the workers, if complete. */
static void cmd_replace_commit(const struct sbc_msg *m)
{
	const struct sbc_msg_acl *a = acl_body(m);
	struct staging *st = &chan.stage[a->trunk];
	char err[256] = "";
	int rc;

	if (!st->active || st->generation != m->generation || st->n != st->expect) {
		snprintf(err, sizeof(err), "replace of generation %llu incomplete (%u of %u "
			 "prefixes): old set kept", (unsigned long long)m->generation, st->n,
			 st->expect);
		st->active = false;
		answer(m, a->trunk, -EPROTO, err);
		return;
	}
	st->active = false;
	rc = dp_acl_replace(dp.acl, a->trunk, st->v, st->n, err, sizeof(err));
	answer(m, a->trunk, rc, err);
	if (st->cap > STAGE_KEEP_MAX) {	/* do not keep a million-prefix buffer around */
		free(st->v);
		st->v = NULL;
		st->cap = 0;
	}
}

/* LIMITS_SET: the trunk's caps, read by the workers on their next INVITE. */
static void cmd_limits(const struct sbc_msg *m)
{
	const struct sbc_msg_limits *l = (const void *)m->body;
	struct dp_limits *dl = &dp_limits[l->trunk];

	__atomic_store_n(&dl->cps, l->cps, __ATOMIC_RELAXED);
	__atomic_store_n(&dl->burst, l->burst, __ATOMIC_RELAXED);
	__atomic_store_n(&dl->max_calls, l->max_calls, __ATOMIC_RELAXED);
	__atomic_store_n(&dl->generation, m->generation, __ATOMIC_RELEASE);
	answer(m, l->trunk, 0, "");
}

static void cmd_resync(const struct sbc_msg *m)
{
	(void)m;
	send_started();
}

/* A snapshot the control plane sends each second, kept with when it came. Read by the telemetry
 * thread: a torn copy only mixes two honest snapshots; the stamp (release) says one is there. */
static void keep_snapshot(void *dst, size_t size, uint64_t *stamp_ns, const struct sbc_msg *m)
{
	memcpy(dst, m->body, size);
	__atomic_store_n(stamp_ns, sbc_now_ns(), __ATOMIC_RELEASE);
}

static void cmd_cp_status(const struct sbc_msg *m)
{
	keep_snapshot(&chan.cp_status, sizeof(chan.cp_status), &chan.cp_status_ns, m);
}

static void cmd_cp_calls(const struct sbc_msg *m)
{
	keep_snapshot(&chan.cp_calls, sizeof(chan.cp_calls), &chan.cp_calls_ns, m);
}

static void cmd_cp_media(const struct sbc_msg *m)
{
	keep_snapshot(&chan.cp_media, sizeof(chan.cp_media), &chan.cp_media_ns, m);
}

bool dp_channel_cp_media(struct sbc_msg_cp_media *out)
{
	if (__atomic_load_n(&chan.cp_media_ns, __ATOMIC_ACQUIRE) == 0)
		return false;
	memcpy(out, &chan.cp_media, sizeof(*out));
	/* a control plane that is gone holds no ports: its last figures are not current */
	return strcmp(dp_channel_cp_state(), "alive") == 0;
}

static void cmd_cp_registrar(const struct sbc_msg *m)
{
	keep_snapshot(&chan.cp_registrar, sizeof(chan.cp_registrar), &chan.cp_registrar_ns, m);
}

/* TRUNK_STATE: health, calls out, last code of a trunk the B2BUA sends calls to. */
static void cmd_trunk_state(const struct sbc_msg *m)
{
	const struct sbc_msg_trunk_state *s = (const void *)m->body;

	/* read by the telemetry thread: a torn copy only mixes two honest snapshots */
	memcpy(&chan.trunk_state[s->trunk], s, sizeof(*s));
}

bool dp_channel_trunk_state(unsigned int trunk, struct sbc_msg_trunk_state *out)
{
	if (trunk >= SBC_MAX_TRUNKS)
		return false;
	memcpy(out, &chan.trunk_state[trunk], sizeof(*out));
	/* nothing from a control plane that is gone: its view is not current */
	return out->health != SBC_HEALTH_NONE && strcmp(dp_channel_cp_state(), "alive") == 0;
}

/*
 * The denylist (sbc:deny:<ip>): entries in or out, and the markers around a full replay. A
 * refusal (table full) is answered with its text; the control plane logs it.
 */
static void cmd_deny(const struct sbc_msg *m)
{
	const struct sbc_msg_deny *d = (const void *)m->body;
	unsigned int refused = 0;
	char err[160] = "";
	int rc = 0;

	switch (m->type) {
	case SBC_CMD_DENY_ADD:
		rc = dp_deny_add(d->e, d->n, dp_clock_ns(), &refused);
		if (rc == -ENOSPC)
			snprintf(err, sizeof(err), "denylist full: %u of %u sources not denied "
				 "([dataplane] deny_entries = %u)", refused, d->n,
				 dp.cfg.deny_entries);
		else if (rc != 0)
			snprintf(err, sizeof(err), "denylist: the address 0.0.0.0 / :: is refused");
		break;
	case SBC_CMD_DENY_DEL:
		rc = dp_deny_del(d->e, d->n);
		break;
	case SBC_CMD_DENY_SYNC_BEGIN:
		dp_deny_sync_begin(m->generation);
		break;
	default:
		rc = dp_deny_sync_end(m->generation);
		if (rc != 0)
			snprintf(err, sizeof(err), "denylist replay %llu ended without its begin: "
				 "nothing lifted", (unsigned long long)m->generation);
		break;
	}
	answer(m, UINT16_MAX, rc, err);
}

/* ---- Admission over the channel: TCP/TLS calls the control plane holds (dp_gate.h) */

static const struct sbc_msg_admit *admit_body(const struct sbc_msg *m)
{
	return (const void *)m->body;
}

static uint8_t to_admit_verdict(enum dp_verdict v)
{
	switch (v) {
	case DP_V_ADMITTED:
		return SBC_ADMIT_OK;
	case DP_V_OVER_CPS:
		return SBC_ADMIT_OVER_CPS;
	case DP_V_OVER_CALLS:
		return SBC_ADMIT_OVER_CALLS;
	default:
		return SBC_ADMIT_TABLE_FULL;
	}
}

/* The call event, as the workers send it for UDP calls (the control plane's gauges, CDRs). */
static void stream_call_event(uint16_t trunk, uint8_t reason, bool emergency,
			      const struct dp_key128 *k, const void *call_id, uint32_t len)
{
	struct sbc_msg_call ev;

	dp_call_event(&ev, trunk, reason, emergency, sbc_now_ns(), k, call_id, len);
	send_event(reason == SBC_CALL_END_NONE ? SBC_EVT_CALL_ADMITTED : SBC_EVT_CALL_ENDED, &ev,
		   sizeof(ev), 0);
}

/*
 * ADMIT: may this TCP/TLS INVITE go on? The same decision as a worker's for a UDP one, on the
 * same bucket and call table. The verdict key is Call-ID + CSeq (a resend after a reconnect may
 * carry a new branch: it is still the same request).
 */
static void cmd_admit(const struct sbc_msg *m)
{
	const struct sbc_msg_admit *a = admit_body(m);
	const struct dp_limits *lim = &dp_limits[a->trunk];
	static const char stream[] = "stream";
	const struct dp_key128 call = dp_calls_key((const uint8_t *)a->call_id, a->call_id_len);
	struct dp_gate g = {
		.trunk = a->trunk,
		.emergency = a->ruri_user_len > 0 &&
			     dp_gate_is_emergency(&dp.cfg, a->ruri_user, a->ruri_user_len),
		.cps = __atomic_load_n(&lim->cps, __ATOMIC_RELAXED),
		.burst = __atomic_load_n(&lim->burst, __ATOMIC_RELAXED),
		.max_calls = __atomic_load_n(&lim->max_calls, __ATOMIC_RELAXED),
		.tat = &dp.cps_tat[a->trunk],
		.call = call,
		.vkey = dp_calls_vkey(call, (const uint8_t *)stream, sizeof(stream) - 1, a->cseq),
		.call_id = a->call_id,
		.call_id_len = a->call_id_len,
	};
	struct sbc_msg_admit_verdict v = { .trunk = a->trunk, .transport = a->transport,
					   .ref = a->ref, .emergency = g.emergency };
	uint64_t now_ns = dp_clock_ns();
	bool again;
	enum dp_verdict dv = dp_gate_admit(&g, now_ns, &dp_stream_stats[a->transport][a->trunk],
					   &again);

	v.verdict = to_admit_verdict(dv);
	v.again = again;
	if (dv == DP_V_ADMITTED && !again) {
		dp_call_set_stream(&g.call, a->transport, now_ns / DP_NS_PER_MS);
		stream_call_event(a->trunk, SBC_CALL_END_NONE, g.emergency, &g.call, a->call_id,
				  a->call_id_len);
	}
	v.active = dp_calls_active(a->trunk);
	send_event(SBC_EVT_ADMIT_VERDICT, &v, sizeof(v), m->generation);
}

static void stream_ended(const struct dp_call *c, uint8_t reason, void *arg)
{
	struct dp_key128 k = { c->ref_a, c->ref_b };
	struct dp_trunk_stats *ts = &dp_stream_stats[c->transport][c->trunk];

	(void)arg;
	dp_count(&ts->ended[reason], 1);
	stream_call_event(c->trunk, reason, c->emergency, &k, c->call_id, c->call_id_len);
}

/* ADMIT_END: a call admitted over the channel has ended (BYE, CANCEL, failure, timeout). */
static void cmd_admit_end(const struct sbc_msg *m)
{
	const struct sbc_msg_admit *a = admit_body(m);
	struct dp_key128 k = dp_calls_key((const uint8_t *)a->call_id, a->call_id_len);
	struct dp_call c;

	if (dp_call_end(&k, &c))
		stream_ended(&c, a->end_reason, NULL);
	else
		bump(&chan.admit_end_unknown);	/* ended already (a timer, a UDP BYE) */
}

/* A new control plane holds none of the TCP/TLS calls the last one had: free their slots. */
static void watch_cp_boot(void)
{
	uint64_t boot = sbc_chan_peer_boot_id(&chan.ch);

	if (boot == chan.cp_boot_seen || boot == 0)
		return;
	if (chan.cp_boot_seen != 0)
		dp_calls_flush_stream(stream_ended, NULL);
	chan.cp_boot_seen = boot;
}

/* ---- Media sessions (dp_media.h): READY and GONE go out after the batch's RCU wait */

static void media_event(uint16_t type, const void *body, uint32_t len)
{
	if (chan.open)
		send_event(type, body, len, 0);
}

/* MEDIA_SET: refused at once with its reason, else READY once every worker sees it. */
static void cmd_media_set(const struct sbc_msg *m)
{
	const struct sbc_msg_media *s = (const void *)m->body;
	struct sbc_msg_media_ref r = { .session = s->session, .seq = s->seq };
	char err[128] = "";

	r.error = dp_media_set(s, dp_clock_ns(), err, sizeof(err));
	if (r.error == 0) {
		bump(&chan.applied);
		return;
	}
	bump(&chan.refused);
	snprintf(chan.media_refusal, sizeof(chan.media_refusal), "%s", err);
	send_event(SBC_EVT_MEDIA_READY, &r, sizeof(r), m->generation);
}

static void cmd_media_del(const struct sbc_msg *m)
{
	dp_media_del((const void *)m->body);
	bump(&chan.applied);
}

static void cmd_media_flush(const struct sbc_msg *m)
{
	(void)m;
	dp_media_flush();
	bump(&chan.applied);
}

static const struct {
	void (*run)(const struct sbc_msg *m);
	bool has_trunk;
} commands[] = {
	[SBC_CMD_ACL_ADD] = { cmd_acl_change, true },
	[SBC_CMD_ACL_DEL] = { cmd_acl_change, true },
	[SBC_CMD_ACL_REPLACE_BEGIN] = { cmd_replace_begin, true },
	[SBC_CMD_ACL_ENTRIES] = { cmd_replace_entries, true },
	[SBC_CMD_ACL_REPLACE_COMMIT] = { cmd_replace_commit, true },
	[SBC_CMD_LIMITS_SET] = { cmd_limits, true },
	[SBC_CMD_RESYNC_REQUEST] = { cmd_resync, false },
	[SBC_CMD_CP_STATUS] = { cmd_cp_status, false },
	[SBC_CMD_CP_CALLS] = { cmd_cp_calls, false },
	[SBC_CMD_CP_REGISTRAR] = { cmd_cp_registrar, false },
	[SBC_CMD_CP_MEDIA] = { cmd_cp_media, false },
	[SBC_CMD_TRUNK_STATE] = { cmd_trunk_state, true },
	[SBC_CMD_DENY_ADD] = { cmd_deny, false },
	[SBC_CMD_DENY_DEL] = { cmd_deny, false },
	[SBC_CMD_DENY_SYNC_BEGIN] = { cmd_deny, false },
	[SBC_CMD_DENY_SYNC_END] = { cmd_deny, false },
	[SBC_CMD_ADMIT] = { cmd_admit, true },
	[SBC_CMD_ADMIT_END] = { cmd_admit_end, true },
	[SBC_CMD_MEDIA_SET] = { cmd_media_set, false },
	[SBC_CMD_MEDIA_DEL] = { cmd_media_del, false },
	[SBC_CMD_MEDIA_FLUSH] = { cmd_media_flush, false },
};

static void handle(const struct sbc_msg *m)
{
	uint16_t trunk = acl_body(m)->trunk;
	char err[128];

	bump(&chan.commands);
	if (m->type >= sizeof(commands) / sizeof(commands[0]) || commands[m->type].run == NULL) {
		bump(&chan.invalid);	/* an event type, or one this build does not know */
		return;
	}
	if (commands[m->type].has_trunk && trunk >= dp.cfg.n_trunks) {
		snprintf(err, sizeof(err), "trunk id %u does not exist (the data plane has %u trunks)",
			 trunk, dp.cfg.n_trunks);
		answer(m, UINT16_MAX, -ENOENT, err);
		return;
	}
	commands[m->type].run(m);
}

int dp_channel_open(void)
{
	char err[512];
	int rc;

	for (unsigned int t = 0; t < dp.cfg.n_trunks; t++) {
		dp_limits[t].cps = dp.cfg.trunks[t].cps;
		dp_limits[t].burst = dp.cfg.trunks[t].burst;
		dp_limits[t].max_calls = dp.cfg.trunks[t].max_calls;
	}
	do
		chan.boot_id = rte_rand();
	while (chan.boot_id == 0);
	rc = sbc_chan_create(&chan.ch, dp.cfg.channel, chan.boot_id, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "sbc-dataplane: channel: %s\n", err);
		return rc;
	}
	chan.open = true;
	send_started();
	return 0;
}

/* --test-media-delay-ms: the MEDIA_SET read earlier, applied once its time came (the
 * commands behind it stay in the ring until then). False while it still waits. */
static bool later_applied(void)
{
	if (chan.later_due_ns == 0)
		return true;
	if (dp_clock_ns() < chan.later_due_ns)
		return false;
	handle(&chan.later);
	explicit_bzero(&chan.later, sizeof(chan.later));
	chan.later_due_ns = 0;
	return true;
}

unsigned int dp_channel_poll(void)
{
	struct sbc_msg m;
	unsigned int n = 0;
	int rc;

	if (!chan.open) {
		dp_media_commit(media_event);	/* a grace period of --test-commands' changes */
		return 0;
	}
	sbc_chan_heartbeat(&chan.ch);
	watch_cp_boot();
	if (!later_applied())
		goto commit;
	while (n < POLL_BUDGET && (rc = sbc_ring_recv(chan.ch.h, &chan.ch.h->cmd, &m)) != 0) {
		n++;
		if (rc < 0) {
			bump(&chan.invalid);
			continue;
		}
		if (m.type == SBC_CMD_MEDIA_SET && dp.test_media_delay_ns != 0) {
			chan.later = m;
			chan.later_due_ns = dp_clock_ns() + dp.test_media_delay_ns;
			explicit_bzero(&m, sizeof(m));
			break;
		}
		handle(&m);
		explicit_bzero(&m, sizeof(m));	/* a MEDIA_SET's SRTP keys: no copy left behind */
	}
commit:
	dp_media_commit(media_event);
	dp_media_tick(dp_clock_ns(), media_event);
	return n;
}

int dp_channel_replay_file(const char *path)
{
	struct sbc_msg m;
	unsigned int n = 0;
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		fprintf(stderr, "sbc-dataplane: --test-commands %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while (fread(&m, sizeof(m), 1, f) == 1) {
		if (sbc_msg_validate(&m) != 0) {
			fprintf(stderr, "sbc-dataplane: --test-commands %s: message %u (type %u) is "
				"not valid\n", path, n, m.type);
			fclose(f);
			return -EBADMSG;
		}
		handle(&m);
		explicit_bzero(&m, sizeof(m));
		n++;
	}
	dp_media_commit(media_event);
	fclose(f);
	printf("sbc-dataplane: %u commands from %s applied\n", n, path);
	return 0;
}

void dp_channel_close(void)
{
	if (!chan.open)
		return;
	chan.open = false;
	/* leave the region: a control plane still attached sees the boot id vanish... */
	__atomic_store_n(&chan.ch.h->dp.boot_id, 0, __ATOMIC_RELEASE);
	sbc_chan_close(&chan.ch, false);
	for (unsigned int t = 0; t < SBC_MAX_TRUNKS; t++)
		free(chan.stage[t].v);
}

void dp_channel_call_event(uint16_t type, const struct sbc_msg_call *c)
{
	if (chan.open)
		send_event(type, c, sizeof(*c), 0);
}

const char *dp_channel_cp_state(void)
{
	uint64_t age;

	if (!chan.open)
		return "no channel";
	age = sbc_chan_peer_age_ms(&chan.ch);
	if (age == UINT64_MAX)
		return "absent";
	return age > CP_DEAD_MS ? "dead" : "alive";
}

/* The control plane's last CP_STATUS: Redis, notifications, CDRs. */
static void tel_cp_status(struct rte_tel_data *d)
{
	const struct sbc_msg_cp_status *s = &chan.cp_status;

	if (__atomic_load_n(&chan.cp_status_ns, __ATOMIC_ACQUIRE) == 0)
		return;
	rte_tel_data_add_dict_string(d, "cp_redis", s->redis_up ? "up" : "down");
	rte_tel_data_add_dict_string(d, "cp_notifications", s->notifications ? "on" : "off");
	rte_tel_data_add_dict_u64(d, "cp_replays", s->replays);
	rte_tel_data_add_dict_u64(d, "cp_redis_reconnects", s->redis_reconnects);
	rte_tel_data_add_dict_u64(d, "cp_notifications_seen", s->notifications_seen);
	rte_tel_data_add_dict_u64(d, "cp_bad_values", s->bad_values);
	rte_tel_data_add_dict_u64(d, "cp_unknown_keys", s->unknown_keys);
	rte_tel_data_add_dict_u64(d, "cp_refused_sets", s->refused_sets);
	rte_tel_data_add_dict_u64(d, "cp_queued", s->queued);
	rte_tel_data_add_dict_u64(d, "cp_calls_admitted", s->calls_admitted);
	rte_tel_data_add_dict_u64(d, "cp_calls_ended", s->calls_ended);
	rte_tel_data_add_dict_u64(d, "cp_calls_open", s->calls_open);
	rte_tel_data_add_dict_u64(d, "cp_cdr_written", s->cdr_written);
	rte_tel_data_add_dict_u64(d, "cp_cdr_pending", s->cdr_pending);
	rte_tel_data_add_dict_u64(d, "cp_cdr_lost", s->cdr_lost);
	rte_tel_data_add_dict_u64(d, "cp_status_age_ms",
				  (sbc_now_ns() - chan.cp_status_ns) / 1000000);
}

/* The control plane's last CP_CALLS: admission, connections, the B2BUA, allowlist slices. */
static void tel_cp_calls(struct rte_tel_data *d)
{
	const struct sbc_msg_cp_calls *c = &chan.cp_calls;

	if (__atomic_load_n(&chan.cp_calls_ns, __ATOMIC_ACQUIRE) == 0)
		return;
	rte_tel_data_add_dict_u64(d, "cp_admit_asked", c->admit_asked);
	rte_tel_data_add_dict_u64(d, "cp_admit_failclosed", c->admit_failclosed);
	rte_tel_data_add_dict_u64(d, "cp_admit_late", c->admit_late);
	rte_tel_data_add_dict_u64(d, "cp_admit_answered", c->admit_answered);
	rte_tel_data_add_dict_u64(d, "cp_admit_wait_avg_us", c->admit_answered ?
				  c->admit_wait_ns / c->admit_answered / 1000 : 0);
	rte_tel_data_add_dict_u64(d, "cp_conn_accepted", c->conn_accepted);
	rte_tel_data_add_dict_u64(d, "cp_conn_refused", c->conn_refused);
	rte_tel_data_add_dict_u64(d, "cp_conn_open", c->conn_open);
	rte_tel_data_add_dict_u64(d, "cp_conn_idle_closed", c->conn_idle_closed);
	rte_tel_data_add_dict_u64(d, "cp_b2b_calls_in", c->b2b_calls_in);
	rte_tel_data_add_dict_u64(d, "cp_b2b_calls_out", c->b2b_calls_out);
	rte_tel_data_add_dict_u64(d, "cp_b2b_answered", c->b2b_answered);
	rte_tel_data_add_dict_u64(d, "cp_b2b_failovers", c->b2b_failovers);
	rte_tel_data_add_dict_u64(d, "cp_b2b_active", c->b2b_active);
	rte_tel_data_add_dict_u64(d, "cp_b2b_failed_callee", c->b2b_failed_callee);
	rte_tel_data_add_dict_u64(d, "cp_b2b_failed_timeout", c->b2b_failed_timeout);
	rte_tel_data_add_dict_u64(d, "cp_b2b_failed_no_trunk", c->b2b_failed_no_trunk);
	rte_tel_data_add_dict_u64(d, "cp_b2b_failed_internal", c->b2b_failed_internal);
	rte_tel_data_add_dict_u64(d, "cp_b2b_failed_admission", c->b2b_failed_admission);
	rte_tel_data_add_dict_u64(d, "cp_b2b_canceled", c->b2b_canceled);
	rte_tel_data_add_dict_u64(d, "cp_b2b_session_expired", c->b2b_session_expired);
	rte_tel_data_add_dict_u64(d, "cp_b2b_refused", c->b2b_refused);
	rte_tel_data_add_dict_u64(d, "cp_b2b_too_many_hops", c->b2b_too_many_hops);
	rte_tel_data_add_dict_u64(d, "cp_loop_late_max_ms", c->loop_late_max_ms);
	rte_tel_data_add_dict_u64(d, "cp_sip_transactions", c->sip_transactions);
	rte_tel_data_add_dict_u64(d, "cp_admit_over_cps", c->admit_over_cps);
	rte_tel_data_add_dict_u64(d, "cp_admit_over_calls", c->admit_over_calls);
	rte_tel_data_add_dict_u64(d, "cp_admit_table_full", c->admit_table_full);
	rte_tel_data_add_dict_u64(d, "cp_acl_sliced_reads", c->acl_sliced_reads);
	rte_tel_data_add_dict_u64(d, "cp_acl_slices", c->acl_slices);
	rte_tel_data_add_dict_u64(d, "cp_acl_slice_max_us", c->acl_slice_max_us);
	rte_tel_data_add_dict_u64(d, "cp_acl_slice_max_cpu_us", c->acl_slice_max_cpu_us);
}

/* A snapshot's fields by name, once one has come (its stamp set). */
struct tel_field {
	const char *name;
	uint64_t v;
};

static void put_snapshot(struct rte_tel_data *d, const uint64_t *stamp_ns,
			 const struct tel_field *f, size_t n)
{
	if (__atomic_load_n(stamp_ns, __ATOMIC_ACQUIRE) == 0)
		return;
	for (size_t i = 0; i < n; i++)
		rte_tel_data_add_dict_u64(d, f[i].name, f[i].v);
}

/* The control plane's last CP_MEDIA: anchored media's counters (its free ports: /sbc/media). */
static void tel_cp_media(struct rte_tel_data *d)
{
	const struct sbc_msg_cp_media *c = &chan.cp_media;
	const struct tel_field f[] = {
		{ "cp_media_sessions", c->sessions }, { "cp_media_no_port", c->no_port },
		{ "cp_media_refused", c->refused }, { "cp_media_id_taken", c->id_taken },
		{ "cp_media_timeouts", c->timeouts }, { "cp_sdp_rejected", c->sdp_rejected },
		{ "cp_srtp_no_tls", c->srtp_no_tls }, { "cp_media_gone_late", c->gone_late },
	};

	put_snapshot(d, &chan.cp_media_ns, f, sizeof(f) / sizeof(f[0]));
}

/* The control plane's last CP_REGISTRAR: the registrar's counters, as cp_reg_*. */
static void tel_cp_registrar(struct rte_tel_data *d)
{
	const struct sbc_msg_cp_registrar *r = &chan.cp_registrar;
	const struct tel_field f[] = {
		{ "cp_reg_registers", r->registers }, { "cp_reg_challenged", r->challenged },
		{ "cp_reg_accepted", r->accepted }, { "cp_reg_failed", r->failed },
		{ "cp_reg_refused", r->refused }, { "cp_reg_lockouts", r->lockouts },
		{ "cp_reg_bindings", r->bindings }, { "cp_reg_dynacl_expired", r->dynacl_expired },
		{ "cp_reg_answered_again", r->answered_again }, { "cp_reg_absorbed", r->absorbed },
		{ "cp_reg_busy", r->busy }, { "cp_reg_pending", r->pending },
		{ "cp_reg_answers_kept", r->answers_kept },
		{ "cp_reg_answers_evicted", r->answers_evicted },
	};

	put_snapshot(d, &chan.cp_registrar_ns, f, sizeof(f) / sizeof(f[0]));
}

int dp_channel_telemetry(struct rte_tel_data *d)
{
	const struct sbc_chan_header *h;
	uint64_t age;

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "name", dp.cfg.channel);
	rte_tel_data_add_dict_string(d, "control_plane", dp_channel_cp_state());
	if (!chan.open)
		return 0;
	h = chan.ch.h;
	age = sbc_chan_peer_age_ms(&chan.ch);
	rte_tel_data_add_dict_string(d, "mode", strcmp(dp_channel_cp_state(), "alive") == 0 ?
				     "live" : "fail-static (enforcing the last good state)");
	rte_tel_data_add_dict_u64(d, "cp_pid", __atomic_load_n(&h->cp.pid, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "cp_heartbeat_age_ms", age == UINT64_MAX ? 0 : age);
	/* random 64-bit ids: as hex text, since JSON readers (jansson, JavaScript) choke on
	 * integers above 2^63 or 2^53 */
	{
		char id[24];

		snprintf(id, sizeof(id), "%016llx", (unsigned long long)chan.boot_id);
		rte_tel_data_add_dict_string(d, "dp_boot_id", id);
		snprintf(id, sizeof(id), "%016llx",
			 (unsigned long long)sbc_chan_peer_boot_id(&chan.ch));
		rte_tel_data_add_dict_string(d, "cp_boot_id", id);
	}
	rte_tel_data_add_dict_u64(d, "cmd_depth", sbc_ring_depth(&h->cmd));
	rte_tel_data_add_dict_u64(d, "evt_depth", sbc_ring_depth(&h->evt));
	rte_tel_data_add_dict_u64(d, "cmd_full_waits", h->cmd.full_waits);
	rte_tel_data_add_dict_u64(d, "commands", __atomic_load_n(&chan.commands, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "applied", __atomic_load_n(&chan.applied, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "refused", __atomic_load_n(&chan.refused, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "invalid", __atomic_load_n(&chan.invalid, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "events_lost",
				  __atomic_load_n(&chan.events_lost, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_string(d, "media_last_refusal", chan.media_refusal);
	rte_tel_data_add_dict_u64(d, "admit_end_unknown",
				  __atomic_load_n(&chan.admit_end_unknown, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "last_generation",
				  __atomic_load_n(&chan.last_generation, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "last_applied_ns",
				  __atomic_load_n(&chan.last_applied_ns, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "last_apply_us",
				  __atomic_load_n(&chan.last_latency_ns, __ATOMIC_RELAXED) / 1000);
	tel_cp_status(d);
	tel_cp_calls(d);
	tel_cp_media(d);
	tel_cp_registrar(d);
	return 0;
}
