# SPDX-License-Identifier: BSD-3-Clause
"""
Packet cases. What the classifier passes or refuses by its headers: VLAN tags (802.1Q, QinQ),
IPv4 options, IPv6 extension chains, ports and addresses the SBC does not serve, and the
kernel's traffic from the exception port out to the wire.
"""

from harness import (ARP, Ether, ICMPv6EchoRequest, IP, IPOption_EOL, IPOption_NOP, IPOption_RR,
    IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, LISTED4, LISTED6, OTHER_MAC,
    PEER_MAC, PadN, Raw, SBC4, SBC6, SIP_PORT, TCP, UDP, UNLISTED6, case, request, response)


@case('vlan_single_listed', '802.1Q-tagged listed SIP: exception port, tag kept')
def _(t):
    f = t.udp(LISTED4, request(src=LISTED4), vlans=[(0x8100, 100)])
    t.rx(f)
    t.out_exc(f)
    t.expect(to_exception=1, trunks={'carrier-a': {'accepted': 1}})


@case('vlan_single_v6_listed', '802.1Q-tagged listed IPv6 SIP: exception port, tag kept')
def _(t):
    f = t.udp(LISTED6, request(src=LISTED6), vlans=[(0x8100, 100)])
    t.rx(f)
    t.out_exc(f)
    t.expect(to_exception=1, trunks={'carrier-a': {'accepted': 1}})


@case('vlan_qinq_listed', 'QinQ (0x88a8 outer, 0x8100 inner) listed SIP: exception, unchanged')
def _(t):
    f = t.udp(LISTED4, request(src=LISTED4), vlans=[(0x88a8, 200), (0x8100, 100)])
    t.rx(f)
    t.out_exc(f)
    t.expect(to_exception=1, trunks={'carrier-a': {'accepted': 1}})


@case('vlan_too_deep', 'three VLAN tags: dropped vlan_too_deep')
def _(t):
    t.rx(t.udp(LISTED4, request(src=LISTED4),
               vlans=[(0x88a8, 300), (0x8100, 200), (0x8100, 100)]))
    t.expect(drops={'vlan_too_deep': 1}, trunks={'carrier-a': {'accepted': 0}})


@case('ipv4_options_listed', 'IPv4 with options, IHL 6 to 15, listed SIP: exception, unchanged')
def _(t):
    for ihl in range(6, 16):
        opts = [IPOption_NOP()] * ((ihl - 5) * 4 - 1) + [IPOption_EOL()]
        if ihl == 15:
            opts = [IPOption_RR(routers=['192.0.2.1'] * 9), IPOption_EOL()]
        f = bytes(t.eth() / IP(src=LISTED4, dst=SBC4, options=opts) /
                  UDP(sport=5062, dport=SIP_PORT) / Raw(request(src=LISTED4)))
        assert Ether(f)[IP].ihl == ihl, (ihl, Ether(f)[IP].ihl)
        t.rx(f)
        t.out_exc(f)
    t.expect(to_exception=10, trunks={'carrier-a': {'accepted': 10}})


@case('ipv6_ext_headers_listed', 'IPv6 hop-by-hop + destination options + routing before UDP')
def _(t):
    f1 = bytes(t.eth() / IPv6(src=LISTED6, dst=SBC6) / IPv6ExtHdrHopByHop() /
               IPv6ExtHdrDestOpt() / IPv6ExtHdrRouting() / UDP(sport=5062, dport=SIP_PORT) /
               Raw(request(src=LISTED6)))
    f2 = bytes(t.eth() / IPv6(src=LISTED6, dst=SBC6) /
               IPv6ExtHdrHopByHop(options=[PadN(optdata=b'\0' * 20)]) /
               IPv6ExtHdrDestOpt(options=[PadN(optdata=b'\0' * 36)]) /
               IPv6ExtHdrRouting(type=0, addresses=['2001:db8::1', '2001:db8::2'], segleft=0) /
               UDP(sport=5062, dport=SIP_PORT) / Raw(request(src=LISTED6)))
    t.rx(f1, f2)
    t.out_exc(f1, f2)
    t.expect(to_exception=2, trunks={'carrier-a': {'accepted': 2}})


@case('ipv6_ext_chain_8_listed', 'IPv6 with eight extension headers (the most walked): exception')
def _(t):
    p = IPv6(src=LISTED6, dst=SBC6) / IPv6ExtHdrHopByHop()
    for _ in range(7):
        p = p / IPv6ExtHdrDestOpt()
    f = bytes(t.eth() / p / UDP(sport=5062, dport=SIP_PORT) / Raw(request(src=LISTED6)))
    t.rx(f)
    t.out_exc(f)
    t.expect(to_exception=1)


@case('port_closed', 'UDP and TCP to a port the SBC does not serve: port_closed')
def _(t):
    t.rx(t.udp(LISTED4, request(src=LISTED4), dport=5061),
         t.udp(UNLISTED6, request(src=UNLISTED6), dport=5080),
         t.eth() / IP(src=LISTED4, dst=SBC4) / TCP(sport=40000, dport=5061, flags='S'))
    t.expect(drops={'port_closed': 3}, trunks={'carrier-a': {'accepted': 0}})


@case('not_for_us', 'SIP to another IPv4 / IPv6 address: not_for_us')
def _(t):
    t.rx(t.udp(LISTED4, request(src=LISTED4), dst='198.51.100.11'),
         t.udp(LISTED6, request(src=LISTED6), dst='2001:db8::11'),
         t.eth() / IPv6(src=UNLISTED6, dst='2001:db8::11') / ICMPv6EchoRequest())
    t.expect(drops={'not_for_us': 3})


@case('ip_protocol_unserved', 'IPv4 GRE and IPv6 next header 47 to the SBC: protocol')
def _(t):
    t.rx(t.eth() / IP(src=LISTED4, dst=SBC4, proto=47) / Raw(b'\0' * 24),
         t.eth() / IPv6(src=LISTED6, dst=SBC6, nh=47) / Raw(b'\0' * 24))
    t.expect(drops={'protocol': 2})


@case('ethertype_unserved', 'LLDP (0x88cc) to the SBC: ethertype')
def _(t):
    t.rx(Ether(dst=t.wire_mac, src=PEER_MAC, type=0x88cc) / Raw(b'\x02\x07\x04' + b'\0' * 40))
    t.expect(drops={'ethertype': 1})


@case('l2_other_host', 'unicast frame to another MAC: l2_other_host')
def _(t):
    t.rx(t.udp(LISTED4, request(src=LISTED4), mac=OTHER_MAC))
    t.expect(drops={'l2_other_host': 1}, trunks={'carrier-a': {'accepted': 0}})


@case('exception_to_wire', 'ARP reply and SIP from the kernel (exception port): wire, unchanged')
def _(t):
    arp = bytes(Ether(dst=PEER_MAC, src=t.wire_mac) /
                ARP(op=2, hwsrc=t.wire_mac, psrc=SBC4, hwdst=PEER_MAC, pdst='198.51.100.1'))
    sip = bytes(Ether(dst=PEER_MAC, src=t.wire_mac) / IP(src=SBC4, dst=LISTED4) /
                UDP(sport=SIP_PORT, dport=5062) / Raw(response()))
    na = bytes(Ether(dst=PEER_MAC, src=t.wire_mac) / IPv6(src=SBC6, dst=LISTED6) /
               UDP(sport=SIP_PORT, dport=5062) / Raw(response(src=SBC6, dst=LISTED6)))
    t.rx_exc(arp, sip, na)
    t.out_wire(arp, sip, na)
    t.expect(to_wire=3, exc_rx=3, to_exception=0, reject_sent=0)


@case('both_ports_at_once', 'listed SIP in on the wire and kernel traffic in on the exception')
def _(t):
    w = t.udp(LISTED4, request(src=LISTED4))
    e = bytes(Ether(dst=PEER_MAC, src=t.wire_mac) / IP(src=SBC4, dst=LISTED4) /
              UDP(sport=SIP_PORT, dport=5062) / Raw(response()))
    t.rx(w)
    t.rx_exc(e)
    t.out_exc(w)
    t.out_wire(e)
    t.expect(to_exception=1, to_wire=1)
