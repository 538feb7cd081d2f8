/* SPDX-License-Identifier: BSD-3-Clause */
/* hiredis async contexts on a Sofia-SIP su_root (cp_redis_su.c): the su_root thread only. */
#ifndef CP_REDIS_SU_H
#define CP_REDIS_SU_H

#include <stdbool.h>

#include <hiredis/async.h>
#include <sofia-sip/su_wait.h>

/* Drive ac from root; REDIS_OK or REDIS_ERR. Freed by hiredis through the cleanup hook. */
int su_redis_attach(su_root_t *root, redisAsyncContext *ac);

#endif
