# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A data plane on silent net_ring ports (no namespace, no traffic: its workers still run and
# pass RCU quiescent states), for the tests and benchmarks that talk to it only over the channel
# and the stats socket. Sourced; the caller sets a trap that calls dp_ring_stop.
#   dp_ring_start DATAPLANE CONF PREFIX MEM_MB: start it (-l 0-1), wait for "ready" (30 s); 0/1
#   dp_ring_stop: SIGINT, wait; its exit status
#   dp_ring_cleanup PREFIX CHANNEL: remove what EAL and the channel left
DP_RING_PID=''
dp_ring_start() {
	local dp=$1 conf=$2 prefix=$3 mem=$4 i log=${2%/*}/dp.log
	"$dp" --no-pci --no-huge -m "$mem" --file-prefix "$prefix" -l 0-1 --vdev net_ring0 \
		--vdev net_ring1 -- -c "$conf" >"$log" 2>&1 </dev/null &
	DP_RING_PID=$!
	for ((i = 0; i < 300; i++)); do
		grep -qs '^sbc-dataplane: ready' "$log" && return 0
		sleep 0.1
	done
	cat "$log"
	return 1
}
dp_ring_stop() {
	local rc=0
	[ -n "$DP_RING_PID" ] || return 0
	kill -INT "$DP_RING_PID" 2>/dev/null
	wait "$DP_RING_PID" 2>/dev/null || rc=$?
	DP_RING_PID=''
	return $rc
}
dp_ring_cleanup() {
	dp_ring_stop
	rm -rf "/var/run/dpdk/$1" "/dev/shm$2"
}
