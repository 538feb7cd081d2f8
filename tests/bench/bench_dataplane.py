#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Data-plane throughput benchmark: one worker lcore, pre-built packets, next to testpmd.

Each case replays a pcap of a few hundred distinct frames endlessly into the wire port
(net_pcap, infinite_rx=1) of sbc-dataplane; the exception port is net_null (no rx, tx frees).
In the same run, `dpdk-testpmd --forward-mode=io` forwards the very same pcap on the very same
vdevs: the ceiling of what one core moves through these PMDs. Both programs get lcores 0,1 (main
+ one forwarding lcore) and are measured the same way: `/ethdev/stats,0` ipackets on the DPDK
telemetry socket, sampled after a warm-up and again some seconds later. sbc-dataplane's own
counters (/sbc/stats, /sbc/drops) are sampled alongside to check that the case did what it says
(e.g. all dropped as sip_unlisted).

Cases (issue: per worker core, pre-built packets):
  unlisted_flood   IPv4 INVITEs from unlisted sources, unlisted = drop          (target >= 0.8)
  listed           IPv4 INVITEs from listed sources -> exception port
  mixed_10k        IPv4/IPv6 INVITEs, half listed, 10,000 prefixes in the allowlists
  mixed_1m         the same with 1,000,000 prefixes
  reject_flood     the unlisted flood with unlisted = reject (403s rate-limited to reject_rate)

Runs alone on a 2-core machine (root, EAL); the python side pins itself to lcore 0. Prints the
table and writes it to --out. Exit status: 0 measured, 1 a run failed or a check did not hold,
77 cannot run here (not root, no scapy, no dpdk-testpmd).
"""

import argparse
import importlib.util
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

SKIP = 77

SBC4 = '192.0.2.10'         # RFC 5737
SBC6 = '2001:db8::10'       # RFC 3849
PEER_MAC = '00:00:5e:00:53:01'
SIP_PORT = 5060
N_TRUNKS = 4

# --------------------------------------------------------------------------------------------
# Allowlists. The prefixes of a set are spread over the address space (so the lookup of the
# distinct sources touches distinct table entries) yet clustered where they need tbl8 groups:
# IPv4 /24s one per "slot" of a stride, /32s 50 to a /24; IPv6 /48s one per slot inside
# 2400::/29, /64s 256 to a /56 inside 2400:ff::/32. Unlisted sources sit in the gaps between
# slots, so an unlisted lookup goes as deep as a listed one would next door. A million prefixes
# do not fit in the documentation ranges (RFC 5737 / 3849); only the SBC's own addresses use them.

V4_FIRST = 0x010000          # 1.0.0.0/24
V4_END = 0xE00000            # 224.0.0.0/24: stay unicast
V4_HOSTS_PER_24 = 50
V6_48_SPACE = 8 * 65536      # 2400:0000:0000::/48 .. 2400:0007:ffff::/48
V6_64_PER_56 = 256


class Allowlist:
    """n prefixes, 95 % IPv4 (1/16 of those /32s, the rest /24s), 5 % IPv6 (half /48s, half
    /64s); slot arithmetic gives listed and unlisted sources without storing sets.

    Why so few IPv6 prefixes: rte_fib6's trie reserves tbl8 groups for the worst case,
    (depth - max(24, covering prefix)) / 8 per byte-aligned prefix, so 3 per /48 and 5 per /64
    (shared groups not counted), and checks acl_v6_tbl8 against that reservation, not against
    what it really uses. 100k IPv6 prefixes half /64 would need 400k groups (400 MB a bank).
    """

    def __init__(self, n):
        self.n = n
        n4 = n * 19 // 20
        n6 = n - n4
        self.n4_32 = max(V4_HOSTS_PER_24, n4 // 16)
        self.n4_24 = n4 - self.n4_32
        self.groups4 = (self.n4_32 + V4_HOSTS_PER_24 - 1) // V4_HOSTS_PER_24
        self.slots4 = self.n4_24 + self.groups4
        self.stride4 = (V4_END - V4_FIRST) // self.slots4
        assert self.stride4 >= 2
        self.n6_48 = max(16, n6 // 2)
        self.n6_64 = n6 - self.n6_48
        self.stride6 = V6_48_SPACE // self.n6_48
        assert self.stride6 >= 2
        self.n6_56 = (self.n6_64 + V6_64_PER_56 - 1) // V6_64_PER_56

    def n_v4(self):
        return self.n4_24 + self.n4_32

    def n_v6(self):
        return self.n6_48 + self.n6_64

    @staticmethod
    def v4(a):
        return f'{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}'

    @staticmethod
    def v6_48(i, tail=''):
        """The i-th /48 of 2400:0::/29 as text, with an optional tail of further groups."""
        return f'2400:{i >> 16:x}:{i & 0xffff:x}:{tail or ":"}'

    def slot24(self, k):
        return V4_FIRST + k * self.stride4

    def prefixes(self):
        """Yield CIDR strings, all of them."""
        left = self.n4_32
        for g in range(self.groups4):
            base = self.slot24(g) << 8
            for h in range(1, min(V4_HOSTS_PER_24, left) + 1):
                yield f'{self.v4(base + h)}/32'
            left -= V4_HOSTS_PER_24
        for k in range(self.groups4, self.slots4):
            yield f'{self.v4(self.slot24(k) << 8)}/24'
        for i in range(self.n6_48):
            yield f'{self.v6_48(i * self.stride6)}/48'
        # /64s under 2400:ff::/32, outside the /48 space: 2400:ff:0:XXYY::/64, /56 by /56
        left = self.n6_64
        for s in range(self.n6_56):
            for j in range(min(V6_64_PER_56, left)):
                yield f'2400:ff:{s >> 8:x}:{(s & 255) << 8 | j:x}::/64'
            left -= V6_64_PER_56

    def listed4(self, rnd):
        k = rnd.randrange(self.slots4)
        if k < self.groups4:
            hosts = min(V4_HOSTS_PER_24, self.n4_32 - k * V4_HOSTS_PER_24)
            return self.v4((self.slot24(k) << 8) + rnd.randint(1, hosts))
        return self.v4((self.slot24(k) << 8) + rnd.randint(1, 254))

    def unlisted4(self, rnd):
        k = rnd.randrange(self.slots4)
        return self.v4(((self.slot24(k) + self.stride4 // 2) << 8) + rnd.randint(1, 254))

    def listed6(self, rnd):
        if rnd.randrange(self.n_v6()) < self.n6_48:
            i = rnd.randrange(self.n6_48) * self.stride6
            return self.v6_48(i, f'{rnd.randrange(65536):x}::{rnd.randrange(1, 65536):x}')
        s = rnd.randrange(self.n6_56)
        last = min(V6_64_PER_56, self.n6_64 - s * V6_64_PER_56)
        host = rnd.randrange(1, 65536)
        return f'2400:ff:{s >> 8:x}:{(s & 255) << 8 | rnd.randrange(last):x}::{host:x}'

    def unlisted6(self, rnd):
        i = rnd.randrange(self.n6_48) * self.stride6 + self.stride6 // 2
        return self.v6_48(i, f'{rnd.randrange(65536):x}::{rnd.randrange(1, 65536):x}')

    def table_config(self):
        """[dataplane] sizes with headroom (the acl needs room for a full replace)."""
        return {
            'acl_v4_rules': max(65536, self.n_v4() + self.n_v4() // 4),
            'acl_v4_tbl8': max(4096, 2 * self.groups4),
            'acl_v6_rules': max(16384, self.n_v6() + self.n_v6() // 4),
            # the trie's worst-case reservation (see above), with headroom
            'acl_v6_tbl8': max(8192, (3 * self.n6_48 + 5 * self.n6_64) * 11 // 10 + 1024),
        }

    def write_files(self, wd, tag):
        """peers_file per trunk (prefixes dealt round-robin): list of paths."""
        paths = [os.path.join(wd, f'peers-{tag}-{t}.txt') for t in range(N_TRUNKS)]
        files = [open(p, 'w') for p in paths]
        try:
            for f in files:
                f.write(f'# bench allowlist {tag}: {self.n} prefixes over {N_TRUNKS} trunks\n')
            for i, p in enumerate(self.prefixes()):
                files[i % N_TRUNKS].write(p + '\n')
        finally:
            for f in files:
                f.close()
        return paths


# --------------------------------------------------------------------------------------------
# Packets: SIP INVITEs of a realistic size (820-940 bytes on the wire), all distinct.

def invite(src, sport, n, rnd):
    v6 = ':' in src
    host = f'[{src}]' if v6 else src
    sbc = f'[{SBC6}]' if v6 else SBC4
    ipv = 'IP6' if v6 else 'IP4'
    callee = f'+1555{rnd.randrange(10**7):07d}'
    caller = f'+1202{n:07d}'
    sdp = (f'v=0\r\no=- {rnd.randrange(10**9)} 1 IN {ipv} {src}\r\ns=-\r\nc=IN {ipv} {src}\r\n'
           f't=0 0\r\nm=audio {rnd.randrange(16384, 32768) & ~1} RTP/AVP 0 8 101\r\n'
           'a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n'
           'a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\n'
           'a=sendrecv\r\n')
    hdr = (f'INVITE sip:{callee}@{sbc}:{SIP_PORT} SIP/2.0\r\n'
           f'Via: SIP/2.0/UDP {host}:{sport};branch=z9hG4bK{rnd.getrandbits(64):016x};rport\r\n'
           'Max-Forwards: 70\r\n'
           f'From: "Caller {n}" <sip:{caller}@{host}>;tag={rnd.getrandbits(40):010x}\r\n'
           f'To: <sip:{callee}@{sbc}>\r\n'
           f'Call-ID: {rnd.getrandbits(96):024x}@{host}\r\n'
           'CSeq: 1 INVITE\r\n'
           f'Contact: <sip:{caller}@{host}:{sport}>\r\n'
           'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, PRACK, REFER, NOTIFY\r\n'
           'Supported: timer, 100rel, replaces\r\n'
           'Session-Expires: 1800\r\n'
           'User-Agent: sbc-bench-uac/1.0\r\n'
           'Content-Type: application/sdp\r\n'
           f'Content-Length: {len(sdp)}\r\n\r\n')
    return (hdr + sdp).encode()


def frame(src, mac, n, rnd):
    from scapy.all import Ether, IP, IPv6, UDP, Raw
    sport = rnd.randrange(1024, 65536)
    l3 = IPv6(src=src, dst=SBC6, hlim=64) if ':' in src else IP(src=src, dst=SBC4, ttl=64)
    return bytes(Ether(dst=mac, src=PEER_MAC) / l3 / UDP(sport=sport, dport=SIP_PORT) /
                 Raw(invite(src, sport, n, rnd)))


def write_pcap(path, frames):
    from scapy.all import wrpcap, Ether
    wrpcap(path, [Ether(f) for f in frames])


def make_pcap(path, kind, acl, n, mac, seed):
    """kind: 'unlisted4', 'listed4' or 'mixed' (v4/v6 x listed/unlisted, a quarter each)."""
    rnd = random.Random(seed)
    frames = []
    for i in range(n):
        if kind == 'unlisted4':
            src = acl.unlisted4(rnd)
        elif kind == 'listed4':
            src = acl.listed4(rnd)
        else:
            v6, listed = i & 1, (i >> 1) & 1
            pick = [[acl.unlisted4, acl.listed4], [acl.unlisted6, acl.listed6]][v6][listed]
            src = pick(rnd)
        frames.append(frame(src, mac, i, rnd))
    write_pcap(path, frames)
    sizes = [len(f) for f in frames]
    return min(sizes), max(sizes), sum(sizes) / len(sizes)


# --------------------------------------------------------------------------------------------
# The DPDK program runner (start, telemetry, stop, cleanup), shared with the packet harness:
# tests/lib/sbc_dprun.py.

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sbc_dprun import Program, RunError, eal  # noqa: E402


def eal_args(prefix, pcap, args):
    return eal(prefix, [f'net_pcap0,rx_pcap={pcap},infinite_rx=1', 'net_null0,no-rx=1'],
               mem=args.mem, huge_dir=args.huge_dir, log_level='lib.eal:4')


def worker_thread(pid):
    """/proc/PID/task/TID of the forwarding lcore's thread (EAL names it after the lcore)."""
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            with open(f'/proc/{pid}/task/{tid}/comm') as f:
                comm = f.read().strip()
        except OSError:
            continue
        if comm.endswith('worker-1') or comm.endswith('worker1'):
            return f'/proc/{pid}/task/{tid}'
    return None


def thread_cpu(task):
    """(cpu seconds, involuntary context switches) of a thread so far."""
    with open(f'{task}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    secs = (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    nvcs = 0
    with open(f'{task}/status') as f:
        for line in f:
            if line.startswith('nonvoluntary_ctxt_switches'):
                nvcs = int(line.split()[1])
    return secs, nvcs


def measure(prog, args, sbc):
    """Start prog, wait until packets flow, warm up, sample. Returns a result dict."""
    res = {}
    prog.start()
    try:
        deadline = time.monotonic() + args.start_timeout
        t_start = time.monotonic()
        tel = prog.connect(deadline)
        while True:     # forwarding has started once the wire port counts packets
            if prog.proc.poll() is not None:
                raise RunError(f'{prog.name} exited {prog.proc.returncode}:\n{prog.log_tail()}')
            st = tel.query('/ethdev/stats,0')    # null until the port exists
            if isinstance(st, dict) and st.get('ipackets', 0) > 0:
                break
            if time.monotonic() > deadline:
                raise RunError(f'{prog.name}: no packets received within {args.start_timeout} s:'
                               f'\n{prog.log_tail()}')
            time.sleep(0.05)
        res['ready_s'] = time.monotonic() - t_start
        time.sleep(args.warmup)
        task = worker_thread(prog.proc.pid)

        def sample():
            t0 = time.monotonic()
            st = tel.query('/ethdev/stats,0')
            t1 = time.monotonic()
            s = {'t': (t0 + t1) / 2, 'ipackets': st['ipackets'], 'imissed': st.get('imissed', 0)}
            if task:
                s['cpu'], s['nvcs'] = thread_cpu(task)
            if sbc:
                s['sbc'] = tel.query('/sbc/stats')
                s['drops'] = tel.query('/sbc/drops')
            return s

        samples = [sample()]
        for _ in range(args.seconds):
            time.sleep(max(0.0, samples[0]['t'] + len(samples) - time.monotonic()))
            samples.append(sample())
        if sbc:
            res['ports'] = tel.query('/sbc/ports')
        tel.close()
        a, b = samples[0], samples[-1]
        res['mpps'] = (b['ipackets'] - a['ipackets']) / (b['t'] - a['t']) / 1e6
        res['per_s'] = [(y['ipackets'] - x['ipackets']) / (y['t'] - x['t']) / 1e6
                        for x, y in zip(samples, samples[1:])]
        # share of the interval the forwarding thread was on its cpu (another busy process on
        # lcore 1 shows here), and how often it was preempted
        res['cpu_share'] = (b['cpu'] - a['cpu']) / (b['t'] - a['t']) if task else None
        res['preempted'] = b['nvcs'] - a['nvcs'] if task else None
        if sbc:
            res['d_sbc'] = {k: b['sbc'][k] - a['sbc'][k] for k in
                            ('rx', 'exc_rx', 'to_exception', 'to_wire', 'reject_sent', 'dropped')}
            res['d_drops'] = {k: b['drops'][k] - a['drops'][k] for k in b['drops']
                              if b['drops'][k] != a['drops'][k]}
            res['d_ipackets'] = b['ipackets'] - a['ipackets']
            res['admit'] = (b['sbc'].get('admit_cycles', 0), b['sbc'].get('admit_count', 0),
                            b['sbc'].get('tsc_hz', 0))
    finally:
        prog.stop()
        prog.cleanup()
    return res


# --------------------------------------------------------------------------------------------
# The cases.

def sbc_config(path, channel, acl, peer_files, unlisted, mbufs, trunk_extra=None):
    t = acl.table_config()
    lines = ['[sbc]', f'address = {SBC4}', f'address6 = {SBC6}', f'sip_port = {SIP_PORT}',
             f'unlisted = {unlisted}', 'reject_rate = 100', '',
             '[dataplane]', 'wire = net_pcap0', 'exception = net_null0', 'workers = 1',
             f'channel = {channel}', f'mbufs = {mbufs}']
    lines += [f'{k} = {v}' for k, v in t.items()]
    for i, p in enumerate(peer_files):
        lines += ['', f'[trunk bench-{i}]', f'peers_file = {p}']
        lines += [f'{k} = {v}' for k, v in (trunk_extra or {}).items()]
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


# name, pcap, allowlist, unlisted mode, check(d_sbc, d_drops, rx) -> error or None
def frac(x, rx):
    return x / rx if rx else 0.0


def check_drop(reason):
    def chk(d, drops, rx):
        if frac(drops.get(reason, 0), rx) < 0.999:
            return f'expected all rx dropped as {reason}, got {drops} of rx {rx}'
        return None
    return chk


def check_exception(share):
    def chk(d, drops, rx):
        got = frac(d['to_exception'], rx)
        if abs(got - share) > 0.01:
            return f'expected {share:.0%} to the exception port, got {got:.1%} ({d}, {drops})'
        if share < 1 and abs(frac(drops.get('sip_unlisted', 0), rx) - (1 - share)) > 0.01:
            return f'expected {1 - share:.0%} dropped as sip_unlisted, got {drops}'
        return None
    return chk


def check_reject(d, drops, rx):
    got = d['reject_sent'] + drops.get('reject_ratelimited', 0)
    if frac(got, rx) < 0.999:
        return f'expected reject_sent + reject_ratelimited == rx ({rx}), got {d}, {drops}'
    return None


def check_refused(reason):
    """INVITEs over their trunk's cap: a 503 each (reason None) or dropped as reason. The few
    admitted (1 a second a trunk) pass again each time the pcap comes round (retransmissions
    of a running call): refused + passed == rx, and refused the bulk of it."""
    def chk(d, drops, rx):
        got = d['reject_sent'] if reason is None else drops.get(reason, 0)
        # (stats and drops are two queries a moment apart: allow that moment's packets)
        if abs(got + d['to_exception'] - rx) > rx // 1000 or frac(got, rx) < 0.9:
            return f'expected rx refused ({reason or "503"}) but for admitted calls, got {d}, {drops}'
        return None
    return chk


CAPPED = {'cps': 1, 'burst': 1}

CASES = [
    # name, pcap, list, unlisted, check, description[, trunk options]
    ('unlisted_flood', 'unlisted4', '10k', 'drop', check_drop('sip_unlisted'),
     'IPv4 INVITEs, unlisted sources, dropped (sip_unlisted)'),
    ('listed', 'listed4', '10k', 'drop', check_exception(1.0),
     'IPv4 INVITEs, listed sources, to the exception port'),
    ('mixed_10k', 'mixed10k', '10k', 'drop', check_exception(0.5),
     'IPv4+IPv6, half listed, 10,000 prefixes'),
    ('mixed_1m', 'mixed1m', '1m', 'drop', check_exception(0.5),
     'IPv4+IPv6, half listed, 1,000,000 prefixes'),
    ('reject_flood', 'unlisted4', '10k', 'reject', check_reject,
     'the unlisted flood, unlisted = reject (403 at 100/s)'),
    ('over_cap_503', 'listed4', '10k', 'drop', check_refused(None),
     'listed INVITEs over their trunk\'s cap (cps 1): 503 + Retry-After each',
     dict(CAPPED, over_limit='reject')),
    ('over_cap_drop', 'listed4', '10k', 'drop', check_refused('over_cps'),
     'the same, over_limit = drop', dict(CAPPED, over_limit='drop')),
]


def fmt_spread(vals):
    return f'{min(vals):.2f}-{max(vals):.2f}' if len(vals) > 1 else '-'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--dataplane', required=True)
    ap.add_argument('--testpmd', default=shutil.which('dpdk-testpmd') or '/usr/bin/dpdk-testpmd')
    ap.add_argument('--out', help='also write the table here')
    ap.add_argument('--rounds', type=int, default=3, help='runs of every program (median kept)')
    ap.add_argument('--seconds', type=int, default=2, help='measured interval')
    ap.add_argument('--warmup', type=float, default=1.0)
    ap.add_argument('--packets', type=int, default=512, help='distinct frames per pcap')
    ap.add_argument('--cases', default=','.join(c[0] for c in CASES))
    ap.add_argument('--mem', type=int, default=2048, help='EAL -m (MB)')
    ap.add_argument('--huge-dir', help='hugetlbfs mount to use instead of --no-huge')
    ap.add_argument('--start-timeout', type=float, default=90)
    ap.add_argument('--keep', help='work directory to keep (pcaps, configs, logs)')
    ap.add_argument('--target', type=float, default=0.8, help='unlisted_flood ratio target')
    args = ap.parse_args()

    if os.geteuid() != 0:
        print('bench_dataplane: needs root (DPDK EAL); skipped')
        return SKIP
    if importlib.util.find_spec('scapy') is None:
        print('bench_dataplane: python3-scapy missing; skipped')
        return SKIP
    if not os.access(args.testpmd, os.X_OK):
        print(f'bench_dataplane: {args.testpmd} missing (dpdk package); skipped')
        return SKIP
    wanted = args.cases.split(',')
    cases = [c for c in CASES if c[0] in wanted]
    if len(cases) != len(wanted):
        print(f'bench_dataplane: unknown case in {args.cases}; known: '
              f'{", ".join(c[0] for c in CASES)}', file=sys.stderr)
        return 2

    # the sampler stays off the forwarding lcore
    os.sched_setaffinity(0, {0})
    wd = args.keep or tempfile.mkdtemp(prefix='sbc-bench-')
    os.makedirs(wd, exist_ok=True)
    tag = f'sbcbench{os.getpid()}'
    t_start = time.monotonic()
    rc = 0
    try:
        mac = '02:70:63:61:70:00'     # net_pcap0's MAC; checked on /sbc/ports at each run
        lists = {'10k': Allowlist(10000), '1m': Allowlist(1000000)}
        peer_files = {}
        for k in sorted({c[2] for c in cases}):
            peer_files[k] = lists[k].write_files(wd, k)
        pcaps, sizes = {}, {}
        for seed, (kind, lst) in enumerate([('unlisted4', '10k'), ('listed4', '10k'),
                                            ('mixed10k', '10k'), ('mixed1m', '1m')]):
            if any(c[1] == kind for c in cases):
                path = os.path.join(wd, f'{kind}.pcap')
                n = args.packets * 2 if kind.startswith('mixed') else args.packets
                sizes[kind] = make_pcap(path, 'mixed' if kind.startswith('mixed') else kind,
                                        lists[lst], n, mac, seed=seed)
                pcaps[kind] = path
        confs = {}
        for c in cases:
            conf = os.path.join(wd, f'{c[0]}.conf')
            sbc_config(conf, f'/{tag}-{c[0]}', lists[c[2]], peer_files[c[2]], c[3],
                       mbufs=16383, trunk_extra=c[6] if len(c) > 6 else None)
            confs[c[0]] = conf
        print(f'bench_dataplane: pcaps and allowlists ready in {time.monotonic() - t_start:.1f} s '
              f'({wd})', flush=True)

        ref = {k: [] for k in pcaps}        # testpmd Mpps per round, per pcap
        got = {c[0]: [] for c in cases}     # sbc Mpps per round
        rat = {c[0]: [] for c in cases}     # sbc / testpmd of the same round
        shares, preempted, load_s = [], 0, {}
        admit_cost = []                     # (cycles, admitted calls, tsc hz) per listed run
        notes = {}
        run = 0

        def show(res):
            sh = '' if res['cpu_share'] is None else \
                f', lcore 1 thread on cpu {100 * res["cpu_share"]:.0f} %'
            return f'per s: {", ".join(f"{x:.2f}" for x in res["per_s"])}{sh}'

        def account(res):
            nonlocal preempted
            if res['cpu_share'] is not None:
                shares.append(res['cpu_share'])
                preempted += res['preempted']

        for r in range(args.rounds):
            for kind in pcaps:
                run += 1
                prefix = f'{tag}-{run}'
                cmd = [args.testpmd, *eal_args(prefix, pcaps[kind], args), '--',
                       '--forward-mode=io', '--nb-cores=1', '--no-mlockall', '--txd=1024',
                       '--rxd=1024', '--burst=32']
                res = measure(Program('dpdk-testpmd', cmd, prefix, wd, True), args, False)
                ref[kind].append(res['mpps'])
                account(res)
                print(f'  round {r + 1}: testpmd io  {kind:14s} {res["mpps"]:6.2f} Mpps '
                      f'({show(res)})', flush=True)
                for c in cases:
                    if c[1] != kind:
                        continue
                    run += 1
                    prefix = f'{tag}-{run}'
                    cmd = [args.dataplane, *eal_args(prefix, pcaps[kind], args), '--',
                           '-c', confs[c[0]]]
                    prog = Program('sbc-dataplane', cmd, prefix, wd, False,
                                   shm=f'/{tag}-{c[0]}')
                    res = measure(prog, args, True)
                    load_s[c[0]] = res['ready_s']
                    wmac = res['ports']['wire']['mac'].lower()
                    if wmac != mac:
                        raise RunError(f'wire MAC is {wmac}, the pcaps were built for {mac}')
                    d, drops, rx = res['d_sbc'], res['d_drops'], res['d_sbc']['rx']
                    if abs(rx - res['d_ipackets']) > max(1000, rx // 100):
                        notes[c[0]] = (f'/sbc/stats rx {rx} vs ethdev ipackets '
                                       f'{res["d_ipackets"]} in the interval')
                    err = c[4](d, drops, rx)
                    if err:
                        notes[c[0]] = err
                        rc = 1
                    got[c[0]].append(res['mpps'])
                    rat[c[0]].append(res['mpps'] / ref[kind][-1])
                    if c[0] == 'listed' and res['admit'][1]:
                        admit_cost.append(res['admit'])
                    account(res)
                    print(f'  round {r + 1}: sbc         {c[0]:14s} {res["mpps"]:6.2f} Mpps '
                          f'({show(res)}; ratio {rat[c[0]][-1]:.3f}; up in '
                          f'{res["ready_s"]:.1f} s) {drops}', flush=True)

        # the table
        load = os.getloadavg()
        lines = [f'sbc-dataplane vs dpdk-testpmd --forward-mode=io, 1 forwarding lcore '
                 f'({os.uname().nodename}, {cpu_model()}, {os.cpu_count()} cpus), '
                 f'{time.strftime("%Y-%m-%d %H:%M:%S")}',
                 '',
                 f'| {"case":14s} | sbc Mpps | testpmd io Mpps | ratio | ratio min-max | '
                 f'sbc min-max | testpmd min-max | what |',
                 f'|{"-" * 16}|---------:|----------------:|------:|---------------|'
                 f'-------------|-----------------|------|']
        ratios = {}
        for c in cases:
            s, t = statistics.median(got[c[0]]), statistics.median(ref[c[1]])
            ratios[c[0]] = statistics.median(rat[c[0]])
            lines.append(f'| {c[0]:14s} | {s:8.2f} | {t:15.2f} | {ratios[c[0]]:5.2f} | '
                         f'{fmt_spread(rat[c[0]]):13s} | {fmt_spread(got[c[0]]):11s} | '
                         f'{fmt_spread(ref[c[1]]):15s} | {c[5]} |')
        lines.append('')
        if admit_cost:
            cyc = sum(a[0] for a in admit_cost) / sum(a[1] for a in admit_cost)
            lines.append(f'Cycles per admitted INVITE (scan, caps, call table, event; measured '
                         f'in the worker with rdtsc over {sum(a[1] for a in admit_cost)} new calls '
                         f'of the listed runs): {cyc:.0f} cycles = '
                         f'{cyc / admit_cost[0][2] * 1e9:.0f} ns at {admit_cost[0][2] / 1e9:.2f} GHz')
            lines.append('')
        psz = ', '.join(f'{k} {v[0]}-{v[1]} B (avg {v[2]:.0f})' for k, v in sizes.items())
        lines += [
            'How: each program runs alone with EAL -l 0,1 (main lcore 0, one forwarding lcore 1), '
            + (f'hugepages ({args.huge_dir})' if args.huge_dir else '--no-huge')
            + f' -m {args.mem}, --no-pci,',
            '  --vdev net_pcap0,rx_pcap=CASE.pcap,infinite_rx=1 (wire, port 0) --vdev '
            'net_null0,no-rx=1 (exception port / io peer).',
            f'  Rate = delta of /ethdev/stats,0 ipackets on the DPDK telemetry socket over '
            f'{args.seconds} s after a {args.warmup:g} s warm-up, same for both programs.',
            f'  {args.rounds} rounds; each round runs testpmd, then sbc-dataplane, on the same '
            'pcap; ratio = median over rounds of sbc / testpmd of the same round;',
            '  Mpps columns: medians. testpmd: --forward-mode=io --nb-cores=1 --burst=32 '
            '--rxd/--txd=1024.',
            f'  pcaps: {args.packets} distinct frames (mixed: {2 * args.packets}), SIP INVITE '
            f'over UDP; {psz}.',
            f'  Allowlists over {N_TRUNKS} trunks via peers_file: 10k = '
            f'{lists["10k"].n_v4()} IPv4 + {lists["10k"].n_v6()} IPv6, 1m = '
            f'{lists["1m"].n_v4()} IPv4 ({lists["1m"].n4_24} /24 + {lists["1m"].n4_32} /32) + '
            f'{lists["1m"].n_v6()} IPv6 ({lists["1m"].n6_48} /48 + {lists["1m"].n6_64} /64)'
            + (f'; sbc-dataplane up in {load_s["mixed_1m"]:.1f} s with 1m.' if 'mixed_1m' in
               load_s else '.'),
        ]
        if shares:
            lines.append(f'  Forwarding thread on its cpu: min {100 * min(shares):.1f} % of the '
                         f'measured intervals, {preempted} involuntary switches in all; '
                         f'load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; '
                         f'whole run {time.monotonic() - t_start:.0f} s.')
            if min(shares) < 0.97:
                lines.append('  WARNING: something else ran on lcore 1 during a measurement; '
                             'figures are low and noisy.')
        if 'unlisted_flood' in ratios:
            ok = ratios['unlisted_flood'] >= args.target
            lines.append(f'Target unlisted_flood >= {args.target:g} x testpmd io: '
                         f'{"met" if ok else "MISSED"} ({ratios["unlisted_flood"]:.2f}).')
        for k in ('over_cap_503', 'over_cap_drop'):
            if k in got:
                v = statistics.median(got[k])
                lines.append(f'Target {k} >= 5 Mpps per worker core: '
                             f'{"met" if v >= 5 else "MISSED"} ({v:.2f} Mpps; unlisted_flood '
                             f'in the same run: {statistics.median(got.get("unlisted_flood", [0])):.2f}).')
        for k, v in notes.items():
            lines.append(f'NOTE {k}: {v}')
        text = '\n'.join(lines) + '\n'
        print()
        print(text, end='')
        if args.out:
            os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
            with open(args.out, 'w') as f:
                f.write(text)
    except (RunError, OSError, KeyError, ValueError) as e:
        print(f'bench_dataplane: {type(e).__name__}: {e}', file=sys.stderr)
        rc = 1
    finally:
        if not args.keep:
            shutil.rmtree(wd, ignore_errors=True)
    return rc


def cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return 'unknown cpu'


if __name__ == '__main__':
    sys.exit(main())
