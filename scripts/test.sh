#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The default test run (also CI's, through .ci/run): installs what is missing, builds `build`,
# runs the suites unit, packet, e2e and fuzz, compiles `build-release` (what scripts/bench.sh
# measures), then builds `build-asan` (ASan + UBSan) and runs unit and packet there. Prints meson's summary for each run, every skipped test with the reason
# it gave, and ends with one line `N passed, N failed` (`N passed, N failed, N skipped` when
# anything skipped); exits non-zero when anything failed. No stdin needed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
exec </dev/null

passed=0 failed=0 skipped=0
recap=()

# build DIR [meson options]: set up (or reconfigure) and compile; a failure counts as one failed
build() {
	local dir=$1
	shift
	echo "=== build $dir $*"
	if [ -f "$dir/meson-private/coredata.dat" ]; then
		meson setup --reconfigure "$dir" "$@" || { bad_build "$dir" "meson setup"; return 1; }
	else
		meson setup "$dir" "$@" || { bad_build "$dir" "meson setup"; return 1; }
	fi
	ninja -C "$dir" || { bad_build "$dir" ninja; return 1; }
}
bad_build() {
	failed=$((failed + 1))
	recap+=("$1: $2 FAILED (counted as 1 failed; its suites did not run)")
}

# suites DIR SUITE...: meson test over those suites, its summary folded into the totals.
# A --suite that matches nothing (a suite not written yet) is simply not selected; when none
# matches at all meson prints "No suitable tests defined." and exits 0: counted as nothing.
suites() {
	local dir=$1 log ok xfail fail upass skip tout rc args=()
	shift
	for s in "$@"; do
		args+=(--suite "$s")
	done
	echo "=== meson test -C $dir ($*)"
	log=$(mktemp)
	meson test -C "$dir" "${args[@]}" --print-errorlogs --num-processes 2 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	field() { awk -v k="$1" '$0 ~ "^" k ":" { v = $NF } END { print v + 0 }' "$log"; }
	ok=$(field Ok) xfail=$(field "Expected Fail") fail=$(field Fail)
	upass=$(field "Unexpected Pass") skip=$(field Skipped) tout=$(field Timeout)
	if ! grep -q '^Ok:' "$log"; then
		if grep -q 'No suitable tests defined\|No tests defined' "$log"; then
			recap+=("$dir ($*): no tests in these suites")
		else
			failed=$((failed + 1))
			recap+=("$dir ($*): meson test exited $rc without a summary (counted as 1 failed)")
		fi
		rm -f "$log"
		return
	fi
	# an expected failure is a pass; timeouts and unexpected passes are failures
	passed=$((passed + ok + xfail))
	failed=$((failed + fail + upass + tout))
	skipped=$((skipped + skip))
	recap+=("$dir ($*): Ok $ok, Expected Fail $xfail, Fail $fail, Unexpected Pass $upass, Skipped $skip, Timeout $tout")
	# each skipped test with its reason (the SKIP line it printed), so a skip is never silent
	if [ "$skip" -gt 0 ] && [ -f "$dir/meson-logs/testlog.json" ]; then
		while IFS= read -r l; do
			recap+=("  skipped: $l")
		done < <(python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t.get('result') == 'SKIP':
        why = [x for x in (t.get('stdout') or '').splitlines() if 'SKIP' in x]
        print(f"{t['name']}: {why[0] if why else '(no reason printed)'}")
PY
		)
	fi
	if [ "$rc" -ne 0 ] && [ $((fail + upass + tout)) -eq 0 ]; then
		failed=$((failed + 1))
		recap+=("$dir ($*): meson test exited $rc with no failed test (counted as 1 failed)")
	fi
	rm -f "$log"
}

echo "=== scripts/deps.sh"
if ! bash scripts/deps.sh; then
	echo "0 passed, 1 failed"
	exit 1
fi

if build build; then
	suites build unit packet e2e fuzz
fi

# The release build scripts/bench.sh measures (-O3 warns where -O2 does not; -Werror): compiled,
# its suites are the default build's.
build build-release --buildtype=release -Dbench_cycles=true || true

# Sanitizers. b_lundef=false: the sanitizer runtimes resolve some symbols only at load time.
# UBSan stops at the first report with a stack. LeakSanitizer stays on: DPDK 22.11's own exit
# paths here (EAL with --no-huge, net_pcap, net_af_packet, net_tap) were measured leak-free, but
# allocations EAL or a PMD keeps for the process's lifetime are not ours to fix, so leaks whose
# stack runs through a DPDK library are suppressed (rte_malloc memory is invisible to LSan anyway).
if build build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
	supp=$PWD/build-asan/lsan-dpdk.supp
	printf '# written by scripts/test.sh\nleak:librte_\n' >"$supp"
	ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:halt_on_error=1} \
		LSAN_OPTIONS=suppressions=$supp:print_suppressions=0 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		suites build-asan unit packet
fi

echo
echo "=== summary"
for l in "${recap[@]}"; do
	echo "$l"
done
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
