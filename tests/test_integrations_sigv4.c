/*
 * test_integrations_sigv4.c — what s3rver does not verify: the SigV4
 * signature libcurl computes for fn_s3 (checked against botocore by
 * tests/test_integrations_sigv4.py over requests captured by
 * tests/fakes/fake_s3edge.py), retries with backoff on 5xx, the ETag
 * integrity check on GET, and virtual-host style URLs. Ports
 * 32100-32199. Thread: main only.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "fn_err.h"
#include "fn_integrations.h"
#include "fn_log.h"
#include "test_integrations_util.h"
#include "fn_check.h"

typedef struct res {
    int done, status;
    long code;
    char reason[512];
    size_t nkeys;
} res_t;

static void on_s3(int status, const fn_s3_result_t *r, void *arg)
{
    res_t *x = arg;
    x->done = 1;
    x->status = status;
    x->code = r->http_code;
    x->nkeys = r->nkeys;
    snprintf(x->reason, sizeof(x->reason), "%s", r->reason);
}

typedef struct env {
    fx_proc_t fake;
    struct event_base *base;
    fn_http_t *http;
    fn_s3_t *s3;
    fn_s3_conf_t conf;
    char endpoint[64];
    char capture[700]; /* the fake's request log, or "" */
    res_t r;
} env_t;

static void env_open(env_t *e, const char *const *fake_args, const char *region)
{
    memset(e, 0, sizeof(*e));
    ck_assert_int_eq(
        fx_start_fake(&e->fake, "fake_s3edge.py", 32100, 32199, fake_args), 0);
    snprintf(e->endpoint, sizeof(e->endpoint), "http://127.0.0.1:%d",
             e->fake.port);
    setenv("FN_T_SK", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", 1);
    e->conf.endpoint = e->endpoint;
    e->conf.region = region;
    e->conf.bucket = "cap";
    e->conf.access_key = "AKIDEXAMPLE";
    e->conf.secret_key_env = "FN_T_SK";
    e->conf.path_style = 1;
    e->conf.prefix = "";
    e->conf.tls = (fn_tls_conf_t){1, NULL, 20000, 3};
    e->base = event_base_new();
    ck_assert_int_eq(fn_http_new(&e->http, e->base), 0);
    ck_assert_int_eq(fn_s3_new(&e->s3, e->http, &e->conf, NULL, 0), 0);
}

static void env_close(env_t *e)
{
    fn_s3_free(e->s3);
    fn_http_free(e->http);
    event_base_free(e->base);
    fx_stop(&e->fake);
}

static int wait_op(env_t *e, int rc)
{
    ck_assert_int_eq(rc, 0);
    e->r.done = 0;
    ck_assert_int_eq(fx_run_until(e->base, &e->r.done, 60000), 0);
    return e->r.status;
}

static void verify_capture(const char *cap, const char *region,
                           const char *want)
{
    char script[700];
    fx_src_path("tests/test_integrations_sigv4.py", script, sizeof(script));
    const char *argv[] = {"/usr/bin/python3", script, cap, region, NULL};
    const char *env[] = {"FN_SIGV4_AK=AKIDEXAMPLE",
                         "FN_SIGV4_SK=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                         NULL};
    fn_buf_t out;
    fn_buf_init(&out, 0);
    int st = fx_run(argv, env, &out);
    fprintf(stderr, "%s", out.data ? out.data : "");
    ck_assert_msg(st == 0, "botocore disagrees:\n%s", out.data);
    ck_assert_msg(strstr(out.data, want), "%s", out.data);
    fn_buf_cleanup(&out);
}

/* env_open with a fake that records every request (LIST pages of
 * page_size keys when not NULL). */
static void env_open_capture(env_t *e, const char *name, const char *region,
                             const char *page_size)
{
    char dir[600], cap[700];
    fx_tmpdir(name, dir, sizeof(dir));
    snprintf(cap, sizeof(cap), "%s/capture.jsonl", dir);
    const char *args[] = {"--capture", cap, page_size ? "--page-size" : NULL,
                          page_size, NULL};
    env_open(e, args, region);
    snprintf(e->capture, sizeof(e->capture), "%s", cap);
}

START_TEST(sigv4_matches_botocore)
{
    env_t e;
    env_open_capture(&e, "sigv4", "eu-west-3", NULL);
    const char cfg[] = "hostname r2\nsnmp-server community x RO\n";
    const char *key = "backups/r2/2026 11 29+a~b.cfg";
    ck_assert_int_eq(
        wait_op(&e, fn_s3_put(e.s3, key, cfg, strlen(cfg), on_s3, &e.r)), 0);
    ck_assert_int_eq(wait_op(&e, fn_s3_get(e.s3, key, on_s3, &e.r)), 0);
    ck_assert_int_eq(wait_op(&e, fn_s3_list(e.s3, "backups/r2/", on_s3, &e.r)),
                     0);
    ck_assert_uint_eq(e.r.nkeys, 1);
    ck_assert_int_eq(wait_op(&e, fn_s3_delete(e.s3, key, on_s3, &e.r)), 0);
    ck_assert_int_eq(wait_op(&e, fn_s3_bucket_ensure(e.s3, on_s3, &e.r)), 0);
    env_close(&e);
    verify_capture(e.capture, "eu-west-3", "5 passed, 0 failed");
}
END_TEST

START_TEST(sigv4_virtual_host_style)
{
    env_t e;
    char ep[64];
    env_open_capture(&e, "sigv4vh", "us-east-1", NULL);
    fn_s3_free(e.s3);
    snprintf(ep, sizeof(ep), "http://localhost:%d", e.fake.port);
    e.conf.endpoint = ep;
    e.conf.path_style = 0;
    ck_assert_int_eq(fn_s3_new(&e.s3, e.http, &e.conf, NULL, 0), 0);
    ck_assert_int_eq(
        wait_op(&e, fn_s3_put(e.s3, "vh/k.cfg", "abc", 3, on_s3, &e.r)), 0);
    ck_assert_int_eq(wait_op(&e, fn_s3_list(e.s3, "vh/", on_s3, &e.r)), 0);
    ck_assert_uint_eq(e.r.nkeys, 1);
    env_close(&e);
    verify_capture(e.capture, "us-east-1", "2 passed, 0 failed");
}
END_TEST

START_TEST(s3_list_follows_continuation_pages)
{
    env_t e;
    char key[64];
    env_open_capture(&e, "sigv4page", "us-east-1", "2");
    for (int i = 0; i < 5; i++) {
        snprintf(key, sizeof(key), "p/r%d.cfg", i);
        ck_assert_int_eq(wait_op(&e, fn_s3_put(e.s3, key, "x", 1, on_s3, &e.r)),
                         0);
    }
    ck_assert_int_eq(wait_op(&e, fn_s3_list(e.s3, "p/", on_s3, &e.r)), 0);
    ck_assert_uint_eq(e.r.nkeys, 5);
    env_close(&e);
    /* 5 PUTs and 3 LIST pages, the last two with a continuation token
     * that SigV4 must sort before list-type. */
    verify_capture(e.capture, "us-east-1", "8 passed, 0 failed");
}
END_TEST

START_TEST(s3_retries_5xx_with_backoff)
{
    env_t e;
    const char *args[] = {"--fail-first", "2", NULL};
    env_open(&e, args, "us-east-1");
    ck_assert_int_eq(wait_op(&e, fn_s3_put(e.s3, "k", "data", 4, on_s3, &e.r)),
                     0);
    ck_assert_int_eq(e.r.code, 200);
    env_close(&e);

    const char *args2[] = {"--fail-first", "100", NULL};
    env_open(&e, args2, "us-east-1");
    e.conf.tls.retries = 1;
    fn_s3_free(e.s3);
    ck_assert_int_eq(fn_s3_new(&e.s3, e.http, &e.conf, NULL, 0), 0);
    ck_assert_int_eq(wait_op(&e, fn_s3_put(e.s3, "k", "data", 4, on_s3, &e.r)),
                     FN_EHTTP);
    ck_assert_msg(strstr(e.r.reason, "HTTP 503 SlowDown"), "%s", e.r.reason);
    env_close(&e);
}
END_TEST

/* Every log line (debug, all categories) and reason of a failing and a
 * succeeding run: the S3 secret is in none of them. */
START_TEST(s3_secret_never_logged)
{
    env_t e;
    fn_buf_t log;
    const char *args[] = {"--fail-first", "1", NULL};
    fn_buf_init(&log, 0);
    fx_capture_logs(&log);
    env_open(&e, args, "us-east-1");
    ck_assert_int_eq(wait_op(&e, fn_s3_put(e.s3, "k", "data", 4, on_s3, &e.r)),
                     0);
    ck_assert_int_eq(wait_op(&e, fn_s3_get(e.s3, "nope", on_s3, &e.r)),
                     FN_ENOTFOUND);
    fn_buf_printf(&log, "%s\n", e.r.reason);
    env_close(&e);
    fn_log_set_hook(NULL, NULL);
    ck_assert_ptr_nonnull(strstr(log.data, "retry 1/3"));
    ck_assert_ptr_nonnull(strstr(log.data, "NoSuchKey"));
    ck_assert_ptr_null(strstr(log.data, "bPxRfiCYEXAMPLEKEY"));
    fn_buf_cleanup(&log);
}
END_TEST

START_TEST(s3_get_detects_corruption)
{
    env_t e;
    const char *args[] = {"--corrupt", NULL};
    env_open(&e, args, "us-east-1");
    ck_assert_int_eq(
        wait_op(&e, fn_s3_put(e.s3, "k", "config text", 11, on_s3, &e.r)), 0);
    ck_assert_int_eq(wait_op(&e, fn_s3_get(e.s3, "k", on_s3, &e.r)), FN_EHTTP);
    ck_assert_msg(strstr(e.r.reason, "integrity check failed"), "%s",
                  e.r.reason);
    env_close(&e);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("integrations_sigv4");
    TCase *tc = tcase_create("capture");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, sigv4_matches_botocore);
    tcase_add_test(tc, sigv4_virtual_host_style);
    tcase_add_test(tc, s3_list_follows_continuation_pages);
    tcase_add_test(tc, s3_retries_5xx_with_backoff);
    tcase_add_test(tc, s3_get_detects_corruption);
    tcase_add_test(tc, s3_secret_never_logged);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return fn_check_run(suite());
}
