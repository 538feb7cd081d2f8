#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds one libFuzzer target with clang (ASan + UBSan) and runs it for a bounded time, seeded
# from the SIP corpora the repository carries in tests/data/sip (fuzz_srtp: a few RTP shapes;
# fuzz_sdp: the SDPs among them; fuzz_register: REGISTERs with credentials, and the corpora;
# fuzz_worker: bursts of frames for each of the worker's paths, worker_seeds.py; fuzz_config:
# config_seeds/ and README's examples).
# usage: run_fuzz.sh TARGET SECONDS SRCDIR BUILDDIR
set -euo pipefail
target=$1 secs=$2 src=$3 out=$4
command -v clang >/dev/null || { echo "SKIP: clang not installed"; exit 77; }
mkdir -p "$out/fuzz-$target/corpus"
bin="$out/fuzz-$target/$target"
if [ "$target" = fuzz_srtp ]; then
	# dp_srtp on the libsrtp2 meson chose (the OpenSSL build when scripts/deps.sh made it)
	srtp_pc=libsrtp2-openssl
	pkg-config --exists "$srtp_pc" || srtp_pc=libsrtp2
	units=("$src/dataplane/dp_srtp.c" "$src/common/sbc_channel.c")
	read -r -a libs <<<"$(pkg-config --cflags --libs "$srtp_pc")"
elif [ "$target" = fuzz_register ] || [ "$target" = fuzz_sdp ]; then
	# the control plane's code on Sofia-SIP (the library itself is not instrumented: its loops
	# show as timeouts or out-of-memory, its reads past a buffer only where they reach ours):
	# the registrar's checks before Redis (cp_digest for the hashes), or the SDP rewrite
	if [ "$target" = fuzz_register ]; then
		units=("$src/controlplane/cp_regauth.c" "$src/controlplane/cp_regcache.c"
			"$src/controlplane/cp_digest.c")
	else
		units=("$src/controlplane/cp_sdp.c" "$src/common/sbc_channel.c")
	fi
	read -r -a libs <<<"$(pkg-config --cflags --libs sofia-sip-ua libcrypto)"
	libs=(-I"$src/controlplane" "${libs[@]}")
elif [ "$target" = fuzz_config ]; then
	units=("$src/common/sbc_config.c" "$src/common/sbc_cidr.c" "$src/common/sbc_channel.c")
	read -r -a libs <<<"$(pkg-config --cflags --libs inih)"
	libs=(-D_GNU_SOURCE "${libs[@]}")
elif [ "$target" = fuzz_worker ]; then
	# the whole data plane but its main() (dp_main.c) on DPDK, libsrtp2 as fuzz_srtp takes it
	# (its own crypto, not dp_srtp_crypto.c's), EAL without hugepages in the target
	srtp_pc=libsrtp2-openssl
	pkg-config --exists "$srtp_pc" || srtp_pc=libsrtp2
	mapfile -t units < <(ls "$src"/dataplane/*.c "$src"/common/*.c |
		grep -v -e '/dp_main\.c$' -e '/dp_srtp_crypto\.c$')
	read -r -a libs <<<"$(pkg-config --cflags --libs libdpdk "$srtp_pc" inih)"
	libs=(-D_GNU_SOURCE -DALLOW_EXPERIMENTAL_API "${libs[@]}")
else
	units=("$src/dataplane/dp_parse.c" "$src/dataplane/dp_sip_reply.c" "$src/dataplane/dp_drops.c"
		"$src/dataplane/dp_sip.c")
	libs=()
fi
clang -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$src/dataplane" -I"$src/common" -I"$src/tests/lib" "$src/tests/fuzz/$target.c" \
	"${units[@]}" "${libs[@]}" \
	-o "$bin"

corpus="$out/fuzz-$target/corpus"
seeds="$src/tests/data/sip"
[ -d "$seeds" ] || { echo "FAIL: $seeds is absent (part of the repository)"; exit 1; }
# copy_corpora DIR...: every file of these folders of $seeds into the corpus, named by folder
copy_corpora() {
	local d f
	for d in "$@"; do
		[ -d "$seeds/$d" ] || continue
		find "$seeds/$d" -type f | while read -r f; do
			cp -f "$f" "$corpus/${d%%/*}-$(basename "$f")"
		done
	done
}
if [ "$target" = fuzz_srtp ]; then
	# a mode byte (suite, RTCP, round trip) and an RTP / RTCP packet: a few shapes to start from
	printf '\x20\x80\x00\x12\x34\x00\x00\x00\xa0\xca\xfe\xba\xbe%0160d' 0 >"$corpus/rtp-roundtrip"
	printf '\x31\x81\xc9\x00\x07\xca\xfe\xba\xbe%024d' 0 >"$corpus/rtcp-roundtrip"
	printf '\x02\x90\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01\xbe\xde\x00\x01\x10\xff\x00\x00%032d' 0 \
		>"$corpus/rtp-ext"
	echo "fuzz: 3 seeds"
elif [ "$target" = fuzz_sdp ]; then
	# a mode byte (offer or answer, either leg SDES or IPv6, a codec list) before each SDP: the
	# Sofia-SIP and pjsip SDP tests and every SDP body of the SIP corpora
	/usr/bin/python3 - "$seeds" "$corpus" <<'PY'
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
bodies = []
for r, _, fs in sorted(os.walk(src)):
    for f in sorted(fs):
        path = os.path.join(r, f)
        if f.endswith('.zip'):
            if 'sdp' in f:
                z = zipfile.ZipFile(path)
                bodies += [z.read(n) for n in z.namelist() if not n.endswith('/')]
            continue
        if f.endswith('.tar.gz'):
            continue
        b = open(path, 'rb').read()
        i = b.find(b'v=0')
        if i >= 0:
            bodies.append(b[i:i + 4000])
n = 0
for i, b in enumerate(bodies):
    for mode in (0x00, 0x01, 0x06, 0x09, 0x20, 0x14):
        open(os.path.join(dst, 'sdp-%04d-%02x' % (i, mode)), 'wb').write(bytes([mode]) + b)
        n += 1
print('fuzz: %d seeds from %d SDPs' % (n, len(bodies)))
PY
elif [ "$target" = fuzz_register ]; then
	# REGISTERs with Digest credentials for the target's realm (MD5 and SHA-256, qop=auth,
	# another realm's first, a Proxy-Authorization, none), "@NONCE@" standing for a nonce of
	# ours (the target fills it in), and every SIP message of the corpora
	/usr/bin/python3 - "$corpus" <<'PY'
import os, sys
head = ('REGISTER sip:digest.example SIP/2.0\r\n'
        'Via: SIP/2.0/UDP 198.51.100.21:5090;branch=z9hG4bK{n}\r\nMax-Forwards: 70\r\n'
        'From: <sip:alice@digest.example>;tag=1\r\nTo: <sip:alice@digest.example>\r\n'
        'Call-ID: c{n}@198.51.100.21\r\nCSeq: 2 REGISTER\r\n'
        'Contact: <sip:alice@198.51.100.21:5090>;expires=60\r\n{auth}Content-Length: 0\r\n\r\n')
cred = ('Authorization: Digest username="alice", realm="{realm}", nonce="@NONCE@", '
        'uri="sip:digest.example", response="{resp}", algorithm={alg}, qop=auth, '
        'nc=0000000{nc}, cnonce="0a4f113b"\r\n')
auths = [cred.format(realm='digest.example', resp='0' * 32, alg='MD5', nc=1),
         cred.format(realm='digest.example', resp='0' * 64, alg='SHA-256', nc=2),
         cred.format(realm='other.example', resp='0' * 32, alg='MD5', nc=1) +
         cred.format(realm='digest.example', resp='0' * 32, alg='MD5', nc=3),
         'Proxy-Authorization: Digest username="bob", realm="digest.example", '
         'nonce="@NONCE@"\r\n', '']
for n, a in enumerate(auths):
    open(os.path.join(sys.argv[1], 'register-%d' % n), 'w').write(head.format(n=n, auth=a))
print('fuzz: %d REGISTER seeds' % len(auths))
PY
	copy_corpora rfc4475 rfc5118 sofia-sip-tests/sip kamailio-test-sip cve-pocs
elif [ "$target" = fuzz_worker ]; then
	/usr/bin/python3 "$src/tests/fuzz/worker_seeds.py" "$seeds" "$corpus"
elif [ "$target" = fuzz_config ]; then
	# a mode byte (even: a configuration file, odd: lines of prefixes) before each: every
	# key of the reference (config_seeds/full.conf), README's examples, prefixes
	/usr/bin/python3 - "$src" "$corpus" <<'PY'
import os, re, sys
src, out = sys.argv[1], sys.argv[2]
d = os.path.join(src, 'tests', 'fuzz', 'config_seeds')
seeds = [b'\0' + open(os.path.join(d, 'full.conf'), 'rb').read(),
         b'\1' + open(os.path.join(d, 'prefixes.txt'), 'rb').read()]
readme = open(os.path.join(src, 'README.md')).read()
seeds += [b'\0' + b.encode() for b in re.findall(r'```ini\n(.*?)```', readme, re.S)]
for i, b in enumerate(seeds):
    open(os.path.join(out, 'config-%d' % i), 'wb').write(b)
print('fuzz: %d configuration seeds' % len(seeds))
PY
elif [ "$target" = fuzz_frame ]; then
	# wrap each SIP message in Ethernet/IPv4/UDP so the frame target reaches the builder
	/usr/bin/python3 - "$seeds" "$corpus" <<'PY'
import os, struct, sys
src, dst = sys.argv[1], sys.argv[2]
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
n = 0
for d in ('rfc4475', 'rfc5118', 'sofia-sip-tests', 'kamailio-test-sip', 'cve-pocs'):
    files = sorted(os.path.join(r, f) for r, _, fs in os.walk(os.path.join(src, d)) for f in fs)
    for f in files:
        sip = open(f, 'rb').read()[:1400]
        udp = struct.pack('!HHHH', 5062, 5060, 8 + len(sip), 0) + sip
        ip = bytearray(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                                   bytes([203, 0, 113, 9]), bytes([198, 51, 100, 10])))
        ip[10:12] = struct.pack('!H', csum(bytes(ip)))
        eth = bytes.fromhex('020000000010020000000001') + b'\x08\x00'
        open(os.path.join(dst, 'seed-%04d' % n), 'wb').write(eth + bytes(ip) + udp)
        n += 1
print('fuzz: %d seeds' % n)
PY
else
	if [ "$target" = fuzz_sip_scan ]; then
		# PROTOS c07-sip: every case's INVITE, placeholders filled the way the packet
		# suite fills them (its own function, imported)
		/usr/bin/python3 - "$src/tests/packet" "$corpus" <<'PY' || true
import os, sys, tempfile
sys.path.insert(0, sys.argv[1])
import sbc_packet_test as t
try:
    cases = t.protos_invites(tempfile.mkdtemp(prefix='protos-'))
except t.Skip as e:
    print('fuzz: no PROTOS seeds (%s)' % e)
    sys.exit(0)
n = 0
for num, inv in cases:
    if len(inv) <= 65535:
        open(os.path.join(sys.argv[2], 'protos-%04d' % num), 'wb').write(inv)
        n += 1
print('fuzz: %d PROTOS seeds' % n)
PY
	fi
	copy_corpora rfc4475 rfc5118 sofia-sip-tests kamailio-test-sip cve-pocs
fi
# -max_total_time bounds the run; crashes exit non-zero and leave crash-* files in $out
cd "$out/fuzz-$target"
maxlen=4096
[ "$target" = fuzz_sip_scan ] && maxlen=65535
[ "$target" = fuzz_worker ] && maxlen=16384	# a burst of 32 frames
# fuzz_worker: EAL's and the data plane's memory stay allocated at exit (no leak check there;
# the target checks the mbufs itself after each input)
leaks=1
[ "$target" = fuzz_worker ] && leaks=0
ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=$leaks" \
"$bin" -max_total_time="$secs" -max_len="$maxlen" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	"$corpus" 2>&1 | grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss|==|SUMMARY|fuzz:|fuzz_worker:|INFO: seed)" || true
rc=${PIPESTATUS[0]}
# fuzz_worker removes its channel's shm at exit; a finding ends it without atexit: the shm of a
# process no longer running goes here
for f in /dev/shm/fuzz-worker-*; do
	[ -e "$f" ] && ! kill -0 "${f##*-}" 2>/dev/null && rm -f "$f"
done
exit "$rc"
