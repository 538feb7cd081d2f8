/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS material for Sofia-SIP: a private directory (mode 0700) with agent.pem = tls_key +
 * tls_certificate and cafile.pem = tls_ca (or the certificate itself when no CA is given), the
 * layout tport_tls reads. The files were checked readable by the configuration loader; here a
 * read failure still stops start-up with the file's name. Runs on the su_root thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cp_log.h"
#include "cp_tls.h"

/* Append file `from` to the open stream `to`. */
static int append(FILE *to, const char *from)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(from, "r");

	if (f == NULL) {
		cp_log(CP_ERR, "TLS: cannot read %s: %s", from, strerror(errno));
		return -errno;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (fwrite(buf, 1, n, to) != n)
			break;
	fclose(f);
	return ferror(to) ? -EIO : 0;
}

static int write_pem(const struct cp_tls *t, const char *name, const char *a, const char *b)
{
	char path[128];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	f = fopen(path, "w");
	if (f == NULL) {
		cp_log(CP_ERR, "TLS: cannot write %s: %s", path, strerror(errno));
		return -errno;
	}
	rc = append(f, a);
	if (rc == 0 && b != NULL)
		rc = append(f, b);
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	return rc;
}

int cp_tls_prepare(struct cp_tls *t, const struct sbc_config *cfg)
{
	const char *ca = cfg->tls_ca[0] ? cfg->tls_ca : cfg->tls_certificate;

	snprintf(t->dir, sizeof(t->dir), "/tmp/sbc-tls-XXXXXX");
	if (mkdtemp(t->dir) == NULL) {
		cp_log(CP_ERR, "TLS: cannot create a directory for Sofia-SIP: %s", strerror(errno));
		t->dir[0] = '\0';
		return -errno;
	}
	if (write_pem(t, "agent.pem", cfg->tls_key, cfg->tls_certificate) != 0 ||
	    write_pem(t, "cafile.pem", ca, NULL) != 0) {
		cp_tls_cleanup(t);
		return -EINVAL;
	}
	return 0;
}

void cp_tls_cleanup(struct cp_tls *t)
{
	char path[128];

	if (t->dir[0] == '\0')
		return;
	snprintf(path, sizeof(path), "%s/agent.pem", t->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/cafile.pem", t->dir);
	unlink(path);
	rmdir(t->dir);
	t->dir[0] = '\0';
}
