/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policy-update benchmark: how long from a redis-cli-style write to "applied in every worker".
 * The data plane stamps that moment (CLOCK_REALTIME, after its RCU wait) and shows it on the
 * stats socket (/sbc/channel last_applied_ns); this tool writes to Redis, takes its own
 * timestamp just before, and waits for the applied count to move. Next to it, in the same run,
 * the bare Redis keyspace-notification latency (write -> notification at a subscriber).
 *
 * usage: bench_policy --redis HOST:PORT --socket TELEMETRY_SOCKET --trunk NAME
 *                     [--updates N] [--replace N] [--db N]
 */
#include <errno.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int tel_fd = -1;
static char tel_buf[1 << 20];

static int tel_open(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	tel_fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (tel_fd < 0 || connect(tel_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return -errno;
	return read(tel_fd, tel_buf, sizeof(tel_buf)) > 0 ? 0 : -EIO;	/* the info message */
}

/* A u64 field of a telemetry reply (flat search: keys are unique in /sbc/channel). */
static int tel_u64(const char *cmd, const char *key, uint64_t *v)
{
	char pat[64];
	ssize_t n;
	const char *p;

	if (write(tel_fd, cmd, strlen(cmd)) < 0)
		return -errno;
	n = read(tel_fd, tel_buf, sizeof(tel_buf) - 1);
	if (n <= 0)
		return -EIO;
	tel_buf[n] = '\0';
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(tel_buf, pat);
	if (p == NULL)
		return -ENOENT;
	*v = strtoull(p + strlen(pat), NULL, 10);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("%-44s n=%-6zu p50 %8.1f us   p99 %8.1f us   max %8.1f us\n", what, n,
	       v[n / 2] / 1e3, v[(n * 99) / 100] / 1e3, v[n - 1] / 1e3);
}

static redisContext *connect_redis(const char *addr, int db)
{
	char host[256];
	const char *colon = strrchr(addr, ':');
	redisContext *c;

	snprintf(host, sizeof(host), "%.*s", colon ? (int)(colon - addr) : (int)strlen(addr), addr);
	c = redisConnect(host, colon ? atoi(colon + 1) : 6379);
	if (c == NULL || c->err) {
		fprintf(stderr, "bench_policy: redis %s: %s\n", addr, c ? c->errstr : "no memory");
		exit(2);
	}
	if (db != 0)
		freeReplyObject(redisCommand(c, "SELECT %d", db));
	return c;
}

/* Wait until /sbc/channel "applied" passes `after`; return last_applied_ns. */
static uint64_t wait_applied(uint64_t after, uint64_t timeout_ns)
{
	uint64_t applied = 0, t_end = now_ns() + timeout_ns, ns = 0;

	while (now_ns() < t_end) {
		if (tel_u64("/sbc/channel", "applied", &applied) == 0 && applied > after &&
		    tel_u64("/sbc/channel", "last_applied_ns", &ns) == 0)
			return ns;
		/* The moment is stamped by the data plane, not seen here: polling gently costs no
		 * accuracy and leaves the one core the worker does not spin on to the rest. */
		usleep(200);
	}
	return 0;
}

/* Wait until the control plane's status on the stats socket is newer than `after` (its
 * cp_status_age_ms is younger than the time since then); false after timeout_ns. */
static bool wait_status_after(uint64_t after, uint64_t timeout_ns)
{
	uint64_t t_end = now_ns() + timeout_ns, age_ms = 0;

	while (now_ns() < t_end) {
		if (tel_u64("/sbc/channel", "cp_status_age_ms", &age_ms) == 0 &&
		    now_ns() > after && age_ms * 1000000ull < now_ns() - after)
			return true;
		usleep(20000);
	}
	return false;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "redis", required_argument, NULL, 'r' }, { "socket", required_argument, NULL, 's' },
		{ "trunk", required_argument, NULL, 't' }, { "updates", required_argument, NULL, 'n' },
		{ "replace", required_argument, NULL, 'R' }, { "db", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *raddr = "127.0.0.1:6379", *sock = NULL, *trunk = NULL;
	long updates = 10000, replace = 1000000;
	int db = 0, opt;
	char key[128], chan[160];

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'r': raddr = optarg; break;
		case 's': sock = optarg; break;
		case 't': trunk = optarg; break;
		case 'n': updates = atol(optarg); break;
		case 'R': replace = atol(optarg); break;
		case 'd': db = atoi(optarg); break;
		default: return 2;
		}
	}
	if (sock == NULL || trunk == NULL || updates < 2) {
		fprintf(stderr, "usage: bench_policy --redis H:P --socket PATH --trunk NAME "
			"[--updates N] [--replace N] [--db N]\n");
		return 2;
	}
	if (tel_open(sock) != 0) {
		fprintf(stderr, "bench_policy: cannot read the stats socket %s\n", sock);
		return 2;
	}
	redisContext *w = connect_redis(raddr, db), *sub = connect_redis(raddr, db);
	uint64_t *lat = calloc((size_t)updates, sizeof(uint64_t));
	redisReply *r;

	/* 1. bare keyspace-notification latency, same Redis, same machine */
	snprintf(key, sizeof(key), "sbc:bench:bare");
	snprintf(chan, sizeof(chan), "__keyspace@%d__:%s", db, key);
	freeReplyObject(redisCommand(w, "CONFIG SET notify-keyspace-events KEA"));
	r = redisCommand(sub, "SUBSCRIBE %s", chan);
	freeReplyObject(r);
	for (long i = 0; i < updates; i++) {
		uint64_t t0 = now_ns();

		freeReplyObject(redisCommand(w, "%s %s m%ld", i % 2 ? "SREM" : "SADD", key, i / 2));
		if (redisGetReply(sub, (void **)&r) != REDIS_OK) {
			fprintf(stderr, "bench_policy: subscriber lost\n");
			return 1;
		}
		lat[i] = now_ns() - t0;
		freeReplyObject(r);
	}
	freeReplyObject(redisCommand(w, "DEL %s", key));
	report("redis keyspace notification (reference)", lat, (size_t)updates);

	/* 2. one prefix added/removed -> applied in every worker */
	snprintf(key, sizeof(key), "sbc:acl:%s", trunk);
	uint64_t applied = 0;
	long fails = 0;
	tel_u64("/sbc/channel", "applied", &applied);
	for (long i = 0; i < updates; i++) {
		uint64_t t0 = now_ns(), t1;

		freeReplyObject(redisCommand(w, "%s %s 100.%ld.%ld.0/24", i % 2 ? "SREM" : "SADD", key,
					     64 + (i / 2) / 256 % 64, (i / 2) % 256));
		t1 = wait_applied(applied, 2000000000ull);
		if (t1 == 0) {
			fails++;
			continue;
		}
		tel_u64("/sbc/channel", "applied", &applied);
		lat[i - fails] = t1 > t0 ? t1 - t0 : 0;
	}
	if (updates - fails > 0)
		report("redis write -> applied in every worker", lat, (size_t)(updates - fails));
	if (fails)
		printf("  %ld updates not seen applied within 2 s\n", fails);

	/* 3. replace a trunk's whole set with `replace` prefixes: RENAME of a prepared key */
	if (replace > 0) {
		char tmp[160];
		uint64_t t0, t1, before = 0;

		snprintf(tmp, sizeof(tmp), "sbc:bench:tmp:%d", (int)getpid());
		freeReplyObject(redisCommand(w, "DEL %s", tmp));
		for (long i = 0; i < replace; i += 1000) {
			for (long j = i; j < i + 1000 && j < replace; j++)
				redisAppendCommand(w, "SADD %s %ld.%ld.%ld.0/24", tmp, 1 + j / 65536,
						   (j / 256) % 256, j % 256);
			for (long j = i; j < i + 1000 && j < replace; j++) {
				redisGetReply(w, (void **)&r);
				freeReplyObject(r);
			}
		}
		uint64_t late_before = 0, late_after = 0;

		/* the control plane's worst 10 ms tick lateness over the last 10-20 s: single
		 * updates only (the reference), then the same measure over the replace */
		tel_u64("/sbc/channel", "cp_loop_late_max_ms", &late_before);
		tel_u64("/sbc/channel", "applied", &before);
		t0 = now_ns();
		freeReplyObject(redisCommand(w, "RENAME %s %s", tmp, key));
		t1 = wait_applied(before, 30000000000ull);
		if (t1 == 0)
			printf("replace of %ld prefixes: not applied within 30 s\n", replace);
		else {
			uint64_t dp_us = 0;

			tel_u64("/sbc/channel", "last_apply_us", &dp_us);
			printf("%-44s %ld prefixes in %.1f ms (of which the data plane, commit "
			       "-> visible: %.1f ms)\n", "redis RENAME -> whole set applied", replace,
			       (t1 - t0) / 1e6, dp_us / 1e3);
			if (wait_status_after(t1, 5000000000ull) &&
			    tel_u64("/sbc/channel", "cp_loop_late_max_ms", &late_after) == 0)
				printf("%-44s %llu ms during the replace; %llu ms before it (single "
				       "updates, reference)\n", "control plane loop: worst tick lateness",
				       (unsigned long long)late_after,
				       (unsigned long long)late_before);
		}
		/* leave the trunk as it was: empty the bench prefixes again */
		freeReplyObject(redisCommand(w, "DEL %s", key));
	}
	free(lat);
	redisFree(w);
	redisFree(sub);
	return fails ? 1 : 0;
}
