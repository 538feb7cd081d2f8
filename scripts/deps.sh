#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Installs the Debian 12 packages the build, the test suites and the demo need: only those
# missing (dpkg-query), with one `apt-get update` and one non-interactive `apt-get install`.
# Then builds libsrtp2 with OpenSSL crypto from Debian's own source package (Debian's binary
# libsrtp2 is built on NSS and several times slower) into $SBC_SRTP_PREFIX, once: skipped when
# that build is present (scripts/deps-srtp.sh).
# Nothing to install or build: works as any user. Something to do: needs root, else says what.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(
	build-essential meson ninja-build pkg-config clang	# build, fuzz suite
	dpdk dpdk-dev libdpdk-dev				# data plane
	libinih-dev libjansson-dev libcmocka-dev libpcap-dev	# config, telemetry, unit tests
	libsrtp2-dev libsofia-sip-ua-dev libhiredis-dev		# control plane (later issues)
	libssl-dev						# digest (MD5, SHA-256); libsrtp2's OpenSSL build, dp_srtp_crypto
	dpkg-dev						# apt-get source libsrtp2 (unpacks Debian's source)
	redis-server kamailio kamailio-tls-modules openssl	# real peers for e2e (TLS carrier: certificates)
	python3-scapy sip-tester sipsak tshark			# packet tests, SIP peers, captures
	sipvicious						# e2e: svmap, svwar, svcrack against the registrar
	dnsmasq-base						# e2e: a DNS server for RFC 3263 (NAPTR/SRV)
	iproute2 ethtool iputils-ping				# namespaces, offloads, ping
	linux-perf						# bench: where the worker's cycles go
	rtpengine-daemon iptables				# bench: the relay next to rtpengine (userspace)
)

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#pkgs[@]} packages installed"
	exec bash scripts/deps-srtp.sh
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run as root (sudo $0) or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer it beforehand (no: root captures)
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections

# Installing redis-server or kamailio would start them as services on the host's own ports; the
# tests start their own instances in namespaces. Where no policy exists (a container usually has
# one), forbid service starts for the length of this install only.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# temporary, from sbc scripts/deps.sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi

apt-get update -q </dev/null
apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confdef \
	-o Dpkg::Options::=--force-confold "${missing[@]}" </dev/null
echo "deps: installed ${#missing[@]} package(s)"
bash scripts/deps-srtp.sh
