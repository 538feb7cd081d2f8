#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# e2e: the CPS cap with real SIP stacks. The topology of scripts/lib-netns.sh with two listed
# trunks: pbx-floor (pa-ID, cps 10, burst 1) and carrier-b (pb-ID, cps 100); sipp's built-in
# callee behind the tap answers after 700 ms, so every admitted INVITE is retransmitted once
# (T1 = 500 ms). sipp UAC in pa-ID calls at 100 CPS (10x its cap), sipp UAC in pb-ID at 20 CPS
# beside it. Checks: carrier-b loses no call; pbx-floor's admissions over the whole run match its
# cap: a watcher on the stats socket timestamps (its own clock) the window in which the data
# plane admitted pbx-floor's calls, from before the first admission to after the last INVITE was
# counted (outer) and from after the first admission to before the last INVITE (inner), and
#   admitted <= cps * outer + burst + 1      (GCRA: no window ever holds more; the outer window
#                                            holds them all, however slow the machine)
#   admitted >= 0.8 * cps * inner            (offered at 10x the cap all through the inner window;
#                                            0.8 leaves room for a starved worker or sipp stall)
# no second-by-second window; the rest got 503 (sipp counts them failed); every call ends (BYE),
# so both trunks' active-call gauges are back at 0.
# With sbc-controlplane and a real redis-server beside (when given): every call's record is in
# the Redis stream sbc:cdr, as many as the data plane admitted, each ended by its BYE.
# usage: test_caps_e2e.sh SBC_DATAPLANE [SBCCTL [SBC_CONTROLPLANE]]   exit 0 pass, 1 fail, 77 skip
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib-check.sh
. "$here/lib-check.sh"	# and scripts/lib-netns.sh
e2e_args "SBC_DATAPLANE [SBCCTL] [SBC_CONTROLPLANE]" "$@"
command -v redis-server >/dev/null || controlplane=

e2e_preflight "sipp ethtool ss" "$dataplane"

CAP=10 BURST=1 RATE_A=100 RATE_B=20 SECONDS_RUN=8

uas_pid='' cp_pid=''
e2e_cleanup() {
	[ -n "$uas_pid" ] && kill "$uas_pid" 2>/dev/null
	[ -n "$cp_pid" ] && kill -9 "$cp_pid" 2>/dev/null
	return 0
}
e2e_begin
# shellcheck source-path=SCRIPTDIR source=lib-redis.sh
. "$here/lib-redis.sh"

conf=$SBCNET_DIR/sbc.conf
sbcnet_conf "$conf" drop
# carrier-b's bucket holds every call it will offer (RATE_B * SECONDS_RUN): sipp on a loaded
# 2-core machine stalls and then sends what it owes at once, which a 10-deep bucket refused
# (4 of 160 over_cps in one run); what this trunk shows is that another trunk's cap costs it
# nothing, not its own cap (pbx-floor's checks are about that).
cat >>"$conf" <<EOF
cps = $CAP
burst = $BURST

[trunk carrier-b]
peers = $SBCNET_PB4/32
cps = 100
burst = $((RATE_B * SECONDS_RUN))

[redis]
address = 127.0.0.1:$port
EOF
sbcnet_start_dp "$dataplane" "$conf" || fatal "sbc-dataplane did not start"
[ -z "$controlplane" ] || e2e_redis_cp

# a callee on the tap's address that answers after 700 ms (the callers retransmit at 500 ms)
(cd "$SBCNET_DIR" && exec ip netns exec "$NS_SBC" sipp -sf "$SBCNET_SIPP_DIR/invite_uas_slow.xml" \
	-i "$SBCNET_SBC4" -p 5060 \
	-nostdin -max_socket 1000 </dev/null >"$SBCNET_DIR/uas.out" 2>&1) &
uas_pid=$!
callee_up() { ip netns exec "$NS_SBC" ss -Hlun "sport = :5060" | grep -qF "$SBCNET_SBC4"; }
poll_until 10 callee_up || fatal "the sipp callee did not bind $SBCNET_SBC4:5060"

uac() {	# NS LOCAL_IP RATE CALLS NAME [sipp options]: the built-in UAC, counters in NAME.csv
	local ns=$1 ip=$2 rate=$3 calls=$4 name=$5
	shift 5
	(cd "$SBCNET_DIR" && ip netns exec "$ns" sipp -sn uac -i "$ip" -p 5070 -r "$rate" \
		-m "$calls" -d 200 -timeout 60 -nostdin -trace_stat -stf "$SBCNET_DIR/$name.csv" \
		-fd 1 "$@" "$SBCNET_SBC4:5060" </dev/null >"$SBCNET_DIR/$name.out" 2>&1)
}
csv_field() {	# NAME FIELD: the last row's value of a sipp statistics column
	"$SBCNET_PY" - "$SBCNET_DIR/$1.csv" "$2" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter=';'))
print(rows[-1][rows[0].index(sys.argv[2])])
PY
}

# the watcher of the admission window (see the top), on pbx-floor's counters
cap_watch pbx-floor $((RATE_A * SECONDS_RUN)) 120

uac "$NS_PA" "$SBCNET_PA4" $RATE_A $((RATE_A * SECONDS_RUN)) uac-a &
pa_job=$!
uac "$NS_PB" "$SBCNET_PB4" $RATE_B $((RATE_B * SECONDS_RUN)) uac-b &
pb_job=$!
wait $pa_job
wait $pb_job
cap_window_check "pbx-floor at 10x its cap" $CAP $BURST

# sipp has ended every call (BYE answered): the data plane saw each end before that
wait_eq "pbx-floor: active calls back to 0" 10 0 sbcnet_get /sbc/trunks trunk:pbx-floor.active_calls
wait_eq "carrier-b: active calls back to 0" 10 0 sbcnet_get /sbc/trunks trunk:carrier-b.active_calls
a_ok=$(csv_field uac-a SuccessfulCall\(C\))
a_fail=$(csv_field uac-a FailedCall\(C\))
b_ok=$(csv_field uac-b SuccessfulCall\(C\))
b_fail=$(csv_field uac-b FailedCall\(C\))
echo "# sipp pbx-floor: $a_ok successful, $a_fail failed; carrier-b: $b_ok successful, $b_fail failed"
check_eq "carrier-b under its cap loses no call (sipp: successful)" "$b_ok" $((RATE_B * SECONDS_RUN))
check_eq "carrier-b: sipp failed calls" "$b_fail" 0
adm=$(sbcnet_get /sbc/trunks trunk:pbx-floor.admitted)
over=$(sbcnet_get /sbc/trunks trunk:pbx-floor.over_cps)
check_eq "pbx-floor: sipp's successful calls are the data plane's admitted ones" "$a_ok" "$adm"
check_eq "pbx-floor: every call was admitted or refused over_cps (503)" $((adm + over)) \
	$((RATE_A * SECONDS_RUN))
retr=$(sbcnet_get /sbc/trunks trunk:pbx-floor.retransmissions)
rej=$(sbcnet_get /sbc/stats reject_sent)
echo "# pbx-floor: $retr INVITE retransmissions reached the data plane, $rej 503s sent"
if [ "$retr" -gt 0 ]; then pass "sipp retransmitted INVITEs ($retr)"; else fail "no INVITE retransmission reached the data plane"; fi
# every refusal got a 503, and a refused INVITE's retransmission the same 503 again
if [ "$rej" -ge "$over" ] && [ $((rej - over)) -le "$retr" ]; then
	pass "503s = refusals ($over) + retransmitted refusals ($((rej - over)) <= $retr)"
else
	fail "503s: $rej sent for $over refusals and $retr retransmissions"
fi
check_eq "carrier-b: admitted" "$(sbcnet_get /sbc/trunks trunk:carrier-b.admitted)" $((RATE_B * SECONDS_RUN))
if [ -n "$sbcctl" ]; then
	"$sbcctl" --file-prefix "$SBCNET_PREFIX" calls | sed 's/^/# /'
fi
if [ -n "$controlplane" ]; then
	calls=$((adm + $(sbcnet_get /sbc/trunks trunk:carrier-b.admitted)))
	# the control plane's status reaches /sbc/channel once a second, its CDRs Redis as calls end
	wait_eq "the control plane saw every admission (call events)" 10 "$calls" \
		sbcnet_get /sbc/channel cp_calls_admitted
	wait_eq "and every end" 10 "$calls" sbcnet_get /sbc/channel cp_calls_ended
	wait_eq "sbc:cdr holds one record per call" 10 "$calls" R xlen sbc:cdr
	check_eq "each ended by its BYE" \
		"$(R xrange sbc:cdr - + | grep -A1 -x end | grep -c -x bye)" "$calls"
	check_eq "carrier-b's records" \
		"$(R xrange sbc:cdr - + | grep -A1 -x trunk | grep -c -x carrier-b)" \
		"$(sbcnet_get /sbc/trunks trunk:carrier-b.admitted)"
	e2e_cp_end
fi
kill "$uas_pid" 2>/dev/null
wait "$uas_pid" 2>/dev/null
uas_pid=''
sbcnet_stop_dp
check_eq "sbc-dataplane exits 0" $? 0

e2e_end
