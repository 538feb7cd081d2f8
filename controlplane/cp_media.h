/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Media sessions of anchored calls (cp_media.c): the port pool of [sbc] media_ports, each
 * call's two legs (cp_sdp_leg) and its conversation with the data plane over the channel:
 * SBC_CMD_MEDIA_SET (answered by SBC_EVT_MEDIA_READY), SBC_CMD_MEDIA_DEL (answered by
 * SBC_EVT_MEDIA_GONE with the final figures; only then do the call's ports go back to the
 * pool), SBC_EVT_MEDIA_TIMEOUT, SBC_CMD_MEDIA_FLUSH and the replay of every live session when
 * the data plane restarts. Leg 0 faces the caller, leg 1 the callee. Runs on the su_root
 * thread.
 */
#ifndef CP_MEDIA_H
#define CP_MEDIA_H

#include <stdbool.h>
#include <stdint.h>

#include "cp_sdp.h"
#include "sbc_channel.h"
#include "sbc_config.h"

#define CP_MEDIA_READY_WAIT_MS 1000	/* a MEDIA_SET's READY is awaited this long */
#define CP_MEDIA_GONE_WAIT_MS 2000	/* a MEDIA_DEL's GONE this long (then a record without
					 * figures; the ports stay taken until it comes) */

struct su_root_s;
struct cp_media;

/* What a call hears about its media. Each runs later, never inside a cp_media_* call. */
struct cp_media_cbs {
	/* READY for seq (0 or its -errno), or -ETIMEDOUT: no READY for seq in time */
	void (*ready)(void *arg, uint32_t seq, int error);
	/* MEDIA_TIMEOUT: no packet from either leg for media_timeout s */
	void (*timeout)(void *arg, const struct sbc_msg_media_stats *st);
	/* after cp_media_close: the final figures (NULL: none came in time, or the data plane
	 * restarted); the last callback, the session is gone for the caller */
	void (*gone)(void *arg, const struct sbc_msg_media_stats *st);
};

struct cp_media_stats {
	uint64_t no_port;		/* calls refused (503): no free port pair */
	uint64_t id_taken;		/* calls refused (500): a session still had the call's id */
	uint64_t gone_late;		/* GONE not within CP_MEDIA_GONE_WAIT_MS */
	uint64_t sessions;		/* calls holding ports (gauge, until GONE) */
	uint64_t free_pairs[2];		/* port pairs free: IPv4, IPv6 (gauges) */
	uint64_t pairs[2];		/* pairs in each pool (IPv6: 0 without address6) */
};

int cp_media_init(struct su_root_s *root, const struct sbc_config *cfg);
void cp_media_fini(void);

/* Calls a pool holds per address: the range's even/odd pairs, two a call. */
unsigned int cp_media_capacity(const struct sbc_config *cfg);

/*
 * A new call's media, its session id the FNV-1a of the inbound Call-ID. -EEXIST: a session
 * with that id is still held (the call is refused with 500); -ENOMEM.
 */
int cp_media_open(struct cp_media **out, const char *call_id, const struct cp_media_cbs *cbs,
		  void *arg);
/* Leg 0 or 1 faces trunk (its srtp mode): before the leg's first SDP, again on failover. */
void cp_media_trunk(struct cp_media *m, unsigned int leg, unsigned int trunk);
/* The leg's port pair, of family, from the pool: -ENOSPC: none free (503); -EAFNOSUPPORT: no
 * [sbc] address6. Once per leg. */
int cp_media_port(struct cp_media *m, unsigned int leg, uint8_t family);
bool cp_media_has_leg(const struct cp_media *m, unsigned int leg);
struct cp_sdp_leg *cp_media_sdp(struct cp_media *m, unsigned int leg);
/* The leg latches (media_latch = yes): its remote is the first packet from addr. */
void cp_media_latch(struct cp_media *m, unsigned int leg, uint8_t family, const uint8_t *addr);
uint64_t cp_media_session(const struct cp_media *m);

/*
 * Install or update the session as both legs' SDP have it: MEDIA_SET with the next seq (in
 * *seq); the ready callback follows. -EAGAIN: a leg has no audio yet (nothing sent); -ENOTCONN:
 * no data plane in sync (the call fails: 503).
 */
int cp_media_set(struct cp_media *m, uint32_t *seq);
/*
 * The call is over: its callbacks but gone stop. Installed: MEDIA_DEL, and gone follows;
 * never installed: ports back at once, gone never runs (false). m is not to be used after.
 */
bool cp_media_close(struct cp_media *m);

/* The call's quality for its record, from GONE's figures (NULL: all ""). */
struct cp_media_quality {
	char loss_in[16], loss_out[16], jitter_ms[16], mos[8];
};
void cp_media_quality(const struct sbc_msg_media_stats *st, const char *codec,
		      struct cp_media_quality *q);
/* The E-model's MOS (ITU-T G.107, simplified: see cp_media.c) for a loss ratio and jitter. */
double cp_media_mos(double loss, double jitter_ms, const char *codec);

/* From the channel */
void cp_media_event(const struct sbc_msg *m);	/* READY, GONE, TIMEOUT */
void cp_media_dp_sync(void);	/* a data plane in sync (start or restart): FLUSH + replay */

const struct cp_media_stats *cp_media_stats(void);

#endif
