/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Trunk routing: the trunk of a source, the route of its calls, the next usable trunk on it and
 * the failover decision; each trunk's live state (health, calls out). Pure bookkeeping, no I/O,
 * so the unit tests drive it directly. Runs on the su_root thread.
 *
 * - The trunk of a request is the longest prefix holding its source over every trunk's
 *   effective allowlist (what the data plane enforces: cp_policy's eff once Redis was read,
 *   the configuration's peers before). The data plane has admitted it by the same rule.
 *   Each set is sorted (cp_set); the lookup knows which prefix lengths a set holds and
 *   binary-searches the source masked to each of them, longest first: a few searches of
 *   log2(n) steps per trunk instead of a scan of every prefix.
 * - A route is the trunk's `route` unless Redis holds sbc:route:<trunk> (a LIST of trunk
 *   names: bad names skipped and reported once, the rest in force; the key gone: `route`).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cp_policy.h"
#include "cp_route.h"

/* Which prefix lengths a set holds (bit d of words[family][d / 64]), for the set it was
 * computed on: eff's generation, or the configured peers (fixed). */
struct lengths {
	bool valid;
	uint64_t gen;
	uint64_t bits[2][3];	/* [0]: IPv4, [1]: IPv6 */
};

static struct {
	const struct sbc_config *cfg;
	struct cp_route_trunk *t;
	struct cp_set *peers;		/* each trunk's configured peers, sorted */
	struct lengths *len_peers, *len_eff;
	unsigned int n;
	cp_route_changed_f changed;
	uint16_t (*route)[SBC_ROUTE_MAX];	/* configured routes as trunk ids */
	unsigned int *n_route;
	bool active;
} rt;

static int sort_peers(void);

int cp_route_init(const struct sbc_config *cfg, cp_route_changed_f changed)
{
	memset(&rt, 0, sizeof(rt));
	rt.cfg = cfg;
	rt.n = cfg->n_trunks;
	rt.changed = changed;
	rt.t = calloc(rt.n ? rt.n : 1, sizeof(*rt.t));
	rt.route = calloc(rt.n ? rt.n : 1, sizeof(*rt.route));
	rt.n_route = calloc(rt.n ? rt.n : 1, sizeof(*rt.n_route));
	rt.peers = calloc(rt.n ? rt.n : 1, sizeof(*rt.peers));
	rt.len_peers = calloc(rt.n ? rt.n : 1, sizeof(*rt.len_peers));
	rt.len_eff = calloc(rt.n ? rt.n : 1, sizeof(*rt.len_eff));
	if (rt.t == NULL || rt.route == NULL || rt.n_route == NULL || rt.peers == NULL ||
	    rt.len_peers == NULL || rt.len_eff == NULL || sort_peers() != 0) {
		cp_route_fini();
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < rt.n; i++) {
		const struct sbc_trunk_config *c = &cfg->trunks[i];

		rt.t[i].cfg = c;
		rt.t[i].up = true;	/* a trunk starts up */
		for (unsigned int r = 0; r < c->n_route; r++) {
			int to = sbc_config_trunk_index(cfg, c->route[r]);

			if (to >= 0)	/* the loader checked: always */
				rt.route[i][rt.n_route[i]++] = (uint16_t)to;
		}
		rt.active |= c->n_route > 0;
	}
	return 0;
}

void cp_route_fini(void)
{
	for (unsigned int i = 0; rt.peers != NULL && i < rt.n; i++)
		cp_set_free(&rt.peers[i]);
	free(rt.peers);
	free(rt.len_peers);
	free(rt.len_eff);
	free(rt.t);
	free(rt.route);
	free(rt.n_route);
	memset(&rt, 0, sizeof(rt));
}

struct cp_route_trunk *cp_route_trunk(unsigned int id)
{
	return id < rt.n ? &rt.t[id] : NULL;
}

bool cp_route_active(void)
{
	return rt.active;
}

static void changed(unsigned int id)
{
	if (rt.changed != NULL)
		rt.changed(id);
}

static void lengths_of(const struct cp_set *s, struct lengths *l)
{
	memset(l->bits, 0, sizeof(l->bits));
	for (uint32_t i = 0; i < s->n; i++) {
		unsigned int d = s->v[i].depth;

		l->bits[s->v[i].family == SBC_AF_V4 ? 0 : 1][d / 64] |= 1ull << (d % 64);
	}
	l->valid = true;
}

/* The configured peers as sorted sets (the policy's sets are sorted already). */
static int sort_peers(void)
{
	for (unsigned int i = 0; i < rt.n; i++) {
		const struct sbc_trunk_config *c = &rt.cfg->trunks[i];

		for (unsigned int k = 0; k < c->n_peers; k++)
			if (cp_set_push(&rt.peers[i], &c->peers[k]) != 0)
				return -ENOMEM;
		cp_set_normalise(&rt.peers[i]);
		lengths_of(&rt.peers[i], &rt.len_peers[i]);
	}
	return 0;
}

/* The longest prefix of s holding addr and longer than `than`: its depth, or -1. */
static int longest_in(const struct cp_set *s, const struct lengths *l, uint8_t family,
		      const uint8_t *addr, int than)
{
	const uint64_t *bits = l->bits[family == SBC_AF_V4 ? 0 : 1];
	unsigned int width = family == SBC_AF_V4 ? 4 : 16;

	for (int d = family == SBC_AF_V4 ? 32 : 128; d > than; d--) {
		struct sbc_prefix k = { .family = family, .depth = (uint8_t)d };
		unsigned int full = (unsigned int)d / 8, rest = (unsigned int)d % 8;

		if (!(bits[d / 64] >> (d % 64) & 1))
			continue;
		memcpy(k.addr, addr, full < width ? full : width);
		if (rest != 0)
			k.addr[full] = (uint8_t)(addr[full] & (0xff00u >> rest));
		if (cp_set_find(s, &k, NULL))
			return d;
	}
	return -1;
}

int cp_route_trunk_of(uint8_t family, const uint8_t *addr)
{
	int best = -1, depth = -1;

	for (unsigned int i = 0; i < rt.n; i++) {
		const struct cp_trunk *p = cp_policy_trunk(i);
		int d;

		if (p != NULL && p->acl_known) {
			struct lengths *l = &rt.len_eff[i];

			if (!l->valid || l->gen != p->eff_gen) {	/* once per change */
				lengths_of(&p->eff, l);
				l->gen = p->eff_gen;
			}
			d = longest_in(&p->eff, l, family, addr, depth);
		} else {
			d = longest_in(&rt.peers[i], &rt.len_peers[i], family, addr, depth);
		}
		if (d > depth) {
			depth = d;
			best = (int)i;
		}
	}
	return best >= 0 ? best : -ENOENT;
}

static const uint16_t *route_of(unsigned int from, unsigned int *n)
{
	if (rt.t[from].has_override) {
		*n = rt.t[from].n_override;
		return rt.t[from].override;
	}
	*n = rt.n_route[from];
	return rt.route[from];
}

unsigned int cp_route_len(unsigned int from)
{
	unsigned int n = 0;

	if (from < rt.n)
		route_of(from, &n);
	return n;
}

int cp_route_next(unsigned int from, unsigned int *pos, unsigned int *skipped)
{
	const uint16_t *r;
	unsigned int n;

	if (from >= rt.n)
		return -ENOENT;
	r = route_of(from, &n);
	while (*pos < n) {
		const struct cp_route_trunk *t = &rt.t[r[(*pos)++]];

		if (!t->up || t->reg == CP_REG_DOWN ||
		    (t->cfg->max_calls_out && t->calls_out >= t->cfg->max_calls_out)) {
			(*skipped)++;
			continue;
		}
		return r[*pos - 1];
	}
	return -ENOENT;
}

bool cp_route_fails_over(unsigned int to, int code)
{
	return to < rt.n && code >= 300 && sbc_trunk_fails_over(rt.t[to].cfg, (unsigned int)code);
}

void cp_route_call_out(unsigned int to, int delta)
{
	if (to >= rt.n || (delta < 0 && rt.t[to].calls_out == 0))
		return;
	rt.t[to].calls_out += (uint32_t)delta;
	changed(to);
}

void cp_route_last_code(unsigned int to, int code)
{
	if (to >= rt.n || rt.t[to].last_code == code)
		return;
	rt.t[to].last_code = code;
	changed(to);
}

void cp_route_options_answer(unsigned int to, int code)
{
	if (to >= rt.n)
		return;
	(void)code;	/* any status is an answer; last_code stays the calls' */
	if (rt.t[to].up && rt.t[to].misses == 0)
		return;
	rt.t[to].misses = 0;
	rt.t[to].up = true;	/* the first answer brings it back */
	changed(to);
}

void cp_route_options_miss(unsigned int to)
{
	struct cp_route_trunk *t;

	if (to >= rt.n)
		return;
	t = &rt.t[to];
	t->misses++;
	if (t->misses >= t->cfg->options_misses)
		t->up = false;
	changed(to);
}

const char *cp_reg_state_name(enum cp_reg_state s)
{
	static const char *const names[] = { "", "off", "registered", "failed", "down" };

	return (unsigned int)s < sizeof(names) / sizeof(names[0]) ? names[s] : "";
}

void cp_route_registration(unsigned int to, enum cp_reg_state s, uint32_t failures,
			   uint64_t expires, int code)
{
	struct cp_route_trunk *t;

	if (to >= rt.n)
		return;
	t = &rt.t[to];
	t->reg = s;
	t->reg_failures = failures;
	t->reg_expires = expires;
	t->reg_code = code;
	changed(to);
}

int cp_route_override(unsigned int trunk, bool exists, const char *const *names,
		      const size_t *lens, size_t n, cp_route_bad_f bad, void *arg)
{
	struct cp_route_trunk *t;

	if (trunk >= rt.n)
		return -ENOENT;
	t = &rt.t[trunk];
	t->has_override = exists;
	t->n_override = 0;
	for (size_t i = 0; exists && i < n; i++) {
		char name[SBC_TRUNK_NAME_MAX];
		int to = -1;

		if (lens[i] > 0 && lens[i] < sizeof(name)) {
			memcpy(name, names[i], lens[i]);
			name[lens[i]] = '\0';
			to = sbc_config_trunk_index(rt.cfg, name);
		}
		if (to < 0)
			bad(arg, names[i], lens[i], "no such trunk in the configuration");
		else if (!sbc_trunk_routable(&rt.cfg->trunks[to]))
			bad(arg, names[i], lens[i], "no uri nor registered contacts to send calls to");
		else if (t->n_override == SBC_ROUTE_MAX)
			bad(arg, names[i], lens[i], "a route holds at most 16 trunks");
		else
			t->override[t->n_override++] = (uint16_t)to;
	}
	return 0;
}
