/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The media table's main-lcore side (dp_media.h): session slots, the port index the workers
 * read, the id map only the main lcore reads, the deferred work that waits for RCU (events, slot
 * reuse), the media timeout scan and the telemetry. Mutations and the telemetry thread's
 * reads share a mutex; workers never take it.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "dp.h"
#include "dp_channel.h"
#include "dp_media.h"
#include "dp_neigh.h"
#include "dp_srtp.h"

#define PEND_MAX 8192		/* deferred actions before a forced RCU wait */
#define SCAN_EVERY_NS 250000000ull	/* media_timeout scan period */

struct dp_media_session *dp_media_slots;
struct dp_media_fwd *dp_media_fwd;
uint32_t *dp_media_index;
uint32_t dp_media_srtp_sessions;
uint16_t dp_media_port_base;
uint32_t dp_media_n_ports;
uint8_t dp_media_locals[DP_MEDIA_LOCALS][16];
static uint8_t locals_family[DP_MEDIA_LOCALS];
static unsigned int n_locals;

/* P_SRTP_RELEASE: seq holds the leg whose srtp_out changes worker (srtp_release) */
enum pend_kind { P_READY, P_GONE, P_RECLAIM, P_SRTP_RELEASE };

struct pend {
	uint8_t kind;
	uint32_t slot;		/* UINT32_MAX: none (GONE of an unknown session) */
	uint64_t session;
	uint32_t seq;
};

static struct {
	struct rte_hash *ids;		/* session id -> slot, main lcore only */
	struct rte_rcu_qsbr *qsv;
	uint32_t cap, n_slots, live;
	uint32_t *free_slots, n_free;
	struct pend *pend;
	uint32_t n_pend;
	/* the grace period in flight: pend[0..wait_pend) completes once every worker has passed
	 * token (polled by dp_media_commit, never spun on) */
	bool waiting;
	uint64_t token;
	uint32_t wait_pend;
	uint64_t last_scan_ns;
	dp_media_send_fn send;
	pthread_mutex_t lock;
	/* counters, read by the telemetry thread */
	uint64_t sets, updates, dels, dels_unknown, flushes, timeouts, gone;
	uint64_t refused[3];		/* -ENOSPC, -EADDRINUSE, -EINVAL */
} md = { .lock = PTHREAD_MUTEX_INITIALIZER };

static inline void bump(uint64_t *c)
{
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
}

/* dp_media_locals in the order dp_media.h's dp_media_local_* say. */
static void locals_of(const struct sbc_config *c)
{
	n_locals = 0;
	memset(dp_media_locals, 0, sizeof(dp_media_locals));
	locals_family[n_locals] = SBC_AF_V4;
	memcpy(dp_media_locals[n_locals++], c->address, 4);
	for (unsigned int k = 0; k < c->n_media_addr4; k++) {
		locals_family[n_locals] = SBC_AF_V4;
		memcpy(dp_media_locals[n_locals++], c->media_addr4[k], 4);
	}
	if (c->has_address6) {
		locals_family[n_locals] = SBC_AF_V6;
		memcpy(dp_media_locals[n_locals++], c->address6, 16);
	}
	for (unsigned int k = 0; k < c->n_media_addr6; k++) {
		locals_family[n_locals] = SBC_AF_V6;
		memcpy(dp_media_locals[n_locals++], c->media_addr6[k], 16);
	}
}

uint32_t dp_media_capacity(const struct sbc_config *c)
{
	uint32_t ports = (uint32_t)c->media_port_max - c->media_port_min + 1;

	if (c->media_sessions != 0)
		return c->media_sessions;
	return ports / 2 * (c->has_address6 ? 2 : 1);
}

int dp_media_create(const struct sbc_config *c, struct rte_rcu_qsbr *qsv, int socket)
{
	uint32_t spare;
	struct rte_hash_parameters ip = {
		.name = "sbc_media_ids",
		.key_len = sizeof(uint64_t),
		.hash_func = rte_hash_crc,
		.socket_id = socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	md.qsv = qsv;
	md.cap = dp_media_capacity(c);
	spare = md.cap / 8 + 64;	/* new versions while the old wait for RCU */
	md.n_slots = md.cap + spare;
	ip.entries = md.n_slots;
	locals_of(c);
	dp_media_port_base = c->media_port_min;
	dp_media_n_ports = (uint32_t)c->media_port_max - c->media_port_min + 1;
	dp_media_index = rte_zmalloc_socket("sbc_media_index", (size_t)n_locals *
					    dp_media_n_ports * sizeof(*dp_media_index),
					    RTE_CACHE_LINE_SIZE, socket);
	dp_media_slots = rte_zmalloc_socket("sbc_media_slots",
					    (size_t)md.n_slots * sizeof(*dp_media_slots),
					    RTE_CACHE_LINE_SIZE, socket);
	dp_media_fwd = rte_zmalloc_socket("sbc_media_fwd",
					  (size_t)md.n_slots * 2 * sizeof(*dp_media_fwd),
					  sizeof(*dp_media_fwd), socket);
	md.free_slots = malloc((size_t)md.n_slots * sizeof(*md.free_slots));
	md.pend = malloc(PEND_MAX * sizeof(*md.pend));
	md.ids = rte_hash_create(&ip);
	if (dp_media_slots == NULL || dp_media_fwd == NULL || md.free_slots == NULL ||
	    md.pend == NULL || dp_media_index == NULL || md.ids == NULL) {
		dp_media_free();
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < md.n_slots; i++)
		md.free_slots[i] = md.n_slots - 1 - i;
	md.n_free = md.n_slots;
	return 0;
}

static void srtp_reclaim(struct dp_media_session *s);

void dp_media_free(void)
{
	for (uint32_t i = 0; dp_media_slots != NULL && i < md.n_slots; i++)
		srtp_reclaim(&dp_media_slots[i]);
	rte_hash_free(md.ids);
	rte_free(dp_media_index);
	rte_free(dp_media_slots);
	rte_free(dp_media_fwd);
	free(md.free_slots);
	free(md.pend);
	dp_media_index = NULL;
	md.ids = NULL;
	dp_media_slots = NULL;
	dp_media_fwd = NULL;
	md.free_slots = NULL;
	md.pend = NULL;
}

/* The channel's event sender, given with each dp_media_commit / dp_media_tick. */
static dp_media_send_fn sender;

/* ---- a session's ports: their words in dp_media_index */

static unsigned int alen(uint8_t family)
{
	return family == SBC_AF_V6 ? 16 : 4;
}

static int local_index(uint8_t family, const uint8_t *addr);

/* The place of a leg's RTP (rtcp 0) or RTCP port's word (legs_ok has checked that the local
 * address is one of ours and the port in media_ports). */
static uint32_t key_of(const struct sbc_media_leg *l, unsigned int rtcp)
{
	uint32_t *w = dp_media_word((unsigned int)local_index(l->family, l->local_addr),
				    (uint16_t)(l->local_port + rtcp));

	return (uint32_t)(w - dp_media_index);
}

/* A session's ports' places and the words they get; returns how many (2 to 4). */
static unsigned int keys_of(const struct sbc_media_leg *leg, uint32_t slot, uint32_t *k,
			    uint32_t *d)
{
	unsigned int n = 0;

	for (unsigned int l = 0; l < 2; l++)
		for (unsigned int r = 0; r < ((leg[l].flags & SBC_MEDIA_RTCP_MUX) ? 1u : 2u); r++) {
			k[n] = key_of(&leg[l], r);
			d[n++] = (uint32_t)(uintptr_t)DP_MEDIA_DATA(slot, l, r) + 1;
		}
	return n;
}

/* The legs of a slot in the channel's form (for keys_of on an installed version). */
static void legs_of(const struct dp_media_session *s, struct sbc_media_leg *out)
{
	memset(out, 0, 2 * sizeof(*out));
	for (unsigned int l = 0; l < 2; l++) {
		out[l].family = s->leg[l].family;
		out[l].flags = s->leg[l].flags;
		out[l].local_port = s->leg[l].local_port;
		memcpy(out[l].local_addr, s->leg[l].local_addr, 16);
	}
}

static bool key_in(uint32_t k, const uint32_t *set, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (set[i] == k)
			return true;
	return false;
}

static int32_t slot_of_id(uint64_t id)
{
	void *d;

	if (rte_hash_lookup_data(md.ids, &id, &d) < 0)
		return -1;
	return (int32_t)(uintptr_t)d;
}

/* ---- deferred work */

static void commit_wait(void);

static void pend(uint8_t kind, uint32_t slot, uint64_t session, uint32_t seq)
{
	if (md.n_pend == PEND_MAX)
		commit_wait();
	md.pend[md.n_pend++] = (struct pend){ kind, slot, session, seq };
}

/* A port's word cleared: the next packet to it finds no session (one that read the word before
 * still finds the version it named, kept until RCU). */
static void del_key(uint32_t k)
{
	__atomic_store_n(&dp_media_index[k], 0, __ATOMIC_RELEASE);
}

static uint64_t last_packet_ns(const struct dp_media_session *s);

static void send_gone(const struct pend *p, dp_media_send_fn send)
{
	struct sbc_msg_media_stats st;

	memset(&st, 0, sizeof(st));
	st.session = p->session;
	st.seq = p->seq;
	st.reason = SBC_MEDIA_END_DEL;
	if (p->slot != UINT32_MAX) {
		const struct dp_media_session *s = &dp_media_slots[p->slot];
		uint64_t now = dp_clock_ns(), last = s->installed_ns;

		for (unsigned int l = 0; l < 2; l++)
			dp_media_leg_stats(s, l, &st.leg[l]);
		last = last_packet_ns(s);
		st.idle_ms = now > last ? (now - last) / 1000000 : 0;
	}
	if (send != NULL)
		send(SBC_EVT_MEDIA_GONE, &st, sizeof(st));
	bump(&md.gone);
}

/* What the grace period covered: READY and GONE sent, slots back; what was queued since moves
 * to the front. */
static void complete(uint32_t np)
{
	pthread_mutex_lock(&md.lock);
	for (uint32_t i = 0; i < np; i++) {
		const struct pend *p = &md.pend[i];
		struct sbc_msg_media_ref r = { .session = p->session, .seq = p->seq, .error = 0 };

		switch (p->kind) {
		case P_READY:
			if (sender != NULL)
				sender(SBC_EVT_MEDIA_READY, &r, sizeof(r));
			break;
		case P_GONE:
			send_gone(p, sender);
			if (p->slot != UINT32_MAX) {
				srtp_reclaim(&dp_media_slots[p->slot]);
				md.free_slots[md.n_free++] = p->slot;
			}
			break;
		case P_SRTP_RELEASE:
			/* no worker handles the 5-tuple that drove it any more */
			dp_srtp_release(dp_media_slots[p->slot].leg[p->seq].srtp_out);
			break;
		default:
			srtp_reclaim(&dp_media_slots[p->slot]);
			md.free_slots[md.n_free++] = p->slot;
			break;
		}
	}
	memmove(md.pend, md.pend + np, (md.n_pend - np) * sizeof(*md.pend));
	md.n_pend -= np;
	pthread_mutex_unlock(&md.lock);
}

/* Start a grace period for everything queued (none in flight), done at once if no worker is
 * inside a lookup. */
static void start(void)
{
	if (md.n_pend == 0)
		return;
	md.token = rte_rcu_qsbr_start(md.qsv);
	md.wait_pend = md.n_pend;
	md.waiting = true;
	if (rte_rcu_qsbr_check(md.qsv, md.token, false) == 1) {
		md.waiting = false;
		complete(md.wait_pend);
	}
}

/*
 * Called on every pass of the main lcore's loop: the grace period in flight is checked, not
 * waited for (rte_rcu_qsbr_synchronize would spin the main lcore, which shares a core with the
 * control plane on small machines, for as long as a worker is descheduled).
 */
void dp_media_commit(dp_media_send_fn send)
{
	if (send != NULL)
		sender = send;
	if (md.waiting) {
		if (rte_rcu_qsbr_check(md.qsv, md.token, false) != 1)
			return;
		md.waiting = false;
		complete(md.wait_pend);
	}
	start();
}

/* The queue is full: wait for the grace period in flight and one for the rest. */
static void commit_wait(void)
{
	if (md.waiting) {
		rte_rcu_qsbr_check(md.qsv, md.token, true);
		md.waiting = false;
		complete(md.wait_pend);
	}
	start();
	if (md.waiting) {
		rte_rcu_qsbr_check(md.qsv, md.token, true);
		md.waiting = false;
		complete(md.wait_pend);
	}
}

/* ---- MEDIA_SET */

static int refuse(int rc, char *err, size_t errlen, const char *fmt, unsigned int a)
{
	snprintf(err, errlen, fmt, a);
	bump(&md.refused[rc == -ENOSPC ? 0 : rc == -EADDRINUSE ? 1 : 2]);
	return rc;
}

/* A leg's local address, one the data plane receives media on (address, address6, or one of
 * media_addresses): its index in dp_media_locals, or -1. */
static int local_index(uint8_t family, const uint8_t *addr)
{
	for (unsigned int k = 0; k < n_locals; k++)
		if (locals_family[k] == family && memcmp(addr, dp_media_locals[k], alen(family)) == 0)
			return (int)k;
	return -1;
}

/* Each leg sane beyond what sbc_msg_validate checked (an even local port always leaves
 * port + 1 for RTCP): a local address of ours, a port in media_ports. */
static int legs_ok(const struct sbc_media_leg *leg, char *err, size_t errlen)
{
	for (unsigned int l = 0; l < 2; l++) {
		if (local_index(leg[l].family, leg[l].local_addr) < 0)
			return refuse(-EINVAL, err, errlen, "leg %u: the local address is not one of "
				      "address, address6, media_addresses", l);
		if (!dp_media_port(&dp.cfg, leg[l].local_port) ||
		    (!(leg[l].flags & SBC_MEDIA_RTCP_MUX) &&
		     !dp_media_port(&dp.cfg, (uint16_t)(leg[l].local_port + 1))))
			return refuse(-EINVAL, err, errlen, "leg %u: local port (or RTCP port) outside "
				      "media_ports",
				      l);
	}
	return 0;
}

/* The leg's SRTP as the message wants it: none, or contexts of these keys (dp_srtp_key_is
 * compares fingerprints: the table keeps no key). */
static bool srtp_same(const struct dp_media_leg *o, const struct sbc_media_leg *n)
{
	if (n->srtp == SBC_SRTP_NONE)
		return o->srtp_in == NULL && o->srtp_out == NULL;
	return dp_srtp_key_is(o->srtp_in, n->srtp, n->key_rx) &&
	       dp_srtp_key_is(o->srtp_out, n->srtp, n->key_tx);
}

/* Same remote and keys: a re-INVITE that did not touch this leg keeps its state. */
static bool leg_same(const struct dp_media_leg *o, const struct sbc_media_leg *n)
{
	return srtp_same(o, n) && o->family == n->family && o->remote_port == n->remote_port &&
	       o->remote_rtcp_port == n->remote_rtcp_port &&
	       ((o->flags ^ n->flags) & (SBC_MEDIA_LATCH | SBC_MEDIA_RTCP_MUX)) == 0 &&
	       memcmp(o->remote_addr, n->remote_addr, 16) == 0 && o->srtp == n->srtp &&
	       memcmp(o->local_addr, n->local_addr, 16) == 0 && o->local_port == n->local_port;
}

static void fill_leg(struct dp_media_leg *d, const struct sbc_media_leg *l,
		     const struct dp_media_leg *keep, struct dp_srtp_ctx *const ctx[2])
{
	if (keep != NULL) {
		/* latched ports, figures: a worker may still add a packet or two to the old
		 * version until the RCU wait; those are not carried over */
		memcpy(d, keep, sizeof(*d));
		d->flags = l->flags;		/* HOLD may change */
		d->trunk = l->trunk;
		return;
	}
	memset(d, 0, sizeof(*d));
	d->family = l->family;
	d->flags = l->flags;
	d->srtp = l->srtp;
	d->srtp_in = ctx[0];
	d->srtp_out = ctx[1];
	d->trunk = l->trunk;
	d->local_port = l->local_port;
	d->remote_port = l->remote_port;
	d->remote_rtcp_port = l->remote_rtcp_port;
	memcpy(d->local_addr, l->local_addr, 16);
	memcpy(d->remote_addr, l->remote_addr, 16);
	if (l->family == SBC_AF_V4) {
		memset(d->local_addr + 4, 0, 12);
		memset(d->remote_addr + 4, 0, 12);
	}
}

/* The port of place k (for a refusal's text). */
static unsigned int port_at(uint32_t k)
{
	return dp_media_port_base + k % dp_media_n_ports;
}

/* Ports another session holds, or two legs on one port: -EADDRINUSE / -EINVAL. */
static int keys_free(const uint32_t *k, unsigned int n, int32_t old, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < n; i++) {
		uint32_t w = dp_media_index[k[i]];

		if (key_in(k[i], k, i))
			return refuse(-EINVAL, err, errlen, "local port %u used twice", port_at(k[i]));
		if (w != 0 && (old < 0 || DP_MEDIA_SLOT((uintptr_t)w - 1) != (uint32_t)old))
			return refuse(-EADDRINUSE, err, errlen, "local port %u belongs to another "
				      "session", port_at(k[i]));
	}
	return 0;
}

/* The new version's ports point at it (release: its slot and directions are written). */
static void add_keys(const uint32_t *k, const uint32_t *d, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		__atomic_store_n(&dp_media_index[k[i]], d[i], __ATOMIC_RELEASE);
}

/* A leg's latched ports (+ 1, 0: none) as its direction holds them. */
static void latches_of(const struct dp_media_leg *l, const struct dp_media_fwd *f, uint32_t *v)
{
	bool on = l->flags & SBC_MEDIA_LATCH;

	v[0] = on ? __atomic_load_n(&f->src_port[0], __ATOMIC_RELAXED) : 0;
	v[1] = on ? __atomic_load_n(&f->src_port[1], __ATOMIC_RELAXED) : 0;
}

/* Where out's remote receives RTP, or RTCP (its RTCP port unless rtcp-mux), given its latched
 * ports; 0: not known yet (a latching leg that has sent nothing). The workers keep the answer
 * current in dst_port as out latches (dp_path_media.c). */
static uint16_t dest_port(const struct dp_media_leg *out, const uint32_t *latch, bool rtcp)
{
	if (rtcp && !(out->flags & SBC_MEDIA_RTCP_MUX)) {
		if (latch[1] != 0)
			return (uint16_t)(latch[1] - 1);
		if (out->remote_rtcp_port != 0 && out->remote_port != 0)
			return out->remote_rtcp_port;	/* a latching leg's SDP port is no guess */
		return (uint16_t)latch[0];		/* RTP port + 1, or 0 */
	}
	return latch[0] != 0 ? (uint16_t)(latch[0] - 1) : out->remote_port;
}

/* The direction from in to out (dp_media.h), with the in leg's figures of kept (NULL: none). */
static void fwd_build(struct dp_media_fwd *f, const struct dp_media_leg *in,
		      const struct dp_media_leg *out, const uint32_t *in_latch,
		      const uint32_t *out_latch, const struct dp_media_fwd *kept)
{
	bool out_mux = out->flags & SBC_MEDIA_RTCP_MUX;

	memset(f, 0, sizeof(*f));
	memcpy(f->src, in->remote_addr, 16);
	memcpy(f->dst, out->remote_addr, 16);
	if (in->flags & SBC_MEDIA_LATCH) {
		f->src_port[0] = in_latch[0];
		f->src_port[1] = in_latch[1];
	} else {
		f->src_port[0] = in->remote_port + 1u;
		f->src_port[1] = in->remote_rtcp_port + 1u;
	}
	f->dst_port[0] = dest_port(out, out_latch, false);
	f->dst_port[1] = dest_port(out, out_latch, true);
	f->out_port = out->local_port;
	f->out_family = out->family;
	f->out_local = (uint8_t)local_index(out->family, out->local_addr);	/* legs_ok: >= 0 */
	f->flags = (uint8_t)(((in->flags & SBC_MEDIA_LATCH) ? DP_FWD_LATCH : 0) |
			     ((in->flags & SBC_MEDIA_RTCP_MUX) ? DP_FWD_MUX : 0) |
			     (out_mux ? DP_FWD_OUT_MUX : 0) |
			     (in->srtp_in != NULL || out->srtp_out != NULL ? DP_FWD_SRTP : 0));
	if (in->family == SBC_AF_V4 && out->family == SBC_AF_V4 &&
	    !(f->flags & (DP_FWD_MUX | DP_FWD_SRTP)))
		f->flags |= DP_FWD_FAST4;
	/* summed as big-endian words (dp_sum16), stored in the host's order (htons): a one's
	 * complement sum of byte-swapped words is the byte-swapped sum */
	if (in->family == SBC_AF_V4 && out->family == SBC_AF_V4) {
		f->v4_addr_delta = htons(dp_fold16((uint16_t)~dp_fold16(dp_sum16(in->remote_addr, 4) +
									 dp_sum16(in->local_addr, 4)) +
						   dp_sum16(out->local_addr, 4) +
						   dp_sum16(out->remote_addr, 4)));
		f->v4_hdr_sum = htons(dp_fold16((64u << 8 | DP_PROTO_UDP) +
						dp_sum16(out->local_addr, 4) +
						dp_sum16(out->remote_addr, 4)));
	}
	if (kept != NULL) {
		/* figures: a worker may still add a packet or two to the old version until
		 * the RCU wait; those are not carried over */
		f->packets = kept->packets;
		f->bytes = kept->bytes;
		f->last_ns = kept->last_ns;
		f->seq = kept->seq;
		f->jitter = kept->jitter;
	}
}

static inline struct dp_media_fwd *fwd_of(const struct dp_media_session *s, unsigned int leg)
{
	return &dp_media_fwd[(size_t)(s - dp_media_slots) * 2 + leg];
}

static void install(struct dp_media_session *s, const struct sbc_msg_media *m,
		    const struct dp_media_session *old, const bool same[2],
		    struct dp_srtp_ctx *const ctx[2][2], uint64_t now_ns)
{
	uint32_t latch[2][2] = { { 0, 0 }, { 0, 0 } };

	for (unsigned int l = 0; l < 2; l++) {
		fill_leg(&s->leg[l], &m->leg[l], same[l] ? &old->leg[l] : NULL, ctx[l]);
		if (same[l])	/* a kept leg keeps its latched ports */
			latches_of(&old->leg[l], fwd_of(old, l), latch[l]);
	}
	for (unsigned int l = 0; l < 2; l++) {
		fwd_build(fwd_of(s, l), &s->leg[l], &s->leg[l ^ 1], latch[l], latch[l ^ 1],
			  same[l] ? fwd_of(old, l) : NULL);
		fwd_of(s, l)->rtp_pt = m->rtp_pt[l];
		fwd_of(s, l)->rtp_k = m->rtp_clock_8k[l];
	}
	s->id = m->session;
	s->seq = m->seq;
	s->installed_ns = now_ns;
	s->timeout_sent = false;
	s->live = true;
}

/* ---- SRTP contexts (dp_srtp.h): made here, freed after RCU with their version */

/* A version's contexts, unless a newer version took them over. */
static void srtp_reclaim(struct dp_media_session *s)
{
	for (unsigned int l = 0; l < 2; l++) {
		struct dp_media_leg *g = &s->leg[l];

		if (!g->srtp_kept) {
			dp_srtp_ctx_free(g->srtp_in);
			dp_srtp_ctx_free(g->srtp_out);
		}
		g->srtp_in = g->srtp_out = NULL;
		g->srtp_kept = false;
	}
}

/* New contexts for each SRTP leg that does not keep its old ones: ctx[leg][0] unprotects what
 * the remote sends (key_rx), ctx[leg][1] protects what we send it (key_tx). */
static int srtp_make(const struct sbc_msg_media *m, const bool same[2],
		     struct dp_srtp_ctx *ctx[2][2], char *err, size_t errlen)
{
	char why[160];

	memset(ctx, 0, 4 * sizeof(ctx[0][0]));
	for (unsigned int l = 0; l < 2; l++) {
		const struct sbc_media_leg *g = &m->leg[l];

		if (same[l] || g->srtp == SBC_SRTP_NONE)
			continue;
		if (dp_srtp_ctx_new(&ctx[l][0], g->srtp, g->key_rx, true, why, sizeof(why)) != 0 ||
		    dp_srtp_ctx_new(&ctx[l][1], g->srtp, g->key_tx, false, why, sizeof(why)) != 0) {
			for (unsigned int i = 0; i < 4; i++)
				dp_srtp_ctx_free(ctx[i / 2][i % 2]);
			snprintf(err, errlen, "leg %u: SRTP: %s", l, why);
			bump(&md.refused[2]);
			return -EINVAL;
		}
	}
	return 0;
}

/* A kept leg's contexts now belong to the new version (lock held). */
static void srtp_handover(struct dp_media_session *old, const bool same[2])
{
	for (unsigned int l = 0; l < 2; l++)
		if (same[l])
			old->leg[l].srtp_kept = true;
}

/* A kept leg's srtp_out was driven by packets from the other leg's remote: when that leg
 * changed, another worker may see them: its owner is released after RCU (lock not held). */
static void srtp_release_moved(uint32_t slot, const bool same[2])
{
	for (unsigned int l = 0; l < 2; l++)
		if (same[l] && !same[l ^ 1] && dp_media_slots[slot].leg[l].srtp_out != NULL)
			pend(P_SRTP_RELEASE, slot, 0, l);
}

/* dp_media_srtp_sessions follows a live version with an SRTP leg coming (by 1) or going (-1). */
static void srtp_count(const struct dp_media_session *s, int by)
{
	if (s->leg[0].srtp != SBC_SRTP_NONE || s->leg[1].srtp != SBC_SRTP_NONE)
		__atomic_store_n(&dp_media_srtp_sessions,
				 (uint32_t)((int64_t)dp_media_srtp_sessions + by), __ATOMIC_RELAXED);
}

int dp_media_set(const struct sbc_msg_media *m, uint64_t now_ns, char *err, size_t errlen)
{
	struct dp_srtp_ctx *ctx[2][2];
	bool same[2];
	uint32_t k[4], ok[4], d[4], od[4];
	struct sbc_media_leg ol[2];
	unsigned int n, on = 0;
	int32_t old;
	uint32_t slot;
	int rc;

	rc = legs_ok(m->leg, err, errlen);
	if (rc != 0)
		return rc;
	old = slot_of_id(m->session);
	n = keys_of(m->leg, 0, k, d);
	rc = keys_free(k, n, old, err, errlen);
	if (rc != 0)
		return rc;
	if ((old < 0 && md.live >= md.cap) || md.n_free == 0)
		return refuse(-ENOSPC, err, errlen, "media table full (%u sessions: [dataplane] "
			      "media_sessions)", md.cap);
	for (unsigned int l = 0; l < 2; l++)
		same[l] = old >= 0 && leg_same(&dp_media_slots[old].leg[l], &m->leg[l]);
	rc = srtp_make(m, same, ctx, err, errlen);
	if (rc != 0)
		return rc;
	pthread_mutex_lock(&md.lock);
	slot = md.free_slots[--md.n_free];
	install(&dp_media_slots[slot], m, old >= 0 ? &dp_media_slots[old] : NULL, same, ctx,
		now_ns);
	n = keys_of(m->leg, slot, k, d);
	if (old >= 0) {
		legs_of(&dp_media_slots[old], ol);
		on = keys_of(ol, (uint32_t)old, ok, od);
	}
	srtp_count(&dp_media_slots[slot], 1);
	if (old >= 0)
		srtp_count(&dp_media_slots[old], -1);
	add_keys(k, d, n);
	rte_hash_add_key_data(md.ids, &m->session, (void *)(uintptr_t)slot);
	if (old >= 0) {
		for (unsigned int i = 0; i < on; i++)
			if (!key_in(ok[i], k, n))
				del_key(ok[i]);
		srtp_handover(&dp_media_slots[old], same);
		dp_media_slots[old].live = false;
		bump(&md.updates);
	} else {
		md.live++;
	}
	bump(&md.sets);
	pthread_mutex_unlock(&md.lock);
	if (old >= 0) {
		pend(P_RECLAIM, (uint32_t)old, 0, 0);
		srtp_release_moved(slot, same);
	}
	pend(P_READY, slot, m->session, m->seq);
	return 0;
}

/* ---- MEDIA_DEL, MEDIA_FLUSH */


/* Out of the port index and the id map; the slot waits for RCU. Lock held. */
static void unlink_slot(uint32_t slot)
{
	struct dp_media_session *s = &dp_media_slots[slot];
	uint32_t k[4], d[4];
	struct sbc_media_leg l[2];
	unsigned int n;

	legs_of(s, l);
	n = keys_of(l, slot, k, d);
	for (unsigned int i = 0; i < n; i++)
		del_key(k[i]);
	rte_hash_del_key(md.ids, &s->id);
	s->live = false;
	md.live--;
	srtp_count(s, -1);
}

void dp_media_del(const struct sbc_msg_media_ref *r)
{
	int32_t slot = slot_of_id(r->session);
	uint32_t seq = r->seq;

	bump(&md.dels);
	if (slot < 0) {
		bump(&md.dels_unknown);
		pend(P_GONE, UINT32_MAX, r->session, seq);
		return;
	}
	pthread_mutex_lock(&md.lock);
	unlink_slot((uint32_t)slot);
	pthread_mutex_unlock(&md.lock);
	pend(P_GONE, (uint32_t)slot, r->session, seq);
}

void dp_media_flush(void)
{
	bump(&md.flushes);
	for (uint32_t i = 0; i < md.n_slots; i++) {
		if (!dp_media_slots[i].live)
			continue;
		pthread_mutex_lock(&md.lock);
		unlink_slot(i);
		pthread_mutex_unlock(&md.lock);
		pend(P_RECLAIM, i, 0, 0);
	}
	dp_media_commit(sender);
}

/* ---- figures, timeout */

void dp_media_leg_stats(const struct dp_media_session *s, unsigned int leg,
			struct sbc_media_leg_stats *out)
{
	const struct dp_media_leg *l = &s->leg[leg];
	const struct dp_media_fwd *rx = fwd_of(s, leg);
	const struct dp_media_rtcp_rx *rc = &l->rtcp;
	uint32_t latch[2];

	memset(out, 0, sizeof(*out));
	out->packets = __atomic_load_n(&rx->packets, __ATOMIC_RELAXED) +
		       __atomic_load_n(&rc->packets, __ATOMIC_RELAXED);
	out->bytes = __atomic_load_n(&rx->bytes, __ATOMIC_RELAXED) +
		     __atomic_load_n(&rc->bytes, __ATOMIC_RELAXED);
	out->dropped = __atomic_load_n(&l->dropped, __ATOMIC_RELAXED);
	out->lost = dp_rtp_lost(&rx->seq);
	out->reordered = rx->seq.reordered;
	out->jitter_us = dp_rtp_jitter_us(&rx->jitter);
	if (rc->have_rr) {
		out->rr_lost = rc->rr.cumulative > 0 ? (uint32_t)rc->rr.cumulative : 0;
		/* the remote's timestamp units, taken as 8 kHz (dp_rtp.h) */
		out->rr_jitter_us = rc->rr.jitter * (1000000u / DP_RTP_CLOCK_HZ);
		out->rr_fraction = rc->rr.fraction;
	}
	latches_of(l, rx, latch);
	out->latched = latch[0] != 0 || latch[1] != 0;
}

static uint64_t last_packet_ns(const struct dp_media_session *s)
{
	uint64_t last = s->installed_ns;

	for (unsigned int l = 0; l < 2; l++) {
		uint64_t t = __atomic_load_n(&fwd_of(s, l)->last_ns, __ATOMIC_RELAXED);
		uint64_t r = __atomic_load_n(&s->leg[l].rtcp.last_ns, __ATOMIC_RELAXED);

		last = RTE_MAX(last, RTE_MAX(t, r));
	}
	return last;
}

void dp_media_tick(uint64_t now_ns, dp_media_send_fn send)
{
	uint64_t limit = (uint64_t)dp.cfg.media_timeout * 1000000000ull;

	if (send != NULL)
		sender = send;
	if (now_ns - md.last_scan_ns < SCAN_EVERY_NS && md.last_scan_ns != 0)
		return;
	md.last_scan_ns = now_ns;
	for (uint32_t i = 0; i < md.n_slots; i++) {
		struct dp_media_session *s = &dp_media_slots[i];
		struct sbc_msg_media_stats st;
		uint64_t last;

		if (!s->live || s->timeout_sent ||
		    ((s->leg[0].flags | s->leg[1].flags) & SBC_MEDIA_HOLD))
			continue;
		last = last_packet_ns(s);
		if (last == 0) {	/* installed before --test-clock's first frame */
			s->installed_ns = now_ns;
			continue;
		}
		if (now_ns < last || now_ns - last < limit)
			continue;
		memset(&st, 0, sizeof(st));
		st.session = s->id;
		st.seq = s->seq;
		st.reason = SBC_MEDIA_END_TIMEOUT;
		st.idle_ms = (now_ns - last) / 1000000;
		dp_media_leg_stats(s, 0, &st.leg[0]);
		dp_media_leg_stats(s, 1, &st.leg[1]);
		s->timeout_sent = true;
		bump(&md.timeouts);
		if (sender != NULL)
			sender(SBC_EVT_MEDIA_TIMEOUT, &st, sizeof(st));
	}
}

/* ---- telemetry */

#define RD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* The drops of media and SRTP by reason, as /sbc/drops counts them. */
static void put_drops(struct rte_tel_data *d)
{
	static const char *const media[] = { "media_", "srtp_", NULL };
	struct rte_tel_data *dr = rte_tel_data_alloc();

	if (dr == NULL)
		return;
	rte_tel_data_start_dict(dr);
	dp_stats_put_drops(dr, 0, dp.n_workers, media);
	if (rte_tel_data_add_dict_container(d, "drops", dr, 0) != 0)
		rte_tel_data_free(dr);
}

/* The media ports the control plane has free (it owns the pools; its last CP_MEDIA): two a
 * pair, RTP and RTCP. Left out while no control plane is alive to say. */
static void put_ports(struct rte_tel_data *d)
{
	struct sbc_msg_cp_media c;

	if (!dp_channel_cp_media(&c))
		return;
	rte_tel_data_add_dict_u64(d, "free_ports", 2ull * c.free_pairs[0] + 2ull * c.free_pairs[1]);
	rte_tel_data_add_dict_u64(d, "free_ports_v4", 2ull * c.free_pairs[0]);
	rte_tel_data_add_dict_u64(d, "free_ports_v6", 2ull * c.free_pairs[1]);
	rte_tel_data_add_dict_u64(d, "ports", 2ull * c.pairs[0] + 2ull * c.pairs[1]);
}

static int tel_media(const char *cmd __rte_unused, const char *params __rte_unused,
		     struct rte_tel_data *d)
{
	struct dp_neigh_counters nc;
	uint32_t neigh;

	dp_neigh_counters(&nc, &neigh);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "sessions", RD(md.live));
	rte_tel_data_add_dict_u64(d, "capacity", md.cap);
	rte_tel_data_add_dict_u64(d, "relayed", dp_stats_sum_workers(
					  offsetof(struct dp_worker, stats.media_relayed)));
	rte_tel_data_add_dict_u64(d, "sets", RD(md.sets));
	rte_tel_data_add_dict_u64(d, "updates", RD(md.updates));
	rte_tel_data_add_dict_u64(d, "dels", RD(md.dels));
	rte_tel_data_add_dict_u64(d, "dels_unknown", RD(md.dels_unknown));
	rte_tel_data_add_dict_u64(d, "flushes", RD(md.flushes));
	rte_tel_data_add_dict_u64(d, "refused_full", RD(md.refused[0]));
	rte_tel_data_add_dict_u64(d, "refused_port_taken", RD(md.refused[1]));
	rte_tel_data_add_dict_u64(d, "refused_invalid", RD(md.refused[2]));
	rte_tel_data_add_dict_u64(d, "timeouts", RD(md.timeouts));
	rte_tel_data_add_dict_u64(d, "gone", RD(md.gone));
	rte_tel_data_add_dict_u64(d, "neighbours", neigh);
	rte_tel_data_add_dict_u64(d, "neigh_learnt", nc.learnt);
	rte_tel_data_add_dict_u64(d, "neigh_changed", nc.changed);
	rte_tel_data_add_dict_u64(d, "neigh_full", nc.full);
	rte_tel_data_add_dict_u64(d, "neigh_asked", dp_stats_sum_workers(
					  offsetof(struct dp_worker, stats.neigh_asked)));
	put_ports(d);
	put_drops(d);
	return 0;
}

static void addr_text(uint8_t family, const uint8_t *a, uint16_t port, char *out, size_t n)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(family == SBC_AF_V6 ? AF_INET6 : AF_INET, a, ip, sizeof(ip));
	snprintf(out, n, family == SBC_AF_V6 ? "[%s]:%u" : "%s:%u", ip, port);
}

static void put_leg(struct rte_tel_data *d, const char *name, const struct dp_media_session *s,
		    unsigned int leg)
{
	const struct dp_media_leg *l = &s->leg[leg];
	struct rte_tel_data *t = rte_tel_data_alloc();
	struct sbc_media_leg_stats st;
	char a[64];
	uint32_t latch[2];

	if (t == NULL)
		return;
	latches_of(l, fwd_of(s, leg), latch);
	dp_media_leg_stats(s, leg, &st);
	rte_tel_data_start_dict(t);
	addr_text(l->family, l->local_addr, l->local_port, a, sizeof(a));
	rte_tel_data_add_dict_string(t, "local", a);
	addr_text(l->family, l->remote_addr, latch[0] ? (uint16_t)(latch[0] - 1) : l->remote_port,
		  a, sizeof(a));
	rte_tel_data_add_dict_string(t, "remote", a);
	rte_tel_data_add_dict_int(t, "trunk", l->trunk);
	rte_tel_data_add_dict_int(t, "rtcp_mux", !!(l->flags & SBC_MEDIA_RTCP_MUX));
	rte_tel_data_add_dict_int(t, "latch", !!(l->flags & SBC_MEDIA_LATCH));
	rte_tel_data_add_dict_int(t, "hold", !!(l->flags & SBC_MEDIA_HOLD));
	rte_tel_data_add_dict_int(t, "latched", st.latched);
	rte_tel_data_add_dict_u64(t, "packets", st.packets);
	rte_tel_data_add_dict_u64(t, "bytes", st.bytes);
	rte_tel_data_add_dict_u64(t, "dropped", st.dropped);
	rte_tel_data_add_dict_u64(t, "lost", st.lost);
	rte_tel_data_add_dict_u64(t, "reordered", st.reordered);
	rte_tel_data_add_dict_u64(t, "jitter_us", st.jitter_us);
	rte_tel_data_add_dict_u64(t, "rr_lost", st.rr_lost);
	rte_tel_data_add_dict_u64(t, "rr_fraction", st.rr_fraction);
	rte_tel_data_add_dict_u64(t, "rr_jitter_us", st.rr_jitter_us);
	if (rte_tel_data_add_dict_container(d, name, t, 0) != 0)
		rte_tel_data_free(t);
}

/* /sbc/media_session,<16 hex digits>: a session's legs (sbcctl media CALL-ID hashes the
 * Call-ID to the id). */
static int tel_session(const char *cmd __rte_unused, const char *params,
		       struct rte_tel_data *d)
{
	char *end;
	uint64_t id, now = dp_clock_ns();
	int32_t slot;
	char hex[24];

	if (params == NULL || *params == '\0')
		return -EINVAL;
	id = strtoull(params, &end, 16);
	if (*end != '\0')
		return -EINVAL;
	pthread_mutex_lock(&md.lock);
	slot = slot_of_id(id);
	if (slot < 0) {
		pthread_mutex_unlock(&md.lock);
		return -ENOENT;
	}
	const struct dp_media_session *s = &dp_media_slots[slot];
	uint64_t last = last_packet_ns(s);

	rte_tel_data_start_dict(d);
	snprintf(hex, sizeof(hex), "%016" PRIx64, s->id);
	rte_tel_data_add_dict_string(d, "session", hex);
	rte_tel_data_add_dict_u64(d, "seq", s->seq);
	rte_tel_data_add_dict_u64(d, "idle_ms", now > last ? (now - last) / 1000000 : 0);
	rte_tel_data_add_dict_int(d, "timeout_sent", s->timeout_sent);
	put_leg(d, "leg0", s, 0);
	put_leg(d, "leg1", s, 1);
	pthread_mutex_unlock(&md.lock);
	return 0;
}

int dp_media_telemetry_register(void)
{
	int rc = rte_telemetry_register_cmd("/sbc/media", tel_media,
		"Media relay: sessions, capacity, channel commands, neighbours, drops by reason");

	rc |= rte_telemetry_register_cmd("/sbc/media_session", tel_session,
		"One media session, both legs' figures. Param: session id (16 hex digits)");
	return rc;
}
