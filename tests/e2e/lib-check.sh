# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
#
# TAP-like checks for the e2e scripts: "ok   - ..." / "FAIL - ..." lines, counted in
# $checks / $failures. fatal stops the run, shows the tail of the data plane's log and of the
# files listed in $E2E_LOGS ("label:path" words), and keeps the run's directory.

failures=0 checks=0
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
