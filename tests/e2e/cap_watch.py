#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Stats-socket watchers and TCP clients of the caps tests (test_caps_e2e.sh, test_tcpcaps_e2e.sh).

window SOCKET TRUNK TOTAL LIMIT_S
    Polls the trunk's counters on the stats socket, timestamps each query with this process's
    monotonic clock and prints the outer and inner windows of its admissions over every
    transport (caps_e2e's method): "admitted N outer S inner S". Ends once TOTAL INVITEs were
    admitted or refused over_cps, or fails after LIMIT_S.
peak SOCKET TRUNK STOPFILE LIMIT_S
    Samples the trunk's active_calls until STOPFILE exists: "peak N samples M".
big DST SRC BYTES LIMIT_S
    Sends a request whose header never ends, BYTES long, and waits for the SBC to close.
hold DST SRC N STOPFILE LIMIT_S
    Opens N TCP connections from SRC to DST:5060 and holds them, idle, until STOPFILE exists:
    "connected N failed M" once all were tried.
"""
import json
import os
import resource
import socket
import sys
import time


def trunk_reader(path, trunk):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    s.recv(16384)

    def read():
        s.send(b'/sbc/trunks')
        d = json.loads(s.recv(1 << 20).decode())['/sbc/trunks']
        return next(v for v in d.values() if isinstance(v, dict) and v.get('name') == trunk)
    return read


def window(path, trunk, total, limit):
    read = trunk_reader(path, trunk)

    def counts():
        t = read()
        return t['admitted'], t['admitted'] + t['over_cps']
    adm0, seen0 = counts()
    print('ready', flush=True)
    out0 = in0 = in1 = None
    end = time.monotonic() + limit
    while time.monotonic() < end:
        t0 = time.monotonic()
        adm, seen = counts()
        t1 = time.monotonic()
        if adm == adm0:
            out0 = t0                   # no admission yet when this query was answered
        elif in0 is None:
            in0 = t1                    # the first admission was before this
        if seen - seen0 < total:
            in1 = t0                    # INVITEs still to come after this
        else:
            break
        time.sleep(0.02)
    else:
        print(f'timeout: {seen - seen0} of {total} INVITEs counted in {limit} s')
        return 1
    if out0 is None or in0 is None or in1 is None:
        print(f'no window: the first query already saw admissions, or none came ({adm - adm0})')
        return 1
    print(f'admitted {adm - adm0} outer {t1 - out0:.3f} inner {max(0.0, in1 - in0):.3f}')
    return 0


def peak(path, trunk, stop, limit):
    read = trunk_reader(path, trunk)
    top = n = 0
    end = time.monotonic() + limit
    while not os.path.exists(stop) and time.monotonic() < end:
        top = max(top, read()['active_calls'])
        n += 1
        time.sleep(0.01)
    print(f'peak {top} samples {n}')
    return 0


def hold(dst, src, n, stop, limit):
    resource.setrlimit(resource.RLIMIT_NOFILE, (n + 64, n + 64))
    socks, failed = [], 0
    for _ in range(n):
        s = socket.socket()
        s.settimeout(10)
        s.bind((src, 0))
        try:
            s.connect((dst, 5060))
            socks.append(s)
        except OSError:
            failed += 1
            s.close()
    print(f'connected {len(socks)} failed {failed}', flush=True)
    end = time.monotonic() + limit
    while not os.path.exists(stop) and time.monotonic() < end:
        time.sleep(0.05)
    for s in socks:
        s.close()
    return 0


def big(dst, src, size, limit):
    """A SIP request over TCP whose header never ends: size bytes of one header line. Prints
    "closed after S s (sent N)" when the SBC closes the connection, "open" after limit s."""
    s = socket.socket()
    s.settimeout(limit)
    s.bind((src, 0))
    s.connect((dst, 5060))
    t0 = time.monotonic()
    sent = 0
    head = (f'INVITE sip:100@{dst} SIP/2.0\r\nVia: SIP/2.0/TCP {src};branch=z9hG4bK-big\r\n'
            'X-Padding: ').encode()
    try:
        s.sendall(head)
        sent = len(head)
        chunk = b'a' * 4096
        while sent < size:
            s.sendall(chunk)
            sent += len(chunk)
        while True:
            d = s.recv(4096)
            if not d:
                break
    except (ConnectionResetError, BrokenPipeError):
        pass
    except socket.timeout:
        print(f'open after {limit} s (sent {sent})')
        return 0
    print(f'closed after {time.monotonic() - t0:.1f} s (sent {sent})')
    return 0


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == 'window':
        return window(args[0], args[1], int(args[2]), float(args[3]))
    if cmd == 'peak':
        return peak(args[0], args[1], args[2], float(args[3]))
    if cmd == 'big':
        return big(args[0], args[1], int(args[2]), float(args[3]))
    if cmd == 'hold':
        return hold(args[0], args[1], int(args[2]), args[3], float(args[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
