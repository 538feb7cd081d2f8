#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# e2e: one cap per trunk whatever the transport (issue 13). The topology of scripts/lib-netns.sh:
# the floor pbx-floor is pa-ID, calling the B2BUA in sbc-ID over TCP (sipp -t t1) and over UDP
# at once from the same address; carrier-a is sipp's answering scenario in pb-ID (UDP); the data
# plane admits the UDP INVITEs itself and answers the control plane's admission requests for the
# TCP ones from the same CPS bucket and call table. Before the phases: the TCP and TLS
# listeners' accept backlog is the namespace's net.core.somaxconn (cp_conn.c's listen()), not
# Sofia's 64. Phases (TCPCAPS_PHASES picks):
#   cps    cps 10, burst 1: TCP at 100 CPS (10x) beside UDP at 20 CPS. A watcher timestamps (its
#          own clock) the window of the trunk's admissions over both transports (as caps_e2e):
#            admitted_udp + admitted_tcp <= cps * outer + burst + 1
#            admitted_udp + admitted_tcp >= 0.8 * cps * inner
#          both transports got calls and 503s; sipp's successful calls per transport are the data
#          plane's admitted ones (less the admissions given back because their verdict came
#          after admit_wait_ms: the B2BUA failed closed; seen under a load average of 15-20);
#          every call ends, active calls back to 0.
#   tls    the same over TLS: sipp's calls go over UDP to Kamailio (kamailio-tls-modules) in the
#          floor's namespace, which forwards them over TLS to tls_port (Debian's sipp has no TLS).
#   calls  max_calls 4 (Redis sbc:limits), no CPS cap: calls held 3 s, TCP at 10 CPS beside UDP
#          at 5 CPS: the sampled active calls never above 4, both transports refused over_calls,
#          admitted + over_calls = offered per transport, back to 0 at the end.
#   conns  1,000 idle TCP connections from the floor's address: tcp_conns_per_source (16) kept,
#          the rest refused and counted (cp_conn_refused), the control plane's RSS grows by less
#          than 16 MB, UDP calls beside complete with 0 failed; the idle ones are closed after
#          tcp_idle_timeout (3 s): cp_conn_open back to 0 while the client still holds them.
#          The namespace's TcpExtListenOverflows and TcpExtListenDrops are printed after the
#          connections (a handshake the accept queue drops comes seconds late).
#   msg    a request whose header never ends (200 KB): the connection is closed once it passes
#          tcp_max_message (64 KB), within 20 s where tcp_message_timeout is 30 s.
# usage: test_tcpcaps_e2e.sh SBC_DATAPLANE SBC_CONTROLPLANE [SBCCTL]   exit 0 pass, 1 fail, 77 skip
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib-check.sh
. "$here/lib-check.sh"	# and scripts/lib-netns.sh
e2e_args "SBC_DATAPLANE SBC_CONTROLPLANE [SBCCTL]" "$@"

e2e_preflight "sipp ethtool ss nstat redis-server redis-cli kamailio openssl" "$dataplane" "$controlplane"
e2e_kamailio_tls
PHASES=${TCPCAPS_PHASES:-cps tls calls conns msg}

CAP=10 BURST=1 RATE_T=100 RATE_U=20 SECONDS_RUN=8
PER_SOURCE=16 IDLE_S=3 MSG_TIMEOUT_MS=30000
CA=$SBCNET_V4.30
cp_pid='' car_pid='' kam_pid=''
e2e_cleanup() {
	[ -n "$kam_pid" ] && kill -9 "$kam_pid" 2>/dev/null
	[ -n "$car_pid" ] && kill -9 "$car_pid" 2>/dev/null
	[ -n "$cp_pid" ] && kill -9 "$cp_pid" 2>/dev/null
	return 0
}
e2e_begin
# shellcheck source-path=SCRIPTDIR source=lib-redis.sh
. "$here/lib-redis.sh"
E2E_LOGS="controlplane:$cp_log kamailio:$SBCNET_DIR/kamailio.log"

conf=$SBCNET_DIR/sbc.conf
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$SBCNET_DIR/sbc.key" -out "$SBCNET_DIR/sbc.crt" \
	-days 1 -subj /CN=sbc.test >/dev/null 2>&1 || fatal "openssl req"
sbcnet_conf "$conf" drop "tcp_conns_per_source = $PER_SOURCE" "tcp_idle_timeout = $IDLE_S" \
	"admit_wait_ms = 500" "tls_port = 5061" "tls_certificate = sbc.crt" "tls_key = sbc.key" \
	"tcp_message_timeout = $MSG_TIMEOUT_MS" "tcp_max_message = 65536"
floor_extra="cps = $CAP
burst = $BURST" e2e_trunks carrier-a "$CA:5060"
e2e_sbc_up t
# the TCP and TLS listeners' accept backlog (ss: a listener's Send-Q) is the kernel's largest,
# not Sofia's 64 (cp_conn.c): a burst of connections waits for no SYN-ACK retransmission
somax=$(ip netns exec "$NS_SBC" cat /proc/sys/net/core/somaxconn)
for lport in 5060 5061; do	# (not $port: Redis's, lib-redis.sh)
	check_eq "TCP $lport: accept backlog net.core.somaxconn" \
		"$(ip netns exec "$NS_SBC" ss -Hltn "sport = :$lport" | awk '{ print $3 }')" "$somax"
done

(cd "$SBCNET_DIR" && exec ip netns exec "$NS_PB" sipp -sf "$SBCNET_SIPP_DIR/b2b_uas.xml" -i "$CA" \
	-p 5060 -aa -nostdin -max_socket 1000 </dev/null >"$SBCNET_DIR/carrier.out" 2>&1) &
car_pid=$!
car_up() { ip netns exec "$NS_PB" ss -Hlun "sport = :5060" | grep -qF "$CA"; }
poll_until 10 car_up || fatal "the carrier did not bind $CA:5060"

# uac NAME RATE CALLS HOLD_MS udp|tcp|tls: the built-in UAC in pa-ID, counters in NAME.csv;
# tls: over UDP to the Kamailio in front (kamailio_tls_floor.cfg), which goes on over TLS
uac() {
	local name=$1 rate=$2 calls=$3 hold=$4 lport=5070 dst=$SBCNET_SBC4:5060 opt=()
	case $5 in
	tcp) lport=5071 opt=(-t t1) ;;
	tls) lport=5072 dst=$SBCNET_PA4:5080 ;;
	esac
	(cd "$SBCNET_DIR" && ip netns exec "$NS_PA" sipp -sn uac -i "$SBCNET_PA4" -p $lport -r "$rate" \
		-m "$calls" -d "$hold" -timeout 120 -nostdin -max_socket 1000 -trace_stat \
		-stf "$SBCNET_DIR/$name.csv" -fd 1 "${opt[@]}" "$dst" </dev/null \
		>"$SBCNET_DIR/$name.out" 2>&1)
}
csv_field() {	# NAME FIELD: the last row's value of a sipp statistics column
	"$SBCNET_PY" - "$SBCNET_DIR/$1.csv" "$2" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter=';'))
print(rows[-1][rows[0].index(sys.argv[2])])
PY
}
T() { sbcnet_get /sbc/trunks "trunk:pbx-floor.$1"; }
ctl_calls() { [ -z "$sbcctl" ] || "$sbcctl" --file-prefix "$SBCNET_PREFIX" calls | sed 's/^/# /'; }
WATCH_PY=$here/cap_watch.py

# cps_run TP: TP (tcp or tls) at 10x the trunk's cap beside UDP at 2x, the cap over both
cps_run() {
	local tp=$1 TP=${1^^} u0 t0 o_t0 o_u0 adm_t adm_u
	u0=$(T admitted_udp) t0=$(T "admitted_$tp") o_t0=$(T "over_cps_$tp") o_u0=$(T over_cps_udp)
	local f0 fc0 gb fc fa0 nt0
	f0=$(T ended_flushed) fc0=$(sbcnet_get /sbc/channel cp_admit_failclosed)
	fa0=$(sbcnet_get /sbc/channel cp_b2b_failed_admission)
	nt0=$(sbcnet_get /sbc/channel cp_b2b_failed_no_trunk)
	cap_watch pbx-floor $(((RATE_T + RATE_U) * SECONDS_RUN)) 150
	uac "cps-$tp" $RATE_T $((RATE_T * SECONDS_RUN)) 200 "$tp" &
	local tj=$!
	uac "cps-udp-$tp" $RATE_U $((RATE_U * SECONDS_RUN)) 200 udp &
	local uj=$!
	wait $tj
	wait $uj
	adm_t=$(($(T "admitted_$tp") - t0)) adm_u=$(($(T admitted_udp) - u0))
	echo "# pbx-floor: $adm_t admitted over $TP, $adm_u over UDP"
	cap_window_check "$TP at 10x the cap beside UDP" $CAP $BURST &&
		check_eq "the window's admissions are $TP + UDP" "$w_adm" $((adm_t + adm_u))
	check_eq "admitted = admitted_udp + admitted_tcp + admitted_tls" "$(T admitted)" \
		$(($(T admitted_udp) + $(T admitted_tcp) + $(T admitted_tls)))
	if [ "$adm_t" -gt 0 ] && [ "$adm_u" -gt 0 ]; then
		pass "both transports got calls in ($adm_t $TP, $adm_u UDP)"
	else
		fail "a transport got no call in: $adm_t $TP, $adm_u UDP"
	fi
	local ot=$(($(T "over_cps_$tp") - o_t0)) ou=$(($(T over_cps_udp) - o_u0))
	check_eq "every $TP INVITE admitted or refused over_cps" $((adm_t + ot)) $((RATE_T * SECONDS_RUN))
	check_eq "every UDP INVITE admitted or refused over_cps" $((adm_u + ou)) $((RATE_U * SECONDS_RUN))
	# fail closed: a verdict later than admit_wait_ms got a 503 at once; an admission among them
	# was given back (ended_flushed): it took a token, but sipp's call failed
	wait_for "every late admission given back" 10 late_settled "$fc0"
	gb=$(($(T ended_flushed) - f0)) fc=$(($(sbcnet_get /sbc/channel cp_admit_failclosed) - fc0))
	echo "# $fc requests failed closed (no verdict within admit_wait_ms), $gb late admissions given back"
	check_eq "sipp over $TP: successful calls = admitted_$tp - given back" \
		"$(csv_field "cps-$tp" 'SuccessfulCall(C)')" $((adm_t - gb))
	check_eq "sipp over $TP: failed calls (503) = over_cps_$tp + given back" \
		"$(csv_field "cps-$tp" 'FailedCall(C)')" $((ot + gb))
	check_eq "sipp over UDP: successful calls = admitted_udp" \
		"$(csv_field "cps-udp-$tp" 'SuccessfulCall(C)')" "$adm_u"
	# the B2BUA counts each of those 503s as refused by admission, none as "no trunk"
	wait_eq "cp_b2b_failed_admission grew by sipp's failed $TP calls" 10 \
		$((fa0 + $(csv_field "cps-$tp" 'FailedCall(C)'))) sbcnet_get /sbc/channel cp_b2b_failed_admission
	check_eq "cp_b2b_failed_no_trunk did not move" \
		"$(sbcnet_get /sbc/channel cp_b2b_failed_no_trunk)" "$nt0"
	wait_eq "active calls back to 0" 10 0 T active_calls
	ctl_calls
	echo "# the B2BUA waited $(sbcnet_get /sbc/channel cp_admit_wait_avg_us) us on average for" \
		"the data plane's verdict ($(sbcnet_get /sbc/channel cp_admit_answered) answered," \
		"$(sbcnet_get /sbc/channel cp_admit_failclosed) failed closed, so far)"
}
# late_settled FAILCLOSED0: every request that failed closed since has had its late verdict
# (cp_admit_late counts them; the status reaches the stats socket once a second)
late_settled() {
	local fc late
	fc=$(($(sbcnet_get /sbc/channel cp_admit_failclosed) - $1))
	late=$(sbcnet_get /sbc/channel cp_admit_late)
	[ "$fc" -eq 0 ] || [ "$late" -ge "$fc" ]
}

phase_cps() {
	cps_run tcp
}

# The same over TLS: Kamailio in the floor's namespace turns sipp's UDP into TLS to tls_port.
phase_tls() {
	: >>"$SBCNET_DIR/kamailio.log"
	ip netns exec "$NS_PA" kamailio -f "$here/kamailio_tls_floor.cfg" -DD -E \
		-l "udp:$SBCNET_PA4:5080" -l "tls:$SBCNET_PA4:5081" -Y "$SBCNET_DIR" \
		-A "SBC_URI=\"sip:$SBCNET_SBC4:5061;transport=tls\"" \
		-A "TLS_CERT=\"$SBCNET_DIR/sbc.crt\"" -A "TLS_KEY=\"$SBCNET_DIR/sbc.key\"" \
		</dev/null >>"$SBCNET_DIR/kamailio.log" 2>&1 &
	kam_pid=$!
	kam_up() { ip netns exec "$NS_PA" ss -Hlun "sport = :5080" | grep -qF "$SBCNET_PA4"; }
	wait_for "Kamailio (UDP -> TLS) in the floor's namespace" 20 kam_up || return
	# admitted_tls counts the calls the B2BUA received on its TLS transport (the tport a request
	# came in on, not its Via), so cps_run's checks of it are checks of TLS
	cps_run tls
	kill -TERM "$kam_pid" 2>/dev/null
	wait "$kam_pid" 2>/dev/null
	kam_pid=''
}

phase_calls() {
	local MAXC=4 HOLD=3000 RT=10 RU=5 S=6 t0 u0 ot0 ou0 top n
	R hset sbc:limits:pbx-floor cps 0 max_calls $MAXC >/dev/null
	wait_eq "Redis max_calls $MAXC in force in the data plane" 10 $MAXC T max_calls
	wait_eq "and no CPS cap" 10 0 T cps
	t0=$(T admitted_tcp) u0=$(T admitted_udp) ot0=$(T over_calls_tcp) ou0=$(T over_calls_udp)
	local f0 fc0
	f0=$(T ended_flushed) fc0=$(sbcnet_get /sbc/channel cp_admit_failclosed)
	local peak=$SBCNET_DIR/peak.out
	"$SBCNET_PY" "$WATCH_PY" peak "/var/run/dpdk/$SBCNET_PREFIX/dpdk_telemetry.v2" pbx-floor \
		"$peak.stop" 120 >"$peak" 2>&1 &
	local peak_pid=$!
	uac calls-tcp $RT $((RT * S)) $HOLD tcp &
	local tj=$!
	uac calls-udp $RU $((RU * S)) $HOLD udp &
	local uj=$!
	wait $tj
	wait $uj
	touch "$peak.stop"
	wait $peak_pid
	read -r _ top _ n <"$peak"
	echo "# active calls sampled $n times: peak $top (max_calls $MAXC)"
	if [ "$top" -le $MAXC ] && [ "$top" -gt 0 ]; then
		pass "active calls over both transports never above max_calls ($top <= $MAXC)"
	else
		fail "active calls peaked at $top with max_calls $MAXC"
	fi
	local at=$(($(T admitted_tcp) - t0)) au=$(($(T admitted_udp) - u0))
	local ot=$(($(T over_calls_tcp) - ot0)) ou=$(($(T over_calls_udp) - ou0))
	echo "# TCP: $at admitted, $ot over_calls; UDP: $au admitted, $ou over_calls"
	check_eq "TCP: admitted + over_calls = offered" $((at + ot)) $((RT * S))
	check_eq "UDP: admitted + over_calls = offered" $((au + ou)) $((RU * S))
	if [ "$ot" -gt 0 ] && [ "$ou" -gt 0 ]; then
		pass "both transports refused over max_calls ($ot TCP, $ou UDP)"
	else
		fail "refusals over max_calls: $ot TCP, $ou UDP"
	fi
	wait_for "every late admission given back" 10 late_settled "$fc0"
	check_eq "sipp over TCP: successful calls = admitted_tcp - given back (late)" \
		"$(csv_field calls-tcp 'SuccessfulCall(C)')" $((at - $(T ended_flushed) + f0))
	wait_eq "active calls back to 0" 10 0 T active_calls
	R del sbc:limits:pbx-floor >/dev/null
	wait_eq "configured limits back" 10 $CAP T cps
	ctl_calls
}

phase_conns() {
	local N=1000 rss0 rss1 refused0 idle0 hold=$SBCNET_DIR/conns.out
	# the UDP calls beside must not meet the CPS cap: what they show is that the connections
	# cost them nothing
	R hset sbc:limits:pbx-floor cps 0 >/dev/null
	wait_eq "no CPS cap for the UDP calls beside" 10 0 T cps
	refused0=$(sbcnet_get /sbc/channel cp_conn_refused)
	idle0=$(sbcnet_get /sbc/channel cp_conn_idle_closed)
	rss0=$(awk '/^VmRSS/ { print $2 }' "/proc/$cp_pid/status")
	ip netns exec "$NS_PA" "$SBCNET_PY" "$WATCH_PY" hold "$SBCNET_SBC4" "$SBCNET_PA4" $N \
		"$hold.stop" 120 >"$hold" 2>&1 &
	local hold_pid=$!
	uac conns-udp 10 50 200 udp &
	local uj=$!
	wait_for "the client made its $N connections" 120 grep -q '^connected' "$hold"
	sed 's/^/# client: /' "$hold"
	ip netns exec "$NS_SBC" nstat -asz TcpExtListenDrops TcpExtListenOverflows | sed 's/^/# /'
	wait_eq "refused beyond $PER_SOURCE per source, counted (cp_conn_refused)" 15 \
		$((refused0 + N - PER_SOURCE)) sbcnet_get /sbc/channel cp_conn_refused
	rss1=$(awk '/^VmRSS/ { print $2 }' "/proc/$cp_pid/status")
	echo "# control plane RSS ${rss0} kB -> ${rss1} kB with $N connections tried"
	if [ $((rss1 - rss0)) -lt 16384 ]; then
		pass "memory bounded: RSS grew $((rss1 - rss0)) kB (< 16 MB)"
	else
		fail "RSS grew $((rss1 - rss0)) kB with $N connections"
	fi
	wait $uj
	check_eq "UDP calls beside: successful" "$(csv_field conns-udp 'SuccessfulCall(C)')" 50
	check_eq "UDP calls beside: failed" "$(csv_field conns-udp 'FailedCall(C)')" 0
	wait_eq "the idle connections closed after tcp_idle_timeout ($IDLE_S s)" $((IDLE_S + 20)) 0 \
		sbcnet_get /sbc/channel cp_conn_open
	check_eq "counted (cp_conn_idle_closed)" \
		$(($(sbcnet_get /sbc/channel cp_conn_idle_closed) - idle0)) $PER_SOURCE
	touch "$hold.stop"
	wait $hold_pid
	R del sbc:limits:pbx-floor >/dev/null
}

# A request whose header never ends, 200 KB of it: past tcp_max_message (64 KB) the SBC closes
# the connection, long before tcp_message_timeout (30 s) could.
phase_msg() {
	local out
	out=$(ip netns exec "$NS_PA" "$SBCNET_PY" "$WATCH_PY" big "$SBCNET_SBC4" "$SBCNET_PA4" 204800 \
		20 2>&1)
	echo "# $out"
	case $out in
	"closed after "*) pass "a 200 KB half-received message: the connection closed (tcp_max_message)" ;;
	*) fail "a 200 KB half-received message: $out" ;;
	esac
	wait_eq "and no connection left open" 10 0 sbcnet_get /sbc/channel cp_conn_open
}

for ph in $PHASES; do
	echo "# ---- phase $ph"
	"phase_$ph"
done

e2e_cp_end
check_eq "no line of Sofia's per refused connection" \
	"$(grep -c 'nta_agent: tport: Resource temporarily' "$cp_log")" 0
kill "$car_pid" 2>/dev/null
wait "$car_pid" 2>/dev/null
car_pid=''
sbcnet_stop_dp
check_eq "sbc-dataplane exits 0" $? 0

e2e_end
