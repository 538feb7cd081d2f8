#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# libsrtp2 with OpenSSL crypto, built from Debian's own source package (run by scripts/deps.sh).
# Debian's binary libsrtp2 (libsrtp2-dev, kept installed: the SRTP benchmark measures both) uses
# NSS and is several times slower per packet. This builds the same Debian version with
# `--enable-openssl` as a static library into $SBC_SRTP_PREFIX (default /opt/sbc/libsrtp2-openssl)
# and writes the pkg-config file `libsrtp2-openssl.pc` into /usr/local/lib/pkgconfig (on
# pkg-config's default path), so meson finds it with no environment; a distinct name, so Debian's
# libsrtp2.pc (NSS) stays what `libsrtp2` means. Nothing goes on the run-time library path.
#
# Idempotent: skipped when the prefix's stamp names the same Debian source version and the .pc is
# in place; rebuilt when either is missing (a fresh machine, a deleted prefix) or the version
# changed. Adds a `deb-src` entry next to the system's Debian entries when none exists
# (/etc/apt/sources.list.d/sbc-deb-src.sources). Needs root only when something is to be done.
set -euo pipefail

prefix=${SBC_SRTP_PREFIX:-/opt/sbc/libsrtp2-openssl}
pcdir=/usr/local/lib/pkgconfig
pc=$pcdir/libsrtp2-openssl.pc
stamp=$prefix/.sbc-build
# the Debian version of the source to build: the one of the installed libsrtp2-dev (the NSS build
# beside which the benchmark puts this one)
want=$(dpkg-query -W -f='${Version}' libsrtp2-dev 2>/dev/null || true)
if [ -z "$want" ]; then
	echo "deps-srtp: libsrtp2-dev is not installed (scripts/deps.sh installs it first)" >&2
	exit 1
fi
conf_opts=(--enable-openssl --disable-pcap --prefix="$prefix")
sig="libsrtp2 $want ${conf_opts[*]}"

built() {
	[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sig" ] && [ -f "$prefix/lib/libsrtp2.a" ] &&
		[ -f "$pc" ]
}
if built; then
	echo "deps-srtp: libsrtp2 $want (OpenSSL) present in $prefix"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps-srtp: libsrtp2 with OpenSSL not built in $prefix; run as root: sudo $0" >&2
	exit 1
fi
# two test runs starting at once on a fresh machine: one builds, the other then finds it built
exec 8>/run/lock/sbc-deps-srtp.lock
flock 8
if built; then
	echo "deps-srtp: libsrtp2 $want (OpenSSL) present in $prefix"
	exit 0
fi

# apt-get source needs a deb-src entry: the system's own Debian entries, as deb-src
have_src() {
	grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null
}
if ! have_src; then
	src=/etc/apt/sources.list.d/sbc-deb-src.sources
	: >"$src.tmp"
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# deb822 stanzas for Debian's archive only (not third-party repositories)
		awk 'BEGIN { RS = ""; ORS = "\n\n" }
		     /URIs:[^\n]*debian\.org/ && /Types:[^\n]*deb/ {
			sub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f" >>"$src.tmp"
	done
	if [ -f /etc/apt/sources.list ]; then
		sed -n 's/^deb \(.*debian\.org.*\)$/deb-src \1/p' /etc/apt/sources.list >"${src%.sources}.list.tmp"
		if [ -s "${src%.sources}.list.tmp" ]; then
			mv "${src%.sources}.list.tmp" "${src%.sources}.list"
		else
			rm -f "${src%.sources}.list.tmp"
		fi
	fi
	if [ -s "$src.tmp" ]; then
		mv "$src.tmp" "$src"
	else
		rm -f "$src.tmp"
	fi
	have_src || { echo "deps-srtp: no Debian entry in the apt sources to add deb-src for" >&2; exit 1; }
	echo "deps-srtp: added deb-src entries ($src)"
	apt-get update -q </dev/null
fi

work=$(mktemp -d /var/tmp/sbc-libsrtp2.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"	# apt-get source downloads as the _apt user
chown _apt "$work" 2>/dev/null || true
echo "deps-srtp: building libsrtp2 $want with OpenSSL in $work"
(cd "$work" && apt-get source -q "libsrtp2=$want" </dev/null) ||
	(apt-get update -q </dev/null && cd "$work" && apt-get source -q "libsrtp2=$want" </dev/null)
srcdir=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'libsrtp2-*' | head -n 1)
[ -n "$srcdir" ] || { echo "deps-srtp: apt-get source unpacked nothing" >&2; exit 1; }
(
	cd "$srcdir"
	CFLAGS="-O2 -g -fPIC" ./configure "${conf_opts[@]}" >"$work/configure.log" 2>&1 ||
		{ tail -n 30 "$work/configure.log" >&2; exit 1; }
	grep -q '^#define OPENSSL 1' crypto/include/config.h 2>/dev/null || grep -q '^#define OPENSSL 1' config.h ||
		{ echo "deps-srtp: configure did not select OpenSSL" >&2; exit 1; }
	make -j"$(nproc)" libsrtp2.a >"$work/make.log" 2>&1 || { tail -n 30 "$work/make.log" >&2; exit 1; }
	rm -rf "$prefix"
	mkdir -p "$prefix/lib" "$prefix/include/srtp2"
	install -m 644 libsrtp2.a "$prefix/lib/"
	# auth.h, cipher.h, crypto_types.h: the interface dataplane/dp_srtp_crypto.c replaces
	# libsrtp2's HMAC-SHA1 and AES-CM through
	install -m 644 include/srtp.h crypto/include/auth.h crypto/include/cipher.h \
		crypto/include/crypto_types.h "$prefix/include/srtp2/"
)
mkdir -p "$pcdir"
cat >"$pc" <<PC
# written by sbc scripts/deps-srtp.sh: libsrtp2 $want from Debian's source, OpenSSL crypto, static
prefix=$prefix
Name: libsrtp2-openssl
Description: libsrtp2 with OpenSSL crypto (static)
Version: ${want%%-*}
Requires.private: libcrypto
Libs: \${prefix}/lib/libsrtp2.a -lcrypto
Cflags: -I\${prefix}/include
PC
echo "$sig" >"$stamp"
echo "deps-srtp: libsrtp2 $want (OpenSSL) installed in $prefix ($pc)"
