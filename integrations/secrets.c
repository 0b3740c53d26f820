/*
 * secrets.c — the per-task credential cache and the local providers (env,
 * file, prompt). See fn_secrets.h.
 *
 * Each distinct (provider, ref) is one entry: FETCHING with a list of
 * waiters, then DONE with a status, the secret and a reason. Answers are
 * always delivered from a deferred event (never inside fn_secrets_get), so
 * the caller's stack never re-enters. Vault and CyberArk fetches go to
 * their backends (vault.c, cyberark.c), created on first use.
 *
 * Also holds the two helpers the backends share (fn__http_judge,
 * fn__gate_*). Does not log secrets, or log at all: the engine decides
 * about a host's failure. Thread: the event_base's thread.
 * Owns: entries, their secrets (wiped), the backends.
 */
#include "fn_secrets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "fn_err.h"
#include "fn_integrations_int.h"

enum provider { P_ENV, P_FILE, P_PROMPT, P_VAULT, P_CYBERARK };
static const char *const provider_names[] = {"env", "file", "prompt", "vault",
                                             "cyberark"};
#define NPROVIDERS (sizeof(provider_names) / sizeof(provider_names[0]))

typedef struct entry entry_t;

typedef struct waiter {
    entry_t *e;
    fn_secrets_done_cb *cb;
    void *arg;
    struct waiter *next;
} waiter_t;

struct entry {
    fn_secrets_t *c;
    int provider;
    char *ref;
    int done;
    int status;
    char *username; /* owned, wiped */
    char *secret;   /* owned, wiped */
    char reason[320];
    waiter_t *waiters; /* until done */
    entry_t *next;
};

struct fn_secrets {
    fn_http_t *http;        /* kept */
    const fn_config_t *cfg; /* kept, may be NULL */
    entry_t *entries;
    waiter_t *ready, *ready_tail; /* answers to deliver */
    struct event *deliver;
    fn__vault_t *vault;
    fn__cyberark_t *cyberark;
    fn_secrets_prompt_fn *prompt;
    void *prompt_arg;
    size_t fetches;
    int freeing;
};

/* --- shared helpers for the backends --------------------------------- */

int fn__http_judge(const fn_http_resp_t *resp, const char *what,
                   const char *const *msg_paths, char *reason, size_t reasonlen)
{
    if (resp->code >= 200 && resp->code < 300)
        return 0;
    fn_buf_t msg;
    fn_buf_init(&msg, 200);
    for (; *msg_paths; msg_paths++)
        if (fn__json_get_string(resp->body, resp->len, *msg_paths, &msg) == 0)
            break;
    snprintf(reason, reasonlen, "%s: HTTP %ld%s%s", what, resp->code,
             msg.len ? ": " : "", msg.len ? msg.data : "");
    fn_buf_cleanup(&msg);
    if (resp->code == 401 || resp->code == 403)
        return FN_EAUTH;
    return resp->code == 404 ? FN_ENOTFOUND : FN_EHTTP;
}

int fn__gate_wait(fn__gate_t *g, void *ctx)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 8;
        void **w = realloc(g->waiting, cap * sizeof(*w));
        if (!w)
            return -ENOMEM;
        g->waiting = w;
        g->cap = cap;
    }
    g->waiting[g->n++] = ctx;
    return 0;
}

int fn__gate_enter(fn__gate_t *g, void *ctx, fn__gate_login_fn *login,
                   void *owner, fn__gate_go_fn *go)
{
    if (g->state == FN__GATE_PENDING)
        return fn__gate_wait(g, ctx);
    if (g->status) { /* the login failed before: no second attempt */
        go(ctx, g->status, g->reason);
        return 0;
    }
    int rc = fn__gate_wait(g, ctx);
    if (rc)
        return rc;
    g->state = FN__GATE_PENDING;
    char reason[256] = "";
    rc = login(owner, reason, sizeof(reason));
    if (rc != FN_EAGAIN)
        fn__gate_open(g, rc, rc && !reason[0] ? fn_strerror(rc) : reason, go);
    return 0;
}

void fn__gate_open(fn__gate_t *g, int status, const char *reason,
                   fn__gate_go_fn *go)
{
    void **w = g->waiting;
    size_t n = g->n;
    g->waiting = NULL;
    g->n = g->cap = 0;
    g->status = status;
    g->state = status ? FN__GATE_CLOSED : FN__GATE_OPEN;
    snprintf(g->reason, sizeof(g->reason), "%s", reason ? reason : "");
    for (size_t i = 0; i < n; i++)
        go(w[i], status, g->reason);
    free(w);
}

void fn__gate_cleanup(fn__gate_t *g)
{
    free(g->waiting);
    g->waiting = NULL;
    g->n = g->cap = 0;
}

/* --- delivery -------------------------------------------------------- */

static void creds_on_deliver(evutil_socket_t fd, short what, void *arg)
{
    fn_secrets_t *c = arg;
    waiter_t *w = c->ready;
    c->ready = c->ready_tail = NULL;
    while (w) {
        waiter_t *next = w->next;
        entry_t *e = w->e;
        fn_secret_t cred = {e->username, e->secret,
                            e->secret ? strlen(e->secret) : 0};
        w->cb(e->status, e->status ? NULL : &cred, e->status ? e->reason : "",
              w->arg);
        free(w);
        w = next;
    }
}

static void queue_ready(fn_secrets_t *c, waiter_t *w)
{
    w->next = NULL;
    if (c->ready_tail)
        c->ready_tail->next = w;
    else
        c->ready = w;
    c->ready_tail = w;
    event_active(c->deliver, EV_TIMEOUT, 0);
}

/* Stores the answer (copies; the provider wipes its own) and hands it
 * to every waiter. */
static void entry_done(entry_t *e, int status, const char *username,
                       const char *secret, const char *reason)
{
    e->done = 1;
    e->status = status;
    if (!status) {
        e->username = username ? strdup(username) : NULL;
        e->secret = strdup(secret ? secret : "");
        if (!e->secret || (username && !e->username)) {
            e->status = -ENOMEM;
            reason = "out of memory";
        }
    }
    snprintf(e->reason, sizeof(e->reason), "%s %s: %s",
             provider_names[e->provider], e->ref,
             reason && *reason ? reason : fn_strerror(e->status));
    waiter_t *w = e->waiters;
    e->waiters = NULL;
    while (w) {
        waiter_t *next = w->next;
        if (e->c->freeing) {
            w->cb(FN_ECANCELED, NULL, e->reason, w->arg);
            free(w);
        } else {
            queue_ready(e->c, w);
        }
        w = next;
    }
}

static void entry_on_fetch(int status, const char *username, const char *secret,
                           const char *reason, void *arg)
{
    entry_done(arg, status, username, secret, reason);
}

/* --- local providers ------------------------------------------------- */

static void fetch_local(entry_t *e)
{
    char reason[256] = "";
    char *secret = NULL;
    int rc;
    if (e->provider == P_ENV)
        rc = fn__secret_load(e->ref, NULL, &secret, reason, sizeof(reason));
    else
        rc = fn__secret_load(NULL, e->ref, &secret, reason, sizeof(reason));
    entry_done(e, rc, NULL, secret, reason);
    fn__secret_free(secret);
}

static void fetch_prompt(entry_t *e)
{
    char buf[FN__SECRET_MAX];
    fn_secrets_t *c = e->c;
    if (!c->prompt) {
        entry_done(e, FN_ECREDS, NULL, NULL, "no prompt available");
        return;
    }
    buf[0] = '\0';
    int rc = c->prompt(e->ref, buf, sizeof(buf), c->prompt_arg);
    buf[sizeof(buf) - 1] = '\0';
    if (rc || !buf[0])
        entry_done(e, FN_ECREDS, NULL, NULL,
                   rc ? "prompt failed" : "empty answer");
    else
        entry_done(e, 0, NULL, buf, "");
    fn_memwipe(buf, sizeof(buf));
}

static int backend_vault(fn_secrets_t *c, char *reason, size_t rlen)
{
    fn_vault_conf_t vc;
    if (c->vault)
        return 0;
    if (!c->cfg || fn_config_vault(c->cfg, &vc)) {
        snprintf(reason, rlen, "no [vault] section in the config");
        return FN_ECREDS;
    }
    return fn__vault_new(&c->vault, c->http, &vc);
}

static int backend_cyberark(fn_secrets_t *c, char *reason, size_t rlen)
{
    fn_cyberark_conf_t ac;
    if (c->cyberark)
        return 0;
    if (!c->cfg || fn_config_cyberark(c->cfg, &ac)) {
        snprintf(reason, rlen, "no [cyberark] section in the config");
        return FN_ECREDS;
    }
    return fn__cyberark_new(&c->cyberark, c->http, &ac);
}

static void fetch_remote(entry_t *e)
{
    fn_secrets_t *c = e->c;
    char reason[128] = "";
    int rc;
    if (e->provider == P_VAULT) {
        rc = backend_vault(c, reason, sizeof(reason));
        if (!rc)
            rc = fn__vault_fetch(c->vault, e->ref, entry_on_fetch, e);
    } else {
        rc = backend_cyberark(c, reason, sizeof(reason));
        if (!rc)
            rc = fn__cyberark_fetch(c->cyberark, e->ref, entry_on_fetch, e);
    }
    if (rc)
        entry_done(e, rc, NULL, NULL, reason);
}

/* --- public ---------------------------------------------------------- */

int fn_secrets_new(fn_secrets_t **out, fn_http_t *http, const fn_config_t *cfg)
{
    *out = NULL;
    fn_secrets_t *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->http = http;
    c->cfg = cfg;
    c->deliver = event_new(fn_http_base(http), -1, 0, creds_on_deliver, c);
    if (!c->deliver) {
        free(c);
        return -ENOMEM;
    }
    *out = c;
    return 0;
}

static void entry_free(entry_t *e)
{
    fn__secret_free(e->secret);
    fn__secret_free(e->username);
    free(e->ref);
    free(e);
}

void fn_secrets_free(fn_secrets_t *c)
{
    if (!c)
        return;
    c->freeing = 1;
    fn__vault_free(c->vault); /* pending entries complete, cancelled */
    fn__cyberark_free(c->cyberark);
    for (waiter_t *w = c->ready; w;) {
        waiter_t *next = w->next;
        w->cb(FN_ECANCELED, NULL, "credentials lookup cancelled", w->arg);
        free(w);
        w = next;
    }
    while (c->entries) {
        entry_t *e = c->entries;
        c->entries = e->next;
        entry_free(e);
    }
    event_free(c->deliver);
    free(c);
}

void fn_secrets_set_prompt(fn_secrets_t *c, fn_secrets_prompt_fn *fn, void *arg)
{
    c->prompt = fn;
    c->prompt_arg = arg;
}

static int provider_parse(const char *name)
{
    for (size_t i = 0; i < NPROVIDERS; i++)
        if (strcmp(name, provider_names[i]) == 0)
            return (int)i;
    return -1;
}

static entry_t *entry_find(fn_secrets_t *c, int provider, const char *ref)
{
    for (entry_t *e = c->entries; e; e = e->next)
        if (e->provider == provider && strcmp(e->ref, ref) == 0)
            return e;
    return NULL;
}

static void entry_fetch(entry_t *e)
{
    e->c->fetches++;
    switch (e->provider) {
    case P_ENV:
    case P_FILE:
        fetch_local(e);
        break;
    case P_PROMPT:
        fetch_prompt(e);
        break;
    default:
        fetch_remote(e);
    }
}

int fn_secrets_get(fn_secrets_t *c, const char *provider, const char *ref,
                   fn_secrets_done_cb *cb, void *arg)
{
    int p = provider ? provider_parse(provider) : -1;
    if (p < 0 || !ref || !*ref || !cb)
        return -EINVAL;
    waiter_t *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->cb = cb;
    w->arg = arg;
    entry_t *e = entry_find(c, p, ref);
    if (!e) {
        e = calloc(1, sizeof(*e));
        if (!e || !(e->ref = strdup(ref))) {
            free(e);
            free(w);
            return -ENOMEM;
        }
        e->c = c;
        e->provider = p;
        e->next = c->entries;
        c->entries = e;
    }
    w->e = e;
    if (e->done) {
        queue_ready(c, w);
        return 0;
    }
    int first = e->waiters == NULL;
    w->next = e->waiters;
    e->waiters = w;
    if (first)
        entry_fetch(e);
    return 0;
}

size_t fn_secrets_fetches(const fn_secrets_t *c)
{
    return c->fetches;
}
