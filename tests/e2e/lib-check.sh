# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
#
# TAP-like checks for the e2e scripts: "ok   - ..." / "FAIL - ..." lines, counted in
# $checks / $failures. fatal stops the run, shows the tail of the data plane's log and of the
# files listed in $E2E_LOGS ("label:path" words), and keeps the run's directory.

# Sourced by every e2e script (after `here` is set): scripts/lib-netns.sh comes with it.
declare -F sbcnet_init >/dev/null ||
	# shellcheck source-path=SCRIPTDIR source=../../scripts/lib-netns.sh
	. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib-netns.sh"

failures=0 checks=0
# e2e_args "SPEC" "$@": the programs meson passes (relative to the build directory), as absolute
# paths in variables named after SPEC's words (SBC_DATAPLANE -> dataplane, SBC_CONTROLPLANE ->
# controlplane, SBCCTL -> sbcctl), in order; a [WORD] may be absent or empty (its variable
# empty); any other missing stops the script with its usage.
e2e_args() {
	local spec=$1 w name opt
	shift
	for w in $spec; do
		opt=0
		[[ $w == \[*\] ]] && opt=1 w=${w:1:-1}
		name=${w#SBC_} name=${name,,}
		if [ -n "${1:-}" ]; then
			printf -v "$name" '%s' "$(realpath -m -- "$1")"
		elif [ $opt = 1 ]; then
			printf -v "$name" ''
		else
			echo "usage: $0 $spec" >&2
			exit 1
		fi
		[ $# -eq 0 ] || shift
	done
}
# bench_lock ARGS...: a benchmark's run, once: the script runs itself again with ARGS (its own
# arguments, as it was given them) under /tmp/sbc-bench.lock, unless SBC_BENCH_LOCKED=1 says
# a caller holds it (scripts/bench.sh)
bench_lock() {
	[ "${SBC_BENCH_LOCKED:-}" = 1 ] || SBC_BENCH_LOCKED=1 exec flock /tmp/sbc-bench.lock "$0" "$@"
}
# e2e_preflight "TOOL..." EXECUTABLE...: what every e2e script needs before it makes anything:
# root and ip netns, its tools (else exit 77, a skip naming what is missing), its binaries (else
# exit 1). Needs scripts/lib-netns.sh sourced first.
e2e_preflight() {
	local why tool b
	if ! why=$(sbcnet_netns_ok); then
		echo "SKIP: $why (the e2e suite needs root and ip netns)"
		exit 77
	fi
	for tool in $1; do
		command -v "$tool" >/dev/null ||
			{ echo "SKIP: $tool not installed (scripts/deps.sh)"; exit 77; }
	done
	shift
	for b in "$@"; do
		[ -x "$b" ] || { echo "FAIL: $b is not an executable"; exit 1; }
	done
}
# e2e_kamailio_tls: skip (77) unless Kamailio's tls module is installed
e2e_kamailio_tls() {
	local mods
	mods=$(kamailio -I 2>/dev/null | awk -F': *' '/paths to modules/ { print $2; exit }')
	[ -f "${mods:-/usr/lib/x86_64-linux-gnu/kamailio/modules}/tls.so" ] ||
		{ echo "SKIP: Kamailio's tls module is missing (kamailio-tls-modules, scripts/deps.sh)"; exit 77; }
}
pass() { checks=$((checks + 1)); echo "ok   - $*"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL - $*"; }
check() {	# DESC COMMAND...: the command's output is shown only when it fails
	local d=$1 out=${SBCNET_DIR:-/tmp}/check.out
	shift
	if "$@" >"$out" 2>&1; then
		pass "$d"
	else
		fail "$d"
		tail -n 20 "$out" | sed 's/^/    /'
	fi
}
check_eq() {	# DESC GOT WANT
	if [ "$2" = "$3" ]; then pass "$1 ($2)"; else fail "$1: got '$2', want '$3'"; fi
}
# Synchronisation is by condition, never by a sleep long enough on a quiet machine: poll until
# what a check needs has happened, with a deadline (wall clock) far beyond the usual time.
# poll_until SECONDS COMMAND...: 0 once COMMAND succeeds, 1 when SECONDS pass first.
poll_until() {
	local end=$((${EPOCHREALTIME/./} + ${1%.*} * 1000000))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "${EPOCHREALTIME/./}" -lt "$end" ] || return 1
		sleep 0.05
	done
}
# wait_for DESC SECONDS COMMAND...: pass once COMMAND succeeds, fail when SECONDS pass first
wait_for() {
	local d=$1 s=$2
	shift 2
	if poll_until "$s" "$@"; then pass "$d"; else fail "$d (not within $s s)"; return 1; fi
}
# prints WANT COMMAND...: COMMAND's output is WANT
prints() {
	local want=$1
	shift
	[ "$("$@" 2>/dev/null)" = "$want" ]
}
# wait_eq DESC SECONDS WANT COMMAND...: pass once COMMAND prints WANT; fail with what it
# printed last when SECONDS pass first
wait_eq() {
	local d=$1 s=$2 want=$3 out=${SBCNET_DIR:-/tmp}/wait_eq.out
	shift 3
	if poll_until "$s" prints "$want" "$@"; then
		pass "$d ($want)"
	else
		"$@" >"$out" 2>&1
		fail "$d: got '$(cat "$out")' (still, after $s s), want '$want'"
		return 1
	fi
}
fatal() {
	local l
	echo "FAIL - $* (stopping here)"
	[ -s "${SBCNET_DP_LOG:-}" ] && tail -n 40 "$SBCNET_DP_LOG" | sed 's/^/    dataplane: /'
	for l in ${E2E_LOGS:-}; do
		[ -s "${l#*:}" ] && tail -n 30 "${l#*:}" | sed "s/^/    ${l%%:*}: /"
	done
	SBCNET_KEEP=1
	echo "# logs kept in ${SBCNET_DIR:-}"
	exit 1
}

# capture_start NS FILE FILTER: dumpcap on NS's eth0 into FILE (pcap) with the capture FILTER,
# in the background; returns once it captures (its "File:" line, printed once the interface is
# open with the filter set and the file made: what tshark reports as "Capture started"), the
# pid in capture_pid and what it printed in FILE.log. dumpcap itself, not tshark: tshark loads
# every dissector before it starts dumpcap (half a CPU-second here, more under load), which a
# capture to a file does not need. Stop it with SIGINT (it writes what it has, then exits).
capture_start() {
	ip netns exec "$1" dumpcap -q -i eth0 -P -w "$2" -f "$3" </dev/null >"$2.log" 2>&1 &
	capture_pid=$!
	poll_until 30 grep -q "^File: " "$2.log" ||
		fatal "dumpcap did not start capturing in $1: $(tr '\n' ' ' <"$2.log")"
}

# e2e_begin: the run's names, traps that remove everything on any exit (calling the script's
# own e2e_cleanup first when it defines one), and the namespaces. e2e_end: stop, remove, prove
# nothing is left and the host namespace is untouched, summarise; its status is the run's.
e2e_begin() {
	e2e_host_before=$(sbcnet_host_state)
	sbcnet_init
	trap e2e_on_exit EXIT
	trap 'exit 130' INT
	trap 'e2e_down_mode=fast; exit 143' TERM HUP
	echo "# run $SBCNET_ID: namespaces $NS_SBC $NS_LAN $NS_PA $NS_PB"
	sbcnet_up || fatal "building the namespaces"
}

e2e_on_exit() {
	local rc=$?
	if declare -F e2e_cleanup >/dev/null; then
		e2e_cleanup
	fi
	sbcnet_down ${e2e_down_mode:-}
	exit $rc
}

e2e_end() {
	local run=$SBCNET_ID
	[ "$failures" -eq 0 ] || { SBCNET_KEEP=1; echo "# logs kept in $SBCNET_DIR"; }
	sbcnet_down
	check_eq "no namespace of this run is left" "$(ip netns list | grep -c -- "-$run\b")" 0
	if [ "$(sbcnet_host_state)" = "$e2e_host_before" ]; then
		pass "the host namespace's addresses and routes are unchanged"
	else
		fail "the host namespace's addresses and routes changed:"
		diff <(echo "$e2e_host_before") <(sbcnet_host_state) | sed 's/^/    /'
	fi
	echo "# $((checks - failures)) of $checks checks passed"
	[ "$failures" -eq 0 ]
}

# The CPS cap over the whole run (caps_e2e, tcpcaps_e2e). cap_watch TRUNK COUNT TIMEOUT: start
# tests/e2e/cap_watch.py's window watcher: it polls TRUNK's counters on the stats socket,
# timestamps each query with its own monotonic clock and prints the outer window (from before
# the first admission to after the last of COUNT INVITEs was counted) and the inner one (after
# the first admission to before the last INVITE); returns once it is ready.
cap_watch() {
	# a new file each time: the background job truncates its output only when it starts, so a
	# previous run's "ready" in a reused file let the callers start before the watcher's first
	# query (tcpcaps_e2e's TLS phase then counted 929 of its 960 INVITEs and timed out)
	cap_watch_out=$(mktemp -p "$SBCNET_DIR" watch.XXXXXX)
	"$SBCNET_PY" "$(dirname "${BASH_SOURCE[0]}")/cap_watch.py" window \
		"/var/run/dpdk/$SBCNET_PREFIX/dpdk_telemetry.v2" "$1" "$2" "$3" >"$cap_watch_out" 2>&1 &
	cap_watch_pid=$!
	poll_until 10 grep -qx ready "$cap_watch_out" ||
		fatal "the stats watcher did not start: $(cat "$cap_watch_out")"
}
# cap_window_check DESC CPS BURST: once the watcher ends, its admissions (w_adm) against the cap
# (GCRA: no window holds more; at 10x the cap it is offered all through the inner window, 0.8
# for a starved worker or a sipp stall):
#   admitted <= cps * outer + burst + 1      admitted >= 0.8 * cps * inner
# Sets w_adm, w_outer, w_inner (s); status 1 when the watcher measured no window (a failed check).
cap_window_check() {
	local d=$1 cps=$2 burst=$3 rc outer_ms inner_ms hi lo
	wait "$cap_watch_pid"
	rc=$?
	sed 's/^/# watcher: /' "$cap_watch_out"
	w_adm=
	if [ $rc -ne 0 ] || ! read -r _ w_adm _ w_outer _ w_inner < <(grep '^admitted ' "$cap_watch_out"); then
		fail "$d: the stats watcher measured no admission window"
		return 1
	fi
	# integer arithmetic in thousandths
	outer_ms=${w_outer/./} inner_ms=${w_inner/./}
	outer_ms=$((10#$outer_ms)) inner_ms=$((10#$inner_ms))
	hi=$(((cps * outer_ms + 999) / 1000 + burst + 1))
	lo=$((8 * cps * inner_ms / 10000))
	echo "# $d: $w_adm admitted in ${w_outer} s (outer window), ${w_inner} s (inner):" \
		"$(awk -v a="$w_adm" -v o="$w_outer" 'BEGIN { printf "%.2f", a / o }') to" \
		"$(awk -v a="$w_adm" -v i="$w_inner" 'BEGIN { printf "%.2f", (i > 0 ? a / i : 0) }') per s at cap $cps"
	if [ "$w_adm" -le "$hi" ]; then
		pass "$d: admitted $w_adm <= cps * ${w_outer} s + burst + 1 = $hi"
	else
		fail "$d: admitted $w_adm > cps * ${w_outer} s + burst + 1 = $hi"
	fi
	if [ "$w_adm" -ge "$lo" ]; then
		pass "$d: admitted $w_adm >= 0.8 * cps * ${w_inner} s = $lo"
	else
		fail "$d: admitted $w_adm < 0.8 * cps * ${w_inner} s = $lo"
	fi
}
