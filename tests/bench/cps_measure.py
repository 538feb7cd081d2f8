#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
The measuring side of the end-to-end CPS benchmark (tests/bench/bench_cps.sh), stdlib only.

  cps_measure.py cpu PID...            CPU time (utime + stime, plus that of reaped children) of
                                       each PID's whole process tree, in ms, one line each
  cps_measure.py reaped PID            CPU time of PID's children that PID has waited for (cutime +
                                       cstime), in ms
  cps_measure.py calls DIR             one rate step's sipp files in DIR: the sums of the last
                                       rows of the statistics (uac*.csv) and message counts
                                       (*_counts.csv), "created successful failed unexpected"
  cps_measure.py latency IN OUT        INVITE-in -> INVITE-out: two captures (pcap) of INVITEs,
                                       the caller's side and the carrier's; each call is known
                                       by its number in the Request-URI user (or else the From
                                       user), "SERVICE-N"; the first copy of each on each side
                                       counts (retransmissions are ignored). Prints "matched
                                       in out p50_ms p99_ms" (p50/p99 "-" when nothing matched)
"""
import csv
import os
import re
import struct
import sys

TICK_MS = 1000.0 / os.sysconf('SC_CLK_TCK')


def proc_table():
    """pid -> (ppid, utime + stime + cutime + cstime) for every process now."""
    table = {}
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open(f'/proc/{d}/stat') as f:
                st = f.read()
        except OSError:
            continue                    # gone meanwhile
        fields = st[st.rfind(')') + 2:].split()
        # after "pid (comm) ": state ppid ... utime(14) stime cutime cstime, 1-based in proc(5)
        table[int(d)] = (int(fields[1]), sum(int(x) for x in fields[11:15]))
    return table


def tree_ms(root, table):
    kids = {}
    for pid, (ppid, _) in table.items():
        kids.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            total += table[pid][1]
        todo.extend(kids.get(pid, ()))
    return total * TICK_MS


def cmd_cpu(pids):
    table = proc_table()
    for p in pids:
        print('%.0f' % tree_ms(int(p), table))


def last_rows(names):
    for name in names:
        with open(name, newline='') as f:
            rows = [r for r in csv.reader(f, delimiter=';') if r]
        if len(rows) >= 2:
            yield rows[0], rows[-1]


def cmd_reaped(pid):
    with open(f'/proc/{pid}/stat') as f:
        st = f.read()
    fields = st[st.rfind(')') + 2:].split()
    print('%.0f' % ((int(fields[13]) + int(fields[14])) * TICK_MS))


def cmd_calls(d):
    created = ok = failed = unexp = 0
    files = sorted(os.listdir(d))
    for head, last in last_rows(os.path.join(d, n) for n in files
                                if n.startswith('uac') and n.endswith('.csv')):
        created += int(last[head.index('OutgoingCall(C)')])
        ok += int(last[head.index('SuccessfulCall(C)')])
        failed += int(last[head.index('FailedCall(C)')])
    for head, last in last_rows(os.path.join(d, n) for n in files if n.endswith('_counts.csv')):
        unexp += sum(int(v) for k, v in zip(head, last) if k.endswith('_Unexp') and v)
    print(created, ok, failed, unexp)


RURI = re.compile(rb'^INVITE [a-z]+:([^@;> ]+)@')
FROM = re.compile(rb'\r\n(?:From|f)[ \t]*:[^\r\n]*?sips?:([^@;> ]+)@', re.I)
NUMBERED = re.compile(rb'^[A-Za-z0-9]+-[0-9]+$')


def call_key(payload):
    m = RURI.match(payload)
    if m and NUMBERED.match(m.group(1)):
        return m.group(1)
    m = FROM.search(payload)
    if m and NUMBERED.match(m.group(1)):
        return m.group(1)
    return None


def udp_payloads(name):
    """(time in s, UDP payload) of each IPv4/UDP frame of a pcap file (Ethernet, maybe VLAN)."""
    with open(name, 'rb') as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    for endian in ('<', '>'):
        m = struct.unpack(endian + 'I', magic)[0]
        if m in (0xa1b2c3d4, 0xa1b23c4d):
            break
    else:
        raise SystemExit(f'{name}: not a pcap file (write it with tshark -F pcap)')
    frac = 1e-9 if m == 0xa1b23c4d else 1e-6
    linktype = struct.unpack(endian + 'I', data[20:24])[0]
    if linktype != 1:
        raise SystemExit(f'{name}: link type {linktype}, expected Ethernet')
    off = 24
    while off + 16 <= len(data):
        sec, sub, incl, _ = struct.unpack(endian + 'IIII', data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        l2 = 14
        etype = struct.unpack('!H', frame[12:14])[0] if len(frame) >= 14 else 0
        while etype in (0x8100, 0x88a8) and len(frame) >= l2 + 4:
            etype = struct.unpack('!H', frame[l2 + 2:l2 + 4])[0]
            l2 += 4
        if etype != 0x0800 or len(frame) < l2 + 20:
            continue
        ihl = (frame[l2] & 0x0f) * 4
        if frame[l2 + 9] != 17:
            continue
        yield sec + sub * frac, frame[l2 + ihl + 8:]


def first_seen(name):
    seen = {}
    for t, payload in udp_payloads(name):
        key = call_key(payload)
        if key is not None and key not in seen:
            seen[key] = t
    return seen


def pct(sorted_vals, p):
    """nearest-rank percentile"""
    k = max(0, min(len(sorted_vals) - 1, int(-(-p * len(sorted_vals) // 100)) - 1))
    return sorted_vals[k]


def cmd_latency(fin, fout):
    a, b = first_seen(fin), first_seen(fout)
    d = sorted((b[k] - a[k]) * 1000.0 for k in a.keys() & b.keys())
    if d:
        print(len(d), len(a), len(b), '%.3f' % pct(d, 50), '%.3f' % pct(d, 99))
    else:
        print(0, len(a), len(b), '-', '-')


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'cpu':
        cmd_cpu(args)
    elif cmd == 'reaped' and len(args) == 1:
        cmd_reaped(args[0])
    elif cmd == 'calls' and len(args) == 1:
        cmd_calls(args[0])
    elif cmd == 'latency' and len(args) == 2:
        cmd_latency(*args)
    else:
        raise SystemExit(__doc__)


if __name__ == '__main__':
    main()
