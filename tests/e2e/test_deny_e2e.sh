#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# e2e: the denylist, from redis-cli to the data plane's verdict, with a real redis-server and
# sbc-controlplane in the SBC's namespace and real kernels on both sides (the topology of
# scripts/lib-netns.sh, unlisted = reject: a listed peer's OPTIONS gets the responder's 200, an
# unlisted one the data plane's 403, a denied one nothing at all). Checks, in order:
#   SET sbc:deny:<listed ip> -> its OPTIONS get nothing, `sbcctl denied` lists it; DEL -> 200
#   again; a denied unlisted source gets no 403 either; SET ... PX (a TTL): Redis's expiry lifts
#   it; the data plane's own expiry lifts one while the control plane is dead (kill -9: no event
#   can come); SET / DEL while the control plane is down, replayed at its restart; a data plane
#   restart replayed; IPv6 and IPv4-mapped keys, a key that is no address; clean stops.
# usage: test_deny_e2e.sh SBC_DATAPLANE SBC_CONTROLPLANE [SBCCTL]   exit 0 pass, 1 fail, 77 skip
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib-check.sh
. "$here/lib-check.sh"	# and scripts/lib-netns.sh
e2e_args "SBC_DATAPLANE SBC_CONTROLPLANE [SBCCTL]" "$@"
probe_py=$here/sip_probe.py

e2e_preflight "sipp ethtool ss redis-server redis-cli" "$dataplane" "$controlplane"

e2e_cleanup() { stop_cp KILL; }
e2e_begin

# R (redis-cli), start_redis, start_cp, stop_cp, chan, cp_ready, e2e_redis_cp, e2e_cp_end (on
# port, sock, redis_log, cp_log, conf: defaults there)
# shellcheck source-path=SCRIPTDIR source=lib-redis.sh
. "$here/lib-redis.sh"
E2E_LOGS="controlplane:$cp_log redis:$redis_log"

# the data plane's own view: /sbc/denied (one page is enough here)
denied_has() {
	sbcnet_tel /sbc/denied | "$SBCNET_PY" -c 'import json, sys
d = json.load(sys.stdin)
sys.exit(0 if any(isinstance(v, dict) and v.get("address") == sys.argv[1] for v in d.values())
         else 1)' "$1"
}
denied_lacks() { ! denied_has "$1"; }
denied_total() { sbcnet_get /sbc/denied total; }
drops_denied() { sbcnet_get /sbc/drops denied; }
verdict() {	# NS SRC: 200 (listed, answered behind the tap), 403 (unlisted), 0 (nothing)
	ip netns exec "$1" "$SBCNET_PY" "$probe_py" probe "$2" "$SBCNET_SBC4" 3
}
expect() {	# DESC NS SRC WANT: the verdict for the very next packet
	check_eq "$1" "$(verdict "$2" "$3")" "$4"
}

conf=$SBCNET_DIR/sbc.conf
sbcnet_conf "$conf" reject "reject_rate = 1000"
cat >>"$conf" <<EOF2

[redis]
address = 127.0.0.1:$port
EOF2

sbcnet_start_dp "$dataplane" "$conf" || fatal "sbc-dataplane did not start"
sbcnet_start_uas "$SBCNET_SBC4" || fatal "the sipp responder did not start"
e2e_redis_cp
expect "listed peer: 200 from the responder" "$NS_PA" "$SBCNET_PA4" 200
expect "unlisted peer: 403 from the data plane" "$NS_PB" "$SBCNET_PB4" 403

# --- SET denies a listed source at once; DEL lifts it
d0=$(drops_denied)
R set "sbc:deny:$SBCNET_PA4" operator >/dev/null
wait_for "SET sbc:deny:$SBCNET_PA4: in the data plane's denylist" 10 denied_has "$SBCNET_PA4"
expect "denied listed peer: its OPTIONS get nothing" "$NS_PA" "$SBCNET_PA4" 0
check_eq "counted as drop reason denied" "$(($(drops_denied) > d0 ? 1 : 0))" 1
if [ -n "$sbcctl" ]; then
	check_eq "sbcctl denied: address, no TTL (-), the key's value as reason" \
		"$("$sbcctl" --file-prefix "$SBCNET_PREFIX" denied | awk -v a="$SBCNET_PA4" \
		'$1 == a { print $2, $3 }')" "- operator"
fi
R del "sbc:deny:$SBCNET_PA4" >/dev/null
wait_for "DEL: lifted in the data plane" 10 denied_lacks "$SBCNET_PA4"
expect "lifted: answered again" "$NS_PA" "$SBCNET_PA4" 200

# --- an unlisted source denied: no 403 either; a TTL lifts it (Redis's expired event)
R set "sbc:deny:$SBCNET_PB4" auth px 4000 >/dev/null
wait_for "SET ... PX 4000: denied" 10 denied_has "$SBCNET_PB4"
expect "denied unlisted peer: no 403, nothing" "$NS_PB" "$SBCNET_PB4" 0
wait_for "TTL ran out: lifted" 15 denied_lacks "$SBCNET_PB4"
check_eq "Redis no longer has the key" "$(R exists "sbc:deny:$SBCNET_PB4")" 0
expect "after the TTL: the 403 again" "$NS_PB" "$SBCNET_PB4" 403

# --- the data plane's own expiry: no event can come while the control plane is dead
R set "sbc:deny:$SBCNET_PA4" auth ex 3 >/dev/null
wait_for "SET ... EX 3: denied" 10 denied_has "$SBCNET_PA4"
expired0=$(sbcnet_get /sbc/denied expired)
stop_cp KILL
wait_for "control plane killed: the data plane sees it dead" 10 \
	prints dead chan control_plane
wait_for "the data plane lifted it by itself when the TTL ran out" 15 \
	denied_lacks "$SBCNET_PA4"
check_eq "counted as expired by the data plane" "$(sbcnet_get /sbc/denied expired)" \
	$((expired0 + 1))
expect "answered again with no control plane" "$NS_PA" "$SBCNET_PA4" 200

# --- changes while the control plane is down are replayed at its restart
R set "sbc:deny:$SBCNET_PA4" operator >/dev/null
R set "sbc:deny:$SBCNET_PB6" operator >/dev/null
R set "sbc:deny:::ffff:$SBCNET_PB4" mapped >/dev/null
R set sbc:deny:hello operator >/dev/null
check_eq "nothing reaches the data plane meanwhile" "$(denied_total)" 0
start_cp
wait_for "control plane restarted" 10 cp_ready
wait_for "replayed: $SBCNET_PA4 denied" 10 denied_has "$SBCNET_PA4"
wait_for "replayed: $SBCNET_PB6 (IPv6) denied" 10 denied_has "$SBCNET_PB6"
wait_for "replayed: ::ffff:$SBCNET_PB4 is $SBCNET_PB4" 10 denied_has "$SBCNET_PB4"
check_eq "three sources denied (the key that is no address skipped)" "$(denied_total)" 3
check_eq "the key that is no address reported once" \
	"$(grep -c "sbc:deny:hello: not an IPv4 or IPv6 address" "$cp_log")" 1
expect "denied after the replay" "$NS_PA" "$SBCNET_PA4" 0
stop_cp TERM
R del "sbc:deny:$SBCNET_PA4" "sbc:deny:::ffff:$SBCNET_PB4" >/dev/null
start_cp
wait_for "control plane restarted again" 10 cp_ready
wait_for "the replay lifted what Redis no longer holds" 10 denied_lacks "$SBCNET_PA4"
wait_for "... both of them" 10 denied_lacks "$SBCNET_PB4"
check_eq "and kept the rest" "$(denied_total)" 1
expect "answered after the replay" "$NS_PA" "$SBCNET_PA4" 200

# --- a data plane restart: the control plane replays the denylist from Redis
R set "sbc:deny:$SBCNET_PA4" operator >/dev/null
wait_for "denied again" 10 denied_has "$SBCNET_PA4"
sbcnet_stop_uas
sbcnet_stop_dp
check_eq "sbc-dataplane exits 0" $? 0
sbcnet_start_dp "$dataplane" "$conf" || fatal "sbc-dataplane did not restart"
sbcnet_start_uas "$SBCNET_SBC4" || fatal "the sipp responder did not restart"
wait_for "restarted data plane: the denylist is replayed" 10 denied_has "$SBCNET_PA4"
wait_eq "... all of it" 10 2 denied_total
expect "denied after the data plane's restart" "$NS_PA" "$SBCNET_PA4" 0
expect "the unlisted peer still gets its 403" "$NS_PB" "$SBCNET_PB4" 403

# --- clean stops
e2e_cp_end
sbcnet_stop_uas
sbcnet_stop_dp
check_eq "sbc-dataplane exits 0" $? 0

e2e_end
