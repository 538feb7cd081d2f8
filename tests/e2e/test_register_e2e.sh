#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# e2e: the SBC registers to a carrier (issue 11, upstream half). The topology of
# scripts/lib-netns.sh: the floor in pa-ID (route carrier-k), the carrier's registrar is Kamailio
# (tests/e2e/kamailio_registrar.cfg: auth + registrar, no database) in pb-ID on 198.51.100.30,
# not listed anywhere: the SBC allowlists what carrier-k's uri resolves to by itself. Checks:
#   md5          the SBC registers (401 answered with MD5, qop=auth), sbc:state:carrier-k says
#                registered with reg_expires, and re-registers before what Kamailio granted
#                (max_expires 4 s: the SBC refreshes every 2 s, so each phase below sees the
#                registrar it starts within 2 s) runs out; sbcctl trunks shows REGISTRATION
#   sha256       Kamailio restarted with SHA-256: the SBC answers with SHA-256, registered
#   both         a sipp registrar offering MD5 first and SHA-256 second: answered with SHA-256
#   wrong        Kamailio with another password: 3 failed attempts (5 s, 10 s apart) -> down;
#                a floor INVITE gets 503 (the route skips the carrier); the right password
#                again -> registered, the INVITE reaches Kamailio (its 404 comes back)
#   realm        Kamailio challenging for another realm: never answered (no REGISTER with an
#                Authorization reaches it), failed
#   shutdown     SIGTERM: the control plane un-REGISTERs (Expires: 0) before it exits
# usage: test_register_e2e.sh SBC_DATAPLANE SBC_CONTROLPLANE [SBCCTL]  exit 0 pass, 1 fail, 77 skip
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib-check.sh
. "$here/lib-check.sh"	# and scripts/lib-netns.sh
e2e_args "SBC_DATAPLANE SBC_CONTROLPLANE [SBCCTL]" "$@"

e2e_preflight "sipp ethtool ss kamailio redis-server redis-cli" "$dataplane" "$controlplane"

CK=$SBCNET_PB4 GRANT=4
cp_pid='' kam_pid='' sipp_pid=''
e2e_cleanup() {
	local p
	for p in $kam_pid $sipp_pid $cp_pid; do kill -9 "$p" 2>/dev/null; done
	return 0
}
e2e_begin
# R, start_redis, start_cp, stop_cp, e2e_redis_cp, e2e_cp_end (port, cp_log, cp_pid)
# shellcheck source-path=SCRIPTDIR source=lib-redis.sh
. "$here/lib-redis.sh"
E2E_LOGS="controlplane:$cp_log kamailio:$SBCNET_DIR/kamailio.log"

conf=$SBCNET_DIR/sbc.conf
sbcnet_conf "$conf" drop
cat >>"$conf" <<EOC
role = floor
route = carrier-k

[trunk carrier-k]
role = carrier
uri = sip:$CK:5060
register = yes
username = sbc-e2e
password = right-pass
realm = carrier.example
expires = 60
options_interval = 0

[redis]
address = 127.0.0.1:$port
EOC

state() { R hget sbc:state:carrier-k "$1"; }
listening() { ip netns exec "$NS_PB" ss -Hlun "sport = :5060" | grep -qF "$CK:5060"; }
start_kam() {	# PASSWORD ALGO [REALM]
	stop_kam
	: >"$SBCNET_DIR/kamailio.log"
	ip netns exec "$NS_PB" kamailio -f "$here/kamailio_registrar.cfg" -DD -E \
		-l "udp:$CK:5060" -Y "$SBCNET_DIR" -A "PASSWORD=\"$1\"" -A "ALGO=\"$2\"" \
		-A "REALM=\"${3:-carrier.example}\"" -A "MAX_EXPIRES=$GRANT" \
		</dev/null >>"$SBCNET_DIR/kamailio.log" 2>&1 &
	kam_pid=$!
	poll_until 20 listening || fatal "Kamailio did not listen on $CK:5060"
}
stop_kam() {
	[ -n "$kam_pid" ] || return 0
	kill -TERM "$kam_pid" 2>/dev/null
	wait "$kam_pid" 2>/dev/null
	kam_pid=''
}
# REGISTERs that reached Kamailio with an Authorization of algorithm $1 (any: "")
authed() { grep -c "carrier-rx: REGISTER from $SBCNET_SBC4:.* auth=[1-9].*algorithm=$1" \
	"$SBCNET_DIR/kamailio.log"; }
at_least() { local n; n=$("${@:2}"); [ "${n:-0}" -ge "$1" ]; }
floor_invite() { ip netns exec "$NS_PA" "$SBCNET_PY" "$here/reg_client.py" invite \
	"$SBCNET_PA4" "$SBCNET_SBC4" 15550199; }

start_kam right-pass MD5
sbcnet_start_dp "$dataplane" "$conf" || fatal "sbc-dataplane did not start"
e2e_redis_cp

# --- md5 --------------------------------------------------------------------------------------
wait_eq "registered with MD5 (sbc:state:carrier-k registration)" 30 registered state registration
check "Kamailio got a REGISTER with an MD5 Authorization (qop=auth, nc, cnonce)" \
	grep -q "REGISTER from $SBCNET_SBC4:.*algorithm=MD5.*cnonce=.*qop=auth, nc=00000001" \
	"$SBCNET_DIR/kamailio.log"
exp=$(state reg_expires) now=$(date +%s)
check "reg_expires is what Kamailio granted (<= now + $GRANT s): $exp vs $now" \
	test "$exp" -gt "$now" -a "$exp" -le $((now + GRANT))
check_eq "reg_failures" "$(state reg_failures)" 0
check_eq "reg_last_code" "$(state reg_last_code)" 200
n0=$(authed MD5)
wait_for "re-registered twice more before the $GRANT s granted ran out (refresh halfway)" 30 \
	at_least $((n0 + 2)) authed MD5
check_eq "still registered" "$(state registration)" registered
acl_has() { sbcnet_tel "/sbc/acl,carrier-k" | grep -qF "\"$CK/32\""; }
wait_for "carrier-k's effective allowlist holds $CK/32 (data plane)" 10 acl_has
check_eq "a floor INVITE reaches Kamailio (its 404 comes back)" "$(floor_invite)" 404
if [ -n "$sbcctl" ]; then
	ctl_reg() {
		ip netns exec "$NS_SBC" "$sbcctl" --file-prefix "$SBCNET_PREFIX" --redis "127.0.0.1:$port" \
			trunks | awk 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "REGISTRATION") c = i
				if ($i == "NAME") nm = i } } NR > 1 && $nm == "carrier-k" { print $c }'
	}
	wait_eq "sbcctl trunks: REGISTRATION of carrier-k" 10 registered ctl_reg
fi

# --- both: MD5 offered first, SHA-256 second -> SHA-256 ------------------------------------------
stop_kam
(cd "$SBCNET_DIR" && exec ip netns exec "$NS_PB" sipp -sf "$SBCNET_SIPP_DIR/reg_uas_md5_sha256.xml" \
	-i "$CK" -p 5060 -m 1 -nostdin -timeout 60 -trace_stat -stf "$SBCNET_DIR/both.csv" \
	-trace_err -error_file "$SBCNET_DIR/both.err" </dev/null >"$SBCNET_DIR/both.out" 2>&1) &
sipp_pid=$!
wait "$sipp_pid"
check_eq "a registrar offering MD5 then SHA-256 got its SHA-256 answer (sipp exit status)" "$?" 0
sipp_pid=''
wait_eq "registered through it" 10 registered state registration

# --- sha256 -----------------------------------------------------------------------------------
start_kam right-pass SHA-256
wait_for "Kamailio restarted with SHA-256: answered with SHA-256" 40 at_least 1 authed SHA-256
wait_eq "registered with SHA-256" 10 registered state registration
# the refresh that found the new registrar carried the old MD5 credentials (preemptive, RFC
# 7616 3.4.5 nc); every REGISTER after its challenge answers with SHA-256
after_first() { grep "carrier-rx: REGISTER from $SBCNET_SBC4:.* auth=[1-9]" "$SBCNET_DIR/kamailio.log" |
	tail -n +2 | grep -c "algorithm=$1"; }
check_eq "no MD5 answer to the SHA-256 registrar's challenges" "$(after_first MD5)" 0

# --- wrong password -> down; right again -> up ------------------------------------------------
start_kam wrong-pass SHA-256
wait_eq "another password at the registrar: down after 3 failures (5 s, 10 s apart)" 60 down \
	state registration
check_eq "reg_failures" "$(state reg_failures)" 3
check_eq "reg_last_code" "$(state reg_last_code)" 401
check_eq "a floor INVITE: 503, the route skips the down carrier" "$(floor_invite)" 503
start_kam right-pass SHA-256
wait_eq "the right password again: registered (after the backoff)" 60 registered \
	state registration
check_eq "reg_failures back to 0" "$(state reg_failures)" 0
check_eq "a floor INVITE reaches Kamailio again (404)" "$(floor_invite)" 404

# --- realm ------------------------------------------------------------------------------------
start_kam right-pass SHA-256 other.example
wait_eq "a challenge for another realm: failed" 40 failed state registration
check_eq "no answer to the other realm's challenge reached its registrar" \
	"$(grep -c 'carrier-rx: REGISTER .*auth=[1-9].*realm="other.example"' "$SBCNET_DIR/kamailio.log")" 0
# the first failure may be the refresh that met the restart (no answer) or carried the old
# credentials; the attempt after it meets the other realm's challenge (backoff 5 s)
wait_for "the control plane said why (another realm)" 40 grep -q "another realm" "$cp_log"

# --- shutdown: un-REGISTER --------------------------------------------------------------------
start_kam right-pass MD5
wait_eq "registered again" 60 registered state registration
e2e_cp_end
check "an un-REGISTER (Expires: 0) reached Kamailio, answered" grep -q "un-REGISTER done" "$cp_log"
stop_kam
e2e_end
