# SPDX-License-Identifier: BSD-3-Clause
"""
The packet suite's harness: everything but the cases (those are in cases/<feature>.py).

  - the case registry (@case) and the case context T: a case's configuration, input frames
    (wire and exception port), expected output frames and expected counters;
  - builders: pcap files, raw and scapy frames, SIP requests and responses, the 403/503 the data
    plane must send (Reply403, Reply503: checked field by field, RFC 3261 / RFC 3581);
  - the runner: sbc-dataplane on two net_pcap ports (DataPlane, on tests/lib/sbc_dprun.py's
    Program), run until idle, counters read, stopped with SIGTERM;
  - the checks: the packet-conservation invariant and the named counters (check_counters), the
    output frames (compare_port), each case's own checks.

scapy is imported only when a case runs (listing the cases needs no scapy): load_scapy() sets
its names here and in every module that registered a case.
"""

import hashlib
import ipaddress
import itertools
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sbc_dprun import Program, RunError, eal, unwrap  # noqa: E402

EXIT_PASS, EXIT_FAIL, EXIT_SKIP = 0, 1, 77

# Documentation addresses only (RFC 5737, RFC 3849, RFC 7042).
SBC4 = '198.51.100.10'
SBC6 = '2001:db8::10'
LISTED4 = '203.0.113.5'            # in trunk carrier-a (203.0.113.0/24)
LISTED6 = '2001:db8:100::5'        # in trunk carrier-a (2001:db8:100::/48)
UNLISTED4 = '192.0.2.66'
UNLISTED6 = '2001:db8:bad::66'
PEER_MAC = '00:00:5e:00:53:01'     # the sender of every wire frame
OTHER_MAC = '00:00:5e:00:53:99'    # a unicast MAC that is not the SBC's
BCAST = 'ff:ff:ff:ff:ff:ff'
SIP_PORT = 5060
DEFAULT_TRUNKS = {'carrier-a': ['203.0.113.0/24', '2001:db8:100::/48']}

IDLE_MS = 300
IDLE_TIMEOUT_S = 30
STOP_TIMEOUT_S = 40   # a hang, not a slow exit: a clean one took over 20 s at load 15

HERE = os.path.dirname(os.path.abspath(__file__))


def corpus_dir():
    d = os.environ.get('SBC_SIP_TESTDATA')
    if d:
        return d
    return os.path.normpath(os.path.join(HERE, '..', 'data', 'sip'))


class Skip(Exception):
    pass


# The run itself went wrong (data plane did not start, no idle, bad exit): a failure.
HarnessError = RunError


# --------------------------------------------------------------------------------------------
# Case registry (no scapy needed to list it)

class CaseDef:
    def __init__(self, name, func, doc, corpus):
        self.name, self.func, self.doc, self.corpus = name, func, doc, corpus


CASES = {}


def case(name, doc, corpus=False):
    def deco(fn):
        assert re.fullmatch(r'[a-z0-9_]{1,48}', name), name
        assert name not in CASES, f'case {name} registered twice'
        CASES[name] = CaseDef(name, fn, doc, corpus)
        return fn
    return deco


# --------------------------------------------------------------------------------------------
# scapy, loaded only when a case runs

SCAPY_NAMES = ['Ether', 'Dot1Q', 'Dot1AD', 'IP', 'IPv6', 'UDP', 'TCP', 'ARP', 'ICMP', 'Raw',
               'IPOption_NOP', 'IPOption_EOL', 'IPOption_RR', 'ICMPv6EchoRequest', 'ICMPv6ND_NS',
               'ICMPv6NDOptSrcLLAddr', 'IPv6ExtHdrHopByHop', 'IPv6ExtHdrDestOpt',
               'IPv6ExtHdrRouting', 'IPv6ExtHdrFragment', 'PadN', 'fragment', 'fragment6',
               'NoPayload', 'Padding', 'ICMPv6ND_NA', 'ICMPv6NDOptDstLLAddr']


# placeholders so the names exist before load_scapy() (and for static checkers)
Ether = Dot1Q = Dot1AD = IP = IPv6 = UDP = TCP = ARP = ICMP = Raw = None
IPOption_NOP = IPOption_EOL = IPOption_RR = ICMPv6EchoRequest = ICMPv6ND_NS = None
ICMPv6NDOptSrcLLAddr = IPv6ExtHdrHopByHop = IPv6ExtHdrDestOpt = IPv6ExtHdrRouting = None
IPv6ExtHdrFragment = PadN = fragment = fragment6 = NoPayload = Padding = None
ICMPv6ND_NA = ICMPv6NDOptDstLLAddr = None


def load_scapy():
    """Import scapy into this module's globals; raises Skip when it is not installed."""
    import logging
    logging.getLogger('scapy.runtime').setLevel(logging.ERROR)
    logging.getLogger('scapy.loading').setLevel(logging.ERROR)
    # the layer modules the names live in, not scapy.all (every layer and contrib module: about
    # 0.4 s of CPU more for each of the ~120 cases, each its own process)
    try:
        from scapy.config import conf
        import scapy.layers.inet
        import scapy.layers.inet6
        import scapy.layers.l2
        import scapy.packet
    except Exception as e:  # ImportError, or a broken install
        raise Skip(f'scapy is not importable by {sys.executable} ({e}); '
                   'apt-get install python3-scapy') from e
    layers = (scapy.layers.l2, scapy.layers.inet, scapy.layers.inet6, scapy.packet)
    # the harness's names and those of every module that registered a case (each imported them
    # from here while they were still None)
    mods = {sys.modules[__name__]} | {sys.modules[cd.func.__module__] for cd in CASES.values()}
    for n in SCAPY_NAMES:
        v = next(getattr(m, n) for m in layers if hasattr(m, n))
        for m in mods:
            setattr(m, n, v)
    conf.verb = 0


# --------------------------------------------------------------------------------------------
# pcap files (plain libpcap format, written and read without scapy)

PCAP_HDR = struct.Struct('<IHHiIII')
PCAP_REC = struct.Struct('<IIII')


T0 = 1700000000            # the first frame's pcap time (s); cases with a clock add to it


def write_pcap(path, frames, times=None):
    """times: seconds after T0 per frame (microsecond pcap); default one microsecond apart."""
    with open(path, 'wb') as f:
        f.write(PCAP_HDR.pack(0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        for i, fr in enumerate(frames):
            us = round(times[i] * 1000000) if times else i
            f.write(PCAP_REC.pack(T0 + us // 1000000, us % 1000000, len(fr), len(fr)))
            f.write(fr)


def read_pcap(path):
    """Frames of a pcap file (micro- or nanosecond, either byte order); timestamps dropped."""
    if not os.path.exists(path):
        raise HarnessError(f'{path}: the data plane wrote no tx pcap')
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 24:
        raise HarnessError(f'{path}: {len(data)} bytes, not even a pcap header')
    magic = struct.unpack('<I', data[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        end = '<'
    elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
        end = '>'
    else:
        raise HarnessError(f'{path}: not a pcap file (magic {magic:#x})')
    if struct.unpack(end + 'I', data[20:24])[0] != 1:
        raise HarnessError(f'{path}: link type is not Ethernet')
    frames, off = [], 24
    while off < len(data):
        if off + 16 > len(data):
            raise HarnessError(f'{path}: record header cut at byte {off}')
        _, _, incl, orig = struct.unpack(end + 'IIII', data[off:off + 16])
        off += 16
        if off + incl > len(data):
            raise HarnessError(f'{path}: record of {incl} bytes cut at byte {off}')
        if incl != orig:
            raise HarnessError(f'{path}: frame {len(frames)} captured {incl} of {orig} bytes')
        frames.append(data[off:off + incl])
        off += incl
    return frames


# --------------------------------------------------------------------------------------------
# Raw frame building (fast: for the corpora, thousands of datagrams up to 64 KiB)

def inet_csum(b):
    """RFC 1071 checksum of b: ones' complement sum == the value mod 0xffff (2^16 == 1)."""
    if len(b) % 2:
        b += b'\0'
    v = int.from_bytes(b, 'big')
    s = v % 0xffff
    if s == 0 and v:
        s = 0xffff
    return (~s) & 0xffff


def mac_bytes(m):
    return bytes.fromhex(m.replace(':', ''))


def raw_udp_frames(src, dst, sport, dport, payload, eth_dst, eth_src=PEER_MAC, ident=1,
                   mtu=1500):
    """Ethernet/IPv4 or IPv6/UDP datagram, split into IP fragments when it exceeds mtu."""
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    ulen = 8 + len(payload)
    if s.version == 4:
        pseudo = s.packed + d.packed + struct.pack('!BBH', 0, 17, ulen)
    else:
        pseudo = s.packed + d.packed + struct.pack('!IxxxB', ulen, 17)
    c = inet_csum(pseudo + struct.pack('!HHHH', sport, dport, ulen, 0) + payload) or 0xffff
    udp = struct.pack('!HHHH', sport, dport, ulen, c) + payload
    frames = []
    if s.version == 4:
        eth = mac_bytes(eth_dst) + mac_bytes(eth_src) + b'\x08\x00'
        step = (mtu - 20) & ~7
        chunks = [udp] if 20 + len(udp) <= mtu else \
            [udp[o:o + step] for o in range(0, len(udp), step)]
        off = 0
        for i, ch in enumerate(chunks):
            more = i + 1 < len(chunks)
            h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(ch), ident & 0xffff,
                            (0x2000 if more else 0) | (off // 8), 64, 17, 0, s.packed, d.packed)
            h = h[:10] + struct.pack('!H', inet_csum(h)) + h[12:]
            frames.append(eth + h + ch)
            off += len(ch)
    else:
        eth = mac_bytes(eth_dst) + mac_bytes(eth_src) + b'\x86\xdd'
        if 40 + len(udp) <= mtu:
            return [eth + struct.pack('!IHBB', 0x60000000, len(udp), 17, 64) + s.packed +
                    d.packed + udp]
        step = (mtu - 48) & ~7
        for off in range(0, len(udp), step):
            ch = udp[off:off + step]
            more = off + step < len(udp)
            fh = struct.pack('!BBHI', 17, 0, off | (1 if more else 0), ident)
            frames.append(eth + struct.pack('!IHBB', 0x60000000, 8 + len(ch), 44, 64) +
                          s.packed + d.packed + fh + ch)
    return frames


# --------------------------------------------------------------------------------------------
# SIP text

_uniq = itertools.count(1)


def hostport(ip, port=None):
    h = f'[{ip}]' if ':' in ip else ip
    return h if port is None else f'{h}:{port}'


def sip_msg(start, headers, body=b'', content_length=True):
    """start line + [(name, value)] (+ Content-Length unless given or disabled) + body."""
    lines = [start] + [f'{n}: {v}' for n, v in headers]
    names = {n.lower() for n, _ in headers}
    if content_length and not names & {'content-length', 'l'}:
        lines.append(f'Content-Length: {len(body)}')
    return ('\r\n'.join(lines) + '\r\n\r\n').encode() + body


def sdp(src, size=0):
    """An SDP offer, padded with a= lines to at least size bytes."""
    ipv = 'IP6' if ':' in src else 'IP4'
    s = (f'v=0\r\no=- 4711 1 IN {ipv} {src}\r\ns=-\r\nc=IN {ipv} {src}\r\nt=0 0\r\n'
         'm=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n'
         'a=rtpmap:101 telephone-event/8000\r\n')
    i = 0
    while len(s) < size:
        s += f'a=x-padding-{i:05d}:' + 'p' * 60 + '\r\n'
        i += 1
    return s.encode()


def request(method='INVITE', src=UNLISTED4, sport=5062, via=None, frm=None, to=None,
            call_id=None, cseq=1, extra=(), body=None, ruri=None, compact=False):
    """A SIP request as a UA at src:sport would send it. via may be a list of Via values."""
    n = next(_uniq)
    if via is None:
        via = f'SIP/2.0/UDP {hostport(src, sport)};branch=z9hG4bK-pkt{n:04d}'
    vias = via if isinstance(via, list) else [via]
    frm = frm or f'"Caller" <sip:+15550100@{hostport(src)}>;tag=f{n:04d}'
    to = to or f'<sip:+15550199@{SBC4}>'
    call_id = call_id or f'pkt{n:04d}@{hostport(src)}'
    if body is None:
        body = sdp(src) if method == 'INVITE' else b''
    H = (lambda full, short: short if compact else full)
    headers = [(H('Via', 'v'), v) for v in vias]
    headers += [('Max-Forwards', '70'), (H('From', 'f'), frm), (H('To', 't'), to),
                (H('Call-ID', 'i'), call_id), ('CSeq', f'{cseq} {method}'),
                (H('Contact', 'm'), f'<sip:+15550100@{hostport(src, sport)}>')]
    headers += list(extra)
    if body:
        headers.append((H('Content-Type', 'c'), 'application/sdp'))
    headers.append((H('Content-Length', 'l'), str(len(body))))
    return sip_msg(f'{method} {ruri or "sip:+15550199@" + SBC4} SIP/2.0', headers, body)


def response(code=200, reason='OK', src=SBC4, dst=LISTED4, dport=5062, method='INVITE'):
    n = next(_uniq)
    return sip_msg(f'SIP/2.0 {code} {reason}', [
        ('Via', f'SIP/2.0/UDP {hostport(dst, dport)};branch=z9hG4bK-pkt{n:04d}'),
        ('From', f'<sip:+15550100@{hostport(dst)}>;tag=f{n:04d}'),
        ('To', f'<sip:+15550199@{hostport(src)}>;tag=t{n:04d}'),
        ('Call-ID', f'pkt{n:04d}@{hostport(dst)}'), ('CSeq', f'1 {method}')])


COMPACT = {'v': 'via', 'f': 'from', 't': 'to', 'i': 'call-id', 'l': 'content-length',
           'm': 'contact', 'c': 'content-type', 'e': 'content-encoding', 'k': 'supported',
           's': 'subject', 'o': 'event', 'r': 'refer-to', 'u': 'allow-events',
           'x': 'session-expires', 'a': 'accept-contact', 'b': 'referred-by',
           'j': 'reject-contact', 'd': 'request-disposition', 'y': 'identity',
           'n': 'identity-info'}


def sip_split(msg):
    """(start line, [(canonical lower-case name, unfolded value)], body or None)."""
    text = msg.decode('latin-1')
    m = re.search(r'\r?\n\r?\n', text)
    head, body = (text[:m.start()], text[m.end():]) if m else (text, None)
    lines = re.split(r'\r?\n', head)
    hdrs = []
    for ln in lines[1:]:
        if ln[:1] in (' ', '\t') and hdrs:         # folded continuation (RFC 3261 7.3.1)
            hdrs[-1][1] = (hdrs[-1][1] or '') + ' ' + ln.strip()
            continue
        name, sep, val = ln.partition(':')
        name = name.strip().lower()
        hdrs.append([COMPACT.get(name, name), val.strip() if sep else None])
    return lines[0], [(n, v) for n, v in hdrs], body


def norm(s):
    return re.sub(r'\s+', ' ', s).strip() if s is not None else None


def split_unquoted(s, sep):
    """Split s at sep outside "quoted strings" and <angle brackets>."""
    out, cur, q, ang, i = [], [], False, 0, 0
    while i < len(s):
        c = s[i]
        if q:
            cur.append(c)
            if c == '\\' and i + 1 < len(s):
                cur.append(s[i + 1])
                i += 1
            elif c == '"':
                q = False
        elif c == '"':
            q = True
            cur.append(c)
        elif c == '<':
            ang += 1
            cur.append(c)
        elif c == '>' and ang:
            ang -= 1
            cur.append(c)
        elif c == sep and not ang:
            out.append(''.join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    out.append(''.join(cur))
    return out


def header_values(hdrs, name):
    return [v for n, v in hdrs if n == name]


def via_values(hdrs):
    """Every Via value in order: one per header field, split at commas (RFC 3261 7.3.1)."""
    return [norm(v) for field in header_values(hdrs, 'via') if field is not None
            for v in split_unquoted(field, ',')]


VIA_RE = re.compile(r'\s*(SIP\s*/\s*2\.0\s*/\s*[A-Za-z0-9.!%*_+`\'~-]+)\s+'
                    r'(\[[^\]]*\](?::\d+)?|[^;\s:]+(?::\d+)?)\s*(.*)$', re.S | re.I)


def parse_via(v):
    """{'proto', 'host', 'port', 'params': [(lower name, value or None)]} or None."""
    m = VIA_RE.match(v)
    if not m:
        return None
    sentby = m.group(2)
    if sentby.startswith('['):
        host, _, rest = sentby[1:].partition(']')
        port = rest[1:] if rest.startswith(':') else None
    else:
        host, _, port = sentby.partition(':')
        port = port or None
    params = []
    for p in split_unquoted(m.group(3), ';')[1:]:
        name, eq, val = p.partition('=')
        params.append((name.strip().lower(), val.strip() if eq else None))
    return {'proto': re.sub(r'\s+', '', m.group(1)).upper(), 'host': host,
            'port': int(port) if port else None, 'params': params}


def same_ip(a, b):
    try:
        return ipaddress.ip_address(a.strip('[]')) == ipaddress.ip_address(b.strip('[]'))
    except ValueError:
        return False


def expected_top_via(req_top, src_ip, src_port):
    """RFC 3261 18.2.1 + RFC 3581 4: the top Via of the response and the port to answer to."""
    v = parse_via(req_top)
    if v is None:
        return None, None
    names = [n for n, _ in v['params']]
    has_rport = 'rport' in names
    params = [(n, str(src_port) if n == 'rport' and not val else val) for n, val in v['params']]
    if 'received' not in names and (has_rport or not same_ip(v['host'], src_ip)):
        params.append(('received', src_ip))
    v['params'] = params
    return v, src_port if has_rport else (v['port'] or 5060)


def via_param_set(params):
    out = []
    for n, val in params:
        if n == 'received' and val is not None:
            try:
                val = str(ipaddress.ip_address(val.strip('[]')))
            except ValueError:
                pass
        out.append((n, val))
    return sorted(out, key=lambda x: (x[0], x[1] or ''))


# --------------------------------------------------------------------------------------------
# Frame descriptions and field-level differences

def summary(fr):
    try:
        return Ether(fr).summary() + f' ({len(fr)} bytes)'
    except Exception:
        return f'{len(fr)} bytes {fr[:32].hex()}'


def field_diff(exp, got, limit=8):
    """The first fields that differ between two frames, layer by layer (scapy dissection)."""
    out = []
    try:
        a, b = Ether(exp), Ether(got)
    except Exception:
        return out
    while not isinstance(a, NoPayload) and not isinstance(b, NoPayload):
        if type(a) is not type(b):
            out.append(f'layer: expected {type(a).__name__}, got {type(b).__name__}')
            break
        ln = type(a).__name__
        if isinstance(a, (Raw, Padding)):
            x, y = a.load, b.load
            i = next((k for k in range(min(len(x), len(y))) if x[k] != y[k]), min(len(x), len(y)))
            if x != y:
                out.append(f'{ln}: {len(x)} vs {len(y)} bytes, first difference at payload byte '
                           f'{i}: expected {x[max(0, i - 16):i + 32]!r}, got '
                           f'{y[max(0, i - 16):i + 32]!r}')
            break
        for f in a.fields_desc:
            va, vb = a.getfieldval(f.name), b.getfieldval(f.name)
            if va != vb:
                out.append(f'{ln}.{f.name}: expected {va!r}, got {vb!r}')
        if len(out) >= limit:
            break
        a, b = a.payload, b.payload
    return out[:limit]


def frame_diff(port, i, exp, got):
    if exp == got:
        return []
    k = next((j for j in range(min(len(exp), len(got))) if exp[j] != got[j]),
             min(len(exp), len(got)))
    head = (f'{port} output packet {i}: differs ({len(exp)} bytes expected, {len(got)} got, '
            f'first difference at byte {k})')
    fields = field_diff(exp, got) or [
        f'bytes {k}..: expected {exp[k:k + 16].hex()}, got {got[k:k + 16].hex()}']
    return [head] + [f'    {f}' for f in fields] + [f'    expected: {summary(exp)}',
                                                      f'    got:      {summary(got)}']


# --------------------------------------------------------------------------------------------
# 403 responses

UNSET = object()


def l2_header_len(f):
    off = 12
    while f[off:off + 2] in (b'\x81\x00', b'\x88\xa8', b'\x91\x00'):
        off += 4
    return off + 2


def check_reply_frame(where, req, got, wire_mac, sbc_ip, dport):
    """L2-L4 of a data-plane response to request frame req. dport None: not checked."""
    errs = []

    def err(field, exp, val):
        errs.append(f'{where}: {field}: expected {exp}, got {val}')

    try:
        q, r = Ether(req), Ether(got)
    except Exception as e:
        return [f'{where}: does not dissect ({e})']
    if r.dst != q.src:
        err('Ether.dst (the request\'s source MAC)', q.src, r.dst)
    if r.src != wire_mac:
        err('Ether.src (the wire port\'s MAC)', wire_mac, r.src)
    ql, rl = l2_header_len(req), l2_header_len(got)
    if req[12:ql] != got[12:rl]:
        err('VLAN tags + EtherType', req[12:ql].hex(' ', 2), got[12:rl].hex(' ', 2))
    if IP in q:
        if IP not in r:
            return errs + [f'{where}: no IPv4 header in {summary(got)}']
        ip, qip = r[IP], q[IP]
        if ip.src != sbc_ip:
            err('IP.src', sbc_ip, ip.src)
        if ip.dst != qip.src:
            err('IP.dst (the requester)', qip.src, ip.dst)
        if ip.flags.MF or ip.frag:
            err('IP fragment fields', 'none', f'flags={ip.flags} frag={ip.frag}')
        if ip.ttl == 0:
            err('IP.ttl', '> 0', 0)
        if ip.len != len(got) - ql:
            err('IP.len', len(got) - ql, ip.len)
        c = ip.copy()
        del c.chksum
        if UDP in c:
            del c[UDP].chksum
        fixed = IP(bytes(c))
        if ip.chksum != fixed.chksum:
            err('IP.chksum', hex(fixed.chksum), hex(ip.chksum))
    elif IPv6 in q:
        if IPv6 not in r:
            return errs + [f'{where}: no IPv6 header in {summary(got)}']
        ip, qip = r[IPv6], q[IPv6]
        if ipaddress.ip_address(ip.src) != ipaddress.ip_address(sbc_ip):
            err('IPv6.src', sbc_ip, ip.src)
        if ip.dst != qip.src:
            err('IPv6.dst (the requester)', qip.src, ip.dst)
        if ip.plen != len(got) - ql - 40:
            err('IPv6.plen', len(got) - ql - 40, ip.plen)
        if ip.hlim == 0:
            err('IPv6.hlim', '> 0', 0)
        c = ip.copy()
        if UDP in c:
            del c[UDP].chksum
        fixed = IPv6(bytes(c))
    else:
        return errs + [f'{where}: request is not IP']
    if ip.payload.__class__ is not UDP:
        return errs + [f'{where}: no UDP header right after the IP header: {summary(got)}']
    u = r[UDP]
    if u.sport != SIP_PORT:
        err('UDP.sport', SIP_PORT, u.sport)
    if dport is not None and u.dport != dport:
        err('UDP.dport', dport, u.dport)
    if u.len != 8 + len(bytes(u.payload)):
        err('UDP.len', 8 + len(bytes(u.payload)), u.len)
    if u.chksum == 0 or u.chksum != fixed[UDP].chksum:
        err('UDP.chksum', hex(fixed[UDP].chksum), hex(u.chksum))
    return errs


def reply_sip(got):
    r = Ether(got)
    return bytes(r[UDP].payload) if UDP in r else b''


def check_403_sip(where, req_sip, got_sip, src_ip, src_port, dport=None, received=UNSET,
                  status='403 Forbidden', extra=()):
    """RFC 3261 8.2.6 / 18.2.1, RFC 3581 4: the response text against the request text.
    extra: (name, value) headers the response must carry too (a 503's Retry-After)."""
    errs = []

    def err(field, exp, val):
        errs.append(f'{where}: SIP {field}: expected {exp!r}, got {val!r}')

    qs, qh, _ = sip_split(req_sip)
    rs, rh, rbody = sip_split(got_sip)
    if rs != 'SIP/2.0 ' + status:
        err('status line', 'SIP/2.0 ' + status, rs)
    for name, value in extra:
        if header_values(rh, name.lower()) != [value]:
            err(name, [value], header_values(rh, name.lower()))
    # Via: every one, in order; the top one with received / rport
    qv, rv = via_values(qh), via_values(rh)
    if len(qv) != len(rv):
        err('Via count', len(qv), len(rv))
    if qv and rv:
        exp_top, exp_port = expected_top_via(qv[0], src_ip, src_port)
        got_top = parse_via(rv[0])
        if exp_top is None or got_top is None:
            err('top Via', qv[0], rv[0])
        else:
            for k in ('proto', 'host', 'port'):
                if str(exp_top[k]).lower() != str(got_top[k]).lower():
                    err(f'top Via {k}', exp_top[k], got_top[k])
            if via_param_set(exp_top['params']) != via_param_set(got_top['params']):
                err('top Via parameters', ';'.join(f'{n}={v}' if v is not None else n
                                                   for n, v in exp_top['params']),
                    ';'.join(f'{n}={v}' if v is not None else n for n, v in got_top['params']))
            gp = dict(got_top['params'])
            if received is not UNSET and gp.get('received') != received:
                err('top Via received=', received, gp.get('received'))
            if dport is not None and exp_port != dport:
                errs.append(f'{where}: test table says port {dport}, the Via rules say '
                            f'{exp_port} (fix the case)')
    for k, (a, b) in enumerate(zip(qv[1:], rv[1:]), 1):
        if a != b:
            err(f'Via #{k}', a, b)
    # From, To, Call-ID, CSeq
    for name in ('from', 'to', 'call-id', 'cseq'):
        qx, rx = header_values(qh, name), header_values(rh, name)
        if len(rx) != 1:
            err(f'{name} header count', 1, len(rx))
            continue
        qx, rx = norm(qx[0]) if qx else None, norm(rx[0])
        if name == 'to':
            qtag = next((v for n, v in (parse_params(qx)) if n == 'tag'), None)
            if qtag is not None:
                if rx != qx:
                    err('To (request had a tag: kept as is)', qx, rx)
            else:
                m = re.fullmatch(re.escape(qx) + r'\s*;\s*tag=([^;\s,]+)', rx)
                if not m:
                    err('To (request To plus ;tag=...)', qx + ';tag=<new>', rx)
        elif name == 'cseq':
            a, b = qx.split(None, 1), rx.split(None, 1)
            if len(b) != 2 or not b[0].isdigit() or int(a[0]) != int(b[0]) or a[1] != b[1]:
                err('CSeq', qx, rx)
        elif qx != rx:
            err(name, qx, rx)
    cl = header_values(rh, 'content-length')
    if cl != ['0']:
        err('Content-Length', ['0'], cl)
    if rbody:
        err('body', '', rbody[:80])
    return errs


def parse_params(value):
    """(name, value) parameters of a name-addr / addr-spec header value (after the URI)."""
    if value is None:
        return []
    parts = split_unquoted(value, ';')
    out = []
    for p in parts[1:]:
        n, eq, v = p.partition('=')
        out.append((n.strip().lower(), v.strip() if eq else None))
    return out


def to_tag(sip_bytes):
    _, h, _ = sip_split(sip_bytes)
    tov = header_values(h, 'to')
    return next((v for n, v in parse_params(tov[0]) if n == 'tag'), None) if tov else None


class Reply403:
    """Expected on the wire: the data plane's 403 to request frame req."""
    status, extra = '403 Forbidden', ()

    def __init__(self, req, dport=None, received=UNSET):
        self.req, self.dport, self.received = req, dport, received

    def describe(self):
        return f'{self.status} to {summary(self.req)}'

    def check(self, where, got, ctx):
        q = Ether(self.req)
        ipl = q[IP] if IP in q else q[IPv6]
        sbc_ip = SBC4 if IP in q else SBC6
        errs = check_reply_frame(where, self.req, got, ctx.wire_mac, sbc_ip, self.dport)
        if UDP not in Ether(got):
            return errs
        errs += check_403_sip(where, bytes(q[UDP].payload), reply_sip(got), ipl.src,
                              q[UDP].sport, self.dport, self.received, self.status, self.extra)
        return errs


class Reply503(Reply403):
    """Expected on the wire: the data plane's 503 (a cap) with Retry-After to request req."""
    status = '503 Service Unavailable'

    def __init__(self, req, retry_after=5):
        super().__init__(req)
        self.extra = (('Retry-After', str(retry_after)),)


# --------------------------------------------------------------------------------------------
# Channel commands (common/sbc_channel.h, layout 5): 24-byte header + body, 256 bytes a message

MSG_SIZE, MSG_HDR = 256, struct.Struct('<HHIQQ')     # type, version, len, generation, sent_ns
CMD_ACL_ADD, CMD_DENY_ADD = 1, 40
ACL_HDR, ACL_PREFIX = struct.Struct('<HHI'), struct.Struct('<BB16s')
DENY_HDR, DENY_ENTRY, DENY_PER_MSG = struct.Struct('<HHI'), struct.Struct('<QB7x16s16s'), 4


def wire_addr(ip):
    """(family, 16 address bytes) as sbc_wire_prefix / sbc_deny_entry carry them."""
    a = ipaddress.ip_address(ip)
    return (6, a.packed) if a.version == 6 else (4, a.packed + bytes(12))


def chan_msg(mtype, body, generation):
    return (MSG_HDR.pack(mtype, 1, len(body), generation, 0) + body).ljust(MSG_SIZE, b'\0')


# --------------------------------------------------------------------------------------------
# The case context: what goes in, what must come out

class T:
    def __init__(self, name, wire_mac):
        self.name = name
        self.wire_mac = wire_mac
        self.sbc = {'address': SBC4, 'address6': SBC6, 'sip_port': str(SIP_PORT),
                    'unlisted': 'drop'}
        self.trunks = dict(DEFAULT_TRUNKS)
        self.wire_in, self.exc_in = [], []
        self.exc_times = []            # seconds after T0 per kernel-side frame
        self.want_wire, self.want_exc = [], []
        self.stats, self.drops, self.trunk_counts = {}, {}, {}
        self.drops_free = set()        # reasons a case does not pin (checked by its own code)
        self.checks = []               # extra checks: f(ctx, res) -> [errors]
        self.compare_outputs = True    # False: the case checks the outputs itself
        self.wire_unordered = False
        self.tmp = None
        self.trunk_opts = {}           # trunk name -> {key: value} beside peers
        self.dp_opts = {}              # [dataplane] keys beside the ports
        self.test_clock = False        # --test-clock: caps and timers on the pcap's times
        self.wire_times = None         # seconds after T0 per wire frame (with at())
        self.now = 0.0
        self.settle = None             # f(stats): the counters are final (timers in real time)
        self.commands = []             # channel commands applied at start (--test-commands)
        self.want_media = False        # read /sbc/media into res.media (media cases)
        self.media_calls = []          # and `sbcctl media CALL-ID` of these into res.media_calls

    # configuration
    def config(self, trunks=None, **sbc):
        if trunks is not None:
            self.trunks = trunks
        for k, v in sbc.items():
            self.sbc[k] = str(v)

    # frames
    def eth(self, dst=None, src=PEER_MAC, vlans=()):
        """Ethernet header (to the SBC's wire MAC unless dst) plus VLAN tags (tpid, vid)."""
        p = Ether(dst=dst or self.wire_mac, src=src)
        for tpid, vid in vlans:
            p = p / (Dot1AD(vlan=vid) if tpid == 0x88a8 else Dot1Q(vlan=vid))
        return p

    def udp(self, src, payload, sport=5062, dport=SIP_PORT, dst=None, vlans=(), mac=None):
        ipl = IPv6(src=src, dst=dst or SBC6) if ':' in src else IP(src=src, dst=dst or SBC4)
        return bytes(self.eth(mac, vlans=vlans) / ipl / UDP(sport=sport, dport=dport) /
                     Raw(payload))

    # inputs and expectations
    def rx(self, *frames):
        if self.wire_times is not None:
            self.wire_times += [self.now] * len(frames)
        self.wire_in += [bytes(f) for f in frames]

    def at(self, seconds):
        """Frames rx()ed from now on carry this pcap time (s after T0); turns the clock on."""
        if self.wire_times is None:
            self.wire_times = [i / 1000000 for i in range(len(self.wire_in))]
            self.test_clock = True
        self.now = seconds

    def out_503(self, req, retry_after=5):
        self.want_wire.append(Reply503(req, retry_after))

    def rx_exc(self, *frames, at=None):
        """Frames from the kernel side; at: their pcap time (default one microsecond apart)."""
        for f in frames:
            self.exc_times.append(at if at is not None else len(self.exc_in) / 1000000)
            self.exc_in.append(bytes(f))

    def out_exc(self, *frames):
        self.want_exc += [bytes(f) for f in frames]

    def out_wire(self, *frames):
        self.want_wire += [bytes(f) for f in frames]

    def out_403(self, req, dport=None, received=UNSET):
        self.want_wire.append(Reply403(req, dport, received))

    # channel commands, as the control plane sends them, applied before the first frame
    def deny(self, *ips, ttl_ms=0, reason='test'):
        """SBC_CMD_DENY_ADD of these sources (4 a message)."""
        for i in range(0, len(ips), DENY_PER_MSG):
            part = ips[i:i + DENY_PER_MSG]
            body = DENY_HDR.pack(len(part), 0, 0) + b''.join(
                DENY_ENTRY.pack(ttl_ms, *wire_addr(ip), reason.encode()[:16]) for ip in part)
            self.commands.append(chan_msg(CMD_DENY_ADD, body, len(self.commands) + 1))

    def acl_add(self, trunk_id, *cidrs):
        """SBC_CMD_ACL_ADD of these prefixes to trunk trunk_id (what cp_dynacl sends for a
        registered source: its /32 or /128)."""
        body = ACL_HDR.pack(trunk_id, len(cidrs), 0)
        for c in cidrs:
            n = ipaddress.ip_network(c)
            fam, addr = wire_addr(str(n.network_address))
            body += ACL_PREFIX.pack(fam, n.prefixlen, addr)
        self.commands.append(chan_msg(CMD_ACL_ADD, body, len(self.commands) + 1))

    def expect(self, drops=None, trunks=None, **stats):
        self.drops.update(drops or {})
        for name, d in (trunks or {}).items():
            self.trunk_counts.setdefault(name, {}).update(d)
        self.stats.update(stats)

    def config_text(self, channel):
        lines = ['[sbc]'] + [f'{k} = {v}' for k, v in self.sbc.items()]
        lines += ['', '[dataplane]', 'wire = net_pcap0', 'exception = net_pcap1', 'workers = 1',
                  f'channel = {channel}'] + [f'{k} = {v}' for k, v in self.dp_opts.items()]
        for name, peers in self.trunks.items():
            lines += ['', f'[trunk {name}]', 'peers = ' + ', '.join(peers)]
            lines += [f'{k} = {v}' for k, v in self.trunk_opts.get(name, {}).items()]
        return '\n'.join(lines) + '\n'


# --------------------------------------------------------------------------------------------
# Running the data plane (tests/lib/sbc_dprun.py's Program, shared with the bench)

class DataPlane(Program):
    """sbc-dataplane on two net_pcap ports; its stdout lines say when it is ready and idle."""

    def __init__(self, binary, sbcctl, prefix, wd, conf, wire_in, wire_out, exc_in, exc_out,
                 test_clock=False, commands=None):
        cmd = [binary, *eal(prefix, [f'net_pcap0,rx_pcap={wire_in},tx_pcap={wire_out}',
                                     f'net_pcap1,rx_pcap={exc_in},tx_pcap={exc_out}']),
               '--', '-c', conf, '--test-idle-ms', str(IDLE_MS)]
        if test_clock:
            cmd.append('--test-clock')
        if commands:
            cmd += ['--test-commands', commands]
        # the channel is named after the prefix and left behind on purpose: cleanup removes it
        super().__init__('sbc-dataplane', cmd, prefix, wd, shm=prefix, watch=True,
                         log=os.path.join(wd, 'dataplane.stderr'), cwd=wd)
        self.sbcctl = sbcctl
        self.idle, self.ready = 0, False

    def on_line(self, line):
        if line.startswith('sbc-dataplane: idle'):
            self.idle += 1
        if line.startswith('sbc-dataplane: ready'):
            self.ready = True

    def query(self, cmd, *args):
        """/sbc/<cmd> through sbcctl --json when given (with args: `sbcctl media CALL-ID`),
        else the telemetry socket itself."""
        if not self.sbcctl:
            if args:
                raise Skip(f'sbcctl {cmd} {" ".join(args)} needs --sbcctl')
            return super().query(f'/sbc/{cmd}')
        try:
            p = subprocess.run([self.sbcctl, '--file-prefix', self.prefix, '--json', cmd,
                                *args], capture_output=True, text=True, timeout=15)
        except subprocess.TimeoutExpired:
            raise HarnessError(f'sbcctl {cmd}: no answer within 15 s') from None
        if p.returncode != 0:
            raise HarnessError(f'sbcctl --file-prefix {self.prefix} --json {cmd}: exit '
                               f'{p.returncode}: {p.stderr.strip()}')
        try:
            return unwrap(json.loads(p.stdout))
        except json.JSONDecodeError as e:
            raise HarnessError(f'sbcctl --json {cmd}: not JSON ({e}): {p.stdout[:300]!r}') \
                from None

    def stop(self):
        """SIGTERM; returns the exit status (HarnessError when it does not exit)."""
        rc = super().stop(STOP_TIMEOUT_S)
        if rc is None:
            raise HarnessError(f'sbc-dataplane did not exit within {STOP_TIMEOUT_S} s of SIGTERM'
                               f':\n{self.log_tail(25)}\nthreads:\n'
                               f'{getattr(self, "stacks", "")}')
        return rc



def make_empty_pcap(path):
    write_pcap(path, [])


def discover_wire_mac(args):
    """The wire port's MAC (net_pcap makes it up): asked once from a data plane fed nothing,
    cached per binary (path, mtime, size) under the temp dir."""
    st = os.stat(args.dataplane)
    key = hashlib.sha1(f'{os.path.realpath(args.dataplane)}:{st.st_mtime_ns}:{st.st_size}'
                       .encode()).hexdigest()[:16]
    cache = os.path.join(tempfile.gettempdir(), f'sbcpkt-wire-mac-{key}.json')
    try:
        with open(cache) as f:
            mac = json.load(f)['mac']
        if re.fullmatch(r'([0-9a-f]{2}:){5}[0-9a-f]{2}', mac):
            return mac
    except (OSError, ValueError, KeyError, TypeError):
        pass
    wd = tempfile.mkdtemp(prefix='sbcpkt-mac-')
    prefix = f'sbcpkt-mac-{os.getpid()}'
    try:
        empty = os.path.join(wd, 'empty.pcap')
        make_empty_pcap(empty)
        conf = os.path.join(wd, 'sbc.conf')
        t = T('mac', '00:00:00:00:00:00')
        with open(conf, 'w') as f:
            f.write(t.config_text('/' + prefix))
        dp = DataPlane(args.dataplane, args.sbcctl, prefix, wd, conf, empty,
                       os.path.join(wd, 'w.pcap'), empty, os.path.join(wd, 'e.pcap'))
        try:
            dp.start()
            dp.wait_for(lambda: dp.ready, time.monotonic() + IDLE_TIMEOUT_S,
                        '"sbc-dataplane: ready" (wire MAC discovery)')
            mac = dp.query('ports')['wire']['mac'].lower()
            rc = dp.stop()
            if rc != 0:
                raise HarnessError(f'sbc-dataplane exited {rc} (wire MAC discovery):\n'
                                   f'{dp.log_tail()}')
        finally:
            dp.cleanup()
        tmpc = f'{cache}.{os.getpid()}'
        with open(tmpc, 'w') as f:
            json.dump({'mac': mac, 'dataplane': os.path.realpath(args.dataplane)}, f)
        os.replace(tmpc, cache)
        return mac
    finally:
        shutil.rmtree(wd, ignore_errors=True)


class Result:
    pass


def normalize_trunks(d):
    items = d.values() if isinstance(d, dict) else d
    return {t.get('name'): t for t in items if isinstance(t, dict)}


def run(t, args, wd):
    prefix = f'sbcpkt-{t.name[:40]}-{os.getpid()}'
    p = {k: os.path.join(wd, k + '.pcap') for k in ('wire_in', 'wire_out', 'exc_in', 'exc_out')}
    for k in ('wire_out', 'exc_out'):
        if os.path.exists(p[k]):
            os.unlink(p[k])
    write_pcap(p['wire_in'], t.wire_in, t.wire_times)
    write_pcap(p['exc_in'], t.exc_in, t.exc_times)
    conf = os.path.join(wd, 'sbc.conf')
    with open(conf, 'w') as f:
        f.write(t.config_text('/' + prefix))
    cmds = None
    if t.commands:
        cmds = os.path.join(wd, 'commands.bin')
        with open(cmds, 'wb') as f:
            f.write(b''.join(t.commands))
    dp = DataPlane(args.dataplane, args.sbcctl, prefix, wd, conf, p['wire_in'], p['wire_out'],
                   p['exc_in'], p['exc_out'], t.test_clock, cmds)
    res = Result()
    try:
        dp.start()
        deadline = time.monotonic() + IDLE_TIMEOUT_S
        seen = 0
        while True:
            # "idle" comes once each time the counters have not moved for IDLE_MS. A worker
            # starved that long (a loaded machine) says it before it has read every frame:
            # then the next idle period, whenever it comes, within the deadline
            try:
                dp.wait_for(lambda: dp.idle > seen, deadline, '"sbc-dataplane: idle"')
            except HarnessError:
                if not seen:
                    raise
                break       # idle, then nothing more: the counter checks say what is missing
            seen = dp.idle
            st = dp.query('stats')
            if st.get('rx', 0) >= len(t.wire_in) and st.get('exc_rx', 0) >= len(t.exc_in):
                break
        # a case whose counters move after the last frame (a timer on the real clock) says
        # when they are final; polled until then, within the same deadline
        while t.settle is not None and not t.settle(st) and time.monotonic() < deadline:
            time.sleep(0.05)
            st = dp.query('stats')
        res.stats = dp.query('stats')
        res.drops = dp.query('drops')
        res.trunks = normalize_trunks(dp.query('trunks'))
        res.ports = dp.query('ports')
        res.denied = dp.query('denied')
        if t.want_media:
            res.media = dp.query('media')
            res.neigh = dp.query('neigh')
            res.media_calls = {c: dp.query('media', c) for c in t.media_calls}
        rc = dp.stop()
        res.stdout = list(dp.lines)
        res.log_tail = dp.log_tail()
        if rc != 0:
            raise HarnessError(f'sbc-dataplane exited with status {rc} after SIGTERM (want 0):\n'
                               f'{dp.log_tail()}')
    finally:
        dp.cleanup()
    res.wire_out = read_pcap(p['wire_out'])
    res.exc_out = read_pcap(p['exc_out'])
    return res


# --------------------------------------------------------------------------------------------
# Checks

STAT_KEYS = ('rx', 'exc_rx', 'to_exception', 'to_wire', 'reject_sent', 'dropped')


def check_counters(t, res):
    errs = []
    st, dr = res.stats, res.drops
    missing = [k for k in STAT_KEYS if not isinstance(st.get(k), int)]
    if missing:
        return [f'/sbc/stats lacks {", ".join(missing)}: {json.dumps(st)[:400]}']
    lhs = st['rx'] + st['exc_rx']
    # fragments merged into a reassembled datagram beyond its first, and those still waiting
    # for the rest of theirs, end in no other counter
    frag = st.get('frags_absorbed', 0) + st.get('frags_pending', 0)
    relayed, asked = st.get('media_relayed', 0), st.get('neigh_asked', 0)
    held = st.get('media_held', 0)     # media waiting for its next hop's answer
    rhs = st['to_exception'] + st['to_wire'] + st['reject_sent'] + relayed + st['dropped'] + \
        frag + held
    if lhs != rhs:
        errs.append(f'invariant: rx + exc_rx = {st["rx"]} + {st["exc_rx"]} = {lhs}, but '
                    f'to_exception + to_wire + reject_sent + media_relayed + dropped + '
                    f'frags_absorbed + frags_pending + media_held = {st["to_exception"]} + '
                    f'{st["to_wire"]} + {st["reject_sent"]} + {relayed} + {st["dropped"]} + '
                    f'{frag} + {held} = {rhs}')
    nd = sum(v for v in dr.values() if isinstance(v, int))
    if st['dropped'] != nd:
        errs.append(f'invariant: stats.dropped = {st["dropped"]}, sum of /sbc/drops = {nd}')
    if st['rx'] != len(t.wire_in):
        errs.append(f'stats.rx: expected {len(t.wire_in)} (frames in wire_in.pcap), '
                    f'got {st["rx"]}')
    if st['exc_rx'] != len(t.exc_in):
        errs.append(f'stats.exc_rx: expected {len(t.exc_in)} (frames in exc_in.pcap), '
                    f'got {st["exc_rx"]}')
    if len(res.exc_out) != st['to_exception']:
        errs.append(f'exc_out.pcap holds {len(res.exc_out)} frames, stats.to_exception = '
                    f'{st["to_exception"]}')
    # the ARP requests / neighbour solicitations the data plane makes are not received frames
    if len(res.wire_out) != st['to_wire'] + st['reject_sent'] + relayed + asked:
        errs.append(f'wire_out.pcap holds {len(res.wire_out)} frames, stats.to_wire + '
                    f'reject_sent + media_relayed + neigh_asked = '
                    f'{st["to_wire"] + st["reject_sent"] + relayed + asked}')
    for k, v in t.stats.items():
        if st.get(k) != v:
            errs.append(f'stats.{k}: expected {v}, got {st.get(k)}')
    for k in t.drops:
        if k not in dr:
            errs.append(f'drop reason {k!r} is not on /sbc/drops (has: {", ".join(dr)})')
    for k, v in dr.items():
        if k in t.drops_free:
            continue
        want = t.drops.get(k, 0)
        if v != want:
            errs.append(f'drops.{k}: expected {want}{"" if k in t.drops else " (not named)"}, '
                        f'got {v}')
    for name, want in t.trunk_counts.items():
        got = res.trunks.get(name)
        if got is None:
            errs.append(f'trunk {name!r} not on /sbc/trunks '
                        f'(has: {", ".join(map(str, res.trunks))})')
            continue
        for k, v in want.items():
            if got.get(k) != v:
                errs.append(f'trunks.{name}.{k}: expected {v}, got {got.get(k)}')
    wm = (res.ports.get('wire') or {}).get('mac', '').lower()
    if wm and wm != t.wire_mac:
        errs.append(f'/sbc/ports says the wire MAC is {wm}, the frames were built for '
                    f'{t.wire_mac} (stale cache {tempfile.gettempdir()}/sbcpkt-wire-mac-*?)')
    return errs


def compare_port(port, want, got, ctx, unordered=False, limit=30):
    errs = []
    if unordered:
        free = list(range(len(got)))
        for i, w in enumerate(want):
            hit = None
            for j in free:
                ok = (not w.check(f'{port} output packet {j}', got[j], ctx)) \
                    if isinstance(w, Reply403) else w == got[j]
                if ok:
                    hit = j
                    break
            if hit is None:
                desc = w.describe() if isinstance(w, Reply403) else summary(w)
                errs.append(f'{port} output: expected packet {i} not found: {desc}')
            else:
                free.remove(hit)
        for j in free:
            errs.append(f'{port} output packet {j}: not expected: {summary(got[j])}')
    else:
        for i in range(max(len(want), len(got))):
            if i >= len(got):
                w = want[i]
                desc = w.describe() if isinstance(w, Reply403) else summary(w)
                errs.append(f'{port} output packet {i}: missing; expected {desc}')
            elif i >= len(want):
                errs.append(f'{port} output packet {i}: not expected: {summary(got[i])}')
            elif isinstance(want[i], Reply403):
                errs += want[i].check(f'{port} output packet {i}', got[i], ctx)
            else:
                errs += frame_diff(port, i, want[i], got[i])
    if len(want) != len(got):
        errs.insert(0, f'{port} output: expected {len(want)} packets, got {len(got)}')
    if len(errs) > limit:
        errs = errs[:limit] + [f'... {len(errs) - limit} more lines']
    return errs


def run_case(cd, args):
    if os.geteuid() != 0:
        raise Skip('not root: sbc-dataplane needs root for EAL (run the packet suite as root)')
    load_scapy()
    if not (os.path.isfile(args.dataplane) and os.access(args.dataplane, os.X_OK)):
        raise Skip(f'sbc-dataplane not found or not executable: {args.dataplane}')
    if args.sbcctl and not (os.path.isfile(args.sbcctl) and os.access(args.sbcctl, os.X_OK)):
        raise Skip(f'sbcctl not found or not executable: {args.sbcctl}')
    if cd.corpus and not os.path.isdir(corpus_dir()):
        raise RuntimeError(f'SIP corpus {corpus_dir()} is absent: the repository carries it in tests/data/sip')
    if not args.sbcctl:
        print('note: no --sbcctl given: reading the telemetry socket directly')

    mac = discover_wire_mac(args)
    if args.keep:
        if ',' in args.keep:
            raise HarnessError('--keep DIR: DPDK vdev arguments cannot hold a comma')
        wd = os.path.abspath(args.keep)
        os.makedirs(wd, exist_ok=True)
    else:
        wd = tempfile.mkdtemp(prefix=f'sbcpkt-{cd.name}-')
    try:
        t = T(cd.name, mac)
        t.tmp = wd
        cd.func(t)
        res = run(t, args, wd)
        errs = check_counters(t, res)
        if t.compare_outputs:
            errs += compare_port('exception', t.want_exc, res.exc_out, t)
            errs += compare_port('wire', t.want_wire, res.wire_out, t, t.wire_unordered)
        for chk in t.checks:
            errs += chk(t, res)
        return t, res, errs
    finally:
        if not args.keep:
            shutil.rmtree(wd, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# Building blocks the cases of several features share: reject mode, caps, in-dialog
# requests, fillers that push frames into later bursts, the BYEs that end every call.

def reject_case(t, **cfg):
    t.config(unlisted='reject', **cfg)


def dialog(inv, method, cseq=2, src=LISTED4, sport=5062, extra=()):
    """An in-dialog request of the caller's for the call INVITE inv started (To has a tag)."""
    _, h, _ = sip_split(inv)
    return request(method, src=src, sport=sport, frm=header_values(h, 'from')[0],
                   to=header_values(h, 'to')[0] + ';tag=sbc-b2bua-1',
                   call_id=header_values(h, 'call-id')[0], cseq=cseq, extra=extra, body=b'')


def caps(t, cps=0, burst=0, max_calls=0, over_limit=None, **sbc):
    opts = {'cps': cps, 'burst': burst, 'max_calls': max_calls}
    if over_limit:
        opts['over_limit'] = over_limit
    t.trunk_opts['carrier-a'] = opts
    t.config(**sbc)
    t.at(0)


def fill(t, n=32):
    """n listed OPTIONS: they pass untouched, and push later wire frames into later bursts."""
    for _ in range(n):
        f = t.udp(LISTED4, request('OPTIONS', src=LISTED4))
        t.rx(f)
        t.out_exc(f)
    return n


def end_all(t, invites, at):
    """A BYE for every admitted call, so the active gauge must be back at 0."""
    t.at(at)
    for inv in invites:
        f = t.udp(LISTED4, dialog(inv, 'BYE'))
        t.rx(f)
        t.out_exc(f)
