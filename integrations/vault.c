/*
 * vault.c — HashiCorp Vault KV v2 backend of fn_secrets (and of
 * fn_integrations_check).
 *
 * Token from token_env / token_file, read on first use; or an AppRole
 * login (POST /v1/auth/<approle_mount>/login {role_id, secret_id} ->
 * auth.client_token) done once, fetches queueing behind it on a gate.
 * A read is GET /v1/<mount>/data/<path> with X-Vault-Token (and
 * X-Vault-Namespace), the fields found at data.data.<field>.
 *
 * Does not: renew or revoke tokens, read KV v1, cache (secrets.c does).
 * Thread: the event_base's thread. Owns: the token and the login body
 * (both wiped), one context per request in flight.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_err.h"
#include "fn_integrations_int.h"

#define VAULT_HDR_MAX (FN__SECRET_MAX + 64)

struct fn__vault {
    fn_http_t *http;      /* kept */
    fn_vault_conf_t conf; /* strings borrowed from the config */
    char *token;          /* owned, wiped */
    fn_buf_t login_body;  /* holds the secret_id while logging in */
    fn__gate_t gate;      /* the token: loaded or logged in */
};

typedef struct vfetch {
    fn__vault_t *v;
    char *path;  /* NULL: token lookup-self (check) */
    char *field; /* password field */
    fn__fetch_cb *cb;
    void *arg;
} vfetch_t;

static const char *const vault_msgs[] = {"errors.0", NULL};

static void vfetch_free(vfetch_t *f)
{
    free(f->path);
    free(f->field);
    free(f);
}

static void vfetch_fail(vfetch_t *f, int status, const char *reason)
{
    f->cb(status, NULL, NULL, reason, f->arg);
    vfetch_free(f);
}

/* --- the read -------------------------------------------------------- */

static void vault_on_read(int status, const fn_http_resp_t *resp, void *arg)
{
    vfetch_t *f = arg;
    fn__vault_t *v = f->v;
    char reason[320] = "";
    if (status) {
        vfetch_fail(f, status, resp->reason);
        return;
    }
    status = fn__http_judge(resp, "vault", vault_msgs, reason, sizeof(reason));
    if (status || !f->path) {
        vfetch_fail(f, status, reason);
        return;
    }
    fn_buf_t pw, user;
    fn_buf_init(&pw, FN__SECRET_MAX);
    fn_buf_init(&user, 1024);
    char path[256];
    snprintf(path, sizeof(path), "data.data.%s", f->field);
    status = fn__json_get_string(resp->body, resp->len, path, &pw);
    snprintf(path, sizeof(path), "data.data.%s", v->conf.username_field);
    int has_user = fn__json_get_string(resp->body, resp->len, path, &user) == 0;
    if (status) {
        snprintf(reason, sizeof(reason), "vault: secret %s has no %s '%s'",
                 f->path, status == FN_EPARSE ? "readable field" : "field",
                 f->field);
        vfetch_fail(f, status == FN_EPARSE ? FN_EPARSE : FN_ECREDS, reason);
    } else {
        f->cb(0, has_user ? user.data : NULL, pw.data, "", f->arg);
        vfetch_free(f);
    }
    fn_buf_wipe(&pw);
    fn_buf_cleanup(&pw);
    fn_buf_wipe(&user);
    fn_buf_cleanup(&user);
}

static int vault_read(vfetch_t *f)
{
    fn__vault_t *v = f->v;
    fn_buf_t url;
    char tok[VAULT_HDR_MAX], ns[512];
    fn_buf_init(&url, 8192);
    int rc = f->path ? fn_buf_printf(&url, "%s/v1/%s/data/", v->conf.address,
                                     v->conf.mount)
                     : fn_buf_printf(&url, "%s/v1/auth/token/lookup-self",
                                     v->conf.address);
    if (!rc && f->path)
        rc = fn__url_escape(&url, f->path, 1);
    snprintf(tok, sizeof(tok), "X-Vault-Token: %s", v->token);
    snprintf(ns, sizeof(ns), "X-Vault-Namespace: %s",
             v->conf.namespace_ ? v->conf.namespace_ : "");
    const char *hdrs[] = {tok, v->conf.namespace_ ? ns : NULL, NULL};
    fn_http_opts_t o = {.url = url.data,
                        .headers = hdrs,
                        .tls = &v->conf.tls,
                        .max_response = 1024 * 1024,
                        .secret = 1,
                        .what = "vault read",
                        .owner = v};
    if (!rc)
        rc = fn_http_request(v->http, &o, vault_on_read, f);
    fn_memwipe(tok, sizeof(tok));
    fn_buf_cleanup(&url);
    return rc;
}

/* --- the token ------------------------------------------------------- */

static void vault_go(void *ctx, int status, const char *reason)
{
    vfetch_t *f = ctx;
    int rc = status ? status : vault_read(f);
    if (rc)
        vfetch_fail(f, rc, status ? reason : fn_strerror(rc));
}

static void vault_on_login(int status, const fn_http_resp_t *resp, void *arg)
{
    fn__vault_t *v = arg;
    char reason[320];
    fn_buf_t tok;
    fn_buf_wipe(&v->login_body);
    fn_buf_init(&tok, FN__SECRET_MAX);
    if (status)
        snprintf(reason, sizeof(reason), "%s", resp->reason);
    else
        status = fn__http_judge(resp, "vault AppRole login", vault_msgs, reason,
                                sizeof(reason));
    if (status == FN_EHTTP && resp->code == 400) /* Vault: bad role/secret */
        status = FN_EAUTH;
    if (!status &&
        fn__json_get_string(resp->body, resp->len, "auth.client_token", &tok)) {
        status = FN_EPARSE;
        snprintf(reason, sizeof(reason),
                 "vault AppRole login: no auth.client_token in answer");
    }
    if (!status && !(v->token = strdup(tok.data)))
        status = -ENOMEM;
    fn_buf_wipe(&tok);
    fn_buf_cleanup(&tok);
    fn__gate_open(&v->gate, status, status ? reason : "", vault_go);
}

static int vault_login(fn__vault_t *v, char *reason, size_t rlen)
{
    char *sid = NULL;
    fn_buf_t url;
    int rc = fn__secret_load(v->conf.secret_id_env, v->conf.secret_id_file,
                             &sid, reason, rlen);
    fn_buf_init(&url, 4096);
    fn_buf_wipe(&v->login_body);
    if (!rc)
        rc = fn_buf_append_str(&v->login_body, "{\"role_id\":");
    if (!rc)
        rc = fn__json_put_string(&v->login_body, v->conf.role_id);
    if (!rc)
        rc = fn_buf_append_str(&v->login_body, ",\"secret_id\":");
    if (!rc)
        rc = fn__json_put_string(&v->login_body, sid);
    if (!rc)
        rc = fn_buf_append_str(&v->login_body, "}");
    fn__secret_free(sid);
    if (!rc)
        rc = fn_buf_printf(&url, "%s/v1/auth/%s/login", v->conf.address,
                           v->conf.approle_mount);
    static const char *const hdrs[] = {"Content-Type: application/json", NULL};
    fn_http_opts_t o = {.method = "POST",
                        .url = url.data,
                        .headers = hdrs,
                        .body = v->login_body.data,
                        .body_len = v->login_body.len,
                        .tls = &v->conf.tls,
                        .secret = 1,
                        .what = "vault AppRole login",
                        .owner = v};
    if (!rc)
        rc = fn_http_request(v->http, &o, vault_on_login, v);
    fn_buf_cleanup(&url);
    if (rc)
        fn_buf_wipe(&v->login_body);
    return rc;
}

/* The gate's login: an AppRole login (under way), or the token read
 * from its env/file at once. */
static int vault_gate_login(void *owner, char *reason, size_t rlen)
{
    fn__vault_t *v = owner;
    if (!v->conf.role_id)
        return fn__secret_load(v->conf.token_env, v->conf.token_file, &v->token,
                               reason, rlen);
    int rc = vault_login(v, reason, rlen);
    return rc ? rc : FN_EAGAIN;
}

/* Reads at once with a token, else waits for it at the gate. */
static int vault_start(fn__vault_t *v, vfetch_t *f)
{
    if (v->gate.state == FN__GATE_OPEN)
        return vault_read(f);
    return fn__gate_enter(&v->gate, f, vault_gate_login, v, vault_go);
}

/* --- backend API ----------------------------------------------------- */

int fn__vault_new(fn__vault_t **out, fn_http_t *http,
                  const fn_vault_conf_t *conf)
{
    fn__vault_t *v = calloc(1, sizeof(*v));
    *out = NULL;
    if (!v)
        return -ENOMEM;
    v->http = http;
    v->conf = *conf;
    fn_buf_init(&v->login_body, 4 * FN__SECRET_MAX);
    *out = v;
    return 0;
}

void fn__vault_free(fn__vault_t *v)
{
    if (!v)
        return;
    fn_http_cancel(v->http, v);
    fn__gate_cleanup(&v->gate);
    fn__secret_free(v->token);
    fn_buf_wipe(&v->login_body);
    fn_buf_cleanup(&v->login_body);
    free(v);
}

static int vfetch_new(fn__vault_t *v, const char *ref, fn__fetch_cb *cb,
                      void *arg)
{
    vfetch_t *f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    f->v = v;
    f->cb = cb;
    f->arg = arg;
    if (ref) {
        const char *hash = strchr(ref, '#');
        f->path = hash ? strndup(ref, (size_t)(hash - ref)) : strdup(ref);
        f->field = strdup(hash ? hash + 1 : v->conf.password_field);
        if (!f->path || !f->field) {
            vfetch_free(f);
            return -ENOMEM;
        }
    }
    int rc = vault_start(v, f);
    if (rc)
        vfetch_free(f);
    return rc;
}

int fn__vault_fetch(fn__vault_t *v, const char *ref, fn__fetch_cb *cb,
                    void *arg)
{
    return vfetch_new(v, ref, cb, arg);
}

int fn__vault_check(fn__vault_t *v, fn__fetch_cb *cb, void *arg)
{
    return vfetch_new(v, NULL, cb, arg);
}
