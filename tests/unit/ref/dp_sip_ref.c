/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * FROZEN REFERENCE, not built into any program: the data plane's SIP scanner as it was before
 * the structural-bitmap rewrite (main at 4f01884, dataplane/dp_sip.c), kept unchanged so
 * tests/unit/test_sip_diff.c can compare the current scanner with it field by field. Its
 * public names are renamed by the test's build (-Ddp_sip_scan=ref_sip_scan ...). Do not edit:
 * a fix to the scanner goes in dataplane/dp_sip.c, and a deliberate change of verdict is
 * listed in test_sip_diff.c with the reason.
 */
#include "dp_sip.h"
#include "sbc_num.h"

#include <stddef.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

const char *const dp_sip_err_text[DP_SIP_ERR_MAX] = {
#define DP_SIP_ERR_TEXT(e, text) [DP_SIP_ERR_##e] = text,
	DP_SIP_ERRORS(DP_SIP_ERR_TEXT)
#undef DP_SIP_ERR_TEXT
};

static inline bool is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* inside a folded value, line breaks count as whitespace (LWS, 25.1) */
static inline bool is_lws(uint8_t c)
{
	return is_ws(c) || c == '\r' || c == '\n';
}

/* Character classes by table: one load per byte in the loops that see every byte. */
enum { C_TOKEN = 1, C_QUOTE = 2, C_BSLASH = 4, C_LT = 8, C_GT = 16 };

static const uint8_t cls[256] = {
#define T3(a, b, c) [a] = C_TOKEN, [b] = C_TOKEN, [c] = C_TOKEN
	['a' ... 'z'] = C_TOKEN, ['A' ... 'Z'] = C_TOKEN, ['0' ... '9'] = C_TOKEN,
	T3('-', '.', '!'), T3('%', '*', '_'), T3('+', '`', '\''), ['~'] = C_TOKEN,
	['"'] = C_QUOTE, ['\\'] = C_BSLASH, ['<'] = C_LT, ['>'] = C_GT,
#undef T3
};

/* RFC 3261 25.1 token characters */
static inline bool is_token(uint8_t c)
{
	return cls[c] & C_TOKEN;
}

/* First index >= i of a byte that is not a token character, or e: four bytes a step while
 * all four are (one branch for four table loads). */
static inline uint32_t token_end(const uint8_t *m, uint32_t i, uint32_t e)
{
	while (i + 4 <= e && (cls[m[i]] & cls[m[i + 1]] & cls[m[i + 2]] & cls[m[i + 3]] & C_TOKEN))
		i += 4;
	while (i < e && is_token(m[i]))
		i++;
	return i;
}

/* Case-insensitive equality with a lowercase literal, for any bytes (strncasecmp without a
 * call): a letter of the literal matches itself or its capital, anything else itself. */
static inline bool ascii_ieq(const uint8_t *s, const char *lit, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint8_t l = (uint8_t)lit[i];

		if (s[i] != l && !(l >= 'a' && l <= 'z' && (s[i] | 0x20) == l))
			return false;
	}
	return true;
}


/* The headers the scanner reads. */
enum hdr { H_OTHER, H_VIA, H_CALL_ID, H_CSEQ, H_FROM, H_TO, H_CLEN, H_CTYPE };

/* Case-insensitive equality of a token with a lowercase literal of letters and '-' only:
 * for token characters, (c | 0x20) matches such a literal exactly when c does. */
static inline bool tok_ieq(const uint8_t *s, const char *lit, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if ((s[i] | 0x20) != (uint8_t)lit[i])
			return false;
	return true;
}

/* Bytes s[0..n) as a little-endian word (n <= 8, a constant where it is called). */
static inline uint64_t word(const void *s, uint32_t n)
{
	uint64_t w = 0;

	memcpy(&w, s, n);
	return w;
}

#define LOWER 0x2020202020202020ull	/* (c | 0x20) per byte: see tok_ieq */

/* tok_ieq for a header name of n bytes (2 <= n <= 16), a word compare or two: the first 8 and
 * the last 8 bytes (overlapping when n < 16). The name is followed by its ':' (header_field
 * checked it), so a name of 3 or 7 bytes is read as 4 or 8, the extra byte masked off. */
static inline bool name_ieq(const uint8_t *s, const char *lit, uint32_t n)
{
	if (n <= 8) {
		uint32_t whole = n == 3 || n == 7 ? n + 1 : n;
		uint64_t keep = n == 8 ? ~0ull : (1ull << (8 * n)) - 1;

		return ((word(s, whole) | LOWER) & keep) == word(lit, n);
	}
	return ((word(s, 8) | LOWER) == word(lit, 8)) &
	       ((word(s + n - 8, 8) | LOWER) == word(lit + n - 8, 8));
}

/* One comparison at most per header line: by length, then the literal. */
static inline enum hdr header_id(const uint8_t *n, uint32_t len)
{
	switch (len) {
	case 1:
		switch (n[0] | 0x20) {
		case 'v': return H_VIA;
		case 'i': return H_CALL_ID;
		case 'f': return H_FROM;
		case 't': return H_TO;
		case 'l': return H_CLEN;
		case 'c': return H_CTYPE;
		default: return H_OTHER;
		}
	case 2:
		return name_ieq(n, "to", 2) ? H_TO : H_OTHER;
	case 3:
		return name_ieq(n, "via", 3) ? H_VIA : H_OTHER;
	case 4:
		return name_ieq(n, "cseq", 4) ? H_CSEQ : name_ieq(n, "from", 4) ? H_FROM : H_OTHER;
	case 7:
		return name_ieq(n, "call-id", 7) ? H_CALL_ID : H_OTHER;
	case 12:
		return name_ieq(n, "content-type", 12) ? H_CTYPE : H_OTHER;
	case 14:
		return name_ieq(n, "content-length", 14) ? H_CLEN : H_OTHER;
	default:
		return H_OTHER;
	}
}

static inline uint32_t skip_to(const uint8_t *s, uint32_t i, uint32_t len, const char *set,
			       unsigned int n);

/*
 * Line ends, found 64 bytes at a time: the cursor keeps one bit per LF of the block it last
 * looked at, so each byte of the header is compared once however many lines it holds.
 */
struct lines {
	const uint8_t *m;
	uint32_t len;
	uint32_t block;		/* offset of the cached block (a multiple of 64), or UINT32_MAX */
	uint64_t lf;		/* bit i: m[block + i] == '\n' */
};

static uint64_t lf_block(const uint8_t *m, uint32_t len, uint32_t b)
{
	uint32_t end = len - b < 64 ? len : b + 64, i = b;
	uint64_t mask = 0;

#ifdef __SSE2__
	const __m128i lf = _mm_set1_epi8('\n');

	for (; i + 16 <= end; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(m + i));

		mask |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, lf)) << (i - b);
	}
	if (i < end && len >= 16) {	/* the message's last 16 bytes, those from i on */
		__m128i x = _mm_loadu_si128((const __m128i *)(m + len - 16));
		uint32_t last = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, lf));

		return mask | (uint64_t)(last >> (16 - (len - i))) << (i - b);
	}
#endif
	for (; i < end; i++)
		if (m[i] == '\n')
			mask |= 1ull << (i - b);
	return mask;
}

/* First LF at or after p, or len. */
static inline uint32_t next_lf(struct lines *l, uint32_t p)
{
	while (p < l->len) {
		uint32_t b = p & ~63u;
		uint64_t rest;

		if (l->block != b) {
			l->block = b;
			l->lf = lf_block(l->m, l->len, b);
		}
		rest = l->lf >> (p - b);
		if (rest != 0)
			return p + (uint32_t)__builtin_ctzll(rest);
		p = b + 64;
	}
	return l->len;
}

/* End of the line starting at p (before its CR LF, or LF). */
static inline uint32_t line_end(struct lines *l, uint32_t p)
{
	uint32_t e = next_lf(l, p);

	if (e > p && l->m[e - 1] == '\r')
		e--;
	return e;
}

static uint32_t skip_eol(const uint8_t *m, uint32_t len, uint32_t p)
{
	if (p < len && m[p] == '\r')
		p++;
	if (p < len && m[p] == '\n')
		p++;
	return p;
}

#ifdef __SSE2__
/* Bit k: s[k] is in the set a, b, c (16 bytes from s). */
static inline uint32_t set_mask(const uint8_t *s, __m128i a, __m128i b, __m128i c)
{
	__m128i x = _mm_loadu_si128((const __m128i *)s);

	return (uint32_t)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, a),
								     _mm_cmpeq_epi8(x, b)),
						       _mm_cmpeq_epi8(x, c)));
}
#endif

/* First index >= i of a byte in set[0..n) (n <= 3), or len. 16 bytes at a time with SSE2; the
 * last (partial) step reads the 16 bytes that end at len, so nothing past s[len - 1]. */
static inline uint32_t skip_to(const uint8_t *s, uint32_t i, uint32_t len, const char *set,
			       unsigned int n)
{
#ifdef __SSE2__
	const __m128i a = _mm_set1_epi8(set[0]), b = _mm_set1_epi8(set[n > 1 ? 1 : 0]);
	const __m128i c = _mm_set1_epi8(set[n > 2 ? 2 : 0]);
	uint32_t mask;

	for (; i + 16 <= len; i += 16) {
		mask = set_mask(s + i, a, b, c);
		if (mask != 0)
			return i + (uint32_t)__builtin_ctz(mask);
	}
	if (i < len && len >= 16) {
		mask = set_mask(s + len - 16, a, b, c) >> (16 - (len - i));	/* bits from i on */
		return mask != 0 ? i + (uint32_t)__builtin_ctz(mask) : len;
	}
#endif
	for (; i < len; i++)
		if (s[i] == (uint8_t)set[0] || (n > 1 && s[i] == (uint8_t)set[1]) ||
		    (n > 2 && s[i] == (uint8_t)set[2]))
			return i;
	return len;
}

/* The first c outside quoted strings and <...>: a state machine that jumps from one byte
 * that matters in its state to the next. */
uint32_t dp_sip_find_unquoted(const uint8_t *msg, struct dp_span v, char c, uint32_t from)
{
	const uint8_t *s = msg + v.off;
	const char plain[3] = { '"', '<', c }, quoted[2] = { '"', '\\' };
	static const char angled[3] = { '"', '<', '>' };
	uint32_t i = from;
	bool q = false;
	int angle = 0;

	while (i < v.len) {
		if (q) {
			i = skip_to(s, i, v.len, quoted, 2);
			if (i >= v.len)
				break;
			if (s[i] == '\\')
				i += 2;		/* quoted-pair */
			else {
				q = false;
				i++;
			}
			continue;
		}
		i = angle > 0 ? skip_to(s, i, v.len, angled, 3) : skip_to(s, i, v.len, plain, 3);
		if (i >= v.len)
			break;
		if (s[i] == '"')
			q = true;
		else if (s[i] == '<')
			angle++;
		else if (angle > 0)
			angle--;	/* '>' */
		else
			return i;	/* c, outside quotes and brackets */
		i++;
	}
	return v.len;
}

bool dp_sip_param_n(const uint8_t *msg, struct dp_span v, const char *name, uint32_t n,
		    struct dp_span *val)
{
	const uint8_t *s = msg + v.off;
	uint32_t i = dp_sip_find_unquoted(msg, v, ';', 0);

	while (i < v.len) {
		uint32_t b = i + 1, e = dp_sip_find_unquoted(msg, v, ';', b), eq, ne;

		while (b < e && is_ws(s[b]))
			b++;
		eq = b;
		while (eq < e && s[eq] != '=')
			eq++;
		ne = eq;
		while (ne > b && is_ws(s[ne - 1]))
			ne--;
		if (ne - b == n && tok_ieq(s + b, name, n)) {
			if (val != NULL) {
				uint32_t vb = eq < e ? eq + 1 : e, ve = e;

				while (vb < ve && is_ws(s[vb]))
					vb++;
				while (ve > vb && is_ws(s[ve - 1]))
					ve--;
				val->off = v.off + vb;
				val->len = ve - vb;
			}
			return true;
		}
		i = e;
	}
	return false;
}

static inline bool parse_uint(const uint8_t *m, struct dp_span s, uint64_t max, uint32_t *out)
{
	return sbc_parse_u32((const char *)m + s.off, s.len, max, out);
}

/* First index >= i of a byte that is not visible ASCII (0x21-0x7e: SP, controls, DEL,
 * bytes >= 0x80), or e. */
static inline uint32_t visible_end(const uint8_t *m, uint32_t i, uint32_t e)
{
#ifdef __SSE2__
	const __m128i lo = _mm_set1_epi8(0x21), del = _mm_set1_epi8(0x7f);

	for (; i + 16 <= e; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(m + i));
		/* signed compare: bytes >= 0x80 are negative, below 0x21 too */
		int mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmplt_epi8(x, lo),
							  _mm_cmpeq_epi8(x, del)));

		if (mask != 0)
			return i + (uint32_t)__builtin_ctz((unsigned int)mask);
	}
	if (i < e && e >= 16) {	/* the 16 bytes that end at e, those from i on */
		__m128i x = _mm_loadu_si128((const __m128i *)(m + e - 16));
		uint32_t mask = (uint32_t)_mm_movemask_epi8(_mm_or_si128(_mm_cmplt_epi8(x, lo),
									 _mm_cmpeq_epi8(x, del)));

		mask >>= 16 - (e - i);
		return mask != 0 ? i + (uint32_t)__builtin_ctz(mask) : e;
	}
#endif
	for (; i < e; i++)
		if (m[i] < 0x21 || m[i] > 0x7e)
			return i;
	return e;
}

/* The user part of a Request-URI: sip:USER@..., sips:USER@..., tel:NUMBER[;params]. */
static struct dp_span ruri_user(const uint8_t *m, struct dp_span ruri)
{
	const uint8_t *u = m + ruri.off;
	uint32_t n = ruri.len, s = 0, x, c;

	if (n > 4 && ascii_ieq(u, "tel:", 4)) {
		for (x = 4; x < n && u[x] != ';' && u[x] != '?'; x++)
			;
		return (struct dp_span){ ruri.off + 4, x - 4 };
	}
	if (n > 4 && ascii_ieq(u, "sip:", 4))
		s = 4;
	else if (n > 5 && ascii_ieq(u, "sips:", 5))
		s = 5;
	else
		return (struct dp_span){ 0, 0 };
	x = skip_to(u, s, n, "@;?", 3);
	x = skip_to(u, s, x, ">", 1);	/* the first of the four */
	if (x >= n || u[x] != '@')
		return (struct dp_span){ 0, 0 };
	for (c = s; c < x && u[c] != ':'; c++)	/* user:password@ */
		;
	return (struct dp_span){ ruri.off + s, c - s };
}

/* Request-Line = Method SP Request-URI SP SIP-Version (7.1); one SP each, nothing else. */
static enum dp_sip_err start_line(const uint8_t *m, uint32_t e, struct dp_sip_msg *sm)
{
	uint32_t i = 0, sp1, sp2;

	if (e >= 8 && memcmp(m, "SIP/2.0 ", 8) == 0) {
		/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (7.2) */
		uint32_t code = 0;

		if (e < 11 || !parse_uint(m, (struct dp_span){ 8, 3 }, 699, &code) || code < 100 ||
		    (e > 11 && m[11] != ' '))
			return DP_SIP_ERR_START_LINE;
		sm->is_request = false;
		sm->status = (uint16_t)code;
		return DP_SIP_ERR_OK;
	}
	if (e >= 4 && ascii_ieq(m, "sip/", 4))
		return DP_SIP_ERR_VERSION;
	i = token_end(m, 0, e);
	if (i == 0 || i >= e || m[i] != ' ')
		return DP_SIP_ERR_START_LINE;
	sp1 = i;
	i = visible_end(m, sp1 + 1, e);
	if (i < e && m[i] != ' ')
		return DP_SIP_ERR_START_LINE;	/* a control or non-ASCII byte in the URI */
	sp2 = i;
	if (sp2 == sp1 + 1 || sp2 >= e)
		return DP_SIP_ERR_START_LINE;
	if (e - sp2 - 1 != 7 || !ascii_ieq(m + sp2 + 1, "sip/2.0", 7))
		return e - sp2 - 1 >= 4 && ascii_ieq(m + sp2 + 1, "sip/", 4) ?
			       DP_SIP_ERR_VERSION : DP_SIP_ERR_START_LINE;
	sm->is_request = true;
	sm->method = (struct dp_span){ 0, sp1 };
	sm->ruri = (struct dp_span){ sp1 + 1, sp2 - sp1 - 1 };
	sm->ruri_user = ruri_user(m, sm->ruri);
	return DP_SIP_ERR_OK;
}

/* Header fields seen, by kind: each of these may appear once. */
struct seen {
	unsigned int call_id, cseq, from, to, clen, ctype;
};

/*
 * One header field from p (not the empty line): name and value (folded continuation lines,
 * 7.3.1, stay inside the value; surrounding whitespace trimmed). *next: the next line.
 */
static enum dp_sip_err header_field(struct lines *l, uint32_t p, uint32_t e,
				    struct dp_span *name, struct dp_span *value, uint32_t *next)
{
	const uint8_t *m = l->m;
	uint32_t len = l->len, colon, vs;

	if (is_ws(m[p]))	/* a continuation with no header before it */
		return DP_SIP_ERR_HEADER;
	colon = token_end(m, p, e);
	*name = (struct dp_span){ p, colon - p };
	while (colon < e && is_ws(m[colon]))	/* "Via  :" is legal (HCOLON) */
		colon++;
	if (name->len == 0 || colon >= e || m[colon] != ':')
		return DP_SIP_ERR_HEADER;	/* also catches "Call ID:" (CVE-2020-28361) */
	vs = colon + 1;
	/* folded continuation lines start with SP or HT (7.3.1) */
	for (;;) {
		uint32_t n = skip_eol(m, len, e);

		if (n > e && n < len && is_ws(m[n]))
			e = line_end(l, n);
		else
			break;
	}
	while (vs < e && is_lws(m[vs]))
		vs++;
	*value = (struct dp_span){ vs, e - vs };
	while (value->len > 0 && is_ws(m[value->off + value->len - 1]))
		value->len--;
	*next = skip_eol(m, len, e);
	return DP_SIP_ERR_OK;
}

/* Via: count the fields; the first one's first value and its branch (for responses). */
static enum dp_sip_err take_via(const uint8_t *m, struct dp_span value, struct dp_sip_msg *sm)
{
	if (value.len == 0)
		return DP_SIP_ERR_VIA;
	if (sm->n_via == 0) {
		uint32_t c = dp_sip_find_unquoted(m, value, ',', 0);

		sm->via_top = (struct dp_span){ value.off, c };
		while (sm->via_top.len > 0 && is_ws(m[sm->via_top.off + sm->via_top.len - 1]))
			sm->via_top.len--;
		dp_sip_param(m, sm->via_top, "branch", &sm->branch);
	}
	if (sm->n_via < DP_SIP_MAX_VIA)
		sm->via[sm->n_via] = value;
	if (sm->n_via < UINT16_MAX)
		sm->n_via++;
	return DP_SIP_ERR_OK;
}

/* CSeq = 1*DIGIT LWS Method (20.16) */
static enum dp_sip_err take_cseq(const uint8_t *m, struct dp_span value, struct dp_sip_msg *sm)
{
	uint32_t i = 0;

	while (i < value.len && m[value.off + i] >= '0' && m[value.off + i] <= '9')
		i++;
	/* 8.1.1.5: the number MUST be less than 2^31 */
	if (!parse_uint(m, (struct dp_span){ value.off, i }, 0x7fffffffu, &sm->cseq) ||
	    i == value.len || !is_lws(m[value.off + i]))
		return DP_SIP_ERR_CSEQ;
	while (i < value.len && is_lws(m[value.off + i]))
		i++;
	sm->cseq_method = (struct dp_span){ value.off + i, value.len - i };
	for (uint32_t k = 0; k < sm->cseq_method.len; k++)
		if (!is_token(m[sm->cseq_method.off + k]))
			return DP_SIP_ERR_CSEQ;
	return DP_SIP_ERR_OK;
}

/* Keep what the scanner reads of one header field. */
static enum dp_sip_err take_header(const uint8_t *m, struct dp_span name, struct dp_span value,
				   struct dp_sip_msg *sm, struct seen *n)
{
	switch (header_id(m + name.off, name.len)) {
	case H_VIA:
		return take_via(m, value, sm);
	case H_CALL_ID:
		n->call_id++;
		sm->call_id = value;
		return DP_SIP_ERR_OK;
	case H_CSEQ:
		n->cseq++;
		return take_cseq(m, value, sm);
	case H_FROM:
		n->from++;
		sm->from = value;
		return DP_SIP_ERR_OK;
	case H_TO:
		n->to++;
		sm->to = value;
		return DP_SIP_ERR_OK;
	case H_CLEN:
		n->clen++;
		if (!parse_uint(m, value, 0xffffffffu, &sm->content_length))
			return DP_SIP_ERR_CONTENT_LENGTH;
		sm->has_content_length = true;
		return DP_SIP_ERR_OK;
	case H_CTYPE:
		n->ctype++;
		sm->content_type = value;
		return DP_SIP_ERR_OK;
	default:
		return DP_SIP_ERR_OK;
	}
}

/* The header fields up to the empty line; *body: where the body starts. */
static enum dp_sip_err header_fields(struct lines *l, uint32_t p, struct dp_sip_msg *sm,
				     struct seen *n, uint32_t *body)
{
	const uint8_t *m = l->m;
	uint32_t len = l->len;

	for (;;) {
		struct dp_span name, value;
		enum dp_sip_err rc;
		uint32_t e;

		if (p >= len)
			return DP_SIP_ERR_NO_END;
		e = line_end(l, p);
		if (e == p) {		/* the empty line */
			p = skip_eol(m, len, e);
			if (p == e)	/* datagram ended without CRLF after the last header */
				return DP_SIP_ERR_NO_END;
			*body = p;
			return DP_SIP_ERR_OK;
		}
		rc = header_field(l, p, e, &name, &value, &p);
		if (rc == DP_SIP_ERR_OK)
			rc = take_header(m, name, value, sm, n);
		if (rc != DP_SIP_ERR_OK)
			return rc;
	}
}

/* The fields every request and response carries, once (8.1.1), and their tags. */
static enum dp_sip_err required_fields(const uint8_t *m, struct dp_sip_msg *sm,
				       const struct seen *n)
{
	if (n->call_id != 1 || sm->call_id.len == 0)
		return DP_SIP_ERR_CALL_ID;
	if (n->cseq != 1 || sm->cseq_method.len == 0)
		return DP_SIP_ERR_CSEQ;
	if (sm->is_request && (sm->cseq_method.len != sm->method.len ||
			       memcmp(m + sm->cseq_method.off, m + sm->method.off, sm->method.len) != 0))
		return DP_SIP_ERR_CSEQ_METHOD;
	if (sm->n_via == 0)
		return DP_SIP_ERR_VIA;
	if (n->from != 1 || n->to != 1 || sm->from.len == 0 || sm->to.len == 0)
		return DP_SIP_ERR_FROM_TO;
	if (n->clen > 1)
		return DP_SIP_ERR_CONTENT_LENGTH;
	dp_sip_param(m, sm->from, "tag", &sm->from_tag);
	dp_sip_param(m, sm->to, "tag", &sm->to_tag);
	return DP_SIP_ERR_OK;
}

/*
 * 18.3: over UDP a Content-Length beyond the datagram is an error; bytes past it are ignored;
 * without one, the body is the rest of the datagram.
 */
static enum dp_sip_err body(const uint8_t *m, uint32_t len, uint32_t p, struct dp_sip_msg *sm,
			    const struct seen *n)
{
	struct dp_span b;

	sm->body_off = p;
	sm->body_len = len - p;
	if (sm->has_content_length) {
		if (sm->content_length > sm->body_len)
			return DP_SIP_ERR_CONTENT_LENGTH;
		sm->body_len = sm->content_length;
	}
	/* RFC 2046 5.1.1: a multipart body must hold its boundary; one longer than the body is
	 * the shape of the Sofia-SIP multipart over-read, never a real message. */
	if (n->ctype == 0 || sm->content_type.len < 10 ||
	    !ascii_ieq(m + sm->content_type.off, "multipart/", 10))
		return DP_SIP_ERR_OK;
	if (!dp_sip_param(m, sm->content_type, "boundary", &b) || b.len == 0 ||
	    b.len + 4 > sm->body_len)	/* "--" boundary "--" at least */
		return DP_SIP_ERR_MULTIPART;
	return DP_SIP_ERR_OK;
}

enum dp_sip_err dp_sip_scan(const uint8_t *m, uint32_t len, struct dp_sip_msg *sm)
{
	struct lines l = { .m = m, .len = len, .block = UINT32_MAX };
	struct seen n = { 0 };
	uint32_t e, p;
	enum dp_sip_err rc;

	memset(sm, 0, offsetof(struct dp_sip_msg, via));
	if (len == 0)
		return DP_SIP_ERR_START_LINE;
	e = line_end(&l, 0);
	rc = start_line(m, e, sm);
	if (rc == DP_SIP_ERR_OK)
		rc = header_fields(&l, skip_eol(m, len, e), sm, &n, &p);
	if (rc == DP_SIP_ERR_OK)
		rc = required_fields(m, sm, &n);
	if (rc == DP_SIP_ERR_OK)
		rc = body(m, len, p, sm, &n);
	return rc;
}
