/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Drives the policy engine's sliced work (cp_policy_work) from the su_root loop: a timer of 0 ms
 * that fires once per loop turn while work is waiting, so SIP sockets, nta's timers and Redis
 * are served between two slices. Runs on the su_root thread.
 */
#include <errno.h>

#include "cp_policy.h"
#include "cp_policy_su.h"

static su_timer_t *timer;
static bool armed;

static void on_turn(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	(void)magic;
	(void)arg;
	armed = cp_policy_work() && su_timer_set_interval(t, on_turn, NULL, 0) == 0;
}

static void kick(void)
{
	if (!armed && timer != NULL)
		armed = su_timer_set_interval(timer, on_turn, NULL, 0) == 0;
}

int cp_policy_su_start(su_root_t *root)
{
	timer = su_timer_create(su_root_task(root), 1);
	if (timer == NULL)
		return -ENOMEM;
	armed = false;
	cp_policy_set_kick(kick);
	if (cp_policy_busy())
		kick();
	return 0;
}

void cp_policy_su_stop(void)
{
	cp_policy_set_kick(NULL);
	if (timer != NULL)
		su_timer_destroy(timer);
	timer = NULL;
	armed = false;
}
