#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# e2e: calls through the B2BUA (issue 10) with real SIP stacks on both sides. The topology of
# scripts/lib-netns.sh: the floor is sipp in pa-ID (pbx-floor, route carrier-a, carrier-b), the
# carriers are sipp in pb-ID on two addresses (carrier-a 198.51.100.30, carrier-b .31); the data
# plane in front, sbc-controlplane and a real redis-server in sbc-ID. Each phase starts the
# carriers with its scenario (tests/e2e/sipp/b2b_*.xml, -aa answers the SBC's OPTIONS) and
# checks sipp's counts, the CDRs in sbc:cdr and the trunks' state in sbc:state:<trunk>:
#   basic        180/200/ACK/BYE; a capture on the carrier side holds no address, Call-ID or
#                tag of the floor's leg in any SIP header, no User-Agent/Server of the others;
#                Max-Forwards 70 reaches the carriers as 69, an INVITE with 0 gets 483
#   cancel       CANCEL while ringing: 200 + 487 to the floor, the carrier's INVITE cancelled
#   callee_bye   the carrier ends the call
#   reinvite     re-INVITE and INFO from the floor relayed within the dialog
#   100rel       a reliable 183 PRACKed by the B2BUA, the call completes
#   late_offer   INVITE without SDP: the carrier's ACK waits for the floor's and carries its answer
#   indialog     UPDATE (with SDP) and INFO (DTMF body) from the floor and from the carrier, each
#                relayed with its body; a session timer asked for by the floor (RFC 4028)
#                answered in the 200 and in the refreshing UPDATE's 200, never sent on to the
#                carrier
#   session_422  a Session-Expires below 90 s: 422 with Min-SE 90, no carrier tried
#   redirect     carrier-a answers 302: the floor gets the 302 without its Contact, carrier-b
#                is not tried (3xx is neither followed nor a failover code)
#   failover     carrier-a answers 503: every call completes on carrier-b, tried a then b
#   max_calls    carrier-a max_calls_out 2: calls beyond go to carrier-b, never 3 at once on a
#   health       carrier-a stops answering (SIGSTOP): down after the misses, calls straight to
#                carrier-b with 0 failed; it answers again: up, calls go to it again
#   route        Redis sbc:route:pbx-floor overrides the route (a bad name reported, skipped);
#                DEL gives the configured route back
#   dns          a trunk uri with a host name (carrier-dns: sip:carrier.test) resolved by
#                Sofia's resolver per RFC 3263 through a real DNS server (dnsmasq in the SBC's
#                netns, /etc/netns/<ns>/resolv.conf): NAPTR -> SRV -> A; the first SRV target
#                refuses (ICMP port unreachable), the next one takes the call
#   timer_b      a carrier that never answers: after Timer B (32 s) the call completes on the
#                next trunk (carrier-silent, then carrier-b through a Redis route)
#   redis_freeze Redis SIGSTOPped while 300 calls end until the control plane gives it up (no
#                PONG for 5 s), then SIGCONT: every call has its record (at least once: the
#                copies a closed connection's buffer still held are counted), the first copies
#                in the order the calls ended, cp_cdr_lost unchanged
#   flood        200 CPS for 20 s, 0 failed; both processes' VmRSS back within 10 % of the start;
#                timer_b runs while it waits for the first burst's transactions to end, and
#                beside the first burst a session timer (Session-Expires 90) never refreshed:
#                the B2BUA's BYE ends it (RFC 4028 10), its record ended_by session_timer
# Also: TLS on tls_port (a handshake from the floor through the data plane), nta holds no dialog
# or transaction when the control plane stops. B2B_PHASES="..." picks phases.
# usage: test_b2bua_e2e.sh SBC_DATAPLANE SBC_CONTROLPLANE [SBCCTL]   exit 0 pass, 1 fail, 77 skip
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib-check.sh
. "$here/lib-check.sh"	# and scripts/lib-netns.sh
e2e_args "SBC_DATAPLANE SBC_CONTROLPLANE [SBCCTL]" "$@"

e2e_preflight "sipp ethtool ss redis-server redis-cli tshark dumpcap openssl dnsmasq" "$dataplane" "$controlplane"
# phases to run (meson runs the flood as a test of its own: b2bua_flood_e2e)
# (and timer_b, 32 s of waiting on Timer B, inside the flood's own wait after its first burst)
PHASES=${B2B_PHASES:-basic cancel callee_bye reinvite 100rel late_offer indialog session_422 redirect failover max_calls health route dns redis_freeze}

CA=$SBCNET_V4.30 CB=$SBCNET_V4.31 CS=$SBCNET_V4.32	# CS: a sink that reads and never answers
cp_pid='' car_pids=() cap_pid='' dns_pid='' etcns='' redis_pid=''
e2e_cleanup() {
	local p
	for p in "${car_pids[@]}" $cap_pid $dns_pid; do kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done
	[ -n "$redis_pid" ] && kill -CONT "$redis_pid" 2>/dev/null
	[ -n "$cp_pid" ] && kill -9 "$cp_pid" 2>/dev/null
	[ -n "$etcns" ] && rm -rf "$etcns"
	return 0
}
e2e_begin
# shellcheck source-path=SCRIPTDIR source=lib-redis.sh
. "$here/lib-redis.sh"
E2E_LOGS="controlplane:$cp_log"

conf=$SBCNET_DIR/sbc.conf
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$SBCNET_DIR/sbc.key" -out "$SBCNET_DIR/sbc.crt" \
	-days 1 -subj /CN=sbc.test >/dev/null 2>&1 || fatal "openssl req"
sbcnet_conf "$conf" drop "tls_port = 5061" "tls_certificate = sbc.crt" "tls_key = sbc.key"
cat >>"$conf" <<EOC
role = floor
route = carrier-a, carrier-b

[trunk carrier-a]
role = carrier
uri = sip:$CA:5060
peers = $CA/32
max_calls_out = 2
options_interval = 1
options_misses = 2

[trunk carrier-b]
role = carrier
uri = sip:$CB:5060
peers = $CB/32
options_interval = 1

[trunk carrier-silent]
role = carrier
uri = sip:$CS:5060
options_interval = 0

[trunk carrier-dns]
role = carrier
uri = sip:carrier.test
options_interval = 0

[redis]
address = 127.0.0.1:$port
cdr_maxlen = 100000
EOC
ip -n "$NS_PB" addr add "$CB/24" dev eth0 || fatal "second carrier address"
sbcnet_start_dp "$dataplane" "$conf" || fatal "sbc-dataplane did not start"
# RFC 3263 for carrier-dns: a DNS server for the SBC's netns alone (ip netns exec bind-mounts
# /etc/netns/<ns>/resolv.conf over /etc/resolv.conf); carrier.test's NAPTR leads to its UDP SRV
# records: a.carrier.test:5070 first (carrier-a's address, nothing listens: ICMP port
# unreachable), b.carrier.test:5060 next (carrier-b)
etcns=/etc/netns/$NS_SBC
if ! mkdir -p "$etcns" ||
	! printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:2\n' >"$etcns/resolv.conf"; then
	fatal "cannot write $etcns/resolv.conf"
fi
ip netns exec "$NS_SBC" dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=53 \
	--listen-address=127.0.0.1 --bind-interfaces --user=root --group=root --pid-file= \
	--log-queries --log-facility="$SBCNET_DIR/dnsmasq.log" \
	--naptr-record=carrier.test,10,10,s,SIP+D2U,,_sip._udp.carrier.test \
	--srv-host=_sip._udp.carrier.test,a.carrier.test,5070,10,10 \
	--srv-host=_sip._udp.carrier.test,b.carrier.test,5060,20,10 \
	--host-record=a.carrier.test,$CA --host-record=b.carrier.test,$CB \
	</dev/null >"$SBCNET_DIR/dnsmasq.out" 2>&1 &
dns_pid=$!
dns_up() { ip netns exec "$NS_SBC" ss -Hlun "sport = :53" | grep -qF 127.0.0.1; }
wait_for "dnsmasq answers in the SBC's netns" 10 dns_up || fatal "dnsmasq"
e2e_redis_cp
sip_up() { ip netns exec "$NS_SBC" ss -Hlun "sport = :5060" | grep -qF "$SBCNET_SBC4"; }
wait_for "the B2BUA listens on $SBCNET_SBC4:5060" 10 sip_up || fatal "no SIP socket"
tls_up() { ip netns exec "$NS_SBC" ss -Hltn "sport = :5061" | grep -qF "$SBCNET_SBC4"; }
wait_for "and on TLS $SBCNET_SBC4:5061" 10 tls_up
# a TLS handshake from the floor, through the data plane (tls_port passed like sip_port)
tls_hello() {
	ip netns exec "$NS_PA" timeout 10 openssl s_client -connect "$SBCNET_SBC4:5061" \
		</dev/null 2>&1 | grep -q "subject=.*CN *= *sbc.test"
}
wait_for "a TLS handshake from the floor gets the SBC's certificate" 15 tls_hello

# carriers NAME... : start carrier-a and carrier-b with scenario files (b2b_uas.xml default)
carriers() {
	local a=${1:-b2b_uas.xml} b=${2:-b2b_uas.xml} ip n sf
	stop_carriers
	for n in a b; do
		if [ $n = a ]; then ip=$CA; sf=$a; else ip=$CB; sf=$b; fi
		(cd "$SBCNET_DIR" && exec ip netns exec "$NS_PB" sipp -sf "$SBCNET_SIPP_DIR/$sf" -i "$ip" \
			-p 5060 -aa -nostdin -max_socket 1000 -trace_err -error_file "$SBCNET_DIR/car-$n.err" \
			</dev/null >"$SBCNET_DIR/car-$n.out" 2>&1) &
		car_pids+=($!)
	done
	car_up() { ip netns exec "$NS_PB" ss -Hlun "sport = :5060" | grep -c "$SBCNET_V4" | grep -qx 2; }
	if ! poll_until 30 car_up; then
		# what there is: the sockets bound, the sipps alive, what they said
		ip netns exec "$NS_PB" ss -Hlunp "sport = :5060" | sed 's/^/# /'
		for n in "${car_pids[@]}"; do ps -o pid,stat,etime,args -p "$n" | sed 's/^/# /'; done
		tail -n 5 "$SBCNET_DIR"/car-a.out "$SBCNET_DIR"/car-b.out | sed 's/^/# /'
		fatal "carriers did not bind within 30 s"
	fi
}
stop_carriers() {
	local p
	for p in "${car_pids[@]}"; do kill -CONT "$p" 2>/dev/null; kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	car_pids=()
}
# floor SCENARIO CALLS RATE HOLD_MS NAME [PORT]: sipp caller in pa-ID (on PORT, 5070 unless
# given: one beside another needs its own); its counters in NAME.csv
floor() {
	local sf=$1 calls=$2 rate=$3 hold=$4 name=$5 lport=${6:-5070}
	(cd "$SBCNET_DIR" && ip netns exec "$NS_PA" sipp -sf "$SBCNET_SIPP_DIR/$sf" -i "$SBCNET_PA4" \
		-p "$lport" -r "$rate" -m "$calls" -d "$hold" -l 500 -timeout 120 -nostdin -max_socket 1000 \
		-trace_stat -stf "$SBCNET_DIR/$name.csv" -fd 1 -trace_err \
		-error_file "$SBCNET_DIR/$name.err" "$SBCNET_SBC4:5060" </dev/null \
		>"$SBCNET_DIR/$name.out" 2>&1)
	total_calls=$((total_calls + $(csv_field "$name" 'TotalCallCreated')))
}
total_calls=0 dup_records=0
csv_field() {	# NAME FIELD: the last row's value of a sipp statistics column
	"$SBCNET_PY" - "$SBCNET_DIR/$1.csv" "$2" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter=';'))
print(rows[-1][rows[0].index(sys.argv[2])])
PY
}
floor_ok() {	# NAME CALLS: sipp counted them all successful, none failed
	check_eq "$1: successful calls" "$(csv_field "$1" 'SuccessfulCall(C)')" "$2"
	check_eq "$1: failed calls" "$(csv_field "$1" 'FailedCall(C)')" 0
}
# cdrs FROM: the records after stream id FROM as JSON lines (one object per record)
cdrs() {
	R --json xrange sbc:cdr "(${1:-0}" + 2>/dev/null | "$SBCNET_PY" -c '
import json, sys
for _id, f in json.load(sys.stdin):
    print(json.dumps(dict(zip(f[::2], f[1::2]))))'
}
last_id() { R xrevrange sbc:cdr + - count 1 | head -1; }
xlen() { R xlen sbc:cdr; }
# cdr_check DESC FROM PYTHON-EXPRESSION: every record after FROM satisfies it (r is the record)
cdr_check() {
	local d=$1 from=$2 expr=$3 out
	out=$(cdrs "$from" | "$SBCNET_PY" -c '
import json, sys
bad = [r for r in map(json.loads, sys.stdin) if not ('"$expr"')]
print(len(bad), json.dumps(bad[:2]))')
	if [ "${out%% *}" = 0 ]; then pass "$d"; else fail "$d: ${out#* }"; fi
}
state() { R hget "sbc:state:$1" "$2"; }
# n_records FROM PYTHON-EXPRESSION: how many records after FROM satisfy it
n_records() {
	cdrs "$1" | "$SBCNET_PY" -c '
import json, sys
print(sum(1 for r in map(json.loads, sys.stdin) if ('"$2"')))'
}
# calls NAME N RATE HOLD_MS FLOOR_XML [CARRIER_A_XML [CARRIER_B_XML]]: the carriers with their
# scenarios (b2b_uas.xml; B as A), N calls from the floor, all successful, one record each
calls() {
	local name=$1 n=$2 rate=$3 hold=$4 sf=$5 a=${6:-b2b_uas.xml}
	carriers "$a" "${7:-$a}"
	floor "$sf" "$n" "$rate" "$hold" "$name"
	floor_ok "$name" "$n"
	wait_eq "$name: $n records" 10 $((base + n)) xlen
}
# route_to MARK TRUNK...: sbc:route:pbx-floor := TRUNK... and a name that is no trunk (MARK),
# then wait until the control plane reports MARK skipped: the route is in force
route_to() {
	local mark=$1
	shift
	R del sbc:route:pbx-floor >/dev/null
	R rpush sbc:route:pbx-floor "$@" "$mark" >/dev/null
	wait_for "route $* in force (its unknown name '$mark' reported)" 10 \
		grep -q "sbc:route:pbx-floor: skipped '$mark'" "$cp_log"
}
# no_aborts DESC [NAME]: neither carrier (nor floor NAME) had a failed regexp check or aborted a
# call on an unexpected message (sipp -trace_err)
no_aborts() {
	local f=("$SBCNET_DIR"/car-*.err)
	[ -n "${2:-}" ] && f+=("$SBCNET_DIR/$2.err")
	check_eq "$1" "$(cat "${f[@]}" 2>/dev/null | grep -a -c -i -e 'regexp' -e 'Aborting call')" 0
}


carriers
wait_eq "carrier-a up in sbc:state (OPTIONS answered)" 10 up state carrier-a health
wait_eq "carrier-b up in sbc:state" 10 up state carrier-b health
if [ -n "$sbcctl" ]; then
	# sbcctl trunks: HEALTH and CALLS_OUT from the data plane's stats socket (the B2BUA sends
	# them over the channel), or from sbc:state with --redis (Redis listens in the SBC's netns)
	ctl_health() {
		ip netns exec "$NS_SBC" env -u SBC_REDIS "$sbcctl" --file-prefix "$SBCNET_PREFIX" "$@" \
			--json trunks | "$SBCNET_PY" -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join("%s=%s/%s" % (v["name"], v["health"], v["calls_out"])
               for v in d.values() if isinstance(v, dict)))'
	}
	wait_eq "sbcctl trunks: health/calls_out of each trunk from the stats socket (no Redis)" 10 \
		"pbx-floor=None/None carrier-a=up/0 carrier-b=up/0 carrier-silent=up/0 carrier-dns=up/0" ctl_health
	wait_eq "sbcctl --redis trunks: the same" 10 \
		"pbx-floor=None/None carrier-a=up/0 carrier-b=up/0 carrier-silent=up/0 carrier-dns=up/0" ctl_health \
		--redis "127.0.0.1:$port"
	ip netns exec "$NS_SBC" "$sbcctl" --file-prefix "$SBCNET_PREFIX" --redis "127.0.0.1:$port" \
		trunks | sed 's/^/# /'
fi

phase_basic() {
	local from n=10 cap=$SBCNET_DIR/carrier.pcap flo=$SBCNET_DIR/floor.pcap fpid
	from=$(last_id)
	capture_start "$NS_PB" "$cap" "udp port 5060 and (host $CA or host $CB)"
	cap_pid=$capture_pid
	capture_start "$NS_PA" "$flo" "udp port 5060 and host $SBCNET_PA4"
	fpid=$capture_pid
	floor b2b_uac.xml $n 5 500 basic
	floor_ok basic $n
	check_eq "basic: an INVITE with Max-Forwards 0 is answered 483 Too Many Hops" \
		"$(ip netns exec "$NS_PA" env SIP_PROBE_MAX_FORWARDS=0 "$SBCNET_PY" "$here/sip_probe.py" \
			invite "$SBCNET_PA4" "$SBCNET_SBC4" "mf0-$$" 3)" 483
	wait_eq "basic: $n records in sbc:cdr" 10 $((base + n)) xlen
	kill -INT $cap_pid $fpid; wait $cap_pid $fpid 2>/dev/null
	cap_pid=''
	cdr_check "basic: records: 200, pbx-floor -> a carrier, answered, ended by the caller" "$from" \
		'r["code"] == "200" and r["trunk_in"] == "pbx-floor" and r["trunk_out"] in ("carrier-a", "carrier-b") and r["tried"] == r["trunk_out"] and r["answer"] and r["ended_by"] == "caller"'
	cdr_check "basic: records: 400 ms <= duration_ms < 5 s (held 500 ms), both Call-IDs, from/to users" "$from" \
		'400 <= int(r["duration_ms"]) < 5000 and r["call_id_in"] and r["call_id_out"] and r["call_id_in"] != r["call_id_out"] and r["from"].startswith("dialer") and r["to"] == "service" and r["start"] <= r["answer"] <= r["end"] and r["end"].endswith("Z")'
	# topology hiding: what the carriers saw against what the floor sent
	local fields='-e sip.Call-ID -e sip.from.tag -e sip.to.tag -e sip.Via -e sip.Contact -e sip.Record-Route -e sip.Route -e sip.User-Agent -e sip.Server -e sip.From -e sip.To'
	# shellcheck disable=SC2086
	tshark -r "$flo" -Y sip -T fields $fields >"$SBCNET_DIR/floor.sip" 2>/dev/null
	# shellcheck disable=SC2086
	tshark -r "$cap" -Y sip -T fields $fields >"$SBCNET_DIR/carrier.sip" 2>/dev/null
	"$SBCNET_PY" - "$SBCNET_DIR/floor.sip" "$SBCNET_DIR/carrier.sip" "$SBCNET_PA4" <<'PY' >"$SBCNET_DIR/hide.out"
import sys
floor = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
car = open(sys.argv[2]).read()
secrets = {sys.argv[3]}
for f in floor:
    secrets.update(x for x in f[:2] if x)     # the floor's Call-IDs and From tags
secrets.discard("")
leaks = sorted(s for s in secrets if s in car)
print(len(floor), len(car.splitlines()), len(leaks), " ".join(leaks[:3]))
PY
	read -r nf nc nl leaks <"$SBCNET_DIR/hide.out"
	if [ "$nf" -gt 0 ] && [ "$nc" -gt 0 ]; then
		pass "basic: captured $nf SIP messages on the floor side, $nc on the carrier side"
	else
		fail "basic: captures hold $nf / $nc SIP messages"
	fi
	check_eq "basic: no floor address, Call-ID or tag in the carriers' SIP headers" "$nl${leaks:+ $leaks}" 0
	check_eq "basic: the carriers never saw the floor's User-Agent" "$(grep -c FloorDialer "$SBCNET_DIR/carrier.sip")" 0
	check_eq "basic: the floor never saw the carriers' Server or Contact" \
		"$(grep -c -e CarrierSwitch -e "$CA" -e "$CB" "$SBCNET_DIR/floor.sip")" 0
	# Max-Forwards (RFC 3261 16.6 step 3, kept by the B2BUA): the floor's 70 reaches the
	# carriers as 69, and a request that arrives with 0 is answered 483, not sent on
	check_eq "basic: the carriers' INVITEs carry the floor's Max-Forwards less one" \
		"$(tshark -r "$cap" -Y 'sip.Method == "INVITE"' -T fields -e sip.Max-Forwards \
			2>/dev/null | sort -u | tr '\n' ' ')" "69 "
}

phase_cancel() {
	local from
	from=$(last_id)
	calls cancel 5 5 0 b2b_uac_cancel.xml b2b_uas_cancel.xml
	cdr_check "cancel: records: 487, not answered, duration 0, ended by the caller" "$from" \
		'r["code"] == "487" and r["answer"] == "" and r["duration_ms"] == "0" and r["ended_by"] == "caller"'
	check_eq "cancel: every carrier INVITE was cancelled (sipp carriers: no failed call)" \
		"$(cat "$SBCNET_DIR"/car-*.err 2>/dev/null | grep -c 'Aborting call')" 0
}

phase_callee_bye() {
	local from
	from=$(last_id)
	calls callee_bye 5 5 0 b2b_uac_wait_bye.xml b2b_uas_bye.xml
	cdr_check "callee_bye: records: 200, answered, ended by the callee" "$from" \
		'r["code"] == "200" and r["answer"] and r["ended_by"] == "callee"'
}

phase_reinvite() {
	local from
	from=$(last_id)
	calls reinvite 3 3 0 b2b_uac_reinvite.xml b2b_uas_reinvite.xml
	cdr_check "reinvite: records: 200, ended by the caller" "$from" \
		'r["code"] == "200" and r["ended_by"] == "caller"'
}

phase_100rel() {
	local from
	from=$(last_id)
	calls 100rel 3 3 200 b2b_uac.xml b2b_uas_100rel.xml
	cdr_check "100rel: records: 200" "$from" 'r["code"] == "200"'
}

phase_late_offer() {
	local from
	from=$(last_id)
	calls late_offer 3 3 200 b2b_uac_late.xml b2b_uas_late.xml
	# a carrier whose ACK has no m=audio fails its regexp check and aborts the call (-trace_err)
	no_aborts "late_offer: the carriers' ACKs carried the floor's answer"
	cdr_check "late_offer: records: 200" "$from" 'r["code"] == "200"'
}

phase_indialog() {
	local from
	from=$(last_id)
	# the floor's scenario checks the bodies and session timer it gets (check_it: a call fails)
	calls indialog 3 3 0 b2b_uac_update.xml b2b_uas_update.xml
	no_aborts "indialog: bodies and session timers as expected on both sides (sipp's regexp checks)" indialog
	cdr_check "indialog: records: 200, ended by the caller" "$from" \
		'r["code"] == "200" and r["ended_by"] == "caller"'
}

phase_session_422() {
	local from
	from=$(last_id)
	calls session_422 2 2 0 b2b_uac_422.xml
	no_aborts "session_422: the 422 holds Min-SE: 90" session_422
	cdr_check "session_422: records: 422 by the SBC, no trunk tried" "$from" \
		'r["code"] == "422" and r["ended_by"] == "sbc" and r["tried"] == "" and r["answer"] == ""'
}

phase_redirect() {
	local from
	from=$(last_id)
	calls redirect 3 3 0 b2b_uac_302.xml b2b_uas_302.xml b2b_uas.xml
	no_aborts "redirect: the floor's 302 holds no address of the carrier's Contact" redirect
	cdr_check "redirect: records: 302 from carrier-a, not followed, carrier-b not tried" "$from" \
		'r["code"] == "302" and r["tried"] == "carrier-a" and r["answer"] == "" and r["ended_by"] == "callee"'
	check_eq "redirect: carrier-a's last_code in sbc:state" "$(state carrier-a last_code)" 302
}

phase_failover() {
	local from
	from=$(last_id)
	calls failover 10 5 200 b2b_uac.xml b2b_uas_503.xml b2b_uas.xml
	cdr_check "failover: every call tried carrier-a (503) then completed on carrier-b" "$from" \
		'r["code"] == "200" and r["tried"] == "carrier-a,carrier-b" and r["trunk_out"] == "carrier-b"'
	check_eq "failover: carrier-a's last_code in sbc:state" "$(state carrier-a last_code)" 503
}

phase_max_calls() {
	local from
	from=$(last_id)
	calls max_calls 12 10 2000 b2b_uac.xml
	cdrs "$from" | "$SBCNET_PY" -c '
import json, sys
recs = list(map(json.loads, sys.stdin))
ev = []
for r in recs:
    if r["trunk_out"] == "carrier-a":
        ev += [(r["start"], 1), (r["end"], -1)]
ev.sort(key=lambda e: (e[0], e[1]))
cur = peak = 0
for _, d in ev:
    cur += d
    peak = max(peak, cur)
print(peak, sum(r["trunk_out"] == "carrier-a" for r in recs), sum(r["trunk_out"] == "carrier-b" for r in recs))' >"$SBCNET_DIR/peak.out"
	read -r peak na nb <"$SBCNET_DIR/peak.out"
	if [ "$peak" -le 2 ] && [ "$na" -ge 2 ] && [ "$nb" -ge 1 ]; then
		pass "max_calls: carrier-a held at most $peak calls at once (max_calls_out 2): $na calls on a, $nb overflowed to b"
	else
		fail "max_calls: peak $peak on carrier-a, $na on a, $nb on b"
	fi
	cdr_check "max_calls: a full trunk is skipped, not tried" "$from" 'r["tried"] == r["trunk_out"]'
	wait_eq "max_calls: calls_out of carrier-a back to 0" 10 0 state carrier-a calls_out
}

phase_health() {
	local from n=6
	carriers
	kill -STOP "${car_pids[0]}"
	wait_eq "health: carrier-a down after 2 missed OPTIONS" 15 down state carrier-a health
	# the pings go on every second while it is down: the count is 2 or more by now
	local misses
	misses=$(state carrier-a options_misses)
	if [ "${misses:-0}" -ge 2 ] 2>/dev/null; then
		pass "health: options_misses $misses (2 made it down; it counts on while down)"
	else
		fail "health: options_misses '$misses', want 2 or more"
	fi
	from=$(last_id)
	floor b2b_uac.xml $n 5 200 health_down
	floor_ok health_down $n
	wait_eq "health: $n records" 10 $((base + n)) xlen
	cdr_check "health: carrier-a down: calls straight to carrier-b, a not tried" "$from" \
		'r["code"] == "200" and r["tried"] == "carrier-b"'
	kill -CONT "${car_pids[0]}"
	wait_eq "health: carrier-a up again at its first answer" 15 up state carrier-a health
	base=$(xlen)
	from=$(last_id)
	floor b2b_uac.xml 1 1 200 health_up
	floor_ok health_up 1
	wait_eq "health: 1 record" 10 $((base + 1)) xlen
	cdr_check "health: carrier-a used again" "$from" 'r["tried"] == "carrier-a"'
}

phase_route() {
	local from
	carriers
	R rpush sbc:route:pbx-floor carrier-b no-such-trunk >/dev/null
	wait_for "route: the control plane reported the bad name once" 10 \
		grep -q "sbc:route:pbx-floor: skipped 'no-such-trunk'" "$cp_log"
	base=$(xlen)
	from=$(last_id)
	floor b2b_uac.xml 3 3 100 route_redis
	floor_ok route_redis 3
	wait_eq "route: 3 records" 10 $((base + 3)) xlen
	cdr_check "route: sbc:route:pbx-floor (carrier-b) in force: carrier-a never tried" "$from" \
		'r["tried"] == "carrier-b"'
	R del sbc:route:pbx-floor >/dev/null
	route_back() {	# the configured route again: a call tries carrier-a first
		local f=$(last_id) b=$(xlen)
		floor b2b_uac.xml 1 1 0 route_cfg
		poll_until 10 prints $((b + 1)) xlen && [ "$(cdrs "$f" | grep -c '"tried": "carrier-a"')" = 1 ]
	}
	wait_for "route: DEL gives the configured route back (carrier-a first)" 20 route_back
}

phase_dns() {
	local from n=3 cap=$SBCNET_DIR/dns.pcap
	carriers
	capture_start "$NS_PB" "$cap" "icmp or (udp and (port 5060 or port 5070))"
	cap_pid=$capture_pid
	route_to mark-dns carrier-dns
	base=$(xlen)
	from=$(last_id)
	floor b2b_uac.xml $n 1 200 dns
	floor_ok dns $n
	wait_eq "dns: $n records" 10 $((base + n)) xlen
	kill -INT $cap_pid; wait $cap_pid 2>/dev/null
	cap_pid=''
	cdr_check "dns: records: 200 on carrier-dns, the only trunk tried" "$from" \
		'r["code"] == "200" and r["tried"] == "carrier-dns" and r["trunk_out"] == "carrier-dns"'
	check "dns: the resolver asked for carrier.test's NAPTR, then its SRV and the targets' A" \
		grep -q -e "query\[NAPTR\] carrier.test" "$SBCNET_DIR/dnsmasq.log"
	check "dns: ... SRV _sip._udp.carrier.test" grep -q "query\[SRV\] _sip._udp.carrier.test" "$SBCNET_DIR/dnsmasq.log"
	check "dns: ... A b.carrier.test" grep -q "query\[A\] b.carrier.test" "$SBCNET_DIR/dnsmasq.log"
	invites() {	# DST PORT: INVITE transactions (distinct Call-IDs) sent there
		tshark -r "$cap" -Y "sip.Method == \"INVITE\" && ip.dst == $1 && udp.dstport == $2" \
			-T fields -e sip.Call-ID 2>/dev/null | sort -u | grep -c .
	}
	local na nb nicmp
	na=$(invites "$CA" 5070) nb=$(invites "$CB" 5060)
	nicmp=$(tshark -r "$cap" -Y "icmp.type == 3 && icmp.code == 3 && ip.src == $CA" 2>/dev/null | grep -c .)
	if [ "$na" -ge 1 ] && [ "$nicmp" -ge 1 ]; then
		pass "dns: the first SRV target (a.carrier.test:5070) got $na INVITE(s), refused with $nicmp ICMP port unreachable"
	else
		fail "dns: the first SRV target got $na INVITE(s) and sent $nicmp ICMP port unreachable"
	fi
	check_eq "dns: every call reached the next target (b.carrier.test:5060)" "$nb" "$n"
	R del sbc:route:pbx-floor >/dev/null
}

phase_timer_b() {
	local from
	carriers
	# a carrier that never answers (no OPTIONS ping, so never down): Timer B (32 s), nta's 408;
	# it takes every datagram (no ICMP error would end the transaction early)
	ip -n "$NS_PB" addr add "$CS/24" dev eth0 2>/dev/null
	ip netns exec "$NS_PB" "$SBCNET_PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5060))
while True:
    s.recv(65535)' "$CS" &
	car_pids+=($!)
	route_to mark-timer-b carrier-silent carrier-b
	base=$(xlen)
	from=$(last_id)
	floor b2b_uac.xml 1 1 0 timer_b
	floor_ok timer_b 1
	# (in the flood's wait, the session timer's call may end beside it: its record is not this one)
	wait_eq "timer_b: 1 record" 10 1 n_records "$from" 'r["ended_by"] != "session_timer"'
	cdr_check "timer_b: the silent carrier timed out (Timer B), the call completed on carrier-b" \
		"$from" 'r["ended_by"] == "session_timer" or r["code"] == "200" and r["tried"] == "carrier-silent,carrier-b" and r["trunk_out"] == "carrier-b"'
	check_eq "timer_b: carrier-silent's last_code in sbc:state" "$(state carrier-silent last_code)" 408
	R del sbc:route:pbx-floor >/dev/null
}

# session_expired JOB FROM: the session timer's call (floor JOB) is over: the caller got the
# B2BUA's BYE (sipp: the call successful), its record says session_timer, answered, held at
# least the 60 s before the BYE is due (90 s less min(32, 90 / 3)), and it is counted
session_expired() {
	wait "$1"
	total_calls=$((total_calls + 1))	# floor ran in the background: its count is here
	floor_ok session_expires 1
	# (the carriers' own error files may hold the restarted carrier's "unexpected BYE" for the
	# session's callee leg: only the caller's is read)
	check_eq "session_expires: the 200 named the caller the refresher (Session-Expires: 90;refresher=uac)" \
		"$(cat "$SBCNET_DIR/session_expires.err" 2>/dev/null | grep -a -c -i -e 'regexp' -e 'Aborting call')" 0
	wait_eq "session_expires: one record ended by the session timer" 10 1 \
		n_records "$2" 'r["ended_by"] == "session_timer"'
	cdr_check "session_expires: answered (200), at least 59 s long" "$2" \
		'r["ended_by"] != "session_timer" or r["code"] == "200" and r["answer"] and int(r["duration_ms"]) >= 59000'
	wait_eq "session_expires: cp_b2b_session_expired on the stats socket" 10 1 \
		sbcnet_get /sbc/channel cp_b2b_session_expired
}
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
# a process's resident memory without its shared-memory mappings (RssAnon + RssFile): the
# channel's two rings (2 x 16 MB, shared with the data plane) become resident page by page as
# messages pass through them, up to their fixed size, whatever the process does with its heap
own_kb() { awk '/^RssAnon|^RssFile/ { n += $2 } END { print n }' "/proc/$1/status"; }
mem_line() { grep -E '^(VmRSS|RssAnon|RssFile|RssShmem):' "/proc/$1/status" | tr -s ' \t\n' ' '; }
sip_tx() { sbcnet_get /sbc/channel cp_sip_transactions; }
phase_flood() {
	local from rate=200 secs=20 n cp0 dp0
	n=$((rate * secs))
	carriers
	# the start: after a first flood of the same size, its transactions ended (nta keeps a BYE's
	# 32 s, Timer J) and the heap given back, so what a burst sizes once (hash tables, pools) is
	# in it; the second flood must then leave nothing behind
	local tx0 st_job st_from
	wait_for "flood: nta's transaction count on the stats socket" 10 sip_tx
	tx0=$(sip_tx)
	# beside the warm-up: a call whose caller asks for a session timer (Session-Expires 90, the
	# smallest we take) and never refreshes it (RFC 4028 10): the B2BUA ends it with a BYE on
	# both legs 30 s before the 90 s run out, about when the wait below ends
	st_from=$(last_id)
	floor b2b_uac_session_expires.xml 1 1 0 session_expires 5071 &
	st_job=$!
	floor b2b_uac.xml $n $rate 0 flood_warmup
	floor_ok flood_warmup $n
	wait_eq "flood: warm-up records" 30 $((base + n)) xlen
	# the wait below is mostly nta's Timer J: the timer_b phase (one call, a few transactions)
	# takes about as long and fits inside it
	if [[ " $PHASES " != *" timer_b "* ]]; then
		echo "# phase timer_b (inside the flood's wait)"
		base=$(xlen)
		phase_timer_b
	fi
	base=$(xlen)
	tx_back() { [ "$(sip_tx)" -le $((tx0 + 20)) ]; }
	wait_for "flood: the warm-up's transactions ended (nta back to $tx0 + 20 or fewer: OPTIONS pings)" \
		90 tx_back
	# then the heap trims that follow: the last one came 6-13 s after the transactions ended (a
	# poll for memory unchanged over one 5 s trim tick measured the start 18 % too high once);
	# two ticks and some: a wait on the control plane's own 5 s timer, not a race
	sleep 13
	session_expired "$st_job" "$st_from"
	base=$(xlen)
	cp0=$(own_kb "$cp_pid") dp0=$(rss_kb "$SBCNET_DP_PID")
	echo "# flood: control plane at start: $(mem_line "$cp_pid")"
	from=$(last_id)
	floor b2b_uac.xml $n $rate 0 flood
	floor_ok flood $n
	wait_eq "flood: $n records" 30 $((base + n)) xlen
	echo "# flood: at start control plane ${cp0} kB (RssAnon + RssFile), data plane ${dp0} kB (VmRSS); after the calls $(own_kb "$cp_pid") / $(rss_kb "$SBCNET_DP_PID") kB"
	# both within 10 % of the start: the data plane's VmRSS, the control plane's own memory
	# (above). It hands its heap's free pages back while calls come, while the burst's
	# transactions end and whenever it grew after (malloc_trim), so what a burst leaves is
	# what is still in use (about 1 MB) scattered over the pages it touched
	rss_back() {
		local cp dp
		cp=$(own_kb "$cp_pid") dp=$(rss_kb "$SBCNET_DP_PID")
		[ $((cp * 10)) -le $((cp0 * 11)) ] && [ $((cp * 10)) -ge $((cp0 * 9)) ] &&
			[ $((dp * 10)) -le $((dp0 * 11)) ] && [ $((dp * 10)) -ge $((dp0 * 9)) ]
	}
	wait_for "flood: memory back within 10 % of the start, both processes" 70 rss_back
	echo "# flood: control plane now: $(mem_line "$cp_pid")"
	echo "# flood: now control plane $(own_kb "$cp_pid") kB, data plane $(rss_kb "$SBCNET_DP_PID") kB"
}

# Redis frozen (SIGSTOP) while calls end: the XADDs in flight when the control plane gives Redis
# up (no PONG for 5 s) and the records of the calls that end meanwhile reach sbc:cdr once Redis
# answers again; at least once: a command Redis still finds in the closed connection's buffer
# may add a second copy, named by its call_id_in
phase_redis_freeze() {
	local from n=300 rate=20 job lost0 got
	from=$(last_id)
	lost0=$(sbcnet_get /sbc/channel cp_cdr_lost)
	carriers
	floor b2b_uac.xml $n $rate 200 redis_freeze &
	job=$!
	at_least() { [ "$(xlen)" -ge $((base + $1)) ]; }
	wait_for "redis_freeze: the first records written" 20 at_least 20
	redis_pid=$(redis_server_pid)
	kill -STOP "$redis_pid"
	wait_eq "redis_freeze: the control plane gives Redis up (no PONG)" 20 down \
		sbcnet_get /sbc/channel cp_redis
	kill -CONT "$redis_pid"
	redis_pid=''
	wait_eq "redis_freeze: Redis back for the control plane" 30 up sbcnet_get /sbc/channel cp_redis
	wait "$job"
	total_calls=$((total_calls + n))	# floor ran in the background: its count is here
	floor_ok redis_freeze $n
	distinct() { cdrs "$from" | "$SBCNET_PY" -c '
import json, sys
print(len({r["call_id_in"] for r in map(json.loads, sys.stdin)}))'; }
	wait_eq "redis_freeze: a record for each of the $n calls (distinct call_id_in)" 30 $n distinct
	# in order: the first copy of each record in the order the calls ended (the resend list
	# keeps the order the XADDs went in)
	in_order() { cdrs "$from" | "$SBCNET_PY" -c '
import json, sys
seen, ends = set(), []
for r in map(json.loads, sys.stdin):
    if r["call_id_in"] not in seen:
        seen.add(r["call_id_in"])
        ends.append(r["end"])
print(sum(1 for a, b in zip(ends, ends[1:]) if b < a))'; }
	check_eq "redis_freeze: records in the order the calls ended (first copies)" "$(in_order)" 0
	got=$(($(xlen) - base))
	echo "# redis_freeze: $got records for $n calls ($((got - n)) sent twice)"
	dup_records=$((dup_records + got - n))
	check_eq "redis_freeze: cp_cdr_lost unchanged" "$(sbcnet_get /sbc/channel cp_cdr_lost)" "$lost0"
}

for ph in $PHASES; do
	echo "# phase $ph"
	base=$(xlen)
	"phase_$ph"
done

stop_carriers
check_eq "sbc:cdr: one record per call the floor made, over every phase (and the copies redis_freeze counted)" \
	"$(xlen)" $((total_calls + dup_records))
# the B2BUA's counters on the stats socket (CP_STATUS, each second): every call it took ended
# answered or unanswered with a reason, none is open
b2b_counts() {
	sbcnet_tel /sbc/channel | "$SBCNET_PY" -c '
import json, sys
d = json.load(sys.stdin)
g = lambda k: d.get("cp_b2b_" + k, -1)
ended = g("answered") + sum(g(k) for k in ("failed_callee", "failed_timeout", "failed_no_trunk", "failed_internal", "failed_admission", "canceled"))
print(g("calls_in"), g("calls_in") - ended, g("active"), int(g("calls_out") >= g("calls_in")))'
}
wait_eq "stats socket: cp_b2b_calls_in = the floor's calls, all ended (answered or by a reason), calls_out >= calls_in" \
	10 "$total_calls 0 0 1" b2b_counts
sbcnet_tel /sbc/channel | "$SBCNET_PY" -c '
import json, sys
d = json.load(sys.stdin)
print("# " + " ".join("%s=%s" % (k[7:], v) for k, v in d.items() if k.startswith("cp_b2b_")))'
if [[ " $PHASES " == *" basic "* ]]; then
	check_eq "stats socket: the INVITE with Max-Forwards 0 counted (cp_b2b_too_many_hops)" \
		"$(sbcnet_get /sbc/channel cp_b2b_too_many_hops)" 1
fi
e2e_cp_end
check_eq "no dialog or transaction left in nta when it stopped (every call's objects returned)" \
	"$(grep -c 'nta_agent_destroy: destroying' "$cp_log")" 0
sbcnet_stop_dp
check_eq "sbc-dataplane exits 0" $? 0

e2e_end
