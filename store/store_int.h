/*
 * store_int.h — internals shared by the store/ files; not a public API.
 *
 * store.c owns the environment, the lock discipline, the batch and the
 * write loop (grow + replay); the other files (store_task.c,
 * store_rec.c, store_backup.c, store_diff.c) build on these helpers.
 *
 * Locks. `wlock` (mutex) serialises writers inside the process and guards
 * the batch, the id clock and the per-task sequence cache. `maplock` (rwlock)
 * is held shared by every open transaction and exclusively while the map
 * is resized: LMDB forbids mdb_env_set_mapsize() with a txn open in the
 * process. Order: wlock before maplock.
 */
#ifndef FN_STORE_INT_H
#define FN_STORE_INT_H

#include "fn_store.h"

#include <lmdb.h>
#include <pthread.h>
#include <stdint.h>

enum store_db {
    DB_TASKS,
    DB_LIVE,
    DB_CONNS,
    DB_RESULTS,
    DB_LOGS,
    DB_BACKUPS,
    DB_BK_HOST,
    DB_BK_TASK,
    DB_BLOBS,
    DB_BLOBREFS,
    DB_HOSTKEYS,
    DB_META,
    DB__COUNT
};

/* Batched operation kinds (see store.c, batch_apply). */
enum store_op {
    OP_PUT = 1,         /* plain put */
    OP_APPEND = 2,      /* put, MDB_APPEND when the key sorts last */
    OP_TASK_STATUS = 3, /* val: u32 status, u8 has_error, error text */
    OP_TASK_SUMMARY = 4 /* val: packed Summary */
};

/* Owner of an unfinished task, the `live` value. Fixed layout on disk. */
typedef struct store_owner {
    uint32_t pid;
    uint32_t zero;
    uint64_t start; /* process start, clock ticks after boot */
    char boot[40];  /* /proc/sys/kernel/random/boot_id, NUL-padded */
} store_owner_t;
_Static_assert(sizeof(store_owner_t) == 56, "live row layout");

#define STORE_SEQ_CACHE  256
#define STORE_REASON_LEN 256

/* Next key number of a task's logs or results (both are append-only). */
typedef struct store_seq {
    char id[FN_STORE_ID_LEN + 1];
    uint8_t db;    /* DB_LOGS or DB_RESULTS */
    uint64_t next; /* next seq to hand out */
    uint64_t used; /* LRU stamp */
} store_seq_t;

struct fn_store {
    MDB_env *env;
    MDB_dbi dbi[DB__COUNT];
    unsigned flags;
    uint64_t map_size, map_max;
    uint32_t batch_records, sync_interval_ms;
    int64_t last_sync_us; /* monotonic */
    uint64_t commits;     /* write transactions committed (under wlock) */
    uint64_t commit_us;   /* their total time, microseconds */
    uint64_t commit_us_max;
    uint64_t trim_pgno;    /* the map's last page at its last trim */
    unsigned trim_commits; /* commits since (store_trim_map) */
    void *map_addr;        /* where the map was found (store_map_find) */
    size_t map_len;        /* its length */
    int map_found;         /* map_addr valid; cleared on every remap */
    pthread_mutex_t wlock;
    pthread_rwlock_t maplock;
    pthread_mutex_t rlock; /* guards reason */
    /* the batch: records of (struct op_hdr, key, val), 8-byte aligned */
    char *batch;
    size_t batch_len, batch_cap;
    uint32_t batch_count;
    int64_t last_id_us; /* id clock: strictly increasing */
    uint64_t rand_state;
    store_seq_t seqs[STORE_SEQ_CACHE];
    uint64_t seq_clock;
    int seq_hint; /* index of the last hit */
    store_owner_t self;
    struct z_stream_s *zs; /* deflate state reused by backup saves (wlock):
                              a fresh one per save cost 4x the compression */
    char reason[STORE_REASON_LEN];
};

/* Callback run inside a write txn (after the batch). Returning an error
 * aborts the txn; the batch is then committed alone. */
typedef int store_write_fn(fn_store_t *st, MDB_txn *txn, void *arg);

/* Lock wlock, commit the batch plus fn (NULL: batch only) in one txn,
 * growing and replaying on MDB_MAP_FULL. Caller must NOT hold wlock. */
int fn__store_write(fn_store_t *st, store_write_fn *fn, void *arg);
/* Same, with wlock already held by the caller. */
int fn__store_write_locked(fn_store_t *st, store_write_fn *fn, void *arg);

/* Queue an op; wlock held by caller. May auto-flush (returns its error;
 * the op stays queued). */
int fn__store_batch_add(fn_store_t *st, enum store_op op, enum store_db db,
                        const void *key, size_t klen, const void *val,
                        size_t vlen);

/* Fills a new message (type desc, initialised) inside fn's read txn;
 * *out gets it (owned) when fn returns 0, else it is freed. */
typedef int store_msg_fn(fn_store_t *st, MDB_txn *txn, ProtobufCMessage *msg,
                         void *arg);
int fn__store_read_msg(fn_store_t *st, const ProtobufCMessageDescriptor *desc,
                       store_msg_fn *fn, void *arg, ProtobufCMessage **out);

/* Short read txn: holds maplock shared; end with fn__store_read_end. */
int fn__store_read_begin(fn_store_t *st, MDB_txn **txn);
void fn__store_read_end(fn_store_t *st, MDB_txn *txn);

/* Maps an LMDB or errno code to a flexnet code and records the reason
 * "what: message". Returns the flexnet code (0 stays 0). */
int fn__store_fail(fn_store_t *st, int rc, const char *what);
/* Records a reason (printf-style) and returns code. */
int fn__store_failf(fn_store_t *st, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* New time-ordered id for time `us` (0: now); wlock held by caller. */
void fn__store_new_id(fn_store_t *st, int64_t us, char id[FN_STORE_ID_LEN + 1]);
/* Microseconds encoded in an id (its first 13 hex digits); -1 if bad. */
int64_t fn__store_id_time(const char *id);
/* Writes the 16-char id of time us with random part r (0..0xfff). */
void fn__store_id_format(int64_t us, unsigned r, char id[FN_STORE_ID_LEN + 1]);
/* 1 if s is exactly FN_STORE_ID_LEN lowercase hex digits. */
int fn__store_id_valid(const char *s);
/* Value of a lowercase hex digit (the store writes ids and digests in
 * lowercase only), -1 for anything else. */
int fn__store_hexval(char c);

/* Resolves a full id or unique prefix among the keys of db (16-char ids)
 * inside txn. 0, FN_ENOTFOUND, FN_EAMBIGUOUS, FN_EPARSE. */
int fn__store_resolve_txn(fn_store_t *st, MDB_txn *txn, enum store_db db,
                          const char *prefix, char id[FN_STORE_ID_LEN + 1]);
/* The same in its own read txn. */
int fn__store_resolve(fn_store_t *st, enum store_db db, const char *prefix,
                      char id[FN_STORE_ID_LEN + 1]);

/* Deletes every key of db starting with prefix. Returns 0 or an LMDB code. */
int fn__store_del_prefix(MDB_txn *txn, MDB_dbi dbi, const void *prefix,
                         size_t plen);

/* Packs a protobuf-c message into a malloc'd buffer. NULL on -ENOMEM. */
uint8_t *fn__store_pack(const ProtobufCMessage *msg, size_t *len);

/* Applies a queued task status/summary op inside txn (store_task.c). */
int fn__store_task_apply(fn_store_t *st, MDB_txn *txn, enum store_op op,
                         const char *id, const uint8_t *val, size_t vlen);
/* Marks tasks of dead writers (or of this process when `self_too`)
 * INTERRUPTED, inside txn (store_task.c). */
int fn__store_task_recover(fn_store_t *st, MDB_txn *txn, int self_too);
/* Fills st->self with this process's identity (store_task.c). */
void fn__store_owner_self(store_owner_t *o);

/* Frees the reused deflate state (store_backup.c). */
void fn__store_zfree(fn_store_t *st);

/* Drops the cached next seqs of a deleted task (store_rec.c). */
void fn__store_seq_forget(fn_store_t *st, const char *id);

/* Big-endian integers in keys and fixed records. */
static inline void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void store_be64(uint8_t *p, uint64_t v)
{
    store_be32(p, (uint32_t)(v >> 32));
    store_be32(p + 4, (uint32_t)v);
}
static inline uint32_t store_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}
static inline uint64_t store_get64(const uint8_t *p)
{
    return (uint64_t)store_get32(p) << 32 | store_get32(p + 4);
}

#endif /* FN_STORE_INT_H */
