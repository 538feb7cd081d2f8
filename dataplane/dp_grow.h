/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Growing an array by doubling, for the main lcore's bookkeeping (the channel's staged sets,
 * the allowlist's per-trunk slot lists). It allocates: never on a worker.
 */
#ifndef DP_GROW_H
#define DP_GROW_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * The array v of *cap elements of size bytes made to hold at least need, doubling from first;
 * *out is the array to use from now on. 0, or -ENOMEM with v and *cap as they were.
 */
static inline int dp_grow(void *v, uint32_t *cap, uint32_t need, size_t size, uint32_t first,
			  void **out)
{
	uint32_t n = *cap ? *cap : first;

	*out = v;
	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	*out = realloc(v, (size_t)n * size);
	if (*out == NULL) {
		*out = v;
		return -ENOMEM;
	}
	*cap = n;
	return 0;
}

#endif
