/*
 * fn_recorder.h — the one engine -> store sink: turns the engine's events
 * (fn_engine.h sink payloads) into store records (flexnet.proto
 * messages), copies backups to S3, and hands each record to a front end
 * (the CLI prints it, flexnetd streams it) through thin hooks.
 *
 * THE CHAIN (one event, left to right, all on the reactor thread):
 *
 *   engine/task.c         recorder/rec_task.c       front end
 *   fn_sink_t             fn_recorder_task_sink()   fn_recorder_hooks_t
 *   sink.on_result() ---> rec_on_result():      --> hooks.on_result()
 *                         record -> store batch,    cli/run_sink.c prints,
 *                         audit line -> task log    rpc/task_sink.c streams
 *
 *   Installs: the recorder fills the engine's fn_sink_t (designated
 *   initialisers in fn_recorder_task_sink); each front end fills a
 *   fn_recorder_hooks_t (cli/run_sink.c, rpc/task_sink.c). Calls: one
 *   small function per event on each side (the recorder's are
 *   rec_emit_<event>), so a search for ".on_result" finds every install
 *   and every call.
 *
 * WHEN A RESULT IS ON DISK: the hook sees the record before it is
 * committed. Results, connection reports, log lines and progress counters
 * go to the store's in-memory batch; the recorder's FN_RECORDER_FLUSH_MS
 * timer commits the batch (one LMDB write transaction, MDB_NOSYNC), and
 * so does the store by itself once `batch_records` are pending. A backup
 * save, a host-key pin and the task's finish (the summary) commit at
 * once, with everything batched before them, so the order is kept; the
 * finish also syncs. fn_recorder_wait and fn_recorder_free flush what is
 * left. Readers (GetTask, `flexnet tasks`) see a record once committed;
 * an OS crash may lose what was committed but not yet synced (at most
 * the store's sync_interval_ms, see fn_store.h).
 *
 * WHAT IT OWNS
 *  - The task record's lifecycle in the store: create, RUNNING, counters
 *    on each progress tick, the final status and summary (or a finish
 *    without an engine task, fn_recorder_task_abandon).
 *  - Group commit: results, reports and log lines are batched by the
 *    store and committed by a 20 ms timer on the engine's event_base;
 *    backups, host keys and the finish commit at once.
 *  - The task log: the engine's own lines plus one audit line per device
 *    event ("connected to ...", "step 1: show x -> exit 1: % Invalid",
 *    "backup ID: N bytes", the task's summary line), so `flexnet tasks
 *    log` reads the same whichever front end ran the task.
 *  - Host keys: the engine's get/pin questions are answered from the
 *    store's `hostkeys` database.
 *  - Backups: stored locally first; with a config holding [s3], the
 *    text is then copied to S3 asynchronously (fn_s3_put on the same
 *    loop; SSH work never waits for it) as "<prefix><host>/<id>.cfg".
 *    The record then says target "s3", bucket, key, or keeps target
 *    "local" with `error` set; a failed copy is reported through the
 *    warning hook, the task goes on, no data is lost.
 *  - Credential fetches by reference (env, file, vault, cyberark) through
 *    integrations' fn_secrets, one cache per fetch, wiped on free.
 *  - The translation of a stored TaskSpec into the engine's
 *    fn_task_spec_t (fn_recorder_spec), shared by both front ends.
 *
 * WHAT IT DOES NOT: print, stream, parse flags or manifests, resolve
 * hosts, start engine tasks, or decide exit statuses; the front ends do,
 * in their hooks.
 *
 * THREAD: everything runs on the thread of the event_base given (the
 * engine's reactor). Hooks run there, inside engine callbacks: they may
 * call what an engine sink callback may call (fn_engine.h).
 *
 * OWNERSHIP: the recorder keeps the store, base, http and config given
 * (all must outlive it). Records handed to hooks are borrowed for the
 * call. A fn_rec_task_t is owned by its front end (fn_recorder_task_free,
 * after the summary hook or an abandon); uploads outlive their task and
 * belong to the recorder until they complete.
 *
 * ERRORS: 0 or a negative fn_err.h code; store failures carry
 * fn_store_reason(); asynchronous failures (a store write inside a
 * callback, an S3 copy) go to the warning hook once per cause.
 */
#ifndef FN_RECORDER_H
#define FN_RECORDER_H

#include <stddef.h>

#include "flexnet/v1/flexnet.pb-c.h"
#include "fn_engine.h"

struct event_base;
struct fn_store;
struct fn_http;
struct fn_config;

typedef struct fn_recorder fn_recorder_t;
typedef struct fn_rec_task fn_rec_task_t;
typedef struct fn_rec_fetch fn_rec_fetch_t;

/* Store group-commit period (ms). */
#define FN_RECORDER_FLUSH_MS 20

/* ---------------------------------------------------------------------
 * The recorder (one per process) */

/* What a warning is about. */
enum fn_recorder_warn {
    FN_RECORDER_WARN_STORE = 1, /* a store write failed: data not kept */
    FN_RECORDER_WARN_S3 = 2,    /* an S3 copy or delete failed */
};

/* A store write or an S3 copy failed. task_id is "" when no task is
 * concerned; what: enum fn_recorder_warn; msg (borrowed) says what,
 * never a secret. */
typedef void fn_recorder_warn_fn(const char *task_id, int what, const char *msg,
                                 void *arg);
/* The last upload in flight completed (flexnetd's drain waits). */
typedef void fn_recorder_idle_fn(fn_recorder_t *r, void *arg);

typedef struct fn_recorder_opts {
    struct event_base *base;         /* kept: the engine's loop */
    struct fn_store *store;          /* kept */
    struct fn_http *http;            /* kept; NULL: no S3, no providers */
    const struct fn_config *config;  /* kept, may be NULL: no [s3] */
    fn_recorder_warn_fn *on_warning; /* may be NULL: fn_log only */
    fn_recorder_idle_fn *on_idle;    /* may be NULL */
    void *arg;                       /* for on_warning and on_idle */
} fn_recorder_opts_t;

/* Starts the flush timer and, with [s3] in config and an http, the S3
 * client. opts borrowed. Returns 0, FN_ECREDS / FN_EPARSE (S3 keys or
 * config unusable: err says why), FN_EINTERNAL or -ENOMEM.
 * *out owned: fn_recorder_free. */
int fn_recorder_new(fn_recorder_t **out, const fn_recorder_opts_t *opts,
                    char *err, size_t errlen);
/* Flushes the store, cancels uploads in flight (their records keep
 * target "local" with the reason), frees. Accepts NULL. */
void fn_recorder_free(fn_recorder_t *r);

/* Commits the store's batch now. Returns fn_store_flush's code. */
int fn_recorder_flush(fn_recorder_t *r);
/* Uploads in flight. */
size_t fn_recorder_uploads(const fn_recorder_t *r);
/* Cancels the uploads in flight (callbacks run inside; records updated). */
void fn_recorder_cancel_uploads(fn_recorder_t *r);
/* For a caller that owns the loop (the CLI, after fn_engine_run): runs
 * the base until no upload is in flight. Returns 0 or FN_EINTERNAL. */
int fn_recorder_wait(fn_recorder_t *r);
/* 1 when backups are copied to S3. */
int fn_recorder_has_s3(const fn_recorder_t *r);
/* Deletes an S3 object (a deleted backup's), best effort, asynchronous:
 * a failure goes to the warning hook. key borrowed (copied). */
void fn_recorder_s3_delete(fn_recorder_t *r, const char *key);

/* Lower-case names of statuses, for logs and tables (static strings). */
const char *fn_recorder_task_status_name(int status);
const char *fn_recorder_connect_status_name(int status);
/* The last non-empty line of text (a device prints its error last), as
 * the audit lines and tables show it: returns where it starts (inside
 * text, borrowed), *len its length. */
const char *fn_recorder_last_line(const char *text, int *len);

/* ---------------------------------------------------------------------
 * One task */

/* Hooks: every member may be NULL. Records are borrowed for the call;
 * their task_id is the store's task id. A result's stdout is whole (the
 * store keeps it all; cut what you stream). on_backup gets the saved
 * record (id, sha256, size; target "local" until a copy completes).
 * on_log gets the engine's own lines, seq as stored (the audit lines
 * go to the store only: they repeat what the other hooks carry).
 * on_summary is the last call; error is "" when none. */
typedef void fn_rec_conn_fn(fn_rec_task_t *rt,
                            const Flexnet__V1__ConnectionReport *m, void *arg);
typedef void fn_rec_result_fn(fn_rec_task_t *rt,
                              const Flexnet__V1__CommandResult *m, void *arg);
typedef void fn_rec_backup_fn(fn_rec_task_t *rt, const Flexnet__V1__Backup *m,
                              void *arg);
typedef void fn_rec_log_fn(fn_rec_task_t *rt, const Flexnet__V1__LogLine *m,
                           void *arg);
typedef void fn_rec_progress_fn(fn_rec_task_t *rt,
                                const Flexnet__V1__Progress *m, void *arg);
typedef void fn_rec_summary_fn(fn_rec_task_t *rt, const Flexnet__V1__Summary *m,
                               const char *error, void *arg);

typedef struct fn_recorder_hooks {
    fn_rec_conn_fn *on_connection;
    fn_rec_result_fn *on_result;
    fn_rec_backup_fn *on_backup;
    fn_rec_log_fn *on_log;
    fn_rec_progress_fn *on_progress;
    fn_rec_summary_fn *on_summary;
    fn_sink_decide_fn *decide; /* passed to the engine as is (arg below) */
    void *arg;
} fn_recorder_hooks_t;

/* Creates the task record from tmpl (borrowed: name, spec, owner,
 * status; see fn_store_task_create) and commits it. hooks copied, arg
 * kept until fn_recorder_task_free. Returns 0 or a store error (reason:
 * fn_store_reason). *out owned: fn_recorder_task_free. */
int fn_recorder_task_new(fn_rec_task_t **out, fn_recorder_t *r,
                         const Flexnet__V1__Task *tmpl,
                         const fn_recorder_hooks_t *hooks);
/* Frees (after the summary hook, or after an abandon). Accepts NULL. */
void fn_recorder_task_free(fn_rec_task_t *rt);

const char *fn_recorder_task_id(const fn_rec_task_t *rt); /* borrowed */
/* The engine sink for fn_task_start (arg = rt). */
void fn_recorder_task_sink(fn_rec_task_t *rt, fn_sink_t *out);
/* Marks the record RUNNING (queued with the batch). */
void fn_recorder_task_running(fn_rec_task_t *rt);
/* The summary will record INTERRUPTED (a drain stopped the task). */
void fn_recorder_task_interrupt(fn_rec_task_t *rt);
/* Finishes a task whose engine task never started: status (a
 * Flexnet__V1__TaskStatus), why (borrowed, may be NULL). No hook runs. */
void fn_recorder_task_abandon(fn_rec_task_t *rt, int status, const char *why);
/* 1 when a store write of this task failed (something was not kept). */
int fn_recorder_task_store_failed(const fn_rec_task_t *rt);
/* Appends an audit line to the task's log in the store: level is
 * FN_LOG_ERROR .. FN_LOG_DEBUG, host borrowed (NULL: task-level). */
void fn_recorder_task_log(fn_rec_task_t *rt, unsigned level, const char *host,
                          const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---------------------------------------------------------------------
 * The engine's view of a stored spec */

/* Fills out (borrowed) from spec (kept: out points into it, so spec must
 * outlive out): steps (an owned array: fn_recorder_spec_cleanup), mode,
 * limits, timeouts, host-key policy, default vendor, the username.
 * task_id, hosts and the secrets are the caller's to set.
 * Returns 0 or -ENOMEM. */
int fn_recorder_spec(const Flexnet__V1__TaskSpec *spec, fn_task_spec_t *out);
/* RedactMode (proto) <-> enum fn_vendor_redact; UNSPECIFIED and unknown
 * values read as REVERSIBLE, the default. */
int fn_recorder_redact_from_proto(int mode);
int fn_recorder_redact_to_proto(int mode);
/* Loads the TextFSM templates the spec's COMMANDS steps ask for
 * (Step.template; Step.parse: TaskSpec.templates_dir/index, preloaded for
 * the step's commands) into out's steps, which own them until
 * fn_recorder_spec_cleanup. Call after fn_recorder_spec, before the task
 * starts: the engine then parses without I/O. Returns 0, FN_ETEMPLATE or
 * -errno; why (may be NULL) says which file and line. */
int fn_recorder_spec_parse(const Flexnet__V1__TaskSpec *spec,
                           fn_task_spec_t *out, char *why, size_t whylen);
/* Frees the steps array of a spec filled by fn_recorder_spec, and the
 * templates of fn_recorder_spec_parse. */
void fn_recorder_spec_cleanup(fn_task_spec_t *out);

/* 1 when host (borrowed) belongs to the spec's shard: always when the
 * spec is not sharded (shard_count 0), else when fmix64(fn_str_hash(host))
 * % shard_count == shard_index (fmix64: MurmurHash3's 64-bit finaliser).
 * A host's shard depends only on its name and the count, so it stays put
 * when other hosts come and go. */
int fn_recorder_spec_in_shard(const Flexnet__V1__TaskSpec *spec,
                              const char *host);

/* ---------------------------------------------------------------------
 * Credentials by reference */

/* status 0: user (may be NULL) and secret borrowed until the fetch is
 * freed; else FN_ECREDS, FN_EAUTH, FN_ENOTFOUND, FN_EREFUSED,
 * FN_ETIMEOUT, FN_EHTTP, FN_EPARSE, FN_ECANCELED or -ENOMEM, with reason
 * (borrowed for the call; never holds a secret). */
typedef void fn_rec_fetch_cb(int status, const char *user, const char *secret,
                             const char *reason, void *arg);

/* Starts fetching (provider, ref) (borrowed) with r's http and config;
 * cb runs exactly once, from the loop (never inside this call).
 * Returns 0, FN_ECREDS (unknown provider, empty ref, no http) or
 * -ENOMEM; *out owned: fn_recorder_fetch_free. */
int fn_recorder_fetch_start(fn_rec_fetch_t **out, fn_recorder_t *r,
                            const char *provider, const char *ref,
                            fn_rec_fetch_cb *cb, void *arg);
/* Cancels a pending fetch (its callback runs inside with FN_ECANCELED),
 * wipes the secret, frees. Accepts NULL. */
void fn_recorder_fetch_free(fn_rec_fetch_t *f);

#endif /* FN_RECORDER_H */
