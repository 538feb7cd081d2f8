# SPDX-License-Identifier: BSD-3-Clause
"""
Packet cases. The media relay (issue 12): sessions installed with SBC_CMD_MEDIA_SET as the
control plane sends them (applied at start, --test-commands), RTP and RTCP relayed from one
leg to the other with Ethernet, IP and UDP rewritten (compared byte for byte with frames scapy
builds from scratch, so the incremental checksums are checked against full ones), IPv4, IPv6
and a leg of each; strict source, latching, rtcp-mux, removal, next hops learnt from ARP/ND or
asked for, the quality figures (RFC 3550) and the media timeout.
"""

import struct

from harness import (ARP, BCAST, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptSrcLLAddr, IP, IPOption_NOP, IPv6, Raw, SBC4, SBC6, UDP, case, chan_msg,
    wire_addr)

CMD_MEDIA_SET, CMD_MEDIA_DEL = 48, 49
LATCH, RTCP_MUX, HOLD = 2, 1, 4
LEG = struct.Struct('<BBBBHHHH16s16s30s30s')          # struct sbc_media_leg
REF = struct.Struct('<QIi')                            # struct sbc_msg_media_ref

# the two remotes, on the SBC's link (address = SBC4/24, address6 = SBC6/64)
A4, B4 = '198.51.100.20', '198.51.100.30'
A6, B6 = '2001:db8::20', '2001:db8::30'
MAC_A, MAC_B = '00:00:5e:00:53:0a', '00:00:5e:00:53:0b'
GW4, MAC_GW = '198.51.100.1', '00:00:5e:00:53:01'
EF = 0xb8                                              # DSCP EF, kept across the relay


def fnv1a(text):
    h = 0xcbf29ce484222325
    for b in text.encode():
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def leg(local, lport, remote, rport, rtcp=None, flags=0, trunk=0):
    fam, la = wire_addr(local)
    _, ra = wire_addr(remote)
    if rtcp is None:
        rtcp = rport + 1 if rport else 0
    return LEG.pack(fam, flags, 0, 0, trunk, lport, rport, rtcp, la, ra, b'', b'')


def media_set(t, session, leg0, leg1, seq=1, rtp=((0, 0), (0, 0))):
    """rtp: per leg, the dynamic payload type its remote sends and its clock in multiples of
    8 kHz (struct sbc_msg_media's rtp_pt[2], rtp_clock_8k[2])."""
    body = struct.pack('<QIBBBB', session, seq, rtp[0][0], rtp[1][0], rtp[0][1],
                       rtp[1][1]) + leg0 + leg1
    t.commands.append(chan_msg(CMD_MEDIA_SET, body, len(t.commands) + 1))


def media_del(t, session, seq=1):
    t.commands.append(chan_msg(CMD_MEDIA_DEL, REF.pack(session, seq, 0), len(t.commands) + 1))


def on_link(t):
    t.config(address=SBC4 + '/24', address6=SBC6 + '/64')
    t.want_media = True


def learn(t, ip, mac):
    """The remote tells the SBC its MAC (ARP request / neighbour advertisement to us): the
    frame goes to the kernel and the data plane learns from it on the way."""
    if ':' in ip:
        f = bytes(t.eth(src=mac) / IPv6(src=ip, dst=SBC6, hlim=255) /
                  ICMPv6ND_NA(tgt=ip, R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=mac))
    else:
        f = bytes(t.eth(BCAST, src=mac) / ARP(op=1, hwsrc=mac, psrc=ip, pdst=SBC4))
    t.rx(f)
    t.out_exc(f)


def known_pair(t, session=None):
    """Both remotes on the SBC's link, their MACs learnt; with session: that id installed
    between them (leg 0 on port 20000 from A4:40000, leg 1 on 20002 from B4:50000)."""
    on_link(t)
    learn(t, A4, MAC_A)
    learn(t, B4, MAC_B)
    if session is not None:
        media_set(t, session, leg(SBC4, 20000, A4, 40000), leg(SBC4, 20002, B4, 50000))


def ip_layer(src, dst, v6_flow=0x12345, ident=0x1234):
    if ':' in src:
        return IPv6(src=src, dst=dst, tc=EF, fl=v6_flow, hlim=61)
    return IP(src=src, dst=dst, tos=EF, id=ident, ttl=61, flags='DF')


def rtp(seq, ts=0, pt=0, ssrc=0x11223344, size=160):
    return struct.pack('!BBHII', 0x80, pt, seq, ts, ssrc) + bytes((seq + i) & 0xff
                                                                  for i in range(size))


def rtcp_rr(fraction=25, lost=7, jitter=80):
    """An RTCP RR with one report block (RFC 3550 6.4.2)."""
    block = struct.pack('!IB3sIIII', 0x55667788, fraction, lost.to_bytes(3, 'big', signed=True),
                        1000, jitter, 0, 0)
    return struct.pack('!BBHI', 0x81, 201, 7, 0x11223344) + block


def inp(t, src, sport, dst, dport, payload, mac, **ip):
    """A datagram from a remote (its MAC) to an SBC media port."""
    return bytes(t.eth(src=mac) / ip_layer(src, dst, **ip) / UDP(sport=sport, dport=dport) /
                 Raw(payload))


def out(t, src, sport, dst, dport, payload, mac, tos=EF, ident=0x1234, flow=0, chksum=None):
    """What the relay must send: built from scratch (scapy computes every checksum)."""
    if ':' in src:
        ipl = IPv6(src=src, dst=dst, tc=tos, fl=flow, hlim=64)
    else:
        ipl = IP(src=src, dst=dst, tos=tos, id=ident, ttl=64, flags=0)
    u = UDP(sport=sport, dport=dport) if chksum is None else \
        UDP(sport=sport, dport=dport, chksum=chksum)
    return bytes(t.eth(dst=mac, src=t.wire_mac) / ipl / u / Raw(payload))


def both_ways(t, sa, a, sb, b):
    """RTP and RTCP each way between remotes a (leg 0, local sa) and b (leg 1, local sb)."""
    v6a, v6b = ':' in a, ':' in b
    p1, p2, r1 = rtp(1), rtp(7, pt=8), rtcp_rr()
    t.rx(inp(t, a, 40000, sa, 20000, p1, MAC_A),
         inp(t, b, 50000, sb, 20002, p2, MAC_B),
         inp(t, a, 40001, sa, 20001, r1, MAC_A),
         inp(t, b, 50001, sb, 20003, r1, MAC_B))
    # the IPv4 identification survives IPv4 -> IPv4 only; the flow label IPv6 -> IPv6 only
    fl_ab = 0x12345 if v6a and v6b else 0
    id_ab = 0x1234 if not v6a else 0
    id_ba = 0x1234 if not v6b else 0
    t.out_wire(out(t, sb, 20002, b, 50000, p1, MAC_B, ident=id_ab, flow=fl_ab),
               out(t, sa, 20000, a, 40000, p2, MAC_A, ident=id_ba, flow=fl_ab),
               out(t, sb, 20003, b, 50001, r1, MAC_B, ident=id_ab, flow=fl_ab),
               out(t, sa, 20001, a, 40001, r1, MAC_A, ident=id_ba, flow=fl_ab))


def relay_case(t, sa, a, sb, b):
    on_link(t)
    learn(t, a, MAC_A)
    learn(t, b, MAC_B)
    media_set(t, 1, leg(sa, 20000, a, 40000), leg(sb, 20002, b, 50000))
    both_ways(t, sa, a, sb, b)
    t.expect(to_exception=2, media_relayed=4)
    t.checks.append(media_totals(sessions=1, relayed=4))


def totals(what, **want):
    """Counters of /sbc/<what> (media: `sbcctl media`, neigh: `sbcctl neigh`)."""
    def check(t, res):
        got = getattr(res, what)
        return [f'/sbc/{what} {k}: expected {v}, got {got.get(k)}'
                for k, v in want.items() if got.get(k) != v]
    return check


def media_totals(**want):
    return totals('media', **want)


@case('media_relay_v4', 'RTP and RTCP (odd ports) both ways between two IPv4 legs: L2-L4 '
      'rewritten byte for byte, DSCP and IP id kept, UDP checksum updated incrementally')
def _(t):
    relay_case(t, SBC4, A4, SBC4, B4)


@case('media_relay_v4_bursts', 'whole bursts of plain RTP both ways (the relay\'s steady state, '
      'sorted, looked up and relayed in one pass), with frames it hands on mid-burst, each in '
      'its place: RTCP, a foreign source (dropped), an IPv4 header with options; every other '
      'frame relayed byte for byte and in order, each leg\'s packets counted')
def _(t):
    t.media_calls = ['bursts']
    known_pair(t, fnv1a('bursts'))
    ins, outs, n = [], [], 128    # bursts of 32 (the first after the two ARP frames)
    odd = {40: 'rtcp', 45: 'foreign', 70: 'options', 71: 'rtcp'}
    for k in range(n):
        a_to_b = k % 2 == 0
        seq = k // 2 + 1
        p = rtp(seq, ts=160 * seq, pt=0 if a_to_b else 8)
        src, sport, dport, mac = (A4, 40000, 20000, MAC_A) if a_to_b else (B4, 50000, 20002, MAC_B)
        dst, to, mac_to, lport = (B4, 50000, MAC_B, 20002) if a_to_b else (A4, 40000, MAC_A, 20000)
        kind = odd.get(k)
        if kind == 'rtcp':
            p = rtcp_rr()
            sport, dport, to, lport = sport + 1, dport + 1, to + 1, lport + 1
        if kind == 'foreign':
            ins.append(inp(t, src, sport + 2, SBC4, dport, p, mac))
            continue
        if kind == 'options':
            ins.append(bytes(t.eth(src=mac) / IP(src=src, dst=SBC4, tos=EF, id=0x1234, ttl=61,
                                                   flags='DF', options=[IPOption_NOP()] * 4) /
                             UDP(sport=sport, dport=dport) / Raw(p)))
        else:
            ins.append(inp(t, src, sport, SBC4, dport, p, mac))
        outs.append(out(t, SBC4, lport, dst, to, p, mac_to))
    t.rx(*ins)
    t.out_wire(*outs)
    t.expect(to_exception=2, media_relayed=n - 1, drops={'media_foreign': 1})

    def check(t, res):
        s = res.media_calls['bursts']
        # each leg's packets (RTP and RTCP) from its remote: A's 64; B's 64 but the foreign
        # frame (k 45, to B's leg from a port not B's), dropped there
        want = {'leg0': (64, 0), 'leg1': (63, 1)}
        return [f'{leg} packets/dropped: expected {p}/{d}, got {s[leg]["packets"]}/'
                f'{s[leg]["dropped"]}'
                for leg, (p, d) in want.items() if (s[leg]['packets'], s[leg]['dropped']) != (p, d)]
    t.checks.append(check)


@case('media_relay_v6', 'RTP and RTCP both ways between two IPv6 legs (neighbours from NA): '
      'rewritten byte for byte, traffic class and flow label kept')
def _(t):
    relay_case(t, SBC6, A6, SBC6, B6)


@case('media_relay_v4_v6', 'an IPv4 leg bridged to an IPv6 leg, both ways: the IP header '
      'grows and shrinks in place; a v4 datagram without UDP checksum gets one on IPv6')
def _(t):
    relay_case(t, SBC4, A4, SBC6, B6)
    p = rtp(2)
    f = bytearray(inp(t, A4, 40000, SBC4, 20000, p, MAC_A))
    f[14 + 20 + 6:14 + 20 + 8] = b'\0\0'                  # UDP checksum 0: none (RFC 768)
    t.rx(bytes(f))
    t.out_wire(out(t, SBC6, 20002, B6, 50000, p, MAC_B))
    t.expect(media_relayed=5)
    t.checks[-1] = media_totals(sessions=1, relayed=5)


@case('media_v4_no_udp_checksum', 'IPv4 -> IPv4: a datagram without UDP checksum stays '
      'without, one with gets it updated')
def _(t):
    known_pair(t, 1)
    p = rtp(3)
    f = bytearray(inp(t, A4, 40000, SBC4, 20000, p, MAC_A))
    f[40:42] = b'\0\0'
    t.rx(bytes(f))
    t.out_wire(out(t, SBC4, 20002, B4, 50000, p, MAC_B, chksum=0))
    t.expect(to_exception=2, media_relayed=1)


@case('media_foreign', 'strict source: another port of the remote, another address, the other '
      'leg\'s remote: dropped media_foreign, nothing relayed; a port without session: '
      'media_no_session')
def _(t):
    t.media_calls = ['foreign-call']
    known_pair(t, fnv1a('foreign-call'))
    p = rtp(1)
    t.rx(inp(t, A4, 40002, SBC4, 20000, p, MAC_A),           # the remote, another port
         inp(t, '198.51.100.99', 40000, SBC4, 20000, p, MAC_A),  # an injector
         inp(t, B4, 50000, SBC4, 20000, p, MAC_B),           # leg 1's remote to leg 0
         inp(t, A4, 40000, SBC4, 20001, p, MAC_A),           # RTP source to the RTCP port
         inp(t, A4, 40000, SBC4, 20010, p, MAC_A),           # no session there
         inp(t, A4, 40000, SBC4, 20000, p, MAC_A))           # the real one: relayed
    t.out_wire(out(t, SBC4, 20002, B4, 50000, p, MAC_B))
    t.expect(to_exception=2, media_relayed=1,
             drops={'media_foreign': 4, 'media_no_session': 1})

    def check(t, res):
        s = res.media_calls['foreign-call']
        errs = []
        if s['leg0']['dropped'] != 4 or s['leg0']['packets'] != 1:
            errs.append(f'leg0 dropped/packets: expected 4/1, got {s["leg0"]["dropped"]}/'
                        f'{s["leg0"]["packets"]}')
        if res.media['drops'].get('media_foreign') != 4:
            errs.append(f'/sbc/media drops: {res.media["drops"]}')
        return errs
    t.checks.append(check)


@case('media_latch', 'latching: the first packet from the remote\'s address fixes its port '
      '(relayed), then another port is foreign; the other side is sent to the latched port; '
      'before the latch the other side has nowhere to go (media_no_remote)')
def _(t):
    known_pair(t)
    t.media_calls = ['latch-call']
    media_set(t, fnv1a('latch-call'), leg(SBC4, 20000, A4, 0, rtcp=0, flags=LATCH),
              leg(SBC4, 20002, B4, 50000))
    p1, p2, p3, q = rtp(1), rtp(2), rtp(3), rtp(9)
    t.rx(inp(t, B4, 50000, SBC4, 20002, q, MAC_B),           # A not latched: no port for it
         inp(t, A4, 41000, SBC4, 20000, p1, MAC_A),          # latches 41000
         inp(t, A4, 41002, SBC4, 20000, p2, MAC_A),          # locked: foreign
         inp(t, A4, 41000, SBC4, 20000, p3, MAC_A),
         inp(t, B4, 50000, SBC4, 20002, q, MAC_B))           # to A's latched port
    t.out_wire(out(t, SBC4, 20002, B4, 50000, p1, MAC_B),
               out(t, SBC4, 20002, B4, 50000, p3, MAC_B),
               out(t, SBC4, 20000, A4, 41000, q, MAC_A))
    t.expect(to_exception=2, media_relayed=3,
             drops={'media_foreign': 1, 'media_no_remote': 1})

    def check(t, res):
        s = res.media_calls['latch-call']
        want = {'latched': 1, 'remote': f'{A4}:41000', 'packets': 2, 'dropped': 1}
        return [f'leg0 {k}: expected {v!r}, got {s["leg0"].get(k)!r}'
                for k, v in want.items() if s['leg0'].get(k) != v]
    t.checks.append(check)


@case('media_rtcp_mux', 'rtcp-mux on leg 0 only: RTCP (PT 200-204) on its RTP port goes to '
      'leg 1\'s RTCP port from our odd port, and leg 1\'s RTCP comes back on leg 0\'s one port')
def _(t):
    known_pair(t)
    media_set(t, 1, leg(SBC4, 20000, A4, 40000, flags=RTCP_MUX), leg(SBC4, 20002, B4, 50000))
    r, p = rtcp_rr(), rtp(5)
    t.rx(inp(t, A4, 40000, SBC4, 20000, r, MAC_A),           # muxed RTCP
         inp(t, A4, 40000, SBC4, 20000, p, MAC_A),           # muxed RTP
         inp(t, B4, 50001, SBC4, 20003, r, MAC_B),           # leg 1's RTCP
         inp(t, A4, 40000, SBC4, 20001, p, MAC_A))           # leg 0 has no RTCP port
    t.out_wire(out(t, SBC4, 20003, B4, 50001, r, MAC_B),
               out(t, SBC4, 20002, B4, 50000, p, MAC_B),
               out(t, SBC4, 20000, A4, 40000, r, MAC_A))
    t.expect(to_exception=2, media_relayed=3, drops={'media_no_session': 1})


@case('media_removed', 'MEDIA_DEL: the session\'s ports drop media_no_session, another '
      'session relays on; /sbc/media counts it')
def _(t):
    known_pair(t, 1)
    media_set(t, 2, leg(SBC4, 20004, A4, 40010), leg(SBC4, 20006, B4, 50010))
    media_del(t, 1)
    p = rtp(1)
    t.rx(inp(t, A4, 40000, SBC4, 20000, p, MAC_A),
         inp(t, A4, 40001, SBC4, 20001, p, MAC_A),
         inp(t, A4, 40010, SBC4, 20004, p, MAC_A))
    t.out_wire(out(t, SBC4, 20006, B4, 50010, p, MAC_B))
    t.expect(to_exception=2, media_relayed=1, drops={'media_no_session': 2})
    t.checks.append(media_totals(sessions=1, dels=1, gone=1))


def arp_req(t, target, to=BCAST):
    """The ARP request the data plane makes for target: broadcast, or ageing's unicast one."""
    return bytes(t.eth(dst=to, src=t.wire_mac) /
                 ARP(op=1, hwsrc=t.wire_mac, psrc=SBC4, hwdst='00:00:00:00:00:00',
                     pdst=target) / Raw(bytes(18)))


def arp_reply(t, ip, mac):
    return bytes(t.eth(src=mac) / ARP(op=2, hwsrc=mac, psrc=ip, hwdst=t.wire_mac, pdst=SBC4))


@case('media_neighbour_asked', 'next hop unknown: an ARP request for it goes out and the packets '
      'are held; the reply is learnt on its way to the kernel and they go out in order, a later '
      'one to the same hop behind them; an off-link remote goes to the gateway (asked for '
      'too), whose silence drops its packet media_no_neighbour after 200 ms (pcap clock)')
def _(t):
    on_link(t)
    t.config(gateway=GW4)
    t.at(1.0)
    learn(t, A4, MAC_A)
    far = '192.0.2.77'                                       # off 198.51.100.0/24
    media_set(t, 1, leg(SBC4, 20000, A4, 40000), leg(SBC4, 20002, B4, 50000))
    media_set(t, 2, leg(SBC4, 20004, A4, 40010), leg(SBC4, 20006, far, 50010))
    p1, p2, p3 = rtp(1), rtp(2), rtp(3)
    t.rx(inp(t, A4, 40000, SBC4, 20000, p1, MAC_A),          # B unknown: asked, held
         inp(t, A4, 40000, SBC4, 20000, p2, MAC_A))          # within 100 ms: not asked again
    t.at(1.05)
    reply = arp_reply(t, B4, MAC_B)
    t.rx(reply, inp(t, A4, 40000, SBC4, 20000, p3, MAC_A),   # behind the two held
         inp(t, A4, 40010, SBC4, 20004, p3, MAC_A))          # via the gateway: asked, held
    t.out_exc(reply)
    t.at(1.5)                                                # the gateway never answers
    learn(t, A4, MAC_A)
    t.out_wire(arp_req(t, B4), arp_req(t, GW4), *(out(t, SBC4, 20002, B4, 50000, p, MAC_B)
                                                  for p in (p1, p2, p3)))
    t.expect(to_exception=3, media_relayed=3, neigh_asked=2, media_held=0,
             drops={'media_no_neighbour': 1})
    t.checks += [media_totals(neigh_asked=2, neighbours=2),
                 totals('neigh', held=4, released=3, hold_expired=1, hold_full=0, held_now=0)]


@case('media_neighbour_hold_full', 'the hold queue is bounded: 4 packets per unanswered next '
      'hop (the 5th and 6th dropped media_hold_full), 64 per worker (a 17th hop\'s packet '
      'dropped); the replies release all 64 in the order held, and two packets to an answered '
      'hop still held for go out behind them')
def _(t):
    on_link(t)
    t.at(1.0)
    hops = [f'198.51.100.{100 + k}' for k in range(17)]
    macs = [f'00:00:5e:00:54:{k:02x}' for k in range(17)]
    counts = [6] + [4] * 15 + [1]
    sent = []
    for k, (hop, n) in enumerate(zip(hops, counts)):
        media_set(t, k + 1, leg(SBC4, 20000 + 4 * k, A4, 40000 + 2 * k),
                  leg(SBC4, 20002 + 4 * k, hop, 50000))
        for i in range(n):
            p = rtp(100 * k + i)
            t.rx(inp(t, A4, 40000 + 2 * k, SBC4, 20000 + 4 * k, p, MAC_A))
            if i < 4 and k < 16:
                sent.append(out(t, SBC4, 20002 + 4 * k, hop, 50000, p, macs[k]))
    replies = [arp_reply(t, hop, mac) for hop, mac in zip(hops, macs)]
    late = [rtp(90 + i) for i in range(2)]     # the same burst as the replies: behind the 64
    t.rx(*replies, *(inp(t, A4, 40000, SBC4, 20000, p, MAC_A) for p in late))
    t.out_exc(*replies)
    t.out_wire(*(arp_req(t, hop) for hop in hops), *sent,
               *(out(t, SBC4, 20002, hops[0], 50000, p, macs[0]) for p in late))
    t.expect(to_exception=17, media_relayed=66, neigh_asked=17, media_held=0,
             drops={'media_hold_full': 3})
    t.checks.append(totals('neigh', held=66, released=66, hold_full=3, hold_expired=0,
                           entries=17))


def solicit(t, target, to=None):
    """The data plane's ARP request / NS for target: broadcast (solicited-node multicast), or
    ageing's unicast one to its MAC."""
    if ':' not in target:
        return arp_req(t, target, to or BCAST)
    if to is None:
        low = bytes.fromhex(target.split(':')[-1].rjust(6, '0'))[-3:]
        dst, mac = 'ff02::1:ff' + low[:1].hex() + ':' + low[1:].hex(), \
            '33:33:ff:' + ':'.join(f'{x:02x}' for x in low)
    else:
        dst, mac = target, to
    return bytes(t.eth(dst=mac, src=t.wire_mac) / IPv6(src=SBC6, dst=dst, hlim=255) /
                 ICMPv6ND_NS(tgt=target) / ICMPv6NDOptSrcLLAddr(lladdr=t.wire_mac))


def answer(t, ip, mac):
    """The neighbour's answer to it: ARP reply, or NA with its link-layer address."""
    if ':' not in ip:
        return arp_reply(t, ip, mac)
    return bytes(t.eth(src=mac) / IPv6(src=ip, dst=SBC6, hlim=255) /
                 ICMPv6ND_NA(tgt=ip, R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=mac))


def ageing_case(t, local, a, b):
    on_link(t)
    t.at(1.0)
    learn(t, b, MAC_B)
    media_set(t, 1, leg(local, 20000, a, 40000), leg(local, 20002, b, 50000))
    filler = inp(t, a, 40000, local, 20010, rtp(0), MAC_A)  # no session there: dropped
    want = []
    for k, when in enumerate((1.0, 31.5, 32.6, 33.7, 34.8, 35.0)):
        t.at(when)
        p = rtp(k + 1)
        # a burst (32 frames) holds at most one of these times: one ageing scan each
        t.rx(inp(t, a, 40000, local, 20000, p, MAC_A), *[filler] * 33)
        if k == 5:                                           # removed: asked for, held
            want.append(solicit(t, b))
        want.append(out(t, local, 20002, b, 50000, p, MAC_B, flow=0x12345 if ':' in a else 0))
        if 1 <= k <= 3:                                      # unconfirmed: unicast probes
            want.append(solicit(t, b, to=MAC_B))
    t.at(35.01)
    reply = answer(t, b, MAC_B)
    t.rx(reply)
    t.out_exc(reply)
    t.out_wire(*want)
    t.expect(to_exception=2, media_relayed=6, neigh_asked=4, media_held=0,
             drops={'media_no_session': 6 * 33})
    t.checks.append(totals('neigh', probes=3, aged=1, learnt=2, held=1, released=1, entries=1))


@case('media_neighbour_ageing', 'a neighbour unconfirmed for 30 s (pcap clock) is asked again '
      'by unicast ARP to its MAC, 3 times 1 s apart while media still flows to it, then removed; '
      'the next packet is held and asked for by broadcast, and released by the reply')
def _(t):
    ageing_case(t, SBC4, A4, B4)


@case('media_neighbour_ageing_v6', 'the same over IPv6: unicast NS probes to the neighbour, '
      'then removed; the next packet held, an NS to its solicited-node address, released by '
      'the NA')
def _(t):
    ageing_case(t, SBC6, A6, B6)


def rfc3550_jitter(arrivals_s, stamps, k=1):
    """RFC 3550 A.8 in the data plane's integer form (8 kHz ticks, J scaled by 16); stamps of
    a clock of k x 8 kHz are divided by k."""
    j, last = 0, None
    for a, ts in zip(arrivals_s, stamps):
        tr = (round(a * 1e9) // 125000 - ts // k) & 0xffffffff
        if last is not None:
            d = (tr - last) & 0xffffffff
            d = d - (1 << 32) if d >= 1 << 31 else d
            j += abs(d) - ((j + 8) >> 4)
        last = tr
    return (j >> 4) * 125


@case('media_quality', 'RFC 3550 figures of a leg: loss and reordering from sequence numbers, '
      'interarrival jitter on the pcap clock (8 kHz payload), the RTCP RR\'s fraction, '
      'cumulative loss and jitter; `sbcctl media CALL-ID` shows both legs')
def _(t):
    t.media_calls = ['quality-call']
    known_pair(t, fnv1a('quality-call'))
    seqs = [1, 2, 4, 3, 5, 8]                                # 6, 7 lost; 3 late
    arrivals = [1.0, 1.020, 1.045, 1.046, 1.080, 1.140]
    stamps = [160 * (s - 1) for s in seqs]
    for s, a, ts in zip(seqs, arrivals, stamps):
        t.at(a)
        p = rtp(s, ts)
        t.rx(inp(t, A4, 40000, SBC4, 20000, p, MAC_A))
        t.out_wire(out(t, SBC4, 20002, B4, 50000, p, MAC_B))
    t.at(1.2)
    r = rtcp_rr(fraction=25, lost=7, jitter=80)
    t.rx(inp(t, A4, 40001, SBC4, 20001, r, MAC_A))
    t.out_wire(out(t, SBC4, 20003, B4, 50001, r, MAC_B))
    t.expect(to_exception=2, media_relayed=7)
    jitter = rfc3550_jitter(arrivals, stamps)

    def check(t, res):
        g = res.media_calls['quality-call']['leg0']
        want = {'packets': 7, 'lost': 2, 'reordered': 1, 'jitter_us': jitter, 'rr_lost': 7,
                'rr_fraction': 25, 'rr_jitter_us': 80 * 125, 'bytes': 6 * 172 + len(r)}
        errs = [f'leg0 {k}: expected {v}, got {g.get(k)}' for k, v in want.items()
                if g.get(k) != v]
        if jitter == 0:
            errs.append('the case\'s arrivals give no jitter: it would test nothing')
        return errs
    t.checks.append(check)


@case('media_quality_opus', 'jitter of a dynamic payload type whose clock the SDP gave '
      '(Opus, 111 at 48 kHz: MEDIA_SET\'s rtp_pt and rtp_clock_8k), telephone-event packets '
      'beside it left out; on leg 1, which names no dynamic type, the same stream counts no '
      'jitter')
def _(t):
    t.media_calls = ['opus-call']
    known_pair(t)
    media_set(t, fnv1a('opus-call'), leg(SBC4, 20000, A4, 40000), leg(SBC4, 20002, B4, 50000),
              rtp=((111, 6), (0, 0)))
    seqs = [1, 2, 3, 4, 5, 6]
    arrivals = [1.0, 1.021, 1.038, 1.066, 1.080, 1.103]
    stamps = [30000 + 960 * (s - 1) for s in seqs]
    n = 0
    for s, a, ts in zip(seqs, arrivals, stamps):
        t.at(a)
        for src, sp, dp, dst, dmac in ((A4, 40000, 20000, B4, MAC_B), (B4, 50000, 20002, A4,
                                                                        MAC_A)):
            p = rtp(s, ts, pt=111)
            t.rx(inp(t, src, sp, SBC4, dp, p, MAC_A if src == A4 else MAC_B))
            t.out_wire(out(t, SBC4, dp ^ 2, dst, 50000 if dst == B4 else 40000, p, dmac))
            n += 1
        if s == 3:      # an event at its own timing: not in the jitter
            ev = rtp(100, 0x12345678, pt=101, size=4)
            t.rx(inp(t, A4, 40000, SBC4, 20000, ev, MAC_A))
            t.out_wire(out(t, SBC4, 20002, B4, 50000, ev, MAC_B))
            n += 1
    t.expect(to_exception=2, media_relayed=n)
    jitter = rfc3550_jitter(arrivals, stamps, k=6)

    def check(t, res):
        s = res.media_calls['opus-call']
        errs = []
        if s['leg0'].get('jitter_us') != jitter:
            errs.append(f'leg0 jitter_us: expected {jitter}, got {s["leg0"].get("jitter_us")}')
        if s['leg1'].get('jitter_us') != 0:
            errs.append(f'leg1 jitter_us: expected 0 (no clock for 111), got '
                        f'{s["leg1"].get("jitter_us")}')
        if jitter == 0:
            errs.append('the case\'s arrivals give no jitter: it would test nothing')
        return errs
    t.checks.append(check)


@case('media_timeout', 'no packet on either leg for media_timeout s (the pcap clock): one '
      'timeout for the session; a session with a leg on hold is exempt')
def _(t):
    t.config(media_timeout=5)
    known_pair(t, 1)
    media_set(t, 2, leg(SBC4, 20004, A4, 40010, flags=HOLD), leg(SBC4, 20006, B4, 50010))
    p = rtp(1)
    t.at(1.0)
    t.rx(inp(t, A4, 40000, SBC4, 20000, p, MAC_A))
    t.out_wire(out(t, SBC4, 20002, B4, 50000, p, MAC_B))
    t.at(3.0)
    t.rx(inp(t, A4, 40000, SBC4, 20000, p, MAC_A))
    t.out_wire(out(t, SBC4, 20002, B4, 50000, p, MAC_B))
    t.at(9.0)                  # 6 s after session 1's last; the held session's packet moves
    t.rx(inp(t, A4, 40010, SBC4, 20004, p, MAC_A))           # the test clock on
    t.out_wire(out(t, SBC4, 20006, B4, 50010, p, MAC_B))
    t.expect(to_exception=2, media_relayed=3)
    t.checks.append(media_totals(timeouts=1, sessions=2))

