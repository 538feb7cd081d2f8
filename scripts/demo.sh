#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The embedded demo: installs what is missing, builds `build`, then runs sbc-dataplane in a
# network namespace of its own on net_af_packet (a veth to a bridged lan) and net_tap (its
# kernel side), with a listed and an unlisted peer in namespaces of their own and a sipp OPTIONS
# responder behind the tap standing in for the control plane. Pings the SBC, sends SIP OPTIONS
# from both peers (200 from the responder / 403 from the data plane), shows the counters. Then
# the real control plane takes the responder's place (sbc-controlplane and a redis-server in the
# SBC's namespace): three calls from a sipp floor through the B2BUA to a sipp carrier (a second
# address in the peers' namespace), their records in the Redis stream sbc:cdr and the trunks'
# health. Removes everything again, also on failure and Ctrl-C. Nothing is added to this
# namespace.
# Needs root. Exit 0 when every step did what it should.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$PWD

heading() { printf '\n== %s\n' "$*"; }
show() {	# print a command, then run it
	printf '$ %s\n' "$*"
	"$@"
}
die() {
	printf '\ndemo: FAILED: %s\n' "$*" >&2
	exit 1
}

heading "Dependencies and build"
bash scripts/deps.sh </dev/null || die "scripts/deps.sh could not install the packages"
if [ -f build/meson-private/coredata.dat ]; then
	meson setup --reconfigure build >/dev/null || die "meson setup --reconfigure build"
else
	meson setup build >/dev/null || die "meson setup build"
fi
ninja -C build </dev/null | tail -n 1
[ "${PIPESTATUS[0]}" -eq 0 ] || die "ninja -C build"
dataplane=$root/build/dataplane/sbc-dataplane
controlplane=$root/build/controlplane/sbc-controlplane
[ -x "$controlplane" ] || die "build/controlplane/sbc-controlplane was not built"
sbcctl=$root/build/controlplane/sbcctl
[ -x "$sbcctl" ] || sbcctl=

# shellcheck source=lib-netns.sh
. scripts/lib-netns.sh
why=$(sbcnet_netns_ok) || die "$why: the demo needs root and network namespaces"

host_before=$(sbcnet_host_state)
sbcnet_init
carrier=$SBCNET_V4.31	# carrier-a: a second address of the peers' namespace
finish() {
	local rc=$?
	if [ -n "${SBCNET_ID:-}" ]; then
		heading "Teardown"
		sbcnet_down ${down_mode:-}
		echo "removed namespaces ${NS_SBC} ${NS_LAN} ${NS_PA} ${NS_PB}"
	fi
	exit $rc
}
trap finish EXIT
trap 'echo; echo "demo: interrupted"; exit 130' INT
trap 'down_mode=fast; exit 143' TERM HUP

heading "Topology (run $SBCNET_ID)"
sbcnet_up || die "building the namespaces"
cat <<EOF
  $NS_PA  listed peer    $SBCNET_PA4  $SBCNET_PA6  --+
  $NS_PB  unlisted peer  $SBCNET_PB4  $SBCNET_PB6  --+-- bridge br0 in $NS_LAN
  $NS_SBC  wire0: veth, no address, given to net_af_packet0 -+
  $NS_SBC  sbc0:  net_tap0, $SBCNET_SBC4 $SBCNET_SBC6  <- sipp OPTIONS responder :5060,
                                    later sbc-controlplane (the B2BUA) and redis-server
  $NS_PB  carrier-a      $carrier  (a second address, added for the calls)
EOF

heading "sbc.conf (unlisted = reject; the floor pbx-floor routes to carrier-a)"
conf=$SBCNET_DIR/sbc.conf
redis_port=$((20000 + RANDOM % 20000))
sbcnet_conf "$conf" reject
cat >>"$conf" <<EOF
role = floor
route = carrier-a

[trunk carrier-a]
role = carrier
uri = sip:$carrier:5060
peers = $carrier/32
options_interval = 1

[redis]
address = 127.0.0.1:$redis_port
EOF
grep -v '^#' "$conf" | sed 's/^/  /'

heading "Start sbc-dataplane in $NS_SBC"
printf '$ ip netns exec %s sbc-dataplane --no-pci --no-huge -m 1024 --file-prefix %s -l 0,1 \\\n' \
	"$NS_SBC" "$SBCNET_PREFIX"
printf '    --vdev net_af_packet0,iface=wire0 --vdev net_tap0,iface=sbc0,mac=fixed -- -c sbc.conf\n'
sbcnet_start_dp "$dataplane" "$conf" || die "sbc-dataplane did not start"
grep '^sbc-dataplane:' "$SBCNET_DP_LOG" | sed 's/^/  /'
echo "  tap sbc0 addressed: $SBCNET_SBC4/24, $SBCNET_SBC6/64"
sbcnet_start_uas "$SBCNET_SBC4" || die "the sipp OPTIONS responder did not start"
echo "  sipp OPTIONS responder listening on $SBCNET_SBC4:5060 (kernel side of the tap)"

heading "Ping the SBC from the listed peer (ARP and replies go through the tap)"
show ip netns exec "$NS_PA" ping -n -c 3 -i 0.2 -w 5 "$SBCNET_SBC4" ||
	die "no ping answer from $SBCNET_SBC4"
show ip -n "$NS_PA" neigh show "$SBCNET_SBC4"

# wait_until SECONDS COMMAND...: poll COMMAND every 0.1 s until it succeeds or time is up
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
}

# sipsak exits 0 on a 2xx, 1 on a 3xx-6xx, 2 on a timeout, 3 on an error
heading "SIP OPTIONS from the listed peer $SBCNET_PA4 (expect 200 from the responder)"
out=$(show timeout 20 ip netns exec "$NS_PA" sipsak -v -s "sip:ping@$SBCNET_SBC4" -H "$SBCNET_PA4" 2>&1)
rc=$?
printf '%s\n' "$out" | tr -d '\r' | sed '/^$/d'
[ $rc -eq 0 ] && grep -q '^SIP/2.0 200' <<<"$out" || die "the listed OPTIONS got no 200 (sipsak status $rc)"

heading "SIP OPTIONS from the unlisted peer $SBCNET_PB4 (expect 403 from the data plane)"
out=$(show timeout 20 ip netns exec "$NS_PB" sipsak -v -s "sip:ping@$SBCNET_SBC4" -H "$SBCNET_PB4" 2>&1)
rc=$?
printf '%s\n' "$out" | tr -d '\r' | sed '/^$/d'
[ $rc -eq 1 ] && grep -q '^SIP/2.0 403 Forbidden' <<<"$out" ||
	die "the unlisted OPTIONS got no 403 (sipsak status $rc)"
grep -q 'message received' "$SBCNET_DIR/uas-$SBCNET_SBC4.log" 2>/dev/null &&
	grep -q "$SBCNET_PB4" "$SBCNET_DIR/uas-$SBCNET_SBC4.log" &&
	die "the unlisted OPTIONS reached the responder behind the tap"

tool=${sbcctl:+sbcctl}
heading "${tool:-stats socket (sbcctl not built yet)}: trunks"
sbcnet_show trunks "$sbcctl" || die "reading /sbc/trunks"
accepted=$(sbcnet_get /sbc/trunks trunk:pbx-floor.accepted)
heading "${tool:-stats socket}: drops"
sbcnet_show drops "$sbcctl" || die "reading /sbc/drops"
reject_sent=$(sbcnet_get /sbc/stats reject_sent)
echo
echo "pbx-floor accepted $accepted SIP packet(s); reject_sent = $reject_sent (the 403 above)"
[ "$accepted" -ge 1 ] && [ "$reject_sent" -ge 1 ] || die "the counters do not show the traffic"

heading "Calls through the B2BUA: sipp floor $SBCNET_PA4 -> SBC -> sipp carrier $carrier"
sbcnet_stop_uas
R() { ip netns exec "$NS_SBC" redis-cli -p "$redis_port" "$@"; }
show ip netns exec "$NS_SBC" redis-server --port "$redis_port" --bind 127.0.0.1 --save '' \
	--appendonly no --daemonize yes --logfile "$SBCNET_DIR/redis.log" ||
	die "redis-server did not start"
printf '$ ip netns exec %s sbc-controlplane -c sbc.conf &\n' "$NS_SBC"
ip netns exec "$NS_SBC" "$controlplane" -c "$conf" </dev/null >"$SBCNET_DIR/controlplane.log" 2>&1 &
cp_pid=$!
cp_up() { [ "$(sbcnet_get /sbc/channel cp_redis)" = up ]; }
wait_until 15 cp_up || die "sbc-controlplane did not come up: $(tail -n 3 "$SBCNET_DIR/controlplane.log")"
ip -n "$NS_PB" addr add "$carrier/24" dev eth0 || die "the carrier's address"
printf '$ ip netns exec %s sipp -sf b2b_uas.xml -i %s -p 5060 -aa &   # the carrier\n' \
	"$NS_PB" "$carrier"
(cd "$SBCNET_DIR" && exec ip netns exec "$NS_PB" sipp -sf "$SBCNET_SIPP_DIR/b2b_uas.xml" \
	-i "$carrier" -p 5060 -aa -nostdin </dev/null >"$SBCNET_DIR/carrier.out" 2>&1) &
car_pid=$!
car_up() { [ "$(R hget sbc:state:carrier-a health)" = up ]; }
wait_until 15 car_up || die "carrier-a did not answer the SBC's OPTIONS"
echo "  carrier-a answers the SBC's OPTIONS pings: health up"
calls=3
show ip netns exec "$NS_PA" sipp -sf "$SBCNET_SIPP_DIR/b2b_uac.xml" -i "$SBCNET_PA4" -p 5070 \
	-m $calls -r 3 -d 1000 -timeout 60 -nostdin -trace_stat -stf "$SBCNET_DIR/floor.csv" \
	"$SBCNET_SBC4:5060" </dev/null >"$SBCNET_DIR/floor.out" 2>&1
rc=$?
ok=$("$SBCNET_PY" -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter=";"))
r = dict(zip(rows[0], rows[-1]))
print(r["SuccessfulCall(C)"], r["FailedCall(C)"])' "$SBCNET_DIR/floor.csv" 2>/dev/null)
echo "  the floor's sipp: ${ok% *} call(s) completed (180, 200, ACK, 1 s, BYE), ${ok#* } failed"
[ $rc -eq 0 ] && [ "$ok" = "$calls 0" ] || die "the calls through the B2BUA failed (sipp status $rc)"
cdrs_in() { [ "$(R xlen sbc:cdr)" -ge $calls ]; }
wait_until 10 cdrs_in || die "no call records in sbc:cdr"

heading "Call records: one per call, written by the B2BUA when the call ends"
printf '$ ip netns exec %s redis-cli -p %s XRANGE sbc:cdr - +   (one record a line here)\n' \
	"$NS_SBC" "$redis_port"
R --json XRANGE sbc:cdr - + | "$SBCNET_PY" -c '
import json, sys
for rid, f in json.load(sys.stdin):
    print("  " + rid + "\n    " + " ".join("%s=%s" % kv for kv in zip(f[::2], f[1::2])))' ||
	die "reading sbc:cdr"
heading "${tool:-redis-cli (sbcctl not built)}: trunks, with their health and calls out from Redis"
if [ -n "$sbcctl" ]; then
	show ip netns exec "$NS_SBC" "$sbcctl" --file-prefix "$SBCNET_PREFIX" \
		--redis "127.0.0.1:$redis_port" trunks || die "sbcctl trunks"
else
	show ip netns exec "$NS_SBC" redis-cli -p "$redis_port" HGETALL sbc:state:carrier-a
fi

kill "$car_pid" 2>/dev/null
wait "$car_pid" 2>/dev/null
kill "$cp_pid"
wait "$cp_pid" || die "sbc-controlplane did not exit cleanly"
R shutdown nosave >/dev/null 2>&1
sbcnet_stop_dp || die "sbc-dataplane did not exit cleanly on SIGINT"
heading "Teardown"
run=$SBCNET_ID
sbcnet_down
ip netns list | grep -q -- "-$run\b" && die "namespaces of run $run left behind"
[ "$(sbcnet_host_state)" = "$host_before" ] || die "this namespace's addresses or routes changed"
echo "namespaces removed; this namespace's addresses and routes are as before"
echo
echo "demo: OK"
