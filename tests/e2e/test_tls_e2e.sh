#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# e2e (issue 10): a call from a dialer floor over UDP through the SBC to a carrier reached over
# SIP/TLS. The topology of scripts/lib-netns.sh:
#
#   pa-ID  sipp built-in UAC (floor, UDP)  --->  SBC 198.51.100.10:5060 (sbc-dataplane +
#          198.51.100.20                         sbc-controlplane + redis-server, sbc-ID)
#                                                   | TLS, trunk carrier:
#                                                   v uri = sip:198.51.100.30:5061;transport=tls
#   pb-ID  Kamailio TLS carrier 198.51.100.30:5061 (tests/e2e/kamailio_tls_carrier.cfg)
#          ---UDP---> sipp UAS 198.51.100.30:5080 (tests/e2e/sipp/invite_uas_rr.xml)
#
# Certificates are made here with `openssl req`: a CA, the carrier's server certificate (its IP
# address in subjectAltName) and the SBC's own (tls_certificate/tls_key); the SBC verifies the
# carrier with tls_ca = the CA.
# Checks, in order:
#  1. the carrier alone (no SBC): a TLS call from pa-ID to Kamailio, certificate verified
#     against the CA, reaches the UAS and ends with BYE (tests/e2e/tls_sip_call.py);
#  2. the SBC starts with the TLS keys and the routed trunks; floor calls complete (sipp: all
#     successful, none failed);
#  3. the SBC -> carrier leg was TLS: Kamailio logged each call's INVITE, ACK and BYE from the
#     SBC "over tls" and nothing from the SBC over UDP; the capture in pb-ID holds a TLS
#     handshake between the SBC and 198.51.100.30:5061 and no SIP over UDP between them;
#  4. tls_ca is enforced: the carrier restarted with a certificate of another CA gets no call
#     (the SBC refuses the handshake; the floor's call fails; Kamailio logs no INVITE);
#  5. no error in the control plane's log, both processes exit 0, nothing left behind.
# usage: test_tls_e2e.sh SBC_DATAPLANE SBC_CONTROLPLANE [SBCCTL]   exit 0 pass, 1 fail, 77 skip
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib-check.sh
. "$here/lib-check.sh"	# and scripts/lib-netns.sh
e2e_args "SBC_DATAPLANE SBC_CONTROLPLANE [SBCCTL]" "$@"

e2e_preflight "sipp ethtool ss kamailio openssl tshark dumpcap redis-server redis-cli" "$dataplane" "$controlplane"
e2e_kamailio_tls

CALLS=3
TLS_PORT=5061 UAS_PORT=5080
cp_pid='' kam_pid='' cap_pid='' uas_pid=''
e2e_cleanup() {
	# everything runs inside the run's namespaces, which sbcnet_down empties and removes; the
	# control plane first, so it is not killed in the middle of a Redis write; the peers
	# stopped here, so their ends are not reported as killed jobs
	[ -n "$cp_pid" ] && kill -9 "$cp_pid" 2>/dev/null
	[ "${e2e_down_mode:-}" = fast ] && return 0
	[ -n "$kam_pid" ] && kill -TERM "$kam_pid" 2>/dev/null && wait "$kam_pid" 2>/dev/null
	[ -n "$uas_pid" ] && kill -TERM "$uas_pid" 2>/dev/null && wait "$uas_pid" 2>/dev/null
	return 0
}
e2e_begin
# shellcheck source-path=SCRIPTDIR source=lib-redis.sh
. "$here/lib-redis.sh"
# shellcheck source-path=SCRIPTDIR source=lib-tls.sh
. "$here/lib-tls.sh"	# pki=$SBCNET_DIR/pki, tls_mkcert, tls_carrier_start/stop (kam_pid)
E2E_LOGS="controlplane:$cp_log kamailio:$SBCNET_DIR/kamailio.log"
E2E_LOGS+=" uas:$SBCNET_DIR/uas.out floor:$SBCNET_DIR/floor.out"

# --- certificates -----------------------------------------------------------------------------
tls_mkcert ca "/CN=sbc e2e test CA" &&
	tls_mkcert carrier "/CN=carrier.test" ca "IP:$SBCNET_PB4, DNS:carrier.test" &&
	tls_mkcert sbc "/CN=sbc.test" ca "IP:$SBCNET_SBC4, DNS:sbc.test" &&
	tls_mkcert rogue-ca "/CN=another CA" &&
	tls_mkcert rogue "/CN=carrier.test" rogue-ca "IP:$SBCNET_PB4, DNS:carrier.test" ||
	fatal "openssl req could not make the certificates: $(cat "$pki"/*.log)"
check "the carrier's certificate verifies against the test CA" \
	openssl verify -CAfile "$pki/ca.crt" "$pki/carrier.crt"

# --- the TLS carrier: Kamailio + a sipp UAS behind it, in pb-ID -------------------------------
(cd "$SBCNET_DIR" && exec ip netns exec "$NS_PB" sipp -sf "$SBCNET_SIPP_DIR/invite_uas_rr.xml" \
	-i "$SBCNET_PB4" -p "$UAS_PORT" -nostdin </dev/null >"$SBCNET_DIR/uas.out" 2>&1) &
uas_pid=$!
poll_until 10 tls_listening "$NS_PB" u "$SBCNET_PB4" "$UAS_PORT" ||
	fatal "the sipp UAS did not bind $SBCNET_PB4:$UAS_PORT"
tls_carrier_start carrier "$UAS_PORT" || fatal "Kamailio did not listen on tls:$SBCNET_PB4:$TLS_PORT"
pass "Kamailio TLS carrier on $SBCNET_PB4:$TLS_PORT, UAS behind it on UDP $UAS_PORT"

# 1. the carrier on its own: a verified TLS call from the floor's namespace straight to it
got=$(ip netns exec "$NS_PA" "$SBCNET_PY" "$here/tls_sip_call.py" "$SBCNET_PA4" "$SBCNET_PB4" \
	"$TLS_PORT" "$pki/ca.crt" 10 2>&1)
if [[ $got =~ ^TLSv1\.[23]\ 200\ 200$ ]]; then
	pass "the carrier alone: a TLS call (CA-verified) through Kamailio to the UAS ($got)"
else
	fatal "the carrier alone: a TLS call through Kamailio to the UAS: $got"
fi

# --- the SBC ----------------------------------------------------------------------------------
conf=$SBCNET_DIR/sbc.conf
cat >"$conf" <<EOF
# sbc.conf of tests/e2e/test_tls_e2e.sh, run $SBCNET_ID
[sbc]
address = $SBCNET_SBC4
address6 = $SBCNET_SBC6
sip_port = 5060
unlisted = drop
tls_port = $TLS_PORT
tls_certificate = $pki/sbc.crt
tls_key = $pki/sbc.key
tls_ca = $pki/ca.crt

[dataplane]
wire = net_af_packet0
exception = net_tap0
workers = 1
channel = $SBCNET_CHANNEL
mbufs = 4095

[redis]
address = 127.0.0.1:$port

[trunk floor]
role = floor
peers = $SBCNET_PA4/32
route = carrier

[trunk carrier]
role = carrier
peers = $SBCNET_PB4/32
uri = sip:$SBCNET_PB4:$TLS_PORT;transport=tls
EOF
sbcnet_start_dp "$dataplane" "$conf" ||
	fatal "sbc-dataplane did not start with the TLS keys and routed trunks of issue 10:" \
		"$(grep -m1 -o 'sbc\.conf:[0-9]*: .*' "$SBCNET_DP_LOG")"
# the SBC <-> carrier traffic, as the carrier's namespace sees it, from before the control plane
# starts (its first OPTIONS ping opens the TLS connection the calls then reuse)
# (capture_start returns once the capture is live: the control plane's first OPTIONS opens the
# TLS connection at once, and a capture that started later saw it from its ServerHello on)
capture_start "$NS_PB" "$SBCNET_DIR/carrier-side.pcap" "host $SBCNET_SBC4 and host $SBCNET_PB4"
cap_pid=$capture_pid
e2e_redis_cp
wait_for "the SBC listens for SIP on $SBCNET_SBC4:5060 (UDP)" 10 \
	tls_listening "$NS_SBC" u "$SBCNET_SBC4" 5060 || fatal "no SIP listener on the SBC"


floor_calls() {	# NAME CALLS: sipp's built-in UAC from the floor, one call a second; sets ok/failed
	local name=$1 n=$2
	(cd "$SBCNET_DIR" && ip netns exec "$NS_PA" sipp -sn uac -i "$SBCNET_PA4" -p 5070 -r 1 \
		-m "$n" -d 200 -recv_timeout 15000 -timeout 60 -nostdin -trace_stat \
		-stf "$SBCNET_DIR/$name.csv" -fd 1 "$SBCNET_SBC4:5060" </dev/null \
		>"$SBCNET_DIR/$name.out" 2>&1)
	read -r ok failed < <("$SBCNET_PY" - "$SBCNET_DIR/$name.csv" <<'PY'
import csv, sys
rows = [r for r in csv.reader(open(sys.argv[1]), delimiter=';') if r]
print(rows[-1][rows[0].index('SuccessfulCall(C)')], rows[-1][rows[0].index('FailedCall(C)')])
PY
	)
}

# 2. floor calls through the SBC to the TLS carrier
floor_calls floor "$CALLS"
check_eq "floor -> SBC -> TLS carrier: successful calls (sipp)" "${ok:-}" "$CALLS"
check_eq "floor -> SBC -> TLS carrier: failed calls (sipp)" "${failed:-}" 0

# 3. the SBC -> carrier leg was TLS
kam_from_sbc() {	# METHOD PROTO: lines of Kamailio's log for that request from the SBC
	grep -c "carrier-rx: $1 from $SBCNET_SBC4:[0-9]* over $2\$" "$SBCNET_DIR/kamailio.log"
}
check_eq "Kamailio received each call's INVITE from the SBC over TLS" "$(kam_from_sbc INVITE tls)" "$CALLS"
check_eq "and each ACK over TLS" "$(kam_from_sbc ACK tls)" "$CALLS"
check_eq "and each BYE over TLS" "$(kam_from_sbc BYE tls)" "$CALLS"
check_eq "Kamailio received nothing from the SBC over UDP" \
	"$(grep -c "carrier-rx: .* from $SBCNET_SBC4:[0-9]* over udp" "$SBCNET_DIR/kamailio.log")" 0
sleep 0.5
kill -INT "$cap_pid" 2>/dev/null
wait "$cap_pid" 2>/dev/null
cap_pid=''
pcap=$SBCNET_DIR/carrier-side.pcap
hello=$(tshark -r "$pcap" -n -d "tcp.port==$TLS_PORT,tls" \
	-Y "tls.handshake.type == 1 && ip.src == $SBCNET_SBC4 && tcp.dstport == $TLS_PORT" 2>/dev/null | wc -l)
if [ "$hello" -ge 1 ]; then
	pass "the capture holds the SBC's TLS ClientHello to $SBCNET_PB4:$TLS_PORT ($hello)"
else
	fail "no TLS ClientHello from the SBC to $SBCNET_PB4:$TLS_PORT in the capture"
	# what became of the TCP connection: a SYN retransmitted after the carrier's SYN-ACK means
	# the answers never reached the SBC's kernel (through the data plane)
	syn=$(tshark -r "$pcap" -n -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0 &&
		ip.src == $SBCNET_SBC4" 2>/dev/null | wc -l)
	synack=$(tshark -r "$pcap" -n -Y "tcp.flags.syn == 1 && tcp.flags.ack == 1 &&
		ip.src == $SBCNET_PB4" 2>/dev/null | wc -l)
	echo "# the SBC sent $syn SYN(s) to the carrier, which answered $synack SYN-ACK(s)"
	if [ "$syn" -gt 1 ] && [ "$synack" -ge 1 ]; then
		echo "# the carrier's answers to the SBC's own TCP port did not reach the SBC's kernel:" \
			"does the data plane pass TCP to the ports of the SBC's outgoing connections?"
	fi
fi
check_eq "no SIP in clear (UDP or TCP) between the SBC and the carrier" \
	"$(tshark -r "$pcap" -n -d "tcp.port==$TLS_PORT,tls" -Y sip 2>/dev/null | wc -l)" 0

# 4. tls_ca enforced: the same carrier address with a certificate of another CA gets no call
tls_carrier_stop
: >"$SBCNET_DIR/kamailio.log"
tls_carrier_start rogue "$UAS_PORT" || fatal "Kamailio did not restart with the other CA's certificate"
floor_calls floor-rogue 1
check_eq "a carrier whose certificate the CA did not sign: the floor's call fails" \
	"${ok:-}/${failed:-}" "0/1"
check_eq "and Kamailio got no INVITE from the SBC" "$(kam_from_sbc INVITE tls)" 0
tls_carrier_stop

# 5. clean ends
if [ -n "$sbcctl" ]; then
	"$sbcctl" --file-prefix "$SBCNET_PREFIX" trunks | sed 's/^/# /'
fi
e2e_cp_end
kill -TERM "$uas_pid" 2>/dev/null
wait "$uas_pid" 2>/dev/null
uas_pid=''
sbcnet_stop_dp
check_eq "sbc-dataplane exits 0" $? 0

e2e_end
