# SPDX-License-Identifier: BSD-3-Clause
"""
Packet cases. unlisted = reject: the 403 the data plane builds (RFC 3261 8.2.6 / 18.2.1 /
18.2.2, RFC 3581), checked field by field against the request; what gets no 403; the reply rate
limit.
"""

import re

from harness import (Ether, IP, IPOption_EOL, IPOption_NOP, IPv6, IPv6ExtHdrDestOpt,
    IPv6ExtHdrHopByHop, LISTED4, LISTED6, PadN, Raw, SBC4, SBC6, SIP_PORT, TCP, UDP, UNLISTED4,
    UNLISTED6, case, reject_case, reply_sip, request, response, sip_msg, to_tag)


@case('reject_v4_invite', 'unlisted INVITE, reject mode: 403 to the Via sent-by port')
def _(t):
    reject_case(t)
    f = t.udp(UNLISTED4, request(src=UNLISTED4, sport=5062))
    t.rx(f)
    t.out_403(f, dport=5062, received=None)
    t.expect(reject_sent=1, to_wire=0, trunks={'carrier-a': {'accepted': 0}})


@case('reject_v4_sentby_port', 'no rport: 403 to the Via sent-by port, not the source port')
def _(t):
    reject_case(t)
    f = t.udp(UNLISTED4, request(src=UNLISTED4, sport=40000,
                                 via=f'SIP/2.0/UDP {UNLISTED4}:5070;branch=z9hG4bK-sb1'),
              sport=40000)
    t.rx(f)
    t.out_403(f, dport=5070, received=None)
    t.expect(reject_sent=1)


@case('reject_v4_no_port', 'Via sent-by without a port, no rport: the 403 goes to 5060')
def _(t):
    reject_case(t)
    f = t.udp(UNLISTED4, request(src=UNLISTED4, via=f'SIP/2.0/UDP {UNLISTED4};branch=z9hG4bK-np1'),
              sport=40001)
    t.rx(f)
    t.out_403(f, dport=5060, received=None)
    t.expect(reject_sent=1)


@case('reject_v4_rport', 'rport without value behind NAT: received= and rport= filled, source port')
def _(t):
    reject_case(t)
    f = t.udp(UNLISTED4, request(src=UNLISTED4,
                                 via='SIP/2.0/UDP 192.0.2.200:5062;rport;branch=z9hG4bK-rp1'),
              sport=40000)
    t.rx(f)
    t.out_403(f, dport=40000, received=UNLISTED4)
    t.expect(reject_sent=1)


@case('reject_v4_rport_same_host', 'rport and sent-by == source: received= still added (RFC 3581)')
def _(t):
    reject_case(t)
    f = t.udp(UNLISTED4, request(src=UNLISTED4,
                                 via=f'SIP/2.0/UDP {UNLISTED4}:5062;branch=z9hG4bK-rp2;rport'),
              sport=5062)
    t.rx(f)
    t.out_403(f, dport=5062, received=UNLISTED4)
    t.expect(reject_sent=1)


@case('reject_v4_received_hostname', 'sent-by is a host name: received= added, sent-by port used')
def _(t):
    reject_case(t)
    f = t.udp(UNLISTED4, request(src=UNLISTED4,
                                 via='SIP/2.0/UDP pbx.example.com:5062;branch=z9hG4bK-hn1'),
              sport=5062)
    t.rx(f)
    t.out_403(f, dport=5062, received=UNLISTED4)
    t.expect(reject_sent=1)


@case('reject_multi_via', 'several Via fields and values: all copied, in order')
def _(t):
    reject_case(t)
    vias = ['SIP/2.0/UDP 192.0.2.200:5062;branch=z9hG4bK-mv1;rport, '
            'SIP/2.0/UDP proxy1.example.com;branch=z9hG4bK-mv2',
            'SIP/2.0/UDP 192.0.2.201:5070;branch=z9hG4bK-mv3;received=192.0.2.9',
            'SIP/2.0/TCP [2001:db8::7]:5080;branch=z9hG4bK-mv4']
    f = t.udp(UNLISTED4, request(src=UNLISTED4, via=vias), sport=41000)
    t.rx(f)
    t.out_403(f, dport=41000, received=UNLISTED4)
    t.expect(reject_sent=1)


@case('reject_to_tag_kept', 'in-dialog request (To has a tag): the tag is kept as is')
def _(t):
    reject_case(t)
    f = t.udp(UNLISTED4, request('BYE', src=UNLISTED4, to=f'<sip:+15550199@{SBC4}>;tag=abc-123'))
    t.rx(f)
    t.out_403(f, dport=5062)
    t.expect(reject_sent=1)


@case('reject_compact_headers', 'compact header names (v, f, t, i, m, l) in the request')
def _(t):
    reject_case(t)
    f = t.udp(UNLISTED4, request(src=UNLISTED4, compact=True))
    assert b'\r\nv: ' in f and b'\r\ni: ' in f
    t.rx(f)
    t.out_403(f, dport=5062, received=None)
    t.expect(reject_sent=1)


@case('reject_folded_headers', 'folded header lines (RFC 3261 7.3.1): read, answered unfolded')
def _(t):
    reject_case(t)
    body = sip_msg(f'OPTIONS sip:{SBC4} SIP/2.0', [
        ('Via', f'SIP/2.0/UDP {UNLISTED4}:5062\r\n ;branch=z9hG4bK-fold1'),
        ('From', '"Folded"\r\n\t<sip:folded@192.0.2.66>;tag=fo1'),
        ('To', f'<sip:{SBC4}>'), ('Call-ID', 'fold1@192.0.2.66'),
        ('CSeq', '7\r\n OPTIONS'), ('Max-Forwards', '70')])
    f = t.udp(UNLISTED4, body)
    t.rx(f)
    t.out_403(f, dport=5062, received=None)
    t.expect(reject_sent=1)


@case('reject_other_methods', 'OPTIONS, REGISTER, BYE, CANCEL, SUBSCRIBE: a 403 each')
def _(t):
    reject_case(t)
    for m in ('OPTIONS', 'REGISTER', 'BYE', 'CANCEL', 'SUBSCRIBE'):
        f = t.udp(UNLISTED4, request(m, src=UNLISTED4))
        t.rx(f)
        t.out_403(f, dport=5062)
    t.expect(reject_sent=5)


@case('reject_vlan_single', '403 to an 802.1Q-tagged request: same tag')
def _(t):
    reject_case(t)
    f = t.udp(UNLISTED4, request(src=UNLISTED4), vlans=[(0x8100, 100)])
    t.rx(f)
    t.out_403(f, dport=5062)
    t.expect(reject_sent=1)


@case('reject_vlan_qinq', '403 to a QinQ request: both tags kept')
def _(t):
    reject_case(t)
    f = t.udp(UNLISTED4, request(src=UNLISTED4), vlans=[(0x88a8, 200), (0x8100, 100)])
    g = t.udp(UNLISTED6, request(src=UNLISTED6), vlans=[(0x88a8, 200), (0x8100, 100)])
    t.rx(f, g)
    t.out_403(f, dport=5062)
    t.out_403(g, dport=5062)
    t.expect(reject_sent=2)


@case('reject_v6_invite', 'unlisted IPv6 INVITE with rport: 403 from address6 to the source port')
def _(t):
    reject_case(t)
    f = t.udp(UNLISTED6, request(src=UNLISTED6,
                                 via=f'SIP/2.0/UDP [{UNLISTED6}]:5062;rport;branch=z9hG4bK-v61'),
              sport=40002)
    t.rx(f)
    t.out_403(f, dport=40002, received=UNLISTED6)
    t.expect(reject_sent=1)


@case('reject_v6_sentby_port', 'unlisted IPv6 INVITE without rport: Via sent-by port, no received')
def _(t):
    reject_case(t)
    f = t.udp(UNLISTED6, request(src=UNLISTED6,
                                 via=f'SIP/2.0/UDP [{UNLISTED6}]:5070;branch=z9hG4bK-v62'),
              sport=40003)
    t.rx(f)
    t.out_403(f, dport=5070, received=None)
    t.expect(reject_sent=1)


@case('reject_v4_options', '403 to an IPv4 request with options: a plain 20-byte header back')
def _(t):
    reject_case(t)
    f = bytes(t.eth() / IP(src=UNLISTED4, dst=SBC4, options=[IPOption_NOP()] * 11 +
                           [IPOption_EOL()]) / UDP(sport=5062, dport=SIP_PORT) /
              Raw(request(src=UNLISTED4)))
    t.rx(f)
    t.out_403(f, dport=5062)
    t.expect(reject_sent=1)


@case('reject_v6_ext_headers', '403 to an IPv6 request behind extension headers: UDP right after')
def _(t):
    reject_case(t)
    f = bytes(t.eth() / IPv6(src=UNLISTED6, dst=SBC6) / IPv6ExtHdrHopByHop() /
              IPv6ExtHdrDestOpt(options=[PadN(optdata=b'\0' * 12)]) /
              UDP(sport=5062, dport=SIP_PORT) / Raw(request(src=UNLISTED6)))
    t.rx(f)
    t.out_403(f, dport=5062)
    t.expect(reject_sent=1)


@case('reject_ack_no_reply', 'no 403 to an ACK: sip_unlisted')
def _(t):
    reject_case(t)
    t.rx(t.udp(UNLISTED4, request('ACK', src=UNLISTED4)),
         t.udp(UNLISTED6, request('ACK', src=UNLISTED6)))
    t.expect(reject_sent=0, drops={'sip_unlisted': 2})


@case('reject_response_no_reply', 'no 403 to a SIP response: sip_unlisted')
def _(t):
    reject_case(t)
    t.rx(t.udp(UNLISTED4, response(200, 'OK', src=UNLISTED4, dst=SBC4, dport=5060)),
         t.udp(UNLISTED4, response(180, 'Ringing', src=UNLISTED4, dst=SBC4, dport=5060)))
    t.expect(reject_sent=0, drops={'sip_unlisted': 2})


@case('reject_missing_headers', 'no 403 to a request lacking Call-ID, Via, From or CSeq')
def _(t):
    reject_case(t)
    full = request('OPTIONS', src=UNLISTED4)
    for h in (b'Call-ID', b'Via', b'From', b'CSeq'):
        msg = re.sub(rb'\r\n' + h + rb': [^\r]*', b'', full, count=1)
        assert msg != full
        t.rx(t.udp(UNLISTED4, msg))
    t.expect(reject_sent=0, drops={'sip_unlisted': 4})


@case('reject_tcp_no_reply', 'unlisted SIP over TCP in reject mode: no 403, sip_unlisted')
def _(t):
    reject_case(t)
    t.rx(t.eth() / IP(src=UNLISTED4, dst=SBC4) /
         TCP(sport=40000, dport=SIP_PORT, flags='PA', seq=1, ack=1) /
         Raw(request(src=UNLISTED4, sport=40000)))
    t.expect(reject_sent=0, drops={'sip_unlisted': 1})


@case('reject_listed_passes', 'reject mode: listed SIP still goes to the exception port unchanged')
def _(t):
    reject_case(t)
    f, g = t.udp(LISTED4, request(src=LISTED4)), t.udp(LISTED6, request(src=LISTED6))
    t.rx(f, g)
    t.out_exc(f, g)
    t.expect(to_exception=2, reject_sent=0, trunks={'carrier-a': {'accepted': 2}})


@case('reject_tag_stable', 'a retransmitted INVITE gets the same To tag')
def _(t):
    reject_case(t)
    f = t.udp(UNLISTED4, request(src=UNLISTED4))
    t.rx(f, f)
    t.out_403(f, dport=5062)
    t.out_403(f, dport=5062)
    t.expect(reject_sent=2)

    def same_tag(t, res):
        tags = [to_tag(reply_sip(x)) for x in res.wire_out]
        if len(tags) == 2 and tags[0] != tags[1]:
            return [f'To tags of the two 403s differ: {tags[0]!r} vs {tags[1]!r}']
        return []
    t.checks.append(same_tag)


def ratelimit(t, src):
    reject_case(t, reject_rate=2)
    frames = [t.udp(src, request(src=src)) for _ in range(5)]
    t.rx(*frames)
    t.out_403(frames[0], dport=5062)
    t.out_403(frames[1], dport=5062)
    t.expect(reject_sent=2, drops={'reject_ratelimited': 3})


@case('reject_ratelimit_v4', 'reject_rate = 2, five unlisted INVITEs at once: 2 replies, 3 limited')
def _(t):
    ratelimit(t, UNLISTED4)


@case('reject_ratelimit_v6', 'the same over IPv6')
def _(t):
    ratelimit(t, UNLISTED6)


def spent_burst(t):
    """32 plain IPv4 frames from an unlisted source to the SIP port (one whole burst of the
    plain shape: the worker drops it in one pass when no 403 is left): 28 requests, two
    responses and an ACK (nothing owed: sip_unlisted), a request whose IPv4 checksum is wrong."""
    frames = [t.udp(UNLISTED4, request('INVITE' if k % 2 else 'OPTIONS', src=UNLISTED4))
              for k in range(28)]
    frames += [t.udp(UNLISTED4, response(src=UNLISTED4, dst=SBC4)) for _ in range(2)]
    frames.append(t.udp(UNLISTED4, request('ACK', src=UNLISTED4)))
    bad = t.eth() / IP(src=UNLISTED4, dst=SBC4) / UDP(sport=5062, dport=SIP_PORT) / \
        Raw(request(src=UNLISTED4))
    bad[IP].chksum = Ether(bytes(bad))[IP].chksum ^ 0x0101
    frames.append(bytes(bad))
    return frames


@case('reject_spent_burst', 'reject_rate = 0, a whole burst of unlisted plain SIP: each frame '
      'dropped for its own reason (28 limited, 3 owed nothing, 1 bad IPv4 checksum)')
def _(t):
    reject_case(t, reject_rate=0)
    t.rx(*spent_burst(t))
    t.expect(reject_sent=0, drops={'reject_ratelimited': 28, 'sip_unlisted': 3,
                                   'ipv4_bad_checksum': 1})


@case('reject_spent_second_burst', 'reject_rate = 1: the first burst of 32 unlisted requests gets '
      'one 403, the next burst (its 403s spent) is dropped frame by frame for its reasons')
def _(t):
    reject_case(t, reject_rate=1)
    first = [t.udp(UNLISTED4, request(src=UNLISTED4)) for _ in range(32)]
    t.rx(*first)
    t.out_403(first[0], dport=5062)
    t.rx(*spent_burst(t))
    t.expect(reject_sent=1, drops={'reject_ratelimited': 31 + 28, 'sip_unlisted': 3,
                                   'ipv4_bad_checksum': 1})


@case('reject_rate_zero', 'reject_rate = 0: never answered (reject_ratelimited)')
def _(t):
    reject_case(t, reject_rate=0)
    t.rx(t.udp(UNLISTED4, request(src=UNLISTED4)), t.udp(UNLISTED6, request(src=UNLISTED6)))
    t.expect(reject_sent=0, drops={'reject_ratelimited': 2})
