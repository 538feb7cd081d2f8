#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
A REGISTER storm for the registrar's memory benchmark (issue 11, FreeSWITCH CVE-2021-41145):
COUNT REGISTER requests from NSRC source addresses, each registration a new random Call-ID
and a random user among USERS (u00000 ...), answered with PASSWORD and ALG: users below KNOWN
have that password in Redis (-> 200, a binding), the others do not exist (-> 401, a counted
authentication failure). A registration is two REGISTERs: the first gets the 401 challenge,
the second carries the Authorization. WINDOW registrations are in flight at once (closed loop:
the storm goes as fast as the SBC answers); a request with no answer within 2 s is lost (not
retransmitted). Stdlib only, one process, non-blocking sockets on one selector.

  reg_storm.py DST DOMAIN PASSWORD ALG COUNT SRC_BASE NSRC USERS KNOWN WINDOW PROGRESS

SRC_BASE: the first source address (IPv4 or IPv6); the sources are SRC_BASE + 0 .. NSRC-1, which
must exist in this namespace. Every PROGRESS seconds a line "progress T REGISTERS OK FAILED
LOST" goes to stdout; at the end "done REGISTERS OK FAILED LOST ELAPSED_S".
"""
import hashlib
import ipaddress
import random
import re
import selectors
import socket
import sys
import time

TIMEOUT = 2.0


def h(alg, s):
    return hashlib.new('sha256' if alg == 'SHA-256' else 'md5', s.encode()).hexdigest()


def rid():
    return '%016x' % random.getrandbits(64)


class Storm:
    def __init__(self, dst, domain, password, alg, count, base, nsrc, users, known, window):
        self.dst, self.domain, self.password, self.alg = dst, domain, password, alg
        self.count, self.users, self.known, self.window = count, users, known, window
        self.sel = selectors.DefaultSelector()
        first = ipaddress.ip_address(base)
        fam = socket.AF_INET6 if first.version == 6 else socket.AF_INET
        self.socks = []
        for i in range(nsrc):
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.bind((str(first + i), 0))
            s.setblocking(False)
            self.socks.append(s)
            self.sel.register(s, selectors.EVENT_READ)
        self.sent = self.ok = self.failed = self.lost = 0
        self.flight = {}		# Call-ID -> [sock, user, cseq, deadline, via host]
        self.next_src = 0

    def request(self, st, call_id, extra=''):
        s, user = st[0], st[1]
        host, port = s.getsockname()[:2]
        via = f'[{host}]' if ':' in host else host
        ruri, aor = f'sip:{self.domain}', f'sip:{user}@{self.domain}'
        msg = (f'REGISTER {ruri} SIP/2.0\r\n'
               f'Via: SIP/2.0/UDP {via}:{port};branch=z9hG4bK{rid()};rport\r\n'
               'Max-Forwards: 70\r\n'
               f'From: <{aor}>;tag={call_id[:8]}\r\nTo: <{aor}>\r\n'
               f'Call-ID: {call_id}\r\nCSeq: {st[2]} REGISTER\r\n'
               f'Contact: <sip:{user}@{via}:{port}>\r\nExpires: 60\r\n'
               f'{extra}Content-Length: 0\r\n\r\n').encode()
        try:
            s.sendto(msg, (self.dst, 5060))
        except BlockingIOError:
            pass			# the socket buffer is full: the request is lost, timed out
        self.sent += 1
        st[3] = time.monotonic() + TIMEOUT

    def start_one(self):
        s = self.socks[self.next_src]
        self.next_src = (self.next_src + 1) % len(self.socks)
        call_id = rid()
        st = [s, 'u%05d' % random.randrange(self.users), 1, 0.0]
        self.flight[call_id] = st
        self.request(st, call_id)

    def answer(self, st, call_id, text):
        for m in re.finditer(r'(?im)^WWW-Authenticate:\s*Digest\s+(.*)$', text):
            ch = {k.lower(): v.strip('"') for k, v in
                  re.findall(r'(\w+)=("[^"]*"|[^,\s]+)', m.group(1))}
            if ch.get('algorithm', 'MD5').upper() != self.alg.upper():
                continue
            user, uri, cnonce = st[1], f'sip:{self.domain}', rid()
            ha1 = h(self.alg, f'{user}:{ch["realm"]}:{self.password}')
            ha2 = h(self.alg, f'REGISTER:{uri}')
            resp = h(self.alg, f'{ha1}:{ch["nonce"]}:00000001:{cnonce}:auth:{ha2}')
            st[2] = 2
            self.request(st, call_id, (
                f'Authorization: Digest username="{user}", realm="{ch["realm"]}", '
                f'nonce="{ch["nonce"]}", uri="{uri}", response="{resp}", '
                f'algorithm={self.alg}, cnonce="{cnonce}", qop=auth, nc=00000001\r\n'))
            return True
        return False

    def on_response(self, data):
        text = data.decode(errors='replace')
        m = re.match(r'SIP/2\.0 (\d+)', text)
        c = re.search(r'(?im)^(?:Call-ID|i):\s*(\S+)', text)
        if not m or not c or c.group(1) not in self.flight:
            return
        code, call_id = int(m.group(1)), c.group(1)
        st = self.flight[call_id]
        if code < 200:
            return
        if code == 401 and st[2] == 1 and self.answer(st, call_id, text):
            return
        del self.flight[call_id]
        if code == 200 and st[2] == 2:
            self.ok += 1
        else:
            self.failed += 1

    def run(self, progress):
        t0 = last = time.monotonic()
        while self.sent < self.count or self.flight:
            while len(self.flight) < self.window and self.sent + 2 <= self.count:
                self.start_one()
            for key, _ in self.sel.select(0.05):
                while True:
                    try:
                        data = key.fileobj.recv(65535)
                    except BlockingIOError:
                        break
                    self.on_response(data)
            now = time.monotonic()
            for call_id in [k for k, v in self.flight.items() if v[3] < now]:
                del self.flight[call_id]
                self.lost += 1
            if now - last >= progress:
                last = now
                print('progress %.1f %d %d %d %d' % (now - t0, self.sent, self.ok, self.failed,
                                                     self.lost), flush=True)
            if self.sent + 2 > self.count and not self.flight:
                break
        print('done %d %d %d %d %.2f' % (self.sent, self.ok, self.failed, self.lost,
                                         time.monotonic() - t0), flush=True)


def main():
    a = sys.argv[1:]
    if len(a) != 11:
        sys.stderr.write(__doc__)
        sys.exit(64)
    storm = Storm(a[0], a[1], a[2], a[3], int(a[4]), a[5], int(a[6]), int(a[7]), int(a[8]),
                  int(a[9]))
    storm.run(float(a[10]))


if __name__ == '__main__':
    main()
