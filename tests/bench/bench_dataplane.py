#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Data-plane throughput benchmark: one worker lcore, pre-built packets, next to testpmd.

Each case replays a pcap of a few hundred distinct frames endlessly into the wire port
(net_pcap, infinite_rx=1) of sbc-dataplane; the exception port is net_null (no rx, tx frees).
In the same run, `dpdk-testpmd` moves the very same pcap on the very same vdevs in two modes,
the two ceilings a case is held to: `--forward-mode=rxonly` (receive and free: the ceiling of a
case that drops) and `--forward-mode=io` (receive and transmit: the ceiling of a case that
passes packets on or answers them). All programs get lcores 0,1 (main + one forwarding lcore)
and are measured the same way: `/ethdev/stats,0` ipackets on the DPDK telemetry socket, sampled
after a warm-up and again some seconds later; rounds alternate testpmd rxonly, testpmd io and
the sbc cases of each pcap, and medians are kept. sbc-dataplane's own counters (/sbc/stats,
/sbc/drops) are sampled alongside to check that the case did what it says.

Cases (issue 9: per worker core, pre-built packets):
  unlisted_flood   IPv4 INVITEs from unlisted sources, unlisted = drop     rxonly (target >= 0.9)
  listed_passed    IPv4 OPTIONS and in-dialog requests (no CPS token) from listed sources
                   -> exception port                                      io (target >= 4 Mpps)
  listed           IPv4 INVITEs from listed sources (each a running call's retransmission)
                   -> exception port                                      io
  mixed_10k        IPv4/IPv6 INVITEs, half listed, 10,000 prefixes         io
  mixed_1m         the same with 1,000,000 prefixes                        io
  reject_flood     the unlisted flood with unlisted = reject (403s at reject_rate, the rest
                   dropped)                                                rxonly
  over_cap_503     listed INVITEs over their trunk's CPS cap: 503 each     io
  over_cap_drop    the same with over_limit = drop                         rxonly

With perf (Debian linux-perf) available, the worker thread of chosen cases (and testpmd rxonly
for reference) is sampled with `perf record -e cpu-clock` after the rounds, in runs of their
own (the measured rounds run without it), and the top symbols are printed; for listed_passed
the samples are also split into rx, parse/allowlist, scan, admission and tx, as cycles per
packet (perf attribution by symbol).

Runs alone on a 2-core machine (root, EAL); the python side pins itself to lcore 0. Prints the
table and writes it to --out. Exit status: 0 measured, 1 a run failed or a check did not hold,
77 cannot run here (not root, no scapy, no dpdk-testpmd).
"""

import argparse
import contextlib
import importlib.util
import os
import random
import shutil
import signal
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


# Requests that take no CPS token: OPTIONS (keepalives) and requests inside a dialog (To tag).
PASSED_METHODS = ['OPTIONS', 'OPTIONS', 'ACK', 'BYE', 'INFO', 'UPDATE', 'INVITE', 'NOTIFY']


def passed_request(src, sport, n, rnd):
    v6 = ':' in src
    host = f'[{src}]' if v6 else src
    sbc = f'[{SBC6}]' if v6 else SBC4
    method = PASSED_METHODS[n % len(PASSED_METHODS)]
    user = f'+1555{rnd.randrange(10**7):07d}'
    to = f'<sip:{user}@{sbc}>'
    if method != 'OPTIONS':
        to += f';tag={rnd.getrandbits(40):010x}'
    body = ''
    if method == 'INFO':
        body = 'Signal=5\r\nDuration=160\r\n'
    elif method == 'INVITE':       # a re-INVITE: hold
        body = (f'v=0\r\no=- {rnd.randrange(10**9)} 2 IN IP4 {src}\r\ns=-\r\n'
                f'c=IN IP4 {src}\r\nt=0 0\r\nm=audio {rnd.randrange(16384, 32768) & ~1} '
                'RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=sendonly\r\n')
    ctype = {'INFO': 'application/dtmf-relay', 'INVITE': 'application/sdp'}.get(method)
    hdr = (f'{method} sip:{user}@{sbc}:{SIP_PORT} SIP/2.0\r\n'
           f'Via: SIP/2.0/UDP {host}:{sport};branch=z9hG4bK{rnd.getrandbits(64):016x};rport\r\n'
           'Max-Forwards: 70\r\n'
           f'From: <sip:+1202{n:07d}@{host}>;tag={rnd.getrandbits(40):010x}\r\n'
           f'To: {to}\r\n'
           f'Call-ID: {rnd.getrandbits(96):024x}@{host}\r\n'
           f'CSeq: {rnd.randrange(1, 1000)} {method}\r\n'
           f'Contact: <sip:+1202{n:07d}@{host}:{sport}>\r\n'
           'User-Agent: sbc-bench-uac/1.0\r\n'
           + (f'Content-Type: {ctype}\r\n' if ctype else '')
           + f'Content-Length: {len(body)}\r\n\r\n')
    return (hdr + body).encode()


def frame(src, mac, n, rnd, payload=invite):
    from scapy.all import Ether, IP, IPv6, UDP, Raw
    sport = rnd.randrange(1024, 65536)
    l3 = IPv6(src=src, dst=SBC6, hlim=64) if ':' in src else IP(src=src, dst=SBC4, ttl=64)
    return bytes(Ether(dst=mac, src=PEER_MAC) / l3 / UDP(sport=sport, dport=SIP_PORT) /
                 Raw(payload(src, sport, n, rnd)))


def write_pcap(path, frames):
    from scapy.all import wrpcap, Ether
    wrpcap(path, [Ether(f) for f in frames])


def make_pcap(path, kind, acl, n, mac, seed):
    """kind: 'unlisted4', 'listed4', 'passed4' (OPTIONS and in-dialog requests from listed
    sources) or 'mixed' (v4/v6 x listed/unlisted, a quarter each)."""
    rnd = random.Random(seed)
    frames = []
    for i in range(n):
        payload = invite
        if kind == 'unlisted4':
            src = acl.unlisted4(rnd)
        elif kind == 'listed4':
            src = acl.listed4(rnd)
        elif kind == 'passed4':
            src, payload = acl.listed4(rnd), passed_request
        else:
            v6, listed = i & 1, (i >> 1) & 1
            pick = [[acl.unlisted4, acl.listed4], [acl.unlisted6, acl.listed6]][v6][listed]
            src = pick(rnd)
        frames.append(frame(src, mac, i, rnd, payload))
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
    """(cpu seconds, involuntary context switches) of a thread so far: schedstat's time on
    the cpu (ns), else utime + stime (clock ticks)."""
    try:
        with open(f'{task}/schedstat') as f:
            secs = int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
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
    """measure_once, again (up to twice more) when the forwarding thread got less than a
    tenth of its cpu in the interval: too little time on the cpu to measure anything."""
    for _ in range(2):
        res = measure_once(prog, args, sbc)
        if res['cpu_share'] is None or res['cpu_share'] >= 0.1:
            return res
        print(f'  ({prog.name}: forwarding thread on its cpu {100 * res["cpu_share"]:.0f} % '
              'only; again)', flush=True)
    return measure_once(prog, args, sbc)


def connect_flowing(prog, args, deadline):
    """prog's telemetry, once forwarding has started: its wire port counts packets (the stats
    are null until the port exists). RunError when it exits or nothing comes by deadline."""
    tel = prog.connect(deadline)
    while True:
        if prog.proc.poll() is not None:
            raise RunError(f'{prog.name} exited {prog.proc.returncode}:\n{prog.log_tail()}')
        st = tel.query('/ethdev/stats,0')
        if isinstance(st, dict) and st.get('ipackets', 0) > 0:
            return tel
        if time.monotonic() > deadline:
            raise RunError(f'{prog.name}: no packets received within {args.start_timeout} s:'
                           f'\n{prog.log_tail()}')
        time.sleep(0.05)


RR_SLICE_MS = 20
RR_SLICE = '/proc/sys/kernel/sched_rr_timeslice_ms'


@contextlib.contextmanager
def side_by_side(args, progs):
    """progs started, each forwarding on its own lcore 1 (the same cpu) once packets flow and
    the warm-up is over: yields their telemetry connections and forwarding threads (/proc
    tasks); stopped and cleaned up after."""
    for p in progs:
        p.start()
    try:
        deadline = time.monotonic() + args.start_timeout
        tels = [connect_flowing(p, args, deadline) for p in progs]
        time.sleep(args.warmup)
        tasks = [worker_thread(p.proc.pid) for p in progs]
        if None in tasks:
            raise RunError('side by side: a forwarding thread not found')
        try:
            yield tels, tasks
        finally:
            for tel in tels:
                tel.close()
    finally:
        for p in progs:
            if p.proc is not None and p.proc.poll() is None:
                os.kill(p.proc.pid, signal.SIGCONT)
            p.stop()
            p.cleanup()


def forwarded(tel, task):
    """(ipackets, the forwarding thread's cpu seconds, time.monotonic()) now."""
    return tel.query('/ethdev/stats,0')['ipackets'], thread_cpu(task)[0], time.monotonic()


def same_seconds(args, progs, seconds):
    """Run progs at the same time, each on its own lcore 1 (the same cpu), their forwarding
    threads SCHED_RR at one priority with a 20 ms time slice: they take turns, so every second
    each of them runs under the same state of the host, whose other tenants slow a program by
    up to a third for seconds at a time (the rounds above measure one program after the other,
    seconds apart). Returns, for each program, its Mpps per core-second in each second (its
    ipackets over its thread's time on the cpu in that second) and the share of the cpu it had.
    Each finds the caches holding the other's data after a turn, a program with more state in
    them (the SBC's tables) more than testpmd: a ratio measured so errs against the SBC. Longer
    turns refill less often (with four programs at once, a build without the allowlist lookup
    gained 6 % over one with it under the scheduler's own sub-millisecond slices, 4 % with
    20 ms turns, 1 % with 100 ms ones, where the seconds are too few turns to agree); the time
    slice is set for the step and put back. alternate() takes turns of a second."""
    old_slice = None
    try:
        with open(RR_SLICE) as f:
            old_slice = f.read().strip()
        with open(RR_SLICE, 'w') as f:
            f.write(str(RR_SLICE_MS))
    except OSError:
        old_slice = None
    try:
        with side_by_side(args, progs) as (tels, tasks):
            for t in tasks:
                os.sched_setscheduler(int(t.rsplit('/', 1)[1]), os.SCHED_RR, os.sched_param(1))
            rates, shares = [[] for _ in progs], [[] for _ in progs]
            prev = [forwarded(tel, t) for tel, t in zip(tels, tasks)]
            for _ in range(seconds):
                time.sleep(max(0.0, prev[0][2] + 1.0 - time.monotonic()))
                cur = [forwarded(tel, t) for tel, t in zip(tels, tasks)]
                for k, (c, q) in enumerate(zip(cur, prev)):
                    if c[1] > q[1]:
                        rates[k].append((c[0] - q[0]) / (c[1] - q[1]) / 1e6)
                        shares[k].append((c[1] - q[1]) / (c[2] - q[2]))
                prev = cur
            return rates, shares
    finally:
        if old_slice is not None:
            with open(RR_SLICE, 'w') as f:
                f.write(old_slice)


def alternate(args, progs, turns, turn_s=1.0):
    """progs on the same cpu (each on its lcore 1), one at a time: the others stopped
    (SIGSTOP) while one forwards for turn_s seconds, then the next, turns times round. Returns,
    for each program, its Mpps per core-second in each of its turns (ipackets over its
    forwarding thread's time on the cpu, from the moment it is woken: what it spends
    refilling the caches the others left is counted). Programs next to each other in a round
    run within turn_s seconds of each other, under nearly the same state of the host, and
    unlike same_seconds' 20 ms turns a turn of a second refills the caches about once (a
    working set of megabytes: a millisecond or so), as a worker with a core of its own
    never has to."""
    with side_by_side(args, progs) as (tels, tasks):
        pids = [p.proc.pid for p in progs]
        for pid in pids[1:]:
            os.kill(pid, signal.SIGSTOP)
        rates = [[] for _ in progs]
        on = 0
        for _ in range(turns):
            for k, (tel, task) in enumerate(zip(tels, tasks)):
                if k != on:
                    os.kill(pids[on], signal.SIGSTOP)
                    os.kill(pids[k], signal.SIGCONT)
                    on = k
                a = forwarded(tel, task)
                time.sleep(turn_s)
                b = forwarded(tel, task)
                if b[1] > a[1]:
                    rates[k].append((b[0] - a[0]) / (b[1] - a[1]) / 1e6)
        return rates


def ratios(ref, sbc):
    """sbc's rates over ref's, interval by interval (same_seconds', alternate's), where ref
    forwarded anything."""
    return [b / a for a, b in zip(ref, sbc) if a > 0]


def side_by_side_lines(args, cases, pcaps, confs, wd, tag, turns):
    """Each case beside its ceiling (testpmd in the case's mode on the same pcap): at the same
    time (same_seconds; turns 0) or in turns of a second (alternate): the ratio of each second
    or turn, then their median, least and greatest."""
    med = statistics.median
    if turns:
        lines = ['', f'Turns of a second ({turns} each, after the rounds): testpmd in the case\'s '
                 'ceiling mode, then sbc-dataplane, each alone on lcore 1 while the other is '
                 'stopped (SIGSTOP), turn after turn; each turn sbc\'s Mpps per core-second over '
                 'testpmd\'s in the turn before it (a second apart; the caches refilled once a '
                 'turn):']
    else:
        lines = ['', f'Same seconds ({args.same_seconds} s each, after the rounds): sbc-dataplane '
                 'and testpmd in the case\'s ceiling mode run at once on lcore 1, taking turns of '
                 f'{RR_SLICE_MS} ms (SCHED_RR); each second, sbc\'s Mpps per core-second over '
                 'testpmd\'s in the same second (both under the same state of the host; the '
                 'rounds above measure them seconds apart; the turns cost sbc some cache '
                 'refills, so this errs against it):']
    if args.baseline:
        lines[-1] += (f' The baseline build ({args.baseline}) takes its turns beside them, '
                      'and this build\'s rate over its own is given for the same seconds or '
                      'turns.')
    how = 'in turns of a second' if turns else 'in the same seconds'
    unit = 'turns' if turns else 'seconds'
    for c in cases:
        prefix = f'{tag}-{"alt" if turns else "same"}-{c.name}'
        progs = [testpmd(args, f'{prefix}-tp', pcaps[c.pcap], c.ceiling, wd),
                 sbc_program(args.dataplane, f'{prefix}-sbc', pcaps[c.pcap], confs[c.name],
                             f'/{tag}-{c.name}', args, wd)]
        if args.baseline:
            progs.append(sbc_program(args.baseline, f'{prefix}-base', pcaps[c.pcap],
                                     baseline_config(confs[c.name], f'/{tag}-{c.name}-base'),
                                     f'/{tag}-{c.name}-base', args, wd))
        shares = ''
        if turns:
            r = alternate(args, progs, turns)
        else:
            r, s = same_seconds(args, progs, args.same_seconds)
            shares = f'; cpu shares {med(s[1]):.2f} / {med(s[0]):.2f}'
        r_ref, r_sbc = r[0], r[1]
        rs = ratios(r_ref, r_sbc)
        if not rs:
            lines.append(f'  {c.name}: nothing measured')
            continue
        lines.append(f'  {c.name:14s} / {c.ceiling:6s} {med(rs):.3f} '
                     f'({unit} {min(rs):.3f}-{max(rs):.3f}); '
                     f'sbc {med(r_sbc):.2f} Mpps, testpmd {med(r_ref):.2f} per core-second'
                     + shares)
        if args.baseline and r[2]:
            rb, rbs = ratios(r_ref, r[2]), ratios(r[2], r_sbc)
            if rb and rbs:
                lines.append(f'    baseline / {c.ceiling:6s} {med(rb):.3f}; this build / baseline '
                             f'{med(rbs):.3f} ({unit} {min(rbs):.3f}-{max(rbs):.3f}; mean '
                             f'{statistics.mean(rbs):.3f})')
        if c.name == 'unlisted_flood':
            lines.append(f'    target unlisted_flood >= {args.target} x testpmd rxonly, {how}: '
                         f'{"met" if med(rs) >= args.target else "MISSED"} '
                         f'({med(rs):.3f})')
        if c.name == 'listed_passed':
            lines.append(f'    target listed_passed >= {args.passed_target:g} Mpps per core, {how}: '
                         f'{"met" if med(r_sbc) >= args.passed_target else "MISSED"} '
                         f'({med(r_sbc):.2f})')
    return lines


def sbc_cmd(binary, prefix, pcap, conf, args):
    """sbc-dataplane's command line: binary on pcap's vdevs (eal_args) with config conf."""
    return [binary, *eal_args(prefix, pcap, args), '--', '-c', conf]


def sbc_program(binary, prefix, pcap, conf, shm, args, wd):
    return Program('sbc-dataplane', sbc_cmd(binary, prefix, pcap, conf, args), prefix, wd, False,
                   shm=shm)


def baseline_config(conf, channel):
    """A copy of conf for the baseline build, on a channel of its own."""
    path = conf[:-len('.conf')] + '-base.conf'
    with open(conf) as f:
        text = f.read()
    with open(path, 'w') as f:
        f.write('\n'.join(f'channel = {channel}' if ln.startswith('channel = ') else ln
                          for ln in text.split('\n')))
    return path


def query_dict(tel, cmd, tries=5):
    """A telemetry command's dict. Under heavy load sbc-dataplane has answered /sbc/stats with
    null now and then (README, media benchmark): asked again, then given up on."""
    for _ in range(tries):
        v = tel.query(cmd)
        if isinstance(v, dict):
            return v
        time.sleep(0.1)
    raise RunError(f'{cmd}: answered {v!r} {tries} times')


def measure_once(prog, args, sbc):
    """Start prog, wait until packets flow, warm up, sample. Returns a result dict."""
    res = {}
    prog.start()
    try:
        deadline = time.monotonic() + args.start_timeout
        t_start = time.monotonic()
        tel = connect_flowing(prog, args, deadline)
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
                s['sbc'] = query_dict(tel, '/sbc/stats')
                s['drops'] = query_dict(tel, '/sbc/drops')
            return s

        samples = [sample()]
        for _ in range(args.seconds):
            time.sleep(max(0.0, samples[0]['t'] + len(samples) - time.monotonic()))
            samples.append(sample())
        if sbc:
            res['ports'] = tel.query('/sbc/ports')
        tel.close()
        a, b = samples[0], samples[-1]
        res['wall_mpps'] = (b['ipackets'] - a['ipackets']) / (b['t'] - a['t']) / 1e6
        # Per worker core: packets per second of the forwarding thread's own time on its cpu.
        # On a machine shared with other work the thread gets only part of lcore 1; the wall
        # clock rate would measure that share, not the code.
        res['mpps'] = res['wall_mpps']
        if task and b['cpu'] > a['cpu']:
            res['mpps'] = (b['ipackets'] - a['ipackets']) / (b['cpu'] - a['cpu']) / 1e6
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


class Case:
    """ceiling: the testpmd mode a case is held to: 'rxonly' for a case whose packets are
    dropped (received and freed, as rxonly does), 'io' for one whose packets are sent on."""

    def __init__(self, name, pcap, acl, unlisted, check, ceiling, what, trunk=None):
        self.name, self.pcap, self.acl, self.unlisted, self.check = name, pcap, acl, unlisted, check
        self.ceiling, self.what, self.trunk = ceiling, what, trunk


CASES = [
    Case('unlisted_flood', 'unlisted4', '10k', 'drop', check_drop('sip_unlisted'), 'rxonly',
         'IPv4 INVITEs, unlisted sources, dropped (sip_unlisted)'),
    Case('listed_passed', 'passed4', '10k', 'drop', check_exception(1.0), 'io',
         'IPv4 OPTIONS and in-dialog requests (no token), listed, to the exception port'),
    Case('listed', 'listed4', '10k', 'drop', check_exception(1.0), 'io',
         'IPv4 INVITEs, listed sources (running calls), to the exception port'),
    Case('mixed_10k', 'mixed10k', '10k', 'drop', check_exception(0.5), 'io',
         'IPv4+IPv6, half listed, 10,000 prefixes'),
    Case('mixed_1m', 'mixed1m', '1m', 'drop', check_exception(0.5), 'io',
         'IPv4+IPv6, half listed, 1,000,000 prefixes'),
    Case('reject_flood', 'unlisted4', '10k', 'reject', check_reject, 'rxonly',
         'the unlisted flood, unlisted = reject (403 at 100/s, the rest dropped)'),
    Case('over_cap_503', 'listed4', '10k', 'drop', check_refused(None), 'io',
         'listed INVITEs over their trunk\'s cap (cps 1): 503 + Retry-After each',
         dict(CAPPED, over_limit='reject')),
    Case('over_cap_drop', 'listed4', '10k', 'drop', check_refused('over_cps'), 'rxonly',
         'the same, over_limit = drop', dict(CAPPED, over_limit='drop')),
]

MODES = ('rxonly', 'io')
PCAPS = [('unlisted4', '10k'), ('listed4', '10k'), ('mixed10k', '10k'), ('mixed1m', '1m'),
         ('passed4', '10k')]


def keep_best(best, key, res):
    """best[key]: the best one-second wall-clock rate (Mpps) of res (a measure() result) and
    of the runs kept under key before: the least disturbed second of all rounds."""
    best[key] = max([best.get(key, 0.0)] + res['per_s'])


def fmt_spread(vals):
    return f'{min(vals):.2f}-{max(vals):.2f}' if len(vals) > 1 else '-'


def testpmd_cmd(args, prefix, pcap, mode, mbufs=16384, topology='paired'):
    """mbufs: the pool, which must also hold the replayed pcap (net_pcap keeps it in mbufs).
    topology 'paired' sends what port 0 receives out of port 1 (net_null: frees a burst at
    once); 'loop' sends it back out of port 0 (net_pcap without tx_pcap: frees one by one), as
    the relay does with its wire port."""
    return [args.testpmd, *eal_args(prefix, pcap, args), '--', f'--forward-mode={mode}',
            f'--port-topology={topology}',
            '--nb-cores=1', '--no-mlockall', '--txd=1024', '--rxd=1024', '--burst=32',
            f'--total-num-mbufs={mbufs}']


def testpmd(args, prefix, pcap, mode, wd, mbufs=16384, topology='paired'):
    """dpdk-testpmd forwarding the pcap in mode (rxonly, io, 5tswap): the reference every
    benchmark of the data plane measures beside it (stopped by closing its stdin)."""
    return Program('dpdk-testpmd', testpmd_cmd(args, prefix, pcap, mode, mbufs, topology),
                   prefix, wd, stop_by_stdin=True)


# --------------------------------------------------------------------------------------------
# perf: where the forwarding lcore's cycles go (cpu-clock samples of its thread alone).

# Symbol groups for the cycles-per-packet split of a listed case (perf attribution by symbol:
# static functions inlined into a caller count for the caller). The scanner's static functions
# that the compiler keeps apart (dataplane/dp_sip.c) are named here.
SCAN_SYMBOLS = ('dp_sip_', 'start_line', 'header_', 'scan_', 'sbc_parse_', 'find_unquoted',
                'marks64', 'param_in', 'load_window', 'classify_blocks', 'next_mark', 'take_',
                'ruri_user', 'required_fields',
                'close_quote', 'visible_end', 'skip_to', 'folded_end', 'lf_take', 'colon_from')
SPLIT = [
    ('rx', lambda dso, sym: 'net_pcap' in dso or sym.startswith('rte_pktmbuf_alloc')),
    ('tx', lambda dso, sym: 'net_null' in dso or 'librte_mbuf' in dso),
    ('scan', lambda dso, sym: sym.startswith(SCAN_SYMBOLS)),
    ('admission', lambda dso, sym: sym.startswith(('dp_admit', 'dp_call', 'dp_verdict',
                                                   'rte_hash', 'track', 'end_call',
                                                   'new_call', 'is_emergency'))
     or 'librte_hash' in dso or 'librte_ring' in dso),
    ('parse, allowlist, worker loop', lambda dso, sym: True),
]


def perf_report(perf, data):
    """[(percent, dso, symbol)] of a perf.data, by symbol."""
    out = subprocess.run([perf, 'report', '-i', data, '--stdio', '--no-children',
                          '--sort', 'dso,sym', '--percent-limit', '0.05'],
                         capture_output=True, text=True, timeout=300).stdout
    rows = []
    for line in out.splitlines():
        f = line.split()
        if len(f) < 4 or not f[0].endswith('%') or line.lstrip().startswith('#'):
            continue
        try:
            pct = float(f[0][:-1])
        except ValueError:
            continue
        rows.append((pct, f[1], ' '.join(f[3:])))
    return rows


def profile(args, name, cmd, prefix, wd, sbc, shm=None):
    """Run a program, sample its forwarding thread with perf while measuring its rate.
    Returns (rows, mpps, tsc_hz) or raises RunError."""
    prog = Program(name, cmd, prefix, wd, not sbc, shm=shm)
    data = os.path.join(wd, f'{prefix}.perf.data')
    prog.start()
    try:
        tel = prog.connect(time.monotonic() + args.start_timeout)
        deadline = time.monotonic() + args.start_timeout
        while True:
            st = tel.query('/ethdev/stats,0')
            if isinstance(st, dict) and st.get('ipackets', 0) > 0:
                break
            if prog.proc.poll() is not None or time.monotonic() > deadline:
                raise RunError(f'{name}: no packets for perf:\n{prog.log_tail()}')
            time.sleep(0.05)
        time.sleep(args.warmup)
        task = worker_thread(prog.proc.pid)
        if task is None:
            raise RunError(f'{name}: forwarding thread not found for perf')
        tid = os.path.basename(task)
        a, ca = tel.query('/ethdev/stats,0')['ipackets'], thread_cpu(task)[0]
        subprocess.run([args.perf, 'record', '-q', '-e', 'cpu-clock', '-t', tid, '-o', data,
                        '--', 'sleep', str(args.perf_seconds)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        b, cb = tel.query('/ethdev/stats,0')['ipackets'], thread_cpu(task)[0]
        hz = tel.query('/sbc/stats').get('tsc_hz', 0) if sbc else 0
        tel.close()
    finally:
        prog.stop()
        prog.cleanup()
    rows = perf_report(args.perf, data)
    if not rows:
        raise RunError(f'{name}: perf recorded nothing ({data})')
    return rows, (b - a) / max(cb - ca, 1e-9) / 1e6, hz    # per second of its cpu time


def perf_lines(title, rows, mpps, top):
    lines = [f'{title} ({mpps:.2f} Mpps per core-second while sampled); top symbols, % of '
             'the forwarding thread\'s cpu-clock samples:']
    for pct, dso, sym in rows[:top]:
        lines.append(f'  {pct:6.2f} %  {dso:28s} {sym}')
    dsos = {}
    for pct, dso, _ in rows:
        dsos[dso] = dsos.get(dso, 0) + pct
    lines.append('  by object: ' + ', '.join(f'{d} {p:.1f} %' for d, p in
                                             sorted(dsos.items(), key=lambda x: -x[1])
                                             if p >= 0.5))
    return lines


def split_lines(rows, mpps, hz):
    total = {g: 0.0 for g, _ in SPLIT}
    for pct, dso, sym in rows:
        for g, match in SPLIT:
            if match(dso, sym):
                total[g] += pct
                break
    all_pct = sum(total.values()) or 1.0
    cyc = hz / (mpps * 1e6) if mpps and hz else 0
    return ['  cycles per packet by perf attribution (TSC cycles at '
            f'{hz / 1e9:.2f} GHz / packet rate): ' +
            ', '.join(f'{g} {total[g] / all_pct * cyc:.0f} ({total[g] / all_pct:.0%})'
                      for g, _ in SPLIT) + f'; all {cyc:.0f}']


def run_perf(args, cases, pcaps, confs, wd, tag):
    lines = ['', f'perf (cpu-clock on the forwarding thread, {args.perf_seconds} s each, '
             'runs of their own after the rounds):']
    wanted = [c for c in cases if c.name in args.perf_cases.split(',')]
    rx_share = {}       # case -> net_pcap's share of sbc's samples
    for c in wanted:
        prefix = f'{tag}-perf-{c.name}'
        cmd = sbc_cmd(args.dataplane, prefix, pcaps[c.pcap], confs[c.name], args)
        rows, mpps, hz = profile(args, 'sbc-dataplane', cmd, prefix, wd, True,
                                 shm=f'/{tag}-{c.name}')
        lines += [''] + perf_lines(f'sbc-dataplane {c.name}', rows, mpps, args.perf_top)
        if c.ceiling == 'io':
            lines += split_lines(rows, mpps, hz)
        rx_share[c.name] = pmd_share(rows)
    if wanted:
        prefix = f'{tag}-perf-testpmd'
        rows, mpps, _ = profile(args, 'dpdk-testpmd',
                                testpmd_cmd(args, prefix, pcaps[wanted[0].pcap], 'rxonly'),
                                prefix, wd, False)
        lines += [''] + perf_lines(f'dpdk-testpmd rxonly on {wanted[0].pcap}', rows, mpps, 8)
        lines += share_lines([c for c in wanted if c.pcap == wanted[0].pcap
                              and c.ceiling == 'rxonly'], rx_share, pmd_share(rows))
    return lines


def pmd_share(rows):
    """The receive PMD's (net_pcap's) share of a profile's samples, %."""
    return sum(pct for pct, dso, _ in rows if dso.startswith('librte_net_pcap'))


def share_lines(cases, rx_share, ref):
    """The drop cases against rxonly by their profiles alone: when net_pcap's receive costs the
    same cycles a packet in both programs, the rates are in the ratio of its shares of their
    samples. Each profile's shares come from its own run, so a host that slows the whole run
    moves them little, unlike the rates of runs made at different moments."""
    lines = []
    for c in cases:
        if ref > 0 and rx_share.get(c.name):
            lines.append(f'  {c.name} by the profiles\' receive shares (net_pcap: '
                         f'{rx_share[c.name]:.1f} % of sbc\'s samples, {ref:.1f} % of '
                         'testpmd rxonly\'s): '
                         f'{rx_share[c.name] / ref:.2f} x rxonly at equal receive cost per packet '
                         '(an estimate beside the rates; the target is judged on the rates)')
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--dataplane', required=True)
    ap.add_argument('--testpmd', default=shutil.which('dpdk-testpmd') or '/usr/bin/dpdk-testpmd')
    ap.add_argument('--out', help='also write the table here')
    ap.add_argument('--rounds', type=int, default=3, help='runs of every program (median kept)')
    ap.add_argument('--seconds', type=int, default=2, help='measured interval')
    ap.add_argument('--warmup', type=float, default=1.0)
    ap.add_argument('--packets', type=int, default=512, help='distinct frames per pcap')
    ap.add_argument('--cases', default=','.join(c.name for c in CASES))
    ap.add_argument('--mem', type=int, default=2048, help='EAL -m (MB)')
    ap.add_argument('--huge-dir', help='hugetlbfs mount to use instead of --no-huge')
    ap.add_argument('--start-timeout', type=float, default=90)
    ap.add_argument('--keep', help='work directory to keep (pcaps, configs, logs)')
    ap.add_argument('--target', type=float, default=0.9,
                    help='unlisted_flood target, x testpmd rxonly')
    ap.add_argument('--passed-target', type=float, default=4.0,
                    help='listed_passed target, Mpps')
    ap.add_argument('--perf', default=shutil.which('perf') or '',
                    help='perf binary (Debian linux-perf); empty: no perf breakdown')
    ap.add_argument('--perf-cases', default='unlisted_flood,listed_passed')
    ap.add_argument('--perf-seconds', type=int, default=3)
    ap.add_argument('--perf-top', type=int, default=15)
    ap.add_argument('--same-seconds', type=int, default=10,
                    help='seconds of each case beside its ceiling at the same time (0: none)')
    ap.add_argument('--alternate', type=int, default=10,
                    help='turns of a second of each case and its ceiling, one after the other '
                    'on the same cpu (0: none)')
    ap.add_argument('--baseline', help='another sbc-dataplane build run beside this one in '
                    'the same seconds and the turns (an A/B of two builds under the same state '
                    'of the host)')
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
    cases = [c for c in CASES if c.name in wanted]
    if len(cases) != len(wanted):
        print(f'bench_dataplane: unknown case in {args.cases}; known: '
              f'{", ".join(c.name for c in CASES)}', file=sys.stderr)
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
        for k in sorted({c.acl for c in cases}):
            peer_files[k] = lists[k].write_files(wd, k)
        pcaps, sizes = {}, {}
        for seed, (kind, lst) in enumerate(PCAPS):
            if any(c.pcap == kind for c in cases):
                path = os.path.join(wd, f'{kind}.pcap')
                n = args.packets * 2 if kind.startswith('mixed') else args.packets
                sizes[kind] = make_pcap(path, 'mixed' if kind.startswith('mixed') else kind,
                                        lists[lst], n, mac, seed=seed)
                pcaps[kind] = path
        confs = {}
        for c in cases:
            conf = os.path.join(wd, f'{c.name}.conf')
            sbc_config(conf, f'/{tag}-{c.name}', lists[c.acl], peer_files[c.acl], c.unlisted,
                       mbufs=16383, trunk_extra=c.trunk)
            confs[c.name] = conf
        print(f'bench_dataplane: pcaps and allowlists ready in {time.monotonic() - t_start:.1f} s '
              f'({wd})', flush=True)

        ref = {(k, m): [] for k in pcaps for m in MODES}   # testpmd Mpps per round
        got = {c.name: [] for c in cases}                   # sbc Mpps per round
        rat = {(c.name, m): [] for c in cases for m in MODES}  # sbc / testpmd, same round
        shares, preempted, load_s = [], 0, {}
        admit_cost = []                     # (cycles, admitted calls, tsc hz) per listed run
        best = {}       # program -> its best one-second wall-clock rate over all rounds
        notes = {}
        run = 0

        def show(res):
            sh = '' if res['cpu_share'] is None else \
                f', lcore 1 thread on cpu {100 * res["cpu_share"]:.0f} %'
            return (f'wall clock {res["wall_mpps"]:.2f} Mpps, per s: '
                    f'{", ".join(f"{x:.2f}" for x in res["per_s"])}{sh}')

        def account(res):
            nonlocal preempted
            if res['cpu_share'] is not None:
                shares.append(res['cpu_share'])
                preempted += res['preempted']

        for r in range(args.rounds):
            for kind in pcaps:
                for mode in MODES:
                    run += 1
                    prefix = f'{tag}-{run}'
                    res = measure(testpmd(args, prefix, pcaps[kind], mode, wd), args, False)
                    ref[kind, mode].append(res['mpps'])
                    keep_best(best, (kind, mode), res)
                    account(res)
                    print(f'  round {r + 1}: testpmd {mode:6s} {kind:14s} {res["mpps"]:6.2f} Mpps '
                          f'({show(res)})', flush=True)
                for c in cases:
                    if c.pcap != kind:
                        continue
                    run += 1
                    prefix = f'{tag}-{run}'
                    prog = sbc_program(args.dataplane, prefix, pcaps[kind], confs[c.name],
                                       f'/{tag}-{c.name}', args, wd)
                    res = measure(prog, args, True)
                    load_s[c.name] = res['ready_s']
                    wmac = res['ports']['wire']['mac'].lower()
                    if wmac != mac:
                        raise RunError(f'wire MAC is {wmac}, the pcaps were built for {mac}')
                    d, drops, rx = res['d_sbc'], res['d_drops'], res['d_sbc']['rx']
                    if abs(rx - res['d_ipackets']) > max(1000, rx // 100):
                        notes[c.name] = (f'/sbc/stats rx {rx} vs ethdev ipackets '
                                         f'{res["d_ipackets"]} in the interval')
                    err = c.check(d, drops, rx)
                    if err:
                        notes[c.name] = err
                        rc = 1
                    got[c.name].append(res['mpps'])
                    keep_best(best, c.name, res)
                    for mode in MODES:
                        if ref[kind, mode][-1] > 0:
                            rat[c.name, mode].append(res['mpps'] / ref[kind, mode][-1])
                    if c.name == 'listed' and res['admit'][1]:
                        admit_cost.append(res['admit'])
                    account(res)
                    print(f'  round {r + 1}: sbc            {c.name:14s} {res["mpps"]:6.2f} Mpps '
                          f'({show(res)}; / rxonly {rat[c.name, "rxonly"][-1]:.3f}, / io '
                          f'{rat[c.name, "io"][-1]:.3f}; up in {res["ready_s"]:.1f} s) {drops}'
                          if rat[c.name, 'rxonly'] and rat[c.name, 'io'] else
                          f'({show(res)}) {drops}',
                          flush=True)

        same_text = []
        if args.same_seconds > 0:
            try:
                same_text = side_by_side_lines(args, cases, pcaps, confs, wd, tag, 0)
            except (RunError, OSError, subprocess.SubprocessError) as e:
                same_text = ['', f'same seconds: failed: {e}']
        if args.alternate > 0:
            try:
                same_text += side_by_side_lines(args, cases, pcaps, confs, wd, tag,
                                                args.alternate)
            except (RunError, OSError, subprocess.SubprocessError) as e:
                same_text += ['', f'turns of a second: failed: {e}']
        perf_text = []
        if args.perf and os.access(args.perf, os.X_OK):
            try:
                perf_text = run_perf(args, cases, pcaps, confs, wd, tag)
            except (RunError, OSError, subprocess.SubprocessError) as e:
                perf_text = ['', f'perf breakdown failed: {e}']
        else:
            perf_text = ['', 'perf breakdown skipped: no perf (Debian package linux-perf)']
        lines = report(args, cases, got, ref, rat, admit_cost, sizes, lists, load_s, shares,
                       preempted, notes, t_start, best) + same_text + perf_text
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


def report(args, cases, got, ref, rat, admit_cost, sizes, lists, load_s, shares, preempted,
           notes, t_start, best):
    load = os.getloadavg()
    med = statistics.median
    lines = [f'sbc-dataplane vs dpdk-testpmd --forward-mode=rxonly and =io, 1 forwarding lcore '
             f'({os.uname().nodename}, {cpu_model()}, {os.cpu_count()} cpus), '
             f'{time.strftime("%Y-%m-%d %H:%M:%S")}',
             '',
             f'| {"case":14s} | ceiling | sbc Mpps | rxonly Mpps | io Mpps | sbc/rxonly | sbc/io '
             f'| ratio to ceiling min-max | sbc min-max | what |',
             f'|{"-" * 16}|---------|---------:|------------:|--------:|-----------:|-------:'
             f'|--------------------------|-------------|------|']
    ratios = {}
    for c in cases:
        for m in MODES:
            ratios[c.name, m] = med(rat[c.name, m]) if rat[c.name, m] else 0.0
        mark = {m: '*' if m == c.ceiling else ' ' for m in MODES}
        lines.append(f'| {c.name:14s} | {c.ceiling:7s} | {med(got[c.name]):8.2f} | '
                     f'{med(ref[c.pcap, "rxonly"]):11.2f} | {med(ref[c.pcap, "io"]):7.2f} | '
                     f'{ratios[c.name, "rxonly"]:9.2f}{mark["rxonly"]} | '
                     f'{ratios[c.name, "io"]:5.2f}{mark["io"]} | '
                     f'{fmt_spread(rat[c.name, c.ceiling]):24s} | '
                     f'{fmt_spread(got[c.name]):11s} | {c.what} |')
    lines.append('(* the ceiling the case is held to: rxonly for cases that drop, io for cases '
                 'that send on)')
    lines.append('Best one-second rate (wall clock) of any round, the least disturbed second (the '
                 'host\'s other tenants slow every program by up to a third at times; the targets '
                 'are judged on the medians): ' + '; '.join(
                     f'{c.name} {best[c.name]:.2f} Mpps, / {c.ceiling} '
                     f'{best[c.name] / max(1e-9, best[c.pcap, c.ceiling]):.2f}' for c in cases
                     if c.name in best and (c.pcap, c.ceiling) in best))
    lines.append('')
    if admit_cost:
        cyc = sum(a[0] for a in admit_cost) / sum(a[1] for a in admit_cost)
        lines.append(f'Cycles per admitted INVITE (scan, caps, call table, event; rdtsc in the '
                     f'worker of this -Dbench_cycles build over {sum(a[1] for a in admit_cost)} '
                     f'new calls of the listed runs): {cyc:.0f} cycles = '
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
        f'{args.seconds} s after a {args.warmup:g} s warm-up, same for all programs, divided by',
        '  the forwarding thread\'s time on its cpu in that interval (/proc/.../schedstat): '
        'Mpps per worker core-second, not per wall-clock second (the machine is shared).',
        f'  {args.rounds} rounds; each round runs, per pcap, testpmd rxonly, testpmd io, then '
        'the sbc cases on that pcap; a ratio is the median over rounds of sbc / testpmd of the '
        'same round;',
        '  Mpps columns: medians. testpmd: --nb-cores=1 --burst=32 --rxd/--txd=1024 '
        '--total-num-mbufs=16384 (sbc: mbufs = 16383).',
        f'  pcaps: {args.packets} distinct frames (mixed: {2 * args.packets}), SIP over UDP; '
        f'{psz}.',
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
    if ('unlisted_flood', 'rxonly') in ratios:
        v = ratios['unlisted_flood', 'rxonly']
        lines.append(f'Target unlisted_flood >= {args.target:g} x testpmd rxonly: '
                     f'{"met" if v >= args.target else "MISSED"} ({v:.2f}).')
    if 'listed_passed' in got:
        v = med(got['listed_passed'])
        lines.append(f'Target listed_passed >= {args.passed_target:g} Mpps per worker core: '
                     f'{"met" if v >= args.passed_target else "MISSED"} ({v:.2f} Mpps).')
    for k in ('over_cap_503', 'over_cap_drop'):
        if k in got:
            v = med(got[k])
            lines.append(f'Target {k} >= 5 Mpps per worker core: '
                         f'{"met" if v >= 5 else "MISSED"} ({v:.2f} Mpps).')
    for k, v in notes.items():
        lines.append(f'NOTE {k}: {v}')
    return lines


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
