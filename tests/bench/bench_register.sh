#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Registrar benchmark (suite 'bench', issue 11): REGISTERs with digest per second, and CPU per
# REGISTER, on the e2e topology of scripts/lib-netns.sh. The client is reg_client.py flood
# (PROCS processes in pa-ID, each registering back to back: REGISTER -> 401 -> REGISTER with
# the answer -> 200, a new Call-ID each time) for SECONDS per algorithm, MD5 then SHA-256:
#   X = the SBC: sbc-dataplane + sbc-controlplane (trunk pbx-digest, auth = digest, HA1 in a
#       real redis-server), the client on 198.51.100.21 (inside a listed prefix);
#   X = Kamailio 5.6 (tests/e2e/kamailio_registrar.cfg: auth + registrar, no database, the
#       same algorithm), the reference, measured in the same run with the same client.
# Per X and algorithm: registrations completed (each is two REGISTER transactions), failed
# (any other answer, or none in 2 s: a failure of X under this load), REGISTER transactions per
# second over the elapsed time the client measured, and X's CPU (utime + stime from /proc: the
# control plane alone for the SBC, Kamailio's process tree) per completed registration; for the
# SBC also the control plane's RSS before and after. The client (Python) is usually the limit
# on this 2-core machine, where the data plane's worker polls one core: the figures say what
# X needs per registration more than its ceiling.
# usage: bench_register.sh [--seconds N] [--procs N] [--out FILE] SBC_DATAPLANE SBC_CONTROLPLANE SBCCTL
set -u

here=$(cd "$(dirname "$0")" && pwd)
e2e=$here/../e2e
# shellcheck source-path=SCRIPTDIR source=../e2e/lib-check.sh
. "$e2e/lib-check.sh"	# and scripts/lib-netns.sh
all=("$@") SECS=20 PROCS=2 OUT=
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECS=$2; shift 2 ;;
	--procs) PROCS=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	*) break ;;
	esac
done
e2e_args "SBC_DATAPLANE SBC_CONTROLPLANE SBCCTL" "$@"
e2e_preflight "ethtool ss redis-server redis-cli kamailio flock" "$dataplane" "$controlplane" "$sbcctl"
bench_lock "${all[@]}"

PBX=$SBCNET_V4.21 K=$SBCNET_PB4
cp_pid='' kam_pid=''
port=$((20000 + RANDOM % 20000))
e2e_cleanup() {
	[ -z "$kam_pid" ] || kill -9 "$kam_pid" 2>/dev/null
	stop_cp KILL
	return 0
}
e2e_begin
# shellcheck source-path=SCRIPTDIR source=../e2e/lib-redis.sh
. "$e2e/lib-redis.sh"	# R, e2e_redis_cp, stop_cp, registrar_conf, user_add
E2E_LOGS="controlplane:$cp_log"
ip -n "$NS_PA" addr add "$PBX/24" dev eth0 || fatal "address $PBX"

cpu_of() {	# PID...: utime + stime in clock ticks
	local p t=0 f
	for p in "$@"; do
		f=$(cut -d' ' -f14,15 "/proc/$p/stat" 2>/dev/null) || continue
		t=$((t + ${f% *} + ${f#* }))
	done
	echo $t
}
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)
rows=()
# run X ALG DST PIDS...: one flood; appends a table row
run() {
	local x=$1 alg=$2 dst=$3 c0 c1 out ok bad el
	shift 3
	c0=$(cpu_of "$@")
	out=$(ip netns exec "$NS_PA" "$SBCNET_PY" "$e2e/reg_client.py" flood "$PBX" "$dst" alice \
		'alice pw' digest.example "$alg" "$SECS" "$PROCS")
	c1=$(cpu_of "$@")
	read -r ok bad el <<<"$out"
	rows+=("$(printf '%-9s %-8s %8s %7s %10s %14s' "$x" "$alg" "$ok" "$bad" \
		"$(awk -v n="$ok" -v s="$el" 'BEGIN { printf "%.0f", 2 * n / s }')" \
		"$(awk -v c=$((c1 - c0)) -v n="$ok" -v hz="$hz" \
			'BEGIN { printf "%.3f", n ? 1000 * c / hz / n : 0 }')")")
}

# --- X = the SBC ------------------------------------------------------------------------------
conf=$SBCNET_DIR/sbc.conf
floor_extra="peers = $SBCNET_V4.16/28" registrar_conf "auth_failures = 1000"
sbcnet_start_dp "$dataplane" "$conf" || fatal "sbc-dataplane did not start"
e2e_redis_cp -q
user_add pbx-digest alice 'alice pw'
rss0=$(rss_kb "$cp_pid")
run SBC MD5 "$SBCNET_SBC4" "$cp_pid"
run SBC SHA-256 "$SBCNET_SBC4" "$cp_pid"
rss1=$(rss_kb "$cp_pid")
stop_cp

# --- X = Kamailio (reference) -----------------------------------------------------------------
for alg in MD5 SHA-256; do
	ip netns exec "$NS_PB" kamailio -f "$e2e/kamailio_registrar.cfg" -DD -E -l "udp:$K:5060" \
		-Y "$SBCNET_DIR" -A 'PASSWORD="alice pw"' -A "ALGO=\"$alg\"" -A 'REALM="digest.example"' \
		-A "MAX_EXPIRES=3600" </dev/null >"$SBCNET_DIR/kamailio.log" 2>&1 &
	kam_pid=$!
	kam_up() { ip netns exec "$NS_PB" ss -Hlun "sport = :5060" | grep -qF "$K:5060"; }
	poll_until 20 kam_up || fatal "Kamailio did not start"
	run Kamailio "$alg" "$K" $kam_pid $(pgrep -P "$kam_pid")
	kill -TERM "$kam_pid"; wait "$kam_pid"; kam_pid=''
done

{
	echo "# REGISTER with digest, $PROCS client processes x $SECS s per row (reg_client.py flood)"
	printf '%-9s %-8s %8s %7s %10s %14s\n' X ALG REG_OK FAILED REGISTER/s CPU_MS/REG
	printf '%s\n' "${rows[@]}"
	echo "# SBC control plane RSS: $rss0 kB before, $rss1 kB after the SBC's rows"
} | tee ${OUT:+-a "$OUT"}
e2e_end
