/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data-plane SIP responses, on worker lcores: the 403s to unlisted sources (rate-limited by the
 * caller) and a 503 to every INVITE over its trunk's cap (a flood's worth: no printf, no
 * inet_pton/ntop for IPv4, no second search for what the scanner read). It never reads past
 * the datagram and never allocates.
 */
#include "dp_sip_reply.h"
#include "sbc_config.h"
#include "sbc_hash.h"
#include "sbc_num.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Output buffer that refuses to overflow and remembers it did. */
struct out {
	char *b;
	uint32_t n, cap;
	bool full;
};

static void put(struct out *o, const void *s, uint32_t n)
{
	if (o->full || o->n + n > o->cap) {
		o->full = true;
		return;
	}
	memcpy(o->b + o->n, s, n);
	o->n += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, (uint32_t)strlen(s));
}

/* Decimal, without printf: this runs per packet. */
static void put_u32(struct out *o, uint32_t v)
{
	char d[10];
	uint32_t n = 0;

	do {
		d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	put(o, d + sizeof(d) - n, n);
}

/* An IPv4 address in dotted decimal (what inet_ntop writes, without its sprintf: a 503 to each
 * INVITE over a cap runs this per packet). */
static void put_v4(struct out *o, const uint8_t *a)
{
	for (unsigned int i = 0; i < 4; i++) {
		if (i > 0)
			put(o, ".", 1);
		put_u32(o, a[i]);
	}
}

/* host (a C string) is the IPv4 address a in dotted decimal, by inet_pton's rules (four
 * decimal parts of 0-255, no leading zero, nothing else). */
static bool v4_is(const char *host, const uint8_t *a)
{
	uint32_t part = 0, parts = 0;
	bool digit = false;
	uint8_t got[4];

	for (const char *c = host; *c != '\0'; c++) {
		if (*c >= '0' && *c <= '9') {
			if (digit && part == 0)
				return false;	/* a leading zero */
			part = part * 10 + (uint32_t)(*c - '0');
			if (part > 255)
				return false;
			if (!digit) {
				if (++parts > 4)
					return false;
				digit = true;
			}
			got[parts - 1] = (uint8_t)part;
		} else if (*c == '.' && digit && parts < 4) {
			part = 0;
			digit = false;
		} else {
			return false;
		}
	}
	return parts == 4 && digit && memcmp(got, a, 4) == 0;
}

static void put_hex64(struct out *o, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	char d[16];

	for (int i = 15; i >= 0; i--, v >>= 4)
		d[i] = hex[v & 15];
	put(o, d, sizeof(d));
}

static bool is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Copy msg[v], unfolding CRLF + whitespace into one space (RFC 3261 7.3.1). */
static void put_unfolded(struct out *o, const uint8_t *msg, struct dp_span v)
{
	const uint8_t *p = msg + v.off;
	uint32_t i = 0;

	if (memchr(p, '\n', v.len) == NULL && memchr(p, '\r', v.len) == NULL) {
		put(o, p, v.len);	/* one line, nearly always: copied whole */
		return;
	}

	while (i < v.len) {
		if (p[i] == '\r' || p[i] == '\n') {
			while (i < v.len && (p[i] == '\r' || p[i] == '\n' || is_ws(p[i])))
				i++;
			put(o, " ", 1);
			continue;
		}
		uint32_t j = i;

		while (j < v.len && p[j] != '\r' && p[j] != '\n')
			j++;
		put(o, p + i, j - i);
		i = j;
	}
}

int dp_sip_answerable(const uint8_t *msg, uint32_t len)
{
	if (len >= 4 && memcmp(msg, "SIP/", 4) == 0)
		return 0;	/* a response: never answered (RFC 3261 8.1.3) */
	if (len >= 4 && memcmp(msg, "ACK ", 4) == 0)
		return 0;	/* RFC 3261 17.1.1.3: no response to ACK */
	return len >= 16;	/* shortest plausible request line plus a header */
}


/*
 * The top Via value's sent-by (RFC 3261 18.2.2): host into host[] (empty when it does not
 * fit), and the port, SBC_SIP_PORT_DEFAULT when none is given or it is not a port number.
 */
static uint16_t sent_by(const uint8_t *msg, struct dp_span top, char host[64])
{
	const uint8_t *t = msg + top.off, *sb;
	uint32_t s = 0, e, len, port = SBC_SIP_PORT_DEFAULT, pv = 0;

	/* after "SIP/2.0/UDP" and whitespace, up to ';' or whitespace */
	while (s < top.len && !is_ws(t[s]) && t[s] != '\r' && t[s] != '\n')
		s++;
	while (s < top.len && (is_ws(t[s]) || t[s] == '\r' || t[s] == '\n'))
		s++;
	e = s;
	while (e < top.len && t[e] != ';' && !is_ws(t[e]) && t[e] != '\r')
		e++;
	sb = t + s;
	len = e - s;
	host[0] = '\0';
	if (len > 0 && sb[0] == '[') {	/* [IPv6]:port (RFC 5118 4.5) */
		uint32_t rb = 1;

		while (rb < len && sb[rb] != ']')
			rb++;
		if (rb - 1 < 64) {
			memcpy(host, sb + 1, rb - 1);
			host[rb - 1] = '\0';
		}
		s = rb + 1 < len && sb[rb + 1] == ':' ? rb + 2 : len;
	} else {
		uint32_t c = 0;

		while (c < len && sb[c] != ':')
			c++;
		if (c < 64) {
			memcpy(host, sb, c);
			host[c] = '\0';
		}
		s = c < len ? c + 1 : len;
	}
	if (s < len && sbc_parse_u32((const char *)sb + s, len - s, 65535, &pv) && pv > 0)
		port = pv;
	return (uint16_t)port;
}

/* Fill in the top Via: received= and rport= (RFC 3261 18.2.1, RFC 3581 4). */
static void put_top_via(struct out *o, const uint8_t *msg, const struct dp_sip_msg *sm,
			const struct dp_sip_source *src, uint16_t *reply_port)
{
	struct dp_span v = sm->via[0], top = dp_sip_via_top(msg, sm), rport;
	char host[64], addr[INET6_ADDRSTRLEN];
	uint8_t hb[16];
	bool have_rport = dp_sip_param(msg, top, "rport", &rport);
	bool have_received = dp_sip_param(msg, top, "received", NULL);
	bool same_host = false;
	uint16_t port = sent_by(msg, top, host);

	if (src->family == 4)
		same_host = v4_is(host, src->addr);
	else if (inet_pton(AF_INET6, host, hb) == 1)
		same_host = memcmp(hb, src->addr, 16) == 0;
	*reply_port = have_rport ? src->port : port;

	if (have_rport && rport.len == 0) {
		/* copy up to the end of the bare "rport", fill it, copy the rest */
		uint32_t at = rport.off - top.off;

		put_unfolded(o, msg, (struct dp_span){ top.off, at });
		put(o, "=", 1);
		put_u32(o, src->port);
		put_unfolded(o, msg, (struct dp_span){ top.off + at, top.len - at });
	} else {
		put_unfolded(o, msg, top);
	}
	if (!have_received && (!same_host || have_rport)) {
		puts_(o, ";received=");
		if (src->family == 4) {
			put_v4(o, src->addr);
		} else {
			inet_ntop(AF_INET6, src->addr, addr, sizeof(addr));
			puts_(o, addr);
		}
	}
	put_unfolded(o, msg, (struct dp_span){ top.off + top.len, v.off + v.len - top.off - top.len });
}

int dp_sip_response_from(const uint8_t *msg, const struct dp_sip_msg *sm, int code,
			 const char *reason, const char *extra, const struct dp_sip_source *src,
			 uint64_t tag_secret, char *outbuf, uint32_t outlen, uint16_t *reply_port)
{
	struct out o = { outbuf, 0, outlen, false };
	bool invite;

	if (!sm->is_request || dp_span_eq(msg, sm->method, "ACK"))
		return -ENOMSG;
	invite = dp_span_eq(msg, sm->method, "INVITE");
	if (sm->n_via > DP_SIP_MAX_VIA)
		return -E2BIG;	/* cannot copy every Via (8.2.6.2), so no response at all */
	puts_(&o, "SIP/2.0 ");
	put_u32(&o, (uint32_t)code);
	put(&o, " ", 1);
	puts_(&o, reason);
	put(&o, "\r\n", 2);
	for (unsigned int v = 0; v < sm->n_via; v++) {
		puts_(&o, "Via: ");
		if (v == 0)
			put_top_via(&o, msg, sm, src, reply_port);
		else
			put_unfolded(&o, msg, sm->via[v]);
		puts_(&o, "\r\n");
	}
	puts_(&o, "From: ");
	put_unfolded(&o, msg, sm->from);
	puts_(&o, "\r\nTo: ");
	put_unfolded(&o, msg, sm->to);
	/* RFC 3261 8.2.6.2: add a To tag when the request had none (an INVITE's: the scanner
	 * looked for it, to_tag.off 0 when absent, and for a new dialog read the From tag) */
	if (invite ? sm->to_tag.off == 0 : !dp_sip_param(msg, sm->to, "tag", NULL)) {
		uint64_t t = sbc_fnv1a(SBC_FNV1A_INIT ^ tag_secret, msg + sm->call_id.off,
				       sm->call_id.len);
		struct dp_span from_tag = sm->from_tag;

		if (!invite)
			dp_sip_param(msg, sm->from, "tag", &from_tag);
		t = sbc_fnv1a(t, msg + from_tag.off, from_tag.len);
		puts_(&o, ";tag=sbc");
		put_hex64(&o, t);
	}
	puts_(&o, "\r\nCall-ID: ");
	put_unfolded(&o, msg, sm->call_id);
	puts_(&o, "\r\nCSeq: ");
	put_u32(&o, sm->cseq);
	put(&o, " ", 1);
	put(&o, msg + sm->cseq_method.off, sm->cseq_method.len);
	puts_(&o, "\r\n");
	if (extra != NULL)
		puts_(&o, extra);
	puts_(&o, "Content-Length: 0\r\n\r\n");
	return o.full ? -ENOSPC : (int)o.n;
}

int dp_sip_build_response(const uint8_t *msg, uint32_t len, int code, const char *reason,
			  const char *extra, const struct dp_sip_source *src, uint64_t tag_secret,
			  char *out, uint32_t outlen, uint16_t *reply_port)
{
	struct dp_sip_msg sm;

	if (!dp_sip_answerable(msg, len))
		return -ENOMSG;
	if (dp_sip_scan(msg, len, &sm) != DP_SIP_ERR_OK)
		return -EBADMSG;
	return dp_sip_response_from(msg, &sm, code, reason, extra, src, tag_secret, out, outlen,
				    reply_port);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int dp_reply_frame(uint8_t *f, uint32_t cap, const struct dp_pkt *p, const uint8_t our_mac[6],
		   const char *sip, uint32_t sip_len, uint16_t dport)
{
	uint8_t saddr[16], daddr[16];
	uint32_t alen = p->l3 == DP_L3_IPV4 ? 4 : 16;
	uint32_t iphl = p->l3 == DP_L3_IPV4 ? 20 : 40;
	uint32_t total = p->l2_len + iphl + 8u + sip_len;
	uint8_t *ip = f + p->l3_off, *udp = ip + iphl;
	uint32_t sum;

	if (total > cap || iphl + 8u + sip_len > 1500)
		return -EMSGSIZE;
	/* the addresses point into the frame we are about to overwrite */
	memcpy(saddr, p->dst, alen);
	memcpy(daddr, p->src, alen);
	memcpy(f, f + 6, 6);		/* Ethernet: back to the sender */
	memcpy(f + 6, our_mac, 6);
	/* VLAN tags and EtherType stay as they were: the response leaves on the same VLAN */
	memmove(udp + 8, sip, sip_len);
	if (p->l3 == DP_L3_IPV4) {
		ip[0] = 0x45;
		ip[1] = 0;
		wr16(ip + 2, (uint16_t)(iphl + 8u + sip_len));
		wr16(ip + 4, 0);
		wr16(ip + 6, 0x4000);	/* DF */
		ip[8] = 64;
		ip[9] = DP_PROTO_UDP;
		wr16(ip + 10, 0);
		memcpy(ip + 12, saddr, 4);
		memcpy(ip + 16, daddr, 4);
		wr16(ip + 10, dp_csum_fold(dp_csum_partial(ip, 20, 0)));
	} else {
		ip[0] = 0x60;
		ip[1] = ip[2] = ip[3] = 0;
		wr16(ip + 4, (uint16_t)(8u + sip_len));
		ip[6] = DP_PROTO_UDP;
		ip[7] = 64;
		memcpy(ip + 8, saddr, 16);
		memcpy(ip + 24, daddr, 16);
	}
	wr16(udp, p->dport);
	wr16(udp + 2, dport);
	wr16(udp + 4, (uint16_t)(8u + sip_len));
	wr16(udp + 6, 0);
	/* pseudo-header (RFC 768, RFC 8200 8.1) + UDP header + data */
	sum = dp_csum_partial(saddr, alen, 0);
	sum = dp_csum_partial(daddr, alen, sum);
	sum += DP_PROTO_UDP + 8u + sip_len;
	sum = dp_csum_partial(udp, 8u + sip_len, sum);
	uint16_t c = dp_csum_fold(sum);
	wr16(udp + 6, c == 0 ? 0xffff : c);	/* 0 means "no checksum" in UDP over IPv4 */
	return (int)total;
}
