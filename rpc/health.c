/*
 * health.c — grpc.health.v1.Health: Check (unary) and Watch (a stream
 * that sends the current status at once and again on every change).
 *
 * The server is SERVING until a drain begins, then NOT_SERVING: watchers
 * get that update at once and their streams end (OK) last, when nothing
 * else keeps the drain going. A Watch for a service this server does not
 * know streams SERVICE_UNKNOWN (the protocol's answer; Check says
 * NOT_FOUND) and stays open, as the protocol asks.
 *
 * Thread: reactor. Owns: the list of watching calls (one reference each).
 */
#include "rpc_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "health.pb-c.h"

#define HEALTH(x) GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__##x

typedef struct health_watcher {
    fn_rpc_call_t *call;
    int known; /* the service asked about exists */
    struct health_watcher *prev, *next;
} health_watcher_t;

struct fn__rpc_watch {
    health_watcher_t *list;
    size_t n;
};

static int health_known(const char *service)
{
    return !service[0] || strcmp(service, "flexnet.v1.Flexnet") == 0;
}

static int health_status(const struct fn_rpc *s)
{
    return s->draining ? HEALTH(NOT_SERVING) : HEALTH(SERVING);
}

static int health_send(fn_rpc_call_t *c, int status)
{
    Grpc__Health__V1__HealthCheckResponse resp;
    grpc__health__v1__health_check_response__init(&resp);
    resp.status = status;
    return fn__rpc_call_send(c, &resp.base);
}

void fn__rpc_health_check(fn_rpc_call_t *c, const ProtobufCMessage *req)
{
    const Grpc__Health__V1__HealthCheckRequest *r =
        (const Grpc__Health__V1__HealthCheckRequest *)req;
    if (!health_known(r->service)) {
        fn__rpc_call_finish(c, GRPC_STATUS_NOT_FOUND, "unknown service");
        return;
    }
    Grpc__Health__V1__HealthCheckResponse resp;
    grpc__health__v1__health_check_response__init(&resp);
    resp.status = health_status(c->srv);
    fn__rpc_call_reply(c, &resp.base);
}

static void health_unlink(struct fn__rpc_watch *w, health_watcher_t *h)
{
    if (h->prev)
        h->prev->next = h->next;
    else
        w->list = h->next;
    if (h->next)
        h->next->prev = h->prev;
    w->n--;
}

/* Drops a watcher: its call is over (cancel) or we end it (drain). */
static void health_drop(struct fn__rpc_watch *w, health_watcher_t *h)
{
    fn_rpc_call_t *c = h->call;
    health_unlink(w, h);
    free(h);
    fn__rpc_call_release(c);
}

static void health_on_cancel(fn_rpc_call_t *c, void *arg)
{
    health_drop(c->srv->watch, arg);
}

void fn__rpc_health_watch(fn_rpc_call_t *c, const ProtobufCMessage *req)
{
    const Grpc__Health__V1__HealthCheckRequest *r =
        (const Grpc__Health__V1__HealthCheckRequest *)req;
    struct fn__rpc_watch *w = c->srv->watch;
    health_watcher_t *h = calloc(1, sizeof(*h));
    if (!h) {
        fn__rpc_fail(c, -ENOMEM, NULL);
        return;
    }
    h->call = c;
    h->known = health_known(r->service);
    h->next = w->list;
    if (w->list)
        w->list->prev = h;
    w->list = h;
    w->n++;
    fn__rpc_call_hold(c);
    fn__rpc_call_set_hooks(c, NULL, health_on_cancel, h);
    health_send(c, h->known ? health_status(c->srv) : HEALTH(SERVICE_UNKNOWN));
}

int fn__rpc_watch_new(struct fn_rpc *s)
{
    s->watch = calloc(1, sizeof(*s->watch));
    return s->watch ? 0 : -ENOMEM;
}

void fn__rpc_watch_free(struct fn_rpc *s)
{
    if (!s->watch)
        return;
    while (s->watch->list) /* only when freed without a drain */
        health_drop(s->watch, s->watch->list);
    free(s->watch);
    s->watch = NULL;
}

void fn__rpc_watch_notify(struct fn_rpc *s)
{
    for (health_watcher_t *h = s->watch ? s->watch->list : NULL; h; h = h->next)
        if (h->known)
            health_send(h->call, health_status(s));
}

void fn__rpc_watch_end(struct fn_rpc *s)
{
    struct fn__rpc_watch *w = s->watch;
    if (!w || !w->n || w->n != s->ncalls)
        return;
    while (w->list) {
        health_watcher_t *h = w->list;
        fn__rpc_call_finish(h->call, GRPC_STATUS_OK, NULL);
        health_drop(w, h); /* the call lives on: its batches hold it */
    }
}
