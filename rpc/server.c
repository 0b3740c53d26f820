/*
 * server.c — the gRPC server core: grpc init, ports, the completion-queue
 * thread and its hand-off to the reactor, posting requests, drain, free.
 *
 * Threads: the completion-queue thread (rpc_cq_loop) does nothing but
 * grpc_completion_queue_next with an infinite deadline and append {tag,
 * ok} to a locked list, waking the reactor with event_active once per
 * batch. Everything else here runs on the reactor. (Polling the queue
 * with a zero deadline from a timer was measured ~100x slower.)
 *
 * Owns: the grpc_server, the completion queue, the thread, the wake event
 * and drain timer, the registered-method handles, the HTTP client of the
 * credential providers. Calls are owned by
 * call.c; this file only counts them to know when a drain is over.
 * Does not: decode messages (dispatch.c) or touch tasks (task_methods.c).
 */
#include "rpc_int.h"

#include <errno.h>
#include <event2/event.h>
#include <grpc/grpc_security.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_buf.h"
#include "fn_err.h"
#include "fn_http.h"
#include "fn_log.h"
#include "fn_metrics.h"

#define RPC_DEFAULT_LISTEN      "127.0.0.1:50051"
#define RPC_DEFAULT_QUEUE       65536
#define RPC_DEFAULT_QUEUE_BYTES (32u * 1024 * 1024)
#define RPC_DEFAULT_DRAIN_MS    10000
#define RPC_CANCEL_GRACE_MS     1000 /* after interrupting, before cancel-all */
#define RPC_MAX_MSG             (4 * 1024 * 1024)
#define RPC_REQUESTS_POSTED     8 /* per method, see rpc_on_start */
#define RPC_WAKE_ROUNDS         8 /* hand-off lists taken per wakeup */

static const fn_log_ctx_t rpc_log = {NULL, NULL, FN_LOGC_RPC};

static void rpc_check_drained(struct fn_rpc *s);

/* ---------------------------------------------------------------------
 * Completion-queue thread and hand-off */

static void rpc_push(struct fn_rpc *s, fn__rpc_op_t *op)
{
    pthread_mutex_lock(&s->lock);
    op->next = NULL;
    if (s->tail)
        s->tail->next = op;
    else
        s->head = op;
    s->tail = op;
    int wake = !s->wake_pending;
    s->wake_pending = 1;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    if (wake)
        event_active(s->wake, EV_READ, 0);
}

static void *rpc_cq_loop(void *arg)
{
    struct fn_rpc *s = arg;
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(
            s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type != GRPC_OP_COMPLETE)
            continue;
        fn__rpc_op_t *op = ev.tag;
        op->ok = ev.success;
        rpc_push(s, op);
    }
    return NULL;
}

static fn__rpc_op_t *rpc_take(struct fn_rpc *s)
{
    pthread_mutex_lock(&s->lock);
    fn__rpc_op_t *list = s->head;
    s->head = s->tail = NULL;
    s->wake_pending = 0;
    pthread_mutex_unlock(&s->lock);
    return list;
}

/* A posted request completed: a new call arrived (ok) or the server is
 * shutting down (!ok). Keep one request posted per method. */
static void rpc_on_request(fn_rpc_call_t *c, int ok)
{
    struct fn_rpc *s = c->srv;
    if (ok && !s->draining) {
        size_t i = c->method ? (size_t)(c->method - fn__rpc_methods) : SIZE_MAX;
        if (fn__rpc_request(s, i) < 0)
            fn_log(FN_LOG_ERROR, &rpc_log, "cannot re-post a request");
    }
    if (ok && fn__rpc_call_accept(c) == 0)
        fn__rpc_dispatch(c);
    fn__rpc_call_release(c); /* the request's reference */
}

static void rpc_process(struct fn_rpc *s, fn__rpc_op_t *list)
{
    while (list) {
        fn__rpc_op_t *op = list;
        list = op->next;
        if (op->kind == FN__RPC_OP_SHUTDOWN) {
            s->shutdown_done = 1;
        } else if (op->kind == FN__RPC_OP_REQUEST) {
            rpc_on_request(op->call, op->ok);
        } else {
            fn__rpc_call_complete(op->call, op);
        }
    }
}

/* Completions that the cq thread hands over while we process a list
 * (a buffered SEND_MESSAGE completes within microseconds of its batch)
 * are taken in the same wakeup, up to a cap so that a busy stream cannot
 * starve the sessions (libuv caps work per wakeup the same way). */
static void rpc_on_wake(evutil_socket_t fd, short what, void *arg)
{
    struct fn_rpc *s = arg;
    fn__rpc_op_t *list;
    for (int round = 0; round < RPC_WAKE_ROUNDS && (list = rpc_take(s));
         round++)
        rpc_process(s, list);
    rpc_check_drained(s);
}

/* ---------------------------------------------------------------------
 * Requests */

int fn__rpc_request(struct fn_rpc *s, size_t i)
{
    if (s->draining)
        return FN_ESTATE;
    const fn__rpc_method_t *m = i == SIZE_MAX ? NULL : &fn__rpc_methods[i];
    fn_rpc_call_t *c = fn__rpc_call_new(s, m);
    if (!c)
        return -ENOMEM;
    grpc_call_error e;
    if (m) {
        e = grpc_server_request_registered_call(
            s->server, s->registered[i], &c->call, &c->deadline, &c->md,
            m->flags & FN__RPC_CLIENT_STREAM ? NULL : &c->payload, s->cq, s->cq,
            &c->op_request);
    } else {
        e = grpc_server_request_call(s->server, &c->call, &c->details, &c->md,
                                     s->cq, s->cq, &c->op_request);
    }
    if (e != GRPC_CALL_OK) {
        fn_log(FN_LOG_ERROR, &rpc_log, "request_call: %s",
               grpc_call_error_to_string(e));
        fn__rpc_call_release(c);
        return FN_EINTERNAL;
    }
    return 0;
}

/* Several requests stay posted per method (each completion posts one
 * back), so a burst of new calls is matched in one hand-off instead of
 * one reactor round trip per call. */
static void rpc_on_start(evutil_socket_t fd, short what, void *arg)
{
    struct fn_rpc *s = arg;
    for (int k = 0; k < RPC_REQUESTS_POSTED; k++) {
        for (size_t i = 0; i < fn__rpc_nmethods; i++)
            fn__rpc_request(s, i);
        fn__rpc_request(s, SIZE_MAX);
    }
}

/* ---------------------------------------------------------------------
 * Setup */

static grpc_server_credentials *rpc_creds(const fn_rpc_opts_t *o)
{
    if (!o->tls_cert_pem)
        return grpc_insecure_server_credentials_create();
    grpc_ssl_pem_key_cert_pair pair = {o->tls_key_pem, o->tls_cert_pem};
    return grpc_ssl_server_credentials_create(NULL, &pair, 1, 0, NULL);
}

static int rpc_bind(struct fn_rpc *s, const fn_rpc_opts_t *o, char *err,
                    size_t errlen)
{
    const char *addr = o->listen ? o->listen : RPC_DEFAULT_LISTEN;
    grpc_server_credentials *creds = rpc_creds(o);
    if (!creds) {
        snprintf(err, errlen, "cannot build TLS credentials");
        return FN_EPARSE;
    }
    s->port = grpc_server_add_http2_port(s->server, addr, creds);
    grpc_server_credentials_release(creds);
    if (s->port <= 0) {
        snprintf(err, errlen, "cannot listen on %s", addr);
        return -EADDRINUSE;
    }
    return 0;
}

static int rpc_create_server(struct fn_rpc *s)
{
    grpc_arg args[3];
    memset(args, 0, sizeof(args));
    args[0].type = GRPC_ARG_INTEGER;
    args[0].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
    args[0].value.integer = RPC_MAX_MSG;
    args[1].type = GRPC_ARG_INTEGER;
    args[1].key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
    args[1].value.integer = RPC_MAX_MSG;
    /* gRPC sets SO_REUSEPORT by default: a second flexnetd on the same
     * port would then share it silently instead of failing. */
    args[2].type = GRPC_ARG_INTEGER;
    args[2].key = GRPC_ARG_ALLOW_REUSEPORT;
    args[2].value.integer = 0;
    grpc_channel_args ca = {3, args};
    s->server = grpc_server_create(&ca, NULL);
    s->cq = grpc_completion_queue_create_for_next(NULL);
    if (!s->server || !s->cq)
        return -ENOMEM;
    grpc_server_register_completion_queue(s->server, s->cq, NULL);
    s->registered = calloc(fn__rpc_nmethods, sizeof(void *));
    if (!s->registered)
        return -ENOMEM;
    for (size_t i = 0; i < fn__rpc_nmethods; i++) {
        s->registered[i] = grpc_server_register_method(
            s->server, fn__rpc_methods[i].path, NULL,
            fn__rpc_methods[i].flags & FN__RPC_CLIENT_STREAM
                ? GRPC_SRM_PAYLOAD_NONE
                : GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER,
            0);
        if (!s->registered[i])
            return FN_EINTERNAL;
    }
    return 0;
}

static char *rpc_strdup(const char *p)
{
    return p ? strdup(p) : NULL;
}

static int rpc_copy_opts(struct fn_rpc *s, const fn_rpc_opts_t *o)
{
    s->stream_queue = o->stream_queue ? o->stream_queue : RPC_DEFAULT_QUEUE;
    s->stream_bytes =
        o->stream_bytes ? o->stream_bytes : RPC_DEFAULT_QUEUE_BYTES;
    s->drain_ms = o->drain_ms ? o->drain_ms : RPC_DEFAULT_DRAIN_MS;
    s->inventory = rpc_strdup(o->inventory);
    if (o->token) {
        s->token_len = strlen(o->token);
        s->token = rpc_strdup(o->token);
    }
    if ((o->inventory && !s->inventory) || (o->token && !s->token))
        return -ENOMEM;
    return 0;
}

static int rpc_start(struct fn_rpc *s, const fn_rpc_opts_t *o, char *err,
                     size_t errlen)
{
    int rc = rpc_create_server(s);
    if (rc == 0)
        rc = rpc_bind(s, o, err, errlen);
    if (rc < 0)
        return rc;
    grpc_server_start(s->server);
    if (pthread_create(&s->thread, NULL, rpc_cq_loop, s) != 0)
        return -ENOMEM;
    s->thread_started = 1;
    /* Requests are posted from the loop, so that fn_rpc_new itself never
     * calls back into anything. */
    s->start = event_new(s->base, -1, 0, rpc_on_start, s);
    if (!s->start)
        return -ENOMEM;
    event_active(s->start, EV_TIMEOUT, 0);
    return 0;
}

void fn_rpc_opts_init(fn_rpc_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->listen = RPC_DEFAULT_LISTEN;
}

/* The recorder writes every task's events to the store and copies
 * backups to S3 ([s3] in the config); its warnings go to the log. */
static void rpc_on_rec_warning(const char *task_id, int what, const char *msg,
                               void *arg)
{
    struct fn_rpc *s = arg;
    if (what == FN_RECORDER_WARN_S3 && s->metrics)
        fn_metrics_on_s3_failure(s->metrics);
    fn_log_ctx_t ctx = {*task_id ? task_id : NULL, NULL, FN_LOGC_RPC};
    fn_log(FN_LOG_WARN, &ctx, "%s", msg);
}

static void rpc_on_rec_idle(fn_recorder_t *r, void *arg)
{
    fn__rpc_check_drained(arg);
}

static int rpc_recorder(struct fn_rpc *s, char *err, size_t errlen)
{
    fn_recorder_opts_t ro = {
        .base = s->base,
        .store = s->store,
        .http = s->http,
        .config = s->config,
        .on_warning = rpc_on_rec_warning,
        .on_idle = rpc_on_rec_idle,
        .arg = s,
    };
    return fn_recorder_new(&s->rec, &ro, err, errlen);
}

int fn_rpc_new(fn_rpc_t **out, struct event_base *base,
               struct fn_engine *engine, struct fn_store *store,
               const struct fn_vendors *vendors, const fn_rpc_opts_t *o,
               char *err, size_t errlen)
{
    char dummy[8];
    if (!err) {
        err = dummy;
        errlen = sizeof(dummy);
    }
    *out = NULL;
    if (!o->tls_cert_pem != !o->tls_key_pem) {
        snprintf(err, errlen, "TLS needs both a certificate and a key");
        return FN_EPARSE;
    }
    struct fn_rpc *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    grpc_init();
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->base = base;
    s->engine = engine;
    s->store = store;
    s->vendors = vendors;
    s->config = o->config;
    s->op_shutdown.kind = FN__RPC_OP_SHUTDOWN;
    /* Same priority as the sessions, on purpose. At priority 0 every
     * completion made libevent run that queue alone and poll again: one
     * epoll_wait per streamed message, each returning every ready SSH
     * socket again (measured: 27% of flexnetd's CPU in epoll_wait at
     * 1,000 devices, sessions starved, 1.4-1.6 ms CPU per device against
     * ~1.0 without). Sends still chain within one loop pass: the wake
     * event goes back to the tail of the active queue. */
    s->wake = event_new(base, -1, EV_PERSIST, rpc_on_wake, s);
    int rc = s->wake ? rpc_copy_opts(s, o) : -ENOMEM;
    if (rc == 0)
        rc = fn_http_new(&s->http, base);
    if (rc == 0)
        rc = rpc_recorder(s, err, errlen);
    if (rc == 0)
        rc = fn__rpc_tasks_new(s);
    if (rc == 0)
        rc = fn_metrics_new(&s->metrics);
    if (rc == 0)
        rc = fn__rpc_watch_new(s);
    if (rc == 0)
        rc = fn__rpc_follow_new(s);
    if (rc == 0 && o->metrics_listen)
        rc = fn__rpc_http_new(s, o->metrics_listen, err, errlen);
    if (rc == 0)
        rc = rpc_start(s, o, err, errlen);
    if (rc < 0) {
        if (rc == -ENOMEM)
            snprintf(err, errlen, "out of memory");
        fn_rpc_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int fn_rpc_port(const fn_rpc_t *s)
{
    return s->port;
}

/* ---------------------------------------------------------------------
 * Drain and free */

static void rpc_on_drain_timer(evutil_socket_t fd, short what, void *arg)
{
    struct fn_rpc *s = arg;
    if (s->draining == 1) {
        /* Grace over: stop running tasks (INTERRUPTED); give their
         * streams a moment to carry the summary, then cancel the rest. */
        fn_log(FN_LOG_WARN, &rpc_log, "drain: interrupting %zu task(s)",
               fn__rpc_tasks_running(s));
        fn__rpc_tasks_interrupt(s);
        s->draining = 2;
        struct timeval tv = {RPC_CANCEL_GRACE_MS / 1000,
                             (RPC_CANCEL_GRACE_MS % 1000) * 1000};
        evtimer_add(s->drain_timer, &tv);
        return;
    }
    fn_log(FN_LOG_WARN, &rpc_log,
           "drain: cancelling %zu call(s), %zu upload(s)", s->ncalls,
           fn_recorder_uploads(s->rec));
    grpc_server_cancel_all_calls(s->server);
    fn_recorder_cancel_uploads(s->rec);
}

/* The server is gone once shutdown completed, every call object is
 * freed and no task of ours runs. Then the queue can be shut down. */
static void rpc_finish_drain(struct fn_rpc *s)
{
    if (s->drain_timer)
        evtimer_del(s->drain_timer);
    grpc_server_destroy(s->server);
    s->server = NULL;
    grpc_completion_queue_shutdown(s->cq);
    if (s->thread_started)
        pthread_join(s->thread, NULL);
    s->thread_started = 0;
    rpc_process(s, rpc_take(s)); /* nothing expected; be safe */
    s->drained = 1;
    if (s->drained_cb)
        s->drained_cb(s, s->drained_arg);
}

static void rpc_check_drained(struct fn_rpc *s)
{
    if (!s->draining || s->drained)
        return;
    if (fn__rpc_tasks_running(s) || (s->rec && fn_recorder_uploads(s->rec)))
        return;
    /* Health watchers saw NOT_SERVING when the drain began; they end
     * last, once nothing else is left (gRPC's shutdown waits for them). */
    fn__rpc_watch_end(s);
    if (!s->shutdown_done || s->ncalls)
        return;
    rpc_finish_drain(s);
}

void fn__rpc_check_drained(struct fn_rpc *s)
{
    rpc_check_drained(s);
}

int fn_rpc_drain(fn_rpc_t *s, fn_rpc_drained_fn *cb, void *arg)
{
    if (s->draining)
        return FN_ESTATE;
    s->draining = 1;
    s->drained_cb = cb;
    s->drained_arg = arg;
    fn_log(FN_LOG_INFO, &rpc_log, "draining: %zu call(s), %zu task(s)",
           s->ncalls, fn__rpc_tasks_running(s));
    grpc_server_shutdown_and_notify(s->server, s->cq, &s->op_shutdown);
    fn__rpc_watch_notify(s);
    s->drain_timer = evtimer_new(s->base, rpc_on_drain_timer, s);
    if (s->drain_timer) {
        struct timeval tv = {s->drain_ms / 1000, (s->drain_ms % 1000) * 1000};
        evtimer_add(s->drain_timer, &tv);
    }
    return 0;
}

/* Free without a drain: cancel everything, then run completions here
 * (waiting on the condition variable) until gRPC released every call. */
static void rpc_force_drain(struct fn_rpc *s)
{
    if (!s->draining)
        fn_rpc_drain(s, NULL, NULL);
    fn__rpc_tasks_interrupt(s);
    grpc_server_cancel_all_calls(s->server);
    while (!s->drained) {
        pthread_mutex_lock(&s->lock);
        while (!s->head)
            pthread_cond_wait(&s->cond, &s->lock);
        pthread_mutex_unlock(&s->lock);
        rpc_process(s, rpc_take(s));
        if (s->shutdown_done && !s->ncalls)
            rpc_finish_drain(s);
    }
}

void fn_rpc_free(fn_rpc_t *s)
{
    if (!s)
        return;
    if (s->server && s->thread_started && !s->drained)
        rpc_force_drain(s);
    if (s->server)
        grpc_server_destroy(s->server); /* never started */
    if (s->cq) {
        if (!s->drained)
            grpc_completion_queue_shutdown(s->cq);
        grpc_completion_queue_destroy(s->cq);
    }
    fn__rpc_http_free(s);
    fn__rpc_follow_free(s);
    fn__rpc_watch_free(s);
    fn__rpc_refl_free(s);
    fn__rpc_tasks_free(s);
    fn_metrics_free(s->metrics);
    fn_recorder_free(s->rec); /* after the runs: they write through it */
    fn_http_free(s->http);    /* after the runs: their fetches use it */
    if (s->wake)
        event_free(s->wake);
    if (s->start)
        event_free(s->start);
    if (s->drain_timer)
        event_free(s->drain_timer);
    if (s->token)
        fn_memwipe(s->token, s->token_len);
    free(s->token);
    free(s->inventory);
    free(s->registered);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
    grpc_shutdown_blocking();
}
