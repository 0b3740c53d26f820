/*
 * metrics_http.c — the Prometheus endpoint: `GET /metrics` over plain
 * HTTP from libevent's evhttp on the reactor (no thread of its own: a
 * scrape reads counters the reactor owns without locks). Everything
 * else answers 404; methods other than GET/HEAD 405.
 *
 * A scrape renders fn_metrics' counters plus gauges read now: the
 * engine's sessions (fn_engine_stats), the store's map and pending
 * batch (fn_store_stats: one short read transaction), tasks running, S3
 * copies in flight, and this server's calls and stream queues.
 *
 * Thread: reactor. Owns: the evhttp server and its listening socket.
 */
#include "rpc_int.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "fn_buf.h"
#include "fn_err.h"
#include "fn_log.h"
#include "fn_metrics.h"
#include "fn_store.h"

#define HTTP_OUT_MAX      (4u * 1024 * 1024)
#define HTTP_TIMEOUT_S    10
#define HTTP_HEADERS_MAX  8192
#define HTTP_BODY_MAX     1024
#define HTTP_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct fn__rpc_http {
    struct evhttp *http;
    int port;
};

static const fn_log_ctx_t http_log = {NULL, NULL, FN_LOGC_RPC};

/* Calls accepted and not yet freed (posted requests have no call yet),
 * and their stream queues. */
static void http_rpc_gauges(const struct fn_rpc *s, fn_metrics_gauges_t *g)
{
    g->has_rpc = 1;
    for (const fn_rpc_call_t *c = s->calls; c; c = c->next) {
        if (!c->call)
            continue;
        size_t q = fn__rpc_call_queued(c);
        g->rpc_calls++;
        g->rpc_queued += q;
        if (q > g->rpc_queued_max)
            g->rpc_queued_max = q;
    }
}

static int http_render(struct fn_rpc *s, fn_buf_t *out)
{
    fn_engine_stats_t es;
    fn_store_stats_t ss;
    fn_metrics_gauges_t g;
    fn_metrics_gauges_read(&g, &es, &ss, s->engine, s->store, s->rec);
    g.has_tasks = 1;
    g.tasks_running = (unsigned)fn__rpc_tasks_running(s);
    http_rpc_gauges(s, &g);
    return fn_metrics_render(s->metrics, &g, out);
}

static void http_on_metrics(struct evhttp_request *req, void *arg)
{
    struct fn_rpc *s = arg;
    fn_buf_t b;
    fn_buf_init(&b, HTTP_OUT_MAX);
    int rc = http_render(s, &b);
    struct evbuffer *body = evbuffer_new();
    if (rc < 0 || !body) {
        fn_log(FN_LOG_ERROR, &http_log, "metrics: %s", fn_strerror(rc));
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
    } else {
        evbuffer_add(body, b.data, b.len);
        evhttp_add_header(evhttp_request_get_output_headers(req),
                          "Content-Type", HTTP_CONTENT_TYPE);
        evhttp_send_reply(req, HTTP_OK, "OK", body);
    }
    if (body)
        evbuffer_free(body);
    fn_buf_cleanup(&b);
}

static void http_on_other(struct evhttp_request *req, void *arg)
{
    evhttp_send_error(req, HTTP_NOTFOUND, "only /metrics is served here");
}

/* "host:port" or "[v6]:port" into host (brackets dropped) and port. */
static int http_split(const char *listen, char *host, size_t hostlen,
                      unsigned short *port)
{
    const char *colon = strrchr(listen, ':');
    if (!colon)
        return FN_EPARSE;
    const char *h = listen;
    size_t n = (size_t)(colon - listen);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    }
    char *end;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (n == 0 || n >= hostlen || *end || end == colon + 1 || p > 65535)
        return FN_EPARSE;
    memcpy(host, h, n);
    host[n] = '\0';
    *port = (unsigned short)p;
    return 0;
}

static int http_bound_port(struct evhttp_bound_socket *bs)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss,
                    &len) < 0)
        return 0;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int fn__rpc_http_new(struct fn_rpc *s, const char *listen, char *err,
                     size_t errlen)
{
    char host[256];
    unsigned short port;
    if (http_split(listen, host, sizeof(host), &port) < 0) {
        snprintf(err, errlen, "metrics: %s is not host:port", listen);
        return FN_EPARSE;
    }
    struct fn__rpc_http *h = calloc(1, sizeof(*h));
    if (!h || !(h->http = evhttp_new(s->base))) {
        free(h);
        return -ENOMEM;
    }
    s->http_metrics = h;
    evhttp_set_timeout(h->http, HTTP_TIMEOUT_S);
    evhttp_set_max_headers_size(h->http, HTTP_HEADERS_MAX);
    evhttp_set_max_body_size(h->http, HTTP_BODY_MAX);
    evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_cb(h->http, "/metrics", http_on_metrics, s);
    evhttp_set_gencb(h->http, http_on_other, s);
    struct evhttp_bound_socket *bs =
        evhttp_bind_socket_with_handle(h->http, host, port);
    if (!bs) {
        snprintf(err, errlen, "metrics: cannot listen on %s", listen);
        return -EADDRINUSE;
    }
    h->port = http_bound_port(bs);
    return 0;
}

void fn__rpc_http_free(struct fn_rpc *s)
{
    if (!s->http_metrics)
        return;
    evhttp_free(s->http_metrics->http);
    free(s->http_metrics);
    s->http_metrics = NULL;
}

int fn_rpc_metrics_port(const fn_rpc_t *s)
{
    return s->http_metrics ? s->http_metrics->port : 0;
}
