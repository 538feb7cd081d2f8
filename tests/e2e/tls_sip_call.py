#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
One SIP call over TLS (stdlib only), for tests/e2e/test_tls_e2e.sh's check of its TLS carrier
without the SBC: connect from SRC to DST:PORT, verify the server's certificate against CAFILE
and that it names DST (its IP address in subjectAltName), then INVITE, wait for the final
answer (1xx skipped), ACK and BYE along the answer's Record-Route to its Contact, wait for the
BYE's answer. Prints "TLS-VERSION INVITE-CODE BYE-CODE" (e.g. "TLSv1.3 200 200"); exit 0 when
both codes are 200, 1 otherwise (a refused certificate prints "certificate: <why>").

  tls_sip_call.py SRC DST PORT CAFILE [TIMEOUT_S]
"""
import random
import socket
import ssl
import sys


class Conn:
    def __init__(self, sock):
        self.sock, self.buf = sock, b''

    def send(self, text):
        self.sock.sendall(text.replace('\n', '\r\n').encode())

    def recv_msg(self):
        """one SIP message from the stream: (start line, headers as (name, value), body)"""
        while b'\r\n\r\n' not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b'\r\n\r\n', 1)
        lines = head.decode(errors='replace').split('\r\n')
        while lines and not lines[0]:
            lines.pop(0)                # keep-alive CRLFs between messages
        headers = []
        for line in lines[1:]:
            if line[:1] in (' ', '\t') and headers:
                headers[-1] = (headers[-1][0], headers[-1][1] + ' ' + line.strip())
            elif ':' in line:
                name, value = line.split(':', 1)
                headers.append((name.strip().lower(), value.strip()))
        length = int(next((v for n, v in headers if n in ('content-length', 'l')), '0'))
        while len(self.buf) < length:
            self._more()
        body, self.buf = self.buf[:length], self.buf[length:]
        return lines[0], headers, body

    def _more(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError('connection closed by the server')
        self.buf += data


def values(headers, *names):
    """all values of a header, comma-separated lists split (URIs in <> kept whole)"""
    out = []
    for n, v in headers:
        if n in names:
            part, depth = '', 0
            for ch in v:
                depth += ch == '<'
                depth -= ch == '>'
                if ch == ',' and depth == 0:
                    out.append(part.strip())
                    part = ''
                else:
                    part += ch
            out.append(part.strip())
    return out


def final_answer(conn, method):
    while True:
        start, headers, _ = conn.recv_msg()
        if not start.startswith('SIP/2.0 '):
            continue                    # a request to us: not expected here
        code = int(start.split()[1])
        cseq = next((v for n, v in headers if n == 'cseq'), '')
        if cseq.endswith(method) and code >= 200:
            return code, headers


def call(src, dst, port, cafile, timeout):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    raw = socket.create_connection((dst, port), timeout=timeout, source_address=(src, 0))
    try:
        tls = ctx.wrap_socket(raw, server_hostname=dst)
    except ssl.SSLCertVerificationError as e:
        print('certificate:', e.verify_message)
        return 1
    lport = tls.getsockname()[1]
    conn = Conn(tls)
    tag, cid = '%08x' % random.getrandbits(32), '%016x@%s' % (random.getrandbits(64), src)
    sdp = (f'v=0\no=caller 1 1 IN IP4 {src}\ns=-\nc=IN IP4 {src}\nt=0 0\n'
           'm=audio 30000 RTP/AVP 0\na=rtpmap:0 PCMU/8000\n').replace('\n', '\r\n')

    def request(method, ruri, cseq, to, routes=(), body=''):
        lines = [f'{method} {ruri} SIP/2.0',
                 f'Via: SIP/2.0/TLS {src}:{lport};rport;branch=z9hG4bK{random.getrandbits(48):x}',
                 *(f'Route: {r}' for r in routes),
                 'Max-Forwards: 70',
                 f'From: <sip:tlscheck@{src}>;tag={tag}',
                 f'To: {to}',
                 f'Call-ID: {cid}',
                 f'CSeq: {cseq} {method}',
                 f'Contact: <sip:tlscheck@{src}:{lport};transport=tls>']
        if body:
            lines.append('Content-Type: application/sdp')
        lines.append(f'Content-Length: {len(body)}')
        conn.send('\n'.join(lines) + '\n\n' + body.replace('\r\n', '\n'))

    to = f'<sip:tlscheck-callee@{dst}>'
    request('INVITE', f'sip:tlscheck-callee@{dst}:{port};transport=tls', 1, to, body=sdp)
    code, headers = final_answer(conn, 'INVITE')
    if code != 200:
        print(tls.version(), code, '-')
        return 1
    to = next(v for n, v in headers if n in ('to', 't'))
    contact = values(headers, 'contact', 'm')[0]
    target = contact[contact.index('<') + 1:contact.index('>')] if '<' in contact else contact
    routes = list(reversed(values(headers, 'record-route')))      # RFC 3261 12.1.2
    request('ACK', target, 1, to, routes)
    request('BYE', target, 2, to, routes)
    bye, _ = final_answer(conn, 'BYE')
    print(tls.version(), code, bye)
    tls.close()
    return 0 if bye == 200 else 1


def main():
    if len(sys.argv) not in (5, 6):
        raise SystemExit(__doc__)
    src, dst, port, cafile = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    timeout = float(sys.argv[5]) if len(sys.argv) == 6 else 5.0
    try:
        sys.exit(call(src, dst, port, cafile, timeout))
    except (OSError, ConnectionError, ValueError, StopIteration) as e:
        print('error:', e)
        sys.exit(1)


if __name__ == '__main__':
    main()
