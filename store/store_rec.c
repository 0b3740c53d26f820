/*
 * store_rec.c — the per-task streams: command results, connection
 * reports and log lines, queued into the group-commit batch and read back
 * in key order in slices (one short read txn per slice).
 *
 * Logs and results are keyed task id | seq (u64, arrival order), so a
 * batch only ever adds pages at the right edge of the tree: keyed by host
 * instead, a batch of results from thousands of devices dirtied one leaf
 * page per result and wrote ~4 KB per record at commit.
 * Records are packed without their task id (and log lines without seq):
 * both are in the key and restored on read, which saves ~20 bytes a line.
 * Does not commit anything itself (store.c does). Any thread. Owns the
 * per-task log sequence cache of the fn_store_t (under wlock).
 */
#include "store_int.h"

#include "fn_err.h"
#include "fn_time.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define REC_KEY_MAX (FN_STORE_ID_LEN + 8)
#define REC_STACK   2048 /* pack on the stack below this */
#define WALK_SLICE  256  /* records per read txn when streaming */

static int seq_next(fn_store_t *st, enum store_db db, const char *id,
                    uint64_t *seq);

/* ---- packing into the batch -------------------------------------------- */

/* Packs msg (task id already cleared by the caller) and queues it. */
static int queue_msg(fn_store_t *st, enum store_op op, enum store_db db,
                     const uint8_t *key, size_t klen,
                     const ProtobufCMessage *msg)
{
    uint8_t small[REC_STACK];
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = len <= sizeof(small) ? small : malloc(len);
    if (!buf)
        return -ENOMEM;
    protobuf_c_message_pack(msg, buf);
    int rc = fn__store_batch_add(st, op, db, key, klen, buf, len);
    if (buf != small)
        free(buf);
    return rc;
}

static int check_writable(fn_store_t *st)
{
    if (st->flags & FN_STORE_RDONLY)
        return fn__store_failf(st, FN_ESTATE, "store opened read-only");
    return 0;
}

/* The one append path: checks, keys and queues msg (its task id already
 * cleared). Connection reports are keyed task | host; logs and results
 * task | next seq (written to *seq_out). host is required unless logs. */
static int append_rec(fn_store_t *st, enum store_db db, const char *task,
                      const char *host, const ProtobufCMessage *msg,
                      uint64_t *seq_out)
{
    size_t hl = host ? strlen(host) : 0;
    if (!fn__store_id_valid(task) || hl > FN_STORE_HOST_MAX ||
        (hl == 0 && db != DB_LOGS))
        return fn__store_failf(st, FN_EPARSE,
                               "record needs a task id and a host of 1..%d "
                               "bytes",
                               FN_STORE_HOST_MAX);
    int rc = check_writable(st);
    if (rc)
        return rc;
    uint8_t key[FN_STORE_ID_LEN + FN_STORE_HOST_MAX];
    memcpy(key, task, FN_STORE_ID_LEN);
    size_t kl = FN_STORE_ID_LEN + 8;
    uint64_t seq = 0;
    pthread_mutex_lock(&st->wlock);
    if (db == DB_CONNS) {
        memcpy(key + FN_STORE_ID_LEN, host, hl);
        kl = FN_STORE_ID_LEN + hl;
    } else {
        rc = seq_next(st, db, task, &seq);
        store_be64(key + FN_STORE_ID_LEN, seq);
    }
    if (rc == 0)
        rc = queue_msg(st, db == DB_CONNS ? OP_PUT : OP_APPEND, db, key, kl,
                       msg);
    pthread_mutex_unlock(&st->wlock);
    if (seq_out)
        *seq_out = rc == 0 ? seq : 0;
    return rc;
}

int fn_store_result_append(fn_store_t *st,
                           const Flexnet__V1__CommandResult *result)
{
    if (!st || !result)
        return FN_EPARSE;
    Flexnet__V1__CommandResult r = *result;
    r.task_id = NULL;
    return append_rec(st, DB_RESULTS, result->task_id, r.host, &r.base, NULL);
}

int fn_store_conn_append(fn_store_t *st,
                         const Flexnet__V1__ConnectionReport *report)
{
    if (!st || !report)
        return FN_EPARSE;
    Flexnet__V1__ConnectionReport r = *report;
    r.task_id = NULL;
    return append_rec(st, DB_CONNS, report->task_id, r.host, &r.base, NULL);
}

int fn_store_log_append(fn_store_t *st, const Flexnet__V1__LogLine *line,
                        uint64_t *seq_out)
{
    if (!st || !line)
        return FN_EPARSE;
    Flexnet__V1__LogLine l = *line;
    l.task_id = NULL;
    l.seq = 0;
    if (!l.time_us)
        l.time_us = fn_time_wall_us();
    return append_rec(st, DB_LOGS, line->task_id, l.host, &l.base, seq_out);
}

/* ---- log sequence numbers ---------------------------------------------- */

/* Last committed seq of a task's logs or results, from the database. */
static int seq_from_db(fn_store_t *st, enum store_db db, const char *id,
                       uint64_t *last)
{
    MDB_txn *txn;
    *last = 0;
    int rc = fn__store_read_begin(st, &txn);
    if (rc)
        return rc;
    MDB_cursor *cur;
    rc = mdb_cursor_open(txn, st->dbi[db], &cur);
    if (rc == 0) {
        uint8_t key[FN_STORE_ID_LEN + 8];
        memcpy(key, id, FN_STORE_ID_LEN);
        memset(key + FN_STORE_ID_LEN, 0xff, 8);
        MDB_val k = {sizeof(key), key}, v;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV)
                     : mdb_cursor_get(cur, &k, &v, MDB_LAST);
        *last = 0;
        if (rc == 0 && k.mv_size == sizeof(key) &&
            memcmp(k.mv_data, id, FN_STORE_ID_LEN) == 0)
            *last = store_get64((uint8_t *)k.mv_data + FN_STORE_ID_LEN);
        rc = rc == MDB_NOTFOUND ? 0 : rc;
        mdb_cursor_close(cur);
    }
    fn__store_read_end(st, txn);
    return fn__store_fail(st, rc, "log seq");
}

/* Hands out the next seq of task id in db; wlock held. */
static int seq_next(fn_store_t *st, enum store_db db, const char *id,
                    uint64_t *seq)
{
    store_seq_t *victim = &st->seqs[0];
    for (int i = 0; i < STORE_SEQ_CACHE; i++) {
        /* start at the last hit: appends come in runs of one task */
        int j = (i + st->seq_hint) % STORE_SEQ_CACHE;
        store_seq_t *s = &st->seqs[j];
        if (s->db == db && memcmp(s->id, id, FN_STORE_ID_LEN) == 0) {
            s->used = ++st->seq_clock;
            st->seq_hint = j;
            *seq = s->next++;
            return 0;
        }
        if (s->used < victim->used)
            victim = s;
    }
    if (victim->used && st->batch_count) {
        /* its lines may be pending: commit so the db is the truth */
        int rc = fn__store_write_locked(st, NULL, NULL);
        if (rc)
            return rc;
    }
    uint64_t last = 0;
    int rc = seq_from_db(st, db, id, &last);
    if (rc)
        return rc;
    victim->db = (uint8_t)db;
    memcpy(victim->id, id, FN_STORE_ID_LEN);
    victim->id[FN_STORE_ID_LEN] = '\0';
    victim->used = ++st->seq_clock;
    victim->next = last + 2;
    *seq = last + 1;
    return 0;
}

void fn__store_seq_forget(fn_store_t *st, const char *id)
{
    for (int i = 0; i < STORE_SEQ_CACHE; i++)
        if (memcmp(st->seqs[i].id, id, FN_STORE_ID_LEN) == 0)
            memset(&st->seqs[i], 0, sizeof(st->seqs[i]));
}

/* ---- streaming back ---------------------------------------------------- */

/* What one walk reads and how it hands records over. */
typedef struct walk {
    enum store_db db;
    const ProtobufCMessageDescriptor *desc;
    const uint8_t *prefix; /* every key starts with it */
    size_t plen;
    uint8_t from[REC_KEY_MAX]; /* next key to read (inclusive) */
    size_t from_len;
    int skip_equal;   /* resume: skip `from` itself */
    const char *host; /* results: only this host's (NULL: all) */
    int (*call)(const struct walk *w, const ProtobufCMessage *m);
    union {
        fn_store_log_cb *log;
        fn_store_result_cb *result;
    } cb;
    void *arg;
} walk_t;

/* 1 if m is a result of another host than the walk wants. */
static int walk_skip(const walk_t *w, const ProtobufCMessage *m)
{
    const Flexnet__V1__CommandResult *r = (const void *)m;
    return w->host && w->db == DB_RESULTS && strcmp(r->host, w->host) != 0;
}

/* Scans up to WALK_SLICE records, copying the wanted ones out of LMDB
 * into msgs; *more says whether the scan stopped at the limit. */
static int walk_slice(fn_store_t *st, walk_t *w, ProtobufCMessage **msgs,
                      size_t *n, int *more)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = fn__store_read_begin(st, &txn);
    if (rc)
        return rc;
    rc = mdb_cursor_open(txn, st->dbi[w->db], &cur);
    MDB_val k = {w->from_len, w->from}, v;
    if (rc == 0)
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (rc == 0 && w->skip_equal && k.mv_size == w->from_len &&
        memcmp(k.mv_data, w->from, k.mv_size) == 0)
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    size_t scanned = 0;
    for (*n = 0; rc == 0 && scanned < WALK_SLICE;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), scanned++) {
        if (k.mv_size < w->plen || memcmp(k.mv_data, w->prefix, w->plen) ||
            k.mv_size > sizeof(w->from))
            break;
        ProtobufCMessage *m =
            protobuf_c_message_unpack(w->desc, NULL, v.mv_size, v.mv_data);
        if (m && w->db == DB_LOGS && k.mv_size == FN_STORE_ID_LEN + 8)
            ((Flexnet__V1__LogLine *)m)->seq =
                store_get64((uint8_t *)k.mv_data + FN_STORE_ID_LEN);
        memcpy(w->from, k.mv_data, k.mv_size);
        w->from_len = k.mv_size;
        w->skip_equal = 1;
        if (m && walk_skip(w, m))
            protobuf_c_message_free_unpacked(m, NULL);
        else if (m)
            msgs[(*n)++] = m;
    }
    *more = scanned == WALK_SLICE;
    if (rc == 0 || rc == MDB_NOTFOUND)
        rc = 0;
    mdb_cursor_close(cur);
    fn__store_read_end(st, txn);
    return fn__store_fail(st, rc, "read");
}

/* Sets the task id (first field) of each message; calls back. */
static int walk_deliver(walk_t *w, ProtobufCMessage **msgs, size_t n,
                        const char *task)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char **tid = (char **)((char *)msgs[i] + w->desc->fields[0].offset);
        if (*tid && *tid != protobuf_c_empty_string)
            free(*tid);
        *tid = (char *)task; /* borrowed for the call only */
        if (rc == 0)
            rc = w->call(w, msgs[i]);
        *tid = NULL;
        protobuf_c_message_free_unpacked(msgs[i], NULL);
    }
    return rc;
}

static int walk_run(fn_store_t *st, walk_t *w, const char *task)
{
    ProtobufCMessage **msgs = malloc(WALK_SLICE * sizeof(*msgs));
    if (!msgs)
        return -ENOMEM;
    char tid[FN_STORE_ID_LEN + 1];
    memcpy(tid, task, sizeof(tid));
    int rc, more;
    size_t n;
    do {
        rc = walk_slice(st, w, msgs, &n, &more);
        if (rc == 0)
            rc = walk_deliver(w, msgs, n, tid);
    } while (rc == 0 && more);
    free(msgs);
    return rc;
}

static int call_log(const walk_t *w, const ProtobufCMessage *m)
{
    return w->cb.log((const Flexnet__V1__LogLine *)m, w->arg);
}

static int call_result(const walk_t *w, const ProtobufCMessage *m)
{
    return w->cb.result((const Flexnet__V1__CommandResult *)m, w->arg);
}

int fn_store_log_foreach(fn_store_t *st, const char *task_id, uint64_t from_seq,
                         fn_store_log_cb *cb, void *arg)
{
    if (!st || !cb || !fn__store_id_valid(task_id))
        return st ? fn__store_failf(st, FN_EPARSE, "bad task id") : FN_EPARSE;
    walk_t w = {.db = DB_LOGS,
                .desc = &flexnet__v1__log_line__descriptor,
                .prefix = (const uint8_t *)task_id,
                .plen = FN_STORE_ID_LEN,
                .from_len = FN_STORE_ID_LEN + 8,
                .call = call_log,
                .cb.log = cb,
                .arg = arg};
    memcpy(w.from, task_id, FN_STORE_ID_LEN);
    store_be64(w.from + FN_STORE_ID_LEN, from_seq);
    return walk_run(st, &w, task_id);
}

int fn_store_result_foreach(fn_store_t *st, const char *task_id,
                            const char *host, fn_store_result_cb *cb, void *arg)
{
    if (!st || !cb)
        return FN_EPARSE;
    if (!fn__store_id_valid(task_id))
        return fn__store_failf(st, FN_EPARSE, "bad task id");
    walk_t w = {.db = DB_RESULTS,
                .desc = &flexnet__v1__command_result__descriptor,
                .prefix = (const uint8_t *)task_id,
                .plen = FN_STORE_ID_LEN,
                .from_len = FN_STORE_ID_LEN,
                .host = host,
                .call = call_result,
                .cb.result = cb,
                .arg = arg};
    memcpy(w.from, task_id, FN_STORE_ID_LEN);
    return walk_run(st, &w, task_id);
}
