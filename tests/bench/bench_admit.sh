#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Admission latency of a TCP/TLS call next to a UDP one's (suite 'bench', issue 13):
#   - UDP path: a worker decides inline; bench_gate times that decision (dp_gate_admit and the
#     Call-ID's keys) in a loop on the data plane's own tables (an EAL without ports);
#   - TCP/TLS path: the control plane asks the data plane over the shared-memory channel;
#     bench_admit takes the control plane's end of the channel of a running sbc-dataplane (one
#     worker, silent net_ring ports, -l 0-1: main lcore and worker on the two cores) and
#     measures request -> verdict round trips, one in flight at a time.
# usage: bench_admit.sh SBC_DATAPLANE BENCH_ADMIT BENCH_GATE [--requests N]
set -u
dp=$(realpath -m -- "${1:?usage}") ba=$(realpath -m -- "${2:?usage}") bg=$(realpath -m -- "${3:?usage}")
shift 3
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (DPDK EAL)"; exit 77; }

id=ba$$
dir=$(mktemp -d "/tmp/sbc-bench-admit.XXXXXX")
dp_pid=''
cleanup() {
	[ -n "$dp_pid" ] && kill -INT "$dp_pid" 2>/dev/null && wait "$dp_pid" 2>/dev/null
	rm -rf "/var/run/dpdk/sbc-$id" "/dev/shm/sbc-$id" "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

printf '%s\n' "[sbc]" "address = 192.0.2.10" "" "[dataplane]" "wire = net_ring0" \
	"exception = net_ring1" "workers = 1" "channel = /sbc-$id" "" "[trunk bench]" \
	>"$dir/sbc.conf"
"$bg" || exit 1
"$dp" --no-pci --no-huge -m 1024 --file-prefix "sbc-$id" -l 0-1 --vdev net_ring0 --vdev net_ring1 \
	-- -c "$dir/sbc.conf" >"$dir/dp.log" 2>&1 </dev/null &
dp_pid=$!
for ((i = 0; i < 300; i++)); do grep -qs '^sbc-dataplane: ready' "$dir/dp.log" && break; sleep 0.1; done
grep -qs '^sbc-dataplane: ready' "$dir/dp.log" || { cat "$dir/dp.log"; exit 1; }
"$ba" --channel "/sbc-$id" "$@"
