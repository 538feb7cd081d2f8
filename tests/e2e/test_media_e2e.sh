#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# e2e: media anchored in the data plane (issue 12), sipp floor -> SBC -> sipp carrier with RTP
# from pcaps (sipp's play_pcap_audio, 100 packets each way; tests/e2e/rtp_pcap.py writes them)
# on the topology of scripts/lib-netns.sh, plus an injector namespace on the same LAN:
#   relay     the carrier gets the SBC's SDP (c= the SBC's address, nothing of the floor's) and
#             every packet the floor sent, each from the SBC's address and leg port; the floor
#             every packet of the carrier's the same way; an injector sending to both live
#             media ports meanwhile gets nothing through; the record has loss_in 0, loss_out 0,
#             jitter_ms and mos
#   latch     a NAT'd phone (trunk nat-phones, media_latch = yes) whose SDP names a private
#             address, behind a NAT (iptables SNAT in pa-ID) that maps its RTP port 6100 to
#             16100: its media reaches the carrier, the carrier's reaches it at its public
#             address and mapped port (latched from its first packet)
#   hostile   an offer whose m= line Sofia-SIP 1.12.11's SDP parser never returns from: 488,
#             cp_sdp_rejected, a record (488 by the sbc), the control plane's memory unchanged
#   timeout   a call without media: after [sbc] media_timeout (5 s) the SBC sends BYE to both
#             sides; its record says ended_by media_timeout
# Then every session is gone (cp_media_sessions 0: the ports are back in the pool).
# usage: test_media_e2e.sh SBC_DATAPLANE SBC_CONTROLPLANE   exit 0 pass, 1 fail, 77 skip
set -u

dataplane=$(realpath -m -- "${1:?usage: $0 SBC_DATAPLANE SBC_CONTROLPLANE}")
controlplane=$(realpath -m -- "${2:?usage: $0 SBC_DATAPLANE SBC_CONTROLPLANE}")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib-netns.sh
. "$here/../../scripts/lib-netns.sh"
# shellcheck source-path=SCRIPTDIR source=lib-check.sh
. "$here/lib-check.sh"

e2e_preflight "sipp ethtool ss redis-server redis-cli dumpcap iptables" "$dataplane" "$controlplane"

CA=$SBCNET_PB4			# the carrier
NAT=$SBCNET_V4.21		# the NAT'd phone's public address (a second one in pa-ID)
INJ=$SBCNET_V4.40		# the injector
PRIV=10.20.30.40		# what the NAT'd phone's SDP says
PACKETS=100
cp_pid='' pids=() caps=() capfiles=()
port=$((7600 + RANDOM % 50))
e2e_cleanup() {
	local p
	for p in "${pids[@]}" "${caps[@]}"; do kill -9 "$p" 2>/dev/null; done
	[ -n "$cp_pid" ] && kill -9 "$cp_pid" 2>/dev/null
	return 0
}
e2e_begin
# R, start_redis, start_cp, stop_cp, ... (lib-redis.sh reads $SBCNET_DIR, which e2e_begin made)
# shellcheck source-path=SCRIPTDIR source=lib-redis.sh
. "$here/lib-redis.sh"
# capture, carrier, floor, sdp_port, count, last_cdr, xlen, ...
# shellcheck source-path=SCRIPTDIR source=lib-media.sh
. "$here/lib-media.sh"
E2E_LOGS="controlplane:$SBCNET_DIR/controlplane.log"
NS_INJ=${SBCNET_NS_PREFIX:-}inj-$SBCNET_ID
sbcnet_addns "$NS_INJ" && sbcnet_veth "$NS_INJ" eth0 "$NS_LAN" i0 &&
	ip -n "$NS_LAN" link set i0 master br0 up &&
	sbcnet_peer "$NS_INJ" "$INJ" 2001:db8::40 || fatal "the injector's namespace"
ip -n "$NS_PA" addr add "$NAT/24" dev eth0 || fatal "the NAT'd phone's address"

conf=$SBCNET_DIR/sbc.conf
sbcnet_conf "$conf" drop "media_ports = 30000-30099" "media_timeout = 5"
extra_trunks="[trunk nat-phones]
role = floor
peers = $NAT/32
route = carrier
media_latch = yes
" e2e_trunks carrier "$CA:5060"
e2e_sbc_up	# redis-server and the control plane (lib-redis.sh: its defaults are these paths)

# both sides play rtp.pcap from their working directory ($SBCNET_DIR)
"$SBCNET_PY" "$here/rtp_pcap.py" pcap "$SBCNET_DIR/rtp.pcap" $PACKETS 0f100f10 ||
	fatal "writing the pcap"

# media_call PHASE ADDR SDP_ADDR FLOOR_MP CARRIER_MP CARRIER_PAUSE_MS [INJECT]: one call with
# RTP both ways, from the floor at ADDR whose SDP names SDP_ADDR (the carrier starts its RTP that
# long after the SBC's ACK, which comes once the session is in force); with INJECT, the injector
# sends 50 packets to each live media port meanwhile. Checks that every packet reached each side
# from the SBC's leg port (the floor's on the wire to $FLOOR_WIRE_PORT, FLOOR_MP unless a NAT
# maps it).
media_call() {
	local ph=$1 addr=$2 sdp=$3 fmp=$4 cmp=$5 leg0 leg1 rc inj wire=${FLOOR_WIRE_PORT:-$4}
	capture "$NS_PA" "floor-$ph"
	capture "$NS_PB" "carrier-$ph"
	carrier media_uas.xml "car-$ph" "$cmp" -d "$6"
	floor media_uac.xml "$ph" "$addr" "$fmp" -d 3000 -set sdp_ip "$sdp"
	wait_for "$ph: the floor has the SBC's answer" 10 sdp_port "$ph" "$fmp"
	wait_for "$ph: the carrier has the SBC's offer" 10 sdp_port "car-$ph" "$cmp"
	leg0=$(sdp_port "$ph" "$fmp") leg1=$(sdp_port "car-$ph" "$cmp")
	if [ -n "${7:-}" ]; then
		inj=$(for p in "$leg0" "$leg1"; do
			ip netns exec "$NS_INJ" "$SBCNET_PY" "$here/rtp_pcap.py" inject "$SBCNET_SBC4" "$p" 50
		done)
		check_eq "$ph: the injector sent to both live media ports ($leg0, $leg1)" "$inj" \
			"$(printf 'sent 50\nsent 50')"
	fi
	wait "$floor_pid"
	rc=$?
	check_eq "$ph: the floor's call completed" "$rc" 0
	records=$((records + 1))
	wait_eq "$ph: a record for the call" 10 "$records" xlen
	stop_captures
	check_eq "$ph: the carrier got every packet, each from the SBC's leg port, none injected" \
		"$(count "carrier-$ph" "$cmp")" "total $PACKETS from $SBCNET_SBC4:$leg1 $PACKETS foreign 0"
	check_eq "$ph: the floor got every packet of the carrier's the same way" \
		"$(count "floor-$ph" "$wire")" "total $PACKETS from $SBCNET_SBC4:$leg0 $PACKETS foreign 0"
}
records=0

# ---- relay: both directions, every packet from the SBC's address, an injector gets nowhere
media_call relay "$SBCNET_PA4" "$SBCNET_PA4" 6000 7000 0 inject
check "relay: the carrier's INVITE names the SBC in o= and c=, nothing of the floor's" \
	sh -c "grep -a -q '^c=IN IP4 $SBCNET_SBC4' '$SBCNET_DIR/car-relay.msg' &&
		grep -a -q '^o=- [0-9]* [0-9]* IN IP4 $SBCNET_SBC4' '$SBCNET_DIR/car-relay.msg' &&
		! grep -a -q '$SBCNET_PA4' '$SBCNET_DIR/car-relay.msg'"
foreign=$(sbcnet_get /sbc/drops media_foreign)
check "relay: the data plane dropped the injected packets as media_foreign ($foreign)" \
	test "${foreign:-0}" -ge 100
check_eq "relay: record loss_in" "$(last_cdr loss_in)" 0
check_eq "relay: record loss_out" "$(last_cdr loss_out)" 0
check "relay: record jitter_ms and mos ($(last_cdr jitter_ms), $(last_cdr mos))" \
	"$SBCNET_PY" -c "import sys; j, m = float(sys.argv[1]), float(sys.argv[2]); \
assert 0 <= j < 100 and 3.5 < m <= 4.5" "$(last_cdr jitter_ms)" "$(last_cdr mos)"

# ---- latch: the phone's SDP says a private address; its first packet fixes its leg (until then
# the carrier's media has nowhere to go: the carrier starts 500 ms after its ACK, the phone at
# once after its 200)
# The NAT maps the port too: the phone's RTP leaves from 6100 and reaches the SBC from
# $NAT:16100 (SNAT in pa-ID; conntrack maps what comes back to 16100 to the phone's 6100), so
# only the latch knows where to send the carrier's media
ip netns exec "$NS_PA" iptables -t nat -A POSTROUTING -s "$NAT" -p udp --sport 6100 \
	-j SNAT --to-source "$NAT:16100" || fatal "iptables: the NAT's port mapping"
FLOOR_WIRE_PORT=16100 media_call latch "$NAT" "$PRIV" 6100 7100 500
ip netns exec "$NS_PA" iptables -t nat -F POSTROUTING
check "latch: the carrier never saw the private address" \
	sh -c "! grep -a -q '$PRIV' '$SBCNET_DIR/car-latch.msg'"

# ---- hostile: an offer with an m= line Sofia-SIP's SDP parser never returns from (a fmt that
# starts with ":"): 488 at once, counted, recorded, the control plane's memory unchanged and its
# loop still serving (the timeout phase's call below goes through it)
rej0=$(sbcnet_get /sbc/channel cp_sdp_rejected)
rss0=$(awk '/^VmRSS/ {print $2}' "/proc/$cp_pid/status")
floor media_uac_hostile.xml hostile "$SBCNET_PA4" 6300
wait "$floor_pid"
check_eq "hostile: an offer with 'm=image 9 udptl :t38' gets 488 (and the floor ACKs it)" "$?" 0
wait_eq "hostile: counted (cp_sdp_rejected)" 5 $((rej0 + 1)) sbcnet_get /sbc/channel cp_sdp_rejected
records=$((records + 1))
wait_eq "hostile: a record for the call" 10 "$records" xlen
check_eq "hostile: the record's code and ended_by" "$(last_cdr code) $(last_cdr ended_by)" "488 sbc"
rss1=$(awk '/^VmRSS/ {print $2}' "/proc/$cp_pid/status")
check "hostile: the control plane's RSS within 8 MB of before ($rss0 -> $rss1 kB)" \
	test "$rss1" -le $((rss0 + 8192))

# ---- timeout: no media for media_timeout s: BYE to both sides, the record says so
carrier b2b_uas.xml car-timeout 7200
t0=${EPOCHREALTIME/./}
floor b2b_uac_wait_bye.xml timeout "$SBCNET_PA4" 6200
wait "$floor_pid"
check_eq "timeout: the floor got the SBC's BYE and answered it" "$?" 0
took=$(((${EPOCHREALTIME/./} - t0) / 1000))
check "timeout: not before media_timeout (5 s; took $took ms)" test "$took" -ge 5000
wait_eq "timeout: a record for the call" 10 $((records + 1)) xlen
check_eq "timeout: the record's ended_by" "$(last_cdr ended_by)" media_timeout
wait_for "timeout: the carrier got its BYE" 10 grep -a -q '^BYE ' "$SBCNET_DIR/car-timeout.msg"
wait_eq "timeout: counted (cp_media_timeouts)" 5 1 sbcnet_get /sbc/channel cp_media_timeouts

# ---- every session gone: the ports are back in the pool
wait_eq "every session gone (cp_media_sessions)" 10 0 sbcnet_get /sbc/channel cp_media_sessions
check_eq "no call refused for its media (cp_media_refused)" \
	"$(sbcnet_get /sbc/channel cp_media_refused)" 0
check_eq "no sipp aborted a call" "$(cat "$SBCNET_DIR"/*.err 2>/dev/null |
	grep -a -c -i -e regexp -e 'Aborting call')" 0

stop_cp
e2e_end
