/*
 * store_merge.c — fn_store_merge(): copies the tasks, connection
 * reports, results, logs, backups and host keys of one store (a shard's)
 * into another, so the shards of a run read back from one place.
 *
 * Idempotent by construction: every record keeps its key (task ids,
 * task|seq, backup ids are already unique across stores), a record equal
 * to what dst holds is not written again, and a backup dst already has
 * is skipped, so its blob is not counted twice. The source is read in
 * one read transaction; dst is written in chunks of MERGE_CHUNK records,
 * each one write transaction (a crash between chunks leaves a partial
 * merge that the next merge completes). Tasks go last: a task shows up
 * only once its records are in.
 *
 * Does not: merge tasks whose ids collide (the ids' random part makes
 * that one in 4096 per microsecond shared), copy `live` rows (an open
 * task of a dead shard is written INTERRUPTED; one whose writer still
 * runs is copied as it is and updated by the next merge).
 * Thread: the caller's; dst's write lock is taken per chunk.
 */
#include "store_int.h"

#include "fn_err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MERGE_CHUNK   20000
#define MERGE_KEY_MAX 511 /* LMDB's default key limit */

/* Merges one source record (k, v borrowed) of c->db into dst. */
typedef struct merge_ctx merge_ctx_t;
typedef int merge_one_fn(merge_ctx_t *c, MDB_txn *dtxn, const MDB_val *k,
                         const MDB_val *v);

struct merge_ctx {
    fn_store_t *dst, *src;
    MDB_txn *stxn; /* the source's read txn, for the whole merge */
    enum store_db db;
    merge_one_fn *one;
    uint8_t from[MERGE_KEY_MAX]; /* first key of the next chunk */
    size_t from_len;
    int started, done;
    uint8_t next[MERGE_KEY_MAX]; /* where this chunk stopped */
    size_t next_len;
    fn_store_merge_stats_t pass; /* this chunk's counts (replay-safe) */
};

/* Puts (k, v) into dst's db unless it already holds exactly that.
 * *wrote is 1 when it wrote. */
static int merge_put(merge_ctx_t *c, MDB_txn *dtxn, const MDB_val *k,
                     const MDB_val *v, int *wrote)
{
    MDB_val key = *k, old;
    int rc = mdb_get(dtxn, c->dst->dbi[c->db], &key, &old);
    *wrote = 0;
    if (rc == 0 && old.mv_size == v->mv_size &&
        !memcmp(old.mv_data, v->mv_data, v->mv_size))
        return 0;
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    MDB_val val = *v;
    *wrote = 1;
    return mdb_put(dtxn, c->dst->dbi[c->db], &key, &val, 0);
}

/* conns, results, logs: the records as they are. */
static int merge_raw(merge_ctx_t *c, MDB_txn *dtxn, const MDB_val *k,
                     const MDB_val *v)
{
    int wrote, rc = merge_put(c, dtxn, k, v, &wrote);
    c->pass.records += (uint64_t)wrote;
    return rc;
}

/* A task as its store reads it back: an open task of a dead writer
 * becomes INTERRUPTED, saying so (the merged run names the shard). */
static int merge_task(merge_ctx_t *c, MDB_txn *dtxn, const MDB_val *k,
                      const MDB_val *v)
{
    Flexnet__V1__Task *t =
        flexnet__v1__task__unpack(NULL, v->mv_size, v->mv_data);
    if (!t)
        return fn__store_failf(c->dst, FN_EPARSE, "source task: corrupt");
    int was_open = fn__store_task_settle(c->src, c->stxn, t);
    if (was_open &&
        t->status == FLEXNET__V1__TASK_STATUS__TASK_STATUS_INTERRUPTED &&
        !*t->error) { /* "" is protobuf-c's static default */
        char *err = strdup("interrupted: its process died before the task "
                           "finished");
        if (err) /* freed with t */
            t->error = err;
    }
    size_t len;
    uint8_t *buf = fn__store_pack(&t->base, &len);
    int rc = buf ? 0 : -ENOMEM, wrote = 0;
    if (buf) {
        MDB_val val = {len, buf};
        rc = merge_put(c, dtxn, k, &val, &wrote);
    }
    c->pass.tasks += (uint64_t)wrote;
    c->pass.interrupted +=
        (uint64_t)(wrote &&
                   t->status ==
                       FLEXNET__V1__TASK_STATUS__TASK_STATUS_INTERRUPTED);
    free(buf);
    flexnet__v1__task__free_unpacked(t, NULL);
    return rc;
}

static int merge_backup(merge_ctx_t *c, MDB_txn *dtxn, const MDB_val *k,
                        const MDB_val *v)
{
    int added = 0, blob = 0;
    int rc = fn__store_backup_merge(c->dst, dtxn, c->src, c->stxn, k, v, &added,
                                    &blob);
    c->pass.backups += (uint64_t)added;
    c->pass.blobs += (uint64_t)blob;
    return rc;
}

static int merge_hostkey(merge_ctx_t *c, MDB_txn *dtxn, const MDB_val *k,
                         const MDB_val *v)
{
    int outcome = 0;
    int rc = fn__store_hostkey_merge(c->dst, dtxn, k, v, &outcome);
    if (outcome < 0 && !c->pass.hostkey_conflicts)
        snprintf(c->pass.conflict_host, sizeof(c->pass.conflict_host), "%.*s",
                 (int)k->mv_size, (const char *)k->mv_data);
    c->pass.hostkeys += (uint64_t)(outcome > 0);
    c->pass.hostkey_conflicts += (uint64_t)(outcome < 0);
    return rc;
}

/* The databases merged, in order (tasks last; `live` and `meta` stay). */
static const struct merge_table {
    enum store_db db;
    merge_one_fn *one;
} merge_dbs[] = {
    {DB_CONNS, merge_raw},        {DB_RESULTS, merge_raw},
    {DB_LOGS, merge_raw},         {DB_BACKUPS, merge_backup},
    {DB_HOSTKEYS, merge_hostkey}, {DB_TASKS, merge_task},
};

/* Write callback: up to MERGE_CHUNK records from c->from on. Run again
 * from the same point when the txn is replayed (map growth). */
static int merge_chunk(fn_store_t *dst, MDB_txn *dtxn, void *arg)
{
    merge_ctx_t *c = arg;
    MDB_cursor *cur;
    MDB_val k = {c->from_len, c->from}, v;
    (void)dst;
    memset(&c->pass, 0, sizeof(c->pass));
    int rc = mdb_cursor_open(c->stxn, c->src->dbi[c->db], &cur);
    if (rc)
        return rc;
    rc = mdb_cursor_get(cur, &k, &v, c->started ? MDB_SET_RANGE : MDB_FIRST);
    for (unsigned n = 0; rc == 0 && n < MERGE_CHUNK; n++) {
        rc = c->one(c, dtxn, &k, &v);
        if (rc == 0)
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    c->done = rc == MDB_NOTFOUND;
    if (rc == 0 && k.mv_size <= sizeof(c->next)) {
        memcpy(c->next, k.mv_data, k.mv_size);
        c->next_len = k.mv_size;
    } else if (rc == 0) {
        rc = fn__store_failf(c->dst, FN_EPARSE, "source key too long");
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static void merge_add(fn_store_merge_stats_t *t,
                      const fn_store_merge_stats_t *p)
{
    if (p->hostkey_conflicts && !t->hostkey_conflicts)
        memcpy(t->conflict_host, p->conflict_host, sizeof(t->conflict_host));
    t->tasks += p->tasks;
    t->interrupted += p->interrupted;
    t->records += p->records;
    t->backups += p->backups;
    t->blobs += p->blobs;
    t->hostkeys += p->hostkeys;
    t->hostkey_conflicts += p->hostkey_conflicts;
}

/* Merges one database, chunk by chunk. */
static int merge_db(merge_ctx_t *c, fn_store_merge_stats_t *total)
{
    c->started = c->done = 0;
    c->from_len = 0;
    while (!c->done) {
        int rc = fn__store_write(c->dst, merge_chunk, c);
        if (rc)
            return rc;
        merge_add(total, &c->pass);
        memcpy(c->from, c->next, c->next_len);
        c->from_len = c->next_len;
        c->started = 1;
    }
    return 0;
}

int fn_store_merge(fn_store_t *dst, fn_store_t *src,
                   fn_store_merge_stats_t *stats)
{
    if (!dst || !src || !stats || dst == src)
        return FN_EPARSE;
    memset(stats, 0, sizeof(*stats));
    merge_ctx_t *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->dst = dst;
    c->src = src;
    int rc = fn__store_read_begin(src, &c->stxn);
    if (rc) {
        free(c);
        return rc;
    }
    for (size_t i = 0; !rc && i < sizeof(merge_dbs) / sizeof(merge_dbs[0]);
         i++) {
        c->db = merge_dbs[i].db;
        c->one = merge_dbs[i].one;
        rc = merge_db(c, stats);
    }
    fn__store_read_end(src, c->stxn);
    free(c);
    return rc ? rc : fn_store_sync(dst);
}
