#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Media relay on veth next to rtpengine (userspace): packets relayed per CPU-second, overload.

Topology (network namespaces, names from SBCNET_NS_PREFIX + 'rtpb-ID-', nothing in ours):

    a   (senders)    eth0 198.51.100.20 --+
    b   (receivers)  eth0 198.51.100.30 --+-- br0 in lan
    sbc: wire0 (veth) given to sbc-dataplane on net_af_xdp (--wire-pmd: or net_af_packet;
         exception net_null0),
         [sbc] address 198.51.100.10, 1 worker lcore                --+
    rte: eth0 198.51.100.11, rtpengine (Debian rtpengine-daemon) with --table=-1: no kernel
         forwarding, userspace only                                  --+

The same N sessions on each relay: leg 0's remote a:(20000 + 2i), leg 1's b:(40000 + 2i);
sbc-dataplane gets them as SBC_CMD_MEDIA_SET (--test-commands, as the control plane sends
them), rtpengine over its ng protocol (bencode over UDP: offer from a, answer from b). The
same stream to both: tests/bench/rtp_blast (AF_PACKET, prebuilt frames with full checksums)
sends 172-byte RTP round-robin over the N streams from a; what arrives at b is counted by b's
eth0 (its rx_packets; b drops the datagrams at tc ingress, sink_drop.c, or with --sink
netfilter after IP input, so it sends no ICMP back; the bridge runs no iptables). Each relay
runs alone (the other one stopped). Beside them, the bare sender: rtp_blast from the SBC's
namespace straight to b, what writing the frames to this path costs with nothing received.

A. Packets relayed per CPU-second: at each rate (N x 50/s, the streams' own rate, and the
   sender flat out), after a warm-up, the relay process's utime + stime over the interval from
   /proc/PID/stat (every thread: sbc-dataplane's main lcore and its polling worker, which takes
   a whole core whatever the load; rtpengine's threads) against the packets arriving at b over
   the same interval. Printed: both relays' Mpps delivered, CPU-s/s, packets per CPU-second,
   and the ratio (target: sbc >= 5 x rtpengine); the bare sender's, and each relay's against it.
B. Overload: the streams at their own rate for --pre s, then the sender flat out for 1 s, then
   their own rate again for --post s. Each packet says its phase; rtp_blast recv in b takes
   kernel arrival times: per stream, the time from the end of the burst to the first packet of
   the after-phase arriving (max, p99, median), streams that never came back, and what
   arrived of each phase. "Capacity" is what the relay delivered in A with the sender flat
   out on this same path; the burst's rate is what the sender reached (stated as a multiple
   of that capacity, which may be below 10 on this machine).
C. Overload at 10 x and more (--quota PCT, 0: not run): on two shared vCPUs one sender core
   cannot send 10 x what a relay with a whole core relays, so each relay is held to PCT % of
   one cpu by a CPU cgroup (cgroup v2 cpu.max or v1 cfs quota: the same for every relay, set
   on the whole process before any packet). Its capacity under that quota is measured as in A
   (sender flat out, a start of its own), then B is run on a fresh start under the same
   quota: the burst is then many times the relay's capacity, and recovery is what B reports.
   sbc-dataplane runs on net_af_packet in C, its receive ring scaled with the quota
   (--quota-framecnt, default A's framecnt x PCT / 100, but at least what the streams send in
   two quota periods, while the relay is throttled; net_af_xdp's ring is the data plane's
   fixed descriptor count, which the benchmark cannot scale): a ring drains at the relay's
   capacity, and a ring sized for a whole core would hold 100 / PCT times as many milliseconds
   of stale burst under the quota as it does without one. sbc-busy is not run in C: a worker
   that polls without pause spends any quota polling whatever the load (held to 5 % it is
   throttled in every period and drains its ring in 5 % slices); poll = adaptive is the mode
   for a share of a cpu.

Needs root, ip, iptables, tc, rtpengine, the rtp_blast binary (clang for the tc sink). Exit 0
measured, 1 a run failed, 77 cannot run here.
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
from sbc_dprun import Program, RunError, eal  # noqa: E402

SKIP = 77
PY = '/usr/bin/python3'
V4 = '198.51.100'
SBC4, RTE4, A4, B4 = f'{V4}.10', f'{V4}.11', f'{V4}.20', f'{V4}.30'
SPORT, BPORT, SBC_PORT = 20000, 40000, 30000      # rtp_blast's SPORT_BASE is 20000
NG_PORT = 2223
CLK = os.sysconf('SC_CLK_TCK')
LEG = struct.Struct('<BBBBHHHH16s16s30s30s')         # struct sbc_media_leg
MSG_HDR = struct.Struct('<HHIQQ')


def sh(*cmd, check=True, ns=None, **kw):
    if ns:
        cmd = ('ip', 'netns', 'exec', ns) + cmd
    return subprocess.run(cmd, check=check, capture_output=True, text=True, **kw)


# ---- bencode (the ng protocol) ---------------------------------------------------------------

def benc(v):
    if isinstance(v, int):
        return b'i%de' % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b'%d:%s' % (len(v), v)
    if isinstance(v, list):
        return b'l' + b''.join(benc(x) for x in v) + b'e'
    return b'd' + b''.join(benc(k) + benc(x) for k, x in sorted(v.items())) + b'e'


def bdec(b, i=0):
    c = b[i:i + 1]
    if c == b'i':
        j = b.index(b'e', i)
        return int(b[i + 1:j]), j + 1
    if c in (b'l', b'd'):
        out, i = [], i + 1
        while b[i:i + 1] != b'e':
            x, i = bdec(b, i)
            out.append(x)
        return (out if c == b'l' else dict(zip(out[::2], out[1::2]))), i + 1
    j = b.index(b':', i)
    n = int(b[i:j])
    return b[j + 1:j + 1 + n], j + 1 + n


def ng_client(server, n, out_path):
    """In namespace a: offer (a's SDP) and answer (b's) for n calls; writes the port of
    rtpengine's answer (where a sends) per call, one a line."""
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)

    def sdp(ip, port):
        return (f'v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n'
                f'm=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n')

    def call(cookie, msg):
        for _ in range(5):
            s.sendto(cookie.encode() + b' ' + benc(msg), (server, NG_PORT))
            try:
                data = s.recv(65536)
            except socket.timeout:
                continue
            c, _, body = data.partition(b' ')
            if c.decode() == cookie:
                r, _ = bdec(body)
                if r.get(b'result') != b'ok':
                    raise SystemExit(f'ng {msg["command"]}: {r}')
                return r
        raise SystemExit(f'ng {msg["command"]}: no answer from {server}:{NG_PORT}')

    ports = []
    for i in range(n):
        cid = f'bench-{i}'
        call(f'o{i}', {'command': 'offer', 'call-id': cid, 'from-tag': f'ft{i}',
                       'sdp': sdp(A4, SPORT + 2 * i), 'replace': ['origin']})
        r = call(f'a{i}', {'command': 'answer', 'call-id': cid, 'from-tag': f'ft{i}',
                           'to-tag': f'tt{i}', 'sdp': sdp(B4, BPORT + 2 * i)})
        m = [ln for ln in r[b'sdp'].decode().split('\r\n') if ln.startswith('m=audio ')]
        ports.append(int(m[0].split()[1]))
    with open(out_path, 'w') as f:
        f.write(''.join(f'{p}\n' for p in ports))


# ---- the topology ----------------------------------------------------------------------------

class Net:
    def __init__(self, tag):
        self.ns = {k: f'{tag}-{k}' for k in ('lan', 'sbc', 'rte', 'a', 'b')}
        self.made = []

    def up(self):
        for name in self.ns.values():
            sh('ip', 'netns', 'add', name)
            self.made.append(name)
            sh('ip', '-n', name, 'link', 'set', 'lo', 'up')
        lan = self.ns['lan']
        sh('sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', ns=lan)
        # a host with br_netfilter loaded runs its iptables on bridged frames, in whichever
        # relay's context sent them: not the bridge a switch would be
        for f in ('iptables', 'ip6tables', 'arptables'):
            sh('sysctl', '-qw', f'net.bridge.bridge-nf-call-{f}=0', ns=lan, check=False)
        sh('ip', '-n', lan, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0',
           'forward_delay', '0')
        for k, dev, port in (('sbc', 'wire0', 's0'), ('rte', 'eth0', 'r0'), ('a', 'eth0', 'a0'),
                             ('b', 'eth0', 'b0')):
            sh('ip', '-n', self.ns[k], 'link', 'add', dev, 'type', 'veth', 'peer', 'name', port,
               'netns', lan)
            sh('ip', '-n', lan, 'link', 'set', port, 'master', 'br0', 'up')
            sh('sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', ns=self.ns[k])
        sh('ip', '-n', lan, 'link', 'set', 'br0', 'up')
        sbc = self.ns['sbc']
        sh('ip', '-n', sbc, 'link', 'set', 'wire0', 'arp', 'off', 'up')
        for k, ip in (('rte', RTE4), ('a', A4), ('b', B4)):
            # frames from the kernel with a partial checksum would reach net_af_packet so
            sh('ethtool', '-K', 'eth0', 'tx', 'off', ns=self.ns[k])
            sh('ip', '-n', self.ns[k], 'addr', 'add', f'{ip}/24', 'dev', 'eth0')
            sh('ip', '-n', self.ns[k], 'link', 'set', 'eth0', 'up')
        # b only counts: what the relays send it is dropped before UDP (no ICMP back)
        sh('iptables', '-A', 'INPUT', '-p', 'udp', '-j', 'DROP', ns=self.ns['b'])

    def sink(self, obj):
        """b's sink: obj (sink_drop.c) on eth0's tc ingress drops UDP there, counted and seen by
        packet sockets, before IP; None: the netfilter drop of up() alone (after IP input)."""
        if obj:
            sh('tc', 'qdisc', 'add', 'dev', 'eth0', 'clsact', ns=self.ns['b'])
            sh('tc', 'filter', 'add', 'dev', 'eth0', 'ingress', 'bpf', 'obj', obj, 'sec', 'tc',
               'da', ns=self.ns['b'])

    def mac(self, k, dev='eth0'):
        out = sh('ip', '-n', self.ns[k], '-j', 'link', 'show', dev).stdout
        return json.loads(out)[0]['address']

    def down(self):
        for name in self.made:
            for pid in sh('ip', 'netns', 'pids', name, check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
            sh('ip', 'netns', 'del', name, check=False)
        self.made = []


# ---- measuring -------------------------------------------------------------------------------

def proc_cpu(pid):
    """(utime, stime) of every thread of pid, seconds."""
    with open(f'/proc/{pid}/stat') as f:
        v = f.read().rsplit(')', 1)[1].split()
    return int(v[11]) / CLK, int(v[12]) / CLK


def threads_cpu(pid):
    """{thread name: utime + stime} of every thread of pid, seconds (names may repeat: summed)."""
    out = {}
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            with open(f'/proc/{pid}/task/{tid}/stat') as f:
                head, _, rest = f.read().rpartition(')')
        except OSError:
            continue
        v, name = rest.split(), head.partition('(')[2]
        out[name] = out.get(name, 0.0) + (int(v[11]) + int(v[12])) / CLK
    return out


def ksoftirqd_cpu():
    """utime + stime of the ksoftirqd threads (the softirq work the kernel deferred to them:
    packet processing charged to no process of the benchmark), seconds."""
    t = 0.0
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open(f'/proc/{pid}/stat') as f:
                head, _, rest = f.read().rpartition(')')
        except OSError:
            continue
        if head.partition('(')[2].startswith('ksoftirqd/'):
            v = rest.split()
            t += (int(v[11]) + int(v[12])) / CLK
    return t


class CpuQuota:
    """A CPU cgroup holding processes to pct % of one cpu: cgroup v2 (cpu.max) where the
    unified hierarchy has the cpu controller, else v1's cpu controller (cfs quota and period).
    The period is 10 ms, longer where the quota would fall under v1's 1 ms minimum: a throttled
    process waits at most one period less its quota."""

    @staticmethod
    def period_us(pct):
        return max(10000, int(1000 * 100 / pct))

    def __init__(self, tag, pct):
        self.period = self.period_us(pct)
        self.quota = int(self.period * pct / 100)
        v2 = '/sys/fs/cgroup'
        if os.path.exists(f'{v2}/cgroup.controllers'):
            with open(f'{v2}/cgroup.controllers') as f:
                if 'cpu' not in f.read().split():
                    raise RunError('cgroup v2 without the cpu controller: --quota needs it')
            self.root = v2
            self.dir = f'{v2}/{tag}-quota'
            with open(f'{v2}/cgroup.subtree_control', 'w') as f:
                f.write('+cpu')
            os.mkdir(self.dir)
            with open(f'{self.dir}/cpu.max', 'w') as f:
                f.write(f'{self.quota} {self.period}')
        elif os.path.isdir('/sys/fs/cgroup/cpu'):
            self.root = '/sys/fs/cgroup/cpu'
            self.dir = f'{self.root}/{tag}-quota'
            os.mkdir(self.dir)
            for name, v in (('cpu.cfs_period_us', self.period), ('cpu.cfs_quota_us', self.quota)):
                with open(f'{self.dir}/{name}', 'w') as f:
                    f.write(str(v))
        else:
            raise RunError('no CPU cgroup controller (v1 or v2) mounted: --quota needs one')

    def hold(self, pid):
        """pid with every thread it has and makes from now on."""
        with open(f'{self.dir}/cgroup.procs', 'w') as f:
            f.write(str(pid))

    def throttled(self):
        """(periods, throttled periods) so far."""
        st = {}
        with open(f'{self.dir}/cpu.stat') as f:
            for line in f:
                k, _, v = line.partition(' ')
                st[k] = int(v)
        return st.get('nr_periods', 0), st.get('nr_throttled', 0)

    def remove(self):
        try:
            with open(f'{self.dir}/cgroup.procs') as f:
                pids = f.read().split()
            for pid in pids:
                try:
                    with open(f'{self.root}/cgroup.procs', 'w') as f:
                        f.write(pid)
                except ProcessLookupError:
                    pass    # exited since the list was read
            os.rmdir(self.dir)
        except FileNotFoundError:
            pass        # already gone (its processes exited and it was removed)
        except OSError as e:
            print(f'  (cgroup {self.dir} not removed: {e}; remove it by hand)', flush=True)


def rx_packets(pid):
    """eth0's rx_packets in the namespace of process pid."""
    with open(f'/proc/{pid}/net/dev') as f:
        for line in f:
            name, _, rest = line.partition(':')
            if name.strip() == 'eth0':
                return int(rest.split()[1])
    raise RunError(f'no eth0 in the namespace of {pid}')


class Relay:
    """One of the two relays, started with its sessions in place: pid, ports a sends to."""
    name = ''
    n = 0
    pid = None
    dst_mac = ''
    dst_ip = ''
    ports = ''

    def stop(self):
        pass

    def stats(self):
        return None


def wire_vdev(args, framecnt=None):
    """(port name, --vdev) of sbc-dataplane's wire port on wire0: --wire-pmd's, or with
    framecnt net_af_packet with a ring of that many frames (C's)."""
    if framecnt is None and args.wire_pmd == 'af_xdp':
        return 'net_af_xdp0', f'net_af_xdp0,iface=wire0,start_queue=0,queue_count=1{args.af_xdp}'
    devargs = args.af_packet
    if framecnt is not None:
        devargs = (re.sub(r'framecnt=\d+', f'framecnt={framecnt}', devargs)
                   if 'framecnt=' in devargs else f'{devargs},framecnt={framecnt}')
    return 'net_af_packet0', f'net_af_packet0,iface=wire0{devargs}'


class Sbc(Relay):
    name = 'sbc-dataplane'

    def __init__(self, args, net, wd, tag, n, poll, wire):
        """wire: wire_vdev()'s (port name, --vdev)."""
        self.dst_ip, self.n = SBC4, n
        cmds = os.path.join(wd, 'sessions.bin')
        with open(cmds, 'wb') as f:
            for i in range(n):
                body = struct.pack('<QII', i + 1, 1, 0)
                body += LEG.pack(4, 0, 0, 0, 0, SBC_PORT + 4 * i, SPORT + 2 * i,
                                 SPORT + 2 * i + 1, v4(SBC4), v4(A4), b'', b'')
                body += LEG.pack(4, 0, 0, 0, 0, SBC_PORT + 4 * i + 2, BPORT + 2 * i,
                                 BPORT + 2 * i + 1, v4(SBC4), v4(B4), b'', b'')
                f.write((MSG_HDR.pack(48, 1, len(body), i + 1, 0) + body).ljust(256, b'\0'))
        self.ports = os.path.join(wd, 'ports_sbc')
        with open(self.ports, 'w') as f:
            f.write(''.join(f'{SBC_PORT + 4 * i}\n' for i in range(n)))
        conf = os.path.join(wd, 'sbc.conf')
        shm = f'/{tag}-sbc'
        with open(conf, 'w') as f:
            f.write('\n'.join([
                '[sbc]', f'address = {SBC4}/24', f'media_ports = {SBC_PORT}-{SBC_PORT + 4 * n + 3}',
                'media_timeout = 3600',
                '[dataplane]', f'wire = {wire[0]}', 'exception = net_null0',
                'workers = 1',
                f'channel = {shm}', 'mbufs = 16383', f'media_sessions = {n}', f'poll = {poll}',
                f'poll_sleep_max_us = {args.poll_sleep_max_us}',
                '[trunk floor]', f'peers = {A4}/32', '']))
        cmd = ['ip', 'netns', 'exec', net.ns['sbc'], args.dataplane,
               *eal(f'{tag}-sbc', [wire[1], 'net_null0,no-rx=1']),  # null: no frames of its own
               '--', '-c', conf, '--test-commands', cmds]
        self.prog = Program('sbc-dataplane', cmd, f'{tag}-sbc', wd, shm=shm, watch=True)
        self.prog.start()
        self.prog.wait_for(lambda: any(x.startswith('sbc-dataplane: ready')
                                       for x in self.prog.lines),
                           time.monotonic() + args.start_timeout, '"ready"')
        self.pid = self.prog.proc.pid       # ip netns exec execs the data plane
        self.dst_mac = net.mac('sbc', 'wire0')

    def stats(self):
        return self.prog.query('/sbc/stats')

    def stop(self):
        self.prog.stop()
        self.prog.cleanup()


class Rtpengine(Relay):
    name = 'rtpengine'

    def __init__(self, args, net, wd, n):
        self.dst_ip, self.n = RTE4, n
        conf = os.path.join(wd, 'rtpengine.conf')
        with open(conf, 'w') as f:
            f.write('\n'.join([
                '[rtpengine]', 'table = -1', f'interface = {RTE4}',
                f'listen-ng = {RTE4}:{NG_PORT}', 'port-min = 30000', 'port-max = 60000',
                'timeout = 3600', 'foreground = true', 'log-stderr = true', 'log-level = 4',
                f'num-threads = {args.rtpengine_threads}', '']))
        self.log = open(os.path.join(wd, 'rtpengine.log'), 'wb')
        self.proc = subprocess.Popen(['ip', 'netns', 'exec', net.ns['rte'], args.rtpengine,
                                      f'--config-file={conf}'], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        self.ports = os.path.join(wd, 'ports_rte')
        deadline = time.monotonic() + args.start_timeout
        while True:                          # the ng socket: the client retries until then
            r = sh(PY, os.path.abspath(__file__), '--ng', RTE4, str(n), self.ports,
                   ns=net.ns['a'], check=False, timeout=3600)
            if r.returncode == 0:
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RunError(f'rtpengine sessions: {r.stdout} {r.stderr}'.strip())
            time.sleep(0.5)
        self.dst_mac = net.mac('rte')

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


RELAYS = ('sbc-busy', 'sbc-adaptive', 'rtpengine')


def start(which, args, net, wd, tag, n, quota=None, wire=None):
    """A relay with n sessions, held by quota (a CpuQuota) before its first packet;
    sbc-dataplane's wire port: wire (wire_vdev's), else --wire-pmd's."""
    if which.startswith('sbc-'):
        relay = Sbc(args, net, wd, tag, n, which[4:], wire or wire_vdev(args))
    else:
        relay = Rtpengine(args, net, wd, n)
    try:
        if quota:
            quota.hold(relay.pid)
        # the first packets: sbc-dataplane asks b's MAC (ARP), rtpengine's kernel too
        finish(sender(args, net, relay, f'{50 * n}:1'))
    except BaseException:
        relay.stop()
        raise
    return relay


def v4(ip):
    return bytes(int(x) for x in ip.split('.')) + bytes(12)


def sender(args, net, relay, phases):
    return subprocess.Popen(['ip', 'netns', 'exec', net.ns['a'], 'taskset', '-c', args.cpu,
                             args.blast, 'send', 'eth0', net.mac('a'), relay.dst_mac, A4,
                             relay.dst_ip, str(relay.n), relay.ports, phases],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(p):
    out, err = p.communicate(timeout=120)
    if p.returncode != 0:
        raise RunError(f'rtp_blast: exit {p.returncode}: {err.strip()}')
    return json.loads(out.strip().splitlines()[-1])


def throughput(args, net, relay, rate, counter_pid):
    """A: (delivered pps, CPU-s per s, delivered per CPU-s, sent pps) at rate (0: flat out)."""
    p = sender(args, net, relay, f'{rate}:{args.warmup + args.seconds + 1}')
    time.sleep(args.warmup)
    st0 = relay.stats()
    t0, c0, r0 = time.monotonic(), proc_cpu(relay.pid), rx_packets(counter_pid)
    g0, k0, w0 = proc_cpu(p.pid), ksoftirqd_cpu(), threads_cpu(relay.pid)
    prof = None
    if args.perf and rate == 0 and shutil.which('perf'):   # where the relay's time goes
        prof = os.path.join(args.wd, f'perf-{relay.pid}.data')
        perf = subprocess.Popen(['perf', 'record', '-q', '-F', '499', '-p', str(relay.pid), '-o',
                                 prof, '--', 'sleep', str(args.seconds)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(args.seconds)
    t1, c1, r1 = time.monotonic(), proc_cpu(relay.pid), rx_packets(counter_pid)
    g1, k1, w1 = proc_cpu(p.pid), ksoftirqd_cpu(), threads_cpu(relay.pid)
    st1 = relay.stats()
    res = finish(p)
    top = []
    if prof:
        perf.wait(60)
        rep_ = sh('perf', 'report', '-i', prof, '--no-children', '--sort', 'comm,dso,sym',
                  '--stdio', '--percent-limit', '2', check=False).stdout
        top = [ln.strip() for ln in rep_.splitlines() if ln.strip() and not ln.startswith('#')]
    ph = res['phases'][0]
    sent_pps = ph['sent'] / ((ph['end_ns'] - ph['start_ns']) / 1e9)
    dt, got = t1 - t0, r1 - r0
    cpu = sum(c1) - sum(c0)
    threads = sorted(((n, (w1[n] - w0.get(n, 0.0)) / dt) for n in w1), key=lambda x: -x[1])
    return {'pps': got / dt, 'cpu': cpu / dt, 'user': (c1[0] - c0[0]) / dt,
            'sys': (c1[1] - c0[1]) / dt, 'sender_cpu': (sum(g1) - sum(g0)) / dt,
            'softirqd': (k1 - k0) / dt, 'threads': [t for t in threads if t[1] >= 0.01],
            'per_cpu': got / cpu if cpu > 0 else 0.0, 'sent_pps': sent_pps,
            'sleeps': (st1['idle_sleeps'] - st0['idle_sleeps']) / dt if st0 else None,
            'slept': (st1['idle_sleep_us'] - st0['idle_sleep_us']) / 1e6 / dt if st0 else None,
            'perf': top[:args.perf]}


def bare_sender(args, net, rate, counter_pid):
    """A reference beside the relays, not a relay: rtp_blast in the SBC's namespace sends the
    same frames out of wire0 straight to b, through the AF_PACKET transmit ring a relay on
    net_af_packet uses too, pinned to the worker's cpu, sleeping between batches of 64 frames
    when paced (RTP_BLAST_PACE). Its utime + stime per packet delivered is what writing the
    frames to this path from user space costs with nothing received: the kernel's transmit
    (veth, bridge, veth, b's sink) and the least user-space work. Not a bound: a relay that
    batches differently can come out cheaper. (delivered pps, CPU-s/s, system, per CPU-s)."""
    ports = os.path.join(args.wd, 'ports_b')
    with open(ports, 'w') as f:
        f.write(''.join(f'{BPORT + 2 * i}\n' for i in range(args.sessions)))
    env = dict(os.environ, RTP_BLAST_PACE='64')    # few wake-ups: the kernel's share shows
    p = subprocess.Popen(['ip', 'netns', 'exec', net.ns['sbc'], 'taskset', '-c', '1', args.blast,
                          'send', 'wire0', net.mac('sbc', 'wire0'), net.mac('b'), SBC4, B4,
                          str(args.sessions), ports, f'{rate}:{args.warmup + args.seconds + 1}'],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(args.warmup)
    t0, c0, r0 = time.monotonic(), proc_cpu(p.pid), rx_packets(counter_pid)
    time.sleep(args.seconds)
    t1, c1, r1 = time.monotonic(), proc_cpu(p.pid), rx_packets(counter_pid)
    finish(p)
    dt, got, cpu = t1 - t0, r1 - r0, sum(c1) - sum(c0)
    return {'pps': got / dt, 'cpu': cpu / dt, 'sys': (c1[1] - c0[1]) / dt,
            'per_cpu': got / cpu if cpu > 0 else 0}


def overload(args, net, relay, normal):
    """B: per-stream recovery after a flat-out second (rtp_blast recv's arrival times)."""
    total = args.pre + 1 + args.post
    rx = subprocess.Popen(['ip', 'netns', 'exec', net.ns['b'], args.blast, 'recv', 'eth0',
                           str(relay.n), str(total + 3)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if rx.stdout.readline().strip() != 'ready':
        raise RunError(f'rtp_blast recv did not start: {rx.stderr.read()}')
    p = sender(args, net, relay, f'{normal}:{args.pre},0:1,{normal}:{args.post}')
    s = finish(p)
    out, err = rx.communicate(timeout=60)
    if rx.returncode != 0:
        raise RunError(f'rtp_blast recv: exit {rx.returncode}: {err.strip()}')
    r = json.loads(out.strip().splitlines()[-1])
    burst_end = s['phases'][1]['end_ns']
    per_stream_sent = s['phases'][2]['sent'] / relay.n
    rec, lost_for_good, short = [], 0, 0
    for st in r['streams']:
        n_after, first_after = st[4], st[5]
        if n_after == 0:
            lost_for_good += 1
            continue
        rec.append((first_after - burst_end) / 1e6)
        if n_after < 0.9 * per_stream_sent:
            short += 1
    rec.sort()
    b = s['phases'][1]
    return {
        'burst_pps': b['sent'] / ((b['end_ns'] - b['start_ns']) / 1e9),
        'sent': [ph['sent'] for ph in s['phases']],
        'got': r['per_phase'][:3], 'ring_drops': r['ring_drops'],
        'rec_max': rec[-1] if rec else None,
        'rec_p99': rec[min(len(rec) - 1, int(0.99 * len(rec)))] if rec else None,
        'rec_p50': statistics.median(rec) if rec else None,
        'never': lost_for_good, 'short': short,
    }


def quota_framecnt(args):
    """The receive ring's frames under the quota: --quota-framecnt, else A's scaled."""
    if args.quota_framecnt:
        return args.quota_framecnt
    m = re.search(r'framecnt=(\d+)', args.af_packet)
    periods = 2 * 50 * args.quota_streams * CpuQuota.period_us(args.quota) / 1e6
    return max(64, int(periods), int(int(m.group(1) if m else 512) * args.quota / 100))


def quota_runs(args, net, wd, tag, which, counter_pid, res):
    """C: which held to --quota % of a cpu: its capacity flat out, then B with
    --quota-streams streams, each on a fresh start in a fresh cgroup; sbc-dataplane on
    net_af_packet, the ring this benchmark can size, scaled to the quota."""
    wire = wire_vdev(args, quota_framecnt(args))
    for phase in ('capacity', 'overload'):
        quota = CpuQuota(f'{tag}-{which}', args.quota)
        try:
            n = args.sessions if phase == 'capacity' else args.quota_streams
            relay = start(which, args, net, wd, tag, n, quota, wire)
            try:
                t0 = quota.throttled()
                if phase == 'capacity':
                    r = throughput(args, net, relay, 0, counter_pid)
                else:
                    r = overload(args, net, relay, 50 * n)
                t1 = quota.throttled()
            finally:
                relay.stop()
        finally:
            quota.remove()
        r['throttled'] = (t1[1] - t0[1]) / max(1, t1[0] - t0[0])
        res[(which, 'quota', phase)] = r
        if phase == 'capacity':
            print(f'  {which:12s} held to {args.quota:g} % of a cpu, flat out: delivered '
                  f'{r["pps"] / 1e6:.3f} Mpps for {r["cpu"]:.3f} CPU-s/s (throttled in '
                  f'{100 * r["throttled"]:.0f} % of the periods)', flush=True)
        else:
            cap = res[(which, 'quota', 'capacity')]['pps']
            print(f'  {which:12s} held to {args.quota:g} %, overload, {n} streams: burst '
                  f'{r["burst_pps"] / 1e6:.3f} Mpps = {r["burst_pps"] / max(1.0, cap):.1f} x its '
                  f'capacity, recovery max {r["rec_max"]} ms, never {r["never"]}', flush=True)


def build_sink(args):
    """The tc sink's object (tests/bench/sink_drop.c built with clang), or None with the
    reason printed: then b drops in netfilter, its IP input charged to the relays."""
    if args.sink != 'tc':
        return None
    obj = os.path.join(args.wd, 'sink_drop.o')
    clang = shutil.which('clang')
    r = sh(clang, '-O2', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c',
           os.path.join(HERE, 'sink_drop.c'), '-o', obj, check=False) if clang else None
    if r is None or r.returncode != 0:
        print('bench_rtpengine: cannot build the tc sink (clang -target bpf): '
              f'{r.stderr.strip() if r else "no clang"}; b drops in netfilter', flush=True)
        args.sink = 'netfilter'
        return None
    return obj


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--dataplane')
    ap.add_argument('--blast', help='the rtp_blast binary')
    ap.add_argument('--rtpengine', default=shutil.which('rtpengine') or '/usr/bin/rtpengine')
    ap.add_argument('--out')
    ap.add_argument('--sessions', type=int, default=1000)
    ap.add_argument('--seconds', type=float, default=5)
    ap.add_argument('--warmup', type=float, default=1.5)
    ap.add_argument('--pre', type=float, default=2)
    ap.add_argument('--post', type=float, default=3)
    ap.add_argument('--target', type=float, default=5.0)
    ap.add_argument('--rates', help='A\'s offered rates, pps, comma separated, 0 = flat out '
                    '(default: the streams\' own rate, 4 times it, flat out)')
    ap.add_argument('--overload-streams', default='1000,100', help='B\'s stream counts (fewer: '
                    'more packets per stream in the burst)')
    ap.add_argument('--cpu', default='0', help='the sender\'s cpu (the worker lcore is 1)')
    ap.add_argument('--rtpengine-threads', type=int, default=2)
    ap.add_argument('--quota', type=float, default=0,
                    help='C: each relay held to this %% of one cpu (a CPU cgroup) for an overload '
                    'of 10 x its capacity and more; 0: C not run')
    ap.add_argument('--quota-framecnt', type=int, default=0,
                    help='C: sbc-dataplane\'s net_af_packet framecnt under the quota (default: '
                    'A\'s x quota / 100, at least two quota periods of the streams and 64)')
    ap.add_argument('--quota-streams', type=int, default=100,
                    help='C\'s stream count (at 50 pps each: under the held capacity)')
    ap.add_argument('--wire-pmd', choices=('af_packet', 'af_xdp'), default='af_xdp',
                    help='sbc-dataplane\'s PMD on wire0 in A and B: net_af_xdp (an XDP program '
                    'on wire0 redirects to an AF_XDP socket; copy mode on veth) or net_af_packet '
                    '(--af-packet options); C always runs net_af_packet')
    ap.add_argument('--af-xdp', default='', help='more net_af_xdp devargs (e.g. ,busy_budget=0)')
    ap.add_argument('--af-packet', default=',framecnt=2048,qdisc_bypass=1',
                    help='more net_af_packet devargs (default: a ring of 2048 frames against '
                    '512, transmit past the qdisc)')
    ap.add_argument('--relays', default=','.join(RELAYS), help='which relays, in order: '
                    'sbc-busy (poll = busy), sbc-adaptive (poll = adaptive), rtpengine')
    ap.add_argument('--poll-sleep-max-us', type=int, default=200,
                    help='sbc-adaptive\'s poll_sleep_max_us')
    ap.add_argument('--sink', choices=('tc', 'netfilter'), default='tc',
                    help='how b drops what the relays send it: at tc ingress (default; the far '
                    'end\'s IP input kept off the relays\' bill) or after IP input, in netfilter')
    ap.add_argument('--start-timeout', type=float, default=120)
    ap.add_argument('--perf', type=int, default=0, help='with the sender flat out, sample the '
                    'relay with perf and print its top N symbols (>= 2 %%)')
    ap.add_argument('--keep')
    ap.add_argument('--ng', nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.ng:
        ng_client(args.ng[0], int(args.ng[1]), args.ng[2])
        return 0

    if os.geteuid() != 0:
        print('bench_rtpengine: needs root (namespaces, EAL); skipped')
        return SKIP
    for tool in ('ip', 'iptables', 'ethtool', 'taskset', 'tc'):
        if shutil.which(tool) is None:
            print(f'bench_rtpengine: {tool} missing; skipped')
            return SKIP
    if not os.access(args.rtpengine, os.X_OK):
        print(f'bench_rtpengine: {args.rtpengine} missing (Debian rtpengine-daemon, '
              'scripts/deps.sh); skipped')
        return SKIP
    if not args.dataplane or not args.blast:
        print('bench_rtpengine: --dataplane and --blast are required', file=sys.stderr)
        return 2
    relays = args.relays.split(',')
    if not relays or any(w not in RELAYS for w in relays):
        print(f'bench_rtpengine: --relays: each of {", ".join(RELAYS)}', file=sys.stderr)
        return 2
    wd = args.keep or tempfile.mkdtemp(prefix='sbc-bench-rtpe-')
    os.makedirs(wd, exist_ok=True)
    args.wd = wd
    tag = f'{os.environ.get("SBCNET_NS_PREFIX", "")}rtpb{os.getpid()}'
    net = Net(tag)
    normal = 50 * args.sessions
    rates = [int(x) for x in args.rates.split(',')] if args.rates else [normal, 4 * normal, 0]
    args.streams = streams = [int(x) for x in args.overload_streams.split(',') if x]
    res = {}
    load = os.getloadavg()
    try:
        net.up()
        counter = subprocess.Popen(['ip', 'netns', 'exec', net.ns['b'], 'sleep', '100000'])
        net.sink(build_sink(args))
        for rate in rates:
            res[('bare', rate)] = r = bare_sender(args, net, rate, counter.pid)
            print(f'  bare sender  offered {"flat out" if rate == 0 else rate:>8} pps: delivered '
                  f'{r["pps"] / 1e6:.3f} Mpps, {r["cpu"]:.2f} CPU-s/s ({r["sys"]:.2f} system), '
                  f'{r["per_cpu"] / 1e6:.3f} M/CPU-s', flush=True)
        for which in relays:
            # A on one start, B on a fresh one for each stream count (rtpengine gives up a
            # stream that overflowed)
            relay = start(which, args, net, wd, tag, args.sessions)
            try:
                for rate in rates:
                    res[(which, rate)] = r = throughput(args, net, relay, rate, counter.pid)
                    print(f'  {which:12s} offered {"flat out" if rate == 0 else rate:>8} pps: '
                          f'sent {r["sent_pps"] / 1e6:.3f} Mpps, delivered {r["pps"] / 1e6:.3f} '
                          f'Mpps, {r["cpu"]:.2f} CPU-s/s ({r["sys"]:.2f} system), '
                          f'{r["per_cpu"] / 1e6:.3f} M/CPU-s; threads '
                          + ', '.join(f'{n} {c:.2f}' for n, c in r['threads']), flush=True)
            finally:
                relay.stop()
            for n in streams:
                relay = start(which, args, net, wd, tag, n)
                try:
                    res[(which, 'overload', n)] = o = overload(args, net, relay, 50 * n)
                    print(f'  {which:12s} overload, {n} streams: burst {o["burst_pps"] / 1e6:.3f} '
                          f'Mpps, recovery max {o["rec_max"]} ms, never {o["never"]}', flush=True)
                finally:
                    relay.stop()
                if which == 'rtpengine':        # what it said about its receive queues
                    with open(os.path.join(wd, 'rtpengine.log'), errors='replace') as f:
                        log = f.read()
                    o['strikes'] = (log.count('aborting loop'), log.count('discarding packet'))
            if args.quota > 0 and which != 'sbc-busy':     # (see C in the docstring)
                quota_runs(args, net, wd, tag, which, counter.pid, res)
        counter.kill()
    except (RunError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        msg = getattr(e, 'stderr', None) or ''
        print(f'bench_rtpengine: {e} {msg}'.strip(), file=sys.stderr)
        return 1
    finally:
        net.down()
        if not args.keep:
            shutil.rmtree(wd, ignore_errors=True)
    text = report(args, res, rates, load, os.getloadavg())
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text + '\n')
    return 0


def report(args, res, rates, load0, load1):
    def fmt(x, spec='.3f'):
        return '-' if x is None else format(x, spec)

    relays = args.relays.split(',')
    pmd = (f'net_af_packet {args.af_packet.lstrip(",")}' if args.wire_pmd == 'af_packet' else
           wire_vdev(args)[1])
    lines = [f'Media relay on veth, {args.sessions} sessions, sbc-dataplane ({pmd}, 1 worker; '
             f'poll = busy, and adaptive with poll_sleep_max_us = {args.poll_sleep_max_us}) vs '
             'rtpengine 10.5 userspace (--table=-1), same stream, each alone',
             f'{"offered":>10s}  {"relay":12s}  {"sent Mpps":>9s}  {"delivered":>9s}  '
             f'{"CPU-s/s":>7s}  {"user":>5s}  {"system":>6s}  {"M/CPU-s":>7s}  {"sender":>6s}  '
             f'{"ksoftirqd":>9s}  {"sleeps/s":>8s}  {"slept":>5s}  busiest threads (CPU-s/s)']
    for rate in rates:
        for w in relays:
            r = res[(w, rate)]
            lines.append(f'{"flat out" if rate == 0 else f"{rate} pps":>10s}  {w:12s}  '
                         f'{r["sent_pps"] / 1e6:9.3f}  {r["pps"] / 1e6:9.3f}  {r["cpu"]:7.2f}  '
                         f'{r["user"]:5.2f}  {r["sys"]:6.2f}  {r["per_cpu"] / 1e6:7.3f}  '
                         f'{r["sender_cpu"]:6.2f}  {r["softirqd"]:9.2f}  '
                         f'{fmt(r["sleeps"], ".0f"):>8s}  {fmt(r["slept"], ".2f"):>5s}  '
                         + ', '.join(f'{n} {c:.2f}' for n, c in r['threads'][:3]))
        if 'rtpengine' in relays:
            for w in relays:
                if w == 'rtpengine':
                    continue
                ratio = res[(w, rate)]['per_cpu'] / max(1e-9, res[('rtpengine', rate)]['per_cpu'])
                lines.append(f'{"":10s}  {w}/rtpengine per CPU-second: {ratio:.2f} (target >= '
                             f'{args.target:g}: {"met" if ratio >= args.target else "NOT met"})')
        fl = res[('bare', rate)]
        lines.append(f'{"":10s}  bare sender (rtp_blast from the SBC\'s namespace straight to b, no '
                     f'relay): {fl["pps"] / 1e6:.3f} Mpps for {fl["cpu"]:.2f} CPU-s/s = '
                     f'{fl["per_cpu"] / 1e6:.3f} M/CPU-s (writing the frames to this path from '
                     'user space, nothing received)' + ''.join(
                         f'; {w} {res[(w, rate)]["per_cpu"] / max(1e-9, fl["per_cpu"]):.2f} x it'
                         for w in relays))
    for w in relays:
        if res.get((w, 0), {}).get('perf'):
            lines += ['', f'perf, {w} with the sender flat out (comm, object, symbol; share of '
                      'the relay\'s samples):'] + [f'  {x}' for x in res[(w, 0)]['perf']]
    lines += ['', f'Overload: N streams at 50 pps for {args.pre:g} s, the sender flat out for 1 '
              f's, 50 pps for {args.post:g} s, a fresh relay each; per stream, end of the burst '
              '-> first packet of the after-phase arriving (ms)',
              f'{"relay":12s}  {"N":>5s}  {"burst Mpps":>10s}  {"x capacity":>10s}  '
              f'{"max":>7s}  {"p99":>7s}  {"median":>7s}  {"never back":>10s}  '
              f'{"<90% after":>10s}  {"sent (pre/burst/after)":>24s}  {"arrived":>24s}  '
              'ring drops']
    for n in args.streams:
        for w in relays:
            # capacity: what A delivered flat out (not measured when --rates has no 0)
            o, flat = res[(w, 'overload', n)], res.get((w, 0))
            xcap = o['burst_pps'] / max(1.0, flat['pps']) if flat else None
            lines.append(f'{w:12s}  {n:5d}  {o["burst_pps"] / 1e6:10.3f}  '
                         f'{fmt(xcap, ".2f"):>10s}  {fmt(o["rec_max"], ".1f"):>7s}  '
                         f'{fmt(o["rec_p99"], ".1f"):>7s}  {fmt(o["rec_p50"], ".1f"):>7s}  '
                         f'{o["never"]:10d}  {o["short"]:10d}  '
                         f'{"/".join(map(str, o["sent"])):>24s}  '
                         f'{"/".join(map(str, o["got"])):>24s}  {o["ring_drops"]}')
    if args.quota > 0:
        lines += ['', f'Overload under a CPU quota: each relay held to {args.quota:g} % of one '
                  f'cpu (a CPU cgroup, {CpuQuota.period_us(args.quota) / 1000:g} ms periods); '
                  f'capacity = delivered with the sender flat out ({args.sessions} sessions); '
                  f'then {args.quota_streams} '
                  f'streams at 50 pps for {args.pre:g} s, the sender flat out for 1 s, 50 pps for '
                  f'{args.post:g} s on a fresh start under the same quota; sbc-dataplane on '
                  f'net_af_packet, its receive ring {quota_framecnt(args)} frames (scaled with '
                  'the quota, and two periods of the streams)',
                  f'{"relay":12s}  {"capacity Mpps":>13s}  {"burst Mpps":>10s}  '
                  f'{"x capacity":>10s}  {"max":>7s}  {"p99":>7s}  {"median":>7s}  '
                  f'{"never back":>10s}  {"<90% after":>10s}  {"throttled":>9s}  '
                  f'{"sent (pre/burst/after)":>24s}  {"arrived":>24s}']
        for w in [w for w in relays if (w, 'quota', 'overload') in res]:    # (C: no sbc-busy)
            c, o = res[(w, 'quota', 'capacity')], res[(w, 'quota', 'overload')]
            lines.append(f'{w:12s}  {c["pps"] / 1e6:13.4f}  {o["burst_pps"] / 1e6:10.3f}  '
                         f'{o["burst_pps"] / max(1.0, c["pps"]):10.1f}  '
                         f'{fmt(o["rec_max"], ".1f"):>7s}  {fmt(o["rec_p99"], ".1f"):>7s}  '
                         f'{fmt(o["rec_p50"], ".1f"):>7s}  {o["never"]:10d}  {o["short"]:10d}  '
                         f'{100 * o["throttled"]:8.0f}%  '
                         f'{"/".join(map(str, o["sent"])):>24s}  '
                         f'{"/".join(map(str, o["got"])):>24s}')
        lines.append('  throttled: the share of the quota\'s periods in which the relay ran out '
                     'of its quota during the overload run (cgroup cpu.stat).')
    for n in args.streams:
        if ('rtpengine', 'overload', n) not in res:
            continue
        a, d = res[('rtpengine', 'overload', n)].get('strikes', (0, 0))
        lines.append(f'  rtpengine, {n} streams: {a} log lines "Too many packets in UDP receive '
                     f'queue ... aborting loop" (a strike), {d} "UDP receive queue exceeded ... '
                     'discarding packet" (rate-limited lines)')
    lines += ['',
              '  x capacity: the burst\'s rate over what that relay delivered with the sender '
              'flat out in A (its capacity on this path with this sender); the burst is what one '
              'sender core reached (rtp_blast: PACKET_TX_RING, qdisc bypassed).',
              '  CPU-s/s: utime + stime of the relay process (all threads) from /proc/PID/stat '
              'over the interval, split into user and system; with poll = busy sbc-dataplane\'s '
              'worker polls, so it takes a whole core whatever the load; with poll = adaptive it '
              'sleeps after 64 empty polls (sleeps/s, and slept: the share of a second spent in '
              'them, from /sbc/stats idle_sleeps and idle_sleep_us).',
              f'  delivered: b\'s eth0 rx_packets over the same interval ({args.seconds:g} s '
              f'after {args.warmup:g} s warm-up); 172-byte RTP, 214-byte frames; b drops them '
              + ('at tc ingress (tests/bench/sink_drop.c: the relay pays the veth hops, not b\'s '
                 'IP input)' if args.sink == 'tc' else 'in netfilter, after IP input (charged to '
                 'the relay that sends)') + '; the bridge runs no iptables (bridge-nf-call off).',
              '  sender: rtp_blast\'s CPU-s/s; the kernel\'s receive path up to the relay\'s '
              'ring or socket runs in its context, so it pays for that part of each relay. '
              'ksoftirqd: the ksoftirqd threads\' CPU-s/s over the interval (softirq packet work '
              'the kernel deferred to them, in neither process; machine-wide).',
              f'  load average before {load0[0]:.2f} {load0[1]:.2f}, after {load1[0]:.2f} '
              f'{load1[1]:.2f} (2 cores, shared)']
    return '\n'.join(lines)


if __name__ == '__main__':
    sys.exit(main())
