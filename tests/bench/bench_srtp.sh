#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# SRTP per core, both libsrtp2 builds side by side (suite bench): runs bench_srtp (the OpenSSL
# build from scripts/deps-srtp.sh, what the data plane links) and bench_srtp_debian (Debian's
# libsrtp2, NSS) in turns, ROUNDS times each, and prints per suite and direction Mpps per core
# (the CPU-second rate of the median pass, the figure least moved by other work on a shared
# machine), per CPU second of the whole run and per wall second, the OpenSSL/NSS ratio, and the
# issue's target (>= 2 Mpps SRTP -> RTP per core with OpenSSL). RTP of 160 bytes of payload.
# With --path, then the same for the worker's whole media path (bench_srtp_path and its NSS twin:
# media table lookup, strict source, SRTP, RTP figures, rewrite, checksums, tx, for --sessions
# sessions), SRTP -> RTP and RTP -> SRTP next to the plain relay of the same frames, and the
# target taken on that path's SRTP -> RTP figure.
# Run it alone on the machine: `flock /tmp/sbc-bench.lock ...` (scripts/bench.sh holds it).
#
# usage: bench_srtp.sh BENCH_SRTP BENCH_SRTP_DEBIAN [--path PATH PATH_DEBIAN] [--sessions N]
#                      [--out FILE] [--seconds S] [--rounds R]
set -euo pipefail

ours=$1 ref=$2
shift 2
out= seconds=2 rounds=3 path= path_ref= sessions=1000
while [ $# -gt 0 ]; do
	case $1 in
	--path) path=$2 path_ref=$3; shift 2 ;;
	--sessions) sessions=$2; shift ;;
	--out) out=$2; shift ;;
	--seconds) seconds=$2; shift ;;
	--rounds) rounds=$2; shift ;;
	*) echo "bench_srtp.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
# the median of a space-separated list (both tables)
awk_median='
function median(list,   n, i, j, t, a) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
		t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

'
raw=$(mktemp) rawp=$(mktemp) log=$(mktemp)
trap 'rm -f "$raw" "$rawp" "$log"' EXIT
for ((r = 0; r < rounds; r++)); do
	"$ours" --seconds "$seconds" >>"$raw"
	"$ref" --seconds "$seconds" >>"$raw"
	[ -n "$path" ] || continue
	for p in "$path" "$path_ref"; do
		# the data plane's start-up lines (stderr) shown only when a run fails
		"$p" --seconds "$seconds" --sessions "$sessions" --suite AES_CM_128_HMAC_SHA1_80 \
			--mode unprotect --mode protect --mode plain >>"$rawp" 2>"$log" &&
			"$p" --seconds "$seconds" --sessions "$sessions" --suite AEAD_AES_128_GCM \
				--mode unprotect >>"$rawp" 2>"$log" ||
			{ cat "$log" >&2; exit 1; }
	done
done

table=$(awk -v rounds="$rounds" -v secs="$seconds" "$awk_median"'
{	k = $1 SUBSEP $2 SUBSEP $3
	wall[k] = wall[k] " " $4; cpu[k] = cpu[k] " " $5; pass[k] = pass[k] " " $6
	if (!(($2 SUBSEP $3) in seen)) { seen[$2 SUBSEP $3] = 1; order[++n] = $2 SUBSEP $3 } }
END {
	printf "SRTP per core: RTP of 160 B payload, one thread, %d rounds of %s s per build (Mpps)\n", rounds, secs
	printf "  per core = CPU-second rate of the median 1024-packet pass (median over rounds);\n"
	printf "  run = packets / CPU seconds of the whole run; wall = packets / elapsed (core shared)\n"
	printf "%-24s %-10s %9s %9s %7s %9s %9s %9s %9s\n", "suite", "direction", "OpenSSL", "NSS", "ratio", "OSSL run", "NSS run", "OSSL wall", "NSS wall"
	for (i = 1; i <= n; i++) {
		split(order[i], f, SUBSEP)
		ko = "OpenSSL" SUBSEP order[i]; kn = "NSS" SUBSEP order[i]
		o = median(pass[ko]); m = median(pass[kn])
		dir = (f[2] == "unprotect" ? "SRTP->RTP" : "RTP->SRTP")
		printf "%-24s %-10s %9.3f %9.3f %6.1fx %9.3f %9.3f %9.3f %9.3f\n", f[1], dir, o, m, (m > 0 ? o / m : 0), median(cpu[ko]), median(cpu[kn]), median(wall[ko]), median(wall[kn])
		if (f[1] == "AES_CM_128_HMAC_SHA1_80" && f[2] == "unprotect") target = o
	}
	printf "target: SRTP->RTP AES_CM_128_HMAC_SHA1_80 >= 2 Mpps per core with OpenSSL (dp_srtp alone): %.3f (%s)\n", target, (target >= 2 ? "met" : "NOT met")
}' "$raw")
if [ -n "$path" ]; then
	table+=$'\n'$(awk -v rounds="$rounds" -v secs="$seconds" -v sessions="$sessions" "$awk_median"'
$1 == "path" {
	k = $2 SUBSEP $3 SUBSEP $4
	wall[k] = wall[k] " " $5; cpu[k] = cpu[k] " " $6; pass[k] = pass[k] " " $7
	if (!(($3 SUBSEP $4) in seen)) { seen[$3 SUBSEP $4] = 1; order[++n] = $3 SUBSEP $4 } }
END {
	printf "\nSRTP on the worker media path (dp_worker_feed, %d sessions, one frame each in turn), %d rounds of %s s per build (Mpps)\n", sessions, rounds, secs
	printf "%-24s %-10s %9s %9s %7s %9s %9s %9s %9s\n", "suite", "direction", "OpenSSL", "NSS", "ratio", "OSSL run", "NSS run", "OSSL wall", "NSS wall"
	for (i = 1; i <= n; i++) {
		split(order[i], f, SUBSEP)
		ko = "OpenSSL" SUBSEP order[i]; kn = "NSS" SUBSEP order[i]
		o = median(pass[ko]); m = median(pass[kn])
		dir = (f[2] == "unprotect" ? "SRTP->RTP" : f[2] == "protect" ? "RTP->SRTP" : "RTP->RTP")
		printf "%-24s %-10s %9.3f %9.3f %6.1fx %9.3f %9.3f %9.3f %9.3f\n", f[1], dir, o, m, (m > 0 ? o / m : 0), median(cpu[ko]), median(cpu[kn]), median(wall[ko]), median(wall[kn])
		if (f[1] == "AES_CM_128_HMAC_SHA1_80" && f[2] == "unprotect") target = o
	}
	printf "target: SRTP->RTP AES_CM_128_HMAC_SHA1_80 on the media path >= 2 Mpps per core with OpenSSL: %.3f (%s)\n", target, (target >= 2 ? "met" : "NOT met")
}' "$rawp")
fi
echo "$table"
if [ -n "$out" ]; then
	echo "$table" >>"$out"
fi
