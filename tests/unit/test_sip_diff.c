/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Differential test of the SIP scanner: dataplane/dp_sip.c against the frozen previous scanner
 * (tests/unit/ref/dp_sip_ref.c, its names prefixed ref_), field by field. Inputs: every plain
 * corpus file in tests/data/sip (and SBC_SIP_DIFF_EXTRA, a directory of more, when set), each
 * cut at every length, each with every byte (or every Nth: the optional second argument)
 * replaced by and preceded by each byte that matters to the scanner, plus generated listed_passed-shaped messages and random splices of
 * them. Both scanners must give the same verdict, the same fields when the message is
 * well-formed, and the same parameter and unquoted-character answers on its header values.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "dp_sip.h"

/* the reference, built from ref/dp_sip_ref.c with its public names renamed */
enum dp_sip_err ref_sip_scan(const uint8_t *msg, uint32_t len, struct dp_sip_msg *m);
uint32_t ref_sip_find_unquoted(const uint8_t *msg, struct dp_span v, char c, uint32_t from);
bool ref_sip_param_n(const uint8_t *msg, struct dp_span v, const char *name, uint32_t n,
		     struct dp_span *val);

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *corpus;
static unsigned int stride = 1;	/* mutate every stride-th byte of the corpus files */
static int splices = 50000;
static unsigned long n_scans, n_ok;

static bool span_same(struct dp_span a, struct dp_span b)
{
	return a.off == b.off && a.len == b.len;
}

/*
 * What a caller may read of a well-formed message (a: the scanner's, b: the reference's),
 * field by field. The one deliberate difference: the To tag is read for INVITE requests only
 * now, ruri_user, via_top, branch and the From tag for those without a To tag (a new dialog)
 * only (dp_sip.h), and each must be empty for every other message; the reference's values of
 * those are then compared with dp_sip_via_top() and dp_sip_param().
 */
static const char *differs(const uint8_t *msg, const struct dp_sip_msg *a,
			   const struct dp_sip_msg *b)
{
	static const struct dp_span none = { 0, 0 };
	bool invite = a->is_request && dp_span_eq(msg, a->method, "INVITE");
	bool fresh = invite && b->to_tag.len == 0;	/* a new dialog */
	struct dp_span top, br = none, ft = none, tt = none;

#define SPAN(f) if (!span_same(a->f, b->f)) return #f
#define VAL(f) if (a->f != b->f) return #f
	VAL(is_request); VAL(status); SPAN(method); SPAN(ruri); SPAN(call_id);
	VAL(cseq); SPAN(cseq_method); VAL(n_via); SPAN(from); SPAN(to); SPAN(content_type);
	VAL(has_content_length); VAL(content_length); VAL(body_off); VAL(body_len);
	if (invite)
		SPAN(to_tag);
	if (fresh) {
		SPAN(ruri_user); SPAN(via_top); SPAN(branch); SPAN(from_tag);
	}
#undef SPAN
#undef VAL
	if (!invite && !span_same(a->to_tag, none))
		return "to_tag of a message other than an INVITE request";
	if (!fresh && (!span_same(a->ruri_user, none) || !span_same(a->via_top, none) ||
		       !span_same(a->branch, none) || !span_same(a->from_tag, none)))
		return "ruri_user/via_top/branch/from_tag of a message other than a new INVITE";
	top = dp_sip_via_top(msg, a);
	dp_sip_param(msg, top, "branch", &br);
	dp_sip_param(msg, a->from, "tag", &ft);
	dp_sip_param(msg, a->to, "tag", &tt);
	if (!span_same(top, b->via_top) || !span_same(br, b->branch) ||
	    !span_same(ft, b->from_tag) || !span_same(tt, b->to_tag))
		return "dp_sip_via_top/dp_sip_param against the reference's fields";
	for (unsigned int i = 0; i < a->n_via && i < DP_SIP_MAX_VIA; i++)
		if (!span_same(a->via[i], b->via[i]))
			return "via[]";
	return NULL;
}

/* The span helpers on one header value: every parameter name the data plane asks for, and
 * the unquoted ',' and ';' from offsets spread over it. */
static void helpers_agree(const uint8_t *msg, struct dp_span v, const char *what)
{
	static const char *const names[] = { "tag", "branch", "rport", "received", "boundary",
					     "maddr", "lr" };

	for (size_t k = 0; k < N(names); k++) {
		struct dp_span x = { 7, 7 }, y = { 7, 7 };
		uint32_t n = (uint32_t)strlen(names[k]);
		bool fx = dp_sip_param_n(msg, v, names[k], n, &x);
		bool fy = ref_sip_param_n(msg, v, names[k], n, &y);

		if (fx != fy || !span_same(x, y))
			fail_msg("%s: param %s differs", what, names[k]);
	}
	for (uint32_t from = 0; from <= v.len; from += 1 + from / 8) {
		if (dp_sip_find_unquoted(msg, v, ',', from) != ref_sip_find_unquoted(msg, v, ',', from) ||
		    dp_sip_find_unquoted(msg, v, ';', from) != ref_sip_find_unquoted(msg, v, ';', from))
			fail_msg("%s: find_unquoted from %u differs", what, from);
	}
}

/* One input through both scanners, in an exactly sized copy (ASan sees any over-read). */
static void same(const uint8_t *b, uint32_t n, const char *what)
{
	uint8_t *c = malloc(n ? n : 1);
	struct dp_sip_msg x, y;
	enum dp_sip_err ex, ey;
	const char *field;

	memcpy(c, b, n);
	ex = dp_sip_scan(c, n, &x);
	ey = ref_sip_scan(c, n, &y);
	n_scans++;
	if (ex != ey)
		fail_msg("%s (%u bytes): verdict '%s', the reference's '%s'", what, n,
			 dp_sip_err_text[ex], dp_sip_err_text[ey]);
	if (ex == DP_SIP_ERR_OK) {
		n_ok++;
		field = differs(c, &x, &y);
		if (field != NULL)
			fail_msg("%s (%u bytes): field %s differs", what, n, field);
		helpers_agree(c, y.via_top, what);
		helpers_agree(c, x.from, what);
		helpers_agree(c, x.to, what);
		helpers_agree(c, x.content_type, what);
		for (unsigned int i = 0; i < x.n_via && i < 4; i++)
			helpers_agree(c, x.via[i], what);
	}
	free(c);
}

/* The bytes the scanner's decisions turn on. */
static const uint8_t special[] = { '\r', '\n', ' ', '\t', ':', ';', ',', '"', '<', '>', '\\',
				   '=', '@', '/', '-', 0, 0x7f, 0x80, 'a', 'Z', '0' };

/* Every cut, and every byte replaced by / preceded by each special byte. */
static void variants(const uint8_t *b, uint32_t n, const char *what)
{
	uint8_t *t = malloc(n + 1);

	for (uint32_t cut = 0; cut <= n; cut++)
		same(b, cut, what);
	for (uint32_t i = 0; i < n; i += stride) {
		for (size_t k = 0; k < N(special); k++) {
			memcpy(t, b, n);
			t[i] = special[k];
			same(t, n, what);
			memcpy(t, b, i);
			t[i] = special[k];
			memcpy(t + i + 1, b + i, n - i);
			same(t, n + 1, what);
		}
	}
	free(t);
}

static uint8_t *load(const char *path, uint32_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (uint32_t)n;
	return b;
}

static bool archive(const char *name)
{
	size_t n = strlen(name);

	return (n > 4 && (strcmp(name + n - 4, ".zip") == 0 || strcmp(name + n - 3, ".gz") == 0 ||
			  strcmp(name + n - 3, ".md") == 0));
}

/* Every plain file under dir, recursively; messages over 2 KB only cut (their mutations
 * would take minutes and add nothing the shorter ones lack). */
static unsigned int walk(const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	unsigned int files = 0;

	if (dh == NULL)
		fail_msg("%s: cannot open", dir);
	while ((de = readdir(dh)) != NULL) {
		char path[2048];
		struct stat st;
		uint32_t n;
		uint8_t *b;

		if (de->d_name[0] == '.' || archive(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			files += walk(path);
			continue;
		}
		b = load(path, &n);
		if (n > 65535)
			n = 65535;
		if (n <= 2048)
			variants(b, n, path);
		else
			for (uint32_t cut = 0; cut <= n; cut += 1 + cut / 64)
				same(b, cut, path);
		free(b);
		files++;
	}
	closedir(dh);
	return files;
}

static void corpora(void **state)
{
	const char *extra = getenv("SBC_SIP_DIFF_EXTRA");
	unsigned int files;

	(void)state;
	files = walk(corpus);
	if (extra != NULL && *extra != '\0')
		files += walk(extra);
	printf("sip_diff: %u corpus files, %lu scans so far, %lu well-formed\n", files, n_scans,
	       n_ok);
	assert_true(files > 100);
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* listed_passed-shaped messages (tests/bench/bench_sip_scan.c's shapes), quoting and
 * folding added at random */
static uint32_t generate(char *b, size_t cap)
{
	static const char *const methods[] = { "OPTIONS", "ACK", "BYE", "INFO", "INVITE" };
	static const char *const from_forms[] = {
		"<sip:+12025550100@192.0.2.7>;tag=%x",
		"\"Alice; \\\"the <boss>\\\"\" <sip:a@192.0.2.7;lr>;tag=%x;x=\"q;tag=no\"",
		"sip:a@192.0.2.7 ; tag = %x",
		"<sip:a@b;tag=inside>;TAG=%x",
	};
	const char *meth = methods[next_rand() % N(methods)];
	char from[160];
	int len;

	snprintf(from, sizeof(from), from_forms[next_rand() % N(from_forms)],
		 (unsigned int)next_rand());
	len = snprintf(b, cap,
		       "%s sip:+1555%07u@203.0.113.1:5060 SIP/2.0\r\n"
		       "Via: SIP/2.0/UDP 192.0.2.%u:%u;branch=z9hG4bK%08x;rport%s\r\n"
		       "%s"
		       "From: %s\r\n"
		       "To: <sip:+1555@203.0.113.1>%s\r\n"
		       "Call-ID: %08x@192.0.2.1\r\n"
		       "CSeq: %u %s\r\n"
		       "Contact: <sip:x@192.0.2.1:5060>\r\n"
		       "%s"
		       "Content-Length: %u\r\n\r\nv=0\r\n",
		       meth, (unsigned int)(next_rand() % 10000000u),
		       (unsigned int)(next_rand() % 250), (unsigned int)(next_rand() % 65536),
		       (unsigned int)next_rand(),
		       next_rand() % 3 == 0 ? ", SIP/2.0/TCP 198.51.100.1;branch=z9hG4bKb" : "",
		       next_rand() % 4 == 0 ? "v: SIP/2.0/UDP h\r\n\t;branch=z9hG4bKc\r\n" : "",
		       from, next_rand() % 2 ? ";tag=77" : "", (unsigned int)next_rand(),
		       (unsigned int)(next_rand() % 1000), meth,
		       next_rand() % 3 == 0 ? "Content-Type: multipart/mixed;boundary=ab\r\n" : "",
		       (unsigned int)(next_rand() % 8));
	return (uint32_t)len;
}

static void generated(void **state)
{
	char a[1024], b[1024], s[2048];

	(void)state;
	for (int i = 0; i < 400; i++) {
		uint32_t na = generate(a, sizeof(a));

		if (i < 40)
			variants((const uint8_t *)a, na, "generated");
		else
			same((const uint8_t *)a, na, "generated");
	}
	/* splices: the head of one message and the tail of another, at random points */
	for (int i = 0; i < splices; i++) {
		uint32_t na = generate(a, sizeof(a)), nb = generate(b, sizeof(b));
		uint32_t ca = (uint32_t)(next_rand() % (na + 1)), cb = (uint32_t)(next_rand() % (nb + 1));

		memcpy(s, a, ca);
		memcpy(s + ca, b + cb, nb - cb);
		same((const uint8_t *)s, ca + nb - cb, "splice");
	}
	printf("sip_diff: %lu scans, %lu well-formed\n", n_scans, n_ok);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(generated),
		cmocka_unit_test(corpora),
	};
	struct stat st;

	corpus = argc > 1 ? argv[1] : "tests/data/sip";
	if (argc > 2)
		stride = (unsigned int)atoi(argv[2]) > 0 ? (unsigned int)atoi(argv[2]) : 1;
	/* third argument: the line bitmaps by "sse2", "avx2" or "avx512" (the default: the best
	 * the cpu has) */
	if (argc > 3) {
		int want = strcmp(argv[3], "avx512") == 0 ? DP_SIP_SIMD_AVX512 :
			   strcmp(argv[3], "avx2") == 0 ? DP_SIP_SIMD_AVX2 : DP_SIP_SIMD_BASE;

		if ((int)dp_sip_simd(want) != want) {
			printf("SKIP: no %s on this cpu or in this build\n", dp_sip_simd_name[want]);
			return 77;
		}
	}
	printf("sip_diff: line bitmaps by %s\n", dp_sip_simd_name[dp_sip_simd(-1)]);
#ifdef __SANITIZE_ADDRESS__
	stride *= 4;	/* the sanitizer build is several times slower: fewer mutations */
	splices /= 4;
#endif
	if (stat(corpus, &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("FAIL: %s is absent (the repository's tests/data/sip)\n", corpus);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
