# SPDX-License-Identifier: BSD-3-Clause
"""
Packet cases. The allowlist: listed and unlisted sources over IPv4 and IPv6, UDP and TCP,
longest-prefix match across trunks, a mixed burst.
"""

from harness import (BCAST, IP, LISTED4, LISTED6, Raw, SBC4, SIP_PORT, TCP, UNLISTED4, UNLISTED6,
    case, request)


@case('v4_udp_listed', 'IPv4 UDP SIP from a listed source: exception port, unchanged')
def _(t):
    f = t.udp(LISTED4, request(src=LISTED4))
    t.rx(f)
    t.out_exc(f)
    t.expect(to_exception=1, trunks={'carrier-a': {'accepted': 1, 'rejected': 0}})


@case('v4_udp_unlisted_drop', 'IPv4 UDP SIP from an unlisted source, unlisted = drop')
def _(t):
    t.rx(t.udp(UNLISTED4, request(src=UNLISTED4)))
    t.expect(drops={'sip_unlisted': 1}, trunks={'carrier-a': {'accepted': 0}})


@case('v6_udp_listed', 'IPv6 UDP SIP from a listed source: exception port, unchanged')
def _(t):
    f = t.udp(LISTED6, request(src=LISTED6))
    t.rx(f)
    t.out_exc(f)
    t.expect(to_exception=1, trunks={'carrier-a': {'accepted': 1, 'rejected': 0}})


@case('v6_udp_unlisted_drop', 'IPv6 UDP SIP from an unlisted source, unlisted = drop')
def _(t):
    t.rx(t.udp(UNLISTED6, request(src=UNLISTED6)))
    t.expect(drops={'sip_unlisted': 1}, trunks={'carrier-a': {'accepted': 0}})


@case('v4_broadcast_mac_listed', 'listed SIP sent to the broadcast MAC is still ours (L3 decides)')
def _(t):
    f = t.udp(LISTED4, request(src=LISTED4), mac=BCAST)
    t.rx(f)
    t.out_exc(f)
    t.expect(to_exception=1)


@case('lpm_longest_prefix_v4', 'nested prefixes in three trunks: the longest one counts')
def _(t):
    t.config(trunks={'a': ['198.51.100.0/24'], 'b': ['198.51.100.128/25'],
                     'c': ['198.51.100.201/32']})
    srcs = ['198.51.100.20', '198.51.100.127', '198.51.100.128', '198.51.100.200',
            '198.51.100.200', '198.51.100.201']
    for s in srcs:
        f = t.udp(s, request(src=s))
        t.rx(f)
        t.out_exc(f)
    t.expect(to_exception=6, trunks={'a': {'accepted': 2}, 'b': {'accepted': 3},
                                     'c': {'accepted': 1}})


@case('lpm_longest_prefix_v6', 'nested IPv6 prefixes in three trunks: the longest one counts')
def _(t):
    t.config(trunks={'a': ['2001:db8:100::/48'], 'b': ['2001:db8:100:1::/64'],
                     'c': ['2001:db8:100:1::77/128']})
    srcs = ['2001:db8:100::5', '2001:db8:100:2::1', '2001:db8:100:1::5', '2001:db8:100:1::78',
            '2001:db8:100:1:ffff::1', '2001:db8:100:1::77']
    for s in srcs:
        f = t.udp(s, request(src=s))
        t.rx(f)
        t.out_exc(f)
    t.expect(to_exception=6, trunks={'a': {'accepted': 2}, 'b': {'accepted': 3},
                                     'c': {'accepted': 1}})


@case('tcp_sip_listed', 'TCP SIP from a listed source (SYN, then an INVITE segment): exception')
def _(t):
    syn = bytes(t.eth() / IP(src=LISTED4, dst=SBC4) /
                TCP(sport=40000, dport=SIP_PORT, flags='S', seq=1000, options=[('MSS', 1460)]))
    data = bytes(t.eth() / IP(src=LISTED4, dst=SBC4) /
                 TCP(sport=40000, dport=SIP_PORT, flags='PA', seq=1001, ack=1) /
                 Raw(request(src=LISTED4, sport=40000,
                             via=f'SIP/2.0/TCP {LISTED4}:40000;branch=z9hG4bK-tcp1')))
    t.rx(syn, data)
    t.out_exc(syn, data)
    t.expect(to_exception=2, trunks={'carrier-a': {'accepted': 2}})


@case('tcp_sip_unlisted', 'TCP SIP from an unlisted source: sip_unlisted')
def _(t):
    syn = bytes(t.eth() / IP(src=UNLISTED4, dst=SBC4) /
                TCP(sport=40000, dport=SIP_PORT, flags='S', seq=1000))
    data = bytes(t.eth() / IP(src=UNLISTED4, dst=SBC4) /
                 TCP(sport=40000, dport=SIP_PORT, flags='PA', seq=1001, ack=1) /
                 Raw(request(src=UNLISTED4, sport=40000)))
    t.rx(syn, data)
    t.expect(drops={'sip_unlisted': 2})


@case('burst_mixed', '300 frames, listed and unlisted, IPv4 and IPv6, several rx bursts')
def _(t):
    listed, unl = 0, 0
    for i in range(300):
        v6, ok = i % 3 == 0, i % 2 == 0
        src = (LISTED6 if ok else UNLISTED6) if v6 else (LISTED4 if ok else UNLISTED4)
        f = t.udp(src, request('OPTIONS', src=src), sport=5062 + i)
        t.rx(f)
        if ok:
            t.out_exc(f)
            listed += 1
        else:
            unl += 1
    t.expect(to_exception=listed, drops={'sip_unlisted': unl},
             trunks={'carrier-a': {'accepted': listed, 'rejected': 0}})


@case('burst_one_family_listed', 'one rx burst of unlisted IPv4 SIP with a listed IPv6 frame '
      'in it, then one of unlisted IPv6 with a listed IPv4 frame: only the listed frames pass '
      '(a burst whose listed sources are all of one family places the other\'s as unlisted)')
def _(t):
    for listed, unlisted in ((LISTED6, UNLISTED4), (LISTED4, UNLISTED6)):
        for i in range(32):    # net_pcap hands the data plane whole bursts of 32
            src = listed if i == 15 else unlisted
            f = t.udp(src, request('OPTIONS', src=src), sport=5100 + i)
            t.rx(f)
            if src == listed:
                t.out_exc(f)
    t.expect(to_exception=2, drops={'sip_unlisted': 62},
             trunks={'carrier-a': {'accepted': 2, 'rejected': 0}})


@case('flood_runs', 'an unlisted IPv4 flood of plain SIP: whole bursts, a burst whose run ends '
      'at a listed frame, one with a frame to a closed port: every frame counted once by its '
      'reason')
def _(t):
    for i in range(100):
        src = LISTED4 if i == 20 else UNLISTED4
        f = t.udp(src, request(src=src), sport=5100 + i)
        t.rx(f)
        if src == LISTED4:
            t.out_exc(f)
    t.rx(t.udp(UNLISTED4, request(src=UNLISTED4), dport=9999))
    for i in range(27):
        t.rx(t.udp(UNLISTED4, request('OPTIONS', src=UNLISTED4), sport=6000 + i))
    t.expect(to_exception=1, drops={'sip_unlisted': 126, 'port_closed': 1},
             trunks={'carrier-a': {'accepted': 1, 'rejected': 0}})


@case('tls_port', 'SIP over TLS: TCP to tls_port from a listed source passes like sip_port, '
      'from an unlisted one sip_unlisted; UDP to tls_port port_closed')
def _(t):
    # the data plane reads no certificate; the loader only checks the files are readable
    t.config(tls_port=5061, tls_certificate='/dev/null', tls_key='/dev/null')
    syn = bytes(t.eth() / IP(src=LISTED4, dst=SBC4) /
                TCP(sport=40001, dport=5061, flags='S', seq=1000, options=[('MSS', 1460)]))
    hello = bytes(t.eth() / IP(src=LISTED4, dst=SBC4) /
                  TCP(sport=40001, dport=5061, flags='PA', seq=1001, ack=1) /
                  Raw(b'\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00'))
    t.rx(syn, hello,
         t.eth() / IP(src=UNLISTED4, dst=SBC4) / TCP(sport=40002, dport=5061, flags='S'),
         t.udp(LISTED4, request(src=LISTED4), dport=5061))
    t.out_exc(syn, hello)
    t.expect(to_exception=2, drops={'sip_unlisted': 1, 'port_closed': 1},
             trunks={'carrier-a': {'accepted': 2}})


@case('tcp_from_peer_sip_port', "the peer's side of a TCP connection the B2BUA opened: from the "
      "port of a trunk's uri to an ephemeral port, allowlisted like sip_port; another source "
      'port is port_closed')
def _(t):
    t.trunk_opts['carrier-a'] = {'uri': f'sip:{LISTED4}:5080;transport=tcp'}
    synack = bytes(t.eth() / IP(src=LISTED4, dst=SBC4) /
                   TCP(sport=5080, dport=40123, flags='SA', seq=7000, ack=1001))
    data = bytes(t.eth() / IP(src=LISTED4, dst=SBC4) /
                 TCP(sport=5080, dport=40123, flags='PA', seq=7001, ack=1001) /
                 Raw(b'SIP/2.0 100 Trying\r\n\r\n'))
    t.rx(synack, data,
         t.eth() / IP(src=UNLISTED4, dst=SBC4) / TCP(sport=5080, dport=40124, flags='SA'),
         t.eth() / IP(src=LISTED4, dst=SBC4) / TCP(sport=5099, dport=40123, flags='SA'),
         t.udp(LISTED4, request(src=LISTED4), sport=5080, dport=40125))
    t.out_exc(synack, data)
    t.expect(to_exception=2, drops={'sip_unlisted': 1, 'port_closed': 2},
             trunks={'carrier-a': {'accepted': 2}})
