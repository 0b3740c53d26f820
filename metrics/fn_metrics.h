/*
 * fn_metrics.h — flexnet's counters in the Prometheus text format
 * (version 0.0.4): what flexnetd serves on /metrics and what
 * `flexnet run --metrics-file` writes for node_exporter's textfile
 * collector.
 *
 * WHERE THE NUMBERS COME FROM
 *  - Counters are fed by a front end from the recorder's records (the
 *    hooks of fn_recorder.h): connects by outcome, commands by exit code,
 *    per-vendor command latency histograms, device output and command
 *    bytes, backups and their S3 copies, tasks by final status; flexnetd
 *    adds gRPC calls by method and status code.
 *  - Gauges are read when rendering, from public getters the caller
 *    passes in fn_metrics_gauges_t (fn_engine_stats; fn_store_stats,
 *    which also carries the store's commit count and time; the server's
 *    own calls and queues).
 *  Bytes are the device's payload as the engine hands it over (cleaned
 *  output, error lines, backup text; commands sent): SSH framing and
 *  encryption are not counted.
 *
 * THREAD: one thread (the reactor). OWNERSHIP: the registry copies
 * vendor names; method names passed to fn_metrics_on_rpc are kept
 * (static strings: the server's method table).
 *
 * ERRORS: 0 or a negative fn_err.h code / -errno.
 */
#ifndef FN_METRICS_H
#define FN_METRICS_H

#include <stddef.h>

#include "fn_buf.h"
#include "fn_engine.h"
#include "fn_inventory.h"
#include "fn_recorder.h"
#include "fn_store.h"
#include "flexnet/v1/flexnet.pb-c.h"

typedef struct fn_metrics fn_metrics_t;

/* What the renderer reads at the time of a scrape; a zeroed struct
 * leaves every group out. */
typedef struct fn_metrics_gauges {
    const fn_engine_stats_t *engine; /* NULL: no engine gauges */
    const fn_store_stats_t *store;   /* NULL: no store gauges */
    int has_tasks;                   /* tasks_running is meaningful */
    unsigned tasks_running;
    int has_s3;            /* backups are copied to S3 */
    size_t s3_inflight;    /* copies under way */
    int has_rpc;           /* the three below are meaningful */
    size_t rpc_calls;      /* live gRPC calls */
    size_t rpc_queued;     /* messages queued on all streams */
    size_t rpc_queued_max; /* the longest stream queue */
} fn_metrics_gauges_t;

/* Fills g (zeroed first) with what every front end has: the engine's
 * sessions, the store's map and batch (one read transaction; left out
 * when it fails) and the recorder's S3 copies. es and ss (borrowed) hold
 * what g points to. */
void fn_metrics_gauges_read(fn_metrics_gauges_t *g, fn_engine_stats_t *es,
                            fn_store_stats_t *ss, const fn_engine_t *engine,
                            fn_store_t *store, const fn_recorder_t *rec);

/* Returns 0 or -ENOMEM. *out owned: fn_metrics_free. */
int fn_metrics_new(fn_metrics_t **out);
void fn_metrics_free(fn_metrics_t *m); /* accepts NULL */

/* ---- records (borrowed for the call) */
void fn_metrics_on_connection(fn_metrics_t *m,
                              const Flexnet__V1__ConnectionReport *r);
/* vendor: the host's vendor profile name (NULL or "": "unknown"). */
void fn_metrics_on_result(fn_metrics_t *m, const Flexnet__V1__CommandResult *r,
                          const char *vendor);
/* s3: 1 when a copy to S3 was started for it. */
void fn_metrics_on_backup(fn_metrics_t *m, const Flexnet__V1__Backup *b,
                          int s3);
/* An S3 copy failed (the recorder's FN_RECORDER_WARN_S3 warning). */
void fn_metrics_on_s3_failure(fn_metrics_t *m);
void fn_metrics_on_summary(fn_metrics_t *m, const Flexnet__V1__Summary *s);
/* A gRPC call ended with code (grpc_status_code); method kept. */
void fn_metrics_on_rpc(fn_metrics_t *m, const char *method, int code);

/* ---- a tap on a task's recorder hooks: counts each record, then calls
 * the front end's hook. Embed it where the task's state lives (it must
 * outlive the task); fill the fields, then fn_metrics_tap. */
typedef void fn_metrics_record_fn(void *arg);
typedef struct fn_metrics_tap {
    fn_metrics_t *m;                 /* kept */
    const fn_inventory_t *inv;       /* kept: each result's host -> vendor */
    const char *default_vendor;      /* kept; for hosts naming none */
    int s3;                          /* backups are copied to S3 */
    fn_metrics_record_fn *on_record; /* may be NULL: after each record */
    void *record_arg;
    fn_recorder_hooks_t next; /* set by fn_metrics_tap: the front end's */
} fn_metrics_tap_t;

/* Saves *hooks (in/out) as tap->next and points them at the tap (arg =
 * tap; decide is forwarded with the front end's arg). */
void fn_metrics_tap(fn_metrics_tap_t *tap, fn_recorder_hooks_t *hooks);

/* Appends the whole exposition to out (borrowed). Returns 0 or FN_EFULL /
 * -ENOMEM (out's cap). */
int fn_metrics_render(const fn_metrics_t *m, const fn_metrics_gauges_t *g,
                      fn_buf_t *out);
/* Renders into path atomically (a temporary file renamed over it, as
 * the textfile collector requires). Returns 0 or -errno. */
int fn_metrics_write_file(const fn_metrics_t *m, const fn_metrics_gauges_t *g,
                          const char *path);

#endif /* FN_METRICS_H */
