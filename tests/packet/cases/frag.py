# SPDX-License-Identifier: BSD-3-Clause
"""
Packet cases. IP reassembly of listed SIP (IPv4 and IPv6, in order and reversed), unlisted
fragments, a fragmented INVITE over a cap, the table bound and the timeout.
"""

from harness import (Ether, IP, IPv6, IPv6ExtHdrFragment, LISTED4, LISTED6, Raw, SBC4, SBC6,
    SIP_PORT, UDP, UNLISTED4, UNLISTED6, caps, case, dialog, end_all, fragment, fragment6, request,
    sdp)


def big_invite(src, sport=5062, size=3500):
    return request(src=src, sport=sport, body=sdp(src, size))


def frags4(t, src, size=3500, reverse=False, vlans=(), ident=0x4242, payload=None):
    """(fragments, the whole datagram as reassembly must give it back)."""
    ip = IP(src=src, dst=SBC4, id=ident) / UDP(sport=5062, dport=SIP_PORT) / \
        Raw(payload or big_invite(src, size=size))
    fr = [bytes(t.eth(vlans=vlans) / x) for x in fragment(ip, 1480)]
    assert len(fr) >= 3
    return (fr[::-1] if reverse else fr), bytes(t.eth(vlans=vlans) / ip)


def frags6(t, src, size=3500, reverse=False, ident=0x4242, payload=None):
    ip = IPv6(src=src, dst=SBC6) / IPv6ExtHdrFragment(id=ident) / \
        UDP(sport=5062, dport=SIP_PORT) / Raw(payload or big_invite(src, size=size))
    fr = [bytes(t.eth() / x) for x in fragment6(ip, 1500)]
    assert len(fr) >= 3
    whole = IPv6(src=src, dst=SBC6) / UDP(sport=5062, dport=SIP_PORT) / \
        Raw(payload or big_invite(src, size=size))
    return (fr[::-1] if reverse else fr), bytes(t.eth() / whole)


def reassembly_case(t, fr, whole, payload):
    """Listed fragments: one reassembled INVITE (a new call) out, then its BYE ends it."""
    t.rx(*fr)
    t.out_exc(whole)
    src = LISTED6 if IPv6 in Ether(whole) else LISTED4
    bye = t.udp(src, dialog(payload, 'BYE', src=src))
    t.rx(bye)
    t.out_exc(bye)
    t.expect(to_exception=2, frags_in=len(fr), frags_reassembled=1,
             frags_absorbed=len(fr) - 1, frags_pending=0,
             trunks={'carrier-a': {'admitted': 1, 'ended_bye': 1, 'active_calls': 0}})


@case('ipv4_fragments_listed', 'IPv4 fragments of a large INVITE, listed: reassembled, the '
      'whole datagram admitted to the exception port')
def _(t):
    inv = big_invite(LISTED4)
    fr, whole = frags4(t, LISTED4, payload=inv)
    reassembly_case(t, fr, whole, inv)


@case('ipv4_fragments_reversed_listed', 'IPv4 fragments, last first, listed: reassembled')
def _(t):
    inv = big_invite(LISTED4)
    fr, whole = frags4(t, LISTED4, reverse=True, payload=inv)
    reassembly_case(t, fr, whole, inv)


@case('ipv4_fragments_unlisted', 'IPv4 fragments from an unlisted source: fragment_unlisted')
def _(t):
    fr, _ = frags4(t, UNLISTED4)
    t.rx(*fr)
    t.expect(drops={'fragment_unlisted': len(fr)}, frags_in=0)


@case('ipv4_fragments_unlisted_reject', 'unlisted IPv4 fragments in reject mode: no 403')
def _(t):
    t.config(unlisted='reject')
    fr, _ = frags4(t, UNLISTED4)
    t.rx(*fr)
    t.expect(reject_sent=0, drops={'fragment_unlisted': len(fr)})


@case('ipv6_fragments_listed', 'IPv6 fragment headers of a large INVITE, listed: reassembled')
def _(t):
    inv = big_invite(LISTED6)
    fr, whole = frags6(t, LISTED6, payload=inv)
    reassembly_case(t, fr, whole, inv)


@case('ipv6_fragments_reversed_listed', 'IPv6 fragments, last first, listed: reassembled')
def _(t):
    inv = big_invite(LISTED6)
    fr, whole = frags6(t, LISTED6, reverse=True, payload=inv)
    reassembly_case(t, fr, whole, inv)


@case('ipv6_fragments_unlisted', 'IPv6 fragments from an unlisted source: fragment_unlisted')
def _(t):
    t.config(unlisted='reject')
    fr, _ = frags6(t, UNLISTED6)
    t.rx(*fr)
    t.expect(reject_sent=0, drops={'fragment_unlisted': len(fr)})


@case('frag_reassembled_over_cap', 'cps 1 burst 1: a fragmented INVITE over the cap gets its 503 '
      'built from the reassembled request; a retransmission of it the same')
def _(t):
    caps(t, cps=1, burst=1)
    a = request(src=LISTED4)
    t.rx(t.udp(LISTED4, a))
    t.out_exc(t.udp(LISTED4, a))
    inv = big_invite(LISTED4)
    fr, whole = frags4(t, LISTED4, payload=inv)
    t.rx(*fr)
    t.out_503(whole)
    fr2, _ = frags4(t, LISTED4, payload=inv, ident=0x4243)    # the UA retransmits it
    t.rx(*fr2)
    t.out_503(whole)
    end_all(t, [a], 0.1)
    t.expect(to_exception=2, reject_sent=2, frags_reassembled=2, frags_pending=0,
             trunks={'carrier-a': {'admitted': 1, 'over_cps': 1, 'retransmissions': 1,
                                   'active_calls': 0}})


@case('frag_table_overflow', 'frag_flows 16: 20 datagrams missing their last fragment: 16 wait, '
      '4 are refused (frag_reassembly); none leaks')
def _(t):
    t.dp_opts['frag_flows'] = 16
    t.dp_opts['frag_timeout_ms'] = 30000       # none may time out before the counters are read
    n = 0
    for i in range(20):
        fr, _ = frags4(t, LISTED4, ident=0x5000 + i)
        t.rx(*fr[:-1])
        n += len(fr) - 1
    per = n // 20
    t.expect(to_exception=0, frags_in=n, frags_reassembled=0, frags_absorbed=0,
             frags_pending=16 * per, drops={'frag_reassembly': 4 * per})


@case('frag_timeout', 'frag_timeout_ms 100: a datagram whose last fragment never comes is '
      'dropped frag_reassembly once the time is up')
def _(t):
    t.dp_opts['frag_timeout_ms'] = 100
    fr, _ = frags4(t, LISTED4)
    t.rx(*fr[:-1])
    t.settle = lambda st: st.get('frags_pending') == 0     # 100 ms after, on the real clock
    t.expect(to_exception=0, frags_in=len(fr) - 1, frags_pending=0,
             drops={'frag_reassembly': len(fr) - 1})
