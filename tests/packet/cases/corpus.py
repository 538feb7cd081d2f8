# SPDX-License-Identifier: BSD-3-Clause
"""
Packet cases. The SIP corpora of tests/data/sip (RFC 4475/5118, Sofia-SIP, Kamailio, CVE inputs,
PROTOS c07-sip) through the real worker: accounting and generic checks of every 403.
"""

import ipaddress
import os
import re
import shutil
import tarfile

from harness import (Ether, IP, IPv6, LISTED4, LISTED6, PEER_MAC, Reply403, SBC4, SBC6, SIP_PORT,
    Skip, UDP, UNLISTED4, UNLISTED6, caps, case, corpus_dir, fill, header_values, norm,
    raw_udp_frames, reject_case, request, sip_split, summary, to_tag)


CORPUS_ANSWER_DROPS = ('sip_unlisted', 'reject_ratelimited')


def corpus_files(folder):
    root = os.path.join(corpus_dir(), folder)
    if not os.path.isdir(root):
        raise Skip(f'{root} is absent')
    out = []
    for dp_, dirs, files in os.walk(root):
        dirs.sort()
        for fn in sorted(files):
            with open(os.path.join(dp_, fn), 'rb') as f:
                out.append((os.path.relpath(os.path.join(dp_, fn), corpus_dir()), f.read()))
    if not out:
        raise Skip(f'{root} holds no files')
    return out


def generic_403_errors(where, got, wire_mac, src_ip):
    """What every 403 must satisfy, whatever request it answers."""
    errs = []
    try:
        r = Ether(got)
    except Exception as e:
        return [f'{where}: does not dissect ({e})']
    v6 = IPv6 in r
    ipl = r[IPv6] if v6 else r[IP] if IP in r else None
    if ipl is None or UDP not in r:
        return [f'{where}: not UDP over IP: {summary(got)}']
    sbc = SBC6 if v6 else SBC4
    if r.dst != PEER_MAC or r.src != wire_mac:
        errs.append(f'{where}: Ether {r.src} -> {r.dst}, want {wire_mac} -> {PEER_MAC}')
    if ipaddress.ip_address(ipl.src) != ipaddress.ip_address(sbc) or \
            ipaddress.ip_address(ipl.dst) != ipaddress.ip_address(src_ip):
        errs.append(f'{where}: IP {ipl.src} -> {ipl.dst}, want {sbc} -> {src_ip}')
    c = ipl.copy()
    if not v6:
        del c.chksum
    del c[UDP].chksum
    fixed = (IPv6 if v6 else IP)(bytes(c))
    if not v6 and fixed.chksum != ipl.chksum:
        errs.append(f'{where}: IP checksum {ipl.chksum:#x}, want {fixed.chksum:#x}')
    if r[UDP].chksum != fixed[UDP].chksum or r[UDP].chksum == 0:
        errs.append(f'{where}: UDP checksum {r[UDP].chksum:#x}, want {fixed[UDP].chksum:#x}')
    if r[UDP].sport != SIP_PORT:
        errs.append(f'{where}: UDP source port {r[UDP].sport}, want {SIP_PORT}')
    start, h, body = sip_split(bytes(r[UDP].payload))
    if start != 'SIP/2.0 403 Forbidden':
        errs.append(f'{where}: status line {start!r}')
    for name in ('via', 'from', 'to', 'call-id', 'cseq'):
        if not header_values(h, name):
            errs.append(f'{where}: no {name} header')
    if header_values(h, 'content-length') != ['0'] or body:
        errs.append(f'{where}: Content-Length {header_values(h, "content-length")}, body '
                    f'{(body or "")[:40]!r}')
    if header_values(h, 'to') and to_tag(bytes(r[UDP].payload)) in (None, ''):
        # only where the request's own To was broken (unbalanced quote or <, an empty tag):
        # reported, not failed (the corpus cases pass on accounting, see the brief in README)
        errs.append(f'warning: {where}: To has no parseable tag: '
                    f'{header_values(h, "to")[0][:120]!r}')
    return errs


def print_warnings(errs, limit=20):
    """Print the 'warning: ' entries (not failures); return the rest."""
    warn = [e for e in errs if e.startswith('warning: ')]
    for w in warn[:limit]:
        print(w)
    if len(warn) > limit:
        print(f'warning: ... {len(warn) - limit} more')
    return [e for e in errs if not e.startswith('warning: ')]


def corpus_case(t, messages, families=(4,)):
    """Every message from a listed and from an unlisted source, reject mode, 1M 403/s."""
    reject_case(t, reject_rate=1000000)
    t.compare_outputs = False
    t.drops_free = set(CORPUS_ANSWER_DROPS)
    listed, unl_frags, unl_datagrams = [], 0, []
    want_exc, too_many, too_many_frags = [], 0, 0   # listed datagrams as they must come out
    ident = 1
    for name, data in messages:
        if len(data) > 65507:
            continue
        for fam in families:
            lsrc, usrc = (LISTED4, UNLISTED4) if fam == 4 else (LISTED6, UNLISTED6)
            fl = raw_udp_frames(lsrc, SBC4 if fam == 4 else SBC6, 5060, SIP_PORT, data,
                                t.wire_mac, ident=ident)
            fu = raw_udp_frames(usrc, SBC4 if fam == 4 else SBC6, 5060, SIP_PORT, data,
                                t.wire_mac, ident=ident + 1)
            ident += 2
            t.rx(*fl)
            t.rx(*fu)
            listed += fl
            if len(fl) == 1:
                want_exc.append(fl[0])
            elif len(fl) <= 8:     # reassembled (RTE_LIBRTE_IP_FRAG_MAX_FRAG)
                want_exc.append(raw_udp_frames(lsrc, SBC4 if fam == 4 else SBC6, 5060,
                                               SIP_PORT, data, t.wire_mac, ident=ident - 2,
                                               mtu=1 << 20)[0])
            else:
                too_many += 1
                too_many_frags += len(fl)
            if len(fu) > 1:
                unl_frags += len(fu)
            else:
                unl_datagrams.append((name, fam, data, fu[0]))
    # Listed messages the scanner calls malformed (RFC 3261: no Call-ID, CSeq method not the
    # request's, bad Content-Length ...) are dropped as sip_malformed; the scanner's verdicts
    # themselves are checked against the RFCs in the unit suite (test_sip_scan).
    # 40 s later (the pcap's clock): every call the corpus opened has ended (Timer B)
    t.at(40)
    tick = t.udp(LISTED4, request('OPTIONS', src=LISTED4))
    t.rx(tick)
    want_exc.append(tick)
    t.expect(to_wire=0, drops={'fragment_unlisted': unl_frags, 'frag_reassembly': too_many_frags})
    t.drops_free.add('sip_malformed')
    t.corpus_messages = len(messages)

    def check(t, res):
        errs = []
        malformed = res.drops.get('sip_malformed', 0)
        j = 0
        for fr in res.exc_out:          # the exception output: the listed datagrams (whole
            while j < len(want_exc) and want_exc[j] != fr:  # again), in order, less the
                j += 1                                      # malformed ones
            if j == len(want_exc):
                errs.append(f'exception output holds a frame that is not a listed input: '
                            f'{summary(fr)}')
                break
            j += 1
        if len(res.exc_out) + malformed != len(want_exc):
            errs.append(f'listed datagrams: {len(want_exc)} reassemblable sent (and the tick), '
                        f'{len(res.exc_out)} to the exception port + {malformed} sip_malformed '
                        f'({too_many} of more than 8 fragments dropped frag_reassembly)')
        ca = res.trunks.get('carrier-a', {})
        if ca.get('accepted') != len(res.exc_out) or ca.get('rejected') != malformed or \
                ca.get('malformed') != malformed:
            errs.append(f'trunk carrier-a: accepted {ca.get("accepted")}, rejected '
                        f'{ca.get("rejected")}, malformed {ca.get("malformed")}; want '
                        f'{len(res.exc_out)}, {malformed}, {malformed}')
        if ca.get('active_calls') != 0 or ca.get('admitted') != sum(
                v for k, v in ca.items() if k.startswith('ended_')):
            errs.append(f'trunk carrier-a: active_calls {ca.get("active_calls")} (want 0), '
                        f'admitted {ca.get("admitted")}, ended '
                        f'{ {k: v for k, v in ca.items() if k.startswith("ended_")} }')
        answered = res.stats['reject_sent'] + sum(res.drops.get(k, 0)
                                                  for k in CORPUS_ANSWER_DROPS)
        if answered != len(unl_datagrams):
            errs.append(f'unlisted whole datagrams: {len(unl_datagrams)} sent, but reject_sent + '
                        f'sip_unlisted + reject_ratelimited = {answered}')
        if res.drops.get('reject_ratelimited', 0):
            errs.append(f'reject_ratelimited = {res.drops["reject_ratelimited"]} at reject_rate '
                        '1000000')
        for i, fr in enumerate(res.wire_out):
            src = UNLISTED6 if Ether(fr).type == 0x86dd else UNLISTED4
            errs += generic_403_errors(f'wire output packet {i}', fr, t.wire_mac, src)
        errs = print_warnings(errs)
        if len(errs) > 40:
            errs = errs[:40] + [f'... {len(errs) - 40} more']
        # informative: the full field-by-field check against the request with the same
        # Call-ID (torture messages may legitimately read differently)
        notes, k = [], 0
        by_callid = {}
        for name, fam, data, fr in unl_datagrams:
            _, h, _ = sip_split(data)
            cid = header_values(h, 'call-id')
            if len(cid) == 1 and cid[0]:
                by_callid.setdefault((fam, norm(cid[0])), []).append((name, fr))
        for i, fr in enumerate(res.wire_out):
            r = Ether(fr)
            fam = 6 if IPv6 in r else 4
            _, h, _ = sip_split(bytes(r[UDP].payload))
            cid = header_values(h, 'call-id')
            cands = by_callid.get((fam, norm(cid[0]) if cid else None), [])
            if len(cands) == 1:
                name, req = cands[0]
                e = Reply403(req).check(f'403 #{i} to {name} (IPv{fam})', fr, t)
                notes += e
                k += 1
        print(f'corpus: {t.corpus_messages} messages, {len(listed)} listed frames '
              f'({malformed} sip_malformed), '
              f'{len(unl_datagrams)} unlisted datagrams + {unl_frags} unlisted fragments; '
              f'{res.stats["reject_sent"]} 403s ({k} matched to their request by Call-ID), '
              f'sip_unlisted {res.drops.get("sip_unlisted")}')
        for n in notes[:60]:
            print(f'note (not a failure): {n}')
        if len(notes) > 60:
            print(f'note: ... {len(notes) - 60} more')
        return errs
    t.checks.append(check)


@case('corpus_rfc4475', 'RFC 4475 torture messages, listed and unlisted, reject mode', corpus=True)
def _(t):
    corpus_case(t, corpus_files('rfc4475'))


@case('corpus_rfc5118', 'RFC 5118 IPv6 torture messages over IPv4 and IPv6', corpus=True)
def _(t):
    corpus_case(t, corpus_files('rfc5118'), families=(4, 6))


@case('corpus_sofia_sip', 'Sofia-SIP parser test messages (SIP and SDP)', corpus=True)
def _(t):
    corpus_case(t, corpus_files('sofia-sip-tests'))


@case('corpus_kamailio', 'Kamailio test messages (bad Via, URIs, long messages)', corpus=True)
def _(t):
    corpus_case(t, corpus_files('kamailio-test-sip'))


@case('corpus_cve_pocs', 'crash inputs of known SIP CVEs', corpus=True)
def _(t):
    corpus_case(t, corpus_files('cve-pocs'), families=(4, 6))


PROTOS_FILL = {
    b'<To>': b'service@198.51.100.10',
    b'<From>': b'user@192.0.2.66',
    b'<Local-Port>': b'5060',
    b'<From-Address>': b'192.0.2.66',
    b'<From-IP>': b'192.0.2.66',
    b'<Teardown-Method>': b'CANCEL',
}


def protos_invites(workdir):
    """(case number, INVITE) of every PROTOS c07-sip case, placeholders filled."""
    tgz = os.path.join(corpus_dir(), 'protos-c07-sip-cases.tar.gz')
    if not os.path.isfile(tgz):
        raise Skip(f'{tgz} is absent')
    dest = os.path.join(workdir, 'protos')
    with tarfile.open(tgz) as tf:
        if hasattr(tarfile, 'data_filter'):
            tf.extractall(dest, filter='data')
        else:
            tf.extractall(dest)
    out = []
    for dp_, dirs, files in os.walk(dest):
        dirs.sort()
        for fn in sorted(files):
            with open(os.path.join(dp_, fn), 'rb') as f:
                raw = f.read()
            m = re.match(rb'(\d+) ', raw)
            if not m:
                continue
            inv = raw[m.end():m.end() + int(m.group(1))]
            n = int(fn) if fn.isdigit() else len(out)
            for k, v in PROTOS_FILL.items():
                inv = inv.replace(k, v)
            inv = inv.replace(b'<Call-ID>', b'protos%07d' % n)
            inv = inv.replace(b'<Branch-ID>', b'%07d' % n)
            inv = inv.replace(b'<CSeq>', b'%d' % (n + 1))
            sep = inv.find(b'\r\n\r\n')
            body = len(inv) - sep - 4 if sep >= 0 else 0
            inv = inv.replace(b'<Content-Length>', b'%d' % body)
            out.append((n, inv))
    shutil.rmtree(dest, ignore_errors=True)
    if not out:
        raise Skip(f'{tgz} holds no cases')
    return out


@case('corpus_protos', 'PROTOS c07-sip INVITEs (<= 65507 bytes) from an unlisted source, reject',
      corpus=True)
def _(t):
    reject_case(t, reject_rate=1000000)
    t.compare_outputs = False
    t.drops_free = set(CORPUS_ANSWER_DROPS)
    invites = protos_invites(t.tmp)
    frags, whole, too_big, ident = 0, 0, 0, 1
    for n, inv in invites:
        if len(inv) > 65507:
            too_big += 1
            continue
        fr = raw_udp_frames(UNLISTED4, SBC4, 5060, SIP_PORT, inv, t.wire_mac, ident=ident)
        ident += 1
        t.rx(*fr)
        if len(fr) > 1:
            frags += len(fr)
        else:
            whole += 1
    t.expect(to_exception=0, to_wire=0, drops={'fragment_unlisted': frags})

    def check(t, res):
        errs = []
        answered = res.stats['reject_sent'] + sum(res.drops.get(k, 0)
                                                  for k in CORPUS_ANSWER_DROPS)
        if answered != whole:
            errs.append(f'unlisted whole datagrams: {whole} sent, but reject_sent + sip_unlisted'
                        f' + reject_ratelimited = {answered}')
        for i, fr in enumerate(res.wire_out):
            errs += generic_403_errors(f'wire output packet {i}', fr, t.wire_mac, UNLISTED4)
        errs = print_warnings(errs)
        if len(errs) > 40:
            errs = errs[:40] + [f'... {len(errs) - 40} more']
        print(f'PROTOS: {len(invites)} cases, {too_big} over 65507 bytes skipped, {whole} whole '
              f'datagrams, {frags} fragments; {res.stats["reject_sent"]} 403s, sip_unlisted '
              f'{res.drops.get("sip_unlisted")}, reject_ratelimited '
              f'{res.drops.get("reject_ratelimited")}')
        return errs
    t.checks.append(check)


@case('corpus_protos_listed', 'PROTOS c07-sip INVITEs from a listed source: scanned, admitted or '
      'dropped sip_malformed, fragments reassembled; Timer B ends every call', corpus=True)
def _(t):
    caps(t)                            # no caps: every well-formed INVITE is a new call
    # pieces of an over-long datagram after its 9th start a new entry that can only time out:
    # make that happen before the counters are read
    t.dp_opts['frag_timeout_ms'] = 100
    t.settle = lambda st: st.get('frags_pending') == 0
    t.compare_outputs = False
    invites = protos_invites(t.tmp)
    n_whole, n_big, big_frags, ident = 0, 0, 0, 1
    for n, inv in invites:
        if len(inv) > 65507:
            continue
        fr = raw_udp_frames(LISTED4, SBC4, 5060, SIP_PORT, inv, t.wire_mac, ident=ident)
        ident += 1
        t.rx(*fr)
        if len(fr) > 8:
            n_big += 1
            big_frags += len(fr)
        else:
            n_whole += 1
    t.at(40)
    fill(t, 1)                         # 40 s later: every call unanswered ends (Timer B)
    t.expect(to_wire=0, drops={'frag_reassembly': big_frags}, frags_pending=0)
    t.drops_free.add('sip_malformed')

    def check(t, res):
        errs = []
        ca = res.trunks.get('carrier-a', {})
        malformed = res.drops.get('sip_malformed', 0)
        passed = res.stats['to_exception'] - 1            # the filler
        if passed + malformed != n_whole:
            errs.append(f'{n_whole} datagrams (whole or reassembled): {passed} passed + '
                        f'{malformed} sip_malformed')
        if ca.get('active_calls') != 0 or ca.get('admitted') != ca.get('ended_timer_b'):
            errs.append(f'calls: admitted {ca.get("admitted")}, ended by Timer B '
                        f'{ca.get("ended_timer_b")}, active {ca.get("active_calls")}')
        print(f'PROTOS listed: {n_whole} datagrams, {passed} passed ({ca.get("admitted")} new '
              f'calls, {ca.get("retransmissions")} retransmissions), {malformed} sip_malformed, '
              f'{n_big} of more than 8 fragments dropped')
        return errs
    t.checks.append(check)
