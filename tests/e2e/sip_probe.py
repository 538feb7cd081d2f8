#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
A SIP prober for the e2e tests, run inside a peer namespace (stdlib only).

  sip_probe.py probe SRC DST [TIMEOUT_S]   one OPTIONS from SRC to DST:5060; prints the status
                                           code of the answer (200 from the responder behind
                                           the tap, 403 from the data plane) or 0 (no answer)
  sip_probe.py flow SRC DST PPS SECONDS    OPTIONS at PPS for SECONDS, distinct Call-IDs; prints
                                           how many were sent (answers are not awaited)
  sip_probe.py invite SRC DST CALL_ID [TIMEOUT_S]
                                           a new INVITE (no To tag); prints the status of the first
                                           answer within TIMEOUT_S (1) (503 from a cap), or 0
  sip_probe.py bye SRC DST CALL_ID [TIMEOUT_S]
                                           a BYE in that call's dialog; prints as probe does
INVITE and BYE carry Max-Forwards: $SIP_PROBE_MAX_FORWARDS (70 when unset).
"""
import os
import random
import socket
import sys
import time


def options(src, dst, sport, n):
    host = f'[{src}]' if ':' in src else src
    dhost = f'[{dst}]' if ':' in dst else dst
    branch = 'z9hG4bK-%08x-%d' % (random.getrandbits(32), n)
    return (f'OPTIONS sip:{dhost}:5060 SIP/2.0\r\n'
            f'Via: SIP/2.0/UDP {host}:{sport};branch={branch}\r\n'
            'Max-Forwards: 70\r\n'
            f'From: <sip:probe@{host}>;tag=p{random.getrandbits(32):x}\r\n'
            f'To: <sip:{dhost}>\r\n'
            f'Call-ID: {random.getrandbits(64):x}-{n}@{host}\r\n'
            'CSeq: 1 OPTIONS\r\n'
            'Content-Length: 0\r\n\r\n').encode()


def request(method, src, dst, sport, call_id, to_tag=''):
    host = f'[{src}]' if ':' in src else src
    dhost = f'[{dst}]' if ':' in dst else dst
    cseq = 2 if method == 'BYE' else 1
    max_forwards = os.environ.get('SIP_PROBE_MAX_FORWARDS', '70')
    return (f'{method} sip:+15550199@{dhost}:5060 SIP/2.0\r\n'
            f'Via: SIP/2.0/UDP {host}:{sport};branch=z9hG4bK-{random.getrandbits(32):x}\r\n'
            f'Max-Forwards: {max_forwards}\r\n'
            f'From: <sip:+15550100@{host}>;tag=caller\r\n'
            f'To: <sip:+15550199@{dhost}>{to_tag}\r\n'
            f'Call-ID: {call_id}\r\n'
            f'CSeq: {cseq} {method}\r\n'
            'Content-Length: 0\r\n\r\n').encode()


def send_request(method, src, dst, call_id, timeout=1.0):
    s = sock(src)
    s.settimeout(timeout)
    s.sendto(request(method, src, dst, s.getsockname()[1], call_id,
                     ';tag=callee' if method == 'BYE' else ''), (dst, 5060))
    try:
        data = s.recv(65535)
    except socket.timeout:
        return 0
    parts = data.split(b' ', 2)
    return int(parts[1]) if len(parts) > 1 and parts[0] == b'SIP/2.0' else -1


def sock(src):
    fam = socket.AF_INET6 if ':' in src else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((src, 0))
    return s


def probe(src, dst, timeout=1.0):
    s = sock(src)
    sport = s.getsockname()[1]
    s.settimeout(timeout)
    s.sendto(options(src, dst, sport, 0), (dst, 5060))
    try:
        data = s.recv(65535)
    except socket.timeout:
        return 0
    parts = data.split(b' ', 2)
    return int(parts[1]) if len(parts) > 1 and parts[0] == b'SIP/2.0' else -1


def flow(src, dst, pps, seconds):
    s = sock(src)
    s.setblocking(False)
    sport = s.getsockname()[1]
    total = int(pps * seconds)
    start = time.monotonic()
    sent = 0
    while sent < total:
        due = start + sent / pps
        now = time.monotonic()
        if now < due:
            time.sleep(due - now)
        try:
            s.sendto(options(src, dst, sport, sent), (dst, 5060))
            sent += 1
        except BlockingIOError:
            time.sleep(0.001)
        try:                       # drain answers so the socket buffer never fills
            while True:
                s.recv(65535)
        except (BlockingIOError, socket.timeout):
            pass
    return sent


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == 'probe':
        print(probe(sys.argv[2], sys.argv[3], float(sys.argv[4]) if len(sys.argv) > 4 else 1.0))
    elif len(sys.argv) in (5, 6) and sys.argv[1] in ('invite', 'bye'):
        print(send_request(sys.argv[1].upper(), sys.argv[2], sys.argv[3], sys.argv[4],
                           float(sys.argv[5]) if len(sys.argv) == 6 else 1.0))
    elif len(sys.argv) == 6 and sys.argv[1] == 'flow':
        print(flow(sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])))
    else:
        sys.stderr.write(__doc__)
        sys.exit(64)


if __name__ == '__main__':
    main()
