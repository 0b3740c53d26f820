/*
 * test_integrations_s3.c — fn_s3 against a real S3 server on loopback:
 * s3rver (npm, installed by scripts/bootstrap into .tools/), started once
 * for the suite on a port in 32000-32099. Upload, list, get, delete,
 * bucket creation (explicit and on first PUT), a missing bucket, a 1 MiB
 * object's integrity, the synchronous wrappers, the check, and a server
 * that is down (clear error after the retries).
 * Thread: main only (Check forks each test).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "fn_err.h"
#include "fn_integrations.h"
#include "fn_time.h"
#include "test_integrations_util.h"
#include "fn_check.h"

static fx_proc_t s3rver;
static char endpoint[64];

typedef struct res {
    int done, status;
    long code;
    fn_buf_t body;
    fn_buf_t keys; /* one per line */
    char reason[512];
} res_t;

static void on_s3(int status, const fn_s3_result_t *r, void *arg)
{
    res_t *x = arg;
    x->done = 1;
    x->status = status;
    x->code = r->http_code;
    snprintf(x->reason, sizeof(x->reason), "%s", r->reason);
    fn_buf_reset(&x->body);
    fn_buf_append(&x->body, r->body, r->len);
    fn_buf_reset(&x->keys);
    for (size_t i = 0; i < r->nkeys; i++)
        fn_buf_printf(&x->keys, "%s\n", r->keys[i]);
}

typedef struct env {
    struct event_base *base;
    fn_http_t *http;
    fn_s3_t *s3;
    fn_s3_conf_t conf;
    res_t r;
} env_t;

static void env_open(env_t *e, const char *bucket, int create)
{
    char err[256] = "";
    memset(e, 0, sizeof(*e));
    setenv("FN_T_S3_SECRET", "S3RVER", 1);
    e->conf.endpoint = endpoint;
    e->conf.region = "us-east-1";
    e->conf.bucket = bucket;
    e->conf.access_key = "S3RVER";
    e->conf.secret_key_env = "FN_T_S3_SECRET";
    e->conf.path_style = 1;
    e->conf.create_bucket = create;
    e->conf.prefix = "backups/";
    e->conf.tls = (fn_tls_conf_t){1, NULL, 20000, 2};
    e->base = event_base_new();
    ck_assert_int_eq(fn_http_new(&e->http, e->base), 0);
    ck_assert_int_eq(fn_s3_new(&e->s3, e->http, &e->conf, err, sizeof(err)), 0);
    fn_buf_init(&e->r.body, 0);
    fn_buf_init(&e->r.keys, 0);
}

static void env_close(env_t *e)
{
    fn_s3_free(e->s3);
    fn_http_free(e->http);
    event_base_free(e->base);
    fn_buf_cleanup(&e->r.body);
    fn_buf_cleanup(&e->r.keys);
}

/* Waits for the operation just started (rc is its start code). */
static int wait_op(env_t *e, int rc)
{
    ck_assert_int_eq(rc, 0);
    e->r.done = 0;
    ck_assert_int_eq(fx_run_until(e->base, &e->r.done, 60000), 0);
    return e->r.status;
}

START_TEST(s3_bucket_creation_upload_list_get_delete)
{
    env_t e;
    char key[256];
    const char cfg[] = "hostname r1\n!\ninterface Gi0/1\n shutdown\n";
    env_open(&e, "flexnet-one", 1);
    ck_assert_int_eq(wait_op(&e, fn_s3_bucket_ensure(e.s3, on_s3, &e.r)), 0);
    ck_assert_int_eq(fn_s3_key(e.s3, "r1/2026-11-29.cfg", key, sizeof(key)), 0);
    ck_assert_str_eq(key, "backups/r1/2026-11-29.cfg");
    ck_assert_int_eq(
        wait_op(&e, fn_s3_put(e.s3, key, cfg, strlen(cfg), on_s3, &e.r)), 0);
    ck_assert_int_eq(e.r.code, 200);
    ck_assert_int_eq(wait_op(&e, fn_s3_list(e.s3, NULL, on_s3, &e.r)), 0);
    ck_assert_str_eq(e.r.keys.data, "backups/r1/2026-11-29.cfg\n");
    ck_assert_int_eq(wait_op(&e, fn_s3_get(e.s3, key, on_s3, &e.r)), 0);
    ck_assert_uint_eq(e.r.body.len, strlen(cfg));
    ck_assert_mem_eq(e.r.body.data, cfg, strlen(cfg));
    ck_assert_int_eq(wait_op(&e, fn_s3_delete(e.s3, key, on_s3, &e.r)), 0);
    ck_assert_int_eq(wait_op(&e, fn_s3_get(e.s3, key, on_s3, &e.r)),
                     FN_ENOTFOUND);
    ck_assert_msg(strstr(e.r.reason, "HTTP 404 NoSuchKey"), "%s", e.r.reason);
    ck_assert_int_eq(wait_op(&e, fn_s3_list(e.s3, NULL, on_s3, &e.r)), 0);
    ck_assert_uint_eq(e.r.keys.len, 0);
    env_close(&e);
}
END_TEST

START_TEST(s3_put_creates_missing_bucket_once)
{
    env_t e;
    env_open(&e, "flexnet-lazy", 1);
    ck_assert_int_eq(
        wait_op(&e, fn_s3_put(e.s3, "backups/a b+c.cfg", "x", 1, on_s3, &e.r)),
        0);
    ck_assert_int_eq(wait_op(&e, fn_s3_list(e.s3, "backups/a", on_s3, &e.r)),
                     0);
    ck_assert_str_eq(e.r.keys.data, "backups/a b+c.cfg\n");
    env_close(&e);
}
END_TEST

START_TEST(s3_missing_bucket_without_create_is_clear)
{
    env_t e;
    env_open(&e, "flexnet-absent", 0);
    ck_assert_int_eq(wait_op(&e, fn_s3_bucket_ensure(e.s3, on_s3, &e.r)),
                     FN_ENOTFOUND);
    ck_assert_str_eq(e.r.reason, "s3: bucket flexnet-absent does not exist "
                                 "(set create_bucket = true to create it)");
    ck_assert_int_eq(
        wait_op(&e, fn_s3_put(e.s3, "backups/k", "x", 1, on_s3, &e.r)),
        FN_ENOTFOUND);
    ck_assert_msg(strstr(e.r.reason, "NoSuchBucket"), "%s", e.r.reason);
    env_close(&e);
}
END_TEST

START_TEST(s3_large_object_integrity)
{
    env_t e;
    size_t n = 1024 * 1024 + 7;
    unsigned char *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)(i * 2654435761u >> 13);
    env_open(&e, "flexnet-big", 1);
    ck_assert_int_eq(
        wait_op(&e, fn_s3_put(e.s3, "backups/big.bin", data, n, on_s3, &e.r)),
        0);
    ck_assert_int_eq(
        wait_op(&e, fn_s3_get(e.s3, "backups/big.bin", on_s3, &e.r)), 0);
    ck_assert_uint_eq(e.r.body.len, n);
    ck_assert_int_eq(memcmp(e.r.body.data, data, n), 0);
    free(data);
    env_close(&e);
}
END_TEST

START_TEST(s3_sync_wrappers_and_check)
{
    env_t e;
    char reason[512] = "", text[1024];
    fn_buf_t out, report;
    fn_config_t *cfg = NULL;
    env_open(&e, "flexnet-sync", 1);
    ck_assert_int_eq(fn_s3_sync_put(&e.conf, "backups/s.cfg", "abc", 3, reason,
                                    sizeof(reason)),
                     0);
    fn_buf_init(&out, 0);
    ck_assert_int_eq(
        fn_s3_sync_get(&e.conf, "backups/s.cfg", &out, reason, sizeof(reason)),
        0);
    ck_assert_str_eq(out.data, "abc");
    fn_buf_reset(&out);
    ck_assert_int_eq(
        fn_s3_sync_list(&e.conf, NULL, &out, reason, sizeof(reason)), 0);
    ck_assert_str_eq(out.data, "backups/s.cfg\n");
    snprintf(text, sizeof(text),
             "[s3]\nendpoint = %s\nbucket = flexnet-sync\n"
             "access_key = S3RVER\nsecret_key_env = FN_T_S3_SECRET\n"
             "prefix = backups/\n",
             endpoint);
    ck_assert_int_eq(fn_config_parse(&cfg, text, strlen(text), NULL, NULL, 0),
                     0);
    fn_buf_init(&report, 0);
    ck_assert_int_eq(fn_integrations_check(cfg, &report), 0);
    ck_assert_msg(strstr(report.data, "s3: ok: bucket 'flexnet-sync'") &&
                      strstr(report.data, "1 object(s)"),
                  "%s", report.data);
    ck_assert_ptr_null(strstr(report.data, "S3RVER"));
    ck_assert_int_eq(
        fn_s3_sync_delete(&e.conf, "backups/s.cfg", reason, sizeof(reason)), 0);
    fn_buf_cleanup(&report);
    fn_buf_cleanup(&out);
    fn_config_free(cfg);
    env_close(&e);
}
END_TEST

typedef struct many {
    int done, failed, total;
} many_t;

static void on_many(int status, const fn_s3_result_t *r, void *arg)
{
    many_t *m = arg;
    m->failed += status != 0;
    m->done = ++m->total == 200;
}

START_TEST(s3_many_concurrent_uploads)
{
    env_t e;
    many_t m = {0};
    char key[64], body[4096];
    memset(body, 'b', sizeof(body));
    env_open(&e, "flexnet-many", 1);
    ck_assert_int_eq(wait_op(&e, fn_s3_bucket_ensure(e.s3, on_s3, &e.r)), 0);
    int64_t t0 = fn_time_mono_us();
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof(key), "backups/h%03d.cfg", i);
        ck_assert_int_eq(fn_s3_put(e.s3, key, body, sizeof(body), on_many, &m),
                         0);
    }
    ck_assert_int_eq(fx_run_until(e.base, &m.done, 90000), 0);
    double ms = (double)(fn_time_mono_us() - t0) / 1000.0;
    fprintf(stderr, "s3rver: 200 concurrent 4 KiB PUTs in %.0f ms (%.0f/s)\n",
            ms, 200 * 1000.0 / ms);
    ck_assert_int_eq(m.failed, 0);
    ck_assert_int_eq(wait_op(&e, fn_s3_list(e.s3, NULL, on_s3, &e.r)), 0);
    int lines = 0;
    for (size_t i = 0; i < e.r.keys.len; i++)
        lines += e.r.keys.data[i] == '\n';
    ck_assert_int_eq(lines, 200);
    env_close(&e);
}
END_TEST

START_TEST(s3_server_down_is_a_clear_error)
{
    env_t e;
    char down[64];
    int port = fx_free_port(32090, 32099);
    ck_assert_int_ge(port, 0);
    snprintf(down, sizeof(down), "http://127.0.0.1:%d", port);
    env_open(&e, "b", 1);
    fn_s3_free(e.s3);
    e.conf.endpoint = down;
    ck_assert_int_eq(fn_s3_new(&e.s3, e.http, &e.conf, NULL, 0), 0);
    ck_assert_int_eq(
        wait_op(&e, fn_s3_put(e.s3, "backups/k", "x", 1, on_s3, &e.r)),
        FN_EREFUSED);
    ck_assert_msg(strstr(e.r.reason, "s3 PUT: ") &&
                      strstr(e.r.reason, "connection refused") &&
                      strstr(e.r.reason, "after 3 attempts"),
                  "%s", e.r.reason);
    ck_assert_int_eq(fn_http_pending(e.http), 0);

    char text[512];
    fn_config_t *cfg = NULL;
    fn_buf_t report;
    snprintf(text, sizeof(text),
             "[s3]\nendpoint = %s\nbucket = b\naccess_key = S3RVER\n"
             "secret_key_env = FN_T_S3_SECRET\nretries = 0\n",
             down);
    ck_assert_int_eq(fn_config_parse(&cfg, text, strlen(text), NULL, NULL, 0),
                     0);
    fn_buf_init(&report, 0);
    ck_assert_int_eq(fn_integrations_check(cfg, &report), FN_EREFUSED);
    ck_assert_msg(strstr(report.data, "s3: FAILED: s3 HEAD: Failed to "
                                      "connect to 127.0.0.1"),
                  "%s", report.data);
    fn_buf_cleanup(&report);
    fn_config_free(cfg);
    env_close(&e);
}
END_TEST

START_TEST(s3_free_cancels_pending_operations)
{
    env_t e;
    env_open(&e, "flexnet-one", 1);
    e.r.done = 0;
    ck_assert_int_eq(fn_s3_put(e.s3, "backups/c", "x", 1, on_s3, &e.r), 0);
    fn_s3_free(e.s3);
    e.s3 = NULL;
    ck_assert_int_eq(e.r.done, 1);
    ck_assert_int_eq(e.r.status, FN_ECANCELED);
    ck_assert_int_eq(fn_http_pending(e.http), 0);
    env_close(&e);
}
END_TEST

static void start_server(void)
{
    char dir[600];
    fx_tmpdir("s3rver", dir, sizeof(dir));
    if (fx_start_s3rver(&s3rver, dir, 32000, 32089)) {
        fprintf(stderr, "cannot start s3rver\n");
        exit(1);
    }
    snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d/", s3rver.port);
}

static void stop_server(void)
{
    fx_stop(&s3rver);
}

static Suite *suite(void)
{
    Suite *s = suite_create("integrations_s3");
    TCase *tc = tcase_create("s3rver");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, start_server, stop_server);
    tcase_add_test(tc, s3_bucket_creation_upload_list_get_delete);
    tcase_add_test(tc, s3_put_creates_missing_bucket_once);
    tcase_add_test(tc, s3_missing_bucket_without_create_is_clear);
    tcase_add_test(tc, s3_large_object_integrity);
    tcase_add_test(tc, s3_sync_wrappers_and_check);
    tcase_add_test(tc, s3_many_concurrent_uploads);
    tcase_add_test(tc, s3_server_down_is_a_clear_error);
    tcase_add_test(tc, s3_free_cancels_pending_operations);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return fn_check_run(suite());
}
