/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sofia-SIP's loop without a spin before each timer (cp_sutime.c): this process's su_duration
 * rounds a positive remainder up to the next whole millisecond.
 */
#ifndef CP_SUTIME_H
#define CP_SUTIME_H

#include <stdbool.h>

/*
 * Does the library's loop take our su_duration? A temporary su_root waits for a 3 ms timer and
 * counts its turns: a few when it does, hundreds when the loop still spins (a libsofia-sip-ua
 * linked with -Bsymbolic, whose own calls bypass ours). *turns gets the count. Needs su_init().
 */
bool cp_sutime_check(unsigned int *turns);

#endif
