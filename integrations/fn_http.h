/*
 * fn_http.h — asynchronous HTTP(S) requests with libcurl's multi
 * interface, driven by the caller's libevent loop.
 *
 * The reactor owns the loop: curl asks for socket interest through
 * CURLMOPT_SOCKETFUNCTION and for one timer through
 * CURLMOPT_TIMERFUNCTION, and fn_http answers with libevent events that
 * call curl_multi_socket_action. Nothing here blocks: name resolution is
 * curl's threaded resolver, transfers are non-blocking.
 *
 * A request retries by itself, with exponential backoff (200 ms, 400 ms
 * ... at most 5 s), on transport failures (refused, reset, timeout) and
 * on HTTP 5xx, up to tls->retries extra attempts. Any other HTTP answer
 * (2xx, 3xx, 4xx) completes the request: the caller judges the code.
 *
 * TLS peer and host verification are ON unless tls->verify_tls is 0,
 * which turns both CURLOPT_SSL_VERIFYPEER and CURLOPT_SSL_VERIFYHOST off.
 *
 * Secrets: header values and the SigV4 password are copied and wiped
 * when the request ends; curl's verbose output is never enabled. With
 * opts->secret the response body is grown without leaving copies behind
 * and wiped after the done callback.
 *
 * Thread: the thread that runs the event_base, only. Not thread-safe.
 */
#ifndef FN_HTTP_H
#define FN_HTTP_H

#include <stddef.h>

#include "fn_config.h"

struct event_base;

/* Sockets at most: per host, and in all. More requests wait in curl. */
#define FN_HTTP_MAX_HOST_CONNS 16
#define FN_HTTP_MAX_CONNS      64

typedef struct fn_http fn_http_t;

typedef struct fn_http_opts {
    const char *method; /* "GET" (NULL), "PUT", "POST", "DELETE", "HEAD" */
    const char *url;    /* copied */
    const char *const *headers; /* NULL-terminated "Name: value"; copied */
    const void *body;           /* kept (not copied) until the done callback */
    size_t body_len;
    const char *aws_sigv4; /* "aws:amz:REGION:s3" or NULL; copied */
    const char *user;      /* SigV4 access key; copied */
    const char *password;  /* SigV4 secret; copied, wiped */
    const char *cert_file; /* client certificate (PEM) or NULL; copied */
    const char *key_file;
    const fn_tls_conf_t *tls; /* borrowed; NULL: verify, 30 s, 3 retries */
    size_t max_response;      /* body cap; 0: 64 MiB */
    int secret;               /* the response carries secrets */
    const char *what;         /* label in reasons and logs; copied */
    const void *owner;        /* tag for fn_http_cancel, or NULL */
} fn_http_opts_t;

typedef struct fn_http_resp {
    long code;        /* HTTP status of the last attempt, 0 if none */
    const char *body; /* borrowed for the callback; NUL-terminated */
    size_t len;
    const char *etag;   /* ETag response header or "" */
    const char *reason; /* "" on success, else what failed */
    int attempts;
} fn_http_resp_t;

/* status: 0 (an HTTP answer arrived, whatever its code), FN_ETIMEOUT,
 * FN_EREFUSED, FN_EHTTP (TLS, DNS, reset, a body over max_response...),
 * FN_ECANCELED (fn_http_cancel, fn_http_free). resp is borrowed for the
 * call. Inside the callback fn_http_request and fn_http_cancel may be
 * called; fn_http_free must not be (it cannot report FN_ERECURSE). */
typedef void fn_http_done_cb(int status, const fn_http_resp_t *resp, void *arg);

/* base is kept until fn_http_free. Returns 0 or -ENOMEM, FN_EINTERNAL
 * (curl could not start). *out is owned: fn_http_free. */
int fn_http_new(fn_http_t **out, struct event_base *base);

/* Cancels every pending request, calling each done callback with
 * FN_ECANCELED, then frees. Accepts NULL. */
void fn_http_free(fn_http_t *h);

/* Starts a request; cb(…, arg) is called exactly once, later, from the
 * loop (never from inside this call). Returns 0, -EINVAL (no url) or
 * -ENOMEM. */
int fn_http_request(fn_http_t *h, const fn_http_opts_t *opts,
                    fn_http_done_cb *cb, void *arg);

/* Cancels every pending request started with opts->owner == owner:
 * each done callback runs now, inside this call, with FN_ECANCELED.
 * Lets an object that owns requests be freed before the fn_http. */
void fn_http_cancel(fn_http_t *h, const void *owner);

/* The loop the requests run on (kept by h). */
struct event_base *fn_http_base(const fn_http_t *h);

/* Requests started and not yet completed. */
size_t fn_http_pending(const fn_http_t *h);

/* ---------------------------------------------------------------------
 * Waiting on the loop (for a caller that owns it) */

/* Nonzero once what the caller waits for has happened (arg borrowed). */
typedef int fn_http_done_fn(const void *arg);

/* The one async -> sync wait of the project (a command line, a check, a
 * synchronous S3 call, the recorder's last uploads): runs base one
 * iteration at a time until done(arg). Never call it from a callback of
 * base. Returns 0, or FN_EINTERNAL when the loop fails. */
int fn_http_wait(struct event_base *base, fn_http_done_fn *done,
                 const void *arg);

#endif /* FN_HTTP_H */
