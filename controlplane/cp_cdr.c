/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Call records from the data plane's call events: SBC_EVT_CALL_ADMITTED opens a record (in the
 * open-call table, cp_cdr_table.c), SBC_EVT_CALL_ENDED closes it and appends it to the Redis
 * stream sbc:cdr (XADD, capped with MAXLEN ~) through the Redis client's command API. Records
 * wait in a bounded queue while Redis is away and are written in order when it is back; beyond
 * the bound the oldest are counted lost (said once). Runs on the su_root thread.
 *
 * When the control plane is the SIP endpoint (a trunk routes calls), the B2BUA writes the one
 * record of each call (cp_cdr_call: both Call-IDs, trunks, tried, answer, who ended it) and the
 * data plane's events only feed the gauges (calls admitted, ended, open): one call, one record.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cp_cdr.h"
#include "cp_cdr_table.h"
#include "cp_log.h"
#include "cp_redis.h"

#define OPEN_MIN 4096u			/* open-call table: first size, */
#define OPEN_MAX (1u << 20)		/* and the most (3/4 of it are calls at once) */
#define PENDING_MAX 200000u		/* records kept while Redis is away */
#define CDR_STREAM "sbc:cdr"
#define NS_PER_MS 1000000ull

struct record {
	struct cp_cdr_call *b2b;	/* a B2BUA record (heap), or NULL: a data-plane one */
	char call_id[SBC_CALL_ID_MAX + 1];
	uint16_t trunk;
	uint8_t reason;		/* enum sbc_call_end */
	uint8_t emergency;
	uint64_t start_ns;	/* 0: admitted before this control plane started */
	uint64_t end_ns;
	struct record *next;	/* in the resend list */
};

static struct {
	const struct sbc_config *cfg;
	bool b2bua;			/* records come from the B2BUA, not the call events */
	struct cp_cdr_table open;
	struct record *pending;		/* circular, PENDING_MAX */
	size_t p_head, p_n;
	struct record *resend, **resend_tail;	/* in flight at a disconnect, in order */
	size_t resend_n;
	bool lost_logged, full_logged, refused_logged;
	struct cp_cdr_stats st;
} cdr;

static void free_record(struct record *r)
{
	if (r != NULL)
		free(r->b2b);
	free(r);
}

/*
 * An XADD's answer. priv: the record's copy (NULL if none could be made). No answer at all
 * means the connection went down with the command in flight (hiredis calls back with NULL):
 * the record joins the resend list (hiredis calls back in the order the commands went, so
 * the list keeps it) and is sent again, before anything queued after it, once Redis is back:
 * a record reaches sbc:cdr at least once (a command Redis still executes from the closed
 * connection's buffer adds a second copy, which its call_id_in names). A refusal (an error
 * reply) is counted lost.
 */
static void on_xadd(redisAsyncContext *ac, void *reply, void *priv)
{
	const redisReply *r = reply;
	struct record *rec = priv;

	(void)ac;
	if (r != NULL && r->type != REDIS_REPLY_ERROR) {
		cdr.st.written++;
		free_record(rec);
		return;
	}
	if (r == NULL && rec != NULL) {
		rec->next = NULL;
		*cdr.resend_tail = rec;
		cdr.resend_tail = &rec->next;
		cdr.resend_n++;
		return;
	}
	cdr.st.lost++;
	free_record(rec);
	if (r != NULL && !cdr.refused_logged) {
		cp_log(CP_ERR, CDR_STREAM ": XADD refused: %.*s", (int)r->len, r->str);
		cdr.refused_logged = true;
	}
}

/* A copy of c that lives until its XADD is answered (NULL: no memory; then a lost connection
 * loses it). */
static struct record *in_flight(const struct record *c)
{
	struct record *r = malloc(sizeof(*r));

	if (r == NULL)
		return NULL;
	*r = *c;
	r->next = NULL;
	if (c->b2b != NULL) {
		r->b2b = malloc(sizeof(*r->b2b));
		if (r->b2b == NULL) {
			free(r);
			return NULL;
		}
		*r->b2b = *c->b2b;
	}
	return r;
}

void cp_cdr_time(uint64_t ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000ull);
	struct tm tm;

	if (ns == 0 || gmtime_r(&s, &tm) == NULL) {
		buf[0] = '\0';
		return;
	}
	/* RFC 3339 with ms: 24 characters; a buffer too short gets an empty string, never a
	 * cut time */
	if (snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     (unsigned int)(ns / NS_PER_MS % 1000)) >= (int)len)
		buf[0] = '\0';
}

/* XADD a B2BUA record with the fields of issue 10 and the media quality of issue 12. */
static int write_b2b(const struct cp_cdr_call *c, struct record *fl)
{
	char start[32], answer[32], end[32], dur[24], code[8];
	uint64_t from = c->answer_ns ? c->answer_ns : c->end_ns;

	cp_cdr_time(c->start_ns, start, sizeof(start));
	cp_cdr_time(c->answer_ns, answer, sizeof(answer));
	cp_cdr_time(c->end_ns, end, sizeof(end));
	/* duration: answered to end (billable time); 0 for a call never answered */
	snprintf(dur, sizeof(dur), "%llu", c->answer_ns && c->end_ns > from ?
		 (unsigned long long)((c->end_ns - from) / NS_PER_MS) : 0ull);
	snprintf(code, sizeof(code), "%d", c->code);
	return cp_redis_command(on_xadd, fl,
				"XADD " CDR_STREAM " MAXLEN ~ %u * call_id_in %s call_id_out %s "
				"trunk_in %s trunk_out %s tried %s from %s to %s start %s answer %s "
				"end %s duration_ms %s code %s ended_by %s loss_in %s loss_out %s "
				"jitter_ms %s mos %s", cdr.cfg->cdr_maxlen,
				c->call_id_in, c->call_id_out, c->trunk_in, c->trunk_out, c->tried,
				c->from, c->to, start, answer, end, dur, code, c->ended_by,
				c->loss_in, c->loss_out, c->jitter_ms, c->mos);
}

/* XADD one record: 0, or -errno when Redis is not there (the caller keeps it). */
static int write_record(const struct record *c)
{
	char start[24], end[24], dur[24];
	struct record *fl;
	int rc;

	if (!cp_redis_up())
		return -ENOTCONN;
	fl = in_flight(c);
	if (c->b2b != NULL) {
		rc = write_b2b(c->b2b, fl);
		if (rc != 0)
			free_record(fl);
		return rc;
	}
	snprintf(start, sizeof(start), "%llu", (unsigned long long)(c->start_ns / NS_PER_MS));
	snprintf(end, sizeof(end), "%llu", (unsigned long long)(c->end_ns / NS_PER_MS));
	snprintf(dur, sizeof(dur), "%llu", c->start_ns && c->end_ns > c->start_ns ?
		 (unsigned long long)((c->end_ns - c->start_ns) / NS_PER_MS) : 0ull);
	rc = cp_redis_command(on_xadd, fl,
			      "XADD " CDR_STREAM " MAXLEN ~ %u * trunk %s call_id %s end %s "
			      "emergency %d start_ms %s end_ms %s duration_ms %s", cdr.cfg->cdr_maxlen,
			      cdr.cfg->trunks[c->trunk].name, c->call_id,
			      sbc_call_end_names[c->reason], c->emergency, start, end, dur);
	if (rc != 0)
		free_record(fl);
	return rc;
}

static void pend(const struct record *r)
{
	if (cdr.pending == NULL) {
		cdr.pending = calloc(PENDING_MAX, sizeof(*cdr.pending));
		if (cdr.pending == NULL) {
			free(r->b2b);
			cdr.st.lost++;
			return;
		}
	}
	if (cdr.p_n == PENDING_MAX) {	/* drop the oldest: the newest say more about now */
		free(cdr.pending[cdr.p_head].b2b);
		cdr.p_head = (cdr.p_head + 1) % PENDING_MAX;
		cdr.p_n--;
		cdr.st.lost++;
		if (!cdr.lost_logged)
			cp_log(CP_ERR, CDR_STREAM ": Redis away and %u call records waiting: the "
			       "oldest are being dropped (counted)", PENDING_MAX);
		cdr.lost_logged = true;
	}
	cdr.pending[(cdr.p_head + cdr.p_n) % PENDING_MAX] = *r;
	cdr.p_n++;
}

/* Records waiting: the resend list's and the queue's. */
static size_t waiting(void)
{
	return cdr.resend_n + cdr.p_n;
}

/* Redis is up: write what waits, in order (the resend list first), while it takes it. */
static void flush(void)
{
	struct record *r;

	while ((r = cdr.resend) != NULL && write_record(r) == 0) {
		cdr.resend = r->next;
		if (cdr.resend == NULL)
			cdr.resend_tail = &cdr.resend;
		cdr.resend_n--;
		free_record(r);
	}
	if (cdr.resend != NULL)
		return;
	while (cdr.p_n > 0 && write_record(&cdr.pending[cdr.p_head]) == 0) {
		free(cdr.pending[cdr.p_head].b2b);
		cdr.p_head = (cdr.p_head + 1) % PENDING_MAX;
		cdr.p_n--;
	}
	if (cdr.p_n == 0)
		cdr.lost_logged = false;
}

static void call_admitted(const struct sbc_msg_call *c)
{
	struct cp_open_call *o;
	int rc = cp_cdr_table_insert(&cdr.open, c->call_id, c->call_id_len, c->trunk, &o);

	cdr.st.calls_admitted++;
	if (rc == -EEXIST)
		return;		/* a repeated event: one record per call */
	if (rc != 0) {
		if (!cdr.full_logged)
			cp_log(CP_ERR, "call table full (%zu open calls): records of calls admitted "
			       "now have no start", cdr.open.n);
		cdr.full_logged = true;
		return;
	}
	cdr.full_logged = false;
	o->emergency = c->emergency;
	o->start_ns = c->at_ns;
}

static void call_ended(const struct sbc_msg_call *c)
{
	struct cp_open_call *o = cp_cdr_table_find(&cdr.open, c->call_id, c->call_id_len, c->trunk);
	struct record r = { .trunk = c->trunk, .reason = c->reason, .end_ns = c->at_ns,
			    .emergency = c->emergency };

	cdr.st.calls_ended++;
	memcpy(r.call_id, c->call_id, c->call_id_len);
	r.call_id[c->call_id_len] = '\0';
	if (o != NULL) {
		r.start_ns = o->start_ns;
		r.emergency |= o->emergency;
		cp_cdr_table_delete(&cdr.open, o);
	}
	/* else: admitted before this control plane started; the record has no start */
	if (cdr.b2bua)
		return;		/* the B2BUA writes this call's record */
	if (waiting() > 0 || write_record(&r) != 0)
		pend(&r);
}

void cp_cdr_call(const struct cp_cdr_call *c)
{
	struct record r = { .b2b = NULL };

	if (waiting() == 0 && write_record(&(struct record){ .b2b = (struct cp_cdr_call *)c }) == 0)
		return;
	r.b2b = malloc(sizeof(*r.b2b));
	if (r.b2b == NULL) {
		cdr.st.lost++;
		return;
	}
	*r.b2b = *c;
	pend(&r);
}

void cp_cdr_event(const struct sbc_msg *m)
{
	const struct sbc_msg_call *c = (const void *)m->body;

	/* sbc_msg_validate checked call_id_len and reason */
	if (c->trunk >= cdr.cfg->n_trunks)
		return;
	if (m->type == SBC_EVT_CALL_ADMITTED)
		call_admitted(c);
	else
		call_ended(c);
}

/* The data plane restarted: its calls are gone with it; close ours without a record. */
void cp_cdr_reset(void)
{
	size_t open = cdr.open.n;

	cp_cdr_table_clear(&cdr.open);
	if (open)
		cp_log(CP_WARN, "data plane restarted with %zu calls open: their records end here",
		       open);
}

void cp_cdr_stats(struct cp_cdr_stats *out)
{
	*out = cdr.st;
	out->pending = waiting();
	out->open = cdr.open.n;
}

static const struct cp_redis_listener listener = { .up = flush };

int cp_cdr_init(const struct sbc_config *cfg, bool b2bua)
{
	uint64_t seed;
	int rc;

	memset(&cdr, 0, sizeof(cdr));
	cdr.cfg = cfg;
	cdr.b2bua = b2bua;
	cdr.resend_tail = &cdr.resend;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = sbc_now_ns() ^ ((uint64_t)getpid() << 32);
	rc = cp_cdr_table_init(&cdr.open, OPEN_MIN, OPEN_MAX, seed);
	return rc != 0 ? rc : cp_redis_listen(&listener);
}

void cp_cdr_fini(void)
{
	struct record *r;

	while ((r = cdr.resend) != NULL) {
		cdr.resend = r->next;
		free_record(r);
	}
	for (size_t i = 0; i < cdr.p_n; i++)
		free(cdr.pending[(cdr.p_head + i) % PENDING_MAX].b2b);
	cp_cdr_table_fini(&cdr.open);
	free(cdr.pending);
	memset(&cdr, 0, sizeof(cdr));
}
