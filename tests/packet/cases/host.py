# SPDX-License-Identifier: BSD-3-Clause
"""
Packet cases. Traffic for the host itself: ARP, IPv6 neighbour discovery and ICMP echo go to the
exception port (the kernel answers); what is not for the SBC's addresses is dropped.
"""

from harness import (ARP, BCAST, ICMP, ICMPv6EchoRequest, ICMPv6NDOptSrcLLAddr, ICMPv6ND_NS, IP,
    IPv6, PEER_MAC, Raw, SBC4, SBC6, UNLISTED4, UNLISTED6, case)


@case('arp_request_ours', 'ARP request for the SBC address (broadcast, unicast, tagged): exception')
def _(t):
    f = bytes(t.eth(BCAST) / ARP(op=1, hwsrc=PEER_MAC, psrc='198.51.100.1', pdst=SBC4))
    g = bytes(t.eth() / ARP(op=1, hwsrc=PEER_MAC, psrc='198.51.100.1', pdst=SBC4))  # unicast
    h = bytes(t.eth(BCAST, vlans=[(0x8100, 100)]) /
              ARP(op=1, hwsrc=PEER_MAC, psrc='198.51.100.1', pdst=SBC4))
    t.rx(f, g, h)
    t.out_exc(f, g, h)
    t.expect(to_exception=3)


@case('arp_not_ours', 'ARP request for another address: arp_not_ours')
def _(t):
    t.rx(t.eth(BCAST) / ARP(op=1, hwsrc=PEER_MAC, psrc='198.51.100.1', pdst='198.51.100.11'))
    t.expect(drops={'arp_not_ours': 1})


@case('arp_malformed', 'ARP that is not Ethernet/IPv4, or cut short: arp_malformed')
def _(t):
    a = bytes(t.eth(BCAST) / ARP(op=1, hwsrc=PEER_MAC, psrc='198.51.100.1', pdst=SBC4))
    bad_hlen = a[:14 + 4] + b'\x08' + a[14 + 5:]           # hardware address length 8
    cut = a[:14 + 20]                                      # 20 of 28 bytes
    t.rx(bad_hlen, cut)
    t.expect(drops={'arp_malformed': 2})


@case('icmp_echo_v4', 'ICMP echo request to the SBC: exception port')
def _(t):
    f = bytes(t.eth() / IP(src=UNLISTED4, dst=SBC4) / ICMP() / Raw(b'ping' * 8))
    t.rx(f)
    t.out_exc(f)
    t.expect(to_exception=1)


@case('icmp_echo_other_ip', 'ICMP echo request to another address: not_for_us')
def _(t):
    t.rx(t.eth() / IP(src=UNLISTED4, dst='198.51.100.11') / ICMP())
    t.expect(drops={'not_for_us': 1})


@case('icmpv6_ns_solicited_node', 'ICMPv6 NS to the solicited-node group of address6: exception')
def _(t):
    f = bytes(t.eth('33:33:ff:00:00:10') /
              IPv6(src='fe80::200:5eff:fe00:5301', dst='ff02::1:ff00:10', hlim=255) /
              ICMPv6ND_NS(tgt=SBC6) / ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC))
    t.rx(f)
    t.out_exc(f)
    t.expect(to_exception=1)


@case('icmpv6_echo', 'ICMPv6 echo request to address6: exception')
def _(t):
    f = bytes(t.eth() / IPv6(src=UNLISTED6, dst=SBC6) / ICMPv6EchoRequest(data=b'ping'))
    t.rx(f)
    t.out_exc(f)
    t.expect(to_exception=1)
