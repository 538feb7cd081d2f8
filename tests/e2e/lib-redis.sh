# SPDX-License-Identifier: BSD-3-Clause
#
# e2e helpers for the tests that run redis-server and sbc-controlplane in the SBC's namespace
# (sourced after lib-check.sh, once e2e_begin made $SBCNET_DIR). They read the caller's port,
# sock, redis_log, cp_log, conf and controlplane (defaults below for those not set), and keep
# the control plane's pid in cp_pid.
: "${port:=$((20000 + RANDOM % 20000))}"
: "${sock:=$SBCNET_DIR/redis.sock}" "${redis_log:=$SBCNET_DIR/redis.log}"
: "${cp_log:=$SBCNET_DIR/controlplane.log}" "${cp_pid:=}"

R() { ip netns exec "$NS_SBC" redis-cli -p "$port" "$@"; }
# the redis-server's pid (to freeze it with SIGSTOP)
redis_server_pid() { R info server | tr -d '\r' | awk -F: '$1 == "process_id" { print $2 }'; }

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

start_cp() {	# [OPTION...]: sbc-controlplane's own (-q)
	ip netns exec "$NS_SBC" "$controlplane" "$@" -c "$conf" </dev/null >>"$cp_log" 2>&1 &
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

# e2e_redis_cp [OPTION...]: redis-server and the control plane (with OPTIONs) started, the
# control plane attached to the data plane with Redis up (a check), or the run stops
e2e_redis_cp() {
	start_redis || fatal "redis-server did not start"
	start_cp "$@"
	wait_for "control plane up beside the data plane, Redis up" 10 cp_ready || fatal "control plane"
}

# e2e_trunks CARRIER HOSTPORT [LINE...]: the rest of $conf after sbcnet_conf: the floor trunk
# routes to $route (default: trunk CARRIER), then the lines of $floor_extra; the sections of
# $extra_trunks; trunk CARRIER (role carrier, uri sip:HOSTPORT, peers its address /32, the
# LINEs, no OPTIONS); Redis on 127.0.0.1:$port
e2e_trunks() {
	local name=$1 hp=$2
	shift 2
	cat >>"$conf" <<EOC
role = floor
route = ${route:-$name}
${floor_extra:-}

${extra_trunks:-}
[trunk $name]
role = carrier
uri = sip:$hp
peers = ${hp%%[:;]*}/32
$(printf '%s\n' "$@")
options_interval = 0

[redis]
address = 127.0.0.1:$port
EOC
}

# sip_listens [u|t]: the B2BUA's SIP socket on $SBCNET_SBC4:5060 is open (UDP, or TCP)
sip_listens() { ip netns exec "$NS_SBC" ss -Hl"${1:-u}"n "sport = :5060" | grep -qF "$SBCNET_SBC4"; }
# e2e_sip_up [u|t]: waits for it (a check), or the run stops
e2e_sip_up() {
	local what=$SBCNET_SBC4:5060
	[ "${1:-u}" = t ] && what="TCP $what"
	wait_for "the B2BUA listens on $what" 15 sip_listens "${1:-u}" || fatal "no SIP socket"
}
# e2e_sbc_up [u|t]: sbc-dataplane on $conf, redis-server and the control plane (e2e_redis_cp),
# the B2BUA listening (e2e_sip_up), or the run stops
e2e_sbc_up() {
	sbcnet_start_dp "$dataplane" "$conf" || fatal "sbc-dataplane did not start"
	e2e_redis_cp
	e2e_sip_up "$@"
}

# e2e_cp_end: stop the control plane (SIGTERM): it exits 0 with no error in its log (checks);
# Redis shut down
e2e_cp_end() {
	stop_cp
	check_eq "sbc-controlplane exits 0" $? 0
	check_eq "no error in the control plane's log" "$(grep -c ': error:' "$cp_log")" 0
	R shutdown nosave >/dev/null 2>&1
}

# registrar_conf [SBC_LINE...]: $conf for the registrar's tests and benchmarks: sbcnet_conf's
# (unlisted = drop, the SBC_LINEs in [sbc]); pbx-floor routing to carrier-a, with $floor_extra
# lines; pbx-digest (auth = digest, realm digest.example) with $digest_extra lines; carrier-a
# at pb's address, no OPTIONS; Redis on 127.0.0.1:$port
registrar_conf() {
	sbcnet_conf "$conf" drop "$@"
	cat >>"$conf" <<EOC
${floor_extra:-}
role = floor
route = carrier-a

[trunk pbx-digest]
role = floor
auth = digest
realm = digest.example
${digest_extra:-}

[trunk carrier-a]
role = carrier
uri = sip:$SBCNET_PB4:5060
options_interval = 0

[redis]
address = 127.0.0.1:$port
EOC
}

# user_add TRUNK USER PASSWORD: sbcctl writes the user's HA1s to Redis, or the run stops
user_add() {
	echo "$3" | ip netns exec "$NS_SBC" "$sbcctl" -c "$conf" user add "$1" "$2" >/dev/null ||
		fatal "sbcctl user add $1 $2"
}
