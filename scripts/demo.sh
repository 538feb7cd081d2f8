#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The embedded demo: installs what is missing, builds `build`, then runs sbc-dataplane in a
# network namespace of its own on net_af_packet (a veth to a bridged lan) and net_tap (its
# kernel side), with a listed and an unlisted peer in namespaces of their own and a sipp OPTIONS
# responder behind the tap standing in for the control plane. Pings the SBC, sends SIP OPTIONS
# from both peers (200 from the responder / 403 from the data plane), shows the counters and
# removes everything again, also on failure and Ctrl-C. Nothing is added to this namespace.
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
sbcctl=$root/build/controlplane/sbcctl
[ -x "$sbcctl" ] || sbcctl=

# shellcheck source=lib-netns.sh
. scripts/lib-netns.sh
why=$(sbcnet_netns_ok) || die "$why: the demo needs root and network namespaces"

host_before=$(sbcnet_host_state)
sbcnet_init
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
  $NS_SBC  sbc0:  net_tap0, $SBCNET_SBC4 $SBCNET_SBC6  <- sipp OPTIONS responder :5060
EOF

heading "sbc.conf (unlisted = reject)"
conf=$SBCNET_DIR/sbc.conf
sbcnet_conf "$conf" reject
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

sbcnet_stop_uas
sbcnet_stop_dp || die "sbc-dataplane did not exit cleanly on SIGINT"
heading "Teardown"
run=$SBCNET_ID
sbcnet_down
ip netns list | grep -q -- "-$run\b" && die "namespaces of run $run left behind"
[ "$(sbcnet_host_state)" = "$host_before" ] || die "this namespace's addresses or routes changed"
echo "namespaces removed; this namespace's addresses and routes are as before"
echo
echo "demo: OK"
