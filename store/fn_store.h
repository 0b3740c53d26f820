/*
 * fn_store.h — flexnet's embedded store: tasks, results, logs, config
 * backups and pinned host keys in one LMDB environment per project
 * directory (`./.db` by default).
 *
 * Records are the protobuf-c messages of proto/flexnet/v1/flexnet.proto,
 * packed. Named databases (keys are bytes, integers big-endian):
 *   tasks        task id (16 hex)                       -> Task
 *   live         task id -> owner of a task not finished (pid, start, boot)
 *   conns        task id | host                         -> ConnectionReport
 *   results      task id | seq (u64, arrival order)     -> CommandResult
 *   logs         task id | seq (u64, arrival order)     -> LogLine
 *   backups      backup id (16 hex)                     -> Backup
 *   bk_host      host \0 | backup id                    -> (empty)
 *   bk_task      task id | backup id                    -> (empty)
 *   blobs        sha256 | chunk (u32) -> zlib stream, chunked (< 2 KB)
 *   blobrefs     sha256 -> refcount, sizes (stored once, freed at 0 refs)
 *   hostkeys     "address:port"                         -> HostKey
 *   meta         "schema"                               -> version (u32)
 * Ids are 16 lowercase hex chars: 13 of wall-clock µs then 3 random, so
 * they sort by creation and print nicely; a unique prefix also names one.
 *
 * Writes. Results, connection reports, logs and task status/summary
 * updates are appended to an in-memory batch and committed together in
 * one write transaction (group commit) by fn_store_flush(), or
 * automatically once `batch_records` are pending. The store has no timer:
 * the caller's reactor calls fn_store_flush() on a ~20 ms tick. Calls that
 * create or delete something (task create/finish/delete, backup save/
 * delete, host keys) commit at once, together with the pending batch, so
 * the order of writes is always kept. A record becomes visible to readers
 * (this or another process) when its transaction commits.
 *
 * Durability. Commits use MDB_NOSYNC: a committed write survives the
 * death of the process (kill -9) at once, and survives a crash of the OS
 * or power loss once synced. fn_store_flush() syncs when the last sync is
 * older than `sync_interval_ms` (default 1 s); fn_store_task_finish(),
 * fn_store_sync() and fn_store_close() always sync. To keep the fsync
 * (~1 ms, up to ~10 ms here) off the reactor, set sync_interval_ms to
 * UINT32_MAX and call fn_store_sync() from a helper thread: it holds no
 * lock while the disk works. FN_STORE_DURABLE syncs data on every commit
 * instead (MDB_NOMETASYNC; slow on the reactor).
 *
 * Map growth. The map starts huge and sparse (16 GiB of address space,
 * not disk); when a commit hits MDB_MAP_FULL the map doubles (up to
 * `map_max`) and the same batch is replayed, so nothing is lost. At
 * `map_max`, or when the disk is full, the write fails (FN_EFULL /
 * -ENOSPC), what was committed before stays, and the failed batch stays
 * pending (up to a cap) for the next flush.
 *
 * Memory. A writer's RSS does not grow with the file: every 16 commits
 * (or 1 MiB of growth) the writer drops its page-table mappings of the
 * map (madvise MADV_DONTNEED; the data stays in the file and page
 * cache and is faulted back in on the next read).
 *
 * Crashes. Each unfinished task has a `live` row naming its writer
 * (pid, process start time, boot id). A RUNNING or PENDING task whose
 * writer is gone reads back as INTERRUPTED from any process, and a writer
 * opening the store rewrites such tasks as INTERRUPTED for good.
 *
 * Threads. A fn_store_t may be used from any thread; calls are serialised
 * where needed (writes by a mutex; reads run concurrently, each in its own
 * short read transaction, MDB_NOTLS). Other processes (the CLI) may read
 * and write the same directory at the same time: LMDB serialises writers.
 * Callbacks (fn_store_log_foreach …) run outside any transaction: every
 * store call is allowed inside them.
 *
 * Ownership. Nothing LMDB-borrowed escapes: every read returns messages
 * owned by the caller (free them with the generated
 * flexnet__v1__*__free_unpacked(msg, NULL)) or copies into a caller fn_buf_t.
 * Input messages are borrowed for the call (packed at once).
 *
 * Errors. 0 or a negative code: FN_ENOTFOUND, FN_EAMBIGUOUS (id prefix
 * matches several), FN_EEXISTS, FN_ESCHEMA (the store was written by a
 * newer flexnet), FN_ESTATE (a write on a store opened FN_STORE_RDONLY),
 * FN_EFULL (the map reached map_max), FN_EPARSE (bad argument or corrupt
 * record), FN_ESTORE (other LMDB failures), -ENOMEM, -ENOSPC, other -errno.
 * fn_store_reason() gives a bounded human explanation of the last failure.
 *
 * Caveats. Keep read work short: a long read transaction pins old pages
 * and makes the file grow (so log and result streams re-open a read txn
 * every few hundred records). Do not open the same directory twice in one
 * process (an LMDB rule). Not for NFS.
 */
#ifndef FN_STORE_H
#define FN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "fn_buf.h"
#include "flexnet/v1/flexnet.pb-c.h"

typedef struct fn_store fn_store_t;

/* Length of a task or backup id, without the NUL. */
#define FN_STORE_ID_LEN 16
/* Default directory when fn_store_open() is given NULL. */
#define FN_STORE_DEFAULT_DIR "./.db"
/* On-disk schema written by this flexnet. */
#define FN_STORE_SCHEMA 1
/* Longest host name accepted in keys (LMDB keys are at most 511 bytes). */
#define FN_STORE_HOST_MAX 255

enum fn_store_flags {
    FN_STORE_RDONLY = 1u << 0,  /* no writes; fails FN_ENOTFOUND if absent */
    FN_STORE_DURABLE = 1u << 1, /* sync data on every commit */
};

/* Open options; a zeroed struct gives the defaults. */
typedef struct fn_store_opts {
    unsigned flags;            /* enum fn_store_flags */
    uint64_t map_size;         /* initial map bytes; 0: 16 GiB */
    uint64_t map_max;          /* growth stops here; 0: 1 TiB */
    uint32_t batch_records;    /* auto-flush at this many pending; 0: 8192 */
    uint32_t sync_interval_ms; /* flush syncs if older; 0: 1000;
                                  UINT32_MAX: only explicit syncs */
    char *err;                 /* out, may be NULL: why an open failed */
    size_t err_len;            /* bytes at err (>= 128 is plenty) */
} fn_store_opts_t;

/* What fn_store_stats() counts (entries, not bytes, unless named so). */
typedef struct fn_store_stats {
    uint64_t tasks, live, conns, results, logs;
    uint64_t backups, blobs, blob_chunks, hostkeys;
    uint64_t map_size;  /* current map bytes */
    uint64_t used_size; /* bytes in use (last page number × page size) */
    uint32_t pending;   /* records waiting in this handle's batch */
    /* this handle's write transactions since open: how many, their
     * total and longest time (begin to commit, microseconds) */
    uint64_t commits, commit_us, commit_us_max;
} fn_store_stats_t;

/* ---- lifecycle --------------------------------------------------------- */

/* Opens (creating if missing, unless RDONLY) the store in dir (borrowed;
 * NULL: FN_STORE_DEFAULT_DIR). A writer creates the databases, checks
 * the schema and marks tasks of dead writers INTERRUPTED.
 * *out is owned: fn_store_close(). On failure *out is NULL.
 * Errors: FN_ESCHEMA, FN_ENOTFOUND (RDONLY, no store), FN_ESTORE,
 * -ENOMEM, -errno (mkdir, permissions). */
int fn_store_open(fn_store_t **out, const char *dir, unsigned flags);
/* Same with options (borrowed; NULL: defaults). On failure the reason
 * ("store schema 2 is newer than this flexnet …") goes to opts->err. */
int fn_store_open_opts(fn_store_t **out, const char *dir,
                       const fn_store_opts_t *opts);
/* Flushes, marks the tasks this process still runs INTERRUPTED (they
 * cannot finish without the store), syncs, closes. Accepts NULL. Errors
 * are lost: call fn_store_flush() first if they matter. */
void fn_store_close(fn_store_t *st);

/* Human reason for the last failure (bounded; "" if none). Borrowed,
 * valid until the next call on st. */
const char *fn_store_reason(const fn_store_t *st);

/* Commits the pending batch (one write txn; replays after growing the
 * map). 0 when nothing was pending. Errors: FN_EFULL, -ENOSPC,
 * FN_ESTORE, FN_ESTATE (RDONLY). On error the batch stays pending. */
int fn_store_flush(fn_store_t *st);
/* fn_store_flush(), then forces everything committed to disk. */
int fn_store_sync(fn_store_t *st);
/* Number of records waiting for the next flush. */
size_t fn_store_pending(const fn_store_t *st);
/* Counts records (one read txn). Errors: FN_ESTORE. */
int fn_store_stats(fn_store_t *st, fn_store_stats_t *out);

/* ---- tasks ------------------------------------------------------------- */

/* Creates a task from tmpl (borrowed: name, spec, owner, status;
 * status UNSPECIFIED means PENDING; created_us 0 means now; id, summary
 * and finished_us are ignored) and commits it with the pending batch.
 * Writes the new id (NUL-terminated) to id. The task is owned by this
 * process until finished: if the process dies it reads INTERRUPTED.
 * Errors: FN_EPARSE (NULL), FN_ESTATE, write errors as fn_store_flush. */
int fn_store_task_create(fn_store_t *st, const Flexnet__V1__Task *tmpl,
                         char id[FN_STORE_ID_LEN + 1]);

/* Queue a status change (RUNNING sets started_us when still 0; error
 * borrowed, NULL keeps the old one) or new counters (summary borrowed,
 * copied whole) for the next flush. A task unknown at flush is skipped.
 * Errors: FN_EPARSE, FN_ESTATE, -ENOMEM, FN_EFULL (batch cap after failed
 * flushes), and any error of an automatic flush. */
int fn_store_task_set_status(fn_store_t *st, const char *id,
                             Flexnet__V1__TaskStatus status, const char *error);
int fn_store_task_set_summary(fn_store_t *st, const char *id,
                              const Flexnet__V1__Summary *summary);

/* Finishes a task: final status (DONE, FAILED, CANCELLED, INTERRUPTED),
 * counters (borrowed; NULL keeps the last ones), error (borrowed, NULL
 * keeps), finished_us = now; drops its `live` row; commits with the
 * pending batch and syncs. Errors: FN_ENOTFOUND, FN_EPARSE, write errors. */
int fn_store_task_finish(fn_store_t *st, const char *id,
                         Flexnet__V1__TaskStatus status,
                         const Flexnet__V1__Summary *summary,
                         const char *error);

/* Resolves a full id or a unique prefix (>= 1 char) to the full id.
 * Errors: FN_ENOTFOUND, FN_EAMBIGUOUS, FN_EPARSE (empty / not hex). */
int fn_store_task_resolve(fn_store_t *st, const char *prefix,
                          char id[FN_STORE_ID_LEN + 1]);

/* What fn_store_task_get() adds to the task. */
enum fn_store_get_flags {
    FN_STORE_GET_CONNS = 1u << 0,   /* connection reports, by host */
    FN_STORE_GET_RESULTS = 1u << 1, /* command results, in append order */
};

/* Reads a task (id or unique prefix) with, per `what`, its connection
 * reports and results. *out owned: free with
 * flexnet__v1__get_task_response__free_unpacked(*out, NULL).
 * A task of a dead writer reads INTERRUPTED.
 * Errors: FN_ENOTFOUND, FN_EAMBIGUOUS, FN_EPARSE, FN_ESTORE, -ENOMEM. */
int fn_store_task_get(fn_store_t *st, const char *id_or_prefix, unsigned what,
                      Flexnet__V1__GetTaskResponse **out);

/* Lists tasks newest first: req (borrowed) gives page_size (0: 50,
 * capped at 1000), page_token (from the previous response), name
 * substring, status, since_us/until_us on created_us. *out owned: free
 * with flexnet__v1__list_tasks_response__free_unpacked(*out, NULL);
 * next_page_token is "" on the last page.
 * Errors: FN_EPARSE (bad token), FN_ESTORE, -ENOMEM. */
int fn_store_task_list(fn_store_t *st, const Flexnet__V1__ListTasksRequest *req,
                       Flexnet__V1__ListTasksResponse **out);

/* Deletes a task (id or unique prefix) with its connection reports,
 * results and logs; its backups stay (they are the host's history).
 * Errors: FN_ENOTFOUND, FN_EAMBIGUOUS, write errors. */
int fn_store_task_delete(fn_store_t *st, const char *id_or_prefix);

/* ---- results, connection reports, logs (batched) ----------------------- */

/* Queue a record (borrowed, packed now; task_id and host required) for
 * the next flush. Results are kept in the order appended (every append
 * adds one); a report is keyed by (task, host): a second report of the
 * same host replaces the first (reconnects).
 * Errors: FN_EPARSE (missing task_id/host, host too long), FN_ESTATE,
 * -ENOMEM, FN_EFULL (batch cap), errors of an automatic flush (the
 * record is queued anyway unless the code is FN_EFULL from the cap). */
int fn_store_result_append(fn_store_t *st,
                           const Flexnet__V1__CommandResult *result);
int fn_store_conn_append(fn_store_t *st,
                         const Flexnet__V1__ConnectionReport *report);
/* Queue a log line (borrowed; line->seq is ignored: the store numbers a
 * task's lines 1, 2, 3 … and writes the number to *seq_out, may be NULL).
 * time_us 0 means now. Same errors as fn_store_result_append. */
int fn_store_log_append(fn_store_t *st, const Flexnet__V1__LogLine *line,
                        uint64_t *seq_out);

/* Called once per record, in order. The message is borrowed for the
 * call. Return 0 to go on; any other value stops the walk and is
 * returned by the foreach. Every store call is allowed inside. */
typedef int fn_store_log_cb(const Flexnet__V1__LogLine *line, void *arg);
typedef int fn_store_result_cb(const Flexnet__V1__CommandResult *result,
                               void *arg);

/* Streams a task's committed log lines with seq >= from_seq, oldest first
 * (full task id; resolve prefixes first). Returns 0 at the end (a task
 * with no lines is not an error), the callback's stop value, or
 * FN_EPARSE, FN_ESTORE, -ENOMEM. */
int fn_store_log_foreach(fn_store_t *st, const char *task_id, uint64_t from_seq,
                         fn_store_log_cb *cb, void *arg);
/* Streams a task's committed results in the order appended, only those
 * of host (NULL: all hosts). Same returns as fn_store_log_foreach. */
int fn_store_result_foreach(fn_store_t *st, const char *task_id,
                            const char *host, fn_store_result_cb *cb,
                            void *arg);

/* ---- config backups ---------------------------------------------------- */

/* Saves a config: meta (borrowed) gives task_id, host (required), vendor,
 * comment, command, target/bucket/key/error; the store sets id,
 * created_us (now if 0), sha256 (hex, of text) and size. The text
 * (borrowed, any bytes) is stored once per distinct content, compressed
 * and chunked, however many backups share it. Commits at once.
 * id gets the new backup id (may be NULL).
 * Errors: FN_EPARSE (no host, text of 1 GiB or more), FN_ESTATE, -ENOMEM,
 * write errors. */
int fn_store_backup_save(fn_store_t *st, const Flexnet__V1__Backup *meta,
                         const void *text, size_t len,
                         char id[FN_STORE_ID_LEN + 1]);

/* Updates where a backup was copied to (target, bucket, key, error,
 * comment of meta, borrowed, for meta->id). Errors: FN_ENOTFOUND, write
 * errors. */
int fn_store_backup_update(fn_store_t *st, const Flexnet__V1__Backup *meta);

/* Reads a backup (id or unique prefix): *meta (owned, free with
 * flexnet__v1__backup__free_unpacked; pass NULL to skip) and its text
 * appended to content (caller's buffer; NULL to skip; its cap applies:
 * FN_EFULL if truncated). The text is checked against its sha256.
 * Errors: FN_ENOTFOUND, FN_EAMBIGUOUS, FN_EPARSE (corrupt), FN_EFULL,
 * FN_ESTORE, -ENOMEM. */
int fn_store_backup_get(fn_store_t *st, const char *id_or_prefix,
                        Flexnet__V1__Backup **meta, fn_buf_t *content);

/* Lists backups newest first, of req->host, or of req->task_id, or all
 * when both are empty (both set: the task's, filtered by host). Paging as
 * fn_store_task_list. *out owned: free with
 * flexnet__v1__list_backups_response__free_unpacked(*out, NULL).
 * Errors: FN_EPARSE, FN_ESTORE, -ENOMEM. */
int fn_store_backup_list(fn_store_t *st,
                         const Flexnet__V1__ListBackupsRequest *req,
                         Flexnet__V1__ListBackupsResponse **out);

/* Newest backup of host, and the one before a given backup of the same
 * host. Write the id to id/prev. Errors: FN_ENOTFOUND (none / it is the
 * first), FN_EAMBIGUOUS, FN_EPARSE, FN_ESTORE. */
int fn_store_backup_latest(fn_store_t *st, const char *host,
                           char id[FN_STORE_ID_LEN + 1]);
int fn_store_backup_previous(fn_store_t *st, const char *id_or_prefix,
                             char prev[FN_STORE_ID_LEN + 1]);

/* Unified diff from backup b (older; NULL or "": the previous backup of
 * a's host) to backup a (newer), with `context` lines (0: 3). *out owned:
 * free with flexnet__v1__diff_backups_response__free_unpacked; `identical`
 * is set and `diff` empty when the texts are equal.
 * Errors: as fn_store_backup_get, FN_ENOTFOUND when a has no previous. */
int fn_store_backup_diff(fn_store_t *st, const char *id_a, const char *id_b,
                         unsigned context,
                         Flexnet__V1__DiffBackupsResponse **out);

/* Deletes a backup (id or unique prefix) and its index rows; its blob
 * goes when no other backup refers to it. Errors: FN_ENOTFOUND,
 * FN_EAMBIGUOUS, write errors. */
int fn_store_backup_delete(fn_store_t *st, const char *id_or_prefix);

/* Unified diff (what `diff -u` prints, `patch` applies) turning old into
 * new, appended to out (caller's buffer). Labels borrowed, used in the
 * ---/+++ lines. Pure: no store. Lines are compared exactly; a missing
 * final newline is marked "\ No newline at end of file". Myers O(ND);
 * past 2048 edits the rest is written as one replace hunk (still
 * correct, just not minimal). Nothing is appended when the texts are
 * equal. Errors: -ENOMEM, FN_EFULL (out's cap). */
int fn_store_diff(const char *old_text, size_t old_len, const char *new_text,
                  size_t new_len, const char *old_label, const char *new_label,
                  unsigned context, fn_buf_t *out);

/* ---- merging stores ---------------------------------------------------- */

/* What fn_store_merge() wrote into dst (0 everywhere: nothing new). */
typedef struct fn_store_merge_stats {
    uint64_t tasks;             /* task records written (new or changed) */
    uint64_t interrupted;       /* of those, read back INTERRUPTED from src */
    uint64_t records;           /* connection reports, results, log lines */
    uint64_t backups;           /* backups new to dst */
    uint64_t blobs;             /* of their texts, those new to dst (the others
                                   are shared with what dst had) */
    uint64_t hostkeys;          /* pins new, or their seen times widened */
    uint64_t hostkey_conflicts; /* hosts pinned to another key in dst:
                                   dst's pin is kept */
    char conflict_host[FN_STORE_HOST_MAX + 1]; /* the first of them */
} fn_store_merge_stats_t;

/* Copies everything of src (borrowed; may be RDONLY) into dst (a writer):
 * tasks (an open task of a dead writer as INTERRUPTED, with an error
 * saying so), connection reports, results, logs, backups (a text dst
 * already holds stays stored once) and host keys (see
 * fn_store_merge_stats_t for conflicts). Keys are kept, so merging the
 * same source twice writes nothing the second time. Commits in chunks
 * and syncs; on failure what was committed stays (merge again).
 * Errors: FN_EPARSE (NULL, dst == src, corrupt source record), FN_ESTATE
 * (dst RDONLY), write errors as fn_store_flush. */
int fn_store_merge(fn_store_t *dst, fn_store_t *src,
                   fn_store_merge_stats_t *stats);

/* ---- host keys --------------------------------------------------------- */

/* Reads the key pinned for host ("address:port"). *out owned: free with
 * flexnet__v1__host_key__free_unpacked. Errors: FN_ENOTFOUND, FN_ESTORE. */
int fn_store_hostkey_get(fn_store_t *st, const char *host,
                         Flexnet__V1__HostKey **out);
/* Pins hk (borrowed; first_seen_us/last_seen_us 0 mean now) when the host
 * has no key yet; the same key again only updates last_seen_us.
 * Errors: FN_EHOSTKEY (a different key is pinned: nothing written),
 * FN_EPARSE, write errors. */
int fn_store_hostkey_pin(fn_store_t *st, const Flexnet__V1__HostKey *hk);
/* Pins hk whatever was pinned before (keeps first_seen_us of the host
 * when the key is the same). Errors: FN_EPARSE, write errors. */
int fn_store_hostkey_replace(fn_store_t *st, const Flexnet__V1__HostKey *hk);
/* Forgets host's key. Errors: FN_ENOTFOUND, write errors. */
int fn_store_hostkey_delete(fn_store_t *st, const char *host);
/* Calls cb for every pinned key, in host order; hk is borrowed for the
 * call. A non-zero return from cb stops the walk and is returned.
 * Errors: FN_ESTORE, FN_EPARSE (a corrupt record). */
typedef int fn_store_hostkey_cb(const Flexnet__V1__HostKey *hk, void *arg);
int fn_store_hostkey_list(fn_store_t *st, fn_store_hostkey_cb *cb, void *arg);

#endif /* FN_STORE_H */
