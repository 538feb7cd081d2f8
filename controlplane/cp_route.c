/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Trunk routing: the trunk of a source, the route of its calls, the next usable trunk on it and
 * the failover decision; each trunk's live state (health, calls out). Pure bookkeeping, no I/O,
 * so the unit tests drive it directly. Runs on the su_root thread.
 *
 * - The trunk of a request is the longest prefix holding its source over every trunk's
 *   effective allowlist (what the data plane enforces: cp_policy's eff once Redis was read,
 *   the configuration's peers before). The data plane has admitted it by the same rule.
 * - A route is the trunk's `route` unless Redis holds sbc:route:<trunk> (a LIST of trunk
 *   names: bad names skipped and reported once, the rest in force; the key gone: `route`).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cp_policy.h"
#include "cp_route.h"

static struct {
	const struct sbc_config *cfg;
	struct cp_route_trunk *t;
	unsigned int n;
	cp_route_changed_f changed;
	uint16_t (*route)[SBC_ROUTE_MAX];	/* configured routes as trunk ids */
	unsigned int *n_route;
	bool active;
} rt;

int cp_route_init(const struct sbc_config *cfg, cp_route_changed_f changed)
{
	memset(&rt, 0, sizeof(rt));
	rt.cfg = cfg;
	rt.n = cfg->n_trunks;
	rt.changed = changed;
	rt.t = calloc(rt.n ? rt.n : 1, sizeof(*rt.t));
	rt.route = calloc(rt.n ? rt.n : 1, sizeof(*rt.route));
	rt.n_route = calloc(rt.n ? rt.n : 1, sizeof(*rt.n_route));
	if (rt.t == NULL || rt.route == NULL || rt.n_route == NULL) {
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

/* The longest prefix of set (n prefixes) holding addr: its depth, or -1. */
static int longest_in(const struct sbc_prefix *v, uint32_t n, uint8_t family, const uint8_t *addr)
{
	int best = -1;

	for (uint32_t i = 0; i < n; i++)
		if (v[i].family == family && (int)v[i].depth > best &&
		    sbc_prefix_contains(&v[i], addr))
			best = v[i].depth;
	return best;
}

int cp_route_trunk_of(uint8_t family, const uint8_t *addr)
{
	int best = -1, depth = -1;

	for (unsigned int i = 0; i < rt.n; i++) {
		const struct cp_trunk *p = cp_policy_trunk(i);
		int d = p != NULL && p->acl_known ? longest_in(p->eff.v, p->eff.n, family, addr) :
			longest_in(rt.t[i].cfg->peers, rt.t[i].cfg->n_peers, family, addr);

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
		else if (rt.cfg->trunks[to].uri[0] == '\0')
			bad(arg, names[i], lens[i], "that trunk has no uri to send calls to");
		else if (t->n_override == SBC_ROUTE_MAX)
			bad(arg, names[i], lens[i], "a route holds at most 16 trunks");
		else
			t->override[t->n_override++] = (uint16_t)to;
	}
	return 0;
}
