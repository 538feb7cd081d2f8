/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sbcctl: the operator's view of a running sbc-dataplane, read from its stats socket (DPDK
 * telemetry v2: a SOCK_SEQPACKET unix socket that greets with a JSON info message and answers
 * each command with one JSON object). Aligned tables by default, the reply as JSON with --json.
 * No DPDK here: the socket is found the way DPDK places it (runtime dir + file prefix).
 *
 * exit status: 0 ok, 1 the data plane refused or answered garbage, 2 no data plane, 64 usage
 */
#include <errno.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "cp_digest.h"
#include "sbc_config.h"
#include "sbc_hash.h"

#define REPLY_MAX (1u << 20)

static bool opt_json, opt_all;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static const char *prefix = "rte";
static const char *redis_addr;	/* --redis: where sbc:state:<trunk> is read (trunks) */
static const char *conf_path;	/* -c: the configuration (user add: its trunks and Redis) */

static void usage(FILE *f);

/* Where DPDK puts the socket: <runtime dir>/dpdk/<prefix>/dpdk_telemetry.v2 */
static void default_socket(void)
{
	const char *base = "/var/run";

	if (geteuid() != 0) {
		const char *x = getenv("XDG_RUNTIME_DIR");

		base = x != NULL && *x != '\0' ? x : "/tmp";
	}
	snprintf(sock_path, sizeof(sock_path), "%s/dpdk/%s/dpdk_telemetry.v2", base, prefix);
}

static int tel_fd = -1;

static void tel_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *buf;
	ssize_t n;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	tel_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (tel_fd < 0 || connect(tel_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "sbcctl: no data plane running with --file-prefix %s (no telemetry "
			"socket at %s: %s)\n", prefix, sock_path, strerror(errno));
		exit(2);
	}
	buf = malloc(REPLY_MAX);
	if (buf == NULL || (n = recv(tel_fd, buf, REPLY_MAX, 0)) <= 0) {
		fprintf(stderr, "sbcctl: %s: the data plane closed the socket without a greeting "
			"(too many clients?)\n", sock_path);
		exit(2);
	}
	free(buf);
}

/* Send cmd; return the value under the command's name (new reference), or exit. */
static json_t *tel_call(const char *cmd)
{
	char *buf = malloc(REPLY_MAX + 1), key[256];
	json_error_t jerr;
	json_t *root, *v;
	ssize_t n;

	if (buf == NULL) {
		fprintf(stderr, "sbcctl: out of memory\n");
		exit(1);
	}
	if (send(tel_fd, cmd, strlen(cmd), 0) < 0 || (n = recv(tel_fd, buf, REPLY_MAX, 0)) <= 0) {
		fprintf(stderr, "sbcctl: %s: %s\n", sock_path,
			errno ? strerror(errno) : "connection closed");
		exit(2);
	}
	buf[n] = '\0';
	root = json_loads(buf, 0, &jerr);
	free(buf);
	if (root == NULL || !json_is_object(root)) {
		fprintf(stderr, "sbcctl: '%s': the reply is not JSON (%s)\n", cmd, jerr.text);
		exit(1);
	}
	snprintf(key, sizeof(key), "%.*s", (int)strcspn(cmd, ","), cmd);
	v = json_object_get(root, key);
	if (v == NULL || json_is_null(v)) {
		json_decref(root);
		return NULL;
	}
	json_incref(v);
	json_decref(root);
	return v;
}

static json_t *tel_must(const char *cmd)
{
	json_t *v = tel_call(cmd);

	if (v == NULL) {
		fprintf(stderr, "sbcctl: the data plane refused '%s'\n", cmd);
		exit(1);
	}
	return v;
}

/* ---- rendering */

static void cell(const json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
	else if (v == NULL || json_is_null(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "...");
}

/* Rows (objects) as an aligned table; columns in first-seen order, numbers right-aligned.
 * only: when not NULL, the columns shown, in that order (NULL-terminated list) */
static void table(json_t *const *rows, size_t n, const char *const *only)
{
	const char *cols[64];
	size_t ncol = 0, w[64];
	bool num[64];
	char c[256];

	for (const char *const *o = only; o && *o && ncol < 64; o++) {
		cols[ncol] = *o;
		w[ncol] = strlen(*o);
		num[ncol] = true;
		ncol++;
	}
	for (size_t r = 0; r < n && only == NULL; r++) {
		const char *k;
		json_t *v;

		json_object_foreach(rows[r], k, v) {
			size_t i;

			if (json_is_object(v) || json_is_array(v))
				continue;
			for (i = 0; i < ncol && strcmp(cols[i], k) != 0; i++)
				;
			if (i == ncol && ncol < 64) {
				cols[ncol] = k;
				w[ncol] = strlen(k);
				num[ncol] = true;
				ncol++;
			}
		}
	}
	for (size_t r = 0; r < n; r++)
		for (size_t i = 0; i < ncol; i++) {
			json_t *v = json_object_get(rows[r], cols[i]);

			cell(v, c, sizeof(c));
			if (strlen(c) > w[i])
				w[i] = strlen(c);
			if (v != NULL && !json_is_number(v))
				num[i] = false;
		}
	for (size_t i = 0; i < ncol; i++) {
		char up[64];
		size_t l;

		for (l = 0; cols[i][l] && l < sizeof(up) - 1; l++)
			up[l] = (char)(cols[i][l] >= 'a' && cols[i][l] <= 'z' ? cols[i][l] - 32 :
				       cols[i][l]);
		up[l] = '\0';
		printf(i ? "  %*s" : "%*s", num[i] ? (int)w[i] : -(int)w[i], up);
	}
	putchar('\n');
	for (size_t r = 0; r < n; r++) {
		for (size_t i = 0; i < ncol; i++) {
			cell(json_object_get(rows[r], cols[i]), c, sizeof(c));
			printf(i ? "  %*s" : "%*s", num[i] ? (int)w[i] : -(int)w[i], c);
		}
		putchar('\n');
	}
}

/* The scalar members of an object as "key  value" lines, nested objects flattened a.b. */
static void keyvals(const json_t *o, const char *pre, int width)
{
	const char *k;
	json_t *v;
	char c[256], name[256];

	json_object_foreach((json_t *)o, k, v) {
		snprintf(name, sizeof(name), "%s%s", pre, k);
		if (json_is_object(v)) {
			char sub[sizeof(name) + 1];

			snprintf(sub, sizeof(sub), "%s.", name);
			keyvals(v, sub, width);
			continue;
		}
		cell(v, c, sizeof(c));
		printf("%-*s  %s\n", width, name, c);
	}
}

/* The object members of o that are rows (trunk0.., worker0.., p0..) in their order. With
 * key_col, each row is a new object whose first column (key_col) is the member's name. */
static size_t rows_of(json_t *o, json_t **rows, size_t max, const char *key_col)
{
	const char *k;
	json_t *v;
	size_t n = 0;

	json_object_foreach(o, k, v) {
		if (!json_is_object(v) || n == max)
			continue;
		if (key_col == NULL) {
			rows[n++] = json_incref(v);
			continue;
		}
		rows[n] = json_object();
		json_object_set_new(rows[n], key_col, json_string(k));
		json_object_update(rows[n], v);
		n++;
	}
	return n;
}

static void rows_free(json_t **rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(rows[i]);
}

static void print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
}

/* ---- commands */

/* A command, and when it is paged (a "next" other than 0 asks for cmd,<next>), every page:
 * one object, the first page's members plus every page's rows (row keys are unique). */
static json_t *tel_more_pages(const char *tcmd, json_t *all)
{
	json_int_t next = json_integer_value(json_object_get(all, "next"));
	char c[160];

	while (next > 0) {
		json_t *page;
		const char *k;
		json_t *v;

		snprintf(c, sizeof(c), "%s,%" JSON_INTEGER_FORMAT, tcmd, next);
		page = tel_must(c);
		json_object_foreach(page, k, v)
			if (json_is_object(v))
				json_object_set(all, k, v);
		next = json_integer_value(json_object_get(page, "next"));
		json_decref(page);
	}
	json_object_del(all, "next");
	return all;
}

static json_t *tel_all_pages(const char *tcmd)
{
	return tel_more_pages(tcmd, tel_must(tcmd));
}

static int cmd_rows_with(const char *tcmd, const char *const *only, bool totals,
			 const char *key_col, void (*decorate)(json_t *v))
{
	json_t *v = tel_all_pages(tcmd);
	json_t *rows[1024];
	size_t n;

	if (decorate != NULL)
		decorate(v);
	if (opt_json) {
		print_json(v);
		json_decref(v);
		return 0;
	}
	n = rows_of(v, rows, 1024, key_col);
	if (totals) {
		json_t *flat = json_object();
		const char *k;
		json_t *x;

		json_object_foreach(v, k, x)
			if (!json_is_object(x))
				json_object_set(flat, k, x);
		keyvals(flat, "", 16);
		json_decref(flat);
		if (n)
			putchar('\n');
	}
	if (n)
		table(rows, n, only);
	rows_free(rows, n);
	json_decref(v);
	return 0;
}

static int cmd_rows(const char *tcmd, const char *const *only, bool totals, const char *key_col)
{
	return cmd_rows_with(tcmd, only, totals, key_col, NULL);
}

/* How long sbcctl waits for Redis to accept its connection. */
#define REDIS_CONNECT_TIMEOUT_S 2

/* A connection to Redis at addr (host:port, [v6]:port or unix:/path, as [redis] address), or
 * NULL with a message naming it (and what is missing without it: why, when given). */
static redisContext *redis_connect(const char *addr, const char *why)
{
	char host[256], path[256];
	struct timeval tv = { REDIS_CONNECT_TIMEOUT_S, 0 };
	redisContext *rc;
	int port = 0;

	if (sbc_redis_address(addr, host, sizeof(host), &port, path, sizeof(path)) != 0) {
		fprintf(stderr, "sbcctl: Redis address '%s' is not host:port or unix:/path\n", addr);
		return NULL;
	}
	rc = path[0] ? redisConnectUnixWithTimeout(path, tv) :
	     redisConnectWithTimeout(host, port, tv);
	if (rc == NULL || rc->err) {
		fprintf(stderr, "sbcctl: Redis %s: %s%s%s%s\n", addr, rc ? rc->errstr : "out of memory",
			why ? " (" : "", why ? why : "", why ? ")" : "");
		redisFree(rc);
		return NULL;
	}
	return rc;
}

/*
 * The control plane's view of each trunk the data plane lists: health, calls_out and last_code
 * come from the B2BUA over the channel (the data plane shows them in /sbc/trunks); for a trunk
 * whose row lacks them (an older data plane, a control plane not alive) they come from Redis
 * sbc:state:<trunk> when --redis is given. The upstream registration (registered, failed,
 * down, off; none without register = yes) comes from Redis only. "-" otherwise, or when the
 * trunk has no state.
 */
static void trunk_state(json_t *v)
{
	redisContext *rc = redis_addr ? redis_connect(redis_addr, "no HEALTH, CALLS_OUT, "
						    "REGISTRATION") : NULL;
	const char *k;
	json_t *t;

	json_object_foreach(v, k, t) {
		const char *name = json_string_value(json_object_get(t, "name"));
		redisReply *r = NULL;

		bool have = json_object_get(t, "health") != NULL;	/* from the channel */

		if (!json_is_object(t))
			continue;
		if (rc != NULL && name != NULL)
			r = redisCommand(rc, "HMGET sbc:state:%s health calls_out registration", name);
		for (int i = have ? 2 : 0; i < 3; i++) {
			static const char *const fields[] = { "health", "calls_out", "registration" };
			const redisReply *e = r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 ?
					      r->element[i] : NULL;

			json_object_set_new(t, fields[i], e && e->type == REDIS_REPLY_STRING ?
					    (i == 1 ? json_integer(atoll(e->str)) : json_string(e->str)) :
					    json_null());
		}
		if (r != NULL)
			freeReplyObject(r);
	}
	if (rc != NULL)
		redisFree(rc);
}

static int cmd_drops(const char *worker)
{
	char tcmd[64];
	json_t *v;
	const char *k;
	json_t *x;
	size_t zero = 0, w = 6;

	snprintf(tcmd, sizeof(tcmd), "/sbc/drops%s%s", worker ? "," : "", worker ? worker : "");
	v = tel_must(tcmd);
	if (opt_json) {
		print_json(v);
		json_decref(v);
		return 0;
	}
	json_object_foreach(v, k, x)
		if (strlen(k) > w)
			w = strlen(k);
	printf("%-*s  %12s\n", (int)w, "REASON", "COUNT");
	json_object_foreach(v, k, x) {
		if (!opt_all && json_integer_value(x) == 0) {
			zero++;
			continue;
		}
		printf("%-*s  %12" JSON_INTEGER_FORMAT "\n", (int)w, k, json_integer_value(x));
	}
	if (zero)
		printf("(%zu other reasons are 0; --all shows them)\n", zero);
	json_decref(v);
	return 0;
}

/* A flat reply as "key  value" lines. */
static int cmd_channel_like(const char *tcmd)
{
	json_t *v = tel_must(tcmd);

	if (opt_json)
		print_json(v);
	else
		keyvals(v, "", 22);
	json_decref(v);
	return 0;
}

static int cmd_acl(const char *trunk)
{
	json_t *all, *head, **rows;
	char tcmd[128];
	size_t n;

	snprintf(tcmd, sizeof(tcmd), "/sbc/acl,%s", trunk);
	head = tel_call(tcmd);
	if (head == NULL) {
		fprintf(stderr, "sbcctl: no trunk '%s' in the data plane (sbcctl trunks lists them)\n",
			trunk);
		exit(1);
	}
	head = tel_more_pages(tcmd, head);
	n = json_object_size(head);
	rows = calloc(n ? n : 1, sizeof(*rows));
	n = rows_of(head, rows, n, NULL);
	if (opt_json) {
		json_t *o = json_object();

		all = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append(all, rows[i]);
		json_object_set(o, "trunk", json_object_get(head, "trunk"));
		json_object_set(o, "id", json_object_get(head, "id"));
		json_object_set(o, "prefixes_v4", json_object_get(head, "prefixes_v4"));
		json_object_set(o, "prefixes_v6", json_object_get(head, "prefixes_v6"));
		json_object_set_new(o, "total", json_integer((json_int_t)n));
		json_object_set_new(o, "prefixes", all);
		print_json(o);
		json_decref(o);
	} else {
		if (n)
			table(rows, n, NULL);
		printf("%zu prefixes (%" JSON_INTEGER_FORMAT " IPv4, %" JSON_INTEGER_FORMAT
		       " IPv6) in trunk %s\n", n,
		       json_integer_value(json_object_get(head, "prefixes_v4")),
		       json_integer_value(json_object_get(head, "prefixes_v6")),
		       json_string_value(json_object_get(head, "trunk")));
	}
	rows_free(rows, n);
	free(rows);
	json_decref(head);
	return 0;
}

/* The denylist: one row per source, seconds left ("-" until lifted), reason; its counters. */
static int cmd_denied(void)
{
	static const char *const cols[] = { "address", "remaining_s", "reason", NULL };
	json_t *head = tel_all_pages("/sbc/denied"), **rows;
	size_t n = json_object_size(head);

	if (opt_json) {
		print_json(head);
		json_decref(head);
		return 0;
	}
	rows = calloc(n ? n : 1, sizeof(*rows));
	n = rows_of(head, rows, n, NULL);
	for (size_t i = 0; i < n; i++)
		if (json_integer_value(json_object_get(rows[i], "remaining_s")) < 0)
			json_object_set_new(rows[i], "remaining_s", json_string("-"));
	if (n)
		table(rows, n, cols);
	printf("%zu denied sources (capacity %" JSON_INTEGER_FORMAT "); since start: %"
	       JSON_INTEGER_FORMAT " added, %" JSON_INTEGER_FORMAT " lifted, %" JSON_INTEGER_FORMAT
	       " expired, %" JSON_INTEGER_FORMAT " refused (full)\n", n,
	       json_integer_value(json_object_get(head, "capacity")),
	       json_integer_value(json_object_get(head, "added")),
	       json_integer_value(json_object_get(head, "lifted")),
	       json_integer_value(json_object_get(head, "expired")),
	       json_integer_value(json_object_get(head, "refused_full")));
	rows_free(rows, n);
	free(rows);
	json_decref(head);
	return 0;
}

static int cmd_raw(const char *tcmd)
{
	json_t *v = tel_call(tcmd);

	if (v == NULL) {
		fprintf(stderr, "sbcctl: the data plane refused '%s'\n", tcmd);
		return 1;
	}
	print_json(v);
	json_decref(v);
	return 0;
}

/* ---- the command table */

static const char *const trunk_cols[] = {
	"id", "name", "prefixes_v4", "prefixes_v6", "accepted", "rejected", "cps", "burst",
	"max_calls", "over_limit", "health", "calls_out", "last_code", "registration", NULL,
};
static const char *const call_cols[] = {
	"name", "active_calls", "tokens", "admitted", "emergency", "retransmissions",
	"over_cps", "over_calls", "table_full", "malformed", "ended_bye", "ended_cancel",
	"ended_rejected", "ended_timer_b", "ended_timer_c", "ended_max_duration",
	/* split by transport: TCP and TLS calls are admitted over the channel */
	"admitted_udp", "admitted_tcp", "admitted_tls", "over_cps_udp", "over_cps_tcp",
	"over_cps_tls", "over_calls_udp", "over_calls_tcp", "over_calls_tls", NULL,
};

static int run_stats(char **args)
{
	(void)args;
	return cmd_rows("/sbc/stats", NULL, true, "worker");
}

static int run_trunks(char **args)
{
	(void)args;
	return cmd_rows_with("/sbc/trunks", trunk_cols, false, NULL, trunk_state);
}

static int run_calls(char **args)
{
	(void)args;
	return cmd_rows("/sbc/trunks", call_cols, false, NULL);
}

static int run_malformed(char **args)
{
	(void)args;
	return cmd_channel_like("/sbc/malformed");
}

static int run_ports(char **args)
{
	(void)args;
	return cmd_rows("/sbc/ports", NULL, false, "role");
}

static int run_channel(char **args)
{
	(void)args;
	return cmd_channel_like("/sbc/channel");
}

static int run_neigh(char **args)
{
	(void)args;
	return cmd_channel_like("/sbc/neigh");
}

static bool drops_args_ok(char **args)
{
	if (args[0] != NULL && strspn(args[0], "0123456789") != strlen(args[0])) {
		fprintf(stderr, "sbcctl: drops: '%s' is not a worker index\n", args[0]);
		return false;
	}
	return true;
}

static int run_drops(char **args)
{
	return cmd_drops(args[0]);
}

/*
 * media: the relay's totals (/sbc/media); media CALL-ID: one call's session, whose id is the
 * FNV-1a hash of the inbound Call-ID as the control plane computes it (sbc_hash.h), with both
 * legs' figures side by side.
 */
static void media_legs(json_t *v)
{
	static const char *const rows[] = { "local", "remote", "trunk", "rtcp_mux", "latch",
					    "latched", "hold", "packets", "bytes", "dropped", "lost",
					    "reordered", "jitter_us", "rr_lost", "rr_fraction",
					    "rr_jitter_us", NULL };
	json_t *l0 = json_object_get(v, "leg0"), *l1 = json_object_get(v, "leg1");

	printf("session %s  seq %" JSON_INTEGER_FORMAT "  idle %" JSON_INTEGER_FORMAT " ms%s\n\n",
	       json_string_value(json_object_get(v, "session")),
	       json_integer_value(json_object_get(v, "seq")),
	       json_integer_value(json_object_get(v, "idle_ms")),
	       json_integer_value(json_object_get(v, "timeout_sent")) ? "  (media timeout sent)" :
	       "");
	printf("%-14s  %-28s  %-28s\n", "", "LEG 0 (caller)", "LEG 1 (callee)");
	for (size_t i = 0; rows[i] != NULL; i++) {
		char a[64], b[64];

		cell(json_object_get(l0, rows[i]), a, sizeof(a));
		cell(json_object_get(l1, rows[i]), b, sizeof(b));
		printf("%-14s  %-28s  %-28s\n", rows[i], a, b);
	}
}

static int run_media(char **args)
{
	char tcmd[64];
	uint64_t id;
	json_t *v;

	if (args[0] == NULL)
		return cmd_channel_like("/sbc/media");
	id = sbc_fnv1a(SBC_FNV1A_INIT, args[0], strlen(args[0]));
	snprintf(tcmd, sizeof(tcmd), "/sbc/media_session,%016llx", (unsigned long long)id);
	v = tel_call(tcmd);
	if (v == NULL) {
		fprintf(stderr, "sbcctl: no media session for Call-ID '%s' (session id %016llx)\n",
			args[0], (unsigned long long)id);
		return 1;
	}
	if (opt_json)
		print_json(v);
	else
		media_legs(v);
	json_decref(v);
	return 0;
}

/* A trunk name goes into "/sbc/acl,<name>": no comma of its own. */
static bool acl_args_ok(char **args)
{
	if (strchr(args[0], ',') != NULL) {
		fprintf(stderr, "sbcctl: acl: a trunk name has no ','\n");
		return false;
	}
	return true;
}

static int run_acl(char **args)
{
	return cmd_acl(args[0]);
}

static int run_denied(char **args)
{
	(void)args;
	return cmd_denied();
}

static int run_raw(char **args)
{
	return cmd_raw(args[0]);
}

/* A user name goes into sbc:user:<trunk>:<user> and quoted digest parameters. */
static bool user_args_ok(char **args)
{
	if (strcmp(args[0], "add") != 0) {
		fprintf(stderr, "sbcctl: user: '%s' is not a user command (add)\n", args[0]);
		return false;
	}
	for (const char *c = args[2]; *c != '\0'; c++)
		if (*c <= ' ' || *c >= 127 || *c == '"' || *c == '\\') {
			fprintf(stderr, "sbcctl: user: '%s' must be printable characters without "
				"blanks, '\"' or '\\'\n", args[2]);
			return false;
		}
	if (conf_path == NULL) {
		fprintf(stderr, "sbcctl: user add needs -c sbc.conf (its trunks and [redis])\n");
		return false;
	}
	return true;
}

/* One line from stdin, without its line end: the password (never echoed, never logged). */
static int read_password(char *buf, size_t len)
{
	if (fgets(buf, (int)len, stdin) == NULL)
		return -EINVAL;
	if (strchr(buf, '\n') == NULL && !feof(stdin))
		return -E2BIG;
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf[0] != '\0' ? 0 : -EINVAL;
}

static redisContext *redis_of(const struct sbc_config *cfg)
{
	redisContext *rc = redis_connect(cfg->redis_address, NULL);
	redisReply *r;

	if (rc == NULL)
		return NULL;
	r = cfg->redis_password[0] ? redisCommand(rc, "AUTH %s", cfg->redis_password) : NULL;
	if (cfg->redis_password[0] && (r == NULL || r->type == REDIS_REPLY_ERROR)) {
		fprintf(stderr, "sbcctl: Redis %s refused the password\n", cfg->redis_address);
		freeReplyObject(r);
		redisFree(rc);
		return NULL;
	}
	freeReplyObject(r);
	r = redisCommand(rc, "SELECT %u", cfg->redis_database);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		fprintf(stderr, "sbcctl: Redis %s: SELECT %u refused\n", cfg->redis_address,
			cfg->redis_database);
		freeReplyObject(r);
		redisFree(rc);
		return NULL;
	}
	freeReplyObject(r);
	return rc;
}

/* user add TRUNK USER: both HA1s (RFC 7616 3.4.2) for the trunk's realm into its Redis. */
static int run_user(char **args)
{
	struct sbc_config cfg;
	char err[1024], pw[SBC_CRED_MAX + 2], realm[SBC_CRED_MAX], md5[CP_DIGEST_HEX_MAX],
	     sha[CP_DIGEST_HEX_MAX];
	redisContext *rc = NULL;
	redisReply *r = NULL;
	int t, status = 1;

	if (sbc_config_load(&cfg, conf_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "sbcctl: %s\n", err);
		return 1;
	}
	t = sbc_config_trunk_index(&cfg, args[1]);
	if (t < 0 || cfg.trunks[t].auth == SBC_AUTH_IP) {
		fprintf(stderr, "sbcctl: user add: %s has no trunk '%s' with auth = digest or both\n",
			conf_path, args[1]);
		goto out;
	}
	if (read_password(pw, sizeof(pw)) != 0) {
		fprintf(stderr, "sbcctl: user add: give the password as one line on stdin "
			"(1-%d characters)\n", SBC_CRED_MAX - 1);
		goto out;
	}
	sbc_trunk_realm(&cfg, &cfg.trunks[t], realm, sizeof(realm));
	if (cp_digest_ha1(CP_DIGEST_MD5, args[2], realm, pw, md5) != 0 ||
	    cp_digest_ha1(CP_DIGEST_SHA256, args[2], realm, pw, sha) != 0) {
		fprintf(stderr, "sbcctl: user add: OpenSSL refused the hash\n");
		goto out;
	}
	rc = redis_of(&cfg);
	if (rc == NULL)
		goto out;
	r = redisCommand(rc, "HSET sbc:user:%s:%s ha1_md5 %s ha1_sha256 %s", args[1], args[2], md5,
			 sha);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		fprintf(stderr, "sbcctl: Redis %s: HSET refused: %s\n", cfg.redis_address,
			r ? r->str : rc->errstr);
		goto out;
	}
	printf("sbc:user:%s:%s: HA1 (MD5, SHA-256) for realm %s written\n", args[1], args[2],
	       realm);
	status = 0;
out:
	explicit_bzero(pw, sizeof(pw));
	freeReplyObject(r);
	redisFree(rc);
	sbc_config_free(&cfg);
	return status;
}

/* A telemetry command and its parameter fit in one request. */
#define ARG_MAX_LEN 100

static const struct command {
	const char *name, *args, *help;
	int min_args, max_args;
	bool (*args_ok)(char **args);	/* NULL: any; said why on stderr when not */
	int (*run)(char **args);	/* args NULL-terminated; the socket is connected */
	bool no_socket;			/* runs without the data plane */
} commands[] = {
	{ "stats", "", "packet counters, total and per worker", 0, 0, NULL, run_stats },
	{ "trunks", "", "per trunk: prefixes, accepted, rejected, limits", 0, 0, NULL,
	  run_trunks },
	{ "calls", "", "per trunk: active calls, tokens, admitted, refused, ended", 0, 0, NULL,
	  run_calls },
	{ "malformed", "", "listed SIP the scanner refused, by reason", 0, 0, NULL,
	  run_malformed },
	{ "drops", "[WORKER] [--all]", "drops by reason (non-zero ones unless --all)", 0, 1,
	  drops_args_ok, run_drops },
	{ "ports", "", "wire and exception port counters", 0, 0, NULL, run_ports },
	{ "channel", "", "the control plane as the data plane sees it", 0, 0, NULL, run_channel },
	{ "acl", "TRUNK", "a trunk's effective prefixes with hit counters", 1, 1, acl_args_ok,
	  run_acl },
	{ "denied", "", "denied sources (sbc:deny:<ip>): seconds left, reason", 0, 0, NULL,
	  run_denied },
	{ "media", "[CALL-ID]", "media relay: sessions, capacity, drops by reason; or one call's "
	  "legs", 0, 1, NULL, run_media },
	{ "neigh", "", "next hops of media: table, ageing, packets held for an answer", 0, 0,
	  NULL, run_neigh },
	{ "raw", "CMD", "any telemetry command, e.g. raw /ethdev/stats,0", 1, 1, NULL, run_raw },
	{ "user", "add TRUNK USER", "with -c: a digest trunk's user, password on stdin (HA1s to "
	  "Redis)", 3, 3, user_args_ok, run_user, true },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	char head[64];

	fprintf(f, "usage: sbcctl [--file-prefix P | --socket PATH] [--json] [--redis HOST:PORT] "
		"[-c sbc.conf] COMMAND\n");
	for (size_t i = 0; i < N_COMMANDS; i++) {
		snprintf(head, sizeof(head), "%s%s%s", commands[i].name,
			 commands[i].args[0] ? " " : "", commands[i].args);
		fprintf(f, "  %-21s %s%s\n", head, strlen(head) > 21 ? " " : "", commands[i].help);
	}
	fprintf(f,
		"  -p, --file-prefix P   the data plane's --file-prefix (default: $SBC_FILE_PREFIX or rte)\n"
		"  -s, --socket PATH     the telemetry socket itself\n"
		"  -j, --json            print the reply as JSON\n"
		"  -r, --redis HOST:PORT trunks: REGISTRATION (and HEALTH, CALLS_OUT for rows the data\n"
		"                        plane has none of the B2BUA's) from sbc:state:<trunk> (default:\n"
		"                        $SBC_REDIS)\n"
		"  -c, --config FILE     user: the configuration (trunks, realms, [redis])\n");
}

#define EXIT_USAGE 64	/* sysexits.h EX_USAGE */

static int usage_error(void)
{
	usage(stderr);
	return EXIT_USAGE;
}

/* Options before the command: -1 to go on, or the exit status (after --help, a usage error). */
static int parse_options(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file-prefix", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "redis", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("SBC_FILE_PREFIX");

	redis_addr = getenv("SBC_REDIS");
	int opt;

	if (env != NULL && *env != '\0')
		prefix = env;
	while ((opt = getopt_long(argc, argv, "p:s:jahr:c:", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			prefix = optarg;
			break;
		case 's':
			snprintf(sock_path, sizeof(sock_path), "%s", optarg);
			break;
		case 'j':
			opt_json = true;
			break;
		case 'a':
			opt_all = true;
			break;
		case 'r':
			redis_addr = optarg;
			break;
		case 'c':
			conf_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return usage_error();
		}
	}
	if (optind >= argc)
		return usage_error();
	if (strchr(prefix, '/') != NULL) {
		fprintf(stderr, "sbcctl: --file-prefix '%s' may not contain '/'\n", prefix);
		return EXIT_USAGE;
	}
	return -1;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct command *c;
	char **args;
	int status = parse_options(argc, argv), n;

	if (status >= 0)
		return status;
	c = find_command(argv[optind]);
	if (c == NULL) {
		fprintf(stderr, "sbcctl: unknown command '%s'\n", argv[optind]);
		return usage_error();
	}
	args = argv + optind + 1;	/* argv is NULL-terminated */
	n = argc - optind - 1;
	if (n < c->min_args || n > c->max_args)
		return usage_error();
	for (int i = 0; i < n; i++)
		if (strlen(args[i]) > ARG_MAX_LEN)
			return usage_error();
	if (c->args_ok != NULL && !c->args_ok(args))
		return EXIT_USAGE;
	if (c->no_socket)
		return c->run(args);
	if (sock_path[0] == '\0')
		default_socket();
	tel_connect();
	return c->run(args);
}
