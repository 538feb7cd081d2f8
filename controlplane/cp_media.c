/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Media sessions of anchored calls (see cp_media.h).
 *
 * Ports: [sbc] media_ports split into pairs (even RTP port, the odd one above for RTCP); a leg
 * takes one pair, also with rtcp-mux (whether a leg muxes is known only from the answer, after
 * its port was offered), so a call takes four ports and a range of N ports holds N / 4 calls
 * per address (IPv4 and IPv6 each have their pool). The next free pair is searched from where
 * the last search stopped, so a pair just given back is the last to be taken again (stray
 * packets of an old call do not reach a new one). A pair goes back to the pool only when the
 * data plane said the session is gone (GONE, after its workers' quiescence), when the data plane
 * restarted (it has no sessions), or when it was never installed.
 *
 * Sessions: keyed by the FNV-1a of the inbound Call-ID (sbcctl media CALL-ID computes the
 * same) in a chained hash table. A MEDIA_SET's READY is awaited CP_MEDIA_READY_WAIT_MS (a
 * 1 ms poll of the event ring while any wait is open, as cp_admit does), a MEDIA_DEL's GONE
 * CP_MEDIA_GONE_WAIT_MS. Runs on the su_root thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/su_wait.h>

#include "cp_chan.h"
#include "cp_log.h"
#include "cp_media.h"
#include "cp_tick.h"
#include "sbc_hash.h"

#define POLL_US 500	/* the fallback read of the event ring while a READY or GONE is awaited */
#define NS_PER_MS 1000000ull

enum mstate { OPEN, CLOSING };

struct cp_media {
	struct cp_media *hnext;		/* hash chain */
	struct cp_media *wprev, *wnext;	/* the list of sessions with a wait open */
	uint64_t session;
	enum mstate state;
	bool installed;			/* a MEDIA_SET went to the data plane since it synced */
	bool gone_told;			/* gone ran (CLOSING) */
	uint32_t seq;			/* the last MEDIA_SET's */
	uint32_t wait_seq;		/* READY awaited for this seq (0: none) */
	uint64_t deadline_ns;		/* of the wait open (READY or GONE) */
	bool has_leg[2];
	uint16_t pair[2];		/* the pool's pair index of each leg */
	uint16_t trunk[2];
	bool latch[2];
	uint8_t latch_family[2];
	uint8_t latch_addr[2][16];
	struct cp_sdp_leg sdp[2];
	struct cp_media_cbs cbs;
	void *arg;
	struct sbc_msg_media set;	/* the last MEDIA_SET (replayed to a new data plane) */
};

struct pool {
	uint16_t base;			/* the first pair's RTP port (even) */
	uint32_t n;			/* pairs */
	uint32_t cursor;		/* where the next search starts */
	uint32_t free;
	uint64_t *taken;		/* bit per pair */
};

static struct {
	const struct sbc_config *cfg;
	struct cp_tick tick;	/* open when cp_media_init was given a loop */
	su_root_t *prepoll;	/* the loop our prepoll hook is on, or NULL */
	struct pool pool[2];		/* IPv4, IPv6 */
	struct cp_media **table;
	uint64_t mask;
	struct cp_media *waiting;	/* sessions with a READY or GONE wait open */
	struct cp_media_stats st;
} md;

const struct cp_media_stats *cp_media_stats(void)
{
	md.st.free_pairs[0] = md.pool[0].free;
	md.st.free_pairs[1] = md.pool[1].free;
	md.st.pairs[0] = md.pool[0].n;
	md.st.pairs[1] = md.pool[1].n;
	return &md.st;
}

/* ------------------------------------------------------------------------------------------ */
/* The port pool */

static int pool_init(struct pool *p, const struct sbc_config *cfg)
{
	uint32_t lo = (cfg->media_port_min + 1u) & ~1u, hi = cfg->media_port_max;

	memset(p, 0, sizeof(*p));
	if (lo == 0)
		lo = 2;
	if (hi <= lo)
		return 0;
	p->base = (uint16_t)lo;
	p->n = (hi - lo + 1) / 2;	/* whole pairs: the RTCP port within the range too */
	p->free = p->n;
	p->taken = calloc((p->n + 63) / 64 + 1, sizeof(uint64_t));
	return p->taken ? 0 : -ENOMEM;
}

static int pool_get(struct pool *p, uint16_t *pair)
{
	if (p->free == 0)
		return -ENOSPC;
	for (uint32_t k = 0; k < p->n; k++) {
		uint32_t i = (p->cursor + k) % p->n;

		if (p->taken[i / 64] & (1ull << (i % 64)))
			continue;
		p->taken[i / 64] |= 1ull << (i % 64);
		p->free--;
		p->cursor = (i + 1) % p->n;
		*pair = (uint16_t)i;
		return 0;
	}
	return -ENOSPC;
}

static void pool_put(struct pool *p, uint16_t pair)
{
	if (pair >= p->n || !(p->taken[pair / 64] & (1ull << (pair % 64))))
		return;
	p->taken[pair / 64] &= ~(1ull << (pair % 64));
	p->free++;
}

unsigned int cp_media_capacity(const struct sbc_config *cfg)
{
	uint32_t lo = (cfg->media_port_min + 1u) & ~1u, hi = cfg->media_port_max;

	return hi > lo ? (hi - lo + 1) / 2 / 2 : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Sessions */

static struct cp_media **slot_of(uint64_t session)
{
	struct cp_media **pp = &md.table[session & md.mask];

	while (*pp != NULL && (*pp)->session != session)
		pp = &(*pp)->hnext;
	return pp;
}

static void wait_unlink(struct cp_media *m)
{
	if (m->wprev == NULL && md.waiting != m)
		return;
	if (m->wprev)
		m->wprev->wnext = m->wnext;
	else
		md.waiting = m->wnext;
	if (m->wnext)
		m->wnext->wprev = m->wprev;
	m->wprev = m->wnext = NULL;
}

static void poll_tick(void *arg);

static void arm(void)
{
	if (cp_tick_armed(&md.tick) || md.waiting == NULL || !cp_tick_is_open(&md.tick))
		return;
	cp_tick_after(&md.tick, POLL_US);
}

static void wait_start(struct cp_media *m, uint64_t ms)
{
	m->deadline_ns = sbc_mono_ns() + ms * NS_PER_MS;
	if (m->wprev == NULL && md.waiting != m) {
		m->wnext = md.waiting;
		if (md.waiting)
			md.waiting->wprev = m;
		md.waiting = m;
	}
	arm();
}

static void release_ports(struct cp_media *m)
{
	for (unsigned int l = 0; l < 2; l++) {
		if (!m->has_leg[l])
			continue;
		pool_put(&md.pool[m->sdp[l].family == SBC_AF_V6], m->pair[l]);
		m->has_leg[l] = false;
	}
}

/* Gone for good: out of the table, ports back, keys wiped. */
static void destroy(struct cp_media *m)
{
	struct cp_media **pp = slot_of(m->session);

	if (*pp == m)
		*pp = m->hnext;
	wait_unlink(m);
	release_ports(m);
	md.st.sessions--;
	explicit_bzero(m, sizeof(*m));
	free(m);
}

int cp_media_open(struct cp_media **out, const char *call_id, const struct cp_media_cbs *cbs,
		  void *arg)
{
	uint64_t id = sbc_fnv1a(SBC_FNV1A_INIT, call_id, strlen(call_id));
	struct cp_media **pp = slot_of(id), *m;

	if (*pp != NULL) {
		md.st.id_taken++;
		return -EEXIST;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	if (cp_sdp_leg_init(&m->sdp[0]) != 0 || cp_sdp_leg_init(&m->sdp[1]) != 0) {
		free(m);
		return -EIO;
	}
	m->session = id;
	m->cbs = *cbs;
	m->arg = arg;
	*pp = m;
	md.st.sessions++;
	*out = m;
	return 0;
}

void cp_media_trunk(struct cp_media *m, unsigned int leg, unsigned int trunk)
{
	m->trunk[leg] = (uint16_t)trunk;
	m->sdp[leg].sdes = md.cfg->trunks[trunk].srtp == SBC_SRTP_MODE_SDES;
}

int cp_media_port(struct cp_media *m, unsigned int leg, uint8_t family)
{
	const struct sbc_config *cfg = md.cfg;
	bool v6 = family == SBC_AF_V6;
	struct pool *p = &md.pool[v6];
	uint16_t pair;

	if (leg > 1 || m->has_leg[leg])
		return -EINVAL;
	if (v6 && !cfg->has_address6)
		return -EAFNOSUPPORT;
	if (pool_get(p, &pair) != 0) {
		md.st.no_port++;
		return -ENOSPC;
	}
	cp_sdp_leg_local(&m->sdp[leg], family, v6 ? cfg->address6 : cfg->address,
			 (uint16_t)(p->base + 2u * pair));
	m->has_leg[leg] = true;
	m->pair[leg] = pair;
	return 0;
}

bool cp_media_has_leg(const struct cp_media *m, unsigned int leg)
{
	return leg < 2 && m->has_leg[leg];
}

struct cp_sdp_leg *cp_media_sdp(struct cp_media *m, unsigned int leg)
{
	return &m->sdp[leg];
}

void cp_media_latch(struct cp_media *m, unsigned int leg, uint8_t family, const uint8_t *addr)
{
	m->latch[leg] = true;
	m->latch_family[leg] = family;
	memcpy(m->latch_addr[leg], addr, family == SBC_AF_V6 ? 16 : 4);
}

uint64_t cp_media_session(const struct cp_media *m)
{
	return m->session;
}

/* One leg of the MEDIA_SET from its SDP (and the latch of its trunk). */
static void fill_leg(const struct cp_media *m, unsigned int l, bool mux, struct sbc_media_leg *o)
{
	const struct cp_sdp_leg *s = &m->sdp[l];

	memset(o, 0, sizeof(*o));
	o->family = s->family;
	o->trunk = m->trunk[l];
	o->local_port = s->local_port;
	memcpy(o->local_addr, s->local_addr, sizeof(o->local_addr));
	o->flags = (uint8_t)((mux ? SBC_MEDIA_RTCP_MUX : 0) | (s->hold ? SBC_MEDIA_HOLD : 0));
	/* the latched address must be of the leg's family (its remote's) to be of any use */
	if (m->latch[l] && m->latch_family[l] == s->family) {
		o->flags |= SBC_MEDIA_LATCH;
		memcpy(o->remote_addr, m->latch_addr[l], sizeof(o->remote_addr));
	} else {
		o->remote_port = s->remote_port;
		o->remote_rtcp_port = s->remote_rtcp_port;
		memcpy(o->remote_addr, s->remote_addr, sizeof(o->remote_addr));
	}
	o->srtp = s->suite;
	if (s->suite != SBC_SRTP_NONE) {
		memcpy(o->key_rx, s->key_rx, sizeof(o->key_rx));
		memcpy(o->key_tx, s->key_tx, sizeof(o->key_tx));
	}
}

int cp_media_set(struct cp_media *m, uint32_t *seq)
{
	bool mux = m->sdp[0].remote_mux && m->sdp[1].remote_mux;

	for (unsigned int l = 0; l < 2; l++)
		if (!m->has_leg[l] || !m->sdp[l].media ||
		    (!m->sdp[l].remote_known && !m->latch[l]))
			return -EAGAIN;
	if (!cp_chan_ready())
		return -ENOTCONN;
	m->set.session = m->session;
	m->set.seq = ++m->seq;
	fill_leg(m, 0, mux, &m->set.leg[0]);
	fill_leg(m, 1, mux, &m->set.leg[1]);
	for (unsigned int l = 0; l < 2; l++) {
		m->set.rtp_pt[l] = m->sdp[l].rtp_pt;
		m->set.rtp_clock_8k[l] = m->sdp[l].rtp_clock_8k;
	}
	m->installed = true;
	m->wait_seq = m->seq;
	cp_chan_send(SBC_CMD_MEDIA_SET, &m->set, sizeof(m->set));
	wait_start(m, CP_MEDIA_READY_WAIT_MS);
	*seq = m->seq;
	return 0;
}

bool cp_media_close(struct cp_media *m)
{
	struct sbc_msg_media_ref ref = { .session = m->session, .seq = m->seq };

	if (m->state == CLOSING)
		return true;
	m->wait_seq = 0;
	if (!m->installed) {
		destroy(m);
		return false;
	}
	m->state = CLOSING;
	cp_chan_send(SBC_CMD_MEDIA_DEL, &ref, sizeof(ref));
	wait_start(m, CP_MEDIA_GONE_WAIT_MS);
	return true;
}

/* A CLOSING session's end for its call: gone runs once. */
static void tell_gone(struct cp_media *m, const struct sbc_msg_media_stats *st)
{
	if (m->gone_told)
		return;
	m->gone_told = true;
	if (m->cbs.gone)
		m->cbs.gone(m->arg, st);
}

/*
 * Before each turn of the loop, while something waits: the event ring is shared memory, read
 * without a system call. Under load the loop turns for SIP messages every few tens of
 * microseconds and sees READY there; the tick only wakes a loop that would sleep past it.
 */
static void prepoll(su_prepoll_magic_t *magic, su_root_t *root)
{
	(void)magic;
	(void)root;
	if (md.waiting != NULL)
		cp_chan_poll_events();
}

static void poll_tick(void *arg)
{
	uint64_t now = sbc_mono_ns();
	struct cp_media *m, *next;

	(void)arg;
	cp_chan_poll_events();	/* READY / GONE: cp_media_event() */
	for (m = md.waiting; m != NULL; m = next) {
		next = m->wnext;
		if (now < m->deadline_ns)
			continue;
		wait_unlink(m);
		if (m->state == CLOSING) {	/* no GONE: the ports stay taken until it comes */
			md.st.gone_late++;
			tell_gone(m, NULL);
		} else if (m->wait_seq != 0) {
			uint32_t s = m->wait_seq;

			m->wait_seq = 0;
			m->cbs.ready(m->arg, s, -ETIMEDOUT);
		}
	}
	arm();
}

/* ------------------------------------------------------------------------------------------ */
/* Events */

static void on_ready(struct cp_media *m, const struct sbc_msg_media_ref *r)
{
	if (m->state != OPEN || r->seq > m->seq)
		return;
	if (r->seq >= m->wait_seq && m->wait_seq != 0) {
		m->wait_seq = 0;
		wait_unlink(m);
	}
	m->cbs.ready(m->arg, r->seq, r->error);
}

void cp_media_event(const struct sbc_msg *msg)
{
	const struct sbc_msg_media_ref *r = (const void *)msg->body;
	const struct sbc_msg_media_stats *st = (const void *)msg->body;
	struct cp_media *m = *slot_of(msg->type == SBC_EVT_MEDIA_READY ? r->session : st->session);

	if (m == NULL)
		return;		/* a session of an earlier run, or of a call that is over */
	switch (msg->type) {
	case SBC_EVT_MEDIA_READY:
		on_ready(m, r);
		break;
	case SBC_EVT_MEDIA_GONE:
		if (m->state != CLOSING)
			break;
		tell_gone(m, st);
		destroy(m);
		break;
	case SBC_EVT_MEDIA_TIMEOUT:
		if (m->state != OPEN || st->seq != m->seq)
			break;
		m->cbs.timeout(m->arg, st);
		break;
	default:
		break;
	}
}

/*
 * A data plane in sync: it may hold sessions of an earlier control plane (FLUSH them) or none
 * at all (it restarted): every open session's last MEDIA_SET again, with its seq, so a wait
 * still open gets its READY; a closing one is gone (no data plane holds it).
 */
void cp_media_dp_sync(void)
{
	cp_chan_send(SBC_CMD_MEDIA_FLUSH, NULL, 0);
	for (uint64_t b = 0; md.table != NULL && b <= md.mask; b++) {
		struct cp_media *m = md.table[b], *next;

		for (; m != NULL; m = next) {
			next = m->hnext;
			if (m->state == CLOSING) {
				tell_gone(m, NULL);
				destroy(m);
			} else if (m->installed) {
				cp_chan_send(SBC_CMD_MEDIA_SET, &m->set, sizeof(m->set));
			}
		}
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Quality for the record */

/*
 * ITU-T G.107's E-model, simplified (as G.107 Annex and RFC 3611 4.7.5 do for VoIP monitors):
 * R = 93.2 - Id - Ie_eff with
 * - Ie_eff = Ie + (95 - Ie) * Ppl / (Ppl + Bpl) (random loss, BurstR 1); Ie and Bpl per codec
 *   from ITU-T G.113 Appendix I (G.711 with PLC: 0 / 25.1, G.729A: 11 / 19; G.722 and other
 *   codecs are taken as G.711);
 * - Id from the one-way delay, estimated as a jitter buffer of twice the jitter plus 20 ms
 *   of packetisation (we see no round trip): Id = 0.024 d + 0.11 (d - 177.3) for d > 177.3;
 * MOS = 1 + 0.035 R + R (R - 60) (100 - R) 7e-6 (G.107 B.4).
 */
double cp_media_mos(double loss, double jitter_ms, const char *codec)
{
	double ie = 0, bpl = 25.1, ppl = loss * 100.0, d = 2 * jitter_ms + 20, id, r;

	if (codec != NULL && strncasecmp(codec, "G729", 4) == 0) {
		ie = 11;
		bpl = 19;
	}
	id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);
	r = 93.2 - id - (ie + (95 - ie) * ppl / (ppl + bpl));
	if (r <= 0)
		return 1.0;
	if (r >= 100)
		return 4.5;
	return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}

static double loss_of(const struct sbc_media_leg_stats *l)
{
	double all = (double)l->packets + l->lost;

	return all > 0 ? l->lost / all : 0;
}

void cp_media_quality(const struct sbc_msg_media_stats *st, const char *codec,
		      struct cp_media_quality *q)
{
	double loss, jitter;

	memset(q, 0, sizeof(*q));
	if (st == NULL)
		return;
	loss = loss_of(&st->leg[0]) > loss_of(&st->leg[1]) ? loss_of(&st->leg[0]) :
	       loss_of(&st->leg[1]);
	jitter = (st->leg[0].jitter_us > st->leg[1].jitter_us ? st->leg[0].jitter_us :
		  st->leg[1].jitter_us) / 1000.0;
	snprintf(q->loss_in, sizeof(q->loss_in), "%u", st->leg[0].lost);
	snprintf(q->loss_out, sizeof(q->loss_out), "%u", st->leg[1].lost);
	snprintf(q->jitter_ms, sizeof(q->jitter_ms), "%.1f", jitter);
	snprintf(q->mos, sizeof(q->mos), "%.2f", cp_media_mos(loss, jitter, codec));
}

/* ------------------------------------------------------------------------------------------ */

int cp_media_init(struct su_root_s *root, const struct sbc_config *cfg)
{
	uint64_t n = 64, want;

	memset(&md, 0, sizeof(md));
	md.cfg = cfg;
	want = cp_media_capacity(cfg) * (cfg->has_address6 ? 2ull : 1ull);
	while (n < want && n < (1ull << 20))
		n <<= 1;
	md.table = calloc(n, sizeof(*md.table));
	md.mask = n - 1;
	if (md.table == NULL || pool_init(&md.pool[0], cfg) != 0 ||
	    (cfg->has_address6 && pool_init(&md.pool[1], cfg) != 0))
		return -ENOMEM;
	if (root != NULL) {
		int rc = cp_tick_open(&md.tick, root, poll_tick, NULL);

		if (rc != 0)
			return rc;
		/* One hook per loop: if another took it, the tick alone reads the ring. */
		if (su_root_add_prepoll(root, prepoll, NULL) == 0)
			md.prepoll = root;
	}
	return 0;
}

void cp_media_fini(void)
{
	for (uint64_t b = 0; md.table != NULL && b <= md.mask; b++)
		while (md.table[b] != NULL)
			destroy(md.table[b]);
	if (md.prepoll != NULL)
		su_root_remove_prepoll(md.prepoll);
	cp_tick_close(&md.tick);
	free(md.table);
	free(md.pool[0].taken);
	free(md.pool[1].taken);
	memset(&md, 0, sizeof(md));
}
