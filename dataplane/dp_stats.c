/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The stats socket: DPDK telemetry commands under /sbc/. Runs on DPDK's telemetry thread and
 * only reads: per-worker counters are summed here, never locked. Telemetry 22.11 nests one
 * level of dicts and refuses '-' in keys, so rows are keyed worker0.., trunk0.. and trunk names
 * travel as string values.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "dp.h"
#include "dp_deny.h"
#include "dp_regrate.h"
#include "dp_calls.h"
#include "dp_channel.h"
#include "dp_cps.h"
#include "dp_timers.h"
#include "sbc_num.h"

static inline uint64_t rd(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* A per-worker counter (at offset off in struct dp_worker), summed over the workers. */
uint64_t dp_stats_sum_workers(size_t off)
{
	uint64_t s = 0;

	for (unsigned int i = 0; i < dp.n_workers; i++)
		s += rd((const uint64_t *)((const char *)dp.workers[i] + off));
	return s;
}
#define SUM_WORKERS(field) dp_stats_sum_workers(offsetof(struct dp_worker, field))

/* Media packets the workers hold for their next hop now (dp_neigh.h). */
static uint64_t held_now(void)
{
	uint64_t s = 0;

	for (unsigned int i = 0; i < dp.n_workers; i++)
		s += __atomic_load_n(&dp.workers[i]->held.n, __ATOMIC_RELAXED);
	return s;
}

static uint64_t worker_dropped(const struct dp_worker *w)
{
	uint64_t s = 0;

	for (int r = 1; r < DP_DROP_MAX; r++)
		s += rd(&w->stats.drops[r]);
	return s;
}

uint64_t dp_stats_total_rx(void)
{
	uint64_t s = 0;

	for (unsigned int i = 0; i < dp.n_workers; i++)
		s += rd(&dp.workers[i]->stats.rx) + rd(&dp.workers[i]->stats.exc_rx);
	return s;
}

/* The packet counters a worker keeps, in one place for totals and rows. */
enum { C_RX, C_EXC_RX, C_TO_EXC, C_TO_WIRE, C_REJECT, C_MEDIA, C_ASKED, C_DROPPED, C_N };

static void put_counters(struct rte_tel_data *d, const uint64_t *c)
{
	rte_tel_data_add_dict_u64(d, "rx", c[C_RX]);
	rte_tel_data_add_dict_u64(d, "exc_rx", c[C_EXC_RX]);
	rte_tel_data_add_dict_u64(d, "to_exception", c[C_TO_EXC]);
	rte_tel_data_add_dict_u64(d, "to_wire", c[C_TO_WIRE]);
	rte_tel_data_add_dict_u64(d, "reject_sent", c[C_REJECT]);
	rte_tel_data_add_dict_u64(d, "media_relayed", c[C_MEDIA]);
	rte_tel_data_add_dict_u64(d, "neigh_asked", c[C_ASKED]);
	rte_tel_data_add_dict_u64(d, "dropped", c[C_DROPPED]);
}

/* poll = adaptive (dp_idle.h): the sleeps after empty polls and the time they took. */
static void put_idle(struct rte_tel_data *d, uint64_t sleeps, uint64_t cycles)
{
	rte_tel_data_add_dict_u64(d, "idle_sleeps", sleeps);
	rte_tel_data_add_dict_u64(d, "idle_sleep_us", cycles / (rte_get_tsc_hz() / 1000000));
}

/* Unlisted REGISTERs passed to the registrar, and the denylist's size. */
static void put_register(struct rte_tel_data *d)
{
	uint64_t passed = 0;

	for (unsigned int i = 0; i < dp.n_workers; i++)
		if (dp.workers[i]->regrate != NULL)
			passed += rd(&dp.workers[i]->regrate->passed);
	rte_tel_data_add_dict_u64(d, "register_passed", passed);
	rte_tel_data_add_dict_u64(d, "denied_sources", dp_deny_count());
}

static int cmd_stats(const char *cmd __rte_unused, const char *params __rte_unused,
		     struct rte_tel_data *d)
{
	uint64_t t[C_N] = { 0 };
	char key[32];

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "uptime_s", (rte_rdtsc() - dp.start_tsc) / rte_get_tsc_hz());
	rte_tel_data_add_dict_int(d, "workers", (int)dp.n_workers);
	rte_tel_data_add_dict_int(d, "wire_queues", dp.wire_queues);
	rte_tel_data_add_dict_int(d, "rss", dp.rss);
	rte_tel_data_add_dict_string(d, "control_plane", dp_channel_cp_state());
	for (unsigned int i = 0; i < dp.n_workers; i++) {
		const struct dp_worker *w = dp.workers[i];
		uint64_t c[C_N] = { rd(&w->stats.rx), rd(&w->stats.exc_rx),
				    rd(&w->stats.to_exception), rd(&w->stats.to_wire),
				    rd(&w->stats.reject_sent), rd(&w->stats.media_relayed),
				    rd(&w->stats.neigh_asked), worker_dropped(w) };
		struct rte_tel_data *row = rte_tel_data_alloc();

		for (int k = 0; k < C_N; k++)
			t[k] += c[k];
		if (row == NULL)
			continue;
		rte_tel_data_start_dict(row);
		rte_tel_data_add_dict_int(row, "lcore", (int)w->lcore);
		rte_tel_data_add_dict_int(row, "queue", w->wire_queue);
		rte_tel_data_add_dict_int(row, "active", w->active);
		put_counters(row, c);
		put_idle(row, rd(&w->idle_sleeps), rd(&w->idle_sleep_cycles));
		snprintf(key, sizeof(key), "worker%u", i);
		if (rte_tel_data_add_dict_container(d, key, row, 0) != 0)
			rte_tel_data_free(row);
	}
	put_counters(d, t);
	rte_tel_data_add_dict_string(d, "poll", dp.cfg.poll == SBC_POLL_ADAPTIVE ? "adaptive" : "busy");
	put_idle(d, SUM_WORKERS(idle_sleeps), SUM_WORKERS(idle_sleep_cycles));
	rte_tel_data_add_dict_u64(d, "calls_active", dp_calls_count());
	rte_tel_data_add_dict_u64(d, "calls_capacity", dp_calls_capacity());
	rte_tel_data_add_dict_u64(d, "verdicts_cached", dp_verdicts_count());
	rte_tel_data_add_dict_u64(d, "call_events_lost", SUM_WORKERS(call_events_lost));
	rte_tel_data_add_dict_u64(d, "admit_cycles", SUM_WORKERS(admit_cycles));
	rte_tel_data_add_dict_u64(d, "admit_count", SUM_WORKERS(admit_count));
	rte_tel_data_add_dict_u64(d, "tsc_hz", rte_get_tsc_hz());
	{
		uint64_t in = SUM_WORKERS(frag_in), dg = SUM_WORKERS(frag_datagrams);
		uint64_t ab = SUM_WORKERS(frag_absorbed);
		uint64_t gone = SUM_WORKERS(stats.drops[DP_DROP_FRAG_REASSEMBLY]);

		rte_tel_data_add_dict_u64(d, "frags_in", in);
		rte_tel_data_add_dict_u64(d, "frags_reassembled", dg);
		rte_tel_data_add_dict_u64(d, "frags_absorbed", ab);
		rte_tel_data_add_dict_u64(d, "frags_pending", in - dg - ab - gone);
	}
	rte_tel_data_add_dict_string(d, "clock", dp.test_clock ? "test (rx timestamps)" : "tsc");
	rte_tel_data_add_dict_u64(d, "media_held", held_now());
	put_register(d);
	return 0;
}

/* Next hops (dp_neigh.h): the table, ageing, and the workers' hold queues. */
static int cmd_neigh(const char *cmd __rte_unused, const char *params __rte_unused,
		     struct rte_tel_data *d)
{
	struct dp_neigh_counters c;
	uint32_t entries;

	dp_neigh_counters(&c, &entries);
	const struct {
		const char *name;
		uint64_t v;
	} row[] = {
		{ "entries", entries }, { "capacity", DP_NEIGH_SLOTS * 3 / 4 },
		{ "learnt", c.learnt }, { "changed", c.changed }, { "confirmed", c.confirmed },
		{ "full", c.full }, { "asked", SUM_WORKERS(stats.neigh_asked) },
		{ "probes", c.probes }, { "aged", c.aged }, { "held_now", held_now() },
		{ "held", SUM_WORKERS(held.held) }, { "released", SUM_WORKERS(held.released) },
		{ "hold_full", SUM_WORKERS(held.full) },
		{ "hold_expired", SUM_WORKERS(held.expired) },
		{ "reachable_s", DP_NEIGH_REACHABLE_S }, { "hold_ms", DP_NEIGH_HOLD_MS },
	};

	rte_tel_data_start_dict(d);
	for (size_t i = 0; i < RTE_DIM(row); i++)
		rte_tel_data_add_dict_u64(d, row[i].name, row[i].v);
	return 0;
}

/* Why the scanner refused SIP from listed sources (all counted as drop sip_malformed). */
static int cmd_malformed(const char *cmd __rte_unused, const char *params __rte_unused,
			 struct rte_tel_data *d)
{
	static const char *const names[DP_SIP_ERR_MAX] = {
#define DP_SIP_ERR_NAME(e, text) #e,
		DP_SIP_ERRORS(DP_SIP_ERR_NAME)
#undef DP_SIP_ERR_NAME
	};

	rte_tel_data_start_dict(d);
	for (int e = 1; e < DP_SIP_ERR_MAX; e++) {
		char key[32];
		uint64_t n = 0;
		size_t i;

		for (unsigned int w = 0; w < dp.n_workers; w++)
			n += rd(&dp.workers[w]->malformed[e]);
		for (i = 0; names[e][i] && i < sizeof(key) - 1; i++)
			key[i] = (char)(names[e][i] >= 'A' && names[e][i] <= 'Z' ? names[e][i] + 32 :
					names[e][i]);
		key[i] = '\0';
		rte_tel_data_add_dict_u64(d, key, n);
	}
	return 0;
}

/* The admission counters split by transport: admitted_udp, over_cps_tcp, ... (the unsplit
 * ones are the sums). UDP is the workers', TCP and TLS the main lcore's (dp_channel.c). */
static void add_by_transport(struct rte_tel_data *row, const struct dp_trunk_stats *by_tp)
{
	char key[40];

	for (unsigned int tp = 0; tp < SBC_TP_MAX; tp++) {
		const struct dp_trunk_stats *s = &by_tp[tp];
		const struct {
			const char *name;
			uint64_t v;
		} f[] = {
			{ "admitted", s->admitted }, { "over_cps", s->over_cps },
			{ "over_calls", s->over_calls }, { "retransmissions", s->retransmissions },
		};

		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
			snprintf(key, sizeof(key), "%s_%s", f[i].name, sbc_transport_names[tp]);
			rte_tel_data_add_dict_u64(row, key, f[i].v);
		}
	}
}

/* The B2BUA's view of a trunk it sends calls to, from the control plane (TRUNK_STATE). */
static void add_b2b_state(struct rte_tel_data *row, unsigned int t)
{
	struct sbc_msg_trunk_state s;

	if (!dp_channel_trunk_state(t, &s))
		return;
	rte_tel_data_add_dict_string(row, "health", s.health == SBC_HEALTH_UP ? "up" : "down");
	rte_tel_data_add_dict_u64(row, "options_misses", s.options_misses);
	rte_tel_data_add_dict_u64(row, "calls_out", s.calls_out);
	rte_tel_data_add_dict_int(row, "last_code", s.last_code);
}

/* Trunks a page: a row is about 56 counters and a telemetry reply holds 16 KB. */
#define TRUNK_PAGE 5

/* A trunk's counters summed: UDP's over the workers (by_tp[SBC_TP_UDP]), each stream
 * transport's (admission over the channel), and the main lcore's call ends. */
static void trunk_sum(unsigned int t, struct dp_trunk_stats *sum,
		      struct dp_trunk_stats by_tp[SBC_TP_MAX])
{
	uint64_t *sv = (uint64_t *)sum;
	const size_t n = sizeof(*sum) / sizeof(uint64_t);

	memset(sum, 0, sizeof(*sum));
	for (unsigned int i = 0; i < dp.n_workers; i++) {
		const uint64_t *wv = (const uint64_t *)&dp.workers[i]->trunk_stats[t];

		for (size_t k = 0; k < n; k++)
			sv[k] += rd(&wv[k]);
	}
	by_tp[SBC_TP_UDP] = *sum;
	for (unsigned int tp = SBC_TP_TCP; tp < SBC_TP_MAX; tp++) {
		const uint64_t *cv = (const uint64_t *)&dp_stream_stats[tp][t];

		for (size_t k = 0; k < n; k++) {
			((uint64_t *)&by_tp[tp])[k] = rd(&cv[k]);
			sv[k] += rd(&cv[k]);
		}
	}
	for (unsigned int r = 0; r < SBC_CALL_END_MAX; r++)
		sum->ended[r] += dp_timers_ended(t, r);
}

/* Trunk t's row: its allowlist, limits and tokens, counters, ends by reason, transports, and
 * what the B2BUA says of it. */
static void trunk_row(struct rte_tel_data *row, unsigned int t)
{
	struct dp_trunk_stats sum, by_tp[SBC_TP_MAX];
	uint32_t n4, n6, cps, burst;
	char key[32];

	trunk_sum(t, &sum, by_tp);
	cps = __atomic_load_n(&dp_limits[t].cps, __ATOMIC_RELAXED);
	burst = __atomic_load_n(&dp_limits[t].burst, __ATOMIC_RELAXED);
	dp_acl_counts(dp.acl, t, &n4, &n6);
	rte_tel_data_start_dict(row);
	rte_tel_data_add_dict_int(row, "id", (int)t);
	rte_tel_data_add_dict_string(row, "name", dp.cfg.trunks[t].name);
	rte_tel_data_add_dict_u64(row, "prefixes_v4", n4);
	rte_tel_data_add_dict_u64(row, "prefixes_v6", n6);
	rte_tel_data_add_dict_u64(row, "accepted", sum.accepted);
	rte_tel_data_add_dict_u64(row, "rejected", sum.rejected);
	rte_tel_data_add_dict_u64(row, "cps", cps);
	rte_tel_data_add_dict_u64(row, "burst", burst);
	rte_tel_data_add_dict_u64(row, "max_calls",
				  __atomic_load_n(&dp_limits[t].max_calls, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_string(row, "over_limit", dp.cfg.trunks[t].over_limit ==
				     SBC_OVER_LIMIT_DROP ? "drop" : "reject");
	rte_tel_data_add_dict_u64(row, "tokens",
				  dp_cps_tokens(__atomic_load_n(&dp.cps_tat[t], __ATOMIC_RELAXED),
						dp_clock_ns(), cps, burst));
	rte_tel_data_add_dict_u64(row, "active_calls", dp_calls_active((uint16_t)t));
	rte_tel_data_add_dict_u64(row, "admitted", sum.admitted);
	rte_tel_data_add_dict_u64(row, "emergency", sum.emergency);
	rte_tel_data_add_dict_u64(row, "retransmissions", sum.retransmissions);
	rte_tel_data_add_dict_u64(row, "over_cps", sum.over_cps);
	rte_tel_data_add_dict_u64(row, "over_calls", sum.over_calls);
	rte_tel_data_add_dict_u64(row, "table_full", sum.table_full);
	rte_tel_data_add_dict_u64(row, "malformed", sum.malformed);
	for (unsigned int r = 1; r < SBC_CALL_END_MAX; r++) {
		snprintf(key, sizeof(key), "ended_%s", sbc_call_end_names[r]);
		rte_tel_data_add_dict_u64(row, key, sum.ended[r]);
	}
	add_by_transport(row, by_tp);
	add_b2b_state(row, t);
}

/* /sbc/trunks[,<first>]: rows trunk<first>.., "next" (0 at the end) */
static int cmd_trunks(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	uint32_t first = 0, last;
	char key[32];

	if (params != NULL && *params != '\0' &&
	    (!sbc_parse_u32(params, strlen(params), UINT32_MAX, &first) ||
	     (first >= dp.cfg.n_trunks && first != 0)))
		return -EINVAL;
	last = first + TRUNK_PAGE < dp.cfg.n_trunks ? first + TRUNK_PAGE : dp.cfg.n_trunks;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "trunks", dp.cfg.n_trunks);
	rte_tel_data_add_dict_u64(d, "next", last < dp.cfg.n_trunks ? last : 0);
	for (unsigned int t = first; t < last; t++) {
		struct rte_tel_data *row = rte_tel_data_alloc();

		if (row == NULL)
			return -ENOMEM;
		trunk_row(row, t);
		snprintf(key, sizeof(key), "trunk%u", t);
		if (rte_tel_data_add_dict_container(d, key, row, 0) != 0)
			rte_tel_data_free(row);
	}
	return 0;
}

static bool named(const char *name, const char *const *prefixes)
{
	if (prefixes == NULL)
		return true;
	for (; *prefixes != NULL; prefixes++)
		if (strncmp(name, *prefixes, strlen(*prefixes)) == 0)
			return true;
	return false;
}

void dp_stats_put_drops(struct rte_tel_data *d, unsigned int first, unsigned int last,
			const char *const *prefixes)
{
	for (int r = 1; r < DP_DROP_MAX; r++) {
		uint64_t s = 0;

		if (!named(dp_drop_names[r], prefixes))
			continue;
		for (unsigned int i = first; i < last; i++)
			s += rd(&dp.workers[i]->stats.drops[r]);
		rte_tel_data_add_dict_u64(d, dp_drop_names[r], s);
	}
}

static int cmd_drops(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	unsigned int first = 0, last = dp.n_workers;

	if (params != NULL && *params != '\0') {
		char *end;
		unsigned long w = strtoul(params, &end, 10);

		if (*end != '\0' || w >= dp.n_workers)
			return -EINVAL;
		first = (unsigned int)w;
		last = first + 1;
	}
	rte_tel_data_start_dict(d);
	dp_stats_put_drops(d, first, last, NULL);
	return 0;
}

static void port_row(struct rte_tel_data *d, const char *role, uint16_t port, uint16_t queues)
{
	struct rte_tel_data *row = rte_tel_data_alloc();
	struct rte_eth_stats st;
	struct rte_ether_addr mac;
	char name[RTE_ETH_NAME_MAX_LEN], macs[RTE_ETHER_ADDR_FMT_SIZE];

	if (row == NULL)
		return;
	memset(&st, 0, sizeof(st));
	rte_eth_stats_get(port, &st);
	rte_eth_macaddr_get(port, &mac);
	rte_ether_format_addr(macs, sizeof(macs), &mac);
	if (rte_eth_dev_get_name_by_port(port, name) != 0)
		snprintf(name, sizeof(name), "?");
	rte_tel_data_start_dict(row);
	rte_tel_data_add_dict_string(row, "name", name);
	rte_tel_data_add_dict_int(row, "port_id", port);
	rte_tel_data_add_dict_int(row, "rx_queues", queues);
	rte_tel_data_add_dict_int(row, "tx_queues", queues);
	rte_tel_data_add_dict_string(row, "mac", macs);
	rte_tel_data_add_dict_u64(row, "ipackets", st.ipackets);
	rte_tel_data_add_dict_u64(row, "opackets", st.opackets);
	rte_tel_data_add_dict_u64(row, "ibytes", st.ibytes);
	rte_tel_data_add_dict_u64(row, "obytes", st.obytes);
	rte_tel_data_add_dict_u64(row, "imissed", st.imissed);
	rte_tel_data_add_dict_u64(row, "ierrors", st.ierrors);
	rte_tel_data_add_dict_u64(row, "oerrors", st.oerrors);
	rte_tel_data_add_dict_u64(row, "rx_nombuf", st.rx_nombuf);
	if (rte_tel_data_add_dict_container(d, role, row, 0) != 0)
		rte_tel_data_free(row);
}

static int cmd_ports(const char *cmd __rte_unused, const char *params __rte_unused,
		     struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	port_row(d, "wire", dp.wire_port, dp.wire_queues);
	port_row(d, "exception", dp.exc_port, dp.exc_queues);
	return 0;
}

static int cmd_channel(const char *cmd __rte_unused, const char *params __rte_unused,
		       struct rte_tel_data *d)
{
	return dp_channel_telemetry(d);
}

/* One page of a trunk's allowlist: telemetry dicts hold at most 256 entries. */
#define ACL_PAGE 200

struct acl_page {
	struct rte_tel_data *d;
	uint32_t first, i;	/* rows are keyed p<first + i>: unique over all pages */
};

static void acl_row(void *arg, const struct sbc_prefix *p, uint64_t hits)
{
	struct acl_page *pg = arg;
	struct rte_tel_data *row = rte_tel_data_alloc();
	char key[16], txt[SBC_CIDR_STRLEN];

	if (row == NULL)
		return;
	rte_tel_data_start_dict(row);
	rte_tel_data_add_dict_string(row, "prefix", sbc_prefix_format(p, txt, sizeof(txt)));
	rte_tel_data_add_dict_u64(row, "hits", hits);
	snprintf(key, sizeof(key), "p%u", pg->first + pg->i++);
	if (rte_tel_data_add_dict_container(pg->d, key, row, 0) != 0)
		rte_tel_data_free(row);
}

/* /sbc/acl,<trunk name or id>[,<first>] */
static int cmd_acl(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	char name[SBC_TRUNK_NAME_MAX + 16];
	const char *comma;
	unsigned long first = 0;
	int t;

	if (params == NULL || *params == '\0')
		return -EINVAL;
	comma = strchr(params, ',');
	snprintf(name, sizeof(name), "%.*s", comma ? (int)(comma - params) : (int)strlen(params),
		 params);
	if (comma != NULL) {
		char *end;

		first = strtoul(comma + 1, &end, 10);
		if (*end != '\0')
			return -EINVAL;
	}
	t = sbc_config_trunk_index(&dp.cfg, name);
	if (t < 0) {
		char *end;
		unsigned long id = strtoul(name, &end, 10);

		if (*end != '\0' || end == name || id >= dp.cfg.n_trunks)
			return -EINVAL;
		t = (int)id;
	}
	struct acl_page pg = { d, (uint32_t)first, 0 };
	uint32_t n4, n6, total;

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "trunk", dp.cfg.trunks[t].name);
	rte_tel_data_add_dict_int(d, "id", t);
	total = dp_acl_list(dp.acl, (uint32_t)t, (uint32_t)first, ACL_PAGE, acl_row, &pg);
	dp_acl_counts(dp.acl, (uint32_t)t, &n4, &n6);
	rte_tel_data_add_dict_u64(d, "prefixes_v4", n4);
	rte_tel_data_add_dict_u64(d, "prefixes_v6", n6);
	rte_tel_data_add_dict_u64(d, "total", total);
	rte_tel_data_add_dict_u64(d, "first", first);
	rte_tel_data_add_dict_u64(d, "next", first + pg.i < total ? first + pg.i : 0);
	return 0;
}

int dp_stats_register(void)
{
	int rc = 0;

	rc |= rte_telemetry_register_cmd("/sbc/stats", cmd_stats,
		"Packet counters, total and per worker. No parameters");
	rc |= rte_telemetry_register_cmd("/sbc/trunks", cmd_trunks,
		"Per trunk: prefixes, SIP accepted/rejected, limits, calls, 8 a page. Parameter: first");
	rc |= rte_telemetry_register_cmd("/sbc/drops", cmd_drops,
		"Drops by reason, all workers or one. Parameter: optional worker index");
	rc |= rte_telemetry_register_cmd("/sbc/channel", cmd_channel,
		"Control-plane channel: peer state, ring depths, generations. No parameters");
	rc |= rte_telemetry_register_cmd("/sbc/acl", cmd_acl,
		"A trunk's prefixes with hit counters, " RTE_STR(ACL_PAGE) " a page. Parameters: trunk[,first]");
	rc |= rte_telemetry_register_cmd("/sbc/malformed", cmd_malformed,
		"SIP from listed sources the scanner refused, by reason. No parameters");
	rc |= rte_telemetry_register_cmd("/sbc/ports", cmd_ports,
		"Wire and exception port counters. No parameters");
	rc |= rte_telemetry_register_cmd("/sbc/neigh", cmd_neigh,
		"Next hops of media: table, ageing, packets held for an answer. No parameters");
	return rc;
}
