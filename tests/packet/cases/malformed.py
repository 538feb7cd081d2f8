# SPDX-License-Identifier: BSD-3-Clause
"""
Packet cases. Broken L2-L4 headers: truncated frames, bad lengths, versions, checksums,
extension chains; each dropped with its own reason.
"""

import struct

from harness import (Ether, IP, IPOption_EOL, IPOption_NOP, IPv6, IPv6ExtHdrDestOpt,
    IPv6ExtHdrHopByHop, LISTED4, LISTED6, PEER_MAC, Raw, SBC4, SBC6, SIP_PORT, TCP, UDP, case,
    inet_csum, mac_bytes, request)


@case('l2_truncated', '10-byte frame; frame cut inside its VLAN tag: l2_truncated')
def _(t):
    mac = mac_bytes(t.wire_mac)
    t.rx(mac + b'\x00\x00\x5e\x00',                         # 10 bytes
         mac + mac_bytes(PEER_MAC) + b'\x81\x00\x00\x64')   # 18 bytes: tag, no EtherType
    t.expect(drops={'l2_truncated': 2})


@case('ipv4_truncated', 'frame ends inside the IPv4 header: ipv4_truncated')
def _(t):
    f = t.udp(LISTED4, request(src=LISTED4))
    g = bytes(t.eth() / IP(src=LISTED4, dst=SBC4, options=[IPOption_NOP()] * 39 +
                           [IPOption_EOL()]) / UDP(dport=SIP_PORT))
    t.rx(f[:14 + 12],                  # 12 of 20 bytes
         g[:14 + 30])                  # IHL 15 (60 bytes), 30 there
    t.expect(drops={'ipv4_truncated': 2})


@case('ipv4_bad_header', 'IHL < 5 or version not 4: ipv4_bad_header')
def _(t):
    f = bytearray(t.udp(LISTED4, request(src=LISTED4)))
    for first in (0x44, 0x40, 0x65):
        g = bytearray(f)
        g[14] = first
        g[24:26] = b'\0\0'
        g[24:26] = struct.pack('!H', inet_csum(bytes(g[14:34])))
        t.rx(bytes(g))
    t.expect(drops={'ipv4_bad_header': 3})


@case('ipv4_bad_length', 'IPv4 total length beyond the frame, or below the header')
def _(t):
    for tl in (None, 19):
        p = t.eth() / IP(src=LISTED4, dst=SBC4) / UDP(sport=5062, dport=SIP_PORT) / \
            Raw(request(src=LISTED4))
        p[IP].len = (len(p[IP]) + 1) if tl is None else tl
        t.rx(bytes(p))
    t.expect(drops={'ipv4_bad_length': 2})


@case('ipv4_bad_checksum', 'IPv4 header checksum wrong: ipv4_bad_checksum')
def _(t):
    p = t.eth() / IP(src=LISTED4, dst=SBC4) / UDP(sport=5062, dport=SIP_PORT) / \
        Raw(request(src=LISTED4))
    good = Ether(bytes(p))[IP].chksum
    p[IP].chksum = good ^ 0x0101
    t.rx(bytes(p))
    t.expect(drops={'ipv4_bad_checksum': 1}, trunks={'carrier-a': {'accepted': 0}})


@case('udp_bad_length', 'UDP length beyond the IP payload, below 8, or no room for the header')
def _(t):
    body = request(src=LISTED4)
    ip = IP(src=LISTED4, dst=SBC4)
    a = t.eth() / ip / UDP(sport=5062, dport=SIP_PORT, len=8 + len(body) + 1) / Raw(body)
    b = t.eth() / ip / UDP(sport=5062, dport=SIP_PORT, len=4) / Raw(body)
    c = t.eth() / IP(src=LISTED4, dst=SBC4, proto=17) / Raw(b'\x13\xc6\x13\xc4\x00')  # 5 bytes
    t.rx(a, b, c)
    t.expect(drops={'udp_bad_length': 3}, trunks={'carrier-a': {'accepted': 0}})


@case('ipv6_truncated', 'frame ends inside the IPv6 header: ipv6_truncated')
def _(t):
    t.rx(t.udp(LISTED6, request(src=LISTED6))[:14 + 30])
    t.expect(drops={'ipv6_truncated': 1})


@case('ipv6_bad_header', 'version not 6 behind EtherType 0x86dd: ipv6_bad_header')
def _(t):
    f = bytearray(t.udp(LISTED6, request(src=LISTED6)))
    f[14] = 0x40
    t.rx(bytes(f))
    t.expect(drops={'ipv6_bad_header': 1})


@case('ipv6_bad_length', 'IPv6 payload length beyond the frame, or 0 (jumbogram)')
def _(t):
    for plen in ('over', 0):
        p = t.eth() / IPv6(src=LISTED6, dst=SBC6) / UDP(sport=5062, dport=SIP_PORT) / \
            Raw(request(src=LISTED6))
        p[IPv6].plen = len(p[IPv6].payload) + 1 if plen == 'over' else 0
        t.rx(bytes(p))
    t.expect(drops={'ipv6_bad_length': 2})


@case('ipv6_bad_ext', 'IPv6 extension chain cut short or longer than eight: ipv6_bad_ext')
def _(t):
    # hop-by-hop saying 24 bytes, 8 there (payload length matches the frame)
    a = t.eth() / IPv6(src=LISTED6, dst=SBC6, nh=0, plen=8) / Raw(b'\x11\x02\x01\x04\0\0\0\0')
    # next header 0 but only 4 bytes of payload
    b = t.eth() / IPv6(src=LISTED6, dst=SBC6, nh=0, plen=4) / Raw(b'\x11\x00\x01\x00')
    # nine extension headers
    p = IPv6(src=LISTED6, dst=SBC6) / IPv6ExtHdrHopByHop()
    for _ in range(8):
        p = p / IPv6ExtHdrDestOpt()
    c = t.eth() / p / UDP(sport=5062, dport=SIP_PORT) / Raw(request(src=LISTED6))
    # fragment header cut short
    d = t.eth() / IPv6(src=LISTED6, dst=SBC6, nh=44, plen=4) / Raw(b'\x11\x00\x00\x01')
    t.rx(a, b, c, d)
    t.expect(drops={'ipv6_bad_ext': 4})


@case('tcp_bad_header', 'TCP data offset < 5, beyond the segment, or header cut short')
def _(t):
    ip = IP(src=LISTED4, dst=SBC4)
    a = t.eth() / ip / TCP(sport=40000, dport=SIP_PORT, dataofs=4, flags='S')
    b = t.eth() / ip / TCP(sport=40000, dport=SIP_PORT, dataofs=15, flags='S')
    c = t.eth() / IP(src=LISTED4, dst=SBC4, proto=6) / Raw(b'\x9c\x40\x13\xc4' + b'\0' * 8)
    t.rx(a, b, c)
    t.expect(drops={'tcp_bad_header': 3})
