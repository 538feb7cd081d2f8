/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for controlplane/cp_log.c's handling of Sofia-SIP's own log: lines put together
 * from the library's pieces (through su_llog, the library's own entry), control bytes from a
 * peer made harmless, at most CP_LOG_SOFIA_BURST lines a minute with the rest counted and said
 * in one line once the minute is over, never a line per message of a flood.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_log.h>

#include "cp_log.h"

/* stderr into a file for the test's duration; returns what was written. */
static char out[1 << 16];
static int saved = -1;
static FILE *cap;

static void capture(void)
{
	fflush(stderr);
	cap = tmpfile();
	assert_non_null(cap);
	saved = dup(STDERR_FILENO);
	dup2(fileno(cap), STDERR_FILENO);
}

static const char *captured(void)
{
	size_t n;

	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(cap);
	n = fread(out, 1, sizeof(out) - 1, cap);
	out[n] = '\0';
	fclose(cap);
	return out;
}

static unsigned int count(const char *s, const char *what)
{
	unsigned int n = 0;

	for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	return n;
}

static void pieces_and_flood(void **state)
{
	const char *s;

	(void)state;
	capture();
	cp_log_sofia_start();
	/* a line in two pieces, then one with a peer's control bytes */
	su_llog(su_log_default, 1, "%s: first half ", "nta");
	su_llog(su_log_default, 1, "second half\n");
	su_llog(su_log_default, 1, "from a peer: a\033[2Jb\r\n");
	/* a flood: one line per message */
	for (int i = 0; i < 5000; i++)
		su_llog(su_log_default, 1, "nta: BYE (%d): Connection refused (111)\n", i);
	s = captured();
	assert_non_null(strstr(s, "sofia: nta: first half second half\n"));
	assert_non_null(strstr(s, "sofia: from a peer: a?[2Jb?\n"));
	assert_null(strchr(s, '\033'));
	assert_int_equal(count(s, "sofia: "), CP_LOG_SOFIA_BURST);
	assert_int_equal(count(s, "counted, not written"), 1);

	/* the minute is over: one line with the count, then lines again */
	capture();
	cp_log_sofia_flush(~0ull >> 2, 0);
	su_llog(su_log_default, 1, "nta: after the minute\n");
	s = captured();
	assert_non_null(strstr(s, "sofia: 4982 more lines of Sofia-SIP's log"));
	assert_non_null(strstr(s, "sofia: nta: after the minute\n"));
	assert_int_equal(count(s, "\n"), 2);

	/* at the end of the process: nothing left out, nothing said */
	capture();
	cp_log_sofia_flush(0, 1);
	s = captured();
	assert_string_equal(s, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pieces_and_flood),
	};
	int rc;

	su_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	su_deinit();
	return rc;
}
