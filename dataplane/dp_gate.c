/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One admission decision for a new call (see dp_gate.h): cached answer, emergency, CPS bucket,
 * max_calls, a call slot, in that order. Runs on workers and on the main lcore alike.
 */
#include <errno.h>
#include <string.h>

#include "dp.h"
#include "dp_cps.h"
#include "dp_gate.h"

bool dp_gate_is_emergency(const struct sbc_config *cfg, const void *user, uint32_t len)
{
	for (unsigned int i = 0; i < cfg->n_emergency; i++) {
		const char *e = cfg->emergency[i];

		if (strlen(e) == len && memcmp(user, e, len) == 0)
			return true;
	}
	return false;
}

/* A slot was reserved (and maybe a token taken) but the call is not started: give both back. */
static void give_back(const struct dp_gate *g)
{
	dp_calls_unreserve(g->trunk);
	if (!g->emergency)
		dp_cps_give_back(g->tat, g->cps);
}

/* Take a token and a slot: DP_V_NONE when both were had. */
static enum dp_verdict take(const struct dp_gate *g, uint64_t now_ns, struct dp_trunk_stats *ts)
{
	if (g->emergency) {
		dp_calls_reserve(g->trunk, 0);
		return DP_V_NONE;
	}
	if (!dp_cps_take(g->tat, now_ns, g->cps, g->burst)) {
		dp_count(&ts->over_cps, 1);
		return DP_V_OVER_CPS;
	}
	if (!dp_calls_reserve(g->trunk, g->max_calls)) {
		dp_cps_give_back(g->tat, g->cps);
		dp_count(&ts->over_calls, 1);
		return DP_V_OVER_CALLS;
	}
	return DP_V_NONE;
}

enum dp_verdict dp_gate_admit(const struct dp_gate *g, uint64_t now_ns, struct dp_trunk_stats *ts,
			      bool *again)
{
	uint64_t now_ms = now_ns / DP_NS_PER_MS;
	enum dp_verdict v;
	int rc;

	*again = true;
	/* A retransmission: the call runs already, or its first copy was answered. */
	if (dp_call_exists(&g->call)) {
		dp_count(&ts->retransmissions, 1);
		return DP_V_ADMITTED;
	}
	v = dp_verdict_get(&g->vkey);
	if (v != DP_V_NONE) {
		dp_count(&ts->retransmissions, 1);
		return v;
	}
	*again = false;
	v = take(g, now_ns, ts);
	if (v != DP_V_NONE)
		goto refused;
	rc = dp_call_start(&g->call, g->trunk, g->emergency, now_ms, g->call_id, g->call_id_len);
	if (rc == -EEXIST) {	/* another thread just started it: a retransmission after all */
		give_back(g);
		dp_count(&ts->retransmissions, 1);
		*again = true;
		return DP_V_ADMITTED;
	}
	if (rc != 0) {
		give_back(g);
		v = DP_V_TABLE_FULL;
		dp_count(&ts->table_full, 1);
		goto refused;
	}
	dp_verdict_put(&g->vkey, DP_V_ADMITTED, now_ms);
	dp_count(&ts->admitted, 1);
	if (g->emergency)
		dp_count(&ts->emergency, 1);
	return DP_V_ADMITTED;

refused:
	dp_verdict_put(&g->vkey, v, now_ms);
	return v;
}
