/*
 * fn_integrations_int.h — helpers shared by the files of integrations/,
 * not part of the public API (fn__ prefix).
 *
 * A small JSON reader (string fields by path), an XML text scanner for
 * S3's answers, the env/file secret loader, URL escaping. None of them
 * log; none keep state. Thread: any.
 */
#ifndef FN_INTEGRATIONS_INT_H
#define FN_INTEGRATIONS_INT_H

#include <stddef.h>

#include "fn_buf.h"

/* Longest secret read from env or a file. */
#define FN__SECRET_MAX 8192

/* Finds the string at path in JSON text (borrowed, len bytes). path is
 * dot-separated: object members by name, array elements by decimal
 * index ("data.data.password", "errors.0"); "" is the root value.
 * Writes the decoded string (UTF-8) into out (reset first, presized so
 * it never reallocates while decoding: safe for secrets).
 * Returns 0, FN_ENOTFOUND (absent or not a string), FN_EPARSE (the text
 * is malformed where walked, nested too deep, or a bad escape) or
 * -ENOMEM. */
int fn__json_get_string(const char *json, size_t len, const char *path,
                        fn_buf_t *out);

/* Appends s as a JSON string literal (quotes included) to out. */
int fn__json_put_string(fn_buf_t *out, const char *s);

/* Scans XML (borrowed) from *pos for the next <tag>text</tag>; writes the
 * entity-decoded text into out (reset first) and moves *pos past it.
 * Returns 0, FN_ENOTFOUND (no more) or -ENOMEM. Not a general XML parser:
 * enough for S3's flat answers (Key, Code, Message, IsTruncated...). */
int fn__xml_next(const char *xml, size_t len, const char *tag, size_t *pos,
                 fn_buf_t *out);

/* Loads a secret from the env var named env or else the file at path
 * (first of the two that is non-NULL), trailing newlines stripped.
 * *out is owned: release with fn__secret_free (wipes). Returns 0,
 * FN_ECREDS (unset, empty, unreadable: reason says which, never the
 * value), or -ENOMEM. */
int fn__secret_load(const char *env, const char *path, char **out, char *reason,
                    size_t reasonlen);
void fn__secret_free(char *s); /* wipes, frees; accepts NULL */

/* Appends s percent-encoded (RFC 3986 unreserved kept; '/' kept when
 * keep_slash) to out. */
int fn__url_escape(fn_buf_t *out, const char *s, int keep_slash);

/* --- credential backends (vault.c, cyberark.c), used by secrets.c ----- */

#include "fn_config.h"
#include "fn_http.h"

/* A backend's answer: strings borrowed for the call (the caller copies,
 * the backend wipes after). username may be NULL. */
typedef void fn__fetch_cb(int status, const char *username, const char *secret,
                          const char *reason, void *arg);

/* Shared by the backends: an HTTP answer's status (0 for 2xx,
 * FN_EAUTH for 401/403, FN_ENOTFOUND for 404, FN_EHTTP otherwise) and a
 * reason "<what>: HTTP <code>: <message>" where message is the first
 * string found at one of the JSON paths (NULL-terminated) of the body. */
int fn__http_judge(const fn_http_resp_t *resp, const char *what,
                   const char *const *msg_paths, char *reason,
                   size_t reasonlen);

/* A login that many fetches may wait for: the first waiter starts it,
 * later ones queue; fn__gate_open runs go(ctx, status, reason) for each
 * queued ctx, in order. */
typedef void fn__gate_go_fn(void *ctx, int status, const char *reason);
typedef struct fn__gate {
    int state; /* FN__GATE_* */
    int status;
    char reason[256];
    void **waiting;
    size_t n, cap;
} fn__gate_t;
enum { FN__GATE_CLOSED = 0, FN__GATE_PENDING, FN__GATE_OPEN };
/* Starts a backend's login for owner: FN_EAGAIN while it is under way
 * (its completion calls fn__gate_open), 0 when it succeeded at once, or
 * an error with reason (may stay "") saying why. */
typedef int fn__gate_login_fn(void *owner, char *reason, size_t reasonlen);
/* The login-gate entry of a fetch ctx while the gate is not OPEN (the
 * caller sends at once when it is): a failed login answers ctx now
 * through go; a login under way queues it; else ctx is queued and
 * login(owner, …) starts. Returns 0, or -ENOMEM when ctx could not be
 * queued (nothing called: the caller still owns ctx). */
int fn__gate_enter(fn__gate_t *g, void *ctx, fn__gate_login_fn *login,
                   void *owner, fn__gate_go_fn *go);
int fn__gate_wait(fn__gate_t *g, void *ctx); /* 0 or -ENOMEM */
void fn__gate_open(fn__gate_t *g, int status, const char *reason,
                   fn__gate_go_fn *go);
void fn__gate_cleanup(fn__gate_t *g);

typedef struct fn__vault fn__vault_t;
int fn__vault_new(fn__vault_t **out, fn_http_t *http,
                  const fn_vault_conf_t *conf);
/* Cancels pending fetches (callbacks run with FN_ECANCELED), wipes. */
void fn__vault_free(fn__vault_t *v);
int fn__vault_fetch(fn__vault_t *v, const char *ref, fn__fetch_cb *cb,
                    void *arg);
/* Validates the token (lookup-self) or the AppRole login. */
int fn__vault_check(fn__vault_t *v, fn__fetch_cb *cb, void *arg);

typedef struct fn__cyberark fn__cyberark_t;
int fn__cyberark_new(fn__cyberark_t **out, fn_http_t *http,
                     const fn_cyberark_conf_t *conf);
void fn__cyberark_free(fn__cyberark_t *a);
int fn__cyberark_fetch(fn__cyberark_t *a, const char *ref, fn__fetch_cb *cb,
                       void *arg);

#endif /* FN_INTEGRATIONS_INT_H */
