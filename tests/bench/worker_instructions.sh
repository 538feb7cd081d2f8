#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Instructions per packet of the data plane's worker, by object (our loop, net_pcap's receive,
# the FIB, the mbuf free, the SIP scanner...): the data plane runs under valgrind's callgrind,
# counting only inside dp_worker_main and what it calls, on a pcap replayed endlessly, for a
# fixed time; packets = rte_fib_lookup_bulk calls x 32 (one bulk lookup per full burst of
# IPv4 sources). Instruction counts do not depend on the load of the machine, unlike rates.
# Not a suite test: a tool for the Benchmarks section of README.md.
#
# usage: tests/bench/worker_instructions.sh DATAPLANE PCAP CONF [SECONDS]
#   PCAP, CONF: as bench_dataplane.py --keep DIR leaves them (DIR/unlisted4.pcap,
#   DIR/unlisted_flood.conf; DIR/passed4.pcap, DIR/listed_passed.conf). Every frame of the
#   pcap must carry an IPv4 source (the burst count comes from the IPv4 lookups).
#   Needs root (EAL) and valgrind. SECONDS (default 45): the data plane's life under valgrind.
set -euo pipefail

if [ $# -lt 3 ]; then
	sed -n '3,15p' "$0"
	exit 2
fi
dp=$1 pcap=$2 conf=$3 secs=${4:-45}
command -v valgrind >/dev/null || { echo "worker_instructions: valgrind missing" >&2; exit 1; }
out=$(mktemp -d /tmp/sbc-wi.XXXXXX)
trap 'rm -rf "$out"' EXIT

valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" --collect-atstart=no \
	--toggle-collect=dp_worker_main "$dp" --no-pci --no-huge -m 1024 \
	--file-prefix="sbc-wi-$$" -l 0,1 --log-level=lib.eal:4 \
	--vdev "net_pcap0,rx_pcap=$pcap,infinite_rx=1" --vdev net_null0,no-rx=1 -- -c "$conf" \
	>"$out/log" 2>&1 &
pid=$!
sleep "$secs"
kill -TERM "$pid"
wait "$pid" || true
bursts=$(callgrind_annotate --tree=calling "$out/cg.out" 2>/dev/null |
	sed -n 's/.*> *???:rte_fib_lookup_bulk (\([0-9,]*\)x).*/\1/p' | head -1 | tr -d ,)
if [ -z "$bursts" ] || [ "$bursts" -eq 0 ]; then
	echo "worker_instructions: no bursts counted; valgrind's log:" >&2
	tail -20 "$out/log" >&2
	exit 1
fi
echo "packets: $((bursts * 32)) ($bursts bursts of 32)"
callgrind_annotate --auto=no "$out/cg.out" 2>/dev/null |
	awk -v n=$((bursts * 32)) '/^ *[0-9,]+ +\( *[0-9.]+%\) +/ && !/PROGRAM TOTALS/ {
		c = $1; gsub(/,/, "", c); sub(/^ *[0-9,]+ +\( *[0-9.]+%\) +/, "");
		if (c / n >= 0.5) printf "%8.1f instructions a packet  %s\n", c / n, $0 }'
