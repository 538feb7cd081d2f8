/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared-memory channel between the two processes. Each ring has exactly one producer and one
 * consumer process, so a release store of head (after the slot is written) and an acquire load
 * on the other side are all the synchronisation it needs; no locks, no syscalls per message.
 */
#include "sbc_channel.h"
#include "sbc_config.h"
#include "sbc_hash.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_S 1000000000ull
#define NS_PER_MS 1000000ull
#define DP_LIVE_NS (2 * NS_PER_S)	/* a heartbeat this fresh: that data plane is running */

uint64_t sbc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

uint64_t sbc_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

size_t sbc_chan_region_size(uint32_t slots)
{
	return sizeof(struct sbc_chan_header) + 2ull * slots * SBC_MSG_SIZE;
}

static void ring_init(struct sbc_chan_ring *r, uint64_t offset, uint32_t slots)
{
	memset(r, 0, sizeof(*r));
	r->slots_offset = offset;
	r->slots = slots;
	r->msg_size = SBC_MSG_SIZE;
}

void sbc_chan_init(struct sbc_chan_header *h, uint32_t slots)
{
	memset(h, 0, sizeof(*h));
	h->version = SBC_CHAN_VERSION;
	h->header_size = sizeof(*h);
	h->msg_size = SBC_MSG_SIZE;
	h->ring_size = sizeof(struct sbc_chan_ring);
	h->slots = slots;
	h->prefix_size = sizeof(struct sbc_wire_prefix);
	h->total_size = sbc_chan_region_size(slots);
	ring_init(&h->cmd, sizeof(*h), slots);
	ring_init(&h->evt, sizeof(*h) + (uint64_t)slots * SBC_MSG_SIZE, slots);
	/* magic last: a reader that sees it sees an initialised header */
	__atomic_store_n(&h->magic, SBC_CHAN_MAGIC, __ATOMIC_RELEASE);
}

int sbc_chan_check(const struct sbc_chan_header *h, size_t mapped, char *err, size_t errlen)
{
	if (mapped < sizeof(*h)) {
		snprintf(err, errlen, "region is %zu bytes, smaller than the %zu-byte header", mapped,
			 sizeof(*h));
		return -EPROTO;
	}
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != SBC_CHAN_MAGIC) {
		snprintf(err, errlen, "bad magic 0x%016llx (not an sbc channel, or not initialised)",
			 (unsigned long long)h->magic);
		return -EPROTO;
	}
	const struct {
		const char *field;
		uint64_t region, here;
	} layout[] = {
		{ "version", h->version, SBC_CHAN_VERSION },
		{ "header_size", h->header_size, sizeof(struct sbc_chan_header) },
		{ "msg_size", h->msg_size, SBC_MSG_SIZE },
		{ "ring_size", h->ring_size, sizeof(struct sbc_chan_ring) },
		{ "prefix_size", h->prefix_size, sizeof(struct sbc_wire_prefix) },
		{ "total_size", h->total_size, sbc_chan_region_size(h->slots) },
	};

	for (size_t i = 0; i < sizeof(layout) / sizeof(layout[0]); i++) {
		if (layout[i].region == layout[i].here)
			continue;
		snprintf(err, errlen, "layout mismatch: %s is %llu here, %llu in the region "
			 "(sbc-dataplane and sbc-controlplane come from different builds)",
			 layout[i].field, (unsigned long long)layout[i].here,
			 (unsigned long long)layout[i].region);
		return -EPROTO;
	}
	if (h->slots == 0 || (h->slots & (h->slots - 1)) != 0 || h->total_size > mapped ||
	    h->cmd.slots != h->slots || h->evt.slots != h->slots ||
	    h->cmd.slots_offset != sizeof(*h) ||
	    h->evt.slots_offset != sizeof(*h) + (uint64_t)h->slots * SBC_MSG_SIZE) {
		snprintf(err, errlen, "ring geometry is inconsistent (slots %u, size %llu, mapped %zu)",
			 h->slots, (unsigned long long)h->total_size, mapped);
		return -EPROTO;
	}
	return 0;
}

static int map(struct sbc_channel *c, int fd, size_t size, char *err, size_t errlen)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED) {
		int e = errno;

		snprintf(err, errlen, "mmap %s (%zu bytes): %s", c->name, size, strerror(e));
		return -e;
	}
	c->h = p;
	c->size = size;
	return 0;
}

int sbc_chan_create(struct sbc_channel *c, const char *name, uint64_t boot_id, char *err,
		    size_t errlen)
{
	size_t size = sbc_chan_region_size(SBC_CHAN_SLOTS);
	int fd, rc;

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->role = SBC_CHAN_DP;
	c->boot_id = boot_id;
	fd = shm_open(name, O_RDWR | O_CREAT, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "shm_open %s: %s", name, strerror(errno));
		return rc;
	}
	if (ftruncate(fd, (off_t)size) != 0) {
		rc = -errno;
		snprintf(err, errlen, "ftruncate %s to %zu: %s", name, size, strerror(errno));
		close(fd);
		return rc;
	}
	rc = map(c, fd, size, err, errlen);
	close(fd);
	if (rc != 0)
		return rc;
	/* Another live data plane on the same channel would have its commands stolen. */
	if (c->h->magic == SBC_CHAN_MAGIC && c->h->dp.boot_id != 0 && c->h->dp.pid != 0 &&
	    (uint32_t)getpid() != c->h->dp.pid && kill((pid_t)c->h->dp.pid, 0) == 0 &&
	    sbc_mono_ns() - c->h->dp.heartbeat_ns < DP_LIVE_NS) {
		snprintf(err, errlen, "channel %s is in use by another data plane (pid %u); give each "
			 "instance its own [dataplane] channel", name, c->h->dp.pid);
		sbc_chan_close(c, false);
		return -EBUSY;
	}
	/* The control plane may be attached already: keep its side, reset the rings. It sees
	 * the new boot id and replays everything, so nothing queued before is needed. */
	struct sbc_chan_side cp = c->h->magic == SBC_CHAN_MAGIC ? c->h->cp : (struct sbc_chan_side){ 0 };
	__atomic_store_n(&c->h->magic, 0, __ATOMIC_RELEASE);
	sbc_chan_init(c->h, SBC_CHAN_SLOTS);
	c->h->cp = cp;
	c->h->dp.pid = (uint32_t)getpid();
	c->h->dp.heartbeat_ns = sbc_mono_ns();
	__atomic_store_n(&c->h->dp.boot_id, boot_id, __ATOMIC_RELEASE);
	return 0;
}

int sbc_chan_attach(struct sbc_channel *c, const char *name, uint64_t boot_id, char *err,
		    size_t errlen)
{
	struct stat st;
	int fd, rc;

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->role = SBC_CHAN_CP;
	c->boot_id = boot_id;
	fd = shm_open(name, O_RDWR, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "shared memory %s: %s (is sbc-dataplane running?)", name,
			 strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		close(fd);
		snprintf(err, errlen, "fstat %s: %s", name, strerror(-rc));
		return rc;
	}
	rc = map(c, fd, (size_t)st.st_size, err, errlen);
	close(fd);
	if (rc != 0)
		return rc;
	rc = sbc_chan_check(c->h, c->size, err, errlen);
	if (rc != 0) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "refusing channel %s: %s", name, why);
		sbc_chan_close(c, false);
		return rc;
	}
	c->h->cp.pid = (uint32_t)getpid();
	c->h->cp.heartbeat_ns = sbc_mono_ns();
	__atomic_store_n(&c->h->cp.boot_id, boot_id, __ATOMIC_RELEASE);
	return 0;
}

void sbc_chan_close(struct sbc_channel *c, bool unlink_it)
{
	if (c->h != NULL)
		munmap(c->h, c->size);
	c->h = NULL;
	if (unlink_it)
		shm_unlink(c->name);
}

void sbc_chan_heartbeat(struct sbc_channel *c)
{
	struct sbc_chan_side *s = c->role == SBC_CHAN_DP ? &c->h->dp : &c->h->cp;

	__atomic_store_n(&s->heartbeat_ns, sbc_mono_ns(), __ATOMIC_RELAXED);
}

uint64_t sbc_chan_peer_boot_id(const struct sbc_channel *c)
{
	const struct sbc_chan_side *s = c->role == SBC_CHAN_DP ? &c->h->cp : &c->h->dp;

	return __atomic_load_n(&s->boot_id, __ATOMIC_ACQUIRE);
}

uint64_t sbc_chan_peer_age_ms(const struct sbc_channel *c)
{
	const struct sbc_chan_side *s = c->role == SBC_CHAN_DP ? &c->h->cp : &c->h->dp;
	uint64_t hb = __atomic_load_n(&s->heartbeat_ns, __ATOMIC_RELAXED), now = sbc_mono_ns();

	if (__atomic_load_n(&s->boot_id, __ATOMIC_ACQUIRE) == 0 || hb == 0)
		return UINT64_MAX;
	return now > hb ? (now - hb) / NS_PER_MS : 0;
}

static struct sbc_msg *slot(struct sbc_chan_header *h, struct sbc_chan_ring *r, uint64_t i)
{
	return (struct sbc_msg *)((uint8_t *)h + r->slots_offset +
				  (i & (r->slots - 1)) * (uint64_t)SBC_MSG_SIZE);
}

int sbc_ring_send(struct sbc_chan_header *h, struct sbc_chan_ring *r, const struct sbc_msg *m)
{
	uint64_t head = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
	uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);

	if (head - tail >= r->slots) {
		__atomic_store_n(&r->full_waits, r->full_waits + 1, __ATOMIC_RELAXED);
		return -EAGAIN;
	}
	memcpy(slot(h, r, head), m, SBC_MSG_SIZE);
	__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
	return 0;
}

int sbc_ring_recv(struct sbc_chan_header *h, struct sbc_chan_ring *r, struct sbc_msg *m)
{
	uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
	uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);

	if (head == tail)
		return 0;
	if (head - tail > r->slots) {
		/* a producer that wrote past the consumer: corrupt; resynchronise to head */
		__atomic_store_n(&r->tail, head, __ATOMIC_RELEASE);
		return -EBADMSG;
	}
	memcpy(m, slot(h, r, tail), SBC_MSG_SIZE);
	__atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
	return sbc_msg_validate(m) == 0 ? 1 : -EBADMSG;
}

uint32_t sbc_ring_depth(const struct sbc_chan_ring *r)
{
	uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);

	return (uint32_t)(head - tail);
}

const char *const sbc_call_end_names[SBC_CALL_END_MAX] = {
	[SBC_CALL_END_NONE] = "admitted", [SBC_CALL_END_BYE] = "bye",
	[SBC_CALL_END_CANCEL] = "cancel", [SBC_CALL_END_REJECTED] = "rejected",
	[SBC_CALL_END_TIMER_B] = "timer_b", [SBC_CALL_END_MAX_DURATION] = "max_duration",
	[SBC_CALL_END_FLUSHED] = "flushed", [SBC_CALL_END_TIMER_C] = "timer_c",
};

const char *const sbc_transport_names[SBC_TP_MAX] = {
	[SBC_TP_UDP] = "udp", [SBC_TP_TCP] = "tcp", [SBC_TP_TLS] = "tls",
};

const char *const sbc_admit_names[SBC_ADMIT_MAX] = {
	[SBC_ADMIT_OK] = "admitted", [SBC_ADMIT_OVER_CPS] = "over_cps",
	[SBC_ADMIT_OVER_CALLS] = "over_calls", [SBC_ADMIT_TABLE_FULL] = "table_full",
};

const char *const sbc_srtp_suite_names[SBC_SRTP_MAX] = {
	[SBC_SRTP_NONE] = "none",
	[SBC_SRTP_AES_CM_128_HMAC_SHA1_80] = "AES_CM_128_HMAC_SHA1_80",
	[SBC_SRTP_AES_CM_128_HMAC_SHA1_32] = "AES_CM_128_HMAC_SHA1_32",
	[SBC_SRTP_AEAD_AES_128_GCM] = "AEAD_AES_128_GCM",
};

unsigned int sbc_srtp_key_len(unsigned int suite)
{
	switch (suite) {
	case SBC_SRTP_AES_CM_128_HMAC_SHA1_80:
	case SBC_SRTP_AES_CM_128_HMAC_SHA1_32:
		return 30;
	case SBC_SRTP_AEAD_AES_128_GCM:
		return 28;
	default:
		return 0;
	}
}

/* One leg of a MEDIA_SET: a known family, an even local port, a remote port unless latching,
 * a known crypto suite. */
static bool media_leg_ok(const struct sbc_media_leg *l)
{
	if (l->family != SBC_AF_V4 && l->family != SBC_AF_V6)
		return false;
	if (l->local_port == 0 || (l->local_port & 1) || l->srtp >= SBC_SRTP_MAX)
		return false;
	if (l->flags & ~(unsigned int)(SBC_MEDIA_RTCP_MUX | SBC_MEDIA_LATCH | SBC_MEDIA_HOLD))
		return false;
	return l->remote_port != 0 || (l->flags & SBC_MEDIA_LATCH);
}

/* Leg l's dynamic payload type and clock: none (both 0), or a dynamic type with a clock. */
static bool media_clock_ok(const struct sbc_msg_media *s, unsigned int l)
{
	if (s->rtp_pt[l] == 0 && s->rtp_clock_8k[l] == 0)
		return true;
	return s->rtp_pt[l] >= 96 && s->rtp_pt[l] <= 127 && s->rtp_clock_8k[l] != 0;
}

static int media_validate(const struct sbc_msg *m)
{
	switch (m->type) {
	case SBC_CMD_MEDIA_SET: {
		const struct sbc_msg_media *s = (const void *)m->body;

		return m->len == sizeof(*s) && media_leg_ok(&s->leg[0]) && media_leg_ok(&s->leg[1]) &&
		       media_clock_ok(s, 0) && media_clock_ok(s, 1) ? 0 : -EBADMSG;
	}
	case SBC_CMD_MEDIA_DEL:
	case SBC_EVT_MEDIA_READY:
		return m->len == sizeof(struct sbc_msg_media_ref) ? 0 : -EBADMSG;
	case SBC_CMD_MEDIA_FLUSH:
		return m->len == 0 ? 0 : -EBADMSG;
	case SBC_EVT_MEDIA_GONE:
	case SBC_EVT_MEDIA_TIMEOUT:
		return m->len == sizeof(struct sbc_msg_media_stats) &&
		       ((const struct sbc_msg_media_stats *)m->body)->reason < SBC_MEDIA_END_MAX ?
		       0 : -EBADMSG;
	default:
		return -EBADMSG;
	}
}

/* An admission request or end: a stream transport, lengths within their fields. */
static int admit_validate(const struct sbc_msg *m)
{
	const struct sbc_msg_admit *a = (const void *)m->body;

	if (m->len != sizeof(*a) || (a->transport != SBC_TP_TCP && a->transport != SBC_TP_TLS) ||
	    a->call_id_len == 0 || a->call_id_len > SBC_CALL_ID_MAX ||
	    a->ruri_user_len > SBC_RUSER_MAX || a->end_reason >= SBC_CALL_END_MAX ||
	    (m->type == SBC_CMD_ADMIT_END && a->end_reason == SBC_CALL_END_NONE))
		return -EBADMSG;
	return 0;
}

static int verdict_validate(const struct sbc_msg *m)
{
	const struct sbc_msg_admit_verdict *v = (const void *)m->body;

	if (m->len != sizeof(*v) || v->verdict >= SBC_ADMIT_MAX || v->transport >= SBC_TP_MAX)
		return -EBADMSG;
	return 0;
}

void sbc_msg_init(struct sbc_msg *m, uint16_t type, const void *body, uint32_t len,
		  uint64_t generation)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->version = 1;
	m->len = len;
	m->generation = generation;
	m->sent_ns = sbc_now_ns();
	if (len)
		memcpy(m->body, body, len);
}

/* The denylist's messages: entries within the body, families known; BEGIN/END carry none. */
static int deny_validate(const struct sbc_msg *m)
{
	const struct sbc_msg_deny *d = (const void *)m->body;
	bool sync = m->type == SBC_CMD_DENY_SYNC_BEGIN || m->type == SBC_CMD_DENY_SYNC_END;

	if (m->len < offsetof(struct sbc_msg_deny, e) || d->n > SBC_DENY_PER_MSG ||
	    (sync && d->n != 0) || m->len < offsetof(struct sbc_msg_deny, e) + d->n * sizeof(d->e[0]))
		return -EBADMSG;
	for (unsigned int i = 0; i < d->n; i++)
		if (d->e[i].family != SBC_AF_V4 && d->e[i].family != SBC_AF_V6)
			return -EBADMSG;
	return 0;
}

int sbc_msg_validate(const struct sbc_msg *m)
{
	const struct sbc_msg_acl *a = (const void *)m->body;

	if (m->version != 1 || m->len > SBC_MSG_BODY)
		return -EBADMSG;
	switch (m->type) {
	case SBC_CMD_ACL_ADD:
	case SBC_CMD_ACL_DEL:
	case SBC_CMD_ACL_REPLACE_BEGIN:
	case SBC_CMD_ACL_ENTRIES:
	case SBC_CMD_ACL_REPLACE_COMMIT:
		if (m->len < offsetof(struct sbc_msg_acl, p) || a->n > SBC_ACL_PER_MSG ||
		    m->len < offsetof(struct sbc_msg_acl, p) + a->n * sizeof(a->p[0]))
			return -EBADMSG;
		for (unsigned int i = 0; i < a->n; i++) {
			const struct sbc_wire_prefix *w = &a->p[i];

			if (!((w->family == SBC_AF_V4 && w->depth <= 32) ||
			      (w->family == SBC_AF_V6 && w->depth <= 128)))
				return -EBADMSG;
		}
		return 0;
	case SBC_CMD_LIMITS_SET:
		return m->len == sizeof(struct sbc_msg_limits) ? 0 : -EBADMSG;
	case SBC_CMD_DENY_ADD:
	case SBC_CMD_DENY_DEL:
	case SBC_CMD_DENY_SYNC_BEGIN:
	case SBC_CMD_DENY_SYNC_END:
		return deny_validate(m);
	case SBC_CMD_RESYNC_REQUEST:
		return m->len == 0 ? 0 : -EBADMSG;
	case SBC_CMD_CP_STATUS:
		return m->len == sizeof(struct sbc_msg_cp_status) ? 0 : -EBADMSG;
	case SBC_CMD_CP_CALLS:
		return m->len == sizeof(struct sbc_msg_cp_calls) ? 0 : -EBADMSG;
	case SBC_CMD_CP_REGISTRAR:
		return m->len == sizeof(struct sbc_msg_cp_registrar) ? 0 : -EBADMSG;
	case SBC_CMD_CP_MEDIA:
		return m->len == sizeof(struct sbc_msg_cp_media) ? 0 : -EBADMSG;
	case SBC_CMD_TRUNK_STATE:
		return m->len == sizeof(struct sbc_msg_trunk_state) &&
		       ((const struct sbc_msg_trunk_state *)m->body)->health < SBC_HEALTH_MAX ?
		       0 : -EBADMSG;
	case SBC_EVT_CALL_ADMITTED:
	case SBC_EVT_CALL_ENDED:
		if (m->len != sizeof(struct sbc_msg_call))
			return -EBADMSG;
		{
			const struct sbc_msg_call *c = (const void *)m->body;

			if (c->reason >= SBC_CALL_END_MAX || c->call_id_len > SBC_CALL_ID_MAX)
				return -EBADMSG;
		}
		return 0;
	case SBC_EVT_STARTED:
		return m->len == sizeof(struct sbc_msg_started) ? 0 : -EBADMSG;
	case SBC_EVT_APPLIED:
	case SBC_EVT_REFUSED:
	case SBC_EVT_TABLE_FULL:
		return m->len == sizeof(struct sbc_msg_applied) ? 0 : -EBADMSG;
	case SBC_CMD_ADMIT:
	case SBC_CMD_ADMIT_END:
		return admit_validate(m);
	case SBC_EVT_ADMIT_VERDICT:
		return verdict_validate(m);
	case SBC_CMD_MEDIA_SET:
	case SBC_CMD_MEDIA_DEL:
	case SBC_CMD_MEDIA_FLUSH:
	case SBC_EVT_MEDIA_READY:
	case SBC_EVT_MEDIA_GONE:
	case SBC_EVT_MEDIA_TIMEOUT:
		return media_validate(m);
	default:
		return -EBADMSG;
	}
}

void sbc_prefix_to_wire(const struct sbc_prefix *p, struct sbc_wire_prefix *w)
{
	w->family = p->family;
	w->depth = p->depth;
	memcpy(w->addr, p->addr, 16);
}

void sbc_prefix_from_wire(const struct sbc_wire_prefix *w, struct sbc_prefix *p)
{
	p->family = w->family;
	p->depth = w->depth;
	memcpy(p->addr, w->addr, 16);
	/* host bits beyond depth are cleared: the data plane never trusts the sender */
	unsigned int max = w->family == SBC_AF_V4 ? 32 : 128;
	for (unsigned int b = w->depth; b < max; b++)
		p->addr[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	if (w->family == SBC_AF_V4)
		memset(p->addr + 4, 0, 12);
}

uint64_t sbc_trunks_hash(const struct sbc_config *cfg)
{
	uint64_t h = SBC_FNV1A_INIT;	/* over "name\0name\0..." */

	for (unsigned int t = 0; t < cfg->n_trunks; t++)
		h = sbc_fnv1a(h, cfg->trunks[t].name, strlen(cfg->trunks[t].name) + 1);
	return h;
}
