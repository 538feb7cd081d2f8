# SPDX-License-Identifier: BSD-3-Clause
"""
Packet cases. The denylist (sbc:deny:<ip> mirrored by the control plane; here the data plane's
DENY_ADD commands applied at start): everything from a denied source is dropped `denied` before
the destination, the port, the allowlist or SIP are looked at, listed or not, IPv4 and IPv6,
fragments and ICMP too; `sbcctl denied` lists the entries.
"""

from harness import (ICMP, IP, LISTED4, LISTED6, Raw, SBC4, SIP_PORT, TCP, UNLISTED4, UNLISTED6,
    case, raw_udp_frames, request)

DENIED_LISTED4 = '203.0.113.7'         # in carrier-a's 203.0.113.0/24
DENIED_LISTED6 = '2001:db8:100::7'     # in carrier-a's 2001:db8:100::/48


def listing(want):
    """Check /sbc/denied (through sbcctl --json denied): addresses, reasons, time left."""
    def check(t, res):
        d = res.denied
        rows = {v['address']: v for v in d.values() if isinstance(v, dict)}
        errs = []
        if d.get('total') != len(want):
            errs.append(f'/sbc/denied total: expected {len(want)}, got {d.get("total")}')
        for ip, (reason, lo, hi) in want.items():
            r = rows.get(ip)
            if r is None:
                errs.append(f'/sbc/denied lacks {ip} (has {", ".join(rows)})')
                continue
            if r.get('reason') != reason:
                errs.append(f'/sbc/denied {ip}: reason {r.get("reason")!r}, expected {reason!r}')
            if not lo <= r.get('remaining_s', -2) <= hi:
                errs.append(f'/sbc/denied {ip}: remaining_s {r.get("remaining_s")}, expected '
                            f'{lo}..{hi}')
        return errs
    return check


@case('denied_everything_dropped', 'denied sources, listed or not, v4 and v6: every packet '
      'dropped `denied` (SIP, malformed SIP, TCP, ICMP, a closed port); others unchanged')
def _(t):
    t.deny(UNLISTED4, DENIED_LISTED4, DENIED_LISTED6, reason='auth')
    ok4 = t.udp(LISTED4, request('OPTIONS', src=LISTED4))
    ok6 = t.udp(LISTED6, request('OPTIONS', src=LISTED6))
    t.rx(t.udp(DENIED_LISTED4, request(src=DENIED_LISTED4)),
         ok4,
         t.udp(UNLISTED4, request('REGISTER', src=UNLISTED4)),
         t.udp(DENIED_LISTED6, request('OPTIONS', src=DENIED_LISTED6)),
         ok6,
         t.udp(DENIED_LISTED4, b'INVITE nonsense\r\n\r\n'),                 # not sip_malformed
         bytes(t.eth() / IP(src=DENIED_LISTED4, dst=SBC4) /
               TCP(sport=40000, dport=SIP_PORT, flags='S', seq=1)),
         bytes(t.eth() / IP(src=UNLISTED4, dst=SBC4) / ICMP() / Raw(b'ping')),  # not to the host
         t.udp(DENIED_LISTED4, request(src=DENIED_LISTED4), dport=9999),    # not port_closed
         t.udp(UNLISTED6, request(src=UNLISTED6)))                          # not denied: unlisted
    t.out_exc(ok4, ok6)
    t.expect(to_exception=2, drops={'denied': 7, 'sip_unlisted': 1},
             trunks={'carrier-a': {'accepted': 2, 'rejected': 0, 'malformed': 0}})
    t.checks.append(listing({UNLISTED4: ('auth', -1, -1), DENIED_LISTED4: ('auth', -1, -1),
                             DENIED_LISTED6: ('auth', -1, -1)}))


@case('denied_fragments', 'IP fragments from a denied listed source: each dropped `denied`, '
      'none reassembled; a listed source\'s fragments still pass whole')
def _(t):
    t.deny(DENIED_LISTED4)
    big = request('OPTIONS', src=DENIED_LISTED4, extra=[('X-Pad', 'a' * 2400)])
    bad = raw_udp_frames(DENIED_LISTED4, SBC4, 5062, SIP_PORT, big, t.wire_mac, ident=9)
    good_req = request('OPTIONS', src=LISTED4, extra=[('X-Pad', 'b' * 2400)])
    good = raw_udp_frames(LISTED4, SBC4, 5062, SIP_PORT, good_req, t.wire_mac, ident=10)
    assert len(bad) == 2 and len(good) == 2
    t.rx(*bad, *good)
    t.compare_outputs = False
    t.expect(to_exception=1, drops={'denied': 2}, frags_in=2, frags_reassembled=1)

    def one_datagram(t, res):
        return [] if len(res.exc_out) == 1 and good_req in res.exc_out[0] else \
            ['the listed source\'s reassembled OPTIONS is not what reached the exception port']
    t.checks.append(one_datagram)


@case('denied_ttl_listed', 'a denied source with a TTL: `sbcctl denied` shows the seconds left '
      'and the reason, the packet is dropped')
def _(t):
    t.deny(UNLISTED6, ttl_ms=600000, reason='operator')
    t.rx(t.udp(UNLISTED6, request(src=UNLISTED6)))
    t.expect(drops={'denied': 1}, denied_sources=1)
    t.checks.append(listing({UNLISTED6: ('operator', 1, 600)}))
