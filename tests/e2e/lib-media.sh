# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Helpers of the media e2e scripts (test_media_e2e.sh, test_media2_e2e.sh, test_srtp_e2e.sh),
# sourced after lib-redis.sh: sipp floors and carriers playing RTP from pcaps in $SBCNET_DIR,
# captures (capture_start) and what they got, a call's Call-ID, cues for a waiting sipp, the
# newest call record. They read $here, $SBCNET_*, $NS_PA, $NS_PB and $CA (the carrier's
# address), and add the pids of what they start in the background to the caller's arrays pids
# and caps (its e2e_cleanup kills those).

# capture NS NAME: UDP other than SIP in NS, into NAME.pcap, until stop_captures
capture() {
	capture_start "$1" "$SBCNET_DIR/$2.pcap" "udp and not port 5060"
	caps+=("$capture_pid")
	capfiles+=("$SBCNET_DIR/$2.pcap")
}
# stop_captures: once each file has stopped growing (dumpcap writes what it has read about
# every 100 ms; on a loaded machine it may still be reading the last packets of a call when
# the peers have them all: a SIGINT then lost them from the capture, not from the wire), at
# most 5 s, then SIGINT and wait
stop_captures() {
	local f a b i
	for f in "${capfiles[@]}"; do
		for ((i = 0; i < 12; i++)); do
			a=$(stat -c %s "$f" 2>/dev/null || echo 0)
			sleep 0.4
			b=$(stat -c %s "$f" 2>/dev/null || echo 0)
			[ "$a" = "$b" ] && break
		done
	done
	kill -INT "${caps[@]}" 2>/dev/null
	wait "${caps[@]}" 2>/dev/null
	caps=() capfiles=()
}
# carrier SCENARIO NAME MEDIA_PORT [SIPP ARGS...]: the carrier in pb-ID on $CA:5060, for
# $CARRIER_CALLS calls (1), in the background; returns once it listens
carrier() {
	local sf=$1 name=$2 mp=$3
	shift 3
	(cd "$SBCNET_DIR" && exec ip netns exec "$NS_PB" sipp -sf "$SBCNET_SIPP_DIR/$sf" -i "$CA" \
		-p 5060 -mp "$mp" -m "${CARRIER_CALLS:-1}" -nostdin "$@" -trace_msg \
		-message_file "$SBCNET_DIR/$name.msg" -trace_err -error_file "$SBCNET_DIR/$name.err" \
		</dev/null >"$SBCNET_DIR/$name.out" 2>&1) &
	carrier_pid=$!
	pids+=("$carrier_pid")
	car_up() { ip netns exec "$NS_PB" ss -Hlun "sport = :5060" | grep -qF "$CA"; }
	poll_until 10 car_up || fatal "the carrier did not bind"
}
# floor SCENARIO NAME ADDR MEDIA_PORT [SIPP ARGS...]: one call from pa-ID at ADDR, SIP port
# $FLOOR_PORT (5070), in the background (its pid in floor_pid)
floor() {
	local sf=$1 name=$2 addr=$3 mp=$4
	shift 4
	(cd "$SBCNET_DIR" && exec ip netns exec "$NS_PA" sipp -sf "$SBCNET_SIPP_DIR/$sf" -i "$addr" \
		-p "${FLOOR_PORT:-5070}" -mp "$mp" -m 1 -timeout 40 -nostdin "$@" -trace_msg \
		-message_file "$SBCNET_DIR/$name.msg" -trace_err -error_file "$SBCNET_DIR/$name.err" \
		"$SBCNET_SBC4:5060" </dev/null >"$SBCNET_DIR/$name.out" 2>&1) &
	floor_pid=$!
	pids+=("$floor_pid")
}
# sdp_port NAME MINE: the media port of the SDP sipp NAME received (not its own, MINE); fails
# while there is none
sdp_port() {
	local p
	p=$(grep -a -o '^m=audio [0-9]*' "$SBCNET_DIR/$1.msg" 2>/dev/null | awk '{print $2}' |
		grep -v -x "$2" | head -n 1)
	[ -n "$p" ] && echo "$p"
}
# call_id NAME: the Call-ID of sipp NAME's call (its first message); fails while there is none
call_id() {
	local i
	i=$(grep -a -m 1 -i '^Call-ID:' "$SBCNET_DIR/$1.msg" 2>/dev/null | sed 's/^[^:]*: *//' |
		tr -d '\r')
	[ -n "$i" ] && echo "$i"
}
# cue NS ADDR PORT CALL_ID: an INFO of that Call-ID to the sipp at ADDR:PORT in NS, from NS
# itself (one datagram, no answer awaited): a scenario waiting in <recv request="INFO"> goes on
cue_seq=0
cue() {
	cue_seq=$((cue_seq + 1))
	ip netns exec "$1" "$SBCNET_PY" -c '
import socket, sys
addr, port, cid, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
msg = "\r\n".join([
    "INFO sip:cue@%s:%d SIP/2.0" % (addr, port),
    "Via: SIP/2.0/UDP %s:9;branch=z9hG4bK-cue-%s" % (addr, n),
    "From: <sip:test@%s>;tag=cue%s" % (addr, n), "To: <sip:sipp@%s:%d>" % (addr, port),
    "Call-ID: " + cid, "CSeq: %s INFO" % n, "Max-Forwards: 70", "Content-Length: 0", "", ""])
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(msg.encode(), (addr, port))' \
		"$2" "$3" "$4" "$cue_seq"
}
# count NAME PORT [FIRST]: what capture NAME got on PORT (rtp_pcap.py count)
count() { "$SBCNET_PY" "$here/rtp_pcap.py" count "$SBCNET_DIR/$1.pcap" "${@:2}"; }
last_cdr() {	# FIELD: of the newest record in sbc:cdr
	R --raw xrevrange sbc:cdr + - count 1 | awk -v f="$1" 'p {print; exit} $0 == f {p = 1}'
}
xlen() { R xlen sbc:cdr; }
