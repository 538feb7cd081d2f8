#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
A SIP registering client and caller for the registration e2e tests (stdlib only: hashlib has
MD5 and SHA-256), run inside a peer namespace. Every mode prints the status codes it got, space
separated (0: no answer within the timeout: 4 x REG_TIMEOUT, 2 s unless set).

  reg_client.py register SRC DST USER PASSWORD DOMAIN ALG MODE [EXPIRES] [SPORT]
      REGISTER sip:DOMAIN to DST:5060 from SRC:SPORT (default: any port); answer the 401 with
      ALG (MD5 or SHA-256, picked among the challenges), then per MODE:
        good        the answer only                                    e.g. "401 200"
        replay      the same Authorization again (same nc, cnonce)     e.g. "401 200 401"
        nc_same     a new response with the same nc                    e.g. "401 200 401"
        nc_up       nc 2 on the same nonce (must pass)                 e.g. "401 200 200"
        wrong_uri   uri= not the Request-URI                           e.g. "401 401"
        wrong_realm realm= not the challenge's                         e.g. "401 401"
        none        no answer to the challenge                         e.g. "401"
        copies      the answer, then 3 exact copies of it (retransmissions, as if each
                    answer were lost): each gets the first one's answer, the same To tag
                    ("tag-differs" appended when not)                 e.g. "401 200 200 200 200"
      PASSWORD is used as given (a wrong one gives "401 401").
  reg_client.py tcp SRC DST USER PASSWORD DOMAIN ALG
      the same as register ... good, over one TCP connection to DST:5060     e.g. "401 200"
  reg_client.py burst SRC DST USER PASSWORD DOMAIN ALG N
      one challenge, then N un-REGISTERs (Expires: 0) of USER answering it with nc 1..N, each
      its own transaction, sent within about 0.3 s and never again; prints how many got 503
      within 2 s
      (the registrar's bound on REGISTERs waiting for Redis, with Redis frozen)
  reg_client.py invite SRC DST RUSER [SPORT]
      an INVITE (no SDP) to sip:RUSER@DST; prints the final status; ACKs it (a 2xx: ACK, BYE)
  reg_client.py flood SRC DST USER PASSWORD DOMAIN ALG SECONDS PROCS
      PROCS processes register USER (401, then 200 with ALG) back to back for SECONDS, each
      registration a new Call-ID; prints "registrations failed elapsed_s" (the benchmark)
  reg_client.py uas SRC PORT SECONDS
      answer INVITEs on SRC:PORT 200 (then ACK and BYE are answered) for SECONDS or until
      SIGTERM; prints the Request-URI of each INVITE it takes (a line each, at once)
"""
import hashlib
import os
import random
import re
import socket
import sys

# how long to wait for an answer before each retransmission (3 of them): REG_TIMEOUT seconds
TIMEOUT = float(os.environ.get('REG_TIMEOUT', '2.0'))


def h(alg, s):
    return hashlib.new('sha256' if alg == 'SHA-256' else 'md5', s.encode()).hexdigest()


def sock(src, port=0):
    s = socket.socket(socket.AF_INET6 if ':' in src else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, port))
    s.settimeout(TIMEOUT)
    return s


def rid():
    return '%016x' % random.getrandbits(64)


class Dialog:
    def __init__(self, src, sport, dst):
        self.src, self.sport, self.dst = src, sport, dst
        self.call_id, self.tag, self.cseq = rid() + '@' + src, rid(), 0

    def request(self, method, ruri, to, extra='', body=''):
        self.cseq += 1
        self.branch = 'z9hG4bK' + rid()
        return (f'{method} {ruri} SIP/2.0\r\n'
                f'Via: SIP/2.0/UDP {self.src}:{self.sport};branch={self.branch};rport\r\n'
                'Max-Forwards: 70\r\n'
                f'From: <{to}>;tag={self.tag}\r\n'
                f'To: <{to}>\r\n'
                f'Call-ID: {self.call_id}\r\n'
                f'CSeq: {self.cseq} {method}\r\n'
                f'{extra}Content-Length: {len(body)}\r\n\r\n{body}').encode()


def sdp(ip, port):
    return (f'v=0\r\no=reg 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n'
            f'm=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n')


def final(s, retransmit=None):
    """The first final response (status, text); retransmits the request until then."""
    tries = 0
    while True:
        try:
            data = s.recv(65535).decode(errors='replace')
        except socket.timeout:
            tries += 1
            if retransmit is None or tries > 3:
                return 0, ''
            s.sendto(*retransmit)
            continue
        m = re.match(r'SIP/2\.0 (\d+)', data)
        if m and int(m.group(1)) >= 200:
            return int(m.group(1)), data


def challenges(text):
    """WWW-Authenticate parameter dicts, in order."""
    out = []
    for line in text.split('\r\n'):
        m = re.match(r'(?i)WWW-Authenticate:\s*Digest\s+(.*)', line)
        if m:
            out.append({k.lower(): v.strip('"') for k, v in
                        re.findall(r'(\w+)=("[^"]*"|[^,\s]+)', m.group(1))})
    return out


def authorization(ch, alg, user, password, uri, nc, cnonce, realm=None, resp_uri=None):
    realm = realm or ch['realm']
    ha1 = h(alg, f'{user}:{ch["realm"]}:{password}')
    ha2 = h(alg, f'REGISTER:{resp_uri or uri}')
    resp = h(alg, f'{ha1}:{ch["nonce"]}:{nc:08x}:{cnonce}:auth:{ha2}')
    return (f'Authorization: Digest username="{user}", realm="{realm}", nonce="{ch["nonce"]}", '
            f'uri="{uri}", response="{resp}", algorithm={alg}, cnonce="{cnonce}", qop=auth, '
            f'nc={nc:08x}\r\n')


def register(src, dst, user, password, domain, alg, mode, expires='60', sport=0):
    s = sock(src, int(sport))
    d = Dialog(src, s.getsockname()[1], dst)
    ruri, aor = f'sip:{domain}', f'sip:{user}@{domain}'
    contact = f'Contact: <sip:{user}@{src}:{d.sport}>\r\nExpires: {expires}\r\n'
    codes = []

    def send(extra='', msg=None):
        msg = msg or d.request('REGISTER', ruri, aor, contact + extra)
        s.sendto(msg, (dst, 5060))
        code, text = final(s, (msg, (dst, 5060)))
        codes.append(code)
        d.last = msg
        return code, text

    def to_tag(text):
        m = re.search(r'(?im)^(?:To|t):.*;tag=([^;\s]+)', text)
        return m.group(1) if m else None

    code, text = send()
    chs = [c for c in challenges(text) if c.get('algorithm', 'MD5').upper() == alg.upper()]
    if code != 401 or not chs or mode == 'none':
        return codes
    ch, cnonce = chs[0], rid()
    if mode == 'wrong_uri':
        send(authorization(ch, alg, user, password, f'sip:other.{domain}', 1, cnonce))
        return codes
    if mode == 'wrong_realm':
        send(authorization(ch, alg, user, password, ruri, 1, cnonce, realm='x' + ch['realm']))
        return codes
    first = authorization(ch, alg, user, password, ruri, 1, cnonce)
    code, text = send(first)
    if mode == 'copies':
        tag, msg = to_tag(text), d.last
        for _ in range(3):
            code, text = send(msg=msg)
            if to_tag(text) != tag:
                codes.append('tag-differs')
        return codes
    if code != 200 or mode == 'good':
        return codes
    if mode == 'replay':
        send(first)
    elif mode == 'nc_same':
        send(authorization(ch, alg, user, password, ruri, 1, rid()))
    elif mode == 'nc_up':
        send(authorization(ch, alg, user, password, ruri, 2, rid()))
    return codes


def invite(src, dst, ruser, sport=0):
    s = sock(src, int(sport))
    d = Dialog(src, s.getsockname()[1], dst)
    ruri = f'sip:{ruser}@{dst}:5060'
    extra = f'Contact: <sip:caller@{src}:{d.sport}>\r\nContent-Type: application/sdp\r\n'
    msg = d.request('INVITE', ruri, ruri, extra, sdp(src, 40000)).replace(
        f'From: <{ruri}>'.encode(), f'From: <sip:caller@{src}>'.encode())
    s.sendto(msg, (dst, 5060))
    s.settimeout(40)	# the B2BUA may try a carrier until Timer B
    code, text = final(s)
    if code == 0:
        return [0]
    to = re.search(r'(?im)^To:\s*(.*)$', text).group(1).strip()
    ack = (f'ACK {ruri} SIP/2.0\r\n'
           f'Via: SIP/2.0/UDP {src}:{d.sport};branch={d.branch};rport\r\n'
           f'Max-Forwards: 70\r\nFrom: <sip:caller@{src}>;tag={d.tag}\r\nTo: {to}\r\n'
           f'Call-ID: {d.call_id}\r\nCSeq: {d.cseq} ACK\r\nContent-Length: 0\r\n\r\n')
    if code >= 300:		# RFC 3261 17.1.1.3: the ACK of a failure is in the transaction
        s.sendto(ack.encode(), (dst, 5060))
        return [code]
    target = re.search(r'(?im)^Contact:\s*<([^>]+)>', text).group(1)
    ack = ack.replace(f'ACK {ruri}', f'ACK {target}').replace(
        f'branch={d.branch}', 'branch=z9hG4bK' + rid())
    s.sendto(ack.encode(), (dst, 5060))
    bye = ack.replace(f'ACK {target}', f'BYE {target}').replace(
        f'CSeq: {d.cseq} ACK', f'CSeq: {d.cseq + 1} BYE').replace(
        'branch=z9hG4bK', 'branch=z9hG4bKb')
    s.settimeout(TIMEOUT)
    s.sendto(bye.encode(), (dst, 5060))
    return [code, final(s, (bye.encode(), (dst, 5060)))[0]]


def reply(s, req, addr, code, phrase, tag, invite=False):
    heads = [l for l in req.split('\r\n') if re.match(r'(?i)(Via|From|To|Call-ID|CSeq):', l)]
    heads = [l + (f';tag={tag}' if l.lower().startswith('to:') and 'tag=' not in l else '')
             for l in heads]
    ip = s.getsockname()[0]
    body = sdp(ip, 40002) if invite else ''
    s.sendto((f'SIP/2.0 {code} {phrase}\r\n' + '\r\n'.join(heads) +
              f'\r\nContact: <sip:pbx@{ip}:{s.getsockname()[1]}>\r\n' +
              ('Content-Type: application/sdp\r\n' if invite else '') +
              f'Content-Length: {len(body)}\r\n\r\n{body}').encode(), addr)


def uas(src, port, seconds):
    import signal
    import time
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    s = sock(src, int(port))
    s.settimeout(0.2)
    end, took = time.monotonic() + float(seconds), []
    while time.monotonic() < end:
        try:
            data, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        req = data.decode(errors='replace')
        m = re.match(r'(\w+) (\S+) SIP/2\.0', req)
        if not m or m.group(1) == 'ACK':
            continue
        if m.group(1) == 'INVITE' and m.group(2) not in took:
            took.append(m.group(2))
            print(m.group(2), flush=True)
        call_id = re.search(r'(?im)^Call-ID:\s*(\S+)', req)
        tag = 'pbx%x' % (hash(call_id.group(1) if call_id else '') & 0xffffffff)
        reply(s, req, addr, 200, 'OK', tag, m.group(1) == 'INVITE')
    return took


def tcp(src, dst, user, password, domain, alg):
    s = socket.create_connection((dst, 5060), timeout=4 * TIMEOUT, source_address=(src, 0))
    d = Dialog(src, s.getsockname()[1], dst)
    ruri, aor = f'sip:{domain}', f'sip:{user}@{domain}'
    contact = f'Contact: <sip:{user}@{src}:{d.sport};transport=tcp>\r\nExpires: 60\r\n'
    codes, buf = [], b''

    def send(extra=''):
        nonlocal buf
        s.sendall(d.request('REGISTER', ruri, aor, contact + extra).replace(
            b'SIP/2.0/UDP', b'SIP/2.0/TCP', 1))
        while True:  # one response: its headers, then Content-Length bytes
            while b'\r\n\r\n' not in buf:
                try:
                    data = s.recv(65535)
                except socket.timeout:
                    data = b''
                if not data:
                    codes.append(0)
                    return 0, ''
                buf += data
            head, buf = buf.split(b'\r\n\r\n', 1)
            m = re.search(rb'(?im)^(?:Content-Length|l):\s*(\d+)', head)
            buf = buf[int(m.group(1)) if m else 0:]
            text = head.decode(errors='replace')
            code = int(text.split(' ', 2)[1])
            if code >= 200:
                codes.append(code)
                return code, text

    code, text = send()
    chs = [c for c in challenges(text) if c.get('algorithm', 'MD5').upper() == alg.upper()]
    if code == 401 and chs:
        send(authorization(chs[0], alg, user, password, ruri, 1, rid()))
    s.close()
    return codes


def burst(src, dst, user, password, domain, alg, n):
    import time
    s = sock(src)
    d = Dialog(src, s.getsockname()[1], dst)
    ruri, aor = f'sip:{domain}', f'sip:{user}@{domain}'
    contact = f'Contact: <sip:{user}@{src}:{d.sport}>\r\nExpires: 0\r\n'
    msg = d.request('REGISTER', ruri, aor, contact)
    s.sendto(msg, (dst, 5060))
    code, text = final(s, (msg, (dst, 5060)))
    chs = [c for c in challenges(text) if c.get('algorithm', 'MD5').upper() == alg.upper()]
    if code != 401 or not chs:
        return [f'no challenge ({code})']
    cnonce = rid()
    for nc in range(1, int(n) + 1):
        s.sendto(d.request('REGISTER', ruri, aor,
                           contact + authorization(chs[0], alg, user, password, ruri, nc, cnonce)),
                 (dst, 5060))
        time.sleep(0.001)  # paced: a socket buffer's worth at once could overflow
    busy, end = 0, time.monotonic() + 2
    s.settimeout(0.2)
    while time.monotonic() < end:
        try:
            busy += s.recv(65535).startswith(b'SIP/2.0 503 ')
        except socket.timeout:
            pass
    return [busy]


def flood_one(args):
    src, dst, user, password, domain, alg, seconds = args
    import time
    end, ok, bad = time.monotonic() + float(seconds), 0, 0
    while time.monotonic() < end:
        if register(src, dst, user, password, domain, alg, 'good', '3600') == [401, 200]:
            ok += 1
        else:
            bad += 1
    return ok, bad


def flood(src, dst, user, password, domain, alg, seconds, procs):
    import multiprocessing
    import time
    t0 = time.monotonic()
    with multiprocessing.Pool(int(procs)) as pool:
        res = pool.map(flood_one, [(src, dst, user, password, domain, alg, seconds)] * int(procs))
    return [sum(r[0] for r in res), sum(r[1] for r in res), '%.2f' % (time.monotonic() - t0)]


def main():
    a = sys.argv[1:]
    if len(a) in (8, 9, 10) and a[0] == 'register':
        print(' '.join(map(str, register(*a[1:]))))
    elif len(a) == 7 and a[0] == 'tcp':
        print(' '.join(map(str, tcp(*a[1:]))))
    elif len(a) == 8 and a[0] == 'burst':
        print(' '.join(map(str, burst(*a[1:]))))
    elif len(a) in (4, 5) and a[0] == 'invite':
        print(' '.join(map(str, invite(*a[1:]))))
    elif len(a) == 9 and a[0] == 'flood':
        print(' '.join(map(str, flood(*a[1:]))))
    elif len(a) == 4 and a[0] == 'uas':
        uas(*a[1:])
    else:
        sys.stderr.write(__doc__)
        sys.exit(64)


if __name__ == '__main__':
    main()
