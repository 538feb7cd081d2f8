# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
#
# TLS for the e2e scripts that reach a carrier over SIP/TLS (test_tls_e2e.sh, test_srtp_e2e.sh),
# sourced after e2e_begin ($SBCNET_DIR exists):
#   tls_mkcert NAME SUBJECT [CA-NAME SAN]   certificates made at test time with `openssl req`
#       (EC P-256, 2 days) in $pki: NAME.key + NAME.crt, a CA (self-signed) or a leaf signed by
#       CA-NAME whose subjectAltName is SAN ("IP:..., DNS:...")
#   tls_carrier_start CERT-NAME UAS_PORT    Kamailio in pb-ID (kamailio_tls_carrier.cfg) on
#       tls:$SBCNET_PB4:$TLS_PORT with $pki/CERT-NAME.{crt,key}, proxying calls over UDP to a
#       UAS on $SBCNET_PB4:UAS_PORT; logs into kamailio.log, pid in kam_pid; status 0 once it
#       listens
#   tls_carrier_stop
# Nothing is kept between runs: no key file is in the repository.
: "${pki:=$SBCNET_DIR/pki}" "${TLS_PORT:=5061}" "${kam_pid:=}"

mkdir -p "$pki"
cat >"$pki/ext.cnf" <<'EOC'
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOC

tls_mkcert() {
	local name=$1 subj=$2 ca=${3:-} san=${4:-}
	local args=(-config "$pki/ext.cnf" -x509 -days 2 -nodes -newkey ec
		-pkeyopt ec_paramgen_curve:prime256v1 -keyout "$pki/$name.key" -out "$pki/$name.crt"
		-subj "$subj")
	if [ -z "$ca" ]; then
		args+=(-extensions ca)
	else
		args+=(-extensions leaf -CA "$pki/$ca.crt" -CAkey "$pki/$ca.key" -addext "subjectAltName = $san")
	fi
	openssl req "${args[@]}" >"$pki/$name.log" 2>&1 && chmod 600 "$pki/$name.key"
}

tls_listening() {	# NS PROTO(u|t) ADDR PORT
	ip netns exec "$1" ss -Hl"$2"n "sport = :$4" | grep -qF "$3:$4"
}

tls_carrier_start() {
	: >>"$SBCNET_DIR/kamailio.log"
	ip netns exec "$NS_PB" kamailio -f "$(dirname "${BASH_SOURCE[0]}")/kamailio_tls_carrier.cfg" \
		-DD -E -l "tls:$SBCNET_PB4:$TLS_PORT" -l "udp:$SBCNET_PB4:5060" -Y "$SBCNET_DIR" \
		-A "UAS_URI=\"sip:$SBCNET_PB4:$2\"" -A "TLS_CERT=\"$pki/$1.crt\"" \
		-A "TLS_KEY=\"$pki/$1.key\"" -A "TLS_CA=\"$pki/ca.crt\"" \
		</dev/null >>"$SBCNET_DIR/kamailio.log" 2>&1 &
	kam_pid=$!
	poll_until 20 tls_listening "$NS_PB" t "$SBCNET_PB4" "$TLS_PORT"
}

tls_carrier_stop() {
	[ -n "$kam_pid" ] || return 0
	kill -TERM "$kam_pid" 2>/dev/null
	wait "$kam_pid" 2>/dev/null
	kam_pid=''
}
