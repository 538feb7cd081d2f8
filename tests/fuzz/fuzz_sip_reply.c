/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: arbitrary bytes as a SIP request to the 403/503 builder, which must never
 * read past the message, never overflow its output and always return a length it wrote.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_sip_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_sip_source src = { 6, { 0x20, 0x01, 0x0d, 0xb8 }, 5060 };
	uint8_t *msg = malloc(size ? size : 1);	/* exact size: ASan sees any over-read */
	char out[1024];
	uint16_t port;
	int n;

	memcpy(msg, data, size);
	n = dp_sip_build_response(msg, (uint32_t)size, 503, "Service Unavailable",
				  "Retry-After: 5\r\n", &src, 1, out, sizeof(out), &port);
	if (n > (int)sizeof(out))
		abort();
	free(msg);
	return 0;
}
