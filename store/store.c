/*
 * store.c — the LMDB environment of fn_store: open/close, schema, the
 * group-commit batch, the write loop (grow the map and replay on
 * MDB_MAP_FULL; trim the map's resident pages), short read
 * transactions, ids, and error reasons.
 *
 * Does not know what records mean: tasks, results/logs, backups and the
 * diff live in store_task.c, store_rec.c, store_backup.c, store_diff.c.
 * Any thread (see the lock notes in store_int.h). Owns the MDB_env, the
 * batch buffer and the reason string of each fn_store_t.
 */
#include "store_int.h"

#include "fn_err.h"
#include "fn_time.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <unistd.h>

#define STORE_DEFAULT_MAP       (16ull << 30)
#define STORE_DEFAULT_MAX       (1ull << 40)
#define STORE_DEFAULT_BATCH     8192u
#define STORE_DEFAULT_SYNC_MS   1000u
#define STORE_BATCH_FLUSH_BYTES (16u << 20) /* auto-flush past this */
#define STORE_BATCH_MAX_BYTES   (64u << 20) /* refuse past this */
#define STORE_MAX_READERS       512
#define STORE_TRIM_BYTES        (1u << 20) /* file growth between trims */
#define STORE_TRIM_COMMITS      16u        /* or commits between trims */

/* One queued op in the batch; followed by key, then val, padded to 8. */
typedef struct op_hdr {
    uint8_t op, db;
    uint16_t zero;
    uint32_t klen, vlen;
} op_hdr_t;

static const char *const db_names[DB__COUNT] = {
    [DB_TASKS] = "tasks",       [DB_LIVE] = "live",
    [DB_CONNS] = "conns",       [DB_RESULTS] = "results",
    [DB_LOGS] = "logs",         [DB_BACKUPS] = "backups",
    [DB_BK_HOST] = "bk_host",   [DB_BK_TASK] = "bk_task",
    [DB_BLOBS] = "blobs",       [DB_BLOBREFS] = "blobrefs",
    [DB_HOSTKEYS] = "hostkeys", [DB_META] = "meta",
};

/* ---- reasons and error mapping ----------------------------------------- */

int fn__store_failf(fn_store_t *st, int code, const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&st->rlock);
    va_start(ap, fmt);
    vsnprintf(st->reason, sizeof(st->reason), fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&st->rlock);
    return code;
}

static int is_lmdb_code(int rc)
{
    return rc >= MDB_KEYEXIST && rc <= MDB_LAST_ERRCODE;
}

int fn__store_fail(fn_store_t *st, int rc, const char *what)
{
    if (rc == 0)
        return 0;
    if (rc > 0) /* errno from LMDB */
        return fn__store_failf(st, -rc, "%s: %s", what, strerror(rc));
    if (!is_lmdb_code(rc)) /* a flexnet code: its reason is set */
        return rc;
    int code = FN_ESTORE;
    if (rc == MDB_NOTFOUND)
        code = FN_ENOTFOUND;
    else if (rc == MDB_KEYEXIST)
        code = FN_EEXISTS;
    else if (rc == MDB_MAP_FULL)
        code = FN_EFULL;
    return fn__store_failf(st, code, "%s: %s", what, mdb_strerror(rc));
}

const char *fn_store_reason(const fn_store_t *st)
{
    return st ? st->reason : "no store";
}

/* ---- ids --------------------------------------------------------------- */

void fn__store_id_format(int64_t us, unsigned r, char id[FN_STORE_ID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t v = ((uint64_t)us << 12) | (r & 0xfffu);
    for (int i = FN_STORE_ID_LEN - 1; i >= 0; i--) {
        id[i] = hex[v & 0xf];
        v >>= 4;
    }
    id[FN_STORE_ID_LEN] = '\0';
}

int fn__store_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int fn__store_id_valid(const char *s)
{
    if (!s || strlen(s) != FN_STORE_ID_LEN)
        return 0;
    for (int i = 0; i < FN_STORE_ID_LEN; i++)
        if (fn__store_hexval(s[i]) < 0)
            return 0;
    return 1;
}

int64_t fn__store_id_time(const char *id)
{
    if (!fn__store_id_valid(id))
        return -1;
    uint64_t v = 0;
    for (int i = 0; i < FN_STORE_ID_LEN - 3; i++)
        v = v << 4 | (uint64_t)fn__store_hexval(id[i]);
    return (int64_t)v;
}

static uint64_t store_rand(fn_store_t *st)
{
    uint64_t x = st->rand_state; /* xorshift64: ids need spread, not secrecy */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    st->rand_state = x;
    return x;
}

void fn__store_new_id(fn_store_t *st, int64_t us, char id[FN_STORE_ID_LEN + 1])
{
    if (us <= 0) {
        us = fn_time_wall_us();
        if (us <= st->last_id_us)
            us = st->last_id_us + 1;
        st->last_id_us = us;
    }
    fn__store_id_format(us, (unsigned)store_rand(st), id);
}

/* ---- read transactions ------------------------------------------------- */

/* Another process grew the map past ours: adopt its size. */
static void store_adopt_mapsize(fn_store_t *st)
{
    MDB_envinfo info;
    pthread_rwlock_wrlock(&st->maplock);
    st->map_found = 0; /* the map moves */
    mdb_env_set_mapsize(st->env, 0);
    if (mdb_env_info(st->env, &info) == 0)
        st->map_size = info.me_mapsize;
    pthread_rwlock_unlock(&st->maplock);
}

static int store_txn_begin(fn_store_t *st, unsigned flags, MDB_txn **txn)
{
    for (;;) {
        pthread_rwlock_rdlock(&st->maplock);
        int rc = mdb_txn_begin(st->env, NULL, flags, txn);
        if (rc == 0)
            return 0;
        pthread_rwlock_unlock(&st->maplock);
        if (rc != MDB_MAP_RESIZED)
            return rc;
        store_adopt_mapsize(st);
    }
}

int fn__store_read_begin(fn_store_t *st, MDB_txn **txn)
{
    int rc = store_txn_begin(st, MDB_RDONLY, txn);
    return rc ? fn__store_fail(st, rc, "read txn") : 0;
}

void fn__store_read_end(fn_store_t *st, MDB_txn *txn)
{
    mdb_txn_abort(txn);
    pthread_rwlock_unlock(&st->maplock);
}

int fn__store_read_msg(fn_store_t *st, const ProtobufCMessageDescriptor *desc,
                       store_msg_fn *fn, void *arg, ProtobufCMessage **out)
{
    *out = NULL;
    ProtobufCMessage *m = malloc(desc->sizeof_message);
    if (!m)
        return -ENOMEM;
    desc->message_init(m);
    MDB_txn *txn;
    int rc = fn__store_read_begin(st, &txn);
    if (rc == 0) {
        rc = fn(st, txn, m, arg);
        fn__store_read_end(st, txn);
    }
    if (rc) {
        protobuf_c_message_free_unpacked(m, NULL);
        return rc;
    }
    *out = m;
    return 0;
}

/* ---- the batch --------------------------------------------------------- */

static size_t op_size(size_t klen, size_t vlen)
{
    return (sizeof(op_hdr_t) + klen + vlen + 7) & ~(size_t)7;
}

int fn__store_batch_add(fn_store_t *st, enum store_op op, enum store_db db,
                        const void *key, size_t klen, const void *val,
                        size_t vlen)
{
    size_t need = op_size(klen, vlen);
    if (st->batch_len + need > STORE_BATCH_MAX_BYTES) {
        char why[STORE_REASON_LEN];
        pthread_mutex_lock(&st->rlock);
        memcpy(why, st->reason, sizeof(why));
        pthread_mutex_unlock(&st->rlock);
        return fn__store_failf(st, FN_EFULL,
                               "batch full (%zu bytes pending) as earlier "
                               "flushes failed: %.150s",
                               st->batch_len, why);
    }
    if (st->batch_len + need > st->batch_cap) {
        size_t cap = st->batch_cap ? st->batch_cap : 1u << 16;
        while (cap < st->batch_len + need)
            cap *= 2;
        char *p = realloc(st->batch, cap);
        if (!p)
            return -ENOMEM;
        st->batch = p;
        st->batch_cap = cap;
    }
    op_hdr_t h = {.op = (uint8_t)op,
                  .db = (uint8_t)db,
                  .klen = (uint32_t)klen,
                  .vlen = (uint32_t)vlen};
    char *p = st->batch + st->batch_len;
    memcpy(p, &h, sizeof(h));
    memcpy(p + sizeof(h), key, klen);
    if (vlen)
        memcpy(p + sizeof(h) + klen, val, vlen);
    st->batch_len += need;
    st->batch_count++;
    if (st->batch_count >= st->batch_records ||
        st->batch_len >= STORE_BATCH_FLUSH_BYTES)
        return fn__store_write_locked(st, NULL, NULL);
    return 0;
}

static int batch_put(fn_store_t *st, MDB_txn *txn, const op_hdr_t *h,
                     const char *kp)
{
    MDB_val k = {h->klen, (void *)kp};
    MDB_val v = {h->vlen, (void *)(kp + h->klen)};
    MDB_dbi dbi = st->dbi[h->db];
    if (h->op == OP_APPEND) {
        int rc = mdb_put(txn, dbi, &k, &v, MDB_APPEND);
        if (rc != MDB_KEYEXIST)
            return rc;
    }
    return mdb_put(txn, dbi, &k, &v, 0);
}

/* Replays the whole batch into txn. Returns 0 or an LMDB code. */
static int batch_apply(fn_store_t *st, MDB_txn *txn)
{
    size_t off = 0;
    while (off < st->batch_len) {
        op_hdr_t h;
        memcpy(&h, st->batch + off, sizeof(h));
        const char *kp = st->batch + off + sizeof(h);
        int rc;
        if (h.op == OP_PUT || h.op == OP_APPEND) {
            rc = batch_put(st, txn, &h, kp);
        } else {
            char id[FN_STORE_ID_LEN + 1];
            memcpy(id, kp, FN_STORE_ID_LEN);
            id[FN_STORE_ID_LEN] = '\0';
            rc = fn__store_task_apply(st, txn, (enum store_op)h.op, id,
                                      (const uint8_t *)kp + h.klen, h.vlen);
        }
        if (rc)
            return rc;
        off += op_size(h.klen, h.vlen);
    }
    return 0;
}

static void batch_reset(fn_store_t *st)
{
    st->batch_len = 0;
    st->batch_count = 0;
    if (st->batch_cap > (8u << 20)) { /* give back a burst's memory */
        free(st->batch);
        st->batch = NULL;
        st->batch_cap = 0;
    }
}

/* ---- the write loop ---------------------------------------------------- */

/* Doubles the map (up to map_max). Exclusive: no txn may be open. */
static int store_grow(fn_store_t *st)
{
    MDB_envinfo info;
    pthread_rwlock_wrlock(&st->maplock);
    int rc = mdb_env_info(st->env, &info);
    uint64_t cur = info.me_mapsize;
    if (rc == 0 && cur < st->map_max) {
        uint64_t want = cur * 2 < st->map_max ? cur * 2 : st->map_max;
        st->map_found = 0; /* the map moves */
        rc = mdb_env_set_mapsize(st->env, (size_t)want);
        if (rc == 0 && mdb_env_info(st->env, &info) == 0)
            st->map_size = info.me_mapsize;
    }
    pthread_rwlock_unlock(&st->maplock);
    if (rc == 0 && cur >= st->map_max)
        return fn__store_failf(st, FN_EFULL,
                               "store map full: %llu MiB reached the maximum "
                               "map size; nothing of this batch was written",
                               (unsigned long long)(cur >> 20));
    return rc ? fn__store_fail(st, rc, "grow map") : 0;
}

/* After a commit: sync when the last one is older than the interval. */
static void store_maybe_sync(fn_store_t *st)
{
    int64_t now = fn_time_mono_us();
    if (st->sync_interval_ms == UINT32_MAX ||
        now - st->last_sync_us < (int64_t)st->sync_interval_ms * 1000)
        return;
    if (mdb_env_sync(st->env, 1) == 0)
        st->last_sync_us = now;
}

/* Where this process maps the store's file (LMDB tells its map address
 * only with MDB_FIXEDMAP, and the map moves when it grows): the
 * /proc/self/maps line of the file's device and inode at offset 0.
 * Returns 0 and *addr, *len, or -1. */
static int store_map_find(fn_store_t *st, void **addr, size_t *len)
{
    int fd = -1;
    struct stat sb;
    if (mdb_env_get_fd(st->env, &fd) || fstat(fd, &sb))
        return -1;
    FILE *f = fopen("/proc/self/maps", "re");
    char *line = NULL;
    size_t cap = 0;
    int rc = -1;
    while (f && rc && getline(&line, &cap, f) > 0) {
        char *p; /* start-end perms offset maj:min inode path */
        unsigned long long lo = strtoull(line, &p, 16);
        unsigned long long hi = strtoull(*p == '-' ? p + 1 : p, &p, 16);
        p = strchr(p + 1, ' '); /* after perms */
        unsigned long long off = p ? strtoull(p, &p, 16) : 1;
        unsigned long long maj = p ? strtoull(p, &p, 16) : 0;
        unsigned long long min = p && *p == ':' ? strtoull(p + 1, &p, 16) : 0;
        unsigned long long ino = p ? strtoull(p, &p, 10) : 0;
        if (off == 0 && ino == (unsigned long long)sb.st_ino &&
            maj == major(sb.st_dev) && min == minor(sb.st_dev) && hi > lo) {
            *addr = (void *)(uintptr_t)lo;
            *len = (size_t)(hi - lo);
            rc = 0;
        }
    }
    free(line);
    if (f)
        fclose(f);
    return rc;
}

/* store_map_find, read once per mapping: the map moves only when it is
 * resized (every mdb_env_set_mapsize clears map_found), and /proc/self/maps is
 * not worth reading every few commits. */
static int store_map_locate(fn_store_t *st, void **addr, size_t *len)
{
    if (!st->map_found) {
        if (store_map_find(st, &st->map_addr, &st->map_len))
            return -1;
        st->map_found = 1;
    }
    *addr = st->map_addr;
    *len = st->map_len;
    return 0;
}

/* After a commit: every STORE_TRIM_COMMITS commits, or once the file
 * grew by STORE_TRIM_BYTES, drops this process's page-table mappings of
 * the map. Each write txn walks its B-trees through the map, the pages
 * it reads sit among freshly written ones (LMDB reuses freed pages) and
 * the kernel maps up to 16 neighbouring cached pages per fault: without
 * this a writer soon has the whole file in its RSS (~4 KiB per device
 * of a task with backups, 400 MB at 100,000 devices). Measured: a trim
 * per 4 MiB of growth alone still let the file's RSS reach its size.
 * The map is a shared, read-only file mapping (no MDB_WRITEMAP):
 * MADV_DONTNEED only unmaps; the data stays in the file and page cache,
 * and a reader (any thread, read txn open or not) faults it back in
 * unchanged. Cost at 4,000 devices: 500 calls, ~40 ms in all. */
static void store_trim_map(fn_store_t *st)
{
    MDB_envinfo info;
    MDB_stat ms;
    void *addr;
    size_t len;
    pthread_rwlock_rdlock(&st->maplock); /* no remap meanwhile */
    if (mdb_env_info(st->env, &info) == 0 && mdb_env_stat(st->env, &ms) == 0 &&
        (++st->trim_commits >= STORE_TRIM_COMMITS ||
         (info.me_last_pgno - st->trim_pgno) * ms.ms_psize >=
             STORE_TRIM_BYTES) &&
        store_map_locate(st, &addr, &len) == 0) {
        size_t used = (size_t)(info.me_last_pgno + 1) * ms.ms_psize;
        if (madvise(addr, used < len ? used : len, MADV_DONTNEED) == 0) {
            st->trim_pgno = info.me_last_pgno;
            st->trim_commits = 0;
        }
    }
    pthread_rwlock_unlock(&st->maplock);
}

/* One attempt: batch + fn in one txn. *fnrc gets fn's own failure (the
 * txn is then aborted and 0 returned, so the caller retries batch-only). */
static int write_once(fn_store_t *st, store_write_fn *fn, void *arg, int *fnrc)
{
    MDB_txn *txn;
    int rc = store_txn_begin(st, 0, &txn);
    if (rc)
        return rc;
    rc = batch_apply(st, txn);
    if (rc == 0 && fn) {
        int frc = fn(st, txn, arg);
        if (frc && (frc == MDB_MAP_FULL || frc == MDB_TXN_FULL || frc > 0))
            rc = frc; /* an LMDB condition: retry or fail as a whole */
        else
            *fnrc = frc;
    }
    if (rc || *fnrc)
        mdb_txn_abort(txn);
    else
        rc = mdb_txn_commit(txn);
    pthread_rwlock_unlock(&st->maplock);
    return rc;
}

/* Commit latency for fn_store_stats (the caller holds wlock). */
static void store_count_commit(fn_store_t *st, int64_t us)
{
    st->commits++;
    st->commit_us += (uint64_t)us;
    if ((uint64_t)us > st->commit_us_max)
        st->commit_us_max = (uint64_t)us;
}

int fn__store_write_locked(fn_store_t *st, store_write_fn *fn, void *arg)
{
    if (st->flags & FN_STORE_RDONLY)
        return fn__store_failf(st, FN_ESTATE, "store opened read-only");
    if (!fn && st->batch_count == 0)
        return 0;
    for (;;) {
        int fnrc = 0;
        int64_t t0 = fn_time_mono_us();
        int rc = write_once(st, fn, arg, &fnrc);
        if (rc == 0)
            store_count_commit(st, fn_time_mono_us() - t0);
        if (rc == MDB_MAP_FULL) {
            rc = store_grow(st);
            if (rc)
                return rc;
            continue;
        }
        if (rc)
            return fn__store_fail(st, rc, "write txn");
        if (fnrc) {
            if (st->batch_count) /* commit the batch without fn */
                fn__store_write_locked(st, NULL, NULL);
            return is_lmdb_code(fnrc) ? fn__store_fail(st, fnrc, "store")
                                      : fnrc;
        }
        batch_reset(st);
        store_maybe_sync(st);
        store_trim_map(st);
        return 0;
    }
}

int fn__store_write(fn_store_t *st, store_write_fn *fn, void *arg)
{
    pthread_mutex_lock(&st->wlock);
    int rc = fn__store_write_locked(st, fn, arg);
    pthread_mutex_unlock(&st->wlock);
    return rc;
}

int fn_store_flush(fn_store_t *st)
{
    if (!st)
        return FN_EPARSE;
    return fn__store_write(st, NULL, NULL);
}

int fn_store_sync(fn_store_t *st)
{
    if (!st)
        return FN_EPARSE;
    int rc = fn__store_write(st, NULL, NULL);
    if (rc || (st->flags & FN_STORE_RDONLY))
        return rc;
    /* no lock held while the disk works: appends go on meanwhile */
    int64_t t0 = fn_time_mono_us();
    rc = fn__store_fail(st, mdb_env_sync(st->env, 1), "sync");
    if (rc == 0) {
        pthread_mutex_lock(&st->wlock);
        st->last_sync_us = t0;
        pthread_mutex_unlock(&st->wlock);
    }
    return rc;
}

size_t fn_store_pending(const fn_store_t *st)
{
    return st ? st->batch_count : 0;
}

/* ---- small shared helpers ---------------------------------------------- */

uint8_t *fn__store_pack(const ProtobufCMessage *msg, size_t *len)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return NULL;
    *len = protobuf_c_message_pack(msg, buf);
    return buf;
}

static int has_prefix(const MDB_val *k, const void *prefix, size_t plen)
{
    return k->mv_size >= plen && memcmp(k->mv_data, prefix, plen) == 0;
}

int fn__store_del_prefix(MDB_txn *txn, MDB_dbi dbi, const void *prefix,
                         size_t plen)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc)
        return rc;
    for (;;) {
        MDB_val k = {plen, (void *)prefix}, v;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        if (rc || !has_prefix(&k, prefix, plen))
            break;
        rc = mdb_cursor_del(cur, 0);
        if (rc)
            break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int fn__store_resolve_txn(fn_store_t *st, MDB_txn *txn, enum store_db db,
                          const char *prefix, char id[FN_STORE_ID_LEN + 1])
{
    size_t plen = prefix ? strlen(prefix) : 0;
    if (plen == 0 || plen > FN_STORE_ID_LEN)
        return fn__store_failf(st, FN_EPARSE, "bad id '%.40s'",
                               prefix ? prefix : "");
    char low[FN_STORE_ID_LEN + 1];
    for (size_t i = 0; i < plen; i++) {
        char c = prefix[i];
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (fn__store_hexval(c) < 0)
            return fn__store_failf(st, FN_EPARSE, "bad id '%.40s'", prefix);
        low[i] = c;
    }
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, st->dbi[db], &cur);
    if (rc)
        return fn__store_fail(st, rc, "cursor");
    MDB_val k = {plen, low}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (rc == 0 && has_prefix(&k, low, plen) && k.mv_size == FN_STORE_ID_LEN) {
        memcpy(id, k.mv_data, FN_STORE_ID_LEN);
        id[FN_STORE_ID_LEN] = '\0';
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        rc = (rc == 0 && has_prefix(&k, low, plen)) ? FN_EAMBIGUOUS : 0;
    } else {
        rc = rc && rc != MDB_NOTFOUND ? rc : FN_ENOTFOUND;
    }
    mdb_cursor_close(cur);
    if (rc == FN_EAMBIGUOUS || rc == FN_ENOTFOUND)
        return fn__store_failf(st, rc, "%s '%.*s'",
                               rc == FN_ENOTFOUND ? "no such id"
                                                  : "ambiguous id prefix",
                               (int)plen, low);
    return fn__store_fail(st, rc, "resolve");
}

int fn__store_resolve(fn_store_t *st, enum store_db db, const char *prefix,
                      char id[FN_STORE_ID_LEN + 1])
{
    MDB_txn *txn;
    int rc = fn__store_read_begin(st, &txn);
    if (rc)
        return rc;
    rc = fn__store_resolve_txn(st, txn, db, prefix, id);
    fn__store_read_end(st, txn);
    return rc;
}

/* ---- open / close ------------------------------------------------------ */

static int open_dbis(fn_store_t *st, MDB_txn *txn, unsigned flags)
{
    for (int i = 0; i < DB__COUNT; i++) {
        int rc = mdb_dbi_open(txn, db_names[i], flags, &st->dbi[i]);
        if (rc == MDB_NOTFOUND)
            return fn__store_failf(st, FN_ENOTFOUND,
                                   "store not initialised (no '%s' table)",
                                   db_names[i]);
        if (rc)
            return rc;
    }
    return 0;
}

/* Reads meta/schema; writes ours when absent and `write` is set. */
static int check_schema(fn_store_t *st, MDB_txn *txn, int write)
{
    MDB_val k = {6, "schema"}, v;
    int rc = mdb_get(txn, st->dbi[DB_META], &k, &v);
    if (rc == MDB_NOTFOUND && write) {
        uint8_t b[4];
        store_be32(b, FN_STORE_SCHEMA);
        v.mv_size = 4;
        v.mv_data = b;
        return mdb_put(txn, st->dbi[DB_META], &k, &v, 0);
    }
    if (rc)
        return rc;
    uint32_t ver = v.mv_size == 4 ? store_get32(v.mv_data) : UINT32_MAX;
    if (ver > FN_STORE_SCHEMA)
        return fn__store_failf(st, FN_ESCHEMA,
                               "store schema %u is newer than this flexnet "
                               "(reads up to %u): upgrade flexnet",
                               ver, FN_STORE_SCHEMA);
    return 0;
}

static int init_writer(fn_store_t *st, MDB_txn *txn, void *arg)
{
    int rc = open_dbis(st, txn, MDB_CREATE);
    if (rc == 0)
        rc = check_schema(st, txn, 1);
    if (rc == 0)
        rc = fn__store_task_recover(st, txn, 0);
    return rc;
}

static int init_reader(fn_store_t *st)
{
    MDB_txn *txn;
    int rc = fn__store_read_begin(st, &txn);
    if (rc)
        return rc;
    rc = open_dbis(st, txn, 0);
    if (rc == 0)
        rc = check_schema(st, txn, 0);
    if (rc == 0) {
        rc = mdb_txn_commit(txn); /* keeps the dbi handles */
        pthread_rwlock_unlock(&st->maplock);
    } else {
        fn__store_read_end(st, txn);
    }
    return fn__store_fail(st, rc, "open");
}

static int prepare_dir(fn_store_t *st, const char *dir)
{
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/data.mdb", dir);
    if (n < 0 || (size_t)n >= sizeof(path))
        return fn__store_failf(st, -ENAMETOOLONG, "store path too long");
    struct stat sb;
    if (st->flags & FN_STORE_RDONLY) {
        if (stat(path, &sb) != 0)
            return fn__store_failf(st, FN_ENOTFOUND, "no store in %.200s", dir);
        return 0;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return fn__store_failf(st, -errno, "mkdir %.200s: %s", dir,
                               strerror(errno));
    return 0;
}

static int store_env_open(fn_store_t *st, const char *dir)
{
    int rc = mdb_env_create(&st->env);
    if (rc == 0)
        rc = mdb_env_set_maxdbs(st->env, DB__COUNT + 4);
    if (rc == 0)
        rc = mdb_env_set_maxreaders(st->env, STORE_MAX_READERS);
    if (rc == 0)
        st->map_found = 0; /* the map moves */
    rc = mdb_env_set_mapsize(st->env, (size_t)st->map_size);
    if (rc)
        return fn__store_fail(st, rc, "env");
    unsigned fl = MDB_NOTLS;
    if (st->flags & FN_STORE_RDONLY)
        fl |= MDB_RDONLY;
    else
        fl |= (st->flags & FN_STORE_DURABLE) ? MDB_NOMETASYNC : MDB_NOSYNC;
    rc = mdb_env_open(st->env, dir, fl, 0600);
    if (rc) {
        fn__store_failf(st, 0, "open %.200s: %s", dir, mdb_strerror(rc));
        return rc > 0 ? -rc : FN_ESTORE;
    }
    MDB_envinfo info;
    if (mdb_env_info(st->env, &info) == 0)
        st->map_size = info.me_mapsize;
    int dead = 0; /* free reader slots of killed processes: they pin pages */
    mdb_reader_check(st->env, &dead);
    return 0;
}

static fn_store_t *store_alloc(const fn_store_opts_t *o)
{
    fn_store_t *st = calloc(1, sizeof(*st));
    if (!st)
        return NULL;
    st->flags = o->flags;
    st->map_size = o->map_size ? o->map_size : STORE_DEFAULT_MAP;
    st->map_max = o->map_max ? o->map_max : STORE_DEFAULT_MAX;
    if (st->map_max < st->map_size)
        st->map_max = st->map_size;
    st->batch_records =
        o->batch_records ? o->batch_records : STORE_DEFAULT_BATCH;
    st->sync_interval_ms =
        o->sync_interval_ms ? o->sync_interval_ms : STORE_DEFAULT_SYNC_MS;
    st->last_sync_us = fn_time_mono_us();
    pthread_mutex_init(&st->wlock, NULL);
    pthread_mutex_init(&st->rlock, NULL);
    pthread_rwlock_init(&st->maplock, NULL);
    if (getrandom(&st->rand_state, sizeof(st->rand_state), 0) < 0 ||
        st->rand_state == 0)
        st->rand_state = (uint64_t)fn_time_wall_us() ^ (uint64_t)getpid();
    st->rand_state |= 1;
    fn__store_owner_self(&st->self);
    return st;
}

static void store_free(fn_store_t *st)
{
    if (st->env)
        mdb_env_close(st->env);
    fn__store_zfree(st);
    pthread_mutex_destroy(&st->wlock);
    pthread_mutex_destroy(&st->rlock);
    pthread_rwlock_destroy(&st->maplock);
    free(st->batch);
    free(st);
}

int fn_store_open_opts(fn_store_t **out, const char *dir,
                       const fn_store_opts_t *opts)
{
    static const fn_store_opts_t defaults;
    if (!out)
        return FN_EPARSE;
    *out = NULL;
    fn_store_t *st = store_alloc(opts ? opts : &defaults);
    if (!st)
        return -ENOMEM;
    dir = dir ? dir : FN_STORE_DEFAULT_DIR;
    int rc = prepare_dir(st, dir);
    if (rc == 0)
        rc = store_env_open(st, dir);
    if (rc == 0 && (st->flags & FN_STORE_RDONLY))
        rc = init_reader(st);
    else if (rc == 0)
        rc = fn__store_write(st, init_writer, NULL);
    if (rc) {
        if (opts && opts->err && opts->err_len)
            snprintf(opts->err, opts->err_len, "%s", st->reason);
        store_free(st);
        return rc;
    }
    *out = st;
    return 0;
}

int fn_store_open(fn_store_t **out, const char *dir, unsigned flags)
{
    fn_store_opts_t o = {.flags = flags};
    return fn_store_open_opts(out, dir, &o);
}

static int close_recover(fn_store_t *st, MDB_txn *txn, void *arg)
{
    return fn__store_task_recover(st, txn, 1);
}

void fn_store_close(fn_store_t *st)
{
    if (!st)
        return;
    if (!(st->flags & FN_STORE_RDONLY)) {
        /* tasks this process still runs cannot finish without the store */
        fn__store_write(st, close_recover, NULL);
        mdb_env_sync(st->env, 1);
    }
    store_free(st);
}

int fn_store_stats(fn_store_t *st, fn_store_stats_t *out)
{
    if (!st || !out)
        return FN_EPARSE;
    memset(out, 0, sizeof(*out));
    MDB_txn *txn;
    int rc = fn__store_read_begin(st, &txn);
    if (rc)
        return rc;
    uint64_t *slot[DB__COUNT] = {
        [DB_TASKS] = &out->tasks,       [DB_LIVE] = &out->live,
        [DB_CONNS] = &out->conns,       [DB_RESULTS] = &out->results,
        [DB_LOGS] = &out->logs,         [DB_BACKUPS] = &out->backups,
        [DB_BLOBREFS] = &out->blobs,    [DB_BLOBS] = &out->blob_chunks,
        [DB_HOSTKEYS] = &out->hostkeys,
    };
    for (int i = 0; i < DB__COUNT && rc == 0; i++) {
        MDB_stat ms;
        if (!slot[i])
            continue;
        rc = mdb_stat(txn, st->dbi[i], &ms);
        if (rc == 0)
            *slot[i] = ms.ms_entries;
    }
    MDB_envinfo info;
    MDB_stat es;
    if (rc == 0 && mdb_env_info(st->env, &info) == 0 &&
        mdb_env_stat(st->env, &es) == 0) {
        out->map_size = info.me_mapsize;
        out->used_size = (uint64_t)(info.me_last_pgno + 1) * es.ms_psize;
    }
    fn__store_read_end(st, txn);
    pthread_mutex_lock(&st->wlock);
    out->pending = st->batch_count;
    out->commits = st->commits;
    out->commit_us = st->commit_us;
    out->commit_us_max = st->commit_us_max;
    pthread_mutex_unlock(&st->wlock);
    return fn__store_fail(st, rc, "stats");
}
