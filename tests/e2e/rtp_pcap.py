#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""RTP for the media e2e tests (test_media_e2e.sh, test_media2_e2e.sh), stdlib only.

pcap FILE N SSRC [FIRST]
    Writes N RTP packets (PCMU, 160 bytes of payload, 20 ms apart, SSRC as given in hex,
    sequence numbers from FIRST (1000), timestamps 160 apart from 160 * (FIRST - 1000): a file
    from 1000 + N goes on where the first ended) as an Ethernet/IPv4/UDP pcap for sipp's
    play_pcap_audio, which sends the UDP payloads with the capture's timing from its own
    address and media port.
inject DST PORT N
    Sends N RTP-shaped datagrams of 100 bytes (SSRC 0xbadbad00) to DST:PORT, 5 ms apart: a
    foreign source at a live media port. Prints "sent N".
count PCAP PORT [FIRST]
    Reads a capture (tshark -w, pcap or pcapng through tshark -F pcap) given as a classic pcap
    and prints, for UDP datagrams to PORT (with FIRST, only those whose RTP sequence number is
    FIRST or above): "total T from SRC:SPORT C ... foreign F" where foreign counts datagrams
    with the injector's SSRC.
"""
import socket
import struct
import sys
import time

INJECT_SSRC = 0xbadbad00


def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def rtp(seq, ts, ssrc, payload):
    return struct.pack('!BBHII', 0x80, 0, seq & 0xffff, ts, ssrc) + payload


def write_pcap(path, n, ssrc, first=1000):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            k = first - 1000 + i
            udp_payload = rtp(first + i, 160 * k, ssrc, bytes([0xff]) * 160)
            udp = struct.pack('!HHHH', 6000, 6000, 8 + len(udp_payload), 0) + udp_payload
            ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                             bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2]))
            ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
            frame = b'\x02' * 6 + b'\x04' * 6 + b'\x08\x00' + ip + udp
            t = i * 20000
            f.write(struct.pack('<IIII', t // 1000000, t % 1000000, len(frame), len(frame)))
            f.write(frame)


def inject(dst, port, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(n):
        s.sendto(rtp(i, 160 * i, INJECT_SSRC, bytes(88)), (dst, port))
        time.sleep(0.005)
    print('sent %d' % n)


def frames(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic = struct.unpack('<I', data[:4])[0]
    if magic != 0xa1b2c3d4:
        raise SystemExit('%s: not a classic little-endian pcap' % path)
    link = struct.unpack('<I', data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack('<I', data[off + 8:off + 12])[0]
        yield link, data[off + 16:off + 16 + incl]
        off += 16 + incl


def count(path, port, first=0):
    total, foreign, by_src = 0, 0, {}
    for link, fr in frames(path):
        if link == 1:		# Ethernet
            if len(fr) < 14 or struct.unpack('!H', fr[12:14])[0] != 0x0800:
                continue
            ip = fr[14:]
        elif link == 113:	# Linux cooked (tshark -i any)
            ip = fr[16:]
        else:
            continue
        if len(ip) < 28 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        sport, dport = struct.unpack('!HH', ip[ihl:ihl + 4])
        payload = ip[ihl + 8:]
        if dport != port or (first and (len(payload) < 12 or
                                        struct.unpack('!H', payload[2:4])[0] < first)):
            continue
        total += 1
        src = '%s:%d' % (socket.inet_ntoa(ip[12:16]), sport)
        by_src[src] = by_src.get(src, 0) + 1
        if len(payload) >= 12 and struct.unpack('!I', payload[8:12])[0] == INJECT_SSRC:
            foreign += 1
    print('total %d %s foreign %d' % (
        total, ' '.join('from %s %d' % kv for kv in sorted(by_src.items())), foreign))


def main(argv):
    if len(argv) in (5, 6) and argv[1] == 'pcap':
        first = int(argv[5]) if len(argv) == 6 else 1000
        write_pcap(argv[2], int(argv[3]), int(argv[4], 16), first)
    elif len(argv) == 5 and argv[1] == 'inject':
        inject(argv[2], int(argv[3]), int(argv[4]))
    elif len(argv) in (4, 5) and argv[1] == 'count':
        count(argv[2], int(argv[3]), int(argv[4]) if len(argv) == 5 else 0)
    else:
        raise SystemExit(__doc__)


if __name__ == '__main__':
    main(sys.argv)
