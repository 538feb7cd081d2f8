#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Seeds for fuzz_worker: bursts of frames that take each of a worker's paths, in the target's
input format (a flags byte, then frames as a 16-bit big-endian length and bytes), addressed to
the data plane fuzz_worker.c sets up (its MAC, addresses, sessions and trunks).

usage: worker_seeds.py SIP_CORPORA_DIR OUT_DIR
"""
import os
import struct
import sys

from scapy.all import (ARP, ICMP, IP, UDP, TCP, Dot1Q, Ether, IPv6, ICMPv6EchoRequest,
                       ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr,
                       Raw, fragment)

WIRE = '02:00:00:00:00:10'      # fuzz_worker.c's WIRE_MAC
PEER = '02:00:00:00:00:01'
SBC4, SBC6 = '192.0.2.10', '2001:db8::10'
GW4, GW6 = '192.0.2.1', '2001:db8::1'
FLOOR = '198.51.100.50'


def eth(dst=WIRE):
    return Ether(dst=dst, src=PEER)


def rtp(seq, pt=0, ssrc=0x1234, n=160):
    return struct.pack('!BBHII', 0x80, pt, seq & 0xffff, 160 * seq, ssrc) + bytes(n)


def rtcp_rr():
    # RR with one report block (RFC 3550 6.4.2)
    return struct.pack('!BBHI', 0x81, 201, 7, 0x1234) + struct.pack(
        '!IIIIII', 0x5678, 0x05000010, 100, 40, 0, 0)


def udp4(src, sport, dport, payload, dst=SBC4):
    return eth() / IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) / Raw(payload)


def udp6(src, sport, dport, payload, dst=SBC6):
    return eth() / IPv6(src=src, dst=dst) / UDP(sport=sport, dport=dport) / Raw(payload)


def arp_reply(ip, mac=PEER):
    return eth() / ARP(op=2, hwsrc=mac, psrc=ip, hwdst=WIRE, pdst=SBC4)


def na(ip):
    return (eth() / IPv6(src=ip, dst=SBC6) /
            ICMPv6ND_NA(tgt=ip, R=1, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=PEER))


def sip(method, src=FLOOR, to_tag='', body=b'', extra=''):
    b = (f'{method} sip:+15551234567@{SBC4}:5060 SIP/2.0\r\n'
         f'Via: SIP/2.0/UDP {src}:5060;branch=z9hG4bK{method.lower()}1;rport\r\n'
         'Max-Forwards: 70\r\n'
         f'From: <sip:+12025550000@{src}>;tag=ft1\r\n'
         f'To: <sip:+15551234567@{SBC4}>{to_tag}\r\n'
         f'Call-ID: cid-{method.lower()}@{src}\r\nCSeq: 1 {method}\r\n'
         f'Contact: <sip:+12025550000@{src}:5060>\r\n{extra}'
         f'Content-Length: {len(body)}\r\n\r\n').encode() + body
    return b


SDP = (b'v=0\r\no=- 1 1 IN IP4 198.51.100.50\r\ns=-\r\nc=IN IP4 198.51.100.50\r\nt=0 0\r\n'
       b'm=audio 30000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n')


def seed(frames, flags=0):
    out = bytes([flags])
    for f in frames:
        b = bytes(f)
        out += struct.pack('!H', len(b)) + b
    return out


def seeds(corpora):
    s = {}
    gw = arp_reply(GW4)
    s['media-plain'] = seed([gw, udp4('198.51.100.20', 30000, 6000, rtp(1)),
                             udp4('203.0.113.5', 40000, 6002, rtp(7, ssrc=9)),
                             udp4('198.51.100.20', 30001, 6001, rtcp_rr()),
                             udp4('198.51.100.99', 30000, 6000, rtp(2))])
    # flags bit 16: sessions 1 and 3 removed after the first half
    s['media-removed'] = seed([gw, udp4('198.51.100.20', 30000, 6000, rtp(4)),
                               udp4('198.51.100.22', 31234, 6008, rtp(5)),
                               udp4('198.51.100.20', 30000, 6000, rtp(6)),
                               udp4('198.51.100.22', 31234, 6008, rtp(7))], flags=16)
    s['media-held'] = seed([udp4('198.51.100.20', 30000, 6000, rtp(3))])
    s['media-burst'] = seed([gw] + [udp4('198.51.100.20', 30000, 6000, rtp(10 + k))
                                    if k != 13 else udp4('198.51.100.20', 30001, 6001, rtcp_rr())
                                    for k in range(31)])
    s['media-srtp'] = seed([gw, udp4('198.51.100.21', 30002, 6004, rtp(1, n=170)),
                            udp4('203.0.113.6', 40002, 6006, rtp(1))])
    # flags bit 3: the target protects what goes to an SRTP leg (its remote's key)
    s['media-srtp-protected'] = seed([gw, udp4('198.51.100.21', 30002, 6004, rtp(1)),
                                      udp4('198.51.100.21', 30003, 6005, rtcp_rr()),
                                      udp4('198.51.100.22', 31234, 6008, rtp(2)),
                                      udp4('203.0.113.7', 40004, 6010, rtp(1)),
                                      udp4('203.0.113.7', 40005, 6011, rtcp_rr())], flags=8)
    s['media-latch-mux'] = seed([gw, udp4('198.51.100.22', 31234, 6008, rtp(1)),
                                 udp4('198.51.100.22', 31234, 6008, rtcp_rr()),
                                 udp4('198.51.100.22', 31236, 6008, rtp(2)),
                                 udp4('203.0.113.7', 40004, 6010, rtp(1, n=176))])
    s['media-v6-v4'] = seed([na(GW6), arp_reply('192.0.2.30'),
                             udp6('2001:db8:1::20', 30004, 6012, rtp(1)),
                             udp4('192.0.2.30', 40006, 6014, rtp(1))], flags=4)
    s['sip-invite'] = seed([udp4(FLOOR, 5060, 5060, sip('INVITE', body=SDP,
                                                        extra='Content-Type: application/sdp\r\n')),
                            udp4(FLOOR, 5060, 5060, sip('OPTIONS')),
                            udp4(FLOOR, 5060, 5060, sip('BYE', to_tag=';tag=tt1')),
                            udp4(FLOOR, 5060, 5060, sip('ACK', to_tag=';tag=tt1')),
                            udp4('203.0.113.9', 5060, 5060,
                                 b'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKx\r\n'
                                 b'From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\n'
                                 b'Call-ID: r@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n')])
    s['sip-unlisted'] = seed([udp4('192.0.2.99', 5062, 5060, sip('INVITE', src='192.0.2.99')),
                              udp4('192.0.2.99', 5062, 5060, sip('REGISTER', src='192.0.2.99'))])
    s['sip-denied'] = seed([udp4('198.51.100.66', 5060, 5060, sip('OPTIONS', src='198.51.100.66')),
                            udp4('192.0.2.66', 5062, 5060, sip('REGISTER', src='192.0.2.66')),
                            udp6('2001:db8:1::66', 5060, 5060,
                                 sip('OPTIONS', src='[2001:db8:1::66]'))])
    # flags bit 32: no REGISTER path, so that a burst of unlisted SIP whose 403s are spent is
    # dropped whole (the first inputs spend them)
    flood = [udp4(f'192.0.2.{100 + k}', 5062, 5060, sip('INVITE', src=f'192.0.2.{100 + k}'))
             for k in range(32)]
    s['sip-reject-spent'] = seed(flood, flags=32)
    s['sip-reject-spent-mixed'] = seed(flood[:16] + [udp4(FLOOR, 5060, 5060, sip('OPTIONS'))] +
                                       flood[16:31], flags=32)
    s['sip-register-flood'] = seed([udp4('192.0.2.%d' % (100 + k % 3), 5062, 5060,
                                         sip('REGISTER', src='192.0.2.%d' % (100 + k % 3)))
                                    for k in range(12)])
    s['sip-tcp'] = seed([eth() / IP(src=FLOOR, dst=SBC4) / TCP(sport=40000, dport=5060, flags='S'),
                         eth() / IP(src=FLOOR, dst=SBC4) /
                         TCP(sport=40000, dport=5060, flags='PA', seq=1) / Raw(sip('OPTIONS'))])
    big = sip('INVITE', body=SDP * 20, extra='Content-Type: application/sdp\r\n')
    frags = fragment(IP(src=FLOOR, dst=SBC4, id=77) / UDP(sport=5060, dport=5060) / Raw(big),
                     fragsize=800)
    s['sip-frag'] = seed([eth() / f for f in frags])
    s['sip-frag-reversed'] = seed([eth() / f for f in reversed(frags)])
    s['sip-frag-alone'] = seed([eth() / frags[0]])
    s['sip-v6'] = seed([udp6('2001:db8:1::5', 5060, 5060, sip('OPTIONS', src='[2001:db8:1::5]'))])
    s['sip-vlan'] = seed([Ether(dst=WIRE, src=PEER) / Dot1Q(vlan=0) / IP(src=FLOOR, dst=SBC4) /
                          UDP(sport=5060, dport=5060) / Raw(sip('OPTIONS'))])
    s['host'] = seed([eth() / IP(src=FLOOR, dst=SBC4) / ICMP(),
                      eth('ff:ff:ff:ff:ff:ff') / ARP(op=1, hwsrc=PEER, psrc=GW4, pdst=SBC4),
                      eth() / IPv6(src='2001:db8::1', dst=SBC6) / ICMPv6EchoRequest(),
                      eth('33:33:ff:00:00:10') / IPv6(src='2001:db8::1', dst='ff02::1:ff00:10') /
                      ICMPv6ND_NS(tgt=SBC6) / ICMPv6NDOptSrcLLAddr(lladdr=PEER)])
    # every SIP message of the corpora, from a listed source and from an unlisted one
    n = 0
    for d in ('rfc4475', 'rfc5118', 'sofia-sip-tests', 'kamailio-test-sip', 'cve-pocs'):
        root = os.path.join(corpora, d)
        files = sorted(os.path.join(r, f) for r, _, fs in os.walk(root) for f in fs)
        for f in files:
            msg = open(f, 'rb').read()[:1400]
            src = FLOOR if n % 2 == 0 else '192.0.2.99'
            s[f'corpus-{n:04d}'] = seed([udp4(src, 5060, 5060, msg)])
            n += 1
    return s


def main():
    corpora, out = sys.argv[1], sys.argv[2]
    s = seeds(corpora)
    for name, b in s.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(b)
    print(f'fuzz: {len(s)} worker seeds')


if __name__ == '__main__':
    main()
