/* SPDX-License-Identifier: BSD-3-Clause */
/* A one-shot wake-up of the su_root loop from a timerfd (cp_tick.h). */
#include <errno.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cp_tick.h"

static int on_fire(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct cp_tick *t = (struct cp_tick *)arg;
	uint64_t n;

	(void)magic;
	if (read(w->fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return 0;	/* re-armed since it fired: nothing due */
	t->armed = false;
	t->cb(t->arg);
	return 0;
}

int cp_tick_open(struct cp_tick *t, su_root_t *root, void (*cb)(void *arg), void *arg)
{
	memset(t, 0, sizeof(*t));
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->fd < 0) {
		int rc = -errno;

		memset(t, 0, sizeof(*t));
		return rc;
	}
	t->root = root;
	t->cb = cb;
	t->arg = arg;
	if (su_wait_create(t->wait, t->fd, SU_WAIT_IN) != 0 ||
	    (t->index = su_root_register(root, t->wait, on_fire, (su_wakeup_arg_t *)t, 0)) <= 0) {
		close(t->fd);
		memset(t, 0, sizeof(*t));
		return -ENOMEM;
	}
	return 0;
}

int cp_tick_after(struct cp_tick *t, uint32_t us)
{
	struct itimerspec its = { .it_value = { .tv_sec = us / 1000000,
						.tv_nsec = (long)(us % 1000000) * 1000 } };

	if (!cp_tick_is_open(t))
		return -EBADF;
	if (us == 0)
		its.it_value.tv_nsec = 1;	/* 0 would disarm it */
	if (timerfd_settime(t->fd, 0, &its, NULL) != 0)
		return -errno;
	t->armed = true;
	return 0;
}

void cp_tick_close(struct cp_tick *t)
{
	if (!cp_tick_is_open(t))
		return;
	su_root_deregister(t->root, t->index);
	close(t->fd);
	memset(t, 0, sizeof(*t));
}
