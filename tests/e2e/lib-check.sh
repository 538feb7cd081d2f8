# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
#
# TAP-like checks for the e2e scripts: "ok   - ..." / "FAIL - ..." lines, counted in
# $checks / $failures. fatal stops the run, shows the tail of the data plane's log and of the
# files listed in $E2E_LOGS ("label:path" words), and keeps the run's directory.

failures=0 checks=0
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
