/*
 * fn_engine.h — the fan-out engine: runs tasks (ordered CLI steps) on
 * thousands of devices at once over SSH, from one libevent loop.
 *
 * GOALS
 *  - One reactor thread, one event_base, every session non-blocking
 *    (libssh on sockets the engine connects itself, TCP_NODELAY).
 *  - Everything a task produces goes out through a sink (fn_sink_t) as it
 *    happens: connection report rows, command results, backups, log
 *    lines, progress, summary. The engine knows nothing of LMDB or gRPC;
 *    store/ and rpc/ implement the sink.
 *  - Host keys are pinned through the sink: the engine asks "known key
 *    for address:port?" and reports "pin this key".
 *
 * PAYLOADS are plain C structs whose fields mirror flexnet.proto's
 * messages one to one (ConnectionReport, CommandResult, Backup, LogLine,
 * Progress, Summary), so the engine does not depend on protobuf-c. Their
 * strings are borrowed: valid only during the callback; copy what you
 * keep. Strings are NUL-terminated; stdout/stderr/backup text also carry
 * a length (they may be large).
 *
 * THREADS: every function here must be called on the thread that runs
 * the event_base given to fn_engine_new (the reactor), except where
 * stated. Sink callbacks run on that thread.
 *
 * INSIDE A SINK CALLBACK you may call fn_task_cancel, fn_engine_cancel,
 * fn_task_resume, fn_task_id and the getters; fn_task_start too (a new
 * task). fn_engine_run returns FN_ERECURSE there and fn_engine_free does
 * nothing there.
 *
 * LIFETIMES: a task lives from fn_task_start until its summary callback
 * returns; the engine then frees it (libuv's close-callback model). The
 * fn_task_t pointer must not be used after that; fn_engine_cancel(id) is
 * safe at any time. The task copies its spec (steps, commands, task id,
 * credentials) on start; the hosts are borrowed from the inventory, which
 * must outlive the task.
 *
 * SECRETS: passwords are copied into the task, never logged, and wiped
 * (fn_memwipe) when the task ends. Host-level password_env /
 * enable_password_env names are resolved with getenv() when a session
 * authenticates; the copy is wiped right after use.
 *
 * PROCESS-WIDE: fn_engine_new routes libevent's log messages to fn_log
 * (event_set_log_callback): its warnings become debug lines.
 *
 * ERRORS: functions return 0 or a negative code from fn_err.h (or
 * -errno); human detail goes into the err buffer given, or the payload's
 * `reason` field.
 */
#ifndef FN_ENGINE_H
#define FN_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "fn_inventory.h"
#include "fn_parse.h"
#include "fn_vendor.h"

struct event_base;

typedef struct fn_engine fn_engine_t;
typedef struct fn_task fn_task_t;

/* ---------------------------------------------------------------------
 * Task specification (values equal to flexnet.proto's enums) */

enum fn_step_kind {
    FN_STEP_COMMANDS = 1, /* run each command, collect its output */
    FN_STEP_CONFIG = 2,   /* config mode, lines, leave (or commit) */
    FN_STEP_BACKUP = 3,   /* backup command, cleaned text -> on_backup */
    FN_STEP_SAVE = 4,     /* the vendor's save (copy run start, save) */
};

/* A question a command may ask and what to answer. question: a pattern
 * over the line the device leaves waiting ('*' any run of bytes, '\'
 * quotes; "Destination filename*"); answer: sent followed by Enter ("":
 * Enter alone). A question nobody expected ends the command after a
 * short wait: exit -3, the question as the reason. */
typedef struct fn_expect {
    const char *question;
    const char *answer;
} fn_expect_t;

/* What a CONFIG step does after a line fails (values of the proto's
 * OnError). STOP: no further line, no commit, the candidate discarded
 * where the OS has one, config mode left. */
enum fn_on_error {
    FN_ON_ERROR_STOP = 1,
    FN_ON_ERROR_CONTINUE = 2, /* send every line, then commit: explicit */
};

enum fn_run_mode {
    FN_MODE_PIPELINED = 1,     /* each device runs its steps when ready */
    FN_MODE_CONNECT_FIRST = 2, /* connect all, report, decide, then run */
};

/* OpenSSH's StrictHostKeyChecking meanings. A changed key is refused by
 * every policy but OFF: replacing a pin is a deliberate act (`flexnet
 * hostkeys forget HOST`), never a side effect of a run. */
enum fn_hostkey_policy {
    FN_HOSTKEY_TOFU = 1,       /* old name of ACCEPT_NEW (same meaning) */
    FN_HOSTKEY_ACCEPT_NEW = 2, /* pin a new key, refuse a changed one */
    FN_HOSTKEY_STRICT = 3,     /* only keys already pinned */
    FN_HOSTKEY_OFF = 4,        /* accept any key, pin nothing; logged */
};

enum fn_connect_status {
    FN_CONNECT_OK = 1,
    FN_CONNECT_FAILED = 2,
    FN_CONNECT_SKIPPED = 3, /* not attempted (cancelled, or stopped) */
};

enum fn_task_status {
    FN_TASK_DONE = 3,
    FN_TASK_FAILED = 4, /* stopped by max_failed or the decide callback */
    FN_TASK_CANCELLED = 5,
};

/* exit_code values of a command result. */
#define FN_EXIT_OK           0
#define FN_EXIT_VENDOR_ERROR 1
#define FN_EXIT_CONNECTION   (-1)
#define FN_EXIT_SKIPPED      (-2)
#define FN_EXIT_TIMEOUT      (-3)

/* One step. All pointers borrowed during fn_task_start (copied).
 * Results: COMMANDS one per command (seq = its index); CONFIG one per
 * line (seq = line index) plus one for the vendor's commit command
 * (seq = ncommands) when it has one; entering and leaving config mode
 * are not reported unless entering fails; BACKUP one (seq 0).
 * A step skipped by only_on / skip / when / an earlier exit_on_fail
 * still reports each of its commands, with exit code -2 and a reason.
 * SAVE: one result (seq 0) of the profile's save command, its questions
 * answered from the profile; exit 0 with a reason when the OS has none
 * (what is committed is saved).
 * Drops: a COMMANDS or BACKUP command cut by a drop is re-run after the
 * reconnect; a CONFIG line that was sent is reported -1 ("may have
 * applied") and the rest of that step -2, never repeated.
 * A CONFIG line that fails (exit 1) stops the step unless on_error is
 * CONTINUE: its result says which line failed and what happened to the
 * lines before it; the later lines and the commit are reported -2. */
typedef struct fn_step {
    int kind;                    /* enum fn_step_kind */
    const char *const *commands; /* COMMANDS: commands; CONFIG: lines */
    size_t ncommands;            /* BACKUP: 0 uses the vendor's command */
    const char *tag;             /* may be NULL */
    int exit_on_fail;            /* failure stops this device's steps */
    const char *const *only_on;  /* host names; empty: all */
    size_t nonly_on;
    const char *const *skip; /* host names never run */
    size_t nskip;
    const char *when_tag;  /* run only if that tagged step's */
    const int *when_codes; /* exit_code on this host is in here */
    size_t nwhen_codes;
    const char *comment;       /* BACKUP: stored with the backup */
    unsigned timeout_ms;       /* per command; 0: task default */
    int on_error;              /* CONFIG: enum fn_on_error; 0: STOP */
    const fn_expect_t *expect; /* questions its commands may ask */
    size_t nexpect;
    /* COMMANDS: TextFSM records of each command's output, from this
     * template, or from the index's template for the device's vendor and
     * the command (preloaded: fn_parse_index_preload). The task takes a
     * reference (fn_parse_tpl_ref / fn_parse_index_ref) until it ends, so
     * the caller may free its own after fn_task_start. NULL: no parsing. */
    const fn_parse_tpl_t *parse_tpl;
    const fn_parse_index_t *parse_index;
} fn_step_t;

/* Task-wide credentials; a host's inventory settings override them.
 * Borrowed during fn_task_start (copied; the copies are wiped at end). */
typedef struct fn_creds {
    const char *username;        /* NULL: "admin" */
    const char *password;        /* NULL: none */
    const char *enable_password; /* NULL: none (no enable) */
    const char *key_file;        /* private key path, or NULL */
    int use_agent;               /* offer the agent's keys (SSH_AUTH_SOCK) */
} fn_creds_t;

typedef struct fn_task_spec {
    const char *task_id;           /* required; shown in every payload */
    const fn_host_t *const *hosts; /* targets (kept: inventory outlives) */
    size_t nhosts;
    const fn_step_t *steps;
    size_t nsteps;
    fn_creds_t creds;
    const char *default_vendor;  /* for hosts without one; NULL: error */
    int mode;                    /* enum fn_run_mode; 0: pipelined */
    unsigned max_failed;         /* CONNECT_FIRST; 0 with percent 0: */
    unsigned max_failed_percent; /*   never stop on failures */
    unsigned concurrency;        /* 0: engine's max_sessions */
    unsigned connect_timeout_ms; /* TCP + SSH handshake; 0: 10000 */
    unsigned auth_timeout_ms;    /* auth, channel, prepare; 0: 10000 */
    unsigned login_timeout_ms;   /* shell until first prompt; 0: 10000 */
    unsigned command_timeout_ms; /* per command; 0: 30000 */
    int hostkey_policy;          /* enum fn_hostkey_policy; 0: ACCEPT_NEW */
    int redact; /* enum fn_vendor_redact for backups; 0: reversible */
    unsigned connect_tries; /* connect/kex attempts; 0: 3 */
    unsigned reconnects;    /* drops survived per device; 0: 2 */
    size_t max_output;      /* per command bytes; 0: 16 MiB */
} fn_task_spec_t;

/* ---------------------------------------------------------------------
 * Sink payloads (mirror flexnet.proto; strings borrowed) */

typedef struct fn_conn_report {
    const char *task_id;
    const char *host;
    const char *address;
    unsigned port;
    const char *vendor;
    int status;     /* enum fn_connect_status */
    unsigned tries; /* connect attempts made: 1 on a first success */
    int64_t duration_us;
    const char *reason;  /* "" when OK */
    int err;             /* fn_err code of the failure, 0 when OK */
    const char *warning; /* OK with a caveat (a refused setup command) */
} fn_conn_report_t;

typedef struct fn_cmd_result {
    const char *task_id;
    const char *host;
    unsigned step; /* index into the spec's steps */
    unsigned seq;  /* index of the command within the step */
    const char *command;
    int exit_code;   /* FN_EXIT_* */
    const char *out; /* cleaned stdout */
    size_t out_len;
    const char *err; /* stderr: error lines */
    size_t err_len;
    int64_t started_us; /* wall clock */
    int64_t duration_us;
    const char *tag;    /* "" when none */
    const char *reason; /* for -1 / -2 / -3: why; "" otherwise */
    int truncated;      /* stdout hit max_output */
    /* Parsing (a step with parse_tpl / parse_index, exit_code 0 only):
     * parsed says it ran; records is the finished session (records via
     * fn_parse_nrecords / fn_parse_record, none on a failure), NULL when
     * no template applied; parse_error "" or why. Never changes
     * exit_code. */
    int parsed;
    const fn_parse_t *records;
    const char *parse_error;
} fn_cmd_result_t;
/* A BACKUP step's result carries exit code, timing and stderr, but an
 * empty stdout when it succeeded: the text goes to on_backup once. */

/* A backup: metadata + the cleaned configuration text. id, sha256,
 * target, bucket, key, error are the store's business: the engine leaves
 * them to it. */
typedef struct fn_backup {
    const char *task_id;
    const char *host;
    const char *vendor;
    int64_t created_us;
    const char *comment; /* "" when none */
    const char *command; /* the backup command */
    const char *text;    /* cleaned configuration, without the lines
                            of the vendor's backup_strip list */
    size_t size;         /* bytes of text */
    unsigned step;
    int redact;        /* enum fn_vendor_redact the text went through */
    unsigned redacted; /* lines whose secret became "<removed>" */
} fn_backup_t;

typedef struct fn_log_line {
    const char *task_id;
    uint64_t seq;     /* per task, from 1 */
    int64_t time_us;  /* wall clock */
    const char *host; /* "" for task-level lines */
    unsigned level;   /* enum fn_log_level: 0 error .. 3 debug */
    const char *text;
} fn_log_line_t;

typedef struct fn_progress {
    unsigned total;
    unsigned connected;
    unsigned failed;  /* failed to connect */
    unsigned done;    /* devices finished (all steps, or gave up) */
    unsigned running; /* sessions open now */
    double rate;      /* devices done per second */
    double eta_s;
} fn_progress_t;

/* Counting rules: `ok` = connected devices that ran every step they
 * were given with no exit code 1 / -1 / -3; `failed` = devices with such
 * a code; devices that never connected are in `failed_connect` only.
 * `commands` counts every result (skipped ones too), `errors` those with
 * exit code 1 / -1 / -3. */
typedef struct fn_summary {
    const char *task_id;
    int status; /* enum fn_task_status */
    unsigned devices;
    unsigned connected;
    unsigned failed_connect;
    unsigned ok;     /* devices where every step had exit_code 0 */
    unsigned failed; /* devices with some non-zero exit_code */
    unsigned commands;
    unsigned errors; /* commands with a non-zero exit_code */
    int64_t duration_us;
    unsigned backups;
    const char *error; /* why FAILED or CANCELLED, "" otherwise */
} fn_summary_t;

/* What connect-first mode asks before running steps. */
typedef struct fn_connect_summary {
    unsigned total;
    unsigned connected;
    unsigned failed;
    int over_threshold; /* failed > max_failed or > max_failed_percent */
} fn_connect_summary_t;

/* ---------------------------------------------------------------------
 * The sink. Every member may be NULL (event dropped / default used). */

typedef void fn_sink_conn_fn(fn_task_t *t, const fn_conn_report_t *r,
                             void *arg);
typedef void fn_sink_result_fn(fn_task_t *t, const fn_cmd_result_t *r,
                               void *arg);
typedef void fn_sink_backup_fn(fn_task_t *t, const fn_backup_t *b, void *arg);
typedef void fn_sink_log_fn(fn_task_t *t, const fn_log_line_t *l, void *arg);
typedef void fn_sink_progress_fn(fn_task_t *t, const fn_progress_t *p,
                                 void *arg);
/* The last call for a task; the task is freed when it returns. */
typedef void fn_sink_summary_fn(fn_task_t *t, const fn_summary_t *s, void *arg);

/* Host-key lookup: hostport is "address:port". Write the pinned key's
 * type ("ssh-ed25519") and fingerprint ("SHA256:base64") into the
 * buffers and return 0, or return FN_ENOTFOUND when none is pinned.
 * Synchronous: called during the handshake. NULL: nothing is ever
 * pinned (TOFU then accepts every key; STRICT refuses every key). */
typedef int fn_sink_hostkey_get_fn(fn_task_t *t, const char *hostport,
                                   char *type, size_t typelen, char *sha256,
                                   size_t shalen, void *arg);
/* Pin (or, replaced=1 under ACCEPT_NEW, re-pin) a key the engine
 * accepted. The store persists it. */
typedef void fn_sink_hostkey_pin_fn(fn_task_t *t, const char *hostport,
                                    const char *type, const char *sha256,
                                    int replaced, void *arg);

/* Connect-first only: called once every target connected or failed.
 * Return 1 to run the steps, 0 to stop the task (FAILED), or FN_EAGAIN to
 * answer later with fn_task_resume (e.g. after asking the user). NULL:
 * stop exactly when s->over_threshold. */
typedef int fn_sink_decide_fn(fn_task_t *t, const fn_connect_summary_t *s,
                              void *arg);

typedef struct fn_sink {
    fn_sink_conn_fn *on_connection;
    fn_sink_result_fn *on_result;
    fn_sink_backup_fn *on_backup;
    fn_sink_log_fn *on_log;
    fn_sink_progress_fn *on_progress;
    fn_sink_summary_fn *on_summary;
    fn_sink_hostkey_get_fn *hostkey_get;
    fn_sink_hostkey_pin_fn *hostkey_pin;
    fn_sink_decide_fn *decide;
    void *arg;          /* passed to every member */
    unsigned log_level; /* on_log receives levels <= this; 0 means INFO */
} fn_sink_t;

/* ---------------------------------------------------------------------
 * Engine */

/* Engine-wide limits. Initialise with fn_engine_opts_init, then change
 * what you need (new fields get defaults there). */
typedef struct fn_engine_opts {
    unsigned max_sessions;       /* sessions open at once; default 10000,
                                  * capped at RLIMIT_NOFILE - 256 */
    unsigned max_handshakes;     /* TCP+SSH handshakes in flight; 256 */
    unsigned progress_ms;        /* on_progress period; 1000; 0: never */
    unsigned ops_per_wakeup;     /* reads per session wakeup; 32 */
    unsigned prompt_settle_ms;   /* a prompt ends a command only when
                                  * nothing follows it within this; 15;
                                  * 0: at once (a line of output equal to
                                  * the prompt, cut by a chunk boundary,
                                  * then ends the command early) */
    const char *ciphers;         /* NULL: measured default, see engine.c */
    const char *kex;             /* NULL: curve25519 first */
    const char *hostkeys;        /* NULL: ed25519 first */
    const char *legacy_kex;      /* lists for legacy_algos hosts; NULL: */
    const char *legacy_hostkeys; /*  defaults adding group14-sha1, */
    const char *legacy_ciphers;  /*  ssh-rsa, aes128-cbc, hmac-sha1 */
    const char *legacy_macs;
    const char *resolv_conf; /* name servers for host names; default
                              * $FLEXNET_RESOLV_CONF, NULL:
                              * /etc/resolv.conf (then /etc/hosts) */
} fn_engine_opts_t;

void fn_engine_opts_init(fn_engine_opts_t *o);

/* Creates an engine on base (borrowed, must outlive the engine; NULL: the
 * engine creates and owns one, run it with fn_engine_run). vendors is
 * kept (must outlive the engine). opts borrowed (NULL: defaults).
 * Returns 0, -ENOMEM or FN_EINTERNAL. *out: fn_engine_free. */
int fn_engine_new(fn_engine_t **out, struct event_base *base,
                  const fn_vendors_t *vendors, const fn_engine_opts_t *opts);

/* Cancels every task (their summaries are delivered, CANCELLED), closes
 * every session at once, frees. Accepts NULL. Not from a callback. */
void fn_engine_free(fn_engine_t *e);

/* The event_base the engine runs on (borrowed). */
struct event_base *fn_engine_base(const fn_engine_t *e);

/* Runs the loop until no task is left. Returns 0, or FN_ERECURSE from a
 * callback. For a caller that shares its base, dispatch the base itself. */
int fn_engine_run(fn_engine_t *e);

/* Cancels every task; returns at once, the tasks end within a tick. */
void fn_engine_shutdown(fn_engine_t *e);

/* Cancels the running task with that id. Returns 0 or FN_ENOTFOUND. */
int fn_engine_cancel(fn_engine_t *e, const char *task_id);

/* Tasks not yet finished. */
size_t fn_engine_task_count(const fn_engine_t *e);

/* Counters for benchmarks and health: sessions open now, their peak,
 * handshakes in flight; live connection records (lent to at most
 * `concurrency` devices per task) and their peak; the bytes each target
 * device costs for a whole task while it has no live connection. */
typedef struct fn_engine_stats {
    unsigned sessions;
    unsigned sessions_peak;
    unsigned handshakes;
    uint64_t sessions_total;
    unsigned live;
    unsigned live_peak;
    size_t device_bytes;
} fn_engine_stats_t;
void fn_engine_stats(const fn_engine_t *e, fn_engine_stats_t *st);

/* ---------------------------------------------------------------------
 * Tasks */

/* Validates and copies spec (borrowed), then starts the task on the next
 * loop iteration. sink is copied; sink->arg kept until the summary.
 * Returns 0, FN_EPARSE (bad spec: err says what, e.g. a when_tag naming
 * no earlier step), FN_EVENDOR (a host's vendor is unknown, or empty with
 * no default_vendor: err names the host and the vendor), FN_EEXISTS
 * (a running task has this id) or -ENOMEM. *out (may be NULL) is
 * borrowed: valid until the summary callback returns. */
int fn_task_start(fn_engine_t *e, const fn_task_spec_t *spec,
                  const fn_sink_t *sink, fn_task_t **out, char *err,
                  size_t errlen);

/* Stops a task: sessions are closed, unrun commands produce nothing,
 * devices not yet connected are reported SKIPPED, then the summary
 * (CANCELLED). Returns 0 or FN_ESTATE (already finishing). */
int fn_task_cancel(fn_task_t *t);

/* Answers a decide callback that returned FN_EAGAIN: go=1 runs the
 * steps, go=0 stops the task. Returns 0 or FN_ESTATE (not waiting). */
int fn_task_resume(fn_task_t *t, int go);

const char *fn_task_id(const fn_task_t *t); /* borrowed */
fn_engine_t *fn_task_engine(const fn_task_t *t);

#endif /* FN_ENGINE_H */
