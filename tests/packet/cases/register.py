# SPDX-License-Identifier: BSD-3-Clause
"""
Packet cases. Registration from sources no prefix lists: while a trunk takes digest
credentials, an unlisted source's REGISTER goes to the control plane within [sbc]
register_rate per source (the pcap's clock), more are dropped `register_over_rate`, a full
bucket table `register_table_full`; every other unlisted request is dropped or 403'd as before.
And a registered source's dynamic allowlist entry (the /32 or /128 cp_dynacl sends as an
ACL_ADD): that source's SIP is its trunk's, by longest prefix like any other.
"""

from harness import (LISTED4, UNLISTED4, UNLISTED6, case, reject_case, request)

PBX_NET = '198.51.100.128/25'


def digest_trunk(t, **sbc):
    """A floor trunk whose PBXs register (auth = digest), routed to carrier-a: a registrar
    needs the SIP endpoint, i.e. some trunk with a route."""
    t.config(trunks={'carrier-a': ['203.0.113.0/24', '2001:db8:100::/48'], 'pbx': [PBX_NET]},
             **sbc)
    t.trunk_opts['carrier-a'] = {'role': 'carrier', 'uri': 'sip:203.0.113.5:5060'}
    t.trunk_opts['pbx'] = {'auth': 'digest', 'role': 'floor', 'route': 'carrier-a'}


@case('register_unlisted_rate', 'unlisted REGISTERs with a digest trunk: 2 per second per '
      'source pass (burst 2), the rest dropped register_over_rate; other unlisted requests '
      'dropped as before')
def _(t):
    digest_trunk(t)
    t.at(0.0)
    r4 = [t.udp(UNLISTED4, request('REGISTER', src=UNLISTED4)) for _ in range(3)]
    r6 = [t.udp(UNLISTED6, request('REGISTER', src=UNLISTED6)) for _ in range(2)]
    t.rx(*r4, t.udp(UNLISTED4, request(src=UNLISTED4)),
         t.udp(UNLISTED4, request('OPTIONS', src=UNLISTED4)), *r6)
    t.at(1.0)
    later = [t.udp(UNLISTED4, request('REGISTER', src=UNLISTED4)) for _ in range(3)]
    t.rx(*later)
    t.out_exc(r4[0], r4[1], *r6, later[0], later[1])
    t.expect(to_exception=6, register_passed=6,
             drops={'register_over_rate': 2, 'sip_unlisted': 2},
             trunks={'pbx': {'accepted': 0}, 'carrier-a': {'accepted': 0}})


@case('register_rate_config', 'register_rate = 5: five at once pass, the sixth does not')
def _(t):
    digest_trunk(t, register_rate=5)
    t.at(0.0)
    regs = [t.udp(UNLISTED4, request('REGISTER', src=UNLISTED4)) for _ in range(6)]
    t.rx(*regs)
    t.out_exc(*regs[:5])
    t.expect(to_exception=5, register_passed=5, drops={'register_over_rate': 1})


@case('register_without_digest_trunk', 'no trunk takes digest: an unlisted REGISTER is dropped '
      'sip_unlisted like any unlisted request')
def _(t):
    t.rx(t.udp(UNLISTED4, request('REGISTER', src=UNLISTED4)))
    t.expect(drops={'sip_unlisted': 1}, register_passed=0)


@case('register_reject_mode', 'unlisted = reject with a digest trunk: REGISTERs within the rate '
      'pass, over it they are dropped (no 403); an unlisted INVITE still gets its 403')
def _(t):
    digest_trunk(t)
    reject_case(t)
    t.at(0.0)
    regs = [t.udp(UNLISTED4, request('REGISTER', src=UNLISTED4)) for _ in range(3)]
    inv = t.udp(UNLISTED4, request(src=UNLISTED4))
    t.rx(*regs, inv)
    t.out_exc(*regs[:2])
    t.out_403(inv)
    t.expect(to_exception=2, reject_sent=1, drops={'register_over_rate': 1})


@case('register_listed_source', 'a REGISTER from a listed source is that trunk\'s SIP as '
      'before: passed, no bucket taken')
def _(t):
    digest_trunk(t)
    regs = [t.udp(LISTED4, request('REGISTER', src=LISTED4)) for _ in range(4)]
    t.rx(*regs)
    t.out_exc(*regs)
    t.expect(to_exception=4, register_passed=0, trunks={'carrier-a': {'accepted': 4}})


@case('register_table_full', '[dataplane] register_sources = 64: 300 new sources at once, at '
      'most 64 pass, the rest dropped register_table_full; a second later the idle entries are '
      'reused')
def _(t):
    digest_trunk(t)
    t.dp_opts['register_sources'] = 64
    t.at(0.0)
    srcs = [f'192.0.2.{i}' if i < 250 else f'2001:db8:bad::{i:x}' for i in range(1, 301)]
    t.rx(*[t.udp(s, request('REGISTER', src=s)) for s in srcs])
    t.at(2.0)
    t.rx(*[t.udp(s, request('REGISTER', src=s)) for s in srcs[:8]])
    t.compare_outputs = False
    t.drops_free = {'register_table_full'}

    def bounded(t, res):
        st, dr = res.stats, res.drops
        first = st['register_passed'] - 8
        errs = []
        if not 8 <= first <= 64:
            errs.append(f'register_passed at t=0: {first}, expected 8..64 (64 entries)')
        if first + dr.get('register_table_full', 0) != 300:
            errs.append(f'passed {first} + register_table_full {dr.get("register_table_full")} '
                        f'!= 300 sources')
        if st['to_exception'] != st['register_passed']:
            errs.append(f'to_exception {st["to_exception"]} != register_passed '
                        f'{st["register_passed"]}')
        return errs
    t.checks.append(bounded)


@case('dynamic_allowlist_entry', 'a registered source\'s /32 and /128 added at run time '
      '(ACL_ADD, as cp_dynacl sends it) make its SIP its trunk\'s, also inside another trunk\'s '
      'prefix (longest prefix); its neighbour stays unlisted')
def _(t):
    digest_trunk(t)
    t.acl_add(1, '192.0.2.77/32', '2001:db8:bad::77/128', '203.0.113.9/32')
    ok = [t.udp(s, request('OPTIONS', src=s)) for s in
          ('192.0.2.77', '2001:db8:bad::77', '203.0.113.9')]
    listed = t.udp(LISTED4, request('OPTIONS', src=LISTED4))
    t.rx(*ok, t.udp('192.0.2.78', request('OPTIONS', src='192.0.2.78')), listed)
    t.out_exc(*ok, listed)
    t.expect(to_exception=4, drops={'sip_unlisted': 1},
             trunks={'pbx': {'accepted': 3, 'prefixes_v4': 3, 'prefixes_v6': 1},
                     'carrier-a': {'accepted': 1}})
