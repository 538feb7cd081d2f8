#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The default test run (also CI's, through .ci/run): installs what is missing, builds `build`,
# runs the suites unit and packet there, then e2e and fuzz while `build-release` (what
# scripts/bench.sh measures) and `build-asan` (ASan + UBSan) compile at the lowest priority beside
# them, then runs unit and packet in build-asan. Prints meson's summary for each run, every
# skipped test with the reason it gave, and ends with one line `N passed, N failed` (`N passed,
# N failed, N skipped` when anything skipped); exits non-zero when anything failed. No stdin
# needed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
exec </dev/null

passed=0 failed=0 skipped=0
recap=()

# compile DIR [meson options]: set up (or reconfigure) and compile; with SBC_TARGETS="SUITE..."
# only what those suites' tests need. Status 2: meson setup failed, 3: ninja failed.
compile() {
	local dir=$1 targets=()
	shift
	echo "=== build $dir $*"
	if [ -f "$dir/meson-private/coredata.dat" ]; then
		meson setup --reconfigure "$dir" "$@" || return 2
	else
		meson setup "$dir" "$@" || return 2
	fi
	if [ -n "${SBC_TARGETS:-}" ]; then
		# shellcheck disable=SC2086
		mapfile -t targets < <(suite_targets "$dir" $SBC_TARGETS) || return 2
		echo "(only the ${#targets[@]} targets the suites $SBC_TARGETS run)"
	fi
	ninja -C "$dir" "${targets[@]}" || return 3
}
# suite_targets DIR SUITE...: the ninja targets (outputs) the tests of those suites depend on
# (meson's own introspection; ninja builds what they link against)
suite_targets() {
	/usr/bin/python3 - "$@" <<'PY'
import json, os, sys
d, suites = sys.argv[1], {'sbc:' + s for s in sys.argv[2:]}
info = os.path.join(d, 'meson-info')
files = {t['id']: t['filename'] for t in json.load(open(os.path.join(info, 'intro-targets.json')))}
out = set()
for t in json.load(open(os.path.join(info, 'intro-tests.json'))):
    if suites & set(t['suite']):
        for dep in t['depends']:
            out.update(os.path.relpath(f, d) for f in files.get(dep, []))
print('\n'.join(sorted(out)))
PY
}
# build DIR [meson options]: compile; a failure counts as one failed
build() {
	compile "$@"
	built "$1" $?
}
# built DIR STATUS: count compile's status
built() {
	case $2 in
	0) return 0 ;;
	2) bad_build "$1" "meson setup" ;;
	*) bad_build "$1" ninja ;;
	esac
	return 1
}
bad_build() {
	failed=$((failed + 1))
	recap+=("$1: $2 FAILED (counted as 1 failed; its suites did not run)")
}
# background_build LOG DIR [meson options]: compile at the lowest priority (nice 19), its output
# in LOG and its status in LOG.rc; shown and counted by background_done
background_build() {
	local log=$1
	shift
	nice -n 19 bash -c "$(declare -f compile suite_targets); compile \"\$@\"" compile "$@" \
		>"$log" 2>&1
	echo $? >"$log.rc"
}
background_done() {	# LOG DIR: its output now, and its status counted; 0 when it built
	cat "$1"
	built "$2" "$(cat "$1.rc" 2>/dev/null || echo 3)"
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

# The sanitizer build's options. b_lundef=false: the sanitizer runtimes resolve some symbols only
# at load time.
asan_opts=(-Db_sanitize=address,undefined -Db_lundef=false)
bg_dir=$(mktemp -d)
bg_pid=
if build build; then
	suites build unit packet
	# The release build scripts/bench.sh measures (-O3 warns where -O2 does not; -Werror) and the
	# sanitizer build (only what its suites run) compile at nice 19 while the e2e suite runs: its
	# tests mostly wait on peers and timers, and any CPU they want is theirs first
	(
		background_build "$bg_dir/release.log" build-release --buildtype=release -Dbench_cycles=true
		SBC_TARGETS="unit packet" background_build "$bg_dir/asan.log" build-asan "${asan_opts[@]}"
	) &
	bg_pid=$!
	suites build e2e fuzz
fi
if [ -n "$bg_pid" ]; then
	wait "$bg_pid"
	background_done "$bg_dir/release.log" build-release
	background_done "$bg_dir/asan.log" build-asan
	asan_built=$?
else
	# the default build failed: the other two alone (their own failures counted)
	build build-release --buildtype=release -Dbench_cycles=true
	SBC_TARGETS="unit packet" build build-asan "${asan_opts[@]}"
	asan_built=$?
fi
rm -rf "$bg_dir"

# Sanitizers: UBSan stops at the first report with a stack. LeakSanitizer stays on: DPDK
# 22.11's own exit paths here (EAL with --no-huge, net_pcap, net_af_packet, net_tap) were
# measured leak-free, but allocations EAL or a PMD keeps for the process's lifetime are not ours
# to fix, so leaks whose stack runs through a DPDK library are suppressed (rte_malloc memory is
# invisible to LSan anyway).
if [ "$asan_built" -eq 0 ]; then
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
