/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session descriptions across the B2BUA (see cp_sdp.h). An anchored call's SDP is parsed by
 * Sofia-SIP (sdp_parse), changed as a structure and printed again (sdp_print): never edited as
 * text. What changes, on the way from one leg's remote to the other's:
 * - o= is ours on each leg (session id, a version that moves when our body changes: RFC 3264
 *   8), i=/u=/e=/p=/k= go: nothing of one side's topology reaches the other (s=, the session
 *   name, is passed on);
 * - c= is our address on that leg (session level only), the first audio stream's m= port is
 *   ours, a=rtcp ours (RFC 3605); every other stream is declined (port 0: only one RTP stream a
 *   call is relayed);
 * - ICE goes (a=candidate, a=ice-*, a=remote-candidates, a=end-of-candidates: RFC 8839), so the
 *   far end cannot try a path around us;
 * - codecs not allowed by both trunks' `codecs` go, order kept; an offer left with none is an
 *   error (488);
 * - a=rtcp-mux (RFC 5761) is passed on; a hold (sendonly/recvonly/inactive, or c=0.0.0.0 read
 *   as sendonly: RFC 3264 8.4) is passed on and marks the leg held;
 * - SDES (RFC 4568): on a `srtp = sdes` leg we speak RTP/SAVP with a=crypto keys of our own, and
 *   take the remote's key from its a=crypto; the other leg stays RTP/AVP.
 * Runs on the su_root thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sofia-sip/sdp.h>
#include <sofia-sip/sip_header.h>

#include "cp_sdp.h"
#include "sbc_hash.h"

#define SDP_FLAGS sdp_f_mode_0000	/* c=0.0.0.0 is a hold (sendonly) */
#define PRINT_MAX 8192			/* an SDP we print is far below this */

/* Our offer's suites, tags 1..CP_SDP_SUITES in this order (the strongest tag first). */
static const uint8_t offer_suites[CP_SDP_SUITES] = {
	SBC_SRTP_AES_CM_128_HMAC_SHA1_80, SBC_SRTP_AES_CM_128_HMAC_SHA1_32,
	SBC_SRTP_AEAD_AES_128_GCM,
};

static const char *const profile_plain = "RTP/AVP", *const profile_srtp = "RTP/SAVP";

int cp_sdp_leg_init(struct cp_sdp_leg *l)
{
	unsigned char rnd[sizeof(uint32_t) + sizeof(l->offer_key)];
	uint32_t id;

	memset(l, 0, sizeof(*l));
	/* OpenSSL's DRBG (a CSPRNG seeded from the kernel), one draw a leg: getrandom() here was
	 * four system calls a call at 1,000 calls a second. */
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -EIO;
	memcpy(&id, rnd, sizeof(id));
	memcpy(l->offer_key, rnd + sizeof(id), sizeof(l->offer_key));
	OPENSSL_cleanse(rnd, sizeof(rnd));
	l->o_id = id;
	l->o_version = 1;
	return 0;
}

void cp_sdp_leg_local(struct cp_sdp_leg *l, uint8_t family, const uint8_t *addr, uint16_t port)
{
	l->family = family;
	memset(l->local_addr, 0, sizeof(l->local_addr));
	memcpy(l->local_addr, addr, family == SBC_AF_V6 ? 16 : 4);
	l->local_port = port;
}

/* ------------------------------------------------------------------------------------------ */
/* SDES a=crypto (RFC 4568 9.1) */

static int suite_of(const char *name, size_t n)
{
	for (unsigned int s = SBC_SRTP_NONE + 1; s < SBC_SRTP_MAX; s++)
		if (strlen(sbc_srtp_suite_names[s]) == n &&
		    strncmp(sbc_srtp_suite_names[s], name, n) == 0)
			return (int)s;
	return -1;
}

int cp_sdp_crypto_parse(const char *value, uint32_t *tag, uint8_t *suite, uint8_t *key)
{
	const char *p = value, *name, *b64, *end;
	unsigned char buf[64];
	char *e;
	unsigned long t;
	int s, n, pad;
	size_t blen, klen;

	t = strtoul(p, &e, 10);
	if (e == p || *e != ' ' || t > 999999999ul)	/* 1*9DIGIT */
		return -EINVAL;
	name = e + 1;
	p = strchr(name, ' ');
	if (p == NULL || (s = suite_of(name, (size_t)(p - name))) < 0)
		return -EINVAL;
	if (strncmp(p + 1, "inline:", 7) != 0)
		return -EINVAL;
	b64 = p + 8;
	blen = strcspn(b64, "| ;");
	end = b64 + blen;
	/* lifetime is accepted; an MKI (a second '|', "n:len") or session parameters are not:
	 * the data plane keys each direction with exactly one master key */
	if (*end == '|') {
		const char *life = end + 1, *bar = strchr(life, '|');

		if (bar != NULL || strchr(life, ':') != NULL || strchr(life, ' ') != NULL)
			return -EINVAL;
	} else if (*end != '\0') {
		return -EINVAL;
	}
	klen = sbc_srtp_key_len((unsigned int)s);
	if (blen % 4 != 0 || blen == 0 || blen / 4 * 3 > sizeof(buf))
		return -EINVAL;
	n = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)blen);
	pad = (b64[blen - 1] == '=') + (blen >= 2 && b64[blen - 2] == '=');
	if (n < 0 || (size_t)(n - pad) != klen)
		return -EINVAL;
	*tag = (uint32_t)t;
	*suite = (uint8_t)s;
	memcpy(key, buf, klen);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

int cp_sdp_crypto_format(char *buf, size_t len, uint32_t tag, uint8_t suite,
			 const uint8_t *key)
{
	unsigned char b64[64];
	unsigned int klen = sbc_srtp_key_len(suite);
	int n;

	if (klen == 0)
		return -EINVAL;
	EVP_EncodeBlock(b64, key, (int)klen);
	n = snprintf(buf, len, "%u %s inline:%s", tag, sbc_srtp_suite_names[suite], b64);
	explicit_bzero(b64, sizeof(b64));
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading the remote's stream */

static bool parse_addr(const sdp_connection_t *c, uint8_t *family, uint8_t *addr)
{
	if (c == NULL || c->c_address == NULL)
		return false;
	if (c->c_addrtype == sdp_addr_ip4 && inet_pton(AF_INET, c->c_address, addr) == 1) {
		*family = SBC_AF_V4;
		return true;
	}
	if (c->c_addrtype == sdp_addr_ip6 && inet_pton(AF_INET6, c->c_address, addr) == 1) {
		*family = SBC_AF_V6;
		return true;
	}
	return false;
}

static bool addr_zero(const uint8_t *a, uint8_t family)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, family == SBC_AF_V6 ? 16 : 4) == 0;
}

/* The stream we anchor: the first audio m= that is on. */
static sdp_media_t *audio_of(sdp_session_t *s)
{
	for (sdp_media_t *m = s->sdp_media; m != NULL; m = m->m_next)
		if (m->m_type == sdp_media_audio && m->m_port != 0 && !m->m_rejected)
			return m;
	return NULL;
}

static bool allowed_by(const char (*list)[SBC_CODEC_NAME_MAX], unsigned int n, const char *c)
{
	if (n == 0)
		return true;
	for (unsigned int i = 0; c != NULL && i < n; i++)
		if (strcasecmp(list[i], c) == 0)
			return true;
	return false;
}

/* Codecs neither trunk allows go, in place, the order kept. How many are left. */
static unsigned int filter_codecs(sdp_media_t *m, const struct cp_sdp_allow *al)
{
	sdp_rtpmap_t **pp = &m->m_rtpmaps;
	unsigned int left = 0;

	while (*pp != NULL) {
		const char *enc = (*pp)->rm_encoding;

		if (allowed_by(al->a, al->na, enc) && allowed_by(al->b, al->nb, enc)) {
			left++;
			pp = &(*pp)->rm_next;
		} else {
			*pp = (*pp)->rm_next;
		}
	}
	return left;
}

/* RTCP's port from a=rtcp (RFC 3605: "port [nettype addrtype address]"), else RTP + 1. */
static uint16_t rtcp_port_of(const sdp_media_t *m)
{
	const sdp_attribute_t *a = sdp_attribute_find(m->m_attributes, "rtcp");
	unsigned long p;
	char *e;

	if (a != NULL && a->a_value != NULL) {
		p = strtoul(a->a_value, &e, 10);
		if (e != a->a_value && p > 0 && p < 65536)
			return (uint16_t)p;
	}
	return (uint16_t)(m->m_port + 1);
}

/*
 * The remote's a=crypto on an sdes leg: an offer's first line we can use (its suite is then
 * the leg's), an answer's line for a tag we offered. 0 or -EPROTONOSUPPORT.
 */
static int take_crypto(struct cp_sdp_leg *l, const sdp_media_t *m, enum cp_sdp_kind kind)
{
	uint8_t key[SBC_SRTP_KEY_MAX];

	for (const sdp_attribute_t *a = m->m_attributes; a != NULL; a = a->a_next) {
		uint32_t tag;
		uint8_t suite;

		if (strcasecmp(a->a_name, "crypto") != 0 || a->a_value == NULL ||
		    cp_sdp_crypto_parse(a->a_value, &tag, &suite, key) != 0)
			continue;
		if (kind == CP_SDP_ANSWER &&
		    (tag < 1 || tag > CP_SDP_SUITES || offer_suites[tag - 1] != suite))
			continue;	/* RFC 4568 5.1.2: the answer names one of our tags */
		l->suite = suite;
		l->crypto_tag = tag;
		memcpy(l->key_rx, key, sizeof(key));
		for (unsigned int i = 0; i < CP_SDP_SUITES; i++)
			if (offer_suites[i] == suite)
				memcpy(l->key_tx, l->offer_key[i], sizeof(l->key_tx));
		explicit_bzero(key, sizeof(key));
		return 0;
	}
	explicit_bzero(key, sizeof(key));
	return -EPROTONOSUPPORT;
}

/* The profile a leg must speak: RTP/AVP, or RTP/SAVP with a usable a=crypto on an sdes leg. */
static int check_profile(struct cp_sdp_leg *l, const sdp_media_t *m, enum cp_sdp_kind kind,
			 const char **why)
{
	const char *proto = m->m_proto_name ? m->m_proto_name : "";

	if (!l->sdes) {
		if (strcasecmp(proto, profile_plain) != 0) {
			*why = "Only RTP/AVP Here";
			return -EPROTONOSUPPORT;
		}
		l->suite = SBC_SRTP_NONE;
		return 0;
	}
	if (strcasecmp(proto, profile_srtp) != 0) {
		*why = "SRTP (RTP/SAVP) Required";
		return -EPROTONOSUPPORT;
	}
	if (take_crypto(l, m, kind) != 0) {
		*why = "No Usable a=crypto";
		return -EPROTONOSUPPORT;
	}
	return 0;
}

/* The first dynamic audio type of m whose clock is a multiple of 8 kHz (up to 255 of them),
 * and that multiple: what the data plane needs to figure its jitter (the static 8 kHz types it
 * knows). Events and comfort noise carry no timing of their own. */
static void dynamic_clock(const sdp_media_t *m, uint8_t *pt, uint8_t *k)
{
	*pt = *k = 0;
	for (const sdp_rtpmap_t *r = m->m_rtpmaps; r != NULL; r = r->rm_next) {
		if (r->rm_pt < 96 || r->rm_encoding == NULL ||	/* (7 bits: <= 127) */
		    strcasecmp(r->rm_encoding, "telephone-event") == 0 ||
		    strcasecmp(r->rm_encoding, "CN") == 0)
			continue;
		if (r->rm_rate == 0 || r->rm_rate % 8000 != 0 || r->rm_rate / 8000 > 255)
			continue;
		*pt = (uint8_t)r->rm_pt;
		*k = (uint8_t)(r->rm_rate / 8000);
		return;
	}
}

/* What the remote's audio stream says, into its leg. */
static int learn_remote(struct cp_sdp_leg *l, sdp_session_t *s, sdp_media_t *m,
			enum cp_sdp_kind kind, const char **why)
{
	const sdp_connection_t *c = m->m_connections ? m->m_connections : s->sdp_connection;
	uint8_t family = 0, addr[16] = { 0 };
	int rc;

	if (!parse_addr(c, &family, addr)) {
		*why = "No IN IP4/IP6 Address";
		return -EPROTONOSUPPORT;
	}
	if (l->family != 0 && family != l->family && !addr_zero(addr, family)) {
		*why = "Address Family Mismatch";	/* not the family we offered it */
		return -EPROTONOSUPPORT;
	}
	rc = check_profile(l, m, kind, why);
	if (rc != 0)
		return rc;
	l->media = true;
	l->hold = m->m_mode != sdp_sendrecv;
	l->remote_mux = sdp_attribute_find(m->m_attributes, "rtcp-mux") != NULL;
	snprintf(l->codec, sizeof(l->codec), "%s", m->m_rtpmaps && m->m_rtpmaps->rm_encoding ?
		 m->m_rtpmaps->rm_encoding : "");
	dynamic_clock(m, &l->rtp_pt, &l->rtp_clock_8k);
	if (addr_zero(addr, family))
		return 0;	/* a hold with c=0.0.0.0: the last address stays */
	l->remote_known = true;
	l->remote_family = family;
	memcpy(l->remote_addr, addr, sizeof(addr));
	l->remote_port = (uint16_t)m->m_port;
	l->remote_rtcp_port = rtcp_port_of(m);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Writing ours */

static bool drop_attribute(const char *name)
{
	static const char *const names[] = {
		"candidate", "remote-candidates", "end-of-candidates", "rtcp", "crypto",
		"fingerprint", "setup",
	};

	if (strncasecmp(name, "ice-", 4) == 0)
		return true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i]) == 0)
			return true;
	return false;
}

static void drop_attributes(sdp_attribute_t **pp)
{
	while (*pp != NULL) {
		if (drop_attribute((*pp)->a_name))
			*pp = (*pp)->a_next;
		else
			pp = &(*pp)->a_next;
	}
}

static int add_attribute(su_home_t *home, sdp_attribute_t **list, const char *name,
			 const char *value)
{
	sdp_attribute_t *a = su_zalloc(home, sizeof(*a));

	if (a == NULL)
		return -ENOMEM;
	a->a_size = sizeof(*a);
	a->a_name = name;
	a->a_value = value ? su_strdup(home, value) : NULL;
	if (value != NULL && a->a_value == NULL)
		return -ENOMEM;
	sdp_attribute_append(list, a);
	return 0;
}

/* Our a=crypto on an sdes leg: every suite in an offer, the agreed one in an answer. */
static int add_crypto(su_home_t *home, sdp_media_t *m, const struct cp_sdp_leg *to,
		      enum cp_sdp_kind kind)
{
	char line[128];

	for (unsigned int i = 0; i < CP_SDP_SUITES; i++) {
		const uint8_t *key = to->offer_key[i];
		uint32_t tag = i + 1;
		int rc;

		if (kind == CP_SDP_ANSWER) {
			if (offer_suites[i] != to->suite)
				continue;
			tag = to->crypto_tag;
		}
		if (cp_sdp_crypto_format(line, sizeof(line), tag, offer_suites[i], key) < 0)
			return -ENOSPC;
		rc = add_attribute(home, &m->m_attributes, "crypto", line);
		explicit_bzero(line, sizeof(line));
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Our address as an sdp connection of the leg's family. */
static sdp_connection_t *our_connection(su_home_t *home, const struct cp_sdp_leg *to)
{
	sdp_connection_t *c = su_zalloc(home, sizeof(*c));
	char buf[INET6_ADDRSTRLEN];

	if (c == NULL || inet_ntop(to->family == SBC_AF_V6 ? AF_INET6 : AF_INET, to->local_addr,
				   buf, sizeof(buf)) == NULL)
		return NULL;
	c->c_size = sizeof(*c);
	c->c_nettype = sdp_net_in;
	c->c_addrtype = to->family == SBC_AF_V6 ? sdp_addr_ip6 : sdp_addr_ip4;
	c->c_address = su_strdup(home, buf);
	return c->c_address ? c : NULL;
}

/* The anchored stream as the other leg sees it. */
static int write_audio(su_home_t *home, sdp_media_t *m, const struct cp_sdp_leg *to,
		       enum cp_sdp_kind kind)
{
	char rtcp[8];

	m->m_port = to->local_port;
	m->m_number_of_ports = 0;
	m->m_connections = NULL;
	m->m_key = NULL;
	m->m_information = NULL;
	sdp_media_transport(m, to->sdes ? profile_srtp : profile_plain);
	drop_attributes(&m->m_attributes);
	/* RFC 3605: RTCP on our port + 1, unless the answer settles on rtcp-mux */
	if (!(kind == CP_SDP_ANSWER && sdp_attribute_find(m->m_attributes, "rtcp-mux"))) {
		snprintf(rtcp, sizeof(rtcp), "%u", to->local_port + 1u);
		if (add_attribute(home, &m->m_attributes, "rtcp", rtcp) != 0)
			return -ENOMEM;
	}
	return to->sdes ? add_crypto(home, m, to, kind) : 0;
}

/* Another stream: declined (RFC 3264 6: port 0), nothing of the remote's left in it. */
static void decline(sdp_media_t *m)
{
	m->m_port = 0;
	m->m_number_of_ports = 0;
	m->m_connections = NULL;
	m->m_bandwidths = NULL;
	m->m_key = NULL;
	m->m_information = NULL;
	m->m_attributes = NULL;
	m->m_rejected = 1;
}

/* Session level: our o= and c=; no i=, u=, e=, p=, k= (the session name s= is passed on). */
static int write_session(su_home_t *home, sdp_session_t *s, const struct cp_sdp_leg *to)
{
	sdp_origin_t *o = su_zalloc(home, sizeof(*o));
	sdp_connection_t *c = our_connection(home, to);

	if (o == NULL || c == NULL)
		return -ENOMEM;
	o->o_size = sizeof(*o);
	o->o_username = "-";
	o->o_id = to->o_id;
	o->o_version = to->o_version;
	o->o_address = c;
	s->sdp_origin = o;
	s->sdp_information = NULL;
	s->sdp_uri = NULL;
	s->sdp_emails = NULL;
	s->sdp_phones = NULL;
	s->sdp_key = NULL;
	s->sdp_connection = c;
	if (s->sdp_subject == NULL || s->sdp_subject[0] == '\0')
		s->sdp_subject = "-";	/* RFC 4566 5.3: s= is required, "-" when there is none */
	drop_attributes(&s->sdp_attributes);
	return 0;
}

/* Print s; the leg's o= version moves when the body differs from the last one we sent. */
static int print_versioned(su_home_t *home, sdp_session_t *s, struct cp_sdp_leg *to,
			   char **out, size_t *outlen)
{
	sdp_printer_t *pr;
	uint64_t h;

	s->sdp_origin->o_version = 0;	/* the body without its version */
	pr = sdp_print(home, s, NULL, PRINT_MAX, 0);
	if (pr == NULL || sdp_printing_error(pr) != NULL)
		return -ENOMEM;
	h = sbc_fnv1a(SBC_FNV1A_INIT, sdp_message(pr), (size_t)sdp_message_size(pr));
	sdp_printer_free(pr);
	if (to->last_hash != 0 && h != to->last_hash)
		to->o_version++;
	to->last_hash = h;
	s->sdp_origin->o_version = to->o_version;
	pr = sdp_print(home, s, NULL, PRINT_MAX, 0);
	if (pr == NULL || sdp_printing_error(pr) != NULL)
		return -ENOMEM;
	*outlen = (size_t)sdp_message_size(pr);
	*out = su_strndup(home, sdp_message(pr), *outlen);
	sdp_printer_free(pr);
	return *out != NULL ? 0 : -ENOMEM;
}

/* The remote's stream and ours, on a parsed SDP. */
static int rewrite_session(su_home_t *home, sdp_session_t *s, struct cp_sdp_xlate *x)
{
	sdp_media_t *audio = audio_of(s);
	int rc;

	if (audio == NULL) {
		x->from->media = false;
		if (x->kind == CP_SDP_OFFER) {
			x->why = "No Audio Stream";
			return -EPROTONOSUPPORT;
		}
	} else {
		if (filter_codecs(audio, &x->allow) == 0) {
			x->why = "No Allowed Codec";
			return -ENOMSG;
		}
		rc = learn_remote(x->from, s, audio, x->kind, &x->why);
		if (rc != 0)
			return rc;
		if (x->kind == CP_SDP_ANSWER && x->to->sdes && x->to->suite == SBC_SRTP_NONE) {
			x->why = "No Usable a=crypto";
			return -EPROTONOSUPPORT;
		}
	}
	for (sdp_media_t *m = s->sdp_media; m != NULL; m = m->m_next) {
		if (m != audio) {
			decline(m);
			continue;
		}
		rc = write_audio(home, m, x->to, x->kind);
		if (rc != 0)
			return rc;
	}
	return write_session(home, s, x->to);
}

/* ------------------------------------------------------------------------------------------ */
/* What Sofia-SIP's parser must not be given */

/* RFC 4566 9: token-char, as Sofia's parser defines TOKEN (ALPHA DIGIT "-!#$%&'*+.^_`{|}~") */
static bool token_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("-!#$%&'*+.^_`{|}~", c) != NULL);
}

/* A field of an m= line, [f, e): tokens joined by single "/" (port: digits), at most one "/"
 * for the port, none in a fmt. */
static bool mfield_ok(const char *f, const char *e, unsigned int field)
{
	unsigned int slashes = 0;
	bool any = false;	/* a character since the last "/" */

	for (const char *c = f; c < e; c++) {
		if (*c == '/') {
			if (!any || field == 0 || field > 2 || (field == 1 && slashes > 0))
				return false;
			slashes++;
			any = false;
		} else if (field == 1 ? (*c < '0' || *c > '9') : !token_char((unsigned char)*c)) {
			return false;
		} else {
			any = true;
		}
	}
	return any;
}

/*
 * An m= line (from after "m=" to its end) as RFC 4566 5.14 writes it: media SP port ["/"
 * integer] SP proto *(SP fmt), media and fmt tokens, proto tokens joined by "/", one or more
 * SP between fields (no HT). Sofia-SIP 1.12.11 reads the fmt list of a proto other than RTP in
 * a loop that never moves past a fmt starting with a byte outside token ("m=image 9 udptl :x"),
 * nor past an HT left after the proto ("m=image 9 udptl<HT><HT>"): it allocates for ever and
 * the control plane's loop stops. And what it makes of a malformed port or proto it prints
 * back as an m= line no parser reads. A proto without fmt passes ("m=audio 0 RTP/AVP", as some
 * decline a stream).
 */
static bool mline_ok(const char *s, const char *e)
{
	unsigned int field = 0;

	while (s < e) {
		const char *f = s;

		while (s < e && *s != ' ')
			s++;
		if (s > f && !mfield_ok(f, s, field++))
			return false;
		while (s < e && *s == ' ')
			s++;
	}
	return field >= 3;
}

/*
 * Before Sofia parses a body: no NUL (its parser stops at one) and every m= line well formed.
 * Lines end at CR or LF and may start with SP or HT, as Sofia's parser splits them.
 */
static bool sofia_safe(const char *body, size_t len)
{
	const char *s = body, *end = body + len;

	if (memchr(body, '\0', len) != NULL)
		return false;
	while (s < end) {
		const char *e = s;

		while (e < end && *e != '\r' && *e != '\n')
			e++;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		if (e - s >= 2 && s[0] == 'm' && s[1] == '=' && !mline_ok(s + 2, e))
			return false;
		s = e + 1;
	}
	return true;
}

/* Every a=rtpmap of every stream read whole: Sofia keeps one whose encoding name it could not
 * read ("a=rtpmap:97 <FF>6/8000") without a name, and would print it as "(null)/1". */
static bool rtpmaps_read(const sdp_session_t *s)
{
	for (const sdp_media_t *m = s->sdp_media; m != NULL; m = m->m_next)
		for (const sdp_rtpmap_t *rm = m->m_rtpmaps; rm != NULL; rm = rm->rm_next)
			if (rm->rm_encoding == NULL)
				return false;
	return true;
}

int cp_sdp_rewrite(su_home_t *home, const char *body, size_t len, struct cp_sdp_xlate *x,
		   char **out, size_t *outlen)
{
	su_home_t *tmp;
	sdp_parser_t *p;
	sdp_session_t *s;
	int rc;

	x->why = NULL;
	if (!sofia_safe(body, len)) {
		x->why = "Malformed SDP";
		return -EBADMSG;
	}
	tmp = su_home_new(sizeof(*tmp));
	if (tmp == NULL)
		return -ENOMEM;
	p = sdp_parse(tmp, body, (issize_t)len, SDP_FLAGS);
	s = p ? sdp_session(p) : NULL;
	if (s == NULL || !rtpmaps_read(s)) {
		x->why = "Malformed SDP";
		rc = p ? -EBADMSG : -ENOMEM;
	} else {
		rc = rewrite_session(tmp, s, x);
		if (rc == 0)
			rc = print_versioned(home, s, x->to, out, outlen);
	}
	if (p != NULL)
		sdp_parser_free(p);
	su_home_unref(tmp);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */

static bool is_sdp(const sip_content_type_t *ct)
{
	/* RFC 3261 7.4.1: a body without Content-Type is taken as SDP only in an INVITE's
	 * context; we do the same for every message of an anchored call */
	return ct == NULL || (ct->c_type != NULL && strcasecmp(ct->c_type, SDP_MIME_TYPE) == 0);
}

int cp_sdp_relay_body(su_home_t *home, sip_content_type_t *ct, sip_payload_t *pl,
		      struct cp_sdp_xlate *x, struct cp_sdp *out)
{
	char *body;
	size_t len;

	out->ct = NULL;
	out->pl = NULL;
	if (x != NULL)
		x->error = 0;
	if (pl == NULL || pl->pl_len == 0)
		return 0;
	if (x != NULL && is_sdp(ct)) {
		x->error = cp_sdp_rewrite(home, pl->pl_data, pl->pl_len, x, &body, &len);
		if (x->error != 0)
			return x->error == -ENOMEM ? -ENOMEM : 0;
		out->ct = sip_content_type_make(home, SDP_MIME_TYPE);
		out->pl = sip_payload_create(home, body, (isize_t)len);
		return out->ct && out->pl ? 0 : -ENOMEM;
	}
	if (home == NULL) {	/* sent while the message lives: no copy */
		out->ct = ct;
		out->pl = pl;
		return 0;
	}
	out->ct = ct ? sip_content_type_dup(home, ct) : NULL;
	out->pl = sip_payload_dup(home, pl);
	return out->pl == NULL || (ct && out->ct == NULL) ? -ENOMEM : 0;
}

int cp_sdp_relay(su_home_t *home, const sip_t *s, enum cp_sdp_dir dir, struct cp_sdp_xlate *x,
		 struct cp_sdp *out)
{
	(void)dir;	/* x says which leg is which */
	return cp_sdp_relay_body(home, s->sip_content_type, s->sip_payload, x, out);
}
