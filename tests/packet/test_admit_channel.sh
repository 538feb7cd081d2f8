#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# packet: the data plane's answers to admission requests over the channel (issue 13). A real
# sbc-dataplane (silent net_ring ports) with trunk floor (cps 1, burst 2, max_calls 3); the
# probe (admit_probe.c) plays the control plane's end: its table of requests and expected
# verdicts and events, then the counters on the stats socket per transport; then a second probe
# attaches as a new control plane and the calls the first held are flushed.
# usage: test_admit_channel.sh SBC_DATAPLANE ADMIT_PROBE   exit 0 pass, 1 fail, 77 skip
set -u
dp=$(realpath -m -- "${1:?usage}") probe=$(realpath -m -- "${2:?usage}")
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (DPDK EAL)"; exit 77; }

id=ac$$
dir=$(mktemp -d "/tmp/sbc-admit-channel.XXXXXX")
failures=0
# shellcheck source=../lib/dp_ring.sh
. "$(dirname "$0")/../lib/dp_ring.sh"
trap 'dp_ring_cleanup "sbc-$id" "/sbc-$id"; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM

printf '%s\n' "[sbc]" "address = 192.0.2.10" "" "[dataplane]" "wire = net_ring0" \
	"exception = net_ring1" "workers = 1" "channel = /sbc-$id" "calls = 4096" "" \
	"[trunk floor]" "peers = 198.51.100.0/24" "cps = 1" "burst = 2" "max_calls = 3" \
	>"$dir/sbc.conf"
dp_ring_start "$dp" "$dir/sbc.conf" "sbc-$id" 512 || exit 1

# KEY... of trunk floor (or channel.KEY), one per line
stats() {
	/usr/bin/python3 - "/var/run/dpdk/sbc-$id/dpdk_telemetry.v2" "$@" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1]); s.recv(65536)
def get(cmd):
    s.send(cmd.encode()); return json.loads(s.recv(1 << 20).decode())[cmd.split(',')[0]]
t = next(v for v in get('/sbc/trunks').values() if isinstance(v, dict) and v.get('name') == 'floor')
c = get('/sbc/channel')
for k in sys.argv[2:]:
    print(c[k[8:]] if k.startswith('channel.') else t[k])
PY
}
expect() {	# KEY WANT
	local got
	got=$(stats "$1")
	if [ "$got" = "$2" ]; then echo "ok   - $1 = $2"; else echo "FAIL - $1 = $got, want $2"; failures=$((failures + 1)); fi
}

if "$probe" --channel "/sbc-$id"; then echo "ok   - every verdict and event as expected"; else echo "FAIL - the probe's table"; failures=$((failures + 1)); fi
expect admitted_tcp 1
expect admitted_tls 2
expect admitted_udp 0
expect admitted 3
expect emergency 1
# c3, and c4 asked again until the bucket refilled (how often depends on the machine)
got=$(stats over_cps_tcp)
if [ "$got" -ge 1 ]; then echo "ok   - over_cps_tcp = $got (>= 1)"; else echo "FAIL - over_cps_tcp = $got"; failures=$((failures + 1)); fi
expect over_cps_tls 0
expect retransmissions_tcp 2
expect over_calls_tcp 1
expect active_calls 2
expect ended_cancel 1
expect channel.admit_end_unknown 1
expect channel.refused 1
# a new control plane: the two calls the first held (c2, e1) are flushed
if "$probe" --channel "/sbc-$id" --flush 2; then echo "ok   - a new control plane: its predecessor's calls flushed"; else echo "FAIL - flush"; failures=$((failures + 1)); fi
expect active_calls 0
expect ended_flushed 2
dp_ring_stop
rc=$?
if [ $rc -eq 0 ]; then echo "ok   - sbc-dataplane exits 0"; else echo "FAIL - sbc-dataplane exit $rc"; failures=$((failures + 1)); fi
[ $failures -eq 0 ]
