#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
packet: media sessions over the live channel, a session removed mid-stream (issue 12).

A real sbc-dataplane whose wire port is a net_tap in a network namespace of its own; the probe
(media_probe.c) plays the control plane's end of the channel; scapy sends RTP into the tap and
captures what the data plane sends back. A session is installed (MEDIA_READY), RTP streams from
leg 0's remote, and the session is removed (MEDIA_DEL) while it streams: every packet is either
relayed (before the removal) or dropped media_no_session (after it), none twice or lost; the
figures MEDIA_GONE carries equal what was relayed and captured. Then MEDIA_FLUSH frees every
port (a new session takes them), a port in use is refused -EADDRINUSE, a leg on an address or
port not ours -EINVAL, a re-SET is READY with its seq; a re-SET that moves both remotes (a
re-INVITE to a new address, and to a new port) sends media to the new ones only, the old
address's packets dropped media_foreign. Exit 0 pass, 1 fail, 77 skip.
usage: test_media_channel.py SBC_DATAPLANE MEDIA_PROBE SBCCTL
"""

import json
import os
import subprocess
import sys
import threading
import time

SBC, A, B = '192.0.2.10', '192.0.2.20', '192.0.2.30'
MAC_A, MAC_B = '00:00:5e:00:53:0a', '00:00:5e:00:53:0b'
N = 300
EADDRINUSE, EINVAL = 98, 22


def fail(msg):
    print(f'FAIL - {msg}')
    sys.exit(1)


def outer():
    if os.geteuid() != 0:
        print('SKIP: needs root (EAL, network namespaces)')
        return 77
    try:
        import scapy.all  # noqa: F401
    except ImportError:
        print('SKIP: python3-scapy missing')
        return 77
    ns = f'mdpmc{os.getpid()}'
    subprocess.run(['ip', 'netns', 'add', ns], check=True)
    try:
        return subprocess.run(['ip', 'netns', 'exec', ns, sys.executable, __file__, '--inner',
                               *sys.argv[1:]]).returncode
    finally:
        if subprocess.run(['ip', 'netns', 'del', ns]).returncode != 0:
            print(f'sbc: could not remove network namespace {ns}', file=sys.stderr)


class Probe:
    def __init__(self, path, channel):
        self.p = subprocess.Popen([path, '--channel', channel], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        if self.p.stdout.readline().strip() != 'attached':
            fail('media_probe did not attach')

    def ask(self, line):
        self.p.stdin.write(line + '\n')
        self.p.stdin.flush()
        got = self.p.stdout.readline().split()
        if not got or got[0] == 'timeout':
            fail(f'no answer to "{line}" within 15 s')
        return got


def inner(dp, probe_path, sbcctl):
    from scapy.all import ARP, IP, UDP, AsyncSniffer, Ether, Raw, sendp
    uniq = f'{os.getpid()}x{os.urandom(3).hex()}'      # a stale run's names never clash
    prefix, chan, tap = f'mdp-mc{uniq}', f'/mdp-mc{uniq}', 'mdpw0'
    wd = f'/tmp/mdp-mc{uniq}'
    os.makedirs(wd, exist_ok=True)
    with open(f'{wd}/sbc.conf', 'w') as f:
        f.write(f'[sbc]\naddress = {SBC}/24\n[dataplane]\nwire = net_tap0\n'
                f'exception = net_null0\nworkers = 1\nchannel = {chan}\ncalls = 1024\n'
                '[trunk floor]\npeers = 198.51.100.0/24\n')
    log = open(f'{wd}/dp.log', 'w')
    d = subprocess.Popen([dp, '--no-pci', '--no-huge', '-m', '1024', f'--file-prefix={prefix}',
                          '-l', '0-1', '--vdev', f'net_tap0,iface={tap}', '--vdev',
                          'net_null0,no-rx=1', '--', '-c', f'{wd}/sbc.conf'],
                         stdout=log, stderr=subprocess.STDOUT)
    probe = None
    try:
        end = time.monotonic() + 60
        while 'sbc-dataplane: ready' not in open(f'{wd}/dp.log').read():
            if time.monotonic() > end or d.poll() is not None:
                fail('the data plane did not start:\n' + open(f'{wd}/dp.log').read()[-2000:])
            time.sleep(0.1)

        def tel(*cmd):
            out = subprocess.run([sbcctl, '-p', prefix, '--json', *cmd], capture_output=True,
                                 text=True, check=True).stdout
            return json.loads(out)

        subprocess.run(['sysctl', '-qw', f'net.ipv6.conf.{tap}.disable_ipv6=1'])
        subprocess.run(['ip', 'link', 'set', tap, 'up'], check=True)
        mac = tel('ports')['wire']['mac'].lower()
        probe = Probe(probe_path, chan)

        def relayed(p):
            return Ether in p and p[Ether].src == mac and UDP in p
        sniff = AsyncSniffer(iface=tap, lfilter=relayed, store=True)
        sniff.start()
        time.sleep(0.5)
        for ip, m in ((A, MAC_A), (B, MAC_B)):
            sendp(Ether(dst='ff:ff:ff:ff:ff:ff', src=m) / ARP(op=1, hwsrc=m, psrc=ip, pdst=SBC),
                  iface=tap, verbose=0)
        got = probe.ask(f'set 1 1 {SBC} 20000 {A} 40000 20002 {B} 50000')
        if got != ['ready', '1', '1', '0']:
            fail(f'set 1: {got}')
        print('ok   - MEDIA_SET answered MEDIA_READY 1/1 error 0')

        frames = [Ether(dst=mac, src=MAC_A) / IP(src=A, dst=SBC) / UDP(sport=40000, dport=20000) /
                  Raw(bytes([0x80, 0]) + k.to_bytes(2, 'big') + bytes(168)) for k in range(N)]
        sent = [0]

        def stream():
            for f in frames:
                # counted before it goes: a frame relayed before MEDIA_GONE is then always
                # within at_gone (counted after, it could be relayed and not yet counted)
                sent[0] += 1
                sendp(f, iface=tap, verbose=0)
                time.sleep(0.002)
        t = threading.Thread(target=stream)
        t.start()
        while sent[0] < N // 3:
            time.sleep(0.01)
        gone = probe.ask('del 1 1')
        at_gone = sent[0]
        t.join()
        if gone[:3] != ['gone', '1', '1']:
            fail(f'del 1: {gone}')
        print(f'ok   - MEDIA_DEL answered MEDIA_GONE with {gone[3]} packets from leg 0, '
              f'{at_gone} of {N} sent by then')

        end = time.monotonic() + 20
        while True:
            st, dr = tel('stats'), tel('drops')
            done = st['media_relayed'] + dr['media_no_session']
            if done >= N or time.monotonic() > end:
                break
            time.sleep(0.1)
        time.sleep(0.5)
        sniff.stop()
        cap = [p for p in sniff.results if p[IP].src == SBC and p[IP].dst == B and
               p[UDP].sport == 20002 and p[UDP].dport == 50000]
        errs = []
        if st['media_relayed'] + dr['media_no_session'] != N:
            errs.append(f'relayed {st["media_relayed"]} + media_no_session '
                        f'{dr["media_no_session"]} != {N} sent')
        if int(gone[3]) != st['media_relayed']:
            errs.append(f'MEDIA_GONE leg 0 packets {gone[3]} != relayed {st["media_relayed"]}')
        if len(cap) != st['media_relayed']:
            errs.append(f'captured {len(cap)} relayed frames, the data plane counted '
                        f'{st["media_relayed"]}')
        if not 0 < st['media_relayed'] <= at_gone or dr['media_no_session'] < N - at_gone:
            errs.append(f'relayed {st["media_relayed"]}, dropped {dr["media_no_session"]}: not '
                        f'split at the removal (sent {at_gone} before MEDIA_GONE)')
        seqs = [int.from_bytes(bytes(p[Raw])[2:4], 'big') for p in cap]
        if seqs != list(range(len(seqs))):
            errs.append('the relayed frames are not the first ones sent, in order')
        for e in errs:
            print(f'FAIL - {e}')
        if errs:
            return 1
        print(f'ok   - mid-stream removal: {st["media_relayed"]} relayed (all captured, equal to '
              f'MEDIA_GONE\'s figure), {dr["media_no_session"]} dropped media_no_session, '
              f'{N} in all')

        checks = [(f'set 2 1 {SBC} 20010 {A} 41000 20012 {B} 51000', ['ready', '2', '1', '0']),
                  (f'set 3 1 {SBC} 20012 {A} 42000 20014 {B} 52000',
                   ['ready', '3', '1', str(-EADDRINUSE)]),
                  (f'set 4 1 192.0.2.99 20020 {A} 43000 20022 {B} 53000',
                   ['ready', '4', '1', str(-EINVAL)]),     # not our address
                  (f'set 4 1 {SBC} 30000 {A} 43000 20022 {B} 53000',
                   ['ready', '4', '1', str(-EINVAL)]),     # outside media_ports
                  ('flush', ['flushed']),
                  (f'set 3 1 {SBC} 20012 {A} 42000 20014 {B} 52000', ['ready', '3', '1', '0']),
                  (f'set 3 2 {SBC} 20012 {A} 42002 20014 {B} 52000', ['ready', '3', '2', '0'])]
        for line, want in checks:
            got = probe.ask(line)
            if got != want:
                fail(f'"{line}": got {got}, want {want}')
            print(f'ok   - {line} -> {" ".join(got)}')
        m = tel('media')
        if m['sessions'] != 1 or m['flushes'] != 1 or m['updates'] != 1:
            fail(f'/sbc/media sessions/flushes/updates {m["sessions"]}/{m["flushes"]}/'
                 f'{m["updates"]}, want 1/1/1')
        print('ok   - /sbc/media: 1 session, 1 flush, 1 update')
        return new_address(probe, tel, tap, mac)
    finally:
        stop(probe, d)
        subprocess.run(['rm', '-rf', wd, f'/var/run/dpdk/{prefix}', f'/dev/shm{chan}'])


def new_address(probe, tel, tap, mac):
    """A re-INVITE moves both remotes (leg 0 to another address, leg 1 to another port): after
    the re-SET's READY, media goes to the new ones only and the old address is foreign."""
    from scapy.all import ARP, IP, UDP, AsyncSniffer, Ether, Raw, sendp
    C, MAC_C = '192.0.2.40', '00:00:5e:00:53:0c'
    n = 20

    def rtp(k):
        return Raw(bytes([0x80, 0]) + k.to_bytes(2, 'big') + bytes(168))

    def send(src, m, sport, dport, first):
        for k in range(first, first + n):
            sendp(Ether(dst=mac, src=m) / IP(src=src, dst=SBC) / UDP(sport=sport, dport=dport) /
                  rtp(k), iface=tap, verbose=0)

    def settle(want):
        end = time.monotonic() + 10
        while time.monotonic() < end:
            st, dr = tel('stats'), tel('drops')
            if st['media_relayed'] + dr['media_foreign'] >= want:
                break
            time.sleep(0.1)
        time.sleep(0.3)
        return tel('stats')['media_relayed'], tel('drops')['media_foreign']

    sendp(Ether(dst='ff:ff:ff:ff:ff:ff', src=MAC_C) / ARP(op=1, hwsrc=MAC_C, psrc=C, pdst=SBC),
          iface=tap, verbose=0)
    sniff = AsyncSniffer(iface=tap, store=True,
                         lfilter=lambda p: Ether in p and p[Ether].src == mac and UDP in p)
    sniff.start()
    time.sleep(0.5)
    r0, f0 = tel('stats')['media_relayed'], tel('drops')['media_foreign']
    got = probe.ask(f'set 5 1 {SBC} 20030 {A} 44000 20032 {B} 54000')
    if got != ['ready', '5', '1', '0']:
        fail(f'set 5/1: got {got}')
    send(A, MAC_A, 44000, 20030, 0)                    # before: relayed to B:54000
    r1, _ = settle(r0 + f0 + n)
    got = probe.ask(f'set 5 2 {SBC} 20030 {C} 44100 20032 {B} 54100')
    if got != ['ready', '5', '2', '0']:
        fail(f're-SET 5/2: got {got}')
    send(A, MAC_A, 44000, 20030, 100)                  # the old remote: foreign now
    send(C, MAC_C, 44100, 20030, 200)                  # the new one: relayed to B:54100
    send(B, MAC_B, 54100, 20032, 300)                  # leg 1's new port: relayed to C:44100
    r2, f2 = settle(r1 + f0 + 3 * n)
    sniff.stop()
    cap = [(p[IP].dst, p[UDP].dport, int.from_bytes(bytes(p[Raw])[2:4], 'big'))
           for p in sniff.results if IP in p and p[UDP].sport in (20030, 20032)]
    want = ([(B, 54000, k) for k in range(n)] + [(B, 54100, k) for k in range(200, 200 + n)] +
            [(C, 44100, k) for k in range(300, 300 + n)])
    errs = []
    if sorted(cap) != sorted(want):
        errs.append(f'relayed after the move: {len(cap)} frames, want {len(want)}; '
                    f'unexpected {sorted(set(cap) - set(want))[:5]}, missing '
                    f'{sorted(set(want) - set(cap))[:5]}')
    if (r1 - r0, r2 - r1, f2 - f0) != (n, 2 * n, n):
        errs.append(f'relayed {r1 - r0} before and {r2 - r1} after, media_foreign {f2 - f0}; '
                    f'want {n}, {2 * n}, {n}')
    for e in errs:
        print(f'FAIL - {e}')
    if errs:
        return 1
    print(f'ok   - re-SET to new remotes (re-INVITE): {n} relayed to the old ones before; after '
          f'it {2 * n} relayed to the new ones only, the old address\'s {n} dropped '
          'media_foreign')
    return 0


def stop(probe, d):
    """The probe, then the data plane (SIGTERM; killed if it has not exited in 60 s)."""
    if probe:
        probe.p.stdin.close()
        try:
            probe.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            probe.p.kill()
            probe.p.wait()
    d.terminate()
    try:
        rc = d.wait(timeout=60)
    except subprocess.TimeoutExpired:
        d.kill()
        rc = d.wait()
        print('FAIL - sbc-dataplane did not exit within 60 s of SIGTERM')
    if rc != 0:
        print(f'FAIL - sbc-dataplane exit {rc}')


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == '--inner':
        sys.exit(inner(*sys.argv[2:5]))
    if len(sys.argv) != 4:
        print(__doc__)
        sys.exit(2)
    sys.exit(outer())
