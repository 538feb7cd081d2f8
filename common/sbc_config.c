/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration loader. libinih does the INI syntax; this file owns the schema: one table of
 * known keys with their type and range, so an unknown key, a duplicate, a value out of range or
 * a bad CIDR each stop start-up with the file and line. libinih does not pass line numbers to
 * the handler, so the stream reader below counts lines and notices section headers itself.
 */
#include "sbc_config.h"
#include "sbc_hash.h"
#include "sbc_num.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum key_type { K_IPV4, K_IPV6, K_U16, K_U32, K_STR, K_CHOICE, K_AUTH, K_RANGE, K_PEERS,
		K_PEERS_FILE, K_EMERGENCY, K_ROLE, K_URI, K_ROUTE, K_CODES, K_PATH, K_BOOL, K_CRED, K_PWFILE, K_CODECS,
		K_MEDIA_ADDRS, K_ALGS };

enum section { S_NONE, S_SBC, S_DATAPLANE, S_REDIS, S_TRUNK };

struct key {
	enum section section;
	const char *name;
	enum key_type type;
	size_t offset;		/* into struct sbc_config, or struct sbc_trunk_config for S_TRUNK */
	size_t size;		/* K_STR buffer size; for K_IPV4/K_IPV6 the offset of the has_ flag + 1 */
	uint32_t min, max;	/* K_IPV4/K_IPV6: min = the offset of an on-link prefix length + 1
				 * when the key takes "ADDRESS/LEN" (0: a bare address only) */
	const char *const *choices;	/* K_CHOICE, K_AUTH: the words, in the enum's order */
};

#define CFG(f) offsetof(struct sbc_config, f)
#define TRK(f) offsetof(struct sbc_trunk_config, f)
#define HAS(f) (offsetof(struct sbc_config, f) + 1)	/* 0 means "no has_ flag" */

/* Words of the enum keys, in the order of their enum's values; NULL-terminated. */
static const char *const unlisted_words[] = { "drop", "reject", NULL };	/* enum sbc_unlisted_mode */
static const char *const auth_words[] = { "ip", "digest", "both", NULL };	/* enum sbc_auth_mode */
static const char *const over_limit_words[] = { "reject", "drop", NULL };	/* enum sbc_over_limit */
static const char *const role_words[] = { "floor", "carrier", NULL };	/* sbc_trunk_role - 1 */
static const char *const media_words[] = { "relay", "direct", NULL };	/* enum sbc_media_mode */
static const char *const srtp_words[] = { "no", "sdes", NULL };		/* enum sbc_srtp_mode */
static const char *const poll_words[] = { "busy", "adaptive", NULL };	/* enum sbc_poll_mode */
_Static_assert(sizeof(enum sbc_unlisted_mode) == sizeof(int) &&
	       sizeof(enum sbc_auth_mode) == sizeof(int) &&
	       sizeof(enum sbc_over_limit) == sizeof(int) &&
	       sizeof(enum sbc_media_mode) == sizeof(int) &&
	       sizeof(enum sbc_srtp_mode) == sizeof(int) &&
	       sizeof(enum sbc_poll_mode) == sizeof(int), "K_CHOICE keys are stored as int");

static const struct key keys[] = {
	{ S_SBC, "address", K_IPV4, CFG(address), 0, CFG(address_plen) + 1, 0 },
	{ S_SBC, "address6", K_IPV6, CFG(address6), HAS(has_address6), CFG(address6_plen) + 1, 0 },
	{ S_SBC, "gateway", K_IPV4, CFG(gateway), HAS(has_gateway), 0, 0 },
	{ S_SBC, "gateway6", K_IPV6, CFG(gateway6), HAS(has_gateway6), 0, 0 },
	{ S_SBC, "sip_port", K_U16, CFG(sip_port), 0, 1, 65535 },
	{ S_SBC, "unlisted", K_CHOICE, CFG(unlisted), 0, 0, 0, unlisted_words },
	{ S_SBC, "reject_rate", K_U32, CFG(reject_rate), 0, 0, 1000000 },
	{ S_SBC, "register_rate", K_U32, CFG(register_rate), 0, 0, 100000 },
	{ S_SBC, "media_ports", K_RANGE, CFG(media_port_min), 0, 1024, 65535 },
	{ S_SBC, "media_timeout", K_U32, CFG(media_timeout), 0, 5, 3600 },
	{ S_SBC, "media_addresses", K_MEDIA_ADDRS, 0, 0, 0, 0 },
	{ S_SBC, "emergency", K_EMERGENCY, 0, 0, 0, 0 },
	{ S_SBC, "max_call_duration", K_U32, CFG(max_call_duration), 0, 60, 604800 },
	{ S_SBC, "retry_after", K_U32, CFG(retry_after), 0, 1, 86400 },
	{ S_SBC, "tls_port", K_U16, CFG(tls_port), 0, 1, 65535 },
	{ S_SBC, "tls_certificate", K_PATH, CFG(tls_certificate), SBC_PATH_MAX, 0, 0 },
	{ S_SBC, "tls_key", K_PATH, CFG(tls_key), SBC_PATH_MAX, 0, 0 },
	{ S_SBC, "tls_ca", K_PATH, CFG(tls_ca), SBC_PATH_MAX, 0, 0 },
	{ S_SBC, "auth_failures", K_U32, CFG(auth_failures), 0, 1, 1000 },
	{ S_SBC, "auth_window", K_U32, CFG(auth_window), 0, 1, 86400 },
	{ S_SBC, "lockout", K_U32, CFG(lockout), 0, 1, 604800 },
	{ S_SBC, "admit_wait_ms", K_U32, CFG(admit_wait_ms), 0, 1, 10000 },
	{ S_SBC, "tcp_conns_per_source", K_U32, CFG(tcp_conns_per_source), 0, 1, 65535 },
	{ S_SBC, "tcp_idle_timeout", K_U32, CFG(tcp_idle_timeout), 0, 1, 86400 },
	{ S_SBC, "tcp_message_timeout", K_U32, CFG(tcp_message_timeout), 0, 100, 600000 },
	{ S_SBC, "tcp_max_message", K_U32, CFG(tcp_max_message), 0, 1024, 1048576 },
	{ S_DATAPLANE, "wire", K_STR, CFG(wire), sizeof(((struct sbc_config *)0)->wire), 0, 0 },
	{ S_DATAPLANE, "exception", K_STR, CFG(exception),
	  sizeof(((struct sbc_config *)0)->exception), 0, 0 },
	{ S_DATAPLANE, "workers", K_U32, CFG(workers), 0, 1, 127 },
	{ S_DATAPLANE, "channel", K_STR, CFG(channel), sizeof(((struct sbc_config *)0)->channel),
	  0, 0 },
	{ S_DATAPLANE, "mbufs", K_U32, CFG(mbufs), 0, 1023, 16777215 },
	{ S_DATAPLANE, "acl_v4_rules", K_U32, CFG(acl_v4_rules), 0, 16, 16777216 },
	{ S_DATAPLANE, "acl_v4_tbl8", K_U32, CFG(acl_v4_tbl8), 0, 16, 16777216 },
	{ S_DATAPLANE, "acl_v6_rules", K_U32, CFG(acl_v6_rules), 0, 16, 2097151 },
	{ S_DATAPLANE, "acl_v6_tbl8", K_U32, CFG(acl_v6_tbl8), 0, 16, 16777216 },
	{ S_DATAPLANE, "calls", K_U32, CFG(calls), 0, 1024, 16777216 },
	{ S_DATAPLANE, "frag_flows", K_U32, CFG(frag_flows), 0, 16, 1048576 },
	{ S_DATAPLANE, "frag_timeout_ms", K_U32, CFG(frag_timeout_ms), 0, 100, 30000 },
	{ S_DATAPLANE, "register_sources", K_U32, CFG(register_sources), 0, 64, 4194304 },
	{ S_DATAPLANE, "deny_entries", K_U32, CFG(deny_entries), 0, 16, 4194304 },
	{ S_DATAPLANE, "media_sessions", K_U32, CFG(media_sessions), 0, 0, 16777216 },
	{ S_DATAPLANE, "poll", K_CHOICE, CFG(poll), 0, 0, 0, poll_words },
	{ S_DATAPLANE, "poll_sleep_max_us", K_U32, CFG(poll_sleep_max_us), 0, 1, 1000 },
	{ S_REDIS, "address", K_STR, CFG(redis_address),
	  sizeof(((struct sbc_config *)0)->redis_address), 0, 0 },
	{ S_REDIS, "password", K_STR, CFG(redis_password),
	  sizeof(((struct sbc_config *)0)->redis_password), 0, 0 },
	{ S_REDIS, "database", K_U32, CFG(redis_database), 0, 0, 65535 },
	{ S_REDIS, "cdr_maxlen", K_U32, CFG(cdr_maxlen), 0, 1, 1000000000 },
	{ S_TRUNK, "peers", K_PEERS, 0, 0, 0, 0 },
	{ S_TRUNK, "peers_file", K_PEERS_FILE, 0, 0, 0, 0 },
	{ S_TRUNK, "auth", K_AUTH, TRK(auth), 0, 0, 0, auth_words },
	{ S_TRUNK, "cps", K_U32, TRK(cps), 0, 0, 1000000 },
	{ S_TRUNK, "burst", K_U32, TRK(burst), 0, 0, 1000000 },
	{ S_TRUNK, "max_calls", K_U32, TRK(max_calls), 0, 0, 10000000 },
	{ S_TRUNK, "over_limit", K_CHOICE, TRK(over_limit), 0, 0, 0, over_limit_words },
	{ S_TRUNK, "role", K_ROLE, TRK(role), 0, 0, 0, role_words },
	{ S_TRUNK, "uri", K_URI, TRK(uri), SBC_URI_MAX, 0, 0 },
	{ S_TRUNK, "route", K_ROUTE, 0, 0, 0, 0 },
	{ S_TRUNK, "failover_codes", K_CODES, TRK(failover), 0, 300, 699 },
	{ S_TRUNK, "max_calls_out", K_U32, TRK(max_calls_out), 0, 0, 10000000 },
	{ S_TRUNK, "options_interval", K_U32, TRK(options_interval), 0, 0, 86400 },
	{ S_TRUNK, "options_misses", K_U32, TRK(options_misses), 0, 1, 1000 },
	{ S_TRUNK, "register", K_BOOL, TRK(reg), 0, 0, 0 },
	{ S_TRUNK, "username", K_CRED, TRK(username), SBC_CRED_MAX, 0, 0 },
	{ S_TRUNK, "password", K_STR, TRK(password), SBC_CRED_MAX, 0, 0 },
	{ S_TRUNK, "password_file", K_PWFILE, TRK(password_file), SBC_PATH_MAX, 0, 0 },
	{ S_TRUNK, "realm", K_CRED, TRK(realm), SBC_CRED_MAX, 0, 0 },
	{ S_TRUNK, "expires", K_U32, TRK(expires), 0, 60, 3600 },
	{ S_TRUNK, "algorithms", K_ALGS, 0, 0, 0, 0 },
	{ S_TRUNK, "media", K_CHOICE, TRK(media), 0, 0, 0, media_words },
	{ S_TRUNK, "media_latch", K_BOOL, TRK(media_latch), 0, 0, 0 },
	{ S_TRUNK, "srtp", K_CHOICE, TRK(srtp), 0, 0, 0, srtp_words },
	{ S_TRUNK, "codecs", K_CODECS, 0, 0, 0, 0 },
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/* A key's bit in its section's seen mask: its place among its section's keys (bit 63 is the
 * section header's own; test_config sets every key once, so more than 63 in a section fails). */
static unsigned int key_bit(size_t i)
{
	unsigned int b = 0;

	for (size_t j = 0; j < i; j++)
		b += keys[j].section == keys[i].section;
	return b;
}

/*
 * Every prefix of every trunk, for duplicate checks in O(1): open addressing, linear probing,
 * grown at half load. Values are (trunk index, peer index).
 */
struct prefix_index {
	struct { uint32_t trunk, peer; } *slot;	/* trunk == UINT32_MAX: empty */
	size_t cap, n;
};

static uint64_t prefix_hash(const struct sbc_prefix *p)
{
	return sbc_fnv1a(SBC_FNV1A_INIT, p, sizeof(*p));
}

struct parse {
	struct sbc_config *cfg;
	const char *name;	/* file name for messages */
	char dir[4096];		/* directory of the file, for relative peers_file paths */
	FILE *fp;
	unsigned int line;	/* line being parsed */
	bool mid_line;		/* last chunk did not end in '\n' */
	enum section section;
	char section_name[256];
	unsigned int section_line;
	int trunk;		/* index in cfg->trunks, or -1 */
	uint64_t seen[5];	/* keys set per fixed section (bit = index in keys[]) */
	char *err;
	size_t errlen;
	bool failed;
	struct prefix_index idx;
};

static int index_grow(struct parse *ps)
{
	struct prefix_index *x = &ps->idx, old = *x;

	x->cap = old.cap ? old.cap * 2 : 1024;
	x->slot = malloc(x->cap * sizeof(*x->slot));
	if (x->slot == NULL) {
		*x = old;
		return -ENOMEM;
	}
	for (size_t i = 0; i < x->cap; i++)
		x->slot[i].trunk = UINT32_MAX;
	x->n = 0;
	for (size_t i = 0; i < old.cap; i++) {
		if (old.slot[i].trunk == UINT32_MAX)
			continue;
		const struct sbc_prefix *p = &ps->cfg->trunks[old.slot[i].trunk].peers[old.slot[i].peer];
		size_t j = prefix_hash(p) & (x->cap - 1);

		while (x->slot[j].trunk != UINT32_MAX)
			j = (j + 1) & (x->cap - 1);
		x->slot[j] = old.slot[i];
		x->n++;
	}
	free(old.slot);
	return 0;
}

/* Find p; returns the slot index (its .trunk is UINT32_MAX when p is not there). */
static size_t index_find(struct parse *ps, const struct sbc_prefix *p)
{
	struct prefix_index *x = &ps->idx;
	size_t j = prefix_hash(p) & (x->cap - 1);

	while (x->slot[j].trunk != UINT32_MAX &&
	       !sbc_prefix_equal(&ps->cfg->trunks[x->slot[j].trunk].peers[x->slot[j].peer], p))
		j = (j + 1) & (x->cap - 1);
	return j;
}

static void vperr(struct parse *ps, const char *file, unsigned int line, const char *fmt,
		  va_list ap)
{
	char msg[512];

	if (ps->failed)		/* the first error is the one to fix */
		return;
	ps->failed = true;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		snprintf(ps->err, ps->errlen, "%s:%u: %s", file, line, msg);
	else
		snprintf(ps->err, ps->errlen, "%s: %s", file, msg);
}

/* An error at a line of the configuration file (0: the file as a whole). */
static void perr(struct parse *ps, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void perr(struct parse *ps, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vperr(ps, ps->name, line, fmt, ap);
	va_end(ap);
}

/* An error at a line of another file (a peers_file). */
static void perr_in(struct parse *ps, const char *file, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void perr_in(struct parse *ps, const char *file, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vperr(ps, file, line, fmt, ap);
	va_end(ap);
}

void sbc_config_defaults(struct sbc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->sip_port = SBC_SIP_PORT_DEFAULT;
	cfg->unlisted = SBC_UNLISTED_DROP;
	cfg->reject_rate = 100;
	cfg->register_rate = 2;
	cfg->register_sources = 8192;
	cfg->deny_entries = 65536;
	cfg->media_port_min = 20000;
	cfg->media_port_max = 29999;
	cfg->media_timeout = SBC_MEDIA_TIMEOUT_DEFAULT;
	cfg->workers = 1;
	snprintf(cfg->channel, sizeof(cfg->channel), "/sbc-channel");
	cfg->mbufs = 16383;
	cfg->poll = SBC_POLL_BUSY;
	cfg->poll_sleep_max_us = 200;
	cfg->acl_v4_rules = 65536;
	cfg->acl_v4_tbl8 = 4096;
	cfg->acl_v6_rules = 16384;
	cfg->acl_v6_tbl8 = 8192;
	cfg->calls = 262144;
	cfg->frag_flows = 4096;
	cfg->frag_timeout_ms = 2000;
	cfg->max_call_duration = 14400;
	cfg->retry_after = 5;
	cfg->auth_failures = SBC_AUTH_FAILURES_DEFAULT;
	cfg->auth_window = SBC_AUTH_WINDOW_DEFAULT;
	cfg->lockout = SBC_LOCKOUT_DEFAULT;
	cfg->admit_wait_ms = 200;
	cfg->tcp_conns_per_source = 32;
	cfg->tcp_idle_timeout = 120;
	cfg->tcp_message_timeout = 5000;
	cfg->tcp_max_message = 65536;
	cfg->cdr_maxlen = SBC_CDR_MAXLEN_DEFAULT;
	{
		static const char *const def[] = { "911", "933", "112", "999" };

		for (unsigned int i = 0; i < 4; i++)
			snprintf(cfg->emergency[i], SBC_EMERGENCY_LEN, "%s", def[i]);
		cfg->n_emergency = 4;
	}
	snprintf(cfg->redis_address, sizeof(cfg->redis_address), "127.0.0.1:%u",
		 SBC_REDIS_PORT_DEFAULT);
}

/* RFC 3261 8.1.3.3 / 16.5: the defaults of the B2BUA's keys on a new [trunk]. */
static void sbc_trunk_defaults(struct sbc_trunk_config *t)
{
	t->options_interval = SBC_OPTIONS_INTERVAL_DEFAULT;
	t->options_misses = SBC_OPTIONS_MISSES_DEFAULT;
	t->expires = SBC_REG_EXPIRES_DEFAULT;
	t->algorithms[0] = SBC_DIGEST_SHA256;
	t->algorithms[1] = SBC_DIGEST_MD5;
	t->n_algorithms = 2;
	t->failover[408 / 64] |= 1ull << (408 % 64);	/* Timer B's 408 */
	for (unsigned int c = 500; c <= 599; c++)
		t->failover[c / 64] |= 1ull << (c % 64);
}

static bool trunk_name_ok(const char *n)
{
	size_t len = strlen(n);

	if (len == 0 || len >= SBC_TRUNK_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)n[i]) && n[i] != '-' && n[i] != '_' && n[i] != '.')
			return false;
	return true;
}

bool sbc_config_takes_digest(const struct sbc_config *cfg)
{
	for (unsigned int t = 0; t < cfg->n_trunks; t++)
		if (cfg->trunks[t].auth != SBC_AUTH_IP)
			return true;
	return false;
}

int sbc_config_trunk_index(const struct sbc_config *cfg, const char *name)
{
	for (unsigned int i = 0; i < cfg->n_trunks; i++)
		if (strcmp(cfg->trunks[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* A section header line, seen by the reader before libinih hands us its keys. */
static void open_section(struct parse *ps, const char *name)
{
	struct sbc_config *cfg = ps->cfg;

	snprintf(ps->section_name, sizeof(ps->section_name), "%s", name);
	ps->section_line = ps->line;
	ps->trunk = -1;
	if (strcmp(name, "sbc") == 0)
		ps->section = S_SBC;
	else if (strcmp(name, "dataplane") == 0)
		ps->section = S_DATAPLANE;
	else if (strcmp(name, "redis") == 0)
		ps->section = S_REDIS;
	else if (strncmp(name, "trunk", 5) == 0 && isspace((unsigned char)name[5])) {
		const char *tn = name + 5;
		struct sbc_trunk_config *t;
		int dup;

		while (isspace((unsigned char)*tn))
			tn++;
		ps->section = S_TRUNK;
		if (!trunk_name_ok(tn)) {
			perr(ps, ps->line, "trunk name '%s' must be 1-%d characters of A-Z a-z 0-9 - _ .",
			     tn, SBC_TRUNK_NAME_MAX - 1);
			return;
		}
		dup = sbc_config_trunk_index(cfg, tn);
		if (dup >= 0) {
			perr(ps, ps->line, "trunk '%s' is already defined at line %u", tn,
			     cfg->trunks[dup].line);
			return;
		}
		if (cfg->n_trunks >= SBC_MAX_TRUNKS) {
			perr(ps, ps->line, "too many trunks (at most %d)", SBC_MAX_TRUNKS);
			return;
		}
		t = realloc(cfg->trunks, (cfg->n_trunks + 1) * sizeof(*t));
		if (t == NULL) {
			perr(ps, ps->line, "out of memory");
			return;
		}
		cfg->trunks = t;
		t = &cfg->trunks[cfg->n_trunks];
		memset(t, 0, sizeof(*t));
		snprintf(t->name, sizeof(t->name), "%s", tn);
		t->line = ps->line;
		t->auth = SBC_AUTH_IP;
		sbc_trunk_defaults(t);
		ps->trunk = (int)cfg->n_trunks++;
		return;
	} else {
		ps->section = S_NONE;
		perr(ps, ps->line, "unknown section [%s] (expected sbc, dataplane, redis or trunk NAME)",
		     name);
		return;
	}
	if (ps->seen[ps->section] & (1ull << 63))
		perr(ps, ps->line, "section [%s] appears twice", name);
	ps->seen[ps->section] |= 1ull << 63;
}

/*
 * libinih's reader callback: fgets plus line counting and section detection. Debian's libinih
 * is built with a growable heap buffer (set in load_stream), so a line may arrive in chunks.
 */
static char *reader(char *buf, int size, void *arg)
{
	struct parse *ps = arg;
	char *r = fgets(buf, size, ps->fp);

	if (r == NULL)
		return NULL;
	if (!ps->mid_line) {
		const char *s = buf;

		ps->line++;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '[') {
			const char *e = strchr(s, ']');
			char name[256];

			if (e != NULL && (size_t)(e - s - 1) < sizeof(name)) {
				memcpy(name, s + 1, (size_t)(e - s - 1));
				name[e - s - 1] = '\0';
				open_section(ps, name);
			}
		}
	}
	ps->mid_line = strchr(buf, '\n') == NULL;
	return r;
}

static int parse_u32(const char *v, uint32_t min, uint32_t max, uint32_t *out)
{
	uint32_t x;

	if (!sbc_parse_u32(v, strlen(v), UINT32_MAX, &x))
		return strspn(v, "0123456789") == strlen(v) && *v != '\0' ? -ERANGE : -EINVAL;
	if (x < min || x > max)
		return -ERANGE;
	*out = x;
	return 0;
}

static int add_peer(struct parse *ps, struct sbc_trunk_config *t, const char *text,
		    const char *where, unsigned int line)
{
	struct sbc_prefix p;
	char why[256];

	if (sbc_prefix_parse(text, &p, why, sizeof(why)) != 0) {
		perr_in(ps, where ? where : ps->name, line, "%s", why);
		return -EINVAL;
	}
	if ((ps->idx.n + 1) * 2 > ps->idx.cap && index_grow(ps) != 0) {
		perr(ps, line, "out of memory");
		return -ENOMEM;
	}
	size_t j = index_find(ps, &p);
	if (ps->idx.slot[j].trunk != UINT32_MAX) {
		const struct sbc_trunk_config *o = &ps->cfg->trunks[ps->idx.slot[j].trunk];
		unsigned int oline = o->peer_lines[ps->idx.slot[j].peer];

		if (o == t)
			perr_in(ps, where ? where : ps->name, line, "%s is listed twice in trunk '%s'",
				text, t->name);
		else
			perr_in(ps, where ? where : ps->name, line,
				"%s is in trunk '%s' and in trunk '%s' (line %u); a prefix belongs to one trunk",
				sbc_prefix_format(&p, why, sizeof(why)), t->name, o->name, oline);
		return -EINVAL;
	}
	if (t->n_peers == t->cap_peers) {
		uint32_t cap = t->cap_peers ? t->cap_peers * 2 : 16;
		struct sbc_prefix *np = realloc(t->peers, cap * sizeof(*np));
		unsigned int *nl;

		if (np == NULL) {
			perr(ps, line, "out of memory");
			return -ENOMEM;
		}
		t->peers = np;
		nl = realloc(t->peer_lines, cap * sizeof(*nl));
		if (nl == NULL) {
			perr(ps, line, "out of memory");
			return -ENOMEM;
		}
		t->peer_lines = nl;
		t->cap_peers = cap;
	}
	t->peer_lines[t->n_peers] = line;
	t->peers[t->n_peers] = p;
	ps->idx.slot[j].trunk = (uint32_t)(t - ps->cfg->trunks);
	ps->idx.slot[j].peer = t->n_peers++;
	ps->idx.n++;
	return 0;
}

/* "203.0.113.0/24, 2001:db8::/32 198.51.100.7": commas and/or blanks between entries. */
static int add_peer_list(struct parse *ps, struct sbc_trunk_config *t, const char *value,
			 unsigned int line)
{
	char *copy = strdup(value), *save = NULL;
	int rc = 0;

	if (copy == NULL) {
		perr(ps, line, "out of memory");
		return -ENOMEM;
	}
	for (char *tok = strtok_r(copy, ", \t", &save); tok != NULL && rc == 0;
	     tok = strtok_r(NULL, ", \t", &save))
		rc = add_peer(ps, t, tok, NULL, line);
	free(copy);
	return rc;
}

static int add_peer_file(struct parse *ps, struct sbc_trunk_config *t, const char *value,
			 unsigned int line)
{
	char path[8192], buf[512];
	unsigned int fline = 0;
	FILE *f;
	int rc = 0;

	if (value[0] == '/')
		snprintf(path, sizeof(path), "%s", value);
	else
		snprintf(path, sizeof(path), "%s/%s", ps->dir, value);
	f = fopen(path, "r");
	if (f == NULL) {
		perr(ps, line, "peers_file '%s': %s", path, strerror(errno));
		return -errno;
	}
	while (rc == 0 && fgets(buf, sizeof(buf), f) != NULL) {
		char *s = buf, *e;

		fline++;
		if (strchr(buf, '\n') == NULL && !feof(f)) {
			perr_in(ps, path, fline, "line too long");
			rc = -EINVAL;
			break;
		}
		e = strchr(s, '#');
		if (e != NULL)
			*e = '\0';
		while (isspace((unsigned char)*s))
			s++;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (*s != '\0')
			rc = add_peer(ps, t, s, path, fline);
	}
	fclose(f);
	return rc;
}

/* "911, 933, 112": 1-15 digits each, commas and/or blanks between, at most 16; may be empty. */
static int set_emergency(struct parse *ps, const char *value)
{
	struct sbc_config *cfg = ps->cfg;
	char *copy = strdup(value), *save = NULL;

	if (copy == NULL) {
		perr(ps, ps->line, "out of memory");
		return -ENOMEM;
	}
	cfg->n_emergency = 0;
	for (char *tok = strtok_r(copy, ", \t", &save); tok != NULL;
	     tok = strtok_r(NULL, ", \t", &save)) {
		if (strspn(tok, "0123456789") != strlen(tok) || strlen(tok) >= SBC_EMERGENCY_LEN) {
			perr(ps, ps->line, "emergency: '%s' is not a number of 1-%d digits", tok,
			     SBC_EMERGENCY_LEN - 1);
			free(copy);
			return -EINVAL;
		}
		if (cfg->n_emergency == SBC_EMERGENCY_MAX) {
			perr(ps, ps->line, "emergency: more than %d numbers", SBC_EMERGENCY_MAX);
			free(copy);
			return -EINVAL;
		}
		snprintf(cfg->emergency[cfg->n_emergency++], SBC_EMERGENCY_LEN, "%s", tok);
	}
	free(copy);
	return 0;
}

/* K_CHOICE, K_AUTH: one of the key's words; the enum value is its index. */
static int set_choice(struct parse *ps, const struct key *k, int *dst, const char *value)
{
	char list[128];
	size_t n = 0, o = 0;

	for (int i = 0; k->choices[i] != NULL; i++, n++)
		if (strcmp(value, k->choices[i]) == 0) {
			*dst = i;
			return 0;
		}
	/* "a or b", "a, b or c" */
	for (size_t i = 0; i < n && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
				      i == 0 ? "" : i + 1 == n ? " or " : ", ", k->choices[i]);
	perr(ps, ps->line, "%s: '%s' is not %s", k->name, value, list);
	return -EINVAL;
}

static int set_number(struct parse *ps, const struct key *k, char *dst, const char *value)
{
	uint32_t u;

	if (parse_u32(value, k->min, k->max, &u) != 0) {
		perr(ps, ps->line, "%s: '%s' is not a whole number from %u to %u", k->name, value,
		     k->min, k->max);
		return -EINVAL;
	}
	if (k->type == K_U16)
		*(uint16_t *)dst = (uint16_t)u;
	else
		*(uint32_t *)dst = u;
	return 0;
}

/* "20000-29999": two ports, the low one even (RTP). */
static int set_range(struct parse *ps, const struct key *k, uint16_t *dst, const char *value)
{
	char lo[16], hi[16];
	const char *dash = strchr(value, '-');
	uint32_t a, b;

	if (dash == NULL || (size_t)(dash - value) >= sizeof(lo) || strlen(dash + 1) >= sizeof(hi)) {
		perr(ps, ps->line, "%s: '%s' is not a range like 20000-29999", k->name, value);
		return -EINVAL;
	}
	memcpy(lo, value, (size_t)(dash - value));
	lo[dash - value] = '\0';
	snprintf(hi, sizeof(hi), "%s", dash + 1);
	if (parse_u32(lo, k->min, k->max, &a) != 0 || parse_u32(hi, k->min, k->max, &b) != 0 ||
	    a > b || ((a & 1) != 0)) {
		perr(ps, ps->line,
		     "%s: '%s' must be LOW-HIGH within %u-%u, LOW even (RTP) and LOW <= HIGH",
		     k->name, value, k->min, k->max);
		return -EINVAL;
	}
	dst[0] = (uint16_t)a;
	dst[1] = (uint16_t)b;
	return 0;
}

/* "/LEN" after an address (keys that take one): the on-link prefix length, 1..bits. */
static int set_plen(struct parse *ps, const struct key *k, void *base, const char *len,
		    unsigned int bits)
{
	uint32_t n;

	if (k->min == 0 || parse_u32(len, 1, bits, &n) != 0) {
		if (k->min == 0)
			perr(ps, ps->line, "%s: takes an address without /LEN", k->name);
		else
			perr(ps, ps->line, "%s: '/%s' is not a prefix length from 1 to %u", k->name,
			     len, bits);
		return -EINVAL;
	}
	*((uint8_t *)base + k->min - 1) = (uint8_t)n;
	return 0;
}

/* An IPv4 or IPv6 address (with "/LEN" where the key takes one: the on-link prefix), and its
 * has_ flag where the key has one. */
static int set_address(struct parse *ps, const struct key *k, void *base, const char *value)
{
	bool v4 = k->type == K_IPV4;
	char addr[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(value, '/');

	snprintf(addr, sizeof(addr), "%.*s", slash ? (int)(slash - value) : (int)strlen(value),
		 value);
	if (inet_pton(v4 ? AF_INET : AF_INET6, addr, (char *)base + k->offset) != 1) {
		perr(ps, ps->line, "%s: '%s' is not an IPv%c address", k->name, value,
		     v4 ? '4' : '6');
		return -EINVAL;
	}
	if (slash != NULL && set_plen(ps, k, base, slash + 1, v4 ? 32 : 128) != 0)
		return -EINVAL;
	if (k->size > 0)
		*((bool *)base + k->size - 1) = true;
	return 0;
}

/* "carrier-a, carrier-b": trunk names in order; whether they exist is checked at the end. */
static int set_route(struct parse *ps, struct sbc_trunk_config *t, const char *value)
{
	char *copy = strdup(value), *save = NULL;

	if (copy == NULL) {
		perr(ps, ps->line, "out of memory");
		return -ENOMEM;
	}
	t->n_route = 0;
	t->route_line = ps->line;
	for (char *tok = strtok_r(copy, ", \t", &save); tok != NULL;
	     tok = strtok_r(NULL, ", \t", &save)) {
		if (!trunk_name_ok(tok))
			perr(ps, ps->line, "route: '%s' is not a trunk name", tok);
		else if (t->n_route == SBC_ROUTE_MAX)
			perr(ps, ps->line, "route: more than %d trunks", SBC_ROUTE_MAX);
		if (ps->failed) {
			free(copy);
			return -EINVAL;
		}
		snprintf(t->route[t->n_route++], SBC_TRUNK_NAME_MAX, "%s", tok);
	}
	free(copy);
	return 0;
}

/* "SHA-256, MD5": the digest algorithms a registrar trunk offers, in order; replaces the
 * default. */
static int set_algorithms(struct parse *ps, struct sbc_trunk_config *t, const char *value)
{
	static const char *const names[SBC_DIGEST_N] = { "MD5", "SHA-256" };
	char copy[64], *save = NULL;
	unsigned int n = 0;
	bool had[SBC_DIGEST_N] = { false };

	if (strlen(value) >= sizeof(copy))
		goto bad;
	memcpy(copy, value, strlen(value) + 1);
	for (char *tok = strtok_r(copy, ", \t", &save); tok != NULL;
	     tok = strtok_r(NULL, ", \t", &save)) {
		int a = strcasecmp(tok, "MD5") == 0 ? SBC_DIGEST_MD5 :
			strcasecmp(tok, "SHA-256") == 0 ? SBC_DIGEST_SHA256 : -1;

		if (a < 0 || had[a])
			goto bad;
		had[a] = true;
		t->algorithms[n++] = (enum sbc_digest_alg)a;
	}
	if (n == 0)
		goto bad;
	t->n_algorithms = n;
	return 0;
bad:
	perr(ps, ps->line, "algorithms: '%s' is not a list of %s and %s (each at most once, the "
	     "preferred first)", value, names[SBC_DIGEST_SHA256], names[SBC_DIGEST_MD5]);
	return -EINVAL;
}

/* "408, 500-599": final status codes (300-699), single or ranges; replaces the default. */
static int set_codes(struct parse *ps, const struct key *k, uint64_t *bits, const char *value)
{
	char *copy = strdup(value), *save = NULL;
	int rc = 0;

	if (copy == NULL) {
		perr(ps, ps->line, "out of memory");
		return -ENOMEM;
	}
	memset(bits, 0, 10 * sizeof(*bits));
	for (char *tok = strtok_r(copy, ", \t", &save); tok != NULL && rc == 0;
	     tok = strtok_r(NULL, ", \t", &save)) {
		char *dash = strchr(tok, '-');
		uint32_t lo, hi;

		if (dash != NULL)
			*dash = '\0';
		if (parse_u32(tok, k->min, k->max, &lo) != 0 ||
		    (dash != NULL && parse_u32(dash + 1, k->min, k->max, &hi) != 0)) {
			rc = -EINVAL;
			break;
		}
		if (dash == NULL)
			hi = lo;
		if (lo > hi) {
			rc = -EINVAL;
			break;
		}
		for (uint32_t c = lo; c <= hi; c++)
			bits[c / 64] |= 1ull << (c % 64);
	}
	free(copy);
	if (rc != 0)
		perr(ps, ps->line, "%s: '%s' must be status codes %u-%u or ranges like 500-599, "
		     "commas between", k->name, value, k->min, k->max);
	return rc;
}

/* sip: or sips: followed by a host (the rest is Sofia's parser's, in the control plane). */
static int set_uri(struct parse *ps, const struct key *k, char *dst, const char *value)
{
	size_t skip = strncmp(value, "sips:", 5) == 0 ? 5 : strncmp(value, "sip:", 4) == 0 ? 4 : 0;

	if (skip == 0 || value[skip] == '\0' || strchr(value, ' ') != NULL ||
	    strlen(value) >= k->size) {
		perr(ps, ps->line, "%s: '%s' is not a sip: or sips: URI like sip:203.0.113.5:5060 "
		     "(at most %zu characters)", k->name, value, k->size - 1);
		return -EINVAL;
	}
	memcpy(dst, value, strlen(value) + 1);
	return 0;
}

/*
 * The port a trunk's uri names, or the default of its scheme and transport (RFC 3261 19.1.2:
 * 5060, and 5061 for sips: or transport=tls). 0 when the host part is malformed. A name that
 * RFC 3263 resolves through SRV may end on another port: the data plane only knows this one.
 */
uint16_t sbc_uri_port(const char *uri)
{
	bool sips = strncmp(uri, "sips:", 5) == 0;
	const char *h = uri + (sips ? 5 : strncmp(uri, "sip:", 4) == 0 ? 4 : 0), *at, *end;
	uint32_t port;

	if (h == uri)
		return 0;
	at = strchr(h, '@');	/* user part: its ':' is a password's, not a port's */
	if (at != NULL && at < h + strcspn(h, ";?"))
		h = at + 1;
	if (*h == '[') {
		h = strchr(h, ']');
		if (h == NULL)
			return 0;
	}
	h += strcspn(h, ":;?>");
	if (*h == ':') {
		end = h + 1 + strspn(h + 1, "0123456789");
		if (!sbc_parse_u32(h + 1, (size_t)(end - h - 1), 65535, &port) || port == 0)
			return 0;
		return (uint16_t)port;
	}
	return sips || strcasestr(uri, ";transport=tls") != NULL ? SBC_SIPS_PORT_DEFAULT :
	       SBC_SIP_PORT_DEFAULT;
}

int sbc_redis_address(const char *a, char *host, size_t hlen, int *port, char *unix_path,
		      size_t ulen)
{
	const char *colon;
	uint32_t p = SBC_REDIS_PORT_DEFAULT;

	host[0] = unix_path[0] = '\0';
	if (strncmp(a, "unix:", 5) == 0) {
		snprintf(unix_path, ulen, "%s", a + 5);
		return unix_path[0] ? 0 : -EINVAL;
	}
	if (a[0] == '[') {
		colon = strchr(a, ']');
		if (colon == NULL)
			return -EINVAL;
		snprintf(host, hlen, "%.*s", (int)(colon - a - 1), a + 1);
		colon = colon[1] == ':' ? colon + 1 : NULL;
	} else {
		colon = strrchr(a, ':');
		if (colon != NULL && strchr(a, ':') != colon)
			colon = NULL;	/* a bare IPv6 address */
		snprintf(host, hlen, "%.*s", colon ? (int)(colon - a) : (int)strlen(a), a);
	}
	if (colon != NULL && (!sbc_parse_u32(colon + 1, strlen(colon + 1), 65535, &p) || p == 0))
		return -EINVAL;
	*port = (int)p;
	return host[0] ? 0 : -EINVAL;
}

/* A file name, relative to the configuration file's directory unless absolute. */
static int set_path(struct parse *ps, const struct key *k, char *dst, const char *value)
{
	int n = value[0] == '/' ? snprintf(dst, k->size, "%s", value) :
		snprintf(dst, k->size, "%s/%s", ps->dir, value);

	if (value[0] == '\0' || n < 0 || (size_t)n >= k->size) {
		perr(ps, ps->line, "%s: '%s' is not a file name of at most %zu characters",
		     k->name, value, k->size - 1);
		return -EINVAL;
	}
	return 0;
}

/* yes / no */
static int set_bool(struct parse *ps, const struct key *k, bool *dst, const char *value)
{
	if (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0) {
		*dst = value[0] == 'y';
		return 0;
	}
	perr(ps, ps->line, "%s: '%s' is not yes or no", k->name, value);
	return -EINVAL;
}

/* A username or realm: it goes into quoted digest parameters (RFC 7616 3.4), so printable
 * ASCII without '"' or '\\'. */
static int set_cred(struct parse *ps, const struct key *k, char *dst, const char *value)
{
	size_t len = strlen(value);
	bool ok = len > 0 && len < k->size;

	for (size_t i = 0; ok && i < len; i++)
		ok = value[i] > ' ' && value[i] < 127 && value[i] != '"' && value[i] != '\\';
	if (!ok) {
		perr(ps, ps->line, "%s: '%s' must be 1-%zu printable characters without blanks, "
		     "'\"' or '\\'", k->name, value, k->size - 1);
		return -EINVAL;
	}
	memcpy(dst, value, len + 1);
	return 0;
}

/* codecs = PCMU, PCMA, telephone-event: rtpmap encoding names (RFC 4566 token characters),
 * compared without case, each once, at most SBC_CODECS_MAX. */
static int set_codecs(struct parse *ps, struct sbc_trunk_config *t, const char *value)
{
	char buf[1024];
	char *save = NULL;

	if (strlen(value) >= sizeof(buf)) {
		perr(ps, ps->line, "codecs: the list is longer than %zu characters", sizeof(buf) - 1);
		return -EINVAL;
	}
	memcpy(buf, value, strlen(value) + 1);
	t->n_codecs = 0;
	for (char *w = strtok_r(buf, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save)) {
		size_t len = strlen(w);
		bool ok = len < SBC_CODEC_NAME_MAX;

		for (size_t i = 0; ok && i < len; i++)
			ok = isalnum((unsigned char)w[i]) || strchr("-._+", w[i]) != NULL;
		if (!ok) {
			perr(ps, ps->line, "codecs: '%s' is not a codec name (letters, digits, "
			     "'-._+', at most %d characters)", w, SBC_CODEC_NAME_MAX - 1);
			return -EINVAL;
		}
		for (unsigned int i = 0; i < t->n_codecs; i++)
			if (strcasecmp(t->codecs[i], w) == 0) {
				perr(ps, ps->line, "codecs: '%s' is listed twice", w);
				return -EINVAL;
			}
		if (t->n_codecs == SBC_CODECS_MAX) {
			perr(ps, ps->line, "codecs: more than %d names", SBC_CODECS_MAX);
			return -EINVAL;
		}
		memcpy(t->codecs[t->n_codecs++], w, len + 1);
	}
	if (t->n_codecs == 0) {
		perr(ps, ps->line, "codecs: no codec named");
		return -EINVAL;
	}
	return 0;
}

/* "198.51.100.11, 2001:db8::11": more addresses of ours for media only (beside address and
 * address6), SBC_MEDIA_ADDRS_MAX of each family. */
static int set_media_addrs(struct parse *ps, struct sbc_config *c, const char *value)
{
	char *copy = strdup(value), *save = NULL;
	int rc = 0;

	if (copy == NULL) {
		perr(ps, ps->line, "out of memory");
		return -ENOMEM;
	}
	c->n_media_addr4 = c->n_media_addr6 = 0;
	for (char *tok = strtok_r(copy, ", \t", &save); tok != NULL && rc == 0;
	     tok = strtok_r(NULL, ", \t", &save)) {
		bool v6 = strchr(tok, ':') != NULL;
		unsigned int *n = v6 ? &c->n_media_addr6 : &c->n_media_addr4;

		if (*n == SBC_MEDIA_ADDRS_MAX) {
			perr(ps, ps->line, "media_addresses: more than %d IPv%c addresses",
			     SBC_MEDIA_ADDRS_MAX, v6 ? '6' : '4');
			rc = -EINVAL;
		} else if (inet_pton(v6 ? AF_INET6 : AF_INET, tok,
				     v6 ? (void *)c->media_addr6[*n] : (void *)c->media_addr4[*n])
			   != 1) {
			perr(ps, ps->line, "media_addresses: '%s' is not an IPv4 or IPv6 address",
			     tok);
			rc = -EINVAL;
		} else {
			(*n)++;
		}
	}
	free(copy);
	return rc;
}

static int set_key(struct parse *ps, const struct key *k, void *base, const char *value)
{
	char *dst = (char *)base + k->offset;

	switch (k->type) {
	case K_IPV4:
	case K_IPV6:
		return set_address(ps, k, base, value);
	case K_U16:
	case K_U32:
		return set_number(ps, k, dst, value);
	case K_STR:
		if (strlen(value) >= k->size || value[0] == '\0') {
			perr(ps, ps->line, "%s: value must be 1-%zu characters", k->name,
			     k->size - 1);
			return -EINVAL;
		}
		memcpy(dst, value, strlen(value) + 1);
		return 0;
	case K_CHOICE:
		return set_choice(ps, k, (int *)dst, value);
	case K_AUTH:
		return set_choice(ps, k, (int *)dst, value);
	case K_RANGE:
		return set_range(ps, k, (uint16_t *)dst, value);
	case K_EMERGENCY:
		return set_emergency(ps, value);
	case K_MEDIA_ADDRS:
		return set_media_addrs(ps, ps->cfg, value);
	case K_PEERS:
		return add_peer_list(ps, base, value, ps->line);
	case K_PEERS_FILE:
		return add_peer_file(ps, base, value, ps->line);
	case K_ROLE: {
		int i;

		if (set_choice(ps, k, &i, value) != 0)
			return -EINVAL;
		*(enum sbc_trunk_role *)dst = (enum sbc_trunk_role)(i + 1);
		return 0;
	}
	case K_URI:
		return set_uri(ps, k, dst, value);
	case K_ROUTE:
		return set_route(ps, base, value);
	case K_CODES:
		return set_codes(ps, k, (uint64_t *)dst, value);
	case K_PATH:
		return set_path(ps, k, dst, value);
	case K_BOOL:
		return set_bool(ps, k, (bool *)dst, value);
	case K_CRED:
		return set_cred(ps, k, dst, value);
	case K_PWFILE:
		((struct sbc_trunk_config *)base)->password_file_line = ps->line;
		return set_path(ps, k, dst, value);
	case K_ALGS:
		return set_algorithms(ps, base, value);
	case K_CODECS:
		return set_codecs(ps, base, value);
	}
	return -EINVAL;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;
	void *base = ps->cfg;
	uint64_t *seen;
	size_t i;

	(void)section;	/* the reader tracked it, with its line */
	if (ps->failed)
		return 1;
	if (ps->section == S_NONE && ps->section_name[0] == '\0') {
		perr(ps, ps->line, "'%s' is outside any section", name);
		return 0;
	}
	if (ps->section == S_NONE || (ps->section == S_TRUNK && ps->trunk < 0))
		return 0;	/* the header's error is already reported */

	for (i = 0; i < N_KEYS; i++)
		if (keys[i].section == ps->section && strcmp(keys[i].name, name) == 0)
			break;
	if (i == N_KEYS) {
		perr(ps, ps->line, "unknown key '%s' in [%s]", name, ps->section_name);
		return 0;
	}
	if (ps->section == S_TRUNK) {
		base = &ps->cfg->trunks[ps->trunk];
		seen = &ps->cfg->trunks[ps->trunk].seen;
	} else {
		seen = &ps->seen[ps->section];
	}
	/* peers may repeat and continue on indented lines; every other key is set once */
	if ((*seen & (1ull << key_bit(i))) && keys[i].type != K_PEERS &&
	    keys[i].type != K_PEERS_FILE) {
		perr(ps, ps->line, "'%s' is set twice in [%s]", name, ps->section_name);
		return 0;
	}
	*seen |= 1ull << key_bit(i);
	return set_key(ps, &keys[i], base, value) == 0;
}

/* Routes name existing trunks with a uri; roles are set once any trunk routes. */
static void validate_routes(struct parse *ps)
{
	struct sbc_config *cfg = ps->cfg;
	bool routing = false;

	for (unsigned int i = 0; i < cfg->n_trunks; i++)
		routing |= cfg->trunks[i].n_route > 0;
	for (unsigned int i = 0; i < cfg->n_trunks && !ps->failed; i++) {
		const struct sbc_trunk_config *t = &cfg->trunks[i];

		if (routing && t->role == SBC_ROLE_NONE)
			perr(ps, t->line, "[trunk %s] needs role = floor or carrier (trunks route calls)",
			     t->name);
		for (unsigned int r = 0; r < t->n_route && !ps->failed; r++) {
			int to = sbc_config_trunk_index(cfg, t->route[r]);

			if (to < 0)
				perr(ps, t->route_line, "route: no trunk '%s'", t->route[r]);
			else if (!sbc_trunk_routable(&cfg->trunks[to]))
				perr(ps, t->route_line, "route: trunk '%s' has no uri to send calls to "
				     "(nor auth = digest or both: its registered contacts)", t->route[r]);
		}
	}
}

void sbc_trunk_realm(const struct sbc_config *cfg, const struct sbc_trunk_config *t, char *buf,
		     size_t len)
{
	if (t->realm[0] != '\0')
		snprintf(buf, len, "%s", t->realm);
	else if (len >= INET_ADDRSTRLEN)
		inet_ntop(AF_INET, cfg->address, buf, (socklen_t)len);
	else if (len > 0)
		buf[0] = '\0';
}

/* Was key `name` set in trunk t? */
static bool trunk_has(const struct sbc_trunk_config *t, const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (keys[i].section == S_TRUNK && strcmp(keys[i].name, name) == 0)
			return (t->seen >> key_bit(i)) & 1;
	return false;
}

/* The first line of a password_file, without its line end; an empty one is an error. */
static void read_password_file(struct parse *ps, struct sbc_trunk_config *t)
{
	FILE *f = fopen(t->password_file, "r");
	char line[SBC_CRED_MAX + 2];

	if (f == NULL) {
		perr(ps, t->password_file_line, "password_file '%s': %s", t->password_file,
		     strerror(errno));
		return;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '\0' || strlen(line) >= SBC_CRED_MAX)
		perr(ps, t->password_file_line, "password_file '%s': the first line must be the "
		     "password (1-%d characters)", t->password_file, SBC_CRED_MAX - 1);
	else
		memcpy(t->password, line, strlen(line) + 1);
}

/* register = yes: a carrier with a uri and credentials (RFC 3261 10.2). */
static void validate_register(struct parse *ps, struct sbc_trunk_config *t, bool routing)
{
	if (!t->reg) {
		static const char *const only[] = { "username", "password", "password_file",
						    "expires" };

		for (unsigned int k = 0; k < 4 && !ps->failed; k++)
			if (trunk_has(t, only[k]))
				perr(ps, t->line, "[trunk %s] %s is only for register = yes", t->name,
				     only[k]);
		return;
	}
	if (t->uri[0] == '\0')
		perr(ps, t->line, "[trunk %s] register = yes needs uri (the registrar)", t->name);
	else if (t->username[0] == '\0')
		perr(ps, t->line, "[trunk %s] register = yes needs username", t->name);
	else if (trunk_has(t, "password") == trunk_has(t, "password_file"))
		perr(ps, t->line, "[trunk %s] register = yes needs password or password_file "
		     "(one of them)", t->name);
	else if (t->auth != SBC_AUTH_IP || t->role == SBC_ROLE_FLOOR)
		perr(ps, t->line, "[trunk %s] register = yes is for a carrier (role = carrier, "
		     "auth = ip)", t->name);
	else if (!routing)
		perr(ps, t->line, "[trunk %s] register = yes needs the SIP endpoint: some trunk "
		     "must have a route", t->name);
	else if (trunk_has(t, "password_file"))
		read_password_file(ps, t);
}

/* auth = digest | both: a floor whose realm names it (the Request-URI host of its REGISTERs). */
static void validate_registrar(struct parse *ps, struct sbc_trunk_config *t, bool routing)
{
	struct sbc_config *cfg = ps->cfg;
	char realm[SBC_CRED_MAX], other[SBC_CRED_MAX];

	if (t->auth == SBC_AUTH_IP) {
		if (!t->reg && trunk_has(t, "realm"))
			perr(ps, t->line, "[trunk %s] realm is only for register = yes or "
			     "auth = digest|both", t->name);
		else if (trunk_has(t, "algorithms"))
			perr(ps, t->line, "[trunk %s] algorithms is only for auth = digest|both",
			     t->name);
		return;
	}
	if (t->role == SBC_ROLE_CARRIER)
		perr(ps, t->line, "[trunk %s] auth = digest|both is for a floor trunk (its PBXs "
		     "register to the SBC)", t->name);
	else if (!routing)
		perr(ps, t->line, "[trunk %s] auth = digest|both needs the SIP endpoint: some trunk "
		     "must have a route", t->name);
	sbc_trunk_realm(cfg, t, realm, sizeof(realm));
	for (unsigned int j = 0; j < cfg->n_trunks && !ps->failed; j++) {
		const struct sbc_trunk_config *o = &cfg->trunks[j];

		if (o == t || o->auth == SBC_AUTH_IP)
			continue;
		sbc_trunk_realm(cfg, o, other, sizeof(other));
		if (o < t && strcasecmp(realm, other) == 0)
			perr(ps, t->line, "[trunk %s] realm '%s' is trunk '%s''s too; a REGISTER's "
			     "realm names its trunk", t->name, realm, o->name);
	}
}

static void validate_auth(struct parse *ps)
{
	struct sbc_config *cfg = ps->cfg;
	bool routing = false;

	for (unsigned int i = 0; i < cfg->n_trunks; i++)
		routing |= cfg->trunks[i].n_route > 0;
	for (unsigned int i = 0; i < cfg->n_trunks && !ps->failed; i++) {
		validate_register(ps, &cfg->trunks[i], routing);
		if (!ps->failed)
			validate_registrar(ps, &cfg->trunks[i], routing);
	}
}

/* RFC 3261 26.2: TLS needs a certificate and its key, readable now (Sofia-SIP would only log
 * and then fail every handshake). */
static void validate_tls(struct parse *ps)
{
	const struct sbc_config *cfg = ps->cfg;
	const char *const files[][2] = { { "tls_certificate", cfg->tls_certificate },
					 { "tls_key", cfg->tls_key }, { "tls_ca", cfg->tls_ca } };

	if (cfg->tls_port == 0)
		return;
	if (cfg->tls_port == cfg->sip_port) {
		perr(ps, 0, "[sbc] tls_port %u is sip_port too", cfg->tls_port);
		return;
	}
	for (unsigned int i = 0; i < 3 && !ps->failed; i++) {
		FILE *f;

		if (files[i][1][0] == '\0') {
			if (i < 2)
				perr(ps, 0, "[sbc] tls_port needs %s (a PEM file)", files[i][0]);
			continue;
		}
		f = fopen(files[i][1], "r");
		if (f == NULL)
			perr(ps, 0, "[sbc] %s '%s': %s", files[i][0], files[i][1], strerror(errno));
		else
			fclose(f);
	}
}

/* SDES keys travel in the SDP, so a trunk with srtp = sdes must signal over TLS only: a sips: or
 * transport=tls uri for a trunk we call, the [sbc] tls_port for one that calls us. */
static void validate_media(struct parse *ps)
{
	const struct sbc_config *cfg = ps->cfg;

	for (unsigned int i = 0; i < cfg->n_trunks && !ps->failed; i++) {
		const struct sbc_trunk_config *t = &cfg->trunks[i];

		if (t->srtp != SBC_SRTP_MODE_SDES)
			continue;
		if (t->media == SBC_MEDIA_MODE_DIRECT)
			perr(ps, t->line, "[trunk %s] srtp = sdes needs media = relay (the SBC holds "
			     "the keys)", t->name);
		else if (t->uri[0] != '\0' && strncasecmp(t->uri, "sips:", 5) != 0 &&
			 strcasestr(t->uri, ";transport=tls") == NULL)
			perr(ps, t->line, "[trunk %s] srtp = sdes sends keys in the SDP: its uri '%s' "
			     "must be sips: or ;transport=tls", t->name, t->uri);
		else if (t->uri[0] == '\0' && cfg->tls_port == 0)
			perr(ps, t->line, "[trunk %s] srtp = sdes sends keys in the SDP: [sbc] tls_port "
			     "must be set for it to call over TLS", t->name);
	}
}

/* Checks that need the whole file: required keys, a prefix in two trunks. */
static void validate(struct parse *ps)
{
	struct sbc_config *cfg = ps->cfg;

	if (!(ps->seen[S_SBC] & 1u))
		perr(ps, 0, "[sbc] address is required");
	else if (cfg->wire[0] == '\0')
		perr(ps, 0, "[dataplane] wire is required (DPDK device name of the network port)");
	else if (cfg->exception[0] == '\0')
		perr(ps, 0, "[dataplane] exception is required (DPDK device name towards the kernel)");
	else if (strcmp(cfg->wire, cfg->exception) == 0)
		perr(ps, 0, "[dataplane] wire and exception are the same device '%s'", cfg->wire);
	else if (cfg->channel[0] != '/' || strchr(cfg->channel + 1, '/') != NULL)
		perr(ps, 0, "[dataplane] channel '%s' must be a POSIX shm name like /sbc-channel",
		     cfg->channel);
	/* A prefix in two trunks (longest prefix would have no answer) is caught as it is read. */
	if (!ps->failed)
		validate_routes(ps);
	if (!ps->failed)
		validate_tls(ps);
	if (!ps->failed)
		validate_auth(ps);
	if (!ps->failed)
		validate_media(ps);
}

static int load_stream(struct sbc_config *cfg, FILE *fp, const char *name, char *err,
		       size_t errlen)
{
	struct parse ps = { .cfg = cfg, .name = name, .fp = fp, .trunk = -1, .err = err,
			    .errlen = errlen };
	char tmp[4096];
	int rc;

	snprintf(tmp, sizeof(tmp), "%s", name);
	snprintf(ps.dir, sizeof(ps.dir), "%s", dirname(tmp));
	snprintf(cfg->path, sizeof(cfg->path), "%s", name);
	/* Debian's libinih makes these runtime settings: long peers lines must not be cut. */
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = 1 << 20;
	ini_allow_multiline = true;

	rc = ini_parse_stream(reader, &ps, handler, &ps);
	if (rc > 0 && !ps.failed)
		perr(&ps, (unsigned int)rc, "not a 'key = value' line, [section] or comment");
	else if (rc < 0 && !ps.failed)
		perr(&ps, 0, "cannot parse (%s)", rc == -2 ? "out of memory" : "read error");
	if (!ps.failed)
		validate(&ps);
	free(ps.idx.slot);
	return ps.failed ? -EINVAL : 0;
}

int sbc_config_load(struct sbc_config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *fp;
	int rc;

	sbc_config_defaults(cfg);
	fp = fopen(path, "r");
	if (fp == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	rc = load_stream(cfg, fp, path, err, errlen);
	fclose(fp);
	return rc;
}

int sbc_config_load_string(struct sbc_config *cfg, const char *text, const char *name,
			   char *err, size_t errlen)
{
	FILE *fp;
	int rc;

	sbc_config_defaults(cfg);
	fp = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return -errno;
	}
	rc = load_stream(cfg, fp, name, err, errlen);
	fclose(fp);
	return rc;
}

void sbc_config_free(struct sbc_config *cfg)
{
	for (unsigned int i = 0; i < cfg->n_trunks; i++) {
		free(cfg->trunks[i].peers);
		free(cfg->trunks[i].peer_lines);
	}
	free(cfg->trunks);
	cfg->trunks = NULL;
	cfg->n_trunks = 0;
}
