/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the configuration loader (common/sbc_config.c): a full good file, defaults,
 * and every class of bad line, each checked for the exact "file:line: message".
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "sbc_config.h"

#define BASE "[sbc]\naddress = 198.51.100.10\n[dataplane]\nwire = net_pcap0\nexception = net_pcap1\n"

static void good_full(void **state)
{
	struct sbc_config c;
	char err[512] = "";
	const char *text =
		"; comment\n"
		"# another\n"
		"[sbc]\n"
		"address   = 198.51.100.10/24\n"
		"address6  = 2001:db8::10/64   ; inline comment\n"
		"gateway   = 198.51.100.1\n"
		"gateway6  = 2001:db8::1\n"
		"sip_port  = 5080\n"
		"unlisted  = reject\n"
		"reject_rate = 7\n"
		"media_ports = 30000-30999\n"
		"media_addresses = 198.51.100.11, 2001:db8::11 198.51.100.12\n"
		"emergency = 911, 112 000\n"
		"max_call_duration = 7200\n"
		"retry_after = 9\n"
		"[dataplane]\n"
		"calls = 5000\n"
		"frag_flows = 64\n"
		"frag_timeout_ms = 500\n"
		"wire      = 0000:3b:00.0\n"
		"exception = net_tap0\n"
		"workers   = 2\n"
		"channel   = /sbc-test\n"
		"[redis]\n"
		"address   = 127.0.0.1:6390\n"
		"password  = s3cret\n"
		"database  = 3\n"
		"[trunk carrier-a]\n"
		"peers     = 203.0.113.0/24, 2001:db8:100::/48\n"
		"peers     = 198.51.100.7\n"
		"  198.51.100.8/32 198.51.100.9\n"
		"auth      = ip\n"
		"cps       = 50\n"
		"burst     = 10\n"
		"max_calls = 200\n"
		"over_limit = drop\n"
		"[trunk pbx_2.floor]\n"
		"over_limit = reject\n";

	(void)state;
	assert_int_equal(sbc_config_load_string(&c, text, "t.conf", err, sizeof(err)), 0);
	assert_int_equal(c.sip_port, 5080);
	assert_int_equal(c.unlisted, SBC_UNLISTED_REJECT);
	assert_int_equal(c.reject_rate, 7);
	assert_int_equal(c.media_port_min, 30000);
	assert_int_equal(c.media_port_max, 30999);
	assert_true(c.has_address6);
	assert_true(c.has_gateway);
	assert_true(c.has_gateway6);
	assert_int_equal(c.gateway6[15], 1);
	assert_int_equal(c.address_plen, 24);
	assert_int_equal(c.address6_plen, 64);
	assert_int_equal(c.n_media_addr4, 2);
	assert_int_equal(c.n_media_addr6, 1);
	assert_int_equal(c.media_addr4[1][3], 12);
	assert_int_equal(c.media_addr6[0][15], 0x11);
	assert_int_equal(c.address[0], 198);
	assert_int_equal(c.address6[15], 0x10);
	assert_string_equal(c.wire, "0000:3b:00.0");
	assert_string_equal(c.exception, "net_tap0");
	assert_int_equal(c.workers, 2);
	assert_string_equal(c.channel, "/sbc-test");
	assert_string_equal(c.redis_address, "127.0.0.1:6390");
	assert_string_equal(c.redis_password, "s3cret");
	assert_int_equal(c.redis_database, 3);
	assert_int_equal(c.n_trunks, 2);
	assert_string_equal(c.trunks[0].name, "carrier-a");
	assert_int_equal(c.trunks[0].n_peers, 5);
	assert_int_equal(c.trunks[0].peer_lines[4], 31);
	assert_int_equal(c.trunks[0].over_limit, SBC_OVER_LIMIT_DROP);
	assert_int_equal(c.trunks[1].over_limit, SBC_OVER_LIMIT_REJECT);
	assert_int_equal(c.n_emergency, 3);
	assert_string_equal(c.emergency[2], "000");
	assert_int_equal(c.max_call_duration, 7200);
	assert_int_equal(c.retry_after, 9);
	assert_int_equal(c.calls, 5000);
	assert_int_equal(c.frag_flows, 64);
	assert_int_equal(c.frag_timeout_ms, 500);
	assert_int_equal(c.trunks[0].auth, SBC_AUTH_IP);
	assert_int_equal(c.trunks[0].cps, 50);
	assert_int_equal(c.trunks[0].burst, 10);
	assert_int_equal(c.trunks[0].max_calls, 200);
	assert_string_equal(c.trunks[1].name, "pbx_2.floor");
	assert_int_equal(c.trunks[1].auth, SBC_AUTH_IP);
	assert_int_equal(c.trunks[1].n_peers, 0);
	assert_int_equal(sbc_config_trunk_index(&c, "pbx_2.floor"), 1);
	assert_int_equal(sbc_config_trunk_index(&c, "nope"), -1);
	sbc_config_free(&c);
}

static void defaults(void **state)
{
	struct sbc_config c;
	char err[512] = "";

	(void)state;
	assert_int_equal(sbc_config_load_string(&c, BASE, "d.conf", err, sizeof(err)), 0);
	assert_int_equal(c.sip_port, 5060);
	assert_int_equal(c.unlisted, SBC_UNLISTED_DROP);
	assert_int_equal(c.workers, 1);
	assert_string_equal(c.channel, "/sbc-channel");
	assert_false(c.has_address6);
	assert_int_equal(c.n_trunks, 0);
	assert_int_equal(c.n_emergency, 4);	/* 911, 933, 112, 999 */
	assert_string_equal(c.emergency[0], "911");
	assert_string_equal(c.emergency[3], "999");
	assert_int_equal(c.max_call_duration, 14400);
	assert_int_equal(c.retry_after, 5);
	assert_int_equal(c.calls, 262144);
	sbc_config_free(&c);
}

struct bad {
	const char *text;
	const char *want;	/* the whole message */
};

static const struct bad bads[] = {
	/* syntax */
	{ BASE "this is not ini\n", "b.conf:6: not a 'key = value' line, [section] or comment" },
	{ "address = 1.2.3.4\n", "b.conf:1: 'address' is outside any section" },
	/* unknown section / key */
	{ BASE "[carrier]\npeers = 1.2.3.4\n",
	  "b.conf:6: unknown section [carrier] (expected sbc, dataplane, redis or trunk NAME)" },
	{ BASE "[sbc]\n", "b.conf:6: section [sbc] appears twice" },
	{ BASE "colour = blue\n", "b.conf:6: unknown key 'colour' in [dataplane]" },
	{ BASE "[trunk a]\npeer = 1.2.3.4\n", "b.conf:7: unknown key 'peer' in [trunk a]" },
	/* duplicates */
	{ BASE "workers = 1\nworkers = 2\n", "b.conf:7: 'workers' is set twice in [dataplane]" },
	{ BASE "[trunk a]\n[trunk a]\n", "b.conf:7: trunk 'a' is already defined at line 6" },
	/* values */
	{ "[sbc]\naddress = 198.51.100.300\n",
	  "b.conf:2: address: '198.51.100.300' is not an IPv4 address" },
	{ "[sbc]\naddress6 = 2001:db8::zz\n",
	  "b.conf:2: address6: '2001:db8::zz' is not an IPv6 address" },
	{ "[sbc]\naddress = 198.51.100.10/33\n",
	  "b.conf:2: address: '/33' is not a prefix length from 1 to 32" },
	{ "[sbc]\naddress6 = 2001:db8::10/0\n",
	  "b.conf:2: address6: '/0' is not a prefix length from 1 to 128" },
	{ "[sbc]\ngateway = 198.51.100.1/24\n",
	  "b.conf:2: gateway: takes an address without /LEN" },
	{ "[sbc]\nmedia_addresses = 198.51.100.11, 198.51.100.300\n",
	  "b.conf:2: media_addresses: '198.51.100.300' is not an IPv4 or IPv6 address" },
	{ "[sbc]\nmedia_addresses = 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5 10.0.0.6 "
	  "10.0.0.7 10.0.0.8 10.0.0.9\n",
	  "b.conf:2: media_addresses: more than 8 IPv4 addresses" },
	{ "[sbc]\nsip_port = 0\n", "b.conf:2: sip_port: '0' is not a whole number from 1 to 65535" },
	{ "[sbc]\nsip_port = 65536\n",
	  "b.conf:2: sip_port: '65536' is not a whole number from 1 to 65535" },
	{ "[sbc]\nsip_port = 50x\n", "b.conf:2: sip_port: '50x' is not a whole number from 1 to 65535" },
	{ "[sbc]\nsip_port = -1\n", "b.conf:2: sip_port: '-1' is not a whole number from 1 to 65535" },
	{ "[sbc]\nsip_port = 5060 # comment\n",
	  "b.conf:2: sip_port: '5060 # comment' is not a whole number from 1 to 65535" },
	{ "[sbc]\nunlisted = deny\n", "b.conf:2: unlisted: 'deny' is not drop or reject" },
	{ "[sbc]\nmedia_ports = 30001-30000\n",
	  "b.conf:2: media_ports: '30001-30000' must be LOW-HIGH within 1024-65535, LOW even (RTP) and LOW <= HIGH" },
	{ "[sbc]\nmedia_ports = 20000\n",
	  "b.conf:2: media_ports: '20000' is not a range like 20000-29999" },
	{ BASE "workers = 0\n", "b.conf:6: workers: '0' is not a whole number from 1 to 127" },
	{ BASE "channel =\n", "b.conf:6: channel: value must be 1-127 characters" },
	{ BASE "[trunk a]\nauth = token\n", "b.conf:7: auth: 'token' is not ip, digest or both" },
	{ BASE "[trunk a]\nauth = digest\n", "b.conf:6: [trunk a] auth = digest|both needs the SIP "
	  "endpoint: some trunk must have a route" },
	{ "[sbc]\nregister_rate = 100001\n",
	  "b.conf:2: register_rate: '100001' is not a whole number from 0 to 100000" },
	{ "[sbc]\nregister_rate = 2/s\n",
	  "b.conf:2: register_rate: '2/s' is not a whole number from 0 to 100000" },
	{ BASE "register_sources = 63\n",
	  "b.conf:6: register_sources: '63' is not a whole number from 64 to 4194304" },
	{ BASE "deny_entries = 8\n",
	  "b.conf:6: deny_entries: '8' is not a whole number from 16 to 4194304" },
	{ BASE "[trunk a]\ncps = fast\n", "b.conf:7: cps: 'fast' is not a whole number from 0 to 1000000" },
	{ BASE "[trunk a]\nover_limit = busy\n", "b.conf:7: over_limit: 'busy' is not reject or drop" },
	{ "[sbc]\nemergency = 911, 1-1-2\n", "b.conf:2: emergency: '1-1-2' is not a number of 1-15 digits" },
	{ "[sbc]\nemergency = 1234567890123456\n",
	  "b.conf:2: emergency: '1234567890123456' is not a number of 1-15 digits" },
	{ "[sbc]\nemergency = 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n",
	  "b.conf:2: emergency: more than 16 numbers" },
	{ "[sbc]\nmax_call_duration = 10\n",
	  "b.conf:2: max_call_duration: '10' is not a whole number from 60 to 604800" },
	{ "[sbc]\nretry_after = 0\n", "b.conf:2: retry_after: '0' is not a whole number from 1 to 86400" },
	{ BASE "calls = 10\n", "b.conf:6: calls: '10' is not a whole number from 1024 to 16777216" },
	{ BASE "frag_timeout_ms = 99999\n",
	  "b.conf:6: frag_timeout_ms: '99999' is not a whole number from 100 to 30000" },
	{ BASE "poll = sleepy\n", "b.conf:6: poll: 'sleepy' is not busy or adaptive" },
	{ BASE "poll_sleep_max_us = 0\n",
	  "b.conf:6: poll_sleep_max_us: '0' is not a whole number from 1 to 1000" },
	{ BASE "poll_sleep_max_us = 1001\n",
	  "b.conf:6: poll_sleep_max_us: '1001' is not a whole number from 1 to 1000" },
	{ BASE "poll_sleep_max_us = 100us\n",
	  "b.conf:6: poll_sleep_max_us: '100us' is not a whole number from 1 to 1000" },
	/* media */
	{ "[sbc]\nmedia_timeout = 4\n",
	  "b.conf:2: media_timeout: '4' is not a whole number from 5 to 3600" },
	{ BASE "[trunk a]\nmedia = anchor\n", "b.conf:7: media: 'anchor' is not relay or direct" },
	{ BASE "[trunk a]\nsrtp = dtls\n", "b.conf:7: srtp: 'dtls' is not no or sdes" },
	{ BASE "[trunk a]\nmedia_latch = 1\n", "b.conf:7: media_latch: '1' is not yes or no" },
	{ BASE "[trunk a]\ncodecs = PCMU, G.729/8000\n",
	  "b.conf:7: codecs: 'G.729/8000' is not a codec name (letters, digits, '-._+', at most 31 characters)" },
	{ BASE "[trunk a]\ncodecs = PCMU, pcmu\n", "b.conf:7: codecs: 'pcmu' is listed twice" },
	{ BASE "[trunk a]\ncodecs = ,\n", "b.conf:7: codecs: no codec named" },
	{ BASE "[trunk a]\ncodecs = PCMU\ncodecs = PCMA\n", "b.conf:8: 'codecs' is set twice in [trunk a]" },
	{ BASE "[trunk a]\nrole = carrier\nuri = sip:203.0.113.5\nsrtp = sdes\n"
	  "[trunk f]\nrole = floor\nroute = a\n",
	  "b.conf:6: [trunk a] srtp = sdes sends keys in the SDP: its uri 'sip:203.0.113.5' must be sips: or ;transport=tls" },
	{ BASE "[trunk a]\nsrtp = sdes\n",
	  "b.conf:6: [trunk a] srtp = sdes sends keys in the SDP: [sbc] tls_port must be set for it to call over TLS" },
	{ BASE "[trunk a]\nsrtp = sdes\nmedia = direct\n",
	  "b.conf:6: [trunk a] srtp = sdes needs media = relay (the SBC holds the keys)" },
	/* trunk names */
	{ BASE "[trunk bad/name]\n",
	  "b.conf:6: trunk name 'bad/name' must be 1-31 characters of A-Z a-z 0-9 - _ ." },
	{ BASE "[trunk abcdefghijabcdefghijabcdefghijab]\n",
	  "b.conf:6: trunk name 'abcdefghijabcdefghijabcdefghijab' must be 1-31 characters of A-Z a-z 0-9 - _ ." },
	/* CIDRs */
	{ BASE "[trunk a]\npeers = 10.0.0.0/33\n", "b.conf:7: '10.0.0.0/33': prefix length is larger than 32" },
	{ BASE "[trunk a]\npeers = 198.51.100.0/24, hello\n",
	  "b.conf:7: 'hello' is not an IPv4 or IPv6 address" },
	{ BASE "[trunk a]\npeers = 203.0.113.7/24\n",
	  "b.conf:7: '203.0.113.7/24' has host bits set (did you mean 203.0.113.0/24?)" },
	{ BASE "[trunk a]\npeers = 2001:db8::/129\n",
	  "b.conf:7: '2001:db8::/129': prefix length is larger than 128" },
	{ BASE "[trunk a]\npeers = 203.0.113.0/24\n 203.0.113.0/24\n",
	  "b.conf:8: 203.0.113.0/24 is listed twice in trunk 'a'" },
	{ BASE "[trunk a]\npeers = 203.0.113.0/24\n[trunk b]\npeers = 198.51.100.0/24 203.0.113.0/24\n",
	  "b.conf:9: 203.0.113.0/24 is in trunk 'b' and in trunk 'a' (line 7); a prefix belongs to one trunk" },
	{ BASE "[trunk a]\npeers_file = /nonexistent/peers.txt\n",
	  "b.conf:7: peers_file '/nonexistent/peers.txt': No such file or directory" },
	/* whole-file checks */
	{ "[dataplane]\nwire = a\nexception = b\n", "b.conf: [sbc] address is required" },
	{ "[sbc]\naddress = 198.51.100.10\n[dataplane]\nexception = b\n",
	  "b.conf: [dataplane] wire is required (DPDK device name of the network port)" },
	{ "[sbc]\naddress = 198.51.100.10\n[dataplane]\nwire = b\nexception = b\n",
	  "b.conf: [dataplane] wire and exception are the same device 'b'" },
	{ BASE "channel = sbc\n", "b.conf: [dataplane] channel 'sbc' must be a POSIX shm name like /sbc-channel" },
	/* the B2BUA's keys */
	{ BASE "[trunk a]\nrole = pbx\n", "b.conf:7: role: 'pbx' is not floor or carrier" },
	{ BASE "[trunk a]\nuri = http://x\n", "b.conf:7: uri: 'http://x' is not a sip: or sips: "
	  "URI like sip:203.0.113.5:5060 (at most 255 characters)" },
	{ BASE "[trunk a]\nuri = sip:\n", "b.conf:7: uri: 'sip:' is not a sip: or sips: "
	  "URI like sip:203.0.113.5:5060 (at most 255 characters)" },
	{ BASE "[trunk a]\nroute = b/c\n", "b.conf:7: route: 'b/c' is not a trunk name" },
	{ BASE "[trunk a]\nrole = floor\nroute = b\n", "b.conf:8: route: no trunk 'b'" },
	{ BASE "[trunk a]\nrole = floor\nroute = b\n[trunk b]\nrole = carrier\n",
	  "b.conf:8: route: trunk 'b' has no uri to send calls to (nor auth = digest or both: "
	  "its registered contacts)" },
	{ BASE "[trunk a]\nroute = b\n[trunk b]\nuri = sip:203.0.113.5\n",
	  "b.conf:6: [trunk a] needs role = floor or carrier (trunks route calls)" },
	{ BASE "[trunk a]\nfailover_codes = 404, 200\n", "b.conf:7: failover_codes: '404, 200' "
	  "must be status codes 300-699 or ranges like 500-599, commas between" },
	{ BASE "[trunk a]\nfailover_codes = 599-500\n", "b.conf:7: failover_codes: '599-500' "
	  "must be status codes 300-699 or ranges like 500-599, commas between" },
	{ BASE "[trunk a]\noptions_misses = 0\n",
	  "b.conf:7: options_misses: '0' is not a whole number from 1 to 1000" },
	{ BASE "[trunk a]\noptions_interval = 1d\n",
	  "b.conf:7: options_interval: '1d' is not a whole number from 0 to 86400" },
	{ BASE "[trunk a]\nmax_calls_out = -3\n",
	  "b.conf:7: max_calls_out: '-3' is not a whole number from 0 to 10000000" },
	{ BASE "[redis]\ncdr_maxlen = 0\n",
	  "b.conf:7: cdr_maxlen: '0' is not a whole number from 1 to 1000000000" },
	{ "[sbc]\naddress = 198.51.100.10\ntls_port = 5061\ntls_key = /k.pem\n"
	  "[dataplane]\nwire = a\nexception = b\n", "b.conf: [sbc] tls_port needs tls_certificate (a PEM file)" },
	{ "[sbc]\naddress = 198.51.100.10\ntls_port = 5061\ntls_certificate = /nonexistent/c.pem\n"
	  "tls_key = /nonexistent/k.pem\n[dataplane]\nwire = a\nexception = b\n",
	  "b.conf: [sbc] tls_certificate '/nonexistent/c.pem': No such file or directory" },
	{ "[sbc]\naddress = 198.51.100.10\ntls_port = 5060\n[dataplane]\nwire = a\nexception = b\n",
	  "b.conf: [sbc] tls_port 5060 is sip_port too" },
};

/* Each text must fail to load with exactly its message (file name `name`). */
static void expect_bads(const struct bad *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		struct sbc_config c;
		char err[512] = "";
		int rc = sbc_config_load_string(&c, v[i].text, name, err, sizeof(err));

		if (rc != -EINVAL || strcmp(err, v[i].want) != 0)
			fail_msg("case %zu: rc %d\n  got:  %s\n  want: %s", i, rc, err, v[i].want);
		sbc_config_free(&c);
	}
}

static void bad_lines(void **state)
{
	(void)state;
	expect_bads(bads, sizeof(bads) / sizeof(bads[0]), "b.conf");
}

/* The B2BUA's keys: roles, uris, routes, failover codes, OPTIONS, caps, TLS files, CDRs. */
static void b2bua_keys(void **state)
{
	struct sbc_config c;
	char err[512] = "", text[1024];
	const struct sbc_trunk_config *f, *a, *b;

	(void)state;
	snprintf(text, sizeof(text), "[sbc]\naddress = 198.51.100.10\ntls_port = 5061\n"
		 "tls_certificate = /dev/null\ntls_key = /dev/null\ntls_ca = /dev/null\n"
		 "[dataplane]\nwire = a\nexception = b\n[redis]\ncdr_maxlen = 5000\n"
		 "[trunk floor]\nrole = floor\nroute = carrier-a, carrier-b\n"
		 "[trunk carrier-a]\nrole = carrier\nuri = sip:203.0.113.5:5060\n"
		 "failover_codes = 404, 486-487, 503\nmax_calls_out = 300\noptions_interval = 0\n"
		 "[trunk carrier-b]\nrole = carrier\nuri = sips:sip.carrier-b.example\n"
		 "options_misses = 2\n");
	assert_int_equal(sbc_config_load_string(&c, text, "k.conf", err, sizeof(err)), 0);
	f = &c.trunks[0], a = &c.trunks[1], b = &c.trunks[2];
	assert_int_equal(c.tls_port, 5061);
	assert_string_equal(c.tls_key, "/dev/null");
	assert_int_equal(c.cdr_maxlen, 5000);
	assert_int_equal(f->role, SBC_ROLE_FLOOR);
	assert_int_equal(f->n_route, 2);
	assert_string_equal(f->route[1], "carrier-b");
	assert_int_equal(a->role, SBC_ROLE_CARRIER);
	assert_string_equal(a->uri, "sip:203.0.113.5:5060");
	assert_true(sbc_trunk_fails_over(a, 404) && sbc_trunk_fails_over(a, 486) &&
		    sbc_trunk_fails_over(a, 487) && sbc_trunk_fails_over(a, 503));
	assert_false(sbc_trunk_fails_over(a, 408) || sbc_trunk_fails_over(a, 500) ||
		     sbc_trunk_fails_over(a, 488));
	assert_int_equal(a->max_calls_out, 300);
	assert_int_equal(a->options_interval, 0);
	assert_int_equal(a->options_misses, 3);
	/* defaults: 408, 500-599; OPTIONS every 30 s, down after 3 misses */
	assert_true(sbc_trunk_fails_over(b, 408) && sbc_trunk_fails_over(b, 500) &&
		    sbc_trunk_fails_over(b, 599));
	assert_false(sbc_trunk_fails_over(b, 486) || sbc_trunk_fails_over(b, 600) ||
		     sbc_trunk_fails_over(b, 407));
	assert_int_equal(b->options_interval, 30);
	assert_int_equal(b->options_misses, 2);
	assert_int_equal(b->max_calls_out, 0);
	sbc_config_free(&c);
	/* no route anywhere: roles are optional, cdr_maxlen defaults */
	assert_int_equal(sbc_config_load_string(&c, BASE "[trunk a]\npeers = 203.0.113.0/24\n",
						"k.conf", err, sizeof(err)), 0);
	assert_int_equal(c.trunks[0].role, SBC_ROLE_NONE);
	assert_int_equal(c.cdr_maxlen, 1000000);
	assert_int_equal(c.tls_port, 0);
	sbc_config_free(&c);
}

/* auth = digest | both: accepted; any such trunk opens the unlisted REGISTER path, whose rate
 * and table sizes have their own keys. */
static void auth_modes_and_register_keys(void **state)
{
	static const char *const modes[] = { "digest", "both" };
	static const enum sbc_auth_mode want[] = { SBC_AUTH_DIGEST, SBC_AUTH_BOTH };
	struct sbc_config c;
	char err[512], text[512];

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		snprintf(text, sizeof(text), BASE "[trunk a]\npeers = 203.0.113.0/24\n"
			 "role = carrier\nuri = sip:203.0.113.5\n"
			 "[trunk b]\ncps = 5\nrole = floor\nroute = a\nauth = %s\n", modes[i]);
		err[0] = '\0';
		assert_int_equal(sbc_config_load_string(&c, text, "r.conf", err, sizeof(err)), 0);
		assert_int_equal(c.trunks[0].auth, SBC_AUTH_IP);
		assert_int_equal(c.trunks[1].auth, want[i]);
		assert_true(sbc_config_takes_digest(&c));
		sbc_config_free(&c);
	}
	/* ip, written or not: no trunk takes digest; the register keys' defaults */
	assert_int_equal(sbc_config_load_string(&c, BASE "[trunk a]\nauth = ip\n[trunk b]\n",
						 "r.conf", err, sizeof(err)), 0);
	assert_int_equal(c.trunks[0].auth, SBC_AUTH_IP);
	assert_int_equal(c.trunks[1].auth, SBC_AUTH_IP);
	assert_false(sbc_config_takes_digest(&c));
	assert_int_equal(c.register_rate, 2);
	assert_int_equal(c.register_sources, 8192);
	assert_int_equal(c.deny_entries, 65536);
	sbc_config_free(&c);
	assert_int_equal(sbc_config_load_string(&c, "[sbc]\naddress = 198.51.100.10\n"
						 "register_rate = 0\n[dataplane]\nwire = w\n"
						 "exception = e\nregister_sources = 64\n"
						 "deny_entries = 4194304\n", "r.conf", err,
						 sizeof(err)), 0);
	assert_int_equal(c.register_rate, 0);
	assert_int_equal(c.register_sources, 64);
	assert_int_equal(c.deny_entries, 4194304);
	sbc_config_free(&c);
}

#define REG_BASE BASE "[trunk pbx]\nrole = floor\nroute = c\n"

/* Registration (issue 11): the carrier client's and the registrar's keys, and the lockout's. */
static void registration_keys(void **state)
{
	static const char *const modes[] = { "digest", "both" };
	struct sbc_config c;
	char err[512] = "", text[1024], pw[] = "/tmp/sbc-test-pw-XXXXXX";
	const struct sbc_trunk_config *t;
	int fd = mkstemp(pw);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cret pass\nsecond line\n", 25), 25);
	close(fd);
	snprintf(text, sizeof(text), "[sbc]\naddress = 198.51.100.10\nauth_failures = 3\n"
		 "auth_window = 30\nlockout = 90\n[dataplane]\nwire = a\nexception = b\n[trunk pbx]\nrole = floor\nroute = c\nauth = digest\nrealm = pbx.example\n"
		 "[trunk c]\nrole = carrier\nuri = sip:203.0.113.5\nregister = yes\n"
		 "username = sbc1\npassword_file = %s\nrealm = carrier.example\nexpires = 120\n",
		 pw);
	assert_int_equal(sbc_config_load_string(&c, text, "g.conf", err, sizeof(err)), 0);
	unlink(pw);
	assert_int_equal(c.auth_failures, 3);
	assert_int_equal(c.auth_window, 30);
	assert_int_equal(c.lockout, 90);
	assert_true(sbc_config_takes_digest(&c));
	t = &c.trunks[0];
	assert_int_equal(t->auth, SBC_AUTH_DIGEST);
	assert_string_equal(t->realm, "pbx.example");
	assert_false(t->reg);
	t = &c.trunks[1];
	assert_true(t->reg);
	assert_string_equal(t->username, "sbc1");
	assert_string_equal(t->password, "s3cret pass");
	assert_string_equal(t->realm, "carrier.example");
	assert_int_equal(t->expires, 120);
	sbc_config_free(&c);

	/* defaults: 5 failures in 60 s lock out for 600 s; expires 600; realm = our address */
	assert_int_equal(sbc_config_load_string(&c, REG_BASE "auth = both\n[trunk c]\n"
		"role = carrier\nuri = sip:203.0.113.5\nregister = yes\nusername = u\n"
		"password = p\n", "g.conf", err, sizeof(err)), 0);
	assert_int_equal(c.auth_failures, 5);
	assert_int_equal(c.auth_window, 60);
	assert_int_equal(c.lockout, 600);
	assert_int_equal(c.trunks[0].auth, SBC_AUTH_BOTH);
	assert_int_equal(c.trunks[1].expires, 600);
	{
		char realm[64];

		sbc_trunk_realm(&c, &c.trunks[0], realm, sizeof(realm));
		assert_string_equal(realm, "198.51.100.10");
	}
	/* the registrar offers SHA-256 then MD5 unless told */
	assert_int_equal(c.trunks[0].n_algorithms, 2);
	assert_int_equal(c.trunks[0].algorithms[0], SBC_DIGEST_SHA256);
	assert_int_equal(c.trunks[0].algorithms[1], SBC_DIGEST_MD5);
	sbc_config_free(&c);
	/* algorithms: its order, either alone, any case */
	assert_int_equal(sbc_config_load_string(&c, REG_BASE "auth = digest\nalgorithms = md5, "
		"SHA-256\n[trunk p2]\nrole = floor\nauth = both\nrealm = p2.example\nalgorithms = "
		"SHA-256\n[trunk c]\nrole = carrier\nuri = sip:203.0.113.5\n", "g.conf", err,
		sizeof(err)), 0);
	assert_int_equal(c.trunks[0].n_algorithms, 2);
	assert_int_equal(c.trunks[0].algorithms[0], SBC_DIGEST_MD5);
	assert_int_equal(c.trunks[0].algorithms[1], SBC_DIGEST_SHA256);
	assert_int_equal(c.trunks[1].n_algorithms, 1);
	assert_int_equal(c.trunks[1].algorithms[0], SBC_DIGEST_SHA256);
	sbc_config_free(&c);
	for (size_t i = 0; i < 2; i++) {	/* both modes parse */
		snprintf(text, sizeof(text), REG_BASE "auth = %s\n[trunk c]\nrole = carrier\n"
			 "uri = sip:203.0.113.5\n", modes[i]);
		assert_int_equal(sbc_config_load_string(&c, text, "g.conf", err, sizeof(err)), 0);
		assert_int_equal(c.trunks[0].auth, i == 0 ? SBC_AUTH_DIGEST : SBC_AUTH_BOTH);
		sbc_config_free(&c);
	}
	/* (auth = ip, written or not: auth_modes_and_register_keys checks it) */
}

/* What registration refuses, with the line and the fix. */
static const struct bad reg_bads[] = {
	{ REG_BASE "[trunk c]\nrole = carrier\nuri = sip:203.0.113.5\nregister = maybe\n",
	  "x.conf:12: register: 'maybe' is not yes or no" },
	{ REG_BASE "[trunk c]\nrole = carrier\nuri = sip:203.0.113.5\nregister = yes\n",
	  "x.conf:9: [trunk c] register = yes needs username" },
	{ REG_BASE "[trunk c]\nrole = carrier\nuri = sip:203.0.113.5\nregister = yes\n"
	  "username = u\n", "x.conf:9: [trunk c] register = yes needs password or password_file "
	  "(one of them)" },
	{ REG_BASE "[trunk c]\nrole = carrier\nuri = sip:203.0.113.5\nregister = yes\n"
	  "username = u\npassword = p\npassword_file = /nonexistent/pw\n",
	  "x.conf:9: [trunk c] register = yes needs password or password_file (one of them)" },
	{ REG_BASE "[trunk c]\nrole = carrier\nuri = sip:203.0.113.5\nregister = yes\n"
	  "username = u\npassword_file = /nonexistent/pw\n",
	  "x.conf:14: password_file '/nonexistent/pw': No such file or directory" },
	{ REG_BASE "[trunk c]\nrole = carrier\nuri = sip:203.0.113.5\n[trunk d]\nrole = carrier\n"
	  "register = yes\nusername = u\npassword = p\n",
	  "x.conf:12: [trunk d] register = yes needs uri (the registrar)" },
	{ REG_BASE "[trunk c]\nrole = carrier\nuri = sip:203.0.113.5\nusername = u\n",
	  "x.conf:9: [trunk c] username is only for register = yes" },
	{ REG_BASE "[trunk c]\nrole = carrier\nuri = sip:203.0.113.5\nexpires = 120\n",
	  "x.conf:9: [trunk c] expires is only for register = yes" },
	{ REG_BASE "[trunk c]\nrole = carrier\nuri = sip:203.0.113.5\nexpires = 59\n",
	  "x.conf:12: expires: '59' is not a whole number from 60 to 3600" },
	{ REG_BASE "[trunk c]\nrole = carrier\nuri = sip:203.0.113.5\nrealm = x\n",
	  "x.conf:9: [trunk c] realm is only for register = yes or auth = digest|both" },
	{ REG_BASE "[trunk c]\nrole = carrier\nuri = sip:203.0.113.5\nusername = a\"b\n",
	  "x.conf:12: username: 'a\"b' must be 1-127 printable characters without blanks, '\"' "
	  "or '\\'" },
	{ REG_BASE "register = yes\nuri = sip:203.0.113.9\nusername = u\npassword = p\n"
	  "[trunk c]\nrole = carrier\nuri = sip:203.0.113.5\n",
	  "x.conf:6: [trunk pbx] register = yes is for a carrier (role = carrier, auth = ip)" },
	{ REG_BASE "[trunk c]\nrole = carrier\nuri = sip:203.0.113.5\nauth = digest\n",
	  "x.conf:9: [trunk c] auth = digest|both is for a floor trunk (its PBXs register to the "
	  "SBC)" },
	{ REG_BASE "auth = digest\n[trunk p2]\nrole = floor\nauth = both\n[trunk c]\n"
	  "role = carrier\nuri = sip:203.0.113.5\n",
	  "x.conf:10: [trunk p2] realm '198.51.100.10' is trunk 'pbx''s too; a REGISTER's realm "
	  "names its trunk" },
	{ REG_BASE "auth = digest\nalgorithms = MD5, md5\n[trunk c]\nrole = carrier\n"
	  "uri = sip:203.0.113.5\n", "x.conf:10: algorithms: 'MD5, md5' is not a list of SHA-256 "
	  "and MD5 (each at most once, the preferred first)" },
	{ REG_BASE "auth = digest\nalgorithms = SHA-512-256\n[trunk c]\nrole = carrier\n"
	  "uri = sip:203.0.113.5\n", "x.conf:10: algorithms: 'SHA-512-256' is not a list of "
	  "SHA-256 and MD5 (each at most once, the preferred first)" },
	{ REG_BASE "auth = digest\nalgorithms = ,\n[trunk c]\nrole = carrier\n"
	  "uri = sip:203.0.113.5\n", "x.conf:10: algorithms: ',' is not a list of "
	  "SHA-256 and MD5 (each at most once, the preferred first)" },
	{ REG_BASE "algorithms = MD5\n[trunk c]\nrole = carrier\nuri = sip:203.0.113.5\n",
	  "x.conf:6: [trunk pbx] algorithms is only for auth = digest|both" },
	{ "[sbc]\nlockout = 0\n", "x.conf:2: lockout: '0' is not a whole number from 1 to 604800" },
	{ "[sbc]\nauth_failures = 1001\n",
	  "x.conf:2: auth_failures: '1001' is not a whole number from 1 to 1000" },
	{ "[sbc]\nauth_window = x\n",
	  "x.conf:2: auth_window: 'x' is not a whole number from 1 to 86400" },
};

static void registration_bad(void **state)
{
	(void)state;
	expect_bads(reg_bads, sizeof(reg_bads) / sizeof(reg_bads[0]), "x.conf");
}

/* The port the data plane lets a listed peer's TCP come from (replies to the B2BUA's own
 * connections): the uri's, or its scheme's and transport's default. */
/* Media keys; also every trunk key set once in one section (more keys than one 64-bit mask
 * would hold if the bits were counted over all sections). */
static void media_keys(void **state)
{
	struct sbc_config c;
	char err[512] = "";
	const struct sbc_trunk_config *f, *a, *b;
	const char *text =
		"[sbc]\naddress = 198.51.100.10\nmedia_timeout = 30\ntls_port = 5061\n"
		"tls_certificate = /dev/null\ntls_key = /dev/null\n"
		"[dataplane]\nwire = a\nexception = b\nmedia_sessions = 5000\npoll = adaptive\n"
		"poll_sleep_max_us = 500\n"
		"[trunk floor]\nrole = floor\nroute = carrier-a\nmedia_latch = yes\nsrtp = sdes\n"
		"codecs = PCMU, pcma ,G722,telephone-event\n"
		"[trunk carrier-a]\nrole = carrier\nuri = sip:203.0.113.5;transport=tls\n"
		"srtp = sdes\nmedia = relay\n"
		"[trunk carrier-b]\nrole = carrier\nuri = sip:203.0.113.6\nmedia = direct\n"
		"peers = 203.0.113.6/32\nauth = ip\ncps = 5\nburst = 5\nmax_calls = 9\n"
		"over_limit = drop\nfailover_codes = 503\nmax_calls_out = 2\noptions_interval = 9\n"
		"options_misses = 2\nmedia_latch = no\nsrtp = no\ncodecs = PCMA\n";

	(void)state;
	if (sbc_config_load_string(&c, text, "m.conf", err, sizeof(err)) != 0)
		fail_msg("%s", err);
	f = &c.trunks[0], a = &c.trunks[1], b = &c.trunks[2];
	assert_int_equal(c.media_timeout, 30);
	assert_int_equal(c.media_sessions, 5000);
	assert_int_equal(c.poll, SBC_POLL_ADAPTIVE);
	assert_int_equal(c.poll_sleep_max_us, 500);
	assert_true(f->media_latch);
	assert_int_equal(f->srtp, SBC_SRTP_MODE_SDES);
	assert_int_equal(f->media, SBC_MEDIA_MODE_RELAY);
	assert_int_equal(f->n_codecs, 4);
	assert_string_equal(f->codecs[1], "pcma");
	assert_string_equal(f->codecs[3], "telephone-event");
	assert_int_equal(a->srtp, SBC_SRTP_MODE_SDES);
	assert_int_equal(b->media, SBC_MEDIA_MODE_DIRECT);
	assert_false(b->media_latch);
	assert_int_equal(b->n_codecs, 1);
	sbc_config_free(&c);
	/* defaults */
	assert_int_equal(sbc_config_load_string(&c, BASE "[trunk t]\n", "d.conf", err, sizeof(err)), 0);
	assert_int_equal(c.media_timeout, 60);
	assert_int_equal(c.media_sessions, 0);
	assert_int_equal(c.poll, SBC_POLL_BUSY);
	assert_int_equal(c.poll_sleep_max_us, 200);
	assert_int_equal(c.trunks[0].media, SBC_MEDIA_MODE_RELAY);
	assert_int_equal(c.trunks[0].srtp, SBC_SRTP_MODE_NO);
	assert_false(c.trunks[0].media_latch);
	assert_int_equal(c.trunks[0].n_codecs, 0);
	sbc_config_free(&c);
}

static void uri_port(void **state)
{
	static const struct { const char *uri; uint16_t port; } cases[] = {
		{ "sip:203.0.113.5", 5060 },
		{ "sip:203.0.113.5:5080", 5080 },
		{ "sip:203.0.113.5:5080;transport=tcp", 5080 },
		{ "sip:sip.carrier.example;transport=tls", 5061 },
		{ "sip:sip.carrier.example;Transport=TLS", 5061 },	/* RFC 3261 19.1.4 */
		{ "sip:sip.carrier.example;transport=tcp", 5060 },
		{ "sips:sip.carrier.example", 5061 },
		{ "sips:sip.carrier.example:6061", 6061 },
		{ "sip:[2001:db8::5]", 5060 },
		{ "sip:[2001:db8::5]:5070;transport=tcp", 5070 },
		{ "sip:trunk:secret@203.0.113.5:5090", 5090 },
		{ "sip:trunk@203.0.113.5", 5060 },
		{ "sip:203.0.113.5:0", 0 },
		{ "sip:203.0.113.5:65536", 0 },
		{ "sip:203.0.113.5:x", 0 },
		{ "sip:[2001:db8::5", 0 },
		{ "tel:+15550100", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (sbc_uri_port(cases[i].uri) != cases[i].port)
			print_error("%s: got %u, want %u\n", cases[i].uri,
				    sbc_uri_port(cases[i].uri), cases[i].port);
		assert_int_equal(sbc_uri_port(cases[i].uri), cases[i].port);
	}
}

static void peers_file_and_long_lines(void **state)
{
	char dir[] = "/tmp/sbc-cfg-XXXXXX", path[256], conf[256], err[512] = "";
	struct sbc_config c;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/peers.txt", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "# carrier ranges\n203.0.113.0/24\n\n  2001:db8:100::/48   # v6\n");
	for (int i = 0; i < 1000; i++)
		fprintf(f, "10.%d.%d.0/24\n", i / 256, i % 256);
	fclose(f);

	/* one peers line of ~40 KB: Debian's libinih would cut it at 200 bytes by default */
	size_t cap = 64 * 1024, n;
	char *text = malloc(cap);

	assert_non_null(text);
	n = (size_t)snprintf(text, cap, BASE "[trunk big]\npeers_file = peers.txt\n[trunk long]\npeers =");
	for (int i = 0; i < 2500; i++)
		n += (size_t)snprintf(text + n, cap - n, " 172.16.%d.%d/32", i / 250, i % 250);
	n += (size_t)snprintf(text + n, cap - n, "\ncps = 5\n");
	snprintf(conf, sizeof(conf), "%s/sbc.conf", dir);
	f = fopen(conf, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(text);

	assert_int_equal(sbc_config_load(&c, conf, err, sizeof(err)), 0);
	assert_int_equal(c.n_trunks, 2);
	assert_int_equal(c.trunks[0].n_peers, 1002);
	assert_int_equal(c.trunks[1].n_peers, 2500);
	assert_int_equal(c.trunks[1].cps, 5);
	sbc_config_free(&c);

	/* a bad line inside the peers file names that file and line */
	f = fopen(path, "a");
	fprintf(f, "10.0.0.1/8\n");
	fclose(f);
	assert_int_equal(sbc_config_load(&c, conf, err, sizeof(err)), -EINVAL);
	char want[512];
	snprintf(want, sizeof(want), "%s:1005: '10.0.0.1/8' has host bits set (did you mean 10.0.0.0/8?)",
		 path);
	assert_string_equal(err, want);
	sbc_config_free(&c);

	assert_int_equal(sbc_config_load(&c, "/nonexistent/sbc.conf", err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/sbc.conf: No such file or directory");
	sbc_config_free(&c);
	unlink(path);
	unlink(conf);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_full),
		cmocka_unit_test(defaults),
		cmocka_unit_test(bad_lines),
		cmocka_unit_test(auth_modes_and_register_keys),
		cmocka_unit_test(registration_keys),
		cmocka_unit_test(registration_bad),
		cmocka_unit_test(b2bua_keys),
		cmocka_unit_test(media_keys),
		cmocka_unit_test(uri_port),
		cmocka_unit_test(peers_file_and_long_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
