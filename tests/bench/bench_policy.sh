#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Policy-update benchmark (suite 'bench'): a real redis-server on a loopback port, sbc-dataplane
# (one worker, silent net_ring ports: its workers still pass RCU quiescent states, so "applied
# in every worker" means what it says), sbc-controlplane between them, and bench_policy, which
# writes to Redis like redis-cli and reads "applied" from the stats socket:
#   - the bare Redis keyspace-notification latency (reference, same run),
#   - SADD/SREM of one prefix -> applied in every worker: p50/p99 over --updates (10,000),
#   - RENAME of a prepared 1,000,000-prefix SET over the trunk's key -> the whole set applied.
# usage: bench_policy.sh SBC_DATAPLANE SBC_CONTROLPLANE BENCH_POLICY [--updates N] [--replace N]
set -u
dp=$(realpath -m -- "${1:?usage}") cpb=$(realpath -m -- "${2:?usage}") bp=$(realpath -m -- "${3:?usage}")
shift 3
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (DPDK EAL)"; exit 77; }
command -v redis-server >/dev/null || { echo "SKIP: redis-server not installed"; exit 77; }

id=bp$$
dir=$(mktemp -d "/tmp/sbc-bench-policy.XXXXXX")
port=$((20000 + RANDOM % 20000))
dp_pid='' cp_pid=''
cleanup() {
	[ -n "$cp_pid" ] && kill -TERM "$cp_pid" 2>/dev/null && wait "$cp_pid" 2>/dev/null
	[ -n "$dp_pid" ] && kill -INT "$dp_pid" 2>/dev/null && wait "$dp_pid" 2>/dev/null
	redis-cli -p "$port" shutdown nosave >/dev/null 2>&1
	[ -n "${SBC_BENCH_KEEP:-}" ] && cp "$dir"/*.log "$SBC_BENCH_KEEP"/ ; rm -rf "/var/run/dpdk/sbc-$id" "/dev/shm/sbc-$id" "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$dir/sbc.conf" <<EOF
[sbc]
address = 192.0.2.10

[dataplane]
wire = net_ring0
exception = net_ring1
workers = 1
channel = /sbc-$id
acl_v4_rules = 1050000
acl_v4_tbl8 = 256

[redis]
address = 127.0.0.1:$port

[trunk bench]
EOF
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
	--logfile "$dir/redis.log" || exit 1
for ((i = 0; i < 50; i++)); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done

"$dp" --no-pci --no-huge -m 3072 --file-prefix "sbc-$id" -l 0-1 --vdev net_ring0 --vdev net_ring1 \
	-- -c "$dir/sbc.conf" >"$dir/dp.log" 2>&1 </dev/null &
dp_pid=$!
for ((i = 0; i < 300; i++)); do grep -qs '^sbc-dataplane: ready' "$dir/dp.log" && break; sleep 0.1; done
grep -qs '^sbc-dataplane: ready' "$dir/dp.log" || { cat "$dir/dp.log"; exit 1; }
"$cpb" -c "$dir/sbc.conf" ${SBC_BENCH_CP_FLAGS:--q} >"$dir/cp.log" 2>&1 </dev/null &
cp_pid=$!
sock=/var/run/dpdk/sbc-$id/dpdk_telemetry.v2
for ((i = 0; i < 100; i++)); do
	/usr/bin/python3 - "$sock" <<'PY' 2>/dev/null && break
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(sys.argv[1]); s.recv(65536)
s.send(b'/sbc/channel'); d = json.loads(s.recv(1 << 20))['/sbc/channel']
sys.exit(0 if d.get('control_plane') == 'alive' and d.get('cp_redis') == 'up' else 1)
PY
	sleep 0.1
done

echo "policy update latency: redis-server $(redis-server --version | grep -o 'v=[0-9.]*'), 1 worker, $(nproc) cores"
"$bp" --redis "127.0.0.1:$port" --socket "$sock" --trunk bench "$@"
rc=$?
if grep -q ': error:' "$dir/cp.log"; then
	echo "control plane errors:"
	grep ': error:' "$dir/cp.log"
fi
exit $rc
