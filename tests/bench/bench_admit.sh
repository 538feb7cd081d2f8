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
# shellcheck source=../lib/dp_ring.sh
. "$(dirname "$0")/../lib/dp_ring.sh"
trap 'dp_ring_cleanup "sbc-$id" "/sbc-$id"; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM

printf '%s\n' "[sbc]" "address = 192.0.2.10" "" "[dataplane]" "wire = net_ring0" \
	"exception = net_ring1" "workers = 1" "channel = /sbc-$id" "" "[trunk bench]" \
	>"$dir/sbc.conf"
"$bg" || exit 1
dp_ring_start "$dp" "$dir/sbc.conf" "sbc-$id" 1024 || exit 1
"$ba" --channel "/sbc-$id" "$@"
