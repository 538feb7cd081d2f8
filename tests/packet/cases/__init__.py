# SPDX-License-Identifier: BSD-3-Clause
"""
The packet cases, one module per feature (Katran keeps each feature's fixtures in a file of its
own, the harness apart). Importing this package registers every case with harness.case; the
order here is the order of `sbc_packet_test.py --list`.
"""

from . import (acl, l2l3, malformed, host, frag, sip_reply, admission, corpus,  # noqa: F401
               deny, register, media)
