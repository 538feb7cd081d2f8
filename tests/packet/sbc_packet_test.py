#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Suite 'packet': table-driven pcap-in / pcap-out cases through the real sbc-dataplane.

A case names its input frames (wire port, exception port), the frames it expects out of each
port and the counters it expects on the stats socket. The runner writes the inputs as pcap files,
starts sbc-dataplane on two net_pcap ports with the case's configuration, waits for
`sbc-dataplane: idle`, reads /sbc/stats, /sbc/drops, /sbc/trunks and /sbc/ports (with
`sbcctl --json`, or straight from the telemetry socket when no sbcctl is given), stops the data
plane with SIGTERM (it must exit 0; that also flushes the tx pcaps) and compares:

  - the output frames byte for byte (pcap timestamps ignored); a 403 the data plane builds is
    checked field by field against RFC 3261 8.2.6 / 18.2.1 / 18.2.2 and RFC 3581 instead;
  - the counters a case names, exactly; every drop reason the case does not name must be 0;
  - on every case: rx + exc_rx == to_exception + to_wire + reject_sent + dropped, dropped == the
    sum of /sbc/drops, rx / exc_rx == the frames fed to each port, and the output pcaps hold
    to_exception (exception port) and to_wire + reject_sent (wire port) frames.

Layout: this file is the command line; harness.py holds the frame and SIP builders, the runner
(on tests/lib/sbc_dprun.py, shared with the bench) and the checks; cases/<feature>.py hold the
cases, one file per feature (acl, l2l3, malformed, host, frag, sip_reply, admission, corpus,
deny, register).

usage: sbc_packet_test.py --list [--describe]
       sbc_packet_test.py --dataplane PATH [--sbcctl PATH] --case NAME [--keep DIR]
exit status: 0 pass, 1 fail, 77 skip (not root, no scapy, a binary missing); the SIP corpus
cases fail when the repository's tests/data/sip (or $SBC_SIP_TESTDATA) is absent.
"""

import argparse
import os
import signal
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases  # noqa: E402,F401  (registers every case)
from cases.corpus import protos_invites  # noqa: E402,F401  (tests/fuzz/run_fuzz.sh uses it)
from harness import (CASES, EXIT_FAIL, EXIT_PASS, EXIT_SKIP, HarnessError, Skip,  # noqa: E402
                     run_case)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--list', action='store_true', help='print the case names, one a line')
    ap.add_argument('--describe', action='store_true', help='with --list: add what each case does')
    ap.add_argument('--dataplane', help='path of sbc-dataplane')
    ap.add_argument('--sbcctl', help='path of sbcctl (without it: the telemetry socket directly)')
    ap.add_argument('--case', help='the case to run')
    ap.add_argument('--keep', metavar='DIR', help='write the pcaps, config and logs to DIR and '
                    'keep them')
    args = ap.parse_args(argv)

    if args.list:
        try:
            for cd in CASES.values():
                print(f'{cd.name:34} {cd.doc}' if args.describe else cd.name)
            sys.stdout.flush()
        except BrokenPipeError:         # --list | head
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PASS
    if not args.case or not args.dataplane:
        ap.error('--dataplane and --case are required (or --list)')
    args.dataplane = os.path.abspath(args.dataplane)
    if args.sbcctl:
        args.sbcctl = os.path.abspath(args.sbcctl)
    cd = CASES.get(args.case)
    if cd is None:
        print(f'unknown case {args.case!r}; --list shows them', file=sys.stderr)
        return EXIT_FAIL
    # meson stops a test with SIGTERM: unwind so the data plane gets killed too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(EXIT_FAIL))
    print(f'case {cd.name}: {cd.doc}')
    t0 = time.monotonic()
    try:
        t, res, errs = run_case(cd, args)
    except Skip as e:
        print(f'SKIP {cd.name}: {e}')
        return EXIT_SKIP
    except HarnessError as e:
        print(f'FAIL {cd.name}: {e}')
        return EXIT_FAIL
    except Exception:
        print(f'FAIL {cd.name}: error in the test itself:')
        traceback.print_exc(file=sys.stdout)
        return EXIT_FAIL
    st = res.stats
    nz = {k: v for k, v in res.drops.items() if v}
    print(f'counters: rx {st["rx"]} exc_rx {st["exc_rx"]} to_exception {st["to_exception"]} '
          f'to_wire {st["to_wire"]} reject_sent {st["reject_sent"]} dropped {st["dropped"]} '
          f'drops {nz or "{}"}')
    if errs:
        print(f'FAIL {cd.name} ({len(errs)} difference{"s" if len(errs) != 1 else ""}):')
        for e in errs:
            print(f'  {e}')
        if not args.keep:
            print('  (rerun with --keep DIR to keep the pcaps, configuration and logs)')
        return EXIT_FAIL
    print(f'PASS {cd.name} ({len(t.wire_in)} wire + {len(t.exc_in)} exception frames in, '
          f'{len(res.wire_out)} + {len(res.exc_out)} out, {time.monotonic() - t0:.1f} s)')
    return EXIT_PASS


if __name__ == '__main__':
    sys.exit(main())
