#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# e2e: Redis as the source of truth, through sbc-controlplane and the shared-memory channel, to
# the verdicts of the data plane, with a real redis-server, real kernels and real packets.
# The topology of scripts/lib-netns.sh (unlisted = reject: a listed probe gets the responder's
# 200, an unlisted one the data plane's 403), plus redis-server and sbc-controlplane inside the
# SBC's namespace. Checks, in order:
#   seeding from peers =; SADD / SREM / RENAME / DEL change the verdict of the next packet;
#   limits by HSET; bad values skipped, the rest applied, each reported once; an unknown trunk;
#   kill -9 of the control plane (the data plane keeps enforcing, says fail-static), restart
#   (state identical); Redis down, changed while the control plane cannot reach it, back
#   (the change applies); data plane restart (the control plane replays); 100,000-prefix
#   replaces while packets flow (none misclassified); clean stops.
# usage: test_redis_e2e.sh SBC_DATAPLANE SBC_CONTROLPLANE [SBCCTL]   exit 0 pass, 1 fail, 77 skip
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib-check.sh
. "$here/lib-check.sh"	# and scripts/lib-netns.sh
e2e_args "SBC_DATAPLANE SBC_CONTROLPLANE [SBCCTL]" "$@"
probe_py=$here/sip_probe.py

e2e_preflight "sipp ethtool ss redis-server redis-cli" "$dataplane" "$controlplane"


e2e_cleanup() { stop_cp KILL; }
e2e_begin

trunk=pbx-floor
acl=sbc:acl:$trunk

# R (redis-cli), start_redis, start_cp, stop_cp, chan, cp_ready, e2e_redis_cp, e2e_cp_end (on
# port, sock, redis_log, cp_log, conf: defaults there)
# shellcheck source-path=SCRIPTDIR source=lib-redis.sh
. "$here/lib-redis.sh"
E2E_LOGS="controlplane:$cp_log redis:$redis_log"

# for wait_for, which must re-read every time: chan_is KEY VALUE, chan_ge KEY N, trunk_is FIELD V
chan_is() { [ "$(chan "$1")" = "$2" ]; }
chan_ge() { local v; v=$(chan "$1") && [ "$v" -ge "$2" ]; }
trunk_is() { [ "$(sbcnet_get /sbc/trunks "trunk:$trunk.$1")" = "$2" ]; }
acl_has() { sbcnet_tel "/sbc/acl,$trunk" | grep -qF "\"$1\""; }
acl_lacks() { ! acl_has "$1"; }
# the trunk's effective prefixes, sorted, every page
acl_list() {
	local first=0 page
	while :; do
		page=$(sbcnet_tel "/sbc/acl,$trunk,$first") || return 1
		echo "$page" | "$SBCNET_PY" -c 'import json,sys
d=json.load(sys.stdin)
for k,v in d.items():
    if isinstance(v,dict): print(v["prefix"])'
		first=$(echo "$page" | "$SBCNET_PY" -c 'import json,sys; print(json.load(sys.stdin)["next"])')
		[ "$first" = 0 ] && break
	done | sort
}
verdict() {	# NS SRC DST: 200 (listed, answered behind the tap), 403 (unlisted), 0 (nothing)
	ip netns exec "$1" "$SBCNET_PY" "$probe_py" probe "$2" "$3" 3
}
# A Redis change reaches the workers asynchronously (keyspace event -> control plane -> channel
# -> main lcore -> RCU): a check waits until the data plane's own table shows it (in_force) and
# then asks for the verdict of the next packet; never a packet sent "right after" the redis-cli.
in_force() {	# DESC COMMAND...: poll (10 s) until COMMAND holds, a check of its own
	local d=$1
	shift
	wait_for "$d: in the data plane's table" 10 "$@"
}
expect() {	# DESC NS SRC WANT: the verdict for the very next packet
	check_eq "$1" "$(verdict "$2" "$3" "$SBCNET_SBC4")" "$4"
}

conf=$SBCNET_DIR/sbc.conf
sbcnet_conf "$conf" reject "reject_rate = 1000"
sed -i 's/^mbufs = 4095$/mbufs = 16383\nacl_v4_rules = 262144\nacl_v4_tbl8 = 4096/' "$conf"
cat >>"$conf" <<EOF
cps = 50
burst = 10
max_calls = 200

[trunk carrier-b]
peers = 203.0.113.0/24

[redis]
address = 127.0.0.1:$port
EOF

sbcnet_start_dp "$dataplane" "$conf" || fatal "sbc-dataplane did not start"
sbcnet_start_uas "$SBCNET_SBC4" || fatal "the sipp responder did not start"
e2e_redis_cp

# --- seeding
check_eq "peers = seeded $acl" "$(R smembers $acl | sort | tr '\n' ' ')" \
	"$SBCNET_PA4/32 $SBCNET_PA6/128 "
check_eq "sbc:seeded:$trunk marks it" "$(R exists sbc:seeded:$trunk)" 1
expect "listed peer: 200 from the responder" "$NS_PA" "$SBCNET_PA4" 200
expect "unlisted peer: 403 from the data plane" "$NS_PB" "$SBCNET_PB4" 403

# --- live changes: the next packet sees them
R sadd $acl "$SBCNET_PB4/32" >/dev/null
in_force "SADD $SBCNET_PB4/32" acl_has "$SBCNET_PB4/32"
expect "SADD $SBCNET_PB4/32: the next packet from it is listed" "$NS_PB" "$SBCNET_PB4" 200
R srem $acl "$SBCNET_PB4/32" >/dev/null
in_force "SREM" acl_lacks "$SBCNET_PB4/32"
expect "SREM: the next packet is unlisted again" "$NS_PB" "$SBCNET_PB4" 403
R sadd sbc:tmp "$SBCNET_PA4/32" "$SBCNET_PB4/32" >/dev/null
R rename sbc:tmp $acl >/dev/null
in_force "RENAME" acl_lacks "$SBCNET_PA6/128"
expect "RENAME over the key: the new set's $SBCNET_PB4 is listed" "$NS_PB" "$SBCNET_PB4" 200
check_eq "RENAME: $SBCNET_PA6/128, not in the new set, is gone" \
	"$(acl_list | tr '\n' ' ')" "$SBCNET_PA4/32 $SBCNET_PB4/32 "
R del $acl >/dev/null
in_force "DEL" trunk_is prefixes_v4 0
expect "DEL: the listed peer is unlisted" "$NS_PA" "$SBCNET_PA4" 403
check_eq "DEL: the trunk holds no prefix" "$(sbcnet_get /sbc/trunks trunk:$trunk.prefixes_v4)" 0
R sadd $acl "$SBCNET_PA4/32" "$SBCNET_PA6/128" >/dev/null
in_force "SADD back" acl_has "$SBCNET_PA4/32"
expect "SADD back: listed again" "$NS_PA" "$SBCNET_PA4" 200

# --- limits
R hset sbc:limits:$trunk cps 77 burst 9 max_calls 33 >/dev/null
wait_for "HSET sbc:limits:$trunk: cps 77 in force" 10 \
	trunk_is cps 77
check_eq "burst in force" "$(sbcnet_get /sbc/trunks trunk:$trunk.burst)" 9
check_eq "max_calls in force" "$(sbcnet_get /sbc/trunks trunk:$trunk.max_calls)" 33

# --- limits from Redis are what the caps enforce (max_calls: a cap no clock takes part in)
R hset sbc:limits:$trunk max_calls 1 >/dev/null
wait_for "HSET max_calls 1: in force" 10 trunk_is max_calls 1
adm0=$(sbcnet_get /sbc/trunks trunk:$trunk.admitted)
over0=$(sbcnet_get /sbc/trunks trunk:$trunk.over_calls)
# (the responder behind the tap answers only OPTIONS: do not wait for the first call's answer)
ip netns exec "$NS_PA" "$SBCNET_PY" "$probe_py" invite "$SBCNET_PA4" "$SBCNET_SBC4" cap-1 0.01 \
	>/dev/null
wait_for "the first new call is admitted" 10 trunk_is admitted $((adm0 + 1))
check_eq "a second new call while the first is up is refused by the Redis cap (503)" \
	"$(ip netns exec "$NS_PA" "$SBCNET_PY" "$probe_py" invite "$SBCNET_PA4" "$SBCNET_SBC4" cap-2 3)" 503
check_eq "one admitted, one over_calls" \
	"$(($(sbcnet_get /sbc/trunks trunk:$trunk.admitted) - adm0)) $(($(sbcnet_get /sbc/trunks trunk:$trunk.over_calls) - over0))" \
	"1 1"
ip netns exec "$NS_PA" "$SBCNET_PY" "$probe_py" bye "$SBCNET_PA4" "$SBCNET_SBC4" cap-1 0.01 \
	>/dev/null
wait_for "its BYE ends the admitted call: active calls 0" 10 trunk_is active_calls 0
R hset sbc:limits:$trunk max_calls 33 >/dev/null
wait_for "max_calls back to 33" 10 trunk_is max_calls 33

# --- bad values: skipped and reported once, the rest applies
bad_before=$(chan cp_bad_values)
R sadd $acl 10.0.0.0/33 hello 10.1.1.1/16 "$SBCNET_PB4/32" >/dev/null
in_force "SADD of bad values and $SBCNET_PB4/32" acl_has "$SBCNET_PB4/32"
expect "bad values beside a good one: the good one applies" "$NS_PB" "$SBCNET_PB4" 200
R sadd $acl 192.0.2.0/24 >/dev/null	# one more read of the key with the same bad values in it
R hset sbc:limits:$trunk max_calls many >/dev/null
R sadd sbc:acl:no-such-trunk 192.0.2.0/24 >/dev/null
wait_for "the control plane said it: 'many' is not a number" 10 \
	grep -q "sbc:limits:$trunk: skipped 'many'" "$cp_log"
for v in 10.0.0.0/33 hello 10.1.1.1/16; do
	check_eq "'$v' reported once, naming key and value" \
		"$(grep -c "$acl: skipped '$v'" "$cp_log")" 1
done
check_eq "the unknown trunk's key is reported" "$(grep -c "sbc:acl:no-such-trunk: no trunk" "$cp_log")" 1
check_eq "a limit that is not a number leaves the configured max_calls (200)" \
	"$(sbcnet_get /sbc/trunks trunk:$trunk.max_calls)" 200
wait_for "bad values counted on /sbc/channel" 10 \
	chan_ge cp_bad_values $((bad_before + 4))
R srem $acl 10.0.0.0/33 hello 10.1.1.1/16 192.0.2.0/24 "$SBCNET_PB4/32" >/dev/null
R hdel sbc:limits:$trunk max_calls >/dev/null
R del sbc:acl:no-such-trunk >/dev/null
# the state the kill must keep is the one after these removals: wait until the data plane has it
bad_round_gone() { acl_lacks "$SBCNET_PB4/32" && acl_lacks 192.0.2.0/24; }
in_force "SREM of the bad-value round's prefixes" bad_round_gone

# --- control plane killed: the data plane keeps enforcing, and says so
before=$(acl_list)
stop_cp KILL
wait_for "kill -9 of the control plane: /sbc/channel says fail-static" 10 \
	chan_is control_plane dead
check_eq "mode" "$(chan mode)" "fail-static (enforcing the last good state)"
expect "fail-static: the listed peer is still listed" "$NS_PA" "$SBCNET_PA4" 200
expect "fail-static: the unlisted peer is still refused" "$NS_PB" "$SBCNET_PB4" 403
start_cp
wait_for "control plane restarted and in sync" 10 cp_ready
acl_words() { acl_list | tr '\n' ' '; }
wait_eq "after the restart the allowlist is identical" 10 "$(echo "$before" | tr '\n' ' ')" \
	acl_words
check_eq "and the limits too (cps)" "$(sbcnet_get /sbc/trunks trunk:$trunk.cps)" 77

# --- Redis away; a change made while the control plane cannot reach it applies on return
R shutdown save >/dev/null 2>&1
wait_for "Redis gone: the control plane notices" 10 chan_is cp_redis down
start_redis unix || fatal "redis-server did not restart"
ip netns exec "$NS_SBC" redis-cli -s "$sock" sadd $acl "$SBCNET_PB4/32" >/dev/null
check_eq "Redis (reloaded from its dump) still holds the allowlist" \
	"$(ip netns exec "$NS_SBC" redis-cli -s "$sock" sismember $acl "$SBCNET_PA4/32")" 1
expect "changed while disconnected: not in force yet" "$NS_PB" "$SBCNET_PB4" 403
ip netns exec "$NS_SBC" redis-cli -s "$sock" config set port "$port" >/dev/null
wait_for "Redis back on its port: the control plane reconnects" 10 cp_ready
wait_for "the change made while it was away is in force" 10 acl_has "$SBCNET_PB4/32"
expect "and the next packet sees it" "$NS_PB" "$SBCNET_PB4" 200
check_eq "reconnects counted" "$(chan cp_redis_reconnects)" 1

# --- data plane restart: the control plane replays everything
sbcnet_stop_uas
sbcnet_stop_dp
check_eq "sbc-dataplane exits 0" $? 0
sbcnet_start_dp "$dataplane" "$conf" || fatal "sbc-dataplane did not restart"
sbcnet_start_uas "$SBCNET_SBC4" || fatal "the sipp responder did not restart"
wait_for "restarted data plane: the control plane replays (Redis's $SBCNET_PB4/32 is back)" 10 \
	acl_has "$SBCNET_PB4/32"
wait_for "and the limits (cps 77)" 10 trunk_is cps 77
expect "the next packet from $SBCNET_PB4 is listed" "$NS_PB" "$SBCNET_PB4" 200
R srem $acl "$SBCNET_PB4/32" >/dev/null

# --- 100,000-prefix replaces while packets flow
N=100000
for set in a b; do
	"$SBCNET_PY" - "$set" "$N" "$SBCNET_PA4" "$SBCNET_PA6" <<'PY' |
import sys
name, n, pa4, pa6 = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
off = 0 if name == 'a' else 1
members = [pa4 + '/32', pa6 + '/128']
# 10.0.0.0/8 and 100.64.0.0/10 /32s, two different sets; never the unlisted peer
members += ['%d.%d.%d.%d/32' % (10 if i % 2 else 100, (64 if i % 2 == 0 else 0) + (i >> 16) % 64,
                                (i >> 8) & 255, i & 255) for i in range(off, 2 * (n - 2), 2)][:n - 2]
for k in range(0, len(members), 1000):
    chunk = members[k:k + 1000]
    out = ['*%d\r\n$4\r\nSADD\r\n$%d\r\nsbc:big:%s\r\n' % (len(chunk) + 2, len('sbc:big:' + name), name)]
    out += ['$%d\r\n%s\r\n' % (len(m), m) for m in chunk]
    sys.stdout.write(''.join(out))
PY
		ip netns exec "$NS_SBC" redis-cli -p "$port" --pipe >/dev/null
done
check_eq "two 100,000-member sets staged in Redis" "$(R scard sbc:big:a) $(R scard sbc:big:b)" \
	"$N $N"
acc0=$(sbcnet_get /sbc/trunks trunk:$trunk.accepted)
unl0=$(sbcnet_tel /sbc/drops | "$SBCNET_PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["sip_unlisted"]+d["reject_ratelimited"])')
rej0=$(sbcnet_get /sbc/stats reject_sent)
applied0=$(chan applied)
out_a=$SBCNET_DIR/flow-a.out out_b=$SBCNET_DIR/flow-b.out
ip netns exec "$NS_PA" "$SBCNET_PY" "$probe_py" flow "$SBCNET_PA4" "$SBCNET_SBC4" 500 6 >"$out_a" &
fa=$!
ip netns exec "$NS_PB" "$SBCNET_PY" "$probe_py" flow "$SBCNET_PB4" "$SBCNET_SBC4" 500 6 >"$out_b" &
fb=$!
sleep 0.5	# pacing, not synchronisation: the replaces fall inside the 6 s of traffic
for round in 1 2 3 4; do
	set=$([ $((round % 2)) = 1 ] && echo a || echo b)
	R copy sbc:big:$set sbc:big:tmp replace >/dev/null
	R rename sbc:big:tmp $acl >/dev/null
	sleep 1
done
wait $fa $fb
sent_a=$(cat "$out_a") sent_b=$(cat "$out_b")
wait_for "the last replace is in force ($N prefixes)" 10 \
	trunk_is prefixes_v4 $((N - 1))
accepted_since() { echo $(($(sbcnet_get /sbc/trunks trunk:$trunk.accepted) - acc0)); }
refused_since() {
	local unl rej
	unl=$(sbcnet_tel /sbc/drops | "$SBCNET_PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["sip_unlisted"]+d["reject_ratelimited"])')
	rej=$(sbcnet_get /sbc/stats reject_sent)
	echo $((unl - unl0 + rej - rej0))
}
# both sets have N-1 IPv4 prefixes: the count above does not say the fourth is in yet (a big
# set is settled and sent in slices of the control plane's loop)
replaces_in() { echo $(($(chan applied) - applied0 >= 4 ? 1 : 0)); }
wait_eq "4 replaces of $N prefixes applied while packets flowed" 20 1 replaces_in
# the last packets may still be on their way through the worker when the senders exit
wait_eq "every packet of the listed peer ($sent_a sent) was accepted" 10 "$sent_a" accepted_since
wait_eq "every packet of the unlisted peer ($sent_b sent) was refused (403 or dropped)" 10 \
	"$sent_b" refused_since
check_eq "no replace was refused" "$(chan refused)" 0
if [ -n "$sbcctl" ]; then
	check_eq "sbcctl acl $trunk lists all $N prefixes" \
		"$("$sbcctl" --file-prefix "$SBCNET_PREFIX" --json acl $trunk |
		"$SBCNET_PY" -c 'import json,sys; print(len(json.load(sys.stdin)["prefixes"]))')" $N
	check_eq "sbcctl channel shows the control plane alive" \
		"$("$sbcctl" --file-prefix "$SBCNET_PREFIX" --json channel |
		"$SBCNET_PY" -c 'import json,sys; print(json.load(sys.stdin)["control_plane"])')" alive
fi

# --- clean stops
e2e_cp_end
sbcnet_stop_uas
sbcnet_stop_dp
check_eq "sbc-dataplane exits 0" $? 0

e2e_end
