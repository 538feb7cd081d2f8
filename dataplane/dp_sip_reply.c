/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data-plane SIP responses. Runs on worker lcores for the few packets that earn a response
 * (rate-limited by the caller), so clarity wins over speed here; it still never reads past the
 * datagram and never allocates.
 */
#include "dp_sip_reply.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct span {
	const char *p;
	uint32_t n;
};

/* One header field: name and value with folding still inside (RFC 3261 7.3.1). */
struct hdr {
	struct span name, value;
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static bool span_ieq(struct span s, const char *lit)
{
	return s.n == strlen(lit) && strncasecmp(s.p, lit, s.n) == 0;
}

/* End of the line starting at p (index of its CR or LF, or end). */
static uint32_t line_end(const char *m, uint32_t len, uint32_t p)
{
	while (p < len && m[p] != '\r' && m[p] != '\n')
		p++;
	return p;
}

static uint32_t skip_eol(const char *m, uint32_t len, uint32_t p)
{
	if (p < len && m[p] == '\r')
		p++;
	if (p < len && m[p] == '\n')
		p++;
	return p;
}

/*
 * Next header field starting at *pos. Returns 1 with h filled, 0 at the empty line that ends the
 * headers (or at the end of the datagram), -1 for a line that is not "name: value".
 */
static int next_header(const char *m, uint32_t len, uint32_t *pos, struct hdr *h)
{
	uint32_t p = *pos, e, colon, vs;

	if (p >= len)
		return 0;
	e = line_end(m, len, p);
	if (e == p)
		return 0;	/* empty line: end of headers */
	colon = p;
	while (colon < e && m[colon] != ':')
		colon++;
	if (colon == e || colon == p)
		return -1;
	h->name.p = m + p;
	h->name.n = colon - p;
	while (h->name.n > 0 && is_ws(h->name.p[h->name.n - 1]))	/* "Via   :" is legal */
		h->name.n--;
	for (uint32_t i = 0; i < h->name.n; i++)
		if (is_ws(h->name.p[i]))	/* whitespace inside a name: smuggling, refuse */
			return -1;
	vs = colon + 1;
	while (vs < e && is_ws(m[vs]))
		vs++;
	/* Folded continuation lines start with SP or HT and belong to this value. */
	for (;;) {
		uint32_t n = skip_eol(m, len, e);

		if (n < len && is_ws(m[n]) && n != e)
			e = line_end(m, len, n);
		else
			break;
	}
	h->value.p = m + vs;
	h->value.n = e > vs ? e - vs : 0;
	while (h->value.n > 0 && is_ws(h->value.p[h->value.n - 1]))
		h->value.n--;
	*pos = skip_eol(m, len, e);
	return 1;
}

/* Output buffer that refuses to overflow and remembers it did. */
struct out {
	char *b;
	uint32_t n, cap;
	bool full;
};

static void put(struct out *o, const char *s, uint32_t n)
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

/* Copy a header value, unfolding CRLF + whitespace into one space (RFC 3261 7.3.1). */
static void put_unfolded(struct out *o, struct span v)
{
	uint32_t i = 0;

	while (i < v.n) {
		if (v.p[i] == '\r' || v.p[i] == '\n') {
			while (i < v.n && (v.p[i] == '\r' || v.p[i] == '\n' || is_ws(v.p[i])))
				i++;
			put(o, " ", 1);
			continue;
		}
		put(o, v.p + i, 1);
		i++;
	}
}

/* Position of the first c in v outside quoted strings and <...>, or v.n. */
static uint32_t find_unquoted(struct span v, char c, uint32_t from)
{
	bool q = false;
	int angle = 0;

	for (uint32_t i = from; i < v.n; i++) {
		char ch = v.p[i];

		if (q) {
			if (ch == '\\' && i + 1 < v.n)
				i++;
			else if (ch == '"')
				q = false;
			continue;
		}
		if (ch == '"')
			q = true;
		else if (ch == '<')
			angle++;
		else if (ch == '>' && angle > 0)
			angle--;
		else if (ch == c && angle == 0)
			return i;
	}
	return v.n;
}

/* Does the ;-parameter list of v contain name (case-insensitive)? Sets *val to its value. */
static bool find_param(struct span v, const char *name, struct span *val)
{
	uint32_t i = find_unquoted(v, ';', 0);

	while (i < v.n) {
		uint32_t s = i + 1, e = find_unquoted(v, ';', s), eq;

		while (s < e && is_ws(v.p[s]))
			s++;
		eq = s;
		while (eq < e && v.p[eq] != '=')
			eq++;
		struct span pn = { v.p + s, eq - s };
		while (pn.n > 0 && is_ws(pn.p[pn.n - 1]))
			pn.n--;
		if (span_ieq(pn, name)) {
			if (val != NULL) {
				val->p = eq < e ? v.p + eq + 1 : v.p + e;
				val->n = eq < e ? e - eq - 1 : 0;
			}
			return true;
		}
		i = e;
	}
	return false;
}

int dp_sip_answerable(const uint8_t *msg, uint32_t len)
{
	if (len >= 4 && memcmp(msg, "SIP/", 4) == 0)
		return 0;	/* a response: never answered (RFC 3261 8.1.3) */
	if (len >= 4 && memcmp(msg, "ACK ", 4) == 0)
		return 0;	/* RFC 3261 17.1.1.3: no response to ACK */
	return len >= 16;	/* shortest plausible request line plus a header */
}

static uint64_t fnv1a(uint64_t h, const char *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		h ^= (uint8_t)p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Fill in the top Via: received= and rport= (RFC 3261 18.2.1, RFC 3581 4). */
static void put_top_via(struct out *o, struct span v, const struct dp_sip_source *src,
			uint16_t *reply_port)
{
	uint32_t end = find_unquoted(v, ',', 0);	/* the top value of a comma list */
	struct span top = { v.p, end }, rport, sentby;
	char host[64], addr[INET6_ADDRSTRLEN], num[16];
	uint8_t hb[16];
	bool have_rport = find_param(top, "rport", &rport);
	bool have_received = find_param(top, "received", NULL);
	bool same_host = false;
	uint32_t s, e, port = 5060;

	/* sent-by: after "SIP/2.0/UDP" and whitespace, up to ';' or whitespace */
	s = 0;
	while (s < top.n && !is_ws(top.p[s]))
		s++;
	while (s < top.n && is_ws(top.p[s]))
		s++;
	e = s;
	while (e < top.n && top.p[e] != ';' && !is_ws(top.p[e]) && top.p[e] != ',')
		e++;
	sentby.p = top.p + s;
	sentby.n = e - s;
	if (sentby.n > 0 && sentby.p[0] == '[') {	/* [IPv6]:port (RFC 5118 4.5) */
		uint32_t rb = 1;

		while (rb < sentby.n && sentby.p[rb] != ']')
			rb++;
		if (rb - 1 < sizeof(host)) {
			memcpy(host, sentby.p + 1, rb - 1);
			host[rb - 1] = '\0';
		} else {
			host[0] = '\0';
		}
		if (rb + 1 < sentby.n && sentby.p[rb + 1] == ':')
			s = rb + 2;
		else
			s = sentby.n;
	} else {
		uint32_t c = 0;

		while (c < sentby.n && sentby.p[c] != ':')
			c++;
		if (c < sizeof(host)) {
			memcpy(host, sentby.p, c);
			host[c] = '\0';
		} else {
			host[0] = '\0';
		}
		s = c < sentby.n ? c + 1 : sentby.n;
	}
	if (s < sentby.n) {
		uint32_t pv = 0;
		bool ok = true;

		for (uint32_t i = s; i < sentby.n; i++) {
			if (sentby.p[i] < '0' || sentby.p[i] > '9' || pv > 65535) {
				ok = false;
				break;
			}
			pv = pv * 10 + (uint32_t)(sentby.p[i] - '0');
		}
		if (ok && pv > 0 && pv <= 65535)
			port = pv;
	}
	if (inet_pton(src->family == 4 ? AF_INET : AF_INET6, host, hb) == 1)
		same_host = memcmp(hb, src->addr, src->family == 4 ? 4 : 16) == 0;
	inet_ntop(src->family == 4 ? AF_INET : AF_INET6, src->addr, addr, sizeof(addr));
	*reply_port = have_rport ? src->port : (uint16_t)port;

	if (have_rport && rport.n == 0) {
		/* copy up to the end of the bare "rport", fill it, copy the rest */
		uint32_t at = (uint32_t)(rport.p - top.p);

		put_unfolded(o, (struct span){ top.p, at });
		snprintf(num, sizeof(num), "=%u", src->port);
		puts_(o, num);
		put_unfolded(o, (struct span){ top.p + at, top.n - at });
	} else {
		put_unfolded(o, top);
	}
	if (!have_received && (!same_host || have_rport)) {
		puts_(o, ";received=");
		puts_(o, addr);
	}
	put_unfolded(o, (struct span){ v.p + end, v.n - end });
}

int dp_sip_build_response(const uint8_t *msg_, uint32_t len, int code, const char *reason,
			  const char *extra, const struct dp_sip_source *src, uint64_t tag_secret,
			  char *outbuf, uint32_t outlen, uint16_t *reply_port)
{
	const char *m = (const char *)msg_;
	struct hdr via[16], from = { 0 }, to = { 0 }, callid = { 0 }, cseq = { 0 }, h;
	unsigned int n_via = 0, n_from = 0, n_to = 0, n_callid = 0, n_cseq = 0;
	struct span method;
	struct out o = { outbuf, 0, outlen, false };
	uint32_t pos, e, i;
	char line[64];
	int r;

	if (!dp_sip_answerable(msg_, len))
		return -ENOMSG;
	/* Request-Line = Method SP Request-URI SP SIP-Version CRLF (RFC 3261 7.1) */
	e = line_end(m, len, 0);
	for (i = 0; i < e && m[i] != ' '; i++)
		if (m[i] < 0x21 || m[i] > 0x7e)
			return -EBADMSG;
	if (i == 0 || i == e)
		return -EBADMSG;
	method.p = m;
	method.n = i;
	if (e < 8 + 2 + i || strncasecmp(m + e - 7, "SIP/2.0", 7) != 0 || m[e - 8] != ' ')
		return -EBADMSG;
	pos = skip_eol(m, len, e);

	while ((r = next_header(m, len, &pos, &h)) == 1) {
		if (span_ieq(h.name, "Via") || span_ieq(h.name, "v")) {
			if (n_via == sizeof(via) / sizeof(via[0]))
				return -EBADMSG;
			via[n_via++] = h;
		} else if (span_ieq(h.name, "From") || span_ieq(h.name, "f")) {
			from = h;
			n_from++;
		} else if (span_ieq(h.name, "To") || span_ieq(h.name, "t")) {
			to = h;
			n_to++;
		} else if (span_ieq(h.name, "Call-ID") || span_ieq(h.name, "i")) {
			callid = h;
			n_callid++;
		} else if (span_ieq(h.name, "CSeq")) {
			cseq = h;
			n_cseq++;
		}
	}
	if (r < 0 || n_via == 0 || n_from != 1 || n_to != 1 || n_callid != 1 || n_cseq != 1 ||
	    callid.value.n == 0 || from.value.n == 0 || to.value.n == 0)
		return -EBADMSG;
	/* CSeq = 1*DIGIT LWS Method, and its method must be the request's (RFC 3261 8.1.1.5) */
	for (i = 0; i < cseq.value.n && cseq.value.p[i] >= '0' && cseq.value.p[i] <= '9'; i++)
		;
	if (i == 0 || i > 10 || i == cseq.value.n || !is_ws(cseq.value.p[i]))
		return -EBADMSG;
	while (i < cseq.value.n && is_ws(cseq.value.p[i]))
		i++;
	if (cseq.value.n - i != method.n || memcmp(cseq.value.p + i, method.p, method.n) != 0)
		return -EBADMSG;

	snprintf(line, sizeof(line), "SIP/2.0 %d %s\r\n", code, reason);
	puts_(&o, line);
	for (unsigned int v = 0; v < n_via; v++) {
		puts_(&o, "Via: ");
		if (v == 0)
			put_top_via(&o, via[0].value, src, reply_port);
		else
			put_unfolded(&o, via[v].value);
		puts_(&o, "\r\n");
	}
	puts_(&o, "From: ");
	put_unfolded(&o, from.value);
	puts_(&o, "\r\nTo: ");
	put_unfolded(&o, to.value);
	/* RFC 3261 8.2.6.2: add a To tag when the request had none */
	if (!find_param(to.value, "tag", NULL)) {
		struct span ft = { 0 };
		uint64_t t = fnv1a(0xcbf29ce484222325ull ^ tag_secret, callid.value.p, callid.value.n);

		if (find_param(from.value, "tag", &ft))
			t = fnv1a(t, ft.p, ft.n);
		snprintf(line, sizeof(line), ";tag=sbc%016llx", (unsigned long long)t);
		puts_(&o, line);
	}
	puts_(&o, "\r\nCall-ID: ");
	put_unfolded(&o, callid.value);
	puts_(&o, "\r\nCSeq: ");
	put_unfolded(&o, cseq.value);
	puts_(&o, "\r\n");
	if (extra != NULL)
		puts_(&o, extra);
	puts_(&o, "Content-Length: 0\r\n\r\n");
	return o.full ? -ENOSPC : (int)o.n;
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
