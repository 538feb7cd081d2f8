/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The denylist's tables (see dp_deny.h): two banks read by the workers, the entries' records
 * (expiry, reason, replay stamp) kept by the main lcore, and /sbc/denied for the telemetry
 * thread. Changes and expiry run on the main lcore only; the listing takes a mutex that only
 * they share, never a worker.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <rte_malloc.h>

#include "dp.h"
#include "dp_deny.h"

#define PAGE 100		/* entries per /sbc/denied page */
#define NO_REC UINT32_MAX

/* One denied source, main lcore's bookkeeping (workers never read it). */
struct rec {
	bool used;
	uint8_t family;
	uint8_t addr[16];
	char reason[SBC_DENY_REASON_MAX + 1];
	uint64_t expires_ns;	/* on the data plane's clock; 0: until lifted */
	uint64_t stamp;		/* replay round that last added it */
};

/* A bank with the record index of each slot beside it (val*: main lcore only). */
struct bank {
	struct dp_deny_bank pub;
	uint32_t *val4, *val6;
};

static const struct dp_deny_bank empty_bank = { 0, 0, 0, 0, NULL, NULL };
const struct dp_deny_bank *dp_deny_active = &empty_bank;

static struct {
	struct bank bank[2];
	struct bank *active;
	struct rte_rcu_qsbr *qsv;
	struct rec *rec;
	uint32_t *free_list;
	uint32_t n_free, cap, high;	/* high: records ever used (the scan's end) */
	uint32_t count;
	uint64_t next_due;		/* earliest expiry, UINT64_MAX: none */
	uint64_t stamp;			/* current replay round */
	uint64_t sync_gen;
	bool syncing;
	uint64_t visible_ns;
	/* counters, read by the telemetry thread */
	uint64_t added, lifted, expired, refused_full;
	pthread_mutex_t lock;
} dn = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* ---- one bank's table: the family's slots seen through four small helpers */

static uint32_t home(const struct dp_deny_bank *b, uint8_t fam, const uint8_t *a)
{
	uint32_t v;

	if (fam == SBC_AF_V6)
		return dp_deny_hash6(a) & b->mask6;
	memcpy(&v, a, 4);
	return dp_deny_hash4(v) & b->mask4;
}

static bool slot_empty(const struct dp_deny_bank *b, uint8_t fam, uint32_t i)
{
	static const uint8_t zero[16];

	return fam == SBC_AF_V6 ? memcmp(b->key6[i], zero, 16) == 0 : b->key4[i] == 0;
}

static bool slot_is(const struct dp_deny_bank *b, uint8_t fam, uint32_t i, const uint8_t *a)
{
	return fam == SBC_AF_V6 ? memcmp(b->key6[i], a, 16) == 0 : memcmp(&b->key4[i], a, 4) == 0;
}

static uint32_t mask_of(const struct dp_deny_bank *b, uint8_t fam)
{
	return fam == SBC_AF_V6 ? b->mask6 : b->mask4;
}

/* Slot holding a, or NO_REC. */
static uint32_t find_slot(const struct bank *k, uint8_t fam, const uint8_t *a)
{
	const struct dp_deny_bank *b = &k->pub;
	uint32_t m = mask_of(b, fam);

	for (uint32_t i = home(b, fam, a);; i = (i + 1) & m) {
		if (slot_is(b, fam, i, a))
			return i;
		if (slot_empty(b, fam, i))
			return NO_REC;
	}
}

/* Move slot from -> to (to is empty), or clear slot from (to == NO_REC). */
static void slot_move(struct bank *k, uint8_t fam, uint32_t from, uint32_t to)
{
	struct dp_deny_bank *b = &k->pub;

	if (fam == SBC_AF_V6) {
		if (to != NO_REC) {
			memcpy(b->key6[to], b->key6[from], 16);
			k->val6[to] = k->val6[from];
		}
		memset(b->key6[from], 0, 16);
	} else {
		if (to != NO_REC) {
			b->key4[to] = b->key4[from];
			k->val4[to] = k->val4[from];
		}
		b->key4[from] = 0;
	}
}

static void bank_insert(struct bank *k, uint8_t fam, const uint8_t *a, uint32_t val)
{
	struct dp_deny_bank *b = &k->pub;
	uint32_t m = mask_of(b, fam), i = home(b, fam, a);

	while (!slot_empty(b, fam, i))
		i = (i + 1) & m;
	if (fam == SBC_AF_V6) {
		memcpy(b->key6[i], a, 16);
		k->val6[i] = val;
		b->n6++;
	} else {
		memcpy(&b->key4[i], a, 4);
		k->val4[i] = val;
		b->n4++;
	}
}

/* Delete with backward shift: every later entry of the run that may fill the hole moves up,
 * so a probe never stops early at a gap (no tombstones). */
static void bank_delete(struct bank *k, uint8_t fam, const uint8_t *a)
{
	struct dp_deny_bank *b = &k->pub;
	uint32_t m = mask_of(b, fam), hole = find_slot(k, fam, a), j;

	if (hole == NO_REC)
		return;
	if (fam == SBC_AF_V6)
		b->n6--;
	else
		b->n4--;
	for (j = (hole + 1) & m; !slot_empty(b, fam, j); j = (j + 1) & m) {
		uint32_t h = home(b, fam, fam == SBC_AF_V6 ? b->key6[j] : (uint8_t *)&b->key4[j]);

		/* j may move to hole when its home is not in (hole, j] (cyclically) */
		if (((j - h) & m) >= ((j - hole) & m)) {
			slot_move(k, fam, j, hole);
			hole = j;
		}
	}
	slot_move(k, fam, hole, NO_REC);
}

/* ---- changes: a list of inserts and deletes applied to both banks around one RCU wait */

struct op {
	bool insert;
	uint8_t family;
	uint8_t addr[16];
	uint32_t rec;
};

static void apply_ops(struct bank *k, const struct op *ops, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (ops[i].insert)
			bank_insert(k, ops[i].family, ops[i].addr, ops[i].rec);
		else
			bank_delete(k, ops[i].family, ops[i].addr);
	}
}

static void publish(const struct op *ops, unsigned int n)
{
	struct bank *standby;

	if (n == 0)
		return;
	standby = dn.active == &dn.bank[0] ? &dn.bank[1] : &dn.bank[0];
	apply_ops(standby, ops, n);
	dn.active = standby;
	__atomic_store_n(&dp_deny_active, &standby->pub, __ATOMIC_RELEASE);
	rte_rcu_qsbr_synchronize(dn.qsv, RTE_QSBR_THRID_INVALID);
	dn.visible_ns = sbc_now_ns();
	apply_ops(standby == &dn.bank[0] ? &dn.bank[1] : &dn.bank[0], ops, n);
}

static uint32_t rec_of(uint8_t fam, const uint8_t *a)
{
	uint32_t s;

	if (dn.active == NULL)
		return NO_REC;
	s = find_slot(dn.active, fam, a);
	if (s == NO_REC)
		return NO_REC;
	return fam == SBC_AF_V6 ? dn.active->val6[s] : dn.active->val4[s];
}

static void rec_free(uint32_t r, struct op *op)
{
	*op = (struct op){ .insert = false, .family = dn.rec[r].family };
	memcpy(op->addr, dn.rec[r].addr, 16);
	dn.rec[r].used = false;
	dn.free_list[dn.n_free++] = r;
	dn.count--;
}

static void rec_fill(struct rec *r, const struct sbc_deny_entry *e, uint64_t now_ns)
{
	r->expires_ns = e->ttl_ms ? now_ns + e->ttl_ms * 1000000ull : 0;
	memcpy(r->reason, e->reason, SBC_DENY_REASON_MAX);
	r->reason[SBC_DENY_REASON_MAX] = '\0';
	r->stamp = dn.stamp;
	if (r->expires_ns != 0 && r->expires_ns < dn.next_due)
		dn.next_due = r->expires_ns;
}

static bool addr_zero(const struct sbc_deny_entry *e)
{
	static const uint8_t zero[16];

	return memcmp(e->addr, zero, e->family == SBC_AF_V6 ? 16 : 4) == 0;
}

int dp_deny_add(const struct sbc_deny_entry *e, unsigned int n, uint64_t now_ns,
		unsigned int *refused)
{
	struct op ops[SBC_DENY_PER_MSG];
	unsigned int k = 0, bad = 0, full = 0;

	pthread_mutex_lock(&dn.lock);
	for (unsigned int i = 0; i < n && i < SBC_DENY_PER_MSG; i++) {
		uint32_t r = rec_of(e[i].family, e[i].addr);

		if (addr_zero(&e[i]) || dn.rec == NULL) {
			bad++;
			continue;
		}
		if (r == NO_REC) {
			if (dn.n_free == 0) {
				full++;
				continue;
			}
			r = dn.free_list[--dn.n_free];
			if (r >= dn.high)
				dn.high = r + 1;
			dn.rec[r] = (struct rec){ .used = true, .family = e[i].family };
			memcpy(dn.rec[r].addr, e[i].addr, e[i].family == SBC_AF_V6 ? 16 : 4);
			ops[k] = (struct op){ .insert = true, .family = e[i].family, .rec = r };
			memcpy(ops[k++].addr, dn.rec[r].addr, 16);
			dn.count++;
			dn.added++;
		}
		rec_fill(&dn.rec[r], &e[i], now_ns);
	}
	dn.refused_full += full;
	publish(ops, k);
	pthread_mutex_unlock(&dn.lock);
	if (refused != NULL)
		*refused = full;
	return full ? -ENOSPC : bad ? -EINVAL : 0;
}

int dp_deny_del(const struct sbc_deny_entry *e, unsigned int n)
{
	struct op ops[SBC_DENY_PER_MSG];
	unsigned int k = 0;

	pthread_mutex_lock(&dn.lock);
	for (unsigned int i = 0; i < n && i < SBC_DENY_PER_MSG; i++) {
		uint32_t r = rec_of(e[i].family, e[i].addr);

		if (r == NO_REC)
			continue;
		rec_free(r, &ops[k++]);
		dn.lifted++;
	}
	publish(ops, k);
	pthread_mutex_unlock(&dn.lock);
	return 0;
}

/*
 * Lift every used record that pred() selects, in batches of PER_MSG ops around one RCU wait
 * each (a large sweep does not hold a worker's view of the table to one wait per entry).
 */
static unsigned int lift_where(bool (*pred)(const struct rec *r, uint64_t arg), uint64_t arg)
{
	struct op ops[64];
	unsigned int k = 0, lifted = 0;

	dn.next_due = UINT64_MAX;
	for (uint32_t r = 0; r < dn.high; r++) {
		if (!dn.rec[r].used)
			continue;
		if (!pred(&dn.rec[r], arg)) {
			if (dn.rec[r].expires_ns != 0 && dn.rec[r].expires_ns < dn.next_due)
				dn.next_due = dn.rec[r].expires_ns;
			continue;
		}
		rec_free(r, &ops[k++]);
		lifted++;
		if (k == sizeof(ops) / sizeof(ops[0])) {
			publish(ops, k);
			k = 0;
		}
	}
	publish(ops, k);
	return lifted;
}

static bool is_expired(const struct rec *r, uint64_t now_ns)
{
	return r->expires_ns != 0 && r->expires_ns <= now_ns;
}

static bool not_renewed(const struct rec *r, uint64_t stamp)
{
	return r->stamp != stamp;
}

unsigned int dp_deny_expire(uint64_t now_ns)
{
	unsigned int n;

	if (__atomic_load_n(&dn.next_due, __ATOMIC_RELAXED) > now_ns)
		return 0;
	pthread_mutex_lock(&dn.lock);
	n = dn.rec != NULL ? lift_where(is_expired, now_ns) : 0;
	dn.expired += n;
	pthread_mutex_unlock(&dn.lock);
	return n;
}

void dp_deny_sync_begin(uint64_t generation)
{
	pthread_mutex_lock(&dn.lock);
	dn.stamp++;
	dn.sync_gen = generation;
	dn.syncing = true;
	pthread_mutex_unlock(&dn.lock);
}

int dp_deny_sync_end(uint64_t generation)
{
	unsigned int n;

	if (!dn.syncing || generation != dn.sync_gen)
		return -EPROTO;
	pthread_mutex_lock(&dn.lock);
	dn.syncing = false;
	n = dn.rec != NULL ? lift_where(not_renewed, dn.stamp) : 0;
	dn.lifted += n;
	pthread_mutex_unlock(&dn.lock);
	return 0;
}

uint32_t dp_deny_count(void)
{
	return __atomic_load_n(&dn.count, __ATOMIC_RELAXED);
}

uint64_t dp_deny_visible_ns(void)
{
	return dn.visible_ns;
}

/* ---- set-up */

static int bank_alloc(struct bank *k, uint32_t slots)
{
	k->pub.mask4 = k->pub.mask6 = slots - 1;
	k->pub.key4 = rte_zmalloc("sbc_deny4", (size_t)slots * 4, RTE_CACHE_LINE_SIZE);
	k->pub.key6 = rte_zmalloc("sbc_deny6", (size_t)slots * 16, RTE_CACHE_LINE_SIZE);
	k->val4 = calloc(slots, sizeof(uint32_t));
	k->val6 = calloc(slots, sizeof(uint32_t));
	return k->pub.key4 && k->pub.key6 && k->val4 && k->val6 ? 0 : -ENOMEM;
}

int dp_deny_create(uint32_t capacity, struct rte_rcu_qsbr *qsv)
{
	uint32_t slots = 16;

	/* at most half full even with every entry in one family: probes stay short and always
	 * reach an empty slot */
	while (slots < 2 * capacity)
		slots <<= 1;
	dn.qsv = qsv;
	dn.cap = capacity;
	dn.next_due = UINT64_MAX;
	dn.rec = calloc(capacity, sizeof(*dn.rec));
	dn.free_list = calloc(capacity, sizeof(*dn.free_list));
	if (dn.rec == NULL || dn.free_list == NULL || bank_alloc(&dn.bank[0], slots) != 0 ||
	    bank_alloc(&dn.bank[1], slots) != 0) {
		dp_deny_free();
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < capacity; i++)
		dn.free_list[i] = capacity - 1 - i;	/* record 0 first */
	dn.n_free = capacity;
	dn.active = &dn.bank[0];
	__atomic_store_n(&dp_deny_active, &dn.bank[0].pub, __ATOMIC_RELEASE);
	return 0;
}

void dp_deny_free(void)
{
	__atomic_store_n(&dp_deny_active, &empty_bank, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++) {
		rte_free(dn.bank[i].pub.key4);
		rte_free(dn.bank[i].pub.key6);
		free(dn.bank[i].val4);
		free(dn.bank[i].val6);
	}
	free(dn.rec);
	free(dn.free_list);
	memset(dn.bank, 0, sizeof(dn.bank));
	dn.rec = NULL;
	dn.free_list = NULL;
	dn.active = NULL;
	dn.count = dn.n_free = dn.high = 0;
}

/* ---- /sbc/denied[,first]: entries (address, seconds left or -1, reason), a page at a time */

static void put_rec(struct rte_tel_data *d, const struct rec *r, uint64_t now, unsigned int i)
{
	struct rte_tel_data *row = rte_tel_data_alloc();
	char txt[INET6_ADDRSTRLEN], key[24];

	if (row == NULL)
		return;
	inet_ntop(r->family == SBC_AF_V6 ? AF_INET6 : AF_INET, r->addr, txt, sizeof(txt));
	rte_tel_data_start_dict(row);
	rte_tel_data_add_dict_string(row, "address", txt);
	rte_tel_data_add_dict_int(row, "remaining_s", r->expires_ns == 0 ? -1 :
				  r->expires_ns <= now ? 0 :
				  (int)((r->expires_ns - now + 999999999ull) / 1000000000ull));
	rte_tel_data_add_dict_string(row, "reason", r->reason);
	snprintf(key, sizeof(key), "d%u", i);
	if (rte_tel_data_add_dict_container(d, key, row, 0) != 0)
		rte_tel_data_free(row);
}

static int cmd_denied(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	unsigned long first = 0;
	uint64_t now = dp_clock_ns();
	uint32_t seen = 0, shown = 0;

	if (params != NULL && *params != '\0') {
		char *end;

		first = strtoul(params, &end, 10);
		if (*end != '\0')
			return -EINVAL;
	}
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&dn.lock);
	for (uint32_t r = 0; r < dn.high && shown < PAGE; r++) {
		if (!dn.rec[r].used || seen++ < first)
			continue;
		put_rec(d, &dn.rec[r], now, (unsigned int)first + shown++);
	}
	rte_tel_data_add_dict_u64(d, "total", dn.count);
	rte_tel_data_add_dict_u64(d, "capacity", dn.cap);
	rte_tel_data_add_dict_u64(d, "first", first);
	rte_tel_data_add_dict_u64(d, "next", first + shown < dn.count ? first + shown : 0);
	rte_tel_data_add_dict_u64(d, "added", dn.added);
	rte_tel_data_add_dict_u64(d, "lifted", dn.lifted);
	rte_tel_data_add_dict_u64(d, "expired", dn.expired);
	rte_tel_data_add_dict_u64(d, "refused_full", dn.refused_full);
	pthread_mutex_unlock(&dn.lock);
	return 0;
}

int dp_deny_telemetry_register(void)
{
	return rte_telemetry_register_cmd("/sbc/denied", cmd_denied,
		"Denied sources (sbc:deny:<ip>): address, seconds left (-1: until lifted), reason, "
		RTE_STR(PAGE) " a page. Parameter: first");
}
