/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session descriptions across the B2BUA: the body (RFC 3261 7.4: Content-Type + payload) of
 * each INVITE, re-INVITE, UPDATE, PRACK, INFO and response goes through cp_sdp_relay on its way
 * to the other leg. Unchanged for now: endpoints exchange media directly until the media issue
 * anchors it in the data plane. Runs on the su_root thread.
 */
#include <errno.h>

#include <sofia-sip/sip_header.h>

#include "cp_sdp.h"

int cp_sdp_relay(su_home_t *home, const sip_t *s, enum cp_sdp_dir dir, struct cp_sdp *out)
{
	(void)dir;	/* the same either way until media is anchored */
	out->ct = NULL;
	out->pl = NULL;
	if (s->sip_payload == NULL || s->sip_payload->pl_len == 0)
		return 0;
	if (home == NULL) {	/* sent while s lives: no copy */
		out->ct = s->sip_content_type;
		out->pl = s->sip_payload;
		return 0;
	}
	out->ct = s->sip_content_type ? sip_content_type_dup(home, s->sip_content_type) : NULL;
	out->pl = sip_payload_dup(home, s->sip_payload);
	return out->pl == NULL || (s->sip_content_type && out->ct == NULL) ? -ENOMEM : 0;
}
