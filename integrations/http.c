/*
 * http.c — libcurl multi on a libevent base. See fn_http.h.
 *
 * curl tells us which sockets to watch (http_on_socket) and when to call
 * it back (http_on_timer_set); libevent calls http_on_event /
 * http_on_timeout, which run curl_multi_socket_action and then reap
 * finished transfers (http_reap). User callbacks run only from http_reap,
 * outside any curl callback, so they may start new requests.
 *
 * Does not: interpret HTTP codes beyond "5xx is worth a retry", parse
 * bodies, sign anything itself (curl's CURLOPT_AWS_SIGV4 does).
 * Thread: the event_base's thread. Owns: the CURLM, one CURL easy handle
 * per running attempt, one event per curl socket, copies of every
 * request's strings (secrets wiped on release).
 */
#include "fn_http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "fn_buf.h"
#include "fn_err.h"
#include "fn_log.h"
#include "fn_time.h"

#define HTTP_MAX_RESPONSE   (64u * 1024 * 1024)
#define HTTP_BACKOFF_MS     200
#define HTTP_BACKOFF_MAX_MS 5000
#define HTTP_REASON_LEN     512

typedef struct req req_t;

typedef struct sock {
    struct event *ev;
    struct sock *next; /* all sockets, freed at the latest in http_free */
    struct sock *prev;
} sock_t;

struct fn_http {
    struct event_base *base; /* kept */
    CURLM *multi;
    struct event *timer; /* the one timer curl asks for */
    req_t *reqs;         /* every live request */
    sock_t *socks;
    size_t pending;
};

struct req {
    fn_http_t *h;
    req_t *prev, *next;
    CURL *easy; /* NULL between attempts */
    struct curl_slist *hdrs;
    char *method, *url, *sigv4, *user, *password, *cert, *key, *what;
    char *ca_file;
    const void *body; /* kept, caller's */
    size_t body_len;
    fn_tls_conf_t tls;
    size_t max_response;
    int secret;
    int too_big;
    fn_buf_t resp;
    char etag[128];
    char errbuf[CURL_ERROR_SIZE];
    char reason[HTTP_REASON_LEN];
    struct event *backoff;
    int attempts;
    int64_t started_us;
    fn_http_done_cb *cb;
    void *arg;
    const void *owner;
};

static const fn_log_ctx_t http_log = {NULL, NULL, FN_LOGC_HTTP};

/* --- request memory -------------------------------------------------- */

static void str_wipe_free(char *s)
{
    if (s)
        fn_memwipe(s, strlen(s));
    free(s);
}

static void req_free(req_t *r)
{
    if (r->backoff)
        event_free(r->backoff);
    for (struct curl_slist *l = r->hdrs; l; l = l->next)
        fn_memwipe(l->data, strlen(l->data));
    curl_slist_free_all(r->hdrs);
    char *strs[] = {r->method, r->url, r->sigv4, r->user,   r->password,
                    r->cert,   r->key, r->what,  r->ca_file};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        str_wipe_free(strs[i]);
    fn_buf_wipe(&r->resp);
    fn_buf_cleanup(&r->resp);
    free(r);
}

static int dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    *dst = strdup(src);
    return *dst ? 0 : -ENOMEM;
}

static int req_copy(req_t *r, const fn_http_opts_t *o)
{
    int rc = 0;
    rc |= dup_opt(&r->method, o->method ? o->method : "GET");
    rc |= dup_opt(&r->url, o->url);
    rc |= dup_opt(&r->sigv4, o->aws_sigv4);
    rc |= dup_opt(&r->user, o->user);
    rc |= dup_opt(&r->password, o->password);
    rc |= dup_opt(&r->cert, o->cert_file);
    rc |= dup_opt(&r->key, o->key_file);
    rc |= dup_opt(&r->what, o->what ? o->what : "http");
    if (o->tls)
        rc |= dup_opt(&r->ca_file, o->tls->ca_file);
    for (const char *const *hd = o->headers; hd && *hd && !rc; hd++) {
        struct curl_slist *l = curl_slist_append(r->hdrs, *hd);
        if (!l)
            return -ENOMEM;
        r->hdrs = l;
    }
    /* No "Expect: 100-continue" pause on small bodies. Not with SigV4:
     * curl 7.88 would sign the blanked header it then does not send. */
    if (!o->aws_sigv4) {
        struct curl_slist *l = curl_slist_append(r->hdrs, "Expect:");
        if (!l)
            return -ENOMEM;
        r->hdrs = l;
    }
    return rc ? -ENOMEM : 0;
}

/* --- curl callbacks (no user code runs from here) --------------------- */

/* Grows the body without leaving a secret's old copy in freed memory. */
static int resp_grow_secret(fn_buf_t *b, size_t need)
{
    if (need + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap * 2 : 1024;
    while (cap < need + 1)
        cap *= 2;
    char *p = malloc(cap);
    if (!p)
        return -ENOMEM;
    if (b->data) {
        memcpy(p, b->data, b->len + 1);
        fn_memwipe(b->data, b->cap);
        free(b->data);
    } else {
        p[0] = '\0';
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

static size_t http_on_write(char *ptr, size_t size, size_t n, void *arg)
{
    req_t *r = arg;
    size_t len = size * n;
    if (r->resp.len + len > r->max_response) {
        r->too_big = 1;
        return 0;
    }
    if (r->secret && resp_grow_secret(&r->resp, r->resp.len + len))
        return 0;
    return fn_buf_append(&r->resp, ptr, len) ? 0 : len;
}

static size_t http_on_header(char *ptr, size_t size, size_t n, void *arg)
{
    req_t *r = arg;
    size_t len = size * n;
    if (len > 5 && strncasecmp(ptr, "etag:", 5) == 0) {
        const char *v = ptr + 5;
        size_t vl = len - 5;
        while (vl && (*v == ' ' || *v == '"')) {
            v++;
            vl--;
        }
        while (vl && strchr(" \"\r\n", v[vl - 1]))
            vl--;
        if (vl < sizeof(r->etag)) {
            memcpy(r->etag, v, vl);
            r->etag[vl] = '\0';
        }
    }
    return len;
}

static void http_reap(fn_http_t *h);

static void http_on_event(evutil_socket_t fd, short what, void *arg)
{
    fn_http_t *h = arg;
    int running = 0;
    int flags = ((what & EV_READ) ? CURL_CSELECT_IN : 0) |
                ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    curl_multi_socket_action(h->multi, fd, flags, &running);
    http_reap(h);
}

static void http_on_timeout(evutil_socket_t fd, short what, void *arg)
{
    fn_http_t *h = arg;
    int running = 0;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    http_reap(h);
}

static void sock_free(fn_http_t *h, sock_t *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        h->socks = s->next;
    if (s->next)
        s->next->prev = s->prev;
    if (s->ev)
        event_free(s->ev);
    free(s);
}

static int http_on_socket(CURL *e, curl_socket_t fd, int what, void *userp,
                          void *socketp)
{
    fn_http_t *h = userp;
    sock_t *s = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (s)
            sock_free(h, s);
        return 0;
    }
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s)
            return -1;
        s->next = h->socks;
        if (h->socks)
            h->socks->prev = s;
        h->socks = s;
        curl_multi_assign(h->multi, fd, s);
    }
    if (s->ev)
        event_free(s->ev);
    short kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
                 ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
    s->ev = event_new(h->base, fd, kind, http_on_event, h);
    return s->ev && event_add(s->ev, NULL) == 0 ? 0 : -1;
}

static int http_on_timer_set(CURLM *m, long timeout_ms, void *userp)
{
    fn_http_t *h = userp;
    if (timeout_ms < 0)
        return evtimer_del(h->timer);
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    return evtimer_add(h->timer, &tv);
}

/* --- one attempt ----------------------------------------------------- */

static void easy_setup_method(req_t *r, CURL *e)
{
    if (strcmp(r->method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        return;
    }
    if (strcmp(r->method, "PUT") == 0 || strcmp(r->method, "POST") == 0) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)r->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
    }
    if (strcmp(r->method, "GET") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
}

static void easy_setup_tls(req_t *r, CURL *e)
{
    long verify = r->tls.verify_tls ? 1L : 0L;
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, verify);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
    if (r->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, r->ca_file);
    if (r->cert)
        curl_easy_setopt(e, CURLOPT_SSLCERT, r->cert);
    if (r->key)
        curl_easy_setopt(e, CURLOPT_SSLKEY, r->key);
}

static CURL *easy_new(req_t *r)
{
    CURL *e = curl_easy_init();
    if (!e)
        return NULL;
    long tmo = r->tls.timeout_ms;
    curl_easy_setopt(e, CURLOPT_URL, r->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, tmo);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, tmo < 10000 ? tmo : 10000);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
    easy_setup_method(r, e);
    easy_setup_tls(r, e);
    if (r->sigv4) {
        curl_easy_setopt(e, CURLOPT_AWS_SIGV4, r->sigv4);
        curl_easy_setopt(e, CURLOPT_USERNAME, r->user ? r->user : "");
        curl_easy_setopt(e, CURLOPT_PASSWORD, r->password ? r->password : "");
    }
    return e;
}

static int req_attempt(req_t *r)
{
    r->attempts++;
    r->too_big = 0;
    r->etag[0] = r->errbuf[0] = '\0';
    fn_buf_wipe(&r->resp);
    r->easy = easy_new(r);
    if (!r->easy)
        return -ENOMEM;
    if (curl_multi_add_handle(r->h->multi, r->easy) != CURLM_OK) {
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
        return FN_EINTERNAL;
    }
    return 0;
}

/* --- completion ------------------------------------------------------ */

static void req_unlink(req_t *r)
{
    fn_http_t *h = r->h;
    if (r->prev)
        r->prev->next = r->next;
    else
        h->reqs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    h->pending--;
}

static void req_finish(req_t *r, int status, long code)
{
    fn_http_resp_t resp = {code,        r->resp.data ? r->resp.data : "",
                           r->resp.len, r->etag,
                           r->reason,   r->attempts};
    req_unlink(r);
    fn_log(FN_LOG_DEBUG, &http_log,
           "%s (%s): %s, HTTP %ld, %d attempt(s), %lld ms", r->what, r->method,
           status ? fn_err_name(status) : "done", code, r->attempts,
           (long long)(fn_time_mono_us() - r->started_us) / 1000);
    r->cb(status, &resp, r->arg);
    req_free(r);
}

static int classify(req_t *r, CURLcode cc, int *retry)
{
    *retry = 0;
    switch (cc) {
    case CURLE_OK:
        return 0;
    case CURLE_OPERATION_TIMEDOUT:
        *retry = 1;
        return FN_ETIMEOUT;
    case CURLE_COULDNT_CONNECT:
        *retry = 1;
        return FN_EREFUSED;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
        *retry = 1;
        return FN_EHTTP;
    case CURLE_WRITE_ERROR:
        return r->too_big ? FN_EFULL : FN_EHTTP;
    default:
        return FN_EHTTP;
    }
}

static void http_on_backoff(evutil_socket_t fd, short what, void *arg)
{
    req_t *r = arg;
    int rc = req_attempt(r);
    if (rc) {
        snprintf(r->reason, sizeof(r->reason), "%s: cannot retry: %s", r->what,
                 fn_strerror(rc));
        req_finish(r, rc, 0);
    }
}

static int schedule_retry(req_t *r, const char *why)
{
    if (r->attempts > r->tls.retries)
        return 0;
    long ms = HTTP_BACKOFF_MS << (r->attempts - 1 < 5 ? r->attempts - 1 : 5);
    if (ms > HTTP_BACKOFF_MAX_MS)
        ms = HTTP_BACKOFF_MAX_MS;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    if (!r->backoff)
        r->backoff = evtimer_new(r->h->base, http_on_backoff, r);
    if (!r->backoff || evtimer_add(r->backoff, &tv))
        return 0;
    fn_log(FN_LOG_WARN, &http_log, "%s; retry %d/%d in %ld ms", why,
           r->attempts, r->tls.retries, ms);
    return 1;
}

static void set_reason(req_t *r, int status, CURLcode cc, long code)
{
    if (status == FN_EFULL)
        snprintf(r->reason, sizeof(r->reason),
                 "%s: response larger than %zu bytes", r->what,
                 r->max_response);
    else if (status)
        snprintf(r->reason, sizeof(r->reason), "%s: %s (%s)", r->what,
                 r->errbuf[0] ? r->errbuf : curl_easy_strerror(cc),
                 fn_strerror(status));
    else if (code >= 500)
        snprintf(r->reason, sizeof(r->reason), "%s: server error HTTP %ld",
                 r->what, code);
    else
        r->reason[0] = '\0';
}

static void req_attempt_done(req_t *r, CURLcode cc)
{
    long code = 0;
    int retry;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
    curl_multi_remove_handle(r->h->multi, r->easy);
    curl_easy_cleanup(r->easy);
    r->easy = NULL;
    int status = classify(r, cc, &retry);
    if (!status && code >= 500)
        retry = 1;
    set_reason(r, status, cc, code);
    if (retry && schedule_retry(r, r->reason))
        return;
    if (r->attempts > 1 && r->reason[0]) {
        size_t n = strlen(r->reason);
        snprintf(r->reason + n, sizeof(r->reason) - n, " after %d attempts",
                 r->attempts);
    }
    req_finish(r, status, code);
}

static void http_reap(fn_http_t *h)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        req_t *r = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        if (r)
            req_attempt_done(r, m->data.result);
    }
}

/* --- public ---------------------------------------------------------- */

int fn_http_new(fn_http_t **out, struct event_base *base)
{
    *out = NULL;
    /* Reference-counted in curl; thread-safe in curl >= 7.84. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return FN_EINTERNAL;
    fn_http_t *h = calloc(1, sizeof(*h));
    if (!h) {
        curl_global_cleanup();
        return -ENOMEM;
    }
    h->base = base;
    h->multi = curl_multi_init();
    h->timer = evtimer_new(base, http_on_timeout, h);
    if (!h->multi || !h->timer) {
        int rc = h->multi ? -ENOMEM : FN_EINTERNAL;
        fn_http_free(h);
        return rc;
    }
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, http_on_socket);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, http_on_timer_set);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    /* The engine's SSH sessions use most of the 20,000 open files: a
     * burst of backups queues inside curl instead of opening a socket
     * each (connections are reused). */
    curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                      (long)FN_HTTP_MAX_HOST_CONNS);
    curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                      (long)FN_HTTP_MAX_CONNS);
    *out = h;
    return 0;
}

/* Cancels the requests of owner (all when all is set). A callback may
 * start or cancel other requests, so the scan restarts after each. */
static void http_cancel(fn_http_t *h, const void *owner, int all)
{
    req_t *r = h->reqs;
    while (r) {
        if (!all && r->owner != owner) {
            r = r->next;
            continue;
        }
        if (r->easy) {
            curl_multi_remove_handle(h->multi, r->easy);
            curl_easy_cleanup(r->easy);
            r->easy = NULL;
        }
        snprintf(r->reason, sizeof(r->reason), "%s: cancelled", r->what);
        req_finish(r, FN_ECANCELED, 0);
        r = h->reqs;
    }
}

void fn_http_cancel(fn_http_t *h, const void *owner)
{
    if (h && owner)
        http_cancel(h, owner, 0);
}

struct event_base *fn_http_base(const fn_http_t *h)
{
    return h->base;
}

int fn_http_wait(struct event_base *base, fn_http_done_fn *done,
                 const void *arg)
{
    while (!done(arg))
        if (event_base_loop(base, EVLOOP_ONCE) < 0)
            return FN_EINTERNAL;
    return 0;
}

void fn_http_free(fn_http_t *h)
{
    if (!h)
        return;
    http_cancel(h, NULL, 1);
    if (h->multi)
        curl_multi_cleanup(h->multi);
    while (h->socks)
        sock_free(h, h->socks);
    if (h->timer)
        event_free(h->timer);
    free(h);
    curl_global_cleanup();
}

int fn_http_request(fn_http_t *h, const fn_http_opts_t *o, fn_http_done_cb *cb,
                    void *arg)
{
    static const fn_tls_conf_t tls_default = {1, NULL, 30000, 3};
    if (!o->url || !cb)
        return -EINVAL;
    req_t *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->h = h;
    r->cb = cb;
    r->arg = arg;
    r->body = o->body;
    r->body_len = o->body_len;
    r->tls = o->tls ? *o->tls : tls_default;
    r->tls.ca_file = NULL;
    if (r->tls.timeout_ms <= 0)
        r->tls.timeout_ms = tls_default.timeout_ms;
    r->max_response = o->max_response ? o->max_response : HTTP_MAX_RESPONSE;
    r->secret = o->secret;
    r->owner = o->owner;
    r->started_us = fn_time_mono_us();
    fn_buf_init(&r->resp, 0);
    int rc = req_copy(r, o);
    if (!rc)
        rc = req_attempt(r);
    if (rc) {
        req_free(r);
        return rc;
    }
    r->next = h->reqs;
    if (h->reqs)
        h->reqs->prev = r;
    h->reqs = r;
    h->pending++;
    return 0;
}

size_t fn_http_pending(const fn_http_t *h)
{
    return h->pending;
}
