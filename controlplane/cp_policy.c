/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The policy engine: what Redis says each trunk should allow (the last good read of
 * sbc:acl:<trunk> and sbc:limits:<trunk>), what each trunk really holds after conflicts and
 * capacity, and the commands that bring the data plane there. Runs on the su_root thread.
 *
 * - Bad values are skipped and reported once per key and value; the rest of the set applies.
 * - A prefix in two trunks' sets stays with the trunk that held it first (a packet has one
 *   trunk); the other copy is skipped and reported, and takes over when the first lets go.
 *   Found by intersecting sorted sets, so a single big set costs nothing extra.
 * - A set that would overflow the data plane's tables is refused whole: the old set stays.
 * - A change goes as one ACL_ADD or ACL_DEL message when it fits in one (atomic), otherwise
 *   as a staged replace (BEGIN, ENTRIES..., COMMIT: atomic at COMMIT).
 * - A big read (more than SYNC_MAX values) is parsed and sorted in slices of about SLICE_NS,
 *   one slice per loop turn (cp_policy_work, driven by cp_policy_su.c), so SIP timers and
 *   sockets are served in between; the set in force stays until the new one is settled and
 *   sent whole (the data plane's swap stays one atomic COMMIT).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cp_chan.h"
#include "cp_log.h"
#include "cp_policy.h"
#include "sbc_num.h"

#define RETRY_BASE_NS 20000000ull	/* a refused set is sent again after 40 ms, */
#define RETRY_MAX_SHIFT 6		/* doubling up to 1.3 s */
#define SYNC_MAX 4096		/* readers hand bigger sets over in slices (cp_values) */
#define SEND_AT_ONCE 16384	/* replaces up to this many prefixes are sent at once */
#define SLICE_NS 2000000ull	/* work per loop turn, checked every CHECK_EVERY elements */
#define CHECK_EVERY 1024
#define SORT_RUN 1024


static struct {
	const struct sbc_config *cfg;
	struct cp_trunk *trunks;
	unsigned int n_trunks;
	uint32_t held_v4, held_v6;	/* prefixes over all trunks' eff */
	struct cp_policy_stats st;
	struct cp_bad_seen *unknown_seen;	/* unknown keys already reported */
	void (*kick)(void);		/* asks the loop for cp_policy_work() turns */
} pol;

static void job_free(struct cp_acl_job *j);

/* Sources of superseded jobs, given back a slice at a time too. */
#define RELEASING_MAX 16
static struct cp_values releasing[RELEASING_MAX];
static unsigned int n_releasing;


/* ------------------------------------------------------------------------------------------ */
/* Prefix sets */

int cp_prefix_cmp(const struct sbc_prefix *a, const struct sbc_prefix *b)
{
	uint64_t x, y;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	/* addresses in network order compare as big-endian words: no memcmp call */
	memcpy(&x, a->addr, 8);
	memcpy(&y, b->addr, 8);
	if (x != y)
		return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
	if (a->family == SBC_AF_V6) {
		memcpy(&x, a->addr + 8, 8);
		memcpy(&y, b->addr + 8, 8);
		if (x != y)
			return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
	}
	return a->depth == b->depth ? 0 : (a->depth < b->depth ? -1 : 1);
}

static int cmp_qsort(const void *a, const void *b)
{
	return cp_prefix_cmp(a, b);
}

void cp_set_free(struct cp_set *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int set_reserve(struct cp_set *s, uint32_t n)
{
	if (n <= s->cap)
		return 0;
	uint32_t cap = s->cap ? s->cap : 64;
	struct sbc_prefix *v;

	while (cap < n)
		cap *= 2;
	v = realloc(s->v, (size_t)cap * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	s->v = v;
	s->cap = cap;
	return 0;
}

int cp_set_push(struct cp_set *s, const struct sbc_prefix *p)
{
	if (set_reserve(s, s->n + 1) != 0)
		return -ENOMEM;
	s->v[s->n++] = *p;
	return 0;
}

void cp_set_normalise(struct cp_set *s)
{
	uint32_t w = 0;

	if (s->n < 2)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_qsort);
	for (uint32_t r = 0; r < s->n; r++)
		if (w == 0 || cp_prefix_cmp(&s->v[w - 1], &s->v[r]) != 0)
			s->v[w++] = s->v[r];
	s->n = w;
}

int cp_set_diff(const struct cp_set *old, const struct cp_set *new, struct cp_set *adds,
		struct cp_set *dels)
{
	uint32_t i = 0, j = 0;

	adds->n = dels->n = 0;
	while (i < old->n || j < new->n) {
		int c = i == old->n ? 1 : j == new->n ? -1 : cp_prefix_cmp(&old->v[i], &new->v[j]);

		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			if (cp_set_push(dels, &old->v[i++]) != 0)
				return -ENOMEM;
		} else if (cp_set_push(adds, &new->v[j++]) != 0) {
			return -ENOMEM;
		}
	}
	return 0;
}

void cp_set_count(const struct cp_set *s, uint32_t *v4, uint32_t *v6)
{
	*v4 = *v6 = 0;
	for (uint32_t i = 0; i < s->n; i++)
		(*(s->v[i].family == SBC_AF_V4 ? v4 : v6))++;
}

/* ------------------------------------------------------------------------------------------ */
/* Parsing what Redis holds */

/* One member of an sbc:acl SET: appended to out (room reserved), or reported through bad. */
static void parse_one(const char *v, size_t l, struct cp_set *out, cp_bad_f bad, void *arg)
{
	char txt[SBC_CIDR_STRLEN + 2], err[160];
	const char *orig = v;
	size_t orig_l = l;
	struct sbc_prefix p;

	/* operators paste with spaces; anything else wrong is reported, not guessed */
	while (l > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		l--;
	}
	while (l > 0 && (v[l - 1] == ' ' || v[l - 1] == '\t'))
		l--;
	if (l == 0 || l >= sizeof(txt) || memchr(v, '\0', l) != NULL) {
		bad(arg, orig, orig_l, l == 0 ? "empty" : "not a CIDR prefix");
		return;
	}
	memcpy(txt, v, l);
	txt[l] = '\0';
	if (sbc_prefix_parse(txt, &p, err, sizeof(err)) != 0) {
		bad(arg, orig, orig_l, err);
		return;
	}
	out->v[out->n++] = p;
}

int cp_acl_parse(const char *const *vals, const size_t *lens, size_t n, struct cp_set *out,
		 cp_bad_f bad, void *arg)
{
	out->n = 0;
	if (set_reserve(out, (uint32_t)n) != 0)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		parse_one(vals[i], lens[i], out, bad, arg);
	cp_set_normalise(out);
	return 0;
}

void cp_limits_parse(const char *const *kv, const size_t *lens, size_t n_kv,
		     const struct sbc_trunk_config *defaults, struct cp_limits *out, cp_bad_f bad,
		     void *arg)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{ "cps", offsetof(struct cp_limits, cps) },
		{ "burst", offsetof(struct cp_limits, burst) },
		{ "max_calls", offsetof(struct cp_limits, max_calls) },
	};

	out->cps = defaults->cps;
	out->burst = defaults->burst;
	out->max_calls = defaults->max_calls;
	for (size_t i = 0; i + 1 < n_kv; i += 2) {
		const char *k = kv[i], *v = kv[i + 1];
		size_t kl = lens[i], vl = lens[i + 1];
		size_t f;
		char why[128];

		for (f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
			if (strlen(fields[f].name) == kl && memcmp(fields[f].name, k, kl) == 0)
				break;
		if (f == sizeof(fields) / sizeof(fields[0])) {
			snprintf(why, sizeof(why), "field '%.*s' is not cps, burst or max_calls",
				 (int)(kl > 40 ? 40 : kl), k);
			bad(arg, v, vl, why);
			continue;
		}
		if (!sbc_parse_u32(v, vl, UINT32_MAX, (uint32_t *)((char *)out + fields[f].off))) {
			snprintf(why, sizeof(why), "%s is not a whole number 0-4294967295; the "
				 "configured %s stays", fields[f].name, fields[f].name);
			bad(arg, v, vl, why);
		}
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Which members of a sorted set another sorted set also holds. Binary search from the small
 * side when the sizes differ a lot, a merge otherwise: sequential, cache-friendly, and free
 * when no other trunk holds anything (the usual case for a big set). */

bool cp_set_find(const struct cp_set *s, const struct sbc_prefix *p, uint32_t *at)
{
	uint32_t lo = 0, hi = s->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = cp_prefix_cmp(&s->v[mid], p);

		if (c == 0) {
			if (at != NULL)
				*at = mid;
			return true;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

size_t cp_set_intersect(const struct cp_set *a, const struct cp_set *b, uint32_t *idx)
{
	size_t n = 0;
	uint32_t at;

	if (a->n == 0 || b->n == 0)
		return 0;
	if ((size_t)b->n * 16 < a->n) {
		for (uint32_t j = 0; j < b->n; j++)
			if (cp_set_find(a, &b->v[j], &at))
				idx[n++] = at;
		return n;
	}
	if ((size_t)a->n * 16 < b->n) {
		for (uint32_t i = 0; i < a->n; i++)
			if (cp_set_find(b, &a->v[i], &at))
				idx[n++] = i;
		return n;
	}
	for (uint32_t i = 0, j = 0; i < a->n && j < b->n;) {
		int c = cp_prefix_cmp(&a->v[i], &b->v[j]);

		if (c == 0) {
			idx[n++] = i;
			i++;
			j++;
		} else if (c < 0) {
			i++;
		} else {
			j++;
		}
	}
	return n;
}

/* ------------------------------------------------------------------------------------------ */
/* Report each bad value once per key: the values skipped in the previous read are kept, and
 * only the new ones are logged. A value fixed and written wrong again is reported again. */

#define BAD_KEEP 256

struct cp_bad_seen {
	char *v[BAD_KEEP];
	unsigned int n;
};

struct bad_ctx {
	const char *key;
	struct cp_bad_seen *prev;
	struct cp_bad_seen now;
	unsigned int over;	/* bad values beyond BAD_KEEP in this read */
	unsigned int total;
};

static bool seen_has(const struct cp_bad_seen *s, const char *v, size_t l)
{
	for (unsigned int i = 0; s != NULL && i < s->n; i++)
		if (strlen(s->v[i]) == l && memcmp(s->v[i], v, l) == 0)
			return true;
	return false;
}

static void seen_clear(struct cp_bad_seen *s)
{
	for (unsigned int i = 0; i < s->n; i++)
		free(s->v[i]);
	s->n = 0;
}

static void printable(char *dst, size_t dlen, const char *v, size_t l)
{
	size_t o = 0;

	for (size_t i = 0; i < l && o + 5 < dlen; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
			dst[o++] = (char)c;
		else
			o += (size_t)snprintf(dst + o, dlen - o, "\\x%02x", c);
	}
	if (l > 0 && o + 5 >= dlen && o >= 3)
		memcpy(dst + o - 3, "...", 3);
	dst[o] = '\0';
}

static void on_bad(void *arg, const char *v, size_t l, const char *why)
{
	struct bad_ctx *b = arg;
	char shown[100];

	b->total++;
	if (seen_has(&b->now, v, l))
		return;
	if (b->now.n == BAD_KEEP) {
		b->over++;
		return;
	}
	b->now.v[b->now.n] = strndup(v, l);
	if (b->now.v[b->now.n] == NULL)
		return;
	b->now.n++;
	if (seen_has(b->prev, v, l))
		return;
	printable(shown, sizeof(shown), v, l);
	pol.st.bad_values++;
	cp_log(CP_WARN, "%s: skipped '%s': %s", b->key, shown, why);
}

static void bad_finish(struct bad_ctx *b, struct cp_bad_seen **prev)
{
	if (b->over > 0 && (*prev == NULL || (*prev)->n < BAD_KEEP))
		cp_log(CP_WARN, "%s: %u more bad values skipped (only the first %u are named)",
		       b->key, b->over, BAD_KEEP);
	if (*prev == NULL)
		*prev = calloc(1, sizeof(**prev));
	if (*prev == NULL) {
		seen_clear(&b->now);
		return;
	}
	seen_clear(*prev);
	**prev = b->now;
}

void cp_policy_unknown_key(const char *key, size_t len)
{
	if (pol.unknown_seen == NULL)
		pol.unknown_seen = calloc(1, sizeof(*pol.unknown_seen));
	if (pol.unknown_seen == NULL || seen_has(pol.unknown_seen, key, len))
		return;
	if (pol.unknown_seen->n < BAD_KEEP) {
		pol.unknown_seen->v[pol.unknown_seen->n] = strndup(key, len);
		if (pol.unknown_seen->v[pol.unknown_seen->n] != NULL)
			pol.unknown_seen->n++;
	}
	char shown[100];

	printable(shown, sizeof(shown), key, len);
	pol.st.unknown_keys++;
	cp_log(CP_WARN, "%s: no trunk of that name in %s; key ignored", shown, pol.cfg->path);
}

/* ------------------------------------------------------------------------------------------ */
/* The engine */

int cp_policy_init(const struct sbc_config *cfg)
{
	memset(&pol, 0, sizeof(pol));
	pol.cfg = cfg;
	pol.n_trunks = cfg->n_trunks;
	pol.trunks = calloc(pol.n_trunks ? pol.n_trunks : 1, sizeof(*pol.trunks));
	if (pol.trunks == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < pol.n_trunks; i++) {
		struct cp_trunk *t = &pol.trunks[i];

		t->id = (uint16_t)i;
		t->cfg = &pol.cfg->trunks[i];
		snprintf(t->acl_key, sizeof(t->acl_key), "sbc:acl:%s", t->cfg->name);
		snprintf(t->limits_key, sizeof(t->limits_key), "sbc:limits:%s", t->cfg->name);
		t->limits.cps = t->cfg->cps;
		t->limits.burst = t->cfg->burst;
		t->limits.max_calls = t->cfg->max_calls;
	}
	return 0;
}

void cp_policy_fini(void)
{
	for (unsigned int i = 0; i < pol.n_trunks; i++) {
		struct cp_trunk *t = &pol.trunks[i];

		job_free(t->job);
		cp_set_free(&t->want);
		cp_set_free(&t->acl);
		cp_set_free(&t->dyn);
		cp_set_free(&t->eff);
		if (t->bad_acl) {
			seen_clear(t->bad_acl);
			free(t->bad_acl);
		}
		if (t->bad_limits) {
			seen_clear(t->bad_limits);
			free(t->bad_limits);
		}
	}
	while (n_releasing > 0) {
		struct cp_values *v = &releasing[--n_releasing];

		while (!v->release(v->src, UINT32_MAX))
			;
	}
	if (pol.unknown_seen) {
		seen_clear(pol.unknown_seen);
		free(pol.unknown_seen);
		pol.unknown_seen = NULL;
	}
	free(pol.trunks);
	pol.trunks = NULL;
	pol.n_trunks = 0;
}

unsigned int cp_policy_n_trunks(void)
{
	return pol.n_trunks;
}

struct cp_trunk *cp_policy_trunk(unsigned int id)
{
	return id < pol.n_trunks ? &pol.trunks[id] : NULL;
}

const struct cp_policy_stats *cp_policy_stats(void)
{
	return &pol.st;
}

struct cp_trunk *cp_trunk_by_name(const char *name, size_t len)
{
	char n[SBC_TRUNK_NAME_MAX];
	int i;

	if (len == 0 || len >= sizeof(n))
		return NULL;
	memcpy(n, name, len);
	n[len] = '\0';
	i = sbc_config_trunk_index(pol.cfg, n);
	return i < 0 ? NULL : &pol.trunks[i];
}

/* s->v[from, to) as messages of type; a replace's BEGIN says the count (the whole set). */
static void send_acl_chunks(uint16_t type, uint16_t trunk, const struct cp_set *s, uint32_t from,
			    uint32_t to, uint64_t gen)
{
	uint32_t count = type == SBC_CMD_ACL_REPLACE_BEGIN ? s->n : 0;
	struct sbc_msg_acl a;
	uint32_t i = from;

	do {
		memset(&a, 0, sizeof(a));
		a.trunk = trunk;
		a.count = count;
		while (a.n < SBC_ACL_PER_MSG && i < to)
			sbc_prefix_to_wire(&s->v[i++], &a.p[a.n++]);
		cp_chan_send_gen(type, &a, (uint32_t)(offsetof(struct sbc_msg_acl, p) +
						      a.n * sizeof(a.p[0])), gen);
		/* BEGIN carries the first chunk; the rest are ENTRIES */
		if (type == SBC_CMD_ACL_REPLACE_BEGIN)
			type = SBC_CMD_ACL_ENTRIES;
	} while (i < to);
}

static void send_commit(struct cp_trunk *t, uint64_t gen)
{
	struct sbc_msg_acl a;

	memset(&a, 0, sizeof(a));
	a.trunk = t->id;
	cp_chan_send_gen(SBC_CMD_ACL_REPLACE_COMMIT, &a, (uint32_t)offsetof(struct sbc_msg_acl, p),
			 gen);
}

/*
 * Ask the data plane to hold t->eff: one message when the change fits (adds/dels: NULL when it
 * does not), else a staged replace. A replace of more than SEND_AT_ONCE prefixes goes out in
 * slices (cp_policy_work); the data plane stages it per trunk and swaps at COMMIT, and a newer
 * replace of the trunk restarts the staging (its BEGIN), so nothing half-sent is ever used.
 */
static void push_acl(struct cp_trunk *t, const struct cp_set *adds, const struct cp_set *dels)
{
	uint64_t gen;

	if (t->dp_valid && adds != NULL && adds->n + dels->n == 0)
		return;
	gen = cp_chan_next_generation();
	t->last_generation = gen;
	t->sending = false;
	if (t->dp_valid && adds != NULL && (adds->n == 0 || dels->n == 0) &&
	    adds->n + dels->n <= SBC_ACL_PER_MSG) {
		send_acl_chunks(adds->n ? SBC_CMD_ACL_ADD : SBC_CMD_ACL_DEL, t->id,
				adds->n ? adds : dels, 0, adds->n ? adds->n : dels->n, gen);
	} else if (t->eff.n > SEND_AT_ONCE && pol.kick != NULL) {
		t->dp_valid = false;	/* until the COMMIT is out */
		t->sending = true;
		t->send_pos = 0;
		pol.kick();
		return;
	} else {
		send_acl_chunks(SBC_CMD_ACL_REPLACE_BEGIN, t->id, &t->eff, 0, t->eff.n, gen);
		send_commit(t, gen);
	}
	t->dp_valid = true;
}

/* The next slice of a big replace: BEGIN with the first chunk, ENTRIES, COMMIT at the end. */
static void send_some(struct cp_trunk *t, uint32_t budget)
{
	uint32_t upto = t->send_pos + budget < t->eff.n ? t->send_pos + budget : t->eff.n;

	if (!cp_chan_ready()) {	/* dropped on the way: the next sync sends it again */
		t->sending = false;
		return;
	}
	if (t->send_pos < upto || t->eff.n == 0)
		send_acl_chunks(t->send_pos == 0 ? SBC_CMD_ACL_REPLACE_BEGIN : SBC_CMD_ACL_ENTRIES,
				t->id, &t->eff, t->send_pos, upto, t->last_generation);
	t->send_pos = upto;
	if (upto < t->eff.n)
		return;
	send_commit(t, t->last_generation);
	t->sending = false;
	t->dp_valid = true;
}

/*
 * owner[i]: the trunk that already holds t->want.v[i], or UINT16_MAX. NULL with *err = 0 when
 * no other trunk holds anything t wants (the usual case: nothing allocated).
 */
static uint16_t *find_owners(const struct cp_trunk *t, int *err)
{
	uint32_t *clash_idx = NULL;
	uint16_t *owner = NULL;

	*err = 0;
	for (unsigned int u = 0; u < pol.n_trunks; u++) {
		size_t k;

		if (u == t->id || pol.trunks[u].eff.n == 0 || t->want.n == 0)
			continue;
		if (clash_idx == NULL) {
			clash_idx = malloc((size_t)t->want.n * sizeof(*clash_idx));
			owner = malloc((size_t)t->want.n * sizeof(*owner));
			if (clash_idx == NULL || owner == NULL)
				goto fail;
			memset(owner, 0xff, (size_t)t->want.n * sizeof(*owner));
		}
		k = cp_set_intersect(&t->want, &pol.trunks[u].eff, clash_idx);
		for (size_t i = 0; i < k; i++)
			if (owner[clash_idx[i]] == UINT16_MAX)
				owner[clash_idx[i]] = (uint16_t)u;
	}
	free(clash_idx);
	return owner;
fail:
	free(clash_idx);
	free(owner);
	*err = -ENOMEM;
	return NULL;
}

/* eff = what t wants minus what other trunks hold (reported through report, if any). */
static void skip_owned(struct cp_trunk *t, const uint16_t *owner, struct cp_set *eff,
		       struct bad_ctx *report)
{
	char txt[SBC_CIDR_STRLEN], why[160];

	t->conflicts = false;
	if (owner == NULL) {	/* nobody else holds any of it: the usual case, one copy */
		if (t->want.n > 0)	/* an empty set may have no array */
			memcpy(eff->v, t->want.v, (size_t)t->want.n * sizeof(*eff->v));
		eff->n = t->want.n;
		return;
	}
	for (uint32_t i = 0; i < t->want.n; i++) {
		if (owner == NULL || owner[i] == UINT16_MAX) {
			eff->v[eff->n++] = t->want.v[i];
			continue;
		}
		t->conflicts = true;
		if (report == NULL)
			continue;
		sbc_prefix_format(&t->want.v[i], txt, sizeof(txt));
		snprintf(why, sizeof(why), "already in sbc:acl:%s (a source has one trunk); it "
			 "applies here once that trunk lets it go", pol.cfg->trunks[owner[i]].name);
		on_bad(report, txt, strlen(txt), why);
	}
}

/* Would eff in place of t->eff overflow the data plane's tables? Said once per set size. */
static bool over_capacity(struct cp_trunk *t, const struct cp_set *eff, uint32_t n4, uint32_t n6)
{
	uint32_t o4, o6;

	o4 = t->eff_v4;
	o6 = t->eff_v6;
	if (pol.held_v4 - o4 + n4 <= pol.cfg->acl_v4_rules &&
	    pol.held_v6 - o6 + n6 <= pol.cfg->acl_v6_rules) {
		t->refused_logged_n = 0;
		return false;
	}
	if (t->refused_logged_n != eff->n) {
		pol.st.refused_sets++;
		cp_log(CP_ERR, "%s: %u IPv4 / %u IPv6 prefixes do not fit: the data plane has "
		       "room for %u / %u beside the other trunks ([dataplane] acl_v4_rules, "
		       "acl_v6_rules); the whole set is refused and the old one (%u) stays",
		       t->acl_key, n4, n6, pol.cfg->acl_v4_rules - (pol.held_v4 - o4),
		       pol.cfg->acl_v6_rules - (pol.held_v6 - o6), t->eff.n);
		t->refused_logged_n = eff->n;
	}
	return true;
}

/* Is old -> new a change of at most max prefixes? A merge that stops as soon as it is not. */
static bool small_change(const struct cp_set *old, const struct cp_set *new, uint32_t max)
{
	uint32_t i = 0, j = 0, n = 0;

	if ((old->n > new->n ? old->n - new->n : new->n - old->n) > max)
		return false;
	while ((i < old->n || j < new->n) && n <= max) {
		int c = i == old->n ? 1 : j == new->n ? -1 : cp_prefix_cmp(&old->v[i], &new->v[j]);

		i += c <= 0;
		j += c >= 0;
		n += c != 0;
	}
	return n <= max;
}

static bool others_waiting(const struct cp_trunk *t)
{
	for (unsigned int u = 0; u < pol.n_trunks; u++)
		if (u != t->id && pol.trunks[u].conflicts)
			return true;
	return false;
}

/*
 * t holds eff from now on; the data plane is told what changed. *released: t let some go that
 * another trunk waits for. The full diff is only built when it can be sent as one message or
 * another trunk waits for what t lets go; a big change is a replace and needs no diff.
 */
static int take(struct cp_trunk *t, struct cp_set *eff, uint32_t n4, uint32_t n6, bool *released)
{
	struct cp_set adds = { 0 }, dels = { 0 };
	bool diff = (t->dp_valid && small_change(&t->eff, eff, SBC_ACL_PER_MSG)) ||
		    others_waiting(t);

	if (diff && cp_set_diff(&t->eff, eff, &adds, &dels) != 0)
		goto fail;
	*released = dels.n > 0;
	pol.held_v4 = pol.held_v4 - t->eff_v4 + n4;
	pol.held_v6 = pol.held_v6 - t->eff_v6 + n6;
	t->eff_v4 = n4;
	t->eff_v6 = n6;
	cp_set_free(&t->eff);
	t->eff = *eff;
	t->eff_gen++;
	memset(eff, 0, sizeof(*eff));
	if (cp_chan_ready())
		push_acl(t, diff ? &adds : NULL, diff ? &dels : NULL);
	cp_set_free(&adds);
	cp_set_free(&dels);
	return 0;
fail:
	cp_set_free(&adds);
	cp_set_free(&dels);
	return -ENOMEM;
}

/*
 * Recompute t->eff from t->want: skip prefixes other trunks hold, refuse the whole set when it
 * does not fit, update ownership, and send the change if the data plane is reachable.
 * Returns true when t gave prefixes up (others may be waiting for them). copy: a copy of
 * t->want with its IPv4/IPv6 counts made beforehand (a sliced read), taken when no other
 * trunk holds any of it; else NULL.
 */
static bool settle(struct cp_trunk *t, struct bad_ctx *report, struct cp_set *copy,
		   const uint32_t *copy_counts)
{
	struct cp_set eff = { 0 };
	bool released = false;
	uint32_t n4, n6;
	uint16_t *owner;
	int err;

	if (!t->acl_known)
		return false;
	owner = find_owners(t, &err);
	if (err != 0)
		goto fail;
	if (owner == NULL && copy != NULL) {
		t->conflicts = false;
		eff = *copy;
		memset(copy, 0, sizeof(*copy));
		n4 = copy_counts[0];
		n6 = copy_counts[1];
	} else {
		if (set_reserve(&eff, t->want.n) != 0) {
			free(owner);
			goto fail;
		}
		skip_owned(t, owner, &eff, report);
		cp_set_count(&eff, &n4, &n6);
	}
	free(owner);
	if (!over_capacity(t, &eff, n4, n6) && take(t, &eff, n4, n6, &released) != 0)
		goto fail;
	cp_set_free(&eff);
	return released;
fail:
	cp_log(CP_ERR, "%s: out of memory; the old set stays", t->acl_key);
	cp_set_free(&eff);
	return false;
}

/* After t let prefixes go, trunks that wanted them may take them now. */
static void settle_waiting(void)
{
	for (unsigned int i = 0; i < pol.n_trunks; i++)
		if (pol.trunks[i].conflicts && settle(&pol.trunks[i], NULL, NULL, NULL))
			i = (unsigned int)-1;	/* it released some: look again from the start */
}

/* want = acl + dyn (sorted, no duplicates). */
static int rebuild_want(struct cp_trunk *t)
{
	struct cp_set w = { 0 };

	if (set_reserve(&w, t->acl.n + t->dyn.n + 1) != 0)
		return -ENOMEM;
	if (t->acl.n > 0)	/* an empty set may have no array at all */
		memcpy(w.v, t->acl.v, t->acl.n * sizeof(*w.v));
	if (t->dyn.n > 0)
		memcpy(w.v + t->acl.n, t->dyn.v, t->dyn.n * sizeof(*w.v));
	w.n = t->acl.n + t->dyn.n;
	if (t->dyn.n > 0)	/* acl alone is sorted and unique already (a big read stays cheap) */
		cp_set_normalise(&w);
	cp_set_free(&t->want);
	t->want = w;
	return 0;
}

int cp_policy_dyn_changed(struct cp_trunk *t)
{
	if (rebuild_want(t) != 0)
		return -ENOMEM;
	if (settle(t, NULL, NULL, NULL))
		settle_waiting();
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Big reads in slices. The values stay where the reader has them (the Redis reply, kept from
 * hiredis) and are parsed, then given back (freed a slice at a time), sorted (runs of SORT_RUN
 * by qsort, then merged pairwise in passes, resumable at any element) and made unique, a
 * bounded piece per loop turn; the settle happens in one turn, and a big replace then goes to
 * the data plane in slices too (push_acl). */


enum job_phase { JOB_PARSE, JOB_RELEASE, JOB_RUNS, JOB_MERGE, JOB_UNIQUE, JOB_DONE };

struct cp_acl_job {
	enum job_phase phase;
	struct cp_values src;		/* held until JOB_RELEASE has given it all back */
	size_t next;			/* the next value to parse (or run to sort) */
	struct cp_set s;		/* parsed, then sorted in place */
	struct sbc_prefix *tmp;		/* the merge's other buffer */
	struct cp_set eff;		/* a copy of the result, in tmp, and its counts: */
	uint32_t counts[2];		/* IPv4, IPv6 (settle takes them when nobody else
					 * holds any of the set, the usual case) */
	uint32_t width, lo, i, j, k;	/* merge pass: run width, pair start, cursors */
	struct bad_ctx b;
};


static void release_later(const struct cp_values *v)
{
	if (v->release == NULL)
		return;
	if (n_releasing < RELEASING_MAX) {
		releasing[n_releasing++] = *v;
		return;
	}
	while (!v->release(v->src, UINT32_MAX))
		;
}

static void job_free(struct cp_acl_job *j)
{
	if (j == NULL)
		return;
	if (j->phase <= JOB_RELEASE)
		release_later(&j->src);
	free(j->tmp);
	cp_set_free(&j->s);
	cp_set_free(&j->eff);
	seen_clear(&j->b.now);
	free(j);
}

static struct cp_acl_job *job_new(struct cp_trunk *t, const struct cp_values *src)
{
	struct cp_acl_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->src = *src;
	j->tmp = malloc(src->n * sizeof(*j->tmp));
	if (j->tmp == NULL || set_reserve(&j->s, (uint32_t)src->n) != 0) {
		job_free(j);
		return NULL;
	}
	j->b.key = t->acl_key;
	j->b.prev = t->bad_acl;
	return j;
}

/* Merge the pairs of sorted runs of width j->width from s.v into tmp, from where it stopped;
 * a finished pass swaps the buffers and doubles the width. */
static void merge_some(struct cp_acl_job *j, uint32_t budget)
{
	uint32_t n = j->s.n, w = j->width;

	while (budget > 0 && j->phase == JOB_MERGE) {
		uint32_t mid = j->lo + w < n ? j->lo + w : n;
		uint32_t hi = mid + w < n ? mid + w : n;
		struct sbc_prefix *v = j->s.v;

		while (budget > 0 && (j->i < mid || j->j < hi)) {
			if (j->j >= hi || (j->i < mid && cp_prefix_cmp(&v[j->i], &v[j->j]) <= 0))
				j->tmp[j->k++] = v[j->i++];
			else
				j->tmp[j->k++] = v[j->j++];
			budget--;
		}
		if (j->i < mid || j->j < hi)
			return;
		j->lo = hi;
		if (j->lo >= n) {	/* pass done */
			struct sbc_prefix *x = j->s.v;

			j->s.v = j->tmp;
			j->tmp = x;
			j->width = w = w * 2;
			j->lo = 0;
			if (w >= n)
				j->phase = JOB_UNIQUE;
		}
		j->i = j->lo;
		j->j = j->lo + w < n ? j->lo + w : n;
		j->k = j->lo;
	}
}

/* Up to budget elements of work on j. */
static void job_some(struct cp_acl_job *j, uint32_t budget)
{
	switch (j->phase) {
	case JOB_PARSE:
		for (; budget > 0 && j->next < j->src.n; budget--, j->next++) {
			const char *v;
			size_t l;

			j->src.get(j->src.src, j->next, &v, &l);
			parse_one(v, l, &j->s, on_bad, &j->b);
		}
		if (j->next == j->src.n) {
			j->phase = JOB_RELEASE;
			j->next = 0;
		}
		break;
	case JOB_RELEASE:
		if (j->src.release == NULL || j->src.release(j->src.src, budget))
			j->phase = JOB_RUNS;
		break;
	case JOB_RUNS:	/* budget counts elements: one run per SORT_RUN of it */
		for (; budget >= SORT_RUN && j->next < j->s.n; budget -= SORT_RUN) {
			size_t m = j->s.n - j->next < SORT_RUN ? j->s.n - j->next : SORT_RUN;

			qsort(j->s.v + j->next, m, sizeof(*j->s.v), cmp_qsort);
			j->next += m;
		}
		if (j->next >= j->s.n) {
			j->phase = SORT_RUN >= j->s.n ? JOB_UNIQUE : JOB_MERGE;
			if (j->phase == JOB_UNIQUE)	/* unique starts from i = 0 */
				j->lo = 0;
			j->width = SORT_RUN;
			j->lo = j->i = j->k = 0;
			j->j = SORT_RUN < j->s.n ? SORT_RUN : j->s.n;
			j->next = 0;
		}
		break;
	case JOB_MERGE:
		merge_some(j, budget);
		break;
	case JOB_UNIQUE:	/* i reads, k writes; each kept one copied to eff too */
		if (j->eff.v == NULL) {
			j->eff = (struct cp_set){ .v = j->tmp, .cap = (uint32_t)j->src.n };
			j->tmp = NULL;
			j->i = j->k = 0;
		}
		for (; budget > 0 && j->i < j->s.n; budget--, j->i++) {
			const struct sbc_prefix *p = &j->s.v[j->i];

			if (j->k > 0 && cp_prefix_cmp(&j->s.v[j->k - 1], p) == 0)
				continue;
			j->counts[p->family == SBC_AF_V4 ? 0 : 1]++;
			j->eff.v[j->k] = *p;
			j->s.v[j->k++] = *p;
		}
		if (j->i == j->s.n) {
			j->s.n = j->eff.n = j->k;
			j->phase = JOB_DONE;
		}
		break;
	case JOB_DONE:
		break;
	}
}

/* The set read is t's new want: settle it, say the bad values, let waiting trunks in. */
static void acl_apply(struct cp_trunk *t, struct cp_set *s, struct bad_ctx *b,
		      struct cp_set *copy, const uint32_t *copy_counts)
{
	cp_set_free(&t->acl);
	t->acl = *s;
	memset(s, 0, sizeof(*s));
	if (t->dyn.n > 0 && copy != NULL) {	/* want = acl + dyn: a copy of acl alone is not it */
		cp_set_free(copy);
		copy = NULL;
	}
	if (rebuild_want(t) != 0) {
		cp_log(CP_ERR, "%s: out of memory; the old set stays", t->acl_key);
		if (copy != NULL)
			cp_set_free(copy);
		seen_clear(&b->now);
		return;
	}
	t->acl_known = true;
	t->acl_type_logged = false;
	b->prev = t->bad_acl;
	bool released = settle(t, b, copy, copy_counts);

	bad_finish(b, &t->bad_acl);
	memset(&b->now, 0, sizeof(b->now));
	if (released)
		settle_waiting();
}

/* The CPU this thread used: a slice's wall time also counts the time other processes had the
 * core, which on a loaded machine says nothing about the slice. */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void cp_policy_set_kick(void (*kick)(void))
{
	pol.kick = kick;
}

bool cp_policy_busy(void)
{
	if (n_releasing > 0)
		return true;
	for (unsigned int i = 0; i < pol.n_trunks; i++)
		if (pol.trunks[i].job != NULL || pol.trunks[i].sending)
			return true;
	return false;
}

bool cp_policy_work(void)
{
	uint64_t t0 = sbc_mono_ns(), now = t0, cpu0 = thread_cpu_ns();
	bool more = false;

	while (n_releasing > 0 && now - t0 < SLICE_NS) {
		if (releasing[n_releasing - 1].release(releasing[n_releasing - 1].src,
						       CHECK_EVERY * 4))
			n_releasing--;
		now = sbc_mono_ns();
	}
	more = n_releasing > 0;
	for (unsigned int i = 0; i < pol.n_trunks; i++) {
		struct cp_trunk *t = &pol.trunks[i];
		struct cp_acl_job *j = t->job;

		while (j != NULL && j->phase != JOB_DONE && now - t0 < SLICE_NS) {
			job_some(j, CHECK_EVERY * 4);
			now = sbc_mono_ns();
		}
		while (j == NULL && t->sending && now - t0 < SLICE_NS) {
			send_some(t, CHECK_EVERY * 4);
			now = sbc_mono_ns();
		}
		if (j == NULL) {
			more |= t->sending;
			continue;
		}
		if (j->phase != JOB_DONE) {
			more = true;
			continue;
		}
		t->job = NULL;
		acl_apply(t, &j->s, &j->b, &j->eff, j->counts);
		job_free(j);
		now = sbc_mono_ns();
		more |= t->sending;
	}
	pol.st.acl_slices++;
	if (now - t0 > pol.st.acl_slice_max_ns)
		pol.st.acl_slice_max_ns = now - t0;
	cpu0 = thread_cpu_ns() - cpu0;
	if (cpu0 > pol.st.acl_slice_max_cpu_ns)
		pol.st.acl_slice_max_cpu_ns = cpu0;
	return more;
}

void cp_policy_acl_read_values(struct cp_trunk *t, const struct cp_values *src)
{
	job_free(t->job);	/* a newer read supersedes one still in slices */
	t->job = job_new(t, src);
	if (t->job == NULL) {
		cp_log(CP_ERR, "%s: out of memory reading %zu members; the old set stays",
		       t->acl_key, src->n);
		release_later(src);
		return;
	}
	pol.st.acl_sliced_reads++;
	if (pol.kick != NULL)
		pol.kick();
	else
		while (cp_policy_work())
			;
}

void cp_policy_acl_read(struct cp_trunk *t, const char *const *vals, const size_t *lens,
			size_t n)
{
	struct bad_ctx b = { .key = t->acl_key, .prev = t->bad_acl };
	struct cp_set s = { 0 };

	job_free(t->job);	/* a newer read supersedes one still in slices */
	t->job = NULL;
	if (cp_acl_parse(vals, lens, n, &s, on_bad, &b) != 0) {
		cp_log(CP_ERR, "%s: out of memory reading %zu members; the old set stays",
		       t->acl_key, n);
		seen_clear(&b.now);
		cp_set_free(&s);
		return;
	}
	acl_apply(t, &s, &b, NULL, NULL);
}

size_t cp_policy_slice_min(void)
{
	return SYNC_MAX;
}

static void push_limits(struct cp_trunk *t)
{
	struct sbc_msg_limits l = { .trunk = t->id, .cps = t->limits.cps,
				    .burst = t->limits.burst, .max_calls = t->limits.max_calls };

	if (!cp_chan_ready() || !t->limits_known)
		return;
	if (t->limits_valid && memcmp(&t->limits_sent, &t->limits, sizeof(t->limits)) == 0)
		return;
	t->limits_generation = cp_chan_send(SBC_CMD_LIMITS_SET, &l, sizeof(l));
	t->limits_sent = t->limits;
	t->limits_valid = true;
}

void cp_policy_limits_read(struct cp_trunk *t, const char *const *kv, const size_t *lens,
			   size_t n)
{
	struct bad_ctx b = { .key = t->limits_key, .prev = t->bad_limits };

	cp_limits_parse(kv, lens, n, t->cfg, &t->limits, on_bad, &b);
	bad_finish(&b, &t->bad_limits);
	t->limits_known = true;
	t->limits_type_logged = false;
	push_limits(t);
}

void cp_policy_unreadable(struct cp_trunk *t, bool acl, const char *why)
{
	bool *logged = acl ? &t->acl_type_logged : &t->limits_type_logged;

	if (*logged)
		return;
	cp_log(CP_ERR, "%s: cannot read it as a %s (%s); the state in force stays",
	       acl ? t->acl_key : t->limits_key, acl ? "SET" : "HASH", why);
	*logged = true;
	pol.st.bad_values++;
}

void cp_policy_dp_reset(void)
{
	for (unsigned int i = 0; i < pol.n_trunks; i++) {
		pol.trunks[i].dp_valid = false;
		pol.trunks[i].sending = false;
		pol.trunks[i].limits_valid = false;
		pol.trunks[i].dp_retry = false;
		pol.trunks[i].retries = 0;
	}
}

void cp_policy_sync(void)
{
	uint64_t now = sbc_mono_ns();

	if (!cp_chan_ready())
		return;
	for (unsigned int i = 0; i < pol.n_trunks; i++) {
		struct cp_trunk *t = &pol.trunks[i];

		/* A refused set is tried again after the commands before it are in, then
		 * less and less often. */
		if (t->dp_retry && (now < t->retry_at_ns || cp_chan_queued() > 0))
			continue;
		/* Nothing read from Redis yet: the data plane keeps what it has (fail static). */
		if (t->acl_known && !t->dp_valid && !t->sending) {
			push_acl(t, NULL, NULL);
			if (t->dp_retry) {
				unsigned int r = t->retries < RETRY_MAX_SHIFT ? t->retries :
						 RETRY_MAX_SHIFT;

				t->retry_at_ns = now + (RETRY_BASE_NS << r);
			}
		}
		push_limits(t);
	}
}

void cp_policy_event(const struct sbc_msg *m)
{
	const struct sbc_msg_applied *a = (const void *)m->body;
	struct cp_trunk *t;

	if (m->type == SBC_EVT_APPLIED) {
		t = a->trunk < pol.n_trunks ? &pol.trunks[a->trunk] : NULL;
		if (t != NULL && m->generation == t->last_generation && t->dp_retry) {
			if (t->retries > 1)
				cp_log(CP_INFO, "%s: applied after %u tries", t->acl_key, t->retries);
			t->dp_retry = false;
			t->retries = 0;
		}
		return;
	}
	t = a->trunk < pol.n_trunks ? &pol.trunks[a->trunk] : NULL;
	if (t == NULL) {
		cp_log(CP_ERR, "data plane refused generation %llu: %.*s",
		       (unsigned long long)m->generation, (int)sizeof(a->text), a->text);
		return;
	}
	/* Only the newest command for the trunk matters; older refusals were superseded. */
	if (m->generation != (a->cmd == SBC_CMD_LIMITS_SET ? t->limits_generation :
			      t->last_generation))
		return;
	if (a->cmd == SBC_CMD_LIMITS_SET) {
		t->limits_valid = false;
	} else {
		t->dp_valid = false;	/* its set is not what we think: the next try is a replace */
		t->sending = false;
		t->dp_retry = true;
	}
	if (t->retries++ == 0 || a->error != -EEXIST)
		cp_log(a->error == -EEXIST ? CP_INFO : CP_ERR, "%s: data plane refused generation "
		       "%llu: %.*s%s", t->acl_key, (unsigned long long)m->generation,
		       (int)sizeof(a->text), a->text,
		       a->error == -EEXIST ? " (retrying once the other trunk's change is in)" : "");
}
