/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's end of the shared-memory channel, driven by a TICK_MS timer on su_root:
 * attach (and wait for the data plane when it is not there), heartbeat, notice a data plane
 * that restarted (new boot id) and replay everything to it, drain events (to the policy and
 * the call records), and feed commands into the ring in order. A full ring never loses a
 * command: they wait in a local queue. Also the B2BUA's trunk states (TRUNK_STATE, at most one
 * per trunk and tick) and the loop's own lateness. Runs on the su_root thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sofia-sip/su_wait.h>

#include "cp_admit.h"
#include "cp_cdr.h"
#include "cp_chan.h"
#include "cp_deny.h"
#include "cp_log.h"
#include "cp_media.h"
#include "cp_policy.h"
#include "cp_route.h"
#include "cp_status.h"

/* Sofia-SIP rounds the time to the next timer down to whole milliseconds: a 1 ms tick is always
 * less than a millisecond away, and the loop spun on epoll_wait with a 0 timeout ~10,000 times a
 * second (strace at 250 CPS). Commands go into the ring at once (cp_chan_send); only events,
 * heartbeats and the queue's overflow wait for the tick. */
#define TICK_MS 10
#define ATTACH_EVERY_MS 500
#define HEARTBEAT_EVERY_MS 100
#define STATUS_EVERY_MS 1000
#define DP_SILENT_MS 2000
#define EVENTS_PER_TICK 4096
#define QUEUE_MIN 4096		/* commands the local queue holds at first, */
#define QUEUE_KEEP 65536	/* and keeps after a drop (a million-prefix replace's worth goes) */
#define LATE_WINDOW_MS 10000	/* the loop's worst lateness is reported over this window */

static struct {
	const struct sbc_config *cfg;
	su_root_t *root;
	su_timer_t *timer;
	struct sbc_channel ch;
	bool attached, ready, hash_bad;
	uint64_t boot;		/* the data plane's boot id we are (getting) in sync with */
	uint64_t my_boot;
	uint64_t gen;
	uint64_t last_attach, last_beat, last_status, last_tick;
	uint64_t late_max, late_prev;	/* worst tick lateness (ms): this window, the last one */
	uint64_t late_window;		/* when this window started */
	bool *trunk_dirty;		/* TRUNK_STATE to send */
	char last_err[256];
	bool silent_logged, stopped_logged;
	/* commands waiting for room in the ring: a growable circular queue */
	struct sbc_msg *q;
	size_t q_head, q_n, q_cap;
} ch;

static uint64_t now_ms(void)
{
	return sbc_mono_ns() / 1000000ull;
}

bool cp_chan_ready(void)
{
	return ch.attached && ch.ready;
}

size_t cp_chan_queued(void)
{
	return ch.q_n;
}

uint64_t cp_chan_next_generation(void)
{
	return ++ch.gen;
}

static bool region_ok(void)
{
	return __atomic_load_n(&ch.ch.h->magic, __ATOMIC_ACQUIRE) == SBC_CHAN_MAGIC;
}

static void flush(void)
{
	while (ch.q_n > 0 && region_ok()) {
		if (sbc_ring_send(ch.ch.h, &ch.ch.h->cmd, &ch.q[ch.q_head]) != 0)
			return;
		ch.q_head = (ch.q_head + 1) % ch.q_cap;
		ch.q_n--;
	}
	if (ch.q_n == 0)
		ch.q_head = 0;
}

static int enqueue(const struct sbc_msg *m)
{
	if (ch.q_n == ch.q_cap) {
		size_t cap = ch.q_cap ? ch.q_cap * 2 : QUEUE_MIN;
		struct sbc_msg *q = malloc(cap * sizeof(*q));

		if (q == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < ch.q_n; i++)
			q[i] = ch.q[(ch.q_head + i) % ch.q_cap];
		free(ch.q);
		ch.q = q;
		ch.q_cap = cap;
		ch.q_head = 0;
	}
	ch.q[(ch.q_head + ch.q_n) % ch.q_cap] = *m;
	ch.q_n++;
	return 0;
}

static void queue_drop(void)
{
	ch.q_n = 0;
	ch.q_head = 0;
	if (ch.q_cap > QUEUE_KEEP) {
		free(ch.q);
		ch.q = NULL;
		ch.q_cap = 0;
	}
}

uint64_t cp_chan_send_gen(uint16_t type, const void *body, uint32_t len, uint64_t generation)
{
	struct sbc_msg m;

	sbc_msg_init(&m, type, body, len, generation);
	if (!ch.attached)
		return generation;	/* replayed in full once attached */
	if (ch.q_n == 0 && region_ok() && sbc_ring_send(ch.ch.h, &ch.ch.h->cmd, &m) == 0)
		return generation;
	if (enqueue(&m) != 0) {
		/* cannot keep it: make the next sync a full replay instead of losing it */
		cp_log(CP_ERR, "out of memory queueing a command; replaying everything");
		queue_drop();
		cp_policy_dp_reset();
	}
	return generation;
}

uint64_t cp_chan_send(uint16_t type, const void *body, uint32_t len)
{
	return cp_chan_send_gen(type, body, len, cp_chan_next_generation());
}

static void send_status(void)
{
	struct sbc_msg_cp_status s;
	struct sbc_msg_cp_calls c;
	struct sbc_msg_cp_registrar r;
	struct sbc_msg_cp_media md;

	cp_status_fill(&s);
	s.queued = ch.q_n;
	cp_chan_send(SBC_CMD_CP_STATUS, &s, sizeof(s));
	cp_status_fill_calls(&c);
	c.loop_late_max_ms = ch.late_max > ch.late_prev ? ch.late_max : ch.late_prev;
	cp_chan_send(SBC_CMD_CP_CALLS, &c, sizeof(c));
	cp_status_fill_registrar(&r);
	cp_chan_send(SBC_CMD_CP_REGISTRAR, &r, sizeof(r));
	cp_status_fill_media(&md);
	cp_chan_send(SBC_CMD_CP_MEDIA, &md, sizeof(md));
}

void cp_chan_trunk_changed(unsigned int trunk)
{
	if (ch.trunk_dirty != NULL && trunk < ch.cfg->n_trunks)
		ch.trunk_dirty[trunk] = true;
}

/* The trunks the B2BUA sends calls to (a uri): health, calls out, last code. */
static void send_trunk_states(void)
{
	for (unsigned int i = 0; ch.trunk_dirty != NULL && i < ch.cfg->n_trunks; i++) {
		const struct cp_route_trunk *r = cp_route_trunk(i);
		struct sbc_msg_trunk_state s;

		if (!ch.trunk_dirty[i])
			continue;
		ch.trunk_dirty[i] = false;
		if (r == NULL || !cp_route_active() || ch.cfg->trunks[i].uri[0] == '\0')
			continue;
		memset(&s, 0, sizeof(s));
		s.trunk = (uint16_t)i;
		s.health = r->up ? SBC_HEALTH_UP : SBC_HEALTH_DOWN;
		s.options_misses = r->misses;
		s.calls_out = r->calls_out;
		s.last_code = r->last_code;
		cp_chan_send(SBC_CMD_TRUNK_STATE, &s, sizeof(s));
	}
}

/* How late the tick came: a loop that stalls delays SIP timers too. */
static void note_lateness(uint64_t now)
{
	uint64_t late = ch.last_tick != 0 && now - ch.last_tick > TICK_MS ?
			now - ch.last_tick - TICK_MS : 0;

	ch.last_tick = now;
	if (now - ch.late_window >= LATE_WINDOW_MS) {
		ch.late_prev = ch.late_max;
		ch.late_max = 0;
		ch.late_window = now;
	}
	if (late > ch.late_max)
		ch.late_max = late;
	if (late > 30)
		cp_log(CP_DEBUG, "loop: channel tick %llu ms late", (unsigned long long)late);
}

static void on_started(const struct sbc_msg *m)
{
	const struct sbc_msg_started *s = (const void *)m->body;
	uint64_t mine = sbc_trunks_hash(ch.cfg);

	if (s->boot_id != ch.boot)
		return;		/* an older data plane's greeting */
	if (s->trunks_hash != mine || s->n_trunks != ch.cfg->n_trunks) {
		if (!ch.hash_bad)
			cp_log(CP_ERR, "the data plane (pid %u) was started with another trunk list "
			       "(%u trunks) than %s (%u trunks): trunk ids would not match, so "
			       "nothing is sent; start both processes with the same configuration",
			       s->pid, s->n_trunks, ch.cfg->path, ch.cfg->n_trunks);
		ch.hash_bad = true;
		ch.ready = false;
		return;
	}
	ch.hash_bad = false;
	if (ch.ready)
		return;
	ch.ready = true;
	cp_log(CP_INFO, "data plane pid %u (boot %016llx) in sync: sending the full state",
	       s->pid, (unsigned long long)s->boot_id);
	cp_policy_dp_reset();
	cp_policy_sync();
	for (unsigned int i = 0; ch.trunk_dirty != NULL && i < ch.cfg->n_trunks; i++)
		ch.trunk_dirty[i] = true;
	send_trunk_states();
	cp_deny_dp_reset();
	cp_media_dp_sync();
	send_status();
}

static void drain_events(void)
{
	struct sbc_msg m;
	int rc, budget = EVENTS_PER_TICK;

	while (budget-- > 0 && region_ok() &&
	       (rc = sbc_ring_recv(ch.ch.h, &ch.ch.h->evt, &m)) != 0) {
		if (rc < 0)
			continue;
		switch (m.type) {
		case SBC_EVT_STARTED:
			on_started(&m);
			break;
		case SBC_EVT_APPLIED:
		case SBC_EVT_REFUSED:
		case SBC_EVT_TABLE_FULL:
			if (ch.ready)
				cp_policy_event(&m);
			break;
		case SBC_EVT_CALL_ADMITTED:
		case SBC_EVT_CALL_ENDED:
			cp_cdr_event(&m);
			break;
		case SBC_EVT_ADMIT_VERDICT:
			cp_admit_verdict(&m);
			break;
		case SBC_EVT_MEDIA_READY:
		case SBC_EVT_MEDIA_GONE:
		case SBC_EVT_MEDIA_TIMEOUT:
			cp_media_event(&m);
			break;
		default:
			break;
		}
	}
}

void cp_chan_poll_events(void)
{
	if (ch.attached && region_ok() && ch.ready)
		drain_events();
}

static void try_attach(uint64_t now)
{
	char err[256];

	if (now - ch.last_attach < ATTACH_EVERY_MS && ch.last_attach != 0)
		return;
	ch.last_attach = now;
	if (sbc_chan_attach(&ch.ch, ch.cfg->channel, ch.my_boot, err, sizeof(err)) != 0) {
		if (strcmp(err, ch.last_err) != 0)
			cp_log(CP_WARN, "channel: %s; retrying every %d ms", err, ATTACH_EVERY_MS);
		snprintf(ch.last_err, sizeof(ch.last_err), "%s", err);
		return;
	}
	ch.last_err[0] = '\0';
	ch.attached = true;
	ch.ready = false;
	ch.boot = 0;
	sbc_chan_heartbeat(&ch.ch);
	cp_log(CP_INFO, "channel %s attached", ch.cfg->channel);
}

/*
 * Is a data plane there? Its boot id 0: it stopped (what was queued is dropped). A new boot id:
 * a new data plane, whose calls and tables start empty; it is asked to say hello (STARTED),
 * which makes us send everything.
 */
static bool peer_present(void)
{
	uint64_t boot = sbc_chan_peer_boot_id(&ch.ch);

	if (boot == 0) {
		if (!ch.stopped_logged && ch.boot != 0)
			cp_log(CP_WARN, "data plane stopped; waiting for it to come back");
		ch.stopped_logged = true;
		ch.ready = false;
		ch.boot = 0;
		queue_drop();
		return false;
	}
	if (boot != ch.boot) {
		if (ch.boot != 0)
			cp_cdr_reset();
		ch.boot = boot;
		ch.ready = false;
		ch.stopped_logged = false;
		ch.silent_logged = false;
		queue_drop();
		cp_chan_send(SBC_CMD_RESYNC_REQUEST, NULL, 0);
	}
	return true;
}

/* A data plane that stopped beating (stalled, or stopped by a debugger): said once. */
static void watch_heartbeat(void)
{
	uint64_t age = sbc_chan_peer_age_ms(&ch.ch);

	if (age != UINT64_MAX && age > DP_SILENT_MS) {
		if (!ch.silent_logged)
			cp_log(CP_WARN, "data plane heartbeat is %llu ms old; commands wait in the "
			       "queue (%zu)", (unsigned long long)age, ch.q_n);
		ch.silent_logged = true;
	} else if (ch.silent_logged) {
		cp_log(CP_INFO, "data plane heartbeat back");
		ch.silent_logged = false;
	}
}

static void tick(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	uint64_t now = now_ms();

	(void)magic;
	(void)t;
	(void)arg;
	note_lateness(now);
	cp_log_sofia_flush(0, 0);	/* Sofia's lines left out this minute, once it is over */
	if (!ch.attached) {
		try_attach(now);
		if (!ch.attached)
			return;
	}
	if (now - ch.last_beat >= HEARTBEAT_EVERY_MS) {
		sbc_chan_heartbeat(&ch.ch);
		ch.last_beat = now;
	}
	if (!region_ok()) {	/* the data plane is re-initialising the region */
		ch.ready = false;
		return;
	}
	if (!peer_present())
		return;
	watch_heartbeat();
	drain_events();
	flush();
	cp_policy_sync();
	if (ch.ready)
		send_trunk_states();
	flush();
	if (ch.ready && now - ch.last_status >= STATUS_EVERY_MS) {
		send_status();
		ch.last_status = now;
	}
}

int cp_chan_start(su_root_t *root, const struct sbc_config *cfg)
{
	ch.cfg = cfg;
	ch.root = root;
	ch.my_boot = sbc_now_ns() ^ ((uint64_t)getpid() << 40);
	ch.gen = sbc_now_ns() / 1000;	/* unique across restarts: events name our commands */
	ch.timer = su_timer_create(su_root_task(root), TICK_MS);
	ch.trunk_dirty = calloc(cfg->n_trunks ? cfg->n_trunks : 1, sizeof(*ch.trunk_dirty));
	if (ch.timer == NULL || ch.trunk_dirty == NULL ||
	    su_timer_set_for_ever(ch.timer, tick, NULL) != 0)
		return -ENOMEM;
	tick(NULL, NULL, NULL);
	return 0;
}

void cp_chan_stop(void)
{
	if (ch.timer) {
		su_timer_destroy(ch.timer);
		ch.timer = NULL;
	}
	if (ch.attached) {
		flush();
		/* say goodbye: the data plane shows the control plane absent at once */
		__atomic_store_n(&ch.ch.h->cp.heartbeat_ns, 0, __ATOMIC_RELEASE);
		sbc_chan_close(&ch.ch, false);
		ch.attached = false;
	}
	free(ch.q);
	ch.q = NULL;
	ch.q_cap = ch.q_n = 0;
	free(ch.trunk_dirty);
	ch.trunk_dirty = NULL;
}
