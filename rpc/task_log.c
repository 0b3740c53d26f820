/*
 * task_log.c — GetTaskLog: a pull stream of a task's committed log lines
 * from `from_seq` on, a queue's worth per wakeup, each batch in its own
 * short read transaction; with `follow`, the stream then waits while the
 * task runs on this server and sends each new line as it is stored.
 *
 * Following without polling the store: every record a run of ours emits
 * (task_sink.c) kicks one server-wide timer, a group commit's time
 * later (FN_RECORDER_FLUSH_MS + a margin, so the line is committed);
 * the timer commits what is pending and refills every waiting stream.
 * A stream whose task is no longer running reads what is left and ends
 * OK. A task this server does not run (a CLI run sharing the store)
 * is read to its stored end, as without follow.
 *
 * Thread: reactor. Owns: each stream's cursor until it ends, the
 * followers' list and the timer.
 */
#include "rpc_int.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "fn_err.h"
#include "fn_store.h"

#define LOG_QUEUED    64 /* log lines queued per stream */
#define LOG_FOLLOW_MS (FN_RECORDER_FLUSH_MS + 5)

typedef struct log_stream {
    fn_rpc_call_t *call;
    char id[FN_STORE_ID_LEN + 1];
    uint64_t next;
    int follow;
    int waiting; /* on the followers' list */
    struct log_stream *prev, *next_w;
} log_stream_t;

struct fn__rpc_follow {
    log_stream_t *waiting;
    struct event *timer;
};

static void log_unwait(struct fn__rpc_follow *f, log_stream_t *ls)
{
    if (!ls->waiting)
        return;
    if (ls->prev)
        ls->prev->next_w = ls->next_w;
    else
        f->waiting = ls->next_w;
    if (ls->next_w)
        ls->next_w->prev = ls->prev;
    ls->waiting = 0;
    ls->prev = ls->next_w = NULL;
}

static void log_wait(struct fn__rpc_follow *f, log_stream_t *ls)
{
    if (ls->waiting)
        return;
    ls->waiting = 1;
    ls->prev = NULL;
    ls->next_w = f->waiting;
    if (f->waiting)
        f->waiting->prev = ls;
    f->waiting = ls;
}

static void log_end(fn_rpc_call_t *c, log_stream_t *ls)
{
    log_unwait(c->srv->follow, ls);
    free(ls);
    fn__rpc_call_release(c);
}

static void log_on_cancel(fn_rpc_call_t *c, void *arg)
{
    log_end(c, arg);
}

static int log_emit(const Flexnet__V1__LogLine *line, void *arg)
{
    log_stream_t *ls = arg;
    int rc = fn__rpc_call_send(ls->call, &line->base);
    if (rc < 0)
        return rc;
    ls->next = line->seq + 1;
    size_t limit = ls->call->srv->stream_queue / 2 + 1;
    if (limit > LOG_QUEUED)
        limit = LOG_QUEUED;
    return fn__rpc_call_queued(ls->call) >= limit ? 1 : 0;
}

static void log_fill(fn_rpc_call_t *c, void *arg)
{
    log_stream_t *ls = arg;
    int rc =
        fn_store_log_foreach(c->srv->store, ls->id, ls->next, log_emit, ls);
    if (rc == 1)
        return; /* queue full: the next send completion calls again */
    if (rc == 0 && ls->follow && fn__rpc_tasks_find(c->srv, ls->id)) {
        log_wait(c->srv->follow, ls); /* the next kick refills */
        return;
    }
    if (rc < 0)
        fn__rpc_fail(c, rc, NULL);
    else
        fn__rpc_call_finish(c, GRPC_STATUS_OK, NULL);
    log_end(c, ls);
}

/* What the runs wrote is committed now; every waiting stream reads on
 * (each may wait again). */
static void log_on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct fn_rpc *s = arg;
    struct fn__rpc_follow *f = s->follow;
    fn_store_flush(s->store);
    log_stream_t *list = f->waiting;
    f->waiting = NULL;
    for (log_stream_t *ls = list; ls; ls = ls->next_w)
        ls->waiting = 0; /* detached; next_w still walks the old list */
    while (list) {
        log_stream_t *ls = list;
        list = ls->next_w;
        ls->prev = ls->next_w = NULL;
        log_fill(ls->call, ls);
    }
}

void fn__rpc_follow_kick(struct fn_rpc *s, const char *task_id)
{
    struct fn__rpc_follow *f = s->follow;
    if (!f || !f->waiting || evtimer_pending(f->timer, NULL))
        return;
    for (log_stream_t *ls = f->waiting; ls; ls = ls->next_w) {
        if (strcmp(ls->id, task_id) == 0) {
            struct timeval tv = {0, LOG_FOLLOW_MS * 1000};
            evtimer_add(f->timer, &tv);
            return;
        }
    }
}

int fn__rpc_follow_new(struct fn_rpc *s)
{
    s->follow = calloc(1, sizeof(*s->follow));
    if (!s->follow)
        return -ENOMEM;
    s->follow->timer = evtimer_new(s->base, log_on_timer, s);
    return s->follow->timer ? 0 : -ENOMEM;
}

void fn__rpc_follow_free(struct fn_rpc *s)
{
    struct fn__rpc_follow *f = s->follow;
    if (!f)
        return;
    while (f->waiting) /* only when freed without a drain */
        log_end(f->waiting->call, f->waiting);
    if (f->timer)
        event_free(f->timer);
    free(f);
    s->follow = NULL;
}

void fn__rpc_get_task_log(fn_rpc_call_t *c, const ProtobufCMessage *req)
{
    const Flexnet__V1__GetTaskLogRequest *r =
        (const Flexnet__V1__GetTaskLogRequest *)req;
    struct fn_store *st = c->srv->store;
    log_stream_t *ls = calloc(1, sizeof(*ls));
    if (!ls) {
        fn__rpc_fail(c, -ENOMEM, NULL);
        return;
    }
    int rc = fn_store_task_resolve(st, r->task_id, ls->id);
    if (rc < 0) {
        fn__rpc_fail(c, rc, fn_store_reason(st));
        free(ls);
        return;
    }
    fn_store_flush(st);
    ls->call = c;
    ls->next = r->from_seq;
    ls->follow = r->follow;
    fn__rpc_call_hold(c);
    fn__rpc_call_set_hooks(c, log_fill, log_on_cancel, ls);
    log_fill(c, ls);
}
