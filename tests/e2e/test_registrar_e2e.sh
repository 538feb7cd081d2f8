#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# e2e: PBXs register to the SBC (issue 11, the registrar). The topology of scripts/lib-netns.sh
# with more addresses on pa-ID: the PBX registers from 198.51.100.21 (inside pbx-floor's
# 198.51.100.16/28, so the data plane passes its REGISTER today), .22 is auth = both's listed
# PBX, .23 the brute-forcer, .24 sends the bad credentials of the digest checks (fewer than
# auth_failures); the carrier (reg_client.py uas) is pb-ID's 198.51.100.30.
# Trunks: pbx-floor (.20/32, .16/28) routes to pbx-digest, then carrier-a; pbx-digest (auth = digest, realm
# digest.example) and pbx-both (auth = both, realm both.example, peers .22/32) route to carrier-a.
# Checks:
#   users      sbcctl -c sbc.conf user add writes both HA1s of the trunk's realm (checked here)
#   digest     good MD5 and SHA-256 -> 401 200 (also over TCP), a binding in sbc:reg with its
#              TTL, the source as a dynamic /32 of pbx-digest in the data plane; wrong password, a replay of the
#              good Authorization, nc not increasing, uri= not the Request-URI, another realm
#              -> 401; nc increasing on one nonce -> 200; an unknown realm -> 404; exact copies
#              of a good and of a wrong REGISTER (retransmissions) get the first answer and To
#              tag again, the wrong one's counted once (.24 stays below auth_failures)
#   both       good credentials from .21 (listed by pbx-floor only) -> 403; from .22 -> 200
#   calls      a call from the floor to alice reaches her contact; a call from the registered
#              source is pbx-digest's (CDR trunk_in); un-REGISTER removes binding and /32 at
#              once, the next call from there is pbx-floor's again; a short binding expires
#              while Redis is frozen (SIGSTOP: no keyspace event), its /32 leaves on time;
#              meanwhile 300 REGISTERs with credentials: 256 wait for Redis, 44 get 503 at once
#   restart    the control plane restarted: the binding replayed from Redis, calls reach it
#   lockout    auth_failures (8) wrong passwords from .23 -> sbc:deny:198.51.100.23 with the
#              lockout's TTL and its REGISTERs dropped by the data plane (with its denylist:
#              counted as denied drops; without it refused 403 by the control plane); the key
#              expiring lifts it; locked again, a DEL by hand lifts it at once
#   unlisted   (with the data plane's unlisted REGISTER path, else skipped and said) a PBX on
#              198.51.100.40, listed nowhere: no answer before, registers, calls (its trunk's
#              call), un-REGISTERs, no answer again
# The other phases' PBX address is inside a listed prefix of another trunk, so they pass with
# or without the data plane's half.
# usage: test_registrar_e2e.sh SBC_DATAPLANE SBC_CONTROLPLANE SBCCTL   exit 0 pass, 1 fail, 77 skip
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib-check.sh
. "$here/lib-check.sh"	# and scripts/lib-netns.sh
e2e_args "SBC_DATAPLANE SBC_CONTROLPLANE SBCCTL" "$@"

e2e_preflight "ethtool ss redis-server redis-cli" "$dataplane" "$controlplane" "$sbcctl"

PBX=$SBCNET_V4.21 PBX2=$SBCNET_V4.22 BAD=$SBCNET_V4.23 ODD=$SBCNET_V4.24 CA=$SBCNET_PB4
cp_pid='' uas_pids=() pbx_pid=''
redis_pid=''
e2e_cleanup() {
	local p
	[ -z "$redis_pid" ] || kill -CONT "$redis_pid" 2>/dev/null
	for p in "${uas_pids[@]}" $cp_pid; do kill -9 "$p" 2>/dev/null; done
	return 0
}
e2e_begin
# shellcheck source-path=SCRIPTDIR source=lib-redis.sh
. "$here/lib-redis.sh"
E2E_LOGS="controlplane:$cp_log"

conf=$SBCNET_DIR/sbc.conf
sbcnet_conf "$conf" drop "auth_failures = 8" "auth_window = 60" "lockout = 15"
echo "peers = $SBCNET_V4.16/28" >>"$conf"
extra_trunks="[trunk pbx-digest]
role = floor
auth = digest
realm = digest.example
route = carrier-a

[trunk pbx-both]
role = floor
auth = both
realm = both.example
peers = $PBX2/32
route = carrier-a
" route="pbx-digest, carrier-a" e2e_trunks carrier-a "$CA:5060"
for a in $PBX $PBX2 $BAD $ODD; do ip -n "$NS_PA" addr add "$a/24" dev eth0 || fatal "address $a"; done

rc() { ip netns exec "$NS_PA" "$SBCNET_PY" "$here/reg_client.py" "$@"; }
# reg SRC USER PASSWORD DOMAIN ALG MODE [EXPIRES] [SPORT]: the status codes the PBX got
reg() { rc register "$1" "$SBCNET_SBC4" "${@:2}"; }
acl_has() { sbcnet_tel "/sbc/acl,$1" | grep -qF "\"$2\""; }
no_acl() { ! acl_has "$@"; }
start_uas() {	# SRC PORT SECONDS OUT: reg_client.py uas in pa-ID
	(exec ip netns exec "$NS_PA" "$SBCNET_PY" "$here/reg_client.py" uas "$1" "$2" "$3" >"$4" 2>&1) &
	pbx_pid=$!
	uas_pids+=($!)
}
# took OUT: the PBX's answering side prints each INVITE's Request-URI as it takes it; once the
# call that must reach it is over, its line is there (polled), and the PBX is stopped
took() {
	poll_until 10 test -s "$1"
	kill -TERM "$pbx_pid" 2>/dev/null
	wait "$pbx_pid" 2>/dev/null
	cat "$1"
}
# records_now, then a call: call_trunk_in is its record's trunk_in, once the record is there (a
# call's record waits for its media's final figures: it may come after the caller's 200 to BYE)
records_now() { n_records=$(R xlen sbc:cdr); }
call_trunk_in() {
	poll_until 10 test "$(R xlen sbc:cdr)" -gt "$n_records"
	R xrevrange sbc:cdr + - count 1 | awk 'p { print; exit } $0 == "trunk_in" { p = 1 }'
}

e2e_sbc_up

# --- users --------------------------------------------------------------------------------------
ctl_user() { echo "$3" | ip netns exec "$NS_SBC" "$sbcctl" -c "$conf" user add "$1" "$2"; }
check "sbcctl user add pbx-digest alice (password on stdin)" ctl_user pbx-digest alice 'alice pw'
check "sbcctl user add pbx-digest bob" ctl_user pbx-digest bob bob-pw
check "sbcctl user add pbx-both carol" ctl_user pbx-both carol carol-pw
ha1() { "$SBCNET_PY" -c 'import hashlib, sys; print(hashlib.new(sys.argv[1], sys.argv[2].encode()).hexdigest())' "$@"; }
check_eq "ha1_md5 is MD5(alice:digest.example:alice pw)" \
	"$(R hget sbc:user:pbx-digest:alice ha1_md5)" "$(ha1 md5 'alice:digest.example:alice pw')"
check_eq "ha1_sha256 is SHA-256(alice:digest.example:alice pw)" \
	"$(R hget sbc:user:pbx-digest:alice ha1_sha256)" "$(ha1 sha256 'alice:digest.example:alice pw')"
check "no plaintext password in Redis" sh -c "! ip netns exec $NS_SBC redis-cli -p $port --scan | \
	while read -r k; do ip netns exec $NS_SBC redis-cli -p $port hgetall \"\$k\" 2>/dev/null; done | grep -q 'alice pw'"
out=$(echo x | ip netns exec "$NS_SBC" "$sbcctl" -c "$conf" user add carrier-a x 2>&1)
check_eq "user add on a trunk without digest is refused" "$out" \
	"sbcctl: user add: $conf has no trunk 'carrier-a' with auth = digest or both"

# --- digest ---------------------------------------------------------------------------------------
check_eq "MD5, good password" "$(reg "$PBX" alice 'alice pw' digest.example MD5 good 60 5090)" "401 200"
ttl=$(R ttl sbc:reg:pbx-digest:alice@digest.example)
check "the binding's TTL is what was granted (0 < $ttl <= 60)" test "$ttl" -gt 0 -a "$ttl" -le 60
check_eq "its contact" "$(R hget sbc:reg:pbx-digest:alice@digest.example contact)" \
	"sip:alice@$PBX:5090"
check_eq "its source" "$(R hget sbc:reg:pbx-digest:alice@digest.example source)" "$PBX:5090"
wait_for "$PBX/32 is a dynamic entry of pbx-digest in the data plane" 10 acl_has pbx-digest "$PBX/32"
check_eq "SHA-256, good password" "$(reg "$PBX" bob bob-pw digest.example SHA-256 good 60 5091)" "401 200"
check_eq "over TCP (the answer waits for Redis on the connection it came on)" \
	"$(rc tcp "$ODD" "$SBCNET_SBC4" bob bob-pw digest.example MD5)" "401 200"
check_eq "wrong password" "$(reg "$ODD" alice wrong digest.example SHA-256 good)" "401 401"
check_eq "an exact replay of a good Authorization" \
	"$(reg "$ODD" bob bob-pw digest.example SHA-256 replay 60 5091)" "401 200 401"
check_eq "nc not increasing (same nc, new cnonce)" \
	"$(reg "$ODD" bob bob-pw digest.example MD5 nc_same 60 5091)" "401 200 401"
check_eq "nc increasing on one nonce is fine" \
	"$(reg "$ODD" bob bob-pw digest.example SHA-256 nc_up 60 5091)" "401 200 200"
check_eq "uri= not the Request-URI" "$(reg "$ODD" alice 'alice pw' digest.example MD5 wrong_uri)" "401 401"
check_eq "realm= not the trunk's" "$(reg "$ODD" alice 'alice pw' digest.example MD5 wrong_realm)" "401 401"
check_eq "an unknown realm" "$(reg "$ODD" alice 'alice pw' nowhere.example MD5 good)" "404"
check_eq "an unknown user" "$(reg "$ODD" mallory x digest.example MD5 good)" "401 401"
# retransmissions (exact copies, as if each answer were lost) get their first copy's answer
# and To tag, unchecked: a good one's copies are no replays, a wrong one's no more failures
again() { [ "$(sbcnet_get /sbc/channel cp_reg_answered_again)" -ge "$1" ]; }
a0=$(sbcnet_get /sbc/channel cp_reg_answered_again)
check_eq "a good REGISTER and 3 copies of it" \
	"$(reg "$ODD" bob bob-pw digest.example MD5 copies 60 5091)" "401 200 200 200 200"
check_eq "a wrong password and 3 copies of it (one failure: 7 in all)" \
	"$(reg "$ODD" alice wrong digest.example MD5 copies)" "401 401 401 401 401"
wait_for "the 6 copies answered from the registrar's recent answers (cp_reg_answered_again \
$a0 -> at least $((a0 + 6)))" 10 again $((a0 + 6))
check_eq "those failures were counted, below auth_failures: $ODD is not denied" \
	"$(R exists sbc:deny:$ODD)" 0
check_eq "bob's binding is where he registered last" \
	"$(R hget sbc:reg:pbx-digest:bob@digest.example source)" "$ODD:5091"
check_eq "$ODD still gets challenges" "$(reg "$ODD" bob bob-pw digest.example MD5 none)" 401

# --- both ----------------------------------------------------------------------------------------
check_eq "auth = both: good credentials from $PBX (not in pbx-both's prefixes) -> 403" \
	"$(reg "$PBX" carol carol-pw both.example SHA-256 good)" "403"
check_eq "auth = both: good credentials from $PBX2 (listed) -> 200" \
	"$(reg "$PBX2" carol carol-pw both.example SHA-256 good 60 5092)" "401 200"

# --- calls ---------------------------------------------------------------------------------------
start_uas "$PBX" 5090 20 "$SBCNET_DIR/pbx.out"
(ip netns exec "$NS_PB" "$SBCNET_PY" "$here/reg_client.py" uas "$CA" 5060 600 \
	>"$SBCNET_DIR/carrier.out" 2>&1) &
uas_pids+=($!)
car_up() { ip netns exec "$NS_PB" ss -Hlun "sport = :5060" | grep -qF "$CA:5060"; }
poll_until 10 car_up || fatal "the carrier did not bind"
pbx_up() { ip netns exec "$NS_PA" ss -Hlun "sport = :5090" | grep -qF "$PBX:5090"; }
poll_until 10 pbx_up || fatal "the PBX did not bind"
check_eq "a call from the floor to alice: answered (200, BYE 200)" \
	"$(rc invite "$SBCNET_PA4" "$SBCNET_SBC4" alice)" "200 200"
check_eq "it reached alice at her registered contact" "$(took "$SBCNET_DIR/pbx.out")" \
	"sip:alice@$PBX:5090"
records_now
check_eq "a call from the registered source: answered by the carrier" \
	"$(rc invite "$PBX" "$SBCNET_SBC4" 15550199 5093)" "200 200"
check_eq "it is pbx-digest's call (CDR trunk_in)" "$(call_trunk_in)" pbx-digest
check_eq "un-REGISTER (Expires: 0)" "$(reg "$PBX" alice 'alice pw' digest.example SHA-256 good 0 5090)" \
	"401 200"
check_eq "the binding is gone from Redis at once" \
	"$(R exists sbc:reg:pbx-digest:alice@digest.example)" 0
check_eq "bob's un-REGISTER too (pbx-digest has no binding left)" \
	"$(reg "$ODD" bob bob-pw digest.example MD5 good 0 5091)" "401 200"
wait_for "$PBX/32 left pbx-digest's allowlist" 10 no_acl pbx-digest "$PBX/32"
records_now
check_eq "a call from $PBX now: answered (pbx-floor's route: pbx-digest has no contact, carrier-a)" \
	"$(rc invite "$PBX" "$SBCNET_SBC4" 15550199 5093)" "200 200"
check_eq "it is pbx-floor's call again (the /28)" "$(call_trunk_in)" pbx-floor
check_eq "a short binding (20 s)" "$(reg "$PBX" alice 'alice pw' digest.example MD5 good 20 5090)" \
	"401 200"
wait_for "$PBX/32 in pbx-digest's allowlist" 10 acl_has pbx-digest "$PBX/32"
# Redis frozen (SIGSTOP) until the binding has run out: no keyspace event can tell anyone; the
# registrar's own expiry must remove the entry
redis_pid=$(redis_server_pid)
kill -STOP "$redis_pid"
# meanwhile REGISTERs with credentials wait for their HA1: 256 at most (CP_REG_PENDING_MAX), the
# others are answered 503 at once (counted); Redis back (or given up), the 256 are answered
b0=$(chan cp_reg_busy)
check_eq "300 un-REGISTERs with credentials while Redis is frozen: 44 answered 503 at once" \
	"$(rc burst "$ODD" "$SBCNET_SBC4" bob bob-pw digest.example MD5 300)" 44
wait_eq "they are counted (cp_reg_busy)" 5 $((b0 + 44)) chan cp_reg_busy
wait_for "it expires with Redis frozen: $PBX/32 leaves the allowlist" 40 no_acl pbx-digest "$PBX/32"
kill -CONT "$redis_pid"
check_eq "and Redis (TTL)" "$(R exists sbc:reg:pbx-digest:alice@digest.example)" 0
wait_eq "none waits for Redis any more (cp_reg_pending)" 10 0 chan cp_reg_pending

# --- restart ---------------------------------------------------------------------------------------
check_eq "alice registers again" "$(reg "$PBX" alice 'alice pw' digest.example SHA-256 good 300 5090)" \
	"401 200"
stop_cp
check_eq "the control plane stops (SIGTERM)" "$?" 0
start_cp
wait_for "control plane back" 10 cp_ready
e2e_sip_up
start_uas "$PBX" 5090 20 "$SBCNET_DIR/pbx2.out"
poll_until 10 pbx_up || fatal "the PBX did not bind"
check_eq "after the restart a call to alice is answered (binding replayed from Redis)" \
	"$(rc invite "$SBCNET_PA4" "$SBCNET_SBC4" alice)" "200 200"
check_eq "at her contact" "$(took "$SBCNET_DIR/pbx2.out")" "sip:alice@$PBX:5090"
check "$PBX/32 still pbx-digest's" acl_has pbx-digest "$PBX/32"

# --- lockout ---------------------------------------------------------------------------------------
lock() {	# wrong passwords from $BAD until it is denied (at most 9): prints how many it took
	local i
	for i in 1 2 3 4 5 6 7 8 9; do
		reg "$BAD" alice "guess$i" digest.example MD5 good >/dev/null
		[ "$(R exists "sbc:deny:$BAD")" = 1 ] && break
	done
	echo "$i"
}
check_eq "$BAD denied at its 8th wrong password (auth_failures)" "$(lock)" 8
check_eq "sbc:deny:$BAD says why" "$(R get sbc:deny:$BAD)" auth
ttl=$(R ttl sbc:deny:$BAD)
check "with the lockout's TTL (0 < $ttl <= 15)" test "$ttl" -gt 0 -a "$ttl" -le 15
# with the data plane's denylist (issue 11's data-plane half: /sbc/denied) nothing comes back:
# each REGISTER and its 3 retransmissions are counted dropped as denied, so the client's wait
# for an answer that never comes can be short (REG_TIMEOUT 0.5: 2 s in all); without it the
# control plane refuses the source itself (403)
has_denied() { local o; o=$(sbcnet_tel /sbc/denied 2>/dev/null); [ -n "$o" ] && [ "$o" != null ]; }
dp_denies() { sbcnet_tel /sbc/denied | grep -qF "\"$1\""; }
drops_denied() { sbcnet_get /sbc/drops denied; }
locked() {	# DESC: a good REGISTER from $BAD gets nothing (dropped as denied) or 403
	local d0 got
	if has_denied; then
		wait_for "$1: $BAD in the data plane's denylist" 10 dp_denies "$BAD" || return
		d0=$(drops_denied)
	fi
	got=$(REG_TIMEOUT=0.5 reg "$BAD" alice 'alice pw' digest.example MD5 good)
	check_eq "$1: its REGISTERs get no challenge, even a good one" "$got" $locked_answer
	[ -z "${d0:-}" ] || wait_eq "$1: the REGISTER and its 3 retransmissions dropped as denied" 10 \
		$((d0 + 4)) drops_denied
}
locked_answer=403
has_denied && locked_answer=0
locked "locked"
answered() { [ "$(REG_TIMEOUT=0.5 reg "$BAD" alice 'alice pw' digest.example MD5 good 60 5094)" = "401 200" ]; }
lifted() { [ "$(R exists "sbc:deny:$BAD")" = 0 ] && { ! has_denied || ! dp_denies "$BAD"; }; }
wait_for "the key expires after 15 s (Redis), and the data plane lifts it" 30 lifted
wait_for "answered again" 10 answered
n=$(lock)
check "wrong passwords again: denied again after $n (at most auth_failures)" \
	test "$n" -le 8 -a "$(R exists "sbc:deny:$BAD")" = 1
locked "locked again"
R del "sbc:deny:$BAD" >/dev/null
wait_for "a DEL by hand lifts it at once" 5 answered


# --- unlisted: a PBX on an address no prefix lists (needs the data plane's unlisted REGISTER
# path, issue 11's data-plane half: /sbc/denied is its telemetry) ---------------------------------
FAR=$SBCNET_V4.40	# outside pbx-floor's .16/28
probe() { ip netns exec "$NS_PB" "$SBCNET_PY" "$here/sip_probe.py" probe "$FAR" "$SBCNET_SBC4"; }
if has_denied; then
	ip -n "$NS_PB" addr add "$FAR/24" dev eth0 || fatal "address $FAR"
	check_eq "an unlisted source's OPTIONS get nothing" "$(probe)" 0
	check_eq "a PBX on unlisted $FAR registers" \
		"$(ip netns exec "$NS_PB" "$SBCNET_PY" "$here/reg_client.py" register "$FAR" "$SBCNET_SBC4" \
		bob bob-pw digest.example SHA-256 good 60 5095)" "401 200"
	wait_for "$FAR/32 in pbx-digest's allowlist" 10 acl_has pbx-digest "$FAR/32"
	records_now
	check_eq "it can make a call" "$(ip netns exec "$NS_PB" "$SBCNET_PY" "$here/reg_client.py" \
		invite "$FAR" "$SBCNET_SBC4" 15550199 5096)" "200 200"
	check_eq "as pbx-digest" "$(call_trunk_in)" pbx-digest
	check_eq "un-REGISTER" "$(ip netns exec "$NS_PB" "$SBCNET_PY" "$here/reg_client.py" register \
		"$FAR" "$SBCNET_SBC4" bob bob-pw digest.example SHA-256 good 0 5095)" "401 200"
	no_answer() { [ "$(probe)" = 0 ]; }
	wait_for "then its requests get nothing (unlisted again)" 10 no_answer
else
	echo "# unlisted phase skipped: this data plane has no unlisted REGISTER path (/sbc/denied)"
fi

e2e_cp_end
e2e_end
