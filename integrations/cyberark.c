/*
 * cyberark.c — CyberArk backend of fn_secrets: the Central Credential
 * Provider, or the PVWA REST API.
 *
 * CCP: one GET /AIMWebService/api/Accounts?AppID=&Safe=&Object= (client
 * certificate optional) answers {"Content": password, "UserName": ...}.
 * PVWA: a logon once per backend (POST /PasswordVault/API/auth/<method>/
 * Logon {username, password} -> a JSON string token), fetches queueing
 * behind it on a gate; then per reference GET /PasswordVault/API/
 * Accounts?search=<object>&filter=safeName eq <safe> (value.0.id,
 * value.0.userName) and POST .../Accounts/<id>/Password/Retrieve
 * {reason} -> the password as a JSON string.
 *
 * Does not: log off (the session token is wiped on free), cache.
 * Thread: the event_base's thread. Owns: the session token and logon
 * body (wiped), one context per reference in flight.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_err.h"
#include "fn_integrations_int.h"

#define ARK_HDR_MAX (FN__SECRET_MAX + 64)

struct fn__cyberark {
    fn_http_t *http;         /* kept */
    fn_cyberark_conf_t conf; /* strings borrowed from the config */
    char *session;           /* PVWA token, owned, wiped */
    fn_buf_t logon_body;     /* holds the password while logging on */
    fn__gate_t gate;
};

enum ark_stage { AS_CCP, AS_FIND, AS_RETRIEVE };

typedef struct afetch {
    fn__cyberark_t *a;
    char *safe, *object;
    char *id;       /* PVWA account id */
    char *username; /* PVWA userName */
    int stage;      /* enum ark_stage */
    fn_buf_t body;  /* retrieve body */
    fn__fetch_cb *cb;
    void *arg;
} afetch_t;

static const char *const ark_msgs[] = {"ErrorMsg", "ErrorMessage",
                                       "Details.ErrorMessage", NULL};

static void afetch_free(afetch_t *f)
{
    free(f->safe);
    free(f->object);
    free(f->id);
    free(f->username);
    fn_buf_cleanup(&f->body);
    free(f);
}

static void afetch_done(afetch_t *f, int status, const char *user,
                        const char *secret, const char *reason)
{
    f->cb(status, user, secret, reason, f->arg);
    afetch_free(f);
}

static void ark_on_http(int status, const fn_http_resp_t *resp, void *arg);

/* One request of a fetch; the session header when logged on. */
static int ark_send(afetch_t *f, const char *method, const char *url,
                    const char *what)
{
    fn__cyberark_t *a = f->a;
    char auth[ARK_HDR_MAX];
    snprintf(auth, sizeof(auth), "Authorization: %s",
             a->session ? a->session : "");
    const char *hdrs[] = {"Content-Type: application/json",
                          a->session ? auth : NULL, NULL};
    fn_http_opts_t o = {.method = method,
                        .url = url,
                        .headers = hdrs,
                        .body = f->body.len ? f->body.data : NULL,
                        .body_len = f->body.len,
                        .cert_file = a->conf.cert_file,
                        .key_file = a->conf.key_file,
                        .tls = &a->conf.tls,
                        .max_response = 1024 * 1024,
                        .secret = 1,
                        .what = what,
                        .owner = a};
    int rc = fn_http_request(a->http, &o, ark_on_http, f);
    fn_memwipe(auth, sizeof(auth));
    return rc;
}

static int ark_query(fn_buf_t *u, const char *sep, const char *name,
                     const char *value)
{
    int rc = fn_buf_printf(u, "%s%s=", sep, name);
    return rc ? rc : fn__url_escape(u, value, 0);
}

static int ark_send_ccp(afetch_t *f)
{
    fn_buf_t u;
    fn_buf_init(&u, 8192);
    f->stage = AS_CCP;
    int rc = fn_buf_printf(&u, "%s/AIMWebService/api/Accounts", f->a->conf.url);
    rc = rc ? rc : ark_query(&u, "?", "AppID", f->a->conf.app_id);
    rc = rc ? rc : ark_query(&u, "&", "Safe", f->safe);
    rc = rc ? rc : ark_query(&u, "&", "Object", f->object);
    if (!rc)
        rc = ark_send(f, "GET", u.data, "cyberark CCP");
    fn_buf_cleanup(&u);
    return rc;
}

static int ark_send_find(afetch_t *f)
{
    fn_buf_t u, filter;
    fn_buf_init(&u, 8192);
    fn_buf_init(&filter, 1024);
    f->stage = AS_FIND;
    int rc = fn_buf_printf(&filter, "safeName eq %s", f->safe);
    rc =
        rc ? rc
           : fn_buf_printf(&u, "%s/PasswordVault/API/Accounts", f->a->conf.url);
    rc = rc ? rc : ark_query(&u, "?", "search", f->object);
    rc = rc ? rc : ark_query(&u, "&", "filter", filter.data);
    if (!rc)
        rc = ark_send(f, "GET", u.data, "cyberark PVWA accounts");
    fn_buf_cleanup(&u);
    fn_buf_cleanup(&filter);
    return rc;
}

static int ark_send_retrieve(afetch_t *f)
{
    fn_buf_t u;
    fn_buf_init(&u, 8192);
    f->stage = AS_RETRIEVE;
    int rc =
        fn_buf_printf(&u, "%s/PasswordVault/API/Accounts/", f->a->conf.url);
    rc = rc ? rc : fn__url_escape(&u, f->id, 0);
    rc = rc ? rc : fn_buf_append_str(&u, "/Password/Retrieve");
    rc = rc ? rc : fn_buf_append_str(&f->body, "{\"reason\":");
    rc = rc ? rc : fn__json_put_string(&f->body, f->a->conf.reason);
    rc = rc ? rc : fn_buf_append_str(&f->body, "}");
    if (!rc)
        rc = ark_send(f, "POST", u.data, "cyberark PVWA retrieve");
    fn_buf_cleanup(&u);
    return rc;
}

/* --- answers --------------------------------------------------------- */

/* Reads the string at path; reason on failure. */
static int ark_field(const fn_http_resp_t *resp, const char *path,
                     fn_buf_t *out, char *reason, size_t rlen, const char *what)
{
    int rc = fn__json_get_string(resp->body, resp->len, path, out);
    if (rc)
        snprintf(reason, rlen, "%s: answer has no %s%s", what,
                 *path ? path : "JSON string",
                 rc == FN_EPARSE ? " (malformed JSON)" : "");
    return rc == FN_ENOTFOUND ? FN_ECREDS : rc;
}

static void on_ccp(afetch_t *f, const fn_http_resp_t *resp, char *reason,
                   size_t rlen, fn_buf_t *pw, fn_buf_t *user)
{
    int rc = ark_field(resp, "Content", pw, reason, rlen, "cyberark CCP");
    int has_user =
        !fn__json_get_string(resp->body, resp->len, "UserName", user);
    afetch_done(f, rc, has_user ? user->data : NULL, rc ? NULL : pw->data,
                reason);
}

static void on_find(afetch_t *f, const fn_http_resp_t *resp, char *reason,
                    size_t rlen, fn_buf_t *id, fn_buf_t *user)
{
    int rc = fn__json_get_string(resp->body, resp->len, "value.0.id", id);
    if (rc) {
        snprintf(reason, rlen, "cyberark PVWA: no account %s in safe %s",
                 f->object, f->safe);
        afetch_done(f, rc == FN_ENOTFOUND ? FN_ENOTFOUND : rc, NULL, NULL,
                    reason);
        return;
    }
    if (!fn__json_get_string(resp->body, resp->len, "value.0.userName", user))
        f->username = strdup(user->data);
    f->id = strdup(id->data);
    rc = f->id ? ark_send_retrieve(f) : -ENOMEM;
    if (rc)
        afetch_done(f, rc, NULL, NULL, fn_strerror(rc));
}

static void ark_on_http(int status, const fn_http_resp_t *resp, void *arg)
{
    afetch_t *f = arg;
    char reason[320] = "";
    fn_buf_t a, b;
    if (status) {
        afetch_done(f, status, NULL, NULL, resp->reason);
        return;
    }
    status = fn__http_judge(
        resp, f->stage == AS_CCP ? "cyberark CCP" : "cyberark PVWA", ark_msgs,
        reason, sizeof(reason));
    if (status) {
        afetch_done(f, status, NULL, NULL, reason);
        return;
    }
    fn_buf_init(&a, FN__SECRET_MAX);
    fn_buf_init(&b, 1024);
    if (f->stage == AS_CCP) {
        on_ccp(f, resp, reason, sizeof(reason), &a, &b);
    } else if (f->stage == AS_FIND) {
        on_find(f, resp, reason, sizeof(reason), &a, &b);
    } else {
        int rc = ark_field(resp, "", &a, reason, sizeof(reason),
                           "cyberark PVWA retrieve");
        afetch_done(f, rc, f->username, rc ? NULL : a.data, reason);
    }
    fn_buf_wipe(&a);
    fn_buf_cleanup(&a);
    fn_buf_cleanup(&b);
}

/* --- PVWA logon ------------------------------------------------------ */

static void ark_go(void *ctx, int status, const char *reason)
{
    afetch_t *f = ctx;
    int rc = status ? status : ark_send_find(f);
    if (rc)
        afetch_done(f, rc, NULL, NULL, status ? reason : fn_strerror(rc));
}

static void ark_on_logon(int status, const fn_http_resp_t *resp, void *arg)
{
    fn__cyberark_t *a = arg;
    char reason[320] = "";
    fn_buf_t tok;
    fn_buf_wipe(&a->logon_body);
    fn_buf_init(&tok, FN__SECRET_MAX);
    if (status)
        snprintf(reason, sizeof(reason), "%s", resp->reason);
    else
        status = fn__http_judge(resp, "cyberark PVWA logon", ark_msgs, reason,
                                sizeof(reason));
    if (!status)
        status = ark_field(resp, "", &tok, reason, sizeof(reason),
                           "cyberark PVWA logon");
    if (!status && !(a->session = strdup(tok.data)))
        status = -ENOMEM;
    fn_buf_wipe(&tok);
    fn_buf_cleanup(&tok);
    fn__gate_open(&a->gate, status, reason, ark_go);
}

static int ark_logon(fn__cyberark_t *a, char *reason, size_t rlen)
{
    char *pw = NULL;
    fn_buf_t u;
    fn_buf_t *b = &a->logon_body;
    int rc = fn__secret_load(a->conf.password_env, a->conf.password_file, &pw,
                             reason, rlen);
    fn_buf_init(&u, 4096);
    fn_buf_wipe(b);
    rc = rc ? rc : fn_buf_append_str(b, "{\"username\":");
    rc = rc ? rc : fn__json_put_string(b, a->conf.username);
    rc = rc ? rc : fn_buf_append_str(b, ",\"password\":");
    rc = rc ? rc : fn__json_put_string(b, pw);
    rc = rc ? rc : fn_buf_append_str(b, "}");
    fn__secret_free(pw);
    rc = rc ? rc
            : fn_buf_printf(&u, "%s/PasswordVault/API/auth/%s/Logon",
                            a->conf.url, a->conf.auth_method);
    static const char *const hdrs[] = {"Content-Type: application/json", NULL};
    fn_http_opts_t o = {.method = "POST",
                        .url = u.data,
                        .headers = hdrs,
                        .body = b->data,
                        .body_len = b->len,
                        .tls = &a->conf.tls,
                        .secret = 1,
                        .what = "cyberark PVWA logon",
                        .owner = a};
    rc = rc ? rc : fn_http_request(a->http, &o, ark_on_logon, a);
    if (rc)
        fn_buf_wipe(b);
    fn_buf_cleanup(&u);
    return rc;
}

/* The gate's login: the PVWA logon, always under way when it starts. */
static int ark_gate_logon(void *owner, char *reason, size_t rlen)
{
    int rc = ark_logon(owner, reason, rlen);
    return rc ? rc : FN_EAGAIN;
}

/* Finds at once with a session, else waits for it at the gate. */
static int ark_start_pvwa(fn__cyberark_t *a, afetch_t *f)
{
    if (a->gate.state == FN__GATE_OPEN)
        return ark_send_find(f);
    return fn__gate_enter(&a->gate, f, ark_gate_logon, a, ark_go);
}

/* --- backend API ----------------------------------------------------- */

int fn__cyberark_new(fn__cyberark_t **out, fn_http_t *http,
                     const fn_cyberark_conf_t *conf)
{
    fn__cyberark_t *a = calloc(1, sizeof(*a));
    *out = NULL;
    if (!a)
        return -ENOMEM;
    a->http = http;
    a->conf = *conf;
    fn_buf_init(&a->logon_body, 4 * FN__SECRET_MAX);
    *out = a;
    return 0;
}

void fn__cyberark_free(fn__cyberark_t *a)
{
    if (!a)
        return;
    fn_http_cancel(a->http, a);
    fn__gate_cleanup(&a->gate);
    fn__secret_free(a->session);
    fn_buf_wipe(&a->logon_body);
    fn_buf_cleanup(&a->logon_body);
    free(a);
}

/* "Safe/Object" or "Object" (the configured safe). */
static int afetch_ref(afetch_t *f, const char *ref)
{
    const char *slash = strchr(ref, '/');
    const char *safe = f->a->conf.safe;
    f->safe = slash ? strndup(ref, (size_t)(slash - ref))
                    : (safe ? strdup(safe) : NULL);
    f->object = strdup(slash ? slash + 1 : ref);
    return f->object && (f->safe || (!slash && !safe)) ? 0 : -ENOMEM;
}

int fn__cyberark_fetch(fn__cyberark_t *a, const char *ref, fn__fetch_cb *cb,
                       void *arg)
{
    afetch_t *f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    f->a = a;
    f->cb = cb;
    f->arg = arg;
    fn_buf_init(&f->body, 4096);
    int rc = afetch_ref(f, ref);
    if (!rc && (!f->safe || !*f->safe || !*f->object)) {
        afetch_done(f, FN_ECREDS, NULL, NULL,
                    "reference needs Safe/Object (or a [cyberark] safe)");
        return 0;
    }
    if (!rc)
        rc = a->conf.mode == FN_CYBERARK_PVWA ? ark_start_pvwa(a, f)
                                              : ark_send_ccp(f);
    if (rc)
        afetch_free(f);
    return rc;
}
