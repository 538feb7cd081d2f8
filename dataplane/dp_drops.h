/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every reason the data plane drops a packet, in one X-macro list: it generates the enum, the
 * per-worker counter array and the names shown on the stats socket, so a new reason cannot be
 * counted without being named (or named without being counted).
 */
#ifndef DP_DROPS_H
#define DP_DROPS_H

#define DP_DROP_REASONS(X) \
	X(L2_TRUNCATED,       "l2_truncated",       "frame shorter than its Ethernet/VLAN header") \
	X(L2_OTHER_HOST,      "l2_other_host",      "unicast frame to another MAC address") \
	X(VLAN_TOO_DEEP,      "vlan_too_deep",      "more than two VLAN tags") \
	X(ETHERTYPE,          "ethertype",          "EtherType neither IPv4, IPv6 nor ARP") \
	X(ARP_MALFORMED,      "arp_malformed",      "ARP that is not Ethernet/IPv4 or is cut short") \
	X(ARP_NOT_OURS,       "arp_not_ours",       "ARP for an address that is not the SBC's") \
	X(IPV4_TRUNCATED,     "ipv4_truncated",     "frame ends inside the IPv4 header") \
	X(IPV4_BAD_HEADER,    "ipv4_bad_header",    "IPv4 version is not 4 or IHL < 5") \
	X(IPV4_BAD_LENGTH,    "ipv4_bad_length",    "IPv4 total length beyond the frame or below the header") \
	X(IPV4_BAD_CHECKSUM,  "ipv4_bad_checksum",  "IPv4 header checksum wrong") \
	X(IPV6_TRUNCATED,     "ipv6_truncated",     "frame ends inside the IPv6 header") \
	X(IPV6_BAD_HEADER,    "ipv6_bad_header",    "IPv6 version is not 6") \
	X(IPV6_BAD_LENGTH,    "ipv6_bad_length",    "IPv6 payload length beyond the frame, or jumbogram") \
	X(IPV6_BAD_EXT,       "ipv6_bad_ext",       "IPv6 extension header chain cut short or too long") \
	X(NOT_FOR_US,         "not_for_us",         "destination is not an SBC address") \
	X(UDP_BAD_LENGTH,     "udp_bad_length",     "UDP length below 8 or beyond the IP payload") \
	X(TCP_BAD_HEADER,     "tcp_bad_header",     "TCP header cut short or data offset < 5") \
	X(PROTOCOL,           "protocol",           "IP protocol the SBC does not serve") \
	X(PORT_CLOSED,        "port_closed",        "UDP/TCP to a port the SBC does not serve") \
	X(SIP_UNLISTED,       "sip_unlisted",       "SIP from a source in no trunk's allowlist, not answered") \
	X(FRAGMENT_UNLISTED,  "fragment_unlisted",  "IP fragment from a source in no trunk's allowlist") \
	X(DENIED,             "denied",             "source on the denylist (sbc:deny:<ip>), before any SIP") \
	X(REGISTER_OVER_RATE, "register_over_rate", "unlisted REGISTER over its source's register_rate") \
	X(REGISTER_TABLE_FULL, "register_table_full", "unlisted REGISTER: no free bucket ([dataplane] register_sources)") \
	X(FRAG_REASSEMBLY,    "frag_reassembly",    "listed fragment given up: timeout, table full, > 8 pieces, overlap") \
	X(REJECT_RATELIMITED, "reject_ratelimited", "unlisted SIP request: 403 suppressed by reject_rate") \
	X(SIP_MALFORMED,      "sip_malformed",      "SIP from a listed source the scanner rejects (RFC 3261)") \
	X(OVER_CPS,           "over_cps",           "new call over its trunk's CPS cap, over_limit = drop") \
	X(OVER_CALLS,         "over_calls",         "new call over its trunk's max_calls, over_limit = drop") \
	X(CALL_TABLE_FULL,    "call_table_full",    "new call refused: [dataplane] calls in use, drop mode") \
	X(MEDIA_NO_SESSION,   "media_no_session",   "UDP to a media port no session holds (none, or removed)") \
	X(MEDIA_FOREIGN,      "media_foreign",      "media from a source other than the leg's remote (strict source)") \
	X(MEDIA_NO_REMOTE,    "media_no_remote",    "media for a latching leg that has not latched yet (no port to send to)") \
	X(MEDIA_NO_ROUTE,     "media_no_route",     "media for a remote off-link with no gateway of its family") \
	X(MEDIA_NO_NEIGHBOUR, "media_no_neighbour", "media held for a next hop that did not answer within 200 ms (asked for)") \
	X(MEDIA_HOLD_FULL,    "media_hold_full",    "media for an unanswered next hop beyond the hold queue (4 per hop, 64 per worker)") \
	X(MEDIA_NO_ROOM,      "media_no_room",      "media not rewritable in place (segmented mbuf, or no headroom for IPv6)") \
	X(SRTP_AUTH,          "srtp_auth",          "SRTP/SRTCP whose authentication tag is wrong (forged, or not the leg's key)") \
	X(SRTP_REPLAY,        "srtp_replay",        "SRTP index seen before or behind the replay window; or RTP to protect with a repeated index") \
	X(SRTP_MALFORMED,     "srtp_malformed",     "media on an SRTP leg that is not RTP/RTCP v2 or shorter than header + tag") \
	X(SRTP_ROOM,          "srtp_room",          "RTP to protect without tailroom in its mbuf for the tag") \
	X(SRTP_WORKER,        "srtp_worker",        "SRTP direction reached another worker than its context's (5-tuple moved; until released)") \
	X(SRTP_FAIL,          "srtp_fail",          "SRTP refused by libsrtp2 otherwise (key usage limit)") \
	X(EXCEPTION_FULL,     "exception_full",     "exception port queue full") \
	X(WIRE_FULL,          "wire_full",          "wire port queue full")

enum dp_drop {
	DP_DROP_NONE = 0,
#define DP_DROP_ENUM(e, name, help) DP_DROP_##e,
	DP_DROP_REASONS(DP_DROP_ENUM)
#undef DP_DROP_ENUM
	DP_DROP_MAX
};

/* Name on the stats socket and help text, indexed by enum dp_drop. */
extern const char *const dp_drop_names[DP_DROP_MAX];
extern const char *const dp_drop_help[DP_DROP_MAX];

#endif
