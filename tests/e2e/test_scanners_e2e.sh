#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# e2e: Debian's sipvicious (svmap, svwar, svcrack) against the SBC from unlisted addresses of
# pb-ID (issue 11). Trunks: pbx-floor (pa's address only), pbx-digest (auth = digest, realm
# digest.example, user 1001 with password 1234), carrier-a; auth_failures 5 within 60 s lock
# out for 60 s; unlisted = drop, register_rate 2.
# Checks:
#   svmap    OPTIONS from 198.51.100.41 (listed nowhere): finds no SIP device; its requests are
#            counted as unlisted drops
#   svwar    REGISTER for extensions 1000-1009 from .42: the registrar challenges every user
#            alike, so svwar gives up without an extension (1001 exists); what it sends past
#            register_rate is dropped and counted (register_over_rate)
#   svcrack  user 1001 from .43 with passwords 1200-1299 (1234 among them, 35th): locked out
#            after 5 wrong answers (sbc:deny:198.51.100.43 with the lockout's TTL), then every
#            packet from it is dropped (denied) and svcrack never finds the password; svmap
#            from .43 then gets nothing (denied)
#   control  the same svcrack from .44 with the right password among the first 4 finds it
#            (the tool works against this registrar: the lockout is what stopped it above)
# svcrack answers the first challenge of a 401 and knows MD5 only; pbx-digest offers MD5 first
# here (algorithms = MD5, SHA-256), as a trunk of phones that take the first challenge would.
# svcrack runs paced (-t 1: a guess a second, what an attacker does once register_rate drops
# its faster guesses); at its default pace most of its REGISTERs are dropped over the rate.
# usage: test_scanners_e2e.sh SBC_DATAPLANE SBC_CONTROLPLANE SBCCTL   exit 0 pass, 1 fail, 77 skip
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib-check.sh
. "$here/lib-check.sh"	# and scripts/lib-netns.sh
e2e_args "SBC_DATAPLANE SBC_CONTROLPLANE SBCCTL" "$@"

e2e_preflight "ethtool ss redis-server redis-cli svmap svwar svcrack" "$dataplane" \
	"$controlplane" "$sbcctl"

MAP=$SBCNET_V4.41 WAR=$SBCNET_V4.42 CRACK=$SBCNET_V4.43 CTRL=$SBCNET_V4.44
SBC=$SBCNET_SBC4
cp_pid=''
port=$((20000 + RANDOM % 20000))
e2e_cleanup() { stop_cp KILL; }
e2e_begin
# R, e2e_redis_cp, registrar_conf, user_add, ... (lib-redis.sh reads $SBCNET_DIR, which
# e2e_begin made)
# shellcheck source-path=SCRIPTDIR source=lib-redis.sh
. "$here/lib-redis.sh"
E2E_LOGS="controlplane:$cp_log"

conf=$SBCNET_DIR/sbc.conf
digest_extra=$'algorithms = MD5, SHA-256\nroute = carrier-a' \
	registrar_conf "auth_failures = 5" "auth_window = 60" "lockout = 60"
for a in $MAP $WAR $CRACK $CTRL; do ip -n "$NS_PB" addr add "$a/24" dev eth0 || fatal "address $a"; done

drop() { sbcnet_get /sbc/drops "$1"; }
# sv TOOL SRC ARGS...: a sipvicious tool in pb-ID sending from SRC (its output, stderr
# included). Debian's svwar and svcrack (0.3.3) do not pass -b on to their socket, so pb's
# route to the SBC names SRC as the source for the length of the run.
sv() {
	local t=$1 src=$2
	shift 2
	ip -n "$NS_PB" route replace "$SBC/32" dev eth0 src "$src" || return 1
	ip netns exec "$NS_PB" "$t" -b "$src" -x "$src" "$@" 2>&1
	ip -n "$NS_PB" route del "$SBC/32" dev eth0
}

sbcnet_start_dp "$dataplane" "$conf" || fatal "sbc-dataplane did not start"
e2e_redis_cp
sip_up() { ip netns exec "$NS_SBC" ss -Hlun "sport = :5060" | grep -qF "$SBC"; }
wait_for "the control plane listens on $SBC:5060" 15 sip_up || fatal "no SIP socket"
user_add pbx-digest 1001 1234

# --- svmap -------------------------------------------------------------------------------------
u0=$(drop sip_unlisted)
out=$(sv svmap "$MAP" -t 0.05 "$SBC")
echo "$out" | sed 's/^/# svmap: /'
check "svmap from $MAP finds no SIP device" sh -c "echo \"\$0\" | grep -q 'found nothing' && \
	! echo \"\$0\" | grep -qF '$SBC:5060'" "$out"
check "its OPTIONS were dropped as unlisted (sip_unlisted $u0 -> $(drop sip_unlisted))" \
	test "$(drop sip_unlisted)" -gt "$u0"

# --- svwar -------------------------------------------------------------------------------------
r0=$(drop register_over_rate)
out=$(sv svwar "$WAR" -t 0.02 --domain digest.example -e 1000-1009 "$SBC")
echo "$out" | sed 's/^/# svwar: /'
check "svwar from $WAR finds no extension (1001 exists): an unknown one is challenged alike" \
	sh -c "! echo \"\$0\" | grep -q '| 1001 ' && echo \"\$0\" | grep -q 'unknown extension'" "$out"

# --- svcrack -----------------------------------------------------------------------------------
out=$(sv svcrack "$CRACK" -t 1 --maximumtime 3 --domain digest.example -u 1001 -r 1200-1299 "$SBC")
echo "$out" | sed 's/^/# svcrack: /'
check_eq "svcrack from $CRACK: locked out (sbc:deny:$CRACK)" "$(R get "sbc:deny:$CRACK")" auth
check "svcrack did not find the password" sh -c "! echo \"\$0\" | grep -q 1234" "$out"
ttl=$(R ttl "sbc:deny:$CRACK")
check "with the lockout's TTL (0 < $ttl <= 60)" test "$ttl" -gt 0 -a "$ttl" -le 60
d0=$(drop denied)
check "the data plane dropped the rest of svcrack's packets as denied ($d0)" test "$d0" -gt 0
out=$(sv svmap "$CRACK" -t 0.05 "$SBC")
check "svmap from the locked-out $CRACK finds nothing" sh -c "echo \"\$0\" | grep -q 'found nothing'" "$out"
check "its OPTIONS were dropped as denied (denied $d0 -> $(drop denied))" test "$(drop denied)" -gt "$d0"

# --- control ----------------------------------------------------------------------------------
out=$(sv svcrack "$CTRL" -t 1 --maximumtime 3 --domain digest.example -u 1001 -r 1232-1240 "$SBC")
echo "$out" | sed 's/^/# svcrack control: /'
check "svcrack from $CTRL with 1234 third finds it (the tool works here)" sh -c "echo \"\$0\" | grep -q '1234'" "$out"

stop_cp
check_eq "the control plane stops (SIGTERM)" "$?" 0
e2e_end
