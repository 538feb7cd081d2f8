#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Media relay benchmark: RTP relayed per worker core, next to testpmd 5tswap and io.

sbc-dataplane with N media sessions installed at start (SBC_CMD_MEDIA_SET through
--test-commands, as the control plane sends them) relays a pcap replayed endlessly into its wire
port (net_pcap, infinite_rx=1; the exception port is net_null): --packets distinct RTP frames
(12-byte RTP header + 160 bytes of PCMU, 214-byte frames), each to leg 0 of a different session
spread evenly over the N (every N/packets-th session), from that leg's remote; each is checked
(strict source), counted (RFC 3550 sequence and jitter), rewritten for leg 1 (Ethernet to the
gateway's MAC, IPv4 addresses, UDP ports, incremental UDP checksum) and sent. The legs are
plain RTP with RTCP on the odd ports (four ports a session), so 100,000 sessions take eight
local addresses: [sbc] address and seven media_addresses. The first frame of the pcap is the
gateway's ARP reply (the next hop's MAC), one in --packets + 1 frames.

In the same run, on the same pcap and vdevs, dpdk-testpmd --forward-mode=5tswap (swaps L2-L4
addresses and ports: the work of a relay without its lookups) and io (pass-through); all are
measured as bench_dataplane.py measures them (its measure(): /ethdev/stats,0 ipackets per
CPU-second of the forwarding thread, after a warm-up), rounds alternating, medians kept.
5tswap runs in two shapes: `loop` sends each frame back out of the port it came in on, as the
relay does (one wire port: net_pcap0, whose transmit without tx_pcap frees mbufs one by one);
`paired` sends it out of net_null0 (frees a burst at once), testpmd's default. The target is
against 5tswap loop, the reference doing the relay's transmit; both ratios are printed.
Target: sbc >= 0.85 x testpmd 5tswap (loop).

Exit status: 0 measured, 1 a run failed or a check did not hold, 77 cannot run here.
"""

import argparse
import importlib.util
import ipaddress
import os
import shutil
import statistics
import struct
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import bench_dataplane as bd  # noqa: E402
from sbc_dprun import Program, RunError  # noqa: E402

SKIP = 77
SBC4 = '192.0.2.10'
EXTRA = [f'192.0.2.{11 + i}' for i in range(7)]          # media_addresses
GW4, GW_MAC = '192.0.2.1', '00:00:5e:00:53:01'
PORT_LO, PORT_HI = 1024, 65535
PER_ADDR = (PORT_HI - PORT_LO + 1) // 4                  # sessions per local address
REMOTE_A = int(ipaddress.ip_address('198.18.0.0'))       # RFC 2544 benchmarking range
WIRE_MAC = '02:70:63:61:70:00'                           # net_pcap0's

LEG = struct.Struct('<BBBBHHHH16s16s30s30s')
MSG_HDR = struct.Struct('<HHIQQ')


def session_of(s):
    """(local address, leg 0 port, leg 1 port, remote A, remote B) of session s."""
    addr = ([SBC4] + EXTRA)[s // PER_ADDR]
    base = PORT_LO + (s % PER_ADDR) * 4
    a = str(ipaddress.ip_address(REMOTE_A + s))
    b = f'203.0.113.{1 + s % 250}'
    return addr, base, base + 2, a, b


def commands(path, n):
    def v4(ip):
        return ipaddress.ip_address(ip).packed + bytes(12)

    with open(path, 'wb') as f:
        for s in range(n):
            addr, p0, p1, a, b = session_of(s)
            body = struct.pack('<QII', s + 1, 1, 0)
            body += LEG.pack(4, 0, 0, 0, 0, p0, 30000, 30001, v4(addr), v4(a), b'', b'')
            body += LEG.pack(4, 0, 0, 0, 0, p1, 40000, 40001, v4(addr), v4(b), b'', b'')
            f.write((MSG_HDR.pack(48, 1, len(body), s + 1, 0) + body).ljust(256, b'\0'))


def pcap(path, n, packets):
    from scapy.all import ARP, IP, UDP, Ether, Raw
    frames = [bytes(Ether(dst=WIRE_MAC, src=GW_MAC) /
                    ARP(op=2, hwsrc=GW_MAC, psrc=GW4, hwdst=WIRE_MAC, pdst=SBC4))]
    step = max(1, n // packets)
    for k in range(min(packets, n)):
        s = k * step
        addr, p0, _, a, _ = session_of(s)
        rtp = struct.pack('!BBHII', 0x80, 0, k & 0xffff, 160 * k, 0x1000 + s) + bytes(160)
        frames.append(bytes(Ether(dst=WIRE_MAC, src=GW_MAC) / IP(src=a, dst=addr, tos=0xb8) /
                            UDP(sport=30000, dport=p0) / Raw(rtp)))
    bd.write_pcap(path, frames)
    return len(frames)


def config(path, channel, n, mbufs):
    with open(path, 'w') as f:
        f.write('\n'.join([
            '[sbc]', f'address = {SBC4}/24', f'gateway = {GW4}',
            f'media_ports = {PORT_LO}-{PORT_HI}', 'media_timeout = 3600',
            'media_addresses = ' + ', '.join(EXTRA),
            '[dataplane]', 'wire = net_pcap0', 'exception = net_null0', 'workers = 1',
            f'channel = {channel}', f'mbufs = {mbufs}', f'media_sessions = {n}',
            'calls = 1024',
            '[trunk floor]', 'peers = 198.51.100.0/24', '']))


def perf_lines(args, tag, n, cmd, pcap_path, mbufs):
    """Where the forwarding thread's cycles go (bench_dataplane's profile(): perf record -e
    cpu-clock of that thread alone), the relay's and testpmd 5tswap's."""
    if not args.perf or not os.access(args.perf, os.X_OK):
        return ['', 'perf breakdown skipped: no perf (Debian package linux-perf)']
    rows, mpps, hz = bd.profile(args, 'sbc-dataplane', cmd, f'{tag}-perf', args.wd, True,
                                shm=f'/{tag}-{n}')
    lines = [''] + bd.perf_lines(f'sbc-dataplane, {n} sessions', rows, mpps, args.perf_top)
    if hz:
        lines.append(f'  {hz / (mpps * 1e6):.0f} TSC cycles a packet ({hz / 1e9:.2f} GHz)')
    prefix = f'{tag}-perf-testpmd'
    rows, mpps, _ = bd.profile(args, 'dpdk-testpmd',
                               bd.testpmd_cmd(args, prefix, pcap_path, '5tswap', mbufs, 'loop'),
                               prefix, args.wd, False)
    return lines + [''] + bd.perf_lines(f'dpdk-testpmd 5tswap loop, {n} sessions pcap', rows,
                                        mpps, 8)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--dataplane', required=True)
    ap.add_argument('--testpmd', default=shutil.which('dpdk-testpmd') or '/usr/bin/dpdk-testpmd')
    ap.add_argument('--out', help='also write the table here')
    ap.add_argument('--sessions', default='10000,100000')
    ap.add_argument('--packets', type=int, default=8192, help='distinct frames in the pcap')
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--seconds', type=int, default=3)
    ap.add_argument('--warmup', type=float, default=1.0)
    ap.add_argument('--mem', type=int, default=1024)
    ap.add_argument('--huge-dir')
    ap.add_argument('--start-timeout', type=float, default=120)
    ap.add_argument('--target', type=float, default=0.85, help='x testpmd 5tswap (loop)')
    ap.add_argument('--keep')
    ap.add_argument('--baseline', help='another sbc-dataplane build (before a change) measured '
                    'in the same rounds')
    ap.add_argument('--perf', default=shutil.which('perf') or '',
                    help='perf binary (Debian linux-perf), for --perf-sessions')
    ap.add_argument('--perf-sessions', default='',
                    help='after the rounds, profile the relay and testpmd 5tswap with these '
                    'table sizes (e.g. 100000)')
    ap.add_argument('--perf-seconds', type=int, default=3)
    ap.add_argument('--perf-top', type=int, default=20)
    ap.add_argument('--same-seconds', type=int, default=10,
                    help='seconds of the relay beside testpmd 5tswap loop at the same time, for '
                    'each table size (0: none)')
    ap.add_argument('--alternate', type=int, default=10,
                    help='turns of a second each, the relay and testpmd 5tswap loop one after '
                    'the other on the same cpu, for each table size (0: none)')
    args = ap.parse_args()

    if os.geteuid() != 0:
        print('bench_media: needs root (DPDK EAL); skipped')
        return SKIP
    if importlib.util.find_spec('scapy') is None:
        print('bench_media: python3-scapy missing; skipped')
        return SKIP
    if not os.access(args.testpmd, os.X_OK):
        print(f'bench_media: {args.testpmd} missing (dpdk package); skipped')
        return SKIP
    sizes = [int(x) for x in args.sessions.split(',')]
    if max(sizes) > PER_ADDR * (1 + len(EXTRA)):
        print(f'bench_media: at most {PER_ADDR * (1 + len(EXTRA))} sessions', file=sys.stderr)
        return 2
    os.sched_setaffinity(0, {0})
    args.wd = args.keep or tempfile.mkdtemp(prefix='sbc-bench-media-')
    os.makedirs(args.wd, exist_ok=True)
    tag = f'mdp-bench{os.getpid()}'
    pcaps, cmds = {}, {}
    for n in sizes:
        pcaps[n] = os.path.join(args.wd, f'rtp_{n}.pcap')
        frames = pcap(pcaps[n], n, args.packets)
        cmds[n] = os.path.join(args.wd, f'sessions_{n}.bin')
        commands(cmds[n], n)
    mbufs = 4 * frames + 8191       # testpmd's pool holds the replayed pcap too

    def sbc_cmd(prefix, n, binary=args.dataplane, channel=None):
        """channel: another than the relay's, for a program beside it (--baseline)."""
        channel = channel or f'/{tag}-{n}'
        conf = os.path.join(args.wd, f'sbc_{channel.strip("/")}.conf')
        config(conf, channel, n, mbufs)
        return [binary, *bd.eal_args(prefix, pcaps[n], args), '--', '-c', conf,
                '--test-commands', cmds[n]]

    def sbc_prog(prefix, n, binary=args.dataplane, channel=None):
        """sbc-dataplane on n sessions (sbc_cmd), its channel removed at cleanup."""
        return Program('sbc-dataplane', sbc_cmd(prefix, n, binary, channel), prefix, args.wd,
                       shm=channel or f'/{tag}-{n}')

    def relay(r, n, binary, label):
        """One run of a data plane build: its Mpps; a note when it relayed too little."""
        res = bd.measure(sbc_prog(f'{tag}-sbc', n, binary), args, True)
        d = res['d_sbc']
        relayed = d['rx'] - d['to_exception'] - d['to_wire'] - d['reject_sent'] - d['dropped']
        if relayed < 0.99 * d['rx']:
            notes.append(f'{label}, {n} sessions, round {r + 1}: relayed {relayed} of '
                         f'{d["rx"]} received (drops {res["d_drops"]})')
        loads.append(os.getloadavg()[0])
        bd.keep_best(best, (n, label), res)
        print(f'  round {r + 1}: {label:14s} {n:6d} sessions      {res["mpps"]:6.2f} Mpps '
              f'({relayed / max(1, d["rx"]):.4f} of rx relayed; / 5tswap loop '
              f'{res["mpps"] / ref[(n, "loop")][-1]:.2f}; load average {loads[-1]:.1f})',
              flush=True)
        return res['mpps']

    # reference -> (testpmd forward mode, port topology)
    refs = {'loop': ('5tswap', 'loop'), 'paired': ('5tswap', 'paired'), 'io': ('io', 'paired')}
    ref = {(n, m): [] for n in sizes for m in refs}
    sbc = {n: [] for n in sizes}
    ratio = {n: [] for n in sizes}      # / 5tswap loop, the target's
    ratio_p = {n: [] for n in sizes}    # / 5tswap paired
    base = {n: [] for n in sizes}       # --baseline's Mpps / 5tswap loop
    best = {}      # (sessions, program) -> the best one-second wall-clock rate of all rounds
    notes, loads = [], []
    try:
        for r in range(args.rounds):
            for n in sizes:
                for name, (mode, topo) in refs.items():
                    res = bd.measure(bd.testpmd(args, f'{tag}-{name}', pcaps[n], mode, args.wd,
                                                mbufs, topo), args, False)
                    ref[(n, name)].append(res['mpps'])
                    bd.keep_best(best, (n, name), res)
                    print(f'  round {r + 1}: testpmd {mode} {topo:6s} {n:6d} sessions pcap '
                          f'{res["mpps"]:6.2f} Mpps', flush=True)
                sbc[n].append(relay(r, n, args.dataplane, 'sbc relay'))
                ratio[n].append(sbc[n][-1] / ref[(n, 'loop')][-1])
                ratio_p[n].append(sbc[n][-1] / ref[(n, 'paired')][-1])
                if args.baseline:
                    base[n].append(relay(r, n, args.baseline, 'baseline') /
                                   ref[(n, 'loop')][-1])
        same = {}      # sessions -> per-second ratios, relay / 5tswap loop at the same time
        if args.same_seconds > 0:
            for n in sizes:
                tp = bd.testpmd(args, f'{tag}-same-tp', pcaps[n], '5tswap', args.wd, mbufs, 'loop')
                (r_tp, r_sbc), _ = bd.same_seconds(args, [tp, sbc_prog(f'{tag}-same-sbc', n)],
                                                   args.same_seconds)
                same[n] = (bd.ratios(r_tp, r_sbc), r_sbc, r_tp)
                print(f'  same seconds: {n:6d} sessions, relay / 5tswap loop '
                      f'{statistics.median(same[n][0]):.3f}', flush=True)
        alt = {}       # sessions -> per-turn ratios, relay / 5tswap loop the turn before
        for n in sizes if args.alternate > 0 else []:
            tp = bd.testpmd(args, f'{tag}-alt-tp', pcaps[n], '5tswap', args.wd, mbufs, 'loop')
            progs = [tp, sbc_prog(f'{tag}-alt-sbc', n)]
            if args.baseline:
                progs.append(sbc_prog(f'{tag}-alt-base', n, args.baseline, f'/{tag}-{n}-base'))
            rates = bd.alternate(args, progs, args.alternate)
            r_tp, r_sbc = rates[0], rates[1]
            alt[n] = (bd.ratios(r_tp, r_sbc), r_sbc, r_tp,
                      bd.ratios(r_tp, rates[2]) if args.baseline else [])
            print(f'  turns of a second: {n:6d} sessions, relay / 5tswap loop '
                  f'{statistics.median(alt[n][0]):.3f} (turns {min(alt[n][0]):.3f}-'
                  f'{max(alt[n][0]):.3f})' +
                  (f'; baseline {statistics.median(alt[n][3]):.3f}' if alt[n][3] else ''),
                  flush=True)
        perf_text = []
        for n in [int(x) for x in args.perf_sessions.split(',') if x]:
            perf_text += perf_lines(args, tag, n, sbc_cmd(f'{tag}-perf', n), pcaps[n], mbufs)
    except RunError as e:
        print(f'bench_media: {e}', file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(args.wd, ignore_errors=True)

    rc = 1 if notes else 0
    med = statistics.median
    if args.rounds == 0:    # --perf-sessions alone
        print('\n'.join(perf_text))
        return rc
    lines = ['RTP relay per worker core (1 forwarding lcore), sbc-dataplane vs dpdk-testpmd on the '
             'same pcap and vdevs',
             f'{"sessions":>9s}  {"sbc Mpps":>9s}  {"5tswap loop":>11s}  {"5tswap paired":>13s}  '
             f'{"io":>6s}  {"sbc/loop":>8s}  {"spread":>9s}  {"sbc/paired":>10s}  {"spread":>9s}']
    for n in sizes:
        lines.append(f'{n:9d}  {med(sbc[n]):9.2f}  {med(ref[(n, "loop")]):11.2f}  '
                     f'{med(ref[(n, "paired")]):13.2f}  {med(ref[(n, "io")]):6.2f}  '
                     f'{med(ratio[n]):8.2f}  {min(ratio[n]):.2f}-{max(ratio[n]):.2f}  '
                     f'{med(ratio_p[n]):10.2f}  {min(ratio_p[n]):.2f}-{max(ratio_p[n]):.2f}')
    pages = (f'2 MB hugepages ({args.huge_dir}, --mem {args.mem})' if args.huge_dir else
             f'4 KiB pages (--no-huge, -m {args.mem})')
    lines += ['', f'  Memory: {pages}, for sbc-dataplane and testpmd alike.',
              f'  {args.packets} distinct 214-byte RTP frames per pcap, each to a different '
              'session (evenly spread), replayed with net_pcap infinite_rx=1; exception port '
              'net_null0.',
              f'  Mpps = ipackets per CPU-second of the forwarding thread, {args.seconds} s after '
              f'{args.warmup} s warm-up; medians of {args.rounds} rounds; ratio per round; '
              f'1-minute load average {min(loads):.1f}-{max(loads):.1f} (at each relay run\'s end).',
              '  5tswap loop: testpmd --port-topology=loop, each frame back out of net_pcap0 '
              'as the relay sends it; paired: out of net_null0 (testpmd\'s default).',
              f'  Target sbc >= {args.target:g} x testpmd 5tswap loop: ' +
              ', '.join(f'{n}: {"met" if med(ratio[n]) >= args.target else "NOT met"}'
                        for n in sizes)]
    lines.append('  Best one-second rate of any round (wall clock, the least disturbed second: '
                 'the host\'s other tenants slow every program by up to a third at times), '
                 'sbc relay / 5tswap loop: ' +
                 ', '.join(f'{n}: {best[(n, "sbc relay")]:.2f} / {best[(n, "loop")]:.2f} = '
                           f'{best[(n, "sbc relay")] / best[(n, "loop")]:.2f}' for n in sizes) +
                 '; the target is judged on the medians above.')
    if same:
        lines.append(f'  Same seconds ({args.same_seconds} s each, after the rounds): the relay and '
                     f'testpmd 5tswap loop run at once on lcore 1, taking turns of {bd.RR_SLICE_MS} '
                     'ms (SCHED_RR), so both meet the same state of the host; each second the '
                     'relay\'s Mpps per core-second over testpmd\'s (the turns cost the relay '
                     'some cache refills: this errs against it): ' +
                     ', '.join(f'{n}: {med(v[0]):.3f} (seconds {min(v[0]):.3f}-{max(v[0]):.3f}; '
                               f'{med(v[1]):.2f} / {med(v[2]):.2f} Mpps), target '
                               f'{"met" if med(v[0]) >= args.target else "NOT met"}'
                               for n, v in same.items() if v[0]))
    if alt:
        lines.append(f'  Turns of a second ({args.alternate} each, after the rounds): testpmd '
                     '5tswap loop, then the relay, each alone on lcore 1 while the other is '
                     'stopped (SIGSTOP), turn after turn; each turn the relay\'s Mpps per '
                     'core-second over testpmd\'s in the turn before it (a second apart, and '
                     'the caches refilled once a turn, not 50 times a second): ' +
                     ', '.join(f'{n}: {med(v[0]):.3f} (turns {min(v[0]):.3f}-{max(v[0]):.3f}; '
                               f'{med(v[1]):.2f} / {med(v[2]):.2f} Mpps), target '
                               f'{"met" if med(v[0]) >= args.target else "NOT met"}'
                               for n, v in alt.items() if v[0]))
        if args.baseline:
            lines.append('  --baseline in the same turns (its turn after the relay\'s), x 5tswap '
                         'loop: ' + ', '.join(f'{n}: {med(v[3]):.3f} ({min(v[3]):.3f}-'
                                              f'{max(v[3]):.3f})'
                                              for n, v in alt.items() if v[3]))
    if args.baseline:
        lines.append(f'  --baseline {args.baseline} in the same rounds, x 5tswap loop: ' +
                     ', '.join(f'{n}: {med(base[n]):.2f} ({min(base[n]):.2f}-{max(base[n]):.2f})'
                               for n in sizes))
    lines += notes + perf_text
    text = '\n'.join(lines)
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text + '\n')
    return rc


if __name__ == '__main__':
    sys.exit(main())
