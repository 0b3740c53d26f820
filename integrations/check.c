/*
 * check.c — `flexnet integrations check`: each configured section
 * against its server. See fn_integrations.h.
 *
 * Runs its checks one after another on a private event_base, each step
 * an asynchronous call whose callback fills a step_t and ends the wait.
 * Does not: print (the CLI prints the report), keep any secret (fetched
 * credentials are wiped with the fn_secrets_t at the end).
 * Thread: the caller's, blocked while it runs.
 */
#include "fn_integrations.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "fn_err.h"
#include "fn_integrations_int.h"

typedef struct step {
    int done;
    int status;
    size_t count;
    long code;
    char reason[512];
} step_t;

typedef struct checker {
    struct event_base *base;
    fn_http_t *http;
    const fn_config_t *cfg;
    fn_buf_t *report;
} checker_t;

static int step_done(const void *arg)
{
    return ((const step_t *)arg)->done;
}

static int step_wait(checker_t *k, step_t *s, int rc)
{
    if (!rc)
        rc = fn_http_wait(k->base, step_done, s);
    if (rc) {
        snprintf(s->reason, sizeof(s->reason), "%s", fn_strerror(rc));
        return rc;
    }
    return s->status;
}

static void step_s3_done(int status, const fn_s3_result_t *res, void *arg)
{
    step_t *s = arg;
    s->done = 1;
    s->status = status;
    s->count = res->nkeys;
    snprintf(s->reason, sizeof(s->reason), "%s", res->reason);
}

static void step_fetch_done(int status, const char *user, const char *secret,
                            const char *reason, void *arg)
{
    step_t *s = arg;
    s->done = 1;
    s->status = status;
    snprintf(s->reason, sizeof(s->reason), "%s", reason ? reason : "");
}

static void step_creds_done(int status, const fn_secret_t *cred,
                            const char *reason, void *arg)
{
    step_fetch_done(status, NULL, NULL, reason, arg);
}

static void step_http_done(int status, const fn_http_resp_t *resp, void *arg)
{
    step_t *s = arg;
    s->done = 1;
    s->status = status;
    s->code = resp->code;
    snprintf(s->reason, sizeof(s->reason), "%s", resp->reason);
}

static int line(checker_t *k, const char *sec, int rc, const char *ok,
                const char *reason)
{
    if (rc)
        fn_buf_printf(k->report, "%s: FAILED: %s\n", sec,
                      reason[0] ? reason : fn_strerror(rc));
    else
        fn_buf_printf(k->report, "%s: ok: %s\n", sec, ok);
    return rc;
}

static int check_s3(checker_t *k)
{
    fn_s3_conf_t conf;
    fn_s3_t *s3 = NULL;
    step_t a = {0}, b = {0};
    char ok[512];
    fn_config_s3(k->cfg, &conf);
    int rc = fn_s3_new(&s3, k->http, &conf, a.reason, sizeof(a.reason));
    if (!rc)
        rc = step_wait(k, &a, fn_s3_bucket_ensure(s3, step_s3_done, &a));
    if (!rc)
        rc = step_wait(k, &b, fn_s3_list(s3, NULL, step_s3_done, &b));
    snprintf(ok, sizeof(ok),
             "bucket '%s' at %s: %zu object(s) under prefix '%s'", conf.bucket,
             conf.endpoint, b.count, conf.prefix);
    fn_s3_free(s3);
    return line(k, "s3", rc, ok, a.reason[0] ? a.reason : b.reason);
}

static int check_vault(checker_t *k)
{
    fn_vault_conf_t conf;
    fn__vault_t *v = NULL;
    step_t a = {0}, b = {0};
    char ok[512];
    fn_config_vault(k->cfg, &conf);
    int rc = fn__vault_new(&v, k->http, &conf);
    if (!rc)
        rc = step_wait(k, &a, fn__vault_check(v, step_fetch_done, &a));
    if (!rc && conf.check_ref)
        rc = step_wait(k, &b,
                       fn__vault_fetch(v, conf.check_ref, step_fetch_done, &b));
    snprintf(ok, sizeof(ok), "%s: token accepted%s%s", conf.address,
             conf.check_ref ? ", read " : "",
             conf.check_ref ? conf.check_ref : "");
    fn__vault_free(v);
    return line(k, "vault", rc, ok, a.reason[0] ? a.reason : b.reason);
}

static int check_cyberark(checker_t *k)
{
    fn_cyberark_conf_t conf;
    fn_secrets_t *c = NULL;
    step_t a = {0}, b = {0};
    char ok[512];
    fn_config_cyberark(k->cfg, &conf);
    fn_http_opts_t o = {.method = "HEAD",
                        .url = conf.url,
                        .cert_file = conf.cert_file,
                        .key_file = conf.key_file,
                        .tls = &conf.tls,
                        .what = "cyberark"};
    int rc = step_wait(k, &a, fn_http_request(k->http, &o, step_http_done, &a));
    if (!rc && conf.check_ref) {
        rc = fn_secrets_new(&c, k->http, k->cfg);
        if (!rc)
            rc = step_wait(k, &b,
                           fn_secrets_get(c, "cyberark", conf.check_ref,
                                          step_creds_done, &b));
    }
    snprintf(ok, sizeof(ok), "%s answers (HTTP %ld)%s%s", conf.url, a.code,
             conf.check_ref ? ", retrieved " : "",
             conf.check_ref ? conf.check_ref : "");
    fn_secrets_free(c);
    return line(k, "cyberark", rc, ok, a.reason[0] ? a.reason : b.reason);
}

int fn_integrations_check(const fn_config_t *cfg, fn_buf_t *report)
{
    static const char *const names[] = {"s3", "vault", "cyberark"};
    int (*const checks[])(checker_t *) = {check_s3, check_vault,
                                          check_cyberark};
    checker_t k = {event_base_new(), NULL, cfg, report};
    int first = 0, any = 0;
    int rc = k.base ? fn_http_new(&k.http, k.base) : -ENOMEM;
    for (int i = 0; i < 3 && !rc; i++) {
        if (!fn_config_has(cfg, names[i]))
            continue;
        any = 1;
        int r = checks[i](&k);
        if (r && !first)
            first = r;
    }
    fn_http_free(k.http);
    if (k.base)
        event_base_free(k.base);
    if (rc)
        return rc;
    if (!any)
        fn_buf_append_str(report, "no [s3], [vault] or [cyberark] section "
                                  "configured\n");
    return any ? first : FN_ENOTFOUND;
}
