/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Call records from the data plane's call events: SBC_EVT_CALL_ADMITTED opens a record,
 * SBC_EVT_CALL_ENDED closes it and appends it to the Redis stream sbc:cdr (XADD, capped with
 * MAXLEN ~). The per-trunk active gauge kept here must equal the data plane's; both go back to
 * zero when the calls end. Records wait in a bounded queue while Redis is away and are written
 * in order when it is back; beyond the bound the oldest are counted lost (said once).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp.h"
#include "sbc_hash.h"

#define OPEN_MAX (1u << 20)		/* calls tracked at once */
#define PENDING_MAX 200000u		/* records kept while Redis is away */

struct open_call {
	char id[SBC_CALL_ID_MAX + 1];
	uint16_t trunk;
	uint8_t emergency;
	bool used;
	uint64_t start_ns;
};

static struct {
	struct open_call *t;
	size_t cap, n;
	struct cp_cdr *pending;
	size_t p_head, p_n;
	uint64_t lost;
	bool lost_logged;
	uint64_t *active;	/* per trunk */
} cdr;

static uint64_t hash_id(const char *s, size_t l, uint16_t trunk)
{
	uint64_t h = sbc_fnv1a(SBC_FNV1A_INIT ^ trunk, s, l);

	return h ^ (h >> 31);
}

static size_t slot_of(const char *id, size_t l, uint16_t trunk)
{
	size_t i = hash_id(id, l, trunk) & (cdr.cap - 1);

	while (cdr.t[i].used && !(cdr.t[i].trunk == trunk && strlen(cdr.t[i].id) == l &&
				  memcmp(cdr.t[i].id, id, l) == 0))
		i = (i + 1) & (cdr.cap - 1);
	return i;
}

static int grow(void)
{
	struct open_call *old = cdr.t;
	size_t ocap = cdr.cap;

	cdr.cap = ocap ? ocap * 2 : 4096;
	cdr.t = calloc(cdr.cap, sizeof(*cdr.t));
	if (cdr.t == NULL) {
		cdr.t = old;
		cdr.cap = ocap;
		return -ENOMEM;
	}
	for (size_t i = 0; i < ocap; i++)
		if (old[i].used)
			cdr.t[slot_of(old[i].id, strlen(old[i].id), old[i].trunk)] = old[i];
	free(old);
	return 0;
}

static void del_slot(size_t i)
{
	size_t j = i;

	cdr.t[i].used = false;
	cdr.n--;
	for (;;) {
		j = (j + 1) & (cdr.cap - 1);
		if (!cdr.t[j].used)
			return;
		size_t home = hash_id(cdr.t[j].id, strlen(cdr.t[j].id), cdr.t[j].trunk) &
			      (cdr.cap - 1);

		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			cdr.t[i] = cdr.t[j];
			cdr.t[j].used = false;
			i = j;
		}
	}
}

uint64_t cp_cdr_active(uint16_t trunk)
{
	return cdr.active && trunk < cp.n_trunks ? cdr.active[trunk] : 0;
}

uint64_t cp_cdr_lost(void)
{
	return cdr.lost;
}

static void pend(const struct cp_cdr *r)
{
	if (cdr.pending == NULL) {
		cdr.pending = calloc(PENDING_MAX, sizeof(*cdr.pending));
		if (cdr.pending == NULL) {
			cdr.lost++;
			return;
		}
	}
	if (cdr.p_n == PENDING_MAX) {	/* drop the oldest: the newest say more about now */
		cdr.p_head = (cdr.p_head + 1) % PENDING_MAX;
		cdr.p_n--;
		cdr.lost++;
		if (!cdr.lost_logged)
			cp_log(CP_ERR, "sbc:cdr: Redis away and %u call records waiting: the oldest "
			       "are being dropped (counted)", PENDING_MAX);
		cdr.lost_logged = true;
	}
	cdr.pending[(cdr.p_head + cdr.p_n) % PENDING_MAX] = *r;
	cdr.p_n++;
}

/* Write what waits, in order, while Redis takes it. */
void cp_cdr_flush(void)
{
	while (cdr.p_n > 0 && cp_redis_write_cdr(&cdr.pending[cdr.p_head]) == 0) {
		cdr.p_head = (cdr.p_head + 1) % PENDING_MAX;
		cdr.p_n--;
	}
	if (cdr.p_n == 0)
		cdr.lost_logged = false;
}

void cp_cdr_event(const struct sbc_msg *m)
{
	const struct sbc_msg_call *c = (const void *)m->body;
	size_t l = c->call_id_len;
	size_t i;

	if (c->trunk >= cp.n_trunks)
		return;
	if (cdr.active == NULL) {
		cdr.active = calloc(cp.n_trunks ? cp.n_trunks : 1, sizeof(*cdr.active));
		if (cdr.active == NULL)
			return;
	}
	if ((cdr.n + 1) * 4 > cdr.cap * 3 && (cdr.cap >= OPEN_MAX || grow() != 0)) {
		cp_log(CP_ERR, "call table full (%zu open calls): record not kept", cdr.n);
		return;
	}
	i = slot_of(c->call_id, l, c->trunk);
	if (m->type == SBC_EVT_CALL_ADMITTED) {
		if (cdr.t[i].used)
			return;		/* a repeated event: one record per call */
		memcpy(cdr.t[i].id, c->call_id, l);
		cdr.t[i].id[l] = '\0';
		cdr.t[i].trunk = c->trunk;
		cdr.t[i].emergency = c->emergency;
		cdr.t[i].start_ns = c->at_ns;
		cdr.t[i].used = true;
		cdr.n++;
		cdr.active[c->trunk]++;
		return;
	}
	struct cp_cdr r = { .trunk = c->trunk, .reason = c->reason, .end_ns = c->at_ns,
			    .emergency = c->emergency };

	memcpy(r.call_id, c->call_id, l);
	r.call_id[l] = '\0';
	if (cdr.t[i].used) {
		r.start_ns = cdr.t[i].start_ns;
		r.emergency |= cdr.t[i].emergency;
		del_slot(i);
		cdr.active[c->trunk]--;
	}
	/* else: admitted before this control plane started; the record has no start */
	if (cdr.p_n > 0 || cp_redis_write_cdr(&r) != 0)
		pend(&r);
}

/* The data plane restarted: its calls are gone with it; close ours without a record. */
void cp_cdr_reset(void)
{
	size_t open = cdr.n;

	if (cdr.t)
		memset(cdr.t, 0, cdr.cap * sizeof(*cdr.t));
	cdr.n = 0;
	if (cdr.active)
		memset(cdr.active, 0, cp.n_trunks * sizeof(*cdr.active));
	if (open)
		cp_log(CP_WARN, "data plane restarted with %zu calls open: their records end here",
		       open);
}

void cp_cdr_fini(void)
{
	free(cdr.t);
	free(cdr.pending);
	free(cdr.active);
	memset(&cdr, 0, sizeof(cdr));
}
