#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# e2e: media anchored in the data plane (issue 12), the cases test_media_e2e.sh leaves out, on
# the same topology (sipp floor in pa-ID -> SBC -> sipp carrier in pb-ID, RTP from pcaps, dumpcap
# captures; the sipps wait for the test's cues between steps: tests/e2e/lib-media.sh).
# [sbc] media_ports = 30000-30007 (two calls), media_timeout = 5 with hold (else 60).
#   ports    two calls hold all 8 ports (`sbcctl media`'s free_ports_v4 8, then 0): a third
#            INVITE gets 503 No Media Port Available with Retry-After, counted
#            cp_media_no_port, and never reaches the carrier; the first call ends: once the data
#            plane's MEDIA_GONE came (its record has the quality figures, /sbc/media gone 1) its
#            ports are back (free_ports_v4 4) and a fourth call goes through
#   fork     the carrier forks: two 183s with SDP from two To tags (fork 1 and fork 2, other
#            addresses and ports), then the 200 of one of them; twice, fork 2 answering and then
#            fork 1: the caller gets both 183s and the 200; the ACK and the later in-dialog
#            requests carry the answering fork's tag (the answering fork's BYE ends the call);
#            media goes to the answering fork's address and port only, both ways, every packet
#   late     a forking carrier's fork 1 rings and answers; then fork 2 answers too (its first
#            response a 200 with SDP elsewhere): the B2BUA ACKs it and sends BYE on fork 2's
#            dialog (To tag fork2..., the dialog's next CSeq) at once; the caller never sees it (one 200), the call and
#            its session stay fork 1's (leg1's remote), its media relayed both ways, every
#            packet, nothing to fork 2's address; one record
#   prack    the same with reliable 183s (Require: 100rel) from both forks first: each PRACKed
#            on its own early dialog (PRACK To tag and RAck with that fork's RSeq, 1 and 5), both
#            relayed to the caller without RSeq; fork 2's late 200 is ACKed and ended on its
#            early dialog (its BYE's CSeq after its PRACK's)
#   hold     a re-INVITE with a=sendonly from the floor (the carrier answers a=recvonly): both
#            legs HOLD in `sbcctl media CALL-ID`; silent past media_timeout (the session's
#            idle_ms beyond 6 s) the call stays up (no MEDIA_TIMEOUT, no BYE); a re-INVITE
#            with a=sendrecv takes it off hold and a second stream relays both ways; its record
#            has no loss
#   replay   sbc-dataplane killed (SIGKILL) in a call whose first stream went through, and
#            started again: the control plane replays the live call's MEDIA_SET (same seq, same
#            ports); a second stream through the same ports: each of its packets relayed (the
#            sides got from the SBC's leg ports what the new data plane counted relayed) or
#            dropped media_no_neighbour (the new data plane learns its neighbours again); the
#            call's record at its end has that data plane's figures (no loss)
#   direct   the floor's route set in Redis to carrier-direct (media = direct): the carrier
#            gets the floor's SDP address and port, the floor the carrier's, no MEDIA_SET is sent
#            (/sbc/media sets unchanged); the record's tried is carrier-direct
#   codecs   the route carrier-g722 (codecs = G722), carrier: a PCMU offer skips carrier-g722
#            (no INVITE: tried is carrier) and completes on carrier with PCMU; the route
#            carrier-g722 alone: 488, record 488 by the sbc with nothing tried, cp_sdp_rejected
#   early    the carrier answers 183 with SDP and streams 100 RTP packets, then 200 3 s later:
#            the floor gets every packet from the SBC's leg port, the first before the 200
#   held     the data plane restarted with --test-media-delay-ms 600 (each MEDIA_SET applied
#            600 ms late): the carrier's 200 reaches the floor, and the B2BUA's ACK the
#            carrier, 600 ms or more after the carrier sent it; both sides stream at once (the
#            floor on the 200, the carrier on the ACK) and every packet is relayed. Then 1500
#            ms late, beyond the control plane's 1 s READY wait: the floor gets 503 Media Not
#            Confirmed, the carrier's 200 is ACKed and ended with a BYE, the record says 503 by
#            the sbc, cp_media_refused counts it, and the session goes and its ports come back
# MEDIA2_PHASES (default all ten, in that order) runs some of them: meson runs "ports fork
# direct codecs early", "late prack", "hold", "replay" and "held" as five tests.
# usage: test_media2_e2e.sh SBC_DATAPLANE SBC_CONTROLPLANE SBCCTL   exit 0 pass, 1 fail, 77 skip
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib-check.sh
. "$here/lib-check.sh"	# and scripts/lib-netns.sh
e2e_args "SBC_DATAPLANE SBC_CONTROLPLANE SBCCTL" "$@"

e2e_preflight "sipp ethtool ss redis-server redis-cli dumpcap tshark" "$dataplane" "$controlplane" \
	"$sbcctl"

CA=$SBCNET_PB4			# the carrier (and the answering fork's media: sipp's)
OTHER=$SBCNET_V4.31		# the other fork's media address (in pb-ID, nothing listening)
PACKETS=100
phases=${MEDIA2_PHASES:-ports fork late prack hold replay direct codecs early held}
# hold needs the shortest media_timeout; the calls of ports and fork wait for their cues
# without media, longer than that
timeout=60
[[ " $phases " == *" hold "* ]] && timeout=5
cp_pid='' pids=() caps=() capfiles=()
port=$((6540 + RANDOM % 10))
e2e_cleanup() {
	local p
	for p in "${pids[@]}" "${caps[@]}"; do kill -9 "$p" 2>/dev/null; done
	[ -n "$cp_pid" ] && kill -9 "$cp_pid" 2>/dev/null
	return 0
}
e2e_begin
# shellcheck source-path=SCRIPTDIR source=lib-redis.sh
. "$here/lib-redis.sh"	# R, e2e_trunks, e2e_sbc_up, ... (reads $SBCNET_DIR: after e2e_begin)
# shellcheck source-path=SCRIPTDIR source=lib-media.sh
. "$here/lib-media.sh"	# carrier, floor, capture, cue, count, last_cdr, ...
E2E_LOGS="controlplane:$SBCNET_DIR/controlplane.log"
ip -n "$NS_PB" addr add "$OTHER/24" dev eth0 || fatal "the other fork's address"

conf=$SBCNET_DIR/sbc.conf
sbcnet_conf "$conf" drop "media_ports = 30000-30007" "media_timeout = $timeout"
# two more carriers on the same address, used only where a phase routes to them (Redis): one
# with media = direct, one whose codecs keep nothing of a PCMU offer
extra_trunks="[trunk carrier-direct]
role = carrier
uri = sip:$CA:5060
media = direct
options_interval = 0

[trunk carrier-g722]
role = carrier
uri = sip:$CA:5060
codecs = G722
options_interval = 0
" e2e_trunks carrier "$CA:5060"
e2e_sbc_up

# every sipp plays rtp.pcap (sequence numbers 1000-1099) and, cued, rtp2.pcap (1100-1199, the
# same stream going on) from its working directory ($SBCNET_DIR)
"$SBCNET_PY" "$here/rtp_pcap.py" pcap "$SBCNET_DIR/rtp.pcap" $PACKETS 0f100f10 &&
	"$SBCNET_PY" "$here/rtp_pcap.py" pcap "$SBCNET_DIR/rtp2.pcap" $PACKETS 0f100f10 \
		$((1000 + PACKETS)) || fatal "writing the pcaps"

# media CALL-ID KEY: a field of the call's session as `sbcctl media CALL-ID` shows it (KEY
# dotted: idle_ms, leg0.hold, leg1.packets, ...)
media() {
	"$sbcctl" --file-prefix "$SBCNET_PREFIX" --json media "$1" | "$SBCNET_PY" -c '
import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    d = d[k]
print(d)' "$2"
}
# totals KEY: a field of `sbcctl media --json` (the relay's totals, the control plane's free
# ports among them)
totals() {
	"$sbcctl" --file-prefix "$SBCNET_PREFIX" --json media | "$SBCNET_PY" -c '
import json, sys
print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}
ge() {	# N COMMAND...: COMMAND prints a number >= N
	local n=$1 v
	shift
	v=$("$@" 2>/dev/null) && [ -n "$v" ] && [ "$v" -ge "$n" ]
}
chan() { sbcnet_get /sbc/channel "$1"; }
dpm() { sbcnet_get /sbc/media "$1"; }
# hdrs NAME METHOD HEADER: HEADER's line in each METHOD request in sipp NAME's messages (sent
# and received, in order); hdr: in the first
hdrs() {
	awk -v m="$2 " -v h="$3:" '/^[A-Z]+ sip:|^SIP\/2\.0 / {f = index($0, m) == 1}
		f && index($0, h) == 1 {print; f = 0}' "$SBCNET_DIR/$1.msg" | tr -d '\r'
}
hdr() { hdrs "$@" | head -n 1; }
# tags NAME METHOD: the fork (fork1, fork2) of each METHOD's To tag in sipp NAME's messages
tags() { hdrs "$1" "$2" To | sed -n 's/.*;tag=\(fork[0-9]\)x.*/\1/p' | tr '\n' ' '; }
# answers NAME CODE METHOD: how many CODE responses to METHOD sipp NAME's messages hold
answers() {
	tr -d '\r' <"$SBCNET_DIR/$1.msg" | awk -v c="$2" -v m="$3" '/^[A-Z]+ sip:/ {s = ""}
		/^SIP\/2\.0 / {s = $2} s == c && $1 == "CSeq:" && $3 == m {n++; s = ""}
		END {print n + 0}'
}
# answered NAME MINE: sipp NAME got the SBC's SDP (a check)
answered() { wait_for "$1: answered with the SBC's SDP" 10 sdp_port "$1" "$2"; }
# done_ok DESC PID: the sipp of PID completed its scenario
done_ok() {
	wait "$2"
	check_eq "$1" "$?" 0
}
both_legs() {	# CALL-ID N: both legs of the session have N packets or more
	ge "$2" media "$1" leg0.packets && ge "$2" media "$1" leg1.packets
}
# call_up PHASE CARRIER_SCENARIO FLOOR_SCENARIO FLOOR_MP CARRIER_MP [CARRIER ARGS...]: captures
# on both sides, the floor's call placed and answered; sets f (the floor's pid), leg0 and leg1
# (the SBC's ports in the SDP each side got) and cid (the floor's Call-ID) in the caller's scope
call_up() {
	local ph=$1 csf=$2 fsf=$3 fmp=$4 cmp=$5
	shift 5
	capture "$NS_PA" "floor-$ph"
	capture "$NS_PB" "carrier-$ph"
	carrier "$csf" "car-$ph" "$cmp" "$@"
	floor "$fsf" "$ph" "$SBCNET_PA4" "$fmp"
	f=$floor_pid
	answered "$ph" "$fmp"
	leg0=$(sdp_port "$ph" "$fmp")
	leg1=$(sdp_port "car-$ph" "$cmp")
	cid=$(call_id "$ph")
}
# floor_hangs_up PHASE: the cued floor's BYE ends the call (uses f, cid, carrier_pid): both
# sipps complete, its record says so, without loss
floor_hangs_up() {
	cue "$NS_PA" "$SBCNET_PA4" 5070 "$cid"
	done_ok "$1: the floor's call completed" "$f"
	done_ok "$1: the carrier's too" "$carrier_pid"
	record "$1"
	check_eq "$1: record (code, ended_by)" "$(last_cdr code) $(last_cdr ended_by)" \
		"200 caller"
	no_loss "$1"
}
records=0 refused=0
record() {	# PHASE: one more record in sbc:cdr
	records=$((records + 1))
	wait_eq "$1: a record for the call" 10 "$records" xlen
}
# both_ways PHASE FLOOR_MP LEG0 CARRIER_MP LEG1 [FIRST]: after stop_captures, every packet
# (from sequence number FIRST on) reached each side from the SBC's leg port
both_ways() {
	local n=$PACKETS
	[ -n "${6:-}" ] || n=$((2 * PACKETS))
	check_eq "$1: the carrier got every packet, each from the SBC's leg port" \
		"$(count "carrier-$1" "$4" ${6:+"$6"})" "total $n from $SBCNET_SBC4:$5 $n foreign 0"
	check_eq "$1: the floor got every packet of the carrier's the same way" \
		"$(count "floor-$1" "$2" ${6:+"$6"})" "total $n from $SBCNET_SBC4:$3 $n foreign 0"
}
no_loss() {	# PHASE: the newest record's loss and quality fields
	check_eq "$1: record loss_in" "$(last_cdr loss_in)" 0
	check_eq "$1: record loss_out" "$(last_cdr loss_out)" 0
	check "$1: record jitter_ms and mos ($(last_cdr jitter_ms), $(last_cdr mos))" \
		"$SBCNET_PY" -c "import sys; j, m = float(sys.argv[1]), float(sys.argv[2]); \
assert 0 <= j < 100 and 3.5 < m <= 4.5" "$(last_cdr jitter_ms)" "$(last_cdr mos)"
}

# ---- ports: a range of 8 ports holds two calls; the third gets 503; ports back after GONE
# hang_up NAME SIP_PORT: the floor's call NAME (media_uac_cue.xml against media_uas.xml) ends
# once its streams went through: its second stream, then its BYE
hang_up() {
	local cid
	cid=$(call_id "$1")
	wait_for "$1: the first streams relayed both ways" 15 both_legs "$cid" $PACKETS
	cue "$NS_PA" "$SBCNET_PA4" "$2" "$cid"
	wait_for "$1: the floor's second stream relayed" 15 ge $((2 * PACKETS)) \
		media "$cid" leg0.packets
	cue "$NS_PA" "$SBCNET_PA4" "$2" "$cid"
}
phase_ports() {
	local a b c d
	wait_eq "ports: all 8 IPv4 ports free before any call (sbcctl media: free_ports_v4)" 10 8 \
		totals free_ports_v4
	check_eq "ports: free_ports is both families' (free_ports_v4 + free_ports_v6)" \
		"$(totals free_ports)" $((8 + $(totals free_ports_v6)))
	CARRIER_CALLS=3 carrier media_uas.xml car-ports 7000
	floor media_uac_cue.xml ports-a "$SBCNET_PA4" 6000
	a=$floor_pid
	answered ports-a 6000
	FLOOR_PORT=5071 floor media_uac_cue.xml ports-b "$SBCNET_PA4" 6010
	b=$floor_pid
	answered ports-b 6010
	wait_eq "ports: two calls hold the range (cp_media_sessions)" 10 2 chan cp_media_sessions
	wait_eq "ports: none free (sbcctl media: free_ports_v4)" 10 0 totals free_ports_v4
	FLOOR_PORT=5072 floor media_uac_refused.xml ports-c "$SBCNET_PA4" 6020
	c=$floor_pid
	done_ok "ports: the third call got 503" "$c"
	check "ports: ... No Media Port Available, with Retry-After" sh -c \
		"grep -a -q '^SIP/2.0 503 No Media Port Available' '$SBCNET_DIR/ports-c.msg' &&
		grep -a -q -i '^Retry-After:' '$SBCNET_DIR/ports-c.msg'"
	wait_eq "ports: counted (cp_media_no_port)" 10 1 chan cp_media_no_port
	check_eq "ports: the carrier got two INVITEs, not the third" \
		"$(grep -a -c '^INVITE ' "$SBCNET_DIR/car-ports.msg")" 2
	record ports
	check_eq "ports: the refused call's record (code, ended_by)" \
		"$(last_cdr code) $(last_cdr ended_by)" "503 sbc"

	hang_up ports-a 5070
	done_ok "ports: the first call ended (the floor's BYE)" "$a"
	record ports
	check_eq "ports: its record has the data plane's figures (MEDIA_GONE came)" \
		"$(last_cdr loss_in)/$(last_cdr loss_out)" 0/0
	check_eq "ports: the data plane answered its MEDIA_DEL (/sbc/media gone)" "$(dpm gone)" 1
	wait_eq "ports: its ports are back (cp_media_sessions)" 10 1 chan cp_media_sessions
	wait_eq "ports: its 4 ports free again (sbcctl media: free_ports_v4)" 10 4 \
		totals free_ports_v4
	check_eq "ports: no MEDIA_GONE came late (cp_media_gone_late)" \
		"$(chan cp_media_gone_late)" 0
	FLOOR_PORT=5072 floor media_uac.xml ports-d "$SBCNET_PA4" 6020 -d 500 \
		-set sdp_ip "$SBCNET_PA4"
	d=$floor_pid
	answered ports-d 6020
	done_ok "ports: a new call went through and completed" "$d"
	record ports
	check_eq "ports: its record (code, ended_by)" "$(last_cdr code) $(last_cdr ended_by)" \
		"200 caller"
	hang_up ports-b 5071
	done_ok "ports: the second call ended" "$b"
	record ports
	done_ok "ports: the carrier completed its three calls" "$carrier_pid"
	check_eq "ports: still one call refused for its ports" "$(chan cp_media_no_port)" 1
}

# ---- fork NAME ANS: fork ANS (1 or 2) answers; its SDP names $CA:7500 (where sipp's media
# is), the other fork's $OTHER:7502 (nothing there)
fork_call() {
	local ph=$1 ans=$2 f1 f2 f leg0 leg1 cid tag
	f1="$CA 7500" f2="$OTHER 7502"
	[ "$ans" = 1 ] || f1="$OTHER 7502" f2="$CA 7500"
	call_up "$ph" media_uas_fork.xml media_uac_wait_bye.xml 6100 7500 \
		-set f1_ip "${f1% *}" -set f1_port "${f1#* }" -set f2_ip "${f2% *}" \
		-set f2_port "${f2#* }" -set ans "$ans" -set ans_ip "$CA"
	wait_for "$ph: media relayed both ways (sbcctl media: $PACKETS packets from each leg)" 15 \
		both_legs "$cid" $PACKETS
	# the floor plays its RTP after the 200's ACK: it has both 183s by now
	check_eq "$ph: the floor got both forks' 183" \
		"$(grep -a -c '^SIP/2.0 183 ' "$SBCNET_DIR/$ph.msg")" 2
	tag="fork${ans}x"
	check "$ph: the carrier's ACK is on the answering fork's dialog (To tag $tag...)" \
		grep -q ";tag=$tag" <<<"$(hdr "car-$ph" ACK To)"
	cue "$NS_PB" "$CA" 5060 "$(call_id "car-$ph")"
	done_ok "$ph: the answering fork's BYE reached the floor" "$f"
	done_ok "$ph: ... and its 200 the fork" "$carrier_pid"
	record "$ph"
	check_eq "$ph: record (code, ended_by)" "$(last_cdr code) $(last_cdr ended_by)" \
		"200 callee"
	no_loss "$ph"
	stop_captures
	both_ways "$ph" 6100 "$leg0" 7500 "$leg1" 1000
	check_eq "$ph: nothing went to the other fork's address" "$(count "carrier-$ph" 7502)" \
		"total 0  foreign 0"
}
phase_fork() {
	fork_call fork-b 2
	fork_call fork-a 1
}

# ---- late NAME SCENARIO: fork 1 answers (its SDP $CA:7800), then fork 2 (SDP $OTHER:7802):
# fork 2's 2xx ACKed and ended on its own dialog, the call fork 1's
late_fork_call() {
	local ph=$1 f leg0 leg1 cid
	call_up "$ph" "$2" media_uac_wait_bye.xml 6400 7800 -set f2_ip "$OTHER" -set f2_port 7802
	fork2_ended() { [ "$(tags "car-$ph" BYE)" = "fork2 " ]; }
	wait_for "$ph: fork 2's 200 got a BYE on fork 2's dialog (To tag fork2...)" 15 fork2_ended
	check_eq "$ph: ACKs on fork 1's dialog, then on fork 2's" "$(tags "car-$ph" ACK)" \
		"fork1 fork2 "
	wait_for "$ph: media relayed both ways ($PACKETS packets from each leg)" 15 \
		both_legs "$cid" $PACKETS
	check_eq "$ph: the session is still fork 1's (leg1 remote)" "$(media "$cid" leg1.remote)" \
		"$CA:7800"
	check_eq "$ph: the floor got one 200 to its INVITE" "$(answers "$ph" 200 INVITE)" 1
	check "$ph: ... and no BYE while fork 1's call is up" \
		sh -c "! grep -a -q '^BYE ' '$SBCNET_DIR/$ph.msg'"
	cue "$NS_PB" "$CA" 5060 "$(call_id "car-$ph")"
	done_ok "$ph: fork 1's BYE reached the floor" "$f"
	done_ok "$ph: ... and the carrier completed (fork 2's BYE answered, fork 1's too)" \
		"$carrier_pid"
	record "$ph"
	check_eq "$ph: record (code, ended_by)" "$(last_cdr code) $(last_cdr ended_by)" \
		"200 callee"
	no_loss "$ph"
	stop_captures
	both_ways "$ph" 6400 "$leg0" 7800 "$leg1" 1000
	check_eq "$ph: nothing went to fork 2's address" "$(count "carrier-$ph" 7802)" \
		"total 0  foreign 0"
}
phase_late() {
	late_fork_call late media_uas_fork_late.xml
	# a request of the B2BUA's on fork 2's dialog (12.2.1.1), not nta's stateless ACK and BYE
	# of an orphan 2xx (CSeq 2147483647, sent once)
	check_eq "late: fork 2's BYE is the next request of its dialog (CSeq: INVITE's + 1)" \
		"$(hdr car-late BYE CSeq | awk '{print $2}')" \
		"$(hdr car-late INVITE CSeq | awk '{print $2 + 1}')"
}
phase_prack() {
	local cs
	late_fork_call prack media_uas_fork_100rel.xml
	check_eq "prack: a PRACK on each fork's early dialog (To tags)" "$(tags car-prack PRACK)" \
		"fork1 fork2 "
	cs=$(hdr car-prack INVITE CSeq | awk '{print $2}')
	check_eq "prack: each with its fork's RSeq (RAck)" \
		"$(hdrs car-prack PRACK RAck | tr '\n' ' ')" "RAck: 1 $cs INVITE RAck: 5 $cs INVITE "
	check_eq "prack: fork 2's BYE after its PRACK on its dialog (CSeq)" \
		"$(hdrs car-prack PRACK CSeq | sed -n 2p | awk '{print $2 + 1}')" \
		"$(hdr car-prack BYE CSeq | awk '{print $2}')"
	check_eq "prack: the floor got both 183s" "$(answers prack 183 INVITE)" 2
	check "prack: ... relayed unreliably (no RSeq, no Require: 100rel)" \
		sh -c "! grep -a -q -i -e '^RSeq:' -e '^Require:.*100rel' '$SBCNET_DIR/prack.msg'"
}

# ---- hold: sendonly re-INVITE, silent beyond media_timeout, resumed
phase_hold() {
	local ph=hold cid leg0 leg1 f
	call_up "$ph" media_uas_hold.xml media_uac_hold.xml 6200 7600
	# put on hold while the first stream flows: media_timeout counts from its last packet
	wait_for "$ph: RTP flowing both ways (sbcctl media: 20 packets from each leg)" 15 \
		both_legs "$cid" 20
	cue "$NS_PA" "$SBCNET_PA4" 5070 "$cid"	# hold
	wait_eq "$ph: the floor's leg is on hold (sbcctl media: leg0 hold)" 10 1 \
		media "$cid" leg0.hold
	check_eq "$ph: the carrier's too (it answered a=recvonly)" "$(media "$cid" leg1.hold)" 1
	check "$ph: the carrier's re-INVITE says a=sendonly" \
		grep -a -q '^a=sendonly' "$SBCNET_DIR/car-$ph.msg"
	wait_for "$ph: the first stream relayed both ways ($PACKETS packets from each leg)" 15 \
		both_legs "$cid" $PACKETS
	wait_for "$ph: silent while held beyond media_timeout (the session's idle_ms >= 6000)" 30 \
		ge 6000 media "$cid" idle_ms
	check_eq "$ph: no MEDIA_TIMEOUT for it (timeout_sent, /sbc/media timeouts)" \
		"$(media "$cid" timeout_sent) $(dpm timeouts)" "0 0"
	check "$ph: the call is still up (no BYE on either side, the floor's sipp waiting)" \
		sh -c "kill -0 $f && ! grep -a -q '^BYE ' '$SBCNET_DIR/$ph.msg' \
			'$SBCNET_DIR/car-$ph.msg'"
	cue "$NS_PA" "$SBCNET_PA4" 5070 "$cid"	# resume
	wait_eq "$ph: resumed: leg0 off hold" 10 0 media "$cid" leg0.hold
	check_eq "$ph: ... and leg1" "$(media "$cid" leg1.hold)" 0
	wait_for "$ph: the second stream relayed both ways ($((2 * PACKETS)) packets from each leg)" \
		15 both_legs "$cid" $((2 * PACKETS))
	floor_hangs_up "$ph"
	check_eq "$ph: not counted as a media timeout (cp_media_timeouts)" \
		"$(chan cp_media_timeouts)" 0
	stop_captures
	both_ways "$ph" 6200 "$leg0" 7600 "$leg1"
}

# ---- replay: the data plane killed while RTP flows, started again, the call replayed
phase_replay() {
	local ph=replay cid leg0 leg1 f seq relayed got_c got_f
	call_up "$ph" media_uas_cue.xml media_uac_cue.xml 6300 7700
	wait_for "$ph: the first stream relayed both ways ($PACKETS packets from each leg)" 15 \
		both_legs "$cid" $PACKETS
	seq=$(media "$cid" seq)
	kill -KILL "$SBCNET_DP_PID"
	wait "$SBCNET_DP_PID" 2>/dev/null
	SBCNET_DP_PID=
	sbcnet_start_dp "$dataplane" "$conf" || fatal "sbc-dataplane did not restart"
	wait_for "$ph: the control plane is back in sync with the new data plane" 10 cp_ready
	wait_eq "$ph: the live call's session replayed (same seq)" 10 "$seq" media "$cid" seq
	check_eq "$ph: on the same ports" "$(media "$cid" leg0.local) $(media "$cid" leg1.local)" \
		"$SBCNET_SBC4:$leg0 $SBCNET_SBC4:$leg1"
	cue "$NS_PA" "$SBCNET_PA4" 5070 "$cid"			# the floor's second stream
	cue "$NS_PB" "$CA" 5060 "$(call_id "car-$ph")"		# the carrier's
	wait_for "$ph: the new data plane got the second stream from both legs" 15 \
		both_legs "$cid" $PACKETS
	# the new data plane knows no neighbour: it asks (ARP) and drops what it cannot send yet,
	# counted; every other packet is relayed
	wait_for "$ph: each of its $((2 * PACKETS)) packets relayed or dropped media_no_neighbour" \
		10 prints $((2 * PACKETS)) relayed_or_no_neigh
	relayed=$(dpm relayed)
	echo "# $ph: the new data plane relayed $relayed, dropped $(dpm drops.media_no_neighbour)" \
		"media_no_neighbour"
	floor_hangs_up "$ph"
	stop_captures
	# each side's count of the second stream: all from the SBC's leg port, together what the
	# new data plane relayed
	got_c=$(count "carrier-$ph" 7700 $((1000 + PACKETS)) | awk '{print $2}')
	got_f=$(count "floor-$ph" 6300 $((1000 + PACKETS)) | awk '{print $2}')
	check_eq "$ph: the carrier got it from the SBC's leg port" \
		"$(count "carrier-$ph" 7700 $((1000 + PACKETS)))" \
		"total $got_c from $SBCNET_SBC4:$leg1 $got_c foreign 0"
	check_eq "$ph: the floor got it from the SBC's leg port" \
		"$(count "floor-$ph" 6300 $((1000 + PACKETS)))" \
		"total $got_f from $SBCNET_SBC4:$leg0 $got_f foreign 0"
	check_eq "$ph: together what the new data plane relayed" "$((got_c + got_f))" "$relayed"
}
relayed_or_no_neigh() {
	echo $(($(dpm relayed) + $(dpm drops.media_no_neighbour)))
}

# first_msg NAME START: the first message in sipp NAME's trace whose first line starts with
# START ("INVITE", "SIP/2.0 200"), CRs taken out
first_msg() {
	tr -d '\r' <"$SBCNET_DIR/$1.msg" | awk -v s="$2" '/^[A-Z]+ sip:|^SIP\/2\.0 / {
		f = index($0, s) == 1 && !n; if (f) n = 1 } f'
}
# sdp_of NAME START: the c= and m=audio (its port) lines of the first message in sipp NAME's
# trace whose first line starts with START ("INVITE", "SIP/2.0 200"), on one line
sdp_of() {
	first_msg "$1" "$2" | awk '/^c=IN / {c = $0} /^m=audio / {m = $1 " " $2} END {print c " " m}'
}
# route NAME...: the floor's route set live in Redis (sbc:route:pbx-floor); none: the
# configured one again
route() {
	R del sbc:route:pbx-floor >/dev/null
	[ $# -eq 0 ] || R rpush sbc:route:pbx-floor "$@" >/dev/null
	sleep 0.2	# a keyspace event takes well under a millisecond here; the B2BUA's loop a turn
}

# plain_call NAME FLOOR_MP CARRIER_MP WHAT: a call without RTP (b2b_uac.xml from the floor,
# b2b_uas.xml at the carrier, SDP ports as given) that both sides complete, and its record
plain_call() {
	carrier b2b_uas.xml "car-$1" "$3"
	floor b2b_uac.xml "$1" "$SBCNET_PA4" "$2" -d 300
	done_ok "$1: $4" "$floor_pid"
	done_ok "$1: the carrier's call completed too" "$carrier_pid"
	record "$1"
}

# ---- direct: a carrier trunk with media = direct: both SDPs pass untouched, no session
phase_direct() {
	local sets0
	sets0=$(dpm sets)
	route carrier-direct
	plain_call direct 6900 7900 "the floor's call completed"
	check_eq "direct: record (code, ended_by, tried)" \
		"$(last_cdr code) $(last_cdr ended_by) $(last_cdr tried)" "200 caller carrier-direct"
	check_eq "direct: the carrier got the floor's SDP address and port" \
		"$(sdp_of car-direct INVITE)" "c=IN IP4 $SBCNET_PA4 m=audio 6900"
	check_eq "direct: the floor got the carrier's" "$(sdp_of direct 'SIP/2.0 200')" \
		"c=IN IP4 $CA m=audio 7900"
	check_eq "direct: no media session asked for (/sbc/media sets)" "$(dpm sets)" "$sets0"
	route
}

# streamed_call PHASE CARRIER_SCENARIO CARRIER_MP CARRIER_MS FLOOR_MP FLOOR_MS: the carrier
# (its pause -d CARRIER_MS) and the floor's media_uac.xml call (RTP on the 200, held FLOOR_MS,
# then its BYE) both complete, and the record says 200 ended by the caller
streamed_call() {
	carrier "$2" "car-$1" "$3" -d "$4"
	floor media_uac.xml "$1" "$SBCNET_PA4" "$5" -d "$6" -set sdp_ip "$SBCNET_PA4"
	done_ok "$1: the floor's call completed" "$floor_pid"
	done_ok "$1: the carrier's too" "$carrier_pid"
	record "$1"
	check_eq "$1: record (code, ended_by)" "$(last_cdr code) $(last_cdr ended_by)" "200 caller"
}

# ---- early: the carrier's RTP during its 183 with SDP, before it answers
# msg_at NAME sent|received START: when sipp NAME sent (received) the first message whose first
# line starts with START (its trace's stamp, seconds since the epoch)
msg_at() {
	date -d "$(tr -d '\r' <"$SBCNET_DIR/$1.msg" | awk -v d="message $2" -v s="$3" '
		/^-+ [0-9-]+ [0-9:.]+$/ {t = $2 " " $3} index($0, d) {r = 1; next}
		r && index($0, s) == 1 {print t; exit} /^[A-Z]/ {r = 0}')" +%s.%N
}
phase_early() {
	local ph=early leg0 t200 first n
	capture "$NS_PA" "floor-$ph"
	streamed_call "$ph" media_uas_early.xml 7920 300 6930 500
	stop_captures
	leg0=$(sdp_port "$ph" 6930)
	check_eq "$ph: the floor got the carrier's stream from the SBC's leg port" \
		"$(count "floor-$ph" 6930)" "total $PACKETS from $SBCNET_SBC4:$leg0 $PACKETS foreign 0"
	t200=$(msg_at "$ph" received 'SIP/2.0 200')
	first=$(tshark -r "$SBCNET_DIR/floor-$ph.pcap" -Y "udp.dstport == 6930" -T fields \
		-e frame.time_epoch 2>/dev/null | head -n 1)
	n=$(tshark -r "$SBCNET_DIR/floor-$ph.pcap" -Y "udp.dstport == 6930" -T fields \
		-e frame.time_epoch 2>/dev/null | awk -v t="$t200" '$1 < t' | wc -l)
	check "$ph: relayed before the answer: the first packet at $first, the 200 at $t200 ($n of \
$PACKETS before it)" "$SBCNET_PY" -c 'import sys; assert float(sys.argv[1]) < float(sys.argv[2])' \
		"${first:-inf}" "${t200:-0}"
}

# ---- held: a slow data plane; the callee's answer goes on only once its session is in force
# restart_dp [OPTION...]: the data plane stopped and started again (with OPTIONs), the control
# plane back in sync with it
restart_dp() {
	sbcnet_stop_dp
	check_eq "the data plane ${*:+before $* }exits 0" $? 0
	sbcnet_start_dp "$dataplane" "$conf" "$@" || fatal "sbc-dataplane did not restart"
	wait_for "the control plane is in sync with the data plane${*:+ ($*)}" 10 cp_ready
}
# after NAME1 DIR1 START1 NAME2 DIR2 START2 MS: sipp NAME2's message (msg_at) came MS ms or
# more after sipp NAME1's (a check)
after() {
	local a b
	a=$(msg_at "$1" "$2" "$3") b=$(msg_at "$4" "$5" "$6")
	check "$4 $5 '$6' ${7} ms or more after $1 $2 '$3' ($a -> $b)" "$SBCNET_PY" -c \
		'import sys; assert float(sys.argv[2]) - float(sys.argv[1]) >= float(sys.argv[3]) / 1e3' \
		"${a:-inf}" "${b:-0}" "$7"
}
phase_held() {
	local ph=held f leg0 leg1 ref0
	# each MEDIA_SET applied 600 ms after it came (within the control plane's 1 s READY wait)
	restart_dp --test-media-delay-ms 600
	capture "$NS_PA" "floor-$ph"
	capture "$NS_PB" "carrier-$ph"
	# each side streams as soon as it can: the floor on the 200, the carrier on the ACK
	streamed_call "$ph" media_uas.xml 7940 1 6940 3000
	no_loss "$ph"
	stop_captures
	after "car-$ph" sent 'SIP/2.0 200' "$ph" received 'SIP/2.0 200' 600
	after "car-$ph" sent 'SIP/2.0 200' "car-$ph" received 'ACK' 600
	leg0=$(sdp_port "$ph" 6940)
	leg1=$(sdp_port "car-$ph" 7940)
	# without the hold the first 600 ms of each stream (about 30 packets) would meet no session
	both_ways "$ph" 6940 "$leg0" 7940 "$leg1" 1000

	# slower than the READY wait: 503 to the caller, the callee's 2xx ACKed and ended (BYE);
	# the late MEDIA_SET and the MEDIA_DEL behind it applied in order, the ports back
	ref0=$(chan cp_media_refused)
	restart_dp --test-media-delay-ms 1500
	carrier b2b_uas.xml "car-$ph-late" 7950
	floor media_uac_refused.xml "$ph-late" "$SBCNET_PA4" 6950
	f=$floor_pid
	done_ok "$ph: no READY within 1 s: 503 to the caller (ACKed)" "$f"
	done_ok "$ph: the carrier's 200 ACKed and its call ended by the SBC's BYE" "$carrier_pid"
	check_eq "$ph: the 503's phrase" "$(first_msg "$ph-late" 'SIP/2.0 503' | head -n 1)" \
		"SIP/2.0 503 Media Not Confirmed"
	record "$ph"
	check_eq "$ph: its record (code, ended_by)" "$(last_cdr code) $(last_cdr ended_by)" \
		"503 sbc"
	wait_eq "$ph: counted (cp_media_refused)" 10 $((ref0 + 1)) chan cp_media_refused
	refused=$((refused + 1))
	wait_eq "$ph: its session gone (cp_media_sessions)" 10 0 chan cp_media_sessions
	wait_eq "$ph: its ports back (free_ports_v4)" 10 8 totals free_ports_v4
	restart_dp
}

# ---- codecs: a trunk whose codecs keep nothing of the offer is skipped; none left: 488
phase_codecs() {
	local f rej0
	rej0=$(chan cp_sdp_rejected)
	route carrier-g722 carrier
	plain_call codecs 6910 7910 "a PCMU offer completed on the next trunk"
	check_eq "codecs: record (code, tried): carrier-g722 (codecs = G722) not tried" \
		"$(last_cdr code) $(last_cdr tried)" "200 carrier"
	check_eq "codecs: the carrier's INVITE has the SBC's SDP, PCMU" \
		"$(sdp_of car-codecs INVITE | cut -d ' ' -f 1-3) $(first_msg car-codecs INVITE |
			grep -a '^a=rtpmap:')" "c=IN IP4 $SBCNET_SBC4 a=rtpmap:0 PCMU/8000"
	route carrier-g722
	FLOOR_PORT=5071 floor srtp_uac_488.xml codecs-488 "$SBCNET_PA4" 6920
	f=$floor_pid
	done_ok "codecs: the route's only trunk keeps no codec of the offer: 488 (ACKed)" "$f"
	record codecs
	check_eq "codecs: its record (code, ended_by, tried)" \
		"$(last_cdr code) $(last_cdr ended_by) $(last_cdr tried)" "488 sbc "
	wait_eq "codecs: counted (cp_sdp_rejected)" 10 $((rej0 + 1)) chan cp_sdp_rejected
	route
}

for ph in $phases; do
	case $ph in
	ports | fork | late | prack | hold | replay | direct | codecs | early | held) "phase_$ph" ;;
	*) fatal "unknown phase '$ph' in MEDIA2_PHASES" ;;
	esac
done

wait_eq "every session gone (cp_media_sessions)" 10 0 chan cp_media_sessions
check_eq "no call refused for its media but the ports and held phases' (cp_media_refused)" \
	"$(chan cp_media_refused)" "$refused"
check_eq "no sipp aborted a call" "$(cat "$SBCNET_DIR"/*.err 2>/dev/null |
	grep -a -c -i -e regexp -e 'Aborting call')" 0
e2e_cp_end
sbcnet_stop_dp
check_eq "sbc-dataplane exits 0" $? 0
e2e_end
