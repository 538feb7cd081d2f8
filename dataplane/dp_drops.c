/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Names and help texts of the drop reasons, generated from the X-macro list in dp_drops.h.
 * Pure data, linked by the data plane, the tests and the fuzzers alike.
 */
#include "dp_drops.h"

const char *const dp_drop_names[DP_DROP_MAX] = {
	[DP_DROP_NONE] = "none",
#define DP_DROP_NAME(e, name, help) [DP_DROP_##e] = name,
	DP_DROP_REASONS(DP_DROP_NAME)
#undef DP_DROP_NAME
};

const char *const dp_drop_help[DP_DROP_MAX] = {
	[DP_DROP_NONE] = "",
#define DP_DROP_HELP(e, name, help) [DP_DROP_##e] = help,
	DP_DROP_REASONS(DP_DROP_HELP)
#undef DP_DROP_HELP
};
