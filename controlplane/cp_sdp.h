/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session descriptions across the B2BUA (cp_sdp.c): the one place that decides what body a
 * message carries to the other leg. Today the body passes unchanged (media flows end to end);
 * the media issue anchors RTP here (rewrite c=/m= to the SBC's ports). Runs on the su_root
 * thread.
 */
#ifndef CP_SDP_H
#define CP_SDP_H

#include <sofia-sip/sip.h>
#include <sofia-sip/su_alloc.h>

enum cp_sdp_dir { CP_SDP_TO_CALLEE, CP_SDP_TO_CALLER };

struct cp_sdp {
	sip_content_type_t *ct;		/* NULL: no body */
	sip_payload_t *pl;
};

/*
 * The body for the other leg of message s travelling in direction dir, allocated in home when
 * it must outlive s (a kept INVITE, sent again on failover). 0, or -ENOMEM.
 */
int cp_sdp_relay(su_home_t *home, const sip_t *s, enum cp_sdp_dir dir, struct cp_sdp *out);

#endif
