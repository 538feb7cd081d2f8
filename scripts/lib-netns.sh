# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The demo and e2e topology, sourced by scripts/demo.sh and tests/e2e/*.sh: network namespaces
# joined by veth pairs and a bridge, sbc-dataplane on net_af_packet (wire) + net_tap (exception),
# a sipp OPTIONS responder behind the tap, and the stats-socket reader. Nothing is created in the
# caller's own network namespace; every name carries a per-run suffix so runs never collide.
#
#   pa-ID (listed peer)    eth0 198.51.100.20  2001:db8::20 --+
#   pb-ID (unlisted peer)  eth0 198.51.100.30  2001:db8::30 --+-- br0 in lan-ID
#   sbc-ID: wire0 (veth, no address, given to net_af_packet) -+
#           sbc0  (net_tap, 198.51.100.10 2001:db8::10) <- sipp UAS on 198.51.100.10:5060
#
# Usage: sbcnet_init [ID]; trap sbcnet_down EXIT; sbcnet_up; sbcnet_conf FILE drop|reject;
# sbcnet_start_dp BIN CONF; sbcnet_start_uas; ...; sbcnet_stop_dp; sbcnet_down.

SBCNET_PY=/usr/bin/python3		# Debian's, where scapy lives; the reader needs only the stdlib
SBCNET_V4=198.51.100			# RFC 5737 TEST-NET-2
SBCNET_SBC4=$SBCNET_V4.10 SBCNET_PA4=$SBCNET_V4.20 SBCNET_PB4=$SBCNET_V4.30
SBCNET_SBC6=2001:db8::10 SBCNET_PA6=2001:db8::20 SBCNET_PB6=2001:db8::30	# RFC 3849
SBCNET_SIPP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/e2e/sipp" && pwd)

sbcnet_log() { printf '%s\n' "$*" >&2; }

# sbcnet_init [ID]: names for this run. Call once, before sbcnet_up. SBCNET_NS_PREFIX (default
# none) goes in front of every namespace, DPDK file prefix and channel name: runs of several
# people on one machine keep apart by it.
sbcnet_init() {
	local p=${SBCNET_NS_PREFIX:-}
	SBCNET_ID=${1:-$(printf '%x%04x' $$ $((RANDOM)))}
	NS_SBC=${p}sbc-$SBCNET_ID NS_LAN=${p}lan-$SBCNET_ID NS_PA=${p}pa-$SBCNET_ID
	NS_PB=${p}pb-$SBCNET_ID
	SBCNET_NS=()			# namespaces created so far (the only ones sbcnet_down removes)
	SBCNET_PREFIX=${p}sbc-$SBCNET_ID	# DPDK --file-prefix
	SBCNET_CHANNEL=/${p}sbc-$SBCNET_ID	# [dataplane] channel (POSIX shm, shared across netns)
	SBCNET_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sbcnet-$SBCNET_ID.XXXXXX")
	SBCNET_DP_PID='' SBCNET_UAS_PIDS=()
	SBCNET_DP_LOG=$SBCNET_DIR/dataplane.log
}

sbcnet_netns_ok() {
	[ "$(id -u)" -eq 0 ] || { echo "not root"; return 1; }
	command -v ip >/dev/null || { echo "ip (iproute2) not installed"; return 1; }
	ip netns list >/dev/null 2>&1 || { echo "ip netns is unavailable"; return 1; }
	local probe=sbcprobe-$$-$RANDOM
	ip netns add "$probe" 2>/dev/null || { echo "cannot create a network namespace"; return 1; }
	ip netns del "$probe"
	return 0
}

sbcnet_addns() {
	ip netns add "$1" || return 1
	SBCNET_NS+=("$1")
	ip -n "$1" link set lo up
}

# veth with one end in each namespace, created inside the first one (never in ours).
sbcnet_veth() {	# NS1 DEV1 NS2 DEV2
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
}

# a peer namespace: NS ADDR4 ADDR6
sbcnet_peer() {
	# the kernel leaves checksums partial on veth unless tx offload is off, and net_af_packet
	# then passes the frame on with a checksum nobody completes
	ip netns exec "$1" ethtool -K eth0 tx off >/dev/null &&
		ip -n "$1" addr add "$2/24" dev eth0 &&
		ip -n "$1" addr add "$3/64" dev eth0 nodad &&
		ip -n "$1" link set eth0 up
}

sbcnet_up() {
	local ns dev
	for ns in "$NS_SBC" "$NS_LAN" "$NS_PA" "$NS_PB"; do
		sbcnet_addns "$ns" || return 1
	done
	# the lan: a plain bridge, no STP, no addresses, no IPv6 of its own (no stray RS/MLD)
	ip netns exec "$NS_LAN" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null &&
		ip -n "$NS_LAN" link add br0 type bridge stp_state 0 forward_delay 0 &&
		sbcnet_veth "$NS_SBC" wire0 "$NS_LAN" s0 &&
		sbcnet_veth "$NS_PA" eth0 "$NS_LAN" a0 &&
		sbcnet_veth "$NS_PB" eth0 "$NS_LAN" b0 || return 1
	for dev in s0 a0 b0; do
		ip -n "$NS_LAN" link set "$dev" master br0 up || return 1
	done
	ip -n "$NS_LAN" link set br0 up || return 1

	# wire0 belongs to the data plane: the kernel of sbc-ID must not answer or accept anything
	# on it itself (it would answer ARP for the tap's address, reply to pings twice and hand
	# unlisted SIP straight to the UAS). No ARP, no IPv6, and strict reverse-path filtering
	# (every peer's route points at sbc0) drops any IPv4 it would otherwise take in.
	ip netns exec "$NS_SBC" sysctl -qw net.ipv4.conf.all.rp_filter=1 \
		net.ipv4.conf.wire0.rp_filter=1 net.ipv6.conf.wire0.disable_ipv6=1 >/dev/null &&
		ip -n "$NS_SBC" link set wire0 arp off up || return 1

	sbcnet_peer "$NS_PA" "$SBCNET_PA4" "$SBCNET_PA6" &&
		sbcnet_peer "$NS_PB" "$SBCNET_PB4" "$SBCNET_PB6"
}

# sbcnet_conf FILE drop|reject [extra [sbc] lines...]
sbcnet_conf() {
	local f=$1 mode=$2
	shift 2
	{
		echo "# sbc.conf written by scripts/lib-netns.sh for run $SBCNET_ID"
		echo "[sbc]"
		echo "address = $SBCNET_SBC4"
		echo "address6 = $SBCNET_SBC6"
		echo "sip_port = 5060"
		echo "unlisted = $mode"
		for l in "$@"; do echo "$l"; done
		echo
		echo "[dataplane]"
		echo "wire = net_af_packet0"
		echo "exception = net_tap0"
		echo "workers = ${SBCNET_WORKERS:-1}"
		echo "channel = $SBCNET_CHANNEL"
		echo "mbufs = 4095"
		echo
		echo "[trunk pbx-floor]"
		echo "peers = $SBCNET_PA4/32, $SBCNET_PA6/128"
	} >"$f"
}

sbcnet_flush_neigh() {
	local ns
	for ns in "$NS_PA" "$NS_PB" "$NS_SBC"; do
		ip -n "$ns" neigh flush all 2>/dev/null
		ip -n "$ns" -6 neigh flush all 2>/dev/null
	done
	return 0
}

# sbcnet_start_dp BIN CONF [OPTION...]: start the data plane in sbc-ID (its OPTIONs after
# -c CONF), wait for "ready", address the tap.
# With SBCNET_WORKERS=N (the [dataplane] workers sbcnet_conf wrote; default 1) it gets N worker
# lcores (beyond one, all floating over CPUs 0 and 1) and net_af_packet N queue pairs (qpairs=N:
# the kernel's fanout hash spreads the flows over them).
sbcnet_start_dp() {
	local bin=$1 conf=$2 i n=${SBCNET_WORKERS:-1} lcores=(-l 0,1)
	shift 2
	sbcnet_flush_neigh
	: >"$SBCNET_DP_LOG"
	# more lcores than this machine's 2 CPUs: each floats over both
	((n > 1)) && lcores=(--lcores "(0-$n)@(0,1)")
	ip netns exec "$NS_SBC" "$bin" --no-pci --no-huge -m 1024 --file-prefix "$SBCNET_PREFIX" \
		"${lcores[@]}" --vdev "net_af_packet0,iface=wire0,qpairs=$n" \
		--vdev net_tap0,iface=sbc0,mac=fixed -- -c "$conf" "$@" </dev/null >"$SBCNET_DP_LOG" 2>&1 &
	SBCNET_DP_PID=$!	# ip netns exec execs the command: this is the data plane's pid
	for ((i = 0; i < 300; i++)); do
		grep -qs '^sbc-dataplane: ready' "$SBCNET_DP_LOG" && break
		if ! kill -0 "$SBCNET_DP_PID" 2>/dev/null; then
			wait "$SBCNET_DP_PID"
			sbcnet_log "sbc-dataplane exited with status $? before it was ready:"
			sed 's/^/    /' "$SBCNET_DP_LOG" >&2
			SBCNET_DP_PID=
			return 1
		fi
		sleep 0.1
	done
	if ((i == 300)); then
		sbcnet_log "sbc-dataplane was not ready after 30 s:"
		sed 's/^/    /' "$SBCNET_DP_LOG" >&2
		return 1
	fi
	ip -n "$NS_SBC" addr add "$SBCNET_SBC4/24" dev sbc0 &&
		ip -n "$NS_SBC" addr add "$SBCNET_SBC6/64" dev sbc0 nodad &&
		ip -n "$NS_SBC" link set sbc0 up || {
		sbcnet_log "cannot address the tap sbc0 in $NS_SBC"
		return 1
	}
	return 0
}

# sbcnet_stop_dp: SIGINT (clean stop, exit 0 expected), SIGKILL after 10 s. Returns its status.
sbcnet_stop_dp() {
	local pid=$SBCNET_DP_PID i rc
	[ -n "$pid" ] || return 0
	SBCNET_DP_PID=
	kill -INT "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		sbcnet_log "sbc-dataplane (pid $pid) ignored SIGINT for 10 s: killing it"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	rm -rf "/var/run/dpdk/$SBCNET_PREFIX"
	return $rc
}

# sbcnet_start_uas [ADDR]: sipp answering OPTIONS with 200 on ADDR:5060 on the kernel side of
# the tap (stands in for the control plane). Its messages go to $SBCNET_DIR/uas-ADDR.log.
sbcnet_start_uas() {
	local addr=${1:-$SBCNET_SBC4} cp i log
	cp=$((8888 + ${#SBCNET_UAS_PIDS[@]}))
	log=$SBCNET_DIR/uas-$addr.log
	(cd "$SBCNET_DIR" && exec ip netns exec "$NS_SBC" sipp -sf "$SBCNET_SIPP_DIR/options_uas.xml" \
		-i "$addr" -p 5060 -cp "$cp" -nostdin -trace_msg -message_file "$log" \
		</dev/null >"$SBCNET_DIR/uas-$addr.out" 2>&1) &
	SBCNET_UAS_PIDS+=($!)
	for ((i = 0; i < 100; i++)); do
		ip netns exec "$NS_SBC" ss -Hlun "sport = :5060" 2>/dev/null | grep -qF "$addr" &&
			return 0
		kill -0 "$!" 2>/dev/null || break
		sleep 0.1
	done
	sbcnet_log "the sipp OPTIONS responder on $addr:5060 did not start:"
	sed 's/^/    /' "$SBCNET_DIR/uas-$addr.out" >&2
	return 1
}

sbcnet_stop_uas() {
	local pid
	for pid in "${SBCNET_UAS_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	SBCNET_UAS_PIDS=()
	return 0
}

# sbcnet_tel CMD: the reply's inner JSON object, e.g. sbcnet_tel /sbc/trunks
sbcnet_tel() {
	"$SBCNET_PY" - "/var/run/dpdk/$SBCNET_PREFIX/dpdk_telemetry.v2" "$1" <<'PY'
import json, socket, sys
path, cmd = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect(path)
s.recv(16384)                      # the info message
s.send(cmd.encode())
reply = json.loads(s.recv(1 << 20).decode())
print(json.dumps(reply.get(cmd.split(',')[0], reply)))
PY
}

# sbcnet_get CMD KEY: one value; KEY is a dotted path, "trunk:NAME.field" picks a trunk by name.
sbcnet_get() {
	sbcnet_tel "$1" | "$SBCNET_PY" -c '
import json, sys
d, key = json.load(sys.stdin), sys.argv[1]
for k in key.split("."):
    if k.startswith("trunk:"):
        d = next(v for v in d.values() if isinstance(v, dict) and v.get("name") == k[6:])
    else:
        d = d[k]
print(d)' "$2"
}

# sbcnet_show CMD [sbcctl]: a table from sbcctl when it exists, else the raw JSON, indented.
sbcnet_show() {
	local what=$1 sbcctl=${2:-}
	if [ -n "$sbcctl" ] && [ -x "$sbcctl" ]; then
		"$sbcctl" --file-prefix "$SBCNET_PREFIX" "$what"
	else
		sbcnet_tel "/sbc/$what" | "$SBCNET_PY" -c '
import json, sys
d = json.load(sys.stdin)
rows = [v for v in d.values() if isinstance(v, dict)]
if rows:                              # a dict of dicts (trunks, ports): one row each
    cols = list(rows[0])
    w = [max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in cols]
    print(("  " + "  ".join(c.ljust(n) for c, n in zip(cols, w))).rstrip())
    for r in rows:
        print(("  " + "  ".join(str(r.get(c, "")).ljust(n) for c, n in zip(cols, w))).rstrip())
else:                                 # flat counters (drops): the non-zero ones
    for k, v in d.items():
        if v != 0:
            print("  %-20s %s" % (k, v))
    print("  (%d other counters are 0)" % sum(1 for v in d.values() if v == 0))' "$what"
	fi
}

# A fingerprint of the caller's namespace (addresses, routes), to prove nothing changed there.
sbcnet_host_state() {
	{
		ip -br addr
		ip route
		ip -6 route
	} 2>/dev/null | sed -E 's/ expires [0-9]+sec//'
}

# sbcnet_down [fast]: remove our namespaces, stop what we started, remove our files. Safe to
# call twice. The namespace names go first: whoever kills us in the middle (meson's timeout
# sends SIGTERM, then SIGKILL 0.5 s later) leaves no namespace behind, only processes that die
# with us. "fast" (for SIGTERM) skips the data plane's clean stop.
sbcnet_down() {
	local ns pid pids=()
	[ -n "${SBCNET_ID:-}" ] || return 0
	for ns in "${SBCNET_NS[@]}"; do
		# processes inside namespaces this run created: the data plane, sipp, peers' tools
		# shellcheck disable=SC2207 # pids are numbers
		pids+=($(ip netns pids "$ns" 2>/dev/null))
		ip netns del "$ns" 2>/dev/null
	done
	SBCNET_NS=()
	if [ "${1:-}" = fast ]; then
		kill -KILL "${pids[@]}" $SBCNET_DP_PID "${SBCNET_UAS_PIDS[@]}" 2>/dev/null
		SBCNET_DP_PID='' SBCNET_UAS_PIDS=()
	fi
	sbcnet_stop_uas
	sbcnet_stop_dp
	for pid in "${pids[@]}"; do
		kill -KILL "$pid" 2>/dev/null
	done
	rm -f "/dev/shm/${SBCNET_CHANNEL#/}"
	rm -rf "/var/run/dpdk/$SBCNET_PREFIX"
	[ -n "${SBCNET_KEEP:-}" ] || rm -rf "$SBCNET_DIR"
	SBCNET_ID=''
	return 0
}
