# SPDX-License-Identifier: BSD-3-Clause
"""
Packet cases. SRTP on the media relay (issue 12): a leg with an SDES suite and known keys
(sbc_media_leg key_rx / key_tx), the other leg plain RTP or SRTP with other keys. The expected
frames are computed independently of the data plane: tests/packet/srtp_ref.c protects and
unprotects with libsrtp2's own API linked against Debian's NSS build (the data plane uses the
OpenSSL build through dataplane/dp_srtp.c). A wrong tag and a replayed packet are dropped and
counted (srtp_auth, srtp_replay) and nothing of them goes out.
"""

import os
import subprocess

from harness import SBC4, SBC6, Skip, case, wire_addr
from cases.media import (A4, A6, B4, LEG, MAC_A, MAC_B, inp, learn, media_set, media_totals,
                         on_link, out, rtcp_rr, rtp)

SUITES = {'AES_CM_128_HMAC_SHA1_80': (1, 30), 'AES_CM_128_HMAC_SHA1_32': (2, 30),
          'AEAD_AES_128_GCM': (3, 28)}
# the keys of leg 0 (what its remote sends us / what we send it) and of leg 1 when it is SRTP
K0_RX = bytes(range(0x10, 0x10 + 30))
K0_TX = bytes(range(0x40, 0x40 + 30))
K1_RX = bytes(range(0x80, 0x80 + 30))
K1_TX = bytes(range(0xb0, 0xb0 + 30))


def srtp_ref(op, suite, key, packets):
    """Run tests/packet/srtp_ref (one libsrtp2 session for the whole list, so the rollover
    counter and the replay window carry across): [(is_rtcp, bytes)] -> [bytes or None]."""
    tool = os.environ.get('SBC_SRTP_REF')
    if not tool or not os.access(tool, os.X_OK):
        raise Skip('SBC_SRTP_REF does not name the srtp_ref binary (meson sets it)')
    keylen = SUITES[suite][1]
    lines = ''.join(('C ' if rtcp else 'R ') + p.hex() + '\n' for rtcp, p in packets)
    r = subprocess.run([tool, op, suite, key[:keylen].hex()], input=lines, text=True,
                       capture_output=True, check=True)
    return [None if ln.startswith('ERR') else bytes.fromhex(ln) for ln in r.stdout.splitlines()]


def sleg(local, lport, remote, rport, suite=None, krx=b'', ktx=b''):
    """struct sbc_media_leg with the SRTP suite and keys (padded to SBC_SRTP_KEY_MAX)."""
    fam, la = wire_addr(local)
    _, ra = wire_addr(remote)
    s = SUITES[suite][0] if suite else 0
    return LEG.pack(fam, 0, s, 0, 0, lport, rport, rport + 1, la, ra, krx, ktx)


def setup(t, suite, leg1_srtp=False, sa=SBC4, a=A4, sb=SBC4, b=B4):
    on_link(t)
    learn(t, a, MAC_A)
    learn(t, b, MAC_B)
    l1 = sleg(sb, 20002, b, 50000, suite, K1_RX, K1_TX) if leg1_srtp else \
        sleg(sb, 20002, b, 50000)
    media_set(t, 1, sleg(sa, 20000, a, 40000, suite, K0_RX, K0_TX), l1)


def srtp_rtp_case(t, suite, sa=SBC4, a=A4, sb=SBC4, b=B4):
    """Leg 0 SRTP (remote a), leg 1 plain (remote b): a's SRTP and SRTCP arrive plain at b;
    b's RTP and RTCP arrive at a protected with leg 0's key_tx, as libsrtp2 would."""
    setup(t, suite, sa=sa, a=a, sb=sb, b=b)
    plain_a = [(False, rtp(65534)), (False, rtp(65535)), (False, rtp(0)), (True, rtcp_rr())]
    plain_b = [(False, rtp(100, pt=8, ssrc=0x0badcafe)), (False, rtp(101, pt=8, ssrc=0x0badcafe)),
               (True, rtcp_rr(fraction=3))]
    from_a = srtp_ref('protect', suite, K0_RX, plain_a)
    to_a = srtp_ref('protect', suite, K0_TX, plain_b)
    frames, want = [], []
    for (rtcp, p), s in zip(plain_a, from_a):
        port = 1 if rtcp else 0
        frames.append(inp(t, a, 40000 + port, sa, 20000 + port, s, MAC_A))
        want.append(out(t, sb, 20002 + port, b, 50000 + port, p, MAC_B,
                        ident=0 if ':' in a else 0x1234))
    for (rtcp, p), s in zip(plain_b, to_a):
        port = 1 if rtcp else 0
        frames.append(inp(t, b, 50000 + port, sb, 20002 + port, p, MAC_B))
        want.append(out(t, sa, 20000 + port, a, 40000 + port, s, MAC_A,
                        ident=0 if ':' in b else 0x1234))
    t.rx(*frames)
    t.out_wire(*want)
    t.expect(to_exception=2, media_relayed=len(frames))
    t.checks.append(media_totals(sessions=1, relayed=len(frames)))


@case('srtp_rtp_aes_cm_80', 'AES_CM_128_HMAC_SHA1_80 leg to a plain leg: SRTP/SRTCP -> RTP/RTCP '
      'across a sequence wrap, and RTP/RTCP -> SRTP/SRTCP, byte for byte as libsrtp2 makes them')
def _(t):
    srtp_rtp_case(t, 'AES_CM_128_HMAC_SHA1_80')


@case('srtp_rtp_aes_cm_32', 'AES_CM_128_HMAC_SHA1_32 (SRTCP with the 80-bit tag) to plain RTP '
      'and back, byte for byte')
def _(t):
    srtp_rtp_case(t, 'AES_CM_128_HMAC_SHA1_32')


@case('srtp_rtp_gcm_v6', 'AEAD_AES_128_GCM on an IPv6 leg bridged to a plain IPv4 leg and back, '
      'byte for byte (UDP checksums whole after the payload changed)')
def _(t):
    srtp_rtp_case(t, 'AEAD_AES_128_GCM', sa=SBC6, a=A6, sb=SBC4, b=B4)


@case('srtp_both_legs', 'SRTP on both legs with other keys: decrypted with leg 0\'s key_rx, '
      'encrypted with leg 1\'s key_tx, byte for byte')
def _(t):
    suite = 'AES_CM_128_HMAC_SHA1_80'
    setup(t, suite, leg1_srtp=True)
    plain = [(False, rtp(7)), (False, rtp(8)), (True, rtcp_rr())]
    sent = srtp_ref('protect', suite, K0_RX, plain)
    want = srtp_ref('protect', suite, K1_TX, plain)
    t.rx(*[inp(t, A4, 40000 + r, SBC4, 20000 + r, s, MAC_A)
           for (r, _), s in zip(plain, sent)])
    t.out_wire(*[out(t, SBC4, 20002 + r, B4, 50000 + r, w, MAC_B)
                 for (r, _), w in zip(plain, want)])
    t.expect(to_exception=2, media_relayed=3)


@case('srtp_bad_tag_replay', 'SRTP leg: a packet with one tag bit flipped, one with a payload '
      'bit flipped (srtp_auth), the same packet twice and an SRTCP twice (srtp_replay): dropped; '
      'the genuine ones relayed, plain')
def _(t):
    suite = 'AES_CM_128_HMAC_SHA1_80'
    setup(t, suite)
    plain = [(False, rtp(1)), (False, rtp(2)), (True, rtcp_rr())]
    s1, s2, c1 = srtp_ref('protect', suite, K0_RX, plain)
    bad_tag = bytearray(s2)
    bad_tag[-1] ^= 0x01
    bad_body = bytearray(s2)
    bad_body[20] ^= 0x80
    frames = [inp(t, A4, 40000, SBC4, 20000, bytes(bad_tag), MAC_A),   # before the genuine one
              inp(t, A4, 40000, SBC4, 20000, s1, MAC_A),
              inp(t, A4, 40000, SBC4, 20000, s1, MAC_A),               # replay
              inp(t, A4, 40000, SBC4, 20000, bytes(bad_body), MAC_A),
              inp(t, A4, 40000, SBC4, 20000, s2, MAC_A),               # still accepted
              inp(t, A4, 40001, SBC4, 20001, c1, MAC_A),
              inp(t, A4, 40001, SBC4, 20001, c1, MAC_A)]               # SRTCP replay
    t.rx(*frames)
    t.out_wire(out(t, SBC4, 20002, B4, 50000, plain[0][1], MAC_B),
               out(t, SBC4, 20002, B4, 50000, plain[1][1], MAC_B),
               out(t, SBC4, 20003, B4, 50001, plain[2][1], MAC_B))
    t.expect(to_exception=2, media_relayed=3, drops={'srtp_auth': 2, 'srtp_replay': 2})


@case('srtp_plain_on_srtp_leg', 'plain RTP (no tag) sent to an SRTP leg: srtp_auth, never '
      'relayed; a truncated packet: srtp_malformed')
def _(t):
    setup(t, 'AEAD_AES_128_GCM')
    p = rtp(5)
    t.rx(inp(t, A4, 40000, SBC4, 20000, p, MAC_A),
         inp(t, A4, 40000, SBC4, 20000, p[:20], MAC_A))
    t.expect(to_exception=2, drops={'srtp_auth': 1, 'srtp_malformed': 1})
