/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane's SIP scanner: reads, from one datagram, only what admission and stateless
 * responses need (start line, Call-ID, CSeq, Via, From/To and their tags, Content-Length,
 * Content-Type) and says "malformed" for what RFC 3261 rejects. Allocation-free, never reads
 * past the datagram; pure C, no DPDK, so it is unit-tested and fuzzed without EAL. Spans are
 * offsets into the message, never pointers.
 */
#ifndef DP_SIP_H
#define DP_SIP_H

#include <stdbool.h>
#include <stdint.h>

#define DP_SIP_MAX_VIA 64	/* Via header fields a response can copy */

struct dp_span {
	uint32_t off, len;
};

/* Why a message is malformed; 0 = well-formed for what the scanner reads. */
#define DP_SIP_ERRORS(X) \
	X(OK,             "ok") \
	X(START_LINE,     "bad request or status line") \
	X(VERSION,        "SIP version is not SIP/2.0") \
	X(HEADER,         "a line that is not 'name: value', or whitespace inside a name") \
	X(NO_END,         "no empty line after the headers") \
	X(CALL_ID,        "Call-ID missing, empty or repeated") \
	X(CSEQ,           "CSeq missing, repeated, not a number below 2^31, or no method") \
	X(CSEQ_METHOD,    "CSeq method differs from the request method") \
	X(VIA,            "Via missing or empty") \
	X(FROM_TO,        "From or To missing or repeated") \
	X(CONTENT_LENGTH, "Content-Length repeated, not a number, or beyond the datagram") \
	X(MULTIPART,      "multipart body whose boundary is longer than the body")

enum dp_sip_err {
#define DP_SIP_ERR_ENUM(e, text) DP_SIP_ERR_##e,
	DP_SIP_ERRORS(DP_SIP_ERR_ENUM)
#undef DP_SIP_ERR_ENUM
	DP_SIP_ERR_MAX
};

extern const char *const dp_sip_err_text[DP_SIP_ERR_MAX];

struct dp_sip_msg {
	bool is_request;
	uint16_t status;		/* responses */
	struct dp_span method;		/* requests */
	struct dp_span ruri;
	struct dp_span ruri_user;	/* user part of a sip:, sips: or tel: Request-URI; INVITE
					 * requests without a To tag only, as below */
	struct dp_span call_id;
	uint32_t cseq;
	struct dp_span cseq_method;
	uint16_t n_via;			/* Via header fields (each may hold several values) */
	/*
	 * to_tag is read for INVITE requests only (a new dialog has none; a tag parameter
	 * without a value leaves it empty at a non-zero offset); via_top, branch,
	 * from_tag (what admission keys a new dialog and its retransmissions on) and ruri_user
	 * above for INVITE requests without a To tag only. Each is left empty for every other
	 * message, so that an OPTIONS or an in-dialog request (a re-INVITE too) costs no
	 * parameter search but the To tag's: elsewhere use dp_sip_via_top() and
	 * dp_sip_param(msg, dp_sip_via_top(msg, m) / m->from / m->to, "branch" / "tag", ...).
	 */
	struct dp_span via_top;		/* first value of the first Via field */
	struct dp_span branch;		/* its branch parameter */
	struct dp_span from_tag, to_tag;
	struct dp_span from, to;
	struct dp_span content_type;
	bool has_content_length;
	uint32_t content_length;
	uint32_t body_off, body_len;	/* body as the datagram carries it (RFC 3261 18.3) */
	/* last, so the scanner clears only what comes before: via[i] is set for i < n_via */
	struct dp_span via[DP_SIP_MAX_VIA];	/* the first ones' values, folding still inside */
};

/* Scan msg[0..len). Returns DP_SIP_ERR_OK with *m filled, or the first defect found. */
enum dp_sip_err dp_sip_scan(const uint8_t *msg, uint32_t len, struct dp_sip_msg *m);

/* What computes the scanner's line bitmaps (the rest of it is the same C for all). */
enum dp_sip_simd {
	DP_SIP_SIMD_BASE,	/* SSE2, the x86-64 baseline (plain C without it) */
	DP_SIP_SIMD_AVX2,
	DP_SIP_SIMD_AVX512,	/* AVX-512 F and BW */
	DP_SIP_SIMD_MAX
};

extern const char *const dp_sip_simd_name[DP_SIP_SIMD_MAX];

/* The best the cpu and the build have is chosen at load time. want >= 0: use the highest level
 * up to want that they allow (for tests and benchmarks that compare the paths); want < 0 only
 * asks. Returns the level in use. */
enum dp_sip_simd dp_sip_simd(int want);

/* The first value of the first Via field (what via_top holds for an INVITE), for any
 * message the scanner accepted. */
struct dp_span dp_sip_via_top(const uint8_t *msg, const struct dp_sip_msg *m);

/* Case-sensitive comparison of a span with a literal (methods are case-sensitive, 7.1).
 * Inline, so the literal's length and the comparison are folded at compile time. */
static inline bool dp_span_eq(const uint8_t *msg, struct dp_span s, const char *lit)
{
	return s.len == __builtin_strlen(lit) && __builtin_memcmp(msg + s.off, lit, s.len) == 0;
}

/* Offset in v of the first c outside quoted strings and <...>, or v.len. */
uint32_t dp_sip_find_unquoted(const uint8_t *msg, struct dp_span v, char c, uint32_t from);

/* Find ;name[=value] (name case-insensitive, n bytes) in v's parameters; *val gets the value. */
bool dp_sip_param_n(const uint8_t *msg, struct dp_span v, const char *name, uint32_t n,
		    struct dp_span *val);

/* The same for a literal name (lowercase letters and '-'). */
static inline bool dp_sip_param(const uint8_t *msg, struct dp_span v, const char *name,
				struct dp_span *val)
{
	return dp_sip_param_n(msg, v, name, (uint32_t)__builtin_strlen(name), val);
}

#endif
