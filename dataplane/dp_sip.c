/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP scanner for the workers (RFC 3261 7, 18.3, 20). One pass over the header lines; every
 * index is checked against the datagram's length before use, so a message cut anywhere is
 * just "malformed". It does not validate what it does not read (URIs, display names, SDP):
 * the control plane's full parser sees what passes.
 *
 * Where the bytes are found: the structural characters a decision turns on (LF for the lines,
 * '"' '\\' '<' '>' and the separator for the parameters) are found as bitmaps of 64 bytes at a
 * time, so the scanner jumps from one to the next instead of testing every byte; a line's ':'
 * by one 16-byte compare at its start.
 * SSE2 (the x86-64 baseline) does the compares, AVX-512 or AVX2 the line bitmaps where the cpu
 * has it (checked once at load time); DP_SIP_PORTABLE, or a target without SSE2, takes the plain C
 * path, which the unit tests build and compare too.
 */
#include "dp_sip.h"
#include "sbc_num.h"

#include <stddef.h>
#include <string.h>
#if defined(__SSE2__) && !defined(DP_SIP_PORTABLE)
#define DP_SIP_SSE2 1
#include <emmintrin.h>
#if defined(__x86_64__) || defined(__i386__)
#define DP_SIP_AVX2 1	/* with a run-time check of the cpu */
#include <immintrin.h>
#endif
#endif

/* The helpers every byte or line goes through: inlined at -O2 too (meson's default build). */
#define HOT static inline __attribute__((always_inline))

const char *const dp_sip_err_text[DP_SIP_ERR_MAX] = {
#define DP_SIP_ERR_TEXT(e, text) [DP_SIP_ERR_##e] = text,
	DP_SIP_ERRORS(DP_SIP_ERR_TEXT)
#undef DP_SIP_ERR_TEXT
};

/* Character classes by table: one load per byte in the loops that see every byte. C_LWS: SP,
 * HT and, inside a folded value, the line breaks (LWS, 25.1). */
enum { C_TOKEN = 1, C_QUOTE = 2, C_BSLASH = 4, C_LT = 8, C_GT = 16, C_WS = 32, C_LWS = 64 };

static const uint8_t cls[256] = {
#define T3(a, b, c) [a] = C_TOKEN, [b] = C_TOKEN, [c] = C_TOKEN
	['a' ... 'z'] = C_TOKEN, ['A' ... 'Z'] = C_TOKEN, ['0' ... '9'] = C_TOKEN,
	T3('-', '.', '!'), T3('%', '*', '_'), T3('+', '`', '\''), ['~'] = C_TOKEN,
	['"'] = C_QUOTE, ['\\'] = C_BSLASH, ['<'] = C_LT, ['>'] = C_GT,
	[' '] = C_WS | C_LWS, ['\t'] = C_WS | C_LWS, ['\r'] = C_LWS, ['\n'] = C_LWS,
#undef T3
};

HOT bool is_ws(uint8_t c)
{
	return cls[c] & C_WS;
}

HOT bool is_lws(uint8_t c)
{
	return cls[c] & C_LWS;
}

/* RFC 3261 25.1 token characters */
HOT bool is_token(uint8_t c)
{
	return cls[c] & C_TOKEN;
}

/* First index >= i of a byte that is not a token character, or e: four bytes a step while
 * all four are (one branch for four table loads). */
HOT uint32_t token_end(const uint8_t *m, uint32_t i, uint32_t e)
{
	while (i + 4 <= e && (cls[m[i]] & cls[m[i + 1]] & cls[m[i + 2]] & cls[m[i + 3]] & C_TOKEN))
		i += 4;
	while (i < e && is_token(m[i]))
		i++;
	return i;
}

/* The headers the scanner reads; H_SKIP: common ones it does not read, known by name (which
 * makes them tokens without a look at each byte); H_OTHER: any other name; H_BAD: one that is
 * not a token. */
enum hdr { H_OTHER, H_SKIP, H_VIA, H_CALL_ID, H_CSEQ, H_FROM, H_TO, H_CLEN, H_CTYPE, H_BAD };

/* A mask of the low n bytes of a word (n <= 8). */
HOT uint64_t below_bytes(uint32_t n)
{
	return n >= 8 ? ~0ull : (1ull << (8 * n)) - 1;
}

/* Bytes s[0..n) as a little-endian word (n <= 8, a constant where it is called): loads of 4, 2
 * and 1 bytes put together in a register, never bytes copied into a word on the stack and read
 * back whole (a store-forwarding stall of a dozen cycles per compare); on a literal, a constant. */
HOT uint64_t word(const void *s, uint32_t n)
{
	const uint8_t *b = s;
	uint64_t w = 0;
	uint32_t k = 0;

	if (n == 8) {
		memcpy(&w, b, 8);
		return w;
	}
	if (n & 4) {
		uint32_t x;

		memcpy(&x, b, 4);
		w = x;
		k = 4;
	}
	if (n & 2) {
		uint16_t x;

		memcpy(&x, b + k, 2);
		w |= (uint64_t)x << (8 * k);
		k += 2;
	}
	if (n & 1)
		w |= (uint64_t)b[k] << (8 * k);
	return w;
}

/* Case-insensitive equality of a token with a lowercase literal of letters and '-' only:
 * for token characters, (c | 0x20) matches such a literal exactly when c does. A word
 * compare for names up to 8 bytes (every parameter the data plane asks for). */
HOT bool tok_ieq(const uint8_t *s, const char *lit, uint32_t n)
{
	if (n > 0 && n <= 8)
		return (word(s, n) | (0x2020202020202020ull >> (64 - 8 * n))) == word(lit, n);
	for (uint32_t i = 0; i < n; i++)
		if ((s[i] | 0x20) != (uint8_t)lit[i])
			return false;
	return true;
}

/* 0x20 at each byte of lit[0..n) (n <= 8) that is a letter: OR-ed into the name, it makes a
 * capital equal the literal's letter and nothing else (a CR stays a CR where the literal has
 * '-'). Written out, not a loop, so that -O2 folds it to a constant as well as -O3. */
#define CASE_BIT(lit, n, i) \
	((i) < (n) && (lit)[i] >= 'a' && (lit)[i] <= 'z' ? 0x20ull << (8 * (i)) : 0)

HOT uint64_t case_bits(const char *lit, uint32_t n)
{
	return CASE_BIT(lit, n, 0) | CASE_BIT(lit, n, 1) | CASE_BIT(lit, n, 2) |
	       CASE_BIT(lit, n, 3) | CASE_BIT(lit, n, 4) | CASE_BIT(lit, n, 5) |
	       CASE_BIT(lit, n, 6) | CASE_BIT(lit, n, 7);
}

/* Case-insensitive equality of a header name of n bytes (2 <= n <= 16) with a lowercase
 * literal of letters and '-', as a word compare or two: the first 8 and the last 8 bytes
 * (overlapping when n < 16). A name that matches is a token, so it needs no other check.
 * The name is followed by its ':' or whitespace, so a name of 3 or 7 bytes is read as 4 or
 * 8, the extra byte masked off. */
HOT bool name_ieq(const uint8_t *s, const char *lit, uint32_t n)
{
	if (n <= 8) {
		uint32_t whole = n == 3 || n == 7 ? n + 1 : n;
		uint64_t keep = n == 8 ? ~0ull : (1ull << (8 * n)) - 1;

		return ((word(s, whole) | case_bits(lit, n)) & keep) == word(lit, n);
	}
	return ((word(s, 8) | case_bits(lit, 8)) == word(lit, 8)) &
	       ((word(s + n - 8, 8) | case_bits(lit + n - 8, 8)) == word(lit + n - 8, 8));
}

/* Case-insensitive equality with a lowercase literal (n <= 16), for any bytes (strncasecmp
 * without a call): a letter of the literal matches itself or its capital, anything else
 * itself. One or two word compares. */
HOT bool ascii_ieq(const uint8_t *s, const char *lit, uint32_t n)
{
	if (n <= 8)
		return (word(s, n) | case_bits(lit, n)) == word(lit, n);
	return ((word(s, 8) | case_bits(lit, 8)) == word(lit, 8)) &
	       ((word(s + n - 8, 8) | case_bits(lit + n - 8, 8)) == word(lit + n - 8, 8));
}

/* A few word compares at most per header line: by length, then the literals. */
HOT enum hdr header_id(const uint8_t *n, uint32_t len)
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
	case 5:
		return name_ieq(n, "route", 5) || name_ieq(n, "allow", 5) ? H_SKIP : H_OTHER;
	case 7:
		return name_ieq(n, "call-id", 7) ? H_CALL_ID :
		       name_ieq(n, "contact", 7) || name_ieq(n, "expires", 7) ? H_SKIP : H_OTHER;
	case 9:
		return name_ieq(n, "supported", 9) ? H_SKIP : H_OTHER;
	case 10:
		return name_ieq(n, "user-agent", 10) ? H_SKIP : H_OTHER;
	case 12:
		return name_ieq(n, "content-type", 12) ? H_CTYPE :
		       name_ieq(n, "max-forwards", 12) || name_ieq(n, "record-route", 12) ? H_SKIP :
											    H_OTHER;
	case 14:
		return name_ieq(n, "content-length", 14) ? H_CLEN : H_OTHER;
	default:
		return H_OTHER;
	}
}

static inline uint32_t skip_to(const uint8_t *s, uint32_t i, uint32_t len, const char *set,
			       unsigned int n);

/*
 * Line ends, found 64 bytes at a time: the cursor holds one bit per LF for a window of up to
 * DP_SIP_WINDOW blocks of 64 bytes (the whole of a message of up to 64 x DP_SIP_WINDOW bytes),
 * classified in one tight loop when the scan first reaches the window, so each header byte is
 * compared once however many lines it holds, and finding a line's LF is a shift and a count of
 * trailing zeros in a word already computed. A line's ':' is nearly always in the 16 bytes from
 * its start (colon_from): one compare of those, no bitmap of its own.
 */
#ifndef DP_SIP_WINDOW
#define DP_SIP_WINDOW 16
#endif

struct lines {
	const uint8_t *m;
	uint32_t len;
	uint32_t base;		/* first block of the window (offset / 64) */
	uint32_t n;		/* blocks in the window; 0 before the first is classified */
	uint64_t lf[DP_SIP_WINDOW + 1];	/* bit i of lf[k]: m[64 * (base + k) + i] == '\n' */
};

/* Bit i: s[i] == c, for the 64 bytes s[0..64). */
#ifdef DP_SIP_SSE2
HOT uint64_t eq64(__m128i x0, __m128i x1, __m128i x2, __m128i x3, char c)
{
	const __m128i v = _mm_set1_epi8(c);

	return (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x0, v)) |
	       (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x1, v)) << 16 |
	       (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x2, v)) << 32 |
	       (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x3, v)) << 48;
}
#endif

/* LF bits of the 64 bytes s[0..64) */
HOT uint64_t classify64(const uint8_t *s)
{
#ifdef DP_SIP_SSE2
	return eq64(_mm_loadu_si128((const __m128i *)s), _mm_loadu_si128((const __m128i *)(s + 16)),
		    _mm_loadu_si128((const __m128i *)(s + 32)),
		    _mm_loadu_si128((const __m128i *)(s + 48)), '\n');
#else
	uint64_t l = 0;

	for (unsigned int i = 0; i < 64; i++)
		l |= (uint64_t)(s[i] == '\n') << i;
	return l;
#endif
}

/* n whole blocks from s: lf[k] for s[64k..64k+64). */
static void classify_blocks(const uint8_t *s, uint32_t n, uint64_t *lf)
{
	for (uint32_t k = 0; k < n; k++)
		lf[k] = classify64(s + 64 * k);
}

#ifdef DP_SIP_AVX2
/* The same with AVX2: two 32-byte compares per block. */
__attribute__((target("avx2"))) static void classify_blocks_avx2(const uint8_t *s, uint32_t n,
								  uint64_t *lf)
{
	const __m256i vlf = _mm256_set1_epi8('\n');

	for (uint32_t k = 0; k < n; k++) {
		__m256i lo = _mm256_loadu_si256((const __m256i *)(s + 64 * k));
		__m256i hi = _mm256_loadu_si256((const __m256i *)(s + 64 * k + 32));

		lf[k] = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, vlf)) |
			(uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, vlf)) << 32;
	}
}

/* The same with AVX-512 (BW): one 64-byte compare into a mask register per block, the mask
 * the bitmap word itself. */
__attribute__((target("avx512f,avx512bw"))) static void
classify_blocks_avx512(const uint8_t *s, uint32_t n, uint64_t *lf)
{
	const __m512i vlf = _mm512_set1_epi8('\n');

	for (uint32_t k = 0; k < n; k++)
		lf[k] = _mm512_cmpeq_epi8_mask(_mm512_loadu_si512((const void *)(s + 64 * k)), vlf);
}

/* The best the cpu has: chosen once, at load time. */
static enum dp_sip_simd simd;

static enum dp_sip_simd simd_best(void)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
		return DP_SIP_SIMD_AVX512;
	return __builtin_cpu_supports("avx2") ? DP_SIP_SIMD_AVX2 : DP_SIP_SIMD_BASE;
}

__attribute__((constructor)) static void choose_simd(void)
{
	simd = simd_best();
}
#endif

const char *const dp_sip_simd_name[DP_SIP_SIMD_MAX] = {
	[DP_SIP_SIMD_BASE] = "SSE2 or plain C", [DP_SIP_SIMD_AVX2] = "AVX2",
	[DP_SIP_SIMD_AVX512] = "AVX-512",
};

enum dp_sip_simd dp_sip_simd(int want)
{
#ifdef DP_SIP_AVX2
	if (want >= 0) {
		enum dp_sip_simd best = simd_best();

		simd = (unsigned int)want < (unsigned int)best ? (enum dp_sip_simd)want : best;
	}
	return simd;
#else
	(void)want;
	return DP_SIP_SIMD_BASE;
#endif
}

/*
 * Classify the window that starts at block b: up to DP_SIP_WINDOW blocks, the last of them
 * possibly the message's partial last block (its last 64 bytes, the bits before the block
 * shifted out, or for a message under 64 bytes a zeroed copy); nothing past m[len - 1] is
 * read, and no bit is set past it.
 */
static void load_window(struct lines *l, uint32_t b)
{
	uint32_t whole = l->len / 64 - b, n;	/* whole blocks from b on; b <= len / 64 */

	n = whole < DP_SIP_WINDOW ? whole : DP_SIP_WINDOW;
#ifdef DP_SIP_AVX2
	if (simd == DP_SIP_SIMD_AVX512)
		classify_blocks_avx512(l->m + 64 * b, n, l->lf);
	else if (simd == DP_SIP_SIMD_AVX2)
		classify_blocks_avx2(l->m + 64 * b, n, l->lf);
	else
#endif
		classify_blocks(l->m + 64 * b, n, l->lf);
	l->base = b;
	l->n = n;
	if (n < DP_SIP_WINDOW && l->len % 64 != 0) {	/* the partial last block */
		uint32_t o = 64 * (b + n);

		if (l->len >= 64) {
			uint32_t s = l->len - 64;	/* < o */

			l->lf[n] = classify64(l->m + s) >> (o - s);
		} else {
			uint8_t t[64] = { 0 };

			memcpy(t, l->m, l->len);
			l->lf[n] = classify64(t);
		}
		l->n = n + 1;
	}
	l->lf[l->n] = 0;	/* the word after the last block */
}

/* First LF at or after p, or len. */
HOT uint32_t next_lf(struct lines *l, uint32_t p)
{
	for (;;) {
		uint32_t b = p / 64, k = b - l->base;
		uint64_t rest;

		if (k >= l->n) {	/* past the window (or before the first) */
			if (p >= l->len)
				return l->len;
			load_window(l, b);
			k = 0;
		}
		rest = l->lf[k] >> (p % 64);
		if (rest != 0)
			return p + (uint32_t)__builtin_ctzll(rest);
		p = 64 * (b + 1);
	}
}

/* End of the line whose LF is at f (before its CR LF, or LF) */
HOT uint32_t end_before(const uint8_t *m, uint32_t p, uint32_t f)
{
	return f > p && m[f - 1] == '\r' ? f - 1 : f;
}

/* End of the line starting at p (before its CR LF, or LF). */
HOT uint32_t line_end(struct lines *l, uint32_t p)
{
	return end_before(l->m, p, next_lf(l, p));
}

static uint32_t skip_eol(const uint8_t *m, uint32_t len, uint32_t p)
{
	if (p < len && m[p] == '\r')
		p++;
	if (p < len && m[p] == '\n')
		p++;
	return p;
}

#ifdef DP_SIP_SSE2
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
#ifdef DP_SIP_SSE2
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

/*
 * The first c outside quoted strings and <...>: a state machine that jumps from one byte that
 * may matter outside quotes ('"', '<', '>', ';', ',' or c) to the next, found as a bitmap of
 * 64 bytes at a time; a quoted string (rare, short) is walked byte by byte to its closing
 * quote. The cursor keeps the window's bitmap, so the searches over one value (its
 * parameters, Via's first value) classify each byte once.
 */
struct unquoted {
	const uint8_t *s;
	uint32_t len;		/* of the value */
	uint32_t readable;	/* bytes from s that may be read: the value's, or up to the
				 * datagram's end when the scanner knows it */
	uint32_t w;		/* offset of the classified window (a multiple of 64), or UINT32_MAX */
	uint64_t marks;		/* bit i: s[w + i] may matter */
	char c;
};

static inline bool is_mark(uint8_t x, char c)
{
	return x == '"' || x == '<' || x == '>' || x == ';' || x == ',' || x == (uint8_t)c;
}

#ifdef DP_SIP_SSE2
HOT uint32_t marks16(const uint8_t *s, __m128i c)
{
	__m128i x = _mm_loadu_si128((const __m128i *)s);
	__m128i a = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
				 _mm_cmpeq_epi8(x, _mm_set1_epi8('<')));
	__m128i b = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('>')),
				 _mm_cmpeq_epi8(x, _mm_set1_epi8(';')));
	__m128i d = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(',')), _mm_cmpeq_epi8(x, c));

	return (uint32_t)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, b), d));
}
#endif

static uint64_t marks64(const struct unquoted *u, uint32_t w)
{
	uint32_t n = u->len - w < 64 ? u->len - w : 64, k = 0;
	const uint8_t *b = u->s + w;
	uint64_t mk = 0;
#ifdef DP_SIP_SSE2
	const __m128i c = _mm_set1_epi8(u->c);

	if (u->readable - w >= 64) {	/* inside the datagram: whole blocks, bits past n unused */
		return (uint64_t)marks16(b, c) | (uint64_t)marks16(b + 16, c) << 16 |
		       (uint64_t)marks16(b + 32, c) << 32 | (uint64_t)marks16(b + 48, c) << 48;
	}
	for (; k + 16 <= n; k += 16)
		mk |= (uint64_t)marks16(b + k, c) << k;
	if (k < n && n >= 16) {	/* the 16 bytes that end at the value's end, those from k on */
		mk |= (uint64_t)(marks16(b + n - 16, c) >> (16 - (n - k))) << k;
		k = n;
	}
#endif
	for (; k < n; k++)
		mk |= (uint64_t)is_mark(b[k], u->c) << k;
	return mk;
}

/* First index >= i of a marked byte, or an index >= len. */
HOT uint32_t next_marked(struct unquoted *u, uint32_t i)
{
	while (i < u->len) {
		uint32_t w = i & ~63u;
		uint64_t rest;

		if (u->w != w) {
			u->w = w;
			u->marks = marks64(u, w);
		}
		rest = u->marks >> (i - w);
		if (rest != 0)
			return i + (uint32_t)__builtin_ctzll(rest);
		i = w + 64;
	}
	return u->len;
}

/* The closing quote of the quoted string opened at i (RFC 3261 25.1: a quoted-pair takes the
 * byte after its backslash as is), or len. */
static uint32_t close_quote(const uint8_t *s, uint32_t i, uint32_t len)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i;
	}
	return len;
}

static uint32_t find_unquoted(struct unquoted *u, char c, uint32_t i)
{
	const uint8_t *s = u->s;
	uint32_t angle = 0;

	for (; (i = next_marked(u, i)) < u->len; i++) {
		uint8_t b = s[i];

		if (b == '"')
			i = close_quote(s, i, u->len);
		else if (b == '<')
			angle++;
		else if (angle > 0) {
			if (b == '>')
				angle--;
		} else if (b == (uint8_t)c) {
			return i;	/* c, outside quotes and brackets */
		}
	}
	return u->len;
}

/* A cursor over v; readable: bytes from v's start that may be read (>= v.len). Field by
 * field: a compound literal had GCC clear the whole struct with a "rep stos" first (tens of
 * cycles to start, in each INVITE's To tag and new dialog's parameters). */
static inline struct unquoted unquoted_in(const uint8_t *msg, struct dp_span v, uint32_t readable,
					  char c)
{
	struct unquoted u;

	u.s = msg + v.off;
	u.len = v.len;
	u.readable = readable;
	u.w = UINT32_MAX;
	u.marks = 0;
	u.c = c;
	return u;
}

uint32_t dp_sip_find_unquoted(const uint8_t *msg, struct dp_span v, char c, uint32_t from)
{
	struct unquoted u = unquoted_in(msg, v, v.len, c);

	return find_unquoted(&u, c, from);
}

/* ;name[=value] in the value under u (name: n bytes, lowercase letters and '-'). A parameter
 * whose name starts with the literal matches when only whitespace follows it before its '='
 * or its end, which is what trimming the name before its first '=' would compare. */
static bool param_in(struct unquoted *u, uint32_t off, const char *name, uint32_t n,
		     struct dp_span *val)
{
	const uint8_t *s = u->s;
	uint32_t len = u->len, i = find_unquoted(u, ';', 0);

	while (i < len) {
		uint32_t b = i + 1, e = find_unquoted(u, ';', b), k;

		while (b < e && is_ws(s[b]))
			b++;
		if (e - b >= n && tok_ieq(s + b, name, n)) {
			for (k = b + n; k < e && is_ws(s[k]); k++)
				;
			if (k == e || s[k] == '=') {
				if (val != NULL) {
					uint32_t vb = k < e ? k + 1 : e, ve = e;

					while (vb < ve && is_ws(s[vb]))
						vb++;
					while (ve > vb && is_ws(s[ve - 1]))
						ve--;
					val->off = off + vb;
					val->len = ve - vb;
				}
				return true;
			}
		}
		i = e;
	}
	return false;
}

bool dp_sip_param_n(const uint8_t *msg, struct dp_span v, const char *name, uint32_t n,
		    struct dp_span *val)
{
	struct unquoted u = unquoted_in(msg, v, v.len, ';');

	return param_in(&u, v.off, name, n, val);
}

static inline bool parse_uint(const uint8_t *m, struct dp_span s, uint64_t max, uint32_t *out)
{
	return sbc_parse_u32((const char *)m + s.off, s.len, max, out);
}

/* First index >= i of a byte that is not visible ASCII (0x21-0x7e: SP, controls, DEL,
 * bytes >= 0x80), or e. */
static inline uint32_t visible_end(const uint8_t *m, uint32_t i, uint32_t e)
{
#ifdef DP_SIP_SSE2
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
	c = skip_to(u, s, x, ":", 1);	/* user:password@ */
	return (struct dp_span){ ruri.off + s, c - s };
}

/* A method of up to 7 bytes and its SP as the first n bytes of the word w (8 bytes). */
#define METHOD_IS(w, lit) \
	(((w) & below_bytes(sizeof(lit) - 1)) == word(lit, sizeof(lit) - 1))

/*
 * The length of the method a request line starts with when it is one a trunk sends (RFC 3261,
 * 3262, 3265, 3311, 3428, 3515, 6086) and fits in a word with its SP, else 0. A known method
 * is a token: the byte-by-byte check of token_end is for the others only. e >= 8: the word is
 * in the line.
 */
HOT uint32_t known_method(const uint8_t *m)
{
	uint64_t w = word(m, 8);

	switch (m[0]) {
	case 'A': return METHOD_IS(w, "ACK ") ? 3 : 0;
	case 'B': return METHOD_IS(w, "BYE ") ? 3 : 0;
	case 'C': return METHOD_IS(w, "CANCEL ") ? 6 : 0;
	case 'I': return METHOD_IS(w, "INVITE ") ? 6 : METHOD_IS(w, "INFO ") ? 4 : 0;
	case 'M': return METHOD_IS(w, "MESSAGE ") ? 7 : 0;
	case 'N': return METHOD_IS(w, "NOTIFY ") ? 6 : 0;
	case 'O': return METHOD_IS(w, "OPTIONS ") ? 7 : 0;
	case 'P': return METHOD_IS(w, "PRACK ") ? 5 : 0;
	case 'R': return METHOD_IS(w, "REFER ") ? 5 : 0;
	case 'U': return METHOD_IS(w, "UPDATE ") ? 6 : 0;
	default: return 0;
	}
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
	i = e >= 8 ? known_method(m) : 0;
	if (i == 0)
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
	return DP_SIP_ERR_OK;
}

/* Header fields seen, by kind: each of these may appear once. */
struct seen {
	unsigned int call_id, cseq, from, to, clen, ctype;
	bool invite;	/* an INVITE request: its To tag is read (new_dialog: the rest) */
};

/*
 * One header line from p, which holds a token character: its ':' and the LF of its last line
 * (folded continuation lines, 7.3.1, belong to it). The name is what comes before the line's
 * first ':', whitespace before the colon trimmed (HCOLON); header_fields checks that it is a
 * token. A line without ':' before its LF fails here: a name holding an LF would not be a
 * token.
 */
struct hline {
	uint32_t colon, lf;
	uint32_t next;	/* cls[] of the byte after the LF (the next line's first), 0 if none */
};

/*
 * The LFs of the header lines in order, when the window holds the whole message (up to
 * 64 x DP_SIP_WINDOW bytes: nearly all SIP over UDP): the LF bits not yet taken of one block,
 * kept in a register (the cursor lives in header_fields only), so the LF that ends a line is
 * the lowest bit left (colon_from finds its ':'). Any longer message takes next_lf's searches
 * (whole false).
 */
struct lf_cursor {
	bool whole;
	uint32_t k;		/* block of w */
	uint64_t w;		/* LF bits of block k not yet taken */
};

HOT struct lf_cursor lf_cursor_at(const struct lines *l, uint32_t p)
{
	struct lf_cursor c = { .whole = l->base == 0 && l->len <= 64 * l->n && p < l->len };

	if (c.whole) {
		c.k = p / 64;
		c.w = l->lf[c.k] & (~0ull << (p % 64));
	}
	return c;
}

/* Take the next LF (or len): the one at or after the end of the last one taken. */
HOT uint32_t lf_take(struct lf_cursor *c, const struct lines *l)
{
	uint32_t f;

	while (c->w == 0) {
		if (++c->k >= l->n)
			return l->len;
		c->w = l->lf[c->k];
	}
	f = 64 * c->k + (uint32_t)__builtin_ctzll(c->w);
	c->w &= c->w - 1;
	return f;
}

/* Bit i: m[p + i] == ':', for the 16 bytes from p (p + 16 <= len); 0 without SSE2. */
HOT uint32_t colons16(const struct lines *l, uint32_t p)
{
#ifdef DP_SIP_SSE2
	return (uint32_t)_mm_movemask_epi8(
		_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(l->m + p)), _mm_set1_epi8(':')));
#else
	(void)l;
	(void)p;
	return 0;
#endif
}

/* The first ':' at or after p and before f (the line's LF), or f: from ahead, the colons16 of
 * the 16 bytes from p when the previous line computed them and found one (a header name's
 * colon, nearly always), else searched for up to f. */
HOT uint32_t colon_from(const struct lines *l, uint32_t p, uint32_t f, uint32_t ahead)
{
	if (ahead != 0)
		return p + (uint32_t)__builtin_ctz(ahead);
	return skip_to(l->m, p, f, ":", 1);
}

/* The LF of the last line of a folded header field (7.3.1: continuation lines start with SP or
 * HT), f the LF of its first. Rare: kept out of the line loop, whose registers it would take. */
static __attribute__((noinline)) uint32_t folded_end(struct lines *l, struct lf_cursor *c,
						     uint32_t f)
{
	while (f + 1 < l->len && is_ws(l->m[f + 1]))	/* the next LF is at f + 2 or on */
		f = c->whole ? lf_take(c, l) : next_lf(l, f + 2);
	return f;
}

/* *ahead: the colons16 of the line at p, when the line before found them (else 0); on return,
 * those of the next line, read early so that its colon does not wait for this line's work. */
HOT enum dp_sip_err header_line(struct lines *l, struct lf_cursor *c, uint32_t p, struct hline *h,
				uint32_t *ahead)
{
	const uint8_t *m = l->m;
	uint32_t len = l->len, colon, f, next;

	/* the line's LF and its first ':' */
	if (c->whole) {
		f = lf_take(c, l);
		colon = colon_from(l, p, f, *ahead);
	} else {
		f = next_lf(l, p);
		colon = skip_to(m, p, f, ":", 1);
	}
	if (colon >= f)	/* no ':' before the LF (or none at all): no name would be a token */
		return DP_SIP_ERR_HEADER;
	next = f + 1 < len ? cls[m[f + 1]] : 0;
	if (next & C_WS) {	/* a folded field */
		struct lf_cursor t = *c;	/* (c itself stays in registers) */

		f = folded_end(l, &t, f);
		*c = t;
		next = f + 1 < len ? cls[m[f + 1]] : 0;
	}
	*ahead = f + 1 + 16 <= len ? colons16(l, f + 1) : 0;
	*h = (struct hline){ .colon = colon, .lf = f, .next = next };
	return DP_SIP_ERR_OK;
}

/* The value of a header line from vs to e (before its CR LF or LF): whitespace trimmed (and
 * the line breaks of folding at its start). */
static struct dp_span trimmed(const uint8_t *m, uint32_t vs, uint32_t e)
{
	struct dp_span v;

	while (vs < e && is_lws(m[vs]))
		vs++;
	v = (struct dp_span){ vs, e - vs };
	while (v.len > 0 && is_ws(m[v.off + v.len - 1]))
		v.len--;
	return v;
}

/* The value of a header line: after the ':' to the line's end, trimmed. Nearly always "Name:
 * value": one SP, then a byte above SP (vs + 1 < e), the value ending in one too: three
 * compares, no loop. */
HOT struct dp_span header_value(const uint8_t *m, const struct hline *h)
{
	uint32_t vs = h->colon + 1, e = h->lf - (m[h->lf - 1] == '\r');	/* lf > colon */

	if (vs + 1 < e && m[vs] == ' ' && m[vs + 1] > ' ' && m[e - 1] > ' ')
		return (struct dp_span){ vs + 1, e - vs - 1 };
	return trimmed(m, vs, e);
}

/* The first value of a Via field's value (up to its first unquoted ','), trimmed. u: a
 * cursor over the value; on return it covers that first value only, its bitmap kept. */
static struct dp_span first_value(const uint8_t *m, struct dp_span value, struct unquoted *u)
{
	struct dp_span top = { value.off, find_unquoted(u, ',', 0) };

	while (top.len > 0 && is_ws(m[top.off + top.len - 1]))
		top.len--;
	u->len = top.len;
	return top;
}

struct dp_span dp_sip_via_top(const uint8_t *msg, const struct dp_sip_msg *sm)
{
	struct unquoted u;

	if (sm->n_via == 0)
		return (struct dp_span){ 0, 0 };
	u = unquoted_in(msg, sm->via[0], sm->via[0].len, ',');
	return first_value(msg, sm->via[0], &u);
}

/* Via: count the fields (the first one's first value and branch: new_dialog). */
static enum dp_sip_err take_via(struct dp_span value, struct dp_sip_msg *sm)
{
	if (value.len == 0)
		return DP_SIP_ERR_VIA;
	if (sm->n_via < DP_SIP_MAX_VIA)
		sm->via[sm->n_via] = value;
	if (sm->n_via < UINT16_MAX)
		sm->n_via++;
	return DP_SIP_ERR_OK;
}

/* A parameter of a value the scanner found (len: the datagram's). Always inlined: the name's
 * length is then a constant, not a call to strlen. */
HOT bool param(const uint8_t *m, uint32_t len, struct dp_span v, const char *name,
	       struct dp_span *val)
{
	struct unquoted u = unquoted_in(m, v, len - v.off, ';');

	return param_in(&u, v.off, name, (uint32_t)__builtin_strlen(name), val);
}

/* CSeq's method is the request's: for a method of up to 8 bytes with 8 bytes readable at both
 * (nearly always: the start line and the headers follow), one masked word compare instead
 * of a call to memcmp. */
HOT bool same_method(const uint8_t *m, uint32_t len, struct dp_span a, struct dp_span b)
{
	if (a.len != b.len)
		return false;
	if (a.len <= 8 && a.off + 8 <= len && b.off + 8 <= len)
		return ((word(m + a.off, 8) ^ word(m + b.off, 8)) & below_bytes(a.len)) == 0;
	return memcmp(m + a.off, m + b.off, a.len) == 0;
}

/* CSeq = 1*DIGIT LWS Method (20.16). The digits are read and their value taken in one loop
 * (what sbc_parse_u32 would take: 1-10 digits, the value within max); a request's CSeq method
 * that is its request method is a token, known since the start line, so only any other is
 * checked byte by byte (the same verdict: required_fields refuses the other later). */
static enum dp_sip_err take_cseq(const uint8_t *m, uint32_t len, struct dp_span value,
				 struct dp_sip_msg *sm)
{
	const uint8_t *v = m + value.off;
	uint64_t num = 0;
	uint32_t i = 0, d;

	while (i < value.len && (d = (uint32_t)v[i] - '0') <= 9) {
		num = num * 10 + d;	/* wraps past 19 digits: refused below for > 10 */
		i++;
	}
	/* 8.1.1.5: the number MUST be less than 2^31 */
	if (i == 0 || i > 10 || num > 0x7fffffffu)
		return DP_SIP_ERR_CSEQ;
	sm->cseq = (uint32_t)num;
	if (i == value.len || !is_lws(v[i]))
		return DP_SIP_ERR_CSEQ;
	while (i < value.len && is_lws(v[i]))
		i++;
	sm->cseq_method = (struct dp_span){ value.off + i, value.len - i };
	if (sm->is_request && same_method(m, len, sm->cseq_method, sm->method))
		return DP_SIP_ERR_OK;
	for (uint32_t k = 0; k < sm->cseq_method.len; k++)
		if (!is_token(m[sm->cseq_method.off + k]))
			return DP_SIP_ERR_CSEQ;
	return DP_SIP_ERR_OK;
}

/* Keep what the scanner reads of one header field. */
static enum dp_sip_err take_header(const uint8_t *m, uint32_t len, enum hdr id,
				   struct dp_span value, struct dp_sip_msg *sm, struct seen *n)
{
	switch (id) {
	case H_VIA:
		return take_via(value, sm);
	case H_CALL_ID:
		n->call_id++;
		sm->call_id = value;
		return DP_SIP_ERR_OK;
	case H_CSEQ:
		n->cseq++;
		return take_cseq(m, len, value, sm);
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

/*
 * The name of a line that header_id did not know by all before its colon: whitespace before
 * the colon ("Via  :" is legal), which no name it knows ends with, or a name it does not read,
 * which is checked by its characters (H_SKIP if it is a token, H_BAD if not). Kept apart from
 * the loop over the lines, whose common case is a name it knows.
 */
static enum hdr other_name(const uint8_t *m, uint32_t p, uint32_t colon)
{
	uint32_t ne = colon;	/* > p: m[p] is no ':' */
	enum hdr id = H_OTHER;

	while (is_ws(m[ne - 1]))	/* m[p] is no whitespace */
		ne--;
	if (ne != colon)
		id = header_id(m + p, ne - p);
	if (id != H_OTHER)
		return id;
	return token_end(m, p, ne) == ne ? H_SKIP : H_BAD;	/* "Call ID:" (CVE-2020-28361) */
}

/*
 * The header fields up to the empty line; *body: where the body starts. A name the scanner
 * reads is checked by matching it (a match is a token); any other name by its characters, and
 * its value is not looked at.
 */
static enum dp_sip_err header_fields(struct lines *l, uint32_t p, struct dp_sip_msg *sm,
				     struct seen *n, uint32_t *body)
{
	const uint8_t *m = l->m;
	uint32_t len = l->len;
	struct lf_cursor c = lf_cursor_at(l, p);
	uint32_t ahead = 0, pc = p < len ? cls[m[p]] : 0;	/* pc: the class of m[p] */

	for (;;) {
		struct hline h;
		enum dp_sip_err rc;
		enum hdr id;

		if (!(pc & C_TOKEN)) {
			if (p >= len)
				return DP_SIP_ERR_NO_END;
			/* the empty line: LF, CR LF, or a CR that ends the datagram */
			if (m[p] == '\n' || (m[p] == '\r' && (p + 1 == len || m[p + 1] == '\n'))) {
				*body = skip_eol(m, len, p);
				return DP_SIP_ERR_OK;
			}
			/* a continuation with no header before it, or no name */
			return DP_SIP_ERR_HEADER;
		}
		rc = header_line(l, &c, p, &h, &ahead);
		if (rc != DP_SIP_ERR_OK)
			return rc;
		id = header_id(m + p, h.colon - p);
		if (id == H_OTHER)
			id = other_name(m, p, h.colon);
		if (id == H_BAD)
			return DP_SIP_ERR_HEADER;
		if (id != H_SKIP) {
			rc = take_header(m, len, id, header_value(m, &h), sm, n);
			if (rc != DP_SIP_ERR_OK)
				return rc;
		}
		p = h.lf + 1;	/* past len when the line had no LF: no end */
		pc = h.next;
	}
}

/*
 * What admission keys a new dialog and its retransmissions on (an INVITE without a To tag):
 * the Request-URI's user (an emergency number?), the first Via field's first value and its
 * branch (len: the datagram's, so the searches may read whole blocks up to it), the From tag.
 * A re-INVITE inside a dialog passes without them: it costs no parameter search.
 */
static void new_dialog(const uint8_t *m, uint32_t len, struct dp_sip_msg *sm)
{
	struct unquoted u = unquoted_in(m, sm->via[0], len - sm->via[0].off, ',');

	sm->ruri_user = ruri_user(m, sm->ruri);
	sm->via_top = first_value(m, sm->via[0], &u);
	param_in(&u, sm->via[0].off, "branch", 6, &sm->branch);	/* the same bitmap */
	param(m, len, sm->from, "tag", &sm->from_tag);
}

/* The fields every request and response carries, once (8.1.1), and their tags. */
static enum dp_sip_err required_fields(const uint8_t *m, uint32_t len, struct dp_sip_msg *sm,
				       const struct seen *n)
{
	if (n->call_id != 1 || sm->call_id.len == 0)
		return DP_SIP_ERR_CALL_ID;
	if (n->cseq != 1 || sm->cseq_method.len == 0)
		return DP_SIP_ERR_CSEQ;
	if (sm->is_request && !same_method(m, len, sm->cseq_method, sm->method))
		return DP_SIP_ERR_CSEQ_METHOD;
	if (sm->n_via == 0)
		return DP_SIP_ERR_VIA;
	if (n->from != 1 || n->to != 1 || sm->from.len == 0 || sm->to.len == 0)
		return DP_SIP_ERR_FROM_TO;
	if (n->clen > 1)
		return DP_SIP_ERR_CONTENT_LENGTH;
	if (n->invite) {	/* admission: a new dialog (no To tag) or one running */
		param(m, len, sm->to, "tag", &sm->to_tag);
		if (sm->to_tag.len == 0)
			new_dialog(m, len, sm);
	}
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
	if (!param(m, len, sm->content_type, "boundary", &b) || b.len == 0 ||
	    b.len + 4 > sm->body_len)	/* "--" boundary "--" at least */
		return DP_SIP_ERR_MULTIPART;
	return DP_SIP_ERR_OK;
}

/* Zero what comes before via[] (the scanner's fields). With SSE2 as 16-byte stores, the last
 * one ending where via[] starts: memset's "rep stos" takes some 30 cycles to start, a tenth of
 * a message's scan. */
HOT void clear_fields(struct dp_sip_msg *sm)
{
	const size_t n = offsetof(struct dp_sip_msg, via);
#ifdef DP_SIP_SSE2
	uint8_t *b = (uint8_t *)sm;

	const __m128i z = _mm_setzero_si128();

	/* written out: a loop of these is turned back into memset */
	_Static_assert(offsetof(struct dp_sip_msg, via) > 96 &&
		       offsetof(struct dp_sip_msg, via) <= 128, "dp_sip_msg: clear_fields");
	_mm_storeu_si128((__m128i *)b, z);
	_mm_storeu_si128((__m128i *)(b + 16), z);
	_mm_storeu_si128((__m128i *)(b + 32), z);
	_mm_storeu_si128((__m128i *)(b + 48), z);
	_mm_storeu_si128((__m128i *)(b + 64), z);
	_mm_storeu_si128((__m128i *)(b + 80), z);
	_mm_storeu_si128((__m128i *)(b + 96), z);
	_mm_storeu_si128((__m128i *)(b + n - 16), z);
#else
	memset(sm, 0, n);
#endif
}

enum dp_sip_err dp_sip_scan(const uint8_t *m, uint32_t len, struct dp_sip_msg *sm)
{
	struct lines l;	/* its bitmaps are written before they are read: not cleared */
	struct seen n = { 0 };
	uint32_t e, p;
	enum dp_sip_err rc;

	l.m = m;
	l.len = len;
	l.base = 0;
	l.n = 0;
	clear_fields(sm);
	if (len == 0)
		return DP_SIP_ERR_START_LINE;
	e = line_end(&l, 0);
	rc = start_line(m, e, sm);
	n.invite = sm->is_request && dp_span_eq(m, sm->method, "INVITE");
	if (rc == DP_SIP_ERR_OK)
		rc = header_fields(&l, skip_eol(m, len, e), sm, &n, &p);
	if (rc == DP_SIP_ERR_OK)
		rc = required_fields(m, len, sm, &n);
	if (rc == DP_SIP_ERR_OK)
		rc = body(m, len, p, sm, &n);
	return rc;
}


