# SPDX-License-Identifier: BSD-3-Clause
#
# e2e helpers for the tests that run redis-server and sbc-controlplane in the SBC's namespace
# (sourced after scripts/lib-netns.sh and lib-check.sh). They read the caller's port, sock,
# redis_log, cp_log, conf and controlplane, and keep the control plane's pid in cp_pid.

R() { ip netns exec "$NS_SBC" redis-cli -p "$port" "$@"; }

start_redis() {	# [unix]: unix socket only (the control plane cannot reach it)
	local i tcp=$port
	[ "${1:-}" = unix ] && tcp=0
	ip netns exec "$NS_SBC" redis-server --port "$tcp" --bind 127.0.0.1 --unixsocket "$sock" \
		--dir "$SBCNET_DIR" --dbfilename dump.rdb --save '' --appendonly no \
		--logfile "$redis_log" --daemonize yes || return 1
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$NS_SBC" redis-cli -s "$sock" ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.1
	done
	return 1
}

start_cp() {
	ip netns exec "$NS_SBC" "$controlplane" -c "$conf" </dev/null >>"$cp_log" 2>&1 &
	cp_pid=$!
}

stop_cp() {	# [KILL]
	local sig=${1:-TERM} rc
	[ -n "${cp_pid:-}" ] || return 0
	kill -"$sig" "$cp_pid" 2>/dev/null
	wait "$cp_pid" 2>/dev/null
	rc=$?
	cp_pid=
	return $rc
}

chan() { sbcnet_get /sbc/channel "$1" 2>/dev/null; }
cp_ready() { [ "$(chan control_plane)" = alive ] && [ "$(chan cp_redis)" = up ]; }
