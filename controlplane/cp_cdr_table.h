/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The open calls behind the call records (cp_cdr_table.c): Call-ID and trunk -> when and how the
 * call was admitted. Open addressing with linear probing, grown at 3/4 load up to a fixed
 * capacity, deletion by backward shift (no tombstones, so probe runs never rot). Internal to
 * cp_cdr.c; a header of its own so the unit test reaches it. Runs on the su_root thread.
 */
#ifndef CP_CDR_TABLE_H
#define CP_CDR_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbc_channel.h"

struct cp_open_call {
	char id[SBC_CALL_ID_MAX + 1];	/* NUL-terminated */
	uint16_t trunk;
	uint8_t emergency;
	bool used;
	uint64_t start_ns;		/* the data plane's clock at admission */
};

struct cp_cdr_table {
	struct cp_open_call *slot;
	size_t cap;			/* power of two, 0 until the first insert */
	size_t n;
	size_t min_cap, max_cap;	/* powers of two */
	uint64_t seed;			/* of the hash: Call-IDs are chosen by callers */
};

/*
 * Capacities are powers of two, min_cap <= max_cap; nothing is allocated yet. seed: random per
 * process, so ids that collide cannot be prepared in advance.
 */
int cp_cdr_table_init(struct cp_cdr_table *tb, size_t min_cap, size_t max_cap, uint64_t seed);
void cp_cdr_table_fini(struct cp_cdr_table *tb);
/* Forget every call (the data plane restarted); the memory stays. */
void cp_cdr_table_clear(struct cp_cdr_table *tb);
/* Calls it can hold at most: 3/4 of max_cap. */
size_t cp_cdr_table_limit(const struct cp_cdr_table *tb);

/* The slot a call's probe starts at in the table as it is now (cap > 0). */
size_t cp_cdr_table_home(const struct cp_cdr_table *tb, const char *id, size_t len,
			 uint16_t trunk);
/* The open call, or NULL. len <= SBC_CALL_ID_MAX. */
struct cp_open_call *cp_cdr_table_find(const struct cp_cdr_table *tb, const char *id, size_t len,
				       uint16_t trunk);
/*
 * Open a call: 0 with *out the new entry (id, trunk and used set; the rest zero), -EEXIST with
 * *out the call already open, -ENOSPC when the table holds cp_cdr_table_limit() calls,
 * -ENOMEM when it could not grow. Entries move when the table grows or a call is deleted:
 * a pointer is good until the next insert or delete.
 */
int cp_cdr_table_insert(struct cp_cdr_table *tb, const char *id, size_t len, uint16_t trunk,
			struct cp_open_call **out);
/* Close a call found with find (or insert). */
void cp_cdr_table_delete(struct cp_cdr_table *tb, struct cp_open_call *c);

#endif
