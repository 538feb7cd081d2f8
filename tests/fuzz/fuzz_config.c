/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: what an operator writes. A first byte picks the input's kind:
 * even: the rest is a configuration file (sbc_config_load_string, both processes' parser):
 * loaded, or refused with a message that names the file ("fuzz.conf:LINE: ..." or
 * "fuzz.conf: ..."), never a crash, a hang or a leak; odd: the rest is lines of prefixes as
 * sbc:acl:<trunk>, peers and peers_file hold them (sbc_prefix_parse): each parsed one prints
 * back to text that parses to the same prefix and contains its own address, each refused one
 * has a reason.
 *
 * Keys that name other files (peers_file, password_file, tls_*) are left out of the inputs
 * loaded (the input is skipped): the fuzzer would otherwise open whatever path it writes,
 * /dev/zero among them, which tests the filesystem rather than the parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sbc_cidr.h"
#include "sbc_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void prefixes(char *text)
{
	for (char *line = text, *next; line != NULL; line = next) {
		struct sbc_prefix p, q;
		char err[256] = "", buf[64];

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (sbc_prefix_parse(line, &p, err, sizeof(err)) != 0) {
			if (err[0] == '\0')
				abort();	/* refused without a reason */
			continue;
		}
		if (p.family != SBC_AF_V4 && p.family != SBC_AF_V6)
			abort();
		if (p.depth > (p.family == SBC_AF_V4 ? 32 : 128))
			abort();
		sbc_prefix_format(&p, buf, sizeof(buf));
		if (sbc_prefix_parse(buf, &q, err, sizeof(err)) != 0 || !sbc_prefix_equal(&p, &q))
			abort();	/* what it prints is not what it parsed */
		if (!sbc_prefix_contains(&p, p.addr))
			abort();
	}
}

static void config(const char *text)
{
	static const char *const files[] = { "_file", "tls_" };
	struct sbc_config cfg;
	char err[1024] = "";

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (strstr(text, files[i]) != NULL)
			return;
	memset(&cfg, 0, sizeof(cfg));
	if (sbc_config_load_string(&cfg, text, "fuzz.conf", err, sizeof(err)) == 0) {
		sbc_config_free(&cfg);
		return;
	}
	if (strncmp(err, "fuzz.conf", 9) != 0 || strnlen(err, sizeof(err)) < 11)
		abort();	/* a refusal must name the file and say why */
	sbc_config_free(&cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1 || size > 65536)
		return 0;
	text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] & 1)
		prefixes(text);
	else
		config(text);
	free(text);
	return 0;
}
