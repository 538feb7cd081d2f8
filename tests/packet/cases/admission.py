# SPDX-License-Identifier: BSD-3-Clause
"""
Packet cases. Call admission: the CPS bucket (GCRA), concurrent calls, 503 + Retry-After,
retransmissions, what ends a call (BYE, CANCEL, a final response from the kernel side, Timer
B/C, max duration), emergency numbers, over_limit = drop.
"""

from harness import (Ether, IP, IPv6, LISTED4, PEER_MAC, Raw, SBC4, SBC6, SIP_PORT, T0, UDP, caps,
    case, dialog, end_all, fill, header_values, reply_sip, request, response, sip_msg, sip_split,
    to_tag)


def gcra(times, cps, burst):
    """The admissions dp_cps.h must make for new calls at these pcap times (s after T0)."""
    if cps == 0:
        return [True] * len(times)
    per, tat, out = 10 ** 9 // cps, 0, []
    tau = (max(burst, 1) - 1) * per
    for ts in times:
        now = (T0 * 1000000 + round(ts * 1000000)) * 1000
        base = max(tat, now)
        if base - now > tau:
            out.append(False)
        else:
            tat = base + per
            out.append(True)
    return out


def cancel_of(inv, src=LISTED4, sport=5062):
    """CANCEL of INVITE inv: same Via branch, Call-ID, From, To, CSeq number (RFC 3261 9.1)."""
    _, h, _ = sip_split(inv)
    cseq = header_values(h, 'cseq')[0].split()[0]
    return request('CANCEL', src=src, sport=sport, via=header_values(h, 'via')[0],
                   frm=header_values(h, 'from')[0], to=header_values(h, 'to')[0],
                   call_id=header_values(h, 'call-id')[0], cseq=int(cseq), body=b'')


def answer(inv, code, reason):
    """The kernel side's response to INVITE inv (what the B2BUA sends back to the caller)."""
    _, h, _ = sip_split(inv)
    return sip_msg(f'SIP/2.0 {code} {reason}', [
        ('Via', header_values(h, 'via')[0]), ('From', header_values(h, 'from')[0]),
        ('To', header_values(h, 'to')[0] + ';tag=sbc-b2bua-1'),
        ('Call-ID', header_values(h, 'call-id')[0]), ('CSeq', header_values(h, 'cseq')[0])])


def kernel_frame(t, payload, dst=LISTED4, dport=5062):
    """A UDP frame the kernel sends out of the tap: SBC:5060 -> the peer."""
    ipl = IPv6(src=SBC6, dst=dst) if ':' in dst else IP(src=SBC4, dst=dst)
    return bytes(Ether(src=t.wire_mac, dst=PEER_MAC) / ipl / UDP(sport=SIP_PORT, dport=dport) /
                 Raw(payload))


@case('caps_cps_50_in_1s', 'cps 5, burst 5: 50 new INVITEs in one second, exactly the bucket '
      'admitted, 503 + Retry-After for the rest, then BYEs: 0 active')
def _(t):
    caps(t, cps=5, burst=5)
    times = [i * 0.02 for i in range(50)]
    ok = gcra(times, 5, 5)
    admitted = []
    for ts, adm in zip(times, ok):
        t.at(ts)
        inv = request(src=LISTED4)
        f = t.udp(LISTED4, inv)
        t.rx(f)
        if adm:
            t.out_exc(f)
            admitted.append(inv)
        else:
            t.out_503(f)
    end_all(t, admitted, 1.5)
    n = sum(ok)
    assert n == 9, n       # full bucket of 5, then t = 0.2, 0.4, 0.6, 0.8 s
    t.expect(to_exception=2 * n, reject_sent=50 - n,
             trunks={'carrier-a': {'admitted': n, 'over_cps': 50 - n, 'over_calls': 0,
                                   'accepted': 2 * n, 'rejected': 50 - n, 'active_calls': 0,
                                   'ended_bye': n, 'retransmissions': 0}})


@case('caps_retransmissions', 'the same 50 INVITEs, each retransmitted 3 times: the same '
      'answers, no second token, identical 503s')
def _(t):
    caps(t, cps=5, burst=5)
    times = [i * 0.02 for i in range(50)]
    ok = gcra(times, 5, 5)
    admitted = []
    for ts, adm in zip(times, ok):
        inv = request(src=LISTED4)
        f = t.udp(LISTED4, inv)
        for k in range(4):                 # the original and 3 copies, 4 ms apart
            t.at(ts + k * 0.004)
            t.rx(f)
            if adm:
                t.out_exc(f)
            else:
                t.out_503(f)
        if adm:
            admitted.append(inv)
    end_all(t, admitted, 1.5)
    n = sum(ok)

    def same_tags(t, res):
        tags = [to_tag(reply_sip(fr)) for fr in res.wire_out]
        return [f'503 #{i}: To tag {tags[i]!r} differs from its first copy\'s {tags[i - i % 4]!r}'
                for i in range(len(tags)) if tags[i] != tags[i - i % 4]]
    t.checks.append(same_tags)
    t.expect(to_exception=4 * n + n, reject_sent=4 * (50 - n),
             trunks={'carrier-a': {'admitted': n, 'over_cps': 50 - n, 'retransmissions': 150,
                                   'active_calls': 0, 'ended_bye': n}})


@case('caps_in_dialog_free', 're-INVITE, ACK, PRACK, UPDATE, INFO, OPTIONS, BYE and responses '
      'take no token: cps 1, burst 2 still admits the second call')
def _(t):
    caps(t, cps=1, burst=2)
    a = request(src=LISTED4)
    t.rx(t.udp(LISTED4, a))
    t.out_exc(t.udp(LISTED4, a))
    t.at(0.1)
    for k, m in enumerate(['INVITE', 'ACK', 'PRACK', 'UPDATE', 'INFO', 'INVITE', 'INVITE']):
        f = t.udp(LISTED4, dialog(a, m, cseq=2 + k))
        t.rx(f)
        t.out_exc(f)
    f = t.udp(LISTED4, request('OPTIONS', src=LISTED4))
    t.rx(f)
    t.out_exc(f)
    f = t.udp(LISTED4, response(200, 'OK', src=LISTED4, dst=SBC4, dport=SIP_PORT))
    t.rx(f)
    t.out_exc(f)
    t.at(0.2)
    b = request(src=LISTED4)
    t.rx(t.udp(LISTED4, b))
    t.out_exc(t.udp(LISTED4, b))          # the bucket's second token is still there
    c = t.udp(LISTED4, request(src=LISTED4))
    t.rx(c)
    t.out_503(c)                          # and now it is empty
    end_all(t, [a, b], 0.3)
    t.expect(to_exception=13, reject_sent=1,
             trunks={'carrier-a': {'admitted': 2, 'over_cps': 1, 'active_calls': 0,
                                   'ended_bye': 2}})


@case('caps_cancel_releases', 'max_calls 1: a CANCEL ends the call, the next INVITE is admitted')
def _(t):
    caps(t, max_calls=1)
    a, b, c = (request(src=LISTED4) for _ in range(3))
    for m in (a,):
        t.rx(t.udp(LISTED4, m))
        t.out_exc(t.udp(LISTED4, m))
    fb = t.udp(LISTED4, b)
    t.rx(fb)
    t.out_503(fb)                         # over max_calls
    f = t.udp(LISTED4, cancel_of(a))
    t.rx(f)
    t.out_exc(f)
    t.rx(t.udp(LISTED4, c))
    t.out_exc(t.udp(LISTED4, c))
    end_all(t, [c], 0.1)
    t.expect(to_exception=4, reject_sent=1,
             trunks={'carrier-a': {'admitted': 2, 'over_calls': 1, 'ended_cancel': 1,
                                   'ended_bye': 1, 'active_calls': 0}})


@case('caps_final_response_releases', 'max_calls 1: the kernel side\'s 486 ends the call; a '
      '200 then BYE from the kernel side ends the next')
def _(t):
    caps(t, max_calls=1)
    a, b = request(src=LISTED4), request(src=LISTED4)
    # wire burst 1: INVITE a + 31 fillers; exception burst 1: the 486 + 31 kernel fillers;
    # wire burst 2: 1 filler + INVITE b; exception burst 2: 200 and BYE for b
    t.rx(t.udp(LISTED4, a))
    t.out_exc(t.udp(LISTED4, a))
    busy = kernel_frame(t, answer(a, 486, 'Busy Here'))
    t.rx_exc(busy)
    t.out_wire(busy)
    for _ in range(31):
        k = kernel_frame(t, request('OPTIONS', src=SBC4, sport=SIP_PORT))
        t.rx_exc(k)
        t.out_wire(k)
    fill(t)
    t.rx(t.udp(LISTED4, b))
    t.out_exc(t.udp(LISTED4, b))              # admitted: the 486 freed the slot
    ok = kernel_frame(t, answer(b, 200, 'OK'))
    bye = kernel_frame(t, dialog(b, 'BYE', src=SBC4, sport=SIP_PORT))
    t.rx_exc(ok, bye)
    t.out_wire(ok, bye)
    t.expect(to_exception=2 + 32, to_wire=34,
             trunks={'carrier-a': {'admitted': 2, 'ended_rejected': 1, 'ended_bye': 1,
                                   'over_calls': 0, 'active_calls': 0}})


@case('caps_forged_response_ignored', 'max_calls 1: the caller\'s own 486 for its admitted INVITE '
      '(a forged end) frees no slot; the next INVITE is still refused')
def _(t):
    caps(t, max_calls=1)
    a, b = request(src=LISTED4), request(src=LISTED4)
    t.rx(t.udp(LISTED4, a))
    t.out_exc(t.udp(LISTED4, a))
    forged = t.udp(LISTED4, answer(a, 486, 'Busy Here'))
    t.rx(forged)
    t.out_exc(forged)                         # passed on (the B2BUA ignores it), ends nothing
    fb = t.udp(LISTED4, b)
    t.rx(fb)
    t.out_503(fb)
    end_all(t, [a], 0.1)
    t.expect(to_exception=3, reject_sent=1,
             trunks={'carrier-a': {'admitted': 1, 'over_calls': 1, 'ended_rejected': 0,
                                   'ended_bye': 1, 'active_calls': 0}})


@case('caps_timer_b', 'an INVITE nobody answers ends after 32 s (Timer B); one answered with a '
      '180 lives on until 180 s (Timer C)')
def _(t):
    caps(t)
    a, b = request(src=LISTED4), request(src=LISTED4)
    for m in (a, b):
        t.rx(t.udp(LISTED4, m))
        t.out_exc(t.udp(LISTED4, m))
    ring = kernel_frame(t, answer(b, 180, 'Ringing'))
    t.rx_exc(ring)
    t.out_wire(ring)
    fill(t)
    t.at(31.9)
    fill(t, 1)                                # before 32 s: both alive
    t.at(33)
    fill(t, 1)                                # a expires, b rings on
    t.at(179)
    fill(t, 1)
    t.at(181)
    fill(t, 1)                                # b expires (Timer C)
    t.expect(to_exception=2 + 36, to_wire=1,
             trunks={'carrier-a': {'admitted': 2, 'ended_timer_b': 2, 'active_calls': 0}})


@case('caps_max_duration', 'an answered call whose BYE never comes ends at max_call_duration')
def _(t):
    caps(t, max_call_duration=60)
    a = request(src=LISTED4)
    t.rx(t.udp(LISTED4, a))
    t.out_exc(t.udp(LISTED4, a))
    ok = kernel_frame(t, answer(a, 200, 'OK'))
    t.rx_exc(ok)
    t.out_wire(ok)
    fill(t)
    t.at(59)
    fill(t, 1)
    t.at(61)
    fill(t, 1)
    t.expect(to_exception=1 + 34, to_wire=1,
             trunks={'carrier-a': {'admitted': 1, 'ended_max_duration': 1, 'ended_timer_b': 0,
                                   'active_calls': 0}})


@case('caps_emergency', 'cps 1 burst 1 max_calls 1, both used up: an INVITE to 911 (and to the '
      'configured 000) is still admitted, counted apart')
def _(t):
    caps(t, cps=1, burst=1, max_calls=1, emergency='911, 000')
    a = request(src=LISTED4)
    t.rx(t.udp(LISTED4, a))
    t.out_exc(t.udp(LISTED4, a))
    b = t.udp(LISTED4, request(src=LISTED4))
    t.rx(b)
    t.out_503(b)
    e1 = request(src=LISTED4, ruri=f'sip:911@{SBC4}', to=f'<sip:911@{SBC4}>')
    e2 = request(src=LISTED4, ruri='tel:000')
    for e in (e1, e2):
        t.rx(t.udp(LISTED4, e))
        t.out_exc(t.udp(LISTED4, e))
    n = t.udp(LISTED4, request(src=LISTED4, ruri=f'sip:933@{SBC4}'))  # not configured here
    t.rx(n)
    t.out_503(n)
    end_all(t, [a, e1, e2], 0.5)
    t.expect(to_exception=6, reject_sent=2,
             trunks={'carrier-a': {'admitted': 3, 'emergency': 2, 'over_cps': 2,
                                   'active_calls': 0, 'ended_bye': 3}})


@case('caps_over_limit_drop', 'over_limit = drop: refused INVITEs vanish, counted over_cps / '
      'over_calls')
def _(t):
    caps(t, cps=2, burst=2, max_calls=2, over_limit='drop')
    a, b = request(src=LISTED4), request(src=LISTED4)
    for m in (a, b):                         # the two tokens, the two call slots
        t.rx(t.udp(LISTED4, m))
        t.out_exc(t.udp(LISTED4, m))
    t.rx(t.udp(LISTED4, request(src=LISTED4)))   # no token
    t.at(0.001)
    t.rx(t.udp(LISTED4, request(src=LISTED4)))   # still none
    t.at(1.0)
    t.rx(t.udp(LISTED4, request(src=LISTED4)))   # a token again, but both slots taken
    end_all(t, [a, b], 1.1)
    t.expect(to_exception=4, reject_sent=0,
             drops={'over_calls': 1, 'over_cps': 2},
             trunks={'carrier-a': {'admitted': 2, 'over_calls': 1, 'over_cps': 2,
                                   'rejected': 3, 'active_calls': 0}})


@case('caps_max_calls', 'max_calls 2: the third INVITE gets 503, a BYE makes room for a fourth')
def _(t):
    caps(t, max_calls=2)
    inv = [request(src=LISTED4) for _ in range(4)]
    for m in inv[:2]:
        t.rx(t.udp(LISTED4, m))
        t.out_exc(t.udp(LISTED4, m))
    f = t.udp(LISTED4, inv[2])
    t.rx(f)
    t.out_503(f)
    f = t.udp(LISTED4, dialog(inv[0], 'BYE'))
    t.rx(f)
    t.out_exc(f)
    t.rx(t.udp(LISTED4, inv[3]))
    t.out_exc(t.udp(LISTED4, inv[3]))
    end_all(t, [inv[1], inv[3]], 0.1)
    t.expect(to_exception=6, reject_sent=1,
             trunks={'carrier-a': {'admitted': 3, 'over_calls': 1, 'ended_bye': 3,
                                   'active_calls': 0}})


@case('caps_malformed_listed', 'listed SIP the scanner rejects (no Call-ID, CSeq method not the '
      'request\'s, two Content-Lengths) is dropped sip_malformed, never passed on')
def _(t):
    caps(t, cps=1, burst=1)
    bad = [sip_msg('INVITE sip:x@' + SBC4 + ' SIP/2.0',
                   [('Via', f'SIP/2.0/UDP {LISTED4}:5062;branch=z9hG4bK-m1'),
                    ('From', '<sip:a@b>;tag=1'), ('To', '<sip:x@y>'), ('CSeq', '1 INVITE'),
                    ('Content-Length', '0')], content_length=False),
           request(src=LISTED4, extra=[('CSeq', '1 INVITE')]),
           sip_msg('OPTIONS sip:x@' + SBC4 + ' SIP/2.0',
                   [('Via', f'SIP/2.0/UDP {LISTED4}:5062;branch=z9hG4bK-m3'),
                    ('From', '<sip:a@b>;tag=1'), ('To', '<sip:x@y>'), ('Call-ID', 'm3'),
                    ('CSeq', '1 INVITE'), ('Content-Length', '0')], content_length=False)]
    for m in bad:
        t.rx(t.udp(LISTED4, m))
    a = request(src=LISTED4)                 # the token was not spent on them
    t.rx(t.udp(LISTED4, a))
    t.out_exc(t.udp(LISTED4, a))
    end_all(t, [a], 0.1)
    t.expect(to_exception=2, drops={'sip_malformed': 3},
             trunks={'carrier-a': {'malformed': 3, 'rejected': 3, 'admitted': 1,
                                   'active_calls': 0}})
