#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# End-to-end calls-per-second benchmark (suite 'bench', issue 10): a dialer floor calling a
# carrier through X, on the e2e namespace topology of scripts/lib-netns.sh:
#
#   sipp UAC(s) in pa-ID (198.51.100.20)  ->  X (198.51.100.10, in sbc-ID)  ->  sipp UAS in pb-ID
#   (tests/bench/sipp/cps_uac.xml)                                             (built-in uas,
#                                                                               198.51.100.30)
#
# X = Kamailio 5.6 as a stateful proxy (tests/bench/kamailio_proxy.cfg, -m 1024 -M 64, two UDP
# workers, on wire0 of sbc-ID), then X = the SBC (sbc-dataplane on net_af_packet + net_tap,
# sbc-controlplane with a redis-server, trunks "floor" -> "carrier" by role, uri and route).
# Calls of 0 s at rising rates (--rates), --seconds each (60), several UACs above --per-uac CPS
# each; X stops at the first rate with a failed (or unfinished) call. A message a caller did not
# expect at that point -- a 180 after the 200, as a proxy's two workers reorder them -- is
# counted and shown ("unexpected") but does not fail a call that then completes (a UA discards
# such a stray provisional); --strict makes it fail the call, as sipp's built-in UAC does (the
# way ANCHORS.md's Kamailio figures counted them). What it measures at each rate: calls
# offered / successful / failed (sipp), X's CPU time per successful call (utime +
# stime of its whole process tree from /proc over the step: Kamailio's main process and
# children; for the SBC the control plane and the data plane apart -- the data plane's worker
# polls a core at 100 % by design, so its figure is mostly wall time / calls -- and Redis beside),
# and the INVITE-in -> INVITE-out latency p50/p99 from two captures (tshark, capture filter on
# INVITEs, one in pa-ID and one in pb-ID; calls matched by their number in the Request-URI
# user). The table gives, per X, the highest rate with 0 failed calls and that rate's figures.
# A checked outcome, never hidden: an X that completes no call at the first rate says so
# ("SBC: no call completed at 250 CPS"); an SBC that does not start says why.
#
# Holds /tmp/sbc-bench.lock for the whole run (one benchmark at a time on this machine; a caller
# that already holds it, e.g. `flock /tmp/sbc-bench.lock scripts/bench.sh`, is recognised).
# Everything runs in namespaces this script makes and removes, also on failure and Ctrl-C.
#
# usage: bench_cps.sh [options] SBC_DATAPLANE SBC_CONTROLPLANE
#   --seconds N        seconds per rate (60)
#   --rates LIST       comma-separated CPS steps (250,500,750,1000,1250,1500,1750,2000,2500,3000)
#   --per-uac N        CPS one sipp UAC is given at most (1000); more UACs above that
#   --only kamailio|sbc   run one X only
#   --strict           an unexpected message fails the call (sipp's default)
#   --media MODE       the SBC's trunks' media: relay (the default: each call's media anchored
#                      in the data plane, a session installed and removed per call) or direct
#                      (SDP passed unchanged: the B2BUA's signalling alone)
#   --quiet-load L     before each X, wait until the 1-minute load average is L or less (3.0;
#   --quiet-wait S       at most S seconds, 600; then measure anyway): on a busy machine X's
#                        workers starve, its socket buffers overflow and calls fail for that
#   --out FILE         append the table to FILE too
#   --keep             keep the work directory (logs, captures, sipp statistics)
# exit 0 when every X completed calls at one rate at least (whatever rate it reached); 1 when an
# X did not start or completed no call (said in the table), or the harness failed; 77 when it
# cannot run here.
set -u

SECONDS_PER_RATE=60
RATES=250,500,750,1000,1250,1500,1750,2000,2500,3000
PER_UAC=1000
ONLY=
OUT=
KEEP=
STRICT=
QUIET_LOAD=3.0
QUIET_WAIT=600
MEDIA=relay
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECONDS_PER_RATE=$2; shift ;;
	--rates) RATES=$2; shift ;;
	--per-uac) PER_UAC=$2; shift ;;
	--only) ONLY=$2; shift ;;
	--out) OUT=$2; shift ;;
	--keep) KEEP=1 ;;
	--strict) STRICT=1 ;;
	--media) MEDIA=$2; shift ;;
	--quiet-load) QUIET_LOAD=$2; shift ;;
	--quiet-wait) QUIET_WAIT=$2; shift ;;
	-h|--help) awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$0"; exit 0 ;;
	-*) echo "bench_cps: unknown option $1" >&2; exit 1 ;;
	*) args+=("$1") ;;
	esac
	shift
done
if [ ${#args[@]} -ne 2 ] && [ "$ONLY" != kamailio ]; then
	echo "usage: $0 [options] SBC_DATAPLANE SBC_CONTROLPLANE (--help)" >&2
	exit 1
fi
case $ONLY in '' | kamailio | sbc) ;; *) echo "bench_cps: --only kamailio|sbc" >&2; exit 1 ;; esac
case $MEDIA in relay | direct) ;; *) echo "bench_cps: --media relay|direct" >&2; exit 1 ;; esac
[[ $SECONDS_PER_RATE =~ ^[1-9][0-9]*$ && $PER_UAC =~ ^[1-9][0-9]*$ &&
	$QUIET_LOAD =~ ^[0-9]+(\.[0-9]+)?$ && $QUIET_WAIT =~ ^[0-9]+$ &&
	$RATES =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "bench_cps: bad number" >&2; exit 1; }
dataplane=${args[0]:+$(realpath -m -- "${args[0]}")}
controlplane=${args[1]:+$(realpath -m -- "${args[1]}")}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib-netns.sh
. "$here/../../scripts/lib-netns.sh"
MEASURE=("$SBCNET_PY" "$here/cps_measure.py")
UAC_XML=$here/sipp/cps_uac.xml
KAMAILIO_CFG=$here/kamailio_proxy.cfg
LOCK=/tmp/sbc-bench.lock

say() { printf '%s\n' "$*"; }
skip() { say "SKIP: $*"; exit 77; }

if ! why=$(sbcnet_netns_ok); then
	skip "$why (the CPS bench needs root and ip netns)"
fi
for tool in sipp tshark ethtool ss flock; do
	command -v "$tool" >/dev/null || skip "$tool not installed (scripts/deps.sh)"
done
if [ "$ONLY" != sbc ]; then
	command -v kamailio >/dev/null || skip "kamailio not installed (scripts/deps.sh)"
fi
if [ "$ONLY" != kamailio ]; then
	command -v redis-server >/dev/null || skip "redis-server not installed (scripts/deps.sh)"
	for b in "$dataplane" "$controlplane"; do
		[ -x "$b" ] || { say "FAIL: $b is not an executable"; exit 1; }
	done
fi

# The lock: ours already when an inherited descriptor holds it (`exec 9>LOCK; flock 9` in a
# caller) or when a process above us holds it (`flock LOCK meson test ...`: meson closes the
# descriptor); otherwise wait for it.
lock_inherited() {
	local fd
	for fd in /proc/$$/fd/*; do
		[ "$(readlink "$fd")" = "$LOCK" ] && flock -n "${fd##*/}" && return 0
	done
	return 1
}
lock_above() {
	local ino pid p
	ino=$(stat -c %i "$LOCK" 2>/dev/null) || return 1
	for pid in $(awk -v i=":$ino" '$2 == "FLOCK" && substr($6, length($6) - length(i) + 1) == i {
		print $5 }' /proc/locks); do
		p=$PPID
		while [ "$p" -gt 1 ]; do
			[ "$p" = "$pid" ] && return 0
			p=$(awk '{ print $4 }' "/proc/$p/stat" 2>/dev/null) || break
		done
	done
	return 1
}
if lock_inherited || lock_above; then
	say "# $LOCK: held by the caller of this run"
else
	exec {lockfd}>>"$LOCK"
	if ! flock -n "$lockfd"; then
		say "# waiting for $LOCK (another benchmark runs)"
		flock -w 3600 "$lockfd" || { say "FAIL: $LOCK still held after an hour"; exit 1; }
	fi
fi

WORK=$(mktemp -d /tmp/bench-cps.XXXXXX)
export TMPDIR=$WORK			# sbcnet_init makes its run directories in here
SBCNET_KEEP=1				# and leaves them to us: WORK goes at the end
harness_failed=0			# 1: the harness itself failed
unmeasured=0				# 1: an X did not start or completed no call
X_PIDS=()				# processes of the X under test (killed before the netns goes)

bench_cleanup() {
	local pid i
	for pid in "${X_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${X_PIDS[@]}"; do	# a clean stop first (SIGKILL by sbcnet_down after 5 s)
		[ "${1:-}" != fast ] || break	# SIGTERM: meson's SIGKILL follows in 0.5 s
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null || wait "$pid" 2>/dev/null
	done
	X_PIDS=()
	sbcnet_down "${1:-}"
}
on_exit() {
	local rc=$?
	bench_cleanup "${down_mode:-}"
	if [ -n "$KEEP" ] || [ "$harness_failed" -ne 0 ] || [ "$unmeasured" -ne 0 ]; then
		say "# work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
	exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'down_mode=fast; exit 143' TERM HUP

# wait_until SECONDS COMMAND...: 0 once COMMAND succeeds, 1 after SECONDS
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
}
listening() {	# NS ADDR PORT
	ip netns exec "$1" ss -Hlun "sport = :$3" | grep -qF "$2:$3"
}

# The carrier: sipp's built-in UAS in pb-ID, for all rates of one X; like the callers it lets an
# unexpected message pass (a retransmission, a BYE overtaking its ACK) unless --strict
start_carrier() {
	local tolerate=(-default_behaviors 'all,-abortunexp')
	[ -z "$STRICT" ] || tolerate=()
	(cd "$SBCNET_DIR" && exec ip netns exec "$NS_PB" sipp -sn uas -i "$SBCNET_PB4" -p 5060 \
		"${tolerate[@]}" -nostdin -buff_size 4194304 </dev/null \
		>"$SBCNET_DIR/carrier.out" 2>&1) &
	X_PIDS+=($!)
	CARRIER_PID=$!
	wait_until 10 listening "$NS_PB" "$SBCNET_PB4" 5060 ||
		{ say "FAIL: the sipp carrier did not bind $SBCNET_PB4:5060"; return 1; }
}

# X = Kamailio on wire0 of sbc-ID (given the SBC's address, with ARP: the kernel is X here)
start_kamailio() {
	local d=$SBCNET_DIR
	echo "1 $SBCNET_PA4 32 0 floor" >"$d/address.list"
	ip -n "$NS_SBC" link set wire0 arp on &&
		ip -n "$NS_SBC" addr add "$SBCNET_SBC4/24" dev wire0 || return 1
	ip netns exec "$NS_SBC" kamailio -f "$KAMAILIO_CFG" -m 1024 -M 64 -DD -E \
		-l "udp:$SBCNET_SBC4:5060" -Y "$d" -w "$d" \
		-A "CARRIER_URI=\"sip:$SBCNET_PB4:5060\"" -A "ADDRESS_FILE=\"$d/address.list\"" \
		</dev/null >"$d/kamailio.log" 2>&1 &
	X_PIDS+=($!)
	KAM_PID=$!
	if ! wait_until 20 listening "$NS_SBC" "$SBCNET_SBC4" 5060; then
		say "FAIL: kamailio did not listen on $SBCNET_SBC4:5060:"
		tail -n 20 "$d/kamailio.log" | sed 's/^/    /'
		return 1
	fi
	say "# kamailio $(kamailio -v | awk 'NR == 1 { print $3 }') up (pid $KAM_PID):" \
		"$(basename "$KAMAILIO_CFG"), -m 1024 -M 64, 2 UDP workers"
}

sbc_conf() {	# FILE REDIS_PORT
	cat >"$1" <<EOF
# sbc.conf of tests/bench/bench_cps.sh, run $SBCNET_ID
[sbc]
address = $SBCNET_SBC4
sip_port = 5060
unlisted = drop

[dataplane]
wire = net_af_packet0
exception = net_tap0
workers = 1
channel = $SBCNET_CHANNEL

[redis]
address = 127.0.0.1:$2

[trunk floor]
role = floor
peers = $SBCNET_PA4/32
route = carrier
media = $MEDIA

[trunk carrier]
role = carrier
peers = $SBCNET_PB4/32
uri = sip:$SBCNET_PB4:5060
options_interval = 0
media = $MEDIA
EOF
}

# X = the SBC. Sets SBC_START_ERR (one line) when it cannot start.
start_sbc() {
	local d=$SBCNET_DIR port=$((20000 + RANDOM % 20000)) err
	SBC_START_ERR=
	sbc_conf "$d/sbc.conf" "$port"
	if ! sbcnet_start_dp "$dataplane" "$d/sbc.conf" 2>"$d/start_dp.err"; then
		# a configuration error is one "file:line: message" line: show that alone
		err=$(grep -m1 -E 'sbc\.conf:[0-9]+: ' "$SBCNET_DP_LOG" |
			sed -E 's/^[[:space:]]*//; s|^.*/sbc\.conf|sbc.conf|')
		if [ -z "$err" ]; then
			sed 's/^/    /' "$d/start_dp.err"
			err="see $SBCNET_DP_LOG"
		elif [[ $err =~ unknown\ key\ \'(role|uri|route|options_interval)\' ]]; then
			err="$err (the B2BUA's trunk keys of issue 10 are not in this build)"
		fi
		SBC_START_ERR="sbc-dataplane did not start: $err"
		return 1
	fi
	X_PIDS+=("$SBCNET_DP_PID")
	DP_PID=$SBCNET_DP_PID
	ip netns exec "$NS_SBC" redis-server --port "$port" --bind 127.0.0.1 --save '' \
		--appendonly no --logfile "$d/redis.log" </dev/null >/dev/null 2>&1 &
	X_PIDS+=($!)
	REDIS_PID=$!
	ip netns exec "$NS_SBC" "$controlplane" -c "$d/sbc.conf" -q </dev/null \
		>"$d/controlplane.log" 2>&1 &
	X_PIDS+=($!)
	CP_PID=$!
	if ! wait_until 20 prints_up; then
		if ! kill -0 "$CP_PID" 2>/dev/null; then
			SBC_START_ERR="sbc-controlplane exited: $(grep -m1 -i 'error\|sbc\.conf' \
				"$d/controlplane.log")"
		else
			SBC_START_ERR="the control plane did not reach Redis and the data plane in 20 s"
		fi
		tail -n 20 "$d/controlplane.log" | sed 's/^/    controlplane: /'
		return 1
	fi
	# the B2BUA answers on the tap's address; without it nothing listens there (kept going:
	# the rate steps then show what a caller sees)
	if ! wait_until 10 listening "$NS_SBC" "$SBCNET_SBC4" 5060; then
		say "# note: nothing listens on $SBCNET_SBC4:5060 in $NS_SBC (no B2BUA in this build?)"
	fi
	say "# sbc up: sbc-dataplane (pid $DP_PID, worker polling lcore 1), sbc-controlplane" \
		"(pid $CP_PID), redis-server (pid $REDIS_PID)"
}
prints_up() { [ "$(sbcnet_get /sbc/channel cp_redis 2>/dev/null)" = up ]; }

# capture_start NAME NS DST: INVITEs (payload starts "INVI") sent to DST:5060 seen on eth0 of NS
capture_start() {
	local f=$STEP_DIR/$1
	ip netns exec "$2" tshark -i eth0 -q -n -s 512 -F pcap -w "$f.pcap" \
		-f "udp dst port 5060 and dst host $3 and udp[8:4] = 0x494e5649" \
		</dev/null >"$f.tshark" 2>&1 &
	CAPTURE_PIDS+=($!)
	wait_until 10 grep -q "Capturing on" "$f.tshark" ||
		{ say "FAIL: tshark in $2 did not start: $(tail -n 3 "$f.tshark")"; return 1; }
}
capture_stop() {
	local pid
	for pid in "${CAPTURE_PIDS[@]}"; do
		kill -INT "$pid" 2>/dev/null
	done
	for pid in "${CAPTURE_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	CAPTURE_PIDS=()
}

cpu_now() {	# the CPU ms of X's parts, in the order of CPU_PIDS
	"${MEASURE[@]}" cpu "${CPU_PIDS[@]}" | tr '\n' ' '
}
b2b_now() {	# the B2BUA's answered calls, media refused, no free media port (sbc only)
	local k
	for k in cp_b2b_answered cp_media_refused cp_media_no_port; do
		sbcnet_get /sbc/channel "$k" 2>/dev/null || echo 0
	done | tr '\n' ' '
}
harness_now() {	# the CPU ms of the harness: the carrier, and what this shell reaped (callers, tshark)
	echo $(($("${MEASURE[@]}" cpu "$CARRIER_PID") + $("${MEASURE[@]}" reaped $$)))
}

# One rate: sets STEP_* (created ok failed cpu_ms... lat_matched p50 p99)
run_rate() {
	local x=$1 rate=$2 n i r calls pids=() t0 t1 cpu0 cpu1 lat h0
	STEP_DIR=$WORK/$x-$rate
	mkdir -p "$STEP_DIR"
	CAPTURE_PIDS=()
	capture_start in "$NS_PA" "$SBCNET_SBC4" && capture_start out "$NS_PB" "$SBCNET_PB4" ||
		return 1
	n=$(((rate + PER_UAC - 1) / PER_UAC))
	local tolerate=(-default_behaviors 'all,-abortunexp')
	[ -z "$STRICT" ] || tolerate=()
	h0=$(harness_now)
	[ "$x" != sbc ] || read -ra b2b0 <<<"$(b2b_now)"
	read -ra cpu0 <<<"$(cpu_now)"
	t0=$EPOCHREALTIME
	for ((i = 0; i < n; i++)); do
		r=$((rate / n + (i < rate % n ? 1 : 0)))
		calls=$((r * SECONDS_PER_RATE))
		(cd "$STEP_DIR" && exec ip netns exec "$NS_PA" sipp -sf "$UAC_XML" -s "f$i" \
			-i "$SBCNET_PA4" -p $((5070 + i)) -r "$r" -rp 1000 -m "$calls" -d 0 \
			-recv_timeout 10000 -timeout $((SECONDS_PER_RATE + 60)) -buff_size 4194304 \
			"${tolerate[@]}" -nostdin -trace_stat -stf "$STEP_DIR/uac$i.csv" -fd 1 -trace_counts \
			"$SBCNET_SBC4:5060" </dev/null >"$STEP_DIR/uac$i.out" 2>&1) &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i"
	done
	t1=$EPOCHREALTIME
	read -ra cpu1 <<<"$(cpu_now)"
	sleep 0.5				# the last INVITEs' copies reach the captures
	capture_stop
	STEP_B2B=
	if [ "$x" = sbc ]; then			# the B2BUA's own counts (sent every second)
		sleep 1.2
		read -ra b2b1 <<<"$(b2b_now)"
		STEP_B2B="; the B2BUA: $((b2b1[0] - b2b0[0])) answered"
		if [ "$MEDIA" = relay ]; then
			STEP_B2B+=" (each one's 200 held for the data plane's READY of its media session),"
			STEP_B2B+=" $((b2b1[1] - b2b0[1])) media refused, $((b2b1[2] - b2b0[2])) without"
			STEP_B2B+=" a free port"
		else
			STEP_B2B+=" (media direct: SDP unchanged)"
		fi
	fi
	STEP_HARNESS=$(($(harness_now) - h0))
	read -r STEP_CREATED STEP_OK STEP_FAILED STEP_UNEXP <<<"$("${MEASURE[@]}" calls "$STEP_DIR")"
	STEP_CPU=()
	for i in "${!cpu0[@]}"; do
		STEP_CPU+=($((${cpu1[i]} - ${cpu0[i]})))
	done
	STEP_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	lat=$("${MEASURE[@]}" latency "$STEP_DIR/in.pcap" "$STEP_DIR/out.pcap") ||
		{ say "FAIL: reading the captures of $x at $rate CPS"; return 1; }
	read -r STEP_MATCHED STEP_NIN STEP_NOUT STEP_P50 STEP_P99 <<<"$lat"
	grep -h "dropped" "$STEP_DIR"/*.tshark | grep -v "^0 packets dropped" |
		sed "s/^/# $x $rate CPS: tshark: /"
	return 0
}

per_call() {	# MS CALLS: ms per call with 2 decimals, "-" without calls
	awk -v m="$1" -v c="$2" 'BEGIN { if (c > 0) printf "%.2f", m / c; else printf "-" }'
}

# wait_quiet: until the 1-minute load average is QUIET_LOAD or less, at most QUIET_WAIT s
wait_quiet() {
	local end=$((SECONDS + QUIET_WAIT)) l told=
	while :; do
		l=$(cut -d' ' -f1 /proc/loadavg)
		awk -v l="$l" -v m="$QUIET_LOAD" 'BEGIN { exit !(l <= m) }' && return 0
		if [ $SECONDS -ge $end ]; then
			say "# load average $l still above $QUIET_LOAD after $QUIET_WAIT s: measuring anyway"
			return 0
		fi
		[ -n "$told" ] || say "# waiting for the 1-minute load average ($l) to fall to" \
			"$QUIET_LOAD (at most $QUIET_WAIT s)"
		told=1
		sleep 5
	done
}

# run_x NAME LABEL: one X through the rates; sets RES_* for the table
run_x() {
	local x=$1 label=$2 rate offered cpu_txt
	RES_RATE='' RES_CPU='' RES_LAT='' RES_NOTE='' RES_UNEXP=0
	wait_quiet
	sbcnet_init
	say "# $label: namespaces $NS_SBC $NS_LAN $NS_PA $NS_PB"
	sbcnet_up || { say "FAIL: building the namespaces"; harness_failed=1; return 1; }
	X_PIDS=()
	if [ "$x" = kamailio ]; then
		start_kamailio || { harness_failed=1; RES_NOTE="did not start"; bench_cleanup; return 1; }
		CPU_PIDS=("$KAM_PID")
	else
		if ! start_sbc; then
			RES_NOTE=$SBC_START_ERR
			unmeasured=1
			say "$label: $SBC_START_ERR"
			bench_cleanup
			return 0
		fi
		CPU_PIDS=("$CP_PID" "$DP_PID" "$REDIS_PID")
	fi
	start_carrier || { harness_failed=1; bench_cleanup; return 1; }
	for rate in ${RATES//,/ }; do
		run_rate "$x" "$rate" || { harness_failed=1; break; }
		offered=$((rate * SECONDS_PER_RATE))
		if [ "$x" = kamailio ]; then
			cpu_txt="$(per_call "${STEP_CPU[0]}" "$STEP_OK") CPU-ms/call"
		else
			cpu_txt="CP $(per_call "${STEP_CPU[0]}" "$STEP_OK"), DP $(per_call \
				"${STEP_CPU[1]}" "$STEP_OK"), redis $(per_call "${STEP_CPU[2]}" \
				"$STEP_OK") CPU-ms/call"
		fi
		say "# $label $rate CPS: $offered offered, $STEP_CREATED created, $STEP_OK successful," \
			"$STEP_FAILED failed in ${STEP_WALL} s ($STEP_UNEXP unexpected messages);" \
			"$cpu_txt (the harness: sipp and tshark $(per_call "$STEP_HARNESS" \
			"$STEP_OK")); INVITE in->out p50" \
			"$STEP_P50 ms, p99 $STEP_P99 ms ($STEP_MATCHED of $STEP_NIN matched," \
			"$STEP_NOUT out)$STEP_B2B; load $(cut -d' ' -f1-3 /proc/loadavg)"
		if [ "$STEP_OK" -eq 0 ]; then
			RES_NOTE="no call completed at $rate CPS"
			unmeasured=1
			say "$label: no call completed at $rate CPS"
			break
		fi
		if [ "$STEP_FAILED" -ne 0 ] || [ "$STEP_OK" -ne "$offered" ]; then
			RES_NOTE="$STEP_FAILED of $offered failed at $rate CPS"
			break
		fi
		RES_RATE=$rate
		if [ "$x" = kamailio ]; then
			RES_CPU=$(per_call "${STEP_CPU[0]}" "$STEP_OK")
		else
			RES_CPU="CP $(per_call "${STEP_CPU[0]}" "$STEP_OK") / DP $(per_call \
				"${STEP_CPU[1]}" "$STEP_OK")"
		fi
		RES_LAT="$STEP_P50 / $STEP_P99"
		RES_UNEXP=$STEP_UNEXP
	done
	[ -n "$RES_NOTE" ] || RES_NOTE="every rate up to $rate CPS passed"
	[ -z "$RES_RATE" ] || RES_NOTE="$RES_NOTE; $RES_UNEXP unexpected messages at $RES_RATE CPS"
	bench_cleanup
}

say "# bench_cps: $SECONDS_PER_RATE s per rate, rates $RATES CPS, at most $PER_UAC CPS per sipp UAC," \
	"calls of 0 s; the SBC's media = $MEDIA; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
table=()
row() { table+=("$(printf '%-10s %-16s %-24s %-18s %s' "$@")"); }
row X "0-failed CPS" "CPU-ms/call" "p50 / p99 ms" "outcome"
if [ "$ONLY" != sbc ]; then
	run_x kamailio Kamailio
	row Kamailio "${RES_RATE:-none}" "${RES_CPU:--}" "${RES_LAT:--}" "$RES_NOTE"
fi
if [ "$ONLY" != kamailio ]; then
	run_x sbc SBC
	row SBC "${RES_RATE:-none}" "${RES_CPU:--}" "${RES_LAT:--}" "$RES_NOTE"
fi
{
	echo
	echo "End-to-end CPS (sipp floor -> X -> sipp carrier, ${SECONDS_PER_RATE} s per rate, calls of 0 s;"
	echo "CPU-ms per successful call at the highest rate with 0 failed calls; the SBC's CP ="
	echo "sbc-controlplane, DP = sbc-dataplane, whose worker polls a core at 100 %; latency ="
	echo "INVITE in -> INVITE out at that rate; unexpected messages (a 180 after the 200) do not"
	echo "fail a call that completes$([ -z "$STRICT" ] || echo ": --strict, they did here"))"
	printf '%s\n' "${table[@]}"
} | tee -a ${OUT:+"$OUT"}
[ "$harness_failed" -eq 0 ] && [ "$unmeasured" -eq 0 ]
