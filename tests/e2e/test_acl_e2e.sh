#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# e2e: the allowlist with real kernels and real SIP tools on both sides. The topology of
# scripts/lib-netns.sh (namespaces, veth, bridge; sbc-dataplane on net_af_packet + net_tap; a
# sipp OPTIONS responder behind the tap) runs twice, with unlisted = drop and = reject, and
# checks ARP/ND and ping through the tap, listed OPTIONS (IPv4 and IPv6) reaching the responder,
# unlisted ones never reaching it (no answer / a 403 from the data plane), and the counters.
# usage: test_acl_e2e.sh SBC_DATAPLANE [SBCCTL]     exit 0 pass, 1 fail, 77 skip
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib-check.sh
. "$here/lib-check.sh"	# and scripts/lib-netns.sh
e2e_args "SBC_DATAPLANE [SBCCTL]" "$@"

e2e_preflight "sipp ping ethtool ss" "$dataplane"

N4=20 N6=10		# listed OPTIONS per mode, IPv4 / IPv6
U4=10 U6=5		# unlisted OPTIONS per mode (reject_rate 100/s: all get their 403)

e2e_begin

# sipp UAC from a peer namespace: NS SCENARIO LOCAL_IP TARGET CALLS [RECV_TIMEOUT_MS]
# -nr: no retransmissions, so the counters must match the call count exactly
uac() {
	local ns=$1 sf=$2 ip=$3 target=$4 calls=$5 rto=${6:-5000}
	(cd "$SBCNET_DIR" && ip netns exec "$ns" sipp -sf "$SBCNET_SIPP_DIR/$sf" -i "$ip" -p 5070 \
		-m "$calls" -r 50 -l 50 -nr -recv_timeout "$rto" -timeout 30 -nostdin "$target" \
		</dev/null >"$SBCNET_DIR/uac.out" 2>&1)
	local rc=$?
	[ $rc -eq 0 ] || grep -E "Successful call|Failed call|rror" "$SBCNET_DIR/uac.out"
	return $rc
}
# UDP messages the responder behind the tap received (its -trace_msg log)
uas_received() {
	cat "$SBCNET_DIR"/uas-*.log 2>/dev/null | grep -c "message received"
}
# rx + exc_rx - (to_exception + to_wire + reject_sent + dropped): 0 when every frame is accounted
conservation_gap() {
	sbcnet_tel /sbc/stats | "$SBCNET_PY" -c 'import json,sys; s=json.load(sys.stdin)
print(s["rx"] + s["exc_rx"] - s["to_exception"] - s["to_wire"] - s["reject_sent"] - s["dropped"])'
}
uas_saw_unlisted() {
	cat "$SBCNET_DIR"/uas-*.log 2>/dev/null | grep -qE "$SBCNET_PB4|$SBCNET_PB6"
}

for mode in drop reject; do
	echo "# unlisted = $mode"
	conf=$SBCNET_DIR/sbc-$mode.conf
	sbcnet_conf "$conf" "$mode"
	rm -f "$SBCNET_DIR"/uas-*.log
	sbcnet_start_dp "$dataplane" "$conf" || fatal "sbc-dataplane did not start"
	sbcnet_start_uas "$SBCNET_SBC4" && sbcnet_start_uas "$SBCNET_SBC6" ||
		fatal "the sipp responder did not start"
	wire_mac=$(sbcnet_get /sbc/ports wire.mac | tr 'A-F' 'a-f')

	# ARP and ND go through the data plane to the tap, and the kernel answers with the wire MAC
	check "$mode: ping $SBCNET_SBC4 from the listed peer (ARP through the tap)" \
		ip netns exec "$NS_PA" ping -n -q -c 3 -i 0.2 -w 10 "$SBCNET_SBC4"
	check "$mode: ping $SBCNET_SBC6 from the listed peer (ND through the tap)" \
		ip netns exec "$NS_PA" ping -6 -n -q -c 3 -i 0.2 -w 10 "$SBCNET_SBC6"
	check_eq "$mode: the listed peer's ARP entry for $SBCNET_SBC4 is the wire MAC" \
		"$(ip -n "$NS_PA" neigh show "$SBCNET_SBC4" | awk '{print $5}')" "$wire_mac"

	# listed OPTIONS reach the responder's UDP socket on the tap and get its 200
	check "$mode: $N4 listed OPTIONS over IPv4 all answered 200 by the responder" \
		uac "$NS_PA" options_uac_200.xml "$SBCNET_PA4" "$SBCNET_SBC4:5060" $N4
	check "$mode: $N6 listed OPTIONS over IPv6 all answered 200 by the responder" \
		uac "$NS_PA" options_uac_200.xml "$SBCNET_PA6" "[$SBCNET_SBC6]:5060" $N6

	# unlisted OPTIONS never reach it
	if [ "$mode" = drop ]; then
		uac "$NS_PB" options_uac_200.xml "$SBCNET_PB4" "$SBCNET_SBC4:5060" $U4 1000 >/dev/null
		check_eq "$mode: $U4 unlisted OPTIONS over IPv4 get no answer (sipp status)" $? 1
		uac "$NS_PB" options_uac_200.xml "$SBCNET_PB6" "[$SBCNET_SBC6]:5060" $U6 1000 >/dev/null
		check_eq "$mode: $U6 unlisted OPTIONS over IPv6 get no answer (sipp status)" $? 1
		want_unlisted=$((U4 + U6)) want_reject=0
	else
		check "$mode: $U4 unlisted OPTIONS over IPv4 all answered 403 by the data plane" \
			uac "$NS_PB" options_uac_403.xml "$SBCNET_PB4" "$SBCNET_SBC4:5060" $U4
		check "$mode: $U6 unlisted OPTIONS over IPv6 all answered 403 by the data plane" \
			uac "$NS_PB" options_uac_403.xml "$SBCNET_PB6" "[$SBCNET_SBC6]:5060" $U6
		want_unlisted=0 want_reject=$((U4 + U6))
	fi

	# counters: sipp has its answers (or gave up waiting for them), so the data plane has seen
	# every request; each is still polled (10 s), and the invariant too: a frame the worker
	# holds at the moment of the read (stray ND/MLD) is in rx but not yet in an outcome
	wait_eq "$mode: trunk pbx-floor accepted == listed OPTIONS sent" 10 $((N4 + N6)) \
		sbcnet_get /sbc/trunks trunk:pbx-floor.accepted
	check_eq "$mode: trunk pbx-floor rejected" "$(sbcnet_get /sbc/trunks trunk:pbx-floor.rejected)" 0
	wait_eq "$mode: drops sip_unlisted" 10 $want_unlisted sbcnet_get /sbc/drops sip_unlisted
	wait_eq "$mode: stats reject_sent" 10 $want_reject sbcnet_get /sbc/stats reject_sent
	check_eq "$mode: drops reject_ratelimited" "$(sbcnet_get /sbc/drops reject_ratelimited)" 0
	wait_eq "$mode: rx + exc_rx == to_exception + to_wire + reject_sent + dropped" 10 0 \
		conservation_gap
	if [ -n "$sbcctl" ]; then
		check "$mode: sbcctl trunks names pbx-floor" \
			bash -c '"$1" --file-prefix "$2" trunks | grep -q pbx-floor' _ "$sbcctl" "$SBCNET_PREFIX"
	fi

	sbcnet_stop_uas
	check_eq "$mode: the responder behind the tap received exactly the listed OPTIONS" \
		"$(uas_received)" $((N4 + N6))
	check "$mode: no unlisted message reached the responder" eval '! uas_saw_unlisted'
	sbcnet_stop_dp
	check_eq "$mode: sbc-dataplane exits 0 on SIGINT" $? 0
done

e2e_end
