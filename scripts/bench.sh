#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Data-plane throughput benchmark (suite 'bench', never in the default test run): builds
# build-bench (release, -Dbench_cycles=true) if needed, then runs tests/bench/bench_dataplane.py,
# which measures sbc-dataplane on one worker lcore next to dpdk-testpmd --forward-mode=rxonly
# (the ceiling of cases that drop) and --forward-mode=io (of cases that send on) on the same
# vdevs, then runs each case and its ceiling at the same time on the one forwarding cpu ("same
# seconds": both meet the same state of the host), then in turns of a second on that cpu (one
# forwarding while the other is stopped), then, where perf (Debian linux-perf) is
# installed, samples the worker of the unlisted flood and the listed case with perf for the top
# symbols; prints the table and writes it to
# build-bench/bench.txt (or --out FILE). Then the policy-update benchmark
# (tests/bench/bench_policy.sh: redis-server, both processes, 10,000 updates and a
# 1,000,000-prefix replace; SBC_BENCH_SKIP_POLICY=1 skips it), the admission latency of TCP/TLS
# calls next to UDP's (tests/bench/bench_admit.sh; SBC_BENCH_SKIP_ADMIT=1), SRTP per core with
# both libsrtp2 builds (tests/bench/bench_srtp.sh; SBC_BENCH_SKIP_SRTP=1), the relay on veth next
# to rtpengine (bench_rtpengine.py; SBC_BENCH_SKIP_RTPENGINE=1), the end-to-end CPS
# (bench_cps.sh; SBC_BENCH_SKIP_CPS=1) and the registrar's memory under 1,000,000 REGISTERs
# (bench_register_memory.sh; SBC_BENCH_SKIP_REGMEM=1). About 12-14 minutes without the last two.
# One benchmark at a time on the machine: it waits for /tmp/sbc-bench.lock.
#
# usage: scripts/bench.sh [--huge] [--out FILE] [bench_dataplane.py options...]
#   --huge    use 2 MB hugepages instead of --no-huge (bench_dataplane and the media relay):
#             reserves 2048 of them (the same-seconds step runs two programs of --mem 1800 at
#             once) on a private hugetlbfs mount for the run and gives them back afterwards
#   e.g. scripts/bench.sh --rounds 5 --cases unlisted_flood,listed
# Needs root (DPDK EAL), python3-scapy (Debian's /usr/bin/python3) and dpdk-testpmd; perf
# (linux-perf, scripts/deps.sh) for the breakdown, which is skipped with a message without it.
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1
exec </dev/null

dir=${SBC_BENCH_BUILD:-build-bench}
out=
huge=0
args=()
huge_args=()	# the hugepage options, for the benchmarks that take them beside bench_dataplane
while [ $# -gt 0 ]; do
	case $1 in
	--huge) huge=1 ;;
	--out) out=$2; shift ;;
	--out=*) out=${1#--out=} ;;
	-h|--help) sed -n '3,17p' "$0"; exit 0 ;;
	*) args+=("$1") ;;
	esac
	shift
done
out=${out:-$dir/bench.txt}

if [ "$(id -u)" -ne 0 ]; then
	echo "bench.sh: needs root (DPDK EAL, telemetry under /var/run/dpdk)" >&2
	exit 1
fi
if [ ! -f "$dir/build.ninja" ]; then
	meson setup "$dir" --buildtype=release -Dbench_cycles=true
else
	meson configure "$dir" -Dbench_cycles=true >/dev/null
fi
ninja -C "$dir" -j2

# One benchmark at a time on this machine (any worktree): two would share the two cores.
lock=/tmp/sbc-bench.lock
exec 9>"$lock"
if ! flock -n 9; then
	echo "bench.sh: waiting for another benchmark to release $lock"
	if ! flock -w 3600 9; then
		echo "bench.sh: $lock still held after an hour" >&2
		exit 1
	fi
fi
if ! command -v perf >/dev/null; then
	echo "bench.sh: perf not installed (Debian linux-perf, scripts/deps.sh): no perf breakdown"
fi

hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
mnt=
old_hp=
cleanup() {
	if [ -n "$mnt" ]; then
		rm -f "$mnt"/* 2>/dev/null || true
		umount "$mnt" 2>/dev/null || true
		rmdir "$mnt" 2>/dev/null || true
	fi
	if [ -n "$old_hp" ]; then
		echo "$old_hp" >"$hp" || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$huge" = 1 ]; then
	old_hp=$(cat "$hp")
	free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	echo $((old_hp + 2048 - (free < 2048 ? free : 2048))) >"$hp"
	mnt=$(mktemp -d /tmp/sbc-bench-huge.XXXXXX)
	mount -t hugetlbfs -o pagesize=2M nodev "$mnt"
	huge_args=(--huge-dir "$mnt" --mem 1800)
	args=("${huge_args[@]}" "${args[@]}")
	echo "bench.sh: hugepages: $(cat "$hp") reserved (was $old_hp), mounted at $mnt"
fi

rc=0
/usr/bin/python3 tests/bench/bench_dataplane.py --dataplane "$dir/dataplane/sbc-dataplane" \
	--out "$out" "${args[@]}" || rc=$?
echo "bench.sh: table written to $out"

# The media relay (tests/bench/bench_media.py, issue 12): RTP relayed per worker core with
# 10,000 and 100,000 sessions next to testpmd 5tswap and io. SBC_BENCH_SKIP_MEDIA=1 skips it.
echo
if [ -z "${SBC_BENCH_SKIP_MEDIA:-}" ]; then
	/usr/bin/python3 tests/bench/bench_media.py --dataplane "$dir/dataplane/sbc-dataplane" \
		"${huge_args[@]}" --out "$out.media" || rc=$?
	cat "$out.media" >>"$out" 2>/dev/null || true
fi

# The relay on veth next to rtpengine 10.5 in userspace (tests/bench/bench_rtpengine.py, issue
# 12): packets relayed per CPU-second for the same sessions and stream, and every stream's
# recovery after a flat-out second, also with each relay held to 5 % of a cpu (--quota) so that
# the burst is over 10 x its capacity. SBC_BENCH_SKIP_RTPENGINE=1 skips it.
echo
if [ -z "${SBC_BENCH_SKIP_RTPENGINE:-}" ]; then
	/usr/bin/python3 tests/bench/bench_rtpengine.py --dataplane "$dir/dataplane/sbc-dataplane" \
		--blast "$dir/tests/bench/rtp_blast" --quota 5 --out "$out.rtpengine" || rc=$?
	cat "$out.rtpengine" >>"$out" 2>/dev/null || true
fi

# Policy updates: Redis write -> applied in every worker, and a 1,000,000-prefix replace,
# next to the bare keyspace-notification latency of the same redis-server.
echo
if [ -z "${SBC_BENCH_SKIP_POLICY:-}" ]; then
	tests/bench/bench_policy.sh "$dir/dataplane/sbc-dataplane" \
		"$dir/controlplane/sbc-controlplane" "$dir/tests/bench/bench_policy" \
		2>&1 | grep -v '^EAL: \|^TELEMETRY: ' | tee -a "$out"
	[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
fi

# Admission latency (tests/bench/bench_admit.sh, issue 13): a TCP/TLS call's request over the
# channel next to a UDP call's inline decision. SBC_BENCH_SKIP_ADMIT=1 skips it.
echo
if [ -z "${SBC_BENCH_SKIP_ADMIT:-}" ]; then
	tests/bench/bench_admit.sh "$dir/dataplane/sbc-dataplane" "$dir/tests/bench/bench_admit" \
		"$dir/tests/bench/bench_gate" 2>&1 | grep -v '^EAL: \|^TELEMETRY: ' | tee -a "$out"
	[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
fi

# SRTP per core (tests/bench/bench_srtp.sh, issue 12): protect and unprotect through dp_srtp, and
# the worker's whole media path with SRTP, with the OpenSSL libsrtp2 (scripts/deps-srtp.sh) next
# to Debian's NSS one. SBC_BENCH_SKIP_SRTP=1
# skips it.
echo
if [ -z "${SBC_BENCH_SKIP_SRTP:-}" ]; then
	if [ -x "$dir/tests/bench/bench_srtp_debian" ]; then
		tests/bench/bench_srtp.sh "$dir/tests/bench/bench_srtp" \
			"$dir/tests/bench/bench_srtp_debian" --path "$dir/tests/bench/bench_srtp_path" \
			"$dir/tests/bench/bench_srtp_path_debian" --out "$out" || rc=1
	else
		echo "bench.sh: SRTP: no OpenSSL libsrtp2 build (scripts/deps.sh makes it): not measured"
	fi
fi

# End-to-end CPS (tests/bench/bench_cps.sh, issue 10): Kamailio as a stateful proxy, then the
# SBC, between a sipp floor and a sipp carrier, 60 s per rate (about 10-25 minutes; it holds
# /tmp/sbc-bench.lock). SBC_BENCH_SKIP_CPS=1 skips it; SBC_BENCH_CPS_ARGS adds options to it
# (e.g. "--seconds 20 --rates 250,500,1000").
echo
if [ -z "${SBC_BENCH_SKIP_CPS:-}" ]; then
	# shellcheck disable=SC2086 # options, split on purpose
	tests/bench/bench_cps.sh --out "$out" ${SBC_BENCH_CPS_ARGS:-} "$dir/dataplane/sbc-dataplane" \
		"$dir/controlplane/sbc-controlplane" || [ $? -eq 77 ] || rc=1
fi

# The registrar's memory under 1,000,000 REGISTERs with random Call-IDs and users from 1,000
# sources (tests/bench/bench_register_memory.sh, issue 11): 10-20 minutes at the 1,000-2,000
# REGISTERs/s this machine manages. SBC_BENCH_SKIP_REGMEM=1 skips it; SBC_BENCH_REGMEM_ARGS
# adds options (e.g. "--count 200000").
echo
if [ -z "${SBC_BENCH_SKIP_REGMEM:-}" ]; then
	# shellcheck disable=SC2086 # options, split on purpose
	SBC_BENCH_LOCKED=1 tests/bench/bench_register_memory.sh --out "$out" ${SBC_BENCH_REGMEM_ARGS:-} \
		"$dir/dataplane/sbc-dataplane" "$dir/controlplane/sbc-controlplane" \
		"$dir/controlplane/sbcctl" || [ $? -eq 77 ] || rc=1
fi
exit $rc
