#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# e2e (issue 12): SRTP on a TLS carrier leg with RTP on the floor leg, the payload equal end to
# end. The topology of scripts/lib-netns.sh:
#
#   pa-ID  sipp UAC (floor, UDP, tests/e2e/sipp/srtp_uac.xml)       RTP/AVP
#          srtp_peer: plain RTP from/to 198.51.100.20:6000
#                                   |
#          SBC 198.51.100.10 (sbc-dataplane + sbc-controlplane + redis-server, sbc-ID)
#                                   | SIP over TLS (trunk carrier: srtp = sdes,
#                                   v uri = sip:198.51.100.30:5061;transport=tls)  RTP/SAVP
#   pb-ID  Kamailio TLS carrier 198.51.100.30:5061 (kamailio_tls_carrier.cfg, certificates made
#          here by lib-tls.sh) ---UDP---> sipp UAS :5080 (srtp_uas.xml): answers RTP/SAVP with
#          the carrier's own a=crypto key for the suite under test
#          srtp_peer: SRTP from/to 198.51.100.30:7000 (libsrtp2, Debian's NSS build)
#
# One call per SDES suite (AES_CM_128_HMAC_SHA1_80, _32, AEAD_AES_128_GCM). In each, once both
# sides have the SBC's SDP, the two srtp_peers (tests/e2e/srtp_peer.c) send 100 packets each way
# at the same time, sequence numbers wrapping after 50; the carrier's peer protects with its key
# and unprotects with the key the SBC offered it in the INVITE (read from the sipp UAS's message
# trace); then the carrier's peer sends 3 packets with a wrong tag and 2 replayed ones. Beside the
# RTP, 10 RTCP reports each way (sender and receiver reports in turn, each with a report block on
# the other's SSRC) on the RTCP ports (RTP + 1): SRTCP on the carrier's leg (E flag, index, tag;
# the _32 suite's SRTCP keeps the 80-bit tag), plain RTCP on the floor's; the carrier's peer
# sends 3 tampered SRTCP packets and 2 replayed ones as well. Checks:
#   sdp       the carrier got RTP/SAVP with the suite's a=crypto from the SBC over TLS; the floor
#             plain RTP/AVP and no a=crypto
#   payload   each side got all 100 of the other's packets and all 10 of its reports, each byte
#             for byte (header and payload, after unprotect on the carrier side) what the other
#             side built, from the SBC's leg address and port (RTCP: port + 1); nothing
#             unauthentic, unequal, duplicated or foreign
#   drops     the wrong tags and tampered SRTCP counted srtp_auth (3 + 3), the replays
#             srtp_replay (2 + 2), none relayed (the floor's capture holds exactly 100 packets
#             to its RTP port and 10 to its RTCP port)
#   wire      the carrier's capture holds no payload of either stream nor any report's body
#             (found 0 of 100, rtcp found 0 of 10, each) while the floor's holds all of them
#             (the search works); the SBC's packets to the carrier are RTP + the suite's tag
#             long, its reports RTCP + 4 (E flag and index) + the SRTCP tag
#   keys      no key the SBC offered nor the carrier's (base64 or the master key in hex) in the
#             stats socket's output (every /sbc/ command, sbcctl media CALL-ID --json), the data
#             plane's and control plane's logs or the call records
#   refused   a carrier answering with a tag the SBC did not offer: 488 to the floor, the
#             carrier's 200 ACKed and BYEd, cp_sdp_rejected, the record's code 488 by the sbc
#   workers   the data plane with 2 workers, net_af_packet with 2 queue pairs (its sockets in a
#             PACKET_FANOUT_HASH group: the kernel's flow hash keeps each 5-tuple on one queue):
#             3 calls (AES_CM_128_HMAC_SHA1_80) up at once, their media (RTP, RTCP, the wrong tags
#             and replays) all at the same time: each call's payload and reports equal end to
#             end both ways as above, the drops counted as above (3 calls' worth), none
#             srtp_worker; /sbc/stats's media_relayed of worker 0 and worker 1 add up to the
#             total, each relayed some, and the total grew by exactly what the peers got
#   cleartext a call from the srtp = sdes trunk's own address over UDP, offering RTP/SAVP with a
#             key (its route set live in sbc:route:carrier): 403 SRTP Keys Need TLS, no SDP in
#             any answer, counted cp_srtp_no_tls, its record 403 by the sbc; its key joins those
#             looked for below
#   contact   a PBX site's trunk site-sdes (auth = digest, srtp = sdes, no uri): alice
#             registers her contact over UDP (sip:alice@198.51.100.24:5095, 401 then 200); a
#             call from the floor routed live (sbc:route:pbx-floor) to site-sdes gets 503 No
#             Trunk Available: the contact is skipped, as a down trunk is (no INVITE reaches it:
#             its socket gets nothing), counted cp_srtp_no_tls, the record 503 by the sbc with
#             nothing tried
# The call is ended by the floor once the test sends its sipp an INFO (srtp_uac.xml waits for it),
# so the media never races a BYE. Then every session is gone.
# SRTP_PHASES (default "suites refused cleartext contact": the three suites' calls, then
# refused, cleartext and contact) runs some of them; meson runs "workers" as srtp_workers_e2e.
# usage: test_srtp_e2e.sh SBC_DATAPLANE SBC_CONTROLPLANE SRTP_PEER [SBCCTL]
#   exit 0 pass, 1 fail, 77 skip
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib-check.sh
. "$here/lib-check.sh"	# and scripts/lib-netns.sh
e2e_args "SBC_DATAPLANE SBC_CONTROLPLANE SRTP_PEER [SBCCTL]" "$@"

e2e_preflight "sipp ethtool ss kamailio openssl tshark dumpcap redis-server redis-cli" \
	"$dataplane" "$controlplane" "$srtp_peer"
e2e_kamailio_tls

PACKETS=100 BAD_TAG=3 REPLAY=2 RTCP=10
UAS_PORT=5080
phases=${SRTP_PHASES:-suites refused cleartext contact}
# [dataplane] workers (sbcnet_conf) and the wire's queues (sbcnet_start_dp)
export SBCNET_WORKERS=1
[[ " $phases " == *" workers "* ]] && SBCNET_WORKERS=2
port=$((6530 + RANDOM % 10))
cp_pid='' kam_pid='' pids=() caps=() capfiles=()
t_start=${EPOCHREALTIME/./}
e2e_cleanup() {
	local p
	[ -n "$cp_pid" ] && kill -9 "$cp_pid" 2>/dev/null
	for p in "${pids[@]}" "${caps[@]}"; do kill -9 "$p" 2>/dev/null; done
	[ -n "$kam_pid" ] && kill -9 "$kam_pid" 2>/dev/null
	return 0
}
e2e_begin
# shellcheck source-path=SCRIPTDIR source=lib-redis.sh
. "$here/lib-redis.sh"
# shellcheck source-path=SCRIPTDIR source=lib-tls.sh
. "$here/lib-tls.sh"
# shellcheck source-path=SCRIPTDIR source=lib-media.sh
. "$here/lib-media.sh"	# capture, stop_captures, sdp_port
E2E_LOGS="controlplane:$cp_log kamailio:$SBCNET_DIR/kamailio.log"

tls_mkcert ca "/CN=sbc srtp e2e CA" &&
	tls_mkcert carrier "/CN=carrier.test" ca "IP:$SBCNET_PB4, DNS:carrier.test" &&
	tls_mkcert sbc "/CN=sbc.test" ca "IP:$SBCNET_SBC4, DNS:sbc.test" ||
	fatal "openssl req could not make the certificates: $(cat "$pki"/*.log)"
tls_carrier_start carrier "$UAS_PORT" || fatal "Kamailio did not listen on tls:$SBCNET_PB4:$TLS_PORT"

conf=$SBCNET_DIR/sbc.conf
sbcnet_conf "$conf" drop "media_ports = 30000-30099" "tls_port = $TLS_PORT" \
	"tls_certificate = $pki/sbc.crt" "tls_key = $pki/sbc.key" "tls_ca = $pki/ca.crt"
# site-sdes: a PBX site that registers (contact phase); its PBX at SITE, listed by pbx-floor
# for its REGISTERs (a call from the floor's own address stays pbx-floor's)
SITE=$SBCNET_V4.24
floor_extra="peers = $SITE/32" extra_trunks="[trunk site-sdes]
role = floor
auth = digest
realm = sdes.example
srtp = sdes
" e2e_trunks carrier "$SBCNET_PB4:$TLS_PORT;transport=tls" "srtp = sdes"
ip -n "$NS_PA" addr add "$SITE/24" dev eth0 || fatal "address $SITE"
e2e_sbc_up

# sipp_bg NS NAME ARGS...: one sipp in NS ($SIPP_CALLS calls, 1), its messages in NAME.msg; its
# pid in sipp_pid
sipp_bg() {
	local ns=$1 name=$2
	shift 2
	(cd "$SBCNET_DIR" && exec ip netns exec "$ns" sipp -m "${SIPP_CALLS:-1}" -nostdin -trace_msg \
		-message_file "$SBCNET_DIR/$name.msg" -trace_err -error_file "$SBCNET_DIR/$name.err" \
		"$@" </dev/null >"$SBCNET_DIR/$name.out" 2>&1) &
	sipp_pid=$!
	pids+=("$sipp_pid")
}
# peer NS NAME ARGS...: srtp_peer run in NS, its report in NAME.peer; returns once it is bound
peer() {
	local ns=$1 name=$2
	shift 2
	ip netns exec "$ns" "$srtp_peer" run "$@" >"$SBCNET_DIR/$name.peer" 2>&1 &
	peer_pid=$!
	pids+=("$peer_pid")
	poll_until 10 grep -qx ready "$SBCNET_DIR/$name.peer" ||
		fatal "srtp_peer $name did not bind: $(cat "$SBCNET_DIR/$name.peer")"
}
report() { grep -a -v -x ready "$SBCNET_DIR/$1.peer"; }
drops() { sbcnet_get /sbc/media "drops.$1"; }
keyfile=$SBCNET_DIR/keys	# every key of the run: base64, and the master key in hex
add_key() {
	{
		echo "$1"
		printf '%s' "$1" | base64 -d 2>/dev/null | head -c 16 | od -An -tx1 | tr -d ' \n'
		echo
	} >>"$keyfile"
}
stats_snapshot() {	# CALL-ID OUT: everything the stats socket says now (one connection)
	"$SBCNET_PY" - "/var/run/dpdk/$SBCNET_PREFIX/dpdk_telemetry.v2" "$1" >"$2" 2>&1 <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect(sys.argv[1])
s.recv(16384)
def ask(cmd):
    s.send(cmd.encode())
    return s.recv(1 << 20).decode()
h = 0xcbf29ce484222325                  # the session id: FNV-1a of the Call-ID (sbc_hash.h)
for b in sys.argv[2].encode():
    h = ((h ^ b) * 0x100000001b3) & (1 << 64) - 1
cmds = [c for c in json.loads(ask('/'))['/'] if c.startswith('/sbc/')]
for c in cmds + ['/sbc/media_session,%016x' % h]:
    print('==', c)
    print(ask(c))
PY
	if [ -n "$sbcctl" ]; then
		"$sbcctl" --file-prefix "$SBCNET_PREFIX" --json media "$1" >>"$2" 2>&1
		"$sbcctl" --file-prefix "$SBCNET_PREFIX" media "$1" >>"$2" 2>&1
	fi
}

# A call n's state is in arrays indexed by n (its ports, the SBC's leg ports, the SBC's key, the
# Call-ID, the pids); suite and ckey (the carrier's key) are the phase's; the carrier's UAS is U.
# Call n's floor: SIP port 5069 + n, RTP 6000 + 10n (srtp_peer); SSRCs f100f10n and ca1e0c0n.
fssrc() { echo "f100f10$1"; }
cssrc() { echo "ca1e0c0$1"; }
calls=0 ncarrier=0 refused_only=0	# refused_only: calls the SBC refused before any INVITE out
new_ckey() {	# KEY_BYTES: the carrier's key for what follows
	ckey=$(openssl rand -base64 "$1")
	add_key "$ckey"
	ncarrier=$((ncarrier + 1))
}
# carrier_uas NAME TAG SUITE KEY [CALLS]: the carrier's callee (U=NAME) for CALLS calls (1),
# answering a=crypto:TAG SUITE KEY, its k-th call's RTP on port 70k0 (srtp_uas.xml)
carrier_uas() {
	U=$1
	SIPP_CALLS=${5:-1} sipp_bg "$NS_PB" "$1" -sf "$SBCNET_SIPP_DIR/srtp_uas.xml" -i "$SBCNET_PB4" \
		-p "$UAS_PORT" -mp 17000 -set rtp_port 70 -set crypto_tag "$2" -set crypto_suite "$3" \
		-set crypto_key "$4"
	car_pid=$sipp_pid
	poll_until 10 tls_listening "$NS_PB" u "$SBCNET_PB4" "$UAS_PORT" || fatal "the UAS did not bind"
}
# kth_invite NAME K: the K-th INVITE in sipp NAME's messages
kth_invite() {
	tr -d '\r' <"$SBCNET_DIR/$1.msg" | awk -v k="$2" '/^[A-Z]+ sip:|^SIP\/2\.0 / {f = 0}
		/^INVITE / {f = ++i == k} f'
}
# place_call TAG K: call n from the floor, the carrier's K-th: answered, the SDP each side got
place_call() {
	local tag=$1 k=$2 inv
	calls=$((calls + 1))
	FRTP[n]=$((6000 + 10 * n)) CRTP[n]=$((7000 + 10 * k))
	sipp_bg "$NS_PA" "floor-$n" -sf "$SBCNET_SIPP_DIR/srtp_uac.xml" -i "$SBCNET_PA4" \
		-p $((5069 + n)) -mp $((16000 + 10 * n)) -timeout 40 -set rtp_port "${FRTP[n]}" \
		"$SBCNET_SBC4:5060"
	FPID[n]=$sipp_pid
	offered() { kth_invite "$U" "$k" | grep -q '^m=audio '; }
	wait_for "$suite: the carrier has the SBC's offer (call $n)" 15 offered &&
		wait_for "$suite: the floor has the SBC's answer" 15 sdp_port "floor-$n" "${FRTP[n]}" ||
		fatal "$suite: call $n was not answered"
	inv=$SBCNET_DIR/$U-$k.invite
	kth_invite "$U" "$k" >"$inv"
	LEG0[n]=$(sdp_port "floor-$n" "${FRTP[n]}")
	LEG1[n]=$(awk '/^m=audio / {print $2; exit}' "$inv")
	check "$suite: the offer to the carrier is RTP/SAVP with a=crypto:$tag $suite" \
		sh -c "grep -q '^m=audio ${LEG1[n]} RTP/SAVP ' '$inv' &&
			grep -q '^a=crypto:$tag $suite inline:' '$inv'"
	check "$suite: the answer to the floor is RTP/AVP without a=crypto" \
		sh -c "grep -a -q '^m=audio ${LEG0[n]} RTP/AVP ' '$SBCNET_DIR/floor-$n.msg' &&
			! grep -a -q '^a=crypto' '$SBCNET_DIR/floor-$n.msg'"
	SKEY[n]=$(grep -o "^a=crypto:$tag $suite inline:[A-Za-z0-9+/=]*" "$inv" | head -n 1 |
		sed 's/.*inline://')
	CID[n]=$(call_id "floor-$n")
}
# media_start GO: both srtp_peers of call n, waiting for file GO
media_start() {
	peer "$NS_PA" "floor-$n" "$SBCNET_PA4" "${FRTP[n]}" "$SBCNET_SBC4" "${LEG0[n]}" \
		"$(fssrc $n)" "$(cssrc $n)" "$PACKETS" --rtcp "$RTCP" --go "$SBCNET_DIR/$1"
	PF[n]=$peer_pid
	peer "$NS_PB" "carrier-$n" "$SBCNET_PB4" "${CRTP[n]}" "$SBCNET_SBC4" "${LEG1[n]}" \
		"$(cssrc $n)" "$(fssrc $n)" "$PACKETS" --suite "$suite" --key-tx "$ckey" \
		--key-rx "${SKEY[n]}" --bad-tag "$BAD_TAG" --replay "$REPLAY" --rtcp "$RTCP" \
		--go "$SBCNET_DIR/$1"
	PC[n]=$peer_pid
}
# media_check: what call n's srtp_peers got
media_check() {
	local clean="missing 0 unequal 0 unauthentic 0 duplicate 0 foreign 0"
	local rclean="rtcp_received $RTCP rtcp_equal $RTCP rtcp_missing 0 rtcp_unequal 0"
	rclean+=" rtcp_unauthentic 0 rtcp_duplicate 0 rtcp_foreign 0"
	wait "${PF[n]}"
	wait "${PC[n]}"
	check_eq "$suite: the floor got every packet and report of the carrier's, decrypted, equal" \
		"$(report "floor-$n")" "sent $PACKETS bad_tag 0 replayed 0 received $PACKETS\
 equal $PACKETS $clean rtcp_sent $RTCP $rclean"
	check_eq "$suite: the carrier got every packet and report of the floor's, encrypted (SRTP,\
 SRTCP), equal once decrypted" "$(report "carrier-$n")" "sent $PACKETS bad_tag $BAD_TAG\
 replayed $REPLAY received $PACKETS equal $PACKETS $clean rtcp_sent $RTCP $rclean"
}
# dropped N A0 R0: N calls' wrong tags and replays counted since srtp_auth was A0, srtp_replay R0
dropped() {
	wait_eq "$suite: the wrong tags and tampered SRTCP dropped as srtp_auth" 10 \
		$(($2 + 2 * $1 * BAD_TAG)) drops srtp_auth
	wait_eq "$suite: the replays (SRTP and SRTCP) dropped as srtp_replay" 10 \
		$(($3 + 2 * $1 * REPLAY)) drops srtp_replay
}
# scan NAME SSRC PEER_SSRC: srtp_peer scan of capture NAME for stream SSRC's payloads and reports
scan() { "$srtp_peer" scan "$SBCNET_DIR/$1.pcap" "$2" "$PACKETS" "$3" "$RTCP"; }
# lengths NAME PORT: the packets to PORT in capture NAME: count, source, UDP length (one line
# each length)
lengths() {
	tshark -r "$SBCNET_DIR/$1.pcap" -n -Y "udp.dstport == $2" -T fields -e ip.src \
		-e udp.srcport -e udp.length 2>/dev/null | sort | uniq -c |
		awk '{printf "%s %s:%s %s; ", $1, $2, $3, $4}'
}
# stats_of_call: the stats socket while call n is up
stats_of_call() {
	stats_snapshot "${CID[n]}" "$SBCNET_DIR/stats-$n.txt"
	check "$suite: the stats socket shows the session's legs (/sbc/media_session)" \
		grep -q "\"local\": *\"$SBCNET_SBC4:${LEG1[n]}\"" "$SBCNET_DIR/stats-$n.txt"
}
# on_the_wire FLOOR_CAP CARRIER_CAP TAG_BYTES SRTCP_TAG_BYTES: what the (stopped) captures hold
# of call n
on_the_wire() {
	local f=$1 c=$2 fs cs fp=${FRTP[n]} cp=${CRTP[n]} l0=${LEG0[n]} l1=${LEG1[n]} all none
	fs=$(fssrc $n) cs=$(cssrc $n)
	check_eq "$suite: the floor's capture: the carrier's $PACKETS packets and $RTCP reports (plain\
 SR and RR) to it, nothing more" "$(lengths "$f" "$fp")$(lengths "$f" $((fp + 1)))" \
		"$PACKETS $SBCNET_SBC4:$l0 180; \
$((RTCP / 2)) $SBCNET_SBC4:$((l0 + 1)) 40; $((RTCP / 2)) $SBCNET_SBC4:$((l0 + 1)) 60; "
	all="found $PACKETS of $PACKETS, rtcp found $RTCP of $RTCP"
	check_eq "$suite: the floor's capture holds both streams' payloads and reports in clear" \
		"$(scan "$f" "$fs" "$cs"); $(scan "$f" "$cs" "$fs")" "$all; $all"
	none="found 0 of $PACKETS, rtcp found 0 of $RTCP"
	check_eq "$suite: the carrier's capture holds no payload nor report body of either stream" \
		"$(scan "$c" "$fs" "$cs"); $(scan "$c" "$cs" "$fs")" "$none; $none"
	check_eq "$suite: the SBC's packets to the carrier: RTP + a $3-byte tag, SRTCP: RTCP + 4 + $4,\
 from its leg's ports" "$(lengths "$c" "$cp")$(lengths "$c" $((cp + 1)))" \
		"$PACKETS $SBCNET_SBC4:$l1 $((8 + 12 + 160 + $3)); \
$((RTCP / 2)) $SBCNET_SBC4:$((l1 + 1)) $((8 + 32 + 4 + $4)); \
$((RTCP / 2)) $SBCNET_SBC4:$((l1 + 1)) $((8 + 52 + 4 + $4)); "
}
# hang_up: an INFO to call n's floor sipp (srtp_uac.xml waits for it) makes it send its BYE
hang_up() {
	local to
	to=$(grep -a -m 1 -i '^To:.*tag=' "$SBCNET_DIR/floor-$n.msg" | tr -d '\r')
	ip netns exec "$NS_PA" "$SBCNET_PY" -c 'import socket, sys
a, p, to, cid, n = sys.argv[1:]
m = ("INFO sip:phone@%s:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:5999;branch=z9hG4bKsrtpe2e%s\r\n"
     "From: <sip:test@%s>;tag=srtpe2e\r\n%s\r\nCall-ID: %s\r\nCSeq: 1 INFO\r\n"
     "Max-Forwards: 1\r\nContent-Length: 0\r\n\r\n") % (a, p, a, n, a, to, cid)
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(m.encode(), (a, int(p)))' \
		"$SBCNET_PA4" $((5069 + n)) "$to" "${CID[n]}" "$n"
	wait "${FPID[n]}"
	check_eq "$suite: the floor's call completed (BYE answered)" $? 0
}
carrier_done() {
	wait "$car_pid"
	check_eq "$suite: the carrier's side completed" $? 0
}
# srtp_call N SUITE TAG KEY_BYTES TAG_BYTES SRTCP_TAG_BYTES: one call, its media both ways, the
# checks above
srtp_call() {
	local a0 r0
	n=$1 suite=$2
	new_ckey "$4"
	capture "$NS_PA" "floor-$n"
	capture "$NS_PB" "carrier-$n"
	carrier_uas "uas-$n" "$3" "$suite" "$ckey"
	place_call "$3" 1
	a0=$(drops srtp_auth) r0=$(drops srtp_replay)
	media_start "go-$n"
	touch "$SBCNET_DIR/go-$n"
	media_check
	dropped 1 "$a0" "$r0"
	stats_of_call
	stop_captures
	on_the_wire "floor-$n" "carrier-$n" "$5" "$6"
	hang_up
	carrier_done
}

phase_suites() {
	srtp_call 1 AES_CM_128_HMAC_SHA1_80 1 30 10 10
	srtp_call 2 AES_CM_128_HMAC_SHA1_32 2 30 4 10
	srtp_call 3 AEAD_AES_128_GCM 3 28 16 16
}

# ---- refused: the carrier answers with a tag the SBC never offered (a key it cannot use): the
# floor gets 488, the carrier's 200 is ACKed and then BYEd, cp_sdp_rejected counts it
phase_refused() {
	local rej0
	rej0=$(sbcnet_get /sbc/channel cp_sdp_rejected)
	n=4 suite=refused
	new_ckey 30
	carrier_uas uas-4 9 AES_CM_128_HMAC_SHA1_80 "$ckey"
	calls=$((calls + 1))
	sipp_bg "$NS_PA" floor-4 -sf "$SBCNET_SIPP_DIR/srtp_uac_488.xml" -i "$SBCNET_PA4" -p 5070 \
		-mp 16000 -timeout 40 "$SBCNET_SBC4:5060"
	wait "$sipp_pid"
	check_eq "refused: a carrier's answer without a usable a=crypto: the floor gets 488 (and ACKs\
 it)" $? 0
	wait "$car_pid"
	check_eq "refused: the carrier's 200 is ACKed, then BYE" $? 0
	wait_eq "refused: counted (cp_sdp_rejected, published with the control plane's status)" 10 \
		$((rej0 + 1)) sbcnet_get /sbc/channel cp_sdp_rejected
	wait_eq "refused: its record" 10 "$calls" R xlen sbc:cdr
	check_eq "the refused call's record: code, ended_by" \
		"$(R --raw xrevrange sbc:cdr + - count 1 | awk '$0 == "code" || $0 == "ended_by" {getline v; printf "%s ", v}')" \
		"488 sbc "
}

# ---- cleartext: a call from the SDES trunk over UDP gets 403, our key never in clear
phase_cleartext() {
	local c0 ans
	c0=$(sbcnet_get /sbc/channel cp_srtp_no_tls)
	# a route for the carrier's calls (a trunk with a uri: itself; refused before routing)
	R rpush sbc:route:carrier carrier >/dev/null
	new_ckey 30	# the caller's own (it sent it in clear: looked for in our output too)
	refused_only=$((refused_only + 1))
	sipp_bg "$NS_PB" cleartext -sf "$SBCNET_SIPP_DIR/srtp_uac_403.xml" -i "$SBCNET_PB4" \
		-p 5090 -mp 18000 -timeout 20 -set crypto_key "$ckey" "$SBCNET_SBC4:5060"
	wait "$sipp_pid"
	check_eq "cleartext: an SDES trunk's INVITE over UDP gets 403 (and ACKs it)" $? 0
	ans=$SBCNET_DIR/cleartext.answers	# the SBC's answers in the sipp's trace
	tr -d '\r' <"$SBCNET_DIR/cleartext.msg" |
		awk '/^SIP\/2\.0 / {f = 1} /^(INVITE|ACK) / {f = 0} f' >"$ans"
	check "cleartext: ... 403 SRTP Keys Need TLS" grep -q '^SIP/2.0 403 SRTP Keys Need TLS' "$ans"
	check "cleartext: no SDP (nor key) in any answer" \
		sh -c "! grep -q -i -e '^a=crypto' -e '^Content-Type: application/sdp' '$ans'"
	wait_eq "cleartext: counted (cp_srtp_no_tls)" 10 $((c0 + 1)) \
		sbcnet_get /sbc/channel cp_srtp_no_tls
	wait_eq "cleartext: its record" 10 $((calls + refused_only)) R xlen sbc:cdr
	check_eq "cleartext: the record's code, ended_by" \
		"$(R --raw xrevrange sbc:cdr + - count 1 | awk '$0 == "code" || $0 == "ended_by" {getline v; printf "%s ", v}')" \
		"403 sbc "
	R del sbc:route:carrier >/dev/null
}

# ---- contact: an srtp = sdes trunk's registered contact not over TLS is skipped
rc() { ip netns exec "$NS_PA" "$SBCNET_PY" "$here/reg_client.py" "$@"; }
phase_contact() {
	local c0 got
	[ -n "$sbcctl" ] || fatal "contact: needs SBCCTL (sbcctl user add)"
	c0=$(sbcnet_get /sbc/channel cp_srtp_no_tls)
	check "contact: sbcctl user add site-sdes alice" sh -c "echo 'alice pw' |
		ip netns exec '$NS_SBC' '$sbcctl' -c '$conf' user add site-sdes alice"
	check_eq "contact: alice registers her contact over UDP" \
		"$(rc register "$SITE" "$SBCNET_SBC4" alice 'alice pw' sdes.example SHA-256 good 60 5095)" \
		"401 200"
	check_eq "contact: the binding's contact (neither sips: nor transport=tls)" \
		"$(R hget sbc:reg:site-sdes:alice@sdes.example contact)" "sip:alice@$SITE:5095"
	# what reaches the contact's address and port meanwhile (nothing may)
	capture_start "$NS_PA" "$SBCNET_DIR/contact.pcap" "dst host $SITE and dst port 5095"
	caps+=("$capture_pid")
	capfiles+=("$SBCNET_DIR/contact.pcap")
	R rpush sbc:route:pbx-floor site-sdes >/dev/null
	sleep 0.2	# a keyspace event takes well under a millisecond here; the B2BUA's loop a turn
	refused_only=$((refused_only + 1))
	check_eq "contact: a call to alice routed to site-sdes: 503 (its contact skipped)" \
		"$(rc invite "$SBCNET_PA4" "$SBCNET_SBC4" alice 5096)" 503
	wait_eq "contact: counted (cp_srtp_no_tls)" 10 $((c0 + 1)) \
		sbcnet_get /sbc/channel cp_srtp_no_tls
	wait_eq "contact: its record" 10 $((calls + refused_only)) R xlen sbc:cdr
	check_eq "contact: the record's code, ended_by, tried" \
		"$(R --raw xrevrange sbc:cdr + - count 1 | awk '$0 == "code" || $0 == "ended_by" ||
			$0 == "tried" {k = $0; getline v; f[k] = v} END {printf "%s %s [%s]",
			f["code"], f["ended_by"], f["tried"]}')" "503 sbc []"
	stop_captures
	got=$(tshark -r "$SBCNET_DIR/contact.pcap" 2>/dev/null | wc -l)
	check_eq "contact: nothing reached the contact (its address and port, captured)" "$got" 0
	R del sbc:route:pbx-floor >/dev/null
}

# ---- workers: 3 calls at once on 2 workers
relayed() { sbcnet_get /sbc/stats "${1:+$1.}media_relayed"; }
phase_workers() {
	local k base=$calls a0 r0 t0 w0 w1 t1
	suite=AES_CM_128_HMAC_SHA1_80
	check_eq "workers: 2 workers, 2 wire queues spread by the kernel's fanout (/sbc/stats workers,\
 wire_queues, rss)" "$(sbcnet_get /sbc/stats workers) $(sbcnet_get /sbc/stats wire_queues)\
 $(sbcnet_get /sbc/stats rss)" "2 2 1"
	new_ckey 30
	capture "$NS_PA" floor-w
	capture "$NS_PB" carrier-w
	carrier_uas uas-w 1 "$suite" "$ckey" 3
	for k in 1 2 3; do
		n=$((base + k))
		place_call 1 "$k"
	done
	a0=$(drops srtp_auth) r0=$(drops srtp_replay) t0=$(relayed)
	w0=$(relayed worker0) w1=$(relayed worker1)
	for k in 1 2 3; do
		n=$((base + k))
		media_start go-w
	done
	touch "$SBCNET_DIR/go-w"
	for k in 1 2 3; do
		n=$((base + k))
		media_check
	done
	dropped 3 "$a0" "$r0"
	check_eq "workers: no SRTP direction reached another worker (srtp_worker)" \
		"$(drops srtp_worker)" 0
	t1=$(relayed)
	w0=$(($(relayed worker0) - w0)) w1=$(($(relayed worker1) - w1))
	echo "# workers: relayed by worker 0: $w0, by worker 1: $w1, in all $((t1 - t0))"
	check_eq "workers: the calls' packets and reports, both ways, all relayed (media_relayed)" \
		"$((t1 - t0))" $((3 * 2 * (PACKETS + RTCP)))
	check_eq "workers: worker 0's and worker 1's media_relayed add up to it" \
		"$((w0 + w1))" "$((t1 - t0))"
	check "workers: both workers relayed some ($w0 and $w1)" test "$w0" -gt 0 -a "$w1" -gt 0
	for k in 1 2 3; do
		n=$((base + k))
		stats_of_call
	done
	stop_captures
	for k in 1 2 3; do
		n=$((base + k))
		on_the_wire floor-w carrier-w 10 10
		hang_up
	done
	carrier_done
}

for ph in $phases; do
	case $ph in
	suites | refused | cleartext | contact | workers) "phase_$ph" ;;
	*) fatal "unknown phase '$ph' in SRTP_PHASES" ;;
	esac
done

wait_eq "every session gone (cp_media_sessions)" 10 0 sbcnet_get /sbc/channel cp_media_sessions
check_eq "no sipp aborted a call" "$(cat "$SBCNET_DIR"/*.err 2>/dev/null |
	grep -a -c -i -e regexp -e 'Aborting call')" 0
check_eq "Kamailio got each call's INVITE from the SBC over TLS, nothing over UDP" \
	"$(grep -c "carrier-rx: INVITE from $SBCNET_SBC4:[0-9]* over tls\$" "$SBCNET_DIR/kamailio.log") $(grep -c \
		"carrier-rx: .* from $SBCNET_SBC4:[0-9]* over udp" "$SBCNET_DIR/kamailio.log")" "$calls 0"
wait_eq "a call record for each call" 10 $((calls + refused_only)) R xlen sbc:cdr
R --raw xrange sbc:cdr - + >"$SBCNET_DIR/records.txt"
e2e_cp_end
tls_carrier_stop
sbcnet_stop_dp
check_eq "sbc-dataplane exits 0" $? 0
# every key the SBC offered (three a call: one per suite), beside the carrier's
for skey in $(cat "$SBCNET_DIR"/uas-*.msg |
	grep -a -o '^a=crypto:[0-9]* [A-Z0-9_]* inline:[A-Za-z0-9+/=]*' | sed 's/.*inline://' | sort -u); do
	add_key "$skey"
done
check_eq "the keys looked for: 3 offered in each of the $calls INVITEs, $ncarrier of the carrier's,\
 each in base64 and hex" "$(sort -u "$keyfile" | grep -c .)" $((2 * (3 * calls + ncarrier)))
check "no key in the stats socket's output, the logs or the records" \
	sh -c "! cat '$SBCNET_DIR'/stats-*.txt '$SBCNET_DP_LOG' '$cp_log' '$SBCNET_DIR/records.txt' |
		grep -a -i -F -f '$keyfile'"
if [ -s "$keyfile" ]; then
	check "the search for keys finds one where there is one (the carrier's trace, or the\
 cleartext caller's)" grep -a -q -F -f "$keyfile" "$SBCNET_DIR/${U:-cleartext}.msg"
else
	echo "# no key in this run's phases ($phases): the search's own check left out"
fi
echo "# took $(((${EPOCHREALTIME/./} - t_start) / 1000)) ms"
e2e_end
