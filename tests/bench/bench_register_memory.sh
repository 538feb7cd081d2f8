#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The registrar's memory under a REGISTER storm (issue 11, FreeSWITCH CVE-2021-41145): COUNT
# REGISTERs (default 1,000,000) with random Call-IDs and random users from NSRC (1,000) unlisted
# sources in pb-ID (198.18.0.1 and up: RFC 2544's benchmarking range, routed via pb's .30).
# reg_storm.py: 1 user in 10 exists with the password used (-> 200, a binding that moves from
# source to source), the others are unknown (-> 401, a counted authentication failure;
# lockout thresholds set so that none is locked out). Both processes' resident size is sampled
# every SAMPLE s during the storm and for AFTER s after it. Prints the storm's figures, per
# process the start, the peak in each quarter of the storm, the end and AFTER s later, the
# REGISTER rate per quarter, the registrar's counters (recent answers pushed out early, 503s
# for Redis, nta's transactions) and whether memory stayed bounded: the last quarter's peak no
# higher than the highest earlier one + 10 % or 4 MB (memory that grows with the count grows
# quarter by quarter) and, for the control plane's heap, its peak no more than BOUND MB (--bound, 32)
# above its start: the registrar answers statelessly, and what a storm may make it hold is fixed (the
# ring of recent answers, 5.5 MB; 256 REGISTERs waiting for Redis; the entries this storm's
# 1,000 sources and users put in its tables), not a multiple of the rate (nta's transactions,
# 13-20 KB each for 32 s: 1.2 GB at 1,865 REGISTERs/s before). The samples go to <out>.rss.
# At 1,000-2,000 REGISTERs/s on this 2-core machine the default count takes 10-20 min; --count
# makes a shorter run (a minute of it, 32 s of answers in the ring, shows the bound).
# usage: bench_register_memory.sh [--count N] [--sources N] [--after S] [--bound MB]
#        [--out FILE] SBC_DATAPLANE SBC_CONTROLPLANE SBCCTL
set -u

here=$(cd "$(dirname "$0")" && pwd)
e2e=$here/../e2e
# shellcheck source-path=SCRIPTDIR source=../e2e/lib-check.sh
. "$e2e/lib-check.sh"	# and scripts/lib-netns.sh
all=("$@") COUNT=1000000 NSRC=1000 AFTER=60 SAMPLE=2 BOUND=32 OUT=
while [ $# -gt 0 ]; do
	case $1 in
	--count) COUNT=$2; shift 2 ;;
	--sources) NSRC=$2; shift 2 ;;
	--after) AFTER=$2; shift 2 ;;
	--bound) BOUND=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	*) break ;;
	esac
done
e2e_args "SBC_DATAPLANE SBC_CONTROLPLANE SBCCTL" "$@"
e2e_preflight "ethtool ss redis-server redis-cli flock" "$dataplane" "$controlplane" "$sbcctl"
bench_lock "${all[@]}"

BASE=198.18.0.1	# the sources: BASE .. BASE + NSRC - 1 (RFC 2544), listed nowhere
cp_pid='' sampler=''
port=$((20000 + RANDOM % 20000))
e2e_cleanup() {
	[ -z "$sampler" ] || kill -9 "$sampler" 2>/dev/null
	stop_cp KILL
	return 0
}
e2e_begin
# shellcheck source-path=SCRIPTDIR source=../e2e/lib-redis.sh
. "$e2e/lib-redis.sh"	# R, e2e_redis_cp, stop_cp, registrar_conf
E2E_LOGS="controlplane:$cp_log"

# The sources live in pb-ID; the SBC's kernel reaches them through pb's address (one
# neighbour entry, not one per source).
"$SBCNET_PY" - "$BASE" "$NSRC" <<'PY' | ip -n "$NS_PB" -batch - || fatal "source addresses"
import ipaddress, sys
b = ipaddress.ip_address(sys.argv[1])
for i in range(int(sys.argv[2])):
    print(f'addr add {b + i}/32 dev eth0')
PY

conf=$SBCNET_DIR/sbc.conf
registrar_conf "auth_failures = 1000" "auth_window = 1" "register_rate = 50"
sbcnet_start_dp "$dataplane" "$conf" || fatal "sbc-dataplane did not start"
ip -n "$NS_SBC" route add 198.18.0.0/15 via "$SBCNET_PB4" dev sbc0 || fatal "route to the sources"
e2e_redis_cp -q
# 1,000 known users (u00000 .. u00999, password "pw"): both HA1s for the trunk's realm
"$SBCNET_PY" - <<'PY' | R >/dev/null || fatal "users"
import hashlib
for i in range(1000):
    u = 'u%05d' % i
    a = f'{u}:digest.example:pw'.encode()
    print(f'HSET sbc:user:pbx-digest:{u} ha1_md5 {hashlib.md5(a).hexdigest()} '
          f'ha1_sha256 {hashlib.sha256(a).hexdigest()}')
PY

# kB of /proc/PID/status FIELD
kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null; }
rss=${OUT:-$SBCNET_DIR/bench_register_memory.txt}.rss
# T CP_RSSANON CP_VMRSS DP_VMRSS every SAMPLE s, until killed. The control plane's RssAnon is
# its heap; its VmRSS adds the channel's shared rings (resident page by page as they are used).
(t0=$(date +%s.%N); while :; do
	echo "$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.1f", a - b }') \
$(kb "$cp_pid" RssAnon) $(kb "$cp_pid" VmRSS) $(kb "$SBCNET_DP_PID" VmRSS)"
	sleep "$SAMPLE"
done) >"$rss" &
sampler=$!
poll_until 10 test -s "$rss" || fatal "no RSS sample"

ip netns exec "$NS_PB" "$SBCNET_PY" "$here/reg_storm.py" "$SBCNET_SBC4" digest.example pw MD5 \
	"$COUNT" "$BASE" "$NSRC" 10000 1000 64 10 >"$SBCNET_DIR/storm.out" || fatal "reg_storm.py"
t_end=$(tail -n 1 "$rss" | cut -d' ' -f1)
read -r _ sent ok failed lost elapsed < <(grep '^done' "$SBCNET_DIR/storm.out")
poll_until $((AFTER + 10)) awk -v t="$t_end" -v a="$AFTER" '$1 >= t + a { f = 1 } END { exit !f }' "$rss"
kill "$sampler"; wait "$sampler" 2>/dev/null; sampler=''
drops=$(sbcnet_tel /sbc/drops 2>/dev/null | "$SBCNET_PY" -c '
import json, sys
print(" ".join(f"{k}={v}" for k, v in sorted(json.load(sys.stdin).items()) if v))')
bindings=$(R --scan --pattern 'sbc:reg:*' | wc -l)
reg=$(sbcnet_tel /sbc/channel 2>/dev/null | "$SBCNET_PY" -c '
import json, sys
c = json.load(sys.stdin)
print(" ".join(f"{k[3:]}={c.get(k, 0)}" for k in ("cp_reg_registers", "cp_reg_answers_evicted",
      "cp_reg_busy", "cp_reg_answered_again", "cp_sip_transactions")))')
stop_cp

# COL of the samples: at the start, its peak in each quarter of the storm, at the end, AFTER s on
summary() {
	awk -v col="$1" -v end="$t_end" -v after="$AFTER" '
	{ t[NR] = $1; v[NR] = $col }
	END {
		for (i = 1; i <= NR; i++) {
			if (t[i] <= end) { q = int(4 * t[i] / (end + 0.001)); if (v[i] > pk[q]) pk[q] = v[i]; e = v[i] }
			if (t[i] <= end + after) a = v[i]
		}
		printf "%d %d %d %d %d %d %d\n", v[1], pk[0], pk[1], pk[2], pk[3], e, a
	}' "$rss"
}
read -r a0 aq1 aq2 aq3 aq4 aend aafter < <(summary 2)
read -r c0 cq1 cq2 cq3 cq4 cend cafter < <(summary 3)
read -r d0 dq1 dq2 dq3 dq4 dend dafter < <(summary 4)
# REGISTERs/s in each quarter, from the storm's own progress lines ("progress T SENT ...")
read -r r1 r2 r3 r4 < <(awk -v e="$elapsed" '
	$1 == "progress" { t[++n] = $2; c[n] = $3 }
	$1 == "done" { d = $2 }
	END {
		t[0] = 0; c[0] = 0; t[n + 1] = e; c[n + 1] = d
		for (q = 0; q < 4; q++) {
			a = 0; b = n + 1
			for (i = 0; i <= n + 1; i++) { if (t[i] <= q * e / 4) a = i; if (t[i] >= (q + 1) * e / 4 && b == n + 1) b = i }
			printf "%.0f ", (t[b] > t[a] ? (c[b] - c[a]) / (t[b] - t[a]) : 0)
		}
		print ""
	}' "$SBCNET_DIR/storm.out")
# bounded: the last quarter's peak within 10 % (at least 4 MB: a heap of 10-20 MB moves by a
# few MB as malloc reuses and trims it) of the highest earlier one (memory that grows with the
# count is higher in every quarter than in all before it: 4 MB over the last quarter of a
# million REGISTERs is 16 bytes each; what follows the rate, up to its bound, may differ from
# quarter to quarter as the rate does) and, for the control plane's heap, its highest peak
# within BOUND MB of its start (a storm's REGISTERs hold at most a fixed amount, whatever
# their rate)
bounded() {	# START Q1..Q4 [BOUND_KB]
	local early=$2 slack q
	for q in "$3" "$4"; do [ "$q" -le "$early" ] || early=$q; done
	slack=$((early / 10))
	[ "$slack" -ge 4096 ] || slack=4096
	[ "$5" -le $((early + slack)) ] &&
		{ [ -z "${6:-}" ] || [ $(($5 > early ? $5 - $1 : early - $1)) -le "$6" ]; }
}
verdict_cp=no verdict_dp=no
bounded "$a0" "$aq1" "$aq2" "$aq3" "$aq4" $((BOUND * 1024)) && verdict_cp=yes
bounded "$d0" "$dq1" "$dq2" "$dq3" "$dq4" && verdict_dp=yes
{
	echo "# REGISTER storm (reg_storm.py): $sent REGISTERs from $NSRC unlisted sources, random"
	echo "# Call-IDs and users (1 in 10 known), 64 registrations in flight, $elapsed s"
	printf 'registrations ok %s, refused (unknown user) %s, lost %s; %.0f REGISTERs/s\n' \
		"$ok" "$failed" "$lost" "$(awk -v n="$sent" -v s="$elapsed" 'BEGIN { print n / s }')"
	echo "data plane drops: ${drops:-none}; bindings left in Redis: $bindings"
	echo "control plane at the end: ${reg:-?}"
	printf '%-13s %8s %8s %8s %8s %8s %8s %9s %8s\n' kB start q1_peak q2_peak q3_peak \
		q4_peak end "+${AFTER}s" bounded
	printf '%-13s %8s %8s %8s %8s %8s %8s %9s %8s\n' cp_RssAnon "$a0" "$aq1" "$aq2" "$aq3" \
		"$aq4" "$aend" "$aafter" "$verdict_cp"
	printf '%-13s %8s %8s %8s %8s %8s %8s %9s %8s\n' cp_VmRSS "$c0" "$cq1" "$cq2" "$cq3" \
		"$cq4" "$cend" "$cafter" -
	printf '%-13s %8s %8s %8s %8s %8s %8s %9s %8s\n' REGISTER/s - "$r1" "$r2" "$r3" "$r4" - - -
	printf '%-13s %8s %8s %8s %8s %8s %8s %9s %8s\n' dp_VmRSS "$d0" "$dq1" "$dq2" "$dq3" \
		"$dq4" "$dend" "$dafter" "$verdict_dp"
	echo "# bounded: q4 peak <= the highest of q1-q3 + 10 % (4 MB at least); for the control"
	echo "# plane's heap also its highest peak <= start + $BOUND MB"
} | tee ${OUT:+-a "$OUT"}
check_eq "the control plane's memory stayed bounded" "$verdict_cp" yes
check_eq "the data plane's memory stayed bounded" "$verdict_dp" yes
check "registrations answered: lost $lost of $((ok + failed + lost)) (<= 5 %)" \
	test "$lost" -le $(((ok + failed + lost) / 20))
e2e_end
