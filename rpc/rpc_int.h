/*
 * rpc_int.h — what rpc/'s files share: the server struct (server.c), the
 * call object and its lifecycle (call.c), the method table (dispatch.c),
 * the request validator (validate.c), the runs of RunTask (task_run.c,
 * task_registry.c, task_sink.c: hooks on recorder/'s sink) and the method
 * handlers (task_methods.c, backup_methods.c, misc_methods.c).
 *
 * Not a public API: only rpc/ includes it. Everything runs on the reactor
 * thread except server.c's completion-queue loop, which touches only the
 * hand-off list (under fn_rpc.lock).
 *
 * Call lifetime. A call is counted: one reference per batch in flight
 * (request, send, status, close) plus one per holder (the dispatcher
 * during the handler, a task stream, a log reader). The grpc_call is
 * unref'd and the object freed when the count drops to zero, which is
 * after both its status and RECV_CLOSE_ON_SERVER completed.
 */
#ifndef FN_RPC_INT_H
#define FN_RPC_INT_H

#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "flexnet/v1/flexnet.pb-c.h"
#include "fn_engine.h"
#include "fn_metrics.h"
#include "fn_rpc.h"
#include "fn_recorder.h"

struct event;
typedef struct fn_rpc_call fn_rpc_call_t;
typedef struct fn__rpc_method fn__rpc_method_t;

/* What a tag is: the completion-queue thread returns these. */
enum fn__rpc_op_kind {
    FN__RPC_OP_REQUEST, /* a posted request_call matched a new call */
    FN__RPC_OP_SEND,    /* SEND_MESSAGE (+ initial md, + status) done */
    FN__RPC_OP_STATUS,  /* SEND_STATUS_FROM_SERVER done */
    FN__RPC_OP_CLOSE,   /* RECV_CLOSE_ON_SERVER done */
    FN__RPC_OP_RECV,    /* RECV_MESSAGE done (client-streaming methods) */
    FN__RPC_OP_SHUTDOWN /* grpc_server_shutdown_and_notify done */
};

typedef struct fn__rpc_op {
    struct fn__rpc_op *next; /* handoff list link (under the lock) */
    fn_rpc_call_t *call;     /* NULL for FN__RPC_OP_SHUTDOWN */
    int kind;                /* enum fn__rpc_op_kind */
    int ok;                  /* the grpc_event's success */
} fn__rpc_op_t;

/* Handler of one method: runs on the reactor with the decoded request
 * (borrowed: freed when the handler returns). It answers with
 * fn__rpc_call_reply / _finish, or holds the call for a stream. */
typedef void fn__rpc_handler_fn(fn_rpc_call_t *c, const ProtobufCMessage *req);

/* Called when room frees up in a stream's queue (pull streams: logs,
 * backup chunks). */
typedef void fn__rpc_drain_fn(fn_rpc_call_t *c, void *arg);
/* A client-streaming call's next request (decoded and validated,
 * borrowed for the call), or NULL once the client half-closed or sent a
 * request that does not parse or validate (the call then already ends
 * with INVALID_ARGUMENT). */
typedef void fn__rpc_recv_fn(fn_rpc_call_t *c, const ProtobufCMessage *req,
                             void *arg);
/* Called once when the call ended under a streaming holder (client
 * cancel, deadline, transport gone) — never after the holder called
 * fn__rpc_call_finish or _abort, which clear both hooks. */
typedef void fn__rpc_cancel_fn(fn_rpc_call_t *c, void *arg);

struct fn__rpc_method {
    const char *path;                      /* "/flexnet.v1.Flexnet/GetTask" */
    const ProtobufCMessageDescriptor *req; /* request message type */
    fn__rpc_handler_fn *handler;
    unsigned flags; /* FN__RPC_CLIENT_STREAM */
};

/* The client streams its requests: no initial payload; the handler gets
 * req == NULL and reads with fn__rpc_call_recv (reflection). */
#define FN__RPC_CLIENT_STREAM 1u

struct fn_rpc_call {
    struct fn_rpc *srv;
    const fn__rpc_method_t *method; /* NULL: an unregistered method */
    grpc_call *call;
    gpr_timespec deadline;
    grpc_metadata_array md;    /* request metadata */
    grpc_call_details details; /* unregistered calls only */
    grpc_byte_buffer *payload; /* the request message, or NULL */
    fn__rpc_op_t op_request, op_send, op_status, op_close, op_recv;
    grpc_byte_buffer *recv_buf; /* RECV_MESSAGE's out value */
    fn__rpc_recv_fn *on_recv;   /* set while a receive is posted */
    void *recv_arg;
    int refs;
    int cancelled;              /* RECV_CLOSE_ON_SERVER's out value */
    unsigned md_sent : 1;       /* initial metadata went out */
    unsigned send_busy : 1;     /* a SEND_MESSAGE batch in flight */
    unsigned finishing : 1;     /* status requested; sent after queue */
    unsigned status_sent : 1;   /* status batch started */
    unsigned closed : 1;        /* RECV_CLOSE_ON_SERVER completed */
    unsigned aborted : 1;       /* we cancelled it with a status */
    unsigned broken : 1;        /* a batch failed: the stream is gone */
    unsigned counted : 1;       /* its end went into the metrics */
    grpc_status_code code;      /* status to send when finishing */
    char *detail;               /* its message, owned, may be NULL */
    grpc_byte_buffer **queue;   /* ring of packed messages, owned */
    grpc_byte_buffer *inflight; /* the message being sent, owned */
    size_t qhead, qlen, qcap;
    size_t qbytes; /* bytes in the queue */
    fn__rpc_drain_fn *on_drain;
    fn__rpc_cancel_fn *on_cancel;
    void *cb_arg;
    fn_rpc_call_t *prev, *next; /* the server's list of live calls */
};

struct fn_rpc {
    struct event_base *base;
    struct fn_engine *engine;
    struct fn_store *store;
    const struct fn_vendors *vendors;
    const struct fn_config *config; /* integrations config, may be NULL */
    struct fn_http *http;           /* owned: credential providers, S3 */
    struct fn_recorder *rec;        /* owned: store sink, S3 copies */
    grpc_server *server;
    grpc_completion_queue *cq;
    pthread_t thread;
    int thread_started;
    pthread_mutex_t lock;      /* guards head/tail/wake_pending */
    pthread_cond_t cond;       /* signalled with each handoff */
    fn__rpc_op_t *head, *tail; /* completions waiting for the reactor */
    int wake_pending;
    struct event *wake; /* activated by the cq thread */
    struct event *drain_timer;
    struct event *start;  /* posts the first requests */
    void **registered;    /* one handle per method of the table */
    fn_rpc_call_t *calls; /* live calls */
    size_t ncalls;
    fn__rpc_op_t op_shutdown;
    int port;
    int draining, shutdown_done, drained;
    fn_rpc_drained_fn *drained_cb;
    void *drained_arg;
    char *token; /* owned, wiped on free; NULL: no auth */
    size_t token_len;
    char *inventory;     /* owned default inventory path */
    size_t stream_queue; /* per-stream caps: messages, */
    size_t stream_bytes; /* and bytes */
    unsigned drain_ms;
    struct fn__rpc_tasks *tasks;       /* task_methods.c's registry of runs */
    struct fn_metrics *metrics;        /* owned: counters for /metrics */
    struct fn__rpc_http *http_metrics; /* metrics_http.c, or NULL */
    struct fn__rpc_watch *watch;       /* health.c's Watch streams */
    struct fn__rpc_follow *follow;     /* task_log.c's followers */
    struct fn__rpc_refl *refl;         /* reflection.c's index, lazy */
};

/* ---- server.c */
/* Posts a fresh request for method index i (or the unregistered catch-all
 * when i == SIZE_MAX). Returns 0 or FN_ESTATE (draining) / -ENOMEM. */
int fn__rpc_request(struct fn_rpc *s, size_t i);
/* Finishes a drain once nothing is left (calls, tasks, shutdown). */
void fn__rpc_check_drained(struct fn_rpc *s);

/* ---- call.c */
fn_rpc_call_t *fn__rpc_call_new(struct fn_rpc *s, const fn__rpc_method_t *m);
void fn__rpc_call_hold(fn_rpc_call_t *c);
void fn__rpc_call_release(fn_rpc_call_t *c);
/* The call was accepted (its request op completed OK): posts
 * RECV_CLOSE_ON_SERVER. Returns 0 or FN_EINTERNAL. */
int fn__rpc_call_accept(fn_rpc_call_t *c);
/* Routes a completed op of this call. */
void fn__rpc_call_complete(fn_rpc_call_t *c, fn__rpc_op_t *op);
/* Queues one message (packed at once; m borrowed). Returns 0, FN_EFULL
 * (queue at its cap: nothing queued) or FN_ECLOSED (the call is over or
 * finishing). */
int fn__rpc_call_send(fn_rpc_call_t *c, const ProtobufCMessage *m);
/* Messages queued or in flight (pull streams keep this small). */
size_t fn__rpc_call_queued(const fn_rpc_call_t *c);
/* Ends the call with code/detail after every queued message went out.
 * detail borrowed (may be NULL). Safe to call once; later calls are no-ops. */
void fn__rpc_call_finish(fn_rpc_call_t *c, grpc_status_code code,
                         const char *detail);
/* Unary answer: send m (may be NULL) then OK. */
void fn__rpc_call_reply(fn_rpc_call_t *c, const ProtobufCMessage *m);
/* Ends the call now, dropping the queue (slow client, shutdown). */
void fn__rpc_call_abort(fn_rpc_call_t *c, grpc_status_code code,
                        const char *detail);
/* Registers stream callbacks (each may be NULL); arg kept. */
void fn__rpc_call_set_hooks(fn_rpc_call_t *c, fn__rpc_drain_fn *on_drain,
                            fn__rpc_cancel_fn *on_cancel, void *arg);
/* 1 once the call can send nothing more (closed, aborted, finishing). */
int fn__rpc_call_done(const fn_rpc_call_t *c);
/* Client-streaming methods: posts one RECV_MESSAGE; cb runs once with the
 * next request (or NULL at half-close), then post again for more. arg
 * kept. Returns 0, FN_ESTATE (a receive is already posted) or
 * FN_EINTERNAL. */
int fn__rpc_call_recv(fn_rpc_call_t *c, fn__rpc_recv_fn *cb, void *arg);
/* The method label of c for metrics ("flexnet.v1.Flexnet/GetTask";
 * "unknown" for unregistered methods): static. */
const char *fn__rpc_call_method_name(const fn_rpc_call_t *c);

/* ---- dispatch.c */
extern const fn__rpc_method_t fn__rpc_methods[];
extern const size_t fn__rpc_nmethods;
/* Runs an accepted call: auth, decode, validate, handler. */
void fn__rpc_dispatch(fn_rpc_call_t *c);

/* Decodes bb as a message of type d and validates it; *out owned
 * (protobuf_c_message_free_unpacked). Returns 0 or FN_EPARSE with why
 * filled. */
int fn__rpc_decode(const ProtobufCMessageDescriptor *d, grpc_byte_buffer *bb,
                   ProtobufCMessage **out, char *why, size_t whylen);

/* ---- validate.c */
/* Checks a decoded message against the API's limits: known enum values,
 * string/bytes caps, valid UTF-8, repeated counts. Returns 0 or
 * FN_EPARSE with the offending field's name in why. */
int fn__rpc_validate(const ProtobufCMessage *m, char *why, size_t whylen);

/* ---- handlers (task_methods.c, backup_methods.c, misc_methods.c) */
fn__rpc_handler_fn fn__rpc_run_task, fn__rpc_cancel_task, fn__rpc_get_task,
    fn__rpc_list_tasks, fn__rpc_get_task_log, fn__rpc_delete_task,
    fn__rpc_list_backups, fn__rpc_get_backup, fn__rpc_diff_backups,
    fn__rpc_delete_backup, fn__rpc_list_vendors, fn__rpc_health_check,
    fn__rpc_health_watch, fn__rpc_reflection;

/* ---- health.c: Watch streams */
int fn__rpc_watch_new(struct fn_rpc *s);
void fn__rpc_watch_free(struct fn_rpc *s);
/* The serving status changed (a drain began): tell every watcher. */
void fn__rpc_watch_notify(struct fn_rpc *s);
/* During a drain: ends the Watch streams (OK) when they are the only
 * calls left (gRPC's shutdown waits for every call). */
void fn__rpc_watch_end(struct fn_rpc *s);

/* ---- reflection.c: frees the descriptor index (NULL: none built) */
void fn__rpc_refl_free(struct fn_rpc *s);

/* ---- task_log.c: GetTaskLog, with follow */
int fn__rpc_follow_new(struct fn_rpc *s);
void fn__rpc_follow_free(struct fn_rpc *s);
/* A run of ours wrote something (its records reach the store within a
 * group commit): wake the followers of task_id soon. */
void fn__rpc_follow_kick(struct fn_rpc *s, const char *task_id);

/* ---- metrics_http.c: /metrics on evhttp */
int fn__rpc_http_new(struct fn_rpc *s, const char *listen, char *err,
                     size_t errlen);
void fn__rpc_http_free(struct fn_rpc *s);

/* ---- task_run.c, task_registry.c, task_sink.c: tasks we started */
/* One RunTask: lives from the request until its summary (then reaped on
 * the next loop iteration: the engine may touch the hosts while it frees
 * the task, so the inventory outlives the summary callback). */
typedef struct fn__rpc_run {
    struct fn_rpc *srv;
    char id[17];                 /* store task id */
    Flexnet__V1__TaskSpec *spec; /* owned copy of the request */
    fn_task_t *task;             /* engine's, NULL once summarised */
    fn_rec_task_t *rt;           /* the task's record, owned */
    fn_rec_fetch_t *fetch;       /* credential fetch, owned, or NULL */
    size_t nhosts;
    fn_rpc_call_t *call;     /* held while streaming, else NULL */
    fn_inventory_t *inv;     /* owned */
    const fn_host_t **hosts; /* owned array; hosts borrowed from inv */
    int stopping;            /* cancel asked (client, drain) */
    int interrupted;         /* stopped by a drain */
    fn_metrics_tap_t tap;    /* counts records, then task_sink.c's hooks */
    struct fn__rpc_run *prev, *next;
} fn__rpc_run_t;

struct fn__rpc_tasks {
    fn__rpc_run_t *runs; /* running */
    size_t nruns;
    fn__rpc_run_t *dead; /* summarised, waiting for the reaper */
    struct event *reap;  /* frees `dead` */
};

/* task_registry.c */
int fn__rpc_tasks_new(struct fn_rpc *s);
void fn__rpc_tasks_free(struct fn_rpc *s);
size_t fn__rpc_tasks_running(const struct fn_rpc *s);
/* Cancels every running task; their summaries record INTERRUPTED. */
void fn__rpc_tasks_interrupt(struct fn_rpc *s);
/* The running task with this full id, or NULL. */
fn__rpc_run_t *fn__rpc_tasks_find(struct fn_rpc *s, const char *id);
/* task_sink.c: the recorder hooks of a run (arg = the run): stream
 * each record on the run's call. */
void fn__rpc_hooks_init(fn_recorder_hooks_t *hooks, fn__rpc_run_t *run);
/* Adds a run to the list; moves a finished run to the reaper; frees. */
void fn__rpc_run_link(fn__rpc_run_t *run);
void fn__rpc_run_retire(fn__rpc_run_t *run);
void fn__rpc_run_free(fn__rpc_run_t *run);
/* task_run.c: cancels a run's task or its pending credential fetch
 * (interrupted: a drain did it, the record says INTERRUPTED). */
void fn__rpc_run_stop(fn__rpc_run_t *run, int interrupted);

/* Maps an fn_err code to the gRPC status a client should see. */
grpc_status_code fn__rpc_status_of(int err);
/* Ends c with the status of err; detail (borrowed, may be NULL) or
 * fn_strerror(err). */
void fn__rpc_fail(fn_rpc_call_t *c, int err, const char *detail);

/* ---- pack_utf8.c: valid UTF-8 in every string sent ------------------ */

typedef struct fn__rpc_utf8_undo {
    struct {
        char **slot; /* the field, now pointing at a sanitized copy */
        char *orig;  /* what it held */
    } * swaps;
    size_t n, cap;
} fn__rpc_utf8_undo_t;

/* Points every string field of m (recursively) that is not valid UTF-8
 * at a sanitized copy, recording the originals in u (zeroed by the
 * caller). Returns 0, or -1 when out of memory (call restore anyway). */
int fn__rpc_utf8_fix(ProtobufCMessage *m, fn__rpc_utf8_undo_t *u);
/* Puts the originals back, frees the copies, resets u. */
void fn__rpc_utf8_restore(fn__rpc_utf8_undo_t *u);

#endif /* FN_RPC_INT_H */
